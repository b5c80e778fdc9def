#!/bin/bash
# by-hand.sh: build HAProxy with the addon the way haproxy-addon/README.md,
# section 1, tells a user to, then check the binary.
#
#   tests/build/by-hand.sh <label> <heading> <tree>
#
# <tree> is a freshly unpacked HAProxy source tree. The first indented block
# after the README heading that contains <heading> is run as written, with its
# placeholders replaced: /path/to/mqttparse/build -> $BUILD, /path/to/mqttparse
# -> this checkout, /path/to/haproxy-<version> -> <tree>. Then:
#   - no compiler warning in an addon or libmqttparse file;
#   - an object in <tree>/addons/mqttparse/ for every haproxy-addon/*.c;
#   - `haproxy -vv` reports the addon;
#   - `haproxy -c` accepts examples/haproxy/basic.cfg (MQTT fetches, actions
#     and the mqtt_key converter).
# MAKEFLAGS (job slots) and BUILD / FAST_PATH (for the library's own make)
# come from the caller, tests/build/build.mk.
set -euo pipefail

label=$1 heading=$2 tree=$3
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
readme=$TOP/haproxy-addon/README.md
say() { printf 'check-build-by-hand-%s: %s\n' "$label" "$*"; }
fail() { say "FAIL: $*"; exit 1; }

[ -f "$tree/Makefile" ] || fail "$tree is not a HAProxy source tree"
block=$(awk -v h="$heading" '
	!found { if (/^#/ && index($0, h)) found = 1; next }
	/^    / { sub(/^    /, ""); print; inblk = 1; next }
	/^[ \t]*$/ { if (inblk) print ""; next }
	{ if (inblk) exit }' "$readme")
[ -n "$block" ] || fail "no command block under a heading with '$heading' in $readme"
script=$(printf '%s\n' "$block" | sed -e "s|/path/to/mqttparse/build|$BUILD|g" \
	-e "s|/path/to/mqttparse|$TOP|g" -e "s|/path/to/haproxy-[-0-9A-Za-z.]*|$tree|g")

say "running README.md's commands (\"$heading\"):"
printf '%s\n' "$script" | sed 's/^/    /'
log=$tree/by-hand.log
start=$(date +%s)
if ! (cd "$tree" && bash -e -c "$script") > "$log" 2>&1; then
	tail -n 30 "$log"
	fail "the README's commands failed (log: $log)"
fi
say "built in $(( $(date +%s) - start )) s"

warn=$(grep -E '(haproxy-addon|mqttparse|libmqttparse)/[^:]*:[0-9]+:[0-9]+: warning' "$log" || true)
[ -z "$warn" ] || { printf '%s\n' "$warn"; fail "compiler warnings in the addon or the library"; }

for c in "$TOP"/haproxy-addon/*.c; do
	o=$tree/addons/mqttparse/$(basename "$c" .c).o
	[ -f "$o" ] || fail "no object for $(basename "$c"): $o"
done
say "every haproxy-addon/*.c compiled: $(cd "$TOP/haproxy-addon" && echo *.c)"

vv=$("$tree/haproxy" -vv) || fail "haproxy -vv failed"
line=$(printf '%s\n' "$vv" | grep 'Built with the MQTT addon') || fail "haproxy -vv does not report the addon"
say "$(printf '%s\n' "$vv" | head -n1)"
say "$line"

cfg=$TOP/examples/haproxy/basic.cfg
out=$("$tree/haproxy" -c -f "$cfg" 2>&1) || { printf '%s\n' "$out"; fail "haproxy -c rejects $cfg"; }
say "haproxy -c accepts $(basename "$cfg") (req.mqtt_client_id, mqtt-validate, mqtt_key)"
say "ok"
