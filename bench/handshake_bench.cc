// The `handshake` dimension: the WebSocket opening handshake a server runs
// for every new connection (RFC 6455 section 4), i.e. the "with handshake"
// part of opening a connection (the connections dimension measures the open
// without it).
//
// Op = parse one HTTP/1.1 upgrade request (UpgradeRequestParser, zero-copy),
// compute Sec-WebSocket-Accept (SHA-1 from OpenSSL libcrypto + base64),
// negotiate subprotocol and permessage-deflate, and build the 101 response
// (or the 400/426 response for a bad request). ops() = level.ops / 10: one op
// costs about a microsecond (SHA-1 of 60 bytes is two compression rounds),
// so the full count would make the largest levels run for many seconds.
//
// Inputs: a corpus of up to 1024 distinct requests built from the seed
// (random 16-byte keys; varied hosts, targets, user agents, cookies and
// header order; 40% with a permessage-deflate offer in one of several forms;
// 30% offering subprotocols; every 8th request arrives in two reads, so the
// parser's "need more" path runs; options.invalid_share of them bad: wrong
// version -> 426, malformed key -> 400). Op i uses request i mod corpus.
//
// Verify checks, for the pass: the count of 101, 400 and 426 responses, the
// count of negotiated permessage-deflate, and a checksum of the accept
// values against the one computed in Setup by a reference path (OpenSSL's
// one-shot EVP_Digest + EVP_EncodeBlock on the generator's key, not our
// parser or encoder).
#include <openssl/evp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "wsbench/handshake.h"
#include "workload.h"

namespace wsbench::bench {
namespace {

constexpr int kMaxCorpus = 1024;

enum class Expect : uint8_t { k101, k400, k426 };

struct CorpusRequest {
  std::string text;
  size_t split = 0;  // > 0: delivered as [0, split) then the whole
  Expect expect = Expect::k101;
  bool deflate = false;  // a permessage-deflate offer the server accepts
  uint64_t accept_hash = 0;
};

uint64_t HashAccept(const char* accept) {
  // FNV-1a over the 28 characters.
  uint64_t h = 0xcbf29ce484222325ull;
  for (int i = 0; i < static_cast<int>(kAcceptKeySize); ++i) {
    h = (h ^ static_cast<uint8_t>(accept[i])) * 0x100000001b3ull;
  }
  return h;
}

// The reference path: OpenSSL one-shot digest and base64.
absl::StatusOr<uint64_t> ReferenceAcceptHash(const std::string& key) {
  const std::string input = key + std::string(kWebSocketGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &n, EVP_sha1(), nullptr) != 1 || n != 20) {
    return absl::InternalError("handshake: reference SHA-1 failed");
  }
  unsigned char b64[32];
  if (EVP_EncodeBlock(b64, digest, 20) != static_cast<int>(kAcceptKeySize)) {
    return absl::InternalError("handshake: reference base64 failed");
  }
  return HashAccept(reinterpret_cast<const char*>(b64));
}

std::string Base64Key(std::mt19937_64& rng) {
  unsigned char raw[16];
  for (unsigned char& b : raw) b = static_cast<unsigned char>(rng());
  unsigned char b64[32];
  EVP_EncodeBlock(b64, raw, 16);
  return std::string(reinterpret_cast<const char*>(b64), 24);
}

constexpr const char* kAgents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.2; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Python/3.11 websockets/12.0",
    "okhttp/4.12.0",
    "Go-http-client/1.1",
};

// Offers as browsers and libraries send them.
constexpr const char* kDeflateOffers[] = {
    "permessage-deflate; client_max_window_bits",
    "permessage-deflate",
    "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits=12; server_max_window_bits=12",
    "x-webkit-deflate-frame, permessage-deflate; client_max_window_bits",
};

