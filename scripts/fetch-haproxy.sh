#!/bin/bash
# fetch-haproxy.sh: get a HAProxy source tree, verified, from Debian's archive
# or from a release tarball.
#
#   scripts/fetch-haproxy.sh [SERIES] [DESTDIR]
#
#   SERIES   3.0 (default, from trixie) or 2.6 (from bookworm); with
#            HAPROXY_TARBALL any series the tarball has ("-" = whatever it is)
#   DESTDIR  where the tree is unpacked (default: build/haproxy-SERIES)
#
# Prints the absolute path of the unpacked tree (DESTDIR/haproxy-<version>) on
# stdout; everything else goes to stderr.
#
# From Debian: the signed Sources indexes of the release and -security suites
# are read with a private apt configuration (its own one-line sources list,
# lists directory and cache under the cache directory; the system's apt state
# is never touched; mirror and keyring come from the system's apt sources).
# Candidate versions are tried newest first. For each, only the upstream
# tarball (haproxy_<upstream>.orig.tar.*) listed in its index entry is
# downloaded, from <mirror>/<Directory>/<file>, and its size and SHA-256 are
# checked against the index's Checksums-Sha256. Debian's patches are not
# needed (the archive drops superseded .dsc/.debian.tar.xz before the index
# stops listing them; the orig tarball is shared by every revision).
#
# A verified tarball stays in the cache with the index's size and SHA-256 next
# to it, so re-runs do no network access; a cached tarball that no longer
# matches is removed and downloaded again. Once DESTDIR holds the tree, the
# script only prints it.
#
# Environment:
#   HAPROXY_TARBALL     a HAProxy release tarball (e.g. haproxy-3.4.0.tar.gz from
#                       haproxy.org) to unpack instead of asking Debian
#   HAPROXY_SHA256SUMS  a SHA256SUMS file the tarball must be listed in
#   HAPROXY_CACHE       cache directory (default: <project>/build/cache)
#   HAPROXY_SUITES      suites to search instead of the built-in ones
#   HAPROXY_MIRROR      archive URI instead of the one in the apt sources
#   HAPROXY_SECURITY_MIRROR  security archive URI (for *-security suites)
#   HAPROXY_KEYRING     keyring for signed-by= (default: the sources' Signed-By)
#   HAPROXY_REFRESH=1   ignore the cached tarballs and ask the archive again
#   HAPROXY_NO_DEPS=1   do not check or install the build dependencies
set -euo pipefail

say() { printf 'fetch-haproxy: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
series=${1:-3.0}
destdir=${2:-$TOP/build/haproxy-$series}
cache=${HAPROXY_CACHE:-$TOP/build/cache}
tarball=${HAPROXY_TARBALL:-}
sums=${HAPROXY_SHA256SUMS:-}

if [ -z "$tarball" ]; then
    case $series in
        3.0) default_suites="trixie-security trixie" ;;
        2.6) default_suites="bookworm-security bookworm" ;;
        *)   default_suites="" ;;
    esac
    suites=${HAPROXY_SUITES:-$default_suites}
    [ -n "$suites" ] || die "no Debian suite ships HAProxy $series (known: 3.0, 2.6);" \
        "use HAPROXY_TARBALL=<haproxy-$series.x.tar.gz>, HAPROXY_SRC=<tree> or HAPROXY_SUITES"
else
    [ -f "$tarball" ] || die "HAPROXY_TARBALL=$tarball: no such file"
    tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")
fi

mkdir -p "$destdir" "$cache"
destdir=$(cd "$destdir" && pwd)
cache=$(cd "$cache" && pwd)
stamp=$destdir/.haproxy-source      # "<tree name> <tarball sha256> debian|tarball"

sha256() { sha256sum "$1" | cut -d' ' -f1; }

# ---------------------------------------------------------------- build deps
if [ "${HAPROXY_NO_DEPS:-}" != 1 ]; then
    "$TOP/scripts/install-deps.sh" --haproxy \
        || die "HAProxy's build dependencies are missing (see above); HAPROXY_NO_DEPS=1 skips this check"
fi

