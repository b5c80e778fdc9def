/*
 * fuzz_common.c - input layout, independent re-checks of accepted packets,
 * and the streaming trace recorder shared by the harnesses.
 */
#include "fuzz_common.h"

static const uint8_t fz_versions[4] = { 0, 3, 4, 5 };
static const uint16_t fz_max_uprops[4] = { 0, 1, 2, 5 };
static const uint16_t fz_max_cid[4] = { 0, 4, 23, 300 };

/* Split data into options, mode, chunk plan and body (layout in the header). */
void fz_parse_input(const uint8_t *data, size_t size, struct fz_input *in)
{
	uint8_t b0 = 0, b1 = 0, b2 = 0;
	size_t k;

	memset(in, 0, sizeof(*in));
	mqttp_options_default(&in->opt);
	if (size >= 3) {
		b0 = data[0];
		b1 = data[1];
		b2 = data[2];
		data += 3;
		size -= 3;
	}
	in->opt.lenient = b0 & MQTTP_LENIENT_ALL;
	in->opt.version = fz_versions[b0 >> 6];
	in->opt.checks = b1 & 7u;
	in->opt.max_user_properties = fz_max_uprops[(b1 >> 3) & 3];
	in->opt.max_client_id_len = fz_max_cid[(b1 >> 5) & 3];
	in->opt.max_packet_size = (b1 & 0x80) ? 64 : 0;
	in->mode = (uint8_t)(b2 >> 4);
	k = b2 & 15u;
	if (k > size)
		k = size;
	in->plan = data;
	in->plan_len = k;
	in->body = data + k;
	in->body_len = size - k;
}

/* A malloc'd copy of exactly len bytes (1 byte when len is 0). */
uint8_t *fz_dup(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	FZ_CHECK(p != NULL);
	if (len)
		memcpy(p, src, len);
	return p;
}

/* Well-formed UTF-8 (RFC 3629), no U+0000, controls only if allow_ctl. */
int fz_utf8_ok(const uint8_t *s, size_t len, int allow_ctl)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = s[i];
		uint8_t lo = 0x80, hi = 0xBF;
		size_t n, k;

		if (c < 0x80) {
			if (c == 0)
				return 0;
			if (!allow_ctl && (c < 0x20 || c == 0x7F))
				return 0;
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			/* U+0080-U+009F are C1 controls */
			if (!allow_ctl && c == 0xC2 && i + 1 < len && s[i + 1] <= 0x9F)
				return 0;
		} else if (c == 0xE0) {
			n = 2; lo = 0xA0;
		} else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
			n = 2;
		} else if (c == 0xED) {
			n = 2; hi = 0x9F;
		} else if (c == 0xF0) {
			n = 3; lo = 0x90;
		} else if (c >= 0xF1 && c <= 0xF3) {
			n = 3;
		} else if (c == 0xF4) {
			n = 3; hi = 0x8F;
		} else {
			return 0;
		}
		if (i + n >= len)
			return 0;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return 0;
		for (k = 2; k <= n; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xBF)
				return 0;
		i += n + 1;
	}
	return 1;
}

/* Is a topic (will topic, response topic) non-empty and wildcard-free? */
static int fz_topic_ok(const uint8_t *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] == '+' || s[i] == '#')
			return 0;
	return 1;
}

/* Integer property value bounds of the specification. */
static int fz_prop_value_ok(uint8_t id, uint32_t v)
{
	switch (id) {
	case 0x01: case 0x17: case 0x19: case 0x24: case 0x25:
	case 0x28: case 0x29: case 0x2A:
		return v <= 1;
	case 0x21: case 0x27:
		return v != 0;
	default:
		return 1;
	}
}

/* Check a property block against the collector's struct (see header). */
void fz_check_props(const struct mqttp_properties *pr, const uint8_t *block,
                    size_t block_len, unsigned where, unsigned lenient,
                    unsigned max_user_props)
{
	size_t pos = 0;
	uint64_t seen = 0;
	uint32_t users = 0;
	int allow_ctl = (lenient & MQTTP_LENIENT_CONTROL_CHARS) != 0;

	if (max_user_props == 0)
		max_user_props = MQTTP_DEFAULT_MAX_USER_PROPERTIES;
	for (;;) {
		uint8_t id = 0;
		uint32_t num = 0, gnum = 0;
		const uint8_t *a = NULL, *b = NULL;
		uint16_t alen = 0, blen = 0;
		size_t before = pos;
		const struct mqttp_property_info *info;
		struct mqttp_bytes gb;
		int r = mqttp_property_next(block, block_len, &pos, &id, &num,
		                            &a, &alen, &b, &blen);

		FZ_CHECK(r == 0 || r == 1);
		if (r == 0) {
			FZ_CHECK(pos == block_len);
			break;
		}
		FZ_CHECK(pos > before && pos <= block_len);
		info = mqttp_property_info(id);
		FZ_CHECK(info != NULL);
		FZ_CHECK(info->id == id);
		FZ_CHECK((info->where & where) != 0);
		if (id == 0x26) {
			users++;
			FZ_CHECK(a != NULL && b != NULL);
			FZ_CHECK(a >= block && a + alen <= block + block_len);
			FZ_CHECK(b >= block && b + blen <= block + block_len);
			FZ_CHECK(fz_utf8_ok(a, alen, allow_ctl));
			FZ_CHECK(fz_utf8_ok(b, blen, allow_ctl));
		} else {
			FZ_CHECK(id < 64);
			FZ_CHECK(!(seen & ((uint64_t)1 << id)));
			memset(&gb, 0, sizeof(gb));
			switch (info->type) {
			case MQTTP_PT_BYTE: case MQTTP_PT_U16: case MQTTP_PT_U32:
			case MQTTP_PT_VBI:
				FZ_CHECK(fz_prop_value_ok(id, num));
				if (info->type == MQTTP_PT_BYTE)
					FZ_CHECK(num <= 0xFF);
				if (info->type == MQTTP_PT_U16)
					FZ_CHECK(num <= 0xFFFF);
				FZ_CHECK(mqttp_properties_get(pr, id, &gnum, &gb) == 1);
				FZ_CHECK(gnum == num);
				break;
			case MQTTP_PT_STRING: case MQTTP_PT_BINARY:
				FZ_CHECK(a != NULL);
				FZ_CHECK(a >= block && a + alen <= block + block_len);
				if (info->type == MQTTP_PT_STRING)
					FZ_CHECK(fz_utf8_ok(a, alen, allow_ctl));
				if (id == 0x08)
					FZ_CHECK(fz_topic_ok(a, alen));
				FZ_CHECK(mqttp_properties_get(pr, id, &gnum, &gb) == 2);
				FZ_CHECK(gb.present);
				FZ_CHECK(gb.len == alen);
				FZ_CHECK(pr->block.present);
				FZ_CHECK(gb.off == pr->block.off + (uint32_t)(a - block));
				break;
			default:
				FZ_CHECK(0);
			}
		}
		seen |= (uint64_t)1 << id;
	}
	FZ_CHECK(seen == pr->present);
	FZ_CHECK(users == pr->user_property_count);
	FZ_CHECK(users <= max_user_props);
	/* [MQTT-3.1.2.11.10]-style rule: authentication data needs a method */
	if (seen & ((uint64_t)1 << 0x16))
		FZ_CHECK(seen & ((uint64_t)1 << 0x15));
}

