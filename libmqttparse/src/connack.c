/*
 * connack.c - CONNACK encoder, and the refusal a broker would send for a
 * parser's error.
 */
#include "internal.h"
#include "encode.h"

size_t mqttp_encode_connack(uint8_t *buf, size_t cap, unsigned version,
                            int session_present, unsigned return_code,
                            unsigned reason_code,
                            const char *reason_string, size_t reason_string_len,
                            const char *server_reference, size_t server_reference_len)
{
	size_t props, rl, total, pos;
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
	props = mqttp__reason_props_len(reason_string, reason_string_len, server_reference, server_reference_len);
	rl = 2 + mqttp__vbi_len((uint32_t)props) + props;
	total = 1 + mqttp__vbi_len((uint32_t)rl) + rl;
	if (total > cap)
		return 0;
	buf[0] = 0x20;
	pos = 1 + mqttp__put_vbi(buf + 1, (uint32_t)rl);
	buf[pos++] = (uint8_t)(session_present && code == 0);
	buf[pos++] = (uint8_t)code;
	pos += mqttp__put_reason_props(buf + pos, props, reason_string, reason_string_len, server_reference,
	                               server_reference_len);
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
