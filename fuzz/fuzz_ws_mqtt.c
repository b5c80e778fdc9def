/*
 * fuzz_ws_mqtt - arbitrary bytes through the whole WebSocket + MQTT path
 * (mqttp_ws_mqtt_feed).
 *
 * Raw mode (byte 2 bit 6 clear): the body is the WebSocket stream.
 *   A  one call at a time over the whole rest, MQTT bytes accumulated in
 *      one buffer;
 *   B  the input's chunk plan, unmasking into a small scratch buffer
 *      (1, 3, 64 or 4096 bytes): same statuses at the same offsets, same
 *      errors, same MQTT bytes;
 *   C  the frame reader alone (mqttp_ws_feed, binary only): A's MQTT bytes
 *      are the start of C's binary/continuation payload, all of it when
 *      the MQTT side found no error, and then the WebSocket verdicts match;
 *   D  A's MQTT bytes fed in one piece to a fresh mqttp_parser: the same
 *      packets, MQTT error and error offset.
 * Wrap mode (bit 6 set): the body is an MQTT stream; it is cut into masked
 * binary/continuation frames by the chunk plan, with pings and pongs
 * between, and must give exactly the bare stream's result.
 */
#include "fuzz_ws_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct mq_run {
	struct fw_log statuses;     /* (status, ws offset, mqtt offset) per DONE/CLOSE */
	struct fw_log mqtt;         /* MQTT bytes produced */
	int final_status;
	uint8_t ws_error, mqtt_error;
	uint32_t ws_error_offset, mqtt_error_offset;
	uint64_t ws_frame_start, ws_offset, mqtt_offset;
	uint32_t frames, packets;
	int ws_failed, mqtt_failed;
	uint16_t close_code;
};

static void mq_free(struct mq_run *r)
{
	free(r->statuses.b);
	free(r->mqtt.b);
}

/* A field callback that checks each fragment lies in the call's buffer. */
struct frag_ctx {
	const uint8_t *buf;
	size_t len;
};
static void on_field(void *ctx, const struct mqttp_field *f)
{
	const struct frag_ctx *c = ctx;

	if (f->frag_len)
		FW_CHECK(f->frag >= c->buf && f->frag + f->frag_len <= c->buf + c->len);
}

/* Run the helper over body; plan == NULL: one call over the rest each
 * time, into an accumulating buffer; else chunks by plan, into a scratch
 * buffer of cap bytes. */
