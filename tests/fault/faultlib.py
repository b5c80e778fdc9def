"""Helpers of the fault and load tests (tests/fault/fault_tests.py) that the
other suites do not need: an asyncio raw-socket MQTT client for thousands of
concurrent sessions, bounded concurrency, file descriptor counts, the open
file limit, percentiles. Packets, brokers, HAProxy processes, the stats
socket and the runner are in tests/lib/mqtttest.py.
"""

import asyncio
import os
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from mqtttest import DISCONNECT, connect_packet, publish_payload, subscribe_packet  # noqa: E402


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
# asyncio client
# ---------------------------------------------------------------------------

async def aread_packet(reader):
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
        pkt = await asyncio.wait_for(aread_packet(s.reader), timeout)
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
                pkt = await asyncio.wait_for(aread_packet(s.reader), left)
                if pkt is None:
                    s.error = "closed before the marker"
                    return s
                if pkt[0] >> 4 == 3:
                    s.marker = publish_payload(pkt[0], pkt[1]).decode()
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
# Measurements
# ---------------------------------------------------------------------------

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


def percentile(values, p):
    """p-th percentile (nearest rank) of values."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
