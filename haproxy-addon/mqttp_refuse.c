/*
 * mqttp_refuse.c - the actions "mqtt-validate" (tcp-request content) and
 * "mqtt-refuse" (tcp-request / tcp-response content): they judge the
 * session's CONNECT (mqttp_session.c) and answer through the one answer
 * path (mqttp_answer.c).
 */

#include <stdio.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/channel.h>
#include <haproxy/proxy.h>
#include <haproxy/stream.h>
#include <haproxy/tcp_rules.h>
#include <haproxy/tools.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttcodec.h>

#define MQA_REASON_MIN 0x80
#define MQA_REASON_MAX 0x9F

/* Shorter spellings accepted besides the spec's names. */
static const struct { const char *kw; unsigned int code; } mqa_reason_alias[] = {
	{ "client-id-not-valid",      0x85 },
	{ "bad-username-or-password", 0x86 },
};

/* Returns true when more bytes may still arrive on the channel of <dir>. */
static int mqa_may_grow(struct stream *s, unsigned int dir)
{
	struct channel *chn = dir ? &s->res : &s->req;

	return channel_may_recv(chn) && !channel_input_closed(chn);
}

/* ------------------------------------------------------------------------
 * tcp-request content / tcp-response content mqtt-refuse
 * --------------------------------------------------------------------- */

/* Reason code <code> spelled as a keyword ("not-authorized"), in a static
 * buffer; NULL if it is not a CONNACK refusal code. */
static const char *mqa_reason_kw(unsigned int code)
{
	static char kwbuf[64];
	const char *name = mqttp_reason_code_name(code);
	size_t i;

	if (!name || !mqttp_connack_code_valid(MQTTP_V5, code) || code < MQA_REASON_MIN)
		return NULL;
	for (i = 0; name[i] && i < sizeof(kwbuf) - 1; i++)
		kwbuf[i] = name[i] == '_' ? '-' : name[i];
	kwbuf[i] = 0;
	return kwbuf;
}

/* Answers the client of <s> with what a broker would send for the
 * request state <st> (see mqa_act_refuse), or closes when <close> is set or
 * no answer fits, then counts the denial as "reject" does. */
static enum act_return mqa_refuse(struct act_rule *rule, struct session *sess, struct stream *s,
                                  const struct mqa_dir *st, unsigned int reason,
                                  const char *sref, int close)
{
	unsigned int version = st && !close ? mqttp_connack_version(st->pp) : 0;
	int rc311;
	uint8_t pkt[512];
	size_t len = 0;

	if (!close && !reason && st && st->pp->status == MQTTP_ERROR)
		len = mqttp_encode_refusal(st->pp, pkt, sizeof(pkt));
	else if (version) {
		if (!reason)
			reason = 0x87; /* not authorized */
		if (version == MQTTP_V5)
			len = mqttp_encode_connack(pkt, sizeof(pkt), MQTTP_V5, 0, 0, reason,
			                           NULL, 0, sref, sref ? strlen(sref) : 0);
		else if ((rc311 = mqttp_reason_to_return_code(reason)) > 0)
			len = mqttp_encode_connack(pkt, sizeof(pkt), version, 0,
			                           (unsigned int)rc311, 0, NULL, 0, NULL, 0);
	}

	return mqa_answer_close(s, mqa_session_get(s), pkt, len, rule->from == ACT_F_TCP_RES_CNT);
}

/* "mqtt-refuse": sends the CONNACK the rule asks for to the client, then
 * closes both sides. The CONNACK has the format the library picks for the client's
 * protocol level (mqttp_connack_version). Without a reason the parser's
 * verdict decides (mqttp_encode_refusal: unsupported level 1 / 0x84,
 * client id 2 / 0x85, 3.1.1 malformed: close without CONNACK
 * [MQTT-3.1.4-1], 5.0 malformed 0x81); a valid CONNECT is refused as not
 * authorized. Before the protocol level is known the only answer is to
 * close, so in tcp-request content the action waits for it (yields) while
 * bytes may still come. */
static enum act_return mqa_act_refuse(struct act_rule *rule, struct proxy *px,
                                      struct session *sess, struct stream *s, int flags)
{
	struct mqa_dir *st = mqa_session_dir(s, mqa_session_get(s), 0, 0);

	if (st && st->pp->status == MQTTP_NEED_MORE && !mqttp_connack_version(st->pp) &&
	    rule->from == ACT_F_TCP_REQ_CNT && !(flags & ACT_OPT_FINAL) && mqa_may_grow(s, 0))
		return ACT_RET_YIELD;
	return mqa_refuse(rule, sess, s, st, (unsigned int)(long)rule->arg.act.p[0],
	                  rule->arg.act.p[1], 0);
}

/* "tcp-request content mqtt-validate": the canonical frontend rules in one
 * action, for speed (one rule and no ACL instead of two, ~300 instructions
 * per connection): waits for the whole CONNECT (until the inspect delay
 * expires or the buffer is full); refuses an invalid one as mqtt-refuse
 * does (the CONNACK a broker would send, or a close); closes when the
 * client id is still unknown at the end of the wait (nothing to route on);
 * else goes on with the next rule: a valid CONNECT, or a CONNECT larger
 * than the buffer whose client id is known. Same as
 *   tcp-request content mqtt-refuse if { req.mqtt_error -m found }
 *   tcp-request content reject unless { req.mqtt_client_id -m found } */
