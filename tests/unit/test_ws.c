/*
 * test_ws.c - unit tests of the WebSocket framing (mqttws.h).
 *
 * The frame vectors run whole, at every chunk size (up to 300, then a few
 * more for long inputs) and, for inputs up to 64 bytes, at every pair of
 * cut points, with zero-length calls in between; every piece sits right
 * before a PROT_NONE page. Every run must give the one-shot run's trace
 * (headers, payload bytes, frame ends, statuses), error, error offset,
 * frame start and consumed bytes; the one-shot run must match the row.
 *
 * Trace notation (the `trace` column): per frame "F<byte 0 hex>/<payload
 * length>" when its header is complete, then at its end "=<payload hex>"
 * when the payload is 16 bytes or less, "C<code>" for a close frame with
 * a status code, and a space.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"
#include "mqttws.h"

Suite *ws_suite(void);

/* The reader's size is part of the ABI [mqttws.h: MQTTP_WS_SIZE]. */
typedef char ws_fits[sizeof(struct mqttp_ws) <= MQTTP_WS_SIZE ? 1 : -1];

#define K0 "00000000"         /* a zero masking key: payload bytes as written */
#define KR "37fa213d"         /* RFC 6455 5.7's key */

struct ws_vector {
	const char *id;           /* RFC 6455 section, or the rule */
	const char *in;
	uint8_t role;             /* 0 = the default (FROM_CLIENT), else role + 1 */
	uint8_t lenient, checks, rsv_allowed;
	uint64_t max_frame, max_message;
	int status;               /* status after the last byte */
	int error;
	uint32_t error_offset;
	uint64_t frame_start;     /* with an error */
	const char *trace;
};

#define CLIENT 0
#define SERVER (MQTTP_WS_FROM_SERVER + 1)
#define ANYDIR (MQTTP_WS_ANY_DIRECTION + 1)
#define OK_DONE MQTTP_WS_DONE, 0, 0, 0
#define OK_CLOSE MQTTP_WS_CLOSE, 0, 0, 0
#define OK_MORE MQTTP_WS_NEED_MORE, 0, 0, 0
#define ERR(e, off, start) MQTTP_WS_ERROR, MQTTP_WS_E_##e, off, start

