/*
 * fuzz_ws_roundtrip - frames built from the input with the encoders
 * (mqttp_ws_encode_frame, _encode_header + mqttp_ws_unmask, _encode_close)
 * decode back, in the input's chunk plan, to exactly the frames meant:
 * same first byte, mask and key, minimal header length, payload, close
 * code, a DONE (CLOSE) at each frame's end, no error. Every frame is also
 * encoded into a buffer one byte too small (nothing written, 0 returned)
 * and the exact size. Invalid requests (reserved opcodes, fragmented or
 * long control frames, bad close codes or reasons) must be refused.
 * Also: base64 keys of 16 bytes are valid, one changed character is judged
 * as an independent check says, and Sec-WebSocket-Protocol lists built
 * from tokens are searched right.
 */
#include "fuzz_ws_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int valid_code(unsigned c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

static void check_keys(struct fz_src *s)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint8_t raw[18];
	char key[24], acc[MQTTP_WS_ACCEPT_LEN];
	unsigned i, o = 0;
	int expect;

	for (i = 0; i < 16; i++)
		raw[i] = fz_next(s);
	raw[16] = raw[17] = 0;
	for (i = 0; i < 18; i += 3) {
		uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];

		key[o++] = b64[(v >> 18) & 63];
		key[o++] = b64[(v >> 12) & 63];
		key[o++] = b64[(v >> 6) & 63];
		key[o++] = b64[v & 63];
	}
	key[22] = key[23] = '=';
	FW_CHECK(mqttp_ws_key_valid(key, 24) == 1);
	FW_CHECK(mqttp_ws_accept(key, 24, acc) == MQTTP_WS_ACCEPT_LEN);
	for (i = 0; i < 27; i++)
		FW_CHECK(strchr(b64, acc[i]) != NULL && acc[i] != 0);
	FW_CHECK(acc[27] == '=');
	/* change one character */
	i = fz_next(s) % 24;
	key[i] = (char)fz_next(s);
	if (i == 22 || i == 23)
		expect = key[i] == '=';
	else if (key[i] == 0 || !strchr(b64, key[i]))
		expect = 0;
	else if (i == 21)
		expect = ((strchr(b64, key[i]) - b64) & 15) == 0;
	else
		expect = 1;
	FW_CHECK(mqttp_ws_key_valid(key, 24) == expect);
	FW_CHECK(mqttp_ws_key_valid(key, 23) == 0);
}

static void check_protocols(struct fz_src *s)
{
	static const char *const tokens[] = { "mqtt", "mqttv3.1", "MQTT", "chat", "mqt", "x-mqtt", "" };
	char list[256];
	size_t len = 0;
	unsigned i, count = fz_next(s) % 6;
	int want = 0;

	for (i = 0; i < count; i++) {
		const char *t = tokens[fz_next(s) % 7];
		unsigned sp = fz_next(s);

		if (i)
			list[len++] = ',';
		if (sp & 1)
			list[len++] = ' ';
		if (sp & 2)
			list[len++] = '\t';
		memcpy(list + len, t, strlen(t));
		len += strlen(t);
		if (sp & 4)
			list[len++] = ' ';
		if (strcmp(t, "mqtt") == 0)
			want = 1;
	}
	FW_CHECK(mqttp_ws_protocol_has(list, len, "mqtt", 4) == want);
	if (len) {
		/* a character that is not a token character breaks the list */
		size_t at = fz_next(s) % len;
		char save = list[at];

		list[at] = '"';
		FW_CHECK(mqttp_ws_protocol_has(list, len, "mqtt", 4) == -1);
		list[at] = save;
	}
}

