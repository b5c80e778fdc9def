/*
 * topic.h - the syntax of a topic filter [MQTT-4.7.1], [MQTT-4.8.2], as
 * one step per byte over a small state, so that a decoder fed any
 * chunking (a SUBSCRIBE's filters) and the one-shot mqttp_filter_parse
 * (topic.c) apply the same rule. The step sees bytes, not characters:
 * '/', '+' and '#' are ASCII and never part of a multi-byte UTF-8
 * character, so the caller runs charclass.h's UTF-8 step on the same
 * byte first (at one byte, a UTF-8 error comes before a syntax error).
 * An error is reported at the byte that reveals it: the '+' of "a+", the
 * 'b' of "+b", the '/' after a '#'.
 */
#ifndef MQTTP_TOPIC_H
#define MQTTP_TOPIC_H

#include <stdint.h>

#include "mqttparse.h"

/* Where a filter's bytes are: struct mqttp__filter_state's st. */
enum {
	MQTTP__FS_EMPTY = 0, /* nothing read yet */
	MQTTP__FS_START,     /* a level starts at the next byte (after '/') */
	MQTTP__FS_LEVEL,     /* inside a level without wildcards */
	MQTTP__FS_PLUS,      /* after a '+' that began its level: '/' or the end next */
	MQTTP__FS_HASH,      /* after a '#' that began its level: only the end next */
	MQTTP__FS_SHARE,     /* "$share/" read: the ShareName's first byte next */
	MQTTP__FS_NAME,      /* inside the ShareName */
	MQTTP__FS_INNER,     /* "$share/<name>/" read: the inner filter's first byte next */
};

/* The prefix of a shared subscription [MQTT-4.8.2-1], and its length. */
#define MQTTP__SHARE_PREFIX "$share/"
#define MQTTP__SHARE_PREFIX_LEN 7u
/* pre when "$share/" is not (or no longer) recognised */
#define MQTTP__SHARE_OFF 0xFFu

struct mqttp__filter_state {
	uint8_t st;  /* MQTTP__FS_* */
	uint8_t pre; /* bytes of "$share/" matched from the first, or MQTTP__SHARE_OFF */
};

/* A filter starts; share: recognise "$share/<name>/<filter>" (5.0; before
 * it, such a filter is an ordinary one starting with '$'). */
static inline void mqttp__filter_init(struct mqttp__filter_state *s, int share)
{
	s->st = MQTTP__FS_EMPTY;
	s->pre = share ? 0 : MQTTP__SHARE_OFF;
}

/* One byte of a filter. MQTTP_E_NONE, MQTTP_E_TOPIC_FILTER or
 * MQTTP_E_SHARE_NAME (at this byte); after an error the state is spent. */
static inline enum mqttp_error mqttp__filter_step(struct mqttp__filter_state *s, uint8_t b)
{
	int prefix_done = 0;

	if (s->pre < MQTTP__SHARE_PREFIX_LEN) {
		if (b == (uint8_t)MQTTP__SHARE_PREFIX[s->pre])
			prefix_done = ++s->pre == MQTTP__SHARE_PREFIX_LEN;
		else
			s->pre = MQTTP__SHARE_OFF;
	}
	switch (s->st) {
	case MQTTP__FS_EMPTY:
	case MQTTP__FS_START:
	case MQTTP__FS_INNER:
		/* a wildcard may begin a level [MQTT-4.7.1-1], [MQTT-4.7.1-2] */
		s->st = b == '+' ? MQTTP__FS_PLUS : b == '#' ? MQTTP__FS_HASH
		        : b == '/' ? MQTTP__FS_START : MQTTP__FS_LEVEL;
		return MQTTP_E_NONE;
	case MQTTP__FS_LEVEL:
		/* '+' and '#' occupy a whole level [MQTT-4.7.1-2], [MQTT-4.7.1-1] */
		if (b == '+' || b == '#')
			return MQTTP_E_TOPIC_FILTER;
		if (b == '/')
			s->st = prefix_done ? MQTTP__FS_SHARE : MQTTP__FS_START;
		return MQTTP_E_NONE;
	case MQTTP__FS_PLUS:
		/* '+' alone in its level [MQTT-4.7.1-2] */
		if (b != '/')
			return MQTTP_E_TOPIC_FILTER;
		s->st = MQTTP__FS_START;
		return MQTTP_E_NONE;
	case MQTTP__FS_SHARE:
	case MQTTP__FS_NAME:
		/* a ShareName of at least one character [MQTT-4.8.2-1], without
		 * '/', '+' or '#' [MQTT-4.8.2-2] */
		if (b == '+' || b == '#' || (b == '/' && s->st == MQTTP__FS_SHARE))
			return MQTTP_E_SHARE_NAME;
		s->st = b == '/' ? MQTTP__FS_INNER : MQTTP__FS_NAME;
		return MQTTP_E_NONE;
	default:
		/* '#' is the filter's last character [MQTT-4.7.1-1] */
		return MQTTP_E_TOPIC_FILTER;
	}
}

/* The filter ends here: not empty [MQTT-4.7.3-1]; a shared subscription
 * has a ShareName and a filter after it [MQTT-4.8.2-1]. */
static inline enum mqttp_error mqttp__filter_end(const struct mqttp__filter_state *s)
{
	if (s->st == MQTTP__FS_EMPTY)
		return MQTTP_E_TOPIC_FILTER;
	if (s->st == MQTTP__FS_SHARE || s->st == MQTTP__FS_NAME || s->st == MQTTP__FS_INNER)
		return MQTTP_E_SHARE_NAME;
	return MQTTP_E_NONE;
}

#endif
