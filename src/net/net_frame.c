/* Peer frames: the fixed header, the incremental stream decoder, the payload
 * codecs of every frame type but RAFT, and "host:port" parsing. */
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"
#include "base/crc32c.h"

_Static_assert(NET_FRAME_HEADER_BYTES == 18, "frame header layout changed");
_Static_assert(NET_FRAME_BYTES_MAX <= INT32_MAX, "frame sizes must fit in int arithmetic");
_Static_assert(NET_SNAPSHOT_CHUNK_BYTES_MAX < NET_FRAME_BYTES_MAX, "a chunk must fit in a frame");

const char *net_frame_type_name(int type)
{
    switch (type) {
#define NET_FRAME_TYPE_CASE(name, code, str)                                                       \
    case code:                                                                                     \
        return str;
        NET_FRAME_TYPES(NET_FRAME_TYPE_CASE)
#undef NET_FRAME_TYPE_CASE
    }
    return NULL;
}

/* ---- Header ---------------------------------------------------------------- */

int net_frame_begin(struct buf *b, uint16_t version, uint16_t type, size_t *start)
{
    ASSERT(net_frame_type_name(type) != NULL);
    int rc = buf_reserve(b, NET_FRAME_HEADER_BYTES);
    if (rc != 0)
        return rc;
    *start = b->len;
    uint8_t *h = b->data + b->len;
    memcpy(h + NET_FRAME_OFF_magic, NET_FRAME_MAGIC, 4);
    codec_put_u16(h + NET_FRAME_OFF_version, version);
    codec_put_u16(h + NET_FRAME_OFF_type, type);
    codec_put_u16(h + NET_FRAME_OFF_flags, 0);
    codec_put_u32(h + NET_FRAME_OFF_len, 0);
    codec_put_u32(h + NET_FRAME_OFF_crc, 0);
    b->len += NET_FRAME_HEADER_BYTES;
    return 0;
}

int net_frame_finish(struct buf *b, size_t start, uint32_t payload_bytes_max)
{
    ASSERT(start + NET_FRAME_HEADER_BYTES <= b->len);
    ASSERT(memcmp(b->data + start, NET_FRAME_MAGIC, 4) == 0);
    size_t plen = b->len - start - NET_FRAME_HEADER_BYTES;
    if (plen > payload_bytes_max || plen > NET_FRAME_BYTES_MAX) {
        b->len = start;
        return ERR_TOOBIG;
    }
    const uint8_t *payload = b->data + start + NET_FRAME_HEADER_BYTES;
    codec_put_u32(b->data + start + NET_FRAME_OFF_len, (uint32_t)plen);
    codec_put_u32(b->data + start + NET_FRAME_OFF_crc, crc32c(0, payload, plen));
    return 0;
}

int net_frame_encode(struct buf *b, uint16_t version, uint16_t type, const void *payload,
                     size_t len)
{
    if (len > NET_FRAME_BYTES_MAX)
        return ERR_TOOBIG;
    size_t start = b->len;
    int rc = net_frame_begin(b, version, type, &start);
    if (rc == 0)
        rc = buf_append(b, payload, len);
    if (rc != 0) {
        b->len = start;
        return rc;
    }
    return net_frame_finish(b, start, NET_FRAME_BYTES_MAX);
}

/* Checks every header field that p already holds, so that garbage is refused
 * after its first bytes instead of after a frame's worth of them. */
