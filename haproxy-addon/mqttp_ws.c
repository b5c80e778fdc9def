/*
 * mqttp_ws.c - MQTT over WebSocket (RFC 6455, subprotocol "mqtt") in TCP
 * mode: the balancer answers the client's opening handshake itself, reads
 * the CONNECT out of the client's masked frames (so every req.mqtt_* fetch,
 * balance hash, stick on and mqtt-refuse work for WebSocket clients), then
 * lets the broker see the client's own handshake and frames.
 *
 *   tcp-request content  mqtt-ws-handshake   (frontend)
 *     Waits for the client's HTTP/1.1 request head, parses it with HAProxy's
 *     own HTTP/1 parser (h1_headers_to_hdr_list, on a copy: the parser may
 *     edit what it parses, the client's bytes stay untouched), checks it
 *     (GET, HTTP/1.1, Upgrade: websocket, Connection: upgrade,
 *     Sec-WebSocket-Version 13, one valid Sec-WebSocket-Key, a
 *     Sec-WebSocket-Protocol offering "mqtt", no body, fits in the buffer)
 *     and answers an invalid one with an HTTP error and a close. A valid one
 *     gets "101 Switching Protocols" with the accept key and "mqtt" at once,
 *     injected into the response channel; its Sec-WebSocket-Extensions lines
 *     are removed from the request (the client was answered without any
 *     extension, so none may be negotiated with the broker behind its back).
 *     The action then waits until the client's frames carry a whole CONNECT
 *     (or an invalid one), so the rules after it see the client id. A
 *     framing error or a close frame before the CONNECT is answered with a
 *     close frame. A stream whose first byte is 0x10 (an MQTT CONNECT) is
 *     left alone: plain MQTT and MQTT over WebSocket can share a port.
 *
 *   tcp-response content mqtt-ws-handshake   (backend)
 *     Waits for the broker's answer to the forwarded handshake, checks it
 *     (101, Upgrade/Connection, the accept key of the client's key, protocol
 *     "mqtt", no extension) and removes it from the response: the client
 *     already has its 101. A broker that refuses gets its client a close
 *     frame 1014 and a log line with the broker's status line.
 *
 * What must survive rule re-runs (the accept key awaited from the broker,
 * where the head ends) lives in the stream's MQTT session, which also
 * reads the client's frames (mqttp_session.c).
 */

#include <stdio.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/global.h>
#include <haproxy/h1.h>
#include <haproxy/http-hdr-t.h>
#include <haproxy/http.h>
#include <import/ist.h>
#include <haproxy/log.h>
#include <haproxy/proxy.h>
#include <haproxy/sample.h>
#include <haproxy/sc_strm.h>
#include <haproxy/stream.h>
#include <haproxy/tcp_rules.h>
#include <haproxy/tools.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_log.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttws.h>

#define MQA_WS_MAX_HDRS   101   /* header fields in a handshake (HAProxy's default) */
#define MQA_WS_MAX_EXT    16    /* Sec-WebSocket-Extensions lines removed */

/* ------------------------------------------------------------------------
 * The request head
 * --------------------------------------------------------------------- */

/* Length of the request head at the start of <chn>'s buffer (up to and
 * including the empty line), or 0 while it is incomplete. A head never
 * starts with an empty line (refused by mqa_ws_check_req), so the first empty
 * line ends it. */
static size_t mqa_ws_head_end(const struct channel *chn)
{
	size_t n = c_data(chn), i;

	/* for speed: a head that does not wrap (nearly all) is searched for
	 * its LFs with memchr instead of byte by byte through b_peek() */
	if (n && b_contig_data(&chn->buf, 0) >= n) {
		const char *p = b_peek(&chn->buf, 0), *e = p + n, *q = p;

		while ((q = memchr(q, '\n', e - q))) {
			if (q + 1 < e && q[1] == '\n')
				return q + 2 - p;
			if (q + 2 < e && q[1] == '\r' && q[2] == '\n')
				return q + 3 - p;
			q++;
		}
		return 0;
	}
	for (i = 0; i + 1 < n; i++) {
		if (*b_peek(&chn->buf, i) != '\n')
			continue;
		if (*b_peek(&chn->buf, i + 1) == '\n')
			return i + 2;
		if (i + 2 < n && *b_peek(&chn->buf, i + 1) == '\r' && *b_peek(&chn->buf, i + 2) == '\n')
			return i + 3;
	}
	return 0;
}

