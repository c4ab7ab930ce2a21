// Incremental RFC 6455 section 5 client-frame decoder.
#include "wsbench/frame_decoder.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "fmt/format.h"

namespace wsbench {
namespace {

// Header bytes implied by byte 1 (section 5.2): 2, +2 or +8 for the extended
// length, +4 for the masking key.
inline size_t HeaderSize(uint8_t b1) {
  const uint8_t len7 = b1 & 0x7F;
  const size_t n = len7 < 126 ? 2 : (len7 == 126 ? 4 : 10);
  return (b1 & 0x80) ? n + 4 : n;
}

inline bool IsReservedOpcode(uint8_t op) {
  return (op >= 3 && op <= 7) || op >= 0xB;
}

inline uint16_t LoadBe16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint64_t LoadBe64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

}  // namespace

bool IsValidWireCloseCode(uint16_t code) {
  // 7.4.1 defines 1000-1011 (1004-1006 reserved, never sent); the IANA
  // registry (11.7) added 1012-1014; 1015 is reserved like 1005/1006.
  // 7.4.2: 3000-3999 registered by libraries/frameworks, 4000-4999 private.
  if (code >= 1000 && code <= 1003) return true;
  if (code >= 1007 && code <= 1014) return true;
  return code >= 3000 && code <= 4999;
}

uint16_t CloseCodeFor(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return static_cast<uint16_t>(CloseCode::kNormal);
    case FrameError::kInvalidUtf8:
    case FrameError::kInvalidCloseReason:
      return static_cast<uint16_t>(CloseCode::kInvalidPayload);
    case FrameError::kFrameTooBig:
    case FrameError::kMessageTooBig:
      return static_cast<uint16_t>(CloseCode::kMessageTooBig);
    default:
      return static_cast<uint16_t>(CloseCode::kProtocolError);
  }
}

std::string_view FrameErrorName(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "no error";
    case FrameError::kUnmaskedFrame:
      return "unmasked client frame";
    case FrameError::kReservedBits:
      return "reserved bits set";
    case FrameError::kReservedOpcode:
      return "reserved opcode";
    case FrameError::kNonMinimalLength:
      return "non-minimal length encoding";
    case FrameError::kLengthMsbSet:
      return "64-bit length with MSB set";
    case FrameError::kControlTooLong:
      return "control frame too long";
    case FrameError::kControlFragmented:
      return "fragmented control frame";
    case FrameError::kUnexpectedContinuation:
      return "unexpected continuation frame";
    case FrameError::kExpectedContinuation:
      return "expected continuation frame";
    case FrameError::kCloseTooShort:
      return "close payload of 1 byte";
    case FrameError::kInvalidCloseCode:
      return "invalid close code";
    case FrameError::kInvalidCloseReason:
      return "close reason not UTF-8";
    case FrameError::kInvalidUtf8:
      return "invalid UTF-8 in text message";
    case FrameError::kFrameTooBig:
      return "frame too big";
    case FrameError::kMessageTooBig:
      return "message too big";
  }
  return "unknown error";
}

FrameDecoder::FrameDecoder(FrameDecoderOptions options)
    : options_(options),
      unmask_(ActiveUnmaskKernel()),
      unmask_ascii_(ActiveUnmaskAsciiKernel()) {}

void FrameDecoder::Reset() {
  state_ = State::kHeader;
  error_ = FrameError::kNone;
  header_have_ = 0;
  payload_size_ = payload_have_ = 0;
  in_message_ = false;
  message_size_ = 0;
  message_.clear();
  utf8_.Reset();
  offset_ = frames_ = error_detail_ = frame_offset_ = 0;
}

