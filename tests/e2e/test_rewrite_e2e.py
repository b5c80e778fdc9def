#!/usr/bin/python3
"""test_rewrite_e2e.py - the CONNECT rewrite actions end to end.

Real HAProxy (with the addon) terminating TLS with client certificates made here by openssl,
mosquitto brokers whose logs show the client id and user name they received, and a capture
server that records the exact bytes a backend receives. Recipes: examples/haproxy/
rewrite-cert.cfg (client id = certificate CN, user name = certificate DN, password removed,
refusal without CN) and rewrite-tenant-sni.cfg (tenant prefix on the user name from SNI); the
other tests use small configurations written here (bad values and their CONNACK, a CONNECT
larger than the buffer, the global option keywords, rules run twice).

    test_rewrite_e2e.py [--haproxy BIN ...] [-k NAME] [--smoke] [--list] [-v] [--keep] [--asan]
"""
import os
import re
import socket
import ssl
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mqtttest  # noqa: E402
from mqtttest import (SanitizerSuite, add_asan_option, broker_env, check,  # noqa: E402
                      connect_packet, free_port, main, matrix_argv,
                      publish_packet, raw_session, read_packet, read_text, recv_all,
                      wait_text)


SUITE = SanitizerSuite("rewrite")
SUITE.name_width = 30


# ---------------------------------------------------------------------------
# PKI and TLS clients
# ---------------------------------------------------------------------------

LONG_CN = "device-with-a-long-common-name-0042"   # 35 bytes: over 3.1's 23


PKI_CERTS = (("server", "/CN=localhost", True), ("dev-cn-1", "/O=acme/CN=dev-cn-1", False),
             ("dev-cn-2", "/O=acme/CN=dev-cn-2", False),
             ("nocn", "/O=acme/OU=no-common-name", False),
             ("long", "/O=acme/CN=" + LONG_CN, False))


def make_pki(d):
    """CA; server certificate for localhost, 127.0.0.1 and *.mqtt.test; client
    certificates: dev-cn-1 and dev-cn-2 (O=acme), nocn (no CN), long (LONG_CN)."""
    mqtttest.make_pki(d, PKI_CERTS, "/CN=rewrite-test-ca",
                      "IP:127.0.0.1,DNS:localhost,DNS:*.mqtt.test")


def tls_wrap(d, cert=None, sni="localhost"):
    """A wrap(sock) for raw_session: TLS, server checked against our CA,
    client certificate <cert> (file stem) if given, SNI <sni> (None: none)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(d, "ca.pem"))
    ctx.check_hostname = False
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".crt"), os.path.join(d, cert + ".key"))

    def wrap(sock):
        return ctx.wrap_socket(sock, server_hostname=sni)
    return wrap


def tls_env(env, ports, lp):
    e = broker_env(ports, lp)
    e.update({"MQTTS_BIND": "127.0.0.1:%d" % lp, "TLS_CRT": os.path.join(env.dir, "server.pem"),
              "TLS_CA": os.path.join(env.dir, "ca.pem")})
    return e


def broker_connects(env, n=3):
    """[(broker number, client id, user name or None)] from the brokers' logs."""
    out = []
    for b in range(1, n + 1):
        path = os.path.join(env.dir, "broker%d.log" % b)
        if not os.path.exists(path):
            continue
        with open(path, errors="replace") as f:
            for m in re.finditer(r"New client connected from \S+ as (\S+) \(p\d, c\d, k\d+(?:, u'([^']*)')?\)",
                                 f.read()):
                out.append((b, m.group(1), m.group(2)))
    return out


