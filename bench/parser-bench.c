/*
 * parser-bench.c - libmqttparse against HAProxy's own src/mqtt.c, on the
 * same bytes.
 *
 *   parser-bench            ns per packet (thread CPU time), the fastest of several
 *                           interleaved runs (BENCH_STAT=median: their median)
 *   parser-bench --callgrind
 *                           run every case a fixed number of times between
 *                           callgrind client requests (zero stats, dump) so
 *                           that bench/parser-bench.sh can read instructions
 *                           per packet from the dump; prints nothing useful
 *   parser-bench --list     the case names and iteration counts of that mode
 *   parser-bench --run CASE N
 *                           run one case N times (for a profiler)
 *
 * Cases, per packet (3.1.1 CONNECT ~60 B, 5.0 CONNECT with properties,
 * 5.0 CONNACK, 3.1.1 CONNECT with a 10 KB will payload):
 *   ours.feed     mqttp_init + mqttp_feed without callback: validation, and
 *                 the client id is in p->client_id_off/len
 *   ours.decode   mqttp_decode_connect / mqttp_decode_connack: every field
 *   hap.validate  mqtt_validate_message (the mqtt_is_valid converter)
 *   hap.field     mqtt_field_value(connect,client_identifier) (connack:
 *                 assigned_client_identifier): validate + extract, what
 *                 `set-var` / `stick on` / `balance` evaluate
 * Arrival in k pieces: HAProxy re-runs mqtt_validate_message on the growing
 * prefix at each arrival; ours feeds only the new piece.
 * PUBLISH stream framing: mqttp_feed over a buffer of back-to-back PUBLISH
 * packets, and the stateless mqttp_frame hop.
 * PUBLISH decode against framing, per stream (3.1.1 and 5.0 with properties,
 * 64 B and 1 KB payloads): mqttp_feed with a callback recording every field
 * into a struct per packet, mqttp_decode_publish (every field into a struct
 * mqttp_publish), mqttp_feed without callback, mqttp_frame hops.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mqttparse.h"
#include "mqttcodec.h"
#include "hap-shim.h"

#ifdef HAVE_CALLGRIND_H
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) ((void)(s))
#endif

#define PKT_MAX 16384
#define NOINLINE __attribute__((noinline))

struct pkt {
	const char *name;
	int connack;          /* 1: CONNACK (server side), 0: CONNECT */
	size_t len;
	uint8_t d[PKT_MAX];
};

/* Results handed to `sink` so no loop can be optimised away. */
static volatile size_t sink;

/* ------------------------------------------------------------------ packets */

struct wbuf {
	uint8_t d[PKT_MAX];
	size_t n;
};

/* Append one byte. */
static void put8(struct wbuf *w, unsigned v)
{
	w->d[w->n++] = (uint8_t)v;
}

/* Append a big-endian 16-bit integer (MQTT byte order). */
static void put16(struct wbuf *w, unsigned v)
{
	put8(w, v >> 8);
	put8(w, v & 0xFF);
}

/* Append a big-endian 32-bit integer. */
static void put32(struct wbuf *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xFFFF);
}

/* A 2-byte length prefixed string or binary value. */
static void putstr(struct wbuf *w, const char *s, size_t len)
{
	put16(w, (unsigned)len);
	memcpy(w->d + w->n, s, len);
	w->n += len;
}

/* Append a NUL-terminated C string as an MQTT string. */
static void putcstr(struct wbuf *w, const char *s)
{
	putstr(w, s, strlen(s));
}

/* A variable byte integer (minimal encoding). */
static void putvbi(struct wbuf *w, uint32_t v)
{
	do {
		uint8_t b = v & 0x7F;

		v >>= 7;
		put8(w, b | (v ? 0x80 : 0));
	} while (v);
}

/* Append body as a packet with first byte `type_flags` to out. */
static void finish(struct pkt *out, unsigned type_flags, const struct wbuf *body)
{
	static struct wbuf h;

	h.n = 0;
	put8(&h, type_flags);
	putvbi(&h, (uint32_t)body->n);
	memcpy(out->d, h.d, h.n);
	memcpy(out->d + h.n, body->d, body->n);
	out->len = h.n + body->n;
}

/* 3.1.1 CONNECT, ~60 bytes: clean session, user name and password. */
static void build_connect_v311(struct pkt *p)
{
	static struct wbuf b;

	b.n = 0;
	putcstr(&b, "MQTT");
	put8(&b, 4);
	put8(&b, MQTTP_CF_CLEAN_START | MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD);
	put16(&b, 60);
	putcstr(&b, "sensor-gw-0042-kitchen");
	putcstr(&b, "benchuser");
	putcstr(&b, "s3cretpw");
	p->name = "connect_v311";
	p->connack = 0;
	finish(p, 0x10, &b);
}

/* 5.0 CONNECT with the usual client properties and one user property. */
static void build_connect_v5(struct pkt *p)
{
	static struct wbuf b, pr;

	pr.n = 0;
	put8(&pr, 0x11); put32(&pr, 3600);       /* session expiry interval */
	put8(&pr, 0x21); put16(&pr, 100);        /* receive maximum */
	put8(&pr, 0x27); put32(&pr, 1048576);    /* maximum packet size */
	put8(&pr, 0x22); put16(&pr, 10);         /* topic alias maximum */
	put8(&pr, 0x19); put8(&pr, 1);           /* request response information */
	put8(&pr, 0x17); put8(&pr, 1);           /* request problem information */
	put8(&pr, 0x26); putcstr(&pr, "region"); putcstr(&pr, "eu-west-1");
	b.n = 0;
	putcstr(&b, "MQTT");
	put8(&b, 5);
	put8(&b, MQTTP_CF_CLEAN_START | MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD);
	put16(&b, 30);
	putvbi(&b, (uint32_t)pr.n);
	memcpy(b.d + b.n, pr.d, pr.n);
	b.n += pr.n;
	putcstr(&b, "bench-v5-client-0001");
	putcstr(&b, "benchuser");
	putcstr(&b, "s3cretpw");
	p->name = "connect_v5";
	p->connack = 0;
	finish(p, 0x10, &b);
}

