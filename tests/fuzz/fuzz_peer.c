/* Fuzz driver for the peer wire format: the frame decoder (whole and streamed
 * in pieces), every frame payload decoder, Raft batches and Raft messages.
 * Properties: no crash or sanitizer report; streaming in pieces finds the
 * same frames as decoding the whole input; whatever decodes re-encodes and
 * decodes to the same value.
 *
 * Built with -fsanitize=fuzzer and -DCAIRN_LIBFUZZER it is a libFuzzer
 * target. Otherwise it has its own main:
 *   fuzz-peer [-n MUTATIONS] [-s SEED] CORPUS_DIR_OR_FILE...
 *   fuzz-peer --write-corpus DIR      (regenerates the seed corpus)
 * which replays the inputs, then MUTATIONS deterministic mutations of them; a
 * failing input is saved as fuzz-peer-crash.bin. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/rng.h"
#include "net/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PEER_INPUT_BYTES_MAX (256 * 1024)
#define FUZZ_PEER_FRAMES_MAX      4096 /* frames compared between whole and streamed decoding */

static const uint8_t *fuzz_cur;
static size_t fuzz_cur_len;

static void fuzz_save(void)
{
    FILE *f = fopen("fuzz-peer-crash.bin", "wb");
    if (f == NULL)
        return;
    if (fuzz_cur_len > 0)
        fwrite(fuzz_cur, 1, fuzz_cur_len, f);
    fclose(f);
    fprintf(stderr, "fuzz-peer: failing input (%zu bytes) saved to fuzz-peer-crash.bin\n",
            fuzz_cur_len);
}

static _Noreturn void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz-peer: property failed: %s\n", what);
    fuzz_save();
    abort();
}

/* ---- Round trips ------------------------------------------------------------------- */

static struct raft_entry ents_a[RAFT_MSG_ENTRIES_MAX], ents_b[RAFT_MSG_ENTRIES_MAX];

static bool msg_same(const struct raft_msg *a, const struct raft_msg *b)
{
#define SAME(f) (a->f == b->f)
    if (!(SAME(type) && SAME(reject) && SAME(transfer) && SAME(from) && SAME(to) && SAME(term) &&
          SAME(log_term) && SAME(index) && SAME(commit) && SAME(ctx) && SAME(reject_hint) &&
          SAME(reject_hint_term) && SAME(n_entries)))
        return false;
    for (uint32_t i = 0; i < a->n_entries; i++) {
        const struct raft_entry *x = &a->entries[i], *y = &b->entries[i];
        if (x->term != y->term || x->index != y->index || x->type != y->type || x->len != y->len ||
            (x->len && memcmp(x->data, y->data, x->len) != 0))
            return false;
    }
    if (a->type == RAFT_MSG_SNAPSHOT &&
        (!SAME(snap.index) || !SAME(snap.term) || !SAME(snap.conf.n_voters) ||
         !SAME(snap.conf.n_learners) ||
         memcmp(a->snap.conf.voters, b->snap.conf.voters,
                a->snap.conf.n_voters * sizeof a->snap.conf.voters[0]) != 0 ||
         memcmp(a->snap.conf.learners, b->snap.conf.learners,
                a->snap.conf.n_learners * sizeof a->snap.conf.learners[0]) != 0))
        return false;
#undef SAME
    return true;
}

/* A decoded message must encode, and decode again to itself. */
static void check_raft_msg(const struct raft_msg *m)
{
    struct buf b = BUF_INIT;
    if (net_raft_msg_encode(&b, m) != 0)
        fuzz_fail("a decoded raft message does not encode");
    struct raft_msg again;
    struct errbuf eb;
    if (net_raft_msg_decode(b.data, b.len, &again, ents_b, RAFT_MSG_ENTRIES_MAX, &eb) != 0)
        fuzz_fail("a re-encoded raft message does not decode");
    if (!msg_same(m, &again))
        fuzz_fail("raft message changed in a round trip");
    buf_free(&b);
}

