/*
 * charclass.h - the character classes of MQTT strings, in one place:
 * "plain" bytes (printable ASCII 0x20-0x7E, and for a topic name neither
 * '+' nor '#'), tested one byte at a time (scalar), 8 at a time (SWAR) or
 * 16 at a time (SSE2), all the same class (tests/unit/test_rules.c holds
 * them to the scalar one); and UTF-8 [MQTT-1.5.4], decoded a byte at a
 * time by one function that the parser, the WebSocket reader and the
 * rewriter share. A plain byte needs no UTF-8 decoding and passes every
 * MQTT string rule, so a run of them can be taken whole.
 */
#ifndef MQTTP_CHARCLASS_H
#define MQTTP_CHARCLASS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "internal.h"

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MQTTP__LE 1
#else
#define MQTTP__LE 0
#endif

#define MQTTP__ONES 0x0101010101010101ull
#define MQTTP__HIGH 0x8080808080808080ull


/* The wildcard characters, never in a topic name [MQTT-4.7.1], [MQTT-3.3.2-2]. */
#define MQTTP__WILDCARD(c) ((c) == '+' || (c) == '#')

/* Is b plain (with topic: a topic name's plain byte)? The class itself. */
static inline int mqttp__cc_plain(uint8_t b, int topic)
{
	return (uint8_t)(b - 0x20) < 0x5F && !(topic && MQTTP__WILDCARD(b));
}

static inline MQTTP_ALWAYS_INLINE uint64_t mqttp__load64(const uint8_t *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

/*
 * Non-zero iff a byte of w is not printable ASCII (0x20-0x7E) or, with
 * topic, is '+' or '#'. Per byte b < 0x80: b + 1 has its top bit set only
 * for 0x7F, b + 0x60 has it clear only below 0x20, and neither carries
 * into the next byte; a byte >= 0x80 is caught by w itself (whatever its
 * carry does to the bytes above). '+' (0x2B) and '#' (0x23) differ only
 * in bit 3: masked off after xor with 0x23 both become a zero byte, which
 * the exact "has a zero byte" test finds.
 */
static inline MQTTP_ALWAYS_INLINE uint64_t mqttp__cc_word_bad(uint64_t w, int topic)
{
	uint64_t bad = w | (w + MQTTP__ONES) | ~(w + 0x60 * MQTTP__ONES);

	if (topic) {
		uint64_t y = (w ^ (0x23 * MQTTP__ONES)) & (0xF7 * MQTTP__ONES);
		bad |= (y - MQTTP__ONES) & ~y;
	}
	return bad & MQTTP__HIGH;
}

#if defined(__SSE2__)
/* Bit i set when byte i of v is not printable ASCII or, with topic, is
 * '+' or '#'. Printable: b + 1 > 0x20 as signed bytes (0x7F becomes
 * -128, 0x80-0xFF negative or 0); '+' (0x2B) and '#' (0x23) are the bytes
 * that equal 0x2B once bit 3 is set. */
static inline MQTTP_ALWAYS_INLINE __m128i mqttp__cc_vec_good(__m128i v, int topic)
{
	__m128i good = _mm_cmpgt_epi8(_mm_add_epi8(v, _mm_set1_epi8(1)), _mm_set1_epi8(0x20));

	if (topic)
		good = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x08)),
		                                       _mm_set1_epi8(0x2B)), good);
	return good;
}

static inline MQTTP_ALWAYS_INLINE unsigned mqttp__cc_vec_bad(__m128i v, int topic)
{
	return 0xFFFFu ^ (unsigned)_mm_movemask_epi8(mqttp__cc_vec_good(v, topic));
}

/* Non-zero unless the 16 bytes at s and at t are all good (one mask
 * for both). */
static inline MQTTP_ALWAYS_INLINE unsigned mqttp__cc_vec_bad2(const uint8_t *s, const uint8_t *t, int topic)
{
	__m128i a = mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic);
	__m128i b = mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)t), topic);

	return (unsigned)_mm_movemask_epi8(_mm_and_si128(a, b)) ^ 0xFFFFu;
}
#endif

