#!/usr/bin/env bash
# The wsbench-compare command line: exit codes 0 / 1 / 2 on the fixtures,
# Markdown and JSON outputs, save-baseline refusing a partial or dirty run,
# no PASS without a comparison, instructions gated across CPU models.
# usage: compare_cli_test.sh WSBENCH_COMPARE FIXTURE_DIR
set -u
bin="$1"
data="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expected_code args...
  local want="$1"; shift
  "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "wsbench-compare $* exited $got, want $want"; }
}
expect 0 "$data/base.json" "$data/identical.json"
expect 1 "$data/base.json" "$data/regression.json" --markdown - --json "$tmp/v.json"
grep -q '\*\*REGRESSED\*\*' "$tmp/out" || fail "markdown lacks REGRESSED"
grep -q '"exit_code": 1' "$tmp/v.json" || fail "verdict json lacks exit_code 1"
expect 0 "$data/base.json" "$data/improvement.json"
expect 0 "$data/base.json" "$data/noisy.json"
expect 1 "$data/base.json" "$data/fingerprint.json"
grep -q 'fingerprints differ' "$tmp/out" || fail "no fingerprint line"
expect 2 "$data/base.json" "$data/corrupt.json"
grep -q 'corrupt.json' "$tmp/err" || fail "error does not name the file"
expect 2 "$data/base.json" "$data/no_such.json"
expect 2 "$data/base.json"
expect 2 "$data/base.json" "$data/identical.json" --bogus
expect 1 "$data/base.json" "$data/identical.json" --base-instructions "$data/instructions_base.json" \
  --new-instructions "$data/instructions_plus5.json"
expect 2 "$data/base.json" "$data/unrelated.json" --json "$tmp/none.json"
grep -q 'NO COMPARISON' "$tmp/out" || fail "no-comparison run not reported as such"
grep -q '"exit_code": 2' "$tmp/none.json" || fail "verdict json lacks exit_code 2"
expect 1 "$data/baseline_intel.json" "$data/amd_run.json" \
  --new-instructions "$data/instructions_amd_plus5.json"
expect 0 "$data/baseline_intel.json" "$data/amd_run.json" \
  --new-instructions "$data/instructions_amd_icelake.json" --markdown -
grep -q 'code path differs (simdjson: haswell -> icelake)' "$tmp/out" ||
  fail "the instructions row does not name the differing dispatch"
expect 2 --ab HEAD~1
# Plain Google Benchmark files: compared on their own real_time/cpu_time.
expect 1 "$data/gbench_base.json" "$data/gbench_slower.json"
grep -q 'BM_Parse/4096.*real time.*regressed' "$tmp/out" || fail "plain file regression not shown"
expect 0 "$data/gbench_base.json" "$data/gbench_same.json"
expect 2 "$data/gbench_base.json" "$data/gbench_single.json"
grep -q 'fewer than 3 repetitions' "$tmp/out" || fail "no-comparison reason missing"
expect 2 save-baseline "$data/partial.json" "$tmp/b.json"
[ ! -e "$tmp/b.json" ] || fail "partial run written as a baseline"
sed 's/"git_dirty": false/"git_dirty": true/' "$data/base.json" >"$tmp/dirty.json"
expect 2 save-baseline "$tmp/dirty.json" "$tmp/b.json"
grep -q 'uncommitted changes' "$tmp/err" || fail "dirty tree refusal does not say why"
[ ! -e "$tmp/b.json" ] || fail "dirty run written as a baseline"
expect 0 save-baseline "$data/base.json" "$tmp/b.json" --instructions "$data/instructions_base.json"
expect 0 save-baseline "$data/amd_run.json" "$tmp/amd.json" --instructions "$data/instructions_amd.json"
grep -q '"code_path"' "$tmp/amd.json" || fail "save-baseline dropped the code path"
expect 0 "$tmp/b.json" "$tmp/b.json"
expect 0 merge-runs "$tmp/m.json" "$data/base.json" "$data/base.json"
expect 1 ab "$data/base.json" "$data/regression.json" "$data/identical.json" "$data/regression.json" \
  "$data/base.json" "$data/regression.json" "$data/identical.json" "$data/regression.json" \
  "$data/base.json" "$data/regression.json" "$data/identical.json" "$data/regression.json"
# Nonsense NEW runs: exit 2, the message names the file, the JSON path and
# what is wrong.
refuse() {  # fixture "expected text in the message"
  expect 2 "$data/base.json" "$data/$1"
  grep -q "$1" "$tmp/err" || fail "$1: message does not name the file: $(cat "$tmp/err")"
  grep -q -- "$2" "$tmp/err" || fail "$1: message lacks '$2': $(cat "$tmp/err")"
  grep -q PASS "$tmp/out" && fail "$1: printed PASS"
  return 0
}
refuse partial.json "context.wsbench.complete: false"
refuse nonsense_failed.json "benchmarks\[[0-9]*\]: benchmark messages/medium failed: verify"
refuse nonsense_missing_dimension.json "no entry for dimension 'permissions'"
refuse nonsense_deleted_dimension.json "no entry for messages/medium"
refuse nonsense_empty.json "benchmarks: empty"
refuse nonsense_negative_time.json "real_time: -5 is not a positive number"
refuse nonsense_zero_time.json "cpu_time: 0 is not a positive number"
refuse nonsense_string_number.json "ops_per_second: expected a number, found a string"
refuse nonsense_missing_time.json "real_time: missing"
refuse nonsense_duplicate.json "duplicate of benchmarks"
refuse nonsense_negative_probe.json "probe_ns: -1 is not a positive number"
# The same as BASE.
expect 2 "$data/nonsense_negative_time.json" "$data/base.json"
grep -q "nonsense_negative_time.json: benchmarks" "$tmp/err" || fail "base not named"
# save-baseline: a repetition without its machine-speed probe, or a bad one.
expect 2 save-baseline "$data/nonsense_no_probe.json" "$tmp/np.json"
grep -q "probe_ns: missing" "$tmp/err" || fail "no_probe: $(cat "$tmp/err")"
[ ! -e "$tmp/np.json" ] || fail "baseline written without probes"
expect 2 save-baseline "$data/nonsense_negative_probe.json" "$tmp/np.json"
[ ! -e "$tmp/np.json" ] || fail "baseline written with probe_ns -1"
# Output files: a device node and a symlink are written through.
if mknod "$tmp/null" c 1 3 2>/dev/null; then
  expect 0 "$data/base.json" "$data/identical.json" --json "$tmp/null"
  [ -c "$tmp/null" ] || fail "--json replaced a device node"
fi
echo old >"$tmp/target.md"
ln -s "$tmp/target.md" "$tmp/link.md"
expect 0 "$data/base.json" "$data/identical.json" --markdown "$tmp/link.md"
[ -L "$tmp/link.md" ] || fail "--markdown replaced a symlink"
grep -q "PASS" "$tmp/target.md" || fail "--markdown did not write the symlink's target"
# Markdown: a '|' or HTML in a benchmark name neither breaks the table nor
# reaches the renderer.
for f in base identical; do
  sed 's|"broadcast/medium|"broadcast/medium\|<b>x</b>|g' "$data/$f.json" >"$tmp/pipe_$f.json"
done
expect 0 "$tmp/pipe_base.json" "$tmp/pipe_identical.json" --markdown -
grep -q '^| broadcast/medium\\|&lt;b>x&lt;/b> | ' "$tmp/out" || fail "name not escaped: $(grep broadcast "$tmp/out" | head -2)"
grep -q '<b>' "$tmp/out" && fail "raw HTML in the Markdown"
echo "compare_cli_test: ok"
