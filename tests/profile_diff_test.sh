#!/usr/bin/env bash
# tools/profile-diff end to end on one build against itself: the callgrind
# counts repeat exactly, so nothing grew and every frame is grey; a name that
# is not a benchmark is refused with exit 2.
# usage: profile_diff_test.sh PROFILE_DIFF WSBENCH WSBENCH_FLAMEGRAPH
set -u
tool="$1" wsbench="$2" flamegraph="$3"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$tool" "$wsbench" "$wsbench" connections/minimal --out "$tmp/d" --flamegraph "$flamegraph" \
  >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "profile-diff exited $?"; }
grep -q 'No function grew' "$tmp/d/growth.md" || { cat "$tmp/d/growth.md" >&2; fail "growth on the same build"; }
grep -q ': 0 (+0.0%)' "$tmp/d/growth.md" || fail "totals differ on the same build"
grep -q 'data-name="wsbench::bench::(anonymous namespace)::ConnectionsWorkload::Run"' "$tmp/d/diff.svg" \
  || fail "diff.svg lacks the workload's Run"
! grep -q 'fill="rgb(255,\|fill="rgb([0-9]*,[0-9]*,255)' "$tmp/d/diff.svg" || fail "a coloured frame on the same build"
[ -s "$tmp/d/base.callgrind" ] && [ -s "$tmp/d/new.callgrind" ] || fail "dumps not kept"
"$tool" "$wsbench" "$wsbench" connections --out "$tmp/e" --flamegraph "$flamegraph" 2>"$tmp/err"
[ $? = 2 ] || fail "a bad name did not exit 2"
grep -q "not one <dimension>/<level>" "$tmp/err" || fail "no message for a bad name"
"$tool" "$wsbench" "$wsbench" connections/nosuchlevel --out "$tmp/e" --flamegraph "$flamegraph" 2>"$tmp/err"
[ $? = 2 ] || fail "an unknown level did not exit 2"
echo "profile_diff_test: ok"