/* Non-zero unless s[0, n) are all plain. d[0, e - d) are readable: a
 * short value is read as the 16 (or 8) bytes that end (or start) with it,
 * the other bytes masked off; longer ones in blocks, the last one
 * overlapping. Non-zero = bad, so callers branch on the mask itself. */
static inline MQTTP_ALWAYS_INLINE uint64_t mqttp__cc_run_bad(const uint8_t *d, const uint8_t *s, uint32_t n,
                                                             const uint8_t *e, int topic)
{

#if defined(__SSE2__)
	if (n < 16) {
		/* the short values first; an empty one passes both
		 * tests (shifted or masked to nothing) */
		if ((size_t)(s - d) + n >= 16)
			return (mqttp__cc_vec_bad(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), topic)
			        << n) >> 16;
		if (e - s >= 16)
			return mqttp__cc_vec_bad(_mm_loadu_si128((const __m128i *)(const void *)s), topic) &
			       ((1u << n) - 1);
	} else if (n <= 32) { /* two blocks, no loop */
		return mqttp__cc_vec_bad2(s, s + n - 16, topic);
	} else if (n <= 48) { /* three blocks, no loop: topics are often this long */
		__m128i g = _mm_and_si128(mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic),
		                          mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)(s + 16)), topic));

		g = _mm_and_si128(g, mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), topic));
		return (unsigned)_mm_movemask_epi8(g) ^ 0xFFFFu;
	} else {
		const uint8_t *last = s + n - 16;
		__m128i good = mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)last), topic);

		for (; s < last; s += 16)
			good = _mm_and_si128(good, mqttp__cc_vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic));
		return (unsigned)_mm_movemask_epi8(good) ^ 0xFFFFu;
	}
#endif
	if (n >= 8) {
		const uint8_t *last = s + n - 8;
		uint64_t bad = 0;

		for (; s < last; s += 8)
			bad |= mqttp__cc_word_bad(mqttp__load64(s), topic);
		return bad | mqttp__cc_word_bad(mqttp__load64(last), topic);
	}
	if (n == 0)
		return 0;
#if MQTTP__LE
	if ((size_t)(s - d) + n >= 8) {
		uint64_t keep = ~0ull << (64 - 8 * n);
		return mqttp__cc_word_bad((mqttp__load64(s + n - 8) & keep) | (0x41 * MQTTP__ONES & ~keep), topic);
	}
	if (e - s >= 8) {
		uint64_t keep = ~0ull >> (64 - 8 * n);
		return mqttp__cc_word_bad((mqttp__load64(s) & keep) | (0x41 * MQTTP__ONES & ~keep), topic);
	}
#else
	(void)d;
	(void)e;
#endif
	for (; n; n--, s++)
		if (!mqttp__cc_plain(*s, topic))
			return 1;
	return 0;
}

/* How many of s[0, n) are plain, from the first: n when all are. */
static inline size_t mqttp__cc_plain_prefix(const uint8_t *s, size_t n, int topic)
{
	size_t i = 0;

	while (n - i >= 8 && !mqttp__cc_word_bad(mqttp__load64(s + i), topic))
		i += 8;
	while (i < n && mqttp__cc_plain(s[i], topic))
		i++;
	return i;
}

/* Results of mqttp__utf8_step(). */
enum { MQTTP__U8_BAD = -1, MQTTP__U8_MORE = 0, MQTTP__U8_END = 1 };

/*
 * One byte of UTF-8 (RFC 3629 table 3-7: no overlong form, no surrogate,
 * nothing above U+10FFFF) with the decoder's state in *need (continuation
 * bytes still expected, 0 between characters), *lo / *hi (the allowed
 * range of the next one) and *cp. Returns MQTTP__U8_BAD, MQTTP__U8_MORE
 * inside a character, or MQTTP__U8_END with the character in *cp.
 */
