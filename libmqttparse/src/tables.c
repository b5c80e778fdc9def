/*
 * tables.c - the rule tables of libmqttparse: errors (name, reason, class,
 * broker answer), properties (id, type, where allowed), lenient flag names,
 * packet type names and the reason codes of every packet.
 */
#include "internal.h"

/* Out of sight of the memset() calls (internal.h). */
const size_t mqttp__connect_size = sizeof(struct mqttp_connect);
const size_t mqttp__connack_size = sizeof(struct mqttp_connack);

struct error_row {
	const char *name;
	const char *reason;
	uint8_t cls;
};

static const struct error_row error_rows[MQTTP_E__COUNT] = {
	[MQTTP_E_NONE] = { "MQTTP_E_NONE", "no error", MQTTP_EC_NONE },
	[MQTTP_E_RESERVED_TYPE] = { "MQTTP_E_RESERVED_TYPE",
		"reserved packet type (0, or 15 before MQTT 5.0)", MQTTP_EC_MALFORMED },
	[MQTTP_E_HEADER_FLAGS] = { "MQTTP_E_HEADER_FLAGS",
		"fixed header flags not as required for this packet type [MQTT-2.2.2-2]", MQTTP_EC_MALFORMED },
	[MQTTP_E_PUBLISH_QOS] = { "MQTTP_E_PUBLISH_QOS",
		"PUBLISH with QoS 3 [MQTT-3.3.1-4]", MQTTP_EC_MALFORMED },
	[MQTTP_E_PUBLISH_DUP] = { "MQTTP_E_PUBLISH_DUP",
		"PUBLISH with DUP set and QoS 0 [MQTT-3.3.1-2]", MQTTP_EC_MALFORMED },
	[MQTTP_E_LENGTH_TOO_LONG] = { "MQTTP_E_LENGTH_TOO_LONG",
		"variable byte integer longer than 4 bytes", MQTTP_EC_MALFORMED },
	[MQTTP_E_LENGTH_NOT_MINIMAL] = { "MQTTP_E_LENGTH_NOT_MINIMAL",
		"variable byte integer not minimally encoded [MQTT-1.5.5-1]", MQTTP_EC_MALFORMED },
	[MQTTP_E_PACKET_TOO_LARGE] = { "MQTTP_E_PACKET_TOO_LARGE",
		"packet larger than the configured maximum packet size", MQTTP_EC_TOO_LARGE },
	[MQTTP_E_FIRST_NOT_CONNECT] = { "MQTTP_E_FIRST_NOT_CONNECT",
		"the first packet from a client must be CONNECT [MQTT-3.1.0-1]", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_FIRST_NOT_CONNACK] = { "MQTTP_E_FIRST_NOT_CONNACK",
		"the first packet from a server must be CONNACK (or AUTH) [MQTT-3.2.0-1]", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_SECOND_CONNECT] = { "MQTTP_E_SECOND_CONNECT",
		"a client sent a second CONNECT [MQTT-3.1.0-2]", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_DIRECTION] = { "MQTTP_E_DIRECTION",
		"packet type never sent in this direction", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_PACKET_LENGTH] = { "MQTTP_E_PACKET_LENGTH",
		"remaining length not allowed for this packet type", MQTTP_EC_MALFORMED },
	[MQTTP_E_TRUNCATED] = { "MQTTP_E_TRUNCATED",
		"a field runs past the end of the packet", MQTTP_EC_MALFORMED },
	[MQTTP_E_TRAILING_BYTES] = { "MQTTP_E_TRAILING_BYTES",
		"bytes left in the packet after its last field", MQTTP_EC_MALFORMED },
	[MQTTP_E_UTF8] = { "MQTTP_E_UTF8",
		"ill-formed UTF-8 string (overlong, surrogate, beyond U+10FFFF or cut) [MQTT-1.5.4-1]", MQTTP_EC_MALFORMED },
	[MQTTP_E_UTF8_NUL] = { "MQTTP_E_UTF8_NUL",
		"U+0000 in a UTF-8 string [MQTT-1.5.4-2]", MQTTP_EC_MALFORMED },
	[MQTTP_E_UTF8_CONTROL] = { "MQTTP_E_UTF8_CONTROL",
		"control character U+0001-U+001F or U+007F-U+009F in a string (strict policy)", MQTTP_EC_MALFORMED },
	[MQTTP_E_PROTOCOL_NAME] = { "MQTTP_E_PROTOCOL_NAME",
		"protocol name is not \"MQTT\" or \"MQIsdp\" [MQTT-3.1.2-1]", MQTTP_EC_MALFORMED },
	[MQTTP_E_PROTOCOL_VERSION] = { "MQTTP_E_PROTOCOL_VERSION",
		"unsupported protocol level, or level not matching the protocol name [MQTT-3.1.2-2]",
		MQTTP_EC_UNSUPPORTED_VERSION },
	[MQTTP_E_CONNECT_RESERVED] = { "MQTTP_E_CONNECT_RESERVED",
		"reserved CONNECT flag (bit 0) is set [MQTT-3.1.2-3]", MQTTP_EC_MALFORMED },
	[MQTTP_E_WILL_QOS] = { "MQTTP_E_WILL_QOS",
		"will QoS 3 [MQTT-3.1.2-14]", MQTTP_EC_MALFORMED },
	[MQTTP_E_WILL_FLAGS] = { "MQTTP_E_WILL_FLAGS",
		"will QoS or will retain set without the will flag [MQTT-3.1.2-11/13/15]", MQTTP_EC_MALFORMED },
	[MQTTP_E_PASSWORD_FLAG] = { "MQTTP_E_PASSWORD_FLAG",
		"password flag set without the user name flag [MQTT-3.1.2-22]", MQTTP_EC_MALFORMED },
	[MQTTP_E_CLIENT_ID_EMPTY] = { "MQTTP_E_CLIENT_ID_EMPTY",
		"empty client identifier without clean session [MQTT-3.1.3-7], or in MQTT 3.1",
		MQTTP_EC_CLIENT_ID },
	[MQTTP_E_CLIENT_ID_TOO_LONG] = { "MQTTP_E_CLIENT_ID_TOO_LONG",
		"client identifier longer than allowed (23 bytes in MQTT 3.1, or the configured limit)",
		MQTTP_EC_CLIENT_ID },
	[MQTTP_E_PROPERTY_ID] = { "MQTTP_E_PROPERTY_ID",
		"unknown property identifier", MQTTP_EC_MALFORMED },
	[MQTTP_E_PROPERTY_NOT_ALLOWED] = { "MQTTP_E_PROPERTY_NOT_ALLOWED",
		"property not allowed in this packet", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_PROPERTY_DUPLICATE] = { "MQTTP_E_PROPERTY_DUPLICATE",
		"property that may appear once is repeated", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_PROPERTY_VALUE] = { "MQTTP_E_PROPERTY_VALUE",
		"property value out of range (e.g. receive maximum 0, byte flag not 0/1, empty or wildcard response topic)",
		MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_PROPERTY_LENGTH] = { "MQTTP_E_PROPERTY_LENGTH",
		"property length or property value runs past its block or the packet", MQTTP_EC_MALFORMED },
	[MQTTP_E_AUTH_DATA_WITHOUT_METHOD] = { "MQTTP_E_AUTH_DATA_WITHOUT_METHOD",
		"authentication data without authentication method", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_TOO_MANY_USER_PROPERTIES] = { "MQTTP_E_TOO_MANY_USER_PROPERTIES",
		"more user properties than the configured maximum", MQTTP_EC_LIMIT },
	[MQTTP_E_WILL_TOPIC] = { "MQTTP_E_WILL_TOPIC",
		"will topic empty or containing a wildcard [MQTT-4.7.3-1, MQTT-3.3.2-2]", MQTTP_EC_MALFORMED },
	[MQTTP_E_CONNACK_FLAGS] = { "MQTTP_E_CONNACK_FLAGS",
		"reserved CONNACK acknowledge flags set [MQTT-3.2.2-1]", MQTTP_EC_MALFORMED },
	[MQTTP_E_REASON_CODE] = { "MQTTP_E_REASON_CODE",
		"return code / reason code not defined for this packet type", MQTTP_EC_MALFORMED },
	[MQTTP_E_SESSION_PRESENT] = { "MQTTP_E_SESSION_PRESENT",
		"session present set with a non-zero return code [MQTT-3.2.2-4]", MQTTP_EC_MALFORMED },
	[MQTTP_E_TOPIC_NAME] = { "MQTTP_E_TOPIC_NAME",
		"PUBLISH topic name empty (before 5.0) or containing a wildcard [MQTT-3.3.2-1/2, MQTT-4.7.3-1]",
		MQTTP_EC_MALFORMED },
	[MQTTP_E_PACKET_ID] = { "MQTTP_E_PACKET_ID",
		"packet identifier 0 in a PUBLISH with QoS > 0 or an acknowledgement [MQTT-2.3.1-1]",
		MQTTP_EC_MALFORMED },
	[MQTTP_E_TOPIC_FILTER] = { "MQTTP_E_TOPIC_FILTER",
		"topic filter empty, or with '#' not alone in the last level or '+' not alone in its level "
		"[MQTT-4.7.1-1/2], [MQTT-4.7.3-1]", MQTTP_EC_MALFORMED },
	[MQTTP_E_SHARE_NAME] = { "MQTTP_E_SHARE_NAME",
		"shared subscription without a share name or a filter, or a share name with '/', '+' or '#' "
		"[MQTT-4.8.2-1/2]", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_TOPIC_ALIAS] = { "MQTTP_E_TOPIC_ALIAS",
		"topic alias 0 or above the Topic Alias Maximum [MQTT-3.3.2-8/9/11]", MQTTP_EC_TOPIC_ALIAS },
	[MQTTP_E_TOPIC_ALIAS_UNKNOWN] = { "MQTTP_E_TOPIC_ALIAS_UNKNOWN",
		"empty topic name without a topic alias, or with one never bound (section 3.3.2.3.4)",
		MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_TOPIC_ALIAS_FULL] = { "MQTTP_E_TOPIC_ALIAS_FULL",
		"the topic alias map's memory cannot hold this topic", MQTTP_EC_LIMIT },
	[MQTTP_E_SUBSCRIBE_RESERVED] = { "MQTTP_E_SUBSCRIBE_RESERVED",
		"reserved bits of a SUBSCRIBE's subscription options set, or (3.1, 3.1.1) QoS 3 "
		"[MQTT-3.8.3-5], 3.1.1 [MQTT-3-8.3-4]", MQTTP_EC_MALFORMED },
	[MQTTP_E_SUBSCRIPTION_OPTIONS] = { "MQTTP_E_SUBSCRIPTION_OPTIONS",
		"subscription options with QoS 3, Retain Handling 3, or No Local on a shared subscription "
		"[MQTT-3.8.3-4] (section 3.8.3.1)", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_EMPTY_LIST] = { "MQTTP_E_EMPTY_LIST",
		"SUBSCRIBE, UNSUBSCRIBE, SUBACK or 5.0 UNSUBACK without a single entry [MQTT-3.8.3-2], "
		"[MQTT-3.10.3-2]", MQTTP_EC_PROTOCOL_ERROR },
	[MQTTP_E_AUTH_METHOD] = { "MQTTP_E_AUTH_METHOD",
		"AUTH with properties but no authentication method (section 3.15.2.2.2)", MQTTP_EC_PROTOCOL_ERROR },
};

