/*
 * parser.c - the incremental MQTT parser: framing of every packet type,
 * CONNECT and CONNACK decoding.
 *
 * Design: a push state machine. `st` is the position in the packet's
 * grammar (which field comes next), `sub` the primitive being read (an
 * n-byte integer, a variable byte integer, the 2-byte length of a string,
 * or a run of bytes), `pst` the position inside a property block. Every
 * check is made on the byte that decides it, so the verdict and the error
 * offset depend only on the bytes, never on how they were split. Runs of
 * bytes (strings, binary data, bodies of other packets) are consumed in
 * bulk, so the work is proportional to the bytes fed.
 */
#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* speed only: 16 bytes per string check */
#endif

#include "internal.h"

/* Grammar steps. */
enum {
	ST_TYPE = 0, ST_LEN, ST_SKIP,
	ST_C_NAME, ST_C_LEVEL, ST_C_FLAGS, ST_C_KEEPALIVE, ST_C_PROPS,
	ST_C_CLIENT_ID, ST_C_WILL_PROPS, ST_C_WILL_TOPIC, ST_C_WILL_PAYLOAD,
	ST_C_USERNAME, ST_C_PASSWORD,
	ST_A_FLAGS, ST_A_CODE, ST_A_PROPS,
	ST_P_TOPIC, ST_P_PACKET_ID
};

/* Primitives. */
enum { R_NONE = 0, R_INT, R_VBI, R_LEN_HI, R_LEN_LO, R_BYTES };

/* How a run of bytes is treated. */
enum { E_BIN = 0, E_STR, E_NAME, E_SKIP };

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

/* Options kept in p->checks beyond the public MQTTP_CHECK_* bits. */
#define K_VERSION_SET 0x80

/* Record an error; always returns -1. */
static int fail(struct mqttp_parser *p, enum mqttp_error e, uint32_t off)
{
	p->error = (uint8_t)e;
	p->error_offset = off;
	p->status = MQTTP_ERROR;
	return -1;
}

/* Bytes of the packet not consumed yet. */
static uint32_t body_left(const struct mqttp_parser *p)
{
	return p->header_len + p->remaining_length - p->offset;
}

/* Bytes the current field may still use: the rest of the property block
 * inside one, else the rest of the packet. */
static uint32_t room(const struct mqttp_parser *p)
{
	return p->in_props ? p->props_left : body_left(p);
}

/* The error for a field that does not fit in room(). */
static int no_room(struct mqttp_parser *p, uint32_t off)
{
	return fail(p, p->in_props ? MQTTP_E_PROPERTY_LENGTH : MQTTP_E_TRUNCATED, off);
}

static int start_int(struct mqttp_parser *p, unsigned n)
{
	if (room(p) < n)
		return no_room(p, p->offset);
	p->sub = R_INT;
	p->nbytes = (uint8_t)n;
	p->acc = 0;
	p->fld_off = p->offset;
	return 0;
}

static int start_vbi(struct mqttp_parser *p)
{
	if (room(p) < 1)
		return no_room(p, p->offset);
	p->sub = R_VBI;
	p->nbytes = 0;
	p->acc = 0;
	p->fld_off = p->offset;
	return 0;
}

static int start_str(struct mqttp_parser *p, unsigned elem)
{
	if (room(p) < 2)
		return no_room(p, p->offset);
	p->sub = R_LEN_HI;
	p->elem = (uint8_t)elem;
	p->fld_off = p->offset;
	p->hflags &= (uint8_t)~(H_TOPIC | H_WILDCARD);
	return 0;
}

/* The event id for the value being read. */
static uint8_t field_id(const struct mqttp_parser *p)
{
	static const uint8_t by_step[] = {
		[ST_C_NAME] = MQTTP_F_PROTOCOL_NAME,
		[ST_C_LEVEL] = MQTTP_F_PROTOCOL_LEVEL,
		[ST_C_FLAGS] = MQTTP_F_CONNECT_FLAGS,
		[ST_C_KEEPALIVE] = MQTTP_F_KEEP_ALIVE,
		[ST_C_PROPS] = MQTTP_F_PROPERTY,
		[ST_C_CLIENT_ID] = MQTTP_F_CLIENT_ID,
		[ST_C_WILL_PROPS] = MQTTP_F_WILL_PROPERTY,
		[ST_C_WILL_TOPIC] = MQTTP_F_WILL_TOPIC,
		[ST_C_WILL_PAYLOAD] = MQTTP_F_WILL_PAYLOAD,
		[ST_C_USERNAME] = MQTTP_F_USERNAME,
		[ST_C_PASSWORD] = MQTTP_F_PASSWORD,
		[ST_A_FLAGS] = MQTTP_F_CONNACK_FLAGS,
		[ST_A_CODE] = MQTTP_F_REASON_CODE,
		[ST_A_PROPS] = MQTTP_F_PROPERTY,
		[ST_P_TOPIC] = MQTTP_F_TOPIC_NAME,
		[ST_P_PACKET_ID] = MQTTP_F_PACKET_ID,
	};
	return by_step[p->st];
}

struct sink {
	mqttp_field_cb cb;
	void *ctx;
};

/* Report an integer value. */
static void emit_int(const struct mqttp_parser *p, const struct sink *k,
                     uint8_t id, uint32_t value)
{
	struct mqttp_field f;

	if (!k->cb || (p->hflags & H_MUTE))
		return;
	f.id = id;
	f.prop_id = p->in_props ? p->prop_id : 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = value;
	f.off = p->fld_off;
	f.len = 0;
	f.frag = NULL;
	f.frag_off = 0;
	f.frag_len = 0;
	k->cb(k->ctx, &f);
}

/* Report a fragment [frag, frag + n) of the string/binary value. */
static void emit_frag(const struct mqttp_parser *p, const struct sink *k,
                      const uint8_t *frag, uint32_t n, int last)
{
	struct mqttp_field f;
	uint32_t done = p->fld_len - p->left;

	if (!k->cb || (p->hflags & H_MUTE) || p->elem == E_SKIP)
		return;
	f.id = field_id(p);
	f.prop_id = p->in_props ? p->prop_id : 0;
	f.pair_part = p->pst == P_PAIR_VALUE;
	f.flags = (uint8_t)((done == 0 ? MQTTP_FRAG_FIRST : 0) | (last ? MQTTP_FRAG_LAST : 0));
	f.value = p->fld_len;
	f.off = p->fld_off;
	f.len = p->fld_len;
	f.frag = frag;
	f.frag_off = done;
	f.frag_len = n;
	k->cb(k->ctx, &f);
}

/*
 * UTF-8 check of one byte that is not printable ASCII, or any byte inside
 * a multi-byte sequence (RFC 3629 table 3-7 ranges). Returns 0 or an
 * error code.
 */
static enum mqttp_error utf8_byte(struct mqttp_parser *p, uint8_t b)
{
	if (p->utf8_need == 0) {
		if (b < 0x80) {
			if (b == 0)
				return MQTTP_E_UTF8_NUL;
			if ((b < 0x20 || b == 0x7F) && !(p->lenient & MQTTP_LENIENT_CONTROL_CHARS))
				return MQTTP_E_UTF8_CONTROL;
			if ((b == '+' || b == '#') && (p->hflags & H_TOPIC))
				p->hflags |= H_WILDCARD;
			return MQTTP_E_NONE;
		}
		p->utf8_lo = 0x80;
		p->utf8_hi = 0xBF;
		if (b >= 0xC2 && b <= 0xDF) {
			p->utf8_need = 1;
			p->cp = b & 0x1Fu;
		} else if (b >= 0xE0 && b <= 0xEF) {
			p->utf8_need = 2;
			p->cp = b & 0x0Fu;
			if (b == 0xE0)
				p->utf8_lo = 0xA0; /* no overlongs */
			else if (b == 0xED)
				p->utf8_hi = 0x9F; /* no surrogates U+D800-U+DFFF */
		} else if (b >= 0xF0 && b <= 0xF4) {
			p->utf8_need = 3;
			p->cp = b & 0x07u;
			if (b == 0xF0)
				p->utf8_lo = 0x90;
			else if (b == 0xF4)
				p->utf8_hi = 0x8F; /* nothing above U+10FFFF */
		} else {
			return MQTTP_E_UTF8;
		}
		return MQTTP_E_NONE;
	}
	if (b < p->utf8_lo || b > p->utf8_hi)
		return MQTTP_E_UTF8;
	p->cp = (p->cp << 6) | (b & 0x3Fu);
	p->utf8_lo = 0x80;
	p->utf8_hi = 0xBF;
	if (--p->utf8_need == 0 && p->cp >= 0x80 && p->cp <= 0x9F &&
	    !(p->lenient & MQTTP_LENIENT_CONTROL_CHARS))
		return MQTTP_E_UTF8_CONTROL;
	return MQTTP_E_NONE;
}

/* Check d[0..n) of a UTF-8 string; on error returns the index of the
 * offending byte and sets *err, else returns n. */
static uint32_t utf8_run(struct mqttp_parser *p, const uint8_t *d, uint32_t n,
                         enum mqttp_error *err)
{
	uint32_t i = 0;

	while (i < n) {
		/* Fast path: printable ASCII outside a sequence. */
		if (p->utf8_need == 0) {
			if (p->hflags & H_TOPIC) {
				while (i < n && d[i] >= 0x20 && d[i] < 0x7F && d[i] != '+' && d[i] != '#')
					i++;
			} else {
				while (i < n && d[i] >= 0x20 && d[i] < 0x7F)
					i++;
			}
			if (i == n)
				break;
		}
		*err = utf8_byte(p, d[i]);
		if (*err != MQTTP_E_NONE)
			return i;
		i++;
	}
	*err = MQTTP_E_NONE;
	return n;
}

/* "MQTT" / "MQIsdp", compared as they arrive. */
static int name_byte_ok(const struct mqttp_parser *p, uint32_t pos, uint8_t b)
{
	static const char mqtt[] = "MQTT", mqisdp[] = "MQIsdp";
	uint8_t want = (uint8_t)((p->hflags & H_MQISDP) ? mqisdp[pos] : mqtt[pos]);

	if (b == want)
		return 1;
	if (p->lenient & MQTTP_LENIENT_PROTOCOL_NAME) {
		uint8_t lb = (uint8_t)(b | 0x20), lw = (uint8_t)(want | 0x20);
		return lb == lw && lw >= 'a' && lw <= 'z';
	}
	return 0;
}

/* --------------------------------------------------------------------- */
/* Property blocks                                                       */
/* --------------------------------------------------------------------- */

static int step_done(struct mqttp_parser *p, const struct sink *k);

static int start_props(struct mqttp_parser *p)
{
	p->pst = P_BLOCKLEN;
	return start_vbi(p);
}

static unsigned props_where(const struct mqttp_parser *p)
{
	if (p->st == ST_C_PROPS)
		return MQTTP_IN_CONNECT;
	if (p->st == ST_C_WILL_PROPS)
		return MQTTP_IN_WILL;
	return MQTTP_IN_CONNACK;
}

/* The property block ended: checks that need the whole block. */
static int props_end(struct mqttp_parser *p, const struct sink *k)
{
	if ((p->props_seen & (1ull << 0x16)) && !(p->props_seen & (1ull << 0x15)))
		return fail(p, MQTTP_E_AUTH_DATA_WITHOUT_METHOD, p->offset);
	p->in_props = 0;
	p->pst = P_NONE;
	p->sub = R_NONE;
	return step_done(p, k);
}

static int next_prop(struct mqttp_parser *p, const struct sink *k)
{
	p->hflags &= (uint8_t)~H_MUTE;
	if (p->props_left == 0)
		return props_end(p, k);
	p->pst = P_ID;
	return start_vbi(p);
}

/* Value checks of single properties [MQTT-3.1.2.11], [MQTT-3.2.2.3]. */
static int prop_value_ok(unsigned id, uint32_t v)
{
	switch (id) {
	case 0x21: /* receive maximum */
	case 0x27: /* maximum packet size */
		return v != 0;
	case 0x01: case 0x17: case 0x19: case 0x24: case 0x25:
	case 0x28: case 0x29: case 0x2A:
		return v <= 1;
	default:
		return 1;
	}
}

/* A property id was read (p->acc): start reading its value. */
static int prop_id_read(struct mqttp_parser *p)
{
	const struct mqttp_property_info *pi = mqttp_property_info(p->acc);

	if (!pi)
		return fail(p, MQTTP_E_PROPERTY_ID, p->fld_off);
	p->prop_id = pi->id;
	p->prop_off = p->fld_off;
	/* Where-allowed and duplicate checks wait for the value, as a broker
	 * reading the property first would; such properties are not reported. */
	if (!(pi->where & props_where(p)) ||
	    (!pi->repeatable && (p->props_seen & (1ull << pi->id))))
		p->hflags |= H_MUTE;
	p->pst = P_VALUE;
	switch (pi->type) {
	case MQTTP_PT_BYTE: return start_int(p, 1);
	case MQTTP_PT_U16: return start_int(p, 2);
	case MQTTP_PT_U32: return start_int(p, 4);
	case MQTTP_PT_VBI: return start_vbi(p);
	case MQTTP_PT_BINARY: return start_str(p, E_BIN);
	case MQTTP_PT_STRING_PAIR:
		p->pst = P_PAIR_KEY;
		return start_str(p, E_STR);
	default:
		if (start_str(p, E_STR) < 0)
			return -1;
		if (pi->id == 0x08)
			p->hflags |= H_TOPIC;
		return 0;
	}
}

