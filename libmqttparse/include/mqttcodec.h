/*
 * mqttcodec.h - libmqttparse's decoders, encoders and rewriter: MQTT packets
 * as structs and back, built on the parser of mqttparse.h. Same library,
 * same promises: no allocation, no I/O, no mutable global, nothing read or
 * written outside the buffers given, no pointer kept past a call.
 *
 * What it offers, by packet
 *   5.0 properties  the property table (id, type, where allowed, name), one
 *                   struct with every CONNECT / CONNACK property, a walker
 *                   of a property block;
 *   CONNECT         struct mqttp_connect, filled by a collector callback
 *                   (incrementally, with mqttp_feed) or by a one-shot
 *                   decoder (a buffer holding the whole packet); a rewriter
 *                   of the client identifier, user name and password;
 *   CONNACK         struct mqttp_connack, its collector and decoder; the
 *                   encoder and the reason / return code helpers;
 *   PUBLISH         struct mqttp_publish, its collector and a one-shot
 *                   decoder (every field, the payload's place);
 *   other packets   SUBSCRIBE, UNSUBSCRIBE, the acknowledgements,
 *                   DISCONNECT and AUTH are decoded by mqttp_feed itself:
 *                   their fields come as events (mqttparse.h's MQTTP_F_*),
 *                   a PUBLISH's payload in pieces, never required whole;
 *   topics          topic filter syntax and shared subscriptions, topic
 *                   matching, the topic alias map of a direction (a
 *                   PUBLISH's MQTTP_F_TOPIC_NAME and its Topic Alias
 *                   property, 0x23, go to mqttp_alias_publish());
 *   answers         PUBACK / PUBREC / PUBREL / PUBCOMP, SUBACK, UNSUBACK and
 *                   DISCONNECT encoders, the reason codes each may carry.
 *
 * Model
 *   The structs copy no value: a string or binary field is a struct
 *   mqttp_bytes, its offset and length in the packet and, when the value
 *   lay in one buffer, a pointer into the caller's buffer. Decoders give
 *   mqttp_feed's verdicts (status, error, offset) for the same options.
 *
 * Usage: the client identifier of a CONNECT held in buf[0..n)
 *   struct mqttp_connect c;
 *   struct mqttp_result r;
 *   switch (mqttp_decode_connect(buf, n, NULL, &c, &r)) {
 *   case MQTTP_DONE:       the packet is buf[0..r.length); the client
 *                          identifier c.client_id.ptr[0..c.client_id.len)
 *   case MQTTP_NEED_MORE:  read more bytes, call again
 *   case MQTTP_ERROR:      refuse: mqttp_error_name(r.error) at byte
 *                          r.error_offset
 *   }
 */
#ifndef MQTTCODEC_H
#define MQTTCODEC_H

#include <stddef.h>
#include <stdint.h>
#include "mqttparse.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Values and results shared by every packet's decoder
 * --------------------------------------------------------------------- */
struct mqttp_bytes {
	const uint8_t *ptr; /* whole value, when it lay in one call's buffer
	                       (points into that buffer), else NULL */
	uint32_t off;       /* offset in the packet */
	uint32_t len;
	uint8_t  present;   /* 0 = absent; 1 = present (possibly empty) */
};

struct mqttp_result {
	uint8_t  type;
	uint8_t  error;        /* enum mqttp_error */
	uint32_t error_offset;
	uint32_t length;       /* bytes of the packet (header included) */
};

/* ------------------------------------------------------------------------
 * Properties (5.0)
 * --------------------------------------------------------------------- */
enum mqttp_prop_type {
	MQTTP_PT_BYTE = 1, MQTTP_PT_U16, MQTTP_PT_U32, MQTTP_PT_VBI,
	MQTTP_PT_STRING, MQTTP_PT_BINARY, MQTTP_PT_STRING_PAIR
};
/* Where a property may appear (bit mask). */
#define MQTTP_IN_CONNECT 0x01
#define MQTTP_IN_WILL    0x02
#define MQTTP_IN_CONNACK 0x04
#define MQTTP_IN_OTHER   0x08 /* any other packet */

