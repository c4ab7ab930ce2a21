#!/usr/bin/env bash
# Ctrl-C at the maximum level, every dimension: SIGINT at 0.2 s (mostly in
# Setup) and at 1.2 s (Setup, the memory probe or the first passes); the
# run must exit 130 and write a partial results.json. Prints each latency;
# fails above a generous bound (the promise is one second; a loaded CI
# machine gets three). SIGHUP is handled like SIGTERM: exit 129, partial.
# usage: interrupt_latency_test.sh WSBENCH
set -u
bin="$1"
bound_ms="${WSBENCH_INTERRUPT_BOUND_MS:-3000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
dims=$("$bin" --list --levels maximum | sed -n 's|/maximum$||p')
[ -n "$dims" ] || fail "no dimensions listed"
worst=0
run() {  # dimension delay signal want_code
  local dim="$1" delay="$2" sig="$3" want="$4"
  rm -rf "$tmp/out"
  "$bin" --levels maximum --dimensions "$dim" --repetitions 1 --out "$tmp/out" \
    >"$tmp/stdout" 2>"$tmp/stderr" &
  local pid=$!
  sleep "$delay"
  local t0; t0=$(now_ms)
  kill "-$sig" "$pid" 2>/dev/null
  wait "$pid"
  local code=$?
  local ms=$(( $(now_ms) - t0 ))
  echo "$dim SIG$sig at ${delay}s: exit $code after $ms ms"
  # A fast machine may finish the benchmark before the signal lands.
  if [ "$code" = 0 ] && grep -q '"complete": true' "$tmp/out/results.json"; then
    echo "  (finished before the signal)"
    return 0
  fi
  [ "$code" = "$want" ] || { cat "$tmp/stderr" >&2; fail "$dim: exit $code, want $want"; }
  grep -q '"complete": false' "$tmp/out/results.json" ||
    fail "$dim: results.json is not marked partial"
  [ "$ms" -le "$bound_ms" ] || fail "$dim: stopped $ms ms after SIG$sig (bound $bound_ms ms)"
  [ "$ms" -gt "$worst" ] && worst=$ms
  return 0
}
for dim in $dims; do
  run "$dim" 0.2 INT 130
  run "$dim" 1.2 INT 130
done
run "$(echo "$dims" | head -n1)" 0.5 HUP 129
echo "interrupt_latency_test: ok (worst $worst ms)"
