/*
 * mqttp_filter.h - the HAProxy filter "mqtt" (mqttp_filter.c) that owns
 * each stream's MQTT session.
 */
#ifndef MQTTP_FILTER_H
#define MQTTP_FILTER_H

struct stream;
struct mqa_session;

/* The MQTT session of stream <s>, or NULL when the stream has no "mqtt"
 * filter (then fetches answer "not found" and actions do nothing). */
struct mqa_session *mqa_session_get(struct stream *s);

#endif /* MQTTP_FILTER_H */
