/*
 * mqttp_session.c - the MQTT session of a stream: the parse of the first
 * packet of each direction (CONNECT, CONNACK), plain or inside the
 * client's WebSocket frames.
 *
 * The session is the "mqtt" filter's context (mqttp_filter.c), so it lives
 * exactly as long as the stream. It remembers how many bytes of each
 * channel it has consumed: every caller (a fetch as rules run, the filter
 * as bytes are forwarded) feeds only the bytes that arrived since, so N
 * fetches over M wake-ups cost O(bytes received), and the CONNECT is parsed
 * once per stream.
 */

#include <string.h>

#include <haproxy/api.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/pool.h>
#include <haproxy/proxy.h>
#include <haproxy/stream.h>

#include "mqttp_compat.h"
#include "mqttp_options.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttcodec.h>
#include <mqttws.h>

/* Set once a field fetch is in the configuration or was asked for. */
static int mqa_fields_wanted;

/* Counters shown by the mqtt_parse_bytes / mqtt_parse_states fetches:
 * CONNECT bytes fed, sessions parsed. */
static unsigned long long mqa_bytes_fed;
static unsigned long long mqa_sessions;

/* Answers for a direction that has not received a byte yet, made once
 * per thread: callers only read them. */
static THREAD_LOCAL struct mqa_dir mqa_blank[2];
static THREAD_LOCAL uint8_t mqa_blank_ready[2];

/* For speed: a request parser starts as a copy of this one (the options
 * are fixed once the configuration is read; the parser holds no pointer). */
static THREAD_LOCAL struct mqttp_parser mqa_req_tpl;
static THREAD_LOCAL uint8_t mqa_req_tpl_ready;

/* Frontends with a "tcp-request content mqtt-ws-handshake" rule. */
#define MQA_MAX_WS_FE 256
static const struct proxy *mqa_ws_fe[MQA_MAX_WS_FE];
static unsigned int mqa_nb_ws_fe;

int mqa_session_ws_frontend(const struct proxy *px)
{
	unsigned int i;

	for (i = 0; i < mqa_nb_ws_fe; i++)
		if (mqa_ws_fe[i] == px)
			return 1;
	if (mqa_nb_ws_fe == MQA_MAX_WS_FE)
		return 0;
	mqa_ws_fe[mqa_nb_ws_fe++] = px;
	return 1;
}

static int mqa_ws_enabled(const struct proxy *fe)
{
	unsigned int i;

	for (i = 0; i < mqa_nb_ws_fe; i++)
		if (mqa_ws_fe[i] == fe)
			return 1;
	return 0;
}

void mqa_session_want_fields(void)
{
	HA_ATOMIC_STORE(&mqa_fields_wanted, 1);
}

unsigned long long mqa_session_bytes_fed(void)
{
	return HA_ATOMIC_LOAD(&mqa_bytes_fed);
}

unsigned long long mqa_session_count(void)
{
	return HA_ATOMIC_LOAD(&mqa_sessions);
}

void mqa_session_init(struct mqa_session *ms, const struct stream *s)
{
	ms->ws_mode = mqa_ws_enabled(strm_fe(s)) ? MQA_WS_UNKNOWN : MQA_WS_PLAIN;
}

DECLARE_STATIC_POOL(pool_head_mqa_kept, "mqtt_kept", MQA_KEPT_MAX);

/* Forgets the kept values. */
static void mqa_kept_clear(struct mqa_kept *k)
{
	if (k->ext)
		pool_free(pool_head_mqa_kept, k->ext);
	memset(k, 0, sizeof(*k));
}

void mqa_session_release(struct mqa_session *ms)
{
	mqa_kept_clear(&ms->kept);
}

int mqa_session_kept(const struct mqa_session *ms, unsigned int which, const char **ptr,
                     size_t *len)
{
	const struct mqa_kept *k = &ms->kept;

	if (k->where[which] == MQA_KEPT_NO)
		return 0;
	*ptr = (k->where[which] == MQA_KEPT_IN ? k->in : k->ext) + k->off[which];
	*len = k->len[which];
	return 1;
}

/* The user name's offset and length in <t, tlen>: a valid CONNECT from its
 * client id (the parser's client_id_off) to its end, past the will fields
 * [MQTT-3.1.3-1]. 0 when it has none or its bytes are not all in <t>. */
