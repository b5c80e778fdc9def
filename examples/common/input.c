/*
 * input.c - see input.h.
 */
#include <stdlib.h>
#include "input.h"

unsigned char *input_read_all(FILE *f, size_t *n)
{
	unsigned char *buf = NULL, *nb;
	size_t cap = 0, len = 0, r;

	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return NULL;
	}
	*n = len;
	return buf;
}

int input_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t input_unhex(unsigned char *buf, size_t n, unsigned long *line)
{
	size_t i, out = 0;
	int hi = -1, d;

	*line = 1;
	for (i = 0; i < n; i++) {
		if (buf[i] == '#') {
			while (i < n && buf[i] != '\n')
				i++;
		}
		if (i == n)
			break;
		if (buf[i] == '\n')
			(*line)++;
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' ||
		    buf[i] == '\r' || buf[i] == '\f' || buf[i] == '\v')
			continue;
		d = input_hexval(buf[i]);
		if (d < 0)
			return (size_t)-1;
		if (hi < 0) {
			hi = d;
		} else {
			buf[out++] = (unsigned char)(hi << 4 | d);
			hi = -1;
		}
	}
	if (hi >= 0)
		return (size_t)-1;
	return out;
}
