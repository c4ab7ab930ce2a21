#!/usr/bin/env bash
# The CI program's entry points (tools/gate, tools/ab, tools/instructions,
# tools/gate-check, tools/profile-diff -> tools/ci/ci.py): bad input exits 2 with a message that
# names what is wrong, before anything is built or measured.
# usage: ci_cli_test.sh SOURCE_DIR
set -u
src="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() {  # expected_code grep_pattern command...
  local want="$1" pattern="$2"; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  [ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "$* exited $got, want $want"; }
  grep -q -- "$pattern" "$tmp/err" || { cat "$tmp/err" >&2; fail "$*: stderr lacks '$pattern'"; }
}
expect 2 "no baseline at $tmp/none.json" "$src/tools/gate" --no-build --baseline "$tmp/none.json"
expect 2 "unknown revision 'no-such-revision'" "$src/tools/ab" no-such-revision --no-build
expect 2 "--pairs 0: needs at least 1 pair" "$src/tools/ab" HEAD --pairs 0
expect 2 "--repetitions 0: needs at least 1" "$src/tools/ab" HEAD --repetitions 0
expect 2 "not an executable" "$src/tools/instructions" --wsbench "$tmp/none"
expect 2 "unrecognized arguments" "$src/tools/gate-check" --bogus
expect 2 "thin entry points" python3 "$src/tools/ci/ci.py"
expect 2 "not one <dimension>/<level>" "$src/tools/profile-diff" "$tmp/a" "$tmp/b" broadcast
# The thin entry points hold no logic of their own.
for t in gate ab instructions gate-check profile-diff; do
  [ "$(grep -vc '^#' "$src/tools/$t")" = 1 ] || fail "tools/$t is more than one exec line"
done
"$src/tools/instructions" --help | grep -q "code_path" || fail "tools/instructions --help"
echo "ci_cli_test: ok"
