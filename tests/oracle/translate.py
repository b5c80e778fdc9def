#!/usr/bin/python3
"""Translate mosquitto's broker test data (test/broker/data/*.json) into the
case file read by tests/oracle/test_oracle.c.

Usage: translate.py ORACLE_DIR OUT_FILE

What is taken (see the data's README for the notation):
  - every test whose effective "connect" is false: the "send" payloads are
    fed, in order, to a parser checking MQTTP_CHECK_FROM_CLIENT; the first
    one is normally the CONNECT whose verdict is compared;
  - every test whose effective "connect" is true: a default CONNECT of the
    test's version is fed first (the broker's own harness does the same),
    then the packets the client sends, framed with MQTTP_CHECK_FROM_CLIENT.
The broker's verdict: accepted when expect_disconnect is false, rejected
otherwise; when the broker answered the test's own CONNECT (connect=false)
with a CONNACK, that CONNACK is passed on: code 0 means the CONNECT itself
was accepted (a later packet was refused), another code is compared with
mqttp_error_return_code (3.1.1 format "20 02 ..") or
mqttp_error_reason_code (5.0 format) and with mqttp_encode_refusal.

Output, one case per line, tab separated:
  id  ver  connect  broker_accepts  connack  allow  packets...
where connack is the hex of the broker's CONNACK to the test's CONNECT or
"-", allow is "-" or the allow-list reason, and every packet is hex.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from mqtttest import mosquitto_payload, packet  # noqa: E402

# Policy differences between mosquitto and libmqttparse's strict defaults.
# Key: (file, group, test name). Each entry says why the verdicts differ.
V5C = "v5.0   CONNECT"
BAD_ID_85 = ("mosquitto answers 0x85 (client identifier not valid) for a client id "
             "with ill-formed UTF-8, U+0000 or a control character; libmqttparse "
             "answers 0x81 (malformed packet): ill-formed strings are malformed "
             "[MQTT-1.5.4-1/2]. Both refuse.")
ALLOW = {
    # MQTT 3.1 CONNECT with connect flags 01: mosquitto applies no reserved
    # bit rule to 3.1 (IBM's 3.1 spec has no MUST); libmqttparse applies
    # the 3.1.1 rule [MQTT-3.1.2-3] to every version.
    ("CONNECT.json", "v3.1   CONNECT", "10 ok "):
        "mosquitto ignores the reserved connect flag in MQTT 3.1; libmqttparse "
        "refuses it in every version [MQTT-3.1.2-3]",
    # The same, plus fixed-header flags (QoS 1) on a 3.1 CONNECT, which
    # mosquitto accepts and libmqttparse accepts only with
    # MQTTP_LENIENT_V31_HEADER_FLAGS.
    ("CONNECT.json", "v3.1   CONNECT", "14 ok "):
        "mosquitto accepts 3.1 CONNECT header flags (MQTTP_LENIENT_V31_HEADER_FLAGS) "
        "and the reserved connect flag in 3.1",
    ("CONNECT.json", V5C, "10 Client ID with 0x0000"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+D800"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+0001"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+001F"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+007F"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+009F"): BAD_ID_85,
    ("CONNECT.json", V5C, "10 Client ID with U+FFFF"): BAD_ID_85,
    # Maximum Packet Size 2 is a valid value (only 0 is a protocol error);
    # mosquitto refuses a client whose limit cannot hold its CONNACK, a
    # broker decision the parser cannot make.
    ("CONNECT.json", V5C, "tiny max packet"):
        "mosquitto refuses a Maximum Packet Size too small for its replies; the value "
        "is valid per spec (only 0 is an error)",
    # Which authentication methods exist is the broker's business (0x8C).
    ("CONNECT.json", "v5.0   CONNECT EXTENDED AUTH", "unsupported authentication method"):
        "the broker does not support the authentication method (0x8C): broker policy, "
        "not a parsing rule",
}


def default_connect(ver):
    """The CONNECT a connect=true test starts with (clean, keep alive 10)."""
    if ver == 3:
        body = b"\x00\x06MQIsdp\x03\x02\x00\x0a" + b"\x00\x06oracle"
    elif ver == 5:
        body = b"\x00\x04MQTT\x05\x02\x00\x0a\x00" + b"\x00\x06oracle"
    else:
        body = b"\x00\x04MQTT\x04\x02\x00\x0a" + b"\x00\x06oracle"
    return packet(0x10, body)


def connack_answer(msgs):
    """The broker's first answer when it is a CONNACK, else None."""
    for m in msgs:
        if m.get("type") != "recv":
            continue
        b = mosquitto_payload(m.get("payload", ""))
        if len(b) >= 4 and b[0] == 0x20:
            return b
        return None
    return None


def main():
    src, dst = sys.argv[1], sys.argv[2]
    lines = []
    for fn in sorted(os.listdir(src)):
        if not fn.endswith(".json"):
            continue
        with open(os.path.join(src, fn), encoding="utf-8") as fh:
            groups = json.load(fh)
        for g in groups:
            for t in g.get("tests", []):
                ver = t.get("ver", g.get("ver", 4))
                connect = t.get("connect", g.get("connect", True))
                msgs = t.get("msgs", [])
                sends = [mosquitto_payload(m.get("payload", ""))
                         for m in msgs if m.get("type") == "send"]
                if not sends and connect:
                    continue        # nothing the client sends (harness checks)
                if not sends:
                    continue
                ack = connack_answer(msgs) if not connect else None
                accepts = not t.get("expect_disconnect", True)
                packets = sends if not connect else [default_connect(ver)] + sends
                key = (fn, g.get("group", ""), t.get("name", ""))
                allow = ALLOW.get(key, "-")
                ident = "%s|%s|%s" % key
                fields = [ident.replace("\t", " "), str(ver), "1" if connect else "0",
                          "1" if accepts else "0", ack.hex() if ack else "-", allow]
                fields += [p.hex() if p else "." for p in packets]
                lines.append("\t".join(fields))
    with open(dst, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    print("translate.py: %d cases from %s" % (len(lines), src))


if __name__ == "__main__":
    main()
