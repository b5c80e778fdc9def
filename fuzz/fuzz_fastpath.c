/*
 * fuzz_fastpath - the library with its accelerator (src/fast.c) against the
 * same sources built with MQTTP_FAST_PATH=0 (the state machine alone), both
 * linked into this binary (the second with its symbols renamed nofast_mqttp_*,
 * fuzz/fuzz.mk). The accelerator accepts a packet exactly as the state machine
 * would or declines, so nothing observable may differ.
 *
 * Both parsers get the same calls, from the same exact-size buffers: after
 * every mqttp_feed the return, *consumed, every public parser field, the
 * field events of the call (struct mqttp_field, fragment position and bytes)
 * and, when a packet ends, the structs the collectors filled must be equal. mqttp_decode_connect,
 * mqttp_decode_connack and mqttp_decode_publish then run on the body from each packet start seen:
 * same status, struct mqttp_result and decoded struct (pointers compared as
 * offsets into the buffer). Any difference prints what differed and aborts.
 *
 * Input layout: fuzz_common.h. Mode bits (byte 2, bits 4-7):
 *   bits 0-1  calls: 0 and 3 the chunk plan (one call when it has no
 *             non-zero size), 1 one call, 2 one byte per call
 *   bit 2     no callback (the callback-free paths)
 *   bit 3     after an error, mqttp_reset both and go on one byte further
 */
#include "fuzz_common.h"
#include "fuzz_fastpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One build of the library: the functions the harness calls. */
struct fp_lib {
	void (*init)(struct mqttp_parser *, const struct mqttp_options *);
	void (*reset)(struct mqttp_parser *);
	enum mqttp_status (*feed)(struct mqttp_parser *, const void *, size_t,
	                          size_t *, mqttp_field_cb, void *);
	enum mqttp_status (*decode_connect)(const void *, size_t, const struct mqttp_options *,
	                                    struct mqttp_connect *, struct mqttp_result *);
	enum mqttp_status (*decode_connack)(const void *, size_t, const struct mqttp_options *,
	                                    struct mqttp_connack *, struct mqttp_result *);
	mqttp_field_cb connect_collect;
	mqttp_field_cb connack_collect;
	enum mqttp_status (*decode_publish)(const void *, size_t, const struct mqttp_options *,
	                                    struct mqttp_publish *, struct mqttp_result *);
	mqttp_field_cb publish_collect;
};

static const struct fp_lib fp_fast = {
	mqttp_init, mqttp_reset, mqttp_feed, mqttp_decode_connect,
	mqttp_decode_connack, mqttp_connect_collect, mqttp_connack_collect,
	mqttp_decode_publish, mqttp_publish_collect
};
static const struct fp_lib fp_nofast = {
	nofast_mqttp_init, nofast_mqttp_reset, nofast_mqttp_feed,
	nofast_mqttp_decode_connect, nofast_mqttp_decode_connack,
	nofast_mqttp_connect_collect, nofast_mqttp_connack_collect,
	nofast_mqttp_decode_publish, nofast_mqttp_publish_collect
};

/* A field event, its fragment as a position in the call's data. */
struct fp_event {
	uint8_t id, prop_id, pair_part, flags;
	uint32_t value, off, len, frag_off, frag_len;
	int64_t frag_pos;      /* frag - the call's data; -1 when frag is NULL */
	size_t bytes_at;       /* its fragment's bytes in fp_side.bytes */
};

/* One parser, the events of its current call and what it collected. */
struct fp_side {
	const struct fp_lib *lib;
	struct mqttp_parser p;
	struct mqttp_connect connect;
	struct mqttp_connack connack;
	struct mqttp_publish publish;
	struct fp_event *ev;
	size_t nev, ev_cap;
	uint8_t *bytes;
	size_t nbytes, bytes_cap;
	const uint8_t *call;   /* data of the current call */
};

/* Where the comparison is, for the message. */
struct fp_at {
	const char *step;
	size_t call, off, len;
};

/* Print what differed and abort (libFuzzer saves the input). */
static void fp_fail(const struct fp_at *at, const char *what, long long a, long long b)
{
	fprintf(stderr, "fuzz_fastpath: %s differs on %s %zu (%zu bytes at body offset %zu): "
	        "%lld with the accelerator, %lld without\n",
	        what, at->step, at->call, at->len, at->off, a, b);
	abort();
}

