// permessage-deflate (RFC 7692 section 7.2) on zlib raw DEFLATE streams.
#include "wsbench/permessage_deflate.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "fmt/format.h"

namespace wsbench {
namespace {

// The empty stored block a Z_SYNC_FLUSH ends with (RFC 7692 section 7.2.1).
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};
constexpr size_t kMinBuffer = 256;

// zalloc/zfree that count live bytes per stream, so measured() reports what
// zlib really holds. A 16-byte prefix keeps the size and the alignment.
struct AllocCounter {
  size_t live = 0;
};

void* CountingAlloc(void* opaque, unsigned items, unsigned size) {
  const size_t bytes = size_t{items} * size;
  auto* p = static_cast<unsigned char*>(std::malloc(bytes + 16));
  if (p == nullptr) return nullptr;
  std::memcpy(p, &bytes, sizeof(bytes));
  static_cast<AllocCounter*>(opaque)->live += bytes;
  return p + 16;
}

void CountingFree(void* opaque, void* address) {
  if (address == nullptr) return;
  auto* p = static_cast<unsigned char*>(address) - 16;
  size_t bytes;
  std::memcpy(&bytes, p, sizeof(bytes));
  static_cast<AllocCounter*>(opaque)->live -= bytes;
  std::free(p);
}

bool ValidBits(int bits) { return bits >= 8 && bits <= 15; }

// Grows `buffer` (size used as capacity) to at least `want` bytes, at least
// doubling, capped at `cap` (0 = no cap).
void Grow(std::string& buffer, size_t want, size_t cap) {
  size_t n = std::max({want, buffer.size() * 2, kMinBuffer});
  if (cap != 0) n = std::min(n, std::max(cap, want));
  buffer.resize(n);
}

}  // namespace

struct PerMessageDeflate::ZStreams {
  z_stream deflate{};
  z_stream inflate{};
  AllocCounter deflate_memory;
  AllocCounter inflate_memory;
  bool deflate_ready = false;
  bool inflate_ready = false;

  ~ZStreams() {
    if (deflate_ready) deflateEnd(&deflate);
    if (inflate_ready) inflateEnd(&inflate);
  }
};

PerMessageDeflate::PerMessageDeflate(const PerMessageDeflateParams& params,
                                     const PerMessageDeflateOptions& options)
    : params_(params), options_(options), z_(std::make_unique<ZStreams>()) {
  const bool server = options.role == Role::kServer;
  compress_reset_ = server ? params.server_no_context_takeover
                           : params.client_no_context_takeover;
  decompress_reset_ = server ? params.client_no_context_takeover
                             : params.server_no_context_takeover;
  compress_bits_ = server ? params.server_max_window_bits : params.client_max_window_bits;
  decompress_bits_ = server ? params.client_max_window_bits : params.server_max_window_bits;
}

PerMessageDeflate::~PerMessageDeflate() = default;

absl::StatusOr<std::unique_ptr<PerMessageDeflate>> PerMessageDeflate::Create(
    const PerMessageDeflateParams& params, const PerMessageDeflateOptions& options) {
  if (!ValidBits(params.server_max_window_bits) ||
      !ValidBits(params.client_max_window_bits)) {
    return absl::InvalidArgumentError(fmt::format(
        "permessage-deflate: window bits must be 8..15 (server {}, client {})",
        params.server_max_window_bits, params.client_max_window_bits));
  }
  if (options.level < 0 || options.level > 9 || options.mem_level < 1 ||
      options.mem_level > 9) {
    return absl::InvalidArgumentError(
        fmt::format("permessage-deflate: level {} (0..9) or memLevel {} (1..9) out of range",
                    options.level, options.mem_level));
  }
  std::unique_ptr<PerMessageDeflate> codec(new PerMessageDeflate(params, options));
  if (codec->compress_bits_ == 8) {
    // zlib's raw deflate rejects an 8-bit window (zlib.h, deflateInit2).
    return absl::InvalidArgumentError(
        "permessage-deflate: zlib cannot compress with an 8-bit window");
  }
  absl::Status status = codec->Init();
  if (!status.ok()) return status;
  return codec;
}

absl::Status PerMessageDeflate::Init() {
  z_stream& d = z_->deflate;
  d.zalloc = CountingAlloc;
  d.zfree = CountingFree;
  d.opaque = &z_->deflate_memory;
  int rc = deflateInit2(&d, options_.level, Z_DEFLATED, -compress_bits_,
                        options_.mem_level, Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) {
    return absl::ResourceExhaustedError(
        fmt::format("permessage-deflate: deflateInit2 failed ({})", rc));
  }
  z_->deflate_ready = true;
  z_stream& i = z_->inflate;
  i.zalloc = CountingAlloc;
  i.zfree = CountingFree;
  i.opaque = &z_->inflate_memory;
  rc = inflateInit2(&i, -decompress_bits_);
  if (rc != Z_OK) {
    return absl::ResourceExhaustedError(
        fmt::format("permessage-deflate: inflateInit2 failed ({})", rc));
  }
  z_->inflate_ready = true;
  return absl::OkStatus();
}

PerMessageDeflateMemory PerMessageDeflate::EstimateMemory(
    const PerMessageDeflateParams& params, const PerMessageDeflateOptions& options) {
  const bool server = options.role == Role::kServer;
  int cbits = server ? params.server_max_window_bits : params.client_max_window_bits;
  const int dbits = server ? params.client_max_window_bits : params.server_max_window_bits;
  if (cbits == 8) cbits = 9;  // zlib compresses with at least a 9-bit window
  PerMessageDeflateMemory m;
  m.deflate_bytes = (size_t{1} << (cbits + 2)) + (size_t{1} << (options.mem_level + 9)) +
                    6 * 1024;
  m.inflate_bytes = (size_t{1} << dbits) + 7 * 1024;
  return m;
}

