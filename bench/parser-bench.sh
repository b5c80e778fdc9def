#!/bin/bash
# parser-bench.sh: run the parser benchmark: thread CPU time (ns per packet,
# the fastest of the interleaved runs; BENCH_STAT=median for medians), then
# the same cases under callgrind (instructions per packet, stable on a
# noisy machine). Prints tables, `ratio <name> <value>` and
# `metric <name> <value>` lines, and last every time ratio beside its
# instruction ratio with its target from targets.txt.
#
#   bench/parser-bench.sh <parser-bench binary> [workdir]
#
# Environment: BENCH_RUNS (runs per case, default 15), BENCH_RUN_MS (ms per
# run, default 10), BENCH_STAT (fastest or median), BENCH_NO_CALLGRIND=1 to
# skip the callgrind part.
set -euo pipefail

bin=${1:?usage: parser-bench.sh <parser-bench binary> [workdir]}
work=${2:-$(dirname "$bin")/parser-cg}
targets=$(dirname "$0")/targets.txt

rm -rf "$work"
mkdir -p "$work"
"$bin" | tee "$work/time.txt"

if [ "${BENCH_NO_CALLGRIND:-}" = 1 ] || ! command -v valgrind >/dev/null; then
	echo "(callgrind part skipped: valgrind not found or BENCH_NO_CALLGRIND=1)"
	exit 0
fi

# One dump per case (client requests in the binary), uncompressed names so
# every part file stands alone.
valgrind --tool=callgrind --compress-strings=no --compress-pos=no \
	--callgrind-out-file="$work/cg.out" "$bin" --callgrind >/dev/null 2>"$work/valgrind.log" ||
	{ echo "callgrind failed, see $work/valgrind.log" >&2; exit 1; }
"$bin" --list >"$work/cases.txt"

# case -> instructions per packet (dump total / iterations / packets per call)
for f in "$work"/cg.out.*; do
	awk '/^desc: Trigger: Client Request:/ {n = $NF} /^summary:/ {print n, $2}' "$f"
done | sort >"$work/ir.txt"

