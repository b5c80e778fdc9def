/*
 * mqttp_addon.c - MQTT sample fetches and the "mqtt-refuse" action for
 * HAProxy (TCP mode), built on libmqttparse.
 *
 * This file is glue only: bytes of the request / response channel go into
 * the library's incremental parser, samples come out. Every MQTT rule lives
 * in libmqttparse. Builds against HAProxy 2.6 and 3.0 (and 3.2): it only
 * uses the inline channel wrappers that hide the version differences
 * (channel_input_closed(), channel_may_recv(), b_getblk_nc()) and
 * stream_retnclose(), present with the same signature in all of them.
 *
 * Parse state. smp->ctx is wiped on every evaluation, and HAProxy re-runs
 * every rule from the start on each wake-up, so the state of a stream's
 * parser lives in a per-thread cache keyed by (stream pointer, stream
 * uniq_id, direction) and remembers how many bytes of the channel it has
 * consumed. Each evaluation only feeds the bytes that arrived since the
 * previous one: N fetches over M wake-ups cost O(bytes received). A stream
 * is always processed by one thread, so the cache needs no lock. When an
 * entry was evicted (more than MQA_CACHE_WAYS handshakes in progress in one
 * set), the parse restarts from the first byte of the channel as long as
 * nothing has been forwarded yet; the counters below make that visible.
 */

#include <stdio.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/arg.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/global.h>
#include <haproxy/proxy.h>
#include <haproxy/sample.h>
#include <haproxy/stream.h>
#include <haproxy/tcp_rules.h>
#include <haproxy/tools.h>

#include "mqttp_cache.h"
#include "mqttp_compat.h"
#include "mqttp_options.h"
#include "mqttp_ws.h"

#include <mqttparse.h>
#include <mqttcodec.h>

/* Per-thread cache geometry: MQA_CACHE_SETS sets of MQA_CACHE_WAYS. */
#define MQA_CACHE_SETS 128
#define MQA_CACHE_WAYS 4

/* Value fields remembered by offset once complete and checked. */
enum mqa_fld {
	MQA_PROTO_NAME = 0,
	MQA_WILL_TOPIC,
	MQA_WILL_PAYLOAD,
	MQA_USERNAME,
	MQA_PASSWORD,
	MQA_PROPS,       /* CONNECT or CONNACK property block */
	MQA_WILL_PROPS,  /* will property block */
	MQA_FLD__COUNT
};

/* Where a value lies in the packet (offsets from the packet's first byte). */
struct mqa_span {
	uint32_t off;
	uint32_t len;
	uint8_t done;    /* complete and checked by the parser */
};

/* One direction of one stream. */
struct mqa_state {
	const struct stream *strm;   /* key (NULL: free slot) */
	unsigned int uniq_id;        /* key */
	unsigned int dir;            /* key: 0 request, 1 response */
	unsigned int stamp;          /* last use, for LRU eviction */
	unsigned long long pos;      /* channel bytes fed to the parser */
	uint8_t lost;                /* first bytes forwarded before we parsed them */
	uint8_t props_done;          /* property block complete (next field seen) */
	uint8_t will_props_done;
	uint8_t need_version;        /* response: client version unknown yet */
	uint8_t fields;              /* field events recorded in f[] (see mqa_get) */
	struct mqttp_parser p;
	struct mqa_span f[MQA_FLD__COUNT];
	struct mqws_stream ws;       /* request: WebSocket transport (mqttp_ws.c) */
};

static THREAD_LOCAL struct mqa_state mqa_cache[MQA_CACHE_SETS * MQA_CACHE_WAYS];
static THREAD_LOCAL unsigned int mqa_clock;
/* The slot the last lookup returned. For speed: the rules of one stream
 * evaluate several fetches in a row, and they hit it without a set walk. */
static THREAD_LOCAL struct mqa_state *mqa_last;
/* Answers for a direction that has not received a byte yet (see mqa_get),
 * per direction, made once per thread: callers only read them. */
static THREAD_LOCAL struct mqa_state mqa_blank[2];
static THREAD_LOCAL uint8_t mqa_blank_ready[2];

/* Set once a request field was asked for (see mqa_get_f). */
static int mqa_fields_wanted;

/* Counters shown by the mqtt_parse_bytes / mqtt_parse_states fetches. */
static unsigned long long mqa_bytes_fed;
static unsigned long long mqa_states_created;

/* Reason names accepted by mqtt-refuse: the 5.0 CONNACK reason codes,
 * spelled with dashes (the library names them with underscores). */
#define MQA_REASON_MIN 0x80
#define MQA_REASON_MAX 0x9F

/* Shorter spellings accepted besides the spec's names. */
static const struct { const char *kw; unsigned int code; } mqa_reason_alias[] = {
	{ "client-id-not-valid",      0x85 },
	{ "bad-username-or-password", 0x86 },
};

