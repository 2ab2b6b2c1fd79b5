/* Unit tests for src/net codecs: frame header, stream decoder, frame payloads,
 * Raft messages and batches, address parsing. */
#include "test.h"

#include <stdbool.h>

#include "base/buf.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/rng.h"
#include "net/net.h"

static const struct net_frame_limits lim_default = {NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX,
                                                    NET_FRAME_BYTES_MAX};

static void fill_random(struct rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rng_next(r);
}

/* ---- Frame header ------------------------------------------------------------------ */

TEST(frame_header_layout_is_little_endian_and_crc_covers_payload)
{
    CHECK_EQ(NET_FRAME_HEADER_BYTES, 18);
    struct buf b = BUF_INIT;
    CHECK_EQ(net_frame_encode(&b, 1, NET_FRAME_RPC_REQUEST, "abc", 3), 0);
    CHECK_EQ(b.len, 21);
    CHECK(memcmp(b.data, "CRNP", 4) == 0);
    CHECK_EQ(b.data[NET_FRAME_OFF_version], 1);
    CHECK_EQ(b.data[NET_FRAME_OFF_version + 1], 0);
    CHECK_EQ(codec_get_u16(b.data + NET_FRAME_OFF_type), NET_FRAME_RPC_REQUEST);
    CHECK_EQ(codec_get_u16(b.data + NET_FRAME_OFF_flags), 0);
    CHECK_EQ(b.data[NET_FRAME_OFF_len], 3);
    CHECK_EQ(codec_get_u32(b.data + NET_FRAME_OFF_crc), crc32c(0, "abc", 3));
    buf_free(&b);
}

TEST(frame_round_trip_every_type)
{
    struct rng r;
    rng_seed(&r, 1);
    static const uint16_t types[] = {
#define TYPE_CODE(name, code, str) code,
        NET_FRAME_TYPES(TYPE_CODE)
#undef TYPE_CODE
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        CHECK(net_frame_type_name(types[i]) != NULL);
        size_t lens[] = {0, 1, 17, 4096};
        for (size_t k = 0; k < 4; k++) {
            uint8_t payload[4096];
            fill_random(&r, payload, lens[k]);
            struct buf b = BUF_INIT;
            CHECK_EQ(net_frame_encode(&b, 1, types[i], payload, lens[k]), 0);
            struct net_frame f;
            size_t used = 0;
            struct errbuf eb;
            CHECK_EQ(net_frame_decode(b.data, b.len, &lim_default, &f, &used, &eb), 0);
            CHECK_EQ(used, b.len);
            CHECK_EQ(f.type, types[i]);
            CHECK_EQ(f.version, 1);
            CHECK_EQ(f.len, lens[k]);
            CHECK(lens[k] == 0 || memcmp(f.payload, payload, lens[k]) == 0);
            /* every proper prefix needs more */
            for (size_t n = 0; n < b.len; n++)
                CHECK_EQ(net_frame_decode(b.data, n, &lim_default, &f, &used, &eb),
                         (uint64_t)ERR_NEEDMORE);
            buf_free(&b);
        }
    }
    CHECK(net_frame_type_name(0) == NULL);
    CHECK(net_frame_type_name(7) == NULL);
}

static int decode_err(const uint8_t *p, size_t n, const struct net_frame_limits *lim,
                      struct errbuf *eb)
{
    struct net_frame f;
    size_t used;
    memset(eb, 0, sizeof *eb);
    return net_frame_decode(p, n, lim, &f, &used, eb);
}

TEST(frame_decode_rejects_bad_headers_with_reasons)
{
    struct buf b = BUF_INIT;
    uint8_t payload[100];
    memset(payload, 7, sizeof payload);
    CHECK_EQ(net_frame_encode(&b, 1, NET_FRAME_RAFT, payload, sizeof payload), 0);
    uint8_t f[200];
    size_t n = b.len;
    struct errbuf eb;

    /* garbage fails at its first byte */
    memcpy(f, b.data, n);
    f[0] = 'G';
    CHECK_EQ(decode_err(f, 1, &lim_default, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "magic") != NULL);
    CHECK_EQ(decode_err((const uint8_t *)"GET / HTTP/1.1\r\n", 16, &lim_default, &eb),
             (uint64_t)ERR_MALFORMED);

    uint16_t bad_versions[] = {0, 2, 0xffff};
    for (int i = 0; i < 3; i++) {
        memcpy(f, b.data, n);
        codec_put_u16(f + NET_FRAME_OFF_version, bad_versions[i]);
        /* known as soon as the version field is in */
        CHECK_EQ(decode_err(f, NET_FRAME_OFF_version + 2, &lim_default, &eb),
                 (uint64_t)ERR_MALFORMED);
        CHECK(strstr(eb.msg, "version") != NULL);
        CHECK_EQ(decode_err(f, NET_FRAME_OFF_version + 1, &lim_default, &eb),
                 (uint64_t)ERR_NEEDMORE);
    }

    uint16_t bad_types[] = {0, 7, 0x8000};
    for (int i = 0; i < 3; i++) {
        memcpy(f, b.data, n);
        codec_put_u16(f + NET_FRAME_OFF_type, bad_types[i]);
        CHECK_EQ(decode_err(f, n, &lim_default, &eb), (uint64_t)ERR_MALFORMED);
        CHECK(strstr(eb.msg, "type") != NULL);
    }

    memcpy(f, b.data, n);
    codec_put_u16(f + NET_FRAME_OFF_flags, 0x0100);
    CHECK_EQ(decode_err(f, n, &lim_default, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "flags") != NULL);

    /* oversized: refused from the header alone, before any payload arrives */
    memcpy(f, b.data, n);
    codec_put_u32(f + NET_FRAME_OFF_len, NET_FRAME_BYTES_MAX + 1);
    CHECK_EQ(decode_err(f, NET_FRAME_OFF_len + 4, &lim_default, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "limit") != NULL);
    struct net_frame_limits small = {1, 1, 99};
    CHECK_EQ(decode_err(b.data, n, &small, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "limit") != NULL);
    small.payload_bytes_max = 100;
    CHECK_EQ(decode_err(b.data, n, &small, &eb), 0);

    /* a flipped bit anywhere in the payload or the CRC */
    for (size_t i = NET_FRAME_OFF_crc; i < n; i++) {
        memcpy(f, b.data, n);
        f[i] ^= 0x10;
        CHECK_EQ(decode_err(f, n, &lim_default, &eb), (uint64_t)ERR_MALFORMED);
        CHECK(strstr(eb.msg, "CRC") != NULL);
    }
    buf_free(&b);
}

