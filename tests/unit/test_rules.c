/*
 * test_rules.c - the character classes and the UTF-8 decoder of
 * libmqttparse/src/charclass.h, white-box: every encoding of the plain
 * class (scalar, SWAR, SSE2, the run scanners) against the class as the
 * specification states it, and the UTF-8 step against every code point.
 */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "../../libmqttparse/src/charclass.h"

/* The class as stated: printable ASCII, no '+' or '#' in a topic name. */
static int spec_plain(unsigned b, int topic)
{
	return b >= 0x20 && b <= 0x7E && !(topic && (b == '+' || b == '#'));
}

START_TEST(t_cc_scalar)
{
	unsigned b;
	int topic;

	for (topic = 0; topic < 2; topic++)
		for (b = 0; b < 256; b++)
			ck_assert_int_eq(mqttp__cc_plain((uint8_t)b, topic), spec_plain(b, topic));
}
END_TEST

/* Every pair of byte values at every pair of places of a word (carries
 * between neighbouring bytes included). */
START_TEST(t_cc_swar)
{
	unsigned a, b, i;
	int topic;

	for (topic = 0; topic < 2; topic++)
		for (i = 0; i < 7; i++)
			for (a = 0; a < 256; a++)
				for (b = 0; b < 256; b++) {
					uint8_t w[8];
					memset(w, 'A', sizeof(w));
					w[i] = (uint8_t)a;
					w[i + 1] = (uint8_t)b;
					ck_assert_int_eq(mqttp__cc_word_bad(mqttp__load64(w), topic) != 0,
					                 !spec_plain(a, topic) || !spec_plain(b, topic));
				}
}
END_TEST

START_TEST(t_cc_sse2)
{
#if defined(__SSE2__)
	unsigned b, i;
	int topic;

	for (topic = 0; topic < 2; topic++)
		for (i = 0; i < 16; i++)
			for (b = 0; b < 256; b++) {
				uint8_t v[16];
				memset(v, 'A', sizeof(v));
				v[i] = (uint8_t)b;
				ck_assert_uint_eq(mqttp__cc_vec_bad(_mm_loadu_si128((const __m128i *)(const void *)v), topic),
				                  spec_plain(b, topic) ? 0u : 1u << i);
			}
#endif
}
END_TEST

static uint32_t rng = 12345;
static uint32_t next(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* The run scanners on random runs of every length up to 80 at every
 * place in a buffer: "bad" iff a byte is not plain, the prefix up to the
 * first one. */
START_TEST(t_cc_runs)
{
	static const uint8_t odd[] = { 0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xFF, '+', '#' };
	uint8_t buf[128];
	unsigned round, n, at, i;
	int topic;

	for (round = 0; round < 20000; round++) {
		size_t first;

		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(0x20 + next() % 0x5F);
		n = next() % 81;
		at = next() % (unsigned)(sizeof(buf) - n + 1);
		topic = (int)(next() & 1);
		if (next() % 3 == 0)
			for (i = 0; i < 1 + next() % 3; i++)
				buf[next() % sizeof(buf)] = odd[next() % sizeof(odd)];
		for (first = 0; first < n && spec_plain(buf[at + first], topic); first++)
			;
		ck_assert_int_eq(mqttp__cc_run_bad(buf, buf + at, n, buf + sizeof(buf), topic) != 0, first < n);
		ck_assert_uint_eq(mqttp__cc_plain_prefix(buf + at, n, topic), first);
	}
}
END_TEST

static size_t utf8_encode(uint32_t cp, uint8_t *o)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xC0 | cp >> 6);
		o[1] = (uint8_t)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xE0 | cp >> 12);
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (uint8_t)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (uint8_t)(0xF0 | cp >> 18);
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (uint8_t)(0x80 | (cp & 0x3F));
	return 4;
}

/* Feed s[0, n): the last result, -1 as soon as a byte is refused. */
static int utf8_feed(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t need = 0, lo = 0x80, hi = 0xBF;
	int r = MQTTP__U8_MORE;
	size_t i;

	for (i = 0; i < n; i++) {
		r = mqttp__utf8_step(s[i], &need, &lo, &hi, cp);
		if (r == MQTTP__U8_BAD || (r == MQTTP__U8_END && i + 1 != n))
			return r == MQTTP__U8_BAD ? -1 : 2;
	}
	return r;
}

/* Every code point decodes to itself in its shortest form, surrogates
 * excepted; overlong forms, surrogates, stray continuations and leads
 * past U+10FFFF are refused. */
START_TEST(t_utf8_step)
{
	uint8_t s[4];
	uint32_t cp, got;
	unsigned b;

	for (cp = 0; cp <= 0x10FFFF; cp++) {
		size_t n = utf8_encode(cp, s);
		int r = utf8_feed(s, n, &got);

		if (cp >= 0xD800 && cp <= 0xDFFF) {
			ck_assert_int_eq(r, -1);
			continue;
		}
		ck_assert_int_eq(r, MQTTP__U8_END);
		ck_assert_uint_eq(got, cp);
	}
	for (cp = 0; cp < 0x80; cp++) { /* 2-byte overlongs */
		s[0] = (uint8_t)(0xC0 | cp >> 6);
		s[1] = (uint8_t)(0x80 | (cp & 0x3F));
		ck_assert_int_eq(utf8_feed(s, 2, &got), -1);
	}
	for (cp = 0; cp < 0x800; cp++) { /* 3-byte overlongs */
		s[0] = 0xE0;
		s[1] = (uint8_t)(0x80 | cp >> 6);
		s[2] = (uint8_t)(0x80 | (cp & 0x3F));
		ck_assert_int_eq(utf8_feed(s, 3, &got), -1);
	}
	for (b = 0x80; b < 0xC2; b++) { /* continuation bytes, C0, C1 as leads */
		s[0] = (uint8_t)b;
		ck_assert_int_eq(utf8_feed(s, 1, &got), -1);
	}
	for (b = 0xF5; b < 0x100; b++) {
		s[0] = (uint8_t)b;
		ck_assert_int_eq(utf8_feed(s, 1, &got), -1);
	}
	s[0] = 0xF4; /* U+110000 */
	s[1] = 0x90;
	ck_assert_int_eq(utf8_feed(s, 2, &got), -1);
}
END_TEST

START_TEST(t_utf8_char_rule)
{
	uint32_t cp;

	ck_assert_int_eq(mqttp__utf8_char_error(0, 1), MQTTP_E_UTF8_NUL);
	for (cp = 1; cp < 0x200; cp++) {
		int ctl = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
		ck_assert_int_eq(mqttp__utf8_char_error(cp, 0), ctl ? MQTTP_E_UTF8_CONTROL : MQTTP_E_NONE);
		ck_assert_int_eq(mqttp__utf8_char_error(cp, 1), MQTTP_E_NONE);
	}
}
END_TEST

Suite *rules_suite(void);
Suite *rules_suite(void)
{
	Suite *s = suite_create("charclass");
	TCase *t = tcase_create("classes");

	tcase_set_timeout(t, 60);
	tcase_add_test(t, t_cc_scalar);
	tcase_add_test(t, t_cc_swar);
	tcase_add_test(t, t_cc_sse2);
	tcase_add_test(t, t_cc_runs);
	tcase_add_test(t, t_utf8_step);
	tcase_add_test(t, t_utf8_char_rule);
	suite_add_tcase(s, t);
	return s;
}