/* Append one frame to the expected log as fw_run records it. */
static void expect_frame(struct fw_trace *t, unsigned b0, const uint8_t *key, uint64_t plen,
                         uint64_t start, const uint8_t *payload, uint16_t code, int status)
{
	struct mqttp_ws h;
	uint8_t have = MQTTP_WS_HAVE_HEADER;

	memset(&h, 0, sizeof(h));
	h.fin = (uint8_t)(b0 >> 7);
	h.rsv = (uint8_t)(b0 & 0x70);
	h.opcode = (uint8_t)(b0 & 15);
	h.masked = key != NULL;
	if (key)
		memcpy(h.key, key, 4);
	h.payload_len = plen;
	h.header_len = (uint8_t)(2 + (plen < 126 ? 0 : plen < 65536 ? 2 : 8) + (key ? 4 : 0));
	h.frame_start = start;
	fw_log_header(t, &h);
	fw_put(&t->log, payload, (size_t)plen);
	if ((b0 & 15) == 0 || (b0 & 15) == 2)
		fw_put(&t->data, payload, (size_t)plen);
	if ((b0 & 15) == MQTTP_WS_CLOSE_FRAME && plen >= 2)
		have |= MQTTP_WS_HAVE_CLOSE_CODE;
	fw_log_end(t, have, code);
	fw_log_status(t, status, start + h.header_len + plen);
	t->frames++;
	t->final_status = status;
	t->frame_start = start;
	t->offset = start + h.header_len + plen;
}

