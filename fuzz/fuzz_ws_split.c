/*
 * fuzz_ws_split - the WebSocket reader (mqttp_ws_feed) fed in one call,
 * one byte per call and in the input's chunk plan (zero-length calls
 * included) must give the same headers, unmasked payload bytes, frame
 * ends, statuses at the same stream offsets, error, error offset and
 * frame start; and the one-shot run must agree with a whole-buffer
 * reading of RFC 6455 written here independently (ref_run), in the order
 * of checks mqttws.h documents.
 */
#include "fuzz_ws_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ref_fail(struct fw_trace *t, enum mqttp_ws_error e, uint32_t off, size_t consumed)
{
	t->final_status = MQTTP_WS_ERROR;
	t->error = (uint8_t)e;
	t->error_offset = off;
	t->offset = consumed;
	return -1;
}

/* Is b[0..n) a valid UTF-8 prefix, and where does the first bad
 * character start? Returns n when all is well (a truncated last
 * character counts as bad when `whole`). */
static size_t ref_utf8_bad(const uint8_t *b, size_t n, int whole, size_t *bad_byte)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = b[i];
		size_t need, k;
		uint8_t lo = 0x80, hi = 0xBF;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			lo = c == 0xE0 ? 0xA0 : 0x80;
			hi = c == 0xED ? 0x9F : 0xBF;
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			lo = c == 0xF0 ? 0x90 : 0x80;
			hi = c == 0xF4 ? 0x8F : 0xBF;
		} else {
			*bad_byte = i;
			return i;
		}
		for (k = 1; k <= need; k++) {
			if (i + k >= n) {
				if (whole) {
					*bad_byte = n - 1;
					return i;
				}
				return n;
			}
			if (b[i + k] < (k == 1 ? lo : 0x80) || b[i + k] > (k == 1 ? hi : 0xBF)) {
				*bad_byte = i + k;
				return i;
			}
		}
		i += need + 1;
	}
	return n;
}

static int ref_code_ok(unsigned c)
{
	return (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);
}