/* Contents of a present mqttp_bytes, read from the packet by offset. */
const uint8_t *fz_field_bytes(const struct mqttp_bytes *b, const uint8_t *pkt)
{
	return pkt + b->off;
}

/* Is a present field inside the packet (and at ptr when asked)? */
static void fz_check_bytes(const struct mqttp_bytes *b, const uint8_t *pkt,
                           size_t pkt_len, int want_ptr)
{
	if (!b->present)
		return;
	FZ_CHECK(b->off >= 2);
	FZ_CHECK((uint64_t)b->off + b->len <= pkt_len);
	if (want_ptr)
		FZ_CHECK(b->ptr == pkt + b->off);
	else if (b->ptr != NULL)
		FZ_CHECK(memcmp(b->ptr, pkt + b->off, b->len) == 0);
}

/* Every string field of a property struct is inside the packet. */
static void fz_check_props_bytes(const struct mqttp_properties *pr,
                                 const uint8_t *pkt, size_t pkt_len, int want_ptr)
{
	fz_check_bytes(&pr->authentication_method, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->authentication_data, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->content_type, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->response_topic, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->correlation_data, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->assigned_client_identifier, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->reason_string, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->response_information, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->server_reference, pkt, pkt_len, want_ptr);
	fz_check_bytes(&pr->block, pkt, pkt_len, want_ptr);
}

/* Fixed header length of a framed packet: 1 + bytes of the remaining length. */
static size_t fz_header_len(const uint8_t *pkt, size_t len)
{
	size_t i = 1;

	while (i < len && i < 5 && (pkt[i] & 0x80))
		i++;
	return i + 1;
}

/* Case-insensitive comparison of n bytes with an ASCII name. */
static int fz_name_eq(const uint8_t *s, size_t len, const char *name, int icase)
{
	size_t i;

	if (len != strlen(name))
		return 0;
	for (i = 0; i < len; i++) {
		uint8_t c = s[i], d = (uint8_t)name[i];

		if (icase) {
			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			if (d >= 'A' && d <= 'Z')
				d = (uint8_t)(d + 32);
		}
		if (c != d)
			return 0;
	}
	return 1;
}

