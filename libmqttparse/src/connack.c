/*
 * connack.c - CONNACK encoder, and the refusal a broker would send for a
 * parser's error.
 */
#include "internal.h"

/* Write v as a variable byte integer; returns its length (1..4). */
static size_t put_vbi(uint8_t *out, uint32_t v)
{
	size_t n = 0;

	do {
		uint8_t b = (uint8_t)(v & 0x7F);
		v >>= 7;
		if (v)
			b |= 0x80;
		out[n++] = b;
	} while (v);
	return n;
}

static size_t vbi_len(uint32_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

static size_t put_string_prop(uint8_t *out, uint8_t id, const char *s, size_t n)
{
	size_t i;

	out[0] = id;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	for (i = 0; i < n; i++)
		out[3 + i] = (uint8_t)s[i];
	return 3 + n;
}

size_t mqttp_encode_connack(uint8_t *buf, size_t cap, unsigned version,
                            int session_present, unsigned return_code,
                            unsigned reason_code,
                            const char *reason_string, size_t reason_string_len,
                            const char *server_reference, size_t server_reference_len)
{
	size_t props = 0, rl, total, pos;
	unsigned code;

	if (!buf)
		return 0;
	if (version != MQTTP_V5) {
		if (version != MQTTP_V31 && version != MQTTP_V311)
			return 0;
		if (return_code > 5 || cap < 4)
			return 0;
		buf[0] = 0x20;
		buf[1] = 2;
		/* A refusal never carries session present [MQTT-3.2.2-4]; 3.1
		 * has no session present at all. */
		buf[2] = (uint8_t)(session_present && return_code == 0 && version == MQTTP_V311);
		buf[3] = (uint8_t)return_code;
		return 4;
	}
	code = reason_code;
	if (!mqttp_connack_code_valid(MQTTP_V5, code))
		return 0;
	if ((reason_string && reason_string_len > 65535) ||
	    (server_reference && server_reference_len > 65535))
		return 0;
	if (reason_string)
		props += 3 + reason_string_len;
	if (server_reference)
		props += 3 + server_reference_len;
	rl = 2 + vbi_len((uint32_t)props) + props;
	total = 1 + vbi_len((uint32_t)rl) + rl;
	if (total > cap)
		return 0;
	buf[0] = 0x20;
	pos = 1 + put_vbi(buf + 1, (uint32_t)rl);
	buf[pos++] = (uint8_t)(session_present && code == 0);
	buf[pos++] = (uint8_t)code;
	pos += put_vbi(buf + pos, (uint32_t)props);
	if (reason_string)
		pos += put_string_prop(buf + pos, 0x1F, reason_string, reason_string_len);
	if (server_reference)
		pos += put_string_prop(buf + pos, 0x1C, server_reference, server_reference_len);
	return pos;
}

unsigned mqttp_connack_version(const struct mqttp_parser *p)
{
	if (p->type != MQTTP_CONNECT || !(p->have & MQTTP_HAVE_VERSION))
		return 0;
	/* 3.1.1's rule [MQTT-3.1.2-2] for every level but 5 itself. */
	return p->version == MQTTP_V5 ? MQTTP_V5 : MQTTP_V311;
}

size_t mqttp_encode_refusal(const struct mqttp_parser *p, uint8_t *buf, size_t cap)
{
	unsigned v = mqttp_connack_version(p);
	enum mqttp_error e = (enum mqttp_error)p->error;
	int code;

	if (p->status != MQTTP_ERROR || v == 0)
		return 0;
	if (v == MQTTP_V311) {
		code = mqttp_error_return_code(e);
		if (code <= 0)
			return 0; /* [MQTT-3.1.4-1]: close without CONNACK */
		return mqttp_encode_connack(buf, cap, MQTTP_V311, 0, (unsigned)code, 0, NULL, 0, NULL, 0);
	}
	code = mqttp_error_reason_code(e);
	if (code < 0)
		return 0;
	return mqttp_encode_connack(buf, cap, MQTTP_V5, 0, 0, (unsigned)code, NULL, 0, NULL, 0);
}
