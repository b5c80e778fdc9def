/*
 * ws.c - WebSocket (RFC 6455) framing: the incremental frame reader, the
 * MQTT-over-WebSocket path into an mqttp_parser, frame encoders, and the
 * opening handshake's helpers (SHA-1 and base64 for Sec-WebSocket-Accept).
 *
 * Design: the header is read one byte at a time (at most 14 bytes a frame)
 * and every rule is checked on the byte that decides it, so verdicts and
 * offsets depend only on the bytes. Payloads are consumed in bulk; only a
 * close frame's payload (at most 125 bytes) is looked at byte by byte, to
 * check its status code and UTF-8 reason.
 */
#include "mqttws.h"
#include "charclass.h"

/* Reader steps. */
enum { S_START = 0, S_LEN, S_EXT, S_MASK, S_PAYLOAD, S_CLOSED };

/* The internal result of run(): a data frame's payload is next (the MQTT
 * path takes it over). */
#define R_DATA 3

/* Bytes unmasked at a time for payload events. */
#define PIECE 256

static const struct {
	const char *name;
	const char *reason;
} ws_errors[MQTTP_WS_E__COUNT] = {
	[MQTTP_WS_E_NONE] = { "MQTTP_WS_E_NONE", "no error" },
	[MQTTP_WS_E_OPCODE] = { "MQTTP_WS_E_OPCODE", "reserved opcode" },
	[MQTTP_WS_E_RSV] = { "MQTTP_WS_E_RSV", "RSV bit set without an extension that defines it" },
	[MQTTP_WS_E_CONTROL_FRAGMENTED] = { "MQTTP_WS_E_CONTROL_FRAGMENTED", "control frame without FIN (control frames cannot be fragmented)" },
	[MQTTP_WS_E_CONTROL_TOO_LONG] = { "MQTTP_WS_E_CONTROL_TOO_LONG", "control frame payload over 125 bytes" },
	[MQTTP_WS_E_CONTINUATION] = { "MQTTP_WS_E_CONTINUATION", "continuation frame without a message to continue" },
	[MQTTP_WS_E_EXPECTED_CONTINUATION] = { "MQTTP_WS_E_EXPECTED_CONTINUATION", "new data frame while a fragmented message is unfinished" },
	[MQTTP_WS_E_UNMASKED] = { "MQTTP_WS_E_UNMASKED", "client frame not masked" },
	[MQTTP_WS_E_MASKED] = { "MQTTP_WS_E_MASKED", "server frame masked" },
	[MQTTP_WS_E_LENGTH_NOT_MINIMAL] = { "MQTTP_WS_E_LENGTH_NOT_MINIMAL", "payload length not minimally encoded" },
	[MQTTP_WS_E_LENGTH_MSB] = { "MQTTP_WS_E_LENGTH_MSB", "64-bit payload length with the most significant bit set" },
	[MQTTP_WS_E_FRAME_TOO_LARGE] = { "MQTTP_WS_E_FRAME_TOO_LARGE", "frame payload over the configured maximum" },
	[MQTTP_WS_E_MESSAGE_TOO_LARGE] = { "MQTTP_WS_E_MESSAGE_TOO_LARGE", "message over the configured maximum" },
	[MQTTP_WS_E_TEXT_FRAME] = { "MQTTP_WS_E_TEXT_FRAME", "text frame: MQTT is carried in binary frames only" },
	[MQTTP_WS_E_CLOSE_LENGTH] = { "MQTTP_WS_E_CLOSE_LENGTH", "close frame payload of 1 byte" },
	[MQTTP_WS_E_CLOSE_CODE] = { "MQTTP_WS_E_CLOSE_CODE", "status code not allowed in a close frame" },
	[MQTTP_WS_E_CLOSE_UTF8] = { "MQTTP_WS_E_CLOSE_UTF8", "close reason not valid UTF-8" },
	[MQTTP_WS_E_AFTER_CLOSE] = { "MQTTP_WS_E_AFTER_CLOSE", "bytes after a close frame" },
};