# ---------------------------------------------------------------- fast path
tree_ok() { [ -f "$1/Makefile" ] && [ -d "$1/include/haproxy" ]; }
want_sha=
[ -z "$tarball" ] || want_sha=$(sha256 "$tarball")
fast_path() {
    local name origin kind want
    [ -f "$stamp" ] || return 0
    [ -n "$tarball" ] || [ "${HAPROXY_REFRESH:-}" != 1 ] || return 0
    read -r name origin kind < "$stamp" || true
    if [ -n "$tarball" ]; then want="tarball $want_sha"; else want="debian"; fi
    if tree_ok "$destdir/${name:-.none}" && case $want in
            debian) [ "${kind:-}" = debian ] ;;
            *) [ "${kind:-} ${origin:-}" = "$want" ] ;;
        esac; then
        printf '%s\n' "$destdir/$name"
        exit 0
    fi
}
fast_path

# One fetch at a time per cache (parallel make may run several series).
exec 9>"$cache/.fetch-haproxy.lock"
flock 9
# Another run (e.g. fuzz.mk's and a build's under make -j2) may have unpacked
# this very tree while we waited: use it rather than replace it under its build.
fast_path

# Unpack tarball $1 (SHA-256 $2, origin kind $3) into $destdir as haproxy-<version>.
unpack() {
    local tgz=$1 sum=$2 kind=$3 tmp top ver name d
    tmp=$(mktemp -d "$destdir/.unpack.XXXXXX")
    if ! tar -C "$tmp" -xf "$tgz" 2>"$tmp.log"; then
        say "cannot unpack $tgz:"; sed 's/^/  /' "$tmp.log" >&2
        rm -rf "$tmp" "$tmp.log"; return 1
    fi
    rm -f "$tmp.log"
    top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d)
    if [ "$(printf '%s\n' "$top" | wc -l)" != 1 ] || ! tree_ok "$top"; then
        say "$tgz does not hold one HAProxy source tree"; rm -rf "$tmp"; return 1
    fi
    # A release tarball has a VERSION file; else its top directory is haproxy-<version>.
    ver=$(head -n1 "$top/VERSION" 2>/dev/null || true)
    [ -n "$ver" ] || ver=$(basename "$top" | sed 's/^haproxy-//')
    # SERIES 3.4 takes 3.4.0, 3.4.1..., 3.5-dev takes 3.5-dev5.
    case $series in -) ;; *)
        case $ver in "$series"|"$series".*|"$series"-*) ;; *)
            case $series:$ver in *-dev:"$series"[0-9]*) ;; *)
                say "$tgz holds HAProxy $ver, not $series"; rm -rf "$tmp"; return 1 ;;
            esac ;;
        esac ;;
    esac
    name=haproxy-$ver
    # The build puts this in its configuration key: a tree re-unpacked at the
    # same path from another tarball gets its addon objects rebuilt.
    printf '%s %s\n' "$(basename "$tgz")" "$sum" > "$top/.haproxy-origin"
    # Older trees here would only confuse globs (fuzz.mk) and waste space.
    for d in "$destdir"/haproxy-*; do if [ -d "$d" ]; then rm -rf "$d"; fi; done
    mv "$top" "$destdir/$name"
    rm -rf "$tmp"
    printf '%s %s %s\n' "$name" "$sum" "$kind" > "$stamp"
    say "HAProxy $ver unpacked: $destdir/$name"
    printf '%s\n' "$destdir/$name"
    exit 0
}

# ---------------------------------------------------------------- tarball
if [ -n "$tarball" ]; then
    say "$(basename "$tarball"): SHA-256 $want_sha"
    if [ -n "$sums" ]; then
        [ -f "$sums" ] || die "HAPROXY_SHA256SUMS=$sums: no such file"
        listed=$(awk -v f="$(basename "$tarball")" '{n=$2; sub(/^\*/, "", n)} n==f {print $1}' "$sums")
        [ -n "$listed" ] || die "$(basename "$tarball") is not listed in $sums"
        [ "$listed" = "$want_sha" ] || die "$tarball does not match $sums (listed: $listed)"
    fi
    unpack "$tarball" "$want_sha" tarball || die "could not use $tarball"
fi

# ---------------------------------------------------------------- cache
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