/* The property's value was read: checks made on the whole property. */
static int prop_value_read(struct mqttp_parser *p, const struct sink *k)
{
	const struct mqttp_property_info *pi = mqttp_property_info(p->prop_id);

	if (!(pi->where & props_where(p)))
		return fail(p, MQTTP_E_PROPERTY_NOT_ALLOWED, p->prop_off);
	if (!pi->repeatable) {
		if (p->props_seen & (1ull << pi->id))
			return fail(p, MQTTP_E_PROPERTY_DUPLICATE, p->prop_off);
		p->props_seen |= 1ull << pi->id;
	}
	if (pi->type <= MQTTP_PT_VBI) {
		if (!prop_value_ok(p->prop_id, p->acc))
			return fail(p, MQTTP_E_PROPERTY_VALUE, p->fld_off);
		emit_int(p, k, p->st == ST_C_WILL_PROPS ? MQTTP_F_WILL_PROPERTY : MQTTP_F_PROPERTY, p->acc);
	} else if (pi->id == 0x08 && (p->fld_len == 0 || (p->hflags & H_WILDCARD))) {
		/* response topic is a topic name [MQTT-3.3.2-2], [MQTT-4.7.3-1] */
		return fail(p, MQTTP_E_PROPERTY_VALUE, p->fld_off);
	}
	if (pi->id == 0x26 && ++p->user_properties > p->max_user_properties)
		return fail(p, MQTTP_E_TOO_MANY_USER_PROPERTIES, p->prop_off);
	return next_prop(p, k);
}

/* A primitive finished inside a property block (or its length). */
static int prop_step(struct mqttp_parser *p, const struct sink *k)
{
	switch (p->pst) {
	case P_BLOCKLEN:
		if (p->acc > body_left(p))
			return fail(p, MQTTP_E_PROPERTY_LENGTH, p->fld_off);
		p->props_left = p->acc;
		p->props_seen = 0;
		p->in_props = p->st == ST_C_WILL_PROPS ? 2 : 1;
		if (k->cb) {
			struct mqttp_field f = { 0 };
			f.id = p->st == ST_C_WILL_PROPS ? MQTTP_F_WILL_PROPERTIES : MQTTP_F_PROPERTIES;
			f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
			f.value = p->acc;
			f.off = p->offset;
			f.len = p->acc;
			k->cb(k->ctx, &f);
		}
		return next_prop(p, k);
	case P_ID:
		return prop_id_read(p);
	case P_PAIR_KEY:
		p->pst = P_PAIR_VALUE;
		return start_str(p, E_STR);
	default: /* P_VALUE, P_PAIR_VALUE */
		return prop_value_read(p, k);
	}
}

/* --------------------------------------------------------------------- */
/* CONNECT and CONNACK grammar                                           */
/* --------------------------------------------------------------------- */

/* Frame the rest of the packet without decoding it. Returns 0 or 1. */
static int skip_rest(struct mqttp_parser *p)
{
	p->st = ST_SKIP;
	p->elem = E_SKIP;
	p->fld_off = p->offset;
	p->fld_len = p->left = body_left(p);
	p->sub = p->left ? R_BYTES : R_NONE;
	return p->left == 0;
}

/* The packet's last field was read. Returns 1 (packet done) or -1. */
static int packet_end(struct mqttp_parser *p)
{
	if (body_left(p) != 0)
		return fail(p, MQTTP_E_TRAILING_BYTES, p->offset);
	p->sub = R_NONE;
	return 1;
}

static int after_will(struct mqttp_parser *p)
{
	if (p->connect_flags & MQTTP_CF_USERNAME) {
		p->st = ST_C_USERNAME;
		return start_str(p, E_STR);
	}
	if (p->connect_flags & MQTTP_CF_PASSWORD) {
		p->st = ST_C_PASSWORD;
		return start_str(p, E_BIN);
	}
	return packet_end(p);
}

/* The protocol level byte (p->acc) of a CONNECT. */
static int level_read(struct mqttp_parser *p, const struct sink *k)
{
	uint8_t raw = (uint8_t)p->acc, lvl = raw & 0x7F;
	int mqisdp = (p->hflags & H_MQISDP) != 0;

	p->bridge = raw >> 7;
	p->version = lvl;
	p->have |= MQTTP_HAVE_VERSION;
	if (lvl < MQTTP_V31 || lvl > MQTTP_V5)
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->fld_off);
	if (mqisdp != (lvl == MQTTP_V31) && !(p->lenient & MQTTP_LENIENT_PROTOCOL_NAME))
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->fld_off);
	if (p->bridge && (p->checks & MQTTP_CHECK_NO_BRIDGE))
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->fld_off);
	/* Checks deferred until the version was known. */
	if ((p->hflags & H_DEFER_HDRFLAGS) && lvl != MQTTP_V31)
		return fail(p, MQTTP_E_HEADER_FLAGS, 0);
	if ((p->hflags & H_DEFER_NONMIN) && lvl == MQTTP_V5)
		return fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, (uint32_t)p->header_len - 1);
	if (p->hflags & H_DEFER_TOOLARGE)
		return fail(p, MQTTP_E_PACKET_TOO_LARGE, 1);
	emit_int(p, k, MQTTP_F_PROTOCOL_LEVEL, raw);
	p->st = ST_C_FLAGS;
	return start_int(p, 1);
}

/* The connect flags byte [MQTT-3.1.2-3 .. -22]. */
static int flags_read(struct mqttp_parser *p, const struct sink *k)
{
	uint8_t cf = (uint8_t)p->acc;
	unsigned qos = (cf & MQTTP_CF_WILL_QOS_MASK) >> 3;

	p->connect_flags = cf;
	if (cf & MQTTP_CF_RESERVED)
		return fail(p, MQTTP_E_CONNECT_RESERVED, p->fld_off);
	if (!(cf & MQTTP_CF_WILL) && (qos || (cf & MQTTP_CF_WILL_RETAIN)))
		return fail(p, MQTTP_E_WILL_FLAGS, p->fld_off);
	if (qos == 3)
		return fail(p, MQTTP_E_WILL_QOS, p->fld_off);
	if ((cf & MQTTP_CF_PASSWORD) && !(cf & MQTTP_CF_USERNAME) && p->version != MQTTP_V5 &&
	    !(p->lenient & MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME))
		return fail(p, MQTTP_E_PASSWORD_FLAG, p->fld_off);
	p->have |= MQTTP_HAVE_FLAGS;
	emit_int(p, k, MQTTP_F_CONNECT_FLAGS, cf);
	p->st = ST_C_KEEPALIVE;
	return start_int(p, 2);
}

/* The 2-byte length of a string was read: per-field length rules. */
static int length_read(struct mqttp_parser *p)
{
	uint32_t len = p->acc;

	if (len > room(p))
		return no_room(p, p->fld_off);
	switch (p->in_props ? 0 : p->st) {
	case ST_C_NAME:
		/* Only "MQTT" (4) and "MQIsdp" (6) exist [MQTT-3.1.2-1]. */
		if (len != 4 && len != 6)
			return fail(p, MQTTP_E_PROTOCOL_NAME, p->fld_off);
		if (len == 6)
			p->hflags |= H_MQISDP;
		break;
	case ST_C_CLIENT_ID:
		if (len == 0 && (p->version == MQTTP_V31 ||
		    (p->version == MQTTP_V311 && !(p->connect_flags & MQTTP_CF_CLEAN_START))))
			return fail(p, MQTTP_E_CLIENT_ID_EMPTY, p->fld_off);
		if (p->version == MQTTP_V31 && len > 23 && !(p->lenient & MQTTP_LENIENT_V31_LONG_CLIENT_ID))
			return fail(p, MQTTP_E_CLIENT_ID_TOO_LONG, p->fld_off);
		if (p->max_client_id_len && len > p->max_client_id_len)
			return fail(p, MQTTP_E_CLIENT_ID_TOO_LONG, p->fld_off);
		break;
	case ST_C_WILL_TOPIC:
	case ST_P_TOPIC:
		p->hflags |= H_TOPIC;
		break;
	}
	p->fld_off = p->offset;
	p->fld_len = len;
	p->left = len;
	p->utf8_need = 0;
	p->sub = R_BYTES;
	return 0;
}

/*
 * A value finished: apply its checks and start the next field. Returns 0
 * to go on, 1 when the packet is complete, -1 on error.
 */
static int step_done(struct mqttp_parser *p, const struct sink *k)
{
	if (p->pst != P_NONE)
		return prop_step(p, k);
	switch (p->st) {
	case ST_C_NAME:
		p->st = ST_C_LEVEL;
		return start_int(p, 1);
	case ST_C_LEVEL:
		return level_read(p, k);
	case ST_C_FLAGS:
		return flags_read(p, k);
	case ST_C_KEEPALIVE:
		p->keep_alive = (uint16_t)p->acc;
		p->have |= MQTTP_HAVE_KEEP_ALIVE;
		emit_int(p, k, MQTTP_F_KEEP_ALIVE, p->acc);
		if (p->version == MQTTP_V5) {
			p->st = ST_C_PROPS;
			return start_props(p);
		}
		p->st = ST_C_CLIENT_ID;
		return start_str(p, E_STR);
	case ST_C_PROPS:
		p->st = ST_C_CLIENT_ID;
		return start_str(p, E_STR);
	case ST_C_CLIENT_ID:
		p->client_id_off = p->fld_off;
		p->client_id_len = (uint16_t)p->fld_len;
		p->have |= MQTTP_HAVE_CLIENT_ID;
		if (!(p->connect_flags & MQTTP_CF_WILL))
			return after_will(p);
		if (p->version == MQTTP_V5) {
			p->st = ST_C_WILL_PROPS;
			return start_props(p);
		}
		p->st = ST_C_WILL_TOPIC;
		return start_str(p, E_STR);
	case ST_C_WILL_PROPS:
		p->st = ST_C_WILL_TOPIC;
		return start_str(p, E_STR);
	case ST_C_WILL_TOPIC:
		p->st = ST_C_WILL_PAYLOAD;
		return start_str(p, E_BIN);
	case ST_C_WILL_PAYLOAD:
		return after_will(p);
	case ST_C_USERNAME:
		if (p->connect_flags & MQTTP_CF_PASSWORD) {
			p->st = ST_C_PASSWORD;
			return start_str(p, E_BIN);
		}
		return packet_end(p);
	case ST_C_PASSWORD:
		return packet_end(p);
	case ST_A_FLAGS:
		p->connack_flags = (uint8_t)p->acc;
		if (p->acc & 0xFE) /* [MQTT-3.2.2-1] */
			return fail(p, MQTTP_E_CONNACK_FLAGS, p->fld_off);
		emit_int(p, k, MQTTP_F_CONNACK_FLAGS, p->acc);
		p->st = ST_A_CODE;
		return start_int(p, 1);
	case ST_A_CODE:
		p->reason_code = (uint8_t)p->acc;
		if (!mqttp_connack_code_valid(p->version, p->acc))
			return fail(p, MQTTP_E_REASON_CODE, p->fld_off);
		if (p->acc != 0 && (p->connack_flags & 1))
			return fail(p, MQTTP_E_SESSION_PRESENT, p->fld_off);
		p->have |= MQTTP_HAVE_CONNACK;
		emit_int(p, k, MQTTP_F_REASON_CODE, p->acc);
		if (p->version == MQTTP_V5) {
			p->st = ST_A_PROPS;
			return start_props(p);
		}
		return packet_end(p);
	case ST_A_PROPS:
		return packet_end(p);
	case ST_P_TOPIC:
		/* Topic names have no wildcards [MQTT-3.3.2-2] and are not empty
		 * [MQTT-4.7.3-1], except with a 5.0 topic alias. */
		if ((p->hflags & H_WILDCARD) || (p->fld_len == 0 && p->version != MQTTP_V5))
			return fail(p, MQTTP_E_TOPIC_NAME, p->fld_off);
		if (p->header_flags & 6) {
			p->st = ST_P_PACKET_ID;
			return start_int(p, 2);
		}
		return skip_rest(p);
	case ST_P_PACKET_ID:
		if (p->acc == 0) /* [MQTT-2.3.1-1] */
			return fail(p, MQTTP_E_PACKET_ID, p->fld_off);
		emit_int(p, k, MQTTP_F_PACKET_ID, p->acc);
		return skip_rest(p);
	default: /* ST_SKIP */
		p->sub = R_NONE;
		return 1;
	}
}

/* --------------------------------------------------------------------- */
/* Fixed header                                                          */
/* --------------------------------------------------------------------- */

