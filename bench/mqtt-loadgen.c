/*
 * mqtt-loadgen.c - MQTT CONNECT -> CONNACK handshake load generator (epoll).
 *
 *   mqtt-loadgen [-a addr] [-p port] [-c conc] [-n count] [-V 4|5]
 *                [-P id-prefix] [-F] [-k keepalive] [-t conn-timeout-ms]
 *                [-T total-timeout-s] [-I idle-seconds] [-W]
 *
 * -W: MQTT over WebSocket, as a browser does it: the HTTP/1.1 upgrade
 * request (subprotocol mqtt), wait for the whole 101 head, then the CONNECT
 * in one masked binary frame; the CONNACK is read from the server's binary
 * frame, DISCONNECT goes in a masked frame too. Latency is still connect()
 * to the CONNACK's last byte.
 *
 * Rate mode (default): keeps `conc` connections in flight until `count`
 * handshakes were attempted. Each connection: connect, send a CONNECT with
 * a distinct client id (<prefix><sequence>), read the whole CONNACK, send
 * DISCONNECT, close (-F: every connection uses the id <prefix> itself,
 * to check stickiness). Latency = connect() call to the CONNACK's last byte.
 * Prints one line:
 *   result ok=<n> errors=<n> elapsed_s=<s> rate=<handshakes/s> p50_us=<> p99_us=<>
 *
 * Idle mode (-I secs): opens `count` connections (at most `conc` handshakes
 * at a time), keeps each open after its CONNACK, prints
 *   ready ok=<n> errors=<n>
 * then holds them for `secs` seconds and closes them; prints
 *   closed ok=<n> errors=<n> live=<n>
 * where live counts the connections still open at the end of the hold.
 *
 * Everything is bounded: each connection by -t, the whole run by -T.
 * Loopback benchmarking only; no TLS, no retries.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum cstate { C_FREE = 0, C_CONNECTING, C_WAIT_101, C_WAIT_CONNACK, C_IDLE };

struct conn {
	int fd;
	enum cstate st;
	uint32_t seq;
	uint64_t t0;        /* ns, connect() call */
	uint8_t in[512];
	size_t nin;
	size_t skip;        /* -W: bytes of the 101 head and frames read so far */
	uint8_t mq[64];     /* -W: the MQTT bytes from the server's frames */
	size_t nmq;
};

static struct sockaddr_in dst;
static int conc = 50, version = 4, keepalive = 60;
static long count = 20000;
static long conn_timeout_ms = 5000;
static double total_timeout_s = 120;
static double idle_s = -1;
static const char *prefix = "lg-";
static int fixed_id;
static int websocket;

/* -W: the opening handshake (the key is RFC 6455's sample) */
static const char ws_request[] =
	"GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Protocol: mqtt\r\n\r\n";

static long started, ok, errors;
static uint32_t *lat_us;
static int ep;

/* Monotonic clock in ns. */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Build the CONNECT for sequence number seq into buf; returns its length. */
static size_t build_connect(uint8_t *buf, uint32_t seq)
{
	char id[64];
	int idlen = fixed_id ? snprintf(id, sizeof(id), "%s", prefix)
	                     : snprintf(id, sizeof(id), "%s%08u", prefix, seq);
	size_t n = 0, body;

	if (idlen < 0 || idlen >= (int)sizeof(id))
		idlen = (int)strlen(id);
	/* variable header: name, level, flags (clean start), keep alive,
	 * (5.0: empty property block), then the client id */
	body = 2 + 4 + 1 + 1 + 2 + (version == 5 ? 1 : 0) + 2 + (size_t)idlen;
	buf[n++] = 0x10;
	buf[n++] = (uint8_t)body;	/* < 128: ids are short */
	buf[n++] = 0;
	buf[n++] = 4;
	memcpy(buf + n, "MQTT", 4);
	n += 4;
	buf[n++] = (uint8_t)version;
	buf[n++] = 0x02;
	buf[n++] = (uint8_t)(keepalive >> 8);
	buf[n++] = (uint8_t)(keepalive & 0xFF);
	if (version == 5)
		buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = (uint8_t)idlen;
	memcpy(buf + n, id, (size_t)idlen);
	n += (size_t)idlen;
	return n;
}

