/*
 * collect.c - ready-made field collectors, one-shot decoding, framing
 * without a parser, and the property block walker.
 */
#include <string.h>

#include "internal.h"

#define prop_bytes mqttp__prop_bytes
#define prop_store_int mqttp__prop_store_int

int mqttp_properties_get(const struct mqttp_properties *pr, unsigned id,
                         uint32_t *num, struct mqttp_bytes *bytes)
{
	const struct mqttp_property_info *pi = mqttp_property_info(id);
	struct mqttp_bytes *b;

	if (!pi || id == 0x26 || !(pr->present & (1ull << id)))
		return 0;
	b = prop_bytes((struct mqttp_properties *)pr, id);
	if (b) {
		if (bytes)
			*bytes = *b;
		return 2;
	}
	if (mqttp__prop_rules[id].slot == MQTTP__NOWHERE)
		return 0; /* subscription identifier, topic alias: not in CONNECT/CONNACK */
	if (num)
		*num = mqttp__prop_load_int(pr, id);
	return 1;
}

/* Record a string/binary value when its last fragment arrives. */
static void bytes_store(struct mqttp_bytes *b, const struct mqttp_field *f)
{
	if (!(f->flags & MQTTP_FRAG_LAST))
		return;
	b->off = f->off;
	b->len = f->len;
	b->present = 1;
	/* Whole in one fragment: the caller's bytes can be pointed at. */
	b->ptr = (f->flags & MQTTP_FRAG_FIRST) ? f->frag : NULL;
}

static void props_collect(struct mqttp_properties *pr, const struct mqttp_field *f)
{
	struct mqttp_bytes *b;

	if (f->id == MQTTP_F_PROPERTIES || f->id == MQTTP_F_WILL_PROPERTIES) {
		pr->block.off = f->off;
		pr->block.len = f->len;
		pr->block.present = 1;
		pr->block.ptr = NULL;
		return;
	}
	if (!(f->flags & MQTTP_FRAG_LAST))
		return;
	if (f->prop_id == 0x26) {
		if (f->pair_part == 1)
			pr->user_property_count++;
		pr->present |= 1ull << 0x26;
		return;
	}
	pr->present |= 1ull << f->prop_id;
	b = prop_bytes(pr, f->prop_id);
	if (b)
		bytes_store(b, f);
	else
		prop_store_int(pr, f->prop_id, f->value);
}

void mqttp_connect_collect(void *ctx, const struct mqttp_field *f)
{
	struct mqttp_connect *c = (struct mqttp_connect *)ctx;

	switch (f->id) {
	case MQTTP_F_PROTOCOL_NAME: bytes_store(&c->protocol_name, f); break;
	case MQTTP_F_PROTOCOL_LEVEL:
		c->version = (uint8_t)(f->value & 0x7F);
		c->bridge = (uint8_t)(f->value >> 7);
		break;
	case MQTTP_F_CONNECT_FLAGS:
		c->flags = (uint8_t)f->value;
		c->will_qos = (uint8_t)((f->value & MQTTP_CF_WILL_QOS_MASK) >> 3);
		break;
	case MQTTP_F_KEEP_ALIVE: c->keep_alive = (uint16_t)f->value; break;
	case MQTTP_F_PROPERTIES:
	case MQTTP_F_PROPERTY: props_collect(&c->props, f); break;
	case MQTTP_F_WILL_PROPERTIES:
	case MQTTP_F_WILL_PROPERTY: props_collect(&c->will_props, f); break;
	case MQTTP_F_CLIENT_ID: bytes_store(&c->client_id, f); break;
	case MQTTP_F_WILL_TOPIC: bytes_store(&c->will_topic, f); break;
	case MQTTP_F_WILL_PAYLOAD: bytes_store(&c->will_payload, f); break;
	case MQTTP_F_USERNAME: bytes_store(&c->username, f); break;
	case MQTTP_F_PASSWORD: bytes_store(&c->password, f); break;
	default: break;
	}
}