awk '
NR == FNR { it[$1] = $2; per[$1] = $3; if ($1 ~ /^pdecode\./) ps[++nps] = substr($1, 9); next }
{ ir[$1] = $2 / it[$1] / per[$1] }
function g(n) { if (!(n in ir)) { print "missing case " n > "/dev/stderr"; exit 1 } return ir[n] }
END {
	np = split("connect_v311 connect_v5 connack_v5 connect_will10k", pk, " ")
	printf "\n== Parser: instructions per packet (callgrind) ==\n"
	printf "%-16s %10s %11s %13s %14s %10s %10s\n", "packet", "ours.feed", "ours.decode",
	       "hap.validate", "hap.field(id)", "field/feed", "field/dec"
	for (i = 1; i <= np; i++) {
		p = pk[i]
		printf "%-16s %10.0f %11.0f %13.0f %14.0f %9.2fx %9.2fx\n", p, g("feed." p),
		       g("decode." p), g("hval." p), g("hfield." p),
		       g("hfield." p) / g("feed." p), g("hfield." p) / g("decode." p)
	}
	printf "\n== Arrival in k pieces: instructions per packet (callgrind) ==\n"
	printf "%-16s %6s %12s %12s %10s\n", "packet", "k", "ours", "haproxy", "hap/ours"
	split("connect_v311 connect_will10k", ap, " ")
	split("1 8 64 len", ks, " ")
	for (i = 1; i <= 2; i++)
		for (j = 1; j <= 4; j++) {
			o = g("oarr" ks[j] "." ap[i]); h = g("harr" ks[j] "." ap[i])
			printf "%-16s %6s %12.0f %12.0f %9.2fx\n", ap[i], ks[j], o, h, h / o
		}
	printf "\n== CONNECT rewrite (new 24-byte client id): instructions per packet (callgrind) ==\n"
	printf "%-16s %10s %12s %10s\n", "packet", "ours.feed", "ours.rewrite", "rw/feed"
	for (i = 1; i <= 2; i++)
		printf "%-16s %10.0f %12.0f %9.2fx\n", pk[i], g("feed." pk[i]), g("rewrite." pk[i]),
		       g("rewrite." pk[i]) / g("feed." pk[i])
	printf "\n== PUBLISH stream: instructions per packet (callgrind) ==\n"
	printf "ours mqttp_feed framing   %8.1f\n", g("stream.publish")
	printf "ours mqttp_frame hop      %8.1f\n", g("frame.publish")
	printf "\n== PUBLISH decode against framing: instructions per packet (callgrind) ==\n"
	printf "%-10s %9s %9s %9s %9s %13s %13s %11s\n", "stream", "frame", "feed", "decode", "struct",
	       "decode/frame", "struct/frame", "feed/frame"
	for (i = 1; i <= nps; i++) {
		s = ps[i]
		printf "%-10s %9.1f %9.1f %9.1f %9.1f %12.2fx %12.2fx %10.2fx\n", s, g("pframe." s), g("pfeed." s),
		       g("pdecode." s), g("pstruct." s), g("pdecode." s) / g("pframe." s),
		       g("pstruct." s) / g("pframe." s), g("pfeed." s) / g("pframe." s)
	}
	printf "\n"
	for (i = 1; i <= np; i++) {
		p = pk[i]
		printf "metric ir_ours_feed_%s %.1f\n", p, g("feed." p)
		printf "metric ir_ours_decode_%s %.1f\n", p, g("decode." p)
		printf "metric ir_hap_validate_%s %.1f\n", p, g("hval." p)
		printf "metric ir_hap_field_%s %.1f\n", p, g("hfield." p)
	}
	for (i = 1; i <= np; i++) {
		p = pk[i]
		printf "ratio ir_parse_%s_vs_haproxy %.2f\n", p, g("hfield." p) / g("feed." p)
		printf "ratio ir_validate_%s_vs_haproxy %.2f\n", p, g("hval." p) / g("feed." p)
		printf "ratio ir_decode_%s_vs_haproxy %.2f\n", p, g("hfield." p) / g("decode." p)
	}
	for (i = 1; i <= 2; i++) {
		for (j = 1; j <= 4; j++)
			printf "ratio ir_arrival_%s_%s_vs_haproxy %.2f\n", ks[j], ap[i],
			       g("harr" ks[j] "." ap[i]) / g("oarr" ks[j] "." ap[i])
		printf "ratio ir_ours_bytewise_vs_oneshot_%s %.2f\n", ap[i],
		       g("oarrlen." ap[i]) / g("oarr1." ap[i])
	}
	for (i = 1; i <= 2; i++)
		printf "metric ir_ours_rewrite_%s %.0f\n", pk[i], g("rewrite." pk[i])
	printf "metric ir_publish_stream_feed %.1f\n", g("stream.publish")
	printf "metric ir_publish_stream_frame %.1f\n", g("frame.publish")
	for (i = 1; i <= nps; i++) {
		s = ps[i]
		printf "metric ir_publish_%s_frame %.1f\n", s, g("pframe." s)
		printf "metric ir_publish_%s_feed %.1f\n", s, g("pfeed." s)
		printf "metric ir_publish_%s_decode %.1f\n", s, g("pdecode." s)
		printf "metric ir_publish_%s_struct %.1f\n", s, g("pstruct." s)
		printf "ratio ir_publish_%s_decode_vs_frame %.2f\n", s, g("pdecode." s) / g("pframe." s)
		printf "ratio ir_publish_%s_struct_vs_frame %.2f\n", s, g("pstruct." s) / g("pframe." s)
		printf "ratio ir_publish_%s_feed_vs_frame %.2f\n", s, g("pfeed." s) / g("pframe." s)
	}
}' "$work/cases.txt" "$work/ir.txt" | tee "$work/ir-ratios.txt"

# Every time ratio beside its instruction ratio, with its target if it has one.
awk '
FNR == 1 { f++ }
f == 1 && !/^[ \t]*(#|$)/ { pat[++nt] = $1; tgt[nt] = $2 " " $3 }
f == 2 && ($1 == "ratio" || $1 == "metric") { t[$2] = $3; order[++n] = $2 }
f == 3 && ($1 == "ratio" || $1 == "metric") { ir[$2] = $3 }
function target(k,    i, re) {
	for (i = 1; i <= nt; i++) {
		re = pat[i]; gsub(/\*/, ".*", re)
		if (k ~ ("^" re "$")) return tgt[i]
	}
	return ""
}
END {
	printf "\n== Time and instructions side by side (_vs_haproxy ratios: >1 = faster than HAProxy) ==\n"
	printf "%-44s %8s %8s  %s\n", "name", "time", "instr.", "target"
	for (i = 1; i <= n; i++) {
		k = order[i]; m = k; sub(/^ns_/, "ir_", m)
		if (k ~ /^ns_publish_/) { printf "%-44s %8s %8s  %s\n", k, t[k], ir[m], target(k); continue }
		if (!(("ir_" k) in ir)) continue
		printf "%-44s %8s %8s  %s\n", k, t[k], ir["ir_" k], target(k)
	}
}' "$targets" "$work/time.txt" "$work/ir-ratios.txt"
