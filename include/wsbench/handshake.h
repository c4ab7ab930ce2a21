// The WebSocket opening handshake, server side (RFC 6455 section 4): an
// incremental, zero-copy parser for the client's HTTP/1.1 upgrade request,
// Sec-WebSocket-Accept, subprotocol and permessage-deflate negotiation
// (RFC 7692 section 7.1), and the 101 / 400 / 426 / 431 responses.
//
// Data layout: UpgradeRequest holds std::string_views into the caller's
// receive buffer (nothing is copied) plus four std::vectors (headers,
// subprotocols, extension offers, extension parameters) that the parser
// reuses across requests: after warm-up, parsing allocates nothing.
// Extension offers index into one flat parameter vector.
//
// Incremental: feed the whole buffer received so far each time (it only grows
// between calls); the parser scans only the new bytes for the CRLF CRLF that
// ends the header block and answers kNeedMore until it is there. A header
// block larger than the limit fails with ResourceExhausted (431) as soon as
// the limit is passed, without waiting for the end.
//
// Errors are absl::Status with what was wrong and the byte offset where; the
// status code selects the HTTP response (HttpStatusFor):
//   InvalidArgument    -> 400 Bad Request (malformed request, section 4.2.1)
//   FailedPrecondition -> 426 Upgrade Required + Sec-WebSocket-Version: 13
//                         (version missing or not 13, section 4.4)
//   ResourceExhausted  -> 431 Request Header Fields Too Large (RFC 6585)
//
// Cost: one pass over the request for CRLF CRLF (memchr-based), one pass
// over the header lines (names compared 8 bytes at a time, values checked
// for control characters 8 bytes at a time); SHA-1 of 60 bytes (two
// compression rounds, OpenSSL libcrypto EVP) for the accept key; O(request
// size) overall. Measured with callgrind on a 494-byte browser request:
// about 6.2K instructions to parse, 3.1K for the accept key, 0.6K to
// negotiate and build the 101. Thread-compatible: one parser per connection;
// ComputeAcceptKey is thread-safe (a SHA-1 context per thread).
//
//   wsbench::UpgradeRequestParser parser;
//   absl::StatusOr<wsbench::ParseResult> r = parser.Parse(received);
//   if (!r.ok()) { AppendErrorResponse(r.status(), out); close(); }
//   else if (*r == wsbench::ParseResult::kComplete) {
//     wsbench::HandshakeResult result =
//         wsbench::AppendAcceptResponse(parser.request(), config, out);
//     // result.permessage_deflate -> PerMessageDeflate::Create(...)
//   }
#ifndef WSBENCH_HANDSHAKE_H_
#define WSBENCH_HANDSHAKE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wsbench/permessage_deflate.h"

namespace wsbench {

// Appended to the key before hashing (section 1.3 / 4.2.2).
inline constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// base64 of a 20-byte SHA-1 digest.
inline constexpr size_t kAcceptKeySize = 28;
inline constexpr size_t kDefaultMaxRequestSize = 8192;
inline constexpr size_t kMaxHeaderCount = 100;

using AcceptKey = std::array<char, kAcceptKeySize>;

// Sec-WebSocket-Accept for `key` (section 4.2.2 item 5.4):
// base64(SHA-1(key + kWebSocketGuid)). SHA-1 from OpenSSL's libcrypto.
// "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" (section 1.3).
AcceptKey ComputeAcceptKey(std::string_view key);

// True when `key` is base64 of exactly 16 bytes (section 4.1 item 7):
// 22 base64 characters, the last with its 4 unused bits 0, then "==".
bool IsValidWebSocketKey(std::string_view key);

struct HttpHeader {
  std::string_view name;   // as sent (compare case-insensitively)
  std::string_view value;  // without surrounding whitespace
};

// One parameter of an extension offer (section 9.1): `name` or
// `name=value`; a quoted-string value is given without its quotes (escapes
// are not undone: no parameter we interpret can contain one).
struct ExtensionParam {
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

// One extension offer in Sec-WebSocket-Extensions, e.g.
// "permessage-deflate; client_max_window_bits": its parameters are
// UpgradeRequest::extension_params[first_param, first_param + param_count).
struct ExtensionOffer {
  std::string_view name;
  uint32_t first_param = 0;
  uint32_t param_count = 0;
};

// A parsed, validated upgrade request (section 4.2.1). Views point into the
// buffer given to UpgradeRequestParser::Parse.
struct UpgradeRequest {
  std::string_view method;  // "GET"
  std::string_view target;  // request-target, e.g. "/chat?x=1"
  std::string_view host;
  std::string_view key;     // Sec-WebSocket-Key (validated)
  std::string_view origin;  // empty when absent
  std::vector<HttpHeader> headers;             // every header line, in order
  std::vector<std::string_view> subprotocols;  // Sec-WebSocket-Protocol tokens
  std::vector<ExtensionOffer> extensions;      // Sec-WebSocket-Extensions offers
  std::vector<ExtensionParam> extension_params;
  size_t size = 0;  // bytes of the request, through the final CRLF CRLF