def wait_connect(env, cid, timeout=5.0):
    """The (broker, id, user) log entry of client id <cid> once a broker logged it."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for c in broker_connects(env):
            if c[1] == cid:
                return c
        time.sleep(0.05)
    return None


def capture_wait(cap, n, timeout=5.0):
    """The bytes of the newest connection to <cap> that sent a CONNECT, once it
    holds at least n bytes (health checks send nothing)."""
    deadline = time.time() + timeout
    got = b""
    while time.time() < deadline:
        mq = [bytes(c) for c in cap.conns if c[:1] == b"\x10"]
        got = mq[-1] if mq else b""
        if len(got) >= n:
            break
        time.sleep(0.05)
    return got


# ---------------------------------------------------------------------------
# A capture server: records the bytes a backend receives, answers CONNACK
# ---------------------------------------------------------------------------

class Capture:
    """Listens on a free port; for each connection records everything received
    (until the client closes or 2 s of silence) and answers 20 02 00 00 once
    it has seen a CONNECT's first bytes."""

    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.conns = []
        self.stop = False
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        data = bytearray()
        self.conns.append(data)
        c.settimeout(2.0)
        acked = False
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                data += d
                if not acked and data[:1] == b"\x10":
                    c.sendall(b"\x20\x02\x00\x00")
                    acked = True
        except (socket.timeout, OSError):
            pass
        c.close()

    def close(self):
        self.stop = True
        self.sock.close()


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

@SUITE.test(smoke=True)
def cert_identity(env):
    """rewrite-cert.cfg: id = CN, user name = DN, password gone (3.1, 3.1.1, 5.0; mosquitto log)"""
    make_pki(env.dir)
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="rewrite-cert.cfg", env=tls_env(env, ports, lp), ports=[lp])
    for version in (3, 4, 5):
        # the client claims another id, a user name and a password
        for cert, cn in (("dev-cn-1", "dev-cn-1"), ("dev-cn-2", "dev-cn-2")):
            r = raw_session(lp, connect_packet("claimed-%d" % version, version=version,
                                                user="someone", password=b"pw"),
                            version=version, wrap=tls_wrap(env.dir, cert))
            check(r["connack"] and r["connack"][1] == 0, "v%d %s: CONNACK %r" % (version, cert, r))
            check(r["marker"] in ("broker1", "broker2", "broker3"), "v%d: no marker %r" % (version, r))
    seen = broker_connects(env)
    users = {(c[1], c[2]) for c in seen}
    check(("dev-cn-1", "CN=dev-cn-1,O=acme") in users and ("dev-cn-2", "CN=dev-cn-2,O=acme") in users,
          "brokers saw %r" % sorted(users))
    check(not any(c[1].startswith("claimed") for c in seen), "a claimed id reached a broker: %r" % seen)


@SUITE.test(smoke=True)
def cert_identity_bytes(env):
    """the backend receives exactly the rewritten CONNECT, then the client's next bytes unchanged"""
    make_pki(env.dir)
    cap = Capture()
    try:
        lp = free_port()
        e = tls_env(env, [], lp)
        for i in (1, 2, 3):
            e["BROKER%d" % i] = "127.0.0.1:%d" % cap.port
        env.haproxy_run(recipe="rewrite-cert.cfg", env=e, ports=[lp])
        will = ("dev/status", b"\x00offline\xff", 1, True)
        for version in (4, 5):
            props = b"\x11\x00\x00\x0e\x10\x26" + b"\x00\x01k\x00\x01v" if version == 5 else b""
            before = connect_packet("claimed", version=version, user="u", password=b"secret",
                                    will=will, props=props)
            want = connect_packet("dev-cn-1", version=version, user="CN=dev-cn-1,O=acme",
                                  will=will, props=props)
            tail = publish_packet("t/1", b"after the CONNECT", version=version) + b"\xe0\x00"
            n0 = len([c for c in cap.conns if c[:1] == b"\x10"])
            s = tls_wrap(env.dir, "dev-cn-1")(socket.create_connection(("127.0.0.1", lp), timeout=5))
            s.sendall(before + tail)            # one TLS record: CONNECT and what follows
            pkt = read_packet(s)
            check(pkt and pkt[0] == 0x20, "v%d: no CONNACK: %r" % (version, pkt))
            recv_all(s, 0.5)
            s.close()
            got = capture_wait(cap, len(want) + len(tail))
            check(len([c for c in cap.conns if c[:1] == b"\x10"]) == n0 + 1, "no new backend connection")
            check(got == want + tail, "v%d: backend received %s, want %s" % (version, got.hex(), (want + tail).hex()))
    finally:
        cap.close()


