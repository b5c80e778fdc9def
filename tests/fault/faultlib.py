"""Helpers of the fault and load tests (tests/fault/fault_tests.py): MQTT
bytes, an asyncio raw-socket client, mosquitto brokers and HAProxy processes
started and stopped by PID, file descriptor counts, HAProxy's stats socket.

Everything listens on 127.0.0.1 on ports chosen at run time. Which broker a
client reached: every broker holds a retained message "brokerN" on topic
"whoami" (published to it directly); a client subscribes to "whoami" through
the balancer and reads it.
"""

import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
RECIPES = os.path.join(TOP, "examples", "haproxy")
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
# what a memory error looks like in a sanitizer build's output
ASAN_MARK = "ERROR: AddressSanitizer"
LSAN_MARK = "ERROR: LeakSanitizer"


def raise_nofile(want=20000):
    """Raise this process's (and so its children's) open file limit to
    min(want, hard limit); return the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if new > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return soft


# ---------------------------------------------------------------------------
# MQTT bytes
# ---------------------------------------------------------------------------

def vbi(n):
    """Variable byte integer encoding of n."""
    out = bytearray()
    while True:
        b = n % 128
        n //= 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def mstr(b):
    """Two-byte length prefixed string."""
    if isinstance(b, str):
        b = b.encode()
    return len(b).to_bytes(2, "big") + b


def connect_packet(cid, keepalive=60):
    """A 3.1.1 CONNECT with clean session 1."""
    body = mstr("MQTT") + bytes([4, 0x02]) + keepalive.to_bytes(2, "big") + mstr(cid)
    return b"\x10" + vbi(len(body)) + body


def subscribe_packet(topic, pid=1):
    """A 3.1.1 SUBSCRIBE of one topic at QoS 0."""
    body = pid.to_bytes(2, "big") + mstr(topic) + b"\x00"
    return b"\x82" + vbi(len(body)) + body


def publish_packet(topic, payload, retain=False):
    """A QoS 0 PUBLISH."""
    body = mstr(topic) + payload
    return bytes([0x31 if retain else 0x30]) + vbi(len(body)) + body


DISCONNECT = b"\xe0\x00"


async def read_packet(reader):
    """Next packet as (first byte, body); None when the peer closed."""
    try:
        h = await reader.readexactly(1)
        n, mult = 0, 1
        while True:
            b = (await reader.readexactly(1))[0]
            n += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        body = await reader.readexactly(n) if n else b""
        return h[0], body
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


class Session:
    """One open client connection (asyncio streams) and what it learned."""

    def __init__(self, cid):
        self.cid = cid
        self.reader = None
        self.writer = None
        self.connack = None  # return code
        self.marker = None  # "brokerN"
        self.latency = None  # seconds from connect() to CONNACK
        self.error = None
        self.closed = None  # future: set when the peer closes


async def open_session(port, cid, timeout=10.0, whoami=True):
    """Connect with client id cid, wait for the CONNACK, and (whoami) subscribe
    to "whoami" and read the marker. The connection stays open; a watcher sets
    sess.closed when the peer closes it. Never raises: errors go to sess.error."""
    s = Session(cid)
    t0 = time.monotonic()
    try:
        s.reader, s.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), timeout)
        s.writer.write(connect_packet(cid))
        pkt = await asyncio.wait_for(read_packet(s.reader), timeout)
        if pkt is None or pkt[0] != 0x20 or len(pkt[1]) < 2:
            s.error = "no CONNACK (%r)" % (pkt,)
            return s
        s.connack = pkt[1][1]
        s.latency = time.monotonic() - t0
        if s.connack != 0:
            s.error = "CONNACK code %d" % s.connack
            return s
        if whoami:
            s.writer.write(subscribe_packet("whoami"))
            deadline = time.monotonic() + timeout
            while s.marker is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    s.error = "no whoami marker"
                    return s
                pkt = await asyncio.wait_for(read_packet(s.reader), left)
                if pkt is None:
                    s.error = "closed before the marker"
                    return s
                if pkt[0] >> 4 == 3:
                    tl = int.from_bytes(pkt[1][:2], "big")
                    pos = 2 + tl + (2 if (pkt[0] >> 1) & 3 else 0)
                    s.marker = pkt[1][pos:].decode()
        s.closed = asyncio.get_running_loop().create_future()
        asyncio.ensure_future(_watch(s))
    except (asyncio.TimeoutError, OSError) as e:
        s.error = "%s: %s" % (type(e).__name__, e)
    return s


async def _watch(s):
    """Read (and drop) what the broker sends until it closes; then resolve
    s.closed with the monotonic time of the close."""
    try:
        while True:
            d = await s.reader.read(4096)
            if not d:
                break
    except (ConnectionError, OSError):
        pass
    if not s.closed.done():
        s.closed.set_result(time.monotonic())


async def close_session(s, disconnect=True):
    """Send DISCONNECT (if asked and still open) and close the socket."""
    if s.writer is None:
        return
    try:
        if disconnect and not (s.closed and s.closed.done()):
            s.writer.write(DISCONNECT)
        s.writer.close()
        await asyncio.wait_for(s.writer.wait_closed(), 2)
    except (OSError, asyncio.TimeoutError, ConnectionError):
        pass
    s.writer = None


async def bounded_gather(coros, limit):
    """Run the coroutines with at most limit at once; results in order."""
    sem = asyncio.Semaphore(limit)

    async def one(c):
        async with sem:
            return await c
    return await asyncio.gather(*(one(c) for c in coros))


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


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


def fd_count(pid):
    """Number of open file descriptors of process pid."""
    return len(os.listdir("/proc/%d/fd" % pid))


def settled_fd_count(pid, samples=6, gap=0.25):
    """Smallest fd count over a few samples: health checks open a socket
    for a moment now and then; the minimum is the steady state."""
    best = None
    for _ in range(samples):
        n = fd_count(pid)
        best = n if best is None else min(best, n)
        time.sleep(gap)
    return best


class Env:
    """A temp dir plus the processes of one test, stopped by their PID."""

    def __init__(self, haproxy, asan=False):
        self.haproxy = haproxy
        self.asan = asan
        self.dir = tempfile.mkdtemp(prefix="mqtt-fault-")
        self.procs = []  # (Popen, name)
        self.hap_logs = []
        self.hap_exits = []

    def proc_env(self, extra=None):
        """Environment for a child: ours + extra (+ ASan report files)."""
        e = dict(os.environ)
        e.update(extra or {})
        if self.asan:
            e["ASAN_OPTIONS"] = asan_options(self.dir)
            e["LSAN_OPTIONS"] = LSAN_OPTIONS
        return e

    def stop(self):
        """Stop every live child, newest first: HAProxy with SIGUSR1 (soft
        stop: it exits normally, so an ASan build runs its leak check;
        SIGTERM would end it by the signal), mosquitto with SIGTERM; SIGKILL
        whatever is still there after 8 s. HAProxy exit statuses go to
        self.hap_exits as (name, pid, status)."""
        for p, name in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGUSR1 if name.startswith("hap") else signal.SIGTERM)
        for p, name in reversed(self.procs):
            try:
                p.wait(8)
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

    def broker(self, name, marker=None):
        """Start mosquitto on a free port (max_connections unlimited, fd limit
        inherited from raise_nofile()); publish the retained whoami marker.
        Returns (port, Popen)."""
        port = free_port()
        conf = os.path.join(self.dir, "%s.conf" % name)
        logf = os.path.join(self.dir, "%s.log" % name)
        with open(conf, "w") as f:
            f.write("listener %d 127.0.0.1\nallow_anonymous true\npersistence false\n"
                "max_connections -1\nmax_keepalive 65535\n"
                "log_dest file %s\nlog_type error\nlog_type warning\n" % (port, logf))
        p = subprocess.Popen([MOSQUITTO, "-c", conf], stdout=subprocess.DEVNULL,
                     stderr=open(logf + ".err", "w"))
        self.procs.append((p, name))
        if not wait_port(port, 10, p):
            raise RuntimeError("mosquitto %s did not start" % name)
        set_marker(port, marker or name)
        return port, p

    def brokers(self, n=3):
        """n brokers named broker1..brokerN; returns [(port, Popen)]."""
        return [self.broker("broker%d" % (i + 1)) for i in range(n)]

    def write_cfg(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def haproxy_run(self, cfg, env, name="haproxy", ports=(), extra_args=()):
        """(name must start with "hap".) Check then start HAProxy in the foreground (-db) with cfg; wait
        until it listens on ports. Returns (Popen, log path)."""
        e = self.proc_env(env)
        chk = subprocess.run([self.haproxy, "-c", "-f", cfg] + list(extra_args), env=e,
                     capture_output=True, text=True)
        if chk.returncode != 0:
            raise RuntimeError("haproxy -c failed: %s %s" % (chk.stdout, chk.stderr))
        logf = os.path.join(self.dir, "%s.log" % name)
        p = subprocess.Popen([self.haproxy, "-db", "-f", cfg] + list(extra_args), env=e,
                     stdout=open(logf, "a"), stderr=subprocess.STDOUT)
        self.procs.append((p, name))
        if logf not in self.hap_logs:
            self.hap_logs.append(logf)
        for port in ports:
            if not wait_port(port, 15, p):
                raise RuntimeError("haproxy did not listen on %d: %s"
                           % (port, open(logf).read()[-2000:]))
        return p, logf

    def sanitizer_reports(self):
        """Sanitizer error lines in HAProxy's output and in ASan's report
        files of this test (empty list: clean)."""
        found = []
        files = list(self.hap_logs)
        files += [os.path.join(self.dir, f) for f in os.listdir(self.dir)
              if f.startswith("asan.")]
        for f in files:
            if not os.path.exists(f):
                continue
            for line in open(f, errors="replace"):
                if ASAN_MARK in line or LSAN_MARK in line:
                    found.append("%s: %s" % (os.path.basename(f), line.strip()))
        return found


def asan_options(report_dir):
    """ASAN_OPTIONS for HAProxy's ASan build. Reports go to files
    <report_dir>/asan.<pid> (so they survive whatever the harness does with
    stderr); leak detection stays on unless FAULT_ASAN_LEAKS=0."""
    leaks = os.environ.get("FAULT_ASAN_LEAKS", "1")
    return ("detect_leaks=%s:abort_on_error=1:fast_unwind_on_malloc=0:log_path=%s" %
        (leaks, os.path.join(report_dir, "asan")))


# HAProxy's exit leaves stick-table entries allocated: see lsan.supp
LSAN_OPTIONS = "suppressions=%s:print_suppressions=0" % os.path.join(HERE, "lsan.supp")


def set_marker(port, text):
    """Publish retained text on "whoami" directly to the broker on port and
    wait until the broker serves it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(connect_packet("marker-setter"))
    s.recv(4)
    s.sendall(publish_packet("whoami", text.encode(), retain=True) + DISCONNECT)
    s.close()
    for _ in range(100):
        got = asyncio.run(_marker_of(port))
        if got == text:
            return
        time.sleep(0.05)
    raise RuntimeError("marker not stored on %d" % port)


async def _marker_of(port):
    s = await open_session(port, "marker-check", timeout=3)
    await close_session(s)
    return s.marker


# ---------------------------------------------------------------------------
# Configurations and the stats socket
# ---------------------------------------------------------------------------

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


def percentile(values, p):
    """p-th percentile (nearest rank) of values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
