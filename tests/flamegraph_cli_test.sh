#!/usr/bin/env bash
# The wsbench-flamegraph command line on hostile input: non-ASCII and invalid
# bytes in names give valid UTF-8 (iconv checks it), a 20,000-frame stack is
# drawn, counts beyond 64 bits are refused with exit 2 and no output file.
# --diff recognises its inputs' formats, writes the graph and the growth
# list, and refuses bad operation counts.
# usage: flamegraph_cli_test.sh WSBENCH_FLAMEGRAPH FIXTURE_DIR
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
  [ "$got" = "$want" ] || { cat "$tmp/err" >&2; fail "wsbench-flamegraph $* exited $got, want $want"; }
}

# Labels cut inside a long name of 2-byte characters, and bytes that are not
# UTF-8 at all.
e_acute="$(printf 'é%.0s' $(seq 100))"
printf 'main;x%s 5000\nmain;b 5000\nmain;bad\377\376name 5\n' "$e_acute" >"$tmp/utf8.folded"
expect 0 --folded "$tmp/utf8.folded" -o "$tmp/utf8.svg"
iconv -f UTF-8 -t UTF-8 "$tmp/utf8.svg" >/dev/null 2>&1 || fail "utf8.svg is not valid UTF-8"
grep -q 'x\(é\)*\.\.</text>' "$tmp/utf8.svg" || fail "no label cut after a whole character"

# 20,000 frames deep.
seq 0 19999 | sed 's/^/f/' | paste -sd';' | sed 's/$/ 3/' >"$tmp/deep.folded"
expect 0 --folded "$tmp/deep.folded" -o "$tmp/deep.svg"
grep -q 'data-name="f19999" data-count="3" data-depth="20000"' "$tmp/deep.svg" \
  || fail "the deepest frame is missing"

# Counts whose sum does not fit 64 bits: exit 2, the line named, no file.
printf 'a 9223372036854775807\nb 1\n' >"$tmp/big.folded"
expect 2 --folded "$tmp/big.folded" -o "$tmp/big.svg"
grep -q 'big.folded: folded line 2: .*64-bit overflow' "$tmp/err" || { cat "$tmp/err" >&2; fail "no overflow message"; }
[ ! -e "$tmp/big.svg" ] || fail "an SVG was written for input that overflows"

# --diff: two callgrind files (+25 instructions/op in Check), per op.
expect 0 --diff "$data/base.callgrind" "$data/new.callgrind" --base-ops 1000 --new-ops 1000 \
  --growth-out "$tmp/growth.md" -o "$tmp/diff.svg"
grep -q '^| 1 | wsbench::Rbac::Check&lt;std::pair&lt;int, char> > | 20.0 -> 45.0 | +25.0 | 100.0% |$' \
  "$tmp/growth.md" || { cat "$tmp/growth.md" >&2; fail "growth list lacks Check"; }
grep -q 'data-name="wsbench::Rbac::Check&lt;std::pair&lt;int, char&gt; &gt;" [^>]*data-delta="25.0000"' \
  "$tmp/diff.svg" || fail "diff.svg lacks Check's change"
# Folded samples of runs of different length, scaled to the same total.
printf 'main;a 50\nmain;b 50\n' >"$tmp/base.folded"
printf 'main;a 100\nmain;b 300\n' >"$tmp/new.folded"
expect 0 --diff "$tmp/base.folded" "$tmp/new.folded" --normalize --growth-out - -o "$tmp/n.svg"
grep -q '^| 1 | b | 200 -> 300 | +100 | -% |$\|^| 1 | b | 200.0 -> 300.0 | +100.0 |' "$tmp/out" \
  || { cat "$tmp/out" >&2; fail "normalised growth list"; }
expect 2 --diff "$tmp/base.folded" "$tmp/new.folded" --base-ops 0 --new-ops 5
expect 2 --diff "$tmp/base.folded" "$tmp/new.folded" --base-ops 5
expect 2 --diff "$tmp/base.folded" "$tmp/big.folded"
grep -q 'big.folded: folded line 2' "$tmp/err" || fail "diff does not name the bad input"
expect 2 --diff "$tmp/base.folded"

# Outputs that are not regular files are written through, never replaced.
ln -s "$tmp/target.svg" "$tmp/link.svg"
expect 0 --diff "$tmp/base.folded" "$tmp/new.folded" -o "$tmp/link.svg"
[ -L "$tmp/link.svg" ] && grep -q '<svg' "$tmp/target.svg" || fail "symlink replaced, not written through"
mkfifo "$tmp/fifo"
cat "$tmp/fifo" >"$tmp/from_fifo" &
expect 0 --folded "$tmp/base.folded" -o "$tmp/fifo"
wait
[ -p "$tmp/fifo" ] && grep -q '<svg' "$tmp/from_fifo" || fail "FIFO replaced, not written through"
echo "flamegraph_cli_test: ok"
