/*
 * runner.c - runs one vector: once whole, then at every chunk size
 * (1..len) and, for inputs up to 64 bytes, at every pair of cut points,
 * with zero-length calls in between. Every input and every chunk is
 * placed right before a PROT_NONE page. Each run records the status,
 * error, error offset, bytes consumed, packet boundaries, the fields
 * gathered by mqttp_connect_collect / mqttp_connack_collect and, through
 * a second callback, every field reassembled from its fragments; all runs
 * must agree with the one-shot run, which is checked against the row.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "harness.h"
#include "mqttcodec.h"

#define MAX_IN     (256 * 1024)
#define MAX_BOUNDS 64
#define CUT_LIMIT  64

unsigned long harness_runs;

/* One field reassembled from its fragments. */
struct entry {
	uint8_t id, prop_id, pair_part, done;
	uint32_t value, off, len, pkt;
	size_t data;            /* offset of the copy in the pool */
	uint32_t got;           /* bytes received so far */
};

/* Everything a run produced. */
struct outcome {
	int status;
	int error;
	uint32_t error_offset;
	size_t consumed;
	uint32_t packets;
	size_t bounds[MAX_BOUNDS];
	int nbounds;
	struct mqttp_connect con;
	struct mqttp_connack ack;
	struct mqttp_publish pub;
	int con_pkt, ack_pkt;   /* packet index the collectors describe, -1 */
	int pub_pkt;
	size_t con_start, ack_start, pub_start;
	struct mqttp_parser p;  /* final parser state */
	struct entry *e;
	size_t ne, cape;
	uint8_t *pool;
	size_t npool, cappool;
	long open;              /* index of the entry being filled, -1 */
};

/* State shared by the feeding loop and the callback. */
struct run {
	const struct vector *v;
	const uint8_t *input;   /* the whole input (reference copy) */
	size_t n;
	struct mqttp_parser *p;
	struct outcome *o;
	size_t pkt_start;       /* input offset of the current packet */
	int pkt_index;
	int stopped;
	int last;               /* last status returned */
	int problems;
	const char *mode;
	struct guard *g;
};

