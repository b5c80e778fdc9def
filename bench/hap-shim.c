/*
 * hap-shim.c - the few HAProxy symbols that HAProxy's own src/mqtt.c needs,
 * so that it can be linked into the parser benchmark outside HAProxy, plus
 * plain-C wrappers that call it the way HAProxy's converters do
 * (sample_conv_mqtt_is_valid, sample_conv_mqtt_field_value in src/sample.c).
 *
 * Compiled with -I<haproxy>/include against the tree the build fetched;
 * nothing of HAProxy is committed here. The wrappers keep HAProxy's types
 * out of the benchmark proper, which builds with the project's flags.
 */
#include <stddef.h>
#include <string.h>

#include <haproxy/chunk.h>
#include <haproxy/mqtt.h>
#include <haproxy/tools.h>

#include "hap-shim.h"

/* HAProxy's trash chunks default to tune.bufsize (16384) bytes. */
#define SHIM_TRASH_SIZE 16384

static char shim_area[2][SHIM_TRASH_SIZE];
static struct buffer shim_chunk[2];
static int shim_next;

/* Like HAProxy's: alternate between two scratch buffers, return one emptied. */
struct buffer *get_trash_chunk(void)
{
	struct buffer *b = &shim_chunk[shim_next];

	b->area = shim_area[shim_next];
	b->size = SHIM_TRASH_SIZE;
	b->data = 0;
	b->head = 0;
	b->area[0] = 0;
	shim_next ^= 1;
	return b;
}

/* Write n in decimal at dst (NUL terminated, at most size bytes with the NUL);
 * return a pointer to the NUL, or NULL when it does not fit. */
char *ultoa_o(unsigned long n, char *dst, size_t size)
{
	char tmp[24];
	size_t i = 0, j;

	do {
		tmp[i++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	if (i + 1 > size)
		return NULL;
	for (j = 0; j < i; j++)
		dst[j] = tmp[i - 1 - j];
	dst[i] = 0;
	return dst + i;
}

/* mqtt_is_valid: 1 valid, 0 need more, -1 invalid. */
int hap_mqtt_validate(const void *buf, size_t len)
{
	return mqtt_validate_message(ist2(buf, len), NULL);
}

/* mqtt_field_value(<type>,<field>) as the converter calls it: returns 1 with
 * the value in *val / *vlen, 0 when more data is needed, -1 when invalid or
 * the field is absent (the converter cannot tell them apart). */
static int hap_field(const void *buf, size_t len, int type, int field,
                     const char **val, size_t *vlen)
{
	struct ist v = mqtt_field_value(ist2(buf, len), type, field);

	if (!isttest(v))
		return -1;
	if (!istlen(v))
		return 0;
	*val = istptr(v);
	*vlen = istlen(v);
	return 1;
}

/* mqtt_field_value(connect,client_identifier). */
int hap_mqtt_connect_client_id(const void *buf, size_t len, const char **val, size_t *vlen)
{
	return hap_field(buf, len, MQTT_CPT_CONNECT, MQTT_FN_CLIENT_IDENTIFIER, val, vlen);
}

/* mqtt_field_value(connack,assigned_client_identifier). */
int hap_mqtt_connack_assigned_id(const void *buf, size_t len, const char **val, size_t *vlen)
{
	return hap_field(buf, len, MQTT_CPT_CONNACK, MQTT_FN_ASSIGNED_CLIENT_IDENTIFIER, val, vlen);
}

/* mqtt_field_value(connack,reason_code): an integer printed into trash. */
int hap_mqtt_connack_reason(const void *buf, size_t len, const char **val, size_t *vlen)
{
	return hap_field(buf, len, MQTT_CPT_CONNACK, MQTT_FN_REASON_CODE, val, vlen);
}
