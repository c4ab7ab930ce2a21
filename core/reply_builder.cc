#include "wsbench/reply_builder.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace wsbench {
namespace {

// Bytes that need escaping inside a JSON string (RFC 8259 section 7):
// control characters, '"' and '\'.
constexpr bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// Worst case of a quoted, escaped string: every byte as \u00XX.
constexpr size_t MaxQuoted(size_t n) { return 6 * n + 2; }

char* Copy(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

// Writes `text` as a JSON string literal at `p`; returns the end.
char* WriteQuoted(char* p, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  const char* s = text.data();
  const char* const end = s + text.size();
  while (s < end) {
    // Copy 8 bytes at a time while none needs escaping (SWAR: a byte is
    // flagged when it equals '"' or '\\' or is below 0x20). The caller
    // reserved MaxQuoted(text.size()) >= the bytes still to read, so the
    // 8-byte store stays inside the buffer; no memcpy call for short names.
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHigh = 0x8080808080808080ull;
    while (end - s >= 8) {
      uint64_t w;
      std::memcpy(&w, s, 8);
      const uint64_t quote = w ^ (kOnes * '"');
      const uint64_t slash = w ^ (kOnes * '\\');
      if ((((quote - kOnes) & ~quote) | ((slash - kOnes) & ~slash) | ((w - kOnes * 0x20) & ~w)) &
          kHigh) {
        break;
      }
      std::memcpy(p, &w, 8);
      p += 8;
      s += 8;
    }
    while (s < end && !NeedsEscape(static_cast<unsigned char>(*s))) *p++ = *s++;
    if (s == end) break;
    const unsigned char c = static_cast<unsigned char>(*s++);
    *p++ = '\\';
    switch (c) {
      case '"': *p++ = '"'; break;
      case '\\': *p++ = '\\'; break;
      case '\b': *p++ = 'b'; break;
      case '\f': *p++ = 'f'; break;
      case '\n': *p++ = 'n'; break;
      case '\r': *p++ = 'r'; break;
      case '\t': *p++ = 't'; break;
      default:
        *p++ = 'u';
        *p++ = '0';
        *p++ = '0';
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 0xF];
    }
  }
  *p++ = '"';
  return p;
}

// Writes `text`, which holds no byte that needs escaping, as a JSON string
// literal at `p` (one copy; names of 8..16 bytes as two overlapping words).
char* WritePlain(char* p, std::string_view text) {
  *p++ = '"';
  const size_t n = text.size();
  if (n >= 8 && n <= 16) {
    uint64_t head, tail;
    std::memcpy(&head, text.data(), 8);
    std::memcpy(&tail, text.data() + n - 8, 8);
    std::memcpy(p, &head, 8);
    std::memcpy(p + n - 8, &tail, 8);
  } else {
    std::memcpy(p, text.data(), n);
  }
  p += n;
  *p++ = '"';
  return p;
}

char* WriteName(char* p, std::string_view text, bool plain) {
  return plain ? WritePlain(p, text) : WriteQuoted(p, text);
}

char* WriteId(char* p, std::string_view id_json) {
  if (id_json.empty()) return p;
  p = Copy(p, R"(,"id":)");
  return Copy(p, id_json);
}

}  // namespace

ReplyBuilder::ReplyBuilder(size_t initial_capacity)
    : buffer_(new char[std::max<size_t>(initial_capacity, 64)]),
      capacity_(std::max<size_t>(initial_capacity, 64)) {}

char* ReplyBuilder::Begin(size_t bytes) {
  size_ = 0;
  if (bytes > capacity_) {
    size_t capacity = capacity_;
    while (capacity < bytes) capacity *= 2;
    buffer_.reset(new char[capacity]);
    capacity_ = capacity;
    ++grow_count_;
  }
  return buffer_.get();
}

std::string_view ReplyBuilder::Finish(char* end) {
  size_ = static_cast<size_t>(end - buffer_.get());
  return view();
}

std::string_view ReplyBuilder::Ack(CommandType of, std::string_view id_json,
                                   std::span<const std::string_view> channels,
                                   uint32_t plain_mask) {
  size_t bytes = 64 + id_json.size();
  for (std::string_view c : channels) bytes += MaxQuoted(c.size()) + 1;
  char* p = Begin(bytes);
  p = Copy(p, R"({"type":"ack","of":")");
  p = Copy(p, CommandTypeName(of));
  *p++ = '"';
  p = WriteId(p, id_json);
  if (of == CommandType::kSubscribe || of == CommandType::kUnsubscribe) {
    p = Copy(p, R"(,"channels":[)");
    for (size_t i = 0; i < channels.size(); ++i) {
      if (i > 0) *p++ = ',';
      p = WriteName(p, channels[i], (plain_mask >> i) & 1);
    }
    *p++ = ']';
  }
  *p++ = '}';
  return Finish(p);
}

std::string_view ReplyBuilder::Error(MessageError error, uint32_t offset,
                                     std::string_view id_json) {
  const std::string_view name = MessageErrorName(error);
  const std::string_view description = MessageErrorDescription(error);
  char* p = Begin(80 + name.size() + MaxQuoted(description.size()) + id_json.size());
  p = Copy(p, R"({"type":"error","code":")");
  p = Copy(p, name);
  p = Copy(p, R"(","message":)");
  p = WriteQuoted(p, description);
  p = Copy(p, R"(,"at":)");
  p = std::to_chars(p, p + 10, offset).ptr;
  p = WriteId(p, id_json);
  *p++ = '}';
  return Finish(p);
}

std::string_view ReplyBuilder::Error(std::string_view code, std::string_view message,
                                     std::string_view id_json) {
  char* p = Begin(64 + MaxQuoted(code.size()) + MaxQuoted(message.size()) + id_json.size());
  p = Copy(p, R"({"type":"error","code":)");
  p = WriteQuoted(p, code);
  p = Copy(p, R"(,"message":)");
  p = WriteQuoted(p, message);
  p = WriteId(p, id_json);
  *p++ = '}';
  return Finish(p);
}

std::string_view ReplyBuilder::Event(std::string_view channel,
                                     std::string_view data_json,
                                     bool channel_plain) {
  char* p = Begin(48 + MaxQuoted(channel.size()) + data_json.size());
  p = Copy(p, R"({"type":"event","channel":)");
  p = WriteName(p, channel, channel_plain);
  p = Copy(p, R"(,"data":)");
  p = Copy(p, data_json);
  *p++ = '}';
  return Finish(p);
}

void AppendJsonString(std::string_view text, std::string& out) {
  const size_t old = out.size();
  out.resize(old + MaxQuoted(text.size()));
  char* end = WriteQuoted(out.data() + old, text);
  out.resize(static_cast<size_t>(end - out.data()));
}

}  // namespace wsbench
