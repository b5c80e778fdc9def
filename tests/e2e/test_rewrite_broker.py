#!/usr/bin/python3
"""test_rewrite_broker.py - CONNECTs rewritten by libmqttparse, judged by a live mosquitto.

    test_rewrite_broker.py <path to libmqttparse.so>

Builds 3.1, 3.1.1 and 5.0 CONNECTs (will, properties, user properties, user name and password),
rewrites them with mqttp_rewrite_connect() through ctypes (new client id, new user name, user
name / password removed), sends each rewritten packet to a mosquitto started here on 127.0.0.1,
and checks that the broker answers CONNACK "accepted" and that its log names the new client id
and the new user name (or none once removed). Also checks that a CONNECT which mosquitto refuses
(3.1 client id of 24 bytes) is one the rewriter refuses too. Exit status 0 when all pass.
"""
import ctypes
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from mqtttest import connect_raw, first_answer, free_port, mstr, wait_port  # noqa: E402

KEEP, SET, REMOVE = 0, 1, 2
E_NONE = 0


class RwField(ctypes.Structure):
    _fields_ = [("op", ctypes.c_uint8), ("value", ctypes.c_char_p), ("len", ctypes.c_size_t)]


class Rewrite(ctypes.Structure):
    _fields_ = [("client_id", RwField), ("username", RwField), ("password", RwField)]


class RwResult(ctypes.Structure):
    _fields_ = [("error", ctypes.c_uint8), ("field", ctypes.c_uint8),
                ("error_offset", ctypes.c_uint32), ("in_length", ctypes.c_uint32)]


def load(path):
    lib = ctypes.CDLL(path)
    lib.mqttp_rewrite_connect.restype = ctypes.c_size_t
    lib.mqttp_rewrite_connect.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p,
                                          ctypes.POINTER(Rewrite), ctypes.c_void_p,
                                          ctypes.c_size_t, ctypes.POINTER(RwResult)]
    lib.mqttp_error_name.restype = ctypes.c_char_p
    lib.mqttp_error_name.argtypes = [ctypes.c_int]
    return lib


def edit(op, value=None):
    f = RwField()
    f.op = op
    if value is not None:
        f.value = value
        f.len = len(value)
    return f


def rewrite(lib, pkt, cid=(KEEP,), user=(KEEP,), pw=(KEEP,)):
    """Returns (bytes, None) or (None, error name)."""
    rw = Rewrite(edit(*cid), edit(*user), edit(*pw))
    res = RwResult()
    need = lib.mqttp_rewrite_connect(pkt, len(pkt), None, ctypes.byref(rw), None, 0, ctypes.byref(res))
    if need == 0:
        return None, lib.mqttp_error_name(res.error).decode()
    buf = ctypes.create_string_buffer(need)
    n = lib.mqttp_rewrite_connect(pkt, len(pkt), None, ctypes.byref(rw), buf, need, ctypes.byref(res))
    assert n == need and res.error == E_NONE
    return buf.raw[:n], None


def connect(version, cid, user=None, pw=None, will=None, props=b"", will_props=b"", keepalive=60):
    """A CONNECT; a will is sent at QoS 1."""
    flags = 0x02
    if will:
        flags |= 0x04 | 0x08
    if user is not None:
        flags |= 0x80
    if pw is not None:
        flags |= 0x40
    return connect_raw(cid, version, flags, keepalive, props if version == 5 else None,
                       will, will_props, user, pw)


