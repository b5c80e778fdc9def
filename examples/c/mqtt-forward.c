/*
 * mqtt-forward - a small MQTT-aware TCP forwarder over libmqttparse.
 *
 *   mqtt-forward -l HOST:PORT -u HOST:PORT [-u HOST:PORT]... [options]
 *
 * For each accepted connection it reads the client's CONNECT until the
 * client identifier is known (the parser reports MQTTP_HAVE_CLIENT_ID long
 * before the packet ends), picks an upstream broker from the client id,
 * connects, forwards the bytes read so far and then pipes both directions.
 * The rest of the CONNECT is still checked as it passes: the client's bytes
 * are only forwarded once the parser has accepted them, and an invalid
 * CONNECT is answered with the CONNACK a broker would send
 * (mqttp_error_return_code / mqttp_error_reason_code, encoded by
 * mqttp_encode_connack) or, where the spec says so, by closing.
 *
 * Upstream choice: rendezvous (highest random weight) hashing. Each
 * upstream's score is splitmix64(FNV-1a-64(client id) ^ FNV-1a-64("host:port"
 * as written on the command line)); the highest score wins, ties go to the
 * upstream listed first. So a client id always reaches the same broker, the
 * order of -u options does not matter, and removing one upstream only moves
 * the clients it had. If the chosen upstream refuses the connection (or
 * does not answer within the connect timeout) the next best is tried; when
 * none answers the client gets CONNACK "server unavailable" (3.1.1: 3,
 * 5.0: 0x88). An empty client id (a new, clean session: [MQTT-3.1.3-7],
 * or 5.0 where the broker assigns one) has nothing to keep sticky, so those
 * connections go round robin. A 5.0 broker then gives such a client an
 * Assigned Client Identifier in its CONNACK (property 0x12); the forwarder
 * reads the broker's CONNACK with a second parser and remembers which
 * upstream assigned which id (a cache of 4096 entries keyed by the id's
 * 64-bit hash), so the client's later reconnects with that id reach the
 * broker that holds its session. The memory is per process: several
 * forwarders side by side do not share it.
 *
 * One thread, poll(2), non-blocking sockets, two bounded buffers per
 * connection (-b bytes each way). The client id must arrive within the
 * first -b bytes (else 5.0 clients get 0x95 "packet too large", older ones
 * are closed) and within -t seconds of the accept.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <mqttparse.h>
#include <mqttcodec.h>

#define MAX_UPSTREAMS 64
#define ASSIGNED_SLOTS 4096 /* remembered assigned client ids */
#define ASSIGNED_MAX   256  /* longest assigned id we remember */

enum conn_state {
	S_CONNECT,    /* reading the CONNECT until the client id is known */
	S_CONNECTING, /* upstream connect() in progress */
	S_PIPE,       /* upstream connected: both directions flow */
	S_REFUSE,     /* writing a refusal CONNACK to the client */
	S_DRAIN       /* refusal sent: discard client bytes until EOF */
};

/* A bounded byte buffer; data sits in [off, len). */
struct buf {
	unsigned char *d;
	size_t off, len;
};

struct upstream {
	char name[128];              /* "host:port" as given */
	struct sockaddr_storage sa;
	socklen_t salen;
	uint64_t key;                /* FNV-1a-64 of name */
};

struct conn {
	int cfd, ufd;
	enum conn_state state;
	struct mqttp_parser p;
	int connect_done;            /* the CONNECT was parsed to its end */
	int c_eof, u_eof;            /* read side saw EOF */
	int c_shut, u_shut;          /* write side shut down */
	int cpi, upi;                /* indexes in the pollfd array, or -1 */
	struct buf c2u, u2c;
	uint8_t order[MAX_UPSTREAMS];/* upstreams by preference */
	unsigned nup, tried;
	double deadline;             /* of the current state, monotonic s */
	unsigned long id;
	unsigned up;                 /* upstream in use (S_CONNECTING, S_PIPE) */
	/* 5.0 with an empty client id: learn the id the broker assigns */
	int learn;
	struct mqttp_parser sp;      /* the broker's first packet */
	uint16_t aid_len;
	int aid_ok;                  /* property 0x12 complete and kept whole */
	unsigned char aid[ASSIGNED_MAX];
};

