/*
 * mqtt-loadgen.c - MQTT CONNECT -> CONNACK handshake load generator (epoll).
 *
 *   mqtt-loadgen [-a addr] [-p port] [-c conc] [-n count] [-V 4|5]
 *                [-P id-prefix] [-F] [-k keepalive] [-t conn-timeout-ms]
 *                [-T total-timeout-s] [-I idle-seconds] [-W]
 *                [-M publish -s payload-bytes] [-M sink]
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
 * Publish mode (-M publish -s size): `conc` publishers connect as in idle
 * mode; once every one has its CONNACK, each sends its share of `count`
 * QoS 0 PUBLISH packets of `size` payload bytes (topic "b/<id>") back to
 * back as fast as the socket takes them, then a PINGREQ; the PINGRESP proves
 * every byte before it reached the server and was framed there; then
 * DISCONNECT and close. Time runs from the last CONNACK to the last PINGRESP.
 * Prints one line:
 *   publish ok=<publishers> errors=<n> messages=<n> bytes=<n> elapsed_s=<s> rate=<messages/s> mb_s=<>
 * -n 0 sends no PUBLISH (the fixed cost of a run, to subtract).
 *
 * Sink mode (-M sink): a server on addr:port that answers each CONNECT with
 * a CONNACK (accepted), frames every later packet and discards it, answers
 * PINGREQ with PINGRESP and closes on DISCONNECT, so a proxy's cost is
 * measured rather than a broker's. Prints one line per connection that sent
 * a PUBLISH, when it ends:
 *   sink publishes=<n> bytes=<n>
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
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum cstate { C_FREE = 0, C_CONNECTING, C_WAIT_101, C_WAIT_CONNACK, C_IDLE, C_PUBLISH, C_WAIT_PINGRESP };

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
	uint64_t sent;      /* -M publish: bytes of the stream sent */
	uint64_t total;     /* -M publish: the PUBLISH packets' bytes, PINGREQ excluded */
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
static int publish, sink;
static long payload = 1024;
/* idle and publish modes keep each connection after its CONNACK */
static int hold;

/* -W: the opening handshake (the key is RFC 6455's sample) */
static const char ws_request[] =
	"GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	"Sec-WebSocket-Protocol: mqtt\r\n\r\n";