int net_frame_decode(const uint8_t *p, size_t len, const struct net_frame_limits *lim,
                     struct net_frame *f, size_t *consumed, struct errbuf *eb)
{
    ASSERT(lim->payload_bytes_max <= NET_FRAME_BYTES_MAX);
    if (len == 0)
        return ERR_NEEDMORE;
    size_t have = len < 4 ? len : 4;
    if (memcmp(p, NET_FRAME_MAGIC, have) != 0) {
        uint8_t m[4] = {0};
        memcpy(m, p, have);
        return err_set(eb, ERR_MALFORMED, "bad magic %02x%02x%02x%02x (not a cairn peer?)", m[0],
                       m[1], m[2], m[3]);
    }
    if (len >= NET_FRAME_OFF_version + 2) {
        uint16_t v = codec_get_u16(p + NET_FRAME_OFF_version);
        if (v < lim->version_min || v > lim->version_max)
            return err_set(eb, ERR_MALFORMED, "unsupported protocol version %u (expected %u-%u)", v,
                           lim->version_min, lim->version_max);
    }
    if (len >= NET_FRAME_OFF_type + 2) {
        uint16_t type = codec_get_u16(p + NET_FRAME_OFF_type);
        if (net_frame_type_name(type) == NULL)
            return err_set(eb, ERR_MALFORMED, "unknown frame type %u", type);
    }
    if (len >= NET_FRAME_OFF_flags + 2) {
        uint16_t flags = codec_get_u16(p + NET_FRAME_OFF_flags);
        if (flags & ~NET_FRAME_FLAGS_KNOWN)
            return err_set(eb, ERR_MALFORMED, "unknown frame flags 0x%04x", flags);
    }
    if (len >= NET_FRAME_OFF_len + 4) {
        uint32_t plen = codec_get_u32(p + NET_FRAME_OFF_len);
        if (plen > lim->payload_bytes_max)
            return err_set(eb, ERR_MALFORMED, "frame length %u over the limit of %u bytes", plen,
                           lim->payload_bytes_max);
    }
    if (len < NET_FRAME_HEADER_BYTES)
        return ERR_NEEDMORE;
    uint32_t plen = codec_get_u32(p + NET_FRAME_OFF_len);
    if (len - NET_FRAME_HEADER_BYTES < plen)
        return ERR_NEEDMORE;
    const uint8_t *payload = p + NET_FRAME_HEADER_BYTES;
    uint32_t want = codec_get_u32(p + NET_FRAME_OFF_crc);
    uint32_t got = crc32c(0, payload, plen);
    if (want != got)
        return err_set(eb, ERR_MALFORMED, "payload CRC mismatch (header %08x, payload %08x)", want,
                       got);
    f->version = codec_get_u16(p + NET_FRAME_OFF_version);
    f->type = codec_get_u16(p + NET_FRAME_OFF_type);
    f->flags = codec_get_u16(p + NET_FRAME_OFF_flags);
    f->len = plen;
    f->payload = payload;
    *consumed = NET_FRAME_HEADER_BYTES + (size_t)plen;
    return 0;
}

/* ---- Stream decoder ---------------------------------------------------------- */

void net_decoder_init(struct net_decoder *d, const struct net_frame_limits *lim)
{
    memset(d, 0, sizeof *d);
    net_decoder_set_limits(d, lim);
}

void net_decoder_free(struct net_decoder *d)
{
    free(d->data);
    d->data = NULL;
    d->cap = d->len = d->off = 0;
}

void net_decoder_set_limits(struct net_decoder *d, const struct net_frame_limits *lim)
{
    ASSERT(lim->payload_bytes_max <= NET_FRAME_BYTES_MAX);
    ASSERT(lim->version_min <= lim->version_max);
    d->lim = *lim;
}

int net_decoder_space(struct net_decoder *d, size_t want, uint8_t **p, size_t *n)
{
    ASSERT(want > 0 && want <= NET_FRAME_BYTES_MAX);
    if (d->off > 0) {
        /* Only the tail of a frame still arriving is left: each byte moves at most once. */
        memmove(d->data, d->data + d->off, d->len - d->off);
        d->len -= d->off;
        d->off = 0;
    }
    if (d->len == 0 && d->cap > 4 * want) {
        /* A big frame is done: give its memory back. */
        net_decoder_free(d);
    }
    if (d->cap - d->len < want) {
        size_t need = d->len + want;
        /* Doubling stops at one whole frame plus one read, the most that is ever kept. */
        size_t bound = NET_FRAME_HEADER_BYTES + d->lim.payload_bytes_max + want;
        size_t cap = d->cap ? d->cap * 2 : want;
        if (cap > bound)
            cap = bound;
        if (cap < need)
            cap = need;
        uint8_t *q = realloc(d->data, cap);
        if (q == NULL)
            return ERR_NOMEM;
        d->data = q;
        d->cap = cap;
    }
    *p = d->data + d->len;
    *n = d->cap - d->len;
    return 0;
}

