/*
 * fuzz_decode - framer, one-shot CONNECT and CONNACK decoders and the
 * one-shot stream over the raw input, under the lenient flags and checks
 * chosen by the input's first bytes (layout in fuzz_common.h). Every
 * accepted packet is re-checked independently; every verdict must be
 * internally consistent, and the one-shot decoders must agree with the
 * streaming parser.
 */
#include "fuzz_common.h"
#include "mqttcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed header as this harness reads it: 1 done, 0 need more,
 * -1 error; -2 when the rules leave it to the library (AUTH, PUBLISH DUP,
 * flags of a possible 3.1 CONNECT under the lenient flag). */
static int ref_frame(const uint8_t *b, size_t len, unsigned lenient,
                     uint32_t *rl, size_t *hl)
{
	unsigned type, fl, i;
	uint32_t v = 0;

	if (len == 0)
		return 0;
	type = b[0] >> 4;
	fl = b[0] & 15u;
	if (type == 0)
		return -1;
	if (type == MQTTP_AUTH)
		return -2;
	if (type == MQTTP_PUBLISH) {
		if ((fl & 6) == 6)
			return -1;
		if (fl & 8)
			return -2;
	} else if (type == MQTTP_PUBREL || type == MQTTP_SUBSCRIBE ||
	           type == MQTTP_UNSUBSCRIBE) {
		if (fl != 2)
			return -1;
	} else if (fl != 0) {
		if (type == MQTTP_CONNECT && (lenient & MQTTP_LENIENT_V31_HEADER_FLAGS))
			return -2;
		return -1;
	}
	for (i = 0; i < 4; i++) {
		if (1 + i >= len)
			return 0;
		v |= (uint32_t)(b[1 + i] & 0x7F) << (7 * i);
		if (!(b[1 + i] & 0x80)) {
			if (i > 0 && b[1 + i] == 0 && !(lenient & MQTTP_LENIENT_NON_MINIMAL_LENGTH))
				return -1;
			*rl = v;
			*hl = 2 + i;
			return 1;
		}
	}
	return -1;
}

/* mqttp_frame against the reference reading. */
static void check_frame(const uint8_t *buf, size_t len, unsigned lenient)
{
	uint8_t type = 0xEE, hl = 0xEE;
	uint32_t rl = 0xEEEEEEEE, rrl = 0;
	size_t rhl = 0;
	enum mqttp_error err = MQTTP_E_NONE;
	enum mqttp_status r = mqttp_frame(buf, len, lenient, &type, &rl, &hl, &err);
	int ref = ref_frame(buf, len, lenient, &rrl, &rhl);

	if (r == MQTTP_DONE) {
		FZ_CHECK(hl >= 2 && hl <= 5 && hl <= len);
		FZ_CHECK(type == (buf[0] >> 4));
		FZ_CHECK(rl <= MQTTP_MAX_REMAINING_LENGTH);
		if (ref != -2)
			FZ_CHECK(ref == 1 && rl == rrl && hl == rhl);
	} else if (r == MQTTP_NEED_MORE) {
		FZ_CHECK(len < 5);
		if (ref != -2)
			FZ_CHECK(ref == 0);
	} else {
		FZ_CHECK(r == MQTTP_ERROR);
		FZ_CHECK(err > MQTTP_E_NONE && err < MQTTP_E__COUNT);
		/* per-type remaining lengths are the library's to judge */
		if (ref != -2 && err != MQTTP_E_PACKET_LENGTH)
			FZ_CHECK(ref == -1);
	}
}

/* Sanity of the error tables for one error code. */
static void check_error_info(unsigned e)
{
	int rc = mqttp_error_return_code((enum mqttp_error)e);
	int rs = mqttp_error_reason_code((enum mqttp_error)e);

	FZ_CHECK(mqttp_error_name((enum mqttp_error)e) != NULL);
	FZ_CHECK(mqttp_error_reason((enum mqttp_error)e) != NULL);
	FZ_CHECK(mqttp_error_reason((enum mqttp_error)e)[0] != '\0');
	FZ_CHECK(mqttp_error_class((enum mqttp_error)e) <= MQTTP_EC_TOPIC_ALIAS);
	FZ_CHECK(rc == -1 || (rc >= 1 && rc <= 5));
	/* a CONNECT's errors answer in a CONNACK, later ones in a DISCONNECT */
	FZ_CHECK(rs >= 0x80 && (mqttp_reason_code_allowed(5, MQTTP_CONNACK, (unsigned)rs) ||
	                        mqttp_reason_code_allowed(5, MQTTP_DISCONNECT, (unsigned)rs)));
}

/* Consistency of a one-shot decode result with the buffer it read. */
static void check_result(enum mqttp_status r, const struct mqttp_result *res,
                         const uint8_t *buf, size_t len, unsigned lenient)
{
	uint8_t type, hl;
	uint32_t rl;
	enum mqttp_error err;
	int framed = mqttp_frame(buf, len, lenient, &type, &rl, &hl, &err) == MQTTP_DONE;

	FZ_CHECK(res->error < MQTTP_E__COUNT);
	FZ_CHECK((res->error != 0) == (r == MQTTP_ERROR));
	if (r == MQTTP_DONE) {
		FZ_CHECK(res->length >= 2 && res->length <= len);
		if (framed)
			FZ_CHECK((size_t)hl + rl == res->length);
	} else if (r == MQTTP_NEED_MORE) {
		if (framed)
			FZ_CHECK((size_t)hl + rl > len);
	} else {
		FZ_CHECK(r == MQTTP_ERROR);
		/* the offending byte, or the packet's end for a field running past it */
		FZ_CHECK(res->error_offset <= len);
		if (framed)
			FZ_CHECK(res->error_offset <= (size_t)hl + rl);
		check_error_info(res->error);
	}
}