/* 5.0 CONNACK as a broker answers a client with an empty client id. */
static void build_connack_v5(struct pkt *p)
{
	static struct wbuf b, pr;

	pr.n = 0;
	put8(&pr, 0x11); put32(&pr, 3600);       /* session expiry interval */
	put8(&pr, 0x21); put16(&pr, 20);         /* receive maximum */
	put8(&pr, 0x24); put8(&pr, 1);           /* maximum QoS */
	put8(&pr, 0x25); put8(&pr, 1);           /* retain available */
	put8(&pr, 0x27); put32(&pr, 268435455);  /* maximum packet size */
	put8(&pr, 0x12); putcstr(&pr, "auto-3F2504E0-4F89-11D3-9A0C"); /* assigned client id */
	put8(&pr, 0x22); put16(&pr, 10);         /* topic alias maximum */
	put8(&pr, 0x28); put8(&pr, 1);           /* wildcard subscription available */
	put8(&pr, 0x29); put8(&pr, 1);           /* subscription identifiers available */
	put8(&pr, 0x2A); put8(&pr, 1);           /* shared subscription available */
	put8(&pr, 0x13); put16(&pr, 60);         /* server keep alive */
	b.n = 0;
	put8(&b, 0);                             /* acknowledge flags */
	put8(&b, 0);                             /* success */
	putvbi(&b, (uint32_t)pr.n);
	memcpy(b.d + b.n, pr.d, pr.n);
	b.n += pr.n;
	p->name = "connack_v5";
	p->connack = 1;
	finish(p, 0x20, &b);
}

/* 3.1.1 CONNECT with a QoS 1 will and a 10 KB will payload. */
static void build_connect_will10k(struct pkt *p)
{
	static struct wbuf b;
	static char payload[10240];
	size_t i;

	for (i = 0; i < sizeof(payload); i++)
		payload[i] = (char)('a' + i % 26);
	b.n = 0;
	putcstr(&b, "MQTT");
	put8(&b, 4);
	put8(&b, MQTTP_CF_CLEAN_START | MQTTP_CF_WILL | 0x08 | MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD);
	put16(&b, 60);
	putcstr(&b, "bench-will-client-01");
	putcstr(&b, "devices/bench-will-client-01/status");
	putstr(&b, payload, sizeof(payload));
	putcstr(&b, "benchuser");
	putcstr(&b, "s3cretpw");
	p->name = "connect_will10k";
	p->connack = 0;
	finish(p, 0x10, &b);
}

/* Back-to-back 3.1.1 PUBLISH packets (QoS 0 and every fourth QoS 1). */
#define STREAM_PACKETS 1000
static uint8_t stream_buf[STREAM_PACKETS * 64];
static size_t stream_len;

/* Fill stream_buf with STREAM_PACKETS PUBLISH packets. */
static void build_publish_stream(void)
{
	static struct wbuf b;
	struct pkt one;
	int i;

	stream_len = 0;
	for (i = 0; i < STREAM_PACKETS; i++) {
		int qos1 = (i % 4) == 3;

		b.n = 0;
		putcstr(&b, "sensors/room-17/temperature");
		if (qos1)
			put16(&b, (unsigned)(i % 65535) + 1);
		memcpy(b.d + b.n, "{\"t\":21.5,\"ts\":1700000000}", 26);
		b.n += 26;
		finish(&one, qos1 ? 0x32 : 0x30, &b);
		memcpy(stream_buf + stream_len, one.d, one.len);
		stream_len += one.len;
	}
}

/* PUBLISH streams for decode against framing: 3.1.1 or 5.0, one payload
 * size; QoS 0 with every fourth packet QoS 1, as the stream above. */
#define PUB_OVERHEAD 160   /* bound on a PUBLISH's bytes besides its payload */

struct pstream {
	const char *name;
	int v5;
	size_t payload;
	uint8_t *d;
	size_t len;
	struct mqttp_options opt;
};

static uint8_t pub_v311_64b[STREAM_PACKETS * (64 + PUB_OVERHEAD)];
static uint8_t pub_v311_1k[STREAM_PACKETS * (1024 + PUB_OVERHEAD)];
static uint8_t pub_v5_64b[STREAM_PACKETS * (64 + PUB_OVERHEAD)];
static uint8_t pub_v5_1k[STREAM_PACKETS * (1024 + PUB_OVERHEAD)];

#define NPSTREAM 4
static struct pstream pstreams[NPSTREAM] = {
	{ "v311_64b", 0, 64, pub_v311_64b, 0, { 0 } },
	{ "v311_1k", 0, 1024, pub_v311_1k, 0, { 0 } },
	{ "v5_64b", 1, 64, pub_v5_64b, 0, { 0 } },
	{ "v5_1k", 1, 1024, pub_v5_1k, 0, { 0 } },
};

/* Fill s->d. 5.0: message expiry, content type and a user property on
 * every packet; a topic alias on every fourth, alternately bound (topic
 * and alias) and used (empty topic). */
