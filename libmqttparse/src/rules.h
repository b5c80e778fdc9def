/*
 * rules.h - the one description of the MQTT rules that both the state
 * machine (machine.c) and the accelerator (fast.c) apply: the property
 * table, the connect-flag and PUBLISH-flag rules, the property block's
 * cross-property rule and the maximum packet size. Tables elsewhere
 * (tables.c's rows, fast.c's lookup tables, the collectors' slots) are
 * generated from these at compile time; nothing here is mutable.
 */
#ifndef MQTTP_RULES_H
#define MQTTP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "mqttparse.h"

/* Highest property identifier defined by MQTT 5.0. */
#define MQTTP_PROP_MAX 0x2A

/* What a property's value may be, beyond its type [MQTT-3.1.2.11], [MQTT-3.2.2.3]. */
enum {
	MQTTP__ANY = 0,   /* any value of its type */
	MQTTP__NONZERO,   /* receive maximum, maximum packet size: not 0 */
	MQTTP__FLAG,      /* a byte that is 0 or 1 */
	MQTTP__TOPIC,     /* a topic name: not empty, no wildcard [MQTT-3.3.2-2], [MQTT-4.7.3-1] */
};

/* Where a property's value goes in a struct mqttp_properties. */
#define MQTTP__AT(field) offsetof(struct mqttp_properties, field)
#define MQTTP__NOWHERE 0xFFFFu /* not stored (user properties: see user_property_count) */

/*
 * The packets a property may appear in (MQTT 5.0 section 2.2.2.2): a bit
 * per packet type, bit 0 for a CONNECT's will properties. The public
 * `where` (MQTTP_IN_*) is derived from it.
 */
#define MQTTP__PK(t) (1u << (t))
#define MQTTP__PK_WILL 1u
#define MQTTP__PK_ACKS (MQTTP__PK(MQTTP_PUBACK) | MQTTP__PK(MQTTP_PUBREC) | MQTTP__PK(MQTTP_PUBREL) | \
                        MQTTP__PK(MQTTP_PUBCOMP))
#define MQTTP__PK_ALL 0xFFFFu
#define MQTTP__WHERE(pk)                                                                   \
	((((pk) & MQTTP__PK(MQTTP_CONNECT)) ? MQTTP_IN_CONNECT : 0) |                        \
	 (((pk) & MQTTP__PK_WILL) ? MQTTP_IN_WILL : 0) |                                    \
	 (((pk) & MQTTP__PK(MQTTP_CONNACK)) ? MQTTP_IN_CONNACK : 0) |                        \
	 (((pk) & ~(MQTTP__PK(MQTTP_CONNECT) | MQTTP__PK_WILL | MQTTP__PK(MQTTP_CONNACK)) & 0xFFFEu) \
	          ? MQTTP_IN_OTHER : 0))

/*
 * Every property of MQTT 5.0 (section 2.2.2.2), one row each:
 * X(id, type, packets, repeatable, value range, slot, name).
 */
