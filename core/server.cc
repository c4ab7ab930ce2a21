// Server: per-loop connection handling over epoll (see server.h).
//
// Connection records live in a vector indexed by file descriptor (the kernel
// hands out the lowest free fd, so it stays dense); the epoll token is
// fd | generation << 32, so an event queued for a socket that was closed and
// whose fd was reused within the same Poll batch is recognised and skipped.
#include "wsbench/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include "wsbench/connection_manager.h"
#include "wsbench/event_loop.h"
#include "wsbench/frame.h"
#include "wsbench/frame_decoder.h"
#include "wsbench/handshake.h"
#include "wsbench/message_parser.h"
#include "wsbench/permessage_deflate.h"
#include "wsbench/rbac.h"
#include "wsbench/reply_builder.h"
#include "wsbench/server_policy.h"
#include "wsbench/utf8.h"

namespace wsbench {
namespace {

constexpr uint64_t kListenToken = uint64_t{1} << 62;
constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kMaxIov = 64;
constexpr size_t kMaxUserSize = 64;
// Control frames carry at most 125 bytes: a 2-byte code and 123 of reason.
constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

enum class State : uint8_t {
  kFree,     // no socket
  kHttp,     // reading an upgrade (or plain HTTP) request
  kOpen,     // WebSocket open
  kClosing,  // we sent a close frame; waiting for the peer's
  kLinger,   // last bytes queued (a response, a close reply or error close):
             // after they are written, SHUT_WR; input is discarded until EOF
};

enum Flag : uint8_t {
  kWantWrite = 1,      // EPOLLOUT armed: the socket's send buffer was full
  kDirty = 2,          // in the loop's list of connections to flush
  kPinged = 4,         // a ping is out and nothing has been read since
  kReadPaused = 8,     // queue over its limit: EPOLLIN off until it drains
  kDeflate = 16,       // permessage-deflate negotiated
  kShutWr = 32,        // shutdown(SHUT_WR) done
  kInterestIn = 64,    // EPOLLIN | EPOLLRDHUP registered
  kInterestOut = 128,  // EPOLLOUT registered
};

// What only some connections need, allocated on demand and freed when no
// longer needed, so an idle WebSocket without compression has none.
struct ConnExtra {
  std::string in;        // request bytes cut between reads
  std::string http_out;  // a plain HTTP response (no WebSocket slot)
  size_t http_sent = 0;
  std::unique_ptr<FrameDecoder>
      decoder;  // a frame or message cut between reads
  std::unique_ptr<PerMessageDeflate> deflate;
};

struct Conn {
  ConnectionId id;  // the ConnectionManager slot once open
  std::unique_ptr<ConnExtra> extra;
  uint32_t generation = 0;   // bumped per accept (in the epoll token)
  uint32_t last_active = 0;  // loop clock, ms: last read, or state change
  uint32_t head_offset = 0;  // bytes of the queue's first frame written
  State state = State::kFree;
  uint8_t flags = 0;
};

std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

uint64_t MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1000000;
}

bool IsUserChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

// The user named by "user=" in the request target's query; "anonymous"
// without one; an error for a malformed name.
absl::StatusOr<std::string_view> UserFromTarget(std::string_view target) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return std::string_view("anonymous");
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (param.substr(0, 5) != "user=") continue;
    std::string_view user = param.substr(5);
    if (user.empty() || user.size() > kMaxUserSize ||
        !std::all_of(user.begin(), user.end(), IsUserChar)) {
      return absl::InvalidArgumentError(fmt::format(
          "user name in the request target must be 1..{} of [A-Za-z0-9._-]",
          kMaxUserSize));
    }
    return user;
  }
  return std::string_view("anonymous");
}

// "metrics" or "healthz" when `request` asks GET /metrics or GET /healthz.
std::string_view PlainHttpPath(std::string_view request) {
  for (std::string_view path :
       {std::string_view("metrics"), std::string_view("healthz")}) {
    const size_t n = 5 + path.size();  // "GET /" + path
    if (request.size() > n && request.substr(0, 5) == "GET /" &&
        request.substr(5, path.size()) == path &&
        (request[n] == ' ' || request[n] == '?')) {
      return path;
    }
  }
  return {};
}

std::string HttpResponse(std::string_view status, std::string_view type,
                         std::string_view body) {
  return fmt::format(
      "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
      "Connection: close\r\n\r\n{}",
      status, type, body.size(), body);
}

}  // namespace