static int mqa_user_span(const struct mqttp_parser *p, const uint8_t *t, uint32_t tlen,
                         uint32_t *off, uint32_t *len)
{
	uint32_t at = p->client_id_len, v;
	int i, sh;
	uint8_t b;

	if (!(p->connect_flags & MQTTP_CF_USERNAME))
		return 0;
	if (p->connect_flags & MQTTP_CF_WILL) {
		if (p->version == MQTTP_V5) {
			/* will property block: variable byte integer length */
			for (v = 0, i = 0, sh = 0; ; i++, sh += 7) {
				if (at >= tlen || i == 4)
					return 0;
				b = t[at++];
				v |= (uint32_t)(b & 0x7f) << sh;
				if (!(b & 0x80))
					break;
			}
			at += v;
		}
		for (i = 0; i < 2; i++) { /* will topic, will payload */
			if (at + 2 > tlen)
				return 0;
			at += 2 + ((uint32_t)t[at] << 8 | t[at + 1]);
		}
	}
	if (at + 2 > tlen)
		return 0;
	*len = (uint32_t)t[at] << 8 | t[at + 1];
	*off = at + 2;
	return *off + *len <= tlen;
}

/* Copies a value of <len> bytes at <v> as kept value <which>: inline when
 * it fits in what is left of in[], else in the pooled buffer. */
static void mqa_kept_put(struct mqa_kept *k, unsigned int which, const uint8_t *v, uint32_t len,
                         uint32_t *in_used)
{
	if (*in_used + len <= MQA_KEPT_INLINE) {
		memcpy(k->in + *in_used, v, len);
		k->off[which] = *in_used;
		k->where[which] = MQA_KEPT_IN;
		*in_used += len;
	} else if (len <= MQA_KEPT_MAX && !k->ext && (k->ext = pool_alloc(pool_head_mqa_kept))) {
		memcpy(k->ext, v, len);
		k->off[which] = 0;
		k->where[which] = MQA_KEPT_EXT;
	} else
		return; /* answered while the CONNECT is in the buffer */
	k->len[which] = len;
}

/* Keeps the client id and user name of the whole, valid CONNECT parsed by
 * <p>, whose bytes from its client id on are <t, tlen> (the client id at
 * least). */
static void mqa_keep(struct mqa_session *ms, const struct mqttp_parser *p, const uint8_t *t,
                     uint32_t tlen)
{
	struct mqa_kept *k = &ms->kept;
	uint32_t uoff = 0, ulen = 0, in_used = 0;
	int user;

	k->done = 1;
	if (p->type != MQTTP_CONNECT || !(p->have & MQTTP_HAVE_CLIENT_ID) || tlen < p->client_id_len)
		return;
	user = mqa_user_span(p, t, tlen, &uoff, &ulen);
	/* the shorter first, so that both fit inline whenever they can */
	if (user && ulen < p->client_id_len) {
		mqa_kept_put(k, MQA_KEPT_USER, t + uoff, ulen, &in_used);
		user = 0;
	}
	mqa_kept_put(k, MQA_KEPT_ID, t, p->client_id_len, &in_used);
	if (user)
		mqa_kept_put(k, MQA_KEPT_USER, t + uoff, ulen, &in_used);
}

/* The request's first packet just ended valid: its small values are kept
 * while its bytes are still in the buffer. */
static void mqa_keep_buf(struct stream *s, struct mqa_session *ms, const struct mqa_dir *d)
{
	const struct mqttp_parser *p = d->pp;
	uint32_t len = (uint32_t)p->header_len + p->remaining_length;
	const char *t;

	if (p->type != MQTTP_CONNECT || !(p->have & MQTTP_HAVE_CLIENT_ID) || p->client_id_off > len) {
		ms->kept.done = 1;
		return;
	}
	if (mqa_session_bytes(s, ms, 0, p->client_id_off, len - p->client_id_off, &t))
		mqa_keep(ms, p, (const uint8_t *)t, len - p->client_id_off);
	else if (mqa_session_bytes(s, ms, 0, p->client_id_off, p->client_id_len, &t))
		mqa_keep(ms, p, (const uint8_t *)t, p->client_id_len); /* the user name left */
	else
		ms->kept.done = 1;
}

/* Records a complete field of the first packet. Called by mqttp_feed()
 * for every field event. */
