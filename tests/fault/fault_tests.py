#!/usr/bin/python3
"""Fault and load tests of the MQTT balancer: real HAProxy with the mqttparse
addon, real mosquitto brokers, raw asyncio MQTT clients, all on 127.0.0.1
with ports chosen at run time.

    fault_tests.py [--haproxy BIN]... [-k NAME] [--asan] [--clients N] [--keep]

Tests (see tests/fault/README.md):
  storm_failover   2,000 clients through basic.cfg, one broker SIGKILLed,
                   everybody reconnects twice: misroutes, redispatches, fd leaks
  peers_reload     peers.cfg on two instances; instance A reloaded with -sf:
                   stick entries and routes survive
  slow_clients     50 half-sent CONNECTs held open while 200 clients connect:
                   CONNACK latency, the slow ones cut at inspect-delay

Each test prints its figures; the last line is "N passed, N failed"; the exit
status is non-zero on failure. --asan (implied by a binary named *asan*) runs
HAProxy with ASAN_OPTIONS and fails a test on any sanitizer report.
"""

import asyncio
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from mqtttest import (Env, Suite, add_lines, broker_env, check, free_port,  # noqa: E402
                      free_ports, has_directive, main, recipe, sample, show_stat, show_table,
                      stats_cmd)
from faultlib import (bounded_gather, close_session, fd_count, open_session,  # noqa: E402
                      percentile, raise_nofile, settled_fd_count)

FIG = []        # figure lines of the running test


class Fault(Suite):
    """Tests take (env, clients); HAProxy is stopped softly (SIGUSR1) and a
    test fails on any HAProxy exit status other than 0 and, for a sanitizer
    build (--asan, or a binary named *asan* / built with -fsanitize=address),
    on any sanitizer report."""

    name_width = 16
    announce = True
    show_doc = False
    log_tail = 1200

    def binary_ok(self, binary, info):
        vv = info["vv"]
        if "MQTT addon" not in vv or "stub" in vv.lower().split("mqtt addon")[0][-40:]:
            return "not built with the MQTT addon (%s)" % next(
                (l for l in vv.splitlines() if "MQTT" in l), "no MQTT line")
        return None

    def is_asan(self, binary, info):
        return self.args.asan or "asan" in os.path.basename(binary) or \
            "-fsanitize=address" in info["vv"]

    def binary_header(self, binary, info):
        return "== %s (HAProxy %s%s)" % (binary, info["version_string"],
                                         ", ASan" if self.is_asan(binary, info) else "")

    def make_env(self, binary, info):
        del FIG[:]
        return Env(binary, prefix="mqtt-fault-", soft_stop=True,
                   asan=self.is_asan(binary, info), broker_log=("error", "warning"),
                   version=info["version"])

    def call(self, t, env):
        t(env, self.args.clients)

    def post_check(self, env, ok, detail):
        reports = env.sanitizer_reports()
        # killed by a signal or non-zero: an ASan abort, a crash
        bad_exit = ["%s pid %d status %s" % e for e in env.hap_exits if e[2] != 0]
        if bad_exit:
            ok = False
            detail = (detail + "; " if detail else "") + "HAProxy exit: " + ", ".join(bad_exit)
        if reports:
            ok = False
            detail = (detail + "; " if detail else "") + "sanitizer: " + "; ".join(reports[:5])
        return ok, detail

    def configure(self, args):
        self.args = args

    def run(self, args):
        nofile = raise_nofile(20000)
        # this process holds one socket per client (HAProxy two, under the same
        # inherited limit); plus brokers' and markers' sockets
        need = 2 * args.clients + 200
        if nofile < need and not args.list:
            print("FAIL  open file limit %d < %d needed for %d clients" % (nofile, need, args.clients))
            print("0 passed, 1 failed")
            return 1
        return Suite.run(self, args)


SUITE = Fault("fault")
test = SUITE.test


def fig(fmt, *args):
    """Record (and print) one measured figure."""
    line = fmt % args if args else fmt
    FIG.append(line)
    print("      " + line, flush=True)


# ---------------------------------------------------------------------------
# 1. storm / failover
# ---------------------------------------------------------------------------

# Health checks: one check connection per server can be open at any moment
# (inter 2s, one in flight per server), so two fd snapshots of an idle
# HAProxy may differ by up to one socket per server.
FD_TOLERANCE = 3


