/* Raft messages on the wire, and RAFT frames that batch them. Decoding
 * allocates nothing: entries go to a caller's array, their data stays in the
 * frame, and every count is checked against the bytes left before use. */
#include "net/net.h"

#include <inttypes.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"

/* The fewest bytes an entry can take: term, index, type, len of one byte each. */
#define NET_RAFT_ENTRY_BYTES_MIN 4u
/* The fewest bytes a batched message can take: its u32 length, type, flags,
 * the one-byte varints and n_entries. */
#define NET_RAFT_BATCHED_MSG_BYTES_MIN (4u + 2u + 9u + 1u)

static bool net_raft_type_known(unsigned type)
{
    return type >= RAFT_MSG_APPEND && type <= RAFT_MSG_READ_INDEX_RESP;
}

static bool net_raft_conf_valid(const struct raft_conf *c)
{
    if (c->n_voters > RAFT_VOTERS_MAX || c->n_learners > RAFT_MEMBERS_MAX ||
        c->n_voters + c->n_learners > RAFT_MEMBERS_MAX)
        return false;
    return true;
}

int net_raft_msg_encode(struct buf *b, const struct raft_msg *m)
{
    if (!net_raft_type_known(m->type) || m->n_entries > RAFT_MSG_ENTRIES_MAX)
        return ERR_INVAL;
    if (m->n_entries > 0 && m->entries == NULL)
        return ERR_INVAL;
    for (uint32_t i = 0; i < m->n_entries; i++)
        if (m->entries[i].type > RAFT_ENTRY_CONF || (m->entries[i].len && !m->entries[i].data))
            return ERR_INVAL;
    if (m->type == RAFT_MSG_SNAPSHOT && !net_raft_conf_valid(&m->snap.conf))
        return ERR_INVAL;

    size_t start = b->len;
    uint8_t flags =
        (m->reject ? NET_RAFT_MSG_REJECT : 0) | (m->transfer ? NET_RAFT_MSG_TRANSFER : 0);
    int rc = buf_append_u8(b, m->type);
    if (rc == 0)
        rc = buf_append_u8(b, flags);
#define NET_RAFT_ENCODE_VARINT(field)                                                              \
    if (rc == 0)                                                                                   \
        rc = buf_append_uvarint(b, m->field);
    NET_RAFT_MSG_VARINTS(NET_RAFT_ENCODE_VARINT)
#undef NET_RAFT_ENCODE_VARINT
    if (rc == 0)
        rc = buf_append_uvarint(b, m->n_entries);
    for (uint32_t i = 0; i < m->n_entries && rc == 0; i++) {
        const struct raft_entry *e = &m->entries[i];
        rc = buf_append_uvarint(b, e->term);
        if (rc == 0)
            rc = buf_append_uvarint(b, e->index);
        if (rc == 0)
            rc = buf_append_u8(b, e->type);
        if (rc == 0)
            rc = buf_append_uvarint(b, e->len);
        if (rc == 0)
            rc = buf_append(b, e->data, e->len);
    }
    if (m->type == RAFT_MSG_SNAPSHOT) {
        const struct raft_conf *c = &m->snap.conf;
        if (rc == 0)
            rc = buf_append_uvarint(b, m->snap.index);
        if (rc == 0)
            rc = buf_append_uvarint(b, m->snap.term);
        if (rc == 0)
            rc = buf_append_uvarint(b, c->n_voters);
        if (rc == 0)
            rc = buf_append_uvarint(b, c->n_learners);
        for (uint32_t i = 0; i < c->n_voters && rc == 0; i++)
            rc = buf_append_uvarint(b, c->voters[i]);
        for (uint32_t i = 0; i < c->n_learners && rc == 0; i++)
            rc = buf_append_uvarint(b, c->learners[i]);
    }
    if (rc != 0)
        b->len = start;
    return rc;
}

static int net_raft_short(const struct codec_reader *r, struct errbuf *eb, const char *where)
{
    if (r->err == ERR_NEEDMORE)
        return err_set(eb, ERR_MALFORMED, "raft message truncated in %s (%zu bytes)", where,
                       r->len);
    return err_set(eb, ERR_MALFORMED, "raft message has a bad varint in %s", where);
}

/* Reads n member ids into ids. Ids are node ids: never 0, never repeated
 * within the configuration (seen holds the ids read so far). */