/* Direction and first-packet rules for a packet type [MQTT-3.1.0-1/2]. */
static enum mqttp_error direction_check(const struct mqttp_parser *p, unsigned type)
{
	if (p->checks & MQTTP_CHECK_FROM_CLIENT) {
		if (p->packets == 0 && type != MQTTP_CONNECT)
			return MQTTP_E_FIRST_NOT_CONNECT;
		if (p->packets != 0 && type == MQTTP_CONNECT)
			return MQTTP_E_SECOND_CONNECT;
		if (type == MQTTP_CONNACK || type == MQTTP_SUBACK ||
		    type == MQTTP_UNSUBACK || type == MQTTP_PINGRESP)
			return MQTTP_E_DIRECTION;
	}
	if (p->checks & MQTTP_CHECK_FROM_SERVER) {
		if (type == MQTTP_CONNECT || type == MQTTP_SUBSCRIBE ||
		    type == MQTTP_UNSUBSCRIBE || type == MQTTP_PINGREQ)
			return MQTTP_E_DIRECTION;
		if (type == MQTTP_DISCONNECT && p->version && p->version != MQTTP_V5)
			return MQTTP_E_DIRECTION;
		if (p->packets == 0 && type != MQTTP_CONNACK && type != MQTTP_AUTH)
			return MQTTP_E_FIRST_NOT_CONNACK;
	}
	return MQTTP_E_NONE;
}

/* Fixed header flag rules [MQTT-2.2.2-1/2], [MQTT-3.3.1-2/4]. */
static enum mqttp_error flags_check(unsigned type, unsigned flags)
{
	switch (type) {
	case MQTTP_PUBLISH:
		if ((flags & 6) == 6)
			return MQTTP_E_PUBLISH_QOS;
		if ((flags & 8) && !(flags & 6))
			return MQTTP_E_PUBLISH_DUP;
		return MQTTP_E_NONE;
	case MQTTP_PUBREL: case MQTTP_SUBSCRIBE: case MQTTP_UNSUBSCRIBE:
		return flags == 2 ? MQTTP_E_NONE : MQTTP_E_HEADER_FLAGS;
	default:
		return flags == 0 ? MQTTP_E_NONE : MQTTP_E_HEADER_FLAGS;
	}
}

/* A new packet: forget the previous one's fields (public and per-packet
 * private ones); the framing fields are set by the caller. */
static void packet_begin(struct mqttp_parser *p, unsigned type, unsigned flags)
{
	p->type = (uint8_t)type;
	p->header_flags = (uint8_t)flags;
	p->header_len = 0;
	p->remaining_length = 0;
	p->offset = 0;
	p->have = 0;
	p->hflags = 0;
	p->user_properties = 0;
	p->connect_flags = 0;
	p->connack_flags = 0;
	p->reason_code = 0;
	p->keep_alive = 0;
	p->client_id_off = 0;
	p->client_id_len = 0;
	p->bridge = 0;
	p->in_props = 0;
	p->pst = P_NONE;
}

/* The first byte of a packet. */
static int type_read(struct mqttp_parser *p, uint8_t b)
{
	unsigned type = b >> 4, flags = b & 0x0F;
	enum mqttp_error e;

	packet_begin(p, type, flags);
	if (type == 0 || (type == MQTTP_AUTH && p->version && p->version != MQTTP_V5))
		return fail(p, MQTTP_E_RESERVED_TYPE, 0);
	e = direction_check(p, type);
	if (e != MQTTP_E_NONE)
		return fail(p, e, 0);
	e = flags_check(type, flags);
	if (e == MQTTP_E_HEADER_FLAGS && type == MQTTP_CONNECT &&
	    (p->lenient & MQTTP_LENIENT_V31_HEADER_FLAGS)) {
		p->hflags |= H_DEFER_HDRFLAGS; /* fine if it turns out to be 3.1 */
		e = MQTTP_E_NONE;
	}
	if (e != MQTTP_E_NONE)
		return fail(p, e, 0);
	p->st = ST_LEN;
	p->sub = R_NONE;
	p->acc = 0;
	p->nbytes = 0;
	p->offset = 1;
	return 0;
}

/* Per-type remaining length rules (version 0: not known yet). */
static int length_ok(unsigned type, unsigned flags, uint32_t rl, unsigned version)
{
	int v5 = version == MQTTP_V5, old = version && !v5;

	switch (type) {
	case MQTTP_PINGREQ: case MQTTP_PINGRESP:
		return rl == 0;
	case MQTTP_PUBACK: case MQTTP_PUBREC: case MQTTP_PUBREL: case MQTTP_PUBCOMP:
		return old ? rl == 2 : rl >= 2;
	case MQTTP_UNSUBACK:
		return old ? rl == 2 : rl >= 2 + (unsigned)v5;
	case MQTTP_DISCONNECT:
		return old ? rl == 0 : 1;
	case MQTTP_CONNACK:
		return old ? rl == 2 : 1;
	case MQTTP_SUBSCRIBE: case MQTTP_UNSUBSCRIBE: case MQTTP_SUBACK:
		return rl >= 3;
	case MQTTP_PUBLISH:
		return rl >= 2u + ((flags & 6) ? 2u : 0u);
	default:
		return 1;
	}
}

/* The remaining length is known: set up the body. */
static int header_done(struct mqttp_parser *p, const struct sink *k)
{
	p->have |= MQTTP_HAVE_HEADER;
	if (p->max_packet_size && (uint64_t)p->header_len + p->remaining_length > p->max_packet_size) {
		if (p->type != MQTTP_CONNECT || (p->checks & K_VERSION_SET))
			return fail(p, MQTTP_E_PACKET_TOO_LARGE, 1);
		/* Report it once the version is known, so the refusal can be
		 * a 5.0 CONNACK 0x95. */
		p->hflags |= H_DEFER_TOOLARGE;
	}
	if (!length_ok(p->type, p->header_flags, p->remaining_length, p->version))
		return fail(p, MQTTP_E_PACKET_LENGTH, 1);
	switch (p->type) {
	case MQTTP_CONNECT:
		p->st = ST_C_NAME;
		return start_str(p, E_NAME);
	case MQTTP_PUBLISH:
		p->st = ST_P_TOPIC;
		if (start_str(p, E_STR) < 0)
			return -1;
		p->hflags |= H_TOPIC;
		return 0;
	case MQTTP_CONNACK:
		if (!p->version) {
			/* 3.1.1 CONNACKs are 2 bytes, 5.0 ones at least 3. */
			p->version = p->remaining_length == 2 ? MQTTP_V311 : MQTTP_V5;
		}
		p->have |= MQTTP_HAVE_VERSION;
		p->st = ST_A_FLAGS;
		return start_int(p, 1);
	default:
		if (p->remaining_length == 0)
			return 1;
		p->st = ST_SKIP;
		p->elem = E_SKIP;
		p->fld_off = p->offset;
		p->fld_len = p->left = p->remaining_length;
		p->sub = R_BYTES;
		(void)k;
		return 0;
	}
}

/* One byte of the remaining length [MQTT-1.5.5]. */
static int length_byte(struct mqttp_parser *p, const struct sink *k, uint8_t b)
{
	unsigned n = p->nbytes;

	p->acc |= (uint32_t)(b & 0x7F) << (7 * n);
	p->nbytes = (uint8_t)++n;
	p->offset++;
	if (b & 0x80) {
		if (n == 4)
			return fail(p, MQTTP_E_LENGTH_TOO_LONG, n);
		return 0;
	}
	p->remaining_length = p->acc;
	p->header_len = (uint8_t)(n + 1);
	if (n > 1 && b == 0) {
		int lenient = (p->lenient & MQTTP_LENIENT_NON_MINIMAL_LENGTH) && p->version != MQTTP_V5;
		if (!lenient)
			return fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, n);
		if (!p->version || (p->type == MQTTP_CONNECT && !(p->checks & K_VERSION_SET)))
			p->hflags |= H_DEFER_NONMIN;
	}
	return header_done(p, k);
}

/* --------------------------------------------------------------------- */
/* Entry points                                                          */
/* --------------------------------------------------------------------- */

void mqttp_options_default(struct mqttp_options *opt)
{
	opt->lenient = 0;
	opt->checks = 0;
	opt->max_packet_size = 0;
	opt->max_client_id_len = 0;
	opt->max_user_properties = 0;
	opt->version = 0;
}

void mqttp_init(struct mqttp_parser *p, const struct mqttp_options *opt)
{
	static const struct mqttp_parser zero;
	struct mqttp_options def;

	if (!opt) {
		mqttp_options_default(&def);
		opt = &def;
	}
#if defined(__SSE2__)
	{
		/* Speed only: seven 16-byte stores of zero (the struct copy
		 * below loads as much as it stores); 96 < size <= 112 bytes. */
		unsigned char *c = (unsigned char *)p;
		__m128i z = _mm_setzero_si128();

		(void)zero;
		_mm_storeu_si128((__m128i *)(void *)c, z);
		_mm_storeu_si128((__m128i *)(void *)(c + 16), z);
		_mm_storeu_si128((__m128i *)(void *)(c + 32), z);
		_mm_storeu_si128((__m128i *)(void *)(c + 48), z);
		_mm_storeu_si128((__m128i *)(void *)(c + 64), z);
		_mm_storeu_si128((__m128i *)(void *)(c + 80), z);
		_mm_storeu_si128((__m128i *)(void *)(c + sizeof(*p) - 16), z);
	}
#else
	*p = zero;
#endif
	p->lenient = (uint8_t)(opt->lenient & MQTTP_LENIENT_ALL);
	p->checks = (uint8_t)(opt->checks & 7u);
	p->max_packet_size = opt->max_packet_size;
	p->max_client_id_len = opt->max_client_id_len;
	p->max_user_properties = opt->max_user_properties ? opt->max_user_properties
	                                                  : MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	if (opt->version) {
		p->version = opt->version;
		p->opt_version = opt->version;
		p->checks |= K_VERSION_SET;
	}
	p->status = MQTTP_NEED_MORE;
}

void mqttp_reset(struct mqttp_parser *p)
{
	struct mqttp_options o;

	o.lenient = p->lenient;
	o.checks = p->checks & 7u;
	o.max_packet_size = p->max_packet_size;
	o.max_client_id_len = p->max_client_id_len;
	o.max_user_properties = p->max_user_properties;
	o.version = p->opt_version; /* not the version a CONNECT taught the stream */
	mqttp_init(p, &o);
}

/* Consume a run of value bytes d[0..n) (n >= 1): check, report, count.
 * Returns -1 on error, else 0. */
static int bytes_run(struct mqttp_parser *p, const struct sink *k, const uint8_t *d, uint32_t n)
{
	enum mqttp_error e = MQTTP_E_NONE;
	uint32_t i = n;

	if (p->elem == E_STR) {
		i = utf8_run(p, d, n, &e);
	} else if (p->elem == E_NAME) {
		uint32_t pos = p->fld_len - p->left;
		for (i = 0; i < n; i++)
			if (!name_byte_ok(p, pos + i, d[i])) {
				e = MQTTP_E_PROTOCOL_NAME;
				break;
			}
	}
	if (e == MQTTP_E_NONE && n == p->left && p->elem == E_STR) {
		if (p->utf8_need)
			e = MQTTP_E_UTF8; /* cut inside a character */
		else if (p->st == ST_C_WILL_TOPIC && !p->in_props && (p->hflags & H_WILDCARD))
			e = MQTTP_E_WILL_TOPIC;
		else if (p->st == ST_P_TOPIC && (p->hflags & H_WILDCARD))
			e = MQTTP_E_TOPIC_NAME;
	}
	if (e == MQTTP_E_NONE)
		emit_frag(p, k, d, n, n == p->left);
	/* The bytes before an offending one count as consumed, so that
	 * *consumed is the same in every chunking. */
	p->offset += i;
	if (p->in_props)
		p->props_left -= i;
	p->left -= i;
	if (e == MQTTP_E_WILL_TOPIC || e == MQTTP_E_TOPIC_NAME)
		return fail(p, e, p->fld_off);
	if (e != MQTTP_E_NONE)
		return fail(p, e, p->offset);
	return 0;
}

/* An empty string or binary value (length 0). */
static int empty_value(struct mqttp_parser *p, const struct sink *k, const uint8_t *here)
{
	if (p->elem == E_STR && p->st == ST_C_WILL_TOPIC && !p->in_props)
		return fail(p, MQTTP_E_WILL_TOPIC, p->fld_off);
	if (p->st == ST_P_TOPIC && p->version != MQTTP_V5)
		return fail(p, MQTTP_E_TOPIC_NAME, p->fld_off);
	emit_frag(p, k, here, 0, 1);
	return 0;
}

enum mqttp_status mqttp_frame(const void *data, size_t len, unsigned lenient,
                              uint8_t *type, uint32_t *remaining_length,
                              uint8_t *header_len, enum mqttp_error *err)
{
	const uint8_t *d = (const uint8_t *)data;
	unsigned t, n;
	uint32_t rl = 0;
	enum mqttp_error e;

	*err = MQTTP_E_NONE;
	if (len == 0)
		return MQTTP_NEED_MORE;
	t = d[0] >> 4;
	if (t == 0) {
		*err = MQTTP_E_RESERVED_TYPE;
		return MQTTP_ERROR;
	}
	e = flags_check(t, d[0] & 0x0Fu);
	if (e == MQTTP_E_HEADER_FLAGS && t == MQTTP_CONNECT && (lenient & MQTTP_LENIENT_V31_HEADER_FLAGS))
		e = MQTTP_E_NONE;
	if (e != MQTTP_E_NONE) {
		*err = e;
		return MQTTP_ERROR;
	}
	for (n = 0; n < 4; n++) {
		if (1 + n >= len)
			return MQTTP_NEED_MORE;
		rl |= (uint32_t)(d[1 + n] & 0x7F) << (7 * n);
		if (!(d[1 + n] & 0x80))
			break;
	}
	if (n == 4) {
		*err = MQTTP_E_LENGTH_TOO_LONG;
		return MQTTP_ERROR;
	}
	if (n > 0 && d[1 + n] == 0 && !(lenient & MQTTP_LENIENT_NON_MINIMAL_LENGTH)) {
		*err = MQTTP_E_LENGTH_NOT_MINIMAL;
		return MQTTP_ERROR;
	}
	if (!length_ok(t, d[0] & 0x0Fu, rl, 0)) {
		*err = MQTTP_E_PACKET_LENGTH;
		return MQTTP_ERROR;
	}
	*type = (uint8_t)t;
	*remaining_length = rl;
	*header_len = (uint8_t)(n + 2);
	return MQTTP_DONE;
}

