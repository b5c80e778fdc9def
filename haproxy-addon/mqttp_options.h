/*
 * mqttp_options.h - the libmqttparse options of the addon, set by the
 * global keywords of mqttp_options.c (mqtt-lenient, mqtt-max-client-id-len,
 * mqtt-max-packet-size, mqtt-topic-alias-max). Every parse of the addon (sample fetches,
 * mqtt-refuse, the rewrite actions) starts from them, so all of them judge
 * a CONNECT alike.
 */
#ifndef MQTTP_OPTIONS_H
#define MQTTP_OPTIONS_H

#include <mqttparse.h>

/* Fills <opt> with the configured options (the library's strict defaults
 * when the global section set none); checks and version are 0. */
void mqa_options_get(struct mqttp_options *opt);

/* The global Topic Alias Maximum cap (mqtt-topic-alias-max, default 10). */
unsigned int mqa_options_topic_alias_max(void);

#endif /* MQTTP_OPTIONS_H */
