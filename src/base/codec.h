/* Byte order and varints for every on-disk and on-wire format. All fixed-width
 * integers are little-endian. Decoders tell "need more bytes" from "malformed". */
#ifndef CAIRN_BASE_CODEC_H
#define CAIRN_BASE_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CODEC_UVARINT_LEN_MAX 10

static inline void codec_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void codec_put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void codec_put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t codec_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t codec_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t codec_get_u64(const uint8_t *p)
{
    return (uint64_t)codec_get_u32(p) | (uint64_t)codec_get_u32(p + 4) << 32;
}

/* Writes v as an unsigned LEB128 varint into p (room for CODEC_UVARINT_LEN_MAX
 * bytes); returns the number of bytes written. */
size_t codec_put_uvarint(uint8_t *p, uint64_t v);
/* Reads a varint from p[0..len). Returns bytes consumed (> 0), ERR_NEEDMORE if
 * p ends inside the varint, ERR_MALFORMED if it is longer than 10 bytes or
 * overflows 64 bits. */
int codec_get_uvarint(const uint8_t *p, size_t len, uint64_t *v);
/* Bytes codec_put_uvarint would write for v. */
size_t codec_uvarint_len(uint64_t v);

/* A bounds-checked reader over a byte range: every get fails cleanly (and
 * sticks in the failed state) once the input is short. */
struct codec_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
    int err; /* 0, or the first error (ERR_NEEDMORE / ERR_MALFORMED) */
};

static inline void codec_reader_init(struct codec_reader *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->off = 0;
    r->err = 0;
}
uint8_t codec_read_u8(struct codec_reader *r);
uint16_t codec_read_u16(struct codec_reader *r);
uint32_t codec_read_u32(struct codec_reader *r);
uint64_t codec_read_u64(struct codec_reader *r);
uint64_t codec_read_uvarint(struct codec_reader *r);
/* Returns a pointer to n bytes inside the input (valid as long as the input),
 * or NULL with r->err set. */
const uint8_t *codec_read_bytes(struct codec_reader *r, size_t n);

#endif