static void problem(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report one problem of a run, with the vector id and the run mode. */
static void problem(struct run *r, const char *fmt, ...)
{
	va_list ap;

	r->problems++;
	if (r->problems > 6)
		return;
	fprintf(stderr, "[%s] %s: ", r->v->id, r->mode);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Forget everything recorded, keeping the allocations. */
static void outcome_reset(struct outcome *o)
{
	struct entry *e = o->e;
	uint8_t *pool = o->pool;
	size_t cape = o->cape, cappool = o->cappool;

	memset(o, 0, sizeof(*o));
	o->e = e;
	o->pool = pool;
	o->cape = cape;
	o->cappool = cappool;
	o->open = -1;
	o->con_pkt = o->ack_pkt = o->pub_pkt = -1;
}

/* Append bytes to the reassembly pool. */
static void pool_put(struct outcome *o, const uint8_t *b, size_t n)
{
	if (o->npool + n > o->cappool) {
		o->cappool = (o->npool + n) * 2 + 1024;
		o->pool = realloc(o->pool, o->cappool);
		if (!o->pool)
			abort();
	}
	if (n)
		memcpy(o->pool + o->npool, b, n);
	o->npool += n;
}

/* The field callback: checks each fragment against the input, reassembles
 * the values and also drives the library's own collectors. */
static void on_field(void *ctx, const struct mqttp_field *f)
{
	struct run *r = ctx;
	struct outcome *o = r->o;
	struct entry *en;

	if (f->id < MQTTP_F_PROTOCOL_NAME || f->id > MQTTP_F_SUBSCRIPTION_OPTIONS)
		problem(r, "field id %u out of range", f->id);
	if (!(f->flags & (MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST)) && f->frag_len == 0)
		problem(r, "empty middle fragment of field %u", f->id);
	if (f->frag_len) {
		size_t at = r->pkt_start + (size_t)f->off + f->frag_off;

		if (!f->frag)
			problem(r, "field %u: NULL fragment", f->id);
		else if ((uint64_t)f->frag_off + f->frag_len > f->len)
			problem(r, "field %u: fragment %u+%u past length %u", f->id,
			        f->frag_off, f->frag_len, f->len);
		else if (at + f->frag_len > r->n ||
		         memcmp(f->frag, r->input + at, f->frag_len) != 0)
			problem(r, "field %u (prop %02x): fragment bytes differ from the input at %zu",
			        f->id, f->prop_id, at);
	}
	if (f->flags & MQTTP_FRAG_FIRST) {
		if (o->open >= 0)
			problem(r, "field %u starts while field %u is unfinished", f->id,
			        o->e[o->open].id);
		if (f->frag_off != 0)
			problem(r, "field %u: first fragment at %u", f->id, f->frag_off);
		if (o->ne == o->cape) {
			o->cape = o->cape * 2 + 64;
			o->e = realloc(o->e, o->cape * sizeof(*o->e));
			if (!o->e)
				abort();
		}
		en = &o->e[o->ne];
		memset(en, 0, sizeof(*en));
		en->id = f->id;
		en->prop_id = f->prop_id;
		en->pair_part = f->pair_part;
		en->value = f->value;
		en->off = f->off;
		en->len = f->len;
		en->pkt = (uint32_t)r->pkt_index;
		en->data = o->npool;
		o->open = (long)o->ne++;
	} else {
		if (o->open < 0) {
			problem(r, "field %u: continuation without a first fragment", f->id);
			return;
		}
		en = &o->e[o->open];
		if (en->id != f->id || en->prop_id != f->prop_id ||
		    en->pair_part != f->pair_part || en->off != f->off || en->len != f->len)
			problem(r, "field %u: continuation does not match its first fragment", f->id);
		if (f->frag_off != en->got)
			problem(r, "field %u: fragment at %u, expected %u", f->id, f->frag_off, en->got);
	}
	if (f->frag_len)
		pool_put(o, f->frag, f->frag_len);
	en->got += f->frag_len;
	if (f->flags & MQTTP_FRAG_LAST) {
		/* a property block event announces the block's length only */
		int block = f->id == MQTTP_F_PROPERTIES || f->id == MQTTP_F_WILL_PROPERTIES;

		if (block && (f->frag_len || f->value != f->len))
			problem(r, "property block event with fragment bytes or value != len");
		if (!block && en->got != en->len)
			problem(r, "field %u: LAST after %u of %u bytes", f->id, en->got, en->len);
		en->done = 1;
		o->open = -1;
	}

	/* the library's collectors, for the packet type being parsed */
	if (r->p->type == MQTTP_CONNECT) {
		if (o->con_pkt != r->pkt_index) {
			memset(&o->con, 0, sizeof(o->con));
			o->con_pkt = r->pkt_index;
			o->con_start = r->pkt_start;
		}
		mqttp_connect_collect(&o->con, f);
	} else if (r->p->type == MQTTP_CONNACK) {
		if (o->ack_pkt != r->pkt_index) {
			memset(&o->ack, 0, sizeof(o->ack));
			o->ack_pkt = r->pkt_index;
			o->ack_start = r->pkt_start;
		}
		mqttp_connack_collect(&o->ack, f);
	} else if (r->p->type == MQTTP_PUBLISH) {
		if (o->pub_pkt != r->pkt_index) {
			memset(&o->pub, 0, sizeof(o->pub));
			o->pub_pkt = r->pkt_index;
			o->pub_start = r->pkt_start;
		}
		mqttp_publish_collect(&o->pub, f);
	}
}

/* A zero-length call must change nothing and return NEED_MORE (ERROR
 * once an error is sticky): a packet only ends on a byte. */
static void zero_call(struct run *r, const void *ptr)
{
	struct mqttp_parser before = *r->p;
	size_t c = 12345;
	int st = mqttp_feed(r->p, ptr, 0, &c, on_field, r);
	int want = before.error ? MQTTP_ERROR : MQTTP_NEED_MORE;

	if (c != 0)
		problem(r, "zero-length call consumed %zu", c);
	if (st != want)
		problem(r, "zero-length call returned %d, expected %d", st, want);
	/* p->status is the status of the last call, so it may change */
	before.status = r->p->status;
	if (memcmp(&before, r->p, sizeof(before)) != 0)
		problem(r, "zero-length call changed the parser");
}

/* Feed input[pos, pos+len) as one piece placed before the guard page. */
static void feed_piece(struct run *r, size_t pos, size_t len, int zeros)
{
	const uint8_t *buf;
	size_t off = 0;

	if (r->stopped)
		return;
	if (zeros) {
		zero_call(r, NULL);
		zero_call(r, r->g->base + r->g->size);
	}
	buf = guard_place(r->g, r->input + pos, len);
	while (off < len) {
		size_t c = (size_t)-1;
		int st = mqttp_feed(r->p, buf + off, len - off, &c, on_field, r);

		r->last = st;
		if (c > len - off) {
			problem(r, "consumed %zu of %zu", c, len - off);
			r->stopped = 1;
			return;
		}
		off += c;
		r->o->consumed += c;
		if (st != r->p->status)
			problem(r, "returned %d but p->status is %d", st, r->p->status);
		if (st == MQTTP_DONE) {
			if (c == 0) {
				problem(r, "DONE without consuming");
				r->stopped = 1;
				return;
			}
			if (r->o->nbounds < MAX_BOUNDS)
				r->o->bounds[r->o->nbounds++] = pos + off;
			r->pkt_start = pos + off;
			r->pkt_index++;
		} else if (st == MQTTP_NEED_MORE) {
			if (off != len)
				problem(r, "NEED_MORE with %zu bytes unconsumed", len - off);
			break;
		} else if (st == MQTTP_ERROR) {
			r->stopped = 1;
			break;
		} else {
			problem(r, "status %d out of range", st);
			r->stopped = 1;
			break;
		}
	}
}

/* Options of a row. */
static void vector_options(const struct vector *v, struct mqttp_options *o)
{
	mqttp_options_default(o);
	o->lenient = v->lenient;
	o->checks = v->checks;
	o->max_packet_size = v->max_packet;
	o->max_client_id_len = v->max_cid;
	o->max_user_properties = v->max_up;
	o->version = v->version;
}

/* Start a run: fresh parser and outcome. */
static void run_begin(struct run *r, struct mqttp_parser *p, struct outcome *o,
                      const char *mode)
{
	struct mqttp_options opt;

	vector_options(r->v, &opt);
	mqttp_init(p, &opt);
	outcome_reset(o);
	r->p = p;
	r->o = o;
	r->pkt_start = 0;
	r->pkt_index = 0;
	r->stopped = 0;
	r->last = MQTTP_NEED_MORE;
	r->mode = mode;
	harness_runs++;
}

/* Finish a run: record the final state, check error stickiness. */
static void run_end(struct run *r)
{
	struct outcome *o = r->o;

	o->status = r->last;
	o->error = r->p->error;
	o->error_offset = r->p->error_offset;
	o->packets = r->p->packets;
	o->p = *r->p;
	if (o->status == MQTTP_ERROR) {
		/* errors are sticky: more bytes change nothing */
		struct mqttp_parser before = *r->p;
		size_t c = 99;
		uint8_t *b = guard_place(r->g, "\x10", 1);
		int st = mqttp_feed(r->p, b, 1, &c, on_field, r);

		if (st != MQTTP_ERROR || c != 0 || memcmp(&before, r->p, sizeof(before)))
			problem(r, "error not sticky (status %d, consumed %zu)", st, c);
	} else if (o->error != MQTTP_E_NONE) {
		problem(r, "status %d with error %s", o->status, mqttp_error_name(o->error));
	}
}

#define CMPF(a, b, what) do { if ((a) != (b)) { \
	problem(r, "%s: %s %lld, one-shot %lld", r->mode, what, \
	        (long long)(a), (long long)(b)); } } while (0)

