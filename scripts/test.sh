#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what the build and tests need, builds, runs every suite (`meson test`), and
# prints one closing line "N passed, M failed" counted from the real results: Catch2 test
# cases inside each test binary, plus the format check.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-$root/build-test}

bash scripts/install-deps.sh || { echo "0 passed, 1 failed"; exit 1; }

if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" --buildtype=debugoptimized >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$build"; then
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
meson_rc=$?

format_rc=0
if command -v clang-format >/dev/null; then
    files=$(git ls-files '*.cpp' '*.hpp')
    if [ -n "$files" ] && ! clang-format --dry-run --Werror $files >/tmp/canaille-format.log 2>&1; then
        echo "format check failed:"; head -40 /tmp/canaille-format.log
        format_rc=1
    fi
fi

python3 - "$build/meson-logs/testlog.json" "$format_rc" <<'PY'
import json, re, sys
passed = failed = 0
summary = re.compile(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
allok = re.compile(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)")
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    t = json.loads(line)
    out = t.get("stdout") or ""
    ok = t.get("result") in ("OK", "EXPECTEDFAIL", "SKIP")
    m = summary.search(out)
    a = allok.search(out)
    if m:
        passed += int(m.group(2)); failed += int(m.group(3))
        if not ok and int(m.group(3)) == 0:
            failed += 1
    elif a:
        passed += int(a.group(1))
        if not ok:
            failed += 1
    else:
        if ok: passed += 1
        else: failed += 1
if sys.argv[2] == "0":
    passed += 1
else:
    failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
PY
