#!/usr/bin/env python3
"""Interop between wsbench's wire code and wsproto (an independent WebSocket
implementation, Debian's python3-wsproto).

  wsproto_interop.py gen DIR      wsproto client: handshake request, masked
                                  client frames (fragmented, ping interleaved,
                                  permessage-deflate) and the events they carry
  wsproto_interop.py check DIR    wsproto client (same seed, same request):
                                  accepts wsbench's 101 response and decodes
                                  wsbench's server frames
  wsproto_interop.py live DIR CMD...
                                  gen, then CMD (the C++ interop test, run with
                                  WSBENCH_INTEROP_DIR=DIR), then check

Files per scenario NAME in DIR (the C++ side is tests/interop_test.cc):
  NAME.request.txt         written by gen: the client's upgrade request
  NAME.wsproto_response.txt written by gen: wsproto's own server 101 (the
                           client frames were made on that handshake)
  NAME.client_frames.bin   written by gen: client frames after the handshake
  NAME.client_events.bin   written by gen: what they carry (records below)
  NAME.response.txt        written by C++: wsbench's 101
  NAME.server_frames.bin   written by C++: wsbench's server frames
  NAME.server_events.bin   written by C++: what they carry
Event records: kind (1 byte: T text, B binary, P ping, O pong, C close),
length (4 bytes big-endian), payload (close: 2-byte code + reason).

Exit status: 0 ok, 1 mismatch, 77 wsproto not importable (ctest SKIP).
"""
import os
import random
import struct
import subprocess
import sys

try:
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import (AcceptConnection, BytesMessage, CloseConnection,
                                Message, Ping, Pong, Request, TextMessage)
    from wsproto.extensions import PerMessageDeflate
except ImportError as e:  # pragma: no cover
    print(f"wsproto_interop: wsproto not importable ({e}); skipping", file=sys.stderr)
    sys.exit(77)

SEED = 6455


def scenarios():
    """name -> (subprotocols offered, extension objects for the client)."""
    return {
        "plain": (["chat.v2", "chat"], []),
        "deflate": ([], [PerMessageDeflate()]),
        "deflate_no_context": ([], [PerMessageDeflate(client_no_context_takeover=True,
                                                      server_no_context_takeover=True,
                                                      client_max_window_bits=10,
                                                      server_max_window_bits=11)]),
    }


def seeded(name):
    """Make os.urandom (wsproto's nonce and masking keys) deterministic so the
    same scenario always gives the same bytes."""
    rng = random.Random(f"{SEED}:{name}")
    os.urandom = lambda n: bytes(rng.getrandbits(8) for _ in range(n))


def client_request(name):
    subprotocols, extensions = scenarios()[name]
    seeded(name)
    ws = WSConnection(ConnectionType.CLIENT)
    request = ws.send(Request(host="localhost:9001", target=f"/interop/{name}",
                              subprotocols=subprotocols, extensions=extensions))
    return ws, request


def record(kind, payload):
    return kind + struct.pack(">I", len(payload)) + payload


def read_records(data):
    out, i = [], 0
    while i < len(data):
        kind = data[i:i + 1]
        (n,) = struct.unpack(">I", data[i + 1:i + 5])
        out.append((kind, data[i + 5:i + 5 + n]))
        i += 5 + n
    return out


def json_message(rng, i):
    items = ",".join(f'{{"p":{rng.randrange(100000)},"q":{rng.randrange(1000)}}}'
                     for _ in range(rng.randrange(1, 30)))
    return f'{{"type":"update","channel":"trades.BTC-USD","seq":{i},"data":[{items}]}}'


def client_messages(rng):
    """The client's traffic: a list of ("send", event) / expected records."""
    plan = []
    plan.append((TextMessage, "hello wsbench"))
    plan.append((BytesMessage, bytes(range(256))))
    for i in range(5):
        plan.append((TextMessage, json_message(rng, i)))
    plan.append(("fragmented", ["{\"frag\":\"caf", "\u00e9 \u20ac", " \U0001F600 done\"}"]))
    plan.append((TextMessage, ""))
    plan.append((TextMessage, json_message(rng, 99)))
    plan.append((TextMessage, "x" * 300))
    # 64-bit length (> 65535 bytes): a binary pattern, and a compressible text.
    plan.append((BytesMessage, bytes((i * i >> 5) & 0xFF for i in range(70000))))
    plan.append((TextMessage, "{\"big\":\"" + "abcdefgh" * 8200 + "\"}"))
    plan.append(("pong", b"unsolicited"))
    plan.append(("close", (1000, "bye")))
    return plan