struct mqttp_property_info {
	uint8_t id;          /* 0x01 ... 0x2A */
	uint8_t type;        /* enum mqttp_prop_type */
	uint8_t where;       /* MQTTP_IN_* */
	uint8_t repeatable;  /* user property only (and subscription id) */
	const char *name;    /* snake_case spec name, e.g. "session_expiry_interval" */
};
/* Information on a property id, or NULL when the id is not defined. */
const struct mqttp_property_info *mqttp_property_info(unsigned id);
/* Look a property up by its snake_case name; NULL when unknown. */
const struct mqttp_property_info *mqttp_property_by_name(const char *name, size_t len);

/* Every property of CONNECT, will properties and CONNACK; `present` has
 * bit N set when property id N was seen. */
struct mqttp_properties {
	uint64_t present;
	uint32_t session_expiry_interval;   /* 0x11 */
	uint32_t maximum_packet_size;       /* 0x27 */
	uint32_t will_delay_interval;       /* 0x18 */
	uint32_t message_expiry_interval;   /* 0x02 */
	uint16_t receive_maximum;           /* 0x21 */
	uint16_t topic_alias_maximum;       /* 0x22 */
	uint16_t server_keep_alive;         /* 0x13 */
	uint8_t  request_response_information; /* 0x19 */
	uint8_t  request_problem_information;  /* 0x17 */
	uint8_t  payload_format_indicator;  /* 0x01 */
	uint8_t  maximum_qos;               /* 0x24 */
	uint8_t  retain_available;          /* 0x25 */
	uint8_t  wildcard_subscription_available;  /* 0x28 */
	uint8_t  subscription_identifiers_available; /* 0x29 */
	uint8_t  shared_subscription_available;    /* 0x2A */
	struct mqttp_bytes authentication_method;  /* 0x15 */
	struct mqttp_bytes authentication_data;    /* 0x16 */
	struct mqttp_bytes content_type;           /* 0x03 */
	struct mqttp_bytes response_topic;         /* 0x08 */
	struct mqttp_bytes correlation_data;       /* 0x09 */
	struct mqttp_bytes assigned_client_identifier; /* 0x12 */
	struct mqttp_bytes reason_string;          /* 0x1F */
	struct mqttp_bytes response_information;   /* 0x1A */
	struct mqttp_bytes server_reference;       /* 0x1C */
	uint32_t user_property_count;              /* 0x26; iterate with mqttp_property_next */
	struct mqttp_bytes block;                  /* the raw property block: off/len
	                                              always; ptr only from the
	                                              one-shot mqttp_decode_* */
};

/* A property's value from a struct mqttp_properties, by id. Returns 0 when
 * absent, 1 with *num set for integer types, 2 with *bytes set for
 * string/binary types. User properties: use mqttp_property_next. */
int mqttp_properties_get(const struct mqttp_properties *props, unsigned id,
                         uint32_t *num, struct mqttp_bytes *bytes);

/*
 * Walk a property block that the parser has already validated (the bytes
 * of a MQTTP_F_PROPERTIES / struct mqttp_properties.block). *pos starts at
 * 0. Returns 1 with the property in *id, *num (integers) or *a (strings,
 * binary; for a user property the key in *a and the value in *b), 0 at the
 * end, -1 if the block is not well formed (it never reads past len).
 */
int mqttp_property_next(const uint8_t *block, size_t len, size_t *pos,
                        uint8_t *id, uint32_t *num,
                        const uint8_t **a, uint16_t *alen,
                        const uint8_t **b, uint16_t *blen);

/* ------------------------------------------------------------------------
 * CONNECT
 * --------------------------------------------------------------------- */
