# bench-lib.sh: what lb-bench.sh and filter-bench.sh share, sourced by them:
# messages, the processes they start (stopped by PID on exit), ports, memory,
# medians, idle MQTT connections and callgrind counts. The caller sets
# BENCH_NAME (for messages), HAPROXY, LOADGEN and WORK first, and defines
# fe_port NAME (the port configuration NAME listens on).
# shellcheck shell=bash

say() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Every process started here goes into pids; all are stopped on exit.
pids=()
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for i in $(seq 50); do
		local alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port [tries of 0.05 s, default 100]
	local i
	for i in $(seq "${2:-100}"); do port_open "$1" && return 0; sleep 0.05; done
	return 1
}

# nofile N: at least N descriptors for this shell and what it starts (the
# hard limit is raised when allowed, as root); dies when it cannot.
nofile() {
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" = unlimited ] && hard=65536
	[ "$hard" -lt "$1" ] && ulimit -Hn "$1" 2>/dev/null && hard=$1
	[ "$hard" -gt 65536 ] && hard=65536
	ulimit -n "$hard"
	[ "$hard" -ge "$1" ] || die "ulimit -n $hard is below the $1 descriptors needed"
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# CPU time (user + system, clock ticks) of a process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_US=$((1000000 / $(getconf CLK_TCK)))

median() { sort -g | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# idle_rss NAME PORT PID N [COMMAND...]: the VmRSS (kB) of process PID before
# (idle_rss0) and with (idle_rss1) N MQTT connections to PORT open, each after
# CONNECT and CONNACK; idle_count = how many were open, idle_out = COMMAND's
# output while they were. Warns when not all stayed open for their 6 s.
idle_rss() {
	local c=$1 port=$2 pid=$3 n=$4 out="$WORK/idle-$1.out" i lg
	shift 4
	sleep 0.5
	idle_rss0=$(rss_kb "$pid")
	timeout 120 "$LOADGEN" -p "$port" -n "$n" -I 6 -k 600 -P "idle-$c-" -T 60 >"$out" 2>&1 &
	lg=$!
	pids+=($lg)
	for i in $(seq 600); do grep -qs '^ready' "$out" && break; sleep 0.1; done
	grep -qs '^ready' "$out" || die "idle run for '$c' never got ready: $(cat "$out")"
	sleep 1
	idle_rss1=$(rss_kb "$pid")
	idle_out=
	[ $# = 0 ] || idle_out=$("$@")
	idle_count=$(sed -n 's/^ready ok=\([0-9]*\).*/\1/p' "$out")
	wait "$lg" || true
	grep -qs "^closed ok=$n errors=0 live=$n" "$out" ||
		say "warning: '$c' idle connections did not all stay open: $(tr '\n' ' ' <"$out")"
}

# hap_start NAME...: checks $WORK/NAME.cfg and starts HAProxy with it, its
# PID in hpid[NAME]; waits until each one listens on $(fe_port NAME).
declare -A hpid
hap_start() {
	local c
	for c in "$@"; do
		"$HAPROXY" -c -q -f "$WORK/$c.cfg" >"$WORK/$c.check" 2>&1 ||
			{ cat "$WORK/$c.check" >&2; die "haproxy rejects the '$c' configuration ($WORK/$c.cfg)"; }
		"$HAPROXY" -db -f "$WORK/$c.cfg" >"$WORK/$c.log" 2>&1 &
		hpid[$c]=$!
		pids+=($!)
	done
	for c in "$@"; do wait_port "$(fe_port "$c")" || die "haproxy '$c' did not start (see $WORK/$c.log)"; done
}

# cg_restart NAME...: stops each HAProxy hpid[NAME] and starts it again under
# callgrind (extra valgrind options in CG_OPTS) with $WORK/NAME.cfg, its PID
# in cg_pid[NAME], its dumps in $WORK/cg-NAME.out.<n>; waits until each one
# listens on $(fe_port NAME).
declare -A cg_pid cg_dumps
cg_restart() {
	local c i
	for c in "$@"; do
		kill "${hpid[$c]}" 2>/dev/null || true
		for i in $(seq 100); do kill -0 "${hpid[$c]}" 2>/dev/null || break; sleep 0.05; done
	done
	for c in "$@"; do
		rm -f "$WORK/cg-$c.out"*
		# shellcheck disable=SC2086 # CG_OPTS: extra valgrind options, word-split
		valgrind --tool=callgrind --dump-instr=no ${CG_OPTS:-} --callgrind-out-file="$WORK/cg-$c.out" \
			"$HAPROXY" -db -f "$WORK/$c.cfg" >"$WORK/cg-$c.log" 2>&1 &
		cg_pid[$c]=$!
		cg_dumps[$c]=0
		pids+=($!)
	done
	for c in "$@"; do
		wait_port "$(fe_port "$c")" 2400 || die "haproxy '$c' under valgrind did not start (see $WORK/cg-$c.log)"
	done
}
# cg_count NAME COMMAND...: zeroes NAME's counters, runs COMMAND (its output
# in cg_out), dumps the counters: cg_ir = HAProxy's instructions meanwhile.
cg_count() {
	local c=$1
	shift
	timeout 60 callgrind_control -z "${cg_pid[$c]}" >/dev/null 2>&1 || die "callgrind_control -z failed for '$c'"
	cg_out=$("$@") || die "callgrind run failed for '$c': $cg_out"
	timeout 60 callgrind_control -d "${cg_pid[$c]}" >/dev/null 2>&1 || die "callgrind_control -d failed for '$c'"
	cg_dumps[$c]=$((cg_dumps[$c] + 1))
	cg_ir=$(awk '/^summary:/ {print $2}' "$WORK/cg-$c.out.${cg_dumps[$c]}" 2>/dev/null || true)
	[ -n "$cg_ir" ] || die "no callgrind dump for '$c'"
}