def main():
    lib = load(sys.argv[1] if len(sys.argv) > 1 else "build/lib/libmqttparse.so")
    tmp = tempfile.mkdtemp(prefix="rw-broker-")
    port = free_port()
    conf = os.path.join(tmp, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\n"
                "log_type all\nconnection_messages true\npersistence false\n")
    logpath = os.path.join(tmp, "mosquitto.log")
    log = open(logpath, "wb")
    broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=log, stderr=log)
    failures = 0
    try:
        wait_port(port, 10, broker)
        up = (b"\x26" + mstr(b"region") + mstr(b"eu-west-1")) * 3
        props = b"\x11\x00\x00\x0e\x10" + b"\x21\x00\x64" + up
        wprops = b"\x18\x00\x00\x00\x05" + b"\x26" + mstr(b"k") + mstr(b"v")
        cases = [
            # (name, CONNECT, edits, expected id, expected user name or None)
            ("3.1.1 set client id and user name",
             connect(4, b"orig-311", b"olduser", b"s3cret", will=(b"dev/w", b"bye")),
             dict(cid=(SET, b"rw-cn-dev-311"), user=(SET, b"CN=dev-311,O=acme")),
             "rw-cn-dev-311", "CN=dev-311,O=acme"),
            ("3.1.1 user name and password removed",
             connect(4, b"orig-311b", b"olduser", b"s3cret"),
             dict(cid=(SET, b"rw-anon-311"), user=(REMOVE,), pw=(REMOVE,)),
             "rw-anon-311", None),
            ("3.1.1 user name added", connect(4, b"orig-311c"),
             dict(user=(SET, b"tenant-a/dev"),), "orig-311c", "tenant-a/dev"),
            ("3.1 set client id (23 bytes)", connect(3, b"orig31", b"u31", b"p31"),
             dict(cid=(SET, b"r" * 23), user=(SET, b"tenant-b/u31")), "r" * 23, "tenant-b/u31"),
            ("5.0 properties, will properties, user properties",
             connect(5, b"orig-5", b"olduser5", b"pw5", will=(b"dev/w5", b"gone"), props=props,
                     will_props=wprops),
             dict(cid=(SET, "rw-5-\u00e9t\u00e9".encode()), user=(SET, b"CN=dev5"), pw=(REMOVE,)),
             "rw-5-\u00e9t\u00e9", "CN=dev5"),
            ("5.0 user name removed, password alone",
             connect(5, b"orig-5b", b"olduser5", b"pw5", props=props),
             dict(cid=(SET, b"rw-5b"), user=(REMOVE,)), "rw-5b", None),
            ("3.1.1 remaining length 127 -> 128",
             connect(4, b"i" * 115), dict(cid=(SET, b"j" * 116)), "j" * 116, None),
        ]
        for name, pkt, edits, want_id, want_user in cases:
            out, err = rewrite(lib, pkt, **edits)
            if out is None:
                print(f"FAIL {name}: rewrite refused: {err}")
                failures += 1
                continue
            ack = first_answer(port, out, 5)
            ok = len(ack) >= 4 and ack[0] == 0x20 and ack[3] == 0
            time.sleep(0.2)
            text = open(logpath, "rb").read().decode("utf-8", "replace")
            pat = r"New client connected from 127\.0\.0\.1:\d+ as " + re.escape(want_id) + r" \(p\d, c\d, k\d+(, u'([^']*)')?\)"
            m = None
            for m in re.finditer(pat, text):
                pass
            seen_user = m.group(2) if m else "<no log line>"
            if ok and m and seen_user == want_user:
                print(f"ok   {name}: CONNACK {ack.hex()}, mosquitto: id {want_id!r}, user {seen_user!r}"
                      f" ({len(pkt)} -> {len(out)} bytes)")
            else:
                print(f"FAIL {name}: CONNACK {ack.hex()}, log match {bool(m)}, user {seen_user!r}, want {want_user!r}")
                failures += 1
        # A value mosquitto would refuse is refused by the rewriter first.
        out, err = rewrite(lib, connect(3, b"orig31"), cid=(SET, b"r" * 24))
        if out is None and err == "MQTTP_E_CLIENT_ID_TOO_LONG":
            print("ok   3.1 client id of 24 bytes: refused by the rewriter (MQTTP_E_CLIENT_ID_TOO_LONG)")
        else:
            print(f"FAIL 3.1 client id of 24 bytes: {err}")
            failures += 1
    finally:
        broker.terminate()
        broker.wait(timeout=5)
        log.close()
    print(f"rewrite-broker: {len(cases) + 1 - failures}/{len(cases) + 1} passed"
          + (f" (mosquitto log {logpath})" if failures else ""))
    if not failures:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
