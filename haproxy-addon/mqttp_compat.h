/*
 * mqttp_compat.h - the only place where the addon knows HAProxy versions.
 *
 * The addon builds against HAProxy 2.6 to the 3.5 development branch. Where
 * HAProxy's internals differ between those trees, this header hides it, by
 * feature (a macro or type that marks the change), never by version string,
 * so a tree that backports a change gets the right code. Everything else in
 * the addon is version-free. Include it after the HAProxy headers.
 *
 * Differences handled here:
 *  - Bytes received on a channel: `struct channel.total` until 3.2,
 *    `struct stconn.bytes_in` of the producing side from 3.3 on
 *    (HAProxy commit a1b5325a7, 3.3-dev12).
 *  - "denied" counters: plain fields of fe_counters/be_counters until 3.2,
 *    per-thread-group counters from 3.3 on (16eb0fab3, 75e480d10,
 *    c24de077b). `COUNTERS_SHARED_TG` (counters-t.h) appears in exactly the
 *    trees that have both changes, so it selects both.
 *  - Log-format expressions of rules (`rule->arg.http.fmt`): a `struct
 *    lf_expr` from 3.0 on, a bare list of logformat nodes before. The log
 *    encoding options (`LOG_OPT_ENCODE`, log-t.h) came with lf_expr in the
 *    3.0 development cycle and mark it. parse_logformat_string() and
 *    build_logline() take the right type in each tree, so only init and
 *    release differ.
 *  - A stream's idle timeouts: per-channel read/write timeouts (rto/wto,
 *    armed in rex at each read) until 2.7, one I/O timeout per stream
 *    connector (scf->ioto, scb->ioto) from 2.8 on. CF_SHUTR (channel-t.h)
 *    left with the channel timeouts and marks them.
 *  - The list of proxies: a chain from `proxies_list` through px->next up
 *    to 3.4, the list `main_proxies` through px->el in 3.5-dev. No macro
 *    marks that change; PR_O_TRANSP ("option transparent"), removed in the
 *    same development cycle, stands for it.
 *  - co_inject() counts the bytes it injects as received on the channel
 *    (channel.total) until 3.2; from 3.3 on, bytes_in of the stream
 *    connector counts only what the peer sent. mqa_chn_injected() takes
 *    the addon's own bytes out of the count where they were added.
 *  - A rewrite of request bytes in place (mqttp_rewrite.c) changes how many
 *    bytes the channel holds: mqa_chn_total_adjust() moves the received
 *    count with it, so that "bytes received - bytes in the buffer" still
 *    says that nothing was forwarded.
 */
#ifndef MQTTP_COMPAT_H
#define MQTTP_COMPAT_H

#include <haproxy/api.h>
#include <haproxy/channel.h>
#include <haproxy/counters-t.h>
#include <haproxy/listener-t.h>
#include <haproxy/obj_type.h>
#include <haproxy/proxy-t.h>
#include <haproxy/server-t.h>
#include <haproxy/session-t.h>
#include <haproxy/stconn-t.h>
#include <haproxy/stream-t.h>
#include <haproxy/ticks.h>
#include <haproxy/time.h>

#include <haproxy/action-t.h>
#include <haproxy/log.h>
#include <haproxy/sample.h>

#ifdef COUNTERS_SHARED_TG
#define MQA_HAVE_SC_BYTES_IN 1
#define MQA_HAVE_TG_COUNTERS 1
#endif

#ifdef LOG_OPT_ENCODE
#define MQA_HAVE_LF_EXPR 1
#endif

/* Number of bytes received so far on the request (<dir> 0) or response
 * (<dir> 1) channel of <s>, the bytes already forwarded included: the
 * channel buffer holds the last c_data() of them. */
static inline unsigned long long mqa_chn_total(const struct stream *s, unsigned int dir)
{
#ifdef MQA_HAVE_SC_BYTES_IN
	/* the request is produced by the front side, the response by the back */
	return dir ? s->scb->bytes_in : s->scf->bytes_in;
#else
	return dir ? s->res.total : s->req.total;
#endif
}

/* Adds <delta> (may be negative) to the bytes received on the request
 * (<dir> 0) or response (<dir> 1) channel of <s>, after a rewrite in place
 * changed the number of bytes the buffer holds. The stream's "already
 * counted" mark moves with it: stream_process_counters() adds "received -
 * counted" to the frontend/backend/server/stick-counter byte counters, and
 * an unsigned difference that went below zero would add ~2^64 there. So
 * the counters keep counting what the peer really sent. */
static inline void mqa_chn_total_adjust(struct stream *s, unsigned int dir, long long delta)
{
#ifdef MQA_HAVE_SC_BYTES_IN
	if (dir) {
		s->scb->bytes_in += delta;
		s->logs.res_in += delta;
	} else {
		s->scf->bytes_in += delta;
		s->logs.req_in += delta;
	}
#else
	if (dir) {
		s->res.total += delta;
		s->logs.bytes_out += delta;
	} else {
		s->req.total += delta;
		s->logs.bytes_in += delta;
	}
#endif
}

/* <len> bytes the addon injected with co_inject() into the request (<dir>
 * 0) or response (<dir> 1) channel of <s>: not received from the peer, so
 * "received - in the buffer" stays the peer's bytes forwarded. */
