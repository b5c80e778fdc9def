#!/bin/bash
# lb-bench.sh: MQTT CONNECT -> CONNACK handshakes through HAProxy to three
# mosquitto brokers on 127.0.0.1, in three configurations:
#   plain   plain TCP round robin, no inspection
#   native  HAProxy's own converters: wait for mqtt_is_valid, set-var the
#           client id with mqtt_field_value, balance hash var(txn.cid)
#   ours    the addon: mqtt-validate (refuse an invalid CONNECT, never route
#           before the client id is known), balance hash req.mqtt_client_id,
#           stick on its mqtt_key
#   hash    ours without the stick table (balance hash only): the same work
#           as native, for a like-for-like comparison
#   canon   examples/haproxy/basic.cfg (consistent hash on the client id + stick table + CONNACK
#           inspection for MQTT 5 assigned ids)
# Each configuration runs in its own HAProxy process (nbthread 1), all three
# up at once. First each process's VmRSS is read before and with LB_IDLE idle
# MQTT connections open (each sent CONNECT and got CONNACK). Then the load runs
# against them alternately (plain, native, ours, ..., then the next round,
# starting one configuration later) for LB_ROUNDS rounds; medians of handshakes/s, p50/p99 latency and HAProxy's CPU time per
# handshake are reported. Last, each HAProxy is restarted under callgrind to
# count its user-space instructions per handshake (LB_CALLGRIND=0 skips it).
#
#   HAPROXY=build/bin/haproxy LOADGEN=build/bench/mqtt-loadgen bench/lb-bench.sh
#
# Environment (defaults): LB_ROUNDS=11 LB_CONC=50 LB_COUNT=10000 LB_IDLE=2000
# LB_CONFIGS="plain native ours hash canon" LB_PORT_BASE=28800 (brokers
# base+1..3, frontends base+11..15), LB_CG_OPTS (extra valgrind options for
# the callgrind step, e.g. --dump-instr=yes to annotate lines), LB_CG_COUNT=1000
# LB_CG_REPEAT=5 LB_CG_WARM=200 (callgrind: handshakes per measurement, measurements)
# WORK=/tmp/mqtt-lb-bench (configs, logs, sockets). Every process started here
# is stopped by its PID on exit; every step has a time limit.
set -euo pipefail

HAPROXY=${HAPROXY:?set HAPROXY to the haproxy binary}
LOADGEN=${LOADGEN:?set LOADGEN to mqtt-loadgen}
WORK=${WORK:-/tmp/mqtt-lb-bench}
ROUNDS=${LB_ROUNDS:-11}
CONC=${LB_CONC:-50}
COUNT=${LB_COUNT:-10000}
IDLE=${LB_IDLE:-2000}
BASE=${LB_PORT_BASE:-28800}
CONFIGS=${LB_CONFIGS:-"plain native ours hash canon"}
BENCH_NAME=lb-bench
CG_OPTS=${LB_CG_OPTS:-}
# shellcheck source=bench/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

command -v mosquitto >/dev/null || die "mosquitto not installed"
[ -x "$HAPROXY" ] || die "no haproxy binary at $HAPROXY"
[ -x "$LOADGEN" ] || die "no load generator at $LOADGEN"

# Enough descriptors for LB_IDLE connections on both sides of the proxy.
nofile $((IDLE * 2 + 200))

rm -rf "$WORK"
mkdir -p "$WORK"

broker_port() { echo $((BASE + $1)); }
fe_port() {
	case $1 in
	plain) echo $((BASE + 11)) ;; native) echo $((BASE + 12)) ;;
	ours) echo $((BASE + 13)) ;; canon) echo $((BASE + 14)) ;; hash) echo $((BASE + 15)) ;;
	*) die "unknown configuration '$1'" ;;
	esac
}

for p in 1 2 3; do port_open "$(broker_port $p)" && die "port $(broker_port $p) is busy (set LB_PORT_BASE)"; done
for c in $CONFIGS; do port_open "$(fe_port $c)" && die "port $(fe_port $c) is busy (set LB_PORT_BASE)"; done

# ------------------------------------------------------------------ brokers
for b in 1 2 3; do
	cat >"$WORK/mosquitto$b.conf" <<EOF
