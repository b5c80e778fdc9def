#!/usr/bin/python3
"""End-to-end tests of the HAProxy MQTT addon: real HAProxy, real mosquitto
brokers, real clients (paho and raw sockets), everything on 127.0.0.1 with
ports chosen at run time.

    mqtt_e2e.py [--haproxy BIN]... [-k SUBSTRING]... [--smoke] [--list] [-v] [--keep]

BIN defaults to $HAPROXY_BIN, else build/bin/haproxy. Each test runs against
every binary given. Prints one line per test and a closing "N passed, N
failed"; exits non-zero on failure. --smoke runs the subset marked smoke
(stickiness with balance hash (hash.cfg), with stick on (plain and
basic.cfg), refusals, a CONNECT larger than the buffer, the addon in
`haproxy -vv`), the one run on every HAProxy series; the whole suite runs
on 3.0 and 3.4 (tests/e2e/e2e.mk). --list shows which tests are which.

Which broker a client reached: before a test, each broker gets a retained
message "brokerN" on topic "whoami" (published directly); the client
subscribes to "whoami" through the balancer and reads it. The helpers
(packets, raw client, brokers, HAProxy processes, runner) are
tests/lib/mqtttest.py, shared with the other suites.
"""

import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mqtttest  # noqa: E402
from mqtttest import (paho_whoami,  # noqa: E402
                      DISCONNECT, RECIPES, TOP, Suite, addon_line, broker_env,  # noqa: E402
                      check, haproxy_vv, connack_of, connect_packet, free_port, main, mstr, publish_packet,
                      raw_exchange, raw_session, read_packet, recv_all, show_stat, show_table,
                      subscribe_packet, v5_props, vbi)

VERBOSE = False
INFO = []       # figure lines, printed after each binary's tests


def log(*a):
    if VERBOSE:
        print("   ", *a, flush=True)


class E2E(Suite):
    """Each test runs against every binary; INFO lines follow a binary's
    results; a HAProxy log line that mentions a sanitizer fails the test."""

    def post_check(self, env, ok, detail):
        # a sanitizer build reports memory errors in HAProxy's output
        if ok:
            found = env.sanitizer_reports(loose=True)
            if found:
                return False, "sanitizer report: " + found[0]
        return ok, detail

    def configure(self, args):
        global VERBOSE
        VERBOSE = args.v

    def after_binary(self, binary, info):
        for line in INFO:
            print("      " + line)
        del INFO[:]


SUITE = E2E("e2e")
test = SUITE.test

# A configuration's head with a stats socket at %s.
STATS_HEAD = """
global
    stats socket %s mode 600 level admin
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""

# An HTTP frontend on port %d that answers the parse counters.
COUNTERS_FRONTEND = """frontend stats
    mode http
    bind 127.0.0.1:%d
    http-request return status 200 content-type text/plain lf-string "%%[mqtt_parse_bytes] %%[mqtt_parse_states]"
"""


def parse_counters(port):
    """(mqtt_parse_bytes, mqtt_parse_states) from a COUNTERS_FRONTEND."""
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n")
    data, _ = recv_all(s, 3)
    s.close()
    b, st = data.split(b"\r\n\r\n", 1)[1].split()
    return int(b), int(st)


# ---------------------------------------------------------------------------
# paho (1.6 in bookworm, 2.x elsewhere)
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Tests. Each takes an Env and raises AssertionError on failure.
# ---------------------------------------------------------------------------

def header_version():
    """MQTTP_VERSION_STRING of libmqttparse/include/mqttparse.h."""
    with open(os.path.join(TOP, "libmqttparse", "include", "mqttparse.h")) as f:
        return re.search(r'#define MQTTP_VERSION_STRING "([^"]+)"', f.read()).group(1)


@test(smoke=True)
def addon_in_vv(env):
    """haproxy -vv names the addon and the libmqttparse it was built with"""
    vv = haproxy_vv(env.haproxy)
    line = addon_line(vv)
    check(line, "no 'Built with the MQTT addon' line in -vv:\n" + vv[-1500:])
    m = re.search(r"libmqttparse (\S+) \(run-time (\S+)\)", line)
    want = header_version()
    check(m.group(1) == want and m.group(2) == want,
          "addon line %r: want libmqttparse %s built and at run time" % (line, want))
    check(re.search(r"HAProxy version %d\.%d[.-]" % env.version, vv),
          "version line does not say %d.%d" % env.version)


def sticky_run(port, ids, rounds, version=4):
    """Connect each id <rounds> times; return {id: set(markers)}."""
    seen = {}
    for r in range(rounds):
        for cid in ids:
            res = raw_session(port, connect_packet(cid, version=version), version=version)
            check(res["connack"] is not None and res["connack"][1] == 0,
                  "%s refused: %r" % (cid, res))
            seen.setdefault(cid, set()).add(res["marker"])
    return seen


def check_sticky(seen, min_brokers=2):
    moved = {k: v for k, v in seen.items() if len(v) != 1}
    check(not moved, "client ids that changed broker: %r" % moved)
    used = set().union(*seen.values())
    check(None not in used, "a client read no marker")
    check(len(used) >= min_brokers, "only brokers %r used" % used)


IDS = ["client-%03d" % i for i in range(24)] + ["", "x" * 200][:1] + ["sensor/ü-%d" % i for i in range(3)]


@test(smoke=True)
def stick_balance_hash(env):
    """balance hash req.mqtt_client_id(nonempty) as written (hash.cfg)"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="hash.cfg", env=broker_env(ports, lp), ports=[lp])
    ids = [i for i in IDS if i]
    check_sticky(sticky_run(lp, ids, 3))


@test(smoke=True)
def stick_on_plain(env):
    """balance roundrobin + stick on req.mqtt_client_id as written"""
    ports = env.brokers()
    lp = free_port()
    cfg = """
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mqtt
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.mqtt_client_id -m found }
    default_backend b
backend b
    balance roundrobin
    stick-table type string len 255 size 100k expire 1h
    stick on req.mqtt_client_id
%s""" % (lp, "".join("    server b%d 127.0.0.1:%d\n" % (i, p) for i, p in enumerate(ports)))
    env.haproxy_run(cfg, ports=[lp])
    check_sticky(sticky_run(lp, [i for i in IDS if i], 3))


@test(smoke=True)
def stick_basic_recipe(env):
    """basic.cfg: hash + mqtt_key stick table, 3.1 / 3.1.1 / 5.0 clients"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports, lp), ports=[lp])
    ids = [i for i in IDS if i]
    seen = sticky_run(lp, ids, 2)
    for v in (3, 5):
        s2 = sticky_run(lp, ids[:8], 1, version=v)
        for k, m in s2.items():
            seen[k] |= m
    check_sticky(seen)


@test
def split_connects(env):
    """CONNECT dribbled byte by byte, split inside the length and the client id"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports, lp), ports=[lp])
    cid = "split-" + "k" * 150  # remaining length > 127: two length bytes
    pkt = connect_packet(cid, user="u", password=b"p")
    ref = raw_session(lp, pkt)["marker"]
    check(ref, "no marker for the one-shot CONNECT")
    r = raw_session(lp, pkt, chunks=list(range(1, len(pkt))), delay=0.003)
    check(r["connack"] and r["connack"][1] == 0, "byte-by-byte refused: %r" % r)
    check(r["marker"] == ref, "byte-by-byte went to %r, not %r" % (r["marker"], ref))
    # after the first length byte; then in the middle of the client id
    r = raw_session(lp, pkt, chunks=[2, 14 + 70], delay=0.2)
    check(r["marker"] == ref, "split length/client id went to %r, not %r" % (r["marker"], ref))
    # v5 with properties, split in the property block
    pkt5 = connect_packet(cid, version=5, props=b"\x11\x00\x00\x00\x3c\x21\x00\x10")
    r = raw_session(lp, pkt5, chunks=[1, 13, 15], delay=0.1, version=5)
    check(r["connack"] and r["connack"][1] == 0 and r["marker"] == ref,
          "v5 split: %r (expected %s)" % (r, ref))


