/*
 * internal.h - definitions shared by the library's source files only.
 */
#ifndef MQTTP_INTERNAL_H
#define MQTTP_INTERNAL_H

#include <string.h>

#include "mqttcodec.h"

#if defined(__GNUC__)
#define MQTTP_HIDDEN __attribute__((visibility("hidden")))
#define MQTTP_ALWAYS_INLINE __attribute__((always_inline))
#else
#define MQTTP_HIDDEN
#define MQTTP_ALWAYS_INLINE
#endif

/* sizeof(struct mqttp_connect) and sizeof(struct mqttp_connack), defined in
 * tables.c: memset() with a size the compiler cannot see stays a call to
 * the C library's vectorised memset, not a `rep stos`, slow to start. */
extern MQTTP_HIDDEN const size_t mqttp__connect_size, mqttp__connack_size;

/* The accelerator (fast.c) is built unless MQTTP_FAST_PATH is 0. */
#ifndef MQTTP_FAST_PATH
#define MQTTP_FAST_PATH 1
#endif

#include "rules.h"

/* Where a string/binary property's value goes in a struct
 * mqttp_properties (NULL: not such a property, or not stored). */
static inline struct mqttp_bytes *mqttp__prop_bytes(struct mqttp_properties *pr, unsigned id)
{
	const struct mqttp__prop_rule *r = &mqttp__prop_rules[id > MQTTP_PROP_MAX ? 0 : id];

	if (r->slot == MQTTP__NOWHERE || (r->info.type != MQTTP_PT_STRING && r->info.type != MQTTP_PT_BINARY))
		return NULL;
	return (struct mqttp_bytes *)(void *)((uint8_t *)pr + r->slot);
}

/* Store an integer property's value in a struct mqttp_properties (ids
 * not stored there are ignored). */
static inline void mqttp__prop_store_int(struct mqttp_properties *pr, unsigned id, uint32_t v)
{
	const struct mqttp__prop_rule *r = &mqttp__prop_rules[id > MQTTP_PROP_MAX ? 0 : id];
	uint8_t *at = (uint8_t *)pr + r->slot;
	uint16_t v16 = (uint16_t)v;
	uint8_t v8 = (uint8_t)v;

	if (r->slot == MQTTP__NOWHERE)
		return;
	if (r->info.type == MQTTP_PT_BYTE)
		memcpy(at, &v8, 1);
	else if (r->info.type == MQTTP_PT_U16)
		memcpy(at, &v16, 2);
	else if (r->info.type == MQTTP_PT_U32)
		memcpy(at, &v, 4);
}

/*
 * Where a PUBLISH's single-valued properties go in a struct mqttp_publish:
 * X(id, member). Which properties a PUBLISH may carry, and their types,
 * are rules.h's; fast.c checks at compile time that this list has exactly
 * those, each member as wide as its type. Subscription identifiers and
 * user properties are counted instead.
 */
#define MQTTP__PUBLISH_FIELDS(X)                     \
	X(0x01, payload_format_indicator)            \
	X(0x02, message_expiry_interval)             \
	X(0x03, content_type)                        \
	X(0x08, response_topic)                      \
	X(0x09, correlation_data)                    \
	X(0x23, topic_alias)

#define MQTTP__PUB_SLOT_OF(id_, member) (id) == (id_) ? offsetof(struct mqttp_publish, member) :
/* A property's place in a struct mqttp_publish, or MQTTP__NOWHERE. */
static inline unsigned mqttp__publish_slot(unsigned id)
{
	return MQTTP__PUBLISH_FIELDS(MQTTP__PUB_SLOT_OF) MQTTP__NOWHERE;
}
#undef MQTTP__PUB_SLOT_OF

/* An integer property's value from a struct mqttp_properties. */
static inline uint32_t mqttp__prop_load_int(const struct mqttp_properties *pr, unsigned id)
{
	const struct mqttp__prop_rule *r = &mqttp__prop_rules[id > MQTTP_PROP_MAX ? 0 : id];
	const uint8_t *at = (const uint8_t *)pr + r->slot;
	uint32_t v = 0;
	uint16_t v16;

	if (r->slot == MQTTP__NOWHERE)
		return 0;
	if (r->info.type == MQTTP_PT_BYTE) {
		v = at[0];
	} else if (r->info.type == MQTTP_PT_U16) {
		memcpy(&v16, at, 2);
		v = v16;
	} else if (r->info.type == MQTTP_PT_U32) {
		memcpy(&v, at, 4);
	}
	return v;
}

/* The one-shot decoders (mqttp_decode_connect / _connack are these):
 * *out cleared, a whole CONNECT / CONNACK in its common form decoded by
 * fast.c's accelerator, anything else handed to the _slow function
 * (collect.c: the state machine, *out cleared again). */
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connect_fast(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connect *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connack_fast(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connack *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_publish_fast(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_publish *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_publish_slow(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_publish *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connect_slow(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connect *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connack_slow(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connack *out,
                                                          struct mqttp_result *res);

#endif
