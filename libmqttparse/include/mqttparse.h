/*
 * mqttparse.h - libmqttparse: an incremental, allocation-free MQTT parser.
 *
 * What it does
 *   Checks a stream of MQTT 3.1 ("MQIsdp"/3), 3.1.1 ("MQTT"/4) and 5.0
 *   ("MQTT"/5) control packets by every rule of the specifications: the
 *   fixed header of every packet, the whole of CONNECT (with the mosquitto
 *   bridge bit 0x80 of the protocol level) and CONNACK; PUBLISH (topic name,
 *   packet identifier, 5.0 properties, the payload in pieces); 5.0 PUBACK,
 *   PUBREC, PUBREL, PUBCOMP, DISCONNECT and AUTH (reason code, properties);
 *   SUBSCRIBE and UNSUBSCRIBE (topic filters, subscription options, shared
 *   subscriptions), SUBACK and UNSUBACK (reason codes). While the version
 *   is unknown (no CONNECT seen, no options.version) what follows a packet
 *   identifier is framed only. Input may be cut anywhere: feeding a packet one byte at a time
 *   gives exactly the result of feeding it in one call (status, error,
 *   offsets, every field), and work is proportional to the new bytes.
 *
 * What it never does
 *   - allocate memory, do I/O or system calls, print, block, or use a
 *     mutable global: every function is reentrant and thread-safe as long as
 *     one parser is not used by two threads at once;
 *   - read outside [data, data + len) of the buffer it is given;
 *   - keep a pointer to caller memory after a call returns, or copy field
 *     data.
 *
 * Model
 *   A `struct mqttp_parser` (caller-owned, at most MQTTP_PARSER_SIZE bytes,
 *   no pointer inside) follows one direction of one connection. mqttp_feed()
 *   consumes bytes up to the end of the current packet and returns
 *     MQTTP_DONE      a whole, valid packet ended (*consumed tells where);
 *                     call again with the rest;
 *     MQTTP_NEED_MORE every byte was consumed and the packet so far is a
 *                     valid prefix; call again when more bytes arrive;
 *     MQTTP_ERROR     the packet is invalid: p->error says why and
 *                     p->error_offset at which byte. Sticky until mqttp_reset().
 *   Fields go to an optional callback as soon as their bytes are seen and
 *   checked; the packet's verdict comes only with MQTTP_DONE. The client
 *   identifier, protocol version, connect flags and keep alive are also kept
 *   in the parser (MQTTP_HAVE_*). Offsets are counted from the packet's first
 *   byte (its type byte), as uint32_t: a packet is at most 268,435,460 bytes.
 *
 * Usage: a proxy checking what a client sends
 *   struct mqttp_options o;
 *   struct mqttp_parser p;
 *   mqttp_options_default(&o);
 *   o.checks = MQTTP_CHECK_FROM_CLIENT;
 *   mqttp_init(&p, &o);
 *   for each buffer (buf, n) read from the client:
 *       while (n > 0) {
 *           size_t used;
 *           enum mqttp_status st = mqttp_feed(&p, buf, n, &used, NULL, NULL);
 *           buf += used, n -= used;
 *           if (st == MQTTP_NEED_MORE)
 *               break;
 *           if (st == MQTTP_ERROR) {
 *               send mqttp_encode_refusal(&p, out, sizeof(out)) bytes of out,
 *               log mqttp_error_name(p.error), close the connection;
 *           }
 *           a packet of type p.type ended: forward it
 *       }
 *
 * Where the rest is
 *   mqttcodec.h  fields into structs (CONNECT, CONNACK, PUBLISH, 5.0 properties),
 *                one-shot decoders, encoders and the CONNECT rewriter;
 *   mqttws.h     MQTT over WebSocket.
 */
#ifndef MQTTPARSE_H
#define MQTTPARSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MQTTP_VERSION_MAJOR 1
#define MQTTP_VERSION_MINOR 0
#define MQTTP_VERSION_PATCH 0
#define MQTTP_VERSION_STRING "1.0.0"