/* Compare a struct mqttp_bytes, ignoring the pointer. */
static void cmp_bytes(struct run *r, const struct mqttp_bytes *a,
                      const struct mqttp_bytes *b, const char *what)
{
	if (a->present != b->present || a->off != b->off || a->len != b->len)
		problem(r, "%s differs: present %u off %u len %u, one-shot %u %u %u", what,
		        a->present, a->off, a->len, b->present, b->off, b->len);
}

/* Compare two PUBLISH collections (the pointers excepted). */
static void cmp_publish(struct run *r, const struct mqttp_publish *a, const struct mqttp_publish *b,
                        const char *w)
{
	char what[64];

#define Q(f) do { snprintf(what, sizeof(what), "%s.%s", w, #f); CMPF(a->f, b->f, what); } while (0)
#define QB(f) do { snprintf(what, sizeof(what), "%s.%s", w, #f); cmp_bytes(r, &a->f, &b->f, what); } while (0)
	Q(packet_id); Q(topic_alias); Q(payload_format_indicator); Q(message_expiry_interval);
	Q(subscription_identifier); Q(subscription_identifier_count); Q(user_property_count);
	Q(present);
	QB(topic); QB(content_type); QB(response_topic); QB(correlation_data); QB(props); QB(payload);
#undef QB
#undef Q
}

/* Compare two property collections. */
static void cmp_props(struct run *r, const struct mqttp_properties *a,
                      const struct mqttp_properties *b, const char *w)
{
	char what[64];

#define P(f) do { snprintf(what, sizeof(what), "%s.%s", w, #f); CMPF(a->f, b->f, what); } while (0)
#define PB(f) do { snprintf(what, sizeof(what), "%s.%s", w, #f); cmp_bytes(r, &a->f, &b->f, what); } while (0)
	P(present);
	P(session_expiry_interval);
	P(maximum_packet_size);
	P(will_delay_interval);
	P(message_expiry_interval);
	P(receive_maximum);
	P(topic_alias_maximum);
	P(server_keep_alive);
	P(request_response_information);
	P(request_problem_information);
	P(payload_format_indicator);
	P(maximum_qos);
	P(retain_available);
	P(wildcard_subscription_available);
	P(subscription_identifiers_available);
	P(shared_subscription_available);
	P(user_property_count);
	PB(authentication_method);
	PB(authentication_data);
	PB(content_type);
	PB(response_topic);
	PB(correlation_data);
	PB(assigned_client_identifier);
	PB(reason_string);
	PB(response_information);
	PB(server_reference);
	PB(block);
#undef P
#undef PB
}