const char *mqttp_ws_error_name(enum mqttp_ws_error e)
{
	return (unsigned)e < MQTTP_WS_E__COUNT ? ws_errors[e].name : "MQTTP_WS_E_UNKNOWN";
}

const char *mqttp_ws_error_reason(enum mqttp_ws_error e)
{
	return (unsigned)e < MQTTP_WS_E__COUNT ? ws_errors[e].reason : "unknown error";
}

unsigned mqttp_ws_error_close_code(enum mqttp_ws_error e)
{
	switch (e) {
	case MQTTP_WS_E_NONE:
		return 0;
	case MQTTP_WS_E_CLOSE_UTF8:
		return 1007; /* invalid frame payload data */
	case MQTTP_WS_E_FRAME_TOO_LARGE:
	case MQTTP_WS_E_MESSAGE_TOO_LARGE:
		return 1009; /* message too big */
	case MQTTP_WS_E_TEXT_FRAME:
		return 1003; /* unsupported data */
	default:
		return 1002; /* protocol error */
	}
}

int mqttp_ws_close_code_valid(unsigned code)
{
	/* 7.4.1 and the IANA registry (1012-1014); 1004 reserved, 1005/1006/
	 * 1015 never on the wire, 1016-2999 unassigned. */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
	       (code >= 3000 && code <= 4999);
}

const char *mqttp_ws_opcode_name(unsigned opcode)
{
	switch (opcode) {
	case MQTTP_WS_CONTINUATION: return "continuation";
	case MQTTP_WS_TEXT: return "text";
	case MQTTP_WS_BINARY: return "binary";
	case MQTTP_WS_CLOSE_FRAME: return "close";
	case MQTTP_WS_PING: return "ping";
	case MQTTP_WS_PONG: return "pong";
	default: return "reserved";
	}
}

static int is_control(unsigned opcode)
{
	return (opcode & 0x08) != 0;
}

static int opcode_defined(unsigned opcode)
{
	return opcode <= MQTTP_WS_BINARY || (opcode >= MQTTP_WS_CLOSE_FRAME && opcode <= MQTTP_WS_PONG);
}

void mqttp_ws_options_default(struct mqttp_ws_options *opt)
{
	opt->role = MQTTP_WS_FROM_CLIENT;
	opt->lenient = 0;
	opt->checks = 0;
	opt->rsv_allowed = 0;
	opt->max_frame_payload = 0;
	opt->max_message = 0;
}

void mqttp_ws_init(struct mqttp_ws *ws, const struct mqttp_ws_options *opt)
{
	struct mqttp_ws_options def;
	uint8_t *b = (uint8_t *)ws;
	size_t i;

	if (!opt) {
		mqttp_ws_options_default(&def);
		opt = &def;
	}
	for (i = 0; i < sizeof(*ws); i++)
		b[i] = 0;
	ws->priv_role = opt->role;
	ws->priv_lenient = (uint8_t)(opt->lenient & MQTTP_WS_LENIENT_ALL);
	ws->priv_checks = opt->checks;
	ws->priv_rsv_allowed = (uint8_t)(opt->rsv_allowed & 0x70);
	ws->priv_max_frame_payload = opt->max_frame_payload;
	ws->priv_max_message = opt->max_message;
}

void mqttp_ws_reset(struct mqttp_ws *ws)
{
	struct mqttp_ws_options opt;

	opt.role = ws->priv_role;
	opt.lenient = ws->priv_lenient;
	opt.checks = ws->priv_checks;
	opt.rsv_allowed = ws->priv_rsv_allowed;
	opt.max_frame_payload = ws->priv_max_frame_payload;
	opt.max_message = ws->priv_max_message;
	mqttp_ws_init(ws, &opt);
}

void mqttp_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n,
                     const uint8_t key[4], uint64_t off)
{
	size_t i;
	unsigned k = (unsigned)(off & 3);

	for (i = 0; i < n; i++) {
		dst[i] = (uint8_t)(src[i] ^ key[k]);
		k = (k + 1) & 3;
	}
}

