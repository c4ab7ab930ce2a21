// permessage-deflate (RFC 7692): the per-connection compressor/decompressor
// for WebSocket message payloads, its negotiated parameters and its memory.
//
// Negotiation of the client's offer happens in the handshake (see
// NegotiatePerMessageDeflate in handshake.h); this file turns the agreed
// PerMessageDeflateParams into zlib streams:
//   - outgoing messages (section 7.2.1): raw DEFLATE (zlib windowBits < 0),
//     Z_SYNC_FLUSH at the end of each message, and the trailing
//     00 00 ff ff of the empty stored block stripped; the frame carrying the
//     result has RSV1 set on its first frame.
//   - incoming messages (section 7.2.2): the payload of all the message's
//     frames, with 00 00 ff ff appended, inflated; a limit on the inflated
//     size stops decompression bombs.
//   - context takeover (section 7.1.1): without "no_context_takeover" the
//     LZ77 window carries over from message to message; with it the stream is
//     reset after each message (deflateReset/inflateReset keep the memory).
//
// Data layout: two z_streams (one deflate, one inflate) and two output
// buffers (std::string, grown geometrically, never shrunk) per connection.
// After the buffers have grown to the largest message seen, Compress and
// Decompress allocate nothing (zlib allocates only in deflateInit2 and on the
// first inflate). The z_streams live in one heap block (zlib keeps a pointer
// back to its z_stream, so they must not move); the object is not copyable.
//
// Memory per connection (zlib's documented formulas, zconf.h "memory
// requirements"; measured() counts what zlib actually allocated):
//   deflate: (1 << (windowBits + 2)) + (1 << (memLevel + 9)) + ~6 KiB
//   inflate: (1 << windowBits) + ~7 KiB (the window is allocated lazily, on
//            the first compressed message)
//   e.g. windowBits 15, memLevel 8: deflate 256 KiB + inflate 32 KiB + ~13 KiB
//        windowBits 9,  memLevel 1: deflate 2 KiB + 1 KiB + inflate 0.5 KiB + ~13 KiB
// plus the two output buffers (largest compressed / inflated message).
//
// Cost: one deflate() per outgoing message, one or two inflate() calls per
// incoming frame; O(message size). Thread-compatible: one object per
// connection, used by one thread at a time.
//
//   wsbench::PerMessageDeflateParams params;  // from the handshake
//   auto codec = wsbench::PerMessageDeflate::Create(params, {});
//   absl::StatusOr<std::string_view> wire = (*codec)->Compress(R"({"a":1})");
//   // send *wire in a frame with rsv1 = true ...
//   absl::StatusOr<std::string_view> text = (*codec)->Decompress(frame_payload);
#ifndef WSBENCH_PERMESSAGE_DEFLATE_H_
#define WSBENCH_PERMESSAGE_DEFLATE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wsbench {

// The parameters both ends agreed on (RFC 7692 section 7.1). Window sizes are
// base-2 logarithms of the LZ77 window, 8..15 (zlib's raw deflate cannot
// compress with 8, so a server never agrees to server_max_window_bits=8).
struct PerMessageDeflateParams {
  bool server_no_context_takeover = false;  // 7.1.1.1
  bool client_no_context_takeover = false;  // 7.1.1.2
  int server_max_window_bits = 15;          // 7.1.2.1
  int client_max_window_bits = 15;          // 7.1.2.2

  friend bool operator==(const PerMessageDeflateParams&,
                         const PerMessageDeflateParams&) = default;
};

// A server's policy for negotiating permessage-deflate (see
// NegotiatePerMessageDeflate in handshake.h) and for its zlib streams.
struct PerMessageDeflateConfig {
  // Largest window the server compresses with; a smaller value saves memory
  // (deflate memory grows as 4 << bits). 9..15.
  int server_max_window_bits = 15;
  // Largest window the server asks the client to compress with (only
  // enforceable when the client offered client_max_window_bits). 8..15.
  int client_max_window_bits = 15;
  // Always reset the server's compressor per message (saves nothing in
  // memory with zlib, but lets a server drop idle state).
  bool server_no_context_takeover = false;
  // Ask the client to reset its compressor per message.
  bool client_no_context_takeover = false;
};

