/*
 * fuzz_diff_haproxy - our verdict on a first packet against HAProxy's own
 * src/mqtt.c (mqtt_validate_message, built from a fetched HAProxy tree,
 * see haproxy_shim.c).
 *
 * The body is given to both. A body starting with a CONNECT goes to
 * mqttp_decode_connect, a CONNACK to mqttp_decode_connack (version 3.1.1
 * when the remaining length is 2, else 5.0), with the input's lenient flags,
 * the FROM_CLIENT / NO_BRIDGE checks and no size limits (HAProxy has none).
 * Verdicts map DONE = valid, NEED_MORE = need more, ERROR = invalid. When
 * both accept, the client identifier (same bytes, same place), protocol
 * level, connect flags, keep alive and user name, or the CONNACK flags and
 * code, must be equal.
 *
 * Every disagreement must fall into one of the explained classes below
 * (policy differences documented in the project's notes, and HAProxy
 * weaknesses found or confirmed by this harness); anything else is printed
 * and aborts. FZ_STATS=1 prints how often each class was seen at exit.
 */
#include "fuzz_common.h"
#include "haproxy_shim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum diff_class {
	D_SAME,                /* same verdict */
	/* --- documented policy differences --- */
	D_EARLY_REJECT,        /* we reject at the offending byte, HAProxy waits for
	                          the whole remaining length (its NEED_MORE) */
	D_SPLIT_LENGTH_PREFIX, /* HAProxy INVALID on `10 80`, `10 80 80`, ...: a
	                          remaining length cut inside reads as 0 (known
	                          split-feed bug, anchors.md) */
	D_UTF8,                /* HAProxy checks no UTF-8 (overlong, surrogate, NUL,
	                          > U+10FFFF) and no control characters */
	D_WILL_FLAGS,          /* HAProxy only catches will QoS 1-2 bits alone;
	                          misses retain without will, QoS 3 with will */
	D_PASSWORD_FLAG,       /* HAProxy allows a password without a user name in
	                          3.1/3.1.1 [MQTT-3.1.2-22] */
	D_NON_MINIMAL,         /* HAProxy accepts non-minimal variable byte integers
	                          (remaining length, property length) */
	D_NAME_CASE,           /* HAProxy compares the protocol name ignoring case */
	D_NAME_LEVEL,          /* HAProxy accepts "MQTT"/3, "MQIsdp"/4, "MQIsdp"/5 */
	D_BRIDGE,              /* HAProxy rejects the bridge levels 0x83/0x84 */
	D_V31_HEADER_FLAGS,    /* we accept 3.1 CONNECT header flags (lenient flag) */
	D_CLIENT_ID,           /* HAProxy accepts an empty id with clean session 0
	                          (3.1.1), an empty or > 23 byte id in 3.1 */
	D_WILL_TOPIC,          /* HAProxy accepts an empty or wildcard will topic /
	                          response topic */
	D_CONNACK_CODES,       /* HAProxy checks no CONNACK return/reason code and
	                          no "session present with a refusal" */
	/* --- HAProxy weaknesses (findings, see fuzz/README.md) --- */
	D_EMPTY_AUTH_DATA,     /* F1: authentication data of length 0 without a
	                          method passes HAProxy (it tests istlen(data)) */
	D_CONNACK_UNKNOWN_PROP,/* F2: a property id HAProxy does not list for CONNACK
	                          (0x0B, 0x17, 0x18, unknown ids...) makes it return
	                          0, need more, on a complete packet (the switch's
	                          default case; the only path to 0 once the whole
	                          remaining length is there) */
	D_CONNACK_TRAILING,    /* F3: HAProxy picks the CONNACK version from the
	                          buffer length, not the remaining length: a 3.1.1
	                          CONNACK followed by more bytes is INVALID */
	D_EMPTY_ASSIGNED_CID,  /* F4: HAProxy rejects an empty Assigned Client
	                          Identifier (allowed by the spec) */
	D_DUP_BITS,            /* F5: duplicate-property bits shared or wrong in
	                          HAProxy, a repeated single-valued property passes */
	D_CUT_VBI,             /* F6: a CONNACK whose property length is cut by the
	                          end of the packet (`20 03 00 00 80`) is VALID for
	                          HAProxy: mqtt_read_varint stops at the end of the
	                          data and returns the partial value (0) */
	D__COUNT
};

static const char *const diff_names[D__COUNT] = {
	"same", "early-reject", "split-length-prefix", "utf8", "will-flags",
	"password-flag", "non-minimal", "name-case", "name-level", "bridge",
	"v31-header-flags", "client-id", "will-topic", "connack-codes",
	"F1-empty-auth-data", "F2-connack-unknown-prop", "F3-connack-trailing",
	"F4-empty-assigned-cid", "F5-dup-bits", "F6-cut-vbi"
};
static unsigned long diff_count[D__COUNT];