// One event loop: its sockets, connections and the core pieces they share.
class Server::Loop {
 public:
  Loop(Server& server, int index, int listen_fd)
      : server_(server), index_(index), listen_fd_(listen_fd) {}
  ~Loop() {
    for (size_t fd = 0; fd < conns_.size(); ++fd) {
      if (conns_[fd].state != State::kFree) close(static_cast<int>(fd));
    }
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  absl::Status Init();
  void Run();
  // From any thread: deliver a publish made on another loop.
  void Post(std::string_view channel, std::string_view event);
  void Wake() { event_loop_->Wake(); }

  ServerCounters counters;

 private:
  uint64_t Token(int fd) const {
    return uint64_t(uint32_t(fd)) | uint64_t(conns_[fd].generation) << 32;
  }
  uint32_t now() const { return now_ms_; }

  void OnEvent(uint64_t token, uint32_t events);
  void Accept();
  void OnReadable(int fd);
  void OnHttpBytes(int fd, size_t n);
  void ServePlainHttp(int fd, std::string_view path);
  void Upgrade(int fd, std::string_view data);
  void OnFrames(int fd, std::span<uint8_t> in);
  void OnMessage(int fd, const FrameEvent& ev);
  void HandleCommand(int fd, std::string_view text, size_t capacity);
  void PublishLocal(std::string_view channel, std::string_view event,
                    ConnectionId exclude);
  void DrainInbox();

  // Output.
  void QueueFrame(int fd, Opcode opcode, std::string_view payload);
  void QueueRaw(int fd, std::string_view bytes);
  void SendText(int fd, std::string_view text) {
    QueueFrame(fd, Opcode::kText, text);
    ServerCounters::Add(counters.messages_sent, uint64_t{1});
  }
  void QueueClose(int fd, uint16_t code, std::string_view reason);
  void SendHttpAndLinger(int fd, std::string response);
  void MarkDirty(int fd) {
    Conn& c = conns_[fd];
    if ((c.flags & kDirty) == 0) {
      c.flags |= kDirty;
      dirty_.push_back(fd);
    }
  }
  void FlushDirty();
  void Flush(int fd);
  void UpdateInterest(int fd);

  // Closing.
  void LeaveOpen(Conn& c);
  // Sends close `code` and waits for the peer's (server-initiated close).
  void StartClose(int fd, uint16_t code, std::string_view reason);
  // Sends close `code`, then ends the socket once it is written (a protocol
  // error, or the reply to the peer's close).
  void FailConnection(int fd, uint16_t code, std::string_view reason);
  void Terminate(int fd);
  void Tick();
  void BeginShutdown();

  ConnExtra& Extra(Conn& c) {
    if (!c.extra) c.extra = std::make_unique<ConnExtra>();
    return *c.extra;
  }
  void MaybeFreeExtra(Conn& c) {
    ConnExtra* x = c.extra.get();
    if (x != nullptr && x->in.empty() && x->http_out.empty() && !x->decoder &&
        !x->deflate) {
      c.extra.reset();
    }
  }

  Server& server_;
  const int index_;
  int listen_fd_;
  bool listen_paused_ = false;
  std::unique_ptr<EventLoop> event_loop_;
  std::unique_ptr<ConnectionManager> manager_;
  std::unique_ptr<Broadcaster> broadcaster_;
  std::unique_ptr<MessageParser> parser_;
  ReplyBuilder replies_;
  Rbac rbac_;
  RoleSet default_roles_;
  UpgradeRequestParser request_parser_;
  HandshakeConfig handshake_config_;
  FrameDecoderOptions plain_decoder_options_;
  FrameDecoderOptions deflate_decoder_options_;
  PerMessageDeflateOptions deflate_options_;
  std::unique_ptr<FrameDecoder> spare_decoder_;

  std::vector<Conn> conns_;          // by fd
  std::vector<int32_t> fd_of_slot_;  // by ConnectionManager slot
  std::vector<int> dirty_;
  std::vector<ConnectionId> to_close_;
  std::vector<ChannelId> channels_scratch_;
  size_t conn_count_ = 0;  // sockets (any state)
  // The shared receive buffer: a read, plus a request's leftover bytes,
  // plus the padding simdjson reads past a message.
  std::unique_ptr<uint8_t[]> rbuf_;
  size_t rbuf_size_ = 0;

  uint64_t start_ms_ = 0;
  uint32_t now_ms_ = 0;
  uint32_t tick_ms_ = 1000;
  uint32_t last_tick_ = 0;
  bool shutting_down_ = false;
  uint32_t shutdown_started_ = 0;

  std::mutex inbox_mu_;
  std::vector<std::pair<std::string, std::string>> inbox_;
};

absl::Status Server::Loop::Init() {
  const ServerOptions& o = server_.options_;
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Create();
  if (!loop.ok()) return loop.status();
  event_loop_ = std::move(*loop);
  if (absl::Status s = event_loop_->Add(listen_fd_, EPOLLIN,
                                        kListenToken | uint32_t(listen_fd_));
      !s.ok()) {
    return s;
  }
  ConnectionManagerOptions mo;
  mo.max_user_size = kMaxUserSize;
  mo.queue_byte_limit = o.queue_byte_limit;
  manager_ = std::make_unique<ConnectionManager>(mo);
  BroadcasterOptions bo;
  bo.overflow = o.overflow;
  // An event is the published data plus the envelope and the escaped channel.
  bo.max_payload = o.max_message_size + 2048;
  broadcaster_ = std::make_unique<Broadcaster>(*manager_, bo);
  ParserOptions po;
  po.max_message_bytes = o.max_message_size;
  parser_ = std::make_unique<MessageParser>(po);
  if (absl::Status s = LoadServerPolicy(o.policy_text.empty()
                                            ? kDefaultServerPolicy
                                            : std::string_view(o.policy_text),
                                        rbac_, default_roles_);
      !s.ok()) {
    return s;
  }
  request_parser_ = UpgradeRequestParser(o.max_handshake_size);
  if (o.permessage_deflate) {
    // The server never compresses what it sends (RFC 7692 section 6 lets a
    // message go uncompressed), so its deflate stream gets the smallest
    // window and memory level.
    PerMessageDeflateConfig config;
    config.server_max_window_bits = 9;
    handshake_config_.permessage_deflate = config;
  }
  plain_decoder_options_.max_frame_size = o.max_frame_size;
  plain_decoder_options_.max_message_size = o.max_message_size;
  deflate_decoder_options_ = plain_decoder_options_;
  deflate_decoder_options_.allow_rsv1 = true;
  deflate_options_.role = Role::kServer;
  deflate_options_.mem_level = 1;
  deflate_options_.level = 1;
  deflate_options_.max_message_size = o.max_message_size;
  spare_decoder_ = std::make_unique<FrameDecoder>(plain_decoder_options_);
  rbuf_size_ = kReadSize + o.max_handshake_size + kMessagePadding;
  rbuf_ = std::make_unique<uint8_t[]>(rbuf_size_);
  const int shortest = std::min(
      {o.ping_interval_ms, o.handshake_timeout_ms, o.close_timeout_ms});
  tick_ms_ = static_cast<uint32_t>(std::clamp(shortest / 4, 5, 1000));
  start_ms_ = MonotonicMs();
  return absl::OkStatus();
}

void Server::Loop::Post(std::string_view channel, std::string_view event) {
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    inbox_.emplace_back(std::string(channel), std::string(event));
  }
  event_loop_->Wake();
}