PerMessageDeflateMemory PerMessageDeflate::measured() const {
  return {z_->deflate_memory.live, z_->inflate_memory.live};
}

absl::StatusOr<std::string_view> PerMessageDeflate::Compress(std::string_view message) {
  z_stream& d = z_->deflate;
  const size_t bound = deflateBound(&d, message.size()) + 16;
  if (out_.size() < bound) Grow(out_, bound, 0);
  d.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  d.avail_in = static_cast<uInt>(message.size());
  size_t used = 0;
  for (;;) {
    d.next_out = reinterpret_cast<Bytef*>(out_.data() + used);
    d.avail_out = static_cast<uInt>(out_.size() - used);
    const int rc = deflate(&d, Z_SYNC_FLUSH);
    used = out_.size() - d.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      return absl::InternalError(fmt::format("permessage-deflate: deflate failed ({})", rc));
    }
    // Done when all input is taken and zlib stopped short of the buffer end
    // (a full buffer may hide pending flush output).
    if (d.avail_in == 0 && d.avail_out != 0) break;
    Grow(out_, out_.size() * 2, 0);
  }
  // An empty message right after a flush: zlib skips the duplicate flush and
  // writes nothing. Send the one byte 00 instead (RFC 7692 section 7.2.3.6):
  // with the tail restored it is a whole empty stored block, where an empty
  // payload + 00 00 ff ff would leave the peer's inflater mid-block.
  if (used == 0) return std::string_view(reinterpret_cast<const char*>(kTail), 1);
  // RFC 7692 section 7.2.1 step 2: remove the 00 00 ff ff tail.
  if (used < 4 || std::memcmp(out_.data() + used - 4, kTail, 4) != 0) {
    return absl::InternalError("permessage-deflate: sync flush did not end in 00 00 ff ff");
  }
  used -= 4;
  if (compress_reset_) deflateReset(&d);
  return std::string_view(out_.data(), used);
}

absl::Status PerMessageDeflate::InflateChunk(const unsigned char* data, size_t size) {
  z_stream& s = z_->inflate;
  const size_t limit = options_.max_message_size;
  s.next_in = const_cast<Bytef*>(data);
  s.avail_in = static_cast<uInt>(size);
  while (!stream_ended_) {
    if (inflated_ == in_.size()) {
      if (inflated_ > limit) break;  // reported below
      // Cap growth at limit + 1 so a bomb never makes us allocate more.
      Grow(in_, inflated_ + 1, limit + 1);
    }
    s.next_out = reinterpret_cast<Bytef*>(in_.data() + inflated_);
    s.avail_out = static_cast<uInt>(in_.size() - inflated_);
    const int rc = inflate(&s, Z_SYNC_FLUSH);
    inflated_ = in_.size() - s.avail_out;
    if (inflated_ > limit) {
      return absl::ResourceExhaustedError(fmt::format(
          "permessage-deflate: message inflates beyond the limit of {} bytes", limit));
    }
    switch (rc) {
      case Z_OK:
        // Done with this chunk once the input is used up and zlib stopped
        // short of the buffer's end (a full buffer may hide pending output).
        if (s.avail_in == 0 && s.avail_out != 0) return absl::OkStatus();
        break;
      case Z_STREAM_END:
        // The sender ended the message with a BFINAL block (RFC 7692 section
        // 7.2.3.4); the rest of this message's input (the tail) is ignored and
        // the next message starts a new stream.
        stream_ended_ = true;
        break;
      case Z_BUF_ERROR:
        // No progress possible: either the output is full (grow and retry) or
        // the input is used up.
        if (s.avail_out != 0) return absl::OkStatus();
        break;
      case Z_NEED_DICT:
      case Z_DATA_ERROR:
        return absl::InvalidArgumentError(fmt::format(
            "permessage-deflate: invalid DEFLATE data at inflated byte {}: {}", inflated_,
            s.msg != nullptr ? s.msg : "corrupt stream"));
      case Z_MEM_ERROR:
        return absl::ResourceExhaustedError("permessage-deflate: inflate out of memory");
      default:
        return absl::InternalError(fmt::format("permessage-deflate: inflate failed ({})", rc));
    }
  }
  if (inflated_ > limit) {
    return absl::ResourceExhaustedError(fmt::format(
        "permessage-deflate: message inflates beyond the limit of {} bytes", limit));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string_view> PerMessageDeflate::Decompress(std::string_view payload,
                                                               bool fin) {
  if (!in_message_) {
    in_message_ = true;
    inflated_ = 0;
    payload_bytes_ = 0;
    stream_ended_ = false;
  }
  payload_bytes_ += payload.size();
  absl::Status status =
      InflateChunk(reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  // An empty compressed message (some senders strip the tail of a skipped
  // flush down to nothing) is the empty message; the tail alone is not a
  // complete block, so it is not fed.
  if (status.ok() && fin && payload_bytes_ != 0) status = InflateChunk(kTail, sizeof(kTail));
  if (!status.ok()) {
    ResetDecompressor();
    return status;
  }
  const std::string_view message(in_.data(), inflated_);
  if (fin) {
    in_message_ = false;
    if (decompress_reset_ || stream_ended_) inflateReset(&z_->inflate);
  }
  return message;
}

void PerMessageDeflate::ResetDecompressor() {
  in_message_ = false;
  stream_ended_ = false;
  inflated_ = 0;
  inflateReset(&z_->inflate);
}

}  // namespace wsbench