void mqttp_connack_collect(void *ctx, const struct mqttp_field *f)
{
	struct mqttp_connack *a = (struct mqttp_connack *)ctx;

	switch (f->id) {
	case MQTTP_F_CONNACK_FLAGS:
		a->flags = (uint8_t)f->value;
		a->session_present = (uint8_t)(f->value & 1);
		break;
	case MQTTP_F_REASON_CODE: a->reason_code = (uint8_t)f->value; break;
	case MQTTP_F_PROPERTIES:
	case MQTTP_F_PROPERTY: props_collect(&a->props, f); break;
	default: break;
	}
}

void mqttp_publish_collect(void *ctx, const struct mqttp_field *f)
{
	struct mqttp_publish *o = (struct mqttp_publish *)ctx;
	unsigned slot;

	switch (f->id) {
	case MQTTP_F_TOPIC_NAME: bytes_store(&o->topic, f); break;
	case MQTTP_F_PACKET_ID: o->packet_id = (uint16_t)f->value; break;
	case MQTTP_F_PAYLOAD:
		/* reported in pieces: its place is known from the first */
		if (f->flags & MQTTP_FRAG_FIRST) {
			o->payload.off = f->off;
			o->payload.len = f->len;
			o->payload.present = 1;
			o->payload.ptr = (f->flags & MQTTP_FRAG_LAST) ? f->frag : NULL;
		}
		break;
	case MQTTP_F_PROPERTIES:
		o->props.off = f->off;
		o->props.len = f->len;
		o->props.present = 1;
		o->props.ptr = NULL;
		break;
	case MQTTP_F_PROPERTY:
		if (!(f->flags & MQTTP_FRAG_LAST) || f->prop_id > MQTTP_PROP_MAX)
			break;
		o->present |= 1ull << f->prop_id;
		if (f->prop_id == 0x26) {
			o->user_property_count += f->pair_part;
			break;
		}
		if (f->prop_id == 0x0B) {
			if (o->subscription_identifier_count++ == 0)
				o->subscription_identifier = f->value;
			break;
		}
		slot = mqttp__publish_slot(f->prop_id);
		if (slot == MQTTP__NOWHERE)
			break;
		if (mqttp__prop_rules[f->prop_id].info.type >= MQTTP_PT_STRING) {
			bytes_store((struct mqttp_bytes *)(void *)((uint8_t *)o + slot), f);
		} else {
			uint8_t *at = (uint8_t *)o + slot;
			uint16_t v16 = (uint16_t)f->value;
			uint8_t v8 = (uint8_t)f->value;

			if (mqttp__prop_rules[f->prop_id].info.type == MQTTP_PT_BYTE)
				memcpy(at, &v8, 1);
			else if (mqttp__prop_rules[f->prop_id].info.type == MQTTP_PT_U16)
				memcpy(at, &v16, 2);
			else
				memcpy(at, &f->value, 4);
		}
		break;
	default: break;
	}
}

/* Point every present value of *pr into buf (one-shot decoding). */
static void props_point(struct mqttp_properties *pr, const uint8_t *buf)
{
	unsigned id;

	if (!pr->block.present)
		return;
	for (id = 0; id <= MQTTP_PROP_MAX; id++) {
		struct mqttp_bytes *b = prop_bytes(pr, id);
		if (b && b->present)
			b->ptr = buf + b->off;
	}
	if (pr->block.present)
		pr->block.ptr = buf + pr->block.off;
}

static void bytes_point(struct mqttp_bytes *b, const uint8_t *buf)
{
	if (b->present)
		b->ptr = buf + b->off;
}

/* Initialise *p for a one-shot decoder: the caller's options (or the
 * defaults) with the direction forced to `dir` and the other one cleared;
 * without keep_version the packet itself says which version it is. */
