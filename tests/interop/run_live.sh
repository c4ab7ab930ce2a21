#!/bin/sh
# The live wsproto round trip (ctest test interop_live):
#   run_live.sh INTEROP_TEST_BINARY WORK_DIR
# Uses the first python3 that can import wsproto (Debian's python3-wsproto
# lives in /usr/bin/python3's path, which a pyenv or venv python3 on PATH may
# hide); exits 77 (ctest SKIP) when there is none.
set -u
here=$(cd "$(dirname "$0")" && pwd)
binary=$1
work=$2
python=""
for candidate in /usr/bin/python3 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c "import wsproto" >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "interop_live: no python3 with wsproto (tools/install-deps interop); skipping"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
exec "$python" "$here/wsproto_interop.py" live "$work" "$binary" --gtest_brief=1