struct mqttp_connect {
	uint8_t  version;       /* 3, 4, 5 */
	uint8_t  bridge;
	uint8_t  flags;         /* MQTTP_CF_* */
	uint8_t  will_qos;
	uint16_t keep_alive;
	struct mqttp_bytes protocol_name;
	struct mqttp_bytes client_id;
	struct mqttp_bytes will_topic;
	struct mqttp_bytes will_payload;
	struct mqttp_bytes username;
	struct mqttp_bytes password;
	struct mqttp_properties props;      /* 5.0 CONNECT properties */
	struct mqttp_properties will_props; /* 5.0 will properties */
};

/* Callbacks for mqttp_feed that fill a struct mqttp_connect / mqttp_connack
 * passed as ctx; zero the struct before the packet. The `ptr` members point
 * into the buffers given to mqttp_feed, so they are valid as long as the
 * caller keeps those buffers; `off`/`len` are always valid against the
 * packet's bytes. */
void mqttp_connect_collect(void *ctx, const struct mqttp_field *f);

/*
 * One-shot decoding of a whole CONNECT held in one buffer, every pointer
 * into buf; another packet type is MQTTP_E_FIRST_NOT_CONNECT. Returns
 * MQTTP_DONE (packet complete and valid, fields in *out, res->length =
 * packet length), MQTTP_NEED_MORE (buf is a strict prefix of a valid
 * packet) or MQTTP_ERROR (res->error, res->error_offset), as mqttp_feed
 * would with the same options. Bytes after the packet are not looked at.
 * opt may be NULL; res may not.
 */
enum mqttp_status mqttp_decode_connect(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connect *out,
                                       struct mqttp_result *res);

/* ------------------------------------------------------------------------
 * CONNECT rewriter
 * --------------------------------------------------------------------- */
/*
 * Rewrite the client identifier, user name and/or password of a CONNECT.
 *
 * mqttp_rewrite_connect() reads the CONNECT at in[0..in_len), checks it
 * with mqttp_decode_connect() and opt (so garbage is refused, never
 * rewritten; bytes after the CONNECT are not read), checks each new value
 * by the rules the parser applies to that field, and writes into
 * out[0..cap) the same CONNECT with the requested fields changed. Every
 * other byte is copied unchanged: the fixed header's first byte, protocol
 * name and level, keep alive, 5.0 properties, will properties, will topic
 * and payload, and the fields not asked for. The connect flags change only
 * in their user name / password bits, as the edits require. The remaining
 * length is re-encoded (always minimally, also when a lenient option let a
 * non-minimal one in).
 *
 * Edits (struct mqttp_rewrite, zero it for "keep everything"):
 *   MQTTP_RW_KEEP    the field as it is (absent stays absent);
 *   MQTTP_RW_SET     the field becomes value[0..len) (added when absent,
 *                    flag set); value may be NULL when len is 0;
 *   MQTTP_RW_REMOVE  user name / password: the field and its flag go.
 *                    Client id: it always exists, so REMOVE makes it
 *                    empty, under the empty-id rules below.
 *
 * Checks of the new values, each with the parser's error code:
 *   client id  UTF-8 (MQTTP_E_UTF8, _UTF8_NUL, _UTF8_CONTROL unless
 *              MQTTP_LENIENT_CONTROL_CHARS); empty only in 5.0 and in 3.1.1
 *              with clean session (MQTTP_E_CLIENT_ID_EMPTY); at most 23
 *              bytes in 3.1 unless MQTTP_LENIENT_V31_LONG_CLIENT_ID, at
 *              most opt->max_client_id_len, at most 65,535
 *              (MQTTP_E_CLIENT_ID_TOO_LONG);
 *   user name  UTF-8 as above; at most 65,535 bytes (MQTTP_E_PACKET_TOO_LARGE);
 *   password   any bytes; at most 65,535 (MQTTP_E_PACKET_TOO_LARGE);
 *   flags      in 3.1 / 3.1.1 a password without a user name (after the
 *              edits) is MQTTP_E_PASSWORD_FLAG unless
 *              MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME (reported on the
 *              user name edit when it removed the user name, else on the
 *              password edit);
 *   packet     the result over opt->max_packet_size or over the largest
 *              MQTT packet is MQTTP_E_PACKET_TOO_LARGE (field 0).
 * An op other than the three is MQTTP_E_PACKET_LENGTH, a NULL value with a
 * non-zero len MQTTP_E_TRUNCATED, on its field.
 *
 * Returns the length of the rewritten CONNECT, written to out when it is
 * <= cap; when it is > cap nothing is written (out is not touched) and
 * res->error is MQTTP_E_NONE: call again with that many bytes. Returns 0
 * on error, nothing written: res->error says why, res->field which new
 * value is at fault (MQTTP_F_CLIENT_ID, MQTTP_F_USERNAME, MQTTP_F_PASSWORD)
 * or 0 for the input packet / the result, res->error_offset the offending
 * byte (in the new value, or in the input packet as mqttp_decode_connect
 * reports it). An input that is a strict prefix of a valid CONNECT is
 * MQTTP_E_TRUNCATED at offset in_len. res->in_length is the input
 * CONNECT's length once it was read whole (0 otherwise).
 *
 * Never writes outside out[0..cap), never reads outside in[0..in_len) and
 * the values, allocates nothing. in and out must not overlap. out may be
 * NULL when cap is 0 (a size query). The result, fed to the parser with
 * the same options, is accepted with exactly the requested fields changed.
 * The size needed is at most in_len + 7 + the new values' lengths.
 */
