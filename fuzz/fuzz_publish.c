/*
 * fuzz_publish - mqttp_decode_publish against mqttp_feed's field events.
 *
 * The body is fed through one parser (one call, one byte per call (mode
 * bit 0), or the input's chunk plan), every call's bytes in their own
 * exact-size buffer. A reference struct is built from the raw PUBLISH
 * events by this harness (not by the library's collector): topic, packet
 * id, every property, the property block, the payload's place, and each
 * payload piece is checked against the body's bytes. mqttp_publish_collect
 * runs on the same events. Then, from every packet start, mqttp_decode_publish
 * reads the rest of the body in one exact-size buffer, with the options the
 * parser had there (the stream's version): a PUBLISH gets the feed's
 * verdict (status, error, error offset, length; a stream's first-packet
 * rule is the feed's only), and when valid the reference's fields (QoS,
 * retain and DUP from the fixed header), the collector's, pointers into
 * its buffer, and the counts mqttp_property_next finds in the block;
 * another packet type is MQTTP_E_DIRECTION at 0.
 */
#include "fuzz_common.h"
#include "mqttcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PP_MAX_PACKETS 64

/* One packet as the feed saw it. */
struct pp_packet {
	size_t start;              /* body offset */
	uint8_t version;           /* the parser's version when it began */
	int status;                /* DONE, ERROR, or NEED_MORE (the body ended) */
	uint8_t error, header_flags;
	uint32_t error_offset, length;
	struct mqttp_publish ref;  /* from the raw events */
	struct mqttp_publish col;  /* mqttp_publish_collect */
	uint32_t payload_seen;
};

struct pp_run {
	struct mqttp_parser p;
	const uint8_t *body;
	struct pp_packet pk[PP_MAX_PACKETS];
	size_t npk;
	struct pp_packet *cur;
};

static void pp_bytes(struct mqttp_bytes *b, const struct mqttp_field *f)
{
	if (f->flags & MQTTP_FRAG_FIRST) {
		b->present = 1;
		b->off = f->off;
		b->len = f->len;
	}
}

/* The reference: every PUBLISH event read here. */
static void pp_cb(void *ctx, const struct mqttp_field *f)
{
	struct pp_run *r = ctx;
	struct pp_packet *k = r->cur;
	struct mqttp_publish *o = &k->ref;

	if (r->p.type != MQTTP_PUBLISH)
		return;
	mqttp_publish_collect(&k->col, f);
	if (f->frag_len) {
		/* a piece is the body's bytes at its place */
		FZ_CHECK(memcmp(f->frag, r->body + k->start + f->off + f->frag_off, f->frag_len) == 0);
	}
	switch (f->id) {
	case MQTTP_F_TOPIC_NAME: pp_bytes(&o->topic, f); break;
	case MQTTP_F_PACKET_ID: o->packet_id = (uint16_t)f->value; break;
	case MQTTP_F_PROPERTIES: pp_bytes(&o->props, f); break;
	case MQTTP_F_PAYLOAD:
		pp_bytes(&o->payload, f);
		FZ_CHECK(f->frag_off == k->payload_seen);
		k->payload_seen += f->frag_len;
		break;
	case MQTTP_F_PROPERTY:
		if (!(f->flags & MQTTP_FRAG_LAST))
			break;
		FZ_CHECK(f->prop_id < 64);
		o->present |= 1ull << f->prop_id;
		switch (f->prop_id) {
		case 0x01: o->payload_format_indicator = (uint8_t)f->value; break;
		case 0x02: o->message_expiry_interval = f->value; break;
		case 0x03: o->content_type.present = 1; o->content_type.off = f->off; o->content_type.len = f->len; break;
		case 0x08: o->response_topic.present = 1; o->response_topic.off = f->off; o->response_topic.len = f->len; break;
		case 0x09: o->correlation_data.present = 1; o->correlation_data.off = f->off; o->correlation_data.len = f->len; break;
		case 0x0B:
			if (o->subscription_identifier_count++ == 0)
				o->subscription_identifier = f->value;
			break;
		case 0x23: o->topic_alias = (uint16_t)f->value; break;
		case 0x26: o->user_property_count += f->pair_part; break;
		default: FZ_CHECK(0); /* no other property reaches a PUBLISH's events */
		}
		break;
	default:
		FZ_CHECK(0);
	}
}

/* Two structs field by field; pointers of b checked against base. */
static void pp_same(const struct mqttp_publish *a, const struct mqttp_publish *b, const uint8_t *base)
{
	const struct mqttp_bytes *la[6] = { &a->topic, &a->content_type, &a->response_topic,
	                                    &a->correlation_data, &a->props, &a->payload };
	const struct mqttp_bytes *lb[6] = { &b->topic, &b->content_type, &b->response_topic,
	                                    &b->correlation_data, &b->props, &b->payload };
	size_t i;

	FZ_CHECK(a->packet_id == b->packet_id);
	FZ_CHECK(a->topic_alias == b->topic_alias);
	FZ_CHECK(a->payload_format_indicator == b->payload_format_indicator);
	FZ_CHECK(a->message_expiry_interval == b->message_expiry_interval);
	FZ_CHECK(a->subscription_identifier == b->subscription_identifier);
	FZ_CHECK(a->subscription_identifier_count == b->subscription_identifier_count);
	FZ_CHECK(a->user_property_count == b->user_property_count);
	FZ_CHECK(a->present == b->present);
	for (i = 0; i < 6; i++) {
		FZ_CHECK(la[i]->present == lb[i]->present);
		FZ_CHECK(la[i]->off == lb[i]->off);
		FZ_CHECK(la[i]->len == lb[i]->len);
		if (base)
			FZ_CHECK(lb[i]->ptr == (lb[i]->present ? base + lb[i]->off : NULL));
	}
}