static void fuzz_raft_batch(const uint8_t *p, size_t n)
{
    struct net_raft_batch it;
    struct errbuf eb;
    if (net_raft_batch_open(&it, p, n, &eb) != 0)
        return;
    struct raft_msg m;
    int rc;
    uint32_t count = 0;
    while ((rc = net_raft_batch_next(&it, &m, ents_a, RAFT_MSG_ENTRIES_MAX, &eb)) == 1) {
        check_raft_msg(&m);
        count++;
    }
    if (rc == 0 && count != it.n_msgs)
        fuzz_fail("raft batch ended early without an error");
}

/* Frames the payload p with its own encoder and checks that it decodes the same. */
static void fuzz_payload(uint16_t type, const uint8_t *p, size_t n)
{
    struct errbuf eb;
    struct buf b = BUF_INIT;
    struct net_frame f;
    size_t used;
    const struct net_frame_limits lim = {NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX,
                                         NET_FRAME_BYTES_MAX};
    int rc = -1;
    switch (type) {
    case NET_FRAME_HELLO: {
        struct net_hello h, h2;
        if (net_hello_decode(p, n, &h, &eb) != 0)
            break;
        rc = net_hello_encode(&b, 1, &h);
        if (rc == 0 && (net_frame_decode(b.data, b.len, &lim, &f, &used, &eb) != 0 ||
                        net_hello_decode(f.payload, f.len, &h2, &eb) != 0 ||
                        memcmp(&h.cluster_id, &h2.cluster_id, sizeof h.cluster_id) != 0 ||
                        h.node_id != h2.node_id || h.version_min != h2.version_min ||
                        h.version_max != h2.version_max || strcmp(h.addr, h2.addr) != 0))
            fuzz_fail("hello changed in a round trip");
        break;
    }
    case NET_FRAME_RAFT:
        fuzz_raft_batch(p, n);
        rc = 0;
        break;
    case NET_FRAME_RPC_REQUEST: {
        struct net_rpc_request r, r2;
        if (net_rpc_request_decode(p, n, &r, &eb) != 0)
            break;
        rc = net_rpc_request_encode(&b, 1, &r);
        if (rc == 0 && (net_frame_decode(b.data, b.len, &lim, &f, &used, &eb) != 0 ||
                        net_rpc_request_decode(f.payload, f.len, &r2, &eb) != 0 ||
                        r.request_id != r2.request_id || r.method != r2.method || r.len != r2.len ||
                        (r.len && memcmp(r.payload, r2.payload, r.len) != 0)))
            fuzz_fail("rpc request changed in a round trip");
        break;
    }
    case NET_FRAME_RPC_RESPONSE: {
        struct net_rpc_response r, r2;
        if (net_rpc_response_decode(p, n, &r, &eb) != 0)
            break;
        rc = net_rpc_response_encode(&b, 1, &r);
        if (rc == 0 && (net_frame_decode(b.data, b.len, &lim, &f, &used, &eb) != 0 ||
                        net_rpc_response_decode(f.payload, f.len, &r2, &eb) != 0 ||
                        r.request_id != r2.request_id || r.status != r2.status || r.len != r2.len ||
                        (r.len && memcmp(r.payload, r2.payload, r.len) != 0)))
            fuzz_fail("rpc response changed in a round trip");
        break;
    }
    case NET_FRAME_SNAPSHOT_CHUNK: {
        struct net_snapshot_chunk c, c2;
        if (net_snapshot_chunk_decode(p, n, &c, &eb) != 0)
            break;
        rc = net_snapshot_chunk_encode(&b, 1, &c);
        if (rc == 0 &&
            (net_frame_decode(b.data, b.len, &lim, &f, &used, &eb) != 0 ||
             net_snapshot_chunk_decode(f.payload, f.len, &c2, &eb) != 0 ||
             c.request_id != c2.request_id || c.group != c2.group || c.index != c2.index ||
             c.term != c2.term || c.offset != c2.offset || c.seq != c2.seq || c.flags != c2.flags ||
             c.len != c2.len || (c.len && memcmp(c.data, c2.data, c.len) != 0)))
            fuzz_fail("snapshot chunk changed in a round trip");
        break;
    }
    case NET_FRAME_CLOSE: {
        struct net_close c, c2;
        if (net_close_decode(p, n, &c, &eb) != 0)
            break;
        rc = net_close_encode(&b, 1, &c);
        if (rc == 0 && (net_frame_decode(b.data, b.len, &lim, &f, &used, &eb) != 0 ||
                        net_close_decode(f.payload, f.len, &c2, &eb) != 0 ||
                        c.status != c2.status || strcmp(c.reason, c2.reason) != 0))
            fuzz_fail("close changed in a round trip");
        break;
    }
    default:
        fuzz_fail("the frame decoder returned an unknown type");
    }
    if (rc > 0)
        fuzz_fail("an encoder returned a positive code");
    buf_free(&b);
}