static void mqa_field_cb(void *ctx, const struct mqttp_field *f)
{
	struct mqa_dir *d = ctx;
	int idx = -1;

	switch (f->id) {
	case MQTTP_F_PROTOCOL_NAME: idx = MQA_PROTO_NAME; break;
	case MQTTP_F_CLIENT_ID:
		/* the client id follows the CONNECT property block; its own
		 * offsets are kept by the parser */
		d->props_done = 1;
		return;
	case MQTTP_F_WILL_TOPIC:
		d->will_props_done = 1;
		idx = MQA_WILL_TOPIC;
		break;
	case MQTTP_F_WILL_PAYLOAD: idx = MQA_WILL_PAYLOAD; break;
	case MQTTP_F_USERNAME: idx = MQA_USERNAME; break;
	case MQTTP_F_PASSWORD: idx = MQA_PASSWORD; break;
	case MQTTP_F_PROPERTIES:
		d->f[MQA_PROPS].off = f->off;
		d->f[MQA_PROPS].len = f->value;
		d->f[MQA_PROPS].done = 1;
		return;
	case MQTTP_F_WILL_PROPERTIES:
		d->f[MQA_WILL_PROPS].off = f->off;
		d->f[MQA_WILL_PROPS].len = f->value;
		d->f[MQA_WILL_PROPS].done = 1;
		return;
	default:
		return;
	}
	if (f->flags & MQTTP_FRAG_LAST) {
		d->f[idx].off = f->off;
		d->f[idx].len = f->len;
		d->f[idx].done = 1;
	}
}

/* The field callback of <d>: none while only what the parser keeps itself
 * (verdict, version, flags, keep alive, client id) is needed. */
static inline mqttp_field_cb mqa_cb(const struct mqa_dir *d)
{
	return d->fields ? mqa_field_cb : NULL;
}

/* Makes <d> record field offsets from now on (none recorded yet). */
static void mqa_fields_on(struct mqa_dir *d)
{
	memset(d->f, 0, sizeof(d->f));
	d->fields = 1;
}

/* Resets <d> to a fresh plain parser for direction <dir>; <version> is the
 * client's protocol version for the response direction (0 if unknown). */
static void mqa_dir_reset(struct mqa_dir *d, unsigned int dir, unsigned int version)
{
	struct mqttp_options opt;

	d->pos = d->fpos = d->at = d->pkts = d->bytes = 0;
	d->lost = d->props_done = d->will_props_done = d->need_version = d->fields = 0;
	d->ws = d->framing = 0;
	d->dir = (uint8_t)dir;
	d->pp = &d->p;
	if (!dir && mqa_req_tpl_ready) {
		d->p = mqa_req_tpl;
		return;
	}
	mqa_options_get(&opt); /* global mqtt-lenient, mqtt-max-* (mqttp_options.c) */
	opt.checks = dir ? MQTTP_CHECK_FROM_SERVER : MQTTP_CHECK_FROM_CLIENT;
	opt.version = (uint8_t)version;
	mqttp_init(&d->p, &opt);
	if (!dir) {
		mqa_req_tpl = d->p;
		mqa_req_tpl_ready = 1;
	}
}

/* Feeds <len> bytes at <data> to the plain parser of <d>; <count>: they
 * are the client's bytes (mqtt_parse_bytes), not the addon's own. */
static void mqa_feed(struct mqa_dir *d, const char *data, size_t len, int count)
{
	size_t used;

	while (len && d->pp->status == MQTTP_NEED_MORE) {
		used = 0;
		mqttp_feed(d->pp, data, len, &used, mqa_cb(d), d);
		d->pos += used;
		if (!d->dir && count)
			_HA_ATOMIC_ADD(&mqa_bytes_fed, (unsigned long long)used);
		data += used;
		len -= used;
		if (!used)
			break;
	}
}

/* Records the field offsets of the complete, valid CONNECT of <d>, parsed
 * without field events, from its bytes in the buffer (a one-shot decode,
 * nothing fed again). Leaves d->fields at 0 when they are not there. */
