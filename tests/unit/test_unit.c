/*
 * test_unit.c - the libmqttparse unit tests (Check framework).
 * Suites: the vector tables (run whole, at every chunk size and at every
 * pair of cuts), the framer, the property walker, the CONNACK encoder, the
 * name/code tables, the property table, parser state rules (sticky errors,
 * reset, zero-length calls) and multi-packet streams.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"

/* The parser's size is part of the ABI [header: MQTTP_PARSER_SIZE]. */
typedef char parser_fits[sizeof(struct mqttp_parser) <= MQTTP_PARSER_SIZE ? 1 : -1];

static struct guard G;

/* Make sure the shared guard buffer exists (each forked test maps it). */
static void guard_setup(void)
{
	if (!G.base)
		guard_init(&G, 1 << 16);
}

/* Parse notation into a static buffer and place it before the guard page. */
static const uint8_t *placed(const char *in, size_t *n)
{
	static uint8_t tmp[1 << 16];
	long len = hexin_parse(in, tmp, sizeof(tmp));

	ck_assert_int_ge(len, 0);
	guard_setup();
	*n = (size_t)len;
	return guard_place(&G, tmp, (size_t)len);
}

/* ---------------------------------------------------------------------
 * Vector tables
 * ------------------------------------------------------------------- */
START_TEST(t_connect_vectors)
{
	ck_assert_int_eq(run_table("connect", connect_vectors, 1), 0);
}
END_TEST

START_TEST(t_connack_vectors)
{
	ck_assert_int_eq(run_table("connack", connack_vectors, 1), 0);
}
END_TEST

START_TEST(t_frame_vectors)
{
	ck_assert_int_eq(run_table("frame", frame_vectors, 1), 0);
}
END_TEST

START_TEST(t_stream_vectors)
{
	ck_assert_int_eq(run_table("stream", stream_vectors, 1), 0);
}
END_TEST

START_TEST(t_regression_vectors)
{
	ck_assert_int_eq(run_table("regression", regression_vectors, 1), 0);
}
END_TEST

START_TEST(t_publish_vectors)
{
	ck_assert_int_eq(run_table("publish", publish_vectors, 1), 0);
}
END_TEST

/* mqttp_decode_publish and the direction: a client's PUBLISH carries no
 * Subscription Identifier [MQTT-3.3.4-6], a server's may; another packet
 * type is MQTTP_E_DIRECTION; the first packet's rules do not apply. */
START_TEST(t_decode_publish_direction)
{
	static const uint8_t sub[] = { 0x30, 0x06, 0x00, 0x01, 't', 0x02, 0x0B, 0x01 };
	static const uint8_t ack[] = { 0x40, 0x02, 0x00, 0x01 };
	struct mqttp_options o;
	struct mqttp_publish pb;
	struct mqttp_result res;

	mqttp_options_default(&o);
	o.version = MQTTP_V5;
	o.checks = MQTTP_CHECK_FROM_CLIENT;
	ck_assert_int_eq(mqttp_decode_publish(sub, sizeof(sub), &o, &pb, &res), MQTTP_ERROR);
	ck_assert_int_eq(res.error, MQTTP_E_PROPERTY_NOT_ALLOWED);
	ck_assert_int_eq(res.error_offset, 6);
	o.checks = MQTTP_CHECK_FROM_SERVER;
	ck_assert_int_eq(mqttp_decode_publish(sub, sizeof(sub), &o, &pb, &res), MQTTP_DONE);
	ck_assert_uint_eq(pb.subscription_identifier, 1);
	ck_assert_uint_eq(pb.subscription_identifier_count, 1);
	ck_assert_uint_eq(res.length, sizeof(sub));
	ck_assert_int_eq(mqttp_decode_publish(ack, sizeof(ack), &o, &pb, &res), MQTTP_ERROR);
	ck_assert_int_eq(res.error, MQTTP_E_DIRECTION);
	ck_assert_int_eq(res.type, MQTTP_PUBACK);
	ck_assert_int_eq(mqttp_decode_publish(sub, 0, NULL, &pb, &res), MQTTP_NEED_MORE);
	ck_assert_int_eq(mqttp_decode_publish(sub, 3, NULL, &pb, &res), MQTTP_NEED_MORE);
	/* no options: 3.1.1 rules, so the property block is payload */
	ck_assert_int_eq(mqttp_decode_publish(sub, sizeof(sub), NULL, &pb, &res), MQTTP_DONE);
	ck_assert_uint_eq(pb.payload.len, 3);
	ck_assert_uint_eq(pb.present, 0);
}
END_TEST

/* Every lenient flag, on and off, on a vector that needs it. */
START_TEST(t_lenient_each_flag)
{
	static const struct {
		unsigned flag;
		const char *in;
		int err;
	} cases[] = {
		{ MQTTP_LENIENT_NON_MINIMAL_LENGTH, "30 87 00 S'a/b' 'xx'", MQTTP_E_LENGTH_NOT_MINIMAL },
		{ MQTTP_LENIENT_CONTROL_CHARS, "10 V[S'MQTT' 04 02 000A S[07]]", MQTTP_E_UTF8_CONTROL },
		{ MQTTP_LENIENT_PROTOCOL_NAME, "10 V[S'MqTt' 04 02 000A S'p']", MQTTP_E_PROTOCOL_NAME },
		{ MQTTP_LENIENT_V31_HEADER_FLAGS, "14 V[S'MQIsdp' 03 02 000A S'p']", MQTTP_E_HEADER_FLAGS },
		{ MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME, "10 V[S'MQTT' 04 42 000A S'p' S'x']",
		  MQTTP_E_PASSWORD_FLAG },
		{ MQTTP_LENIENT_V31_LONG_CLIENT_ID, "10 V[S'MQIsdp' 03 02 000A S['z'*30]]",
		  MQTTP_E_CLIENT_ID_TOO_LONG },
	};
	unsigned seen = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vector v;

		memset(&v, 0, sizeof(v));
		v.id = mqttp_lenient_name(cases[i].flag);
		v.in = cases[i].in;
		v.version = cases[i].flag == MQTTP_LENIENT_NON_MINIMAL_LENGTH ? 4 : 0;
		/* off: refused */
		v.status = MQTTP_ERROR;
		v.error = cases[i].err;
		v.error_offset = -1;
		ck_assert_int_eq(run_vector(&v, 0), 0);
		/* on: accepted; all the other flags on too changes nothing */
		v.status = MQTTP_DONE;
		v.error = MQTTP_E_NONE;
		v.lenient = cases[i].flag;
		ck_assert_int_eq(run_vector(&v, 0), 0);
		v.lenient = MQTTP_LENIENT_ALL;
		ck_assert_int_eq(run_vector(&v, 0), 0);
		/* every other flag alone does not relax this rule */
		v.lenient = MQTTP_LENIENT_ALL & ~cases[i].flag;
		v.status = MQTTP_ERROR;
		v.error = cases[i].err;
		ck_assert_int_eq(run_vector(&v, 0), 0);
		seen |= cases[i].flag;
	}
	ck_assert_uint_eq(seen, MQTTP_LENIENT_ALL);
}
END_TEST

/* ---------------------------------------------------------------------
 * mqttp_frame
 * ------------------------------------------------------------------- */