/* ---- The target ------------------------------------------------------------------------ */

struct seen {
    uint16_t type;
    uint32_t len;
    uint32_t crc;
};

static struct seen whole[FUZZ_PEER_FRAMES_MAX], pieces[FUZZ_PEER_FRAMES_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t empty[1];
    const struct net_frame_limits lim = {NET_PROTO_VERSION_MIN, NET_PROTO_VERSION_MAX,
                                         NET_FRAME_BYTES_MAX};
    struct errbuf eb;
    if (data == NULL)
        data = empty; /* no arithmetic on a null pointer, even + 0 */

    /* 1. Frames one after another from the whole input. */
    size_t off = 0, n_whole = 0;
    int end_whole;
    for (;;) {
        struct net_frame f;
        size_t used = 0;
        end_whole = net_frame_decode(data + off, size - off, &lim, &f, &used, &eb);
        if (end_whole != 0)
            break;
        if (used < NET_FRAME_HEADER_BYTES || used > size - off)
            fuzz_fail("frame decoder consumed a bad byte count");
        fuzz_payload(f.type, f.payload, f.len);
        if (n_whole < FUZZ_PEER_FRAMES_MAX)
            whole[n_whole++] = (struct seen){f.type, f.len, crc32c(0, f.payload, f.len)};
        off += used;
    }
    if (end_whole != ERR_NEEDMORE && end_whole != ERR_MALFORMED)
        fuzz_fail("frame decoder returned an unexpected code");

    /* 2. The same input streamed in pieces whose sizes come from the input. */
    struct net_decoder d;
    net_decoder_init(&d, &lim);
    size_t n_pieces = 0, at = 0, k = 0;
    int end_pieces = ERR_NEEDMORE;
    while (at < size && end_pieces == ERR_NEEDMORE) {
        size_t step = 1 + (size > 0 ? data[k++ % size] % 61 : 0);
        if (step > size - at)
            step = size - at;
        if (net_decoder_feed(&d, data + at, step) != 0)
            fuzz_fail("decoder out of memory");
        at += step;
        struct net_frame f;
        while ((end_pieces = net_decoder_next(&d, &f, &eb)) == 0)
            if (n_pieces < FUZZ_PEER_FRAMES_MAX)
                pieces[n_pieces++] = (struct seen){f.type, f.len, crc32c(0, f.payload, f.len)};
    }
    net_decoder_free(&d);
    if (n_pieces != n_whole || end_pieces != end_whole ||
        memcmp(whole, pieces, n_whole * sizeof whole[0]) != 0)
        fuzz_fail("streamed decoding differs from whole decoding");

    /* 3. The input as each payload directly: no CRC stands in the way. */
    for (uint16_t type = NET_FRAME_HELLO; type <= NET_FRAME_CLOSE; type++)
        fuzz_payload(type, data, size);
    struct raft_msg m;
    if (net_raft_msg_decode(data, size, &m, ents_a, RAFT_MSG_ENTRIES_MAX, &eb) == 0)
        check_raft_msg(&m);
    return 0;
}