/* Wraps <n> bytes at <src> into a masked binary frame at <f> (n < 126);
 * returns the frame's length. */
static size_t ws_frame(uint8_t *f, const uint8_t *src, size_t n, uint32_t seq)
{
	uint8_t mask[4] = { (uint8_t)seq, (uint8_t)(seq >> 8), 0x5a, 0xa5 };
	size_t i;

	f[0] = 0x82;
	f[1] = (uint8_t)(0x80 | n);
	memcpy(f + 2, mask, 4);
	for (i = 0; i < n; i++)
		f[6 + i] = src[i] ^ mask[i & 3];
	return 6 + n;
}

/* Sends the CONNECT (in a frame with -W) and waits for the CONNACK. */
static int send_connect(struct conn *c)
{
	uint8_t pkt[128], buf[160];
	size_t n = build_connect(pkt, c->seq);
	const uint8_t *out = pkt;

	if (websocket) {
		n = ws_frame(buf, pkt, n, c->seq);
		out = buf;
	}
	if (send(c->fd, out, n, MSG_NOSIGNAL) != (ssize_t)n)
		return -1;
	c->st = C_WAIT_CONNACK;
	return 0;
}

/* Close c's socket and mark the slot free. */
static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = C_FREE;
}

/* Start the next handshake in slot c; returns 0, or -1 when none is left. */
static int conn_start(struct conn *c)
{
	struct epoll_event ev;
	int one = 1;

	if (started >= count)
		return -1;
	c->seq = (uint32_t)started++;
	c->nin = 0;
	c->skip = 0;
	c->nmq = 0;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		errors++;
		c->st = C_FREE;
		return 0;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t0 = now_ns();
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) {
		errors++;
		conn_close(c);
		return 0;
	}
	c->st = C_CONNECTING;
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		errors++;
		conn_close(c);
	}
	return 0;
}

/* The connection is up: send the CONNECT (-W: the upgrade request) and
 * wait for the answer. */