/* ---- Stream decoder ------------------------------------------------------------------- */

struct seen_frame {
    uint16_t type;
    uint32_t len;
    uint32_t crc;
};

/* A stream with one frame of each type. */
static void build_stream(struct buf *b, struct seen_frame *want, size_t *n_want)
{
    size_t n = 0;
    struct net_hello h;
    memset(&h, 0, sizeof h);
    memset(h.cluster_id, 0xab, sizeof h.cluster_id);
    h.node_id = 42;
    h.version_min = h.version_max = 1;
    strcpy(h.addr, "10.1.2.3:7100");
    size_t before = b->len;
#define NOTE(t)                                                                                    \
    do {                                                                                           \
        want[n].type = (t);                                                                        \
        want[n].len = (uint32_t)(b->len - before - NET_FRAME_HEADER_BYTES);                        \
        want[n].crc = crc32c(0, b->data + before + NET_FRAME_HEADER_BYTES, want[n].len);           \
        n++;                                                                                       \
        before = b->len;                                                                           \
    } while (0)
    net_hello_encode(b, 1, &h);
    NOTE(NET_FRAME_HELLO);
    struct raft_entry e = {3, 10, RAFT_ENTRY_NORMAL, 5, (uint8_t *)"hello"};
    struct raft_msg m = {
        .type = RAFT_MSG_APPEND, .from = 1, .to = 2, .term = 3, .n_entries = 1, .entries = &e};
    net_raft_batch_encode(b, 1, 9, &m, 1, NET_FRAME_BYTES_MAX, NULL);
    NOTE(NET_FRAME_RAFT);
    struct net_rpc_request rq = {77, 5, (const uint8_t *)"payload", 7};
    net_rpc_request_encode(b, 1, &rq);
    NOTE(NET_FRAME_RPC_REQUEST);
    struct net_rpc_response rs = {77, -3, NULL, 0};
    net_rpc_response_encode(b, 1, &rs);
    NOTE(NET_FRAME_RPC_RESPONSE);
    struct net_snapshot_chunk ch = {
        1, 2, 3, 4, 5, 6, NET_SNAPSHOT_CHUNK_LAST, (const uint8_t *)"chunk", 5};
    net_snapshot_chunk_encode(b, 1, &ch);
    NOTE(NET_FRAME_SNAPSHOT_CHUNK);
    struct net_close cl = {ERR_PROTO, "bye"};
    net_close_encode(b, 1, &cl);
    NOTE(NET_FRAME_CLOSE);
#undef NOTE
    *n_want = n;
}

/* Drains every complete frame; returns how many, or -1 on an error. */
static int drain(struct net_decoder *d, struct seen_frame *got, size_t *n_got)
{
    for (;;) {
        struct net_frame f;
        struct errbuf eb;
        int rc = net_decoder_next(d, &f, &eb);
        if (rc == ERR_NEEDMORE)
            return 0;
        if (rc != 0)
            return -1;
        got[*n_got].type = f.type;
        got[*n_got].len = f.len;
        got[*n_got].crc = crc32c(0, f.payload, f.len);
        (*n_got)++;
    }
}

