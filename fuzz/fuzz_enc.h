/*
 * fuzz_enc.h - a tiny CONNECT encoder for the round-trip harness.
 */
#ifndef FUZZ_ENC_H
#define FUZZ_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "mqttparse.h"
#include "mqttcodec.h"

/* Encode a CONNECT from decoded fields. pkt is the packet they were decoded
 * from (field and property-block bytes are read from it by offset, the
 * properties re-encoded one by one from a mqttp_property_next walk);
 * header_flags is the low nibble of the first byte. The remaining length
 * is written minimally. Returns the bytes written, 0 if cap is too small
 * or a property block does not walk. */
size_t fz_encode_connect(uint8_t *out, size_t cap, const struct mqttp_connect *c,
                         const uint8_t *pkt, uint8_t header_flags);

#endif /* FUZZ_ENC_H */
