"""The echo servers of tools/e2e/ (Node's ws, Python's websockets) answer
like wsbench-server is answered: start on an ephemeral port, echo text and
binary messages, exit 0 on SIGTERM.

  /usr/bin/python3 tests/server/echo_servers_test.py --tools DIR [--node PATH]

Exits 77 (skipped) without python3-websockets; the node server is skipped
(with a message) when node or its ws module is missing.
"""
import asyncio
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import READY  # noqa: E402

try:
    import websockets
except ImportError as e:
    print(f"SKIP: {e}")
    sys.exit(77)

TOOLS = None
NODE = None


class EchoServersTest(unittest.TestCase):
    def check(self, cmd, env=None):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
        try:
            line = proc.stdout.readline()
            m = READY.search(line)
            self.assertIsNotNone(m, line)
            url = f"ws://127.0.0.1:{int(m.group(1))}"

            async def go():
                async with websockets.connect(url) as ws:
                    for message in ["hello", "\u00e9t\u00e9 " * 1000, b"\x00\xff"]:
                        await ws.send(message)
                        self.assertEqual(await asyncio.wait_for(ws.recv(), 20), message)
            asyncio.run(asyncio.wait_for(go(), 60))
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=20), 0)

    def test_python_websockets(self):
        self.check([sys.executable, os.path.join(TOOLS, "echo-websockets.py"), "0"])

    def test_node_ws(self):
        if not NODE:
            self.skipTest("node not found")
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
        if subprocess.run([NODE, "-e", "require('ws')"], env=env).returncode != 0:
            self.skipTest("node's ws module not installed (tools/install-deps server)")
        self.check([NODE, os.path.join(TOOLS, "echo-ws.js"), "0"], env)


if __name__ == "__main__":
    args = sys.argv[1:]
    for flag in ("--tools", "--node"):
        if flag in args:
            i = args.index(flag)
            globals()[flag[2:].upper()] = args[i + 1]
            del args[i:i + 2]
    if TOOLS is None:
        print("usage: echo_servers_test.py --tools DIR [--node PATH]")
        sys.exit(2)
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