static const struct error_row *error_row(enum mqttp_error e)
{
	if ((unsigned)e >= MQTTP_E__COUNT)
		return NULL;
	return &error_rows[e];
}

const char *mqttp_error_name(enum mqttp_error e)
{
	const struct error_row *r = error_row(e);
	return r ? r->name : "MQTTP_E_UNKNOWN";
}

const char *mqttp_error_reason(enum mqttp_error e)
{
	const struct error_row *r = error_row(e);
	return r ? r->reason : "unknown error code";
}

enum mqttp_error_class mqttp_error_class(enum mqttp_error e)
{
	const struct error_row *r = error_row(e);
	return r ? (enum mqttp_error_class)r->cls : MQTTP_EC_MALFORMED;
}

int mqttp_error_return_code(enum mqttp_error e)
{
	switch (mqttp_error_class(e)) {
	case MQTTP_EC_NONE: return 0;
	case MQTTP_EC_UNSUPPORTED_VERSION: return 1;
	case MQTTP_EC_CLIENT_ID: return 2;
	default: return -1; /* [MQTT-3.1.4-1]: close without CONNACK */
	}
}

int mqttp_error_reason_code(enum mqttp_error e)
{
	switch (mqttp_error_class(e)) {
	case MQTTP_EC_NONE: return -1;
	case MQTTP_EC_MALFORMED: return 0x81;
	case MQTTP_EC_PROTOCOL_ERROR: return 0x82;
	case MQTTP_EC_UNSUPPORTED_VERSION: return 0x84;
	case MQTTP_EC_CLIENT_ID: return 0x85;
	case MQTTP_EC_TOO_LARGE: return 0x95;
	case MQTTP_EC_LIMIT: return 0x83;
	case MQTTP_EC_TOPIC_ALIAS: return 0x94;
	}
	return 0x80;
}