static void build_pstream(struct pstream *s)
{
	static struct wbuf b, pr;
	static uint8_t payload[1024];
	struct pkt one;
	char topic[64];
	size_t i;

	for (i = 0; i < s->payload; i++)
		payload[i] = (uint8_t)("{\"t\":21.5,\"h\":40,\"ts\":1700000000}"[i % 33]);
	s->len = 0;
	for (i = 0; i < STREAM_PACKETS; i++) {
		int qos1 = (i % 4) == 3, alias = s->v5 && (i % 4) == 0, use = alias && (i % 8) == 4;

		snprintf(topic, sizeof(topic), "sensors/room-%02u/temperature", (unsigned)(i % 100));
		b.n = 0;
		putcstr(&b, use ? "" : topic);
		if (qos1)
			put16(&b, (unsigned)(i % 65535) + 1);
		if (s->v5) {
			pr.n = 0;
			put8(&pr, 0x02); put32(&pr, 300);                  /* message expiry interval */
			put8(&pr, 0x03); putcstr(&pr, "application/json"); /* content type */
			if (alias) {
				put8(&pr, 0x23); put16(&pr, 1);            /* topic alias */
			}
			put8(&pr, 0x26); putcstr(&pr, "trace-id"); putcstr(&pr, "4bf92f3577b34da6");
			putvbi(&b, (uint32_t)pr.n);
			memcpy(b.d + b.n, pr.d, pr.n);
			b.n += pr.n;
		}
		memcpy(b.d + b.n, payload, s->payload);
		b.n += s->payload;
		finish(&one, qos1 ? 0x32 : 0x30, &b);
		if (s->len + one.len > STREAM_PACKETS * (s->payload + PUB_OVERHEAD))
			abort();
		memcpy(s->d + s->len, one.d, one.len);
		s->len += one.len;
	}
	mqttp_options_default(&s->opt);
	s->opt.version = s->v5 ? MQTTP_V5 : MQTTP_V311;
}

/* ------------------------------------------------------------- the cases */

static struct mqttp_options opt_client, opt_server, opt_stream;

/* Ours, validation only: a fresh parser per packet, one feed, no callback. */
static NOINLINE void ours_feed(const struct pkt *pk, long n)
{
	const struct mqttp_options *o = pk->connack ? &opt_server : &opt_client;
	struct mqttp_parser p;
	size_t used, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		mqttp_init(&p, o);
		if (mqttp_feed(&p, pk->d, pk->len, &used, NULL, NULL) != MQTTP_DONE)
			abort();
		acc += p.client_id_len + p.reason_code;
	}
	sink += acc;
}

/* The one-shot decoders' output at a fixed place inside one 4 KB page: a
 * struct straddling a page boundary is slower to fill, and on the stack
 * whether it straddles would change with the stack's random start. */
static union {
	struct mqttp_connect c;
	struct mqttp_connack a;
} decode_out __attribute__((aligned(1024)));

/* Ours, full field collection with the one-shot decoders. */
static NOINLINE void ours_decode(const struct pkt *pk, long n)
{
	struct mqttp_connect *c = &decode_out.c;
	struct mqttp_connack *a = &decode_out.a;
	struct mqttp_result r;
	size_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		if (pk->connack) {
			if (mqttp_decode_connack(pk->d, pk->len, &opt_server, a, &r) != MQTTP_DONE)
				abort();
			acc += a->props.assigned_client_identifier.len;
		} else {
			if (mqttp_decode_connect(pk->d, pk->len, &opt_client, c, &r) != MQTTP_DONE)
				abort();
			acc += c->client_id.len;
		}
	}
	sink += acc;
}

/* Ours, CONNECT rewrite: a new client id of 24 bytes (the packet is parsed
 * again inside, then rebuilt into a caller buffer). */
static NOINLINE void ours_rewrite(const struct pkt *pk, long n)
{
	static const char cid[] = "CN=sensor-gw-0042-kitchn";
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	uint8_t out[512];
	size_t acc = 0, len;
	long i;

	memset(&rw, 0, sizeof(rw));
	rw.client_id.op = MQTTP_RW_SET;
	rw.client_id.value = (const uint8_t *)cid;
	rw.client_id.len = sizeof(cid) - 1;
	for (i = 0; i < n; i++) {
		len = mqttp_rewrite_connect(pk->d, pk->len, &opt_client, &rw, out, sizeof(out), &res);
		if (len == 0 || len > sizeof(out))
			abort();
		acc += out[len - 1];
	}
	sink += acc;
}

/* HAProxy: mqtt_is_valid. */
static NOINLINE void hap_validate(const struct pkt *pk, long n)
{
	size_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		if (hap_mqtt_validate(pk->d, pk->len) != 1)
			abort();
		acc++;
	}
	sink += acc;
}

/* HAProxy: mqtt_field_value(connect,client_identifier) (validates inside). */
static NOINLINE void hap_field(const struct pkt *pk, long n)
{
	const char *v = NULL;
	size_t vl = 0, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		int r = pk->connack ? hap_mqtt_connack_assigned_id(pk->d, pk->len, &v, &vl)
		                    : hap_mqtt_connect_client_id(pk->d, pk->len, &v, &vl);
		if (r != 1)
			abort();
		acc += vl;
	}
	sink += acc;
}

/* End of piece j of k when len bytes arrive in k nearly equal pieces. */
static size_t cut(size_t len, size_t k, size_t j)
{
	return len * (j + 1) / k;
}

