"""Shared helpers of the suites that run the HAProxy addon for real
(tests/e2e, tests/fault, and any later one): MQTT bytes, a blocking raw
client, free ports, mosquitto brokers and HAProxy processes started and
stopped by PID, HAProxy's stats socket, the recipes, and a small test runner
(one line per test, "N passed, N failed", smoke selection, per-binary loop).

Use from a suite in tests/<suite>/:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
    from mqtttest import Env, Suite, connect_packet, free_port, ...

Standard library only (paho is imported by the suites that use it).
Everything listens on 127.0.0.1 on ports chosen at run time.

Which broker a client reached: every broker started by Env.broker() holds a
retained message "<name>" ("broker1", "broker2", ...) on topic "whoami",
published to it directly; a client subscribes to "whoami" through the
balancer and reads it.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

LIB = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(LIB))
RECIPES = os.path.join(TOP, "examples", "haproxy")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# what a memory error looks like in a sanitizer build's output
ASAN_MARK = "ERROR: AddressSanitizer"
LSAN_MARK = "ERROR: LeakSanitizer"
# HAProxy's exit leaves stick-table entries allocated: see tests/fault/lsan.supp
LSAN_OPTIONS = "suppressions=%s:print_suppressions=0" % os.path.join(
    TOP, "tests", "fault", "lsan.supp")


# ---------------------------------------------------------------------------
# MQTT bytes
# ---------------------------------------------------------------------------

def vbi(n):
    """Variable byte integer encoding of n (n >= 2**28 gives 5 or more
    bytes, for malformed-length tests)."""
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mstr(b):
    """Two-byte length prefixed string (str is UTF-8 encoded)."""
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(2, "big") + b


def packet(first, body):
    """A packet: first byte, minimal remaining length, body."""
    return bytes([first]) + vbi(len(body)) + body


def fixed_header(buf):
    """(remaining length, fixed header length) of the packet at buf[0] once
    its remaining length is complete in buf (the rest may not be), else None."""
    mult, val = 1, 0
    for i in range(1, min(len(buf), 5)):
        val += (buf[i] & 0x7F) * mult
        if not buf[i] & 0x80:
            return val, i + 1
        mult *= 128
    return None


def connect_raw(cid, level=4, flags=0x02, keepalive=60, props=None, will=None, will_props=b"",
                user=None, password=None, name=None, first=0x10, tail=b""):
    """CONNECT bytes with the connect flags as given, not derived from the
    fields (for malformed CONNECTs): a property block only when props is not
    None (also before the will, with will_props), will = (topic, payload),
    name defaults to the level's ("MQIsdp" for 3), tail follows the payload."""
    if name is None:
        name = "MQIsdp" if level == 3 else "MQTT"
    body = mstr(name) + bytes([level, flags]) + keepalive.to_bytes(2, "big")
    if props is not None:
        body += vbi(len(props)) + props
    body += mstr(cid)
    if will is not None:
        if props is not None:
            body += vbi(len(will_props)) + will_props
        body += mstr(will[0]) + mstr(will[1])
    if user is not None:
        body += mstr(user)
    if password is not None:
        body += mstr(password)
    return packet(first, body + tail)


def connect_packet(cid, version=4, clean=True, keepalive=60, user=None, password=None,
                   will=None, props=b"", level=None, flags_or=0):
    """CONNECT bytes. version 3 (MQIsdp), 4 or 5; will = (topic, payload,
    qos, retain); level overrides the protocol level byte (bridges: 0x84);
    flags_or is or-ed into the connect flags (reserved bit tests)."""
    flags = (0x02 if clean else 0) | flags_or
    if will:
        flags |= 0x04 | (will[2] << 3) | (0x20 if will[3] else 0)
    if user is not None:
        flags |= 0x80
    if password is not None:
        flags |= 0x40
    return connect_raw(cid, version if level is None else level, flags, keepalive,
                       props if version == 5 else None, will[:2] if will else None,
                       user=user, password=password,
                       name="MQIsdp" if version == 3 else "MQTT")


def subscribe_packet(topic, version=4, pid=1):
    """SUBSCRIBE of one topic at QoS 0."""
    body = pid.to_bytes(2, "big") + (b"\x00" if version == 5 else b"") + mstr(topic) + b"\x00"
    return packet(0x82, body)


def publish_packet(topic, payload, retain=False, version=4):
    """A QoS 0 PUBLISH."""
    body = mstr(topic) + (b"\x00" if version == 5 else b"") + payload
    return packet(0x31 if retain else 0x30, body)


DISCONNECT = b"\xe0\x00"


def publish_full(topic, payload, qos=0, pid=1, retain=False, dup=False, version=4, props=b""):
    """A PUBLISH of any QoS (a packet id for QoS 1 and 2); props is the 5.0
    property block without its length."""
    body = mstr(topic) + (pid.to_bytes(2, "big") if qos else b"")
    if version == 5:
        body += vbi(len(props)) + props
    return packet(0x30 | (0x08 if dup else 0) | (qos << 1) | (1 if retain else 0), body + payload)


