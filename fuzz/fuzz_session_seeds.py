#!/usr/bin/env python3
"""fuzz_session_seeds.py - write fuzz_session's seeds (fuzz/corpus/session-*).

Sessions in fuzz_session's input layout (see fuzz/fuzz_session.c): each
client version, plain and WebSocket, ring buffers from 16 bytes to 16 KB,
plans of one-byte to whole-buffer pieces with holds and partial sends, and
op streams with every packet kind both ways, raw bytes, a flipped byte, a
cut packet and a second CONNACK. Usage:

    python3 fuzz/fuzz_session_seeds.py fuzz/corpus
"""
import os
import sys

PUBLISH, ACK, SUB, SMALL, RAW, FLIP, CUT, OTHER = 0, 3, 4, 5, 6, 7, 8, 9


def op(kind, direction, *args):
    return bytes([(kind << 1) | direction] + list(args))


# every packet kind both ways, valid
EVERY = b"".join([
    op(PUBLISH, 0, 0x00, 5, 3), op(PUBLISH, 1, 0x01, 7, 9, 0, 4),
    op(PUBLISH, 0, 0x82, 3, 2, 0, 40), op(PUBLISH, 1, 0x06, 1, 1, 3),
    op(ACK, 0, 0x00, 1), op(ACK, 1, 0x1d, 2, 1, 0), op(ACK, 0, 0x02, 3), op(ACK, 1, 0x07, 4),
    op(SUB, 0, 0x21, 5, 0), op(SUB, 1, 0x10, 5, 0), op(SUB, 0, 0x06, 6, 0),
    op(SUB, 1, 0x84, 6, 0), op(SMALL, 0, 0x00), op(SMALL, 1, 0x00),
    op(SMALL, 0, 0x70, 1, 2, 3), op(SMALL, 1, 0x31, 0), op(SMALL, 0, 0x02), op(SMALL, 1, 0x01),
])
# a large PUBLISH across buffers, then more
BIG = op(PUBLISH, 0, 0x80, 2, 1, 0, 200) + op(PUBLISH, 1, 0x81, 4, 9, 0, 150) + EVERY
# invalid bytes later: raw bytes, a flipped byte, a cut packet, a second CONNACK
BAD = [
    EVERY[:20] + op(RAW, 0, 3, 0xf0, 0x00, 0x12),
    EVERY[:20] + op(RAW, 1, 2, 0x20, 0x02),
    EVERY[:30] + op(FLIP, 0, 0, 0x40),
    EVERY[:30] + op(FLIP, 1, 1, 0x0f),
    EVERY[:30] + op(CUT, 0, 1),
    EVERY[:30] + op(OTHER, 1, 0, 0),
    op(RAW, 0, 7, 0x30, 0xff, 0xff, 0xff, 0xff, 0x7f, 0),
]

PLANS = [
    b"",                                  # cycled step counter
    bytes([0x00]),                        # one byte at a time
    bytes([0x0e, 0x1e, 0x0c, 0x1c]),      # large pieces both ways
    bytes([0x23, 0x05, 0x33, 0x45, 0x18, 0x86, 0x97, 0x6b]),  # holds, half sends
    bytes([0x08, 0x39, 0x7a, 0x2b, 0x0c, 0xbd, 0x4e, 0x1f, 0x30, 0x41]),
]


def seed(version_sel, ws, template, req_size, res_size, heads, fields, plan, body):
    c0 = version_sel | (ws << 2) | ((0 if template else 1) << 3) | (req_size << 4) | (fields << 7)
    c1 = res_size | (heads << 3)
    return bytes([c0, c1, len(plan)]) + plan + body


def main(out):
    os.makedirs(out, exist_ok=True)
    n = 0

    def put(name, data):
        nonlocal n
        with open(os.path.join(out, "session-" + name), "wb") as f:
            f.write(data)
        n += 1

    connect = bytes([0x43, 3, 0, 0x10, 0, 2, 1, 4])  # flags, keep alive, props, ids
    for vsel, vname in ((0, "v31"), (1, "v311"), (2, "v5")):
        for ws in (0, 1):
            t = "ws" if ws else "tcp"
            put(f"{vname}-{t}-every", seed(vsel, ws, 1, 5, 5, 3, ws, PLANS[3], connect + EVERY))
            put(f"{vname}-{t}-small-buffers", seed(vsel, ws, 1, 0, 1, 31, 0, PLANS[1],
                                                   connect + EVERY))
            put(f"{vname}-{t}-big", seed(vsel, ws, 1, 2, 3, 17, 1, PLANS[4], connect + BIG))
            for i, bad in enumerate(BAD):
                put(f"{vname}-{t}-bad{i}", seed(vsel, ws, 1, 3, 4, i, 0, PLANS[2 + i % 3],
                                                connect + bad))
    # no CONNECT / CONNACK template: raw first packets
    put("raw-first", seed(2, 0, 0, 4, 4, 0, 0, PLANS[0], op(RAW, 0, 7, 0x10, 0x80, 0x80, 0x80,
                                                                 0x80, 0x01, 0) + EVERY))
    put("raw-ws", seed(2, 1, 0, 4, 4, 0, 0, PLANS[3], op(RAW, 1, 4, 0x20, 0x02, 0, 0) + EVERY))
    print(f"fuzz_session_seeds: {n} seeds in {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus")