upstream_of() { local v=${1#*:}; printf '%s\n' "${v%-*}"; }

# Each verified tarball has <file>.index: "<sha256> <size> <version> <suite> <url>",
# copied from the signed index when it was downloaded.
if [ "${HAPROXY_REFRESH:-}" != 1 ]; then
    while IFS=$'\t' read -r _ rec; do
        f=${rec%.index}
        read -r isha isize iver isuite _ < "$rec"
        if [ -f "$f" ] && [ "$(stat -c %s "$f")" = "$isize" ] && [ "$(sha256 "$f")" = "$isha" ]; then
            unpack "$f" "$isha" debian || true
        else
            say "cached $(basename "$f") does not match the size and SHA-256 of its index entry" \
                "(haproxy $iver, $isuite): removed, downloading again"
        fi
        rm -f "$f" "$rec"
    done < <(for r in "$srccache"/haproxy_"$series".*.orig.tar.*.index; do
                 [ -f "$r" ] || continue
                 printf '%s\t%s\n' "$(cut -d' ' -f3 "$r")" "$r"
             done | sort_newest_first)
fi

# ---------------------------------------------------------------- archive
# The system's apt sources as "<uri> <signed-by or -> <suite>..." lines, from
# deb822 (*.sources) and one-line (*.list, sources.list) files.
system_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush() {
                if (uris != "" && suites != "" && tolower(enabled) != "no") {
                    split(uris, u, /[ \t]+/)
                    print u[1], (signed == "" ? "-" : signed), suites
                }
                uris = suites = signed = enabled = ""
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
                split(line, w, /[ \t]+/)
                print w[2], signed, w[3]
            }' "$f"
    done
}

# Debian's own entries are the ones for this system's codename (third-party
# repositories use suites of their own).
codename=$(sed -n 's/^VERSION_CODENAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || true)
mirror=${HAPROXY_MIRROR:-}
secmirror=${HAPROXY_SECURITY_MIRROR:-}
keyring=${HAPROXY_KEYRING:-}
while read -r uri signed slist; do
    for s in $slist; do
        if [ "$s" = "$codename" ] && [ -z "${HAPROXY_MIRROR:-}" ] && [ -z "$mirror" ]; then
            mirror=$uri
            [ -n "$keyring" ] || { [ -f "$signed" ] && keyring=$signed; } || true
        elif [ "$s" = "$codename-security" ] && [ -z "$secmirror" ]; then
            secmirror=$uri
        fi
    done
done < <(system_sources)
[ -n "$keyring" ] || keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -n "$mirror" ] || die "no Debian archive for '${codename:-?}' in /etc/apt/sources.list(.d); set HAPROXY_MIRROR"
[ -f "$keyring" ] || die "keyring $keyring not found; set HAPROXY_KEYRING"
mirror=${mirror%/}; secmirror=${secmirror%/}

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
        -o "APT::Get::Only-Source=true" \
        -o "Acquire::Languages=none"
}

tried=()       # what was tried, for the final message
candidates=""  # version TAB suite TAB url TAB size TAB sha256
for suite in $suites; do
    uri=$mirror
    case $suite in *-security) uri=$secmirror ;; esac
    if [ -z "$uri" ]; then
        tried+=("$suite: no mirror for it in the apt sources (HAPROXY_SECURITY_MIRROR)")
        continue
    fi
    d=$cache/apt/$suite
    mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
    printf 'deb-src [signed-by=%s] %s %s main\n' "$keyring" "$uri" "$suite" > "$d/sources.list"
    mapfile -t opts < <(apt_opts "$suite")
    say "reading the $suite source index ($uri)"
    if ! apt-get -q "${opts[@]}" update >"$d/update.log" 2>&1 \
       || grep -q '^\(E:\|Err:\|W:\)' "$d/update.log"; then
        tried+=("$suite: apt-get update of $uri failed: $(grep -E '^(E:|Err:|W:)' "$d/update.log" | head -n3 | tr '\n' ' ')")
        continue
    fi
    # The index entry: Version, Directory and the orig tarball's Checksums-Sha256 line.
    found=$(apt-cache "${opts[@]}" showsrc haproxy 2>/dev/null | awk -v uri="$uri" -v suite="$suite" '
        function emit() {
            if (pkg == "haproxy" && file != "")
                printf "%s\t%s\t%s/%s/%s\t%s\t%s\n", ver, suite, uri, dir, file, size, sha
            pkg = ver = dir = file = ""; field = ""
        }
        /^$/ { emit(); next }
        /^[^ \t]/ { field = $1 }
        /^Package:/ { pkg = $2 }
        /^Version:/ { ver = $2 }
        /^Directory:/ { dir = $2 }
        /^[ \t]/ && field == "Checksums-Sha256:" && $3 ~ /^haproxy_[^\/]*\.orig\.tar\.[a-z0-9]+$/ {
            sha = $1; size = $2; file = $3
        }
        END { emit() }' | sort -u)
    n=0
    while IFS=$'\t' read -r ver rest; do
        [ -n "$ver" ] || continue
        case $(upstream_of "$ver") in
            "$series".*) candidates+="$ver"$'\t'"$rest"$'\n'; n=$((n + 1)) ;;
        esac
    done <<< "$found"
    [ "$n" -gt 0 ] || tried+=("$suite: its index lists no haproxy $series source")