/* Frame in; check the status and results. */
static void frame_case(const char *in, unsigned lenient, int st, int type,
                       uint32_t rl, int hl, int err)
{
	size_t n;
	const uint8_t *b = placed(in, &n);
	uint8_t copy[16];
	uint8_t t = 0xEE, h = 0xEE;
	uint32_t r = 0xEEEEEEEE;
	enum mqttp_error e = MQTTP_E__COUNT;
	int got = mqttp_frame(b, n, lenient, &t, &r, &h, &e);

	ck_assert_msg(got == st, "%s: status %d, expected %d", in, got, st);
	if (st == MQTTP_DONE) {
		ck_assert_msg(t == type && r == rl && h == hl, "%s: type %u rl %u hl %u", in, t, r, h);
		/* every strict prefix is NEED_MORE */
		memcpy(copy, b, h);
		for (size_t k = 0; k < h; k++) {
			const uint8_t *pb = guard_place(&G, copy, k);

			ck_assert_msg(mqttp_frame(k ? pb : NULL, k, lenient, &t, &r, &h, &e) ==
			              MQTTP_NEED_MORE, "%s: prefix %zu", in, k);
		}
	} else if (st == MQTTP_ERROR) {
		ck_assert_msg((int)e == err, "%s: error %s, expected %s", in, mqttp_error_name(e),
		              mqttp_error_name(err));
	}
}

