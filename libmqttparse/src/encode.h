/*
 * encode.h - what every encoder of the library writes: variable byte
 * integers [MQTT-1.5.5], two-byte integers and string properties. The
 * callers size the packet first and never write past their buffer.
 */
#ifndef MQTTP_ENCODE_H
#define MQTTP_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Bytes of v as a variable byte integer (v <= 268,435,455). */
static inline size_t mqttp__vbi_len(size_t v)
{
	return v < 128u ? 1 : v < 16384u ? 2 : v < 2097152u ? 3 : 4;
}

/* Write v as a minimal variable byte integer [MQTT-1.5.5-1]; its length. */
static inline size_t mqttp__put_vbi(uint8_t *out, size_t v)
{
	size_t n = 0;

	do {
		uint8_t b = (uint8_t)(v & 0x7F);

		v >>= 7;
		out[n++] = (uint8_t)(b | (v ? 0x80 : 0));
	} while (v);
	return n;
}

static inline size_t mqttp__put_u16(uint8_t *out, size_t v)
{
	out[0] = (uint8_t)(v >> 8);
	out[1] = (uint8_t)v;
	return 2;
}

/* A string property: its id, length and bytes (s may be NULL when n is 0). */
static inline size_t mqttp__put_str_prop(uint8_t *out, uint8_t id, const char *s, size_t n)
{
	out[0] = id;
	mqttp__put_u16(out + 1, n);
	if (n)
		memcpy(out + 3, s, n);
	return 3 + n;
}

/* The property block of an answer's optional Reason String (0x1F) and
 * Server Reference (0x1C), each absent when NULL: its length without the
 * length's own bytes, then the writer of the length and the properties. */
static inline size_t mqttp__reason_props_len(const char *rs, size_t rs_len, const char *sr, size_t sr_len)
{
	return (rs ? 3 + rs_len : 0) + (sr ? 3 + sr_len : 0);
}

static inline size_t mqttp__put_reason_props(uint8_t *out, size_t props, const char *rs, size_t rs_len,
                                             const char *sr, size_t sr_len)
{
	size_t n = mqttp__put_vbi(out, props);

	if (rs)
		n += mqttp__put_str_prop(out + n, 0x1F, rs, rs_len);
	if (sr)
		n += mqttp__put_str_prop(out + n, 0x1C, sr, sr_len);
	return n;
}

#endif
