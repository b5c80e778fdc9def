/*
 * mqttws.h - libmqttparse's WebSocket (RFC 6455) framing, for proxies,
 * sniffers and gateways that see MQTT over WebSocket.
 *
 * What it does
 *   Reads and checks frames incrementally; pulls the MQTT byte stream out
 *   of the frames into a struct mqttp_parser; encodes frames; answers the
 *   opening handshake (Sec-WebSocket-Accept) and judges its key and
 *   subprotocol values. The HTTP request itself is the caller's to parse.
 *
 * What it never does
 *   - allocate memory, do I/O, print, block or use a mutable global;
 *   - read outside [data, data + len) or write to the input: frames are
 *     unmasked into the caller's buffer or a small buffer on the stack,
 *     never in place, so a proxy can forward the client's bytes untouched;
 *   - copy a whole frame or keep a pointer past a call.
 *
 * Model
 *   A `struct mqttp_ws` (caller-owned, at most MQTTP_WS_SIZE bytes, no
 *   pointer inside) follows one direction of one connection. mqttp_ws_feed()
 *   consumes bytes up to the end of the current frame and returns
 *     MQTTP_WS_DONE      a frame ended (*consumed tells where); call again
 *                        with the rest;
 *     MQTTP_WS_CLOSE     a close frame ended: ws->close_code holds its
 *                        status code (0: none). Any later byte is an error;
 *     MQTTP_WS_NEED_MORE every byte was consumed, the frame goes on;
 *     MQTTP_WS_ERROR     ws->error says why and ws->error_offset at which
 *                        byte, counted from the frame's first byte
 *                        (ws->frame_start is that byte's offset in the
 *                        stream). Sticky until mqttp_ws_reset().
 *   The header (FIN, RSV, opcode, mask, payload length) and the payload, in
 *   pieces, unmasked, are reported to an optional callback. Any chunking of
 *   the input gives the same statuses, errors, offsets, headers and payload
 *   bytes (only the payload's cut into pieces follows the calls).
 *
 * Which rule is checked where (all on the byte that decides it):
 *   byte 0: reserved opcode (3-7, 11-15), RSV bits not allowed by the
 *           options, control frame without FIN, continuation outside a
 *           message, new data frame inside a fragmented message, text frame
 *           on an MQTT stream, any byte after a close frame;
 *   byte 1: mask bit against the direction, control frame payload over
 *           125, close payload of 1 byte, then the length limits;
 *   extended length: MSB of a 64-bit length (offset 2); at its last byte
 *           the minimal encoding and the limits (reported at offset 1);
 *   close payload: the status code (reported at its first byte), then the
 *           reason's UTF-8 (reported at the offending character's first
 *           byte).
 *   Text payloads are not UTF-8 checked (RFC 6455 8.1 leaves that to the
 *   endpoint; MQTT never accepts text frames).
 *
 * Usage: the MQTT packets in a client's WebSocket stream (after the
 * opening handshake, which mqttp_ws_accept answers)
 *   struct mqttp_ws_mqtt m;
 *   struct mqttp_options o;
 *   uint8_t scratch[4096];
 *   mqttp_options_default(&o);
 *   o.checks = MQTTP_CHECK_FROM_CLIENT;
 *   mqttp_ws_mqtt_init(&m, NULL, &o);        (frames from a client: masked)
 *   for each buffer (buf, n) read from the client:
 *       while (n > 0) {
 *           size_t used, produced;
 *           enum mqttp_ws_status st = mqttp_ws_mqtt_feed(&m, buf, n, &used,
 *                   scratch, sizeof(scratch), &produced, NULL, NULL);
 *           buf += used, n -= used;
 *           if (st == MQTTP_WS_ERROR || st == MQTTP_WS_CLOSE)
 *               close the connection (m.ws.error or m.mqtt.error says why);
 *           if (st == MQTTP_WS_DONE)
 *               an MQTT packet of type m.mqtt.type ended
 *       }
 *
 * Where the rest is
 *   mqttparse.h  the MQTT parser that mqttp_ws_mqtt feeds;
 *   mqttcodec.h  its collectors, decoders and encoders (a CONNACK to send
 *                back goes in a binary frame: mqttp_ws_encode_frame).
 */
#ifndef MQTTWS_H
#define MQTTWS_H