/* --------------------------------------------------------------------- */
/* Fast path                                                             */
/* --------------------------------------------------------------------- */

/*
 * A whole CONNECT, CONNACK or PUBLISH in one buffer, in its common form
 * (exact protocol name, printable ASCII strings, minimal short lengths),
 * is checked in one straight pass. Anything else (and every error) makes
 * it return 0 without touching the parser, and the state machine then
 * reads the packet from its first byte, so the verdict, the offsets and
 * the events are the state machine's, whichever path ran. The
 * split-equivalence fuzzer holds the two paths to that. The same checks
 * serve the one-shot decoders, which fill their struct directly.
 */

/* Speed only: the checks below are small and called with constant
 * arguments (topic, where, NULL struct); inlining lets them fold. */
#if defined(__GNUC__)
#define FAST_INLINE static inline __attribute__((always_inline))
#define FAST_NOINLINE __attribute__((noinline))
#else
#define FAST_INLINE static inline
#define FAST_NOINLINE
#endif
/* The fast paths' entry functions (FAST_START), which the property walk
 * is inlined into. Speed only: without cross-jumping, gcc keeps the walk's
 * identical dispatch tails apart, so a property takes one branch, not two
 * (a 5.0 CONNECT's feed: 20 branches taken per packet, not 27). */
#if defined(__GNUC__) && !defined(__clang__)
#define FAST_ENTRY __attribute__((noinline, optimize("no-crossjumping")))
#else
#define FAST_ENTRY FAST_NOINLINE
#endif

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FAST_LE 1
#else
#define FAST_LE 0
#endif

/* A check that sends the packet to the state machine (speed only: gcc
 * otherwise guessed some to be the likely way, and laid them out as the
 * fall-through, which cost taken branches on every packet). */
#if defined(__GNUC__)
#define FAST_BAD(x) __builtin_expect(!!(x), 0)
#define FAST_GOOD(x) __builtin_expect(!!(x), 1)
#else
#define FAST_BAD(x) (x)
#define FAST_GOOD(x) (x)
#endif

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

struct fast_span {
	uint32_t off, len;
};

FAST_INLINE uint64_t load64(const uint8_t *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

/* Big-endian integers at s. */
FAST_INLINE uint32_t load_be16(const uint8_t *s)
{
	return (uint32_t)s[0] << 8 | s[1];
}

FAST_INLINE uint32_t load_be32(const uint8_t *s)
{
#if defined(__GNUC__) && FAST_LE
	uint32_t v;

	memcpy(&v, s, 4);
	return __builtin_bswap32(v);
#else
	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
#endif
}

/*
 * Non-zero iff a byte of w is not printable ASCII (0x20-0x7E) or, with
 * topic, is '+' or '#'. Per byte b < 0x80: b + 1 has its top bit set only
 * for 0x7F, b + 0x60 has it clear only below 0x20, and neither carries
 * into the next byte; a byte >= 0x80 is caught by w itself (whatever its
 * carry does to the bytes above). '+' (0x2B) and '#' (0x23) differ only
 * in bit 3: masked off after xor with 0x23 both become a zero byte, which
 * the exact "has a zero byte" test finds.
 */
FAST_INLINE uint64_t word_bad(uint64_t w, int topic)
{
	uint64_t bad = w | (w + ONES) | ~(w + 0x60 * ONES);

	if (topic) {
		uint64_t y = (w ^ (0x23 * ONES)) & (0xF7 * ONES);
		bad |= (y - ONES) & ~y;
	}
	return bad & HIGH;
}

#if defined(__SSE2__)
/* Bit i set when byte i of v is not printable ASCII or, with topic, is
 * '+' or '#'. Printable: b + 1 > 0x20 as signed bytes (0x7F becomes
 * -128, 0x80-0xFF negative or 0); '+' (0x2B) and '#' (0x23) are the bytes
 * that equal 0x2B once bit 3 is set. */
FAST_INLINE __m128i vec_good(__m128i v, int topic)
{
	__m128i good = _mm_cmpgt_epi8(_mm_add_epi8(v, _mm_set1_epi8(1)), _mm_set1_epi8(0x20));

	if (topic)
		good = _mm_andnot_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x08)),
		                                       _mm_set1_epi8(0x2B)), good);
	return good;
}

FAST_INLINE unsigned vec_bad(__m128i v, int topic)
{
	return 0xFFFFu ^ (unsigned)_mm_movemask_epi8(vec_good(v, topic));
}

/* Non-zero unless the 16 bytes at s and at t are all good (speed only:
 * one mask for both). */
FAST_INLINE unsigned vec_bad2(const uint8_t *s, const uint8_t *t, int topic)
{
	__m128i a = vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic);
	__m128i b = vec_good(_mm_loadu_si128((const __m128i *)(const void *)t), topic);

	return (unsigned)_mm_movemask_epi8(_mm_and_si128(a, b)) ^ 0xFFFFu;
}
#endif

/* Non-zero unless s[0, n) are printable ASCII (without '+' and '#' with
 * topic). d[0, e - d) are the packet's bytes, all readable: a short value is read
 * as the 16 (or 8) bytes that end (or start) with it, the other bytes
 * masked off; longer ones in blocks, the last one overlapping. (Speed
 * only: "non-zero = bad" lets every caller branch on the mask itself.) */
FAST_INLINE uint64_t fast_ascii_bad(const uint8_t *d, const uint8_t *s, uint32_t n, const uint8_t *e, int topic)
{

#if defined(__SSE2__)
	if (n < 16) {
		/* speed only: the short values first; an empty one passes both
		 * tests (shifted or masked to nothing) */
		if ((size_t)(s - d) + n >= 16)
			return (vec_bad(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), topic)
			        << n) >> 16;
		if (e - s >= 16)
			return vec_bad(_mm_loadu_si128((const __m128i *)(const void *)s), topic) &
			       ((1u << n) - 1);
	} else if (n <= 32) { /* speed only: two blocks, no loop */
		return vec_bad2(s, s + n - 16, topic);
	} else if (n <= 48) { /* speed only: three blocks, no loop (topics are often 33-48 bytes) */
		__m128i g = _mm_and_si128(vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic),
		                          vec_good(_mm_loadu_si128((const __m128i *)(const void *)(s + 16)), topic));

		g = _mm_and_si128(g, vec_good(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), topic));
		return (unsigned)_mm_movemask_epi8(g) ^ 0xFFFFu;
	} else {
		const uint8_t *last = s + n - 16;
		__m128i good = vec_good(_mm_loadu_si128((const __m128i *)(const void *)last), topic);

		for (; s < last; s += 16)
			good = _mm_and_si128(good, vec_good(_mm_loadu_si128((const __m128i *)(const void *)s), topic));
		return (unsigned)_mm_movemask_epi8(good) ^ 0xFFFFu;
	}
#endif
	if (n >= 8) {
		const uint8_t *last = s + n - 8;
		uint64_t bad = 0;

		for (; s < last; s += 8)
			bad |= word_bad(load64(s), topic);
		return bad | word_bad(load64(last), topic);
	}
	if (n == 0)
		return 0;
#if FAST_LE
	if ((size_t)(s - d) + n >= 8) {
		uint64_t keep = ~0ull << (64 - 8 * n);
		return word_bad((load64(s + n - 8) & keep) | (0x41 * ONES & ~keep), topic);
	}
	if (e - s >= 8) {
		uint64_t keep = ~0ull >> (64 - 8 * n);
		return word_bad((load64(s) & keep) | (0x41 * ONES & ~keep), topic);
	}
#else
	(void)d;
	(void)e;
#endif
	for (; n; n--, s++)
		if ((uint8_t)(*s - 0x20) >= 0x5F || (topic && (*s == '+' || *s == '#')))
			return 1;
	return 0;
}

/* What a caller of fast_bin() / fast_str() knows (speed only: each drops
 * a test that cannot fail there). FS_LEN: the 2 length bytes at *q are
 * inside the buffer (then the test of the value's end against e also
 * covers them). FS_FAR: the value ends 16 or more bytes into the packet.
 * FS_ONCE changes only the code: *q is the end the test computed (fewer
 * instructions everywhere but in the CONNACK walk's strings and a CONNECT
 * walk's string property, where gcc then allocated registers worse). */
enum { FS_LEN = 1, FS_FAR = 2, FS_ONCE = 4 };

/* A 2-byte length and its bytes at *q, inside [*q, e): 1 with the value
 * at *v (*n bytes) and *q moved past it. */
FAST_INLINE int fast_bin_in(const uint8_t **q, const uint8_t *e, const uint8_t **v, uint32_t *n, unsigned how)
{
	const uint8_t *s = *q;
	uint32_t len;
	uintptr_t end;

	/* speed only: the bounds as address compares, which keep no length
	 * live (integers: no pointer is formed past the packet) */
	if (!(how & FS_LEN) && (uintptr_t)s + 2 > (uintptr_t)e)
		return 0;
	len = load_be16(s);
	end = (uintptr_t)s + 2 + len;
	if (end > (uintptr_t)e)
		return 0;
	*v = s + 2;
	*n = len;
	*q = (how & FS_ONCE) ? (const uint8_t *)end : s + 2 + len;
	return 1;
}

FAST_INLINE int fast_bin(const uint8_t **q, const uint8_t *e, const uint8_t **v, uint32_t *n)
{
	return fast_bin_in(q, e, v, n, FS_ONCE);
}

#if defined(__SSE2__)
/* Bits of the last i of 16 bytes, for fast_str(). */
static const uint16_t fast_tail[17] = {
	0x0000, 0x8000, 0xC000, 0xE000, 0xF000, 0xF800, 0xFC00, 0xFE00, 0xFF00,
	0xFF80, 0xFFC0, 0xFFE0, 0xFFF0, 0xFFF8, 0xFFFC, 0xFFFE, 0xFFFF,
};
#endif

/* The same for a printable-ASCII string (d: the packet's first byte). */
FAST_INLINE int fast_str_in(const uint8_t *d, const uint8_t **q, const uint8_t *e,
                            const uint8_t **v, uint32_t *n, int topic, unsigned how)
{
	if (!fast_bin_in(q, e, v, n, how))
		return 0;
#if defined(__SSE2__)
	/* speed only: a value of at most 16 bytes, 16 or more bytes into the
	 * packet, is checked with the 16 bytes that end with it and a mask.
	 * fast_ascii_bad()'s own first branch does the same with a shift;
	 * with this one moved there instead, gcc's code for the validating
	 * paths was slower (3.1.1 feed 13.9-15.4 ns against 11.3-11.7 in
	 * three interleaved rounds), so it stays here. It returns from a
	 * branch on the mask: as `return !(mask)` gcc made a 0 or 1 and
	 * tested it again (4 instructions and a jump per string). */
	if (*n <= 16 && ((how & FS_FAR) || (uintptr_t)*q >= (uintptr_t)d + 16)) {
		if (FAST_BAD(~(unsigned)_mm_movemask_epi8(vec_good(_mm_loadu_si128((const __m128i *)(const void *)(*q - 16)),
		                                                   topic)) &
		             fast_tail[*n]))
			return 0;
		return 1;
	}
#endif
	return !fast_ascii_bad(d, *v, *n, e, topic);
}

FAST_INLINE int fast_str(const uint8_t *d, const uint8_t **q, const uint8_t *e,
                         const uint8_t **v, uint32_t *n, int topic)
{
	return fast_str_in(d, q, e, v, n, topic, FS_ONCE);
}

/* The fixed header's remaining length (minimal) with the whole packet in
 * d[0, avail): 1 with *rl, *hl. */
FAST_INLINE int fast_header(const uint8_t *d, size_t avail, uint32_t *rl, uint32_t *hl)
{
	uint32_t v = 0;
	unsigned n;

	if (avail >= 2 && d[1] < 0x80) { /* speed only: the usual 1-byte length */
		*rl = d[1];
		*hl = 2;
		return d[1] <= avail - 2;
	}
	if (avail >= 3 && d[2] < 0x80) { /* speed only: 2 bytes (128 B .. 16 KB) */
		v = (uint32_t)(d[1] & 0x7F) | (uint32_t)d[2] << 7;
		*rl = v;
		*hl = 3;
		return d[2] != 0 && v <= avail - 3;
	}
	for (n = 0; n < 4; n++) {
		if (1 + n >= avail)
			return 0;
		v |= (uint32_t)(d[1 + n] & 0x7F) << (7 * n);
		if (!(d[1 + n] & 0x80))
			break;
	}
	if (n == 4 || (n > 0 && d[1 + n] == 0) || v > avail - (n + 2))
		return 0;
	*rl = v;
	*hl = n + 2;
	return 1;
}