@test
def storm_failover(env, clients):
    """basic.cfg, N clients, one broker SIGKILLed, two reconnect rounds"""
    t_start = time.monotonic()
    ports = env.brokers(3)
    lp = free_port()
    sock = os.path.join(env.dir, "stats.sock")
    cfg = recipe("basic.cfg")
    added = []
    # FAULT_CANONICAL=1: basic.cfg exactly as shipped (shows what the two
    # lines below buy; the dead broker's clients then fail until the health
    # checks mark it down)
    canonical = os.environ.get("FAULT_CANONICAL") == "1"
    if not canonical and not has_directive(cfg, "option redispatch"):
        # FAULT_REDISPATCH=1: "option redispatch 1", redispatch at every retry
        added.append(("option redispatch " + os.environ.get("FAULT_REDISPATCH", "")).strip())
    if not canonical and not has_directive(cfg, "retries"):
        added.append("retries 3")
    cfg = add_lines(cfg, r"^backend mqtt_brokers", added) if added else cfg
    cfg = add_lines(cfg, r"^global", ["stats socket %s mode 600 level admin" % sock])
    fig("config: basic.cfg%s + stats socket", (" + " + " + ".join(added)) if added else "")
    hap, _ = env.haproxy_run(cfg, broker_env(ports, lp), name="hap-storm", ports=[lp])
    time.sleep(0.5)
    fds_before = settled_fd_count(hap.pid)
    victim = 1          # broker2
    victim_pid = env.proc("broker%d" % (victim + 1)).pid
    r = asyncio.run(storm_async(lp, clients, len(ports), victim, victim_pid, hap.pid))
    fds_peak = r["fds_peak"]
    check(hap.poll() is None, "HAProxy exited (status %r)" % hap.poll())
    # after every client is gone HAProxy's fd count returns to its idle value
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and fd_count(hap.pid) > fds_before + FD_TOLERANCE:
        time.sleep(0.2)
    fds_after = settled_fd_count(hap.pid)
    st = show_stat(sock)
    be = st.get(("mqtt_brokers", "BACKEND"), {})
    table = show_table(sock, "mqtt_brokers")
    per = {}
    for cid, m in r["round1"].items():
        per[m] = per.get(m, 0) + 1
    fig("clients: %d; round 1 spread: %s", clients,
        ", ".join("%s=%d" % kv for kv in sorted(per.items(), key=lambda kv: str(kv[0]))))
    fig("connections: %d ok, %d failed (3 rounds)", r["ok"], r["failed"])
    fig("killed broker%d (SIGKILL pid %d): %d clients on it, %d saw the close in %.2f s",
        victim + 1, victim_pid, r["victims"], r["victims_closed"], r["close_time"])
    fig("misroutes (surviving brokers' clients moved): round 2: %d, round 3: %d",
        r["misroutes2"], r["misroutes3"])
    fig("redispatched (dead broker's clients now on a live broker): %d of %d; "
        "moved again in round 3: %d", r["redispatched"], r["victims"], r["moved3"])
    fig("round 2 CONNACK latency: dead broker's clients p50 %.0f ms, p99 %.0f ms; "
        "others p50 %.0f ms, p99 %.0f ms", *(x * 1e3 for x in r["lat2"]))
    fig("HAProxy counters: redispatches (wredis) %s, retries (wretr) %s, "
        "connection errors (econ) %s; stick entries %d",
        be.get("wredis"), be.get("wretr"), be.get("econ"), len(table))
    fig("HAProxy fds: before %d, peak %d, after %d (tolerance %d: one health "
        "check per server)", fds_before, fds_peak, fds_after, FD_TOLERANCE)
    fig("elapsed: connect %.2f s, failover reconnect %.2f s, second reconnect %.2f s, "
        "total %.1f s", r["t1"], r["t2"], r["t3"], time.monotonic() - t_start)
    check(r["failed"] == 0, "%d connections failed: %s" % (r["failed"], sample(r["errors"])))
    check(r["victims"] > 0, "no client was on the killed broker")
    check(r["victims_closed"] == r["victims"], "%d victims never saw their connection close"
          % (r["victims"] - r["victims_closed"]))
    check(r["misroutes2"] == 0 and r["misroutes3"] == 0,
          "misroutes: %s" % sample(r["misroute_list"]))
    check(r["redispatched"] == r["victims"], "dead broker's clients not redispatched: %s"
          % sample(r["stuck"]))
    check(r["moved3"] == 0, "redispatched clients moved again: %s" % sample(r["moved_list"]))
    check(fds_after <= fds_before + FD_TOLERANCE,
          "fd leak: %d before, %d after" % (fds_before, fds_after))


