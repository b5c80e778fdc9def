/*
 * rewrite-bench.c - cost of mqttp_rewrite_connect next to the parse of the
 * same packet: the 57-byte 3.1.1 CONNECT and the 96-byte 5.0 CONNECT of
 * parser-bench.c (same bytes).
 *
 *   cc -std=c99 -O2 -Ilibmqttparse/include bench/rewrite-bench.c build/lib/libmqttparse.a -o build/bench/rewrite-bench
 *   build/bench/rewrite-bench                 # ns per packet, medians of 15 runs (thread CPU time)
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null --collect-atstart=no \
 *       --toggle-collect=run_case build/bench/rewrite-bench --once <case> 1000
 *                                             # instructions: Ir / 1000
 *
 * Cases, per packet: feed (mqttp_feed, validate + client id, as
 * parser-bench's "ours"), decode (mqttp_decode_connect, every field: the
 * rewriter's first step), rw-cid (new client id of the same length as the
 * bench id's length + 1), rw-user (new user name, password removed).
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mqttparse.h>

#define NOINLINE __attribute__((noinline))

struct pkt {
	uint8_t d[256];
	size_t len;
};

static void put(struct pkt *p, const void *s, size_t n)
{
	memcpy(p->d + p->len, s, n);
	p->len += n;
}

static void put8(struct pkt *p, unsigned v)
{
	uint8_t b = (uint8_t)v;
	put(p, &b, 1);
}

static void put16(struct pkt *p, unsigned v)
{
	put8(p, v >> 8);
	put8(p, v & 0xFF);
}

static void put32(struct pkt *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p, v & 0xFFFF);
}

static void putstr(struct pkt *p, const char *s)
{
	put16(p, (unsigned)strlen(s));
	put(p, s, strlen(s));
}

/* Wrap body as a CONNECT (remaining length < 128 here). */
static void finish(struct pkt *out, const struct pkt *body)
{
	out->len = 0;
	put8(out, 0x10);
	put8(out, (unsigned)body->len);
	put(out, body->d, body->len);
}

static void build_v311(struct pkt *p)
{
	struct pkt b = { { 0 }, 0 };

	putstr(&b, "MQTT");
	put8(&b, 4);
	put8(&b, MQTTP_CF_CLEAN_START | MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD);
	put16(&b, 60);
	putstr(&b, "sensor-gw-0042-kitchen");
	putstr(&b, "benchuser");
	putstr(&b, "s3cretpw");
	finish(p, &b);
}

static void build_v5(struct pkt *p)
{
	struct pkt b = { { 0 }, 0 }, pr = { { 0 }, 0 };

	put8(&pr, 0x11); put32(&pr, 3600);
	put8(&pr, 0x21); put16(&pr, 100);
	put8(&pr, 0x27); put32(&pr, 1048576);
	put8(&pr, 0x22); put16(&pr, 10);
	put8(&pr, 0x19); put8(&pr, 1);
	put8(&pr, 0x17); put8(&pr, 1);
	put8(&pr, 0x26); putstr(&pr, "region"); putstr(&pr, "eu-west-1");
	putstr(&b, "MQTT");
	put8(&b, 5);
	put8(&b, MQTTP_CF_CLEAN_START | MQTTP_CF_USERNAME | MQTTP_CF_PASSWORD);
	put16(&b, 30);
	put8(&b, (unsigned)pr.len);
	put(&b, pr.d, pr.len);
	putstr(&b, "bench-v5-client-0001");
	putstr(&b, "benchuser");
	putstr(&b, "s3cretpw");
	finish(p, &b);
}

enum kind { K_FEED, K_DECODE, K_RW_CID, K_RW_USER };
static const char *kind_names[] = { "feed", "decode", "rw-cid", "rw-user" };

static volatile size_t sink;
static struct mqttp_options opt;

NOINLINE void run_case(enum kind k, const struct pkt *pk, long n);
NOINLINE void run_case(enum kind k, const struct pkt *pk, long n)
{
	static const char cid[] = "CN=sensor-gw-0042-kitchn";  /* 24 bytes */
	static const char user[] = "tenant-a/CN=sensor-gw-0042,O=acme";
	struct mqttp_parser p;
	struct mqttp_connect c;
	struct mqttp_result r;
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	uint8_t out[512];
	size_t used, acc = 0;
	long i;

	memset(&rw, 0, sizeof(rw));
	if (k == K_RW_CID) {
		rw.client_id.op = MQTTP_RW_SET;
		rw.client_id.value = (const uint8_t *)cid;
		rw.client_id.len = sizeof(cid) - 1;
	} else {
		rw.username.op = MQTTP_RW_SET;
		rw.username.value = (const uint8_t *)user;
		rw.username.len = sizeof(user) - 1;
		rw.password.op = MQTTP_RW_REMOVE;
	}
	for (i = 0; i < n; i++) {
		switch (k) {
		case K_FEED:
			mqttp_init(&p, &opt);
			if (mqttp_feed(&p, pk->d, pk->len, &used, NULL, NULL) != MQTTP_DONE)
				abort();
			acc += p.client_id_len;
			break;
		case K_DECODE:
			if (mqttp_decode_connect(pk->d, pk->len, &opt, &c, &r) != MQTTP_DONE)
				abort();
			acc += c.client_id.len;
			break;
		default:
			used = mqttp_rewrite_connect(pk->d, pk->len, &opt, &rw, out, sizeof(out), &res);
			if (used == 0 || used > sizeof(out))
				abort();
			acc += out[used - 1];
			break;
		}
	}
	sink += acc;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct pkt pk[2];
	const char *pk_names[2] = { "connect_v311", "connect_v5" };
	int i, k, r;

	mqttp_options_default(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;
	build_v311(&pk[0]);
	build_v5(&pk[1]);
	if (pk[0].len != 57 || pk[1].len != 96) {
		fprintf(stderr, "packet sizes %zu %zu, want 57 96\n", pk[0].len, pk[1].len);
		return 1;
	}
	if (argc == 4 && strcmp(argv[1], "--once") == 0) {
		/* <case> is <packet>:<kind>, e.g. connect_v5:rw-cid */
		for (i = 0; i < 2; i++)
			for (k = 0; k < 4; k++) {
				char name[64];
				snprintf(name, sizeof(name), "%s:%s", pk_names[i], kind_names[k]);
				if (strcmp(name, argv[2]) == 0) {
					run_case((enum kind)k, &pk[i], atol(argv[3]));
					return 0;
				}
			}
		fprintf(stderr, "unknown case %s\n", argv[2]);
		return 2;
	}
	printf("%-14s %-8s %8s\n", "packet", "case", "ns");
	for (i = 0; i < 2; i++)
		for (k = 0; k < 4; k++) {
			double v[15], t, el;
			long n = 1;

			for (;;) {
				t = now_ns();
				run_case((enum kind)k, &pk[i], n);
				el = now_ns() - t;
				if (el > 2e6)
					break;
				n *= 2;
			}
			n = (long)((double)n * 10e6 / el);
			for (r = 0; r < 15; r++) {
				t = now_ns();
				run_case((enum kind)k, &pk[i], n);
				v[r] = (now_ns() - t) / (double)n;
			}
			qsort(v, 15, sizeof(v[0]), cmp_double);
			printf("%-14s %-8s %8.1f\n", pk_names[i], kind_names[k], v[7]);
		}
	return 0;
}