listener $(broker_port $b) 127.0.0.1
allow_anonymous true
max_connections -1
persistence false
log_dest none
set_tcp_nodelay true
max_keepalive 65535
EOF
	mosquitto -c "$WORK/mosquitto$b.conf" >"$WORK/mosquitto$b.log" 2>&1 &
	pids+=($!)
done
for b in 1 2 3; do wait_port "$(broker_port $b)" || die "mosquitto $b did not start (see $WORK/mosquitto$b.log)"; done

# ------------------------------------------------------------------ HAProxy
servers() {
	local b
	for b in 1 2 3; do echo "    server mqtt$b 127.0.0.1:$(broker_port $b)"; done
}
hap_common() {
	cat <<EOF
global
    maxconn 5000
    nbthread 1
    stats socket $WORK/$1.sock mode 600 level admin

defaults
    mode tcp
    maxconn 5000
    timeout connect 5s
    timeout client 120s
    timeout server 120s

EOF
}
gen_plain() {
	hap_common plain
	cat <<EOF
frontend fe_plain
    bind 127.0.0.1:$(fe_port plain)
    default_backend be_plain

backend be_plain
    balance roundrobin
$(servers)
EOF
}
# HAProxy's converters: the ACL waits (need more data -> wait up to the
# inspect delay); set-var runs once the CONNECT is whole; balance hash on the
# variable, because a payload expression in `balance hash` sees no data in TCP
# mode.
gen_native() {
	hap_common native
	cat <<EOF
frontend fe_native
    bind 127.0.0.1:$(fe_port native)
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.payload(0,0),mqtt_is_valid }
    tcp-request content set-var(txn.cid) req.payload(0,0),mqtt_field_value(connect,client_identifier)
    default_backend be_native

backend be_native
    balance hash var(txn.cid)
$(servers)
EOF
}
# The addon: the canonical frontend rules of examples/haproxy/basic.cfg
# (mqtt-validate: refuse an invalid CONNECT, never route before the client
# id is known), balance hash on the client id plus a stick table keyed by
# its mqtt_key.
gen_ours() {
	hap_common ours
	cat <<EOF
frontend fe_ours
    bind 127.0.0.1:$(fe_port ours)
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend be_ours

backend be_ours
    balance hash req.mqtt_client_id
    stick-table type binary len 64 size 1m expire 24h
    stick on req.mqtt_client_id(nonempty),mqtt_key(64)
$(servers)
EOF
}
# The addon without the stick table: only balance hash on the client id,
# the same work as the native configuration (validate, hash the client id).
gen_hash() {
	hap_common hash
	cat <<EOF
frontend fe_hash
    bind 127.0.0.1:$(fe_port hash)
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend be_hash

backend be_hash
    balance hash req.mqtt_client_id
$(servers)
EOF
}
# examples/haproxy/basic.cfg as shipped (consistent hash + stick table, and the
# CONNACK inspected to remember MQTT 5 assigned client ids): for information.
gen_canon() {
	hap_common canon
	cat <<EOF
frontend fe_canon
    bind 127.0.0.1:$(fe_port canon)
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend be_canon

backend be_canon
    retries 3
    option redispatch
    balance hash req.mqtt_client_id(nonempty)
    hash-type consistent
    stick-table type binary len 64 size 1m expire 24h
    stick on req.mqtt_client_id(nonempty),mqtt_key(64)
    tcp-response inspect-delay 5s
    tcp-response content accept if { res.mqtt_assigned_client_id -m found }
    stick store-response res.mqtt_assigned_client_id,mqtt_key(64)
$(servers)
EOF
}

case " $CONFIGS " in
*" ours "* | *" hash "* | *" canon "*)
	vv=$("$HAPROXY" -vv 2>/dev/null || true)
	case $vv in *"MQTT addon: libmqttparse"*) ;; *) false ;; esac ||
		die "$HAPROXY is not built with the mqttparse addon (make haproxy)" ;;
esac

for c in $CONFIGS; do "gen_$c" >"$WORK/$c.cfg"; done
# shellcheck disable=SC2086 # CONFIGS: a list of names
hap_start $CONFIGS