static void fast_emit_bytes(const struct sink *k, const uint8_t *d, uint8_t id, const struct fast_span *sp)
{
	struct mqttp_field f;

	f.id = id;
	f.prop_id = 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = sp->len;
	f.off = sp->off;
	f.len = sp->len;
	f.frag = d + sp->off;
	f.frag_off = 0;
	f.frag_len = sp->len;
	k->cb(k->ctx, &f);
}

static void fast_emit_int(const struct sink *k, uint8_t id, uint32_t off, uint32_t value, uint32_t len)
{
	struct mqttp_field f;

	f.id = id;
	f.prop_id = 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = value;
	f.off = off;
	f.len = len;
	f.frag = NULL;
	f.frag_off = 0;
	f.frag_len = 0;
	k->cb(k->ctx, &f);
}

/* A variable byte integer of at most 2 bytes, minimal, at *q inside
 * [*q, e). */
FAST_INLINE int fast_vbi(const uint8_t **q, const uint8_t *e, uint32_t *v)
{
	const uint8_t *s = *q;

	if (s >= e)
		return 0;
	if (FAST_GOOD(!(s[0] & 0x80))) {
		*v = s[0];
		*q = s + 1;
		return 1;
	}
	if (e - s < 2 || (s[1] & 0x80) || s[1] == 0)
		return 0;
	*v = (uint32_t)(s[0] & 0x7F) | (uint32_t)s[1] << 7;
	*q = s + 2;
	return 1;
}

/* Record a value in a one-shot decoder's struct (d: the buffer, which
 * starts with the packet). */
FAST_INLINE void fast_store(struct mqttp_bytes *b, const uint8_t *d, const uint8_t *v, uint32_t n)
{
	b->ptr = v;
	b->off = (uint32_t)(v - d);
	b->len = n;
	b->present = 1;
}

/*
 * Property kinds by packet part and id for the fast path (speed only: one
 * byte load per property instead of the table row, the where mask and
 * prop_value_ok()). They restate tables.c and prop_value_ok(): a property
 * not allowed in that part, undefined, or of a kind not listed is 0 and
 * leaves the packet to the state machine, so a mistake here could only
 * make the paths disagree, which fuzz_split looks for.
 */
enum { FK_NONE = 0, FK_FLAG, FK_U16, FK_U16NZ, FK_U32, FK_U32NZ, FK_BIN, FK_STR, FK_TOPIC, FK_PAIR };
enum { FW_CONNECT = 0, FW_WILL, FW_CONNACK };

/* Every slot below fits in a byte. */
typedef char fast_slot_check[offsetof(struct mqttp_properties, server_reference) < 256 ? 1 : -1];

/*
 * The fast path's tables by property id, in one struct so that one base
 * register serves them all (fast_tables()):
 * - bit: 1 << id (speed only: a load, where the shift took four
 *   instructions and a register for the constant 1); bit 63 for the ids
 *   past MQTTP_PROP_MAX;
 * - kind: the kinds above, by packet part (FW_*);
 * - slot: where the value goes in a struct mqttp_properties, for the ids
 *   kind lists (speed only: one store, no switch); the same places as
 *   mqttp__prop_store_int() and mqttp__prop_bytes().
 */
#define FAST_BIT4(i) 1ull << (i), 1ull << ((i) + 1), 1ull << ((i) + 2), 1ull << ((i) + 3)
#define FAST_HI4 1ull << 63, 1ull << 63, 1ull << 63, 1ull << 63
#define FAST_HI16 FAST_HI4, FAST_HI4, FAST_HI4, FAST_HI4
#define PSLOT(f) ((uint8_t)offsetof(struct mqttp_properties, f))
struct fast_tables {
	uint64_t bit[256];
	uint8_t kind[3][256];
	uint8_t slot[MQTTP_PROP_MAX + 1];
};
static const struct fast_tables fast_tab = {
	{ /* bit */
		FAST_BIT4(0x00), FAST_BIT4(0x04), FAST_BIT4(0x08), FAST_BIT4(0x0C), FAST_BIT4(0x10),
		FAST_BIT4(0x14), FAST_BIT4(0x18), FAST_BIT4(0x1C), FAST_BIT4(0x20), FAST_BIT4(0x24),
		1ull << 0x28, 1ull << 0x29, 1ull << 0x2A, 1ull << 63, FAST_HI4,           /* 0x2B-0x2F */
		FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, /* 0x30-0xFF */
		FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16, FAST_HI16,
	},
	{ /* kind */
		{ /* CONNECT */
			[0x11] = FK_U32, [0x15] = FK_STR, [0x16] = FK_BIN, [0x17] = FK_FLAG,
			[0x19] = FK_FLAG, [0x21] = FK_U16NZ, [0x22] = FK_U16, [0x26] = FK_PAIR,
			[0x27] = FK_U32NZ,
		},
		{ /* will properties */
			[0x01] = FK_FLAG, [0x02] = FK_U32, [0x03] = FK_STR, [0x08] = FK_TOPIC,
			[0x09] = FK_BIN, [0x18] = FK_U32, [0x26] = FK_PAIR,
		},
		{ /* CONNACK */
			[0x11] = FK_U32, [0x12] = FK_STR, [0x13] = FK_U16, [0x15] = FK_STR,
			[0x16] = FK_BIN, [0x1A] = FK_STR, [0x1C] = FK_STR, [0x1F] = FK_STR,
			[0x21] = FK_U16NZ, [0x22] = FK_U16, [0x24] = FK_FLAG, [0x25] = FK_FLAG,
			[0x26] = FK_PAIR, [0x27] = FK_U32NZ, [0x28] = FK_FLAG, [0x29] = FK_FLAG,
			[0x2A] = FK_FLAG,
		},
	},
	{ /* slot */
		[0x01] = PSLOT(payload_format_indicator), [0x02] = PSLOT(message_expiry_interval),
		[0x03] = PSLOT(content_type), [0x08] = PSLOT(response_topic),
		[0x09] = PSLOT(correlation_data), [0x11] = PSLOT(session_expiry_interval),
		[0x12] = PSLOT(assigned_client_identifier), [0x13] = PSLOT(server_keep_alive),
		[0x15] = PSLOT(authentication_method), [0x16] = PSLOT(authentication_data),
		[0x17] = PSLOT(request_problem_information), [0x18] = PSLOT(will_delay_interval),
		[0x19] = PSLOT(request_response_information), [0x1A] = PSLOT(response_information),
		[0x1C] = PSLOT(server_reference), [0x1F] = PSLOT(reason_string),
		[0x21] = PSLOT(receive_maximum), [0x22] = PSLOT(topic_alias_maximum),
		[0x24] = PSLOT(maximum_qos), [0x25] = PSLOT(retain_available),
		[0x27] = PSLOT(maximum_packet_size), [0x28] = PSLOT(wildcard_subscription_available),
		[0x29] = PSLOT(subscription_identifiers_available), [0x2A] = PSLOT(shared_subscription_available),
	},
};
#undef PSLOT
#undef FAST_HI16
#undef FAST_HI4
#undef FAST_BIT4

/* The tables through a register (speed only: gcc otherwise loaded each
 * table's address again, one lea per property, where one base register
 * serves them all). */
FAST_INLINE const struct fast_tables *fast_tables(void)
{
	const struct fast_tables *t = &fast_tab;

#if defined(__GNUC__)
	__asm__("" : "+r"(t));
#endif
	return t;
}

/*
 * A property block's seen bits before its first property: every id that
 * fast_tab.kind does not list for that part, and bit 63 (speed only: such
 * an id then fails the walk's repeat test, so its dispatch need not test
 * for FK_NONE). The same ids as fast_tab.kind; a mistake could only make the
 * paths disagree, which fuzz_split looks for.
 */
#define FB(i) (1ull << (i))
static const uint64_t fast_seen0[3] = {
	~(FB(0x11) | FB(0x15) | FB(0x16) | FB(0x17) | FB(0x19) | FB(0x21) | FB(0x22) | FB(0x26) | FB(0x27)),
	~(FB(0x01) | FB(0x02) | FB(0x03) | FB(0x08) | FB(0x09) | FB(0x18) | FB(0x26)),
	~(FB(0x11) | FB(0x12) | FB(0x13) | FB(0x15) | FB(0x16) | FB(0x1A) | FB(0x1C) | FB(0x1F) | FB(0x21) |
	  FB(0x22) | FB(0x24) | FB(0x25) | FB(0x26) | FB(0x27) | FB(0x28) | FB(0x29) | FB(0x2A)),
};
#undef FB

/* One property at `at` inside a block ending at bend, for fast_props()
 * (what fast_walk() leaves): where it ends, or NULL. */
FAST_INLINE const uint8_t *fast_prop(const uint8_t *d, const uint8_t *at, const uint8_t *bend, const struct fast_tables *t,
                          unsigned where, uint64_t *seen, unsigned *users, struct mqttp_properties *pr)
{
	const uint8_t *v;
	size_t id = *at++;
	unsigned kind = t->kind[where][id];
	uint32_t x, n;

	if (kind - 1u < FK_U32NZ) { /* FK_FLAG .. FK_U32NZ (FK_NONE wraps) */
		/* id <= MQTTP_PROP_MAX here */
		if (*seen & t->bit[id])
			return NULL; /* a single-valued property repeated */
		*seen |= t->bit[id];
		if (kind == FK_FLAG) {
			if (at >= bend || at[0] > 1)
				return NULL;
			if (pr)
				*((uint8_t *)pr + t->slot[id]) = at[0];
			at += 1;
		} else if (kind <= FK_U16NZ) {
			uint16_t x16;

			if (bend - at < 2)
				return NULL;
			x = load_be16(at);
			at += 2;
			if (x == 0 && kind == FK_U16NZ)
				return NULL;
			x16 = (uint16_t)x;
			if (pr)
				memcpy((uint8_t *)pr + t->slot[id], &x16, 2);
		} else {
			if (bend - at < 4)
				return NULL;
			x = load_be32(at);
			at += 4;
			if (x == 0 && kind == FK_U32NZ)
				return NULL;
			if (pr)
				memcpy((uint8_t *)pr + t->slot[id], &x, 4);
		}
		return at;
	}
	if (kind == FK_PAIR) {
		if (!fast_str(d, &at, bend, &v, &n, 0) || !fast_str(d, &at, bend, &v, &n, 0))
			return NULL;
		++*users;
		return at;
	}
	if (kind == FK_NONE || (*seen & t->bit[id]))
		return NULL;
	*seen |= t->bit[id];
	if (kind == FK_BIN) {
		if (!fast_bin(&at, bend, &v, &n))
			return NULL;
	} else if (!fast_str(d, &at, bend, &v, &n, kind == FK_TOPIC) || (kind == FK_TOPIC && n == 0)) {
		return NULL;
	}
	if (pr)
		fast_store((struct mqttp_bytes *)(void *)((uint8_t *)pr + t->slot[id]), d, v, n);
	return at;
}

/*
 * The properties from at on that start before limit, for fast_props():
 * returns where the first one it leaves to fast_prop() starts (binary
 * and topic values; or limit, or past it), NULL on an error. The 4 bytes
 * after limit are the packet's, so no integer needs a bounds test;
 * strings are bounded by bend. Speed only: a block per kind, each ending
 * with the next property's dispatch, so that a property costs one taken
 * branch (a loop with the kinds inside took three).
 */
#define FAST_WALK_NEXT(size)                          \
	do {                                          \
		at += (size);                         \
		if (at >= limit)                      \
			goto out;                     \
		id = at[0];                           \
		kind = t->kind[where][id];            \
		if (kind == FK_FLAG)                  \
			goto flag;                    \
		if (kind <= FK_U16NZ) /* FK_NONE */   \
			goto u16;                     \
		if (kind <= FK_U32NZ)                 \
			goto u32;                     \
		if (kind == FK_PAIR)                  \
			goto pair;                    \
		if (kind == FK_STR)                   \
			goto str;                     \
		goto out;                             \
	} while (0)

