/*
 * test_rewrite.c - unit tests of the CONNECT rewriter
 * (mqttp_rewrite_connect): byte-exact outputs for 3.1, 3.1.1 and 5.0
 * CONNECTs (will, properties, user properties, remaining lengths across
 * the 127/128 and 16383/16384 variable byte integer boundaries), every
 * error with its field and offset, the size query, the exact and the
 * short buffer (output placed before a PROT_NONE page, sentinel bytes
 * checked), bytes after the CONNECT, and the parser's verdict on every
 * output.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"

Suite *rewrite_suite(void);

#define KEEP MQTTP_RW_KEEP
#define SET  MQTTP_RW_SET
#define DEL  MQTTP_RW_REMOVE

/* One case: input, options, edits (values in the input notation of
 * hexin.c), and either the expected output or the expected error. */
struct rw_case {
	const char *id;
	const char *in;
	uint32_t lenient;
	uint16_t max_cid;
	uint32_t max_packet;
	uint8_t cid_op; const char *cid;
	uint8_t user_op; const char *user;
	uint8_t pass_op; const char *pass;
	const char *out;      /* expected bytes, NULL when an error is expected */
	int error;
	int field;
	uint32_t error_offset;
};

/* CONNECTs used by several rows. */
#define C311 "10 V[S'MQTT' 04 C2 003C S'sensor-gw-0042-kitchen' S'benchuser' S's3cretpw']"
#define C311_WILL "10 V[S'MQTT' 04 EE 003C S'dev1' S'dev/dev1/status' S'offline' S'u' S'p']"
#define C311_NOUSER "10 V[S'MQTT' 04 02 003C S'dev1']"
#define C5_PROPS "11 0000 0E10 21 0064 27 00100000 22 000A 19 01 17 01 26 S'region' S'eu-west-1'"
#define C5_WPROPS "18 0000 001E 01 00 03 S'text/plain' 26 S'k' S'v' 26 S'k' S'w'"
#define C5 "10 V[S'MQTT' 05 C2 001E V[" C5_PROPS "] S'bench-v5-client-0001' S'benchuser' S's3cretpw']"
#define C5_WILL "10 V[S'MQTT' 05 F6 001E V[" C5_PROPS "] S'c5' V[" C5_WPROPS "] S'w/t' S[00 01 FF] S'user' S'pw']"
#define C31 "10 V[S'MQIsdp' 03 C2 003C S'abc' S'u' S'p']"