@SUITE.test(smoke=True)
def no_cn_refused(env):
    """a certificate without CN: CONNACK 'client identifier not valid' (rc 2 / 0x85), no broker"""
    make_pki(env.dir)
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="rewrite-cert.cfg", env=tls_env(env, ports, lp), ports=[lp])
    for version, code in ((4, 2), (5, 0x85), (3, 2)):
        r = raw_session(lp, connect_packet("nocn-%d" % version, version=version), version=version,
                        wrap=tls_wrap(env.dir, "nocn"))
        check(r["connack"] and r["connack"][1] == code, "v%d: %r, want code %#x" % (version, r, code))
    time.sleep(0.3)
    check(not [c for c in broker_connects(env) if c[1].startswith("nocn")], "reached a broker")


@SUITE.test()
def long_cn_by_version(env):
    """a 35-byte CN: a 3.1 client is refused (rc 2) and HAProxy logs why; 3.1.1 / 5.0 pass"""
    make_pki(env.dir)
    ports = env.brokers()
    lp = free_port()
    _, logf = env.haproxy_run(recipe="rewrite-cert.cfg", env=tls_env(env, ports, lp), ports=[lp])
    r = raw_session(lp, connect_packet("short", version=3), version=3, wrap=tls_wrap(env.dir, "long"))
    check(r["connack"] and r["connack"][1] == 2, "3.1: %r" % r)
    for version in (4, 5):
        r = raw_session(lp, connect_packet("short", version=version), version=version,
                        wrap=tls_wrap(env.dir, "long"))
        check(r["connack"] and r["connack"][1] == 0, "v%d: %r" % (version, r))
    check(wait_connect(env, LONG_CN), "the long CN reached no broker")
    time.sleep(0.3)
    log = read_text(logf)
    check(re.search(r"mqtt-set-client-id: client 127\.0\.0\.1:\d+ refused: new client id not valid.*"
                    r"MQTTP_E_CLIENT_ID_TOO_LONG", log), "no refusal reason in the log: %s" % log[-600:])


@SUITE.test()
def cert_id_stickiness(env):
    """balance hash req.mqtt_client_id hashes the rewritten id: any claimed id, one broker per CN"""
    make_pki(env.dir)
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="rewrite-cert.cfg", env=tls_env(env, ports, lp), ports=[lp])
    for cert in ("dev-cn-1", "dev-cn-2"):
        markers = set()
        for i in range(6):
            r = raw_session(lp, connect_packet("claim-%s-%d" % (cert, i * 7919)),
                            wrap=tls_wrap(env.dir, cert))
            check(r["connack"] and r["connack"][1] == 0, "%s: %r" % (cert, r))
            markers.add(r["marker"])
        check(len(markers) == 1, "%s spread over %r" % (cert, markers))


@SUITE.test(smoke=True)
def tenant_from_sni(env):
    """rewrite-tenant-sni.cfg: user name prefixed with the SNI's first label; no SNI or user: refused"""
    make_pki(env.dir)
    ports = env.brokers()
    lp = free_port()
    env.haproxy_run(recipe="rewrite-tenant-sni.cfg", env=tls_env(env, ports, lp), ports=[lp])
    for tenant, version in (("tenant-a", 4), ("Tenant-B", 5), ("tenant-c", 3)):
        cid = "sni-%s-%d" % (tenant.lower(), version)
        r = raw_session(lp, connect_packet(cid, version=version, user="alice", password=b"pw"),
                        version=version, wrap=tls_wrap(env.dir, sni=tenant + ".mqtt.test"))
        check(r["connack"] and r["connack"][1] == 0, "%s: %r" % (tenant, r))
        c = wait_connect(env, cid)
        check(c and c[2] == "%s/alice" % tenant.lower(), "%s: broker saw %r" % (tenant, c))
    r = raw_session(lp, connect_packet("nosni", user="alice"), wrap=tls_wrap(env.dir, sni=None))
    check(r["connack"] and r["connack"][1] == 5, "no SNI: %r" % (r,))
    r = raw_session(lp, connect_packet("nouser", version=5), version=5,
                    wrap=tls_wrap(env.dir, sni="tenant-a.mqtt.test"))
    check(r["connack"] and r["connack"][1] == 0x86, "no user name: %r" % (r,))


