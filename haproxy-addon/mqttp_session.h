/*
 * mqttp_session.h - the MQTT session of a stream (mqttp_session.c): both
 * directions' parsers, the client's WebSocket transport, the field offsets
 * of the first packet of each direction, and what the actions remember.
 * The session lives in the stream's "mqtt" filter (mqttp_filter.c), which
 * hands it out with mqa_session_get().
 */
#ifndef MQTTP_SESSION_H
#define MQTTP_SESSION_H

#include <stdint.h>

#include <haproxy/list-t.h>

#include <mqttparse.h>
#include <mqttws.h>

struct stream;
struct proxy;

/* Value fields of the first packet remembered by offset once complete. */
enum mqa_fld {
	MQA_PROTO_NAME = 0,
	MQA_WILL_TOPIC,
	MQA_WILL_PAYLOAD,
	MQA_USERNAME,
	MQA_PASSWORD,
	MQA_PROPS,       /* CONNECT or CONNACK property block */
	MQA_WILL_PROPS,  /* will property block */
	MQA_FLD__COUNT
};

/* Where a value lies in the packet (offsets from the packet's first byte). */
struct mqa_span {
	uint32_t off;
	uint32_t len;
	uint8_t done;    /* complete and checked by the parser */
};

/* One direction of a session: the parse of its first packet, then the
 * framing of every later one. */
struct mqa_dir {
	unsigned long long pos;      /* channel bytes fed to the first packet's parse */
	unsigned long long fpos;     /* channel bytes framed (once framing) */
	unsigned long long at;       /* channel offset of the packet being framed */
	unsigned long long at_frame; /* WebSocket: that of the frame holding byte <at> (<at> when a frame starts there) */
	unsigned long long pkts;     /* MQTT packets that ended, the first included */
	unsigned long long bytes;    /* their MQTT bytes (WebSocket framing excluded) */
	struct mqttp_parser *pp;     /* the first packet's parser: &p, or fr.w.mqtt */
	uint8_t started;             /* a first byte was fed */
	uint8_t dir;                 /* 0 request, 1 response */
	uint8_t ws;                  /* the bytes are WebSocket frames */
	uint8_t framing;             /* MQA_FR_*: after the first packet */
	uint8_t lost;                /* first bytes forwarded before we parsed them */
	uint8_t props_done;          /* property block complete (next field seen) */
	uint8_t will_props_done;
	uint8_t need_version;        /* response: client version unknown yet */
	uint8_t fields;              /* field events recorded in f[] */
	struct mqttp_parser p;        /* the first packet (a copy once a frame reader ended it) */
	struct mqa_span f[MQA_FLD__COUNT];
	union {
		struct mqttp_parser p;     /* plain: every packet after the first */
		struct mqttp_ws_mqtt w;    /* WebSocket: the frames, from the first packet on */
	} fr;
};

/* Framing after the first packet. */
enum {
	MQA_FR_NONE = 0,  /* the first packet is not done yet */
	MQA_FR_ON,        /* every packet is framed as bytes pass */
	MQA_FR_OFF,       /* not framed: first packet invalid, bytes unseen, a close frame */
	MQA_FR_ERROR,     /* invalid bytes: the stream is closed */
};

/* The CONNECT's client id and user name, copied once the CONNECT is whole
 * and valid so that they answer for the session's whole life: both in
 * in[] when they fit together, else the one that does not fit in a pooled
 * buffer of MQA_KEPT_MAX bytes; a longer one is not kept (it answers
 * while the CONNECT is in the buffer). */
#define MQA_KEPT_INLINE 64
#define MQA_KEPT_MAX    512
enum { MQA_KEPT_ID = 0, MQA_KEPT_USER };
enum { MQA_KEPT_NO = 0, MQA_KEPT_IN, MQA_KEPT_EXT };
struct mqa_kept {
	char *ext;                    /* pooled: the value that did not fit in in[] */
	uint16_t off[2];              /* offset of each value in in[] */
	uint16_t len[2];
	uint8_t where[2];             /* MQA_KEPT_* */
	uint8_t done;                 /* the copy was tried */
	char in[MQA_KEPT_INLINE];
};

/* Transport of the client's bytes. */
enum { MQA_WS_UNKNOWN = 0, MQA_WS_PLAIN, MQA_WS_WS };
/* Where the WebSocket opening handshake is (mqttp_ws.c sets it). */
enum { MQA_WSH_NONE = 0, MQA_WSH_BROKER_PENDING, MQA_WSH_DONE };