static void mqa_locate(struct stream *s, const struct mqa_session *ms, struct mqa_dir *d)
{
	uint32_t len = (uint32_t)d->pp->header_len + d->pp->remaining_length;
	struct mqttp_options opt;
	struct mqttp_connect c;
	struct mqttp_result r;
	const char *pkt;
	int i;
	struct { int idx; const struct mqttp_bytes *b; } map[] = {
		{ MQA_PROTO_NAME, &c.protocol_name },
		{ MQA_WILL_TOPIC, &c.will_topic }, { MQA_WILL_PAYLOAD, &c.will_payload },
		{ MQA_USERNAME, &c.username }, { MQA_PASSWORD, &c.password },
	};

	if (!mqa_session_bytes(s, ms, 0, 0, len, &pkt))
		return;
	mqa_options_get(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;
	if (mqttp_decode_connect(pkt, len, &opt, &c, &r) != MQTTP_DONE)
		return; /* cannot be: the parser accepted these bytes */
	mqa_fields_on(d);
	for (i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++) {
		d->f[map[i].idx].off = map[i].b->off;
		d->f[map[i].idx].len = map[i].b->len;
		d->f[map[i].idx].done = map[i].b->present;
	}
	if (c.version == MQTTP_V5) {
		d->f[MQA_PROPS].off = c.props.block.off;
		d->f[MQA_PROPS].len = c.props.block.len;
		d->f[MQA_PROPS].done = 1;
		d->f[MQA_WILL_PROPS].off = c.will_props.block.off;
		d->f[MQA_WILL_PROPS].len = c.will_props.block.len;
		d->f[MQA_WILL_PROPS].done = !!(c.flags & MQTTP_CF_WILL);
	}
	d->props_done = d->will_props_done = 1;
}

/* The first packet of a WebSocket direction ended in its frame reader:
 * its state moves to d->p, where it stays while the reader goes on. */
static void mqa_ws_first_done(struct mqa_dir *d)
{
	if (d->ws && d->pp != &d->p && d->pp->status != MQTTP_NEED_MORE) {
		d->p = *d->pp;
		d->pp = &d->p;
	}
}

/* The frames [d->pos, end) (buffer from <base>) through the library's
 * WebSocket-MQTT reader, until the first packet ends, an error or a
 * close (ms->ws_err for the client's frames). */
static void mqa_ws_feed(struct channel *chn, struct mqa_session *ms, struct mqa_dir *d,
                        unsigned long long base, unsigned long long end)
{
	struct buffer *scratch = get_trash_chunk();
	enum mqttp_ws_status st;
	const char *b1, *b2;
	size_t l1, l2, used, produced;

	while (d->pos < end && d->pp->status == MQTTP_NEED_MORE && !(ms->ws_err && !d->dir)) {
		if (b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, d->pos - base, end - d->pos) < 1)
			break;
		if (l1 > scratch->size)
			l1 = scratch->size;
		used = produced = 0;
		st = mqttp_ws_mqtt_feed(&d->fr.w, b1, l1, &used, (uint8_t *)scratch->area,
		                        scratch->size, &produced, mqa_cb(d), d);
		d->pos += used;
		if (!d->dir)
			_HA_ATOMIC_ADD(&mqa_bytes_fed, (unsigned long long)produced);
		if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE) {
			if (d->pp->status == MQTTP_NEED_MORE && !d->dir)
				ms->ws_err = st == MQTTP_WS_ERROR ? 1 : 2;
			else if (d->pp->status == MQTTP_NEED_MORE)
				d->lost = 1; /* the broker's frames say nothing more */
			break;
		}
		if (!used)
			break;
	}
	mqa_ws_first_done(d);
}

/* Starts the frame reader of direction <dir> (0: the client's masked
 * frames, 1: the broker's) for a client of protocol <version> (0 if
 * unknown). */
static void mqa_ws_start(struct mqa_dir *d, unsigned int dir, unsigned int version)
{
	struct mqttp_options opt;
	struct mqttp_ws_options wo;

	mqttp_ws_options_default(&wo);
	wo.role = dir ? MQTTP_WS_FROM_SERVER : MQTTP_WS_FROM_CLIENT;
	wo.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqa_options_get(&opt);
	opt.checks = dir ? MQTTP_CHECK_FROM_SERVER : MQTTP_CHECK_FROM_CLIENT;
	opt.version = (uint8_t)version;
	mqttp_ws_mqtt_init(&d->fr.w, &wo, &opt);
	d->ws = 1;
	d->pp = &d->fr.w.mqtt;
}

/* Decides whether the client speaks WebSocket: plain when its first byte
 * is a CONNECT's, WebSocket once mqtt-ws-handshake accepted its head. */
