// libFuzzer target for gzip (gzip_codec.h). Invariants: Decompress of
// arbitrary bytes returns data or a status with a message (never crashes,
// never more than max_inflated_size); Compress then Decompress of the input
// round-trips exactly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "wsbench/gzip_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static wsbench::GzipCodec* codec = [] {
    wsbench::GzipOptions options;
    options.min_size = 0;
    options.max_inflated_size = 1 << 20;
    auto created = wsbench::GzipCodec::Create(options);
    if (!created.ok()) std::abort();
    return created->release();
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<std::string_view> inflated = codec->Decompress(input);
  if (inflated.ok()) {
    WSBENCH_FUZZ_CHECK(inflated->size() <= codec->options().max_inflated_size);
  } else {
    WSBENCH_FUZZ_CHECK(!inflated.status().message().empty());
  }

  absl::StatusOr<wsbench::GzipResult> compressed = codec->Compress(input);
  WSBENCH_FUZZ_CHECK(compressed.ok());
  if (compressed->compressed) {
    const std::string copy(compressed->data);
    absl::StatusOr<std::string_view> back = codec->Decompress(copy);
    WSBENCH_FUZZ_CHECK(back.ok());
    WSBENCH_FUZZ_CHECK(*back == input);
  } else {
    WSBENCH_FUZZ_CHECK(compressed->data == input);
  }
  return 0;
}
