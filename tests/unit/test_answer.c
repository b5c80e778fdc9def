/*
 * test_answer.c - unit tests of the answers a broker gives
 * (mqttp_encode_ack, _suback, _unsuback, _disconnect) and of the reason
 * code table (mqttp_reason_code_allowed, mqttp_reason_code_name_in):
 * each packet's list of reason codes as the spec states it, the names of
 * section 2.4, byte-exact encodings in 3.1, 3.1.1 and 5.0 with every
 * refusal, the exact buffer (ending at a PROT_NONE page) and the buffer
 * one byte short (nothing written), and every encoding framed by the
 * parser as a server's packet after a CONNACK of the same version.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"

Suite *answer_suite(void);

/* ---------------------------------------------------------------------
 * Reason codes
 * ------------------------------------------------------------------- */
/* Each packet's reason codes in MQTT 5.0, as its section lists them. */
static const struct {
	const char *id;
	unsigned type;
	const char *codes; /* hex, in the input notation */
} v5_lists[] = {
	{ "MQTT-3.2.2-8 (3.2.2.2)", MQTTP_CONNACK,
	  "00 80 81 82 83 84 85 86 87 88 89 8A 8C 90 95 97 99 9A 9B 9C 9D 9F" },
	{ "MQTT-3.4.2-1 (3.4.2.1)", MQTTP_PUBACK, "00 10 80 83 87 90 91 97 99" },
	{ "MQTT-3.5.2-1 (3.5.2.1)", MQTTP_PUBREC, "00 10 80 83 87 90 91 97 99" },
	{ "MQTT-3.6.2-1 (3.6.2.1)", MQTTP_PUBREL, "00 92" },
	{ "MQTT-3.7.2-1 (3.7.2.1)", MQTTP_PUBCOMP, "00 92" },
	{ "MQTT-3.9.3-2 (3.9.3)", MQTTP_SUBACK, "00 01 02 80 83 87 8F 91 97 9E A1 A2" },
	{ "MQTT-3.11.3-2 (3.11.3)", MQTTP_UNSUBACK, "00 11 80 83 87 8F 91" },
	{ "MQTT-3.14.2-1 (3.14.2.1)", MQTTP_DISCONNECT,
	  "00 04 80 81 82 83 87 89 8B 8C 8D 8E 8F 90 93 94 95 96 97 98 99 9A 9B 9C 9D 9E 9F A0 A1 A2" },
	{ "MQTT-3.15.2-1 (3.15.2.1)", MQTTP_AUTH, "00 18 19" },
};

static int in_list(const uint8_t *l, long n, unsigned c)
{
	for (long i = 0; i < n; i++)
		if (l[i] == c)
			return 1;
	return 0;
}

START_TEST(t_reason_allowed)
{
	uint8_t l[64];

	for (size_t k = 0; k < sizeof(v5_lists) / sizeof(v5_lists[0]); k++) {
		long n = hexin_parse(v5_lists[k].codes, l, sizeof(l));

		ck_assert_int_gt(n, 0);
		for (unsigned c = 0; c < 0x200; c++)
			ck_assert_msg(mqttp_reason_code_allowed(5, v5_lists[k].type, c) == in_list(l, n, c),
			              "%s: %s code %#x", v5_lists[k].id, mqttp_type_name(v5_lists[k].type), c);
	}
	for (unsigned c = 0; c < 0x200; c++) {
		/* packets without a reason code, and no packet at all */
		static const unsigned none[] = { 0, MQTTP_CONNECT, MQTTP_PUBLISH, MQTTP_SUBSCRIBE,
		                                 MQTTP_UNSUBSCRIBE, MQTTP_PINGREQ, MQTTP_PINGRESP, 16, 1000 };

		for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
			for (unsigned v = 0; v < 8; v++)
				ck_assert_int_eq(mqttp_reason_code_allowed(v, none[i], c), 0);
		for (unsigned t = 0; t < 20; t++) {
			/* only versions 3, 4 and 5 */
			ck_assert_int_eq(mqttp_reason_code_allowed(0, t, c), 0);
			ck_assert_int_eq(mqttp_reason_code_allowed(2, t, c), 0);
			ck_assert_int_eq(mqttp_reason_code_allowed(6, t, c), 0);
		}
		for (unsigned v = 3; v <= 4; v++) {
			/* 3.1.1 Table 3.1: return codes 0..5 */
			ck_assert_int_eq(mqttp_reason_code_allowed(v, MQTTP_CONNACK, c), c <= 5);
			/* 3.1.1 [MQTT-3.9.3-2]: 0x00-0x02 and 0x80 (3.1: granted QoS only) */
			ck_assert_int_eq(mqttp_reason_code_allowed(v, MQTTP_SUBACK, c),
			                 c <= 2 || (c == 0x80 && v == 4));
			/* no code on the wire: only the success they stand for */
			for (unsigned t = MQTTP_PUBACK; t <= MQTTP_PUBCOMP; t++)
				ck_assert_int_eq(mqttp_reason_code_allowed(v, t, c), c == 0);
			ck_assert_int_eq(mqttp_reason_code_allowed(v, MQTTP_UNSUBACK, c), c == 0);
			ck_assert_int_eq(mqttp_reason_code_allowed(v, MQTTP_DISCONNECT, c), c == 0);
			/* AUTH is 5.0 only */
			ck_assert_int_eq(mqttp_reason_code_allowed(v, MQTTP_AUTH, c), 0);
		}
		/* the CONNACK helpers read the same table */
		ck_assert_int_eq(mqttp_connack_code_valid(5, c) != 0, mqttp_reason_code_allowed(5, MQTTP_CONNACK, c));
		ck_assert_int_eq(mqttp_connack_code_valid(4, c) != 0, mqttp_reason_code_allowed(4, MQTTP_CONNACK, c));
	}
	/* the examples: 0x95 in a PUBACK, any code in a 3.1.1 UNSUBACK */
	ck_assert_int_eq(mqttp_reason_code_allowed(5, MQTTP_PUBACK, 0x95), 0);
	ck_assert_int_eq(mqttp_reason_code_allowed(4, MQTTP_UNSUBACK, 0x11), 0);
}
END_TEST

