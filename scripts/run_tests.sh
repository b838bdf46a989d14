#!/bin/sh
# Run every test binary, add up the cmocka counts, and end with the line
# "N passed, N failed".  Usage: scripts/run_tests.sh SANDIR BIN...
# Exits non-zero when any test failed or any binary died.
set -u
san=$1; shift
top=$(pwd)
export SOCC_BIN="$top/$san/socc"
export SOCC_SHARED="${SOCC_SHARED:-$top/../shared}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export CMOCKA_MESSAGE_OUTPUT=stdout
export SOCC_LOG_LEVEL="${SOCC_LOG_LEVEL:-warn}"
if [ ! -d "$SOCC_SHARED/corpus" ]; then
    echo "SKIP: $SOCC_SHARED/corpus not found; corpus and case tests skip"
fi

passed=0 failed=0 skipped=0
log=$(mktemp)
# Run one test program ("$@"), add its cmocka-style counts.
run_counted() {
    echo "== $*"
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    run=$(sed -n 's/^\[==========\] \([0-9]*\) test.*run.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        # the program died (sanitizer, crash) before it could count
        echo "!! $* exited $rc"
        f=$((run - p - s))
        [ "$f" -le 0 ] && f=1
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
}
for t in "$@"; do
    run_counted "$t"
done
# the page in a real browser and other node tests: tests/js/test_*.mjs
for t in tests/js/test_*.mjs; do
    [ -f "$t" ] || continue
    run_counted node "$t"
done
rm -f "$log"

# the sources must be clean under cppcheck
echo "== cppcheck"
if cppcheck --quiet --enable=warning,portability,performance --std=c11 \
    --suppress=missingIncludeSystem --error-exitcode=1 -Isrc \
    $(find src -name '*.c' | sort); then
    passed=$((passed + 1))
else
    echo "!! cppcheck found problems (above)"
    failed=$((failed + 1))
fi

# docs/ERRORS.md must be what the error list generates
echo "== docs/ERRORS.md"
if scripts/errors_md.sh | cmp -s - docs/ERRORS.md; then
    passed=$((passed + 1))
else
    echo "!! docs/ERRORS.md is stale: run scripts/errors_md.sh > docs/ERRORS.md"
    failed=$((failed + 1))
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