void net_decoder_commit(struct net_decoder *d, size_t n)
{
    ASSERT(n <= d->cap - d->len);
    d->len += n;
}

int net_decoder_feed(struct net_decoder *d, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    uint8_t *dst;
    size_t room;
    int rc = net_decoder_space(d, n, &dst, &room);
    if (rc != 0)
        return rc;
    memcpy(dst, p, n);
    net_decoder_commit(d, n);
    return 0;
}

int net_decoder_next(struct net_decoder *d, struct net_frame *f, struct errbuf *eb)
{
    if (d->err)
        return err_set(eb, d->err, "stream already failed");
    ASSERT(d->off <= d->len);
    size_t used = 0;
    int rc = net_frame_decode(d->data + d->off, d->len - d->off, &d->lim, f, &used, eb);
    if (rc == 0) {
        d->off += used;
        return 0;
    }
    if (rc == ERR_MALFORMED)
        d->err = rc;
    return rc;
}

/* ---- Payloads ------------------------------------------------------------------ */

#define NET_FIELD_ENCODE(ctype, field, bits)                                                       \
    if (rc == 0)                                                                                   \
        rc = buf_append_u##bits(b, (uint##bits##_t)v->field);
#define NET_FIELD_DECODE(ctype, field, bits) v->field = (ctype)codec_read_u##bits(&r);

/* Ends a payload encoder: finishes the frame, or takes it back out of b. */
static int net_payload_end(struct buf *b, size_t start, int rc)
{
    if (rc == 0)
        rc = net_frame_finish(b, start, NET_FRAME_BYTES_MAX);
    if (rc != 0)
        b->len = start;
    return rc;
}

static int net_reader_fail(const struct codec_reader *r, struct errbuf *eb, const char *what)
{
    return err_set(eb, ERR_MALFORMED, "%s payload truncated (%zu bytes)", what, r->len);
}

/* The bytes of a length-prefixed printable string: no NULs or control bytes
 * may reach logs or C strings. */
static bool net_printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

int net_hello_encode(struct buf *b, uint16_t version, const struct net_hello *v)
{
    size_t alen = strnlen(v->addr, sizeof v->addr);
    if (alen > NET_ADDR_LEN_MAX)
        return ERR_INVAL;
    size_t start;
    int rc = net_frame_begin(b, version, NET_FRAME_HELLO, &start);
    if (rc != 0)
        return rc;
    rc = buf_append(b, v->cluster_id, NET_CLUSTER_ID_BYTES);
    NET_HELLO_FIELDS(NET_FIELD_ENCODE)
    if (rc == 0)
        rc = buf_append_u16(b, (uint16_t)alen);
    if (rc == 0)
        rc = buf_append(b, v->addr, alen);
    return net_payload_end(b, start, rc);
}

