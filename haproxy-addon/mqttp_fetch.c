/*
 * mqttp_fetch.c - the MQTT sample fetches (req.mqtt_*, res.mqtt_*,
 * mqtt_parse_*) for HAProxy in TCP mode. Every answer comes from the
 * stream's MQTT session (mqttp_session.c): the first packet of each
 * direction, parsed once as its bytes arrive.
 */

#include <stdio.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/arg.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/global.h>
#include <haproxy/sample.h>
#include <haproxy/stream.h>
#include <haproxy/tools.h>

#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttcodec.h>

/* The first packet's state of <dir> of stream <s> after feeding it the new
 * bytes, with field offsets when <fields> is set; NULL without a session. */
static inline struct mqa_dir *mqa_get_f(struct stream *s, unsigned int dir, int fields)
{
	return mqa_session_dir(s, mqa_session_get(s), dir, fields);
}

/* mqa_get_f() for what the parser keeps itself (no field offsets). */
static struct mqa_dir *mqa_get(struct stream *s, unsigned int dir)
{
	return mqa_get_f(s, dir, 0);
}

/* Bytes of the first packet of <dir> (see mqa_session_bytes). */
static int mqa_bytes(const struct mqa_dir *st, struct stream *s, unsigned int dir,
                     uint32_t off, uint32_t len, const char **ptr)
{
	const struct mqa_session *ms = mqa_session_get(s);

	return ms ? mqa_session_bytes(s, ms, dir, off, len, ptr) : 0;
}

/* Returns true when more bytes may still arrive on the channel of <dir>. */
static int mqa_may_grow(struct stream *s, unsigned int dir)
{
	struct channel *chn = dir ? &s->res : &s->req;

	return channel_may_recv(chn) && !channel_input_closed(chn);
}

/* Common tail of a fetch whose data is not there: "may change" while bytes
 * can still arrive and the packet is not known invalid, else a final "not
 * found". Returns 0. */
static int mqa_missing(struct sample *smp, const struct mqa_dir *st, unsigned int dir)
{
	smp->flags &= ~SMP_F_MAY_CHANGE;
	if (st && st->pp->status == MQTTP_NEED_MORE && mqa_may_grow(smp->strm, dir))
		smp->flags |= SMP_F_MAY_CHANGE;
	return 0;
}

/* Makes <smp> a string/binary sample of <len> bytes at <ptr>, in place:
 * size 0 and CONST, as req.payload does: the byte after the value may be
 * past the buffer's end, so HAProxy must copy before it NUL-terminates or
 * modifies the value. */
static void mqa_smp_bytes(struct sample *smp, int type, const uint8_t *ptr, size_t len)
{
	smp->data.type = type;
	smp->flags = SMP_F_VOL_TEST | SMP_F_CONST;
	smp->data.u.str.area = (char *)(ptr ? ptr : (const uint8_t *)"");
	smp->data.u.str.data = len;
	smp->data.u.str.size = 0;
	smp->data.u.str.head = 0;
}

/* Fills <smp> with the value at <sp> as a string or binary sample of
 * <type>. Returns 1, or 0 (final) when the bytes left the buffer. */
static int mqa_smp_span(struct sample *smp, const struct mqa_dir *st, unsigned int dir,
                        const struct mqa_span *sp, int type)
{
	const char *ptr;

	if (!mqa_bytes(st, smp->strm, dir, sp->off, sp->len, &ptr)) {
		smp->flags &= ~SMP_F_MAY_CHANGE;
		return 0;
	}
	mqa_smp_bytes(smp, type, (const uint8_t *)ptr, sp->len);
	return 1;
}

/* Which connect flag announces each optional field (0: always present). */
static uint8_t mqa_fld_flag(int idx)
{
	switch (idx) {
	case MQA_WILL_TOPIC:
	case MQA_WILL_PAYLOAD: return MQTTP_CF_WILL;
	case MQA_USERNAME: return MQTTP_CF_USERNAME;
	case MQA_PASSWORD: return MQTTP_CF_PASSWORD;
	default: return 0;
	}
}

/* Options of req.mqtt_client_id([<option>]), stored by mqa_val_client_id
 * as an integer argument. */
