/*
 * mqttparse.h - libmqttparse, an incremental, allocation-free MQTT parser.
 *
 * What it does
 *   - Frames every MQTT control packet (fixed header, remaining length,
 *     per-type flags and lengths), and checks the PUBLISH topic name and
 *     packet identifier (the rest of a PUBLISH is framed, not decoded).
 *   - Decodes CONNECT (MQTT 3.1 "MQIsdp"/3, 3.1.1 "MQTT"/4, 5.0 "MQTT"/5,
 *     and the mosquitto bridge bit 0x80 of the protocol level) and CONNACK
 *     (3.1.1 and 5.0), strictly, with every rule of the specifications.
 *   - Accepts input in any chunking: feeding a packet one byte at a time
 *     gives exactly the result of feeding it in one call (status, error,
 *     error offset and every field). Work is proportional to the new bytes.
 *   - Encodes CONNACK, for callers that must refuse a client.
 *
 * What it will never do
 *   - allocate memory, do I/O or system calls, print, block, or use a
 *     mutable global: every function is reentrant and thread-safe as long as
 *     one parser is not used by two threads at once;
 *   - read outside [data, data + len) of the buffer it is given;
 *   - keep a pointer to caller memory after a call returns (pointers handed
 *     to callbacks are only valid during the callback; the struct
 *     mqttp_connect / mqttp_connack collectors store pointers the *caller*
 *     owns, see there);
 *   - copy field data.
 *
 * Model
 *   A `struct mqttp_parser` (caller-owned, MQTTP_PARSER_SIZE bytes at most)
 *   follows one direction of one connection. mqttp_feed() consumes bytes up
 *   to the end of the current packet and returns:
 *     MQTTP_DONE      a whole packet ended; *consumed tells where. The packet
 *                     passed every check. Call again with the rest.
 *     MQTTP_NEED_MORE every byte was consumed; the packet is still a valid
 *                     prefix. Call again when more bytes arrive.
 *     MQTTP_ERROR     the packet is invalid; p->error says why and
 *                     p->error_offset at which byte (counted from the first
 *                     byte of the packet). Sticky until mqttp_reset().
 *   Fields are reported to an optional callback as soon as their bytes have
 *   been seen and checked ("early fields"); the packet's verdict only comes
 *   with DONE. The client identifier, protocol version, connect flags and
 *   keep alive are also kept in the parser (see MQTTP_HAVE_*).
 *
 * Offsets in this API are counted from the first byte of the packet (the
 * fixed header's type byte), as uint32_t; MQTT packets are at most
 * 268,435,460 bytes long.
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
	MQTTP_E_REASON_CODE,          /* unknown return / reason code */
	MQTTP_E_SESSION_PRESENT,      /* session present with a refusal */
	/* PUBLISH (variable header only; properties and payload are framed) */
	MQTTP_E_TOPIC_NAME,           /* empty (before 5.0), wildcard or bad UTF-8 topic */
	MQTTP_E_PACKET_ID,            /* packet identifier 0 with QoS > 0 */
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
	MQTTP_EC_LIMIT               /* v5 0x83 (implementation specific); 3.1.1: close */
};

/* "MQTTP_E_UTF8" style name, and a one-line human reason. Never NULL. */
const char *mqttp_error_name(enum mqttp_error e);
const char *mqttp_error_reason(enum mqttp_error e);
enum mqttp_error_class mqttp_error_class(enum mqttp_error e);
/* CONNACK return code a 3.1 / 3.1.1 broker answers (1, 2), or -1: close
 * the connection without a CONNACK. */
int mqttp_error_return_code(enum mqttp_error e);
/* CONNACK reason code a 5.0 broker answers (0x81 ...), or -1 for
 * MQTTP_E_NONE. */
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

/* ------------------------------------------------------------------------
 * Field events
 * --------------------------------------------------------------------- */