@test(smoke=True)
def large_connect(env):
    """CONNECT larger than tune.bufsize 16384 (60 KB password) routes on its client id"""
    ports = env.brokers()
    lp = free_port()
    cfg = open(os.path.join(RECIPES, "basic.cfg")).read().replace(
        "global\n", "global\n    tune.bufsize 16384\n", 1)
    env.haproxy_run(cfg, env=broker_env(ports, lp), ports=[lp])
    for cid in ("big-1", "big-2", "big-3"):
        small = raw_session(lp, connect_packet(cid))["marker"]
        big = raw_session(lp, connect_packet(cid, user="jwt", password=os.urandom(60000)))
        check(big["connack"] and big["connack"][1] == 0, "60 KB CONNECT refused: %r" % big)
        check(big["marker"] == small, "%s: big CONNECT went to %r, small to %r"
              % (cid, big["marker"], small))


def simultaneous_connects(port, ids, per_id, timeout=10.0):
    """Opens per_id connections for each id in ids (3.1.1 and 5.0
    alternately) and sends each CONNECT but its last byte; the balancer
    waits for the rest of the client id. Then, id after id, the last bytes
    of all per_id connections are sent back to back (within ~0.1 ms, less
    than one broker round trip), as in a reconnect storm. Waits for each
    CONNACK or close; returns the number of CONNACKs with code 0."""
    conns = []
    try:
        for i, cid in enumerate(ids):
            for k in range(per_id):
                version = 5 if (i + k) % 2 else 4
                pkt = connect_packet(cid, version=version)
                s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
                s.sendall(pkt[:-1])
                conns.append((s, pkt[-1:]))
        time.sleep(0.2)
        for s, last in conns:
            s.sendall(last)
        ok = 0
        for s, _ in conns:
            try:
                pk = read_packet(s)
            except OSError:
                pk = None  # taken over by a newer connection of the same id
            if pk is not None and pk[0] == 0x20 and len(pk[1]) >= 2 and pk[1][1] == 0:
                ok += 1
        return ok
    finally:
        for s, _ in conns:
            try:
                s.close()
            except OSError:
                pass


@test
def same_id_simultaneous(env):
    """basic.cfg: 32 simultaneous connections per client id (6 ids) all reach one broker"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports, lp), ports=[lp])
    ids = ["storm-%d/%s" % (i, "w" * (i * 7)) for i in range(6)]
    per_id = 32
    n_empty = 30
    acked = simultaneous_connects(lp, ids + [""], per_id)
    # a second burst of empty ids only: the round-robin fallback must spread them
    acked += simultaneous_connects(lp, [""], n_empty)
    want = len(ids) * per_id
    deadline = time.time() + 10
    while True:
        seen = env.broker_clients()
        got = sum(sum(seen.get(cid, {}).values()) for cid in ids)
        auto = {}
        for cid, per in seen.items():
            if cid.startswith("auto-"):
                for b, n in per.items():
                    auto[b] = auto.get(b, 0) + n
        if (got >= want and sum(auto.values()) >= per_id + n_empty) or time.time() > deadline:
            break
        time.sleep(0.1)
    spread = {cid: dict(sorted(seen.get(cid, {}).items())) for cid in ids}
    INFO.append("simultaneous: %d ids x %d connections + %d empty ids: per id {broker: n} %s; "
                "empty ids per broker %s; %d CONNACKs 0"
                % (len(ids), per_id, per_id + n_empty,
                   "; ".join("%s %s" % (cid[:7], spread[cid]) for cid in ids),
                   dict(sorted(auto.items())), acked))
    log(INFO[-1])
    split = {cid: per for cid, per in spread.items() if len(per) != 1}
    check(not split, "client ids split over brokers: %r" % split)
    check(got == want, "brokers saw %d of the %d connections: %r" % (got, want, spread))
    check(len({b for per in spread.values() for b in per}) >= 2,
          "all ids on one broker, the test proves nothing: %r" % spread)
    check(len(auto) >= 2, "empty client ids all on broker(s) %r: no fallback spread" % auto)


@test
def same_id_simultaneous_recipes(env):
    """the other routing recipes: 30 simultaneous connections per client id reach one broker"""
    ports = env.brokers()
    recipes = ["hash.cfg", "empty-id-fallback.cfg", "mqtt5-assigned-id.cfg", "bridge.cfg",
               "peers.cfg", "storm.cfg"]
    per_id = 30
    bad, figs = [], []
    for rcp in recipes:
        lp = free_port()
        e = broker_env(ports, lp)
        extra = []
        if rcp == "peers.cfg":
            e.update({"PEER_A": "127.0.0.1:%d" % free_port(), "PEER_B": "127.0.0.1:%d" % free_port()})
            extra = ["-L", "lb-a"]
        env.haproxy_run(recipe=rcp, env=e, ports=[lp], name="hap-" + rcp[:-4], extra_args=extra)
        ids = ["%s-%d" % (rcp[:-4], i) for i in range(3)]
        want = per_id * len(ids)
        if rcp == "storm.cfg":
            ids = ids[:1]
            want = 5  # the recipe refuses the CONNECTs of an id beyond 5 in 10 s
        simultaneous_connects(lp, ids, per_id)
        deadline = time.time() + 10
        while True:
            seen = env.broker_clients()
            if sum(sum(seen.get(c, {}).values()) for c in ids) >= want or time.time() > deadline:
                break
            time.sleep(0.1)
        spread = {c: dict(sorted(seen.get(c, {}).items())) for c in ids}
        figs.append("%s %s" % (rcp, " ".join(str(v) for v in spread.values())))
        for c, per in spread.items():
            if len(per) != 1:
                bad.append("%s: %s split %r" % (rcp, c, per))
    INFO.append("simultaneous (recipes, {broker: connections} per id): " + "; ".join(figs))
    check(not bad, "\n      ".join(bad))


@test
def paho_versions_and_empty_id(env):
    """paho 3.1 / 3.1.1 / 5.0 clients; empty client ids spread (round-robin fallback)"""
    import paho.mqtt.client as mqtt
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports, lp), ports=[lp])
    for proto in (mqtt.MQTTv31, mqtt.MQTTv311, mqtt.MQTTv5):
        a = paho_whoami(lp, "paho-%d" % proto, proto)
        b = paho_whoami(lp, "paho-%d" % proto, proto)
        check(a["rc"] == 0 and a["marker"], "protocol %d: %r" % (proto, a))
        check(a["marker"] == b["marker"], "protocol %d moved: %r %r" % (proto, a, b))
    markers = set()
    for _ in range(6):
        r = paho_whoami(lp, "", mqtt.MQTTv311)
        check(r["rc"] == 0 and r["marker"], "empty id 3.1.1: %r" % r)
        markers.add(r["marker"])
        r = paho_whoami(lp, "", mqtt.MQTTv5)
        check(r["rc"] == 0 and r["marker"], "empty id 5.0: %r" % r)
        markers.add(r["marker"])
    check(len(markers) >= 2, "empty ids all went to %r (no fallback spread)" % markers)


@test
def empty_id_fallback_recipe(env):
    """empty-id-fallback.cfg: ids hash, empty ids spread by load"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="empty-id-fallback.cfg", env=broker_env(ports, lp), ports=[lp])
    check_sticky(sticky_run(lp, ["e-%d" % i for i in range(12)], 2))
    markers = {raw_session(lp, connect_packet(""))["marker"] for _ in range(9)}
    check(None not in markers and len(markers) >= 2, "empty ids: %r" % markers)