PLAIN = """
global
    log stderr format short local0 info
%(global)s
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind 127.0.0.1:%(lp)d
    tcp-request inspect-delay 3s
%(rules)s
    default_backend be
backend be
    server b1 127.0.0.1:%(bp)d
"""


@SUITE.test(smoke=True)
def bad_value_connack(env):
    """a new value the rules refuse gets its CONNACK: user name with U+0001 (4 / 0x86), id (2 / 0x85)"""
    bp = env.broker("broker1")
    lp = free_port()
    rules = ('    tcp-request content mqtt-set-username "%[req.mqtt_username]\\x01"\n'
             '    tcp-request content mqtt-set-client-id "%[req.mqtt_client_id,regsub(^keep-,)]"\n')
    _, logf = env.haproxy_run(PLAIN % {"global": "", "lp": lp, "bp": bp, "rules": rules}, ports=[lp])
    for version, code in ((4, 4), (5, 0x86), (3, 4)):
        r = raw_session(lp, connect_packet("c%d" % version, version=version, user="bob"), version=version)
        check(r["connack"] and r["connack"][1] == code, "v%d: %r, want %#x" % (version, r, code))
    # no user name: the user name becomes "\x01" alone, refused the same way
    r = raw_session(lp, connect_packet("c-nouser"))
    check(r["connack"] and r["connack"][1] == 4, "no user name: %r" % (r,))
    time.sleep(0.3)
    log = read_text(logf)
    check("MQTTP_E_UTF8_CONTROL" in log and "new user name not valid" in log, "log: %s" % log[-600:])
    check(not [c for c in broker_connects(env, 1) if c[1].startswith("c")],
          "a refused client reached the broker: %r" % broker_connects(env, 1))
    # client id rule: 3.1.1 without clean session, id emptied -> rc 2; 5.0 -> accepted
    bp2 = env.broker("broker2")
    lp2 = free_port()
    rules2 = '    tcp-request content mqtt-set-client-id "%[req.mqtt_client_id,regsub(^keep-,)]"\n'
    env.haproxy_run(PLAIN % {"global": "", "lp": lp2, "bp": bp2, "rules": rules2}, ports=[lp2],
                    name="hap2")
    r = raw_session(lp2, connect_packet("keep-", clean=False))
    check(r["connack"] and r["connack"][1] == 2, "3.1.1 empty id without clean session: %r" % (r,))
    r = raw_session(lp2, connect_packet("keep-", version=5, clean=False), version=5)
    check(r["connack"] and r["connack"][1] == 0, "5.0 empty id: %r" % (r,))


@SUITE.test()
def global_lenient(env):
    """mqtt-lenient control-chars lets a TAB through (rewriter and fetches agree); bytes checked"""
    cap = Capture()
    try:
        lp = free_port()
        rules = ('    tcp-request content mqtt-set-username "tab\\x09%[req.mqtt_username]"\n'
                 '    tcp-request content mqtt-refuse unless { req.mqtt_username -m beg tab }\n')
        env.haproxy_run(PLAIN % {"global": "    mqtt-lenient control-chars", "lp": lp,
                                 "bp": cap.port, "rules": rules}, ports=[lp])
        r = raw_session(lp, connect_packet("lenient-1", user="bob"), whoami=False)
        check(r["connack"] and r["connack"][1] == 0, "lenient: %r" % (r,))
        want = connect_packet("lenient-1", user="tab\tbob")
        got = capture_wait(cap, len(want))
        check(got[:len(want)] == want, "backend received %s, want %s" % (got.hex(), want.hex()))
    finally:
        cap.close()


