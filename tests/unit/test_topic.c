/*
 * test_topic.c - topic filters, topic names and matching
 * (mqttp_filter_parse, mqttp_topic_check, mqttp_topic_match): the
 * examples of MQTT 5.0 sections 4.7.1-4.7.3 and 4.8.2 with their
 * statement ids, every error with its offset, UTF-8 cases; each input
 * placed right before a guard page. Also topic.h's byte step without
 * shared subscriptions (a 3.1.1 SUBSCRIBE), and long inputs (linear time).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"
#include "../../libmqttparse/src/charclass.h"
#include "../../libmqttparse/src/topic.h"

Suite *topic_suite(void);

/* A string literal with its length (NUL bytes included). */
#define B(s) s, sizeof(s) - 1
#define CTL MQTTP_LENIENT_CONTROL_CHARS

static struct guard G;

static const uint8_t *place(const char *s, size_t n)
{
	if (!G.base)
		guard_init(&G, 1 << 21);
	return guard_place(&G, s, n);
}

/* ---------------------------------------------------------------------
 * Topic filters
 * ------------------------------------------------------------------- */
struct filter_case {
	const char *id;
	const char *f;
	size_t len;
	unsigned lenient;
	int error;
	size_t at;
	const char *share; /* expected ShareName, NULL when not shared */
	const char *inner; /* expected filter to match by, NULL: the whole input */
};