START_TEST(t_frame)
{
	frame_case("10 0D", 0, MQTTP_DONE, 1, 13, 2, 0);
	frame_case("10 0D 00 04", 0, MQTTP_DONE, 1, 13, 2, 0);
	frame_case("30 80 01", 0, MQTTP_DONE, 3, 128, 3, 0);
	frame_case("30 80 80 01", 0, MQTTP_DONE, 3, 16384, 4, 0);
	frame_case("30 FF FF FF 7F", 0, MQTTP_DONE, 3, 268435455, 5, 0);
	frame_case("C0 00", 0, MQTTP_DONE, 12, 0, 2, 0);
	frame_case("62 02", 0, MQTTP_DONE, 6, 2, 2, 0);
	frame_case("82 7F", 0, MQTTP_DONE, 8, 127, 2, 0);
	frame_case("A2 05", 0, MQTTP_DONE, 10, 5, 2, 0);
	frame_case("3D 05", 0, MQTTP_DONE, 3, 5, 2, 0);
	frame_case("F0 00", 0, MQTTP_DONE, 15, 0, 2, 0);
	frame_case("10", 0, MQTTP_NEED_MORE, 0, 0, 0, 0);
	frame_case("30 80", 0, MQTTP_NEED_MORE, 0, 0, 0, 0);
	frame_case("30 FF FF FF", 0, MQTTP_NEED_MORE, 0, 0, 0, 0);
	frame_case("30 FF FF FF FF", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_LENGTH_TOO_LONG);
	frame_case("30 FF FF FF FF 7F", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_LENGTH_TOO_LONG);
	frame_case("30 80 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_LENGTH_NOT_MINIMAL);
	frame_case("30 85 00", MQTTP_LENIENT_NON_MINIMAL_LENGTH, MQTTP_DONE, 3, 5, 3, 0);
	frame_case("30 FF 80 80 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_LENGTH_NOT_MINIMAL);
	frame_case("36 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_PUBLISH_QOS);
	frame_case("00 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_RESERVED_TYPE);
	frame_case("11 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("60 02", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("80 02", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("A3 02", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("C8 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("F2 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	/* per-type lengths are framing rules too */
	frame_case("C0 01", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_PACKET_LENGTH);
	frame_case("30 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_PACKET_LENGTH);
	frame_case("D0 80 01", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_PACKET_LENGTH);
	frame_case("30 80 80 80 00", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_LENGTH_NOT_MINIMAL);
	frame_case("30 80 80 80 00", MQTTP_LENIENT_NON_MINIMAL_LENGTH, MQTTP_ERROR, 0, 0, 0,
	           MQTTP_E_PACKET_LENGTH);
	frame_case("10 0D 00 04 'MQTT' 04 02 00 0A 00 01 'p'", 0, MQTTP_DONE, 1, 13, 2, 0);
	frame_case("20 02 00 00", 0, MQTTP_DONE, 2, 2, 2, 0);
	/* CONNECT header flags: the version is unknown to the framer, so the
	 * 3.1 leniency lets them through */
	frame_case("12 0D", MQTTP_LENIENT_V31_HEADER_FLAGS, MQTTP_DONE, 1, 13, 2, 0);
	frame_case("12 0D", 0, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	frame_case("32 0D", MQTTP_LENIENT_V31_HEADER_FLAGS, MQTTP_DONE, 3, 13, 2, 0);
	frame_case("22 02", MQTTP_LENIENT_V31_HEADER_FLAGS, MQTTP_ERROR, 0, 0, 0, MQTTP_E_HEADER_FLAGS);
	/* every type with its required flags frames; flags 0xF never do
	 * except for PUBLISH (QoS 3 there) */
	for (unsigned t = 1; t <= 15; t++) {
		static const uint8_t need[16] = { 0, 0, 0, 0, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0 };
		/* a remaining length each type may have */
		static const uint8_t len[16] = { 0, 12, 2, 3, 2, 2, 2, 2, 5, 3, 4, 2, 0, 0, 0, 0 };
		uint8_t hdr[2] = { (uint8_t)(t << 4 | need[t]), len[t] };
		uint8_t ty, hl;
		uint32_t rl;
		enum mqttp_error e;
		const uint8_t *b;

		guard_setup();
		b = guard_place(&G, hdr, 2);
		ck_assert_msg(mqttp_frame(b, 2, 0, &ty, &rl, &hl, &e) == MQTTP_DONE, "type %u: %s", t,
		              mqttp_error_name(e));
		ck_assert_uint_eq(ty, t);
		hdr[0] = (uint8_t)(t << 4 | 0x0F);
		b = guard_place(&G, hdr, 2);
		ck_assert_int_eq(mqttp_frame(b, 2, 0, &ty, &rl, &hl, &e), MQTTP_ERROR);
		ck_assert_int_eq(e, t == MQTTP_PUBLISH ? MQTTP_E_PUBLISH_QOS : MQTTP_E_HEADER_FLAGS);
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * mqttp_property_next
 * ------------------------------------------------------------------- */
START_TEST(t_property_next)
{
	size_t n, pos = 0;
	const uint8_t *b = placed("01 01 02 0000000A 23 0007 0B 80 01 03 S'text' 09 S[00 FF] "
	                          "26 S'key' S'value' 26 S'' S''", &n);
	uint8_t id;
	uint32_t num;
	const uint8_t *a, *v;
	uint16_t al, vl;

	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x01);
	ck_assert_uint_eq(num, 1);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x02);
	ck_assert_uint_eq(num, 10);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x23);
	ck_assert_uint_eq(num, 7);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x0B);
	ck_assert_uint_eq(num, 128);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x03);
	ck_assert_uint_eq(al, 4);
	ck_assert(memcmp(a, "text", 4) == 0);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x09);
	ck_assert_uint_eq(al, 2);
	ck_assert(a[0] == 0 && a[1] == 0xFF);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert_uint_eq(id, 0x26);
	ck_assert(al == 3 && memcmp(a, "key", 3) == 0);
	ck_assert(vl == 5 && memcmp(v, "value", 5) == 0);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 1);
	ck_assert(al == 0 && vl == 0);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 0);
	ck_assert_uint_eq(pos, n);
	ck_assert_int_eq(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl), 0);

	/* an empty block */
	pos = 0;
	ck_assert_int_eq(mqttp_property_next(b, 0, &pos, &id, &num, &a, &al, &v, &vl), 0);

	/* malformed blocks, each cut at every length: never past len */
	{
		static const char *bad[] = {
			"11 0000", "21 00", "17", "15 00 05 'ab'", "26 S'k' 00", "26 S'k'",
			"7F 00", "00", "0B 80 80 80 80 01", "09 00", "0B 80", "80", "80 80 80 80 01",
			"26 00", "26 S'k' 00 05 'v'", "02 00 00 00",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			b = placed(bad[i], &n);
			pos = 0;
			ck_assert_msg(mqttp_property_next(b, n, &pos, &id, &num, &a, &al, &v, &vl) == -1,
			              "block %s", bad[i]);
		}
	}
	/* a valid block cut at every length: -1 or a clean stop, no over-read */
	{
		size_t full;
		const uint8_t *fb = placed("11 0000003C 1F S'reason' 26 S'k' S'v' 16 S[01 02 03]", &full);
		uint8_t copy[64];

		memcpy(copy, fb, full);
		for (size_t k = 0; k < full; k++) {
			int r;

			b = guard_place(&G, copy, k);
			pos = 0;
			while ((r = mqttp_property_next(b, k, &pos, &id, &num, &a, &al, &v, &vl)) == 1)
				ck_assert_uint_le(pos, k);
			ck_assert_int_ne(r, 1);
		}
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * mqttp_encode_connack
 * ------------------------------------------------------------------- */
/* Encode into a buffer ending at the guard page and compare with want. */
static void encode_case(unsigned version, int sp, unsigned rc, unsigned reason,
                        const char *rs, const char *sr, const char *want)
{
	uint8_t expect[512];
	long wn = want ? hexin_parse(want, expect, sizeof(expect)) : 0;
	size_t rsl = rs ? strlen(rs) : 0, srl = sr ? strlen(sr) : 0;
	uint8_t *buf;
	size_t got;

	guard_setup();
	ck_assert_int_ge(wn, 0);
	buf = G.base + G.size - (size_t)(wn + 8);
	got = mqttp_encode_connack(buf, (size_t)wn + 8, version, sp, rc, reason, rs, rsl, sr, srl);
	if (!want) {
		ck_assert_uint_eq(got, 0);
		return;
	}
	ck_assert_msg(got == (size_t)wn, "encode v%u rc %u reason %#x: %zu bytes, expected %ld",
	              version, rc, reason, got, wn);
	ck_assert(memcmp(buf, expect, (size_t)wn) == 0);
	/* exact capacity works; every smaller capacity returns 0 and never
	 * writes past it (the buffer ends at the guard page) */
	buf = G.base + G.size - (size_t)wn;
	ck_assert_uint_eq(mqttp_encode_connack(buf, (size_t)wn, version, sp, rc, reason, rs, rsl,
	                                       sr, srl), (size_t)wn);
	for (size_t cap = 0; cap < (size_t)wn; cap++) {
		buf = G.base + G.size - cap;
		ck_assert_uint_eq(mqttp_encode_connack(buf, cap, version, sp, rc, reason, rs, rsl,
		                                       sr, srl), 0);
	}
	/* it decodes back */
	{
		struct mqttp_options o;
		struct mqttp_connack ca;
		struct mqttp_result res;

		mqttp_options_default(&o);
		o.version = (uint8_t)(version == 5 ? 5 : 4);
		memset(&ca, 0, sizeof(ca));
		ck_assert_int_eq(mqttp_decode_connack(expect, (size_t)wn, &o, &ca, &res), MQTTP_DONE);
		ck_assert_uint_eq(ca.reason_code, version == 5 ? reason : rc);
		ck_assert_uint_eq(res.length, (uint32_t)wn);
		if (rs) {
			ck_assert_uint_eq(ca.props.reason_string.len, rsl);
		}
		if (sr) {
			ck_assert_uint_eq(ca.props.server_reference.len, srl);
		}
	}
}

START_TEST(t_encode_connack)
{
	encode_case(4, 0, 0, 0, NULL, NULL, "20 02 00 00");
	encode_case(4, 1, 0, 0, NULL, NULL, "20 02 01 00");
	encode_case(3, 0, 2, 0, NULL, NULL, "20 02 00 02");
	/* a refusal never carries session present [MQTT-3.2.2-4] */
	encode_case(4, 1, 5, 0, NULL, NULL, "20 02 00 05");
	encode_case(4, 0, 1, 0, NULL, NULL, "20 02 00 01");
	encode_case(4, 0, 6, 0, NULL, NULL, NULL);
	/* MQTT 3.1 has no session present flag */
	encode_case(3, 1, 0, 0, NULL, NULL, "20 02 00 00");
	ck_assert_uint_eq(mqttp_encode_connack(NULL, 16, 4, 0, 0, 0, NULL, 0, NULL, 0), 0);
	ck_assert_uint_eq(mqttp_encode_connack(NULL, 16, 5, 0, 0, 0, NULL, 0, NULL, 0), 0);
	encode_case(5, 0, 0, 0x00, NULL, NULL, "20 03 00 00 00");
	encode_case(5, 1, 0, 0x00, NULL, NULL, "20 03 01 00 00");
	encode_case(5, 1, 0, 0x87, NULL, NULL, "20 03 00 87 00");
	encode_case(5, 0, 0, 0x9C, "bad", "srv", "20 0F 00 9C 0C 1F 0003 'bad' 1C 0003 'srv'");
	encode_case(5, 0, 0, 0x85, "id not valid", NULL, "20 V[00 85 V[1F S'id not valid']]");
	encode_case(5, 0, 0, 0x9D, NULL, "other:1883", "20 V[00 9D V[1C S'other:1883']]");
	encode_case(5, 0, 0, 0x85, "", NULL, "20 V[00 85 V[1F 0000]]");
	encode_case(5, 0, 0, 0x01, NULL, NULL, NULL);
	encode_case(5, 0, 0, 0x8B, NULL, NULL, NULL);
	encode_case(5, 0, 0, 0xFF, NULL, NULL, NULL);
	encode_case(6, 0, 0, 0, NULL, NULL, NULL);
	encode_case(2, 0, 0, 0, NULL, NULL, NULL);
	/* a reason string long enough for a 2-byte property length */
	{
		char rs[201];

		memset(rs, 'r', 200);
		rs[200] = 0;
		encode_case(5, 0, 0, 0x80, rs, NULL, "20 V[00 80 V[1F S['r'*200]]]");
	}
	/* a 3-byte remaining length */
	{
		static char rs[20000];
		static uint8_t out[20100];
		size_t n;

		memset(rs, 's', sizeof(rs));
		n = mqttp_encode_connack(out, sizeof(out), 5, 0, 0, 0x80, rs, sizeof(rs), "x", 1);
		ck_assert_uint_eq(n, 1 + 3 + 2 + 3 + 3 + 20000 + 4);
		ck_assert(out[1] & 0x80 && out[2] & 0x80 && !(out[3] & 0x80));
		ck_assert_uint_eq(mqttp_encode_connack(out, n - 1, 5, 0, 0, 0x80, rs, sizeof(rs), "x", 1), 0);
	}
	/* strings over 65535 bytes */
	{
		static char big[70000];
		uint8_t out[16];

		memset(big, 'x', sizeof(big));
		ck_assert_uint_eq(mqttp_encode_connack(out, sizeof(out), 5, 0, 0, 0x80, big, 65536,
		                                       NULL, 0), 0);
		ck_assert_uint_eq(mqttp_encode_connack(out, sizeof(out), 5, 0, 0, 0x80, NULL, 0,
		                                       big, 65536), 0);
	}
	/* every 5.0 CONNACK reason code encodes, and only those */
	for (unsigned c = 0; c < 256; c++) {
		uint8_t out[8];
		size_t n = mqttp_encode_connack(out, sizeof(out), 5, 0, 0, c, NULL, 0, NULL, 0);

		ck_assert_uint_eq(n != 0, mqttp_connack_code_valid(5, c) != 0);
		ck_assert_uint_eq(mqttp_connack_code_valid(5, c) != 0, mqttp_reason_code_name(c) != NULL);
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * Name and code tables
 * ------------------------------------------------------------------- */
START_TEST(t_error_tables)
{
	for (int e = 0; e < MQTTP_E__COUNT; e++) {
		const char *n = mqttp_error_name((enum mqttp_error)e);
		const char *r = mqttp_error_reason((enum mqttp_error)e);
		int rc = mqttp_error_return_code((enum mqttp_error)e);
		int rs = mqttp_error_reason_code((enum mqttp_error)e);
		enum mqttp_error_class c = mqttp_error_class((enum mqttp_error)e);

		ck_assert_msg(n && n[0], "error %d has no name", e);
		ck_assert_msg(strncmp(n, "MQTTP_E_", 8) == 0, "error name %s", n);
		ck_assert_msg(r && r[0], "error %d has no reason", e);
		for (int f = 0; f < e; f++) {
			ck_assert_msg(strcmp(n, mqttp_error_name((enum mqttp_error)f)) != 0,
			              "errors %d and %d share the name %s", e, f, n);
			ck_assert_msg(strcmp(r, mqttp_error_reason((enum mqttp_error)f)) != 0,
			              "errors %d and %d share the reason %s", e, f, r);
		}
		if (e == MQTTP_E_NONE) {
			ck_assert_int_eq(c, MQTTP_EC_NONE);
			ck_assert_int_eq(rs, -1);
			continue;
		}
		ck_assert_msg(c != MQTTP_EC_NONE, "%s has no class", n);
		ck_assert_msg(rc == -1 || rc == 1 || rc == 2, "%s: return code %d", n, rc);
		/* a CONNECT's errors answer in a CONNACK, later ones (a topic
		 * alias) in a DISCONNECT */
		ck_assert_msg(rs >= 0x80 && (mqttp_reason_code_allowed(5, MQTTP_CONNACK, (unsigned)rs) ||
		                             mqttp_reason_code_allowed(5, MQTTP_DISCONNECT, (unsigned)rs)),
		              "%s: reason code %#x", n, rs);
		switch (c) {
		case MQTTP_EC_TOPIC_ALIAS:
			ck_assert_int_eq(rs, 0x94);
			ck_assert_int_eq(rc, -1);
			break;
		case MQTTP_EC_MALFORMED:
			ck_assert_int_eq(rs, 0x81);
			ck_assert_int_eq(rc, -1);
			break;
		case MQTTP_EC_PROTOCOL_ERROR:
			ck_assert_int_eq(rs, 0x82);
			ck_assert_int_eq(rc, -1);
			break;
		case MQTTP_EC_UNSUPPORTED_VERSION:
			ck_assert_int_eq(rs, 0x84);
			ck_assert_int_eq(rc, 1);
			break;
		case MQTTP_EC_CLIENT_ID:
			ck_assert_int_eq(rs, 0x85);
			ck_assert_int_eq(rc, 2);
			break;
		case MQTTP_EC_TOO_LARGE:
			ck_assert_int_eq(rs, 0x95);
			ck_assert_int_eq(rc, -1);
			break;
		case MQTTP_EC_LIMIT:
			ck_assert_int_eq(rs, 0x83);
			ck_assert_int_eq(rc, -1);
			break;
		default:
			ck_abort_msg("%s: class %d", n, c);
		}
	}
	/* the spec's answers for a few errors */
	ck_assert_int_eq(mqttp_error_return_code(MQTTP_E_PROTOCOL_VERSION), 1);   /* MQTT-3.1.2-2 */
	ck_assert_int_eq(mqttp_error_return_code(MQTTP_E_CLIENT_ID_EMPTY), 2);    /* MQTT-3.1.3-9 */
	ck_assert_int_eq(mqttp_error_return_code(MQTTP_E_UTF8), -1);             /* MQTT-3.1.4-1 */
	ck_assert_int_eq(mqttp_error_reason_code(MQTTP_E_PROPERTY_DUPLICATE), 0x82);
	ck_assert_int_eq(mqttp_error_reason_code(MQTTP_E_PACKET_TOO_LARGE), 0x95);
	ck_assert_int_eq(mqttp_error_reason_code(MQTTP_E_UTF8), 0x81);
	/* out of range: still a string */
	ck_assert_ptr_nonnull(mqttp_error_name(MQTTP_E__COUNT));
	ck_assert_ptr_nonnull(mqttp_error_name((enum mqttp_error)200));
	ck_assert_ptr_nonnull(mqttp_error_reason((enum mqttp_error)200));
	ck_assert_int_eq(mqttp_error_class((enum mqttp_error)200) == MQTTP_EC_NONE ||
	                 mqttp_error_class((enum mqttp_error)200) == MQTTP_EC_MALFORMED, 1);
	(void)mqttp_error_return_code((enum mqttp_error)200);
	(void)mqttp_error_reason_code((enum mqttp_error)200);
}
END_TEST

START_TEST(t_type_names)
{
	static const char *names[16] = {
		"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP",
		"SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT",
		"AUTH"
	};

	for (unsigned t = 0; t < 16; t++)
		ck_assert_str_eq(mqttp_type_name(t), names[t]);
	ck_assert_str_eq(mqttp_type_name(16), "RESERVED");
	ck_assert_str_eq(mqttp_type_name(1000), "RESERVED");
	ck_assert_str_eq(mqttp_version(), MQTTP_VERSION_STRING);
}
END_TEST

START_TEST(t_lenient_names)
{
	static const char *names[] = {
		"non-minimal-length", "control-chars", "protocol-name", "v31-header-flags",
		"password-without-username", "v31-long-client-id"
	};

	for (unsigned i = 0; i < 6; i++) {
		unsigned flag = 1u << i;
		const char *n = mqttp_lenient_name(flag);

		ck_assert_ptr_nonnull(n);
		ck_assert_str_eq(n, names[i]);
		ck_assert_uint_eq(mqttp_lenient_by_name(n, strlen(n)), flag);
		/* a prefix or a longer string is not a name */
		ck_assert_uint_eq(mqttp_lenient_by_name(n, strlen(n) - 1), 0);
		{
			char longer[64];

			snprintf(longer, sizeof(longer), "%sx", n);
			ck_assert_uint_eq(mqttp_lenient_by_name(longer, strlen(longer)), 0);
		}
	}
	ck_assert_uint_eq(mqttp_lenient_by_name("all", 3), MQTTP_LENIENT_ALL);
	ck_assert_uint_eq(mqttp_lenient_by_name(NULL, 0), 0);
	ck_assert_uint_eq(mqttp_lenient_by_name("control\0chars", 13), 0);
	ck_assert_uint_eq(mqttp_lenient_by_name("", 0), 0);
	ck_assert_uint_eq(mqttp_lenient_by_name("nope", 4), 0);
	/* the length is honoured: the rest of the buffer is not read */
	ck_assert_uint_eq(mqttp_lenient_by_name("control-charsXYZ", 13), MQTTP_LENIENT_CONTROL_CHARS);
	(void)mqttp_lenient_name(0);
	(void)mqttp_lenient_name(1u << 6);
	(void)mqttp_lenient_name(3);
}
END_TEST

START_TEST(t_reason_codes)
{
	static const struct { unsigned reason; int rc; } map[] = {
		{ 0x00, 0 }, { 0x84, 1 }, { 0x85, 2 }, { 0x86, 4 }, { 0x8C, 4 }, { 0x87, 5 },
		{ 0x8A, 5 }, { 0x88, 3 }, { 0x89, 3 }, { 0x80, 3 }, { 0x83, 3 }, { 0x97, 3 },
		{ 0x9C, 3 }, { 0x9D, 3 }, { 0x9F, 3 },
		/* no 3.1.1 equivalent: a 3.1.1 broker closes the connection */
		{ 0x81, -1 }, { 0x82, -1 }, { 0x90, -1 }, { 0x95, -1 }, { 0x99, -1 }, { 0x9A, -1 },
		{ 0x9B, -1 },
	};
	static const unsigned codes[] = {
		0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C,
		0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		ck_assert_int_eq(mqttp_reason_to_return_code(map[i].reason), map[i].rc);
	ck_assert_int_eq(mqttp_reason_to_return_code(0x01), -1);
	ck_assert_int_eq(mqttp_reason_to_return_code(0x8B), -1);
	ck_assert_int_eq(mqttp_reason_to_return_code(0x1000), -1);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *n = mqttp_reason_code_name(codes[i]);
		int rc = mqttp_reason_to_return_code(codes[i]);

		ck_assert_ptr_nonnull(n);
		ck_assert(n[0]);
		ck_assert(mqttp_connack_code_valid(5, codes[i]));
		/* -1: a 3.1.1 broker closes without CONNACK (malformed, too large) */
		ck_assert_msg(rc >= -1 && rc <= 5, "reason %#x maps to %d", codes[i], rc);
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(n, mqttp_reason_code_name(codes[j]));
	}
	ck_assert_str_eq(mqttp_reason_code_name(0x87), "not_authorized");
	ck_assert_ptr_null(mqttp_reason_code_name(0x01));
	ck_assert_ptr_null(mqttp_reason_code_name(0x300));
	for (unsigned c = 0; c < 300; c++) {
		ck_assert_int_eq(mqttp_connack_code_valid(4, c) != 0, c <= 5);
		ck_assert_int_eq(mqttp_connack_code_valid(3, c) != 0, c <= 5);
		/* any version but 5 uses return codes */
		ck_assert_int_eq(mqttp_connack_code_valid(6, c) != 0, c <= 5);
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * Property table
 * ------------------------------------------------------------------- */
START_TEST(t_property_table)
{
	/* id, type, where: the 5.0 spec, section 2.2.2.2 */
	static const struct { uint8_t id, type, where; const char *name; } spec[] = {
		{ 0x01, MQTTP_PT_BYTE, MQTTP_IN_WILL | MQTTP_IN_OTHER, "payload_format_indicator" },
		{ 0x02, MQTTP_PT_U32, MQTTP_IN_WILL | MQTTP_IN_OTHER, "message_expiry_interval" },
		{ 0x03, MQTTP_PT_STRING, MQTTP_IN_WILL | MQTTP_IN_OTHER, "content_type" },
		{ 0x08, MQTTP_PT_STRING, MQTTP_IN_WILL | MQTTP_IN_OTHER, "response_topic" },
		{ 0x09, MQTTP_PT_BINARY, MQTTP_IN_WILL | MQTTP_IN_OTHER, "correlation_data" },
		{ 0x0B, MQTTP_PT_VBI, MQTTP_IN_OTHER, "subscription_identifier" },
		{ 0x11, MQTTP_PT_U32, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK | MQTTP_IN_OTHER,
		  "session_expiry_interval" },
		{ 0x12, MQTTP_PT_STRING, MQTTP_IN_CONNACK, "assigned_client_identifier" },
		{ 0x13, MQTTP_PT_U16, MQTTP_IN_CONNACK, "server_keep_alive" },
		{ 0x15, MQTTP_PT_STRING, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK | MQTTP_IN_OTHER,
		  "authentication_method" },
		{ 0x16, MQTTP_PT_BINARY, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK | MQTTP_IN_OTHER,
		  "authentication_data" },
		{ 0x17, MQTTP_PT_BYTE, MQTTP_IN_CONNECT, "request_problem_information" },
		{ 0x18, MQTTP_PT_U32, MQTTP_IN_WILL, "will_delay_interval" },
		{ 0x19, MQTTP_PT_BYTE, MQTTP_IN_CONNECT, "request_response_information" },
		{ 0x1A, MQTTP_PT_STRING, MQTTP_IN_CONNACK, "response_information" },
		{ 0x1C, MQTTP_PT_STRING, MQTTP_IN_CONNACK | MQTTP_IN_OTHER, "server_reference" },
		{ 0x1F, MQTTP_PT_STRING, MQTTP_IN_CONNACK | MQTTP_IN_OTHER, "reason_string" },
		{ 0x21, MQTTP_PT_U16, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK, "receive_maximum" },
		{ 0x22, MQTTP_PT_U16, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK, "topic_alias_maximum" },
		{ 0x23, MQTTP_PT_U16, MQTTP_IN_OTHER, "topic_alias" },
		{ 0x24, MQTTP_PT_BYTE, MQTTP_IN_CONNACK, "maximum_qos" },
		{ 0x25, MQTTP_PT_BYTE, MQTTP_IN_CONNACK, "retain_available" },
		{ 0x26, MQTTP_PT_STRING_PAIR, MQTTP_IN_CONNECT | MQTTP_IN_WILL | MQTTP_IN_CONNACK |
		  MQTTP_IN_OTHER, "user_property" },
		{ 0x27, MQTTP_PT_U32, MQTTP_IN_CONNECT | MQTTP_IN_CONNACK, "maximum_packet_size" },
		{ 0x28, MQTTP_PT_BYTE, MQTTP_IN_CONNACK, "wildcard_subscription_available" },
		{ 0x29, MQTTP_PT_BYTE, MQTTP_IN_CONNACK, "subscription_identifiers_available" },
		{ 0x2A, MQTTP_PT_BYTE, MQTTP_IN_CONNACK, "shared_subscription_available" },
	};
	unsigned defined = 0;

	for (unsigned id = 0; id < 0x100; id++) {
		const struct mqttp_property_info *pi = mqttp_property_info(id);
		size_t k;

		for (k = 0; k < sizeof(spec) / sizeof(spec[0]); k++)
			if (spec[k].id == id)
				break;
		if (k == sizeof(spec) / sizeof(spec[0])) {
			ck_assert_msg(pi == NULL, "property %#x should be undefined", id);
			continue;
		}
		defined++;
		ck_assert_msg(pi != NULL, "property %#x missing", id);
		ck_assert_uint_eq(pi->id, id);
		ck_assert_msg(pi->type == spec[k].type, "property %#x type %u", id, pi->type);
		ck_assert_msg((pi->where & (MQTTP_IN_CONNECT | MQTTP_IN_WILL | MQTTP_IN_CONNACK)) ==
		              (spec[k].where & (MQTTP_IN_CONNECT | MQTTP_IN_WILL | MQTTP_IN_CONNACK)),
		              "property %#x where %#x", id, pi->where);
		ck_assert_msg(!!(pi->where & MQTTP_IN_OTHER) == !!(spec[k].where & MQTTP_IN_OTHER),
		              "property %#x other packets", id);
		ck_assert_msg(!!pi->repeatable == (id == 0x26 || id == 0x0B), "property %#x repeatable", id);
		ck_assert_str_eq(pi->name, spec[k].name);
		ck_assert_ptr_eq(mqttp_property_by_name(pi->name, strlen(pi->name)), pi);
		ck_assert_ptr_null(mqttp_property_by_name(pi->name, strlen(pi->name) - 1));
	}
	ck_assert_uint_eq(defined, 27);
	ck_assert_ptr_null(mqttp_property_info(0x1000));
	ck_assert_ptr_null(mqttp_property_by_name("", 0));
	ck_assert_ptr_null(mqttp_property_by_name(NULL, 0));
	ck_assert_ptr_null(mqttp_property_by_name("topic\0alias", 11));
	ck_assert_ptr_null(mqttp_property_by_name("no_such_property", 16));
	ck_assert_ptr_nonnull(mqttp_property_by_name("user_propertyZZ", 13));
}
END_TEST

/* ---------------------------------------------------------------------
 * Parser state rules
 * ------------------------------------------------------------------- */
START_TEST(t_parser_size)
{
	ck_assert_uint_le(sizeof(struct mqttp_parser), MQTTP_PARSER_SIZE);
	fprintf(stderr, "sizeof(struct mqttp_parser) = %zu (limit %d)\n",
	        sizeof(struct mqttp_parser), MQTTP_PARSER_SIZE);
}
END_TEST

START_TEST(t_options_default)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	size_t c;

	memset(&o, 0xAB, sizeof(o));
	mqttp_options_default(&o);
	ck_assert_uint_eq(o.lenient, 0);
	ck_assert_uint_eq(o.checks, 0);
	ck_assert_uint_eq(o.max_packet_size, 0);
	ck_assert_uint_eq(o.max_client_id_len, 0);
	ck_assert(o.max_user_properties == 0 || o.max_user_properties == MQTTP_DEFAULT_MAX_USER_PROPERTIES);
	ck_assert_uint_eq(o.version, 0);
	/* NULL options: strict, and a first zero-length call needs more */
	mqttp_init(&p, NULL);
	ck_assert_int_eq(mqttp_feed(&p, NULL, 0, &c, NULL, NULL), MQTTP_NEED_MORE);
	ck_assert_uint_eq(c, 0);
	ck_assert_uint_eq(p.type, 0);
	ck_assert_uint_eq(p.have, 0);
	ck_assert_uint_eq(p.packets, 0);
}
END_TEST

/* Errors are sticky until mqttp_reset; reset keeps the options. */
START_TEST(t_sticky_reset)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	size_t n, c;
	const uint8_t *bad = placed("10 V[S'MQTT' 04 03 000A S'p']", &n);
	uint8_t good[64];
	size_t gn;

	mqttp_options_default(&o);
	o.max_packet_size = 100;
	o.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &o);
	ck_assert_int_eq(mqttp_feed(&p, bad, n, &c, NULL, NULL), MQTTP_ERROR);
	ck_assert_uint_eq(p.error, MQTTP_E_CONNECT_RESERVED);
	ck_assert_uint_eq(p.error_offset, 9);
	ck_assert_int_eq(p.status, MQTTP_ERROR);
	gn = (size_t)hexin_parse("10 V[S'MQTT' 04 02 000A S'p']", good, sizeof(good));
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(mqttp_feed(&p, good, gn, &c, NULL, NULL), MQTTP_ERROR);
		ck_assert_uint_eq(c, 0);
		ck_assert_uint_eq(p.error, MQTTP_E_CONNECT_RESERVED);
		ck_assert_int_eq(mqttp_feed(&p, NULL, 0, &c, NULL, NULL), MQTTP_ERROR);
	}
	mqttp_reset(&p);
	ck_assert_uint_eq(p.error, MQTTP_E_NONE);
	ck_assert_uint_eq(p.packets, 0);
	ck_assert_int_eq(mqttp_feed(&p, good, gn, &c, NULL, NULL), MQTTP_DONE);
	ck_assert_uint_eq(c, gn);
	ck_assert_uint_eq(p.packets, 1);
	/* the options survived the reset: a second CONNECT is still refused */
	ck_assert_int_eq(mqttp_feed(&p, good, gn, &c, NULL, NULL), MQTTP_ERROR);
	ck_assert_uint_eq(p.error, MQTTP_E_SECOND_CONNECT);
	mqttp_reset(&p);
	/* and the maximum packet size too */
	{
		/* remaining length 229; as on a fresh parser, a CONNECT's size is
		 * judged once its protocol level is known (so 5.0 gets 0x95) */
		uint8_t big[10] = { 0x10, 0xE5, 0x01, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04 };

		ck_assert_int_eq(mqttp_feed(&p, big, 3, &c, NULL, NULL), MQTTP_NEED_MORE);
		ck_assert_int_eq(mqttp_feed(&p, big + 3, 7, &c, NULL, NULL), MQTTP_ERROR);
		ck_assert_uint_eq(p.error, MQTTP_E_PACKET_TOO_LARGE);
		ck_assert_uint_eq(p.error_offset, 1);
	}
	/* reset, then the first packet must again be a CONNECT */
	mqttp_reset(&p);
	ck_assert_int_eq(mqttp_feed(&p, "\xC0\x00", 2, &c, NULL, NULL), MQTTP_ERROR);
	ck_assert_uint_eq(p.error, MQTTP_E_FIRST_NOT_CONNECT);
	ck_assert_uint_eq(p.error_offset, 0);
}
END_TEST

/* Several packets in one buffer: DONE at each boundary, right consumed. */
START_TEST(t_multi_packet)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	size_t n, c, pos = 0;
	const uint8_t *b = placed("10 V[S'MQTT' 04 02 000A S'p'] 30 V[S'a/b' 'hello'] C0 00 "
	                          "32 V[S't' 0007 'x'] 62 02 0007 E0 00", &n);
	static const size_t lens[] = { 15, 12, 2, 8, 4, 2 };
	static const uint8_t types[] = { 1, 3, 12, 3, 6, 14 };

	mqttp_options_default(&o);
	o.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &o);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_int_eq(mqttp_feed(&p, b + pos, n - pos, &c, NULL, NULL), MQTTP_DONE);
		ck_assert_uint_eq(c, lens[i]);
		ck_assert_uint_eq(p.type, types[i]);
		ck_assert_uint_eq(p.packets, i + 1);
		ck_assert_uint_eq(p.offset, lens[i]);
		ck_assert_uint_eq(p.version, 4);
		pos += c;
	}
	ck_assert_uint_eq(pos, n);
	ck_assert_int_eq(mqttp_feed(&p, b + pos, 0, &c, NULL, NULL), MQTTP_NEED_MORE);
	ck_assert_uint_eq(c, 0);
}
END_TEST