// Checks that need only bytes 0 and 1 (run as soon as they are known, so a
// header cut between reads fails as early, and identically, as a whole one).
FrameError FrameDecoder::CheckFirstTwoBytes(uint8_t b0, uint8_t b1) const {
  const uint8_t op = b0 & 0x0F;
  const bool fin = (b0 & 0x80) != 0;
  if (IsReservedOpcode(op)) return FrameError::kReservedOpcode;  // 5.2
  const bool control = (op & 0x8) != 0;
  // 5.2: RSV2/RSV3 have no extension here; RSV1 only with permessage-deflate
  // and then only on the first frame of a data message (RFC 7692 6.1).
  if (b0 & 0x30) return FrameError::kReservedBits;
  if (b0 & 0x40) {
    if (!options_.allow_rsv1 || control || op == 0)
      return FrameError::kReservedBits;
  }
  if (options_.require_mask && !(b1 & 0x80))
    return FrameError::kUnmaskedFrame;  // 5.1
  if (control) {
    if (!fin) return FrameError::kControlFragmented;  // 5.5
    if ((b1 & 0x7F) > kMaxControlPayload)
      return FrameError::kControlTooLong;  // 5.5
  } else if (op == 0) {
    if (!in_message_) return FrameError::kUnexpectedContinuation;  // 5.4
  } else if (in_message_) {
    return FrameError::kExpectedContinuation;  // 5.4
  }
  return FrameError::kNone;
}

FrameError FrameDecoder::ParseHeader(const uint8_t* h) {
  const uint8_t b0 = h[0];
  const uint8_t b1 = h[1];
  if (FrameError e = CheckFirstTwoBytes(b0, b1); e != FrameError::kNone) {
    error_detail_ = (e == FrameError::kReservedOpcode)   ? (b0 & 0x0F)
                    : (e == FrameError::kReservedBits)   ? (b0 & 0x70)
                    : (e == FrameError::kControlTooLong) ? (b1 & 0x7F)
                                                         : (b0 & 0x0F);
    return e;
  }
  opcode_ = static_cast<Opcode>(b0 & 0x0F);
  fin_ = (b0 & 0x80) != 0;
  rsv1_ = (b0 & 0x40) != 0;
  masked_ = (b1 & 0x80) != 0;
  const uint8_t len7 = b1 & 0x7F;
  size_t pos = 2;
  uint64_t size = len7;
  if (len7 == 126) {
    size = LoadBe16(h + 2);
    pos = 4;
    if (size < 126) {  // 5.2: "the minimal number of bytes MUST be used"
      error_detail_ = size;
      return FrameError::kNonMinimalLength;
    }
  } else if (len7 == 127) {
    size = LoadBe64(h + 2);
    pos = 10;
    if (size >> 63) {  // 5.2: "the most significant bit MUST be 0"
      error_detail_ = size;
      return FrameError::kLengthMsbSet;
    }
    if (size <= 0xFFFF) {
      error_detail_ = size;
      return FrameError::kNonMinimalLength;
    }
  }
  if (masked_) {
    std::memcpy(&mask_key_, h + pos, 4);
  } else {
    mask_key_ = 0;
  }
  payload_size_ = size;
  payload_have_ = 0;
  if (size > options_.max_frame_size) {
    error_detail_ = size;
    return FrameError::kFrameTooBig;
  }
  if (!IsControl(opcode_)) {
    const uint64_t total =
        (opcode_ == Opcode::kContinuation ? message_size_ : 0) + size;
    if (total > options_.max_message_size) {
      error_detail_ = total;
      return FrameError::kMessageTooBig;
    }
    StartDataFrame();
  }
  return FrameError::kNone;
}

void FrameDecoder::StartDataFrame() {
  if (opcode_ != Opcode::kContinuation) {
    message_opcode_ = opcode_;
    message_compressed_ = rsv1_;
    message_validate_utf8_ =
        options_.validate_utf8 && opcode_ == Opcode::kText && !rsv1_;
    message_size_ = 0;
    message_.clear();
    utf8_.Reset();
  }
  message_size_ += payload_size_;
  in_message_ = !fin_;  // 5.4: a continuation with FIN ends the message
}

FrameEvent FrameDecoder::Fail(FrameError error, uint64_t detail) {
  state_ = State::kError;
  error_ = error;
  error_detail_ = detail;
  return ErrorEvent();
}

FrameEvent FrameDecoder::ErrorEvent() const {
  FrameEvent ev;
  ev.type = FrameEventType::kError;
  ev.error = error_;
  ev.close_code = CloseCodeFor(error_);
  return ev;
}

