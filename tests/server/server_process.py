"""Starts wsbench-server on an ephemeral loopback port for a test and stops it.

Shared by the Python tests of tests/server/. Uses only the standard library so
it also runs where the client libraries are missing (the tests then skip).
"""

import os
import re
import signal
import socket
import subprocess
import time
import http.client

READY = re.compile(rb"ready on [0-9.]+:(\d+) ")


class ServerProcess:
    """wsbench-server --port 0 with extra flags; port is read from its ready line."""

    def __init__(self, binary, *flags, timeout=20.0):
        self.binary = binary
        self.proc = subprocess.Popen(
            [binary, "--port", "0", *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline()
        m = READY.search(line)
        if not m:
            self.proc.kill()
            out, err = self.proc.communicate(timeout=timeout)
            raise RuntimeError(
                f"wsbench-server did not get ready: {line!r} {out!r} {err!r}")
        self.port = int(m.group(1))
        self.url = f"ws://127.0.0.1:{self.port}"

    def get(self, path, timeout=10.0):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def metrics(self):
        """The /metrics page as {sample name: value} (prometheus_client parser)."""
        from prometheus_client.parser import text_string_to_metric_families
        _, text = self.get("/metrics")
        values = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                values[sample.name] = sample.value
        return values

    def wait_metric(self, name, want, timeout=10.0):
        """Polls /metrics until `name` equals `want`; returns the last value."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.metrics()[name]
            if got == want or time.monotonic() > deadline:
                return got
            time.sleep(0.02)

    def stop(self, timeout=20.0):
        """SIGTERM; returns (exit code, stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            return -1, out.decode(errors="replace"), err.decode(errors="replace")
        return self.proc.returncode, out.decode(errors="replace"), err.decode(
            errors="replace")

    def alive(self):
        return self.proc.poll() is None


def raise_nofile():
    """Soft RLIMIT_NOFILE up to the hard limit (for tests with many sockets)."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def masked_frame(opcode, payload, fin=True, rsv1=False, mask=True):
    """One client frame (RFC 6455 section 5.2), masked unless mask=False."""
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    m = 0x80 if mask else 0
    if n <= 125:
        header = bytes([b0, m | n])
    elif n <= 0xFFFF:
        header = bytes([b0, m | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([b0, m | 127]) + n.to_bytes(8, "big")
    if not mask:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def raw_handshake(port, path="/", extra_headers="", timeout=10.0):
    """A plain socket that has completed the upgrade; returns (socket, rest)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               f"Sec-WebSocket-Version: 13\r\n{extra_headers}\r\n").encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError(f"server closed during the handshake: {data!r}")
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(f"handshake refused: {head!r}")
    return s, rest


def read_frame(sock, buffered=b""):
    """Reads one server frame: returns (opcode, payload, rest of buffer)."""
    data = buffered

    def need(n):
        nonlocal data
        while len(data) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            data += chunk

    need(2)
    opcode = data[0] & 0x0F
    n = data[1] & 0x7F
    pos = 2
    if n == 126:
        need(4)
        n = int.from_bytes(data[2:4], "big")
        pos = 4
    elif n == 127:
        need(10)
        n = int.from_bytes(data[2:10], "big")
        pos = 10
    need(pos + n)
    return opcode, data[pos:pos + n], data[pos + n:]