#define FP_EQ(at, what, a, b) do { \
	if ((long long)(a) != (long long)(b)) \
		fp_fail(at, what, (long long)(a), (long long)(b)); \
} while (0)
/* The same with the name formatted only when it is needed. */
#define FP_EQF(at, a, b, ...) do { \
	if ((long long)(a) != (long long)(b)) { \
		char what_[128]; \
		snprintf(what_, sizeof(what_), __VA_ARGS__); \
		fp_fail(at, what_, (long long)(a), (long long)(b)); \
	} \
} while (0)

/* Position of p in base's buffer, -1 for NULL (ptr - base without UB). */
static int64_t fp_pos(const uint8_t *p, const uint8_t *base)
{
	return p ? (int64_t)((uintptr_t)p - (uintptr_t)base) : -1;
}

/* Record a field event and pass it to this build's collector. */
static void fp_cb(void *ctx, const struct mqttp_field *f)
{
	struct fp_side *s = ctx;
	struct fp_event *e;

	if (s->nev == s->ev_cap) {
		s->ev_cap = s->ev_cap ? 2 * s->ev_cap : 64;
		s->ev = realloc(s->ev, s->ev_cap * sizeof(*s->ev));
		FZ_CHECK(s->ev != NULL);
	}
	e = &s->ev[s->nev++];
	e->id = f->id;
	e->prop_id = f->prop_id;
	e->pair_part = f->pair_part;
	e->flags = f->flags;
	e->value = f->value;
	e->off = f->off;
	e->len = f->len;
	e->frag_off = f->frag_off;
	e->frag_len = f->frag_len;
	e->frag_pos = fp_pos(f->frag, s->call);
	e->bytes_at = s->nbytes;
	if (f->frag_len) {
		FZ_CHECK(f->frag != NULL);
		if (s->nbytes + f->frag_len > s->bytes_cap) {
			while (s->nbytes + f->frag_len > s->bytes_cap)
				s->bytes_cap = s->bytes_cap ? 2 * s->bytes_cap : 1024;
			s->bytes = realloc(s->bytes, s->bytes_cap);
			FZ_CHECK(s->bytes != NULL);
		}
		memcpy(s->bytes + s->nbytes, f->frag, f->frag_len);
		s->nbytes += f->frag_len;
	}
	if (s->p.type == MQTTP_CONNECT)
		s->lib->connect_collect(&s->connect, f);
	else if (s->p.type == MQTTP_CONNACK)
		s->lib->connack_collect(&s->connack, f);
	else if (s->p.type == MQTTP_PUBLISH)
		s->lib->publish_collect(&s->publish, f);
}

static void fp_cmp_parser(const struct fp_at *at, const struct mqttp_parser *a,
                          const struct mqttp_parser *b)
{
#define FP_FIELD(x) FP_EQ(at, "parser." #x, a->x, b->x)
	FP_FIELD(status);
	FP_FIELD(type);
	FP_FIELD(header_flags);
	FP_FIELD(error);
	FP_FIELD(error_offset);
	FP_FIELD(offset);
	FP_FIELD(remaining_length);
	FP_FIELD(header_len);
	FP_FIELD(have);
	FP_FIELD(packets);
	FP_FIELD(version);
	FP_FIELD(bridge);
	FP_FIELD(connect_flags);
	FP_FIELD(keep_alive);
	FP_FIELD(client_id_off);
	FP_FIELD(client_id_len);
	FP_FIELD(connack_flags);
	FP_FIELD(reason_code);
	FP_FIELD(user_properties);
#undef FP_FIELD
}

static void fp_cmp_events(const struct fp_at *at, const struct fp_side *a,
                          const struct fp_side *b)
{
	size_t i;

	FP_EQ(at, "the number of field events", a->nev, b->nev);
	for (i = 0; i < a->nev; i++) {
		const struct fp_event *x = &a->ev[i], *y = &b->ev[i];

#define FP_EV(f) FP_EQF(at, x->f, y->f, "field event %zu's " #f, i)
		FP_EV(id);
		FP_EV(prop_id);
		FP_EV(pair_part);
		FP_EV(flags);
		FP_EV(value);
		FP_EV(off);
		FP_EV(len);
		FP_EV(frag_off);
		FP_EV(frag_len);
		FP_EV(frag_pos);
#undef FP_EV
		FP_EQF(at, 0, x->frag_len && memcmp(a->bytes + x->bytes_at,
		       b->bytes + y->bytes_at, x->frag_len) != 0,
		       "field event %zu's fragment bytes (0: equal)", i);
	}
}

