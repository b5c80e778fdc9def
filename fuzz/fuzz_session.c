/*
 * fuzz_session.c - the addon's per-packet framing (haproxy-addon/
 * mqttp_session.c, compiled as it is against HAProxy's headers, driven
 * through fuzz_session_shim.c) against the library run over the same bytes
 * in one piece.
 *
 * From the input, a stream of MQTT packets per direction (a CONNECT and a
 * CONNACK first unless the layout says not, then packets of every type,
 * raw input bytes and flipped bytes for the invalid cases), plain or, for a
 * WebSocket frontend, an HTTP head then masked frames from the client and
 * unmasked ones from the broker (with pings and pongs between). The bytes
 * arrive in pieces of the plan's sizes in ring buffers of the layout's
 * sizes; as HAProxy would, rules fetch on the input (the request's first
 * packet alone until it ends, then both ways), the filter's tcp_payload
 * runs, the input is forwarded and some or all of the output leaves.
 * What must hold:
 *  - framing never stops short: after tcp_payload frames, every byte of
 *    the input was framed; while the first packet is not complete, every
 *    byte was fed to it;
 *  - at the end, per direction, the library run over the whole stream in
 *    one call: the same first-packet verdict (status, error, error offset)
 *    and then the same packet count and byte count, the same end (framing
 *    on with the same partial packet, or an error: the same error, the
 *    same error offset and the invalid packet's first byte where the
 *    session says it is);
 *  - the kept client id and user name are the CONNECT's bytes;
 *  - ASan: nothing read outside the ring buffers, pooled and scratch
 *    buffers (all exact-size mallocs).
 *
 * Layout (its own):
 *   byte 0  bits 0-1 client version {3, 4, 5, 5}; bit 2 WebSocket; bit 3
 *           no CONNECT / CONNACK template; bits 4-6 request buffer size
 *           (fzs_sizes); bit 7 fetch with field offsets (response only)
 *   byte 1  bits 0-2 response buffer size; bits 3-7 buffer head offsets
 *   byte 2  bits 0-5 K, the plan length
 *   K bytes plan, cycled, one byte per step: bits 0-3 piece size
 *           (fzs_pieces), bit 4 direction (once the request's first
 *           packet ended), bit 5 hold (rules wait: fetch, no forwarding),
 *           bit 6 send half the output only, bit 7 no fetch before
 *           tcp_payload; WebSocket frame sizes, pings and masking keys
 *           also come from it
 *   rest    the packets: one op byte each (bit 0 direction, the rest the
 *           kind) and its arguments
 * FZ_STATS=1 prints counters at exit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fuzz_session_shim.h"
#include "mqttws.h"

#define FZS_MAX_STREAM 12000

static const size_t fzs_sizes[8] = { 16, 23, 64, 100, 256, 1024, 4096, 16384 };
static const size_t fzs_pieces[16] = { 1, 1, 2, 3, 5, 7, 11, 16, 31, 64, 100, 255, 512,
                                       1500, 4096, 16384 };

/* ---- the input's reader ---- */
struct rd {
	const uint8_t *p;
	size_t n, at;
};

static unsigned rd_u8(struct rd *r)
{
	return r->at < r->n ? r->p[r->at++] : 0;
}

static int rd_left(const struct rd *r)
{
	return r->at < r->n;
}

/* ---- streams being built ---- */
struct stream_buf {
	uint8_t b[FZS_MAX_STREAM];
	size_t len, last;   /* last: start of the last packet added */
};

static void sb_put(struct stream_buf *s, const void *d, size_t n)
{
	if (n > sizeof(s->b) - s->len)
		n = sizeof(s->b) - s->len;
	memcpy(s->b + s->len, d, n);
	s->len += n;
}

/* One packet: first byte, minimal remaining length, body. */
static void sb_packet(struct stream_buf *s, unsigned first, const uint8_t *body, size_t n)
{
	uint8_t h[5];
	size_t hl = 0, v = n;

	h[hl++] = (uint8_t)first;
	do {
		h[hl] = v & 0x7f;
		v >>= 7;
		if (v)
			h[hl] |= 0x80;
		hl++;
	} while (v);
	if (s->len + hl + n > sizeof(s->b))
		return;
	s->last = s->len;
	sb_put(s, h, hl);
	sb_put(s, body, n);
}

