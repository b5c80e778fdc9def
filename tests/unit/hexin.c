/*
 * hexin.c - the input notation of the vector tables.
 *   hex digits in pairs: "10", "000A", "4D515454"
 *   quoted text:         'MQTT'   (bytes as written, no escapes)
 *   repetition:          any atom followed by *N, e.g. 'a'*200,
 *                        [26 0000 0000]*1000, 00*3
 *   length prefixes:     S'text' or S[...]: two-byte big-endian length, then
 *                        the bytes (an MQTT string / binary data);
 *                        V[...]: the length as a minimal variable byte
 *                        integer, then the bytes (remaining length,
 *                        property length)
 * Whitespace separates atoms and is otherwise ignored.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "../../examples/common/input.h"

/* Append n bytes; returns -1 when out of room. */
static int put(uint8_t *out, size_t cap, size_t *len, const uint8_t *b, size_t n)
{
	if (*len + n > cap)
		return -1;
	memcpy(out + *len, b, n);
	*len += n;
	return 0;
}

/* Parse atoms until end of string or until `stop` (']'). Returns 0 or -1. */
static int parse_seq(const char **sp, uint8_t *out, size_t cap, size_t *len, int stop)
{
	const char *s = *sp;

	for (;;) {
		size_t start;

		while (*s && isspace((unsigned char)*s))
			s++;
		if (*s == 0) {
			if (stop)
				return -1;
			break;
		}
		if (stop && *s == stop) {
			s++;
			break;
		}
		start = *len;
		if ((*s == 'S' || *s == 'V') && (s[1] == '[' || s[1] == '\'')) {
			int kind = *s++;
			uint8_t pre[4];
			size_t inner, np = 0;

			if (*s == '[') {
				s++;
				if (parse_seq(&s, out, cap, len, ']'))
					return -1;
			} else {
				const char *e = strchr(s + 1, '\'');

				if (!e)
					return -1;
				if (put(out, cap, len, (const uint8_t *)s + 1, (size_t)(e - s - 1)))
					return -1;
				s = e + 1;
			}
			inner = *len - start;
			if (kind == 'S') {
				if (inner > 0xFFFF)
					return -1;
				pre[np++] = (uint8_t)(inner >> 8);
				pre[np++] = (uint8_t)inner;
			} else {
				size_t x = inner;

				do {
					pre[np] = (uint8_t)(x & 0x7F);
					x >>= 7;
					if (x)
						pre[np] |= 0x80;
					np++;
				} while (x && np < 4);
			}
			if (*len + np > cap)
				return -1;
			memmove(out + start + np, out + start, inner);
			memcpy(out + start, pre, np);
			*len += np;
		} else if (*s == '\'') {
			const char *e = strchr(s + 1, '\'');

			if (!e)
				return -1;
			if (put(out, cap, len, (const uint8_t *)s + 1, (size_t)(e - s - 1)))
				return -1;
			s = e + 1;
		} else if (*s == '[') {
			s++;
			if (parse_seq(&s, out, cap, len, ']'))
				return -1;
		} else if (input_hexval(*s) >= 0) {
			while (input_hexval(s[0]) >= 0) {
				uint8_t b;

				if (input_hexval(s[1]) < 0)
					return -1;
				b = (uint8_t)(input_hexval(s[0]) * 16 + input_hexval(s[1]));
				if (put(out, cap, len, &b, 1))
					return -1;
				s += 2;
			}
		} else {
			return -1;
		}
		if (*s == '*') {
			char *end;
			long n = strtol(s + 1, &end, 10);
			size_t unit = *len - start;

			if (end == s + 1 || n < 0)
				return -1;
			if (n == 0) {
				*len = start;
			} else {
				for (long i = 1; i < n; i++)
					if (put(out, cap, len, out + start, unit))
						return -1;
			}
			s = end;
		}
	}
	*sp = s;
	return 0;
}

/* Parse the notation into out; returns the byte count or -1. */
long hexin_parse(const char *in, uint8_t *out, size_t cap)
{
	const char *s = in;
	size_t len = 0;

	if (parse_seq(&s, out, cap, &len, 0)) {
		fprintf(stderr, "bad vector input notation: %s\n", in);
		return -1;
	}
	return (long)len;
}