/* Which upstream assigned a client id: key is FNV-1a-64 of the id. */
struct assigned {
	uint64_t key;
	uint8_t up;
	uint8_t used;
};
static struct assigned assigned_ids[ASSIGNED_SLOTS];

static struct upstream ups[MAX_UPSTREAMS];
static unsigned nups;
static size_t bufsize = 16384;
static double connect_timeout = 5.0, hello_timeout = 10.0;
static int verbose;
static unsigned long next_id = 1, rr;
static struct mqttp_options popt;

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* FNV-1a, 64 bits, over s[0..n), continuing from h. */
static uint64_t fnv1a64(uint64_t h, const void *s, size_t n)
{
	const unsigned char *p = s;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV_OFFSET 0xcbf29ce484222325ULL

/* splitmix64's finaliser: spreads the bits of x. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Fill order[] with the upstream indexes by rendezvous score for this
 * client id, best first (ties: lower index first). */
static void rank_upstreams(const unsigned char *cid, size_t n, uint8_t *order)
{
	uint64_t h = fnv1a64(FNV_OFFSET, cid, n), score[MAX_UPSTREAMS], s;
	unsigned i, j;
	uint8_t t;

	for (i = 0; i < nups; i++) {
		score[i] = mix64(h ^ ups[i].key);
		order[i] = (uint8_t)i;
	}
	/* insertion sort: a handful of upstreams */
	for (i = 1; i < nups; i++) {
		t = order[i];
		s = score[t];
		for (j = i; j > 0 && score[order[j - 1]] < s; j--)
			order[j] = order[j - 1];
		order[j] = t;
	}
}

/* Log a client id (bytes that are not printable ASCII as \xHH). */
static void log_cid(const unsigned char *s, size_t n)
{
	size_t i;

	fputc('"', stderr);
	for (i = 0; i < n && i < 256; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7F && s[i] != '"' && s[i] != '\\')
			fputc(s[i], stderr);
		else
			fprintf(stderr, "\\x%02x", s[i]);
	}
	fputs(i < n ? "...\"" : "\"", stderr);
}

/* Remember that upstream `up` assigned client id s[0..n). */
static void assigned_put(const unsigned char *s, size_t n, unsigned up)
{
	uint64_t k = fnv1a64(FNV_OFFSET, s, n);
	struct assigned *a = &assigned_ids[k % ASSIGNED_SLOTS];

	a->key = k;
	a->up = (uint8_t)up;
	a->used = 1;
}

/* The upstream that assigned client id s[0..n), or -1. */
static int assigned_get(const unsigned char *s, size_t n)
{
	uint64_t k = fnv1a64(FNV_OFFSET, s, n);
	const struct assigned *a = &assigned_ids[k % ASSIGNED_SLOTS];

	return a->used && a->key == k ? a->up : -1;
}

/* Field callback on the broker's CONNACK: keep the Assigned Client
 * Identifier (0x12), reassembling its fragments. */
static void on_connack_field(void *ctx, const struct mqttp_field *f)
{
	struct conn *c = ctx;

	if (f->id != MQTTP_F_PROPERTY || f->prop_id != 0x12)
		return;
	if (f->flags & MQTTP_FRAG_FIRST) {
		c->aid_len = 0;
		c->aid_ok = f->len <= ASSIGNED_MAX;
	}
	if (c->aid_ok && f->frag_len) {
		memcpy(c->aid + c->aid_len, f->frag, f->frag_len);
		c->aid_len = (uint16_t)(c->aid_len + f->frag_len);
	}
	if ((f->flags & MQTTP_FRAG_LAST) && c->aid_ok)
		c->aid_ok = 2;
}

/* Read the broker's bytes data[0..n) while learning: on its CONNACK, store
 * the assigned id. Learning stops at the first packet's end (or error). */
