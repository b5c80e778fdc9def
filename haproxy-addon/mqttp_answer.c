/*
 * mqttp_answer.c - the one answer path: every byte the addon itself sends
 * to a client (a CONNACK refusal, an HTTP or close-frame refusal of the
 * WebSocket handshake) goes through here, framed for WebSocket when the
 * client's session speaks it.
 */

#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/chunk.h>
#include <haproxy/stream.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_session.h"

#include <mqttws.h>

enum act_return mqa_answer_raw_close(struct stream *s, const void *msg, size_t len, int resp)
{
	struct buffer b;

	chunk_initlen(&b, (char *)msg, len, len);
	stream_retnclose(s, len ? &b : NULL);
	if (resp)
		mqa_count_denied_resp(s);
	else
		mqa_count_denied_req(s->sess);
	if (!(s->flags & SF_ERR_MASK))
		s->flags |= SF_ERR_PRXCOND;
	return ACT_RET_ABRT;
}

enum act_return mqa_answer_close(struct stream *s, const void *pkt, size_t len, int resp)
{
	const struct mqa_session *ms = mqa_session_get(s);
	uint8_t out[512];
	size_t n = 0, m;

	/* a client past its 101 reads frames only [MQTT-6.0.0-1] */
	if (!ms || ms->ws_hs == MQA_WSH_NONE)
		return mqa_answer_raw_close(s, pkt, len, resp);
	if (len) {
		n = mqttp_ws_encode_frame(out, sizeof(out), MQTTP_WS_FIN | MQTTP_WS_BINARY, pkt, len, NULL);
		m = n ? mqttp_ws_encode_close(out + n, sizeof(out) - n, 1000, "CONNECT refused", 15, NULL) : 0;
	}
	else
		m = mqttp_ws_encode_close(out, sizeof(out), 1002, "invalid CONNECT", 15, NULL);
	if (!m)
		n = 0;
	return mqa_answer_raw_close(s, out, n + m, resp);
}
