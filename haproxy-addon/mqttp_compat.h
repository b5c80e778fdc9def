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

#ifdef COUNTERS_SHARED_TG
#define MQA_HAVE_SC_BYTES_IN 1
#define MQA_HAVE_TG_COUNTERS 1
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
