/*
 * fuzz_enc.c - a tiny CONNECT encoder (test code only): writes what
 * mqttp_decode_connect reported back to the wire format.
 */
#include <string.h>

#include "fuzz_enc.h"

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	int overflow;
};

/* Append n bytes (or note the overflow). */
static void put(struct wbuf *w, const void *src, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}

/* Append one byte. */
static void put8(struct wbuf *w, unsigned v)
{
	uint8_t b = (uint8_t)v;

	put(w, &b, 1);
}

/* Append a big-endian integer of n bytes. */
static void put_be(struct wbuf *w, uint32_t v, unsigned n)
{
	while (n--)
		put8(w, (v >> (8 * n)) & 0xFF);
}

/* Append a minimal variable byte integer. */
static void put_vbi(struct wbuf *w, uint32_t v)
{
	do {
		uint8_t b = v & 0x7F;

		v >>= 7;
		put8(w, v ? (b | 0x80u) : b);
	} while (v);
}

/* Append a 2-byte length and the bytes. */
static void put_str(struct wbuf *w, const uint8_t *s, size_t n)
{
	put_be(w, (uint32_t)n, 2);
	put(w, s, n);
}

/* Re-encode a property block from its walk; returns 0 if it does not walk. */
static int put_props(struct wbuf *w, const uint8_t *block, size_t len)
{
	uint8_t tmp[8192];
	struct wbuf pw = { tmp, 0, sizeof(tmp), 0 };
	size_t pos = 0;
	int r;
	uint8_t id;
	uint32_t num;
	const uint8_t *a, *b;
	uint16_t alen, blen;

	while ((r = mqttp_property_next(block, len, &pos, &id, &num, &a, &alen, &b, &blen)) == 1) {
		const struct mqttp_property_info *info = mqttp_property_info(id);

		if (!info)
			return 0;
		put_vbi(&pw, id);
		switch (info->type) {
		case MQTTP_PT_BYTE: put8(&pw, num); break;
		case MQTTP_PT_U16: put_be(&pw, num, 2); break;
		case MQTTP_PT_U32: put_be(&pw, num, 4); break;
		case MQTTP_PT_VBI: put_vbi(&pw, num); break;
		case MQTTP_PT_STRING: case MQTTP_PT_BINARY: put_str(&pw, a, alen); break;
		case MQTTP_PT_STRING_PAIR: put_str(&pw, a, alen); put_str(&pw, b, blen); break;
		default: return 0;
		}
	}
	if (r != 0 || pw.overflow)
		return 0;
	put_vbi(w, (uint32_t)pw.len);
	put(w, tmp, pw.len);
	return 1;
}

/* Encode a CONNECT from decoded fields (see header). */
size_t fz_encode_connect(uint8_t *out, size_t cap, const struct mqttp_connect *c,
                         const uint8_t *pkt, uint8_t header_flags)
{
	uint8_t body[16384];
	struct wbuf w = { body, 0, sizeof(body), 0 };
	struct wbuf o = { out, 0, cap, 0 };

	put_str(&w, pkt + c->protocol_name.off, c->protocol_name.len);
	put8(&w, c->version | (c->bridge ? 0x80u : 0));
	put8(&w, c->flags);
	put_be(&w, c->keep_alive, 2);
	if (c->version == 5 &&
	    !put_props(&w, pkt + c->props.block.off, c->props.block.len))
		return 0;
	put_str(&w, pkt + c->client_id.off, c->client_id.len);
	if (c->version == 5 && c->will_props.block.present &&
	    !put_props(&w, pkt + c->will_props.block.off, c->will_props.block.len))
		return 0;
	if (c->will_topic.present)
		put_str(&w, pkt + c->will_topic.off, c->will_topic.len);
	if (c->will_payload.present)
		put_str(&w, pkt + c->will_payload.off, c->will_payload.len);
	if (c->username.present)
		put_str(&w, pkt + c->username.off, c->username.len);
	if (c->password.present)
		put_str(&w, pkt + c->password.off, c->password.len);
	if (w.overflow)
		return 0;
	put8(&o, 0x10u | (header_flags & 15u));
	put_vbi(&o, (uint32_t)w.len);
	put(&o, body, w.len);
	return o.overflow ? 0 : o.len;
}
