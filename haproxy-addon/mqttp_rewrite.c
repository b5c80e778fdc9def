/*
 * mqttp_rewrite.c - tcp-request content actions that rewrite the client's
 * CONNECT before it reaches the broker:
 *
 *   mqtt-set-client-id <fmt>     mqtt-set-username <fmt>     mqtt-set-password <fmt>
 *   mqtt-unset-username          mqtt-unset-password
 *
 * <fmt> is a log-format string, as for http-request set-header. The action
 * waits (yields) until the whole CONNECT is in the request buffer, like
 * req.mqtt_is_valid. It then builds the new CONNECT with the library's
 * rewriter (mqttp_rewrite_connect: every other byte kept, remaining length
 * re-encoded, the new value checked by the rules the parser applies) and
 * replaces the CONNECT's bytes in the channel's input, before anything is
 * forwarded, as Lua's Channel:set does; bytes after the CONNECT stay as
 * they are. The received byte count follows the size change, and the
 * session's CONNECT becomes the rewritten one, so every req.mqtt_*
 * fetch evaluated afterwards (balance hash, stick on, set-var, logs)
 * answers from the rewritten CONNECT.
 *
 * Refusals, each logged with its reason: an invalid CONNECT, or a new
 * value the rules refuse, gets the CONNACK a broker would send in the
 * client's version (client id: 0x85 / return code 2; user name or
 * password: 0x86 / 4; a result too large: 0x95 / close; a malformed 3.1.1
 * CONNECT: close); a CONNECT that does not fit in the request buffer
 * (tune.bufsize - tune.maxrewrite) or never completes is refused too. A
 * packet is never forwarded half-rewritten: the buffer is changed only once
 * the whole new CONNECT is built and known to fit.
 *
 * Filters: if a data filter on the request already saw part of the input
 * (its offset is past what was forwarded), the bytes it saw would change
 * under it; the action then refuses instead of rewriting. Otherwise the
 * rewrite happens before every filter sees the bytes, and no filter offset
 * needs flt_update_offsets().
 */

#include <stdio.h>
#include <string.h>

#include <haproxy/api.h>
#include <haproxy/action.h>
#include <haproxy/buf.h>
#include <haproxy/channel.h>
#include <haproxy/chunk.h>
#include <haproxy/filters.h>
#include <haproxy/global.h>
#include <haproxy/log.h>
#include <haproxy/proxy.h>
#include <haproxy/sample.h>
#include <haproxy/sc_strm.h>
#include <haproxy/stream.h>
#include <haproxy/tcp_rules.h>
#include <haproxy/tools.h>
#include <haproxy/vars.h>

#include "mqttp_answer.h"
#include "mqttp_compat.h"
#include "mqttp_filter.h"
#include "mqttp_log.h"
#include "mqttp_options.h"
#include "mqttp_session.h"

#include <mqttparse.h>
#include <mqttcodec.h>

/* Which field an action changes (rule->arg.http.i). */
enum mqa_rw_kind {
	MQA_RW_SET_CLIENT_ID = 0,
	MQA_RW_SET_USERNAME,
	MQA_RW_SET_PASSWORD,
	MQA_RW_UNSET_USERNAME,
	MQA_RW_UNSET_PASSWORD,
};

static const char *const mqa_rw_kw[] = {
	"mqtt-set-client-id", "mqtt-set-username", "mqtt-set-password",
	"mqtt-unset-username", "mqtt-unset-password",
};

/*
 * Each rewrite is applied once per stream. HAProxy re-runs a tcp-request
 * content rule set from its first rule when a later rule's condition lacks
 * data, so an action that already rewrote the CONNECT may run again on the
 * rewritten bytes ("tenant-a/tenant-a/..."). Every rewrite rule gets one
 * bit (at most 64 rules), kept in the stream's MQTT session.
 */
#define MQA_RW_MAX_RULES 64

static unsigned int mqa_rw_nb_rules;

/* Which field an action changes, and the rule's bit: rule->arg.http.i
 * holds kind | bit << 8. */
#define MQA_RW_KIND(rule) ((rule)->arg.http.i & 0xff)
#define MQA_RW_BIT(rule)  (1ull << ((unsigned int)(rule)->arg.http.i >> 8))