/* Compare a run's outcome with the one-shot outcome. */
static void compare(struct run *r, const struct outcome *a, const struct outcome *b)
{
	size_t i, na = 0, nb = 0;

	CMPF(a->status, b->status, "status");
	CMPF(a->error, b->error, "error");
	CMPF(a->error_offset, b->error_offset, "error offset");
	CMPF(a->consumed, b->consumed, "consumed");
	CMPF(a->packets, b->packets, "packets");
	CMPF(a->nbounds, b->nbounds, "packet boundaries");
	for (i = 0; i < (size_t)a->nbounds && i < (size_t)b->nbounds; i++)
		CMPF(a->bounds[i], b->bounds[i], "boundary");
	/* the parser's read-only fields */
	CMPF(a->p.type, b->p.type, "p->type");
	CMPF(a->p.have, b->p.have, "p->have");
	CMPF(a->p.version, b->p.version, "p->version");
	CMPF(a->p.bridge, b->p.bridge, "p->bridge");
	CMPF(a->p.connect_flags, b->p.connect_flags, "p->connect_flags");
	CMPF(a->p.keep_alive, b->p.keep_alive, "p->keep_alive");
	CMPF(a->p.client_id_off, b->p.client_id_off, "p->client_id_off");
	CMPF(a->p.client_id_len, b->p.client_id_len, "p->client_id_len");
	CMPF(a->p.remaining_length, b->p.remaining_length, "p->remaining_length");
	CMPF(a->p.header_len, b->p.header_len, "p->header_len");
	CMPF(a->p.header_flags, b->p.header_flags, "p->header_flags");
	CMPF(a->p.connack_flags, b->p.connack_flags, "p->connack_flags");
	CMPF(a->p.reason_code, b->p.reason_code, "p->reason_code");
	CMPF(a->p.offset, b->p.offset, "p->offset");
	CMPF(a->p.user_properties, b->p.user_properties, "p->user_properties");
	/* collectors: after an error a string may have been partly reported
	 * in one chunking and not at all in another (fragments come as bytes
	 * arrive), so only complete runs compare their collectors; the
	 * finished fields below are compared in every case */
	if (a->status == MQTTP_ERROR && b->status == MQTTP_ERROR)
		goto fields;
	CMPF(a->con_pkt, b->con_pkt, "connect collector packet");
	if (a->con_pkt >= 0 && a->con_pkt == b->con_pkt) {
		CMPF(a->con.version, b->con.version, "con.version");
		CMPF(a->con.bridge, b->con.bridge, "con.bridge");
		CMPF(a->con.flags, b->con.flags, "con.flags");
		CMPF(a->con.will_qos, b->con.will_qos, "con.will_qos");
		CMPF(a->con.keep_alive, b->con.keep_alive, "con.keep_alive");
		cmp_bytes(r, &a->con.protocol_name, &b->con.protocol_name, "con.protocol_name");
		cmp_bytes(r, &a->con.client_id, &b->con.client_id, "con.client_id");
		cmp_bytes(r, &a->con.will_topic, &b->con.will_topic, "con.will_topic");
		cmp_bytes(r, &a->con.will_payload, &b->con.will_payload, "con.will_payload");
		cmp_bytes(r, &a->con.username, &b->con.username, "con.username");
		cmp_bytes(r, &a->con.password, &b->con.password, "con.password");
		cmp_props(r, &a->con.props, &b->con.props, "con.props");
		cmp_props(r, &a->con.will_props, &b->con.will_props, "con.will_props");
	}
	CMPF(a->ack_pkt, b->ack_pkt, "connack collector packet");
	if (a->ack_pkt >= 0 && a->ack_pkt == b->ack_pkt) {
		CMPF(a->ack.session_present, b->ack.session_present, "ack.session_present");
		CMPF(a->ack.flags, b->ack.flags, "ack.flags");
		CMPF(a->ack.reason_code, b->ack.reason_code, "ack.reason_code");
		cmp_props(r, &a->ack.props, &b->ack.props, "ack.props");
	}
	CMPF(a->pub_pkt, b->pub_pkt, "publish collector packet");
	if (a->pub_pkt >= 0 && a->pub_pkt == b->pub_pkt)
		cmp_publish(r, &a->pub, &b->pub, "pub");
fields:
	/* reassembled fields: every finished one, in order, same bytes */
	for (;;) {
		while (na < a->ne && !a->e[na].done)
			na++;
		while (nb < b->ne && !b->e[nb].done)
			nb++;
		if (na >= a->ne || nb >= b->ne)
			break;
		{
			const struct entry *x = &a->e[na], *y = &b->e[nb];

			if (x->id != y->id || x->prop_id != y->prop_id ||
			    x->pair_part != y->pair_part || x->value != y->value ||
			    x->off != y->off || x->len != y->len || x->pkt != y->pkt ||
			    x->got != y->got ||
			    (x->got && memcmp(a->pool + x->data, b->pool + y->data, x->got) != 0)) {
				problem(r, "field #%zu differs: id %u prop %02x off %u len %u value %u, "
				        "one-shot id %u prop %02x off %u len %u value %u", nb,
				        x->id, x->prop_id, x->off, x->len, x->value,
				        y->id, y->prop_id, y->off, y->len, y->value);
				return;
			}
		}
		na++;
		nb++;
	}
	if (na < a->ne || nb < b->ne)
		problem(r, "finished field count differs (%s has more)",
		        na < a->ne ? "this run" : "one-shot");
}