TEST(decoder_split_at_every_byte_boundary_gives_the_same_frames)
{
    struct buf b = BUF_INIT;
    struct seen_frame want[8], got[8];
    size_t n_want = 0;
    build_stream(&b, want, &n_want);
    CHECK_EQ(n_want, 6);
    for (size_t k = 0; k <= b.len; k++) {
        struct net_decoder d;
        net_decoder_init(&d, &lim_default);
        size_t n_got = 0;
        CHECK_EQ(net_decoder_feed(&d, b.data, k), 0);
        CHECK_EQ(drain(&d, got, &n_got), 0);
        CHECK_EQ(net_decoder_feed(&d, b.data + k, b.len - k), 0);
        CHECK_EQ(drain(&d, got, &n_got), 0);
        CHECK_EQ(n_got, n_want);
        for (size_t i = 0; i < n_want; i++) {
            CHECK_EQ(got[i].type, want[i].type);
            CHECK_EQ(got[i].len, want[i].len);
            CHECK_EQ(got[i].crc, want[i].crc);
        }
        net_decoder_free(&d);
    }
    /* and one byte at a time, through the zero-copy space/commit path */
    struct net_decoder d;
    net_decoder_init(&d, &lim_default);
    size_t n_got = 0;
    for (size_t i = 0; i < b.len; i++) {
        uint8_t *p;
        size_t room;
        CHECK_EQ(net_decoder_space(&d, 1, &p, &room), 0);
        CHECK(room >= 1);
        *p = b.data[i];
        net_decoder_commit(&d, 1);
        CHECK_EQ(drain(&d, got, &n_got), 0);
    }
    CHECK_EQ(n_got, n_want);
    for (size_t i = 0; i < n_want; i++)
        CHECK_EQ(got[i].crc, want[i].crc);
    net_decoder_free(&d);
    buf_free(&b);
}

TEST(decoder_errors_are_sticky_and_limits_apply_to_later_frames)
{
    struct net_decoder d;
    struct net_frame_limits hs = {1, 1, NET_HANDSHAKE_FRAME_BYTES_MAX};
    net_decoder_init(&d, &hs);
    struct buf b = BUF_INIT;
    uint8_t big[2000] = {0};
    CHECK_EQ(net_frame_encode(&b, 1, NET_FRAME_HELLO, big, 10), 0);
    CHECK_EQ(net_frame_encode(&b, 1, NET_FRAME_RAFT, big, sizeof big), 0);
    CHECK_EQ(net_decoder_feed(&d, b.data, b.len), 0);
    struct net_frame f;
    struct errbuf eb;
    CHECK_EQ(net_decoder_next(&d, &f, &eb), 0);
    CHECK_EQ(f.type, NET_FRAME_HELLO);
    /* raising the limit after the first frame admits the big second one */
    net_decoder_set_limits(&d, &lim_default);
    CHECK_EQ(net_decoder_next(&d, &f, &eb), 0);
    CHECK_EQ(f.len, sizeof big);
    net_decoder_free(&d);

    net_decoder_init(&d, &hs);
    CHECK_EQ(net_decoder_feed(&d, b.data, b.len), 0);
    CHECK_EQ(net_decoder_next(&d, &f, &eb), 0);
    CHECK_EQ(net_decoder_next(&d, &f, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "limit") != NULL);
    CHECK_EQ(net_decoder_feed(&d, b.data, b.len), 0);
    CHECK_EQ(net_decoder_next(&d, &f, &eb), (uint64_t)ERR_MALFORMED);
    net_decoder_free(&d);
    buf_free(&b);
}

/* ---- Frame payloads --------------------------------------------------------------------- */

/* Encodes with enc, checks the frame, and returns its payload in *p, *n. */
static bool frame_payload(struct buf *b, uint16_t type, const uint8_t **p, size_t *n)
{
    struct net_frame f;
    size_t used;
    struct errbuf eb;
    if (net_frame_decode(b->data, b->len, &lim_default, &f, &used, &eb) != 0)
        return false;
    if (f.type != type || used != b->len)
        return false;
    *p = f.payload;
    *n = f.len;
    return true;
}

TEST(hello_round_trip_and_every_truncation_is_malformed)
{
    struct net_hello h, out;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < NET_CLUSTER_ID_BYTES; i++)
        h.cluster_id[i] = (uint8_t)(i * 7 + 1);
    h.node_id = 0x0102030405060708ull;
    h.version_min = 1;
    h.version_max = 3;
    strcpy(h.addr, "[::1]:7100");
    struct buf b = BUF_INIT;
    CHECK_EQ(net_hello_encode(&b, 1, &h), 0);
    const uint8_t *p;
    size_t n;
    CHECK(frame_payload(&b, NET_FRAME_HELLO, &p, &n));
    struct errbuf eb;
    CHECK_EQ(net_hello_decode(p, n, &out, &eb), 0);
    CHECK(memcmp(out.cluster_id, h.cluster_id, NET_CLUSTER_ID_BYTES) == 0);
    CHECK_EQ(out.node_id, h.node_id);
    CHECK_EQ(out.version_min, 1);
    CHECK_EQ(out.version_max, 3);
    CHECK_STR(out.addr, "[::1]:7100");
    for (size_t k = 0; k < n; k++)
        CHECK_EQ(net_hello_decode(p, k, &out, &eb), (uint64_t)ERR_MALFORMED);

    uint8_t q[512];
    memcpy(q, p, n);
    q[n] = 0;
    CHECK_EQ(net_hello_decode(q, n + 1, &out, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "trailing") != NULL);
    size_t alen_off = NET_CLUSTER_ID_BYTES + 8 + 2 + 2;
    memcpy(q, p, n);
    q[alen_off + 2] = '\n';
    CHECK_EQ(net_hello_decode(q, n, &out, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "unprintable") != NULL);
    memcpy(q, p, n);
    codec_put_u16(q + alen_off, 300);
    CHECK_EQ(net_hello_decode(q, n, &out, &eb), (uint64_t)ERR_MALFORMED);
    memcpy(q, p, n);
    codec_put_u16(q + NET_CLUSTER_ID_BYTES + 8, 4); /* min 4 > max 3 */
    CHECK_EQ(net_hello_decode(q, n, &out, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "empty") != NULL);
    buf_free(&b);

    /* an address too long to encode is refused */
    memset(h.addr, 'a', sizeof h.addr);
    CHECK_EQ(net_hello_encode(&b, 1, &h), (uint64_t)ERR_INVAL);
    CHECK_EQ(b.len, 0);
    buf_free(&b);
}