void Server::Loop::DrainInbox() {
  std::vector<std::pair<std::string, std::string>> batch;
  {
    std::lock_guard<std::mutex> lock(inbox_mu_);
    batch.swap(inbox_);
  }
  for (const auto& [channel, event] : batch) {
    PublishLocal(channel, event, ConnectionId::Invalid());
  }
}

void Server::Loop::Run() {
  for (;;) {
    const uint32_t since_tick = now() - last_tick_;
    const int timeout =
        since_tick >= tick_ms_ ? 0 : static_cast<int>(tick_ms_ - since_tick);
    event_loop_->Poll(timeout, [this](uint64_t token, uint32_t events) {
      OnEvent(token, events);
    });
    now_ms_ = static_cast<uint32_t>(MonotonicMs() - start_ms_);
    FlushDirty();
    if (now() - last_tick_ >= tick_ms_) {
      last_tick_ = now();
      Tick();
      FlushDirty();
    }
    if (!shutting_down_ && server_.shutdown_.load(std::memory_order_acquire)) {
      BeginShutdown();
      FlushDirty();
    }
    if (shutting_down_) {
      if (conn_count_ == 0) break;
      if (now() - shutdown_started_ >=
          uint32_t(server_.options_.shutdown_timeout_ms)) {
        for (size_t fd = 0; fd < conns_.size(); ++fd) {
          Terminate(static_cast<int>(fd));
        }
        break;
      }
    }
  }
}

void Server::Loop::OnEvent(uint64_t token, uint32_t events) {
  if (token == EventLoop::kWakeToken) {
    DrainInbox();
    return;
  }
  if ((token & kListenToken) != 0) {
    Accept();
    return;
  }
  const int fd = static_cast<int>(token & 0xFFFFFFFF);
  if (size_t(fd) >= conns_.size()) return;
  Conn& c = conns_[fd];
  if (c.state == State::kFree || c.generation != uint32_t(token >> 32)) return;
  if ((events & EPOLLERR) != 0) {
    Terminate(fd);
    return;
  }
  if ((events & EPOLLOUT) != 0) Flush(fd);
  if (c.state != State::kFree &&
      (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP)) != 0) {
    OnReadable(fd);
  }
}

void Server::Loop::Accept() {
  for (int i = 0; i < 64; ++i) {
    const int fd =
        accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
          errno == ENOMEM) {
        // Out of descriptors: stop accepting until the next tick rather
        // than spin on a listener that stays readable.
        event_loop_->Modify(listen_fd_, 0, kListenToken | uint32_t(listen_fd_))
            .IgnoreError();
        listen_paused_ = true;
      }
      return;  // EAGAIN, or a connection that died in the backlog
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (size_t(fd) >= conns_.size()) conns_.resize(size_t(fd) + 1);
    Conn& c = conns_[fd];
    ++c.generation;
    c.state = State::kHttp;
    c.flags = kInterestIn;
    c.last_active = now();
    c.head_offset = 0;
    c.id = ConnectionId::Invalid();
    if (!event_loop_->Add(fd, EPOLLIN | EPOLLRDHUP, Token(fd)).ok()) {
      c.state = State::kFree;
      close(fd);
      continue;
    }
    ++conn_count_;
  }
}

void Server::Loop::OnReadable(int fd) {
  Conn& c = conns_[fd];
  const ssize_t n = read(fd, rbuf_.get(), kReadSize);
  if (n == 0) {  // the peer closed (or half-closed: we are done either way)
    Terminate(fd);
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) Terminate(fd);
    return;
  }
  switch (c.state) {
    case State::kHttp:
      // last_active stays at the accept: a client trickling its request
      // byte by byte still meets the handshake timeout.
      OnHttpBytes(fd, size_t(n));
      break;
    case State::kOpen:
      c.last_active = now();
      c.flags &= ~kPinged;
      OnFrames(fd, std::span<uint8_t>(rbuf_.get(), size_t(n)));
      break;
    case State::kClosing:  // still decoding: the peer's close ends it
      OnFrames(fd, std::span<uint8_t>(rbuf_.get(), size_t(n)));
      break;
    case State::kLinger:
    case State::kFree:
      break;
  }
  if (conns_[fd].state == State::kOpen) {
    const OutboundQueue* q = manager_->queue(conns_[fd].id);
    if (q != nullptr && q->bytes() > server_.options_.queue_byte_limit) {
      // The client's requests produce replies faster than it reads them:
      // stop reading until the queue drains (TCP pushes back on it).
      conns_[fd].flags |= kReadPaused;
      UpdateInterest(fd);
    }
  }
}

