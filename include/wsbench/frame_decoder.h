// Incremental RFC 6455 (section 5) decoder for the frames a client sends to a
// server: header parsing, the protocol rules a server must enforce, in-place
// unmasking, message reassembly and UTF-8 validation of text.
//
// Feed it the bytes of each read as they arrive; Next() returns one event per
// complete message or control frame (kNeedMore when the input is used up).
// A header or payload may be cut at any byte between reads.
//
// Data layout and copies: a frame whose whole payload is in the caller's
// buffer is unmasked IN PLACE there; an unfragmented message (FIN set, opcode
// text/binary) is then handed out as a span of the caller's buffer: no copy.
// Only fragmented messages and frames cut between reads are copied, into the
// decoder's message buffer (a std::vector reused across messages: it
// allocates only when a message outgrows every earlier one). Control payloads
// cut between reads go to a fixed 125-byte array. A partial header (< 14
// bytes) is kept in a 14-byte array. sizeof(FrameDecoder) is about 250 bytes
// plus the message buffer's capacity.
//
// Rules enforced (section numbers of RFC 6455 unless stated):
//   5.1  client frames must be masked (option require_mask)            -> 1002
//   5.2  RSV1-3 must be 0 unless an extension allows them; RSV1 only on
//        the first frame of a data message (RFC 7692 6.1)              -> 1002
//   5.2  reserved opcodes 3-7, 0xB-0xF                                  -> 1002
//   5.2  length in the minimal number of bytes; 64-bit length MSB 0     -> 1002
//   5.4  continuation without a message / new message inside one       -> 1002
//   5.5  control frames: payload <= 125 bytes, FIN set                  -> 1002
//   5.5.1, 7.4 close: payload of 1 byte or a code not valid on the wire ->
//   1002,
//        reason not UTF-8                                               -> 1007
//   8.1  text messages must be valid UTF-8 (checked as bytes arrive,
//        across fragment boundaries: fail fast)                         -> 1007
//   10.4 frame and message size limits (checked from the header)       -> 1009
// After an error the decoder stays failed (the connection is to be closed
// with event.close_code); after a close frame it ignores further input.
//
// Cost: O(header) per frame plus one SIMD pass over the payload that unmasks
// it and, for text, tells whether it is all ASCII (unmask.h); only non-ASCII
// text then goes through simdjson's UTF-8 validator. A whole, unfragmented
// frame takes a short fast path. Thread-compatible: one decoder per
// connection.
//
//   wsbench::FrameDecoder decoder;
//   std::span<uint8_t> in(read_buffer, bytes_read);
//   for (;;) {
//     wsbench::FrameEvent ev = decoder.Next(in);
//     if (ev.type == wsbench::FrameEventType::kNeedMore) break;  // read more
//     if (ev.type == wsbench::FrameEventType::kError) {
//       SendClose(ev.close_code, decoder.status().message());
//       break;
//     }
//     if (ev.type == wsbench::FrameEventType::kMessage) Handle(ev.text());
//   }
#ifndef WSBENCH_FRAME_DECODER_H_
#define WSBENCH_FRAME_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "wsbench/frame.h"
#include "wsbench/unmask.h"
#include "wsbench/utf8.h"

namespace wsbench {

// Status codes of RFC 6455 section 7.4.1 (and the IANA registry, 11.7).
enum class CloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,
  kNoStatusReceived = 1005,  // never on the wire: "the close frame had no code"
  kAbnormalClosure = 1006,   // never on the wire
  kInvalidPayload = 1007,
  kPolicyViolation = 1008,
  kMessageTooBig = 1009,
  kMandatoryExtension = 1010,
  kInternalError = 1011,
};

// True for a status code a peer may send in a close frame (section 7.4.1/7.4.2
// and the IANA registry): 1000-1003, 1007-1014, 3000-4999. 1004-1006 and 1015
// are reserved, 0-999 and 1016-2999 unassigned, >= 5000 undefined.
bool IsValidWireCloseCode(uint16_t code);

// Why the decoder stopped (the hot path's small enum; status() turns it into
// an absl::Status with the details).
enum class FrameError : uint8_t {
  kNone = 0,
  kUnmaskedFrame,           // 5.1
  kReservedBits,            // 5.2 / RFC 7692 6.1
  kReservedOpcode,          // 5.2
  kNonMinimalLength,        // 5.2
  kLengthMsbSet,            // 5.2
  kControlTooLong,          // 5.5
  kControlFragmented,       // 5.5
  kUnexpectedContinuation,  // 5.4
  kExpectedContinuation,    // 5.4
  kCloseTooShort,           // 5.5.1
  kInvalidCloseCode,        // 7.4
  kInvalidCloseReason,      // 5.5.1 (reason must be UTF-8)
  kInvalidUtf8,             // 8.1
  kFrameTooBig,             // 10.4
  kMessageTooBig,           // 10.4
};

