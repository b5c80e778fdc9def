/*
 * fuzz_session_shim.c - the HAProxy around the addon's session code for
 * fuzz_session: the few HAProxy symbols haproxy-addon/mqttp_session.c links
 * to (pools, trash chunks, initcall stages), the addon's options getter,
 * and a stream with its two channels driven as HAProxy drives them.
 * Compiled with one HAProxy tree's include/ and -DUSE_OBSOLETE_LINKER
 * (initcalls as constructors, which ASan's padded globals do not break);
 * written from the headers' documented behaviour, no HAProxy code copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/initcall.h>
#include <haproxy/pool.h>
#include <haproxy/proxy-t.h>
#include <haproxy/session-t.h>
#include <haproxy/stconn-t.h>
#include <haproxy/stream-t.h>

#include "mqttp_compat.h"
#include "mqttp_options.h"
#include "mqttp_session.h"

#include "fuzz_session_shim.h"

DECLARE_INIT_STAGES;

/* ---- HAProxy symbols the session links to ---- */

/* One pool_head per declared pool: only its size is used; every object is
 * an exact-size malloc, so ASan sees an overrun of a pooled buffer. */
#ifdef MEM_F_STATREG
/* from 3.1 on, a pool is declared with a registration record */
void create_pool_callback(struct pool_head **ptr, char *name, struct pool_registration *reg)
{
	unsigned int size = (unsigned int)reg->size;
#else
void create_pool_callback(struct pool_head **ptr, char *name, unsigned int size)
{
#endif
	struct pool_head *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	p->size = size;
	strncpy(p->name, name, sizeof(p->name) - 1);
	*ptr = p;
}

void *__pool_alloc(struct pool_head *pool, unsigned int flags)
{
	if (!pool)
		abort(); /* a pool used before its initcall ran */
	return (flags & POOL_F_MUST_ZERO) ? calloc(1, pool->size) : malloc(pool->size);
}

void __pool_free(struct pool_head *pool, void *ptr)
{
	free(ptr);
}

/* A BUG_ON() of HAProxy's inline buffer and channel code that fails: the
 * fuzzer must stop on it, with the message. */
void complain(int *counter, const char *msg, int taint)
{
	fputs(msg, stderr);
	abort();
}

void ha_backtrace_to_stderr(void)
{
}

/* HAProxy hands out a thread's two trash chunks in turn, tune.bufsize each. */
#define FZS_TRASH 16384
static struct buffer fzs_trash[2];
static int fzs_trash_next;

struct buffer *get_trash_chunk(void)
{
	struct buffer *b = &fzs_trash[fzs_trash_next];

	fzs_trash_next ^= 1;
	if (!b->area && !(b->area = malloc(FZS_TRASH)))
		abort();
	b->size = FZS_TRASH;
	b->data = 0;
	b->head = 0;
	b->area[0] = 0;
	return b;
}

/* The options of a configuration without mqtt-lenient / mqtt-max-* (the
 * session keeps a request parser template per thread, so they must not
 * change while the process runs). */
void mqa_options_get(struct mqttp_options *opt)
{
	memset(opt, 0, sizeof(*opt));
}

void fzs_options(struct mqttp_options *opt)
{
	mqa_options_get(opt);
}

/* ---- the stream ---- */

static struct proxy fzs_fe[2];        /* [1]: has mqtt-ws-handshake */
static struct session fzs_sess;
static struct stconn fzs_scf, fzs_scb;
static struct stream fzs_strm;
static struct mqa_session *fzs_ms;
static int fzs_ready;

static void fzs_init_once(void)
{
	const struct initcall *ic;

	if (fzs_ready)
		return;
	/* the pools' initcalls, as RUN_INITCALLS(STG_POOL) walks them (3.4's
	 * also records the caller, which the pools do not read) */
	for (ic = __initstg[STG_POOL]; ic; ic = ic->next)
		ic->fct(ic->arg1, ic->arg2, ic->arg3);
	mqa_session_ws_frontend(&fzs_fe[1]);
	if (getenv("FZ_SESSION_FIELDS"))
		mqa_session_want_fields();
	fzs_ready = 1;
}

void fzs_start(const size_t size[2], const size_t head[2], int ws)
{
	struct stream *s = &fzs_strm;
	unsigned int dir;

	fzs_init_once();
	memset(s, 0, sizeof(*s));
	memset(&fzs_sess, 0, sizeof(fzs_sess));
	memset(&fzs_scf, 0, sizeof(fzs_scf));
	memset(&fzs_scb, 0, sizeof(fzs_scb));
	fzs_sess.fe = &fzs_fe[!!ws];
	s->sess = &fzs_sess;
	s->scf = &fzs_scf;
	s->scb = &fzs_scb;
	for (dir = 0; dir < 2; dir++) {
		struct channel *c = dir ? &s->res : &s->req;
		char *area = malloc(size[dir]);

		if (!area)
			abort();
		c->buf = b_make(area, size[dir], head[dir] % size[dir], 0);
		c->output = 0;
	}
	s->res.flags |= CF_ISRESP;
	/* the filter's attach */
	fzs_ms = calloc(1, sizeof(*fzs_ms));
	if (!fzs_ms)
		abort();
	mqa_session_init(fzs_ms, s);
}

void fzs_end(void)
{
	mqa_session_release(fzs_ms);
	free(fzs_ms);
	fzs_ms = NULL;
	free(fzs_strm.req.buf.area);
	free(fzs_strm.res.buf.area);
	fzs_strm.req.buf.area = fzs_strm.res.buf.area = NULL;
}

static struct channel *fzs_chn(unsigned int dir)
{
	return dir ? &fzs_strm.res : &fzs_strm.req;
}

/* <len> bytes at the buffer's tail, wrapping (b_putblk() is not inline in
 * every tree); returns how many fit. */
static size_t fzs_put(struct buffer *b, const void *data, size_t len)
{
	size_t i;

	if (len > b_room(b))
		len = b_room(b);
	for (i = 0; i < len; i++) {
		*b_tail(b) = ((const char *)data)[i];
		b_add(b, 1);
	}
	return len;
}

size_t fzs_deliver(unsigned int dir, const uint8_t *data, size_t len)
{
	size_t n = fzs_put(&fzs_chn(dir)->buf, data, len);

	mqa_chn_total_adjust(&fzs_strm, dir, (long long)n);
	return n;
}

size_t fzs_room(unsigned int dir)
{
	return b_room(&fzs_chn(dir)->buf);
}

size_t fzs_output(unsigned int dir)
{
	return co_data(fzs_chn(dir));
}

size_t fzs_input(unsigned int dir)
{
	return ci_data(fzs_chn(dir));
}

int fzs_fetch(unsigned int dir, int fields)
{
	return mqa_session_dir(&fzs_strm, fzs_ms, dir, fields) != NULL;
}

/* mqttp_filter.c's tcp_payload as far as the session is concerned (its
 * answers, timeouts and Topic Alias cap left out). */
int fzs_payload(unsigned int dir)
{
	struct mqa_dir *d = mqa_session_dir(&fzs_strm, fzs_ms, dir, 0);

	if (!d)
		return FZS_GONE;
	if (!d->started || d->pp->status == MQTTP_NEED_MORE)
		return FZS_WAIT;
	switch (mqa_session_frame(&fzs_strm, fzs_ms, dir)) {
	case MQA_FR_ON:
		return FZS_ON;
	case MQA_FR_ERROR:
		d->framing = MQA_FR_OFF; /* answered once */
		return FZS_ERROR;
	default:
		return FZS_OFF;
	}
}

void fzs_forward(unsigned int dir)
{
	struct channel *c = fzs_chn(dir);

	c_adv(c, ci_data(c));
}

void fzs_send(unsigned int dir, size_t send)
{
	struct channel *c = fzs_chn(dir);

	if (send > co_data(c))
		send = co_data(c);
	co_skip(c, (int)send);
}

void fzs_ws_accept(size_t head_len, size_t n101)
{
	struct channel *res = &fzs_strm.res;
	char line[64];
	size_t n;

	fzs_ms->ws_head_len = (uint32_t)head_len;
	fzs_ms->ws_hs = MQA_WSH_BROKER_PENDING;
	/* co_inject(): output bytes not received from the broker */
	memset(line, 'H', sizeof(line));
	while (n101) {
		n = n101 < sizeof(line) ? n101 : sizeof(line);
		n = fzs_put(&res->buf, line, n);
		if (!n)
			break;
		c_adv(res, n);
		n101 -= n;
	}
}

void fzs_ws_broker_done(void)
{
	mqa_session_res_restart(fzs_ms);
	fzs_ms->ws_hs = MQA_WSH_DONE;
}

void fzs_view(unsigned int dir, struct fzs_view *v)
{
	const struct mqa_dir *d = &fzs_ms->d[dir];

	memset(v, 0, sizeof(*v));
	v->started = d->started;
	v->framing = d->framing;
	v->lost = d->lost;
	v->ws = d->ws;
	v->need_version = d->need_version;
	v->pos = d->pos;
	v->fpos = d->fpos;
	v->at = d->at;
	v->pkts = d->pkts;
	v->bytes = d->bytes;
	v->total = mqa_chn_total(&fzs_strm, dir);
	if (d->started && d->pp)
		v->first = *d->pp;
	if (d->ws) {
		v->fr = d->fr.w.mqtt;
		v->ws_status = d->fr.w.ws.status;
		v->ws_error = d->fr.w.ws.error;
	} else
		v->fr = d->fr.p;
}

void fzs_frame_error(unsigned int dir, int *e, int *ws, unsigned long long *at)
{
	mqa_session_frame_error(fzs_ms, dir, e, ws, at);
}

int fzs_kept(unsigned int which, const char **ptr, size_t *len)
{
	return mqa_session_kept(fzs_ms, which, ptr, len);
}