static const struct filter_case filter_cases[] = {
	/* 4.7.1.2 multi-level wildcard */
	{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-1", B("sport/tennis/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-1", B("sport/tennis#"), 0, MQTTP_E_TOPIC_FILTER, 12, NULL, NULL },
	{ "MQTT-4.7.1-1", B("sport/tennis/#/ranking"), 0, MQTTP_E_TOPIC_FILTER, 14, NULL, NULL },
	{ "MQTT-4.7.1-1", B("#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-1", B("sport/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-1", B("#/"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-1", B("##"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-1", B("#+"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-1", B("a/b#"), 0, MQTTP_E_TOPIC_FILTER, 3, NULL, NULL },
	{ "MQTT-4.7.1-1", B("#a"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-1", B("a//#"), 0, 0, 0, NULL, NULL },
	/* 4.7.1.3 single-level wildcard */
	{ "MQTT-4.7.1-2", B("+"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+/tennis/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("sport+"), 0, MQTTP_E_TOPIC_FILTER, 5, NULL, NULL },
	{ "MQTT-4.7.1-2", B("sport/+/player1"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+/+"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("/+"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+/+/+//+"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+a"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-2", B("a/+b"), 0, MQTTP_E_TOPIC_FILTER, 3, NULL, NULL },
	{ "MQTT-4.7.1-2", B("++"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+#"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-2", B("a/b/c+/d"), 0, MQTTP_E_TOPIC_FILTER, 5, NULL, NULL },
	/* 4.7.2 topics beginning with $: the filters themselves are ordinary */
	{ "MQTT-4.7.2-1", B("$SYS/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-4.7.2-1", B("$SYS/monitor/+"), 0, 0, 0, NULL, NULL },
	/* 4.7.3 topic semantics */
	{ "MQTT-4.7.3-1", B(""), 0, MQTTP_E_TOPIC_FILTER, 0, NULL, NULL },
	{ "MQTT-4.7.3-2", B("a\0b"), 0, MQTTP_E_UTF8_NUL, 1, NULL, NULL },
	{ "MQTT-4.7.3-2", B("\0"), CTL, MQTTP_E_UTF8_NUL, 0, NULL, NULL },
	{ "4.7.3 '/' alone", B("/"), 0, 0, 0, NULL, NULL },
	{ "4.7.3 space", B(" "), 0, 0, 0, NULL, NULL },
	{ "4.7.3 empty levels", B("a//b"), 0, 0, 0, NULL, NULL },
	{ "4.7.3 leading '/'", B("/finance"), 0, 0, 0, NULL, NULL },
	{ "4.7.3 trailing '/'", B("finance/"), 0, 0, 0, NULL, NULL },
	/* 4.8.2 shared subscriptions */
	{ "MQTT-4.8.2-1", B("$share/consumer1/sport/tennis/+"), 0, 0, 0, "consumer1", "sport/tennis/+" },
	{ "MQTT-4.8.2-1", B("$share/consumer2/sport/tennis/+"), 0, 0, 0, "consumer2", "sport/tennis/+" },
	{ "MQTT-4.8.2-1", B("$share/consumer1//finance"), 0, 0, 0, "consumer1", "/finance" },
	{ "MQTT-4.8.2-1", B("$share/consumer1/+/finance"), 0, 0, 0, "consumer1", "+/finance" },
	{ "MQTT-4.8.2-1", B("$share/g/#"), 0, 0, 0, "g", "#" },
	{ "MQTT-4.8.2-1", B("$share/g//"), 0, 0, 0, "g", "/" },
	{ "MQTT-4.8.2-1", B("$share/g/$share/h/x"), 0, 0, 0, "g", "$share/h/x" },
	{ "MQTT-4.8.2-1", B("$share/\xC3\xA9/x"), 0, 0, 0, "\xC3\xA9", "x" },
	{ "MQTT-4.8.2-1", B("$share/"), 0, MQTTP_E_SHARE_NAME, 7, NULL, NULL },
	{ "MQTT-4.8.2-1", B("$share//x"), 0, MQTTP_E_SHARE_NAME, 7, NULL, NULL },
	{ "MQTT-4.8.2-1", B("$share/g"), 0, MQTTP_E_SHARE_NAME, 8, NULL, NULL },
	{ "MQTT-4.8.2-1", B("$share/g/"), 0, MQTTP_E_SHARE_NAME, 9, NULL, NULL },
	{ "MQTT-4.8.2-1", B("$share/consumer1"), 0, MQTTP_E_SHARE_NAME, 16, NULL, NULL },
	{ "MQTT-4.8.2-2", B("$share/a+b/x"), 0, MQTTP_E_SHARE_NAME, 8, NULL, NULL },
	{ "MQTT-4.8.2-2", B("$share/a#/x"), 0, MQTTP_E_SHARE_NAME, 8, NULL, NULL },
	{ "MQTT-4.8.2-2", B("$share/+/x"), 0, MQTTP_E_SHARE_NAME, 7, NULL, NULL },
	{ "MQTT-4.8.2-2", B("$share/#"), 0, MQTTP_E_SHARE_NAME, 7, NULL, NULL },
	{ "MQTT-4.8.2-2", B("$share/g+"), 0, MQTTP_E_SHARE_NAME, 8, NULL, NULL },
	/* the inner filter obeys 4.7.1 */
	{ "MQTT-4.7.1-1", B("$share/g/a#"), 0, MQTTP_E_TOPIC_FILTER, 10, NULL, NULL },
	{ "MQTT-4.7.1-1", B("$share/g/#/x"), 0, MQTTP_E_TOPIC_FILTER, 10, NULL, NULL },
	{ "MQTT-4.7.1-2", B("$share/g/+x"), 0, MQTTP_E_TOPIC_FILTER, 10, NULL, NULL },
	/* only "$share/" exactly, from the first byte, makes a shared one */
	{ "4.8.2 case", B("$SHARE/g/x"), 0, 0, 0, NULL, NULL },
	{ "4.8.2 no '/'", B("$share"), 0, 0, 0, NULL, NULL },
	{ "4.8.2 longer word", B("$sharex/g/x"), 0, 0, 0, NULL, NULL },
	{ "4.8.2 not first", B("a/$share/g/x"), 0, 0, 0, NULL, NULL },
	{ "4.8.2 not first", B("/$share/g/x"), 0, 0, 0, NULL, NULL },
	{ "4.8.2 wildcard in the prefix", B("$sha+"), 0, MQTTP_E_TOPIC_FILTER, 4, NULL, NULL },
	{ "4.8.2 wildcard in the prefix", B("$share+/g/x"), 0, MQTTP_E_TOPIC_FILTER, 6, NULL, NULL },
	/* UTF-8 [MQTT-1.5.4-1], [MQTT-1.5.4-2], [MQTT-1.5.4-3] */
	{ "MQTT-1.5.4-1", B("caf\xC3\xA9/+"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xF0\x9F\x98\x80/#"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xE2\x82\xAC"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xF4\x8F\xBF\xBF"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-3", B("\xEF\xBB\xBF/a"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xC3"), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("a/\xE2\x82"), 0, MQTTP_E_UTF8, 4, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xC3("), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xC3+"), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xC3/"), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xC0\x80"), 0, MQTTP_E_UTF8, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xE0\x80\xAF"), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("a\xED\xA0\x80"), 0, MQTTP_E_UTF8, 2, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xF4\x90\x80\x80"), 0, MQTTP_E_UTF8, 1, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\xFF"), 0, MQTTP_E_UTF8, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("\x80"), 0, MQTTP_E_UTF8, 0, NULL, NULL },
	{ "MQTT-1.5.4-1", B("$share/\xC3/x"), 0, MQTTP_E_UTF8, 8, NULL, NULL },
	{ "MQTT-1.5.4-2", B("\xC0\x80"), CTL, MQTTP_E_UTF8, 0, NULL, NULL },
	{ "MQTT-1.5.4-3", B("a\x01"), 0, MQTTP_E_UTF8_CONTROL, 1, NULL, NULL },
	{ "MQTT-1.5.4-3", B("a\x01"), CTL, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-3", B("a/\x7F"), 0, MQTTP_E_UTF8_CONTROL, 2, NULL, NULL },
	{ "MQTT-1.5.4-3", B("\xC2\x80"), 0, MQTTP_E_UTF8_CONTROL, 1, NULL, NULL },
	{ "MQTT-1.5.4-3", B("\xC2\x9F"), CTL, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-3", B("\xC2\xA0"), 0, 0, 0, NULL, NULL },
	{ "MQTT-1.5.4-3", B("$share/\x1F/x"), 0, MQTTP_E_UTF8_CONTROL, 7, NULL, NULL },
	/* at one byte, the encoding before the syntax: then the earliest byte */
	{ "MQTT-1.5.4-2", B("+\0"), 0, MQTTP_E_UTF8_NUL, 1, NULL, NULL },
	{ "MQTT-4.7.1-2", B("+\xC3\xA9"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
	{ "MQTT-4.7.1-1", B("a#\0"), 0, MQTTP_E_TOPIC_FILTER, 1, NULL, NULL },
};

/* One filter row: the result, *at, *out; out and at may be NULL; every
 * error is the same in the input cut right after its byte. */
static void filter_row(const struct filter_case *c)
{
	const uint8_t *p = place(c->f, c->len);
	struct mqttp_filter out;
	size_t at = 12345;
	enum mqttp_error e;

	memset(&out, 0xA5, sizeof(out));
	e = mqttp_filter_parse(p, c->len, c->lenient, &out, &at);
	ck_assert_msg((int)e == c->error, "%s \"%s\": %s, expected %s", c->id, c->f, mqttp_error_name(e),
	              mqttp_error_name(c->error));
	ck_assert_int_eq(mqttp_filter_parse(p, c->len, c->lenient, NULL, NULL), e);
	if (e != MQTTP_E_NONE) {
		ck_assert_msg(at == c->at, "%s \"%s\": at %zu, expected %zu", c->id, c->f, at, c->at);
		if (at < c->len) {
			size_t at2 = 0;
			const uint8_t *q = place(c->f, at + 1);

			ck_assert_int_eq(mqttp_filter_parse(q, at + 1, c->lenient, NULL, &at2), e);
			ck_assert_uint_eq(at2, at);
		}
		return;
	}
	if (c->share) {
		ck_assert_msg(out.share == p + 7 && out.share_len == strlen(c->share), "%s \"%s\": share", c->id,
		              c->f);
		ck_assert(memcmp(out.share, c->share, out.share_len) == 0);
	} else {
		ck_assert_msg(out.share == NULL && out.share_len == 0, "%s \"%s\": not shared", c->id, c->f);
	}
	if (c->inner) {
		size_t n = strlen(c->inner);

		ck_assert_msg(out.filter == p + c->len - n && out.filter_len == n, "%s \"%s\": inner filter",
		              c->id, c->f);
	} else {
		ck_assert_msg(out.filter == p && out.filter_len == c->len, "%s \"%s\": filter", c->id, c->f);
	}
}

START_TEST(t_filter_table)
{
	for (size_t i = 0; i < sizeof(filter_cases) / sizeof(filter_cases[0]); i++)
		filter_row(&filter_cases[i]);
	ck_assert_int_eq(mqttp_filter_parse(NULL, 0, 0, NULL, NULL), MQTTP_E_TOPIC_FILTER);
}
END_TEST

/* topic.h's step with shared subscriptions off (before 5.0): "$share/..."
 * is an ordinary filter; the same rule otherwise. */
static enum mqttp_error step_all(const char *f, size_t len, int share, size_t *at)
{
	struct mqttp__filter_state s;
	enum mqttp_error e;

	mqttp__filter_init(&s, share);
	for (size_t i = 0; i < len; i++) {
		e = mqttp__filter_step(&s, (uint8_t)f[i]);
		if (e != MQTTP_E_NONE) {
			*at = i;
			return e;
		}
	}
	*at = len;
	return mqttp__filter_end(&s);
}

START_TEST(t_filter_step_no_share)
{
	static const struct {
		const char *f;
		int share_error, error;
		size_t at;
	} cases[] = {
		{ "$share/g", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share/", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share//x", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share/g/", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share/+/x", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share/#", MQTTP_E_SHARE_NAME, 0, 0 },
		{ "$share/a+b/x", MQTTP_E_SHARE_NAME, MQTTP_E_TOPIC_FILTER, 8 },
		{ "$share/g/a#", MQTTP_E_TOPIC_FILTER, MQTTP_E_TOPIC_FILTER, 10 },
		{ "", MQTTP_E_TOPIC_FILTER, MQTTP_E_TOPIC_FILTER, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t at;

		ck_assert_int_eq(step_all(cases[i].f, strlen(cases[i].f), 1, &at), cases[i].share_error);
		ck_assert_msg((int)step_all(cases[i].f, strlen(cases[i].f), 0, &at) == cases[i].error, "%s",
		              cases[i].f);
		if (cases[i].error)
			ck_assert_uint_eq(at, cases[i].at);
	}
	/* every row of the table with shared subscriptions on: the step
	 * alone gives the syntax verdict of mqttp_filter_parse */
	for (size_t i = 0; i < sizeof(filter_cases) / sizeof(filter_cases[0]); i++) {
		const struct filter_case *c = &filter_cases[i];
		size_t at;
		enum mqttp_error e = step_all(c->f, c->len, 1, &at);

		if (c->error == MQTTP_E_TOPIC_FILTER || c->error == MQTTP_E_SHARE_NAME) {
			ck_assert_msg((int)e == c->error && at == c->at, "%s \"%s\"", c->id, c->f);
		} else if (c->error == MQTTP_E_NONE) {
			ck_assert_msg(e == MQTTP_E_NONE, "%s \"%s\"", c->id, c->f);
		}
	}
}
END_TEST

/* ---------------------------------------------------------------------
 * Topic names
 * ------------------------------------------------------------------- */
START_TEST(t_topic_table)
{
	static const struct {
		const char *id;
		const char *t;
		size_t len;
		unsigned lenient;
		int error;
		size_t at;
	} cases[] = {
		{ "MQTT-4.7.1-1", B("sport/tennis/player1"), 0, 0, 0 },
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/score/wimbledon"), 0, 0, 0 },
		{ "MQTT-4.7.2-1", B("$SYS/monitor/Clients"), 0, 0, 0 },
		{ "MQTT-4.7.3-1", B(""), 0, MQTTP_E_TOPIC_NAME, 0 },
		{ "MQTT-4.7.3-1", B("/"), 0, 0, 0 },
		{ "MQTT-4.7.3-1", B(" "), 0, 0, 0 },
		{ "MQTT-4.7.3-1", B("/finance"), 0, 0, 0 },
		{ "MQTT-4.7.3-1", B("a//b"), 0, 0, 0 },
		{ "MQTT-4.7.3-2", B("a\0"), 0, MQTTP_E_UTF8_NUL, 1 },
		{ "MQTT-4.7.3-2", B("a\0"), CTL, MQTTP_E_UTF8_NUL, 1 },
		{ "MQTT-3.3.2-2", B("a/+"), 0, MQTTP_E_TOPIC_NAME, 2 },
		{ "MQTT-3.3.2-2", B("#"), 0, MQTTP_E_TOPIC_NAME, 0 },
		{ "MQTT-3.3.2-2", B("a#b"), 0, MQTTP_E_TOPIC_NAME, 1 },
		{ "MQTT-3.3.2-2", B("\xC3\xA9/x+"), 0, MQTTP_E_TOPIC_NAME, 4 },
		{ "MQTT-4.8.2-1", B("$share/g/x"), 0, 0, 0 },
		{ "MQTT-1.5.4-1", B("caf\xC3\xA9"), 0, 0, 0 },
		{ "MQTT-1.5.4-1", B("\xC3"), 0, MQTTP_E_UTF8, 1 },
		{ "MQTT-1.5.4-1", B("\xC3+"), 0, MQTTP_E_UTF8, 1 },
		{ "MQTT-1.5.4-1", B("a\xED\xBF\xBF"), 0, MQTTP_E_UTF8, 2 },
		{ "MQTT-1.5.4-1", B("\xF5\x80\x80\x80"), 0, MQTTP_E_UTF8, 0 },
		{ "MQTT-1.5.4-3", B("a\x1F"), 0, MQTTP_E_UTF8_CONTROL, 1 },
		{ "MQTT-1.5.4-3", B("a\x1F"), CTL, 0, 0 },
		{ "MQTT-1.5.4-3", B("\xC2\x85"), 0, MQTTP_E_UTF8_CONTROL, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *p = place(cases[i].t, cases[i].len);
		size_t at = 12345;
		enum mqttp_error e = mqttp_topic_check(p, cases[i].len, cases[i].lenient, &at);

		ck_assert_msg((int)e == cases[i].error, "%s \"%s\": %s", cases[i].id, cases[i].t,
		              mqttp_error_name(e));
		ck_assert_int_eq(mqttp_topic_check(p, cases[i].len, cases[i].lenient, NULL), e);
		if (e != MQTTP_E_NONE)
			ck_assert_msg(at == cases[i].at, "%s \"%s\": at %zu", cases[i].id, cases[i].t, at);
		else
			ck_assert_uint_eq(at, 12345);
	}
	ck_assert_int_eq(mqttp_topic_check(NULL, 0, 0, NULL), MQTTP_E_TOPIC_NAME);
}
END_TEST

/* ---------------------------------------------------------------------
 * Matching
 * ------------------------------------------------------------------- */
START_TEST(t_match_table)
{
	static const struct {
		const char *id;
		const char *f;
		size_t flen;
		const char *t;
		size_t tlen;
		int match;
	} cases[] = {
		/* 4.7.1.2: '#' the parent and any number of child levels */
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), B("sport/tennis/player1"), 1 },
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), B("sport/tennis/player1/ranking"), 1 },
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), B("sport/tennis/player1/score/wimbledon"), 1 },
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), B("sport/tennis/player2"), 0 },
		{ "MQTT-4.7.1-1", B("sport/tennis/player1/#"), B("sport/tennis"), 0 },
		{ "MQTT-4.7.1-1", B("sport/#"), B("sport"), 1 },
		{ "MQTT-4.7.1-1", B("sport/#"), B("sport/"), 1 },
		{ "MQTT-4.7.1-1", B("sport/#"), B("sports"), 0 },
		{ "MQTT-4.7.1-1", B("sport/#"), B("spor"), 0 },
		{ "MQTT-4.7.1-1", B("#"), B("sport/tennis"), 1 },
		{ "MQTT-4.7.1-1", B("#"), B("/"), 1 },
		{ "MQTT-4.7.1-1", B("#"), B("a//b"), 1 },
		{ "MQTT-4.7.1-1", B("a//#"), B("a/"), 1 },
		{ "MQTT-4.7.1-1", B("a//#"), B("a"), 0 },
		{ "MQTT-4.7.1-1", B("+/#"), B("a"), 1 },
		{ "MQTT-4.7.1-1", B("+/#"), B("/"), 1 },
		/* 4.7.1.3: '+' exactly one level, maybe empty */
		{ "MQTT-4.7.1-2", B("sport/tennis/+"), B("sport/tennis/player1"), 1 },
		{ "MQTT-4.7.1-2", B("sport/tennis/+"), B("sport/tennis/player2"), 1 },
		{ "MQTT-4.7.1-2", B("sport/tennis/+"), B("sport/tennis/player1/ranking"), 0 },
		{ "MQTT-4.7.1-2", B("sport/+"), B("sport"), 0 },
		{ "MQTT-4.7.1-2", B("sport/+"), B("sport/"), 1 },
		{ "MQTT-4.7.1-2", B("+/+"), B("/finance"), 1 },
		{ "MQTT-4.7.1-2", B("/+"), B("/finance"), 1 },
		{ "MQTT-4.7.1-2", B("+"), B("/finance"), 0 },
		{ "MQTT-4.7.1-2", B("+"), B("finance"), 1 },
		{ "MQTT-4.7.1-2", B("+/+"), B("/"), 1 },
		{ "MQTT-4.7.1-2", B("+"), B("/"), 0 },
		{ "MQTT-4.7.1-2", B("a/+/b"), B("a//b"), 1 },
		{ "MQTT-4.7.1-2", B("a/+/b"), B("a/x/y/b"), 0 },
		{ "MQTT-4.7.1-2", B("+/tennis/#"), B("sport/tennis/player1"), 1 },
		{ "MQTT-4.7.1-2", B("+/tennis/#"), B("sport/tennis"), 1 },
		{ "MQTT-4.7.1-2", B("+/tennis/#"), B("sport/tenni"), 0 },
		{ "MQTT-4.7.1-2", B("sport/+/player1"), B("sport/tennis/player1"), 1 },
		{ "MQTT-4.7.1-2", B("sport/+/player1"), B("sport/tennis/player10"), 0 },
		/* 4.7.2: a leading wildcard does not match a '$' topic */
		{ "MQTT-4.7.2-1", B("#"), B("$SYS/monitor/Clients"), 0 },
		{ "MQTT-4.7.2-1", B("+/monitor/Clients"), B("$SYS/monitor/Clients"), 0 },
		{ "MQTT-4.7.2-1", B("$SYS/#"), B("$SYS/monitor/Clients"), 1 },
		{ "MQTT-4.7.2-1", B("$SYS/monitor/+"), B("$SYS/monitor/Clients"), 1 },
		{ "MQTT-4.7.2-1", B("$SYS/#"), B("$SYS"), 1 },
		{ "MQTT-4.7.2-1", B("+"), B("$"), 0 },
		{ "MQTT-4.7.2-1", B("#"), B("$"), 0 },
		{ "MQTT-4.7.2-1", B("+/#"), B("$SYS/x"), 0 },
		{ "MQTT-4.7.2-1", B("$"), B("$"), 1 },
		{ "MQTT-4.7.2-1", B("a/#"), B("a/$SYS"), 1 },
		{ "MQTT-4.7.2-1", B("+/+"), B("a/$b"), 1 },
		{ "MQTT-4.7.2-1", B("#"), B("a$"), 1 },
		{ "MQTT-4.7.2-1", B("+"), B(" $"), 1 },
		/* 4.7.3: case, leading and trailing '/', spaces, no normalisation */
		{ "4.7.3 case", B("ACCOUNTS"), B("Accounts"), 0 },
		{ "4.7.3 case", B("ACCOUNTS"), B("ACCOUNTS"), 1 },
		{ "4.7.3 leading '/'", B("finance"), B("/finance"), 0 },
		{ "4.7.3 leading '/'", B("/finance"), B("/finance"), 1 },
		{ "4.7.3 trailing '/'", B("a/b/"), B("a/b"), 0 },
		{ "4.7.3 trailing '/'", B("a/b"), B("a/b/"), 0 },
		{ "4.7.3 trailing '/'", B("a/b/+"), B("a/b/"), 1 },
		{ "4.7.3 '/' alone", B("/"), B("/"), 1 },
		{ "4.7.3 '/' alone", B("/"), B("//"), 0 },
		{ "4.7.3 empty levels", B("a//b"), B("a//b"), 1 },
		{ "4.7.3 empty levels", B("a//b"), B("a/b"), 0 },
		{ "4.7.3 space", B("Accounts payable"), B("Accounts payable"), 1 },
		{ "MQTT-4.7.3-4", B("caf\xC3\xA9"), B("cafe\xCC\x81"), 0 },
		{ "MQTT-4.7.3-4", B("caf\xC3\xA9/+"), B("caf\xC3\xA9/x"), 1 },
		/* 4.8.2: a shared subscription matches by its filter */
		{ "MQTT-4.8.2-1", B("$share/consumer1/sport/tennis/+"), B("sport/tennis/player1"), 1 },
		{ "MQTT-4.8.2-1", B("$share/consumer1//finance"), B("/finance"), 1 },
		{ "MQTT-4.8.2-1", B("$share/consumer1/+/finance"), B("/finance"), 1 },
		{ "MQTT-4.8.2-1", B("$share/g/x"), B("$share/g/x"), 0 },
		{ "MQTT-4.8.2-1", B("$share/g/#"), B("$SYS/x"), 0 },
		{ "MQTT-4.8.2-1", B("$share/g/$SYS/#"), B("$SYS/x"), 1 },
		{ "MQTT-4.8.2-1", B("$share/g/#"), B("g/x"), 1 },
		{ "MQTT-4.8.2-1", B("$SHARE/g/x"), B("$SHARE/g/x"), 1 },
		/* an invalid filter or topic matches nothing (strict) */
		{ "MQTT-4.7.3-1", B(""), B(""), 0 },
		{ "MQTT-4.7.3-1", B("#"), B(""), 0 },
		{ "MQTT-4.7.1-2", B("a+"), B("a+"), 0 },
		{ "MQTT-3.3.2-2", B("a/+"), B("a/+"), 0 },
		{ "MQTT-3.3.2-2", B("#"), B("a/#"), 0 },
		{ "MQTT-4.8.2-1", B("$share/g"), B("$share/g"), 0 },
		{ "MQTT-4.7.3-2", B("#"), B("a\0"), 0 },
		{ "MQTT-1.5.4-3", B("a\x01"), B("a\x01"), 0 },
		{ "MQTT-1.5.4-1", B("+"), B("\xC3"), 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *f, *t;
		static uint8_t fcopy[64];

		ck_assert(cases[i].flen <= sizeof(fcopy) && cases[i].tlen <= sizeof(fcopy));
		memcpy(fcopy, cases[i].f, cases[i].flen);
		t = place(cases[i].t, cases[i].tlen);
		/* the filter in the middle of a buffer, the topic at the guard */
		f = fcopy;
		ck_assert_msg(mqttp_topic_match(f, cases[i].flen, t, cases[i].tlen) == cases[i].match,
		              "%s: \"%s\" against \"%s\": expected %d", cases[i].id, cases[i].f, cases[i].t,
		              cases[i].match);
		/* and the other way round */
		memcpy(fcopy, cases[i].t, cases[i].tlen);
		f = place(cases[i].f, cases[i].flen);
		ck_assert_int_eq(mqttp_topic_match(f, cases[i].flen, fcopy, cases[i].tlen), cases[i].match);
	}
	ck_assert_int_eq(mqttp_topic_match(NULL, 0, "a", 1), 0);
	ck_assert_int_eq(mqttp_topic_match("#", 1, NULL, 0), 0);
}
END_TEST

/* Long filters and topics, the worst shapes for a backtracking matcher:
 * the time is linear (the test's timeout would catch anything else). */
START_TEST(t_match_long)
{
	enum { LEVELS = 200000 };
	size_t n = 2 * LEVELS;
	char *f = malloc(n + 2), *t = malloc(n + 2);

	ck_assert(f && t);
	for (size_t k = 0; k < LEVELS; k++) {
		memcpy(f + 2 * k, "+/", 2);
		memcpy(t + 2 * k, "a/", 2);
	}
	f[n] = '#';
	t[n] = 'b';
	/* "+/+/.../#" against "a/a/.../b" and its prefixes */
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, t, n + 1), 1);
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, t, n), 1);
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, t, n - 1), 1); /* '#' as the parent */
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, t, n - 3), 0);
	/* "+/+/.../+" against a topic of one level more or less */
	ck_assert_int_eq(mqttp_topic_match(f, n - 1, t, n + 1), 0);
	ck_assert_int_eq(mqttp_topic_match(f, n - 1, t, n - 1), 1);
	ck_assert_int_eq(mqttp_topic_match(f, n - 1, t, n - 3), 0);
	/* one long level differing at its last byte */
	memset(f, 'x', n + 1);
	memset(t, 'x', n + 1);
	t[n] = 'y';
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, t, n + 1), 0);
	ck_assert_int_eq(mqttp_topic_match(f, n + 1, f, n + 1), 1);
	free(f);
	free(t);
}
END_TEST

Suite *topic_suite(void)
{
	Suite *s = suite_create("topic");
	TCase *tc = tcase_create("topic");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_filter_table);
	tcase_add_test(tc, t_filter_step_no_share);
	tcase_add_test(tc, t_topic_table);
	tcase_add_test(tc, t_match_table);
	tcase_add_test(tc, t_match_long);
	suite_add_tcase(s, tc);
	return s;
}
