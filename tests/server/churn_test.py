"""wsbench-server under connection churn: 10,000 WebSocket clients opened and
killed in bursts (reset, closed without a close frame, cut mid-frame,
cut mid-handshake, or closed cleanly). Checks that the server stays up, that
its active-connections gauge is exact at the peak of each burst and returns
to 0, and that its resident memory after the last burst is within a small
margin of what it was after the first (nothing leaks per connection).

  /usr/bin/python3 tests/server/churn_test.py --server PATH [--clients N] [--burst B]

Exits 77 (skipped) without python3-prometheus-client, 1 on a failure.
Loopback only; standard sockets; bounded by timeouts, not by speed.
"""

import argparse
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import ServerProcess, masked_frame, raise_nofile  # noqa: E402

try:
    import prometheus_client  # noqa: F401
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

REQUEST = ("GET /?user=churn HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n").encode()
# The RSS margin: allocator slack and page granularity, far below what a leak
# of even 100 bytes per connection (1 MB over 10,000) would add.
RSS_MARGIN = 768 * 1024


def open_burst(port, n):
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(REQUEST)
        socks.append(s)
    for s in socks:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"closed during handshake: {data!r}")
            data += chunk
        if not data.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {data[:100]!r}")
    return socks


def kill_burst(socks, burst_index):
    for i, s in enumerate(socks):
        kind = (i + burst_index) % 4
        if kind == 0:  # reset: SO_LINGER 0
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        elif kind == 1:  # half a frame, then gone
            frame = masked_frame(1, b'{"type":"ping","id":1}')
            s.sendall(frame[:7])
        elif kind == 2:  # a clean close frame
            s.sendall(masked_frame(8, (1000).to_bytes(2, "big")))
        s.close()  # kind 3: just closed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--clients", type=int, default=10000)
    ap.add_argument("--burst", type=int, default=2000)
    ap.add_argument("--no-rss-check", action="store_true",
                    help="skip the RSS margin (ASan's quarantine holds freed "
                         "memory; LeakSanitizer checks leaks at exit instead)")
    args = ap.parse_args()
    limit = raise_nofile()
    if limit < args.burst + 100:
        print(f"SKIP: RLIMIT_NOFILE {limit} is below a burst of {args.burst}")
        sys.exit(77)
    server = ServerProcess(args.server)
    failures = []
    try:
        bursts = args.clients // args.burst
        rss_after_first = None
        for b in range(bursts):
            socks = open_burst(server.port, args.burst)
            # A few mid-handshake stragglers too: they must not count.
            partial = [socket.create_connection(("127.0.0.1", server.port))
                       for _ in range(10)]
            for p in partial:
                p.sendall(REQUEST[:20])
            got = server.metrics()["websocket_active_connections"]
            if got != args.burst:
                failures.append(f"burst {b}: gauge {got} with {args.burst} open")
            kill_burst(socks, b)
            for p in partial:
                p.close()
            got = server.wait_metric("websocket_active_connections", 0, timeout=30)
            if got != 0:
                failures.append(f"burst {b}: gauge {got} after every client left")
            rss = server.metrics()["process_resident_memory_bytes"]
            if rss_after_first is None:
                rss_after_first = rss
            print(f"burst {b}: {args.burst} clients opened and killed; RSS {rss / 1024:.0f} KiB")
        m = server.metrics()
        if m["websocket_connections_opened_total"] != bursts * args.burst:
            failures.append(f"opened_total {m['websocket_connections_opened_total']}")
        if m["websocket_connections_closed_total"] != bursts * args.burst:
            failures.append(f"closed_total {m['websocket_connections_closed_total']}")
        growth = m["process_resident_memory_bytes"] - rss_after_first
        print(f"RSS growth after the first burst: {growth / 1024:.0f} KiB "
              f"(margin {RSS_MARGIN // 1024} KiB)")
        if growth > RSS_MARGIN and not args.no_rss_check:
            failures.append(f"RSS grew {growth} bytes over {bursts - 1} bursts")
        if not server.alive():
            failures.append("the server died")
    finally:
        code, out, err = server.stop()
        if code != 0:
            failures.append(f"server exit {code}: {out} {err}")
    for f in failures:
        print("FAIL:", f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
