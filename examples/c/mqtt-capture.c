/*
 * mqtt-capture - list the CONNECT packets found in a client -> server byte
 * stream (a capture file), one line each.
 *
 *   mqtt-capture [--lenient NAME]... FILE|-
 *
 * Output, tab separated, after a '#' header line:
 *   offset  version  client_id  username  keep_alive
 * offset is the CONNECT's first byte in the file; version is "3.1", "3.1.1"
 * or "5.0" (with "+bridge" when the protocol level has the mosquitto bridge
 * bit); strings are double-quoted with \" \\ and \xHH escapes for control
 * characters; an absent user name is "-".
 * Other packets are skipped. An invalid packet is reported on stderr; when
 * its length is known the listing goes on after it (the parser is reset),
 * otherwise it stops. Exit status: 0 all packets valid, 1 some packet was
 * invalid, 2 the file ends inside a packet, 64 usage, 66 unreadable input.
 *
 * It shows the collector API: struct mqttp_connect filled by
 * mqttp_connect_collect while the whole file is fed in one buffer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mqttparse.h>
#include <mqttcodec.h>
#include "../common/input.h"

/* Callback context: the collector runs only for CONNECT packets. */
struct capture {
	struct mqttp_parser p;
	struct mqttp_connect c;
};

/* Forward CONNECT fields to the library's collector, drop the others. */
static void on_field(void *ctx, const struct mqttp_field *f)
{
	struct capture *cap = ctx;

	if (cap->p.type == MQTTP_CONNECT)
		mqttp_connect_collect(&cap->c, f);
}

/* Print a collected string quoted, or "-" when absent. pkt is the
 * packet's first byte: off/len of the collector are relative to it. */
static void print_str(const unsigned char *pkt, const struct mqttp_bytes *b)
{
	uint32_t i;
	unsigned char ch;

	if (!b->present) {
		fputs("-", stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < b->len; i++) {
		ch = pkt[b->off + i];
		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20 || ch == 0x7F)
			printf("\\x%02x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

/* Name of a protocol version as users know it. */
static const char *version_name(unsigned v)
{
	switch (v) {
	case MQTTP_V31: return "3.1";
	case MQTTP_V311: return "3.1.1";
	case MQTTP_V5: return "5.0";
	default: return "?";
	}
}

int main(int argc, char **argv)
{
	struct mqttp_options opt;
	struct capture cap;
	enum mqttp_status st;
	const char *file = NULL;
	unsigned char *in;
	size_t n, pos = 0, used, skip;
	unsigned long connects = 0, others = 0, errors = 0;
	unsigned flag;
	int i, ret = 0;
	FILE *f;

	mqttp_options_default(&opt);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lenient") == 0 && i + 1 < argc) {
			i++;
			flag = strcmp(argv[i], "all") == 0 ? MQTTP_LENIENT_ALL :
			       mqttp_lenient_by_name(argv[i], strlen(argv[i]));
			if (!flag) {
				fprintf(stderr, "mqtt-capture: unknown lenient name %s\n", argv[i]);
				return 64;
			}
			opt.lenient |= flag;
		} else if (!file && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			file = argv[i];
		} else {
			fputs("usage: mqtt-capture [--lenient NAME]... FILE|-\n", stderr);
			return 64;
		}
	}
	if (!file) {
		fputs("usage: mqtt-capture [--lenient NAME]... FILE|-\n", stderr);
		return 64;
	}
	if (strcmp(file, "-") == 0) {
		in = input_read_all(stdin, &n);
	} else {
		f = fopen(file, "rb");
		if (!f) {
			fprintf(stderr, "mqtt-capture: %s: %s\n", file, strerror(errno));
			return 66;
		}
		in = input_read_all(f, &n);
		fclose(f);
	}
	if (!in) {
		fprintf(stderr, "mqtt-capture: cannot read %s\n", file);
		return 66;
	}

	/* No direction check: a capture may hold the CONNECTs of several
	 * connections one after the other, which one stream could not. */
	mqttp_init(&cap.p, &opt);
	memset(&cap.c, 0, sizeof(cap.c));
	puts("# offset\tversion\tclient_id\tusername\tkeep_alive");
	while (pos < n) {
		used = 0;
		st = mqttp_feed(&cap.p, in + pos, n - pos, &used, on_field, &cap);
		if (st == MQTTP_DONE) {
			if (cap.p.type == MQTTP_CONNECT) {
				printf("%lu\t%s%s\t", (unsigned long)pos,
				       version_name(cap.c.version),
				       cap.c.bridge ? "+bridge" : "");
				print_str(in + pos, &cap.c.client_id);
				putchar('\t');
				print_str(in + pos, &cap.c.username);
				printf("\t%u\n", (unsigned)cap.c.keep_alive);
				connects++;
			} else {
				others++;
			}
			pos += used;
			memset(&cap.c, 0, sizeof(cap.c));
			continue;
		}
		if (st == MQTTP_NEED_MORE) {
			fprintf(stderr, "mqtt-capture: %lu: file ends inside a %s packet\n",
			        (unsigned long)pos, mqttp_type_name(in[pos] >> 4));
			ret = 2;
			break;
		}
		errors++;
		ret = 1;
		fprintf(stderr, "mqtt-capture: %lu: invalid %s: %s (%s) at byte %lu\n",
		        (unsigned long)pos, mqttp_type_name(in[pos] >> 4),
		        mqttp_error_name((enum mqttp_error)cap.p.error),
		        mqttp_error_reason((enum mqttp_error)cap.p.error),
		        (unsigned long)cap.p.error_offset);
		/* Resynchronise only when the packet's extent is known. */
		if (!(cap.p.have & MQTTP_HAVE_HEADER))
			break;
		skip = (size_t)cap.p.header_len + cap.p.remaining_length;
		if (skip > n - pos)
			break;
		pos += skip;
		mqttp_reset(&cap.p);
		memset(&cap.c, 0, sizeof(cap.c));
	}
	fprintf(stderr, "mqtt-capture: %lu CONNECT, %lu other, %lu invalid\n",
	        connects, others, errors);
	free(in);
	return ret;
}