static void mq_run(struct mq_run *r, const uint8_t *body, size_t len, const struct fw_input *in,
                   const uint8_t *plan, size_t plan_len, size_t cap)
{
	struct mqttp_ws_mqtt m, before;
	uint8_t *acc = NULL, *scratch = NULL;
	size_t pos = 0, pi = 0, acc_len = 0, acc_cap = len + 1, i;
	int st = MQTTP_WS_NEED_MORE, nonzero = 0, calls = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < plan_len; i++)
		nonzero |= plan[i] != 0;
	if (plan && !nonzero) {
		plan = NULL;
		cap = cap ? cap : 1;
	}
	mqttp_ws_mqtt_init(&m, &in->wopt, &in->mopt);
	FW_CHECK(m.ws.priv_checks & MQTTP_WS_CHECK_BINARY_ONLY); /* white-box */
	if (plan)
		scratch = malloc(cap);
	else
		acc = malloc(acc_cap);
	FW_CHECK(plan ? scratch != NULL : acc != NULL);
	while (pos < len || (plan && calls == 0)) {
		size_t sz = plan ? plan[pi++ % plan_len] : len - pos;
		uint8_t *chunk;
		size_t used = 0;

		calls++;
		if (sz > len - pos)
			sz = len - pos;
		if (sz == 0) {
			size_t c = 9, p = 9;
			int rr;

			before = m;
			rr = mqttp_ws_mqtt_feed(&m, NULL, 0, &c, scratch, cap, &p, NULL, NULL);
			FW_CHECK(c == 0 && p == 0);
			FW_CHECK(rr == (st == MQTTP_WS_ERROR ? MQTTP_WS_ERROR :
			                st == MQTTP_WS_CLOSE ? MQTTP_WS_CLOSE : MQTTP_WS_NEED_MORE));
			FW_CHECK(memcmp(&m, &before, sizeof(m)) == 0);
			continue;
		}
		chunk = fz_dup(body + pos, sz);
		while (used < sz) {
			size_t c = 9, made = 9, n = sz - used;
			uint8_t *b = plan ? scratch : acc + acc_len;
			size_t bcap = plan ? cap : acc_cap - acc_len;
			struct frag_ctx fc;
			uint32_t packets = m.mqtt.packets;

			fc.buf = b;
			fc.len = bcap;
			st = mqttp_ws_mqtt_feed(&m, chunk + used, n, &c, b, bcap, &made, on_field, &fc);
			FW_CHECK(st >= MQTTP_WS_ERROR && st <= MQTTP_WS_CLOSE);
			FW_CHECK(c <= n && made <= bcap && made <= c);
			fw_put(&r->mqtt, b, made);
			if (!plan)
				acc_len += made;
			used += c;
			FW_CHECK(m.ws.offset == pos + used);
			FW_CHECK(m.mqtt_offset == r->mqtt.len);
			if (st == MQTTP_WS_DONE)
				FW_CHECK(m.mqtt.packets == packets + 1);
			else
				FW_CHECK(m.mqtt.packets == packets);
			if (st == MQTTP_WS_DONE || st == MQTTP_WS_CLOSE) {
				uint8_t s = (uint8_t)st;

				fw_put(&r->statuses, &s, 1);
				fw_put64(&r->statuses, m.ws.offset);
				fw_put64(&r->statuses, m.mqtt_offset);
			}
			if (st == MQTTP_WS_NEED_MORE && c < n)
				FW_CHECK(plan && made == cap);
			if (st == MQTTP_WS_ERROR) {
				size_t c2 = 9, p2 = 9;

				FW_CHECK((m.ws.status == MQTTP_WS_ERROR) != (m.mqtt.status == MQTTP_ERROR));
				before = m;
				FW_CHECK(mqttp_ws_mqtt_feed(&m, chunk + used, n - c, &c2, b, bcap, &p2, NULL, NULL) == MQTTP_WS_ERROR);
				FW_CHECK(c2 == 0 && p2 == 0);
				FW_CHECK(memcmp(&m, &before, sizeof(m)) == 0);
				break;
			}
		}
		free(chunk);
		pos += used;
		if (st == MQTTP_WS_ERROR)
			break;
	}
	r->final_status = st;
	r->ws_failed = m.ws.status == MQTTP_WS_ERROR;
	r->mqtt_failed = m.mqtt.status == MQTTP_ERROR;
	r->ws_error = m.ws.error;
	r->ws_error_offset = m.ws.error_offset;
	r->ws_frame_start = m.ws.frame_start;
	r->ws_offset = m.ws.offset;
	r->mqtt_error = m.mqtt.error;
	r->mqtt_error_offset = m.mqtt.error_offset;
	r->mqtt_offset = m.mqtt_offset;
	r->frames = m.ws.frames;
	r->packets = m.mqtt.packets;
	r->close_code = m.ws.close_code;
	free(acc);
	free(scratch);
}

static void mq_compare(const struct mq_run *a, const struct mq_run *b)
{
	FW_CHECK(a->final_status == b->final_status);
	FW_CHECK(a->ws_failed == b->ws_failed && a->mqtt_failed == b->mqtt_failed);
	FW_CHECK(a->ws_error == b->ws_error && a->ws_error_offset == b->ws_error_offset);
	FW_CHECK(a->mqtt_error == b->mqtt_error && a->mqtt_error_offset == b->mqtt_error_offset);
	FW_CHECK(a->ws_frame_start == b->ws_frame_start && a->ws_offset == b->ws_offset);
	FW_CHECK(a->mqtt_offset == b->mqtt_offset);
	FW_CHECK(a->frames == b->frames && a->packets == b->packets);
	FW_CHECK(a->close_code == b->close_code);
	FW_CHECK(a->statuses.len == b->statuses.len);
	FW_CHECK(a->statuses.len == 0 || memcmp(a->statuses.b, b->statuses.b, a->statuses.len) == 0);
	FW_CHECK(a->mqtt.len == b->mqtt.len);
	FW_CHECK(a->mqtt.len == 0 || memcmp(a->mqtt.b, b->mqtt.b, a->mqtt.len) == 0);
}