/* Feed the whole body (packet after packet), then mqttp_reset: the parser
 * must forget the stream and keep the options, i.e. equal a parser freshly
 * initialised with them (regression L4: it once kept the version learnt
 * from a CONNECT). */
static void check_reset(const uint8_t *buf, size_t len, const struct mqttp_options *opt)
{
	struct mqttp_parser p, q;
	size_t pos = 0, consumed;

	mqttp_init(&p, opt);
	while (pos < len) {
		enum mqttp_status r = mqttp_feed(&p, buf + pos, len - pos, &consumed, NULL, NULL);

		pos += consumed;
		if (r != MQTTP_DONE)
			break;
	}
	mqttp_reset(&p);
	mqttp_init(&q, opt);
	FZ_CHECK(p.error == 0 && p.status == MQTTP_NEED_MORE && p.packets == 0);
	FZ_CHECK(p.have == 0 && p.offset == 0);
	FZ_CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	/* NULL options are the defaults */
	{
		struct mqttp_options def;

		mqttp_options_default(&def);
		mqttp_init(&p, NULL);
		mqttp_init(&q, &def);
		FZ_CHECK(memcmp(&p, &q, sizeof(p)) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	uint8_t *buf;
	size_t len;
	struct mqttp_connect c;
	struct mqttp_connack a;
	struct mqttp_result res;
	enum mqttp_status rc, ra;
	struct fz_trace t;

	fz_parse_input(data, size, &in);
	len = in.body_len;
	buf = fz_dup(in.body, len);

	check_frame(buf, len, in.opt.lenient);

	memset(&c, 0, sizeof(c));
	memset(&res, 0, sizeof(res));
	rc = mqttp_decode_connect(buf, len, &in.opt, &c, &res);
	check_result(rc, &res, buf, len, in.opt.lenient);
	if (rc == MQTTP_DONE) {
		FZ_CHECK(res.type == MQTTP_CONNECT);
		fz_check_connect(&c, buf, res.length, &in.opt, 1);
	}
	if (len && (buf[0] >> 4) != MQTTP_CONNECT)
		FZ_CHECK(rc == MQTTP_ERROR);

	/* the streaming parser over the same bytes, with the input's options */
	fz_run_stream(&t, buf, len, &in.opt, FZ_CUT_ONESHOT, NULL, 0);
	fz_trace_free(&t);
	/* ... and with the options mqttp_decode_connect uses (a client's
	 * first packet, version unknown): same verdict, same fields */
	{
		struct mqttp_options o = in.opt;

		o.checks = (o.checks | MQTTP_CHECK_FROM_CLIENT) & ~(uint32_t)MQTTP_CHECK_FROM_SERVER;
		o.version = 0;
		fz_run_stream(&t, buf, len, &o, FZ_CUT_ONESHOT, NULL, 0);
		if (len && (buf[0] >> 4) == MQTTP_CONNECT) {
			FZ_CHECK(t.npk >= 1);
			FZ_CHECK(t.pk[0].status == rc);
			FZ_CHECK(t.pk[0].error == res.error);
			if (rc == MQTTP_ERROR)
				FZ_CHECK(t.pk[0].error_offset == res.error_offset);
			if (rc == MQTTP_DONE) {
				FZ_CHECK(t.pk[0].length == res.length);
				FZ_CHECK(fz_connect_eq(&t.pk[0].connect, &c));
			}
		}
		fz_trace_free(&t);
	}

	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	ra = mqttp_decode_connack(buf, len, &in.opt, &a, &res);
	check_result(ra, &res, buf, len, in.opt.lenient);
	if (ra == MQTTP_DONE) {
		FZ_CHECK(res.type == MQTTP_CONNACK);
		fz_check_connack(&a, buf, res.length, &in.opt, 1);
	}
	if (len && (buf[0] >> 4) != MQTTP_CONNACK && (buf[0] >> 4) != MQTTP_AUTH)
		FZ_CHECK(ra == MQTTP_ERROR);
	{
		struct mqttp_options o = in.opt;

		o.checks = (o.checks | MQTTP_CHECK_FROM_SERVER) & ~(uint32_t)MQTTP_CHECK_FROM_CLIENT;
		fz_run_stream(&t, buf, len, &o, FZ_CUT_ONESHOT, NULL, 0);
	}
	if (len && (buf[0] >> 4) == MQTTP_CONNACK) {
		FZ_CHECK(t.npk >= 1);
		FZ_CHECK(t.pk[0].status == ra);
		FZ_CHECK(t.pk[0].error == res.error);
		if (ra == MQTTP_ERROR)
			FZ_CHECK(t.pk[0].error_offset == res.error_offset);
		if (ra == MQTTP_DONE) {
			FZ_CHECK(t.pk[0].length == res.length);
			FZ_CHECK(fz_connack_eq(&t.pk[0].connack, &a));
		}
	}
	fz_trace_free(&t);
	check_reset(buf, len, &in.opt);
	free(buf);
	return 0;
}