// The close code a server sends for `error` (1002, 1007 or 1009; 1000 for
// kNone).
uint16_t CloseCodeFor(FrameError error);
// A short constant name ("reserved opcode", ...).
std::string_view FrameErrorName(FrameError error);

struct FrameDecoderOptions {
  // Largest payload of one frame and of one (reassembled) message; larger
  // ones fail with 1009 as soon as the header announces them.
  uint64_t max_frame_size = uint64_t{16} << 20;
  uint64_t max_message_size = uint64_t{16} << 20;
  // Check that text messages (and close reasons, always) are UTF-8.
  bool validate_utf8 = true;
  // permessage-deflate negotiated (RFC 7692): RSV1 allowed on the first frame
  // of a data message; such messages are reported `compressed` and their
  // UTF-8 is NOT checked here (it is the inflated text that must be UTF-8).
  bool allow_rsv1 = false;
  // A server requires masked frames (5.1). false also accepts unmasked frames
  // (to decode server frames in tests); masked ones are unmasked either way.
  bool require_mask = true;
};

enum class FrameEventType : uint8_t {
  kNeedMore,  // the input is used up; call again with the next read
  kMessage,   // a complete text/binary message
  kPing,
  kPong,
  kClose,  // close_code (1005 when the frame had none) and payload = reason
  kError,  // error and close_code (the code to send) set; see status()
};

struct FrameEvent {
  FrameEventType type = FrameEventType::kNeedMore;
  Opcode opcode = Opcode::kText;  // kText/kBinary for messages
  bool compressed = false;        // RSV1 on the message's first frame
  bool copied = false;            // payload is in the decoder's buffer
  uint16_t close_code = 0;
  FrameError error = FrameError::kNone;
  // Unmasked payload (the reason for kClose). Points into the caller's input
  // (copied == false) or the decoder's buffer (copied == true); valid until the
  // caller reuses its buffer / the next call to Next().
  std::span<uint8_t> payload;

  std::string_view text() const {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

class FrameDecoder {
 public:
  explicit FrameDecoder(FrameDecoderOptions options = {});

  // Consumes bytes from the front of `input` (advancing it) until one event
  // is complete or the input is used up (kNeedMore, input empty). May unmask
  // bytes of `input` in place.
  FrameEvent Next(std::span<uint8_t>& input);

  // OK, or the error with what and where (stream byte offset of the frame).
  absl::Status status() const;
  FrameError error() const { return error_; }
  bool closed() const { return state_ == State::kClosed; }
  // Inside a fragmented message (between its first and final frames).
  bool in_message() const { return in_message_; }
  // Bytes consumed and complete frames decoded since construction/Reset().
  uint64_t bytes_consumed() const { return offset_; }
  uint64_t frames() const { return frames_; }
  const FrameDecoderOptions& options() const { return options_; }

  // Back to the start of a stream (a new connection); keeps the buffer.
  void Reset();

 private:
  enum class State : uint8_t { kHeader, kPayload, kClosed, kError };

  FrameError CheckFirstTwoBytes(uint8_t b0, uint8_t b1) const;
  FrameError ParseHeader(const uint8_t* h);
  FrameEvent Fail(FrameError error, uint64_t detail);
  FrameEvent ErrorEvent() const;
  // A frame's payload is complete at `payload` (unmasked).
  FrameEvent CompleteControl(std::span<uint8_t> payload, bool copied);
  FrameEvent MessageEvent(std::span<uint8_t> payload, bool copied);
  void StartDataFrame();

  FrameDecoderOptions options_;
  UnmaskFn unmask_;
  UnmaskAsciiFn unmask_ascii_;
  State state_ = State::kHeader;
  FrameError error_ = FrameError::kNone;

  // The current frame.
  Opcode opcode_ = Opcode::kText;
  bool fin_ = false;
  bool rsv1_ = false;
  bool masked_ = false;
  uint8_t header_have_ = 0;
  uint32_t mask_key_ = 0;
  uint64_t payload_size_ = 0;
  uint64_t payload_have_ = 0;
  uint64_t frame_offset_ = 0;  // stream offset of the frame's first byte

  // The message (fragmented or cut between reads).
  bool in_message_ = false;
  bool message_compressed_ = false;
  bool message_validate_utf8_ = false;
  Opcode message_opcode_ = Opcode::kText;
  uint64_t message_size_ = 0;
  Utf8Validator utf8_;

  uint64_t offset_ = 0;
  uint64_t frames_ = 0;
  uint64_t error_detail_ = 0;
  uint8_t header_[kMaxFrameHeaderSize] = {};
  uint8_t control_[kMaxControlPayload] = {};
  std::vector<uint8_t> message_;
};

}  // namespace wsbench

#endif  // WSBENCH_FRAME_DECODER_H_