enum mqttp_rw_op { MQTTP_RW_KEEP = 0, MQTTP_RW_SET = 1, MQTTP_RW_REMOVE = 2 };

struct mqttp_rw_field {
	uint8_t op;            /* enum mqttp_rw_op */
	const uint8_t *value;  /* MQTTP_RW_SET: the new bytes (caller's; read during the call only) */
	size_t len;
};

struct mqttp_rewrite {
	struct mqttp_rw_field client_id;
	struct mqttp_rw_field username;
	struct mqttp_rw_field password;
};

struct mqttp_rewrite_result {
	uint8_t  error;        /* enum mqttp_error; MQTTP_E_NONE on success */
	uint8_t  field;        /* MQTTP_F_CLIENT_ID / _USERNAME / _PASSWORD, or 0 */
	uint32_t error_offset; /* offending byte of that value, or of the input */
	uint32_t in_length;    /* length of the input CONNECT */
};

size_t mqttp_rewrite_connect(const void *in, size_t in_len,
                             const struct mqttp_options *opt,
                             const struct mqttp_rewrite *rw,
                             void *out, size_t cap,
                             struct mqttp_rewrite_result *res);

/* ------------------------------------------------------------------------
 * CONNACK
 * --------------------------------------------------------------------- */
struct mqttp_connack {
	uint8_t session_present;
	uint8_t flags;
	uint8_t reason_code;
	struct mqttp_properties props;
};

/* As mqttp_connect_collect, for a struct mqttp_connack. */
void mqttp_connack_collect(void *ctx, const struct mqttp_field *f);

/* As mqttp_decode_connect, for a CONNACK (another packet type is
 * MQTTP_E_FIRST_NOT_CONNACK). */
enum mqttp_status mqttp_decode_connack(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connack *out,
                                       struct mqttp_result *res);

/*
 * Write a CONNACK for `version` (3 or 4: 3.1.1 format with return_code;
 * 5: reason_code and, when non-NULL, a Reason String and a Server
 * Reference property). A refusal never carries session present.
 * Returns the bytes written, or 0 when cap is too small or an argument is
 * invalid (return code > 5, unknown 5.0 reason code, strings over 65535
 * bytes). Never writes past cap.
 */
size_t mqttp_encode_connack(uint8_t *buf, size_t cap, unsigned version,
                            int session_present, unsigned return_code,
                            unsigned reason_code,
                            const char *reason_string, size_t reason_string_len,
                            const char *server_reference, size_t server_reference_len);

/* The 3.1.1 return code that best matches a 5.0 CONNACK reason code
 * (0x00 -> 0, 0x84 -> 1, 0x85 -> 2, 0x86/0x8C -> 4, 0x87/0x8A -> 5,
 * server-side conditions -> 3). -1 when 3.1.1 has no equivalent (0x81
 * malformed, 0x82 protocol error, 0x90, 0x95, 0x99, 0x9A, 0x9B: a 3.1.1
 * broker closes the connection instead) or the code is not a CONNACK
 * code. */
