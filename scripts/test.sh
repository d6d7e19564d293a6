#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what the build and tests need, builds, runs every suite (`meson test`), then
# builds a second tree with clang + ASan/UBSan and runs every suite again there (see
# test/sanitizers/). Prints one closing line "N passed, M failed" counted from the real
# results of both runs: Catch2 test cases inside each test binary, plus the format check.
# CANAILLE_SANITIZE=0 skips the sanitizer run (quick local runs); it is on by default.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${BUILD_DIR:-$root/build-test}
sanitize=${CANAILLE_SANITIZE:-1}
san_build=${SAN_BUILD_DIR:-$build-san}

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

# The sanitizer tree: clang, ASan + UBSan (every UBSan check fatal, root meson.build),
# -O1 so that the e2e suites stay fast. Every test runs through run_checked.sh, which also
# fails it on a report from a process it spawned. A missing clang or a failed build counts
# as one failure: CI must never skip this silently.
san_rc=0
san_log=""
if [ "$sanitize" != "0" ]; then
    if ! command -v clang++ >/dev/null; then
        echo "sanitizer run: clang++ not found (install clang, or CANAILLE_SANITIZE=0 to skip)"
        san_rc=1
    else
        if [ ! -f "$san_build/build.ninja" ]; then
            CC=clang CXX=clang++ meson setup "$san_build" -Db_sanitize=address,undefined \
                -Db_lundef=false -Db_ndebug=false -Doptimization=1 -Ddebug=true >/dev/null || {
                echo "sanitizer setup failed (needs clang and libclang-rt-14-dev):" \
                    "see $san_build/meson-logs/meson-log.txt"
                san_rc=1
            }
        fi
        if [ "$san_rc" -eq 0 ] && ! ninja -C "$san_build"; then
            echo "sanitizer build failed"
            san_rc=1
        fi
        if [ "$san_rc" -eq 0 ]; then
            # An instrumented binary runs 2-3x slower: stretch the per-test timeouts.
            meson test -C "$san_build" --print-errorlogs --num-processes 2 \
                --timeout-multiplier 3 --wrapper "$root/test/sanitizers/run_checked.sh" "$@"
            # meson names the log after the wrapper when one is given.
            san_log="$san_build/meson-logs/testlog-run_checked.sh.json"
        fi
    fi
fi

python3 - "$format_rc" "$san_rc" "$build/meson-logs/testlog.json" ${san_log:+"$san_log"} <<'PY'
import json, re, sys
summary = re.compile(r"test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed")
allok = re.compile(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)")

def count(path):
    passed = failed = 0
    try:
        lines = open(path).read().splitlines()
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
    return passed, failed

passed, failed = count(sys.argv[3])
if len(sys.argv) > 4:
    sp, sf = count(sys.argv[4])
    print(f"sanitizer run (clang ASan+UBSan): {sp} passed, {sf} failed")
    passed += sp; failed += sf
if sys.argv[1] == "0":
    passed += 1
else:
    failed += 1
if sys.argv[2] != "0":
    failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
PY