static void one_shot_init(struct mqttp_parser *p, const struct mqttp_options *opt,
                          uint32_t dir, uint32_t other, int keep_version)
{
	struct mqttp_options o;

	if (opt)
		o = *opt;
	else
		mqttp_options_default(&o);
	o.checks = (o.checks | dir) & ~other;
	if (!keep_version)
		o.version = 0;
	mqttp_init(p, &o);
}

/* Feed one packet from buf; fill *res. */
static enum mqttp_status one_shot(struct mqttp_parser *p, const void *buf, size_t len,
                                  mqttp_field_cb cb, void *ctx, struct mqttp_result *res)
{
	size_t used = 0;
	enum mqttp_status st = mqttp_feed(p, buf, len, &used, cb, ctx);

	res->type = p->type;
	res->error = p->error;
	res->error_offset = p->error_offset;
	res->length = p->offset;
	return st;
}

/* The public decoders go to fast.c's accelerator, which clears *out and
 * comes back to the _slow function below for anything it declines. */
enum mqttp_status mqttp_decode_connect(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connect *out,
                                       struct mqttp_result *res)
{
#if MQTTP_FAST_PATH
	return mqttp__decode_connect_fast((const uint8_t *)buf, len, opt, out, res);
#else
	return mqttp__decode_connect_slow((const uint8_t *)buf, len, opt, out, res);
#endif
}

enum mqttp_status mqttp__decode_connect_slow(const uint8_t *buf, size_t len,
                                            const struct mqttp_options *opt,
                                            struct mqttp_connect *out,
                                            struct mqttp_result *res)
{
	struct mqttp_parser p;
	enum mqttp_status st;

	memset(out, 0, mqttp__connect_size);
	one_shot_init(&p, opt, MQTTP_CHECK_FROM_CLIENT, MQTTP_CHECK_FROM_SERVER, 0);
	st = one_shot(&p, buf, len, mqttp_connect_collect, out, res);
	if (st == MQTTP_DONE) {
		const uint8_t *b = (const uint8_t *)buf;
		bytes_point(&out->protocol_name, b);
		bytes_point(&out->client_id, b);
		bytes_point(&out->will_topic, b);
		bytes_point(&out->will_payload, b);
		bytes_point(&out->username, b);
		bytes_point(&out->password, b);
		props_point(&out->props, b);
		props_point(&out->will_props, b);
	}
	return st;
}

enum mqttp_status mqttp_decode_connack(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connack *out,
                                       struct mqttp_result *res)
{
#if MQTTP_FAST_PATH
	return mqttp__decode_connack_fast((const uint8_t *)buf, len, opt, out, res);
#else
	return mqttp__decode_connack_slow((const uint8_t *)buf, len, opt, out, res);
#endif
}

enum mqttp_status mqttp__decode_connack_slow(const uint8_t *buf, size_t len,
                                            const struct mqttp_options *opt,
                                            struct mqttp_connack *out,
                                            struct mqttp_result *res)
{
	struct mqttp_parser p;
	enum mqttp_status st;

	memset(out, 0, mqttp__connack_size);
	one_shot_init(&p, opt, MQTTP_CHECK_FROM_SERVER, MQTTP_CHECK_FROM_CLIENT, 1);
	/* A first packet from a server may also be AUTH; here only CONNACK. */
	if (len > 0 && (((const uint8_t *)buf)[0] >> 4) != MQTTP_CONNACK) {
		res->type = (uint8_t)(((const uint8_t *)buf)[0] >> 4);
		res->error = MQTTP_E_FIRST_NOT_CONNACK;
		res->error_offset = 0;
		res->length = 0;
		return MQTTP_ERROR;
	}
	st = one_shot(&p, buf, len, mqttp_connack_collect, out, res);
	if (st == MQTTP_DONE)
		props_point(&out->props, (const uint8_t *)buf);
	return st;
}

enum mqttp_status mqttp_decode_publish(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_publish *out,
                                       struct mqttp_result *res)
{
#if MQTTP_FAST_PATH
	return mqttp__decode_publish_fast((const uint8_t *)buf, len, opt, out, res);
#else
	return mqttp__decode_publish_slow((const uint8_t *)buf, len, opt, out, res);
#endif
}