# (name, CONNECT bytes, expected answer bytes, closed)
INVALID = [
    # what a 3.1.1 broker must answer [MQTT-3.1.2-2] and what mosquitto 2.0.11
    # answers for MQTT/6, MQTT/2, MQTT/3 and MQIsdp/4 alike (checked)
    ("\"MQTT\" level 6: return code 1 in 3.1.1 format, as mosquitto",
     bytes.fromhex("100c00044d515454060200000000"), bytes.fromhex("20020001")),
    ("\"MQIsdp\" level 4: return code 1",
     bytes.fromhex("100e00064d51497364700402003c0000"), bytes.fromhex("20020001")),
    ("3.1.1 reserved connect flag: close, no CONNACK [MQTT-3.1.4-1]",
     bytes.fromhex("100c00044d515454040300000000"), b""),
    ("5.0 reserved connect flag: 0x81",
     bytes.fromhex("100d00044d51545405030000000000"), bytes.fromhex("2003008100")),
    ("3.1.1 empty id without clean session: return code 2 [MQTT-3.1.3-8]",
     bytes.fromhex("100c00044d515454040000000000"), bytes.fromhex("20020002")),
    ("3.1 empty client id: return code 2",
     bytes.fromhex("100e00064d514973647003020000" "0000"), bytes.fromhex("20020002")),
    ("3.1.1 client id with C0 80 (overlong NUL): close",
     bytes.fromhex("100e00044d5154540402003c0002c080"), b""),
    ("5.0 client id with ED A0 80 (surrogate): 0x81",
     bytes.fromhex("101000044d5154540502003c000003eda080"), bytes.fromhex("2003008100")),
    ("5.0 receive maximum 0: protocol error 0x82",
     bytes.fromhex("101000044d5154540502003c03210000" "0000"), bytes.fromhex("2003008200")),
    ("first packet PINGREQ: close",
     bytes.fromhex("c000"), b""),
    ("HTTP instead of MQTT: close",
     b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b""),
    ("3.1.1 password without user name: close [MQTT-3.1.2-22]",
     bytes.fromhex("101100044d5154540442003c000161000170"), b""),
]


@test(smoke=True)
def invalid_connects(env):
    """invalid CONNECTs get exactly the CONNACK a broker sends (or a close)"""
    ports = env.brokers(1)
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports * 3, lp), ports=[lp])
    bad = []
    for name, data, want in INVALID:
        got, closed = raw_exchange(lp, data)
        if got != want or not closed:
            bad.append("%s: got %s closed=%s, want %s" % (name, got.hex() or "-", closed,
                                                          want.hex() or "-"))
        # byte by byte gives the same answer
        s = socket.create_connection(("127.0.0.1", lp), timeout=3)
        try:
            for i in range(len(data)):
                s.sendall(data[i:i + 1])
                time.sleep(0.002)
        except OSError:
            pass
        got2, closed2 = recv_all(s, 3)
        s.close()
        if got2 != want:
            bad.append("%s (byte by byte): got %s, want %s" % (name, got2.hex() or "-", want.hex() or "-"))
    check(not bad, "\n      ".join(bad))


@test(smoke=True)
def refuse_reasons(env):
    """mqtt-refuse <reason> [server-reference]: CONNACK in the client's version"""
    ports = env.brokers(1)
    lp = free_port()
    cfg = """
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mqtt
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content mqtt-refuse if { req.mqtt_error -m found }
    tcp-request content mqtt-refuse use-another-server server-reference other.example:1883 if { req.mqtt_client_id -m beg moved- }
    tcp-request content mqtt-refuse banned if { req.mqtt_client_id -m beg banned- }
    tcp-request content mqtt-refuse bad-username-or-password if { req.mqtt_username -m str nobody }
    tcp-request content mqtt-refuse unsupported-protocol-version if { req.mqtt_bridge }
    tcp-request content mqtt-refuse if { req.mqtt_user_prop(role) -m str guest }
    tcp-request content reject unless { req.mqtt_client_id -m found }
    default_backend b
backend b
    server b1 127.0.0.1:%d
""" % (lp, ports[0])
    env.haproxy_run(cfg, ports=[lp])
    sref = b"other.example:1883"
    cases = [
        ("v5 use-another-server + server reference", connect_packet("moved-1", version=5),
         bytes([0x20, 3 + 3 + len(sref), 0, 0x9C, 3 + len(sref), 0x1C, 0, len(sref)]) + sref),
        ("v3.1.1 use-another-server -> 3", connect_packet("moved-1"), bytes.fromhex("20020003")),
        ("v3.1 banned -> 5", connect_packet("banned-1", version=3), bytes.fromhex("20020005")),
        ("v5 banned -> 0x8a", connect_packet("banned-1", version=5), bytes.fromhex("2003008a00")),
        ("v3.1.1 bad user -> 4", connect_packet("c", user="nobody"), bytes.fromhex("20020004")),
        ("v5 bad user -> 0x86", connect_packet("c", version=5, user="nobody"), bytes.fromhex("2003008600")),
        ("bridge 0x84 -> return code 1 (bridge falls back)",
         connect_packet("br", level=0x84), bytes.fromhex("20020001")),
        ("bridge 0x85 (5.0) -> reason 0x84",
         connect_packet("br", version=5, level=0x85), bytes.fromhex("2003008400")),
        ("bridge 0x83 (3.1) -> return code 1",
         connect_packet("br", version=3, level=0x83), bytes.fromhex("20020001")),
        ("v5 no reason, valid CONNECT -> not authorized 0x87",
         connect_packet("g", version=5, props=b"\x26" + mstr("role") + mstr("guest")),
         bytes.fromhex("2003008700")),
    ]
    bad = []
    for name, data, want in cases:
        got, closed = raw_exchange(lp, data)
        if got != want or not closed:
            bad.append("%s: got %s closed=%s want %s" % (name, got.hex(), closed, want.hex()))
    ok = raw_session(lp, connect_packet("fine", version=5, props=b"\x26" + mstr("role") + mstr("admin")),
                     version=5, whoami=False)
    if not ok["connack"] or ok["connack"][1] != 0:
        bad.append("a valid admin client was refused: %r" % ok)
    check(not bad, "\n      ".join(bad))


@test
def refuse_on_response(env):
    """tcp-response content mqtt-refuse replaces the broker's CONNACK"""
    ports = env.brokers(1)
    lp = free_port()
    cfg = """
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mqtt
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.mqtt_client_id -m found }
    tcp-request content set-var(txn.drain) bool(true) if { req.mqtt_client_id -m beg drain- }
    default_backend b
backend b
    tcp-response inspect-delay 5s
    tcp-response content mqtt-refuse server-moved server-reference new.example if { res.mqtt_connack_code eq 0 } { var(txn.drain) -m bool }
    server b1 127.0.0.1:%d
""" % (lp, ports[0])
    env.haproxy_run(cfg, ports=[lp])
    ref = b"new.example"
    want5 = bytes([0x20, 6 + len(ref), 0, 0x9D, 3 + len(ref), 0x1C, 0, len(ref)]) + ref
    bad = []
    for name, pkt, want in (("v5", connect_packet("drain-1", version=5), want5),
                            ("v3.1.1", connect_packet("drain-1"), bytes.fromhex("20020003"))):
        got, closed = raw_exchange(lp, pkt)
        if got != want or not closed:
            bad.append("%s: got %s closed=%s, want %s" % (name, got.hex(), closed, want.hex()))
    r = raw_session(lp, connect_packet("stay-1", version=5), version=5, whoami=False)
    if not r["connack"] or r["connack"][1] != 0:
        bad.append("stay-1 refused: %r" % r)
    check(not bad, "; ".join(bad))


