/*
 * mqttp_filter.c - the HAProxy filter "mqtt": it owns each stream's MQTT
 * session (mqttp_session.c) for the stream's life.
 *
 *   filter mqtt [topic-alias-max <n>] [keepalive-timeout {on|off}]
 *
 * A proxy that uses an MQTT keyword (a fetch, an action, in any rule list,
 * balance or stick) and has no "filter mqtt" line gets one just before the
 * configuration check, as HAProxy does for its compression filter. One
 * instance per stream: when the frontend and the backend both declare it,
 * the first attached owns the session and the other declines.
 *
 * The filter sees the bytes before they are forwarded (tcp_payload): it
 * feeds what the fetches have not fed yet, then frames every later packet
 * both ways, answers invalid bytes, sets the idle timeouts from the keep
 * alive and caps the Topic Alias Maximum of the CONNECT and CONNACK. It
 * holds only a 5.0 CONNECT's bytes up to the end of its property block,
 * and a client's bytes after its invalid packet while the DISCONNECT waits.
 */

#include <string.h>

#include <haproxy/api.h>
#include <haproxy/acl.h>
#include <haproxy/cfgparse.h>
#include <haproxy/action-t.h>
#include <haproxy/channel.h>
#include <haproxy/filters.h>
#include <haproxy/global.h>
#include <haproxy/log.h>
#include <haproxy/pool.h>
#include <haproxy/proxy.h>
#include <haproxy/sample.h>
#include <haproxy/stream.h>
#include <haproxy/tools.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_log.h"
#include "mqttp_options.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttcodec.h>
#include <mqttws.h>

static const char *mqa_flt_id = "mqtt";

/* A proxy's "filter mqtt" line (explicit or implicit). */
struct mqa_flt_conf {
	int topic_alias_max;          /* cap in the forwarded CONNECT / CONNACK; -1: global */
	uint8_t keepalive_timeout;    /* idle timeouts from the keep alive */
	struct list *live;            /* per thread: the live sessions it owns (CLI, drain) */
};

DECLARE_STATIC_POOL(pool_head_mqa_session, "mqtt_session", sizeof(struct mqa_session));

static struct flt_ops mqa_flt_ops;

struct mqa_session *mqa_session_get(struct stream *s)
{
	struct filter *f;

	if (!s || !HAS_FILTERS(s))
		return NULL;
	list_for_each_entry(f, &strm_flt(s)->filters, list)
		if (FLT_ID(f) == mqa_flt_id && f->ctx)
			return f->ctx;
	return NULL;
}

static int mqa_flt_attach(struct stream *s, struct filter *f)
{
	struct mqa_session *ms;

	if (IS_HTX_STRM(s) || mqa_session_get(s))
		return 0; /* HTTP, or the frontend's instance owns the session */
	ms = pool_zalloc(pool_head_mqa_session);
	if (!ms)
		return -1;
	mqa_session_init(ms, s);
	LIST_APPEND(&((struct mqa_flt_conf *)f->config->conf)->live[tid], &ms->live);
	f->ctx = ms;
	return 1;
}

static void mqa_flt_detach(struct stream *s, struct filter *f)
{
	struct mqa_session *ms = f->ctx;

	LIST_DELETE(&ms->live);
	mqa_session_release(ms);
	pool_free(pool_head_mqa_session, ms);
	f->ctx = NULL;
}

static int mqa_flt_start_analyze(struct stream *s, struct filter *f, struct channel *chn)
{
	register_data_filter(s, chn, f);
	return 1;
}

/* How long a DISCONNECT waits for the end of the broker's packet in
 * flight before the close goes without it. */
#define MQA_ANSWER_GRACE_MS 5000

static void mqa_flt_first(struct stream *s, struct filter *f, struct mqa_session *ms,
                          unsigned int dir);