/* The whole-buffer reading: fills t as fw_run does for a one-shot run. */
static void ref_run(struct fw_trace *t, const uint8_t *b, size_t n, const struct mqttp_ws_options *o)
{
	size_t pos = 0;
	int in_msg = 0, closed = 0;
	uint64_t msg_len = 0;

	memset(t, 0, sizeof(*t));
	t->final_status = MQTTP_WS_NEED_MORE;
	while (pos < n) {
		size_t fs = pos, hl;
		unsigned b0 = b[fs], op = b0 & 15, fin = b0 >> 7, b1, len7, masked;
		int control = (op & 8) != 0;
		uint64_t plen, avail, i, msg_before = msg_len;
		uint8_t key[4] = { 0, 0, 0, 0 };
		struct mqttp_ws hdr;

		t->frame_start = fs;
		t->final_status = MQTTP_WS_NEED_MORE;
		if (closed) {
			ref_fail(t, MQTTP_WS_E_AFTER_CLOSE, 0, fs);
			return;
		}
		if (!(op <= 2 || (op >= 8 && op <= 10))) {
			ref_fail(t, MQTTP_WS_E_OPCODE, 0, fs);
			return;
		}
		if (b0 & 0x70 & ~o->rsv_allowed) {
			ref_fail(t, MQTTP_WS_E_RSV, 0, fs);
			return;
		}
		if (control && !fin) {
			ref_fail(t, MQTTP_WS_E_CONTROL_FRAGMENTED, 0, fs);
			return;
		}
		if (op == 0 && !in_msg) {
			ref_fail(t, MQTTP_WS_E_CONTINUATION, 0, fs);
			return;
		}
		if ((op == 1 || op == 2) && in_msg) {
			ref_fail(t, MQTTP_WS_E_EXPECTED_CONTINUATION, 0, fs);
			return;
		}
		if (op == 1 && (o->checks & MQTTP_WS_CHECK_BINARY_ONLY)) {
			ref_fail(t, MQTTP_WS_E_TEXT_FRAME, 0, fs);
			return;
		}
		if (op == 1 || op == 2)
			msg_before = 0;
		if (fs + 1 >= n) {
			t->offset = n;
			return;
		}
		b1 = b[fs + 1];
		masked = b1 >> 7;
		len7 = b1 & 0x7F;
		if (o->role == MQTTP_WS_FROM_CLIENT && !masked) {
			ref_fail(t, MQTTP_WS_E_UNMASKED, 1, fs + 1);
			return;
		}
		if (o->role == MQTTP_WS_FROM_SERVER && masked) {
			ref_fail(t, MQTTP_WS_E_MASKED, 1, fs + 1);
			return;
		}
		if (control && len7 > 125) {
			ref_fail(t, MQTTP_WS_E_CONTROL_TOO_LONG, 1, fs + 1);
			return;
		}
		if (op == 8 && len7 == 1) {
			ref_fail(t, MQTTP_WS_E_CLOSE_LENGTH, 1, fs + 1);
			return;
		}
		hl = 2;
		plen = len7;
		if (len7 == 126) {
			if (fs + 4 > n) {
				t->offset = n;
				return;
			}
			plen = (uint64_t)b[fs + 2] << 8 | b[fs + 3];
			hl = 4;
			if (plen < 126 && !(o->lenient & MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH)) {
				ref_fail(t, MQTTP_WS_E_LENGTH_NOT_MINIMAL, 1, fs + 3);
				return;
			}
		} else if (len7 == 127) {
			if (fs + 2 < n && (b[fs + 2] & 0x80)) {
				ref_fail(t, MQTTP_WS_E_LENGTH_MSB, 2, fs + 2);
				return;
			}
			if (fs + 10 > n) {
				t->offset = n;
				return;
			}
			plen = 0;
			for (i = 0; i < 8; i++)
				plen = plen << 8 | b[fs + 2 + i];
			hl = 10;
			if (plen < 65536 && !(o->lenient & MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH)) {
				ref_fail(t, MQTTP_WS_E_LENGTH_NOT_MINIMAL, 1, fs + 9);
				return;
			}
		}
		if (!control && o->max_frame_payload && plen > o->max_frame_payload) {
			ref_fail(t, MQTTP_WS_E_FRAME_TOO_LARGE, 1, fs + hl - 1);
			return;
		}
		if (!control && o->max_message && msg_before + plen > o->max_message) {
			ref_fail(t, MQTTP_WS_E_MESSAGE_TOO_LARGE, 1, fs + hl - 1);
			return;
		}
		if (masked) {
			if (fs + hl + 4 > n) {
				t->offset = n;
				return;
			}
			memcpy(key, b + fs + hl, 4);
			hl += 4;
		}
		memset(&hdr, 0, sizeof(hdr));
		hdr.fin = (uint8_t)fin;
		hdr.rsv = (uint8_t)(b0 & 0x70);
		hdr.opcode = (uint8_t)op;
		hdr.masked = (uint8_t)masked;
		memcpy(hdr.key, key, 4);
		hdr.payload_len = plen;
		hdr.header_len = (uint8_t)hl;
		hdr.frame_start = fs;
		fw_log_header(t, &hdr);
		avail = n - (fs + hl);
		if (avail > plen)
			avail = plen;
		{
			uint8_t *pl = fz_dup(b + fs + hl, (size_t)avail);
			uint16_t code = 0;
			uint8_t have = MQTTP_WS_HAVE_HEADER;

			mqttp_ws_unmask(pl, pl, (size_t)avail, key, 0);
			if (op == 8 && avail >= 2) {
				code = (uint16_t)(pl[0] << 8 | pl[1]);
				have |= MQTTP_WS_HAVE_CLOSE_CODE;
			}
			if (op == 8 && !(o->lenient & MQTTP_WS_LENIENT_CLOSE_PAYLOAD) && avail >= 2) {
				size_t badb = 0, bad;

				if (!ref_code_ok(code)) {
					fw_put(&t->log, pl, 1);
					free(pl);
					ref_fail(t, MQTTP_WS_E_CLOSE_CODE, (uint32_t)hl, fs + hl + 1);
					return;
				}
				bad = ref_utf8_bad(pl + 2, (size_t)avail - 2, avail == plen, &badb);
				if (bad < avail - 2) {
					fw_put(&t->log, pl, 2 + badb);
					free(pl);
					ref_fail(t, MQTTP_WS_E_CLOSE_UTF8, (uint32_t)(hl + 2 + bad), fs + hl + 2 + badb);
					return;
				}
			}
			fw_put(&t->log, pl, (size_t)avail);
			if (op == 0 || op == 2)
				fw_put(&t->data, pl, (size_t)avail);
			free(pl);
			if (avail < plen) {
				t->offset = n;
				return;
			}
			fw_log_end(t, have, code);
		}
		t->frames++;
		pos = fs + hl + (size_t)plen;
		if (!control) {
			msg_len = msg_before + plen;
			in_msg = !fin;
		}
		if (op == 8)
			closed = 1;
		t->final_status = op == 8 ? MQTTP_WS_CLOSE : MQTTP_WS_DONE;
		fw_log_status(t, t->final_status, pos);
		t->offset = pos;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fw_input in;
	struct fw_trace one, bytes, plan, ref;
	uint8_t *buf;

	fw_parse_input(data, size, &in);
	buf = fz_dup(in.body, in.body_len);
	fw_run(&one, buf, in.body_len, &in.wopt, FW_ONESHOT, NULL, 0);
	fw_run(&bytes, buf, in.body_len, &in.wopt, FW_BYTES, NULL, 0);
	fw_run(&plan, buf, in.body_len, &in.wopt, FW_PLAN, in.plan, in.plan_len);
	fw_compare(&one, &bytes);
	fw_compare(&one, &plan);
	ref_run(&ref, buf, in.body_len, &in.wopt);
	if (one.final_status != MQTTP_WS_ERROR)
		ref.frame_start = one.frame_start; /* only meaningful with an error */
	fw_compare(&one, &ref);
	/* names and codes of the verdict; mqttp_ws_reset = a fresh reader */
	{
		struct mqttp_ws a, b;
		size_t used;

		FW_CHECK(strncmp(mqttp_ws_error_name((enum mqttp_ws_error)one.error), "MQTTP_WS_E_", 11) == 0);
		FW_CHECK(mqttp_ws_error_reason((enum mqttp_ws_error)one.error) != NULL);
		FW_CHECK(one.error ? mqttp_ws_close_code_valid(mqttp_ws_error_close_code((enum mqttp_ws_error)one.error))
		                   : mqttp_ws_error_close_code(MQTTP_WS_E_NONE) == 0);
		FW_CHECK(mqttp_ws_opcode_name(in.body_len ? buf[0] & 15 : 0) != NULL);
		mqttp_ws_init(&a, &in.wopt);
		mqttp_ws_init(&b, &in.wopt);
		(void)mqttp_ws_feed(&a, buf, in.body_len, &used, NULL, NULL);
		mqttp_ws_reset(&a);
		FW_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	}
	fw_trace_free(&one);
	fw_trace_free(&bytes);
	fw_trace_free(&plan);
	fw_trace_free(&ref);
	free(buf);
	return 0;
}
