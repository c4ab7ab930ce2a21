#!/usr/bin/env bash
# wsbench-report --csv: a saved run as CSV that Python's csv module reads
# back (one row per benchmark and metric, medians matching results.json's
# repetitions), alone or beside --html, and a bad path refused with exit 1
# and a message, the file already there left as it was.
# usage: report_csv_cli_test.sh WSBENCH_REPORT RESULTS_JSON
set -u
bin="$1"
results="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expected_code args...
  local want="$1"; shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "wsbench-report $* exited $got, want $want"; }
}
expect 0 "$results" --csv "$tmp/run.csv"
grep -q "wrote $tmp/run.csv" "$tmp/err" || fail "no 'wrote' line"
/usr/bin/python3 - "$tmp/run.csv" "$results" <<'PY' || fail "CSV content"
import csv, json, statistics, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:6] == ["benchmark", "dimension", "level", "metric", "value", "unit"], rows[0]
run = json.load(open(sys.argv[2]))
reps = {}
for b in run["benchmarks"]:
    if b.get("run_type") == "iteration":
        reps.setdefault(b["run_name"], []).append(b)
seen = set()
for r in rows[1:]:
    assert len(r) == len(rows[0]), r
    name, metric, value = r[0], r[3], r[4]
    seen.add((name, metric))
    values = [b[metric] for b in reps[name] if b.get(metric) is not None]
    want = statistics.median(values)
    assert abs(float(value) - want) <= 1e-12 * abs(want), (name, metric, value, want)
    assert int(r[6]) == len(values)
names = {n for n, _ in seen}
assert names == set(reps), (names, set(reps))
assert any(m == "p95_us" for _, m in seen)
PY
# Beside the HTML page, to stdout.
expect 0 "$results" --csv - --html "$tmp/r.html"
head -1 "$tmp/out" | grep -q '^benchmark,dimension,level,metric,' || fail "no CSV on stdout"
[ -s "$tmp/r.html" ] || fail "no HTML beside the CSV"
# A bad path: exit 1, names the path, nothing clobbered.
echo keep >"$tmp/keep"
mkdir -p "$tmp/dir.csv/child"
expect 1 "$results" --csv "$tmp/dir.csv"
grep -q "dir.csv" "$tmp/err" || fail "error does not name the path"
[ -d "$tmp/dir.csv/child" ] || fail "directory clobbered"
expect 1 "$results" --csv "$tmp/keep/run.csv"
[ "$(cat "$tmp/keep")" = keep ] || fail "file clobbered"
expect 2 "$results" --csv
expect 2 "$tmp/no_such.json" --csv "$tmp/x.csv"
[ ! -e "$tmp/x.csv" ] || fail "CSV written for a missing input"
echo "report_csv_cli_test: ok"