TEST(rpc_request_response_round_trip)
{
    struct buf b = BUF_INIT;
    struct net_rpc_request rq = {0xfedcba9876543210ull, 0xbeef, (const uint8_t *)"xyz", 3}, rq2;
    CHECK_EQ(net_rpc_request_encode(&b, 1, &rq), 0);
    const uint8_t *p;
    size_t n;
    CHECK(frame_payload(&b, NET_FRAME_RPC_REQUEST, &p, &n));
    struct errbuf eb;
    CHECK_EQ(net_rpc_request_decode(p, n, &rq2, &eb), 0);
    CHECK_EQ(rq2.request_id, rq.request_id);
    CHECK_EQ(rq2.method, 0xbeef);
    CHECK_EQ(rq2.len, 3);
    CHECK(memcmp(rq2.payload, "xyz", 3) == 0);
    for (size_t k = 0; k < 10; k++)
        CHECK_EQ(net_rpc_request_decode(p, k, &rq2, &eb), (uint64_t)ERR_MALFORMED);
    buf_reset(&b);

    int statuses[] = {0, ERR_NOTLEADER, -2147483647 - 1, 12345};
    for (int i = 0; i < 4; i++) {
        struct net_rpc_response rs = {i + 1ull, statuses[i], NULL, 0}, rs2;
        buf_reset(&b);
        CHECK_EQ(net_rpc_response_encode(&b, 1, &rs), 0);
        CHECK(frame_payload(&b, NET_FRAME_RPC_RESPONSE, &p, &n));
        CHECK_EQ(n, 12);
        CHECK_EQ(net_rpc_response_decode(p, n, &rs2, &eb), 0);
        CHECK_EQ(rs2.request_id, i + 1ull);
        CHECK(rs2.status == statuses[i]);
        CHECK_EQ(rs2.len, 0);
        CHECK(rs2.payload == NULL);
        CHECK_EQ(net_rpc_response_decode(p, 11, &rs2, &eb), (uint64_t)ERR_MALFORMED);
    }
    buf_free(&b);
}

TEST(snapshot_chunk_and_close_round_trip)
{
    struct buf b = BUF_INIT;
    uint8_t data[1000];
    struct rng r;
    rng_seed(&r, 5);
    fill_random(&r, data, sizeof data);
    struct net_snapshot_chunk
        ch = {9, 4, 1000, 7, 123456789, 12, NET_SNAPSHOT_CHUNK_LAST, data, sizeof data},
        ch2;
    CHECK_EQ(net_snapshot_chunk_encode(&b, 1, &ch), 0);
    const uint8_t *p;
    size_t n;
    CHECK(frame_payload(&b, NET_FRAME_SNAPSHOT_CHUNK, &p, &n));
    struct errbuf eb;
    CHECK_EQ(net_snapshot_chunk_decode(p, n, &ch2, &eb), 0);
    CHECK_EQ(ch2.request_id, 9);
    CHECK_EQ(ch2.group, 4);
    CHECK_EQ(ch2.index, 1000);
    CHECK_EQ(ch2.term, 7);
    CHECK_EQ(ch2.offset, 123456789);
    CHECK_EQ(ch2.seq, 12);
    CHECK_EQ(ch2.flags, NET_SNAPSHOT_CHUNK_LAST);
    CHECK_EQ(ch2.len, sizeof data);
    CHECK(memcmp(ch2.data, data, sizeof data) == 0);
    uint8_t q[2000];
    memcpy(q, p, n);
    q[8 * 5 + 4] = 0x02; /* flags */
    CHECK_EQ(net_snapshot_chunk_decode(q, n, &ch2, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "flags") != NULL);
    CHECK_EQ(net_snapshot_chunk_decode(p, 8 * 5 + 4, &ch2, &eb), (uint64_t)ERR_MALFORMED);
    ch.len = NET_SNAPSHOT_CHUNK_BYTES_MAX + 1;
    buf_reset(&b);
    CHECK_EQ(net_snapshot_chunk_encode(&b, 1, &ch), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(b.len, 0);

    struct net_close cl = {ERR_PROTO, ""}, cl2;
    memset(cl.reason, 'r', NET_CLOSE_REASON_LEN_MAX);
    cl.reason[3] = '\x01';
    CHECK_EQ(net_close_encode(&b, 1, &cl), 0);
    CHECK(frame_payload(&b, NET_FRAME_CLOSE, &p, &n));
    CHECK_EQ(net_close_decode(p, n, &cl2, &eb), 0);
    CHECK(cl2.status == ERR_PROTO);
    CHECK_EQ(strlen(cl2.reason), NET_CLOSE_REASON_LEN_MAX);
    CHECK_EQ(cl2.reason[3], '?');
    CHECK_EQ(cl2.reason[4], 'r');
    CHECK_EQ(net_close_decode(p, n - 1, &cl2, &eb), (uint64_t)ERR_MALFORMED);
    buf_free(&b);
}

/* ---- Raft messages -------------------------------------------------------------------------- */

static bool entries_equal(const struct raft_msg *a, const struct raft_msg *b)
{
    if (a->n_entries != b->n_entries)
        return false;
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const struct raft_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->term != y->term || x->index != y->index || x->type != y->type || x->len != y->len)
            return false;
        if (x->len && memcmp(x->data, y->data, x->len) != 0)
            return false;
    }
    return true;
}

