/*
 * vec2seed.c - write every unit-test vector (tests/unit/vectors.c) as a
 * fuzz seed: the three configuration bytes of fuzz_common.h (lenient flags,
 * version, checks, nearest limits) followed by the vector's bytes.
 * Usage: vec2seed OUTDIR. Built and run by fuzz/gen-corpus.py.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Nearest of the fuzz layout's choices, as an index. */
static unsigned pick(unsigned v, const unsigned *choices)
{
	unsigned i;

	for (i = 0; i < 3; i++)
		if (v <= choices[i])
			return i;
	return 3;
}

/* Write one table's rows as seeds named <table>-<row>. */
static int dump(const char *dir, const char *name, const struct vector *t)
{
	static uint8_t buf[1 << 20];
	static const unsigned up[3] = { 0, 1, 2 }, cid[3] = { 0, 4, 23 };
	unsigned i, n = 0;

	for (i = 0; t[i].id; i++) {
		char path[4096];
		long len = hexin_parse(t[i].in, buf + 3, sizeof(buf) - 3);
		unsigned vsel = t[i].version == 3 ? 1 : t[i].version == 4 ? 2 :
		                t[i].version == 5 ? 3 : 0;
		FILE *f;

		if (len < 0 || len > 8192)
			continue;
		buf[0] = (uint8_t)((t[i].lenient & 0x3F) | (vsel << 6));
		buf[1] = (uint8_t)((t[i].checks & 7) | (pick(t[i].max_up, up) << 3) |
		                   (pick(t[i].max_cid, cid) << 5) | (t[i].max_packet ? 0x80 : 0));
		buf[2] = 0;
		snprintf(path, sizeof(path), "%s/unit-%s-%03u", dir, name, i);
		f = fopen(path, "wb");
		if (!f || fwrite(buf, 1, (size_t)len + 3, f) != (size_t)len + 3) {
			perror(path);
			return -1;
		}
		fclose(f);
		n++;
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	int n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: vec2seed OUTDIR\n");
		return 2;
	}
	n += dump(argv[1], "connect", connect_vectors);
	n += dump(argv[1], "connack", connack_vectors);
	n += dump(argv[1], "frame", frame_vectors);
	n += dump(argv[1], "stream", stream_vectors);
	n += dump(argv[1], "regression", regression_vectors);
	printf("%d\n", n);
	return 0;
}
