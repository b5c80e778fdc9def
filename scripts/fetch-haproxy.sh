#!/bin/bash
# fetch-haproxy.sh: get a HAProxy source tree from Debian source packages.
#
#   scripts/fetch-haproxy.sh [SERIES] [DESTDIR]
#
#   SERIES   3.0 (default, from trixie) or 2.6 (from bookworm)
#   DESTDIR  where the tree is unpacked (default: build/haproxy-SERIES)
#
# Prints the absolute path of the unpacked source tree (DESTDIR/haproxy-<version>)
# on stdout; everything else goes to stderr.
#
# The system's apt state is never touched: a private apt configuration (its own
# one-line sources list, lists directory and cache) lives under the cache
# directory. The mirror and keyring are read from the system's apt sources at
# run time. Candidate versions are tried newest first (the -security suite and
# the release suite); one that fails to download is skipped.
#
# Downloads are kept in the cache (build/cache by default), so a second run, or
# a run with another DESTDIR, does no network access. Once DESTDIR holds a tree,
# the script only prints it.
#
# Environment:
#   HAPROXY_CACHE       cache directory (default: <project>/build/cache)
#   HAPROXY_SUITES      suites to search instead of the built-in ones
#   HAPROXY_MIRROR      archive URI instead of the one in the apt sources
#   HAPROXY_SECURITY_MIRROR  security archive URI (for *-security suites)
#   HAPROXY_KEYRING     keyring for signed-by= (default: the sources' Signed-By)
#   HAPROXY_REFRESH=1   ignore cached downloads and ask the archive again
#   HAPROXY_NO_DEPS=1   do not check or install the build dependencies
set -euo pipefail

say() { printf 'fetch-haproxy: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
series=${1:-3.0}
destdir=${2:-$TOP/build/haproxy-$series}
cache=${HAPROXY_CACHE:-$TOP/build/cache}

case $series in
    3.0) default_suites="trixie-security trixie" ;;
    2.6) default_suites="bookworm-security bookworm" ;;
    *)   default_suites="" ;;
esac
suites=${HAPROXY_SUITES:-$default_suites}
[ -n "$suites" ] || die "unknown series '$series' (known: 3.0, 2.6; or set HAPROXY_SUITES)"

mkdir -p "$destdir" "$cache"
destdir=$(cd "$destdir" && pwd)
cache=$(cd "$cache" && pwd)
stamp=$destdir/.haproxy-source

# ---------------------------------------------------------------- build deps
# Packages needed to unpack and build HAProxy with OpenSSL, PCRE2 and zlib.
ensure_deps() {
    [ "${HAPROXY_NO_DEPS:-}" = 1 ] && return 0
    local pkgs="dpkg-dev libssl-dev libpcre2-dev zlib1g-dev" missing="" p st
    for p in $pkgs; do
        st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
        case $st in ii*) ;; *) missing="$missing $p" ;; esac
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" != 0 ]; then
        say "warning: missing packages:$missing (install them as root)"
        return 0
    fi
    say "installing:$missing"
    # shellcheck disable=SC2086
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
    fi
}
ensure_deps

# ---------------------------------------------------------------- fast path
if [ -f "$stamp" ] && [ "${HAPROXY_REFRESH:-}" != 1 ]; then
    src=$destdir/$(cat "$stamp")
    if [ -f "$src/Makefile" ] && [ -d "$src/include/haproxy" ]; then
        printf '%s\n' "$src"
        exit 0
    fi
fi

# One fetch at a time per cache (parallel make may run several series).
exec 9>"$cache/.fetch-haproxy.lock"
flock 9 2>/dev/null || true

srccache=$cache/haproxy-src
mkdir -p "$srccache"

