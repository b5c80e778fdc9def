/*
 * mqtt-inspect - print every MQTT packet of a byte stream as one JSON line.
 *
 * An example program over libmqttparse: it feeds the parser N bytes per
 * call and collects the fields with a callback that reassembles fragments
 * into buffers the tool owns, so the output does not depend on the chunk
 * size. Run `mqtt-inspect --help` for the output format.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttparse.h"
#include "mqttcodec.h"
#include "../common/input.h"

#define TOOL_VERSION "1.0.0"

/* Exit statuses besides 0 (all ok), 1 (error packet), 2 (input ends inside
 * a packet); the sysexits.h values, so they cannot collide with those. */
#define EXIT_USAGE   64
#define EXIT_DATAERR 65
#define EXIT_NOINPUT 66
#define EXIT_SOFTWARE 70

/* Bounds of what one packet's collector keeps. Values that do not fit are
 * cut and the packet gets "truncated": true; the parser still checks them. */
#define MAX_VALUES (2 * MQTTP_DEFAULT_MAX_USER_PROPERTIES + 128)
#define ARENA_SIZE (4u << 20)

/* One collected field: an integer, or a string / binary value whose bytes
 * sit in the arena at [at, at + stored). Lists of one-byte codes (SUBACK,
 * UNSUBACK) are one value whose bytes are the codes, in wire order. */
struct value {
	uint8_t  field;     /* enum mqttp_field_id */
	uint8_t  prop_id;   /* for (WILL_)PROPERTY */
	uint8_t  pair_part; /* user property: 0 key, 1 value; TOPIC_FILTER:
	                       1 once its SUBSCRIBE options byte is in num */
	uint8_t  complete;  /* MQTTP_FRAG_LAST seen: value whole and checked */
	uint32_t num;       /* integer value (or a filter's options byte) */
	uint32_t len;       /* total length of a string / binary value */
	uint32_t stored;    /* bytes kept in the arena (< len when cut) */
	uint32_t at;        /* start in the arena */
	uint32_t off;       /* offset of the value in its packet */
};

/* What the field callback has collected for the current packet. */
struct packet {
	struct value v[MAX_VALUES];
	size_t nv;
	struct value *cur;  /* value receiving fragments, NULL if dropped */
	unsigned char *arena;
	size_t used;
	int truncated;      /* a value was cut or dropped */
};

static struct packet pk;

/* Is this field / property an integer (as opposed to string or binary)? */
static int is_integer(const struct mqttp_field *f)
{
	const struct mqttp_property_info *pi;

	switch (f->id) {
	case MQTTP_F_PROTOCOL_NAME: case MQTTP_F_CLIENT_ID:
	case MQTTP_F_WILL_TOPIC: case MQTTP_F_WILL_PAYLOAD:
	case MQTTP_F_USERNAME: case MQTTP_F_PASSWORD:
	case MQTTP_F_TOPIC_NAME: case MQTTP_F_PAYLOAD:
	case MQTTP_F_TOPIC_FILTER:
		return 0;
	case MQTTP_F_PROPERTY: case MQTTP_F_WILL_PROPERTY:
		pi = mqttp_property_info(f->prop_id);
		if (!pi)
			return 0;
		return pi->type == MQTTP_PT_BYTE || pi->type == MQTTP_PT_U16 ||
		       pi->type == MQTTP_PT_U32 || pi->type == MQTTP_PT_VBI;
	default:
		return 1;
	}
}

/* Open a new value for the first fragment of f; NULL (and the packet
 * marked truncated) when the table is full. */
static struct value *value_open(struct packet *k, const struct mqttp_field *f)
{
	struct value *v;

	if (k->nv == MAX_VALUES) {
		k->truncated = 1;
		return NULL;
	}
	v = &k->v[k->nv++];
	memset(v, 0, sizeof(*v));
	v->field = f->id;
	v->prop_id = f->prop_id;
	v->pair_part = f->pair_part;
	v->at = (uint32_t)k->used;
	v->off = f->off;
	return v;
}

/* A reason code: appended as one byte to the current code list when the
 * previous value is that list, else the start of a new list (whose first
 * code is also its num). */
static void on_code(struct packet *k, const struct mqttp_field *f)
{
	struct value *v = k->cur;

	if (!v || v->field != MQTTP_F_REASON_CODE || v->at + v->stored != k->used) {
		v = k->cur = value_open(k, f);
		if (!v)
			return;
		v->num = f->value;
		v->complete = 1;
	}
	v->len++;
	if (k->used == ARENA_SIZE) {
		k->truncated = 1;
		return;
	}
	k->arena[k->used++] = (unsigned char)f->value;
	v->stored++;
}

/* Field callback: open a value on the first fragment, append every
 * fragment's bytes to the arena, mark it complete on the last one.
 * Password, will payload and PUBLISH payload bytes are not kept: only
 * their length is shown. A SUBSCRIBE's options byte joins its filter. */