/* What the field is called in messages. */
static const char *mqa_rw_field_name(unsigned int field)
{
	switch (field) {
	case MQTTP_F_CLIENT_ID: return "client id";
	case MQTTP_F_USERNAME: return "user name";
	case MQTTP_F_PASSWORD: return "password";
	default: return "CONNECT";
	}
}

/* Logs why the client was refused, on the frontend's loggers. */
static void mqa_rw_log(struct stream *s, struct act_rule *rule, const char *fmt, const char *detail,
                    const char *err_name)
{
	char addr[64];
	int port = mqa_client_addr(s, addr, sizeof(addr));

	send_log(strm_fe(s), LOG_WARNING, "%s: client %s:%d refused: %s%s%s%s\n",
	         mqa_rw_kw[MQA_RW_KIND(rule)], addr, port, fmt, detail ? detail : "",
	         err_name ? " " : "", err_name ? err_name : "");
}

/* Sends the CONNACK for refusal <reason> (5.0 reason code; 0 = close
 * without CONNACK) in the client's <version>, closes, counts. */
static enum act_return mqa_rw_refuse(struct stream *s, struct session *sess, unsigned int version,
                                  unsigned int reason)
{
	uint8_t pkt[16];
	size_t len = 0;
	int rc;

	if (reason && version == MQTTP_V5)
		len = mqttp_encode_connack(pkt, sizeof(pkt), MQTTP_V5, 0, 0, reason, NULL, 0, NULL, 0);
	else if (reason && version && (rc = mqttp_reason_to_return_code(reason)) > 0)
		len = mqttp_encode_connack(pkt, sizeof(pkt), version, 0, (unsigned int)rc, 0,
		                           NULL, 0, NULL, 0);
	return mqa_answer_close(s, mqa_session_get(s), pkt, len, 0);
}

/* Has a data filter on the request already looked at input bytes? */
static int mqa_rw_filters_saw_input(struct stream *s)
{
	struct channel *req = &s->req; /* FLT_STRM_OFF() wants a plain name in 3.4 */
	struct filter *f;

	if (!HAS_REQ_DATA_FILTERS(s))
		return 0;
	list_for_each_entry(f, &strm_flt(s)->filters, list) {
		if (FLT_OFF(f, req) != FLT_STRM_OFF(s, req))
			return 1;
	}
	return 0;
}

static enum act_return mqa_rw_act(struct act_rule *rule, struct proxy *px,
                               struct session *sess, struct stream *s, int flags)
{
	struct channel *req = &s->req;
	struct mqa_session *ms = mqa_session_get(s);
	struct mqa_dir *st;
	struct mqttp_options opt;
	struct mqttp_rewrite rw;
	struct mqttp_rewrite_result res;
	struct mqttp_rw_field *edit;
	struct buffer *in = NULL, *val = NULL, *out = NULL;
	enum act_return ret = ACT_RET_CONT;
	size_t used, n;
	unsigned int kind = MQA_RW_KIND(rule), version;
	long long delta;

	if (IS_HTX_STRM(s) || !ms)
		return ACT_RET_CONT;
	if (ms->rewrites & MQA_RW_BIT(rule))
		return ACT_RET_CONT; /* this rule already rewrote this stream's CONNECT */
	mqa_options_get(&opt);
	opt.checks = MQTTP_CHECK_FROM_CLIENT;

	/* The CONNECT must still be whole in the input, nothing forwarded. */
	if (co_data(req) || mqa_chn_total(s, 0) != c_data(req)) {
		mqa_rw_log(s, rule, "the CONNECT was already (partly) forwarded", NULL, NULL);
		return mqa_rw_refuse(s, sess, 0, 0);
	}
	in = alloc_trash_chunk();
	val = alloc_trash_chunk();
	out = alloc_trash_chunk();
	if (!in || !val || !out) {
		mqa_rw_log(s, rule, "out of memory", NULL, NULL);
		ret = mqa_rw_refuse(s, sess, 0, 0);
		goto end;
	}

