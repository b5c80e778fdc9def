/*
 * alias.c - the topic alias map of one direction (MQTT 5.0 section
 * 3.3.2.3.4), in the caller's memory: a slot per alias and an arena that
 * holds the bound topics' bytes back to back from its start, without gaps.
 */
#include "internal.h"

void mqttp_alias_init(struct mqttp_alias_map *m, uint16_t max, struct mqttp_alias_slot *slots,
                      uint8_t *arena, size_t arena_len)
{
	m->max = max;
	m->priv_slots = slots;
	m->priv_arena = arena;
	/* offsets are 32-bit; max * 65,535 topic bytes fit below 4 GiB anyway */
	m->priv_arena_len = arena_len > UINT32_MAX ? UINT32_MAX : (uint32_t)arena_len;
	mqttp_alias_reset(m);
}

void mqttp_alias_reset(struct mqttp_alias_map *m)
{
	/* no mapping is carried from one connection to the next [MQTT-3.3.2-7] */
	if (m->max)
		memset(m->priv_slots, 0, (size_t)m->max * sizeof(*m->priv_slots));
	m->bound = 0;
	m->priv_used = 0;
}

/* Free the bytes of bound slot s: close the gap and move down the topics
 * that lay after it. */
static void unbind_bytes(struct mqttp_alias_map *m, struct mqttp_alias_slot *s)
{
	uint32_t end = s->priv_off + s->priv_len;
	uint32_t i, seen = 0;

	if (end < m->priv_used) {
		memmove(m->priv_arena + s->priv_off, m->priv_arena + end, m->priv_used - end);
		/* the scan ends at the last bound slot */
		for (i = 0; i < m->max && seen < m->bound; i++) {
			struct mqttp_alias_slot *o = &m->priv_slots[i];
			if (!o->priv_bound)
				continue;
			seen++;
			if (o->priv_off >= end)
				o->priv_off -= s->priv_len;
		}
	}
	m->priv_used -= s->priv_len;
}

enum mqttp_error mqttp_alias_publish(struct mqttp_alias_map *m, const uint8_t *t, size_t tlen,
                                     int has_alias, uint32_t alias,
                                     const uint8_t **topic, size_t *topic_len)
{
	struct mqttp_alias_slot *s;
	uint32_t others;

	if (has_alias && MQTTP__TOPIC_ALIAS_BAD(alias, m->max))
		return MQTTP_E_TOPIC_ALIAS;
	if (!has_alias) {
		/* a topic name is required without an alias (3.3.2.3.4), [MQTT-4.7.3-1] */
		if (tlen == 0)
			return MQTTP_E_TOPIC_ALIAS_UNKNOWN;
		*topic = t;
		*topic_len = tlen;
		return MQTTP_E_NONE;
	}
	s = &m->priv_slots[alias - 1];
	if (tlen == 0) {
		/* an empty topic takes the alias's mapping, which must exist (3.3.2.3.4) */
		if (!s->priv_bound)
			return MQTTP_E_TOPIC_ALIAS_UNKNOWN;
		*topic = m->priv_arena + s->priv_off;
		*topic_len = s->priv_len;
		return MQTTP_E_NONE;
	}
	/* checked before anything moves, so a refusal leaves the map as it was */
	others = m->priv_used - (s->priv_bound ? s->priv_len : 0u);
	if (tlen > UINT16_MAX || tlen > m->priv_arena_len - others)
		return MQTTP_E_TOPIC_ALIAS_FULL;
	/* a topic with an alias replaces the alias's mapping (3.3.2.3.4) */
	if (s->priv_bound)
		unbind_bytes(m, s);
	else
		m->bound++;
	memcpy(m->priv_arena + m->priv_used, t, tlen);
	s->priv_off = m->priv_used;
	s->priv_len = (uint16_t)tlen;
	s->priv_bound = 1;
	m->priv_used += (uint32_t)tlen;
	*topic = t;
	*topic_len = tlen;
	return MQTTP_E_NONE;
}
