/*
 * mqttp_key.c - the "mqtt_key" converter: a client id as a fixed-size
 * stick-table key that never merges two ids.
 *
 *   stick-table type binary len 64 ...
 *   stick on req.mqtt_client_id(nonempty),mqtt_key(64)
 *
 * mqtt_key([<size>]) (default 32, 8 to 255; give the table's "len") turns
 * its input into exactly <size> bytes:
 *   - an input of n <= size - 3 bytes: two bytes of a hash of it, the byte
 *     n, the input, zeros. Exact: two different inputs never give the same
 *     key, whatever the hash bytes (the length and every byte are there, so
 *     "a" and "a\0" differ too, whatever mqtt-lenient allows);
 *   - a longer input: the first two bytes of its SHA-256, 0xFF, the next
 *     bytes of the SHA-256 up to min(size - 1, 32) of them, zeros. 0xFF is
 *     never a length, so a long input never meets a short one; two long
 *     inputs share a key only on a collision of that SHA-256 prefix (248
 *     bits at size 32, all 256 from size 33).
 * A "type string len N" table silently merges every id sharing an N-byte
 * prefix, and "sha2(256)" (which needs an OpenSSL build) costs ~5,700
 * instructions per key through OpenSSL 3's EVP: this costs ~80 for the ids
 * nearly all clients send (MQTT 3.1.1 servers must accept 1-23 bytes; a
 * UUID is 36), and keeps the guarantee for the rest.
 *
 * SHA-256 is written here from FIPS 180-4 (no OpenSSL needed, the same keys
 * on every build).
 */
#include <stdint.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/arg.h>
#include <haproxy/chunk.h>
#include <haproxy/sample.h>
#include <haproxy/tools.h>

#define MQA_KEY_DEFAULT_SIZE 32
#define MQA_KEY_MIN_SIZE 8
#define MQA_KEY_MAX_SIZE 255
#define MQA_KEY_LONG 0xFF /* third byte of the key of an input of more than size - 3 bytes */

/* FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t mqa_key_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t mqa_key_ror(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t mqa_key_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* FIPS 180-4, 6.2.2: one 64-byte block into the hash value <h>. */
static void mqa_key_sha256_block(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = mqa_key_be32(blk + 4 * i);
	for (i = 16; i < 64; i++) {
		uint32_t s0 = mqa_key_ror(w[i - 15], 7) ^ mqa_key_ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = mqa_key_ror(w[i - 2], 17) ^ mqa_key_ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3]; e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (mqa_key_ror(e, 6) ^ mqa_key_ror(e, 11) ^ mqa_key_ror(e, 25)) + ((e & f) ^ (~e & g)) +
		     mqa_key_k[i] + w[i];
		t2 = (mqa_key_ror(a, 2) ^ mqa_key_ror(a, 13) ^ mqa_key_ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* SHA-256 of <len> bytes at <in> into out[32]. */
static void mqa_key_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
	/* FIPS 180-4, 5.3.3: the initial hash value */
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t last[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, tail;
	int i;

	for (; len >= 64; in += 64, len -= 64)
		mqa_key_sha256_block(h, in);
	/* 5.1.1: the rest, 0x80, zeros, the length in bits (one or two blocks) */
	rest = len;
	tail = rest < 56 ? 64 : 128;
	memcpy(last, in, rest);
	last[rest] = 0x80;
	memset(last + rest + 1, 0, tail - rest - 1);
	for (i = 0; i < 8; i++)
		last[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
	mqa_key_sha256_block(h, last);
	if (tail == 128)
		mqa_key_sha256_block(h, last + 64);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

/* The little-endian 64-bit word at <p>. */
static inline uint64_t mqa_key_le64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* 16 bits of a multiplicative hash of <len> bytes at <p>, the same on every
 * machine (little-endian words). Only for speed: keys that differ in their
 * first bytes keep HAProxy's tree walks short (ids often share long
 * prefixes); the key stays exact whatever these bits are. */
static unsigned int mqa_key_scatter(const uint8_t *p, size_t len)
{
	const uint64_t k = 0x9E3779B97F4A7C15ULL;
	uint64_t h = (len + 1) * k, w = 0;
	size_t i;

	if (len >= 8) {
		/* whole words, the last one ending at the last byte (it may
		 * overlap the one before) */
		for (i = 0; i + 8 < len; i += 8)
			h = (h ^ mqa_key_le64(p + i)) * k;
		w = mqa_key_le64(p + len - 8);
	} else {
		for (i = 0; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
	}
	h = (h ^ w) * k;
	return (unsigned int)(h >> 48);
}

/* mqtt_key([<size>]): see the top of this file. */
static int sample_conv_mqtt_key(const struct arg *args, struct sample *smp, void *private)
{
	size_t size = args && args[0].type == ARGT_SINT ? (size_t)args[0].data.sint : MQA_KEY_DEFAULT_SIZE;
	size_t n = smp->data.u.str.data;
	struct buffer *trash = get_trash_chunk();
	uint8_t *key = (uint8_t *)trash->area;
	uint8_t digest[32];
	unsigned int h;
	size_t dl;

	if (trash->size < size)
		return 0;
	if (n + 3 <= size) {
		h = mqa_key_scatter((const uint8_t *)smp->data.u.str.area, n);
		key[0] = (uint8_t)(h >> 8);
		key[1] = (uint8_t)h;
		key[2] = (uint8_t)n;
		memcpy(key + 3, smp->data.u.str.area, n);
		memset(key + 3 + n, 0, size - 3 - n);
	} else {
		mqa_key_sha256((const uint8_t *)smp->data.u.str.area, n, digest);
		dl = size - 1 < sizeof(digest) ? size - 1 : sizeof(digest);
		key[0] = digest[0];
		key[1] = digest[1];
		key[2] = MQA_KEY_LONG;
		memcpy(key + 3, digest + 2, dl - 2);
		memset(key + 1 + dl, 0, size - 1 - dl);
	}
	trash->data = size;
	smp->data.u.str = *trash;
	smp->data.type = SMP_T_BIN;
	smp->flags &= ~SMP_F_CONST;
	return 1;
}

/* Checks the optional <size> when the configuration is parsed. */
static int mqa_key_val_args(struct arg *args, struct sample_conv *conv, const char *file, int line,
                        char **err)
{
	if (!args || args[0].type != ARGT_SINT)
		return 1;
	if (args[0].data.sint < MQA_KEY_MIN_SIZE || args[0].data.sint > MQA_KEY_MAX_SIZE) {
		memprintf(err, "key size must be %d to %d bytes (the stick table's 'len'), got %lld",
		          MQA_KEY_MIN_SIZE, MQA_KEY_MAX_SIZE, (long long)args[0].data.sint);
		return 0;
	}
	return 1;
}

static struct sample_conv_kw_list mqa_key_conv_kws = {ILH, {
	{ "mqtt_key", sample_conv_mqtt_key, ARG1(0,SINT), mqa_key_val_args, SMP_T_BIN, SMP_T_BIN },
	{ /* END */ },
}};

INITCALL1(STG_REGISTER, sample_register_convs, &mqa_key_conv_kws);
