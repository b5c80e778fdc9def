/*
 * guard.c - buffers that end right before an inaccessible page, so that a
 * one-byte over-read by the parser crashes the test (picohttpparser's
 * trick) instead of passing silently.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "harness.h"

/* Map size bytes (rounded up to pages) followed by a PROT_NONE page. */
void guard_init(struct guard *g, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t acc = (size + page - 1) / page * page;
	void *m;

	if (acc == 0)
		acc = page;
	m = mmap(NULL, acc + page, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		abort();
	}
	if (mprotect((uint8_t *)m + acc, page, PROT_NONE) != 0) {
		perror("mprotect");
		abort();
	}
	g->base = m;
	g->size = acc;
	g->map_len = acc + page;
}

/* Unmap the buffer and its guard page. */
void guard_free(struct guard *g)
{
	if (g->base)
		munmap(g->base, g->map_len);
	g->base = NULL;
}

/* Copy data so that its last byte is the last accessible byte; returns the
 * copy (for len 0: the guard page's address itself). */
uint8_t *guard_place(struct guard *g, const void *data, size_t len)
{
	uint8_t *dst;

	if (len > g->size) {
		fprintf(stderr, "guard_place: %zu bytes do not fit\n", len);
		abort();
	}
	dst = g->base + g->size - len;
	if (len)
		memcpy(dst, data, len);
	return dst;
}