FAST_INLINE const uint8_t *fast_walk(const uint8_t *d, const uint8_t *at, const uint8_t *limit,
                                     const uint8_t *bend, const struct fast_tables *t, unsigned where, uint64_t *seenp,
                                     unsigned *users, struct mqttp_properties *pr, unsigned far)
{
	uint64_t seen = *seenp, bit;
	const uint8_t *v;
	size_t id; /* speed only: an index as wide as a pointer needs no extension */
	unsigned kind;
	uint32_t n;

	FAST_WALK_NEXT(0);
flag:
	/* a listed id here (an unlisted one, FK_NONE, fails the u16 block's
	 * repeat test before its slot is read), so id <= MQTTP_PROP_MAX */
	bit = t->bit[id];
	if (FAST_BAD((seen & bit) || at[1] > 1))
		return NULL; /* repeated, or not 0 or 1 */
	seen |= bit;
	if (pr)
		*((uint8_t *)pr + t->slot[id]) = at[1];
	FAST_WALK_NEXT(2);
u16: {
	uint16_t raw, x;

	/* speed only: the raw bytes, not swapped, for the zero test; and
	 * "x == 0 && kind == FK_U16NZ" as one test, which leaves no branch
	 * taken on a valid value */
	memcpy(&raw, at + 1, 2);
	bit = t->bit[id];
	if (FAST_BAD(seen & bit) || FAST_BAD(((unsigned)raw | (kind ^ FK_U16NZ)) == 0))
		return NULL;
	seen |= bit;
	if (pr) {
		x = (uint16_t)load_be16(at + 1);
		memcpy((uint8_t *)pr + t->slot[id], &x, 2);
	}
	FAST_WALK_NEXT(3);
}
u32: {
	uint32_t raw, x;

	memcpy(&raw, at + 1, 4);
	bit = t->bit[id];
	if (FAST_BAD(seen & bit) || FAST_BAD((raw | (kind ^ FK_U32NZ)) == 0))
		return NULL;
	seen |= bit;
	if (pr) {
		x = load_be32(at + 1);
		memcpy((uint8_t *)pr + t->slot[id], &x, 4);
	}
	FAST_WALK_NEXT(5);
}
pair:
	at++;
	/* the key's length is before limit + 3; with FS_FAR (a CONNECT's or
	 * a will's block) 2 bytes follow bend, so the value's length too */
	if (FAST_BAD(!fast_str_in(d, &at, bend, &v, &n, 0, far ? FS_LEN | FS_ONCE | far : FS_LEN) ||
	             !fast_str_in(d, &at, bend, &v, &n, 0, far ? FS_LEN | FS_ONCE | far : 0)))
		return NULL;
	++*users;
	FAST_WALK_NEXT(0);
str:
	bit = t->bit[id];
	if (FAST_BAD(seen & bit))
		return NULL;
	seen |= bit;
	at++;
	if (FAST_BAD(!fast_str_in(d, &at, bend, &v, &n, 0, FS_LEN | far)))
		return NULL;
	if (pr)
		fast_store((struct mqttp_bytes *)(void *)((uint8_t *)pr + t->slot[id]), d, v, n);
	FAST_WALK_NEXT(0);
out:
	*seenp = seen;
	return at;
}
#undef FAST_WALK_NEXT

/*
 * A property block at *q (its length first), for a packet part `where`
 * (FW_*): returns 1 and moves *q past it when every property is valid and
 * in the common form (printable ASCII strings), else 0; *nuser counts its
 * user properties. With pr (a one-shot decoder's zeroed struct), the
 * values are stored there as they are read; pr may then hold some of them
 * when 0 is returned.
 */
FAST_INLINE int fast_props(const struct mqttp_parser *p, const uint8_t *d, const uint8_t **q,
                           const uint8_t *e, unsigned where, unsigned *nuser,
                           struct mqttp_properties *pr)
{
	/* speed only: the base register helped the CONNACK, not the CONNECT
	 * (bench/layout-ab.sh: CONNECT feeds 2-3% slower with it) */
	const struct fast_tables *t = where == FW_CONNACK ? fast_tables() : &fast_tab;
	const uint8_t *at, *bend, *limit;
	uint64_t seen = fast_seen0[where];
	uint32_t bl;
	unsigned users = 0;
	/* speed only, for mqttp_feed: a CONNACK's block ends its packet, so
	 * it is required to end at e, and bend is e (the decoder's code was
	 * the slower for it) */
	const int ends_at_e = where == FW_CONNACK && !pr;

	if (!fast_vbi(q, e, &bl) || (ends_at_e ? bl != (size_t)(e - *q) : bl > (size_t)(e - *q)))
		return 0;
	at = *q;
	bend = ends_at_e ? e : at + bl;
	/* Integers before limit need no bounds tests: 4 packet bytes follow
	 * it. One that ends past bend makes at overshoot it, which the last
	 * test finds. (A CONNACK's block ends its packet.) */
	if (where != FW_CONNACK && FAST_GOOD(e - bend >= 4)) {
		limit = bend;
	} else {
		/* speed only: a CONNECT's client id or a will's topic follows,
		 * so 2 bytes after bend can be read (fast_walk's pair) */
		if (where != FW_CONNACK && e - bend < 2)
			return 0;
		limit = bl > 4 ? bend - 4 : at;
	}
	while (at < bend) {
		if (at < limit && (!(at = fast_walk(d, at, limit, bend, t, where, &seen, &users, pr,
		                                    where == FW_CONNACK ? 0 : FS_FAR)) || at >= bend))
			break;
		if (!(at = fast_prop(d, at, bend, t, where, &seen, &users, pr)))
			return 0;
	}
	if (at != bend)
		return 0;
	/* authentication data without a method; speed only: the data, rare,
	 * tested first */
	if ((FAST_BAD(seen & (1ull << 0x16)) && !(seen & (1ull << 0x15))) ||
	    users > p->max_user_properties)
		return 0;
	*nuser = users;
	if (pr) {
		pr->present = (seen ^ fast_seen0[where]) | (users ? 1ull << 0x26 : 0);
		pr->user_property_count = users;
		fast_store(&pr->block, d, *q, bl);
	}
	*q = bend;
	return 1;
}

/* Report the properties of a block fast_props() accepted. */
static void fast_emit_props(const struct sink *k, const uint8_t *d, uint8_t block_id, uint8_t prop_fid,
                            const struct fast_span *block)
{
	uint32_t at = block->off, bend = block->off + block->len;
	struct mqttp_field f;

	fast_emit_int(k, block_id, block->off, block->len, block->len);
	while (at < bend) {
		const struct mqttp_property_info *pi = mqttp__props_by_id[d[at]];
		unsigned part, parts = pi->type == MQTTP_PT_STRING_PAIR ? 2 : 1;

		at++;
		f.id = prop_fid;
		f.prop_id = pi->id;
		f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
		f.frag_off = 0;
		if (pi->type <= MQTTP_PT_U32) {
			unsigned i, n = pi->type == MQTTP_PT_BYTE ? 1 : pi->type == MQTTP_PT_U16 ? 2 : 4;
			f.pair_part = 0;
			f.off = at;
			f.len = 0;
			f.frag = NULL;
			f.frag_len = 0;
			for (f.value = 0, i = 0; i < n; i++)
				f.value = f.value << 8 | d[at + i];
			at += n;
			k->cb(k->ctx, &f);
			continue;
		}
		for (part = 0; part < parts; part++) {
			uint32_t n = (uint32_t)d[at] << 8 | d[at + 1];
			at += 2;
			f.pair_part = (uint8_t)part;
			f.value = f.len = f.frag_len = n;
			f.off = at;
			f.frag = d + at;
			at += n;
			k->cb(k->ctx, &f);
		}
	}
}

/*
 * Connect flags a CONNECT may carry [MQTT-3.1.2-3 .. -22], as flags_read()
 * checks them: bit 0 for 3.1 / 3.1.1 (strict), bit 1 for 5.0. Speed only:
 * one load instead of five tests. Generated from: reserved bit clear, will
 * QoS not 3, no will QoS / retain without the will flag, and (bit 0) no
 * password without a user name.
 */
static const uint8_t fast_cf_ok[256] = {
	3, 0, 3, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0, 2, 0,
	0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 2, 0, 2, 0,
	0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	3, 0, 3, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	3, 0, 3, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 3, 0, 3, 0,
	0, 0, 0, 0, 3, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* What the events of a valid CONNECT need beyond the bytes. */
struct fast_connect {
	uint32_t hl;
	uint16_t keep_alive;
	uint8_t raw, cf;
};

/* Every value's place in a valid CONNECT (for its events). */
struct fast_walk {
	struct fast_span name, cid, wtopic, wpay, user, pass, props, wprops;
	uint32_t lvl_off;
};

/* A span for the 2-byte length prefixed value at d[*pos]; *pos moves past. */
static struct fast_span walk_value(const uint8_t *d, uint32_t *pos)
{
	struct fast_span sp;

	sp.len = load_be16(d + *pos);
	sp.off = *pos + 2;
	*pos = sp.off + sp.len;
	return sp;
}

/* A property block's span at d[*pos] (VBI length first); *pos moves past. */
static struct fast_span walk_block(const uint8_t *d, uint32_t *pos)
{
	struct fast_span sp;
	const uint8_t *q = d + *pos;
	uint32_t bl = 0;

	(void)fast_vbi(&q, q + 2, &bl);
	sp.off = (uint32_t)(q - d);
	sp.len = bl;
	*pos = sp.off + bl;
	return sp;
}

/* Walk a CONNECT that connect_fast() accepted. */
static void connect_walk(const uint8_t *d, const struct fast_connect *c, struct fast_walk *w)
{
	uint32_t pos = c->hl;
	unsigned v5 = (c->raw & 0x7F) == MQTTP_V5;

	memset(w, 0, sizeof(*w));
	w->name = walk_value(d, &pos);
	w->lvl_off = pos;
	pos += 4;
	if (v5)
		w->props = walk_block(d, &pos);
	w->cid = walk_value(d, &pos);
	if (c->cf & MQTTP_CF_WILL) {
		if (v5)
			w->wprops = walk_block(d, &pos);
		w->wtopic = walk_value(d, &pos);
		w->wpay = walk_value(d, &pos);
	}
	if (c->cf & MQTTP_CF_USERNAME)
		w->user = walk_value(d, &pos);
	if (c->cf & MQTTP_CF_PASSWORD)
		w->pass = walk_value(d, &pos);
}

/* Report the events of a CONNECT connect_fast() accepted. */
static FAST_NOINLINE void connect_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d, const struct fast_connect *c)
{
	struct fast_walk w;
	struct sink k;

	k.cb = cb;
	k.ctx = ctx;
	connect_walk(d, c, &w);
	fast_emit_bytes(&k, d, MQTTP_F_PROTOCOL_NAME, &w.name);
	fast_emit_int(&k, MQTTP_F_PROTOCOL_LEVEL, w.lvl_off, c->raw, 0);
	fast_emit_int(&k, MQTTP_F_CONNECT_FLAGS, w.lvl_off + 1, c->cf, 0);
	fast_emit_int(&k, MQTTP_F_KEEP_ALIVE, w.lvl_off + 2, c->keep_alive, 0);
	if ((c->raw & 0x7F) == MQTTP_V5)
		fast_emit_props(&k, d, MQTTP_F_PROPERTIES, MQTTP_F_PROPERTY, &w.props);
	fast_emit_bytes(&k, d, MQTTP_F_CLIENT_ID, &w.cid);
	if (c->cf & MQTTP_CF_WILL) {
		if ((c->raw & 0x7F) == MQTTP_V5)
			fast_emit_props(&k, d, MQTTP_F_WILL_PROPERTIES, MQTTP_F_WILL_PROPERTY, &w.wprops);
		fast_emit_bytes(&k, d, MQTTP_F_WILL_TOPIC, &w.wtopic);
		fast_emit_bytes(&k, d, MQTTP_F_WILL_PAYLOAD, &w.wpay);
	}
	if (c->cf & MQTTP_CF_USERNAME)
		fast_emit_bytes(&k, d, MQTTP_F_USERNAME, &w.user);
	if (c->cf & MQTTP_CF_PASSWORD)
		fast_emit_bytes(&k, d, MQTTP_F_PASSWORD, &w.pass);
}

/* The rest of connect_fast(), from the connect flags on (q); lvl, the
 * protocol level, is a constant for 5.0 (speed only: each level gets
 * its own code and registers). */
FAST_INLINE uint32_t connect_rest(const struct mqttp_parser *cfg, struct mqttp_parser *p,
                                  const uint8_t *d, const uint8_t *q, const uint8_t *e, uint32_t rl,
                                  uint32_t hl, uint8_t lvl, mqttp_field_cb cb, void *ctx,
                                  struct mqttp_connect *out)
{
	const uint8_t *v;
	uint32_t n;
	uint8_t cf, raw;
	uint16_t keep_alive;
	unsigned users = 0, wusers = 0;