/* The library's version string, for run-time checks ("1.0.0"). */
const char *mqttp_version(void);

/* ------------------------------------------------------------------------
 * Packet types and constants
 * --------------------------------------------------------------------- */
enum mqttp_type {
	MQTTP_CONNECT = 1, MQTTP_CONNACK = 2, MQTTP_PUBLISH = 3,
	MQTTP_PUBACK = 4, MQTTP_PUBREC = 5, MQTTP_PUBREL = 6,
	MQTTP_PUBCOMP = 7, MQTTP_SUBSCRIBE = 8, MQTTP_SUBACK = 9,
	MQTTP_UNSUBSCRIBE = 10, MQTTP_UNSUBACK = 11, MQTTP_PINGREQ = 12,
	MQTTP_PINGRESP = 13, MQTTP_DISCONNECT = 14, MQTTP_AUTH = 15
};

/* "CONNECT", "CONNACK", ...; "RESERVED" for 0 and anything above 15. */
const char *mqttp_type_name(unsigned type);

/* Protocol versions as carried in the protocol level byte. */
#define MQTTP_V31  3 /* MQTT 3.1, protocol name "MQIsdp" */
#define MQTTP_V311 4 /* MQTT 3.1.1, protocol name "MQTT" */
#define MQTTP_V5   5 /* MQTT 5.0, protocol name "MQTT" */

/* CONNECT flags byte. */
#define MQTTP_CF_RESERVED      0x01
#define MQTTP_CF_CLEAN_START   0x02 /* "clean session" before 5.0 */
#define MQTTP_CF_WILL          0x04
#define MQTTP_CF_WILL_QOS_MASK 0x18
#define MQTTP_CF_WILL_RETAIN   0x20
#define MQTTP_CF_PASSWORD      0x40
#define MQTTP_CF_USERNAME      0x80

#define MQTTP_MAX_REMAINING_LENGTH 268435455u

/* ------------------------------------------------------------------------
 * Errors
 * --------------------------------------------------------------------- */