/* Section 2.4, Table 2-6: every code by its name in each packet. */
static const struct {
	unsigned code;
	const char *name;
	unsigned types; /* bit per packet type */
} spec_names[] = {
#define B(t) (1u << MQTTP_##t)
	{ 0x00, "success", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(PUBREL) | B(PUBCOMP) | B(UNSUBACK) | B(AUTH) },
	{ 0x00, "normal_disconnection", B(DISCONNECT) },
	{ 0x00, "granted_qos_0", B(SUBACK) },
	{ 0x01, "granted_qos_1", B(SUBACK) },
	{ 0x02, "granted_qos_2", B(SUBACK) },
	{ 0x04, "disconnect_with_will_message", B(DISCONNECT) },
	{ 0x10, "no_matching_subscribers", B(PUBACK) | B(PUBREC) },
	{ 0x11, "no_subscription_existed", B(UNSUBACK) },
	{ 0x18, "continue_authentication", B(AUTH) },
	{ 0x19, "re_authenticate", B(AUTH) },
	{ 0x80, "unspecified_error", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(SUBACK) | B(UNSUBACK) | B(DISCONNECT) },
	{ 0x81, "malformed_packet", B(CONNACK) | B(DISCONNECT) },
	{ 0x82, "protocol_error", B(CONNACK) | B(DISCONNECT) },
	{ 0x83, "implementation_specific_error",
	  B(CONNACK) | B(PUBACK) | B(PUBREC) | B(SUBACK) | B(UNSUBACK) | B(DISCONNECT) },
	{ 0x84, "unsupported_protocol_version", B(CONNACK) },
	{ 0x85, "client_identifier_not_valid", B(CONNACK) },
	{ 0x86, "bad_user_name_or_password", B(CONNACK) },
	{ 0x87, "not_authorized", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(SUBACK) | B(UNSUBACK) | B(DISCONNECT) },
	{ 0x88, "server_unavailable", B(CONNACK) },
	{ 0x89, "server_busy", B(CONNACK) | B(DISCONNECT) },
	{ 0x8A, "banned", B(CONNACK) },
	{ 0x8B, "server_shutting_down", B(DISCONNECT) },
	{ 0x8C, "bad_authentication_method", B(CONNACK) | B(DISCONNECT) },
	{ 0x8D, "keep_alive_timeout", B(DISCONNECT) },
	{ 0x8E, "session_taken_over", B(DISCONNECT) },
	{ 0x8F, "topic_filter_invalid", B(SUBACK) | B(UNSUBACK) | B(DISCONNECT) },
	{ 0x90, "topic_name_invalid", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(DISCONNECT) },
	{ 0x91, "packet_identifier_in_use", B(PUBACK) | B(PUBREC) | B(SUBACK) | B(UNSUBACK) },
	{ 0x92, "packet_identifier_not_found", B(PUBREL) | B(PUBCOMP) },
	{ 0x93, "receive_maximum_exceeded", B(DISCONNECT) },
	{ 0x94, "topic_alias_invalid", B(DISCONNECT) },
	{ 0x95, "packet_too_large", B(CONNACK) | B(DISCONNECT) },
	{ 0x96, "message_rate_too_high", B(DISCONNECT) },
	{ 0x97, "quota_exceeded", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(SUBACK) | B(DISCONNECT) },
	{ 0x98, "administrative_action", B(DISCONNECT) },
	{ 0x99, "payload_format_invalid", B(CONNACK) | B(PUBACK) | B(PUBREC) | B(DISCONNECT) },
	{ 0x9A, "retain_not_supported", B(CONNACK) | B(DISCONNECT) },
	{ 0x9B, "qos_not_supported", B(CONNACK) | B(DISCONNECT) },
	{ 0x9C, "use_another_server", B(CONNACK) | B(DISCONNECT) },
	{ 0x9D, "server_moved", B(CONNACK) | B(DISCONNECT) },
	{ 0x9E, "shared_subscriptions_not_supported", B(SUBACK) | B(DISCONNECT) },
	{ 0x9F, "connection_rate_exceeded", B(CONNACK) | B(DISCONNECT) },
	{ 0xA0, "maximum_connect_time", B(DISCONNECT) },
	{ 0xA1, "subscription_identifiers_not_supported", B(SUBACK) | B(DISCONNECT) },
	{ 0xA2, "wildcard_subscriptions_not_supported", B(SUBACK) | B(DISCONNECT) },
#undef B
};

