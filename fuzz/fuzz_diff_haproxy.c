/*
 * fuzz_diff_haproxy - our verdict on a first packet against HAProxy's own
 * src/mqtt.c (mqtt_validate_message), compiled from one named HAProxy tree
 * (fuzz/fuzz.mk: FUZZ_DIFF_SERIES, default 3.0; HAPROXY_SRC=<tree>). The
 * tree's name and version are printed when the harness starts
 * (hap_tree_name(), see haproxy_shim.c).
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
#include "mqttcodec.h"
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
	                          remaining length is there). Fixed in 3.4.0 (fix 1
	                          below): allowed only for a tree without the fix */
	D_CONNACK_TRAILING,    /* F3: HAProxy picks the CONNACK version from the
	                          buffer length, not the remaining length: a 3.1.1
	                          CONNACK followed by more bytes is INVALID */
	D_EMPTY_ASSIGNED_CID,  /* F4: HAProxy rejects an empty Assigned Client
	                          Identifier (allowed by the spec) */
	D_DUP_BITS,            /* F5: duplicate-property bits shared or wrong in
	                          HAProxy, a repeated single-valued property passes
	                          (not seen; no disagreement is put in this class,
	                          so one would abort as unexplained; the two wrong
	                          bits fixed in 3.4.0 do not cause it, fixes 2 and
	                          3 below) */
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

/*
 * HAProxy's src/mqtt.c fixes of 2026-05-11 (in 3.4.0; 2.6, 2.8, 3.0 and
 * 3.2 do not have them). Which of them the tree under test has is found at
 * start-up by running its parser on probe packets, not from its version
 * number, and changes what is expected:
 *
 *  1. CONNACK property HAProxy does not list for CONNACK (0x0B, 0x17, 0x18,
 *     undefined ids): the switch's default case said "need more" (return 0)
 *     on a complete packet; fixed, it is INVALID. Without the fix our
 *     ERROR against its NEED_MORE is class F2; with it the two agree and F2
 *     is not allowed (an F2-shaped disagreement aborts as unexplained).
 *  2. duplicate bit of TOPIC_ALIAS_MAXIMUM in CONNECT (it used
 *     MQTT_FN_BIT_TOPIC_ALIAS) and
 *  3. duplicate bit of SUBSCRIPTION_IDENTIFIERS_AVAILABLE in CONNACK (it used
 *     MQTT_FN_BIT_SUBSCRIPTION_IDENTIFIER): no change in any verdict. The
 *     wrong bit was tested and set by that property alone (no other
 *     property of the same packet uses it), so a repeat was caught before
 *     and after. The start-up probes check this on the tree under test (the
 *     property once is VALID, twice INVALID); for both trees no
 *     disagreement is classified F5.
 *  4. PUBLISH fixed-header flags: before, any PUBLISH whose four flag bits
 *     were not all set was INVALID at its first byte (mqtt_cpt_flags[] holds
 *     0x0F for PUBLISH and was compared like every other type's); fixed,
 *     any flags pass the header, and like every packet other than CONNECT
 *     and CONNACK a PUBLISH is NEED_MORE until its remaining length has
 *     arrived, INVALID after. Checked exactly for PUBLISH below
 *     (hap_expect_publish), for either tree.
 *
 * The other 2026-05-11 changes (the MQTT_REMAINING_LENGTH_MAX_SIZE and
 * shared_subscription_available spellings, a user-property bit listed twice
 * in mqtt_fields_per_packet[]) change no verdict.
 */
static struct {
	int probed;
	int connack_unknown_prop_invalid; /* fix 1 present */
	int publish_any_flags;            /* fix 4 present */
} hapfix;

/* Run HAProxy's parser on bytes given in hex; its verdict. */
static int hap_probe(const char *hex)
{
	uint8_t b[64];
	size_t n = 0;
	struct hap_view h;
	unsigned v;

	while (hex[0] && hex[1] && n < sizeof(b)) {
		if (hex[0] == ' ') {
			hex++;
			continue;
		}
		if (sscanf(hex, "%2x", &v) != 1)
			abort();
		b[n++] = (uint8_t)v;
		hex += 2;
	}
	hap_validate(b, n, &h);
	return h.verdict;
}