/* Where the broker's packet in flight ends, as a response channel offset,
 * into *stop: where framing stands when none is in flight, the CONNACK's
 * end when it just ended. Returns 0 when known, 1 while its fixed header
 * is incomplete, -1 when the response is not framed (WebSocket, framing
 * stopped): nothing says where a packet ends. */
static int mqa_flt_res_stop(struct stream *s, struct mqa_session *ms, unsigned long long *stop)
{
	const struct mqa_dir *d = &ms->d[1];
	unsigned long long end = mqa_chn_total(s, 1), base = end - c_data(&s->res), pos;
	struct mqttp_parser tmp;
	size_t used;

	if (!d->started)
		return 1;
	if (d->ws || d->lost)
		return -1;
	if (d->framing == MQA_FR_NONE) {
		*stop = d->pos;
		return d->pp->status == MQTTP_NEED_MORE ? 1 : d->pp->status == MQTTP_DONE ? 0 : -1;
	}
	if (d->framing != MQA_FR_ON)
		return -1;
	*stop = d->at;
	if (d->at == d->fpos)
		return 0;
	/* the rest of its fixed header, through a copy of the parser */
	tmp = d->fr.p;
	for (pos = d->fpos; !(tmp.have & MQTTP_HAVE_HEADER) && tmp.status == MQTTP_NEED_MORE &&
	     pos >= base && pos < end; pos++) {
		used = 0;
		mqttp_feed(&tmp, b_peek(&s->res.buf, pos - base), 1, &used, NULL, NULL);
	}
	if (!(tmp.have & MQTTP_HAVE_HEADER))
		return tmp.status == MQTTP_NEED_MORE ? 1 : -1;
	*stop = d->at + tmp.header_len + tmp.remaining_length;
	return 0;
}

/* The client's stream of WebSocket frames is between two frames and two
 * MQTT packets with nothing left to forward: frames of our own may go. */
static int mqa_flt_res_edge(struct stream *s, const struct mqa_session *ms)
{
	const struct mqa_dir *d = &ms->d[1];

	return d->ws && d->framing == MQA_FR_ON && d->at == d->fpos && d->at_frame == d->at &&
	       d->fpos == mqa_chn_total(s, 1) && !ci_data(&s->res);
}

/* The waiting answer goes now (<with> 0: the close without it): the
 * response's bytes before buffer offset <keep> are forwarded, the rest
 * dropped, the answer put after them, both sides closed. Returns how many
 * bytes the channel's buffer grew by. */
static long long mqa_flt_answer_now(struct stream *s, struct filter *f, struct mqa_session *ms,
                                    size_t keep, int with)
{
	long long delta;

	ms->ans_wait = 0;
	s->res.analyse_exp = TICK_ETERNITY;
	/* the client's bytes held since its invalid packet go too */
	unregister_data_filter(s, &s->req, f);
	delta = mqa_answer_cut(s, 1, keep, ms->ans, with ? ms->ans_len : 0);
	flt_update_offsets(f, &s->res, (int)delta);
	unregister_data_filter(s, &s->res, f);
	return delta;
}

/* The response's tcp_payload while an answer waits: the broker's packet in
 * flight is forwarded as its bytes come, then the answer goes right after
 * its last byte [MQTT-3.2.0-1]. */
static int mqa_flt_res_wait(struct stream *s, struct filter *f, struct channel *chn,
                            struct mqa_session *ms, unsigned int offset, unsigned int len)
{
	unsigned long long start = mqa_chn_total(s, 1) - c_data(chn) + offset, stop = 0;
	struct mqa_dir *d = mqa_session_dir(s, ms, 1, 0);
	unsigned int keep, dropped;
	long long delta;
	int r;

	if (d && d->started && d->framing == MQA_FR_NONE && d->pp->status == MQTTP_DONE)
		mqa_flt_first(s, f, ms, 1);
	r = mqa_flt_res_stop(s, ms, &stop);
	if (r > 0 || (r == 0 && stop > start + len)) {
		mqa_session_frame(s, ms, 1); /* stops before <stop>: its bytes are not all here */
		return len;
	}
	keep = r == 0 && stop > start ? (unsigned int)(stop - start) : 0;
	dropped = c_data(chn) - (offset + keep);
	delta = mqa_flt_answer_now(s, f, ms, offset + keep, r == 0);
	return (int)(keep + (delta + dropped));
}