/* Records a complete field of the first packet in the stream state. Called
 * by mqttp_feed() for every field event. */
static void mqa_field_cb(void *ctx, const struct mqttp_field *f)
{
	struct mqa_state *st = ctx;
	int idx = -1;

	switch (f->id) {
	case MQTTP_F_PROTOCOL_NAME: idx = MQA_PROTO_NAME; break;
	case MQTTP_F_CLIENT_ID:
		/* the client id follows the CONNECT property block; its own
		 * offsets are kept by the parser (smp_fetch_mqtt_client_id) */
		st->props_done = 1;
		return;
	case MQTTP_F_WILL_TOPIC:
		st->will_props_done = 1;
		idx = MQA_WILL_TOPIC;
		break;
	case MQTTP_F_WILL_PAYLOAD: idx = MQA_WILL_PAYLOAD; break;
	case MQTTP_F_USERNAME: idx = MQA_USERNAME; break;
	case MQTTP_F_PASSWORD: idx = MQA_PASSWORD; break;
	case MQTTP_F_PROPERTIES:
		st->f[MQA_PROPS].off = f->off;
		st->f[MQA_PROPS].len = f->value;
		st->f[MQA_PROPS].done = 1;
		return;
	case MQTTP_F_WILL_PROPERTIES:
		st->f[MQA_WILL_PROPS].off = f->off;
		st->f[MQA_WILL_PROPS].len = f->value;
		st->f[MQA_WILL_PROPS].done = 1;
		return;
	default:
		return;
	}
	if (f->flags & MQTTP_FRAG_LAST) {
		st->f[idx].off = f->off;
		st->f[idx].len = f->len;
		st->f[idx].done = 1;
	}
}

/* For speed: a request parser starts as a copy of this one, made by
 * mqttp_init() once per thread (the options are fixed once the
 * configuration is read; the parser holds no pointer). */
static THREAD_LOCAL struct mqttp_parser mqa_req_tpl;
static THREAD_LOCAL uint8_t mqa_req_tpl_ready;

/* Resets <st> to a fresh parser for direction <dir>, owned by no stream.
 * <version> is the client's protocol version for the response direction
 * (0 if unknown). */
static void mqa_parser_reset(struct mqa_state *st, unsigned int dir, unsigned int version)
{
	struct mqttp_options opt;

	/* for speed, not a memset of the whole slot: f[] is cleared only when
	 * fields are recorded (mqa_fields_on), the WebSocket reader when a
	 * stream turns out to be one, and mqttp_init sets the parser */
	st->strm = NULL;
	st->pos = 0;
	st->lost = st->props_done = st->will_props_done = st->need_version = st->fields = 0;
	st->ws.mode = MQWS_PLAIN;
	st->dir = dir;
	if (!dir && mqa_req_tpl_ready) {
		st->p = mqa_req_tpl;
		return;
	}
	mqa_options_get(&opt); /* global mqtt-lenient, mqtt-max-* (mqttp_options.c) */
	opt.checks = dir ? MQTTP_CHECK_FROM_SERVER : MQTTP_CHECK_FROM_CLIENT;
	opt.version = (uint8_t)version;
	mqttp_init(&st->p, &opt);
	if (!dir) {
		mqa_req_tpl = st->p;
		mqa_req_tpl_ready = 1;
	}
}

/* Makes <st> record field offsets from now on (none recorded yet). */
static void mqa_fields_on(struct mqa_state *st)
{
	memset(st->f, 0, sizeof(st->f));
	st->fields = 1;
}

/* Initialises cache slot <st> for stream <s>, direction <dir>, and counts
 * it in mqtt_parse_states unless it already was this stream's (a parse
 * started again). */
static void mqa_state_init(struct mqa_state *st, const struct stream *s,
                           unsigned int dir, unsigned int version)
{
	int again = st->strm == s;

	mqa_parser_reset(st, dir, version);
	if (!dir)
		mqws_stream_init(&st->ws, s);
	st->strm = s;
	st->uniq_id = s->uniq_id;
	if (!again)
		_HA_ATOMIC_INC(&mqa_states_created);
}

/* The cache set of stream <s> (both directions share it). */
static struct mqa_state *mqa_set(const struct stream *s)
{
	size_t h = ((size_t)s >> 6) ^ s->uniq_id;

	return &mqa_cache[(h % MQA_CACHE_SETS) * MQA_CACHE_WAYS];
}

/* Drops the cache slot of (s, dir), if any, so that the next fetch parses
 * the channel's bytes again (after a rewrite in place). */
/* Tells whether cache slot <st> is the one of (s, dir). */
static inline int mqa_is(const struct mqa_state *st, const struct stream *s, unsigned int dir)
{
	return st->strm == s && st->uniq_id == s->uniq_id && st->dir == dir;
}