/* The bare MQTT bytes through a fresh parser, in one piece each time. */
struct bare {
	int final_status;           /* as a mqttp_ws_status */
	uint32_t packets;
	uint8_t error;
	uint32_t error_offset;
	size_t consumed;
	struct fw_log done_at;      /* MQTT offsets of the DONEs */
};

static void bare_run(struct bare *r, const uint8_t *b, size_t n, const struct mqttp_options *opt)
{
	struct mqttp_parser p;
	size_t pos = 0, used;
	enum mqttp_status st = MQTTP_NEED_MORE;
	uint8_t *copy = fz_dup(b, n);

	memset(r, 0, sizeof(*r));
	mqttp_init(&p, opt);
	while (pos < n) {
		st = mqttp_feed(&p, copy + pos, n - pos, &used, NULL, NULL);
		pos += used;
		if (st == MQTTP_DONE)
			fw_put64(&r->done_at, pos);
		if (st == MQTTP_ERROR)
			break;
	}
	r->final_status = st == MQTTP_DONE ? MQTTP_WS_DONE : st == MQTTP_ERROR ? MQTTP_WS_ERROR : MQTTP_WS_NEED_MORE;
	r->packets = p.packets;
	r->error = p.error;
	r->error_offset = p.error_offset;
	r->consumed = pos;
	free(copy);
}

/* The MQTT offsets of a run's DONE statuses. */
static void done_offsets(const struct mq_run *r, struct fw_log *out)
{
	size_t i;

	for (i = 0; i + 17 <= r->statuses.len; i += 17)
		if (r->statuses.b[i] == MQTTP_WS_DONE)
			fw_put(out, r->statuses.b + i + 9, 8);
}

/* stream: the whole MQTT stream the frame reader extracted (A's bytes
 * stop before the byte that revealed an MQTT error). */
static void check_against_bare(const struct mq_run *a, const struct fw_input *in,
                               const uint8_t *stream, size_t stream_len)
{
	struct bare d;
	struct fw_log offs = { NULL, 0, 0 };

	bare_run(&d, stream, stream_len, &in->mopt);
	done_offsets(a, &offs);
	FW_CHECK(d.packets == a->packets);
	FW_CHECK(offs.len == d.done_at.len);
	FW_CHECK(offs.len == 0 || memcmp(offs.b, d.done_at.b, offs.len) == 0);
	if (a->mqtt_failed) {
		FW_CHECK(d.final_status == MQTTP_WS_ERROR);
		FW_CHECK(d.error == a->mqtt_error && d.error_offset == a->mqtt_error_offset);
	} else
		FW_CHECK(d.final_status != MQTTP_WS_ERROR);
	FW_CHECK(d.consumed == a->mqtt.len);
	free(offs.b);
	free(d.done_at.b);
}

static void raw_mode(const struct fw_input *in, const uint8_t *buf)
{
	struct mq_run a, b;
	struct fw_trace c;
	struct mqttp_ws_options copt = in->wopt;

	mq_run(&a, buf, in->body_len, in, NULL, 0, 0);
	mq_run(&b, buf, in->body_len, in, in->plan, in->plan_len, in->cap);
	mq_compare(&a, &b);
	copt.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	fw_run(&c, buf, in->body_len, &copt, FW_ONESHOT, NULL, 0);
	FW_CHECK(a.mqtt.len <= c.data.len);
	FW_CHECK(a.mqtt.len == 0 || memcmp(a.mqtt.b, c.data.b, a.mqtt.len) == 0);
	if (!a.mqtt_failed) {
		FW_CHECK(a.mqtt.len == c.data.len);
		FW_CHECK(a.ws_error == c.error && a.ws_error_offset == c.error_offset);
		FW_CHECK(a.ws_offset == c.offset && a.frames == c.frames);
		FW_CHECK((a.final_status == MQTTP_WS_CLOSE) == (c.final_status == MQTTP_WS_CLOSE));
		if (a.ws_failed)
			FW_CHECK(a.ws_frame_start == c.frame_start);
	}
	check_against_bare(&a, in, c.data.b, c.data.len);
	mq_free(&a);
	mq_free(&b);
	fw_trace_free(&c);
}