static const struct ws_vector ws_vectors[] = {
	/* RFC 6455 5.7 examples */
	{ "5.7 single-frame unmasked text", "81 05 'Hello'", SERVER, 0, 0, 0, 0, 0, OK_DONE, "F81/5=48656c6c6f " },
	{ "5.7 single-frame masked text", "81 85 37fa213d 7f9f4d5158", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F81/5=48656c6c6f " },
	{ "5.7 fragmented unmasked text", "01 03 'Hel' 80 02 'lo'", SERVER, 0, 0, 0, 0, 0, OK_DONE, "F01/3=48656c F80/2=6c6f " },
	{ "5.7 unmasked ping", "89 05 'Hello'", SERVER, 0, 0, 0, 0, 0, OK_DONE, "F89/5=48656c6c6f " },
	{ "5.7 masked pong", "8a 85 37fa213d 7f9f4d5158", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F8a/5=48656c6c6f " },
	{ "5.7 256 bytes binary, 16-bit length", "82 7E 0100 [a5]*256", SERVER, 0, 0, 0, 0, 0, OK_DONE, "F82/256 " },
	{ "5.7 64 KiB binary, 64-bit length (header)", "82 7F 0000000000010000", SERVER, 0, 0, 0, 0, 0, OK_MORE, "F82/65536" },
	/* lengths */
	{ "5.2 empty binary frame", "82 80" K0, CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F82/0= " },
	{ "5.2 125 in 7 bits", "82 FD" K0 "[01]*125", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F82/125 " },
	{ "5.2 126 in 16 bits", "82 FE 007E" K0 "[02]*126", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F82/126 " },
	{ "5.2 65535 in 16 bits (header)", "82 FE FFFF" K0, CLIENT, 0, 0, 0, 0, 0, OK_MORE, "F82/65535" },
	{ "5.2 2^63-1 in 64 bits (header)", "82 FF 7FFFFFFFFFFFFFFF" K0, CLIENT, 0, 0, 0, 0, 0, OK_MORE, "F82/9223372036854775807" },
	{ "5.2 125 in 16 bits: not minimal", "82 FE 007D" K0, CLIENT, 0, 0, 0, 0, 0, ERR(LENGTH_NOT_MINIMAL, 1, 0), "" },
	{ "5.2 0 in 16 bits: not minimal", "82 FE 0000" K0, CLIENT, 0, 0, 0, 0, 0, ERR(LENGTH_NOT_MINIMAL, 1, 0), "" },
	{ "5.2 65535 in 64 bits: not minimal", "82 FF 000000000000FFFF" K0, CLIENT, 0, 0, 0, 0, 0, ERR(LENGTH_NOT_MINIMAL, 1, 0), "" },
	{ "5.2 125 in 16 bits, lenient", "82 FE 007D" K0 "[03]*125", CLIENT, MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH, 0, 0, 0, 0, OK_DONE, "F82/125 " },
	{ "5.2 64-bit length with MSB set", "82 FF 8000000000000000" K0, CLIENT, 0, 0, 0, 0, 0, ERR(LENGTH_MSB, 2, 0), "" },
	{ "5.2 64-bit length FF..", "82 FF FFFFFFFFFFFFFFFF", CLIENT, 0, 0, 0, 0, 0, ERR(LENGTH_MSB, 2, 0), "" },
	{ "limit: frame over max_frame_payload", "82 E5" K0, CLIENT, 0, 0, 0, 100, 0, ERR(FRAME_TOO_LARGE, 1, 0), "" },
	{ "limit: frame at max_frame_payload", "82 E4" K0 "[00]*100", CLIENT, 0, 0, 0, 100, 0, OK_DONE, "F82/100 " },
	{ "limit: 16-bit length over max", "82 FE 0100" K0, CLIENT, 0, 0, 0, 255, 0, ERR(FRAME_TOO_LARGE, 1, 0), "" },
	{ "limit: message over max_message", "02 86" K0 "'abcdef' 80 85" K0 "'ghijk'", CLIENT, 0, 0, 0, 0, 10, ERR(MESSAGE_TOO_LARGE, 1, 12), "F02/6=616263646566 " },
	{ "limit: message at max_message", "02 85" K0 "'abcde' 80 85" K0 "'fghij'", CLIENT, 0, 0, 0, 0, 10, OK_DONE, "F02/5=6162636465 F80/5=666768696a " },
	{ "limit: control frames are not counted", "02 85" K0 "'abcde' 89 85" K0 "'ppppp' 80 85" K0 "'fghij'", CLIENT, 0, 0, 0, 0, 10, OK_DONE, "F02/5=6162636465 F89/5=7070707070 F80/5=666768696a " },
	/* masking (5.1, 5.3) */
	{ "5.1 client frame unmasked", "82 00", CLIENT, 0, 0, 0, 0, 0, ERR(UNMASKED, 1, 0), "" },
	{ "5.1 server frame masked", "82 80" K0, SERVER, 0, 0, 0, 0, 0, ERR(MASKED, 1, 0), "" },
	{ "5.1 any direction: both", "82 80" K0 "82 00", ANYDIR, 0, 0, 0, 0, 0, OK_DONE, "F82/0= F82/0= " },
	{ "5.3 masked binary, key position per byte", "82 89" KR "[36fb203c]*2 36", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F82/9=010101010101010101 " },
	/* opcodes and RSV (5.2) */
	{ "5.2 reserved opcode 3", "83 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(OPCODE, 0, 0), "" },
	{ "5.2 reserved opcode 7", "87 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(OPCODE, 0, 0), "" },
	{ "5.2 reserved control opcode B", "8B 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(OPCODE, 0, 0), "" },
	{ "5.2 reserved control opcode F", "8F 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(OPCODE, 0, 0), "" },
	{ "5.2 RSV1 without extension", "C2 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(RSV, 0, 0), "" },
	{ "5.2 RSV3 without extension", "92 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(RSV, 0, 0), "" },
	{ "5.2 RSV1 with an extension", "C2 80" K0, CLIENT, 0, 0, MQTTP_WS_RSV1, 0, 0, OK_DONE, "Fc2/0= " },
	{ "5.2 RSV2 with only RSV1 allowed", "A2 80" K0, CLIENT, 0, 0, MQTTP_WS_RSV1, 0, 0, ERR(RSV, 0, 0), "" },
	{ "5.2 reserved opcode after a good frame", "82 81" K0 "00 84 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(OPCODE, 0, 7), "F82/1=00 " },
	/* control frames (5.5) */
	{ "5.5 ping without FIN", "09 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(CONTROL_FRAGMENTED, 0, 0), "" },
	{ "5.5 close without FIN", "08 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(CONTROL_FRAGMENTED, 0, 0), "" },
	{ "5.5 ping of 125 bytes", "89 FD" K0 "[70]*125", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F89/125 " },
	{ "5.5 ping with a 16-bit length", "89 FE 007E" K0, CLIENT, 0, 0, 0, 0, 0, ERR(CONTROL_TOO_LONG, 1, 0), "" },
	{ "5.5 pong with a 64-bit length", "8A FF 0000000000010000", CLIENT, 0, 0, 0, 0, 0, ERR(CONTROL_TOO_LONG, 1, 0), "" },
	{ "5.5 control frames ignore max_frame_payload", "89 85" K0 "'ppppp'", CLIENT, 0, 0, 0, 1, 0, OK_DONE, "F89/5=7070707070 " },
	/* fragmentation (5.4) */
	{ "5.4 ping inside a fragmented message", "02 83" KR "37fa21 89 80" K0 " 80 82" K0 "'lo'", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F02/3=000000 F89/0= F80/2=6c6f " },
	{ "5.4 continuation without a message", "80 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(CONTINUATION, 0, 0), "" },
	{ "5.4 continuation after a finished message", "82 80" K0 "80 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(CONTINUATION, 0, 6), "F82/0= " },
	{ "5.4 binary frame inside a fragmented message", "02 80" K0 "82 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(EXPECTED_CONTINUATION, 0, 6), "F02/0= " },
	{ "5.4 text frame inside a fragmented message", "02 80" K0 "01 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(EXPECTED_CONTINUATION, 0, 6), "F02/0= " },
	{ "5.4 three fragments", "02 81" K0 "'a' 00 81" K0 "'b' 80 81" K0 "'c' 82 81" K0 "'d'", CLIENT, 0, 0, 0, 0, 0, OK_DONE, "F02/1=61 F00/1=62 F80/1=63 F82/1=64 " },
	/* text frames on an MQTT stream */
	{ "MQTT-6.0.0-1 text frame refused", "81 80" K0, CLIENT, 0, MQTTP_WS_CHECK_BINARY_ONLY, 0, 0, 0, ERR(TEXT_FRAME, 0, 0), "" },
	{ "MQTT-6.0.0-1 binary frame accepted", "82 80" K0, CLIENT, 0, MQTTP_WS_CHECK_BINARY_ONLY, 0, 0, 0, OK_DONE, "F82/0= " },
	/* close frames (5.5.1, 7.4) */
	{ "5.5.1 close, empty", "88 80" K0, CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/0= " },
	{ "5.5.1 close 1000", "88 82" K0 "03E8", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/2=03e8C1000 " },
	{ "5.5.1 close 1000, masked", "88 82" KR "3412", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/2=03e8C1000 " },
	{ "5.5.1 close 1001 with a reason", "88 85" K0 "03E9 'bye'", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/5=03e9627965C1001 " },
	{ "5.5.1 close with a UTF-8 reason", "88 86" K0 "0BB8 E282AC 'x'", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/6=0bb8e282ac78C3000 " },
	{ "5.5.1 close with a 4-byte character", "88 86" K0 "1387 F09F9880", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/6=1387f09f9880C4999 " },
	{ "5.5.1 close payload of 1 byte", "88 81" K0 "03", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_LENGTH, 1, 0), "" },
	{ "7.4.1 close 1005 (never on the wire)", "88 82" K0 "03ED", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.1 close 1006", "88 82" K0 "03EE", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.1 close 1004 (reserved)", "88 82" K0 "03EC", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.1 close 1015", "88 82" K0 "03F7", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.2 close 999", "88 82" K0 "03E7", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.2 close 2999 (unassigned)", "88 82" K0 "0BB7", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4.2 close 5000", "88 82" K0 "1388", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_CODE, 6, 0), "F88/2" },
	{ "7.4 close 1014 (IANA: bad gateway)", "88 82" K0 "03F6", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/2=03f6C1014 " },
	{ "7.4 close 1005, lenient", "88 82" K0 "03ED", CLIENT, MQTTP_WS_LENIENT_CLOSE_PAYLOAD, 0, 0, 0, 0, OK_CLOSE, "F88/2=03edC1005 " },
	{ "5.5.1 close reason: bad continuation", "88 84" K0 "03E8 C3 28", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/4" },
	{ "5.5.1 close reason: truncated character", "88 83" K0 "03E8 E2", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/3" },
	{ "5.5.1 close reason: truncated after ASCII", "88 86" K0 "03E8 'ab' E282", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 10, 0), "F88/6" },
	{ "5.5.1 close reason: surrogate", "88 85" K0 "03E8 EDA080", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/5" },
	{ "5.5.1 close reason: 3-byte overlong (E0 80)", "88 85" K0 "03E8 E08080", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/5" },
	{ "5.5.1 close reason: U+0800 (E0 A0 80)", "88 85" K0 "03E8 E0A080", CLIENT, 0, 0, 0, 0, 0, OK_CLOSE, "F88/5=03e8e0a080C1000 " },
	{ "5.5.1 close reason: overlong", "88 84" K0 "03E8 C0AF", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/4" },
	{ "5.5.1 close reason: over U+10FFFF", "88 86" K0 "03E8 F4908080", CLIENT, 0, 0, 0, 0, 0, ERR(CLOSE_UTF8, 8, 0), "F88/6" },
	{ "5.5.1 close reason: bad UTF-8, lenient", "88 84" K0 "03E8 C328", CLIENT, MQTTP_WS_LENIENT_CLOSE_PAYLOAD, 0, 0, 0, 0, OK_CLOSE, "F88/4=03e8c328C1000 " },
	{ "5.5.1 bytes after close", "88 80" K0 "82 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(AFTER_CLOSE, 0, 6), "F88/0= " },
	{ "5.5.1 ping after close (client)", "88 82" K0 "03E8 89 80" K0, CLIENT, 0, 0, 0, 0, 0, ERR(AFTER_CLOSE, 0, 8), "F88/2=03e8C1000 " },
	/* prefixes */
	{ "prefix: one byte", "82", CLIENT, 0, 0, 0, 0, 0, OK_MORE, "" },
	{ "prefix: inside the key", "82 85 37fa", CLIENT, 0, 0, 0, 0, 0, OK_MORE, "" },
	{ "prefix: inside the payload", "82 85" KR "7f9f", CLIENT, 0, 0, 0, 0, 0, OK_MORE, "F82/5" },
	{ "prefix: inside a 64-bit length", "82 FF 00000000", CLIENT, 0, 0, 0, 0, 0, OK_MORE, "" },
	{ NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL }
};

/* ---------------------------------------------------------------------
 * The frame runner
 * ------------------------------------------------------------------- */
struct ws_trace {
	char text[8192];
	size_t tlen;
	uint64_t plen;           /* payload bytes of the current frame */
	uint64_t total;          /* payload bytes of all frames */
	int in_frame;
	int statuses;            /* non-NEED_MORE returns */
	int ends;                /* END events */
	const uint8_t *call;     /* the current call's bytes */
	size_t call_len;
	int problems;
	char status_log[512];
	size_t slen;
	uint8_t payload[1 << 17]; /* last: not cleared between runs */
};

static void tprintf(struct ws_trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tprintf(struct ws_trace *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->text + t->tlen, sizeof(t->text) - t->tlen, fmt, ap);
	va_end(ap);
	if (n > 0 && t->tlen + (size_t)n < sizeof(t->text))
		t->tlen += (size_t)n;
}

static void on_ws(void *ctx, const struct mqttp_ws *ws, const struct mqttp_ws_event *ev)
{
	struct ws_trace *t = ctx;
	uint64_t i;

	switch (ev->type) {
	case MQTTP_WS_EV_HEADER:
		if (t->in_frame || !(ws->have & MQTTP_WS_HAVE_HEADER))
			t->problems++;
		t->in_frame = 1;
		t->plen = 0;
		tprintf(t, "F%02x/%llu", (unsigned)(ws->fin << 7 | ws->rsv | ws->opcode),
		        (unsigned long long)ws->payload_len);
		break;
	case MQTTP_WS_EV_PAYLOAD: {
		uint8_t tmp[512];

		if (!t->in_frame || ev->off != t->plen || ev->len == 0 || ev->len > sizeof(tmp) ||
		    ev->off + ev->len > ws->payload_len)
			t->problems++;
		/* raw lies inside the call's bytes; data = raw unmasked */
		if (ev->raw < t->call || ev->raw + ev->len > t->call + t->call_len)
			t->problems++;
		else {
			mqttp_ws_unmask(tmp, ev->raw, ev->len, ws->key, ev->off);
			if (memcmp(tmp, ev->data, ev->len) != 0)
				t->problems++;
		}
		for (i = 0; i < ev->len && t->total + i < sizeof(t->payload); i++)
			t->payload[t->total + i] = ev->data[i];
		t->plen += ev->len;
		t->total += ev->len;
		break;
	}
	case MQTTP_WS_EV_END:
		if (!t->in_frame || t->plen != ws->payload_len || ws->payload_off != ws->payload_len)
			t->problems++;
		if (ws->payload_len <= 16) {
			tprintf(t, "=");
			for (i = 0; i < ws->payload_len; i++)
				tprintf(t, "%02x", t->payload[t->total - ws->payload_len + i]);
		}
		if (ws->have & MQTTP_WS_HAVE_CLOSE_CODE)
			tprintf(t, "C%u", ws->close_code);
		tprintf(t, " ");
		t->in_frame = 0;
		t->ends++;
		break;
	default:
		t->problems++;
	}
}

struct ws_outcome {
	int status, error;
	uint32_t error_offset;
	uint64_t frame_start, offset, consumed;
	uint32_t frames;
	struct ws_trace t;        /* last */
};

static struct guard WG;

/* Feed [in, in + n) in the given pieces (cuts: sorted offsets), each piece
 * copied right before the guard page, a zero-length call after each. */
static void ws_run(const struct ws_vector *v, const uint8_t *in, size_t n,
                   const size_t *cuts, int ncuts, struct ws_outcome *o)
{
	struct mqttp_ws_options opt;
	struct mqttp_ws ws;
	size_t start = 0;
	int c, st = MQTTP_WS_NEED_MORE;

	if (!WG.base)
		guard_init(&WG, 1 << 18);
	memset(o, 0, offsetof(struct ws_outcome, t) + offsetof(struct ws_trace, payload));
	mqttp_ws_options_default(&opt);
	if (v->role)
		opt.role = (uint8_t)(v->role - 1);
	opt.lenient = v->lenient;
	opt.checks = v->checks;
	opt.rsv_allowed = v->rsv_allowed;
	opt.max_frame_payload = v->max_frame;
	opt.max_message = v->max_message;
	mqttp_ws_init(&ws, &opt);
	for (c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : n, used;
		const uint8_t *p = guard_place(&WG, in + start, end - start);
		size_t left = end - start;

		while (left) {
			struct mqttp_ws before = ws;
			size_t z;

			o->t.call = p;
			o->t.call_len = left;
			st = mqttp_ws_feed(&ws, p, left, &used, on_ws, &o->t);
			if (used > left)
				o->t.problems++;
			o->consumed += used;
			if (st == MQTTP_WS_DONE || st == MQTTP_WS_CLOSE) {
				o->t.statuses++;
				snprintf(o->t.status_log + o->t.slen, sizeof(o->t.status_log) - o->t.slen,
				         "%d@%llu ", st, (unsigned long long)o->consumed);
				o->t.slen = strlen(o->t.status_log);
			}
			if (st == MQTTP_WS_NEED_MORE && used != left)
				o->t.problems++;
			if (st == MQTTP_WS_ERROR) {
				/* sticky: nothing consumed, nothing changed */
				before = ws;
				if (mqttp_ws_feed(&ws, p, left, &used, on_ws, &o->t) != MQTTP_WS_ERROR || used ||
				    memcmp(&before, &ws, sizeof(ws)) != 0)
					o->t.problems++;
				goto out;
			}
			p += used;
			left -= used;
			/* a zero-length call changes nothing */
			before = ws;
			if ((int)mqttp_ws_feed(&ws, NULL, 0, &z, on_ws, &o->t) !=
			    (st == MQTTP_WS_CLOSE ? MQTTP_WS_CLOSE : MQTTP_WS_NEED_MORE) || z ||
			    memcmp(&before, &ws, sizeof(ws)) != 0)
				o->t.problems++;
		}
		start = end;
	}
out:
	o->status = st;
	o->error = ws.error;
	o->error_offset = ws.error_offset;
	o->frame_start = ws.frame_start;
	o->offset = ws.offset;
	o->frames = ws.frames;
	if (o->t.ends != o->t.statuses)
		o->t.problems++;
	if (st != MQTTP_WS_ERROR && ws.offset != n)
		o->t.problems++;
	if (ws.offset != o->consumed)
		o->t.problems++;
}

static int ws_same(const struct ws_outcome *a, const struct ws_outcome *b)
{
	return a->status == b->status && a->error == b->error &&
	       a->error_offset == b->error_offset && a->frame_start == b->frame_start &&
	       a->offset == b->offset && a->consumed == b->consumed && a->frames == b->frames &&
	       a->t.tlen == b->t.tlen && memcmp(a->t.text, b->t.text, a->t.tlen) == 0 &&
	       a->t.total == b->t.total &&
	       memcmp(a->t.payload, b->t.payload, (size_t)(a->t.total < sizeof(a->t.payload) ? a->t.total : sizeof(a->t.payload))) == 0 &&
	       strcmp(a->t.status_log, b->t.status_log) == 0;
}

static unsigned long ws_runs;

/* Run one row in every way; returns the number of problems. */
static int ws_vector_run(const struct ws_vector *v)
{
	static uint8_t in[1 << 17];
	static struct ws_outcome one, other;
	long len = hexin_parse(v->in, in, sizeof(in));
	static size_t cuts[1 << 17];
	size_t n, k, i, j;
	int bad = 0;

	if (len < 0) {
		fprintf(stderr, "[%s] bad notation\n", v->id);
		return 1;
	}
	n = (size_t)len;
	ws_run(v, in, n, NULL, 0, &one);
	ws_runs++;
	if (one.status != v->status || one.error != v->error ||
	    (v->status == MQTTP_WS_ERROR && (one.error_offset != v->error_offset ||
	                                     one.frame_start != v->frame_start)) ||
	    strcmp(one.t.text, v->trace) != 0 || one.t.problems) {
		fprintf(stderr, "[%s] one-shot: status %d error %s offset %u frame_start %llu trace \"%s\" problems %d;"
		        " want status %d error %s offset %u frame_start %llu trace \"%s\"\n",
		        v->id, one.status, mqttp_ws_error_name((enum mqttp_ws_error)one.error), one.error_offset,
		        (unsigned long long)one.frame_start, one.t.text, one.t.problems, v->status,
		        mqttp_ws_error_name((enum mqttp_ws_error)v->error), v->error_offset,
		        (unsigned long long)v->frame_start, v->trace);
		bad++;
	}
	/* every chunk size */
	for (k = 1; k < n; k++) {
		int nc = 0;

		if (k > 300 && k != n / 2 && k != n - 1 && k != 4096)
			continue;
		for (i = k; i < n; i += k)
			cuts[nc++] = i;
		ws_run(v, in, n, cuts, nc, &other);
		ws_runs++;
		if (!ws_same(&one, &other) || other.t.problems) {
			if (bad++ < 4)
				fprintf(stderr, "[%s] chunk %zu: trace \"%s\" status %d error %d off %u, problems %d\n",
				        v->id, k, other.t.text, other.status, other.error, other.error_offset,
				        other.t.problems);
		}
	}
	/* every pair of cuts */
	if (n <= 64)
		for (i = 0; i <= n; i++)
			for (j = i; j <= n; j++) {
				cuts[0] = i;
				cuts[1] = j;
				ws_run(v, in, n, cuts, 2, &other);
				ws_runs++;
				if (!ws_same(&one, &other) || other.t.problems) {
					if (bad++ < 4)
						fprintf(stderr, "[%s] cuts %zu,%zu: trace \"%s\" status %d, problems %d\n",
						        v->id, i, j, other.t.text, other.status, other.t.problems);
				}
			}
	return bad;
}

START_TEST(t_ws_vectors)
{
	const struct ws_vector *v;
	int failed = 0;

	ws_runs = 0;
	for (v = ws_vectors; v->id; v++)
		failed += ws_vector_run(v) != 0;
	fprintf(stderr, "ws vectors: %lu runs\n", ws_runs);
	ck_assert_int_eq(failed, 0);
}
END_TEST

/* RFC 6455 5.7's 64 KiB unmasked binary frame, whole, followed by a ping. */
START_TEST(t_ws_64k)
{
	static struct ws_vector v = { "5.7 64 KiB binary frame", NULL, SERVER, 0, 0, 0, 0, 0, OK_DONE,
	                              "F82/65536 F89/0= " };
	static char text[400000];
	size_t n = 0, i;

	n += (size_t)sprintf(text + n, "82 7F 0000000000010000 ");
	for (i = 0; i < 65536; i++)
		n += (size_t)sprintf(text + n, "%02x", (unsigned)(i * 7 & 0xFF));
	sprintf(text + n, " 89 00");
	v.in = text;
	ck_assert_int_eq(ws_vector_run(&v), 0);
}
END_TEST

/* ---------------------------------------------------------------------
 * State rules
 * ------------------------------------------------------------------- */
START_TEST(t_ws_state)
{
	static const uint8_t bad[] = { 0x83, 0x80, 0, 0, 0, 0 };
	static const uint8_t good[] = { 0x82, 0x81, 1, 2, 3, 4, 0x2b, 0x82 };
	struct mqttp_ws ws, fresh;
	struct mqttp_ws_options opt;
	size_t used;

	mqttp_ws_options_default(&opt);
	ck_assert_int_eq(opt.role, MQTTP_WS_FROM_CLIENT);
	opt.max_message = 77;
	mqttp_ws_init(&ws, &opt);
	mqttp_ws_init(&fresh, &opt);
	ck_assert_int_eq(mqttp_ws_feed(&ws, bad, sizeof(bad), &used, NULL, NULL), MQTTP_WS_ERROR);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(ws.error, MQTTP_WS_E_OPCODE);
	ck_assert_int_eq(mqttp_ws_feed(&ws, good, sizeof(good), &used, NULL, NULL), MQTTP_WS_ERROR);
	ck_assert_uint_eq(used, 0);
	mqttp_ws_reset(&ws);
	ck_assert_int_eq(memcmp(&ws, &fresh, sizeof(ws)), 0);
	/* DONE stops at the end of the frame; the header stays readable */
	ck_assert_int_eq(mqttp_ws_feed(&ws, good, sizeof(good), &used, NULL, NULL), MQTTP_WS_DONE);
	ck_assert_uint_eq(used, 7);
	ck_assert_int_eq(ws.opcode, MQTTP_WS_BINARY);
	ck_assert_uint_eq(ws.payload_len, 1);
	ck_assert_uint_eq(ws.header_len, 6);
	ck_assert_int_eq(ws.key[3], 4);
	ck_assert_uint_eq(ws.frames, 1);
	/* NULL data with a length is a zero-length call */
	ck_assert_int_eq(mqttp_ws_feed(&ws, NULL, 5, &used, NULL, NULL), MQTTP_WS_NEED_MORE);
	ck_assert_int_eq(mqttp_ws_feed(&ws, good + 7, 1, &used, NULL, NULL), MQTTP_WS_NEED_MORE);
	ck_assert_uint_eq(used, 1);
	ck_assert_uint_eq(ws.frame_start, 7);
	ck_assert_int_eq(ws.have, 0);
}
END_TEST

START_TEST(t_ws_unmask)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t b[5] = { 0x7f, 0x9f, 0x4d, 0x51, 0x58 }, c[5];

	mqttp_ws_unmask(c, b, 5, key, 0);
	ck_assert_int_eq(memcmp(c, "Hello", 5), 0);
	/* from an offset: key position off % 4 */
	mqttp_ws_unmask(c, b + 3, 2, key, 3);
	ck_assert_int_eq(memcmp(c, "lo", 2), 0);
	/* in place, and back */
	mqttp_ws_unmask(b, b, 5, key, 0);
	ck_assert_int_eq(memcmp(b, "Hello", 5), 0);
	mqttp_ws_unmask(b, b, 5, key, 0);
	ck_assert_int_eq(b[0], 0x7f);
}
END_TEST

START_TEST(t_ws_names)
{
	unsigned e, f;

	for (e = 0; e < MQTTP_WS_E__COUNT; e++) {
		const char *n = mqttp_ws_error_name((enum mqttp_ws_error)e);

		ck_assert_ptr_nonnull(n);
		ck_assert_int_eq(strncmp(n, "MQTTP_WS_E_", 11), 0);
		ck_assert_ptr_nonnull(mqttp_ws_error_reason((enum mqttp_ws_error)e));
		for (f = 0; f < e; f++)
			ck_assert_str_ne(n, mqttp_ws_error_name((enum mqttp_ws_error)f));
		if (e)
			ck_assert(mqttp_ws_close_code_valid(mqttp_ws_error_close_code((enum mqttp_ws_error)e)));
	}
	ck_assert_str_eq(mqttp_ws_error_name(MQTTP_WS_E__COUNT), "MQTTP_WS_E_UNKNOWN");
	ck_assert_str_eq(mqttp_ws_error_reason((enum mqttp_ws_error)200), "unknown error");
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_NONE), 0);
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_UNMASKED), 1002);
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_TEXT_FRAME), 1003);
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_CLOSE_UTF8), 1007);
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_FRAME_TOO_LARGE), 1009);
	ck_assert_uint_eq(mqttp_ws_error_close_code(MQTTP_WS_E_MESSAGE_TOO_LARGE), 1009);
	ck_assert_str_eq(mqttp_ws_opcode_name(0), "continuation");
	ck_assert_str_eq(mqttp_ws_opcode_name(1), "text");
	ck_assert_str_eq(mqttp_ws_opcode_name(2), "binary");
	ck_assert_str_eq(mqttp_ws_opcode_name(8), "close");
	ck_assert_str_eq(mqttp_ws_opcode_name(9), "ping");
	ck_assert_str_eq(mqttp_ws_opcode_name(10), "pong");
	ck_assert_str_eq(mqttp_ws_opcode_name(3), "reserved");
	ck_assert_str_eq(mqttp_ws_opcode_name(11), "reserved");
	ck_assert_str_eq(mqttp_ws_opcode_name(16), "reserved");
	ck_assert(!mqttp_ws_close_code_valid(0));
	ck_assert(!mqttp_ws_close_code_valid(999));
	ck_assert(mqttp_ws_close_code_valid(1000));
	ck_assert(mqttp_ws_close_code_valid(1003));
	ck_assert(!mqttp_ws_close_code_valid(1004));
	ck_assert(!mqttp_ws_close_code_valid(1005));
	ck_assert(!mqttp_ws_close_code_valid(1006));
	ck_assert(mqttp_ws_close_code_valid(1007));
	ck_assert(mqttp_ws_close_code_valid(1014));
	ck_assert(!mqttp_ws_close_code_valid(1015));
	ck_assert(!mqttp_ws_close_code_valid(1016));
	ck_assert(!mqttp_ws_close_code_valid(2999));
	ck_assert(mqttp_ws_close_code_valid(3000));
	ck_assert(mqttp_ws_close_code_valid(4999));
	ck_assert(!mqttp_ws_close_code_valid(5000));
}
END_TEST

/* ---------------------------------------------------------------------
 * Encoders
 * ------------------------------------------------------------------- */
static void expect_bytes(const uint8_t *got, size_t n, const char *want)
{
	uint8_t w[1024];
	long wn = hexin_parse(want, w, sizeof(w));

	ck_assert_int_ge(wn, 0);
	ck_assert_uint_eq(n, (size_t)wn);
	ck_assert_int_eq(memcmp(got, w, n), 0);
}

START_TEST(t_ws_encode)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t b[300];
	size_t n;
	char reason[130];

	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, 0, NULL);
	expect_bytes(b, n, "82 00");
	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, 125, NULL);
	expect_bytes(b, n, "82 7D");
	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, 126, NULL);
	expect_bytes(b, n, "82 7E 007E");
	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, 65535, NULL);
	expect_bytes(b, n, "82 7E FFFF");
	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, 65536, NULL);
	expect_bytes(b, n, "82 7F 0000000000010000");
	n = mqttp_ws_encode_header(b, sizeof(b), MQTTP_WS_BINARY, UINT64_C(0x7FFFFFFFFFFFFFFF), key);
	expect_bytes(b, n, "02 FF 7FFFFFFFFFFFFFFF 37fa213d");
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x82, UINT64_C(1) << 63, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x83, 0, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x8B, 0, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x09, 0, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x89, 126, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, sizeof(b), 0x182, 0, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_header(NULL, 10, 0x82, 0, NULL), 0);
	/* cap: exact works, one less writes nothing */
	memset(b, 0xEE, sizeof(b));
	ck_assert_uint_eq(mqttp_ws_encode_header(b, 7, 0x82, 200, key), 0);
	ck_assert_int_eq(b[0], 0xEE);
	ck_assert_uint_eq(mqttp_ws_encode_header(b, 8, 0x82, 200, key), 8);
	/* RFC 6455 5.7: masked "Hello" */
	n = mqttp_ws_encode_frame(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_TEXT, "Hello", 5, key);
	expect_bytes(b, n, "81 85 37fa213d 7f9f4d5158");
	n = mqttp_ws_encode_frame(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_PONG, "Hello", 5, NULL);
	expect_bytes(b, n, "8A 05 'Hello'");
	/* a CONNACK in a binary frame */
	n = mqttp_ws_encode_frame(b, sizeof(b), MQTTP_WS_FIN | MQTTP_WS_BINARY, "\x20\x02\x00\x05", 4, NULL);
	expect_bytes(b, n, "82 04 20020005");
	memset(b, 0xEE, sizeof(b));
	ck_assert_uint_eq(mqttp_ws_encode_frame(b, 5, 0x82, "\x20\x02\x00\x05", 4, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_frame(b, 6, 0x82, "\x20\x02\x00\x05", 4, NULL), 6);
	ck_assert_uint_eq(mqttp_ws_encode_frame(b, sizeof(b), 0x82, NULL, 4, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_frame(b, sizeof(b), 0x82, NULL, 0, NULL), 2);
	/* close frames */
	n = mqttp_ws_encode_close(b, sizeof(b), 0, NULL, 0, NULL);
	expect_bytes(b, n, "88 00");
	n = mqttp_ws_encode_close(b, sizeof(b), 1000, NULL, 0, NULL);
	expect_bytes(b, n, "88 02 03E8");
	n = mqttp_ws_encode_close(b, sizeof(b), 1002, "bad frame", 9, NULL);
	expect_bytes(b, n, "88 0B 03EA 'bad frame'");
	n = mqttp_ws_encode_close(b, sizeof(b), 1000, NULL, 0, key);
	expect_bytes(b, n, "88 82 37fa213d 3412");
	n = mqttp_ws_encode_close(b, sizeof(b), 4000, "\xe2\x82\xac", 3, NULL);
	expect_bytes(b, n, "88 05 0FA0 E282AC");
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 0, "x", 1, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 1005, NULL, 0, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 1000, "\xc3\x28", 2, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 1000, "\xe2\x82", 2, NULL), 0);
	memset(reason, 'r', sizeof(reason));
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 1000, reason, 123, NULL), 127);
	ck_assert_uint_eq(mqttp_ws_encode_close(b, sizeof(b), 1000, reason, 124, NULL), 0);
	ck_assert_uint_eq(mqttp_ws_encode_close(b, 126, 1000, reason, 123, NULL), 0);
}
END_TEST

/* ---------------------------------------------------------------------
 * Opening handshake helpers
 * ------------------------------------------------------------------- */
static void accept_case(const char *key, const char *want)
{
	char out[MQTTP_WS_ACCEPT_LEN + 1];

	memset(out, 0, sizeof(out));
	ck_assert_uint_eq(mqttp_ws_accept(key, strlen(key), out), MQTTP_WS_ACCEPT_LEN);
	ck_assert_str_eq(out, want);
}

START_TEST(t_ws_accept)
{
	/* RFC 6455 1.3 (and 4.2.2) */
	accept_case("dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	/* more keys, checked against Python's hashlib/base64 */
	accept_case("x3JJHMbDL1EzLkh9GBhXDw==", "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
	accept_case("AQIDBAUGBwgJCgsMDQ4PEA==", "C/0nmHhBztSRGR1CwL6Tf4ZjwpY=");
	accept_case("", "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
	/* SHA-1 over more than one block */
	accept_case("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	            "WXqNWiGhe0+utGv47+HlLjR7KVw=");
}
END_TEST

START_TEST(t_ws_key_valid)
{
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==", 24), 1);
	ck_assert_int_eq(mqttp_ws_key_valid("AQIDBAUGBwgJCgsMDQ4PEA==", 24), 1);
	ck_assert_int_eq(mqttp_ws_key_valid("////////////////////ww==", 24), 1);
	ck_assert_int_eq(mqttp_ws_key_valid("+09azAZ+++++++++++++Qw==", 24), 1);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZR==", 24), 0); /* not canonical */
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=", 23), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZQ==x", 25), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZQAA", 24), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25j*Q==", 24), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub25jZ===", 24), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("dGhlIHNhbXBsZSBub2 jZQ==", 24), 0);
	ck_assert_int_eq(mqttp_ws_key_valid(NULL, 24), 0);
	ck_assert_int_eq(mqttp_ws_key_valid("", 0), 0);
}
END_TEST

static int proto(const char *list)
{
	return mqttp_ws_protocol_has(list, strlen(list), "mqtt", 4);
}

START_TEST(t_ws_protocol)
{
	ck_assert_int_eq(proto("mqtt"), 1);
	ck_assert_int_eq(proto("mqttv3.1, mqtt"), 1);
	ck_assert_int_eq(proto("mqtt,mqttv3.1"), 1);
	ck_assert_int_eq(proto(" \tmqtt \t"), 1);
	ck_assert_int_eq(proto(",, mqtt ,"), 1);
	ck_assert_int_eq(proto("MQTT"), 0);
	ck_assert_int_eq(proto("mqttv3.1"), 0);
	ck_assert_int_eq(proto("mqt"), 0);
	ck_assert_int_eq(proto("xmqtt"), 0);
	ck_assert_int_eq(proto(""), 0);
	ck_assert_int_eq(proto(" , "), 0);
	ck_assert_int_eq(proto("mq tt"), -1);
	ck_assert_int_eq(proto("mqtt;q=1"), -1);
	ck_assert_int_eq(proto("\"mqtt\""), -1);
	ck_assert_int_eq(proto("chat mqtt"), -1);
	ck_assert_int_eq(mqttp_ws_protocol_has(NULL, 4, "mqtt", 4), 0);
	ck_assert_int_eq(mqttp_ws_protocol_has("mqttjunk", 4, "mqtt", 4), 1); /* len bounds the read */
}
END_TEST

/* ---------------------------------------------------------------------
 * MQTT over WebSocket
 * ------------------------------------------------------------------- */
/* A 5.0 CONNECT with properties, will, user name and password. */
static const char *const connect_v5 =
	"10 V[S'MQTT' 05 EE 003C V[11 0000012C 21 0010] S'client-ws-42'"
	"    V[18 0000000A] S'will/t' S'gone' S'user' S[01 02 03]]";

struct mq_result {
	int status;                 /* status after the last byte */
	int ws_error, mqtt_error;
	uint32_t mqtt_error_offset;
	uint32_t packets;
	int dones;                  /* DONE returns */
	int closes;
	struct mqttp_connect c;
	uint8_t cid[64];
	size_t cid_len;
	uint16_t close_code;
	uint64_t mqtt_offset;
	uint8_t mqtt_bytes[4096];   /* the MQTT bytes produced, in order */
	size_t mqtt_len;
};

/* The bare MQTT stream through mqttp_feed, in one piece. */
static void bare_run(const uint8_t *in, size_t n, struct mq_result *r)
{
	struct mqttp_options mo;
	struct mqttp_parser p;
	size_t pos = 0, used;
	int st = MQTTP_NEED_MORE;

	memset(r, 0, sizeof(*r));
	mqttp_options_default(&mo);
	mo.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &mo);
	while (pos < n) {
		st = mqttp_feed(&p, in + pos, n - pos, &used, p.packets == 0 ? mqttp_connect_collect : NULL, &r->c);
		pos += used;
		if (st == MQTTP_DONE)
			r->dones++;
		if (st == MQTTP_ERROR)
			break;
	}
	r->status = st == MQTTP_DONE ? MQTTP_WS_DONE : st == MQTTP_ERROR ? MQTTP_WS_ERROR : MQTTP_WS_NEED_MORE;
	r->mqtt_error = p.error;
	r->mqtt_error_offset = p.error_offset;
	r->packets = p.packets;
	if (r->c.client_id.present) {
		r->cid_len = r->c.client_id.len;
		memcpy(r->cid, in + r->c.client_id.off, r->cid_len);
	}
	memcpy(r->mqtt_bytes, in, n < sizeof(r->mqtt_bytes) ? n : sizeof(r->mqtt_bytes));
	r->mqtt_len = pos;
}

static struct guard MG;

/*
 * WebSocket bytes through mqttp_ws_mqtt_feed in chunks of `chunk` bytes
 * (0: one piece), unmasking into an accumulating buffer (cap 0) or a
 * scratch buffer of `cap` bytes.
 */
static void ws_mqtt_run(const uint8_t *in, size_t n, size_t chunk, size_t cap,
                        struct mq_result *r)
{
	static uint8_t acc[8192];
	uint8_t scratch[64];
	struct mqttp_ws_mqtt m;
	struct mqttp_options mo;
	size_t start = 0, out = 0;
	int st = MQTTP_WS_NEED_MORE;

	if (!MG.base)
		guard_init(&MG, 1 << 16);
	memset(r, 0, sizeof(*r));
	mqttp_options_default(&mo);
	mo.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_ws_mqtt_init(&m, NULL, &mo);
	while (start < n) {
		size_t end = chunk && start + chunk < n ? start + chunk : n;
		const uint8_t *p = guard_place(&MG, in + start, end - start);
		size_t left = end - start;

		while (left) {
			size_t used, made;
			uint8_t *b = cap ? scratch : acc + out;
			size_t bcap = cap ? cap : sizeof(acc) - out;

			st = mqttp_ws_mqtt_feed(&m, p, left, &used, b, bcap, &made,
			                        m.mqtt.packets == 0 ? mqttp_connect_collect : NULL, &r->c);
			ck_assert_uint_le(used, left);
			ck_assert_uint_le(made, bcap);
			if (made && r->mqtt_len + made <= sizeof(r->mqtt_bytes)) {
				memcpy(r->mqtt_bytes + r->mqtt_len, b, made);
				r->mqtt_len += made;
			}
			if (!cap)
				out += made;
			p += used;
			left -= used;
			if (st == MQTTP_WS_DONE)
				r->dones++;
			if (st == MQTTP_WS_CLOSE)
				r->closes++;
			if (st == MQTTP_WS_ERROR)
				goto out;
			if (st == MQTTP_WS_NEED_MORE && left)
				ck_assert_uint_eq(made, cap); /* buf full */
		}
		start = end;
	}
out:
	r->status = st;
	r->ws_error = m.ws.error;
	r->mqtt_error = m.mqtt.error;
	r->mqtt_error_offset = m.mqtt.error_offset;
	r->packets = m.mqtt.packets;
	r->close_code = m.ws.close_code;
	r->mqtt_offset = m.mqtt_offset;
	ck_assert_uint_eq(m.mqtt_offset, r->mqtt_len);
	/* the accumulated MQTT bytes: the first packet starts at acc[0] */
	if (!cap && r->c.client_id.present) {
		r->cid_len = r->c.client_id.len;
		memcpy(r->cid, acc + r->c.client_id.off, r->cid_len);
	}
}

/* Wrap mqtt[0..n) into masked binary frames cut at `cuts` (0-terminated
 * list of sizes, cycled), with a ping (and a pong) between frames when
 * pings is set. Returns the WebSocket length. */
static size_t frame_up(const uint8_t *mqtt, size_t n, const size_t *sizes, int pings,
                       uint8_t *out, size_t cap)
{
	static const uint8_t key[4] = { 0xA1, 0x5B, 0x00, 0xFF };
	size_t pos = 0, o = 0, s = 0;
	int first = 1;

	while (pos < n || first) {
		size_t k = sizes[0] ? sizes[s] : n;
		unsigned b0;

		if (sizes[0] && !sizes[++s])
			s = 0;
		if (k > n - pos)
			k = n - pos;
		b0 = (first ? MQTTP_WS_BINARY : MQTTP_WS_CONTINUATION) | (pos + k == n ? MQTTP_WS_FIN : 0);
		o += mqttp_ws_encode_frame(out + o, cap - o, b0, mqtt + pos, k, key);
		pos += k;
		first = 0;
		if (pings && pos < n) {
			o += mqttp_ws_encode_frame(out + o, cap - o, MQTTP_WS_FIN | MQTTP_WS_PING, "hb", 2, key);
			o += mqttp_ws_encode_frame(out + o, cap - o, MQTTP_WS_FIN | MQTTP_WS_PONG, NULL, 0, key);
		}
	}
	return o;
}

static void same_result(const struct mq_result *a, const struct mq_result *b, int ptrs)
{
	ck_assert_int_eq(a->status, b->status);
	ck_assert_int_eq(a->mqtt_error, b->mqtt_error);
	ck_assert_uint_eq(a->mqtt_error_offset, b->mqtt_error_offset);
	ck_assert_uint_eq(a->packets, b->packets);
	ck_assert_int_eq(a->dones, b->dones);
	ck_assert_uint_eq(a->c.version, b->c.version);
	ck_assert_uint_eq(a->c.flags, b->c.flags);
	ck_assert_uint_eq(a->c.keep_alive, b->c.keep_alive);
	ck_assert_uint_eq(a->c.client_id.off, b->c.client_id.off);
	ck_assert_uint_eq(a->c.client_id.len, b->c.client_id.len);
	ck_assert_uint_eq(a->c.password.off, b->c.password.off);
	ck_assert_uint_eq(a->c.props.session_expiry_interval, b->c.props.session_expiry_interval);
	ck_assert_uint_eq(a->c.will_props.will_delay_interval, b->c.will_props.will_delay_interval);
	ck_assert_uint_eq(a->mqtt_len, b->mqtt_len);
	ck_assert_int_eq(memcmp(a->mqtt_bytes, b->mqtt_bytes, a->mqtt_len), 0);
	if (ptrs) {
		ck_assert_uint_eq(a->cid_len, b->cid_len);
		ck_assert_int_eq(memcmp(a->cid, b->cid, a->cid_len), 0);
	}
}

/* Every framing of the MQTT bytes, at every chunk size, with an
 * accumulating buffer and with scratch buffers of 1, 3 and 64 bytes, gives
 * the bare stream's result. */
static void mqtt_equivalence(const char *mqtt_notation, int expect_status)
{
	static const size_t one[] = { 0 }, two[] = { 7, 0 }, bytes[] = { 1, 0 },
	                    mixed[] = { 3, 1, 0 };
	static const size_t *plans[] = { one, two, bytes, mixed };
	static const size_t caps[] = { 0, 1, 3, 64 };
	uint8_t mq[2048], ws[16384];
	struct mq_result bare, got;
	long n = hexin_parse(mqtt_notation, mq, sizeof(mq));
	size_t p, w, chunk, c;

	ck_assert_int_gt(n, 0);
	bare_run(mq, (size_t)n, &bare);
	ck_assert_int_eq(bare.status, expect_status);
	for (p = 0; p < sizeof(plans) / sizeof(plans[0]); p++) {
		int pings;

		for (pings = 0; pings <= 1; pings++) {
			w = frame_up(mq, (size_t)n, plans[p], pings, ws, sizeof(ws));
			for (chunk = 0; chunk <= w; chunk += chunk < 20 ? 1 : 37)
				for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
					ws_mqtt_run(ws, w, chunk, caps[c], &got);
					same_result(&bare, &got, caps[c] == 0);
				}
		}
	}
}

START_TEST(t_ws_mqtt_connect)
{
	/* 1, 2 and many frames, pings between, every chunking: same result */
	mqtt_equivalence(connect_v5, MQTTP_WS_DONE);
	mqtt_equivalence("10 0D 0004 'MQTT' 04 02 003C 0001 'p'", MQTTP_WS_DONE);
	/* several packets: CONNECT, PINGREQ, PUBLISH, DISCONNECT */
	mqtt_equivalence("10 0D 0004 'MQTT' 04 02 003C 0001 'p' C000 30 V[S'a/b' 'hello'] E000", MQTTP_WS_DONE);
	/* MQTT errors keep their offsets */
	mqtt_equivalence("10 0D 0004 'MQTX' 04 02 003C 0001 'p'", MQTTP_WS_ERROR);
	mqtt_equivalence("10 V[S'MQTT' 05 02 003C V[11 00000001 11 00000002] S'c']", MQTTP_WS_ERROR);
	/* a prefix: the stream simply waits */
	mqtt_equivalence("10 0D 0004 'MQTT' 04 02 003C 00", MQTTP_WS_NEED_MORE);
}
END_TEST

static void mq_feed_all(const char *ws_notation, struct mq_result *r)
{
	uint8_t in[4096];
	long n = hexin_parse(ws_notation, in, sizeof(in));

	ck_assert_int_gt(n, 0);
	ws_mqtt_run(in, (size_t)n, 0, 0, r);
}

START_TEST(t_ws_mqtt_frames)
{
	struct mq_result r;

	/* a text frame: MQTT-6.0.0-1 */
	mq_feed_all("81 82" K0 "C000", &r);
	ck_assert_int_eq(r.status, MQTTP_WS_ERROR);
	ck_assert_int_eq(r.ws_error, MQTTP_WS_E_TEXT_FRAME);
	/* unmasked client frame */
	mq_feed_all("82 02 C000", &r);
	ck_assert_int_eq(r.ws_error, MQTTP_WS_E_UNMASKED);
	/* a close before the CONNECT is complete */
	mq_feed_all("02 84" K0 "100D0004 88 82" K0 "03E9", &r);
	ck_assert_int_eq(r.status, MQTTP_WS_CLOSE);
	ck_assert_int_eq(r.closes, 1);
	ck_assert_uint_eq(r.close_code, 1001);
	ck_assert_uint_eq(r.mqtt_offset, 4);
	ck_assert_uint_eq(r.packets, 0);
	/* bytes after the close */
	mq_feed_all("88 80" K0 "82 80" K0, &r);
	ck_assert_int_eq(r.status, MQTTP_WS_ERROR);
	ck_assert_int_eq(r.ws_error, MQTTP_WS_E_AFTER_CLOSE);
	/* empty frames and a bad close code in the middle */
	mq_feed_all("82 80" K0 "88 82" K0 "03ED", &r);
	ck_assert_int_eq(r.ws_error, MQTTP_WS_E_CLOSE_CODE);
	/* empty data frames do not disturb the stream */
	mq_feed_all("02 80" K0 "00 82" K0 "C000 80 80" K0 "82 80" K0, &r);
	ck_assert_int_eq(r.status, MQTTP_WS_ERROR);  /* PINGREQ first: not a CONNECT */
	ck_assert_int_eq(r.mqtt_error, MQTTP_E_FIRST_NOT_CONNECT);
	ck_assert_int_eq(r.ws_error, MQTTP_WS_E_NONE);
}
END_TEST

START_TEST(t_ws_mqtt_api)
{
	static const uint8_t frame[] = { 0x82, 0x02, 0xC0, 0x00 };
	struct mqttp_ws_mqtt m;
	struct mqttp_ws_options wo;
	uint8_t buf[8];
	size_t used, made;

	mqttp_ws_options_default(&wo);
	wo.role = MQTTP_WS_FROM_SERVER;
	mqttp_ws_mqtt_init(&m, &wo, NULL);
	ck_assert(m.ws.priv_checks & MQTTP_WS_CHECK_BINARY_ONLY); /* white-box */
	ck_assert_int_eq(mqttp_ws_mqtt_feed(&m, NULL, 0, &used, buf, sizeof(buf), &made, NULL, NULL), MQTTP_WS_NEED_MORE);
	/* with a buffer of one byte it still gets there, one byte at a time */
	ck_assert_int_eq(mqttp_ws_mqtt_feed(&m, frame, 4, &used, buf, 1, &made, NULL, NULL), MQTTP_WS_NEED_MORE);
	ck_assert_uint_eq(used, 3);
	ck_assert_uint_eq(made, 1);
	ck_assert_int_eq(buf[0], 0xC0);
	ck_assert_int_eq(mqttp_ws_mqtt_feed(&m, frame + 3, 1, &used, buf, 1, &made, NULL, NULL), MQTTP_WS_DONE);
	ck_assert_uint_eq(used, 1);
	ck_assert_uint_eq(m.mqtt.packets, 1);
	ck_assert_uint_eq(m.ws.frames, 1);
	/* an error is sticky */
	ck_assert_int_eq(mqttp_ws_mqtt_feed(&m, "\x83\x00", 2, &used, buf, 8, &made, NULL, NULL), MQTTP_WS_ERROR);
	ck_assert_int_eq(m.ws.error, MQTTP_WS_E_OPCODE);
	ck_assert_int_eq(mqttp_ws_mqtt_feed(&m, frame, 4, &used, buf, 8, &made, NULL, NULL), MQTTP_WS_ERROR);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(made, 0);
}
END_TEST

Suite *ws_suite(void)
{
	Suite *s = suite_create("mqttws");
	TCase *tv = tcase_create("ws-vectors");
	TCase *ta = tcase_create("ws-api");

	tcase_set_timeout(tv, 300);
	tcase_set_timeout(ta, 300);
	tcase_add_test(tv, t_ws_vectors);
	tcase_add_test(tv, t_ws_64k);
	tcase_add_test(tv, t_ws_mqtt_connect);
	suite_add_tcase(s, tv);
	tcase_add_test(ta, t_ws_state);
	tcase_add_test(ta, t_ws_unmask);
	tcase_add_test(ta, t_ws_names);
	tcase_add_test(ta, t_ws_encode);
	tcase_add_test(ta, t_ws_accept);
	tcase_add_test(ta, t_ws_key_valid);
	tcase_add_test(ta, t_ws_protocol);
	tcase_add_test(ta, t_ws_mqtt_frames);
	tcase_add_test(ta, t_ws_mqtt_api);
	suite_add_tcase(s, ta);
	return s;
}
