#!/usr/bin/env bash
# make demo: a small MQTT cluster behind HAProxy. Three local mosquitto
# brokers, bridged as a star (broker2 and broker3 forward every topic to and
# from broker1 at the QoS it was published with), so that a message published
# through the balancer reaches the subscribers of every broker, also the
# offline persistent sessions, while each client's session lives on one broker.
# Not carried across a bridge: MQTT 5 properties (the bridges speak 3.1.1);
# a $share group gets one copy per broker it has members on.
# HAProxy (with the MQTT addon) runs examples/haproxy/basic.cfg, plus a few
# lines that log refusals, on 127.0.0.1:1883 (another port if 1883 is taken).
# Prints how to connect, which broker each client id lands on, and every
# refusal with its reason. Ctrl-C stops everything it started.
#
#   scripts/demo.sh [--port N] [--self-test] [--no-bridge]
#   --port N      listen on N (also DEMO_PORT=N); default 1883, or the next
#                 free port from 21883 when 1883 is taken
#   --self-test   start the demo as above, run the printed commands (three
#                 subscribers, one publisher, two refused clients), check
#                 what they get and what the demo prints, and stickiness;
#                 stop, exit 0/1 (make check-demo)
#   --no-bridge   independent brokers (to see --self-test fail without the
#                 bridges)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
haproxy=${HAPROXY_BIN:-$build/bin/haproxy}
port=${DEMO_PORT:-}
selftest=0
bridge=1
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--self-test) selftest=1; shift ;;
	--no-bridge) bridge=0; shift ;;
	-h|--help) sed -n '2,22p' "$0"; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
done

for tool in mosquitto mosquitto_sub mosquitto_pub; do
	if ! command -v "$tool" >/dev/null; then
		echo "demo: $tool not found (scripts/install-deps.sh installs it)" >&2
		exit 1
	fi
done
if [ ! -x "$haproxy" ]; then
	echo "demo: no HAProxy at $haproxy (make haproxy builds it)" >&2
	exit 1
fi
if [ ! -f "$build/lib/libmqttparse.a" ]; then
	echo "demo: no $build/lib/libmqttparse.a (make builds it)" >&2
	exit 1
fi

