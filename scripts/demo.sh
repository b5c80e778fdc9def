#!/usr/bin/env bash
# make demo: three local mosquitto brokers behind HAProxy (with the MQTT
# addon and the canonical configuration, examples/haproxy/basic.cfg) on
# 127.0.0.1:1883. Prints how to connect and, for each connection, which
# broker its client id landed on. Ctrl-C stops everything it started.
#
#   scripts/demo.sh [--port N] [--self-test]
#   --self-test   start everything, connect clients, check that each client
#                 id always lands on the same broker, stop, exit 0/1.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
haproxy=${HAPROXY_BIN:-$build/bin/haproxy}
port=${DEMO_PORT:-1883}
selftest=0
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--self-test) selftest=1; shift ;;
	-h|--help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
done

# Is a TCP port on 127.0.0.1 free?
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
# A free port at or above $1.
free_port() {
	local p=$1
	while ! port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}

if ! port_free "$port"; then
	if [ "$selftest" = 1 ] || [ -n "${DEMO_PORT:-}" ]; then
		port=$(free_port 21883)
	else
		echo "demo: 127.0.0.1:$port is taken (a packaged mosquitto?). Use: make demo DEMO_PORT=N" >&2
		exit 1
	fi
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/mqttparse-demo.XXXXXX")
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$run"
}
trap cleanup EXIT
trap 'echo; echo "demo: stopping"; exit 0' INT TERM

# Brokers.
bport=$(free_port 18831)
brokers=()
for i in 1 2 3; do
	bport=$(free_port "$bport")
	cat > "$run/broker$i.conf" <<CONF
listener $bport 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type all
connection_messages true
CONF
	# stderr, not log_dest file: mosquitto started as root drops to its own
	# user, which cannot write into this private directory.
	mosquitto -c "$run/broker$i.conf" >/dev/null 2>"$run/broker$i.log" &
	pids+=($!)
	brokers+=("127.0.0.1:$bport")
	bport=$((bport + 1))
done

# HAProxy with the canonical configuration, as a user would paste it: it
# reads its addresses from the environment.
cfg="$top/examples/haproxy/basic.cfg"
export MQTT_BIND="127.0.0.1:$port" BROKER1="${brokers[0]}" BROKER2="${brokers[1]}" BROKER3="${brokers[2]}"
"$haproxy" -c -q -f "$cfg"
"$haproxy" -db -f "$cfg" > "$run/haproxy.log" 2>&1 &
hpid=$!
pids+=($!)

# Wait for every listener.
for a in "127.0.0.1:$port" "${brokers[@]}"; do
	for _ in $(seq 1 50); do
		port_free "${a##*:}" || break
		sleep 0.1
	done
done

echo "demo: brokers on ${brokers[*]}"
echo "demo: HAProxy $("$haproxy" -v | head -1 | awk '{print $3}') with the MQTT addon on 127.0.0.1:$port (config: $cfg)"

if [ "$selftest" = 1 ]; then
	fail=0
	for id in sensor-1 sensor-2 sensor-3 sensor-4 sensor-5 sensor-6; do
		for n in 1 2 3; do
			mosquitto_pub -h 127.0.0.1 -p "$port" -i "$id" -t demo -m "$n" -q 1 || fail=1
		done
	done
	sleep 0.5
	# Which broker saw which client id (the brokers' own logs).
	for id in sensor-1 sensor-2 sensor-3 sensor-4 sensor-5 sensor-6; do
		seen=$(grep -l "as $id " "$run"/broker*.log 2>/dev/null | wc -l)
		count=$(grep -h "as $id " "$run"/broker*.log 2>/dev/null | wc -l)
		echo "demo: $id -> $(grep -l "as $id " "$run"/broker*.log 2>/dev/null | xargs -n1 basename 2>/dev/null | sed 's/.log//' | tr '\n' ' ')($count connections)"
		if [ "$seen" != 1 ] || [ "$count" != 3 ]; then fail=1; fi
	done
	used=0
	for i in 1 2 3; do
		if grep -q "New client connected" "$run/broker$i.log"; then used=$((used + 1)); fi
	done
	echo "demo: brokers used: $used of 3"
	if [ "$fail" = 0 ]; then echo "demo self-test: 1 passed, 0 failed"; exit 0; fi
	echo "demo self-test: 0 passed, 1 failed"; cat "$run/haproxy.log"; exit 1
fi

cat <<MSG

Connect a client, e.g.:
  mosquitto_sub -h 127.0.0.1 -p $port -i my-client -t 'demo/#' -v
  mosquitto_pub -h 127.0.0.1 -p $port -i sensor-42 -t demo/x -m hello
Each connection is shown below with the broker its client id landed on
(the same client id always lands on the same broker; HAProxy's own log is
$run/haproxy.log). Ctrl-C stops the demo.

MSG
# Which broker each client id landed on, from the brokers' own logs.
for i in 1 2 3; do
	tail -n 0 -F "$run/broker$i.log" 2>/dev/null |
		sed -un "s/.*New client connected from \([^ ]*\) as \([^ ]*\) .*/client id '\2' (from \1) -> broker$i (${brokers[$((i - 1))]})/p" &
	pids+=($!)
done
wait "$hpid"