/* Does the comma-separated list <v> contain <tok> (case-insensitive)? */
static int mqa_ws_list_has(struct ist v, const char *tok)
{
	size_t tl = strlen(tok), i = 0, a, b;

	while (i < v.len) {
		while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t' || v.ptr[i] == ','))
			i++;
		a = i;
		while (i < v.len && v.ptr[i] != ',')
			i++;
		b = i;
		while (b > a && (v.ptr[b - 1] == ' ' || v.ptr[b - 1] == '\t'))
			b--;
		if (b - a == tl && strncasecmp(v.ptr + a, tok, tl) == 0)
			return 1;
	}
	return 0;
}

static struct ist mqa_ws_trim(struct ist v)
{
	while (v.len && (*v.ptr == ' ' || *v.ptr == '\t'))
		v.ptr++, v.len--;
	while (v.len && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
		v.len--;
	return v;
}

/* What the check of a request head found. */
struct mqa_ws_req {
	int status;                /* HTTP status of the refusal (0: valid) */
	const char *why;           /* the reason, for the answer and the log */
	const char *extra;         /* extra header lines of the refusal */
	size_t head_len;
	char accept[MQTTP_WS_ACCEPT_LEN];
	unsigned int nb_ext;
	size_t ext_off[MQA_WS_MAX_EXT], ext_len[MQA_WS_MAX_EXT];  /* lines to remove */
};

static int mqa_ws_refuse_req(struct mqa_ws_req *h, int status, const char *why, const char *extra)
{
	h->status = status;
	h->why = why;
	h->extra = extra ? extra : "";
	return -1;
}

/* Checks the client's request head, at the start of the request buffer.
 * Returns 1 when it is a valid MQTT WebSocket handshake (h filled; the
 * accept key only with <accept>: the fetches do not need it, and its SHA-1
 * is a tenth of the handshake's cost), 0 while it is incomplete, -1 when it
 * must be refused (h->status, h->why). */
static int mqa_ws_check_req(struct stream *s, struct mqa_ws_req *h, int accept)
{
	struct channel *chn = &s->req;
	struct http_hdr hdrs[MQA_WS_MAX_HDRS];
	struct buffer *copy;
	union h1_sl sl;
	struct h1m h1m;
	size_t n = c_data(chn), end, i;
	int ret, nb_key = 0, nb_ver = 0, ver_ok = 1, mqtt = 0, proto_bad = 0, upg = 0, conn = 0;
	struct ist key = IST_NULL;
	char c0;

	memset(h, 0, sizeof(*h));
	if (!n)
		return 0;
	c0 = *b_peek(&chn->buf, 0);
	if (c0 == '\r' || c0 == '\n')
		return mqa_ws_refuse_req(h, 400, "empty line before the request line", NULL);
	end = mqa_ws_head_end(chn);

	copy = alloc_trash_chunk();
	if (!copy)
		return mqa_ws_refuse_req(h, 500, "out of memory", NULL);
	if (n > copy->size)
		n = copy->size;
	b_getblk(&chn->buf, copy->area, n, 0);
	copy->data = n;

	h1m_init_req(&h1m);
	h1m.flags |= H1_MF_NO_PHDR | H1_MF_TOLOWER;
	ret = h1_headers_to_hdr_list(copy->area, copy->area + (end ? end : n), hdrs,
	                             MQA_WS_MAX_HDRS, &h1m, &sl);
	if (ret == -2) {
		ret = mqa_ws_refuse_req(h, 431, "more than 100 header fields", NULL);
		goto out;
	}
	if (ret < 0) {
		ret = mqa_ws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		goto out;
	}
	if (ret == 0) {
		if (end)
			ret = mqa_ws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		else if (!channel_may_recv(chn))
			ret = mqa_ws_refuse_req(h, 431, "request head larger than the buffer", NULL);
		goto out;
	}
	if ((size_t)ret != end) {
		ret = mqa_ws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		goto out;
	}
	h->head_len = end;

	if (sl.rq.meth != HTTP_METH_GET) {
		ret = mqa_ws_refuse_req(h, 405, "the WebSocket handshake is a GET request", "Allow: GET\r\n");
		goto out;
	}
	if (!(h1m.flags & H1_MF_VER_11)) {
		ret = mqa_ws_refuse_req(h, 400, "the WebSocket handshake needs HTTP/1.1", NULL);
		goto out;
	}
	if (h1m.flags & (H1_MF_CLEN | H1_MF_XFER_ENC)) {
		ret = mqa_ws_refuse_req(h, 400, "a WebSocket handshake has no body", NULL);
		goto out;
	}

	for (i = 0; i < MQA_WS_MAX_HDRS && isttest(hdrs[i].n) && hdrs[i].n.len; i++) {
		struct ist nm = hdrs[i].n, v = mqa_ws_trim(hdrs[i].v);

		if (isteq(nm, ist("upgrade")))
			upg |= mqa_ws_list_has(v, "websocket");
		else if (isteq(nm, ist("connection")))
			conn |= mqa_ws_list_has(v, "upgrade");
		else if (isteq(nm, ist("sec-websocket-version"))) {
			nb_ver++;
			if (!isteq(v, ist("13")))
				ver_ok = 0;
		}
		else if (isteq(nm, ist("sec-websocket-key"))) {
			nb_key++;
			key = v;
		}
		else if (isteq(nm, ist("sec-websocket-protocol"))) {
			int r = mqttp_ws_protocol_has(v.ptr, v.len, "mqtt", 4);

			if (r < 0)
				proto_bad = 1;
			else if (r > 0)
				mqtt = 1;
		}
		else if (isteq(nm, ist("sec-websocket-extensions"))) {
			/* the whole line, from the name to its LF, in the copy
			 * (whose offsets are those of the buffer) */
			size_t a = nm.ptr - copy->area, b = (hdrs[i].v.ptr + hdrs[i].v.len) - copy->area;

			while (b < end && copy->area[b] != '\n')
				b++;
			if (b >= end || h->nb_ext == MQA_WS_MAX_EXT) {
				ret = mqa_ws_refuse_req(h, 400, "too many Sec-WebSocket-Extensions fields", NULL);
				goto out;
			}
			h->ext_off[h->nb_ext] = a;
			h->ext_len[h->nb_ext] = b + 1 - a;
			h->nb_ext++;
		}
	}

	if (!upg) {
		ret = mqa_ws_refuse_req(h, 426, "not a WebSocket upgrade (Upgrade: websocket missing)",
		                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
		goto out;
	}
	if (!conn) {
		ret = mqa_ws_refuse_req(h, 400, "Connection: upgrade missing", NULL);
		goto out;
	}
	if (nb_ver != 1 || !ver_ok) {
		ret = mqa_ws_refuse_req(h, 426, "unsupported WebSocket version (only 13)",
		                      "Sec-WebSocket-Version: 13\r\n");
		goto out;
	}
	if (nb_key != 1 || !mqttp_ws_key_valid(key.ptr, key.len)) {
		ret = mqa_ws_refuse_req(h, 400, "missing or invalid Sec-WebSocket-Key", NULL);
		goto out;
	}
	if (proto_bad) {
		ret = mqa_ws_refuse_req(h, 400, "malformed Sec-WebSocket-Protocol", NULL);
		goto out;
	}
	if (!mqtt) {
		ret = mqa_ws_refuse_req(h, 400, "Sec-WebSocket-Protocol does not offer mqtt", NULL);
		goto out;
	}
	if (accept)
		mqttp_ws_accept(key.ptr, key.len, h->accept);
	ret = 1;
 out:
	free_trash_chunk(copy);
	return ret;
}

/* Is <s> a request stream to read as WebSocket? 1 yes, 0 plain MQTT, -1 not
 * decidable (nothing received, or bytes already forwarded). */
static int mqa_ws_is_ws(struct stream *s, const struct mqa_session *ms)
{
	struct channel *chn = &s->req;
	unsigned long long total;

	if (!ms || ms->ws_mode == MQA_WS_PLAIN)
		return 0;
	total = mqa_chn_total(s, 0);
	if (!total || total != c_data(chn))
		return -1;
	return (unsigned char)*b_peek(&chn->buf, 0) != 0x10;
}

/* ------------------------------------------------------------------------
 * Answers
 * --------------------------------------------------------------------- */

static void mqa_ws_log(struct stream *s, const char *side, const char *fmt, const char *detail)
{
	char addr[64];
	int port = mqa_client_addr(s, addr, sizeof(addr));

	send_log(strm_fe(s), LOG_WARNING, "mqtt-ws-handshake: client %s:%d %s: %s%s\n",
	         addr, port, side, fmt, detail ? detail : "");
}

static const char *mqa_ws_status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 426: return "Upgrade Required";
	case 431: return "Request Header Fields Too Large";
	default:  return "Internal Server Error";
	}
}

