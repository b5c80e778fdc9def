#!/bin/bash
# ws-bench.sh: MQTT over WebSocket handshakes (HTTP upgrade, 101, CONNECT in a
# masked frame, CONNACK in a frame) through HAProxy to three aedes WebSocket
# brokers on 127.0.0.1, in two configurations:
#   wsplain  plain TCP round robin: the same WebSocket bytes passed through,
#            no inspection (what every balancer does for WebSocket today)
#   ws       examples/haproxy/websocket.cfg as shipped: HAProxy answers the
#            upgrade, reads the client id inside the frames, consistent hash +
#            stick table on it, checks and drops the broker's 101
# Both log one tcplog line per connection to /dev/null. Each runs in its own
# HAProxy process (nbthread 1). The load (mqtt-loadgen -W) alternates between
# them for WS_ROUNDS rounds: medians of handshakes/s and p50/p99 latency. Then
# each HAProxy is restarted under callgrind to count its user-space
# instructions per handshake (WS_CALLGRIND=0 skips it).
#
#   HAPROXY=build/bin/haproxy LOADGEN=build/bench/mqtt-loadgen \
#   NODE_MODULES=build/ws-broker/node_modules bench/ws-bench.sh
#
# Environment (defaults): WS_ROUNDS=5 WS_CONC=20 WS_COUNT=2000
# WS_PORT_BASE=29800 (brokers base+1..3, frontends base+11, base+12),
# WORK=/tmp/mqtt-ws-bench. Every process started here is stopped by its PID.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HAPROXY=${HAPROXY:?set HAPROXY to the haproxy binary}
LOADGEN=${LOADGEN:?set LOADGEN to mqtt-loadgen}
NODE_MODULES=${NODE_MODULES:-$TOP/build/ws-broker/node_modules}
WORK=${WORK:-/tmp/mqtt-ws-bench}
ROUNDS=${WS_ROUNDS:-5}
CONC=${WS_CONC:-20}
COUNT=${WS_COUNT:-2000}
BASE=${WS_PORT_BASE:-29800}
CONFIGS="wsplain ws"

say() { printf 'ws-bench: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v node >/dev/null || die "node not installed (scripts/install-deps.sh)"
[ -d "$NODE_MODULES/aedes" ] || die "no aedes in $NODE_MODULES (make ws-broker-deps)"
[ -x "$HAPROXY" ] || die "no haproxy binary at $HAPROXY"
[ -x "$LOADGEN" ] || die "no load generator at $LOADGEN"

rm -rf "$WORK"
mkdir -p "$WORK"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port [tries of 0.05 s]
	local i
	for i in $(seq "${2:-200}"); do port_open "$1" && return 0; sleep 0.05; done
	return 1
}
bport() { echo $((BASE + $1)); }
fport() { case $1 in wsplain) echo $((BASE + 11)) ;; ws) echo $((BASE + 12)) ;; esac; }

for b in 1 2 3; do
	port_open "$(bport $b)" && die "port $(bport $b) is busy (set WS_PORT_BASE)"
	NODE_PATH=$NODE_MODULES node "$TOP/tests/e2e/ws-broker/ws_broker.js" "$(bport $b)" "broker$b" \
		>"$WORK/broker$b.log" 2>&1 &
	pids+=($!)
done
for b in 1 2 3; do wait_port "$(bport $b)" || die "aedes broker $b did not start ($WORK/broker$b.log)"; done

# wsplain: the same traffic passed through.
cat >"$WORK/wsplain.cfg" <<EOF
global
    nbthread 1
    log stderr format short local0 info
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend fe_wsplain
    bind 127.0.0.1:$(fport wsplain)
    default_backend be_wsplain
backend be_wsplain
    balance roundrobin
    server broker1 127.0.0.1:$(bport 1)
    server broker2 127.0.0.1:$(bport 2)
    server broker3 127.0.0.1:$(bport 3)
EOF
# ws: the recipe as shipped, one thread (its addresses come from the environment).
sed 's/^global$/global\n    nbthread 1/' "$TOP/examples/haproxy/websocket.cfg" >"$WORK/ws.cfg"
export MQTT_BIND=127.0.0.1:$(fport ws) BROKER1=127.0.0.1:$(bport 1) BROKER2=127.0.0.1:$(bport 2) \
	BROKER3=127.0.0.1:$(bport 3)

declare -A hpid
start_haproxy() { # config [wrapper...]
	local c=$1
	shift
	"$@" "$HAPROXY" -db -f "$WORK/$c.cfg" >"$WORK/$c.log" 2>/dev/null &
	hpid[$c]=$!
	pids+=($!)
}
for c in $CONFIGS; do
	"$HAPROXY" -c -f "$WORK/$c.cfg" >"$WORK/$c.check" 2>&1 || die "haproxy rejects $WORK/$c.cfg"
	start_haproxy "$c"