#include <stddef.h>
#include <stdint.h>
#include "mqttparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Frame constants (RFC 6455 5.2)
 * --------------------------------------------------------------------- */
#define MQTTP_WS_FIN  0x80    /* first header byte */
#define MQTTP_WS_RSV1 0x40
#define MQTTP_WS_RSV2 0x20
#define MQTTP_WS_RSV3 0x10
#define MQTTP_WS_MASK 0x80    /* second header byte */

enum mqttp_ws_opcode {
	MQTTP_WS_CONTINUATION = 0x0, MQTTP_WS_TEXT = 0x1, MQTTP_WS_BINARY = 0x2,
	MQTTP_WS_CLOSE_FRAME = 0x8, MQTTP_WS_PING = 0x9, MQTTP_WS_PONG = 0xA
};
#define MQTTP_WS_MAX_CONTROL_PAYLOAD 125
#define MQTTP_WS_MAX_HEADER 14  /* 2 + 8 (64-bit length) + 4 (masking key) */

/* "continuation", "text", "binary", "close", "ping", "pong"; "reserved"
 * for 3-7, 11-15 and anything above 15. */
const char *mqttp_ws_opcode_name(unsigned opcode);

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */
enum mqttp_ws_error {
	MQTTP_WS_E_NONE = 0,
	MQTTP_WS_E_OPCODE,             /* reserved opcode (5.2) */
	MQTTP_WS_E_RSV,                /* RSV bit without an extension defining it (5.2) */
	MQTTP_WS_E_CONTROL_FRAGMENTED, /* control frame without FIN (5.5) */
	MQTTP_WS_E_CONTROL_TOO_LONG,   /* control frame payload over 125 bytes (5.5) */
	MQTTP_WS_E_CONTINUATION,       /* continuation frame with no message started (5.4) */
	MQTTP_WS_E_EXPECTED_CONTINUATION, /* text/binary frame inside a fragmented message (5.4) */
	MQTTP_WS_E_UNMASKED,           /* client-to-server frame not masked (5.1) */
	MQTTP_WS_E_MASKED,             /* server-to-client frame masked (5.1) */
	MQTTP_WS_E_LENGTH_NOT_MINIMAL, /* 16/64-bit length for a shorter length (5.2) */
	MQTTP_WS_E_LENGTH_MSB,         /* 64-bit length with the most significant bit set (5.2) */
	MQTTP_WS_E_FRAME_TOO_LARGE,    /* payload over options.max_frame_payload */
	MQTTP_WS_E_MESSAGE_TOO_LARGE,  /* message over options.max_message */
	MQTTP_WS_E_TEXT_FRAME,         /* text frame on an MQTT stream [MQTT-6.0.0-1] */
	MQTTP_WS_E_CLOSE_LENGTH,       /* close payload of 1 byte (5.5.1) */
	MQTTP_WS_E_CLOSE_CODE,         /* status code not allowed in a close frame (7.4) */
	MQTTP_WS_E_CLOSE_UTF8,         /* close reason not UTF-8 (5.5.1) */
	MQTTP_WS_E_AFTER_CLOSE,        /* bytes after a close frame (5.5.1) */
	MQTTP_WS_E__COUNT
};
/* "MQTTP_WS_E_RSV" style name, and a one-line human reason. Never NULL. */
const char *mqttp_ws_error_name(enum mqttp_ws_error e);
const char *mqttp_ws_error_reason(enum mqttp_ws_error e);
/* The status code to close the connection with for this error (7.4.1):
 * 1007 for a close reason that is not UTF-8, 1009 for the size limits,
 * 1003 for a text frame on an MQTT stream, else 1002 (protocol error);
 * 0 for MQTTP_WS_E_NONE. */
unsigned mqttp_ws_error_close_code(enum mqttp_ws_error e);
/* May `code` appear in a close frame (7.4)? 1000-1003, 1007-1014 and
 * 3000-4999; never 1004-1006, 1015, unassigned 1016-2999, below 1000 or
 * above 4999. */
int mqttp_ws_close_code_valid(unsigned code);

/* ------------------------------------------------------------------------
 * Options. Strict by default.
 * --------------------------------------------------------------------- */