/* Collector: pointers into the caller's buffers, NULL when split. */
static int events_seen[MQTTP_F_REASON_CODE + 1];

/* Count events per field id, then hand them to the CONNECT collector. */
static void count_cb(void *ctx, const struct mqttp_field *f)
{
	if (f->id <= MQTTP_F_REASON_CODE)
		events_seen[f->id]++;
	mqttp_connect_collect(ctx, f);
}

START_TEST(t_collect_split)
{
	struct mqttp_parser p;
	struct mqttp_connect con;
	uint8_t in[64];
	size_t n = (size_t)hexin_parse("10 V[S'MQTT' 04 C2 000A S'client' S'user' S'pass']", in, sizeof(in));
	size_t c, cut = 16;       /* inside the client id (offset 14..19) */

	memset(&con, 0, sizeof(con));
	memset(events_seen, 0, sizeof(events_seen));
	mqttp_init(&p, NULL);
	ck_assert_int_eq(mqttp_feed(&p, in, cut, &c, count_cb, &con), MQTTP_NEED_MORE);
	/* early fields: version, flags and keep alive are known already */
	ck_assert_int_eq(events_seen[MQTTP_F_PROTOCOL_NAME], 1);
	ck_assert_int_eq(events_seen[MQTTP_F_PROTOCOL_LEVEL], 1);
	ck_assert_int_eq(events_seen[MQTTP_F_CONNECT_FLAGS], 1);
	ck_assert_int_eq(events_seen[MQTTP_F_KEEP_ALIVE], 1);
	ck_assert(p.have & MQTTP_HAVE_KEEP_ALIVE);
	ck_assert(!(p.have & MQTTP_HAVE_CLIENT_ID));
	ck_assert_uint_eq(p.keep_alive, 10);
	ck_assert_int_eq(mqttp_feed(&p, in + cut, n - cut, &c, count_cb, &con), MQTTP_DONE);
	ck_assert(p.have & MQTTP_HAVE_CLIENT_ID);
	ck_assert_uint_eq(p.client_id_off, 14);
	ck_assert_uint_eq(p.client_id_len, 6);
	ck_assert_uint_eq(con.client_id.present, 1);
	ck_assert_uint_eq(con.client_id.off, 14);
	ck_assert_uint_eq(con.client_id.len, 6);
	ck_assert_ptr_null(con.client_id.ptr);           /* split over two calls */
	ck_assert_ptr_eq(con.username.ptr, in + con.username.off);
	ck_assert_ptr_eq(con.password.ptr, in + con.password.off);
	ck_assert_int_eq(events_seen[MQTTP_F_CLIENT_ID], 2);
	ck_assert_int_eq(events_seen[MQTTP_F_USERNAME], 1);
}
END_TEST