async def storm_async(lp, clients, n_brokers, victim, victim_pid, hap_pid):
    """The three rounds of storm_failover; returns the figures."""
    out = {"ok": 0, "failed": 0, "errors": [], "misroute_list": [], "stuck": [],
           "moved_list": []}
    cids = ["storm-%05d-%s" % (i, "x" * (i % 40)) for i in range(clients)]
    limit = 200

    def account(sessions):
        for s in sessions:
            if s.error or not s.marker:
                out["failed"] += 1
                out["errors"].append("%s: %s" % (s.cid, s.error))
            else:
                out["ok"] += 1

    # round 1: everybody connects and stays connected
    t0 = time.monotonic()
    sess = await bounded_gather([open_session(lp, c) for c in cids], limit)
    out["t1"] = time.monotonic() - t0
    account(sess)
    out["fds_peak"] = fd_count(hap_pid)
    out["round1"] = {s.cid: s.marker for s in sess}
    dead = "broker%d" % (victim + 1)
    live = {"broker%d" % (i + 1) for i in range(n_brokers)} - {dead}

    # kill one broker; its clients must see their connection closed
    victims = [s for s in sess if s.marker == dead]
    out["victims"] = len(victims)
    t0 = time.monotonic()
    os.kill(victim_pid, signal.SIGKILL)
    futs = [s.closed for s in victims if s.closed]
    done = set()
    if futs:
        done, _ = await asyncio.wait(futs, timeout=15)
    out["victims_closed"] = len(done)
    out["close_time"] = (max(f.result() for f in done) - t0) if done else 0.0

    # round 2: everybody reconnects (survivors after a clean DISCONNECT)
    await asyncio.gather(*(close_session(s) for s in sess))
    t0 = time.monotonic()
    sess2 = await bounded_gather([open_session(lp, c) for c in cids], limit)
    out["t2"] = time.monotonic() - t0
    account(sess2)
    r2 = {s.cid: s.marker for s in sess2}
    mis2 = [c for c, m in out["round1"].items() if m != dead and r2.get(c) != m]
    out["misroutes2"] = len(mis2)
    out["misroute_list"] += ["%s %s->%s" % (c, out["round1"][c], r2.get(c)) for c in mis2]
    vic_ids = {s.cid for s in victims}
    lat_v = [s.latency for s in sess2 if s.cid in vic_ids and s.latency is not None]
    lat_s = [s.latency for s in sess2 if s.cid not in vic_ids and s.latency is not None]
    out["lat2"] = (percentile(lat_v, 50), percentile(lat_v, 99), percentile(lat_s, 50),
                   percentile(lat_s, 99))
    out["redispatched"] = sum(1 for c in vic_ids if r2.get(c) in live)
    out["stuck"] = ["%s->%s" % (c, r2.get(c)) for c in vic_ids if r2.get(c) not in live]

    # round 3: everybody reconnects again and must keep the round-2 broker
    await asyncio.gather(*(close_session(s) for s in sess2))
    t0 = time.monotonic()
    sess3 = await bounded_gather([open_session(lp, c) for c in cids], limit)
    out["t3"] = time.monotonic() - t0
    account(sess3)
    r3 = {s.cid: s.marker for s in sess3}
    mis3 = [c for c in cids if c not in vic_ids and r2.get(c) and r3.get(c) != r2.get(c)]
    out["misroutes3"] = len(mis3)
    out["misroute_list"] += ["%s %s->%s" % (c, r2[c], r3.get(c)) for c in mis3]
    moved = [c for c in vic_ids if r2.get(c) in live and r3.get(c) != r2.get(c)]
    out["moved3"] = len(moved)
    out["moved_list"] = ["%s %s->%s" % (c, r2[c], r3.get(c)) for c in moved]
    await asyncio.gather(*(close_session(s) for s in sess3))
    return out


# ---------------------------------------------------------------------------
# 2. reload with peers
# ---------------------------------------------------------------------------