START_TEST(t_reason_names)
{
	size_t rows = sizeof(spec_names) / sizeof(spec_names[0]);

	for (unsigned t = 0; t < 20; t++)
		for (unsigned c = 0; c < 0x200; c++) {
			const char *n = mqttp_reason_code_name_in(t, c);
			const char *want = NULL;

			for (size_t i = 0; i < rows; i++)
				if (spec_names[i].code == c && t < 16 && (spec_names[i].types & (1u << t)))
					want = spec_names[i].name;
			if (want)
				ck_assert_msg(n && strcmp(n, want) == 0, "%s %#x: %s, want %s",
				              mqttp_type_name(t), c, n ? n : "NULL", want);
			else
				ck_assert_msg(n == NULL, "%s %#x: %s", mqttp_type_name(t), c, n);
			/* a name exactly where the code is allowed in 5.0 */
			ck_assert_int_eq(n != NULL, mqttp_reason_code_allowed(5, t, c));
		}
	/* one name per row, and the CONNACK name function is the CONNACK column */
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(spec_names[i].name, spec_names[j].name);
	for (unsigned c = 0; c < 0x200; c++) {
		const char *a = mqttp_reason_code_name(c), *b = mqttp_reason_code_name_in(MQTTP_CONNACK, c);

		ck_assert(a == b);
	}
	ck_assert_str_eq(mqttp_reason_code_name_in(MQTTP_SUBACK, 0x01), "granted_qos_1");
	ck_assert_str_eq(mqttp_reason_code_name_in(MQTTP_DISCONNECT, 0x00), "normal_disconnection");
	ck_assert_str_eq(mqttp_reason_code_name_in(MQTTP_PUBACK, 0x00), "success");
	ck_assert_ptr_null(mqttp_reason_code_name_in(MQTTP_PUBACK, 0x95));
}
END_TEST

/* ---------------------------------------------------------------------
 * Encoders
 * ------------------------------------------------------------------- */
enum { K_ACK, K_SUBACK, K_UNSUBACK, K_DISCONNECT };

/* One encoding: the arguments (strings and codes in the input notation,
 * NULL = absent) and the expected bytes, NULL when it must be refused. */
struct ans_case {
	const char *id;
	int kind;
	unsigned version;
	unsigned type;       /* K_ACK */
	unsigned packet_id;
	unsigned code;       /* K_ACK, K_DISCONNECT */
	const char *codes;   /* K_SUBACK, K_UNSUBACK */
	const char *rs;      /* reason string */
	const char *sr;      /* server reference (K_DISCONNECT) */
	const char *out;
};

#define ACK(id, v, t, pid, code, rs, out) { id, K_ACK, v, MQTTP_##t, pid, code, NULL, rs, NULL, out }
#define SUB(id, v, pid, codes, rs, out) { id, K_SUBACK, v, 0, pid, 0, codes, rs, NULL, out }
#define UNSUB(id, v, pid, codes, rs, out) { id, K_UNSUBACK, v, 0, pid, 0, codes, rs, NULL, out }
#define DISC(id, v, code, rs, sr, out) { id, K_DISCONNECT, v, 0, 0, code, NULL, rs, sr, out }

