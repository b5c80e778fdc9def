/*
 * mqttp_log.h - what the addon's log lines share (mqttp_rewrite.c,
 * mqttp_ws.c).
 */
#ifndef MQTTP_LOG_H
#define MQTTP_LOG_H

#include <haproxy/api.h>
#include <haproxy/sc_strm.h>
#include <haproxy/stream.h>
#include <haproxy/tools.h>

/* The client's address of stream <s> into addr[len] ("?" when unknown);
 * returns its port (0 when unknown). */
static inline int mqa_client_addr(struct stream *s, char *addr, int len)
{
	const struct sockaddr_storage *src = sc_src(s->scf);

	addr[0] = '?';
	addr[1] = 0;
	if (!src)
		return 0;
	addr_to_str(src, addr, len);
	return get_host_port(src);
}

#endif /* MQTTP_LOG_H */
