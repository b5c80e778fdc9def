# haproxy-bins.sh - sourced by tests/*/run.sh: the leading arguments up to
# "--" are HAProxy binaries; each becomes "--haproxy BIN" in $bins and is
# shifted off the caller's arguments (POSIX sh: a sourced file shares them).
bins=""
while [ $# -gt 0 ]; do
	case "$1" in
	--) shift; break ;;
	*) bins="$bins --haproxy $1"; shift ;;
	esac
done