/* Frame the MQTT body by the plan (sizes cycled, 0 = the rest), with a
 * ping and a pong after frames whose plan byte is odd. */
static uint8_t *wrap(const struct fw_input *in, size_t *out_len)
{
	size_t n = in->body_len, pos = 0, o = 0, pi = 0;
	size_t cap = n * 2 + 64 + (n + 1) * (14 + 2 * 8);
	uint8_t *w = malloc(cap), key[4];
	int first = 1;

	FW_CHECK(w != NULL);
	key[0] = (uint8_t)n;
	key[1] = 0x5A;
	key[2] = (uint8_t)(n >> 8);
	key[3] = 0xC3;
	while (pos < n || first) {
		size_t k = in->plan_len ? in->plan[pi % in->plan_len] : 0;
		int ping = in->plan_len ? in->plan[pi % in->plan_len] & 1 : 0;
		unsigned b0;
		size_t h;

		pi++;
		if (k == 0 || k > n - pos)
			k = n - pos;
		b0 = (first ? MQTTP_WS_BINARY : MQTTP_WS_CONTINUATION) | (pos + k == n ? MQTTP_WS_FIN : 0);
		h = mqttp_ws_encode_frame(w + o, cap - o, b0, in->body + pos, k, key);
		FW_CHECK(h == 2 + (k < 126 ? 0 : k < 65536 ? 2 : 8) + 4 + k);
		o += h;
		pos += k;
		first = 0;
		if (ping) {
			o += mqttp_ws_encode_frame(w + o, cap - o, MQTTP_WS_FIN | MQTTP_WS_PING, "p", 1, key);
			o += mqttp_ws_encode_frame(w + o, cap - o, MQTTP_WS_FIN | MQTTP_WS_PONG, NULL, 0, key);
		}
		key[(pi & 3)] ^= (uint8_t)(k * 31 + 7);
	}
	*out_len = o;
	return w;
}

static void wrap_mode(struct fw_input *in)
{
	struct fw_input win = *in;
	struct mq_run a, b;
	struct bare d;
	struct fw_log offs = { NULL, 0, 0 };
	size_t wl;
	uint8_t *w;

	win.wopt.role = MQTTP_WS_FROM_CLIENT;
	win.wopt.rsv_allowed = 0;
	win.wopt.max_frame_payload = 0;
	win.wopt.max_message = 0;
	w = wrap(in, &wl);
	mq_run(&a, w, wl, &win, NULL, 0, 0);
	mq_run(&b, w, wl, &win, in->plan, in->plan_len, in->cap);
	mq_compare(&a, &b);
	bare_run(&d, in->body, in->body_len, &in->mopt);
	FW_CHECK(!a.ws_failed);
	FW_CHECK(a.packets == d.packets);
	FW_CHECK(a.mqtt_failed == (d.final_status == MQTTP_WS_ERROR));
	if (a.mqtt_failed)
		FW_CHECK(a.mqtt_error == d.error && a.mqtt_error_offset == d.error_offset);
	FW_CHECK(a.mqtt.len == d.consumed);
	FW_CHECK(a.mqtt.len == 0 || memcmp(a.mqtt.b, in->body, a.mqtt.len) == 0);
	done_offsets(&a, &offs);
	FW_CHECK(offs.len == d.done_at.len);
	FW_CHECK(offs.len == 0 || memcmp(offs.b, d.done_at.b, offs.len) == 0);
	free(offs.b);
	free(d.done_at.b);
	mq_free(&a);
	mq_free(&b);
	free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_input in;
	uint8_t *buf;

	fw_parse_input(data, size, &in);
	buf = fz_dup(in.body, in.body_len);
	if (in.mode & 1) {
		in.body = buf;
		wrap_mode(&in);
	} else
		raw_mode(&in, buf);
	free(buf);
	return 0;
}