void Server::Loop::OnHttpBytes(int fd, size_t n) {
  Conn& c = conns_[fd];
  std::string_view data(reinterpret_cast<const char*>(rbuf_.get()), n);
  if (c.extra && !c.extra->in.empty()) {
    c.extra->in.append(data);
    data = c.extra->in;
  }
  auto keep = [&] {
    if (!c.extra || c.extra->in.empty()) Extra(c).in.assign(data);
  };
  if (std::string_view path = PlainHttpPath(data); !path.empty()) {
    if (data.find("\r\n\r\n") != std::string_view::npos) {
      ServePlainHttp(fd, path);
    } else if (data.size() > server_.options_.max_handshake_size) {
      Terminate(fd);
    } else {
      keep();
    }
    return;
  }
  // Only a GET can become a WebSocket (RFC 6455 section 4.1): refuse
  // anything else at once instead of waiting for a CRLF CRLF that binary
  // garbage may never contain.
  const size_t prefix = std::min<size_t>(data.size(), 4);
  absl::StatusOr<ParseResult> r =
      data.substr(0, prefix) != std::string_view("GET ").substr(0, prefix)
          ? absl::InvalidArgumentError(
                "the request does not start with 'GET ' at byte 0")
          : (request_parser_.Reset(), request_parser_.Parse(data));
  if (!r.ok()) {
    ServerCounters::Add(counters.handshake_errors, uint64_t{1});
    std::string out;
    AppendErrorResponse(r.status(), out);
    SendHttpAndLinger(fd, std::move(out));
    return;
  }
  if (*r == ParseResult::kNeedMore) {
    keep();
    return;
  }
  Upgrade(fd, data);
}