static bool msg_equal(const struct raft_msg *a, const struct raft_msg *b)
{
    if (a->type != b->type || a->reject != b->reject || a->transfer != b->transfer ||
        a->from != b->from || a->to != b->to || a->term != b->term || a->log_term != b->log_term ||
        a->index != b->index || a->commit != b->commit || a->ctx != b->ctx ||
        a->reject_hint != b->reject_hint || a->reject_hint_term != b->reject_hint_term)
        return false;
    if (!entries_equal(a, b))
        return false;
    if (a->type == RAFT_MSG_SNAPSHOT) {
        const struct raft_snapshot_meta *x = &a->snap, *y = &b->snap;
        if (x->index != y->index || x->term != y->term || x->conf.n_voters != y->conf.n_voters ||
            x->conf.n_learners != y->conf.n_learners)
            return false;
        for (uint32_t i = 0; i < x->conf.n_voters; i++)
            if (x->conf.voters[i] != y->conf.voters[i])
                return false;
        for (uint32_t i = 0; i < x->conf.n_learners; i++)
            if (x->conf.learners[i] != y->conf.learners[i])
                return false;
    }
    return true;
}

/* Random values of every width, so varints of every length are exercised. */
static uint64_t rand_u64(struct rng *r)
{
    return rng_next(r) >> rng_below(r, 64);
}

static uint8_t entry_data[RAFT_MSG_ENTRIES_MAX][64];

static void random_msg(struct rng *r, uint8_t type, struct raft_msg *m, struct raft_entry *ents)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    m->reject = rng_chance(r, 1, 2);
    m->transfer = rng_chance(r, 1, 2);
    m->from = rand_u64(r);
    m->to = rand_u64(r);
    m->term = rand_u64(r);
    m->log_term = rand_u64(r);
    m->index = rand_u64(r);
    m->commit = rand_u64(r);
    m->ctx = rand_u64(r);
    m->reject_hint = rand_u64(r);
    m->reject_hint_term = rand_u64(r);
    if (type == RAFT_MSG_APPEND) {
        m->n_entries = (uint32_t)rng_below(r, 20);
        m->entries = ents;
        for (uint32_t i = 0; i < m->n_entries; i++) {
            ents[i].term = rand_u64(r);
            ents[i].index = rand_u64(r);
            ents[i].type = (uint8_t)rng_below(r, 3);
            ents[i].len = (uint32_t)rng_below(r, 65);
            fill_random(r, entry_data[i], ents[i].len);
            ents[i].data = ents[i].len ? entry_data[i] : NULL;
        }
    }
    if (type == RAFT_MSG_SNAPSHOT) {
        m->snap.index = rand_u64(r);
        m->snap.term = rand_u64(r);
        m->snap.conf.n_voters = (uint32_t)rng_below(r, RAFT_VOTERS_MAX + 1);
        m->snap.conf.n_learners =
            (uint32_t)rng_below(r, RAFT_MEMBERS_MAX - m->snap.conf.n_voters + 1);
        uint64_t id = 1 + rng_below(r, 1000);
        for (uint32_t i = 0; i < m->snap.conf.n_voters; i++)
            m->snap.conf.voters[i] = id++;
        for (uint32_t i = 0; i < m->snap.conf.n_learners; i++)
            m->snap.conf.learners[i] = id += 1 + rng_below(r, 1ull << 40);
    }
}