/* Record an error; always returns MQTTP_WS_ERROR. */
static int fail(struct mqttp_ws *ws, enum mqttp_ws_error e, uint32_t off)
{
	ws->error = (uint8_t)e;
	ws->error_offset = off;
	ws->status = MQTTP_WS_ERROR;
	return MQTTP_WS_ERROR;
}

/* The length limits, once payload_len is known (reported at byte 1). */
static int check_limits(struct mqttp_ws *ws)
{
	if (is_control(ws->opcode))
		return 0;
	if (ws->priv_max_frame_payload && ws->payload_len > ws->priv_max_frame_payload)
		return fail(ws, MQTTP_WS_E_FRAME_TOO_LARGE, 1);
	if (ws->priv_max_message && (ws->payload_len > ws->priv_max_message ||
	                        ws->priv_msg_len > ws->priv_max_message - ws->payload_len))
		return fail(ws, MQTTP_WS_E_MESSAGE_TOO_LARGE, 1);
	return 0;
}

/* The first header byte: a new frame. */
static int first_byte(struct mqttp_ws *ws, uint8_t b, int binary_only)
{
	unsigned op = b & 0x0Fu;

	ws->frame_start = ws->offset;
	ws->payload_len = 0;
	ws->payload_off = 0;
	ws->close_code = 0;
	ws->key[0] = ws->key[1] = ws->key[2] = ws->key[3] = 0;
	ws->masked = 0;
	ws->have = 0;
	ws->fin = (uint8_t)(b >> 7);
	ws->rsv = (uint8_t)(b & 0x70);
	ws->opcode = (uint8_t)op;
	ws->header_len = 1;
	if (!opcode_defined(op))
		return fail(ws, MQTTP_WS_E_OPCODE, 0);
	if (ws->rsv & ~ws->priv_rsv_allowed)
		return fail(ws, MQTTP_WS_E_RSV, 0);
	if (is_control(op)) {
		if (!ws->fin)
			return fail(ws, MQTTP_WS_E_CONTROL_FRAGMENTED, 0);
	} else if (op == MQTTP_WS_CONTINUATION) {
		if (!ws->priv_in_message)
			return fail(ws, MQTTP_WS_E_CONTINUATION, 0);
	} else {
		if (ws->priv_in_message)
			return fail(ws, MQTTP_WS_E_EXPECTED_CONTINUATION, 0);
		if (op == MQTTP_WS_TEXT && binary_only)
			return fail(ws, MQTTP_WS_E_TEXT_FRAME, 0);
		ws->message_opcode = (uint8_t)op;
		ws->priv_msg_len = 0;
	}
	ws->priv_st = S_LEN;
	return 0;
}

/* The header is complete. Returns 1. */
static int header_done(struct mqttp_ws *ws)
{
	ws->have |= MQTTP_WS_HAVE_HEADER;
	ws->priv_st = S_PAYLOAD;
	ws->priv_utf8_need = 0;
	return 1;
}

/* After the length: the masking key, or the payload. */
static int after_length(struct mqttp_ws *ws)
{
	if (check_limits(ws) < 0)
		return MQTTP_WS_ERROR;
	if (ws->masked) {
		ws->priv_st = S_MASK;
		ws->priv_nbytes = 0;
		return 0;
	}
	return header_done(ws);
}

/* One header byte. Returns MQTTP_WS_ERROR, 0, or 1 when the header is
 * complete. */