static enum act_return mqa_ws_http_refuse(struct stream *s, const struct mqa_ws_req *h)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
	             "Content-Length: %u\r\nConnection: close\r\n%s\r\n%s\n",
	             h->status, mqa_ws_status_text(h->status), (unsigned int)strlen(h->why) + 1,
	             h->extra ? h->extra : "", h->why);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	mqa_ws_log(s, "refused", "", h->why);
	return mqa_answer_raw_close(s, msg, (size_t)n, 0);
}

/* A close frame (server to client) with <code> and <reason>, then close. */
static enum act_return mqa_ws_ws_refuse(struct stream *s, unsigned int code, const char *reason, int resp)
{
	uint8_t fr[2 + 2 + 123];
	size_t n, rl = strlen(reason);

	if (rl > 123)
		rl = 123;
	n = mqttp_ws_encode_close(fr, sizeof(fr), code, reason, rl, NULL);
	return mqa_answer_raw_close(s, (const char *)fr, n, resp);
}

/* Removes <len> bytes at <off> of <chn>'s buffer (in its input). */
static void mqa_ws_chn_delete(struct channel *chn, size_t off, size_t len)
{
	size_t end = off + len;

	if (b_peek(&chn->buf, end) != b_tail(&chn->buf))
		b_move(&chn->buf, b_peek_ofs(&chn->buf, end), b_data(&chn->buf) - end, -len);
	b_sub(&chn->buf, len);
}