/* A waiting answer whose grace is over: the close goes without it. */
static void mqa_flt_check_timeouts(struct stream *s, struct filter *f)
{
	struct mqa_session *ms = f->ctx;

	if (ms && ms->ans_wait && tick_is_expired(ms->ans_exp, now_ms))
		mqa_flt_answer_now(s, f, ms, c_data(&s->res), 0);
}

/* Invalid bytes in direction <dir> after the first packet, found in the
 * <len> bytes at buffer offset <offset> that tcp_payload was given:
 * answered as a broker would (a 5.0 client gets DISCONNECT with the
 * library's reason code, a 3.1/3.1.1 client a close); from the broker, a
 * 5.0 client gets DISCONNECT 0x82. Every valid packet before the invalid
 * one is forwarded whole, nothing after its first byte; both sides close
 * without a DISCONNECT to the broker, so it publishes the will. Returns
 * what tcp_payload forwards. */
static int mqa_flt_invalid(struct stream *s, struct filter *f, struct channel *chn,
                           struct mqa_session *ms, unsigned int dir, unsigned int offset,
                           unsigned int len)
{
	const struct mqttp_parser *first = ms->d[0].pp;
	unsigned int version = first && (first->have & MQTTP_HAVE_VERSION) ? first->version : 0;
	unsigned int reason = 0x82, code = 1002;
	unsigned long long at, start, cut;
	unsigned int keep = 0;
	long long delta, dropped;
	const char *name;
	uint8_t pkt[8], out[64];
	size_t plen = 0, n;
	int wsc = ms->ws_hs != MQA_WSH_NONE; /* the client speaks WebSocket */
	char addr[64];
	int e, ws, port;

	mqa_session_frame_error(ms, dir, &e, &ws, &at);
	name = ws ? mqttp_ws_error_name((enum mqttp_ws_error)e) : mqttp_error_name((enum mqttp_error)e);
	if (ws && !dir)
		code = mqttp_ws_error_close_code((enum mqttp_ws_error)e);
	else if (!dir && mqttp_error_reason_code((enum mqttp_error)e) > 0)
		reason = (unsigned int)mqttp_error_reason_code((enum mqttp_error)e);
	if (version == MQTTP_V5 && !(ws && !dir))
		plen = mqttp_encode_disconnect(pkt, sizeof(pkt), MQTTP_V5, reason, NULL, 0, NULL, 0);
	port = mqa_client_addr(s, addr, sizeof(addr));
	send_log(strm_fe(s), LOG_WARNING, "mqtt: client %s:%d closed: invalid bytes from the %s: %s\n",
	         addr, port, dir ? "broker" : "client", name);
	/* the channel offset of the first byte tcp_payload was given */
	start = mqa_chn_total(s, dir) - c_data(chn) + offset;
	/* WebSocket: no invalid byte passes, so the frame holding the invalid
	 * packet's first byte goes with it (and the tail of a valid packet
	 * that ends inside that frame) */
	cut = ms->d[dir].ws ? ms->d[dir].at_frame : at;
	if (cut > start)
		keep = cut - start < len ? (unsigned int)(cut - start) : len;
	dropped = c_data(chn) - (offset + keep);
	if (dir && cut < start)
		wsc = plen = 0; /* part of the frame or packet went: a bare close */
	else if (dir && cut != at)
		plen = 0; /* the MQTT stream stops inside a packet: a close frame alone */
	if (!dir && (plen || wsc)) {
		unsigned long long stop = 0;
		int r;

		mqa_session_frame(s, ms, 1); /* the broker's bytes not forwarded yet */
		r = mqa_flt_res_stop(s, ms, &stop);
		if (plen && !wsc &&
		    (r > 0 || (r == 0 && (stop != mqa_chn_total(s, 1) || ci_data(&s->res))))) {
			/* a broker's packet is in flight: the DISCONNECT waits
			 * for its end, the client's bytes from the invalid
			 * packet on are dropped, later ones held */
			b_sub(&chn->buf, dropped);
			mqa_chn_total_adjust(s, 0, -(long long)dropped);
			flt_update_offsets(f, chn, -(int)dropped);
			memcpy(ms->ans, pkt, plen);
			ms->ans_len = (uint8_t)plen;
			ms->ans_wait = 1;
			ms->ans_exp = tick_add(now_ms, MS_TO_TICKS(MQA_ANSWER_GRACE_MS));
			s->res.analyse_exp = tick_first(s->res.analyse_exp, ms->ans_exp);
			task_wakeup(s->task, TASK_WOKEN_MSG);
			return (int)keep;
		}
		if (wsc && !mqa_flt_res_edge(s, ms))
			wsc = plen = 0; /* the broker's packet or frame in flight: a bare close */
		else if (!wsc && r < 0)
			plen = 0; /* nothing says where the broker's packets end */
	}
	n = plen;
	if (wsc || plen)
		n = mqa_answer_bytes(ms, pkt, plen, code, "invalid MQTT packet", out, sizeof(out));
	unregister_data_filter(s, chn, f);
	delta = mqa_answer_cut(s, dir, offset + keep, out, n);
	flt_update_offsets(f, chn, (int)delta);
	/* the valid packets, and the answer put after them (broker's side) */
	return (int)(keep + (delta + dropped));
}