@test
def refuse_counters(env):
    """mqtt-refuse counts denied requests/responses in the stats exactly as HAProxy's own reject"""
    ports = env.brokers(1)
    la, lb = free_port(), free_port()
    sock = os.path.join(env.dir, "stats.sock")
    # Two identical frontend/backend pairs: "mq" refuses with the addon's
    # mqtt-refuse, "hr" with HAProxy's own tcp-request/tcp-response reject.
    pair = """
frontend fe_%(n)s
    bind 127.0.0.1:%(port)d name l_%(n)s
    option socket-stats
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.mqtt_client_id -m found }
    tcp-request content %(req)s if { req.mqtt_client_id -m beg banned- }
    tcp-request content set-var(txn.drain) bool(true) if { req.mqtt_client_id -m beg drain- }
    default_backend be_%(n)s
backend be_%(n)s
    tcp-response inspect-delay 5s
    tcp-response content %(resp)s if { res.mqtt_connack_code eq 0 } { var(txn.drain) -m bool }
    server s_%(n)s 127.0.0.1:%(broker)d
"""
    cfg = STATS_HEAD % sock
    cfg += pair % {"n": "mq", "port": la, "req": "mqtt-refuse banned",
                   "resp": "mqtt-refuse server-moved", "broker": ports[0]}
    cfg += pair % {"n": "hr", "port": lb, "req": "reject", "resp": "reject", "broker": ports[0]}
    env.haproxy_run(cfg, ports=[la, lb])
    fields = [("fe_%s", "FRONTEND", "dreq"), ("fe_%s", "FRONTEND", "dresp"),
              ("fe_%s", "l_%s", "dreq"), ("fe_%s", "l_%s", "dresp"),
              ("be_%s", "BACKEND", "dresp"), ("be_%s", "s_%s", "dresp")]

    def counters(n):
        # the port probes of haproxy_run were denied too ("reject unless"):
        # the test compares differences of two snapshots
        time.sleep(0.3)
        st = show_stat(sock)
        out = {}
        for px, sv, f in fields:
            row = st.get((px % n, sv % n if "%" in sv else sv))
            check(row is not None, "no stats row %s/%s: %r" % (px % n, sv, sorted(st)))
            out[(px, sv, f)] = int(row.get(f) or 0)
        return out
    mq0, hr0 = counters("mq"), counters("hr")
    n_req, n_resp, n_ok = 3, 4, 2
    for port in (la, lb):
        for i in range(n_req):
            raw_exchange(port, connect_packet("banned-%d" % i))
        for i in range(n_resp):
            raw_exchange(port, connect_packet("drain-%d" % i))
        for i in range(n_ok):
            r = raw_session(port, connect_packet("fine-%d" % i), whoami=False)
            check(r["connack"] and r["connack"][1] == 0, "fine-%d refused on %d: %r" % (i, port, r))
    # the banned clients were answered by the addon: a CONNACK, then close
    got, closed = raw_exchange(la, connect_packet("banned-x"))
    check(got == bytes.fromhex("20020005") and closed, "mqtt-refuse banned: %s" % got.hex())
    n_req += 1
    got, closed = raw_exchange(lb, connect_packet("banned-x"))
    check(got == b"" and closed, "reject: %s" % got.hex())
    mq1, hr1 = counters("mq"), counters("hr")
    mq = {k: mq1[k] - mq0[k] for k in fields}
    hr = {k: hr1[k] - hr0[k] for k in fields}
    INFO.append("denied counters (mqtt-refuse / HAProxy reject): " + ", ".join(
        "%s/%s %s %d/%d" % (px.replace("_%s", ""), sv.replace("_%s", ""), f, mq[k], hr[k])
        for k in fields for px, sv, f in [k]))
    check(mq[fields[0]] == n_req, "frontend dreq %d after %d request refusals" % (mq[fields[0]], n_req))
    check(mq[fields[4]] == n_resp, "backend dresp %d after %d response refusals"
          % (mq[fields[4]], n_resp))
    diff = ["%s/%s %s: mqtt-refuse %d, reject %d" % (px % "*", sv % "*" if "%" in sv else sv, f,
                                                     mq[(px, sv, f)], hr[(px, sv, f)])
            for px, sv, f in fields if mq[(px, sv, f)] != hr[(px, sv, f)]]
    check(not diff, "counted unlike HAProxy's own reject: " + "; ".join(diff))


@test
def many_concurrent_handshakes(env):
    """700 half-sent CONNECTs at once (more than the per-thread parse cache), then completed"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="hash.cfg", env=broker_env(ports, lp), ports=[lp])
    n = 700
    ids = ["conc-%04d-%s" % (i, "q" * (i % 40)) for i in range(n)]
    expect = {}
    for cid in ids[:60]:
        expect[cid] = raw_session(lp, connect_packet(cid))["marker"]
    socks = []
    for cid in ids:
        pkt = connect_packet(cid)
        s = socket.create_connection(("127.0.0.1", lp), timeout=10)
        cut = 9 + len(cid) // 2
        s.sendall(pkt[:cut])
        socks.append((cid, s, pkt[cut:]))
    time.sleep(0.5)
    for cid, s, rest in socks:
        s.sendall(rest)
    bad = []
    for cid, s, rest in socks:
        pk = read_packet(s)
        if pk is None or connack_of(pk)[1] != 0:
            bad.append("%s: %r" % (cid, pk))
        s.close()
    check(not bad, "%d refused, e.g. %s" % (len(bad), bad[:3]))
    for cid in ids[:60]:
        m = raw_session(lp, connect_packet(cid))["marker"]
        if m != expect[cid]:
            bad.append("%s moved %s -> %s" % (cid, expect[cid], m))
    check(not bad, "; ".join(bad[:5]))


@test
def config_errors(env):
    """bad mqtt_prop names and refusal reasons fail at configuration parse"""
    base = """
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend f
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    %%s
    default_backend b
backend b
    server s 127.0.0.1:1
