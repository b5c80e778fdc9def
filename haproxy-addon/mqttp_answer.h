/*
 * mqttp_answer.h - the one path by which the addon sends bytes of its own
 * to a client (mqttp_answer.c).
 */
#ifndef MQTTP_ANSWER_H
#define MQTTP_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include <haproxy/action-t.h>

struct stream;
struct mqa_session;

/* The bytes that carry the MQTT packets <pkt, len> (len 0: none) to the
 * client of session <ms> (NULL: plain) into <out, cap>: as they are for a
 * plain client; for a WebSocket one, a binary frame then a close frame
 * with <code> and <why>. Returns their length, 0 when they do not fit. */
size_t mqa_answer_bytes(const struct mqa_session *ms, const void *pkt, size_t len,
                        unsigned int code, const char *why, uint8_t *out, size_t cap);

/* Sends the MQTT packets <pkt, len> (len 0: none) to the client of <s>,
 * in a WebSocket binary frame followed by a close frame when the client
 * speaks WebSocket (session <ms>, NULL for none), then closes both sides and counts a denied request
 * (<resp> 0) or response (<resp> 1) as HAProxy's own reject does.
 * Returns ACT_RET_ABRT. */
enum act_return mqa_answer_close(struct stream *s, const struct mqa_session *ms, const void *pkt,
                                 size_t len, int resp);

/* The same with bytes sent as they are (an HTTP answer or WebSocket
 * frames of the opening handshake). */
enum act_return mqa_answer_raw_close(struct stream *s, const void *msg, size_t len, int resp);

/* Closes both sides of <s> after invalid bytes in direction <dir> (0 from
 * the client, 1 from the broker) of a plain MQTT stream, from a filter's
 * tcp_payload: the channel's bytes before buffer offset <keep> (the valid
 * packets) stay and are forwarded, the rest is dropped; the client gets
 * <pkt, len> (a DISCONNECT, or nothing) after the valid packets already on
 * their way to it (the bytes of mqa_answer_bytes()). Returns how many bytes the channel's buffer grew by
 * (negative when it shrank), for the filter offsets. */
long long mqa_answer_cut(struct stream *s, unsigned int dir, size_t keep, const void *pkt,
                         size_t len);

#endif /* MQTTP_ANSWER_H */
