/*
 * harness.h - shared pieces of the libmqttparse unit tests: the vector
 * table row, the input notation, guard-page buffers and the runner that
 * feeds a vector whole, at every chunk size and at every pair of cuts.
 */
#ifndef MQTTP_TEST_HARNESS_H
#define MQTTP_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include "mqttparse.h"

/*
 * One row of a vector table. `in` uses a small notation (see hexin.c):
 * hex bytes ("10 0D", "0004"), quoted text ('MQTT'), and repeated groups
 * ("[26 0000 0000]*1000"). `expect` lists fields to check after the run,
 * e.g. "v=4 cid='p' ka=10 fl=0x02" (see runner.c for the keys). Options
 * not named stay at their defaults (strict, no checks, no limits).
 */
struct vector {
	const char *id;          /* spec statement id or regression guarded */
	const char *in;          /* input bytes */
	uint32_t lenient;        /* MQTTP_LENIENT_* */
	uint32_t checks;         /* MQTTP_CHECK_* */
	int status;              /* expected MQTTP_DONE / NEED_MORE / ERROR */
	int error;               /* expected enum mqttp_error */
	int32_t error_offset;    /* expected p->error_offset with MQTTP_ERROR */
	const char *expect;      /* expected fields, may be NULL */
	uint32_t max_packet;     /* options.max_packet_size */
	uint16_t max_cid;        /* options.max_client_id_len */
	uint16_t max_up;         /* options.max_user_properties */
	uint8_t version;         /* options.version */
};

/* The tables (vectors.c), each ending with a row whose id is NULL. */
extern const struct vector connect_vectors[];
extern const struct vector connack_vectors[];
extern const struct vector frame_vectors[];
extern const struct vector stream_vectors[];
extern const struct vector regression_vectors[];
extern const struct vector publish_vectors[];

/* Parse the input notation into out (cap bytes). Returns the length, or
 * -1 with a message on stderr when the notation is wrong or too long. */
long hexin_parse(const char *in, uint8_t *out, size_t cap);

/* A buffer whose end touches a PROT_NONE page. */
struct guard {
	uint8_t *base;   /* start of the accessible area */
	size_t size;     /* accessible bytes */
	size_t map_len;
};
void guard_init(struct guard *g, size_t size);
void guard_free(struct guard *g);
/* Copy len bytes so that they end right before the guard page; returns
 * the copy's start. */
uint8_t *guard_place(struct guard *g, const void *data, size_t len);

/* Run one vector in every way; returns 0 when it passed, else the number
 * of problems (each printed to stderr with the vector's id). When full is
 * 0 only the one-shot run and the 1-byte chunking are done. */
int run_vector(const struct vector *v, int full);
/* Run every row of a table; returns the number of failing rows. */
int run_table(const char *name, const struct vector *t, int full);

/* Counters of the last run_table, for the summary. */
extern unsigned long harness_runs;

#endif