static int header_byte(struct mqttp_ws *ws, uint8_t b, int binary_only)
{
	unsigned len7;

	switch (ws->priv_st) {
	case S_START:
		return first_byte(ws, b, binary_only);
	case S_LEN:
		ws->header_len = 2;
		ws->masked = (uint8_t)(b >> 7);
		len7 = b & 0x7Fu;
		if (ws->priv_role == MQTTP_WS_FROM_CLIENT && !ws->masked)
			return fail(ws, MQTTP_WS_E_UNMASKED, 1);
		if (ws->priv_role == MQTTP_WS_FROM_SERVER && ws->masked)
			return fail(ws, MQTTP_WS_E_MASKED, 1);
		if (is_control(ws->opcode) && len7 > MQTTP_WS_MAX_CONTROL_PAYLOAD)
			return fail(ws, MQTTP_WS_E_CONTROL_TOO_LONG, 1);
		if (ws->opcode == MQTTP_WS_CLOSE_FRAME && len7 == 1)
			return fail(ws, MQTTP_WS_E_CLOSE_LENGTH, 1);
		if (len7 < 126) {
			ws->payload_len = len7;
			return after_length(ws);
		}
		ws->priv_st = S_EXT;
		ws->priv_nbytes = (uint8_t)(len7 == 126 ? 2 : 8);
		ws->priv_acc = 0;
		return 0;
	case S_EXT:
		if (ws->priv_nbytes == 8 && ws->header_len == 2 && (b & 0x80))
			return fail(ws, MQTTP_WS_E_LENGTH_MSB, 2);
		ws->header_len++;
		ws->priv_acc = (ws->priv_acc << 8) | b;
		if (ws->header_len < 2 + ws->priv_nbytes)
			return 0;
		ws->payload_len = ws->priv_acc;
		if (!(ws->priv_lenient & MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH) &&
		    ws->priv_acc < (ws->priv_nbytes == 2 ? 126u : 65536u))
			return fail(ws, MQTTP_WS_E_LENGTH_NOT_MINIMAL, 1);
		return after_length(ws);
	case S_MASK:
		ws->key[ws->priv_nbytes++] = b;
		ws->header_len++;
		if (ws->priv_nbytes < 4)
			return 0;
		return header_done(ws);
	default:
		return 0;
	}
}

/* One byte of a close reason, which must be UTF-8 (charclass.h). 0 or -1. */
static int utf8_byte(struct mqttp_ws *ws, uint8_t b, uint8_t at)
{
	uint32_t cp = 0; /* the characters themselves are not needed */

	if (ws->priv_utf8_need == 0)
		ws->priv_cp_start = at;
	return mqttp__utf8_step(b, &ws->priv_utf8_need, &ws->priv_utf8_lo, &ws->priv_utf8_hi, &cp) == MQTTP__U8_BAD ? -1 : 0;
}

/*
 * Check n payload bytes of a close frame. Returns the bytes that passed
 * (n, or fewer with the error recorded).
 */
static size_t close_bytes(struct mqttp_ws *ws, const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t at = ws->payload_off + i;
		uint8_t b = ws->masked ? (uint8_t)(d[i] ^ ws->key[at & 3]) : d[i];

		if (at == 0) {
			ws->priv_acc = b;
		} else if (at == 1) {
			ws->close_code = (uint16_t)((ws->priv_acc << 8) | b);
			ws->have |= MQTTP_WS_HAVE_CLOSE_CODE;
			if (!(ws->priv_lenient & MQTTP_WS_LENIENT_CLOSE_PAYLOAD) &&
			    !mqttp_ws_close_code_valid(ws->close_code)) {
				fail(ws, MQTTP_WS_E_CLOSE_CODE, ws->header_len);
				return i;
			}
		} else if (!(ws->priv_lenient & MQTTP_WS_LENIENT_CLOSE_PAYLOAD)) {
			if (utf8_byte(ws, b, (uint8_t)at) < 0 ||
			    (at + 1 == ws->payload_len && ws->priv_utf8_need)) {
				fail(ws, MQTTP_WS_E_CLOSE_UTF8, (uint32_t)ws->header_len + ws->priv_cp_start);
				return i;
			}
		}
	}
	return n;
}