/* One-shot decoders: NEED_MORE on prefixes, wrong type, bytes after. */
START_TEST(t_decode)
{
	uint8_t in[64];
	size_t n = (size_t)hexin_parse("10 V[S'MQTT' 05 02 000A 00 S'abc'] C0 00", in, sizeof(in));
	struct mqttp_connect con;
	struct mqttp_connack ca;
	struct mqttp_result res;

	memset(&con, 0, sizeof(con));
	ck_assert_int_eq(mqttp_decode_connect(in, n, NULL, &con, &res), MQTTP_DONE);
	ck_assert_uint_eq(res.length, n - 2);
	ck_assert_uint_eq(res.type, 1);
	ck_assert_uint_eq(con.version, 5);
	ck_assert_ptr_eq(con.client_id.ptr, in + 15);
	for (size_t k = 0; k < n - 2; k++) {
		memset(&con, 0, sizeof(con));
		guard_setup();
		ck_assert_int_eq(mqttp_decode_connect(guard_place(&G, in, k), k, NULL, &con, &res),
		                 MQTTP_NEED_MORE);
	}
	ck_assert_int_eq(mqttp_decode_connect(in + n - 2, 2, NULL, &con, &res), MQTTP_ERROR);
	ck_assert_uint_eq(res.error, MQTTP_E_FIRST_NOT_CONNECT);
	ck_assert_int_eq(mqttp_decode_connack(in, n, NULL, &ca, &res), MQTTP_ERROR);
	ck_assert_uint_eq(res.error, MQTTP_E_FIRST_NOT_CONNACK);
	{
		struct mqttp_options o;

		mqttp_options_default(&o);
		o.version = 4;
		memset(&ca, 0, sizeof(ca));
		ck_assert_int_eq(mqttp_decode_connack("\x20\x02\x01\x00\xFF", 5, &o, &ca, &res),
		                 MQTTP_DONE);
		ck_assert_uint_eq(res.length, 4);
		ck_assert_uint_eq(ca.session_present, 1);
	}
}
END_TEST