static void on_writable(struct conn *c)
{
	struct epoll_event ev;
	int err = 0;
	socklen_t el = sizeof(err);
	int rc;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
		errors++;
		conn_close(c);
		return;
	}
	if (websocket) {
		rc = send(c->fd, ws_request, sizeof(ws_request) - 1, MSG_NOSIGNAL) ==
		     (ssize_t)(sizeof(ws_request) - 1) ? 0 : -1;
		c->st = C_WAIT_101;
	} else
		rc = send_connect(c);
	if (rc < 0) {
		errors++;
		conn_close(c);
		return;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Bytes arrived: complete the CONNACK check. Returns 1 when the handshake
 * finished (ok or not), 0 when more bytes are needed. */
static int on_readable(struct conn *c)
{
	ssize_t r = recv(c->fd, c->in + c->nin, sizeof(c->in) - c->nin, 0);
	size_t need;
	int rc;

	if (c->st == C_IDLE) {
		/* the broker or the proxy closed an idle connection */
		if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
			errors++;
			conn_close(c);
		}
		return 0;
	}
	if (r <= 0) {
		if (r < 0 && errno == EAGAIN)
			return 0;
		errors++;
		conn_close(c);
		return 1;
	}
	c->nin += (size_t)r;
	if (c->st == C_WAIT_101) {
		uint8_t *end = memmem(c->in, c->nin, "\r\n\r\n", 4);

		if (!end) {
			if (c->nin == sizeof(c->in)) {
				errors++;
				conn_close(c);
				return 1;
			}
			return 0;
		}
		if (c->nin < 13 || memcmp(c->in, "HTTP/1.1 101 ", 13) != 0 || send_connect(c) < 0) {
			errors++;
			conn_close(c);
			return 1;
		}
		c->skip = (size_t)(end + 4 - c->in);
	}
	if (c->skip) {
		/* the server's frames carry the CONNACK in any split (aedes sends
		 * one byte a frame): collect their payloads */
		while (c->nin >= c->skip + 2) {
			uint8_t op = c->in[c->skip] & 0x0f, len = c->in[c->skip + 1];

			if ((op != 0 && op != 2) || len > 125 || c->nmq + len > sizeof(c->mq)) {
				errors++;
				conn_close(c);
				return 1;
			}
			if (c->nin < c->skip + 2 + len)
				break;
			memcpy(c->mq + c->nmq, c->in + c->skip + 2, len);
			c->nmq += len;
			c->skip += 2 + (size_t)len;
		}
	}
	{
		const uint8_t *m = websocket ? c->mq : c->in;
		size_t have = websocket ? c->nmq : c->nin;

		if (have < 2)
			return 0;
		if (m[0] != 0x20 || (m[1] & 0x80)) {
			errors++;
			conn_close(c);
			return 1;
		}
		need = 2 + (size_t)m[1];
		if (have < need)
			return 0;
		rc = m[1] >= 2 ? m[3] : 0xFF;
	}
	if (rc != 0) {
		errors++;
		conn_close(c);
		return 1;
	}
	lat_us[ok++] = (uint32_t)((now_ns() - c->t0) / 1000u);
	if (idle_s >= 0) {
		c->st = C_IDLE;
		return 1;
	}
	/* DISCONNECT, then close: a clean end, no will, no broker warning. */
	if (websocket) {
		uint8_t f[8];

		(void)send(c->fd, f, ws_frame(f, (const uint8_t *)"\xe0\x00", 2, c->seq), MSG_NOSIGNAL);
	} else
		(void)send(c->fd, "\xe0\x00", 2, MSG_NOSIGNAL);
	conn_close(c);
	return 1;
}

/* qsort order of uint32_t. */
static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Percentile q (0..1) of the sorted latencies, in microseconds. */
static uint32_t pct(double q)
{
	long i;

	if (ok == 0)
		return 0;
	i = (long)(q * (double)ok);
	if (i >= ok)
		i = ok - 1;
	return lat_us[i];
}

/* Print the usage and exit 2. */
static void usage(void)
{
	fprintf(stderr, "usage: mqtt-loadgen [-a addr] [-p port] [-c conc] [-n count] [-V 4|5]\n"
	        "       [-P prefix] [-F] [-k keepalive] [-t conn-timeout-ms] [-T total-timeout-s] [-I idle-s] [-W]\n");
	exit(2);
}