def connect_level(pkt):
    """The protocol level byte of a whole CONNECT packet (None if not one)."""
    r = fixed_header(pkt)
    if not r or pkt[:1] != b"\x10" or len(pkt) < r[1] + 3:
        return None
    at = r[1] + 2 + int.from_bytes(pkt[r[1]:r[1] + 2], "big")
    return pkt[at] if at < len(pkt) else None


def split_packets(buf):
    """(packets, rest): the whole packets at the start of buf, as bytes each,
    and the incomplete tail."""
    out = []
    while len(buf) >= 2:
        r = fixed_header(buf)
        if not r or len(buf) < r[0] + r[1]:
            break
        out.append(bytes(buf[:r[0] + r[1]]))
        buf = buf[r[0] + r[1]:]
    return out, bytes(buf)


def publish_payload(first, body, version=4):
    """The application payload of a PUBLISH packet (first byte, body)."""
    tl = int.from_bytes(body[:2], "big")
    pos = 2 + tl + (2 if (first >> 1) & 3 else 0)
    if version == 5:
        plen, n = 0, 0
        while True:
            b = body[pos]
            pos += 1
            plen |= (b & 0x7F) << (7 * n)
            n += 1
            if not b & 0x80:
                break
        pos += plen
    return body[pos:]


def connack_of(pkt):
    """(session_present, code, props_bytes) of a CONNACK packet tuple."""
    t, body = pkt
    assert t == 0x20, "expected CONNACK, got 0x%02x" % t
    return body[0] & 1, body[1], body[2:]


PAYLOAD_TOKEN = re.compile(r"'[^']*'|\S+")


def mosquitto_payload(text):
    """Bytes of one payload in the notation of mosquitto's broker test data
    (test/broker/data: 'text', iN byte, HN/kN/mN/sN two bytes, LN four
    bytes, rN/vN variable byte integer, hex pairs); ValueError on anything else."""
    out = bytearray()
    for tok in PAYLOAD_TOKEN.findall(text):
        if tok.startswith("'"):
            out += tok[1:-1].encode("utf-8")
            continue
        m = re.fullmatch(r"([iHkmsLrv])(\d+)", tok)
        if m:
            kind, n = m.group(1), int(m.group(2))
            if kind == "i":
                out.append(n & 0xFF)
            elif kind in "Hkms":
                out += (n & 0xFFFF).to_bytes(2, "big")
            elif kind == "L":
                out += (n & 0xFFFFFFFF).to_bytes(4, "big")
            else:
                out += vbi(n)
            continue
        if re.fullmatch(r"(?:[0-9a-fA-F]{2})+", tok):
            out += bytes.fromhex(tok)
            continue
        raise ValueError("unknown token %r in %r" % (tok, text))
    return bytes(out)


def ws_frame(b0, payload=b"", mask=None, length=None):
    """A WebSocket frame (RFC 6455 5.2): first byte b0 (FIN, RSV, opcode),
    masked with the 4-byte mask unless it is None or empty; length
    overrides the length the header states."""
    n = len(payload) if length is None else length
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = bytes([b0, mbit | n])
    elif n < 65536:
        hdr = bytes([b0, mbit | 126]) + n.to_bytes(2, "big")
    else:
        hdr = bytes([b0, mbit | 127]) + n.to_bytes(8, "big")
    if not mask:
        return hdr + payload
    return hdr + mask + bytes(c ^ mask[i % 4] for i, c in enumerate(payload))


def v5_props(block):
    """Parse a 5.0 property block (after its length) into {id: value}."""
    out, i = {}, 0
    while i < len(block):
        pid = block[i]
        i += 1
        if pid in (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A):
            out[pid] = block[i]
            i += 1
        elif pid in (0x13, 0x21, 0x22):
            out[pid] = int.from_bytes(block[i:i + 2], "big")
            i += 2
        elif pid in (0x02, 0x11, 0x18, 0x27):
            out[pid] = int.from_bytes(block[i:i + 4], "big")
            i += 4
        elif pid == 0x26:
            kl = int.from_bytes(block[i:i + 2], "big")
            k = block[i + 2:i + 2 + kl]
            i += 2 + kl
            vl = int.from_bytes(block[i:i + 2], "big")
            out.setdefault(0x26, []).append((k, block[i + 2:i + 2 + vl]))
            i += 2 + vl
        else:
            ln = int.from_bytes(block[i:i + 2], "big")
            out[pid] = block[i + 2:i + 2 + ln]
            i += 2 + ln
    return out


# ---------------------------------------------------------------------------
# Blocking raw client
# ---------------------------------------------------------------------------

def recv_exact(sock, n):
    """n bytes from sock, or None if it closes first."""
    buf = b""
    while len(buf) < n:
        d = sock.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


def read_packet(sock):
    """Next packet as (first byte, body), or None on close."""
    h = recv_exact(sock, 1)
    if not h:
        return None
    mult, n = 1, 0
    while True:
        b = recv_exact(sock, 1)
        if not b:
            return None
        n += (b[0] & 0x7F) * mult
        mult *= 128
        if not b[0] & 0x80:
            break
    body = recv_exact(sock, n) if n else b""
    if body is None:
        return None
    return h[0], body


