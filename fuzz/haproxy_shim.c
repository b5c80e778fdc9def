/*
 * haproxy_shim.c - the two symbols HAProxy's src/mqtt.c needs from the rest
 * of HAProxy (get_trash_chunk, ultoa_o), written here from their documented
 * behaviour, and a wrapper around mqtt_validate_message(). Compiled with
 * -I<haproxy>/include and -DFZ_HAP_VERSION / -DFZ_HAP_TREE naming the tree
 * (fuzz/fuzz.mk); no HAProxy code is copied.
 */
#include <string.h>

#include <haproxy/chunk.h>
#include <haproxy/mqtt.h>
#include <haproxy/tools.h>

#include "haproxy_shim.h"

static char trash_area[16384];
static struct buffer trash_buf;

/* HAProxy hands out a per-thread scratch buffer; one static buffer will do
 * for a single-threaded fuzzer. */
struct buffer *get_trash_chunk(void)
{
	trash_buf.area = trash_area;
	trash_buf.size = sizeof(trash_area);
	trash_buf.data = 0;
	trash_buf.head = 0;
	trash_area[0] = '\0';
	return &trash_buf;
}

/* Write n in decimal at dst (at most size bytes, NUL included); return a
 * pointer to the NUL, or NULL when it does not fit. */
char *ultoa_o(unsigned long n, char *dst, size_t size)
{
	char tmp[24];
	size_t i = 0, k;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	if (i + 1 > size)
		return NULL;
	for (k = 0; k < i; k++)
		dst[k] = tmp[i - 1 - k];
	dst[i] = '\0';
	return dst + i;
}

#ifndef FZ_HAP_VERSION
#define FZ_HAP_VERSION "(unknown version)"
#endif
#ifndef FZ_HAP_TREE
#define FZ_HAP_TREE "(unknown tree)"
#endif

const char *hap_tree_name(void)
{
	return "HAProxy " FZ_HAP_VERSION " src/mqtt.c from " FZ_HAP_TREE;
}

/* Run HAProxy's validator and copy out what the harness compares. */
void hap_validate(const uint8_t *buf, size_t len, struct hap_view *v)
{
	struct mqtt_pkt mpkt;

	memset(v, 0, sizeof(*v));
	memset(&mpkt, 0, sizeof(mpkt));
	v->verdict = mqtt_validate_message(ist2((const char *)buf, len), &mpkt);
	v->type = mpkt.fixed_hdr.type;
	v->remaining_length = mpkt.fixed_hdr.remaining_length;
	if (v->type == MQTT_CPT_CONNECT) {
		v->level = mpkt.data.connect.var_hdr.protocol_version;
		v->flags = mpkt.data.connect.var_hdr.flags;
		v->keepalive = mpkt.data.connect.var_hdr.keepalive;
		v->cid = (const uint8_t *)mpkt.data.connect.payload.client_identifier.ptr;
		v->cid_len = mpkt.data.connect.payload.client_identifier.len;
		v->username = (const uint8_t *)mpkt.data.connect.payload.username.ptr;
		v->username_len = mpkt.data.connect.payload.username.len;
	} else if (v->type == MQTT_CPT_CONNACK) {
		v->connack_flags = mpkt.data.connack.var_hdr.flags;
		v->reason_code = mpkt.data.connack.var_hdr.reason_code;
	}
}