	raw = q[0];
	cf = q[1];
	if ((raw & 0x80) && (cfg->checks & MQTTP_CHECK_NO_BRIDGE))
		return 0;
	if (!(fast_cf_ok[cf] & (lvl == MQTTP_V5 ? 2 : 1)))
		return 0;
	keep_alive = (uint16_t)load_be16(q + 2);
	/*
	 * Speed only: what is known is stored now, so fewer values stay live
	 * through the checks. A verdict of 0 may leave these in *out (the
	 * slow decoder clears it again) and in *p: only fields that
	 * packet_begin() resets, which the state machine calls first, and
	 * the version, which its level_read() stores again.
	 */
	if (out) {
		out->bridge = raw >> 7;
		out->flags = cf;
		out->will_qos = (cf & MQTTP_CF_WILL_QOS_MASK) >> 3;
		out->keep_alive = keep_alive;
	}
	if (p) {
		p->remaining_length = rl;
		p->offset = hl + rl;
		p->keep_alive = keep_alive;
		p->header_len = (uint8_t)hl;
		p->bridge = raw >> 7;
		p->connect_flags = cf;
		if (lvl == MQTTP_V5) /* a constant here; the others store it last */
			p->version = lvl;
		else /* 5.0 stores its count after the property block */
			p->user_properties = 0;
	}
	q += 4;
	if (lvl == MQTTP_V5) {
		if (!fast_props(cfg, d, &q, e, FW_CONNECT, &users, out ? &out->props : NULL))
			return 0;
		if (p)
			p->user_properties = (uint16_t)users;
	}
	if (!fast_str(d, &q, e, &v, &n, 0))
		return 0;
	if (n == 0 && (lvl == MQTTP_V31 || (lvl == MQTTP_V311 && !(cf & MQTTP_CF_CLEAN_START))))
		return 0;
	if ((lvl == MQTTP_V31 && n > 23 && !(cfg->lenient & MQTTP_LENIENT_V31_LONG_CLIENT_ID)) ||
	    (FAST_BAD(cfg->max_client_id_len) && n > cfg->max_client_id_len))
		return 0;
	if (out)
		fast_store(&out->client_id, d, v, n);
	if (p) {
		p->client_id_off = (uint32_t)(v - d);
		p->client_id_len = (uint16_t)n;
	}
	if (FAST_BAD(cf & MQTTP_CF_WILL)) { /* speed only: laid out after */
		if (lvl == MQTTP_V5) {
			/* speed only: the users counted and checked here, so none
			 * stay live through a 3.1.1 packet */
			if (!fast_props(cfg, d, &q, e, FW_WILL, &wusers, out ? &out->will_props : NULL))
				return 0;
			users += wusers;
			if (users > cfg->max_user_properties)
				return 0;
			if (p)
				p->user_properties = (uint16_t)users;
		}
		if (!fast_str_in(d, &q, e, &v, &n, 1, FS_FAR | FS_ONCE) || n == 0)
			return 0;
		if (out)
			fast_store(&out->will_topic, d, v, n);
		if (!fast_bin(&q, e, &v, &n))
			return 0;
		if (out)
			fast_store(&out->will_payload, d, v, n);
	}
	if (cf & MQTTP_CF_USERNAME) {
		/* FS_FAR: the client id ends 14 or more bytes in */
		if (!fast_str_in(d, &q, e, &v, &n, 0, FS_FAR | FS_ONCE))
			return 0;
		if (out)
			fast_store(&out->username, d, v, n);
	}
	if (cf & MQTTP_CF_PASSWORD) {
		if (!fast_bin(&q, e, &v, &n))
			return 0;
		if (out)
			fast_store(&out->password, d, v, n);
	}
	if (q != e)
		return 0;
	if (out)
		out->version = lvl;
	if (p) {
		/* Valid: the rest of what the state machine would leave (the
		 * public fields packet_begin() resets, then what the packet set;
		 * its private fields only matter to the state machine, which
		 * resets them on the next packet's first byte). */
		p->have = MQTTP_HAVE_HEADER | MQTTP_HAVE_VERSION | MQTTP_HAVE_FLAGS |
		          MQTTP_HAVE_KEEP_ALIVE | MQTTP_HAVE_CLIENT_ID;
		p->type = MQTTP_CONNECT;
		p->header_flags = 0;
		if (lvl != MQTTP_V5)
			p->version = lvl;
		p->connack_flags = 0;
		p->reason_code = 0;
		if (cb) {
			struct fast_connect c;

			c.hl = p->header_len;
			c.keep_alive = p->keep_alive;
			c.raw = (uint8_t)(lvl | p->bridge << 7);
			c.cf = cf;
			connect_emit(cb, ctx, d, &c);
		}
	}
	return (uint32_t)(e - d);
}

/*
 * A whole CONNECT in d[0, avail) in its common form, checked with the
 * options in cfg: returns its length, else 0 (then nothing was written
 * but, with out, some of *out). Then either the parser p is left as the
 * state machine would leave it (and the events go to cb), or, with out
 * (a one-shot decoder's zeroed struct), every field is stored there.
 * Speed only: one function with only local state, specialised by the
 * inlining on p / out being NULL.
 */
FAST_INLINE uint32_t connect_fast(const struct mqttp_parser *cfg, struct mqttp_parser *p,
                                  const uint8_t *d, size_t avail, mqttp_field_cb cb, void *ctx,
                                  struct mqttp_connect *out)
{
	const uint8_t *q, *e;
	uint32_t rl, hl;
	uint8_t lvl;

	if (avail < 14 || (cfg->checks & MQTTP_CHECK_FROM_SERVER) ||
	    ((cfg->checks & MQTTP_CHECK_FROM_CLIENT) && cfg->packets != 0) ||
	    !fast_header(d, avail, &rl, &hl) ||
	    /* speed only: one test; max_packet_size - 1 wraps to the
	     * largest value when it is 0 (no limit) */
	    hl + rl - 1u > cfg->max_packet_size - 1u)
		return 0;
	q = d + hl;
	e = q + rl;
	/* The protocol name with its length, then the level it allows. */
	if (FAST_GOOD(rl >= 10 && memcmp(q, "\0\4MQTT", 6) == 0)) {
		if (out)
			fast_store(&out->protocol_name, d, q + 2, 4);
		q += 6;
		lvl = q[0] & 0x7F;
		/* speed only: 5.0 gets its own code and registers, and one test */
		if (lvl == MQTTP_V5)
			return connect_rest(cfg, p, d, q, e, rl, hl, MQTTP_V5, cb, ctx, out);
		if (lvl != MQTTP_V311)
			return 0;
	} else if (rl >= 12 && memcmp(q, "\0\6MQIsdp", 8) == 0) {
		if (out)
			fast_store(&out->protocol_name, d, q + 2, 6);
		q += 8;
		lvl = q[0] & 0x7F;
		if (lvl != MQTTP_V31)
			return 0;
	} else {
		return 0;
	}
	return connect_rest(cfg, p, d, q, e, rl, hl, lvl, cb, ctx, out);
}

/* The rest of connack_check(), from the acknowledge flags on, for a
 * packet of `end` bytes read as version v. */
FAST_INLINE uint32_t connack_rest(const struct mqttp_parser *p, const uint8_t *d, uint32_t end, unsigned v,
                                  unsigned *users, struct mqttp_properties *pr)
{
	const uint8_t *q = d + 4;
	uint8_t fl = d[2], rc = d[3];

	if ((fl & 0xFE) || (rc && ((fl & 1) || !mqttp_connack_code_valid(v, rc))))
		return 0;
	if (v == MQTTP_V5 && !fast_props(p, d, &q, d + end, FW_CONNACK, users, pr))
		return 0;
	return q == d + end ? end : 0;
}

/* A whole CONNACK in its common form; same contract as connect_fast(),
 * *version set to the version it was read as. */
FAST_INLINE uint32_t connack_check(const struct mqttp_parser *p, const uint8_t *d, size_t avail,
                                   unsigned *users, unsigned *version, struct mqttp_properties *pr)
{
	uint32_t rl, end;
	unsigned v = p->version;

	if (avail < 4 || (p->checks & MQTTP_CHECK_FROM_CLIENT) || (d[1] & 0x80))
		return 0;
	rl = d[1];
	end = 2 + rl;
	if (rl > avail - 2 || (p->max_packet_size && end > p->max_packet_size))
		return 0;
	if (!v)
		v = rl == 2 ? MQTTP_V311 : MQTTP_V5;
	*users = 0;
	*version = v;
	/* speed only: 5.0 gets its own code and registers */
	if (v == MQTTP_V5)
		return rl > 2 ? connack_rest(p, d, end, MQTTP_V5, users, pr) : 0;
	return rl == 2 ? connack_rest(p, d, end, v, users, pr) : 0;
}

static FAST_NOINLINE void connack_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d, unsigned version)
{
	struct sink sk = { cb, ctx }, *k = &sk;

	fast_emit_int(k, MQTTP_F_CONNACK_FLAGS, 2, d[2], 0);
	fast_emit_int(k, MQTTP_F_REASON_CODE, 3, d[3], 0);
	if (version == MQTTP_V5) {
		uint32_t pos = 4;
		struct fast_span props = walk_block(d, &pos);

		fast_emit_props(k, d, MQTTP_F_PROPERTIES, MQTTP_F_PROPERTY, &props);
	}
}

FAST_INLINE uint32_t connack_fast(struct mqttp_parser *p, const uint8_t *d, size_t avail,
                                  mqttp_field_cb cb, void *ctx)
{
	unsigned users, version;
	uint32_t end = connack_check(p, d, avail, &users, &version, NULL);

	if (!end)
		return 0;
	packet_begin(p, MQTTP_CONNACK, 0);
	p->header_len = 2;
	p->remaining_length = end - 2;
	p->offset = end;
	p->have = MQTTP_HAVE_HEADER | MQTTP_HAVE_VERSION | MQTTP_HAVE_CONNACK;
	p->user_properties = (uint16_t)users;
	p->connack_flags = d[2];
	p->reason_code = d[3];
	p->version = (uint8_t)version;
	if (cb)
		connack_emit(cb, ctx, d, version);
	return end;
}

static FAST_NOINLINE enum mqttp_status publish_emit(mqttp_field_cb cb, void *ctx, const uint8_t *d,
                                      const struct mqttp_parser *p)
{
	struct sink sk = { cb, ctx }, *k = &sk;
	uint32_t pos = p->header_len;
	struct fast_span topic = walk_value(d, &pos);

	fast_emit_bytes(k, d, MQTTP_F_TOPIC_NAME, &topic);
	if (p->header_flags & 6)
		fast_emit_int(k, MQTTP_F_PACKET_ID, pos, load_be16(d + pos), 0);
	return MQTTP_DONE;
}

/* Options as a parser would hold them, for the one-shot fast checks
 * (only the fields they read). */
FAST_INLINE void fast_options(struct mqttp_parser *q, const struct mqttp_options *opt,
                              uint32_t dir, uint32_t other, int keep_version)
{
	q->lenient = opt ? (uint8_t)(opt->lenient & MQTTP_LENIENT_ALL) : 0;
	q->checks = (uint8_t)(((opt ? opt->checks : 0) | dir) & ~other & 7u);
	q->max_packet_size = opt ? opt->max_packet_size : 0;
	q->max_client_id_len = opt ? opt->max_client_id_len : 0;
	q->max_user_properties = opt && opt->max_user_properties ? opt->max_user_properties
	                                                         : MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	q->version = keep_version && opt ? opt->version : 0;
	q->packets = 0;
}

enum mqttp_status mqttp__decode_connect_fast(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                             struct mqttp_connect *out, struct mqttp_result *res)
{
	struct mqttp_parser q;
	uint32_t end;

	memset(out, 0, mqttp__connect_size);
	if (len == 0 || d[0] != 0x10)
		return mqttp__decode_connect_slow(d, len, opt, out, res);
	fast_options(&q, opt, MQTTP_CHECK_FROM_CLIENT, MQTTP_CHECK_FROM_SERVER, 0);
	end = connect_fast(&q, NULL, d, len, NULL, NULL, out);
	if (!end)
		return mqttp__decode_connect_slow(d, len, opt, out, res);
	res->type = MQTTP_CONNECT;
	res->error = MQTTP_E_NONE;
	res->error_offset = 0;
	res->length = end;
	return MQTTP_DONE;
}

enum mqttp_status mqttp__decode_connack_fast(const uint8_t *d, size_t len, const struct mqttp_options *opt,
                                             struct mqttp_connack *out, struct mqttp_result *res)
{
	struct mqttp_parser q;
	unsigned users, version;
	uint32_t end;

	memset(out, 0, mqttp__connack_size);
	if (len == 0 || d[0] != 0x20)
		return mqttp__decode_connack_slow(d, len, opt, out, res);
	fast_options(&q, opt, MQTTP_CHECK_FROM_SERVER, MQTTP_CHECK_FROM_CLIENT, 1);
	end = connack_check(&q, d, len, &users, &version, &out->props);
	if (!end)
		return mqttp__decode_connack_slow(d, len, opt, out, res);
	out->flags = d[2];
	out->session_present = d[2] & 1;
	out->reason_code = d[3];
	res->type = MQTTP_CONNACK;
	res->error = MQTTP_E_NONE;
	res->error_offset = 0;
	res->length = end;
	return MQTTP_DONE;
}

/* The state machine over d[0, len) (len >= 1), from wherever the parser
 * stands. Kept out of line (speed only): mqttp_feed's fast paths then need
 * no large stack frame. */