/* Check an accepted CONNECT (see header). */
void fz_check_connect(const struct mqttp_connect *c, const uint8_t *pkt,
                      size_t pkt_len, const struct mqttp_options *opt,
                      int want_ptr)
{
	unsigned len_ = opt->lenient;
	int allow_ctl = (len_ & MQTTP_LENIENT_CONTROL_CHARS) != 0;
	size_t hl, vh;
	uint8_t level;
	const struct mqttp_bytes *seq[6];
	size_t i, n = 0, end;

	FZ_CHECK(pkt_len >= 2);
	FZ_CHECK((pkt[0] >> 4) == MQTTP_CONNECT);
	hl = fz_header_len(pkt, pkt_len);
	FZ_CHECK(hl <= pkt_len);
	if (opt->max_packet_size)
		FZ_CHECK(pkt_len <= opt->max_packet_size);
	FZ_CHECK(c->version == 3 || c->version == 4 || c->version == 5);
	FZ_CHECK(c->bridge == 0 || c->bridge == 1);
	if (opt->checks & MQTTP_CHECK_NO_BRIDGE)
		FZ_CHECK(!c->bridge);
	if ((pkt[0] & 0x0F) != 0)
		FZ_CHECK(c->version == 3 && (len_ & MQTTP_LENIENT_V31_HEADER_FLAGS));

	/* protocol name right after the fixed header, level and flags after it */
	FZ_CHECK(c->protocol_name.present);
	FZ_CHECK(c->protocol_name.off == hl + 2);
	fz_check_bytes(&c->protocol_name, pkt, pkt_len, want_ptr);
	{
		const uint8_t *nm = pkt + c->protocol_name.off;
		size_t nl = c->protocol_name.len;
		int icase = (len_ & MQTTP_LENIENT_PROTOCOL_NAME) != 0;

		if (icase)
			FZ_CHECK(fz_name_eq(nm, nl, "MQTT", 1) || fz_name_eq(nm, nl, "MQIsdp", 1));
		else if (c->version == 3)
			FZ_CHECK(fz_name_eq(nm, nl, "MQIsdp", 0));
		else
			FZ_CHECK(fz_name_eq(nm, nl, "MQTT", 0));
	}
	vh = c->protocol_name.off + c->protocol_name.len;
	FZ_CHECK(vh + 4 <= pkt_len);
	level = pkt[vh];
	FZ_CHECK((level & 0x7F) == c->version);
	FZ_CHECK(((level & 0x80) != 0) == (c->bridge != 0));
	FZ_CHECK(pkt[vh + 1] == c->flags);
	FZ_CHECK(c->keep_alive == (uint16_t)((pkt[vh + 2] << 8) | pkt[vh + 3]));

	/* connect flags [MQTT-3.1.2-3], [-9], [-11..-15], [-22] */
	FZ_CHECK(!(c->flags & MQTTP_CF_RESERVED));
	FZ_CHECK(c->will_qos == ((c->flags & MQTTP_CF_WILL_QOS_MASK) >> 3));
	FZ_CHECK(c->will_qos <= 2);
	if (c->flags & MQTTP_CF_WILL) {
		FZ_CHECK(c->will_topic.present && c->will_payload.present);
		FZ_CHECK(fz_utf8_ok(pkt + c->will_topic.off, c->will_topic.len, allow_ctl));
		FZ_CHECK(fz_topic_ok(pkt + c->will_topic.off, c->will_topic.len));
	} else {
		FZ_CHECK(c->will_qos == 0 && !(c->flags & MQTTP_CF_WILL_RETAIN));
		FZ_CHECK(!c->will_topic.present && !c->will_payload.present);
	}
	FZ_CHECK(!!(c->flags & MQTTP_CF_USERNAME) == !!c->username.present);
	FZ_CHECK(!!(c->flags & MQTTP_CF_PASSWORD) == !!c->password.present);
	if (c->version != 5 && c->password.present && !c->username.present)
		FZ_CHECK(len_ & MQTTP_LENIENT_PASSWORD_WITHOUT_USERNAME);
	if (c->username.present)
		FZ_CHECK(fz_utf8_ok(pkt + c->username.off, c->username.len, allow_ctl));

	/* client identifier [MQTT-3.1.3-7/8], 3.1: 1-23 */
	FZ_CHECK(c->client_id.present);
	FZ_CHECK(fz_utf8_ok(pkt + c->client_id.off, c->client_id.len, allow_ctl));
	if (c->client_id.len == 0) {
		FZ_CHECK(c->version != 3);
		if (c->version == 4)
			FZ_CHECK(c->flags & MQTTP_CF_CLEAN_START);
	}
	if (c->version == 3 && c->client_id.len > 23)
		FZ_CHECK(len_ & MQTTP_LENIENT_V31_LONG_CLIENT_ID);
	if (opt->max_client_id_len)
		FZ_CHECK(c->client_id.len <= opt->max_client_id_len);

	/* every field inside the packet, in payload order, nothing after */
	fz_check_bytes(&c->client_id, pkt, pkt_len, want_ptr);
	fz_check_bytes(&c->will_topic, pkt, pkt_len, want_ptr);
	fz_check_bytes(&c->will_payload, pkt, pkt_len, want_ptr);
	fz_check_bytes(&c->username, pkt, pkt_len, want_ptr);
	fz_check_bytes(&c->password, pkt, pkt_len, want_ptr);
	fz_check_props_bytes(&c->props, pkt, pkt_len, want_ptr);
	fz_check_props_bytes(&c->will_props, pkt, pkt_len, want_ptr);
	if (c->version == 5) {
		FZ_CHECK(c->props.block.present);
		FZ_CHECK(c->props.block.off >= vh + 4);
		FZ_CHECK(c->props.block.off + c->props.block.len + 2 <= c->client_id.off);
		fz_check_props(&c->props, pkt + c->props.block.off, c->props.block.len,
		               MQTTP_IN_CONNECT, len_, opt->max_user_properties);
		if (c->flags & MQTTP_CF_WILL) {
			FZ_CHECK(c->will_props.block.present);
			FZ_CHECK(c->will_props.block.off >= c->client_id.off + c->client_id.len);
			FZ_CHECK(c->will_props.block.off + c->will_props.block.len + 2 <= c->will_topic.off);
			fz_check_props(&c->will_props, pkt + c->will_props.block.off,
			               c->will_props.block.len, MQTTP_IN_WILL, len_,
			               opt->max_user_properties);
		} else {
			FZ_CHECK(!c->will_props.block.present && !c->will_props.present);
		}
	} else {
		FZ_CHECK(!c->props.block.present && !c->props.present);
		FZ_CHECK(!c->will_props.block.present && !c->will_props.present);
		FZ_CHECK(c->client_id.off == vh + 4 + 2);
	}
	seq[n++] = &c->client_id;
	if (c->will_topic.present)
		seq[n++] = &c->will_topic;
	if (c->will_payload.present)
		seq[n++] = &c->will_payload;
	if (c->username.present)
		seq[n++] = &c->username;
	if (c->password.present)
		seq[n++] = &c->password;
	for (i = 1; i < n; i++) {
		/* each value is preceded by its 2-byte length */
		FZ_CHECK(seq[i - 1]->off + seq[i - 1]->len + 2 <= seq[i]->off);
		FZ_CHECK(pkt[seq[i]->off - 2] == (seq[i]->len >> 8));
		FZ_CHECK(pkt[seq[i]->off - 1] == (seq[i]->len & 0xFF));
	}
	end = seq[n - 1]->off + seq[n - 1]->len;
	FZ_CHECK(end == pkt_len);
}