@SUITE.test()
def config_errors(env):
    """bad global options and actions fail at configuration parse, naming what is accepted"""
    cases = (("    mqtt-lenient control-chars,bogus\n", "", "unknown flag 'bogus'"),
             ("    mqtt-max-client-id-len 0\n", "", "from 1 to 65535"),
             ("    mqtt-max-client-id-len 70000\n", "", "from 1 to 65535"),
             ("    mqtt-max-packet-size 10\n", "", "from 16 to 268435460"),
             ("    mqtt-max-packet-size 1x\n", "", "from 16 to 268435460"),
             ("", "    tcp-request content mqtt-set-client-id\n", "expects a log-format string"),
             ("", "    tcp-request content mqtt-set-username if TRUE\n", "expects a log-format string"))
    for g, r, want in cases:
        path = env.write_cfg("bad.cfg", PLAIN % {"global": g, "lp": 1, "bp": 2, "rules": r})
        p = subprocess.run([env.haproxy, "-c", "-f", path], capture_output=True, text=True)
        out = p.stdout + p.stderr
        check(p.returncode != 0 and want in out, "%r%r: rc %d, %s" % (g, r, p.returncode, out[-400:]))
    path = env.write_cfg("good.cfg", PLAIN % {
        "global": "    mqtt-lenient v31-long-client-id password-without-username\n"
                  "    mqtt-max-client-id-len 64\n    mqtt-max-packet-size 8k\n",
        "lp": 1, "bp": 2,
        "rules": "    tcp-request content mqtt-set-password \"%[ssl_c_serial,hex]\"\n"
                 "    tcp-request content mqtt-unset-username\n"})
    p = subprocess.run([env.haproxy, "-c", "-f", path], capture_output=True, text=True)
    check(p.returncode == 0, "valid configuration refused: %s" % (p.stdout + p.stderr)[-400:])


@SUITE.test()
def too_big_for_buffer(env):
    """a CONNECT larger than the buffer: refused (5.0: 0x95), the log names tune.bufsize"""
    bp = env.broker("broker1")
    lp = free_port()
    rules = '    tcp-request content mqtt-set-client-id "big-%[req.mqtt_client_id]"\n'
    _, logf = env.haproxy_run(PLAIN % {"global": "    tune.bufsize 4096", "lp": lp, "bp": bp,
                                       "rules": rules}, ports=[lp])
    big = connect_packet("big5", version=5, will=("w", b"x" * 6000, 0, False))
    r = raw_session(lp, big, version=5, timeout=8)
    check(r["connack"] and r["connack"][1] == 0x95, "5.0: %r" % (r,))
    small = connect_packet("small5", version=5, will=("w", b"x" * 2000, 0, False))
    r = raw_session(lp, small, version=5)
    check(r["connack"] and r["connack"][1] == 0, "2 KB will: %r" % (r,))
    check(wait_connect(env, "big-small5"), "the rewritten small CONNECT reached no broker")
    check(wait_text(logf, "tune.bufsize"), "no tune.bufsize hint in the log")


@SUITE.test()
def rules_rerun_once(env):
    """a rule set re-run after a later rule lacked data applies each rewrite once"""
    bp = env.broker("broker1")
    lp = free_port()
    rules = ('    tcp-request content mqtt-set-username "t/%[req.mqtt_username]"\n'
             '    tcp-request content mqtt-set-client-id "%[req.mqtt_client_id]-x"\n'
             # waits for 500 bytes that never come: the rule set runs again at the delay
             '    tcp-request content reject if { req.payload(0,500),length -m int lt 0 }\n')
    cfg = PLAIN % {"global": "", "lp": lp, "bp": bp, "rules": rules}
    env.haproxy_run(cfg.replace("inspect-delay 3s", "inspect-delay 1s"), ports=[lp])
    r = raw_session(lp, connect_packet("rr", user="u"), timeout=8)
    check(r["connack"] and r["connack"][1] == 0, "%r" % (r,))
    c = wait_connect(env, "rr-x")
    check(c and c[2] == "t/u", "broker saw %r (all: %r)" % (c, broker_connects(env, 1)))