/* Properties by id, generated from rules.h's table. */
#define MQTTP__ROW(id, type, packets, rep, range, slot, name) \
	[id] = { { id, type, MQTTP__WHERE(packets), rep, name }, (uint16_t)(packets), (uint16_t)(slot), range },
const struct mqttp__prop_rule mqttp__prop_rules[MQTTP_PROP_MAX + 1] = { MQTTP__PROPERTIES(MQTTP__ROW) };
#undef MQTTP__ROW

const struct mqttp_property_info *mqttp_property_info(unsigned id)
{
	return id > MQTTP_PROP_MAX || !mqttp__prop_rules[id].info.name ? NULL : &mqttp__prop_rules[id].info;
}

static int name_eq(const char *a, const char *b, size_t blen)
{
	size_t i;

	for (i = 0; i < blen; i++)
		if (a[i] != b[i] || a[i] == 0)
			return 0;
	return a[blen] == 0;
}

const struct mqttp_property_info *mqttp_property_by_name(const char *name, size_t len)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i <= MQTTP_PROP_MAX; i++)
		if (mqttp__prop_rules[i].info.name && name_eq(mqttp__prop_rules[i].info.name, name, len))
			return &mqttp__prop_rules[i].info;
	return NULL;
}

static const char *const lenient_names[] = {
	"non-minimal-length", "control-chars", "protocol-name",
	"v31-header-flags", "password-without-username", "v31-long-client-id",
};