# Is anything listening on TCP port $1 (any address)? Read from /proc, not by
# connecting: a probe connection would show up in HAProxy's log as a refusal.
listening() {
	local hex
	printf -v hex '%04X' "$1"
	awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 3) == p { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
port_free() {
	! listening "$1"
}
# A free port at or above $1.
free_port() {
	local p=$1
	while ! port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}

moved=
if [ -n "$port" ]; then
	if ! port_free "$port"; then
		echo "demo: 127.0.0.1:$port is taken; choose another: make demo DEMO_PORT=N" >&2
		exit 1
	fi
else
	port=1883
	if ! port_free "$port"; then
		port=$(free_port 21883)
		moved="demo: 127.0.0.1:1883 is taken (a packaged mosquitto?): the demo listens on $port instead"
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
trap 'trap "" INT TERM; echo; echo "demo: stopping"; exit $((selftest ? 130 : 0))' INT TERM

# --- What the demo prints while it runs -------------------------------------
# One reader follows every log (one tail, one bash loop: two PIDs to stop)
# and prints one line per event; the same lines go to $run/events for the
# self-test.
brokers=()
bport=$(free_port 18831)
for i in 1 2 3; do
	bport=$(free_port "$bport")
	brokers+=("127.0.0.1:$bport")
	bport=$((bport + 1))
done
: > "$run/haproxy.log"
for i in 1 2 3; do : > "$run/broker$i.log"; done
: > "$run/events"

# A client id as a shell would write it: control characters as \NNN.
show_id() {
	local s=$1 out='' c o i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		printf -v o '%d' "'$c"
		if [ "$o" -ge 0 ] && { [ "$o" -lt 32 ] || [ "$o" = 127 ]; }; then
			printf -v c '\\%03o' "$o"
		elif [ "$c" = "\\" ]; then
			c='\\'
		fi
		out+=$c
	done
	printf "'%s'" "$out"
}
# The library's one-line reason for an error name (mqttp_error_reason(),
# listed below by a small program built against the library).
error_text() {
	awk -v e="$1" '$1 == e { sub(/^[^ ]+ /, ""); print; f = 1 } END { if (!f) print "see mqttparse.h" }' "$run/errors.txt"
}
# What the client got back: req.mqtt_reason_code, or a broker's CONNACK code.
answer_text() {
	case "$1" in
	-1) echo "connection closed without CONNACK (3.1.1: malformed CONNECT)" ;;
	1) echo "CONNACK 1, unacceptable protocol version" ;;
	2) echo "CONNACK 2, identifier rejected" ;;
	3) echo "CONNACK 3, server unavailable" ;;
	4) echo "CONNACK 4, bad user name or password" ;;
	5) echo "CONNACK 5, not authorized" ;;
	129) echo "CONNACK 0x81, malformed packet" ;;
	130) echo "CONNACK 0x82, protocol error" ;;
	132) echo "CONNACK 0x84, unsupported protocol version" ;;
	133) echo "CONNACK 0x85, client identifier not valid" ;;
	134) echo "CONNACK 0x86, bad user name or password" ;;
	135) echo "CONNACK 0x87, not authorized" ;;
	138) echo "CONNACK 0x8A, banned" ;;
	140) echo "CONNACK 0x8C, bad authentication method" ;;
	''|-) echo "connection closed" ;;
	*) echo "CONNACK code $1" ;;
	esac
}
event() {
	printf 'demo: %s\n' "$1"
	printf '%s\n' "$1" >> "$run/events"
}
follow_logs() {
	local src='' line n id from err ans rawid
	local re_header='^==> .*/([a-z0-9]+)\.log <==$'
	local re_client='^[0-9]+: New client connected from ([^ ]+) as (.*) \(p[0-9]+, c[0-9]+, k[0-9]+.*\)\.$'
	local re_bridge='^[0-9]+: Received CONNACK on connection local\.demo-bridge-(broker[0-9])\.$'
	local re_takeover='^[0-9]+: Client (.*) already connected, closing old connection\.$'
	local re_connack='^[0-9]+: Sending CONNACK to (.*) \([01], ([1-9][0-9]*)\)$'
	local re_refused='^(<[0-9]+>)?([0-9.]+:[0-9]+) \[[^]]*\] [^ ]+ [^ ]+/<NOSRV> .* mqtt_error=([^ ]*) answer=([^ ]*) client_id=(.*)$'
	local re_server='(Server mqtt_brokers/broker[0-9] is (UP|DOWN))'
	while IFS= read -r line; do
		if [[ $line =~ $re_header ]]; then
			src=${BASH_REMATCH[1]}
			continue
		fi
		case "$src" in
		broker[123])
			n=${src#broker}
			if [[ $line =~ $re_client ]]; then
				event "client id $(show_id "${BASH_REMATCH[2]}") -> $src (${brokers[$((n - 1))]})"
			elif [[ $line =~ $re_bridge ]]; then
				event "bridge $src <-> broker1 up (every topic, both ways, QoS kept)"
			elif [[ $line =~ $re_takeover ]]; then
				event "client id $(show_id "${BASH_REMATCH[1]}") connected again to $src: its old connection is closed (session takeover)"
			elif [[ $line =~ $re_connack ]]; then
				event "$src refused client id $(show_id "${BASH_REMATCH[1]}"): $(answer_text "${BASH_REMATCH[2]}")"
			fi
			;;
		haproxy)
			if [[ $line =~ $re_refused ]]; then
				from=${BASH_REMATCH[2]} err=${BASH_REMATCH[3]} ans=${BASH_REMATCH[4]}
				rawid=${BASH_REMATCH[5]}
				rawid=${rawid#\"}; rawid=${rawid%\"}
				if [ "$err" = - ] || [ -z "$err" ]; then
					event "HAProxy refused a connection from $from: no client id (not MQTT, or no CONNECT within the inspect delay)"
				else
					if [ "$rawid" = - ]; then id="(unreadable client id)"; else id="client id $(show_id "$rawid")"; fi
					event "HAProxy refused $id from $from: $(error_text "$err") [$err]; the client got: $(answer_text "$ans")"
				fi
			elif [[ $line =~ $re_server ]]; then
				event "HAProxy: ${BASH_REMATCH[1]}"
			fi
			;;
		esac
	done
}
cat > "$run/errors.c" <<'C'
#include <stdio.h>
#include <mqttparse.h>
int main(void)
{
	for (int e = 0; e < MQTTP_E__COUNT; e++)
		printf("%s %s\n", mqttp_error_name((enum mqttp_error)e), mqttp_error_reason((enum mqttp_error)e));
	return 0;
}
C
"${CC:-cc}" -I"$top/libmqttparse/include" -o "$run/errors" "$run/errors.c" "$build/lib/libmqttparse.a"
"$run/errors" > "$run/errors.txt"
mkfifo "$run/logs.fifo"
follow_logs < "$run/logs.fifo" &
pids+=($!)
tail --pid=$$ -n +1 -F "$run/haproxy.log" "$run"/broker[123].log > "$run/logs.fifo" 2>/dev/null &
pids+=($!)