/* ---------------------------------------------------------------------
 * Expectations of a row ("key=value" list), checked on the one-shot run.
 * ------------------------------------------------------------------- */

/* Next token of the expectation string (a quote may contain spaces). */
static const char *next_token(const char *s, char *tok, size_t cap)
{
	size_t n = 0;
	int q = 0;

	while (*s == ' ')
		s++;
	while (*s && (q || *s != ' ')) {
		if (*s == '\'')
			q = !q;
		if (n + 1 < cap)
			tok[n++] = *s;
		s++;
	}
	tok[n] = 0;
	return s;
}

/* Check a struct mqttp_bytes against a notation value ("-" = absent). */
static void expect_bytes(struct run *r, const struct outcome *o, size_t start,
                         const struct mqttp_bytes *b, const char *key, const char *val)
{
	static uint8_t want[MAX_IN];
	long n;

	if (strcmp(val, "-") == 0) {
		if (b->present)
			problem(r, "%s: expected absent, got %u bytes", key, b->len);
		return;
	}
	if (!b->present) {
		problem(r, "%s: expected present, absent", key);
		return;
	}
	n = hexin_parse(val, want, sizeof(want));
	if (n < 0 || (uint32_t)n != b->len) {
		problem(r, "%s: length %u, expected %ld", key, b->len, n);
		return;
	}
	if (start + b->off + b->len > r->n ||
	    memcmp(r->input + start + b->off, want, (size_t)n) != 0)
		problem(r, "%s: bytes differ", key);
	(void)o;
}

/* Check a property (p.XX / wp.XX / ap.XX) of a collection. */
static void expect_prop(struct run *r, const struct outcome *o, size_t start,
                        const struct mqttp_properties *pr, const char *key,
                        const char *sub, const char *val)
{
	uint32_t num = 0;
	struct mqttp_bytes by;
	int kind;
	unsigned id;

	if (strcmp(sub, "up") == 0) {
		if (pr->user_property_count != strtoul(val, NULL, 0))
			problem(r, "%s: %u user properties, expected %s", key,
			        pr->user_property_count, val);
		return;
	}
	if (strcmp(sub, "block") == 0) {
		expect_bytes(r, o, start, &pr->block, key, val);
		return;
	}
	if (strcmp(sub, "present") == 0) {
		if (pr->present != strtoull(val, NULL, 0))
			problem(r, "%s: mask %#llx, expected %s", key,
			        (unsigned long long)pr->present, val);
		return;
	}
	id = (unsigned)strtoul(sub, NULL, 16);
	memset(&by, 0, sizeof(by));
	kind = mqttp_properties_get(pr, id, &num, &by);
	if (strcmp(val, "-") == 0) {
		if (kind != 0)
			problem(r, "%s: expected absent", key);
		return;
	}
	if (kind == 0) {
		problem(r, "%s: absent", key);
	} else if (kind == 1) {
		if (num != strtoul(val, NULL, 0))
			problem(r, "%s: %u, expected %s", key, num, val);
	} else {
		expect_bytes(r, o, start, &by, key, val);
	}
}