/* Check an accepted CONNACK (see header). */
void fz_check_connack(const struct mqttp_connack *a, const uint8_t *pkt,
                      size_t pkt_len, const struct mqttp_options *opt,
                      int want_ptr)
{
	size_t hl;

	FZ_CHECK(pkt_len >= 4);
	FZ_CHECK(pkt[0] == 0x20);
	hl = fz_header_len(pkt, pkt_len);
	FZ_CHECK(hl + 2 <= pkt_len);
	if (opt->max_packet_size)
		FZ_CHECK(pkt_len <= opt->max_packet_size);
	FZ_CHECK(a->flags == pkt[hl]);
	FZ_CHECK(a->reason_code == pkt[hl + 1]);
	FZ_CHECK((a->flags & 0xFE) == 0);
	FZ_CHECK(a->session_present == (a->flags & 1));
	fz_check_props_bytes(&a->props, pkt, pkt_len, want_ptr);
	if (a->props.block.present) {
		/* 5.0 format */
		FZ_CHECK(opt->version != 3 && opt->version != 4);
		FZ_CHECK(mqttp_connack_code_valid(5, a->reason_code));
		if (a->reason_code >= 0x80)
			FZ_CHECK(!a->session_present);
		FZ_CHECK(a->props.block.off + a->props.block.len == pkt_len);
		fz_check_props(&a->props, pkt + a->props.block.off, a->props.block.len,
		               MQTTP_IN_CONNACK, opt->lenient, opt->max_user_properties);
	} else {
		/* 3.1.1 format */
		FZ_CHECK(opt->version != 5);
		FZ_CHECK(pkt_len == hl + 2);
		FZ_CHECK(!a->props.present);
		FZ_CHECK(mqttp_connack_code_valid(4, a->reason_code));
		if (a->reason_code != 0)
			FZ_CHECK(!a->session_present);
	}
}

/* off, len and present equal (ptr is where the caller's buffer was). */
int fz_bytes_eq(const struct mqttp_bytes *a, const struct mqttp_bytes *b)
{
	return a->off == b->off && a->len == b->len && a->present == b->present;
}

/* Two property structs equal in everything but pointers. */
int fz_props_eq(const struct mqttp_properties *a, const struct mqttp_properties *b)
{
	return a->present == b->present &&
	       a->session_expiry_interval == b->session_expiry_interval &&
	       a->maximum_packet_size == b->maximum_packet_size &&
	       a->will_delay_interval == b->will_delay_interval &&
	       a->message_expiry_interval == b->message_expiry_interval &&
	       a->receive_maximum == b->receive_maximum &&
	       a->topic_alias_maximum == b->topic_alias_maximum &&
	       a->server_keep_alive == b->server_keep_alive &&
	       a->request_response_information == b->request_response_information &&
	       a->request_problem_information == b->request_problem_information &&
	       a->payload_format_indicator == b->payload_format_indicator &&
	       a->maximum_qos == b->maximum_qos &&
	       a->retain_available == b->retain_available &&
	       a->wildcard_subscription_available == b->wildcard_subscription_available &&
	       a->subscription_identifiers_available == b->subscription_identifiers_available &&
	       a->shared_subscription_available == b->shared_subscription_available &&
	       fz_bytes_eq(&a->authentication_method, &b->authentication_method) &&
	       fz_bytes_eq(&a->authentication_data, &b->authentication_data) &&
	       fz_bytes_eq(&a->content_type, &b->content_type) &&
	       fz_bytes_eq(&a->response_topic, &b->response_topic) &&
	       fz_bytes_eq(&a->correlation_data, &b->correlation_data) &&
	       fz_bytes_eq(&a->assigned_client_identifier, &b->assigned_client_identifier) &&
	       fz_bytes_eq(&a->reason_string, &b->reason_string) &&
	       fz_bytes_eq(&a->response_information, &b->response_information) &&
	       fz_bytes_eq(&a->server_reference, &b->server_reference) &&
	       a->user_property_count == b->user_property_count &&
	       fz_bytes_eq(&a->block, &b->block);
}

/* Two collected CONNECTs equal in everything but pointers. */
int fz_connect_eq(const struct mqttp_connect *a, const struct mqttp_connect *b)
{
	return a->version == b->version && a->bridge == b->bridge &&
	       a->flags == b->flags && a->will_qos == b->will_qos &&
	       a->keep_alive == b->keep_alive &&
	       fz_bytes_eq(&a->protocol_name, &b->protocol_name) &&
	       fz_bytes_eq(&a->client_id, &b->client_id) &&
	       fz_bytes_eq(&a->will_topic, &b->will_topic) &&
	       fz_bytes_eq(&a->will_payload, &b->will_payload) &&
	       fz_bytes_eq(&a->username, &b->username) &&
	       fz_bytes_eq(&a->password, &b->password) &&
	       fz_props_eq(&a->props, &b->props) &&
	       fz_props_eq(&a->will_props, &b->will_props);
}

/* Two collected CONNACKs equal in everything but pointers. */
int fz_connack_eq(const struct mqttp_connack *a, const struct mqttp_connack *b)
{
	return a->session_present == b->session_present && a->flags == b->flags &&
	       a->reason_code == b->reason_code && fz_props_eq(&a->props, &b->props);
}

/* ------------------------------------------------------------------------
 * Streaming traces
 * --------------------------------------------------------------------- */

/* Append n bytes to a growable buffer. */
static void fz_append(uint8_t **buf, size_t *len, size_t *cap, const void *src, size_t n)
{
	if (*len + n > *cap) {
		size_t nc = *cap ? *cap * 2 : 256;

		while (nc < *len + n)
			nc *= 2;
		*buf = realloc(*buf, nc);
		FZ_CHECK(*buf != NULL);
		*cap = nc;
	}
	if (n)
		memcpy(*buf + *len, src, n);
	*len += n;
}