static int mqa_ws_may_grow(struct channel *chn)
{
	return channel_may_recv(chn) && !channel_input_closed(chn);
}

/* ------------------------------------------------------------------------
 * tcp-request content mqtt-ws-handshake
 * --------------------------------------------------------------------- */
static enum act_return mqa_ws_act_req(struct act_rule *rule, struct proxy *px,
                                    struct session *sess, struct stream *s, int flags)
{
	struct channel *req = &s->req;
	struct mqa_session *ms = mqa_session_get(s);
	struct mqa_dir *st;
	struct mqa_ws_req h;
	char answer[256];
	int r, n, wait = !(flags & ACT_OPT_FINAL) && mqa_ws_may_grow(req);
	unsigned int i;

	if (IS_HTX_STRM(s))
		return ACT_RET_CONT;
	r = mqa_ws_is_ws(s, ms);
	if (r == 0)
		return ACT_RET_CONT;            /* plain MQTT */
	if (r > 0 && co_data(req))
		r = -1;                         /* already being forwarded */
	if (r < 0) {
		if (!mqa_chn_total(s, 0) && wait)
			return ACT_RET_YIELD;   /* nothing yet */
		return ACT_RET_CONT;            /* client gone, or already forwarded */
	}

	if (ms->ws_hs == MQA_WSH_NONE) {
		r = mqa_ws_check_req(s, &h, 1);
		if (r == 0) {
			if (wait)
				return ACT_RET_YIELD;
			h.status = channel_input_closed(req) ? 400 : 408;
			h.why = channel_input_closed(req) ? "incomplete request head" :
			        "request head not complete in time";
			h.extra = "";
			return mqa_ws_http_refuse(s, &h);
		}
		if (r < 0)
			return mqa_ws_http_refuse(s, &h);

		/* the extension offers leave the request, last line first */
		for (i = h.nb_ext; i-- > 0; ) {
			/* offsets from the buffer's head, where the request starts */
			mqa_ws_chn_delete(req, h.ext_off[i], h.ext_len[i]);
			mqa_chn_total_adjust(s, 0, -(long long)h.ext_len[i]);
		}

		n = snprintf(answer, sizeof(answer), "HTTP/1.1 101 Switching Protocols\r\n"
		             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		             "Sec-WebSocket-Accept: %.*s\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
		             MQTTP_WS_ACCEPT_LEN, h.accept);
		if (co_inject(&s->res, answer, n) != -1) {
			mqa_ws_log(s, "error", "no room for the 101 answer in the response buffer", NULL);
			return mqa_answer_raw_close(s, NULL, 0, 0);
		}
		mqa_chn_injected(s, 1, (size_t)n);
		memcpy(ms->ws_accept, h.accept, MQTTP_WS_ACCEPT_LEN);
		ms->ws_head_len = mqa_ws_head_end(req);
		ms->ws_hs = MQA_WSH_BROKER_PENDING;
	}

