#define _DEFAULT_SOURCE
/*
 * test_oracle.c - libmqttparse's verdicts against mosquitto's broker test
 * data (an outside opinion on what a strict parser accepts). The cases
 * come from tests/oracle/translate.py (file named by $ORACLE_CASES or
 * argv[1]); each case is a list of packets a client sends, fed to a parser
 * with MQTTP_CHECK_FROM_CLIENT, and mosquitto's verdict.
 *
 * Counting:
 *   agreed        same verdict (and, for a refused CONNECT the broker
 *                 answered with a CONNACK, the same return/reason code);
 *   allow-listed  a known policy difference (translate.py's ALLOW, each
 *                 entry with its reason);
 *   beyond framing  the broker refused a packet whose contents the library
 *                 frames but does not decode (SUBSCRIBE payloads, PUBLISH
 *                 properties, packet id state...): not a disagreement;
 *   disagreed     anything else: the test fails and lists them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "mqttparse.h"
#include "../../examples/common/input.h"

#define MAX_PKTS 16
#define MAX_LINE (1 << 20)

struct ocase {
	char *id;
	int ver, connect, accepts;
	uint8_t ack[64];
	size_t ack_len;
	const char *allow;
	uint8_t *pkt[MAX_PKTS];
	size_t len[MAX_PKTS];
	int npkt;
};

static unsigned n_agree, n_allow, n_beyond, n_disagree, n_stale, n_codes, n_refusal_same,
	n_refusal_diff;

/* Decode a hex string into a new buffer; "." is empty. NULL if it is not
 * hex. */
static uint8_t *unhex(const char *s, size_t *n)
{
	size_t l = strcmp(s, ".") == 0 ? 0 : strlen(s);
	uint8_t *b = malloc(l + 1);
	unsigned long line;

	memcpy(b, s, l);
	*n = input_unhex(b, l, &line);
	if (*n == (size_t)-1) {
		free(b);
		return NULL;
	}
	return b;
}

/* Split one line of the case file; returns 0 when it is well formed. */
static int parse_case(char *line, struct ocase *c)
{
	char *f[6 + MAX_PKTS];
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, "\t\n", &save); t && n < 6 + MAX_PKTS;
	     t = strtok_r(NULL, "\t\n", &save))
		f[n++] = t;
	if (n < 7)
		return -1;
	memset(c, 0, sizeof(*c));
	c->id = f[0];
	c->ver = atoi(f[1]);
	c->connect = atoi(f[2]);
	c->accepts = atoi(f[3]);
	if (strcmp(f[4], "-") != 0) {
		uint8_t *a = unhex(f[4], &c->ack_len);

		if (!a)
			return -1;
		if (c->ack_len > sizeof(c->ack))
			c->ack_len = sizeof(c->ack);
		memcpy(c->ack, a, c->ack_len);
		free(a);
	}
	c->allow = strcmp(f[5], "-") == 0 ? NULL : f[5];
	for (int i = 6; i < n; i++) {
		c->pkt[c->npkt] = unhex(f[i], &c->len[c->npkt]);
		if (!c->pkt[c->npkt]) {
			while (c->npkt > 0)
				free(c->pkt[--c->npkt]);
			return -1;
		}
		c->npkt++;
	}
	return 0;
}

/* Our verdict on a case. */
struct verdict {
	int error;          /* enum mqttp_error, 0 when every packet passed */
	int err_pkt;        /* index of the send that failed, -1 */
	int incomplete;     /* the last send left a packet unfinished */
	uint8_t refusal[16];
	size_t refusal_len;
};

/* Feed the sends one by one; chunk 0 = whole, else that many bytes a call. */
static void judge(const struct ocase *c, size_t chunk, struct verdict *v)
{
	struct mqttp_options o;
	struct mqttp_parser p;

	mqttp_options_default(&o);
	o.checks = MQTTP_CHECK_FROM_CLIENT;
	mqttp_init(&p, &o);
	memset(v, 0, sizeof(*v));
	v->err_pkt = -1;
	for (int i = 0; i < c->npkt; i++) {
		size_t pos = 0;
		int st = MQTTP_NEED_MORE;

		while (pos < c->len[i]) {
			size_t n = c->len[i] - pos, used;

			if (chunk && n > chunk)
				n = chunk;
			st = mqttp_feed(&p, c->pkt[i] + pos, n, &used, NULL, NULL);
			pos += used;
			if (st == MQTTP_ERROR)
				break;
		}
		if (st == MQTTP_ERROR) {
			v->error = p.error;
			v->err_pkt = i;
			v->refusal_len = mqttp_encode_refusal(&p, v->refusal, sizeof(v->refusal));
			return;
		}
		v->incomplete = st != MQTTP_DONE;
	}
}

/* Is any packet the client sends (after the CONNECT) a type the library
 * frames without decoding its contents? */
