/*
 * fuzz_common.h - helpers shared by the libFuzzer harnesses.
 *
 * Every harness reads the same input layout, so one corpus serves them all:
 *
 *   byte 0   bits 0-5 lenient flags (MQTTP_LENIENT_*), bits 6-7 the
 *            options' version: 0, 3, 4, 5
 *   byte 1   bits 0-2 checks (MQTTP_CHECK_*), bits 3-4 max_user_properties
 *            {0, 1, 2, 5}, bits 5-6 max_client_id_len {0, 4, 23, 300},
 *            bit 7 max_packet_size {0, 64}
 *   byte 2   bits 0-3 K, the length of the chunk plan; bits 4-7 harness
 *            mode bits (each harness says what it does with them)
 *   K bytes  chunk plan (fuzz_split, fuzz_sticky): sizes of the feed calls,
 *            cycled; 0 means a zero-length call
 *   rest     the body: bytes of the MQTT stream
 *
 * Inputs shorter than 3 bytes are run with every config byte 0.
 * Any broken invariant calls FZ_CHECK, which prints where and aborts, so
 * libFuzzer saves the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqttparse.h"
#include "mqttcodec.h"

/* Abort with the failed condition: libFuzzer records the input. */
#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* An input split into its configuration and its body. */
struct fz_input {
	struct mqttp_options opt;
	uint8_t mode;           /* byte 2, bits 4-7 */
	const uint8_t *plan;    /* chunk plan (not copied) */
	size_t plan_len;
	const uint8_t *body;    /* points into the fuzzer's buffer */
	size_t body_len;
};

/* Split data into options, mode, chunk plan and body. */
void fz_parse_input(const uint8_t *data, size_t size, struct fz_input *in);

/* A malloc'd copy of exactly len bytes (a 1-byte allocation when len is 0,
 * never read), so ASan catches a one-byte over-read. Free with free(). */
uint8_t *fz_dup(const uint8_t *src, size_t len);

/* Is s[0..len) well-formed UTF-8 without U+0000, and without control
 * characters unless allow_ctl? An independent re-implementation of the
 * rules the library applies, used to double-check accepted strings. */
int fz_utf8_ok(const uint8_t *s, size_t len, int allow_ctl);

/* Check a decoded property block against the collector's struct:
 * mqttp_property_next must walk it without error, every id must be allowed
 * in `where`, single-valued ids appear once, `present` and the user
 * property count must match, integer values must match the struct, and
 * strings must be valid UTF-8. block points at the block's bytes. */
void fz_check_props(const struct mqttp_properties *pr, const uint8_t *block,
                    size_t block_len, unsigned where, unsigned lenient,
                    unsigned max_user_props);

/* Check a CONNECT that mqttp_decode_connect (or the collector over a whole
 * packet held at pkt) accepted: flags against present fields, offsets
 * inside the packet and in order, ptr == pkt + off when want_ptr, UTF-8,
 * client id rules, properties. */
void fz_check_connect(const struct mqttp_connect *c, const uint8_t *pkt,
                      size_t pkt_len, const struct mqttp_options *opt,
                      int want_ptr);

/* Same for an accepted CONNACK. */
void fz_check_connack(const struct mqttp_connack *a, const uint8_t *pkt,
                      size_t pkt_len, const struct mqttp_options *opt,
                      int want_ptr);

/* Is one mqttp_bytes equal to another in off, len and present (ptr not
 * compared)? */
int fz_bytes_eq(const struct mqttp_bytes *a, const struct mqttp_bytes *b);
/* Same for two property structs (every integer, every string's off/len/
 * present, count and block). */
int fz_props_eq(const struct mqttp_properties *a, const struct mqttp_properties *b);
int fz_connect_eq(const struct mqttp_connect *a, const struct mqttp_connect *b);
int fz_connack_eq(const struct mqttp_connack *a, const struct mqttp_connack *b);

