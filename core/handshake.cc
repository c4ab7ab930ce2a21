// RFC 6455 section 4 opening handshake (server side) and RFC 7692 section 7.1
// permessage-deflate negotiation.
#include "wsbench/handshake.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "fmt/format.h"

namespace wsbench {
namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Character classes of RFC 7230 section 3.2.6.
constexpr uint8_t kTokenChar = 1;   // tchar
constexpr uint8_t kValueChar = 2;   // VCHAR / obs-text / SP / HTAB (field-value)
constexpr uint8_t kBase64Char = 4;  // A-Z a-z 0-9 + /

constexpr std::array<uint8_t, 256> MakeCharClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = 0x21; c <= 0xff; ++c) {
    if (c != 0x7f) t[c] |= kValueChar;
  }
  t[' '] |= kValueChar;
  t['\t'] |= kValueChar;
  for (int c = '0'; c <= '9'; ++c) t[c] |= kTokenChar | kBase64Char;
  for (int c = 'a'; c <= 'z'; ++c) t[c] |= kTokenChar | kBase64Char;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] |= kTokenChar | kBase64Char;
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<uint8_t>(c)] |= kTokenChar;
  t['+'] |= kBase64Char;
  t['/'] |= kBase64Char;
  return t;
}
constexpr std::array<uint8_t, 256> kCharClass = MakeCharClasses();

bool Is(char c, uint8_t cls) { return (kCharClass[static_cast<uint8_t>(c)] & cls) != 0; }

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!Is(c, kTokenChar)) return false;
  }
  return true;
}

// True when `s` is a valid field-value (RFC 7230 section 3.2): no control
// character but HTAB. Eight bytes at a time (a header block is mostly
// values); any word with a byte < 0x20 or 0x7F goes to the exact check.
bool IsFieldValue(std::string_view s) {
  constexpr uint64_t k01 = 0x0101010101010101ull;
  constexpr uint64_t k80 = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t x;
    std::memcpy(&x, s.data() + i, 8);
    const uint64_t below_space = (x - 0x20 * k01) & ~x & k80;
    const uint64_t y = x ^ (0x7f * k01);
    const uint64_t del = (y - k01) & ~y & k80;
    if ((below_space | del) != 0) break;
  }
  for (; i < s.size(); ++i) {
    if (!Is(s[i], kValueChar)) return false;
  }
  return true;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive comparison; `lower` must already be lower case.
bool EqualsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (Lower(s[i]) != lower[i]) return false;
  }
  return true;
}

