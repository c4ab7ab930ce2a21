#include "wsbench/gzip_codec.h"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <string>

#include "fmt/format.h"

namespace wsbench {
namespace {

// windowBits 15 (32 KiB window) + 16: write/read the gzip wrapper (RFC 1952)
// instead of zlib's (RFC 1950).
constexpr int kGzipWindowBits = 15 + 16;
// First output buffer size for Decompress, before growth.
constexpr size_t kMinInflateBuffer = 4096;

std::string ZlibMessage(const z_stream& stream, int rc) {
  if (stream.msg != nullptr) return stream.msg;
  return fmt::format("zlib error {}", rc);
}

// GzipOptions::level -1 means the default for either backend.
constexpr int kDefaultLevel = 6;

}  // namespace

std::string_view GzipBackendName(GzipBackend backend) {
  switch (backend) {
    case GzipBackend::kZlib:
      return "zlib";
    case GzipBackend::kLibdeflate:
      return "libdeflate";
  }
  return "?";
}

void GzipCodec::StreamDeleter::operator()(z_stream_s* stream) const {
  delete stream;
}

void GzipCodec::CompressorDeleter::operator()(
    libdeflate_compressor* compressor) const {
  libdeflate_free_compressor(compressor);
}

GzipCodec::GzipCodec(const GzipOptions& options) : options_(options) {}

GzipCodec::~GzipCodec() {
  if (deflate_ != nullptr) deflateEnd(deflate_.get());
  if (inflate_ != nullptr) inflateEnd(inflate_.get());
}

absl::StatusOr<std::unique_ptr<GzipCodec>> GzipCodec::Create(
    const GzipOptions& options) {
  const bool zlib = options.backend == GzipBackend::kZlib;
  const int max_level = zlib ? 9 : 12;
  if (options.backend != GzipBackend::kZlib &&
      options.backend != GzipBackend::kLibdeflate) {
    return absl::InvalidArgumentError(fmt::format(
        "unknown gzip backend {}", static_cast<int>(options.backend)));
  }
  if (options.level < -1 || options.level > max_level) {
    return absl::InvalidArgumentError(fmt::format(
        "gzip level {} out of range for {} (-1 for default, 0..{})",
        options.level, GzipBackendName(options.backend), max_level));
  }
  if (options.mem_level < 1 || options.mem_level > 9) {
    return absl::InvalidArgumentError(fmt::format(
        "zlib mem_level {} out of range (1..9)", options.mem_level));
  }
  std::unique_ptr<GzipCodec> codec(new GzipCodec(options));
  const int level = options.level == -1 ? kDefaultLevel : options.level;
  if (!zlib) {
    codec->libdeflate_.reset(libdeflate_alloc_compressor(level));
    if (codec->libdeflate_ == nullptr) {
      return absl::InternalError(fmt::format(
          "libdeflate_alloc_compressor(level {}) failed (out of memory)",
          level));
    }
    return codec;
  }
  Stream stream(new z_stream{});
  const int rc = deflateInit2(stream.get(), level, Z_DEFLATED, kGzipWindowBits,
                              options.mem_level, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    return absl::InternalError(fmt::format(
        "deflateInit2(level {}) failed: {}", options.level,
        ZlibMessage(*stream, rc)));
  }
  codec->deflate_ = std::move(stream);
  return codec;
}

absl::Status GzipCodec::InitInflate() {
  Stream stream(new z_stream{});
  const int rc = inflateInit2(stream.get(), kGzipWindowBits);
  if (rc != Z_OK) {
    return absl::InternalError(
        fmt::format("inflateInit2 failed: {}", ZlibMessage(*stream, rc)));
  }
  inflate_ = std::move(stream);
  return absl::OkStatus();
}

absl::StatusOr<GzipResult> GzipCodec::Compress(std::string_view input) {
  GzipResult result;
  result.input_size = input.size();
  if (input.size() < options_.min_size) {
    result.data = input;
    result.output_size = input.size();
    ++passed_through_count_;
    return result;
  }
  if (input.size() > UINT_MAX) {
    return absl::InvalidArgumentError(fmt::format(
        "message of {} bytes is too large for one gzip call (limit {})",
        input.size(), UINT_MAX));
  }
  absl::StatusOr<size_t> out =
      libdeflate_ != nullptr ? CompressLibdeflate(input) : CompressZlib(input);
  if (!out.ok()) return out.status();
  result.data = std::string_view(
      reinterpret_cast<const char*>(deflate_out_.data()), *out);
  result.compressed = true;
  result.output_size = *out;
  ++compressed_count_;
  return result;
}

absl::StatusOr<size_t> GzipCodec::CompressZlib(std::string_view input) {
  z_stream& s = *deflate_;
  int rc = deflateReset(&s);
  if (rc != Z_OK) {
    return absl::InternalError(
        fmt::format("deflateReset failed: {}", ZlibMessage(s, rc)));
  }
  // deflateBound covers the gzip header and trailer too, so one deflate call
  // with Z_FINISH always completes.
  const uLong bound = deflateBound(&s, static_cast<uLong>(input.size()));
  if (deflate_out_.size() < bound) deflate_out_.resize(bound);
  s.next_in =
      reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));  // zlib API
  s.avail_in = static_cast<uInt>(input.size());
  s.next_out = deflate_out_.data();
  s.avail_out = static_cast<uInt>(bound);
  rc = deflate(&s, Z_FINISH);
  if (rc != Z_STREAM_END) {
    return absl::InternalError(fmt::format(
        "deflate of a {}-byte message did not finish: {} (after {} input "
        "bytes)",
        input.size(), ZlibMessage(s, rc), input.size() - s.avail_in));
  }
  return bound - s.avail_out;
}

