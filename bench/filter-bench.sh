#!/bin/bash
# filter-bench.sh: what the addon costs on the bytes after the handshake,
# against plain TCP forwarding of the same bytes, in two configurations:
#   plain   a plain `mode tcp` listen, round robin, no MQTT keyword
#   basic   examples/haproxy/basic.cfg as shipped (nbthread 1, maxconn set)
# Each runs in its own HAProxy process in front of three sinks
# (mqtt-loadgen -M sink: CONNACK, then every packet framed and discarded), so
# the proxy is measured and not a broker.
#
# PUBLISH streams: FB_PUBS publishers connect (CONNECT/CONNACK), then send
# QoS 0 PUBLISH packets back to back, a PINGREQ, and wait for the PINGRESP
# (mqtt-loadgen -M publish), for each payload size of FB_SIZES, FB_ROUNDS
# rounds with the configurations alternating (order rotated each round):
# medians of messages/s and of HAProxy's CPU time per message. Then each
# HAProxy is restarted under callgrind: its user-space instructions per
# message are (Ir(n messages) - Ir(0 messages)) / n, so the handshakes do
# not count; median of FB_CG_REPEAT (FB_CALLGRIND=0 skips it).
#
# Idle sessions: each fresh HAProxy's VmRSS before and with FB_IDLE idle MQTT
# sessions (CONNECT/CONNACK done, held open); per session, and basic's
# bytes per session beyond plain's.
#
#   HAPROXY=build/bin/haproxy LOADGEN=build/bench/mqtt-loadgen bench/filter-bench.sh
#
# Environment (defaults): FB_ROUNDS=7 FB_PUBS=4
# FB_SIZES="64:5000000 1024:1000000 65536:16000" (payload bytes:messages per
# run), FB_CG_SIZES="64:200000 1024:50000 65536:2000" (the same under
# callgrind), FB_SCALE=1 (multiplies every message count; 0.1 for a quick
# look), FB_IDLE=10000, FB_CALLGRIND=1, FB_CG_REPEAT=3, FB_CG_OPTS (extra
# valgrind options), FB_PORT_BASE=30800 (sinks base+1..3, frontends base+11,
# base+12), WORK=/tmp/mqtt-filter-bench. Every process started here is
# stopped by its PID on exit; every step has a time limit.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HAPROXY=${HAPROXY:?set HAPROXY to the haproxy binary}
LOADGEN=${LOADGEN:?set LOADGEN to mqtt-loadgen}
WORK=${WORK:-/tmp/mqtt-filter-bench}
ROUNDS=${FB_ROUNDS:-7}
PUBS=${FB_PUBS:-4}
SIZES=${FB_SIZES:-"64:5000000 1024:1000000 65536:16000"}
CG_SIZES=${FB_CG_SIZES:-"64:200000 1024:50000 65536:2000"}
SCALE=${FB_SCALE:-1}
IDLE=${FB_IDLE:-10000}
CG_REPEAT=${FB_CG_REPEAT:-3}
CG_OPTS=${FB_CG_OPTS:-}
BASE=${FB_PORT_BASE:-30800}
CONFIGS="plain basic"
BENCH_NAME=filter-bench
# shellcheck source=bench/bench-lib.sh
. "$TOP/bench/bench-lib.sh"

[ -x "$HAPROXY" ] || die "no haproxy binary at $HAPROXY"
[ -x "$LOADGEN" ] || die "no load generator at $LOADGEN"
case $("$HAPROXY" -vv 2>/dev/null || true) in
*"MQTT addon: libmqttparse"*) ;;
*) die "$HAPROXY is not built with the mqttparse addon (make haproxy)" ;;
esac
# The idle sessions take a descriptor on each side of the proxy: where the
# hard limit is lower and cannot be raised, as many sessions as fit.
ulimit -Hn $((IDLE * 2 + 100)) 2>/dev/null || true
fit=$(($(ulimit -Hn | sed 's/unlimited/65536/') / 2 - 50))
if [ "$IDLE" -gt "$fit" ]; then
	idle_note="$IDLE idle sessions asked, $fit fit in the descriptor limit ($(ulimit -Hn))"
	say "$idle_note"
	IDLE=$fit