static inline void mqa_chn_injected(struct stream *s, unsigned int dir, size_t len)
{
#ifndef MQA_HAVE_SC_BYTES_IN
	mqa_chn_total_adjust(s, dir, -(long long)len);
#endif
}

#ifdef CF_SHUTR
#define MQA_HAVE_CHN_TIMEOUTS 1
#endif

/* The request (<dir> 0) or response (<dir> 1) producer of <s> closed or
 * failed: no more input comes. */
static inline int mqa_input_closed(const struct stream *s, unsigned int dir)
{
#ifdef MQA_HAVE_CHN_TIMEOUTS
	return !!((dir ? s->res.flags : s->req.flags) & (CF_SHUTR | CF_READ_ERROR));
#else
	return !!((dir ? s->scb : s->scf)->flags & (SC_FL_EOS | SC_FL_ABRT_DONE | SC_FL_ABRT_WANTED |
	                                          SC_FL_ERROR));
#endif
}

/* Walks every proxy of the configuration (defaults sections excluded);
 * needs <haproxy/proxy.h>. */
#ifdef PR_O_TRANSP
#define mqa_for_each_proxy(px) for ((px) = proxies_list; (px); (px) = (px)->next)
#else
#define mqa_for_each_proxy(px) list_for_each_entry((px), &main_proxies, el)
#endif

/* Sets the idle timeout of the client side (<cli>) and of the server side
 * (<srv>) of <s>, in ticks; a negative value leaves that side alone. */
static inline void mqa_set_idle_timeouts(struct stream *s, int cli, int srv)
{
#ifdef MQA_HAVE_CHN_TIMEOUTS
	if (cli >= 0) {
		s->req.rto = s->res.wto = cli;
		if (tick_isset(s->req.rex))
			s->req.rex = tick_add_ifset(now_ms, cli);
	}
	if (srv >= 0) {
		s->res.rto = s->req.wto = srv;
		if (tick_isset(s->res.rex))
			s->res.rex = tick_add_ifset(now_ms, srv);
	}
#else
	if (cli >= 0)
		s->scf->ioto = cli;
	if (srv >= 0)
		s->scb->ioto = srv;
#endif
}

/* Prepares the log-format expression of <rule> (rule->arg.http.fmt) before
 * parse_logformat_string() fills it. */
static inline void mqa_rule_fmt_init(struct act_rule *rule)
{
#ifdef MQA_HAVE_LF_EXPR
	lf_expr_init(&rule->arg.http.fmt);
#else
	LIST_INIT(&rule->arg.http.fmt);
#endif
}

/* Frees the log-format expression of <rule>. */
static inline void mqa_rule_fmt_free(struct act_rule *rule)
{
#ifdef MQA_HAVE_LF_EXPR
	lf_expr_deinit(&rule->arg.http.fmt);
#else
	struct logformat_node *lf, *lfb;

	list_for_each_entry_safe(lf, lfb, &rule->arg.http.fmt, list) {
		LIST_DELETE(&lf->list);
		release_sample_expr(lf->expr);
		free(lf->arg);
		free(lf);
	}
#endif
}

/* Counts a request denied by a tcp-request content rule, where HAProxy's own
 * "reject" counts it: frontend and listener. */
static inline void mqa_count_denied_req(struct session *sess)
{
#ifdef MQA_HAVE_TG_COUNTERS
	if (sess->fe_tgcounters)
		_HA_ATOMIC_INC(&sess->fe_tgcounters->denied_req);
	if (sess->li_tgcounters)
		_HA_ATOMIC_INC(&sess->li_tgcounters->denied_req);
#else
	_HA_ATOMIC_INC(&sess->fe->fe_counters.denied_req);
	if (sess->listener && sess->listener->counters)
		_HA_ATOMIC_INC(&sess->listener->counters->denied_req);
#endif
}

/* Counts a response denied by a tcp-response content rule, where HAProxy's
 * own "reject" counts it: frontend, backend, listener and server. */
static inline void mqa_count_denied_resp(struct stream *s)
{
	struct session *sess = s->sess;
#ifdef MQA_HAVE_TG_COUNTERS
	if (sess->fe_tgcounters)
		_HA_ATOMIC_INC(&sess->fe_tgcounters->denied_resp);
	if (s->be_tgcounters)
		_HA_ATOMIC_INC(&s->be_tgcounters->denied_resp);
	if (sess->li_tgcounters)
		_HA_ATOMIC_INC(&sess->li_tgcounters->denied_resp);
	if (s->sv_tgcounters)
		_HA_ATOMIC_INC(&s->sv_tgcounters->denied_resp);
#else
	_HA_ATOMIC_INC(&sess->fe->fe_counters.denied_resp);
	_HA_ATOMIC_INC(&s->be->be_counters.denied_resp);
	if (sess->listener && sess->listener->counters)
		_HA_ATOMIC_INC(&sess->listener->counters->denied_resp);
	if (objt_server(s->target))
		_HA_ATOMIC_INC(&__objt_server(s->target)->counters.denied_resp);
#endif
}

#endif /* MQTTP_COMPAT_H */