/* The stream's idle timeouts once the session's keep alive is known: 1.5
 * times it on both sides ([MQTT-3.1.2-24] in 3.1.1, [MQTT-3.1.2-22] in
 * 5.0, where the CONNACK's Server Keep Alive replaces the client's value),
 * so an expiry closes both sides without DISCONNECT and the broker
 * publishes the will. Without a keep alive (0, keepalive-timeout off, or
 * no session), "timeout tunnel" applies when set, as it would without a
 * filter on the stream; else timeout client / server stay. */
static void mqa_flt_timeouts(struct stream *s, const struct mqa_flt_conf *conf,
                             unsigned int keep_alive, int both)
{
	int t;

	if (keep_alive && conf && conf->keepalive_timeout) {
		t = MS_TO_TICKS(keep_alive * 1500U);
		mqa_set_idle_timeouts(s, t, both ? t : -1);
		return;
	}
	if (both && tick_isset(s->tunnel_timeout))
		mqa_set_idle_timeouts(s, s->tunnel_timeout, s->tunnel_timeout);
}

/* Lowers the 5.0 Topic Alias Maximum of the first packet of <dir> still in
 * the channel to <cap> in place (two bytes, same length; re-masked in a
 * WebSocket client's frames); a packet without the property announces 0
 * and is left alone. <blk, blk_len> is its property block, at <blk_off>
 * in the packet. */
static void mqa_flt_cap_alias(struct stream *s, struct mqa_session *ms, unsigned int dir,
                              const uint8_t *blk, uint32_t blk_off, uint32_t blk_len,
                              unsigned int cap)
{
	size_t pos = 0;
	uint8_t id, v[2];
	uint32_t num;
	const uint8_t *a, *b;
	uint16_t alen, blen;

	while (mqttp_property_next(blk, blk_len, &pos, &id, &num, &a, &alen, &b, &blen) == 1) {
		if (id != 0x22)
			continue;
		if (num > cap) {
			v[0] = (uint8_t)(cap >> 8);
			v[1] = (uint8_t)(cap & 0xff);
			/* its value's two bytes end at pos */
			mqa_session_put(s, ms, dir, blk_off + (uint32_t)pos - 2, v, 2);
		}
		return;
	}
}