/* The frame's payload is complete. Returns DONE or CLOSE. */
static int frame_end(struct mqttp_ws *ws)
{
	ws->frames++;
	if (ws->opcode == MQTTP_WS_CLOSE_FRAME) {
		ws->priv_st = S_CLOSED;
		ws->status = MQTTP_WS_CLOSE;
		return MQTTP_WS_CLOSE;
	}
	if (!is_control(ws->opcode)) {
		ws->priv_msg_len += ws->payload_len;
		ws->priv_in_message = !ws->fin;
	}
	ws->priv_st = S_START;
	ws->status = MQTTP_WS_DONE;
	return MQTTP_WS_DONE;
}

static void emit(mqttp_ws_cb cb, void *ctx, const struct mqttp_ws *ws, uint8_t type)
{
	struct mqttp_ws_event ev;

	ev.type = type;
	ev.off = 0;
	ev.data = NULL;
	ev.raw = NULL;
	ev.len = 0;
	cb(ctx, ws, &ev);
}

/* Report payload bytes d[0..n) that start at payload offset off. */
static void emit_payload(mqttp_ws_cb cb, void *ctx, const struct mqttp_ws *ws,
                         const uint8_t *d, size_t n, uint64_t off)
{
	struct mqttp_ws_event ev;
	uint8_t tmp[PIECE];

	ev.type = MQTTP_WS_EV_PAYLOAD;
	while (n) {
		size_t k = n < PIECE ? n : PIECE;

		ev.off = off;
		ev.raw = d;
		ev.len = k;
		if (ws->masked) {
			mqttp_ws_unmask(tmp, d, k, ws->key, off);
			ev.data = tmp;
		} else
			ev.data = d;
		cb(ctx, ws, &ev);
		d += k;
		n -= k;
		off += k;
	}
}

/* Is the current frame's payload MQTT stream bytes? */
static int is_data(const struct mqttp_ws *ws)
{
	return !is_control(ws->opcode);
}

/*
 * The reader. Consumes d[0..len) up to the end of a frame, reporting to
 * cb (may be NULL). With mqtt set, text frames are refused and it stops
 * with R_DATA where a data frame's payload begins.
 */
static int run(struct mqttp_ws *ws, const uint8_t *d, size_t len, size_t *used,
               mqttp_ws_cb cb, void *ctx, int mqtt)
{
	int binary_only = mqtt || (ws->priv_checks & MQTTP_WS_CHECK_BINARY_ONLY);
	size_t pos = 0;

	while (pos < len) {
		if (ws->priv_st == S_CLOSED) {
			ws->frame_start = ws->offset;
			*used = pos;
			return fail(ws, MQTTP_WS_E_AFTER_CLOSE, 0);
		}
		if (ws->priv_st != S_PAYLOAD) {
			int r = header_byte(ws, d[pos], binary_only);

			if (r < 0) {
				*used = pos;
				return MQTTP_WS_ERROR;
			}
			pos++;
			ws->offset++;
			if (r == 0)
				continue;
			if (cb)
				emit(cb, ctx, ws, MQTTP_WS_EV_HEADER);
		} else {
			uint64_t left = ws->payload_len - ws->payload_off;
			size_t n = len - pos, ok;

			if (left == 0)
				; /* an empty payload: the frame ends below */
			else if (mqtt && is_data(ws)) {
				*used = pos;
				return R_DATA;
			} else {
				if (n > left)
					n = (size_t)left;
				ok = ws->opcode == MQTTP_WS_CLOSE_FRAME ? close_bytes(ws, d + pos, n) : n;
				if (cb && ok)
					emit_payload(cb, ctx, ws, d + pos, ok, ws->payload_off);
				ws->payload_off += ok;
				ws->offset += ok;
				pos += ok;
				if (ok < n) {
					*used = pos;
					return MQTTP_WS_ERROR;
				}
			}
		}
		if (ws->payload_off == ws->payload_len) {
			if (cb)
				emit(cb, ctx, ws, MQTTP_WS_EV_END);
			*used = pos;
			return frame_end(ws);
		}
	}
	*used = pos;
	ws->status = MQTTP_WS_NEED_MORE;
	return MQTTP_WS_NEED_MORE;
}

