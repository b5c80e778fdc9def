#!/usr/bin/python3
"""Tests for the example programs over libmqttparse.

  run_tests.py --inspect BIN --forward BIN --capture BIN [--workdir DIR] [--only A,B,...]

Sections:
  A  mqtt-inspect on the hand-made hex vectors of vectors/*.hex (3.1, 3.1.1,
     5.0 CONNECTs, a 5.0 CONNACK, invalid and truncated input), every vector
     at several --chunk sizes with identical output, options and exit codes.
  B  CONNECTs of real clients (mosquitto_pub 3.1/3.1.1/5.0, paho 3.1.1/5.0)
     recorded by a small listener on 127.0.0.1, read back by mqtt-inspect.
  C  mqtt-forward in front of three real mosquitto brokers: stickiness by
     client id (checked against the documented rendezvous hash and the
     brokers' logs), refusal CONNACK bytes, failover, many connections.
  D  mqtt-capture on files of concatenated CONNECTs.
  E  robustness: random and mutated input never crashes mqtt-inspect, every
     line is JSON, and the output does not depend on the chunk size.
Prints "N passed, N failed" last; exits 1 when something failed.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.path.join(HERE, "vectors")
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from mqtttest import (connect_raw, first_answer, fixed_header, free_port, mstr,  # noqa: E402
                      packet, wait_port)

passed = 0
failed = 0
skipped = []


def check(name, cond, detail=""):
    """Record one assertion; print failures (and their detail)."""
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s%s" % (name, (" -- " + str(detail)) if detail else ""))
    return cond


def skip(section, why):
    skipped.append("%s: %s" % (section, why))
    print("SKIP %s: %s" % (section, why))


def hexvec(name):
    """Bytes of a vectors/*.hex file (comments after '#')."""
    out = []
    with open(os.path.join(VEC, name)) as f:
        for line in f:
            out.append(line.split("#", 1)[0])
    return bytes.fromhex("".join(out).replace(" ", "").replace("\n", ""))


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


# ---------------------------------------------------------------- mqtt-inspect

def inspect(data, *args, chunk=None, path=None):
    """Run mqtt-inspect on data (bytes on stdin) or a file; return
    (exit code, list of JSON objects, raw stdout text, stderr)."""
    cmd = [ARGS.inspect] + list(args)
    if chunk:
        cmd += ["--chunk", str(chunk)]
    if path:
        cmd.append(path)
    p = subprocess.run(cmd, input=data if path is None else None,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    out = p.stdout.decode("utf-8", "strict")
    objs = []
    for line in out.splitlines():
        objs.append(json.loads(line))
    return p.returncode, objs, out, p.stderr.decode("utf-8", "replace")


CHUNKS = [None, 1, 2, 3, 5, 7, 16, 64]


def inspect_all_chunks(name, data, *args):
    """Run at every chunk size; check the outputs are identical; return the
    whole-buffer result."""
    base = inspect(data, *args)
    for c in CHUNKS[1:]:
        r = inspect(data, *args, chunk=c)
        check("%s: --chunk %d same output and status" % (name, c),
              r[0] == base[0] and r[2] == base[2], "%r vs %r" % (r[2], base[2]))
    return base


def section_a():
    # 3.1 with user name and password
    rc, objs, _, _ = inspect_all_chunks("v31", hexvec("connect-v31.hex"))
    o = objs[0] if objs else {}
    check("v31 exit 0", rc == 0, rc)
    check("v31 fields", o.get("type") == "CONNECT" and o.get("status") == "ok" and
          o.get("protocol_name") == "MQIsdp" and o.get("protocol_version") == 3 and
          o.get("client_id") == "c31" and o.get("username") == "u" and
          o.get("password_len") == 1 and o.get("keepalive") == 10 and
          o.get("clean_start") is True and o.get("bridge") is False and
          o.get("length") == 25 and "will" not in o, o)
    # the same vector through --hex, from a file with comments
    rc2, objs2, _, _ = inspect(None, "--hex", path=os.path.join(VEC, "connect-v31.hex"))
    check("--hex file with comments = raw bytes", rc2 == 0 and objs2 == objs, objs2)

    # 3.1.1 with a will
    rc, objs, _, _ = inspect_all_chunks("v311", hexvec("connect-v311-will.hex"))
    o = objs[0] if objs else {}
    check("v311 fields", rc == 0 and o.get("protocol_version") == 4 and
          o.get("client_id") == "dev-311" and o.get("username") == "alice" and
          o.get("password_len") == 3 and o.get("keepalive") == 30 and
          o.get("clean_start") is False and
          o.get("will") == {"topic": "st/dev", "qos": 2, "retain": False, "payload_len": 7}, o)

    # 5.0 with everything
    rc, objs, _, _ = inspect_all_chunks("v5", hexvec("connect-v5-full.hex"))
    o = objs[0] if objs else {}
    check("v5 exit 0, length", rc == 0 and o.get("length") == 137, o)
    check("v5 header fields", o.get("protocol_version") == 5 and
          o.get("client_id") == "client5" and o.get("username") == "user5" and
          o.get("password_len") == 4 and o.get("keepalive") == 60, o)
    check("v5 properties", o.get("properties") == {
        "session_expiry_interval": 3600, "receive_maximum": 20,
        "maximum_packet_size": 65536, "authentication_method": "plain",
        "authentication_data": "dead"}, o.get("properties"))
    check("v5 user properties in order", o.get("user_properties") == [["k1", "v1"], ["k2", "v2"]],
          o.get("user_properties"))
    check("v5 will", o.get("will") == {
        "topic": "will/t5", "qos": 1, "retain": True, "payload_len": 5,
        "properties": {"will_delay_interval": 5, "payload_format_indicator": 1,
                       "content_type": "text/plain", "response_topic": "reply",
                       "correlation_data": "cafe"},
        "user_properties": [["a", "b"]]}, o.get("will"))

    # 5.0 CONNACK with an assigned client identifier
    rc, objs, _, _ = inspect_all_chunks("connack", hexvec("connack-v5-assigned.hex"), "--from-server")
    o = objs[0] if objs else {}
    check("connack fields", rc == 0 and o.get("type") == "CONNACK" and
          o.get("session_present") is False and o.get("reason_code") == 0 and
          o.get("properties", {}).get("assigned_client_identifier") == "auto-12345" and
          o.get("properties", {}).get("topic_alias_maximum") == 10 and
          o.get("user_properties") == [["x", "y"]], o)
    rc, objs, _, _ = inspect(h("20 02 01 00"), "--from-server")
    check("3.1.1 CONNACK session present", rc == 0 and objs and objs[0].get("session_present") is True
          and objs[0].get("reason_code") == 0, objs)

    # invalid: reserved connect flag
    rc, objs, _, _ = inspect_all_chunks("reserved", hexvec("connect-reserved-flag.hex"))
    o = objs[-1] if objs else {}
    check("reserved flag: exit 1", rc == 1, rc)
    check("reserved flag: error object", o.get("status") == "error" and
          o.get("error") == "MQTTP_E_CONNECT_RESERVED" and o.get("offset") == 9 and
          o.get("stream_offset") == 9 and o.get("reason_code_v311") is None and
          o.get("reason_code_v5") == 0x81 and isinstance(o.get("reason"), str), o)

    # invalid after two good packets: stream_offset counts from the input's start
    rc, objs, _, _ = inspect_all_chunks("stream", hexvec("stream-then-error.hex"))
    check("stream: three objects, exit 1", rc == 1 and len(objs) == 3, objs)
    if len(objs) == 3:
        check("stream: CONNECT, PUBLISH", objs[0].get("client_id") == "abc" and
              objs[1].get("type") == "PUBLISH" and objs[1].get("packet_offset") == 17 and
              objs[1].get("length") == 7, objs[:2])
        e = objs[2]
        check("stream: receive maximum 0 error", e.get("error") == "MQTTP_E_PROPERTY_VALUE" and
              e.get("packet_offset") == 24 and e.get("offset") == 14 and
              e.get("stream_offset") == 38 and e.get("reason_code_v5") == 0x82, e)
    rc, objs, _, _ = inspect(hexvec("stream-then-error.hex")[:24], "--from-client")
    check("--from-client: CONNECT + PUBLISH ok", rc == 0 and len(objs) == 2, objs)
    rc, objs, _, _ = inspect(hexvec("stream-then-error.hex"), "--from-client")
    check("--from-client: a second CONNECT is refused", rc == 1 and objs and
          objs[-1].get("error") == "MQTTP_E_SECOND_CONNECT", objs)
    rc, objs, _, _ = inspect(hexvec("connect-v31.hex"), "--from-server")
    check("--from-server: CONNECT refused", rc == 1 and objs and objs[-1].get("status") == "error", objs)

    # truncated: the 5.0 CONNECT cut inside the will topic
    full = hexvec("connect-v5-full.hex")
    rc, objs, _, _ = inspect_all_chunks("truncated", full[:112])
    o = objs[-1] if objs else {}
    check("truncated: exit 2, need_more", rc == 2 and o.get("status") == "need_more" and
          o.get("length") == 137 and o.get("received") == 112, o)
    check("truncated: fields seen so far", o.get("client_id") == "client5" and
          "username" not in o and o.get("will", {}).get("properties", {}).get("content_type") == "text/plain"
          and "topic" not in o.get("will", {}), o)
    rc, objs, _, _ = inspect(h("10"))
    check("one byte: need_more", rc == 2 and objs and objs[0]["status"] == "need_more"
          and objs[0]["received"] == 1, objs)
    rc, objs, out, _ = inspect(b"")
    check("empty input: nothing, exit 0", rc == 0 and out == "", (rc, out))

    # empty client id; several packets in one stream
    stream = h("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00") + h("c0 00") + h("e0 00")
    rc, objs, _, _ = inspect_all_chunks("multi", stream, "--from-client")
    check("empty client id present and empty", rc == 0 and len(objs) == 3 and
          objs[0].get("client_id") == "", objs)
    check("PINGREQ, DISCONNECT", [o.get("type") for o in objs] == ["CONNECT", "PINGREQ", "DISCONNECT"], objs)

    # mosquitto bridge: protocol level 0x84
    rc, objs, _, _ = inspect(h("10 0f 00 04 4d 51 54 54 84 02 00 3c 00 03 62 72 67"))
    check("bridge level 0x84", rc == 0 and objs[0].get("bridge") is True and
          objs[0].get("protocol_version") == 4, objs)

    # --lenient: a 3.1 client id over 23 bytes
    cid = b"x" * 30
    body = h("00 06") + b"MQIsdp" + h("03 02 00 0a") + bytes([0, len(cid)]) + cid
    v31long = bytes([0x10, len(body)]) + body
    rc, objs, _, _ = inspect(v31long)
    check("3.1 long id refused (strict)", rc == 1 and objs and
          objs[-1].get("error") == "MQTTP_E_CLIENT_ID_TOO_LONG" and
          objs[-1].get("reason_code_v311") == 2, objs)
    rc, objs, _, _ = inspect(v31long, "--lenient", "v31-long-client-id")
    check("3.1 long id with --lenient v31-long-client-id", rc == 0 and objs[0].get("client_id") == "x" * 30, objs)
    rc, objs, _, _ = inspect(v31long, "--lenient", "all")
    check("--lenient all", rc == 0, objs)
    p = subprocess.run([ARGS.inspect, "--lenient", "no-such-thing"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = p.stderr.decode()
    check("unknown --lenient: usage error listing names", p.returncode == 64 and
          "control-chars" in err and "v31-long-client-id" in err and "all" in err, (p.returncode, err))

    # control characters: refused, or escaped as \u00XX with --lenient control-chars
    ctl = h("10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 61 01 1b 62")
    rc, objs, _, _ = inspect(ctl)
    check("control char refused", rc == 1 and objs[-1].get("error") == "MQTTP_E_UTF8_CONTROL", objs)
    rc, objs, out, _ = inspect(ctl, "--lenient", "control-chars")
    check("control char escaped", rc == 0 and objs[0].get("client_id") == "a\x01\x1bb" and
          "a\\u0001\\u001bb" in out, out)
    # JSON specials and non-ASCII in strings
    uni = "q\"\\é€😀".encode("utf-8")
    body = h("00 04 4d 51 54 54 04 02 00 3c") + bytes([0, len(uni)]) + uni
    rc, objs, _, _ = inspect(bytes([0x10, len(body)]) + body)
    check("quotes, backslash and UTF-8 round-trip", rc == 0 and
          objs[0].get("client_id") == uni.decode("utf-8"), objs)
    # ill-formed UTF-8 is refused by the parser (never printed)
    bad = h("10 0f 00 04 4d 51 54 54 04 02 00 3c 00 03 61 c0 80")
    rc, objs, _, _ = inspect(bad)
    check("overlong UTF-8 refused", rc == 1 and objs[-1].get("error") == "MQTTP_E_UTF8", objs)

    # options and usage
    p = subprocess.run([ARGS.inspect, "--help"], stdout=subprocess.PIPE)
    hl = p.stdout.decode()
    check("--help documents exit codes and U+FFFD policy", p.returncode == 0 and
          "U+FFFD" in hl and "_hex" in hl and "exit status" in hl, hl[:80])
    p = subprocess.run([ARGS.inspect, "--version"], stdout=subprocess.PIPE)
    check("--version", p.returncode == 0 and b"mqtt-inspect" in p.stdout, p.stdout)
    for bad_args in (["--chunk", "0"], ["--chunk", "x"], ["--bogus"], ["--from-client", "--from-server"]):
        p = subprocess.run([ARGS.inspect] + bad_args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check("usage error %s" % bad_args, p.returncode == 64, p.returncode)
    p = subprocess.run([ARGS.inspect, "--hex"], input=b"10 0", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check("odd hex digits: exit 65", p.returncode == 65, p.returncode)
    p = subprocess.run([ARGS.inspect, "--hex"], input=b"10 zz", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check("bad hex digit: exit 65", p.returncode == 65, p.returncode)
    p = subprocess.run([ARGS.inspect, "/nonexistent/file"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check("missing file: exit 66", p.returncode == 66, p.returncode)
    # a CONNECT whose 5.0 user properties exceed the tool's value table:
    # the parser's own cap (1024) refuses first.
    up = h("26 00 00 00 00") * 1100
    rc, objs, _, _ = inspect(connect_pkt("a", 5, 0x02, up))
    check("1100 user properties: refused (CVE-2021-41039 shape)", rc == 1 and
          objs[-1].get("error") == "MQTTP_E_TOO_MANY_USER_PROPERTIES", objs[-1] if objs else rc)
    section_a_packets()


# ---------------------------------------------------------------- every packet type

# The objects of vectors/*-all.hex and publish-v5-alias.hex without status,
# packet_offset and length (checked apart): exact keys and values.
CONNECT5 = {'type': 'CONNECT', 'protocol_name': 'MQTT', 'protocol_version': 5, 'bridge': False,
            'clean_start': True, 'keepalive': 60, 'client_id': 'pub5',
            'properties': {'topic_alias_maximum': 10}}
PACKET_VECTORS = [
    ("publish-v5-alias.hex", ["--from-client"], [
        CONNECT5,
        {'type': 'PUBLISH', 'topic': 'sensors/t1', 'topic_alias': 1, 'qos': 1, 'retain': False,
         'dup': False, 'packet_id': 7, 'payload_len': 4,
         'properties': {'topic_alias': 1, 'message_expiry_interval': 60, 'content_type': 'text/plain',
                        'response_topic': 'reply/t1', 'correlation_data': 'cafe',
                        'payload_format_indicator': 1},
         'user_properties': [['k', 'v']]},
        # an empty topic takes alias 1's topic (section 3.3.2.3.4)
        {'type': 'PUBLISH', 'topic': 'sensors/t1', 'topic_alias': 1, 'qos': 0, 'retain': True,
         'dup': False, 'payload_len': 5, 'properties': {'topic_alias': 1}},
        {'type': 'PUBLISH', 'topic': 'sensors/t1', 'topic_alias': 1, 'qos': 2, 'retain': False,
         'dup': True, 'packet_id': 8, 'payload_len': 0, 'properties': {'topic_alias': 1}},
        {'type': 'PUBLISH', 'topic': 'other', 'topic_alias': 2, 'qos': 0, 'retain': False,
         'dup': False, 'payload_len': 1, 'properties': {'topic_alias': 2}},
        {'type': 'PUBLISH', 'topic': 'other', 'topic_alias': 2, 'qos': 0, 'retain': False,
         'dup': False, 'payload_len': 0, 'properties': {'topic_alias': 2}},
    ]),
    ("client-v5-all.hex", ["--from-client"], [
        CONNECT5,
        # SUBSCRIBE's user property is not among its keys
        {'type': 'SUBSCRIBE', 'packet_id': 10, 'filters': [
            {'filter': 'a/#', 'qos': 1, 'no_local': True, 'retain_as_published': True, 'retain_handling': 2},
            {'filter': '$share/g/b/+', 'qos': 1, 'no_local': False, 'retain_as_published': False,
             'retain_handling': 0},
            {'filter': 'c', 'qos': 2, 'no_local': False, 'retain_as_published': False, 'retain_handling': 0}],
         'subscription_identifier': 300},
        {'type': 'UNSUBSCRIBE', 'packet_id': 11, 'filters': ['a/#', '$share/g/b/+']},
        {'type': 'PUBACK', 'packet_id': 7, 'reason_code': 16, 'reason_code_name': 'no_matching_subscribers',
         'properties': {'reason_string': 'nobody'}},
        {'type': 'PUBREC', 'packet_id': 8, 'reason_code': 0, 'reason_code_name': 'success'},
        {'type': 'PUBREL', 'packet_id': 8, 'reason_code': 146, 'reason_code_name': 'packet_identifier_not_found'},
        {'type': 'PUBCOMP', 'packet_id': 8},
        {'type': 'AUTH', 'reason_code': 25, 'reason_code_name': 're_authenticate',
         'properties': {'authentication_method': 'SCRAM', 'authentication_data': '0102'}},
        {'type': 'PINGREQ'},
        {'type': 'DISCONNECT', 'reason_code': 4, 'reason_code_name': 'disconnect_with_will_message',
         'properties': {'session_expiry_interval': 0, 'reason_string': 'bye'}},
    ]),
    ("server-v5-all.hex", ["--from-server", "--protocol-version", "5"], [
        {'type': 'CONNACK', 'session_present': False, 'reason_code': 0, 'reason_code_name': 'success',
         'properties': {'topic_alias_maximum': 2}},
        {'type': 'SUBACK', 'packet_id': 10, 'reason_codes': [1, 1, 128]},
        {'type': 'UNSUBACK', 'packet_id': 11, 'reason_codes': [0, 17]},
        # server -> client: alias 3 is fine, the CONNACK's 2 bounds the client's
        {'type': 'PUBLISH', 'topic': 'a/x', 'topic_alias': 3, 'qos': 1, 'retain': False, 'dup': False,
         'packet_id': 1, 'payload_len': 1,
         'properties': {'subscription_identifier': [300, 7], 'topic_alias': 3}},
        {'type': 'PUBLISH', 'topic': 'a/x', 'topic_alias': 3, 'qos': 0, 'retain': False, 'dup': False,
         'payload_len': 1, 'properties': {'topic_alias': 3}},
        {'type': 'PINGRESP'},
        {'type': 'DISCONNECT', 'reason_code': 139, 'reason_code_name': 'server_shutting_down',
         'properties': {'server_reference': 'other:1883'}},
    ]),
    ("client-v311-all.hex", ["--from-client"], [
        {'type': 'CONNECT', 'protocol_name': 'MQTT', 'protocol_version': 4, 'bridge': False,
         'clean_start': True, 'keepalive': 30, 'client_id': 'c311'},
        {'type': 'PUBLISH', 'topic': 't/1', 'qos': 1, 'retain': True, 'dup': False, 'packet_id': 5,
         'payload_len': 3},
        {'type': 'SUBSCRIBE', 'packet_id': 6, 'filters': [
            {'filter': 't/#', 'qos': 2, 'no_local': False, 'retain_as_published': False, 'retain_handling': 0},
            {'filter': 'x', 'qos': 0, 'no_local': False, 'retain_as_published': False, 'retain_handling': 0}]},
        {'type': 'UNSUBSCRIBE', 'packet_id': 7, 'filters': ['t/#']},
        {'type': 'PUBACK', 'packet_id': 9},
        {'type': 'PUBREC', 'packet_id': 10},
        {'type': 'PUBREL', 'packet_id': 10},
        {'type': 'PUBCOMP', 'packet_id': 10},
        {'type': 'DISCONNECT'},
    ]),
    ("server-v311-all.hex", ["--from-server"], [
        {'type': 'CONNACK', 'session_present': True, 'reason_code': 0},
        {'type': 'SUBACK', 'packet_id': 6, 'reason_codes': [2, 128]},
        # a 3.1.1 UNSUBACK has no reason codes
        {'type': 'UNSUBACK', 'packet_id': 7},
        {'type': 'PUBLISH', 'topic': 't/1', 'qos': 0, 'retain': False, 'dup': False, 'payload_len': 2},
    ]),
]


def fields_of(o):
    """o without the keys every packet has."""
    return {k: v for k, v in o.items() if k not in ("status", "packet_offset", "length")}


def section_a_packets():
    for name, args, want in PACKET_VECTORS:
        data = hexvec(name)
        rc, objs, _, _ = inspect_all_chunks(name, data, *args)
        check("%s: exit 0, every packet ok" % name, rc == 0 and objs and
              all(o.get("status") == "ok" for o in objs), (rc, objs))
        got = [fields_of(o) for o in objs]
        for i, w in enumerate(want):
            check("%s: packet %d (%s) keys and values" % (name, i, w["type"]),
                  i < len(got) and got[i] == w, got[i] if i < len(got) else None)
        check("%s: %d packets" % (name, len(want)), len(got) == len(want), len(got))
        pos = 0
        for o in objs:
            pos = pos if o.get("packet_offset") == pos else -1
            pos += o.get("length", 0)
        check("%s: packets back to back over the whole input" % name, pos == len(data), pos)

        # every packet cut in its middle, at every chunk size: need_more
        # with the fields complete before the cut, whatever the chunking
        off = 0
        for i, o in enumerate(objs):
            cut = off + max(1, o["length"] // 2)
            rc2, objs2, _, _ = inspect_all_chunks("%s cut in packet %d" % (name, i), data[:cut], *args)
            last = objs2[-1] if objs2 else {}
            check("%s cut in packet %d: need_more, fields a subset" % (name, i),
                  rc2 == 2 and len(objs2) == i + 1 and objs2[:i] == objs[:i] and
                  last.get("status") == "need_more" and last.get("received") == cut - off and
                  all(k in fields_of(o) for k in fields_of(last) if k != "received"), (rc2, last))
            off += o["length"]

    # the same server stream read as a client's: the CONNACK's Topic Alias
    # Maximum 2 bounds the PUBLISH's alias 3 -> 0x94 [MQTT-3.3.2-9]
    data = hexvec("server-v5-all.hex")
    rc, objs, _, _ = inspect_all_chunks("alias above the CONNACK's maximum", data, "--protocol-version", "5")
    e = objs[-1] if objs else {}
    check("alias above the CONNACK's maximum: error 0x94 at the alias", rc == 1 and len(objs) == 4 and
          e.get("type") == "PUBLISH" and e.get("status") == "error" and
          e.get("error") == "MQTTP_E_TOPIC_ALIAS" and e.get("reason_code_v5") == 0x94 and
          e.get("packet_offset") == 28 and e.get("offset") == 16 and e.get("stream_offset") == 44 and
          e.get("length") == 19 and e.get("topic_alias") == 3 and e.get("topic") == "a/x", e)
    rc, objs, _, _ = inspect(data, "--protocol-version", "5", "--topic-alias-max", "3")
    check("--topic-alias-max overrides the CONNACK's", rc == 0 and len(objs) == 7, objs[-1:])

    # two PUBLISHes: the second resolves through the first's binding, and a
    # rebinding replaces the topic
    c5 = hexvec("publish-v5-alias.hex")[:22]

    def p_bind(topic, alias):
        """QoS 0 PUBLISH of payload "pl" binding alias to topic."""
        return packet(0x30, mstr(topic) + b"\x03\x23" + alias.to_bytes(2, "big") + b"pl")

    def p_use(alias):
        """QoS 0 PUBLISH, empty topic and payload, using alias."""
        return packet(0x30, mstr("") + b"\x03\x23" + alias.to_bytes(2, "big"))
    stream = c5 + p_bind("x/1", 4) + p_use(4) + p_bind("y/2", 4) + p_use(4)
    rc, objs, _, _ = inspect_all_chunks("rebinding", stream, "--topic-alias-max", "4")
    check("alias 4: x/1, x/1, y/2 (rebound), y/2", rc == 0 and
          [o.get("topic") for o in objs[1:]] == ["x/1", "x/1", "y/2", "y/2"] and
          [o.get("payload_len") for o in objs[1:]] == [2, 0, 2, 0], objs)

    # --topic-alias-max below the alias: 0x94; 0 forbids every alias
    rc, objs, _, _ = inspect_all_chunks("alias 4 over max 3", stream, "--topic-alias-max", "3")
    e = objs[-1] if objs else {}
    check("alias 4 over --topic-alias-max 3: 0x94", rc == 1 and len(objs) == 2 and
          e.get("error") == "MQTTP_E_TOPIC_ALIAS" and e.get("reason_code_v5") == 148 and
          e.get("offset") == 9 and e.get("stream_offset") == 31, e)
    rc, objs, _, _ = inspect(stream, "--topic-alias-max", "0")
    check("--topic-alias-max 0: the first alias is refused", rc == 1 and len(objs) == 2 and
          objs[-1].get("reason_code_v5") == 148, objs[-1:])

    # an alias never bound: protocol error 0x82; a new CONNECT forgets every alias
    rc, objs, _, _ = inspect_all_chunks("unbound alias", c5 + p_use(1))
    e = objs[-1] if objs else {}
    check("empty topic with alias never bound: 0x82", rc == 1 and len(objs) == 2 and
          e.get("error") == "MQTTP_E_TOPIC_ALIAS_UNKNOWN" and e.get("reason_code_v5") == 0x82 and
          e.get("offset") == 6 and e.get("stream_offset") == 28 and e.get("topic") == "" and
          e.get("topic_alias") == 1 and e.get("length") == 8, e)
    rc, objs, _, _ = inspect(c5 + p_bind("x/1", 1) + c5 + p_use(1))
    check("a new CONNECT forgets the aliases [MQTT-3.3.2-7]", rc == 1 and len(objs) == 4 and
          objs[-1].get("error") == "MQTTP_E_TOPIC_ALIAS_UNKNOWN", objs[-1:])
    ca = h("20 03 00 00 00")
    rc, objs, _, _ = inspect_all_chunks("server aliases", ca + p_bind("s/1", 9) + p_use(9),
                                        "--from-server", "--topic-alias-max", "1")
    check("server -> client aliases are their own map (65535)", rc == 0 and
          [o.get("topic") for o in objs[1:]] == ["s/1", "s/1"], objs)

    # lists without a value per element beyond the tool's table: 5000 SUBACK
    # codes are one value; a large payload is never kept
    codes = bytes([0, 1, 2, 0x80]) * 1250
    rc, objs, _, _ = inspect(h("20 02 00 00") + packet(0x90, b"\x00\x01" + codes), "--from-server")
    check("SUBACK with 5000 codes: all of them, not truncated", rc == 0 and
          objs[-1].get("reason_codes") == list(codes) and "truncated" not in objs[-1], objs[-1].keys())
    subs = b"".join(mstr("f/%d" % i) + b"\x01" for i in range(1000))
    rc, objs, _, _ = inspect(packet(0x82, b"\x00\x02" + subs), "--protocol-version", "4")
    check("SUBSCRIBE with 1000 filters: all of them", rc in (0, 1) and objs and
          len(objs[-1].get("filters", [])) == 1000 and
          objs[-1]["filters"][999] == {"filter": "f/999", "qos": 1, "no_local": False,
                                       "retain_as_published": False, "retain_handling": 0}, objs[-1:])
    big = c5 + packet(0x30, mstr("big") + b"\x00" + b"\xff" * (6 << 20))
    rc, objs, _, _ = inspect(big)
    check("6 MiB payload: payload_len only", rc == 0 and objs[-1].get("payload_len") == 6 << 20 and
          "truncated" not in objs[-1], objs[-1:])

    # option and usage
    for bad_args in (["--topic-alias-max", "65536"], ["--topic-alias-max", "-1"], ["--topic-alias-max"]):
        p = subprocess.run([ARGS.inspect] + bad_args, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        check("usage error %s" % bad_args, p.returncode == 64, p.returncode)
    p = subprocess.run([ARGS.inspect, "--help"], stdout=subprocess.PIPE)
    hl = p.stdout.decode()
    check("--help lists the new keys and --topic-alias-max", all(
        k in hl for k in ("--topic-alias-max", "topic_alias", "payload_len", "retain_as_published",
                          "retain_handling", "subscription_identifier", "reason_codes", "filters")), hl[:80])


# ---------------------------------------------------------------- real clients

class Recorder(threading.Thread):
    """Accept one connection on 127.0.0.1, record every byte the client
    sends, answer its CONNECT with a CONNACK in the client's version."""

    def __init__(self):
        super().__init__(daemon=True)
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(1)
        self.ls.settimeout(15)
        self.port = self.ls.getsockname()[1]
        self.data = b""

    def run(self):
        try:
            s, _ = self.ls.accept()
        except OSError:
            return
        s.settimeout(5)
        answered = False
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                self.data += d
                if not answered:
                    r = fixed_header(self.data)
                    if r and len(self.data) >= r[0] + r[1]:
                        hl = r[1]
                        nlen = self.data[hl] << 8 | self.data[hl + 1]
                        level = self.data[hl + 2 + nlen] & 0x7F
                        s.sendall(h("20 03 00 00 00") if level == 5 else h("20 02 00 00"))
                        answered = True
        except OSError:
            pass
        s.close()
        self.ls.close()


def record(cmd_for_port, timeout=15):
    """Run a client against a Recorder; return (client exit code, bytes)."""
    r = Recorder()
    r.start()
    try:
        p = subprocess.run(cmd_for_port(r.port), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        code = p.returncode
    except subprocess.TimeoutExpired:
        code = -1
    r.join(10)
    return code, r.data


PAHO_SCRIPT = r'''
import sys, time, threading
import paho.mqtt.client as mqtt
port, version, cid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
proto = mqtt.MQTTv5 if version == "5" else mqtt.MQTTv311
kw = dict(client_id=cid, protocol=proto)
if hasattr(mqtt, "CallbackAPIVersion"):      # paho 2.x
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION1, **kw)
else:                                         # paho 1.x
    c = mqtt.Client(**kw)
c.username_pw_set("pahouser", "pahopass")
done = threading.Event()
if proto == mqtt.MQTTv5:
    from paho.mqtt.properties import Properties
    from paho.mqtt.packettypes import PacketTypes
    wp = Properties(PacketTypes.WILLMESSAGE)
    wp.WillDelayInterval = 7
    c.will_set("paho/will", b"bye", qos=1, retain=False, properties=wp)
    cp = Properties(PacketTypes.CONNECT)
    cp.SessionExpiryInterval = 120
    cp.UserProperty = [("pk", "pv"), ("pk", "pv2")]
    c.on_connect = lambda cl, u, f, rc, props=None: done.set()
    c.connect("127.0.0.1", port, keepalive=45, clean_start=True, properties=cp)
else:
    c.will_set("paho/will", b"bye", qos=1, retain=True)
    c.on_connect = lambda cl, u, f, rc: done.set()
    c.connect("127.0.0.1", port, keepalive=45)
c.loop_start()
ok = done.wait(5)
c.disconnect()
time.sleep(0.2)
c.loop_stop()
sys.exit(0 if ok else 3)
'''


def paho_available():
    p = subprocess.run(["/usr/bin/python3", "-c", "import paho.mqtt.client"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return p.returncode == 0


def section_b():
    if not shutil.which("mosquitto_pub"):
        skip("B mosquitto_pub", "mosquitto_pub not installed")
    else:
        cases = [("mqttv31", 3, "MQIsdp"), ("mqttv311", 4, "MQTT"), ("mqttv5", 5, "MQTT")]
        for ver, level, pname in cases:
            cid = "mp-%d" % level
            cmd = lambda port, ver=ver, cid=cid: [
                "mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-V", ver,
                "-i", cid, "-u", "user%d" % level, "-P", "pass-%d" % level,
                "-k", "33", "--will-topic", "wt/%d" % level, "--will-payload", "gone",
                "--will-qos", "1", "--will-retain", "-t", "t/x", "-m", "hello"] + (
                ["-D", "connect", "user-property", "k", "v",
                 "-D", "connect", "session-expiry-interval", "90"] if level == 5 else [])
            code, data = record(cmd)
            check("mosquitto_pub %s ran" % ver, code == 0 and len(data) > 10, (code, data[:20]))
            rc, objs, _, _ = inspect(data, "--from-client")
            o = objs[0] if objs else {}
            check("mosquitto_pub %s: stream valid (CONNECT, PUBLISH, DISCONNECT)" % ver,
                  rc == 0 and [x.get("type") for x in objs][:1] == ["CONNECT"] and
                  "PUBLISH" in [x.get("type") for x in objs], objs)
            check("mosquitto_pub %s: CONNECT fields" % ver,
                  o.get("protocol_name") == pname and o.get("protocol_version") == level and
                  o.get("client_id") == cid and o.get("username") == "user%d" % level and
                  o.get("password_len") == len("pass-%d" % level) and o.get("keepalive") == 33 and
                  o.get("will", {}).get("topic") == "wt/%d" % level and
                  o.get("will", {}).get("qos") == 1 and o.get("will", {}).get("retain") is True and
                  o.get("will", {}).get("payload_len") == 4, o)
            if level == 5:
                check("mosquitto_pub v5: user property and session expiry",
                      o.get("user_properties") == [["k", "v"]] and
                      o.get("properties", {}).get("session_expiry_interval") == 90, o)
            # the same bytes one at a time
            rc1, objs1, _, _ = inspect(data, "--from-client", chunk=1)
            check("mosquitto_pub %s: --chunk 1 identical" % ver, rc1 == rc and objs1 == objs)

    if not paho_available():
        skip("B paho", "python3 paho-mqtt not importable by /usr/bin/python3")
        return
    for ver in ("4", "5"):
        cid = "paho-v" + ver
        code, data = record(lambda port, ver=ver, cid=cid: [
            "/usr/bin/python3", "-c", PAHO_SCRIPT, str(port), ver, cid])
        check("paho v%s ran" % ver, code == 0 and len(data) > 10, (code, data[:20]))
        rc, objs, _, _ = inspect(data, "--from-client")
        o = objs[0] if objs else {}
        check("paho v%s: stream valid" % ver, rc == 0 and o.get("type") == "CONNECT", objs)
        check("paho v%s: CONNECT fields" % ver,
              o.get("protocol_version") == int(ver) and o.get("client_id") == cid and
              o.get("username") == "pahouser" and o.get("password_len") == 8 and
              o.get("keepalive") == 45 and o.get("will", {}).get("topic") == "paho/will" and
              o.get("will", {}).get("qos") == 1 and o.get("will", {}).get("payload_len") == 3, o)
        if ver == "5":
            check("paho v5: properties", o.get("properties", {}).get("session_expiry_interval") == 120 and
                  o.get("user_properties") == [["pk", "pv"], ["pk", "pv2"]] and
                  o.get("will", {}).get("properties", {}).get("will_delay_interval") == 7, o)


# ---------------------------------------------------------------- mqtt-forward

MASK = (1 << 64) - 1


def fnv1a64(data, hv=0xcbf29ce484222325):
    for b in data:
        hv ^= b
        hv = (hv * 0x100000001b3) & MASK
    return hv


def mix64(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & MASK
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & MASK
    x ^= x >> 31
    return x


def rendezvous(cid, names):
    """The upstream index mqtt-forward documents for this client id."""
    hv = fnv1a64(cid.encode())
    scores = [(mix64(hv ^ fnv1a64(n.encode())), -i) for i, n in enumerate(names)]
    return -max(scores)[1]


def connect_pkt(cid, level=4, flags=0x02, props=b"", tail=b""):
    """A CONNECT; tail: the payload after the client id (flags must match)."""
    return connect_raw(cid, level, flags, props=props if level == 5 else None, tail=tail)


def exchange(port, data, timeout=4.0, drip=False):
    """Send data to 127.0.0.1:port, return what comes back until EOF (or
    until a CONNACK-sized answer arrived and the timeout hit)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if drip:
        for i in range(len(data)):
            s.sendall(data[i:i + 1])
            time.sleep(0.005)
    else:
        s.sendall(data)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except socket.timeout:
        pass
    except ConnectionResetError:
        got += b"<reset>"
    s.close()
    return got


class Procs:
    """Processes started here, stopped by PID."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, log):
        f = open(log, "wb")
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
        self.procs.append((p, f))
        return p

    def stop(self):
        for p, f in self.procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
            f.close()
        self.procs = []


def start_forward(procs, ups, log, extra=()):
    """Start mqtt-forward on a free port; return its port or None."""
    procs.start([ARGS.forward, "-l", "127.0.0.1:0", "-v"] + list(extra) +
                sum([["-u", u] for u in ups], []), log)
    end = time.time() + 5
    while time.time() < end:
        with open(log) as f:
            for line in f:
                if "listening on 127.0.0.1:" in line:
                    return int(line.rsplit(":", 1)[1])
        time.sleep(0.05)
    return None


def broker_of(logs, cid):
    """Indexes of the brokers whose log shows client cid connecting."""
    pat = " as %s (" % cid
    found = []
    for i, lg in enumerate(logs):
        with open(lg, errors="replace") as f:
            if pat in f.read():
                found.append(i)
    return found


def section_c(work):
    if not shutil.which("mosquitto") or not shutil.which("mosquitto_pub"):
        skip("C", "mosquitto or mosquitto_pub not installed")
        return
    procs = Procs()
    try:
        ports, logs = [], []
        for i in range(3):
            port = free_port()
            conf = os.path.join(work, "broker%d.conf" % i)
            with open(conf, "w") as f:
                f.write("listener %d 127.0.0.1\nallow_anonymous true\n" % port)
            log = os.path.join(work, "broker%d.log" % i)
            procs.start(["mosquitto", "-c", conf, "-v"], log)
            ports.append(port)
            logs.append(log)
        for port in ports:
            if not check("broker on %d up" % port, wait_port(port, 5.0)):
                return
        names = ["127.0.0.1:%d" % p for p in ports]
        flog = os.path.join(work, "forward.log")
        fport = start_forward(procs, names, flog)
        if not check("mqtt-forward started", fport is not None):
            return

        # stickiness: every client id twice (3.1.1 then 5.0), plus paho
        cids = ["sticky-%02d" % i for i in range(12)]
        for rnd, ver in enumerate(("mqttv311", "mqttv5", "mqttv31")):
            for cid in cids:
                p = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(fport),
                                    "-V", ver, "-i", cid, "-t", "t/s", "-m", "m"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
                check("pub %s %s through forwarder" % (ver, cid), p.returncode == 0, p.stderr)
        if paho_available():
            for cid in cids[:3]:
                p = subprocess.run(["/usr/bin/python3", "-c", PAHO_SCRIPT, str(fport), "5", cid],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
                check("paho %s through forwarder" % cid, p.returncode == 0, p.stderr[-300:])
        time.sleep(0.5)
        used = set()
        for cid in cids:
            where = broker_of(logs, cid)
            want = rendezvous(cid, names)
            used.update(where)
            check("%s reached exactly one broker, the documented one" % cid,
                  where == [want], "found on %s, hash says %d" % (where, want))
            with open(logs[want], errors="replace") as f:
                n = f.read().count(" as %s (" % cid)
            check("%s: all its connections on that broker" % cid, n >= 3, n)
        check("client ids spread over several brokers", len(used) >= 2, used)

        # both directions flow: subscribe through the forwarder, publish
        # directly to the broker the hash picks for the subscriber
        sub_id = "sub-pipe"
        target = ports[rendezvous(sub_id, names)]
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(fport), "-i", sub_id,
                                "-t", "pipe/t", "-C", "1", "-W", "8"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        got = b""
        end = time.time() + 5
        while time.time() < end and not broker_of([logs[rendezvous(sub_id, names)]], sub_id):
            time.sleep(0.05)
        time.sleep(0.3)
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(target), "-t", "pipe/t",
                        "-m", "through-the-pipe"], timeout=10)
        try:
            got, _ = sub.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.kill(sub.pid, signal.SIGKILL)
            sub.wait()
        check("message flows back through the forwarder", got.strip() == b"through-the-pipe", got)

        # a CONNECT sent one byte at a time still routes
        ans = exchange(fport, connect_pkt("drip-id") + h("e0 00"), drip=True)
        check("CONNECT dripped byte by byte: CONNACK", ans.startswith(h("20 02 00 00")), ans)

        # refusals: exact CONNACK bytes, or a close
        cases = [
            ("3.1.1 empty id, clean session 0 -> rc 2", connect_pkt("", 4, 0x00), h("20 02 00 02")),
            ("3.1 id over 23 bytes -> rc 2", connect_pkt("y" * 24, 3), h("20 02 00 02")),
            ("unknown level 6 -> rc 1", connect_pkt("lvl6", 6), h("20 02 00 01")),
            ("5.0 receive maximum 0 -> 0x82", connect_pkt("rm0", 5, 0x02, h("21 00 00")),
             h("20 03 00 82 00")),
            ("5.0 reserved flag -> 0x81", connect_pkt("rsv", 5, 0x03), h("20 03 00 81 00")),
            ("3.1.1 reserved flag -> close", connect_pkt("rsv", 4, 0x03), b""),
            ("first packet PUBLISH -> close", h("30 05 00 01 74 68 69"), b""),
            ("CONNACK from a client -> close", h("20 02 00 00"), b""),
        ]
        for name, pkt, want in cases:
            ans = exchange(fport, pkt)
            check("refusal: " + name, ans == want, ans.hex())

        # an error after the client id, arriving after the routing: the
        # forwarder (not the broker) answers, the broker only saw a prefix
        for level, want in ((5, h("20 03 00 81 00")), (4, b"")):
            pkt = connect_pkt("late-err-%d" % level, level, 0x82, tail=mstr(b"us\xc0\x80er"))
            cut = pkt.index(b"late-err") + len("late-err-5")
            sk = socket.create_connection(("127.0.0.1", fport), timeout=3)
            sk.sendall(pkt[:cut])
            time.sleep(0.3)
            sk.sendall(pkt[cut:])
            got = b""
            try:
                while True:
                    d = sk.recv(64)
                    if not d:
                        break
                    got += d
            except OSError:
                pass
            sk.close()
            check("v%d: bad user name after routing -> %s" % (level, want.hex() or "close"),
                  got == want, got.hex())
            check("v%d: that client never completed a CONNECT on a broker" % level,
                  broker_of(logs, "late-err-%d" % level) == [])

        # many connections at once
        n = 200
        t0 = time.time()
        socks = []
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", fport), timeout=10)
            s.sendall(connect_pkt("many-%03d" % i))
            socks.append(s)
        okc = 0
        for s in socks:
            try:
                d = b""
                while len(d) < 4:
                    part = s.recv(4 - len(d))
                    if not part:
                        break
                    d += part
                okc += d == h("20 02 00 00")
            except OSError:
                pass
        dt = time.time() - t0
        for s in socks:
            s.close()
        check("%d simultaneous connections all get CONNACK" % n, okc == n, okc)
        print("info: %d concurrent CONNECT/CONNACK through mqtt-forward in %.3f s" % (n, dt))

        # 5.0 empty client ids: round robin, then the broker's Assigned
        # Client Identifier brings the reconnect back to the same broker
        differs = 0
        for i in range(6):
            ack = first_answer(fport, connect_pkt("", 5, 0x02, h("11 00 00 00 3c")))
            rc, objs, _, _ = inspect(ack, "--from-server", "--protocol-version", "5")
            aid = objs[0].get("properties", {}).get("assigned_client_identifier") if objs else None
            if not check("empty id #%d: CONNACK with an assigned id" % i, rc == 0 and aid, (ack.hex(), objs)):
                continue
            end = time.time() + 3
            while time.time() < end and not broker_of(logs, aid):
                time.sleep(0.05)
            first = broker_of(logs, aid)
            differs += first != [rendezvous(aid, names)]
            ack = first_answer(fport, connect_pkt(aid, 5, 0x00, h("11 00 00 00 3c")))
            check("assigned id %s: reconnect accepted, session present" % aid,
                  ack[:4] == h("20 03 01 00") or ack[:3] == h("20 03 01") or ack[2:4] == h("01 00"), ack.hex())
            end = time.time() + 3
            n = 0
            while time.time() < end:
                with open(logs[first[0]], errors="replace") as f:
                    n = f.read().count(" as %s (" % aid)
                if n >= 2:
                    break
                time.sleep(0.05)
            check("assigned id %s: reconnect reached the assigning broker" % aid,
                  len(first) == 1 and n == 2 and broker_of(logs, aid) == first, (first, n))
        print("info: %d of 6 assigned ids hash to another broker than the one that assigned them" % differs)

        # big CONNECTs: client id beyond the first buffer (5.0: 0x95), and
        # a 60 kB will payload after the client id (routed, forwarded whole)
        big_props = h("26") + mstr(b"k") + mstr(b"v" * 20000)
        ans = exchange(fport, connect_pkt("late-id", 5, 0x02, big_props))
        check("client id after 20 kB of properties: 0x95", ans == h("20 03 00 95 00"), ans.hex())
        tail = mstr(b"big/will") + mstr(b"w" * 60000)
        ack = first_answer(fport, connect_pkt("big-will", 4, 0x06, tail=tail))
        check("60 kB will payload forwarded: CONNACK 0", ack == h("20 02 00 00"), ack.hex())

        # a 1 MB message both ways through the bounded buffers
        sub_id = pub_id = None
        for i in range(200):
            if sub_id is None and rendezvous("bigsub-%d" % i, names) == 0:
                sub_id = "bigsub-%d" % i
            if pub_id is None and rendezvous("bigpub-%d" % i, names) == 0:
                pub_id = "bigpub-%d" % i
        payload = os.urandom(1 << 20).translate(bytes(b"abcdefghij"[i % 10] for i in range(256)))
        pf = os.path.join(work, "big.msg")
        with open(pf, "wb") as f:
            f.write(payload)
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(fport), "-i", sub_id,
                                "-t", "big/t", "-C", "1", "-W", "15", "-N"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        end = time.time() + 5
        while time.time() < end and not broker_of([logs[0]], sub_id):
            time.sleep(0.05)
        time.sleep(0.3)
        t0 = time.time()
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(fport), "-i", pub_id,
                        "-t", "big/t", "-f", pf], timeout=20)
        try:
            got, _ = sub.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.kill(sub.pid, signal.SIGKILL)
            got, _ = sub.communicate()
        check("1 MB message through the forwarder twice, intact", got == payload, len(got))
        print("info: 1 MiB publish -> subscribe through mqtt-forward in %.3f s" % (time.time() - t0))

        # failover: a dead upstream first; and all upstreams dead
        dead = "127.0.0.1:%d" % free_port()
        flog2 = os.path.join(work, "forward-failover.log")
        fport2 = start_forward(procs, [dead, names[0]], flog2)
        moved = 0
        for i in range(8):
            cid = "fo-%d" % i
            if rendezvous(cid, [dead, names[0]]) == 0:
                moved += 1
            ans = exchange(fport2, connect_pkt(cid) + h("e0 00"))
            check("failover %s gets the live broker's CONNACK" % cid, ans == h("20 02 00 00"), ans.hex())
        check("failover exercised (some ids prefer the dead upstream)", moved > 0, moved)
        flog3 = os.path.join(work, "forward-dead.log")
        fport3 = start_forward(procs, [dead], flog3)
        ans = exchange(fport3, connect_pkt("nobody", 4))
        check("no upstream: 3.1.1 rc 3 (server unavailable)", ans == h("20 02 00 03"), ans.hex())
        ans = exchange(fport3, connect_pkt("nobody", 5))
        check("no upstream: 5.0 0x88 (server unavailable)", ans == h("20 03 00 88 00"), ans.hex())
        # garbage clients: random bytes, random cuts, abrupt closes
        rnd = random.Random(99)
        for i in range(60):
            s = socket.create_connection(("127.0.0.1", fport), timeout=0.2)
            if i % 3 == 0:
                data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 400)))
            else:
                data = bytearray(connect_pkt("g%d" % i, rnd.choice((3, 4, 5))))
                data[rnd.randrange(len(data))] = rnd.getrandbits(8)
                data = bytes(data[:rnd.randint(1, len(data))])
            try:
                s.sendall(data)
                if i % 2:
                    s.recv(64)
            except OSError:
                pass
            s.close()
        ans = first_answer(fport, connect_pkt("after-garbage"))
        check("forwarder serves after 60 garbage clients", ans == h("20 02 00 00"), ans.hex())
        ok = all(p.poll() is None for p, _ in procs.procs)
        check("forwarders and brokers still running", ok)
    finally:
        procs.stop()


# ---------------------------------------------------------------- mqtt-capture

def capture(path):
    p = subprocess.run([ARGS.capture, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    rows = [l.split("\t") for l in p.stdout.decode().splitlines() if not l.startswith("#")]
    return p.returncode, rows, p.stderr.decode()


def section_d(work):
    v31, v311, v5 = hexvec("connect-v31.hex"), hexvec("connect-v311-will.hex"), hexvec("connect-v5-full.hex")
    empty = h("10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00")
    pub = h("30 05 00 01 74 68 69")
    data = v31 + v311 + pub + v5 + empty
    path = os.path.join(work, "capture1.bin")
    with open(path, "wb") as f:
        f.write(data)
    rc, rows, err = capture(path)
    offs = [0, len(v31), len(v31) + len(v311) + len(pub), len(v31) + len(v311) + len(pub) + len(v5)]
    want = [
        [str(offs[0]), "3.1", '"c31"', '"u"', "10"],
        [str(offs[1]), "3.1.1", '"dev-311"', '"alice"', "30"],
        [str(offs[2]), "5.0", '"client5"', '"user5"', "60"],
        [str(offs[3]), "3.1.1", '""', "-", "60"],
    ]
    check("capture: four CONNECTs listed with offsets", rc == 0 and rows == want, (rc, rows, err))
    check("capture: summary", "4 CONNECT, 1 other, 0 invalid" in err, err)
    # an invalid packet in the middle is skipped, the listing goes on
    bad = hexvec("connect-reserved-flag.hex")
    path2 = os.path.join(work, "capture2.bin")
    with open(path2, "wb") as f:
        f.write(v311 + bad + v31 + v311[:10])
    rc, rows, err = capture(path2)
    check("capture: goes on after an invalid packet", [r[0] for r in rows] ==
          [str(0), str(len(v311) + len(bad))], rows)
    check("capture: reports the error and the truncated tail", rc in (1, 2) and
          "MQTTP_E_CONNECT_RESERVED" in err and "ends inside" in err, (rc, err))
    # real clients' streams concatenated (from section B's kind of recording)
    if shutil.which("mosquitto_pub"):
        blob = b""
        for ver in ("mqttv31", "mqttv311", "mqttv5"):
            code, d = record(lambda port, ver=ver: ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port),
                                                    "-V", ver, "-i", "cap-" + ver, "-t", "t", "-m", "x"])
            blob += d
        path3 = os.path.join(work, "capture3.bin")
        with open(path3, "wb") as f:
            f.write(blob)
        rc, rows, err = capture(path3)
        check("capture: three real client streams", rc == 0 and [r[2] for r in rows] ==
              ['"cap-mqttv31"', '"cap-mqttv311"', '"cap-mqttv5"'] and
              [r[1] for r in rows] == ["3.1", "3.1.1", "5.0"], (rc, rows, err))


# ---------------------------------------------------------------- robustness

def section_e():
    rnd = random.Random(12345)
    seeds = [hexvec(n) for n in sorted(os.listdir(VEC)) if n.endswith(".hex")]
    seeds += [h("30 05 00 01 74 68 69"), h("20 02 00 00"), h("c0 00")]
    crashes, nonjson, differ = 0, 0, 0
    runs = 0
    t0 = time.time()
    for i in range(400):
        kind = i % 4
        if kind == 0:
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 300)))
        elif kind == 1:
            # a CONNECT-looking header then garbage
            data = h("10") + bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 200)))
        else:
            d = bytearray(rnd.choice(seeds) + rnd.choice(seeds))
            for _ in range(rnd.randint(1, 4)):
                pos = rnd.randrange(len(d))
                if rnd.random() < 0.5:
                    d[pos] ^= 1 << rnd.randrange(8)
                else:
                    d[pos] = rnd.getrandbits(8)
            if rnd.random() < 0.3:
                d = d[:rnd.randrange(len(d) + 1)]
            data = bytes(d)
        args = [] if rnd.random() < 0.7 else ["--lenient", "all"]
        outs = []
        for chunk in (None, rnd.randint(1, 9)):
            cmd = [ARGS.inspect] + args + (["--chunk", str(chunk)] if chunk else [])
            p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
            runs += 1
            if p.returncode not in (0, 1, 2):
                crashes += 1
                if crashes < 4:
                    print("crash/exit %d on %s" % (p.returncode, data.hex()))
            try:
                for line in p.stdout.decode("utf-8").splitlines():
                    json.loads(line)
            except (ValueError, UnicodeDecodeError):
                nonjson += 1
                if nonjson < 4:
                    print("not JSON for %s: %r" % (data.hex(), p.stdout[:200]))
            outs.append((p.returncode, p.stdout))
        if outs[0] != outs[1]:
            differ += 1
            if differ < 4:
                print("chunking changes output for %s:\n %r\n %r" % (data.hex(), outs[0], outs[1]))
    check("random input: no crash, exit 0/1/2 (%d runs)" % runs, crashes == 0, crashes)
    check("random input: every line is JSON", nonjson == 0, nonjson)
    check("random input: output independent of chunk size", differ == 0, differ)
    print("info: %d mqtt-inspect runs on random input in %.1f s" % (runs, time.time() - t0))


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--inspect", required=True)
    ap.add_argument("--forward")
    ap.add_argument("--capture")
    ap.add_argument("--workdir", default="/tmp/mqttparse-tests-inspect")
    ap.add_argument("--only", default="A,B,C,D,E")
    ARGS = ap.parse_args()
    os.makedirs(ARGS.workdir, exist_ok=True)
    only = ARGS.only.split(",")
    if "A" in only:
        section_a()
    if "B" in only:
        section_b()
    if "C" in only:
        if ARGS.forward and os.path.exists(ARGS.forward):
            section_c(ARGS.workdir)
        else:
            skip("C", "mqtt-forward not built")
    if "D" in only:
        if ARGS.capture and os.path.exists(ARGS.capture):
            section_d(ARGS.workdir)
        else:
            skip("D", "mqtt-capture not built")
    if "E" in only:
        section_e()
    print("%d passed, %d failed%s" % (passed, failed,
                                       (" (%d skipped)" % len(skipped)) if skipped else ""))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