static void mqa_ws_decide(struct stream *s, struct mqa_session *ms, struct mqa_dir *d,
                          unsigned long long base)
{
	if (base || d->pos || (unsigned char)*b_peek(&s->req.buf, 0) == 0x10) {
		ms->ws_mode = MQA_WS_PLAIN;
		return;
	}
	if (!ms->ws_head_len)
		return; /* the head is not accepted yet: nothing known */
	ms->ws_mode = MQA_WS_WS;
	mqa_ws_start(d, 0, 0);
	d->pos = ms->ws_head_len;
}

/* The state of a direction that has received nothing yet. */
static struct mqa_dir *mqa_blank_dir(unsigned int dir)
{
	if (!mqa_blank_ready[dir]) {
		mqa_dir_reset(&mqa_blank[dir], dir, 0);
		mqa_fields_on(&mqa_blank[dir]); /* nothing to locate: fields may come */
		mqa_blank_ready[dir] = 1;
	}
	return &mqa_blank[dir];
}

static struct mqa_dir *mqa_session_dir_feed(struct stream *s, struct mqa_session *ms,
                                            unsigned int dir, int fields)
{
	struct channel *chn;
	struct mqa_dir *d;
	unsigned long long base, end;
	const char *b1, *b2;
	size_t l1, l2;
	int n;

	if (!s || !ms || IS_HTX_STRM(s))
		return NULL;
	chn = dir ? &s->res : &s->req;
	d = &ms->d[dir];
	end = mqa_chn_total(s, dir);
	/* The buffer holds channel bytes [base, end): output first, then
	 * input. Until something is sent, base is 0 even though c_adv() may
	 * already have moved the bytes to the output side (balance hash). */
	base = end - c_data(chn);

	/* Nothing received yet: connections that never send a byte (port
	 * probes, health checks) do not count as sessions parsed. */
	if (!end && !d->started)
		return mqa_blank_dir(dir);
	/* a WebSocket client's broker: its frames once its 101 was taken out
	 * (mqttp_ws.c), with our own 101 gone to the client */
	if (dir && ms->ws_mode == MQA_WS_WS && (ms->ws_hs != MQA_WSH_DONE || c_data(chn) > end))
		return d->started ? d : mqa_blank_dir(dir);

	fields |= dir;
	if (fields && !dir && !HA_ATOMIC_LOAD(&mqa_fields_wanted))
		mqa_session_want_fields();
	if (!d->started || (d->need_version && !base && c_data(chn) >= 2)) {
		unsigned int version = 0;
		int need_version = 0;

		if (dir) {
			const struct mqa_dir *rq = &ms->d[0];

			version = rq->started && rq->pp && (rq->pp->have & MQTTP_HAVE_VERSION) ?
			          rq->pp->version : 0;
			/* A 3.1.1 CONNACK has remaining length 2, a 5.0 one more. */
			if (!version && !base && c_data(chn) >= 2 && ms->ws_mode != MQA_WS_WS) {
				b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, 1, 1);
				version = ((unsigned char)b1[0] == 2) ? MQTTP_V311 : MQTTP_V5;
			}
			need_version = !version && ms->ws_mode != MQA_WS_WS;
		}
		if (!d->started && !dir)
			_HA_ATOMIC_INC(&mqa_sessions);
		mqa_dir_reset(d, dir, version);
		d->started = 1;
		d->need_version = need_version;
		if (fields || HA_ATOMIC_LOAD(&mqa_fields_wanted))
			mqa_fields_on(d);
		if (base)
			d->lost = 1;
		if (dir && ms->ws_mode == MQA_WS_WS)
			mqa_ws_start(d, 1, version);
	}
	if (d->lost)
		return NULL;
	if (!dir && ms->ws_mode == MQA_WS_UNKNOWN)
		mqa_ws_decide(s, ms, d, base);
	if (!dir && ms->ws_err && d->pp->status == MQTTP_NEED_MORE)
		return NULL;
	if (fields && !d->fields && d->pp->status == MQTTP_DONE)
		mqa_locate(s, ms, d);
	/* A finished parse needs no more bytes: its verdict and numeric fields
	 * stay valid after the packet left the buffer (string fields are
	 * looked up in the buffer and are "not found" once gone). */
	if (d->pp->status != MQTTP_NEED_MORE || d->pos >= end || d->need_version)
		return d;
	if (d->pos < base) {
		/* bytes we never saw were sent: nothing reliable to answer */
		d->lost = 1;
		return NULL;
	}
	if (dir && d->ws) {
		mqa_ws_feed(chn, ms, d, base, end);
		return d;
	}
	if (!dir && ms->ws_mode != MQA_WS_PLAIN) {
		if (ms->ws_mode == MQA_WS_WS)
			mqa_ws_feed(chn, ms, d, base, end);
		return ms->ws_err && d->pp->status == MQTTP_NEED_MORE ? NULL : d;
	}
	n = b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, d->pos - base, end - d->pos);
	if (n >= 1)
		mqa_feed(d, b1, l1, 1);
	if (n >= 2 && d->pp->status == MQTTP_NEED_MORE)
		mqa_feed(d, b2, l2, 1);
	return d;
}

