/* Varint encoding and the bounds-checked reader. */
#include "base/codec.h"

#include "base/err.h"

size_t codec_put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

size_t codec_uvarint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

int codec_get_uvarint(const uint8_t *p, size_t len, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < CODEC_UVARINT_LEN_MAX; i++) {
        if (i == len)
            return ERR_NEEDMORE;
        uint8_t b = p[i];
        if (i == CODEC_UVARINT_LEN_MAX - 1 && b > 1)
            return ERR_MALFORMED; /* would overflow 64 bits */
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (b < 0x80) {
            *v = x;
            return (int)i + 1;
        }
    }
    return ERR_MALFORMED;
}

static int codec_reader_need(struct codec_reader *r, size_t n)
{
    if (r->err)
        return 0;
    if (r->len - r->off < n) {
        r->err = ERR_NEEDMORE;
        return 0;
    }
    return 1;
}

uint8_t codec_read_u8(struct codec_reader *r)
{
    if (!codec_reader_need(r, 1))
        return 0;
    return r->p[r->off++];
}

uint16_t codec_read_u16(struct codec_reader *r)
{
    if (!codec_reader_need(r, 2))
        return 0;
    uint16_t v = codec_get_u16(r->p + r->off);
    r->off += 2;
    return v;
}

uint32_t codec_read_u32(struct codec_reader *r)
{
    if (!codec_reader_need(r, 4))
        return 0;
    uint32_t v = codec_get_u32(r->p + r->off);
    r->off += 4;
    return v;
}

uint64_t codec_read_u64(struct codec_reader *r)
{
    if (!codec_reader_need(r, 8))
        return 0;
    uint64_t v = codec_get_u64(r->p + r->off);
    r->off += 8;
    return v;
}

uint64_t codec_read_uvarint(struct codec_reader *r)
{
    if (r->err)
        return 0;
    uint64_t v = 0;
    int n = codec_get_uvarint(r->p + r->off, r->len - r->off, &v);
    if (n < 0) {
        r->err = n;
        return 0;
    }
    r->off += (size_t)n;
    return v;
}

const uint8_t *codec_read_bytes(struct codec_reader *r, size_t n)
{
    if (!codec_reader_need(r, n))
        return NULL;
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}
