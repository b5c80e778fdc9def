/*
 * test_alias.c - the topic alias map (mqttp_alias_*, MQTT 5.0 section
 * 3.3.2.3.4): scenarios of PUBLISH topic / Topic Alias pairs, each step
 * with its statement id, its verdict and the whole map after it. The
 * slots, the arena and every topic end right before a guard page; a step
 * that fails or binds nothing must leave the map's memory byte for byte.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mqttcodec.h"

enum { PUB, RESET };
#define NO_ALIAS 0, 0
#define ALIAS(n) 1, (n)

struct step {
	const char *id;          /* spec statement id */
	int op;                  /* PUB or RESET */
	int has_alias;
	uint32_t alias;
	const char *topic;       /* the PUBLISH's topic name ("" empty) */
	enum mqttp_error want;
	const char *want_topic;  /* resolved topic with MQTTP_E_NONE */
	const char *state;       /* every bound alias after it: "1:a/b 3:c" */
};

struct scenario {
	const char *name;
	uint16_t max;
	size_t arena_len;
	const struct step *steps;
};

#define END { NULL, 0, 0, 0, NULL, MQTTP_E_NONE, NULL, NULL }

static const struct step s_bind[] = {
	{ "[MQTT-3.3.2-12] alias 1 bound", PUB, ALIAS(1), "a/b", MQTTP_E_NONE, "a/b", "1:a/b" },
	{ "3.3.2.3.4 empty topic takes alias 1's", PUB, ALIAS(1), "", MQTTP_E_NONE, "a/b", "1:a/b" },
	{ "[MQTT-3.3.2-10] the maximum itself is accepted", PUB, ALIAS(3), "c", MQTTP_E_NONE, "c", "1:a/b 3:c" },
	{ "3.3.2.3.4 topic without alias: itself", PUB, NO_ALIAS, "x/y", MQTTP_E_NONE, "x/y", "1:a/b 3:c" },
	{ "3.3.2.3.4 alias 2 never bound", PUB, ALIAS(2), "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "1:a/b 3:c" },
	{ "[MQTT-4.7.3-1] empty topic, no alias", PUB, NO_ALIAS, "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-8] alias 0 with a topic", PUB, ALIAS(0), "t", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-8] alias 0, empty topic", PUB, ALIAS(0), "", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-9/11] alias above the maximum", PUB, ALIAS(4), "t", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-9/11] above the maximum, empty", PUB, ALIAS(4), "", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-9/11] 65,536", PUB, ALIAS(65536), "t", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "[MQTT-3.3.2-9/11] 2^32 - 1", PUB, ALIAS(UINT32_MAX), "", MQTTP_E_TOPIC_ALIAS, NULL, "1:a/b 3:c" },
	{ "3.3.2.3.4 bound again to the same topic", PUB, ALIAS(1), "a/b", MQTTP_E_NONE, "a/b", "1:a/b 3:c" },
	{ "3.3.2.3.4 bound as sent, even to another alias's topic", PUB, ALIAS(2), "c", MQTTP_E_NONE, "c",
	  "1:a/b 2:c 3:c" },
	END
};

static const struct step s_rebind[] = {
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(1), "aa", MQTTP_E_NONE, "aa", "1:aa" },
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(2), "bbbb", MQTTP_E_NONE, "bbbb", "1:aa 2:bbbb" },
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(3), "cc", MQTTP_E_NONE, "cc", "1:aa 2:bbbb 3:cc" },
	{ "3.3.2.3.4 first in the arena rebound, longer", PUB, ALIAS(1), "AAAAAA", MQTTP_E_NONE, "AAAAAA",
	  "1:AAAAAA 2:bbbb 3:cc" },
	{ "3.3.2.3.4 middle rebound, shorter", PUB, ALIAS(3), "C", MQTTP_E_NONE, "C", "1:AAAAAA 2:bbbb 3:C" },
	{ "3.3.2.3.4 rebound, shorter", PUB, ALIAS(2), "B", MQTTP_E_NONE, "B", "1:AAAAAA 2:B 3:C" },
	{ "3.3.2.3.4 last in the arena rebound, longer", PUB, ALIAS(2), "BBBBBBBBB", MQTTP_E_NONE, "BBBBBBBBB",
	  "1:AAAAAA 2:BBBBBBBBB 3:C" },
	{ "3.3.2.3.4", PUB, ALIAS(1), "", MQTTP_E_NONE, "AAAAAA", "1:AAAAAA 2:BBBBBBBBB 3:C" },
	{ "3.3.2.3.4", PUB, ALIAS(3), "", MQTTP_E_NONE, "C", "1:AAAAAA 2:BBBBBBBBB 3:C" },
	END
};

