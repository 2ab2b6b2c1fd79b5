/* Encoding and checking of the WAL's segment headers and records. Decoders
 * never trust a length before checking it against what is there. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "wal/wal_int.h"

static uint32_t wal_crc_seed(uint64_t seq)
{
    uint8_t s[8];
    codec_put_u64(s, seq);
    return crc32c(0, s, sizeof s);
}

static uint32_t wal_seg_header_crc(const uint8_t *p)
{
    uint32_t crc = crc32c(0, p, 12);
    return crc32c(crc, p + 16, WAL_SEGMENT_HEADER_BYTES - 16);
}

void wal__seg_name(char out[WAL_SEGMENT_NAME_BYTES], uint64_t seq)
{
    int n = snprintf(out, WAL_SEGMENT_NAME_BYTES, WAL_SEGMENT_NAME_FMT, seq);
    ASSERT(n == WAL_SEGMENT_NAME_BYTES - 1);
}

void wal__seg_header_encode(uint8_t *out, uint64_t seq, uint64_t prev_end, uint64_t seg_bytes)
{
    memset(out, 0, WAL_SEGMENT_HEADER_BYTES);
    memcpy(out, WAL_SEGMENT_MAGIC, 8);
    codec_put_u32(out + 8, WAL_FORMAT_VERSION);
    codec_put_u64(out + 16, seq);
    codec_put_u64(out + 24, prev_end);
    codec_put_u64(out + 32, seg_bytes);
    codec_put_u32(out + 12, wal_seg_header_crc(out));
}

const char *wal__seg_header_decode(const uint8_t *p, uint64_t n, uint64_t *seq, uint64_t *prev_end)
{
    if (n < WAL_SEGMENT_HEADER_BYTES)
        return "file shorter than a segment header";
    if (memcmp(p, WAL_SEGMENT_MAGIC, 8) != 0)
        return "bad segment magic";
    if (codec_get_u32(p + 12) != wal_seg_header_crc(p))
        return "segment header checksum mismatch";
    if (codec_get_u32(p + 8) != WAL_FORMAT_VERSION)
        return "unsupported segment format version";
    *seq = codec_get_u64(p + 16);
    *prev_end = codec_get_u64(p + 24);
    if (*prev_end > WAL_SEGMENT_FILE_BYTES_MAX)
        return "segment header has an impossible previous end";
    return NULL;
}

uint64_t wal__rec_encode(uint8_t *out, uint64_t seq, const struct wal_rec *r)
{
    ASSERT(r->len <= WAL_RECORD_PAYLOAD_BYTES_MAX);
    ASSERT(r->type >= WAL_REC_ENTRY && r->type <= WAL_REC_DROP);
    codec_put_u32(out + 4, r->len);
    out[8] = r->type;
    out[9] = r->etype;
    ASSERT(r->flags == 0 || (r->type == WAL_REC_SNAPSHOT && r->flags == WAL_REC_FLAG_KEEP));
    codec_put_u16(out + 10, r->flags);
    codec_put_u32(out + 12, r->batch_off);
    codec_put_u64(out + 16, r->group);
    codec_put_u64(out + 24, r->term);
    codec_put_u64(out + 32, r->index);
    if (r->len > 0)
        memcpy(out + WAL_RECORD_HEADER_BYTES, r->payload, r->len);
    uint64_t total = WAL_RECORD_HEADER_BYTES + (uint64_t)r->len;
    codec_put_u32(out, crc32c(wal_crc_seed(seq), out + 4, total - 4));
    return total;
}

const char *wal__rec_decode(const uint8_t *p, uint64_t avail, uint64_t off, uint64_t seq,
                            struct wal_rec *r, bool *crc_ok)
{
    *crc_ok = false;
    if (avail < WAL_RECORD_HEADER_BYTES)
        return "truncated record header";
    uint32_t len = codec_get_u32(p + 4);
    if (len > WAL_RECORD_PAYLOAD_BYTES_MAX)
        return "record length over the limit";
    if (len > avail - WAL_RECORD_HEADER_BYTES)
        return "truncated record";
    uint32_t crc = crc32c(wal_crc_seed(seq), p + 4, WAL_RECORD_HEADER_BYTES - 4 + (uint64_t)len);
    if (crc != codec_get_u32(p))
        return "record checksum mismatch";
    /* The checksum matched: what follows is a writer's bug, not a torn write. */
    *crc_ok = true;
    uint8_t type = p[8];
    if (type < WAL_REC_ENTRY || type > WAL_REC_DROP)
        return "unknown record type";
    uint16_t flags = codec_get_u16(p + 10);
    if (flags != 0 && (type != WAL_REC_SNAPSHOT || flags != WAL_REC_FLAG_KEEP))
        return "record has unknown flags";
    uint32_t batch_off = codec_get_u32(p + 12);
    if (batch_off < WAL_SEGMENT_HEADER_BYTES || batch_off > off)
        return "record batch offset out of range";
    r->len = len;
    r->type = type;
    r->etype = p[9];
    r->flags = flags;
    r->batch_off = batch_off;
    r->group = codec_get_u64(p + 16);
    r->term = codec_get_u64(p + 24);
    r->index = codec_get_u64(p + 32);
    r->payload = p + WAL_RECORD_HEADER_BYTES;
    return NULL;
}

uint32_t wal__conf_encoded_len(const struct raft_conf *c)
{
    return 8u + 8u * (c->n_voters + c->n_learners);
}

const char *wal__conf_check(const struct raft_conf *c)
{
    if (c->n_voters > RAFT_VOTERS_MAX)
        return "too many voters";
    if (c->n_learners > RAFT_MEMBERS_MAX || c->n_voters + c->n_learners > RAFT_MEMBERS_MAX)
        return "too many members";
    return NULL;
}

void wal__conf_encode(uint8_t *out, const struct raft_conf *c)
{
    ASSERT(wal__conf_check(c) == NULL);
    codec_put_u32(out, c->n_voters);
    codec_put_u32(out + 4, c->n_learners);
    uint8_t *p = out + 8;
    for (uint32_t i = 0; i < c->n_voters; i++, p += 8)
        codec_put_u64(p, c->voters[i]);
    for (uint32_t i = 0; i < c->n_learners; i++, p += 8)
        codec_put_u64(p, c->learners[i]);
}

const char *wal__conf_decode(const uint8_t *p, uint32_t len, struct raft_conf *c)
{
    struct codec_reader rd;
    codec_reader_init(&rd, p, len);
    memset(c, 0, sizeof *c);
    c->n_voters = codec_read_u32(&rd);
    c->n_learners = codec_read_u32(&rd);
    if (rd.err)
        return "truncated configuration";
    const char *why = wal__conf_check(c);
    if (why != NULL)
        return why;
    if (len != wal__conf_encoded_len(c))
        return "configuration length mismatch";
    for (uint32_t i = 0; i < c->n_voters; i++)
        c->voters[i] = codec_read_u64(&rd);
    for (uint32_t i = 0; i < c->n_learners; i++)
        c->learners[i] = codec_read_u64(&rd);
    ASSERT(rd.err == 0 && rd.off == len);
    return NULL;
}