static long started, ok, errors;
static long messages;
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
	if (hold) {
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

/* One QoS 0 PUBLISH of `payload` bytes on topic "b/<prefix>", repeated into
 * a buffer of whole packets of at least 256 KB, so that one send() can take
 * many; returns the buffer (NULL when out of memory), the packet's length in
 * *plen, the buffer's in *blen. */
static uint8_t *build_publishes(size_t *plen, size_t *blen)
{
	uint8_t hdr[80], *buf;
	int tlen = snprintf((char *)hdr + 16, 60, "b/%s", prefix);
	size_t rem = 2 + (size_t)tlen + (version == 5 ? 1 : 0) + (size_t)payload, r = rem, h = 0, k, i;

	hdr[h++] = 0x30;
	do {
		hdr[h++] = (uint8_t)((r & 0x7f) | (r > 0x7f ? 0x80 : 0));
		r >>= 7;
	} while (r);
	hdr[h++] = (uint8_t)(tlen >> 8);
	hdr[h++] = (uint8_t)tlen;
	memmove(hdr + h, hdr + 16, (size_t)tlen);
	h += (size_t)tlen;
	if (version == 5)
		hdr[h++] = 0;	/* no properties */
	*plen = h + (size_t)payload;
	k = (256 * 1024 + *plen - 1) / *plen;
	*blen = k * *plen;
	buf = malloc(*blen);
	for (i = 0; buf && i < k; i++) {
		memcpy(buf + i * *plen, hdr, h);
		memset(buf + i * *plen + h, 'a' + (int)(i % 26), (size_t)payload);
	}
	return buf;
}

/* -M publish: writes c's stream (its PUBLISH packets, then PINGREQ) while
 * the socket takes it; then waits for the PINGRESP. */
static void pub_write(struct conn *c, const uint8_t *buf, size_t blen)
{
	static const uint8_t pingreq[2] = { 0xc0, 0x00 };
	struct epoll_event ev;

	while (c->sent < c->total + 2) {
		const uint8_t *p;
		size_t len;
		ssize_t w;

		if (c->sent < c->total) {
			/* the buffer holds whole packets: the stream is it, repeated */
			size_t off = (size_t)(c->sent % blen);

			p = buf + off;
			len = blen - off;
			if (len > c->total - c->sent)
				len = (size_t)(c->total - c->sent);
		} else {
			p = pingreq + (c->sent - c->total);
			len = 2 - (size_t)(c->sent - c->total);
		}
		w = send(c->fd, p, len, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN)
				return;
			errors++;
			conn_close(c);
			return;
		}
		c->sent += (uint64_t)w;
	}
	c->st = C_WAIT_PINGRESP;
	c->nin = 0;
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* -M publish: reads the PINGRESP that ends c's stream; returns 1 when c is
 * done (ok or not). */
static int pub_read(struct conn *c)
{
	ssize_t r = recv(c->fd, c->in + c->nin, sizeof(c->in) - c->nin, 0);

	if (r < 0 && errno == EAGAIN)
		return 0;
	if (r <= 0) {
		errors++;
		conn_close(c);
		return 1;
	}
	c->nin += (size_t)r;
	if (c->nin < 2)
		return 0;
	if (c->in[0] != 0xd0 || c->in[1] != 0) {
		errors++;
		conn_close(c);
		return 1;
	}
	(void)send(c->fd, "\xe0\x00", 2, MSG_NOSIGNAL);
	conn_close(c);
	c->st = C_IDLE;	/* done: counted by the caller */
	return 1;
}

/* -M publish, once every publisher has its CONNACK: sends `messages`
 * PUBLISH packets shared among them, prints the publish line. */
static int run_publish(struct conn *cs, uint64_t deadline)
{
	struct epoll_event ev, evs[256];
	size_t plen, blen;
	uint8_t *buf = build_publishes(&plen, &blen);
	long pubs = 0, live = 0, done = 0, j = 0;
	uint64_t t0, t1, sent_msgs = 0;
	double el;
	int i;

	if (!buf) {
		perror("mqtt-loadgen");
		return 1;
	}
	for (i = 0; i < conc; i++)
		pubs += cs[i].st == C_IDLE;
	for (i = 0; i < conc; i++) {
		struct conn *c = &cs[i];

		if (c->st != C_IDLE)
			continue;
		c->total = (uint64_t)(messages / pubs + (j++ < messages % pubs)) * plen;
		c->sent = 0;
		c->st = C_PUBLISH;
		ev.events = EPOLLOUT;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		live++;
	}
	t0 = t1 = now_ns();
	while (live > 0 && now_ns() < deadline) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->st == C_PUBLISH)
				pub_write(c, buf, blen);
			else if (c->st == C_WAIT_PINGRESP && pub_read(c) && c->st == C_IDLE) {
				c->st = C_FREE;
				sent_msgs += c->total / plen;
				done++;
				t1 = now_ns();
			}
			if (c->st == C_FREE)
				live--;
		}
	}
	if (live > 0) {
		fprintf(stderr, "mqtt-loadgen: total timeout reached, %ld publishers unfinished\n", live);
		errors += live;
	}
	el = (double)(t1 - t0) / 1e9;
	printf("publish ok=%ld errors=%ld messages=%llu bytes=%llu elapsed_s=%.3f rate=%.1f mb_s=%.1f\n",
	       done, errors, (unsigned long long)sent_msgs, (unsigned long long)(sent_msgs * plen),
	       el, el > 0 ? (double)sent_msgs / el : 0.0,
	       el > 0 ? (double)(sent_msgs * plen) / el / 1e6 : 0.0);
	free(buf);
	return errors || sent_msgs != (uint64_t)messages ? 1 : 0;
}

/* -M sink: one client connection, framed as its bytes arrive. */
struct sconn {
	int fd;
	int connected;      /* the CONNECT was answered */
	int inpkt;          /* in a packet's body (skip bytes left) */
	uint8_t hdr[5];     /* the fixed header being read */
	size_t nh;
	uint64_t skip;
	uint8_t first[8];   /* the CONNECT's first body bytes: its protocol level */
	size_t nfirst;
	uint64_t publishes, bytes;
};

/* Acts on the packet of type `type` that c just completed: returns -1 to
 * close the connection, 0 to go on. */
static int sink_packet(struct sconn *c, unsigned type)
{
	static const uint8_t connack4[] = { 0x20, 0x02, 0x00, 0x00 };
	static const uint8_t connack5[] = { 0x20, 0x03, 0x00, 0x00, 0x00 };

	if (!c->connected) {
		/* the first packet must be a CONNECT [MQTT-3.1.0-1] */
		int v5 = c->nfirst > 6 && c->first[6] == 5;

		if (type != 1)
			return -1;
		c->connected = 1;
		if (v5)
			return send(c->fd, connack5, sizeof(connack5), MSG_NOSIGNAL) == sizeof(connack5) ? 0 : -1;
		return send(c->fd, connack4, sizeof(connack4), MSG_NOSIGNAL) == sizeof(connack4) ? 0 : -1;
	}
	switch (type) {
	case 3: c->publishes++; return 0;
	case 12: return send(c->fd, "\xd0\x00", 2, MSG_NOSIGNAL) == 2 ? 0 : -1;
	case 14: return -1;
	default: return 0;
	}
}