	/* wait for the CONNECT in the frames */
	st = mqa_session_dir(s, ms, 0, 0);
	if (st && st->pp->status != MQTTP_NEED_MORE)
		return ACT_RET_CONT;
	if (ms->ws_err == 1) {
		enum mqttp_ws_error e = (enum mqttp_ws_error)ms->d[0].fr.w.ws.error;

		mqa_ws_log(s, "refused", "invalid WebSocket frame: ", mqttp_ws_error_name(e));
		return mqa_ws_ws_refuse(s, mqttp_ws_error_close_code(e), mqttp_ws_error_reason(e), 0);
	}
	if (ms->ws_err == 2) {
		mqa_ws_log(s, "closed", "close frame before the CONNECT", NULL);
		return mqa_ws_ws_refuse(s, 1000, "", 0);
	}
	if (wait)
		return ACT_RET_YIELD;
	return ACT_RET_CONT;   /* later rules decide (reject unless client id) */
}

/* ------------------------------------------------------------------------
 * tcp-response content mqtt-ws-handshake
 * --------------------------------------------------------------------- */
static enum act_return mqa_ws_act_res(struct act_rule *rule, struct proxy *px,
                                    struct session *sess, struct stream *s, int flags)
{
	struct channel *res = &s->res;
	struct http_hdr hdrs[MQA_WS_MAX_HDRS];
	char expect[MQTTP_WS_ACCEPT_LEN];
	char status_line[80];
	struct mqa_session *ms = mqa_session_get(s);
	struct buffer *copy;
	union h1_sl sl;
	struct h1m h1m;
	size_t n = ci_data(res), i;
	int ret, upg = 0, conn = 0, acc = 0, proto = 0, ext = 0;
	const char *why = NULL;
	int wait = !(flags & ACT_OPT_FINAL) && mqa_ws_may_grow(res);

	if (IS_HTX_STRM(s) || !ms || ms->ws_hs != MQA_WSH_BROKER_PENDING)
		return ACT_RET_CONT;         /* not a WebSocket client, or already checked */
	memcpy(expect, ms->ws_accept, MQTTP_WS_ACCEPT_LEN);