""" % free_port()
    cases = [
        ("tcp-request content accept if { req.mqtt_prop(no_such_thing) -m found }",
         ["req.mqtt_prop", "no_such_thing", "session_expiry_interval"]),
        ("tcp-request content accept if { req.mqtt_prop(assigned_client_identifier) -m found }",
         ["assigned_client_identifier", "receive_maximum"]),
        ("tcp-request content accept if { req.mqtt_prop(user_property) -m found }",
         ["req.mqtt_user_prop"]),
        ("tcp-request content mqtt-refuse not-a-reason",
         ["mqtt-refuse", "not-a-reason", "not-authorized", "server-moved"]),
        ("tcp-request content mqtt-refuse banned extra",
         ["mqtt-refuse", "extra"]),
        ("tcp-request content reject unless { req.mqtt_client_id(non_empty) -m found }",
         ["req.mqtt_client_id", "non_empty", "nonempty"]),
        ("tcp-request content reject unless { req.mqtt_client_id(nonempty,x) -m found }",
         ["req.mqtt_client_id"]),
        ("tcp-request content track-sc0 req.mqtt_client_id,mqtt_key(7)",
         ["mqtt_key", "8 to 255", "got 7"]),
        ("tcp-request content track-sc0 req.mqtt_client_id,mqtt_key(256)",
         ["mqtt_key", "8 to 255", "got 256"]),
        ("tcp-request content mqtt-validate strict",
         ["mqtt-validate", "no argument", "strict"]),
    ]
    bad = []
    for i, (line, words) in enumerate(cases):
        cfg = os.path.join(env.dir, "bad%d.cfg" % i)
        with open(cfg, "w") as f:
            f.write(base % line)
        r = subprocess.run([env.haproxy, "-c", "-f", cfg], capture_output=True, text=True)
        msg = r.stdout + r.stderr
        if r.returncode == 0 or not all(w in msg for w in words):
            bad.append("%r: rc=%d, message lacks %r: %s" % (line, r.returncode, words, msg.strip()[-400:]))
    good = os.path.join(env.dir, "good.cfg")
    with open(good, "w") as f:
        f.write(base % "tcp-request content accept if { req.mqtt_prop(will_delay_interval) -m found } "
                "{ req.mqtt_prop(session_expiry_interval) -m found } { req.mqtt_client_id(nonempty) -m found }")
    r = subprocess.run([env.haproxy, "-c", "-f", good], capture_output=True, text=True)
    if r.returncode != 0:
        bad.append("valid config refused: " + r.stdout + r.stderr)
    check(not bad, "\n      ".join(bad))


def mqtt_key(cid, size):
    """What the mqtt_key(<size>) converter gives for client id <cid> (bytes):
    for up to size - 3 bytes, 16 bits of a multiplicative hash over its
    little-endian 64-bit words (the last one ending at its last byte), its
    length, the id; else two bytes of its SHA-256, 0xFF, the next ones (up
    to size - 1 digest bytes in all); then zeros up to size."""
    m, k64, n = (1 << 64) - 1, 0x9E3779B97F4A7C15, len(cid)
    if n + 3 <= size:
        h = (n + 1) * k64 & m
        words = [cid[i:i + 8] for i in range(0, n - 8, 8)] + [cid[-8:]] if n >= 8 else [cid]
        for w in words:
            h = (h ^ int.from_bytes(w, "little")) * k64 & m
        k = (h >> 48).to_bytes(2, "big") + bytes([n]) + cid
    else:
        d = hashlib.sha256(cid).digest()[:size - 1]
        k = d[:2] + b"\xff" + d[2:]
    return k + b"\0" * (size - len(k))


@test(smoke=True)
def stick_key_exact(env):
    """mqtt_key: exact keys up to size - 3 bytes, SHA-256 beyond; ids sharing a long prefix stay apart"""
    ports = env.brokers()
    lp, lq = free_port(), free_port()
    sock = os.path.join(env.dir, "stats.sock")
    servers = "".join("    server b%d 127.0.0.1:%d\n" % (i, p) for i, p in enumerate(ports))
    # round robin under the table: only the table keeps an id on its broker
    cfg = STATS_HEAD % sock + """
frontend f64
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend b64
backend b64
    balance roundrobin
    stick-table type binary len 64 size 10k expire 1h
    stick on req.mqtt_client_id(nonempty),mqtt_key(64)
%sfrontend f32
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend b32
backend b32
    balance roundrobin
    stick-table type binary len 32 size 10k expire 1h
    stick on req.mqtt_client_id(nonempty),mqtt_key
%s""" % (lp, servers, lq, servers)
    env.haproxy_run(cfg, ports=[lp, lq])
    long_a = "p" * 64 + "-a" * 20   # 104 bytes, the first 64 shared
    long_b = "p" * 64 + "-b" * 20
    cases = [(lp, "b64", 64, ["k", "é-ü-" + "x" * 54, "y" * 61, "z" * 62, "w" * 63, long_a, long_b]),
             (lq, "b32", 32, ["x" * 7, "x" * 8, "x" * 9, "ab" * 8, "x" * 29, "x" * 30, long_a, long_b])]
    bad = []
    for port, table, size, ids in cases:
        first = {}
        for rnd in range(3):
            for cid in ids:
                r = raw_session(port, connect_packet(cid))
                if not r["marker"]:
                    bad.append("%s: %r got no marker: %r" % (table, cid[:20], r))
                first.setdefault(cid, r["marker"])
                if r["marker"] != first[cid]:
                    bad.append("%s: %r moved %s -> %s" % (table, cid[:20], first[cid], r["marker"]))
        keys = show_table(sock, table)
        want = {mqtt_key(cid.encode(), size).hex().upper() for cid in ids}
        got = {k.upper() for k in keys}
        if got != want:
            bad.append("%s keys: extra %s, missing %s" % (table, sorted(got - want), sorted(want - got)))
    check(not bad, "\n      ".join(bad))


@test
def validate_action(env):
    """mqtt-validate: waits, refuses like mqtt-refuse, closes (counted as reject) when no client id came in time"""
    ports = env.brokers(1)
    la, lb = free_port(), free_port()
    sock = os.path.join(env.dir, "stats.sock")
    pair = """
frontend fe_%(n)s
    bind 127.0.0.1:%(port)d name l_%(n)s
    option socket-stats
    tcp-request inspect-delay 1s
%(rules)s    default_backend be
"""
    cfg = STATS_HEAD % sock + """backend be
    server s 127.0.0.1:%d
""" % ports[0]
    cfg += pair % {"n": "va", "port": la, "rules": "    tcp-request content mqtt-validate\n"}
    cfg += pair % {"n": "two", "port": lb, "rules":
                   "    tcp-request content mqtt-refuse if { req.mqtt_error -m found }\n"
                   "    tcp-request content reject unless { req.mqtt_client_id -m found }\n"}
    env.haproxy_run(cfg, ports=[la, lb])

    def dreq(n):
        time.sleep(0.3)
        row = show_stat(sock).get(("fe_%s" % n, "FRONTEND"))
        check(row is not None, "no stats row for fe_%s" % n)
        return int(row.get("dreq") or 0)
    pkt = connect_packet("slow-id-" + "s" * 40, user="u", password=b"p")
    cases = [(name, data) for name, data, _ in INVALID] + [
        ("valid", connect_packet("ok-1")),
        ("valid 5.0", connect_packet("ok-5", version=5)),
        ("first bytes, then nothing", pkt[:9]),
        ("up to the client id, then nothing", pkt[:30]),
        ("not MQTT", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]
    bad = []
    d0 = {n: dreq(n) for n in ("va", "two")}
    for name, data in cases:
        t0 = time.time()
        ans = {}
        for n, port in (("va", la), ("two", lb)):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(data)
            got, closed = recv_all(s, 1.6)
            s.close()
            ans[n] = (got[:4], closed)
        if ans["va"] != ans["two"]:
            bad.append("%s: mqtt-validate %r, the two rules %r" % (name, ans["va"], ans["two"]))
        if name.endswith("then nothing") and (ans["va"][0] or time.time() - t0 < 1.5):
            bad.append("%s: answered %r after %.1f s (want a close after the 1 s delay)"
                       % (name, ans["va"], time.time() - t0))
    d1 = {n: dreq(n) for n in ("va", "two")}
    refused = len(cases) - 2
    if d1["va"] - d0["va"] != d1["two"] - d0["two"] or d1["va"] - d0["va"] < refused:
        bad.append("denied requests: mqtt-validate %d, the two rules %d (%d refusals sent)"
                   % (d1["va"] - d0["va"], d1["two"] - d0["two"], refused))
    INFO.append("mqtt-validate vs mqtt-refuse + reject: %d inputs, same answers; dreq %d / %d"
                % (len(cases), d1["va"] - d0["va"], d1["two"] - d0["two"]))
    check(not bad, "\n      ".join(bad))


@test
def fields_on_demand(env):
    """a field asked for after a client-id-only parse (CONNECT complete or still arriving) has its value"""
    ports = env.brokers(2)
    la, lb, ls = free_port(), free_port(), free_port()
    # la: mqtt-validate first (the CONNECT is whole when the user name is
    # asked for); lb: the protocol version first, the user name while the
    # CONNECT still arrives. Each frontend in its own process, so that no
    # earlier field fetch of the process changed how requests are parsed.
    tmpl = """
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
%(stats)sfrontend f
    bind 127.0.0.1:%(port)d
    tcp-request inspect-delay 5s
