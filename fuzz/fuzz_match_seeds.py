#!/usr/bin/env python3
"""fuzz_match_seeds.py - write fuzz_match's seeds (fuzz/corpus/match-*).

Layout (fuzz/fuzz_match.c): a flags byte (bit 0 control characters
allowed, bit 1 derive the topic from the filter), the filter's length
(2 bytes, big endian), the filter, the topic. Seeds: the filter/topic
pairs of MQTT 5.0 sections 4.7.1-4.7.3 and 4.8.2, one filter per error,
UTF-8 cases.
    python3 fuzz/fuzz_match_seeds.py fuzz/corpus
"""
import glob
import hashlib
import os
import struct
import sys

PAIRS = [
    (b"sport/tennis/player1/#", b"sport/tennis/player1"),
    (b"sport/tennis/player1/#", b"sport/tennis/player1/score/wimbledon"),
    (b"sport/#", b"sport"),
    (b"#", b"sport/tennis"),
    (b"sport/tennis/+", b"sport/tennis/player1/ranking"),
    (b"sport/+", b"sport/"),
    (b"+/+", b"/finance"),
    (b"/+", b"/finance"),
    (b"+", b"/finance"),
    (b"+/tennis/#", b"sport/tennis"),
    (b"#", b"$SYS/monitor/Clients"),
    (b"+/monitor/Clients", b"$SYS/monitor/Clients"),
    (b"$SYS/#", b"$SYS"),
    (b"$SYS/monitor/+", b"$SYS/monitor/Clients"),
    (b"ACCOUNTS", b"Accounts"),
    (b"a//b", b"a//b"),
    (b"/", b"/"),
    (b"caf\xc3\xa9", b"cafe\xcc\x81"),
    (b"$share/consumer1/sport/tennis/+", b"sport/tennis/player1"),
    (b"$share/consumer1//finance", b"/finance"),
    (b"$share/g/#", b"$SYS/x"),
    (b"$share/g/x", b"$share/g/x"),
]

ERRORS = [
    b"", b"sport/tennis#", b"sport/tennis/#/ranking", b"sport+", b"+a", b"#/",
    b"$share/", b"$share//x", b"$share/g", b"$share/g/", b"$share/a+b/x",
    b"$share/#", b"$share/g/a#", b"$sha+", b"a\x00b", b"\xc3", b"\xc3+",
    b"\xc0\x80", b"a\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xff", b"a\x01",
    b"\xc2\x80", b"$share/\x1f/x", b"\xf0\x9f\x98\x80/#",
]


def seed(flags, f, t):
    return bytes([flags]) + struct.pack(">H", len(f)) + f + t


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
    os.makedirs(out, exist_ok=True)
    for old in glob.glob(os.path.join(out, "match-*")):
        os.remove(old)
    seeds = [seed(0, f, t) for f, t in PAIRS]
    seeds += [seed(2, f, b"x/y") for f, _ in PAIRS[:8]]
    seeds += [seed(0, f, f) for f in ERRORS]
    seeds += [seed(1, b"a\x01/+", b"a\x01/b\x7f")]
    for s in seeds:
        name = "match-" + hashlib.sha1(s).hexdigest()[:12]
        with open(os.path.join(out, name), "wb") as fh:
            fh.write(s)
    print("fuzz_match_seeds: %d seeds in %s" % (len(seeds), out))


if __name__ == "__main__":
    main()