static const struct ans_case ans_cases[] = {
	/* ---- PUBACK / PUBREC / PUBREL / PUBCOMP, 3.1 and 3.1.1 ---- */
	ACK("MQTT-3.4 3.1.1 PUBACK", 4, PUBACK, 0x1234, 0, NULL, "40 02 12 34"),
	ACK("MQTT-3.5 3.1.1 PUBREC", 4, PUBREC, 0x1234, 0, NULL, "50 02 12 34"),
	ACK("MQTT-3.6.1-1 3.1.1 PUBREL flags 0010", 4, PUBREL, 0x1234, 0, NULL, "62 02 12 34"),
	ACK("MQTT-3.7 3.1.1 PUBCOMP", 4, PUBCOMP, 1, 0, NULL, "70 02 00 01"),
	ACK("3.1 PUBACK", 3, PUBACK, 0xFFFF, 0, NULL, "40 02 FF FF"),
	ACK("3.1 PUBREL flags 0010", 3, PUBREL, 0x0100, 0, NULL, "62 02 01 00"),
	ACK("3.1.1 PUBACK has no reason code", 4, PUBACK, 1, 0x80, NULL, NULL),
	ACK("3.1.1 PUBREL has no reason code", 4, PUBREL, 1, 0x92, NULL, NULL),
	ACK("3.1.1 PUBACK has no properties", 4, PUBACK, 1, 0, "'x'", NULL),
	ACK("3.1.1 PUBACK has no properties (empty string)", 4, PUBACK, 1, 0, "''", NULL),
	ACK("MQTT-2.3.1-1 packet identifier 0 (3.1.1)", 4, PUBACK, 0, 0, NULL, NULL),
	ACK("MQTT-2.3.1-1 packet identifier 0 (5.0)", 5, PUBCOMP, 0, 0, NULL, NULL),
	ACK("type PUBLISH is not an acknowledgement", 5, PUBLISH, 1, 0, NULL, NULL),
	ACK("type SUBACK is not a PUB* acknowledgement", 5, SUBACK, 1, 0, NULL, NULL),
	ACK("type CONNACK is not a PUB* acknowledgement", 4, CONNACK, 1, 0, NULL, NULL),
	ACK("version 2", 2, PUBACK, 1, 0, NULL, NULL),
	ACK("version 6", 6, PUBACK, 1, 0, NULL, NULL),
	ACK("version 0", 0, PUBACK, 1, 0, NULL, NULL),
	/* ---- 5.0 ---- */
	ACK("3.4.2.1 5.0 PUBACK short form (success, no properties)", 5, PUBACK, 0x1234, 0, NULL, "40 02 12 34"),
	ACK("3.6.2.1 5.0 PUBREL short form", 5, PUBREL, 0x1234, 0, NULL, "62 02 12 34"),
	ACK("3.4.2.1 5.0 PUBACK no matching subscribers, no property length", 5, PUBACK, 0x1234, 0x10, NULL,
	    "40 03 12 34 10"),
	ACK("3.5.2.1 5.0 PUBREC packet identifier in use", 5, PUBREC, 0x1234, 0x91, NULL, "50 03 12 34 91"),
	ACK("3.6.2.1 5.0 PUBREL packet identifier not found", 5, PUBREL, 7, 0x92, NULL, "62 03 00 07 92"),
	ACK("3.7.2.1 5.0 PUBCOMP packet identifier not found", 5, PUBCOMP, 7, 0x92, NULL, "70 03 00 07 92"),
	ACK("3.4.2.2.2 5.0 PUBACK not authorized with a reason string", 5, PUBACK, 0x1234, 0x87, "'no'",
	    "40 09 12 34 87 05 1F 0002 'no'"),
	ACK("3.4.2.2.2 5.0 PUBACK success with a reason string", 5, PUBACK, 0x1234, 0, "'ok'",
	    "40 09 12 34 00 05 1F 0002 'ok'"),
	ACK("3.4.2.2.2 5.0 PUBACK with an empty reason string", 5, PUBACK, 0x1234, 0, "''",
	    "40 07 12 34 00 03 1F 0000"),
	ACK("3.7.2.2.2 5.0 PUBCOMP with a reason string", 5, PUBCOMP, 9, 0x92, "'gone'",
	    "70 0B 00 09 92 07 1F 0004 'gone'"),
	ACK("MQTT-1.5.4 5.0 multi-byte UTF-8 reason string", 5, PUBREC, 9, 0x97, "'d' C3 A9 E2 82 AC F0 9F 98 80",
	    "50 11 00 09 97 0D 1F 000A 'd' C3 A9 E2 82 AC F0 9F 98 80"),
	ACK("5.0 remaining length 130 (two bytes)", 5, PUBACK, 0x1234, 0x87, "'x'*123",
	    "40 82 01 12 34 87 7E 1F 007B 'x'*123"),
	ACK("5.0 property length 128 (two bytes)", 5, PUBACK, 0x1234, 0x87, "'x'*125",
	    "40 85 01 12 34 87 80 01 1F 007D 'x'*125"),
	ACK("MQTT-3.4.2-1 0x95 is not a PUBACK code", 5, PUBACK, 1, 0x95, NULL, NULL),
	ACK("MQTT-3.4.2-1 0x92 is not a PUBACK code", 5, PUBACK, 1, 0x92, NULL, NULL),
	ACK("MQTT-3.4.2-1 0x01 is not a PUBACK code", 5, PUBACK, 1, 0x01, NULL, NULL),
	ACK("MQTT-3.5.2-1 0x04 is not a PUBREC code", 5, PUBREC, 1, 0x04, NULL, NULL),
	ACK("MQTT-3.6.2-1 0x10 is not a PUBREL code", 5, PUBREL, 1, 0x10, NULL, NULL),
	ACK("MQTT-3.7.2-1 0x80 is not a PUBCOMP code", 5, PUBCOMP, 1, 0x80, NULL, NULL),
	ACK("code above a byte", 5, PUBACK, 1, 0x110, NULL, NULL),
	ACK("MQTT-1.5.4-2 U+0000 in the reason string", 5, PUBACK, 1, 0x80, "'a' 00 'b'", NULL),
	ACK("MQTT-1.5.4-3 control character in the reason string", 5, PUBACK, 1, 0x80, "'a' 1B '[2J'", NULL),
	ACK("MQTT-1.5.4-3 DEL in the reason string", 5, PUBACK, 1, 0x80, "7F", NULL),
	ACK("MQTT-1.5.4-3 C1 control U+0085 in the reason string", 5, PUBACK, 1, 0x80, "C2 85", NULL),
	ACK("MQTT-1.5.4-1 overlong in the reason string", 5, PUBACK, 1, 0x80, "C0 80", NULL),
	ACK("MQTT-1.5.4-1 surrogate in the reason string", 5, PUBACK, 1, 0x80, "ED A0 80", NULL),
	ACK("MQTT-1.5.4-1 above U+10FFFF in the reason string", 5, PUBACK, 1, 0x80, "F4 90 80 80", NULL),
	ACK("MQTT-1.5.4-1 character cut by the end of the reason string", 5, PUBACK, 1, 0x80, "'x' E2 82", NULL),

	/* ---- SUBACK ---- */
	SUB("MQTT-3.9.3-2 3.1.1 SUBACK, one code", 4, 7, "01", NULL, "90 03 00 07 01"),
	SUB("MQTT-3.9.3-2 3.1.1 SUBACK, every code", 4, 7, "00 01 02 80", NULL, "90 06 00 07 00 01 02 80"),
	SUB("3.1 SUBACK, granted QoS", 3, 0x0102, "02 01 00", NULL, "90 05 01 02 02 01 00"),
	SUB("3.1 SUBACK has no failure code", 3, 7, "80", NULL, NULL),
	SUB("MQTT-3.9.3-2 3.1.1 SUBACK 0x03 reserved", 4, 7, "00 03", NULL, NULL),
	SUB("MQTT-3.9.3-2 3.1.1 SUBACK 0x87 is 5.0 only", 4, 7, "87", NULL, NULL),
	SUB("3.1.1 SUBACK has no properties", 4, 7, "00", "'x'", NULL),
	SUB("MQTT-3.8.3-2 SUBACK without a code", 4, 7, "", NULL, NULL),
	SUB("MQTT-3.8.3-2 5.0 SUBACK without a code", 5, 7, "", NULL, NULL),
	SUB("MQTT-2.3.1-1 SUBACK packet identifier 0", 4, 0, "00", NULL, NULL),
	SUB("MQTT-3.9.3-2 5.0 SUBACK, every code", 5, 7, "00 01 02 80 83 87 8F 91 97 9E A1 A2", NULL,
	    "90 0F 00 07 00 00 01 02 80 83 87 8F 91 97 9E A1 A2"),
	SUB("3.9.2.1.2 5.0 SUBACK with a reason string", 5, 7, "97", "'quota'", "90 0C 00 07 08 1F 0005 'quota' 97"),
	SUB("MQTT-3.9.3-2 5.0 SUBACK 0x10 is a PUBACK code", 5, 7, "00 10", NULL, NULL),
	SUB("MQTT-3.9.3-2 5.0 SUBACK 0x11 is an UNSUBACK code", 5, 7, "11", NULL, NULL),
	SUB("MQTT-3.9.3-2 5.0 SUBACK 0x81 is not a SUBACK code", 5, 7, "00 01 81", NULL, NULL),
	SUB("MQTT-3.9.3-2 5.0 SUBACK 0x03", 5, 7, "03", NULL, NULL),
	SUB("MQTT-1.5.4-2 5.0 SUBACK U+0000 in the reason string", 5, 7, "00", "00", NULL),
	SUB("version 6", 6, 7, "00", NULL, NULL),
	SUB("5.0 SUBACK remaining length 128", 5, 7, "01*125", NULL, "90 80 01 00 07 00 01*125"),

	/* ---- UNSUBACK ---- */
	UNSUB("3.1.1 UNSUBACK has no payload", 4, 9, "", NULL, "B0 02 00 09"),
	UNSUB("3.1 UNSUBACK", 3, 9, "", NULL, "B0 02 00 09"),
	UNSUB("3.1.1 UNSUBACK carries no code", 4, 9, "00", NULL, NULL),
	UNSUB("3.1.1 UNSUBACK carries no code (0x11)", 4, 9, "11", NULL, NULL),
	UNSUB("3.1.1 UNSUBACK has no properties", 4, 9, "", "'x'", NULL),
	UNSUB("MQTT-2.3.1-1 UNSUBACK packet identifier 0", 4, 0, "", NULL, NULL),
	UNSUB("MQTT-3.11.3-2 5.0 UNSUBACK, every code", 5, 9, "00 11 80 83 87 8F 91", NULL,
	      "B0 0A 00 09 00 00 11 80 83 87 8F 91"),
	UNSUB("3.11.2.1.2 5.0 UNSUBACK with a reason string", 5, 9, "11", "'none'", "B0 0B 00 09 07 1F 0004 'none' 11"),
	UNSUB("MQTT-3.10.3-2 5.0 UNSUBACK without a code", 5, 9, "", NULL, NULL),
	UNSUB("MQTT-3.11.3-2 5.0 UNSUBACK 0x97 is not an UNSUBACK code", 5, 9, "00 97", NULL, NULL),
	UNSUB("MQTT-3.11.3-2 5.0 UNSUBACK 0x01 is a SUBACK code", 5, 9, "01", NULL, NULL),
	UNSUB("MQTT-1.5.4-3 5.0 UNSUBACK control character in the reason string", 5, 9, "00", "0A", NULL),
	UNSUB("version 2", 2, 9, "", NULL, NULL),
	UNSUB("version 6", 6, 9, "00", NULL, NULL),

	/* ---- DISCONNECT ---- */
	DISC("3.14 3.1.1 DISCONNECT", 4, 0, NULL, NULL, "E0 00"),
	DISC("3.1 DISCONNECT", 3, 0, NULL, NULL, "E0 00"),
	DISC("3.1.1 DISCONNECT carries no code", 4, 0x8E, NULL, NULL, NULL),
	DISC("3.1.1 DISCONNECT has no properties", 4, 0, "'bye'", NULL, NULL),
	DISC("3.1.1 DISCONNECT has no server reference", 4, 0, NULL, "'h'", NULL),
	DISC("3.14.2.1 5.0 DISCONNECT short form", 5, 0, NULL, NULL, "E0 00"),
	DISC("3.14.2.1 5.0 disconnect with will message", 5, 0x04, NULL, NULL, "E0 01 04"),
	DISC("3.14.2.1 5.0 session taken over", 5, 0x8E, NULL, NULL, "E0 01 8E"),
	DISC("3.14.2.1 5.0 topic alias invalid", 5, 0x94, NULL, NULL, "E0 01 94"),
	DISC("3.14.2.2.5 5.0 use another server with a server reference", 5, 0x9C, NULL, "'b:1883'",
	     "E0 0B 9C 09 1C 0006 'b:1883'"),
	DISC("3.14.2.2.3 5.0 normal disconnection with a reason string", 5, 0, "'bye'", NULL,
	     "E0 08 00 06 1F 0003 'bye'"),
	DISC("3.14.2.2 5.0 reason string, then server reference", 5, 0x9D, "'moved'", "'h2'",
	     "E0 0F 9D 0D 1F 0005 'moved' 1C 0002 'h2'"),
	DISC("3.14.2.2 5.0 empty strings", 5, 0x9D, "''", "''", "E0 08 9D 06 1F 0000 1C 0000"),
	DISC("5.0 remaining length 128", 5, 0x9C, NULL, "'s'*123", "E0 80 01 9C 7E 1C 007B 's'*123"),
	DISC("MQTT-3.14.2-1 0x84 is a CONNACK code", 5, 0x84, NULL, NULL, NULL),
	DISC("MQTT-3.14.2-1 0x10 is a PUBACK code", 5, 0x10, NULL, NULL, NULL),
	DISC("MQTT-3.14.2-1 0x18 is an AUTH code", 5, 0x18, NULL, NULL, NULL),
	DISC("MQTT-3.14.2-1 0x92 is a PUBREL code", 5, 0x92, NULL, NULL, NULL),
	DISC("MQTT-3.14.2-1 0x01 is a SUBACK code", 5, 0x01, NULL, NULL, NULL),
	DISC("MQTT-3.14.2-1 0xA3 is undefined", 5, 0xA3, NULL, NULL, NULL),
	DISC("MQTT-1.5.4-2 U+0000 in the server reference", 5, 0x9C, NULL, "'h' 00", NULL),
	DISC("MQTT-1.5.4-3 DEL in the server reference", 5, 0x9C, NULL, "7F", NULL),
	DISC("MQTT-1.5.4-1 overlong in the reason string", 5, 0x80, "E0 80 80", NULL, NULL),
	DISC("version 6", 6, 0, NULL, NULL, NULL),
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL }
};