struct mqa_session {
	struct list live;             /* in its filter's list of live sessions of its thread */
	struct mqa_dir d[2];          /* 0: request (CONNECT), 1: response */
	uint64_t rewrites;            /* bits of the rewrite rules applied */
	struct mqa_kept kept;         /* client id and user name, for the session's life */
	uint16_t keep_alive;          /* seconds: the CONNECT's, or the CONNACK's Server Keep Alive */
	uint8_t ws_mode;              /* MQA_WS_* */
	uint8_t ws_hs;                /* MQA_WSH_* */
	uint8_t ws_err;               /* the client's frames: error or close */
	uint32_t ws_head_len;         /* the client's HTTP head, once accepted */
	/* an answer to the client waiting for the end of the broker's packet
	 * in flight (mqttp_filter.c): never injected inside a packet */
	unsigned long long ans_stop;  /* response channel offset it goes at; ~0: not known yet */
	int ans_exp;                  /* tick: past it, the close goes without the answer */
	uint8_t ans_wait;             /* an answer is waiting */
	uint8_t ans_len;
	uint8_t ans[8];
	char ws_accept[MQTTP_WS_ACCEPT_LEN]; /* awaited from the broker */
};

/* Starts the session of stream <s> (zeroed by the caller). */
void mqa_session_init(struct mqa_session *ms, const struct stream *s);

/* Frees what the session holds besides itself (before the caller frees it). */
void mqa_session_release(struct mqa_session *ms);

/* The kept client id (<which> MQA_KEPT_ID) or user name (MQA_KEPT_USER)
 * of the CONNECT into *ptr, *len; 0 when not kept (the CONNECT is not
 * whole yet, has no user name, or the value was too long). */
int mqa_session_kept(const struct mqa_session *ms, unsigned int which, const char **ptr,
                     size_t *len);

/* The first packet's state of direction <dir> (0 request, 1 response)
 * after feeding it every new byte the channel holds; field offsets are
 * recorded when <fields> is set. NULL when the stream cannot answer (HTX,
 * bytes forwarded unparsed, a broken WebSocket stream). */
struct mqa_dir *mqa_session_dir(struct stream *s, struct mqa_session *ms, unsigned int dir,
                                int fields);

/* Frames the packets of direction <dir> after its first one, up to the
 * end of the channel's input, counting them. Returns MQA_FR_ON while all
 * is well, MQA_FR_OFF when framing stopped (nothing to do), MQA_FR_ERROR
 * on invalid bytes (mqa_session_frame_error() says which). */
int mqa_session_frame(struct stream *s, struct mqa_session *ms, unsigned int dir);

/* After MQA_FR_ERROR on <dir>: the library's error, whether it is a
 * WebSocket framing error (then <e> is an enum mqttp_ws_error), and the
 * channel offset of the invalid packet's first byte (plain streams; the
 * frame reader's position for WebSocket). */
void mqa_session_frame_error(const struct mqa_session *ms, unsigned int dir, int *e, int *ws,
                             unsigned long long *at);

/* <len> bytes at offset <off> of the first packet of <dir> into *ptr
 * (zero-copy when contiguous in the buffer); 0 when no longer there. */
int mqa_session_bytes(struct stream *s, const struct mqa_session *ms, unsigned int dir,
                      uint32_t off, uint32_t len, const char **ptr);

/* Writes <v, len> over the bytes at offset <off> of the first packet of
 * <dir> in the buffer (same length), masked again with the frame's key
 * for a WebSocket client's frames; 0 when they are no longer all there. */
int mqa_session_put(struct stream *s, const struct mqa_session *ms, unsigned int dir,
                    uint32_t off, const uint8_t *v, uint32_t len);

/* The request's first packet was replaced in place by <pkt, len> (a
 * rewrite): its state becomes the parse of the new bytes. */
void mqa_session_replaced(struct stream *s, struct mqa_session *ms, const char *pkt, size_t len);

/* The response's bytes before the first packet changed (the broker's
 * WebSocket answer removed): the response parse starts again. */
void mqa_session_res_restart(struct mqa_session *ms);

/* Frontend <px> reads WebSocket clients (mqtt-ws-handshake, at parse). */
int mqa_session_ws_frontend(const struct proxy *px);

/* Field offsets are recorded from the start by every session (a field
 * fetch is in the configuration). */
void mqa_session_want_fields(void);

/* Process-wide counters: bytes fed to the CONNECTs' parse, and sessions
 * whose first request byte was parsed. */
unsigned long long mqa_session_bytes_fed(void);
unsigned long long mqa_session_count(void);

#endif /* MQTTP_SESSION_H */
