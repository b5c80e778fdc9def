#!/bin/sh
# run.sh - the fault and load tests of the MQTT balancer against one or more
# HAProxy binaries built with the mqttparse addon.
#
#   tests/fault/run.sh [HAPROXY_BIN ...] [-- options of fault_tests.py, e.g. -k storm --clients 500]
#
# Without binaries: $HAPROXY_BIN, else build/bin/haproxy. A binary whose name
# contains "asan" runs in sanitizer mode (ASAN_OPTIONS set, reports fail the
# test). Needs mosquitto and /usr/bin/python3; everything listens on
# 127.0.0.1, on ports chosen at run time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
py=${PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/haproxy-bins.sh
. "$top/tests/lib/haproxy-bins.sh"
[ -n "$bins" ] || bins="--haproxy ${HAPROXY_BIN:-$top/build/bin/haproxy}"
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || {
	echo "run.sh: mosquitto is required (apt-get install mosquitto)" >&2; exit 2; }
# 2,000 clients hold ~2 sockets each in this process, HAProxy and the brokers
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# shellcheck disable=SC2086
exec "$py" "$here/fault_tests.py" $bins "$@"