FrameEvent FrameDecoder::CompleteControl(std::span<uint8_t> payload,
                                         bool copied) {
  FrameEvent ev;
  ev.opcode = opcode_;
  ev.copied = copied;
  ev.payload = payload;
  if (opcode_ == Opcode::kPing) {
    ev.type = FrameEventType::kPing;
    return ev;
  }
  if (opcode_ == Opcode::kPong) {
    ev.type = FrameEventType::kPong;
    return ev;
  }
  // 5.5.1: an optional 2-byte big-endian code, then an optional UTF-8 reason.
  if (payload.size() == 1) return Fail(FrameError::kCloseTooShort, 1);
  if (payload.empty()) {
    ev.close_code = static_cast<uint16_t>(CloseCode::kNoStatusReceived);
  } else {
    ev.close_code = LoadBe16(payload.data());
    if (!IsValidWireCloseCode(ev.close_code)) {
      return Fail(FrameError::kInvalidCloseCode, ev.close_code);
    }
    ev.payload = payload.subspan(2);
    if (!IsValidUtf8(ev.text()))
      return Fail(FrameError::kInvalidCloseReason, 0);
  }
  ev.type = FrameEventType::kClose;
  state_ = State::kClosed;
  return ev;
}

FrameEvent FrameDecoder::MessageEvent(std::span<uint8_t> payload, bool copied) {
  FrameEvent ev;
  ev.type = FrameEventType::kMessage;
  ev.opcode = message_opcode_;
  ev.compressed = message_compressed_;
  ev.copied = copied;
  ev.payload = payload;
  return ev;
}

