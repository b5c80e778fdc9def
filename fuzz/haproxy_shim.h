/*
 * haproxy_shim.h - a plain C view of HAProxy's src/mqtt.c validator, so the
 * differential harness needs no HAProxy header.
 */
#ifndef HAPROXY_SHIM_H
#define HAPROXY_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* What HAProxy's parser reported. */
struct hap_view {
	int verdict;              /* -1 invalid, 0 need more, 1 valid */
	int type;                 /* fixed header type it read (0 if none) */
	uint32_t remaining_length;
	uint8_t level, flags;     /* CONNECT protocol level and connect flags */
	uint16_t keepalive;
	const uint8_t *cid;       /* CONNECT client identifier (ptr into buf) */
	size_t cid_len;
	const uint8_t *username;
	size_t username_len;
	uint8_t connack_flags, reason_code;
};

/* Which HAProxy tree src/mqtt.c was compiled from: "HAProxy <version>
 * src/mqtt.c from <tree path>" (fuzz.mk passes both at compile time). */
const char *hap_tree_name(void);

/* Run mqtt_validate_message() over buf[0..len) and fill *v. */
void hap_validate(const uint8_t *buf, size_t len, struct hap_view *v);

#endif /* HAPROXY_SHIM_H */