static void on_field(void *ctx, const struct mqttp_field *f)
{
	struct packet *k = ctx;
	struct value *v;
	size_t room, n;

	if (f->id == MQTTP_F_REASON_CODE) {
		on_code(k, f);
		return;
	}
	if (f->id == MQTTP_F_SUBSCRIPTION_OPTIONS) {
		v = k->cur;
		if (v && v->field == MQTTP_F_TOPIC_FILTER && v->complete && !v->pair_part) {
			v->num = f->value;
			v->pair_part = 1;
		}
		return;
	}
	if (f->flags & MQTTP_FRAG_FIRST) {
		v = k->cur = value_open(k, f);
		if (!v)
			return;
		if (is_integer(f))
			v->num = f->value;
		else
			v->len = f->len;
	}
	v = k->cur;
	if (!v)
		return;
	if (f->frag_len && f->frag && f->id != MQTTP_F_PASSWORD &&
	    f->id != MQTTP_F_WILL_PAYLOAD && f->id != MQTTP_F_PAYLOAD) {
		room = ARENA_SIZE - k->used;
		n = f->frag_len < room ? f->frag_len : room;
		if (n < f->frag_len)
			k->truncated = 1;
		memcpy(k->arena + k->used, f->frag, n);
		k->used += n;
		v->stored += (uint32_t)n;
	}
	if (f->flags & MQTTP_FRAG_LAST)
		v->complete = 1;
}

/* Forget the previous packet's values. */
static void packet_clear(struct packet *k)
{
	k->nv = 0;
	k->cur = NULL;
	k->used = 0;
	k->truncated = 0;
}