/* The status of a zero-length call. */
static enum mqttp_ws_status idle(const struct mqttp_ws *ws)
{
	if (ws->status == MQTTP_WS_ERROR)
		return MQTTP_WS_ERROR;
	return ws->priv_st == S_CLOSED ? MQTTP_WS_CLOSE : MQTTP_WS_NEED_MORE;
}

enum mqttp_ws_status mqttp_ws_feed(struct mqttp_ws *ws, const void *data,
                                   size_t len, size_t *consumed,
                                   mqttp_ws_cb cb, void *ctx)
{
	*consumed = 0;
	if (ws->status == MQTTP_WS_ERROR || len == 0 || !data)
		return idle(ws);
	return (enum mqttp_ws_status)run(ws, data, len, consumed, cb, ctx, 0);
}

/* ------------------------------------------------------------------------
 * MQTT over WebSocket
 * --------------------------------------------------------------------- */
void mqttp_ws_mqtt_init(struct mqttp_ws_mqtt *m, const struct mqttp_ws_options *wopt,
                        const struct mqttp_options *mopt)
{
	mqttp_ws_init(&m->ws, wopt);
	m->ws.priv_checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqttp_init(&m->mqtt, mopt);
	m->mqtt_offset = 0;
}

enum mqttp_ws_status mqttp_ws_mqtt_feed(struct mqttp_ws_mqtt *m, const void *data,
                                        size_t len, size_t *consumed,
                                        uint8_t *buf, size_t cap, size_t *produced,
                                        mqttp_field_cb cb, void *ctx)
{
	struct mqttp_ws *ws = &m->ws;
	const uint8_t *d = data;
	size_t pos = 0, out = 0;

	*consumed = 0;
	*produced = 0;
	if (ws->status == MQTTP_WS_ERROR || m->mqtt.status == MQTTP_ERROR)
		return MQTTP_WS_ERROR;
	if (len == 0 || !data)
		return idle(ws);
	while (pos < len) {
		size_t used = 0;
		int r;

		if (ws->priv_st == S_PAYLOAD && is_data(ws) && ws->payload_off < ws->payload_len) {
			uint64_t left = ws->payload_len - ws->payload_off;
			size_t n = len - pos;
			enum mqttp_status st;

			if (n > left)
				n = (size_t)left;
			if (n > cap - out)
				n = cap - out;
			if (n == 0)
				break; /* buf is full */
			/* an unmasked frame's key is 0: this copies */
			mqttp_ws_unmask(buf + out, d + pos, n, ws->key, ws->payload_off);
			st = mqttp_feed(&m->mqtt, buf + out, n, &used, cb, ctx);
			ws->payload_off += used;
			ws->offset += used;
			m->mqtt_offset += used;
			pos += used;
			out += used;
			if (ws->payload_off == ws->payload_len)
				frame_end(ws);
			if (st == MQTTP_ERROR) {
				*consumed = pos;
				*produced = out;
				return MQTTP_WS_ERROR;
			}
			if (st == MQTTP_DONE) {
				*consumed = pos;
				*produced = out;
				return MQTTP_WS_DONE;
			}
			continue;
		}
		r = run(ws, d + pos, len - pos, &used, NULL, NULL, 1);
		pos += used;
		if (r == R_DATA)
			continue;
		if (r == MQTTP_WS_ERROR || r == MQTTP_WS_CLOSE) {
			*consumed = pos;
			*produced = out;
			return (enum mqttp_ws_status)r;
		}
		/* DONE (a control or empty frame) or NEED_MORE: go on */
	}
	*consumed = pos;
	*produced = out;
	ws->status = MQTTP_WS_NEED_MORE;
	return MQTTP_WS_NEED_MORE;
}

/* ------------------------------------------------------------------------
 * Encoders
 * --------------------------------------------------------------------- */
