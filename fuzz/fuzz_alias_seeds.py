#!/usr/bin/env python3
"""fuzz_alias_seeds.py - write fuzz_alias's seeds (fuzz/corpus/alias-*).

The unit tests' scenarios (bind, resolve, rebind longer and shorter,
arena exactly full and one byte short, reset, max 0, alias 65535 with max
65535) in fuzz_alias's input layout (see fuzz/fuzz_alias.c), long topics
and a run of rebinds. Usage:

    python3 fuzz/fuzz_alias_seeds.py fuzz/corpus
"""
import hashlib
import os
import sys

RESET = b"\xf0"


def head(max_alias, arena_len):
    return bytes([max_alias >> 8, max_alias & 0xFF, arena_len >> 8, arena_len & 0xFF])


def pub(alias=None, topic=b"", null=False, max_alias=None):
    """One PUBLISH: alias None = no Topic Alias; max_alias given = read the
    alias relative to the maximum (alias - max in -2 .. 1)."""
    if isinstance(topic, str):
        topic = topic.encode()
    c = 0 if alias is None else 1
    a = alias or 0
    if max_alias is not None:
        kind, arg = 1, bytes([(a - max_alias + 2) & 3])
    elif a <= 0xFF:
        kind, arg = 0, bytes([a])
    elif a <= 0xFFFF:
        kind, arg = 2, a.to_bytes(2, "big")
    else:
        kind, arg = 3, a.to_bytes(4, "big")
    c |= kind << 1
    out = b""
    if topic:
        c |= 8
        n = len(topic)
        assert n <= 1023
        ln = bytes([n]) if n < 0xF0 else bytes([0xF0 | (n >> 8), n & 0xFF])
        out = ln + topic
    elif null:
        c |= 16
    return bytes([c]) + arg + out


def seeds():
    s = {}
    s["bind-resolve"] = head(3, 16) + b"".join([
        pub(1, "a/b"), pub(1), pub(3, "c"), pub(None, "x/y"), pub(2), pub(None),
        pub(0, "t"), pub(0), pub(4, "t"), pub(4), pub(65536, "t"), pub(0xFFFFFFFF),
        pub(1, "a/b"), pub(2, "c")])
    s["rebind"] = head(3, 32) + b"".join([
        pub(1, "aa"), pub(2, "bbbb"), pub(3, "cc"), pub(1, "AAAAAA"), pub(3, "C"),
        pub(2, "B"), pub(2, "BBBBBBBBB"), pub(1), pub(3)])
    s["full"] = head(2, 8) + b"".join([
        pub(1, "abcde"), pub(2, "fgh"), pub(2, "fghi"), pub(1, "abcdef"), pub(2),
        pub(1, "abcd"), pub(2, "fghi"), pub(None, "zzzzzzzzzz"), pub(2, "12345678")])
    s["short"] = head(1, 4) + b"".join([
        pub(1, "abcde"), pub(1), pub(1, "abcd"), pub(1, "abcde"), pub(1, "wxyz")])
    s["no-arena"] = head(4, 0) + b"".join([pub(1, "a"), pub(0, "a"), pub(None, "a")])
    s["reset"] = head(2, 8) + b"".join([
        pub(1, "abcd"), pub(2, "efgh"), RESET, pub(1), pub(2), pub(2, "12345678"),
        RESET, RESET, pub(1, "a")])
    s["max0"] = head(0, 16) + b"".join([
        pub(1, "a"), pub(1), pub(0, "a"), pub(65535, "a"), pub(None, "a/b"), pub(None),
        pub(0, "x", max_alias=0), RESET])
    s["max65535"] = head(65535, 64) + b"".join([
        pub(65535, "last", max_alias=65535), pub(1, "first"), pub(65535, max_alias=65535),
        pub(1, "1st"), pub(65536, max_alias=65535), pub(65534, max_alias=65535)])
    s["null-topic"] = head(2, 8) + b"".join([
        pub(None, null=True), pub(1, null=True), pub(1, "t"), pub(1, null=True)])
    s["long"] = head(4, 3000) + b"".join([
        pub(1, b"a" * 1000), pub(2, b"b" * 1000), pub(3, b"c" * 999), pub(4, "dd"), pub(4, "d"),
        pub(1, b"A" * 1001), pub(1, b"A" * 1000), pub(1, "x"), pub(4, b"E" * 1023),
        pub(4, b"E" * 999), pub(2), pub(4)])
    # a run of rebinds of 8 aliases into a 40-byte arena (some do not fit)
    x, ops = 1, []
    for i in range(200):
        x = (x * 1103515245 + 12345) & 0xFFFFFFFF
        a = 1 + (x >> 8) % 8
        n = (x >> 16) % 12
        ops.append(pub(a, bytes(0x61 + (i + j) % 26 for j in range(n))))
    s["churn"] = head(8, 40) + b"".join(ops)
    return s


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus"
    os.makedirs(out, exist_ok=True)
    for name, data in seeds().items():
        h = hashlib.sha1(data).hexdigest()[:10]
        with open(os.path.join(out, "alias-%s-%s" % (name, h)), "wb") as f:
            f.write(data)
    print("fuzz_alias_seeds: %d seeds in %s" % (len(seeds()), out))


if __name__ == "__main__":
    main()
