/*
 * fuzz_roundtrip - encoders and decoders agree.
 *  1. CONNACK: parameters taken from the body are encoded with
 *     mqttp_encode_connack; a valid argument set must encode (and an
 *     invalid one must not), never past cap, and decode back to the same
 *     version, session present, code, reason string and server reference.
 *  2. CONNECT: a body that mqttp_decode_connect accepts is re-encoded from
 *     the decoded fields by fuzz_enc.c; it must come out byte-identical
 *     after the fixed header and decode to the same fields.
 *  3. Refusals: when the body's CONNECT fails, mqttp_encode_refusal writes a
 *     CONNACK in the format mqttp_connack_version names, which must decode
 *     with the code the error tables give, and no session present.
 *  4. Name tables: every name maps back to its flag, property or code.
 */
#include "fuzz_common.h"
#include "fuzz_enc.h"
#include "mqttcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t big[65536];

/* Are the bytes of a decoded string field equal to s[0..n)? */
static int same_bytes(const struct mqttp_bytes *b, const uint8_t *pkt,
                      const char *s, size_t n)
{
	return b->present && b->len == n && (n == 0 || memcmp(pkt + b->off, s, n) == 0);
}

/* Body layout: b0 = version (bits 0-1: 3,4,5,5), session present (bit 2),
 * reason string given (bit 3), server reference given (bit 4), big
 * strings (bit 5: 65535 bytes, bit 6: 65536); b1 = code; b2, b3 = string
 * lengths; then the string bytes. */
static void connack_roundtrip(const uint8_t *b, size_t len)
{
	static const unsigned versions[4] = { 3, 4, 5, 5 };
	unsigned version, code, sp;
	const char *rs = NULL, *sr = NULL;
	size_t rs_len = 0, sr_len = 0, cap, n, n2;
	int valid;
	uint8_t *out, *small;
	struct mqttp_options opt;
	struct mqttp_connack a;
	struct mqttp_result res;
	enum mqttp_status r;

	if (len < 4)
		return;
	version = versions[b[0] & 3];
	sp = (b[0] >> 2) & 1;
	code = version == 5 ? b[1] : (b[1] & 7u);
	if (b[0] & 8) {
		rs_len = b[2] < len - 4 ? b[2] : len - 4;
		rs = (const char *)b + 4;
	}
	if (b[0] & 16) {
		sr_len = b[3] < len - 4 - rs_len ? b[3] : len - 4 - rs_len;
		sr = (const char *)b + 4 + rs_len;
	}
	if (b[0] & 0x60) {
		if (!big[0])
			memset(big, 'r', sizeof(big));
		rs = (const char *)big;
		rs_len = (b[0] & 0x40) ? 65536 : 65535;
	}
	if (version != 5) {
		/* 3.1.1 CONNACKs carry no properties: give no strings */
		rs = sr = NULL;
		rs_len = sr_len = 0;
	}
	valid = version == 5 ? mqttp_connack_code_valid(5, code) : code <= 5;
	if (version == 5 && (rs_len > 65535 || sr_len > 65535))
		valid = 0;
	cap = 16 + rs_len + sr_len;
	out = malloc(cap);
	FZ_CHECK(out != NULL);
	n = mqttp_encode_connack(out, cap, version, (int)sp, version == 5 ? 0 : code,
	                         version == 5 ? code : 0, rs, rs_len, sr, sr_len);
	if (!valid) {
		FZ_CHECK(n == 0);
		free(out);
		return;
	}
	FZ_CHECK(n > 0 && n <= cap);
	/* exactly enough room works, one byte less fails without writing past */
	small = malloc(n);
	FZ_CHECK(small != NULL);
	n2 = mqttp_encode_connack(small, n, version, (int)sp, version == 5 ? 0 : code,
	                          version == 5 ? code : 0, rs, rs_len, sr, sr_len);
	FZ_CHECK(n2 == n && memcmp(small, out, n) == 0);
	free(small);
	small = malloc(n - 1 ? n - 1 : 1);
	FZ_CHECK(small != NULL);
	FZ_CHECK(mqttp_encode_connack(small, n - 1, version, (int)sp, version == 5 ? 0 : code,
	                              version == 5 ? code : 0, rs, rs_len, sr, sr_len) == 0);
	free(small);

	mqttp_options_default(&opt);
	opt.version = (uint8_t)version;
	opt.lenient = MQTTP_LENIENT_CONTROL_CHARS;
	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	small = fz_dup(out, n);
	r = mqttp_decode_connack(small, n, &opt, &a, &res);
	if (r != MQTTP_DONE && (res.error == MQTTP_E_UTF8 || res.error == MQTTP_E_UTF8_NUL)) {
		/* the encoder does not check UTF-8: only for ill-formed input */
		FZ_CHECK(!fz_utf8_ok((const uint8_t *)(rs ? rs : ""), rs_len, 1) ||
		         !fz_utf8_ok((const uint8_t *)(sr ? sr : ""), sr_len, 1));
		free(small);
		free(out);
		return;
	}
	FZ_CHECK(r == MQTTP_DONE);
	FZ_CHECK(res.length == n);
	FZ_CHECK(a.reason_code == code);
	/* a refusal never carries session present; a 3.1 CONNACK (version 3)
	 * has no session present flag at all, so 0 is fine there too */
	if (version == 3)
		FZ_CHECK(a.session_present == 0 || (sp && code == 0));
	else
		FZ_CHECK(a.session_present == (sp && code == 0));
	if (version == 5) {
		if (rs)
			FZ_CHECK(same_bytes(&a.props.reason_string, small, rs, rs_len));
		else
			FZ_CHECK(!a.props.reason_string.present);
		if (sr)
			FZ_CHECK(same_bytes(&a.props.server_reference, small, sr, sr_len));
		else
			FZ_CHECK(!a.props.server_reference.present);
	} else {
		FZ_CHECK(n == 4);
	}
	free(small);
	free(out);
}