#define MQA_OPT_NONEMPTY 1

/* req.mqtt_client_id([nonempty]): the client id, kept by the parser itself
 * (no field events needed). A fetch of its own, for speed: balance, stick
 * and the rules evaluate it several times per connection. With "nonempty"
 * an empty id is a final "not found": "balance hash" then falls back to
 * round robin (get_server_expr()), which spreads empty ids instead of
 * hashing them all to one server. */
static int smp_fetch_mqtt_client_id(const struct arg *args, struct sample *smp,
                                    const char *kw, void *private)
{
	struct mqa_session *ms = mqa_session_get(smp->strm);
	struct mqa_dir *st = mqa_session_dir(smp->strm, ms, 0, 0);
	struct mqa_span id;
	const char *ptr;
	size_t len;

	if (!st || st->pp->status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	if (!(st->pp->have & MQTTP_HAVE_CLIENT_ID))
		return mqa_missing(smp, st->pp->status == MQTTP_DONE ? NULL : st, 0);
	id.off = st->pp->client_id_off;
	id.len = st->pp->client_id_len;
	id.done = 1;
	if (!id.len && args && args[0].type == ARGT_SINT && args[0].data.sint == MQA_OPT_NONEMPTY)
		return mqa_missing(smp, NULL, 0);
	/* kept by the session: answers after the CONNECT was forwarded */
	if (st->pp->status == MQTTP_DONE && mqa_session_kept(ms, MQA_KEPT_ID, &ptr, &len)) {
		mqa_smp_bytes(smp, SMP_T_STR, (const uint8_t *)ptr, len);
		return 1;
	}
	return mqa_smp_span(smp, st, 0, &id, SMP_T_STR);
}

/* req.mqtt_username, req.mqtt_password, req.mqtt_proto_name,
 * req.mqtt_will_topic, req.mqtt_will_payload: a string or binary field of
 * the CONNECT, as soon as it is complete and checked. <private> is the enum
 * mqa_fld index. */
static int smp_fetch_mqtt_str(const struct arg *args, struct sample *smp,
                              const char *kw, void *private)
{
	int idx = (int)(long)private;
	struct mqa_dir *st = mqa_get_f(smp->strm, 0, 1);
	uint8_t flag = mqa_fld_flag(idx);
	int type = (idx == MQA_PASSWORD || idx == MQA_WILL_PAYLOAD) ? SMP_T_BIN : SMP_T_STR;
	const char *ptr;
	size_t len;

	if (!st || st->pp->status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	/* the user name kept by the session answers after the CONNECT left */
	if (idx == MQA_USERNAME && st->pp->status == MQTTP_DONE &&
	    mqa_session_kept(mqa_session_get(smp->strm), MQA_KEPT_USER, &ptr, &len)) {
		mqa_smp_bytes(smp, SMP_T_STR, (const uint8_t *)ptr, len);
		return 1;
	}
	if (!st->fields) /* located once the CONNECT is complete */
		return mqa_missing(smp, st->pp->status == MQTTP_NEED_MORE ? st : NULL, 0);
	if (st->f[idx].done)
		return mqa_smp_span(smp, st, 0, &st->f[idx], type);
	/* absent: the connect flags say it will not come */
	if (flag && (st->pp->have & MQTTP_HAVE_FLAGS) && !(st->pp->connect_flags & flag))
		return mqa_missing(smp, NULL, 0);
	if (st->pp->status == MQTTP_DONE)
		return mqa_missing(smp, NULL, 0);
	return mqa_missing(smp, st, 0);
}

/* Integer and boolean fields of the CONNECT header (private selects). */
enum mqa_num {
	MQA_N_VERSION, MQA_N_BRIDGE, MQA_N_CLEAN_START, MQA_N_KEEPALIVE,
	MQA_N_WILL_QOS, MQA_N_WILL_RETAIN
};

/* req.mqtt_proto_version, req.mqtt_bridge, req.mqtt_clean_start,
 * req.mqtt_keepalive, req.mqtt_will_qos, req.mqtt_will_retain. */
static int smp_fetch_mqtt_num(const struct arg *args, struct sample *smp,
                              const char *kw, void *private)
{
	int which = (int)(long)private;
	struct mqa_dir *st = mqa_get(smp->strm, 0);
	unsigned int need;
	long long v;

	if (!st || st->pp->status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	need = (which == MQA_N_VERSION || which == MQA_N_BRIDGE) ? MQTTP_HAVE_VERSION :
	       (which == MQA_N_KEEPALIVE) ? MQTTP_HAVE_KEEP_ALIVE : MQTTP_HAVE_FLAGS;
	if (!(st->pp->have & need))
		return mqa_missing(smp, st, 0);
	switch (which) {
	case MQA_N_VERSION: v = st->pp->version; break;
	case MQA_N_BRIDGE: v = st->pp->bridge != 0; break;
	case MQA_N_CLEAN_START: v = !!(st->pp->connect_flags & MQTTP_CF_CLEAN_START); break;
	case MQA_N_KEEPALIVE: v = st->pp->keep_alive; break;
	case MQA_N_WILL_QOS: v = (st->pp->connect_flags & MQTTP_CF_WILL_QOS_MASK) >> 3; break;
	default: v = !!(st->pp->connect_flags & MQTTP_CF_WILL_RETAIN); break;
	}
	smp->flags = 0;
	if (which == MQA_N_BRIDGE || which == MQA_N_CLEAN_START || which == MQA_N_WILL_RETAIN)
		smp->data.type = SMP_T_BOOL;
	else
		smp->data.type = SMP_T_SINT;
	smp->data.u.sint = v;
	return 1;
}

/* Verdict fetches (private selects). */
enum mqa_verdict { MQA_V_VALID, MQA_V_ERROR, MQA_V_REASON };

/* The code a broker answers for the state's error, for the client's
 * version: a 5.0 reason code, a 3.1/3.1.1 return code, or -1 for "close
 * without CONNACK" (3.1.1 malformed packets, [MQTT-3.1.4-1]). */
static int mqa_error_code(const struct mqa_dir *st)
{
	enum mqttp_error e = (enum mqttp_error)st->pp->error;

	if ((st->pp->have & MQTTP_HAVE_VERSION) && st->pp->version == MQTTP_V5)
		return mqttp_error_reason_code(e);
	return mqttp_error_return_code(e);
}

/* req.mqtt_is_valid, req.mqtt_error, req.mqtt_reason_code: the parser's
 * verdict on the CONNECT. They need the whole packet (or an error). */
static int smp_fetch_mqtt_verdict(const struct arg *args, struct sample *smp,
                                  const char *kw, void *private)
{
	int which = (int)(long)private;
	struct mqa_dir *st = mqa_get(smp->strm, 0);

	if (!st)
		return mqa_missing(smp, NULL, 0);
	if (st->pp->status == MQTTP_NEED_MORE)
		return mqa_missing(smp, st, 0);
	smp->flags = 0;
	switch (which) {
	case MQA_V_VALID:
		smp->data.type = SMP_T_BOOL;
		smp->data.u.sint = st->pp->status == MQTTP_DONE;
		return 1;
	case MQA_V_ERROR:
		if (st->pp->status != MQTTP_ERROR)
			return 0;
		smp->data.type = SMP_T_STR;
		smp->flags = SMP_F_CONST;
		smp->data.u.str.area = (char *)mqttp_error_name((enum mqttp_error)st->pp->error);
		smp->data.u.str.data = strlen(smp->data.u.str.area);
		smp->data.u.str.size = smp->data.u.str.data + 1;
		smp->data.u.str.head = 0;
		return 1;
	default:
		smp->data.type = SMP_T_SINT;
		smp->data.u.sint = st->pp->status == MQTTP_DONE ? 0 : mqa_error_code(st);
		return 1;
	}
}

/* Looks property <id> up in a validated property block. Fills the sample
 * (integer, string or binary). Returns 1 if found, 0 if not. */
static int mqa_prop_sample(struct sample *smp, const uint8_t *blk, size_t len, unsigned int id)
{
	const struct mqttp_property_info *pi = mqttp_property_info(id);
	size_t pos = 0;
	uint8_t pid;
	uint32_t num;
	const uint8_t *a, *b;
	uint16_t alen, blen;

	while (mqttp_property_next(blk, len, &pos, &pid, &num, &a, &alen, &b, &blen) == 1) {
		if (pid != id)
			continue;
		if (pi->type == MQTTP_PT_STRING || pi->type == MQTTP_PT_BINARY) {
			mqa_smp_bytes(smp, pi->type == MQTTP_PT_STRING ? SMP_T_STR : SMP_T_BIN, a, alen);
		} else {
			smp->flags = 0;
			smp->data.type = SMP_T_SINT;
			smp->data.u.sint = num;
		}
		return 1;
	}
	return 0;
}

/* Finds the first user property whose key is <key> in a validated block.
 * Returns 1 with its value in the sample, 0 if none. */
static int mqa_user_prop_sample(struct sample *smp, const uint8_t *blk, size_t len,
                                const struct buffer *key)
{
	size_t pos = 0;
	uint8_t pid;
	uint32_t num;
	const uint8_t *a, *b;
	uint16_t alen, blen;

	while (mqttp_property_next(blk, len, &pos, &pid, &num, &a, &alen, &b, &blen) == 1) {
		if (pid != 0x26 || alen != key->data || (alen && memcmp(a, key->area, alen) != 0))
			continue;
		mqa_smp_bytes(smp, SMP_T_STR, b, blen);
		return 1;
	}
	return 0;
}

/* Gets the property block <idx> of <st> if it is complete and still in the
 * buffer. Returns 1 with the block, else 0 (mqa_block_may_come() tells
 * whether waiting could help). */
static int mqa_block(struct sample *smp, struct mqa_dir *st, unsigned int dir, int idx,
                     const uint8_t **blk, size_t *len)
{
	const char *ptr;
	int done;

	if (st->pp->status == MQTTP_ERROR || !st->fields)
		return 0;
	if (st->pp->version != MQTTP_V5 && (st->pp->have & MQTTP_HAVE_VERSION))
		return 0; /* no properties before 5.0 */
	if (dir)
		done = st->pp->status == MQTTP_DONE && st->f[idx].done;
	else if (idx == MQA_WILL_PROPS)
		done = st->will_props_done && st->f[idx].done;
	else
		done = st->props_done && st->f[idx].done;
	if (!done)
		return 0;
	if (!mqa_bytes(st, smp->strm, dir, st->f[idx].off, st->f[idx].len, &ptr))
		return 0;
	*blk = (const uint8_t *)ptr;
	*len = st->f[idx].len;
	return 1;
}

/* Tells whether the property block <idx> can still come. */
static int mqa_block_may_come(const struct mqa_dir *st, unsigned int dir, int idx)
{
	if (st->pp->status != MQTTP_NEED_MORE)
		return 0;
	if (st->pp->have & MQTTP_HAVE_VERSION) {
		if (st->pp->version != MQTTP_V5)
			return 0;
		if (idx == MQA_WILL_PROPS && (st->pp->have & MQTTP_HAVE_FLAGS) &&
		    !(st->pp->connect_flags & MQTTP_CF_WILL))
			return 0;
	}
	return 1;
}

/* req.mqtt_prop(<name>) / res.mqtt_prop(<name>): a 5.0 property of the
 * CONNECT (or its will properties) / the CONNACK. args[0] holds the id,
 * plus 0x100 for a will property (set by mqa_val_prop_*). */
static int smp_fetch_mqtt_prop(const struct arg *args, struct sample *smp,
                               const char *kw, void *private)
{
	unsigned int dir = (unsigned int)(long)private;
	unsigned int id = (unsigned int)args[0].data.sint & 0xff;
	int idx = (args[0].data.sint & 0x100) ? MQA_WILL_PROPS : MQA_PROPS;
	struct mqa_dir *st = mqa_get_f(smp->strm, dir, 1);
	const uint8_t *blk;
	size_t len;

	if (!st)
		return mqa_missing(smp, NULL, dir);
	if (mqa_block(smp, st, dir, idx, &blk, &len))
		return mqa_prop_sample(smp, blk, len, id);
	return mqa_missing(smp, mqa_block_may_come(st, dir, idx) ? st : NULL, dir);
}

/* req.mqtt_user_prop(<key>): the value of the first CONNECT user property
 * whose key is <key>. */
static int smp_fetch_mqtt_user_prop(const struct arg *args, struct sample *smp,
                                    const char *kw, void *private)
{
	struct mqa_dir *st = mqa_get_f(smp->strm, 0, 1);
	const uint8_t *blk;
	size_t len;

	if (!st)
		return mqa_missing(smp, NULL, 0);
	if (mqa_block(smp, st, 0, MQA_PROPS, &blk, &len))
		return mqa_user_prop_sample(smp, blk, len, &args[0].data.str);
	return mqa_missing(smp, mqa_block_may_come(st, 0, MQA_PROPS) ? st : NULL, 0);
}

/* CONNACK fetches (private selects). */
enum mqa_connack { MQA_C_CODE, MQA_C_SESSION_PRESENT, MQA_C_ASSIGNED_ID };

/* res.mqtt_connack_code, res.mqtt_session_present,
 * res.mqtt_assigned_client_id: fields of the broker's CONNACK. */
static int smp_fetch_mqtt_connack(const struct arg *args, struct sample *smp,
                                  const char *kw, void *private)
{
	int which = (int)(long)private;
	const struct mqa_session *ms;
	struct mqa_dir *st;
	const uint8_t *blk;
	size_t len;

	/* A broker assigns an id only to a client that sent an empty one (5.0,
	 * 3.2.2.3.7): for the others the answer is known without the CONNACK,
	 * so a response rule waiting on it does not wait (basic.cfg), and
	 * their CONNACK is not parsed (res.mqtt_prop still reads the raw
	 * property) */
	if (which == MQA_C_ASSIGNED_ID && (ms = mqa_session_get(smp->strm)) && ms->d[0].started &&
	    ms->d[0].pp && (ms->d[0].pp->have & MQTTP_HAVE_CLIENT_ID) && ms->d[0].pp->client_id_len)
		return mqa_missing(smp, NULL, 1);
	st = mqa_get(smp->strm, 1);
	if (!st || st->pp->status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 1);
	if (which == MQA_C_ASSIGNED_ID) {
		if (mqa_block(smp, st, 1, MQA_PROPS, &blk, &len))
			return mqa_prop_sample(smp, blk, len, 0x12);
		return mqa_missing(smp, mqa_block_may_come(st, 1, MQA_PROPS) ? st : NULL, 1);
	}
	if (!(st->pp->have & MQTTP_HAVE_CONNACK))
		return mqa_missing(smp, st, 1);
	smp->flags = 0;
	if (which == MQA_C_CODE) {
		smp->data.type = SMP_T_SINT;
		smp->data.u.sint = st->pp->reason_code;
	} else {
		smp->data.type = SMP_T_BOOL;
		smp->data.u.sint = st->pp->connack_flags & 1;
	}
	return 1;
}

/* mqtt_parse_bytes / mqtt_parse_states: process-wide counters of bytes fed
 * to the parser and of sessions whose CONNECT was parsed, to verify that the parse is
 * incremental (they do not depend on how many fetches ran). */
static int smp_fetch_mqtt_counter(const struct arg *args, struct sample *smp,
                                  const char *kw, void *private)
{
	smp->flags = SMP_F_VOL_TEST;
	smp->data.type = SMP_T_SINT;
	smp->data.u.sint = (long long)(private ? mqa_session_count() : mqa_session_bytes_fed());
	return 1;
}

/* Lists the property names usable in <where> (MQTTP_IN_*) into *out. */
static void mqa_prop_names(char **out, unsigned int where)
{
	const struct mqttp_property_info *pi;
	unsigned int id;

	for (id = 1; id < 0x80; id++) {
		pi = mqttp_property_info(id);
		if (!pi || !(pi->where & where) || pi->type == MQTTP_PT_STRING_PAIR)
			continue;
		memprintf(out, "%s%s%s", *out ? *out : "", *out ? ", " : "", pi->name);
	}
}

/* Checks and converts the property name argument of mqtt_prop for the
 * packet kinds in <where>. Returns 1 if OK, 0 with *err set. */
static int mqa_val_prop(struct arg *arg, char **err, unsigned int where, const char *kw)
{
	const struct mqttp_property_info *pi;
	char *names = NULL;
	long long v;

	pi = mqttp_property_by_name(arg[0].data.str.area, arg[0].data.str.data);
	if (pi && pi->type == MQTTP_PT_STRING_PAIR) {
		memprintf(err, "%s: 'user_property' has a key and a value: use req.mqtt_user_prop(<key>)", kw);
		return 0;
	}
	if (!pi || !(pi->where & where)) {
		mqa_prop_names(&names, where);
		memprintf(err, "%s: unknown %s property '%s'; expects one of: %s", kw,
		          (where & MQTTP_IN_CONNACK) ? "CONNACK" : "CONNECT or will",
		          arg[0].data.str.area, names ? names : "");
		ha_free(&names);
		return 0;
	}
	v = pi->id;
	if (!(pi->where & MQTTP_IN_CONNECT) && (pi->where & MQTTP_IN_WILL) && !(where & MQTTP_IN_CONNACK))
		v |= 0x100;
	chunk_destroy(&arg[0].data.str);
	arg[0].type = ARGT_SINT;
	arg[0].data.sint = v;
	return 1;
}

/* val_args of req.mqtt_client_id: the only option is "nonempty", turned
 * into MQA_OPT_NONEMPTY. Returns 1 if OK, 0 with *err set. */
static int mqa_val_client_id(struct arg *arg, char **err)
{
	if (arg[0].type == ARGT_STOP)
		return 1; /* no option */
	if (arg[0].type != ARGT_STR || strcmp(arg[0].data.str.area, "nonempty") != 0) {
		memprintf(err, "req.mqtt_client_id: unknown option '%s'; the only option is "
		          "'nonempty' (an empty client id is then \"not found\")",
		          arg[0].type == ARGT_STR ? arg[0].data.str.area : "?");
		return 0;
	}
	chunk_destroy(&arg[0].data.str);
	arg[0].type = ARGT_SINT;
	arg[0].data.sint = MQA_OPT_NONEMPTY;
	return 1;
}

/* val_args of req.mqtt_prop. */
static int mqa_val_prop_req(struct arg *arg, char **err)
{
	return mqa_val_prop(arg, err, MQTTP_IN_CONNECT | MQTTP_IN_WILL, "req.mqtt_prop");
}

/* val_args of res.mqtt_prop. */
static int mqa_val_prop_res(struct arg *arg, char **err)
{
	return mqa_val_prop(arg, err, MQTTP_IN_CONNACK, "res.mqtt_prop");
}

/* ------------------------------------------------------------------------
 * Registration
 * --------------------------------------------------------------------- */

#define MQA_L6REQ SMP_USE_L6REQ
#define MQA_L6RES SMP_USE_L6RES

static struct sample_fetch_kw_list mqa_fetch_kws = {ILH, {
	{ "req.mqtt_client_id",    smp_fetch_mqtt_client_id, ARG1(0,STR), mqa_val_client_id, SMP_T_STR, MQA_L6REQ, 0, NULL },
	{ "req.mqtt_username",     smp_fetch_mqtt_str,  0, NULL, SMP_T_STR,  MQA_L6REQ, 0, (void *)(long)MQA_USERNAME },
	{ "req.mqtt_password",     smp_fetch_mqtt_str,  0, NULL, SMP_T_BIN,  MQA_L6REQ, 0, (void *)(long)MQA_PASSWORD },
	{ "req.mqtt_proto_name",   smp_fetch_mqtt_str,  0, NULL, SMP_T_STR,  MQA_L6REQ, 0, (void *)(long)MQA_PROTO_NAME },
	{ "req.mqtt_will_topic",   smp_fetch_mqtt_str,  0, NULL, SMP_T_STR,  MQA_L6REQ, 0, (void *)(long)MQA_WILL_TOPIC },
	{ "req.mqtt_will_payload", smp_fetch_mqtt_str,  0, NULL, SMP_T_BIN,  MQA_L6REQ, 0, (void *)(long)MQA_WILL_PAYLOAD },
	{ "req.mqtt_proto_version", smp_fetch_mqtt_num, 0, NULL, SMP_T_SINT, MQA_L6REQ, 0, (void *)(long)MQA_N_VERSION },
	{ "req.mqtt_bridge",       smp_fetch_mqtt_num,  0, NULL, SMP_T_BOOL, MQA_L6REQ, 0, (void *)(long)MQA_N_BRIDGE },
	{ "req.mqtt_clean_start",  smp_fetch_mqtt_num,  0, NULL, SMP_T_BOOL, MQA_L6REQ, 0, (void *)(long)MQA_N_CLEAN_START },
	{ "req.mqtt_keepalive",    smp_fetch_mqtt_num,  0, NULL, SMP_T_SINT, MQA_L6REQ, 0, (void *)(long)MQA_N_KEEPALIVE },
	{ "req.mqtt_will_qos",     smp_fetch_mqtt_num,  0, NULL, SMP_T_SINT, MQA_L6REQ, 0, (void *)(long)MQA_N_WILL_QOS },
	{ "req.mqtt_will_retain",  smp_fetch_mqtt_num,  0, NULL, SMP_T_BOOL, MQA_L6REQ, 0, (void *)(long)MQA_N_WILL_RETAIN },
	{ "req.mqtt_prop",         smp_fetch_mqtt_prop, ARG1(1,STR), mqa_val_prop_req, SMP_T_STR, MQA_L6REQ, 0, (void *)0L },
	{ "req.mqtt_user_prop",    smp_fetch_mqtt_user_prop, ARG1(1,STR), NULL, SMP_T_STR, MQA_L6REQ, 0, NULL },
	{ "req.mqtt_is_valid",     smp_fetch_mqtt_verdict, 0, NULL, SMP_T_BOOL, MQA_L6REQ, 0, (void *)(long)MQA_V_VALID },
	{ "req.mqtt_error",        smp_fetch_mqtt_verdict, 0, NULL, SMP_T_STR,  MQA_L6REQ, 0, (void *)(long)MQA_V_ERROR },
	{ "req.mqtt_reason_code",  smp_fetch_mqtt_verdict, 0, NULL, SMP_T_SINT, MQA_L6REQ, 0, (void *)(long)MQA_V_REASON },
	{ "res.mqtt_connack_code", smp_fetch_mqtt_connack, 0, NULL, SMP_T_SINT, MQA_L6RES, 0, (void *)(long)MQA_C_CODE },
	{ "res.mqtt_session_present", smp_fetch_mqtt_connack, 0, NULL, SMP_T_BOOL, MQA_L6RES, 0, (void *)(long)MQA_C_SESSION_PRESENT },
	{ "res.mqtt_assigned_client_id", smp_fetch_mqtt_connack, 0, NULL, SMP_T_STR, MQA_L6RES, 0, (void *)(long)MQA_C_ASSIGNED_ID },
	{ "res.mqtt_prop",         smp_fetch_mqtt_prop, ARG1(1,STR), mqa_val_prop_res, SMP_T_STR, MQA_L6RES, 0, (void *)1L },
	{ "mqtt_parse_bytes",      smp_fetch_mqtt_counter, 0, NULL, SMP_T_SINT, SMP_USE_CONST, 0, NULL },
	{ "mqtt_parse_states",     smp_fetch_mqtt_counter, 0, NULL, SMP_T_SINT, SMP_USE_CONST, 0, (void *)1L },
	{ /* END */ },
}};

INITCALL1(STG_REGISTER, sample_register_fetches, &mqa_fetch_kws);
/* Reports the addon and the library (header and run-time versions) in
 * "haproxy -vv". */
static void mqa_register_build_opts(void)
{
	char *s = NULL;

	memprintf(&s, "Built with the MQTT addon: libmqttparse %s (run-time %s), "
	          "stream filter mqtt", MQTTP_VERSION_STRING, mqttp_version());
	if (s)
		hap_register_build_opts(s, 1);
}

INITCALL0(STG_REGISTER, mqa_register_build_opts);