enum mqttp_error {
	MQTTP_E_NONE = 0,
	/* fixed header / framing */
	MQTTP_E_RESERVED_TYPE,        /* packet type 0, or 15 (AUTH) before 5.0 */
	MQTTP_E_HEADER_FLAGS,         /* fixed header flags not as required */
	MQTTP_E_PUBLISH_QOS,          /* PUBLISH with QoS 3 */
	MQTTP_E_PUBLISH_DUP,          /* PUBLISH with DUP set and QoS 0 */
	MQTTP_E_LENGTH_TOO_LONG,      /* variable byte integer over 4 bytes */
	MQTTP_E_LENGTH_NOT_MINIMAL,   /* variable byte integer not minimally encoded */
	MQTTP_E_PACKET_TOO_LARGE,     /* over the configured maximum packet size */
	MQTTP_E_FIRST_NOT_CONNECT,    /* first packet of a client is not CONNECT */
	MQTTP_E_FIRST_NOT_CONNACK,    /* first packet of a server is not CONNACK (or AUTH) */
	MQTTP_E_SECOND_CONNECT,       /* a client sent CONNECT twice */
	MQTTP_E_DIRECTION,            /* packet type never sent in this direction */
	MQTTP_E_PACKET_LENGTH,        /* remaining length wrong for this type */
	MQTTP_E_TRUNCATED,            /* a field runs past the end of the packet */
	MQTTP_E_TRAILING_BYTES,       /* bytes left after the last field */
	/* strings */
	MQTTP_E_UTF8,                 /* ill-formed UTF-8 (overlong, surrogate, > U+10FFFF) */
	MQTTP_E_UTF8_NUL,             /* U+0000 in a string */
	MQTTP_E_UTF8_CONTROL,         /* U+0001-U+001F or U+007F-U+009F (strict policy) */
	/* CONNECT */
	MQTTP_E_PROTOCOL_NAME,        /* not "MQTT" / "MQIsdp" */
	MQTTP_E_PROTOCOL_VERSION,     /* unsupported protocol level, or name/level mismatch */
	MQTTP_E_CONNECT_RESERVED,     /* reserved connect flag set */
	MQTTP_E_WILL_QOS,             /* will QoS 3 */
	MQTTP_E_WILL_FLAGS,           /* will QoS / retain without the will flag */
	MQTTP_E_PASSWORD_FLAG,        /* password without user name (3.1, 3.1.1) */
	MQTTP_E_CLIENT_ID_EMPTY,      /* empty client id not allowed here */
	MQTTP_E_CLIENT_ID_TOO_LONG,   /* over the limit (23 in 3.1, or configured) */
	/* properties (5.0) */
	MQTTP_E_PROPERTY_ID,          /* unknown property identifier (malformed) */
	MQTTP_E_PROPERTY_NOT_ALLOWED, /* a defined property not allowed in this packet */
	MQTTP_E_PROPERTY_DUPLICATE,   /* a single-valued property repeated */
	MQTTP_E_PROPERTY_VALUE,       /* value out of range (e.g. receive maximum 0) */
	MQTTP_E_PROPERTY_LENGTH,      /* property length past the packet, or value past it */
	MQTTP_E_AUTH_DATA_WITHOUT_METHOD,
	MQTTP_E_TOO_MANY_USER_PROPERTIES, /* over the configured cap */
	MQTTP_E_WILL_TOPIC,           /* will topic with a wildcard, or empty (a response
	                                 topic property is MQTTP_E_PROPERTY_VALUE) */
	/* CONNACK */
	MQTTP_E_CONNACK_FLAGS,        /* reserved acknowledge flags set */
	MQTTP_E_REASON_CODE,          /* return / reason code not defined for this packet type */
	MQTTP_E_SESSION_PRESENT,      /* session present with a refusal */
	/* PUBLISH (variable header only; properties and payload are framed) */
	MQTTP_E_TOPIC_NAME,           /* empty (before 5.0), wildcard or bad UTF-8 topic */
	MQTTP_E_PACKET_ID,            /* packet identifier 0 (PUBLISH with QoS > 0, acknowledgements) */
	/* topic filters and topic aliases (mqttcodec.h) */
	MQTTP_E_TOPIC_FILTER,         /* empty filter, or a wildcard not alone in its level, '#' not last */
	MQTTP_E_SHARE_NAME,           /* $share/ without a share name or filter, or a share name with / + # */
	MQTTP_E_TOPIC_ALIAS,          /* topic alias 0 or above the Topic Alias Maximum (v5 0x94) */
	MQTTP_E_TOPIC_ALIAS_UNKNOWN,  /* empty topic name without an alias, or with one never bound */
	MQTTP_E_TOPIC_ALIAS_FULL,     /* the alias map's memory cannot hold this topic */
	MQTTP_E_AUTH_METHOD,          /* AUTH properties without an authentication method */
	MQTTP_E_SUBSCRIBE_RESERVED,   /* reserved bits of subscription options set (3.x: or QoS 3) */
	MQTTP_E_SUBSCRIPTION_OPTIONS, /* 5.0: QoS 3, retain handling 3, No Local on a shared subscription */
	MQTTP_E_EMPTY_LIST,           /* SUBSCRIBE, UNSUBSCRIBE, SUBACK, 5.0 UNSUBACK without an entry */
	MQTTP_E__COUNT
};

/* How a broker classifies an error; decides what it answers. */
enum mqttp_error_class {
	MQTTP_EC_NONE = 0,
	MQTTP_EC_MALFORMED,          /* v5 0x81; 3.1.1: close without CONNACK */
	MQTTP_EC_PROTOCOL_ERROR,     /* v5 0x82; 3.1.1: close without CONNACK */
	MQTTP_EC_UNSUPPORTED_VERSION,/* v5 0x84; 3.1.1: return code 1 */
	MQTTP_EC_CLIENT_ID,          /* v5 0x85; 3.1.1: return code 2 */
	MQTTP_EC_TOO_LARGE,          /* v5 0x95; 3.1.1: close */
	MQTTP_EC_LIMIT,              /* v5 0x83 (implementation specific); 3.1.1: close */
	MQTTP_EC_TOPIC_ALIAS         /* v5 0x94 (topic alias invalid); 3.1.1: close */
};