/* The string/binary members of the structs, named for the messages. */
#define FP_PROPS_NAMES(p) p "authentication_method", p "authentication_data", \
	p "content_type", p "response_topic", p "correlation_data", \
	p "assigned_client_identifier", p "reason_string", \
	p "response_information", p "server_reference", p "block"
static const char *const fp_connect_names[26] = {
	"protocol_name", "client_id", "will_topic", "will_payload", "username",
	"password", FP_PROPS_NAMES("props."), FP_PROPS_NAMES("will_props.")
};
static const char *const fp_connack_names[10] = { FP_PROPS_NAMES("props.") };

/* The mqttp_bytes of a property struct, in FP_PROPS_NAMES order. */
static size_t fp_props_bytes(const struct mqttp_properties *pr, const struct mqttp_bytes **l)
{
	l[0] = &pr->authentication_method; l[1] = &pr->authentication_data;
	l[2] = &pr->content_type; l[3] = &pr->response_topic;
	l[4] = &pr->correlation_data; l[5] = &pr->assigned_client_identifier;
	l[6] = &pr->reason_string; l[7] = &pr->response_information;
	l[8] = &pr->server_reference; l[9] = &pr->block;
	return 10;
}

/* The mqttp_bytes of a CONNECT, in fp_connect_names order. */
static size_t fp_connect_bytes(const struct mqttp_connect *c, const struct mqttp_bytes **l)
{
	size_t n = 0;

	l[n++] = &c->protocol_name;
	l[n++] = &c->client_id;
	l[n++] = &c->will_topic;
	l[n++] = &c->will_payload;
	l[n++] = &c->username;
	l[n++] = &c->password;
	n += fp_props_bytes(&c->props, l + n);
	n += fp_props_bytes(&c->will_props, l + n);
	return n;
}

/* Compare two lists of mqttp_bytes: present, off, len, and ptr as a
 * position in base's buffer (raw addresses when base is NULL: both
 * parsers were given the same buffers). */
static void fp_cmp_bytes(const struct fp_at *at, const char *kind,
                         const struct mqttp_bytes **la, const struct mqttp_bytes **lb,
                         const char *const *names, size_t n, const uint8_t *base)
{
	size_t i;

	for (i = 0; i < n; i++) {
#define FP_BY(f, va, vb) FP_EQF(at, va, vb, "%s %s." f, kind, names[i])
		FP_BY("present", la[i]->present, lb[i]->present);
		FP_BY("off", la[i]->off, lb[i]->off);
		FP_BY("len", la[i]->len, lb[i]->len);
		FP_BY("ptr", fp_pos(la[i]->ptr, base), fp_pos(lb[i]->ptr, base));
#undef FP_BY
	}
}

static void fp_cmp_connect(const struct fp_at *at, const char *kind,
                           const struct mqttp_connect *a, const struct mqttp_connect *b,
                           const uint8_t *base)
{
	const struct mqttp_bytes *la[26], *lb[26];
	size_t n = fp_connect_bytes(a, la);

	fp_connect_bytes(b, lb);
	fp_cmp_bytes(at, kind, la, lb, fp_connect_names, n, base);
	/* then the integers: version, flags, keep alive, property values */
	FP_EQ(at, kind, 0, !fz_connect_eq(a, b));
}

static void fp_cmp_connack(const struct fp_at *at, const char *kind,
                           const struct mqttp_connack *a, const struct mqttp_connack *b,
                           const uint8_t *base)
{
	const struct mqttp_bytes *la[10], *lb[10];
	size_t n = fp_props_bytes(&a->props, la);

	fp_props_bytes(&b->props, lb);
	fp_cmp_bytes(at, kind, la, lb, fp_connack_names, n, base);
	FP_EQ(at, kind, 0, !fz_connack_eq(a, b));
}

static const char *const fp_publish_names[6] = {
	"topic", "content_type", "response_topic", "correlation_data", "props", "payload"
};

static void fp_cmp_publish(const struct fp_at *at, const char *kind,
                           const struct mqttp_publish *a, const struct mqttp_publish *b,
                           const uint8_t *base)
{
	const struct mqttp_bytes *la[6] = { &a->topic, &a->content_type, &a->response_topic,
	                                    &a->correlation_data, &a->props, &a->payload };
	const struct mqttp_bytes *lb[6] = { &b->topic, &b->content_type, &b->response_topic,
	                                    &b->correlation_data, &b->props, &b->payload };

	fp_cmp_bytes(at, kind, la, lb, fp_publish_names, 6, base);
#define FP_PB(f) FP_EQF(at, a->f, b->f, "%s " #f, kind)
	FP_PB(qos);
	FP_PB(retain);
	FP_PB(dup);
	FP_PB(payload_format_indicator);
	FP_PB(packet_id);
	FP_PB(topic_alias);
	FP_PB(message_expiry_interval);
	FP_PB(subscription_identifier);
	FP_PB(subscription_identifier_count);
	FP_PB(user_property_count);
	FP_PB(present);
#undef FP_PB
}

