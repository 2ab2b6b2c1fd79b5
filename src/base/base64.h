/* Base64 (RFC 4648, standard alphabet, padded), for binary keys and values
 * in JSON. */
#ifndef CAIRN_BASE_BASE64_H
#define CAIRN_BASE_BASE64_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Appends the encoding of p[0..n). Returns 0 or ERR_NOMEM. */
int base64_encode(struct buf *out, const void *p, size_t n);
/* Appends the decoding of s[0..n). ERR_MALFORMED for a bad character, bad
 * padding or a length that is not a multiple of 4; ERR_NOMEM. */
int base64_decode(struct buf *out, const char *s, size_t n);

#endif
