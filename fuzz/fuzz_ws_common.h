/*
 * fuzz_ws_common.h - shared by the WebSocket harnesses (fuzz_ws_*.c).
 *
 * Input layout (three config bytes, like fuzz_common.h's, so every corpus
 * file means something to every harness):
 *
 *   byte 0   bits 0-1 role (0 any direction, 1 from client, 2 from server,
 *            3 from client), bits 2-3 lenient (MQTTP_WS_LENIENT_*), bits 4-6
 *            RSV bits allowed, bit 7 MQTTP_WS_CHECK_BINARY_ONLY
 *   byte 1   bits 0-1 max_frame_payload {0, 16, 125, 65536}, bits 2-3
 *            max_message {0, 20, 300, 70000}, bits 4-5 MQTT checks
 *            (MQTTP_CHECK_FROM_CLIENT / _FROM_SERVER), bit 6 MQTT
 *            max_packet_size 64, bit 7 every MQTT lenient flag
 *   byte 2   bits 0-3 K, the chunk plan's length; bits 4-5 the MQTT
 *            path's buffer size {1, 3, 64, 4096}; bits 6-7 harness mode
 *   K bytes  chunk plan: sizes of the feed calls, cycled; 0 = a
 *            zero-length call
 *   rest     the body
 *
 * Helpers are static inline: each harness uses a part of them.
 */
#ifndef FUZZ_WS_COMMON_H
#define FUZZ_WS_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h" /* fz_dup */
#include "mqttws.h"

#define FW_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct fw_input {
	struct mqttp_ws_options wopt;
	struct mqttp_options mopt;
	size_t cap;             /* MQTT path buffer */
	uint8_t mode;           /* byte 2 bits 6-7 */
	const uint8_t *plan;
	size_t plan_len;
	const uint8_t *body;
	size_t body_len;
};

static inline void fw_parse_input(const uint8_t *data, size_t size, struct fw_input *in)
{
	static const uint64_t max_frame[4] = { 0, 16, 125, 65536 };
	static const uint64_t max_msg[4] = { 0, 20, 300, 70000 };
	static const size_t caps[4] = { 1, 3, 64, 4096 };
	static const uint8_t roles[4] = { MQTTP_WS_ANY_DIRECTION, MQTTP_WS_FROM_CLIENT,
	                                  MQTTP_WS_FROM_SERVER, MQTTP_WS_FROM_CLIENT };
	uint8_t b0 = 0, b1 = 0, b2 = 0;
	size_t k;

	memset(in, 0, sizeof(*in));
	if (size >= 3) {
		b0 = data[0];
		b1 = data[1];
		b2 = data[2];
		data += 3;
		size -= 3;
	}
	mqttp_ws_options_default(&in->wopt);
	in->wopt.role = roles[b0 & 3];
	in->wopt.lenient = (uint8_t)((b0 >> 2) & 3);
	in->wopt.rsv_allowed = (uint8_t)(b0 & 0x70);
	in->wopt.checks = (uint8_t)(b0 >> 7);
	in->wopt.max_frame_payload = max_frame[b1 & 3];
	in->wopt.max_message = max_msg[(b1 >> 2) & 3];
	mqttp_options_default(&in->mopt);
	in->mopt.checks = (b1 >> 4) & 3u;
	in->mopt.max_packet_size = (b1 & 0x40) ? 64 : 0;
	in->mopt.lenient = (b1 & 0x80) ? MQTTP_LENIENT_ALL : 0;
	in->cap = caps[(b2 >> 4) & 3];
	in->mode = (uint8_t)(b2 >> 6);
	k = b2 & 15u;
	if (k > size)
		k = size;
	in->plan = data;
	in->plan_len = k;
	in->body = data + k;
	in->body_len = size - k;
}

/* A growing byte log. */
struct fw_log {
	uint8_t *b;
	size_t len, cap;
};

static inline void fw_put(struct fw_log *l, const void *p, size_t n)
{
	if (l->len + n > l->cap) {
		l->cap = (l->len + n) * 2 + 256;
		l->b = realloc(l->b, l->cap);
		FW_CHECK(l->b != NULL);
	}
	if (n)
		memcpy(l->b + l->len, p, n);
	l->len += n;
}

static inline void fw_put64(struct fw_log *l, uint64_t v)
{
	fw_put(l, &v, sizeof(v));
}