/* Check a field (pb.XX) of what mqttp_publish_collect gathered. */
static void expect_publish(struct run *r, const struct outcome *o, const char *key,
                           const char *sub, const char *val)
{
	const struct mqttp_publish *pb = &o->pub;
	const struct mqttp_bytes *b = NULL;
	unsigned long long want = strtoull(val, NULL, 0), got;

	if (o->pub_pkt < 0) {
		problem(r, "%s: no PUBLISH collected", key);
		return;
	}
	if (!strcmp(sub, "topic")) b = &pb->topic;
	else if (!strcmp(sub, "ct")) b = &pb->content_type;
	else if (!strcmp(sub, "rt")) b = &pb->response_topic;
	else if (!strcmp(sub, "cd")) b = &pb->correlation_data;
	else if (!strcmp(sub, "payload")) b = &pb->payload;
	if (b) {
		expect_bytes(r, o, o->pub_start, b, key, val);
		return;
	}
	if (!strcmp(sub, "pid")) got = pb->packet_id;
	else if (!strcmp(sub, "alias")) got = pb->topic_alias;
	else if (!strcmp(sub, "pfi")) got = pb->payload_format_indicator;
	else if (!strcmp(sub, "mei")) got = pb->message_expiry_interval;
	else if (!strcmp(sub, "subid")) got = pb->subscription_identifier;
	else if (!strcmp(sub, "nsub")) got = pb->subscription_identifier_count;
	else if (!strcmp(sub, "up")) got = pb->user_property_count;
	else if (!strcmp(sub, "present")) got = pb->present;
	else if (!strcmp(sub, "props")) got = pb->props.present ? pb->props.len : ~0ull;
	else {
		problem(r, "unknown expectation key '%s'", key);
		return;
	}
	if (got != want)
		problem(r, "%s = %#llx, expected %s", key, got, val);
}

/* Check the one-shot outcome against the row's expectation string. */
static void check_expect(struct run *r, const struct outcome *o)
{
	const char *s = r->v->expect;
	char tok[512];

	if (!s)
		return;
	while (*(s = next_token(s, tok, sizeof(tok))) || tok[0]) {
		char *eq = strchr(tok, '=');
		const char *key = tok, *val;
		unsigned long num;

		if (!tok[0])
			break;
		if (!eq) {
			problem(r, "bad expectation token '%s'", tok);
			continue;
		}
		*eq = 0;
		val = eq + 1;
		num = strtoul(val, NULL, 0);
#define NUM(k, x) else if (strcmp(key, k) == 0) { if ((unsigned long)(x) != num) \
	problem(r, "%s = %lu, expected %s", k, (unsigned long)(x), val); }
		if (0) {
		}
		NUM("n", o->packets)
		NUM("type", o->p.type)
		NUM("v", o->p.version)
		NUM("br", o->p.bridge)
		NUM("cv", o->con.version)
		NUM("cbr", o->con.bridge)
		NUM("fl", o->con.flags)
		NUM("pfl", o->p.connect_flags)
		NUM("ka", o->con.keep_alive)
		NUM("pka", o->p.keep_alive)
		NUM("wq", o->con.will_qos)
		NUM("cidoff", o->p.client_id_off)
		NUM("cidlen", o->p.client_id_len)
		NUM("have", o->p.have)
		NUM("rl", o->p.remaining_length)
		NUM("hl", o->p.header_len)
		NUM("hf", o->p.header_flags)
		NUM("sp", o->ack.session_present)
		NUM("af", o->ack.flags)
		NUM("rc", o->ack.reason_code)
		NUM("prc", o->p.reason_code)
		NUM("pup", o->p.user_properties)
		NUM("consumed", o->consumed)
#undef NUM
		else if (strcmp(key, "pn") == 0)
			expect_bytes(r, o, o->con_start, &o->con.protocol_name, key, val);
		else if (strcmp(key, "cid") == 0)
			expect_bytes(r, o, o->con_start, &o->con.client_id, key, val);
		else if (strcmp(key, "wt") == 0)
			expect_bytes(r, o, o->con_start, &o->con.will_topic, key, val);
		else if (strcmp(key, "wp") == 0)
			expect_bytes(r, o, o->con_start, &o->con.will_payload, key, val);
		else if (strcmp(key, "user") == 0)
			expect_bytes(r, o, o->con_start, &o->con.username, key, val);
		else if (strcmp(key, "pass") == 0)
			expect_bytes(r, o, o->con_start, &o->con.password, key, val);
		else if (strncmp(key, "p.", 2) == 0)
			expect_prop(r, o, o->con_start, &o->con.props, key, key + 2, val);
		else if (strncmp(key, "w.", 2) == 0)
			expect_prop(r, o, o->con_start, &o->con.will_props, key, key + 2, val);
		else if (strncmp(key, "a.", 2) == 0)
			expect_prop(r, o, o->ack_start, &o->ack.props, key, key + 2, val);
		else if (strncmp(key, "pb.", 3) == 0)
			expect_publish(r, o, key, key + 3, val);
		else
			problem(r, "unknown expectation key '%s'", key);
	}
}

/* Check that collector pointers, when set, point at the value in the
 * one-shot buffer. */
static void check_ptr(struct run *r, const uint8_t *base, size_t start,
                      const struct mqttp_bytes *b, const char *what)
{
	if (b->present && b->ptr && b->ptr != base + start + b->off)
		problem(r, "%s.ptr does not point at its offset", what);
	if (b->present && b->len && !b->ptr)
		problem(r, "%s.ptr NULL in a one-shot run", what);
}

/* mqttp_decode_publish against the feed: the first packet's verdict and,
 * when valid, what mqttp_publish_collect gathered, every pointer into buf.
 * The decoder reads a packet inside a stream: a verdict of the first
 * packet's rules is the feed's only. */
