/*
 * fuzz_fastpath.h - the functions of the library built without the
 * accelerator (MQTTP_FAST_PATH=0) that fuzz_fastpath calls. fuzz/fuzz.mk
 * renames every mqttp_ symbol of that build to nofast_mqttp_ (objcopy
 * --redefine-syms), so both builds link into one binary; the types are the
 * public header's.
 */
#ifndef FUZZ_FASTPATH_H
#define FUZZ_FASTPATH_H

#include "mqttparse.h"
#include "mqttcodec.h"

void nofast_mqttp_init(struct mqttp_parser *p, const struct mqttp_options *opt);
void nofast_mqttp_reset(struct mqttp_parser *p);
enum mqttp_status nofast_mqttp_feed(struct mqttp_parser *p, const void *data,
                                    size_t len, size_t *consumed,
                                    mqttp_field_cb cb, void *ctx);
void nofast_mqttp_connect_collect(void *ctx, const struct mqttp_field *f);
void nofast_mqttp_connack_collect(void *ctx, const struct mqttp_field *f);
enum mqttp_status nofast_mqttp_decode_connect(const void *buf, size_t len,
                                              const struct mqttp_options *opt,
                                              struct mqttp_connect *out,
                                              struct mqttp_result *res);
enum mqttp_status nofast_mqttp_decode_connack(const void *buf, size_t len,
                                              const struct mqttp_options *opt,
                                              struct mqttp_connack *out,
                                              struct mqttp_result *res);
void nofast_mqttp_publish_collect(void *ctx, const struct mqttp_field *f);
enum mqttp_status nofast_mqttp_decode_publish(const void *buf, size_t len,
                                              const struct mqttp_options *opt,
                                              struct mqttp_publish *out,
                                              struct mqttp_result *res);

#endif /* FUZZ_FASTPATH_H */
