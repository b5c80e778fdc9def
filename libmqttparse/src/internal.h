/*
 * internal.h - definitions shared by the library's source files only.
 */
#ifndef MQTTP_INTERNAL_H
#define MQTTP_INTERNAL_H

#include "mqttparse.h"

/* Highest property identifier defined by MQTT 5.0. */
#define MQTTP_PROP_MAX 0x2A

/* Property rows by id (NULL: undefined), for lookups on hot paths. */
extern const struct mqttp_property_info *const mqttp__props_by_id[MQTTP_PROP_MAX + 1];


#endif