/* Print the class statistics (FZ_STATS=1). */
static void print_stats(void)
{
	unsigned i;

	for (i = 0; i < D__COUNT; i++)
		fprintf(stderr, "diff-stats %-26s %lu\n", diff_names[i], diff_count[i]);
}

/* Print a disagreement nobody explained, then abort. */
static void unexplained(const char *what, const uint8_t *b, size_t len, int ours,
                        const struct mqttp_result *res, const struct hap_view *h)
{
	size_t i;

	fprintf(stderr, "UNEXPLAINED DIFFERENCE (%s): ours %d (%s @%u), haproxy %d\n  ",
	        what, ours, mqttp_error_name((enum mqttp_error)res->error),
	        (unsigned)res->error_offset, h->verdict);
	for (i = 0; i < len && i < 256; i++)
		fprintf(stderr, "%02x ", b[i]);
	fprintf(stderr, "\n");
	abort();
}

/* Is the fixed header's remaining length cut short inside buf, reading 0
 * so far (HAProxy's `10 80` case)? */
static int length_prefix_zero(const uint8_t *b, size_t len)
{
	size_t i;

	if (len < 2 || len > 4)
		return 0;
	for (i = 1; i < len; i++)
		if (b[i] != 0x80)
			return 0;
	return 1;
}

/* Is the name at b[0..n) "MQTT" or "MQIsdp" ignoring case? */
static int name_icase(const uint8_t *b, size_t n)
{
	static const char *const names[2] = { "mqtt", "mqisdp" };
	size_t i, k;

	for (k = 0; k < 2; k++) {
		if (n != strlen(names[k]))
			continue;
		for (i = 0; i < n; i++) {
			uint8_t c = b[i];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			if (c != (uint8_t)names[k][i])
				break;
		}
		if (i == n)
			return 1;
	}
	return 0;
}

/* Does a CONNACK property block hold an empty Assigned Client Identifier? */
static int empty_assigned_cid(const struct mqttp_connack *a)
{
	return a->props.assigned_client_identifier.present &&
	       a->props.assigned_client_identifier.len == 0;
}