# A stats socket command's output.
hap_cmd() {
	/usr/bin/python3 - "$WORK/$1.sock" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode() + b"\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
sys.stdout.write(data.decode())
EOF
}
# Sessions per server ("stot") as "n1 n2 n3".
server_totals() {
	hap_cmd "$1" "show stat" | awk -F, '!/^#/ && $2 ~ /^mqtt/ {printf "%s%s", sep, $8; sep = " "} END {print ""}'
}
# Current connections of the process.
cur_conns() { hap_cmd "$1" "show info" | awk -F': ' '$1 == "CurrConns" {print $2}'; }

# -------------------------------------------------------------- sanity
# Each configuration must complete handshakes; with the client id as the key
# (native, ours, hash, canon) one id must always reach the same broker when it
# reconnects (one connection at a time: concurrent connections with one id
# race the stick table store in leastconn+stick configurations), while round robin
# spreads it over all three.
for c in $CONFIGS; do
	before=$(server_totals "$c")
	out=$(timeout 60 "$LOADGEN" -p "$(fe_port "$c")" -c 1 -n 30 -F -P "stick-check-$c" -T 30 2>&1) ||
		die "sanity run failed for '$c': $out"
	after=$(server_totals "$c")
	used=$(paste -d' ' <(echo "$before" | tr ' ' '\n') <(echo "$after" | tr ' ' '\n') |
		awk '$2 > $1 {n++} END {print n + 0}')
	case $c in
	plain) want=3 ;;
	*) want=1 ;;
	esac
	[ "$used" = "$want" ] || die "'$c': one client id reached $used brokers, expected $want ($before -> $after)"
	say "$c: sanity ok ($out; one client id -> $used broker(s))"
done

# ----------------------------------------------------- idle memory (RSS)
# Fresh processes (only the sanity handshakes so far): VmRSS before, and with
# LB_IDLE connections that each sent CONNECT and got CONNACK.
declare -A rss0 rss1 idle_ok idle_cur
for c in $CONFIGS; do
	idle_rss "$c" "$(fe_port "$c")" "${hpid[$c]}" "$IDLE" cur_conns "$c"
	rss0[$c]=$idle_rss0
	rss1[$c]=$idle_rss1
	idle_cur[$c]=$idle_out
	idle_ok[$c]=$idle_count
	say "$c: VmRSS ${rss0[$c]} kB idle, ${rss1[$c]} kB with ${idle_ok[$c]} MQTT connections (CurrConns ${idle_cur[$c]})"
done

# --------------------------------------------------------- rate rounds

run_one() { # config count id-prefix -> "rate p50 p99 errors haproxy_cpu_us_per_handshake"
	local c=$1 line t0 t1
	t0=$(cpu_ticks "${hpid[$c]}")
	line=$(timeout 300 "$LOADGEN" -p "$(fe_port "$c")" -c "$CONC" -n "$2" -P "$3" -T 240 2>&1 | grep '^result') ||
		die "load run failed for '$c': $line"
	t1=$(cpu_ticks "${hpid[$c]}")
	echo "$line" | sed -E 's/.*ok=([0-9]+) errors=([0-9]+).*rate=([0-9.]+) p50_us=([0-9]+) p99_us=([0-9]+).*/\3 \4 \5 \2 \1/' |
		awk -v d=$((t1 - t0)) -v tu=$TICK_US '{printf "%s %s %s %s %.2f\n", $1, $2, $3, $4, $5 ? d * tu / $5 : 0}'
}

say "warm-up"
for c in $CONFIGS; do run_one "$c" 2000 "w$c-" >/dev/null; done