TEST(raft_msg_round_trip_every_type)
{
    struct rng r;
    rng_seed(&r, 99);
    static struct raft_entry ents[RAFT_MSG_ENTRIES_MAX], out_ents[RAFT_MSG_ENTRIES_MAX];
    for (int round = 0; round < 50; round++) {
        for (uint8_t type = RAFT_MSG_APPEND; type <= RAFT_MSG_READ_INDEX_RESP; type++) {
            struct raft_msg m, out;
            random_msg(&r, type, &m, ents);
            struct buf b = BUF_INIT;
            CHECK_EQ(net_raft_msg_encode(&b, &m), 0);
            struct errbuf eb;
            CHECK_EQ(net_raft_msg_decode(b.data, b.len, &out, out_ents, RAFT_MSG_ENTRIES_MAX, &eb),
                     0);
            CHECK(msg_equal(&m, &out));
            if (out.n_entries > 0) {
                /* zero copy: data points into the encoded bytes */
                for (uint32_t i = 0; i < out.n_entries; i++)
                    CHECK(out.entries[i].len == 0 ||
                          (out.entries[i].data >= b.data && out.entries[i].data < b.data + b.len));
            }
            /* any cut is malformed, and so is a trailing byte */
            for (size_t k = 0; k < b.len; k++)
                CHECK_EQ(net_raft_msg_decode(b.data, k, &out, out_ents, RAFT_MSG_ENTRIES_MAX, &eb),
                         (uint64_t)ERR_MALFORMED);
            buf_append_u8(&b, 0);
            CHECK_EQ(net_raft_msg_decode(b.data, b.len, &out, out_ents, RAFT_MSG_ENTRIES_MAX, &eb),
                     (uint64_t)ERR_MALFORMED);
            CHECK(strstr(eb.msg, "trailing") != NULL);
            buf_free(&b);
        }
    }
}

TEST(raft_msg_max_entries_and_full_conf_round_trip)
{
    static struct raft_entry ents[RAFT_MSG_ENTRIES_MAX], out_ents[RAFT_MSG_ENTRIES_MAX];
    struct raft_msg m = {.type = RAFT_MSG_APPEND, .from = 1, .to = 2};
    m.n_entries = RAFT_MSG_ENTRIES_MAX;
    m.entries = ents;
    for (uint32_t i = 0; i < RAFT_MSG_ENTRIES_MAX; i++)
        ents[i] = (struct raft_entry){5, 100 + i, RAFT_ENTRY_NOOP, 0, NULL};
    struct buf b = BUF_INIT;
    struct errbuf eb;
    struct raft_msg out;
    CHECK_EQ(net_raft_msg_encode(&b, &m), 0);
    CHECK_EQ(net_raft_msg_decode(b.data, b.len, &out, out_ents, RAFT_MSG_ENTRIES_MAX, &eb), 0);
    CHECK(msg_equal(&m, &out));
    /* a caller with less room gets a clean error */
    CHECK_EQ(net_raft_msg_decode(b.data, b.len, &out, out_ents, 10, &eb), (uint64_t)ERR_MALFORMED);
    m.n_entries = RAFT_MSG_ENTRIES_MAX + 1;
    buf_reset(&b);
    CHECK_EQ(net_raft_msg_encode(&b, &m), (uint64_t)ERR_INVAL);
    CHECK_EQ(b.len, 0);

    struct raft_msg s = {.type = RAFT_MSG_SNAPSHOT, .from = 3, .to = 4};
    s.snap.index = 1ull << 50;
    s.snap.term = 77;
    s.snap.conf.n_voters = RAFT_VOTERS_MAX;
    s.snap.conf.n_learners = RAFT_MEMBERS_MAX - RAFT_VOTERS_MAX;
    for (uint32_t i = 0; i < RAFT_VOTERS_MAX; i++)
        s.snap.conf.voters[i] = 1000 + i;
    for (uint32_t i = 0; i < s.snap.conf.n_learners; i++)
        s.snap.conf.learners[i] = UINT64_MAX - i;
    CHECK_EQ(net_raft_msg_encode(&b, &s), 0);
    CHECK_EQ(net_raft_msg_decode(b.data, b.len, &out, out_ents, RAFT_MSG_ENTRIES_MAX, &eb), 0);
    CHECK(msg_equal(&s, &out));
    s.snap.conf.n_learners++;
    buf_reset(&b);
    CHECK_EQ(net_raft_msg_encode(&b, &s), (uint64_t)ERR_INVAL);
    s.type = 13;
    CHECK_EQ(net_raft_msg_encode(&b, &s), (uint64_t)ERR_INVAL);
    CHECK_EQ(b.len, 0);
    buf_free(&b);
}

/* A hand-made message: header fields as given, then the rest verbatim. */
static void craft(struct buf *b, uint8_t type, uint8_t flags, uint64_t n_entries)
{
    buf_reset(b);
    buf_append_u8(b, type);
    buf_append_u8(b, flags);
    for (int i = 0; i < 9; i++)
        buf_append_uvarint(b, (uint64_t)i + 1);
    buf_append_uvarint(b, n_entries);
}

static int decode_crafted(struct buf *b, struct errbuf *eb)
{
    static struct raft_entry ents[RAFT_MSG_ENTRIES_MAX];
    struct raft_msg out;
    memset(eb, 0, sizeof *eb);
    return net_raft_msg_decode(b->data, b->len, &out, ents, RAFT_MSG_ENTRIES_MAX, eb);
}