	/* Wait for the whole CONNECT, as req.mqtt_is_valid does. */
	st = mqa_session_dir(s, ms, 0, 0);
	if (!st || ms->ws_mode == MQA_WS_WS) {
		mqa_rw_log(s, rule, "not a plain MQTT stream", NULL, NULL);
		ret = mqa_rw_refuse(s, sess, 0, 0);
		goto end;
	}
	version = mqttp_connack_version(st->pp);
	if (st->pp->status == MQTTP_NEED_MORE) {
		if (!(flags & ACT_OPT_FINAL) && channel_may_recv(req) && !channel_input_closed(req)) {
			ret = ACT_RET_YIELD;
			goto end;
		}
		if ((st->pp->have & MQTTP_HAVE_HEADER) &&
		    (unsigned long long)st->pp->header_len + st->pp->remaining_length > (unsigned long long)channel_recv_limit(req)) {
			char detail[160];
			snprintf(detail, sizeof(detail), "CONNECT of %llu bytes does not fit in the request "
			         "buffer (%u bytes: tune.bufsize - tune.maxrewrite); raise tune.bufsize",
			         (unsigned long long)st->pp->header_len + st->pp->remaining_length,
			         (unsigned int)channel_recv_limit(req));
			mqa_rw_log(s, rule, detail, NULL, NULL);
			ret = mqa_rw_refuse(s, sess, version, 0x95);
		} else {
			mqa_rw_log(s, rule, "incomplete CONNECT (client closed or tcp-request inspect-delay expired)",
			        NULL, NULL);
			ret = mqa_rw_refuse(s, sess, 0, 0);
		}
		goto end;
	}
	if (st->pp->status == MQTTP_ERROR) {
		uint8_t pkt[8];
		size_t len = mqttp_encode_refusal(st->pp, pkt, sizeof(pkt));

		mqa_rw_log(s, rule, "invalid CONNECT: ", mqttp_error_reason((enum mqttp_error)st->pp->error),
		        mqttp_error_name((enum mqttp_error)st->pp->error));
		ret = mqa_answer_close(s, mqa_session_get(s), pkt, len, 0);
		goto end;
	}
	/* the CONNECT's bytes, for the rewriter */
	used = (size_t)st->pp->header_len + st->pp->remaining_length;
	if (used > in->size || b_getblk(&req->buf, in->area, used, 0) != used) {
		mqa_rw_log(s, rule, "CONNECT larger than a buffer", NULL, NULL);
		ret = mqa_rw_refuse(s, sess, version, 0x95);
		goto end;
	}
	in->data = used;

	/* The new value. */
	memset(&rw, 0, sizeof(rw));
	edit = (kind == MQA_RW_SET_CLIENT_ID) ? &rw.client_id :
	       (kind == MQA_RW_SET_USERNAME || kind == MQA_RW_UNSET_USERNAME) ? &rw.username : &rw.password;
	if (kind == MQA_RW_UNSET_USERNAME || kind == MQA_RW_UNSET_PASSWORD) {
		edit->op = MQTTP_RW_REMOVE;
	} else {
		val->data = build_logline(s, val->area, val->size, &rule->arg.http.fmt);
		edit->op = MQTTP_RW_SET;
		edit->value = (const uint8_t *)val->area;
		edit->len = val->data;
	}

	n = mqttp_rewrite_connect(in->area, used, &opt, &rw, out->area, out->size, &res);
	if (n == 0) {
		unsigned int reason = res.field == MQTTP_F_CLIENT_ID ? 0x85 :
		                      res.field ? 0x86 : 0x95;
		char detail[128];

		snprintf(detail, sizeof(detail), "new %s not valid (%s, byte %u): ",
		         mqa_rw_field_name(res.field), mqttp_error_reason((enum mqttp_error)res.error),
		         res.error_offset);
		mqa_rw_log(s, rule, detail, NULL, mqttp_error_name((enum mqttp_error)res.error));
		ret = mqa_rw_refuse(s, sess, version, reason);
		goto end;
	}
	delta = (long long)n - (long long)used;
	if (n > out->size || delta > (long long)c_room(req)) {
		char detail[160];
		snprintf(detail, sizeof(detail), "rewritten CONNECT of %zu bytes does not fit in the request "
		         "buffer; raise tune.bufsize", n);
		mqa_rw_log(s, rule, detail, NULL, NULL);
		ret = mqa_rw_refuse(s, sess, version, 0x95);
		goto end;
	}
	if (mqa_rw_filters_saw_input(s)) {
		mqa_rw_log(s, rule, "a filter already inspected the CONNECT's bytes; rewrite refused", NULL, NULL);
		ret = mqa_rw_refuse(s, sess, 0, 0);
		goto end;
	}

