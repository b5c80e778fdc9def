/*
 * fuzz_sticky - errors are final and depend only on the bytes seen.
 * The body is fed byte by byte; when a packet fails, let D be the body
 * offset of the byte whose call returned the error. Then:
 *   - more calls return the error and consume nothing (fz_run_stream);
 *   - body[0..D] followed by any bytes (none, zeros, 0xFF, the plan bytes,
 *     the real tail) gives the same error at the same offset, in one call;
 *   - body[0..D) gives no error at all;
 *   - when the reported offset k (body offset K) is before D, the error
 *     needed bytes after k; such errors are counted per code and printed
 *     at exit when FZ_STATS is set (not a failure: e.g. authentication
 *     data without a method is only known at the end of the block).
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long late_count[MQTTP_E__COUNT];
static unsigned long late_max[MQTTP_E__COUNT];
static unsigned long err_count[MQTTP_E__COUNT];

/* Print the per-error statistics (FZ_STATS=1). */
static void print_stats(void)
{
	unsigned e;

	for (e = 1; e < MQTTP_E__COUNT; e++)
		if (err_count[e])
			fprintf(stderr, "sticky-stats %-34s errors %8lu  offset<detect %8lu  max gap %lu\n",
			        mqttp_error_name((enum mqttp_error)e), err_count[e],
			        late_count[e], late_max[e]);
}

/* Feed b[0..n) as one call-sequence (one-shot) and return the last packet. */
static void replay(const uint8_t *b, size_t n, const struct mqttp_options *opt,
                   const struct fz_packet *want, int must_fail)
{
	struct fz_trace t;
	uint8_t *cp = fz_dup(b, n);

	fz_run_stream(&t, cp, n, opt, FZ_CUT_ONESHOT, NULL, 0);
	if (must_fail) {
		FZ_CHECK(t.final_status == MQTTP_ERROR);
		FZ_CHECK(t.npk >= 1);
		FZ_CHECK(t.pk[t.npk - 1].status == MQTTP_ERROR);
		FZ_CHECK(t.pk[t.npk - 1].start == want->start);
		FZ_CHECK(t.pk[t.npk - 1].error == want->error);
		FZ_CHECK(t.pk[t.npk - 1].error_offset == want->error_offset);
	} else {
		FZ_CHECK(t.final_status != MQTTP_ERROR);
	}
	fz_trace_free(&t);
	free(cp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int registered;
	struct fz_input in;
	struct fz_trace t;
	uint8_t *buf, *tmp;
	size_t len, d, k;
	const struct fz_packet *e;

	if (!registered) {
		registered = 1;
		if (getenv("FZ_STATS"))
			atexit(print_stats);
	}
	fz_parse_input(data, size, &in);
	len = in.body_len;
	buf = fz_dup(in.body, len);
	fz_run_stream(&t, buf, len, &in.opt, FZ_CUT_BYTES, NULL, 0);
	if (t.final_status != MQTTP_ERROR) {
		fz_trace_free(&t);
		free(buf);
		return 0;
	}
	e = &t.pk[t.npk - 1];
	d = e->detect;
	FZ_CHECK(d < len);
	k = e->start + e->error_offset;
	/* the offset names a byte seen, or the one after the last byte seen
	 * (end of a block or of the packet) */
	FZ_CHECK(k <= d + 1);
	err_count[e->error]++;
	if (k < d) {
		late_count[e->error]++;
		if (d - k > late_max[e->error])
			late_max[e->error] = d - k;
	}

	/* the bytes up to D decide; nothing after them matters */
	tmp = malloc(d + 1 + 64);
	FZ_CHECK(tmp != NULL);
	memcpy(tmp, buf, d + 1);
	replay(tmp, d + 1, &in.opt, e, 1);
	memset(tmp + d + 1, 0, 64);
	replay(tmp, d + 1 + 64, &in.opt, e, 1);
	memset(tmp + d + 1, 0xFF, 64);
	replay(tmp, d + 1 + 64, &in.opt, e, 1);
	memset(tmp + d + 1, 0x80, 64);
	replay(tmp, d + 1 + 64, &in.opt, e, 1);
	if (in.plan_len) {
		memcpy(tmp + d + 1, in.plan, in.plan_len);
		replay(tmp, d + 1 + in.plan_len, &in.opt, e, 1);
	}
	replay(buf, len, &in.opt, e, 1);
	/* one byte less: no error yet */
	replay(buf, d, &in.opt, e, 0);
	free(tmp);
	fz_trace_free(&t);
	free(buf);
	return 0;
}