/* Ours, packet arriving in k pieces: feed each new piece once. */
static NOINLINE void ours_arrival(const struct pkt *pk, size_t k, long n)
{
	const struct mqttp_options *o = pk->connack ? &opt_server : &opt_client;
	struct mqttp_parser p;
	size_t used, j, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t from = 0;
		enum mqttp_status st = MQTTP_NEED_MORE;

		mqttp_init(&p, o);
		for (j = 0; j < k; j++) {
			size_t to = cut(pk->len, k, j);

			st = mqttp_feed(&p, pk->d + from, to - from, &used, NULL, NULL);
			from = to;
		}
		if (st != MQTTP_DONE)
			abort();
		acc += p.client_id_len;
	}
	sink += acc;
}

/* HAProxy, packet arriving in k pieces: validate the whole prefix each time,
 * as the content rules do on every arrival. */
static NOINLINE void hap_arrival(const struct pkt *pk, size_t k, long n)
{
	size_t j, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		int r = 0;

		for (j = 0; j < k; j++)
			r = hap_mqtt_validate(pk->d, cut(pk->len, k, j));
		if (r != 1)
			abort();
		acc++;
	}
	sink += acc;
}

/* Ours, framing a stream of PUBLISH packets through one parser. */
static NOINLINE void ours_stream(long n)
{
	struct mqttp_parser p;
	size_t used, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		mqttp_init(&p, &opt_stream);
		while (off < stream_len) {
			if (mqttp_feed(&p, stream_buf + off, stream_len - off, &used, NULL, NULL) != MQTTP_DONE)
				abort();
			off += used;
		}
		acc += p.packets;
	}
	sink += acc;
}

/* Ours, hopping over the same stream with the stateless mqttp_frame. */
static NOINLINE void ours_frame_stream(long n)
{
	size_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		while (off < stream_len) {
			uint8_t type, hl;
			uint32_t rl;
			enum mqttp_error e;

			if (mqttp_frame(stream_buf + off, stream_len - off, 0, &type, &rl, &hl, &e) != MQTTP_DONE)
				abort();
			off += hl + rl;
			acc++;
		}
	}
	sink += acc;
}

/* What a consumer of a PUBLISH keeps: every field, zero-copy (offsets in
 * the packet, pointers into the caller's buffer). */
struct pub_rec {
	const uint8_t *topic;
	uint32_t topic_off, topic_len;
	uint32_t packet_id;
	uint32_t props_off, props_len;
	uint32_t message_expiry;
	uint32_t content_type_off, content_type_len;
	uint32_t topic_alias;
	uint32_t user_props;
	uint32_t user_key_off, user_key_len, user_value_off, user_value_len;
	uint32_t other_props;
	uint32_t payload_off, payload_len, payload_seen;
};

/* A value's offset and length, on its first fragment. */
static void rec_span(const struct mqttp_field *f, uint32_t *off, uint32_t *len)
{
	if (f->flags & MQTTP_FRAG_FIRST) {
		*off = f->off;
		*len = f->len;
	}
}

/* The field callback of the decode cases: record f into the packet's struct. */
static void pub_record(void *ctx, const struct mqttp_field *f)
{
	struct pub_rec *r = ctx;

	switch (f->id) {
	case MQTTP_F_TOPIC_NAME:
		if (f->flags & MQTTP_FRAG_FIRST)
			r->topic = f->frag;
		rec_span(f, &r->topic_off, &r->topic_len);
		break;
	case MQTTP_F_PACKET_ID:
		r->packet_id = f->value;
		break;
	case MQTTP_F_PROPERTIES:
		r->props_off = f->off;
		r->props_len = f->value;
		break;
	case MQTTP_F_PROPERTY:
		switch (f->prop_id) {
		case 0x02: r->message_expiry = f->value; break;
		case 0x03: rec_span(f, &r->content_type_off, &r->content_type_len); break;
		case 0x23: r->topic_alias = f->value; break;
		case 0x26:
			if (f->pair_part == 0) {
				if (f->flags & MQTTP_FRAG_FIRST)
					r->user_props++;
				rec_span(f, &r->user_key_off, &r->user_key_len);
			} else {
				rec_span(f, &r->user_value_off, &r->user_value_len);
			}
			break;
		default: r->other_props++; break;
		}
		break;
	case MQTTP_F_PAYLOAD:
		rec_span(f, &r->payload_off, &r->payload_len);
		r->payload_seen += f->frag_len;
		break;
	default:
		break;
	}
}

/* Ours, every field of a PUBLISH stream: one parser, the recording callback,
 * a fresh record per packet handed on (to `sink`) at the packet's end. */
static NOINLINE void ours_pub_decode(const struct pstream *s, long n)
{
	struct mqttp_parser p;
	struct pub_rec r;
	size_t used, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		mqttp_init(&p, &s->opt);
		while (off < s->len) {
			memset(&r, 0, sizeof(r));
			if (mqttp_feed(&p, s->d + off, s->len - off, &used, pub_record, &r) != MQTTP_DONE)
				abort();
			off += used;
			acc += r.topic_len + r.packet_id + r.payload_len + r.user_props + r.topic_alias;
		}
	}
	sink += acc;
}

/* Ours, every field of a PUBLISH stream with the one-shot decoder: a
 * struct mqttp_publish per packet, handed on (to `sink`) as above. */
static NOINLINE void ours_pub_struct(const struct pstream *s, long n)
{
	struct mqttp_publish pb;
	struct mqttp_result res;
	size_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		while (off < s->len) {
			if (mqttp_decode_publish(s->d + off, s->len - off, &s->opt, &pb, &res) != MQTTP_DONE)
				abort();
			off += res.length;
			acc += pb.topic.len + pb.packet_id + pb.payload.len + pb.user_property_count + pb.topic_alias;
		}
	}
	sink += acc;
}