%(first)s    tcp-request content reject unless { req.mqtt_username -m found }
    use_backend alice if { req.mqtt_username -m str alice } { req.mqtt_password -m bin 7077 }
    default_backend other
backend alice
    server a 127.0.0.1:%(a)d
backend other
    server o 127.0.0.1:%(o)d
"""
    stats = COUNTERS_FRONTEND % ls
    env.haproxy_run(tmpl % {"stats": "", "port": la, "a": ports[0], "o": ports[1],
                            "first": "    tcp-request content mqtt-validate\n"}, name="hap-a", ports=[la])
    env.haproxy_run(tmpl % {"stats": stats, "port": lb, "a": ports[0], "o": ports[1],
                            "first": "    tcp-request content reject if { req.mqtt_proto_version 9 }\n"},
                    name="hap-b", ports=[lb, ls])
    want = {}
    for user in ("alice", "bob"):
        want[user] = raw_session(la, connect_packet("fod-" + user, user=user, password=b"pw"))["marker"]
    check(want["alice"] and want["bob"] and want["alice"] != want["bob"],
          "user names not routed apart: %r" % want)

    def counters():
        return parse_counters(ls)
    bad = []
    # lb first: its first CONNECT is parsed again when the user name is
    # asked for (nothing asked for fields in that process before); the
    # next ones record them from the start
    for port in (lb, la):
        for user in ("alice", "bob", "alice"):
            pkt = connect_packet("fod-" + user + "-" + "q" * 30, user=user, password=b"pw",
                                 version=5, props=b"\x11\x00\x00\x00\x10")
            # cut after the protocol level, then after the client id
            c0 = counters() if port == lb else None
            r = raw_session(port, pkt, chunks=[12, 60], delay=0.1, version=5)
            c1 = counters() if port == lb else None
            if r["marker"] != want[user]:
                bad.append("port %d user %s: went to %r, not %r" % (port, user, r["marker"], want[user]))
            if c0 and (c1[0] - c0[0] > 2 * len(pkt) or c1[1] - c0[1] != 1):
                bad.append("user %s: %d bytes fed, %d states for a %d-byte CONNECT"
                           % (user, c1[0] - c0[0], c1[1] - c0[1], len(pkt)))
    for user in ("alice", "bob"):
        r = raw_session(lb, connect_packet("fod-" + user, user=user, password=b"pw"))
        if r["marker"] != want[user]:
            bad.append("whole CONNECT, user %s: went to %r, not %r" % (user, r["marker"], want[user]))
    check(not bad, "\n      ".join(bad))


def forcing_broker(prefix):
    """A fake 5.0 broker on a free port: it answers every CONNECT with a
    CONNACK that carries the Assigned Client Identifier <prefix><n> (n = 1,
    2, ... per connection), whatever the client's id, sent in three pieces
    50 ms apart. Returns (listening socket, port)."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    count = [0]

    def serve(c, n):
        props = b"\x12" + mstr("%s%d" % (prefix, n))
        connack = b"\x20" + vbi(3 + len(props)) + b"\x00\x00" + vbi(len(props)) + props
        try:
            if read_packet(c) is None:
                return
            for a, b in ((0, 2), (2, 6), (6, len(connack))):
                c.sendall(connack[a:b])
                time.sleep(0.05)
            while c.recv(4096):
                pass
        except OSError:
            pass
        finally:
            c.close()

    def accept():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            count[0] += 1
            threading.Thread(target=serve, args=(c, count[0]), daemon=True).start()
    threading.Thread(target=accept, daemon=True).start()
    return srv, srv.getsockname()[1]


@test
def assigned_id_only_for_empty_ids(env):
    """res.mqtt_assigned_client_id: read (and waited for) only for a client that sent an empty id"""
    srv, bp = forcing_broker("forced-")
    try:
        lp = free_port()
        sock = os.path.join(env.dir, "stats.sock")
        cfg = STATS_HEAD % sock + """frontend mqtt
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend b
backend b
    stick-table type binary len 64 size 1k expire 1h
    stick on req.mqtt_client_id(nonempty),mqtt_key(64)
    tcp-response inspect-delay 5s
    tcp-response content accept if { res.mqtt_assigned_client_id -m found }
    stick store-response res.mqtt_assigned_client_id,mqtt_key(64)
    server fake 127.0.0.1:%d
""" % (lp, bp)
        env.haproxy_run(cfg, ports=[lp])   # its port probe is connection 1
        got = {}
        for cid in ("own-id", ""):
            r = raw_session(lp, connect_packet(cid, version=5), version=5, whoami=False)
            got[cid] = r["connack"] and v5_props(r["connack"][2][1:]).get(0x12)
        check(got["own-id"] and got[""], "CONNACKs without an assigned id: %r" % got)
        time.sleep(0.3)
        keys = {k.upper() for k in show_table(sock, "b")}
        want = {mqtt_key(b"own-id", 64).hex().upper(), mqtt_key(got[""], 64).hex().upper()}
        # the id forced on own-id must not be stored: the client reconnects with its own
        check(keys == want, "table keys %s, want own-id and %s only (not %s)"
              % (sorted(keys), got[""], got["own-id"]))
    finally:
        srv.close()