def recv_all(sock, timeout=3.0, first=b""):
    """Everything the peer sends until it closes, or until timeout, after the
    bytes <first> already read: returns (bytes, closed)."""
    sock.settimeout(timeout)
    out = first
    try:
        while True:
            d = sock.recv(4096)
            if not d:
                return out, True
            out += d
    except socket.timeout:
        return out, False
    except ConnectionResetError:
        return out, True


def raw_session(port, packet, chunks=None, delay=0.0, version=4, whoami=True, timeout=5.0,
                host="127.0.0.1", wrap=None):
    """Send CONNECT (whole, or cut at the offsets in chunks, delay seconds
    apart), read CONNACK and, if accepted and whoami, subscribe to 'whoami'
    and read its payload. wrap(sock) may wrap the socket (TLS).
    Returns dict(connack=(sp, code, props) or None, marker=str or None)."""
    s = socket.create_connection((host, port), timeout=timeout)
    if wrap:
        s = wrap(s)
    s.settimeout(timeout)
    try:
        if chunks:
            cuts = [0] + list(chunks) + [len(packet)]
            for a, b in zip(cuts, cuts[1:]):
                if b > a:
                    s.sendall(packet[a:b])
                    time.sleep(delay)
        else:
            s.sendall(packet)
        pkt = read_packet(s)
        if pkt is None:
            return {"connack": None, "marker": None}
        ca = connack_of(pkt)
        res = {"connack": ca, "marker": None}
        if ca[1] != 0 or not whoami:
            return res
        s.sendall(subscribe_packet("whoami", version))
        deadline = time.time() + timeout
        while time.time() < deadline:
            pkt = read_packet(s)
            if pkt is None:
                break
            if pkt[0] >> 4 == 3:
                res["marker"] = publish_payload(pkt[0], pkt[1], version).decode()
                break
        s.sendall(DISCONNECT)
        return res
    finally:
        try:
            s.close()
        except OSError:
            pass


def raw_exchange(port, data, timeout=3.0):
    """Send raw bytes; return (bytes received, closed by peer)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        return recv_all(s, timeout)
    finally:
        s.close()


def first_answer(port, data, timeout=4.0):
    """Send data (a CONNECT) to 127.0.0.1:port and return the bytes that come
    back once they hold one whole packet (what came before a close
    otherwise); then send DISCONNECT and close."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    got = b""
    try:
        while True:
            r = fixed_header(got) if len(got) >= 2 else None
            if r and len(got) >= r[0] + r[1]:
                break
            d = s.recv(4096)
            if not d:
                break
            got += d
        s.sendall(DISCONNECT)
    except OSError:
        pass
    s.close()
    return got


# ---------------------------------------------------------------------------
# Ports and brokers
# ---------------------------------------------------------------------------

def paho_client(client_id, protocol=None, clean=True, transport="tcp"):
    """A paho client (callback API 1 where paho has several); protocol
    defaults to MQTT 3.1.1."""
    import paho.mqtt.client as mqtt
    kw = {"client_id": client_id, "protocol": protocol or mqtt.MQTTv311, "transport": transport}
    if kw["protocol"] != mqtt.MQTTv5:
        kw["clean_session"] = clean
    if hasattr(mqtt, "CallbackAPIVersion"):
        return mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, **kw)
    return mqtt.Client(**kw)


def paho_whoami(port, client_id, protocol=None, tls=None, clean=True, props=None, timeout=8.0,
                ws_path=None):
    """Connect with paho (over WebSocket at ws_path when given), subscribe to
    whoami and read the marker its broker keeps there. Returns dict(rc,
    marker, assigned): rc the CONNACK code, or "exception: ..." when the
    connection failed."""
    import paho.mqtt.client as mqtt
    c = paho_client(client_id, protocol, clean, "websockets" if ws_path else "tcp")
    if ws_path:
        c.ws_set_options(path=ws_path)
    if tls:
        c.tls_set(**tls)
    out = {"rc": None, "marker": None, "assigned": None}
    done = threading.Event()

    def on_connect(cl, ud, flags, rc, properties=None):
        out["rc"] = rc if isinstance(rc, int) else getattr(rc, "value", rc)
        if properties is not None and hasattr(properties, "AssignedClientIdentifier"):
            out["assigned"] = properties.AssignedClientIdentifier
        if out["rc"] == 0:
            cl.subscribe("whoami", 0)
        else:
            done.set()

    def on_message(cl, ud, msg):
        out["marker"] = msg.payload.decode()
        done.set()

    c.on_connect = on_connect
    c.on_message = on_message
    kw = {}
    if protocol == mqtt.MQTTv5:
        kw["clean_start"] = clean
        if props is not None:
            kw["properties"] = props
    try:
        c.connect("127.0.0.1", port, 30, **kw)
    except Exception as e:
        out["rc"] = "exception: %r" % (e,)
        return out
    c.loop_start()
    done.wait(timeout)
    c.disconnect()
    c.loop_stop()
    return out


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    return free_ports(1)[0]