  std::span<const ExtensionParam> params(const ExtensionOffer& offer) const {
    return std::span<const ExtensionParam>(extension_params)
        .subspan(offer.first_param, offer.param_count);
  }
  // The first header called `name` (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
  void Clear();  // keeps the vectors' capacity
};

enum class ParseResult : uint8_t {
  kNeedMore,  // no CRLF CRLF yet: read more and call Parse again
  kComplete,  // request() is valid; it used request().size bytes
};

class UpgradeRequestParser {
 public:
  explicit UpgradeRequestParser(size_t max_request_size = kDefaultMaxRequestSize)
      : max_request_size_(max_request_size) {}

  // `received` is everything received on the connection so far (it must
  // start at the request's first byte and only grow between calls, and it
  // must outlive request()). Bytes after the CRLF CRLF are left alone (they
  // would be the client's first frames); once complete, further calls return
  // kComplete until Reset(). Errors as in the file comment.
  absl::StatusOr<ParseResult> Parse(std::string_view received);

  const UpgradeRequest& request() const { return request_; }
  // For the next connection; keeps the buffers.
  void Reset();

 private:
  absl::Status ParseHeaderBlock(std::string_view block);

  size_t max_request_size_;
  size_t scanned_ = 0;  // bytes already searched for CRLF CRLF
  UpgradeRequest request_;
};

// Parses one Sec-WebSocket-Extensions value (section 9.1 grammar:
// 1#(token *(";" token ["=" (token | quoted-string)])) ) and appends its
// offers and parameters. `offset` is the value's byte offset in the request,
// for error messages. InvalidArgument on a syntax error.
absl::Status ParseExtensionHeader(std::string_view value, size_t offset,
                                  std::vector<ExtensionOffer>& offers,
                                  std::vector<ExtensionParam>& params);

// Checks one permessage-deflate offer's parameters against `config` (RFC 7692
// section 7.1) and returns the agreed parameters, appending the response's
// extension text ("permessage-deflate; ...") to `response`. InvalidArgument
// (the reason to decline the offer) for an unknown or repeated parameter, a
// value where none is allowed, a window size that is not 8..15 without
// leading zeros, or server_max_window_bits=8 (zlib cannot honour it);
// `response` is then unchanged.
absl::StatusOr<PerMessageDeflateParams> AcceptPerMessageDeflateOffer(
    std::span<const ExtensionParam> params, const PerMessageDeflateConfig& config,
    std::string& response);

// Picks the first acceptable permessage-deflate offer of `request` (RFC 7692
// section 5: offers are in the client's order of preference), appending its
// response text; nullopt when there is none (the connection runs without
// compression).
std::optional<PerMessageDeflateParams> NegotiatePerMessageDeflate(
    const UpgradeRequest& request, const PerMessageDeflateConfig& config,
    std::string& response);

struct HandshakeConfig {
  // Subprotocols the server speaks; the first of the client's list that is
  // here is chosen (section 4.2.2 item 5.5 leaves the choice to the server).
  std::span<const std::string_view> subprotocols;
  // nullopt: permessage-deflate is not offered back.
  std::optional<PerMessageDeflateConfig> permessage_deflate;
};

struct HandshakeResult {
  AcceptKey accept{};
  std::string_view subprotocol;  // chosen (a view into the request), or empty
  std::optional<PerMessageDeflateParams> permessage_deflate;
};

// Negotiates and appends the 101 Switching Protocols response (section
// 4.2.2 item 5) for a request that Parse() accepted.
HandshakeResult AppendAcceptResponse(const UpgradeRequest& request,
                                     const HandshakeConfig& config, std::string& out);

// The HTTP status for a Parse() error: 400, 426 or 431 (see file comment).
int HttpStatusFor(const absl::Status& error);

// Appends the error response for a Parse() error: status line, Connection:
// close, Sec-WebSocket-Version: 13 for 426 (section 4.4), and the error
// message as a text/plain body.
void AppendErrorResponse(const absl::Status& error, std::string& out);

}  // namespace wsbench

#endif  // WSBENCH_HANDSHAKE_H_