START_TEST(t_properties_get)
{
	struct mqttp_properties pr;
	uint32_t num = 7;
	struct mqttp_bytes b;

	memset(&pr, 0, sizeof(pr));
	for (unsigned id = 0; id < 0x40; id++)
		ck_assert_int_eq(mqttp_properties_get(&pr, id, &num, &b), 0);
	ck_assert_int_eq(mqttp_properties_get(&pr, 1000, &num, &b), 0);
}
END_TEST

/* mqttp_properties_get for every id of collected CONNECT, will and
 * CONNACK properties; NULL outputs are allowed. */
START_TEST(t_properties_get_all)
{
	uint8_t in[512];
	size_t n = (size_t)hexin_parse("10 V[S'MQTT' 05 06 000A V[11 0000003C 21 0014 27 00010000 22 000A"
	                               " 19 01 17 00 26 S'k' S'v' 15 S'meth' 16 S[01 02]] S'p'"
	                               " V[18 00000005 01 01 02 0000000A 03 S'text' 08 S'resp' 09 S[AB]]"
	                               " S'wt' S'wp']", in, sizeof(in));
	struct mqttp_connect con;
	struct mqttp_connack ca;
	struct mqttp_result res;
	struct mqttp_options o;
	unsigned nint = 0, nbytes = 0;

	memset(&con, 0, sizeof(con));
	ck_assert_int_eq(mqttp_decode_connect(in, n, NULL, &con, &res), MQTTP_DONE);
	ck_assert_ptr_eq(con.props.block.ptr, in + con.props.block.off);
	ck_assert_ptr_eq(con.will_props.block.ptr, in + con.will_props.block.off);
	for (unsigned id = 0; id < 0x30; id++) {
		uint32_t num = 0xDEAD;
		struct mqttp_bytes b;
		int k = mqttp_properties_get(&con.props, id, &num, &b);
		int kw = mqttp_properties_get(&con.will_props, id, &num, &b);

		nint += (k == 1) + (kw == 1);
		nbytes += (k == 2) + (kw == 2);
		if (k == 2 || kw == 2)
			ck_assert(b.present && b.ptr == in + b.off);
		ck_assert_int_eq(mqttp_properties_get(&con.props, id, NULL, NULL), k);
	}
	ck_assert_uint_eq(nint, 6 + 3);
	ck_assert_uint_eq(nbytes, 2 + 3);
	/* walk the collected block: the user property is there */
	{
		size_t pos = 0;
		uint8_t id;
		uint32_t num;
		const uint8_t *a, *v;
		uint16_t al, vl;
		int users = 0, r;

		while ((r = mqttp_property_next(con.props.block.ptr, con.props.block.len, &pos, &id, &num,
		                                &a, &al, &v, &vl)) == 1)
			users += id == 0x26 && al == 1 && a[0] == 'k' && vl == 1 && v[0] == 'v';
		ck_assert_int_eq(r, 0);
		ck_assert_int_eq(users, 1);
	}

	n = (size_t)hexin_parse("20 V[00 00 V[11 00000078 21 000A 24 01 25 00 27 00001000 12 S'auto-1'"
	                        " 22 0005 1F S'why' 26 S'a' S'b' 28 00 29 01 2A 01 13 003C 1A S'info'"
	                        " 1C S'srv2' 15 S'm' 16 S[00 FF]]]", in, sizeof(in));
	mqttp_options_default(&o);
	o.version = 5;
	memset(&ca, 0, sizeof(ca));
	ck_assert_int_eq(mqttp_decode_connack(in, n, &o, &ca, &res), MQTTP_DONE);
	nint = nbytes = 0;
	for (unsigned id = 0; id < 0x30; id++) {
		uint32_t num;
		struct mqttp_bytes b;
		int k = mqttp_properties_get(&ca.props, id, &num, &b);

		nint += k == 1;
		nbytes += k == 2;
	}
	ck_assert_uint_eq(nint, 10);
	ck_assert_uint_eq(nbytes, 6);
	ck_assert_uint_eq(ca.props.user_property_count, 1);
	/* a CONNACK split in two: everything known but the block pointer */
	{
		struct mqttp_parser p;
		struct mqttp_connack c2;
		size_t used;

		memset(&c2, 0, sizeof(c2));
		mqttp_init(&p, &o);
		ck_assert_int_eq(mqttp_feed(&p, in, 9, &used, mqttp_connack_collect, &c2), MQTTP_NEED_MORE);
		ck_assert_int_eq(mqttp_feed(&p, in + 9, n - 9, &used, mqttp_connack_collect, &c2), MQTTP_DONE);
		ck_assert_uint_eq(c2.props.present, ca.props.present);
		ck_assert_uint_eq(c2.props.server_keep_alive, 60);
		ck_assert_uint_eq(c2.props.assigned_client_identifier.len, 6);
	}
}
END_TEST