/* Ours, the same stream through mqttp_feed without callback. */
static NOINLINE void ours_pub_feed(const struct pstream *s, long n)
{
	struct mqttp_parser p;
	size_t used, acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		mqttp_init(&p, &s->opt);
		while (off < s->len) {
			if (mqttp_feed(&p, s->d + off, s->len - off, &used, NULL, NULL) != MQTTP_DONE)
				abort();
			off += used;
		}
		acc += p.packets;
	}
	sink += acc;
}

/* Ours, framing alone: mqttp_frame hops over the same stream. */
static NOINLINE void ours_pub_frame(const struct pstream *s, long n)
{
	size_t acc = 0;
	long i;

	for (i = 0; i < n; i++) {
		size_t off = 0;

		while (off < s->len) {
			uint8_t type, hl;
			uint32_t rl;
			enum mqttp_error e;

			if (mqttp_frame(s->d + off, s->len - off, 0, &type, &rl, &hl, &e) != MQTTP_DONE)
				abort();
			off += hl + rl;
			acc++;
		}
	}
	sink += acc;
}

/* ------------------------------------------------------------ the harness */

enum kind { K_FEED, K_DECODE, K_HVAL, K_HFIELD, K_OARR, K_HARR, K_STREAM, K_FRAME, K_REWRITE,
            K_PDECODE, K_PFEED, K_PFRAME, K_PSTRUCT };

struct bcase {
	char name[64];
	enum kind kind;
	const struct pkt *pk;
	const struct pstream *ps; /* PUBLISH stream, for K_P* */
	size_t k;           /* pieces, for arrival */
	double per;         /* packets per call of the run function (stream) */
	double ns;          /* result: ns per packet (fastest run, or median) */
};

/* Run case c n times (n packets, or n passes over the stream). */
static void run_case(const struct bcase *c, long n)
{
	switch (c->kind) {
	case K_FEED: ours_feed(c->pk, n); break;
	case K_DECODE: ours_decode(c->pk, n); break;
	case K_HVAL: hap_validate(c->pk, n); break;
	case K_HFIELD: hap_field(c->pk, n); break;
	case K_OARR: ours_arrival(c->pk, c->k, n); break;
	case K_HARR: hap_arrival(c->pk, c->k, n); break;
	case K_STREAM: ours_stream(n); break;
	case K_FRAME: ours_frame_stream(n); break;
	case K_REWRITE: ours_rewrite(c->pk, n); break;
	case K_PDECODE: ours_pub_decode(c->ps, n); break;
	case K_PFEED: ours_pub_feed(c->ps, n); break;
	case K_PFRAME: ours_pub_frame(c->ps, n); break;
	case K_PSTRUCT: ours_pub_struct(c->ps, n); break;
	}
}

/* This thread's CPU time in ns: time spent descheduled while other work
 * runs on the machine is not counted (wall-clock would count it). */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* qsort order of doubles. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int runs = 15;
static double run_ms = 10.0;
/* The statistic over the runs. The fastest by default: the code and its
 * input are the same in every run, so what makes a run slower is other
 * work on the machine, and the fastest run is the closest to the code's
 * own cost; it is taken alike for both parsers.
 * BENCH_STAT=median gives the median instead. */
static int use_median;

/* Iterations that make one run of c last about run_ms. */
static long calibrate(const struct bcase *c)
{
	double t, el;
	long n = 1;

	for (;;) {
		t = now_ns();
		run_case(c, n);
		el = now_ns() - t;
		if (el > 2e6 || n > (1L << 40))
			break;
		n *= 2;
	}
	n = (long)((double)n * (run_ms * 1e6) / el);
	return n < 1 ? 1 : n;
}

/* ns per packet of one run of n iterations. */
static double one_run(const struct bcase *c, long n)
{
	double t = now_ns();

	run_case(c, n);
	return (now_ns() - t) / ((double)n * c->per);
}