/* Parse options, run rate or idle mode, print the result line. */
int main(int argc, char **argv)
{
	struct epoll_event evs[256];
	struct conn *cs;
	const char *addr = "127.0.0.1";
	int port = 1883, opt, i, live;
	uint64_t t_start, deadline;
	double el;

	while ((opt = getopt(argc, argv, "a:p:c:n:V:P:Fk:t:T:I:W")) != -1) {
		switch (opt) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'n': count = atol(optarg); break;
		case 'V': version = atoi(optarg); break;
		case 'P': prefix = optarg; break;
		case 'F': fixed_id = 1; break;
		case 'k': keepalive = atoi(optarg); break;
		case 't': conn_timeout_ms = atol(optarg); break;
		case 'T': total_timeout_s = atof(optarg); break;
		case 'I': idle_s = atof(optarg); break;
		case 'W': websocket = 1; break;
		default: usage();
		}
	}
	if (conc < 1 || count < 1 || (version != 4 && version != 5) || strlen(prefix) > 40 ||
	    port < 1 || port > 65535)
		usage();
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	/* idle mode holds every connection: one slot per connection */
	if (idle_s >= 0 && conc < count)
		conc = (int)count;
	cs = calloc((size_t)conc, sizeof(*cs));
	lat_us = calloc((size_t)count, sizeof(*lat_us));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || !lat_us || ep < 0) {
		perror("mqtt-loadgen");
		return 1;
	}
	for (i = 0; i < conc; i++)
		cs[i].fd = -1;

	t_start = now_ns();
	deadline = t_start + (uint64_t)(total_timeout_s * 1e9);
	/* In idle mode at most 50 handshakes run at once; in rate mode every
	 * slot runs one. */
	{
		int inflight_max = idle_s >= 0 ? 50 : conc, inflight, next = 0;

		for (;;) {
			uint64_t t = now_ns();
			int n;

			/* time out handshakes that take too long */
			inflight = 0;
			for (i = 0; i < conc; i++) {
				struct conn *c = &cs[i];

				if (c->st != C_CONNECTING && c->st != C_WAIT_101 && c->st != C_WAIT_CONNACK)
					continue;
				if (t - c->t0 > (uint64_t)conn_timeout_ms * 1000000u) {
					errors++;
					conn_close(c);
					continue;
				}
				inflight++;
			}
			/* start more */
			if (idle_s < 0) {
				for (i = 0; i < conc && started < count; i++)
					if (cs[i].st == C_FREE) {
						conn_start(&cs[i]);
						inflight += cs[i].st != C_FREE;
					}
			} else {
				while (inflight < inflight_max && next < conc && started < count) {
					conn_start(&cs[next]);
					inflight += cs[next++].st != C_FREE;
				}
			}
			if (!inflight && started >= count)
				break;
			if (t > deadline) {
				fprintf(stderr, "mqtt-loadgen: total timeout (%.0f s) reached\n", total_timeout_s);
				break;
			}
			n = epoll_wait(ep, evs, 256, 100);
			for (i = 0; i < n; i++) {
				struct conn *c = evs[i].data.ptr;

				if (c->st == C_CONNECTING)
					on_writable(c);
				else if (c->st == C_WAIT_101 || c->st == C_WAIT_CONNACK || c->st == C_IDLE)
					on_readable(c);
				/* rate mode: reuse the slot at once */
				if (idle_s < 0 && c->st == C_FREE && started < count)
					conn_start(c);
			}
		}
	}
	el = (double)(now_ns() - t_start) / 1e9;
	qsort(lat_us, (size_t)ok, sizeof(*lat_us), cmp_u32);

	if (idle_s >= 0) {
		uint64_t until;

		for (live = 0, i = 0; i < conc; i++)
			live += cs[i].st == C_IDLE;
		printf("ready ok=%ld errors=%ld live=%d elapsed_s=%.3f p50_us=%u p99_us=%u\n",
		       ok, errors, live, el, pct(0.50), pct(0.99));
		fflush(stdout);
		until = now_ns() + (uint64_t)(idle_s * 1e9);
		while (now_ns() < until) {
			int n = epoll_wait(ep, evs, 256, 100);

			/* a peer closing an idle connection is counted */
			for (i = 0; i < n; i++)
				on_readable(evs[i].data.ptr);
		}
		for (live = 0, i = 0; i < conc; i++)
			live += cs[i].st == C_IDLE;
		printf("closed ok=%ld errors=%ld live=%d\n", ok, errors, live);
		for (i = 0; i < conc; i++)
			if (cs[i].st == C_IDLE) {
				(void)send(cs[i].fd, "\xe0\x00", 2, MSG_NOSIGNAL);
				conn_close(&cs[i]);
			}
		return 0;
	}
	printf("result ok=%ld errors=%ld elapsed_s=%.3f rate=%.1f p50_us=%u p99_us=%u\n",
	       ok, errors, el, el > 0 ? (double)ok / el : 0.0, pct(0.50), pct(0.99));
	return errors > count / 10 ? 1 : 0;
}