# Wait until a line matching $1 is in $run/events (at most $2 seconds).
wait_event() {
	local t
	for ((t = 0; t < ${2:-5} * 10; t++)); do
		grep -qE -- "$1" "$run/events" && return 0
		sleep 0.1
	done
	return 1
}

# --- Brokers ---------------------------------------------------------------
for i in 1 2 3; do
	cat > "$run/broker$i.conf" <<CONF
listener ${brokers[$((i - 1))]##*:} 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type all
connection_messages true
CONF
	if [ "$i" != 1 ] && [ "$bridge" = 1 ]; then
		# A star: broker2 and broker3 each bridge every topic both ways to
		# broker1, directly (not through the balancer). try_private marks
		# the bridge's CONNECT (protocol level 0x84) so that broker1 knows
		# it is a bridge: a broker never sends a message back to the bridge
		# it came from, so each message reaches every broker once. QoS 2
		# and a kept session: a message crosses at its own QoS, so a QoS 1/2
		# message is queued for an offline persistent session on any broker.
		cat >> "$run/broker$i.conf" <<CONF
connection broker$i-broker1
address ${brokers[0]}
topic # both 2
remote_clientid demo-bridge-broker$i
try_private true
bridge_protocol_version mqttv311
cleansession false
notifications false
restart_timeout 1
CONF
	fi
	# stderr, not log_dest file: mosquitto started as root drops to its own
	# user, which cannot write into this private directory.
	mosquitto -c "$run/broker$i.conf" >/dev/null 2>>"$run/broker$i.log" &
	pids+=($!)
done

# --- HAProxy: basic.cfg plus the demo's log lines --------------------------
# The canonical configuration is used as is; the demo only adds, in its
# frontend, the variables and log-format that make HAProxy's log show why a
# CONNECT was refused and with which client id. Request-buffer fetches reach
# the log only through set-var, and an invalid CONNECT has no
# req.mqtt_client_id, so the id for the log comes from HAProxy's own (lenient)
# mqtt_field_value converter.
basic="$top/examples/haproxy/basic.cfg"
cfg="$run/haproxy.cfg"
awk '
	/^frontend / { infront = 1 }
	/^backend / { infront = 0 }
	{ print }
	infront && /^[[:space:]]*tcp-request inspect-delay/ && !done {
		print "    # -- added by scripts/demo.sh (not in basic.cfg): log refusals with reason and client id"
		print "    tcp-request content set-var(txn.mqtt_error) req.mqtt_error if { req.mqtt_error -m found }"
		print "    tcp-request content set-var(txn.mqtt_answer) req.mqtt_reason_code if { var(txn.mqtt_error) -m found }"
		print "    tcp-request content set-var(txn.mqtt_raw_id) req.payload(0,0),mqtt_field_value(connect,client_identifier) if { var(txn.mqtt_error) -m found }"
		print "    log-format \"%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq mqtt_error=%[var(txn.mqtt_error)] answer=%[var(txn.mqtt_answer)] client_id=%{+Q}[var(txn.mqtt_raw_id)]\""
		print "    # -- end of the demo lines"
		done = 1
	}
	END { exit done ? 0 : 1 }
' "$basic" > "$cfg" || {
	echo "demo: $basic has no \"tcp-request inspect-delay\" line in its frontend to add the demo's log lines after" >&2
	exit 1
}
# basic.cfg reads its addresses from the environment, as a user would run it.
export MQTT_BIND="127.0.0.1:$port" BROKER1="${brokers[0]}" BROKER2="${brokers[1]}" BROKER3="${brokers[2]}"
"$haproxy" -c -q -f "$cfg"
"$haproxy" -db -f "$cfg" >> "$run/haproxy.log" 2>&1 &
hpid=$!
pids+=($!)