/* A value of the input notation, or NULL for NULL. */
struct val {
	const uint8_t *p;
	size_t len;
	uint8_t buf[1024];
};

static void val_set(struct val *v, const char *notation)
{
	long n;

	v->p = NULL;
	v->len = 0;
	if (!notation)
		return;
	n = hexin_parse(notation, v->buf, sizeof(v->buf));
	ck_assert_msg(n >= 0, "bad notation %s", notation);
	v->p = v->buf;
	v->len = (size_t)n;
}

static size_t encode(const struct ans_case *c, void *buf, size_t cap, const struct val *codes,
                     const struct val *rs, const struct val *sr)
{
	switch (c->kind) {
	case K_ACK:
		return mqttp_encode_ack(buf, cap, c->version, c->type, (uint16_t)c->packet_id, c->code,
		                        (const char *)rs->p, rs->len);
	case K_SUBACK:
		return mqttp_encode_suback(buf, cap, c->version, (uint16_t)c->packet_id, codes->p, codes->len,
		                           (const char *)rs->p, rs->len);
	case K_UNSUBACK:
		return mqttp_encode_unsuback(buf, cap, c->version, (uint16_t)c->packet_id, codes->p, codes->len,
		                             (const char *)rs->p, rs->len);
	default:
		return mqttp_encode_disconnect(buf, cap, c->version, c->code, (const char *)rs->p, rs->len,
		                               (const char *)sr->p, sr->len);
	}
}

