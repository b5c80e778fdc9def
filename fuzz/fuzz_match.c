/*
 * fuzz_match - topic filters, topic names and matching (mqttp_filter_parse,
 * mqttp_topic_check, mqttp_topic_match) against a model written here
 * without the library's step: split at '/', compare the levels naively.
 *
 * Input: byte 0 flags (bit 0 MQTTP_LENIENT_CONTROL_CHARS, bit 1 derive
 * the topic from the filter), bytes 1-2 the filter's length L (big
 * endian, taken modulo what is left + 1), L bytes the filter, the rest
 * the topic. In derive mode the topic is the filter's (inner) levels
 * with each '+' replaced by the topic bytes' first level and a '#' by
 * all of them, so that matches are frequent.
 *
 * Checks: verdicts and error classes agree with the model; an error's
 * offset is within the input, the input cut right after that byte gives
 * the same error at the same offset and cut right before it gives none
 * earlier; an accepted filter's ShareName and inner filter point where
 * the model finds them; the match equals the naive one on valid inputs
 * (strict), 0 otherwise. Inputs are copied into exact-size buffers.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What the model finds wrong with a filter (several may hold). */
enum { M_UTF8 = 1, M_SYNTAX = 2, M_SHARE = 4 };

/* A level of a filter: '+' or '#' only when alone in it. */
static int level_ok(const uint8_t *s, size_t n, int last)
{
	if (n == 1 && s[0] == '#')
		return last;
	if (n == 1 && s[0] == '+')
		return 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '+' || s[i] == '#')
			return 0;
	return 1;
}

/* The levels of a filter, split at every '/'. */
static int levels_ok(const uint8_t *s, size_t n)
{
	size_t start = 0;

	if (n == 0)
		return 0;
	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '/') {
			if (!level_ok(s + start, i - start, i == n))
				return 0;
			start = i + 1;
		}
	return 1;
}

/* Model of mqttp_filter_parse: M_* flags; *inner the inner filter's
 * offset (0 when not shared). */
static unsigned model_filter(const uint8_t *f, size_t n, int ctl_ok, size_t *inner)
{
	unsigned bad = fz_utf8_ok(f, n, ctl_ok) ? 0 : M_UTF8;

	*inner = 0;
	if (n >= 7 && memcmp(f, "$share/", 7) == 0) {
		const uint8_t *slash = memchr(f + 7, '/', n - 7);
		size_t name_len = slash ? (size_t)(slash - (f + 7)) : n - 7;

		if (!slash || name_len == 0 || slash + 1 == f + n || memchr(f + 7, '+', name_len) ||
		    memchr(f + 7, '#', name_len))
			return bad | M_SHARE;
		*inner = (size_t)(slash + 1 - f);
	}
	if (!levels_ok(f + *inner, n - *inner))
		bad |= M_SYNTAX;
	return bad;
}

/* Model of mqttp_topic_check: 0 or the M_* flag that fails. */
static unsigned model_topic(const uint8_t *t, size_t n, int ctl_ok, int *wild)
{
	*wild = n == 0 || memchr(t, '+', n) || memchr(t, '#', n);
	return (fz_utf8_ok(t, n, ctl_ok) ? 0 : M_UTF8) | (*wild ? M_SYNTAX : 0);
}

/* Split s[0..n) at every '/': level k is s[at[k] .. at[k] + len[k]). */
static size_t split(const uint8_t *s, size_t n, size_t *at, size_t *len)
{
	size_t k = 0, start = 0;

	for (size_t i = 0; i <= n; i++)
		if (i == n || s[i] == '/') {
			at[k] = start;
			len[k++] = i - start;
			start = i + 1;
		}
	return k;
}

/* The naive match of a valid filter and a valid topic. */
static int model_match(const uint8_t *f, size_t fn, const uint8_t *t, size_t tn)
{
	size_t *fa = malloc((fn + 1) * sizeof(size_t)), *fl = malloc((fn + 1) * sizeof(size_t));
	size_t *ta = malloc((tn + 1) * sizeof(size_t)), *tl = malloc((tn + 1) * sizeof(size_t));
	size_t nf, nt, k;
	int m = -1;

	FZ_CHECK(fa && fl && ta && tl);
	nf = split(f, fn, fa, fl);
	nt = split(t, tn, ta, tl);
	/* MQTT-4.7.2-1 */
	if (t[0] == '$' && fl[0] == 1 && (f[0] == '+' || f[0] == '#'))
		m = 0;
	for (k = 0; m < 0 && k < nf; k++) {
		const uint8_t *lv = f + fa[k];

		if (fl[k] == 1 && lv[0] == '#')
			m = 1;
		else if (k >= nt)
			m = 0;
		else if (fl[k] == 1 && lv[0] == '+')
			continue;
		else if (fl[k] != tl[k] || memcmp(lv, t + ta[k], fl[k]) != 0)
			m = 0;
	}
	if (m < 0)
		m = nf == nt;
	free(fa);
	free(fl);
	free(ta);
	free(tl);
	return m;
}

/* The class of a library error, as the model's flags. */
static unsigned err_class(enum mqttp_error e)
{
	switch (e) {
	case MQTTP_E_NONE:
		return 0;
	case MQTTP_E_UTF8:
	case MQTTP_E_UTF8_NUL:
	case MQTTP_E_UTF8_CONTROL:
		return M_UTF8;
	case MQTTP_E_TOPIC_FILTER:
	case MQTTP_E_TOPIC_NAME:
		return M_SYNTAX;
	case MQTTP_E_SHARE_NAME:
		return M_SHARE;
	default: /* an error mqttcodec.h does not list for these */
		FZ_CHECK(e == MQTTP_E_NONE);
		return 0;
	}
}

