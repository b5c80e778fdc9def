#!/bin/sh
# run.sh - the HAProxy end-to-end suite against one or more HAProxy binaries
# built with the mqttparse addon.
#
#   tests/e2e/run.sh [HAPROXY_BIN ...] [-- suite options, e.g. -k stick -v, --smoke, --list]
#
# Without binaries: every build/bin/haproxy-<series> present (make haproxy-all),
# else $HAPROXY_BIN, else build/bin/haproxy. Needs mosquitto, openssl and
# Debian's python3-paho-mqtt (run with /usr/bin/python3). Everything listens on
# 127.0.0.1, on ports chosen at run time.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
py=${PYTHON:-/usr/bin/python3}

# shellcheck source=../lib/haproxy-bins.sh
. "$top/tests/lib/haproxy-bins.sh"
if [ -z "$bins" ]; then
	for b in "$top"/build/bin/haproxy-[0-9]*; do
		case "$b" in *asan*) continue ;; esac
		[ -x "$b" ] && bins="$bins --haproxy $b"
	done
fi
if [ -z "$bins" ]; then
	bins="--haproxy ${HAPROXY_BIN:-$top/build/bin/haproxy}"
fi
for tool in mosquitto openssl; do
	command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
		echo "run.sh: $tool is required (apt-get install mosquitto openssl)" >&2; exit 2; }
done
"$py" -c 'import paho.mqtt.client' 2>/dev/null || {
	echo "run.sh: $py cannot import paho (apt-get install python3-paho-mqtt)" >&2; exit 2; }
# shellcheck disable=SC2086
exec "$py" "$here/mqtt_e2e.py" $bins "$@"