static void learn_assigned(struct conn *c, const unsigned char *data, size_t n)
{
	enum mqttp_status st;
	size_t used;

	st = mqttp_feed(&c->sp, data, n, &used, on_connack_field, c);
	if (st == MQTTP_NEED_MORE)
		return;
	c->learn = 0;
	if (st == MQTTP_DONE && c->sp.type == MQTTP_CONNACK && c->aid_ok == 2 &&
	    c->aid_len > 0) {
		assigned_put(c->aid, c->aid_len, c->up);
		if (verbose) {
			fprintf(stderr, "conn %lu: %s assigned client id ", c->id,
			        ups[c->up].name);
			log_cid(c->aid, c->aid_len);
			fputc('\n', stderr);
		}
	}
}

/* Make fd non-blocking; 0 or -1. */
static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Resolve "host:port" or "[v6]:port" into sa; 0 or -1. */
static int resolve(const char *spec, struct sockaddr_storage *sa, socklen_t *len,
                   int passive)
{
	char host[256];
	const char *colon, *h = spec, *port;
	size_t hl;
	struct addrinfo hints, *res;

	if (spec[0] == '[') {
		colon = strstr(spec, "]:");
		if (!colon)
			return -1;
		h = spec + 1;
		hl = (size_t)(colon - h);
		port = colon + 2;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - spec);
		port = colon + 1;
	}
	if (hl >= sizeof(host) || !*port)
		return -1;
	memcpy(host, h, hl);
	host[hl] = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE : 0;
	if (getaddrinfo(hl ? host : NULL, port, &hints, &res) != 0)
		return -1;
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* Print "host:port" of a socket address into out. */
static void addr_str(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
	char h[256], s[32];

	if (getnameinfo(sa, len, h, sizeof(h), s, sizeof(s),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(out, cap, "?");
	else if (sa->sa_family == AF_INET6)
		snprintf(out, cap, "[%s]:%s", h, s);
	else
		snprintf(out, cap, "%s:%s", h, s);
}

/* Close both sockets and free the connection. */
static void conn_free(struct conn *c)
{
	if (c->cfd >= 0)
		close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	free(c->c2u.d);
	free(c->u2c.d);
	free(c);
}

/* Start the refusal: replace anything queued for the client by the
 * CONNACK in ack[0..n); n == 0 means close without answer. The upstream
 * (if any) is closed: nothing more goes to it. */
static void refuse(struct conn *c, const uint8_t *ack, size_t n)
{
	if (c->ufd >= 0) {
		close(c->ufd);
		c->ufd = -1;
	}
	c->u2c.off = 0;
	c->u2c.len = n;
	memcpy(c->u2c.d, ack, n);
	c->state = S_REFUSE;
	c->deadline = now_s() + 2.0;
}

/* Refuse because the CONNECT is invalid (error e): the CONNACK a broker
 * would send, by the version the CONNECT announced. An unsupported
 * protocol level is answered in the 3.1.1 format [MQTT-3.1.2-2]; other
 * errors before the version is known close the connection. */
static void refuse_error(struct conn *c, enum mqttp_error e)
{
	uint8_t ack[16];
	size_t n = 0;
	int code;
	unsigned v = (c->p.have & MQTTP_HAVE_VERSION) ? c->p.version : 0;

	if (v != MQTTP_V31 && v != MQTTP_V311 && v != MQTTP_V5)
		v = 0; /* the level byte was read but is not one we speak */
	if (v == MQTTP_V5) {
		code = mqttp_error_reason_code(e);
		if (code >= 0)
			n = mqttp_encode_connack(ack, sizeof(ack), 5, 0, 0,
			                         (unsigned)code, NULL, 0, NULL, 0);
	} else {
		code = mqttp_error_return_code(e);
		if (code >= 0 && (v || mqttp_error_class(e) == MQTTP_EC_UNSUPPORTED_VERSION))
			n = mqttp_encode_connack(ack, sizeof(ack), v ? v : MQTTP_V311,
			                         0, (unsigned)code, 0, NULL, 0, NULL, 0);
	}
	if (verbose)
		fprintf(stderr, "conn %lu: invalid CONNECT: %s at byte %lu, %s\n",
		        c->id, mqttp_error_name(e), (unsigned long)c->p.error_offset,
		        n ? "refused with CONNACK" : "closed");
	refuse(c, ack, n);
}

/* Refuse for a condition of the forwarder itself: 5.0 reason code rc5,
 * 3.1.1 return code rc3 (< 0: close). */
static void refuse_local(struct conn *c, unsigned rc5, int rc3, const char *why)
{
	uint8_t ack[16];
	size_t n = 0;
	unsigned v = c->p.version;

	if (v == MQTTP_V5)
		n = mqttp_encode_connack(ack, sizeof(ack), 5, 0, 0, rc5, NULL, 0, NULL, 0);
	else if (rc3 >= 0 && (v == MQTTP_V31 || v == MQTTP_V311))
		n = mqttp_encode_connack(ack, sizeof(ack), v, 0, (unsigned)rc3, 0,
		                         NULL, 0, NULL, 0);
	if (verbose)
		fprintf(stderr, "conn %lu: %s, %s\n", c->id, why,
		        n ? "refused with CONNACK" : "closed");
	refuse(c, ack, n);
}

/* Start connecting to the next upstream in c->order. Returns 0 when an
 * attempt is under way (or done), -1 when every upstream failed (the
 * refusal is then set up). */
static int try_next_upstream(struct conn *c)
{
	const struct upstream *u;
	int fd, one = 1;

	if (c->ufd >= 0) {
		close(c->ufd);
		c->ufd = -1;
	}
	while (c->tried < c->nup) {
		c->up = c->order[c->tried];
		u = &ups[c->order[c->tried++]];
		fd = socket(u->sa.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		if (set_nonblock(fd) < 0) {
			close(fd);
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (const struct sockaddr *)&u->sa, u->salen) == 0 ||
		    errno == EINPROGRESS) {
			c->ufd = fd;
			c->state = S_CONNECTING;
			c->deadline = now_s() + connect_timeout;
			if (verbose)
				fprintf(stderr, "conn %lu: connecting to %s\n", c->id, u->name);
			return 0;
		}
		if (verbose)
			fprintf(stderr, "conn %lu: %s: %s\n", c->id, u->name, strerror(errno));
		close(fd);
	}
	refuse_local(c, 0x88, 3, "no upstream reachable");
	return -1;
}

/* The client id is known: choose the upstreams' order and connect. */
static void route(struct conn *c)
{
	const unsigned char *cid = c->c2u.d + c->p.client_id_off;
	size_t n = c->p.client_id_len;
	unsigned i;

	uint8_t t;
	int a;

	c->nup = nups;
	c->tried = 0;
	if (n > 0) {
		rank_upstreams(cid, n, c->order);
		/* An id a broker assigned goes back to that broker first. */
		a = assigned_get(cid, n);
		for (i = 0; a >= 0 && i < nups; i++) {
			if (c->order[i] != a)
				continue;
			t = c->order[i];
			memmove(c->order + 1, c->order, i);
			c->order[0] = t;
			break;
		}
	} else {
		for (i = 0; i < nups; i++)
			c->order[i] = (uint8_t)((rr + i) % nups);
		rr++;
		if (c->p.version == MQTTP_V5) {
			struct mqttp_options so;

			mqttp_options_default(&so);
			so.checks = MQTTP_CHECK_FROM_SERVER;
			so.version = MQTTP_V5;
			mqttp_init(&c->sp, &so);
			c->learn = 1;
		}
	}
	if (verbose) {
		fprintf(stderr, "conn %lu: MQTT %u client id ", c->id, c->p.version);
		log_cid(cid, n);
		fprintf(stderr, " -> %s%s\n", ups[c->order[0]].name,
		        n ? "" : " (empty id: round robin)");
	}
	try_next_upstream(c);
}

/* Read what fits into b from fd. Returns bytes read, 0 at EOF, -1 on a
 * hard error, -2 when nothing is available. */
static ssize_t fill(int fd, struct buf *b)
{
	ssize_t r;

	if (b->off > 0 && b->len == bufsize) {
		memmove(b->d, b->d + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len == bufsize)
		return -2;
	r = recv(fd, b->d + b->len, bufsize - b->len, 0);
	if (r < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -2 : -1;
	b->len += (size_t)r;
	return r;
}

/* Write what b holds to fd. 0 when all or part was written or the socket
 * is full, -1 on a hard error. */
static int flush(int fd, struct buf *b)
{
	ssize_t w;

	while (b->off < b->len) {
		w = send(fd, b->d + b->off, b->len - b->off, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		b->off += (size_t)w;
	}
	b->off = b->len = 0;
	return 0;
}

/* Handle the client side being readable while the CONNECT is read or
 * forwarded. Returns -1 when the connection must close now. */
static int client_read(struct conn *c)
{
	size_t before = c->c2u.len, used;
	ssize_t r = fill(c->cfd, &c->c2u);
	enum mqttp_status st;

	if (r == -2)
		return 0;
	if (r < 0)
		return -1;
	if (r == 0) {
		c->c_eof = 1;
		/* Nothing to forward to yet: give up. */
		return c->state == S_CONNECT || (c->state == S_CONNECTING &&
		       !c->connect_done) ? -1 : 0;
	}
	if (c->connect_done)
		return 0;
	/* Check the new bytes before they can be forwarded. fill() may
	 * have moved the data: the new bytes are the last r. */
	before = c->c2u.len - (size_t)r;
	st = mqttp_feed(&c->p, c->c2u.d + before, (size_t)r, &used, NULL, NULL);
	if (st == MQTTP_ERROR) {
		refuse_error(c, (enum mqttp_error)c->p.error);
		return 0;
	}
	if (st == MQTTP_DONE)
		c->connect_done = 1;
	if (c->state == S_CONNECT) {
		if (c->p.have & MQTTP_HAVE_CLIENT_ID)
			route(c);
		else if (c->c2u.len == bufsize)
			refuse_local(c, 0x95, -1, "no client id in the first buffer");
	}
	return 0;
}

/* Advance one connection after poll; returns -1 when it must be freed. */
static int conn_step(struct conn *c, short cev, short uev)
{
	int err = 0;
	socklen_t el = sizeof(err);
	ssize_t r;
	char junk[4096];

	if (c->state == S_REFUSE) {
		if (cev & (POLLERR | POLLNVAL))
			return -1;
		if (flush(c->cfd, &c->u2c) < 0)
			return -1;
		if (c->u2c.len == 0) {
			/* Half-close and drain, so that unread client bytes
			 * do not turn our close into a reset that could
			 * destroy the CONNACK before the client reads it. */
			shutdown(c->cfd, SHUT_WR);
			c->state = S_DRAIN;
		}
		return 0;
	}
	if (c->state == S_DRAIN) {
		if (cev & (POLLERR | POLLNVAL))
			return -1;
		for (;;) {
			r = recv(c->cfd, junk, sizeof(junk), 0);
			if (r == 0)
				return -1;
			if (r < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
		}
	}
	if (c->state == S_CONNECTING && c->upi >= 0 && uev) {
		if (getsockopt(c->ufd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
			if (verbose)
				fprintf(stderr, "conn %lu: %s: %s\n", c->id,
				        ups[c->order[c->tried - 1]].name, strerror(err));
			try_next_upstream(c);
			return 0;
		}
		c->state = S_PIPE;
		uev = 0; /* nothing to read yet from the new socket's view */
	}
	if (c->cpi >= 0 && (cev & (POLLIN | POLLHUP | POLLERR)) && !c->c_eof) {
		if (client_read(c) < 0)
			return -1;
		if (c->state == S_REFUSE)
			return conn_step(c, 0, 0);
	}
	if (cev & POLLERR)
		return -1;
	if (c->state == S_PIPE) {
		if (c->upi >= 0 && (uev & (POLLIN | POLLHUP | POLLERR)) && !c->u_eof) {
			r = fill(c->ufd, &c->u2c);
			if (r == -1)
				return -1;
			if (r == 0)
				c->u_eof = 1;
			if (r > 0 && c->learn)
				learn_assigned(c, c->u2c.d + c->u2c.len - (size_t)r,
				               (size_t)r);
		}
		if (uev & POLLERR)
			return -1;
		if (flush(c->ufd, &c->c2u) < 0)
			return -1;
		/* Pass the client's half-close on once its bytes are out
		 * (a CONNECT cut by it is then the broker's to judge). */
		if (c->c_eof && c->c2u.len == 0 && !c->u_shut) {
			shutdown(c->ufd, SHUT_WR);
			c->u_shut = 1;
		}
	}
	if (flush(c->cfd, &c->u2c) < 0)
		return -1;
	if (c->u_eof && c->u2c.len == 0 && !c->c_shut) {
		shutdown(c->cfd, SHUT_WR);
		c->c_shut = 1;
	}
	if (c->c_eof && c->u_eof && c->c2u.len == 0 && c->u2c.len == 0)
		return -1;
	/* MQTT has no use for a half-open connection whose broker side is
	 * gone: once the broker closed and everything was delivered, close. */
	if (c->u_eof && c->u2c.len == 0)
		return -1;
	return 0;
}

/* Accept one connection; NULL when there is none (or on error). */
static struct conn *conn_accept(int lfd)
{
	struct conn *c;
	int fd, one = 1;

	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c || set_nonblock(fd) < 0 ||
	    !(c->c2u.d = malloc(bufsize)) || !(c->u2c.d = malloc(bufsize))) {
		if (c) {
			free(c->c2u.d);
			free(c);
		}
		close(fd);
		return NULL;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cfd = fd;
	c->ufd = -1;
	c->state = S_CONNECT;
	c->deadline = now_s() + hello_timeout;
	c->id = next_id++;
	mqttp_init(&c->p, &popt);
	return c;
}

/* Open the listening socket; -1 on error (printed). */
static int listen_on(const char *spec)
{
	struct sockaddr_storage sa;
	socklen_t len;
	char name[320];
	int fd, one = 1;

	if (resolve(spec, &sa, &len, 1) < 0) {
		fprintf(stderr, "mqtt-forward: cannot resolve %s\n", spec);
		return -1;
	}
	fd = socket(sa.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 1024) < 0 ||
	    set_nonblock(fd) < 0) {
		fprintf(stderr, "mqtt-forward: %s: %s\n", spec, strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	addr_str((struct sockaddr *)&sa, len, name, sizeof(name));
	fprintf(stderr, "mqtt-forward: listening on %s\n", name);
	return fd;
}

/* The usage text. */
static void usage(FILE *o)
{
	fputs("usage: mqtt-forward -l HOST:PORT -u HOST:PORT [-u HOST:PORT]...\n"
	      "                    [-b BYTES] [-m MAXCONN] [-t SECONDS] [-L NAME]... [-v]\n"
	      "  -l  listen address (port 0: any; the address is printed on stderr)\n"
	      "  -u  upstream broker (up to 64); chosen by rendezvous hashing of the\n"
	      "      client id (FNV-1a-64 + splitmix64), round robin for empty ids\n"
	      "  -b  buffer size per direction per connection (default 16384); the\n"
	      "      client id must lie in the first BYTES of the CONNECT\n"
	      "  -m  maximum simultaneous connections (default 1000)\n"
	      "  -t  seconds a client has to send its client id (default 10)\n"
	      "  -L  accept a libmqttparse relaxation (mqttp_lenient_by_name), or all\n"
	      "  -v  log each connection on stderr\n", o);
}

int main(int argc, char **argv)
{
	struct conn **conns;
	struct pollfd *pfd;
	const char *listen_spec = NULL;
	size_t maxconn = 1000, nconn = 0, i, np;
	unsigned flag;
	int opt, lfd, timeout;
	double t;
	char *end;

	mqttp_options_default(&popt);
	popt.checks = MQTTP_CHECK_FROM_CLIENT;
	while ((opt = getopt(argc, argv, "l:u:b:m:t:L:vh")) != -1) {
		switch (opt) {
		case 'l':
			listen_spec = optarg;
			break;
		case 'u':
			if (nups == MAX_UPSTREAMS ||
			    strlen(optarg) >= sizeof(ups[0].name) ||
			    resolve(optarg, &ups[nups].sa, &ups[nups].salen, 0) < 0) {
				fprintf(stderr, "mqtt-forward: bad upstream %s\n", optarg);
				return 64;
			}
			snprintf(ups[nups].name, sizeof(ups[nups].name), "%s", optarg);
			ups[nups].key = fnv1a64(FNV_OFFSET, optarg, strlen(optarg));
			nups++;
			break;
		case 'b':
			bufsize = (size_t)strtoul(optarg, &end, 10);
			if (*end || bufsize < 64 || bufsize > (1u << 24)) {
				fputs("mqtt-forward: -b wants 64 .. 16777216\n", stderr);
				return 64;
			}
			break;
		case 'm':
			maxconn = (size_t)strtoul(optarg, &end, 10);
			if (*end || maxconn < 1 || maxconn > 100000) {
				fputs("mqtt-forward: -m wants 1 .. 100000\n", stderr);
				return 64;
			}
			break;
		case 't':
			hello_timeout = strtod(optarg, &end);
			if (*end || hello_timeout <= 0) {
				fputs("mqtt-forward: -t wants seconds > 0\n", stderr);
				return 64;
			}
			break;
		case 'L':
			flag = strcmp(optarg, "all") == 0 ? MQTTP_LENIENT_ALL :
			       mqttp_lenient_by_name(optarg, strlen(optarg));
			if (!flag) {
				fprintf(stderr, "mqtt-forward: unknown relaxation %s\n", optarg);
				return 64;
			}
			popt.lenient |= flag;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 64;
		}
	}
	if (!listen_spec || nups == 0 || optind != argc) {
		usage(stderr);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(listen_spec);
	if (lfd < 0)
		return 1;
	conns = calloc(maxconn, sizeof(*conns));
	pfd = calloc(2 * maxconn + 1, sizeof(*pfd));
	if (!conns || !pfd)
		return 1;

	for (;;) {
		/* Ask each socket only for what its buffers can take. */
		np = 0;
		pfd[np].fd = lfd;
		pfd[np++].events = nconn < maxconn ? POLLIN : 0;
		for (i = 0; i < nconn; i++) {
			struct conn *c = conns[i];
			short ce = 0, ue = 0;

			switch (c->state) {
			case S_REFUSE:
				ce = POLLOUT;
				break;
			case S_DRAIN:
				ce = POLLIN;
				break;
			case S_CONNECTING:
				ue = POLLOUT;
				/* fall through */
			case S_CONNECT:
			case S_PIPE:
				if (!c->c_eof && c->c2u.len < bufsize)
					ce |= POLLIN;
				if (c->u2c.len > c->u2c.off)
					ce |= POLLOUT;
				if (c->state == S_PIPE) {
					if (!c->u_eof && c->u2c.len < bufsize)
						ue |= POLLIN;
					if (c->c2u.len > c->c2u.off)
						ue |= POLLOUT;
				}
				break;
			}
			c->cpi = (int)np;
			pfd[np].fd = c->cfd;
			pfd[np++].events = ce;
			c->upi = -1;
			if (c->ufd >= 0) {
				c->upi = (int)np;
				pfd[np].fd = c->ufd;
				pfd[np++].events = ue;
			}
		}
		timeout = nconn ? 250 : -1;
		if (poll(pfd, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("mqtt-forward: poll");
			return 1;
		}
		t = now_s();
		for (i = 0; i < nconn; ) {
			struct conn *c = conns[i];
			short cev = pfd[c->cpi].revents;
			short uev = c->upi >= 0 ? pfd[c->upi].revents : 0;
			int drop = conn_step(c, cev, uev) < 0;

			if (!drop && c->state != S_PIPE && t > c->deadline) {
				if (c->state == S_CONNECTING) {
					if (verbose)
						fprintf(stderr, "conn %lu: connect timeout\n", c->id);
					try_next_upstream(c);
				} else if (c->state == S_CONNECT) {
					if (verbose)
						fprintf(stderr, "conn %lu: no client id in time\n", c->id);
					drop = 1;
				} else {
					drop = 1;
				}
			}
			if (drop) {
				if (verbose)
					fprintf(stderr, "conn %lu: closed\n", c->id);
				conn_free(c);
				conns[i] = conns[--nconn];
				continue;
			}
			i++;
		}
		if (pfd[0].revents & POLLIN) {
			while (nconn < maxconn) {
				struct conn *c = conn_accept(lfd);

				if (!c)
					break;
				conns[nconn++] = c;
			}
		}
	}
}