# Wait for every listener, then for the bridges.
for a in "127.0.0.1:$port" "${brokers[@]}"; do
	for _ in $(seq 1 50); do
		listening "${a##*:}" && break
		sleep 0.1
	done
	if ! listening "${a##*:}"; then
		echo "demo: nothing listens on $a; logs:" >&2
		cat "$run"/*.log >&2
		exit 1
	fi
done
if [ "$bridge" = 1 ]; then
	for b in broker2 broker3; do
		if ! wait_event "^bridge $b <-> broker1 up" 10; then
			echo "demo: the bridge $b -> broker1 did not connect; $b's log:" >&2
			cat "$run/$b.log" >&2
			exit 1
		fi
	done
fi

hversion=$("$haproxy" -v | awk 'NR == 1 {print $3}')
echo "demo: brokers broker1 ${brokers[0]}, broker2 ${brokers[1]}, broker3 ${brokers[2]}"
if [ "$bridge" = 1 ]; then
	echo "demo: bridged as a star: broker2 and broker3 forward every topic to and from broker1"
	echo "demo: each message reaches every matching subscriber once, whichever broker it is on;"
	echo "demo: QoS 1/2 messages are queued for offline persistent sessions on every broker;"
	echo "demo: not across brokers: MQTT 5 properties (3.1.1 bridges), one \$share copy per broker"
else
	echo "demo: --no-bridge: the brokers are independent"
fi
[ -z "$moved" ] || echo "$moved"
echo "demo: HAProxy $hversion with the MQTT addon on 127.0.0.1:$port"
echo "demo: configuration $basic, plus log lines for refusals: $cfg"

# --- The commands the demo prints (the self-test runs these very strings) ---
hp="-h 127.0.0.1 -p $port"
sub_ids=(my-client laptop office)
sub_cmds=()
for id in "${sub_ids[@]}"; do
	sub_cmds+=("mosquitto_sub $hp -i $id -t 'demo/#' -v")
done
pub_cmd="mosquitto_pub $hp -i sensor-7 -t demo/x -m hello"
# Refused: an MQTT 3.1 client id over 23 bytes (mosquitto_pub sends it, HAProxy
# answers "identifier rejected"), and a raw CONNECT whose client id has a
# control character (mosquitto's clients never send one: libmosquitto refuses
# such an id before connecting).
long_id=mqtt31-id-longer-than-23-bytes
bad_cmds=("mosquitto_pub $hp -V mqttv31 -i $long_id -t demo/x -m hello"
	"bash -c \"printf '\\x10\\x12\\x00\\x04MQTT\\x04\\x02\\x00\\x3c\\x00\\x06bad\\x01id' > /dev/tcp/127.0.0.1/$port\"")

cat <<MSG

Subscribe in two or three terminals (each client id lands on its own broker):
  ${sub_cmds[0]}
  ${sub_cmds[1]}
  ${sub_cmds[2]}
then publish; every subscriber prints "demo/x hello" once, whichever broker
it is on, because the brokers are bridged:
  $pub_cmd
HAProxy refuses invalid CONNECTs before any broker sees them: an MQTT 3.1
client id over 23 bytes, and a client id with a control character (sent raw:
mosquitto's clients will not send one):
  ${bad_cmds[0]}
  ${bad_cmds[1]}
Below: each connection with the broker its client id landed on (the same id
always lands on the same broker), and each refusal with its reason.
Logs are in $run. Ctrl-C stops the demo.

MSG

if [ "$selftest" = 0 ]; then
	rc=0
	wait "$hpid" || rc=$?
	# Ctrl-C in a terminal reaches HAProxy too: that is a normal stop.
	if [ "$rc" = 130 ] || [ "$rc" = 143 ]; then
		echo
		echo "demo: stopping"
		exit 0
	fi
	echo "demo: HAProxy exited (status $rc); its log: $run/haproxy.log" >&2
	tail -n 20 "$run/haproxy.log" >&2
	exit 1
fi

# --- Self-test -------------------------------------------------------------
fail=0
check() {	# check <status: 0 = ok> <message>
	if [ "$1" = 0 ]; then
		echo "demo self-test: ok: $2"
	else
		echo "demo self-test: FAIL: $2"
		fail=1
	fi
}
landings() {	# the brokers the demo printed for client id $1, one per connection
	grep -E "^client id '$1' -> broker[0-9]" "$run/events" | sed 's/.* -> \(broker[0-9]\).*/\1/' || true
}
landed() {	# the broker of its last connection
	landings "$1" | tail -n 1
}
subscribed() {	# broker $1 sent client id $2 its SUBACK
	grep -q "Sending SUBACK to $2\$" "$run/$1.log"
}
t0=$SECONDS

# 1. The printed subscribers, run as printed.
for n in 0 1 2; do
	bash -c "exec ${sub_cmds[$n]}" > "$run/sub$n.out" 2>&1 &
	pids+=($!)
done
declare -A used=()
for n in 0 1 2; do
	id=${sub_ids[$n]}
	if ! wait_event "^client id '$id' -> " 5; then
		check 1 "subscriber $id: the demo printed no broker for it"
		continue
	fi
	b=$(landed "$id")
	used[$b]=1
	r=1
	for _ in $(seq 1 50); do
		if subscribed "$b" "$id"; then r=0; break; fi
		sleep 0.1
	done
	check $r "subscriber $id landed on $b and subscribed"
