/*
 * mqttp_ws.h - MQTT over WebSocket (RFC 6455, subprotocol "mqtt") as a
 * transport of the request-side sample fetches (mqttp_ws.c). The hooks the
 * rest of the addon calls; the WebSocket glue itself stays in mqttp_ws.c.
 */
#ifndef MQTTP_WS_H
#define MQTTP_WS_H

#include <mqttparse.h>
#include <mqttws.h>

struct stream;
struct session;

/* Per stream request-side state, kept in the addon's parse cache entry
 * (zeroed with it: mode MQWS_UNKNOWN). */
enum { MQWS_UNKNOWN = 0, MQWS_PLAIN, MQWS_WS };
struct mqws_stream {
	uint8_t mode;
	struct mqttp_ws rd;   /* the client's frames after the opening handshake */
};

/* Sets <w> up for a new request parse of stream <s>: plain at once when
 * the stream's frontend has no mqtt-ws-handshake rule (so the other hooks
 * are skipped), else unknown until the first bytes tell. */
void mqws_stream_init(struct mqws_stream *w, const struct stream *s);

/*
 * Feeds the request bytes [*pos, end) of stream <s> to <p> when the stream
 * is MQTT over WebSocket: the opening handshake is skipped (once it is
 * complete and valid) and the payload of the binary / continuation frames
 * goes to mqttp_feed() with <cb>/<ctx>. <base> is the channel offset of the
 * buffer's first byte. Returns 0 for a plain MQTT stream (the caller feeds
 * the bytes itself), 1 when it fed what it could, -1 when the stream cannot
 * give an MQTT verdict (invalid handshake, a framing error, a close frame):
 * every fetch is then a final "not found".
 */
int mqws_req_feed(struct stream *s, struct mqws_stream *w, struct mqttp_parser *p,
                  unsigned long long *pos, unsigned long long base, unsigned long long end,
                  mqttp_field_cb cb, void *ctx);

/*
 * Bytes [off, off + len) of the client's MQTT stream (unmasked frame
 * payload) into *ptr, for a WebSocket stream. Returns 1 when done, 0 when
 * they are not available (forwarded, or not arrived), -1 when <s> is not a
 * WebSocket stream (the caller reads the channel itself).
 */
int mqws_req_bytes(struct stream *s, unsigned long long off, unsigned long long len,
                   const char **ptr);

/*
 * mqtt-refuse on a WebSocket stream: turns the <len> bytes of the answer
 * in pkt[0..cap) (a CONNACK, or nothing for a plain close) into a binary
 * frame carrying them followed by a close frame, in place. Returns the new
 * length; <len> unchanged for a plain MQTT stream.
 */
size_t mqws_wrap_refusal(struct stream *s, uint8_t *pkt, size_t len, size_t cap);

#endif /* MQTTP_WS_H */
