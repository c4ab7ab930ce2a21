"""e2e_messages and e2e_broadcast end to end, at the minimal level, over
loopback: against the forked wsbench server (replies checked, error replies
counted, every broadcast delivery verified), in echo mode against the echo
servers of tools/e2e/ (Node's ws, Python's websockets: every reply the
message itself), and echo mode against wsbench-server, which does not echo
and must fail the check.

  /usr/bin/python3 tests/server/e2e_traffic_test.py --wsbench PATH
      --server PATH --tools DIR [--node PATH]

The echo servers are skipped (with a message) when their runtime is missing.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import ServerProcess  # noqa: E402

WSBENCH = SERVER = TOOLS = NODE = None
READY = re.compile(rb"ready on 127\.0\.0\.1:(\d+)")


def run(*flags, timeout=240):
    """Runs wsbench at the minimal level, 1 repetition; (exit, output, results)."""
    out = tempfile.mkdtemp(prefix="e2e-traffic-")
    try:
        p = subprocess.run(
            [WSBENCH, "--levels", "minimal", "--repetitions", "1", "--out", out, *flags],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        results = {}
        path = os.path.join(out, "results.json")
        if os.path.exists(path):
            with open(path) as f:
                for b in json.load(f)["benchmarks"]:
                    if b.get("run_type") == "iteration":
                        results[b["run_name"]] = b
        return p.returncode, p.stdout.decode(errors="replace"), results
    finally:
        shutil.rmtree(out, ignore_errors=True)


class E2eTrafficTest(unittest.TestCase):
    def test_messages_replies_checked_and_errors_counted(self):
        code, out, results = run("--dimensions", "e2e_messages")
        self.assertEqual(code, 0, out)
        b = results["e2e_messages/minimal"]
        self.assertEqual(b["success_rate_pct"], 100)
        # The corpus's 1% invalid messages: each answered with its error.
        self.assertGreater(b["error_replies_pct"], 0.3)
        self.assertEqual(b["latency_rule"], "per_message:send_to_reply")
        self.assertGreaterEqual(b["latency_samples"], 1000)
        for key in ("rtt1_p50_us", "rtt1_p99_us", "loopback_rtt_p50_us"):
            self.assertGreater(b[key], 0, key)
        self.assertEqual(b["rtt1_samples"], 2000)

    def test_broadcast_every_delivery_verified(self):
        code, out, results = run("--dimensions", "e2e_broadcast")
        self.assertEqual(code, 0, out)
        b = results["e2e_broadcast/minimal"]
        # minimal: 5 subscribers, 1,000 / 5 = 200 publishes per pass.
        self.assertEqual(b["items_per_op"], 5)
        self.assertEqual(b["ops"], 200)
        passes = b["iterations"]
        self.assertGreaterEqual(passes, 1)
        self.assertEqual(b["deliveries_verified"], 200 * 5 * passes)
        self.assertEqual(b["latency_rule"], "per_publish:publish_to_last_delivery")
        self.assertEqual(b["latency_samples"], 200 * passes)
        # One publish at a time, once per repetition: 200 at minimal (P95).
        self.assertEqual(b["publish1_samples"], 200)
        self.assertGreater(b["publish1_p95_us"], 0)

    def echo(self, cmd, env=None):
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)
        try:
            m = READY.search(proc.stdout.readline())
            self.assertIsNotNone(m)
            code, out, results = run(
                "--dimensions", "e2e_connections,e2e_messages",
                "--e2e-target", f"ws://127.0.0.1:{int(m.group(1))}")
            self.assertEqual(code, 0, out)
            b = results["e2e_messages/minimal"]
            self.assertEqual(b["success_rate_pct"], 100)
            # An echo: no error replies expected, every reply checked.
            self.assertEqual(b["error_replies_pct"], 0)
            self.assertIn("--e2e-target", b.get("ops_note", "") + out)
            self.assertEqual(results["e2e_connections/minimal"]["success_rate_pct"], 100)
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=20), 0)
            proc.stdout.close()

    def test_echo_mode_python_websockets(self):
        if subprocess.run(["/usr/bin/python3", "-c", "import websockets"],
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("python3-websockets missing (tools/install-deps server)")
        self.echo(["/usr/bin/python3", os.path.join(TOOLS, "echo-websockets.py"), "0"])

    def test_echo_mode_node_ws(self):
        if not NODE:
            self.skipTest("node not found")
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
        if subprocess.run([NODE, "-e", "require('ws')"], env=env,
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("node's ws module missing (tools/install-deps server)")
        self.echo([NODE, os.path.join(TOOLS, "echo-ws.js"), "0"], env)

    def test_echo_mode_fails_against_a_server_that_does_not_echo(self):
        server = ServerProcess(SERVER)
        try:
            code, out, _ = run("--dimensions", "e2e_messages",
                               "--e2e-target", f"ws://127.0.0.1:{server.port}")
            self.assertEqual(code, 1, out)
            self.assertRegex(out, r"FAILED e2e_messages/minimal: .*the reply to corpus message")
        finally:
            server.stop()

    def test_target_must_be_loopback(self):
        p = subprocess.run([WSBENCH, "--dimensions", "e2e_messages", "--e2e-target",
                            "ws://10.0.0.1:80"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--e2e-target 'ws://10.0.0.1:80': expected ws://127.0.0.1:PORT",
                      p.stderr)


if __name__ == "__main__":
    args = sys.argv[1:]
    for flag in ("--wsbench", "--server", "--tools", "--node"):
        if flag in args:
            i = args.index(flag)
            globals()[flag[2:].upper()] = args[i + 1]
            del args[i:i + 2]
    if not (WSBENCH and SERVER and TOOLS):
        print("usage: e2e_traffic_test.py --wsbench PATH --server PATH --tools DIR [--node PATH]")
        sys.exit(2)
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
