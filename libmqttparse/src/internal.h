/*
 * internal.h - definitions shared by the library's source files only.
 */
#ifndef MQTTP_INTERNAL_H
#define MQTTP_INTERNAL_H

#include "mqttcodec.h"

#if defined(__GNUC__)
#define MQTTP_HIDDEN __attribute__((visibility("hidden")))
#define MQTTP_ALWAYS_INLINE __attribute__((always_inline))
#else
#define MQTTP_HIDDEN
#define MQTTP_ALWAYS_INLINE
#endif

/* sizeof(struct mqttp_connect) and sizeof(struct mqttp_connack), defined in
 * tables.c (not where they are used). Speed only: memset() with a size the compiler cannot see is a
 * call to the C library's vectorised memset; with a known size compilers
 * expand it into a `rep stos`, slow to start. */
extern MQTTP_HIDDEN const size_t mqttp__connect_size, mqttp__connack_size;

/* The accelerator (fast.c) is built unless MQTTP_FAST_PATH is 0. */
#ifndef MQTTP_FAST_PATH
#define MQTTP_FAST_PATH 1
#endif

/* Highest property identifier defined by MQTT 5.0. */
#define MQTTP_PROP_MAX 0x2A

/* Property rows by id (NULL: undefined), for lookups on hot paths. */
extern MQTTP_HIDDEN const struct mqttp_property_info *const mqttp__props_by_id[MQTTP_PROP_MAX + 1];

/* Where a string/binary property's value goes in a struct
 * mqttp_properties (NULL: not such a property). */
static inline struct mqttp_bytes *mqttp__prop_bytes(struct mqttp_properties *pr, unsigned id)
{
	switch (id) {
	case 0x15: return &pr->authentication_method;
	case 0x16: return &pr->authentication_data;
	case 0x03: return &pr->content_type;
	case 0x08: return &pr->response_topic;
	case 0x09: return &pr->correlation_data;
	case 0x12: return &pr->assigned_client_identifier;
	case 0x1F: return &pr->reason_string;
	case 0x1A: return &pr->response_information;
	case 0x1C: return &pr->server_reference;
	default: return NULL;
	}
}

/* Store an integer property's value in a struct mqttp_properties (always
 * inlined: speed only, for the one-shot decoders' loop). */
static inline MQTTP_ALWAYS_INLINE void mqttp__prop_store_int(struct mqttp_properties *pr, unsigned id, uint32_t v)
{
	switch (id) {
	case 0x11: pr->session_expiry_interval = v; break;
	case 0x27: pr->maximum_packet_size = v; break;
	case 0x18: pr->will_delay_interval = v; break;
	case 0x02: pr->message_expiry_interval = v; break;
	case 0x21: pr->receive_maximum = (uint16_t)v; break;
	case 0x22: pr->topic_alias_maximum = (uint16_t)v; break;
	case 0x13: pr->server_keep_alive = (uint16_t)v; break;
	case 0x19: pr->request_response_information = (uint8_t)v; break;
	case 0x17: pr->request_problem_information = (uint8_t)v; break;
	case 0x01: pr->payload_format_indicator = (uint8_t)v; break;
	case 0x24: pr->maximum_qos = (uint8_t)v; break;
	case 0x25: pr->retain_available = (uint8_t)v; break;
	case 0x28: pr->wildcard_subscription_available = (uint8_t)v; break;
	case 0x29: pr->subscription_identifiers_available = (uint8_t)v; break;
	case 0x2A: pr->shared_subscription_available = (uint8_t)v; break;
	default: break;
	}
}

/* The one-shot decoders (mqttp_decode_connect / _connack are these):
 * *out cleared, a whole CONNECT / CONNACK in its common form decoded by
 * parser.c's fast path, anything else handed to the _slow function
 * (collect.c: the state machine, *out cleared again). */
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connect_fast(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connect *out,
                                                          struct mqttp_result *res);
MQTTP_HIDDEN enum mqttp_status mqttp__decode_connack_fast(const uint8_t *d, size_t len,
                                                          const struct mqttp_options *opt,
                                                          struct mqttp_connack *out,
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
