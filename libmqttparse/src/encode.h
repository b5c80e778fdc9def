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

#endif