/* Frames n bytes of c's stream, skipping every packet's body; returns -1
 * when the connection is to be closed. */
static int sink_feed(struct sconn *c, const uint8_t *p, size_t n)
{
	c->bytes += n;
	while (n) {
		if (c->inpkt) {
			size_t m = n < c->skip ? n : (size_t)c->skip;

			if (!c->connected && c->nfirst < sizeof(c->first)) {
				size_t f = sizeof(c->first) - c->nfirst < m ? sizeof(c->first) - c->nfirst : m;

				memcpy(c->first + c->nfirst, p, f);
				c->nfirst += f;
			}
			p += m;
			n -= m;
			c->skip -= m;
			if (c->skip)
				break;
			c->inpkt = 0;
			if (sink_packet(c, c->hdr[0] >> 4) < 0)
				return -1;
			continue;
		}
		c->hdr[c->nh++] = *p++;
		n--;
		if (c->nh == 1 || (c->hdr[c->nh - 1] & 0x80)) {
			if (c->nh == 5)
				return -1;	/* a Remaining Length of more than 4 bytes */
			continue;
		}
		c->skip = 0;
		while (--c->nh)
			c->skip = (c->skip << 7) | (c->hdr[c->nh] & 0x7f);
		c->inpkt = 1;
		if (!c->skip) {
			c->inpkt = 0;
			if (sink_packet(c, c->hdr[0] >> 4) < 0)
				return -1;
		}
	}
	return 0;
}

/* -M sink: serves until killed. */
static int run_sink(void)
{
	static uint8_t buf[256 * 1024];
	struct epoll_event ev, evs[256];
	int lfd, one = 1, i, n;

	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (lfd < 0 || ep < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(lfd, (struct sockaddr *)&dst, sizeof(dst)) < 0 || listen(lfd, 4096) < 0) {
		perror("mqtt-loadgen: sink");
		return 1;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			struct sconn *c = evs[i].data.ptr;
			ssize_t r;

			if (!c) {
				int fd;

				while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						continue;
					}
					c->fd = fd;
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			r = recv(c->fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r > 0 && sink_feed(c, buf, (size_t)r) == 0)
				continue;
			if (c->publishes) {
				printf("sink publishes=%llu bytes=%llu\n", (unsigned long long)c->publishes,
				       (unsigned long long)c->bytes);
				fflush(stdout);
			}
			close(c->fd);
			free(c);
		}
	}
}

/* Print the usage and exit 2. */
static void usage(void)
{
	fprintf(stderr, "usage: mqtt-loadgen [-a addr] [-p port] [-c conc] [-n count] [-V 4|5]\n"
	        "       [-P prefix] [-F] [-k keepalive] [-t conn-timeout-ms] [-T total-timeout-s] [-I idle-s] [-W]\n"
	        "       [-M publish -s payload-bytes] [-M sink]\n");
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

	while ((opt = getopt(argc, argv, "a:p:c:n:V:P:Fk:t:T:I:WM:s:")) != -1) {
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
		case 'M':
			publish = strcmp(optarg, "publish") == 0;
			sink = strcmp(optarg, "sink") == 0;
			if (!publish && !sink)
				usage();
			break;
		case 's': payload = atol(optarg); break;
		default: usage();
		}
	}
	if (conc < 1 || count < (publish ? 0 : 1) || (version != 4 && version != 5) ||
	    strlen(prefix) > 40 || port < 1 || port > 65535 || payload < 0 ||
	    payload > 16 * 1024 * 1024 || (publish && (websocket || idle_s >= 0)))
		usage();
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	if (sink)
		return run_sink();
	hold = idle_s >= 0 || publish;
	if (publish) {
		/* -n counts messages: `conc` publishers share them */
		messages = count;
		count = conc;
	}
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
		int inflight_max = hold ? 50 : conc, inflight, next = 0;

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
			if (!hold) {
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
				if (!hold && c->st == C_FREE && started < count)
					conn_start(c);
			}
		}
	}
	el = (double)(now_ns() - t_start) / 1e9;
	qsort(lat_us, (size_t)ok, sizeof(*lat_us), cmp_u32);
	if (publish)
		return run_publish(cs, deadline);

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
