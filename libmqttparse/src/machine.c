/*
 * machine.c - the incremental MQTT parser as the specification states it:
 * every packet type framed and decoded (fields as events).
 *
 * Design: a push state machine. `st` is the position in the packet's
 * grammar (which field comes next), `sub` the primitive being read (an
 * n-byte integer, a variable byte integer, the 2-byte length of a string,
 * or a run of bytes), `pst` the position inside a property block. Every
 * check is made on the byte that decides it, so the verdict and the error
 * offset depend only on the bytes, never on how they were split. Runs of
 * bytes (strings, binary data, bodies of other packets) are consumed in
 * bulk, so the work is proportional to the bytes fed. This file decides
 * every verdict; fast.c may only take the packets it accepts the same way.
 */
#include <stddef.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "machine.h"
#include "charclass.h"
#include "topic.h"

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
	return p->priv_in_props ? p->priv_props_left : body_left(p);
}

/* The error for a field that does not fit in room(). */
static int no_room(struct mqttp_parser *p, uint32_t off)
{
	return fail(p, p->priv_in_props ? MQTTP_E_PROPERTY_LENGTH : MQTTP_E_TRUNCATED, off);
}

static int start_int(struct mqttp_parser *p, unsigned n)
{
	if (room(p) < n)
		return no_room(p, p->offset);
	p->priv_sub = R_INT;
	p->priv_nbytes = (uint8_t)n;
	p->priv_acc = 0;
	p->priv_fld_off = p->offset;
	return 0;
}

static int start_vbi(struct mqttp_parser *p)
{
	if (room(p) < 1)
		return no_room(p, p->offset);
	p->priv_sub = R_VBI;
	p->priv_nbytes = 0;
	p->priv_acc = 0;
	p->priv_fld_off = p->offset;
	return 0;
}

static int start_str(struct mqttp_parser *p, unsigned elem)
{
	if (room(p) < 2)
		return no_room(p, p->offset);
	p->priv_sub = R_LEN_HI;
	p->priv_elem = (uint8_t)elem;
	p->priv_fld_off = p->offset;
	p->priv_hflags &= (uint8_t)~(H_TOPIC | H_WILDCARD);
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
		[ST_P_PROPS] = MQTTP_F_PROPERTY,
		[ST_P_PAYLOAD] = MQTTP_F_PAYLOAD,
		[ST_K_PACKET_ID] = MQTTP_F_PACKET_ID,
		[ST_K_CODE] = MQTTP_F_REASON_CODE,
		[ST_K_PROPS] = MQTTP_F_PROPERTY,
		[ST_S_PACKET_ID] = MQTTP_F_PACKET_ID,
		[ST_S_PROPS] = MQTTP_F_PROPERTY,
		[ST_S_FILTER] = MQTTP_F_TOPIC_FILTER,
		[ST_S_OPTIONS] = MQTTP_F_SUBSCRIPTION_OPTIONS,
		[ST_S_CODE] = MQTTP_F_REASON_CODE,
	};
	return by_step[p->priv_st];
}

/* Report an integer value. */
static void emit_int(const struct mqttp_parser *p, const struct sink *k,
                     uint8_t id, uint32_t value)
{
	struct mqttp_field f;

	if (!k->cb || (p->priv_hflags & H_MUTE))
		return;
	f.id = id;
	f.prop_id = p->priv_in_props ? p->priv_prop_id : 0;
	f.pair_part = 0;
	f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
	f.value = value;
	f.off = p->priv_fld_off;
	f.len = 0;
	f.frag = NULL;
	f.frag_off = 0;
	f.frag_len = 0;
	k->cb(k->ctx, &f);
}

/* Report a fragment [frag, frag + n) of the string/binary value. */
void mqttp__emit_frag(const struct mqttp_parser *p, const struct sink *k,
                      const uint8_t *frag, uint32_t n, int last)
{
	struct mqttp_field f;
	uint32_t done = p->priv_fld_len - p->priv_left;

	if (!k->cb || (p->priv_hflags & H_MUTE) || p->priv_elem == E_SKIP)
		return;
	f.id = field_id(p);
	f.prop_id = p->priv_in_props ? p->priv_prop_id : 0;
	f.pair_part = p->priv_pst == P_PAIR_VALUE;
	f.flags = (uint8_t)((done == 0 ? MQTTP_FRAG_FIRST : 0) | (last ? MQTTP_FRAG_LAST : 0));
	f.value = p->priv_fld_len;
	f.off = p->priv_fld_off;
	f.len = p->priv_fld_len;
	f.frag = frag;
	f.frag_off = done;
	f.frag_len = n;
	k->cb(k->ctx, &f);
}

/* One byte of a UTF-8 string that is not plain, or any byte inside a
 * character (charclass.h). Returns 0 or an error code. */
static enum mqttp_error utf8_byte(struct mqttp_parser *p, uint8_t b)
{
	enum mqttp_error e = mqttp__mqtt_utf8_byte(b, &p->priv_utf8_need, &p->priv_utf8_lo, &p->priv_utf8_hi,
	                                           &p->priv_cp, p->priv_lenient & MQTTP_LENIENT_CONTROL_CHARS);

	if (e == MQTTP_E_NONE && p->priv_utf8_need == 0 && MQTTP__WILDCARD(p->priv_cp) &&
	    (p->priv_hflags & H_TOPIC))
		p->priv_hflags |= H_WILDCARD;
	return e;
}

/* Check d[0..n) of a UTF-8 string; on error returns the index of the
 * offending byte and sets *err, else returns n. */
static uint32_t utf8_run(struct mqttp_parser *p, const uint8_t *d, uint32_t n,
                         enum mqttp_error *err)
{
	uint32_t i = 0;