static const struct rw_case rw_cases[] = {
	/* ---- 3.1.1 ---- */
	{ "311 set client id", C311, 0, 0, 0, SET, "'room-7'", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 C2 003C S'room-7' S'benchuser' S's3cretpw']", 0, 0, 0 },
	{ "311 set client id, explicit bytes", "10 0F 0004 'MQTT' 04 02 003C 0003 'abc'", 0, 0, 0,
	  SET, "'xy'", KEEP, NULL, KEEP, NULL, "10 0E 0004 'MQTT' 04 02 003C 0002 'xy'", 0, 0, 0 },
	{ "311 set user name", C311, 0, 0, 0, KEEP, NULL, SET, "'CN=dev,O=acme'", KEEP, NULL,
	  "10 V[S'MQTT' 04 C2 003C S'sensor-gw-0042-kitchen' S'CN=dev,O=acme' S's3cretpw']", 0, 0, 0 },
	{ "311 set password", C311, 0, 0, 0, KEEP, NULL, KEEP, NULL, SET, "00 FF 'x'",
	  "10 V[S'MQTT' 04 C2 003C S'sensor-gw-0042-kitchen' S'benchuser' S[00 FF 'x']]", 0, 0, 0 },
	{ "311 remove password", C311, 0, 0, 0, KEEP, NULL, KEEP, NULL, DEL, NULL,
	  "10 V[S'MQTT' 04 82 003C S'sensor-gw-0042-kitchen' S'benchuser']", 0, 0, 0 },
	{ "311 remove both", C311, 0, 0, 0, KEEP, NULL, DEL, NULL, DEL, NULL,
	  "10 V[S'MQTT' 04 02 003C S'sensor-gw-0042-kitchen']", 0, 0, 0 },
	{ "311 remove user name, password stays [MQTT-3.1.2-22]", C311, 0, 0, 0, KEEP, NULL, DEL, NULL, KEEP, NULL,
	  NULL, MQTTP_E_PASSWORD_FLAG, MQTTP_F_USERNAME, 0 },
	{ "311 remove user name, lenient password-without-username", C311,
	  MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME, 0, 0, KEEP, NULL, DEL, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 42 003C S'sensor-gw-0042-kitchen' S's3cretpw']", 0, 0, 0 },
	{ "311 add user name", C311_NOUSER, 0, 0, 0, KEEP, NULL, SET, "'tenant-a/dev1'", KEEP, NULL,
	  "10 V[S'MQTT' 04 82 003C S'dev1' S'tenant-a/dev1']", 0, 0, 0 },
	{ "311 add user name and password", C311_NOUSER, 0, 0, 0, KEEP, NULL, SET, "'u'", SET, "'p'",
	  "10 V[S'MQTT' 04 C2 003C S'dev1' S'u' S'p']", 0, 0, 0 },
	{ "311 add password alone [MQTT-3.1.2-22]", C311_NOUSER, 0, 0, 0, KEEP, NULL, KEEP, NULL, SET, "'p'",
	  NULL, MQTTP_E_PASSWORD_FLAG, MQTTP_F_PASSWORD, 0 },
	{ "311 remove absent user name", C311_NOUSER, 0, 0, 0, KEEP, NULL, DEL, NULL, DEL, NULL,
	  C311_NOUSER, 0, 0, 0 },
	{ "311 keep all", C311_WILL, 0, 0, 0, KEEP, NULL, KEEP, NULL, KEEP, NULL, C311_WILL, 0, 0, 0 },
	{ "311 will kept, every field changed", C311_WILL, 0, 0, 0, SET, "'dev-cn-1'", SET, "'CN=dev-cn-1'", SET, "''",
	  "10 V[S'MQTT' 04 EE 003C S'dev-cn-1' S'dev/dev1/status' S'offline' S'CN=dev-cn-1' S'']", 0, 0, 0 },
	{ "311 will kept, user name removed", C311_WILL, 0, 0, 0, KEEP, NULL, DEL, NULL, DEL, NULL,
	  "10 V[S'MQTT' 04 2E 003C S'dev1' S'dev/dev1/status' S'offline']", 0, 0, 0 },
	{ "311 empty id with clean session", C311, 0, 0, 0, SET, "''", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 C2 003C S'' S'benchuser' S's3cretpw']", 0, 0, 0 },
	{ "311 remove client id = empty", C311, 0, 0, 0, DEL, NULL, KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 C2 003C S'' S'benchuser' S's3cretpw']", 0, 0, 0 },
	{ "311 empty id without clean session [MQTT-3.1.3-7]", "10 V[S'MQTT' 04 00 003C S'a']", 0, 0, 0,
	  SET, "''", KEEP, NULL, KEEP, NULL, NULL, MQTTP_E_CLIENT_ID_EMPTY, MQTTP_F_CLIENT_ID, 0 },
	{ "311 client id over max_client_id_len", C311_NOUSER, 0, 4, 0, SET, "'abcde'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_CLIENT_ID_TOO_LONG, MQTTP_F_CLIENT_ID, 0 },
	{ "311 client id at max_client_id_len", C311_NOUSER, 0, 5, 0, SET, "'abcde'", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 02 003C S'abcde']", 0, 0, 0 },
	{ "311 bad UTF-8 (overlong) in client id", C311, 0, 0, 0, SET, "'ab' C0 80", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_CLIENT_ID, 2 },
	{ "311 U+0000 in client id", C311, 0, 0, 0, SET, "'a' 00 'b'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_UTF8_NUL, MQTTP_F_CLIENT_ID, 1 },
	{ "311 U+0000 in user name, lenient control-chars", C311, MQTTP_LENIENT_CONTROL_CHARS, 0, 0,
	  KEEP, NULL, SET, "00", KEEP, NULL, NULL, MQTTP_E_UTF8_NUL, MQTTP_F_USERNAME, 0 },
	{ "311 control character in user name", C311, 0, 0, 0, KEEP, NULL, SET, "'a' 1B '[2J'", KEEP, NULL,
	  NULL, MQTTP_E_UTF8_CONTROL, MQTTP_F_USERNAME, 1 },
	{ "311 DEL in client id", C311, 0, 0, 0, SET, "7F", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_UTF8_CONTROL, MQTTP_F_CLIENT_ID, 0 },
	{ "311 C1 control U+0085 in user name", C311, 0, 0, 0, KEEP, NULL, SET, "'x' C2 85", KEEP, NULL,
	  NULL, MQTTP_E_UTF8_CONTROL, MQTTP_F_USERNAME, 2 },
	{ "311 control characters allowed when lenient", C311, MQTTP_LENIENT_CONTROL_CHARS, 0, 0,
	  SET, "'a' 09 C2 85", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 C2 003C S['a' 09 C2 85] S'benchuser' S's3cretpw']", 0, 0, 0 },
	{ "311 surrogate in user name", C311, 0, 0, 0, KEEP, NULL, SET, "ED A0 80", KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_USERNAME, 1 },
	{ "311 above U+10FFFF", C311, 0, 0, 0, SET, "F4 90 80 80", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_CLIENT_ID, 1 },
	{ "311 character cut by the end", C311, 0, 0, 0, SET, "'x' E2 82", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_CLIENT_ID, 3 },
	{ "311 invalid lead byte F8", C311, 0, 0, 0, KEEP, NULL, SET, "F8 80", KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_USERNAME, 0 },
	{ "311 multi-byte UTF-8 accepted", C311_NOUSER, 0, 0, 0, SET, "'d' C3 A9 E2 82 AC F0 9F 98 80", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 02 003C S['d' C3 A9 E2 82 AC F0 9F 98 80]]", 0, 0, 0 },
	{ "311 password is binary (no UTF-8 check)", C311, 0, 0, 0, KEEP, NULL, KEEP, NULL, SET, "00 C0 FF 1B",
	  "10 V[S'MQTT' 04 C2 003C S'sensor-gw-0042-kitchen' S'benchuser' S[00 C0 FF 1B]]", 0, 0, 0 },
	{ "311 result over max_packet_size", C311_NOUSER, 0, 0, 20, SET, "'abcdefg'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_PACKET_TOO_LARGE, 0, 0 },
	{ "311 result at max_packet_size", C311_NOUSER, 0, 0, 20, SET, "'abcdef'", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 04 02 003C S'abcdef']", 0, 0, 0 },
	{ "311 unknown op", C311, 0, 0, 0, KEEP, NULL, 7, NULL, KEEP, NULL,
	  NULL, MQTTP_E_PACKET_LENGTH, MQTTP_F_USERNAME, 0 },
	{ "311 unknown op on the client id", C311, 0, 0, 0, 3, NULL, KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_PACKET_LENGTH, MQTTP_F_CLIENT_ID, 0 },
	{ "311 unknown op on the password", C311, 0, 0, 0, KEEP, NULL, KEEP, NULL, 255, NULL,
	  NULL, MQTTP_E_PACKET_LENGTH, MQTTP_F_PASSWORD, 0 },
	{ "311 non-minimal length in, minimal out", "10 8F 00 0004 'MQTT' 04 02 003C 0003 'abc'",
	  MQTTP_LENIENT_NON_MINIMAL_LENGTH, 0, 0, SET, "'abcd'", KEEP, NULL, KEEP, NULL,
	  "10 10 0004 'MQTT' 04 02 003C 0004 'abcd'", 0, 0, 0 },
	/* the input must be a CONNECT the parser accepts, with the options */
	{ "input: not minimal (strict)", "10 8F 00 0004 'MQTT' 04 02 003C 0003 'abc'", 0, 0, 0,
	  SET, "'x'", KEEP, NULL, KEEP, NULL, NULL, MQTTP_E_LENGTH_NOT_MINIMAL, 0, 2 },
	{ "input: reserved flag", "10 V[S'MQTT' 04 03 003C S'a']", 0, 0, 0, SET, "'x'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_CONNECT_RESERVED, 0, 9 },
	{ "input: not a CONNECT", "20 02 00 00", 0, 0, 0, SET, "'x'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_FIRST_NOT_CONNECT, 0, 0 },
	{ "input: strict prefix", "10 0F 0004 'MQTT' 04 02 003C 0003 'ab'", 0, 0, 0, SET, "'x'", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_TRUNCATED, 0, 16 },
	{ "input: empty", "", 0, 0, 0, SET, "'x'", KEEP, NULL, KEEP, NULL, NULL, MQTTP_E_TRUNCATED, 0, 0 },
	{ "input: client id over the configured limit", C311, 0, 4, 0, KEEP, NULL, SET, "'u'", KEEP, NULL,
	  NULL, MQTTP_E_CLIENT_ID_TOO_LONG, 0, 12 },

	/* ---- 3.1 ---- */
	{ "31 set client id (23 bytes)", C31, 0, 0, 0, SET, "'a'*23", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQIsdp' 03 C2 003C S['a'*23] S'u' S'p']", 0, 0, 0 },
	{ "31 client id of 24 bytes", C31, 0, 0, 0, SET, "'a'*24", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_CLIENT_ID_TOO_LONG, MQTTP_F_CLIENT_ID, 0 },
	{ "31 client id of 24 bytes, lenient v31-long-client-id", C31, MQTTP_LENIENT_V31_LONG_CLIENT_ID, 0, 0,
	  SET, "'a'*24", KEEP, NULL, KEEP, NULL, "10 V[S'MQIsdp' 03 C2 003C S['a'*24] S'u' S'p']", 0, 0, 0 },
	{ "31 empty client id", C31, 0, 0, 0, SET, "''", KEEP, NULL, KEEP, NULL,
	  NULL, MQTTP_E_CLIENT_ID_EMPTY, MQTTP_F_CLIENT_ID, 0 },
	{ "31 remove user name with password", C31, 0, 0, 0, KEEP, NULL, DEL, NULL, KEEP, NULL,
	  NULL, MQTTP_E_PASSWORD_FLAG, MQTTP_F_USERNAME, 0 },
	{ "31 remove user name and password", C31, 0, 0, 0, KEEP, NULL, DEL, NULL, DEL, NULL,
	  "10 V[S'MQIsdp' 03 02 003C S'abc']", 0, 0, 0 },
	{ "31 header flags kept (lenient v31-header-flags)", "12 V[S'MQIsdp' 03 02 003C S'abc']",
	  MQTTP_LENIENT_V31_HEADER_FLAGS, 0, 0, SET, "'dev'", SET, "'CN=dev'", KEEP, NULL,
	  "12 V[S'MQIsdp' 03 82 003C S'dev' S'CN=dev']", 0, 0, 0 },
	{ "31 bridge level kept", "10 V[S'MQIsdp' 83 02 003C S'abc']", 0, 0, 0, SET, "'br1'", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQIsdp' 83 02 003C S'br1']", 0, 0, 0 },

	/* ---- 5.0 ---- */
	{ "5 set client id, properties kept", C5, 0, 0, 0, SET, "'CN-device-17'", KEEP, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 05 C2 001E V[" C5_PROPS "] S'CN-device-17' S'benchuser' S's3cretpw']", 0, 0, 0 },
	{ "5 remove user name, password alone is fine in 5.0", C5, 0, 0, 0, KEEP, NULL, DEL, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 05 42 001E V[" C5_PROPS "] S'bench-v5-client-0001' S's3cretpw']", 0, 0, 0 },
	{ "5 add password alone", "10 V[S'MQTT' 05 02 001E 00 S'c']", 0, 0, 0, KEEP, NULL, KEEP, NULL, SET, "'tok'",
	  "10 V[S'MQTT' 05 42 001E 00 S'c' S'tok']", 0, 0, 0 },
	{ "5 empty client id without clean start", "10 V[S'MQTT' 05 00 001E 00 S'c']", 0, 0, 0,
	  SET, "''", KEEP, NULL, KEEP, NULL, "10 V[S'MQTT' 05 00 001E 00 S'']", 0, 0, 0 },
	{ "5 will with will properties and user properties", C5_WILL, 0, 0, 0,
	  SET, "'tenant-b:c5'", SET, "'tenant-b/user'", DEL, NULL,
	  "10 V[S'MQTT' 05 B6 001E V[" C5_PROPS "] S'tenant-b:c5' V[" C5_WPROPS "] S'w/t' S[00 01 FF] S'tenant-b/user']", 0, 0, 0 },
	{ "5 will, user name removed", C5_WILL, 0, 0, 0, KEEP, NULL, DEL, NULL, KEEP, NULL,
	  "10 V[S'MQTT' 05 76 001E V[" C5_PROPS "] S'c5' V[" C5_WPROPS "] S'w/t' S[00 01 FF] S'pw']", 0, 0, 0 },
	{ "5 bad UTF-8 in user name", C5, 0, 0, 0, KEEP, NULL, SET, "'ok' E0 80 80", KEEP, NULL,
	  NULL, MQTTP_E_UTF8, MQTTP_F_USERNAME, 3 },

	/* ---- remaining lengths across variable byte integer boundaries ---- */
	/* 127 -> 128: 10 7F ... becomes 10 80 01 ... */
	{ "VBI 127 -> 128", "10 7F 0004 'MQTT' 04 02 003C 0073 'i'*115", 0, 0, 0, SET, "'i'*116", KEEP, NULL, KEEP, NULL,
	  "10 80 01 0004 'MQTT' 04 02 003C 0074 'i'*116", 0, 0, 0 },
	{ "VBI 128 -> 127", "10 80 01 0004 'MQTT' 04 02 003C 0074 'i'*116", 0, 0, 0, SET, "'j'*115", KEEP, NULL, KEEP, NULL,
	  "10 7F 0004 'MQTT' 04 02 003C 0073 'j'*115", 0, 0, 0 },
	{ "VBI 127 -> 128 by adding a user name", "10 7F 0004 'MQTT' 04 02 003C 0073 'i'*115", 0, 0, 0,
	  KEEP, NULL, SET, "''", KEEP, NULL, "10 81 01 0004 'MQTT' 04 82 003C 0073 'i'*115 0000", 0, 0, 0 },
	/* 16383 -> 16384: 10 FF 7F ... becomes 10 80 80 01 ...; will payload of 16357 */
	{ "VBI 16383 -> 16384", "10 FF 7F 0004 'MQTT' 04 06 003C 0002 'ab' 0001 't' 3FEC 'w'*16364", 0, 0, 0,
	  SET, "'abc'", KEEP, NULL, KEEP, NULL,
	  "10 80 80 01 0004 'MQTT' 04 06 003C 0003 'abc' 0001 't' 3FEC 'w'*16364", 0, 0, 0 },
	{ "VBI 16384 -> 16383", "10 80 80 01 0004 'MQTT' 04 06 003C 0003 'abc' 0001 't' 3FEC 'w'*16364", 0, 0, 0,
	  SET, "'ab'", KEEP, NULL, KEEP, NULL,
	  "10 FF 7F 0004 'MQTT' 04 06 003C 0002 'ab' 0001 't' 3FEC 'w'*16364", 0, 0, 0 },
	{ "VBI 16383 -> 16384, 5.0 with user properties",
	  "10 FF 7F 0004 'MQTT' 05 02 003C F1 7F 17 01 19 01 26 S'k' S['v'*16349] [26 0000 0000]*2 0000", 0, 0, 0,
	  SET, "'a'", KEEP, NULL, KEEP, NULL,
	  "10 80 80 01 0004 'MQTT' 05 02 003C F1 7F 17 01 19 01 26 S'k' S['v'*16349] [26 0000 0000]*2 0001 'a'", 0, 0, 0 },
	{ NULL, NULL, 0, 0, 0, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, 0 }
};

static uint8_t in_buf[1 << 17], out_buf[1 << 17], exp_buf[1 << 17];
static uint8_t v_buf[3][1 << 17];
static struct guard GI, GO;

static void rw_setup(void)
{
	if (!GI.base) {
		guard_init(&GI, 1 << 18);
		guard_init(&GO, 1 << 18);
	}
}

/* Fill one edit from the case's notation. */
static void edit_from(struct mqttp_rw_field *e, uint8_t op, const char *val, uint8_t *buf)
{
	long n = 0;

	e->op = op;
	e->value = NULL;
	e->len = 0;
	if (val) {
		n = hexin_parse(val, buf, 1 << 17);
		ck_assert_int_ge(n, 0);
		e->value = buf;
		e->len = (size_t)n;
	}
}

/* Run one case: size query, short buffer, exact buffer, trailing bytes,
 * and the parser's verdict on the output. Returns 0 when it passed. */
static int run_case(const struct rw_case *t)
{
	struct mqttp_options opt;
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	struct mqttp_connect c;
	struct mqttp_result dr;
	long in_len, exp_len = -1;
	uint8_t *in, *o;
	size_t n, n2, i;
	int bad = 0;

	rw_setup();
	in_len = hexin_parse(t->in, in_buf, sizeof(in_buf));
	ck_assert_int_ge(in_len, 0);
	if (t->out) {
		exp_len = hexin_parse(t->out, exp_buf, sizeof(exp_buf));
		ck_assert_int_gt(exp_len, 0);
	}
	mqttp_options_default(&opt);
	opt.lenient = t->lenient;
	opt.max_client_id_len = t->max_cid;
	opt.max_packet_size = t->max_packet;
	memset(&rw, 0, sizeof(rw));
	edit_from(&rw.client_id, t->cid_op, t->cid, v_buf[0]);
	edit_from(&rw.username, t->user_op, t->user, v_buf[1]);
	edit_from(&rw.password, t->pass_op, t->pass, v_buf[2]);
	in = guard_place(&GI, in_buf, (size_t)in_len);

	/* size query */
	memset(&res, 0xEE, sizeof(res));
	n = mqttp_rewrite_connect(in, (size_t)in_len, &opt, &rw, NULL, 0, &res);
	if (!t->out) {
		if (n != 0 || res.error != t->error || res.field != t->field ||
		    res.error_offset != t->error_offset) {
			fprintf(stderr, "rewrite %s: got n=%zu %s field %u offset %u, want %s field %d offset %u\n",
			        t->id, n, mqttp_error_name((enum mqttp_error)res.error), res.field,
			        res.error_offset, mqttp_error_name((enum mqttp_error)t->error), t->field,
			        t->error_offset);
			return 1;
		}
		/* nothing written even with room */
		memset(out_buf, 0xA5, 4096);
		n = mqttp_rewrite_connect(in, (size_t)in_len, &opt, &rw, out_buf, 4096, &res);
		for (i = 0; i < 4096; i++)
			if (out_buf[i] != 0xA5)
				bad = 1;
		if (n != 0 || bad) {
			fprintf(stderr, "rewrite %s: error case wrote bytes\n", t->id);
			return 1;
		}
		return 0;
	}
	if (n != (size_t)exp_len || res.error != MQTTP_E_NONE || res.in_length != (uint32_t)in_len) {
		fprintf(stderr, "rewrite %s: size query %zu (%s, field %u, off %u, in_length %u), want %ld\n",
		        t->id, n, mqttp_error_name((enum mqttp_error)res.error), res.field,
		        res.error_offset, res.in_length, exp_len);
		return 1;
	}
	/* one byte short: the size again, nothing written */
	o = GO.base + GO.size - (n - 1);
	memset(GO.base, 0x5A, GO.size);
	n2 = mqttp_rewrite_connect(in, (size_t)in_len, &opt, &rw, o, n - 1, &res);
	for (i = 0; i < GO.size; i++)
		if (GO.base[i] != 0x5A)
			bad = 1;
	if (n2 != n || res.error != MQTTP_E_NONE || bad) {
		fprintf(stderr, "rewrite %s: short buffer gave %zu, wrote %d\n", t->id, n2, bad);
		return 1;
	}
	/* exact buffer, ending at the guard page */
	o = GO.base + GO.size - n;
	n2 = mqttp_rewrite_connect(in, (size_t)in_len, &opt, &rw, o, n, &res);
	if (n2 != n || memcmp(o, exp_buf, n) != 0) {
		fprintf(stderr, "rewrite %s: output differs\n", t->id);
		for (i = 0; i < n && i < 80; i++)
			fprintf(stderr, "%02x%s", o[i], o[i] == exp_buf[i] ? " " : "*");
		fprintf(stderr, "\n");
		return 1;
	}
	for (i = 0; i < GO.size - n; i++)
		if (GO.base[i] != 0x5A) {
			fprintf(stderr, "rewrite %s: wrote before the output\n", t->id);
			return 1;
		}
	/* the parser accepts the result with the same options */
	if (mqttp_decode_connect(o, n, &opt, &c, &dr) != MQTTP_DONE || dr.length != n) {
		fprintf(stderr, "rewrite %s: parser refuses the output: %s at %u\n", t->id,
		        mqttp_error_name((enum mqttp_error)dr.error), dr.error_offset);
		return 1;
	}
	/* bytes after the CONNECT are not read nor copied */
	memcpy(in_buf + in_len, "\x30\x03\x00\x01t\xc0\x00", 7);
	in = guard_place(&GI, in_buf, (size_t)in_len + 7);
	n2 = mqttp_rewrite_connect(in, (size_t)in_len + 7, &opt, &rw, out_buf, sizeof(out_buf), &res);
	if (n2 != n || memcmp(out_buf, exp_buf, n) != 0 || res.in_length != (uint32_t)in_len) {
		fprintf(stderr, "rewrite %s: trailing bytes changed the result\n", t->id);
		return 1;
	}
	return 0;
}

START_TEST(t_rewrite_table)
{
	const struct rw_case *t;
	int failed = 0, runs = 0;

	for (t = rw_cases; t->id; t++) {
		failed += run_case(t);
		runs++;
	}
	printf("rewrite table: %d cases\n", runs);
	ck_assert_int_eq(failed, 0);
}
END_TEST

/* Options that only the input can break. */
START_TEST(t_rewrite_input_options)
{
	struct mqttp_options opt;
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	uint8_t in[512], out[512];
	long n = hexin_parse("10 V[S'MQTT' 05 02 001E V[26 S'a' S'b' 26 S'c' S'd'] S'c']", in, sizeof(in));

	ck_assert_int_gt(n, 0);
	mqttp_options_default(&opt);
	opt.max_user_properties = 1;
	memset(&rw, 0, sizeof(rw));
	rw.client_id.op = MQTTP_RW_SET;
	rw.client_id.value = (const uint8_t *)"x";
	rw.client_id.len = 1;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, &opt, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TOO_MANY_USER_PROPERTIES);
	ck_assert_int_eq(res.field, 0);
	/* NULL options: strict defaults; the limit is gone */
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), (size_t)n);
	ck_assert_int_eq(res.error, MQTTP_E_NONE);
	/* NULL value with a length */
	rw.client_id.value = NULL;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TRUNCATED);
	ck_assert_int_eq(res.field, MQTTP_F_CLIENT_ID);
	rw.client_id.value = (const uint8_t *)"x";
	rw.username.op = MQTTP_RW_SET;
	rw.username.len = 3;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TRUNCATED);
	ck_assert_int_eq(res.field, MQTTP_F_USERNAME);
	rw.username.op = MQTTP_RW_KEEP;
	rw.password.op = MQTTP_RW_SET;
	rw.password.len = 3;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TRUNCATED);
	ck_assert_int_eq(res.field, MQTTP_F_PASSWORD);
	rw.password.op = MQTTP_RW_KEEP;
	rw.client_id.value = NULL;
	/* NULL value of length 0: empty */
	rw.client_id.len = 0;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), (size_t)n - 1);
	/* NULL input */
	ck_assert_uint_eq(mqttp_rewrite_connect(NULL, 0, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TRUNCATED);
	ck_assert_uint_eq(mqttp_rewrite_connect(NULL, 5, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_TRUNCATED);
}
END_TEST

/* 65,535-byte values: the largest a 2-byte length holds; one more fails. */
START_TEST(t_rewrite_field_limits)
{
	static uint8_t big[65536 + 1], out[65536 * 3];
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	struct mqttp_connect c;
	struct mqttp_result dr;
	uint8_t in[64];
	long n = hexin_parse("10 V[S'MQTT' 04 02 003C S'a']", in, sizeof(in));
	size_t r;

	memset(big, 'u', sizeof(big));
	memset(&rw, 0, sizeof(rw));
	rw.username.op = MQTTP_RW_SET;
	rw.username.value = big;
	rw.username.len = 65535;
	rw.client_id.op = MQTTP_RW_SET;
	rw.client_id.value = big;
	rw.client_id.len = 65535;
	r = mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res);
	/* 12 bytes of variable header, 2 + 65535 twice: 131,084 = 3-byte length */
	ck_assert_uint_eq(r, 1 + 3 + 10 + 2 + 65535 + 2 + 65535);
	ck_assert_int_eq(mqttp_decode_connect(out, r, NULL, &c, &dr), MQTTP_DONE);
	ck_assert_uint_eq(c.username.len, 65535);
	ck_assert_uint_eq(c.client_id.len, 65535);
	ck_assert_int_eq(out[0], 0x10);
	ck_assert_int_eq(out[1], (131084 & 0x7F) | 0x80);
	ck_assert_int_eq(out[2], ((131084 >> 7) & 0x7F) | 0x80);
	ck_assert_int_eq(out[3], 131084 >> 14);
	rw.username.len = 65536;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_PACKET_TOO_LARGE);
	ck_assert_int_eq(res.field, MQTTP_F_USERNAME);
	rw.username.len = 1;
	rw.password.op = MQTTP_RW_SET;
	rw.password.value = big;
	rw.password.len = 65536;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_PACKET_TOO_LARGE);
	ck_assert_int_eq(res.field, MQTTP_F_PASSWORD);
	rw.password.len = 1;
	rw.client_id.len = 65536;
	ck_assert_uint_eq(mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res), 0);
	ck_assert_int_eq(res.error, MQTTP_E_CLIENT_ID_TOO_LONG);
	ck_assert_int_eq(res.field, MQTTP_F_CLIENT_ID);
}
END_TEST