void Server::Loop::ServePlainHttp(int fd, std::string_view path) {
  ServerCounters::Add(counters.http_requests, uint64_t{1});
  if (path == "metrics") {
    SendHttpAndLinger(
        fd, HttpResponse("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                         server_.MetricsText()));
  } else if (shutting_down_) {
    SendHttpAndLinger(fd, HttpResponse("503 Service Unavailable", "text/plain",
                                       "shutting down\n"));
  } else {
    SendHttpAndLinger(fd, HttpResponse("200 OK", "text/plain", "ok\n"));
  }
}

void Server::Loop::Upgrade(int fd, std::string_view data) {
  Conn& c = conns_[fd];
  const UpgradeRequest& request = request_parser_.request();
  absl::StatusOr<std::string_view> user = UserFromTarget(request.target);
  if (!user.ok()) {
    ServerCounters::Add(counters.handshake_errors, uint64_t{1});
    std::string out;
    AppendErrorResponse(user.status(), out);
    SendHttpAndLinger(fd, std::move(out));
    return;
  }
  const uint32_t max = server_.options_.max_connections;
  if (shutting_down_ ||
      (max != 0 &&
       server_.open_total_.load(std::memory_order_relaxed) >= int64_t{max})) {
    ServerCounters::Add(counters.rejected, uint64_t{1});
    SendHttpAndLinger(
        fd, HttpResponse(
                "503 Service Unavailable", "text/plain",
                shutting_down_ ? "shutting down\n" : "too many connections\n"));
    return;
  }
  absl::StatusOr<ConnectionId> id =
      manager_->Open(*user, RolesOf(rbac_, default_roles_, *user));
  if (!id.ok()) {
    ServerCounters::Add(counters.rejected, uint64_t{1});
    SendHttpAndLinger(fd, HttpResponse("503 Service Unavailable", "text/plain",
                                       std::string(id.status().message())));
    return;
  }
  std::string response;
  const HandshakeResult result =
      AppendAcceptResponse(request, handshake_config_, response);
  c.id = *id;
  if (fd_of_slot_.size() <= id->index) fd_of_slot_.resize(id->index + 1, -1);
  fd_of_slot_[id->index] = fd;
  c.state = State::kOpen;
  ServerCounters::Add(counters.active, int64_t{1});
  ServerCounters::Add(counters.opened, uint64_t{1});
  server_.open_total_.fetch_add(1, std::memory_order_relaxed);
  if (result.permessage_deflate) {
    absl::StatusOr<std::unique_ptr<PerMessageDeflate>> deflate =
        PerMessageDeflate::Create(*result.permessage_deflate, deflate_options_);
    if (deflate.ok()) {
      ConnExtra& x = Extra(c);
      x.deflate = std::move(*deflate);
      x.decoder = std::make_unique<FrameDecoder>(deflate_decoder_options_);
      c.flags |= kDeflate;
    } else {
      // Cannot happen for parameters the handshake agreed; answer without
      // the extension would be wrong after the 101, so fail the connection.
      QueueRaw(fd, response);
      FailConnection(fd, uint16_t(CloseCode::kInternalError),
                     "permessage-deflate unavailable");
      return;
    }
  }
  QueueRaw(fd, response);
  // Frames the client sent right behind its request: move them to the
  // front of the receive buffer (where message padding follows them).
  const std::string_view leftover = data.substr(request.size);
  const size_t left = leftover.size();
  if (left != 0) std::memmove(rbuf_.get(), leftover.data(), left);
  if (c.extra) {
    std::string().swap(c.extra->in);
    MaybeFreeExtra(c);
  }
  if (left != 0) OnFrames(fd, std::span<uint8_t>(rbuf_.get(), left));
}

void Server::Loop::OnFrames(int fd, std::span<uint8_t> in) {
  Conn& c = conns_[fd];
  const uint32_t generation = c.generation;
  FrameDecoder* d;
  const bool borrowed = !c.extra || !c.extra->decoder;
  d = borrowed ? spare_decoder_.get() : c.extra->decoder.get();
  uint64_t boundary = d->bytes_consumed();
  bool stop = false;
  while (!stop) {
    if (c.state != State::kOpen && c.state != State::kClosing) break;
    const FrameEvent ev = d->Next(in);
    switch (ev.type) {
      case FrameEventType::kNeedMore:
        stop = true;
        break;
      case FrameEventType::kMessage:
        boundary = d->bytes_consumed();
        if (c.state == State::kOpen) OnMessage(fd, ev);
        break;
      case FrameEventType::kPing:
        boundary = d->bytes_consumed();
        if (c.state == State::kOpen) QueueFrame(fd, Opcode::kPong, ev.text());
        break;
      case FrameEventType::kPong:
        boundary = d->bytes_consumed();
        break;
      case FrameEventType::kClose:
        boundary = d->bytes_consumed();
        if (c.state == State::kClosing) {
          Terminate(fd);  // the peer answered our close
        } else {
          // Echo the peer's code (section 5.5.1); none for 1005.
          FailConnection(fd, ev.close_code, "");
        }
        stop = true;
        break;
      case FrameEventType::kError: {
        if (c.state == State::kClosing) {  // garbage after our close
          Terminate(fd);
          stop = true;
          break;
        }
        ServerCounters::Add(counters.protocol_errors, uint64_t{1});
        const absl::Status status = d->status();
        FailConnection(fd, ev.close_code, ToStd(status.message()));
        stop = true;
        break;
      }
    }
  }
  // Terminate() may have ended the socket (and freed its decoder).
  const bool alive = c.state != State::kFree && c.generation == generation;
  if (borrowed) {
    if (alive && c.state != State::kLinger && d->error() == FrameError::kNone &&
        (d->in_message() || d->bytes_consumed() != boundary)) {
      // A frame or message is cut between reads: the connection keeps this
      // decoder and the loop takes a fresh one.
      Extra(c).decoder = std::move(spare_decoder_);
      spare_decoder_ = std::make_unique<FrameDecoder>(plain_decoder_options_);
    } else {
      d->Reset();
    }
  } else if (alive && (c.flags & kDeflate) == 0 && !d->in_message() &&
             d->bytes_consumed() == boundary) {
    c.extra->decoder.reset();
    MaybeFreeExtra(c);
  }
}

void Server::Loop::OnMessage(int fd, const FrameEvent& ev) {
  Conn& c = conns_[fd];
  ServerCounters::Add(counters.messages_received, uint64_t{1});
  std::string_view text = ev.text();
  size_t capacity = ev.copied
                        ? text.size()
                        : size_t(rbuf_.get() + rbuf_size_ - ev.payload.data());
  if (ev.compressed) {
    absl::StatusOr<std::string_view> inflated =
        c.extra->deflate->Decompress(text, true);
    if (!inflated.ok()) {
      ServerCounters::Add(counters.protocol_errors, uint64_t{1});
      FailConnection(fd,
                     absl::IsResourceExhausted(inflated.status())
                         ? uint16_t(CloseCode::kMessageTooBig)
                         : uint16_t(CloseCode::kInvalidPayload),
                     ToStd(inflated.status().message()));
      return;
    }
    text = *inflated;
    capacity = text.size();
    // RFC 7692 section 8: the inflated text must be UTF-8 (RFC 6455 8.1);
    // FrameDecoder could only see the compressed bytes.
    if (ev.opcode == Opcode::kText && !IsValidUtf8(text)) {
      ServerCounters::Add(counters.protocol_errors, uint64_t{1});
      FailConnection(fd, uint16_t(CloseCode::kInvalidPayload),
                     "compressed text message is not valid UTF-8");
      return;
    }
  }
  if (ev.opcode == Opcode::kBinary) {
    SendText(fd,
             replies_.Error("unsupported_data",
                            "binary messages are not part of the protocol"));
    return;
  }
  HandleCommand(fd, text, capacity);
}

void Server::Loop::HandleCommand(int fd, std::string_view text,
                                 size_t capacity) {
  const ConnectionId id = conns_[fd].id;
  // An empty message reassembled from empty fragments has no storage (a
  // null data pointer); the parser would memcpy from it. Give it a real one.
  if (text.data() == nullptr) text = std::string_view("", 0);
  Command command;
  if (parser_->Parse(text, capacity, command) != MessageError::kOk) {
    const MessageErrorInfo& e = parser_->last_error();
    SendText(fd, replies_.Error(e.code, e.offset));
    return;
  }
  const RoleSet roles = manager_->roles(id);
  auto forbidden = [&](Action action, std::string_view channel) {
    absl::StatusOr<ConnectionView> view = manager_->Lookup(id);
    SendText(fd,
             replies_.Error("forbidden",
                            fmt::format("user '{}' may not {} on channel '{}'",
                                        view.ok() ? view->user : "?",
                                        ActionName(action), channel),
                            command.id));
  };
  switch (command.type) {
    case CommandType::kSubscribe:
      for (std::string_view channel : command.channels()) {
        if (!rbac_.Check(roles, Action::kSubscribe, channel)) {
          forbidden(Action::kSubscribe, channel);
          return;
        }
      }
      for (std::string_view channel : command.channels()) {
        absl::StatusOr<SubscribeResult> r = manager_->Subscribe(id, channel);
        if (!r.ok()) {
          SendText(fd, replies_.Error("subscribe_failed",
                                      ToStd(r.status().message()), command.id));
          return;
        }
      }
      SendText(fd, replies_.Ack(command));
      return;
    case CommandType::kUnsubscribe:
      for (std::string_view channel : command.channels()) {
        manager_->Unsubscribe(id, channel).IgnoreError();  // absent: fine
      }
      SendText(fd, replies_.Ack(command));
      return;
    case CommandType::kPublish: {
      if (!rbac_.Check(roles, Action::kPublish, command.channel)) {
        forbidden(Action::kPublish, command.channel);
        return;
      }
      const std::string_view event = replies_.Event(command);
      PublishLocal(command.channel, event, id);
      for (size_t i = 0; i < server_.loops_.size(); ++i) {
        if (int(i) != index_) server_.loops_[i]->Post(command.channel, event);
      }
      SendText(fd, replies_.Ack(command));
      return;
    }
    case CommandType::kPing:
      SendText(fd, replies_.Ack(command));
      return;
  }
}

void Server::Loop::PublishLocal(std::string_view channel,
                                std::string_view event, ConnectionId exclude) {
  const std::optional<ChannelId> ch = manager_->subscriptions().Find(channel);
  if (!ch) return;  // nobody here is subscribed
  absl::StatusOr<PublishResult> r =
      broadcaster_->Publish(*ch, event, Opcode::kText, exclude);
  if (!r.ok()) return;  // larger than any message we accept: cannot happen
  ServerCounters::Add(counters.messages_sent, uint64_t{r->delivered});
  ServerCounters::Add(counters.messages_dropped, uint64_t{r->dropped});
  for (ConnIndex s : manager_->subscriptions().subscribers(*ch)) {
    if (s < fd_of_slot_.size() && fd_of_slot_[s] >= 0)
      MarkDirty(fd_of_slot_[s]);
  }
  if (r->close_marked != 0) {
    broadcaster_->TakeConnectionsToClose(to_close_);
    for (ConnectionId slow : to_close_) {
      if (slow.index < fd_of_slot_.size() && fd_of_slot_[slow.index] >= 0 &&
          manager_->IsOpen(slow)) {
        ServerCounters::Add(counters.closed_slow, uint64_t{1});
        Terminate(fd_of_slot_[slow.index]);
      }
    }
  }
}

void Server::Loop::QueueFrame(int fd, Opcode opcode, std::string_view payload) {
  Conn& c = conns_[fd];
  OutboundQueue* q = manager_->queue(c.id);
  if (q == nullptr) return;
  const size_t header_size = FrameHeaderSize(payload.size(), false);
  SharedFrame* f = manager_->frame_pool().Acquire(header_size + payload.size());
  std::array<uint8_t, kMaxFrameHeaderSize> header;
  EncodeFrameHeader({.opcode = opcode, .payload_size = payload.size()}, header);
  std::memcpy(f->data(), header.data(), header_size);
  if (!payload.empty()) {
    std::memcpy(f->data() + header_size, payload.data(), payload.size());
  }
  // The queue takes the frame's one reference. A reply or control frame
  // is never dropped: the reading side stops instead (see OnReadable).
  if (!q->TryPush(f)) q->PushGrow(f);
  MarkDirty(fd);
}

void Server::Loop::QueueRaw(int fd, std::string_view bytes) {
  OutboundQueue* q = manager_->queue(conns_[fd].id);
  if (q == nullptr) return;
  SharedFrame* f = manager_->frame_pool().Acquire(bytes.size());
  std::memcpy(f->data(), bytes.data(), bytes.size());
  if (!q->TryPush(f)) q->PushGrow(f);
  MarkDirty(fd);
}

void Server::Loop::QueueClose(int fd, uint16_t code, std::string_view reason) {
  char payload[kMaxControlPayload];
  size_t n = 0;
  if (code != uint16_t(CloseCode::kNoStatusReceived)) {
    payload[0] = char(code >> 8);
    payload[1] = char(code & 0xFF);
    reason = reason.substr(0, kMaxCloseReason);
    // Do not cut a UTF-8 sequence in two (the reason must stay UTF-8).
    while (!reason.empty() && !IsValidUtf8(reason)) reason.remove_suffix(1);
    std::memcpy(payload + 2, reason.data(), reason.size());
    n = 2 + reason.size();
  }
  QueueFrame(fd, Opcode::kClose, std::string_view(payload, n));
}

void Server::Loop::SendHttpAndLinger(int fd, std::string response) {
  Conn& c = conns_[fd];
  ConnExtra& x = Extra(c);
  std::string().swap(x.in);
  x.http_out = std::move(response);
  x.http_sent = 0;
  c.state = State::kLinger;
  c.last_active = now();
  MarkDirty(fd);
}

void Server::Loop::FlushDirty() {
  // Flush may end sockets and the list may grow while we walk it (it does
  // not: nothing in Flush queues output), so walk by index.
  for (size_t i = 0; i < dirty_.size(); ++i) {
    const int fd = dirty_[i];
    Conn& c = conns_[fd];
    if ((c.flags & kDirty) == 0) continue;
    c.flags &= ~kDirty;
    if (c.state != State::kFree && (c.flags & kWantWrite) == 0) Flush(fd);
  }
  dirty_.clear();
}

void Server::Loop::Flush(int fd) {
  Conn& c = conns_[fd];
  bool done = true;
  OutboundQueue* q = c.id.valid() ? manager_->queue(c.id) : nullptr;
  if (q != nullptr) {
    while (!q->empty()) {
      std::array<std::span<const uint8_t>, kMaxIov> spans;
      const size_t n = q->Gather(spans);
      iovec iov[kMaxIov];
      size_t total = 0;
      for (size_t i = 0; i < n; ++i) {
        iov[i].iov_base = const_cast<uint8_t*>(spans[i].data());
        iov[i].iov_len = spans[i].size();
        total += spans[i].size();
      }
      iov[0].iov_base = static_cast<char*>(iov[0].iov_base) + c.head_offset;
      iov[0].iov_len -= c.head_offset;
      total -= c.head_offset;
      // sendmsg is writev with flags: MSG_NOSIGNAL, no SIGPIPE on a reset.
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = n;
      const ssize_t w = sendmsg(fd, &msg, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          done = false;
          break;
        }
        Terminate(fd);
        return;
      }
      size_t left = size_t(w) + c.head_offset;
      size_t k = 0;
      while (k < n && left >= spans[k].size()) {
        left -= spans[k].size();
        ++k;
      }
      q->Consume(k);
      c.head_offset = uint32_t(left);
      if (size_t(w) < total) {
        done = false;
        break;
      }
    }
  } else if (c.extra && !c.extra->http_out.empty()) {
    ConnExtra& x = *c.extra;
    while (x.http_sent < x.http_out.size()) {
      const ssize_t w = send(fd, x.http_out.data() + x.http_sent,
                             x.http_out.size() - x.http_sent, MSG_NOSIGNAL);
      if (w < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          done = false;
          break;
        }
        Terminate(fd);
        return;
      }
      x.http_sent += size_t(w);
    }
    if (done) {
      std::string().swap(x.http_out);
      x.http_sent = 0;
    }
  }
  if (done) {
    c.flags &= ~kWantWrite;
    if (c.state == State::kLinger && (c.flags & kShutWr) == 0) {
      shutdown(fd, SHUT_WR);  // the peer sees EOF and closes its end
      c.flags |= kShutWr;
    }
    if ((c.flags & kReadPaused) != 0 &&
        (q == nullptr || q->bytes() <= server_.options_.queue_byte_limit / 2)) {
      c.flags &= ~kReadPaused;
    }
  } else {
    c.flags |= kWantWrite;
  }
  UpdateInterest(fd);
}

