/*
 * mqttp_options.h - the libmqttparse options of the addon, set by the
 * global keywords of mqttp_options.c (mqtt-lenient, mqtt-max-client-id-len,
 * mqtt-max-packet-size). Every parse of the addon (sample fetches,
 * mqtt-refuse, the rewrite actions) starts from them, so all of them judge
 * a CONNECT alike.
 */
#ifndef MQTTP_OPTIONS_H
#define MQTTP_OPTIONS_H

#include <mqttparse.h>

/* Fills <opt> with the configured options (the library's strict defaults
 * when the global section set none); checks and version are 0. */
void mqa_options_get(struct mqttp_options *opt);

struct stream;
/* Forgets the parse state of stream <s> for direction <dir> (0: request):
 * the next fetch parses the channel again from its first byte
 * (mqttp_addon.c; called by mqttp_rewrite.c after a rewrite in place). */
void mqa_cache_forget(const struct stream *s, unsigned int dir);

#endif /* MQTTP_OPTIONS_H */
