#!/bin/bash
# layout-ab.sh: compare two versions of the library in the parser benchmark,
# each built with several code layouts, so that what a change does is not
# confused with where the hot code happened to land: moving the same
# instructions can change the timed figures as much as a change to them.
#
#   bench/layout-ab.sh REV_A [REV_B]
#
# REV_A, REV_B: git revisions of this repository; REV_B defaults to the
# working tree as it is (uncommitted changes included). Each is built once per
# layout in LAYOUTS (extra compiler flags, separated by '|'; default: function
# alignments of 16, 32 and 64 bytes, and 64 with 32-byte loops), then every
# build runs the parser benchmark's timed part once, the versions interleaved.
# Printed per packet and API (and for the PUBLISH stream, mqttp_feed and
# mqttp_frame): each layout's ns per packet and their median, for A, for B,
# and B's median against A's. HAProxy's figure is the median of all runs.
# ROUNDS=N repeats the runs (default 1); BENCH_RUNS and BENCH_RUN_MS are
# passed on to parser-bench.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
rev_a=${1:?usage: layout-ab.sh REV_A [REV_B]}
rev_b=${2:-}
layouts=${LAYOUTS:-"-falign-functions=16|-falign-functions=32|-falign-functions=64|-falign-functions=64 -falign-loops=32"}
rounds=${ROUNDS:-1}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/layout-ab.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
shared=${HAPROXY_SHARED:-$top/../shared/haproxy}

IFS='|' read -r -a flags <<<"$layouts"

# tree_of VERSION REV: a source tree of REV (the working tree when REV is empty)
tree_of() {
	if [ -z "$2" ]; then
		echo "$top"
		return
	fi
	mkdir -p "$tmp/src-$1"
	git -C "$top" archive "$2" | tar -x -C "$tmp/src-$1"
	echo "$tmp/src-$1"
}

for v in A B; do
	rev=$rev_a
	[ $v = B ] && rev=$rev_b
	src=$(tree_of $v "$rev")
	for i in "${!flags[@]}"; do
		b="$tmp/build-$v-$i"
		echo "building $v (${rev:-working tree}) with ${flags[$i]}" >&2
		make -s -C "$src" BUILD="$b" HAPROXY_SHARED="$shared" OPT="-O2 -g ${flags[$i]}" \
			"$b/bench/parser-bench" >"$tmp/make.log" 2>&1 ||
			{ cat "$tmp/make.log" >&2; exit 1; }
	done
done

# One line per run and figure: version layout packet api ns
for r in $(seq "$rounds"); do
	for i in "${!flags[@]}"; do
		for v in A B; do
			"$tmp/build-$v-$i/bench/parser-bench" | awk -v v=$v -v l=$i '
				/ns per packet/ && !done { on = 1; next }
				on && /^$/ { on = 0; done = 1 }
				on && /^connect|^connack/ && NF > 7 {
					print v, l, $1, "feed", $3; print v, l, $1, "decode", $4; print "H", l, $1, "hap", $6
				}
				/^metric ns_publish_stream_(feed|frame) / { sub(/^ns_publish_stream_/, "", $2); print v, l, "publish", $2, $3 }'
		done
	done
done >"$tmp/runs.txt"

awk -v nl="${#flags[@]}" '
function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	k = $3 " " $4
	if ($1 == "H") { hap[$3] = hap[$3] " " $5; next }
	vals[$1, k] = vals[$1, k] " " $5
	if (!(k in seen)) { seen[k] = 1; order[++n] = k }
}
END {
	printf "%-16s %-6s %6s  %-28s %-28s %s\n", "packet", "api", "hap", "A: per layout, median", "B: per layout, median", "B/A"
	for (i = 1; i <= n; i++) {
		k = order[i]; split(k, pa, " ")
		ma = median(vals["A", k]); mb = median(vals["B", k])
		h = pa[1] in hap ? sprintf("%6.1f", median(hap[pa[1]])) : "     -"
		printf "%-16s %-6s %s  %-21s %6.1f %-21s %6.1f %5.3f\n", pa[1], pa[2], h,
		       vals["A", k], ma, vals["B", k], mb, mb / ma
	}
}' "$tmp/runs.txt"
