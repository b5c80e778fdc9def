/*
 * mqttp_options.c - global keywords for the libmqttparse options of the
 * addon, which is strict-only without them:
 *
 *   mqtt-lenient <flag> [<flag> ...]    relax one rule each (library names:
 *                                       non-minimal-length, control-chars,
 *                                       protocol-name, v31-header-flags,
 *                                       password-without-username,
 *                                       v31-long-client-id)
 *   mqtt-max-client-id-len <n>          refuse longer client ids (1-65535)
 *   mqtt-max-packet-size <size>         refuse larger packets (16 - 268435460,
 *                                       k/m suffixes)
 *   mqtt-topic-alias-max <n>            Topic Alias Maximum cap in the CONNECT
 *                                       and CONNACK forwarded (0-65535, default 10)
 *
 * Each is validated when the configuration is parsed, with a message that
 * names what is accepted; the post-check warns when mqtt-max-packet-size
 * exceeds what a request buffer can hold (tune.bufsize - tune.maxrewrite).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/cfgparse.h>
#include <haproxy/errors.h>
#include <haproxy/global.h>
#include <haproxy/tools.h>

#include <mqttparse.h>

#include "mqttp_options.h"

static struct mqttp_options mqa_opts; /* zero = the library's defaults */
static unsigned int mqa_topic_alias_max = 10;

unsigned int mqa_options_topic_alias_max(void)
{
	return mqa_topic_alias_max;
}

void mqa_options_get(struct mqttp_options *opt)
{
	*opt = mqa_opts;
	opt->checks = 0;
	opt->version = 0;
}

/* The lenient flag names, for messages. */
static void mqa_lenient_names(char **out)
{
	unsigned int bit;

	for (bit = 1; bit & MQTTP_LENIENT_ALL; bit <<= 1)
		memprintf(out, "%s%s%s", *out ? *out : "", *out ? ", " : "", mqttp_lenient_name(bit));
}

/* mqtt-lenient <flag> [<flag> ...]: flags may also be comma-separated. */
static int mqa_cfg_lenient(char **args, int section_type, struct proxy *curpx,
                           const struct proxy *defpx, const char *file, int line, char **err)
{
	char *names = NULL;
	int i;

	if (!*args[1]) {
		mqa_lenient_names(&names);
		memprintf(err, "'%s' expects one or more flags among: %s", args[0], names ? names : "");
		ha_free(&names);
		return -1;
	}
	for (i = 1; *args[i]; i++) {
		const char *p = args[i];

		while (*p) {
			size_t len = strcspn(p, ",");
			unsigned int flag = mqttp_lenient_by_name(p, len);

			if (!flag) {
				mqa_lenient_names(&names);
				memprintf(err, "'%s': unknown flag '%.*s'; expects one or more of: %s",
				          args[0], (int)len, p, names ? names : "");
				ha_free(&names);
				return -1;
			}
			mqa_opts.lenient |= flag;
			p += len;
			if (*p == ',')
				p++;
		}
	}
	return 0;
}

/* mqtt-max-client-id-len <n> */
static int mqa_cfg_max_cid(char **args, int section_type, struct proxy *curpx,
                           const struct proxy *defpx, const char *file, int line, char **err)
{
	char *end = NULL;
	long v = 0;

	if (too_many_args(1, args, err, NULL))
		return -1;
	if (*args[1])
		v = strtol(args[1], &end, 10);
	if (!*args[1] || *end || v < 1 || v > 65535) {
		memprintf(err, "'%s' expects a number of bytes from 1 to 65535 (got '%s')", args[0], args[1]);
		return -1;
	}
	mqa_opts.max_client_id_len = (uint16_t)v;
	return 0;
}

/* mqtt-max-packet-size <size> */
static int mqa_cfg_max_packet(char **args, int section_type, struct proxy *curpx,
                              const struct proxy *defpx, const char *file, int line, char **err)
{
	unsigned int v = 0;
	const char *res;

	if (too_many_args(1, args, err, NULL))
		return -1;
	res = *args[1] ? parse_size_err(args[1], &v) : args[1];
	if (res || v < 16 || v > MQTTP_MAX_REMAINING_LENGTH + 5) {
		memprintf(err, "'%s' expects a size from 16 to 268435460 bytes (k/m suffixes allowed; got '%s')",
		          args[0], args[1]);
		return -1;
	}
	mqa_opts.max_packet_size = v;
	return 0;
}

/* mqtt-topic-alias-max <n> */
static int mqa_cfg_topic_alias_max(char **args, int section_type, struct proxy *curpx,
                                   const struct proxy *defpx, const char *file, int line, char **err)
{
	char *end = NULL;
	long v = -1;

	if (too_many_args(1, args, err, NULL))
		return -1;
	if (*args[1])
		v = strtol(args[1], &end, 10);
	if (!*args[1] || *end || v < 0 || v > 65535) {
		memprintf(err, "'%s' expects an integer from 0 to 65535 (got '%s')", args[0], args[1]);
		return -1;
	}
	mqa_topic_alias_max = (unsigned int)v;
	return 0;
}

/* A CONNECT is inspected (and rewritten) in the request buffer: a limit
 * above what it holds cannot be reached. */
static int mqa_options_check(void)
{
	unsigned int room = global.tune.bufsize - global.tune.maxrewrite;

	if (mqa_opts.max_packet_size && mqa_opts.max_packet_size > room) {
		ha_warning("mqtt-max-packet-size %u is larger than what a request buffer can hold for "
		           "inspection (tune.bufsize %d - tune.maxrewrite %d = %u): a CONNECT larger than "
		           "%u bytes is refused as too large anyway.\n",
		           mqa_opts.max_packet_size, global.tune.bufsize, global.tune.maxrewrite, room, room);
		return ERR_WARN;
	}
	return ERR_NONE;
}

REGISTER_POST_CHECK(mqa_options_check);

static struct cfg_kw_list mqa_cfg_kws = {ILH, {
	{ CFG_GLOBAL, "mqtt-lenient",           mqa_cfg_lenient },
	{ CFG_GLOBAL, "mqtt-max-client-id-len", mqa_cfg_max_cid },
	{ CFG_GLOBAL, "mqtt-max-packet-size",   mqa_cfg_max_packet },
	{ CFG_GLOBAL, "mqtt-topic-alias-max",   mqa_cfg_topic_alias_max },
	{ 0, NULL, NULL },
}};

INITCALL1(STG_REGISTER, cfg_register_keywords, &mqa_cfg_kws);
