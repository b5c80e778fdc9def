/*
 * input.h - reading the input of the example tools and test programs: a
 * whole file into memory, hex digits, hex text into bytes.
 * Used by examples/mqtt-inspect, examples/c/mqtt-capture.c,
 * tests/unit/hexin.c and tests/oracle/test_oracle.c.
 */
#ifndef MQTTP_EXAMPLES_INPUT_H
#define MQTTP_EXAMPLES_INPUT_H

#include <stddef.h>
#include <stdio.h>

/* Read the whole of f into a malloc'd buffer (the caller frees it); *n gets
 * its size. NULL on a read or memory error. */
unsigned char *input_read_all(FILE *f, size_t *n);

/* Value of the hex digit c (either case), or -1. */
int input_hexval(int c);

/* Decode hex text in place: digits pair up into bytes, whitespace is
 * ignored and '#' starts a comment up to the end of the line. Returns the
 * byte count, or (size_t)-1 with *line (1-based) set on a bad character or
 * an odd number of digits. */
size_t input_unhex(unsigned char *buf, size_t n, unsigned long *line);

#endif