enum mqttp_field_id {
	MQTTP_F_PROTOCOL_NAME = 1, /* string */
	MQTTP_F_PROTOCOL_LEVEL,    /* value: the raw level byte (bridge bit included) */
	MQTTP_F_CONNECT_FLAGS,     /* value */
	MQTTP_F_KEEP_ALIVE,        /* value */
	MQTTP_F_PROPERTIES,        /* CONNECT/CONNACK property block: off, len (value = len) */
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
	MQTTP_F_PACKET_ID          /* PUBLISH packet identifier (value) */
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
	uint8_t  reason_code;
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

/*
 * The CONNACK format a broker answers this client in: 4 for the 3.1/3.1.1
 * format (20 02 flags rc), 5 for the 5.0 format, 0 when the protocol level
 * has not been read (the only answer is to close). Level 5 gets the 5.0
 * format; every other level, unknown ones included (2, 6, ...), the 3.1.1
 * format, as 3.1.1 requires [MQTT-3.1.2-2] and as mosquitto 2.0 answers
 * (its newer test data expects 20 03 00 84 00 for unknown levels: a
 * difference the oracle test lists). The bridge bit is ignored.
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

/* Frame only: read the fixed header at data[0..len) without a parser.
 * Returns MQTTP_DONE with *type, *remaining_length and *header_len set,
 * MQTTP_NEED_MORE when len is a strict prefix of a fixed header, or
 * MQTTP_ERROR with *err set. Applies the per-type flag rules and, unless
 * lenient has MQTTP_LENIENT_NON_MINIMAL_LENGTH, minimal encoding. */
enum mqttp_status mqttp_frame(const void *data, size_t len, unsigned lenient,
                              uint8_t *type, uint32_t *remaining_length,
                              uint8_t *header_len, enum mqttp_error *err);

/* ------------------------------------------------------------------------
 * Collectors: a ready-made callback that records every field of a
 * CONNECT or CONNACK in a struct the caller owns.
 * --------------------------------------------------------------------- */
struct mqttp_bytes {
	const uint8_t *ptr; /* whole value, when it lay in one call's buffer
	                       (points into that buffer), else NULL */
	uint32_t off;       /* offset in the packet */
	uint32_t len;
	uint8_t  present;   /* 0 = absent; 1 = present (possibly empty) */
};

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

struct mqttp_connack {
	uint8_t session_present;
	uint8_t flags;
	uint8_t reason_code;
	struct mqttp_properties props;
};

/* Callbacks for mqttp_feed that fill a struct mqttp_connect / mqttp_connack
 * passed as ctx. Zero it (or call mqttp_connect_clear) before the packet.
 * The `ptr` members point into the buffers given to mqttp_feed, so they are
 * valid as long as the caller keeps those buffers; `off`/`len` are always
 * valid against the packet's bytes. */
void mqttp_connect_collect(void *ctx, const struct mqttp_field *f);
void mqttp_connack_collect(void *ctx, const struct mqttp_field *f);

/*
 * One-shot decoding of a whole packet held in one buffer, every pointer
 * into buf. mqttp_decode_connect wants a CONNECT (anything else is
 * MQTTP_E_FIRST_NOT_CONNECT), mqttp_decode_connack a CONNACK (anything
 * else is MQTTP_E_FIRST_NOT_CONNACK). Returns MQTTP_DONE (packet complete
 * and valid, fields in *out, res->length = packet length), MQTTP_NEED_MORE
 * (buf is a strict prefix of a valid packet) or MQTTP_ERROR (res->error,
 * res->error_offset). Bytes after the packet are not looked at. opt may be
 * NULL; res may not. Speed: *out is written whole; one that straddles a
 * 4 KB page boundary takes 15-35% longer to fill on x86-64 (aligning it
 * to 1024 bytes keeps either struct inside a page).
 */
struct mqttp_result {
	uint8_t  type;
	uint8_t  error;        /* enum mqttp_error */
	uint32_t error_offset;
	uint32_t length;       /* bytes of the packet (header included) */
};
enum mqttp_status mqttp_decode_connect(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connect *out,
                                       struct mqttp_result *res);
enum mqttp_status mqttp_decode_connack(const void *buf, size_t len,
                                       const struct mqttp_options *opt,
                                       struct mqttp_connack *out,
                                       struct mqttp_result *res);

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
 * CONNACK encoder
 * --------------------------------------------------------------------- */
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

#ifdef __cplusplus
}
#endif
#endif /* MQTTPARSE_H */
