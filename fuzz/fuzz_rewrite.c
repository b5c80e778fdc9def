/*
 * fuzz_rewrite - the CONNECT rewriter (mqttp_rewrite_connect).
 *
 * Input: the common layout (fuzz_common.h) gives the options; the body is
 * a CONNECT followed by an edit tail:
 *   tail[0]   bits 0-1 client id op, 2-3 user name op, 4-5 password op
 *             (0 keep, 1 set, 2 remove, 3 an invalid op); bits 6-7 make
 *             one value big (1 client id, 2 user name, 3 password: 65,535
 *             bytes, or 65,536 when tail[1] is odd)
 *   tail[1..3] lengths of the client id, user name, password values
 *   then the values' bytes (lengths cut to what is there)
 * With a tail shorter than 4 bytes (the shared corpus) the mode bits give
 * the ops and fixed values are used, so every CONNECT seed is rewritten.
 *
 * What must hold:
 *  1. The input is judged as mqttp_decode_connect judges it: a CONNECT it
 *     refuses is refused with its error and offset (a prefix:
 *     MQTTP_E_TRUNCATED at the input's length), field 0; res.in_length is
 *     the CONNECT's length, and the tail is never read into the result.
 *  2. An independent encoding of the requested CONNECT (fuzz_enc.c: every
 *     field and property re-encoded from the decoded input, new values put
 *     in) is the oracle. The rewrite succeeds exactly when the parser
 *     accepts that encoding (with the same options), and then its output
 *     is byte-identical to it: every other field unchanged, the requested
 *     ones changed, flags as the fields. When the rewrite fails on a new
 *     value, the parser refuses the oracle encoding with the same error,
 *     and for UTF-8 errors at the same byte.
 *  3. Values over 65,535 bytes (no oracle possible) fail with
 *     MQTTP_E_CLIENT_ID_TOO_LONG / MQTTP_E_PACKET_TOO_LARGE on their field;
 *     an invalid op fails with MQTTP_E_PACKET_LENGTH on its field.
 *  4. Sizes: the size query (cap 0, out NULL) gives the size; cap = size - 1
 *     returns the size and writes nothing (sentinel-filled exact-size
 *     malloc buffer); the exact-size buffer gets the output; the size is at
 *     most in_length + 7 + the new values' lengths. Every input and every
 *     value is in its own exact-size malloc copy (ASan sees any over-read).
 */
#include "fuzz_common.h"
#include "fuzz_enc.h"
#include "mqttcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t big[65537];

struct edit {
	uint8_t op;
	uint8_t *val;   /* exact-size malloc copy */
	size_t len;
};

/* The oracle: the requested CONNECT encoded from the decoded input by
 * fuzz_enc.c. Returns its length, or 0 when it cannot be built. A value
 * replaced by 'a's (same lengths) when `plain`, to find offsets. */
static size_t oracle(uint8_t *out, size_t cap, const uint8_t *pkt, size_t pkt_len,
                     const struct mqttp_connect *c, const struct edit e[3], int plain)
{
	static uint8_t scratch[65536 + 3 * 65537];
	struct mqttp_connect c2 = *c;
	struct mqttp_bytes *f[3] = { &c2.client_id, &c2.username, &c2.password };
	size_t pos = pkt_len;
	int i;

	if (pkt_len > 65536)
		return 0;
	memcpy(scratch, pkt, pkt_len);
	for (i = 0; i < 3; i++) {
		if (e[i].op == MQTTP_RW_KEEP)
			continue;
		if (e[i].op == MQTTP_RW_REMOVE && i > 0) {
			f[i]->present = 0;
			continue;
		}
		if (e[i].len > 65535)
			return 0;
		f[i]->present = 1;
		f[i]->off = (uint32_t)pos;
		f[i]->len = e[i].op == MQTTP_RW_REMOVE ? 0 : (uint32_t)e[i].len;
		if (f[i]->len) {
			if (plain)
				memset(scratch + pos, 'a', f[i]->len);
			else
				memcpy(scratch + pos, e[i].val, f[i]->len);
		}
		pos += f[i]->len;
	}
	c2.flags = (uint8_t)((c->flags & ~(MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD)) |
	                     (c2.username.present ? MQTTP_CF_USERNAME : 0) |
	                     (c2.password.present ? MQTTP_CF_PASSWORD : 0));
	return fz_encode_connect(out, cap, &c2, scratch, pkt[0] & 0x0F);
}