/* A body being written. */
struct body {
	uint8_t b[4096];
	size_t n;
};

static void bd_u8(struct body *b, unsigned v)
{
	if (b->n < sizeof(b->b))
		b->b[b->n++] = (uint8_t)v;
}

static void bd_u16(struct body *b, unsigned v)
{
	bd_u8(b, v >> 8);
	bd_u8(b, v & 0xff);
}

/* A string of <n> bytes, <s> repeated. */
static void bd_str(struct body *b, const char *s, size_t n)
{
	size_t i, sl = strlen(s);

	bd_u16(b, (unsigned)n);
	for (i = 0; i < n; i++)
		bd_u8(b, (unsigned char)s[i % sl]);
}

/* A string of the reader's length (mostly short, sometimes long). */
static size_t rd_len(struct rd *r)
{
	unsigned v = rd_u8(r);

	return v < 0xf0 ? v % 24 : (size_t)(v & 0x0f) * 61;
}

static const char fzs_abc[] = "abcdefghijklmnopqrstuvwxyz";

/* A property block (5.0) from the reader: a few properties of the kind
 * <where> allows (0 CONNECT, 1 CONNACK, 2 PUBLISH, 3 ack / other, 4 will). */
static void bd_props(struct body *b, struct rd *r, unsigned where)
{
	struct body p = { .n = 0 };
	unsigned k = rd_u8(r), i, n = k & 3;
	size_t v;

	for (i = 0; i < n; i++) {
		unsigned t = rd_u8(r);

		switch ((t + where) % 6) {
		case 0: /* user property */
			bd_u8(&p, 0x26);
			bd_str(&p, fzs_abc, t % 5);
			bd_str(&p, fzs_abc, rd_len(r));
			break;
		case 1:
			if (where == 0 || where == 1) { /* topic alias maximum */
				bd_u8(&p, 0x22);
				bd_u16(&p, rd_u8(r) * 7);
			} else if (where == 2) { /* topic alias */
				bd_u8(&p, 0x23);
				bd_u16(&p, 1 + rd_u8(r) % 4);
			} else {
				bd_u8(&p, 0x1f); /* reason string */
				bd_str(&p, fzs_abc, rd_len(r));
			}
			break;
		case 2:
			if (where == 1) { /* server keep alive */
				bd_u8(&p, 0x13);
				bd_u16(&p, rd_u8(r));
			} else if (where == 0) { /* session expiry */
				bd_u8(&p, 0x11);
				bd_u16(&p, 0);
				bd_u16(&p, rd_u8(r));
			} else if (where == 2 || where == 4) { /* content type */
				bd_u8(&p, 0x03);
				bd_str(&p, fzs_abc, rd_len(r));
			}
			break;
		case 3:
			if (where == 1) { /* assigned client identifier */
				bd_u8(&p, 0x12);
				bd_str(&p, fzs_abc, rd_len(r));
			} else if (where == 0) { /* receive maximum */
				bd_u8(&p, 0x21);
				bd_u16(&p, 1 + rd_u8(r));
			} else if (where == 2) { /* subscription identifier (from the broker) */
				bd_u8(&p, 0x0b);
				bd_u8(&p, 1 + rd_u8(r) % 127);
			}
			break;
		case 4: /* a raw property id and bytes: mostly invalid */
			bd_u8(&p, rd_u8(r));
			for (v = rd_u8(r) % 4; v; v--)
				bd_u8(&p, rd_u8(r));
			break;
		default:
			break;
		}
	}
	bd_u8(b, (unsigned)p.n < 128 ? p.n : 0x80 | (p.n & 0x7f));
	if (p.n >= 128)
		bd_u8(b, (unsigned)(p.n >> 7));
	memcpy(b->b + b->n, p.b, p.n < sizeof(b->b) - b->n ? p.n : sizeof(b->b) - b->n);
	b->n += p.n < sizeof(b->b) - b->n ? p.n : sizeof(b->b) - b->n;
}