# Round r starts at configuration (r - 1) mod n (plain,native,ours,...; then
# native,ours,...,plain): each one runs as often first as last, so a
# position effect (the previous run's TIME_WAIT sockets, caches) cancels.
declare -A res
read -r -a cfgs <<<"$CONFIGS"
for r in $(seq "$ROUNDS"); do
	n=${#cfgs[@]}
	for j in $(seq 0 $((n - 1))); do
		c=${cfgs[$(((r - 1 + j) % n))]}
		res[$c.$r]=$(run_one "$c" "$COUNT" "r$r$c-")
		say "round $r $c: rate p50_us p99_us errors cpu_us/hs = ${res[$c.$r]}"
	done
done

col() { local c=$1 k=$2 r; for r in $(seq "$ROUNDS"); do echo "${res[$c.$r]}" | awk -v k="$k" '{print $k}'; done | median; }

# ------------------------------------- instructions per handshake (callgrind)
# HAProxy's user-space instructions per handshake do not depend on what else
# runs on the machine. Each configuration's HAProxy is restarted under
# callgrind; after LB_CG_WARM handshakes, LB_CG_REPEAT times: the counters
# are zeroed, LB_CG_COUNT handshakes run, the counters are dumped; the
# median of the repeats is reported.
declare -A irhs
CG_COUNT=${LB_CG_COUNT:-1000}
CG_WARM=${LB_CG_WARM:-200}
CG_REPEAT=${LB_CG_REPEAT:-5}
if [ "${LB_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
	# shellcheck disable=SC2086 # CONFIGS: a list of names
	cg_restart $CONFIGS
	for c in $CONFIGS; do
		timeout 300 "$LOADGEN" -p "$(fe_port "$c")" -c 10 -n "$CG_WARM" -P "cgw$c-" -T 240 >/dev/null ||
			die "callgrind warm-up failed for '$c'"
	done
	# LB_CG_REPEAT measurements per configuration, interleaved, median: one
	# measurement moves with how many events each poll loop batches.
	declare -A irrun
	for r in $(seq "$CG_REPEAT"); do
		for c in $CONFIGS; do
			cg_count "$c" timeout 300 "$LOADGEN" -p "$(fe_port "$c")" -c 10 -n "$CG_COUNT" -P "cgm$r$c-" -T 240
			ir=$cg_ir
			okn=$(echo "$cg_out" | sed -E 's/.*ok=([0-9]+).*/\1/')
			[ "$okn" -gt 0 ] || die "no handshake under callgrind for '$c'"
			irrun[$c]="${irrun[$c]:-} $(awk -v i="$ir" -v n="$okn" 'BEGIN {printf "%.0f", i / n}')"
			say "$c: $ir instructions for $okn handshakes under callgrind (measurement $r)"
		done
	done
	for c in $CONFIGS; do
		irhs[$c]=$(printf '%s\n' ${irrun[$c]} | median)
		say "$c: instructions per handshake${irrun[$c]}: median ${irhs[$c]}"
		kill "${cg_pid[$c]}" 2>/dev/null || true
	done
fi

ver=$("$HAPROXY" -v 2>/dev/null | awk 'NR == 1 {print $3}')
echo
echo "== Balancer: CONNECT->CONNACK through HAProxy $ver (nbthread 1) to 3 mosquitto, 127.0.0.1 =="
echo "   C=$CONC concurrent, M=$COUNT handshakes per run, $ROUNDS rounds (${CONFIGS// /,}, order rotated each round); medians"
printf '%-8s %11s %8s %8s %7s %10s %9s %12s %14s %8s\n' config "rate(hs/s)" p50_us p99_us errors "cpu_us/hs" "Ir/hs" rss_base_kB "rss_${IDLE}idle_kB" kB/conn
declare -A rate cpu errs kbconn
for c in $CONFIGS; do
	rate[$c]=$(col "$c" 1)
	errs[$c]=0
	for r in $(seq "$ROUNDS"); do errs[$c]=$((errs[$c] + $(echo "${res[$c.$r]}" | awk '{print $4}'))); done
	cpu[$c]=$(col "$c" 5)
	kbconn[$c]=$(echo "${rss0[$c]} ${rss1[$c]} ${idle_ok[$c]}" | awk '{printf "%.2f", $3 ? ($2 - $1) / $3 : 0}')
	printf '%-8s %11.0f %8.0f %8.0f %7d %10.2f %9s %12d %14d %8s\n' "$c" "${rate[$c]}" "$(col "$c" 2)" "$(col "$c" 3)" \
		"${errs[$c]}" "${cpu[$c]}" "${irhs[$c]:--}" "${rss0[$c]}" "${rss1[$c]}" "${kbconn[$c]}"
done
echo "cpu_us/hs: HAProxy's own CPU time (user+system) per handshake, median; steadier than the rate"
echo "when other work shares the machine."
[ ${#irhs[@]} -gt 0 ] && echo "Ir/hs: HAProxy's user-space instructions per handshake under callgrind (median of $CG_REPEAT x $CG_COUNT handshakes,
10 at a time), independent of the machine's load."
echo "Per round (rate p50 p99 errors cpu_us/hs):"
for r in $(seq "$ROUNDS"); do
	for c in $CONFIGS; do echo "  round $r $c: ${res[$c.$r]}"; done
done
echo
# ratio <name> <a> <b>: a / b, when both configurations ran
ratio() { [ -n "$2" ] && [ -n "$3" ] && awk -v a="$2" -v b="$3" -v n="$1" 'BEGIN {printf "ratio %s %.3f\n", n, a / b}' || true; }
ratio lb_rate_vs_plain_tcp "${rate[ours]:-}" "${rate[plain]:-}"
ratio lb_rate_vs_native "${rate[ours]:-}" "${rate[native]:-}"
ratio lb_native_rate_vs_plain_tcp "${rate[native]:-}" "${rate[plain]:-}"
# CPU per handshake: lower is better, so native / ours (> 1: ours cheaper)
ratio lb_cpu_efficiency_vs_native "${cpu[native]:-}" "${cpu[ours]:-}"
ratio lb_cpu_efficiency_vs_plain_tcp "${cpu[plain]:-}" "${cpu[ours]:-}"
# instructions per handshake: lower is better, so other / ours
ratio lb_ir_efficiency_vs_native "${irhs[native]:-}" "${irhs[ours]:-}"
ratio lb_ir_efficiency_vs_plain_tcp "${irhs[plain]:-}" "${irhs[ours]:-}"
ratio lb_hash_rate_vs_plain_tcp "${rate[hash]:-}" "${rate[plain]:-}"
ratio lb_hash_rate_vs_native "${rate[hash]:-}" "${rate[native]:-}"
ratio lb_hash_ir_efficiency_vs_native "${irhs[native]:-}" "${irhs[hash]:-}"
# plain TCP's instructions per handshake / the configuration's (targets.txt)
ratio lb_ir_hash_vs_plain_tcp "${irhs[plain]:-}" "${irhs[hash]:-}"
ratio lb_ir_canon_vs_plain_tcp "${irhs[plain]:-}" "${irhs[canon]:-}"
ratio lb_canon_rate_vs_plain_tcp "${rate[canon]:-}" "${rate[plain]:-}"
ratio lb_canon_rate_vs_native "${rate[canon]:-}" "${rate[native]:-}"
ratio lb_rss_idle_vs_native "${rss1[ours]:-}" "${rss1[native]:-}"
ratio lb_rss_idle_vs_plain_tcp "${rss1[ours]:-}" "${rss1[plain]:-}"
for c in $CONFIGS; do
	echo "metric lb_rate_$c $(printf '%.0f' "${rate[$c]}")"
	echo "metric lb_p50_us_$c $(col "$c" 2)"
	echo "metric lb_p99_us_$c $(col "$c" 3)"
	echo "metric lb_cpu_us_per_hs_$c ${cpu[$c]}"
	[ -n "${irhs[$c]:-}" ] && echo "metric lb_ir_per_hs_$c ${irhs[$c]}"
	echo "metric lb_rss_base_kb_$c ${rss0[$c]}"
	echo "metric lb_rss_idle_kb_$c ${rss1[$c]}"
	echo "metric lb_kb_per_conn_$c ${kbconn[$c]}"
	echo "metric lb_errors_$c ${errs[$c]}"
done

# The handshake rate, HAProxy's CPU time and its instructions per handshake
# of each configuration against plain TCP (>1 = better than plain TCP); the
# targets are on instructions, the figure that does not move with the load.
q() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}' || printf -- "-"; }
echo
echo "== Balancer against plain TCP, side by side (>1 = better than plain TCP) =="
printf '%-28s %8s %8s %8s  %s\n' name rate cpu instr. target
for c in hash canon ours native; do
	case " $CONFIGS " in *" $c "*) ;; *) continue ;; esac
	t=$(awk -v k="lb_ir_${c}_vs_plain_tcp" '!/^[ \t]*(#|$)/ { re = $1; gsub(/\*/, ".*", re)
		if (k ~ ("^" re "$")) { print $2, $3, "(instr.)"; exit } }' "$(dirname "$0")/targets.txt")
	printf '%-28s %8s %8s %8s  %s\n' "${c}_vs_plain_tcp" "$(q "${rate[$c]:-}" "${rate[plain]:-}")" \
		"$(q "${cpu[plain]:-}" "${cpu[$c]:-}")" "$(q "${irhs[plain]:-}" "${irhs[$c]:-}")" "$t"
done