/*
 * Everything observable of one mqttp_ws_feed run: a log of
 *   'H' byte0 masked key[4] payload_len header_len frame_start  (header)
 *   the unmasked payload bytes, in order                        (pieces)
 *   'E' have close_code                                         (end)
 *   'S' status offset                                           (DONE/CLOSE)
 * and the final state. `data` collects the payload of binary and
 * continuation frames (the MQTT stream).
 */
struct fw_trace {
	struct fw_log log;
	struct fw_log data;
	int final_status;
	uint8_t error;
	uint32_t error_offset;
	uint64_t frame_start, offset;
	uint32_t frames;
	/* for the callback */
	const uint8_t *call;
	size_t call_len;
	uint64_t next_off;
	int in_frame;
	int ends;
};

static inline void fw_trace_free(struct fw_trace *t)
{
	free(t->log.b);
	free(t->data.b);
}

static inline void fw_log_header(struct fw_trace *t, const struct mqttp_ws *ws)
{
	uint8_t h[6];

	h[0] = 'H';
	h[1] = (uint8_t)(ws->fin << 7 | ws->rsv | ws->opcode);
	h[2] = ws->masked;
	memcpy(h + 3, ws->key, 3);
	fw_put(&t->log, h, 6);
	fw_put(&t->log, &ws->key[3], 1);
	fw_put64(&t->log, ws->payload_len);
	fw_put(&t->log, &ws->header_len, 1);
	fw_put64(&t->log, ws->frame_start);
}

static inline void fw_log_end(struct fw_trace *t, uint8_t have, uint16_t code)
{
	uint8_t e[4];

	e[0] = 'E';
	e[1] = have;
	memcpy(e + 2, &code, 2);
	fw_put(&t->log, e, 4);
}

static inline void fw_log_status(struct fw_trace *t, int st, uint64_t off)
{
	uint8_t s[2];

	s[0] = 'S';
	s[1] = (uint8_t)st;
	fw_put(&t->log, s, 2);
	fw_put64(&t->log, off);
}

static inline void fw_on_event(void *ctx, const struct mqttp_ws *ws, const struct mqttp_ws_event *ev)
{
	struct fw_trace *t = ctx;

	switch (ev->type) {
	case MQTTP_WS_EV_HEADER:
		FW_CHECK(!t->in_frame);
		FW_CHECK(ws->have & MQTTP_WS_HAVE_HEADER);
		FW_CHECK(ws->payload_off == 0);
		FW_CHECK(ws->header_len == 2 + (ws->payload_len < 126 ? 0 : ws->payload_len < 65536 ? 2 : 8) + 4 * ws->masked ||
		         (ws->priv_lenient & MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH));
		fw_log_header(t, ws);
		t->in_frame = 1;
		t->next_off = 0;
		break;
	case MQTTP_WS_EV_PAYLOAD: {
		uint8_t *tmp;

		FW_CHECK(t->in_frame);
		FW_CHECK(ev->len > 0 && ev->len <= 256);
		FW_CHECK(ev->off == t->next_off);
		FW_CHECK(ev->off + ev->len <= ws->payload_len);
		FW_CHECK(ev->raw >= t->call && ev->raw + ev->len <= t->call + t->call_len);
		tmp = fz_dup(ev->raw, ev->len);
		mqttp_ws_unmask(tmp, tmp, ev->len, ws->key, ev->off);
		FW_CHECK(memcmp(tmp, ev->data, ev->len) == 0);
		if (!ws->masked)
			FW_CHECK(ev->data == ev->raw);
		free(tmp);
		fw_put(&t->log, ev->data, ev->len);
		if (ws->opcode == MQTTP_WS_BINARY || ws->opcode == MQTTP_WS_CONTINUATION)
			fw_put(&t->data, ev->data, ev->len);
		t->next_off += ev->len;
		break;
	}
	case MQTTP_WS_EV_END:
		FW_CHECK(t->in_frame);
		FW_CHECK(t->next_off == ws->payload_len);
		FW_CHECK(ws->payload_off == ws->payload_len);
		fw_log_end(t, ws->have, ws->close_code);
		t->in_frame = 0;
		t->ends++;
		break;
	default:
		FW_CHECK(0);
	}
}

enum fw_cut { FW_ONESHOT, FW_BYTES, FW_PLAN };

/* Feed body through mqttp_ws_feed in the given cut, each call's bytes in
 * their own exact-size allocation, checking each call's invariants. */
