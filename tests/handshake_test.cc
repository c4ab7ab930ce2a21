#include "wsbench/handshake.h"

#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"

namespace wsbench {
namespace {

// The request of RFC 6455 section 1.2 (with the version of section 4.1).
constexpr std::string_view kRfcRequest =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Protocol: chat, superchat\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(WSBENCH_TESTDATA_DIR) + "/handshake/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Replaces the first occurrence of `from` in `s` by `to`.
std::string Replace(std::string_view s, std::string_view from, std::string_view to) {
  std::string r(s);
  const size_t pos = r.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) r.replace(pos, from.size(), to);
  return r;
}

absl::Status ParseError(std::string_view request) {
  UpgradeRequestParser parser;
  absl::StatusOr<ParseResult> r = parser.Parse(request);
  if (r.ok()) return absl::OkStatus();
  return r.status();
}

TEST(AcceptKeyTest, Rfc6455Example) {
  const AcceptKey accept = ComputeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(std::string_view(accept.data(), accept.size()), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(AcceptKeyTest, OtherKnownKeys) {
  // Values computed independently (Python: base64(sha1(key + GUID))).
  AcceptKey a = ComputeAcceptKey("x3JJHMbDL1EzLkh9GBhXDw==");
  EXPECT_EQ(std::string_view(a.data(), a.size()), "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
  a = ComputeAcceptKey("AQIDBAUGBwgJCgsMDQ4PEA==");
  EXPECT_EQ(std::string_view(a.data(), a.size()), "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
}

TEST(AcceptKeyTest, KeyValidation) {
  EXPECT_TRUE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_TRUE(IsValidWebSocketKey("AAAAAAAAAAAAAAAAAAAAAA=="));
  EXPECT_TRUE(IsValidWebSocketKey("/////////////////////w=="));
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ="));    // 23 chars
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ=x"));   // bad padding
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZ!=="));   // bad char
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZR=="));   // non-zero pad bits
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ"));     // no padding
  EXPECT_FALSE(IsValidWebSocketKey("dGhlIHNhbXBsZSBub25jZQ==AAAA"));  // 19 bytes
  EXPECT_FALSE(IsValidWebSocketKey(""));
}

TEST(UpgradeRequestParserTest, ParsesRfcExample) {
  UpgradeRequestParser parser;
  absl::StatusOr<ParseResult> r = parser.Parse(kRfcRequest);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(*r, ParseResult::kComplete);
  const UpgradeRequest& req = parser.request();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/chat");
  EXPECT_EQ(req.host, "server.example.com");
  EXPECT_EQ(req.key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(req.origin, "http://example.com");
  ASSERT_EQ(req.subprotocols.size(), 2u);
  EXPECT_EQ(req.subprotocols[0], "chat");
  EXPECT_EQ(req.subprotocols[1], "superchat");
  EXPECT_EQ(req.size, kRfcRequest.size());
  EXPECT_EQ(req.headers.size(), 7u);
  EXPECT_EQ(req.Header("sec-websocket-version"), "13");
  EXPECT_EQ(req.Header("X-Missing"), "");
  // Zero copy: the views point into the input.
  EXPECT_EQ(req.host.data(), kRfcRequest.data() + kRfcRequest.find("server.example.com"));
}

TEST(UpgradeRequestParserTest, IncrementalAtEverySplit) {
  for (size_t cut = 0; cut < kRfcRequest.size(); ++cut) {
    UpgradeRequestParser parser;
    absl::StatusOr<ParseResult> r = parser.Parse(kRfcRequest.substr(0, cut));
    ASSERT_TRUE(r.ok()) << cut << ": " << r.status();
    EXPECT_EQ(*r, ParseResult::kNeedMore) << cut;
    r = parser.Parse(kRfcRequest);
    ASSERT_TRUE(r.ok()) << cut << ": " << r.status();
    EXPECT_EQ(*r, ParseResult::kComplete) << cut;
    EXPECT_EQ(parser.request().key, "dGhlIHNhbXBsZSBub25jZQ==");
  }
}

TEST(UpgradeRequestParserTest, ByteByByteAndTrailingFrameBytes) {
  std::string stream(kRfcRequest);
  stream += "\x81\x85";  // the client's first frame, already in the buffer
  UpgradeRequestParser parser;
  size_t complete_at = 0;
  for (size_t n = 1; n <= stream.size(); ++n) {
    absl::StatusOr<ParseResult> r = parser.Parse(std::string_view(stream).substr(0, n));
    ASSERT_TRUE(r.ok()) << r.status();
    if (*r == ParseResult::kComplete) {
      complete_at = n;
      break;
    }
  }
  EXPECT_EQ(complete_at, kRfcRequest.size());
  EXPECT_EQ(parser.request().size, kRfcRequest.size());
  // More bytes (frames that happen to hold CRLF CRLF) do not re-parse.
  stream += "\r\n\r\n";
  absl::StatusOr<ParseResult> again = parser.Parse(stream);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, ParseResult::kComplete);
  EXPECT_EQ(parser.request().size, kRfcRequest.size());
}

TEST(UpgradeRequestParserTest, SizeLimit) {
  std::string big = Replace(kRfcRequest, "Origin:", "X-Pad: " + std::string(300, 'a') + "\r\nOrigin:");
  UpgradeRequestParser small(256);
  absl::StatusOr<ParseResult> r = small.Parse(big);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(HttpStatusFor(r.status()), 431);
  // Without the end in sight, it fails as soon as the limit is passed.
  UpgradeRequestParser endless(256);
  r = endless.Parse(std::string_view(big).substr(0, 200));
  ASSERT_TRUE(r.ok());
  r = endless.Parse(std::string_view(big).substr(0, 257));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  // The default limit takes it.
  UpgradeRequestParser normal;
  EXPECT_TRUE(normal.Parse(big).ok());
}

TEST(UpgradeRequestParserTest, CaseInsensitiveNamesAndTokens) {
  const std::string req =
      "GET / HTTP/1.1\r\n"
      "HOST: a\r\n"
      "upgrade: WebSocket\r\n"
      "connection: keep-alive, UPGRADE\r\n"
      "sec-websocket-key:\tdGhlIHNhbXBsZSBub25jZQ==  \r\n"
      "SEC-WEBSOCKET-VERSION: 13\r\n"
      "\r\n";
  UpgradeRequestParser parser;
  absl::StatusOr<ParseResult> r = parser.Parse(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(parser.request().key, "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(parser.request().host, "a");
}

struct BadCase {
  const char* name;
  std::string request;
  int http_status;
  const char* message_part;
};

TEST(UpgradeRequestParserTest, RejectsBadRequests) {
  const std::string rfc(kRfcRequest);
  const BadCase cases[] = {
      {"post", Replace(rfc, "GET", "POST"), 400, "must be a GET"},
      {"http10", Replace(rfc, "HTTP/1.1", "HTTP/1.0"), 400, "HTTP/1.1"},
      {"no_target", Replace(rfc, "GET /chat ", "GET  "), 400, "request-target"},
      {"garbage_line", Replace(rfc, "GET /chat HTTP/1.1", "GARBAGE"), 400, "request line"},
      {"no_host", Replace(rfc, "Host: server.example.com\r\n", ""), 400, "missing Host"},
      {"two_hosts", Replace(rfc, "Host:", "Host: a\r\nHost:"), 400, "duplicate Host"},
      {"no_upgrade", Replace(rfc, "Upgrade: websocket\r\n", ""), 400, "Upgrade"},
      {"upgrade_h2c", Replace(rfc, "Upgrade: websocket", "Upgrade: h2c"), 400,
       "does not name websocket"},
      {"no_connection", Replace(rfc, "Connection: Upgrade\r\n", ""), 400, "Connection"},
      {"connection_close", Replace(rfc, "Connection: Upgrade", "Connection: close"), 400,
       "lacks the Upgrade token"},
      {"no_key", Replace(rfc, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400,
       "missing Sec-WebSocket-Key"},
      {"short_key", Replace(rfc, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), 400,
       "not base64 of 16 bytes"},
      {"two_keys", Replace(rfc, "Origin:", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nOrigin:"),
       400, "duplicate Sec-WebSocket-Key"},
      {"version_8", Replace(rfc, "Version: 13", "Version: 8"), 426, "only 13"},
      {"no_version", Replace(rfc, "Sec-WebSocket-Version: 13\r\n", ""), 426,
       "missing Sec-WebSocket-Version"},
      {"folding", Replace(rfc, "Origin: http://example.com\r\n", "Origin: http://\r\n example.com\r\n"),
       400, "folding"},
      {"space_before_colon", Replace(rfc, "Origin:", "Origin :"), 400, "malformed header"},
      {"no_colon", Replace(rfc, "Origin:", "Origin"), 400, "malformed header"},
      {"control_char", Replace(rfc, "example.com\r\nSec-WebSocket-Protocol", "exa\x01mple.com\r\nSec-WebSocket-Protocol"),
       400, "control character"},
      {"bad_subprotocol", Replace(rfc, "chat, superchat", "chat, sup(er)chat"), 400,
       "not a token"},
      {"bad_extension", Replace(rfc, "Origin:", "Sec-WebSocket-Extensions: permessage-deflate; =1\r\nOrigin:"),
       400, "parameter name"},
  };
  for (const BadCase& c : cases) {
    const absl::Status status = ParseError(c.request);
    ASSERT_FALSE(status.ok()) << c.name;
    EXPECT_EQ(HttpStatusFor(status), c.http_status) << c.name << ": " << status;
    EXPECT_NE(status.message().find(c.message_part), absl::string_view::npos)
        << c.name << ": " << status;
    EXPECT_NE(status.message().find("byte"), absl::string_view::npos)
        << c.name << " should say where: " << status;
  }
}

TEST(UpgradeRequestParserTest, ErrorSaysWhere) {
  const std::string req = Replace(kRfcRequest, "Version: 13", "Version: 7");
  const absl::Status status = ParseError(req);
  const size_t where = req.find("Version: 7") + 9;
  EXPECT_NE(status.message().find("at byte " + std::to_string(where)), absl::string_view::npos)
      << status;
}

TEST(UpgradeRequestParserTest, ResetReusesForNextConnection) {
  UpgradeRequestParser parser;
  ASSERT_TRUE(parser.Parse(kRfcRequest).ok());
  parser.Reset();
  const std::string other = Replace(kRfcRequest, "dGhlIHNhbXBsZSBub25jZQ==", "AQIDBAUGBwgJCgsMDQ4PEA==");
  absl::StatusOr<ParseResult> r = parser.Parse(other);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(parser.request().key, "AQIDBAUGBwgJCgsMDQ4PEA==");
  EXPECT_EQ(parser.request().subprotocols.size(), 2u);
}

TEST(ExtensionHeaderTest, ParsesOffersAndParams) {
  std::vector<ExtensionOffer> offers;
  std::vector<ExtensionParam> params;
  ASSERT_TRUE(ParseExtensionHeader(
                  "permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", "
                  "x-foo ,, permessage-deflate ;server_no_context_takeover",
                  0, offers, params)
                  .ok());
  ASSERT_EQ(offers.size(), 3u);
  EXPECT_EQ(offers[0].name, "permessage-deflate");
  EXPECT_EQ(offers[0].param_count, 2u);
  EXPECT_EQ(params[0].name, "client_max_window_bits");
  EXPECT_FALSE(params[0].has_value);
  EXPECT_EQ(params[1].name, "server_max_window_bits");
  EXPECT_TRUE(params[1].has_value);
  EXPECT_EQ(params[1].value, "10");
  EXPECT_EQ(offers[1].name, "x-foo");
  EXPECT_EQ(offers[1].param_count, 0u);
  EXPECT_EQ(offers[2].param_count, 1u);
  EXPECT_EQ(params[offers[2].first_param].name, "server_no_context_takeover");
}

TEST(ExtensionHeaderTest, SyntaxErrors) {
  for (std::string_view bad : {"permessage-deflate; a=", "permessage-deflate; a=\"1",
                               "permessage-deflate x", "; a", "permessage-deflate;;"}) {
    std::vector<ExtensionOffer> offers;
    std::vector<ExtensionParam> params;
    absl::Status s = ParseExtensionHeader(bad, 100, offers, params);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("at byte 1"), absl::string_view::npos) << s;
  }
}

std::string Negotiate(std::string_view extension_header, const PerMessageDeflateConfig& config,
                      std::optional<PerMessageDeflateParams>* params) {
  UpgradeRequest request;
  EXPECT_TRUE(
      ParseExtensionHeader(extension_header, 0, request.extensions, request.extension_params)
          .ok());
  std::string response;
  *params = NegotiatePerMessageDeflate(request, config, response);
  return response;
}

TEST(PerMessageDeflateNegotiationTest, PlainOffer) {
  std::optional<PerMessageDeflateParams> p;
  EXPECT_EQ(Negotiate("permessage-deflate", {}, &p), "permessage-deflate");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, PerMessageDeflateParams{});
}

TEST(PerMessageDeflateNegotiationTest, AllParameters) {
  std::optional<PerMessageDeflateParams> p;
  EXPECT_EQ(Negotiate("permessage-deflate; server_no_context_takeover; "
                      "client_no_context_takeover; server_max_window_bits=10; "
                      "client_max_window_bits=12",
                      {}, &p),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
            "server_max_window_bits=10; client_max_window_bits=12");
  ASSERT_TRUE(p.has_value());
  EXPECT_TRUE(p->server_no_context_takeover);
  EXPECT_TRUE(p->client_no_context_takeover);
  EXPECT_EQ(p->server_max_window_bits, 10);
  EXPECT_EQ(p->client_max_window_bits, 12);
}

TEST(PerMessageDeflateNegotiationTest, ServerPolicyLimitsWindows) {
  PerMessageDeflateConfig config;
  config.server_max_window_bits = 11;
  config.client_max_window_bits = 10;
  config.server_no_context_takeover = true;
  std::optional<PerMessageDeflateParams> p;
  // client_max_window_bits without a value: the server may pick one.
  EXPECT_EQ(Negotiate("permessage-deflate; client_max_window_bits", config, &p),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11; "
            "client_max_window_bits=10");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->server_max_window_bits, 11);
  EXPECT_EQ(p->client_max_window_bits, 10);
  // Not offered: the client window cannot be limited.
  EXPECT_EQ(Negotiate("permessage-deflate", config, &p),
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11");
  EXPECT_EQ(p->client_max_window_bits, 15);
  // The client's own smaller limit wins.
  Negotiate("permessage-deflate; server_max_window_bits=9", config, &p);
  EXPECT_EQ(p->server_max_window_bits, 9);
}

TEST(PerMessageDeflateNegotiationTest, ClientMaxWindowBitsWithoutValueNotEchoedAt15) {
  std::optional<PerMessageDeflateParams> p;
  EXPECT_EQ(Negotiate("permessage-deflate; client_max_window_bits", {}, &p),
            "permessage-deflate");
  EXPECT_EQ(p->client_max_window_bits, 15);
}

TEST(PerMessageDeflateNegotiationTest, DeclinesInvalidOffersPicksFirstAcceptable) {
  const char* invalid[] = {
      "permessage-deflate; foo",                            // unknown
      "permessage-deflate; server_no_context_takeover=1",   // value not allowed
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
      "permessage-deflate; server_max_window_bits",         // value required
      "permessage-deflate; server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=010",     // leading zero
      "permessage-deflate; server_max_window_bits=8",       // zlib cannot
      "permessage-deflate; client_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=1; client_max_window_bits=9",
  };
  for (const char* offer : invalid) {
    std::optional<PerMessageDeflateParams> p;
    EXPECT_EQ(Negotiate(offer, {}, &p), "") << offer;
    EXPECT_FALSE(p.has_value()) << offer;
    // A valid second offer is picked.
    EXPECT_EQ(Negotiate(std::string(offer) + ", permessage-deflate; client_max_window_bits=9",
                        {}, &p),
              "permessage-deflate; client_max_window_bits=9")
        << offer;
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->client_max_window_bits, 9);
  }
  // Other extensions are skipped; the first acceptable offer wins.
  std::optional<PerMessageDeflateParams> p;
  EXPECT_EQ(Negotiate("x-webkit-deflate-frame, permessage-deflate; server_max_window_bits=12, "
                      "permessage-deflate",
                      {}, &p),
            "permessage-deflate; server_max_window_bits=12");
}

TEST(PerMessageDeflateNegotiationTest, QuotedValue) {
  std::optional<PerMessageDeflateParams> p;
  EXPECT_EQ(Negotiate("permessage-deflate; client_max_window_bits=\"10\"", {}, &p),
            "permessage-deflate; client_max_window_bits=10");
}

TEST(AcceptResponseTest, RfcExampleWithSubprotocol) {
  UpgradeRequestParser parser;
  ASSERT_TRUE(parser.Parse(kRfcRequest).ok());
  const std::string_view supported[] = {"superchat", "chat"};
  HandshakeConfig config{supported, std::nullopt};
  std::string out;
  HandshakeResult result = AppendAcceptResponse(parser.request(), config, out);
  // The client's order decides: "chat" comes first in its list.
  EXPECT_EQ(result.subprotocol, "chat");
  EXPECT_FALSE(result.permessage_deflate.has_value());
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Protocol: chat\r\n"
            "\r\n");
}

TEST(AcceptResponseTest, NoCommonSubprotocolAndDeflate) {
  const std::string req = Replace(
      kRfcRequest, "Origin:",
      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\nOrigin:");
  UpgradeRequestParser parser;
  ASSERT_TRUE(parser.Parse(req).ok());
  const std::string_view supported[] = {"mqtt"};
  PerMessageDeflateConfig deflate;
  deflate.client_max_window_bits = 12;
  HandshakeConfig config{supported, deflate};
  std::string out;
  HandshakeResult result = AppendAcceptResponse(parser.request(), config, out);
  EXPECT_EQ(result.subprotocol, "");
  ASSERT_TRUE(result.permessage_deflate.has_value());
  EXPECT_EQ(result.permessage_deflate->client_max_window_bits, 12);
  EXPECT_EQ(out,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=12\r\n"
            "\r\n");
  // Compression disabled by the server: no extension header.
  out.clear();
  result = AppendAcceptResponse(parser.request(), HandshakeConfig{}, out);
  EXPECT_FALSE(result.permessage_deflate.has_value());
  EXPECT_EQ(out.find("Extensions"), std::string::npos);
}

TEST(ErrorResponseTest, Version426) {
  const absl::Status status = ParseError(Replace(kRfcRequest, "Version: 13", "Version: 8"));
  std::string out;
  AppendErrorResponse(status, out);
  EXPECT_EQ(out.rfind("HTTP/1.1 426 Upgrade Required\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  const size_t body = out.find("\r\n\r\n") + 4;
  EXPECT_EQ(out.substr(body), std::string(status.message()) + "\n");
  EXPECT_NE(out.find("Content-Length: " + std::to_string(out.size() - body)), std::string::npos);
}

TEST(ErrorResponseTest, BadRequest400) {
  const absl::Status status = ParseError(Replace(kRfcRequest, "GET", "PUT"));
  std::string out;
  AppendErrorResponse(status, out);
  EXPECT_EQ(out.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << out;
  EXPECT_EQ(out.find("Sec-WebSocket-Version"), std::string::npos);
  EXPECT_NE(out.find("must be a GET"), std::string::npos);
}

// Requests captured from clients (tests/testdata/handshake/*.txt; the
// wsproto ones are written by tests/interop/wsproto_interop.py).
TEST(HandshakeTestdataTest, GoodRequests) {
  for (const char* name : {"rfc6455.txt", "chrome.txt", "firefox.txt", "../interop/deflate_no_context.request.txt"}) {
    const std::string req = ReadTestdata(name);
    ASSERT_FALSE(req.empty()) << name;
    UpgradeRequestParser parser;
    absl::StatusOr<ParseResult> r = parser.Parse(req);
    ASSERT_TRUE(r.ok()) << name << ": " << r.status();
    EXPECT_EQ(*r, ParseResult::kComplete) << name;
    EXPECT_TRUE(IsValidWebSocketKey(parser.request().key)) << name;
  }
}

TEST(HandshakeTestdataTest, BrowserDeflateOffer) {
  const std::string req = ReadTestdata("chrome.txt");
  UpgradeRequestParser parser;
  ASSERT_TRUE(parser.Parse(req).ok());
  std::string out;
  HandshakeResult result =
      AppendAcceptResponse(parser.request(), HandshakeConfig{{}, PerMessageDeflateConfig{}}, out);
  ASSERT_TRUE(result.permessage_deflate.has_value()) << out;
  EXPECT_NE(out.find("Sec-WebSocket-Extensions: permessage-deflate"), std::string::npos);
}

}  // namespace
}  // namespace wsbench
