/*
 * hap-shim.h - HAProxy's src/mqtt.c behind plain-C wrappers (hap-shim.c).
 */
#ifndef BENCH_HAP_SHIM_H
#define BENCH_HAP_SHIM_H

#include <stddef.h>

/* mqtt_is_valid: 1 valid, 0 need more, -1 invalid. */
int hap_mqtt_validate(const void *buf, size_t len);
/* mqtt_field_value(...): 1 found (*val, *vlen), 0 need more, -1 invalid/absent. */
int hap_mqtt_connect_client_id(const void *buf, size_t len, const char **val, size_t *vlen);
int hap_mqtt_connack_assigned_id(const void *buf, size_t len, const char **val, size_t *vlen);
int hap_mqtt_connack_reason(const void *buf, size_t len, const char **val, size_t *vlen);

#endif