enum mqttp_ws_role {
	MQTTP_WS_ANY_DIRECTION = 0,  /* masks not checked (a sniffer that cannot
	                                tell directions apart; risk: a masked
	                                server frame or unmasked client frame
	                                passes, which a peer must refuse) */
	MQTTP_WS_FROM_CLIENT = 1,    /* every frame masked (5.1); the default */
	MQTTP_WS_FROM_SERVER = 2     /* no frame masked (5.1) */
};
enum mqttp_ws_lenient {
	/* Accept 16/64-bit lengths that a shorter form could carry. Risk: two
	 * readers of the stream may then disagree on what is valid. */
	MQTTP_WS_LENIENT_NON_MINIMAL_LENGTH = 1u << 0,
	/* Accept any close payload of 2+ bytes: status code and reason are
	 * reported, not judged. */
	MQTTP_WS_LENIENT_CLOSE_PAYLOAD = 1u << 1,
	MQTTP_WS_LENIENT_ALL = (1u << 2) - 1
};
/* Refuse text frames [MQTT-6.0.0-1] (always on for mqttp_ws_mqtt_*). */
#define MQTTP_WS_CHECK_BINARY_ONLY 0x01

struct mqttp_ws_options {
	uint8_t  role;              /* enum mqttp_ws_role */
	uint8_t  lenient;           /* MQTTP_WS_LENIENT_* */
	uint8_t  checks;            /* MQTTP_WS_CHECK_* */
	uint8_t  rsv_allowed;       /* RSV bits a negotiated extension defines
	                               (MQTTP_WS_RSV1 for permessage-deflate;
	                               their per-frame rules are the caller's);
	                               0: every RSV bit is an error */
	uint64_t max_frame_payload; /* bytes per data frame; 0 = no limit */
	uint64_t max_message;       /* bytes per message (all its frames); 0 = no limit */
};
/* FROM_CLIENT, strict, no RSV bit, no limit. */
void mqttp_ws_options_default(struct mqttp_ws_options *opt);

/* ------------------------------------------------------------------------
 * The frame reader
 * --------------------------------------------------------------------- */
enum mqttp_ws_status {
	MQTTP_WS_ERROR = -1,
	MQTTP_WS_NEED_MORE = 0,
	MQTTP_WS_DONE = 1,
	MQTTP_WS_CLOSE = 2
};

/* What the reader has learnt of the current frame (ws->have). */
#define MQTTP_WS_HAVE_HEADER     0x01 /* fin, rsv, opcode, masked, key, payload_len, header_len */
#define MQTTP_WS_HAVE_CLOSE_CODE 0x02 /* close_code */

/*
 * The reader state. Caller-owned; holds no pointer. Fields marked
 * read-only may be read at any time (they describe the current frame, or
 * the last finished one until the next frame's first byte); the others are
 * private.
 */
struct mqttp_ws {
	/* read-only */
	uint64_t payload_len;     /* MQTTP_WS_HAVE_HEADER */
	uint64_t payload_off;     /* payload bytes consumed so far */
	uint64_t frame_start;     /* stream offset of the frame's first byte */
	uint64_t offset;          /* stream bytes consumed so far */
	uint32_t frames;          /* frames completed on this stream */
	uint32_t error_offset;    /* with MQTTP_WS_ERROR: the offending byte,
	                             counted from the frame's first byte */
	uint16_t close_code;      /* MQTTP_WS_HAVE_CLOSE_CODE */
	uint8_t  key[4];          /* masking key, when masked */
	uint8_t  fin;             /* 1 on the final frame of a message */
	uint8_t  rsv;             /* MQTTP_WS_RSV* bits of byte 0 */
	uint8_t  opcode;          /* enum mqttp_ws_opcode */
	uint8_t  masked;
	uint8_t  header_len;      /* bytes of the header read (2..14 when complete) */
	uint8_t  message_opcode;  /* text/binary: the message the current data
	                             frame belongs to (a continuation's too) */
	uint8_t  have;            /* MQTTP_WS_HAVE_* */
	uint8_t  error;           /* enum mqttp_ws_error */
	int8_t   status;          /* enum mqttp_ws_status of the last call */