/* Is this field event a string/binary value delivered in fragments? */
static int fz_is_bytes_field(const struct mqttp_field *f)
{
	const struct mqttp_property_info *info;

	switch (f->id) {
	case MQTTP_F_PROTOCOL_NAME: case MQTTP_F_CLIENT_ID: case MQTTP_F_WILL_TOPIC:
	case MQTTP_F_WILL_PAYLOAD: case MQTTP_F_USERNAME: case MQTTP_F_PASSWORD:
	case MQTTP_F_TOPIC_NAME: case MQTTP_F_PAYLOAD: case MQTTP_F_TOPIC_FILTER:
		return 1;
	case MQTTP_F_PROPERTY: case MQTTP_F_WILL_PROPERTY:
		info = mqttp_property_info(f->prop_id);
		FZ_CHECK(info != NULL);
		return info->type == MQTTP_PT_STRING || info->type == MQTTP_PT_BINARY ||
		       info->type == MQTTP_PT_STRING_PAIR;
	default:
		return 0;
	}
}

/* Big-endian integer of n bytes. */
static uint32_t fz_be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Log record header of a completed value. */
struct fz_logrec {
	uint8_t id, prop_id, pair_part, pad;
	uint32_t value, off, len;
};

/* The field callback: checks each event, reassembles values, forwards to
 * the library's collector for the packet's type. */
static void fz_trace_cb(void *ctx, const struct mqttp_field *f)
{
	struct fz_trace *t = ctx;
	struct mqttp_parser *p = t->p;
	size_t pkt_len, abs;
	struct fz_logrec rec;

	FZ_CHECK(p->have & MQTTP_HAVE_HEADER);
	pkt_len = (size_t)p->header_len + p->remaining_length;
	FZ_CHECK((uint64_t)f->off + f->len <= pkt_len);
	FZ_CHECK(f->off >= p->header_len);
	FZ_CHECK(f->id >= MQTTP_F_PROTOCOL_NAME && f->id <= MQTTP_F_SUBSCRIPTION_OPTIONS);
	memset(&rec, 0, sizeof(rec));
	rec.id = f->id;
	rec.prop_id = f->prop_id;
	rec.pair_part = f->pair_part;
	rec.value = f->value;
	rec.off = f->off;
	rec.len = f->len;

	if (fz_is_bytes_field(f)) {
		FZ_CHECK(f->value == f->len);
		FZ_CHECK((uint64_t)f->frag_off + f->frag_len <= f->len);
		abs = t->pkt_start + f->off + f->frag_off;
		if (f->frag_len) {
			/* the fragment is the right bytes of this call's buffer */
			FZ_CHECK(abs >= t->call_off);
			FZ_CHECK(abs + f->frag_len <= t->call_off + t->call_len);
			FZ_CHECK(f->frag == t->call_data + (abs - t->call_off));
			FZ_CHECK(memcmp(f->frag, t->body + abs, f->frag_len) == 0);
		}
		/* a value whole inside this call comes as one fragment */
		if (t->pkt_start + f->off >= t->call_off &&
		    t->pkt_start + f->off + f->len <= t->call_off + t->call_len)
			FZ_CHECK(f->flags == (MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST) &&
			         f->frag_off == 0 && f->frag_len == f->len);
		if (f->flags & MQTTP_FRAG_FIRST) {
			FZ_CHECK(!t->in_value);
			FZ_CHECK(f->frag_off == 0);
			t->in_value = 1;
			t->val_len = 0;
		} else {
			FZ_CHECK(t->in_value);
			FZ_CHECK(f->frag_off == t->val_len);
		}
		fz_append(&t->val, &t->val_len, &t->val_cap, f->frag, f->frag_len);
		if (f->flags & MQTTP_FRAG_LAST) {
			FZ_CHECK(t->val_len == f->len);
			if (f->id == MQTTP_F_TOPIC_NAME) {
				FZ_CHECK(p->type == MQTTP_PUBLISH);
				FZ_CHECK(fz_utf8_ok(t->val, t->val_len,
				         (t->lenient & MQTTP_LENIENT_CONTROL_CHARS) != 0));
				/* LAST only for a valid topic (defect L2, fixed) */
				if (t->val_len && !fz_topic_ok(t->val, t->val_len))
					t->bad_last = 1;
				FZ_CHECK(!t->bad_last);
			}
			fz_append(&t->log, &t->log_len, &t->log_cap, &rec, sizeof(rec));
			fz_append(&t->log, &t->log_len, &t->log_cap, t->val, t->val_len);
			t->in_value = 0;
		}
	} else {
		const uint8_t *v = t->body + t->pkt_start + f->off;
		size_t seen = t->call_off + t->call_len;
		int log_it = 1;

		FZ_CHECK(!t->in_value);
		FZ_CHECK(t->pkt_start + f->off < seen || f->id == MQTTP_F_PROPERTIES ||
		         f->id == MQTTP_F_WILL_PROPERTIES);
		switch (f->id) {
		case MQTTP_F_PROTOCOL_LEVEL: case MQTTP_F_CONNECT_FLAGS:
		case MQTTP_F_CONNACK_FLAGS: case MQTTP_F_REASON_CODE: case MQTTP_F_SUBSCRIPTION_OPTIONS:
			FZ_CHECK(f->flags == (MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST));
			FZ_CHECK(f->value == v[0]);
			break;
		case MQTTP_F_PACKET_ID:
			FZ_CHECK(p->type >= MQTTP_PUBLISH && p->type <= MQTTP_UNSUBACK);
			FZ_CHECK(f->value != 0);
			/* fall through */
		case MQTTP_F_KEEP_ALIVE:
			FZ_CHECK(f->flags == (MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST));
			FZ_CHECK(t->pkt_start + f->off + 2 <= seen);
			FZ_CHECK(f->value == fz_be(v, 2));
			break;
		case MQTTP_F_PROPERTIES: case MQTTP_F_WILL_PROPERTIES:
			FZ_CHECK(f->value == f->len);
			/* a block may or may not come in fragments: log it once */
			if (!(f->flags & MQTTP_FRAG_FIRST) && f->flags != 0)
				log_it = 0;
			rec.pad = 1;
			break;
		case MQTTP_F_PROPERTY: case MQTTP_F_WILL_PROPERTY: {
			const struct mqttp_property_info *info = mqttp_property_info(f->prop_id);

			FZ_CHECK(info != NULL);
			FZ_CHECK(f->flags == (MQTTP_FRAG_FIRST | MQTTP_FRAG_LAST));
			FZ_CHECK(info->where & (f->id == MQTTP_F_WILL_PROPERTY ? MQTTP_IN_WILL :
			         p->type == MQTTP_CONNECT ? MQTTP_IN_CONNECT :
			         p->type == MQTTP_CONNACK ? MQTTP_IN_CONNACK : MQTTP_IN_OTHER));
			if (info->type == MQTTP_PT_BYTE)
				FZ_CHECK(f->value == v[0]);
			else if (info->type == MQTTP_PT_U16)
				FZ_CHECK(t->pkt_start + f->off + 2 <= seen &&
				         f->value == fz_be(v, 2));
			else if (info->type == MQTTP_PT_U32)
				FZ_CHECK(t->pkt_start + f->off + 4 <= seen &&
				         f->value == fz_be(v, 4));
			break;
		}
		default:
			FZ_CHECK(0);
		}
		if (log_it)
			fz_append(&t->log, &t->log_len, &t->log_cap, &rec, sizeof(rec));
	}
	if (p->type == MQTTP_CONNECT)
		mqttp_connect_collect(&t->cur.connect, f);
	else if (p->type == MQTTP_CONNACK)
		mqttp_connack_collect(&t->cur.connack, f);
	else /* the other types with fields */
		FZ_CHECK((p->type >= MQTTP_PUBLISH && p->type <= MQTTP_UNSUBACK) ||
		         p->type == MQTTP_DISCONNECT || p->type == MQTTP_AUTH);
}

