#!/usr/bin/env bash
# The failing gate's explanation (tools/ci/ci.py explain_regressions and
# gate_report) on a real build: a verdict with a regressed instructions row
# gets a differential flame graph in OUT/diff/<name>/, a "Where it got
# slower" entry in gate.md, and a link in OUT/report.html. The build is
# compared with itself (--base-build), so nothing grew.
# usage: gate_explain_test.sh SOURCE_DIR BUILD_DIR
set -u
src="$1" build="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$build/bench/wsbench" --levels light --dimensions subscriptions --repetitions 1 \
  --out "$tmp/run" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log" >&2; fail "wsbench"; }
mkdir -p "$tmp/out"
cp "$tmp/run/results.json" "$tmp/out/results.json"
"$build/tools/compare/wsbench-compare" "$tmp/run/results.json" "$tmp/out/results.json" \
  --json "$tmp/out/verdict.json" >/dev/null 2>&1
[ -s "$tmp/out/verdict.json" ] || fail "no verdict"
: >"$tmp/out/gate.md"
cat >"$tmp/fake-verdict.json" <<'JSON'
{"mode": "baseline", "rows": [
 {"benchmark": "subscriptions/light", "metric": "instructions_per_op", "verdict": "regressed", "gated": true},
 {"benchmark": "subscriptions/light", "metric": "p95_us", "verdict": "regressed", "gated": true},
 {"benchmark": "subscriptions/low", "metric": "allocs_per_op", "verdict": "regressed", "gated": true}]}
JSON
PYTHONDONTWRITEBYTECODE=1 python3 - "$src" "$build" "$tmp" >"$tmp/py.out" 2>"$tmp/py.err" <<'PY' || { cat "$tmp/py.err" >&2; fail "explain_regressions"; }
import sys
src, build, tmp = sys.argv[1:]
sys.path.insert(0, f"{src}/tools/ci")
import ci
class A:
    base_build = build
    build_dir = build
    baseline = f"{tmp}/run/results.json"
diffs = ci.explain_regressions(A, f"{tmp}/out",
                               list(ci.regressions(f"{tmp}/fake-verdict.json").values()),
                               {"git_revision": "0123456789ab"})
assert [d["name"] for d in diffs] == ["subscriptions/light"], diffs
ci.gate_report(A, f"{tmp}/out", diffs)
PY
[ -s "$tmp/out/diff/subscriptions_light/diff.svg" ] || fail "no diff.svg"
grep -q '^### Where it got slower' "$tmp/out/gate.md" || fail "gate.md lacks the section"
grep -q '^- \[subscriptions/light\](diff/subscriptions_light/diff.svg): total base' "$tmp/out/gate.md" \
  || { cat "$tmp/out/gate.md" >&2; fail "gate.md lacks the link"; }
grep -q '<a href="diff/subscriptions_light/diff.svg">subscriptions/light</a>' "$tmp/out/report.html" \
  || fail "report.html lacks the link"
# allocs/op is not a metric a flame graph of instructions explains.
[ ! -e "$tmp/out/diff/subscriptions_low" ] || fail "a graph for an allocs/op row"
echo "gate_explain_test: ok"