fi
nofile $((IDLE * 2 + 100))
MAXCONN=$((IDLE + 20))

rm -rf "$WORK"
mkdir -p "$WORK"

sink_port() { echo $((BASE + $1)); }
fe_port() { case $1 in plain) echo $((BASE + 11)) ;; basic) echo $((BASE + 12)) ;; esac; }
# 64 -> 64b, 1024 -> 1k, 65536 -> 64k: the payload in figure names
label() { awk -v s="$1" 'BEGIN {if (s % 1024 || !s) print s "b"; else print s / 1024 "k"}'; }
# the message count of a size:count list for a payload size, scaled
msgs_for() { # list size
	local e
	for e in $1; do
		[ "${e%%:*}" = "$2" ] && { awk -v n="${e#*:}" -v f="$SCALE" 'BEGIN {n = int(n * f); print n < 1 ? 1 : n}'; return; }
	done
	die "no message count for payload $2 in '$1'"
}
sizes=$(for e in $SIZES; do echo "${e%%:*}"; done)

for p in 1 2 3; do port_open "$(sink_port $p)" && die "port $(sink_port $p) is busy (set FB_PORT_BASE)"; done
for c in $CONFIGS; do port_open "$(fe_port "$c")" && die "port $(fe_port "$c") is busy (set FB_PORT_BASE)"; done

# ------------------------------------------------------------------ sinks
for b in 1 2 3; do
	"$LOADGEN" -M sink -p "$(sink_port $b)" >"$WORK/sink$b.out" 2>&1 &
	pids+=($!)
done
for b in 1 2 3; do wait_port "$(sink_port $b)" || die "sink $b did not start (see $WORK/sink$b.out)"; done
# PUBLISH packets the sinks framed so far
sink_publishes() { cat "$WORK"/sink?.out | awk '{sub(/^publishes=/, "", $2); n += $2} END {print n + 0}'; }

# ------------------------------------------------------------------ HAProxy
# basic: the recipe as shipped, one thread (its addresses come from the environment).
sed "s/^global\$/global\\n    nbthread 1\\n    maxconn $MAXCONN/" "$TOP/examples/haproxy/basic.cfg" >"$WORK/basic.cfg"
# plain: basic's global and defaults, then a listen with no MQTT keyword.
{
	sed '/^frontend /,$d' "$WORK/basic.cfg"
	echo "listen plain"
	echo "    bind 127.0.0.1:$(fe_port plain)"
	echo "    balance roundrobin"
	for b in 1 2 3; do echo "    server broker$b 127.0.0.1:$(sink_port $b) check"; done
} >"$WORK/plain.cfg"
MQTT_BIND=127.0.0.1:$(fe_port basic) BROKER1=127.0.0.1:$(sink_port 1) \
	BROKER2=127.0.0.1:$(sink_port 2) BROKER3=127.0.0.1:$(sink_port 3)
export MQTT_BIND BROKER1 BROKER2 BROKER3

# shellcheck disable=SC2086 # CONFIGS: a list of names
hap_start $CONFIGS

# publish CONFIG PAYLOAD MESSAGES [ID-PREFIX]: one publish run, its line
publish() {
	timeout 300 "$LOADGEN" -M publish -p "$(fe_port "$1")" -c "$PUBS" -s "$2" -n "$3" -P "${4:-p$1-}" -T 240
}

# -------------------------------------------------------------- sanity
# Every PUBLISH sent through each configuration reaches the sinks, framed.
for c in $CONFIGS; do
	for s in $sizes; do
		before=$(sink_publishes)
		out=$(publish "$c" "$s" 1000 "chk$c-") || die "sanity run failed for '$c', payload $s: $out"
		# a sink reports a connection when it closes, just after the DISCONNECT
		for _ in $(seq 50); do [ $(($(sink_publishes) - before)) -ge 1000 ] && break; sleep 0.1; done
		got=$(($(sink_publishes) - before))
		[ "$got" = 1000 ] || die "'$c', payload $s: the sinks framed $got PUBLISH of 1000"
	done
	say "$c: sanity ok (1000 PUBLISH of each size reached the sinks)"