enum mqttp_status mqttp__decode_publish_slow(const uint8_t *buf, size_t len,
                                            const struct mqttp_options *opt,
                                            struct mqttp_publish *out,
                                            struct mqttp_result *res)
{
	struct mqttp_parser p;
	enum mqttp_status st;

	memset(out, 0, sizeof(*out));
	one_shot_init(&p, opt, 0, 0, 1);
	/* a packet inside a stream: the first packet's rules are not this one's */
	p.packets = 1;
	if (len > 0 && (buf[0] >> 4) != MQTTP_PUBLISH) {
		res->type = (uint8_t)(buf[0] >> 4);
		res->error = MQTTP_E_DIRECTION;
		res->error_offset = 0;
		res->length = 0;
		return MQTTP_ERROR;
	}
	st = one_shot(&p, buf, len, mqttp_publish_collect, out, res);
	if (st == MQTTP_DONE) {
		out->qos = (uint8_t)((p.header_flags >> 1) & 3);
		out->retain = (uint8_t)(p.header_flags & 1);
		out->dup = (uint8_t)(p.header_flags >> 3);
		bytes_point(&out->topic, buf);
		bytes_point(&out->content_type, buf);
		bytes_point(&out->response_topic, buf);
		bytes_point(&out->correlation_data, buf);
		bytes_point(&out->props, buf);
		bytes_point(&out->payload, buf);
	}
	return st;
}

/* A variable byte integer at b[*pos] (not minimal ones too: the block
 * was validated by the parser, whose options may have allowed them). */
static int get_vbi(const uint8_t *b, size_t len, size_t *pos, uint32_t *v)
{
	uint8_t n;
	int r = mqttp__vbi_read(b + *pos, len - *pos, v, &n);

	if (r != MQTTP__VBI_END && r != MQTTP__VBI_NONMIN)
		return -1;
	*pos += n;
	return 0;
}

static int get_bytes(const uint8_t *b, size_t len, size_t *pos, const uint8_t **s, uint16_t *n)
{
	uint16_t l;

	if (len - *pos < 2)
		return -1;
	l = (uint16_t)((b[*pos] << 8) | b[*pos + 1]);
	*pos += 2;
	if (len - *pos < l)
		return -1;
	*s = b + *pos;
	*n = l;
	*pos += l;
	return 0;
}

int mqttp_property_next(const uint8_t *block, size_t len, size_t *pos,
                        uint8_t *id, uint32_t *num,
                        const uint8_t **a, uint16_t *alen,
                        const uint8_t **b, uint16_t *blen)
{
	const struct mqttp_property_info *pi;
	uint32_t v;
	size_t i;

	if (*pos >= len)
		return 0;
	if (get_vbi(block, len, pos, &v) < 0 || !(pi = mqttp_property_info(v)))
		return -1;
	*id = pi->id;
	*num = 0;
	*a = *b = NULL;
	*alen = *blen = 0;
	switch (pi->type) {
	case MQTTP_PT_BYTE: case MQTTP_PT_U16: case MQTTP_PT_U32: {
		size_t n = pi->type == MQTTP_PT_BYTE ? 1 : pi->type == MQTTP_PT_U16 ? 2 : 4;
		if (len - *pos < n)
			return -1;
		for (i = 0; i < n; i++)
			*num = (*num << 8) | block[(*pos)++];
		return 1;
	}
	case MQTTP_PT_VBI:
		return get_vbi(block, len, pos, num) < 0 ? -1 : 1;
	case MQTTP_PT_STRING_PAIR:
		if (get_bytes(block, len, pos, a, alen) < 0)
			return -1;
		return get_bytes(block, len, pos, b, blen) < 0 ? -1 : 1;
	default:
		return get_bytes(block, len, pos, a, alen) < 0 ? -1 : 1;
	}
}