/* The Topic Alias Maximum cap of the filter <f>. */
static unsigned int mqa_flt_cap(const struct filter *f)
{
	const struct mqa_flt_conf *conf = f->config->conf;

	return conf && conf->topic_alias_max >= 0 ? (unsigned int)conf->topic_alias_max :
	       mqa_options_topic_alias_max();
}

/* The client's 5.0 CONNECT as far as it came (d): once its property block
 * is whole in the buffer, its Topic Alias Maximum is capped (returns 1);
 * 0 while the block is not whole yet; -1 when there is nothing to cap (not
 * 5.0, invalid, bytes gone). The block follows the fixed header and ten
 * bytes: protocol name "MQTT", level, flags, keep alive [MQTT-3.1.2]. */
static int mqa_flt_cap_connect(struct stream *s, struct filter *f, struct mqa_session *ms,
                               const struct mqa_dir *d)
{
	const struct mqttp_parser *p = d->pp;
	uint32_t at, len = 0, got;
	const char *v;
	int i;

	if (p->status == MQTTP_ERROR || d->lost)
		return -1;
	if ((p->have & MQTTP_HAVE_VERSION) && p->version != MQTTP_V5)
		return -1;
	if (!(p->have & MQTTP_HAVE_KEEP_ALIVE))
		return 0;
	got = p->status == MQTTP_NEED_MORE ? p->offset : p->header_len + p->remaining_length;
	at = (uint32_t)p->header_len + 10;
	for (i = 0; ; i++) {
		if (i == 4 || at + i >= got)
			return i == 4 ? -1 : 0;
		if (!mqa_session_bytes(s, ms, 0, at + i, 1, &v))
			return -1;
		len |= (uint32_t)((unsigned char)*v & 0x7f) << (7 * i);
		if (!((unsigned char)*v & 0x80))
			break;
	}
	at += i + 1;
	if (at + len > got)
		return 0;
	if (!mqa_session_bytes(s, ms, 0, at, len, &v))
		return -1;
	mqa_flt_cap_alias(s, ms, 0, (const uint8_t *)v, at, len, mqa_flt_cap(f));
	return 1;
}

/* The client's CONNECT is held until its property block is whole, so that
 * its Topic Alias Maximum is capped before any of it goes: not past what
 * the buffer holds, nor once the client's input closed (HAProxy up to
 * 3.4.0 can lose what a filter holds then). */
static int mqa_flt_hold_connect(struct stream *s, struct filter *f, struct channel *chn,
                                struct mqa_session *ms, const struct mqa_dir *d)
{
	if (!d->started || d->framing != MQA_FR_NONE || mqa_flt_cap_connect(s, f, ms, d) != 0)
		return 0;
	return !mqa_input_closed(s, 0) && c_data(chn) < c_size(chn) - global.tune.maxrewrite;
}

/* The first packet of <dir> is complete and valid, still in the channel:
 * its keep alive sets the timeouts, its Topic Alias Maximum is capped. */
static void mqa_flt_first(struct stream *s, struct filter *f, struct mqa_session *ms,
                          unsigned int dir)
{
	const struct mqa_flt_conf *conf = f->config->conf;
	struct mqa_dir *d = &ms->d[dir];
	uint32_t len = (uint32_t)d->pp->header_len + d->pp->remaining_length;
	unsigned int cap = mqa_flt_cap(f);
	unsigned int version = ms->d[0].pp ? ms->d[0].pp->version : 0;
	struct mqttp_options opt;
	struct mqttp_result r;
	const char *pkt = NULL;

	mqa_options_get(&opt);
	if (!dir) {
		ms->keep_alive = d->pp->keep_alive;
		mqa_flt_timeouts(s, conf, ms->keep_alive, 0);
		mqa_flt_cap_connect(s, f, ms, d);
	} else {
		struct mqttp_connack c;

		if (version == MQTTP_V5 && mqa_session_bytes(s, ms, 1, 0, len, &pkt)) {
			opt.checks = MQTTP_CHECK_FROM_SERVER;
			opt.version = MQTTP_V5;
			if (mqttp_decode_connack(pkt, len, &opt, &c, &r) == MQTTP_DONE) {
				if (c.props.present & (1ull << 0x13))
					ms->keep_alive = c.props.server_keep_alive;
				mqa_flt_cap_alias(s, ms, 1, (const uint8_t *)pkt + c.props.block.off,
				                  c.props.block.off, c.props.block.len, cap);
			}
		}
		mqa_flt_timeouts(s, conf, ms->keep_alive, 1);
	}
}