static unsigned case_type(const struct ans_case *c)
{
	return c->kind == K_ACK ? c->type : c->kind == K_SUBACK ? MQTTP_SUBACK
	       : c->kind == K_UNSUBACK ? MQTTP_UNSUBACK : MQTTP_DISCONNECT;
}

/* Feed pkt[0..n) to a parser of a server's stream in `version` after a
 * CONNACK of that version, whole or a byte at a time; it must frame it as
 * one packet of this type. 3.1 / 3.1.1 servers send no DISCONNECT: there
 * it is refused by the direction check and framed without checks. */
static void check_framed(const char *id, unsigned version, unsigned type, const uint8_t *pkt, size_t n,
                         int bytewise, int checks)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	uint8_t ack[8];
	size_t used = 0, acklen, i;
	enum mqttp_status st = MQTTP_NEED_MORE;

	mqttp_options_default(&o);
	o.version = (uint8_t)version;
	o.checks = checks ? MQTTP_CHECK_FROM_SERVER : 0;
	mqttp_init(&p, &o);
	acklen = mqttp_encode_connack(ack, sizeof(ack), version, 0, 0, 0, NULL, 0, NULL, 0);
	ck_assert_uint_gt(acklen, 0);
	ck_assert_int_eq(mqttp_feed(&p, ack, acklen, &used, NULL, NULL), MQTTP_DONE);
	ck_assert_uint_eq(used, acklen);
	if (!bytewise) {
		st = mqttp_feed(&p, pkt, n, &used, NULL, NULL);
		i = used;
	} else {
		for (i = 0; i < n && st == MQTTP_NEED_MORE; i += used)
			st = mqttp_feed(&p, pkt + i, 1, &used, NULL, NULL);
	}
	if (checks && version != MQTTP_V5 && type == MQTTP_DISCONNECT) {
		ck_assert_msg(st == MQTTP_ERROR && p.error == MQTTP_E_DIRECTION, "%s: %s", id, mqttp_error_name(p.error));
		return;
	}
	ck_assert_msg(st == MQTTP_DONE, "%s: status %d %s at %u", id, st, mqttp_error_name(p.error), p.error_offset);
	ck_assert_uint_eq(i, n);
	ck_assert_uint_eq(p.type, type);
	ck_assert_uint_eq(p.header_flags, type == MQTTP_PUBREL ? 2 : 0);
	ck_assert_uint_eq(p.header_len + p.remaining_length, n);
	ck_assert_uint_eq(p.packets, 2);
}

