#!/usr/bin/env bash
# Install the Debian packages the build, the tests, the demo and the
# benchmarks need. Idempotent: does nothing (and needs no network) when
# every package is already there. Uses the machine's own apt configuration.
#   scripts/install-deps.sh            everything
#   scripts/install-deps.sh --haproxy  only what building HAProxy needs
#   scripts/install-deps.sh --print    list what is missing, install nothing
# Quiet when it works; says what could not be installed, and why, when not.
set -euo pipefail

say() { printf 'install-deps: %s\n' "$*" >&2; }

hap_pkgs=(libssl-dev libpcre2-dev zlib1g-dev)
pkgs=(
	# build
	make gcc clang pkg-config binutils
	# HAProxy build (scripts/fetch-haproxy.sh, make haproxy)
	"${hap_pkgs[@]}"
	# unit tests, sanitizers, coverage, fuzzing
	check libsubunit-dev gcovr libclang-rt-14-dev llvm-14 valgrind
	# end-to-end tests and the demo: real brokers, real clients, real TLS
	mosquitto mosquitto-clients python3 python3-paho-mqtt openssl procps iproute2
	# MQTT over WebSocket tests: npm installs their brokers and mqtt.js
	# (tests/e2e/ws-broker); a real browser page runs in headless Chromium
	nodejs chromium
)

mode=all
case ${1:-} in
	--print) mode=print ;;
	--haproxy) pkgs=("${hap_pkgs[@]}") ;;
	"") ;;
	*) say "unknown option '$1' (--print, --haproxy)"; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "$mode" = print ]; then
	[ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"
	exit 0
fi
[ ${#missing[@]} -gt 0 ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	SUDO="sudo -n"
else
	say "missing Debian packages: ${missing[*]}"
	say "cannot install them: not root, and no sudo without a password. As root, run:"
	say "  apt-get install -y --no-install-recommends ${missing[*]}"
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
# apt and dpkg chatter (debconf notes, progress) goes to the log, shown only on failure.
if ! $SUDO apt-get update -q >"$log" 2>&1; then
	say "apt-get update failed (the install below may use old package lists):"
	grep -E '^(E|W|Err):' "$log" | sed 's/^/  /' >&2 || true
fi
# Packages apt does not know (not in this machine's apt sources) are named
# clearly instead of failing the whole install.
unknown=() known=()
for p in "${missing[@]}"; do
	cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ {print $2}')
	if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then unknown+=("$p"); else known+=("$p"); fi
done
rc=0
[ ${#known[@]} -eq 0 ] || say "installing ${known[*]}"
if [ ${#known[@]} -gt 0 ] &&
   ! $SUDO apt-get install -y -q --no-install-recommends "${known[@]}" >"$log" 2>&1; then
	say "apt-get install ${known[*]} failed:"
	grep -E '^(E|W):' "$log" | sed 's/^/  /' >&2 || tail -n 5 "$log" | sed 's/^/  /' >&2
	rc=1
fi
if [ ${#unknown[@]} -gt 0 ]; then
	say "apt cannot find: ${unknown[*]} (not in the package lists of /etc/apt/sources.list(.d));"
	say "  install them some other way, or add a Debian source that has them"
	rc=1
fi
exit $rc