static inline MQTTP_ALWAYS_INLINE int mqttp__utf8_step(uint8_t b, uint8_t *need, uint8_t *lo, uint8_t *hi,
                                                       uint32_t *cp)
{
	if (*need == 0) {
		*lo = 0x80;
		*hi = 0xBF;
		if (b < 0x80) {
			*cp = b;
			return MQTTP__U8_END;
		}
		if (b >= 0xC2 && b <= 0xDF) {
			*need = 1;
			*cp = b & 0x1Fu;
		} else if (b >= 0xE0 && b <= 0xEF) {
			*need = 2;
			*cp = b & 0x0Fu;
			if (b == 0xE0)
				*lo = 0xA0; /* no overlongs */
			else if (b == 0xED)
				*hi = 0x9F; /* no surrogates U+D800-U+DFFF */
		} else if (b >= 0xF0 && b <= 0xF4) {
			*need = 3;
			*cp = b & 0x07u;
			if (b == 0xF0)
				*lo = 0x90;
			else if (b == 0xF4)
				*hi = 0x8F; /* nothing above U+10FFFF */
		} else {
			return MQTTP__U8_BAD;
		}
		return MQTTP__U8_MORE;
	}
	if (b < *lo || b > *hi)
		return MQTTP__U8_BAD;
	*cp = (*cp << 6) | (b & 0x3Fu);
	*lo = 0x80;
	*hi = 0xBF;
	return --*need ? MQTTP__U8_MORE : MQTTP__U8_END;
}

/* A decoded character of an MQTT UTF-8 string: U+0000 is never allowed
 * [MQTT-1.5.4-2]; the controls U+0001-U+001F and U+007F-U+009F only with
 * ctl_ok [MQTT-1.5.4-3] (a "should not" that the strict policy enforces). */
static inline enum mqttp_error mqttp__utf8_char_error(uint32_t cp, int ctl_ok)
{
	if (cp == 0)
		return MQTTP_E_UTF8_NUL;
	if (!ctl_ok && (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)))
		return MQTTP_E_UTF8_CONTROL;
	return MQTTP_E_NONE;
}

/* One byte of an MQTT UTF-8 string: MQTTP_E_NONE, or the error this byte
 * reveals [MQTT-1.5.4-1/2/3]; *need is 0 again when a character (in *cp)
 * ended. */
static inline enum mqttp_error mqttp__mqtt_utf8_byte(uint8_t b, uint8_t *need, uint8_t *lo, uint8_t *hi,
                                                     uint32_t *cp, int ctl_ok)
{
	int r = mqttp__utf8_step(b, need, lo, hi, cp);

	if (r == MQTTP__U8_BAD)
		return MQTTP_E_UTF8;
	return r == MQTTP__U8_END ? mqttp__utf8_char_error(*cp, ctl_ok) : MQTTP_E_NONE;
}

/* A whole MQTT UTF-8 string s[0, len) (s may be NULL when len is 0):
 * MQTTP_E_NONE, or the error with *at its byte (len for a character cut
 * by the end). */
static inline enum mqttp_error mqttp__utf8_check(const uint8_t *s, size_t len, int ctl_ok, size_t *at)
{
	uint8_t need = 0, lo = 0x80, hi = 0xBF;
	uint32_t cp = 0;
	size_t i = 0;

	while (i < len) {
		enum mqttp_error e;

		if (need == 0) {
			i += mqttp__cc_plain_prefix(s + i, len - i, 0);
			if (i == len)
				break;
		}
		e = mqttp__mqtt_utf8_byte(s[i], &need, &lo, &hi, &cp, ctl_ok);
		if (e != MQTTP_E_NONE) {
			*at = i;
			return e;
		}
		i++;
	}
	if (need) {
		*at = len;
		return MQTTP_E_UTF8;
	}
	return MQTTP_E_NONE;
}

#endif