int mqttp_reason_to_return_code(unsigned reason_code);
/* Name of a 5.0 CONNACK reason code ("not_authorized"); NULL if unknown. */
const char *mqttp_reason_code_name(unsigned reason_code);
/* Is `code` a valid CONNACK reason code (version 5) or return code (any
 * other version: 0..5)? */
int mqttp_connack_code_valid(unsigned version, unsigned code);

/* ------------------------------------------------------------------------
 * PUBLISH
 * --------------------------------------------------------------------- */
struct mqttp_publish {
	uint8_t  qos;                        /* 0, 1, 2 */
	uint8_t  retain;
	uint8_t  dup;
	uint8_t  payload_format_indicator;   /* 0x01 */
	uint16_t packet_id;                  /* QoS 1 and 2; 0 with QoS 0 */
	uint16_t topic_alias;                /* 0x23; 0 when absent */
	uint32_t message_expiry_interval;    /* 0x02 */
	uint32_t subscription_identifier;    /* 0x0B: the first one */
	uint32_t subscription_identifier_count; /* the others: mqttp_property_next */
	uint32_t user_property_count;        /* 0x26: mqttp_property_next */
	uint64_t present;                    /* bit N: property id N was seen */
	struct mqttp_bytes topic;            /* empty when a Topic Alias stands
	                                        for it (mqttp_alias_publish) */
	struct mqttp_bytes content_type;     /* 0x03 */
	struct mqttp_bytes response_topic;   /* 0x08 */
	struct mqttp_bytes correlation_data; /* 0x09 */
	struct mqttp_bytes props;            /* the raw property block (5.0) */
	struct mqttp_bytes payload;          /* the rest of the packet, maybe empty */
};

/* As mqttp_connect_collect, for a struct mqttp_publish: every field that
 * comes as an event (the payload's off/len from its first piece, its ptr
 * only when it came whole). qos, retain and dup are the fixed header's:
 * the parser's header_flags. */
void mqttp_publish_collect(void *ctx, const struct mqttp_field *f);

/*
 * One-shot decoding of a whole PUBLISH held in one buffer, every field
 * into *out with every pointer into buf. The packet is read as one in the
 * middle of a stream: opt->version says which version (5: properties;
 * any other value: none), opt->checks the direction (a client's PUBLISH
 * carries no Subscription Identifier [MQTT-3.3.4-6]), and the rules of a
 * stream's first packet do not apply. Another packet type is
 * MQTTP_E_DIRECTION at byte 0 (res->type says which). Returns and
 * results as mqttp_decode_connect. A Topic Alias is reported, not
 * resolved: give topic and topic_alias to mqttp_alias_publish().
 */
enum mqttp_status mqttp_decode_publish(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_publish *out,
                                       struct mqttp_result *res);

/* ------------------------------------------------------------------------
 * Topic names, topic filters, shared subscriptions, matching
 * --------------------------------------------------------------------- */
/* A topic filter taken apart (every pointer into the caller's bytes). */
struct mqttp_filter {
	const uint8_t *filter;  /* the filter that topics match against: the
	                           inner filter of a shared subscription */
	size_t filter_len;
	const uint8_t *share;   /* the ShareName of "$share/<name>/<filter>",
	                           NULL when the subscription is not shared */
	size_t share_len;
};

