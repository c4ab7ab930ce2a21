// libFuzzer target for the RFC 6455 client-frame decoder (frame_decoder.h).
//
// Input: byte 0 picks the options (RSV1 allowed, UTF-8 checks, mask required,
// small limits), byte 1 seeds the read sizes; the rest is the client stream.
// Invariants checked:
//   - decoding the stream whole and cut into reads gives the same events;
//   - every event is well formed: payloads inside the read buffer unless
//     copied, control payloads <= 125 bytes, text valid UTF-8 when checked,
//     sizes within the limits, close codes valid on the wire;
//   - an error carries 1002/1007/1009 and a non-OK status; no error, OK status;
//   - round trip: each decoded message re-encoded as a masked client frame
//     decodes to the same payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/utf8.h"

namespace {

using wsbench::FrameDecoder;
using wsbench::FrameDecoderOptions;
using wsbench::FrameEvent;
using wsbench::FrameEventType;
using wsbench::Opcode;

struct Outcome {
  std::string events;  // a transcript of the events
  std::vector<std::pair<Opcode, std::string>> messages;
};

void Append(std::string& out, const FrameEvent& ev) {
  out += static_cast<char>(ev.type);
  out += static_cast<char>(ev.opcode);
  out += static_cast<char>(ev.compressed);
  out += std::to_string(ev.close_code);
  out += ':';
  out += std::to_string(ev.payload.size());
  out += ':';
  out.append(ev.text());
  out += '|';
}

Outcome Decode(const uint8_t* data, size_t size,
               const FrameDecoderOptions& options, uint8_t read_seed) {
  Outcome outcome;
  FrameDecoder decoder(options);
  size_t pos = 0;
  uint32_t state = read_seed * 2654435761u + 1;
  bool stopped = false;
  while (pos < size && !stopped) {
    size_t read = size - pos;
    if (read_seed != 0) {
      state = state * 1103515245u + 12345u;
      read = std::min<size_t>(read, 1 + (state >> 16) % 37);
    }
    std::vector<uint8_t> buffer(data + pos, data + pos + read);
    pos += read;
    std::span<uint8_t> in(buffer);
    for (;;) {
      const size_t before = in.size();
      const FrameEvent ev = decoder.Next(in);
      WSBENCH_FUZZ_CHECK(in.size() <= before);
      if (ev.type == FrameEventType::kNeedMore) {
        WSBENCH_FUZZ_CHECK(in.empty());
        break;
      }
      if (!ev.copied && !ev.payload.empty()) {
        WSBENCH_FUZZ_CHECK(ev.payload.data() >= buffer.data() &&
                           ev.payload.data() + ev.payload.size() <=
                               buffer.data() + buffer.size());
      }
      Append(outcome.events, ev);
      switch (ev.type) {
        case FrameEventType::kMessage:
          WSBENCH_FUZZ_CHECK(ev.opcode == Opcode::kText ||
                             ev.opcode == Opcode::kBinary);
          WSBENCH_FUZZ_CHECK(ev.payload.size() <= options.max_message_size);
          if (ev.opcode == Opcode::kText && options.validate_utf8 &&
              !ev.compressed) {
            WSBENCH_FUZZ_CHECK(wsbench::IsValidUtf8(ev.text()));
          }
          WSBENCH_FUZZ_CHECK(options.allow_rsv1 || !ev.compressed);
          outcome.messages.emplace_back(ev.opcode, std::string(ev.text()));
          break;
        case FrameEventType::kPing:
        case FrameEventType::kPong:
          WSBENCH_FUZZ_CHECK(ev.payload.size() <= wsbench::kMaxControlPayload);
          break;
        case FrameEventType::kClose:
          WSBENCH_FUZZ_CHECK(ev.payload.size() <=
                             wsbench::kMaxControlPayload - 2);
          WSBENCH_FUZZ_CHECK(ev.close_code == 1005 ||
                             wsbench::IsValidWireCloseCode(ev.close_code));
          WSBENCH_FUZZ_CHECK(wsbench::IsValidUtf8(ev.text()));
          WSBENCH_FUZZ_CHECK(decoder.closed());
          break;
        case FrameEventType::kError:
          WSBENCH_FUZZ_CHECK(ev.close_code == 1002 || ev.close_code == 1007 ||
                             ev.close_code == 1009);
          WSBENCH_FUZZ_CHECK(ev.close_code == wsbench::CloseCodeFor(ev.error));
          WSBENCH_FUZZ_CHECK(!decoder.status().ok());
          WSBENCH_FUZZ_CHECK(!decoder.status().message().empty());
          // Sticky: the same error again without consuming.
          WSBENCH_FUZZ_CHECK(decoder.Next(in).error == ev.error);
          stopped = true;
          break;
        case FrameEventType::kNeedMore:
          break;
      }
      if (stopped) break;
    }
  }
  if (!stopped) WSBENCH_FUZZ_CHECK(decoder.status().ok());
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  FrameDecoderOptions options;
  const uint8_t flags = data[0];
  options.allow_rsv1 = flags & 1;
  options.validate_utf8 = !(flags & 2);
  options.require_mask = !(flags & 4);
  if (flags & 8) {
    options.max_frame_size = 64;
    options.max_message_size = 100;
  }
  const uint8_t read_seed = data[1];
  data += 2;
  size -= 2;

  const Outcome whole = Decode(data, size, options, 0);
  const Outcome split = Decode(data, size, options, read_seed | 1);
  WSBENCH_FUZZ_CHECK(whole.events == split.events);

  // Round trip through the encoder.
  for (const auto& [opcode, payload] : whole.messages) {
    std::string wire;
    wsbench::AppendFrame(
        {.opcode = opcode, .masked = true, .mask_key = {1, 2, 3, 4}}, payload,
        wire);
    std::vector<uint8_t> buffer(wire.begin(), wire.end());
    std::span<uint8_t> in(buffer);
    // Default limits: a message reassembled from fragments may exceed the
    // frame limit it was decoded under (found by this fuzzer; see the
    // fragments_over_frame_limit fixture).
    FrameDecoderOptions plain;
    plain.allow_rsv1 = options.allow_rsv1;
    plain.validate_utf8 = false;
    FrameDecoder decoder(plain);
    const FrameEvent ev = decoder.Next(in);
    WSBENCH_FUZZ_CHECK(ev.type == FrameEventType::kMessage);
    WSBENCH_FUZZ_CHECK(ev.opcode == opcode);
    WSBENCH_FUZZ_CHECK(ev.text() == payload);
  }
  return 0;
}