/* Probe the tree under test for the fixes above, once; print what it is. */
static void hap_probe_fixes(void)
{
	int unk, pub, pub15, dup_tam, dup_sia, one_tam, one_sia;

	if (hapfix.probed)
		return;
	hapfix.probed = 1;
	/* 5.0 CONNACK, complete, property 0x17 (request problem information,
	 * not a CONNACK property) */
	unk = hap_probe("20 05 00 00 02 17 01");
	/* PUBLISH, flags 0 / 0x0F, 3 of its 5 bytes */
	pub = hap_probe("30 05 00 01 61");
	pub15 = hap_probe("3f 05 00 01 61");
	/* 5.0 CONNECT with topic alias maximum (0x22) twice; 5.0 CONNACK with
	 * subscription identifiers available (0x29) twice */
	dup_tam = hap_probe("10 13 00 04 4d 51 54 54 05 02 00 3c 06 22 00 0a 22 00 0a 00 00");
	dup_sia = hap_probe("20 07 00 00 04 29 01 29 01");
	/* the same two packets with the property once: VALID */
	one_tam = hap_probe("10 10 00 04 4d 51 54 54 05 02 00 3c 03 22 00 0a 00 00");
	one_sia = hap_probe("20 05 00 00 02 29 01");
	fprintf(stderr, "fuzz_diff_haproxy: comparing with %s\n", hap_tree_name());
	fprintf(stderr, "fuzz_diff_haproxy: src/mqtt.c fixes of 2026-05-11 (3.4.0) in this tree: "
	        "CONNACK unknown property -> INVALID: %s; PUBLISH flags: %s; duplicate "
	        "TOPIC_ALIAS_MAXIMUM / SUBSCRIPTION_IDENTIFIERS_AVAILABLE rejected: %s / %s\n",
	        unk == -1 ? "yes" : unk == 0 ? "no (need more)" : "?",
	        pub == 0 ? "yes" : pub == -1 ? "no (flags != 0x0f invalid)" : "?",
	        dup_tam == -1 ? "yes" : "NO", dup_sia == -1 ? "yes" : "NO");
	/* every probe has exactly two possible answers; anything else means
	 * the allow-list does not describe this tree */
	FZ_CHECK(unk == -1 || unk == 0);
	FZ_CHECK(pub == 0 || pub == -1);
	FZ_CHECK(pub15 == 0);
	FZ_CHECK(dup_tam == -1 && dup_sia == -1 && one_tam == 1 && one_sia == 1);
	hapfix.connack_unknown_prop_invalid = unk == -1;
	hapfix.publish_any_flags = pub == 0;
}

/* HAProxy's verdict on a buffer that starts with a PUBLISH (fix 4 above):
 * INVALID at the first byte when the tree checks the flags and they are
 * not 0x0F; else its remaining length read as mqtt_read_varint does (at
 * most 4 bytes; a length cut by the end of the buffer keeps the part read),
 * then NEED_MORE while fewer bytes than that follow, INVALID after. */
static int hap_expect_publish(const uint8_t *b, size_t len)
{
	uint32_t v = 0;
	size_t off, used = 0;

	if (len < 2)
		return 0;
	if (!hapfix.publish_any_flags && (b[0] & 15) != 15)
		return -1;
	for (off = 0; off < 4 && 1 + used < len; off++) {
		uint8_t byte = b[1 + used];

		v += (uint32_t)(byte & 127) << (7 * off);
		used++;
		if (byte <= 127)
			break;
	}
	if (off == 4)
		return -1;
	return len - 1 - used < v ? 0 : -1;
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
		hap_probe_fixes();
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
		if (type == MQTTP_PUBLISH)
			FZ_CHECK(h.verdict == hap_expect_publish(buf, len));
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
		else if (type == MQTTP_CONNACK && !hapfix.connack_unknown_prop_invalid)
			cls = D_CONNACK_UNKNOWN_PROP; /* fix 1 absent */
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