/* Every rewrite of the table, fed to the streaming parser one byte at a
 * time, gives the rewritten fields (the parser's own view). */
START_TEST(t_rewrite_fields_seen_by_parser)
{
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	struct mqttp_parser p;
	struct mqttp_options opt;
	uint8_t in[256], out[256];
	long n = hexin_parse(C311_WILL, in, sizeof(in));
	size_t r, i, used;
	enum mqttp_status st = MQTTP_NEED_MORE;

	memset(&rw, 0, sizeof(rw));
	rw.client_id.op = MQTTP_RW_SET;
	rw.client_id.value = (const uint8_t *)"CN-7";
	rw.client_id.len = 4;
	r = mqttp_rewrite_connect(in, (size_t)n, NULL, &rw, out, sizeof(out), &res);
	ck_assert_uint_eq(r, (size_t)n);
	mqttp_options_default(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &opt);
	for (i = 0; i < r; i++) {
		st = mqttp_feed(&p, out + i, 1, &used, NULL, NULL);
		ck_assert_uint_eq(used, 1);
	}
	ck_assert_int_eq(st, MQTTP_DONE);
	ck_assert_uint_eq(p.client_id_len, 4);
	ck_assert_int_eq(memcmp(out + p.client_id_off, "CN-7", 4), 0);
	ck_assert_int_eq(p.keep_alive, 60);
	ck_assert_int_eq(p.connect_flags, 0xEE);
}
END_TEST

Suite *rewrite_suite(void)
{
	Suite *s = suite_create("rewrite");
	TCase *tc = tcase_create("rewrite");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_rewrite_table);
	tcase_add_test(tc, t_rewrite_input_options);
	tcase_add_test(tc, t_rewrite_field_limits);
	tcase_add_test(tc, t_rewrite_fields_seen_by_parser);
	suite_add_tcase(s, tc);
	return s;
}
