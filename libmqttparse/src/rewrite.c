/*
 * rewrite.c - the CONNECT rewriter: the same CONNECT with a new client
 * identifier, user name and/or password (see mqttparse.h).
 *
 * The input is decoded first (mqttp_decode_connect with the caller's
 * options), so only a CONNECT the parser accepts is ever rewritten, and the
 * decoded offsets say where each field lies. The output is assembled from
 * five pieces: the fixed header's first byte, the new remaining length,
 * the variable header (flags byte adjusted) plus everything up to the client
 * id, the client id, the span between the client id and the user name (will
 * properties, will topic, will payload), then user name and password. Every
 * piece is copied from the input or from a checked new value; nothing is
 * written before the total size is known to fit.
 */
#include <string.h>

#include "charclass.h"
#include "encode.h"

#define RW_MAX_FIELD 65535u

/* Fill *res with an error about <field>; always returns 0. */
static size_t rw_fail(struct mqttp_rewrite_result *res, enum mqttp_error e,
                      unsigned field, uint32_t off)
{
	res->error = (uint8_t)e;
	res->field = (uint8_t)field;
	res->error_offset = off;
	return 0;
}

/* One field of the output: either a copy of the input's value or a new
 * one; `present` says whether it is written at all. */
struct rw_piece {
	const uint8_t *ptr;
	size_t len;
	int present;
};

/* Resolve edit <e> of a field whose current value is <cur> in packet <pkt>.
 * Returns 0, or -1 for an unknown op. */
static int rw_resolve(const struct mqttp_rw_field *e, const struct mqttp_bytes *cur,
                      const uint8_t *pkt, struct rw_piece *out)
{
	switch (e->op) {
	case MQTTP_RW_KEEP:
		out->present = cur->present;
		out->ptr = pkt + cur->off;
		out->len = cur->present ? cur->len : 0;
		return 0;
	case MQTTP_RW_SET:
		out->present = 1;
		out->ptr = e->value;
		out->len = e->len;
		return 0;
	case MQTTP_RW_REMOVE:
		out->present = 0;
		out->ptr = NULL;
		out->len = 0;
		return 0;
	default:
		return -1;
	}
}

/* Write a 2-byte length and the bytes of a piece at o; returns the end. */
static uint8_t *rw_put_field(uint8_t *o, const struct rw_piece *pc)
{
	*o++ = (uint8_t)(pc->len >> 8);
	*o++ = (uint8_t)pc->len;
	if (pc->len)
		memcpy(o, pc->ptr, pc->len);
	return o + pc->len;
}

size_t mqttp_rewrite_connect(const void *in, size_t in_len,
                             const struct mqttp_options *opt,
                             const struct mqttp_rewrite *rw,
                             void *out, size_t cap,
                             struct mqttp_rewrite_result *res)
{
	const uint8_t *pkt = (const uint8_t *)in;
	struct mqttp_options o;
	struct mqttp_connect c;
	struct mqttp_result dr;
	struct rw_piece cid, user, pass;
	enum mqttp_status st;
	enum mqttp_error e;
	uint32_t hl, flags_off, cid_len_off, mid_start, mid_end, length;
	uint64_t rl, total;
	uint8_t flags, *op;
	size_t at = 0;
	unsigned ctl;

	res->error = MQTTP_E_NONE;
	res->field = 0;
	res->error_offset = 0;
	res->in_length = 0;
	if (opt)
		o = *opt;
	else
		mqttp_options_default(&o);
	ctl = o.lenient & MQTTP_LENIENT_CONTROL_CHARS;

	/* 1. The input: a whole CONNECT the parser accepts. */
	if (!pkt && in_len)
		return rw_fail(res, MQTTP_E_TRUNCATED, 0, 0);
	st = mqttp_decode_connect(pkt, in_len, &o, &c, &dr);
	if (st == MQTTP_NEED_MORE)
		return rw_fail(res, MQTTP_E_TRUNCATED, 0, (uint32_t)in_len);
	if (st != MQTTP_DONE)
		return rw_fail(res, (enum mqttp_error)dr.error, 0, dr.error_offset);
	length = dr.length;
	res->in_length = length;

	/* 2. The edits. */
	if (rw_resolve(&rw->client_id, &c.client_id, pkt, &cid) < 0)
		return rw_fail(res, MQTTP_E_PACKET_LENGTH, MQTTP_F_CLIENT_ID, 0);
	if (rw->client_id.op == MQTTP_RW_REMOVE) {
		cid.present = 1; /* the client id always exists: REMOVE = empty */
		cid.ptr = NULL;
	}
	if (rw_resolve(&rw->username, &c.username, pkt, &user) < 0)
		return rw_fail(res, MQTTP_E_PACKET_LENGTH, MQTTP_F_USERNAME, 0);
	if (rw_resolve(&rw->password, &c.password, pkt, &pass) < 0)
		return rw_fail(res, MQTTP_E_PACKET_LENGTH, MQTTP_F_PASSWORD, 0);
	if ((rw->client_id.op == MQTTP_RW_SET && !cid.ptr && cid.len) ||
	    (rw->username.op == MQTTP_RW_SET && !user.ptr && user.len) ||
	    (rw->password.op == MQTTP_RW_SET && !pass.ptr && pass.len))
		return rw_fail(res, MQTTP_E_TRUNCATED,
		               rw->client_id.op == MQTTP_RW_SET && !cid.ptr && cid.len ? MQTTP_F_CLIENT_ID :
		               rw->username.op == MQTTP_RW_SET && !user.ptr && user.len ? MQTTP_F_USERNAME :
		               MQTTP_F_PASSWORD, 0);