#define MQTTP__C MQTTP__PK(MQTTP_CONNECT)
#define MQTTP__W MQTTP__PK_WILL
#define MQTTP__A MQTTP__PK(MQTTP_CONNACK)
#define MQTTP__PB MQTTP__PK(MQTTP_PUBLISH)
#define MQTTP__D MQTTP__PK(MQTTP_DISCONNECT)
#define MQTTP__AU MQTTP__PK(MQTTP_AUTH)
#define MQTTP__RS (MQTTP__A | MQTTP__PK_ACKS | MQTTP__PK(MQTTP_SUBACK) | MQTTP__PK(MQTTP_UNSUBACK) | MQTTP__D | MQTTP__AU)
#define MQTTP__PROPERTIES(X)                                                                                   \
	X(0x01, MQTTP_PT_BYTE, MQTTP__W | MQTTP__PB, 0, MQTTP__FLAG, MQTTP__AT(payload_format_indicator),      \
	  "payload_format_indicator")                                                                          \
	X(0x02, MQTTP_PT_U32, MQTTP__W | MQTTP__PB, 0, MQTTP__ANY, MQTTP__AT(message_expiry_interval),         \
	  "message_expiry_interval")                                                                           \
	X(0x03, MQTTP_PT_STRING, MQTTP__W | MQTTP__PB, 0, MQTTP__ANY, MQTTP__AT(content_type), "content_type") \
	X(0x08, MQTTP_PT_STRING, MQTTP__W | MQTTP__PB, 0, MQTTP__TOPIC, MQTTP__AT(response_topic),             \
	  "response_topic")                                                                                    \
	X(0x09, MQTTP_PT_BINARY, MQTTP__W | MQTTP__PB, 0, MQTTP__ANY, MQTTP__AT(correlation_data),             \
	  "correlation_data")                                                                                  \
	X(0x0B, MQTTP_PT_VBI, MQTTP__PB | MQTTP__PK(MQTTP_SUBSCRIBE), 1, MQTTP__NONZERO, MQTTP__NOWHERE,        \
	  "subscription_identifier")                                                                           \
	X(0x11, MQTTP_PT_U32, MQTTP__C | MQTTP__A | MQTTP__D, 0, MQTTP__ANY, MQTTP__AT(session_expiry_interval), \
	  "session_expiry_interval")                                                                           \
	X(0x12, MQTTP_PT_STRING, MQTTP__A, 0, MQTTP__ANY, MQTTP__AT(assigned_client_identifier),               \
	  "assigned_client_identifier")                                                                        \
	X(0x13, MQTTP_PT_U16, MQTTP__A, 0, MQTTP__ANY, MQTTP__AT(server_keep_alive), "server_keep_alive")      \
	X(0x15, MQTTP_PT_STRING, MQTTP__C | MQTTP__A | MQTTP__AU, 0, MQTTP__ANY,                               \
	  MQTTP__AT(authentication_method), "authentication_method")                                           \
	X(0x16, MQTTP_PT_BINARY, MQTTP__C | MQTTP__A | MQTTP__AU, 0, MQTTP__ANY,                               \
	  MQTTP__AT(authentication_data), "authentication_data")                                               \
	X(0x17, MQTTP_PT_BYTE, MQTTP__C, 0, MQTTP__FLAG, MQTTP__AT(request_problem_information),               \
	  "request_problem_information")                                                                       \
	X(0x18, MQTTP_PT_U32, MQTTP__W, 0, MQTTP__ANY, MQTTP__AT(will_delay_interval), "will_delay_interval")  \
	X(0x19, MQTTP_PT_BYTE, MQTTP__C, 0, MQTTP__FLAG, MQTTP__AT(request_response_information),              \
	  "request_response_information")                                                                      \
	X(0x1A, MQTTP_PT_STRING, MQTTP__A, 0, MQTTP__ANY, MQTTP__AT(response_information),                     \
	  "response_information")                                                                              \
	X(0x1C, MQTTP_PT_STRING, MQTTP__A | MQTTP__D, 0, MQTTP__ANY, MQTTP__AT(server_reference),              \
	  "server_reference")                                                                                  \
	X(0x1F, MQTTP_PT_STRING, MQTTP__RS, 0, MQTTP__ANY, MQTTP__AT(reason_string), "reason_string")          \
	X(0x21, MQTTP_PT_U16, MQTTP__C | MQTTP__A, 0, MQTTP__NONZERO, MQTTP__AT(receive_maximum),              \
	  "receive_maximum")                                                                                   \
	X(0x22, MQTTP_PT_U16, MQTTP__C | MQTTP__A, 0, MQTTP__ANY, MQTTP__AT(topic_alias_maximum),              \
	  "topic_alias_maximum")                                                                               \
	X(0x23, MQTTP_PT_U16, MQTTP__PB, 0, MQTTP__NONZERO, MQTTP__NOWHERE, "topic_alias")                         \
	X(0x24, MQTTP_PT_BYTE, MQTTP__A, 0, MQTTP__FLAG, MQTTP__AT(maximum_qos), "maximum_qos")                \
	X(0x25, MQTTP_PT_BYTE, MQTTP__A, 0, MQTTP__FLAG, MQTTP__AT(retain_available), "retain_available")      \
	X(0x26, MQTTP_PT_STRING_PAIR, MQTTP__PK_ALL, 1, MQTTP__ANY, MQTTP__NOWHERE, "user_property")           \
	X(0x27, MQTTP_PT_U32, MQTTP__C | MQTTP__A, 0, MQTTP__NONZERO, MQTTP__AT(maximum_packet_size),          \
	  "maximum_packet_size")                                                                               \
	X(0x28, MQTTP_PT_BYTE, MQTTP__A, 0, MQTTP__FLAG, MQTTP__AT(wildcard_subscription_available),           \
	  "wildcard_subscription_available")                                                                   \
	X(0x29, MQTTP_PT_BYTE, MQTTP__A, 0, MQTTP__FLAG, MQTTP__AT(subscription_identifiers_available),        \
	  "subscription_identifiers_available")                                                                \
	X(0x2A, MQTTP_PT_BYTE, MQTTP__A, 0, MQTTP__FLAG, MQTTP__AT(shared_subscription_available),             \
	  "shared_subscription_available")