/* arena of 8 bytes, aliases 1 and 2 */
static const struct step s_full[] = {
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(1), "abcde", MQTTP_E_NONE, "abcde", "1:abcde" },
	{ "arena exactly full", PUB, ALIAS(2), "fgh", MQTTP_E_NONE, "fgh", "1:abcde 2:fgh" },
	{ "one byte short: rebind refused, old binding kept", PUB, ALIAS(2), "fghi", MQTTP_E_TOPIC_ALIAS_FULL,
	  NULL, "1:abcde 2:fgh" },
	{ "one byte short", PUB, ALIAS(1), "abcdef", MQTTP_E_TOPIC_ALIAS_FULL, NULL, "1:abcde 2:fgh" },
	{ "3.3.2.3.4 the old binding still resolves", PUB, ALIAS(2), "", MQTTP_E_NONE, "fgh", "1:abcde 2:fgh" },
	{ "a rebind's old bytes count as free", PUB, ALIAS(1), "abcd", MQTTP_E_NONE, "abcd", "1:abcd 2:fgh" },
	{ "exactly full again", PUB, ALIAS(2), "fghi", MQTTP_E_NONE, "fghi", "1:abcd 2:fghi" },
	{ "full, a topic without alias still passes", PUB, NO_ALIAS, "zzzzzzzzzz", MQTTP_E_NONE, "zzzzzzzzzz",
	  "1:abcd 2:fghi" },
	{ "whole arena for one alias", PUB, ALIAS(2), "12345678", MQTTP_E_TOPIC_ALIAS_FULL, NULL,
	  "1:abcd 2:fghi" },
	END
};