@SUITE.test()
def rules_rerun_once_under_load(env):
    """a rewrite stays applied once while 3,000 other streams rewrite before its rule set re-runs"""
    bp = env.broker("broker1")
    lp, np_ = free_port(), free_port()
    rules = ('    tcp-request content mqtt-set-username "t/%[req.mqtt_username]"\n'
             '    tcp-request content reject if { req.payload(0,500),length -m int lt 0 }\n')
    # one thread: every stream shares one thread's state; the noise frontend
    # rewrites then rejects each of its streams at once
    cfg = PLAIN % {"global": "    nbthread 1\n    maxconn 4000", "lp": lp, "bp": bp, "rules": rules}
    cfg += ("frontend noise\n    bind 127.0.0.1:%d\n    tcp-request inspect-delay 3s\n"
            '    tcp-request content mqtt-set-username "n/%%[req.mqtt_username]"\n'
            "    tcp-request content reject\n" % np_)
    env.haproxy_run(cfg, ports=[lp, np_])
    s = socket.create_connection(("127.0.0.1", lp), timeout=10)
    s.sendall(connect_packet("load-rr", user="u"))
    time.sleep(0.3)
    for i in range(3000):
        n = socket.create_connection(("127.0.0.1", np_), timeout=5)
        n.sendall(connect_packet("noise-%d" % i, user="u"))
        n.close()
    pkt = read_packet(s)   # after the 3 s delay: the rule set ran again
    s.close()
    check(pkt and pkt[0] == 0x20 and pkt[1][1:2] == b"\x00", "no CONNACK 0: %r" % (pkt,))
    c = wait_connect(env, "load-rr")
    check(c and c[2] == "t/u", "broker saw %r (want user name t/u)" % (c,))


@SUITE.test()
def dribbled_then_fetches(env):
    """a CONNECT in pieces is rewritten once whole; later fetches (id, user property) see the new one"""
    bp = env.broker("broker1")
    lp = free_port()
    rules = ('    tcp-request content mqtt-set-client-id "new-%[req.mqtt_client_id]"\n'
             '    tcp-request content mqtt-refuse not-authorized unless { req.mqtt_client_id -m beg new- } '
             '{ req.mqtt_user_prop(region) -m str eu } { req.mqtt_proto_version 5 }\n')
    env.haproxy_run(PLAIN % {"global": "", "lp": lp, "bp": bp, "rules": rules}, ports=[lp])
    props = b"\x11\x00\x00\x00\x3c\x26\x00\x06region\x00\x02eu"
    pkt = connect_packet("piecewise", version=5, props=props, user="u", password=b"p")
    r = raw_session(lp, pkt, chunks=[1, 2, 9, 30, len(pkt) - 3], delay=0.15, version=5)
    check(r["connack"] and r["connack"][1] == 0, "%r" % (r,))
    check(wait_connect(env, "new-piecewise"), "broker saw %r" % broker_connects(env, 1))


@SUITE.test(skip=lambda v: "no bwlim filter before 2.7" if v < (2, 7) else None)
def through_data_filters(env):
    """with data filters on the frontend (bwlim-in, trace) the backend gets the rewritten bytes"""
    cap = Capture()
    try:
        lp = free_port()
        rules = ('    filter bwlim-in lim default-limit 1m default-period 1s\n'
                 '    filter trace name T quiet\n'
                 '    tcp-request content mqtt-set-client-id "f-%[req.mqtt_client_id]"\n')
        env.haproxy_run(PLAIN % {"global": "", "lp": lp, "bp": cap.port, "rules": rules}, ports=[lp])
        tail = publish_packet("t", b"through the filters")
        s = socket.create_connection(("127.0.0.1", lp), timeout=5)
        s.sendall(connect_packet("flt", user="u") + tail)
        pkt = read_packet(s)
        check(pkt and pkt[0] == 0x20, "no CONNACK: %r" % (pkt,))
        want = connect_packet("f-flt", user="u") + tail
        got = capture_wait(cap, len(want))
        s.close()
        check(got == want, "backend received %s, want %s" % (got.hex(), want.hex()))
    finally:
        cap.close()


if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__, matrix_argv(sys.argv[1:]), extra_args=add_asan_option))
