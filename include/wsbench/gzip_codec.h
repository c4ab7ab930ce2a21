// GzipCodec: gzip (RFC 1952) compression of messages with zlib or libdeflate,
// reusing one compressor and one inflate stream for every call.
//
// Backends (GzipOptions::backend): kZlib (the default) keeps one zlib deflate
// stream (gzip wrapper, windowBits 15+16) reset with deflateReset before each
// message; kLibdeflate keeps one libdeflate compressor, a whole-buffer encoder
// (no streaming, so permessage-deflate stays on zlib) that is several times
// faster than zlib at the same level with similar savings. Both write
// standard gzip members. Decompress always uses one zlib inflate stream
// (reset with inflateReset), which streams and so can stop at the size limit.
// The two output buffers only grow (to the compressor's bound for the largest
// message, and to the largest inflated message up to the limit). After
// warm-up neither Compress nor Decompress allocates.
//
// Compress: O(n) in the message size; a message shorter than min_size is not
// compressed and the result says so (`compressed == false`, `data` is the
// input itself) so the caller sends it as is. Each compressed result is one
// complete gzip member (RFC 1952 section 2.2: header, deflate data, CRC32,
// ISIZE) readable by `gzip -d`.
//
// Decompress: O(output). Reads one or more concatenated gzip members (RFC
// 1952 section 2.2) and stops with ResourceExhausted as soon as the inflated
// size would exceed max_inflated_size, so a compression bomb costs at most
// that much memory. Corrupt headers, bad CRC32/ISIZE, truncated input and
// other zlib errors return InvalidArgument / DataLoss naming what and at
// which input byte.
//
// Results are views into the codec's buffers (or the input): valid until the
// next call of the same kind on this codec.
//
// Thread safety: single-threaded (a codec per thread).
//
// Example:
//   WSBENCH_ASSIGN_OR_RETURN(auto codec,
//                            wsbench::GzipCodec::Create({.level = 6}));
//   WSBENCH_ASSIGN_OR_RETURN(wsbench::GzipResult r, codec->Compress(json));
//   Send(r.data, /*gzipped=*/r.compressed);
//   WSBENCH_ASSIGN_OR_RETURN(std::string_view back, codec->Decompress(r.data));
#ifndef WSBENCH_GZIP_CODEC_H_
#define WSBENCH_GZIP_CODEC_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

struct z_stream_s;             // zlib's z_stream, kept out of this header
struct libdeflate_compressor;  // libdeflate's, likewise

namespace wsbench {

// Which library writes the gzip members.
enum class GzipBackend : uint8_t {
  kZlib,        // zlib deflate: streaming, the reference.
  kLibdeflate,  // libdeflate: whole-buffer only, faster.
};

// "zlib" or "libdeflate".
std::string_view GzipBackendName(GzipBackend backend);

struct GzipOptions {
  // Compression level: 0 (store) .. 9 (best) with zlib, 0 .. 12 with
  // libdeflate; -1 = the default (6) for either.
  int level = 6;
  // Messages shorter than this are passed through uncompressed.
  size_t min_size = 128;
  // Decompress fails (ResourceExhausted) rather than inflate more than this.
  size_t max_inflated_size = size_t{16} << 20;
  // zlib memLevel 1..9 (8 is zlib's default); libdeflate ignores it.
  int mem_level = 8;
  // The compressor (Decompress always uses zlib).
  GzipBackend backend = GzipBackend::kZlib;
};

struct GzipResult {
  // The gzip member, or the input itself when !compressed.
  std::string_view data;
  bool compressed = false;
  size_t input_size = 0;
  size_t output_size = 0;  // == data.size()
  // (1 - output/input) x 100; 0 when passed through or empty; negative when
  // compression expanded the message (incompressible input).
  double savings_pct() const {
    return input_size == 0 ? 0.0
                           : 100.0 * (1.0 - static_cast<double>(output_size) /
                                                static_cast<double>(input_size));
  }
};

class GzipCodec {
 public:
  // InvalidArgument for a level outside -1..9 (zlib) or -1..12 (libdeflate)
  // or mem_level outside 1..9, Internal if the backend cannot initialize
  // (out of memory, version mismatch).
  static absl::StatusOr<std::unique_ptr<GzipCodec>> Create(
      const GzipOptions& options = {});

  ~GzipCodec();
  GzipCodec(const GzipCodec&) = delete;
  GzipCodec& operator=(const GzipCodec&) = delete;

  // Compresses `input` to one gzip member (or passes it through when shorter
  // than min_size). The view is valid until the next Compress. Internal on a
  // backend failure (never expected for valid input).
  absl::StatusOr<GzipResult> Compress(std::string_view input);

  // Inflates gzip data (one or more members). The view is valid until the
  // next Decompress. Errors: InvalidArgument for empty input, a corrupt
  // header or deflate data, trailing garbage, or a truncated stream;
  // DataLoss for a CRC32 or length mismatch in a trailer; ResourceExhausted
  // when the output would exceed max_inflated_size.
  absl::StatusOr<std::string_view> Decompress(std::string_view gzip);

  const GzipOptions& options() const { return options_; }
  // Messages compressed / passed through since creation.
  uint64_t compressed_count() const { return compressed_count_; }
  uint64_t passed_through_count() const { return passed_through_count_; }
  // Bytes held for Decompress output: never more than max_inflated_size + 1
  // (one byte to detect "exceeds").
  size_t inflate_buffer_bytes() const { return inflate_out_.capacity(); }

 private:
  struct StreamDeleter {
    void operator()(z_stream_s* stream) const;
  };
  using Stream = std::unique_ptr<z_stream_s, StreamDeleter>;
  struct CompressorDeleter {
    void operator()(libdeflate_compressor* compressor) const;
  };
  using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

  explicit GzipCodec(const GzipOptions& options);
  absl::Status InitInflate();
  absl::StatusOr<size_t> CompressZlib(std::string_view input);
  absl::StatusOr<size_t> CompressLibdeflate(std::string_view input);

  GzipOptions options_;
  Stream deflate_;         // kZlib
  Compressor libdeflate_;  // kLibdeflate
  Stream inflate_;  // created on the first Decompress
  std::vector<unsigned char> deflate_out_;
  std::vector<unsigned char> inflate_out_;
  uint64_t compressed_count_ = 0;
  uint64_t passed_through_count_ = 0;
};

}  // namespace wsbench

#endif  // WSBENCH_GZIP_CODEC_H_
