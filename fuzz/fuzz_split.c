/*
 * fuzz_split - the same body fed in one call, one byte per call and in the
 * chunks of the input's plan (zero-length calls included) must give the
 * same statuses, errors, error offsets, consumed counts, parser fields,
 * collected structs (offsets, lengths, presence, integers) and the same
 * reassembled field values, in the same order.
 * Each of the three runs also feeds every call to a twin parser with
 * cb == NULL (fz_run_stream_bare): after every call the status, consumed
 * and the whole struct mqttp_parser must equal the callback run's, so the
 * callback-free fast paths and one-byte shortcut agree with the others.
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
	fz_run_stream_bare(&one, buf, in.body_len, &in.opt, FZ_CUT_ONESHOT, NULL, 0);
	fz_run_stream_bare(&bytes, buf, in.body_len, &in.opt, FZ_CUT_BYTES, NULL, 0);
	fz_run_stream_bare(&plan, buf, in.body_len, &in.opt, FZ_CUT_PLAN, in.plan, in.plan_len);
	fz_trace_compare(&one, &bytes);
	fz_trace_compare(&one, &plan);
	fz_trace_free(&one);
	fz_trace_free(&bytes);
	fz_trace_free(&plan);
	free(buf);
	return 0;
}
