#!/bin/sh
# asan.sh - HAProxy's AddressSanitizer build under the end-to-end suite
# (tests/e2e/run.sh) and the fault tests; fails on any sanitizer report.
#
#   tests/fault/asan.sh [ASAN_HAPROXY_BIN] [-- options of fault_tests.py]
#
# Default binary: build/bin/haproxy-asan (make haproxy-asan).
# ASAN_OPTIONS: detect_leaks=1 (LeakSanitizer runs when HAProxy exits
# normally: the fault tests stop it with SIGUSR1, a soft stop; SIGTERM, which
# the e2e suite uses, ends it by the signal and skips the leak check),
# abort_on_error=1, and log_path so every report lands in a file of its own
# (asan.<pid>) whatever the harness does with HAProxy's stderr.
# FAULT_ASAN_LEAKS=0 switches leak detection off.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
bin=${1:-$top/build/bin/haproxy-asan}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
case "$bin" in /*) ;; *) bin=$(pwd)/$bin ;; esac
[ -x "$bin" ] || { echo "asan.sh: $bin: not an executable (make haproxy-asan)" >&2; exit 2; }
"$bin" -vv 2>/dev/null | grep -q "address sanitizer\|fsanitize=address" || \
	echo "asan.sh: warning: $bin does not say it was built with ASan" >&2

reports=$(mktemp -d /tmp/mqtt-asan-XXXXXX)
passed=0
failed=0

# 1. the end-to-end suite
echo "== e2e suite under ASan: $bin"
ASAN_OPTIONS="detect_leaks=${FAULT_ASAN_LEAKS:-1}:abort_on_error=1:fast_unwind_on_malloc=0:log_path=$reports/asan" \
	LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0" \
	"$top/tests/e2e/run.sh" "$bin" > "$reports/e2e.out" 2>&1
rc=$?
cat "$reports/e2e.out"
if [ $rc -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL  e2e suite (status $rc)"; fi
found=$(grep -l "ERROR: AddressSanitizer\|ERROR: LeakSanitizer" "$reports"/asan.* 2>/dev/null || true)
if [ -n "$found" ]; then
	failed=$((failed + 1))
	echo "FAIL  sanitizer reports during the e2e suite:"
	for f in $found; do echo "---- $f"; head -40 "$f"; done
else
	passed=$((passed + 1))
	n=0; for f in "$reports"/asan.*; do [ -e "$f" ] && n=$((n + 1)); done
	echo "ok    no sanitizer report during the e2e suite ($n report files)"
fi

# 2. the fault tests (they set ASAN_OPTIONS themselves and check each test)
echo "== fault tests under ASan: $bin"
"$here/run.sh" "$bin" -- --asan "$@" > "$reports/fault.out" 2>&1
rc=$?
grep -v '^<[0-9]>' "$reports/fault.out"
last=$(tail -n 1 "$reports/fault.out")
p=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
f=$(echo "$last" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -n "$p" ] && [ -n "$f" ]; then
	passed=$((passed + p)); failed=$((failed + f))
	[ $rc -eq 0 ] || [ "$f" -gt 0 ] || failed=$((failed + 1))
else
	failed=$((failed + 1)); echo "FAIL  fault tests (status $rc)"
fi
[ $failed -eq 0 ] && rm -rf "$reports" || echo "      outputs kept in $reports"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