	/* private: the priv_* fields belong to the library; never read or
	 * write them (they change between releases) */
	uint8_t  priv_st;
	uint8_t  priv_nbytes;
	uint8_t  priv_in_message;
	uint8_t  priv_role, priv_lenient, priv_checks, priv_rsv_allowed;
	uint8_t  priv_utf8_need, priv_utf8_lo, priv_utf8_hi, priv_cp_start;
	uint64_t priv_acc;
	uint64_t priv_msg_len;
	uint64_t priv_max_frame_payload;
	uint64_t priv_max_message;
};
/* The reader's size is part of the ABI; it never exceeds this. */
#define MQTTP_WS_SIZE 128

/* Initialise for a new stream; opt may be NULL (the defaults). */
void mqttp_ws_init(struct mqttp_ws *ws, const struct mqttp_ws_options *opt);
/* Forget the stream and any error, keep the options. */
void mqttp_ws_reset(struct mqttp_ws *ws);

enum mqttp_ws_event_type {
	MQTTP_WS_EV_HEADER = 1,   /* the header is complete (read it in *ws) */
	MQTTP_WS_EV_PAYLOAD,      /* a piece of payload */
	MQTTP_WS_EV_END           /* the frame is complete (before DONE/CLOSE) */
};
struct mqttp_ws_event {
	uint8_t  type;            /* enum mqttp_ws_event_type */
	uint64_t off;             /* PAYLOAD: offset of the piece in the payload */
	const uint8_t *data;      /* PAYLOAD: the bytes, unmasked (into a buffer on
	                             the stack for a masked frame, else = raw);
	                             valid during the callback only */
	const uint8_t *raw;       /* PAYLOAD: the same bytes in the caller's input,
	                             as they came (still masked) */
	size_t   len;
};
typedef void (*mqttp_ws_cb)(void *ctx, const struct mqttp_ws *ws,
                            const struct mqttp_ws_event *ev);

/*
 * Feed up to len bytes; stops at the end of a frame. *consumed (never
 * NULL) receives the bytes used; cb may be NULL (then nothing is
 * unmasked). data may be NULL when len is 0; a zero-length call changes
 * nothing and returns NEED_MORE, or ERROR / CLOSE once the stream failed
 * or closed. With ERROR, *consumed counts the bytes before the one that
 * revealed the error; no event covers that byte or anything after it.
 * Payload events are cut where the calls are cut and every 256 bytes.
 */
enum mqttp_ws_status mqttp_ws_feed(struct mqttp_ws *ws, const void *data,
                                   size_t len, size_t *consumed,
                                   mqttp_ws_cb cb, void *ctx);

/* XOR n bytes with the masking key, starting at payload offset off (so the
 * key position is off % 4). dst may equal src (in place); it masks as well
 * as it unmasks. */
void mqttp_ws_unmask(uint8_t *dst, const uint8_t *src, size_t n,
                     const uint8_t key[4], uint64_t off);

/* ------------------------------------------------------------------------
 * MQTT over WebSocket: the payload of binary and continuation frames is the
 * MQTT byte stream [MQTT-6.0.0-2]: packets cut anywhere, several in one
 * frame, control frames (ping, pong) in between.
 * --------------------------------------------------------------------- */
struct mqttp_ws_mqtt {
	struct mqttp_ws ws;       /* the frames (read-only fields as above) */
	struct mqttp_parser mqtt; /* the MQTT packets (read-only fields as in
	                             mqttparse.h) */
	uint64_t mqtt_offset;     /* MQTT stream bytes fed to mqtt so far */
};

/* Both parsers; wopt/mopt may be NULL. MQTTP_WS_CHECK_BINARY_ONLY is
 * always set. For a client's stream: wopt->role FROM_CLIENT and
 * mopt->checks MQTTP_CHECK_FROM_CLIENT. */
void mqttp_ws_mqtt_init(struct mqttp_ws_mqtt *m, const struct mqttp_ws_options *wopt,
                        const struct mqttp_options *mopt);