/* Collector pointers must show the packet's bytes (their buffers are alive). */
static void fz_check_collected_ptrs(const struct fz_trace *t, const struct fz_packet *pk)
{
	const uint8_t *pkt = t->body + pk->start;
	const struct mqttp_bytes *list[32];
	size_t n = 0, i;
	const struct mqttp_properties *prs[3];
	size_t np = 0, j;

	if (pk->type == MQTTP_CONNECT) {
		const struct mqttp_connect *c = &pk->connect;

		list[n++] = &c->protocol_name; list[n++] = &c->client_id;
		list[n++] = &c->will_topic; list[n++] = &c->will_payload;
		list[n++] = &c->username; list[n++] = &c->password;
		prs[np++] = &c->props; prs[np++] = &c->will_props;
	} else if (pk->type == MQTTP_CONNACK) {
		prs[np++] = &pk->connack.props;
	}
	for (j = 0; j < np; j++) {
		list[n++] = &prs[j]->authentication_method;
		list[n++] = &prs[j]->authentication_data;
		list[n++] = &prs[j]->content_type;
		list[n++] = &prs[j]->response_topic;
		list[n++] = &prs[j]->correlation_data;
		list[n++] = &prs[j]->assigned_client_identifier;
		list[n++] = &prs[j]->reason_string;
		list[n++] = &prs[j]->response_information;
		list[n++] = &prs[j]->server_reference;
		list[n++] = &prs[j]->block;
	}
	for (i = 0; i < n; i++) {
		if (!list[i]->present) {
			FZ_CHECK(list[i]->ptr == NULL);
			continue;
		}
		if (pk->have & MQTTP_HAVE_HEADER)
			FZ_CHECK((uint64_t)list[i]->off + list[i]->len <=
			         (uint64_t)pk->header_len + pk->remaining_length);
		if (list[i]->ptr != NULL) {
			/* the collector claims the value lay whole in one buffer */
			FZ_CHECK(pk->start + (uint64_t)list[i]->off + list[i]->len <= t->body_len);
			FZ_CHECK(memcmp(list[i]->ptr, pkt + list[i]->off, list[i]->len) == 0);
		}
	}
}

/* Record what the parser shows about the packet that just ended. */
static void fz_snapshot(struct fz_trace *t, int status, size_t pkt_bytes, size_t detect)
{
	struct mqttp_parser *p = t->p;
	struct fz_packet *pk = &t->cur;

	pk->status = (int8_t)status;
	pk->type = p->type;
	pk->have = p->have;
	if (p->have & MQTTP_HAVE_HEADER) {
		pk->header_flags = p->header_flags;
		pk->header_len = p->header_len;
		pk->remaining_length = p->remaining_length;
	}
	if (p->have & MQTTP_HAVE_VERSION) {
		pk->version = p->version;
		pk->bridge = p->bridge;
	}
	if (p->have & MQTTP_HAVE_FLAGS)
		pk->connect_flags = p->connect_flags;
	if (p->have & MQTTP_HAVE_KEEP_ALIVE)
		pk->keep_alive = p->keep_alive;
	if (p->have & MQTTP_HAVE_CLIENT_ID) {
		pk->client_id_off = p->client_id_off;
		pk->client_id_len = p->client_id_len;
	}
	if (p->have & MQTTP_HAVE_CONNACK) {
		pk->connack_flags = p->connack_flags;
		pk->reason_code = p->reason_code;
	}
	pk->user_properties = p->user_properties;
	pk->error = p->error;
	pk->error_offset = status == MQTTP_ERROR ? p->error_offset : 0;
	pk->start = (uint32_t)t->pkt_start;
	pk->length = (uint32_t)pkt_bytes;
	pk->detect = (uint32_t)detect;
	fz_check_collected_ptrs(t, pk);
	if (t->npk == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->pk = realloc(t->pk, t->cap * sizeof(*t->pk));
		FZ_CHECK(t->pk != NULL);
	}
	t->pk[t->npk++] = *pk;
}