/*
 * Check a topic filter of a SUBSCRIBE / UNSUBSCRIBE and take it apart:
 * UTF-8 as every MQTT string (no U+0000; control characters only with
 * MQTTP_LENIENT_CONTROL_CHARS in lenient) [MQTT-1.5.4], not empty
 * [MQTT-4.7.3-1], '#' alone in the last level [MQTT-4.7.1-1], '+' alone
 * in its level [MQTT-4.7.1-2]; "$share/<name>/<filter>" with a name of at
 * least one character and no '/', '+' or '#' and a non-empty filter after
 * it [MQTT-4.8.2-1/2]. Returns MQTTP_E_NONE with *out set (out may be
 * NULL), or MQTTP_E_UTF8 / _UTF8_NUL / _UTF8_CONTROL / MQTTP_E_TOPIC_FILTER
 * / MQTTP_E_SHARE_NAME, with *at (may be NULL) the byte that reveals the
 * error (the '+' of "a+", the 'b' of "+b"; len when the filter ends too
 * early), as a decoder fed byte by byte finds it.
 */
enum mqttp_error mqttp_filter_parse(const void *f, size_t len, unsigned lenient,
                                    struct mqttp_filter *out, size_t *at);

/* Check a topic name as a PUBLISH carries it: UTF-8 as above, no wildcard
 * [MQTT-3.3.2-2], not empty [MQTT-4.7.3-1]. MQTTP_E_NONE or the error
 * (MQTTP_E_TOPIC_NAME for an empty one or a wildcard), *at as above. */
enum mqttp_error mqttp_topic_check(const void *t, size_t len, unsigned lenient, size_t *at);

/*
 * Does the topic name t match the topic filter f [MQTT-4.7]? '+' matches
 * one level, '#' any number of trailing levels including the parent
 * ("a/#" matches "a"); a filter starting with a wildcard does not match a
 * topic starting with '$' [MQTT-4.7.2-1]; a shared subscription matches by
 * its inner filter. Returns 1 or 0 (0 also when f is not a valid filter or
 * t not a valid topic name by the two checks above, strict). Time linear
 * in flen + tlen.
 */
int mqttp_topic_match(const void *f, size_t flen, const void *t, size_t tlen);

/* ------------------------------------------------------------------------
 * Topic aliases (5.0)
 * --------------------------------------------------------------------- */
/*
 * The topic aliases one direction of a connection has bound [MQTT-3.3.2.3.4],
 * in memory the caller gives: a slot per alias (1 .. max) and an arena for
 * the topics' bytes. A proxy that cannot remember every topic a peer may
 * bind forwards a lower Topic Alias Maximum, and gives an arena of at least
 * max * the longest topic it accepts (a smaller one may fill:
 * MQTTP_E_TOPIC_ALIAS_FULL). Not thread-safe per map, like a parser.
 */
struct mqttp_alias_slot {
	uint32_t priv_off;      /* private */
	uint16_t priv_len;
	uint8_t  priv_bound;
};
struct mqttp_alias_map {
	uint16_t max;           /* read-only: the Topic Alias Maximum in force */
	uint16_t bound;         /* read-only: aliases bound now */
	/* private */
	struct mqttp_alias_slot *priv_slots;
	uint8_t *priv_arena;
	uint32_t priv_arena_len;
	uint32_t priv_used;
};

/* Start an empty map for aliases 1 .. max: slots[0 .. max) and
 * arena[0 .. arena_len) stay the caller's and must outlive the map. */
void mqttp_alias_init(struct mqttp_alias_map *m, uint16_t max, struct mqttp_alias_slot *slots,
                      uint8_t *arena, size_t arena_len);
/* Forget every binding (a new connection), keep the memory and max. */
void mqttp_alias_reset(struct mqttp_alias_map *m);

/*
 * Apply a PUBLISH's topic name t[0 .. tlen) and Topic Alias (has_alias,
 * alias) as a receiver does [MQTT-3.3.2-8 .. -12]: an alias of 0 or above
 * max is MQTTP_E_TOPIC_ALIAS; a topic with an alias binds it (again) to
 * that topic, as the sender sent it; an empty topic takes the alias's
 * topic, and an empty topic without an alias or with an alias never bound
 * is MQTTP_E_TOPIC_ALIAS_UNKNOWN (a protocol error, 0x82); a topic that
 * the arena cannot hold is MQTTP_E_TOPIC_ALIAS_FULL. An error leaves the
 * map, *topic and *topic_len unchanged. With MQTTP_E_NONE, *topic /
 * *topic_len is the resolved topic: t itself, or bytes of the arena, valid
 * until the next call that binds an alias (binding moves the arena's
 * bytes) or a reset. t must not point into the map's arena. The topic
 * name's own checks are the parser's (mqttp_topic_check).
 */
