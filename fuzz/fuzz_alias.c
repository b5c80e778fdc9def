/*
 * fuzz_alias - the topic alias map (mqttp_alias_*) against a model.
 *
 * Input (its own layout, not fuzz_common.h's; seeds corpus/alias-*):
 *   bytes 0-1  Topic Alias Maximum, big-endian (0 .. 65535)
 *   bytes 2-3  arena size in bytes, big-endian
 *   then operations, each starting with a byte c:
 *     c >> 4 == 0xF   reset
 *     otherwise a PUBLISH: bit 0 with a Topic Alias, bits 1-2 how the
 *     alias is read (0: one byte, 1: max - 2 + (byte % 4), 2: two bytes,
 *     3: four bytes, big-endian), bit 3 topic bytes follow (else the
 *     topic is empty: a NULL pointer when bit 4 is set), then the topic's
 *     length (one byte L; L >= 0xF0: ((L & 3) << 8) + next byte, up to
 *     1,023) and its bytes (cut to what is there)
 * Missing bytes read as 0.
 *
 * The model: for each alias, a fixed-size copy of its topic, bound when
 * its generation is the current one (a reset starts the next); the arena
 * in use is the sum of the bound copies' lengths. After every operation:
 * the library's verdict is the model's (every error), a resolved topic is
 * the model's bytes (t itself when a topic was sent, else inside the
 * arena); an error, a resolution and a topic without alias leave the
 * outputs (on error) and the map's memory (struct, the arena's bound
 * bytes, the slots when max <= 512) byte for byte; `bound` counts
 * the model's bindings, and every alias touched since the last reset (and
 * every alias when max <= 64) resolves as the model says. Slots and arena
 * are exact-size malloc blocks and each topic its own, so ASan sees any
 * access outside them.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TOPIC_MAX 1023

struct mslot {
	uint32_t gen;               /* bound iff == model.gen */
	uint16_t len;
	uint8_t bytes[TOPIC_MAX];
};

static struct {
	uint32_t gen;
	uint32_t bound;
	size_t used;                /* sum of the bound topics' lengths */
	uint16_t touched[65536];    /* aliases bound since the last reset */
	uint32_t ntouched;
	struct mslot s[65536];      /* index = alias; 0 unused */
} model;

static int model_bound(uint32_t a)
{
	return model.s[a].gen == model.gen;
}

/* What the receiver of 3.3.2.3.4 answers, written from the rules alone. */
static enum mqttp_error model_publish(uint16_t max, size_t arena_len, const uint8_t *t, size_t tlen,
                                      int has_alias, uint32_t alias)
{
	size_t others;

	if (has_alias && (alias < 1 || alias > max))
		return MQTTP_E_TOPIC_ALIAS;
	if (!has_alias)
		return tlen ? MQTTP_E_NONE : MQTTP_E_TOPIC_ALIAS_UNKNOWN;
	if (!tlen)
		return model_bound(alias) ? MQTTP_E_NONE : MQTTP_E_TOPIC_ALIAS_UNKNOWN;
	others = model.used - (model_bound(alias) ? model.s[alias].len : 0);
	if (others + tlen > arena_len)
		return MQTTP_E_TOPIC_ALIAS_FULL;
	if (model_bound(alias)) {
		model.used -= model.s[alias].len;
	} else {
		model.bound++;
		model.touched[model.ntouched++] = (uint16_t)alias;
		model.s[alias].gen = model.gen;
	}
	memcpy(model.s[alias].bytes, t, tlen);
	model.s[alias].len = (uint16_t)tlen;
	model.used += tlen;
	return MQTTP_E_NONE;
}

static void model_reset(void)
{
	model.gen++;
	model.bound = 0;
	model.used = 0;
	model.ntouched = 0;
}

/* Alias a resolves (empty topic) as the model says. */
static void check_alias(struct mqttp_alias_map *m, const uint8_t *arena, size_t arena_len, uint32_t a)
{
	static const uint8_t none[1];
	const uint8_t *t = none;
	size_t tl = 99999;
	enum mqttp_error e = mqttp_alias_publish(m, NULL, 0, 1, a, &t, &tl);

	if (!model_bound(a)) {
		FZ_CHECK(e == MQTTP_E_TOPIC_ALIAS_UNKNOWN);
		FZ_CHECK(t == none && tl == 99999);
		return;
	}
	FZ_CHECK(e == MQTTP_E_NONE);
	FZ_CHECK(tl == model.s[a].len);
	FZ_CHECK(t >= arena && tl <= arena_len && t - arena <= (ptrdiff_t)(arena_len - tl));
	FZ_CHECK(memcmp(t, model.s[a].bytes, tl) == 0);
}

