#!/usr/bin/env bash
# wsbench --faults end to end: e2e_connections at small levels with a fault
# mix (one server and one client process, and three of each), every fault
# answered by the server as it must be (the harness fails the benchmark
# otherwise), the counters in results.json, and a bad mix refused (exit 2)
# before anything runs.
# usage: e2e_faults_test.sh WSBENCH
set -u
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() {  # out_dir args...
  local out="$1"; shift
  timeout 300 "$bin" --dimensions e2e_connections --repetitions 1 --out "$out" "$@" \
    >"$tmp/stdout" 2>"$tmp/stderr" || { cat "$tmp/stdout" "$tmp/stderr" >&2; fail "wsbench $* exited $?"; }
}
check() {  # results.json min_injected
  /usr/bin/python3 - "$1" "$2" <<'PY' || fail "counters in $1"
import json, sys
run = json.load(open(sys.argv[1]))
reps = [b for b in run["benchmarks"] if b.get("run_type") == "iteration"]
assert reps, "no repetitions"
for b in reps:
    assert not b.get("error_occurred"), b.get("error_message")
    assert b["faults_injected"] >= int(sys.argv[2]), b
    assert b["faults_answered"] == b["faults_injected"], b
    assert b["faults_rst"] + b["faults_malformed"] + b["faults_slow"] == b["faults_injected"], b
    assert b["faults_answered_pct"] == 100, b
    assert b["healthy_success_rate_pct"] == 100, b
    assert b["peak_gauge"] == b["connections"], b
PY
}
run "$tmp/one" --levels minimal,low --faults rst=0.01,malformed=0.02,slow=0.01
check "$tmp/one/results.json" 3
run "$tmp/three" --levels low --e2e-connections-per-process 200 --faults rst=0.02,malformed=0.02,slow=0.01
grep -q '"server_processes": 3' "$tmp/three/results.json" || fail "not 3 server processes"
check "$tmp/three/results.json" 20
"$bin" --dimensions e2e_connections --levels minimal --faults rst=0.4,slow=0.4 >"$tmp/stdout" 2>"$tmp/stderr"
[ $? = 2 ] || fail "a bad mix was not refused with exit 2"
grep -q "add up to 0.8" "$tmp/stderr" || fail "no reason given: $(cat "$tmp/stderr")"
echo "e2e_faults_test: ok"