/* The field id a new value is reported with, by index. */
static const uint8_t field_ids[3] = { MQTTP_F_CLIENT_ID, MQTTP_F_USERNAME, MQTTP_F_PASSWORD };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *defaults[3] = { "fz-client", "CN=fz,O=test", "\x00\xffpw" };
	static const size_t default_len[3] = { 9, 12, 4 };
	static uint8_t orc[65536 + 3 * 65537 + 64], orc2[sizeof(orc)];
	struct fz_input in;
	struct mqttp_connect c;
	struct mqttp_result dr;
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res, res2;
	struct edit e[3];
	enum mqttp_status st;
	uint8_t *pkt, *out;
	const uint8_t *tail = NULL;
	size_t tail_len = 0, n, n2, on, sum = 0, i;
	unsigned ops;
	int bigsel = 0, bad_op = -1;

	fz_parse_input(data, size, &in);
	pkt = fz_dup(in.body, in.body_len);
	memset(&c, 0, sizeof(c));
	st = mqttp_decode_connect(pkt, in.body_len, &in.opt, &c, &dr);
	if (st == MQTTP_DONE && dr.length < in.body_len) {
		tail = in.body + dr.length;
		tail_len = in.body_len - dr.length;
	}

	/* the edits */
	if (tail_len >= 4) {
		size_t avail = tail_len - 4;
		const uint8_t *v = tail + 4;
		ops = tail[0];
		bigsel = (tail[0] >> 6) & 3;
		for (i = 0; i < 3; i++) {
			size_t l = tail[1 + i] < avail ? tail[1 + i] : avail;
			e[i].val = fz_dup(v, l);
			e[i].len = l;
			v += l;
			avail -= l;
		}
		if (bigsel) {
			size_t k = (size_t)bigsel - 1;
			free(e[k].val);
			if (!big[0])
				memset(big, 'b', sizeof(big));
			e[k].len = (tail[1] & 1) ? 65536 : 65535;
			e[k].val = fz_dup(big, e[k].len);
		}
	} else {
		ops = (unsigned)in.mode * 0x11u;
		for (i = 0; i < 3; i++) {
			e[i].val = fz_dup((const uint8_t *)defaults[i], default_len[i]);
			e[i].len = default_len[i];
		}
	}
	for (i = 0; i < 3; i++) {
		e[i].op = (uint8_t)((ops >> (2 * i)) & 3);
		if (e[i].op == 3 && bad_op < 0)
			bad_op = (int)i;
		if (e[i].op == MQTTP_RW_SET)
			sum += e[i].len;
	}
	memset(&rw, 0, sizeof(rw));
	rw.client_id.op = e[0].op;
	rw.client_id.value = e[0].val;
	rw.client_id.len = e[0].len;
	rw.username.op = e[1].op;
	rw.username.value = e[1].val;
	rw.username.len = e[1].len;
	rw.password.op = e[2].op;
	rw.password.value = e[2].val;
	rw.password.len = e[2].len;

	/* size query */
	memset(&res, 0xEE, sizeof(res));
	n = mqttp_rewrite_connect(pkt, in.body_len, &in.opt, &rw, NULL, 0, &res);

	/* 1. the input's verdict */
	if (st != MQTTP_DONE) {
		FZ_CHECK(n == 0 && res.field == 0 && res.in_length == 0);
		if (st == MQTTP_NEED_MORE)
			FZ_CHECK(res.error == MQTTP_E_TRUNCATED && res.error_offset == in.body_len);
		else
			FZ_CHECK(res.error == dr.error && res.error_offset == dr.error_offset);
		goto done;
	}
	FZ_CHECK(res.in_length == dr.length);

	/* 3. invalid ops and unencodable values */
	if (bad_op >= 0) {
		FZ_CHECK(n == 0 && res.error == MQTTP_E_PACKET_LENGTH && res.field == field_ids[bad_op]);
		goto done;
	}
	for (i = 0; i < 3; i++) {
		if (e[i].op == MQTTP_RW_SET && e[i].len > 65535) {
			/* the first oversized value in field order is reported */
			FZ_CHECK(n == 0 && res.field == field_ids[i]);
			FZ_CHECK(res.error == (i == 0 ? MQTTP_E_CLIENT_ID_TOO_LONG : MQTTP_E_PACKET_TOO_LARGE));
			goto done;
		}
	}

	/* 2. the oracle */
	on = oracle(orc, sizeof(orc), pkt, dr.length, &c, e, 0);
	if (on == 0) {
		/* only a big value or packet overflows the oracle's 16 KB body */
		FZ_CHECK(bigsel != 0 || dr.length + sum > 16000);
		if (n == 0) {
			FZ_CHECK(res.error != MQTTP_E_NONE);
			goto done;
		}
	} else {
		struct mqttp_connect oc;
		struct mqttp_result odr;
		uint8_t *ocopy = fz_dup(orc, on);
		enum mqttp_status ost = mqttp_decode_connect(ocopy, on, &in.opt, &oc, &odr);

		if (n == 0) {
			/* refused: the parser refuses the oracle encoding alike */
			FZ_CHECK(res.error != MQTTP_E_NONE);
			FZ_CHECK(ost == MQTTP_ERROR && odr.error == res.error);
			if (res.field == 0) {
				FZ_CHECK(res.error == MQTTP_E_PACKET_TOO_LARGE);
			} else if (res.error == MQTTP_E_UTF8 || res.error == MQTTP_E_UTF8_NUL ||
			           res.error == MQTTP_E_UTF8_CONTROL) {
				/* same byte: find the value's offset in a plain twin */
				struct mqttp_connect pc;
				struct mqttp_result pdr;
				const struct mqttp_bytes *fb;
				size_t pn = oracle(orc2, sizeof(orc2), pkt, dr.length, &c, e, 1);
				FZ_CHECK(pn == on);
				FZ_CHECK(mqttp_decode_connect(orc2, pn, &in.opt, &pc, &pdr) == MQTTP_DONE);
				fb = res.field == MQTTP_F_CLIENT_ID ? &pc.client_id : &pc.username;
				FZ_CHECK(res.field != MQTTP_F_PASSWORD);
				FZ_CHECK(odr.error_offset == fb->off + res.error_offset);
			}
			free(ocopy);
			goto done;
		}
		/* accepted: the parser accepts the oracle encoding too */
		FZ_CHECK(res.error == MQTTP_E_NONE);
		FZ_CHECK(ost == MQTTP_DONE && odr.length == on);
		free(ocopy);
	}

	/* 4. sizes and the output */
	FZ_CHECK(on == 0 || n == on);
	FZ_CHECK(n <= (size_t)dr.length + 7 + sum);
	out = malloc(n - 1 ? n - 1 : 1);
	FZ_CHECK(out != NULL);
	memset(out, 0x5A, n - 1);
	n2 = mqttp_rewrite_connect(pkt, in.body_len, &in.opt, &rw, out, n - 1, &res2);
	FZ_CHECK(n2 == n && res2.error == MQTTP_E_NONE);
	for (i = 0; i < n - 1; i++)
		FZ_CHECK(out[i] == 0x5A);
	free(out);
	out = malloc(n);
	FZ_CHECK(out != NULL);
	n2 = mqttp_rewrite_connect(pkt, in.body_len, &in.opt, &rw, out, n, &res2);
	FZ_CHECK(n2 == n && res2.error == MQTTP_E_NONE && res2.in_length == dr.length);
	FZ_CHECK(on == 0 || memcmp(out, orc, n) == 0);
	{
		/* and field by field, from the parser's view of the output */
		struct mqttp_connect oc;
		struct mqttp_result odr;
		const struct mqttp_bytes *nf[3], *of[3];
		FZ_CHECK(mqttp_decode_connect(out, n, &in.opt, &oc, &odr) == MQTTP_DONE && odr.length == n);
		FZ_CHECK(oc.version == c.version && oc.bridge == c.bridge && oc.keep_alive == c.keep_alive);
		FZ_CHECK((oc.flags & 0x3F) == (c.flags & 0x3F) && out[0] == pkt[0]);
		FZ_CHECK(oc.will_topic.len == c.will_topic.len && oc.will_payload.len == c.will_payload.len);
		FZ_CHECK(!c.will_topic.present || memcmp(out + oc.will_topic.off, pkt + c.will_topic.off, c.will_topic.len) == 0);
		FZ_CHECK(!c.will_payload.present || memcmp(out + oc.will_payload.off, pkt + c.will_payload.off, c.will_payload.len) == 0);
		FZ_CHECK(oc.props.block.len == c.props.block.len &&
		         (!c.props.block.len || memcmp(out + oc.props.block.off, pkt + c.props.block.off, c.props.block.len) == 0));
		FZ_CHECK(oc.will_props.block.len == c.will_props.block.len &&
		         (!c.will_props.block.len || memcmp(out + oc.will_props.block.off, pkt + c.will_props.block.off, c.will_props.block.len) == 0));
		nf[0] = &oc.client_id; nf[1] = &oc.username; nf[2] = &oc.password;
		of[0] = &c.client_id; of[1] = &c.username; of[2] = &c.password;
		for (i = 0; i < 3; i++) {
			switch (e[i].op) {
			case MQTTP_RW_KEEP:
				FZ_CHECK(nf[i]->present == of[i]->present && nf[i]->len == of[i]->len);
				FZ_CHECK(!of[i]->len || memcmp(out + nf[i]->off, pkt + of[i]->off, of[i]->len) == 0);
				break;
			case MQTTP_RW_SET:
				FZ_CHECK(nf[i]->present && nf[i]->len == e[i].len);
				FZ_CHECK(!e[i].len || memcmp(out + nf[i]->off, e[i].val, e[i].len) == 0);
				break;
			default:
				FZ_CHECK(i == 0 ? (nf[i]->present && nf[i]->len == 0) : !nf[i]->present);
				break;
			}
		}
		FZ_CHECK(!!(oc.flags & MQTTP_CF_USERNAME) == oc.username.present);
		FZ_CHECK(!!(oc.flags & MQTTP_CF_PASSWORD) == oc.password.present);
	}
	free(out);
done:
	for (i = 0; i < 3; i++)
		free(e[i].val);
	free(pkt);
	return 0;
}