struct mqa_dir *mqa_session_dir(struct stream *s, struct mqa_session *ms, unsigned int dir,
                                int fields)
{
	struct mqa_dir *d = mqa_session_dir_feed(s, ms, dir, fields);

	if (d && !dir && !ms->kept.done && d->pp->status == MQTTP_DONE && d == &ms->d[0])
		mqa_keep_buf(s, ms, d);
	return d;
}

/* Copies the part of the client's MQTT stream [want_off, want_off +
 * want_len) that a WebSocket frame payload carries. */
struct mqa_ws_copy {
	unsigned long long mqtt_off, want_off, want_len, got;
	char *out;
};

static void mqa_ws_copy_cb(void *ctx, const struct mqttp_ws *ws, const struct mqttp_ws_event *ev)
{
	struct mqa_ws_copy *k = ctx;
	size_t len = ev->len;

	if (ev->type != MQTTP_WS_EV_PAYLOAD || ws->opcode >= MQTTP_WS_CLOSE_FRAME)
		return;
	if (k->mqtt_off + len > k->want_off && k->mqtt_off < k->want_off + k->want_len) {
		unsigned long long a = k->mqtt_off > k->want_off ? k->mqtt_off : k->want_off;
		unsigned long long b = k->mqtt_off + len;

		if (b > k->want_off + k->want_len)
			b = k->want_off + k->want_len;
		memcpy(k->out + (a - k->want_off), (const char *)ev->data + (a - k->mqtt_off), b - a);
		k->got += b - a;
	}
	k->mqtt_off += len;
}

/* The client's unmasked MQTT bytes [off, off + len) of a WebSocket stream,
 * read again from the frames still in the buffer. */
static int mqa_ws_bytes(struct stream *s, const struct mqa_session *ms, unsigned int dir,
                        unsigned long long off, unsigned long long len, const char **ptr)
{
	struct channel *chn = dir ? &s->res : &s->req;
	struct mqa_ws_copy k = { 0 };
	struct mqttp_ws_options wo;
	struct mqttp_ws rd;
	struct buffer *trash;
	const char *b1, *b2;
	size_t l1, l2, used;
	unsigned long long pos = dir ? 0 : ms->ws_head_len, end = c_data(chn);
	enum mqttp_ws_status st;

	if (mqa_chn_total(s, dir) != c_data(chn))
		return 0; /* forwarded */
	trash = get_trash_chunk();
	if (len > trash->size)
		return 0;
	k.want_off = off;
	k.want_len = len;
	k.out = trash->area;
	mqttp_ws_options_default(&wo);
	wo.role = dir ? MQTTP_WS_FROM_SERVER : MQTTP_WS_FROM_CLIENT;
	wo.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqttp_ws_init(&rd, &wo);
	while (pos < end && k.got < len) {
		if (b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, pos, end - pos) < 1)
			break;
		used = 0;
		st = mqttp_ws_feed(&rd, b1, l1, &used, mqa_ws_copy_cb, &k);
		pos += used;
		if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE || !used)
			break;
	}
	if (k.got != len)
		return 0;
	trash->data = len;
	*ptr = trash->area;
	return 1;
}

/* Writes the MQTT bytes [off, off + len) of a WebSocket stream where its
 * frames in the buffer carry them, masked again with each frame's key. */
struct mqa_ws_put {
	unsigned long long mqtt_off, want_off, want_len, put;
	const uint8_t *src;
};

