#!/usr/bin/env python3
"""gen-corpus.py - regenerate the fuzz seed corpus.

    fuzz/gen-corpus.py OUTDIR [--oracle DIR] [--max N]

Seeds come from three places:
  * hand-written vectors below (valid packets of every version, and the
    inputs that broke other parsers, from the project's notes);
  * the unit-test vectors of tests/unit (dumped by fuzz/vec2seed.c, which
    this script compiles with cc);
  * the mosquitto broker conformance cases (../shared/oracles/
    mosquitto-broker-data, read here, never copied): each test's client
    bytes as one client stream, the broker's answers as one server stream.

Every seed starts with the three configuration bytes of fuzz/fuzz_common.h.
Files are named by origin and a content hash; duplicates are dropped and
at most --max (default 450) are kept, hand-written and unit seeds first.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
from mqtttest import connect_raw, mosquitto_payload, mstr as s, packet as pkt, vbi  # noqa: E402

# Configuration bytes (fuzz_common.h): b0 = lenient | version<<6,
# b1 = checks | limits, b2 = plan length | mode<<4.
VSEL = {0: 0, 3: 1, 4: 2, 5: 3}
FROM_CLIENT, FROM_SERVER, NO_BRIDGE = 1, 2, 4


def cfg(lenient=0, version=0, checks=0, plan=b"", mode=0):
    """The configuration prefix of a seed."""
    return bytes([(lenient & 0x3F) | (VSEL[version] << 6), checks & 7,
                  (len(plan) & 15) | (mode << 4)]) + plan


def connect(name="MQTT", level=4, flags=0x02, ka=60, cid="p", props=None,
            will_props=b"", will=None, user=None, pw=None, first=0x10):
    """A CONNECT with the flags as given (the fields need not match them)."""
    return connect_raw(cid, level, flags, ka, props, will, will_props, user, pw, name, first)


def hand_seeds():
    """Hand-written vectors: (name, bytes) with the configuration prefix."""
    v5props = (b"\x11" + (30).to_bytes(4, "big") + b"\x21\x00\x0a" +
               b"\x27" + (1024).to_bytes(4, "big") + b"\x22\x00\x05" +
               b"\x19\x01\x17\x00" + b"\x26" + s("k") + s("v") +
               b"\x15" + s("SCRAM") + b"\x16" + s(b"\x00\x01"))
    will_props = (b"\x18" + (5).to_bytes(4, "big") + b"\x01\x01" +
                  b"\x02" + (9).to_bytes(4, "big") + b"\x03" + s("text/plain") +
                  b"\x08" + s("resp/t") + b"\x09" + s(b"\xde\xad") + b"\x26" + s("a") + s("b"))
    connack5 = (b"\x11" + (60).to_bytes(4, "big") + b"\x21\x00\x10" + b"\x24\x01\x25\x01" +
                b"\x27" + (65536).to_bytes(4, "big") + b"\x12" + s("auto-1") + b"\x22\x00\x0a" +
                b"\x1f" + s("ok") + b"\x26" + s("x") + s("y") + b"\x28\x01\x29\x00\x2a\x01" +
                b"\x13\x00\x1e" + b"\x1a" + s("info") + b"\x1c" + s("other:1883") +
                b"\x15" + s("m") + b"\x16" + s(b"d"))
    c = []
    add = lambda n, b: c.append((n, b))
    add("v311-min", cfg() + connect())
    add("v311-min-fromclient", cfg(checks=FROM_CLIENT) + connect())
    add("v31-min", cfg() + connect("MQIsdp", 3))
    add("v31-qos-header-lenient", cfg(lenient=8) + connect("MQIsdp", 3, first=0x12))
    add("v311-full", cfg() + connect(flags=0xEE, will=("w/t", b"bye"), user="u", pw=b"pw"))
    add("v311-pw-no-user", cfg(lenient=16) + connect(flags=0x42, pw=b"pw"))
    add("v311-empty-cid", cfg() + connect(cid=""))
    add("v311-lower-lenient", cfg(lenient=4) + connect("mqtt", 4))
    add("v311-bridge", cfg() + connect(level=0x84))
    add("v311-bridge-nobridge", cfg(checks=NO_BRIDGE) + connect(level=0x84))
    add("v311-nonminimal-lenient", cfg(lenient=1) + b"\x10\x8d\x00" + connect()[2:])
    add("v311-ctl-lenient", cfg(lenient=2) + connect(cid="a\x01b"))
    add("v5-min", cfg() + connect(level=5, props=b""))
    add("v5-allprops", cfg() + connect(level=5, props=v5props, flags=0xC6, user="u", pw=b"p",
                                          will=("w", b"m"), will_props=will_props))
    add("v5-allprops-split", cfg(plan=bytes([1, 0, 7, 3, 200])) +
        connect(level=5, props=v5props, flags=0xC6, user="u", pw=b"p", will=("w", b"m"),
                will_props=will_props))
    add("v5-1000-userprops", cfg() + connect(level=5, props=(b"\x26" + s("") + s("")) * 1000))
    add("v311-utf8", cfg() + connect(cid="h\u00e9\u20ac\U0001f600"))
    for n, bad in [("overlong", b"\xc0\x80"), ("surrogate", b"\xed\xa0\x80"),
                   ("f5", b"\xf5\x80\x80\x80"), ("nul", b"a\x00b"), ("c1", b"\xc2\x85"),
                   ("maxcp", b"\xf4\x8f\xbf\xbf"), ("over-max", b"\xf4\x90\x80\x80"),
                   ("bom", b"\xef\xbb\xbf"), ("truncated", b"\xe2\x82")]:
        add("utf8-" + n, cfg() + connect(cid=bad))
    add("v311-two-packets", cfg(checks=FROM_CLIENT) + connect() + b"\x30\x05\x00\x01t" + b"hi" +
        b"\xc0\x00" + b"\xe0\x00")
    add("connack-v311", cfg(version=4) + b"\x20\x02\x01\x00")
    add("connack-v311-refused", cfg(version=4) + b"\x20\x02\x00\x05")
    add("connack-v5", cfg(version=5) + pkt(0x20, b"\x00\x00" + vbi(len(connack5)) + connack5))
    add("connack-v5-refused", cfg(version=5) + pkt(0x20, b"\x00\x87" + vbi(0)))
    add("connack-v5-fromserver", cfg(version=5, checks=FROM_SERVER) +
        pkt(0x20, b"\x01\x00\x03\x24\x00\x0b") )
    add("stream-server", cfg(version=4, checks=FROM_SERVER) + b"\x20\x02\x00\x00\x90\x03\x00\x01\x00\xd0\x00")
    # inputs that broke other parsers (anchors / mqtt-rules notes)
    for n, b in [
        ("cve-2017-7651", b"\x10\xff\xff\xff\x7f"),
        ("cve-2017-7654", bytes.fromhex("100D00054D515454540402000A000170")),
        ("cve-2021-28166", b"\x20\x02\x00\x00"),
        ("cve-2021-34432", b"\x30\x02\x00\x00"),
        ("cve-2023-0809", b"\x20\x80\x80\x80\x74" + b"\x00" * 8),
        ("cve-2023-3592", bytes.fromhex("101C00044D5154540506003C000001630803000161" +
                                        "1F00016200017400 00".replace(" ", ""))),
        ("cve-2021-34431", connect(level=5, props=b"", flags=0x06, will=("", b"m"),
                                   will_props=b"\x18\x00\x00\x00\x03")),
        ("cve-2019-17210", b"\x30\x05\xff\xff\x41\x42\x43"),
        ("paho-trunc", bytes.fromhex("1007000 44D51545404".replace(" ", ""))),
        ("paho-1080", b"\x10\x80"),
        ("wolf-7080", b"\x70\x80"),
        ("wolf-connack3", b"\x20\x02\x00"),
        ("wolf-extra-user", connect(flags=0x02) + s("extra")),
        ("mqttc-158", b"\x30\x07\xff\xff\x41\x42\x43\x44\x45"),
        ("nanomq-5byte-proplen", bytes.fromhex("100E00044D5154540502003C80808080")),
        ("angie-nonminimal-proplen", bytes.fromhex("101000044D5154540502003C8080800000 01 70".replace(" ", ""))),
        ("len-5byte", b"\x10\xff\xff\xff\xff\x7f"),
        ("len-nonminimal", b"\x10\x80\x00"),
        ("type0", b"\x00\x00"),
        ("auth-v311", b"\xf0\x00"),
        ("propid-2byte", connect(level=5, props=b"\x91\x00" + b"\x00\x00\x00\x01")),
        ("dup-session-expiry", connect(level=5, props=(b"\x11\x00\x00\x00\x01") * 2)),
        ("recvmax-0", connect(level=5, props=b"\x21\x00\x00")),
        ("maxpkt-0", connect(level=5, props=b"\x27\x00\x00\x00\x00")),
        ("rpi-2", connect(level=5, props=b"\x17\x02")),
        ("authdata-no-method", connect(level=5, props=b"\x16" + s(b"x"))),
        ("authdata-empty-no-method", connect(level=5, props=b"\x16" + s(b""))),
        ("will-qos3", connect(flags=0x1e, will=("t", b"m"))),
        ("will-retain-no-will", connect(flags=0x22)),
        ("reserved-flag", connect(flags=0x03)),
        ("wildcard-will", connect(flags=0x06, will=("a/#", b"m"))),
        ("mqtt-level3", connect("MQTT", 3)),
        ("mqisdp-level4", connect("MQIsdp", 4)),
        ("haproxy-split-128", connect(cid="c" * 110)),
    ]:
        add("bad-" + n, cfg(checks=FROM_CLIENT) + b)
        add("bad-" + n + "-nochk", cfg() + b)
    # 2026 parser CVEs (tests/unit regression rows): each packet alone with
    # its version set, and as the stream that reaches it (after a CONNECT
    # from the client, or a CONNACK from the server)
    for n, ver, side, b in [
        ("wolf-545-connack-1byte", 4, "s", b"\x20"),
        ("wolf-545-connack-2byte", 4, "s", b"\x20\x02"),
        ("wolf-545-connack-v5-no-proplen", 5, "s", b"\x20\x03\x00\x00"),
        ("wolf-545-vbi-2080", 4, "s", b"\x20\x80"),
        ("wolf-545-vbi-3080", 4, "s", b"\x30\x80"),
        ("wolf-545-vbi-8280", 4, "c", b"\x82\x80"),
        ("wolf-545-vbi-7080-v5", 5, "c", b"\x70\x80"),
        ("wolf-545-vbi-f080-v5", 5, "c", b"\xf0\x80"),
        ("wolf-545-vbi-70808080", 4, "c", b"\x70\x80\x80\x80"),
        ("wolf-552-puback-no-code", 5, "c", b"\x40\x03\x00\x05"),
        ("wolf-552-disconnect-no-code", 5, "c", b"\xe0\x01"),
        ("wolf-552-auth-no-code", 5, "c", b"\xf0\x01"),
        ("mqttc-204-rl4-topic3", 4, "s", b"\x30\x04\x00\x03ab"),
        ("mqttc-204-rl4-topic3-v5", 5, "s", b"\x30\x04\x00\x03ab"),
        ("mqttc-206-rl4-topic65535", 4, "s", b"\x30\x04\xff\xffab"),
        ("mqttc-206-rl4-topic65535-v5", 5, "s", b"\x30\x04\xff\xffab"),
        ("mqttc-204-qos1-no-pid", 4, "s", b"\x32\x04\x00\x02ab"),
        ("mqttc-204-qos2-pid-cut", 4, "s", b"\x34\x06\x00\x03abc\x00"),
        ("mqttc-204-v5-no-proplen", 5, "s", b"\x30\x04\x00\x02ab"),
        ("mongoose-3419-connack-key", 5, "s", pkt(0x20, b"\x00\x00\x03\x26\x00\x05")),
        ("mongoose-3419-connack-u32", 5, "s", pkt(0x20, b"\x00\x00\x03\x11\x00\x00")),
        ("mongoose-3419-puback-reason", 5, "c", pkt(0x40, b"\x00\x01\x10\x04\x1f\x00\x09r")),
        ("mongoose-3419-pubrec-value", 5, "c", pkt(0x50, b"\x00\x01\x10\x06\x26" + s("k") + b"\x00\x05")),
        ("mongoose-3419-disconnect-u32", 5, "c", pkt(0xe0, b"\x00\x03\x11\x00\x00")),
        ("mongoose-3419-auth-data", 5, "c", pkt(0xf0, b"\x18\x07\x15" + s("m") + b"\x16\x00\x05")),
        ("mongoose-3419-publish-key", 5, "s", pkt(0x30, s("t") + b"\x03\x26\x00\x05")),
        ("mongoose-3419-publish-corr", 5, "s", pkt(0x30, s("t") + b"\x04\x09\x00\x05x")),
        ("mongoose-3419-publish-subid", 5, "s", pkt(0x30, s("t") + b"\x02\x0b\x80")),
    ]:
        if side == "c":
            first, chk = connect(level=ver, props=b"" if ver == 5 else None), FROM_CLIENT
        else:
            first = b"" if b[0] >> 4 == 2 else (b"\x20\x03\x00\x00\x00" if ver == 5 else b"\x20\x02\x00\x00")
            chk = FROM_SERVER
        add("bad-" + n, cfg(version=ver) + b)
        add("bad-" + n + "-stream", cfg(checks=chk) + first + b)
    # roundtrip CONNACK encoder parameters (fuzz_roundtrip.c layout)
    for n, b in [("enc-v4", b"\x01\x00\x00\x00"), ("enc-v4-sp", b"\x05\x03\x00\x00"),
                 ("enc-v5-rs", b"\x0a\x87\x03\x00abc"), ("enc-v5-both", b"\x1e\x9c\x02\x05hiother"),
                 ("enc-v5-badutf8", b"\x0a\x80\x02\x00\xc0\x80"), ("enc-v5-big", b"\x2a\x00\x00\x00"),
                 ("enc-v5-huge", b"\x4a\x00\x00\x00"), ("enc-v5-badcode", b"\x02\x42\x00\x00")]:
        add(n, cfg() + b)
    return c


def unit_seeds(tmp):
    """Dump tests/unit vectors with fuzz/vec2seed.c; [] if they are absent."""
    unit = os.path.join(TOP, "tests", "unit")
    if not os.path.exists(os.path.join(unit, "vectors.c")):
        return []
    exe = os.path.join(tmp, "vec2seed")
    out = os.path.join(tmp, "unit")
    os.mkdir(out)
    cc = os.environ.get("CC", "cc")
    try:
        subprocess.run([cc, "-std=c99", "-I", unit, "-I", os.path.join(TOP, "libmqttparse", "include"),
                        os.path.join(HERE, "vec2seed.c"), os.path.join(unit, "hexin.c"),
                        os.path.join(TOP, "examples", "common", "input.c"),
                        os.path.join(unit, "vectors.c"), "-o", exe], check=True)
        subprocess.run([exe, out], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (subprocess.CalledProcessError, OSError) as e:
        print("gen-corpus: unit vectors skipped (%s)" % e, file=sys.stderr)
        return []
    return [(f, open(os.path.join(out, f), "rb").read()) for f in sorted(os.listdir(out))]


def oracle_seeds(d):
    """Client and server streams of each mosquitto test."""
    seeds = []
    for f in sorted(glob.glob(os.path.join(d, "*.json"))):
        base = os.path.splitext(os.path.basename(f))[0]
        for g in json.load(open(f)):
            for t in g.get("tests", []):
                ver = t.get("ver", g.get("ver", 4))
                conn = t.get("connect", g.get("connect", True))
                send = bytearray()
                recv = bytearray()
                if conn:
                    # the default exchange the test data assumes
                    name, lvl = ("MQIsdp", 3) if ver == 3 else ("MQTT", ver)
                    send += connect(name, lvl, props=b"" if ver == 5 else None, cid="test")
                    recv += b"\x20\x03\x00\x00\x00" if ver == 5 else b"\x20\x02\x00\x00"
                try:
                    for m in t.get("msgs", []):
                        if m.get("type") == "send":
                            send += mosquitto_payload(m["payload"])
                        elif m.get("type") == "recv":
                            recv += mosquitto_payload(m["payload"])
                except (ValueError, KeyError):
                    continue
                v = ver if ver in (3, 4, 5) else 0
                if send:
                    seeds.append(("mosq-%s-c" % base, cfg(version=v, checks=FROM_CLIENT) + bytes(send)))
                if recv:
                    seeds.append(("mosq-%s-s" % base, cfg(version=v, checks=FROM_SERVER) + bytes(recv)))
    return seeds


def main():
    args = sys.argv[1:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    outdir = args[0]
    oracle = os.path.join(os.path.dirname(TOP), "shared", "oracles", "mosquitto-broker-data")
    maxn = 450
    if "--oracle" in args:
        oracle = args[args.index("--oracle") + 1]
    if "--max" in args:
        maxn = int(args[args.index("--max") + 1])
    hand = hand_seeds()
    with tempfile.TemporaryDirectory() as tmp:
        unit = unit_seeds(tmp)
    mosq = oracle_seeds(oracle) if os.path.isdir(oracle) else []
    seeds = hand + unit
    os.makedirs(outdir, exist_ok=True)
    for f in glob.glob(os.path.join(outdir, "*")):
        # keep fuzz-merge finds and the other seed scripts' files
        if not os.path.basename(f).startswith(("fz-", "ws-", "match-", "alias-", "answer-")):
            os.remove(f)
    seen = set()
    n = 0
    # hand seeds first, then an even sample of the unit and oracle seeds
    room = max(0, maxn - len(glob.glob(os.path.join(outdir, "fz-*"))))
    uniq = {}
    for name, data in mosq:
        uniq.setdefault(data, name)
    mosq = [(n, d) for d, n in uniq.items()]
    left = max(0, room - len(hand))
    share_u = min(len(unit), max(left // 2, left - len(mosq)))
    share_m = left - share_u

    def sample(lst, k):
        if k >= len(lst):
            return lst
        return [lst[i * len(lst) // k] for i in range(k)] if k > 0 else []

    for name, data in hand + sample(unit, share_u) + sample(mosq, share_m):
        h = hashlib.sha1(data).hexdigest()[:10]
        if h in seen or n >= room:
            continue
        seen.add(h)
        with open(os.path.join(outdir, "%s-%s" % (name, h)), "wb") as fh:
            fh.write(data)
        n += 1
    print("gen-corpus: %d seeds written (candidates: %d hand, %d unit, %d mosquitto) in %s"
          % (n, len(hand), len(unit), len(mosq), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