/* "MQTTP_E_UTF8" style name, and a one-line human reason. Never NULL. */
const char *mqttp_error_name(enum mqttp_error e);
const char *mqttp_error_reason(enum mqttp_error e);
enum mqttp_error_class mqttp_error_class(enum mqttp_error e);
/* CONNACK return code a 3.1 / 3.1.1 broker answers (1, 2), or -1: close
 * the connection without a CONNACK. */
int mqttp_error_return_code(enum mqttp_error e);
/* Reason code a 5.0 broker answers (in a CONNACK for a CONNECT's error,
 * else in a DISCONNECT: 0x81 ...), or -1 for MQTTP_E_NONE. */
int mqttp_error_reason_code(enum mqttp_error e);

/* ------------------------------------------------------------------------
 * Options. Strict by default: every relaxation is an opt-in flag.
 * --------------------------------------------------------------------- */
enum mqttp_lenient {
	/* Accept non-minimal variable byte integers (e.g. 0x80 0x00 for 0) in
	 * the remaining length of 3.1/3.1.1 packets. 3.1.1 has no MUST here,
	 * but two parsers may then disagree on where a packet ends. Never
	 * applies to 5.0 ([MQTT-1.5.5-1]). */
	MQTTP_LENIENT_NON_MINIMAL_LENGTH = 1u << 0,
	/* Accept U+0001-U+001F and U+007F-U+009F in strings (a SHOULD NOT in
	 * the spec; mosquitto rejects them). Risk: log injection, terminal
	 * escapes in anything that prints client ids. */
	MQTTP_LENIENT_CONTROL_CHARS = 1u << 1,
	/* Accept "MQTT" with level 3, "MQIsdp" with level 4/5 and a protocol
	 * name in any letter case, as HAProxy's converter does. Risk: the
	 * broker may judge the version differently from the balancer. */
	MQTTP_LENIENT_PROTOCOL_NAME = 1u << 2,
	/* Accept non-zero fixed header flags on a 3.1 CONNECT (old clients
	 * send QoS bits there; mosquitto accepts it). */
	MQTTP_LENIENT_V31_HEADER_FLAGS = 1u << 3,
	/* Accept a password without a user name in 3.1 / 3.1.1
	 * ([MQTT-3.1.2-22] forbids it). */
	MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME = 1u << 4,
	/* Accept 3.1 client ids over 23 bytes (most brokers do). */
	MQTTP_LENIENT_V31_LONG_CLIENT_ID = 1u << 5,
	MQTTP_LENIENT_ALL = (1u << 6) - 1
};
/* Names of the lenient flags ("non-minimal-length", "control-chars",
 * "protocol-name", "v31-header-flags", "password-without-username",
 * "v31-long-client-id"); mqttp_lenient_by_name returns 0 when unknown. */
const char *mqttp_lenient_name(unsigned flag);
unsigned mqttp_lenient_by_name(const char *name, size_t len);

enum mqttp_check {
	/* The stream is client -> server: the first packet must be CONNECT
	 * [MQTT-3.1.0-1] (checked on its first byte, before trusting its
	 * length), a second CONNECT is refused [MQTT-3.1.0-2], and types a
	 * client never sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) are refused. */
	MQTTP_CHECK_FROM_CLIENT = 1u << 0,
	/* The stream is server -> client: CONNECT, SUBSCRIBE, UNSUBSCRIBE and
	 * PINGREQ are refused, and the first packet must be CONNACK (or AUTH). */
	MQTTP_CHECK_FROM_SERVER = 1u << 1,
	/* Refuse the mosquitto bridge bit (0x80) of the protocol level. */
	MQTTP_CHECK_NO_BRIDGE = 1u << 2
};