/* With a twin q (fz_run_stream_bare): feed it the call p was just fed,
 * without a callback, and abort unless it returns the same status, consumes
 * as much and ends with the same parser, byte for byte. */
static void fz_twin_feed(struct mqttp_parser *q, const struct mqttp_parser *p,
                         const void *data, size_t n, enum mqttp_status r,
                         size_t consumed, size_t call_off)
{
	size_t c = 54321, i;
	enum mqttp_status rq;

	if (q == NULL)
		return;
	rq = mqttp_feed(q, data, n, &c, NULL, NULL);
	if (rq != r || c != consumed || memcmp(q, p, sizeof(*q)) != 0) {
		for (i = 0; i < sizeof(*q) && ((const uint8_t *)q)[i] == ((const uint8_t *)p)[i]; i++)
			;
		fprintf(stderr, "fz: cb == NULL differs on the call of %zu bytes at body offset %zu: "
		        "status %d/%d, consumed %zu/%zu (with cb / without), parser %s %zu of %zu\n",
		        n, call_off, (int)r, (int)rq, consumed, c,
		        i < sizeof(*q) ? "differs from byte" : "equal, bytes", i, sizeof(*q));
	}
	FZ_CHECK(rq == r);
	FZ_CHECK(c == consumed);
	FZ_CHECK(memcmp(q, p, sizeof(*q)) == 0);
}

/* fz_run_stream, and with bare the twin parser of fz_run_stream_bare. */
static void fz_stream(struct fz_trace *t, const uint8_t *body, size_t len,
                      const struct mqttp_options *opt, enum fz_cut cut,
                      const uint8_t *plan, size_t plan_len, int bare)
{
	struct mqttp_parser p, before, twin, *q = bare ? &twin : NULL;
	uint8_t **chunks = NULL;
	size_t nchunks = 0, chunk_cap = 0;
	size_t pos = 0, pi = 0, pkt_bytes = 0, i;
	uint32_t packets = 0;
	int plan_nonzero = 0, stop = 0, calls = 0;
	static const uint8_t zero_byte;

	memset(t, 0, sizeof(*t));
	memset(&p, 0, sizeof(p));
	mqttp_init(&p, opt);
	if (q) {
		memset(q, 0, sizeof(*q));
		mqttp_init(q, opt);
	}
	t->p = &p;
	t->body = body;
	t->body_len = len;
	t->lenient = opt->lenient;
	t->final_status = MQTTP_NEED_MORE;
	FZ_CHECK(p.status == MQTTP_NEED_MORE && p.error == 0 && p.packets == 0);
	for (i = 0; i < plan_len; i++)
		if (plan[i])
			plan_nonzero = 1;
	if (cut == FZ_CUT_PLAN && !plan_nonzero)
		cut = FZ_CUT_BYTES;

	while (!stop && (pos < len || (cut == FZ_CUT_PLAN && calls == 0))) {
		size_t sz, used = 0;
		uint8_t *chunk;

		calls++;
		if (cut == FZ_CUT_ONESHOT)
			sz = len - pos;
		else if (cut == FZ_CUT_BYTES)
			sz = 1;
		else
			sz = plan[pi++ % plan_len];
		if (sz > len - pos)
			sz = len - pos;
		if (sz == 0) {
			/* a zero-length call changes nothing (not even status) and
			 * returns NEED_MORE, or ERROR once an error is sticky */
			size_t consumed = 12345;
			enum mqttp_status r;

			before = p;
			r = mqttp_feed(&p, (pi & 1) ? NULL : &zero_byte, 0, &consumed,
			               fz_trace_cb, t);
			fz_twin_feed(q, &p, (pi & 1) ? NULL : &zero_byte, 0, r, consumed, pos);
			FZ_CHECK(consumed == 0);
			FZ_CHECK(r == (before.status == MQTTP_ERROR ? MQTTP_ERROR : MQTTP_NEED_MORE));
			FZ_CHECK(memcmp(&p, &before, sizeof(p)) == 0);
			continue;
		}
		chunk = fz_dup(body + pos, sz);
		if (nchunks == chunk_cap) {
			chunk_cap = chunk_cap ? chunk_cap * 2 : 64;
			chunks = realloc(chunks, chunk_cap * sizeof(*chunks));
			FZ_CHECK(chunks != NULL);
		}
		chunks[nchunks++] = chunk;
		while (used < sz) {
			size_t consumed = 12345, n = sz - used;
			enum mqttp_status r;

			t->call_off = pos + used;
			t->call_data = chunk + used;
			t->call_len = n;
			if (pkt_bytes == 0) {
				t->pkt_start = pos + used;
				memset(&t->cur, 0, sizeof(t->cur));
			}
			r = mqttp_feed(&p, chunk + used, n, &consumed, fz_trace_cb, t);
			fz_twin_feed(q, &p, chunk + used, n, r, consumed, t->call_off);
			FZ_CHECK(r == MQTTP_DONE || r == MQTTP_NEED_MORE || r == MQTTP_ERROR);
			FZ_CHECK(r == p.status);
			FZ_CHECK(consumed <= n);
			FZ_CHECK(p.error < MQTTP_E__COUNT);
			FZ_CHECK((p.error != 0) == (r == MQTTP_ERROR));
			pkt_bytes += consumed;
			used += consumed;
			t->consumed += consumed;
			t->final_status = (int8_t)r;
			if (r == MQTTP_NEED_MORE) {
				FZ_CHECK(consumed == n);
				FZ_CHECK(p.packets == packets);
				FZ_CHECK(p.offset == pkt_bytes);
				continue;
			}
			if (r == MQTTP_DONE) {
				FZ_CHECK(p.have & MQTTP_HAVE_HEADER);
				FZ_CHECK(pkt_bytes == (size_t)p.header_len + p.remaining_length);
				FZ_CHECK(p.header_len >= 2 && p.header_len <= 5);
				FZ_CHECK(p.remaining_length <= MQTTP_MAX_REMAINING_LENGTH);
				FZ_CHECK(p.packets == packets + 1);
				FZ_CHECK(!t->in_value);
				FZ_CHECK(!t->bad_last);
				if (opt->max_packet_size)
					FZ_CHECK(pkt_bytes <= opt->max_packet_size);
				packets++;
				if (p.type == MQTTP_CONNECT)
					fz_check_connect(&t->cur.connect, body + t->pkt_start,
					                 pkt_bytes, opt, 0);
				else if (p.type == MQTTP_CONNACK) {
					struct mqttp_options o2 = *opt;

					/* the parser knows the version from the stream */
					o2.version = 0;
					fz_check_connack(&t->cur.connack, body + t->pkt_start,
					                 pkt_bytes, &o2, 0);
				}
				fz_snapshot(t, MQTTP_DONE, pkt_bytes, pos + used - 1);
				pkt_bytes = 0;
				continue;
			}
			/* MQTTP_ERROR: sticky, consumes nothing more, state frozen */
			FZ_CHECK(p.error != MQTTP_E_NONE);
			/* the offending byte was seen, or is the end of the packet */
			FZ_CHECK(p.error_offset <= pkt_bytes + (n - consumed));
			FZ_CHECK(t->pkt_start + p.error_offset <= len);
			if (p.have & MQTTP_HAVE_HEADER)
				FZ_CHECK(p.error_offset <= (size_t)p.header_len + p.remaining_length);
			t->in_value = 0;
			t->bad_last = 0;
			fz_snapshot(t, MQTTP_ERROR, pkt_bytes, t->call_off + t->call_len - 1);
			before = p;
			{
				size_t c2 = 999;

				FZ_CHECK(mqttp_feed(&p, chunk, sz, &c2, fz_trace_cb, t) == MQTTP_ERROR);
				FZ_CHECK(c2 == 0);
				FZ_CHECK(memcmp(&p, &before, sizeof(p)) == 0);
				fz_twin_feed(q, &p, chunk, sz, MQTTP_ERROR, 0, pos);
			}
			stop = 1;
			break;
		}
		pos += sz;
		if (stop)
			break;
	}
	if (!stop && pkt_bytes > 0) {
		/* a partial packet: keep what is known for the comparison */
		FZ_CHECK(t->final_status == MQTTP_NEED_MORE);
		fz_snapshot(t, MQTTP_NEED_MORE, pkt_bytes, len);
	}
	for (i = 0; i < nchunks; i++)
		free(chunks[i]);
	free(chunks);
	t->p = NULL;
}