/* Run one check on s[0..n) copied to an exact-size buffer. */
static enum mqttp_error run_check(int filter, const uint8_t *s, size_t n, unsigned lenient, size_t *at,
                                  struct mqttp_filter *out, const uint8_t **copy)
{
	uint8_t *d = fz_dup(s, n);
	enum mqttp_error e;

	*at = (size_t)-1;
	e = filter ? mqttp_filter_parse(n ? d : NULL, n, lenient, out, at)
	           : mqttp_topic_check(n ? d : NULL, n, lenient, at);
	if (copy)
		*copy = d;
	else
		free(d);
	return e;
}

/* An error is revealed by its byte: the input cut after it gives the
 * same one there, cut before it none earlier. */
static void check_offset(int filter, const uint8_t *s, size_t n, unsigned lenient, enum mqttp_error e,
                         size_t at)
{
	size_t at2;
	enum mqttp_error e2;

	FZ_CHECK(at <= n);
	if (at < n) {
		e2 = run_check(filter, s, at + 1, lenient, &at2, NULL, NULL);
		FZ_CHECK(e2 == e && at2 == at);
	}
	e2 = run_check(filter, s, at, lenient, &at2, NULL, NULL);
	FZ_CHECK(e2 == MQTTP_E_NONE || at2 == at);
}

/* The topic of derive mode: the filter's levels, '+' -> the first level
 * of src, '#' -> all of src. NULL when it would be large. */
static uint8_t *derive(const uint8_t *f, size_t fn, const uint8_t *src, size_t sn, size_t *out_len)
{
	const uint8_t *slash = memchr(src, '/', sn);
	size_t first = slash ? (size_t)(slash - src) : sn, o = 0;
	uint8_t *t;

	if (fn * (sn + 1) > 1u << 16)
		return NULL;
	t = malloc(fn * (sn + 1) + 1);
	FZ_CHECK(t);
	for (size_t i = 0; i < fn; i++) {
		int alone = (i == 0 || f[i - 1] == '/') && (i + 1 == fn || f[i + 1] == '/');

		if (alone && f[i] == '+') {
			memcpy(t + o, src, first);
			o += first;
		} else if (alone && f[i] == '#') {
			memcpy(t + o, src, sn);
			o += sn;
		} else {
			t[o++] = f[i];
		}
	}
	*out_len = o;
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned flags, lenient, fbad, tbad, fbad_strict, tbad_strict;
	size_t flen, tlen, inner, inner_strict, fat, tat;
	const uint8_t *f, *t, *fcopy, *tcopy;
	uint8_t *derived = NULL;
	struct mqttp_filter pf;
	enum mqttp_error ef, et;
	int wild, m;

	if (size < 3)
		return 0;
	flags = data[0];
	lenient = flags & 1 ? MQTTP_LENIENT_CONTROL_CHARS : 0;
	flen = ((size_t)data[1] << 8 | data[2]) % (size - 3 + 1);
	f = data + 3;
	t = f + flen;
	tlen = size - 3 - flen;

	/* the filter */
	fbad = model_filter(f, flen, lenient != 0, &inner);
	memset(&pf, 0xA5, sizeof(pf));
	ef = run_check(1, f, flen, lenient, &fat, &pf, &fcopy);
	FZ_CHECK((ef == MQTTP_E_NONE) == (fbad == 0));
	FZ_CHECK((err_class(ef) & fbad) == err_class(ef));
	FZ_CHECK(ef != MQTTP_E_TOPIC_NAME);
	if (ef == MQTTP_E_NONE) {
		FZ_CHECK(pf.filter == fcopy + inner && pf.filter_len == flen - inner);
		FZ_CHECK(inner ? pf.share == fcopy + 7 && pf.share_len == inner - 8
		               : pf.share == NULL && pf.share_len == 0);
	} else {
		check_offset(1, f, flen, lenient, ef, fat);
	}
	free((void *)fcopy);

	if (flags & 2) {
		derived = derive(f + inner, flen - inner, t, tlen, &tlen);
		if (derived)
			t = derived;
		else
			tlen = size - 3 - flen;
	}

	/* the topic */
	tbad = model_topic(t, tlen, lenient != 0, &wild);
	et = run_check(0, t, tlen, lenient, &tat, NULL, &tcopy);
	FZ_CHECK((et == MQTTP_E_NONE) == (tbad == 0));
	FZ_CHECK((err_class(et) & tbad) == err_class(et));
	FZ_CHECK(et != MQTTP_E_TOPIC_FILTER && et != MQTTP_E_SHARE_NAME);
	if (et != MQTTP_E_NONE)
		check_offset(0, t, tlen, lenient, et, tat);

	/* the match: strict checks, then the naive comparison */
	fbad_strict = model_filter(f, flen, 0, &inner_strict);
	tbad_strict = model_topic(t, tlen, 0, &wild);
	fcopy = fz_dup(f, flen);
	m = mqttp_topic_match(flen ? fcopy : NULL, flen, tlen ? tcopy : NULL, tlen);
	FZ_CHECK(m == 0 || m == 1);
	if (fbad_strict || tbad_strict)
		FZ_CHECK(m == 0);
	else
		FZ_CHECK(m == model_match(f + inner_strict, flen - inner_strict, t, tlen));
	free((void *)fcopy);
	free((void *)tcopy);
	free(derived);
	return 0;
}
