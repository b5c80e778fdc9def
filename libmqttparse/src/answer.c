/*
 * answer.c - encoders of the answers a broker (or a proxy speaking for
 * one) gives: PUBACK / PUBREC / PUBREL / PUBCOMP, SUBACK, UNSUBACK and
 * DISCONNECT. Which reason code each may carry is tables.c's reason table
 * (mqttp_reason_code_allowed); the UTF-8 rules are charclass.h's.
 */
#include "internal.h"
#include "charclass.h"
#include "encode.h"

#define STRING_MAX 65535u

/* An optional string argument: absent (NULL, length 0), or in 5.0 a UTF-8
 * string [MQTT-1.5.4-1] without U+0000 [MQTT-1.5.4-2] or control
 * characters (the strict policy) of at most 65,535 bytes; 3.1 / 3.1.1
 * packets have no properties. 1 when acceptable. */
static int string_ok(unsigned version, const char *s, size_t len)
{
	size_t at;

	if (!s)
		return len == 0;
	return version == MQTTP_V5 && len <= STRING_MAX &&
	       mqttp__utf8_check((const uint8_t *)s, len, 0, &at) == MQTTP_E_NONE;
}

/*
 * Start a packet of remaining length rl: the first byte and the remaining
 * length, when the whole packet fits in cap. Returns the fixed header's
 * length, or 0 (nothing written) when it does not fit or rl is too large.
 */
static size_t put_header(uint8_t *b, size_t cap, uint8_t first, size_t rl)
{
	if (!b || rl > MQTTP_MAX_REMAINING_LENGTH || cap < 1 + mqttp__vbi_len(rl) || cap - 1 - mqttp__vbi_len(rl) < rl)
		return 0;
	b[0] = first;
	return 1 + mqttp__put_vbi(b + 1, rl);
}

size_t mqttp_encode_ack(void *buf, size_t cap, unsigned version, unsigned type, uint16_t packet_id,
                        unsigned reason_code, const char *reason_string, size_t reason_string_len)
{
	uint8_t *b = buf;
	size_t props, rl = 2, n;

	if (type < MQTTP_PUBACK || type > MQTTP_PUBCOMP || packet_id == 0 || /* [MQTT-2.3.1-1] */
	    !mqttp_reason_code_allowed(version, type, reason_code) ||
	    !string_ok(version, reason_string, reason_string_len))
		return 0;
	props = mqttp__reason_props_len(reason_string, reason_string_len, NULL, 0);
	/* 5.0: the reason code only when not 0 or followed by properties, the
	 * property length only with properties (sections 3.4.2.1, 3.4.2.2.1) */
	if (reason_code || props)
		rl++;
	if (props)
		rl += mqttp__vbi_len(props) + props;
	/* PUBREL's fixed header flags are 0010 [MQTT-3.6.1-1] */
	n = put_header(b, cap, (uint8_t)(type << 4 | (type == MQTTP_PUBREL ? 2 : 0)), rl);
	if (!n)
		return 0;
	n += mqttp__put_u16(b + n, packet_id);
	if (rl > 2)
		b[n++] = (uint8_t)reason_code;
	if (props)
		n += mqttp__put_reason_props(b + n, props, reason_string, reason_string_len, NULL, 0);
	return n;
}

/* SUBACK and UNSUBACK: packet identifier, 5.0 properties, a code per
 * filter [MQTT-3.9.3-1], [MQTT-3.11.3-1]. */
static size_t encode_sub_answer(uint8_t *b, size_t cap, unsigned version, unsigned type, uint16_t packet_id,
                                const uint8_t *codes, size_t n, const char *rs, size_t rs_len)
{
	size_t props = 0, rl, i, pos;

	if (packet_id == 0 || (n && !codes) || n > MQTTP_MAX_REMAINING_LENGTH || !string_ok(version, rs, rs_len))
		return 0;
	for (i = 0; i < n; i++)
		if (!mqttp_reason_code_allowed(version, type, codes[i]))
			return 0;
	rl = 2 + n;
	if (version == MQTTP_V5) {
		props = mqttp__reason_props_len(rs, rs_len, NULL, 0);
		rl += mqttp__vbi_len(props) + props;
	}
	pos = put_header(b, cap, (uint8_t)(type << 4), rl);
	if (!pos)
		return 0;
	pos += mqttp__put_u16(b + pos, packet_id);
	if (version == MQTTP_V5)
		pos += mqttp__put_reason_props(b + pos, props, rs, rs_len, NULL, 0);
	if (n)
		memcpy(b + pos, codes, n);
	return pos + n;
}

size_t mqttp_encode_suback(void *buf, size_t cap, unsigned version, uint16_t packet_id,
                           const uint8_t *codes, size_t n,
                           const char *reason_string, size_t reason_string_len)
{
	/* at least one code: a SUBSCRIBE has at least one filter [MQTT-3.8.3-2] */
	if (n == 0)
		return 0;
	return encode_sub_answer(buf, cap, version, MQTTP_SUBACK, packet_id, codes, n,
	                         reason_string, reason_string_len);
}

size_t mqttp_encode_unsuback(void *buf, size_t cap, unsigned version, uint16_t packet_id,
                             const uint8_t *codes, size_t n,
                             const char *reason_string, size_t reason_string_len)
{
	/* 5.0: a code per filter, at least one [MQTT-3.10.3-2]; before 5.0 the
	 * UNSUBACK has no payload */
	if ((version == MQTTP_V5) != (n != 0))
		return 0;
	if (version != MQTTP_V5 && version != MQTTP_V31 && version != MQTTP_V311)
		return 0;
	return encode_sub_answer(buf, cap, version, MQTTP_UNSUBACK, packet_id, codes, n,
	                         reason_string, reason_string_len);
}

size_t mqttp_encode_disconnect(void *buf, size_t cap, unsigned version, unsigned reason_code,
                               const char *reason_string, size_t reason_string_len,
                               const char *server_reference, size_t server_reference_len)
{
	uint8_t *b = buf;
	size_t props, rl = 0, n;

	if (!mqttp_reason_code_allowed(version, MQTTP_DISCONNECT, reason_code) ||
	    !string_ok(version, reason_string, reason_string_len) ||
	    !string_ok(version, server_reference, server_reference_len))
		return 0;
	props = mqttp__reason_props_len(reason_string, reason_string_len, server_reference, server_reference_len);
	/* 5.0: no reason code and no property length for a normal
	 * disconnection without properties (section 3.14.2.1) */
	if (reason_code || props)
		rl++;
	if (props)
		rl += mqttp__vbi_len(props) + props;
	n = put_header(b, cap, MQTTP_DISCONNECT << 4, rl);
	if (!n)
		return 0;
	if (rl)
		b[n++] = (uint8_t)reason_code;
	if (props)
		n += mqttp__put_reason_props(b + n, props, reason_string, reason_string_len, server_reference, server_reference_len);
	return n;
}
