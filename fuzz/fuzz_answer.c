/*
 * fuzz_answer - the answer encoders (mqttp_encode_ack, _suback, _unsuback,
 * _disconnect) against a model written here: which arguments are valid
 * (each packet's reason codes as the 5.0 and 3.1.1 specs list them, an
 * independent UTF-8 check, packet identifier, counts, string lengths), an
 * independent decoder that must give every argument back, and the parser,
 * which must frame each encoding as a server's packet after a CONNACK of
 * its version. Invalid arguments return 0 and write nothing; the exact
 * cap works, cap - 1 returns 0 and leaves the guard bytes alone.
 *
 * Input (its own layout; any bytes are an input):
 *   b0  bits 0-1 kind (ack, SUBACK, UNSUBACK, DISCONNECT), bits 2-4 version
 *       {3, 4, 5, 5, 5, 0, 2, 6}, bit 5 a 65,535-byte reason string,
 *       bit 6 a 65,536-byte one, bit 7 a NULL string with a length
 *   b1  bits 0-2 ack type (3 + value: PUBLISH .. SUBSCRIBE), bit 3 reason
 *       string given, bit 4 server reference given, bit 5 packet id 0,
 *       bit 6 codes pointer NULL
 *   b2  reason code (ack, DISCONNECT); bit 7 of b1 adds 0x100
 *   b3  b4 packet identifier; b5 reason string length; b6 server
 *       reference length; b7 number of codes
 *   rest  the codes, then the reason string, then the server reference
 *       (each cut to what the input has)
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { K_ACK, K_SUBACK, K_UNSUBACK, K_DISCONNECT };

static char big[65536];

/* Each packet's 5.0 reason codes (sections 3.4.2.1 .. 3.14.2.1). */
static const uint8_t l_pub[] = { 0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99 };
static const uint8_t l_rel[] = { 0x00, 0x92 };
static const uint8_t l_sub[] = { 0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2 };
static const uint8_t l_unsub[] = { 0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91 };
static const uint8_t l_disc[] = { 0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8C, 0x8D, 0x8E,
                                  0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C,
                                  0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2 };

static int in(const uint8_t *l, size_t n, unsigned c)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == c)
			return 1;
	return 0;
}
#define IN(l, c) in(l, sizeof(l), c)

/* The model's answer to "may this packet carry this code here?". */
static int code_ok(unsigned version, unsigned type, unsigned c)
{
	if (version == 5) {
		switch (type) {
		case MQTTP_PUBACK: case MQTTP_PUBREC: return IN(l_pub, c);
		case MQTTP_PUBREL: case MQTTP_PUBCOMP: return IN(l_rel, c);
		case MQTTP_SUBACK: return IN(l_sub, c);
		case MQTTP_UNSUBACK: return IN(l_unsub, c);
		case MQTTP_DISCONNECT: return IN(l_disc, c);
		default: return 0;
		}
	}
	if (version != 3 && version != 4)
		return 0;
	if (type == MQTTP_SUBACK)
		return c <= 2 || (c == 0x80 && version == 4);
	return c == 0 && (type == MQTTP_DISCONNECT || type == MQTTP_UNSUBACK ||
	                  (type >= MQTTP_PUBACK && type <= MQTTP_PUBCOMP));
}

static int str_ok(unsigned version, const char *s, size_t len)
{
	if (!s)
		return len == 0;
	return version == 5 && len <= 65535 && fz_utf8_ok((const uint8_t *)s, len, 0);
}

/* What the independent decoder read. */
struct answer {
	unsigned type, flags, code, packet_id;
	const uint8_t *codes;
	size_t ncodes;
	const uint8_t *rs, *sr;
	size_t rs_len, sr_len;
	int has_rs, has_sr;
	size_t rl, hl;
};

static size_t vbi(const uint8_t *b, size_t len, size_t *v)
{
	size_t n = 0, mult = 1;

	*v = 0;
	for (;;) {
		FZ_CHECK(n < len && n < 4);
		*v += (size_t)(b[n] & 0x7F) * mult;
		mult <<= 7;
		if (!(b[n++] & 0x80))
			break;
	}
	FZ_CHECK(n == 1 || b[n - 1] != 0); /* minimal [MQTT-1.5.5-1] */
	return n;
}

/* Properties: Reason String, and Server Reference when allowed, once each. */
static void props(struct answer *a, const uint8_t *b, size_t len, int sr_ok)
{
	size_t i = 0;

	while (i < len) {
		size_t n;

		FZ_CHECK(len - i >= 3);
		n = (size_t)b[i + 1] << 8 | b[i + 2];
		FZ_CHECK(len - i - 3 >= n);
		if (b[i] == 0x1F && !a->has_rs) {
			a->has_rs = 1, a->rs = b + i + 3, a->rs_len = n;
		} else {
			FZ_CHECK(b[i] == 0x1C && sr_ok && !a->has_sr);
			a->has_sr = 1, a->sr = b + i + 3, a->sr_len = n;
		}
		i += 3 + n;
	}
}