# Sort "version<TAB>rest" lines newest first, using dpkg's version ordering.
sort_newest_first() {
    local lines=() line i j tmp
    while IFS= read -r line; do [ -n "$line" ] && lines+=("$line"); done
    for ((i = 1; i < ${#lines[@]}; i++)); do
        for ((j = i; j > 0; j--)); do
            if dpkg --compare-versions "${lines[j]%%$'\t'*}" gt "${lines[j-1]%%$'\t'*}"; then
                tmp=${lines[j]}; lines[j]=${lines[j-1]}; lines[j-1]=$tmp
            else
                break
            fi
        done
    done
    [ ${#lines[@]} -eq 0 ] || printf '%s\n' "${lines[@]}"
}

# Unpack a .dsc from the cache into $destdir and record it. Returns 1 on failure.
unpack() {
    local dsc=$1 ver name tmp log
    ver=$(sed -n 's/^Version: *//p' "$dsc" | head -n1)
    name=haproxy-${ver//:/_}
    if [ -f "$destdir/$name/Makefile" ] && [ -d "$destdir/$name/include/haproxy" ]; then
        printf '%s\n' "$name" > "$stamp"
        return 0
    fi
    tmp=$(mktemp -d "$destdir/.unpack.XXXXXX")
    log=$tmp.log
    say "unpacking $(basename "$dsc")"
    if (cd "$tmp" && dpkg-source -x "$dsc" "$tmp/$name") >"$log" 2>&1 \
       && [ -f "$tmp/$name/Makefile" ]; then
        rm -rf "${destdir:?}/$name"
        mv "$tmp/$name" "$destdir/$name"
        rm -rf "$tmp" "$log"
        printf '%s\n' "$name" > "$stamp"
        return 0
    fi
    sed 's/^/  /' "$log" >&2
    rm -rf "$tmp" "$log"
    return 1
}

# Cached downloads, newest first (no network).
try_cache() {
    local dsc
    [ "${HAPROXY_REFRESH:-}" = 1 ] && return 1
    while IFS=$'\t' read -r _ dsc; do
        [ -n "$dsc" ] || continue
        unpack "$dsc" && return 0
    done < <(for f in "$srccache"/haproxy_"$series".*.dsc; do
                 [ -f "$f" ] || continue
                 printf '%s\t%s\n' "$(sed -n 's/^Version: *//p' "$f" | head -n1)" "$f"
             done | sort_newest_first)
    return 1
}

done_ok() {
    src=$destdir/$(cat "$stamp")
    say "source tree: $src"
    printf '%s\n' "$src"
    exit 0
}

try_cache && done_ok

# ---------------------------------------------------------------- archive
# Read the system's apt sources: prints "main|security <uri> <keyring>" lines,
# deb822 (*.sources) and one-line (*.list, sources.list) formats.
system_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (uris != "" && suites != "" && tolower(enabled) != "no") {
                    split(uris, u, /[ \t]+/); n = split(suites, s, /[ \t]+/)
                    kind = "main"
                    for (i = 1; i <= n; i++) if (s[i] ~ /-security$/) kind = "security"
                    print kind, u[1], (signed == "" ? "-" : signed)
                }
                uris = suites = signed = enabled = ""; field = ""
            }
            /^[ \t]*$/ { flush(); next }
            /^#/ { next }
            /^[ \t]/ { next }                       # continuation (embedded key)
            {
                key = tolower($1); sub(/:$/, "", key)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (key == "uris") uris = val
                else if (key == "suites") suites = val
                else if (key == "signed-by") signed = val
                else if (key == "enabled") enabled = val
            }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '
            /^[ \t]*(deb|deb-src)[ \t]/ {
                line = $0; signed = "-"
                if (match(line, /\[[^]]*\]/)) {
                    opts = substr(line, RSTART + 1, RLENGTH - 2)
                    line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
                    if (match(opts, /signed-by=[^ \t]+/))
                        signed = substr(opts, RSTART + 10, RLENGTH - 10)
                }
                n = split(line, w, /[ \t]+/)
                kind = (w[3] ~ /-security$/) ? "security" : "main"
                print kind, w[2], signed
            }' "$f"
    done
}

mirror=${HAPROXY_MIRROR:-}
secmirror=${HAPROXY_SECURITY_MIRROR:-}
keyring=${HAPROXY_KEYRING:-}
while read -r kind uri signed; do
    if [ "$kind" = main ] && [ -z "$mirror" ]; then
        mirror=$uri
        [ -n "$keyring" ] || { [ -f "$signed" ] && keyring=$signed; } || true
    elif [ "$kind" = security ] && [ -z "$secmirror" ]; then
        secmirror=$uri
    fi
done < <(system_sources)
[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -n "$mirror" ] || die "no Debian archive found in /etc/apt/sources.list(.d); set HAPROXY_MIRROR"
[ -f "$keyring" ] || die "keyring $keyring not found; set HAPROXY_KEYRING"

user=$(id -un)
apt_opts() {   # private apt configuration for suite $1
    local d=$cache/apt/$1
    printf '%s\n' \
        -o "Dir::Etc::SourceList=$d/sources.list" \
        -o "Dir::Etc::SourceParts=/dev/null" \
        -o "Dir::State::Lists=$d/lists" \
        -o "Dir::Cache=$d/cache" \
        -o "Dir::Cache::pkgcache=" \
        -o "Dir::Cache::srcpkgcache=" \
        -o "APT::Sandbox::User=$user" \
        -o "APT::Get::Only-Source=true"
}

candidates=""
for suite in $suites; do
    uri=$mirror
    case $suite in *-security) uri=$secmirror ;; esac
    if [ -z "$uri" ]; then say "no mirror for $suite, skipped"; continue; fi
    d=$cache/apt/$suite
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$suite" > "$d/sources.list"
    mapfile -t opts < <(apt_opts "$suite")
    say "reading the $suite source index"
    if ! apt-get -q "${opts[@]}" update >"$d/update.log" 2>&1 \
       || grep -q '^\(E:\|Err:\)' "$d/update.log"; then
        say "apt-get update for $suite failed, skipped:"
        sed 's/^/  /' "$d/update.log" >&2
        continue
    fi
    vers=$(apt-cache "${opts[@]}" showsrc haproxy 2>/dev/null \
           | awk '/^Package: /{p=$2} /^Version: /{if (p=="haproxy") print $2}' | sort -u)
    for v in $vers; do
        case $v in "$series".*) candidates+="$v"$'\t'"$suite"$'\n' ;; esac
    done
done
[ -n "$candidates" ] || die "no haproxy $series source package found in: $suites"

while IFS=$'\t' read -r ver suite; do
    [ -n "$ver" ] || continue
    mapfile -t opts < <(apt_opts "$suite")
    tmp=$(mktemp -d "$cache/.download.XXXXXX")
    say "downloading haproxy $ver ($suite)"
    if (cd "$tmp" && apt-get -q "${opts[@]}" --download-only source "haproxy=$ver") >"$tmp.log" 2>&1 \
       && ls "$tmp"/*.dsc >/dev/null 2>&1; then
        mv -f "$tmp"/* "$srccache"/
        dsc=$srccache/haproxy_${ver#*:}.dsc
        rm -rf "$tmp" "$tmp.log"
        if unpack "$dsc"; then
            rm -rf "$cache/apt"     # the indexes (~40 MB) are not needed any more
            done_ok
        fi
    else
        say "haproxy $ver ($suite) could not be downloaded, trying the next candidate:"
        grep -E '^(E:|Err:|W:)' "$tmp.log" | sed 's/^/  /' >&2 || true
        rm -rf "$tmp" "$tmp.log"
    fi
done < <(printf '%s' "$candidates" | sort_newest_first)

die "no haproxy $series candidate could be downloaded and unpacked"
