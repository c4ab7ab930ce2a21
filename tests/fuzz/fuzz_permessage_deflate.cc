// libFuzzer target for permessage-deflate (permessage_deflate.h, RFC 7692).
// Input: byte 0 picks the parameters (context takeover, window bits); the
// rest is (a) an arbitrary compressed payload the server must inflate safely
// and (b) a message that must round-trip client -> server.
// Invariants: Decompress of arbitrary bytes returns data within the size
// limit or a status with a message; a message compressed by a client-role
// instance inflates exactly on the server-role instance, twice in a row (the
// second exercises context takeover).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "wsbench/permessage_deflate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data + 1),
                               size - 1);
  wsbench::PerMessageDeflateParams params;
  params.server_no_context_takeover = flags & 1;
  params.client_no_context_takeover = flags & 2;
  params.server_max_window_bits = 9 + ((flags >> 2) & 7) % 7;  // 9..15
  params.client_max_window_bits = 9 + ((flags >> 5) & 7) % 7;
  wsbench::PerMessageDeflateOptions server_options;
  server_options.role = wsbench::Role::kServer;
  server_options.max_message_size = 1 << 20;
  wsbench::PerMessageDeflateOptions client_options = server_options;
  client_options.role = wsbench::Role::kClient;

  auto server = wsbench::PerMessageDeflate::Create(params, server_options);
  auto client = wsbench::PerMessageDeflate::Create(params, client_options);
  WSBENCH_FUZZ_CHECK(server.ok() && client.ok());

  {
    auto garbage = wsbench::PerMessageDeflate::Create(params, server_options);
    WSBENCH_FUZZ_CHECK(garbage.ok());
    absl::StatusOr<std::string_view> out = (*garbage)->Decompress(input);
    if (out.ok()) {
      WSBENCH_FUZZ_CHECK(out->size() <= server_options.max_message_size);
    } else {
      WSBENCH_FUZZ_CHECK(!out.status().message().empty());
    }
  }

  for (int round = 0; round < 2; ++round) {
    absl::StatusOr<std::string_view> compressed = (*client)->Compress(input);
    WSBENCH_FUZZ_CHECK(compressed.ok());
    const std::string wire(*compressed);
    absl::StatusOr<std::string_view> back = (*server)->Decompress(wire);
    WSBENCH_FUZZ_CHECK(back.ok());
    WSBENCH_FUZZ_CHECK(*back == input);
  }
  return 0;
}