// Which end of the connection the codec is: a server compresses with the
// server_* parameters and inflates with the client_* ones; a client (tests,
// benchmarks) the other way round.
enum class Role : uint8_t { kServer, kClient };

struct PerMessageDeflateOptions {
  Role role = Role::kServer;
  int level = 6;      // zlib compression level 0..9 (6 = Z_DEFAULT_COMPRESSION)
  int mem_level = 8;  // zlib memLevel 1..9 (deflate memory 1 << (memLevel + 9))
  // Largest inflated message; larger fails with ResourceExhausted (the
  // connection should close with 1009, RFC 6455 section 7.4.1).
  size_t max_message_size = size_t{16} << 20;
};

// zlib state sizes in bytes for one connection.
struct PerMessageDeflateMemory {
  size_t deflate_bytes = 0;
  size_t inflate_bytes = 0;
  size_t total() const { return deflate_bytes + inflate_bytes; }
};

class PerMessageDeflate {
 public:
  // Initializes both zlib streams. InvalidArgument for parameters out of
  // range, ResourceExhausted when zlib cannot allocate.
  static absl::StatusOr<std::unique_ptr<PerMessageDeflate>> Create(
      const PerMessageDeflateParams& params,
      const PerMessageDeflateOptions& options = {});

  // zlib's documented sizes (see the file comment) for `params` at
  // `options.role` and `options.mem_level`: the deflate state
  // (1 << (w + 2)) + (1 << (memLevel + 9)) + 6 KiB and the inflate state
  // (1 << w) + 7 KiB, w being the window this end compresses / inflates with.
  static PerMessageDeflateMemory EstimateMemory(
      const PerMessageDeflateParams& params,
      const PerMessageDeflateOptions& options = {});

  PerMessageDeflate(const PerMessageDeflate&) = delete;
  PerMessageDeflate& operator=(const PerMessageDeflate&) = delete;
  ~PerMessageDeflate();

  // Compresses one whole message (RFC 7692 section 7.2.1) and returns the
  // payload to send (the 00 00 ff ff tail stripped). The view points into an
  // internal buffer, valid until the next Compress(). Internal error only if
  // zlib fails (it does not for valid streams).
  absl::StatusOr<std::string_view> Compress(std::string_view message);

  // Inflates the payload of one frame of a compressed message (section
  // 7.2.2); call with fin = true on the message's last frame (or once with the
  // whole message payload, as FrameDecoder reassembles it). Returns the
  // message inflated so far (the whole message when fin), in an internal
  // buffer valid until the next Decompress(). Errors: InvalidArgument for
  // data that is not DEFLATE (close code 1007), ResourceExhausted when the
  // message inflates beyond options.max_message_size (close code 1009). After
  // an error, call ResetDecompressor() or close the connection.
  absl::StatusOr<std::string_view> Decompress(std::string_view payload,
                                              bool fin = true);

  // Drops any partial incoming message and the inflate context.
  void ResetDecompressor();

  // What zlib has actually allocated for this connection (counted through
  // zalloc/zfree), and the two output buffers' capacities.
  PerMessageDeflateMemory measured() const;
  size_t buffer_bytes() const { return out_.capacity() + in_.capacity(); }

  const PerMessageDeflateParams& params() const { return params_; }
  const PerMessageDeflateOptions& options() const { return options_; }

 private:
  struct ZStreams;
  PerMessageDeflate(const PerMessageDeflateParams& params,
                    const PerMessageDeflateOptions& options);
  absl::Status Init();
  absl::Status InflateChunk(const unsigned char* data, size_t size);

  PerMessageDeflateParams params_;
  PerMessageDeflateOptions options_;
  bool compress_reset_ = false;    // no_context_takeover for what we send
  bool decompress_reset_ = false;  // no_context_takeover for what we receive
  int compress_bits_ = 15;
  int decompress_bits_ = 15;
  bool in_message_ = false;     // a fragmented incoming message is open
  bool stream_ended_ = false;   // the message ended with a BFINAL block
  size_t inflated_ = 0;         // bytes of in_ holding the message so far
  size_t payload_bytes_ = 0;    // compressed bytes of the message so far
  std::unique_ptr<ZStreams> z_;
  std::string out_;  // compressed output (size == capacity in use)
  std::string in_;   // inflated output
};

}  // namespace wsbench

#endif  // WSBENCH_PERMESSAGE_DEFLATE_H_