static void mqa_ws_put_cb(void *ctx, const struct mqttp_ws *ws, const struct mqttp_ws_event *ev)
{
	struct mqa_ws_put *k = ctx;
	unsigned long long a, b, o;

	if (ev->type != MQTTP_WS_EV_PAYLOAD || ws->opcode >= MQTTP_WS_CLOSE_FRAME)
		return;
	a = k->mqtt_off > k->want_off ? k->mqtt_off : k->want_off;
	b = k->mqtt_off + ev->len < k->want_off + k->want_len ? k->mqtt_off + ev->len :
	    k->want_off + k->want_len;
	for (o = a; o < b; o++) {
		uint8_t v = k->src[o - k->want_off];

		/* ev->raw points into the channel's buffer: the byte as sent */
		((uint8_t *)ev->raw)[o - k->mqtt_off] =
			ws->masked ? (uint8_t)(v ^ ws->key[(ev->off + (o - k->mqtt_off)) & 3]) : v;
		k->put++;
	}
	k->mqtt_off += ev->len;
}

int mqa_session_put(struct stream *s, const struct mqa_session *ms, unsigned int dir,
                    uint32_t off, const uint8_t *v, uint32_t len)
{
	struct channel *chn = dir ? &s->res : &s->req;
	unsigned long long total = mqa_chn_total(s, dir), base = total - c_data(chn);
	unsigned long long pos, end = c_data(chn);
	struct mqa_ws_put k = { 0 };
	struct mqttp_ws_options wo;
	struct mqttp_ws rd;
	const char *b1, *b2;
	size_t l1, l2, used;
	enum mqttp_ws_status st;
	uint32_t i;

	if (!ms->d[dir].ws) {
		if (off < base || off + (unsigned long long)len > total)
			return 0;
		for (i = 0; i < len; i++)
			*b_peek(&chn->buf, off + i - base) = (char)v[i];
		return 1;
	}
	if (base)
		return 0; /* forwarded */
	k.want_off = off;
	k.want_len = len;
	k.src = v;
	mqttp_ws_options_default(&wo);
	wo.role = dir ? MQTTP_WS_FROM_SERVER : MQTTP_WS_FROM_CLIENT;
	wo.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqttp_ws_init(&rd, &wo);
	for (pos = dir ? 0 : ms->ws_head_len; pos < end && k.put < len; pos += used) {
		if (b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, pos, end - pos) < 1)
			break;
		used = 0;
		st = mqttp_ws_feed(&rd, b1, l1, &used, mqa_ws_put_cb, &k);
		if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE || !used)
			break;
	}
	return k.put == len;
}

int mqa_session_bytes(struct stream *s, const struct mqa_session *ms, unsigned int dir,
                      uint32_t off, uint32_t len, const char **ptr)
{
	struct channel *chn = dir ? &s->res : &s->req;
	unsigned long long total = mqa_chn_total(s, dir);
	unsigned long long base = total - c_data(chn);
	const char *b1, *b2;
	size_t l1, l2;
	struct buffer *trash;
	int n;

	if (!len) {
		*ptr = "";
		return 1;
	}
	if (ms->d[dir].ws)
		return mqa_ws_bytes(s, ms, dir, off, len, ptr);
	if (off < base || off + (unsigned long long)len > total)
		return 0;
	/* for speed: a value that does not cross the buffer's wrap (nearly
	 * all) is pointed at directly */
	if (len <= b_contig_data(&chn->buf, off - base)) {
		*ptr = b_peek(&chn->buf, off - base);
		return 1;
	}
	n = b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, off - base, len);
	if (n == 1 && l1 == len) {
		*ptr = b1;
		return 1;
	}
	if (n != 2 || l1 + l2 != len)
		return 0;
	trash = get_trash_chunk();
	if (len > trash->size)
		return 0;
	memcpy(trash->area, b1, l1);
	memcpy(trash->area + l1, b2, l2);
	trash->data = len;
	*ptr = trash->area;
	return 1;
}

void mqa_session_replaced(struct stream *s, struct mqa_session *ms, const char *pkt, size_t len)
{
	struct mqa_dir *d = &ms->d[0];
	int fields = d->fields || HA_ATOMIC_LOAD(&mqa_fields_wanted);

	mqa_dir_reset(d, 0, 0);
	d->started = 1;
	if (fields)
		mqa_fields_on(d);
	/* the addon's own bytes: the client's CONNECT was counted once, as fed */
	mqa_feed(d, pkt, len, 0);
	mqa_kept_clear(&ms->kept);
	if (d->pp->status == MQTTP_DONE && d->pp->client_id_off <= len)
		mqa_keep(ms, d->pp, (const uint8_t *)pkt + d->pp->client_id_off,
		         len - d->pp->client_id_off);
	else
		ms->kept.done = 1;
}