@test
def fetch_values(env):
    """every request/response fetch, read back through set-var + log"""
    ports = env.brokers(1)
    lp = free_port()
    fetches = ["req.mqtt_client_id", "req.mqtt_username", "req.mqtt_password,hex",
               "req.mqtt_proto_name", "req.mqtt_proto_version", "req.mqtt_bridge",
               "req.mqtt_clean_start", "req.mqtt_keepalive", "req.mqtt_will_topic",
               "req.mqtt_will_qos", "req.mqtt_will_retain", "req.mqtt_will_payload,hex",
               "req.mqtt_prop(session_expiry_interval)", "req.mqtt_prop(will_delay_interval)",
               "req.mqtt_prop(authentication_method)", "req.mqtt_user_prop(k2)",
               "req.mqtt_is_valid", "req.mqtt_reason_code",
               "req.mqtt_client_id,length", "req.mqtt_client_id(nonempty),length"]
    sets = "".join("    tcp-request content set-var(sess.f%d) %s\n" % (i, f) for i, f in enumerate(fetches))
    fmt = " ".join("f%d=%%[var(sess.f%d)]" % (i, i) for i in range(len(fetches)))
    cfg = """
global
    log stdout format raw local0 info
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend mqtt
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.mqtt_is_valid }
%s    # %%B makes HAProxy log at the end of the stream, after the CONNACK
    log-format "%s r1=%%[var(sess.r1)] r2=%%[var(sess.r2)] r3=%%[var(sess.r3)] r4=%%[var(sess.r4)] %%ts %%B"
    default_backend b
backend b
    tcp-response inspect-delay 5s
    tcp-response content reject unless { res.mqtt_connack_code -m found }
    tcp-response content set-var(sess.r1) res.mqtt_connack_code
    tcp-response content set-var(sess.r2) res.mqtt_session_present
    tcp-response content set-var(sess.r3) res.mqtt_prop(topic_alias_maximum)
    tcp-response content set-var(sess.r4) res.mqtt_assigned_client_id
    server b1 127.0.0.1:%d
""" % (lp, sets, fmt, ports[0])
    _, logf = env.haproxy_run(cfg, ports=[lp])
    props = b"\x11\x00\x00\x00\x2a\x15" + mstr("SCRAM") + b"\x26" + mstr("k1") + mstr("v1") + \
        b"\x26" + mstr("k2") + mstr("first") + b"\x26" + mstr("k2") + mstr("second")
    cid = "fv-1"
    body_will_props = b"\x05\x18\x00\x00\x00\x07"
    # build v5 CONNECT with will properties by hand
    payload = mstr(cid) + body_will_props + mstr("last/will") + mstr(b"\x00\x01bye") + mstr("alice") + mstr(b"s\x00cret")
    flags = 0x02 | 0x04 | (1 << 3) | 0x20 | 0x80 | 0x40
    vh = mstr("MQTT") + bytes([5, flags]) + (77).to_bytes(2, "big") + vbi(len(props)) + props
    pkt = b"\x10" + vbi(len(vh) + len(payload)) + vh + payload
    # 5.0 but the AUTH method makes mosquitto refuse; we only read fields
    raw_session(lp, pkt, chunks=[5, 20, 33, 60], delay=0.05, version=5, whoami=False)
    # a second, plain v5 client: assigned id from the broker
    raw_session(lp, connect_packet("", version=5), version=5, whoami=False)
    time.sleep(0.5)
    # (the port probe of haproxy_run logs a line with no fields: skip it)
    lines = [l for l in open(logf).read().splitlines() if "f3=MQTT" in l]
    check(len(lines) >= 2, "log lines: %r" % lines)
    want = ["fv-1", "alice", "73006372657", "MQTT", "5", "0", "1", "77", "last/will", "1", "1",
            "000162796", "42", "7", "SCRAM", "first", "1", "0"]
    got = dict(kv.split("=", 1) for kv in lines[0].split() if "=" in kv)
    bad = []
    for i, w in enumerate(want):
        v = got.get("f%d" % i, "")
        if not v.lower().startswith(w.lower()):
            bad.append("%s = %r, want %r" % (fetches[i], v, w))
    got2 = dict(kv.split("=", 1) for kv in lines[1].split() if "=" in kv)
    # the empty id: found with length 0; with "nonempty" not found (not set)
    if got.get("f18") != "4" or got.get("f19") != "4" or got2.get("f18") != "0" or got2.get("f19") != "-":
        bad.append("client id lengths (plain, nonempty): %r %r, empty id: %r %r (want 4 4 0 -)"
                   % (got.get("f18"), got.get("f19"), got2.get("f18"), got2.get("f19")))
    if got2.get("f0") != "" and got2.get("f0") != "-":
        bad.append("empty client id logged as %r" % got2.get("f0"))
    if got.get("r1") in ("", "-", "0", None):
        bad.append("CONNACK code of the AUTH-method client: %r" % got.get("r1"))
    if got2.get("r1") != "0" or not got2.get("r4", "").startswith("auto-"):
        bad.append("CONNACK fetches: %r" % {k: got2.get(k) for k in ("r1", "r2", "r3", "r4")})
    check(not bad, "\n      ".join(bad) + "\n      line: " + lines[0])


@test
def incremental_counter(env):
    """N fetches over M wake-ups feed each CONNECT byte to the parser once"""
    ports = env.brokers(1)
    lp, sp = free_port(), free_port()
    rules = "".join("    tcp-request content set-var(sess.v%d) req.mqtt_%s\n" % (i, f) for i, f in
                    enumerate(["client_id", "username", "keepalive", "proto_version", "clean_start",
                               "user_prop(a)", "prop(session_expiry_interval)", "password",
                               "will_topic", "reason_code"]))
    cfg = """
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
%sfrontend mqtt
    mode tcp
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content reject unless { req.mqtt_is_valid }
    tcp-request content reject unless { req.mqtt_client_id -m found } { req.mqtt_username -m found } { req.mqtt_password -m found }
%s    default_backend b
backend b
    mode tcp
    server b1 127.0.0.1:%d
""" % (COUNTERS_FRONTEND % sp, lp, rules, ports[0])
    env.haproxy_run(cfg, ports=[lp, sp])

    def counters():
        return parse_counters(sp)

    pkt = connect_packet("inc-" + "z" * 300, version=5, user="u" * 100, password=b"p" * 400,
                         props=b"\x11\x00\x00\x00\x10" + (b"\x26" + mstr("a") + mstr("b")) * 20)
    # The counters are process-wide. A connection that never sends a byte
    # must not create a parser state: the harness's own port probe
    # (wait_port) is such a connection, and HAProxy may run its rules only
    # after b0 was read (another thread, a loaded machine), which once made
    # this check see "2 parser states for one stream". Idle connections held
    # open during the exchange check that rule on every run.
    b0, s0 = counters()
    idle = [socket.create_connection(("127.0.0.1", lp), timeout=3) for _ in range(3)]
    chunks = list(range(7, len(pkt), 37))
    r = raw_session(lp, pkt, chunks=chunks, delay=0.02, version=5, whoami=False)
    check(r["connack"] and r["connack"][1] == 0, "refused: %r" % r)
    for s in idle:
        s.close()
    time.sleep(0.2)
    b1, s1 = counters()
    wakeups = len(chunks) + 1
    fetches_per_wakeup = 14
    naive = sum(min(len(pkt), c) for c in chunks + [len(pkt)]) * fetches_per_wakeup
    log("CONNECT %d bytes in %d segments: parser fed %d bytes, %d state(s); a re-parse "
        "per fetch would read about %d bytes" % (len(pkt), wakeups, b1 - b0, s1 - s0, naive))
    INFO.append("incremental: CONNECT of %d bytes in %d segments, %d+ fetch calls per wake-up: "
                "%d bytes fed, %d parser state (stateless re-parse: ~%d bytes)"
                % (len(pkt), wakeups, fetches_per_wakeup, b1 - b0, s1 - s0, naive))
    check(b1 - b0 == len(pkt), "fed %d bytes for a %d-byte CONNECT" % (b1 - b0, len(pkt)))
    check(s1 - s0 == 1, "%d parser states for one stream (and 3 idle connections)" % (s1 - s0))


@test
def bridge_through_balancer(env):
    """a real mosquitto bridge (level 0x84) connects through basic.cfg"""
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env(ports, lp), ports=[lp])
    local = bridge_broker(env, "bridge-a", lp)
    check(bridged_message_flows(local, ports), "no message crossed the bridge")


@test
def bridge_recipe_fallback(env):
    """bridge.cfg refuses the bridge bit with return code 1; mosquitto retries plain"""
    ports = env.brokers()
    lp = free_port()
    _, logf = env.haproxy_run(recipe="bridge.cfg", env=broker_env(ports, lp), ports=[lp])
    local = bridge_broker(env, "bridge-b", lp, extra="restart_timeout 1\n")
    check(bridged_message_flows(local, ports, timeout=25), "no message crossed the bridge")
    # the refused attempt is logged when it ends (the plain one is still open)
    text = open(logf).read()
    check("client_id=bridge-b bridge=1" in text,
          "expected the refused bridge-bit attempt in the log:\n" + text[-1500:])


def bridge_broker(env, name, hap_port, extra=""):
    return env.broker(name, "connection %s\naddress 127.0.0.1:%d\ntopic bridged/# out 0\n"
                            "remote_clientid %s\ncleansession true\n%s" % (name, hap_port, name, extra),
                      marker=False)