void Server::Loop::UpdateInterest(int fd) {
  Conn& c = conns_[fd];
  const bool in = (c.flags & kReadPaused) == 0;
  const bool out = (c.flags & kWantWrite) != 0;
  const bool had_in = (c.flags & kInterestIn) != 0;
  const bool had_out = (c.flags & kInterestOut) != 0;
  if (in == had_in && out == had_out) return;
  const uint32_t events = (in ? uint32_t{EPOLLIN | EPOLLRDHUP} : 0u) |
                          (out ? uint32_t{EPOLLOUT} : 0u);
  event_loop_->Modify(fd, events, Token(fd)).IgnoreError();
  c.flags = uint8_t((c.flags & ~(kInterestIn | kInterestOut)) |
                    (in ? kInterestIn : 0) | (out ? kInterestOut : 0));
}

void Server::Loop::LeaveOpen(Conn& c) {
  c.state = State::kLinger;
  // No data frame may follow a close frame (RFC 6455 section 5.5.1): leave
  // every channel now; the slot itself goes when the socket ends.
  manager_->ChannelsOf(c.id, channels_scratch_);
  for (ChannelId channel : channels_scratch_) {
    manager_->Unsubscribe(c.id, channel).IgnoreError();
  }
  ServerCounters::Add(counters.active, int64_t{-1});
  ServerCounters::Add(counters.closed, uint64_t{1});
  server_.open_total_.fetch_sub(1, std::memory_order_relaxed);
}

