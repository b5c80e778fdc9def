#!/usr/bin/python3
"""test_session.py - the addon as a stream filter that owns each MQTT session, end to end.

Real HAProxy with the addon, real mosquitto brokers, real paho clients, raw sockets where exact
bytes matter, and scripted brokers (mqtttest.ScriptedBroker) where the test must see exactly what
a backend receives and when. What is checked (haproxy-addon/DESIGN.md):

  big_publish_flat_memory   a 10 MB QoS 1 PUBLISH (3.1.1 and 5.0) through basic.cfg arrives
                            byte-exact, HAProxy's VmRSS stays flat (section 3)
  keepalive_timeouts        1.5 x keep alive under `timeout client 5s` (section 4): idle paho
                            client kept 60 s, a silent client closed at ~15 s with its will
                            published, Server Keep Alive, keep alive 0, `timeout tunnel`,
                            `filter mqtt keepalive-timeout off`
  websocket_assigned_id     MQTT 5 over WebSocket: the assigned client id stored with `stick
                            store-response` routes the reconnect to the same broker
  parse_once_counters       one parse per stream (mqtt_parse_states / mqtt_parse_bytes) with
                            fetches in frontend and backend rules and a rewrite
  framing_after_connect     invalid packets after the CONNECT / CONNACK answered as a broker
                            would (DISCONNECT 0x81 / 0x82, or a close), a valid stream of every
                            packet type in random pieces passes byte-exact both ways
  shutw_after_connect       CONNECT (+ PUBLISH) followed at once by the client's shutdown(WR)
                            still reaches the broker (HAProxy <= 3.4.0 filter data loss)
  disconnect_after_packet   a client's invalid packet while the broker's large PUBLISH is in
                            flight: the DISCONNECT goes after the PUBLISH's last byte (section 5);
                            one that never ends: a close without DISCONNECT after the 5 s grace
  websocket_invalid_cut     a WebSocket client's invalid packet: the frames before the one that
                            holds it reach the broker, the client gets DISCONNECT then a close frame
  topic_alias_cap           Topic Alias Maximum 100 capped to 10 in a WebSocket client's masked
                            CONNECT and in a plain CONNECT split inside its properties (section 3)

The smoke subset (every HAProxy series) is everything but keepalive_timeouts, whose 60 s idle
client runs on the full series only: each of the others takes a few seconds and goes through a
part of HAProxy that differs by series (data filters, response rules, the close of a half-closed
stream). The whole file runs in about 75 s, most of it the idle client.

    test_session.py [--haproxy BIN ...] [-k NAME] [--smoke] [--list] [-v] [--keep] [--asan]
    make check-session-e2e [SESSION_E2E_HAPROXY='BIN ...'] [SESSION_E2E_ARGS='-k keepalive -v']
"""
import hashlib
import os
import random
import re
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
from mqtttest import (DISCONNECT, SanitizerSuite, ScriptedBroker, add_asan_option,  # noqa: E402
                      broker_env, check, connect_packet, free_port, main, matrix_argv, mstr,
                      packet, paho_client, paho_whoami, publish_full, publish_payload, raw_session, recv_exact,
                      read_packet, read_text, recipe, recv_all, split_packets, v5_props, vm_rss_kb)
from mqtt_e2e import COUNTERS_FRONTEND, parse_counters  # noqa: E402
from test_websocket import frame, handshake, read_head, server_frames  # noqa: E402


class SessionSuite(SanitizerSuite):
    """Figures (INFO) printed after each binary's results."""

    def configure(self, args):
        global VERBOSE
        VERBOSE = args.v
        SanitizerSuite.configure(self, args)

    def after_binary(self, binary, info):
        for line in INFO:
            print("      " + line)
        del INFO[:]


SUITE = SessionSuite("session")
SUITE.name_width = 26
test = SUITE.test
VERBOSE = False
INFO = []


def log(*a):
    if VERBOSE:
        print("   ", *a, flush=True)


def connect_sock(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def connack_ok(s, what):
    pk = read_packet(s)
    check(pk is not None and pk[0] == 0x20 and pk[1][1] == 0, "%s: CONNACK %r" % (what, pk))
    return pk


def subscribe_qos(topic, qos, version=4, pid=1):
    """SUBSCRIBE of one topic at QoS qos."""
    return packet(0x82, pid.to_bytes(2, "big") + (b"\x00" if version == 5 else b"") +
                  mstr(topic) + bytes([qos]))


def read_until_closed(s, timeout):
    """Seconds until the peer closes s (reset counts), or None if it did not
    within timeout; what it sent meanwhile."""
    t0 = time.time()
    data, closed = recv_all(s, timeout)
    return (time.time() - t0 if closed else None), data


# ---------------------------------------------------------------------------
# 1. 10 MB PUBLISH, memory flat
# ---------------------------------------------------------------------------

BIG = 10 * 1024 * 1024


def big_round(lp, version, payload, tag):
    """One subscriber and one publisher through lp; a QoS 1 PUBLISH of payload;
    returns seconds taken. Checks the payload byte for byte."""
    topic = "big/%s" % tag
    sub = connect_sock(lp, 30)
    pub = connect_sock(lp, 30)
    try:
        sub.sendall(connect_packet("big-sub-" + tag, version=version))
        connack_ok(sub, "subscriber")
        sub.sendall(subscribe_qos(topic, 1, version))
        sa = read_packet(sub)
        check(sa and sa[0] == 0x90 and sa[1][-1] == 1, "SUBACK %r" % (sa,))
        pub.sendall(connect_packet("big-pub-" + tag, version=version))
        connack_ok(pub, "publisher")
        pkt = publish_full(topic, payload, qos=1, pid=4242, version=version)
        t0 = time.time()
        err = []

        def send():
            try:
                pub.sendall(pkt)
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=send, daemon=True)
        t.start()
        got = read_packet(sub)
        t.join(30)
        check(not err, "publisher: %r" % err)
        check(got is not None and got[0] >> 4 == 3, "subscriber got %r" % (got and got[0],))
        check((got[0] >> 1) & 3 == 1, "delivered at QoS %d, not 1" % ((got[0] >> 1) & 3))
        body = publish_payload(got[0], got[1], version)
        check(len(body) == len(payload) and hashlib.sha256(body).digest() ==
              hashlib.sha256(payload).digest(),
              "%s: %d bytes arrived, differ from the %d sent" % (tag, len(body), len(payload)))
        pid = got[1][2 + len(topic):4 + len(topic)]
        sub.sendall(b"\x40\x02" + pid)
        ack = read_packet(pub)
        check(ack and ack[0] == 0x40 and ack[1][:2] == (4242).to_bytes(2, "big"),
              "publisher's PUBACK: %r" % (ack,))
        dt = time.time() - t0
        sub.sendall(DISCONNECT)
        pub.sendall(DISCONNECT)
        return dt
    finally:
        sub.close()
        pub.close()