def free_ports(n):
    """n distinct free ports (all held open while choosing)."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def wait_port(port, timeout=10.0, proc=None):
    """True once something accepts on port (False if proc died or timeout)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def set_marker(port, text):
    """Publish retained text on "whoami" directly to the broker on port and
    wait until the broker serves it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(connect_packet("marker-setter"))
    read_packet(s)
    s.sendall(publish_packet("whoami", text.encode(), retain=True) + DISCONNECT)
    s.close()
    for _ in range(100):
        if raw_session(port, connect_packet("marker-check"), timeout=3)["marker"] == text:
            return
        time.sleep(0.05)
    raise RuntimeError("marker not stored on %d" % port)


def broker_env(ports, bind_port):
    """The ${VARS} of the recipes: MQTT_BIND and BROKER1..N."""
    e = {"MQTT_BIND": "127.0.0.1:%d" % bind_port}
    for i, p in enumerate(ports):
        e["BROKER%d" % (i + 1)] = "127.0.0.1:%d" % p
    return e


# ---------------------------------------------------------------------------
# HAProxy binaries, configurations, stats socket
# ---------------------------------------------------------------------------

def haproxy_vv(binary):
    """Output of `binary -vv` ("" if it does not run)."""
    try:
        return subprocess.run([binary, "-vv"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def haproxy_version(binary=None, vv=None):
    """(major, minor) of a HAProxy binary (or of its -vv text); (0, 0) if unknown."""
    text = vv if vv is not None else haproxy_vv(binary)
    m = re.search(r"version (\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def haproxy_version_string(vv):
    """The full version ("3.0.11-9e587df", "3.5-dev5-...") from -vv text."""
    m = re.search(r"HAProxy version (\S+)", vv)
    return m.group(1) if m else "?"


ADDON_LINE = re.compile(r"^Built with the MQTT addon: libmqttparse (\S+) \(run-time (\S+)\)", re.M)


def addon_line(vv):
    """The addon's line of -vv, or None."""
    m = ADDON_LINE.search(vv)
    return m.group(0) if m else None


def read_text(path):
    """Text of a log or other file (undecodable bytes replaced)."""
    with open(path, errors="replace") as f:
        return f.read()


def wait_text(path, needle, timeout=5.0):
    """True once file <path> contains <needle> (a log line written a moment later)."""
    deadline = time.time() + timeout
    while True:
        if needle in read_text(path):
            return True
        if time.time() >= deadline:
            return False
        time.sleep(0.05)


def recipe(name):
    """Text of examples/haproxy/<name>."""
    with open(os.path.join(RECIPES, name)) as f:
        return f.read()


def add_lines(cfg, section_re, lines):
    """Insert lines (indented) right after the first line matching
    section_re (a section header such as ^global, ^backend mqtt_brokers)."""
    out, done = [], False
    for line in cfg.splitlines():
        out.append(line)
        if not done and re.match(section_re, line):
            out.extend("    " + l for l in lines)
            done = True
    if not done:
        raise RuntimeError("section %r not in the configuration" % section_re)
    return "\n".join(out) + "\n"


def has_directive(cfg, word):
    """True if a non-comment line of cfg starts with word."""
    return any(l.strip().startswith(word) for l in cfg.splitlines()
               if not l.strip().startswith("#"))


def stats_cmd(sock_path, cmd, timeout=5.0):
    """Send one command to HAProxy's stats socket; return the answer."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode(errors="replace")


def show_table(sock_path, table):
    """{key: server_id} of a stick table, from "show table"."""
    out = {}
    for line in stats_cmd(sock_path, "show table %s" % table).splitlines():
        k = re.search(r"\bkey=(\S+)", line)
        sid = re.search(r"\bserver_id=(\d+)", line)
        if k and sid:
            out[k.group(1)] = int(sid.group(1))
    return out


def show_stat(sock_path):
    """{(proxy, server): {field: value}} from "show stat" (CSV)."""
    lines = stats_cmd(sock_path, "show stat").splitlines()
    if not lines or not lines[0].startswith("# "):
        return {}
    head = lines[0][2:].split(",")
    out = {}
    for line in lines[1:]:
        if not line:
            continue
        row = dict(zip(head, line.split(",")))
        out[(row.get("pxname"), row.get("svname"))] = row
    return out


def make_pki(d, certs, ca_subject="/CN=test-ca", san="IP:127.0.0.1,DNS:localhost"):
    """With openssl, in d: a CA (ca.pem, ca.key) and for each (name, subject,
    server) of certs name.key and name.crt signed by it, server ones with
    subjectAltName san; server.pem is server.crt + server.key."""
    def run(*a):
        subprocess.run(a, check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
        "-out", "ca.pem", "-days", "2", "-subj", ca_subject)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=%s\n" % san)
    for name, subj, server in certs:
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", subj)
        args = ["openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-CAcreateserial", "-out", name + ".crt", "-days", "2"]
        if server:
            args += ["-extfile", "san.ext"]
        run(*args)
    if os.path.exists(os.path.join(d, "server.crt")):
        with open(os.path.join(d, "server.pem"), "w") as f:
            f.write(read_text(os.path.join(d, "server.crt")) +
                    read_text(os.path.join(d, "server.key")))


def asan_options(report_dir):
    """ASAN_OPTIONS for HAProxy's ASan build. Reports go to files
    <report_dir>/asan.<pid> (so they survive whatever the harness does with
    stderr); leak detection stays on unless FAULT_ASAN_LEAKS=0."""
    leaks = os.environ.get("FAULT_ASAN_LEAKS", "1")
    return ("detect_leaks=%s:abort_on_error=1:fast_unwind_on_malloc=0:log_path=%s" %
            (leaks, os.path.join(report_dir, "asan")))


# ---------------------------------------------------------------------------
# Scripted brokers, a WebSocket front for mosquitto, process memory
# ---------------------------------------------------------------------------

def vm_rss_kb(pid):
    """VmRSS of process pid in kB (from /proc/<pid>/status)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