static void gen_connect(struct stream_buf *s, struct rd *r, unsigned v)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r), flags = 0;

	if (v == 3)
		bd_str(&b, "MQIsdp", 6);
	else
		bd_str(&b, "MQTT", 4);
	bd_u8(&b, v);
	if (f & 1)
		flags |= 0x02; /* clean start */
	if (f & 2)
		flags |= 0x04 | ((f >> 2) & 3) << 3 | (f & 0x10 ? 0x20 : 0); /* will, qos, retain */
	if (f & 0x40)
		flags |= 0x80; /* user name */
	if (f & 0x80)
		flags |= 0x40 | 0x80; /* password (with a user name) */
	if (((f >> 2) & 3) == 3)
		flags |= 0x01; /* reserved bit: invalid */
	bd_u8(&b, flags);
	bd_u16(&b, rd_u8(r) % 4 * 30);
	if (v == 5)
		bd_props(&b, r, 0);
	bd_str(&b, fzs_abc, v == 3 ? 1 + rd_len(r) % 23 : rd_len(r));
	if (flags & 0x04) {
		if (v == 5)
			bd_props(&b, r, 4);
		bd_str(&b, fzs_abc, 1 + rd_len(r));
		bd_str(&b, fzs_abc, rd_len(r));
	}
	if (flags & 0x80)
		bd_str(&b, fzs_abc + 3, rd_len(r));
	if (flags & 0x40)
		bd_str(&b, fzs_abc + 5, rd_len(r));
	sb_packet(s, 0x10, b.b, b.n);
}

static void gen_connack(struct stream_buf *s, struct rd *r, unsigned v)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r);

	bd_u8(&b, f & 1);                   /* session present */
	bd_u8(&b, f & 0x80 ? f & 0x7f : 0); /* mostly success */
	if (v == 5)
		bd_props(&b, r, 1);
	sb_packet(s, 0x20, b.b, b.n);
}

/* A PUBLISH, either way. */
static void gen_publish(struct stream_buf *s, struct rd *r, unsigned v)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r), qos = f & 3;
	size_t pl;

	if (qos == 3)
		qos = 1;
	bd_str(&b, fzs_abc, 1 + rd_len(r));
	if (qos)
		bd_u16(&b, 1 + rd_u8(r));
	if (v == 5)
		bd_props(&b, r, 2);
	pl = f & 0x80 ? (size_t)rd_u8(r) * 13 : rd_len(r);
	while (pl-- && b.n < sizeof(b.b))
		bd_u8(&b, (unsigned)pl);
	sb_packet(s, 0x30 | qos << 1 | (f >> 2 & 1) | (qos && (f & 0x08) ? 0x08 : 0), b.b, b.n);
}

/* PUBACK, PUBREC, PUBREL, PUBCOMP. */
static void gen_ack(struct stream_buf *s, struct rd *r, unsigned v)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r), t = 4 + (f & 3);

	bd_u16(&b, 1 + rd_u8(r));
	if (v == 5 && (f & 0x04)) {
		bd_u8(&b, f & 0x08 ? 0x10 : 0);
		if (f & 0x10)
			bd_props(&b, r, 3);
	}
	sb_packet(s, t << 4 | (t == 6 ? 2 : 0), b.b, b.n);
}

/* SUBSCRIBE / UNSUBSCRIBE from the client, SUBACK / UNSUBACK from the broker. */
static void gen_sub(struct stream_buf *s, struct rd *r, unsigned v, unsigned dir)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r), n = 1 + (f & 3), i, uns = f & 0x04;
	static const char *filt[] = { "a/b", "a/+", "#", "a/#", "+/+/c", "$share/g/a" };

	bd_u16(&b, 1 + rd_u8(r));
	if (v == 5)
		bd_props(&b, r, 3);
	for (i = 0; i < n; i++) {
		if (dir) /* reason codes */
			bd_u8(&b, uns ? (v == 5 ? 0x11 * (f >> 7) : 0) : (f >> 4) & 3);
		else {
			bd_str(&b, filt[((f >> 3) + i) % 6], strlen(filt[((f >> 3) + i) % 6]));
			if (!uns)
				bd_u8(&b, (f >> 5) & 3);
		}
	}
	if (dir && !(uns && v != 5))
		sb_packet(s, (uns ? 0xb0 : 0x90), b.b, b.n);
	else if (dir)
		sb_packet(s, 0xb0, b.b, 2);
	else
		sb_packet(s, (uns ? 0xa2 : 0x82), b.b, b.n);
}