done

# ----------------------------------------------------- idle memory (RSS)
# Fresh processes (only the sanity runs so far): VmRSS before, and with IDLE
# sessions that each sent CONNECT and got CONNACK.
declare -A rss0 rss1 idle_n bps
for c in $CONFIGS; do
	idle_rss "$c" "$(fe_port "$c")" "${hpid[$c]}" "$IDLE"
	rss0[$c]=$idle_rss0
	rss1[$c]=$idle_rss1
	idle_n[$c]=$idle_count
	bps[$c]=$(awk -v a="$idle_rss0" -v b="$idle_rss1" -v n="$idle_count" 'BEGIN {printf "%.0f", n ? (b - a) * 1024 / n : 0}')
	say "$c: VmRSS ${rss0[$c]} kB, ${rss1[$c]} kB with $idle_count idle MQTT sessions (${bps[$c]} B/session)"
done

# --------------------------------------------------------- rate rounds
declare -A res
read -r -a cfgs <<<"$CONFIGS"
say "warm-up"
for c in $CONFIGS; do for s in $sizes; do publish "$c" "$s" "$(msgs_for "$SIZES" "$s")" "w$c-" >/dev/null; done; done
# res[config.size.round] = "messages/s MB/s HAProxy-CPU-ns-per-message"
for r in $(seq "$ROUNDS"); do
	for s in $sizes; do
		n=$(msgs_for "$SIZES" "$s")
		for j in $(seq 0 $((${#cfgs[@]} - 1))); do
			c=${cfgs[$(((r - 1 + j) % ${#cfgs[@]}))]}
			t0=$(cpu_ticks "${hpid[$c]}")
			line=$(publish "$c" "$s" "$n" "r$r$c-") || die "round $r '$c' payload $s: $line"
			t1=$(cpu_ticks "${hpid[$c]}")
			res[$c.$s.$r]=$(echo "$line" | sed -E 's/.*messages=([0-9]+).*rate=([0-9.]+) mb_s=([0-9.]+).*/\2 \3 \1/' |
				awk -v d=$((t1 - t0)) -v tu="$TICK_US" '{printf "%s %s %.1f\n", $1, $2, $3 ? d * tu * 1000 / $3 : 0}')
			say "round $r $c payload $s: msgs/s MB/s cpu_ns/msg = ${res[$c.$s.$r]}"
		done
	done
done
col() { local r; for r in $(seq "$ROUNDS"); do echo "${res[$1.$2.$r]}" | awk -v k="$3" '{print $k}'; done | median; }

# ------------------------------------- instructions per message (callgrind)
declare -A irmsg
if [ "${FB_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
	# shellcheck disable=SC2086 # CONFIGS: a list of names
	cg_restart $CONFIGS
	for c in $CONFIGS; do
		for s in $sizes; do publish "$c" "$s" 200 "cgw$c-" >/dev/null || die "callgrind warm-up failed for '$c'"; done
	done
	declare -A irrun
	for r in $(seq "$CG_REPEAT"); do
		for s in $sizes; do
			n=$(msgs_for "$CG_SIZES" "$s")
			for c in $CONFIGS; do
				cg_count "$c" publish "$c" "$s" 0 "cgz$r$c-"
				ir0=$cg_ir
				cg_count "$c" publish "$c" "$s" "$n" "cgm$r$c-"
				irrun[$c.$s]="${irrun[$c.$s]:-} $(awk -v a="$cg_ir" -v b="$ir0" -v n="$n" 'BEGIN {printf "%.1f", (a - b) / n}')"
				say "$c payload $s: $cg_ir instructions for $n messages, $ir0 for none (measurement $r)"
			done
		done
	done
	for c in $CONFIGS; do
		for s in $sizes; do
			irmsg[$c.$s]=$(printf '%s\n' ${irrun[$c.$s]} | median)
			say "$c payload $s: instructions per message${irrun[$c.$s]}: median ${irmsg[$c.$s]}"
		done
		kill "${cg_pid[$c]}" 2>/dev/null || true
	done
fi

# ------------------------------------------------------------------ report
ver=$("$HAPROXY" -v 2>/dev/null | awk 'NR == 1 {print $3}')
q() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0 && a > 0) printf "%.3f", a / b; else printf "-"}' || printf -- "-"; }
echo
echo "== Filter: QoS 0 PUBLISH streams through HAProxy $ver (nbthread 1) to 3 sinks, 127.0.0.1 =="
echo "   $PUBS publishers, $ROUNDS rounds (${CONFIGS// /,}, order rotated each round); medians"
printf '%-8s %-6s %9s %11s %9s %11s %9s\n' payload config msgs/run msgs/s MB/s cpu_ns/msg Ir/msg
for s in $sizes; do
	for c in $CONFIGS; do
		printf '%-8s %-6s %9s %11.0f %9.1f %11.1f %9s\n' "$s" "$c" "$(msgs_for "$SIZES" "$s")" "$(col "$c" "$s" 1)" \
			"$(col "$c" "$s" 2)" "$(col "$c" "$s" 3)" "${irmsg[$c.$s]:--}"
	done
done
echo "cpu_ns/msg: HAProxy's own CPU time (user+system) per message, median; steadier than the rate"
echo "when other work shares the machine."
[ ${#irmsg[@]} -gt 0 ] && echo "Ir/msg: HAProxy's user-space instructions per message under callgrind, (Ir(n) - Ir(0)) / n
with n = FB_CG_SIZES's counts, median of $CG_REPEAT; independent of the machine's load."
echo
echo "== Filter: $IDLE idle MQTT sessions (CONNECT/CONNACK done) through HAProxy $ver =="
printf '%-6s %12s %15s %9s %12s\n' config rss_base_kB "rss_${IDLE}idle_kB" sessions B/session
for c in $CONFIGS; do
	printf '%-6s %12s %15s %9s %12s\n' "$c" "${rss0[$c]}" "${rss1[$c]}" "${idle_n[$c]}" "${bps[$c]}"
done
extra=$((bps[basic] - bps[plain]))
echo "basic.cfg beyond plain TCP: $extra B per idle session"
[ -z "${idle_note:-}" ] || echo "(${idle_note})"
echo
for s in $sizes; do
	l=$(label "$s")
	echo "ratio filter_pub_${l}_rate_vs_plain_tcp $(q "$(col basic "$s" 1)" "$(col plain "$s" 1)")"
	echo "ratio filter_pub_${l}_cpu_vs_plain_tcp $(q "$(col plain "$s" 3)" "$(col basic "$s" 3)")"
	[ -n "${irmsg[basic.$s]:-}" ] &&
		echo "ratio filter_pub_${l}_ir_vs_plain_tcp $(q "${irmsg[plain.$s]}" "${irmsg[basic.$s]}")"
	for c in $CONFIGS; do
		echo "metric filter_pub_rate_${l}_$c $(printf '%.0f' "$(col "$c" "$s" 1)")"
		echo "metric filter_pub_mb_s_${l}_$c $(col "$c" "$s" 2)"
		echo "metric filter_pub_cpu_ns_${l}_$c $(col "$c" "$s" 3)"
		[ -n "${irmsg[$c.$s]:-}" ] && echo "metric filter_pub_ir_${l}_$c ${irmsg[$c.$s]}"
	done
done
for c in $CONFIGS; do
	echo "metric filter_idle_rss_base_kb_$c ${rss0[$c]}"
	echo "metric filter_idle_rss_kb_$c ${rss1[$c]}"
	echo "metric filter_idle_sessions_$c ${idle_n[$c]}"
	echo "metric filter_idle_b_per_session_$c ${bps[$c]}"
done
echo "metric filter_idle_extra_b_per_session $extra"