/* Shift every present offset of a property struct by d. */
static void shift_props(struct mqttp_properties *p, int d)
{
	struct mqttp_bytes *l[] = { &p->authentication_method, &p->authentication_data,
		&p->content_type, &p->response_topic, &p->correlation_data,
		&p->assigned_client_identifier, &p->reason_string,
		&p->response_information, &p->server_reference, &p->block };
	size_t i;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (l[i]->present)
			l[i]->off = (uint32_t)((int)l[i]->off + d);
}

/* Shift every present offset of a CONNECT by d. */
static void shift_connect(struct mqttp_connect *c, int d)
{
	struct mqttp_bytes *l[] = { &c->protocol_name, &c->client_id, &c->will_topic,
		&c->will_payload, &c->username, &c->password };
	size_t i;

	for (i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (l[i]->present)
			l[i]->off = (uint32_t)((int)l[i]->off + d);
	shift_props(&c->props, d);
	shift_props(&c->will_props, d);
}

/* Header length of a framed packet (already validated). */
static size_t hdr_len(const uint8_t *p)
{
	size_t i = 1;

	while (p[i] & 0x80)
		i++;
	return i + 1;
}

/* Decode a CONNECT, re-encode it, decode again, compare. */
static void connect_roundtrip(const uint8_t *buf, size_t len, const struct mqttp_options *opt)
{
	struct mqttp_connect c, c2;
	struct mqttp_result res, res2;
	uint8_t *out, *cp;
	size_t cap, n, hl, hl2;

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	if (mqttp_decode_connect(buf, len, opt, &c, &res) != MQTTP_DONE)
		return;
	cap = res.length + 8;
	out = malloc(cap);
	FZ_CHECK(out != NULL);
	n = fz_encode_connect(out, cap, &c, buf, buf[0] & 15u);
	FZ_CHECK(n > 0);
	hl = hdr_len(buf);
	hl2 = hdr_len(out);
	FZ_CHECK(hl2 <= hl);
	FZ_CHECK(n - hl2 == res.length - hl);
	FZ_CHECK(memcmp(out + hl2, buf + hl, n - hl2) == 0);
	cp = fz_dup(out, n);
	memset(&c2, 0, sizeof(c2));
	memset(&res2, 0, sizeof(res2));
	FZ_CHECK(mqttp_decode_connect(cp, n, opt, &c2, &res2) == MQTTP_DONE);
	FZ_CHECK(res2.length == n);
	shift_connect(&c, (int)hl2 - (int)hl);
	FZ_CHECK(fz_connect_eq(&c, &c2));
	free(cp);
	free(out);
}

/* Feed the body as a client stream; on a CONNECT error, check the refusal. */
static void refusal_roundtrip(const uint8_t *buf, size_t len, const struct mqttp_options *opt)
{
	struct mqttp_parser p;
	struct mqttp_options o = *opt;
	struct mqttp_connack a;
	struct mqttp_result res;
	struct mqttp_options co;
	size_t consumed, n;
	unsigned v;
	uint8_t *out;
	int want;

	o.checks = (o.checks | MQTTP_CHECK_FROM_CLIENT) & ~(uint32_t)MQTTP_CHECK_FROM_SERVER;
	mqttp_init(&p, &o);
	if (mqttp_feed(&p, buf, len, &consumed, NULL, NULL) != MQTTP_ERROR)
		return;
	v = mqttp_connack_version(&p);
	FZ_CHECK(v == 0 || v == 4 || v == 5);
	if (v)
		FZ_CHECK(p.type == MQTTP_CONNECT && (p.have & MQTTP_HAVE_VERSION));
	out = malloc(6);
	FZ_CHECK(out != NULL);
	n = mqttp_encode_refusal(&p, out, 6);
	want = v == 4 ? mqttp_error_return_code((enum mqttp_error)p.error) :
	       v == 5 ? mqttp_error_reason_code((enum mqttp_error)p.error) : -1;
	if (v == 0 || want <= 0) {
		FZ_CHECK(n == 0);
		free(out);
		return;
	}
	FZ_CHECK(n > 0 && n <= 6);
	FZ_CHECK(mqttp_encode_refusal(&p, out, n - 1) == 0);
	mqttp_options_default(&co);
	co.version = (uint8_t)v;
	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	FZ_CHECK(mqttp_decode_connack(out, n, &co, &a, &res) == MQTTP_DONE);
	FZ_CHECK(res.length == n);
	FZ_CHECK(a.reason_code == (unsigned)want);
	FZ_CHECK(a.session_present == 0);
	free(out);
}

/* Names and codes of the tables map back to each other. */
static void tables_roundtrip(const uint8_t *buf, size_t len)
{
	unsigned i, code;
	const struct mqttp_property_info *info;

	FZ_CHECK(strcmp(mqttp_version(), MQTTP_VERSION_STRING) == 0);
	for (i = 0; i < 6; i++) {
		const char *nm = mqttp_lenient_name(1u << i);

		FZ_CHECK(nm != NULL);
		FZ_CHECK(mqttp_lenient_by_name(nm, strlen(nm)) == (1u << i));
	}
	if (len == 0)
		return;
	FZ_CHECK(mqttp_lenient_by_name((const char *)buf, len) <= MQTTP_LENIENT_ALL);
	info = mqttp_property_by_name((const char *)buf, len);
	if (info)
		FZ_CHECK(strlen(info->name) == len && memcmp(info->name, buf, len) == 0);
	info = mqttp_property_info(buf[0]);
	if (info) {
		FZ_CHECK(info->id == buf[0]);
		FZ_CHECK(mqttp_property_by_name(info->name, strlen(info->name)) == info);
		FZ_CHECK(info->type >= MQTTP_PT_BYTE && info->type <= MQTTP_PT_STRING_PAIR);
	}
	FZ_CHECK(mqttp_type_name(buf[0]) != NULL);
	code = buf[0];
	FZ_CHECK((mqttp_reason_code_name(code) != NULL) == (mqttp_connack_code_valid(5, code) != 0));
	{
		int rc = mqttp_reason_to_return_code(code);

		FZ_CHECK(rc == -1 || (rc >= 0 && rc <= 5));
		if (!mqttp_connack_code_valid(5, code))
			FZ_CHECK(rc == -1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	uint8_t *buf;

	fz_parse_input(data, size, &in);
	buf = fz_dup(in.body, in.body_len);
	connack_roundtrip(buf, in.body_len);
	connect_roundtrip(buf, in.body_len, &in.opt);
	refusal_roundtrip(buf, in.body_len, &in.opt);
	tables_roundtrip(buf, in.body_len);
	free(buf);
	return 0;
}