FrameEvent FrameDecoder::Next(std::span<uint8_t>& input) {
  if (state_ == State::kError) return ErrorEvent();
  if (state_ == State::kClosed) {
    // 5.5.1: nothing after a close frame is processed.
    offset_ += input.size();
    input = input.subspan(input.size());
    return FrameEvent{};
  }
  // Fast path for the common case: a whole masked, unfragmented text/binary
  // frame with a 7- or 16-bit length, entirely in the caller's buffer. It
  // applies exactly the checks of the general path below (5.1, 5.2, 5.4,
  // 10.4) in fewer branches; anything else falls through to the general path.
  if (state_ == State::kHeader && header_have_ == 0 && !in_message_ &&
      input.size() >= 6) {
    const uint8_t b0 = input[0];
    const uint8_t b1 = input[1];
    const uint8_t op = b0 & 0x0F;
    // FIN=1, RSV=0, opcode 1 or 2; MASK=1.
    if ((b0 & 0xF0) == 0x80 && (op == 1 || op == 2) && (b1 & 0x80)) {
      const uint8_t len7 = b1 & 0x7F;
      size_t header_size = 6;
      uint64_t size = len7;
      bool ok = true;
      if (len7 == 126) {
        header_size = 8;
        ok = input.size() >= 8 && (size = LoadBe16(&input[2])) >= 126;
      } else if (len7 == 127) {
        ok = false;
      }
      if (ok && size <= options_.max_frame_size &&
          size <= options_.max_message_size &&
          input.size() - header_size >= size) {
        uint32_t key;
        std::memcpy(&key, &input[header_size - 4], 4);
        frame_offset_ = offset_;
        uint8_t* p = input.data() + header_size;
        const size_t n = static_cast<size_t>(size);
        input = input.subspan(header_size + n);
        offset_ += header_size + n;
        // Text: the unmasking pass also tells whether the payload is all
        // ASCII (then valid UTF-8); only other text goes to simdjson (8.1).
        const bool check_utf8 = op == 1 && options_.validate_utf8;
        bool ascii = true;
        if (check_utf8) {
          ascii = unmask_ascii_(p, n, key, 0);
        } else {
          unmask_(p, n, key, 0);
        }
        ++frames_;
        opcode_ = message_opcode_ = static_cast<Opcode>(op);
        fin_ = true;
        rsv1_ = message_compressed_ = false;
        masked_ = true;
        payload_size_ = size;
        message_size_ = size;
        if (!ascii && !IsValidUtf8({reinterpret_cast<const char*>(p), n})) {
          return Fail(FrameError::kInvalidUtf8, 0);
        }
        return MessageEvent({p, n}, /*copied=*/false);
      }
    }
  }
  for (;;) {
    if (state_ == State::kHeader) {
      const uint8_t* h;
      size_t header_size;
      if (header_have_ == 0 && input.size() >= 2 &&
          input.size() >= (header_size = HeaderSize(input[1]))) {
        // Fast path: the whole header is in the caller's buffer.
        h = input.data();
        frame_offset_ = offset_;
      } else {
        // Accumulate a cut header: first bytes 0-1, then the rest.
        if (header_have_ == 0) frame_offset_ = offset_;
        size_t take = 0;
        if (header_have_ < 2) {
          take = std::min<size_t>(2 - header_have_, input.size());
          if (take != 0)
            std::memcpy(header_ + header_have_, input.data(), take);
          header_have_ = static_cast<uint8_t>(header_have_ + take);
          input = input.subspan(take);
          offset_ += take;
          if (header_have_ < 2) return FrameEvent{};
          if (FrameError e = CheckFirstTwoBytes(header_[0], header_[1]);
              e != FrameError::kNone) {
            ParseHeader(header_);  // fills the error detail
            return Fail(e, error_detail_);
          }
        }
        header_size = HeaderSize(header_[1]);
        take = std::min<size_t>(header_size - header_have_, input.size());
        if (take != 0) std::memcpy(header_ + header_have_, input.data(), take);
        header_have_ = static_cast<uint8_t>(header_have_ + take);
        input = input.subspan(take);
        offset_ += take;
        if (header_have_ < header_size) return FrameEvent{};
        h = header_;
        header_size = 0;  // already consumed
      }
      if (FrameError e = ParseHeader(h); e != FrameError::kNone) {
        return Fail(e, error_detail_);
      }
      input = input.subspan(header_size);
      offset_ += header_size;
      header_have_ = 0;
      state_ = State::kPayload;
    }

    // State::kPayload.
    const bool control = IsControl(opcode_);
    if (payload_have_ == 0 && input.size() >= payload_size_) {
      // The whole payload is in the caller's buffer: unmask it there.
      const std::span<uint8_t> p =
          input.first(static_cast<size_t>(payload_size_));
      input = input.subspan(p.size());
      offset_ += p.size();
      const bool check_utf8 = !control && message_validate_utf8_;
      bool ascii = true;
      if (check_utf8) {
        ascii = unmask_ascii_(p.data(), p.size(), mask_key_,
                              0);  // mask_key_ 0 if unmasked
      } else if (masked_) {
        unmask_(p.data(), p.size(), mask_key_, 0);
      }
      ++frames_;
      state_ = State::kHeader;
      if (control) return CompleteControl(p, /*copied=*/false);
      const std::string_view text(reinterpret_cast<const char*>(p.data()),
                                  p.size());
      if (fin_ && opcode_ != Opcode::kContinuation) {
        // An unfragmented message: no copy (the common case).
        if (!ascii && !IsValidUtf8(text))
          return Fail(FrameError::kInvalidUtf8, 0);
        return MessageEvent(p, /*copied=*/false);
      }
      // ASCII with no code point pending from the previous fragment needs no
      // further check and leaves none pending.
      if (check_utf8 && (!ascii || utf8_.tail_size() != 0) &&
          !utf8_.Feed(text)) {
        return Fail(FrameError::kInvalidUtf8, 0);
      }
      message_.insert(message_.end(), p.begin(), p.end());
      if (!fin_) continue;
      if (message_validate_utf8_ && !utf8_.Finish()) {
        return Fail(FrameError::kInvalidUtf8, 0);
      }
      return MessageEvent(message_, /*copied=*/true);
    }

    // The payload is cut between reads: copy what is here, unmasking it with
    // the key phase of its offset in the payload (5.3: byte i uses key i % 4).
    const size_t take = static_cast<size_t>(
        std::min<uint64_t>(payload_size_ - payload_have_, input.size()));
    uint8_t* dst;
    if (control) {
      dst = control_ + payload_have_;
    } else {
      const size_t old = message_.size();
      message_.resize(old + take);
      dst = message_.data() + old;
    }
    if (take != 0) std::memcpy(dst, input.data(), take);  // data() may be null
    const uint32_t phase = static_cast<uint32_t>(payload_have_ & 3);
    const bool check_utf8 = !control && message_validate_utf8_;
    bool ascii = true;
    if (check_utf8) {
      ascii = unmask_ascii_(dst, take, mask_key_, phase);
    } else if (masked_) {
      unmask_(dst, take, mask_key_, phase);
    }
    input = input.subspan(take);
    offset_ += take;
    payload_have_ += take;
    if (check_utf8 && (!ascii || utf8_.tail_size() != 0) &&
        !utf8_.Feed({reinterpret_cast<const char*>(dst), take})) {
      return Fail(FrameError::kInvalidUtf8, 0);
    }
    if (payload_have_ < payload_size_) return FrameEvent{};
    ++frames_;
    state_ = State::kHeader;
    if (control) {
      return CompleteControl({control_, static_cast<size_t>(payload_size_)},
                             true);
    }
    if (!fin_) continue;
    if (message_validate_utf8_ && !utf8_.Finish()) {
      return Fail(FrameError::kInvalidUtf8, 0);
    }
    return MessageEvent(message_, /*copied=*/true);
  }
}