done

# Several Debian revisions share one orig tarball: each URL is tried once.
declare -A seen=()
while IFS=$'\t' read -r ver suite url size sha; do
    [ -n "$ver" ] || continue
    [ -z "${seen[$url]:-}" ] || continue
    seen[$url]=1
    file=$srccache/$(basename "$url")
    tmp=$(mktemp "$cache/.download.XXXXXX")
    if [ -f "$file" ] && [ "$(sha256 "$file")" = "$sha" ]; then
        mv -f "$file" "$tmp"        # already here (e.g. an index record was lost)
    else
        say "downloading $url (haproxy $ver, $suite)"
        # apt's own downloader (part of apt): no curl/wget needed, apt's proxy
        # settings apply, and it checks the hash too.
        if ! /usr/lib/apt/apt-helper -o "APT::Sandbox::User=$user" \
                download-file "$url" "$tmp" "SHA256:$sha" >"$tmp.log" 2>&1; then
            # "E: Failed to fetch <url>  404  Not Found [IP: ...]" -> "404  Not Found"
            err=$(grep -m1 -E '^(E|W):' "$tmp.log" \
                  | sed -e 's/^[EW]: Failed to fetch [^ ]* *//' -e 's/ *\[IP:[^]]*\]//' || true)
            tried+=("haproxy $ver ($suite): $url: $err")
            say "  not served (${err:-no reason given})"
            rm -f "$tmp" "$tmp.log"
            continue
        fi
        rm -f "$tmp.log"
    fi
    got_size=$(stat -c %s "$tmp"); got_sha=$(sha256 "$tmp")
    if [ "$got_size" != "$size" ] || [ "$got_sha" != "$sha" ]; then
        tried+=("haproxy $ver ($suite): $url: got $got_size bytes, SHA-256 $got_sha; the index says $size bytes, $sha")
        say "  it does not match the index (size or SHA-256)"
        rm -f "$tmp"
        continue
    fi
    mv -f "$tmp" "$file"
    printf '%s %s %s %s %s\n' "$sha" "$size" "$ver" "$suite" "$url" > "$file.index"
    say "verified $(basename "$file") ($size bytes, SHA-256 $sha, as in the $suite index)"
    # The indexes (~40 MB per suite) are not needed any more.
    for s in $suites; do rm -rf "${cache:?}/apt/$s"; done
    unpack "$file" "$sha" debian || tried+=("haproxy $ver ($suite): $file did not unpack")
done < <(printf '%s' "$candidates" | sort_newest_first)

say "error: no HAProxy $series source could be downloaded and verified. Tried:"
for t in "${tried[@]}"; do say "  $t"; done
[ ${#tried[@]} -gt 0 ] || say "  (nothing)"
say "What you can do:"
say "  HAPROXY_TARBALL=<file>  build from a release tarball (e.g. haproxy-$series.x.tar.gz from haproxy.org)"
say "  HAPROXY_SRC=<dir>       build from a HAProxy source tree you have"
say "  HAPROXY_MIRROR=<uri>    ask another Debian mirror (now: $mirror)"
exit 1