@test(smoke=True)
def big_publish_flat_memory(env):
    """10 MB QoS 1 PUBLISH (3.1.1, 5.0) through basic.cfg: byte-exact, HAProxy's RSS flat"""
    ports = env.brokers(1)
    lp = free_port()
    hap, _ = env.haproxy_run(recipe="basic.cfg", env=broker_env(ports * 3, lp), ports=[lp])
    rnd = random.Random(22)
    payload = bytes(rnd.getrandbits(8) for _ in range(4096)) * (BIG // 4096)
    # warm-up: a small message through the same path allocates HAProxy's pools
    big_round(lp, 4, b"warm" * 1000, "warm")
    rss0 = vm_rss_kb(hap.pid)
    rss, times = [], []
    for i, v in enumerate((4, 5, 4, 5)):
        times.append(big_round(lp, v, payload, "r%d-v%d" % (i, v)))
        rss.append(vm_rss_kb(hap.pid))
    INFO.append("10 MB QoS 1 PUBLISH x4 (3.1.1, 5.0) through basic.cfg: %s s; HAProxy VmRSS "
                "%d kB after warm-up, then %s kB" % (" ".join("%.2f" % t for t in times), rss0,
                                                     " ".join(str(r) for r in rss)))
    log(INFO[-1])
    # Each round holds at most two streams, 2 x 16 KB buffers each, plus a
    # session from a pool; the pools keep what the first round took, so later
    # rounds add nothing. 2 MB is ample for that and for malloc's per-thread
    # slack, and far below the 10 MB payload: holding or copying one PUBLISH
    # (or leaking a fraction of every one) shows.
    check(rss[0] - rss0 < 2048, "first 10 MB round grew RSS by %d kB" % (rss[0] - rss0))
    check(max(rss) - rss[0] < 1024, "RSS grew by %d kB over the next three rounds: %s"
          % (max(rss) - rss[0], rss))


# ---------------------------------------------------------------------------
# 2. Keep-alive-aware timeouts
# ---------------------------------------------------------------------------

KA_HEAD = """
global
    log stderr format short local0 info
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 5s
    timeout server 5s
"""

# frontend <name> on <port> to backend <backend>, with extra lines
KA_FRONT = """frontend %s
    bind 127.0.0.1:%d
%s    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    default_backend %s
"""


def silent_client(port, pkt, version, out, key, timeout=40.0):
    """Sends pkt (a CONNECT), reads the CONNACK, then sends nothing: out[key] =
    seconds from the CONNACK until HAProxy closes, or an error string."""
    try:
        s = connect_sock(port, timeout)
        try:
            s.sendall(pkt)
            pk = read_packet(s)
            if not pk or pk[0] != 0x20 or pk[1][1] != 0:
                out[key] = "CONNACK %r" % (pk,)
                return
            dt, data = read_until_closed(s, timeout)
            out[key] = dt if dt is not None else "still open after %.0f s" % timeout
            if data:
                out[key + " bytes"] = data.hex()
        finally:
            s.close()
    except OSError as e:
        out[key] = "error %r" % e


def paho_idle(port, seconds, out):
    """A 5.0 paho client, keep alive 10 s, idle for <seconds>, then publishes
    QoS 1 to a topic it subscribed to: out["paho"] = list of problems."""
    import paho.mqtt.client as mqtt
    probs, got, disc = [], threading.Event(), []
    c = paho_client("ka-paho", mqtt.MQTTv5)
    conn = threading.Event()

    def on_connect(cl, ud, flags, rc, properties=None):
        conn.set()
        cl.subscribe("ka/echo", 1)

    def on_disconnect(cl, ud, rc, properties=None):
        disc.append((round(time.time() - t0, 1), rc))

    c.on_connect = on_connect
    c.on_disconnect = on_disconnect
    c.on_message = lambda cl, ud, msg: got.set()
    t0 = time.time()
    try:
        c.connect("127.0.0.1", port, 10)
        c.loop_start()
        if not conn.wait(5):
            probs.append("no CONNACK")
        time.sleep(seconds)
        if disc:
            probs.append("disconnected at (s, rc) %r" % disc)
        c.publish("ka/echo", b"still here", 1)
        if not got.wait(5):
            probs.append("no echo after %d s idle" % seconds)
        c.disconnect()
        c.loop_stop()
    except Exception as e:
        probs.append("exception %r" % e)
    out["paho"] = probs


def will_watcher(broker_port, out, stop):
    """Subscribed to will/# directly on the broker: out["wills"] = {topic: time}."""
    s = connect_sock(broker_port, 1)
    s.sendall(connect_packet("will-watch", keepalive=0))
    read_packet(s)
    s.sendall(subscribe_qos("will/#", 0))
    read_packet(s)
    wills = out.setdefault("wills", {})
    while not stop.is_set():
        try:
            pk = read_packet(s)
        except socket.timeout:
            continue
        if pk is None:
            break
        if pk[0] >> 4 == 3:
            tl = int.from_bytes(pk[1][:2], "big")
            wills[pk[1][2:2 + tl].decode()] = time.time()
    s.close()


def window(out, key, lo, hi, why, bad):
    v = out.get(key)
    if not isinstance(v, float) or not lo <= v <= hi:
        bad.append("%s: %s, want closed %.1f-%.1f s after the CONNACK (%s)"
                   % (key, "%.1f s" % v if isinstance(v, float) else v, lo, hi, why))


@test
def keepalive_timeouts(env):
    """timeout client/server 5s: 1.5 x keep alive governs, keep alive 0 and 'off' as before"""
    bport = env.brokers(1)[0]

    def connack_for(connect):
        # "ska-" clients: 5.0 CONNACK with Server Keep Alive 8 (property 0x13)
        if b"ska-" in connect:
            return b"\x20\x06\x00\x00\x03\x13\x00\x08"
        return None
    fake = ScriptedBroker(connack=connack_for)
    p_ka, p_fake, p_tun, p_off = free_port(), free_port(), free_port(), free_port()
    cfg = KA_HEAD + (KA_FRONT % ("ka", p_ka, "", "real")) + \
        (KA_FRONT % ("ka_scripted", p_fake, "", "scripted")) + \
        (KA_FRONT % ("ka_tunnel", p_tun, "", "scripted_tunnel")) + """
backend real
    server b1 127.0.0.1:%d
backend scripted
    server s1 127.0.0.1:%d
backend scripted_tunnel
    timeout tunnel 25s
    server s1 127.0.0.1:%d
""" % (bport, fake.port, fake.port)
    cfg_off = KA_HEAD + (KA_FRONT % ("ka_off", p_off, "    filter mqtt keepalive-timeout off\n", "real")) + \
        "backend real\n    server b1 127.0.0.1:%d\n" % bport
    bad = []
    env.haproxy_run(cfg, ports=[p_ka, p_fake, p_tun])
    try:
        env.haproxy_run(cfg_off, name="hap-off", ports=[p_off])
    except RuntimeError as e:
        alert = [l for l in str(e).splitlines() if "ALERT" in l]
        bad.append("`filter mqtt keepalive-timeout off`: %s" % (alert[0] if alert else str(e))[:300])
        p_off = None
    out, stop = {}, threading.Event()
    will = ("will/%s", b"gone", 0, False)
    jobs = [
        threading.Thread(target=will_watcher, args=(bport, out, stop)),
        threading.Thread(target=paho_idle, args=(p_ka, 60, out)),
        # no packet after the CONNECT: 1.5 x 10 s; the broker publishes the will
        threading.Thread(target=silent_client, args=(
            p_ka, connect_packet("ka-silent-5", version=5, keepalive=10,
                                 will=(will[0] % "ka-silent-5",) + will[1:]), 5, out, "silent 5.0 ka 10")),
        threading.Thread(target=silent_client, args=(
            p_ka, connect_packet("ka-silent-4", keepalive=10,
                                 will=(will[0] % "ka-silent-4",) + will[1:]), 4, out, "silent 3.1.1 ka 10")),
        # a broker that never times clients out: HAProxy alone closes
        threading.Thread(target=silent_client, args=(
            p_fake, connect_packet("kf-silent-4", keepalive=10), 4, out, "scripted broker, 3.1.1 ka 10")),
        threading.Thread(target=silent_client, args=(
            p_fake, connect_packet("ska-silent-5", version=5, keepalive=30), 5, out,
            "scripted broker, 5.0 ka 30, Server Keep Alive 8")),
        # keep alive 0: the configured timeouts, as without the filter (the
        # tunnel ones go to the scripted broker: only HAProxy closes them)
        threading.Thread(target=silent_client, args=(
            p_ka, connect_packet("ka0-silent", keepalive=0), 4, out, "ka 0, timeout client 5s")),
        threading.Thread(target=silent_client, args=(
            p_tun, connect_packet("ka0-tunnel", keepalive=0), 4, out, "ka 0, timeout tunnel 25s")),
        threading.Thread(target=silent_client, args=(
            p_tun, connect_packet("ka10-tunnel", keepalive=10), 4, out, "ka 10, timeout tunnel 25s")),
    ]
    if p_off:
        jobs.append(threading.Thread(target=silent_client, args=(
            p_off, connect_packet("ka-off", keepalive=10), 4, out, "keepalive-timeout off, ka 10")))
    t0 = time.time()
    for j in jobs:
        j.daemon = True
        j.start()
    for j in jobs[1:]:
        j.join(80)
    time.sleep(0.5)
    stop.set()
    fake.close()
    log("keep-alive: %r (%.0f s)" % (out, time.time() - t0))
    INFO.append("keep-alive timeouts (s after CONNACK): " + ", ".join(
        "%s %s" % (k, "%.1f" % v if isinstance(v, float) else v) for k, v in sorted(out.items())
        if k not in ("wills", "paho")))
    if out.get("paho"):
        bad.append("paho 5.0 ka 10 idle 60 s: " + "; ".join(out["paho"]))
    window(out, "silent 5.0 ka 10", 13, 20, "1.5 x 10", bad)
    window(out, "silent 3.1.1 ka 10", 13, 20, "1.5 x 10", bad)
    window(out, "scripted broker, 3.1.1 ka 10", 13, 20, "1.5 x 10, HAProxy alone", bad)
    window(out, "scripted broker, 5.0 ka 30, Server Keep Alive 8", 10.5, 15,
           "1.5 x the CONNACK's Server Keep Alive 8", bad)
    window(out, "ka 0, timeout client 5s", 4, 8, "timeout client", bad)
    window(out, "ka 0, timeout tunnel 25s", 22, 30, "timeout tunnel", bad)
    window(out, "ka 10, timeout tunnel 25s", 13, 20, "1.5 x 10 before timeout tunnel", bad)
    if p_off:
        window(out, "keepalive-timeout off, ka 10", 4, 8, "timeout client, as without the filter", bad)
    for k, v in out.items():
        if k.endswith(" bytes"):
            bad.append("%s: the client got %s before the close (want a close without DISCONNECT)"
                       % (k[:-6], v))
    for cid in ("ka-silent-5", "ka-silent-4"):
        if "will/" + cid not in out.get("wills", {}):
            bad.append("%s: the broker published no will (wills seen: %r)"
                       % (cid, sorted(out.get("wills", {}))))
    # HAProxy closed the scripted broker's side too, without DISCONNECT
    for c in fake.conns:
        pk, _ = split_packets(c["data"])
        if not pk or b"kf-silent-4" not in pk[0]:
            continue
        if c["t_eof"] is None or not 13 <= c["t_eof"] - c["t_connack"] <= 20:
            bad.append("scripted broker side of kf-silent-4 closed at %r s (want 13-20)"
                       % (c["t_eof"] and round(c["t_eof"] - c["t_connack"], 1)))
        if len(pk) > 1:
            bad.append("scripted broker got %r after the CONNECT" % [p.hex() for p in pk[1:]])
    check(not bad, "\n      ".join(bad))


# ---------------------------------------------------------------------------
# 3. MQTT 5 over WebSocket: the assigned client id routes the reconnect back
# ---------------------------------------------------------------------------

@test(smoke=True)
def websocket_assigned_id(env):
    """websocket.cfg + stick store-response res.mqtt_assigned_client_id: paho 5.0 over ws://"""
    import paho.mqtt.client as mqtt
    ports = env.brokers(3)
    ws = [env.ws_bridge("ws%d" % (i + 1), p) for i, p in enumerate(ports)]
    lp = free_port()
    # websocket.cfg with the two lines of mqtt5-assigned-id.cfg, as a user combines them
    cfg = recipe("websocket.cfg")
    rule = "    tcp-response content mqtt-ws-handshake\n"
    check(rule in cfg, "websocket.cfg lacks %r" % rule)
    cfg = cfg.replace(rule, rule +
                      "    tcp-response content accept if { res.mqtt_assigned_client_id -m found }\n"
                      "    stick store-response res.mqtt_assigned_client_id,mqtt_key(64)\n")
    env.haproxy_run(cfg, env=broker_env(ws, lp), ports=[lp])
    firsts, bad = set(), []
    for i in range(6):
        a = paho_whoami(lp, "", mqtt.MQTTv5, ws_path="/mqtt")
        check(a["rc"] == 0 and a["marker"] and a["assigned"], "round %d, empty id: %r" % (i, a))
        firsts.add(a["marker"])
        b = paho_whoami(lp, a["assigned"], mqtt.MQTTv5, clean=False, ws_path="/mqtt")
        check(b["rc"] == 0, "round %d, reconnect as %s: %r" % (i, a["assigned"], b))
        if b["marker"] != a["marker"]:
            bad.append("%s: assigned by %s, reconnect went to %s" % (a["assigned"], a["marker"], b["marker"]))
            break
    check(not bad, "; ".join(bad))
    check(len(firsts) >= 2, "every empty id went to %r: the test proves nothing" % firsts)


# ---------------------------------------------------------------------------
# 4. One parse per stream
# ---------------------------------------------------------------------------

@test(smoke=True)
def parse_once_counters(env):
    """fetches in frontend + backend rules, a rewrite: one state, the CONNECT's bytes, per connection"""
    bport = env.brokers(1)[0]
    lp, sp = free_port(), free_port()
    backend = """backend %s
    mode tcp
    tcp-request content set-var(sess.bcid) req.mqtt_client_id
    tcp-request content set-var(sess.bka) req.mqtt_keepalive
    balance hash req.mqtt_client_id(nonempty)
    stick-table type binary len 64 size 10k expire 1h
    stick on req.mqtt_client_id(nonempty),mqtt_key(64)
    server b1 127.0.0.1:%d
"""
    cfg = """
global
    log stdout format raw local0 info
defaults
    log global
    timeout connect 5s
    timeout client 30s
    timeout server 30s
%sfrontend mqtt
    mode tcp
    bind 127.0.0.1:%d
    tcp-request inspect-delay 5s
    tcp-request content mqtt-validate
    tcp-request content set-var(sess.cid) req.mqtt_client_id
    tcp-request content set-var(sess.ver) req.mqtt_proto_version
    tcp-request content mqtt-set-username "tenant/%%[req.mqtt_username]" if { req.mqtt_username -m found }
    tcp-request content set-var(sess.user) req.mqtt_username
    use_backend b5 if { req.mqtt_proto_version 5 }
    default_backend b4
    log-format "cid=%%[var(sess.cid)] ver=%%[var(sess.ver)] user=%%[var(sess.user)] bcid=%%[var(sess.bcid)] bka=%%[var(sess.bka)] %%B"
%s%s""" % (COUNTERS_FRONTEND % sp, lp, backend % ("b4", bport), backend % ("b5", bport))
    _, logf = env.haproxy_run(cfg, ports=[lp, sp])
    b0, s0 = parse_counters(sp)
    sent, bad = 0, []
    clients = [(v, "once-%d-v%d" % (i, v), "alice-%d" % i if i % 2 == 0 else None, 30 + i)
               for i, v in enumerate((4, 5, 3, 5, 4, 5))]
    for v, cid, user, ka in clients:
        pkt = connect_packet(cid, version=v, keepalive=ka, user=user,
                             password=b"pw" if user else None,
                             props=b"\x11\x00\x00\x00\x0a" if v == 5 else b"")
        r = raw_session(lp, pkt, chunks=[3, len(pkt) // 2], delay=0.05, version=v, whoami=False)
        if not r["connack"] or r["connack"][1] != 0:
            bad.append("%s refused: %r" % (cid, r))
        sent += len(pkt)
    time.sleep(0.3)
    b1, s1 = parse_counters(sp)
    INFO.append("parse once: %d connections, %d CONNECT bytes: mqtt_parse_states +%d, "
                "mqtt_parse_bytes +%d" % (len(clients), sent, s1 - s0, b1 - b0))
    log(INFO[-1])
    if s1 - s0 != len(clients):
        bad.append("mqtt_parse_states grew by %d for %d connections" % (s1 - s0, len(clients)))
    if b1 - b0 != sent:
        bad.append("mqtt_parse_bytes grew by %d for %d bytes of CONNECTs" % (b1 - b0, sent))
    # every fetch answered, the later ones with the rewritten user name
    text = read_text(logf)
    broker = read_text(os.path.join(env.dir, "broker1.log"))
    for v, cid, user, ka in clients:
        line = next((l for l in text.splitlines() if "cid=%s " % cid in l), "")
        want = "cid=%s ver=%d user=%s bcid=%s bka=%d" % (cid, v, "tenant/" + user if user else "-",
                                                          cid, ka)
        if want not in line:
            bad.append("log: want %r, got %r" % (want, line))
        if user and "u'tenant/%s'" % user not in broker:
            bad.append("the broker did not see user name tenant/%s" % user)
    check(not bad, "\n      ".join(bad))


# ---------------------------------------------------------------------------
# 5. Framing after the CONNECT
# ---------------------------------------------------------------------------

def rand_send(s, data, rnd, big=False):
    """Sends data in random pieces with tiny pauses."""
    i = 0
    while i < len(data):
        n = rnd.choice((1, 2, 3, 7, 50, 300, 1500)) if not big else rnd.randint(1, 20000)
        s.sendall(data[i:i + n])
        i += n
        if rnd.random() < 0.3:
            time.sleep(rnd.random() * 0.002)


def valid_streams(version):
    """(client -> broker packets, broker -> client packets): every packet type
    of each direction, after the CONNECT / CONNACK."""
    v5 = version == 5
    props = (b"\x01\x01" + b"\x03" + mstr("text/plain") + b"\x26" + mstr("k") + mstr("v")) if v5 else b""
    big = bytes(range(256)) * 280   # 71680 bytes: spans several buffers
    pubs = [
        publish_full("t/qos0", b"hello", 0, version=version, props=props),
        publish_full("t/qos1", b"one", 1, pid=1, version=version),
        publish_full("t/qos2/\u00fc", b"two", 2, pid=2, version=version, props=props),
        publish_full("t/retained", b"", 0, retain=True, version=version),
        publish_full("t/dup", b"again", 1, pid=3, dup=True, version=version),
        publish_full("t/big", big, 1, pid=4, version=version),
    ]
    acks = [b"\x40\x02\x00\x05", b"\x50\x02\x00\x06", b"\x62\x02\x00\x07", b"\x70\x02\x00\x08"]
    if v5:
        acks += [b"\x40\x04\x00\x09\x10\x00", b"\x50\x03\x00\x0a\x10"]
    sub_props = b"\x0b\x05" if v5 else b""
    sub = packet(0x82, b"\x00\x0b" + (bytes([len(sub_props)]) + sub_props if v5 else b"") +
                 mstr("a/+") + b"\x01" + mstr("b/#") + (b"\x2e" if v5 else b"\x02"))
    unsub = packet(0xA2, b"\x00\x0c" + (b"\x00" if v5 else b"") + mstr("a/+") + mstr("b/#"))
    client = pubs[:3] + acks + [sub, b"\xc0\x00"] + pubs[3:] + [unsub, b"\xc0\x00"]
    suback = packet(0x90, b"\x00\x0b" + (b"\x00" if v5 else b"") + b"\x01\x02")
    unsuback = packet(0xB0, b"\x00\x0c" + (b"\x00\x00\x11" if v5 else b""))
    broker = [suback, pubs[1], b"\xd0\x00", pubs[0], pubs[2]] + acks + [unsuback, pubs[5], pubs[4],
                                                                     b"\xd0\x00", pubs[3]]
    return client, broker


def broker_side(fake, cid, timeout=5.0):
    """The scripted broker's connection whose CONNECT carries cid, once it
    ended (None if it did not end within timeout)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for c in fake.conns:
            if mstr(cid) in c["data"][:200] and c["t_eof"]:
                return c
        time.sleep(0.05)
    log("%s: no ended broker connection; open ones: %r" % (
        cid, [(c["data"][:60], len(c["data"])) for c in fake.conns if not c["t_eof"]]))
    return None


@test(smoke=True)
def framing_after_connect(env):
    """after the CONNACK: invalid packets get DISCONNECT 0x81/0x82 (5.0) or a close; valid ones pass byte-exact"""
    rnd = random.Random(2222)
    seed_note = "random.Random(2222)"
    streams = {4: valid_streams(4), 5: valid_streams(5)}

    def script(sock, conn):
        pk, _ = split_packets(conn["data"])
        first = pk[0]
        if b"from-broker" in first:
            # a packet type a broker never sends [MQTT-3.8]: a SUBSCRIBE
            sock.sendall(packet(0x82, b"\x00\x01" + (b"\x00" if b"v5" in first else b"") +
                                mstr("x") + b"\x00"))
        elif b"valid-" in first:
            rand_send(sock, b"".join(streams[5 if b"valid-v5" in first else 4][1]),
                      random.Random(len(first)), big=False)

    fake = ScriptedBroker(script=script)
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env([fake.port] * 3, lp), ports=[lp])
    bad = []
    qos3 = lambda v: packet(0x36, mstr("t") + b"\x00\x01" + (b"\x00" if v == 5 else b"") + b"x")
    sub_flags = lambda v: packet(0x80, b"\x00\x01" + (b"\x00" if v == 5 else b"") + mstr("t") + b"\x00")
    cases = [
        # (client id, version, bytes after the CONNACK, reason code of the DISCONNECT or None)
        ("bad-qos3-v5", 5, qos3(5), 0x81),              # [MQTT-3.3.1-4]
        ("bad-subflags-v5", 5, sub_flags(5), 0x81),     # [MQTT-3.8.1-1]
        ("bad-second-connect-v5", 5, connect_packet("again", version=5), 0x82),   # [MQTT-3.1.0-2]
        ("bad-connack-v5", 5, b"\x20\x03\x00\x00\x00", 0x82),   # a server-only packet
        ("bad-qos3-v4", 4, qos3(4), None),              # 3.1.1: close [MQTT-4.8.0-1]
        ("bad-subflags-v4", 4, sub_flags(4), None),
    ]
    for cid, v, after, rc in cases:
        s = connect_sock(lp, 5)
        try:
            con = connect_packet(cid, version=v)
            s.sendall(con)
            pk = read_packet(s)
            if not pk or pk[0] != 0x20:
                bad.append("%s: no CONNACK: %r" % (cid, pk))
                continue
            # a valid packet first: it must reach the broker
            ok_pub = publish_full("t/ok", b"fine", 0, version=v)
            rand_send(s, ok_pub + after, rnd)
            got, closed = recv_all(s, 4)
        except OSError as e:
            got, closed = b"", "error %r" % e
        finally:
            s.close()
        pk, rest = split_packets(got)
        # 5.0 DISCONNECT: reason code alone (remaining length 1) or with an
        # empty property block; the reason code is what the client reads
        good = (rc is None and got == b"") or \
            (rc is not None and len(pk) == 1 and not rest and pk[0][0] == 0xE0 and
             len(pk[0]) >= 3 and pk[0][2] == rc)
        if not good or closed is not True:
            bad.append("%s: got %s closed=%s, want %s then a close"
                       % (cid, got.hex() or "nothing", closed,
                          "DISCONNECT 0x%02x" % rc if rc else "nothing"))
        c = broker_side(fake, cid)
        if c is None:
            bad.append("%s: the broker side was not closed" % cid)
            continue
        want = con + ok_pub
        if c["data"] != want:
            bad.append("%s: the broker got %s, want the CONNECT and the valid PUBLISH only (%s)"
                       % (cid, c["data"][len(con):].hex() or "the CONNECT only", ok_pub.hex()))
    # invalid bytes from the broker: both sides closed, 5.0 client told 0x82
    for cid, v, rc in (("from-broker-v5", 5, 0x82), ("from-broker-v4", 4, None)):
        s = connect_sock(lp, 5)
        try:
            s.sendall(connect_packet(cid, version=v))
            got, closed = recv_all(s, 4)
        finally:
            s.close()
        pk, rest = split_packets(got)
        ok = len(pk) >= 1 and pk[0][0] == 0x20
        if rc is None:
            ok = ok and len(pk) == 1 and not rest
        else:
            ok = ok and len(pk) == 2 and not rest and pk[1][0] == 0xE0 and pk[1][2] == rc
        if not ok or not closed:
            bad.append("%s: got %s closed=%s, want CONNACK%s then a close"
                       % (cid, got.hex(), closed, " + DISCONNECT 0x%02x" % rc if rc else ""))
        if broker_side(fake, cid) is None:
            bad.append("%s: the broker side was not closed" % cid)
    # valid streams of every packet type, random pieces both ways: byte-exact
    for v in (4, 5):
        cid = "valid-v%d" % v
        cpk, bpk = streams[v]
        to_broker, to_client = b"".join(cpk), b"".join(bpk)
        connack = b"\x20\x03\x00\x00\x00" if v == 5 else b"\x20\x02\x00\x00"
        total = len(connack) + len(to_client)
        s = connect_sock(lp, 10)
        con = connect_packet(cid, version=v)
        recv = {"data": b""}

        def reader():
            try:
                while len(recv["data"]) < total:
                    d = s.recv(65536)
                    if not d:
                        break
                    recv["data"] += d
            except OSError:
                pass
        try:
            s.sendall(con)
            t = threading.Thread(target=reader, daemon=True)
            t.start()
            rand_send(s, to_broker, rnd, big=True)
            t.join(10)
            s.sendall(DISCONNECT)
            s.shutdown(socket.SHUT_WR)
            recv_all(s, 3)
        except OSError as e:
            bad.append("%s: %r" % (cid, e))
        finally:
            s.close()
        if recv["data"] != connack + to_client:
            bad.append("%s: the client got %d bytes, want the CONNACK + %d (first difference at %d)"
                       % (cid, len(recv["data"]), len(to_client),
                          next((i for i, (a, b) in enumerate(zip(recv["data"], connack + to_client))
                                if a != b), min(len(recv["data"]), len(connack + to_client)))))
        c = broker_side(fake, cid)
        want = con + to_broker + DISCONNECT
        if c is None or c["data"] != want:
            got = c["data"] if c else b""
            bad.append("%s: the broker got %d bytes, want %d (first difference at %d)"
                       % (cid, len(got), len(want),
                          next((i for i, (a, b) in enumerate(zip(got, want)) if a != b),
                               min(len(got), len(want)))))
    fake.close()
    check(not bad, "(%s)\n      " % seed_note + "\n      ".join(bad))


# ---------------------------------------------------------------------------
# 6. CONNECT then shutdown(WR) at once
# ---------------------------------------------------------------------------

@test(smoke=True)
def shutw_after_connect(env):
    """CONNECT (+ PUBLISHes), then the client's shutdown(WR) at once: the broker gets them all"""
    bport = env.brokers(1)[0]
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env([bport] * 3, lp), ports=[lp])
    ids, want = [], {}
    for i in range(32):
        v = (4, 5)[i % 2]
        # burst: a PUBLISH larger than a buffer and small ones whose headers
        # straddle buffer boundaries, all in flight when the close comes
        shape = ("connect", "connect-publish", "split-publish", "burst")[i % 4]
        cid = "shut-%d-%s" % (i, shape)
        con = connect_packet(cid, version=v)
        data = con
        if shape != "connect":
            want[cid] = 31 if shape == "burst" else 1
            for k in range(want[cid]):
                pad = b"." * (40000 if shape == "burst" and k == 0 else 0)
                data += publish_full("shut/" + cid, b"%d" % k + pad, 0, version=v)
        ids.append(cid)
        s = connect_sock(lp, 5)
        try:
            if shape.startswith("split"):
                s.sendall(data[:len(con) - 3])
                time.sleep(0.05)
                data = data[len(con) - 3:]
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            recv_all(s, 3)
        finally:
            s.close()
    # what the broker received, from its own log
    blog = os.path.join(env.dir, "broker1.log")

    def lost():
        text = read_text(blog)
        seen = env.broker_clients(1)
        got = {}
        for m in re.finditer(r"Received PUBLISH from (\S+) ", text):
            got[m.group(1)] = got.get(m.group(1), 0) + 1
        return ([c for c in ids if c not in seen],
                ["%s %d of %d" % (c, got.get(c, 0), n) for c, n in sorted(want.items())
                 if got.get(c, 0) != n])
    deadline = time.time() + 5
    while time.time() < deadline and any(lost()):
        time.sleep(0.1)
    lost_c, lost_p = lost()
    check(not lost_c and not lost_p, "CONNECTs the broker never got: %s; PUBLISHes it got: %s"
          % (lost_c or "none", "; ".join(lost_p) or "all"))


# ---------------------------------------------------------------------------
# 7. The answer waits for the end of the broker's packet in flight
# ---------------------------------------------------------------------------

@test(smoke=True)
def disconnect_after_packet(env):
    """a 5.0 client's invalid packet while a large PUBLISH comes slowly: the whole PUBLISH, then DISCONNECT"""
    big = publish_full("slow/big", bytes(range(256)) * 800, 0, version=5)

    def script(sock, conn):
        sock.sendall(big[:1000])
        time.sleep(0.5)
        if b"stalled" in conn["data"]:
            return   # the rest never comes: the grace of 5 s ends it
        for i in range(1000, len(big), 20000):
            sock.sendall(big[i:i + 20000])
            time.sleep(0.05)

    fake = ScriptedBroker(script=script)
    lp = free_port()
    env.haproxy_run(recipe="basic.cfg", env=broker_env([fake.port] * 3, lp), ports=[lp])
    s = connect_sock(lp, 5)
    try:
        con = connect_packet("slow-big-v5", version=5)
        s.sendall(con)
        first = recv_exact(s, 5)   # the CONNACK
        first += s.recv(100)        # the PUBLISH has started
        s.sendall(packet(0x36, mstr("t") + b"\x00\x01\x00x"))  # QoS 3 [MQTT-3.3.1-4]
        got, closed = recv_all(s, 8, first)
    finally:
        s.close()
    pk, rest = split_packets(got)
    check(closed is True and len(pk) == 3 and not rest and pk[1] == big and pk[2][0] == 0xE0
          and pk[2][2] == 0x81, "got %d packets (%s), %d bytes left over, closed=%s: want the "
          "CONNACK, the whole %d-byte PUBLISH, DISCONNECT 0x81"
          % (len(pk), [(p[:1].hex(), len(p)) for p in pk], len(rest), closed, len(big)))
    c = broker_side(fake, "slow-big-v5")
    check(c is not None and c["data"] == con, "the broker got %r" % (c and c["data"][len(con):]))
    # the broker's packet never ends: a close without DISCONNECT after the grace
    s = connect_sock(lp, 5)
    try:
        s.sendall(connect_packet("stalled-v5", version=5))
        first = recv_exact(s, 5) + s.recv(100)
        s.sendall(packet(0x36, mstr("t") + b"\x00\x01\x00x"))
        t0 = time.time()
        got, closed = recv_all(s, 10, first)
        dt = time.time() - t0
    finally:
        s.close()
    check(closed is True and 4 <= dt <= 7 and got == first[:5] + big[:1000],
          "stalled PUBLISH: closed=%s after %.1f s, got %d bytes (want the CONNACK and the "
          "PUBLISH's 1000 bytes, a close at ~5 s)" % (closed, dt, len(got)))
    fake.close()


# ---------------------------------------------------------------------------
# 8. WebSocket: invalid MQTT bytes cut at the frame
# ---------------------------------------------------------------------------

def ws_start(env, backend_port):
    """websocket.cfg in front of the ws bridge to backend_port; its port."""
    lp = free_port()
    env.haproxy_run(recipe="websocket.cfg",
                    env=broker_env([env.ws_bridge("wsb", backend_port)] * 3, lp), ports=[lp])
    return lp


def ws_client(lp, first, data):
    """A WebSocket client sending the frame first (a CONNECT) after its
    handshake, then data once the answer came: the MQTT bytes and the other
    frames it got until the close, and whether the server closed."""
    s = connect_sock(lp, 5)
    try:
        s.sendall(handshake())
        head, rest = read_head(s)
        check(" 101 " in head.splitlines()[0], "handshake: %r" % head)
        s.sendall(first)
        rest += s.recv(100)
        s.sendall(data)
        got, closed = recv_all(s, 4, rest)
    finally:
        s.close()
    fr = server_frames(got)
    return b"".join(p for op, p in fr if op in (0, 2)), [op for op, p in fr if op not in (0, 2)], closed


@test(smoke=True)
def websocket_invalid_cut(env):
    """ws client's invalid packet: the frames before it reach the broker, DISCONNECT frame + close frame"""
    fake = ScriptedBroker()
    lp = ws_start(env, fake.port)
    bad = []
    pub = publish_full("t/ok", b"fine", 0, version=5)
    qos3 = packet(0x36, mstr("t") + b"\x00\x01\x00x")
    for cid, tail, want in (("ws-own-frame", frame(pub) + frame(qos3), pub),
                            ("ws-shared-frame", frame(pub + qos3), b"")):
        con = connect_packet(cid, version=5)
        mq, ctl, closed = ws_client(lp, frame(con), tail)
        pk, rest = split_packets(mq)
        if not (closed and len(pk) == 2 and pk[1][:3] == b"\xe0\x01\x81" and ctl == [8]):
            bad.append("%s: the client got MQTT %r, control frames %r, closed=%s: want CONNACK, "
                       "DISCONNECT 0x81, a close frame" % (cid, [p.hex() for p in pk], ctl, closed))
        c = broker_side(fake, cid)
        if c is None or c["data"] != con + want:
            bad.append("%s: the broker got %r after the CONNECT, want %r"
                       % (cid, c and c["data"][len(con):], want))
    fake.close()
    check(not bad, "\n      ".join(bad))


# ---------------------------------------------------------------------------
# 9. Topic Alias Maximum capped for WebSocket clients and split CONNECTs
# ---------------------------------------------------------------------------

def alias_max(con):
    """The Topic Alias Maximum (property 0x22) a 5.0 CONNECT announces."""
    i = con.index(b"MQTT") + 8   # level, flags, keep alive; then a one-byte length here
    return v5_props(con[i + 1:i + 1 + con[i]]).get(0x22)


@test(smoke=True)
def topic_alias_cap(env):
    """Topic Alias Maximum 100 -> 10: a WebSocket client's masked CONNECT, a plain one split in its properties"""
    fake = ScriptedBroker()
    lp = ws_start(env, fake.port)
    pp = free_port()
    env.haproxy_run(KA_HEAD + "frontend plain\n    bind 127.0.0.1:%d\n    filter mqtt\n"
                    "    default_backend b\nbackend b\n    server s1 127.0.0.1:%d\n" % (pp, fake.port),
                    name="hap-plain", ports=[pp])
    bad = []
    props = b"\x11\x00\x00\x00\x0a\x22\x00\x64"   # session expiry 10, alias max 100
    con = connect_packet("alias-ws", version=5, props=props)
    ws_client(lp, frame(con[:9]) + frame(con[9:]), b"")
    for cid, shut in (("alias-split", False), ("alias-split-shut", True)):
        con = connect_packet(cid, version=5, props=props)
        s = connect_sock(pp, 5)
        try:
            s.sendall(con[:con.index(b"\x22\x00\x64") + 1])   # cut inside the properties
            time.sleep(0.2)
            s.sendall(con[con.index(b"\x22\x00\x64") + 1:])
            if shut:
                s.shutdown(socket.SHUT_WR)
            recv_all(s, 1)
        finally:
            s.close()
    # half a CONNECT, then the client's close: what was held goes at once
    half = connect_packet("alias-half", version=5, props=props)
    half = half[:half.index(b"\x22\x00\x64") + 1]
    s = connect_sock(pp, 5)
    s.sendall(half)
    s.shutdown(socket.SHUT_WR)
    recv_all(s, 1)
    s.close()
    if not any(c["data"] == half for c in fake.conns):
        bad.append("half a CONNECT then a close: the broker never got the half")
    for cid in ("alias-ws", "alias-split", "alias-split-shut"):
        c = broker_side(fake, cid)
        pk, _ = split_packets(c["data"] if c else b"")
        got = alias_max(pk[0]) if pk else None
        if got != 10:
            bad.append("%s: the broker saw Topic Alias Maximum %r, want 10 (%s)"
                       % (cid, got, pk[0].hex() if pk else "no CONNECT"))
    fake.close()
    check(not bad, "\n      ".join(bad))


def extra_args(ap):
    add_asan_option(ap)


if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__, matrix_argv(sys.argv[1:]), extra_args=extra_args))