/* The cache slot of (s, dir) if there is one, else NULL; changes nothing
 * (mqa_lookup() takes a slot when there is none). */
static struct mqa_state *mqa_find(const struct stream *s, unsigned int dir)
{
	struct mqa_state *set;
	int i;

	if (mqa_last && mqa_is(mqa_last, s, dir))
		return mqa_last;
	set = mqa_set(s);
	for (i = 0; i < MQA_CACHE_WAYS; i++)
		if (mqa_is(&set[i], s, dir))
			return &set[i];
	return NULL;
}

void mqa_cache_forget(const struct stream *s, unsigned int dir)
{
	struct mqa_state *st = mqa_find(s, dir);

	if (st)
		st->strm = NULL;
}

/* Returns the cache slot of (s, dir): the existing one, or a fresh one
 * (st->strm == NULL) taken from the least recently used way of the set. */
static struct mqa_state *mqa_lookup(const struct stream *s, unsigned int dir)
{
	struct mqa_state *set, *victim;
	int i;

	mqa_clock++;
	victim = mqa_last;
	if (victim && mqa_is(victim, s, dir)) {
		victim->stamp = mqa_clock;
		return victim;
	}
	set = mqa_set(s);
	victim = set;
	for (i = 0; i < MQA_CACHE_WAYS; i++) {
		if (mqa_is(&set[i], s, dir)) {
			set[i].stamp = mqa_clock;
			mqa_last = &set[i];
			return &set[i];
		}
		if (!set[i].strm)
			victim = &set[i];
		else if (victim->strm && (int)(set[i].stamp - victim->stamp) < 0)
			victim = &set[i];
	}
	victim->strm = NULL;
	victim->stamp = mqa_clock;
	mqa_last = victim;
	return victim;
}

/* The field callback of <st>: none while only what the parser keeps itself
 * (verdict, version, flags, keep alive, client id) was asked for. */
static inline mqttp_field_cb mqa_cb(const struct mqa_state *st)
{
	return st->fields ? mqa_field_cb : NULL;
}

/* Feeds <len> bytes at <data> to the parser of <st>. */
static void mqa_feed(struct mqa_state *st, const char *data, size_t len)
{
	size_t used;

	while (len && st->p.status == MQTTP_NEED_MORE) {
		used = 0;
		mqttp_feed(&st->p, data, len, &used, mqa_cb(st), st);
		st->pos += used;
		_HA_ATOMIC_ADD(&mqa_bytes_fed, (unsigned long long)used);
		data += used;
		len -= used;
		if (!used)
			break;
	}
}

static int mqa_bytes(const struct mqa_state *st, struct stream *s, unsigned int dir,
                     uint32_t off, uint32_t len, const char **ptr);

/* Records the field offsets of the complete, valid CONNECT of request state
 * <st>, parsed without field events, from its bytes in the buffer (see
 * mqa_get_f). Leaves st->fields at 0 when they are not there. */