/* Encode into an exact-size buffer and one a byte short. */
static size_t encode_checked(uint8_t *out, size_t want, int how, unsigned b0, const uint8_t *pl,
                             size_t plen, const uint8_t *key, unsigned code)
{
	size_t n = 0, shorter, result = 0;
	uint8_t *small = malloc(want > 1 ? want - 1 : 1);
	uint8_t *exact = malloc(want ? want : 1);

	FW_CHECK(small && exact);
	for (shorter = 0; shorter < 2; shorter++) {
		uint8_t *b = shorter ? small : exact;
		size_t cap = shorter ? want - 1 : want;

		memset(b, 0xEE, cap);
		if (how == 2 && plen == 0)
			n = mqttp_ws_encode_close(b, cap, 0, NULL, 0, key);
		else if (how == 2)
			n = mqttp_ws_encode_close(b, cap, code, (const char *)pl + 2, plen - 2, key);
		else if (how == 1) {
			n = mqttp_ws_encode_header(b, cap, b0, plen, key);
			if (n && plen <= cap - n) {
				if (key)
					mqttp_ws_unmask(b + n, pl, plen, key, 0);
				else
					memcpy(b + n, pl, plen);
				n += plen;
			} else if (n)
				n = 0; /* header fits, payload does not */
		} else
			n = mqttp_ws_encode_frame(b, cap, b0, pl, plen, key);
		if (shorter)
			FW_CHECK(n == 0);
		else {
			FW_CHECK(n == want);
			memcpy(out, b, n);
			result = n;
		}
	}
	free(small);
	free(exact);
	return result;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_input in;
	struct fz_src s;
	struct fw_trace want, got;
	struct mqttp_ws_options opt;
	static uint8_t payload[70000];
	uint8_t *stream;
	size_t cap = 1 << 20, len = 0, frames = 0;
	int in_msg = 0, closed = 0, big = 0;
	uint8_t key[4];
	int masked;

	fw_parse_input(data, size, &in);
	s.b = in.body;
	s.n = in.body_len;
	s.pos = 0;
	check_keys(&s);
	check_protocols(&s);
	masked = in.wopt.role != MQTTP_WS_FROM_SERVER;
	opt = in.wopt;
	opt.role = masked ? MQTTP_WS_FROM_CLIENT : MQTTP_WS_FROM_SERVER;
	opt.checks = 0;
	opt.lenient = 0;
	opt.max_frame_payload = 0;
	opt.max_message = 0;
	stream = malloc(cap);
	FW_CHECK(stream != NULL);
	memset(&want, 0, sizeof(want));
	want.final_status = MQTTP_WS_NEED_MORE;
	while (s.pos < s.n && !closed && frames < 32) {
		uint8_t sel = fz_next(&s), lb = fz_next(&s);
		unsigned kind = sel % 7, b0, i, code = 0;
		size_t plen = lb, n, hlen;
		int how = (sel >> 3) & 1;

		/* 0..255 (7- and 16-bit lengths); once per input a long one,
		 * up to 65535, or past it (a 64-bit length) */
		if ((sel & 0xC0) == 0xC0 && !big++) {
			plen = (size_t)lb << 8 | fz_next(&s);
			if (lb & 1)
				plen += 65536 - 256;
		}
		for (i = 0; i < 4; i++)
			key[i] = fz_next(&s);
		switch (kind) {
		case 0: /* a whole binary message */
		case 1: /* a text message */
			b0 = (in_msg ? 0 : (kind ? MQTTP_WS_TEXT : MQTTP_WS_BINARY)) | MQTTP_WS_FIN;
			break;
		case 2: /* a fragment */
			b0 = in_msg ? MQTTP_WS_CONTINUATION : MQTTP_WS_BINARY;
			break;
		case 3:
			b0 = MQTTP_WS_FIN | MQTTP_WS_PING;
			break;
		case 4:
			b0 = MQTTP_WS_FIN | MQTTP_WS_PONG;
			break;
		case 5: { /* invalid requests are refused */
			uint8_t junk[200];
			unsigned op = lb & 15;

			FW_CHECK(mqttp_ws_encode_header(junk, sizeof(junk), (op & 8) | (lb & 0x70) | 3 | (op & 4), 0, NULL) == 0);
			FW_CHECK(mqttp_ws_encode_header(junk, sizeof(junk), MQTTP_WS_PING, 0, NULL) == 0);
			FW_CHECK(mqttp_ws_encode_header(junk, sizeof(junk), MQTTP_WS_FIN | MQTTP_WS_PONG, 126 + (plen & 1023), NULL) == 0);
			code = (unsigned)lb << 8 | sel;
			if (!valid_code(code) && code != 0)
				FW_CHECK(mqttp_ws_encode_close(junk, sizeof(junk), code, NULL, 0, NULL) == 0);
			FW_CHECK(mqttp_ws_encode_close(junk, sizeof(junk), 1000, "\xff", 1, NULL) == 0);
			continue;
		}
		default: /* close */
			b0 = MQTTP_WS_FIN | MQTTP_WS_CLOSE_FRAME;
			break;
		}
		if (b0 & 8) {
			if (plen > 125)
				plen %= 126;
		} else
			b0 |= sel & 0x70 & opt.rsv_allowed;
		if (plen > sizeof(payload))
			plen = sizeof(payload);
		for (i = 0; i < plen; i++)
			payload[i] = s.pos < s.n ? s.b[(s.pos + i) % s.n] : (uint8_t)i;
		s.pos += plen < 16 ? plen : 16;
		if ((b0 & 15) == MQTTP_WS_CLOSE_FRAME) {
			/* a valid code and an ASCII reason */
			static const unsigned codes[] = { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999 };

			if (plen == 1)
				plen = 0;
			code = plen ? codes[lb % 15] : 0;
			if (plen) {
				payload[0] = (uint8_t)(code >> 8);
				payload[1] = (uint8_t)code;
				for (i = 2; i < plen; i++)
					payload[i] = (uint8_t)(0x20 + payload[i] % 0x5F);
			}
			how = 2;
		}
		hlen = 2 + (plen < 126 ? 0 : plen < 65536 ? 2 : 8) + (masked ? 4 : 0);
		if (len + hlen + plen > cap)
			break;
		n = encode_checked(stream + len, hlen + plen, how, b0, payload, plen, masked ? key : NULL, code);
		FW_CHECK(n == hlen + plen);
		expect_frame(&want, b0, masked ? key : NULL, plen, len, payload, (uint16_t)code,
		             (b0 & 15) == MQTTP_WS_CLOSE_FRAME ? MQTTP_WS_CLOSE : MQTTP_WS_DONE);
		len += n;
		frames++;
		if (!(b0 & 8))
			in_msg = !(b0 & MQTTP_WS_FIN);
		if ((b0 & 15) == MQTTP_WS_CLOSE_FRAME)
			closed = 1;
	}
	{
		/* a plan of small sizes (or none: byte by byte) is too slow for
		 * 64-bit lengths: a mixed plan then */
		static const uint8_t mixed[] = { 1, 7, 0, 200, 3 };
		const uint8_t *plan = in.plan;
		size_t plan_len = in.plan_len, i, nz = 0;

		for (i = 0; i < plan_len; i++)
			nz |= plan[i] >= 16;
		if (!nz && len > 4096) {
			plan = mixed;
			plan_len = sizeof(mixed);
		}
		fw_run(&got, stream, len, &opt, FW_PLAN, plan, plan_len);
	}
	FW_CHECK(got.error == 0);
	fw_compare(&want, &got);
	fw_trace_free(&want);
	fw_trace_free(&got);
	free(stream);
	return 0;
}