/* The decoder from packet k's start, against what the feed said. */
static void pp_decode(const struct fz_input *in, const uint8_t *body, size_t len, const struct pp_packet *k)
{
	struct mqttp_options o = in->opt;
	struct mqttp_publish pb;
	struct mqttp_result res;
	enum mqttp_status st;
	uint8_t *buf = fz_dup(body + k->start, len - k->start);
	size_t n = len - k->start;

	o.version = k->version;
	memset(&pb, 0x5A, sizeof(pb));
	st = mqttp_decode_publish(buf, n, &o, &pb, &res);
	if (n == 0) {
		FZ_CHECK(st == MQTTP_NEED_MORE);
	} else if ((buf[0] >> 4) != MQTTP_PUBLISH) {
		FZ_CHECK(st == MQTTP_ERROR && res.error == MQTTP_E_DIRECTION && res.error_offset == 0 &&
		         res.type == buf[0] >> 4);
	} else if (k->status == MQTTP_ERROR &&
	           (k->error == MQTTP_E_FIRST_NOT_CONNECT || k->error == MQTTP_E_FIRST_NOT_CONNACK)) {
		/* the stream's first packet: the decoder reads one inside a stream */
		FZ_CHECK(k->start == 0);
	} else {
		FZ_CHECK(res.type == MQTTP_PUBLISH);
		FZ_CHECK((int)st == k->status);
		if (st == MQTTP_ERROR) {
			FZ_CHECK(res.error == k->error);
			FZ_CHECK(res.error_offset == k->error_offset);
		}
		if (st == MQTTP_DONE) {
			size_t pos = 0;
			uint8_t id, *pr;
			uint32_t num, users = 0, subs = 0;
			const uint8_t *a, *b;
			uint16_t al, bl;
			int r;

			FZ_CHECK(res.error == MQTTP_E_NONE);
			FZ_CHECK(res.length == k->length);
			FZ_CHECK(pb.qos == ((k->header_flags >> 1) & 3));
			FZ_CHECK(pb.retain == (k->header_flags & 1));
			FZ_CHECK(pb.dup == (k->header_flags >> 3));
			pp_same(&k->ref, &pb, buf);
			pp_same(&k->col, &pb, NULL);
			FZ_CHECK(k->payload_seen == pb.payload.len);
			FZ_CHECK(pb.payload.off + pb.payload.len == res.length);
			/* the block walked again: the counts agree */
			pr = pb.props.present ? fz_dup(pb.props.ptr, pb.props.len) : NULL;
			while (pr && (r = mqttp_property_next(pr, pb.props.len, &pos, &id, &num, &a, &al, &b, &bl)) != 0) {
				FZ_CHECK(r == 1);
				users += id == 0x26;
				subs += id == 0x0B;
			}
			FZ_CHECK(users == pb.user_property_count && subs == pb.subscription_identifier_count);
			free(pr);
		}
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pp_run r;
	struct fz_input in;
	size_t pos = 0, pi = 0, i;
	int bytes, plan_nonzero = 0, stop = 0;
	uint8_t *body;

	fz_parse_input(data, size, &in);
	body = fz_dup(in.body, in.body_len);
	bytes = (in.mode & 1) != 0;
	for (i = 0; i < in.plan_len; i++)
		plan_nonzero |= in.plan[i] != 0;
	memset(&r, 0, sizeof(r));
	r.body = body;
	mqttp_init(&r.p, &in.opt);

	while (!stop && pos < in.body_len && r.npk < PP_MAX_PACKETS) {
		size_t sz = bytes ? 1 : plan_nonzero ? in.plan[pi++ % in.plan_len] : in.body_len - pos;
		size_t used = 0;
		uint8_t *chunk;

		if (sz == 0)
			continue;
		if (sz > in.body_len - pos)
			sz = in.body_len - pos;
		chunk = fz_dup(body + pos, sz);
		while (used < sz && r.npk < PP_MAX_PACKETS) {
			size_t consumed = 0;
			enum mqttp_status st;

			if (!r.cur) {
				r.cur = &r.pk[r.npk];
				memset(r.cur, 0, sizeof(*r.cur));
				r.cur->start = pos + used;
				r.cur->version = r.p.version;
				r.cur->status = MQTTP_NEED_MORE;
			}
			st = mqttp_feed(&r.p, chunk + used, sz - used, &consumed, pp_cb, &r);
			used += consumed;
			if (st == MQTTP_NEED_MORE) {
				FZ_CHECK(used == sz);
				break;
			}
			r.cur->status = st;
			r.cur->error = r.p.error;
			r.cur->error_offset = r.p.error_offset;
			r.cur->length = r.p.offset;
			r.cur->header_flags = r.p.header_flags;
			r.npk++;
			r.cur = NULL;
			if (st == MQTTP_ERROR) {
				stop = 1;
				break;
			}
		}
		free(chunk);
		pos += sz;
	}
	if (r.cur)
		r.npk++; /* the body ended inside it */
	for (i = 0; i < r.npk; i++)
		pp_decode(&in, body, in.body_len, &r.pk[i]);
	free(body);
	return 0;
}