/* We reject, HAProxy accepts: which documented difference is it? */
static enum diff_class classify_we_reject(const uint8_t *b, size_t len,
                                          const struct mqttp_result *res, int type)
{
	(void)len;
	switch (res->error) {
	case MQTTP_E_UTF8: case MQTTP_E_UTF8_NUL: case MQTTP_E_UTF8_CONTROL:
		return D_UTF8;
	case MQTTP_E_WILL_FLAGS: case MQTTP_E_WILL_QOS:
		return D_WILL_FLAGS;
	case MQTTP_E_PASSWORD_FLAG:
		return D_PASSWORD_FLAG;
	case MQTTP_E_LENGTH_NOT_MINIMAL:
		return D_NON_MINIMAL;
	case MQTTP_E_PROTOCOL_NAME:
		if (type == MQTTP_CONNECT && len >= 4) {
			size_t hl = 2, n;

			while (hl < 5 && (b[hl - 1] & 0x80))
				hl++;
			n = ((size_t)b[hl] << 8) | b[hl + 1];
			if (hl + 2 + n <= len && name_icase(b + hl + 2, n))
				return D_NAME_CASE;
		}
		return D__COUNT;
	case MQTTP_E_PROTOCOL_VERSION:
		return D_NAME_LEVEL;
	case MQTTP_E_CLIENT_ID_EMPTY: case MQTTP_E_CLIENT_ID_TOO_LONG:
		return D_CLIENT_ID;
	case MQTTP_E_WILL_TOPIC:
		return D_WILL_TOPIC;
	case MQTTP_E_PROPERTY_VALUE:
		/* an empty or wildcard Response Topic (0x08) is reported as a
		 * property value error: the value starts at the offset, after
		 * the id and the 2-byte length */
		if (res->error_offset >= 3 && res->error_offset <= len &&
		    b[res->error_offset - 3] == 0x08)
			return D_WILL_TOPIC;
		return D__COUNT;
	case MQTTP_E_REASON_CODE: case MQTTP_E_SESSION_PRESENT:
		return type == MQTTP_CONNACK ? D_CONNACK_CODES : D__COUNT;
	case MQTTP_E_AUTH_DATA_WITHOUT_METHOD:
		return D_EMPTY_AUTH_DATA;
	default:
		return D__COUNT;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	struct fz_input in;
	struct mqttp_options opt;
	struct mqttp_connect c;
	struct mqttp_connack a;
	struct mqttp_result res;
	struct hap_view h;
	enum mqttp_status r;
	enum diff_class cls = D__COUNT;
	uint8_t *buf;
	size_t len, hl = 0;
	uint32_t rl = 0;
	int type, ours, framed;
	uint8_t ftype, fhl;
	enum mqttp_error ferr;

	if (!registered) {
		registered = 1;
		if (getenv("FZ_STATS"))
			atexit(print_stats);
	}
	fz_parse_input(data, size, &in);
	len = in.body_len;
	if (len == 0)
		return 0;
	buf = fz_dup(in.body, len);
	opt = in.opt;
	opt.checks &= MQTTP_CHECK_FROM_CLIENT | MQTTP_CHECK_NO_BRIDGE;
	opt.max_packet_size = 0;
	opt.max_client_id_len = 0;
	opt.max_user_properties = 0;
	opt.version = 0;
	type = buf[0] >> 4;
	framed = mqttp_frame(buf, len, MQTTP_LENIENT_ALL, &ftype, &rl, &fhl, &ferr) == MQTTP_DONE;
	if (framed)
		hl = fhl;

	hap_validate(buf, len, &h);
	memset(&res, 0, sizeof(res));
	if (type == MQTTP_CONNECT) {
		memset(&c, 0, sizeof(c));
		r = mqttp_decode_connect(buf, len, &opt, &c, &res);
	} else if (type == MQTTP_CONNACK) {
		opt.checks &= ~(uint32_t)MQTTP_CHECK_FROM_CLIENT;
		opt.version = framed && rl == 2 ? MQTTP_V311 : MQTTP_V5;
		memset(&a, 0, sizeof(a));
		r = mqttp_decode_connack(buf, len, &opt, &a, &res);
	} else {
		/* HAProxy validates only CONNECT and CONNACK */
		FZ_CHECK(h.verdict != 1);
		free(buf);
		return 0;
	}
	ours = r == MQTTP_DONE ? 1 : r == MQTTP_NEED_MORE ? 0 : -1;

	if (ours != h.verdict && type == MQTTP_CONNACK && framed && len > hl + rl) {
		/* whatever HAProxy makes of bytes after a CONNACK comes from its
		 * version guess on the buffer length */
		cls = D_CONNACK_TRAILING;
	} else if (ours == h.verdict) {
		cls = D_SAME;
		if (ours == 1 && type == MQTTP_CONNECT) {
			FZ_CHECK(h.cid == buf + c.client_id.off);
			FZ_CHECK(h.cid_len == c.client_id.len);
			FZ_CHECK(h.level == (c.version | (c.bridge ? 0x80 : 0)));
			FZ_CHECK(h.flags == c.flags);
			FZ_CHECK(h.keepalive == c.keep_alive);
			if (c.username.present)
				FZ_CHECK(h.username == buf + c.username.off &&
				         h.username_len == c.username.len);
		} else if (ours == 1) {
			FZ_CHECK(h.connack_flags == a.flags);
			FZ_CHECK(h.reason_code == a.reason_code);
		}
	} else if (ours == -1 && h.verdict == 0) {
		if (!framed || len < hl + rl || len < 2)
			cls = D_EARLY_REJECT;
		else if (type == MQTTP_CONNACK)
			cls = D_CONNACK_UNKNOWN_PROP;
	} else if (ours == 0 && h.verdict == -1) {
		if (length_prefix_zero(buf, len))
			cls = D_SPLIT_LENGTH_PREFIX;
		else if (type == MQTTP_CONNECT && (buf[0] & 15))
			cls = D_V31_HEADER_FLAGS; /* judged once the level is known */
	} else if (ours == 1 && h.verdict == -1) {
		if (type == MQTTP_CONNECT && c.bridge)
			cls = D_BRIDGE;
		else if (type == MQTTP_CONNECT && (buf[0] & 15))
			cls = D_V31_HEADER_FLAGS;
		else if (type == MQTTP_CONNACK && len > hl + rl)
			cls = D_CONNACK_TRAILING;
		else if (type == MQTTP_CONNACK && empty_assigned_cid(&a))
			cls = D_EMPTY_ASSIGNED_CID;
	} else if (ours == -1 && h.verdict == 1) {
		cls = classify_we_reject(buf, len, &res, type);
		if (cls == D__COUNT && type == MQTTP_CONNACK && framed && rl >= 3 &&
		    (buf[hl + rl - 1] & 0x80) &&
		    (res.error == MQTTP_E_TRUNCATED || res.error == MQTTP_E_PROPERTY_LENGTH))
			cls = D_CUT_VBI;
	}
	if (cls == D__COUNT)
		unexplained(type == MQTTP_CONNECT ? "CONNECT" : "CONNACK", buf, len,
		            ours, &res, &h);
	diff_count[cls]++;
	free(buf);
	return 0;
}