#ifndef CAIRN_LIBFUZZER

/* ---- Seed corpus ------------------------------------------------------------------------- */

static int write_file(const char *dir, const char *name, const struct buf *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(b->data, 1, b->len, f) != b->len) {
        fprintf(stderr, "fuzz-peer: cannot write %s\n", path);
        if (f)
            fclose(f);
        return 1;
    }
    fclose(f);
    return 0;
}

static int write_corpus(const char *dir)
{
    struct buf b = BUF_INIT, stream = BUF_INIT;
    int bad = 0;
    struct net_hello h;
    memset(&h, 0, sizeof h);
    memset(h.cluster_id, 0x5a, sizeof h.cluster_id);
    h.node_id = 3;
    h.version_min = h.version_max = 1;
    strcpy(h.addr, "10.0.0.3:7100");
    net_hello_encode(&b, 1, &h);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "hello.bin", &b);

    static uint8_t data[3][40];
    for (int i = 0; i < 3; i++)
        memset(data[i], 'a' + i, sizeof data[i]);
    struct raft_entry ents[3] = {{2, 11, RAFT_ENTRY_NORMAL, 40, data[0]},
                                 {2, 12, RAFT_ENTRY_NOOP, 0, NULL},
                                 {3, 13, RAFT_ENTRY_CONF, RAFT_CONF_CHANGE_ENCODED_LEN, data[2]}};
    struct raft_msg msgs[12];
    for (int i = 0; i < 12; i++) {
        msgs[i] = (struct raft_msg){.type = (uint8_t)(RAFT_MSG_APPEND + i),
                                    .from = 3,
                                    .to = 1,
                                    .term = 5,
                                    .log_term = 4,
                                    .index = 300 + (uint64_t)i,
                                    .commit = 290,
                                    .ctx = 7};
    }
    msgs[0].n_entries = 3;
    msgs[0].entries = ents;
    msgs[1].reject = true;
    msgs[1].reject_hint = 250;
    msgs[1].reject_hint_term = 3;
    msgs[2].transfer = true;
    struct raft_snapshot_meta *s = &msgs[RAFT_MSG_SNAPSHOT - 1].snap;
    s->index = 1000;
    s->term = 4;
    s->conf.n_voters = 3;
    s->conf.voters[0] = 1;
    s->conf.voters[1] = 2;
    s->conf.voters[2] = 3;
    s->conf.n_learners = 2;
    s->conf.learners[0] = 4;
    s->conf.learners[1] = 1ull << 40;
    char name[64];
    for (int i = 0; i < 12; i++) {
        buf_reset(&b);
        net_raft_batch_encode(&b, 1, 1, &msgs[i], 1, NET_FRAME_BYTES_MAX, NULL);
        snprintf(name, sizeof name, "raft_%02d.bin", i + 1);
        bad |= write_file(dir, name, &b);
        buf_reset(&b);
        net_raft_msg_encode(&b, &msgs[i]);
        snprintf(name, sizeof name, "raft_msg_%02d.bin", i + 1);
        bad |= write_file(dir, name, &b);
    }
    buf_reset(&b);
    net_raft_batch_encode(&b, 1, 42, msgs, 12, NET_FRAME_BYTES_MAX, NULL);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "raft_batch.bin", &b);

    buf_reset(&b);
    struct net_rpc_request rq = {17, 3, (const uint8_t *)"{\"op\":\"put\"}", 12};
    net_rpc_request_encode(&b, 1, &rq);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "rpc_request.bin", &b);
    buf_reset(&b);
    struct net_rpc_response rs = {17, ERR_NOTLEADER, (const uint8_t *)"leader=2", 8};
    net_rpc_response_encode(&b, 1, &rs);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "rpc_response.bin", &b);
    buf_reset(&b);
    struct net_snapshot_chunk ch = {18, 1, 1000, 4, 65536, 1, NET_SNAPSHOT_CHUNK_LAST, data[1], 40};
    net_snapshot_chunk_encode(&b, 1, &ch);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "snapshot_chunk.bin", &b);
    buf_reset(&b);
    struct net_close cl = {ERR_PROTO, "cluster id mismatch"};
    net_close_encode(&b, 1, &cl);
    buf_append(&stream, b.data, b.len);
    bad |= write_file(dir, "close.bin", &b);
    bad |= write_file(dir, "stream.bin", &stream);
    buf_free(&b);
    buf_free(&stream);
    return bad;
}