/* The collectors ignore events that are not theirs. */
START_TEST(t_collect_foreign_events)
{
	struct mqttp_connect con;
	struct mqttp_connack ca;
	struct mqttp_field f;
	uint8_t zero_con[sizeof(con)], zero_ca[sizeof(ca)];

	memset(&con, 0, sizeof(con));
	memset(&ca, 0, sizeof(ca));
	memset(zero_con, 0, sizeof(zero_con));
	memset(zero_ca, 0, sizeof(zero_ca));
	memset(&f, 0, sizeof(f));
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = 1;
	for (unsigned id = MQTTP_F_CONNACK_FLAGS; id <= MQTTP_F_PACKET_ID; id++) {
		f.id = (uint8_t)id;
		mqttp_connect_collect(&con, &f);
	}
	ck_assert(memcmp(&con, zero_con, sizeof(con)) == 0);
	for (unsigned id = MQTTP_F_PROTOCOL_NAME; id <= MQTTP_F_KEEP_ALIVE; id++) {
		f.id = (uint8_t)id;
		mqttp_connack_collect(&ca, &f);
	}
	f.id = MQTTP_F_TOPIC_NAME;
	mqttp_connack_collect(&ca, &f);
	f.id = MQTTP_F_CLIENT_ID;
	mqttp_connack_collect(&ca, &f);
	ck_assert(memcmp(&ca, zero_ca, sizeof(ca)) == 0);
}
END_TEST