const char *mqttp_lenient_name(unsigned flag)
{
	unsigned i;

	for (i = 0; i < sizeof(lenient_names) / sizeof(lenient_names[0]); i++)
		if (flag == (1u << i))
			return lenient_names[i];
	return NULL;
}

unsigned mqttp_lenient_by_name(const char *name, size_t len)
{
	unsigned i;

	if (!name)
		return 0;
	if (name_eq("all", name, len))
		return MQTTP_LENIENT_ALL;
	for (i = 0; i < sizeof(lenient_names) / sizeof(lenient_names[0]); i++)
		if (name_eq(lenient_names[i], name, len))
			return 1u << i;
	return 0;
}

static const char *const type_names[16] = {
	"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC",
	"PUBREL", "PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK",
	"PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
};

const char *mqttp_type_name(unsigned type)
{
	return type < 16 ? type_names[type] : "RESERVED";
}

/*
 * Every 5.0 reason code (section 2.4, Table 2-6), with the packet types
 * that may carry it, one bit each: each packet's own list, 3.2.2.2
 * [MQTT-3.2.2-8], 3.4.2.1 [MQTT-3.4.2-1], 3.5.2.1 [MQTT-3.5.2-1], 3.6.2.1
 * [MQTT-3.6.2-1], 3.7.2.1 [MQTT-3.7.2-1], 3.9.3 [MQTT-3.9.3-2], 3.11.3
 * [MQTT-3.11.3-2], 3.14.2.1 [MQTT-3.14.2-1], 3.15.2.1 [MQTT-3.15.2-1]. A
 * code with another name in some packets has a row per name (0x00). For
 * CONNACK, the 3.1.1 return code that says the same thing best (-1: none,
 * a 3.1.1 broker closes the connection).
 */