static enum act_return mqa_act_validate(struct act_rule *rule, struct proxy *px,
                                        struct session *sess, struct stream *s, int flags)
{
	struct mqa_dir *st = mqa_session_dir(s, mqa_session_get(s), 0, 0);

	if (st && st->pp->status == MQTTP_DONE)
		return ACT_RET_CONT;
	if (st && st->pp->status == MQTTP_ERROR)
		return mqa_refuse(rule, sess, s, st, 0, NULL, 0);
	if (st && !(flags & ACT_OPT_FINAL) && mqa_may_grow(s, 0))
		return ACT_RET_YIELD;
	if (st && (st->pp->have & MQTTP_HAVE_CLIENT_ID))
		return ACT_RET_CONT;
	return mqa_refuse(rule, sess, s, st, 0, NULL, 1);
}

/* Parses "mqtt-validate" (no argument). */
static enum act_parse_ret mqa_parse_validate(const char **args, int *orig_arg, struct proxy *px,
                                             struct act_rule *rule, char **err)
{
	const char *a = args[*orig_arg];

	if (*a && strcmp(a, "if") != 0 && strcmp(a, "unless") != 0) {
		memprintf(err, "'mqtt-validate' takes no argument (got '%s')", a);
		return ACT_RET_PRS_ERR;
	}
	rule->action = ACT_CUSTOM;
	rule->action_ptr = mqa_act_validate;
	return ACT_RET_PRS_OK;
}

/* Frees the rule's server reference. */
static void mqa_release_refuse(struct act_rule *rule)
{
	ha_free((char **)&rule->arg.act.p[1]);
}

/* Parses "mqtt-refuse [<reason>] [server-reference <host[:port]>]".
 * <reason> is a 5.0 CONNACK reason code name with dashes
 * ("not-authorized"); 3.1/3.1.1 clients get the matching return code. */
static enum act_parse_ret mqa_parse_refuse(const char **args, int *orig_arg, struct proxy *px,
                                           struct act_rule *rule, char **err)
{
	int cur = *orig_arg;
	unsigned int code, reason = 0;
	char *names = NULL;
	const char *kw;
	size_t i;

	rule->arg.act.p[0] = NULL;
	rule->arg.act.p[1] = NULL;
	while (*args[cur] && strcmp(args[cur], "if") != 0 && strcmp(args[cur], "unless") != 0) {
		if (strcmp(args[cur], "server-reference") == 0) {
			if (!*args[cur + 1]) {
				memprintf(err, "'mqtt-refuse': 'server-reference' expects <host[:port]>");
				goto fail;
			}
			ha_free((char **)&rule->arg.act.p[1]);
			rule->arg.act.p[1] = strdup(args[cur + 1]);
			cur += 2;
			continue;
		}
		if (reason) {
			memprintf(err, "'mqtt-refuse': unexpected argument '%s' after the reason", args[cur]);
			goto fail;
		}
		for (code = MQA_REASON_MIN; code <= MQA_REASON_MAX; code++) {
			kw = mqa_reason_kw(code);
			if (kw && strcmp(kw, args[cur]) == 0)
				break;
		}
		for (i = 0; code > MQA_REASON_MAX && i < sizeof(mqa_reason_alias) / sizeof(mqa_reason_alias[0]); i++)
			if (strcmp(mqa_reason_alias[i].kw, args[cur]) == 0)
				code = mqa_reason_alias[i].code;
		if (code > MQA_REASON_MAX) {
			for (code = MQA_REASON_MIN; code <= MQA_REASON_MAX; code++) {
				kw = mqa_reason_kw(code);
				if (kw)
					memprintf(&names, "%s%s%s", names ? names : "", names ? ", " : "", kw);
			}
			memprintf(err, "'mqtt-refuse': unknown reason '%s'; expects one of: %s "
			          "(or client-id-not-valid, bad-username-or-password), optionally "
			          "followed by 'server-reference <host[:port]>'",
			          args[cur], names ? names : "");
			ha_free(&names);
			goto fail;
		}
		reason = code;
		cur++;
	}
	rule->arg.act.p[0] = (void *)(long)reason;
	rule->action = ACT_CUSTOM;
	rule->action_ptr = mqa_act_refuse;
	rule->release_ptr = mqa_release_refuse;
	*orig_arg = cur;
	return ACT_RET_PRS_OK;
 fail:
	ha_free((char **)&rule->arg.act.p[1]);
	return ACT_RET_PRS_ERR;
}

/* ------------------------------------------------------------------------
 * Registration
 * --------------------------------------------------------------------- */

static struct action_kw_list mqa_tcp_req_actions = {ILH, {
	{ "mqtt-refuse", mqa_parse_refuse },
	{ "mqtt-validate", mqa_parse_validate },
	{ /* END */ }
}};

INITCALL1(STG_REGISTER, tcp_req_cont_keywords_register, &mqa_tcp_req_actions);

static struct action_kw_list mqa_tcp_res_actions = {ILH, {
	{ "mqtt-refuse", mqa_parse_refuse },
	{ /* END */ }
}};

INITCALL1(STG_REGISTER, tcp_res_cont_keywords_register, &mqa_tcp_res_actions);