class ScriptedBroker:
    """A broker played by the test on a free port, to see exactly what a
    backend receives and when. For each connection: waits for the whole
    first packet (the CONNECT), answers connack (bytes, or a function of the
    CONNECT's bytes giving them; None: a CONNACK 0 in the CONNECT's
    version), then runs script(sock, conn) if given, then
    reads until the peer closes. Each connection is a dict: data (bytes
    received), t_accept, t_connack, t_eof (time.time() values, None until
    then), error."""

    def __init__(self, connack=None, script=None):
        self.connack = connack
        self.script = script
        self.conns = []
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.stopped = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            conn = {"data": b"", "t_accept": time.time(), "t_connack": None, "t_eof": None,
                    "error": None}
            self.conns.append(conn)
            threading.Thread(target=self._serve, args=(c, conn), daemon=True).start()

    def _serve(self, c, conn):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c.settimeout(120)
        try:
            while True:
                pk, _ = split_packets(conn["data"])
                if pk:
                    break
                d = c.recv(65536)
                if not d:
                    conn["t_eof"] = time.time()
                    return
                conn["data"] += d
            first = pk[0]
            ack = self.connack(first) if callable(self.connack) else self.connack
            if ack is None:
                ack = b"\x20\x03\x00\x00\x00" if connect_level(first) == 5 else b"\x20\x02\x00\x00"
            c.sendall(ack)
            conn["t_connack"] = time.time()
            if self.script:
                self.script(c, conn)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                conn["data"] += d
            conn["t_eof"] = time.time()
        except OSError as e:
            conn["error"] = repr(e)
            conn["t_eof"] = conn["t_eof"] or time.time()
        finally:
            c.close()

    def wait(self, n=1, timeout=10.0, eof=False):
        """Waits until n connections were accepted (and, with eof, ended);
        returns the list of connections."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.conns) >= n and (not eof or all(c["t_eof"] for c in self.conns[:n])):
                break
            time.sleep(0.02)
        return self.conns

    def close(self):
        self.stopped = True
        self.sock.close()


WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def ws_bridge_serve(listen_port, target_port):
    """Serve MQTT over WebSocket on 127.0.0.1:listen_port in front of the
    plain MQTT broker on target_port (mosquitto has no WebSocket listener in
    Debian): answers the opening handshake with subprotocol "mqtt" (RFC 6455
    4.2.2), then relays the payload of the client's binary frames to the
    broker and the broker's bytes as binary frames. Runs until killed."""
    import base64
    import hashlib
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(64)

    def frames_to_tcp(ws, tcp, buf):
        try:
            while True:
                while True:
                    if len(buf) >= 2:
                        n, pos = buf[1] & 0x7F, 2
                        if n == 126:
                            n, pos = int.from_bytes(buf[2:4], "big"), 4
                        elif n == 127:
                            n, pos = int.from_bytes(buf[2:10], "big"), 10
                        mask = buf[pos:pos + 4] if buf[1] & 0x80 else None
                        pos += 4 if mask else 0
                        if len(buf) >= pos + n:
                            op, data = buf[0] & 0x0F, buf[pos:pos + n]
                            buf = buf[pos + n:]
                            if mask:
                                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
                            if op in (0, 2):
                                tcp.sendall(data)
                            elif op == 8:
                                ws.sendall(ws_frame(0x88, data[:2]))
                                tcp.shutdown(socket.SHUT_WR)
                                return
                            elif op == 9:
                                ws.sendall(ws_frame(0x8A, data))
                            continue
                    break
                d = ws.recv(65536)
                if not d:
                    tcp.shutdown(socket.SHUT_WR)
                    return
                buf += d
        except OSError:
            pass

    def tcp_to_frames(ws, tcp):
        try:
            while True:
                d = tcp.recv(65536)
                if not d:
                    ws.sendall(ws_frame(0x88, (1000).to_bytes(2, "big")))
                    ws.shutdown(socket.SHUT_WR)
                    return
                ws.sendall(ws_frame(0x82, d))
        except OSError:
            pass

    def serve(ws):
        tcp = None
        try:
            req = b""
            while b"\r\n\r\n" not in req:
                d = ws.recv(65536)
                if not d:
                    return
                req += d
            head, rest = req.split(b"\r\n\r\n", 1)
            hdr = {}
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                hdr[k.strip().lower()] = v.strip()
            protos = [p.strip() for p in hdr.get(b"sec-websocket-protocol", b"").split(b",")]
            if b"mqtt" not in protos or b"sec-websocket-key" not in hdr:
                ws.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            accept = base64.b64encode(hashlib.sha1(hdr[b"sec-websocket-key"] + WS_GUID).digest())
            tcp = socket.create_connection(("127.0.0.1", target_port))
            ws.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                       b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept +
                       b"\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n")
            t = threading.Thread(target=tcp_to_frames, args=(ws, tcp), daemon=True)
            t.start()
            frames_to_tcp(ws, tcp, rest)
            t.join()
        except OSError:
            pass
        finally:
            ws.close()
            if tcp:
                tcp.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