/* Can a frame with this first byte and length exist? */
static int frame_ok(unsigned first_byte, uint64_t len)
{
	unsigned op = first_byte & 0x0Fu;

	if (first_byte > 0xFF || !opcode_defined(op))
		return 0;
	if (is_control(op) && (!(first_byte & MQTTP_WS_FIN) || len > MQTTP_WS_MAX_CONTROL_PAYLOAD))
		return 0;
	return len < (UINT64_C(1) << 63);
}

size_t mqttp_ws_encode_header(uint8_t *buf, size_t cap, unsigned first_byte,
                              uint64_t payload_len, const uint8_t key[4])
{
	size_t n = 2, ext = payload_len < 126 ? 0 : payload_len < 65536 ? 2 : 8;
	size_t i;

	if (!buf || !frame_ok(first_byte, payload_len))
		return 0;
	n += ext + (key ? 4 : 0);
	if (n > cap)
		return 0;
	buf[0] = (uint8_t)first_byte;
	buf[1] = (uint8_t)((key ? MQTTP_WS_MASK : 0) |
	                   (ext == 0 ? payload_len : ext == 2 ? 126 : 127));
	for (i = 0; i < ext; i++)
		buf[2 + i] = (uint8_t)(payload_len >> (8 * (ext - 1 - i)));
	if (key)
		for (i = 0; i < 4; i++)
			buf[2 + ext + i] = key[i];
	return n;
}

size_t mqttp_ws_encode_frame(uint8_t *buf, size_t cap, unsigned first_byte,
                             const void *payload, size_t len, const uint8_t key[4])
{
	size_t h = mqttp_ws_encode_header(buf, cap, first_byte, len, key);
	const uint8_t *p = payload;
	size_t i;

	if (h == 0 || len > cap - h || (len && !payload))
		return 0;
	if (key)
		mqttp_ws_unmask(buf + h, p, len, key, 0);
	else
		for (i = 0; i < len; i++)
			buf[h + i] = p[i];
	return h + len;
}

size_t mqttp_ws_encode_close(uint8_t *buf, size_t cap, unsigned code,
                             const char *reason, size_t reason_len,
                             const uint8_t key[4])
{
	uint8_t pl[MQTTP_WS_MAX_CONTROL_PAYLOAD];
	struct mqttp_ws chk;
	size_t i;

	if (!reason)
		reason_len = 0;
	if (code == 0)
		return reason_len ? 0 : mqttp_ws_encode_frame(buf, cap, MQTTP_WS_FIN | MQTTP_WS_CLOSE_FRAME, NULL, 0, key);
	if (!mqttp_ws_close_code_valid(code) || reason_len > MQTTP_WS_MAX_CONTROL_PAYLOAD - 2)
		return 0;
	pl[0] = (uint8_t)(code >> 8);
	pl[1] = (uint8_t)code;
	for (i = 0; i < reason_len; i++)
		pl[2 + i] = (uint8_t)reason[i];
	/* The reason must pass the reader's own UTF-8 check. */
	mqttp_ws_init(&chk, NULL);
	chk.opcode = MQTTP_WS_CLOSE_FRAME;
	chk.payload_len = 2 + reason_len;
	if (close_bytes(&chk, pl, 2 + reason_len) != 2 + reason_len)
		return 0;
	return mqttp_ws_encode_frame(buf, cap, MQTTP_WS_FIN | MQTTP_WS_CLOSE_FRAME, pl, 2 + reason_len, key);
}

/* ------------------------------------------------------------------------
 * Opening handshake: SHA-1 (FIPS 180-4) and base64 (RFC 4648)
 * --------------------------------------------------------------------- */
struct sha1 {
	uint32_t h[5];
	uint8_t block[64];
	size_t fill;
	uint64_t bytes;
};

static uint32_t rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

/* One round of FIPS 180-4 6.1.2 with f and K of its quarter. */
#define SHA1_ROUND(f, k) do { \
		t = rol(a, 5) + (f) + e + (k) + w[i]; \
		e = d; d = c; c = rol(b, 30); b = a; a = t; \
	} while (0)