/* ---- Standalone runner -------------------------------------------------------------------- */

#define FUZZ_PEER_SEEDS_MAX 256

struct seed {
    uint8_t *data;
    size_t len;
};

static struct seed seeds[FUZZ_PEER_SEEDS_MAX];
static size_t n_seeds;

static void load_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "fuzz-peer: cannot open %s\n", path);
        exit(2);
    }
    struct buf b = BUF_INIT;
    uint8_t tmp[4096];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0 && b.len < FUZZ_PEER_INPUT_BYTES_MAX)
        buf_append(&b, tmp, n);
    fclose(f);
    if (n_seeds == FUZZ_PEER_SEEDS_MAX) {
        buf_free(&b);
        return;
    }
    seeds[n_seeds].data = b.data;
    seeds[n_seeds].len = b.len < FUZZ_PEER_INPUT_BYTES_MAX ? b.len : FUZZ_PEER_INPUT_BYTES_MAX;
    n_seeds++;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file, or every regular file of a directory in name order (a stable run). */
static void load_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz-peer: cannot stat %s\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        load_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (d == NULL)
        exit(2);
    char *names[FUZZ_PEER_SEEDS_MAX];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < FUZZ_PEER_SEEDS_MAX) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (names[n] == NULL)
            exit(2);
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
            load_file(names[i]);
        free(names[i]);
    }
}

static void run_one(const uint8_t *data, size_t len)
{
    fuzz_cur = data;
    fuzz_cur_len = len;
    LLVMFuzzerTestOneInput(data, len);
}

/* Rewrites the header of the frame at off (if one starts there) so its length
 * and CRC match the bytes that follow: lets mutations of a payload get past
 * the checksum and reach the payload decoders through the frame path. */
static void fix_frame(struct buf *b, size_t off)
{
    if (b->len - off < NET_FRAME_HEADER_BYTES || memcmp(b->data + off, NET_FRAME_MAGIC, 4) != 0)
        return;
    uint8_t *h = b->data + off;
    size_t avail = b->len - off - NET_FRAME_HEADER_BYTES;
    uint32_t plen = codec_get_u32(h + NET_FRAME_OFF_len);
    if (plen > avail)
        plen = (uint32_t)avail;
    codec_put_u32(h + NET_FRAME_OFF_len, plen);
    codec_put_u32(h + NET_FRAME_OFF_crc, crc32c(0, h + NET_FRAME_HEADER_BYTES, plen));
}

static const uint8_t interesting[] = {0, 1, 2, 8, 9, 12, 0x3f, 0x40, 0x7f, 0x80, 0xfe, 0xff};