static void check_all(struct mqttp_alias_map *m, uint16_t max, const uint8_t *arena, size_t arena_len)
{
	uint32_t a, i;
	size_t used = 0;

	FZ_CHECK(m->max == max);
	FZ_CHECK(m->bound == model.bound);
	for (i = 0; i < model.ntouched; i++) {
		used += model.s[model.touched[i]].len;
		check_alias(m, arena, arena_len, model.touched[i]);
	}
	FZ_CHECK(used == model.used && used <= arena_len);
	if (max <= 64)
		for (a = 1; a <= max; a++)
			check_alias(m, arena, arena_len, a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_src in = { data, size, 0 };
	struct mqttp_alias_map m, m0;
	struct mqttp_alias_slot *slots, *slots0;
	uint8_t *arena, *arena0;
	uint16_t max;
	size_t arena_len, slots_len;
	int snap;

	max = (uint16_t)(fz_next(&in) << 8);
	max = (uint16_t)(max | fz_next(&in));
	arena_len = (size_t)fz_next(&in) << 8;
	arena_len |= fz_next(&in);
	slots_len = (size_t)max * sizeof(*slots);
	/* the caller's memory holds whatever was there before */
	slots = malloc(slots_len ? slots_len : 1);
	arena = malloc(arena_len ? arena_len : 1);
	snap = max <= 512;
	slots0 = malloc(snap && slots_len ? slots_len : 1);
	arena0 = malloc(arena_len ? arena_len : 1);
	FZ_CHECK(slots && arena && slots0 && arena0);
	if (slots_len)
		memset(slots, 0xA5, slots_len);
	mqttp_alias_init(&m, max, slots, arena, arena_len);
	model_reset();
	check_all(&m, max, arena, arena_len);

	while (in.pos < in.n) {
		uint8_t c = fz_next(&in);
		int has_alias = c & 1;
		uint32_t alias = 0;
		size_t tlen = 0;
		uint8_t *t = NULL;
		const uint8_t *got = (const uint8_t *)"sentinel";
		const uint8_t *sent = got;
		size_t got_len = 77777;
		enum mqttp_error want, e;
		int keep;

		if (c >> 4 == 0xF) {
			mqttp_alias_reset(&m);
			model_reset();
			check_all(&m, max, arena, arena_len);
			continue;
		}
		switch ((c >> 1) & 3) {
		case 0: alias = fz_next(&in); break;
		case 1: alias = (uint32_t)max + (fz_next(&in) & 3u) - 2u; break;
		case 2: alias = (uint32_t)fz_next(&in) << 8; alias |= fz_next(&in); break;
		default:
			alias = (uint32_t)fz_next(&in) << 24;
			alias |= (uint32_t)fz_next(&in) << 16;
			alias |= (uint32_t)fz_next(&in) << 8;
			alias |= fz_next(&in);
		}
		if (c & 8) {
			uint8_t l = fz_next(&in);
			tlen = l >= 0xF0 ? ((size_t)(l & 3) << 8) | fz_next(&in) : l;
			if (tlen > in.n - in.pos)
				tlen = in.n - in.pos;
			t = fz_dup(in.b + in.pos, tlen);
			in.pos += tlen;
		} else if (!(c & 16)) {
			t = fz_dup(NULL, 0);
		}

		want = model_publish(max, arena_len, t, tlen, has_alias, alias);
		/* only an accepted topic with an alias changes the map */
		keep = want != MQTTP_E_NONE || !has_alias || !tlen;
		if (keep) {
			memcpy(&m0, &m, sizeof(m));
			if (snap && slots_len)
				memcpy(slots0, slots, slots_len);
			if (model.used)
				memcpy(arena0, arena, model.used);
		}
		e = mqttp_alias_publish(&m, t, tlen, has_alias, alias, &got, &got_len);
		if (e != want)
			fprintf(stderr, "max %u arena %zu alias %d/%u tlen %zu: %s, model %s\n", max, arena_len,
			        has_alias, alias, tlen, mqttp_error_name(e), mqttp_error_name(want));
		FZ_CHECK(e == want);
		if (e != MQTTP_E_NONE) {
			FZ_CHECK(got == sent && got_len == 77777);
		} else if (tlen) {
			FZ_CHECK(got == t && got_len == tlen);
		} else {
			FZ_CHECK(got_len == model.s[alias].len && got >= arena && got_len <= arena_len &&
			         got - arena <= (ptrdiff_t)(arena_len - got_len));
			FZ_CHECK(memcmp(got, model.s[alias].bytes, got_len) == 0);
		}
		if (keep) {
			FZ_CHECK(memcmp(&m0, &m, sizeof(m)) == 0);
			FZ_CHECK(!snap || !slots_len || memcmp(slots0, slots, slots_len) == 0);
			FZ_CHECK(!model.used || memcmp(arena0, arena, model.used) == 0);
		}
		free(t);
		/* unchanged memory was the model's after the previous operation */
		if (!keep || !snap)
			check_all(&m, max, arena, arena_len);
		FZ_CHECK(m.bound == model.bound);
	}
	free(slots);
	free(arena);
	free(slots0);
	free(arena0);
	return 0;
}
