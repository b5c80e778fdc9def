#!/usr/bin/python3
"""test_websocket.py - MQTT over WebSocket (ws://) through HAProxy in TCP mode, end to end.

Real HAProxy with the addon running examples/haproxy/websocket.cfg, real MQTT over WebSocket
brokers (aedes behind the `ws` server, tests/e2e/ws-broker/, installed by npm from its
package-lock.json), real clients (Debian's paho with transport="websockets", mqtt.js in a page of
Debian's headless Chromium) and raw sockets for the bad inputs, whose exact answers are checked. Capture backends written here show what a
broker receives and play brokers that refuse.

    test_websocket.py [--haproxy BIN ...] [--node-modules DIR] [--asan] [-k NAME] [--smoke] [--list] [-v]

DIR (default build/ws-broker/node_modules, or $MQTT_WS_NODE_MODULES) holds aedes, ws and mqtt
(mqtt.js): `make ws-broker-deps` installs them.
"""
import base64
import hashlib
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import mqtttest  # noqa: E402
from mqtttest import (TOP, SanitizerSuite, add_asan_option, broker_env, check,  # noqa: E402
                      connect_packet, free_port, main, matrix_argv, publish_payload, raw_session,
                      read_text, recipe, recv_all, subscribe_packet, wait_port, ws_frame)


class WsSuite(SanitizerSuite):
    """--node-modules: where aedes and ws are; --asan as SanitizerSuite."""

    def configure(self, args):
        if args.node_modules:
            NODE_MODULES[0] = os.path.abspath(args.node_modules)
        SanitizerSuite.configure(self, args)


SUITE = WsSuite("websocket")
SUITE.name_width = 30
HERE = os.path.dirname(os.path.abspath(__file__))
BROKER_JS = os.path.join(HERE, "ws-broker", "ws_broker.js")
NODE_MODULES = [os.environ.get("MQTT_WS_NODE_MODULES") or
                os.path.join(TOP, "build", "ws-broker", "node_modules")]
CHROMIUM = shutil.which("chromium")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
KEY_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="   # RFC 6455 1.3