/* A property's row with what the parser needs beyond the public part. */
struct mqttp__prop_rule {
	struct mqttp_property_info info; /* name NULL: id undefined */
	uint16_t packets;                /* MQTTP__PK(type) bits, MQTTP__PK_WILL */
	uint16_t slot;                   /* MQTTP__AT(...) or MQTTP__NOWHERE */
	uint8_t range;                   /* MQTTP__ANY .. MQTTP__TOPIC */
};

/* Indexed by id (tables.c). */
extern MQTTP_HIDDEN const struct mqttp__prop_rule mqttp__prop_rules[MQTTP_PROP_MAX + 1];

/* Is v allowed for a property of this range (integers only)? */
static inline int mqttp__prop_value_ok(unsigned range, uint32_t v)
{
	return range == MQTTP__NONZERO ? v != 0 : range == MQTTP__FLAG ? v <= 1 : 1;
}

/* Authentication data needs an authentication method in the same block
 * [MQTT-3.1.2.11.10], [MQTT-3.2.2.3.18]; seen: bit N = property N present. */
#define MQTTP__AUTH_DATA_ALONE(seen) (((seen) & (1ull << 0x16)) && !((seen) & (1ull << 0x15)))

/*
 * Connect flags [MQTT-3.1.2-3], [MQTT-3.1.2-11/13/15], [MQTT-3.1.2-14],
 * [MQTT-3.1.2-22] (3.1 / 3.1.1 only, unless lenient), checked in this
 * order: the error, or MQTTP_E_NONE. A constant expression, so that
 * fast.c's table of allowed flags is generated from it.
 */
#define MQTTP__CONNECT_FLAGS_ERROR(cf, v5, pw_lenient)                                              \
	(((cf) & MQTTP_CF_RESERVED) ? MQTTP_E_CONNECT_RESERVED                                       \
	 : (!((cf) & MQTTP_CF_WILL) && ((cf) & (MQTTP_CF_WILL_QOS_MASK | MQTTP_CF_WILL_RETAIN)))     \
	         ? MQTTP_E_WILL_FLAGS                                                                \
	 : (((cf) & MQTTP_CF_WILL_QOS_MASK) == MQTTP_CF_WILL_QOS_MASK) ? MQTTP_E_WILL_QOS            \
	 : (((cf) & MQTTP_CF_PASSWORD) && !((cf) & MQTTP_CF_USERNAME) && !(v5) && !(pw_lenient))     \
	         ? MQTTP_E_PASSWORD_FLAG                                                             \
	         : MQTTP_E_NONE)

/* A client identifier of len bytes in a CONNECT of this version and
 * connect flags: empty only with clean session in 3.1.1 [MQTT-3.1.3-7]
 * and in 5.0 [MQTT-3.1.3-6]; at most 23 bytes in 3.1 unless long_ok;
 * at most max (0: no limit) by the caller's option. A macro, so that
 * long_ok and max are read only when needed. */