/* PINGREQ / PINGRESP, DISCONNECT, AUTH. */
static void gen_small(struct stream_buf *s, struct rd *r, unsigned v, unsigned dir)
{
	struct body b = { .n = 0 };
	unsigned f = rd_u8(r);

	switch (f % 3) {
	case 0:
		sb_packet(s, dir ? 0xd0 : 0xc0, b.b, 0);
		break;
	case 1:
		if (v == 5 && (f & 0x10)) {
			bd_u8(&b, f & 0x20 ? 0x04 : 0);
			if (f & 0x40)
				bd_props(&b, r, 3);
		}
		sb_packet(s, 0xe0, b.b, b.n);
		break;
	default:
		if (f & 0x10) {
			bd_u8(&b, f & 0x20 ? 0x18 : 0);
			bd_props(&b, r, 3);
		}
		sb_packet(s, 0xf0, b.b, b.n);
		break;
	}
}

/* ---- the oracle: the library over a whole stream ---- */
struct verdict {
	int first_status;          /* the first packet's end: DONE, ERROR, NEED_MORE */
	struct mqttp_parser first; /* the parser when the first packet ended (or at the end) */
	unsigned long long n, bytes;
	int end_status;            /* MQTTP_ERROR or MQTTP_NEED_MORE after the last packet */
	struct mqttp_parser last;  /* the parser at the end */
	unsigned long long fail_at;/* stream offset of the first byte after the last DONE */
	int ws_end;                /* WebSocket: the reader's last status (ERROR, CLOSE, or not) */
	int ws_error;
	unsigned long long ws_offset; /* frame bytes consumed */
};

static void oracle_plain(const uint8_t *buf, size_t len, const struct mqttp_options *opt,
                         struct verdict *o)
{
	struct mqttp_parser p;
	size_t at = 0, used;
	int st = MQTTP_NEED_MORE;

	memset(o, 0, sizeof(*o));
	mqttp_init(&p, opt);
	o->first_status = MQTTP_NEED_MORE;
	while (at < len) {
		used = 0;
		st = mqttp_feed(&p, buf + at, len - at, &used, NULL, NULL);
		at += used;
		if (st == MQTTP_DONE) {
			if (!o->n)
				o->first_status = MQTTP_DONE, o->first = p;
			o->n++;
			o->bytes += (unsigned long long)p.header_len + p.remaining_length;
			o->fail_at = at;
		} else if (st == MQTTP_ERROR) {
			if (!o->n)
				o->first_status = MQTTP_ERROR, o->first = p;
			break;
		}
		if (!used)
			break;
	}
	if (o->first_status == MQTTP_NEED_MORE)
		o->first = p;
	o->end_status = st == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE;
	o->last = p;
}

static void oracle_ws(const uint8_t *buf, size_t len, unsigned dir,
                      const struct mqttp_options *opt, struct verdict *o)
{
	static uint8_t scratch[FZS_MAX_STREAM];
	struct mqttp_ws_options wo;
	struct mqttp_ws_mqtt m;
	size_t at = 0, used, produced;
	int st = MQTTP_WS_NEED_MORE;

	memset(o, 0, sizeof(*o));
	mqttp_ws_options_default(&wo);
	wo.role = dir ? MQTTP_WS_FROM_SERVER : MQTTP_WS_FROM_CLIENT;
	wo.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqttp_ws_mqtt_init(&m, &wo, opt);
	o->first_status = MQTTP_NEED_MORE;
	while (at < len) {
		used = produced = 0;
		st = mqttp_ws_mqtt_feed(&m, buf + at, len - at, &used, scratch, sizeof(scratch),
		                        &produced, NULL, NULL);
		at += used;
		if (st == MQTTP_WS_DONE) {
			if (!o->n)
				o->first_status = MQTTP_DONE, o->first = m.mqtt;
			o->n++;
			o->bytes += (unsigned long long)m.mqtt.header_len + m.mqtt.remaining_length;
			o->fail_at = at;
		} else if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE) {
			if (!o->n && m.mqtt.status == MQTTP_ERROR)
				o->first_status = MQTTP_ERROR, o->first = m.mqtt;
			break;
		}
		if (!used)
			break;
	}
	if (o->first_status == MQTTP_NEED_MORE)
		o->first = m.mqtt;
	o->ws_end = st;
	o->ws_error = m.ws.error;
	o->ws_offset = at;
	o->end_status = m.mqtt.status == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE;
	o->last = m.mqtt;
}