// EqualsLower for a header name already checked to be a token, against a
// lower-case name of letters and '-': OR-ing 0x20 lower-cases a letter and
// maps no other token character onto a letter or '-', so 8 bytes compare at
// once.
bool NameIs(std::string_view token, std::string_view lower) {
  if (token.size() != lower.size()) return false;
  size_t i = 0;
  for (; i + 8 <= token.size(); i += 8) {
    uint64_t a, b;
    std::memcpy(&a, token.data() + i, 8);
    std::memcpy(&b, lower.data() + i, 8);
    if ((a | 0x2020202020202020ull) != b) return false;
  }
  for (; i < token.size(); ++i) {
    if ((token[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && IsOws(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsOws(s.back())) s.remove_suffix(1);
  return s;
}

// True when the comma-separated list `value` (RFC 7230 section 7) has the
// element `lower`, compared case-insensitively.
bool ListContains(std::string_view value, std::string_view lower) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (EqualsLower(TrimOws(value.substr(0, comma)), lower)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// Client bytes echoed in an error message: at most 40, printable only.
std::string Quote(std::string_view s) {
  std::string q;
  for (char c : s.substr(0, 40)) {
    q += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (s.size() > 40) q += "...";
  return q;
}

absl::Status BadRequest(std::string_view what, size_t offset) {
  return absl::InvalidArgumentError(fmt::format("{} at byte {}", what, offset));
}

void Base64Encode(const unsigned char* in, size_t n, char* out) {
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = kBase64Alphabet[(v >> 6) & 63];
    *out++ = kBase64Alphabet[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = '=';
    *out++ = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    *out++ = kBase64Alphabet[v >> 18];
    *out++ = kBase64Alphabet[(v >> 12) & 63];
    *out++ = kBase64Alphabet[(v >> 6) & 63];
    *out++ = '=';
  }
}

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  return c == '+' ? 62 : 63;
}

// One SHA-1 context per thread, on an algorithm fetched once (an implicit
// fetch per digest would cost more than the hash).
class Sha1 {
 public:
  Sha1() : ctx_(EVP_MD_CTX_new()) {}
  ~Sha1() { EVP_MD_CTX_free(ctx_); }
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  void Digest(std::string_view a, std::string_view b, unsigned char out[20]) {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    unsigned int n = 0;
    // These cannot fail for SHA-1 on a valid context; a failure leaves a
    // zero digest, which no client accepts.
    if (EVP_DigestInit_ex2(ctx_, md, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, a.data(), a.size()) != 1 ||
        EVP_DigestUpdate(ctx_, b.data(), b.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out, &n) != 1) {
      std::memset(out, 0, 20);
    }
  }

 private:
  EVP_MD_CTX* ctx_;
};

}  // namespace

AcceptKey ComputeAcceptKey(std::string_view key) {
  thread_local Sha1 sha1;
  unsigned char digest[20];
  sha1.Digest(key, kWebSocketGuid, digest);
  AcceptKey accept;
  Base64Encode(digest, sizeof(digest), accept.data());
  return accept;
}

bool IsValidWebSocketKey(std::string_view key) {
  if (key.size() != 24 || key[22] != '=' || key[23] != '=') return false;
  for (size_t i = 0; i < 22; ++i) {
    if (!Is(key[i], kBase64Char)) return false;
  }
  // 16 bytes = 128 bits = 21 full sextets + 2 bits: the last character's
  // low 4 bits are padding and must be zero (canonical encoding).
  return (Base64Value(key[21]) & 0x0f) == 0;
}

std::string_view UpgradeRequest::Header(std::string_view name) const {
  for (const HttpHeader& h : headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) same = Lower(h.name[i]) == Lower(name[i]);
    if (same) return h.value;
  }
  return {};
}

void UpgradeRequest::Clear() {
  method = target = host = key = origin = {};
  headers.clear();
  subprotocols.clear();
  extensions.clear();
  extension_params.clear();
  size = 0;
}

void UpgradeRequestParser::Reset() {
  scanned_ = 0;
  request_.Clear();
}

absl::StatusOr<ParseResult> UpgradeRequestParser::Parse(std::string_view received) {
  // Already complete: the bytes after the request are the client's frames.
  if (request_.size != 0) return ParseResult::kComplete;
  // Resume the search 3 bytes back: CRLF CRLF may straddle two reads.
  const size_t from = scanned_ >= 3 ? scanned_ - 3 : 0;
  const size_t end = received.find("\r\n\r\n", from);
  if (end == std::string_view::npos) {
    scanned_ = received.size();
    if (received.size() > max_request_size_) {
      return absl::ResourceExhaustedError(fmt::format(
          "request header block exceeds {} bytes (no CRLF CRLF within them)",
          max_request_size_));
    }
    return ParseResult::kNeedMore;
  }
  const size_t size = end + 4;
  scanned_ = size;
  if (size > max_request_size_) {
    return absl::ResourceExhaustedError(fmt::format(
        "request header block of {} bytes exceeds {} bytes", size, max_request_size_));
  }
  request_.Clear();
  absl::Status status = ParseHeaderBlock(received.substr(0, size));
  if (!status.ok()) return status;
  request_.size = size;
  return ParseResult::kComplete;
}

absl::Status UpgradeRequestParser::ParseHeaderBlock(std::string_view block) {
  UpgradeRequest& r = request_;
  const auto offset_of = [&](std::string_view part) {
    return static_cast<size_t>(part.data() - block.data());
  };

  // Request line (RFC 7230 section 3.1.1): method SP request-target SP version.
  size_t eol = block.find("\r\n");
  const std::string_view line = block.substr(0, eol);
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) {
    return BadRequest(fmt::format("malformed request line '{}'", Quote(line)), 0);
  }
  r.method = line.substr(0, sp1);
  r.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (r.method != "GET") {
    return BadRequest(
        fmt::format("method '{}': the upgrade request must be a GET (RFC 6455 section 4.1)",
                    Quote(r.method)),
        0);
  }
  if (r.target.empty() || !std::all_of(r.target.begin(), r.target.end(), [](char c) {
        return Is(c, kValueChar) && c != ' ' && c != '\t';
      })) {
    return BadRequest(fmt::format("malformed request-target '{}'", Quote(r.target)), sp1 + 1);
  }
  if (version != "HTTP/1.1") {
    return BadRequest(
        fmt::format("HTTP version '{}': the upgrade needs HTTP/1.1 (RFC 6455 section 4.1)",
                    Quote(version)),
        sp2 + 1);
  }

  bool upgrade_ok = false, upgrade_seen = false;
  bool connection_ok = false, connection_seen = false;
  std::string_view version_value;
  bool version_seen = false;
  size_t pos = eol + 2;
  for (;;) {
    eol = block.find("\r\n", pos);
    if (eol == pos) break;  // the empty line that ends the block
    const std::string_view field = block.substr(pos, eol - pos);
    const size_t field_offset = pos;
    pos = eol + 2;
    if (IsOws(field.front())) {
      return BadRequest("obsolete line folding (RFC 7230 section 3.2.4)", field_offset);
    }
    if (r.headers.size() == kMaxHeaderCount) {
      return absl::ResourceExhaustedError(
          fmt::format("more than {} header fields at byte {}", kMaxHeaderCount, field_offset));
    }
    const size_t colon = field.find(':');
    const std::string_view name = field.substr(0, colon);
    if (colon == std::string_view::npos || !IsToken(name)) {
      return BadRequest(fmt::format("malformed header field '{}'", Quote(field)),
                        field_offset);
    }
    const std::string_view value = TrimOws(field.substr(colon + 1));
    if (!IsFieldValue(value)) {
      return BadRequest(fmt::format("control character in header '{}'", Quote(name)),
                        field_offset);
    }
    r.headers.push_back({name, value});
    const size_t value_offset = value.empty() ? field_offset : offset_of(value);

    // Dispatch on length first: most headers are none of ours.
    switch (name.size()) {
      case 4:
        if (NameIs(name, "host")) {
          if (!r.host.empty()) return BadRequest("duplicate Host header", field_offset);
          if (value.empty()) return BadRequest("empty Host header", field_offset);
          r.host = value;
        }
        break;
      case 6:
        if (NameIs(name, "origin")) r.origin = value;
        break;
      case 7:
        if (NameIs(name, "upgrade")) {
          upgrade_seen = true;
          upgrade_ok = upgrade_ok || ListContains(value, "websocket");
        }
        break;
      case 10:
        if (NameIs(name, "connection")) {
          connection_seen = true;
          connection_ok = connection_ok || ListContains(value, "upgrade");
        }
        break;
      case 17:
        if (NameIs(name, "sec-websocket-key")) {
          if (!r.key.empty()) {
            return BadRequest("duplicate Sec-WebSocket-Key header", field_offset);
          }
          if (!IsValidWebSocketKey(value)) {
            return BadRequest(
                fmt::format("Sec-WebSocket-Key '{}' is not base64 of 16 bytes "
                            "(RFC 6455 section 4.1)",
                            Quote(value)),
                value_offset);
          }
          r.key = value;
        }
        break;
      case 21:
        if (NameIs(name, "sec-websocket-version")) {
          if (version_seen) {
            return BadRequest("duplicate Sec-WebSocket-Version header", field_offset);
          }
          version_seen = true;
          version_value = value;
        }
        break;
      case 22:
        if (NameIs(name, "sec-websocket-protocol")) {
          std::string_view rest = value;
          while (!rest.empty()) {
            const size_t comma = rest.find(',');
            const std::string_view token = TrimOws(rest.substr(0, comma));
            if (!token.empty()) {
              if (!IsToken(token)) {
                return BadRequest(fmt::format("subprotocol '{}' is not a token "
                                              "(RFC 6455 section 4.1)",
                                              Quote(token)),
                                  offset_of(token));
              }
              r.subprotocols.push_back(token);
            }
            if (comma == std::string_view::npos) break;
            rest.remove_prefix(comma + 1);
          }
        }
        break;
      case 24:
        if (NameIs(name, "sec-websocket-extensions")) {
          absl::Status s =
              ParseExtensionHeader(value, value_offset, r.extensions, r.extension_params);
          if (!s.ok()) return s;
        }
        break;
      default:
        break;
    }
  }

  // The required fields of section 4.2.1, in the order a server checks them.
  // A missing one is reported at the end of the header block.
  const size_t end = block.size() - 2;
  if (r.host.empty()) return BadRequest("missing Host header (RFC 6455 section 4.1 item 4)", end);
  if (!upgrade_ok) {
    return BadRequest(upgrade_seen ? "Upgrade header does not name websocket"
                                   : "missing Upgrade: websocket header",
                      end);
  }
  if (!connection_ok) {
    return BadRequest(connection_seen ? "Connection header lacks the Upgrade token"
                                      : "missing Connection: Upgrade header",
                      end);
  }
  if (version_value != "13") {
    return absl::FailedPreconditionError(
        version_seen ? fmt::format("Sec-WebSocket-Version '{}' at byte {}: only 13 is "
                                   "supported (RFC 6455 section 4.4)",
                                   Quote(version_value), offset_of(version_value))
                     : fmt::format("missing Sec-WebSocket-Version header at byte {} "
                                   "(RFC 6455 section 4.1 item 9)",
                                   end));
  }
  if (r.key.empty()) return BadRequest("missing Sec-WebSocket-Key header", end);
  return absl::OkStatus();
}

absl::Status ParseExtensionHeader(std::string_view value, size_t offset,
                                  std::vector<ExtensionOffer>& offers,
                                  std::vector<ExtensionParam>& params) {
  const size_t n = value.size();
  size_t i = 0;
  const auto skip_ows = [&] {
    while (i < n && IsOws(value[i])) ++i;
  };
  const auto token = [&] {
    const size_t start = i;
    while (i < n && Is(value[i], kTokenChar)) ++i;
    return value.substr(start, i - start);
  };
  const auto fail = [&](std::string_view what) {
    return BadRequest(fmt::format("Sec-WebSocket-Extensions: {} (RFC 6455 section 9.1)", what),
                      offset + i);
  };
  for (;;) {
    // Empty list elements are allowed (RFC 7230 section 7).
    while (i < n && (IsOws(value[i]) || value[i] == ',')) ++i;
    if (i == n) break;
    ExtensionOffer offer;
    offer.name = token();
    if (offer.name.empty()) return fail("expected an extension name");
    offer.first_param = static_cast<uint32_t>(params.size());
    skip_ows();
    while (i < n && value[i] == ';') {
      ++i;
      skip_ows();
      ExtensionParam param;
      param.name = token();
      if (param.name.empty()) return fail("expected a parameter name");
      skip_ows();
      if (i < n && value[i] == '=') {
        ++i;
        skip_ows();
        param.has_value = true;
        if (i < n && value[i] == '"') {
          const size_t start = ++i;
          while (i < n && value[i] != '"') i += value[i] == '\\' ? 2 : 1;
          if (i >= n) return fail("unterminated quoted-string");
          param.value = value.substr(start, i - start);
          ++i;
        } else {
          param.value = token();
          if (param.value.empty()) return fail("expected a parameter value");
        }
        skip_ows();
      }
      params.push_back(param);
      ++offer.param_count;
    }
    offers.push_back(offer);
    if (i < n && value[i] != ',') return fail("expected ',' or ';'");
  }
  return absl::OkStatus();
}

namespace {

// A window size value (RFC 7692 section 7.1.2): 8..15, no leading zeros.
int ParseWindowBits(std::string_view v) {
  if (v.size() == 1 && v[0] >= '8' && v[0] <= '9') return v[0] - '0';
  if (v.size() == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5') return 10 + (v[1] - '0');
  return -1;
}

}  // namespace

absl::StatusOr<PerMessageDeflateParams> AcceptPerMessageDeflateOffer(
    std::span<const ExtensionParam> params, const PerMessageDeflateConfig& config,
    std::string& response) {
  bool server_nct = false, client_nct = false;
  int server_bits = 0;  // 0: not offered
  int client_bits = 0;  // 0: not offered, -1: offered without a value
  for (const ExtensionParam& p : params) {
    const auto decline = [&](std::string_view why) {
      return absl::InvalidArgumentError(
          fmt::format("permessage-deflate offer declined: parameter '{}' {} (RFC 7692 "
                      "section 7.1)",
                      Quote(p.name), why));
    };
    if (p.name == "server_no_context_takeover" || p.name == "client_no_context_takeover") {
      bool& flag = p.name[0] == 's' ? server_nct : client_nct;
      if (flag) return decline("repeated");
      if (p.has_value) return decline("takes no value");
      flag = true;
    } else if (p.name == "server_max_window_bits") {
      if (server_bits != 0) return decline("repeated");
      if (!p.has_value) return decline("needs a value");
      server_bits = ParseWindowBits(p.value);
      if (server_bits < 0) return decline("is not 8..15");
      if (server_bits == 8) return decline("= 8 cannot be honoured by zlib");
    } else if (p.name == "client_max_window_bits") {
      if (client_bits != 0) return decline("repeated");
      client_bits = -1;
      if (p.has_value) {
        client_bits = ParseWindowBits(p.value);
        if (client_bits < 0) return decline("is not 8..15");
      }
    } else {
      return decline("is unknown");
    }
  }
  PerMessageDeflateParams agreed;
  agreed.server_no_context_takeover = server_nct || config.server_no_context_takeover;
  agreed.client_no_context_takeover = client_nct || config.client_no_context_takeover;
  agreed.server_max_window_bits = std::clamp(config.server_max_window_bits, 9, 15);
  if (server_bits > 0) {
    agreed.server_max_window_bits = std::min(agreed.server_max_window_bits, server_bits);
  }
  agreed.client_max_window_bits = 15;  // cannot be limited unless offered
  if (client_bits != 0) {
    agreed.client_max_window_bits = std::clamp(config.client_max_window_bits, 8, 15);
    if (client_bits > 0) {
      agreed.client_max_window_bits = std::min(agreed.client_max_window_bits, client_bits);
    }
  }

  response += "permessage-deflate";
  if (agreed.server_no_context_takeover) response += "; server_no_context_takeover";
  if (agreed.client_no_context_takeover) response += "; client_no_context_takeover";
  // Must be echoed when offered (7.1.2.1); may be sent unasked to announce a
  // smaller window.
  if (server_bits > 0 || agreed.server_max_window_bits < 15) {
    response += "; server_max_window_bits=";
    response += std::to_string(agreed.server_max_window_bits);
  }
  // Only when the client offered it (7.1.2.2).
  if (client_bits > 0 || (client_bits < 0 && agreed.client_max_window_bits < 15)) {
    response += "; client_max_window_bits=";
    response += std::to_string(agreed.client_max_window_bits);
  }
  return agreed;
}

std::optional<PerMessageDeflateParams> NegotiatePerMessageDeflate(
    const UpgradeRequest& request, const PerMessageDeflateConfig& config,
    std::string& response) {
  for (const ExtensionOffer& offer : request.extensions) {
    if (!EqualsLower(offer.name, "permessage-deflate")) continue;
    absl::StatusOr<PerMessageDeflateParams> agreed =
        AcceptPerMessageDeflateOffer(request.params(offer), config, response);
    if (agreed.ok()) return *agreed;
  }
  return std::nullopt;
}

HandshakeResult AppendAcceptResponse(const UpgradeRequest& request,
                                     const HandshakeConfig& config, std::string& out) {
  HandshakeResult result;
  result.accept = ComputeAcceptKey(request.key);
  out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
  out.append(result.accept.data(), result.accept.size());
  out += "\r\n";
  for (std::string_view offered : request.subprotocols) {
    if (std::find(config.subprotocols.begin(), config.subprotocols.end(), offered) !=
        config.subprotocols.end()) {
      result.subprotocol = offered;
      out += "Sec-WebSocket-Protocol: ";
      out += offered;
      out += "\r\n";
      break;
    }
  }
  if (config.permessage_deflate.has_value() && !request.extensions.empty()) {
    const size_t mark = out.size();
    out += "Sec-WebSocket-Extensions: ";
    result.permessage_deflate =
        NegotiatePerMessageDeflate(request, *config.permessage_deflate, out);
    if (result.permessage_deflate.has_value()) {
      out += "\r\n";
    } else {
      out.resize(mark);
    }
  }
  out += "\r\n";
  return result;
}

int HttpStatusFor(const absl::Status& error) {
  switch (error.code()) {
    case absl::StatusCode::kFailedPrecondition:
      return 426;
    case absl::StatusCode::kResourceExhausted:
      return 431;
    default:
      return 400;
  }
}

void AppendErrorResponse(const absl::Status& error, std::string& out) {
  const int status = HttpStatusFor(error);
  const std::string_view reason = status == 426   ? "Upgrade Required"
                                  : status == 431 ? "Request Header Fields Too Large"
                                                  : "Bad Request";
  const std::string_view message = error.message().data() == nullptr
                                        ? std::string_view()
                                        : std::string_view(error.message().data(),
                                                           error.message().size());
  out += fmt::format("HTTP/1.1 {} {}\r\nConnection: close\r\n", status, reason);
  if (status == 426) out += "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n";
  out += fmt::format("Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                     message.size() + 1);
  out += message;
  out += "\n";
}

}  // namespace wsbench