#define MQTTP__CLIENT_ID_ERROR(version, cf, len, long_ok, max)                                     \
	((len) == 0 && ((version) == MQTTP_V31 ||                                                  \
	                ((version) == MQTTP_V311 && !((cf) & MQTTP_CF_CLEAN_START)))               \
	         ? MQTTP_E_CLIENT_ID_EMPTY                                                         \
	 : ((version) == MQTTP_V31 && (len) > 23 && !(long_ok)) || ((max) && (len) > (max))        \
	         ? MQTTP_E_CLIENT_ID_TOO_LONG                                                      \
	         : MQTTP_E_NONE)

/* The protocol names [MQTT-3.1.2-1]: "MQTT" (3.1.1, 5.0) and "MQIsdp"
 * (3.1), with their 2-byte length as they stand in a CONNECT. */
#define MQTTP__NAME_MQTT "\0\4MQTT"
#define MQTTP__NAME_MQISDP "\0\6MQIsdp"

/* CONNACK acknowledge flags: only bit 0, session present [MQTT-3.2.2-1],
 * which a refusal never sets [MQTT-3.2.2-4]. */
#define MQTTP__CONNACK_FLAGS_BAD(fl) ((fl) & 0xFE)
#define MQTTP__SESSION_PRESENT_BAD(fl, rc) ((rc) != 0 && ((fl) & 1))

/* May a PUBLISH's topic name be empty? Only in 5.0, with a topic alias
 * [MQTT-3.3.2-1], [MQTT-4.7.3-1]. */
#define MQTTP__EMPTY_TOPIC_OK(version) ((version) == MQTTP_V5)

/* A Topic Alias outside 1 .. the Topic Alias Maximum in force (0 when
 * none was announced) [MQTT-3.3.2-8/9/11]. */
#define MQTTP__TOPIC_ALIAS_BAD(alias, max) ((alias) == 0 || (alias) > (max))

/* A PUBLISH's header flags [MQTT-3.3.1-4] (QoS 3), [MQTT-3.3.1-2] (DUP
 * with QoS 0); a constant expression, as above. */
#define MQTTP__PUBLISH_FLAGS_ERROR(f)                                 \
	((((f) & 6) == 6) ? MQTTP_E_PUBLISH_QOS                         \
	 : (((f) & 8) && !((f) & 6)) ? MQTTP_E_PUBLISH_DUP : MQTTP_E_NONE)

/* Results of mqttp__vbi_step() and mqttp__vbi_read(). */
enum { MQTTP__VBI_MORE = 0, MQTTP__VBI_END, MQTTP__VBI_LONG, MQTTP__VBI_NONMIN };

/*
 * One byte of a variable byte integer [MQTT-1.5.5] into *acc, *n bytes
 * read so far: MQTTP__VBI_MORE, MQTTP__VBI_END, MQTTP__VBI_LONG (a fifth
 * byte would be needed), or MQTTP__VBI_NONMIN (it ended with a 0 byte
 * after the first: not minimal [MQTT-1.5.5-1]; *acc is the value, which
 * a lenient caller may take).
 */
static inline int mqttp__vbi_step(uint32_t *acc, uint8_t *n, uint8_t b)
{
	*acc |= (uint32_t)(b & 0x7F) << (7 * *n);
	++*n;
	if (b & 0x80)
		return *n == 4 ? MQTTP__VBI_LONG : MQTTP__VBI_MORE;
	return *n > 1 && b == 0 ? MQTTP__VBI_NONMIN : MQTTP__VBI_END;
}

/* A whole variable byte integer at d[0, avail): the result of its last
 * byte (MQTTP__VBI_MORE when avail ends first), *v and *n as above. */
static inline int mqttp__vbi_read(const uint8_t *d, size_t avail, uint32_t *v, uint8_t *n)
{
	int r = MQTTP__VBI_MORE;

	*v = 0;
	*n = 0;
	while (r == MQTTP__VBI_MORE && *n < avail)
		r = mqttp__vbi_step(v, n, d[*n]);
	return r;
}

/* Is a packet of hl + rl bytes over max (0: no limit)? hl + rl >= 2, so
 * max - 1 wrapping to the largest value stands for "no limit". */
static inline int mqttp__too_large(uint32_t max, uint32_t hl, uint32_t rl)
{
	return hl + rl - 1u > max - 1u;
}

#endif
