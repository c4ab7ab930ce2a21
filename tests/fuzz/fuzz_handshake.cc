// libFuzzer target for the upgrade-request parser (handshake.h, RFC 6455
// section 4.2.1). Input: byte 0 picks the read sizes; the rest is the bytes a
// client sends. Invariants: parsing incrementally (the received prefix grows
// read by read) gives the same verdict as parsing everything at once; a
// complete request used at most the bytes received and its key is a valid
// 16-byte base64 key; errors are statuses with a message that map to 400,
// 426 or 431 and produce an error response; the 101 response for an accepted
// request carries the accept key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "wsbench/handshake.h"

namespace {

struct Verdict {
  bool error = false;
  bool complete = false;
  size_t size = 0;
  absl::StatusCode code = absl::StatusCode::kOk;
};

Verdict Check(wsbench::UpgradeRequestParser& parser, std::string_view received,
              const absl::StatusOr<wsbench::ParseResult>& r) {
  Verdict v;
  if (!r.ok()) {
    v.error = true;
    v.code = r.status().code();
    WSBENCH_FUZZ_CHECK(!r.status().message().empty());
    const int http = wsbench::HttpStatusFor(r.status());
    WSBENCH_FUZZ_CHECK(http == 400 || http == 426 || http == 431);
    std::string out;
    wsbench::AppendErrorResponse(r.status(), out);
    WSBENCH_FUZZ_CHECK(out.rfind("HTTP/1.1 " + std::to_string(http), 0) == 0);
    return v;
  }
  if (*r == wsbench::ParseResult::kComplete) {
    const wsbench::UpgradeRequest& req = parser.request();
    v.complete = true;
    v.size = req.size;
    WSBENCH_FUZZ_CHECK(req.size > 0 && req.size <= received.size());
    WSBENCH_FUZZ_CHECK(wsbench::IsValidWebSocketKey(req.key));
    std::string out;
    const wsbench::HandshakeResult result =
        wsbench::AppendAcceptResponse(req, wsbench::HandshakeConfig{}, out);
    WSBENCH_FUZZ_CHECK(out.rfind("HTTP/1.1 101", 0) == 0);
    WSBENCH_FUZZ_CHECK(out.find(std::string_view(result.accept.data(),
                                                 result.accept.size())) !=
                       std::string::npos);
  }
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t seed = data[0];
  const std::string all(reinterpret_cast<const char*>(data + 1), size - 1);

  wsbench::UpgradeRequestParser whole_parser;
  const Verdict whole = Check(whole_parser, all, whole_parser.Parse(all));

  wsbench::UpgradeRequestParser parser;
  Verdict split;
  uint32_t state = seed | 1u;
  size_t have = 0;
  while (true) {
    state = state * 1103515245u + 12345u;
    have = std::min(all.size(), have + 1 + (state >> 16) % 64);
    const std::string_view received(all.data(), have);
    split = Check(parser, received, parser.Parse(received));
    if (split.error || split.complete || have == all.size()) break;
  }
  WSBENCH_FUZZ_CHECK(whole.error == split.error);
  WSBENCH_FUZZ_CHECK(whole.complete == split.complete);
  if (whole.complete) WSBENCH_FUZZ_CHECK(whole.size == split.size);
  if (whole.error) WSBENCH_FUZZ_CHECK(whole.code == split.code);
  return 0;
}