absl::Status FrameDecoder::status() const {
  if (error_ == FrameError::kNone) return absl::OkStatus();
  std::string detail;
  switch (error_) {
    case FrameError::kUnmaskedFrame:
      detail = "client frames must be masked (RFC 6455 5.1)";
      break;
    case FrameError::kReservedBits:
      detail = fmt::format(
          "RSV bits 0x{:02x} set without an extension allowing them "
          "(RFC 6455 5.2, RFC 7692 6.1)",
          error_detail_);
      break;
    case FrameError::kReservedOpcode:
      detail = fmt::format("opcode 0x{:x} is reserved (RFC 6455 5.2)",
                           error_detail_);
      break;
    case FrameError::kNonMinimalLength:
      detail = fmt::format(
          "payload length {} not in the minimal encoding (RFC 6455 5.2)",
          error_detail_);
      break;
    case FrameError::kLengthMsbSet:
      detail = fmt::format(
          "64-bit length 0x{:016x} has its most significant bit set "
          "(RFC 6455 5.2)",
          error_detail_);
      break;
    case FrameError::kControlTooLong:
      detail = fmt::format(
          "control frame announces {} payload bytes, at most {} allowed "
          "(RFC 6455 5.5)",
          error_detail_, kMaxControlPayload);
      break;
    case FrameError::kControlFragmented:
      detail = fmt::format(
          "control frame (opcode 0x{:x}) without FIN (RFC 6455 5.5)",
          error_detail_);
      break;
    case FrameError::kUnexpectedContinuation:
      detail = "continuation frame outside a fragmented message (RFC 6455 5.4)";
      break;
    case FrameError::kExpectedContinuation:
      detail = fmt::format(
          "data frame (opcode 0x{:x}) inside a fragmented message "
          "(RFC 6455 5.4)",
          error_detail_);
      break;
    case FrameError::kCloseTooShort:
      detail = "close payload of 1 byte (RFC 6455 5.5.1)";
      break;
    case FrameError::kInvalidCloseCode:
      detail =
          fmt::format("close code {} is not valid on the wire (RFC 6455 7.4)",
                      error_detail_);
      break;
    case FrameError::kInvalidCloseReason:
      detail = "close reason is not valid UTF-8 (RFC 6455 5.5.1)";
      break;
    case FrameError::kInvalidUtf8:
      detail = "text message is not valid UTF-8 (RFC 6455 8.1)";
      break;
    case FrameError::kFrameTooBig:
      detail = fmt::format("frame payload of {} bytes exceeds the limit of {}",
                           error_detail_, options_.max_frame_size);
      break;
    case FrameError::kMessageTooBig:
      detail = fmt::format("message of {} bytes exceeds the limit of {}",
                           error_detail_, options_.max_message_size);
      break;
    case FrameError::kNone:
      break;
  }
  std::string message = fmt::format(
      "frame decoder: {} (close code {}) in the frame at stream byte {}: {}",
      FrameErrorName(error_), CloseCodeFor(error_), frame_offset_, detail);
  if (error_ == FrameError::kFrameTooBig ||
      error_ == FrameError::kMessageTooBig) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace wsbench