/* Stops looking at <chn>'s bytes: they flow as without the filter, and
 * so does "timeout tunnel". */
static void mqa_flt_stop(struct stream *s, struct filter *f, struct channel *chn)
{
	unregister_data_filter(s, chn, f);
	if (tick_isset(s->tunnel_timeout))
		mqa_set_idle_timeouts(s, s->tunnel_timeout, s->tunnel_timeout);
}

/* Feeds the first packet of the channel's direction with what is about to
 * be forwarded, then frames every later packet; nothing is held. */
static int mqa_flt_tcp_payload(struct stream *s, struct filter *f, struct channel *chn,
                               unsigned int offset, unsigned int len)
{
	struct mqa_session *ms = f->ctx;
	unsigned int dir = (chn->flags & CF_ISRESP) ? 1 : 0;
	struct mqa_dir *d;

	/* HAProxy up to 3.4.0 leaves auto-close on while a data filter waits:
	 * the producer's close then shuts the other side as soon as the
	 * output is sent, before the input that came with the close was
	 * given here, and it is lost (fixed in 3.5-dev by e96a8b3d0) */
	channel_dont_close(chn);
	if (ms->ans_wait)
		return dir ? mqa_flt_res_wait(s, f, chn, ms, offset, len) : 0;
	d = mqa_session_dir(s, ms, dir, 0);
	if (!d) {
		mqa_flt_stop(s, f, chn);
		return len;
	}
	if (!d->started || d->pp->status == MQTTP_NEED_MORE)
		return !dir && mqa_flt_hold_connect(s, f, chn, ms, d) ? 0 : len;
	if (d->framing == MQA_FR_NONE && d->pp->status == MQTTP_DONE)
		mqa_flt_first(s, f, ms, dir);
	switch (mqa_session_frame(s, ms, dir)) {
	case MQA_FR_OFF:
		mqa_flt_stop(s, f, chn);
		break;
	case MQA_FR_ERROR:
		d->framing = MQA_FR_OFF; /* answered once */
		return mqa_flt_invalid(s, f, chn, ms, dir, offset, len);
	}
	return len;
}

/* The lists of live sessions, one per thread: only the thread that runs a
 * session changes its list; readers isolate themselves. */
static int mqa_flt_init(struct proxy *px, struct flt_conf *fconf)
{
	struct mqa_flt_conf *conf = fconf->conf;
	int i;

	conf->live = calloc(global.nbthread, sizeof(*conf->live));
	if (!conf->live)
		return -1;
	for (i = 0; i < global.nbthread; i++)
		LIST_INIT(&conf->live[i]);
	return 0;
}

/* Frees the configuration of a "filter mqtt" line. */
static void mqa_flt_deinit(struct proxy *px, struct flt_conf *fconf)
{
	struct mqa_flt_conf *conf = fconf->conf;

	if (conf)
		ha_free(&conf->live);
	ha_free(&fconf->conf);
}

static struct flt_ops mqa_flt_ops = {
	.init                  = mqa_flt_init,
	.deinit                = mqa_flt_deinit,
	.attach                = mqa_flt_attach,
	.detach                = mqa_flt_detach,
	.channel_start_analyze = mqa_flt_start_analyze,
	.tcp_payload           = mqa_flt_tcp_payload,
	.check_timeouts        = mqa_flt_check_timeouts,
};