static inline void fw_run(struct fw_trace *t, const uint8_t *body, size_t len,
                          const struct mqttp_ws_options *opt, enum fw_cut cut,
                          const uint8_t *plan, size_t plan_len)
{
	struct mqttp_ws ws, before;
	size_t pos = 0, pi = 0, i;
	int plan_nonzero = 0, st = MQTTP_WS_NEED_MORE, calls = 0;

	memset(t, 0, sizeof(*t));
	mqttp_ws_init(&ws, opt);
	for (i = 0; i < plan_len; i++)
		plan_nonzero |= plan[i] != 0;
	if (cut == FW_PLAN && !plan_nonzero)
		cut = FW_BYTES;
	while (pos < len || (cut == FW_PLAN && calls == 0)) {
		size_t sz = cut == FW_ONESHOT ? len - pos : cut == FW_BYTES ? 1 : plan[pi++ % plan_len];
		uint8_t *chunk;
		size_t used = 0;

		calls++;
		if (sz > len - pos)
			sz = len - pos;
		if (sz == 0) {
			size_t c = 99;
			int r;

			before = ws;
			r = mqttp_ws_feed(&ws, (pi & 1) ? NULL : body, 0, &c, fw_on_event, t);
			FW_CHECK(c == 0);
			FW_CHECK(r == (before.status == MQTTP_WS_ERROR ? MQTTP_WS_ERROR :
			               st == MQTTP_WS_CLOSE ? MQTTP_WS_CLOSE : MQTTP_WS_NEED_MORE));
			FW_CHECK(memcmp(&ws, &before, sizeof(ws)) == 0);
			continue;
		}
		chunk = fz_dup(body + pos, sz);
		while (used < sz) {
			size_t c = 99, n = sz - used;
			uint32_t frames = ws.frames;

			t->call = chunk + used;
			t->call_len = n;
			st = mqttp_ws_feed(&ws, chunk + used, n, &c, fw_on_event, t);
			FW_CHECK(st >= MQTTP_WS_ERROR && st <= MQTTP_WS_CLOSE);
			FW_CHECK(st == ws.status);
			FW_CHECK(c <= n);
			FW_CHECK(ws.error < MQTTP_WS_E__COUNT);
			FW_CHECK((ws.error != 0) == (st == MQTTP_WS_ERROR));
			used += c;
			FW_CHECK(ws.offset == pos + used);
			if (st == MQTTP_WS_NEED_MORE)
				FW_CHECK(c == n);
			if (st == MQTTP_WS_DONE || st == MQTTP_WS_CLOSE) {
				FW_CHECK(ws.frames == frames + 1);
				FW_CHECK(ws.frame_start + ws.header_len + ws.payload_len == ws.offset);
				FW_CHECK((st == MQTTP_WS_CLOSE) == (ws.opcode == MQTTP_WS_CLOSE_FRAME));
				fw_log_status(t, st, ws.offset);
			} else
				FW_CHECK(ws.frames == frames);
			if (st == MQTTP_WS_ERROR) {
				size_t c2 = 99;

				FW_CHECK(ws.frame_start <= ws.offset);
				/* reported at or before the byte that revealed it */
				FW_CHECK(ws.error_offset <= ws.offset - ws.frame_start);
				before = ws;
				FW_CHECK(mqttp_ws_feed(&ws, chunk + used, n - c, &c2, fw_on_event, t) == MQTTP_WS_ERROR);
				FW_CHECK(c2 == 0);
				FW_CHECK(memcmp(&ws, &before, sizeof(ws)) == 0);
				break;
			}
		}
		free(chunk);
		pos += used;
		if (st == MQTTP_WS_ERROR)
			break;
	}
	FW_CHECK(t->in_frame || t->ends == (int)ws.frames);
	t->final_status = st;
	t->error = ws.error;
	t->error_offset = ws.error_offset;
	t->frame_start = ws.frame_start;
	t->offset = ws.offset;
	t->frames = ws.frames;
}

static inline void fw_compare(const struct fw_trace *a, const struct fw_trace *b)
{
	FW_CHECK(a->final_status == b->final_status);
	FW_CHECK(a->error == b->error);
	FW_CHECK(a->error_offset == b->error_offset);
	FW_CHECK(a->frame_start == b->frame_start);
	FW_CHECK(a->offset == b->offset);
	FW_CHECK(a->frames == b->frames);
	FW_CHECK(a->log.len == b->log.len);
	FW_CHECK(a->log.len == 0 || memcmp(a->log.b, b->log.b, a->log.len) == 0);
	FW_CHECK(a->data.len == b->data.len);
	FW_CHECK(a->data.len == 0 || memcmp(a->data.b, b->data.b, a->data.len) == 0);
}

#endif /* FUZZ_WS_COMMON_H */