TEST(raft_msg_decode_checks_counts_and_lengths_before_use)
{
    struct buf b = BUF_INIT;
    struct errbuf eb;

    craft(&b, RAFT_MSG_HEARTBEAT, 0, 0);
    CHECK_EQ(decode_crafted(&b, &eb), 0);
    craft(&b, 0, 0, 0);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "type") != NULL);
    craft(&b, RAFT_MSG_READ_INDEX_RESP + 1, 0, 0);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    craft(&b, RAFT_MSG_HEARTBEAT, 0x04, 0);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "flags") != NULL);

    /* more entries than the limit, or than the bytes could hold */
    craft(&b, RAFT_MSG_APPEND, 0, RAFT_MSG_ENTRIES_MAX + 1);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "limit") != NULL);
    craft(&b, RAFT_MSG_APPEND, 0, UINT64_MAX);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    craft(&b, RAFT_MSG_APPEND, 0, 3);
    buf_append(&b, "\x01\x01\x00\x00\x01\x02\x00\x00", 8); /* room for two entries, not three */
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "remaining") != NULL);

    /* entry data longer than what is left */
    craft(&b, RAFT_MSG_APPEND, 0, 1);
    buf_append(&b, "\x01\x01\x00", 3);
    buf_append_uvarint(&b, 1ull << 40);
    buf_append(&b, "abcd", 4);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "claims") != NULL);
    craft(&b, RAFT_MSG_APPEND, 0, 1);
    buf_append(&b, "\x01\x01\x03\x00", 4); /* entry type 3 */
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);

    /* an overlong varint */
    craft(&b, RAFT_MSG_HEARTBEAT, 0, 0);
    b.len -= 1;
    buf_append(&b, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "varint") != NULL);

    /* snapshot configurations over the maxima, with node 0, with a repeat */
    uint64_t shapes[][2] = {{RAFT_VOTERS_MAX + 1, 0},
                            {0, RAFT_MEMBERS_MAX + 1},
                            {RAFT_VOTERS_MAX, RAFT_MEMBERS_MAX - RAFT_VOTERS_MAX + 1},
                            {UINT64_MAX, 1}};
    for (int i = 0; i < 4; i++) {
        craft(&b, RAFT_MSG_SNAPSHOT, 0, 0);
        buf_append_uvarint(&b, 10);
        buf_append_uvarint(&b, 2);
        buf_append_uvarint(&b, shapes[i][0]);
        buf_append_uvarint(&b, shapes[i][1]);
        for (int k = 0; k < 80; k++)
            buf_append_uvarint(&b, (uint64_t)k + 1);
        CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
        CHECK(strstr(eb.msg, "voters") != NULL);
    }
    craft(&b, RAFT_MSG_SNAPSHOT, 0, 0);
    buf_append(&b, "\x0a\x02\x02\x00\x05\x00", 6);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "node 0") != NULL);
    craft(&b, RAFT_MSG_SNAPSHOT, 0, 0);
    buf_append(&b, "\x0a\x02\x02\x01\x05\x06\x05", 7);
    CHECK_EQ(decode_crafted(&b, &eb), (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "twice") != NULL);
    craft(&b, RAFT_MSG_SNAPSHOT, 0, 0);
    buf_append(&b, "\x0a\x02\x02\x01\x05\x06\x07", 7);
    CHECK_EQ(decode_crafted(&b, &eb), 0);
    buf_free(&b);
}

/* ---- Raft batches ------------------------------------------------------------------------------
 */

TEST(raft_batch_round_trip_and_split_across_frames)
{
    struct rng r;
    rng_seed(&r, 3);
    static struct raft_entry ents[100][RAFT_MSG_ENTRIES_MAX];
    static struct raft_entry out_ents[RAFT_MSG_ENTRIES_MAX];
    static struct raft_msg msgs[100];
    /* random_msg reuses entry_data: give each message its own copy */
    static uint8_t datas[100][20][64];
    for (int i = 0; i < 100; i++) {
        random_msg(&r, (uint8_t)(RAFT_MSG_APPEND + i % 12), &msgs[i], ents[i]);
        for (uint32_t k = 0; k < msgs[i].n_entries; k++) {
            memcpy(datas[i][k], entry_data[k], 64);
            if (ents[i][k].len)
                ents[i][k].data = datas[i][k];
        }
    }
    uint32_t limits[] = {NET_FRAME_BYTES_MAX, 8000, 1800};
    for (int li = 0; li < 3; li++) {
        struct buf b = BUF_INIT;
        uint32_t frames = 0;
        CHECK_EQ(net_raft_batch_encode(&b, 1, 55, msgs, 100, limits[li], &frames), 0);
        CHECK(li == 0 ? frames == 1 : frames > 1);
        size_t off = 0;
        int seen = 0;
        for (uint32_t fi = 0; fi < frames; fi++) {
            struct net_frame f;
            size_t used;
            struct errbuf eb;
            struct net_frame_limits lim = {1, 1, limits[li]};
            CHECK_EQ(net_frame_decode(b.data + off, b.len - off, &lim, &f, &used, &eb), 0);
            CHECK_EQ(f.type, NET_FRAME_RAFT);
            off += used;
            struct net_raft_batch it;
            CHECK_EQ(net_raft_batch_open(&it, f.payload, f.len, &eb), 0);
            CHECK_EQ(it.group, 55);
            struct raft_msg m;
            int rc;
            while ((rc = net_raft_batch_next(&it, &m, out_ents, RAFT_MSG_ENTRIES_MAX, &eb)) == 1) {
                CHECK(seen < 100);
                CHECK(msg_equal(&msgs[seen], &m));
                seen++;
            }
            CHECK_EQ(rc, 0);
        }
        CHECK_EQ(off, b.len);
        CHECK_EQ(seen, 100);
        buf_free(&b);
    }
    /* one message that fits no frame: refused, buffer untouched */
    struct buf b = BUF_INIT;
    buf_append(&b, "keep", 4);
    CHECK_EQ(net_raft_batch_encode(&b, 1, 1, msgs, 100, 40, NULL), (uint64_t)ERR_TOOBIG);
    CHECK_EQ(b.len, 4);
    CHECK_EQ(net_raft_batch_encode(&b, 1, 1, msgs, 0, 4000, NULL), (uint64_t)ERR_INVAL);
    buf_free(&b);
}