	while (i < n) {
		if (p->priv_utf8_need == 0) {
			i += (uint32_t)mqttp__cc_plain_prefix(d + i, n - i, (p->priv_hflags & H_TOPIC) != 0);
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

/* --------------------------------------------------------------------- */
/* Property blocks                                                       */
/* --------------------------------------------------------------------- */

static int step_done(struct mqttp_parser *p, const struct sink *k);

static int start_props(struct mqttp_parser *p)
{
	p->priv_pst = P_BLOCKLEN;
	return start_vbi(p);
}

/* The packet (rules.h's MQTTP__PK bits) the property block belongs to. */
static unsigned props_packet(const struct mqttp_parser *p)
{
	return p->priv_st == ST_C_WILL_PROPS ? MQTTP__PK_WILL : MQTTP__PK(p->type);
}

/* May property pi appear here? A DISCONNECT from a server never carries
 * a Session Expiry Interval [MQTT-3.14.2-2]. */
static int prop_allowed(const struct mqttp_parser *p, const struct mqttp_property_info *pi)
{
	if (pi->id == 0x11 && p->type == MQTTP_DISCONNECT && (p->priv_checks & MQTTP_CHECK_FROM_SERVER))
		return 0;
	/* nor a client's PUBLISH a Subscription Identifier [MQTT-3.3.4-6] */
	if (pi->id == 0x0B && p->type == MQTTP_PUBLISH && (p->priv_checks & MQTTP_CHECK_FROM_CLIENT))
		return 0;
	return (mqttp__prop_rules[pi->id].packets & props_packet(p)) != 0;
}

/* The property block ended: checks that need the whole block. */
static int props_end(struct mqttp_parser *p, const struct sink *k)
{
	if (MQTTP__AUTH_DATA_ALONE(p->priv_props_seen))
		return fail(p, MQTTP_E_AUTH_DATA_WITHOUT_METHOD, p->offset);
	/* an empty topic name needs a topic alias (section 3.3.2.3.4) */
	if ((p->priv_hflags & H_EMPTY_TOPIC) && !(p->priv_props_seen & (1ull << 0x23)))
		return fail(p, MQTTP_E_TOPIC_ALIAS_UNKNOWN, p->offset);
	/* an AUTH's properties name its method (section 3.15.2.2.2) */
	if (p->type == MQTTP_AUTH && !(p->priv_props_seen & (1ull << 0x15)))
		return fail(p, MQTTP_E_AUTH_METHOD, p->offset);
	p->priv_in_props = 0;
	p->priv_pst = P_NONE;
	p->priv_sub = R_NONE;
	return step_done(p, k);
}

static int next_prop(struct mqttp_parser *p, const struct sink *k)
{
	p->priv_hflags &= (uint8_t)~H_MUTE;
	if (p->priv_props_left == 0)
		return props_end(p, k);
	p->priv_pst = P_ID;
	return start_vbi(p);
}

/* A property id was read (p->priv_acc): start reading its value. */
static int prop_id_read(struct mqttp_parser *p)
{
	const struct mqttp_property_info *pi = mqttp_property_info(p->priv_acc);

	if (!pi)
		return fail(p, MQTTP_E_PROPERTY_ID, p->priv_fld_off);
	p->priv_prop_id = pi->id;
	p->priv_prop_off = p->priv_fld_off;
	/* Where-allowed and duplicate checks wait for the value, as a broker
	 * reading the property first would; such properties are not reported. */
	if (!prop_allowed(p, pi) ||
	    (!pi->repeatable && (p->priv_props_seen & (1ull << pi->id))))
		p->priv_hflags |= H_MUTE;
	p->priv_pst = P_VALUE;
	switch (pi->type) {
	case MQTTP_PT_BYTE: return start_int(p, 1);
	case MQTTP_PT_U16: return start_int(p, 2);
	case MQTTP_PT_U32: return start_int(p, 4);
	case MQTTP_PT_VBI: return start_vbi(p);
	case MQTTP_PT_BINARY: return start_str(p, E_BIN);
	case MQTTP_PT_STRING_PAIR:
		p->priv_pst = P_PAIR_KEY;
		return start_str(p, E_STR);
	default:
		if (start_str(p, E_STR) < 0)
			return -1;
		if (mqttp__prop_rules[pi->id].range == MQTTP__TOPIC)
			p->priv_hflags |= H_TOPIC;
		return 0;
	}
}

/* The property's value was read: checks made on the whole property. */
static int prop_value_read(struct mqttp_parser *p, const struct sink *k)
{
	const struct mqttp_property_info *pi = mqttp_property_info(p->priv_prop_id);

	if (!prop_allowed(p, pi))
		return fail(p, MQTTP_E_PROPERTY_NOT_ALLOWED, p->priv_prop_off);
	if (!pi->repeatable) {
		if (p->priv_props_seen & (1ull << pi->id))
			return fail(p, MQTTP_E_PROPERTY_DUPLICATE, p->priv_prop_off);
		p->priv_props_seen |= 1ull << pi->id;
	}
	if (pi->type <= MQTTP_PT_VBI) {
		/* alias 0 is topic alias invalid, 0x94 [MQTT-3.3.2-8]; its maximum is
		 * the caller's (mqttcodec.h) */
		if (pi->id == 0x23 && MQTTP__TOPIC_ALIAS_BAD(p->priv_acc, 0xFFFFu))
			return fail(p, MQTTP_E_TOPIC_ALIAS, p->priv_fld_off);
		if (!mqttp__prop_value_ok(mqttp__prop_rules[pi->id].range, p->priv_acc))
			return fail(p, MQTTP_E_PROPERTY_VALUE, p->priv_fld_off);
		emit_int(p, k, p->priv_st == ST_C_WILL_PROPS ? MQTTP_F_WILL_PROPERTY : MQTTP_F_PROPERTY, p->priv_acc);
	} else if (mqttp__prop_rules[pi->id].range == MQTTP__TOPIC &&
	           (p->priv_fld_len == 0 || (p->priv_hflags & H_WILDCARD))) {
		return fail(p, MQTTP_E_PROPERTY_VALUE, p->priv_fld_off);
	}
	if (pi->id == 0x26 && ++p->user_properties > p->priv_max_user_properties)
		return fail(p, MQTTP_E_TOO_MANY_USER_PROPERTIES, p->priv_prop_off);
	return next_prop(p, k);
}

/* A primitive finished inside a property block (or its length). */
static int prop_step(struct mqttp_parser *p, const struct sink *k)
{
	switch (p->priv_pst) {
	case P_BLOCKLEN:
		if (p->priv_acc > body_left(p))
			return fail(p, MQTTP_E_PROPERTY_LENGTH, p->priv_fld_off);
		p->priv_props_left = p->priv_acc;
		p->priv_props_seen = 0;
		p->priv_in_props = p->priv_st == ST_C_WILL_PROPS ? 2 : 1;
		if (k->cb) {
			struct mqttp_field f = { 0 };
			f.id = p->priv_st == ST_C_WILL_PROPS ? MQTTP_F_WILL_PROPERTIES : MQTTP_F_PROPERTIES;
			f.flags = MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST;
			f.value = p->priv_acc;
			f.off = p->offset;
			f.len = p->priv_acc;
			k->cb(k->ctx, &f);
		}
		return next_prop(p, k);
	case P_ID:
		return prop_id_read(p);
	case P_PAIR_KEY:
		p->priv_pst = P_PAIR_VALUE;
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
	p->priv_st = ST_SKIP;
	p->priv_elem = E_SKIP;
	p->priv_fld_off = p->offset;
	p->priv_fld_len = p->priv_left = body_left(p);
	p->priv_sub = p->priv_left ? R_BYTES : R_NONE;
	return p->priv_left == 0;
}

/* A PUBLISH's payload: the rest of the packet, reported in pieces. */
static int publish_payload(struct mqttp_parser *p, const struct sink *k)
{
	p->priv_st = ST_P_PAYLOAD;
	p->priv_elem = E_BIN;
	p->priv_fld_off = p->offset;
	p->priv_fld_len = p->priv_left = body_left(p);
	if (p->priv_left == 0) {
		mqttp__emit_frag(p, k, NULL, 0, 1);
		p->priv_sub = R_NONE;
		return 1;
	}
	p->priv_sub = R_BYTES;
	return 0;
}

/* After a PUBLISH's topic name and packet identifier: 5.0 properties
 * [MQTT-3.3.2.3], then the payload. */
static int publish_props(struct mqttp_parser *p, const struct sink *k)
{
	if (p->version == MQTTP_V5) {
		p->priv_st = ST_P_PROPS;
		return start_props(p);
	}
	return publish_payload(p, k);
}

/* The next entry of a SUBSCRIBE, UNSUBSCRIBE (a filter), SUBACK or
 * UNSUBACK (a reason code), or the packet's end after at least one
 * [MQTT-3.8.3-2], [MQTT-3.10.3-2]; a 3.1.1 UNSUBACK has none. */
static int list_next(struct mqttp_parser *p)
{
	if (body_left(p) == 0) {
		if (!(p->priv_hflags & H_ENTRY) && !(p->type == MQTTP_UNSUBACK && p->version != MQTTP_V5))
			return fail(p, MQTTP_E_EMPTY_LIST, p->offset);
		p->priv_sub = R_NONE;
		return 1;
	}
	if (p->type == MQTTP_SUBACK || p->type == MQTTP_UNSUBACK) {
		p->priv_st = ST_S_CODE;
		return start_int(p, 1);
	}
	p->priv_st = ST_S_FILTER;
	{
		struct mqttp__filter_state s;

		/* "$share/" is 5.0's [MQTT-4.8.2-1] */
		mqttp__filter_init(&s, p->version == MQTTP_V5);
		p->priv_filter_st = s.st;
		p->priv_filter_pre = s.pre;
	}
	return start_str(p, E_FILTER);
}

/* A SUBSCRIBE's options byte (section 3.8.3.1). */
static int options_read(struct mqttp_parser *p, const struct sink *k)
{
	unsigned v = p->priv_acc, qos = v & 3, shared = p->priv_filter_pre == MQTTP__SHARE_PREFIX_LEN;

	if (p->version == MQTTP_V5) {
		if (v & 0xC0) /* [MQTT-3.8.3-5] */
			return fail(p, MQTTP_E_SUBSCRIBE_RESERVED, p->priv_fld_off);
		/* QoS 3, Retain Handling 3; No Local on a shared subscription [MQTT-3.8.3-4] */
		if (qos == 3 || ((v >> 4) & 3) == 3 || ((v & 4) && shared))
			return fail(p, MQTTP_E_SUBSCRIPTION_OPTIONS, p->priv_fld_off);
	} else if ((v & 0xFC) || qos == 3) { /* 3.1.1 [MQTT-3-8.3-4] */
		return fail(p, MQTTP_E_SUBSCRIBE_RESERVED, p->priv_fld_off);
	}
	emit_int(p, k, MQTTP_F_SUBSCRIPTION_OPTIONS, v);
	return list_next(p);
}

/* The packet's last field was read. Returns 1 (packet done) or -1. */
static int packet_end(struct mqttp_parser *p)
{
	if (body_left(p) != 0)
		return fail(p, MQTTP_E_TRAILING_BYTES, p->offset);
	p->priv_sub = R_NONE;
	return 1;
}

static int after_will(struct mqttp_parser *p)
{
	if (p->connect_flags & MQTTP_CF_USERNAME) {
		p->priv_st = ST_C_USERNAME;
		return start_str(p, E_STR);
	}
	if (p->connect_flags & MQTTP_CF_PASSWORD) {
		p->priv_st = ST_C_PASSWORD;
		return start_str(p, E_BIN);
	}
	return packet_end(p);
}

/* The protocol level byte (p->priv_acc) of a CONNECT. */
static int level_read(struct mqttp_parser *p, const struct sink *k)
{
	uint8_t raw = (uint8_t)p->priv_acc, lvl = raw & 0x7F;
	int mqisdp = (p->priv_hflags & H_MQISDP) != 0;

	p->bridge = raw >> 7;
	p->version = lvl;
	p->have |= MQTTP_HAVE_VERSION;
	if (lvl < MQTTP_V31 || lvl > MQTTP_V5)
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->priv_fld_off);
	if (mqisdp != (lvl == MQTTP_V31) && !(p->priv_lenient & MQTTP_LENIENT_PROTOCOL_NAME))
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->priv_fld_off);
	if (p->bridge && (p->priv_checks & MQTTP_CHECK_NO_BRIDGE))
		return fail(p, MQTTP_E_PROTOCOL_VERSION, p->priv_fld_off);
	/* Checks deferred until the version was known. */
	if ((p->priv_hflags & H_DEFER_HDRFLAGS) && lvl != MQTTP_V31)
		return fail(p, MQTTP_E_HEADER_FLAGS, 0);
	if ((p->priv_hflags & H_DEFER_NONMIN) && lvl == MQTTP_V5)
		return fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, (uint32_t)p->header_len - 1);
	if (p->priv_hflags & H_DEFER_TOOLARGE)
		return fail(p, MQTTP_E_PACKET_TOO_LARGE, 1);
	emit_int(p, k, MQTTP_F_PROTOCOL_LEVEL, raw);
	p->priv_st = ST_C_FLAGS;
	return start_int(p, 1);
}

/* The connect flags byte (rules.h). */
static int flags_read(struct mqttp_parser *p, const struct sink *k)
{
	uint8_t cf = (uint8_t)p->priv_acc;
	enum mqttp_error e = MQTTP__CONNECT_FLAGS_ERROR(cf, p->version == MQTTP_V5,
	                                                p->priv_lenient & MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME);

	p->connect_flags = cf;
	if (e != MQTTP_E_NONE)
		return fail(p, e, p->priv_fld_off);
	p->have |= MQTTP_HAVE_FLAGS;
	emit_int(p, k, MQTTP_F_CONNECT_FLAGS, cf);
	p->priv_st = ST_C_KEEPALIVE;
	return start_int(p, 2);
}

/* The 2-byte length of a string was read: per-field length rules. */
static int length_read(struct mqttp_parser *p)
{
	uint32_t len = p->priv_acc;

	if (len > room(p))
		return no_room(p, p->priv_fld_off);
	switch (p->priv_in_props ? 0 : p->priv_st) {
	case ST_C_NAME:
		/* Only "MQTT" (4) and "MQIsdp" (6) exist [MQTT-3.1.2-1]. */
		if (len != 4 && len != 6)
			return fail(p, MQTTP_E_PROTOCOL_NAME, p->priv_fld_off);
		if (len == 6)
			p->priv_hflags |= H_MQISDP;
		break;
	case ST_C_CLIENT_ID:
	{
		enum mqttp_error e = MQTTP__CLIENT_ID_ERROR(p->version, p->connect_flags, len,
		                                            p->priv_lenient & MQTTP_LENIENT_V31_LONG_CLIENT_ID,
		                                            p->priv_max_client_id_len);
		if (e != MQTTP_E_NONE)
			return fail(p, e, p->priv_fld_off);
		break;
	}
	case ST_C_WILL_TOPIC:
	case ST_P_TOPIC:
		p->priv_hflags |= H_TOPIC;
		break;
	}
	p->priv_fld_off = p->offset;
	p->priv_fld_len = len;
	p->priv_left = len;
	p->priv_utf8_need = 0;
	p->priv_sub = R_BYTES;
	return 0;
}

/*
 * A value finished: apply its checks and start the next field. Returns 0
 * to go on, 1 when the packet is complete, -1 on error.
 */
static int step_done(struct mqttp_parser *p, const struct sink *k)
{
	if (p->priv_pst != P_NONE)
		return prop_step(p, k);
	switch (p->priv_st) {
	case ST_C_NAME:
		p->priv_st = ST_C_LEVEL;
		return start_int(p, 1);
	case ST_C_LEVEL:
		return level_read(p, k);
	case ST_C_FLAGS:
		return flags_read(p, k);
	case ST_C_KEEPALIVE:
		p->keep_alive = (uint16_t)p->priv_acc;
		p->have |= MQTTP_HAVE_KEEP_ALIVE;
		emit_int(p, k, MQTTP_F_KEEP_ALIVE, p->priv_acc);
		if (p->version == MQTTP_V5) {
			p->priv_st = ST_C_PROPS;
			return start_props(p);
		}
		p->priv_st = ST_C_CLIENT_ID;
		return start_str(p, E_STR);
	case ST_C_PROPS:
		p->priv_st = ST_C_CLIENT_ID;
		return start_str(p, E_STR);
	case ST_C_CLIENT_ID:
		p->client_id_off = p->priv_fld_off;
		p->client_id_len = (uint16_t)p->priv_fld_len;
		p->have |= MQTTP_HAVE_CLIENT_ID;
		if (!(p->connect_flags & MQTTP_CF_WILL))
			return after_will(p);
		if (p->version == MQTTP_V5) {
			p->priv_st = ST_C_WILL_PROPS;
			return start_props(p);
		}
		p->priv_st = ST_C_WILL_TOPIC;
		return start_str(p, E_STR);
	case ST_C_WILL_PROPS:
		p->priv_st = ST_C_WILL_TOPIC;
		return start_str(p, E_STR);
	case ST_C_WILL_TOPIC:
		p->priv_st = ST_C_WILL_PAYLOAD;
		return start_str(p, E_BIN);
	case ST_C_WILL_PAYLOAD:
		return after_will(p);
	case ST_C_USERNAME:
		if (p->connect_flags & MQTTP_CF_PASSWORD) {
			p->priv_st = ST_C_PASSWORD;
			return start_str(p, E_BIN);
		}
		return packet_end(p);
	case ST_C_PASSWORD:
		return packet_end(p);
	case ST_A_FLAGS:
		p->connack_flags = (uint8_t)p->priv_acc;
		if (MQTTP__CONNACK_FLAGS_BAD(p->priv_acc))
			return fail(p, MQTTP_E_CONNACK_FLAGS, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_CONNACK_FLAGS, p->priv_acc);
		p->priv_st = ST_A_CODE;
		return start_int(p, 1);
	case ST_A_CODE:
		p->reason_code = (uint8_t)p->priv_acc;
		if (!mqttp_connack_code_valid(p->version, p->priv_acc))
			return fail(p, MQTTP_E_REASON_CODE, p->priv_fld_off);
		if (MQTTP__SESSION_PRESENT_BAD(p->connack_flags, p->priv_acc))
			return fail(p, MQTTP_E_SESSION_PRESENT, p->priv_fld_off);
		p->have |= MQTTP_HAVE_CONNACK;
		emit_int(p, k, MQTTP_F_REASON_CODE, p->priv_acc);
		if (p->version == MQTTP_V5) {
			p->priv_st = ST_A_PROPS;
			return start_props(p);
		}
		return packet_end(p);
	case ST_A_PROPS:
		return packet_end(p);
	case ST_P_TOPIC:
		/* Topic names have no wildcards [MQTT-3.3.2-2] and are not empty
		 * [MQTT-4.7.3-1], except with a 5.0 topic alias. */
		if ((p->priv_hflags & H_WILDCARD) || (p->priv_fld_len == 0 && !MQTTP__EMPTY_TOPIC_OK(p->version)))
			return fail(p, MQTTP_E_TOPIC_NAME, p->priv_fld_off);
		if (p->priv_fld_len == 0)
			p->priv_hflags |= H_EMPTY_TOPIC;
		if (p->header_flags & 6) {
			p->priv_st = ST_P_PACKET_ID;
			return start_int(p, 2);
		}
		return publish_props(p, k);
	case ST_P_PACKET_ID:
		if (p->priv_acc == 0) /* [MQTT-2.3.1-1] */
			return fail(p, MQTTP_E_PACKET_ID, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_PACKET_ID, p->priv_acc);
		return publish_props(p, k);
	case ST_P_PROPS:
		return publish_payload(p, k);
	case ST_P_PAYLOAD:
		p->priv_sub = R_NONE;
		return 1;
	case ST_K_PACKET_ID:
		if (p->priv_acc == 0) /* [MQTT-2.3.1-1] */
			return fail(p, MQTTP_E_PACKET_ID, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_PACKET_ID, p->priv_acc);
		/* 5.0: a reason code and properties may follow [MQTT-3.4.2.1];
		 * before 5.0 nothing does, and with the version unknown the rest
		 * is framed only */
		if (p->version == MQTTP_V5 && body_left(p) > 0) {
			p->priv_st = ST_K_CODE;
			return start_int(p, 1);
		}
		return skip_rest(p);
	case ST_K_CODE:
		p->reason_code = (uint8_t)p->priv_acc;
		if (!mqttp_reason_code_allowed(MQTTP_V5, p->type, p->priv_acc))
			return fail(p, MQTTP_E_REASON_CODE, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_REASON_CODE, p->priv_acc);
		if (body_left(p) == 0)
			return packet_end(p);
		p->priv_st = ST_K_PROPS;
		return start_props(p);
	case ST_K_PROPS:
		return packet_end(p);
	case ST_S_PACKET_ID:
		if (p->priv_acc == 0) /* [MQTT-2.3.1-1] */
			return fail(p, MQTTP_E_PACKET_ID, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_PACKET_ID, p->priv_acc);
		if (!p->version) /* whether properties follow is unknown: framed only */
			return skip_rest(p);
		if (p->version == MQTTP_V5) {
			p->priv_st = ST_S_PROPS;
			return start_props(p);
		}
		return list_next(p);
	case ST_S_PROPS:
		return list_next(p);
	case ST_S_FILTER: {
		struct mqttp__filter_state s;
		enum mqttp_error e;

		s.st = p->priv_filter_st;
		s.pre = p->priv_filter_pre;
		e = mqttp__filter_end(&s);
		if (e != MQTTP_E_NONE)
			return fail(p, e, p->offset);
		p->priv_hflags |= H_ENTRY;
		if (p->type == MQTTP_SUBSCRIBE) {
			p->priv_st = ST_S_OPTIONS;
			return start_int(p, 1);
		}
		return list_next(p);
	}
	case ST_S_OPTIONS:
		return options_read(p, k);
	case ST_S_CODE:
		if (!mqttp_reason_code_allowed(p->version, p->type, p->priv_acc))
			return fail(p, MQTTP_E_REASON_CODE, p->priv_fld_off);
		emit_int(p, k, MQTTP_F_REASON_CODE, p->priv_acc);
		p->priv_hflags |= H_ENTRY;
		return list_next(p);
	default: /* ST_SKIP */
		p->priv_sub = R_NONE;
		return 1;
	}
}

/* --------------------------------------------------------------------- */
/* Fixed header                                                          */
/* --------------------------------------------------------------------- */

/* Direction and first-packet rules for a packet type [MQTT-3.1.0-1/2]. */
static enum mqttp_error direction_check(const struct mqttp_parser *p, unsigned type)
{
	if (p->priv_checks & MQTTP_CHECK_FROM_CLIENT) {
		if (p->packets == 0 && type != MQTTP_CONNECT)
			return MQTTP_E_FIRST_NOT_CONNECT;
		if (p->packets != 0 && type == MQTTP_CONNECT)
			return MQTTP_E_SECOND_CONNECT;
		if (type == MQTTP_CONNACK || type == MQTTP_SUBACK ||
		    type == MQTTP_UNSUBACK || type == MQTTP_PINGRESP)
			return MQTTP_E_DIRECTION;
	}
	if (p->priv_checks & MQTTP_CHECK_FROM_SERVER) {
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
		return (enum mqttp_error)MQTTP__PUBLISH_FLAGS_ERROR(flags);
	case MQTTP_PUBREL: case MQTTP_SUBSCRIBE: case MQTTP_UNSUBSCRIBE:
		return flags == 2 ? MQTTP_E_NONE : MQTTP_E_HEADER_FLAGS;
	default:
		return flags == 0 ? MQTTP_E_NONE : MQTTP_E_HEADER_FLAGS;
	}
}

/* The first byte of a packet. */
static int type_read(struct mqttp_parser *p, uint8_t b)
{
	unsigned type = b >> 4, flags = b & 0x0F;
	enum mqttp_error e;

	mqttp__packet_begin(p, type, flags);
	if (type == 0 || (type == MQTTP_AUTH && p->version && p->version != MQTTP_V5))
		return fail(p, MQTTP_E_RESERVED_TYPE, 0);
	e = direction_check(p, type);
	if (e != MQTTP_E_NONE)
		return fail(p, e, 0);
	e = flags_check(type, flags);
	if (e == MQTTP_E_HEADER_FLAGS && type == MQTTP_CONNECT &&
	    (p->priv_lenient & MQTTP_LENIENT_V31_HEADER_FLAGS)) {
		p->priv_hflags |= H_DEFER_HDRFLAGS; /* fine if it turns out to be 3.1 */
		e = MQTTP_E_NONE;
	}
	if (e != MQTTP_E_NONE)
		return fail(p, e, 0);
	p->priv_st = ST_LEN;
	p->priv_sub = R_NONE;
	p->priv_acc = 0;
	p->priv_nbytes = 0;
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
	if (mqttp__too_large(p->priv_max_packet_size, p->header_len, p->remaining_length)) {
		if (p->type != MQTTP_CONNECT || (p->priv_checks & K_VERSION_SET))
			return fail(p, MQTTP_E_PACKET_TOO_LARGE, 1);
		/* Report it once the version is known, so the refusal can be
		 * a 5.0 CONNACK 0x95. */
		p->priv_hflags |= H_DEFER_TOOLARGE;
	}
	if (!length_ok(p->type, p->header_flags, p->remaining_length, p->version))
		return fail(p, MQTTP_E_PACKET_LENGTH, 1);
	switch (p->type) {
	case MQTTP_CONNECT:
		p->priv_st = ST_C_NAME;
		return start_str(p, E_NAME);
	case MQTTP_PUBLISH:
		p->priv_st = ST_P_TOPIC;
		if (start_str(p, E_STR) < 0)
			return -1;
		p->priv_hflags |= H_TOPIC;
		return 0;
	case MQTTP_CONNACK:
		if (!p->version) {
			/* 3.1.1 CONNACKs are 2 bytes, 5.0 ones at least 3. */
			p->version = p->remaining_length == 2 ? MQTTP_V311 : MQTTP_V5;
		}
		p->have |= MQTTP_HAVE_VERSION;
		p->priv_st = ST_A_FLAGS;
		return start_int(p, 1);
	case MQTTP_PUBACK: case MQTTP_PUBREC: case MQTTP_PUBREL: case MQTTP_PUBCOMP:
		p->priv_st = ST_K_PACKET_ID;
		return start_int(p, 2);
	case MQTTP_SUBSCRIBE: case MQTTP_SUBACK: case MQTTP_UNSUBSCRIBE: case MQTTP_UNSUBACK:
		p->priv_st = ST_S_PACKET_ID;
		return start_int(p, 2);
	case MQTTP_DISCONNECT: case MQTTP_AUTH:
		/* AUTH exists in 5.0 only; a DISCONNECT has a body from 5.0 on */
		if (p->remaining_length > 0 && (p->version == MQTTP_V5 || p->type == MQTTP_AUTH)) {
			p->priv_st = ST_K_CODE;
			return start_int(p, 1);
		}
		/* fall through */
	default:
		if (p->remaining_length == 0)
			return 1;
		p->priv_st = ST_SKIP;
		p->priv_elem = E_SKIP;
		p->priv_fld_off = p->offset;
		p->priv_fld_len = p->priv_left = p->remaining_length;
		p->priv_sub = R_BYTES;
		(void)k;
		return 0;
	}
}

/* One byte of the remaining length [MQTT-1.5.5]. */
static int length_byte(struct mqttp_parser *p, const struct sink *k, uint8_t b)
{
	int r = mqttp__vbi_step(&p->priv_acc, &p->priv_nbytes, b);
	unsigned n = p->priv_nbytes;

	p->offset++;
	if (r == MQTTP__VBI_LONG)
		return fail(p, MQTTP_E_LENGTH_TOO_LONG, n);
	if (r == MQTTP__VBI_MORE)
		return 0;
	p->remaining_length = p->priv_acc;
	p->header_len = (uint8_t)(n + 1);
	if (r == MQTTP__VBI_NONMIN) {
		int lenient = (p->priv_lenient & MQTTP_LENIENT_NON_MINIMAL_LENGTH) && p->version != MQTTP_V5;
		if (!lenient)
			return fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, n);
		if (!p->version || (p->type == MQTTP_CONNECT && !(p->priv_checks & K_VERSION_SET)))
			p->priv_hflags |= H_DEFER_NONMIN;
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
		/* seven 16-byte stores of zero, where a struct copy would load
		 * as much as it stores; 96 < size <= 112 bytes */
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
	p->priv_lenient = (uint8_t)(opt->lenient & MQTTP_LENIENT_ALL);
	p->priv_checks = (uint8_t)(opt->checks & 7u);
	p->priv_max_packet_size = opt->max_packet_size;
	p->priv_max_client_id_len = opt->max_client_id_len;
	p->priv_max_user_properties = opt->max_user_properties ? opt->max_user_properties
	                                                  : MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	if (opt->version) {
		p->version = opt->version;
		p->priv_opt_version = opt->version;
		p->priv_checks |= K_VERSION_SET;
	}
	p->status = MQTTP_NEED_MORE;
}

void mqttp_reset(struct mqttp_parser *p)
{
	struct mqttp_options o;

	o.lenient = p->priv_lenient;
	o.checks = p->priv_checks & 7u;
	o.max_packet_size = p->priv_max_packet_size;
	o.max_client_id_len = p->priv_max_client_id_len;
	o.max_user_properties = p->priv_max_user_properties;
	o.version = p->priv_opt_version; /* not the version a CONNECT taught the stream */
	mqttp_init(p, &o);
}

/* Check d[0..n) of a topic filter, every byte through the UTF-8 step and
 * topic.h's syntax step: as utf8_run(). */
static uint32_t filter_run(struct mqttp_parser *p, const uint8_t *d, uint32_t n, enum mqttp_error *err)
{
	struct mqttp__filter_state s;
	uint32_t i;

	s.st = p->priv_filter_st;
	s.pre = p->priv_filter_pre;
	for (i = 0; i < n; i++) {
		*err = mqttp__mqtt_utf8_byte(d[i], &p->priv_utf8_need, &p->priv_utf8_lo, &p->priv_utf8_hi,
		                             &p->priv_cp, p->priv_lenient & MQTTP_LENIENT_CONTROL_CHARS);
		if (*err == MQTTP_E_NONE)
			*err = mqttp__filter_step(&s, d[i]);
		if (*err != MQTTP_E_NONE)
			break;
	}
	p->priv_filter_st = s.st;
	p->priv_filter_pre = s.pre;
	return i;
}

/* Consume a run of value bytes d[0..n) (n >= 1): check, report, count.
 * Returns -1 on error, else 0. */
static int bytes_run(struct mqttp_parser *p, const struct sink *k, const uint8_t *d, uint32_t n)
{
	enum mqttp_error e = MQTTP_E_NONE;
	uint32_t i = n;

	if (p->priv_elem == E_STR) {
		i = utf8_run(p, d, n, &e);
	} else if (p->priv_elem == E_FILTER) {
		i = filter_run(p, d, n, &e);
	} else if (p->priv_elem == E_NAME) {
		uint32_t pos = p->priv_fld_len - p->priv_left;
		for (i = 0; i < n; i++)
			if (!mqttp__name_byte_ok(p, pos + i, d[i])) {
				e = MQTTP_E_PROTOCOL_NAME;
				break;
			}
	}
	if (e == MQTTP_E_NONE && n == p->priv_left && p->priv_elem == E_FILTER && p->priv_utf8_need)
		e = MQTTP_E_UTF8; /* cut inside a character */
	if (e == MQTTP_E_NONE && n == p->priv_left && p->priv_elem == E_STR) {
		if (p->priv_utf8_need)
			e = MQTTP_E_UTF8; /* cut inside a character */
		else if (p->priv_st == ST_C_WILL_TOPIC && !p->priv_in_props && (p->priv_hflags & H_WILDCARD))
			e = MQTTP_E_WILL_TOPIC;
		else if (p->priv_st == ST_P_TOPIC && (p->priv_hflags & H_WILDCARD))
			e = MQTTP_E_TOPIC_NAME;
	}
	if (e == MQTTP_E_NONE)
		mqttp__emit_frag(p, k, d, n, n == p->priv_left);
	/* The bytes before an offending one count as consumed, so that
	 * *consumed is the same in every chunking. */
	p->offset += i;
	if (p->priv_in_props)
		p->priv_props_left -= i;
	p->priv_left -= i;
	if (e == MQTTP_E_WILL_TOPIC || e == MQTTP_E_TOPIC_NAME)
		return fail(p, e, p->priv_fld_off);
	if (e != MQTTP_E_NONE)
		return fail(p, e, p->offset);
	return 0;
}

/* An empty string or binary value (length 0). */
static int empty_value(struct mqttp_parser *p, const struct sink *k, const uint8_t *here)
{
	if (p->priv_elem == E_STR && p->priv_st == ST_C_WILL_TOPIC && !p->priv_in_props)
		return fail(p, MQTTP_E_WILL_TOPIC, p->priv_fld_off);
	if (p->priv_st == ST_P_TOPIC && !MQTTP__EMPTY_TOPIC_OK(p->version))
		return fail(p, MQTTP_E_TOPIC_NAME, p->priv_fld_off);
	mqttp__emit_frag(p, k, here, 0, 1);
	return 0;
}

enum mqttp_status mqttp_frame(const void *data, size_t len, unsigned lenient,
                              uint8_t *type, uint32_t *remaining_length,
                              uint8_t *header_len, enum mqttp_error *err)
{
	const uint8_t *d = (const uint8_t *)data;
	unsigned t;
	uint8_t n;
	uint32_t rl = 0;
	enum mqttp_error e;
	int r;

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
	r = mqttp__vbi_read(d + 1, len - 1, &rl, &n);
	if (r == MQTTP__VBI_MORE)
		return MQTTP_NEED_MORE;
	if (r == MQTTP__VBI_LONG) {
		*err = MQTTP_E_LENGTH_TOO_LONG;
		return MQTTP_ERROR;
	}
	if (r == MQTTP__VBI_NONMIN && !(lenient & MQTTP_LENIENT_NON_MINIMAL_LENGTH)) {
		*err = MQTTP_E_LENGTH_NOT_MINIMAL;
		return MQTTP_ERROR;
	}
	if (!length_ok(t, d[0] & 0x0Fu, rl, 0)) {
		*err = MQTTP_E_PACKET_LENGTH;
		return MQTTP_ERROR;
	}
	*type = (uint8_t)t;
	*remaining_length = rl;
	*header_len = (uint8_t)(n + 1);
	return MQTTP_DONE;
}

/* The state machine over d[0, len) (len >= 1), from wherever the parser
 * stands. Kept out of line: mqttp_feed's fast paths then need
 * no large stack frame. */
enum mqttp_status mqttp__machine_feed(struct mqttp_parser *p, const uint8_t *d, size_t len,
                                                    size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	struct sink k;
	size_t i = 0;
	int r = 0;

	k.cb = cb;
	k.ctx = ctx;
	p->status = MQTTP_NEED_MORE;
	while (i < len) {
		if (p->priv_st == ST_TYPE) {
			r = type_read(p, d[i++]);
			if (r)
				break;
			continue;
		}
		if (p->priv_st == ST_LEN) {
			r = length_byte(p, &k, d[i++]);
			if (r)
				break;
			continue;
		}
		switch (p->priv_sub) {
		case R_BYTES: {
			size_t avail = len - i;
			uint32_t n = avail < p->priv_left ? (uint32_t)avail : p->priv_left;
			uint32_t before = p->offset;
			r = bytes_run(p, &k, d + i, n);
			i += p->offset - before;
			if (r == 0 && p->priv_left == 0)
				r = step_done(p, &k);
			break;
		}
		case R_INT: {
			/* All the integer's bytes at once when they are here. */
			unsigned n = p->priv_nbytes;
			if (len - i < n)
				n = 1;
			p->priv_nbytes = (uint8_t)(p->priv_nbytes - n);
			p->offset += n;
			if (p->priv_in_props)
				p->priv_props_left -= n;
			while (n--)
				p->priv_acc = (p->priv_acc << 8) | d[i++];
			if (p->priv_nbytes == 0)
				r = step_done(p, &k);
			break;
		}
		case R_VBI:
			r = mqttp__vbi_step(&p->priv_acc, &p->priv_nbytes, d[i++]);
			p->offset++;
			if (p->priv_in_props)
				p->priv_props_left--;
			if (r == MQTTP__VBI_LONG)
				r = fail(p, MQTTP_E_LENGTH_TOO_LONG, p->offset - 1);
			else if (r == MQTTP__VBI_MORE)
				r = room(p) == 0 ? no_room(p, p->offset) : 0;
			else if (r == MQTTP__VBI_NONMIN)
				r = fail(p, MQTTP_E_LENGTH_NOT_MINIMAL, p->offset - 1);
			else
				r = step_done(p, &k);
			break;
		case R_LEN_HI:
			p->priv_acc = (uint32_t)d[i++] << 8;
			p->offset++;
			if (p->priv_in_props)
				p->priv_props_left--;
			p->priv_sub = R_LEN_LO;
			if (i == len)
				break;
			/* the low byte is here too */
			/* fall through */
		case R_LEN_LO:
			p->priv_acc |= d[i++];
			p->offset++;
			if (p->priv_in_props)
				p->priv_props_left--;
			r = length_read(p);
			if (r == 0 && p->priv_left == 0) {
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
		p->priv_st = ST_TYPE;
		p->priv_sub = R_NONE;
		if (p->type == MQTTP_CONNECT && !(p->priv_checks & K_VERSION_SET))
			p->priv_checks |= K_VERSION_SET; /* the stream's version is now known */
		p->status = MQTTP_DONE;
		return MQTTP_DONE;
	}
	return MQTTP_NEED_MORE;
}

#if !MQTTP_FAST_PATH
enum mqttp_status mqttp_feed(struct mqttp_parser *p, const void *data, size_t len,
                             size_t *consumed, mqttp_field_cb cb, void *ctx)
{
	if (p->status == MQTTP_ERROR || len == 0) {
		*consumed = 0;
		/* a zero-length call changes nothing, not even status */
		return p->status == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE;
	}
	return mqttp__machine_feed(p, (const uint8_t *)data, len, consumed, cb, ctx);
}
#endif

/* mqttp_init's stores cover 96 < size <= 112 bytes. */
typedef char mqttp_parser_zero_check[(sizeof(struct mqttp_parser) > 96 && sizeof(struct mqttp_parser) <= 112) ? 1 : -1];

/* The parser's size is part of the ABI (C99 has no _Static_assert). */
typedef char mqttp_parser_size_check[(sizeof(struct mqttp_parser) <= MQTTP_PARSER_SIZE) ? 1 : -1];