void Server::Loop::StartClose(int fd, uint16_t code, std::string_view reason) {
  Conn& c = conns_[fd];
  if (c.state != State::kOpen) return;
  QueueClose(fd, code, reason);
  LeaveOpen(c);
  c.state = State::kClosing;
  c.last_active = now();
}

void Server::Loop::FailConnection(int fd, uint16_t code,
                                  std::string_view reason) {
  Conn& c = conns_[fd];
  if (c.state != State::kOpen) return;
  QueueClose(fd, code, reason);
  LeaveOpen(c);  // -> kLinger: SHUT_WR once the close frame is written
  c.last_active = now();
}

void Server::Loop::Terminate(int fd) {
  Conn& c = conns_[fd];
  if (c.state == State::kFree) return;
  if (c.state == State::kOpen) LeaveOpen(c);
  if (c.id.valid()) {
    if (c.id.index < fd_of_slot_.size()) fd_of_slot_[c.id.index] = -1;
    manager_->Close(c.id).IgnoreError();
    c.id = ConnectionId::Invalid();
  }
  // close() also drops the fd from the epoll set (it is never dup'ed).
  close(fd);
  c.extra.reset();
  c.state = State::kFree;
  c.flags = 0;
  c.head_offset = 0;
  --conn_count_;
}

