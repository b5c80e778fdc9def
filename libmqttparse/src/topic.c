/*
 * topic.c - topic names and topic filters taken whole: the filter check
 * (topic.h's step over charclass.h's UTF-8 step), the topic name check
 * and the matcher, which walks filter and topic once each.
 */
#include "charclass.h"
#include "topic.h"

static enum mqttp_error fail(size_t *at, size_t where, enum mqttp_error e)
{
	if (at)
		*at = where;
	return e;
}

enum mqttp_error mqttp_filter_parse(const void *f, size_t len, unsigned lenient,
                                    struct mqttp_filter *out, size_t *at)
{
	const uint8_t *d = f;
	struct mqttp__filter_state s;
	uint8_t need = 0, lo = 0, hi = 0;
	uint32_t cp = 0;
	size_t i, inner = 0;
	enum mqttp_error e;

	mqttp__filter_init(&s, 1);
	for (i = 0; i < len; i++) {
		e = mqttp__mqtt_utf8_byte(d[i], &need, &lo, &hi, &cp, (lenient & MQTTP_LENIENT_CONTROL_CHARS) != 0);
		if (e == MQTTP_E_NONE)
			e = mqttp__filter_step(&s, d[i]);
		if (e != MQTTP_E_NONE)
			return fail(at, i, e);
		if (s.st == MQTTP__FS_INNER)
			inner = i + 1;
	}
	if (need) /* cut inside a character */
		return fail(at, len, MQTTP_E_UTF8);
	e = mqttp__filter_end(&s);
	if (e != MQTTP_E_NONE)
		return fail(at, len, e);
	if (out) {
		out->filter = d + inner;
		out->filter_len = len - inner;
		out->share = inner ? d + MQTTP__SHARE_PREFIX_LEN : NULL;
		out->share_len = inner ? inner - 1 - MQTTP__SHARE_PREFIX_LEN : 0;
	}
	return MQTTP_E_NONE;
}

enum mqttp_error mqttp_topic_check(const void *t, size_t len, unsigned lenient, size_t *at)
{
	const uint8_t *d = t;
	uint8_t need = 0, lo = 0, hi = 0;
	uint32_t cp = 0;
	size_t i;
	enum mqttp_error e;

	/* not empty [MQTT-4.7.3-1] (5.0's alias-only PUBLISH is the parser's) */
	if (len == 0)
		return fail(at, 0, MQTTP_E_TOPIC_NAME);
	for (i = 0; i < len; i++) {
		e = mqttp__mqtt_utf8_byte(d[i], &need, &lo, &hi, &cp, (lenient & MQTTP_LENIENT_CONTROL_CHARS) != 0);
		/* no wildcard in a topic name [MQTT-3.3.2-2], [MQTT-4.7.0-1] */
		if (e == MQTTP_E_NONE && MQTTP__WILDCARD(d[i]))
			e = MQTTP_E_TOPIC_NAME;
		if (e != MQTTP_E_NONE)
			return fail(at, i, e);
	}
	if (need)
		return fail(at, len, MQTTP_E_UTF8);
	return MQTTP_E_NONE;
}

/* Both checked: the filter's levels against the topic's, left to right,
 * each byte looked at once. */
static int match_levels(const uint8_t *f, size_t flen, const uint8_t *t, size_t tlen)
{
	size_t i = 0, j = 0;

	/* a leading wildcard does not match a '$' topic [MQTT-4.7.2-1] */
	if (t[0] == '$' && MQTTP__WILDCARD(f[0]))
		return 0;
	for (;;) {
		/* here a level starts in both */
		if (f[i] == '#') /* this level and all after it [MQTT-4.7.1-1] */
			return 1;
		if (f[i] == '+') { /* exactly one level, maybe empty [MQTT-4.7.1-2] */
			i++;
			while (j < tlen && t[j] != '/')
				j++;
		} else {
			while (i < flen && f[i] != '/' && j < tlen && f[i] == t[j]) {
				i++;
				j++;
			}
			if ((i < flen && f[i] != '/') || (j < tlen && t[j] != '/'))
				return 0;
		}
		if (i == flen)
			return j == tlen;
		if (j == tlen) /* "a/#" matches "a", the parent [MQTT-4.7.1-1] */
			return flen - i == 2 && f[i + 1] == '#';
		i++; /* both at a '/' */
		j++;
		if (i == flen) /* an empty last level ("a/") matches an empty one */
			return j == tlen;
	}
}

int mqttp_topic_match(const void *f, size_t flen, const void *t, size_t tlen)
{
	struct mqttp_filter pf;

	if (mqttp_filter_parse(f, flen, 0, &pf, NULL) != MQTTP_E_NONE ||
	    mqttp_topic_check(t, tlen, 0, NULL) != MQTTP_E_NONE)
		return 0;
	/* a shared subscription matches by its inner filter [MQTT-4.8.2] */
	return match_levels(pf.filter, pf.filter_len, t, tlen);
}