/* Parses "filter mqtt [topic-alias-max <n>] [keepalive-timeout {on|off}]". */
static int mqa_flt_parse(char **args, int *cur_arg, struct proxy *px, struct flt_conf *fconf,
                         char **err, void *private)
{
	struct mqa_flt_conf *conf;
	int pos = *cur_arg + 1;
	char *end;
	long v;

	conf = calloc(1, sizeof(*conf));
	if (!conf) {
		memprintf(err, "'%s': out of memory", args[*cur_arg]);
		return -1;
	}
	conf->topic_alias_max = -1;
	conf->keepalive_timeout = 1;
	while (*args[pos]) {
		if (strcmp(args[pos], "topic-alias-max") == 0) {
			v = *args[pos + 1] ? strtol(args[pos + 1], &end, 10) : -1;
			if (!*args[pos + 1] || *end || v < 0 || v > 65535) {
				memprintf(err, "'filter mqtt': 'topic-alias-max' expects an integer "
				          "from 0 to 65535");
				goto fail;
			}
			conf->topic_alias_max = (int)v;
			pos += 2;
		} else if (strcmp(args[pos], "keepalive-timeout") == 0) {
			if (strcmp(args[pos + 1], "on") != 0 && strcmp(args[pos + 1], "off") != 0) {
				memprintf(err, "'filter mqtt': 'keepalive-timeout' expects 'on' or 'off'");
				goto fail;
			}
			conf->keepalive_timeout = strcmp(args[pos + 1], "on") == 0;
			pos += 2;
		} else {
			memprintf(err, "'filter mqtt': unknown option '%s' (expects "
			          "'topic-alias-max <n>' or 'keepalive-timeout {on|off}')", args[pos]);
			goto fail;
		}
	}
	fconf->id = mqa_flt_id;
	fconf->conf = conf;
	fconf->ops = &mqa_flt_ops;
	*cur_arg = pos;
	return 0;
 fail:
	free(conf);
	return -1;
}

/* ------------------------------------------------------------------------
 * Implicit declaration
 * --------------------------------------------------------------------- */

/* Fetches that read field offsets (so every session records them). */
static const char *const mqa_field_fetches[] = {
	"req.mqtt_username", "req.mqtt_password", "req.mqtt_proto_name", "req.mqtt_will_topic",
	"req.mqtt_will_payload", "req.mqtt_prop", "req.mqtt_user_prop", NULL
};

/* 1 if <expr> uses an MQTT fetch of the addon, 0 if not. */
static int mqa_expr_uses(const struct sample_expr *expr)
{
	const char *kw;
	int i;

	if (!expr || !expr->fetch || !expr->fetch->kw)
		return 0;
	kw = expr->fetch->kw;
	if (strncmp(kw, "req.mqtt_", 9) != 0 && strncmp(kw, "res.mqtt_", 9) != 0 &&
	    strncmp(kw, "mqtt_parse_", 11) != 0)
		return 0;
	for (i = 0; mqa_field_fetches[i]; i++)
		if (strcmp(kw, mqa_field_fetches[i]) == 0)
			mqa_session_want_fields();
	return 1;
}

static int mqa_cond_uses(const struct acl_cond *cond)
{
	const struct acl_term_suite *suite;
	const struct acl_term *term;
	const struct acl_expr *ae;
	int used = 0;

	if (!cond)
		return 0;
	list_for_each_entry(suite, &cond->suites, list)
		list_for_each_entry(term, &suite->terms, list)
			list_for_each_entry(ae, &term->acl->expr, list)
				used |= mqa_expr_uses(ae->smp);
	return used;
}

static int mqa_rules_use(const struct list *rules)
{
	const struct act_rule *rule;
	int used = 0;

	list_for_each_entry(rule, rules, list) {
		used |= mqa_cond_uses(rule->cond);
		if (rule->kw && rule->kw->kw && strncmp(rule->kw->kw, "mqtt-", 5) == 0)
			used = 1;
		else if (rule->kw && rule->kw->kw && strncmp(rule->kw->kw, "set-var", 7) == 0)
			used |= mqa_expr_uses(rule->arg.vars.expr);
	}
	return used;
}

