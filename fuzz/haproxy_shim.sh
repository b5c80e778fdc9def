#!/bin/sh
# haproxy_shim.sh - HAProxy's src/mqtt.c and fuzz/haproxy_shim.c compiled from
# one named HAProxy tree, for fuzz_diff_haproxy (called by fuzz/fuzz.mk).
#
#   haproxy_shim.sh tree SPEC          print the tree's path (fetch/unpack when needed)
#   haproxy_shim.sh build OUTDIR SPEC  compile OUTDIR/mqtt.o and OUTDIR/shim.o from it
#   haproxy_shim.sh session OUTDIR SPEC  compile OUTDIR/session.o for fuzz_session:
#                            haproxy-addon/mqttp_session.c and fuzz/fuzz_session_shim.c
#                            against the tree's headers, one relocatable object
#
# SPEC: a HAProxy source tree (a directory), or series:<S>:
#   series:2.6, series:3.0   Debian's source (scripts/fetch-haproxy.sh <S>
#                            $BUILD/haproxy-<S>: the tree the HAProxy build uses)
#   series:2.8 ... 3.5-dev   the upstream tarball $SHARED/$TARBALL (checked
#                            against $SHARED/SHA256SUMS when it is listed there);
#                            only src/mqtt.c, include/ and VERSION are unpacked,
#                            into $BUILD/fuzz/haproxy-src/<tarball name>
# Environment (from fuzz.mk): TOP, BUILD, SHARED (the HAPROXY_TARBALLS
# directory), TARBALL, FUZZ_CC, FUZZ_SAN.
# The tree's name and version go into shim.o (-DFZ_HAP_TREE, -DFZ_HAP_VERSION):
# the harness prints them when it starts.
set -eu
say() { echo "haproxy_shim: $*" >&2; }

tree_of() {
	case $1 in
	series:2.6|series:3.0)
		s=${1#series:}
		for m in "$BUILD/haproxy-$s"/haproxy-*/src/mqtt.c; do
			[ -f "$m" ] && { dirname "$(dirname "$m")"; return 0; }
		done
		HAPROXY_CACHE=$BUILD/cache "$TOP/scripts/fetch-haproxy.sh" "$s" "$BUILD/haproxy-$s" ;;
	series:*)
		s=${1#series:}
		tb=$SHARED/$TARBALL
		[ -f "$tb" ] || { say "HAProxy $s: $TARBALL not in HAPROXY_TARBALLS=$SHARED (set HAPROXY_TARBALLS=<dir> of release tarballs with their SHA256SUMS)"; return 1; }
		dest=$BUILD/fuzz/haproxy-src/$(basename "$TARBALL" .tar.gz)
		if [ ! -f "$dest/src/mqtt.c" ]; then
			if grep -q " $(basename "$tb")\$" "$SHARED/SHA256SUMS" 2>/dev/null; then
				(cd "$SHARED" && grep " $(basename "$tb")\$" SHA256SUMS | sha256sum -c --quiet -) >&2 \
					|| { say "$tb: SHA-256 does not match $SHARED/SHA256SUMS"; return 1; }
			fi
			rm -rf "$dest.tmp" && mkdir -p "$dest.tmp"
			tar -xzf "$tb" -C "$dest.tmp" --strip-components=1 --wildcards \
				'*/src/mqtt.c' '*/include/*' '*/VERSION'
			rm -rf "$dest" && mv "$dest.tmp" "$dest"
		fi
		echo "$dest" ;;
	*)
		[ -d "$1" ] || { say "$1: not a directory"; return 1; }
		(cd "$1" && pwd) ;;
	esac
}

case ${1:-} in
tree) tree_of "$2" ;;
build)
	out=$2
	src=$(tree_of "$3")
	[ -f "$src/src/mqtt.c" ] && [ -d "$src/include/haproxy" ] || { say "'$src' is not a HAProxy tree"; exit 1; }
	ver=$(head -n 1 "$src/VERSION" 2>/dev/null || true)
	[ -n "$ver" ] || ver=$(basename "$src")
	echo "fuzz: fuzz_diff_haproxy tree $3: HAProxy $ver src/mqtt.c from $src"
	mkdir -p "$out"
	# HAProxy's headers are not -Wextra clean: warnings off for these two.
	# HAProxy builds with -fwrapv and its mqtt_read_4byte_int shifts a byte
	# into the sign bit (finding H1 in fuzz/README.md): -fno-sanitize=shift.
	# shellcheck disable=SC2086
	$FUZZ_CC -std=gnu99 -g -O1 -w $FUZZ_SAN -fwrapv -fno-sanitize=shift -fsanitize=fuzzer-no-link \
		-I"$src/include" -c "$src/src/mqtt.c" -o "$out/mqtt.o"
	# shellcheck disable=SC2086
	$FUZZ_CC -std=gnu99 -g -O1 -w $FUZZ_SAN -fsanitize=fuzzer-no-link -I"$src/include" -I"$TOP/fuzz" \
		-DFZ_HAP_VERSION="\"$ver\"" -DFZ_HAP_TREE="\"$src\"" \
		-c "$TOP/fuzz/haproxy_shim.c" -o "$out/shim.o" ;;
session)
	out=$2
	src=$(tree_of "$3")
	[ -d "$src/include/haproxy" ] || { say "'$src' is not a HAProxy tree"; exit 1; }
	echo "fuzz: fuzz_session tree $3: haproxy-addon/mqttp_session.c against the headers of $src"
	mkdir -p "$out"
	# As the addon is built into HAProxy, with its headers' warnings off;
	# USE_OBSOLETE_LINKER turns the initcalls (the session's pool) into
	# constructors, which ASan's padded globals do not break (addon.mk's
	# ASan build does the same), and no USE_THREAD: one thread.
	for f in "$TOP/haproxy-addon/mqttp_session.c" "$TOP/fuzz/fuzz_session_shim.c"; do
		# shellcheck disable=SC2086
		$FUZZ_CC -std=gnu99 -g -O1 -w $FUZZ_SAN -fsanitize=fuzzer-no-link -DUSE_OBSOLETE_LINKER \
			-I"$src/include" -I"$TOP/libmqttparse/include" -I"$TOP/haproxy-addon" -I"$TOP/fuzz" \
			-c "$f" -o "$out/session-$(basename "$f" .c).o"
	done
	${FUZZ_LD:-ld} -r -o "$out/session.o" "$out/session-mqttp_session.o" "$out/session-fuzz_session_shim.o" ;;
*) echo "usage: haproxy_shim.sh tree SPEC | build OUTDIR SPEC | session OUTDIR SPEC" >&2; exit 2 ;;
esac