int net_hello_decode(const uint8_t *p, size_t len, struct net_hello *v, struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    memset(v, 0, sizeof *v);
    const uint8_t *cid = codec_read_bytes(&r, NET_CLUSTER_ID_BYTES);
    NET_HELLO_FIELDS(NET_FIELD_DECODE)
    uint16_t alen = codec_read_u16(&r);
    if (r.err)
        return net_reader_fail(&r, eb, "hello");
    memcpy(v->cluster_id, cid, NET_CLUSTER_ID_BYTES);
    if (alen > NET_ADDR_LEN_MAX)
        return err_set(eb, ERR_MALFORMED, "hello address is %u bytes (limit %d)", alen,
                       NET_ADDR_LEN_MAX);
    const uint8_t *addr = codec_read_bytes(&r, alen);
    if (r.err)
        return net_reader_fail(&r, eb, "hello");
    if (!net_printable(addr, alen))
        return err_set(eb, ERR_MALFORMED, "hello address has unprintable bytes");
    memcpy(v->addr, addr, alen);
    v->addr[alen] = '\0';
    if (r.off != len)
        return err_set(eb, ERR_MALFORMED, "hello has %zu trailing bytes", len - r.off);
    if (v->version_min > v->version_max)
        return err_set(eb, ERR_MALFORMED, "hello version range %u-%u is empty", v->version_min,
                       v->version_max);
    return 0;
}

int net_rpc_request_encode(struct buf *b, uint16_t version, const struct net_rpc_request *v)
{
    size_t start;
    int rc = net_frame_begin(b, version, NET_FRAME_RPC_REQUEST, &start);
    if (rc != 0)
        return rc;
    NET_RPC_REQUEST_FIELDS(NET_FIELD_ENCODE)
    if (rc == 0)
        rc = buf_append(b, v->payload, v->len);
    return net_payload_end(b, start, rc);
}

int net_rpc_request_decode(const uint8_t *p, size_t len, struct net_rpc_request *v,
                           struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    NET_RPC_REQUEST_FIELDS(NET_FIELD_DECODE)
    if (r.err)
        return net_reader_fail(&r, eb, "rpc request");
    if (len - r.off > NET_FRAME_BYTES_MAX)
        return err_set(eb, ERR_MALFORMED, "rpc request over the frame limit");
    v->len = (uint32_t)(len - r.off);
    v->payload = v->len ? p + r.off : NULL;
    return 0;
}

int net_rpc_response_encode(struct buf *b, uint16_t version, const struct net_rpc_response *v)
{
    size_t start;
    int rc = net_frame_begin(b, version, NET_FRAME_RPC_RESPONSE, &start);
    if (rc != 0)
        return rc;
    NET_RPC_RESPONSE_FIELDS(NET_FIELD_ENCODE)
    if (rc == 0)
        rc = buf_append(b, v->payload, v->len);
    return net_payload_end(b, start, rc);
}

int net_rpc_response_decode(const uint8_t *p, size_t len, struct net_rpc_response *v,
                            struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    NET_RPC_RESPONSE_FIELDS(NET_FIELD_DECODE)
    if (r.err)
        return net_reader_fail(&r, eb, "rpc response");
    if (len - r.off > NET_FRAME_BYTES_MAX)
        return err_set(eb, ERR_MALFORMED, "rpc response over the frame limit");
    v->len = (uint32_t)(len - r.off);
    v->payload = v->len ? p + r.off : NULL;
    return 0;
}

int net_snapshot_chunk_encode(struct buf *b, uint16_t version, const struct net_snapshot_chunk *v)
{
    if (v->len > NET_SNAPSHOT_CHUNK_BYTES_MAX)
        return ERR_TOOBIG;
    if (v->flags & ~NET_SNAPSHOT_CHUNK_LAST)
        return ERR_INVAL;
    size_t start;
    int rc = net_frame_begin(b, version, NET_FRAME_SNAPSHOT_CHUNK, &start);
    if (rc != 0)
        return rc;
    NET_SNAPSHOT_CHUNK_FIELDS(NET_FIELD_ENCODE)
    if (rc == 0)
        rc = buf_append(b, v->data, v->len);
    return net_payload_end(b, start, rc);
}

