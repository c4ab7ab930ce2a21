"""wsbench-server checked by Debian's python3-websockets client and
python3-prometheus-client's text parser (libraries nobody here wrote).

  /usr/bin/python3 tests/server/python_client_test.py --server PATH [unittest args]

Exits 77 (ctest: skipped) when the client libraries are not installed.
Everything runs on 127.0.0.1 with ephemeral ports, bounded counts and
generous timeouts; nothing asserts on speed.
"""

import asyncio
import json
import os
import signal
import socket
import sys
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import (ServerProcess, masked_frame, raw_handshake,  # noqa: E402
                            read_frame, raise_nofile)

try:
    import websockets
    import websockets.exceptions
    from prometheus_client.parser import text_string_to_metric_families  # noqa: F401
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e} (tools/install-deps server installs them)")
    sys.exit(77)

SERVER = None
TIMEOUT = 20  # seconds for any one client operation


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


async def recv_json(ws):
    return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))


async def close_code_after(ws, raw):
    """Writes raw bytes on the client's transport; returns the server's close code."""
    ws.transport.write(raw)
    try:
        while True:
            await asyncio.wait_for(ws.recv(), TIMEOUT)
    except websockets.exceptions.ConnectionClosed as e:
        return e.rcvd.code if e.rcvd else None


class PubSubTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(SERVER, "--max-message-bytes", "65536",
                                   "--max-frame-bytes", "65536")

    @classmethod
    def tearDownClass(cls):
        code, out, err = cls.server.stop()
        assert code == 0, (code, out, err)

    def test_subscribe_publish_event(self):
        async def go():
            async with websockets.connect(self.server.url + "/?user=alice") as a, \
                    websockets.connect(self.server.url + "/?user=bob") as b:
                await a.send(json.dumps({"type": "subscribe",
                                         "channels": ["chat", "news"], "id": 1}))
                self.assertEqual(await recv_json(a), {
                    "type": "ack", "of": "subscribe", "id": 1,
                    "channels": ["chat", "news"]})
                for i in range(20):
                    await b.send(json.dumps({"type": "publish", "channel": "chat",
                                             "data": {"n": i}, "id": f"p{i}"}))
                for i in range(20):
                    self.assertEqual(await recv_json(b), {
                        "type": "ack", "of": "publish", "id": f"p{i}"})
                    self.assertEqual(await recv_json(a), {
                        "type": "event", "channel": "chat", "data": {"n": i}})
                await a.send(json.dumps({"type": "unsubscribe", "channels": ["chat"]}))
                self.assertEqual((await recv_json(a))["of"], "unsubscribe")
                await b.send(json.dumps({"type": "publish", "channel": "chat",
                                         "data": 1}))
                await recv_json(b)
                await b.send(json.dumps({"type": "publish", "channel": "news",
                                         "data": "x"}))
                await recv_json(b)
                # Only the news event arrives: chat was left.
                self.assertEqual(await recv_json(a), {
                    "type": "event", "channel": "news", "data": "x"})
        run(go())

    def test_ping_frames_and_json_ping(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                for _ in range(3):
                    pong = await ws.ping(b"hello")
                    await asyncio.wait_for(pong, TIMEOUT)
                await ws.send(json.dumps({"type": "ping", "id": 42}))
                self.assertEqual(await recv_json(ws),
                                 {"type": "ack", "of": "ping", "id": 42})
        run(go())

    def test_fragmented_message(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                text = json.dumps({"type": "subscribe", "channels": ["frag\u00e9"],
                                   "id": "f"}, ensure_ascii=False)
                # websockets sends an iterable of str as one fragmented text
                # message (the node test cuts a UTF-8 sequence between frames).
                pieces = [text[:5], text[5:20], text[20:]]
                await ws.send(pieces)
                self.assertEqual(await recv_json(ws), {
                    "type": "ack", "of": "subscribe", "id": "f",
                    "channels": ["frag\u00e9"]})
        run(go())

    def test_compressed_messages(self):
        async def go():
            async with websockets.connect(self.server.url) as a, \
                    websockets.connect(self.server.url) as b:
                self.assertTrue(any(type(e).__name__ == "PerMessageDeflate"
                                    for e in a.extensions), a.extensions)
                await a.send(json.dumps({"type": "subscribe", "channels": ["z"]}))
                await recv_json(a)
                # websockets compresses every message once the extension is on.
                big = "abc" * 5000
                await b.send(json.dumps({"type": "publish", "channel": "z",
                                         "data": big}))
                self.assertEqual((await recv_json(b))["type"], "ack")
                self.assertEqual(await recv_json(a),
                                 {"type": "event", "channel": "z", "data": big})
        run(go())

    def test_malformed_json_gets_error_and_stays_open(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                for bad, code in [("{bad", "malformed_json"),
                                  ('{"type":"dance"}', "unknown_type"),
                                  ('{"type":"publish","channel":"a"}',
                                   "missing_field"),
                                  ("[1,2]", "not_an_object")]:
                    await ws.send(bad)
                    reply = await recv_json(ws)
                    self.assertEqual(reply["type"], "error")
                    self.assertEqual(reply["code"], code, reply)
                # Empty messages, whole and from empty fragments (found by
                # fuzz_server: the reassembled message had a null pointer).
                for empty in ["", ["", ""]]:
                    await ws.send(empty)
                    self.assertEqual((await recv_json(ws))["code"], "truncated")
                await ws.send(b"\x01\x02")  # binary: not part of the protocol
                self.assertEqual((await recv_json(ws))["code"], "unsupported_data")
                await ws.send(json.dumps({"type": "ping", "id": 1}))
                self.assertEqual((await recv_json(ws))["of"], "ping")
            self.assertEqual(ws.close_code, 1000)  # closed cleanly
        run(go())

    def test_unmasked_frame_closes_1002(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                code = await close_code_after(
                    ws, masked_frame(1, b'{"type":"ping","id":1}', mask=False))
                self.assertEqual(code, 1002)
        run(go())

    def test_invalid_utf8_closes_1007(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                code = await close_code_after(ws, masked_frame(1, b'{"a":"\xff"}'))
                self.assertEqual(code, 1007)
        run(go())

    def test_compressed_invalid_utf8_closes_1007(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                c = zlib.compressobj(wbits=-15)
                body = c.compress(b'{"a":"\xc3\x28"}') + c.flush(zlib.Z_SYNC_FLUSH)
                self.assertEqual(body[-4:], b"\x00\x00\xff\xff")
                code = await close_code_after(
                    ws, masked_frame(1, body[:-4], rsv1=True))
                self.assertEqual(code, 1007)
        run(go())

    def test_too_big_closes_1009(self):
        async def go():
            async with websockets.connect(self.server.url, max_size=None,
                                          compression=None) as ws:
                await ws.send("x" * 70000)  # over --max-frame-bytes 65536
                with self.assertRaises(websockets.exceptions.ConnectionClosed) as e:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(e.exception.rcvd.code, 1009)
        run(go())

    def test_compressed_too_big_closes_1009(self):
        async def go():
            async with websockets.connect(self.server.url) as ws:
                # Compresses to a few hundred bytes, inflates past the limit.
                await ws.send(" " * 100000)
                with self.assertRaises(websockets.exceptions.ConnectionClosed) as e:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(e.exception.rcvd.code, 1009)
        run(go())


class MetricsTest(unittest.TestCase):
    def test_gauge_equals_connected_clients(self):
        server = ServerProcess(SERVER)
        try:
            async def go():
                m = server.metrics()
                self.assertEqual(m["websocket_active_connections"], 0)
                self.assertGreater(m["process_resident_memory_bytes"], 0)
                clients = [await websockets.connect(server.url) for _ in range(12)]
                self.assertEqual(server.metrics()["websocket_active_connections"], 12)
                for ws in clients[:5]:
                    await ws.close()
                # A clean close completes after the server left the open state.
                self.assertEqual(server.metrics()["websocket_active_connections"], 7)
                for ws in clients[5:]:
                    ws.transport.abort()  # no close frame
                await asyncio.sleep(0)  # the event loop closes the sockets
                self.assertEqual(
                    server.wait_metric("websocket_active_connections", 0), 0)
                m = server.metrics()
                self.assertEqual(m["websocket_connections_opened_total"], 12)
                self.assertEqual(m["websocket_connections_closed_total"], 12)
            run(go())
            status, body = server.get("/healthz")
            self.assertEqual((status, body), (200, "ok\n"))
        finally:
            code, out, err = server.stop()
            self.assertEqual(code, 0, (out, err))

    def test_message_counters(self):
        server = ServerProcess(SERVER)
        try:
            async def go():
                async with websockets.connect(server.url) as a, \
                        websockets.connect(server.url) as b:
                    await a.send(json.dumps({"type": "subscribe", "channels": ["c"]}))
                    await recv_json(a)
                    await b.send(json.dumps({"type": "publish", "channel": "c",
                                             "data": 1}))
                    await recv_json(b)
                    await recv_json(a)
            run(go())
            m = server.metrics()
            self.assertEqual(m["websocket_messages_received_total"], 2)
            self.assertEqual(m["websocket_messages_sent_total"], 3)  # 2 acks, 1 event
        finally:
            server.stop()


class ThreadsTest(unittest.TestCase):
    def test_publish_reaches_subscribers_on_every_loop(self):
        # SO_REUSEPORT spreads connections over the 3 loops by their source
        # port: with 24 subscribers every loop almost surely holds some, and
        # every one must get each event whichever loop took the publisher.
        server = ServerProcess(SERVER, "--threads", "3")
        try:
            async def go():
                subs = [await websockets.connect(server.url) for _ in range(24)]
                for ws in subs:
                    await ws.send(json.dumps({"type": "subscribe", "channels": ["t"]}))
                    await recv_json(ws)
                self.assertEqual(server.metrics()["websocket_active_connections"], 24)
                async with websockets.connect(server.url) as pub:
                    for i in range(5):
                        await pub.send(json.dumps({"type": "publish", "channel": "t",
                                                   "data": i}))
                        await recv_json(pub)
                    for ws in subs:
                        for i in range(5):
                            self.assertEqual(await recv_json(ws), {
                                "type": "event", "channel": "t", "data": i})
                for ws in subs:
                    await ws.close()
                self.assertEqual(server.metrics()["websocket_active_connections"], 0)
                m = server.metrics()
                self.assertEqual(m["websocket_messages_sent_total"], 24 + 5 + 24 * 5)
            run(go())
        finally:
            code, out, err = server.stop()
            self.assertEqual(code, 0, (out, err))


class PolicyTest(unittest.TestCase):
    def test_rbac_on_subscribe_and_publish(self):
        policy = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                              f"wsbench_policy_{os.getpid()}.txt")
        with open(policy, "w") as f:
            f.write("trader allow subscribe orders.*\n"
                    "trader allow publish orders.*\n"
                    "trader deny publish orders.audit\n"
                    "viewer allow subscribe market.*\n"
                    "user alice trader\n"
                    "user * viewer\n")
        server = ServerProcess(SERVER, "--policy", policy)
        try:
            async def go():
                async with websockets.connect(server.url + "/?user=alice") as a, \
                        websockets.connect(server.url + "/?user=guest") as g:
                    await a.send(json.dumps({"type": "publish", "channel": "orders.eu",
                                             "data": 1, "id": 1}))
                    self.assertEqual((await recv_json(a))["type"], "ack")
                    await a.send(json.dumps({"type": "publish",
                                             "channel": "orders.audit", "data": 1,
                                             "id": 2}))
                    reply = await recv_json(a)
                    self.assertEqual((reply["code"], reply["id"]), ("forbidden", 2))
                    await g.send(json.dumps({"type": "subscribe",
                                             "channels": ["market.x", "orders.eu"]}))
                    self.assertEqual((await recv_json(g))["code"], "forbidden")
                    await g.send(json.dumps({"type": "subscribe",
                                             "channels": ["market.x"]}))
                    self.assertEqual((await recv_json(g))["type"], "ack")
            run(go())
        finally:
            server.stop()
            os.unlink(policy)

    def test_bad_policy_file_fails_at_start(self):
        policy = os.path.join(os.environ.get("TMPDIR", "/tmp"),
                              f"wsbench_bad_policy_{os.getpid()}.txt")
        with open(policy, "w") as f:
            f.write("trader allow subscribe orders.*\nuser bob nosuchrole\n")
        try:
            with self.assertRaises(RuntimeError) as e:
                ServerProcess(SERVER, "--policy", policy)
            self.assertIn("policy line 2", str(e.exception))
        finally:
            os.unlink(policy)


class CommandLineTest(unittest.TestCase):
    def test_bad_flags_exit_2_with_a_message(self):
        import subprocess
        for args, message in [(["--bogus"], "unknown option --bogus"),
                              (["--port"], "--port needs a value"),
                              (["--port", "x"], "--port takes a number"),
                              (["--threads", "0"], "threads must be 1..256"),
                              (["--bind", "1.2.3"], "is not an IPv4 address"),
                              (["--slow-reader", "maybe"], "takes drop or close")]:
            r = subprocess.run([SERVER, *args], capture_output=True, text=True,
                               timeout=TIMEOUT)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(message, r.stderr, args)


class FaultTest(unittest.TestCase):
    def setUp(self):
        self.server = ServerProcess(SERVER, "--max-connections", "5",
                                    "--queue-bytes", "65536")

    def tearDown(self):
        code, out, err = self.server.stop()
        self.assertEqual(code, 0, (out, err))

    def assert_healthy(self):
        self.assertTrue(self.server.alive())
        async def go():
            async with websockets.connect(self.server.url) as ws:
                await ws.send(json.dumps({"type": "ping", "id": 9}))
                self.assertEqual((await recv_json(ws))["of"], "ping")
        run(go())

    def test_garbage_instead_of_handshake(self):
        for garbage in [b"\x00\xff" * 100, b"HELLO\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n",
                        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        b"Connection: Upgrade\r\nSec-WebSocket-Key: abc\r\n"
                        b"Sec-WebSocket-Version: 13\r\n\r\n"]:
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT)
            s.sendall(garbage)
            reply = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
            s.close()
            self.assertTrue(reply.startswith(b"HTTP/1.1 4"), reply)
        big = socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT)
        big.sendall(b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 9000)
        self.assertIn(b"431", big.recv(4096))
        big.close()
        self.assertEqual(self.server.metrics()["websocket_handshake_errors_total"], 5)
        self.assert_healthy()

    def test_disconnect_mid_frame_and_mid_handshake(self):
        for _ in range(20):
            s, _ = raw_handshake(self.server.port)
            frame = masked_frame(1, b'{"type":"ping","id":1}' * 10)
            s.sendall(frame[:len(frame) // 2])
            s.close()
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nUpg")
            s.close()
        self.assertEqual(self.server.wait_metric("websocket_active_connections", 0), 0)
        self.assert_healthy()

    def test_max_connections_gets_503(self):
        async def go():
            clients = [await websockets.connect(self.server.url) for _ in range(5)]
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as e:
                await websockets.connect(self.server.url)
            self.assertEqual(e.exception.status_code, 503)
            self.assertEqual(self.server.metrics()["websocket_active_connections"], 5)
            await clients[0].close()
            extra = await websockets.connect(self.server.url)  # room again
            await extra.close()
            for ws in clients[1:]:
                await ws.close()
        run(go())
        m = self.server.metrics()
        self.assertEqual(m["websocket_connections_rejected_total"], 1)
        self.assertEqual(m["websocket_active_connections"], 0)

    def test_flood_without_reading(self):
        s, _ = raw_handshake(self.server.port)
        s.setblocking(False)
        ping = masked_frame(1, b'{"type":"ping","id":123456789}')
        sent = 0
        deadline = time.monotonic() + TIMEOUT
        # Write requests and never read the replies until the server stops
        # reading (its queue is over --queue-bytes and TCP backs up).
        while sent < 64 << 20 and time.monotonic() < deadline:
            try:
                sent += s.send(ping * 256)
            except BlockingIOError:
                time.sleep(0.05)
                try:
                    sent += s.send(ping)
                except BlockingIOError:
                    break
        self.assertLess(sent, 64 << 20, "the server never pushed back")
        self.assert_healthy()
        s.close()
        self.assertEqual(self.server.wait_metric("websocket_active_connections", 0), 0)


class TimerTest(unittest.TestCase):
    def test_ping_then_idle_close(self):
        # Generous: a loaded machine may stall the answering client for a
        # while; it must still pong within the 1.8 s between ping and close.
        server = ServerProcess(SERVER, "--ping-interval-ms", "200",
                               "--idle-timeout-ms", "2000")
        try:
            s, rest = raw_handshake(server.port)
            opcode, payload, rest = read_frame(s, rest)
            self.assertEqual(opcode, 0x9)  # the server's ping
            opcode, payload, rest = read_frame(s, rest)  # no pong from us
            self.assertEqual(opcode, 0x8)
            self.assertEqual(int.from_bytes(payload[:2], "big"), 1001)
            self.assertEqual(payload[2:], b"idle timeout")
            s.close()
            self.assertEqual(server.metrics()["websocket_idle_timeouts_total"], 1)
            # A client that answers pings (websockets does) stays connected.
            async def go():
                async with websockets.connect(server.url) as ws:
                    await asyncio.sleep(2.5)  # past the idle timeout
                    await ws.send(json.dumps({"type": "ping", "id": 1}))
                    self.assertEqual((await recv_json(ws))["of"], "ping")
            run(go())
        finally:
            server.stop()


class HandshakeTimeoutTest(unittest.TestCase):
    def test_trickled_request_meets_the_handshake_timeout(self):
        server = ServerProcess(SERVER, "--handshake-timeout-ms", "300")
        try:
            s = socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT)
            # One byte every 20 ms for 8 s: never idle for 300 ms, so only a
            # timeout counted from the accept ends it before the last byte.
            request = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 370
            cut_after = None
            for i, byte in enumerate(request):
                try:
                    s.send(bytes([byte]))
                except OSError:  # EPIPE / ECONNRESET: the server closed
                    cut_after = i
                    break
                time.sleep(0.02)
            s.close()
            self.assertIsNotNone(cut_after, "the server waited for the whole request")
        finally:
            server.stop()


class SlowReaderTest(unittest.TestCase):
    def run_policy(self, policy):
        server = ServerProcess(SERVER, "--slow-reader", policy, "--queue-bytes",
                               "65536")
        try:
            slow, rest = raw_handshake(server.port)
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.sendall(masked_frame(1, b'{"type":"subscribe","channels":["s"]}'))
            read_frame(slow, rest)  # the ack; then never read again
            metric = ("websocket_connections_closed_slow_total" if policy == "close"
                      else "websocket_messages_dropped_total")
            async def go():
                async with websockets.connect(server.url, compression=None) as pub:
                    data = "y" * 30000
                    for i in range(2000):
                        await pub.send(json.dumps({"type": "publish", "channel": "s",
                                                   "data": data}))
                        await recv_json(pub)
                        if i % 50 == 49 and server.metrics()[metric] > 0:
                            return i
                    return None
            self.assertIsNotNone(run(go()), f"{metric} stayed 0")
            slow.close()
            self.assertEqual(server.wait_metric("websocket_active_connections", 0), 0)
        finally:
            code, out, err = server.stop()
            self.assertEqual(code, 0, (out, err))

    def test_drop(self):
        self.run_policy("drop")

    def test_close(self):
        self.run_policy("close")


class ShutdownTest(unittest.TestCase):
    def test_sigterm_sends_1001_and_exits_0(self):
        server = ServerProcess(SERVER)
        async def go():
            clients = [await websockets.connect(server.url) for _ in range(20)]
            await clients[0].send(json.dumps({"type": "subscribe", "channels": ["q"]}))
            await recv_json(clients[0])
            server.proc.send_signal(signal.SIGTERM)
            for ws in clients:
                with self.assertRaises(websockets.exceptions.ConnectionClosed) as e:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(e.exception.rcvd.code, 1001)
        run(go())
        code, out, err = server.stop()
        self.assertEqual(code, 0, (out, err))
        self.assertIn("stopped", out)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--server" not in args:
        print("usage: python_client_test.py --server PATH [unittest args]")
        sys.exit(2)
    i = args.index("--server")
    SERVER = args[i + 1]
    del args[i:i + 2]
    raise_nofile()
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