static void check_decode_publish(struct run *r, const struct outcome *o, const uint8_t *buf)
{
	struct mqttp_options opt;
	struct mqttp_result res;
	struct mqttp_publish pb;
	const struct mqttp_bytes *bs[6];
	size_t i;
	int st;

	if (o->status == MQTTP_ERROR && o->nbounds == 0 &&
	    (o->error == MQTTP_E_FIRST_NOT_CONNECT || o->error == MQTTP_E_FIRST_NOT_CONNACK))
		return;
	vector_options(r->v, &opt);
	memset(&res, 0, sizeof(res));
	st = mqttp_decode_publish(buf, r->n, &opt, &pb, &res);
	CMPF(res.type, MQTTP_PUBLISH, "decode_publish type");
	if (o->nbounds) {
		CMPF(st, MQTTP_DONE, "decode_publish status");
		CMPF(res.length, o->bounds[0], "decode_publish length");
	} else {
		CMPF(st, o->status, "decode_publish status");
		if (st == MQTTP_ERROR) {
			CMPF(res.error, o->error, "decode_publish error");
			CMPF(res.error_offset, o->error_offset, "decode_publish error offset");
		}
	}
	if (st != MQTTP_DONE || o->pub_pkt != 0)
		return;
	CMPF(pb.qos, (buf[0] >> 1) & 3, "decode_publish qos");
	CMPF(pb.retain, buf[0] & 1, "decode_publish retain");
	CMPF(pb.dup, (buf[0] >> 3) & 1, "decode_publish dup");
	cmp_publish(r, &pb, &o->pub, "decode_publish");
	bs[0] = &pb.topic, bs[1] = &pb.content_type, bs[2] = &pb.response_topic;
	bs[3] = &pb.correlation_data, bs[4] = &pb.props, bs[5] = &pb.payload;
	for (i = 0; i < 6; i++)
		if (bs[i]->present != (bs[i]->ptr != NULL) || (bs[i]->ptr && bs[i]->ptr != buf + bs[i]->off))
			problem(r, "decode_publish: value %zu does not point at its offset", i);
	if (!pb.topic.present || !pb.payload.present)
		problem(r, "decode_publish: topic or payload absent");
}

/* Compare mqttp_decode_connect / mqttp_decode_connack with the feed. */
static void check_decode(struct run *r, const struct outcome *o, const uint8_t *buf)
{
	struct mqttp_options opt;
	struct mqttp_result res;
	size_t plen;
	int st, type = r->n ? r->input[0] >> 4 : 0;
	uint32_t pk = 0;

	if (r->n && type == MQTTP_PUBLISH) {
		check_decode_publish(r, o, buf);
		return;
	}
	if (r->n == 0 || (type != MQTTP_CONNECT && type != MQTTP_CONNACK))
		return;
	if (type == MQTTP_CONNECT && (r->v->checks & MQTTP_CHECK_FROM_SERVER))
		return;
	if (type == MQTTP_CONNACK && (r->v->checks & MQTTP_CHECK_FROM_CLIENT))
		return;
	vector_options(r->v, &opt);
	plen = o->nbounds ? o->bounds[0] : r->n;
	memset(&res, 0, sizeof(res));
	if (type == MQTTP_CONNECT) {
		struct mqttp_connect c;

		memset(&c, 0, sizeof(c));
		st = mqttp_decode_connect(buf, r->n, &opt, &c, &res);
		if (st == MQTTP_DONE && o->con_pkt == 0) {
			CMPF(c.client_id.len, o->con.client_id.len, "decode client_id.len");
			CMPF(c.client_id.off, o->con.client_id.off, "decode client_id.off");
			CMPF(c.flags, o->con.flags, "decode flags");
			CMPF(c.keep_alive, o->con.keep_alive, "decode keep_alive");
			CMPF(c.version, o->con.version, "decode version");
			CMPF(c.username.present, o->con.username.present, "decode username");
			CMPF(c.props.present, o->con.props.present, "decode props");
			CMPF(c.will_props.present, o->con.will_props.present, "decode will props");
			if (c.client_id.present && c.client_id.ptr != buf + c.client_id.off)
				problem(r, "decode client_id.ptr");
		}
	} else {
		struct mqttp_connack c;

		memset(&c, 0, sizeof(c));
		st = mqttp_decode_connack(buf, r->n, &opt, &c, &res);
		if (st == MQTTP_DONE && o->ack_pkt == 0) {
			CMPF(c.reason_code, o->ack.reason_code, "decode reason_code");
			CMPF(c.session_present, o->ack.session_present, "decode session_present");
			CMPF(c.props.present, o->ack.props.present, "decode props");
		}
	}
	/* the first packet's verdict */
	if (o->nbounds) {
		CMPF(st, MQTTP_DONE, "decode status");
		CMPF(res.length, plen, "decode length");
	} else {
		CMPF(st, o->status, "decode status");
		if (st == MQTTP_ERROR) {
			CMPF(res.error, o->error, "decode error");
			CMPF(res.error_offset, o->error_offset, "decode error offset");
		}
	}
	CMPF(res.type, type, "decode type");
	(void)pk;
}