/* ---- WebSocket frames around an MQTT stream ---- */
static void ws_wrap(struct stream_buf *out, const uint8_t *mq, size_t len, unsigned dir,
                    const uint8_t *plan, size_t plan_len)
{
	size_t at = 0, i = 0, n, hl;
	uint8_t key[4], h[MQTTP_WS_MAX_HEADER];
	unsigned k, op;
	int in_msg = 0;

	while (at < len && out->len + MQTTP_WS_MAX_HEADER * 2 + 8 < sizeof(out->b)) {
		k = plan_len ? plan[(i * 7 + 3) % plan_len] : 0x55;
		key[0] = (uint8_t)k, key[1] = (uint8_t)(k * 3), key[2] = (uint8_t)(i + 1), key[3] = 0xa5;
		i++;
		if ((k & 0x30) == 0x30) { /* a ping or pong between frames */
			static const uint8_t pay[3] = { 'p', 'i', 'n' };

			hl = mqttp_ws_encode_frame(h, sizeof(h), MQTTP_WS_FIN |
			                           (k & 0x40 ? MQTTP_WS_PONG : MQTTP_WS_PING), pay,
			                           k % 4, dir ? NULL : key);
			sb_put(out, h, hl);
		}
		n = fzs_pieces[k & 15] * (k & 0x80 ? 3 : 1);
		if (n > len - at)
			n = len - at;
		if (out->len + n + MQTTP_WS_MAX_HEADER > sizeof(out->b))
			n = sizeof(out->b) - out->len - MQTTP_WS_MAX_HEADER;
		/* one message in a few frames: not final, then continuations */
		op = in_msg ? MQTTP_WS_CONTINUATION : MQTTP_WS_BINARY;
		in_msg = (k & 0x08) && at + n < len;
		hl = mqttp_ws_encode_header(h, sizeof(h), (in_msg ? 0 : MQTTP_WS_FIN) | op, n, dir ? NULL : key);
		sb_put(out, h, hl);
		if (!dir) {
			uint8_t *p = out->b + out->len;

			sb_put(out, mq + at, n);
			mqttp_ws_unmask(p, p, n, key, 0);
		} else
			sb_put(out, mq + at, n);
		at += n;
	}
}

/* ---- counters ---- */
static unsigned long long st_runs, st_err[2], st_on[2], st_first_bad[2], st_ws, st_gone[2],
                          st_pkts[2];
static int st_on_exit;

static void print_stats(void)
{
	fprintf(stderr, "fuzz_session: %llu runs (%llu WebSocket); request: %llu packets, "
	        "%llu framed to the end, %llu invalid later, %llu invalid first, %llu unparsed; "
	        "response: %llu packets, %llu framed, %llu invalid later, %llu invalid first, "
	        "%llu unparsed\n", st_runs, st_ws, st_pkts[0], st_on[0], st_err[0], st_first_bad[0],
	        st_gone[0], st_pkts[1], st_on[1], st_err[1], st_first_bad[1], st_gone[1]);
}

/* Was the parser's state the same where the session and the library both
 * stopped? (public fields) */
static void same_parser(const struct mqttp_parser *a, const struct mqttp_parser *b, int status)
{
	FZ_CHECK(a->status == b->status || status);
	FZ_CHECK(a->type == b->type);
	FZ_CHECK(a->error == b->error);
	if (a->status == MQTTP_ERROR)
		FZ_CHECK(a->error_offset == b->error_offset);
	FZ_CHECK(a->offset == b->offset);
	FZ_CHECK(a->remaining_length == b->remaining_length);
	FZ_CHECK(a->header_len == b->header_len);
	FZ_CHECK(a->have == b->have);
	FZ_CHECK(a->version == b->version);
}