START_TEST(t_answer_vectors)
{
	static uint8_t big[4096];
	struct guard g;
	unsigned rows = 0, refusals = 0;

	guard_init(&g, 4096);
	for (const struct ans_case *c = ans_cases; c->id; c++) {
		struct val codes, rs, sr, want;
		size_t n, i;
		uint8_t *at;

		val_set(&codes, c->codes);
		val_set(&rs, c->rs);
		val_set(&sr, c->sr);
		val_set(&want, c->out);
		/* a roomy buffer: the bytes, nothing after them */
		memset(big, 0xA5, sizeof(big));
		n = encode(c, big, sizeof(big), &codes, &rs, &sr);
		if (!c->out) {
			ck_assert_msg(n == 0, "%s: encoded %zu bytes, want a refusal", c->id, n);
			for (i = 0; i < sizeof(big); i++)
				ck_assert_msg(big[i] == 0xA5, "%s: refusal wrote byte %zu", c->id, i);
			refusals++;
			continue;
		}
		ck_assert_msg(n == want.len, "%s: %zu bytes, want %zu", c->id, n, want.len);
		ck_assert_msg(memcmp(big, want.p, n) == 0, "%s: bytes differ", c->id);
		for (i = n; i < sizeof(big); i++)
			ck_assert_msg(big[i] == 0xA5, "%s: wrote byte %zu past the packet", c->id, i);
		/* exactly enough room, ending at the guard page */
		at = g.base + g.size - n;
		memset(g.base, 0x5A, g.size);
		ck_assert_uint_eq(encode(c, at, n, &codes, &rs, &sr), n);
		ck_assert_msg(memcmp(at, want.p, n) == 0, "%s: exact cap", c->id);
		/* one byte short: 0, nothing written */
		memset(g.base, 0x5A, g.size);
		at = g.base + g.size - (n - 1);
		ck_assert_msg(encode(c, at, n - 1, &codes, &rs, &sr) == 0, "%s: cap - 1", c->id);
		for (i = 0; i < g.size; i++)
			ck_assert_msg(g.base[i] == 0x5A, "%s: cap - 1 wrote byte %zu", c->id, i);
		/* no room at all, and no buffer */
		ck_assert_uint_eq(encode(c, g.base + g.size, 0, &codes, &rs, &sr), 0);
		ck_assert_uint_eq(encode(c, NULL, 0, &codes, &rs, &sr), 0);
		ck_assert_uint_eq(encode(c, NULL, sizeof(big), &codes, &rs, &sr), 0);
		/* the parser frames it, as a server's packet after a CONNACK */
		for (int bytewise = 0; bytewise < 2; bytewise++)
			for (int checks = 0; checks < 2; checks++)
				check_framed(c->id, c->version, case_type(c), want.p, n, bytewise, checks);
		rows++;
	}
	guard_free(&g);
	printf("answer table: %u encodings, %u refusals\n", rows, refusals);
}
END_TEST