/* Does proxy <px> use an MQTT keyword of the addon? */
static int mqa_proxy_uses(struct proxy *px)
{
	const struct switching_rule *sw;
	const struct server_rule *sr;
	const struct sticking_rule *st;
	int used = 0;

	used |= mqa_rules_use(&px->tcp_req.inspect_rules);
	used |= mqa_rules_use(&px->tcp_rep.inspect_rules);
	list_for_each_entry(sw, &px->switching_rules, list)
		used |= mqa_cond_uses(sw->cond);
	list_for_each_entry(sr, &px->server_rules, list)
		used |= mqa_cond_uses(sr->cond);
	list_for_each_entry(st, &px->sticking_rules, list)
		used |= mqa_cond_uses(st->cond) | mqa_expr_uses(st->expr);
	list_for_each_entry(st, &px->storersp_rules, list)
		used |= mqa_cond_uses(st->cond) | mqa_expr_uses(st->expr);
	used |= mqa_expr_uses(px->lbprm.expr);
	return used;
}

/* HAProxy's own "filter" keyword parser: an implicit declaration goes
 * through it, so the filter is declared as if written (its name for 3.4's
 * filter-sequence included). */
static int (*mqa_cfg_filter_kw)(char **args, int section_type, struct proxy *curpx,
                                const struct proxy *defpx, const char *file, int line, char **err);

static void mqa_find_filter_kw(void)
{
	struct cfg_kw_list *kwl;
	int i;

	list_for_each_entry(kwl, &cfg_keywords.list, list)
		for (i = 0; kwl->kw[i].kw; i++)
			if (kwl->kw[i].section == CFG_LISTEN && strcmp(kwl->kw[i].kw, "filter") == 0) {
				mqa_cfg_filter_kw = kwl->kw[i].parse;
				return;
			}
}

/* Adds "filter mqtt" to TCP proxy <px> if it uses an MQTT keyword and has
 * none, as the last of its filters. */
static int mqa_flt_implicit_px(struct proxy *px)
{
	struct flt_conf *fconf;
	char *args[MAX_LINE_ARGS + 1] = { (char *)"filter", (char *)"mqtt", (char *)"" };
	char *err = NULL;

	if (px->mode != PR_MODE_TCP || (px->cap & PR_CAP_DEF))
		return ERR_NONE;
	list_for_each_entry(fconf, &px->filter_configs, list)
		if (fconf->id == mqa_flt_id) {
			mqa_proxy_uses(px); /* for the field fetches */
			return ERR_NONE;
		}
	if (!mqa_proxy_uses(px))
		return ERR_NONE;
	if (!mqa_cfg_filter_kw)
		mqa_find_filter_kw();
	if (!mqa_cfg_filter_kw || mqa_cfg_filter_kw(args, CFG_LISTEN, px, NULL, px->conf.file,
	                                            px->conf.line, &err) < 0) {
		ha_alert("config: %s '%s': cannot declare the mqtt filter its MQTT keywords need: %s\n",
		         proxy_type_str(px), px->id, err ? err : "no 'filter' keyword");
		ha_free(&err);
		return ERR_ALERT | ERR_FATAL;
	}
	ha_free(&err);
	return ERR_NONE;
}

/* Before the configuration check, which adds the filter analysers to a
 * proxy with filters and checks filter-sequence. */
static int mqa_flt_implicit(void)
{
	struct proxy *px;
	int err = ERR_NONE;

	mqa_for_each_proxy(px)
		err |= mqa_flt_implicit_px(px);
	return err;
}

REGISTER_PRE_CHECK(mqa_flt_implicit);

static struct flt_kw_list mqa_flt_kws = { "MQTT", { }, {
	{ "mqtt", mqa_flt_parse, NULL },
	{ NULL, NULL, NULL },
}};

INITCALL1(STG_REGISTER, flt_register_keywords, &mqa_flt_kws);
