/*
 * machine.h - the state machine's private interface: its steps and flags,
 * and what the accelerator (fast.c) shares with it. Only the library's
 * sources include it.
 */
#ifndef MQTTP_MACHINE_H
#define MQTTP_MACHINE_H

#include "internal.h"

/* Grammar steps. */
enum {
	ST_TYPE = 0, ST_LEN, ST_SKIP,
	ST_C_NAME, ST_C_LEVEL, ST_C_FLAGS, ST_C_KEEPALIVE, ST_C_PROPS,
	ST_C_CLIENT_ID, ST_C_WILL_PROPS, ST_C_WILL_TOPIC, ST_C_WILL_PAYLOAD,
	ST_C_USERNAME, ST_C_PASSWORD,
	ST_A_FLAGS, ST_A_CODE, ST_A_PROPS,
	ST_P_TOPIC, ST_P_PACKET_ID, ST_P_PROPS, ST_P_PAYLOAD,
	ST_K_PACKET_ID, ST_K_CODE, ST_K_PROPS, /* PUBACK .. PUBCOMP, DISCONNECT, AUTH */
	ST_S_PACKET_ID, ST_S_PROPS, ST_S_FILTER, ST_S_OPTIONS, ST_S_CODE /* (UN)SUBSCRIBE, (UN)SUBACK */
};

/* Primitives. */
enum { R_NONE = 0, R_INT, R_VBI, R_LEN_HI, R_LEN_LO, R_BYTES };

/* How a run of bytes is treated. */
enum { E_BIN = 0, E_STR, E_NAME, E_SKIP, E_FILTER };

/* Property block steps. */
enum { P_NONE = 0, P_BLOCKLEN, P_ID, P_VALUE, P_PAIR_KEY, P_PAIR_VALUE };

/* Private flags (hflags). */
#define H_DEFER_HDRFLAGS 0x01 /* CONNECT header flags != 0 (lenient 3.1) */
#define H_DEFER_NONMIN   0x02 /* non-minimal remaining length (lenient) */
#define H_DEFER_TOOLARGE 0x04 /* CONNECT over max_packet_size */
#define H_MQISDP         0x08 /* protocol name of length 6 */
#define H_TOPIC          0x10 /* the string being read is a topic name */
#define H_WILDCARD       0x20 /* ... and it held '+' or '#' */
#define H_MUTE           0x40 /* do not report this property (it will fail) */
#define H_EMPTY_TOPIC    0x80 /* a 5.0 PUBLISH's topic name is empty */
#define H_ENTRY          0x80 /* (UN)SUBSCRIBE, (UN)SUBACK: an entry was read */

/* Options kept in p->priv_checks beyond the public MQTTP_CHECK_* bits. */
#define K_VERSION_SET 0x80


struct sink {
	mqttp_field_cb cb;
	void *ctx;
};

/* A new packet's public fields, before the caller sets its framing
 * (offset, lengths, have); the accelerator's packets end with these too. */
static inline void mqttp__packet_public(struct mqttp_parser *p, unsigned type, unsigned flags)
{
	p->type = (uint8_t)type;
	p->header_flags = (uint8_t)flags;
	p->user_properties = 0;
	p->connect_flags = 0;
	p->connack_flags = 0;
	p->reason_code = 0;
	p->keep_alive = 0;
	p->client_id_off = 0;
	p->client_id_len = 0;
	p->bridge = 0;
}

/* A new packet: forget the previous one's fields (public and per-packet
 * private ones); the framing fields are set by the caller. */
static inline void mqttp__packet_begin(struct mqttp_parser *p, unsigned type, unsigned flags)
{
	mqttp__packet_public(p, type, flags);
	p->header_len = 0;
	p->remaining_length = 0;
	p->offset = 0;
	p->have = 0;
	p->priv_hflags = 0;
	p->priv_in_props = 0;
	p->priv_pst = P_NONE;
}

/* "MQTT" / "MQIsdp", compared as they arrive. */
static inline int mqttp__name_byte_ok(const struct mqttp_parser *p, uint32_t pos, uint8_t b)
{
	/* past the names' 2-byte length */
	uint8_t want = (uint8_t)((p->priv_hflags & H_MQISDP) ? MQTTP__NAME_MQISDP[2 + pos] : MQTTP__NAME_MQTT[2 + pos]);

	if (b == want)
		return 1;
	if (p->priv_lenient & MQTTP_LENIENT_PROTOCOL_NAME) {
		uint8_t lb = (uint8_t)(b | 0x20), lw = (uint8_t)(want | 0x20);
		return lb == lw && lw >= 'a' && lw <= 'z';
	}
	return 0;
}


/* The state machine over d[0, len) (len >= 1), from wherever the parser
 * stands: mqttp_feed's contract. */
MQTTP_HIDDEN enum mqttp_status mqttp__machine_feed(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                   size_t *consumed, mqttp_field_cb cb, void *ctx);
/* Report a fragment [frag, frag + n) of the string/binary value being read. */
MQTTP_HIDDEN void mqttp__emit_frag(const struct mqttp_parser *p, const struct sink *k,
                                   const uint8_t *frag, uint32_t n, int last);

#endif