done
for c in $CONFIGS; do wait_port "$(fport "$c")" || die "haproxy '$c' did not start"; done

# Every handshake must succeed in both before anything is timed.
for c in $CONFIGS; do
	line=$("$LOADGEN" -W -p "$(fport "$c")" -c 5 -n 50 -P "chk$c-" -T 60) || die "'$c': $line"
done

declare -A rates p50s p99s
for r in $(seq "$ROUNDS"); do
	for c in $CONFIGS; do
		line=$("$LOADGEN" -W -p "$(fport "$c")" -c "$CONC" -n "$COUNT" -P "r$r$c-" -T 240) ||
			die "round $r '$c': $line"
		rates[$c]+="$(echo "$line" | sed -E 's/.*rate=([0-9.]+).*/\1/') "
		p50s[$c]+="$(echo "$line" | sed -E 's/.*p50_us=([0-9]+).*/\1/') "
		p99s[$c]+="$(echo "$line" | sed -E 's/.*p99_us=([0-9]+).*/\1/') "
		echo "  round $r $c: $line" >&2
	done
done
median() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A irhs
if [ "${WS_CALLGRIND:-1}" = 1 ] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
	for c in $CONFIGS; do
		kill "${hpid[$c]}" 2>/dev/null || true
		wait "${hpid[$c]}" 2>/dev/null || true
		rm -f "$WORK/cg-$c.out"*
		start_haproxy "$c" valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$WORK/cg-$c.out"
		wait_port "$(fport "$c")" 2400 || die "haproxy '$c' under valgrind did not start"
		"$LOADGEN" -W -p "$(fport "$c")" -c 10 -n 200 -P "cgw$c-" -T 240 >/dev/null || die "callgrind warm-up '$c'"
		timeout 60 callgrind_control -z "${hpid[$c]}" >/dev/null 2>&1 || die "callgrind_control -z '$c'"
		line=$("$LOADGEN" -W -p "$(fport "$c")" -c 10 -n 1000 -P "cgm$c-" -T 240) || die "callgrind run '$c': $line"
		timeout 60 callgrind_control -d "${hpid[$c]}" >/dev/null 2>&1 || die "callgrind_control -d '$c'"
		okn=$(echo "$line" | sed -E 's/.*ok=([0-9]+).*/\1/')
		ir=$(awk '/^summary:/ {print $2}' "$WORK/cg-$c.out.1" 2>/dev/null || true)
		[ -n "$ir" ] && [ "$okn" -gt 0 ] || die "no callgrind dump for '$c'"
		irhs[$c]=$(awk -v i="$ir" -v n="$okn" 'BEGIN {printf "%.0f", i / n}')
		kill "${hpid[$c]}" 2>/dev/null || true
	done
fi

echo "MQTT over WebSocket handshakes (upgrade + CONNECT -> CONNACK), HAProxy $("$HAPROXY" -v | awk 'NR==1 {print $3}'), nbthread 1,"
echo "3 aedes brokers, $CONC concurrent clients, $COUNT handshakes x $ROUNDS rounds (medians)"
printf '%-9s %12s %8s %8s %10s\n' config hs/s p50_us p99_us Ir/hs
for c in $CONFIGS; do
	printf '%-9s %12s %8s %8s %10s\n' "$c" "$(echo "${rates[$c]}" | median)" \
		"$(echo "${p50s[$c]}" | median)" "$(echo "${p99s[$c]}" | median)" "${irhs[$c]:--}"
done
rp=$(echo "${rates[wsplain]}" | median)
rw=$(echo "${rates[ws]}" | median)
echo "ratio ws_rate_vs_plain_tcp $(awk -v a="$rw" -v b="$rp" 'BEGIN {printf "%.3f", a / b}')"
if [ -n "${irhs[ws]:-}" ]; then
	echo "ratio ws_ir_vs_plain_tcp $(awk -v a="${irhs[wsplain]}" -v b="${irhs[ws]}" 'BEGIN {printf "%.3f", a / b}')"
	echo "metric ws_ir_per_hs_wsplain ${irhs[wsplain]}"
	echo "metric ws_ir_per_hs_ws ${irhs[ws]}"
fi
echo "metric ws_rate_wsplain $rp"
echo "metric ws_rate_ws $rw"
for c in $CONFIGS; do
	echo "metric ws_p50_us_$c $(echo "${p50s[$c]}" | median)"
	echo "metric ws_p99_us_$c $(echo "${p99s[$c]}" | median)"
done