def bridged_message_flows(local_port, remote_ports, timeout=15):
    """Subscribe on every remote broker, publish on the local one until a
    remote subscriber gets the message."""
    subs = []
    for p in remote_ports:
        s = socket.create_connection(("127.0.0.1", p), timeout=5)
        s.sendall(connect_packet("watch-%d" % p))
        read_packet(s)
        s.sendall(subscribe_packet("bridged/#", 4))
        read_packet(s)
        s.settimeout(0.2)
        subs.append(s)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            c = socket.create_connection(("127.0.0.1", local_port), timeout=5)
            c.sendall(connect_packet("pub-local"))
            read_packet(c)
            c.sendall(publish_packet("bridged/t", b"hello") + DISCONNECT)
            c.close()
            t_end = time.time() + 1.0
            while time.time() < t_end:
                for s in subs:
                    try:
                        pk = read_packet(s)
                    except socket.timeout:
                        continue
                    if pk and pk[0] >> 4 == 3 and pk[1].endswith(b"hello"):
                        return True
        return False
    finally:
        for s in subs:
            s.close()


@test
def mqtt5_assigned_id(env):
    """MQTT 5: empty id, then reconnect with the assigned id -> same broker (mqtt5-assigned-id.cfg, basic.cfg)"""
    import paho.mqtt.client as mqtt
    ports = env.brokers()
    bad = []
    for recipe in ("mqtt5-assigned-id.cfg", "basic.cfg"):
        lp = free_port()
        env.haproxy_run(recipe=recipe, env=broker_env(ports, lp), ports=[lp],
                        name="hap-" + recipe.split(".")[0])
        brokers_used = set()
        for i in range(8):
            first = raw_session(lp, connect_packet("", version=5), version=5)
            check(first["connack"] and first["connack"][1] == 0, "%s: empty id refused: %r" % (recipe, first))
            assigned = v5_props(first["connack"][2][1:]).get(0x12)
            check(assigned, "%s: no assigned client id in %r" % (recipe, first))
            brokers_used.add(first["marker"])
            again = raw_session(lp, connect_packet(assigned.decode(), version=5, clean=False), version=5)
            if again["marker"] != first["marker"]:
                bad.append("%s %s: first %s, then %s" % (recipe, assigned, first["marker"], again["marker"]))
        a = paho_whoami(lp, "", mqtt.MQTTv5)
        check(a["rc"] == 0 and a["assigned"], "%s: paho: %r" % (recipe, a))
        b = paho_whoami(lp, a["assigned"], mqtt.MQTTv5, clean=False)
        if a["marker"] != b["marker"]:
            bad.append("%s paho %s: %s then %s" % (recipe, a["assigned"], a["marker"], b["marker"]))
        check(len(brokers_used) >= 2, "%s: all first connections on %r: test proves nothing"
              % (recipe, brokers_used))
    check(not bad, "; ".join(bad))


def make_pki(d):
    """CA, server cert for 127.0.0.1, client certs CN=dev-1 / dev-2."""
    mqtttest.make_pki(d, (("server", "/CN=localhost", True), ("dev-1", "/CN=dev-1", False),
                          ("dev-2", "/CN=dev-2", False)))


@test
def tls_termination(env):
    """tls.cfg: TLS in HAProxy, client certificate CN bound to the client id"""
    import paho.mqtt.client as mqtt
    ports = env.brokers()
    make_pki(env.dir)
    lp = free_port()
    e = broker_env(ports, lp)
    e.update({"MQTTS_BIND": "127.0.0.1:%d" % lp, "TLS_CRT": os.path.join(env.dir, "server.pem"),
              "TLS_CA": os.path.join(env.dir, "ca.pem")})
    env.haproxy_run(recipe="tls.cfg", env=e, ports=[lp])
    d = env.dir
    tls1 = {"ca_certs": d + "/ca.pem", "certfile": d + "/dev-1.crt", "keyfile": d + "/dev-1.key"}
    a = paho_whoami(lp, "dev-1", mqtt.MQTTv311, tls=tls1)
    b = paho_whoami(lp, "dev-1", mqtt.MQTTv311, tls=tls1)
    check(a["rc"] == 0 and a["marker"] and a["marker"] == b["marker"], "dev-1: %r %r" % (a, b))
    c = paho_whoami(lp, "dev-2", mqtt.MQTTv311, tls=tls1)
    check(c["rc"] == 5, "dev-2 with dev-1's certificate: %r (want rc 5, not authorized)" % c)
    c5 = paho_whoami(lp, "dev-2", mqtt.MQTTv5, tls=tls1)
    check(c5["rc"] in (0x87, 135), "v5 dev-2 with dev-1's certificate: %r (want 0x87)" % c5)
    # raw TLS: exact CONNACK bytes
    ctx = ssl.create_default_context(cafile=d + "/ca.pem")
    ctx.load_cert_chain(d + "/dev-2.crt", d + "/dev-2.key")
    r = raw_session(lp, connect_packet("dev-1"), wrap=lambda s: ctx.wrap_socket(s, server_hostname="localhost"),
                    whoami=False)
    check(r["connack"] and r["connack"][1] == 5, "raw dev-1 with dev-2 cert: %r" % r)


@test
def peers_recipe(env):
    """peers.cfg: two balancers share the stick table; a client keeps its broker across them"""
    ports = env.brokers()
    la, lb, pa, pb = free_port(), free_port(), free_port(), free_port()
    common = broker_env(ports, 0)
    common.update({"PEER_A": "127.0.0.1:%d" % pa, "PEER_B": "127.0.0.1:%d" % pb})
    ea = dict(common, MQTT_BIND="127.0.0.1:%d" % la, LOCAL_PEER_ADDR="127.0.0.1:%d" % pa)
    eb = dict(common, MQTT_BIND="127.0.0.1:%d" % lb, LOCAL_PEER_ADDR="127.0.0.1:%d" % pb)
    env.haproxy_run(recipe="peers.cfg", env=ea, ports=[la], name="hap-a", extra_args=["-L", "lb-a"])
    env.haproxy_run(recipe="peers.cfg", env=eb, ports=[lb], name="hap-b", extra_args=["-L", "lb-b"])
    time.sleep(1.0)
    bad = []
    used = set()
    for i in range(9):
        cid = "peer-%d" % i
        first = raw_session(la, connect_packet(cid))["marker"]
        used.add(first)
        time.sleep(0.3)
        second = raw_session(lb, connect_packet(cid))["marker"]
        if first != second or not first:
            bad.append("%s: A sent it to %s, B to %s" % (cid, first, second))
    check(not bad, "; ".join(bad))
    check(len(used) >= 2, "all on %r" % used)


@test
def storm_recipe(env):
    """storm.cfg: per-client-id connection rate limit -> connection-rate-exceeded"""
    ports = env.brokers(1)
    lp = free_port()
    env.haproxy_run(recipe="storm.cfg", env=broker_env(ports * 3, lp), ports=[lp])
    codes = []
    for i in range(8):
        r = raw_session(lp, connect_packet("stormy", version=5), version=5, whoami=False)
        codes.append(r["connack"][1] if r["connack"] else None)
    check(codes[:5] == [0] * 5 and all(c == 0x9F for c in codes[5:]),
          "v5 codes over 8 quick connections: %r (want 5 x 0 then 0x9f)" % codes)
    r = raw_exchange(lp, connect_packet("stormy"))
    check(r[0] == bytes.fromhex("20020003"), "3.1.1 answer: %s (want 20020003)" % r[0].hex())
    r = raw_session(lp, connect_packet("calm", version=5), version=5, whoami=False)
    check(r["connack"] and r["connack"][1] == 0, "another client id was limited: %r" % r)
    # empty ids are not tracked: they do not share one counter
    codes = [(raw_session(lp, connect_packet("", version=5), version=5, whoami=False)["connack"] or
              (None, None))[1] for _ in range(8)]
    check(codes == [0] * 8, "8 quick empty-id clients: %r (want all 0)" % codes)



if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__))