class HandshakeWorkload : public Workload {
 public:
  absl::Status Setup(const LoadLevel& level, const WorkloadOptions& options) override {
    std::mt19937_64 rng(options.seed ^ 0x68616e64);  // "hand"
    ops_ = std::max<int64_t>(1, level.ops / 10);
    const int n = static_cast<int>(std::min<int64_t>(ops_, kMaxCorpus));
    corpus_.clear();
    corpus_.reserve(n);
    request_bytes_ = 0;
    for (int i = 0; i < n; ++i) {
      CorpusRequest r;
      std::string key = Base64Key(rng);
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      std::string version = "13";
      if (u < options.invalid_share / 2) {
        version = "8";
        r.expect = Expect::k426;
      } else if (u < options.invalid_share) {
        key.resize(20);  // not base64 of 16 bytes
        r.expect = Expect::k400;
      }
      std::vector<std::string> headers = {
          fmt::format("Host: api-{}.example.com:{}", rng() % 64, 8000 + rng() % 1000),
          "Upgrade: websocket",
          (rng() % 3 == 0) ? "Connection: keep-alive, Upgrade" : "Connection: Upgrade",
          "Sec-WebSocket-Key: " + key,
          "Sec-WebSocket-Version: " + version,
          fmt::format("Origin: https://app{}.example.com", rng() % 16),
          std::string("User-Agent: ") + kAgents[rng() % std::size(kAgents)],
          fmt::format("Cookie: session={:016x}{:016x}; theme=dark", rng(), rng()),
      };
      if (rng() % 10 < 4) {
        const char* offer = kDeflateOffers[rng() % std::size(kDeflateOffers)];
        headers.push_back(std::string("Sec-WebSocket-Extensions: ") + offer);
        r.deflate = r.expect == Expect::k101;
      }
      if (rng() % 10 < 3) headers.push_back("Sec-WebSocket-Protocol: v2.feed.example, feed.example");
      if (rng() % 2) headers.push_back("Pragma: no-cache");
      if (rng() % 2) headers.push_back("Accept-Encoding: gzip, deflate, br");
      // Clients order headers differently; the Host line usually first.
      std::shuffle(headers.begin() + 1, headers.end(), rng);
      r.text = fmt::format("GET /ws/v1/stream?token={:x} HTTP/1.1\r\n", rng());
      for (const std::string& h : headers) r.text += h + "\r\n";
      r.text += "\r\n";
      if (i % 8 == 7) r.split = r.text.size() / 2;
      if (r.expect == Expect::k101) {
        absl::StatusOr<uint64_t> h = ReferenceAcceptHash(key);
        if (!h.ok()) return h.status();
        r.accept_hash = *h;
      }
      request_bytes_ += r.text.size();
      corpus_.push_back(std::move(r));
    }

    // What a pass of ops_ ops must produce.
    expected_ = {};
    for (int64_t i = 0; i < ops_; ++i) {
      const CorpusRequest& r = corpus_[i % n];
      switch (r.expect) {
        case Expect::k101:
          ++expected_.n101;
          expected_.checksum += r.accept_hash;
          expected_.deflate += r.deflate;
          break;
        case Expect::k400:
          ++expected_.n400;
          break;
        case Expect::k426:
          ++expected_.n426;
          break;
      }
    }
    config_.subprotocols = kSubprotocols;
    config_.permessage_deflate = PerMessageDeflateConfig{};
    response_.reserve(1024);
    // Warm the parser's vectors and the response buffer (untimed).
    for (const CorpusRequest& r : corpus_) {
      parser_.Reset();
      absl::StatusOr<ParseResult> p = parser_.Parse(r.text);
      response_.clear();
      if (p.ok()) AppendAcceptResponse(parser_.request(), config_, response_);
    }
    return Reset();
  }

  int64_t ops() const override { return ops_; }

  absl::Status Reset() override {
    got_ = {};
    done_ = 0;
    response_bytes_ = 0;
    return absl::OkStatus();
  }