	/* 3. Values that a 2-byte length cannot carry. */
	if (cid.len > RW_MAX_FIELD)
		return rw_fail(res, MQTTP_E_CLIENT_ID_TOO_LONG, MQTTP_F_CLIENT_ID, 0);
	if (user.len > RW_MAX_FIELD)
		return rw_fail(res, MQTTP_E_PACKET_TOO_LARGE, MQTTP_F_USERNAME, 0);
	if (pass.len > RW_MAX_FIELD)
		return rw_fail(res, MQTTP_E_PACKET_TOO_LARGE, MQTTP_F_PASSWORD, 0);

	/* 4. Where the pieces lie in the input. */
	/* header: the type byte, then the remaining length (validated: it
	 * ends within 4 bytes) */
	for (hl = 1; pkt[hl] & 0x80; hl++)
		;
	hl++;
	flags_off = c.protocol_name.off + c.protocol_name.len + 1;
	cid_len_off = c.client_id.off - 2;
	mid_start = c.client_id.off + c.client_id.len;
	mid_end = c.username.present ? c.username.off - 2
	        : c.password.present ? c.password.off - 2 : length;

	/* 5. The size of the result. */
	rl = (uint64_t)(cid_len_off - hl) + 2 + cid.len + (mid_end - mid_start) +
	     (user.present ? 2 + (uint64_t)user.len : 0) + (pass.present ? 2 + (uint64_t)pass.len : 0);
	if (rl > MQTTP_MAX_REMAINING_LENGTH)
		return rw_fail(res, MQTTP_E_PACKET_TOO_LARGE, 0, 0);
	total = 1 + mqttp__vbi_len((uint32_t)rl) + rl;
	if (o.max_packet_size && total > o.max_packet_size)
		return rw_fail(res, MQTTP_E_PACKET_TOO_LARGE, 0, 0);

	/* 6. Flags: user name and password bits follow the fields. */
	flags = (uint8_t)(pkt[flags_off] & ~(MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD));
	if (user.present)
		flags |= MQTTP_CF_USERNAME;
	if (pass.present)
		flags |= MQTTP_CF_PASSWORD;
	if (MQTTP__CONNECT_FLAGS_ERROR(flags, c.version == MQTTP_V5,
	                               o.lenient & MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME) == MQTTP_E_PASSWORD_FLAG)
		return rw_fail(res, MQTTP_E_PASSWORD_FLAG,
		               rw->username.op == MQTTP_RW_REMOVE ? MQTTP_F_USERNAME : MQTTP_F_PASSWORD, 0);

	/* 7. The new values, by the parser's rules for their field. */
	if (rw->client_id.op != MQTTP_RW_KEEP) {
		e = MQTTP__CLIENT_ID_ERROR(c.version, c.flags, (uint32_t)cid.len,
		                           o.lenient & MQTTP_LENIENT_V31_LONG_CLIENT_ID, o.max_client_id_len);
		if (e != MQTTP_E_NONE)
			return rw_fail(res, e, MQTTP_F_CLIENT_ID, 0);
		e = mqttp__utf8_check(cid.ptr, cid.len, ctl, &at);
		if (e != MQTTP_E_NONE)
			return rw_fail(res, e, MQTTP_F_CLIENT_ID, (uint32_t)at);
	}
	if (rw->username.op == MQTTP_RW_SET) {
		e = mqttp__utf8_check(user.ptr, user.len, ctl, &at);
		if (e != MQTTP_E_NONE)
			return rw_fail(res, e, MQTTP_F_USERNAME, (uint32_t)at);
	}

	/* 8. Write, once it is known to fit. */
	if (total > cap)
		return (size_t)total;
	op = (uint8_t *)out;
	*op++ = pkt[0];
	op += mqttp__put_vbi(op, (size_t)rl);
	memcpy(op, pkt + hl, flags_off - hl);
	op += flags_off - hl;
	*op++ = flags;
	memcpy(op, pkt + flags_off + 1, cid_len_off - flags_off - 1);
	op += cid_len_off - flags_off - 1;
	op = rw_put_field(op, &cid);
	memcpy(op, pkt + mid_start, mid_end - mid_start);
	op += mid_end - mid_start;
	if (user.present)
		op = rw_put_field(op, &user);
	if (pass.present)
		op = rw_put_field(op, &pass);
	return (size_t)total;
}