static void mqa_locate(struct stream *s, struct mqa_state *st)
{
	uint32_t len = (uint32_t)st->p.header_len + st->p.remaining_length;
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

	if (!mqa_bytes(st, s, 0, 0, len, &pkt))
		return;
	mqa_options_get(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;
	if (mqttp_decode_connect(pkt, len, &opt, &c, &r) != MQTTP_DONE)
		return; /* cannot be: the parser accepted these bytes */
	mqa_fields_on(st);
	for (i = 0; i < (int)(sizeof(map) / sizeof(map[0])); i++) {
		st->f[map[i].idx].off = map[i].b->off;
		st->f[map[i].idx].len = map[i].b->len;
		st->f[map[i].idx].done = map[i].b->present;
	}
	if (c.version == MQTTP_V5) {
		st->f[MQA_PROPS].off = c.props.block.off;
		st->f[MQA_PROPS].len = c.props.block.len;
		st->f[MQA_PROPS].done = 1;
		st->f[MQA_WILL_PROPS].off = c.will_props.block.off;
		st->f[MQA_WILL_PROPS].len = c.will_props.block.len;
		st->f[MQA_WILL_PROPS].done = !!(c.flags & MQTTP_CF_WILL);
	}
	st->props_done = st->will_props_done = 1;
}

/* The client's protocol version if the request parser knows it, else 0.
 * Does not feed anything. */
static unsigned int mqa_req_version(const struct stream *s)
{
	const struct mqa_state *st = mqa_find(s, 0);

	return st && (st->p.have & MQTTP_HAVE_VERSION) ? st->p.version : 0;
}

/* Returns the parse state of stream <s> for direction <dir> (0: request,
 * 1: response) after feeding it every new byte the channel holds, or NULL
 * when there is no stream, the stream is HTX, or the first packet's bytes
 * were forwarded before they could be parsed. Only the first packet of the
 * direction (CONNECT / CONNACK) is parsed. Before the channel's first byte
 * the answer is a blank parser (nothing known, more may come) that takes
 * no cache slot.
 *
 * Field offsets (st->f[], props_done) are recorded when <fields> is set,
 * for every response, and for every request once any field was asked for
 * in this process (mqa_fields_wanted). For speed: the verdict, the numeric
 * fields and the client id are kept by the parser itself, and field events
 * cost about 200 instructions per CONNECT that the usual configuration
 * (balance / stick on the client id) never reads. When a field is asked
 * of a request state parsed without them, a complete CONNECT is located
 * (mqa_locate) and one still arriving is parsed again from the channel's
 * first byte with them; neither works once bytes were forwarded, but then
 * the field's bytes are gone anyway and the fetch says "not found", as it
 * would have. */
static struct mqa_state *mqa_get_slow(struct stream *s, unsigned int dir, int fields)
{
	struct channel *chn;
	struct mqa_state *st;
	unsigned long long base, end;
	const char *b1, *b2;
	size_t l1, l2;
	int n;

	if (!s || IS_HTX_STRM(s))
		return NULL;
	chn = dir ? &s->res : &s->req;
	end = mqa_chn_total(s, dir);
	/* The buffer holds channel bytes [base, end): output first, then
	 * input. Until something is sent, base is 0 even though c_adv() may
	 * already have moved the bytes to the output side (balance hash). */
	base = end - c_data(chn);

	/* Nothing received yet: answer "need more" without taking a slot, so
	 * that connections which never send a byte (port probes, TCP health
	 * checks of a balancer in front, idle sockets) neither evict the
	 * handshakes in progress nor count as parser states. The blank state
	 * of each direction is made once per thread: callers only read it. */
	if (!end) {
		if (!mqa_blank_ready[dir]) {
			mqa_parser_reset(&mqa_blank[dir], dir, 0);
			mqa_fields_on(&mqa_blank[dir]); /* nothing to locate: fields may come */
			mqa_blank_ready[dir] = 1;
		}
		return &mqa_blank[dir];
	}

	fields |= dir;
	if (fields && !dir && !mqa_fields_wanted)
		HA_ATOMIC_STORE(&mqa_fields_wanted, 1);
	st = mqa_lookup(s, dir);
	if (!st->strm || st->pos > end ||
	    (st->need_version && !base && c_data(chn) >= 2) ||
	    (fields && !st->fields && !base && !st->lost && st->p.status == MQTTP_NEED_MORE)) {
		unsigned int version = 0;
		int need_version = 0;

		if (dir) {
			version = mqa_req_version(s);
			/* A 3.1.1 CONNACK has remaining length 2, a 5.0 one more. */
			if (!version && !base && c_data(chn) >= 2) {
				b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, 1, 1);
				version = ((unsigned char)b1[0] == 2) ? MQTTP_V311 : MQTTP_V5;
			}
			need_version = !version;
		}
		mqa_state_init(st, s, dir, version);
		st->need_version = need_version;
		if (fields || HA_ATOMIC_LOAD(&mqa_fields_wanted))
			mqa_fields_on(st);
		if (base)
			st->lost = 1;
	}
	if (st->lost)
		return NULL;
	if (fields && !st->fields && st->p.status == MQTTP_DONE && !base)
		mqa_locate(s, st);
	/* A finished parse needs no more bytes: its verdict and numeric fields
	 * stay valid after the packet left the buffer (string fields are
	 * looked up in the buffer and are "not found" once gone). */
	if (st->p.status != MQTTP_NEED_MORE || st->pos == end || st->need_version)
		return st;
	if (st->pos < base) {
		/* bytes we never saw were sent: nothing reliable to answer */
		st->lost = 1;
		return NULL;
	}

	/* MQTT over WebSocket: the frames' payload is the MQTT stream (the
	 * mode test is for speed: a plain stream skips the call) */
	if (!dir && st->ws.mode != MQWS_PLAIN &&
	    (n = mqws_req_feed(s, &st->ws, &st->p, &st->pos, base, end, mqa_cb(st), st))) {
		if (n < 0)
			st->lost = 1;
		return n < 0 ? NULL : st;
	}
	n = b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, st->pos - base, end - st->pos);
	if (n >= 1)
		mqa_feed(st, b1, l1);
	if (n >= 2 && st->p.status == MQTTP_NEED_MORE)
		mqa_feed(st, b2, l2);
	return st;
}

/* mqa_get_slow(), for speed first the case of nearly every fetch after the
 * first of a stream: the last slot used holds this stream's finished parse
 * (nothing to feed, nothing to locate). */
static inline struct mqa_state *mqa_get_f(struct stream *s, unsigned int dir, int fields)
{
	struct mqa_state *st = mqa_last;

	if (st && s && mqa_is(st, s, dir) && !IS_HTX_STRM(s) &&
	    st->p.status != MQTTP_NEED_MORE && !st->lost && !st->need_version &&
	    (st->fields || !fields) && st->pos <= mqa_chn_total(s, dir)) {
		st->stamp = ++mqa_clock;
		return st;
	}
	return mqa_get_slow(s, dir, fields);
}

