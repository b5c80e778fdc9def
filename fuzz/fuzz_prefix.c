/*
 * fuzz_prefix - when the body starts with a valid CONNECT or CONNACK
 * (one-shot decode says DONE), every strict prefix of that packet must be
 * NEED_MORE (never an error, never DONE), through the one-shot decoder and
 * through the streaming parser fed byte by byte. A NEED_MORE body's
 * prefixes are NEED_MORE as well.
 */
#include "fuzz_common.h"
#include "mqttcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef enum mqttp_status (*decode_fn)(const void *, size_t,
                                        const struct mqttp_options *, void *,
                                        struct mqttp_result *);

/* One-shot decode of CONNECT (which 0) or CONNACK (which 1). */
static enum mqttp_status decode(int which, const uint8_t *b, size_t len,
                                const struct mqttp_options *opt,
                                struct mqttp_result *res)
{
	struct mqttp_connect c;
	struct mqttp_connack a;

	memset(res, 0, sizeof(*res));
	if (which == 0) {
		memset(&c, 0, sizeof(c));
		return mqttp_decode_connect(b, len, opt, &c, res);
	}
	memset(&a, 0, sizeof(a));
	return mqttp_decode_connack(b, len, opt, &a, res);
}

/* Is the prefix of length i one to test? All of them for small packets,
 * else the first and last 64 and every 37th. */
static int pick(size_t i, size_t n)
{
	return n <= 512 || i < 64 || i + 64 >= n || i % 37 == 0;
}

/* Check the strict prefixes of a valid packet pkt[0..n). */
static void check_prefixes(int which, const uint8_t *pkt, size_t n,
                           const struct mqttp_options *opt)
{
	struct mqttp_result res;
	struct mqttp_parser p;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t *cp;
		enum mqttp_status r;

		if (!pick(i, n))
			continue;
		cp = fz_dup(pkt, i);
		r = decode(which, cp, i, opt, &res);
		FZ_CHECK(r == MQTTP_NEED_MORE);
		FZ_CHECK(res.error == 0);
		free(cp);
	}
	/* byte by byte through one parser: NEED_MORE until the last byte */
	mqttp_init(&p, opt);
	for (i = 0; i < n; i++) {
		size_t consumed = 0;
		enum mqttp_status r = mqttp_feed(&p, pkt + i, 1, &consumed, NULL, NULL);

		FZ_CHECK(consumed == 1);
		FZ_CHECK(r == (i + 1 == n ? MQTTP_DONE : MQTTP_NEED_MORE));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_input in;
	uint8_t *buf;
	size_t len;
	int which;

	fz_parse_input(data, size, &in);
	len = in.body_len;
	buf = fz_dup(in.body, len);
	for (which = 0; which < 2; which++) {
		struct mqttp_options opt = in.opt;
		struct mqttp_result res;
		enum mqttp_status r;

		/* the options the one-shot decoders use, so the streaming parser
		 * below judges the packet the same way: a client's first packet
		 * with the version unknown, or a server's first packet */
		if (which == 0) {
			opt.checks = (opt.checks | MQTTP_CHECK_FROM_CLIENT) &
			             ~(uint32_t)MQTTP_CHECK_FROM_SERVER;
			opt.version = 0;
		} else {
			opt.checks = (opt.checks | MQTTP_CHECK_FROM_SERVER) &
			             ~(uint32_t)MQTTP_CHECK_FROM_CLIENT;
		}
		r = decode(which, buf, len, &opt, &res);
		if (r == MQTTP_DONE) {
			uint8_t *pkt = fz_dup(buf, res.length);

			check_prefixes(which, pkt, res.length, &opt);
			free(pkt);
		} else if (r == MQTTP_NEED_MORE) {
			size_t cuts[3] = { len / 2, len ? len - 1 : 0, 1 }, k;

			for (k = 0; k < 3; k++) {
				uint8_t *cp;

				if (cuts[k] > len)
					continue;
				cp = fz_dup(buf, cuts[k]);
				FZ_CHECK(decode(which, cp, cuts[k], &opt, &res) == MQTTP_NEED_MORE);
				free(cp);
			}
		}
	}
	free(buf);
	return 0;
}