enum mqttp_error mqttp_alias_publish(struct mqttp_alias_map *m, const uint8_t *t, size_t tlen,
                                     int has_alias, uint32_t alias,
                                     const uint8_t **topic, size_t *topic_len);

/* ------------------------------------------------------------------------
 * Answers a broker (or a proxy speaking for one) gives
 * --------------------------------------------------------------------- */
/*
 * Each encoder writes one packet into buf[0 .. cap) and returns its
 * length, or 0 when cap is too small or an argument is not allowed, with
 * nothing written past cap: version 3 / 4 (3.1 / 3.1.1: no reason code
 * beyond what the packet has there, no properties) or 5; a reason code
 * the packet type may not carry in that version (mqttp_reason_code_allowed);
 * packet identifier 0; strings over 65,535 bytes or not valid UTF-8 (no
 * U+0000, no control character). A string is absent when its pointer is
 * NULL (its length must then be 0), and must be absent before 5.0. A 5.0
 * packet with reason code 0 and no property takes its short form; with
 * another code and no property it leaves the property length out.
 */
/* PUBACK, PUBREC, PUBREL or PUBCOMP (type MQTTP_PUBACK .. MQTTP_PUBCOMP),
 * with an optional Reason String (5.0). */
size_t mqttp_encode_ack(void *buf, size_t cap, unsigned version, unsigned type, uint16_t packet_id,
                        unsigned reason_code, const char *reason_string, size_t reason_string_len);
/* SUBACK with one code per filter (n >= 1; 3.1.1: 0x00, 0x01, 0x02, 0x80). */
size_t mqttp_encode_suback(void *buf, size_t cap, unsigned version, uint16_t packet_id,
                           const uint8_t *codes, size_t n,
                           const char *reason_string, size_t reason_string_len);
/* UNSUBACK: 5.0 with one code per filter (n >= 1); 3.1 / 3.1.1 with none
 * (n == 0). */
size_t mqttp_encode_unsuback(void *buf, size_t cap, unsigned version, uint16_t packet_id,
                             const uint8_t *codes, size_t n,
                             const char *reason_string, size_t reason_string_len);
/* DISCONNECT: 5.0 with a reason code, Reason String and Server Reference
 * (each optional); 3.1 / 3.1.1 only reason 0, no strings (E0 00: a 3.1.1
 * server sends none; a proxy may still close after it). */
size_t mqttp_encode_disconnect(void *buf, size_t cap, unsigned version, unsigned reason_code,
                               const char *reason_string, size_t reason_string_len,
                               const char *server_reference, size_t server_reference_len);

/* May a packet of this type (MQTTP_CONNACK, MQTTP_PUBACK .. MQTTP_PUBCOMP,
 * MQTTP_SUBACK, MQTTP_UNSUBACK, MQTTP_DISCONNECT, MQTTP_AUTH) carry this
 * reason / return code in this version (MQTT 5.0 section 2.4 and each
 * packet's own list; 3.1 / 3.1.1: CONNACK 0..5, SUBACK 0x00-0x02 and, in
 * 3.1.1, 0x80; the PUB* acknowledgements, UNSUBACK and DISCONNECT carry
 * no code, so only 0, the success they stand for)? 1 or 0. */
int mqttp_reason_code_allowed(unsigned version, unsigned type, unsigned code);
/* The spec's name of a 5.0 reason code as a packet of this type uses it
 * ("granted_qos_1" in a SUBACK, "normal_disconnection" in a DISCONNECT,
 * "success" elsewhere for 0x00); NULL when the type may not carry it. */
const char *mqttp_reason_code_name_in(unsigned type, unsigned code);

#ifdef __cplusplus
}
#endif
#endif /* MQTTCODEC_H */