static int has_framed_only(const struct ocase *c)
{
	for (int i = 0; i < c->npkt; i++) {
		unsigned t;

		if (c->len[i] == 0)
			continue;
		t = c->pkt[i][0] >> 4;
		if (t != MQTTP_CONNECT && t != MQTTP_CONNACK)
			return 1;
	}
	return 0;
}

/* Print one disagreement. */
static void report(const struct ocase *c, const struct verdict *v, const char *why)
{
	fprintf(stderr, "oracle: DISAGREE %s: %s (ours: %s at send %d%s; mosquitto: %s)\n", c->id,
	        why, mqttp_error_name(v->error), v->err_pkt, v->incomplete ? ", incomplete" : "",
	        c->accepts ? "accepts" : "refuses");
}

/* Judge one case and count it. */
static void check_case(const struct ocase *c)
{
	struct verdict v, v1;
	const char *why = NULL;
	int beyond = 0;
	int ack_code = c->ack_len >= 4 ? c->ack[3] : -1;

	judge(c, 0, &v);
	/* the same verdict byte by byte (chunking never changes it) */
	judge(c, 1, &v1);
	ck_assert_msg(v.error == v1.error && v.err_pkt == v1.err_pkt && v.incomplete == v1.incomplete,
	              "%s: one-shot and byte-at-a-time verdicts differ", c->id);

	if (c->accepts) {
		if (v.error)
			why = "refused what mosquitto accepts";
		else if (v.incomplete)
			why = "packet incomplete where mosquitto accepts";
	} else if (ack_code > 0) {
		/* mosquitto refused the CONNECT with a CONNACK code */
		if (!v.error || v.err_pkt != 0) {
			why = "accepted a CONNECT mosquitto refuses with a CONNACK";
		} else {
			int want = c->ack[1] == 2 ? mqttp_error_return_code(v.error)
			                          : mqttp_error_reason_code(v.error);

			if (want != ack_code)
				why = "CONNACK code differs";
			else
				n_codes++;
			if (v.refusal_len == c->ack_len && memcmp(v.refusal, c->ack, c->ack_len) == 0)
				n_refusal_same++;
			else
				n_refusal_diff++;
		}
	} else if (v.error) {
		if (ack_code == 0 && v.err_pkt == 0)
			why = "refused a CONNECT mosquitto accepted (CONNACK 0)";
	} else if (has_framed_only(c)) {
		beyond = 1;
	} else {
		why = v.incomplete ? "incomplete where mosquitto refuses" : "accepted what mosquitto refuses";
	}

	if (beyond) {
		n_beyond++;
		if (getenv("ORACLE_VERBOSE"))
			fprintf(stderr, "oracle: beyond framing: %s\n", c->id);
	} else if (why && c->allow) {
		n_allow++;
	} else if (why) {
		n_disagree++;
		report(c, &v, why);
	} else {
		if (c->allow) {
			n_stale++;
			fprintf(stderr, "oracle: note: allow-list entry no longer needed: %s\n", c->id);
		}
		n_agree++;
	}
}

START_TEST(t_oracle)
{
	const char *path = getenv("ORACLE_CASES");
	FILE *f;
	static char line[MAX_LINE];
	unsigned total = 0;

	if (!path || !(f = fopen(path, "r"))) {
		fprintf(stderr, "oracle: SKIPPED: no case file (set ORACLE_CASES; make check-oracle "
		        "builds it from ORACLE_DIR)\n");
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		struct ocase c;

		if (parse_case(line, &c) != 0)
			continue;
		total++;
		check_case(&c);
		for (int i = 0; i < c.npkt; i++)
			free(c.pkt[i]);
	}
	fclose(f);
	fprintf(stderr, "oracle: %u cases: %u agreed, %u allow-listed, %u beyond framing "
	        "(mosquitto checks contents the library only frames), %u disagreed\n",
	        total, n_agree, n_allow, n_beyond, n_disagree);
	fprintf(stderr, "oracle: %u CONNACK codes compared equal; mqttp_encode_refusal gave "
	        "mosquitto's exact CONNACK %u times, differed %u times\n",
	        n_codes, n_refusal_same, n_refusal_diff);
	if (n_stale)
		fprintf(stderr, "oracle: %u allow-list entries are no longer needed\n", n_stale);
	ck_assert_uint_gt(total, 0);
	ck_assert_msg(n_disagree == 0, "%u disagreements with mosquitto", n_disagree);
}
END_TEST

/* Run the oracle suite. */
int main(int argc, char **argv)
{
	Suite *s = suite_create("oracle");
	TCase *tc = tcase_create("mosquitto");
	SRunner *sr;
	int failed;

	if (argc > 1)
		setenv("ORACLE_CASES", argv[1], 1);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_oracle);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
