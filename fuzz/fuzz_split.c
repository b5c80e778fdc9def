/*
 * fuzz_split - the same body fed in one call, one byte per call and in the
 * chunks of the input's plan (zero-length calls included) must give the
 * same statuses, errors, error offsets, consumed counts, parser fields,
 * collected structs (offsets, lengths, presence, integers) and the same
 * reassembled field values, in the same order.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	struct fz_trace one, bytes, plan;
	uint8_t *buf;

	fz_parse_input(data, size, &in);
	buf = fz_dup(in.body, in.body_len);
	fz_run_stream(&one, buf, in.body_len, &in.opt, FZ_CUT_ONESHOT, NULL, 0);
	fz_run_stream(&bytes, buf, in.body_len, &in.opt, FZ_CUT_BYTES, NULL, 0);
	fz_run_stream(&plan, buf, in.body_len, &in.opt, FZ_CUT_PLAN, in.plan, in.plan_len);
	fz_trace_compare(&one, &bytes);
	fz_trace_compare(&one, &plan);
	fz_trace_free(&one);
	fz_trace_free(&bytes);
	fz_trace_free(&plan);
	free(buf);
	return 0;
}
