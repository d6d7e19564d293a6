#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `meson test --wrapper` for the sanitizer build: runs one test with every ASan/LSan/UBSan
# report sent to a private directory, then fails the test if anything was written there.
# A report from the test binary shows in its exit status anyway; the directory also
# catches the processes it spawns (the canaille supervisor and workers behind nginx, the
# CLI runs), which inherit ASAN_OPTIONS/UBSAN_OPTIONS and whose exit status or stderr the
# tests may never look at. Each report is printed, so it lands in meson's test log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
logs=$(mktemp -d "${TMPDIR:-/tmp}/canaille-san.XXXXXX") || exit 1

# halt_on_error: the first report ends the process (UBSan needs it too: pointer-overflow
# stays recoverable so that its suppression file works, see root meson.build).
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:log_path=$logs/report${CANAILLE_EXTRA_ASAN_OPTIONS:+:$CANAILLE_EXTRA_ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:report_error_type=1:exitcode=87:suppressions=$here/ubsan.supp:log_path=$logs/report"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]; then
    export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

"$@"
rc=$?

shopt -s nullglob
reports=("$logs"/*)
if [ ${#reports[@]} -gt 0 ]; then
    for r in "${reports[@]}"; do
        echo "=== sanitizer report: $(basename "$r") ===" >&2
        cat "$r" >&2
    done
    echo "sanitizer: ${#reports[@]} report(s) from this test or its child processes" >&2
    [ "$rc" -eq 0 ] && rc=1
fi
rm -rf "$logs"
exit "$rc"