/* Read a whole answer of this kind and version at b[0..len). */
static void decode(struct answer *a, const uint8_t *b, size_t len, int kind, unsigned version)
{
	const uint8_t *p, *end;
	size_t pl;

	memset(a, 0, sizeof(*a));
	FZ_CHECK(len >= 2);
	a->type = b[0] >> 4;
	a->flags = b[0] & 15;
	a->hl = 1 + vbi(b + 1, len - 1, &a->rl);
	FZ_CHECK(a->hl + a->rl == len);
	p = b + a->hl;
	end = b + len;
	if (kind != K_DISCONNECT) {
		FZ_CHECK(a->rl >= 2);
		a->packet_id = (unsigned)p[0] << 8 | p[1];
		p += 2;
	}
	if (kind == K_ACK || kind == K_DISCONNECT) {
		/* the reason code and the property length may be left out */
		if (p < end)
			a->code = *p++;
		if (p < end) {
			FZ_CHECK(version == 5);
			p += vbi(p, (size_t)(end - p), &pl);
			FZ_CHECK((size_t)(end - p) == pl);
			props(a, p, pl, kind == K_DISCONNECT);
		}
		return;
	}
	if (version == 5) {
		p += vbi(p, (size_t)(end - p), &pl);
		FZ_CHECK((size_t)(end - p) >= pl);
		props(a, p, pl, 0);
		p += pl;
	}
	a->codes = p;
	a->ncodes = (size_t)(end - p);
}

static size_t encode(int kind, void *buf, size_t cap, unsigned version, unsigned type, unsigned pid,
                     unsigned code, const uint8_t *codes, size_t n, const char *rs, size_t rs_len,
                     const char *sr, size_t sr_len)
{
	switch (kind) {
	case K_ACK:
		return mqttp_encode_ack(buf, cap, version, type, (uint16_t)pid, code, rs, rs_len);
	case K_SUBACK:
		return mqttp_encode_suback(buf, cap, version, (uint16_t)pid, codes, n, rs, rs_len);
	case K_UNSUBACK:
		return mqttp_encode_unsuback(buf, cap, version, (uint16_t)pid, codes, n, rs, rs_len);
	default:
		return mqttp_encode_disconnect(buf, cap, version, code, rs, rs_len, sr, sr_len);
	}
}

/* Frame pkt as a server's packet after a CONNACK of this version; with
 * checks, a 3.1 / 3.1.1 DISCONNECT is refused (servers send none). */