struct mqttp_options {
	uint32_t lenient;          /* MQTTP_LENIENT_* */
	uint32_t checks;           /* MQTTP_CHECK_* */
	uint32_t max_packet_size;  /* whole packet, header included; 0 = no limit */
	uint16_t max_client_id_len;/* bytes; 0 = no limit beyond the spec's */
	uint16_t max_user_properties; /* per packet; 0 = the default, 1024 */
	uint8_t  version;          /* protocol version if known (server side:
	                              the version of the client's CONNECT), else 0 */
};
#define MQTTP_DEFAULT_MAX_USER_PROPERTIES 1024


/* ------------------------------------------------------------------------
 * Field events
 * --------------------------------------------------------------------- */
enum mqttp_field_id {
	MQTTP_F_PROTOCOL_NAME = 1, /* string */
	MQTTP_F_PROTOCOL_LEVEL,    /* value: the raw level byte (bridge bit included) */
	MQTTP_F_CONNECT_FLAGS,     /* value */
	MQTTP_F_KEEP_ALIVE,        /* value */
	MQTTP_F_PROPERTIES,        /* a packet's property block: off, len (value = len) */
	MQTTP_F_PROPERTY,          /* one property: prop_id, value or bytes */
	MQTTP_F_CLIENT_ID,         /* string */
	MQTTP_F_WILL_PROPERTIES,   /* will property block: off, len */
	MQTTP_F_WILL_PROPERTY,     /* one will property */
	MQTTP_F_WILL_TOPIC,        /* string */
	MQTTP_F_WILL_PAYLOAD,      /* binary */
	MQTTP_F_USERNAME,          /* string */
	MQTTP_F_PASSWORD,          /* binary */
	MQTTP_F_CONNACK_FLAGS,     /* value */
	MQTTP_F_REASON_CODE,       /* value: 3.1.1 return code or 5.0 reason code */
	MQTTP_F_TOPIC_NAME,        /* PUBLISH topic name (string) */
	MQTTP_F_PACKET_ID,         /* packet identifier (value): PUBLISH, 5.0 acknowledgements */
	MQTTP_F_PAYLOAD,           /* PUBLISH payload (binary, in pieces as it arrives; an
	                              empty one is one event with len 0 and frag NULL) */
	MQTTP_F_TOPIC_FILTER,      /* SUBSCRIBE / UNSUBSCRIBE topic filter (string) */
	MQTTP_F_SUBSCRIPTION_OPTIONS /* SUBSCRIBE: the options byte after a filter (value) */
};

/* Fragment flags. */
#define MQTTP_FRAG_FIRST 0x01 /* first fragment of the value */
#define MQTTP_FRAG_LAST  0x02 /* last fragment: the value is complete and checked */

/*
 * One event. Integers (value fields, byte/u16/u32/VBI properties) come as
 * one event with FIRST|LAST set and `value` filled. Strings and binary data
 * come as one or more fragments in order, as the bytes arrive; a value that
 * lies whole inside one call's buffer comes as a single fragment with
 * FIRST|LAST, so `frag` then points to the whole value (zero-copy). An empty
 * value is one event with FIRST|LAST and frag_len 0: absent fields produce
 * no event, so absent and empty are distinguishable. A string fragment has
 * been UTF-8 checked up to its last whole character; LAST is only sent once
 * the whole string is known to be valid.
 * For a user property (0x26) the key comes first (pair_part 0), then the
 * value (pair_part 1), each as its own series of fragments.
 */
struct mqttp_field {
	uint8_t  id;        /* enum mqttp_field_id */
	uint8_t  prop_id;   /* MQTTP_F_PROPERTY / MQTTP_F_WILL_PROPERTY: the id */
	uint8_t  pair_part; /* user property: 0 = key, 1 = value */
	uint8_t  flags;     /* MQTTP_FRAG_* */
	uint32_t value;     /* integer value, or the value's total length */
	uint32_t off;       /* offset of the value's first byte in the packet */
	uint32_t len;       /* total length of the value in bytes (0 for integers) */
	const uint8_t *frag;/* this fragment's bytes, valid during the callback only */
	uint32_t frag_off;  /* offset of frag within the value */
	uint32_t frag_len;
};
typedef void (*mqttp_field_cb)(void *ctx, const struct mqttp_field *f);