static void mutate(struct rng *r, struct buf *b)
{
    size_t steps = 1 + (size_t)rng_below(r, 6);
    for (size_t s = 0; s < steps; s++) {
        size_t len = b->len;
        size_t pos = len ? (size_t)rng_below(r, len) : 0;
        switch (rng_below(r, 10)) {
        case 0:
            if (len)
                b->data[pos] ^= (uint8_t)(1u << rng_below(r, 8));
            break;
        case 1:
            if (len)
                b->data[pos] = (uint8_t)rng_next(r);
            break;
        case 2:
            if (len)
                b->data[pos] = interesting[rng_below(r, sizeof interesting)];
            break;
        case 3: { /* a random varint-looking run: lengths and counts live in those */
            uint8_t tmp[CODEC_UVARINT_LEN_MAX];
            size_t n = codec_put_uvarint(tmp, rng_next(r) >> rng_below(r, 64));
            if (pos + n <= len)
                memcpy(b->data + pos, tmp, n);
            break;
        }
        case 4: { /* insert random bytes */
            uint8_t tmp[8];
            size_t n = 1 + (size_t)rng_below(r, sizeof tmp);
            for (size_t i = 0; i < n; i++)
                tmp[i] = (uint8_t)rng_next(r);
            buf_append(b, tmp, n);
            memmove(b->data + pos + n, b->data + pos, len - pos);
            memcpy(b->data + pos, tmp, n);
            break;
        }
        case 5: /* delete a range */
            if (len) {
                size_t n = 1 + (size_t)rng_below(r, len - pos < 16 ? len - pos : 16);
                memmove(b->data + pos, b->data + pos + n, len - pos - n);
                b->len -= n;
            }
            break;
        case 6: /* duplicate a range */
            if (len) {
                size_t n = 1 + (size_t)rng_below(r, len - pos < 64 ? len - pos : 64);
                size_t at = (size_t)rng_below(r, len + 1);
                uint8_t tmp[64];
                memcpy(tmp, b->data + pos, n);
                buf_append(b, tmp, n);
                memmove(b->data + at + n, b->data + at, len - at);
                memcpy(b->data + at, tmp, n);
            }
            break;
        case 7: { /* splice in another seed */
            const struct seed *o = &seeds[rng_below(r, n_seeds)];
            size_t from = o->len ? (size_t)rng_below(r, o->len) : 0;
            b->len = pos;
            buf_append(b, o->data + from, o->len - from);
            break;
        }
        case 8: /* truncate */
            b->len = pos;
            break;
        default:
            fix_frame(b, 0);
            break;
        }
        if (b->len > FUZZ_PEER_INPUT_BYTES_MAX)
            b->len = FUZZ_PEER_INPUT_BYTES_MAX;
    }
    if (rng_chance(r, 1, 2))
        fix_frame(b, 0);
}

/* Set by the sanitizer runtime when it is linked in: lets a crash save its input. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

int main(int argc, char **argv)
{
    uint64_t n = 1000, seed = 1;
    int i = 1;
    if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
        return write_corpus(argv[2]);
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr,
                    "usage: %s [-n MUTATIONS] [-s SEED] CORPUS_DIR_OR_FILE...\n"
                    "       %s --write-corpus DIR\n",
                    argv[0], argv[0]);
            return 2;
        }
    }
    if (__sanitizer_set_death_callback != NULL)
        __sanitizer_set_death_callback(fuzz_save);
    for (; i < argc; i++)
        load_path(argv[i]);
    if (n_seeds == 0)
        seeds[n_seeds++] = (struct seed){NULL, 0};
    for (size_t k = 0; k < n_seeds; k++)
        run_one(seeds[k].data, seeds[k].len);
    struct rng r;
    rng_seed(&r, seed);
    struct buf b = BUF_INIT;
    for (uint64_t k = 0; k < n; k++) {
        const struct seed *s = &seeds[rng_below(&r, n_seeds)];
        buf_reset(&b);
        buf_append(&b, s->data, s->len);
        mutate(&r, &b);
        run_one(b.data, b.len);
    }
    buf_free(&b);
    for (size_t k = 0; k < n_seeds; k++)
        free(seeds[k].data);
    printf("fuzz-peer: %zu inputs, %llu mutations (seed %llu): ok\n", n_seeds,
           (unsigned long long)n, (unsigned long long)seed);
    return 0;
}

#endif