static int net_raft_read_ids(struct codec_reader *r, uint64_t *ids, uint32_t n,
                             const uint64_t *seen, uint32_t n_seen, struct errbuf *eb)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id = codec_read_uvarint(r);
        if (r->err)
            return net_raft_short(r, eb, "snapshot configuration");
        if (id == RAFT_NONE)
            return err_set(eb, ERR_MALFORMED, "snapshot configuration lists node 0");
        for (uint32_t k = 0; k < n_seen; k++)
            if (seen[k] == id)
                return err_set(eb, ERR_MALFORMED,
                               "snapshot configuration lists node %" PRIu64 " twice", id);
        for (uint32_t k = 0; k < i; k++)
            if (ids[k] == id)
                return err_set(eb, ERR_MALFORMED,
                               "snapshot configuration lists node %" PRIu64 " twice", id);
        ids[i] = id;
    }
    return 0;
}

static int net_raft_read_snap(struct codec_reader *r, struct raft_snapshot_meta *s,
                              struct errbuf *eb)
{
    s->index = codec_read_uvarint(r);
    s->term = codec_read_uvarint(r);
    uint64_t nv = codec_read_uvarint(r);
    uint64_t nl = codec_read_uvarint(r);
    if (r->err)
        return net_raft_short(r, eb, "snapshot metadata");
    if (nv > RAFT_VOTERS_MAX || nl > RAFT_MEMBERS_MAX || nv + nl > RAFT_MEMBERS_MAX)
        return err_set(eb, ERR_MALFORMED,
                       "snapshot configuration has %" PRIu64 " voters and %" PRIu64
                       " learners (limits %d, %d in all)",
                       nv, nl, RAFT_VOTERS_MAX, RAFT_MEMBERS_MAX);
    if (nv + nl > r->len - r->off)
        return err_set(eb, ERR_MALFORMED, "snapshot configuration longer than the message");
    s->conf.n_voters = (uint32_t)nv;
    s->conf.n_learners = (uint32_t)nl;
    int rc = net_raft_read_ids(r, s->conf.voters, s->conf.n_voters, NULL, 0, eb);
    if (rc == 0)
        rc = net_raft_read_ids(r, s->conf.learners, s->conf.n_learners, s->conf.voters,
                               s->conf.n_voters, eb);
    return rc;
}

int net_raft_msg_decode(const uint8_t *p, size_t len, struct raft_msg *m,
                        struct raft_entry *entries, uint32_t entries_cap, struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    memset(m, 0, sizeof *m);
    uint8_t type = codec_read_u8(&r);
    uint8_t flags = codec_read_u8(&r);
    if (r.err)
        return net_raft_short(&r, eb, "header");
    if (!net_raft_type_known(type))
        return err_set(eb, ERR_MALFORMED, "unknown raft message type %u", type);
    if (flags & ~(NET_RAFT_MSG_REJECT | NET_RAFT_MSG_TRANSFER))
        return err_set(eb, ERR_MALFORMED, "unknown raft message flags 0x%02x", flags);
    m->type = type;
    m->reject = (flags & NET_RAFT_MSG_REJECT) != 0;
    m->transfer = (flags & NET_RAFT_MSG_TRANSFER) != 0;
#define NET_RAFT_DECODE_VARINT(field) m->field = codec_read_uvarint(&r);
    NET_RAFT_MSG_VARINTS(NET_RAFT_DECODE_VARINT)
#undef NET_RAFT_DECODE_VARINT
    uint64_t n = codec_read_uvarint(&r);
    if (r.err)
        return net_raft_short(&r, eb, "header");
    if (n > RAFT_MSG_ENTRIES_MAX || n > entries_cap)
        return err_set(eb, ERR_MALFORMED, "raft message has %" PRIu64 " entries (limit %u)", n,
                       entries_cap < RAFT_MSG_ENTRIES_MAX ? entries_cap : RAFT_MSG_ENTRIES_MAX);
    if (n > (r.len - r.off) / NET_RAFT_ENTRY_BYTES_MIN)
        return err_set(eb, ERR_MALFORMED,
                       "raft message claims %" PRIu64 " entries in %zu remaining bytes", n,
                       r.len - r.off);
    for (uint32_t i = 0; i < (uint32_t)n; i++) {
        struct raft_entry *e = &entries[i];
        e->term = codec_read_uvarint(&r);
        e->index = codec_read_uvarint(&r);
        e->type = codec_read_u8(&r);
        uint64_t elen = codec_read_uvarint(&r);
        if (r.err)
            return net_raft_short(&r, eb, "an entry");
        if (e->type > RAFT_ENTRY_CONF)
            return err_set(eb, ERR_MALFORMED, "entry %u has unknown type %u", i, e->type);
        if (elen > r.len - r.off)
            return err_set(eb, ERR_MALFORMED,
                           "entry %u claims %" PRIu64 " bytes, %zu remain in the message", i, elen,
                           r.len - r.off);
        const uint8_t *data = codec_read_bytes(&r, (size_t)elen);
        ASSERT(data != NULL);
        e->len = (uint32_t)elen;
        /* raft_entry.data is not const; receivers treat decoded data as read-only. */
        e->data = elen ? (uint8_t *)(uintptr_t)data : NULL;
    }
    m->n_entries = (uint32_t)n;
    m->entries = n ? entries : NULL;
    if (type == RAFT_MSG_SNAPSHOT) {
        int rc = net_raft_read_snap(&r, &m->snap, eb);
        if (rc != 0)
            return rc;
    }
    if (r.off != len)
        return err_set(eb, ERR_MALFORMED, "raft message has %zu trailing bytes", len - r.off);
    return 0;
}