/* ------------------------------------------------------------------------
 * JSON output
 * --------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence (RFC 3629) at s[0..n), with the
 * code point in *cp, or 0 when s[0] does not start one. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xC2 && b <= 0xDF) {
		need = 1;
		c = b & 0x1Fu;
	} else if (b >= 0xE0 && b <= 0xEF) {
		need = 2;
		c = b & 0x0Fu;
		if (b == 0xE0)
			lo = 0xA0; /* overlong */
		if (b == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (b >= 0xF0 && b <= 0xF4) {
		need = 3;
		c = b & 0x07u;
		if (b == 0xF0)
			lo = 0x90; /* overlong */
		if (b == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < need + 1)
		return 0;
	for (i = 1; i <= need; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		c = (c << 6) | (s[i] & 0x3Fu);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = c;
	return need + 1;
}

/* Print s[0..n) as a JSON string. Control characters (C0, DEL, C1) and
 * the JSON specials are escaped; each byte that is not part of well-formed
 * UTF-8 becomes U+FFFD. Returns 1 when such a replacement happened. */
static int json_string(FILE *o, const unsigned char *s, size_t n)
{
	size_t i = 0, k;
	uint32_t cp;
	int bad = 0;

	putc('"', o);
	while (i < n) {
		k = utf8_seq(s + i, n - i, &cp);
		if (k == 0) {
			fputs("\xEF\xBF\xBD", o);
			bad = 1;
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\') {
			putc('\\', o);
			putc((int)cp, o);
		} else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			fprintf(o, "\\u%04x", (unsigned)cp);
		} else {
			fwrite(s + i, 1, k, o);
		}
		i += k;
	}
	putc('"', o);
	return bad;
}

/* Print s[0..n) as a JSON string of lowercase hex digits. */
static void json_hex(FILE *o, const unsigned char *s, size_t n)
{
	size_t i;

	putc('"', o);
	for (i = 0; i < n; i++)
		fprintf(o, "%02x", s[i]);
	putc('"', o);
}

/* Print `"key":` preceded by a comma unless first. */
static void json_key(FILE *o, int *first, const char *key)
{
	if (!*first)
		putc(',', o);
	*first = 0;
	fprintf(o, "\"%s\":", key);
}

/* Print a string member s[0..n), plus "<key>_hex" with the raw bytes when
 * they were not well-formed UTF-8. */
static void member_bytes(FILE *o, int *first, const char *key,
                         const unsigned char *s, size_t n)
{
	json_key(o, first, key);
	if (json_string(o, s, n)) {
		fprintf(o, ",\"%s_hex\":", key);
		json_hex(o, s, n);
	}
}

/* Print a collected string value as a member (see member_bytes). */
static void member_string(FILE *o, int *first, const char *key,
                          const struct value *v)
{
	member_bytes(o, first, key, pk.arena + v->at, v->stored);
}

/* Print an integer member. */
static void member_num(FILE *o, int *first, const char *key, unsigned long n)
{
	json_key(o, first, key);
	fprintf(o, "%lu", n);
}

/* Print a boolean member. */
static void member_bool(FILE *o, int *first, const char *key, int b)
{
	json_key(o, first, key);
	fputs(b ? "true" : "false", o);
}

/* First complete value of a field, or NULL. */
static const struct value *find(uint8_t field)
{
	size_t i;

	for (i = 0; i < pk.nv; i++)
		if (pk.v[i].field == field && pk.v[i].complete)
			return &pk.v[i];
	return NULL;
}

/* First complete property prop_id of a (WILL_)PROPERTY field, or NULL. */
static const struct value *find_prop(uint8_t field, uint8_t prop_id)
{
	size_t i;

	for (i = 0; i < pk.nv; i++)
		if (pk.v[i].field == field && pk.v[i].prop_id == prop_id && pk.v[i].complete)
			return &pk.v[i];
	return NULL;
}

/* Print the integers of every complete property prop_id of `field` as a
 * JSON array, in wire order. */
static void print_list(FILE *o, uint8_t field, uint8_t prop_id)
{
	size_t i;
	int n = 0;

	putc('[', o);
	for (i = 0; i < pk.nv; i++)
		if (pk.v[i].field == field && pk.v[i].prop_id == prop_id && pk.v[i].complete)
			fprintf(o, "%s%lu", n++ ? "," : "", (unsigned long)pk.v[i].num);
	putc(']', o);
}

/* Print the "properties" object and the "user_properties" array made of
 * the complete values of `field` (PROPERTY or WILL_PROPERTY); nothing when
 * there are none. Non-UTF-8 bytes of a user property: U+FFFD, plus a
 * "user_properties_hex" array of the raw pairs. */
static void print_properties(FILE *o, int *first, uint8_t field)
{
	const struct mqttp_property_info *pi;
	const struct value *v, *key;
	char name[32];
	size_t i;
	int firstp = 1, nuser = 0, bad = 0, any = 0, sid = 0;

	for (i = 0; i < pk.nv; i++) {
		v = &pk.v[i];
		if (v->field != field || !v->complete || v->prop_id == 0x26)
			continue;
		if (!any) {
			json_key(o, first, "properties");
			putc('{', o);
			any = 1;
		}
		pi = mqttp_property_info(v->prop_id);
		if (pi)
			snprintf(name, sizeof(name), "%s", pi->name);
		else
			snprintf(name, sizeof(name), "property_0x%02x", v->prop_id);
		if (v->prop_id == 0x0B) {
			/* a PUBLISH may carry several (section 3.3.2.3.8): always an array */
			if (sid++)
				continue;
			json_key(o, &firstp, name);
			print_list(o, field, 0x0B);
		} else if (!pi || pi->type == MQTTP_PT_BINARY) {
			json_key(o, &firstp, name);
			json_hex(o, pk.arena + v->at, v->stored);
		} else if (pi->type == MQTTP_PT_STRING) {
			member_string(o, &firstp, name, v);
		} else {
			json_key(o, &firstp, name);
			fprintf(o, "%lu", (unsigned long)v->num);
		}
	}
	if (any)
		putc('}', o);

	/* User properties: a key value then its value value, in order. */
	for (key = NULL, i = 0; i < pk.nv; i++) {
		v = &pk.v[i];
		if (v->field != field || v->prop_id != 0x26 || !v->complete)
			continue;
		if (v->pair_part == 0) {
			key = v;
			continue;
		}
		if (!key)
			continue;
		if (!nuser) {
			json_key(o, first, "user_properties");
			putc('[', o);
		} else {
			putc(',', o);
		}
		putc('[', o);
		bad |= json_string(o, pk.arena + key->at, key->stored);
		putc(',', o);
		bad |= json_string(o, pk.arena + v->at, v->stored);
		putc(']', o);
		nuser++;
		key = NULL;
	}
	if (nuser)
		putc(']', o);
	if (!bad)
		return;
	json_key(o, first, "user_properties_hex");
	putc('[', o);
	for (nuser = 0, key = NULL, i = 0; i < pk.nv; i++) {
		v = &pk.v[i];
		if (v->field != field || v->prop_id != 0x26 || !v->complete)
			continue;
		if (v->pair_part == 0) {
			key = v;
			continue;
		}
		if (!key)
			continue;
		fputs(nuser++ ? ",[" : "[", o);
		json_hex(o, pk.arena + key->at, key->stored);
		putc(',', o);
		json_hex(o, pk.arena + v->at, v->stored);
		putc(']', o);
		key = NULL;
	}
	putc(']', o);
}

/* Print the decoded fields of a CONNECT (whatever is complete so far). */
static void print_connect(FILE *o, int *first)
{
	const struct value *v, *flags;
	int firstw = 1;
	unsigned cf;

	if ((v = find(MQTTP_F_PROTOCOL_NAME)))
		member_string(o, first, "protocol_name", v);
	if ((v = find(MQTTP_F_PROTOCOL_LEVEL))) {
		json_key(o, first, "protocol_version");
		fprintf(o, "%u", (unsigned)(v->num & 0x7F));
		json_key(o, first, "bridge");
		fputs(v->num & 0x80 ? "true" : "false", o);
	}
	flags = find(MQTTP_F_CONNECT_FLAGS);
	cf = flags ? flags->num : 0;
	if (flags) {
		json_key(o, first, "clean_start");
		fputs(cf & MQTTP_CF_CLEAN_START ? "true" : "false", o);
	}
	if ((v = find(MQTTP_F_KEEP_ALIVE))) {
		json_key(o, first, "keepalive");
		fprintf(o, "%lu", (unsigned long)v->num);
	}
	if ((v = find(MQTTP_F_CLIENT_ID)))
		member_string(o, first, "client_id", v);
	if ((v = find(MQTTP_F_USERNAME)))
		member_string(o, first, "username", v);
	if ((v = find(MQTTP_F_PASSWORD))) {
		json_key(o, first, "password_len");
		fprintf(o, "%lu", (unsigned long)v->len);
	}
	if (flags && (cf & MQTTP_CF_WILL)) {
		json_key(o, first, "will");
		putc('{', o);
		if ((v = find(MQTTP_F_WILL_TOPIC)))
			member_string(o, &firstw, "topic", v);
		json_key(o, &firstw, "qos");
		fprintf(o, "%u", (cf & MQTTP_CF_WILL_QOS_MASK) >> 3);
		json_key(o, &firstw, "retain");
		fputs(cf & MQTTP_CF_WILL_RETAIN ? "true" : "false", o);
		if ((v = find(MQTTP_F_WILL_PAYLOAD))) {
			json_key(o, &firstw, "payload_len");
			fprintf(o, "%lu", (unsigned long)v->len);
		}
		print_properties(o, &firstw, MQTTP_F_WILL_PROPERTY);
		putc('}', o);
	}
	print_properties(o, first, MQTTP_F_PROPERTY);
}

/* Print the decoded fields of a CONNACK (whatever is complete so far). */
static void print_connack(FILE *o, int *first, unsigned version)
{
	const struct value *v;
	const char *name;

	if ((v = find(MQTTP_F_CONNACK_FLAGS))) {
		json_key(o, first, "session_present");
		fputs(v->num & 1 ? "true" : "false", o);
	}
	if ((v = find(MQTTP_F_REASON_CODE))) {
		json_key(o, first, "reason_code");
		fprintf(o, "%lu", (unsigned long)v->num);
		name = version == MQTTP_V5 ? mqttp_reason_code_name(v->num) : NULL;
		if (name) {
			json_key(o, first, "reason_code_name");
			json_string(o, (const unsigned char *)name, strlen(name));
		}
	}
	print_properties(o, first, MQTTP_F_PROPERTY);
}

/* Print the decoded fields of a PUBACK .. PUBCOMP, DISCONNECT or AUTH. */
static void print_ack(FILE *o, int *first, unsigned type)
{
	const struct value *v;
	const char *name;

	if ((v = find(MQTTP_F_PACKET_ID))) {
		json_key(o, first, "packet_id");
		fprintf(o, "%lu", (unsigned long)v->num);
	}
	if ((v = find(MQTTP_F_REASON_CODE))) {
		json_key(o, first, "reason_code");
		fprintf(o, "%lu", (unsigned long)v->num);
		if ((name = mqttp_reason_code_name_in(type, v->num))) {
			json_key(o, first, "reason_code_name");
			json_string(o, (const unsigned char *)name, strlen(name));
		}
	}
	print_properties(o, first, MQTTP_F_PROPERTY);
}

/* The topic a PUBLISH resolved to through its direction's alias map
 * (set for a PUBLISH that ended ok, before it is printed). */
static const uint8_t *resolved;
static size_t resolved_len;

/* Print the decoded fields of a PUBLISH. The fixed-header flags are shown
 * once the header is read, unless they are what the error is about. */
static void print_publish(FILE *o, int *first, const struct mqttp_parser *p)
{
	const struct value *v;
	unsigned hf = p->header_flags;

	if ((v = find(MQTTP_F_TOPIC_NAME))) {
		if (resolved)
			member_bytes(o, first, "topic", resolved, resolved_len);
		else
			member_string(o, first, "topic", v);
	}
	if ((v = find_prop(MQTTP_F_PROPERTY, 0x23)))
		member_num(o, first, "topic_alias", v->num);
	if ((p->have & MQTTP_HAVE_HEADER) &&
	    !(p->status == MQTTP_ERROR && p->error_offset == 0)) {
		member_num(o, first, "qos", (hf >> 1) & 3u);
		member_bool(o, first, "retain", hf & 1u);
		member_bool(o, first, "dup", hf & 8u);
	}
	if ((v = find(MQTTP_F_PACKET_ID)))
		member_num(o, first, "packet_id", v->num);
	if ((v = find(MQTTP_F_PAYLOAD)))
		member_num(o, first, "payload_len", v->len);
	print_properties(o, first, MQTTP_F_PROPERTY);
}

/* Print the "filters" of a SUBSCRIBE (objects; a filter whose options
 * byte has not been read is left out) or an UNSUBSCRIBE (strings). */
static void print_filters(FILE *o, int *first, int subscribe)
{
	const struct value *v;
	size_t i;
	int n = 0, bad = 0, firstf;

	json_key(o, first, "filters");
	putc('[', o);
	for (i = 0; i < pk.nv; i++) {
		v = &pk.v[i];
		if (v->field != MQTTP_F_TOPIC_FILTER || !v->complete)
			continue;
		if (!subscribe) {
			fputs(n++ ? "," : "", o);
			bad |= json_string(o, pk.arena + v->at, v->stored);
			continue;
		}
		if (!v->pair_part)
			continue;
		fputs(n++ ? ",{" : "{", o);
		firstf = 1;
		member_string(o, &firstf, "filter", v);
		/* the options byte (section 3.8.3.1) */
		member_num(o, &firstf, "qos", v->num & 3u);
		member_bool(o, &firstf, "no_local", v->num & 4u);
		member_bool(o, &firstf, "retain_as_published", v->num & 8u);
		member_num(o, &firstf, "retain_handling", (v->num >> 4) & 3u);
		putc('}', o);
	}
	putc(']', o);
	if (!bad)
		return;
	json_key(o, first, "filters_hex");
	putc('[', o);
	for (n = 0, i = 0; i < pk.nv; i++) {
		v = &pk.v[i];
		if (v->field != MQTTP_F_TOPIC_FILTER || !v->complete)
			continue;
		fputs(n++ ? "," : "", o);
		json_hex(o, pk.arena + v->at, v->stored);
	}
	putc(']', o);
}

/* Print the decoded fields of a SUBSCRIBE or UNSUBSCRIBE. */
static void print_subscribe(FILE *o, int *first, unsigned type)
{
	const struct value *v;

	if ((v = find(MQTTP_F_PACKET_ID)))
		member_num(o, first, "packet_id", v->num);
	/* a SUBSCRIBE's first entry is whole with its options byte */
	if ((v = find(MQTTP_F_TOPIC_FILTER)) && (type == MQTTP_UNSUBSCRIBE || v->pair_part))
		print_filters(o, first, type == MQTTP_SUBSCRIBE);
	if (type == MQTTP_SUBSCRIBE && (v = find_prop(MQTTP_F_PROPERTY, 0x0B)))
		member_num(o, first, "subscription_identifier", v->num);
}

/* Print the decoded fields of a SUBACK or UNSUBACK: the codes are one
 * value whose bytes are the codes (on_code). */
static void print_suback(FILE *o, int *first)
{
	const struct value *v;
	uint32_t i;

	if ((v = find(MQTTP_F_PACKET_ID)))
		member_num(o, first, "packet_id", v->num);
	if (!(v = find(MQTTP_F_REASON_CODE)))
		return;
	json_key(o, first, "reason_codes");
	putc('[', o);
	for (i = 0; i < v->stored; i++)
		fprintf(o, "%s%u", i ? "," : "", (unsigned)pk.arena[v->at + i]);
	putc(']', o);
}

/* Print one packet's JSON line. start: its offset in the input; got: its
 * bytes seen; status: "ok", "need_more" or "error"; e, e_off: the error
 * (the parser's, or the tool's alias resolution of a whole PUBLISH) and
 * its offset in the packet, MQTTP_E_NONE when there is none. */
static void print_packet(FILE *o, const struct mqttp_parser *p,
                         const unsigned char *in, size_t start, size_t got,
                         const char *status, enum mqttp_error e, uint32_t e_off)
{
	unsigned type = in[start] >> 4;
	const char *tn = mqttp_type_name(type);
	int first = 1, rc;

	putc('{', o);
	json_key(o, &first, "type");
	json_string(o, (const unsigned char *)tn, strlen(tn));
	json_key(o, &first, "status");
	fprintf(o, "\"%s\"", status);
	json_key(o, &first, "packet_offset");
	fprintf(o, "%lu", (unsigned long)start);
	if (e != MQTTP_E_NONE) {
		json_key(o, &first, "error");
		json_string(o, (const unsigned char *)mqttp_error_name(e),
		            strlen(mqttp_error_name(e)));
		json_key(o, &first, "reason");
		json_string(o, (const unsigned char *)mqttp_error_reason(e),
		            strlen(mqttp_error_reason(e)));
		json_key(o, &first, "offset");
		fprintf(o, "%lu", (unsigned long)e_off);
		json_key(o, &first, "stream_offset");
		fprintf(o, "%lu", (unsigned long)(start + e_off));
		json_key(o, &first, "reason_code_v311");
		rc = mqttp_error_return_code(e);
		if (rc < 0)
			fputs("null", o);
		else
			fprintf(o, "%d", rc);
		json_key(o, &first, "reason_code_v5");
		rc = mqttp_error_reason_code(e);
		if (rc < 0)
			fputs("null", o);
		else
			fprintf(o, "%d", rc);
	}
	if (p->status == MQTTP_DONE) {
		json_key(o, &first, "length");
		fprintf(o, "%lu", (unsigned long)got);
	} else {
		if (p->have & MQTTP_HAVE_HEADER) {
			json_key(o, &first, "length");
			fprintf(o, "%lu", (unsigned long)p->header_len +
			        (unsigned long)p->remaining_length);
		}
		/* On error the bytes consumed depend on the chunking (the
		 * library only promises the error and its offset). */
		if (p->status == MQTTP_NEED_MORE) {
			json_key(o, &first, "received");
			fprintf(o, "%lu", (unsigned long)got);
		}
	}
	if (type == MQTTP_CONNECT)
		print_connect(o, &first);
	else if (type == MQTTP_CONNACK)
		print_connack(o, &first, p->version);
	else if (type == MQTTP_PUBLISH)
		print_publish(o, &first, p);
	else if (type == MQTTP_SUBSCRIBE || type == MQTTP_UNSUBSCRIBE)
		print_subscribe(o, &first, type);
	else if (type == MQTTP_SUBACK || type == MQTTP_UNSUBACK)
		print_suback(o, &first);
	else if ((type >= MQTTP_PUBACK && type <= MQTTP_PUBCOMP) || type == MQTTP_DISCONNECT || type == MQTTP_AUTH)
		print_ack(o, &first, type);
	if (pk.truncated) {
		json_key(o, &first, "truncated");
		fputs("true", o);
	}
	fputs("}\n", o);
}

/* ------------------------------------------------------------------------
 * Topic aliases (5.0)
 * --------------------------------------------------------------------- */

/* Bytes of bound topics each map can hold (MQTTP_E_TOPIC_ALIAS_FULL past it). */
#define ALIAS_ARENA (4u << 20)

/* One map per direction: [0] client to server, [1] server to client. */
static struct mqttp_alias_map amap[2];
static struct mqttp_alias_slot *aslots[2];
static uint8_t *aarena[2];

/* The client-to-server maximum: --topic-alias-max, or -1 to take the one a
 * CONNACK announces (65535 until one does). */
static long alias_max_opt = -1;

/* Start both maps empty; 0 or -1 when out of memory. */
static int alias_setup(void)
{
	int d;

	for (d = 0; d < 2; d++) {
		aslots[d] = malloc(65535u * sizeof(*aslots[d]));
		aarena[d] = malloc(ALIAS_ARENA);
		if (!aslots[d] || !aarena[d])
			return -1;
	}
	mqttp_alias_init(&amap[0], (uint16_t)(alias_max_opt < 0 ? 65535 : alias_max_opt),
	                 aslots[0], aarena[0], ALIAS_ARENA);
	mqttp_alias_init(&amap[1], 65535, aslots[1], aarena[1], ALIAS_ARENA);
	return 0;
}

/* What a finished packet means for the aliases: a CONNECT starts a
 * connection, a 5.0 CONNACK announces the client's maximum, a PUBLISH
 * binds or uses an alias of the direction `dir` (sets resolved). Returns
 * the error of an unresolvable PUBLISH, with its offset in *e_off. */
static enum mqttp_error alias_packet(const struct mqttp_parser *p, int dir, uint32_t *e_off)
{
	const struct value *t, *a;
	enum mqttp_error e;

	switch (p->type) {
	case MQTTP_CONNECT:
		/* no alias outlives its connection [MQTT-3.3.2-7] */
		mqttp_alias_init(&amap[0], (uint16_t)(alias_max_opt < 0 ? 65535 : alias_max_opt),
		                 aslots[0], aarena[0], ALIAS_ARENA);
		mqttp_alias_reset(&amap[1]);
		return MQTTP_E_NONE;
	case MQTTP_CONNACK:
		if (alias_max_opt >= 0 || p->version != MQTTP_V5)
			return MQTTP_E_NONE;
		/* absent: 0, the client may send no alias (section 3.2.2.3.8) */
		a = find_prop(MQTTP_F_PROPERTY, 0x22);
		mqttp_alias_init(&amap[0], (uint16_t)(a ? a->num : 0), aslots[0], aarena[0], ALIAS_ARENA);
		return MQTTP_E_NONE;
	case MQTTP_PUBLISH:
		if (!(t = find(MQTTP_F_TOPIC_NAME)))
			return MQTTP_E_NONE;
		a = find_prop(MQTTP_F_PROPERTY, 0x23);
		e = mqttp_alias_publish(&amap[dir], pk.arena + t->at, t->stored, a != NULL,
		                        a ? a->num : 0, &resolved, &resolved_len);
		if (e != MQTTP_E_NONE) {
			resolved = NULL;
			*e_off = a ? a->off : t->off;
		}
		return e;
	default:
		return MQTTP_E_NONE;
	}
}

/* ------------------------------------------------------------------------
 * Command line
 * --------------------------------------------------------------------- */

/* Print the accepted --lenient names, comma separated. */
static void print_lenient_names(FILE *o)
{
	unsigned bit;
	const char *name;
	int first = 1;

	for (bit = 1; bit & MQTTP_LENIENT_ALL; bit <<= 1) {
		name = mqttp_lenient_name(bit);
		if (!name)
			continue;
		fprintf(o, "%s%s", first ? "" : ", ", name);
		first = 0;
	}
	fprintf(o, "%sall", first ? "" : ", ");
}

/* The --help text. */
static void usage(FILE *o)
{
	fputs(
"usage: mqtt-inspect [OPTIONS] [FILE]\n"
"Parse an MQTT byte stream (FILE, or standard input when FILE is absent or\n"
"'-') with libmqttparse and print one JSON object per packet per line.\n"
"\n"
"options:\n"
"  --hex                 the input is hex text: pairs of hex digits; blanks,\n"
"                        newlines and '#' comments (to end of line) ignored\n"
"  --chunk N             feed the parser N bytes per call (default: all)\n"
"  --lenient NAME        accept one relaxation (repeatable); NAME is one of\n"
"                        ", o);
	print_lenient_names(o);
	fputs("\n"
"  --from-client         the stream is client -> server (first packet must\n"
"                        be CONNECT, no second CONNECT, no server-only types)\n"
"  --from-server         the stream is server -> client (first packet must\n"
"                        be CONNACK or AUTH, no client-only types)\n"
"  --protocol-version V  the session's version (3, 4 or 5) if known; tells\n"
"                        the parser how to read a CONNACK\n"
"  --max-packet-size N   refuse packets over N bytes (default: no limit)\n"
"  --topic-alias-max N   the client-to-server Topic Alias Maximum (0-65535),\n"
"                        what the broker's CONNACK announced (default: the\n"
"                        value of a 5.0 CONNACK in the input, 0 when it has\n"
"                        none; 65535 before any CONNACK)\n"
"  --help, --version\n"
"\n"
"output keys (where they apply):\n"
"  type, status (\"ok\", \"need_more\", \"error\"), packet_offset (first byte\n"
"  of the packet in the input), length (whole packet, header included, when\n"
"  known), received (bytes of the packet seen, need_more only);\n"
"  on error: error (name), reason, offset (in the packet), stream_offset (in\n"
"  the input), reason_code_v311 and reason_code_v5 (the CONNACK code a\n"
"  broker would answer; null = close the connection without CONNACK);\n"
"  CONNECT: protocol_name, protocol_version, bridge, clean_start, keepalive,\n"
"  client_id, username, password_len, will {topic, qos, retain, payload_len,\n"
"  properties, user_properties}, properties, user_properties;\n"
"  CONNACK: session_present, reason_code, reason_code_name (5.0),\n"
"  properties, user_properties;\n"
"  PUBLISH: topic (after topic alias resolution), topic_alias, qos, retain,\n"
"  dup, packet_id (QoS 1 and 2), payload_len, properties, user_properties;\n"
"  SUBSCRIBE: packet_id, filters [{filter, qos, no_local,\n"
"  retain_as_published, retain_handling}], subscription_identifier;\n"
"  UNSUBSCRIBE: packet_id, filters [filter, ...];\n"
"  SUBACK, UNSUBACK: packet_id, reason_codes [code, ...] (none in a 3.1.1\n"
"  UNSUBACK);\n"
"  PUBACK, PUBREC, PUBREL, PUBCOMP: packet_id, reason_code,\n"
"  reason_code_name, properties, user_properties (5.0);\n"
"  DISCONNECT, AUTH: reason_code, reason_code_name, properties,\n"
"  user_properties (5.0).\n"
"  properties is an object keyed by the property's snake_case name; integers\n"
"  are numbers, strings JSON strings, binary data a string of hex digits.\n"
"  user_properties is [[key, value], ...] in wire order; a PUBLISH's\n"
"  subscription_identifier property is an array (it may repeat). Fields of\n"
"  an error or need_more packet are those complete and checked before it\n"
"  ended.\n"
"  truncated: true when a value did not fit the tool's buffers (4 MiB of\n"
"  strings, 2176 values per packet; reason codes of one packet are one\n"
"  value). Payloads, passwords and will payloads are not kept: lengths only.\n"
"\n"
"topic aliases (5.0):\n"
"  one map per direction: a stream is client -> server unless --from-server.\n"
"  A CONNECT starts a new connection (no alias carried over). A PUBLISH that\n"
"  ends ok binds its alias to its topic, or takes the topic of its alias.\n"
"  An error object reports an alias above the maximum (MQTTP_E_TOPIC_ALIAS,\n"
"  reason_code_v5 148) and an empty topic whose alias was never bound\n"
"  (MQTTP_E_TOPIC_ALIAS_UNKNOWN, 130), with the alias's offset. Server ->\n"
"  client maximum: 65535. Bound topics: 4 MiB per direction\n"
"  (MQTTP_E_TOPIC_ALIAS_FULL past it). A PUBLISH that did not end ok shows\n"
"  its topic as sent.\n"
"\n"
"strings:\n"
"  output is UTF-8 JSON. U+0000-U+001F, U+007F-U+009F, '\"' and '\\' are\n"
"  escaped. Each byte that is not part of well-formed UTF-8 (possible only\n"
"  with a lenient parse or a cut value) is shown as U+FFFD, and a\n"
"  \"<key>_hex\" member next to it holds the raw bytes in hex\n"
"  (\"user_properties_hex\" for user properties, \"filters_hex\" for an\n"
"  UNSUBSCRIBE's filters, \"filter_hex\" in a SUBSCRIBE's filter object).\n"
"\n"
"exit status: 0 every packet ok; 1 a packet is invalid (its error object\n"
"  is printed last); 2 the input ends inside a packet (need_more object);\n"
"  64 usage, 65 bad hex input, 66 unreadable input.\n", o);
}

/* Parse a decimal argument in [min, max]; -1 when it is not one. */
static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

/* Option value: "--opt=value" or the next argument. NULL when missing. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) == 0 && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* Does argv[i] name option opt, alone or as "opt=value"? */
static int is_opt(const char *arg, const char *opt)
{
	size_t n = strlen(opt);

	return strncmp(arg, opt, n) == 0 && (arg[n] == 0 || arg[n] == '=');
}

/* Print a usage error and return EXIT_USAGE. */
static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "mqtt-inspect: %s%s%s\n", what, arg ? ": " : "",
	        arg ? arg : "");
	fputs("try 'mqtt-inspect --help'\n", stderr);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct mqttp_options opt;
	struct mqttp_parser p;
	enum mqttp_status st = MQTTP_NEED_MORE;
	const char *file = NULL, *val;
	unsigned char *in;
	unsigned long line;
	size_t n, pos, start, end, used, chunk = 0;
	unsigned flag;
	long num;
	int i, hex = 0, ret = 0, stalls, dir;
	enum mqttp_error e;
	uint32_t e_off = 0;
	FILE *f;

	mqttp_options_default(&opt);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("mqtt-inspect %s (libmqttparse %s)\n",
			       TOOL_VERSION, mqttp_version());
			return 0;
		} else if (strcmp(argv[i], "--hex") == 0) {
			hex = 1;
		} else if (strcmp(argv[i], "--from-client") == 0) {
			opt.checks |= MQTTP_CHECK_FROM_CLIENT;
		} else if (strcmp(argv[i], "--from-server") == 0) {
			opt.checks |= MQTTP_CHECK_FROM_SERVER;
		} else if (is_opt(argv[i], "--chunk")) {
			val = opt_value(argc, argv, &i, "--chunk");
			num = val ? parse_num(val, 1, 1L << 30) : -1;
			if (num < 0)
				return usage_error("--chunk wants a number >= 1", val);
			chunk = (size_t)num;
		} else if (is_opt(argv[i], "--lenient")) {
			val = opt_value(argc, argv, &i, "--lenient");
			if (!val)
				return usage_error("--lenient wants a name", NULL);
			if (strcmp(val, "all") == 0)
				flag = MQTTP_LENIENT_ALL;
			else
				flag = mqttp_lenient_by_name(val, strlen(val));
			if (!flag) {
				fprintf(stderr, "mqtt-inspect: unknown --lenient name '%s'; accepted: ", val);
				print_lenient_names(stderr);
				fputc('\n', stderr);
				return EXIT_USAGE;
			}
			opt.lenient |= flag;
		} else if (is_opt(argv[i], "--protocol-version")) {
			val = opt_value(argc, argv, &i, "--protocol-version");
			num = val ? parse_num(val, 3, 5) : -1;
			if (num < 0)
				return usage_error("--protocol-version wants 3, 4 or 5", val);
			opt.version = (uint8_t)num;
		} else if (is_opt(argv[i], "--topic-alias-max")) {
			val = opt_value(argc, argv, &i, "--topic-alias-max");
			num = val ? parse_num(val, 0, 65535) : -1;
			if (num < 0)
				return usage_error("--topic-alias-max wants a number 0-65535", val);
			alias_max_opt = num;
		} else if (is_opt(argv[i], "--max-packet-size")) {
			val = opt_value(argc, argv, &i, "--max-packet-size");
			num = val ? parse_num(val, 2, 268435460L) : -1;
			if (num < 0)
				return usage_error("--max-packet-size wants a number", val);
			opt.max_packet_size = (uint32_t)num;
		} else if (strcmp(argv[i], "-") == 0 || argv[i][0] != '-') {
			if (file)
				return usage_error("more than one input file", argv[i]);
			file = argv[i];
		} else if (strcmp(argv[i], "--") == 0 && i + 1 < argc && !file) {
			file = argv[++i];
		} else {
			return usage_error("unknown option", argv[i]);
		}
	}
	if ((opt.checks & MQTTP_CHECK_FROM_CLIENT) &&
	    (opt.checks & MQTTP_CHECK_FROM_SERVER))
		return usage_error("--from-client and --from-server exclude each other", NULL);

	if (!file || strcmp(file, "-") == 0) {
		in = input_read_all(stdin, &n);
	} else {
		f = fopen(file, "rb");
		if (!f) {
			fprintf(stderr, "mqtt-inspect: %s: %s\n", file, strerror(errno));
			return EXIT_NOINPUT;
		}
		in = input_read_all(f, &n);
		fclose(f);
	}
	if (!in) {
		fprintf(stderr, "mqtt-inspect: cannot read %s\n", file ? file : "stdin");
		return EXIT_NOINPUT;
	}
	if (hex) {
		n = input_unhex(in, n, &line);
		if (n == (size_t)-1) {
			fprintf(stderr, "mqtt-inspect: bad hex input (line %lu)\n", line);
			free(in);
			return EXIT_DATAERR;
		}
	}
	pk.arena = malloc(ARENA_SIZE);
	if (!pk.arena || alias_setup() < 0) {
		fputs("mqtt-inspect: out of memory\n", stderr);
		free(in);
		return EXIT_SOFTWARE;
	}
	if (!chunk)
		chunk = n ? n : 1;
	/* a stream not marked --from-server is read as a client's */
	dir = (opt.checks & MQTTP_CHECK_FROM_SERVER) ? 1 : 0;

	/* Read the input as a socket would deliver it: `chunk` bytes at a
	 * time, each chunk fed until used up (a call stops at a packet's end). */
	mqttp_init(&p, &opt);
	packet_clear(&pk);
	for (pos = start = 0, stalls = 0; pos < n && !ret; ) {
		end = n - pos > chunk ? pos + chunk : n;
		while (pos < end) {
			used = 0;
			st = mqttp_feed(&p, in + pos, end - pos, &used, on_field, &pk);
			if (used > end - pos) {
				fputs("mqtt-inspect: parser consumed more than given\n", stderr);
				ret = EXIT_SOFTWARE;
				break;
			}
			pos += used;
			if (st == MQTTP_ERROR) {
				print_packet(stdout, &p, in, start, pos - start, "error",
				             (enum mqttp_error)p.error, p.error_offset);
				ret = 1;
				break;
			}
			if (st == MQTTP_DONE) {
				e = alias_packet(&p, dir, &e_off);
				print_packet(stdout, &p, in, start, pos - start,
				             e ? "error" : "ok", e, e_off);
				if (e) {
					ret = 1;
					break;
				}
				resolved = NULL;
				start = pos;
				packet_clear(&pk);
			}
			/* A parser that neither consumes nor decides would
			 * loop forever: give up loudly instead. */
			stalls = used ? 0 : stalls + 1;
			if (stalls > 2) {
				fputs("mqtt-inspect: parser made no progress\n", stderr);
				ret = EXIT_SOFTWARE;
				break;
			}
		}
	}
	if (!ret && pos > start) {
		print_packet(stdout, &p, in, start, pos - start, "need_more",
		             MQTTP_E_NONE, 0);
		ret = 2;
	}
	if (fflush(stdout) != 0)
		ret = EXIT_SOFTWARE;
	for (i = 0; i < 2; i++) {
		free(aslots[i]);
		free(aarena[i]);
	}
	free(pk.arena);
	free(in);
	return ret;
}