TEST(raft_batch_header_and_trailing_bytes_are_checked)
{
    struct errbuf eb;
    struct net_raft_batch it;
    uint8_t p[64] = {0};
    codec_put_u64(p, 1);
    codec_put_u32(p + 8, 0);
    CHECK_EQ(net_raft_batch_open(&it, p, 12, &eb), (uint64_t)ERR_MALFORMED);
    codec_put_u32(p + 8, NET_RAFT_BATCH_MSGS_MAX + 1);
    CHECK_EQ(net_raft_batch_open(&it, p, sizeof p, &eb), (uint64_t)ERR_MALFORMED);
    codec_put_u32(p + 8, 4); /* 4 messages cannot fit in 52 bytes */
    CHECK_EQ(net_raft_batch_open(&it, p, sizeof p, &eb), (uint64_t)ERR_MALFORMED);
    CHECK_EQ(net_raft_batch_open(&it, p, 11, &eb), (uint64_t)ERR_MALFORMED);

    /* a valid one-message batch plus a stray byte */
    struct raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .from = 1, .to = 2};
    struct buf b = BUF_INIT;
    CHECK_EQ(net_raft_batch_encode(&b, 1, 1, &m, 1, NET_FRAME_BYTES_MAX, NULL), 0);
    size_t plen = b.len - NET_FRAME_HEADER_BYTES;
    uint8_t q[128];
    memcpy(q, b.data + NET_FRAME_HEADER_BYTES, plen);
    q[plen] = 9;
    static struct raft_entry ents[RAFT_MSG_ENTRIES_MAX];
    struct raft_msg out;
    CHECK_EQ(net_raft_batch_open(&it, q, plen + 1, &eb), 0);
    CHECK_EQ(net_raft_batch_next(&it, &out, ents, RAFT_MSG_ENTRIES_MAX, &eb), 1);
    CHECK_EQ(net_raft_batch_next(&it, &out, ents, RAFT_MSG_ENTRIES_MAX, &eb),
             (uint64_t)ERR_MALFORMED);
    CHECK(strstr(eb.msg, "trailing") != NULL);
    /* a message length that runs past the end */
    codec_put_u32(q + 12, 200);
    CHECK_EQ(net_raft_batch_open(&it, q, plen, &eb), 0);
    CHECK_EQ(net_raft_batch_next(&it, &out, ents, RAFT_MSG_ENTRIES_MAX, &eb),
             (uint64_t)ERR_MALFORMED);
    buf_free(&b);
}

/* ---- Addresses ----------------------------------------------------------------------------------
 */

TEST(addr_parse)
{
    char host[64];
    uint16_t port;
    struct errbuf eb;
    CHECK_EQ(net_addr_parse("127.0.0.1:7100", host, sizeof host, &port, &eb), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_EQ(port, 7100);
    CHECK_EQ(net_addr_parse("node-3.example:0", host, sizeof host, &port, &eb), 0);
    CHECK_STR(host, "node-3.example");
    CHECK_EQ(port, 0);
    CHECK_EQ(net_addr_parse("[::1]:65535", host, sizeof host, &port, &eb), 0);
    CHECK_STR(host, "::1");
    CHECK_EQ(port, 65535);
    const char *bad[] = {"",        "host",   ":80",     "host:", "host:65536",
                         "host:8x", "::1:80", "[::1]80", "[::1",  "h:123456"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ(net_addr_parse(bad[i], host, sizeof host, &port, &eb), (uint64_t)ERR_INVAL);
    CHECK_EQ(net_addr_parse("averyveryverylonghostname:1", host, 8, &port, &eb),
             (uint64_t)ERR_INVAL);
}

TEST_MAIN()