/* ------------------------------------------------------------------------
 * The parser
 * --------------------------------------------------------------------- */
enum mqttp_status {
	MQTTP_ERROR = -1,
	MQTTP_NEED_MORE = 0,
	MQTTP_DONE = 1
};

/* What a parser has learnt of the current packet (p->have). */
#define MQTTP_HAVE_HEADER       0x0001 /* type, header_flags, remaining_length, header_len */
#define MQTTP_HAVE_VERSION      0x0002 /* version, bridge (CONNECT: protocol level seen) */
#define MQTTP_HAVE_FLAGS        0x0004 /* connect_flags checked */
#define MQTTP_HAVE_KEEP_ALIVE   0x0008 /* keep_alive */
#define MQTTP_HAVE_CLIENT_ID    0x0010 /* client_id_off / client_id_len, UTF-8 checked */
#define MQTTP_HAVE_CONNACK      0x0020 /* connack_flags, reason_code */

/*
 * The parser state. The caller owns it (stack, struct member, array); it
 * holds no pointer. Fields marked "read-only" may be read at any time;
 * the others are private.
 */
struct mqttp_parser {
	/* read-only: the current (or last finished) packet */
	uint32_t remaining_length;
	uint32_t offset;          /* bytes of this packet consumed so far */
	uint32_t error_offset;    /* with MQTTP_ERROR: the offending byte */
	uint32_t client_id_off;   /* MQTTP_HAVE_CLIENT_ID */
	uint32_t packets;         /* packets completed on this stream */
	uint16_t client_id_len;
	uint16_t keep_alive;      /* MQTTP_HAVE_KEEP_ALIVE */
	uint16_t have;            /* MQTTP_HAVE_* */
	uint16_t user_properties; /* user properties seen in this packet */
	uint8_t  type;            /* enum mqttp_type, 0 before the first byte */
	uint8_t  header_flags;    /* low nibble of the first byte */
	uint8_t  header_len;      /* 2..5 once MQTTP_HAVE_HEADER */
	uint8_t  version;         /* protocol level without the bridge bit once
	                             MQTTP_HAVE_VERSION: 3, 4, 5 (another value
	                             only with MQTTP_E_PROTOCOL_VERSION) */
	uint8_t  bridge;          /* 1 when the protocol level had bit 0x80 */
	uint8_t  connect_flags;   /* MQTTP_CF_* */
	uint8_t  connack_flags;
	uint8_t  reason_code;     /* CONNACK; 5.0 PUBACK .. PUBCOMP, DISCONNECT, AUTH */
	uint8_t  error;           /* enum mqttp_error */
	int8_t   status;          /* enum mqttp_status of the last call */

	/* private: the priv_* fields belong to the library; never read or
	 * write them (they change between releases) */
	uint8_t  priv_st;              /* state machine step */
	uint8_t  priv_sub;             /* step within an element */
	uint8_t  priv_elem;            /* element kind being read */
	uint8_t  priv_prop_id;
	uint8_t  priv_in_props;        /* 0, 1 (packet properties), 2 (will properties) */
	uint8_t  priv_utf8_need;       /* continuation bytes still expected */
	uint8_t  priv_utf8_lo, priv_utf8_hi;/* allowed range of the next continuation byte */
	uint8_t  priv_nbytes;          /* bytes of the current integer read */
	uint8_t  priv_hflags;          /* private flags */
	uint8_t  priv_pst;             /* property block step */
	uint16_t priv_max_client_id_len;
	uint16_t priv_max_user_properties;
	uint8_t  priv_lenient;
	uint8_t  priv_checks;
	uint8_t  priv_opt_version;     /* options.version, kept by mqttp_reset */
	uint32_t priv_max_packet_size;
	uint32_t priv_acc;             /* integer being read */
	uint32_t priv_cp;              /* code point being read */
	uint32_t priv_left;            /* bytes left in the current value */
	uint32_t priv_props_left;      /* bytes left in the property block */
	uint32_t priv_fld_off;         /* offset of the current value */
	uint32_t priv_fld_len;
	uint32_t priv_prop_off;        /* offset of the current property's id */
	uint64_t priv_props_seen;      /* single-valued property ids seen */
	uint8_t  priv_filter_st;       /* topic filter syntax state (src/topic.h) */
	uint8_t  priv_filter_pre;
};