struct reason_row {
	uint8_t code;
	int8_t rc311;
	uint16_t types;
	const char *name;
};
#define T_(t) MQTTP__PK(MQTTP_##t)
#define CONNACK_ T_(CONNACK)
#define PUB_ (T_(PUBACK) | T_(PUBREC))
#define REL_ (T_(PUBREL) | T_(PUBCOMP))
#define SUB_ T_(SUBACK)
#define UNSUB_ T_(UNSUBACK)
#define DISC_ T_(DISCONNECT)
#define AUTH_ T_(AUTH)
static const struct reason_row reasons[] = {
	{ 0x00, 0, CONNACK_ | PUB_ | REL_ | UNSUB_ | AUTH_, "success" },
	{ 0x00, -1, DISC_, "normal_disconnection" },
	{ 0x00, -1, SUB_, "granted_qos_0" },
	{ 0x01, -1, SUB_, "granted_qos_1" },
	{ 0x02, -1, SUB_, "granted_qos_2" },
	{ 0x04, -1, DISC_, "disconnect_with_will_message" },
	{ 0x10, -1, PUB_, "no_matching_subscribers" },
	{ 0x11, -1, UNSUB_, "no_subscription_existed" },
	{ 0x18, -1, AUTH_, "continue_authentication" },
	{ 0x19, -1, AUTH_, "re_authenticate" },
	{ 0x80, 3, CONNACK_ | PUB_ | SUB_ | UNSUB_ | DISC_, "unspecified_error" },
	{ 0x81, -1, CONNACK_ | DISC_, "malformed_packet" },
	{ 0x82, -1, CONNACK_ | DISC_, "protocol_error" },
	{ 0x83, 3, CONNACK_ | PUB_ | SUB_ | UNSUB_ | DISC_, "implementation_specific_error" },
	{ 0x84, 1, CONNACK_, "unsupported_protocol_version" },
	{ 0x85, 2, CONNACK_, "client_identifier_not_valid" },
	{ 0x86, 4, CONNACK_, "bad_user_name_or_password" },
	{ 0x87, 5, CONNACK_ | PUB_ | SUB_ | UNSUB_ | DISC_, "not_authorized" },
	{ 0x88, 3, CONNACK_, "server_unavailable" },
	{ 0x89, 3, CONNACK_ | DISC_, "server_busy" },
	{ 0x8A, 5, CONNACK_, "banned" },
	{ 0x8B, -1, DISC_, "server_shutting_down" },
	{ 0x8C, 4, CONNACK_ | DISC_, "bad_authentication_method" },
	{ 0x8D, -1, DISC_, "keep_alive_timeout" },
	{ 0x8E, -1, DISC_, "session_taken_over" },
	{ 0x8F, -1, SUB_ | UNSUB_ | DISC_, "topic_filter_invalid" },
	{ 0x90, -1, CONNACK_ | PUB_ | DISC_, "topic_name_invalid" },
	{ 0x91, -1, PUB_ | SUB_ | UNSUB_, "packet_identifier_in_use" },
	{ 0x92, -1, REL_, "packet_identifier_not_found" },
	{ 0x93, -1, DISC_, "receive_maximum_exceeded" },
	{ 0x94, -1, DISC_, "topic_alias_invalid" },
	{ 0x95, -1, CONNACK_ | DISC_, "packet_too_large" },
	{ 0x96, -1, DISC_, "message_rate_too_high" },
	{ 0x97, 3, CONNACK_ | PUB_ | SUB_ | DISC_, "quota_exceeded" },
	{ 0x98, -1, DISC_, "administrative_action" },
	{ 0x99, -1, CONNACK_ | PUB_ | DISC_, "payload_format_invalid" },
	{ 0x9A, -1, CONNACK_ | DISC_, "retain_not_supported" },
	{ 0x9B, -1, CONNACK_ | DISC_, "qos_not_supported" },
	{ 0x9C, 3, CONNACK_ | DISC_, "use_another_server" },
	{ 0x9D, 3, CONNACK_ | DISC_, "server_moved" },
	{ 0x9E, -1, SUB_ | DISC_, "shared_subscriptions_not_supported" },
	{ 0x9F, 3, CONNACK_ | DISC_, "connection_rate_exceeded" },
	{ 0xA0, -1, DISC_, "maximum_connect_time" },
	{ 0xA1, -1, SUB_ | DISC_, "subscription_identifiers_not_supported" },
	{ 0xA2, -1, SUB_ | DISC_, "wildcard_subscriptions_not_supported" },
};
#undef T_
#undef CONNACK_
#undef PUB_
#undef REL_
#undef SUB_
#undef UNSUB_
#undef DISC_
#undef AUTH_