/* ---- Batches -------------------------------------------------------------------- */

int net_raft_batch_encode(struct buf *b, uint16_t version, uint64_t group,
                          const struct raft_msg *msgs, uint32_t n, uint32_t payload_bytes_max,
                          uint32_t *n_frames)
{
    if (n == 0)
        return ERR_INVAL;
    ASSERT(payload_bytes_max <= NET_FRAME_BYTES_MAX);
    size_t orig = b->len;
    uint32_t i = 0, frames = 0;
    int rc = 0;
    while (i < n) {
        size_t start;
        rc = net_frame_begin(b, version, NET_FRAME_RAFT, &start);
        if (rc == 0)
            rc = buf_append_u64(b, group);
        size_t count_at = b->len;
        if (rc == 0)
            rc = buf_append_u32(b, 0);
        if (rc != 0)
            goto fail;
        uint32_t count = 0;
        while (i < n && count < NET_RAFT_BATCH_MSGS_MAX) {
            size_t mstart = b->len;
            rc = buf_append_u32(b, 0);
            if (rc == 0)
                rc = net_raft_msg_encode(b, &msgs[i]);
            if (rc != 0)
                goto fail;
            if (b->len - start - NET_FRAME_HEADER_BYTES > payload_bytes_max) {
                b->len = mstart;
                if (count == 0) {
                    rc = ERR_TOOBIG;
                    goto fail;
                }
                break; /* it opens the next frame */
            }
            codec_put_u32(b->data + mstart, (uint32_t)(b->len - mstart - 4));
            count++;
            i++;
        }
        codec_put_u32(b->data + count_at, count);
        rc = net_frame_finish(b, start, payload_bytes_max);
        ASSERT(rc == 0);
        frames++;
    }
    if (n_frames != NULL)
        *n_frames = frames;
    return 0;
fail:
    b->len = orig;
    return rc;
}

int net_raft_batch_open(struct net_raft_batch *it, const uint8_t *payload, size_t len,
                        struct errbuf *eb)
{
    memset(it, 0, sizeof *it);
    codec_reader_init(&it->r, payload, len);
    struct net_raft_batch *v = it;
    struct codec_reader r = it->r;
#define NET_FIELD_DECODE(ctype, field, bits) v->field = (ctype)codec_read_u##bits(&r);
    NET_RAFT_FIELDS(NET_FIELD_DECODE)
#undef NET_FIELD_DECODE
    it->r = r;
    if (r.err)
        return err_set(eb, ERR_MALFORMED, "raft batch header truncated (%zu bytes)", len);
    if (it->n_msgs == 0 || it->n_msgs > NET_RAFT_BATCH_MSGS_MAX)
        return err_set(eb, ERR_MALFORMED, "raft batch of %u messages (limit %u)", it->n_msgs,
                       NET_RAFT_BATCH_MSGS_MAX);
    if (it->n_msgs > (r.len - r.off) / NET_RAFT_BATCHED_MSG_BYTES_MIN)
        return err_set(eb, ERR_MALFORMED, "raft batch claims %u messages in %zu bytes", it->n_msgs,
                       r.len - r.off);
    return 0;
}

int net_raft_batch_next(struct net_raft_batch *it, struct raft_msg *m, struct raft_entry *entries,
                        uint32_t entries_cap, struct errbuf *eb)
{
    ASSERT(it->next <= it->n_msgs);
    if (it->next == it->n_msgs) {
        if (it->r.off != it->r.len)
            return err_set(eb, ERR_MALFORMED, "raft batch has %zu trailing bytes",
                           it->r.len - it->r.off);
        return 0;
    }
    uint32_t mlen = codec_read_u32(&it->r);
    const uint8_t *p = codec_read_bytes(&it->r, mlen);
    if (it->r.err)
        return err_set(eb, ERR_MALFORMED, "raft batch message %u truncated", it->next);
    int rc = net_raft_msg_decode(p, mlen, m, entries, entries_cap, eb);
    if (rc != 0)
        return rc;
    it->next++;
    return 1;
}