/* Median of v[0..n). Sorts v. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Smallest of v[0..n). */
static double fastest(const double *v, int n)
{
	double m = v[0];
	int i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

#define NPKT 4
static struct pkt pkts[NPKT];
static struct bcase cases[128];
static int ncases;

/* Register a case; returns it so the caller can adjust `per`. */
static struct bcase *add(enum kind kind, const struct pkt *pk, size_t k, const char *name)
{
	struct bcase *c = &cases[ncases++];

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->kind = kind;
	c->pk = pk;
	c->k = k;
	c->per = 1.0;
	return c;
}

static const size_t arrival_k[] = { 1, 8, 64, 0 /* = packet length */ };

/* Pieces actually used for arrival k (0 = one per byte; capped at the length). */
static size_t k_of(const struct pkt *pk, size_t k)
{
	if (k == 0 || k > pk->len)
		return pk->len;
	return k;
}

/* Name part of arrival k: "1", "8", "64" or "len". Static buffer. */
static const char *k_label(size_t k)
{
	static char s[24];

	if (k == 0)
		return "len";
	snprintf(s, sizeof(s), "%zu", k);
	return s;
}

/* Build the packets and the list of cases. */
static void setup(void)
{
	static const char *kn[] = { "feed", "decode", "hval", "hfield" };
	char name[64];
	int i, j;

	mqttp_options_default(&opt_client);
	opt_client.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_options_default(&opt_server);
	opt_server.checks = MQTTP_CHECK_FROM_SERVER;
	opt_server.version = MQTTP_V5;
	mqttp_options_default(&opt_stream);
	opt_stream.version = MQTTP_V311;

	build_connect_v311(&pkts[0]);
	build_connect_v5(&pkts[1]);
	build_connack_v5(&pkts[2]);
	build_connect_will10k(&pkts[3]);
	build_publish_stream();

	for (i = 0; i < NPKT; i++)
		for (j = 0; j < 4; j++) {
			snprintf(name, sizeof(name), "%s.%s", kn[j], pkts[i].name);
			add((enum kind)j, &pkts[i], 0, name);
		}
	for (i = 0; i < NPKT; i++) {
		if (i != 0 && i != 3)
			continue;
		for (j = 0; j < 4; j++) {
			size_t k = k_of(&pkts[i], arrival_k[j]);

			snprintf(name, sizeof(name), "oarr%s.%s", k_label(arrival_k[j]), pkts[i].name);
			add(K_OARR, &pkts[i], k, name);
			snprintf(name, sizeof(name), "harr%s.%s", k_label(arrival_k[j]), pkts[i].name);
			add(K_HARR, &pkts[i], k, name);
		}
	}
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "rewrite.%s", pkts[i].name);
		add(K_REWRITE, &pkts[i], 0, name);
	}
	add(K_STREAM, NULL, 0, "stream.publish")->per = STREAM_PACKETS;
	add(K_FRAME, NULL, 0, "frame.publish")->per = STREAM_PACKETS;
	for (i = 0; i < NPSTREAM; i++) {
		static const char *pn[] = { "pframe", "pfeed", "pdecode", "pstruct" };
		static const enum kind pk[] = { K_PFRAME, K_PFEED, K_PDECODE, K_PSTRUCT };

		build_pstream(&pstreams[i]);
		for (j = 0; j < 4; j++) {
			struct bcase *c;

			snprintf(name, sizeof(name), "%s.%s", pn[j], pstreams[i].name);
			c = add(pk[j], NULL, 0, name);
			c->ps = &pstreams[i];
			c->per = STREAM_PACKETS;
		}
	}
}

/* Every field of every PUBLISH of a stream must reach the record, or the
 * decode cases measure less than they claim. */
static void sanity_pstream(const struct pstream *s)
{
	struct mqttp_parser p;
	struct pub_rec r;
	size_t used, off = 0;
	unsigned i = 0;

	mqttp_init(&p, &s->opt);
	for (i = 0; off < s->len; i++) {
		int qos1 = (i % 4) == 3, alias = s->v5 && (i % 4) == 0, use = alias && (i % 8) == 4;
		int ok;

		memset(&r, 0, sizeof(r));
		if (mqttp_feed(&p, s->d + off, s->len - off, &used, pub_record, &r) != MQTTP_DONE) {
			fprintf(stderr, "parser-bench: libmqttparse rejects PUBLISH %u of %s: %s at %u\n",
			        i, s->name, mqttp_error_name((enum mqttp_error)p.error), p.error_offset);
			exit(1);
		}
		ok = r.topic_len == (use ? 0u : 27u) && (use || r.topic == s->d + off + r.topic_off) &&
		     r.packet_id == (qos1 ? i % 65535 + 1 : 0) &&
		     r.payload_len == s->payload && r.payload_seen == s->payload &&
		     r.payload_off + r.payload_len == used && r.other_props == 0;
		if (s->v5)
			ok = ok && r.props_len > 0 && r.message_expiry == 300 && r.content_type_len == 16 &&
			     r.user_props == 1 && r.user_key_len == 8 && r.user_value_len == 16 &&
			     r.topic_alias == (alias ? 1u : 0u);
		else
			ok = ok && r.props_len == 0 && r.user_props == 0;
		if (!ok) {
			fprintf(stderr, "parser-bench: PUBLISH %u of %s: fields not all reported\n", i, s->name);
			exit(1);
		}
		/* the one-shot decoder: the same packet, the same fields */
		{
			struct mqttp_publish pb;
			struct mqttp_result res;

			ok = mqttp_decode_publish(s->d + off, s->len - off, &s->opt, &pb, &res) == MQTTP_DONE &&
			     res.length == used && pb.topic.present && pb.topic.len == r.topic_len &&
			     pb.topic.off == r.topic_off && pb.topic.ptr == s->d + off + r.topic_off &&
			     pb.qos == (qos1 ? 1 : 0) && !pb.retain && !pb.dup && pb.packet_id == r.packet_id &&
			     pb.payload.off == r.payload_off && pb.payload.len == r.payload_len &&
			     pb.payload.ptr == s->d + off + r.payload_off &&
			     pb.props.len == r.props_len && pb.message_expiry_interval == r.message_expiry &&
			     pb.content_type.len == r.content_type_len && pb.content_type.off == r.content_type_off &&
			     pb.user_property_count == r.user_props && pb.topic_alias == r.topic_alias &&
			     pb.present == (s->v5 ? (1ull << 0x02 | 1ull << 0x03 | 1ull << 0x26 |
			                             (alias ? 1ull << 0x23 : 0)) : 0);
			if (!ok) {
				fprintf(stderr, "parser-bench: PUBLISH %u of %s: mqttp_decode_publish differs\n",
				        i, s->name);
				exit(1);
			}
		}
		off += used;
	}
	if (i != STREAM_PACKETS) {
		fprintf(stderr, "parser-bench: %s has %u packets\n", s->name, i);
		exit(1);
	}
}