/* What the collectors made of a packet's events (pointers into the call's
 * buffers, the same buffers for both). */
static void fp_cmp_collected(const struct fp_at *at, const struct fp_side *a,
                             const struct fp_side *b)
{
	/* only a CONNECT's or CONNACK's events are collected (types equal) */
	if (a->p.type == MQTTP_CONNECT)
		fp_cmp_connect(at, "collected CONNECT", &a->connect, &b->connect, NULL);
	else if (a->p.type == MQTTP_CONNACK)
		fp_cmp_connack(at, "collected CONNACK", &a->connack, &b->connack, NULL);
	else if (a->p.type == MQTTP_PUBLISH)
		fp_cmp_publish(at, "collected PUBLISH", &a->publish, &b->publish, NULL);
}

/* Feed one call to both parsers and compare everything it showed; the
 * collected structs when a packet ended (events are compared every call). */
static enum mqttp_status fp_feed(struct fp_at *at, struct fp_side *a, struct fp_side *b,
                                 const uint8_t *d, size_t n, int bare, size_t *consumed)
{
	size_t ca = 12345, cb = 12345;
	enum mqttp_status ra, rb;

	at->call++;
	a->nev = a->nbytes = b->nev = b->nbytes = 0;
	a->call = b->call = d;
	ra = a->lib->feed(&a->p, d, n, &ca, bare ? NULL : fp_cb, a);
	rb = b->lib->feed(&b->p, d, n, &cb, bare ? NULL : fp_cb, b);
	FP_EQ(at, "mqttp_feed's return", ra, rb);
	FP_EQ(at, "*consumed", ca, cb);
	fp_cmp_parser(at, &a->p, &b->p);
	fp_cmp_events(at, a, b);
	if (ra != MQTTP_NEED_MORE)
		fp_cmp_collected(at, a, b);
	*consumed = ca;
	return ra;
}

/* The one-shot decoders of both builds on buf[0..len). */
static void fp_decode(const struct fz_input *in, const uint8_t *buf, size_t len, size_t at_off)
{
	static struct mqttp_connect c[2];
	static struct mqttp_connack k[2];
	static struct mqttp_publish pb[2];
	struct mqttp_result r[2];
	enum mqttp_status s[2];
	struct fp_at at = { "mqttp_decode_connect at packet start", 0, at_off, len };
	int i;

	for (i = 0; i < 2; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		memset(&r[i], 0, sizeof(r[i]));
		s[i] = (i ? &fp_nofast : &fp_fast)->decode_connect(buf, len, &in->opt, &c[i], &r[i]);
	}
	FP_EQ(&at, "the status", s[0], s[1]);
	FP_EQ(&at, "result.type", r[0].type, r[1].type);
	FP_EQ(&at, "result.error", r[0].error, r[1].error);
	FP_EQ(&at, "result.error_offset", r[0].error_offset, r[1].error_offset);
	FP_EQ(&at, "result.length", r[0].length, r[1].length);
	fp_cmp_connect(&at, "decoded CONNECT", &c[0], &c[1], buf);

	at.step = "mqttp_decode_connack at packet start";
	for (i = 0; i < 2; i++) {
		memset(&k[i], 0, sizeof(k[i]));
		memset(&r[i], 0, sizeof(r[i]));
		s[i] = (i ? &fp_nofast : &fp_fast)->decode_connack(buf, len, &in->opt, &k[i], &r[i]);
	}
	FP_EQ(&at, "the status", s[0], s[1]);
	FP_EQ(&at, "result.type", r[0].type, r[1].type);
	FP_EQ(&at, "result.error", r[0].error, r[1].error);
	FP_EQ(&at, "result.error_offset", r[0].error_offset, r[1].error_offset);
	FP_EQ(&at, "result.length", r[0].length, r[1].length);
	fp_cmp_connack(&at, "decoded CONNACK", &k[0], &k[1], buf);

	at.step = "mqttp_decode_publish at packet start";
	for (i = 0; i < 2; i++) {
		/* garbage in the struct: the decoder must clear it */
		memset(&pb[i], 0xA5, sizeof(pb[i]));
		memset(&r[i], 0, sizeof(r[i]));
		s[i] = (i ? &fp_nofast : &fp_fast)->decode_publish(buf, len, &in->opt, &pb[i], &r[i]);
	}
	FP_EQ(&at, "the status", s[0], s[1]);
	FP_EQ(&at, "result.type", r[0].type, r[1].type);
	FP_EQ(&at, "result.error", r[0].error, r[1].error);
	FP_EQ(&at, "result.error_offset", r[0].error_offset, r[1].error_offset);
	FP_EQ(&at, "result.length", r[0].length, r[1].length);
	/* on an error or a prefix the struct is what the state machine left in both */
	fp_cmp_publish(&at, "decoded PUBLISH", &pb[0], &pb[1], buf);
}

