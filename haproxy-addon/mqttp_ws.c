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
 * Per-stream facts that must survive rule re-runs and the parse cache's
 * evictions live in a txn variable (txn.mqtt_ws_accept: the accept key
 * while the broker's answer is awaited, "-" once it was checked); the rest
 * is computed again from the request buffer, which holds the whole
 * handshake and CONNECT until they are forwarded.
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
#include <haproxy/vars.h>

#include "mqttp_cache.h"
#include "mqttp_compat.h"
#include "mqttp_log.h"
#include "mqttp_options.h"
#include "mqttp_ws.h"

#include <mqttparse.h>
#include <mqttws.h>

#define MQWS_MAX_HDRS   101   /* header fields in a handshake (HAProxy's default) */
#define MQWS_MAX_EXT    16    /* Sec-WebSocket-Extensions lines removed */
#define MQWS_VAR        "txn.mqtt_ws_accept"
#define MQWS_VAR_DONE   "-"

/* Frontends with a "tcp-request content mqtt-ws-handshake" rule: there,
 * a request that does not start with 0x10 is a WebSocket handshake. */
#define MQWS_MAX_FE 256
static const struct proxy *mqws_fe[MQWS_MAX_FE];
static unsigned int mqws_nb_fe;

static int mqws_enabled(const struct proxy *fe)
{
	unsigned int i;

	for (i = 0; i < mqws_nb_fe; i++)
		if (mqws_fe[i] == fe)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------
 * The request head
 * --------------------------------------------------------------------- */

/* Length of the request head at the start of <chn>'s buffer (up to and
 * including the empty line), or 0 while it is incomplete. A head never
 * starts with an empty line (refused by mqws_check_req), so the first empty
 * line ends it. */
static size_t mqws_head_end(const struct channel *chn)
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
static int mqws_list_has(struct ist v, const char *tok)
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

static struct ist mqws_trim(struct ist v)
{
	while (v.len && (*v.ptr == ' ' || *v.ptr == '\t'))
		v.ptr++, v.len--;
	while (v.len && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t'))
		v.len--;
	return v;
}

/* What the check of a request head found. */
struct mqws_req {
	int status;                /* HTTP status of the refusal (0: valid) */
	const char *why;           /* the reason, for the answer and the log */
	const char *extra;         /* extra header lines of the refusal */
	size_t head_len;
	char accept[MQTTP_WS_ACCEPT_LEN];
	unsigned int nb_ext;
	size_t ext_off[MQWS_MAX_EXT], ext_len[MQWS_MAX_EXT];  /* lines to remove */
};

static int mqws_refuse_req(struct mqws_req *h, int status, const char *why, const char *extra)
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
static int mqws_check_req(struct stream *s, struct mqws_req *h, int accept)
{
	struct channel *chn = &s->req;
	struct http_hdr hdrs[MQWS_MAX_HDRS];
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
		return mqws_refuse_req(h, 400, "empty line before the request line", NULL);
	end = mqws_head_end(chn);

	copy = alloc_trash_chunk();
	if (!copy)
		return mqws_refuse_req(h, 500, "out of memory", NULL);
	if (n > copy->size)
		n = copy->size;
	b_getblk(&chn->buf, copy->area, n, 0);
	copy->data = n;

	h1m_init_req(&h1m);
	h1m.flags |= H1_MF_NO_PHDR | H1_MF_TOLOWER;
	ret = h1_headers_to_hdr_list(copy->area, copy->area + (end ? end : n), hdrs,
	                             MQWS_MAX_HDRS, &h1m, &sl);
	if (ret == -2) {
		ret = mqws_refuse_req(h, 431, "more than 100 header fields", NULL);
		goto out;
	}
	if (ret < 0) {
		ret = mqws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		goto out;
	}
	if (ret == 0) {
		if (end)
			ret = mqws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		else if (!channel_may_recv(chn))
			ret = mqws_refuse_req(h, 431, "request head larger than the buffer", NULL);
		goto out;
	}
	if ((size_t)ret != end) {
		ret = mqws_refuse_req(h, 400, "not a valid HTTP/1.1 request", NULL);
		goto out;
	}
	h->head_len = end;

	if (sl.rq.meth != HTTP_METH_GET) {
		ret = mqws_refuse_req(h, 405, "the WebSocket handshake is a GET request", "Allow: GET\r\n");
		goto out;
	}
	if (!(h1m.flags & H1_MF_VER_11)) {
		ret = mqws_refuse_req(h, 400, "the WebSocket handshake needs HTTP/1.1", NULL);
		goto out;
	}
	if (h1m.flags & (H1_MF_CLEN | H1_MF_XFER_ENC)) {
		ret = mqws_refuse_req(h, 400, "a WebSocket handshake has no body", NULL);
		goto out;
	}

	for (i = 0; i < MQWS_MAX_HDRS && isttest(hdrs[i].n) && hdrs[i].n.len; i++) {
		struct ist nm = hdrs[i].n, v = mqws_trim(hdrs[i].v);

		if (isteq(nm, ist("upgrade")))
			upg |= mqws_list_has(v, "websocket");
		else if (isteq(nm, ist("connection")))
			conn |= mqws_list_has(v, "upgrade");
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
			if (b >= end || h->nb_ext == MQWS_MAX_EXT) {
				ret = mqws_refuse_req(h, 400, "too many Sec-WebSocket-Extensions fields", NULL);
				goto out;
			}
			h->ext_off[h->nb_ext] = a;
			h->ext_len[h->nb_ext] = b + 1 - a;
			h->nb_ext++;
		}
	}

	if (!upg) {
		ret = mqws_refuse_req(h, 426, "not a WebSocket upgrade (Upgrade: websocket missing)",
		                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
		goto out;
	}
	if (!conn) {
		ret = mqws_refuse_req(h, 400, "Connection: upgrade missing", NULL);
		goto out;
	}
	if (nb_ver != 1 || !ver_ok) {
		ret = mqws_refuse_req(h, 426, "unsupported WebSocket version (only 13)",
		                      "Sec-WebSocket-Version: 13\r\n");
		goto out;
	}
	if (nb_key != 1 || !mqttp_ws_key_valid(key.ptr, key.len)) {
		ret = mqws_refuse_req(h, 400, "missing or invalid Sec-WebSocket-Key", NULL);
		goto out;
	}
	if (proto_bad) {
		ret = mqws_refuse_req(h, 400, "malformed Sec-WebSocket-Protocol", NULL);
		goto out;
	}
	if (!mqtt) {
		ret = mqws_refuse_req(h, 400, "Sec-WebSocket-Protocol does not offer mqtt", NULL);
		goto out;
	}
	if (accept)
		mqttp_ws_accept(key.ptr, key.len, h->accept);
	ret = 1;
 out:
	free_trash_chunk(copy);
	return ret;
}

/* ------------------------------------------------------------------------
 * The client's frames
 * --------------------------------------------------------------------- */

/* Frame payload callback: binary / continuation payload goes to an MQTT
 * parser, or is copied when it falls in a wanted range of the MQTT stream. */
struct mqws_sink {
	struct mqttp_parser *p;   /* feed: parser (NULL: copy mode) */
	mqttp_field_cb cb;
	void *ctx;
	unsigned long long mqtt_off;   /* MQTT stream bytes seen */
	unsigned long long want_off, want_len;
	char *out;
	unsigned long long got;
};

static void mqws_sink_cb(void *ctx, const struct mqttp_ws *ws, const struct mqttp_ws_event *ev)
{
	struct mqws_sink *k = ctx;
	const uint8_t *d = ev->data;
	size_t len = ev->len, used;

	if (ev->type != MQTTP_WS_EV_PAYLOAD || ws->opcode >= MQTTP_WS_CLOSE_FRAME)
		return;
	if (k->p) {
		while (len && k->p->status == MQTTP_NEED_MORE) {
			used = 0;
			mqttp_feed(k->p, d, len, &used, k->cb, k->ctx);
			d += used;
			len -= used;
			if (!used)
				break;
		}
		return;
	}
	/* copy mode: the part of [mqtt_off, mqtt_off + len) that is wanted */
	if (k->mqtt_off + len > k->want_off && k->mqtt_off < k->want_off + k->want_len) {
		unsigned long long a = k->mqtt_off > k->want_off ? k->mqtt_off : k->want_off;
		unsigned long long b = k->mqtt_off + len;

		if (b > k->want_off + k->want_len)
			b = k->want_off + k->want_len;
		memcpy(k->out + (a - k->want_off), d + (a - k->mqtt_off), b - a);
		k->got += b - a;
	}
	k->mqtt_off += len;
}

static void mqws_reader_init(struct mqttp_ws *rd)
{
	struct mqttp_ws_options wo;

	mqttp_ws_options_default(&wo);
	wo.checks |= MQTTP_WS_CHECK_BINARY_ONLY;
	mqttp_ws_init(rd, &wo);
}

/* Feeds channel bytes [*pos, end) (channel offsets, buffer from <base>) to
 * the reader <rd> with sink <k>, until a frame error, a close, the end of
 * the data or <stop> says the sink has enough. Returns the last status. */
static enum mqttp_ws_status mqws_run(struct channel *chn, struct mqttp_ws *rd, struct mqws_sink *k,
                                     unsigned long long *pos, unsigned long long base,
                                     unsigned long long end)
{
	enum mqttp_ws_status st = MQTTP_WS_NEED_MORE;
	const char *b1, *b2;
	size_t l1, l2, used;

	while (*pos < end) {
		if (k->p && k->p->status != MQTTP_NEED_MORE)
			break;
		if (!k->p && k->got == k->want_len)
			break;
		if (b_getblk_nc(&chn->buf, &b1, &l1, &b2, &l2, *pos - base, end - *pos) < 1)
			break;
		used = 0;
		st = mqttp_ws_feed(rd, b1, l1, &used, mqws_sink_cb, k);
		*pos += used;
		if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE || !used)
			break;
	}
	return st;
}

static int mqws_var_get(struct stream *s, struct sample *smp);

/* Is <s> a request stream to read as WebSocket? 1 yes, 0 plain MQTT, -1 not
 * decidable (nothing received, or bytes already forwarded). */
static int mqws_is_ws(struct stream *s)
{
	struct channel *chn = &s->req;
	unsigned long long total;

	if (!mqws_enabled(strm_fe(s)))
		return 0;
	total = mqa_chn_total(s, 0);
	if (!total || total != c_data(chn))
		return -1;
	return (unsigned char)*b_peek(&chn->buf, 0) != 0x10;
}

void mqws_stream_init(struct mqws_stream *w, const struct stream *s)
{
	w->mode = mqws_enabled(strm_fe(s)) ? MQWS_UNKNOWN : MQWS_PLAIN;
}

int mqws_req_feed(struct stream *s, struct mqws_stream *w, struct mqttp_parser *p,
                  unsigned long long *pos, unsigned long long base, unsigned long long end,
                  mqttp_field_cb cb, void *ctx)
{
	struct mqws_sink k = { .p = p, .cb = cb, .ctx = ctx };
	struct mqws_req h;
	struct sample smp;
	enum mqttp_ws_status st;

	if (w->mode == MQWS_PLAIN)
		return 0;
	if (w->mode == MQWS_UNKNOWN) {
		int r = mqws_is_ws(s);

		if (r == 0 || *pos) {
			w->mode = MQWS_PLAIN;
			return 0;
		}
		if (r < 0)
			return -1;
		/* for speed: once mqtt-ws-handshake accepted the head (its
		 * variable is set), only its end is looked for, not parsed again */
		h.head_len = mqws_var_get(s, &smp) ? mqws_head_end(&s->req) : 0;
		if (!h.head_len) {
			r = mqws_check_req(s, &h, 0);
			if (r == 0)
				return 1;        /* head incomplete: nothing known yet */
			if (r < 0)
				return -1;
		}
		w->mode = MQWS_WS;
		*pos = h.head_len;
		mqws_reader_init(&w->rd);
	}
	st = mqws_run(&s->req, &w->rd, &k, pos, base, end);
	if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE)
		return p->status == MQTTP_NEED_MORE ? -1 : 1;
	return 1;
}

int mqws_req_bytes(struct stream *s, unsigned long long off, unsigned long long len,
                   const char **ptr)
{
	struct channel *chn = &s->req;
	struct mqws_sink k = { 0 };
	struct mqttp_ws rd;
	struct buffer *trash;
	unsigned long long pos;
	struct sample smp;
	int r;

	if (!mqws_enabled(strm_fe(s)))
		return -1;
	r = mqws_is_ws(s);
	if (r < 0) /* forwarded: a WebSocket client's bytes are gone, a plain one's may be there */
		return mqws_var_get(s, &smp) ? 0 : -1;
	if (r == 0)
		return -1;
	pos = mqws_head_end(chn);
	if (!pos)
		return 0;
	trash = get_trash_chunk();
	if (len > trash->size)
		return 0;
	k.want_off = off;
	k.want_len = len;
	k.out = trash->area;
	mqws_reader_init(&rd);
	mqws_run(chn, &rd, &k, &pos, 0, c_data(chn));
	if (k.got != len)
		return 0;
	trash->data = len;
	*ptr = trash->area;
	return 1;
}

/* What the frames after the head say so far (a fresh parse each time). */
enum mqws_scan { MQWS_SCAN_MORE, MQWS_SCAN_MQTT, MQWS_SCAN_WS_ERROR, MQWS_SCAN_CLOSE };

static enum mqws_scan mqws_scan(struct stream *s, size_t head_len, struct mqttp_ws *rd)
{
	struct mqttp_parser p;
	struct mqttp_options opt;
	struct mqws_sink k = { .p = &p };
	unsigned long long pos = head_len;
	enum mqttp_ws_status st;

	mqa_options_get(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &opt);
	mqws_reader_init(rd);
	st = mqws_run(&s->req, rd, &k, &pos, 0, c_data(&s->req));
	if (p.status != MQTTP_NEED_MORE)
		return MQWS_SCAN_MQTT;
	if (st == MQTTP_WS_ERROR)
		return MQWS_SCAN_WS_ERROR;
	if (st == MQTTP_WS_CLOSE)
		return MQWS_SCAN_CLOSE;
	return MQWS_SCAN_MORE;
}

/* ------------------------------------------------------------------------
 * Answers
 * --------------------------------------------------------------------- */

static void mqws_log(struct stream *s, const char *side, const char *fmt, const char *detail)
{
	char addr[64];
	int port = mqa_client_addr(s, addr, sizeof(addr));

	send_log(strm_fe(s), LOG_WARNING, "mqtt-ws-handshake: client %s:%d %s: %s%s\n",
	         addr, port, side, fmt, detail ? detail : "");
}

/* Sends <len> bytes to the client and closes; counts a denied request or
 * response like HAProxy's own reject. */
static enum act_return mqws_close_with(struct stream *s, const char *msg, size_t len, int resp)
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

static const char *mqws_status_text(int status)
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

static enum act_return mqws_http_refuse(struct stream *s, const struct mqws_req *h)
{
	char msg[512];
	int n;

	n = snprintf(msg, sizeof(msg), "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\n"
	             "Content-Length: %u\r\nConnection: close\r\n%s\r\n%s\n",
	             h->status, mqws_status_text(h->status), (unsigned int)strlen(h->why) + 1,
	             h->extra ? h->extra : "", h->why);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	mqws_log(s, "refused", "", h->why);
	return mqws_close_with(s, msg, (size_t)n, 0);
}

/* A close frame (server to client) with <code> and <reason>, then close. */
static enum act_return mqws_ws_refuse(struct stream *s, unsigned int code, const char *reason, int resp)
{
	uint8_t fr[2 + 2 + 123];
	size_t n, rl = strlen(reason);

	if (rl > 123)
		rl = 123;
	n = mqttp_ws_encode_close(fr, sizeof(fr), code, reason, rl, NULL);
	return mqws_close_with(s, (const char *)fr, n, resp);
}

size_t mqws_wrap_refusal(struct stream *s, uint8_t *pkt, size_t len, size_t cap)
{
	struct sample smp;
	uint8_t copy[256], out[512];
	size_t n = 0, m;

	memset(&smp, 0, sizeof(smp));
	smp_set_owner(&smp, s->be, s->sess, s, SMP_OPT_FINAL);
	if (!vars_get_by_name(MQWS_VAR, strlen(MQWS_VAR), &smp, NULL))
		return len;   /* not a WebSocket client */
	if (len > sizeof(copy))
		return 0;
	memcpy(copy, pkt, len);
	if (len) {
		n = mqttp_ws_encode_frame(out, sizeof(out), MQTTP_WS_FIN | MQTTP_WS_BINARY, copy, len, NULL);
		m = mqttp_ws_encode_close(out + n, sizeof(out) - n, 1000, "CONNECT refused", 15, NULL);
	}
	else
		m = mqttp_ws_encode_close(out, sizeof(out), 1002, "invalid CONNECT", 15, NULL);
	if (!m || n + m > cap)
		return 0;
	memcpy(pkt, out, n + m);
	return n + m;
}

/* Removes <len> bytes at <off> of <chn>'s buffer (in its input). */
static void mqws_chn_delete(struct channel *chn, size_t off, size_t len)
{
	size_t end = off + len;

	if (b_peek(&chn->buf, end) != b_tail(&chn->buf))
		b_move(&chn->buf, b_peek_ofs(&chn->buf, end), b_data(&chn->buf) - end, -len);
	b_sub(&chn->buf, len);
}

static int mqws_var_get(struct stream *s, struct sample *smp)
{
	memset(smp, 0, sizeof(*smp));
	smp_set_owner(smp, s->be, s->sess, s, SMP_OPT_FINAL);
	return vars_get_by_name(MQWS_VAR, strlen(MQWS_VAR), smp, NULL) &&
	       smp->data.type == SMP_T_STR;
}

static void mqws_var_set(struct stream *s, const char *v, size_t len)
{
	struct sample smp;

	memset(&smp, 0, sizeof(smp));
	smp_set_owner(&smp, s->be, s->sess, s, SMP_OPT_FINAL);
	smp.data.type = SMP_T_STR;
	smp.data.u.str.area = (char *)v;
	smp.data.u.str.data = len;
	vars_set_by_name(MQWS_VAR, strlen(MQWS_VAR), &smp);
}

static int mqws_may_grow(struct channel *chn)
{
	return channel_may_recv(chn) && !channel_input_closed(chn);
}

/* ------------------------------------------------------------------------
 * tcp-request content mqtt-ws-handshake
 * --------------------------------------------------------------------- */
static enum act_return mqws_act_req(struct act_rule *rule, struct proxy *px,
                                    struct session *sess, struct stream *s, int flags)
{
	struct channel *req = &s->req;
	struct mqws_req h;
	struct mqttp_ws rd;
	struct sample smp;
	char answer[256];
	int r, n, wait = !(flags & ACT_OPT_FINAL) && mqws_may_grow(req);
	unsigned int i;
	size_t head_len;

	if (IS_HTX_STRM(s))
		return ACT_RET_CONT;
	r = mqws_is_ws(s);
	if (r == 0)
		return ACT_RET_CONT;            /* plain MQTT */
	if (r > 0 && co_data(req))
		r = -1;                         /* already being forwarded */
	if (r < 0) {
		if (!mqa_chn_total(s, 0) && wait)
			return ACT_RET_YIELD;   /* nothing yet */
		return ACT_RET_CONT;            /* client gone, or already forwarded */
	}

	if (!mqws_var_get(s, &smp)) {
		r = mqws_check_req(s, &h, 1);
		if (r == 0) {
			if (wait)
				return ACT_RET_YIELD;
			h.status = channel_input_closed(req) ? 400 : 408;
			h.why = channel_input_closed(req) ? "incomplete request head" :
			        "request head not complete in time";
			h.extra = "";
			return mqws_http_refuse(s, &h);
		}
		if (r < 0)
			return mqws_http_refuse(s, &h);

		/* the extension offers leave the request, last line first */
		for (i = h.nb_ext; i-- > 0; ) {
			/* offsets from the buffer's head, where the request starts */
			mqws_chn_delete(req, h.ext_off[i], h.ext_len[i]);
			mqa_chn_total_adjust(s, 0, -(long long)h.ext_len[i]);
		}
		if (h.nb_ext)
			mqa_cache_forget(s, 0);

		n = snprintf(answer, sizeof(answer), "HTTP/1.1 101 Switching Protocols\r\n"
		             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		             "Sec-WebSocket-Accept: %.*s\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
		             MQTTP_WS_ACCEPT_LEN, h.accept);
		if (co_inject(&s->res, answer, n) != -1) {
			mqws_log(s, "error", "no room for the 101 answer in the response buffer", NULL);
			return mqws_close_with(s, NULL, 0, 0);
		}
		mqws_var_set(s, h.accept, MQTTP_WS_ACCEPT_LEN);
	}

	/* wait for the CONNECT in the frames */
	head_len = mqws_head_end(req);
	switch (mqws_scan(s, head_len, &rd)) {
	case MQWS_SCAN_MQTT:
		return ACT_RET_CONT;
	case MQWS_SCAN_WS_ERROR:
		mqws_log(s, "refused", "invalid WebSocket frame: ", mqttp_ws_error_name(rd.error));
		return mqws_ws_refuse(s, mqttp_ws_error_close_code(rd.error),
		                      mqttp_ws_error_reason(rd.error), 0);
	case MQWS_SCAN_CLOSE:
		mqws_log(s, "closed", "close frame before the CONNECT", NULL);
		return mqws_ws_refuse(s, 1000, "", 0);
	default:
		break;
	}
	if (wait)
		return ACT_RET_YIELD;
	return ACT_RET_CONT;   /* later rules decide (reject unless client id) */
}

/* ------------------------------------------------------------------------
 * tcp-response content mqtt-ws-handshake
 * --------------------------------------------------------------------- */
static enum act_return mqws_act_res(struct act_rule *rule, struct proxy *px,
                                    struct session *sess, struct stream *s, int flags)
{
	struct channel *res = &s->res;
	struct http_hdr hdrs[MQWS_MAX_HDRS];
	char expect[MQTTP_WS_ACCEPT_LEN];
	char status_line[80];
	struct buffer *copy;
	struct sample smp;
	union h1_sl sl;
	struct h1m h1m;
	size_t n = ci_data(res), i;
	int ret, upg = 0, conn = 0, acc = 0, proto = 0, ext = 0;
	const char *why = NULL;
	int wait = !(flags & ACT_OPT_FINAL) && mqws_may_grow(res);

	if (IS_HTX_STRM(s) || !mqws_var_get(s, &smp))
		return ACT_RET_CONT;         /* not a WebSocket client */
	if (smp.data.u.str.data != MQTTP_WS_ACCEPT_LEN)
		return ACT_RET_CONT;         /* broker's answer already checked */
	memcpy(expect, smp.data.u.str.area, MQTTP_WS_ACCEPT_LEN);

	if (!n) {
		if (wait)
			return ACT_RET_YIELD;
		mqws_log(s, "closed", "the broker did not answer the WebSocket handshake", NULL);
		return mqws_ws_refuse(s, 1014, "no WebSocket answer from the broker", 1);
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
	ret = h1_headers_to_hdr_list(copy->area, copy->area + n, hdrs, MQWS_MAX_HDRS, &h1m, &sl);
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
		for (i = 0; i < MQWS_MAX_HDRS && isttest(hdrs[i].n) && hdrs[i].n.len; i++) {
			struct ist nm = hdrs[i].n, v = mqws_trim(hdrs[i].v);

			if (isteq(nm, ist("upgrade")))
				upg |= mqws_list_has(v, "websocket");
			else if (isteq(nm, ist("connection")))
				conn |= mqws_list_has(v, "upgrade");
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
		mqws_log(s, "closed", why, status_line);
		return mqws_ws_refuse(s, 1014, "the broker refused the WebSocket connection", 1);
	}
	mqws_chn_delete(res, co_data(res), (size_t)ret);
	mqa_chn_total_adjust(s, 1, -(long long)ret);
	mqa_cache_forget(s, 1);
	mqws_var_set(s, MQWS_VAR_DONE, strlen(MQWS_VAR_DONE));
	return ACT_RET_CONT;
}

/* "mqtt-ws-handshake" takes no argument. In tcp-request content it must be
 * in a frontend (or listen) section; in tcp-response content in a backend. */
static enum act_parse_ret mqws_parse(const char **args, int *orig_arg, struct proxy *px,
                                     struct act_rule *rule, char **err)
{
	unsigned int i;

	if (*args[*orig_arg] && strcmp(args[*orig_arg], "if") != 0 &&
	    strcmp(args[*orig_arg], "unless") != 0) {
		memprintf(err, "'mqtt-ws-handshake' takes no argument (got '%s')", args[*orig_arg]);
		return ACT_RET_PRS_ERR;
	}
	rule->action = ACT_CUSTOM;
	if (rule->from == ACT_F_TCP_RES_CNT) {
		rule->action_ptr = mqws_act_res;
		return ACT_RET_PRS_OK;
	}
	if (!(px->cap & PR_CAP_FE) || (px->cap & PR_CAP_DEF)) {
		memprintf(err, "'tcp-request content mqtt-ws-handshake' is only allowed in a frontend "
		          "or listen section");
		return ACT_RET_PRS_ERR;
	}
	for (i = 0; i < mqws_nb_fe && mqws_fe[i] != px; i++)
		;
	if (i == mqws_nb_fe) {
		if (mqws_nb_fe == MQWS_MAX_FE) {
			memprintf(err, "'mqtt-ws-handshake': more than %d frontends use it", MQWS_MAX_FE);
			return ACT_RET_PRS_ERR;
		}
		mqws_fe[mqws_nb_fe++] = px;
	}
	rule->action_ptr = mqws_act_req;
	return ACT_RET_PRS_OK;
}

static struct action_kw_list mqws_tcp_req_actions = {ILH, {
	{ "mqtt-ws-handshake", mqws_parse },
	{ /* END */ }
}};
INITCALL1(STG_REGISTER, tcp_req_cont_keywords_register, &mqws_tcp_req_actions);

static struct action_kw_list mqws_tcp_res_actions = {ILH, {
	{ "mqtt-ws-handshake", mqws_parse },
	{ /* END */ }
}};
INITCALL1(STG_REGISTER, tcp_res_cont_keywords_register, &mqws_tcp_res_actions);
