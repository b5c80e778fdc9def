/*
 * mqttp_answer.c - the one answer path: every byte the addon itself sends
 * to a client (a CONNACK refusal, an HTTP or close-frame refusal of the
 * WebSocket handshake) goes through here, framed for WebSocket when the
 * client's session speaks it.
 */

#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/stream.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_session.h"

#include <mqttws.h>

/* Counts a denied request (<resp> 0) or response (<resp> 1) of <s> as
 * HAProxy's own reject does, and marks the stream as closed by a rule. */
static enum act_return mqa_answer_denied(struct stream *s, int resp)
{
	if (resp)
		mqa_count_denied_resp(s);
	else
		mqa_count_denied_req(s->sess);
	if (!(s->flags & SF_ERR_MASK))
		s->flags |= SF_ERR_PRXCOND;
	return ACT_RET_ABRT;
}

enum act_return mqa_answer_raw_close(struct stream *s, const void *msg, size_t len, int resp)
{
	struct buffer b;

	chunk_initlen(&b, (char *)msg, len, len);
	stream_retnclose(s, len ? &b : NULL);
	return mqa_answer_denied(s, resp);
}

size_t mqa_answer_bytes(const struct mqa_session *ms, const void *pkt, size_t len,
                        unsigned int code, const char *why, uint8_t *out, size_t cap)
{
	size_t n = 0, m;

	if (!ms || ms->ws_hs == MQA_WSH_NONE) {
		if (len > cap)
			return 0;
		memcpy(out, pkt, len);
		return len;
	}
	/* a binary frame, then a close frame [MQTT-6.0.0-1] */
	if (len)
		n = mqttp_ws_encode_frame(out, cap, MQTTP_WS_FIN | MQTTP_WS_BINARY, pkt, len, NULL);
	m = (n || !len) ? mqttp_ws_encode_close(out + n, cap - n, code, why, strlen(why), NULL) : 0;
	return m ? n + m : 0;
}

/* Sends <pkt, len> to the client of <s> and closes both sides: framed
 * in a binary frame and followed by a close frame (<code>, <why>) when the
 * client speaks WebSocket. */
static void mqa_answer_send(struct stream *s, const struct mqa_session *ms, const void *pkt,
                            size_t len, unsigned int code, const char *why)
{
	uint8_t out[512];
	size_t n = mqa_answer_bytes(ms, pkt, len, code, why, out, sizeof(out));
	struct buffer b;

	chunk_initlen(&b, (char *)out, n, n);
	stream_retnclose(s, n ? &b : NULL);
}

enum act_return mqa_answer_close(struct stream *s, const struct mqa_session *ms, const void *pkt,
                                 size_t len, int resp)
{
	if (len)
		mqa_answer_send(s, ms, pkt, len, 1000, "CONNECT refused");
	else
		mqa_answer_send(s, ms, pkt, len, 1002, "invalid CONNECT");
	return mqa_answer_denied(s, resp);
}

long long mqa_answer_cut(struct stream *s, unsigned int dir, size_t keep, const void *pkt,
                         size_t len)
{
	struct channel *ic = &s->req, *oc = &s->res;
	struct channel *chn = dir ? oc : ic;
	long long delta = 0;

	if (c_data(chn) > keep) {
		delta = -(long long)(c_data(chn) - keep);
		b_sub(&chn->buf, c_data(chn) - keep);
	}
	if (dir) {
		/* after the broker's valid packets, in order [MQTT-3.2.0-1] */
		if (len && b_room(&chn->buf) >= len) {
			b_putblk(&chn->buf, pkt, len);
			delta += (long long)len;
		}
		channel_truncate(ic);
	} else {
		channel_truncate(oc);
		if (len && co_inject(oc, pkt, len) == -1)
			mqa_chn_injected(s, 1, len);
	}
	/* "received - in the buffer" keeps saying what was forwarded */
	mqa_chn_total_adjust(s, dir, delta);
	/* each side is shut once what it has to send is sent: the broker
	 * gets no DISCONNECT, so it publishes the will */
	channel_auto_read(ic);
	channel_abort(ic);
	channel_auto_close(ic);
	channel_auto_read(oc);
	channel_abort(oc);
	channel_auto_close(oc);
	if (!(s->flags & SF_ERR_MASK))
		s->flags |= SF_ERR_PRXCOND;
	return delta;
}