/* Feed the input in pieces ending at the given cut points (ascending,
 * the last one is n). */
static void run_cuts(struct run *r, const size_t *cuts, size_t ncuts, int zeros)
{
	size_t pos = 0, i;

	for (i = 0; i < ncuts; i++) {
		feed_piece(r, pos, cuts[i] - pos, zeros);
		pos = cuts[i];
	}
	run_end(r);
}

/* Run one vector in every way; returns the number of problems. */
int run_vector(const struct vector *v, int full)
{
	static uint8_t input[MAX_IN];
	static struct outcome one, other;
	static struct guard g;
	struct mqttp_parser p1, p2;
	struct run r;
	long n;
	size_t k, i, j;
	char mode[64];

	if (!g.base)
		guard_init(&g, MAX_IN + 4096);
	memset(&r, 0, sizeof(r));
	r.v = v;
	r.g = &g;
	r.mode = "setup";
	n = hexin_parse(v->in, input, sizeof(input));
	if (n < 0) {
		problem(&r, "bad input");
		return r.problems;
	}
	r.input = input;
	r.n = (size_t)n;

	/* one shot */
	run_begin(&r, &p1, &one, "one-shot");
	{
		size_t cut = r.n;

		run_cuts(&r, &cut, 1, 0);
	}
	if (one.status != v->status)
		problem(&r, "status %d, expected %d (error %s at %u)", one.status, v->status,
		        mqttp_error_name(one.error), one.error_offset);
	if (one.error != v->error)
		problem(&r, "error %s, expected %s (offset %u)", mqttp_error_name(one.error),
		        mqttp_error_name(v->error), one.error_offset);
	else if (v->status == MQTTP_ERROR && v->error_offset >= 0 &&
	         one.error_offset != (uint32_t)v->error_offset)
		problem(&r, "error offset %u, expected %d", one.error_offset, v->error_offset);
	if (one.status != MQTTP_ERROR && one.consumed != r.n)
		problem(&r, "consumed %zu of %zu", one.consumed, r.n);
	{
		const uint8_t *base = g.base + g.size - r.n;

		if (one.con_pkt >= 0) {
			check_ptr(&r, base, one.con_start, &one.con.client_id, "client_id");
			check_ptr(&r, base, one.con_start, &one.con.username, "username");
			check_ptr(&r, base, one.con_start, &one.con.password, "password");
			check_ptr(&r, base, one.con_start, &one.con.will_topic, "will_topic");
			check_ptr(&r, base, one.con_start, &one.con.will_payload, "will_payload");
		}
	}
	check_expect(&r, &one);
	check_decode(&r, &one, guard_place(&g, input, r.n));

	/* every chunk size, with zero-length calls between the chunks */
	for (k = 1; k <= r.n; k++) {
		size_t pos;

		if (!full && k != 1 && k != r.n / 2)
			continue;
		snprintf(mode, sizeof(mode), "chunk %zu", k);
		run_begin(&r, &p2, &other, mode);
		for (pos = 0; pos < r.n; pos += k) {
			size_t end = pos + k < r.n ? pos + k : r.n;

			feed_piece(&r, pos, end - pos, k == 1 || k == 2);
		}
		run_end(&r);
		compare(&r, &other, &one);
		if (r.problems > 6)
			return r.problems;
	}

	/* every pair of cut points: three pieces */
	if (full && r.n <= CUT_LIMIT) {
		for (i = 1; i < r.n; i++) {
			for (j = i + 1; j < r.n; j++) {
				size_t cuts[3] = { i, j, r.n };

				snprintf(mode, sizeof(mode), "cuts %zu,%zu", i, j);
				run_begin(&r, &p2, &other, mode);
				run_cuts(&r, cuts, 3, (i + j) % 7 == 0);
				compare(&r, &other, &one);
				if (r.problems > 6)
					return r.problems;
			}
		}
	}
	return r.problems;
}

/* Run a whole table; returns the count of failing rows. */
int run_table(const char *name, const struct vector *t, int full)
{
	int bad = 0, rows = 0;
	unsigned long runs0 = harness_runs;

	for (; t->id; t++) {
		rows++;
		if (run_vector(t, full))
			bad++;
	}
	fprintf(stderr, "%s: %d vectors, %lu runs (whole, every chunk size, every pair of cuts), "
	        "%d failing\n", name, rows, harness_runs - runs0, bad);
	return bad;
}