absl::StatusOr<size_t> GzipCodec::CompressLibdeflate(std::string_view input) {
  // The bound covers the gzip header and trailer, so the call cannot run out
  // of room; 0 from it would mean a libdeflate bug.
  const size_t bound =
      libdeflate_gzip_compress_bound(libdeflate_.get(), input.size());
  if (deflate_out_.size() < bound) deflate_out_.resize(bound);
  const size_t out =
      libdeflate_gzip_compress(libdeflate_.get(), input.data(), input.size(),
                               deflate_out_.data(), deflate_out_.size());
  if (out == 0) {
    return absl::InternalError(fmt::format(
        "libdeflate_gzip_compress of a {}-byte message did not fit its own "
        "bound of {} bytes",
        input.size(), bound));
  }
  return out;
}

absl::StatusOr<std::string_view> GzipCodec::Decompress(std::string_view gzip) {
  if (gzip.empty()) {
    return absl::InvalidArgumentError("empty gzip input (no member header)");
  }
  if (gzip.size() > UINT_MAX) {
    return absl::InvalidArgumentError(fmt::format(
        "gzip input of {} bytes is too large for one call", gzip.size()));
  }
  if (inflate_ == nullptr) {
    if (absl::Status s = InitInflate(); !s.ok()) return s;
  }
  z_stream& s = *inflate_;
  int rc = inflateReset(&s);
  if (rc != Z_OK) {
    return absl::InternalError(
        fmt::format("inflateReset failed: {}", ZlibMessage(s, rc)));
  }
  const size_t limit = options_.max_inflated_size;
  // One byte over the limit is room enough to detect "exceeds".
  const size_t cap = limit == SIZE_MAX ? limit : limit + 1;
  if (inflate_out_.empty()) {
    const size_t first =
        std::min(cap, std::max(kMinInflateBuffer, 4 * gzip.size()));
    inflate_out_.reserve(first);
    inflate_out_.resize(first);
  }
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gzip.data()));
  s.avail_in = static_cast<uInt>(gzip.size());
  size_t out = 0;
  int members = 0;
  size_t member_start = 0;
  for (;;) {
    if (out == inflate_out_.size()) {
      if (inflate_out_.size() >= cap) {
        return absl::ResourceExhaustedError(fmt::format(
            "inflated size exceeds the limit of {} bytes after {} of {} input "
            "bytes (compression bomb?)",
            limit, gzip.size() - s.avail_in, gzip.size()));
      }
      const size_t grown =
          std::min(cap, std::max(kMinInflateBuffer, 2 * inflate_out_.size()));
      // Exactly `grown`: resize alone may double the capacity past the cap.
      inflate_out_.reserve(grown);
      inflate_out_.resize(grown);
    }
    const size_t room = std::min<size_t>(inflate_out_.size() - out, UINT_MAX);
    s.next_out = inflate_out_.data() + out;
    s.avail_out = static_cast<uInt>(room);
    rc = inflate(&s, Z_NO_FLUSH);
    out += room - s.avail_out;
    if (out > limit) {
      return absl::ResourceExhaustedError(fmt::format(
          "inflated size exceeds the limit of {} bytes after {} of {} input "
          "bytes (compression bomb?)",
          limit, gzip.size() - s.avail_in, gzip.size()));
    }
    const size_t consumed = gzip.size() - s.avail_in;
    switch (rc) {
      case Z_STREAM_END:
        ++members;
        if (s.avail_in == 0) {
          return std::string_view(
              reinterpret_cast<const char*>(inflate_out_.data()), out);
        }
        // RFC 1952 section 2.2: a gzip file is a series of members.
        member_start = consumed;
        rc = inflateReset(&s);
        if (rc != Z_OK) {
          return absl::InternalError(
              fmt::format("inflateReset failed: {}", ZlibMessage(s, rc)));
        }
        break;
      case Z_OK:
        break;
      case Z_BUF_ERROR:
        if (s.avail_in == 0) {
          return absl::InvalidArgumentError(fmt::format(
              "truncated gzip input: {} bytes end inside member {} (started "
              "at byte {}) before its trailer",
              gzip.size(), members + 1, member_start));
        }
        break;  // output full: grow and continue
      case Z_DATA_ERROR: {
        const std::string what = ZlibMessage(s, rc);
        if (what == "incorrect data check" ||
            what == "incorrect length check") {
          return absl::DataLossError(fmt::format(
              "corrupt gzip member {} (started at byte {}): {} in the "
              "trailer (CRC32/ISIZE, RFC 1952 section 2.3.1) near byte {}",
              members + 1, member_start, what, consumed));
        }
        if (members > 0 && consumed - member_start < 10) {
          return absl::InvalidArgumentError(fmt::format(
              "{} bytes of trailing data after gzip member {} ending at byte "
              "{}: {}",
              gzip.size() - member_start, members, member_start, what));
        }
        return absl::InvalidArgumentError(fmt::format(
            "corrupt gzip member {} (started at byte {}): {} near byte {}",
            members + 1, member_start, what, consumed));
      }
      case Z_MEM_ERROR:
        return absl::ResourceExhaustedError(fmt::format(
            "zlib out of memory inflating at byte {}", consumed));
      default:  // Z_NEED_DICT, Z_STREAM_ERROR
        return absl::InvalidArgumentError(
            fmt::format("gzip inflate error at byte {}: {}", consumed,
                        ZlibMessage(s, rc)));
    }
  }
}

}  // namespace wsbench