# ---------------------------------------------------------------------------
# Processes of one test
# ---------------------------------------------------------------------------

class Env:
    """A temp dir plus the processes of one test, stopped by their PID.

    haproxy     the binary under test; version is its (major, minor)
    soft_stop   stop HAProxy with SIGUSR1 (it exits normally, so an ASan
                build runs its leak check) instead of SIGTERM
    asan        give children ASAN_OPTIONS/LSAN_OPTIONS with report files
                in the test dir (see sanitizer_reports)
    broker_log  mosquitto log_type lines ("all" also logs every connection
                with its client id, which broker_clients() reads)
    """

    def __init__(self, haproxy, prefix="mqtt-test-", soft_stop=False, asan=False,
                 broker_log=("all",), version=None):
        self.haproxy = haproxy
        self.version = version if version is not None else haproxy_version(haproxy)
        self.soft_stop = soft_stop
        self.asan = asan
        self.broker_log = broker_log
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.procs = []         # (Popen, name), oldest first
        self.hap_logs = []
        self.hap_exits = []     # (name, pid, status) of stopped HAProxy processes

    def proc_env(self, extra=None):
        """Environment for a child: ours + extra (+ ASan report files)."""
        e = dict(os.environ)
        e.update(extra or {})
        if self.asan:
            e["ASAN_OPTIONS"] = asan_options(self.dir)
            e["LSAN_OPTIONS"] = LSAN_OPTIONS
        return e

    def proc(self, name):
        """The newest process started under name."""
        for p, n in reversed(self.procs):
            if n == name:
                return p
        raise KeyError(name)

    def stop(self):
        """Stop every live child, newest first: HAProxy with SIGUSR1 (soft_stop)
        or SIGTERM, mosquitto with SIGTERM; SIGKILL whatever is still there
        after the grace time (8 s soft, 3 s else). HAProxy exit statuses go
        to self.hap_exits."""
        grace = 8 if self.soft_stop else 3
        for p, name in reversed(self.procs):
            if p.poll() is None:
                hap = name.startswith("hap")
                p.send_signal(signal.SIGUSR1 if hap and self.soft_stop else signal.SIGTERM)
        for p, name in reversed(self.procs):
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            if name.startswith("hap"):
                self.hap_exits.append((name, p.pid, p.returncode))
        self.procs = []

    def cleanup(self, keep=False):
        self.stop()
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def broker(self, name, extra="", marker=None):
        """Start mosquitto <name> on a free port (no connection limit), publish
        the retained whoami marker (default: name). Returns the port; the
        process is self.proc(name)."""
        port = free_port()
        conf = os.path.join(self.dir, "%s.conf" % name)
        logf = os.path.join(self.dir, "%s.log" % name)
        # The log goes to stderr, inherited already open: mosquitto started
        # as root drops to user "mosquitto", which cannot open a file in the
        # private temp dir ("log_dest file" silently logged nothing).
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_connections -1\nmax_keepalive 65535\nlog_dest stderr\n%s"
                    "connection_messages true\n%s"
                    % (port, "".join("log_type %s\n" % t for t in self.broker_log), extra))
        with open(logf, "w") as lf:
            p = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=subprocess.DEVNULL, stderr=lf)
        self.procs.append((p, name))
        if not wait_port(port, 10, p):
            raise RuntimeError("mosquitto %s did not start" % name)
        if marker is not False:
            set_marker(port, marker or name)
        return port

    def brokers(self, n=3):
        """n brokers named broker1..brokerN (markers the same); their ports."""
        return [self.broker("broker%d" % (i + 1)) for i in range(n)]

    def ws_bridge(self, name, target_port):
        """Start ws_bridge_serve (MQTT over WebSocket) in front of the broker on
        target_port, as process <name>; returns its port."""
        port = free_port()
        with open(os.path.join(self.dir, "%s.log" % name), "w") as lf:
            p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "ws-bridge",
                                  str(port), str(target_port)], stdout=lf, stderr=subprocess.STDOUT)
        self.procs.append((p, name))
        if not wait_port(port, 10, p):
            raise RuntimeError("ws bridge %s did not start" % name)
        return port

    def broker_clients(self, n_brokers=3):
        """{client id: {broker number: connections}} from the brokers' own logs
        ("New client connected from <addr> as <id> (...)"): which broker each
        connection reached, whether or not it survived a session takeover."""
        out = {}
        for b in range(1, n_brokers + 1):
            path = os.path.join(self.dir, "broker%d.log" % b)
            if not os.path.exists(path):
                continue
            with open(path, errors="replace") as f:
                text = f.read()
            for m in re.finditer(r"New client connected from \S+ as (\S+) \(", text):
                per = out.setdefault(m.group(1), {})
                per[b] = per.get(b, 0) + 1
        return out

    def write_cfg(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def haproxy_run(self, cfg_text=None, env=None, name="haproxy", ports=(), extra_args=(),
                    recipe=None, path=None):
        """Check, then start HAProxy in the foreground (-db) with one of: the
        configuration text cfg_text (written to <name>.cfg), a recipe of
        examples/haproxy (its ${VARS} come from env), or a file path. Waits
        until it listens on ports. name must start with "hap"; a process
        started again under the same name (a reload) appends to its log.
        Returns (Popen, log path)."""
        if recipe:
            cfg = os.path.join(RECIPES, recipe)
        elif path:
            cfg = path
        else:
            cfg = self.write_cfg("%s.cfg" % name, cfg_text)
        e = self.proc_env(env)
        chk = subprocess.run([self.haproxy, "-c", "-f", cfg] + list(extra_args), env=e,
                             capture_output=True, text=True)
        if chk.returncode != 0:
            raise RuntimeError("haproxy -c failed: %s %s" % (chk.stdout, chk.stderr))
        logf = os.path.join(self.dir, "%s.log" % name)
        with open(logf, "a") as lf:
            p = subprocess.Popen([self.haproxy, "-db", "-f", cfg] + list(extra_args), env=e,
                                 stdout=lf, stderr=subprocess.STDOUT)
        self.procs.append((p, name))
        if logf not in self.hap_logs:
            self.hap_logs.append(logf)
        for port in ports:
            if not wait_port(port, 15, p):
                with open(logf, errors="replace") as f:
                    tail = f.read()[-2000:]
                raise RuntimeError("haproxy did not listen on %d: %s" % (port, tail))
        return p, logf

    def sanitizer_reports(self, loose=False):
        """Sanitizer error lines in HAProxy's output and in ASan's report
        files of this test (empty list: clean). loose: any line that
        mentions "Sanitizer" counts, not only the two error marks."""
        found = []
        files = list(self.hap_logs)
        files += [os.path.join(self.dir, f) for f in os.listdir(self.dir)
                  if f.startswith("asan.")]
        for f in files:
            if not os.path.exists(f):
                continue
            with open(f, errors="replace") as fh:
                for line in fh:
                    if ASAN_MARK in line or LSAN_MARK in line or (loose and "Sanitizer" in line):
                        found.append("%s: %s" % (os.path.basename(f), line.strip()))
        return found


# ---------------------------------------------------------------------------
# Runner
# ---------------------------------------------------------------------------

def check(cond, msg):
    """Fail the running test with msg unless cond."""
    if not cond:
        raise AssertionError(msg)


def sample(items, n=5):
    """The first n items, comma separated (for failure messages)."""
    return ", ".join(str(x) for x in list(items)[:n])


class Suite:
    """Tests of one suite, run against each HAProxy binary given.

        SUITE = Suite("e2e")

        @SUITE.test(smoke=True)
        def stick(env): ...

    A test takes an Env (env.version is the binary's (major, minor)) and
    raises AssertionError on failure. Subclass hooks: make_env(), call(),
    post_check() (more failure conditions), after_binary(). Output: one
    line per test ("ok"/"FAIL"/"skip"), a "== <binary> (HAProxy x.y)" line
    per binary, and "N passed, N failed[, N skipped]" last.
    """

    name_width = 28
    announce = False      # also print "--    name: doc" before each test
    show_doc = True       # doc string on the ok/FAIL line
    log_tail = 800        # characters of each HAProxy log printed on failure

    def __init__(self, name):
        self.name = name
        self.tests = []

    def test(self, fn=None, smoke=False, skip=None):
        """Decorator. smoke: part of the --smoke selection. skip(version)
        returns a reason to skip on that HAProxy version (or None)."""
        def reg(f):
            f.smoke = smoke
            f.skip_reason = skip
            self.tests.append(f)
            return f
        return reg(fn) if fn is not None else reg

    def smoke_names(self):
        return [t.__name__ for t in self.tests if t.smoke]

    def arg_parser(self, doc):
        ap = argparse.ArgumentParser(description=doc.split("\n")[0])
        ap.add_argument("--haproxy", action="append", help="HAProxy binary (repeatable)")
        ap.add_argument("-k", action="append",
                        help="run only tests whose name contains this (repeatable)")
        ap.add_argument("--smoke", action="store_true",
                        help="run only the smoke subset: %s" % ", ".join(self.smoke_names()))
        ap.add_argument("--list", action="store_true", help="list the tests and exit")
        ap.add_argument("-v", action="store_true", help="verbose")
        ap.add_argument("--keep", action="store_true", help="keep temp dirs of failed tests")
        return ap

    def selected(self, args):
        out = []
        for t in self.tests:
            if args.smoke and not t.smoke:
                continue
            if args.k and not any(k in t.__name__ for k in args.k):
                continue
            out.append(t)
        return out

    def binaries(self, args):
        return args.haproxy or [os.environ.get("HAPROXY_BIN") or
                                os.path.join(TOP, "build", "bin", "haproxy")]

    # hooks
    def make_env(self, binary, info):
        return Env(binary, prefix="mqtt-%s-" % self.name, version=info["version"])

    def call(self, t, env):
        t(env)

    def post_check(self, env, ok, detail):
        return ok, detail

    def binary_ok(self, binary, info):
        """None if the binary can be tested, else why not."""
        if not info["addon"]:
            return "built without the MQTT addon (%s)" % next(
                (l for l in info["vv"].splitlines() if "MQTT" in l), "no MQTT line in -vv")
        return None

    def binary_header(self, binary, info):
        return "== %s (HAProxy %s)" % (binary, info["version_string"])

    def after_binary(self, binary, info):
        pass

    def configure(self, args):
        """Called once with the parsed command line, before any test."""

    def run(self, args):
        """Run the selected tests against every binary; returns the exit status."""
        if args.list:
            for t in self.tests:
                print("%-28s %s%s" % (t.__name__, "[smoke] " if t.smoke else "",
                                      (t.__doc__ or "").strip()))
            return 0
        tests = self.selected(args)
        passed = failed = skipped = 0
        for b in self.binaries(args):
            if not os.access(b, os.X_OK):
                print("FAIL  %s: not an executable" % b, flush=True)
                failed += 1
                continue
            vv = haproxy_vv(b)
            info = {"vv": vv, "version": haproxy_version(vv=vv),
                    "version_string": haproxy_version_string(vv), "addon": addon_line(vv)}
            why = self.binary_ok(b, info)
            if why:
                print("FAIL  %s: %s" % (b, why), flush=True)
                failed += 1
                continue
            print(self.binary_header(b, info), flush=True)
            t_bin = time.time()
            for t in tests:
                reason = t.skip_reason(info["version"]) if t.skip_reason else None
                if reason:
                    skipped += 1
                    print("skip  %-*s        %s" % (self.name_width, t.__name__, reason), flush=True)
                    continue
                r = self.run_one(t, b, info, args)
                passed += r
                failed += 1 - r
            print("   %s: %d tests on HAProxy %s in %.1f s" % (
                self.name, len(tests), info["version_string"], time.time() - t_bin), flush=True)
            self.after_binary(b, info)
        print("%d passed, %d failed%s" % (passed, failed,
                                          ", %d skipped" % skipped if skipped else ""))
        return 1 if failed else 0

    def run_one(self, t, binary, info, args):
        """Run one test; 1 if it passed."""
        doc = (t.__doc__ or "").strip()
        if self.announce:
            print("--    %s: %s" % (t.__name__, doc), flush=True)
        env = self.make_env(binary, info)
        t0 = time.time()
        ok, detail = False, ""
        try:
            self.call(t, env)
            ok = True
        except Exception as e:
            detail = str(e) if isinstance(e, (AssertionError, RuntimeError)) \
                else traceback.format_exc()
        finally:
            env.stop()
        ok, detail = self.post_check(env, ok, detail)
        dt = time.time() - t0
        tail = "  " + doc if self.show_doc else ""
        if ok:
            print("ok    %-*s %5.1fs%s" % (self.name_width, t.__name__, dt, tail), flush=True)
            env.cleanup()
            return 1
        print("FAIL  %-*s %5.1fs%s\n      %s" % (self.name_width, t.__name__, dt, tail, detail),
              flush=True)
        for lf in env.hap_logs:
            if os.path.exists(lf):
                with open(lf, errors="replace") as f:
                    text = f.read()[-self.log_tail:]
                if text:
                    print("      --- %s (tail)\n%s" % (os.path.basename(lf), text))
        if args.keep:
            print("      kept: %s" % env.dir)
        env.cleanup(keep=args.keep)
        return 0


class SanitizerSuite(Suite):
    """A Suite with --asan (add it with add_asan_option): HAProxy gets
    ASAN_OPTIONS with report files in the test dir, and any sanitizer report
    fails the test (for HAProxy's ASan build)."""
    asan = False

    def configure(self, args):
        self.asan = bool(getattr(args, "asan", False))

    def make_env(self, binary, info):
        return Env(binary, prefix="mqtt-%s-" % self.name, version=info["version"], asan=self.asan)

    def post_check(self, env, ok, detail):
        if self.asan:
            reports = env.sanitizer_reports()
            if reports:
                return False, (detail + "; " if detail else "") + "sanitizer: " + "; ".join(reports[:3])
        return ok, detail


def add_asan_option(ap):
    ap.add_argument("--asan", action="store_true",
                    help="HAProxy is an ASan build: fail on any sanitizer report")


def matrix_argv(argv):
    """tests/lib/matrix.sh runs a suite as RUNNER BIN... -- [--smoke] OPTIONS:
    leading binaries become --haproxy BIN, the '--' goes."""
    out, i = [], 0
    while i < len(argv) and not argv[i].startswith("-"):
        out += ["--haproxy", argv[i]]
        i += 1
    return out + [a for a in argv[i:] if a != "--"]


def main(suite, doc, argv=None, extra_args=None):
    """Parse the command line (extra_args(parser) adds suite options) and run."""
    sys.dont_write_bytecode = True
    ap = suite.arg_parser(doc)
    if extra_args:
        extra_args(ap)
    args = ap.parse_args(argv)
    suite.configure(args)
    return suite.run(args)


if __name__ == "__main__":
    # tests/lib/mqtttest.py ws-bridge PORT BROKER_PORT (see Env.ws_bridge)
    if len(sys.argv) == 4 and sys.argv[1] == "ws-bridge":
        ws_bridge_serve(int(sys.argv[2]), int(sys.argv[3]))
    sys.exit("usage: mqtttest.py ws-bridge PORT BROKER_PORT")