/* The row of a 5.0 reason code as a packet of this type carries it. */
static const struct reason_row *reason_in(unsigned type, unsigned code)
{
	size_t i;

	if (type > 15)
		return NULL;
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].code == code && (reasons[i].types & MQTTP__PK(type)))
			return &reasons[i];
	return NULL;
}

int mqttp_reason_code_allowed(unsigned version, unsigned type, unsigned code)
{
	if (version == MQTTP_V5)
		return reason_in(type, code) != NULL;
	if (version != MQTTP_V31 && version != MQTTP_V311)
		return 0;
	switch (type) {
	case MQTTP_CONNACK:
		return code <= 5; /* 3.1.1 section 3.2.2.3, Table 3.1 */
	case MQTTP_SUBACK:
		/* 3.1.1 [MQTT-3.9.3-2]; 0x80 (failure) is new in 3.1.1: 3.1 only grants */
		return code <= 2 || (code == 0x80 && version == MQTTP_V311);
	case MQTTP_PUBACK: case MQTTP_PUBREC: case MQTTP_PUBREL: case MQTTP_PUBCOMP:
	case MQTTP_UNSUBACK: case MQTTP_DISCONNECT:
		return code == 0; /* no code on the wire: they only say success */
	default:
		return 0;
	}
}

const char *mqttp_reason_code_name_in(unsigned type, unsigned code)
{
	const struct reason_row *r = reason_in(type, code);
	return r ? r->name : NULL;
}

int mqttp_reason_to_return_code(unsigned reason_code)
{
	const struct reason_row *r = reason_in(MQTTP_CONNACK, reason_code);
	return r ? r->rc311 : -1;
}

const char *mqttp_reason_code_name(unsigned reason_code)
{
	return mqttp_reason_code_name_in(MQTTP_CONNACK, reason_code);
}

int mqttp_connack_code_valid(unsigned version, unsigned code)
{
	/* any version but 5 uses the 3.1.1 return codes */
	return mqttp_reason_code_allowed(version == MQTTP_V5 ? MQTTP_V5 : MQTTP_V311, MQTTP_CONNACK, code);
}

const char *mqttp_version(void)
{
	return MQTTP_VERSION_STRING;
}