/* Feed a body in chunks and record the trace (see header). */
void fz_run_stream(struct fz_trace *t, const uint8_t *body, size_t len,
                   const struct mqttp_options *opt, enum fz_cut cut,
                   const uint8_t *plan, size_t plan_len)
{
	fz_stream(t, body, len, opt, cut, plan, plan_len, 0);
}

/* The same, with a callback-free twin parser fed call for call (see header). */
void fz_run_stream_bare(struct fz_trace *t, const uint8_t *body, size_t len,
                        const struct mqttp_options *opt, enum fz_cut cut,
                        const uint8_t *plan, size_t plan_len)
{
	fz_stream(t, body, len, opt, cut, plan, plan_len, 1);
}

/* Free a trace's memory. */
void fz_trace_free(struct fz_trace *t)
{
	free(t->pk);
	free(t->log);
	free(t->val);
	memset(t, 0, sizeof(*t));
}

/* Abort unless two traces agree on everything observable. */
void fz_trace_compare(const struct fz_trace *a, const struct fz_trace *b)
{
	size_t i;

	FZ_CHECK(a->final_status == b->final_status);
	FZ_CHECK(a->consumed == b->consumed);
	FZ_CHECK(a->npk == b->npk);
	for (i = 0; i < a->npk; i++) {
		const struct fz_packet *x = &a->pk[i], *y = &b->pk[i];

		FZ_CHECK(x->status == y->status);
		FZ_CHECK(x->type == y->type);
		FZ_CHECK(x->have == y->have);
		FZ_CHECK(x->header_flags == y->header_flags);
		FZ_CHECK(x->header_len == y->header_len);
		FZ_CHECK(x->remaining_length == y->remaining_length);
		FZ_CHECK(x->version == y->version && x->bridge == y->bridge);
		FZ_CHECK(x->connect_flags == y->connect_flags);
		FZ_CHECK(x->keep_alive == y->keep_alive);
		FZ_CHECK(x->client_id_off == y->client_id_off);
		FZ_CHECK(x->client_id_len == y->client_id_len);
		FZ_CHECK(x->connack_flags == y->connack_flags);
		FZ_CHECK(x->reason_code == y->reason_code);
		FZ_CHECK(x->user_properties == y->user_properties);
		FZ_CHECK(x->error == y->error);
		FZ_CHECK(x->error_offset == y->error_offset);
		FZ_CHECK(x->start == y->start);
		/* bytes consumed by a failing packet too (defect L1, fixed) */
		FZ_CHECK(x->length == y->length);
		if (x->type == MQTTP_CONNECT)
			FZ_CHECK(fz_connect_eq(&x->connect, &y->connect));
		if (x->type == MQTTP_CONNACK)
			FZ_CHECK(fz_connack_eq(&x->connack, &y->connack));
	}
	FZ_CHECK(a->log_len == b->log_len);
	FZ_CHECK(a->log_len == 0 || memcmp(a->log, b->log, a->log_len) == 0);
}