#define FP_MAX_STARTS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fp_side a, b;
	static const uint8_t zero_byte;
	struct fz_input in;
	struct fp_at at = { "call", 0, 0, 0 };
	size_t starts[FP_MAX_STARTS], nstarts = 1, pos = 0, pi = 0, i;
	int cut, bare, resets, plan_nonzero = 0, stop = 0;
	uint8_t *body;

	fz_parse_input(data, size, &in);
	body = fz_dup(in.body, in.body_len);
	cut = in.mode & 3;
	bare = (in.mode & 4) != 0;
	resets = (in.mode & 8) != 0;
	for (i = 0; i < in.plan_len; i++)
		plan_nonzero |= in.plan[i] != 0;
	if (cut == 3)
		cut = 0;
	if (cut == 0 && !plan_nonzero)
		cut = 1;

	a.lib = &fp_fast;
	b.lib = &fp_nofast;
	a.lib->init(&a.p, &in.opt);
	b.lib->init(&b.p, &in.opt);
	memset(&a.connect, 0, sizeof(a.connect));
	memset(&b.connect, 0, sizeof(b.connect));
	memset(&a.connack, 0, sizeof(a.connack));
	memset(&b.connack, 0, sizeof(b.connack));
	memset(&a.publish, 0, sizeof(a.publish));
	memset(&b.publish, 0, sizeof(b.publish));
	starts[0] = 0;

	while (!stop && pos < in.body_len) {
		size_t sz, used = 0, consumed;
		uint8_t *chunk;

		sz = cut == 1 ? in.body_len - pos : cut == 2 ? 1 : in.plan[pi++ % in.plan_len];
		if (sz > in.body_len - pos)
			sz = in.body_len - pos;
		if (sz == 0) {
			/* a zero-length call, NULL data or not */
			at.off = pos;
			at.len = 0;
			fp_feed(&at, &a, &b, (pi & 1) ? NULL : &zero_byte, 0, bare, &consumed);
			continue;
		}
		chunk = fz_dup(body + pos, sz);
		while (used < sz) {
			enum mqttp_status r;

			at.off = pos + used;
			at.len = sz - used;
			r = fp_feed(&at, &a, &b, chunk + used, sz - used, bare, &consumed);
			used += consumed;
			if (r == MQTTP_NEED_MORE)
				break;
			if (r == MQTTP_ERROR) {
				/* errors are sticky in both */
				fp_feed(&at, &a, &b, chunk, sz, bare, &consumed);
				if (!resets) {
					stop = 1;
					break;
				}
				a.lib->reset(&a.p);
				b.lib->reset(&b.p);
				at.step = "mqttp_reset after call";
				fp_cmp_parser(&at, &a.p, &b.p);
				at.step = "call";
				if (used < sz)
					used++;
			}
			/* a packet starts here: collect it afresh */
			memset(&a.connect, 0, sizeof(a.connect));
			memset(&b.connect, 0, sizeof(b.connect));
			memset(&a.connack, 0, sizeof(a.connack));
			memset(&b.connack, 0, sizeof(b.connack));
			memset(&a.publish, 0, sizeof(a.publish));
			memset(&b.publish, 0, sizeof(b.publish));
			if (nstarts < FP_MAX_STARTS && pos + used < in.body_len)
				starts[nstarts++] = pos + used;
		}
		free(chunk);
		pos += sz;
	}
	at.step = "the end of the body after call";
	fp_cmp_collected(&at, &a, &b);
	for (i = 0; i < nstarts; i++)
		fp_decode(&in, body + starts[i], in.body_len - starts[i], starts[i]);
	free(body);
	return 0;
}
