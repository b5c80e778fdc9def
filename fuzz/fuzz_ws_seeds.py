#!/usr/bin/env python3
"""fuzz_ws_seeds.py - write the WebSocket harnesses' seeds (fuzz/corpus/ws-*).

Layout: three config bytes (fuzz/fuzz_ws_common.h), a chunk plan, the body.
Seeds: RFC 6455 5.7's examples, one input per error of mqttws.h, MQTT
packets in 1, 2 and many masked frames with pings between (raw mode) and
bare MQTT streams for the wrap mode of fuzz_ws_mqtt.
    python3 fuzz/fuzz_ws_seeds.py fuzz/corpus
"""
import hashlib
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
from mqtttest import connect_raw, ws_frame  # noqa: E402

CLIENT, SERVER, ANY = 1, 2, 0
BIN_ONLY = 0x80


def cfg(role=CLIENT, lenient=0, rsv=0, flags=0, b1=0x10, plan=b"", cap=2, mode=0):
    b0 = role | (lenient << 2) | rsv | flags
    b2 = len(plan) | (cap << 4) | (mode << 6)
    return bytes([b0, b1, b2]) + plan


def frame(b0, payload=b"", key=b"\x37\xfa\x21\x3d", masked=True):
    return ws_frame(b0, payload, key if masked else None)


CONNECT311 = bytes.fromhex("100d00044d5154540402003c000170")


def connect5():
    props = bytes([0x11]) + struct.pack(">I", 300) + bytes([0x21]) + struct.pack(">H", 16)
    return connect_raw("client-ws-42", 5, props=props)


def frames_of(mqtt, sizes, pings=False):
    out, pos, first = b"", 0, True
    while pos < len(mqtt) or first:
        k = sizes[0] if sizes else len(mqtt)
        sizes = sizes[1:] + sizes[:1] if sizes else sizes
        k = min(k, len(mqtt) - pos)
        b0 = (0x02 if first else 0x00) | (0x80 if pos + k == len(mqtt) else 0)
        out += frame(b0, mqtt[pos:pos + k], key=bytes([pos & 255, 0x5a, 0xa5, 0x11]))
        pos += k
        first = False
        if pings and pos < len(mqtt):
            out += frame(0x89, b"hb") + frame(0x8a, b"")
    return out


def seeds():
    s = {}
    # RFC 6455 5.7
    s["rfc-unmasked-text"] = cfg(SERVER) + frame(0x81, b"Hello", masked=False)
    s["rfc-masked-text"] = cfg(CLIENT) + frame(0x81, b"Hello")
    s["rfc-fragmented"] = cfg(SERVER) + frame(0x01, b"Hel", masked=False) + frame(0x80, b"lo", masked=False)
    s["rfc-ping-pong"] = cfg(ANY) + frame(0x89, b"Hello", masked=False) + frame(0x8a, b"Hello")
    s["rfc-256-binary"] = cfg(SERVER) + frame(0x82, bytes(range(256)), masked=False)
    s["rfc-64k-header"] = cfg(SERVER) + b"\x82\x7f" + struct.pack(">Q", 65536) + b"\x00" * 40
    s["close-1000-reason"] = cfg(CLIENT) + frame(0x88, b"\x03\xe8bye")
    s["close-utf8"] = cfg(CLIENT) + frame(0x88, b"\x0b\xb8\xe2\x82\xac\xf0\x9f\x98\x80")
    s["close-empty"] = cfg(CLIENT) + frame(0x88)
    s["rsv1-allowed"] = cfg(CLIENT, rsv=0x40) + frame(0xc2, b"xx")
    s["limits"] = cfg(CLIENT, b1=0x10 | 0x01 | 0x04) + frame(0x02, b"a" * 10) + frame(0x80, b"b" * 12)
    s["lenient-nonmin"] = cfg(CLIENT, lenient=1) + b"\x82\xfe\x00\x05" + b"\x00" * 4 + b"hello"
    # one per error
    err = {
        "opcode": frame(0x83), "opcode-ctl": frame(0x8b), "rsv": frame(0xc2),
        "ctl-fragmented": frame(0x09), "ctl-too-long": b"\x89\xfe\x00\x7e" + b"\0" * 4,
        "continuation": frame(0x80), "expected-continuation": frame(0x02) + frame(0x82),
        "unmasked": frame(0x82, b"x", masked=False), "nonminimal16": b"\x82\xfe\x00\x7d" + b"\0" * 4,
        "nonminimal64": b"\x82\xff" + struct.pack(">Q", 65535) + b"\0" * 4,
        "msb": b"\x82\xff\x80" + b"\0" * 11, "close-length": frame(0x88, b"\x03"),
        "close-code": frame(0x88, b"\x03\xed"), "close-utf8-bad": frame(0x88, b"\x03\xe8\xc3\x28"),
        "close-utf8-trunc": frame(0x88, b"\x03\xe8\xe2\x82"), "after-close": frame(0x88) + frame(0x82),
    }
    for k, v in err.items():
        s["err-" + k] = cfg(CLIENT) + v
    s["err-masked-server"] = cfg(SERVER) + frame(0x82)
    s["err-text-binary-only"] = cfg(CLIENT, flags=BIN_ONLY) + frame(0x81, b"\xc0\x00")
    s["err-frame-too-large"] = cfg(CLIENT, b1=0x11) + frame(0x82, b"z" * 17)
    # MQTT in frames (raw mode)
    c5 = connect5()
    s["mqtt-connect-1frame"] = cfg(CLIENT) + frames_of(CONNECT311, [])
    s["mqtt-connect-2frames"] = cfg(CLIENT, plan=b"\x05\x03") + frames_of(CONNECT311, [7])
    s["mqtt-connect-bytes-pings"] = cfg(CLIENT, cap=0) + frames_of(CONNECT311, [1], pings=True)
    s["mqtt-connect5-3frames"] = cfg(CLIENT, cap=1) + frames_of(c5, [10, 5], pings=True)
    s["mqtt-stream"] = cfg(CLIENT) + frames_of(CONNECT311 + b"\xc0\x00" + b"\x30\x08\x00\x03a/bhey" + b"\xe0\x00", [9, 4])
    s["mqtt-close-mid-connect"] = cfg(CLIENT) + frames_of(CONNECT311[:5], [5]) + frame(0x88, b"\x03\xe9")
    s["mqtt-bad-protocol"] = cfg(CLIENT) + frames_of(CONNECT311.replace(b"MQTT", b"MQTX"), [3])
    # wrap mode: the body is MQTT
    s["wrap-connect311"] = cfg(CLIENT, plan=b"\x03\x01\x00", mode=1) + CONNECT311
    s["wrap-connect5"] = cfg(CLIENT, plan=b"\x07", cap=0, mode=1) + c5
    s["wrap-stream"] = cfg(CLIENT, plan=b"\x02\x05", mode=1) + CONNECT311 + b"\xc0\x00\xe0\x00"
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    for name, data in sorted(seeds().items()):
        h = hashlib.sha1(data).hexdigest()[:10]
        with open(os.path.join(out, "ws-%s-%s" % (name, h)), "wb") as f:
            f.write(data)
    print("fuzz_ws_seeds: %d seeds in %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