  void Run(int64_t begin, int64_t end) override {
    const int64_t n = static_cast<int64_t>(corpus_.size());
    int64_t j = begin % n;
    Counts c = got_;
    uint64_t bytes = 0;
    for (int64_t i = begin; i < end; ++i, j = (j + 1 == n) ? 0 : j + 1) {
      const CorpusRequest& r = corpus_[j];
      parser_.Reset();
      absl::StatusOr<ParseResult> p =
          r.split != 0 ? parser_.Parse(std::string_view(r.text).substr(0, r.split))
                       : ParseResult::kNeedMore;
      if (p.ok()) p = parser_.Parse(r.text);
      response_.clear();
      if (p.ok() && *p == ParseResult::kComplete) [[likely]] {
        const HandshakeResult result = AppendAcceptResponse(parser_.request(), config_, response_);
        // Counted from the bytes that would go on the wire.
        if (response_.compare(0, 13, "HTTP/1.1 101 ") == 0) {
          ++c.n101;
          c.checksum += HashAccept(result.accept.data());
        }
        c.deflate += result.permessage_deflate.has_value();
      } else if (!p.ok()) {
        AppendErrorResponse(p.status(), response_);
        c.n400 += response_.compare(0, 13, "HTTP/1.1 400 ") == 0;
        c.n426 += response_.compare(0, 13, "HTTP/1.1 426 ") == 0;
      }
      bytes += response_.size();
    }
    got_ = c;
    response_bytes_ += bytes;
    done_ += end - begin;
  }

  absl::Status Verify() override {
    if (done_ != ops_) {
      return absl::InternalError(fmt::format("handshake: pass ran {} of {} ops", done_, ops_));
    }
    if (got_.n101 != expected_.n101 || got_.n400 != expected_.n400 ||
        got_.n426 != expected_.n426 || got_.deflate != expected_.deflate) {
      return absl::InternalError(fmt::format(
          "handshake: responses 101/400/426 = {}/{}/{} with {} permessage-deflate, expected "
          "{}/{}/{} with {}",
          got_.n101, got_.n400, got_.n426, got_.deflate, expected_.n101, expected_.n400,
          expected_.n426, expected_.deflate));
    }
    if (got_.checksum != expected_.checksum) {
      return absl::InternalError(
          fmt::format("handshake: accept checksum {:016x}, reference {:016x}", got_.checksum,
                      expected_.checksum));
    }
    return absl::OkStatus();
  }

  std::string ops_note() const override {
    return "ops = level ops / 10 (one op = parse + SHA-1 accept + 101: ~10K instructions, 1-2 us)";
  }

  void AddCounters(std::map<std::string, double>& counters) const override {
    counters["request_bytes"] =
        static_cast<double>(request_bytes_) / std::max<size_t>(1, corpus_.size());
    counters["response_bytes"] =
        done_ > 0 ? static_cast<double>(response_bytes_) / static_cast<double>(done_) : 0;
    counters["deflate_share_pct"] =
        100.0 * static_cast<double>(expected_.deflate) / static_cast<double>(std::max<int64_t>(1, ops_));
    counters["corpus"] = static_cast<double>(corpus_.size());
  }

 private:
  struct Counts {
    int64_t n101 = 0, n400 = 0, n426 = 0, deflate = 0;
    uint64_t checksum = 0;
  };
  static constexpr std::string_view kSubprotocols[] = {"feed.example"};

  int64_t ops_ = 0;
  std::vector<CorpusRequest> corpus_;
  size_t request_bytes_ = 0;
  HandshakeConfig config_;
  UpgradeRequestParser parser_;
  std::string response_;
  Counts expected_;
  Counts got_;
  int64_t done_ = 0;
  uint64_t response_bytes_ = 0;
};

std::unique_ptr<Workload> MakeHandshakeWorkload() {
  return std::make_unique<HandshakeWorkload>();
}

}  // namespace

WSBENCH_REGISTER_DIMENSION(handshake, "", MakeHandshakeWorkload);

}  // namespace wsbench::bench