int net_snapshot_chunk_decode(const uint8_t *p, size_t len, struct net_snapshot_chunk *v,
                              struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    NET_SNAPSHOT_CHUNK_FIELDS(NET_FIELD_DECODE)
    if (r.err)
        return net_reader_fail(&r, eb, "snapshot chunk");
    if (v->flags & ~NET_SNAPSHOT_CHUNK_LAST)
        return err_set(eb, ERR_MALFORMED, "snapshot chunk has unknown flags 0x%02x", v->flags);
    if (len - r.off > NET_SNAPSHOT_CHUNK_BYTES_MAX)
        return err_set(eb, ERR_MALFORMED, "snapshot chunk of %zu bytes (limit %u)", len - r.off,
                       NET_SNAPSHOT_CHUNK_BYTES_MAX);
    v->len = (uint32_t)(len - r.off);
    v->data = v->len ? p + r.off : NULL;
    return 0;
}

int net_close_encode(struct buf *b, uint16_t version, const struct net_close *v)
{
    size_t rlen = strnlen(v->reason, NET_CLOSE_REASON_LEN_MAX);
    size_t start;
    int rc = net_frame_begin(b, version, NET_FRAME_CLOSE, &start);
    if (rc != 0)
        return rc;
    NET_CLOSE_FIELDS(NET_FIELD_ENCODE)
    if (rc == 0)
        rc = buf_append_u16(b, (uint16_t)rlen);
    if (rc == 0)
        rc = buf_append(b, v->reason, rlen);
    return net_payload_end(b, start, rc);
}

int net_close_decode(const uint8_t *p, size_t len, struct net_close *v, struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    memset(v, 0, sizeof *v);
    NET_CLOSE_FIELDS(NET_FIELD_DECODE)
    uint16_t rlen = codec_read_u16(&r);
    const uint8_t *reason = codec_read_bytes(&r, rlen);
    if (r.err)
        return net_reader_fail(&r, eb, "close");
    if (r.off != len)
        return err_set(eb, ERR_MALFORMED, "close has %zu trailing bytes", len - r.off);
    /* The reason only goes to a log: keep what fits and mask what could forge lines. */
    size_t keep = rlen < NET_CLOSE_REASON_LEN_MAX ? rlen : NET_CLOSE_REASON_LEN_MAX;
    for (size_t i = 0; i < keep; i++)
        v->reason[i] = net_printable(&reason[i], 1) ? (char)reason[i] : '?';
    v->reason[keep] = '\0';
    return 0;
}

/* ---- Addresses ---------------------------------------------------------------- */

int net_addr_parse(const char *s, char *host, size_t host_cap, uint16_t *port, struct errbuf *eb)
{
    size_t n = strnlen(s, NET_ADDR_LEN_MAX + 1);
    if (n > NET_ADDR_LEN_MAX)
        return err_set(eb, ERR_INVAL, "address longer than %d bytes", NET_ADDR_LEN_MAX);
    const char *colon;
    const char *h = s;
    size_t hlen;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return err_set(eb, ERR_INVAL, "address \"%s\": expected [ipv6]:port", s);
        h = s + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return err_set(eb, ERR_INVAL, "address \"%s\": expected host:port", s);
        hlen = (size_t)(colon - s);
        if (memchr(s, ':', hlen) != NULL)
            return err_set(eb, ERR_INVAL, "address \"%s\": write IPv6 as [addr]:port", s);
    }
    if (hlen == 0)
        return err_set(eb, ERR_INVAL, "address \"%s\" has no host", s);
    if (hlen >= host_cap)
        return err_set(eb, ERR_INVAL, "address \"%s\": host too long", s);
    const char *ps = colon + 1;
    size_t plen = strlen(ps);
    if (plen == 0 || plen > 5 || strspn(ps, "0123456789") != plen)
        return err_set(eb, ERR_INVAL, "address \"%s\": bad port", s);
    unsigned long pv = strtoul(ps, NULL, 10);
    if (pv > 65535)
        return err_set(eb, ERR_INVAL, "address \"%s\": port over 65535", s);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)pv;
    return 0;
}