def gen(directory):
    from wsproto.handshake import H11Handshake  # noqa: F401 (documented dependency)
    os.makedirs(directory, exist_ok=True)
    for name in scenarios():
        ws, request = client_request(name)
        # wsproto's own server answers so that the client can send frames.
        server = WSConnection(ConnectionType.SERVER)
        server.receive_data(request)
        req_event = next(server.events())
        assert isinstance(req_event, Request), req_event
        subprotocol = "chat" if "chat" in req_event.subprotocols else None
        server_ext = [PerMessageDeflate()] if req_event.extensions else []
        response = server.send(AcceptConnection(subprotocol=subprotocol, extensions=server_ext))
        ws.receive_data(response)
        accepted = next(ws.events())
        assert isinstance(accepted, AcceptConnection), accepted

        rng = random.Random(f"{SEED}:{name}:messages")
        frames, events = b"", b""
        for kind, value in client_messages(rng):
            if kind is TextMessage:
                frames += ws.send(Message(data=value))
                events += record(b"T", value.encode())
            elif kind is BytesMessage:
                frames += ws.send(Message(data=value))
                events += record(b"B", value)
            elif kind == "fragmented":
                # Three frames with a ping between the first two; multi-byte
                # UTF-8 characters near the frame boundaries.
                for j, part in enumerate(value):
                    frames += ws.send(Message(data=part, message_finished=j == len(value) - 1))
                    if j == 0:
                        frames += ws.send(Ping(payload=b"ping-inside"))
                        events += record(b"P", b"ping-inside")
                events += record(b"T", "".join(value).encode())
            elif kind == "pong":
                frames += ws.send(Pong(payload=value))
                events += record(b"O", value)
            elif kind == "close":
                frames += ws.send(CloseConnection(code=value[0], reason=value[1]))
                events += record(b"C", struct.pack(">H", value[0]) + value[1].encode())
        write(directory, f"{name}.request.txt", request)
        write(directory, f"{name}.wsproto_response.txt", response)
        write(directory, f"{name}.client_frames.bin", frames)
        write(directory, f"{name}.client_events.bin", events)
        print(f"gen {name}: request {len(request)} B, {len(frames)} B of client frames, "
              f"extensions {accepted.extensions}")


def write(directory, filename, data):
    with open(os.path.join(directory, filename), "wb") as f:
        f.write(data)


def read(directory, filename):
    with open(os.path.join(directory, filename), "rb") as f:
        return f.read()


def check(directory):
    failures = 0
    for name in scenarios():
        ws, request = client_request(name)
        if request != read(directory, f"{name}.request.txt"):
            print(f"check {name}: FAIL: regenerated request differs from {name}.request.txt")
            failures += 1
            continue
        # wsproto validates our Sec-WebSocket-Accept, Upgrade, Connection and
        # the extension parameters, and fails the handshake otherwise.
        try:
            ws.receive_data(read(directory, f"{name}.response.txt"))
            got = list(ws.events())
        except Exception as e:  # wsproto raises RemoteProtocolError
            got = [e]
        if not got or not isinstance(got[0], AcceptConnection):
            print(f"check {name}: FAIL: wsproto rejected our 101: {got}")
            failures += 1
            continue
        accepted = got[0]
        want_ext = bool(scenarios()[name][1])
        if bool(accepted.extensions) != want_ext:
            print(f"check {name}: FAIL: extensions {accepted.extensions}")
            failures += 1
            continue
        if name == "plain" and accepted.subprotocol != "chat":
            print(f"check {name}: FAIL: subprotocol {accepted.subprotocol!r}")
            failures += 1
            continue

        ws.receive_data(read(directory, f"{name}.server_frames.bin"))
        decoded, text, data = [], [], []
        try:
            events = list(ws.events())
        except Exception as e:
            events = [e]
        for ev in events:
            if isinstance(ev, TextMessage):
                text.append(ev.data)
                if ev.message_finished:
                    decoded.append((b"T", "".join(text).encode()))
                    text = []
            elif isinstance(ev, BytesMessage):
                data.append(bytes(ev.data))
                if ev.message_finished:
                    decoded.append((b"B", b"".join(data)))
                    data = []
            elif isinstance(ev, Ping):
                decoded.append((b"P", bytes(ev.payload)))
            elif isinstance(ev, Pong):
                decoded.append((b"O", bytes(ev.payload)))
            elif isinstance(ev, CloseConnection):
                decoded.append((b"C", struct.pack(">H", ev.code) + ev.reason.encode()))
            else:
                decoded.append((b"?", repr(ev).encode()))
        want = read_records(read(directory, f"{name}.server_events.bin"))
        if decoded != want:
            print(f"check {name}: FAIL: wsproto decoded {len(decoded)} events, expected "
                  f"{len(want)}")
            for i, (a, b) in enumerate(zip(decoded, want)):
                if a != b:
                    print(f"  first difference at event {i}: got {a[0]} {a[1][:60]!r}, "
                          f"want {b[0]} {b[1][:60]!r}")
                    break
            failures += 1
            continue
        print(f"check {name}: ok ({len(decoded)} events, extensions {accepted.extensions})")
    return failures


def main(argv):
    if len(argv) < 3 or argv[1] not in ("gen", "check", "live"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[2]
    if argv[1] == "gen":
        gen(directory)
        return 0
    if argv[1] == "check":
        return 1 if check(directory) else 0
    gen(directory)
    env = dict(os.environ, WSBENCH_INTEROP_DIR=os.path.abspath(directory))
    rc = subprocess.call(argv[3:], env=env)
    if rc != 0:
        print(f"wsproto_interop: C++ side failed ({rc})")
        return 1
    return 1 if check(directory) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