	if (!n) {
		if (wait)
			return ACT_RET_YIELD;
		mqa_ws_log(s, "closed", "the broker did not answer the WebSocket handshake", NULL);
		return mqa_ws_ws_refuse(s, 1014, "no WebSocket answer from the broker", 1);
	}
	copy = alloc_trash_chunk();
	if (!copy)
		return ACT_RET_CONT;
	if (n > copy->size)
		n = copy->size;
	b_getblk(&res->buf, copy->area, n, co_data(res));
	copy->data = n;
	h1m_init_res(&h1m);
	h1m.flags |= H1_MF_NO_PHDR | H1_MF_TOLOWER;
	ret = h1_headers_to_hdr_list(copy->area, copy->area + n, hdrs, MQA_WS_MAX_HDRS, &h1m, &sl);
	if (ret == 0 && wait && channel_may_recv(res)) {
		free_trash_chunk(copy);
		return ACT_RET_YIELD;
	}
	snprintf(status_line, sizeof(status_line), " (broker said: %.*s)",
	         (int)(ret > 0 ? (sl.st.c.len > 3 ? 3 : sl.st.c.len) : 0), ret > 0 ? sl.st.c.ptr : "");
	if (ret <= 0)
		why = "the broker's answer is not a complete HTTP/1.1 response";
	else if (sl.st.status != 101)
		why = "the broker refused the WebSocket upgrade";
	else {
		for (i = 0; i < MQA_WS_MAX_HDRS && isttest(hdrs[i].n) && hdrs[i].n.len; i++) {
			struct ist nm = hdrs[i].n, v = mqa_ws_trim(hdrs[i].v);

			if (isteq(nm, ist("upgrade")))
				upg |= mqa_ws_list_has(v, "websocket");
			else if (isteq(nm, ist("connection")))
				conn |= mqa_ws_list_has(v, "upgrade");
			else if (isteq(nm, ist("sec-websocket-accept")))
				acc = (v.len == MQTTP_WS_ACCEPT_LEN && !memcmp(v.ptr, expect, v.len)) ? 1 : -1;
			else if (isteq(nm, ist("sec-websocket-protocol")))
				proto = isteq(v, ist("mqtt")) ? 1 : -1;
			else if (isteq(nm, ist("sec-websocket-extensions")))
				ext = 1;
		}
		if (!upg || !conn)
			why = "the broker's 101 lacks Upgrade: websocket / Connection: upgrade";
		else if (acc != 1)
			why = "the broker's Sec-WebSocket-Accept does not match the client's key";
		else if (proto != 1)
			why = "the broker did not select the mqtt subprotocol";
		else if (ext)
			why = "the broker negotiated an extension nobody offered";
	}
	free_trash_chunk(copy);
	if (why) {
		mqa_ws_log(s, "closed", why, status_line);
		return mqa_ws_ws_refuse(s, 1014, "the broker refused the WebSocket connection", 1);
	}
	mqa_ws_chn_delete(res, co_data(res), (size_t)ret);
	mqa_chn_total_adjust(s, 1, -(long long)ret);
	mqa_session_res_restart(ms);
	ms->ws_hs = MQA_WSH_DONE;
	return ACT_RET_CONT;
}

/* "mqtt-ws-handshake" takes no argument. In tcp-request content it must be
 * in a frontend (or listen) section; in tcp-response content in a backend. */
static enum act_parse_ret mqa_ws_parse(const char **args, int *orig_arg, struct proxy *px,
                                     struct act_rule *rule, char **err)
{
	if (*args[*orig_arg] && strcmp(args[*orig_arg], "if") != 0 &&
	    strcmp(args[*orig_arg], "unless") != 0) {
		memprintf(err, "'mqtt-ws-handshake' takes no argument (got '%s')", args[*orig_arg]);
		return ACT_RET_PRS_ERR;
	}
	rule->action = ACT_CUSTOM;
	if (rule->from == ACT_F_TCP_RES_CNT) {
		rule->action_ptr = mqa_ws_act_res;
		return ACT_RET_PRS_OK;
	}
	if (!(px->cap & PR_CAP_FE) || (px->cap & PR_CAP_DEF)) {
		memprintf(err, "'tcp-request content mqtt-ws-handshake' is only allowed in a frontend "
		          "or listen section");
		return ACT_RET_PRS_ERR;
	}
	if (!mqa_session_ws_frontend(px)) {
		memprintf(err, "'mqtt-ws-handshake': too many frontends use it");
		return ACT_RET_PRS_ERR;
	}
	rule->action_ptr = mqa_ws_act_req;
	return ACT_RET_PRS_OK;
}

static struct action_kw_list mqa_ws_tcp_req_actions = {ILH, {
	{ "mqtt-ws-handshake", mqa_ws_parse },
	{ /* END */ }
}};
INITCALL1(STG_REGISTER, tcp_req_cont_keywords_register, &mqa_ws_tcp_req_actions);

static struct action_kw_list mqa_ws_tcp_res_actions = {ILH, {
	{ "mqtt-ws-handshake", mqa_ws_parse },
	{ /* END */ }
}};
INITCALL1(STG_REGISTER, tcp_res_cont_keywords_register, &mqa_ws_tcp_res_actions);