/* Arguments the table cannot write: NULL pointers, long strings, counts. */
START_TEST(t_answer_limits)
{
	static char s[65537];
	static uint8_t out[70000];
	static const uint8_t ok[1] = { 0 };
	size_t n;

	memset(s, 'r', sizeof(s));
	/* a NULL string with a length, NULL codes with a count */
	ck_assert_uint_eq(mqttp_encode_ack(out, sizeof(out), 5, MQTTP_PUBACK, 1, 0x80, NULL, 3), 0);
	ck_assert_uint_eq(mqttp_encode_disconnect(out, sizeof(out), 5, 0x80, NULL, 0, NULL, 1), 0);
	ck_assert_uint_eq(mqttp_encode_suback(out, sizeof(out), 5, 1, NULL, 1, NULL, 0), 0);
	ck_assert_uint_eq(mqttp_encode_unsuback(out, sizeof(out), 5, 1, NULL, 2, NULL, 0), 0);
	ck_assert_uint_eq(mqttp_encode_unsuback(out, sizeof(out), 4, 1, NULL, 0, NULL, 0), 4);
	/* a count past the largest packet is refused before a code is read */
	ck_assert_uint_eq(mqttp_encode_suback(out, sizeof(out), 4, 1, ok, (size_t)MQTTP_MAX_REMAINING_LENGTH + 1,
	                                      NULL, 0), 0);
	ck_assert_uint_eq(mqttp_encode_suback(out, sizeof(out), 4, 1, ok, (size_t)-1, NULL, 0), 0);
	/* MQTT-1.5.4: a string of 65,535 bytes is the longest */
	n = mqttp_encode_ack(out, sizeof(out), 5, MQTTP_PUBACK, 1, 0x80, s, 65535);
	ck_assert_uint_eq(n, 1 + 3 + 2 + 1 + 3 + 3 + 65535);
	ck_assert_uint_eq(out[0], 0x40);
	ck_assert_uint_eq(out[7] | out[8] << 8 | out[9] << 16, 0x82 | 0x80 << 8 | 0x04 << 16); /* 65538 */
	ck_assert_uint_eq(mqttp_encode_ack(out, n - 1, 5, MQTTP_PUBACK, 1, 0x80, s, 65535), 0);
	ck_assert_uint_eq(mqttp_encode_ack(out, sizeof(out), 5, MQTTP_PUBACK, 1, 0x80, s, 65536), 0);
	ck_assert_uint_eq(mqttp_encode_suback(out, sizeof(out), 5, 1, ok, 1, s, 65536), 0);
	ck_assert_uint_eq(mqttp_encode_unsuback(out, sizeof(out), 5, 1, ok, 1, s, 65536), 0);
	ck_assert_uint_eq(mqttp_encode_disconnect(out, sizeof(out), 5, 0x80, s, 65536, NULL, 0), 0);
	ck_assert_uint_eq(mqttp_encode_disconnect(out, sizeof(out), 5, 0x80, NULL, 0, s, 65536), 0);
	/* both strings at their longest: a property length of three bytes */
	n = mqttp_encode_disconnect(out, sizeof(out), 5, 0x9C, s, 65535, s, 65535);
	ck_assert_uint_eq(n, 0); /* 131,084 bytes do not fit in 70,000 */
	{
		static uint8_t huge[140000];
		struct mqttp_parser p;
		struct mqttp_options o;
		size_t used;

		n = mqttp_encode_disconnect(huge, sizeof(huge), 5, 0x9C, s, 65535, s, 65535);
		ck_assert_uint_eq(n, 1 + 3 + 1 + 3 + 2 * (3 + 65535));
		ck_assert_uint_eq(huge[5] | huge[6] << 8 | huge[7] << 16, 0x84 | 0x80 << 8 | 0x08 << 16); /* 131076 */
		mqttp_options_default(&o);
		o.version = 5;
		mqttp_init(&p, &o);
		ck_assert_int_eq(mqttp_feed(&p, huge, n, &used, NULL, NULL), MQTTP_DONE);
		ck_assert_uint_eq(used, n);
		ck_assert_uint_eq(p.type, MQTTP_DISCONNECT);
	}
}
END_TEST

Suite *answer_suite(void)
{
	Suite *s = suite_create("answers");
	TCase *tc = tcase_create("answers");

	tcase_add_test(tc, t_reason_allowed);
	tcase_add_test(tc, t_reason_names);
	tcase_add_test(tc, t_answer_vectors);
	tcase_add_test(tc, t_answer_limits);
	suite_add_tcase(s, tc);
	return s;
}