/* Every packet must be judged valid by both parsers, or the figures lie. */
static void sanity(void)
{
	int i;

	for (i = 0; i < NPKT; i++) {
		const struct pkt *pk = &pkts[i];
		struct mqttp_parser p;
		size_t used;
		int h = hap_mqtt_validate(pk->d, pk->len);

		mqttp_init(&p, pk->connack ? &opt_server : &opt_client);
		if (mqttp_feed(&p, pk->d, pk->len, &used, NULL, NULL) != MQTTP_DONE || used != pk->len) {
			fprintf(stderr, "parser-bench: libmqttparse rejects %s: %s at %u\n",
			        pk->name, mqttp_error_name((enum mqttp_error)p.error), p.error_offset);
			exit(1);
		}
		if (h != 1) {
			fprintf(stderr, "parser-bench: HAProxy's mqtt.c says %d for %s\n", h, pk->name);
			exit(1);
		}
	}
	for (i = 0; i < NPSTREAM; i++)
		sanity_pstream(&pstreams[i]);
}

/* The case called name; exits when there is none. */
static const struct bcase *find(const char *name)
{
	int i;

	for (i = 0; i < ncases; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	fprintf(stderr, "parser-bench: no case %s\n", name);
	exit(1);
}

/* Result (ns per packet) of the case named by printf(fmt, a, b). */
static double ns_of(const char *fmt, const char *a, const char *b)
{
	char name[64];

	snprintf(name, sizeof(name), fmt, a, b);
	return find(name)->ns;
}

/* Iterations per case under callgrind: instructions are deterministic, so a
 * few suffice; the loop's own few instructions are noise at this count. */
static long cg_iters(const struct bcase *c)
{
	if (c->kind == K_STREAM || c->kind == K_FRAME || c->ps)
		return 20;
	if (c->pk->len > 1000)
		return c->k > 64 ? 5 : 100;
	return 2000;
}

/* Print the tables, then the `metric` and `ratio` lines. */
static void report(void)
{
	const char *ks[] = { "1", "8", "64", "len" };
	double f, d, hv, hf;
	int i, j;

	printf("\n== Parser: ns per packet (thread CPU time; %s of %d interleaved runs of ~%.0f ms) ==\n",
	       use_median ? "median" : "fastest", runs, run_ms);
	printf("%-16s %6s %10s %11s %13s %14s %10s %10s\n", "packet", "bytes", "ours.feed",
	       "ours.decode", "hap.validate", "hap.field(id)", "field/feed", "field/dec");
	for (i = 0; i < NPKT; i++) {
		const char *n = pkts[i].name;

		f = ns_of("feed.%s%s", n, "");
		d = ns_of("decode.%s%s", n, "");
		hv = ns_of("hval.%s%s", n, "");
		hf = ns_of("hfield.%s%s", n, "");
		printf("%-16s %6zu %10.1f %11.1f %13.1f %14.1f %9.2fx %9.2fx\n", n, pkts[i].len,
		       f, d, hv, hf, hf / f, hf / d);
	}
	printf("\n== Arrival in k pieces: total ns per packet (HAProxy re-validates the prefix) ==\n");
	printf("%-16s %9s %12s %12s %10s\n", "packet", "k=pieces", "ours", "haproxy", "hap/ours");
	for (i = 0; i < NPKT; i++) {
		if (i != 0 && i != 3)
			continue;
		for (j = 0; j < 4; j++) {
			double o = ns_of("oarr%s.%s", ks[j], pkts[i].name);
			double h = ns_of("harr%s.%s", ks[j], pkts[i].name);

			char kl[32];

			snprintf(kl, sizeof(kl), "%s=%zu", ks[j], k_of(&pkts[i], arrival_k[j]));
			printf("%-16s %9s %12.1f %12.1f %9.2fx\n", pkts[i].name, kl, o, h, h / o);
		}
	}
	printf("\n== CONNECT rewrite (mqttp_rewrite_connect, new 24-byte client id): ns per packet ==\n");
	printf("%-16s %6s %10s %11s %10s\n", "packet", "bytes", "ours.feed", "ours.rewrite", "rw/feed");
	for (i = 0; i < 2; i++) {
		const char *n = pkts[i].name;
		double rw = ns_of("rewrite.%s%s", n, "");

		f = ns_of("feed.%s%s", n, "");
		printf("%-16s %6zu %10.1f %11.1f %9.2fx\n", n, pkts[i].len, f, rw, rw / f);
	}
	printf("\n== PUBLISH stream (%d packets, %zu bytes) ==\n", STREAM_PACKETS, stream_len);
	printf("ours mqttp_feed framing   %6.2f ns/packet\n", find("stream.publish")->ns);
	printf("ours mqttp_frame hop      %6.2f ns/packet\n", find("frame.publish")->ns);
	printf("\n== PUBLISH decode against framing (%d packets per stream; decode: mqttp_feed with "
	       "a callback recording every field; struct: mqttp_decode_publish): ns per packet ==\n",
	       STREAM_PACKETS);
	printf("%-10s %9s %9s %9s %9s %9s %13s %13s %11s\n", "stream", "bytes/pkt", "frame", "feed",
	       "decode", "struct", "decode/frame", "struct/frame", "feed/frame");
	for (i = 0; i < NPSTREAM; i++) {
		const char *n = pstreams[i].name;
		double fr = ns_of("pframe.%s%s", n, ""), fe = ns_of("pfeed.%s%s", n, "");
		double st = ns_of("pstruct.%s%s", n, "");

		d = ns_of("pdecode.%s%s", n, "");
		printf("%-10s %9.1f %9.2f %9.2f %9.2f %9.2f %12.2fx %12.2fx %10.2fx\n", n,
		       (double)pstreams[i].len / STREAM_PACKETS, fr, fe, d, st, d / fr, st / fr, fe / fr);
	}

	printf("\n");
	for (i = 0; i < NPKT; i++) {
		const char *n = pkts[i].name;

		f = ns_of("feed.%s%s", n, "");
		d = ns_of("decode.%s%s", n, "");
		hv = ns_of("hval.%s%s", n, "");
		hf = ns_of("hfield.%s%s", n, "");
		printf("metric ns_ours_feed_%s %.2f\n", n, f);
		printf("metric ns_ours_decode_%s %.2f\n", n, d);
		printf("metric ns_hap_validate_%s %.2f\n", n, hv);
		printf("metric ns_hap_field_%s %.2f\n", n, hf);
	}
	for (i = 0; i < NPKT; i++) {
		const char *n = pkts[i].name;

		f = ns_of("feed.%s%s", n, "");
		d = ns_of("decode.%s%s", n, "");
		hv = ns_of("hval.%s%s", n, "");
		hf = ns_of("hfield.%s%s", n, "");
		printf("ratio parse_%s_vs_haproxy %.2f\n", n, hf / f);
		printf("ratio validate_%s_vs_haproxy %.2f\n", n, hv / f);
		printf("ratio decode_%s_vs_haproxy %.2f\n", n, hf / d);
	}
	for (i = 0; i < NPKT; i++) {
		if (i != 0 && i != 3)
			continue;
		for (j = 0; j < 4; j++) {
			double o = ns_of("oarr%s.%s", ks[j], pkts[i].name);
			double h = ns_of("harr%s.%s", ks[j], pkts[i].name);

			printf("ratio arrival_%s_%s_vs_haproxy %.2f\n", ks[j], pkts[i].name, h / o);
		}
		printf("ratio ours_bytewise_vs_oneshot_%s %.2f\n", pkts[i].name,
		       ns_of("oarr%s.%s", "len", pkts[i].name) / ns_of("oarr%s.%s", "1", pkts[i].name));
		printf("ratio ours_bytewise_ns_per_byte_%s %.2f\n", pkts[i].name,
		       ns_of("oarr%s.%s", "len", pkts[i].name) / (double)pkts[i].len);
	}
	for (i = 0; i < 2; i++)
		printf("metric ns_ours_rewrite_%s %.2f\n", pkts[i].name,
		       ns_of("rewrite.%s%s", pkts[i].name, ""));
	printf("metric ns_publish_stream_feed %.2f\n", find("stream.publish")->ns);
	printf("metric ns_publish_stream_frame %.2f\n", find("frame.publish")->ns);
	for (i = 0; i < NPSTREAM; i++) {
		const char *n = pstreams[i].name;
		double fr = ns_of("pframe.%s%s", n, ""), fe = ns_of("pfeed.%s%s", n, "");

		d = ns_of("pdecode.%s%s", n, "");
		printf("metric ns_publish_%s_frame %.2f\n", n, fr);
		printf("metric ns_publish_%s_feed %.2f\n", n, fe);
		printf("metric ns_publish_%s_decode %.2f\n", n, d);
		printf("metric ns_publish_%s_struct %.2f\n", n, ns_of("pstruct.%s%s", n, ""));
		printf("ratio publish_%s_decode_vs_frame %.2f\n", n, d / fr);
		printf("ratio publish_%s_struct_vs_frame %.2f\n", n, ns_of("pstruct.%s%s", n, "") / fr);
		printf("ratio publish_%s_feed_vs_frame %.2f\n", n, fe / fr);
	}
}

/* Pin to one CPU: fewer migrations, steadier figures on a busy machine. */
static void pin_cpu(void)
{
	cpu_set_t set;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	if (ncpu < 1)
		return;
	CPU_ZERO(&set);
	CPU_SET((int)(ncpu - 1), &set);
	(void)sched_setaffinity(0, sizeof(set), &set);
}

/* Modes: timed (default), --callgrind, --list, --run CASE N. */
int main(int argc, char **argv)
{
	int i;

	setup();
	sanity();
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < ncases; i++)
			printf("%s %ld %.0f\n", cases[i].name, cg_iters(&cases[i]), cases[i].per);
		return 0;
	}
	if (argc > 3 && !strcmp(argv[1], "--run")) {
		run_case(find(argv[2]), atol(argv[3]));
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--callgrind")) {
		for (i = 0; i < ncases; i++) {
			run_case(&cases[i], 1);	/* warm: lazy binding, first touches */
			CALLGRIND_ZERO_STATS;
			run_case(&cases[i], cg_iters(&cases[i]));
			CALLGRIND_DUMP_STATS_AT(cases[i].name);
		}
		return 0;
	}
	if (getenv("BENCH_RUNS"))
		runs = atoi(getenv("BENCH_RUNS"));
	if (runs < 1 || runs > 63)
		runs = 15;
	use_median = getenv("BENCH_STAT") && !strcmp(getenv("BENCH_STAT"), "median");
	if (getenv("BENCH_RUN_MS"))
		run_ms = atof(getenv("BENCH_RUN_MS"));
	pin_cpu();
	for (i = 0; i < NPKT; i++)
		printf("packet %-16s %zu bytes\n", pkts[i].name, pkts[i].len);
	/* Runs are interleaved (case 1, 2, ..., n, then again): a burst of
	 * other work on the machine hits every case alike instead of one. */
	{
		static long iters[128];
		static double v[128][64];
		int r;

		for (i = 0; i < ncases; i++)
			iters[i] = calibrate(&cases[i]);
		for (r = 0; r < runs; r++)
			for (i = 0; i < ncases; i++)
				v[i][r] = one_run(&cases[i], iters[i]);
		for (i = 0; i < ncases; i++)
			cases[i].ns = use_median ? median(v[i], runs) : fastest(v[i], runs);
	}
	report();
	return 0;
}
