#!/usr/bin/env bash
# Install the Debian packages the build, the tests, the demo and the
# benchmarks need. Idempotent: does nothing (and needs no network) when
# every package is already there. Uses the machine's own apt configuration.
#   scripts/install-deps.sh            everything
#   scripts/install-deps.sh --print    list what is missing, install nothing
set -euo pipefail

pkgs=(
	# build
	make gcc clang pkg-config binutils dpkg-dev
	# HAProxy build (scripts/fetch-haproxy.sh, make haproxy)
	libssl-dev libpcre2-dev zlib1g-dev
	# unit tests, sanitizers, coverage, fuzzing
	check libsubunit-dev gcovr libclang-rt-14-dev llvm-14 valgrind
	# end-to-end tests and the demo: real brokers, real clients, real TLS
	mosquitto mosquitto-clients python3 python3-paho-mqtt openssl procps iproute2
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if [ "${1:-}" = "--print" ]; then
	printf '%s\n' "${missing[@]}"
	exit 0
fi
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "install-deps: not root; run: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian mosquitto package starts nothing here (no systemd), but make
# sure no packaged broker holds port 1883 if one was started.
exit 0