/* The parser's size is part of the ABI; it never exceeds this. */
#define MQTTP_PARSER_SIZE 128

/* Initialise for a new stream. opt may be NULL (strict defaults). */
void mqttp_init(struct mqttp_parser *p, const struct mqttp_options *opt);
/* Forget the stream's history and any error, keep the options. */
void mqttp_reset(struct mqttp_parser *p);
/* Options with every field at its default. */
void mqttp_options_default(struct mqttp_options *opt);

/*
 * Feed up to len bytes. Stops at the end of a packet. *consumed (never
 * NULL) receives the number of bytes used. cb may be NULL.
 * data may be NULL when len is 0; a zero-length call changes nothing and
 * returns MQTTP_NEED_MORE (MQTTP_ERROR once an error is sticky): a packet
 * only ends on a byte.
 * After MQTTP_DONE the next call starts the next packet; after
 * MQTTP_ERROR every call returns MQTTP_ERROR and consumes nothing.
 * With MQTTP_ERROR, *consumed counts the bytes read before the error was
 * found (the offending byte of a string excluded); like everything else it
 * does not depend on the chunking.
 */
enum mqttp_status mqttp_feed(struct mqttp_parser *p, const void *data,
                             size_t len, size_t *consumed,
                             mqttp_field_cb cb, void *ctx);

/* ------------------------------------------------------------------------
 * Answering a client whose CONNECT is refused
 * --------------------------------------------------------------------- */
/*
 * The CONNACK format a broker answers this client in: 4 for the 3.1/3.1.1
 * format (20 02 flags rc), 5 for the 5.0 format, 0 when the protocol level
 * has not been read (the only answer is to close). Level 5 gets the 5.0
 * format; every other level, unknown ones included (2, 6, ...), the 3.1.1
 * format, as 3.1.1 requires [MQTT-3.1.2-2] and as mosquitto 2.0 answers.
 * The bridge bit is ignored.
 */
unsigned mqttp_connack_version(const struct mqttp_parser *p);

/*
 * Write the CONNACK a broker would answer to the CONNECT that put p in
 * error (return code 1/2 for 3.1.1, reason code 0x81.. for 5.0). Returns
 * the bytes written, or 0 when the right answer is to close without a
 * CONNACK (3.1.1 malformed packet, error before the protocol level, no
 * error at all) or cap is too small (6 bytes always suffice).
 */
size_t mqttp_encode_refusal(const struct mqttp_parser *p, uint8_t *buf, size_t cap);

/* ------------------------------------------------------------------------
 * Framing without a parser
 * --------------------------------------------------------------------- */
/* Read the fixed header at data[0..len) without a parser.
 * Returns MQTTP_DONE with *type, *remaining_length and *header_len set,
 * MQTTP_NEED_MORE when len is a strict prefix of a fixed header, or
 * MQTTP_ERROR with *err set. Applies the per-type flag rules and, unless
 * lenient has MQTTP_LENIENT_NON_MINIMAL_LENGTH, minimal encoding. */
enum mqttp_status mqttp_frame(const void *data, size_t len, unsigned lenient,
                              uint8_t *type, uint32_t *remaining_length,
                              uint8_t *header_len, enum mqttp_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MQTTPARSE_H */