/* Feed a whole input once; returns the parser state. */
static void feed_all(struct mqttp_parser *p, const struct mqttp_options *o, const char *in)
{
	uint8_t buf[512];
	long n = hexin_parse(in, buf, sizeof(buf));
	size_t used, pos = 0;

	ck_assert_int_ge(n, 0);
	mqttp_init(p, o);
	while (pos < (size_t)n) {
		int st = mqttp_feed(p, buf + pos, (size_t)n - pos, &used, NULL, NULL);

		pos += used;
		if (st != MQTTP_DONE)
			break;
	}
}

/* Check mqttp_connack_version and the refusal mqttp_encode_refusal writes. */
static void refusal_case(const char *in, unsigned lenient, uint32_t maxpkt, unsigned cv,
                         const char *want)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	uint8_t out[16], exp[16];
	long wn = want ? hexin_parse(want, exp, sizeof(exp)) : 0;
	size_t n;

	mqttp_options_default(&o);
	o.lenient = lenient;
	o.max_packet_size = maxpkt;
	o.checks = MQTTP_CHECK_FROM_CLIENT;
	feed_all(&p, &o, in);
	ck_assert_msg(mqttp_connack_version(&p) == cv, "%s: connack version %u, expected %u", in,
	              mqttp_connack_version(&p), cv);
	n = mqttp_encode_refusal(&p, out, sizeof(out));
	ck_assert_msg(n == (size_t)wn, "%s: refusal of %zu bytes (%s), expected %ld", in, n,
	              mqttp_error_name(p.error), wn);
	if (wn) {
		ck_assert(memcmp(out, exp, (size_t)wn) == 0);
		ck_assert_uint_eq(mqttp_encode_refusal(&p, out, (size_t)wn - 1), 0);
	}
}

START_TEST(t_encode_refusal)
{
	struct mqttp_parser p;
	uint8_t out[16];

	mqttp_init(&p, NULL);
	ck_assert_uint_eq(mqttp_connack_version(&p), 0);
	ck_assert_uint_eq(mqttp_encode_refusal(&p, out, sizeof(out)), 0);
	/* accepted CONNECTs: nothing to refuse */
	refusal_case("10 V[S'MQTT' 04 02 000A S'p']", 0, 0, 4, NULL);
	refusal_case("10 V[S'MQTT' 05 02 000A 00 S'p']", 0, 0, 5, NULL);
	/* 3.1.1 [MQTT-3.1.2-2]: return code 1; [MQTT-3.1.3-9]: 2 */
	refusal_case("10 V[S'MQTT' 03 02 000A S'p']", 0, 0, 4, "20 02 00 01");
	refusal_case("10 V[S'MQTT' 04 00 000A 0000]", 0, 0, 4, "20 02 00 02");
	refusal_case("10 V[S'MQIsdp' 03 02 000A S['x'*24]]", 0, 0, 4, "20 02 00 02");
	refusal_case("10 V[S'MQIsdp' 04 02 000A S'p']", 0, 0, 4, "20 02 00 01");
	/* 3.1.1 malformed: close without CONNACK [MQTT-3.1.4-1] */
	refusal_case("10 V[S'MQTT' 04 02 000A S[C0 80]]", 0, 0, 4, NULL);
	refusal_case("10 V[S'MQTT' 04 03 000A S'p']", 0, 0, 4, NULL);
	/* every level but 5, unknown ones too, gets the 3.1.1 format [MQTT-3.1.2-2] */
	refusal_case("10 V[S'MQTT' 06 02 000A S'p']", 0, 0, 4, "20 02 00 01");
	refusal_case("10 V[S'MQIsdp' 05 02 000A S'p']", 0, 0, 5, "20 03 00 84 00");
	refusal_case("10 V[S'MQTT' 00 02 000A S'p']", 0, 0, 4, "20 02 00 01");
	refusal_case("10 V[S'MQTT' 02 02 000A S'p']", 0, 0, 4, "20 02 00 01");
	refusal_case("10 V[S'MQTT' 84 02 000A S'p']", 0, 0, 4, NULL);
	/* 5.0 */
	refusal_case("10 V[S'MQTT' 05 02 000A 00 S[C0 80]]", 0, 0, 5, "20 03 00 81 00");
	refusal_case("10 V[S'MQTT' 05 02 000A V[21 0001 21 0001] S'p']", 0, 0, 5, "20 03 00 82 00");
	refusal_case("10 V[S'MQTT' 05 02 000A 00 S'p']", 0, 10, 5, "20 03 00 95 00");
	refusal_case("10 V[S'MQTT' 05 00 000A 00 0000]", 0, 0, 5, NULL);
	/* error before the protocol level: nothing to answer with */
	refusal_case("10 V[S'MQTX' 04 02 000A S'p']", 0, 0, 0, NULL);
	refusal_case("30 V[S't' 'x']", 0, 0, 0, NULL);
}
END_TEST

/* ---------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------- */
static Suite *unit_suite(void)
{
	Suite *s = suite_create("libmqttparse");
	TCase *tv = tcase_create("vectors");
	TCase *ta = tcase_create("api");

	tcase_set_timeout(tv, 300);
	tcase_add_test(tv, t_connect_vectors);
	tcase_add_test(tv, t_connack_vectors);
	tcase_add_test(tv, t_frame_vectors);
	tcase_add_test(tv, t_stream_vectors);
	tcase_add_test(tv, t_regression_vectors);
	tcase_add_test(tv, t_publish_vectors);
	tcase_add_test(tv, t_decode_publish_direction);
	tcase_add_test(tv, t_lenient_each_flag);
	suite_add_tcase(s, tv);

	tcase_add_test(ta, t_frame);
	tcase_add_test(ta, t_property_next);
	tcase_add_test(ta, t_encode_connack);
	tcase_add_test(ta, t_error_tables);
	tcase_add_test(ta, t_type_names);
	tcase_add_test(ta, t_lenient_names);
	tcase_add_test(ta, t_reason_codes);
	tcase_add_test(ta, t_property_table);
	tcase_add_test(ta, t_parser_size);
	tcase_add_test(ta, t_options_default);
	tcase_add_test(ta, t_sticky_reset);
	tcase_add_test(ta, t_multi_packet);
	tcase_add_test(ta, t_collect_split);
	tcase_add_test(ta, t_decode);
	tcase_add_test(ta, t_properties_get);
	tcase_add_test(ta, t_properties_get_all);
	tcase_add_test(ta, t_collect_foreign_events);
	tcase_add_test(ta, t_encode_refusal);
	suite_add_tcase(s, ta);
	return s;
}

Suite *rewrite_suite(void); /* test_rewrite.c */
Suite *ws_suite(void);      /* test_ws.c */
Suite *rules_suite(void);   /* test_rules.c */
Suite *topic_suite(void);   /* test_topic.c */
Suite *answer_suite(void);  /* test_answer.c */
Suite *alias_suite(void);   /* test_alias.c */

/* Run the suites; exit status 0 only when every test passed. */
int main(void)
{
	SRunner *sr = srunner_create(unit_suite());
	int failed;

	srunner_add_suite(sr, rewrite_suite());
	srunner_add_suite(sr, ws_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, topic_suite());
	srunner_add_suite(sr, answer_suite());
	srunner_add_suite(sr, alias_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
