#!/bin/sh
# matrix.sh - run one test suite across HAProxy versions, one run per version,
# and print a line per version (what ran, its "N passed, N failed", the time).
#
#   tests/lib/matrix.sh NAME RUNNER [--args "SUITE OPTIONS"] ENTRY...
#
#   NAME     label of the lines ("check-e2e")
#   RUNNER   the suite's run.sh (called as RUNNER BIN -- [--smoke] SUITE OPTIONS)
#   ENTRY    SERIES:full:BIN     the whole suite against BIN
#            SERIES:smoke:BIN    the --smoke subset against BIN
#            SERIES:skip:REASON  print "NAME: HAProxy SERIES SKIPPED: REASON"
#
# Every version runs even if an earlier one failed; the exit status is 1 if
# any run failed (a skipped version does not fail), 2 on bad arguments.
set -u
[ $# -ge 3 ] || { echo "usage: matrix.sh NAME RUNNER [--args OPTS] SERIES:MODE:ARG..." >&2; exit 2; }
name=$1; runner=$2; shift 2
opts=""
if [ "$1" = "--args" ]; then opts=$2; shift 2; fi

summary=""
rc=0
for entry in "$@"; do
	series=${entry%%:*}; rest=${entry#*:}
	mode=${rest%%:*}; arg=${rest#*:}
	case $mode in
	skip)
		line="$name: HAProxy $series SKIPPED: $arg"
		echo "$line"
		summary="$summary$line
"
		continue ;;
	full) flag="" ;;
	smoke) flag="--smoke" ;;
	*) echo "matrix.sh: bad entry '$entry'" >&2; exit 2 ;;
	esac
	echo "== $name: HAProxy $series, $mode suite: $arg"
	t0=$(date +%s)
	out=$(mktemp /tmp/mqtt-matrix-XXXXXX)
	# shellcheck disable=SC2086
	"$runner" "$arg" -- $flag $opts 2>&1 | tee "$out"
	st=$(tail -n 1 "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' || true)
	# the runner's status is lost in the pipe: its last line says it
	case $st in
	*" 0 failed"*) verdict=ok ;;
	*) verdict=FAIL; rc=1; [ -n "$st" ] || st="no result line" ;;
	esac
	rm -f "$out"
	line="$name: HAProxy $series $mode: $verdict ($st) in $(( $(date +%s) - t0 )) s"
	echo "$line"
	summary="$summary$line
"
done
printf '== %s summary\n%s' "$name" "$summary"
exit $rc