static void frame(const uint8_t *pkt, size_t n, unsigned version, unsigned type, int checks, int bytewise)
{
	struct mqttp_options o;
	struct mqttp_parser p;
	uint8_t ack[8];
	uint8_t *copy;
	size_t used = 0, acklen, i = 0;
	enum mqttp_status st = MQTTP_NEED_MORE;

	mqttp_options_default(&o);
	o.version = (uint8_t)version;
	o.checks = checks ? MQTTP_CHECK_FROM_SERVER : 0;
	mqttp_init(&p, &o);
	acklen = mqttp_encode_connack(ack, sizeof(ack), version, 0, 0, 0, NULL, 0, NULL, 0);
	FZ_CHECK(acklen > 0 && mqttp_feed(&p, ack, acklen, &used, NULL, NULL) == MQTTP_DONE);
	copy = fz_dup(pkt, n);
	if (bytewise) {
		for (i = 0; i < n && st == MQTTP_NEED_MORE; i += used)
			st = mqttp_feed(&p, copy + i, 1, &used, NULL, NULL);
	} else {
		st = mqttp_feed(&p, copy, n, &used, NULL, NULL);
		i = used;
	}
	free(copy);
	if (checks && version != 5 && type == MQTTP_DISCONNECT) {
		FZ_CHECK(st == MQTTP_ERROR && p.error == MQTTP_E_DIRECTION);
		return;
	}
	FZ_CHECK(st == MQTTP_DONE);
	FZ_CHECK(i == n);
	FZ_CHECK(p.type == type && p.header_len + p.remaining_length == n && p.packets == 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned versions[8] = { 3, 4, 5, 5, 5, 0, 2, 6 };
	static const unsigned kind_type[4] = { 0, MQTTP_SUBACK, MQTTP_UNSUBACK, MQTTP_DISCONNECT };
	uint8_t h[8] = { 0 };
	const uint8_t *rest, *codes;
	const char *rs = NULL, *sr = NULL;
	size_t rest_len, n, rs_len = 0, sr_len = 0, len, cap, i;
	unsigned version, type, pid, code;
	int kind, valid;
	uint8_t *out;
	struct answer a;

	memcpy(h, data, size < 8 ? size : 8);
	rest = size > 8 ? data + 8 : data;
	rest_len = size > 8 ? size - 8 : 0;
	kind = h[0] & 3;
	version = versions[(h[0] >> 2) & 7];
	type = kind == K_ACK ? 3 + (h[1] & 7u) : kind_type[kind];
	code = h[2] | ((h[1] & 0x80) ? 0x100u : 0);
	pid = (h[1] & 0x20) ? 0 : ((unsigned)h[3] << 8 | h[4]);
	n = h[7] < rest_len ? h[7] : rest_len;
	codes = (h[1] & 0x40) ? NULL : rest;
	rest += n, rest_len -= n;
	if (h[1] & 8) {
		rs_len = h[5] < rest_len ? h[5] : rest_len;
		rs = (const char *)rest;
		rest += rs_len, rest_len -= rs_len;
	}
	if (h[1] & 16) {
		sr_len = h[6] < rest_len ? h[6] : rest_len;
		sr = (const char *)rest;
	}
	if (h[0] & 0x60) {
		if (!big[0])
			memset(big, 'r', sizeof(big));
		rs = big;
		rs_len = (h[0] & 0x40) ? 65536 : 65535;
	}
	if (h[0] & 0x80)
		rs = NULL, rs_len = 1 + h[5];

	/* the model */
	valid = str_ok(version, rs, rs_len) && pid != 0 && (version == 3 || version == 4 || version == 5);
	switch (kind) {
	case K_ACK:
		valid = valid && type >= MQTTP_PUBACK && type <= MQTTP_PUBCOMP && code_ok(version, type, code);
		break;
	case K_SUBACK:
	case K_UNSUBACK:
		if (kind == K_SUBACK)
			valid = valid && n >= 1;
		else
			valid = valid && (version == 5 ? n >= 1 : n == 0);
		valid = valid && (n == 0 || codes);
		for (i = 0; valid && i < n; i++)
			valid = code_ok(version, type, codes[i]);
		break;
	default:
		valid = str_ok(version, rs, rs_len) && str_ok(version, sr, sr_len) && code_ok(version, type, code);
		break;
	}
	/* every argument the packet does not have is ignored */
	if (kind != K_DISCONNECT)
		sr = NULL, sr_len = 0;

	cap = 16 + n + rs_len + sr_len + 16;
	out = malloc(cap);
	FZ_CHECK(out != NULL);
	memset(out, 0xEE, cap);
	len = encode(kind, out, cap, version, type, pid, code, codes, n, rs, rs_len, sr, sr_len);
	if (!valid) {
		FZ_CHECK(len == 0);
		for (i = 0; i < cap; i++)
			FZ_CHECK(out[i] == 0xEE);
		free(out);
		return 0;
	}
	FZ_CHECK(len >= 2 && len <= cap - 16);
	for (i = len; i < cap; i++)
		FZ_CHECK(out[i] == 0xEE);

	/* decoded back independently: every argument, in its shortest form */
	decode(&a, out, len, kind, version);
	FZ_CHECK(a.type == type);
	FZ_CHECK(a.flags == (type == MQTTP_PUBREL ? 2u : 0u));
	if (kind != K_DISCONNECT)
		FZ_CHECK(a.packet_id == pid);
	if (kind == K_ACK || kind == K_DISCONNECT) {
		unsigned base = kind == K_ACK ? 2 : 0;

		FZ_CHECK(a.code == code);
		/* short forms: no code for 0 without properties, no property
		 * length without properties (3.4.2.1, 3.14.2.1) */
		if (!rs && !sr)
			FZ_CHECK(a.rl == base + (code != 0));
	} else {
		FZ_CHECK(a.ncodes == n && (n == 0 || memcmp(a.codes, codes, n) == 0));
	}
	FZ_CHECK(a.has_rs == (rs != NULL));
	FZ_CHECK(!rs || (a.rs_len == rs_len && memcmp(a.rs, rs, rs_len) == 0));
	FZ_CHECK(a.has_sr == (sr != NULL));
	FZ_CHECK(!sr || (a.sr_len == sr_len && memcmp(a.sr, sr, sr_len) == 0));

	/* exact cap (an exact-size allocation), and cap - 1 writing nothing */
	{
		uint8_t *exact = malloc(len), *shorter = malloc(len - 1 + 8);

		FZ_CHECK(exact && shorter);
		FZ_CHECK(encode(kind, exact, len, version, type, pid, code, codes, n, rs, rs_len, sr, sr_len) == len);
		FZ_CHECK(memcmp(exact, out, len) == 0);
		memset(shorter, 0xEE, len - 1 + 8);
		FZ_CHECK(encode(kind, shorter, len - 1, version, type, pid, code, codes, n, rs, rs_len, sr, sr_len) == 0);
		for (i = 0; i < len - 1 + 8; i++)
			FZ_CHECK(shorter[i] == 0xEE);
		free(exact);
		free(shorter);
	}

	/* the parser frames it, whole and a byte at a time (short packets) */
	frame(out, len, version, type, 1, 0);
	frame(out, len, version, type, 0, 0);
	if (len <= 512)
		frame(out, len, version, type, 1, 1);
	free(out);
	return 0;
}