/* arena of 4 bytes, alias 1 */
static const struct step s_short[] = {
	{ "one byte short of an empty arena", PUB, ALIAS(1), "abcde", MQTTP_E_TOPIC_ALIAS_FULL, NULL, "" },
	{ "3.3.2.3.4 the refused topic was not bound", PUB, ALIAS(1), "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "" },
	{ "exactly the arena", PUB, ALIAS(1), "abcd", MQTTP_E_NONE, "abcd", "1:abcd" },
	{ "rebind one byte short", PUB, ALIAS(1), "abcde", MQTTP_E_TOPIC_ALIAS_FULL, NULL, "1:abcd" },
	{ "rebind to the whole arena", PUB, ALIAS(1), "wxyz", MQTTP_E_NONE, "wxyz", "1:wxyz" },
	END
};

static const struct step s_no_arena[] = {
	{ "an arena of 0 bytes holds nothing", PUB, ALIAS(1), "a", MQTTP_E_TOPIC_ALIAS_FULL, NULL, "" },
	{ "[MQTT-3.3.2-8]", PUB, ALIAS(0), "a", MQTTP_E_TOPIC_ALIAS, NULL, "" },
	{ "3.3.2.3.4", PUB, NO_ALIAS, "a", MQTTP_E_NONE, "a", "" },
	END
};

static const struct step s_reset[] = {
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(1), "abcd", MQTTP_E_NONE, "abcd", "1:abcd" },
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(2), "efgh", MQTTP_E_NONE, "efgh", "1:abcd 2:efgh" },
	{ "[MQTT-3.3.2-7] a new connection", RESET, NO_ALIAS, NULL, MQTTP_E_NONE, NULL, "" },
	{ "[MQTT-3.3.2-7] nothing carried forward", PUB, ALIAS(1), "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "" },
	{ "[MQTT-3.3.2-7]", PUB, ALIAS(2), "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "" },
	{ "[MQTT-3.3.2-7] the whole arena free again", PUB, ALIAS(2), "12345678", MQTTP_E_NONE, "12345678",
	  "2:12345678" },
	{ "[MQTT-3.3.2-7] reset twice", RESET, NO_ALIAS, NULL, MQTTP_E_NONE, NULL, "" },
	{ "[MQTT-3.3.2-7]", RESET, NO_ALIAS, NULL, MQTTP_E_NONE, NULL, "" },
	{ "[MQTT-3.3.2-12]", PUB, ALIAS(1), "a", MQTTP_E_NONE, "a", "1:a" },
	END
};

/* Topic Alias Maximum 0: no alias may be sent [MQTT-3.3.2-9/11] */
static const struct step s_max0[] = {
	{ "[MQTT-3.3.2-9/11] max 0: alias 1", PUB, ALIAS(1), "a", MQTTP_E_TOPIC_ALIAS, NULL, "" },
	{ "[MQTT-3.3.2-9/11] max 0: alias 1, empty", PUB, ALIAS(1), "", MQTTP_E_TOPIC_ALIAS, NULL, "" },
	{ "[MQTT-3.3.2-8] max 0: alias 0", PUB, ALIAS(0), "a", MQTTP_E_TOPIC_ALIAS, NULL, "" },
	{ "[MQTT-3.3.2-9/11] max 0: alias 65535", PUB, ALIAS(65535), "a", MQTTP_E_TOPIC_ALIAS, NULL, "" },
	{ "3.3.2.3.4 max 0: topic without alias", PUB, NO_ALIAS, "a/b", MQTTP_E_NONE, "a/b", "" },
	{ "[MQTT-4.7.3-1] max 0: empty, no alias", PUB, NO_ALIAS, "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "" },
	{ "[MQTT-3.3.2-7] max 0: reset", RESET, NO_ALIAS, NULL, MQTTP_E_NONE, NULL, "" },
	END
};

static const struct step s_max65535[] = {
	{ "[MQTT-3.3.2-10/12] alias 65535 with max 65535", PUB, ALIAS(65535), "last", MQTTP_E_NONE, "last",
	  "65535:last" },
	{ "[MQTT-3.3.2-10/12]", PUB, ALIAS(1), "first", MQTTP_E_NONE, "first", "1:first 65535:last" },
	{ "3.3.2.3.4", PUB, ALIAS(65535), "", MQTTP_E_NONE, "last", "1:first 65535:last" },
	{ "3.3.2.3.4 rebind moves 65535's bytes", PUB, ALIAS(1), "1st", MQTTP_E_NONE, "1st", "1:1st 65535:last" },
	{ "[MQTT-3.3.2-9/11]", PUB, ALIAS(65536), "", MQTTP_E_TOPIC_ALIAS, NULL, "1:1st 65535:last" },
	{ "3.3.2.3.4", PUB, ALIAS(65534), "", MQTTP_E_TOPIC_ALIAS_UNKNOWN, NULL, "1:1st 65535:last" },
	END
};

static const struct scenario scenarios[] = {
	{ "bind, resolve, errors", 3, 16, s_bind },
	{ "rebind longer and shorter", 3, 32, s_rebind },
	{ "arena exactly full", 2, 8, s_full },
	{ "one byte short", 1, 4, s_short },
	{ "no arena", 4, 0, s_no_arena },
	{ "reset", 2, 8, s_reset },
	{ "max 0", 0, 16, s_max0 },
	{ "max 65535", 65535, 64, s_max65535 },
};

/* The map under test, its memory ending at guard pages. */
struct rig {
	struct guard gs, ga, gt;
	struct mqttp_alias_map m;
	struct mqttp_alias_slot *slots;
	uint8_t *arena;
	size_t arena_len;
	/* a copy of the map's memory, to see that a step changed nothing */
	struct mqttp_alias_map m0;
	struct mqttp_alias_slot *slots0;
	uint8_t *arena0;
};

static void rig_init(struct rig *r, uint16_t max, size_t arena_len)
{
	size_t sl = (size_t)max * sizeof(struct mqttp_alias_slot);

	guard_init(&r->gs, sl);
	guard_init(&r->ga, arena_len);
	guard_init(&r->gt, 70000);
	r->slots = max ? (struct mqttp_alias_slot *)(void *)(r->gs.base + r->gs.size - sl) : NULL;
	r->arena = arena_len ? r->ga.base + r->ga.size - arena_len : NULL;
	r->arena_len = arena_len;
	/* stale bytes in the caller's memory must not matter */
	memset(r->gs.base, 0xA5, r->gs.size);
	memset(r->ga.base, 0x5A, r->ga.size);
	mqttp_alias_init(&r->m, max, r->slots, r->arena, arena_len);
	r->slots0 = malloc(sl + 1);
	r->arena0 = malloc(arena_len + 1);
	ck_assert_ptr_nonnull(r->slots0);
	ck_assert_ptr_nonnull(r->arena0);
}

static void rig_free(struct rig *r)
{
	guard_free(&r->gs);
	guard_free(&r->ga);
	guard_free(&r->gt);
	free(r->slots0);
	free(r->arena0);
}

static void rig_snapshot(struct rig *r)
{
	memcpy(&r->m0, &r->m, sizeof(r->m));
	if (r->m.max)
		memcpy(r->slots0, r->slots, (size_t)r->m.max * sizeof(*r->slots));
	if (r->arena_len)
		memcpy(r->arena0, r->arena, r->arena_len);
}

static int rig_unchanged(const struct rig *r)
{
	return memcmp(&r->m0, &r->m, sizeof(r->m)) == 0
	       && (!r->m.max || memcmp(r->slots0, r->slots, (size_t)r->m.max * sizeof(*r->slots)) == 0)
	       && (!r->arena_len || memcmp(r->arena0, r->arena, r->arena_len) == 0);
}

/* Publish t[0 .. tlen) (placed before a guard page); the outputs start as
 * sentinels, which an error must leave. */
static enum mqttp_error rig_publish(struct rig *r, const void *t, size_t tlen, int has_alias, uint32_t alias,
                                    const uint8_t **topic, size_t *topic_len)
{
	static const uint8_t sentinel[1];
	const uint8_t *in = guard_place(&r->gt, t, tlen);
	enum mqttp_error e;

	*topic = sentinel;
	*topic_len = 12345;
	e = mqttp_alias_publish(&r->m, in, tlen, has_alias, alias, topic, topic_len);
	if (e != MQTTP_E_NONE) {
		ck_assert_ptr_eq(*topic, sentinel);
		ck_assert_uint_eq(*topic_len, 12345);
	} else if (tlen) {
		ck_assert_ptr_eq(*topic, in);   /* a topic sent is the topic resolved */
		ck_assert_uint_eq(*topic_len, tlen);
	} else {
		ck_assert(*topic >= r->arena && *topic + *topic_len <= r->arena + r->arena_len);
	}
	return e;
}

/* Every alias 1 .. max resolves as `state` says, and `bound` counts them. */
static void check_state(struct rig *r, const char *state, const char *id)
{
	char want_buf[256];
	const char *want[8] = { NULL };
	uint32_t want_alias[8];
	unsigned n = 0, i;
	uint32_t a;
	char *tok, *save = NULL;

	snprintf(want_buf, sizeof(want_buf), "%s", state);
	for (tok = strtok_r(want_buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *colon = strchr(tok, ':');
		ck_assert_ptr_nonnull(colon);
		ck_assert_uint_lt(n, 8);
		*colon = 0;
		want_alias[n] = (uint32_t)strtoul(tok, NULL, 10);
		want[n++] = colon + 1;
	}
	ck_assert_msg(r->m.bound == n, "%s: bound %u, want %u", id, r->m.bound, n);
	rig_snapshot(r);
	for (a = 1; a <= r->m.max; a++) {
		const uint8_t *t;
		size_t tl;
		const char *w = NULL;
		enum mqttp_error e = rig_publish(r, "", 0, 1, a, &t, &tl);

		for (i = 0; i < n; i++)
			if (want_alias[i] == a)
				w = want[i];
		if (!w) {
			ck_assert_msg(e == MQTTP_E_TOPIC_ALIAS_UNKNOWN, "%s: alias %u bound", id, a);
			continue;
		}
		ck_assert_msg(e == MQTTP_E_NONE, "%s: alias %u: %s", id, a, mqttp_error_name(e));
		ck_assert_msg(tl == strlen(w) && memcmp(t, w, tl) == 0, "%s: alias %u is '%.*s', want '%s'", id, a,
		              (int)tl, (const char *)t, w);
	}
	ck_assert_msg(rig_unchanged(r), "%s: resolving changed the map", id);
}

START_TEST(t_alias_scenario)
{
	const struct scenario *sc = &scenarios[_i];
	const struct step *st;
	struct rig r;

	rig_init(&r, sc->max, sc->arena_len);
	check_state(&r, "", sc->name);
	for (st = sc->steps; st->id; st++) {
		const uint8_t *t;
		size_t tl;
		enum mqttp_error e;

		rig_snapshot(&r);
		if (st->op == RESET) {
			mqttp_alias_reset(&r.m);
			ck_assert_uint_eq(r.m.max, sc->max);
		} else {
			size_t len = strlen(st->topic);
			e = rig_publish(&r, st->topic, len, st->has_alias, st->alias, &t, &tl);
			ck_assert_msg(e == st->want, "%s / %s: %s, want %s", sc->name, st->id, mqttp_error_name(e),
			              mqttp_error_name(st->want));
			if (e == MQTTP_E_NONE)
				ck_assert_msg(tl == strlen(st->want_topic) && memcmp(t, st->want_topic, tl) == 0,
				              "%s / %s: resolved '%.*s'", sc->name, st->id, (int)tl, (const char *)t);
			/* only a topic with an alias, accepted, binds */
			if (e != MQTTP_E_NONE || !st->has_alias || !len)
				ck_assert_msg(rig_unchanged(&r), "%s / %s: map changed", sc->name, st->id);
		}
		check_state(&r, st->state, st->id);
	}
	rig_free(&r);
}
END_TEST

/* The longest topic name there is binds into an arena of its size; a
 * longer one (no PUBLISH carries it) does not fit a slot. */
START_TEST(t_alias_long_topic)
{
	static uint8_t big[65536];
	struct rig r;
	const uint8_t *t;
	size_t tl;

	memset(big, 'x', sizeof(big));
	big[0] = 'y';
	rig_init(&r, 2, 70000);
	rig_snapshot(&r);
	ck_assert_int_eq(rig_publish(&r, big, 65536, 1, 2, &t, &tl), MQTTP_E_TOPIC_ALIAS_FULL);
	ck_assert(rig_unchanged(&r));
	ck_assert_int_eq(rig_publish(&r, big, 65535, 1, 1, &t, &tl), MQTTP_E_NONE);
	ck_assert_int_eq(rig_publish(&r, "", 0, 1, 1, &t, &tl), MQTTP_E_NONE);
	ck_assert(tl == 65535 && memcmp(t, big, tl) == 0);
	/* 70000 - 65535 bytes left */
	ck_assert_int_eq(rig_publish(&r, big, 4466, 1, 2, &t, &tl), MQTTP_E_TOPIC_ALIAS_FULL);
	ck_assert_int_eq(rig_publish(&r, big, 4465, 1, 2, &t, &tl), MQTTP_E_NONE);
	ck_assert_uint_eq(r.m.bound, 2);
	/* alias 1 rebound to 1 byte: its bytes freed, alias 2's move to the start */
	ck_assert_int_eq(rig_publish(&r, "z", 1, 1, 1, &t, &tl), MQTTP_E_NONE);
	ck_assert_int_eq(rig_publish(&r, "", 0, 1, 2, &t, &tl), MQTTP_E_NONE);
	ck_assert(tl == 4465 && memcmp(t, big, tl) == 0 && t == r.arena);
	rig_free(&r);
}
END_TEST

/* Many rebinds in a row keep the arena without gaps: the sum of the
 * bound topics always fits, whatever order they were bound in. */
START_TEST(t_alias_churn)
{
	char want[5][16];
	struct rig r;
	uint32_t x = 1;
	unsigned i, a;

	rig_init(&r, 5, 5 * 15);
	memset(want, 0, sizeof(want));
	for (i = 0; i < 5000; i++) {
		char topic[16];
		size_t len, j;
		const uint8_t *t;
		size_t tl;

		x = x * 1103515245u + 12345u;
		a = (x >> 8) % 5;
		len = 1 + (x >> 16) % 15;
		for (j = 0; j < len; j++)
			topic[j] = (char)('a' + (i + j) % 26);
		topic[len] = 0;
		ck_assert_int_eq(rig_publish(&r, topic, len, 1, a + 1, &t, &tl), MQTTP_E_NONE);
		memcpy(want[a], topic, len + 1);
		for (a = 0; a < 5; a++) {
			if (!want[a][0])
				continue;
			ck_assert_int_eq(rig_publish(&r, "", 0, 1, a + 1, &t, &tl), MQTTP_E_NONE);
			ck_assert(tl == strlen(want[a]) && memcmp(t, want[a], tl) == 0);
		}
	}
	rig_free(&r);
}
END_TEST

Suite *alias_suite(void);
Suite *alias_suite(void)
{
	Suite *s = suite_create("alias");
	TCase *tc = tcase_create("alias");

	tcase_add_loop_test(tc, t_alias_scenario, 0, (int)(sizeof(scenarios) / sizeof(scenarios[0])));
	tcase_add_test(tc, t_alias_long_topic);
	tcase_add_test(tc, t_alias_churn);
	suite_add_tcase(s, tc);
	return s;
}