def accept_of(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


# ---------------------------------------------------------------------------
# Brokers and HAProxy
# ---------------------------------------------------------------------------

def ws_broker(env, name):
    """Start an aedes WebSocket broker <name> (marker = name) on a free port."""
    nm = NODE_MODULES[0]
    if not os.path.isdir(os.path.join(nm, "aedes")):
        raise RuntimeError("no aedes in %s: run `make ws-broker-deps`" % nm)
    port = free_port()
    logf = os.path.join(env.dir, "%s.log" % name)
    e = dict(os.environ, NODE_PATH=nm)
    with open(logf, "w") as lf:
        p = subprocess.Popen(["node", BROKER_JS, str(port), name], env=e, stdout=lf,
                             stderr=subprocess.STDOUT)
    env.procs.append((p, name))
    if not wait_port(port, 15, p):
        raise RuntimeError("ws broker %s did not start" % name)
    return port


def broker_log(env, name):
    return read_text(os.path.join(env.dir, "%s.log" % name))


def ws_clients(env, n=3):
    """{client id: set of broker numbers} from the brokers' own logs."""
    out = {}
    for b in range(1, n + 1):
        for m in re.finditer(r"^client connected (\S+)$", broker_log(env, "broker%d" % b), re.M):
            out.setdefault(m.group(1), set()).add(b)
    return out


def start(env, backends=None, delay=None, extra_env=None, ports=()):
    """websocket.cfg in front of three aedes brokers (or the given backend
    ports), with another inspect-delay if given; returns the balancer's port."""
    backends = backends or [ws_broker(env, "broker%d" % (i + 1)) for i in range(3)]
    lp = free_port()
    e = broker_env(backends, lp)
    e.update(extra_env or {})
    if delay:
        cfg = recipe("websocket.cfg").replace("tcp-request inspect-delay 5s",
                                             "tcp-request inspect-delay %s" % delay)
        env.haproxy_run(cfg_text=cfg, env=e, ports=[lp] + list(ports))
    else:
        env.haproxy_run(recipe="websocket.cfg", env=e, ports=[lp] + list(ports))
    return lp


def hap_log(env):
    return read_text(env.hap_logs[0])


# ---------------------------------------------------------------------------
# paho over WebSocket
# ---------------------------------------------------------------------------

def paho_whoami(port, cid, timeout=8.0, ca=None):
    """paho over ws:// (wss:// trusting the CA file ca): (CONNACK rc, marker)."""
    r = mqtttest.paho_whoami(port, cid, tls={"ca_certs": ca} if ca else None, timeout=timeout,
                             ws_path="/mqtt")
    return r["rc"], r["marker"]


# ---------------------------------------------------------------------------
# Raw WebSocket client
# ---------------------------------------------------------------------------

def handshake(key=KEY, proto="mqtt", version="13", method="GET", http="HTTP/1.1",
              upgrade="websocket", connection="Upgrade", extra=""):
    lines = ["%s /mqtt %s" % (method, http), "Host: 127.0.0.1"]
    if upgrade is not None:
        lines.append("Upgrade: %s" % upgrade)
    if connection is not None:
        lines.append("Connection: %s" % connection)
    if key is not None:
        lines.append("Sec-WebSocket-Key: %s" % key)
    if version is not None:
        lines.append("Sec-WebSocket-Version: %s" % version)
    if proto is not None:
        lines.append("Sec-WebSocket-Protocol: %s" % proto)
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


MASK = b"\x37\xfa\x21\x3d"


def frame(payload, opcode=2, fin=True, mask=MASK, rsv=0, length=None):
    """A client frame (masked with mask unless None); length overrides the header's length."""
    return ws_frame((0x80 if fin else 0) | rsv | opcode, payload, mask, length)


def read_head(sock, timeout=5.0):
    """The HTTP head the server sends (up to the empty line) and what followed."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(4096)
        if not d:
            break
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head.decode(errors="replace"), rest


def server_frames(data):
    """Unmasked server frames in data: list of (opcode, payload)."""
    out, i = [], 0
    while i + 2 <= len(data):
        op, n = data[i] & 0x0F, data[i + 1] & 0x7F
        check(not data[i + 1] & 0x80, "server frame is masked")
        i += 2
        if n == 126:
            n = struct.unpack(">H", data[i:i + 2])[0]
            i += 2
        elif n == 127:
            n = struct.unpack(">Q", data[i:i + 8])[0]
            i += 8
        out.append((op, data[i:i + n]))
        i += n
    return out


def close_code(payload):
    return struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None


def ws_open(port, req=None):
    """Connect, send the handshake, read the 101; returns (sock, head, rest)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(req or handshake())
    head, rest = read_head(s)
    return s, head, rest


def mqtt_packets(m):
    """MQTT packets (first byte, body) in the bytes m (short packets only)."""
    out, i = [], 0
    while i + 2 <= len(m) and m[i + 1] < 128 and i + 2 + m[i + 1] <= len(m):
        out.append((m[i], m[i + 2:i + 2 + m[i + 1]]))
        i += 2 + m[i + 1]
    return out


def mqtt_frames_in(data):
    """Concatenated payload of the binary/continuation frames of data."""
    return b"".join(p for op, p in server_frames(data) if op in (0, 2))


def recv_until_publish(sock, data, timeout=5.0):
    """Reads server frames after <data> until their MQTT bytes hold a PUBLISH
    (the whoami marker), the peer closes, or <timeout>; returns all bytes."""
    deadline = time.time() + timeout
    sock.settimeout(1)
    while time.time() < deadline:
        if any(t >> 4 == 3 for t, _ in mqtt_packets(mqtt_frames_in(data))):
            break
        try:
            d = sock.recv(4096)
        except socket.timeout:
            continue
        if not d:
            break
        data += d
    return data


# ---------------------------------------------------------------------------
# Capture backend: plays the broker's side of the handshake
# ---------------------------------------------------------------------------

class Capture:
    """A one-connection TCP server: records the bytes it receives; answers the
    handshake with answer(request head) (None: a correct 101 with mqtt) and,
    after it, a binary frame carrying CONNACK accepted."""

    def __init__(self, answer=None):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.data = b""
        self.conns = 0
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            c.settimeout(2)
            buf = b""
            try:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
                if not buf:
                    c.close()
                    continue   # a health check
                self.conns += 1
                head = buf.partition(b"\r\n\r\n")[0].decode(errors="replace")
                m = re.search(r"(?im)^sec-websocket-key:\s*(\S+)", head)
                ans = self.answer(head) if self.answer else (
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                    "Sec-WebSocket-Protocol: mqtt\r\n\r\n" % accept_of(m.group(1) if m else ""))
                c.sendall(ans.encode() + b"\x82\x04\x20\x02\x00\x00")
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    buf += d
            except OSError:
                pass
            self.data = buf
            c.close()

    def close(self):
        self.sock.close()


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

@SUITE.test(smoke=True)
def paho_same_id_one_broker(env):
    """paho over ws:// reconnecting with the same client id 5 times reaches one broker (marker and broker logs)"""
    lp = start(env)
    for cid in ("ws-sticky-1", "ws-sticky-2", "ws-sticky-3"):
        seen = set()
        for _ in range(5):
            rc, marker = paho_whoami(lp, cid)
            check(rc == 0 and marker, "%s: CONNACK %r, marker %r" % (cid, rc, marker))
            seen.add(marker)
        check(len(seen) == 1, "%s reached %s" % (cid, sorted(seen)))
        per = ws_clients(env).get(cid)
        check(per == {int(marker[-1])}, "%s: broker logs say %s, marker %s" % (cid, per, marker))


def server_pem(env):
    """A self-signed certificate for 127.0.0.1/localhost in env.dir (cert.pem,
    key.pem); returns the path of cert+key in one file, for HAProxy."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", "key.pem", "-out", "cert.pem", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   cwd=env.dir, check=True, capture_output=True)
    pem = os.path.join(env.dir, "server.pem")
    with open(pem, "w") as f:
        for n in ("cert.pem", "key.pem"):
            with open(os.path.join(env.dir, n)) as g:
                f.write(g.read())
    return pem


def spki_hash(cert):
    """base64 SHA-256 of the certificate's public key: what Chromium's
    --ignore-certificate-errors-spki-list trusts (that one key, nothing else)."""
    pub = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=pub,
                         check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


@SUITE.test(smoke=True)
def paho_wss_same_broker(env):
    """wss:// (TLS at HAProxy, openssl-made certificate): paho reconnecting with one id reaches one broker, the one its id gets over ws://"""
    pem = server_pem(env)
    tp = free_port()
    lp = start(env, extra_env={"MQTT_WSS_BIND": "127.0.0.1:%d" % tp, "MQTT_WSS_CERT": pem},
               ports=[tp])
    for cid in ("wss-1", "wss-2", "wss-3"):
        seen = set()
        for _ in range(3):
            rc, marker = paho_whoami(tp, cid, ca=os.path.join(env.dir, "cert.pem"))
            check(rc == 0 and marker, "%s over wss: CONNACK %r, marker %r" % (cid, rc, marker))
            seen.add(marker)
        rc, plain = paho_whoami(lp, cid)
        check(seen == {plain}, "%s: wss:// on %s, ws:// on %s" % (cid, sorted(seen), plain))


@SUITE.test
def same_port_plain_and_ws(env):
    """websocket-same-port.cfg: plain MQTT (mosquitto) and MQTT over WebSocket (aedes) on one port, each id on the same broker number over both"""
    plain = env.brokers()
    ws = [ws_broker(env, "ws%d" % (i + 1)) for i in range(3)]
    lp = free_port()
    e = broker_env(plain, lp)
    e.update({"WS_BROKER%d" % (i + 1): "127.0.0.1:%d" % p for i, p in enumerate(ws)})
    env.haproxy_run(recipe="websocket-same-port.cfg", env=e, ports=[lp])
    numbers = set()
    for i in range(8):
        cid = "both-%d" % i
        r = raw_session(lp, connect_packet(cid))
        check(r["connack"] and r["connack"][1] == 0 and r["marker"], "%s plain: %r" % (cid, r))
        rc, marker = paho_whoami(lp, cid)
        check(rc == 0 and marker, "%s ws: CONNACK %r, marker %r" % (cid, rc, marker))
        check(marker == "ws" + r["marker"][-1], "%s: plain on %s, WebSocket on %s" % (cid, r["marker"], marker))
        numbers.add(marker)
    check(len(numbers) >= 2, "all ids on one broker: %s" % numbers)


PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="%(mqttjs)s"></script></head>
<body><script>
// mqtt.js in a real browser page: connect over ws:// or wss://, read the whoami marker,
// report it (or the error) to the test's HTTP listener.
function report(what) { new Image().src = "http://127.0.0.1:%(report)d/r?" + encodeURIComponent(what); }
const c = mqtt.connect("%(scheme)s://127.0.0.1:%(port)d/mqtt", { clientId: "%(cid)s", protocolVersion: 4,
  reconnectPeriod: 0, connectTimeout: 10000 });
c.on("connect", () => c.subscribe("whoami"));
c.on("message", (t, m) => { report("marker:" + m.toString()); c.end(); });
c.on("error", (e) => report("error:" + e.message));
</script></body></html>
"""


def browser_whoami(env, port, cid, timeout=20.0, scheme="ws", trust=None):
    """Load a page running mqtt.js in headless Chromium; returns what it reported.
    <trust>: a certificate the browser accepts for wss:// (by its public key)."""
    import http.server
    got = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            from urllib.parse import unquote
            got.append(unquote(self.path.partition("?")[2]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    page = os.path.join(env.dir, "page-%s.html" % cid)
    with open(page, "w") as f:
        f.write(PAGE % {"mqttjs": "file://" + os.path.join(NODE_MODULES[0], "mqtt", "dist", "mqtt.min.js"),
                        "report": srv.server_address[1], "port": port, "cid": cid,
                        "scheme": scheme})
    extra = ["--ignore-certificate-errors-spki-list=" + spki_hash(trust)] if trust else []
    p = subprocess.Popen([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                          "--disable-background-networking", "--disable-component-update",
                          "--disable-sync", "--no-first-run",
                          "--user-data-dir=" + os.path.join(env.dir, "chromium")] + extra +
                         ["file://" + page], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + timeout
        while not got and time.time() < deadline and p.poll() is None:
            time.sleep(0.05)
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        srv.shutdown()
        srv.server_close()
    return got[0] if got else None


@SUITE.test(smoke=True)
def browser_same_id_one_broker(env):
    """mqtt.js in headless Chromium over ws://, reloaded 3 times per id: one broker per id, paho's; the browser's permessage-deflate offer never reaches the broker"""
    check(CHROMIUM, "chromium is not installed (scripts/install-deps.sh installs it)")
    lp = start(env)
    for cid in ("browser-1", "browser-2"):
        rc, plain = paho_whoami(lp, cid)
        check(rc == 0 and plain, "paho %s: %r %r" % (cid, rc, plain))
        for _ in range(3):
            r = browser_whoami(env, lp, cid)
            check(r == "marker:" + plain, "%s: the page reported %r, paho reached %s" % (cid, r, plain))
    logs = "".join(broker_log(env, "broker%d" % b) for b in (1, 2, 3))
    check(len(re.findall(r"^upgrade key=", logs, re.M)) >= 8, "upgrades: %s" % logs)
    check("permessage-deflate" not in logs, "an extension offer reached a broker: %s" % logs)


@SUITE.test
def browser_wss_same_broker(env):
    """mqtt.js in headless Chromium over wss:// (TLS at HAProxy; the browser trusts exactly its key), reloaded twice per id: the broker paho reaches over ws://"""
    check(CHROMIUM, "chromium is not installed (scripts/install-deps.sh installs it)")
    pem = server_pem(env)
    tp = free_port()
    lp = start(env, extra_env={"MQTT_WSS_BIND": "127.0.0.1:%d" % tp, "MQTT_WSS_CERT": pem},
               ports=[tp])
    for cid in ("browser-wss-1", "browser-wss-2"):
        rc, plain = paho_whoami(lp, cid)
        check(rc == 0 and plain, "paho %s: %r %r" % (cid, rc, plain))
        for _ in range(2):
            r = browser_whoami(env, tp, cid, scheme="wss", trust=os.path.join(env.dir, "cert.pem"))
            check(r == "marker:" + plain, "%s over wss: the page reported %r, paho reached %s" % (cid, r, plain))


@SUITE.test
def paho_ids_spread(env):
    """16 client ids over ws:// spread over the brokers, each id where its broker's log says"""
    lp = start(env)
    where = {}
    for i in range(16):
        cid = "ws-spread-%02d" % i
        rc, marker = paho_whoami(lp, cid)
        check(rc == 0 and marker, "%s: CONNACK %r, marker %r" % (cid, rc, marker))
        where[cid] = int(marker[-1])
    check(len(set(where.values())) >= 2, "all ids on one broker: %s" % where)
    logs = ws_clients(env)
    for cid, b in where.items():
        check(logs.get(cid) == {b}, "%s: marker broker%d, logs %s" % (cid, b, logs.get(cid)))


@SUITE.test(smoke=True)
def raw_frames_split_ping(env):
    """CONNECT cut over three frames (binary, ping, continuation x2), two packets in one frame: routed like paho's client, answers unmasked"""
    lp = start(env)
    cid = "ws-split-7"
    rc, marker = paho_whoami(lp, cid)
    check(rc == 0, "paho: %r" % rc)
    pkt = connect_packet(cid)
    s, head, rest = ws_open(lp)
    try:
        check(head.startswith("HTTP/1.1 101 "), "answer: %r" % head)
        check("Sec-WebSocket-Accept: %s" % KEY_ACCEPT in head, "accept key: %r" % head)
        check(re.search(r"(?im)^sec-websocket-protocol: mqtt$", head), "protocol: %r" % head)
        check(rest == b"", "bytes after the 101 before the CONNECT: %r" % rest)
        s.sendall(frame(pkt[:3], fin=False))
        time.sleep(0.1)
        s.sendall(frame(b"hi", opcode=9))
        s.sendall(frame(pkt[3:9], opcode=0, fin=False))
        time.sleep(0.1)
        # the rest of the CONNECT and the SUBSCRIBE in the last frame
        s.sendall(frame(pkt[9:] + subscribe_packet("whoami"), opcode=0))
        data = recv_until_publish(s, rest)
        frames = server_frames(data)
        check(any(op == 10 and p == b"hi" for op, p in frames), "no pong for the ping: %r" % frames)
        pkts = mqtt_packets(mqtt_frames_in(data))
        check(pkts and pkts[0] == (0x20, b"\x00\x00"), "CONNACK: %r" % pkts[:1])
        pubs = [(t, b) for t, b in pkts if t >> 4 == 3]
        check(pubs, "no PUBLISH of the marker after the CONNACK: %r" % pkts)
        got = publish_payload(pubs[0][0], pubs[0][1]).decode()
        check(got == marker, "raw client on %s, paho on %s" % (got, marker))
    finally:
        s.close()


@SUITE.test
def dribbled_byte_by_byte(env):
    """handshake and CONNECT frames sent one byte at a time (a 2-byte frame per CONNECT byte): 101 once the head is whole, then routed with paho's broker"""
    lp = start(env)
    cid = "ws-dribble-3"
    rc, marker = paho_whoami(lp, cid)
    check(rc == 0, "paho: %r" % rc)
    s = socket.create_connection(("127.0.0.1", lp), timeout=5)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = handshake()
        for i in range(len(req) - 1):
            s.sendall(req[i:i + 1])
            time.sleep(0.002)
        s.settimeout(0.3)
        try:
            early = s.recv(100)
        except socket.timeout:
            early = b""
        check(early == b"", "answer before the head was complete: %r" % early)
        s.sendall(req[-1:])
        head, rest = read_head(s)
        check(head.startswith("HTTP/1.1 101") and KEY_ACCEPT in head, "answer %r" % head)
        pkt = connect_packet(cid)
        data = b"".join(frame(pkt[i:i + 1], opcode=0 if i else 2, fin=i == len(pkt) - 1)
                        for i in range(len(pkt)))
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(0.002)
        s.sendall(frame(subscribe_packet("whoami")))
        out = recv_until_publish(s, rest)
        pubs = [(t, b) for t, b in mqtt_packets(mqtt_frames_in(out)) if t >> 4 == 3]
        check(pubs, "no marker: %r" % out)
        check(publish_payload(*pubs[0]).decode() == marker, "raw on %r, paho on %s" % (pubs, marker))
    finally:
        s.close()


@SUITE.test
def same_id_simultaneous(env):
    """8 simultaneous WebSocket connections for each of 4 client ids: every connection of an id reaches one broker (broker logs)"""
    lp = start(env)
    ids = ["ws-race-%d" % i for i in range(4)]
    barrier = threading.Barrier(len(ids) * 8)
    errors = []

    def one(cid):
        try:
            s = socket.create_connection(("127.0.0.1", lp), timeout=10)
            barrier.wait(10)
            s.sendall(handshake() + frame(connect_packet(cid, clean=False)))
            head, rest = read_head(s)
            out, _ = recv_all(s, timeout=1.5, first=rest)
            s.close()
            if not head.startswith("HTTP/1.1 101"):
                errors.append("%s: %r" % (cid, head))
        except Exception as e:  # noqa: BLE001
            errors.append("%s: %s" % (cid, e))

    threads = [threading.Thread(target=one, args=(cid,)) for cid in ids for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    check(not errors, "; ".join(errors[:4]))
    logs = ws_clients(env)
    for cid in ids:
        check(cid in logs and len(logs[cid]) == 1, "%s reached brokers %s" % (cid, logs.get(cid)))


@SUITE.test
def handshake_timeout(env):
    """a head still incomplete when the inspect delay expires: 408; a client that closes its side mid-head: 400"""
    lp = start(env, delay="1s")
    s = socket.create_connection(("127.0.0.1", lp), timeout=5)
    try:
        s.sendall(handshake()[:40])
        data, closed = recv_all(s, timeout=4)
    finally:
        s.close()
    check(data.startswith(b"HTTP/1.1 408 "), "got %r" % data[:80])
    check(closed, "not closed")
    s = socket.create_connection(("127.0.0.1", lp), timeout=5)
    try:
        s.sendall(handshake()[:40])
        s.shutdown(socket.SHUT_WR)
        data, closed = recv_all(s, timeout=4)
    finally:
        s.close()
    check(data.startswith(b"HTTP/1.1 400 ") and b"incomplete request head" in data,
          "half-closed mid-head: got %r" % data[:120])


BAD_HANDSHAKES = [
    # (name, request, status, header line that must be in the answer)
    ("POST", handshake(method="POST"), 405, "Allow: GET"),
    ("HTTP/1.0", handshake(http="HTTP/1.0"), 400, None),
    ("no Upgrade", handshake(upgrade=None), 426, "Upgrade: websocket"),
    ("Upgrade: h2c", handshake(upgrade="h2c"), 426, "Upgrade: websocket"),
    ("no Connection: upgrade", handshake(connection="keep-alive"), 400, None),
    ("version 8", handshake(version="8"), 426, "Sec-WebSocket-Version: 13"),
    ("no version", handshake(version=None), 426, "Sec-WebSocket-Version: 13"),
    ("no key", handshake(key=None), 400, None),
    ("key of 15 bytes", handshake(key=base64.b64encode(b"x" * 15).decode()), 400, None),
    ("key not base64", handshake(key="!!!!!!!!!!!!!!!!!!!!!!=="), 400, None),
    ("two keys", handshake(extra="Sec-WebSocket-Key: %s\r\n" % KEY), 400, None),
    ("no protocol", handshake(proto=None), 400, None),
    ("protocol mqttv3.1 only", handshake(proto="mqttv3.1"), 400, None),
    ("protocol list malformed", handshake(proto="mqtt chat"), 400, None),
    ("a body", handshake(extra="Content-Length: 4\r\n"), 400, None),
    ("not HTTP", b"\x00\x01garbage\r\n\r\n", 400, None),
    ("header over the buffer", handshake(extra="X-Big: %s\r\n" % ("a" * 20000)), 431, None),
]


@SUITE.test(smoke=True)
def bad_handshakes(env):
    """each bad opening handshake gets its HTTP status (405/400/426/431) and a close; no broker sees it"""
    lp = start(env)
    for name, req, status, hdr in BAD_HANDSHAKES:
        s = socket.create_connection(("127.0.0.1", lp), timeout=5)
        try:
            try:
                s.sendall(req)
            except OSError:
                pass
            data, closed = recv_all(s)
        finally:
            s.close()
        text = data.decode(errors="replace")
        check(text.startswith("HTTP/1.1 %d " % status), "%s: got %r" % (name, text[:120]))
        check(closed, "%s: not closed" % name)
        if hdr:
            check(hdr in text, "%s: no %r in %r" % (name, hdr, text))
    for b in (1, 2, 3):
        check("upgrade key=" not in broker_log(env, "broker%d" % b),
              "broker%d saw a refused handshake" % b)
    check("refused: " in hap_log(env), "no log line with the reason")


BAD_FRAMES = [
    # (name, bytes after the handshake, close code)
    ("unmasked frame", frame(connect_packet("u"), mask=None), 1002),
    ("reserved opcode 3", frame(connect_packet("r"), opcode=3), 1002),
    ("RSV1 without extension", frame(connect_packet("x"), rsv=0x40), 1002),
    ("text frame", frame(connect_packet("t"), opcode=1), 1003),
    ("64-bit length with MSB", frame(b"", length=1 << 63)[:10], 1002),
    ("16-bit length for 5 bytes", bytes([0x82, 0xFE, 0, 5]) + MASK + b"\x10\x03\x00\x04M", 1002),
    ("close before the CONNECT", frame(struct.pack(">H", 1000), opcode=8), 1000),
]


@SUITE.test
def bad_frames(env):
    """after the 101: unmasked frame, reserved opcode, RSV bit, text frame, bad lengths get close 1002/1003; a close before the CONNECT is answered; no broker sees them"""
    lp = start(env)
    for name, data, code in BAD_FRAMES:
        s, head, rest = ws_open(lp)
        try:
            check(head.startswith("HTTP/1.1 101"), "%s: %r" % (name, head))
            s.sendall(data)
            out, closed = recv_all(s, first=rest)
        finally:
            s.close()
        frames = server_frames(out)
        check(frames and frames[-1][0] == 8, "%s: no close frame: %r" % (name, out))
        check(close_code(frames[-1][1]) == code,
              "%s: close code %r, expected %d" % (name, close_code(frames[-1][1]), code))
        check(closed, "%s: connection not closed" % name)
    for b in (1, 2, 3):
        check("upgrade key=" not in broker_log(env, "broker%d" % b), "broker%d was reached" % b)


@SUITE.test
def refusal_in_frames(env):
    """mqtt-refuse for a WebSocket client: the CONNACK in a binary frame, then close 1000; a malformed 3.1.1 CONNECT: close 1002 only"""
    lp = start(env)
    cases = [
        ("3.1 id of 24 bytes", connect_packet("x" * 24, version=3), b"\x20\x02\x00\x02"),
        ("5.0 bad level", b"\x10\x0d\x00\x04MQTT\x06\x02\x00\x3c\x00\x01p", b"\x20\x02\x00\x01"),
        ("3.1.1 reserved flag", b"\x10\x0d\x00\x04MQTT\x04\x03\x00\x3c\x00\x01p", b""),
    ]
    for name, pkt, connack in cases:
        s, head, rest = ws_open(lp)
        try:
            s.sendall(frame(pkt))
            out, closed = recv_all(s, first=rest)
        finally:
            s.close()
        frames = server_frames(out)
        want = ([(2, connack)] if connack else []) + [(8, None)]
        check([op for op, _ in frames] == [op for op, _ in want], "%s: frames %r" % (name, frames))
        if connack:
            check(frames[0][1] == connack, "%s: CONNACK %r" % (name, frames[0][1]))
        check(close_code(frames[-1][1]) == (1000 if connack else 1002),
              "%s: close %r" % (name, frames[-1][1]))
        check(closed, "%s: not closed" % name)


@SUITE.test(smoke=True)
def broker_sees_client_handshake(env):
    """the broker gets the client's own head (its key) minus Sec-WebSocket-Extensions, then the frames byte for byte; its 101 is checked and dropped"""
    cap = Capture()
    try:
        lp = start(env, backends=[cap.port] * 3)
        req = handshake(extra="Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                              "User-Agent: test/1\r\n")
        s, head, rest = ws_open(lp, req)
        try:
            check(head.startswith("HTTP/1.1 101") and KEY_ACCEPT in head, "answer %r" % head)
            check("xtensions" not in head, "extension accepted: %r" % head)
            frames = frame(connect_packet("cap-1")) + frame(b"\xc0\x00")  # CONNECT, PINGREQ
            s.sendall(frames)
            out, _ = recv_all(s, timeout=2, first=rest)
        finally:
            s.close()
        check(out == b"\x82\x04\x20\x02\x00\x00",
              "client got %r after the 101 (the broker's 101 must not reach it)" % out)
        deadline = time.time() + 3
        while time.time() < deadline and not cap.data.endswith(frames):
            time.sleep(0.05)
        want = req.replace(b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", b"")
        check(cap.data == want + frames, "broker got %r, expected %r" % (cap.data, want + frames))
    finally:
        cap.close()


@SUITE.test
def broker_refusals(env):
    """a broker answering 403, a wrong accept key or no mqtt subprotocol: the client gets close 1014, the log says why"""
    cases = [
        ("403", lambda h: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
         "refused the WebSocket upgrade"),
        ("wrong accept", lambda h: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
         % accept_of("AAAAAAAAAAAAAAAAAAAAAA=="), "does not match"),
        ("no protocol", lambda h: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
         % accept_of(re.search(r"(?im)^sec-websocket-key:\s*(\S+)", h).group(1)),
         "did not select the mqtt subprotocol"),
    ]
    for name, answer, why in cases:
        cap = Capture(answer)
        try:
            lp = start(env, backends=[cap.port] * 3)
            s, head, rest = ws_open(lp)
            try:
                s.sendall(frame(connect_packet("refused-%s" % name.replace(" ", "-"))))
                out, closed = recv_all(s, first=rest)
            finally:
                s.close()
            frames = server_frames(out)
            check(frames and frames[-1][0] == 8 and close_code(frames[-1][1]) == 1014,
                  "%s: client got %r" % (name, out))
            check(not any(op == 2 for op, _ in frames), "%s: broker bytes reached the client" % name)
            check(closed, "%s: not closed" % name)
            deadline = time.time() + 2
            while time.time() < deadline and why not in hap_log(env):
                time.sleep(0.05)
            check(why in hap_log(env), "%s: log lacks %r" % (name, why))
        finally:
            cap.close()
            env.stop()
            env.hap_logs = []


def extra_args(ap):
    ap.add_argument("--node-modules", help="directory holding aedes and ws")
    add_asan_option(ap)


if __name__ == "__main__":
    sys.exit(main(SUITE, __doc__, matrix_argv(sys.argv[1:]), extra_args=extra_args))