async def whoami_all(port, cids, limit=100):
    """Connect each id once through port; {id: marker or None} + errors."""
    sess = await bounded_gather([open_session(port, c) for c in cids], limit)
    await asyncio.gather(*(close_session(s) for s in sess))
    return {s.cid: s.marker for s in sess}, [s.cid + ": " + s.error for s in sess if s.error]


def wait_table(sock, n, timeout):
    """Poll "show table" until it has n entries; (entries, seconds waited)."""
    t0 = time.monotonic()
    tab = {}
    while time.monotonic() - t0 < timeout:
        try:
            tab = show_table(sock, "mqtt_brokers")
        except OSError:
            tab = {}
        if len(tab) >= n:
            break
        time.sleep(0.1)
    return tab, time.monotonic() - t0


def wait_resync(sock, section="mqtt_lbs", timeout=12.0):
    """Poll "show peers" until the section's resync from the local and the
    remote peers is finished (flags 0x1 and 0x2, the same bits in 2.6 and
    3.0). A stopping process teaches its successor only once that is true
    (peers.c, __process_stopping_peer_sync). Returns seconds waited, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            m = re.search(r"id=%s .*?flags=(0x[0-9a-fA-F]+)" % section,
                          stats_cmd(sock, "show peers"))
        except OSError:
            m = None
        if m and int(m.group(1), 16) & 3 == 3:
            return time.monotonic() - t0
        time.sleep(0.1)
    return None


@test
def peers_reload(env, clients):
    """peers.cfg on two instances; A reloaded with -sf keeps every entry"""
    n = max(50, min(clients // 4, 500))
    ports = env.brokers(3)
    la, lb, pa, pb = free_ports(4)
    cfg = recipe("peers.cfg")
    cfg = add_lines(cfg, r"^global", ['stats socket "${STATS_SOCK}" mode 600 level admin'])
    path = env.write_cfg("peers.cfg", cfg)
    common = broker_env(ports, 0)
    common.update({"PEER_A": "127.0.0.1:%d" % pa, "PEER_B": "127.0.0.1:%d" % pb})
    sa, sb = os.path.join(env.dir, "a.sock"), os.path.join(env.dir, "b.sock")
    ea = dict(common, MQTT_BIND="127.0.0.1:%d" % la, STATS_SOCK=sa)
    eb = dict(common, MQTT_BIND="127.0.0.1:%d" % lb, STATS_SOCK=sb)
    hap_a, _ = env.haproxy_run(path=path, env=ea, name="hap-a", ports=[la],
                               extra_args=["-L", "lb-a"])
    env.haproxy_run(path=path, env=eb, name="hap-b", ports=[lb], extra_args=["-L", "lb-b"])
    cids = ["peer-%04d/%s" % (i, "y" * (i % 30)) for i in range(n)]

    via_a, err = asyncio.run(whoami_all(la, cids))
    check(not err, "via A: %s" % sample(err))
    tab_b, sync_s = wait_table(sb, n, 10)
    fig("clients: %d; via A spread: %s", n, ", ".join(
        "%s=%d" % (b, sum(1 for m in via_a.values() if m == b)) for b in sorted(set(via_a.values()))))
    fig("B learned %d of %d entries from A in %.2f s", len(tab_b), n, sync_s)
    via_b, err = asyncio.run(whoami_all(lb, cids))
    check(not err, "via B: %s" % sample(err))
    mis_ab = [c for c in cids if via_b[c] != via_a[c]]
    fig("misroutes A -> B: %d", len(mis_ab))
    before = show_table(sa, "mqtt_brokers")

    resync0 = wait_resync(sa)
    # reload A: a new process with the same config and local peer name
    t0 = time.monotonic()
    new_a, _ = env.haproxy_run(path=path, env=ea, name="hap-a", ports=[la],
                               extra_args=["-L", "lb-a", "-sf", str(hap_a.pid)])
    try:
        old_status = hap_a.wait(15)
        old_exit = time.monotonic() - t0
    except subprocess.TimeoutExpired:
        old_status, old_exit = None, None
    after, _ = wait_table(sa, len(before), 10)
    lost = [k for k in before if k not in after]
    changed = [k for k in before if k in after and after[k] != before[k]]
    fig("reload: old A pid %d exited %s (status %s); new A pid %d",
        hap_a.pid, "after %.2f s" % old_exit if old_exit is not None else "NOT within 15 s",
        old_status, new_a.pid)
    fig("stick entries on A: before %d, after %d; lost %d, changed server %d",
        len(before), len(after), len(lost), len(changed))
    via_a2, err = asyncio.run(whoami_all(la, cids))
    check(not err, "via new A: %s" % sample(err))
    via_b2, err = asyncio.run(whoami_all(lb, cids))
    check(not err, "via B after the reload: %s" % sample(err))
    mis_re = [c for c in cids if via_a2[c] != via_a[c]]
    mis_b2 = [c for c in cids if via_b2[c] != via_a[c]]
    fig("misroutes after the reload: via A %d, via B %d", len(mis_re), len(mis_b2))
    # reload A again with B stopped: only the old A process can hand the
    # entries over (the local peer resync), not the remote peer
    resync = wait_resync(sa)
    fig("new A finished its resync %s after the reload check",
        "%.2f s" % resync if resync is not None else "NOT within 12 s")
    hap_b = env.proc("hap-b")
    hap_b.send_signal(signal.SIGUSR1)
    hap_b.wait(10)
    t0 = t_second = time.monotonic()
    new_a2, _ = env.haproxy_run(path=path, env=ea, name="hap-a", ports=[la],
                                extra_args=["-L", "lb-a", "-sf", str(new_a.pid)])
    try:
        old2_status = new_a.wait(15)
        old2_exit = time.monotonic() - t0
    except subprocess.TimeoutExpired:
        old2_status, old2_exit = None, None
    after2, _ = wait_table(sa, len(before), 10)
    lost2 = [k for k in before if k not in after2]
    changed2 = [k for k in before if k in after2 and after2[k] != before[k]]
    via_a3, err3 = asyncio.run(whoami_all(la, cids))
    mis_re2 = [c for c in cids if via_a3[c] != via_a[c]]
    fig("second reload with B stopped: old A exited %s; entries %d, lost %d, changed %d; "
        "misroutes via A %d", "after %.2f s" % old2_exit if old2_exit is not None else
        "NOT within 15 s", len(after2), len(lost2), len(changed2), len(mis_re2))
    check(resync0 is not None and resync is not None, "A's peers resync never finished")
    # probe, not a pass/fail criterion: reload once more at once, while B is
    # still down. The process being replaced started < 5 s ago and has not
    # finished its resync (the remote peer never answers; HAProxy gives up
    # after PEER_RESYNC_TIMEOUT, 5 s), and a stopping process teaches its
    # successor only once its own resync is finished.
    fin = "finished" if wait_resync(sa, timeout=0.01) is not None else "not finished"
    t0 = time.monotonic()
    new_a3, _ = env.haproxy_run(path=path, env=ea, name="hap-a", ports=[la],
                                extra_args=["-L", "lb-a", "-sf", str(new_a2.pid)])
    try:
        new_a2.wait(15)
    except subprocess.TimeoutExpired:
        pass
    after3, _ = wait_table(sa, len(before), 7)
    fig("probe: third reload %.1f s after the second, B still down, resync of the "
        "replaced process %s: %d of %d entries kept", t0 - t_second, fin, len(after3), len(before))
    check(len(tab_b) >= n, "B has %d of %d entries" % (len(tab_b), n))
    check(not mis_ab, "A->B misroutes: %s" % sample(mis_ab))
    check(len(before) >= n, "A has %d entries for %d clients" % (len(before), n))
    check(old_status is not None, "old A did not exit after -sf")
    check(not lost and not changed, "entries lost %s / changed %s" % (sample(lost), sample(changed)))
    check(not mis_re and not mis_b2, "misroutes after reload: %s" % sample(mis_re + mis_b2))
    check(not err3, "via A after the second reload: %s" % sample(err3))
    check(old2_status is not None, "A did not exit after the second -sf")
    check(not lost2 and not changed2 and not mis_re2,
          "second reload (B stopped): lost %s, changed %s, misroutes %s"
          % (sample(lost2), sample(changed2), sample(mis_re2)))
    check(new_a3.poll() is None, "new A exited")


# ---------------------------------------------------------------------------
# 3. slow clients
# ---------------------------------------------------------------------------

SLOW_BYTES = bytes.fromhex("101a00044d")   # first 5 bytes of a 28-byte CONNECT
INSPECT_DELAY = 2.0


async def slow_client(port, hold):
    """Send a partial CONNECT and never finish it. Returns (seconds until the
    peer closed or None, bytes received, how: FIN / RST / open)."""
    try:
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except (OSError, asyncio.TimeoutError) as e:
        return None, b"", "connect failed: %s" % e
    w.write(SLOW_BYTES)
    t0 = time.monotonic()
    got, how = b"", "open"
    try:
        while True:
            left = hold - (time.monotonic() - t0)
            if left <= 0:
                break
            d = await asyncio.wait_for(r.read(4096), left)
            if not d:
                how = "FIN"
                break
            got += d
    except asyncio.TimeoutError:
        pass
    except ConnectionResetError:
        how = "RST"
    dt = time.monotonic() - t0 if how != "open" else None
    w.close()
    return dt, got, how


async def slow_async(lp, n_slow, n_fast):
    slow = [asyncio.ensure_future(slow_client(lp, INSPECT_DELAY + 4)) for _ in range(n_slow)]
    await asyncio.sleep(0.2)    # the slow ones are in HAProxy, waiting
    t0 = time.monotonic()
    sess = await asyncio.gather(*(open_session(lp, "fast-%03d" % i, whoami=False)
                                  for i in range(n_fast)))
    t_fast = time.monotonic() - t0
    await asyncio.gather(*(close_session(s) for s in sess))
    slow_res = await asyncio.gather(*slow)
    return sess, t_fast, slow_res


@test
def slow_clients(env, clients):
    """50 half-sent CONNECTs held open while 200 clients connect (inspect-delay 2s)"""
    n_slow, n_fast = 50, 200
    ports = env.brokers(3)
    lp = free_port()
    cfg = recipe("basic.cfg")
    cfg2 = re.sub(r"(tcp-request inspect-delay\s+)\S+", r"\g<1>%gs" % INSPECT_DELAY, cfg)
    check(cfg2 != cfg, "basic.cfg has no tcp-request inspect-delay")
    env.haproxy_run(cfg2, broker_env(ports, lp), name="hap-slow", ports=[lp])
    sess, t_fast, slow_res = asyncio.run(slow_async(lp, n_slow, n_fast))
    ok = [s for s in sess if s.connack == 0]
    lat = [s.latency for s in ok]
    p50, p99, mx = percentile(lat, 50), percentile(lat, 99), max(lat) if lat else float("nan")
    fig("normal clients: %d of %d got CONNACK 0 in %.2f s; latency p50 %.1f ms, "
        "p99 %.1f ms, max %.1f ms", len(ok), n_fast, t_fast, p50 * 1e3, p99 * 1e3, mx * 1e3)
    closes = [r[0] for r in slow_res if r[0] is not None]
    hows = {}
    for r in slow_res:
        hows[r[2]] = hows.get(r[2], 0) + 1
    got = [r[1] for r in slow_res if r[1]]
    fig("slow clients: %d; closed by HAProxy: %d (%s) after %.2f-%.2f s (inspect-delay "
        "%.1f s); bytes received: %d", n_slow, len(closes),
        ", ".join("%s=%d" % kv for kv in sorted(hows.items())),
        min(closes) if closes else -1, max(closes) if closes else -1, INSPECT_DELAY,
        sum(len(g) for g in got))
    check(len(ok) == n_fast, "%d normal clients failed: %s" % (
        n_fast - len(ok), sample(s.cid + ": " + str(s.error) for s in sess if s.connack != 0)))
    check(p99 < 1.0, "p99 CONNACK latency %.3f s >= 1 s" % p99)
    check(len(closes) == n_slow, "%d slow clients still open after %.1f s"
          % (n_slow - len(closes), INSPECT_DELAY + 4))
    check(all(INSPECT_DELAY - 0.2 <= c <= INSPECT_DELAY + 1.5 for c in closes),
          "slow clients closed outside [%.1f, %.1f] s: %s" % (
              INSPECT_DELAY - 0.2, INSPECT_DELAY + 1.5, sample(sorted(closes))))
    check(not got, "slow clients received data: %s" % sample(g.hex() for g in got))


# ---------------------------------------------------------------------------

def options(ap):
    ap.add_argument("--asan", action="store_true",
                    help="sanitizer build: set ASAN_OPTIONS, fail on any report")
    ap.add_argument("--clients", type=int, default=int(os.environ.get("FAULT_CLIENTS", 2000)),
                    help="clients of the storm test (default 2000)")


if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__, extra_args=options))