done
r=1; [ "${#used[@]}" -ge 2 ] && r=0
check $r "the subscribers landed on ${#used[@]} different brokers (${!used[*]}), at least 2"

# 2. The printed publisher: every subscriber gets the message exactly once.
r=0; bash -c "$pub_cmd" || r=$?
check $r "the publisher exited with status $r, landed on $(landed sensor-7)"
for _ in $(seq 1 30); do
	all=1
	for n in 0 1 2; do grep -q . "$run/sub$n.out" || all=0; done
	[ "$all" = 1 ] && break
	sleep 0.1
done
sleep 1	# time for a duplicate or an echo to arrive
for n in 0 1 2; do
	got=$(tr '\n' '|' < "$run/sub$n.out")
	r=1; [ "$got" = "demo/x hello|" ] && r=0
	check $r "subscriber ${sub_ids[$n]} on $(landed "${sub_ids[$n]}") got the message exactly once (got: ${got:-nothing})"
done
# and no broker saw it twice (a bridge loop would echo it back and forth)
for i in 1 2 3; do
	c=$(grep -c "Received PUBLISH from .* 'demo/x'" "$run/broker$i.log" || true)
	r=1; [ "$c" = 1 ] && r=0
	check $r "broker$i received the message $c time(s), expected once"
done

# 3. The printed refused clients: refused, the demo says why, nothing published.
before=()
for n in 0 1 2; do before[$n]=$(wc -l < "$run/sub$n.out"); done
r=0; bash -c "${bad_cmds[0]}" > "$run/bad0.out" 2>&1 || r=$?
r2=1; [ "$r" != 0 ] && grep -q "identifier rejected" "$run/bad0.out" && r2=0
check $r2 "mosquitto_pub -V mqttv31 -i $long_id is refused (exit status $r: $(tr '\n' ' ' < "$run/bad0.out"))"
r=0; wait_event "^HAProxy refused client id '$long_id' from [0-9.:]+: .+ \[MQTTP_E_CLIENT_ID_TOO_LONG\]; the client got: CONNACK 2, identifier rejected$" 5 || r=1
check $r "the demo printed: $(grep -E "^HAProxy refused client id '$long_id'" "$run/events" | tail -n 1 || true)"
r=0; bash -c "${bad_cmds[1]}" > "$run/bad1.out" 2>&1 || r=$?
check $r "the raw CONNECT with client id 'bad\\001id' was sent (exit status $r)"
r=0; wait_event "^HAProxy refused client id 'bad\\\\001id' from [0-9.:]+: control character .+ \[MQTTP_E_UTF8_CONTROL\]; the client got: connection closed without CONNACK" 5 || r=1
check $r "the demo printed: $(grep -E "^HAProxy refused client id 'bad" "$run/events" | tail -n 1 || true)"
r=0; grep -qE "$long_id|bad.id" "$run"/broker[123].log && r=1
check $r "the refused clients reached no broker"
sleep 0.3
for n in 0 1 2; do
	r=1; [ "$(wc -l < "$run/sub$n.out")" = "${before[$n]}" ] && r=0
	check $r "subscriber ${sub_ids[$n]} got nothing from the refused clients"
done

# 4. Stickiness: every connection of a client id lands on the same broker.
ids=(sensor-1 sensor-2 sensor-3 sensor-4 sensor-5 sensor-6)
for id in "${ids[@]}"; do
	for m in 1 2 3; do
		mosquitto_pub $hp -i "$id" -t demo/stick -m "$m" -q 1 || check 1 "mosquitto_pub -i $id failed"
	done
done
for id in "${ids[@]}"; do
	for _ in $(seq 1 30); do
		[ "$(landings "$id" | wc -l)" -ge 3 ] && break
		sleep 0.1
	done
	where=$(landings "$id" | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
	r=1
	[ "$(landings "$id" | wc -l)" = 3 ] && [ "$(landings "$id" | sort -u | wc -l)" = 1 ] && r=0
	check $r "$id: 3 connections, all on one broker ($where)"
done

if [ "$fail" = 0 ]; then
	echo "demo self-test: passed in $SECONDS s (start-up $t0 s)"
	exit 0
fi
echo "demo self-test: FAILED; logs:"
for f in "$run"/haproxy.log "$run"/broker[123].log; do
	echo "== $f"
	tail -n 40 "$f"
done
exit 1