	/* Replace [0, used) of the input with out[0, n): delete, then insert,
	 * as Lua's Channel:set does; the bytes after the CONNECT move. */
	if (used != c_data(req))
		b_move(&req->buf, b_peek_ofs(&req->buf, used), c_data(req) - used, -(ssize_t)used);
	b_sub(&req->buf, used);
	if (b_insert_blk(&req->buf, 0, out->area, n) != (int)n) {
		/* cannot happen: room was checked */
		mqa_rw_log(s, rule, "internal error inserting the rewritten CONNECT", NULL, NULL);
		ret = mqa_rw_refuse(s, sess, 0, 0);
		goto end;
	}
	mqa_chn_total_adjust(s, 0, delta);
	mqa_session_replaced(s, ms, out->area, n);
	ms->rewrites |= MQA_RW_BIT(rule);

 end:
	free_trash_chunk(in);
	free_trash_chunk(val);
	free_trash_chunk(out);
	return ret;
}

static void mqa_rw_release(struct act_rule *rule)
{
	if (MQA_RW_KIND(rule) <= MQA_RW_SET_PASSWORD)
		mqa_rule_fmt_free(rule);
}

/* Parses one of the five actions (the keyword is args[*orig_arg - 1]). */
static enum act_parse_ret mqa_rw_parse(const char **args, int *orig_arg, struct proxy *px,
                                    struct act_rule *rule, char **err)
{
	const char *kw = args[*orig_arg - 1];
	int cur = *orig_arg, kind, cap = 0;

	for (kind = 0; kind < (int)(sizeof(mqa_rw_kw) / sizeof(mqa_rw_kw[0])); kind++)
		if (strcmp(kw, mqa_rw_kw[kind]) == 0)
			break;
	if (kind == (int)(sizeof(mqa_rw_kw) / sizeof(mqa_rw_kw[0]))) {
		memprintf(err, "unknown MQTT rewrite action '%s'", kw);
		return ACT_RET_PRS_ERR;
	}
	if (mqa_rw_nb_rules >= MQA_RW_MAX_RULES) {
		memprintf(err, "'%s': at most %d MQTT rewrite actions in the whole configuration", kw,
		          MQA_RW_MAX_RULES);
		return ACT_RET_PRS_ERR;
	}
	rule->arg.http.i = kind | (int)(mqa_rw_nb_rules++ << 8);
	rule->action = ACT_CUSTOM;
	rule->action_ptr = mqa_rw_act;
	/* the expression is initialised before any error: HAProxy releases a
	 * rule that failed to parse with release_ptr */
	if (kind <= MQA_RW_SET_PASSWORD)
		mqa_rule_fmt_init(rule);
	rule->release_ptr = mqa_rw_release;
	if (kind > MQA_RW_SET_PASSWORD) {
		*orig_arg = cur;
		return ACT_RET_PRS_OK;
	}
	if (!*args[cur] || strcmp(args[cur], "if") == 0 || strcmp(args[cur], "unless") == 0) {
		memprintf(err, "'%s' expects a log-format string, e.g. '%s %%[ssl_c_s_dn(CN)]'", kw, kw);
		return ACT_RET_PRS_ERR;
	}
	if (px->cap & PR_CAP_FE)
		cap |= SMP_VAL_FE_REQ_CNT;
	if (px->cap & PR_CAP_BE)
		cap |= SMP_VAL_BE_REQ_CNT;
	px->conf.args.ctx = ARGC_TRQ;
	if (!parse_logformat_string(args[cur], px, &rule->arg.http.fmt, 0, cap, err))
		return ACT_RET_PRS_ERR;
	*orig_arg = cur + 1;
	return ACT_RET_PRS_OK;
}

static struct action_kw_list mqa_rw_tcp_req_actions = {ILH, {
	{ "mqtt-set-client-id",  mqa_rw_parse },
	{ "mqtt-set-username",   mqa_rw_parse },
	{ "mqtt-set-password",   mqa_rw_parse },
	{ "mqtt-unset-username", mqa_rw_parse },
	{ "mqtt-unset-password", mqa_rw_parse },
	{ /* END */ }
}};

INITCALL1(STG_REGISTER, tcp_req_cont_keywords_register, &mqa_rw_tcp_req_actions);