static void sha1_block(struct sha1 *s, const uint8_t *p)
{
	uint32_t w[80], a, b, c, d, e, t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3]; e = s->h[4];
	/* one loop per quarter, no test of the round number in each */
	for (i = 0; i < 20; i++)
		SHA1_ROUND((b & c) | (~b & d), 0x5A827999u);
	for (; i < 40; i++)
		SHA1_ROUND(b ^ c ^ d, 0x6ED9EBA1u);
	for (; i < 60; i++)
		SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8F1BBCDCu);
	for (; i < 80; i++)
		SHA1_ROUND(b ^ c ^ d, 0xCA62C1D6u);
	s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d; s->h[4] += e;
}
#undef SHA1_ROUND

static void sha1_init(struct sha1 *s)
{
	s->h[0] = 0x67452301u;
	s->h[1] = 0xEFCDAB89u;
	s->h[2] = 0x98BADCFEu;
	s->h[3] = 0x10325476u;
	s->h[4] = 0xC3D2E1F0u;
	s->fill = 0;
	s->bytes = 0;
}

static void sha1_update(struct sha1 *s, const uint8_t *p, size_t n)
{
	s->bytes += n;
	while (n) {
		s->block[s->fill++] = *p++;
		n--;
		if (s->fill == 64) {
			sha1_block(s, s->block);
			s->fill = 0;
		}
	}
}

static void sha1_final(struct sha1 *s, uint8_t out[20])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad = 0x80, zero = 0, len[8];
	unsigned i;

	sha1_update(s, &pad, 1);
	while (s->fill != 56)
		sha1_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, len, 8);
	for (i = 0; i < 20; i++)
		out[i] = (uint8_t)(s->h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mqttp_ws_accept(const char *key, size_t key_len, char out[MQTTP_WS_ACCEPT_LEN])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	struct sha1 s;
	uint8_t h[21];
	unsigned i, o = 0;

	sha1_init(&s);
	if (key_len)
		sha1_update(&s, (const uint8_t *)key, key_len);
	sha1_update(&s, (const uint8_t *)guid, sizeof(guid) - 1);
	sha1_final(&s, h);
	h[20] = 0;
	/* 20 bytes: six groups of 3, then 2 bytes and one '=' */
	for (i = 0; i < 21; i += 3) {
		uint32_t v = (uint32_t)h[i] << 16 | (uint32_t)h[i + 1] << 8 | h[i + 2];

		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = b64[(v >> 6) & 63];
		out[o++] = i + 3 <= 20 ? b64[v & 63] : '=';
	}
	return MQTTP_WS_ACCEPT_LEN;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int mqttp_ws_key_valid(const char *key, size_t len)
{
	size_t i;

	if (!key || len != 24 || key[22] != '=' || key[23] != '=')
		return 0;
	for (i = 0; i < 22; i++)
		if (b64_value(key[i]) < 0)
			return 0;
	/* 16 bytes fill 128 of the 132 bits of 22 characters: the last 4
	 * must be zero in a canonical encoding. */
	return (b64_value(key[21]) & 15) == 0;
}

/* RFC 9110 tchar. */
static int is_tchar(char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '.': case '^': case '_': case '`': case '|': case '~':
		return 1;
	default:
		return 0;
	}
}

int mqttp_ws_protocol_has(const char *list, size_t len, const char *name, size_t name_len)
{
	size_t i = 0;
	int found = 0;

	if (!list)
		len = 0;
	while (i < len) {
		size_t start, end, k;

		while (i < len && (list[i] == ' ' || list[i] == '\t'))
			i++;
		start = i;
		while (i < len && is_tchar(list[i]))
			i++;
		end = i;
		while (i < len && (list[i] == ' ' || list[i] == '\t'))
			i++;
		if (i < len && list[i] != ',')
			return -1;
		i++; /* the comma (or past the end) */
		if (end == start)
			continue; /* empty element */
		if (end - start == name_len && name) {
			for (k = 0; k < name_len && list[start + k] == name[k]; k++)
				;
			if (k == name_len)
				found = 1;
		}
	}
	return found;
}