static struct stream_buf mq[2], wire[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned vers[4] = { 3, 4, 5, 5 };
	struct rd r;
	const uint8_t *plan;
	size_t plan_len, sizes[2], heads[2], head_len = 0, sent[2] = { 0, 0 }, step = 0;
	unsigned c0, c1, v, ws, dir, fields;
	int state[2] = { FZS_WAIT, FZS_WAIT }, done[2] = { 0, 0 }, phase2 = 0, res_started = 0;
	unsigned res_version = 0;
	struct mqttp_options opt;
	struct verdict o[2];
	struct fzs_view vw;
	int d;

	if (!st_on_exit && getenv("FZ_STATS")) {
		st_on_exit = 1;
		atexit(print_stats);
	}
	if (size < 3)
		return 0;
	c0 = data[0], c1 = data[1];
	plan_len = data[2] & 0x3f;
	if (plan_len > size - 3)
		plan_len = size - 3;
	plan = data + 3;
	r.p = data + 3 + plan_len;
	r.n = size - 3 - plan_len;
	r.at = 0;
	v = vers[c0 & 3];
	ws = (c0 >> 2) & 1;
	fields = c0 >> 7;
	sizes[0] = fzs_sizes[(c0 >> 4) & 7];
	sizes[1] = fzs_sizes[c1 & 7];
	heads[0] = (c1 >> 3) * 37;
	heads[1] = (c1 >> 3) * 11;
	if (ws && sizes[0] < 64)
		sizes[0] = 64; /* the HTTP head must fit */
	if (ws && sizes[1] < 200)
		sizes[1] = 200; /* so must our 101 */
	st_runs++;
	st_ws += ws;

	/* the two MQTT streams */
	mq[0].len = mq[1].len = mq[0].last = mq[1].last = 0;
	if (!(c0 & 0x08)) {
		gen_connect(&mq[0], &r, v);
		gen_connack(&mq[1], &r, v);
	}
	while (rd_left(&r)) {
		unsigned op = rd_u8(&r), k = op >> 1;
		struct stream_buf *s;

		dir = op & 1;
		s = &mq[dir];
		switch (k % 10) {
		case 0: case 1: case 2:
			gen_publish(s, &r, v);
			break;
		case 3:
			gen_ack(s, &r, v);
			break;
		case 4:
			gen_sub(s, &r, v, dir);
			break;
		case 5:
			gen_small(s, &r, v, dir);
			break;
		case 6: { /* raw input bytes */
			size_t n = 1 + rd_u8(&r) % 8;

			while (n-- && rd_left(&r)) {
				uint8_t b = (uint8_t)rd_u8(&r);

				sb_put(s, &b, 1);
			}
			break;
		}
		case 7: /* a byte of the last packet changed */
			if (s->len) {
				size_t at = s->last + rd_u8(&r) % (s->len - s->last);

				s->b[at] ^= (uint8_t)(rd_u8(&r) | 1);
			}
			break;
		case 8: /* the last packet cut short */
			if (s->len > s->last + 1)
				s->len -= 1 + rd_u8(&r) % (s->len - s->last - 1);
			break;
		default:
			if (dir)
				gen_connack(s, &r, v); /* a second CONNACK: a protocol error */
			else
				gen_publish(s, &r, v);
			break;
		}
	}

	/* what goes on the wire */
	fzs_options(&opt);
	for (dir = 0; dir < 2; dir++) {
		wire[dir].len = 0;
		if (!ws) {
			sb_put(&wire[dir], mq[dir].b, mq[dir].len);
			continue;
		}
		if (!dir) { /* the client's HTTP head, its end accepted by mqtt-ws-handshake */
			static const char get[] = "GET /mqtt HTTP/1.1\r\n\r\n";

			head_len = 1 + (plan_len ? plan[0] % 40 : 7);
			for (size_t i = 0; i < head_len; i++)
				sb_put(&wire[0], &get[i % (sizeof(get) - 1)], 1);
		}
		ws_wrap(&wire[dir], mq[dir].b, mq[dir].len, dir, plan, plan_len);
	}

	fzs_start(sizes, heads, ws);
	if (ws) { /* the head arrives whole, is accepted; our 101 goes out */
		FZ_CHECK(fzs_deliver(0, wire[0].b, head_len) == head_len);
		sent[0] = head_len;
		fzs_ws_accept(head_len, 129);
		fzs_fetch(0, 0); /* mqtt-ws-handshake waits for the CONNECT */
		fzs_fetch(1, (int)fields); /* our 101 in the buffer: nothing yet */
		fzs_send(1, 129);
		fzs_ws_broker_done();
	}

	/* the bytes arrive, are fed, framed, forwarded, sent */
	while (sent[0] < wire[0].len || sent[1] < wire[1].len || fzs_output(0) || fzs_output(1)) {
		unsigned pb = plan_len ? plan[step % plan_len] : (unsigned)step * 0x35;
		size_t piece = fzs_pieces[pb & 15], n;

		step++;
		if (!phase2) {
			fzs_view(0, &vw);
			phase2 = sent[0] == wire[0].len || state[0] != FZS_WAIT ||
			         (vw.started && vw.first.status != MQTTP_NEED_MORE);
		}
		dir = phase2 ? (pb >> 4) & 1 : 0;
		if (sent[dir] == wire[dir].len && !fzs_input(dir) && !fzs_output(dir))
			dir ^= 1;
		if (dir && !res_started) {
			fzs_view(0, &vw);
			res_version = vw.started && (vw.first.have & MQTTP_HAVE_VERSION) ?
			              vw.first.version : 0;
			res_started = 1;
		}
		/* the consumer takes output first when there is no room */
		if (!fzs_room(dir))
			fzs_send(dir, fzs_output(dir));
		n = wire[dir].len - sent[dir];
		if (n > piece)
			n = piece;
		n = fzs_deliver(dir, wire[dir].b + sent[dir], n);
		sent[dir] += n;
		if (!(pb & 0x80) || (pb & 0x20))
			fzs_fetch(dir, dir ? (int)fields : 0);
		if ((pb & 0x20) && fzs_room(dir) && sent[dir] < wire[dir].len) {
			/* the rules wait for more: nothing forwarded yet */
			fzs_view(dir, &vw);
			if (vw.started && !vw.lost && vw.framing == 0 && !ws &&
			    vw.first.status == MQTTP_NEED_MORE && (dir == 0 || res_version))
				FZ_CHECK(vw.pos == vw.total);
			continue;
		}
		if (!done[dir] && fzs_input(dir)) {
			int st = fzs_payload(dir);

			fzs_view(dir, &vw);
			if (st == FZS_ON)
				FZ_CHECK(vw.fpos == vw.total); /* never stops short */
			if (st == FZS_WAIT && vw.started && !ws && (dir == 0 || res_version))
				FZ_CHECK(vw.pos == vw.total);
			if (st == FZS_ON || st == FZS_WAIT)
				state[dir] = st;
			else {
				state[dir] = st;
				done[dir] = 1; /* the filter unregisters: bytes flow unseen */
			}
		}
		fzs_forward(dir);
		fzs_send(dir, (pb & 0x40) ? (fzs_output(dir) + 1) / 2 : fzs_output(dir));
	}

	/* the library over each whole stream, in one call */
	for (d = 0; d < 2; d++) {
		struct mqttp_options o2 = opt;

		o2.checks = d ? MQTTP_CHECK_FROM_SERVER : MQTTP_CHECK_FROM_CLIENT;
		if (d) {
			o2.version = (uint8_t)res_version;
			if (!res_version && !ws && mq[1].len >= 2)
				o2.version = mq[1].b[1] == 2 ? MQTTP_V311 : MQTTP_V5;
		}
		if (ws)
			oracle_ws(wire[d].b + (d ? 0 : head_len), wire[d].len - (d ? 0 : head_len), d,
			          &o2, &o[d]);
		else
			oracle_plain(wire[d].b, wire[d].len, &o2, &o[d]);
	}

	for (d = 0; d < 2; d++) {
		unsigned long long shift = (!d && ws) ? head_len : 0;

		fzs_view(d, &vw);
		if (wire[d].len == shift)
			continue;
		if (state[d] == FZS_GONE || vw.lost) {
			/* only a broken WebSocket stream before the first packet's end,
			 * or a response whose version could not be told */
			FZ_CHECK(ws ? (o[d].first_status == MQTTP_NEED_MORE &&
			               (o[d].ws_end == MQTTP_WS_ERROR || o[d].ws_end == MQTTP_WS_CLOSE))
			            : (d == 1 && !res_version));
			st_gone[d]++;
			continue;
		}
		if (d == 1 && !ws && !res_version && !vw.started)
			continue;
		if (d == 1 && vw.need_version) {
			/* the request's version unknown (its CONNECT broken before
			 * it) and the response's first byte forwarded alone: its
			 * version is never told, it passes unparsed */
			FZ_CHECK(!ws && !res_version && vw.first.status == MQTTP_NEED_MORE);
			FZ_CHECK(vw.pkts == 0);
			st_gone[d]++;
			continue;
		}
		/* the first packet: the same verdict */
		FZ_CHECK(vw.started);
		if (o[d].first_status == MQTTP_NEED_MORE && ws &&
		    (o[d].ws_end == MQTTP_WS_ERROR || o[d].ws_end == MQTTP_WS_CLOSE)) {
			FZ_CHECK(vw.first.status == MQTTP_NEED_MORE);
			FZ_CHECK(vw.pkts == 0);
			continue;
		}
		FZ_CHECK(vw.first.status == o[d].first_status);
		same_parser(&vw.first, &o[d].first, 0);
		if (o[d].first_status != MQTTP_DONE) {
			FZ_CHECK(vw.pkts == 0);
			if (o[d].first_status == MQTTP_ERROR)
				st_first_bad[d]++;
			continue;
		}
		/* then every packet framed */
		FZ_CHECK(vw.pkts == o[d].n);
		FZ_CHECK(vw.bytes == o[d].bytes);
		st_pkts[d] += vw.pkts;
		if (ws && o[d].ws_end == MQTTP_WS_CLOSE) {
			FZ_CHECK(state[d] == FZS_OFF);
			continue;
		}
		if (ws && o[d].ws_end == MQTTP_WS_ERROR && o[d].end_status != MQTTP_ERROR) {
			int e, isws;
			unsigned long long at;

			FZ_CHECK(state[d] == FZS_ERROR);
			fzs_frame_error(d, &e, &isws, &at);
			FZ_CHECK(isws && e == o[d].ws_error);
			FZ_CHECK(vw.ws_status == MQTTP_WS_ERROR);
			FZ_CHECK(vw.fpos == o[d].ws_offset + shift);
			st_err[d]++;
			continue;
		}
		if (o[d].end_status == MQTTP_ERROR) {
			int e, isws;
			unsigned long long at;

			FZ_CHECK(state[d] == FZS_ERROR);
			fzs_frame_error(d, &e, &isws, &at);
			FZ_CHECK(!isws && e == o[d].last.error);
			FZ_CHECK(at == o[d].fail_at + shift);
			same_parser(&vw.fr, &o[d].last, 0);
			st_err[d]++;
			continue;
		}
		FZ_CHECK(state[d] == FZS_ON);
		FZ_CHECK(vw.fpos == vw.total);
		FZ_CHECK(vw.total == wire[d].len);
		same_parser(&vw.fr, &o[d].last, 1);
		st_on[d]++;
	}

	/* the kept client id and user name: the CONNECT's bytes */
	if (o[0].first_status == MQTTP_DONE && o[0].first.type == MQTTP_CONNECT) {
		struct mqttp_connect c;
		struct mqttp_result res;
		struct mqttp_options o2 = opt;
		const uint8_t *pkt = ws ? NULL : wire[0].b;
		const char *kp;
		size_t kl;

		o2.checks = MQTTP_CHECK_FROM_CLIENT;
		if (pkt && mqttp_decode_connect(pkt, o[0].first.header_len + o[0].first.remaining_length,
		                                &o2, &c, &res) == MQTTP_DONE) {
			if (fzs_kept(0, &kp, &kl))
				FZ_CHECK(kl == c.client_id.len && !memcmp(kp, pkt + c.client_id.off, kl));
			if (fzs_kept(1, &kp, &kl))
				FZ_CHECK(c.username.present && kl == c.username.len &&
				         !memcmp(kp, pkt + c.username.off, kl));
		}
	}
	fzs_end();
	return 0;
}
