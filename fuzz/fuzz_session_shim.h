/*
 * fuzz_session_shim.h - a plain C view of the addon's session code
 * (haproxy-addon/mqttp_session.c) driven as HAProxy drives it, for
 * fuzz_session: the shim (fuzz_session_shim.c) is the only file compiled
 * with HAProxy's headers.
 */
#ifndef FUZZ_SESSION_SHIM_H
#define FUZZ_SESSION_SHIM_H

#include <stddef.h>
#include <stdint.h>

#include "mqttparse.h"

/* What the filter's tcp_payload did with a direction (fzs_payload). */
enum {
	FZS_WAIT = 0,   /* the first packet is not complete: forwarded, not framed yet */
	FZS_ON,         /* every packet framed up to the end of the input */
	FZS_OFF,        /* framing stopped: the filter unregisters from the channel */
	FZS_ERROR,      /* invalid bytes: the filter answers and unregisters */
	FZS_GONE,       /* mqa_session_dir() gave NULL: the filter unregisters */
};

/* One direction of the session, as the harness checks it. */
struct fzs_view {
	int started, framing, lost, ws;
	int need_version;            /* response: the client's version not told yet */
	unsigned long long pos, fpos, at, pkts, bytes, total;
	struct mqttp_parser first;   /* the first packet's parser (*d->pp) */
	struct mqttp_parser fr;      /* the framing parser (plain, or the WebSocket reader's) */
	int ws_status, ws_error;     /* the WebSocket reader's, when ws */
};

/* A new stream with request and response buffers of <size[dir]> bytes
 * whose empty head starts at <head[dir]>; <ws>: its frontend reads
 * WebSocket clients (mqtt-ws-handshake). The session is attached. */
void fzs_start(const size_t size[2], const size_t head[2], int ws);
/* Detaches the session, frees the stream's buffers. */
void fzs_end(void);

/* The producer puts up to <len> bytes in the channel (as much as there is
 * room for); returns how many. */
size_t fzs_deliver(unsigned int dir, const uint8_t *data, size_t len);
size_t fzs_room(unsigned int dir);
size_t fzs_output(unsigned int dir);
size_t fzs_input(unsigned int dir);

/* A fetch as a rule runs (before forwarding): mqa_session_dir(); returns
 * 1 when it answered (non-NULL). */
int fzs_fetch(unsigned int dir, int fields);
/* What the filter's tcp_payload does before the input is forwarded. */
int fzs_payload(unsigned int dir);
/* The input is forwarded (c_adv), then up to <send> output bytes leave. */
void fzs_forward(unsigned int dir);
void fzs_send(unsigned int dir, size_t send);

/* The WebSocket handshake as mqttp_ws.c records it: the client's HTTP head
 * of <head_len> bytes accepted, our 101 of <n101> bytes injected into the
 * response's output (not counted as received). */
void fzs_ws_accept(size_t head_len, size_t n101);
/* The broker's 101 was taken out of the response (nothing of it is in the
 * buffer here): the response parse starts on its frames. */
void fzs_ws_broker_done(void);

void fzs_view(unsigned int dir, struct fzs_view *v);
/* mqa_session_frame_error() */
void fzs_frame_error(unsigned int dir, int *e, int *ws, unsigned long long *at);
/* mqa_session_kept() */
int fzs_kept(unsigned int which, const char **ptr, size_t *len);
/* The options every parse of the session starts from (mqa_options_get). */
void fzs_options(struct mqttp_options *opt);

#endif /* FUZZ_SESSION_SHIM_H */
