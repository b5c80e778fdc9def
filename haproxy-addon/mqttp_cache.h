/*
 * mqttp_cache.h - the addon's per-thread parse cache (mqttp_addon.c), as the
 * other parts of the addon see it.
 */
#ifndef MQTTP_CACHE_H
#define MQTTP_CACHE_H

struct stream;

/* Forgets the parse state of stream <s> for direction <dir> (0: request):
 * the next fetch parses the channel again from its first byte. Called after
 * the bytes of the buffer changed in place: a CONNECT rewrite
 * (mqttp_rewrite.c), a header removed from the client's WebSocket head or
 * the broker's 101 dropped (mqttp_ws.c). */
void mqa_cache_forget(const struct stream *s, unsigned int dir);

#endif /* MQTTP_CACHE_H */