void Server::Loop::Tick() {
  const ServerOptions& o = server_.options_;
  if (listen_paused_ && listen_fd_ >= 0) {
    listen_paused_ = false;
    event_loop_
        ->Modify(listen_fd_, EPOLLIN, kListenToken | uint32_t(listen_fd_))
        .IgnoreError();
  }
  for (size_t i = 0; i < conns_.size(); ++i) {
    const int fd = static_cast<int>(i);
    Conn& c = conns_[i];
    const uint32_t idle = now() - c.last_active;
    switch (c.state) {
      case State::kFree:
        break;
      case State::kHttp:
        if (idle >= uint32_t(o.handshake_timeout_ms)) Terminate(fd);
        break;
      case State::kOpen:
        if (idle >= uint32_t(o.idle_timeout_ms)) {
          ServerCounters::Add(counters.idle_timeouts, uint64_t{1});
          StartClose(fd, uint16_t(CloseCode::kGoingAway), "idle timeout");
        } else if (idle >= uint32_t(o.ping_interval_ms) &&
                   (c.flags & kPinged) == 0) {
          QueueFrame(fd, Opcode::kPing, "");
          c.flags |= kPinged;
        }
        break;
      case State::kClosing:
      case State::kLinger:
        if (idle >= uint32_t(o.close_timeout_ms)) Terminate(fd);
        break;
    }
  }
}

void Server::Loop::BeginShutdown() {
  shutting_down_ = true;
  shutdown_started_ = now();
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  for (size_t i = 0; i < conns_.size(); ++i) {
    const int fd = static_cast<int>(i);
    switch (conns_[i].state) {
      case State::kOpen:
        StartClose(fd, uint16_t(CloseCode::kGoingAway), "server shutting down");
        break;
      case State::kHttp:
        Terminate(fd);
        break;
      default:
        break;
    }
  }
}

// ---------------------------------------------------------------------------

Server::Server(const ServerOptions& options) : options_(options) {}

Server::~Server() = default;

absl::StatusOr<std::unique_ptr<Server>> Server::Create(
    const ServerOptions& options) {
  if (options.threads < 1 || options.threads > 256) {
    return absl::InvalidArgumentError(
        fmt::format("threads must be 1..256, got {}", options.threads));
  }
  if (options.ping_interval_ms <= 0 || options.idle_timeout_ms <= 0 ||
      options.handshake_timeout_ms <= 0 || options.close_timeout_ms <= 0 ||
      options.shutdown_timeout_ms <= 0) {
    return absl::InvalidArgumentError("every timeout must be positive");
  }
  if (options.idle_timeout_ms <= options.ping_interval_ms) {
    return absl::InvalidArgumentError(fmt::format(
        "idle timeout ({} ms) must be longer than the ping interval ({} ms)",
        options.idle_timeout_ms, options.ping_interval_ms));
  }
  if (options.max_message_size == 0 || options.max_frame_size == 0 ||
      options.max_message_size > (uint64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        "max message size must be 1 byte .. 1 GiB, max frame size positive");
  }
  if (options.queue_byte_limit == 0) {
    return absl::InvalidArgumentError("queue byte limit must be positive");
  }
  in_addr addr{};
  if (inet_pton(AF_INET, options.bind_address.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(fmt::format(
        "bind address '{}' is not an IPv4 address", options.bind_address));
  }
  {
    Rbac rbac;
    RoleSet roles;
    if (absl::Status s = LoadServerPolicy(
            options.policy_text.empty() ? kDefaultServerPolicy
                                        : std::string_view(options.policy_text),
            rbac, roles);
        !s.ok()) {
      return s;
    }
  }
  std::unique_ptr<Server> server(new Server(options));
  uint16_t port = options.port;
  for (int i = 0; i < options.threads; ++i) {
    const int fd =
        socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      return absl::InternalError(fmt::format("socket: {}", strerror(errno)));
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (options.threads > 1) {
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr = addr;
    sa.sin_port = htons(port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 ||
        listen(fd, options.listen_backlog) != 0) {
      absl::Status s = absl::InternalError(
          fmt::format("cannot listen on {}:{}: {}", options.bind_address, port,
                      strerror(errno)));
      close(fd);
      return s;
    }
    socklen_t len = sizeof(sa);
    getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
    server->loops_.push_back(std::make_unique<Loop>(*server, i, fd));
  }
  server->port_ = port;
  for (auto& loop : server->loops_) {
    if (absl::Status s = loop->Init(); !s.ok()) return s;
    server->counters_.push_back(&loop->counters);
  }
  return server;
}

absl::Status Server::Run() {
  std::vector<std::thread> threads;
  for (size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get()] { loop->Run(); });
  }
  loops_[0]->Run();
  for (std::thread& t : threads) t.join();
  return absl::OkStatus();
}

void Server::Shutdown() {
  shutdown_.store(true, std::memory_order_release);
  for (const std::unique_ptr<Loop>& loop : loops_) loop->Wake();
}

ServerStats Server::stats() const { return SumCounters(counters_); }

std::string Server::MetricsText() const {
  return FormatPrometheus(stats(), ResidentMemoryBytes());
}

}  // namespace wsbench