static FAST_NOINLINE enum mqttp_status feed_machine(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                    size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	struct sink k;
	size_t i = 0;
	int r = 0;

	k.cb = cb;
	k.ctx = ctx;
	p->status = MQTTP_NEED_MORE;
	while (i < len) {
		uint8_t b;

		if (p->st == ST_TYPE) {
			r = type_read(p, d[i++]);
			if (r)
				break;
			continue;
		}
		if (p->st == ST_LEN) {
			r = length_byte(p, &k, d[i++]);
			if (r)
				break;
			continue;
		}
		switch (p->sub) {
		case R_BYTES: {
			size_t avail = len - i;
			uint32_t n = avail < p->left ? (uint32_t)avail : p->left;
			uint32_t before = p->offset;
			r = bytes_run(p, &k, d + i, n);
			i += p->offset - before;
			if (r == 0 && p->left == 0)
				r = step_done(p, &k);
			break;
		}
		case R_INT: {
			/* All the integer's bytes at once when they are here. */
			unsigned n = p->nbytes;
			if (len - i < n)
				n = 1;
			p->nbytes = (uint8_t)(p->nbytes - n);
			p->offset += n;
			if (p->in_props)
				p->props_left -= n;
			while (n--)
				p->acc = (p->acc << 8) | d[i++];
			if (p->nbytes == 0)
				r = step_done(p, &k);
			break;
		}
		case R_VBI:
			b = d[i++];
			p->acc |= (uint32_t)(b & 0x7F) << (7 * p->nbytes);
			p->nbytes++;
			p->offset++;
			if (p->in_props)
				p->props_left--;
			if (b & 0x80) {
				if (p->nbytes == 4)
					r = fail(p, MQTTP_E_LENGTH_TOO_LONG, p->offset - 1);
				else if (room(p) == 0)
					r = no_room(p, p->offset);
			} else if (p->nbytes > 1 && b == 0) {
				r = fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, p->offset - 1);
			} else {
				r = step_done(p, &k);
			}
			break;
		case R_LEN_HI:
			p->acc = (uint32_t)d[i++] << 8;
			p->offset++;
			if (p->in_props)
				p->props_left--;
			p->sub = R_LEN_LO;
			if (i == len)
				break;
			/* the low byte is here too */
			/* fall through */
		case R_LEN_LO:
			p->acc |= d[i++];
			p->offset++;
			if (p->in_props)
				p->props_left--;
			r = length_read(p);
			if (r == 0 && p->left == 0) {
				r = empty_value(p, &k, d + i);
				if (r == 0)
					r = step_done(p, &k);
			}
			break;
		default:
			/* R_NONE outside the header: cannot happen. */
			r = fail(p, MQTTP_E_TRUNCATED, p->offset);
			break;
		}
		if (r)
			break;
	}
	*consumed = i;
	if (r < 0)
		return MQTTP_ERROR;
	if (r > 0) {
		p->packets++;
		p->st = ST_TYPE;
		p->sub = R_NONE;
		if (p->type == MQTTP_CONNECT && !(p->checks & K_VERSION_SET))
			p->checks |= K_VERSION_SET; /* the stream's version is now known */
		p->status = MQTTP_DONE;
		return MQTTP_DONE;
	}
	return MQTTP_NEED_MORE;
}

/* A valid PUBLISH taken by a fast path: the parser as the state machine
 * leaves it, then its events. */
FAST_INLINE enum mqttp_status publish_done(struct mqttp_parser *p, const uint8_t *d, size_t *consumed,
                                           mqttp_field_cb cb, void *ctx, unsigned flags, uint32_t hl,
                                           uint32_t rl)
{
	/* packet_begin()'s public fields; its private ones only matter to the
	 * state machine, which resets them on the next packet's first byte */
	p->remaining_length = rl;
	p->offset = hl + rl;
	p->client_id_off = 0;
	p->client_id_len = 0;
	p->keep_alive = 0;
	p->have = MQTTP_HAVE_HEADER;
	p->user_properties = 0;
	p->type = MQTTP_PUBLISH;
	p->header_flags = (uint8_t)flags;
	p->header_len = (uint8_t)hl;
	p->bridge = 0;
	p->connect_flags = 0;
	p->connack_flags = 0;
	p->reason_code = 0;
	/* st and sub are already ST_TYPE and R_NONE */
	*consumed = hl + rl;
	p->packets++;
	p->status = MQTTP_DONE;
	if (cb)
		return publish_emit(cb, ctx, d, p);
	return MQTTP_DONE;
}

/* A packet's first byte: its fast path, else the state machine. One
 * function per type (speed only: each gets the registers it needs).
 * publish_long: any PUBLISH; publish_start below takes the short ones. */
static FAST_NOINLINE enum mqttp_status publish_long(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                    size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	unsigned flags = d[0] & 0x0Fu, pidlen = (flags & 6) ? 2u : 0u;
	uint32_t rl, hl, n;

	/* publish_fast() written out, its events last: only tail calls here.
	 * 0x3C3F: the flag nibbles allowed (not QoS 3, no DUP with QoS 0). */
	if (!((0x3C3Fu >> flags) & 1) ||
	    (p->packets == 0 && (p->checks & (MQTTP_CHECK_FROM_CLIENT | MQTTP_CHECK_FROM_SERVER))) ||
	    !fast_header(d, len, &rl, &hl) ||
	    (p->max_packet_size && (uint64_t)hl + rl > p->max_packet_size) ||
	    rl < 2u + pidlen) /* length_ok() for PUBLISH */
		return feed_machine(p, d, len, consumed, cb, ctx);
	n = load_be16(d + hl);
	if (n > rl - 2u - pidlen || (n == 0 && p->version != MQTTP_V5) ||
	    fast_ascii_bad(d, d + hl + 2, n, d + hl + rl, 1) ||
	    (pidlen && load_be16(d + hl + 2 + n) == 0))
		return feed_machine(p, d, len, consumed, cb, ctx);
	return publish_done(p, d, consumed, cb, ctx, flags, hl, rl);
}

/* Is the topic d[4, 4 + n) (1 <= n, inside d[0, len)) printable ASCII
 * without '+' and '#'? 0 also when it is not the short common case (n >
 * 32, or fewer than 20 bytes in the buffer): then fast_ascii_bad() decides.
 * Speed only: one or two 16-byte loads (inside the buffer), no loop. */
FAST_INLINE int publish_topic_ok(const uint8_t *d, uint32_t n, size_t len)
{
#if defined(__SSE2__)
	__m128i g;

	if (n > 32 || len < 20)
		return 0;
	g = vec_good(_mm_loadu_si128((const __m128i *)(const void *)(d + 4)), 1);
	if (n > 16)
		g = _mm_and_si128(g, vec_good(_mm_loadu_si128((const __m128i *)(const void *)(d + n - 12)), 1));
	return (~(unsigned)_mm_movemask_epi8(g) & (0xFFFFu >> (n > 16 ? 0 : 16 - n))) == 0;
#else
	(void)len;
	return !fast_ascii_bad(d, d + 4, n, d + 4 + n, 1);
#endif
}

/* A PUBLISH's flag nibble: 0 when not allowed (QoS 3, DUP with QoS 0),
 * else 1 + the length of its packet identifier (speed only: one load for
 * the test and the length). */
static const uint8_t fast_pub_flags[16] = { 1, 1, 3, 3, 3, 3, 0, 0, 0, 0, 3, 3, 3, 3, 0, 0 };

/*
 * Speed only: a whole PUBLISH with a 1-byte remaining length and a
 * non-empty topic, the same checks as publish_long() with few live values
 * (three callee-saved registers, no stack); anything else goes there.
 */
FAST_INLINE enum mqttp_status publish_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	unsigned flags = d[0] & 0x0Fu, fl = fast_pub_flags[flags];
	uint32_t rl, pidlen = fl & 2u, n;

	if (len < 4)
		return publish_long(p, d, len, consumed, cb, ctx);
	rl = d[1];
	/* max_packet_size - 1 wraps to the largest value when it is 0 */
	if (!fl || rl >= 0x80 || rl > len - 2 ||
	    rl < 2u + pidlen || rl + 1u > p->max_packet_size - 1u ||
	    (p->packets == 0 && (p->checks & (MQTTP_CHECK_FROM_CLIENT | MQTTP_CHECK_FROM_SERVER))))
		return publish_long(p, d, len, consumed, cb, ctx);
	n = load_be16(d + 2);
	if (n == 0 || n > rl - 2u - pidlen || !publish_topic_ok(d, n, len) ||
	    (pidlen && load_be16(d + 4 + n) == 0))
		return publish_long(p, d, len, consumed, cb, ctx);
	return publish_done(p, d, consumed, cb, ctx, flags, 2, rl);
}

/* After a fast path's verdict n (the packet's length, or 0: the state
 * machine decides): the stream's bookkeeping, `set` added to its checks. */
FAST_INLINE enum mqttp_status fast_done(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                        size_t *consumed, mqttp_field_cb cb, void *ctx,
                                        uint32_t n, uint8_t set)
{
	if (!n)
		return feed_machine(p, d, len, consumed, cb, ctx);
	*consumed = n;
	p->packets++;
	/* speed only: read again (volatile), so the value the checks began
	 * with need not stay live, and spilled, through the whole packet */
	if (set)
		p->checks = (uint8_t)(*(volatile const uint8_t *)&p->checks | set);
	p->status = MQTTP_DONE;
	return MQTTP_DONE;
}

FAST_INLINE enum mqttp_status connect_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	/* the stream's version is now known */
	return fast_done(p, d, len, consumed, cb, ctx, connect_fast(p, p, d, len, cb, ctx, NULL), K_VERSION_SET);
}

FAST_INLINE enum mqttp_status connack_begin(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                            size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	return fast_done(p, d, len, consumed, cb, ctx, connack_fast(p, d, len, cb, ctx), 0);
}

/* Each fast path twice, with and without a callback (speed only: without
 * one, two fewer arguments stay live through the checks, which keep more
 * values in registers). */
#define FAST_START(name, begin)                                                                   \
	static FAST_ENTRY enum mqttp_status name(struct mqttp_parser *p, const uint8_t *d,         \
	                                            size_t len, size_t *consumed, mqttp_field_cb cb, \
	                                            void *ctx)                                     \
	{                                                                                          \
		return begin(p, d, len, consumed, cb, ctx);                                        \
	}                                                                                          \
	static FAST_ENTRY enum mqttp_status name##_bare(struct mqttp_parser *p, const uint8_t *d,    \
	                                                   size_t len, size_t *consumed)            \
	{                                                                                          \
		return begin(p, d, len, consumed, NULL, NULL);                                     \
	}
FAST_START(publish_start, publish_begin)
FAST_START(connect_start, connect_begin)
FAST_START(connack_start, connack_begin)

/* Bytes d[0, len) inside a string or binary value that do not end it:
 * when they are plain ASCII (or binary), taken as bytes_run() would take
 * them, without the state machine; else the state machine. */
static FAST_NOINLINE enum mqttp_status feed_run(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	if (p->elem == E_NAME ||
	    (p->elem == E_STR && (p->utf8_need != 0 ||
	                          fast_ascii_bad(d, d, (uint32_t)len, d + len, (p->hflags & H_TOPIC) != 0))))
		return feed_machine(p, d, len, consumed, cb, ctx);
	if (cb) {
		struct sink k;

		k.cb = cb;
		k.ctx = ctx;
		emit_frag(p, &k, d, (uint32_t)len, 0);
	}
	p->offset += (uint32_t)len;
	if (p->in_props)
		p->props_left -= (uint32_t)len;
	p->left -= (uint32_t)len;
	*consumed = len;
	p->status = MQTTP_NEED_MORE;
	return MQTTP_NEED_MORE;
}

/*
 * Speed only, like everything here but the last line: mqttp_feed makes
 * tail calls only, so it needs no stack frame, and a single byte inside a
 * value (a packet arriving byte by byte) is taken here as bytes_run()
 * would take it, without the state machine.
 */
enum mqttp_status mqttp_feed(struct mqttp_parser *p, const void *data, size_t len,
                             size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	const uint8_t *d = (const uint8_t *)data;

	if (p->status == MQTTP_ERROR || len == 0) {
		*consumed = 0;
		/* a zero-length call changes nothing, not even status */
		return p->status == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE;
	}
	if (p->st == ST_TYPE) {
		/* speed only: CONNECT and CONNACK (one compare each) before
		 * PUBLISH (a shift and a compare) */
		if (d[0] == 0x10)
			return cb ? connect_start(p, d, len, consumed, cb, ctx) : connect_start_bare(p, d, len, consumed);
		if (d[0] == 0x20)
			return cb ? connack_start(p, d, len, consumed, cb, ctx) : connack_start_bare(p, d, len, consumed);
		if ((d[0] >> 4) == MQTTP_PUBLISH)
			return cb ? publish_start(p, d, len, consumed, cb, ctx) : publish_start_bare(p, d, len, consumed);
	}
	if (p->sub == R_BYTES && len < p->left) {
		uint8_t b = d[0];

		if (len > 1 || cb)
			return feed_run(p, d, len, consumed, cb, ctx);
		if (p->elem == E_STR ? p->utf8_need == 0 && (uint8_t)(b - 0x20) < 0x5F &&
		                       (!(p->hflags & H_TOPIC) || (b != '+' && b != '#'))
		    : p->elem == E_NAME ? name_byte_ok(p, p->fld_len - p->left, b) : 1) {
			p->offset++;
			if (p->in_props)
				p->props_left--;
			p->left--;
			*consumed = 1;
			p->status = MQTTP_NEED_MORE;
			return MQTTP_NEED_MORE;
		}
	}
	return feed_machine(p, d, len, consumed, cb, ctx);
}

/* mqttp_init's stores cover 96 < size <= 112 bytes. */
typedef char mqttp_parser_zero_check[(sizeof(struct mqttp_parser) > 96 && sizeof(struct mqttp_parser) <= 112) ? 1 : -1];

/* The parser's size is part of the ABI (C99 has no _Static_assert). */
typedef char mqttp_parser_size_check[(sizeof(struct mqttp_parser) <= MQTTP_PARSER_SIZE) ? 1 : -1];