/* mqa_get_f() for what the parser keeps itself (no field offsets). */
static struct mqa_state *mqa_get(struct stream *s, unsigned int dir)
{
	return mqa_get_f(s, dir, 0);
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
static int mqa_missing(struct sample *smp, const struct mqa_state *st, unsigned int dir)
{
	smp->flags &= ~SMP_F_MAY_CHANGE;
	if (st && st->p.status == MQTTP_NEED_MORE && mqa_may_grow(smp->strm, dir))
		smp->flags |= SMP_F_MAY_CHANGE;
	return 0;
}

/* Gets <len> bytes at packet offset <off> of the first packet of <dir>
 * into *ptr: zero-copy when they are contiguous in the channel buffer,
 * else copied into a trash chunk (a field split by the buffer wrap).
 * Returns 0 when they are no longer in the buffer. */
static int mqa_bytes(const struct mqa_state *st, struct stream *s, unsigned int dir,
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
	/* a WebSocket client's (unmasked) MQTT bytes; a stream known to be
	 * plain skips the lookup, for speed */
	if (!dir && st->ws.mode != MQWS_PLAIN && (n = mqws_req_bytes(s, off, len, ptr)) >= 0)
		return n;
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
static int mqa_smp_span(struct sample *smp, const struct mqa_state *st, unsigned int dir,
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
	struct mqa_state *st = mqa_get(smp->strm, 0);
	struct mqa_span id;

	if (!st || st->p.status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	if (!(st->p.have & MQTTP_HAVE_CLIENT_ID))
		return mqa_missing(smp, st->p.status == MQTTP_DONE ? NULL : st, 0);
	id.off = st->p.client_id_off;
	id.len = st->p.client_id_len;
	id.done = 1;
	if (!id.len && args && args[0].type == ARGT_SINT && args[0].data.sint == MQA_OPT_NONEMPTY)
		return mqa_missing(smp, NULL, 0);
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
	struct mqa_state *st = mqa_get_f(smp->strm, 0, 1);
	uint8_t flag = mqa_fld_flag(idx);
	int type = (idx == MQA_PASSWORD || idx == MQA_WILL_PAYLOAD) ? SMP_T_BIN : SMP_T_STR;

	if (!st || st->p.status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	if (!st->fields)
		return mqa_missing(smp, NULL, 0); /* asked for after forwarding */
	if (st->f[idx].done)
		return mqa_smp_span(smp, st, 0, &st->f[idx], type);
	/* absent: the connect flags say it will not come */
	if (flag && (st->p.have & MQTTP_HAVE_FLAGS) && !(st->p.connect_flags & flag))
		return mqa_missing(smp, NULL, 0);
	if (st->p.status == MQTTP_DONE)
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
	struct mqa_state *st = mqa_get(smp->strm, 0);
	unsigned int need;
	long long v;

	if (!st || st->p.status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 0);
	need = (which == MQA_N_VERSION || which == MQA_N_BRIDGE) ? MQTTP_HAVE_VERSION :
	       (which == MQA_N_KEEPALIVE) ? MQTTP_HAVE_KEEP_ALIVE : MQTTP_HAVE_FLAGS;
	if (!(st->p.have & need))
		return mqa_missing(smp, st, 0);
	switch (which) {
	case MQA_N_VERSION: v = st->p.version; break;
	case MQA_N_BRIDGE: v = st->p.bridge != 0; break;
	case MQA_N_CLEAN_START: v = !!(st->p.connect_flags & MQTTP_CF_CLEAN_START); break;
	case MQA_N_KEEPALIVE: v = st->p.keep_alive; break;
	case MQA_N_WILL_QOS: v = (st->p.connect_flags & MQTTP_CF_WILL_QOS_MASK) >> 3; break;
	default: v = !!(st->p.connect_flags & MQTTP_CF_WILL_RETAIN); break;
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
static int mqa_error_code(const struct mqa_state *st)
{
	enum mqttp_error e = (enum mqttp_error)st->p.error;

	if ((st->p.have & MQTTP_HAVE_VERSION) && st->p.version == MQTTP_V5)
		return mqttp_error_reason_code(e);
	return mqttp_error_return_code(e);
}

/* req.mqtt_is_valid, req.mqtt_error, req.mqtt_reason_code: the parser's
 * verdict on the CONNECT. They need the whole packet (or an error). */
static int smp_fetch_mqtt_verdict(const struct arg *args, struct sample *smp,
                                  const char *kw, void *private)
{
	int which = (int)(long)private;
	struct mqa_state *st = mqa_get(smp->strm, 0);

	if (!st)
		return mqa_missing(smp, NULL, 0);
	if (st->p.status == MQTTP_NEED_MORE)
		return mqa_missing(smp, st, 0);
	smp->flags = 0;
	switch (which) {
	case MQA_V_VALID:
		smp->data.type = SMP_T_BOOL;
		smp->data.u.sint = st->p.status == MQTTP_DONE;
		return 1;
	case MQA_V_ERROR:
		if (st->p.status != MQTTP_ERROR)
			return 0;
		smp->data.type = SMP_T_STR;
		smp->flags = SMP_F_CONST;
		smp->data.u.str.area = (char *)mqttp_error_name((enum mqttp_error)st->p.error);
		smp->data.u.str.data = strlen(smp->data.u.str.area);
		smp->data.u.str.size = smp->data.u.str.data + 1;
		smp->data.u.str.head = 0;
		return 1;
	default:
		smp->data.type = SMP_T_SINT;
		smp->data.u.sint = st->p.status == MQTTP_DONE ? 0 : mqa_error_code(st);
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
static int mqa_block(struct sample *smp, struct mqa_state *st, unsigned int dir, int idx,
                     const uint8_t **blk, size_t *len)
{
	const char *ptr;
	int done;

	if (st->p.status == MQTTP_ERROR || !st->fields)
		return 0;
	if (st->p.version != MQTTP_V5 && (st->p.have & MQTTP_HAVE_VERSION))
		return 0; /* no properties before 5.0 */
	if (dir)
		done = st->p.status == MQTTP_DONE && st->f[idx].done;
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
static int mqa_block_may_come(const struct mqa_state *st, unsigned int dir, int idx)
{
	if (st->p.status != MQTTP_NEED_MORE || !st->fields)
		return 0;
	if (st->p.have & MQTTP_HAVE_VERSION) {
		if (st->p.version != MQTTP_V5)
			return 0;
		if (idx == MQA_WILL_PROPS && (st->p.have & MQTTP_HAVE_FLAGS) &&
		    !(st->p.connect_flags & MQTTP_CF_WILL))
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
	struct mqa_state *st = mqa_get_f(smp->strm, dir, 1);
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
	struct mqa_state *st = mqa_get_f(smp->strm, 0, 1);
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
	struct mqa_state *st;
	const uint8_t *blk;
	size_t len;

	/* A broker assigns an id only to a client that sent an empty one (5.0,
	 * 3.2.2.3.7): for the others the answer is known without the CONNACK,
	 * so a response rule waiting on it does not wait (basic.cfg), and
	 * their CONNACK is not parsed (res.mqtt_prop still reads the raw
	 * property) */
	if (which == MQA_C_ASSIGNED_ID && smp->strm && (st = mqa_find(smp->strm, 0)) &&
	    (st->p.have & MQTTP_HAVE_CLIENT_ID) && st->p.client_id_len)
		return mqa_missing(smp, NULL, 1);
	st = mqa_get(smp->strm, 1);
	if (!st || st->p.status == MQTTP_ERROR)
		return mqa_missing(smp, NULL, 1);
	if (which == MQA_C_ASSIGNED_ID) {
		if (mqa_block(smp, st, 1, MQA_PROPS, &blk, &len))
			return mqa_prop_sample(smp, blk, len, 0x12);
		return mqa_missing(smp, mqa_block_may_come(st, 1, MQA_PROPS) ? st : NULL, 1);
	}
	if (!(st->p.have & MQTTP_HAVE_CONNACK))
		return mqa_missing(smp, st, 1);
	smp->flags = 0;
	if (which == MQA_C_CODE) {
		smp->data.type = SMP_T_SINT;
		smp->data.u.sint = st->p.reason_code;
	} else {
		smp->data.type = SMP_T_BOOL;
		smp->data.u.sint = st->p.connack_flags & 1;
	}
	return 1;
}

/* mqtt_parse_bytes / mqtt_parse_states: process-wide counters of bytes fed
 * to the parser and of parser states created, to verify that the parse is
 * incremental (they do not depend on how many fetches ran). */
static int smp_fetch_mqtt_counter(const struct arg *args, struct sample *smp,
                                  const char *kw, void *private)
{
	smp->flags = SMP_F_VOL_TEST;
	smp->data.type = SMP_T_SINT;
	smp->data.u.sint = (long long)HA_ATOMIC_LOAD(private ? &mqa_states_created : &mqa_bytes_fed);
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
 * tcp-request content / tcp-response content mqtt-refuse
 * --------------------------------------------------------------------- */

/* Reason code <code> spelled as a keyword ("not-authorized"), in a static
 * buffer; NULL if it is not a CONNACK refusal code. */
static const char *mqa_reason_kw(unsigned int code)
{
	static char kwbuf[64];
	const char *name = mqttp_reason_code_name(code);
	size_t i;

	if (!name || !mqttp_connack_code_valid(MQTTP_V5, code) || code < MQA_REASON_MIN)
		return NULL;
	for (i = 0; name[i] && i < sizeof(kwbuf) - 1; i++)
		kwbuf[i] = name[i] == '_' ? '-' : name[i];
	kwbuf[i] = 0;
	return kwbuf;
}

/* Answers the client of <s> with what a broker would send for the
 * request state <st> (see mqa_act_refuse), or closes when <close> is set or
 * no answer fits, then counts the denial as "reject" does. */
static enum act_return mqa_refuse(struct act_rule *rule, struct session *sess, struct stream *s,
                                  const struct mqa_state *st, unsigned int reason,
                                  const char *sref, int close)
{
	unsigned int version = st && !close ? mqttp_connack_version(&st->p) : 0;
	int rc311;
	uint8_t pkt[512];
	size_t len = 0;
	struct buffer msg;

	if (!close && !reason && st && st->p.status == MQTTP_ERROR)
		len = mqttp_encode_refusal(&st->p, pkt, sizeof(pkt));
	else if (version) {
		if (!reason)
			reason = 0x87; /* not authorized */
		if (version == MQTTP_V5)
			len = mqttp_encode_connack(pkt, sizeof(pkt), MQTTP_V5, 0, 0, reason,
			                           NULL, 0, sref, sref ? strlen(sref) : 0);
		else if ((rc311 = mqttp_reason_to_return_code(reason)) > 0)
			len = mqttp_encode_connack(pkt, sizeof(pkt), version, 0,
			                           (unsigned int)rc311, 0, NULL, 0, NULL, 0);
	}

	len = mqws_wrap_refusal(s, pkt, len, sizeof(pkt)); /* WebSocket: binary + close frames */
	chunk_initlen(&msg, (char *)pkt, sizeof(pkt), len);
	stream_retnclose(s, len ? &msg : NULL);

	if (rule->from == ACT_F_TCP_RES_CNT)
		mqa_count_denied_resp(s);
	else
		mqa_count_denied_req(sess);
	if (!(s->flags & SF_ERR_MASK))
		s->flags |= SF_ERR_PRXCOND;
	return ACT_RET_ABRT;
}

/* "mqtt-refuse": sends the CONNACK the rule asks for to the client, then
 * closes both sides. The CONNACK has the format the library picks for the client's
 * protocol level (mqttp_connack_version). Without a reason the parser's
 * verdict decides (mqttp_encode_refusal: unsupported level 1 / 0x84,
 * client id 2 / 0x85, 3.1.1 malformed: close without CONNACK
 * [MQTT-3.1.4-1], 5.0 malformed 0x81); a valid CONNECT is refused as not
 * authorized. Before the protocol level is known the only answer is to
 * close, so in tcp-request content the action waits for it (yields) while
 * bytes may still come. */
static enum act_return mqa_act_refuse(struct act_rule *rule, struct proxy *px,
                                      struct session *sess, struct stream *s, int flags)
{
	struct mqa_state *st = mqa_get(s, 0);

	if (st && st->p.status == MQTTP_NEED_MORE && !mqttp_connack_version(&st->p) &&
	    rule->from == ACT_F_TCP_REQ_CNT && !(flags & ACT_OPT_FINAL) && mqa_may_grow(s, 0))
		return ACT_RET_YIELD;
	return mqa_refuse(rule, sess, s, st, (unsigned int)(long)rule->arg.act.p[0],
	                  rule->arg.act.p[1], 0);
}

/* "tcp-request content mqtt-validate": the canonical frontend rules in one
 * action, for speed (one rule and no ACL instead of two, ~300 instructions
 * per connection): waits for the whole CONNECT (until the inspect delay
 * expires or the buffer is full); refuses an invalid one as mqtt-refuse
 * does (the CONNACK a broker would send, or a close); closes when the
 * client id is still unknown at the end of the wait (nothing to route on);
 * else goes on with the next rule: a valid CONNECT, or a CONNECT larger
 * than the buffer whose client id is known. Same as
 *   tcp-request content mqtt-refuse if { req.mqtt_error -m found }
 *   tcp-request content reject unless { req.mqtt_client_id -m found } */
static enum act_return mqa_act_validate(struct act_rule *rule, struct proxy *px,
                                        struct session *sess, struct stream *s, int flags)
{
	struct mqa_state *st = mqa_get(s, 0);

	if (st && st->p.status == MQTTP_DONE)
		return ACT_RET_CONT;
	if (st && st->p.status == MQTTP_ERROR)
		return mqa_refuse(rule, sess, s, st, 0, NULL, 0);
	if (st && !(flags & ACT_OPT_FINAL) && mqa_may_grow(s, 0))
		return ACT_RET_YIELD;
	if (st && (st->p.have & MQTTP_HAVE_CLIENT_ID))
		return ACT_RET_CONT;
	return mqa_refuse(rule, sess, s, st, 0, NULL, 1);
}

/* Parses "mqtt-validate" (no argument). */
static enum act_parse_ret mqa_parse_validate(const char **args, int *orig_arg, struct proxy *px,
                                             struct act_rule *rule, char **err)
{
	const char *a = args[*orig_arg];

	if (*a && strcmp(a, "if") != 0 && strcmp(a, "unless") != 0) {
		memprintf(err, "'mqtt-validate' takes no argument (got '%s')", a);
		return ACT_RET_PRS_ERR;
	}
	rule->action = ACT_CUSTOM;
	rule->action_ptr = mqa_act_validate;
	return ACT_RET_PRS_OK;
}

/* Frees the rule's server reference. */
static void mqa_release_refuse(struct act_rule *rule)
{
	ha_free((char **)&rule->arg.act.p[1]);
}

/* Parses "mqtt-refuse [<reason>] [server-reference <host[:port]>]".
 * <reason> is a 5.0 CONNACK reason code name with dashes
 * ("not-authorized"); 3.1/3.1.1 clients get the matching return code. */
static enum act_parse_ret mqa_parse_refuse(const char **args, int *orig_arg, struct proxy *px,
                                           struct act_rule *rule, char **err)
{
	int cur = *orig_arg;
	unsigned int code, reason = 0;
	char *names = NULL;
	const char *kw;
	size_t i;

	rule->arg.act.p[0] = NULL;
	rule->arg.act.p[1] = NULL;
	while (*args[cur] && strcmp(args[cur], "if") != 0 && strcmp(args[cur], "unless") != 0) {
		if (strcmp(args[cur], "server-reference") == 0) {
			if (!*args[cur + 1]) {
				memprintf(err, "'mqtt-refuse': 'server-reference' expects <host[:port]>");
				goto fail;
			}
			ha_free((char **)&rule->arg.act.p[1]);
			rule->arg.act.p[1] = strdup(args[cur + 1]);
			cur += 2;
			continue;
		}
		if (reason) {
			memprintf(err, "'mqtt-refuse': unexpected argument '%s' after the reason", args[cur]);
			goto fail;
		}
		for (code = MQA_REASON_MIN; code <= MQA_REASON_MAX; code++) {
			kw = mqa_reason_kw(code);
			if (kw && strcmp(kw, args[cur]) == 0)
				break;
		}
		for (i = 0; code > MQA_REASON_MAX && i < sizeof(mqa_reason_alias) / sizeof(mqa_reason_alias[0]); i++)
			if (strcmp(mqa_reason_alias[i].kw, args[cur]) == 0)
				code = mqa_reason_alias[i].code;
		if (code > MQA_REASON_MAX) {
			for (code = MQA_REASON_MIN; code <= MQA_REASON_MAX; code++) {
				kw = mqa_reason_kw(code);
				if (kw)
					memprintf(&names, "%s%s%s", names ? names : "", names ? ", " : "", kw);
			}
			memprintf(err, "'mqtt-refuse': unknown reason '%s'; expects one of: %s "
			          "(or client-id-not-valid, bad-username-or-password), optionally "
			          "followed by 'server-reference <host[:port]>'",
			          args[cur], names ? names : "");
			ha_free(&names);
			goto fail;
		}
		reason = code;
		cur++;
	}
	rule->arg.act.p[0] = (void *)(long)reason;
	rule->action = ACT_CUSTOM;
	rule->action_ptr = mqa_act_refuse;
	rule->release_ptr = mqa_release_refuse;
	*orig_arg = cur;
	return ACT_RET_PRS_OK;
 fail:
	ha_free((char **)&rule->arg.act.p[1]);
	return ACT_RET_PRS_ERR;
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

static struct action_kw_list mqa_tcp_req_actions = {ILH, {
	{ "mqtt-refuse", mqa_parse_refuse },
	{ "mqtt-validate", mqa_parse_validate },
	{ /* END */ }
}};

INITCALL1(STG_REGISTER, tcp_req_cont_keywords_register, &mqa_tcp_req_actions);

static struct action_kw_list mqa_tcp_res_actions = {ILH, {
	{ "mqtt-refuse", mqa_parse_refuse },
	{ /* END */ }
}};

INITCALL1(STG_REGISTER, tcp_res_cont_keywords_register, &mqa_tcp_res_actions);

/* Reports the addon and the library (header and run-time versions) in
 * "haproxy -vv". */
static void mqa_register_build_opts(void)
{
	char *s = NULL;

	memprintf(&s, "Built with the MQTT addon: libmqttparse %s (run-time %s), "
	          "per-thread parse cache %d entries", MQTTP_VERSION_STRING, mqttp_version(),
	          MQA_CACHE_SETS * MQA_CACHE_WAYS);
	if (s)
		hap_register_build_opts(s, 1);
}

INITCALL0(STG_REGISTER, mqa_register_build_opts);