/* Contents of a present mqttp_bytes, read from the packet by offset. */
const uint8_t *fz_field_bytes(const struct mqttp_bytes *b, const uint8_t *pkt);

/* ------------------------------------------------------------------------
 * Streaming traces: feed a body through mqttp_feed in given chunks and
 * record everything observable, for comparison between chunkings.
 * --------------------------------------------------------------------- */
struct fz_packet {
	int8_t   status;       /* MQTTP_DONE or MQTTP_ERROR */
	uint8_t  type, header_flags, header_len, version, bridge;
	uint8_t  connect_flags, connack_flags, reason_code, error;
	uint16_t have, keep_alive, client_id_len, user_properties;
	uint32_t remaining_length, error_offset, client_id_off;
	uint32_t start;        /* offset of the packet in the body */
	uint32_t length;       /* bytes consumed for it (DONE: packet length) */
	uint32_t detect;       /* body offset of the last byte fed when it ended */
	struct mqttp_connect connect;   /* when type is CONNECT */
	struct mqttp_connack connack;   /* when type is CONNACK */
};

struct fz_trace {
	struct fz_packet *pk;  /* finished packets (DONE or ERROR) */
	size_t npk, cap;
	int8_t final_status;   /* status after the last byte */
	size_t consumed;       /* body bytes consumed in total */
	/* log of completed field values: a header then the reassembled bytes */
	uint8_t *log;
	size_t log_len, log_cap;
	/* reassembly of the value in progress */
	uint8_t *val;
	size_t val_len, val_cap;
	int in_value;
	int bad_last;          /* a LAST fragment of an invalid topic was seen */
	/* private, for the callback */
	struct mqttp_parser *p;
	const uint8_t *body;
	size_t body_len;
	uint32_t lenient;
	size_t pkt_start;
	size_t call_off;       /* body offset of the current call's data */
	const uint8_t *call_data;
	size_t call_len;
	struct fz_packet cur;
};

/* How a body is cut into feed calls. */
enum fz_cut { FZ_CUT_ONESHOT, FZ_CUT_BYTES, FZ_CUT_PLAN };

/* Feed body[0..len) through one parser in calls cut as asked (plan for
 * FZ_CUT_PLAN), every call's data in its own exact-size malloc'd copy.
 * Checks every call's own invariants (status, consumed, sticky errors,
 * zero-length calls change nothing, fragments inside the call's buffer and
 * equal to the body's bytes at their offsets, collector pointers). Stops
 * after the first error. The trace must be freed with fz_trace_free. */
void fz_run_stream(struct fz_trace *t, const uint8_t *body, size_t len,
                   const struct mqttp_options *opt, enum fz_cut cut,
                   const uint8_t *plan, size_t plan_len);
/* fz_run_stream, and every call (zero-length ones and the repeat after an
 * error included) also fed, from the same buffer, to a second parser with
 * cb == NULL: both must return the same status, consume as much and leave
 * their struct mqttp_parser equal (memcmp) after every call. The callback-
 * free fast paths (the FAST_START _bare twins) and the one-byte shortcut of
 * mqttp_feed run only without a callback. */
void fz_run_stream_bare(struct fz_trace *t, const uint8_t *body, size_t len,
                        const struct mqttp_options *opt, enum fz_cut cut,
                        const uint8_t *plan, size_t plan_len);
void fz_trace_free(struct fz_trace *t);
/* Abort unless two traces of the same body agree on everything. */
void fz_trace_compare(const struct fz_trace *a, const struct fz_trace *b);

/* An input read byte by byte, 0 past its end (the harnesses with their
 * own layouts). */
struct fz_src {
	const uint8_t *b;
	size_t n, pos;
};

static inline uint8_t fz_next(struct fz_src *s)
{
	return s->pos < s->n ? s->b[s->pos++] : 0;
}

#endif /* FUZZ_COMMON_H */