void mqa_session_res_restart(struct mqa_session *ms)
{
	ms->d[1].started = 0;
	ms->d[1].pos = 0;
}

/* Where the WebSocket frame holding the next byte of <d> starts, as a
 * channel offset: d->fpos when the last one ended there. */
static inline unsigned long long mqa_frame_start(const struct mqa_dir *d)
{
	const struct mqttp_ws *w = &d->fr.w.ws;

	if (!d->ws || !(w->have & MQTTP_WS_HAVE_HEADER) || w->payload_off >= w->payload_len)
		return d->fpos;
	return d->fpos - w->offset + w->frame_start;
}

/* Counts the packet that <p> just ended. */
static inline void mqa_count(struct mqa_dir *d, const struct mqttp_parser *p)
{
	d->pkts++;
	d->bytes += (unsigned long long)p->header_len + p->remaining_length;
}

int mqa_session_frame(struct stream *s, struct mqa_session *ms, unsigned int dir)
{
	struct channel *chn = dir ? &s->res : &s->req;
	struct mqa_dir *d = &ms->d[dir];
	unsigned long long end = mqa_chn_total(s, dir);
	unsigned long long base = end - c_data(chn);
	struct buffer *scratch = NULL;
	const char *b1, *b2;
	size_t l1, l2, used, produced;
	int st;

	if (d->framing == MQA_FR_NONE) {
		if (!d->started || d->lost || d->pp->status == MQTTP_NEED_MORE)
			return MQA_FR_NONE;
		if (d->pp->status != MQTTP_DONE) {
			d->framing = MQA_FR_OFF; /* an invalid first packet passes as it is */
			return d->framing;
		}
		mqa_count(d, d->pp);
		if (!d->ws)
			d->fr.p = d->p; /* goes on with the next packet */
		d->fpos = d->at = d->pos;
		d->at_frame = mqa_frame_start(d);
		d->framing = MQA_FR_ON;
	}
	if (d->framing != MQA_FR_ON)
		return d->framing;
	if (d->fpos < base || c_data(chn) > end) {
		d->framing = MQA_FR_OFF; /* bytes passed unseen */
		return d->framing;
	}
	while (d->fpos < end) {
		if (b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, d->fpos - base, end - d->fpos) < 1)
			break;
		used = 0;
		if (!d->ws) {
			st = mqttp_feed(&d->fr.p, b1, l1, &used, NULL, NULL);
			d->fpos += used;
			if (st == MQTTP_DONE) {
				mqa_count(d, &d->fr.p);
				d->at = d->fpos;
			} else if (st == MQTTP_ERROR) {
				d->framing = MQA_FR_ERROR;
				break;
			}
		} else {
			if (!scratch)
				scratch = get_trash_chunk();
			if (l1 > scratch->size)
				l1 = scratch->size;
			produced = 0;
			st = mqttp_ws_mqtt_feed(&d->fr.w, b1, l1, &used, (uint8_t *)scratch->area,
			                        scratch->size, &produced, NULL, NULL);
			d->fpos += used;
			if (st == MQTTP_WS_DONE) {
				mqa_count(d, &d->fr.w.mqtt);
				d->at = d->fpos;
				d->at_frame = mqa_frame_start(d);
			} else if (st == MQTTP_WS_ERROR) {
				d->framing = MQA_FR_ERROR;
				break;
			} else if (st == MQTTP_WS_CLOSE) {
				d->framing = MQA_FR_OFF; /* the peer closes: the rest passes */
				break;
			}
		}
		if (!used)
			break;
	}
	return d->framing;
}

void mqa_session_frame_error(const struct mqa_session *ms, unsigned int dir, int *e, int *ws,
                             unsigned long long *at)
{
	const struct mqa_dir *d = &ms->d[dir];

	*ws = 0;
	*at = d->at;
	if (!d->ws) {
		*e = d->fr.p.error;
		return;
	}
	if (d->fr.w.mqtt.status == MQTTP_ERROR) {
		*e = d->fr.w.mqtt.error;
		return;
	}
	*ws = 1;
	*e = d->fr.w.ws.error;
}