/*
 * Feed WebSocket bytes; the unmasked MQTT bytes are written to
 * buf[0..cap) (from buf[0] on every call; *produced, never NULL, says how
 * many) and fed from there to m->mqtt with cb/ctx as in mqttp_feed.
 * Field fragments and the `ptr` members of mqttcodec.h's collectors therefore
 * point into buf: a caller that keeps the MQTT bytes passes the free end
 * of its own buffer each time (and adds *produced); one that only wants
 * the verdict or the fragments passes the same scratch buffer every time.
 * Returns
 *   MQTTP_WS_DONE      an MQTT packet ended (as mqttp_feed's MQTTP_DONE);
 *   MQTTP_WS_CLOSE     a close frame ended (m->ws.close_code; a packet
 *                      in progress stays unfinished: m->mqtt.offset > 0);
 *   MQTTP_WS_ERROR     the frames (m->ws.status == MQTTP_WS_ERROR, see
 *                      m->ws.error) or the MQTT bytes (m->mqtt.status ==
 *                      MQTTP_ERROR, m->mqtt.error) are invalid; sticky;
 *   MQTTP_WS_NEED_MORE every byte was consumed, or buf is full (then
 *                      *consumed < len).
 * In every case, call again with data + *consumed. *consumed counts
 * WebSocket bytes. cap must be at least 1; control frames are checked and
 * skipped (use mqttp_ws_feed to see their payload).
 */
enum mqttp_ws_status mqttp_ws_mqtt_feed(struct mqttp_ws_mqtt *m, const void *data,
                                        size_t len, size_t *consumed,
                                        uint8_t *buf, size_t cap, size_t *produced,
                                        mqttp_field_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Encoders. Each returns the bytes written, or 0 (nothing written past
 * cap) when cap is too small or the frame would be invalid: reserved
 * opcode, control frame without FIN or over 125 bytes, length of 2^63 or
 * more. first_byte is FIN | RSV bits | opcode; key NULL = unmasked (server
 * to client), else the payload is masked with it (client to server).
 * Lengths are always minimally encoded.
 * --------------------------------------------------------------------- */
/* The header alone (2..14 bytes); the caller sends the payload after it
 * (masked with mqttp_ws_unmask when key is given). */
size_t mqttp_ws_encode_header(uint8_t *buf, size_t cap, unsigned first_byte,
                              uint64_t payload_len, const uint8_t key[4]);
/* A whole frame with its payload (which must not overlap buf), e.g. a
 * CONNACK in a binary frame (first_byte MQTTP_WS_FIN | MQTTP_WS_BINARY)
 * or the pong answering a ping (MQTTP_WS_FIN | MQTTP_WS_PONG with the
 * ping's payload). */
size_t mqttp_ws_encode_frame(uint8_t *buf, size_t cap, unsigned first_byte,
                             const void *payload, size_t len, const uint8_t key[4]);
/* A close frame: code 0 = no payload (reason must be empty), else a code
 * mqttp_ws_close_code_valid accepts and a UTF-8 reason of at most 123
 * bytes. At most 2 + 4 + 125 bytes. */
size_t mqttp_ws_encode_close(uint8_t *buf, size_t cap, unsigned code,
                             const char *reason, size_t reason_len,
                             const uint8_t key[4]);

/* ------------------------------------------------------------------------
 * Opening handshake helpers (RFC 6455 4.2). The HTTP request is the
 * caller's to parse; these judge two header values (without surrounding
 * whitespace) and compute the answer's key.
 * --------------------------------------------------------------------- */
#define MQTTP_WS_ACCEPT_LEN 28

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key +
 * "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), 28 characters written to out
 * (no terminating NUL). Returns MQTTP_WS_ACCEPT_LEN. Takes any key bytes;
 * check them first with mqttp_ws_key_valid. */
size_t mqttp_ws_accept(const char *key, size_t key_len, char out[MQTTP_WS_ACCEPT_LEN]);
/* Is the value a base64 encoding of 16 bytes (4.1: 24 characters, the
 * last two "==", canonical, so the 22nd is one of A Q g w)? 1 or 0. */
int mqttp_ws_key_valid(const char *key, size_t len);
/*
 * Does a Sec-WebSocket-Protocol value (a comma-separated list of tokens,
 * optional spaces/tabs around them, empty elements ignored as RFC 9110
 * 5.6.1 asks) offer `name` (compared exactly, case-sensitively)? 1 yes, 0
 * no, -1 when the list is malformed (a character that is not a token
 * character, or two tokens without a comma). For MQTT: name "mqtt"
 * [MQTT-6.0.0-3].
 */
int mqttp_ws_protocol_has(const char *list, size_t len, const char *name, size_t name_len);

#ifdef __cplusplus
}
#endif
#endif /* MQTTWS_H */
