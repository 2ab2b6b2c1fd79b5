/* Unit tests for src/store: metadata and identity, batched apply with skip on
 * replay and rollback on error, durability checkpoints, and snapshots streamed
 * and restored (with corruption, reordering and resumption). */
#include "test.h"

#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/err.h"
#include "base/rng.h"
#include "model/kv/kv.h"
#include "store/store.h"

/* ---- helpers ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

struct dir {
    char path[64];
};

static int dir_make(struct dir *d)
{
    strcpy(d->path, "/tmp/cairn-store-XXXXXX");
    return mkdtemp(d->path) != NULL ? 0 : -1;
}

static void dir_remove(struct dir *d)
{
    nftw(d->path, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void dir_file(const struct dir *d, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", d->path, name);
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = in != NULL && out != NULL ? 0 : -1;
    char block[8192];
    size_t n;
    while (rc == 0 && (n = fread(block, 1, sizeof block, in)) > 0)
        rc = fwrite(block, 1, n, out) == n ? 0 : -1;
    if (in != NULL)
        fclose(in);
    if (out != NULL && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* A log of kv commands, as entries with their own copies of the data. */
struct log {
    uint32_t n;
    struct raft_entry e[4096];
    struct buf data[4096];
};

static void log_free(struct log *l)
{
    for (uint32_t i = 0; i < l->n; i++)
        buf_free(&l->data[i]);
    l->n = 0;
}

/* Appends an entry at first_index + n; data is copied. */
static void log_add(struct log *l, uint64_t first_index, uint8_t type, const struct buf *cmd)
{
    if (l->n == 4096)
        abort();
    struct buf *b = &l->data[l->n];
    *b = (struct buf)BUF_INIT;
    if (cmd != NULL)
        buf_append(b, cmd->data, cmd->len);
    l->e[l->n] = (struct raft_entry){.term = 1 + l->n / 100,
                                     .index = first_index + l->n,
                                     .type = type,
                                     .len = (uint32_t)b->len,
                                     .data = b->data};
    l->n++;
}

/* A deterministic workload: puts (some large, some with NUL keys), deletes,
 * conditional ops and batches. */
static void log_workload(struct log *l, uint64_t first_index, uint32_t n, uint64_t seed)
{
    struct rng g;
    rng_seed(&g, seed);
    struct buf cmd = BUF_INIT;
    static uint8_t value[40000];
    for (uint32_t i = 0; i < n; i++) {
        char key[32];
        int klen = snprintf(key, sizeof key, "key%c%05u", (char)rng_below(&g, 3),
                            (unsigned)rng_below(&g, 2000));
        size_t vlen =
            rng_chance(&g, 1, 50) ? 1000 + rng_below(&g, sizeof value - 1000) : rng_below(&g, 200);
        for (size_t k = 0; k < vlen; k++)
            value[k] = (uint8_t)(i + k);
        buf_reset(&cmd);
        uint64_t r = rng_below(&g, 20);
        if (r == 0) {
            log_add(l, first_index, RAFT_ENTRY_NOOP, NULL);
            continue;
        }
        int rc;
        if (r == 1) {
            rc = kv_encode_delete(&cmd, key, (size_t)klen, NULL, NULL);
        } else if (r == 2) {
            struct kv_cond c = {KV_COND_ABSENT, 0};
            rc = kv_encode_put(&cmd, key, (size_t)klen, value, vlen, &c, NULL);
        } else if (r == 3) {
            struct kv_op ops[3];
            char keys[3][16];
            for (int k = 0; k < 3; k++) {
                snprintf(keys[k], sizeof keys[k], "batch%d-%u", k, (unsigned)rng_below(&g, 50));
                ops[k] = (struct kv_op){.type = KV_OP_PUT,
                                        .key = (const uint8_t *)keys[k],
                                        .key_len = strlen(keys[k]),
                                        .value = value,
                                        .value_len = 10};
            }
            if (strcmp(keys[0], keys[1]) == 0 || strcmp(keys[1], keys[2]) == 0 ||
                strcmp(keys[0], keys[2]) == 0) {
                log_add(l, first_index, RAFT_ENTRY_NOOP, NULL);
                continue;
            }
            rc = kv_encode_batch(&cmd, ops, 3, NULL);
        } else {
            rc = kv_encode_put(&cmd, key, (size_t)klen, value, vlen, NULL, NULL);
        }
        if (rc != 0)
            abort();
        log_add(l, first_index, RAFT_ENTRY_NORMAL, &cmd);
    }
    buf_free(&cmd);
}

/* Applies entries [from, to) of the log in batches of `batch`. */
static int apply_range(struct store *s, struct log *l, uint32_t from, uint32_t to, uint32_t batch)
{
    static struct store_result res[4096];
    struct errbuf eb;
    for (uint32_t i = from; i < to; i += batch) {
        uint32_t n = to - i < batch ? to - i : batch;
        int rc = store_apply(s, &l->e[i], n, res, &eb);
        if (rc != 0) {
            fprintf(stderr, "store_apply: %s\n", eb.msg);
            return rc;
        }
    }
    return 0;
}

struct dump_ctx {
    struct buf *out;
    uint8_t last[KV_KEY_BYTES_MAX];
    size_t last_len;
};

static int dump_item(void *ctx, const struct kv_item *it)
{
    struct dump_ctx *d = ctx;
    buf_append_uvarint(d->out, it->key_len);
    buf_append(d->out, it->key, it->key_len);
    buf_append_u64(d->out, it->version);
    buf_append_u32(d->out, it->bucket);
    buf_append_uvarint(d->out, it->value_len);
    buf_append(d->out, it->value, it->value_len);
    memcpy(d->last, it->key, it->key_len);
    d->last_len = it->key_len;
    return 0;
}

/* Every key, version, bucket and value, plus applied index and term, read in
 * pages so that pagination is exercised too. */
static int dump(struct store *s, struct buf *out)
{
    buf_reset(out);
    uint64_t idx, term;
    if (store_meta_get(s, "applied_index", &idx, NULL) != 0 ||
        store_meta_get(s, "applied_term", &term, NULL) != 0)
        return -1;
    buf_append_u64(out, idx);
    buf_append_u64(out, term);
    static struct dump_ctx d;
    d.out = out;
    d.last_len = 0;
    bool more = true;
    while (more) {
        uint8_t after[KV_KEY_BYTES_MAX];
        memcpy(after, d.last, d.last_len);
        struct kv_list_req req = {.after = after, .after_len = d.last_len, .limit = 100};
        int rc = kv_list(s, &req, dump_item, &d, &more, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static bool same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

/* All chunks of a snapshot, concatenated with their lengths. */
struct chunks {
    uint32_t n;
    struct buf c[8192];
};

static void chunks_free(struct chunks *cs)
{
    for (uint32_t i = 0; i < cs->n; i++)
        buf_free(&cs->c[i]);
    cs->n = 0;
}

static int take_snapshot(struct store *s, uint32_t chunk_bytes, struct chunks *cs)
{
    struct store_snapshot *sn;
    struct errbuf eb;
    int rc = store_snapshot_open(s, chunk_bytes, &sn, &eb);
    if (rc != 0)
        return rc;
    bool done = false;
    while (!done && rc == 0) {
        if (cs->n == 8192)
            return -1;
        cs->c[cs->n] = (struct buf)BUF_INIT;
        rc = store_snapshot_next(sn, &cs->c[cs->n], &done, &eb);
        if (rc == 0 && cs->c[cs->n].len > chunk_bytes)
            rc = -2;
        cs->n++;
    }
    store_snapshot_close(sn);
    return rc;
}

static int restore_all(const char *path, struct chunks *cs)
{
    struct store_restore *rs;
    struct errbuf eb;
    int rc = store_restore_begin(path, &rs, &eb);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; i < cs->n; i++) {
        rc = store_restore_chunk(rs, cs->c[i].data, cs->c[i].len, &eb);
        if (rc != 0) {
            fprintf(stderr, "restore chunk %u: %s\n", i, eb.msg);
            store_restore_abort(rs);
            return rc;
        }
    }
    rc = store_restore_finish(rs, &eb);
    if (rc != 0)
        fprintf(stderr, "restore finish: %s\n", eb.msg);
    return rc;
}

/* ---- metadata and identity ---- */

TEST(open_records_identity_and_refuses_another_group)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    struct store_opts o;
    store_opts_default(&o);
    o.cluster_id = 77;
    o.group_id = 5;
    o.bucket_count = 128;
    struct store *s;
    CHECK_EQ(store_open(path, &o, &s, NULL), 0);
    CHECK_EQ(store_applied_index(s), 0);
    CHECK_EQ(store_bucket_count(s), 128);
    CHECK_EQ(store_group_id(s), 5);
    uint64_t v;
    CHECK_EQ(store_meta_get(s, "cluster_id", &v, NULL), 0);
    CHECK_EQ(v, 77);
    CHECK_EQ(store_meta_get(s, "format_version", &v, NULL), 0);
    CHECK_EQ(v, STORE_FORMAT_VERSION);
    CHECK_EQ(store_meta_get(s, "nonsense", &v, NULL), ERR_NOTFOUND);
    store_close(s);

    struct errbuf eb;
    o.group_id = 6;
    CHECK_EQ(store_open(path, &o, &s, &eb), ERR_INVAL);
    CHECK(strstr(eb.msg, "group 5") != NULL);
    o.group_id = 5;
    o.bucket_count = 3000;
    CHECK_EQ(store_open(path, &o, &s, &eb), ERR_INVAL);
    /* Zeros mean "as recorded". */
    CHECK_EQ(store_open(path, NULL, &s, &eb), 0);
    CHECK_EQ(store_bucket_count(s), 128);
    CHECK_EQ(store_cluster_id(s), 77);
    store_close(s);

    /* A new store with defaults has 3000 buckets. */
    dir_file(&d, "t.db", path, sizeof path);
    CHECK_EQ(store_open(path, NULL, &s, &eb), 0);
    CHECK_EQ(store_bucket_count(s), STORE_BUCKET_COUNT_DEFAULT);
    store_close(s);
    /* Not a database at all. */
    dir_file(&d, "junk.db", path, sizeof path);
    FILE *fp = fopen(path, "w");
    CHECK(fp != NULL);
    for (int i = 0; i < 1000; i++)
        fputs("not sqlite ", fp);
    fclose(fp);
    int rc = store_open(path, NULL, &s, &eb);
    CHECK(rc == ERR_CORRUPT || rc == ERR_IO);
    dir_remove(&d);
}

/* ---- apply ---- */

TEST(noop_and_conf_entries_advance_the_applied_index)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    struct store *s;
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    uint8_t conf[RAFT_CONF_CHANGE_ENCODED_LEN] = {0};
    struct raft_entry e[2] = {
        {.term = 3, .index = 1, .type = RAFT_ENTRY_NOOP},
        {.term = 4, .index = 2, .type = RAFT_ENTRY_CONF, .len = sizeof conf, .data = conf},
    };
    struct store_result res[2];
    CHECK_EQ(store_apply(s, e, 2, res, NULL), 0);
    CHECK_EQ(store_applied_index(s), 2);
    CHECK_EQ(store_applied_term(s), 4);
    CHECK_EQ(res[0].index, 1);
    CHECK_EQ(res[1].index, 2);
    CHECK_EQ(res[1].model, 0);
    CHECK_EQ(res[1].skipped, 0);
    store_close(s);
    dir_remove(&d);
}

TEST(applied_index_is_committed_with_the_batch)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    static struct log l;
    log_workload(&l, 1, 300, 1);
    struct store *s;
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 200, 16), 0);
    CHECK_EQ(store_applied_index(s), 200);
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump(s, &before), 0);
    store_close(s);

    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    CHECK_EQ(store_applied_index(s), 200);
    CHECK_EQ(store_applied_term(s), l.e[199].term);
    CHECK_EQ(dump(s, &after), 0);
    CHECK(same(&before, &after));

    /* A batch with a malformed command in the middle: nothing of it stays,
     * not the entries before the bad one, not the applied index. */
    static struct log bad;
    struct buf cmd = BUF_INIT;
    CHECK_EQ(kv_encode_put(&cmd, "fresh", 5, "v", 1, NULL, NULL), 0);
    log_add(&bad, 201, RAFT_ENTRY_NORMAL, &cmd);
    cmd.data[1] = 0; /* no such command kind... */
    cmd.len = 1;     /* ...and truncated */
    log_add(&bad, 201, RAFT_ENTRY_NORMAL, &cmd);
    struct store_result res[2];
    struct errbuf eb;
    CHECK_EQ(store_apply(s, bad.e, 2, res, &eb), ERR_CORRUPT);
    CHECK(strstr(eb.msg, "truncated") != NULL);
    CHECK(strstr(eb.msg, "entry 202 (kv)") != NULL);
    CHECK_EQ(store_applied_index(s), 200);
    CHECK_EQ(kv_get(s, "fresh", 5, NULL, NULL, NULL), ERR_NOTFOUND);
    CHECK_EQ(dump(s, &after), 0);
    CHECK(same(&before, &after));
    /* A model this build does not know stops apply the same way. */
    log_free(&bad);
    cmd.data[0] = STORE_MODEL_LEDGER;
    log_add(&bad, 201, RAFT_ENTRY_NORMAL, &cmd);
    CHECK_EQ(store_apply(s, bad.e, 1, res, &eb), ERR_UNSUPPORTED);
    CHECK_EQ(store_applied_index(s), 200);
    store_close(s);
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    CHECK_EQ(store_applied_index(s), 200);
    CHECK_EQ(dump(s, &after), 0);
    CHECK(same(&before, &after));
    /* And the store goes on from where it was. */
    CHECK_EQ(apply_range(s, &l, 200, 300, 7), 0);
    CHECK_EQ(store_applied_index(s), 300);
    store_close(s);
    buf_free(&cmd);
    buf_free(&before);
    buf_free(&after);
    log_free(&l);
    log_free(&bad);
    dir_remove(&d);
}

TEST(replay_is_idempotent)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char p1[128], p2[128];
    dir_file(&d, "once.db", p1, sizeof p1);
    dir_file(&d, "twice.db", p2, sizeof p2);
    static struct log l;
    log_workload(&l, 1, 400, 2);
    struct store *once, *twice;
    CHECK_EQ(store_open(p1, NULL, &once, NULL), 0);
    CHECK_EQ(store_open(p2, NULL, &twice, NULL), 0);
    CHECK_EQ(apply_range(once, &l, 0, 400, 400), 0);

    CHECK_EQ(apply_range(twice, &l, 0, 250, 10), 0);
    /* The same entries again, whole and in overlapping windows. */
    CHECK_EQ(apply_range(twice, &l, 0, 250, 250), 0);
    CHECK_EQ(store_applied_index(twice), 250);
    static struct store_result res[4096];
    CHECK_EQ(store_apply(twice, &l.e[240], 20, res, NULL), 0);
    for (int i = 0; i < 20; i++)
        CHECK_EQ(res[i].skipped, i < 10);
    CHECK_EQ(store_applied_index(twice), 260);
    store_close(twice); /* a restart in the middle */
    CHECK_EQ(store_open(p2, NULL, &twice, NULL), 0);
    CHECK_EQ(apply_range(twice, &l, 200, 400, 33), 0);

    struct buf a = BUF_INIT, b = BUF_INIT;
    CHECK_EQ(dump(once, &a), 0);
    CHECK_EQ(dump(twice, &b), 0);
    CHECK(a.len > 1000);
    CHECK(same(&a, &b));
    store_close(once);
    store_close(twice);
    buf_free(&a);
    buf_free(&b);
    log_free(&l);
    dir_remove(&d);
}

TEST(gaps_are_refused_but_the_bootstrap_index_is_not_a_gap)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    struct store *s;
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    struct raft_entry e = {.term = 1, .index = RAFT_BOOTSTRAP_INDEX + 2, .type = RAFT_ENTRY_NOOP};
    struct store_result res;
    struct errbuf eb;
    CHECK_EQ(store_apply(s, &e, 1, &res, &eb), ERR_INVAL);
    CHECK(strstr(eb.msg, "gap") != NULL);
    e.index = RAFT_BOOTSTRAP_INDEX + 1; /* the first entry after the bootstrap snapshot */
    CHECK_EQ(store_apply(s, &e, 1, &res, &eb), 0);
    e.index += 2;
    CHECK_EQ(store_apply(s, &e, 1, &res, &eb), ERR_INVAL);
    CHECK_EQ(store_applied_index(s), RAFT_BOOTSTRAP_INDEX + 1);
    /* An empty batch and an all-skipped batch do nothing. */
    CHECK_EQ(store_apply(s, NULL, 0, NULL, &eb), 0);
    e.index = 1;
    CHECK_EQ(store_apply(s, &e, 1, &res, &eb), 0);
    CHECK_EQ(res.skipped, 1);
    store_close(s);
    dir_remove(&d);
}

/* store_apply_open leaves the batch uncommitted: another connection does not see it until
 * store_apply_close — or until anything uses the store's connection, which commits it first. */
TEST(an_open_batch_is_committed_before_anything_uses_the_connection)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    static struct log l;
    log_workload(&l, 1, 30, 5);
    struct store *s, *r;
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 10, 10), 0);
    CHECK_EQ(store_open_reader(s, &r, NULL), 0);
    struct store_result res[10];
    uint64_t seen;

    /* Closed explicitly. */
    CHECK_EQ(store_apply_open(s, &l.e[10], 10, res, NULL), 0);
    store_results_free(res, 10);
    CHECK_EQ(store_applied_index(s), 20); /* as the batch will stand */
    CHECK_EQ(store_meta_get(r, "applied_index", &seen, NULL), 0);
    CHECK_EQ(seen, 10);
    CHECK_EQ(store_apply_close(s, NULL), 0);
    CHECK_EQ(store_meta_get(r, "applied_index", &seen, NULL), 0);
    CHECK_EQ(seen, 20);
    CHECK_EQ(store_apply_close(s, NULL), 0); /* nothing left: a no-op */

    /* Committed by the next use of the connection (a read of it here). */
    CHECK_EQ(store_apply_open(s, &l.e[20], 10, res, NULL), 0);
    store_results_free(res, 10);
    CHECK_EQ(store_meta_get(r, "applied_index", &seen, NULL), 0);
    CHECK_EQ(seen, 20);
    uint64_t own;
    CHECK_EQ(store_meta_get(s, "applied_index", &own, NULL), 0);
    CHECK_EQ(own, 30);
    CHECK_EQ(store_meta_get(r, "applied_index", &seen, NULL), 0);
    CHECK_EQ(seen, 30);
    CHECK_EQ(store_apply_close(s, NULL), 0);
    struct buf before = BUF_INIT, after = BUF_INIT;
    CHECK_EQ(dump(s, &before), 0);
    store_close(r);
    store_close(s);

    /* And by store_close: reopened, the store has every batch. */
    CHECK_EQ(store_open(path, NULL, &s, NULL), 0);
    CHECK_EQ(store_applied_index(s), 30);
    CHECK_EQ(dump(s, &after), 0);
    CHECK(same(&before, &after));
    store_close(s);
    buf_free(&before);
    buf_free(&after);
    log_free(&l);
    dir_remove(&d);
}

TEST(checkpoint_reports_the_applied_index)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    static struct log l;
    log_workload(&l, 1, 100, 3);
    for (int full = 0; full < 2; full++) {
        struct store_opts o;
        store_opts_default(&o);
        o.sync_full = full;
        struct store *s;
        CHECK_EQ(store_open(path, &o, &s, NULL), 0);
        uint64_t durable = 99;
        CHECK_EQ(store_checkpoint(s, &durable, NULL), 0);
        CHECK_EQ(durable, store_applied_index(s));
        CHECK_EQ(apply_range(s, &l, full ? 50 : 0, full ? 100 : 50, 8), 0);
        CHECK_EQ(store_checkpoint(s, &durable, NULL), 0);
        CHECK_EQ(durable, full ? 100 : 50);
        /* Twice in a row is fine: nothing new to sync. */
        CHECK_EQ(store_checkpoint(s, &durable, NULL), 0);
        CHECK_EQ(durable, full ? 100 : 50);
        /* The durable index is this replica's business: not in the metadata. */
        uint64_t v;
        CHECK_EQ(store_meta_get(s, "durable_index", &v, NULL), ERR_NOTFOUND);
        struct store *r;
        CHECK_EQ(store_open_reader(s, &r, NULL), 0);
        CHECK_EQ(store_checkpoint(r, &durable, NULL), ERR_INVAL);
        store_close(r);
        store_close(s);
    }
    log_free(&l);
    dir_remove(&d);
}

/* A reader of an old state keeps the background checkpoint from taking every frame. The
 * checkpoint's last pass holds the writer's lock while it waits for readers, so it must give up
 * soon — the writer is the event loop — and try again later. */
TEST(a_background_checkpoint_does_not_wait_for_a_long_reader)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char path[128];
    dir_file(&d, "s.db", path, sizeof path);
    static struct log l;
    log_workload(&l, 1, 100, 3);
    struct store_opts o;
    store_opts_default(&o);
    struct store *s;
    CHECK_EQ(store_open(path, &o, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 50, 8), 0);
    sqlite3 *reader;
    CHECK_EQ(sqlite3_open_v2(path, &reader, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CHECK_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM meta", NULL, NULL, NULL),
             SQLITE_OK);
    CHECK_EQ(apply_range(s, &l, 50, 100, 8), 0);

    uint64_t durable = 99, start = clock_mono_ms();
    CHECK_EQ(store_checkpoint_background(path, &durable, NULL), 0);
    CHECK(clock_mono_ms() - start < 1000); /* SQLite's own busy timeout would wait 10 s */
    CHECK_EQ(durable, 0);                   /* the reader's frames could not all be taken */

    CHECK_EQ(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    CHECK_EQ(store_checkpoint_background(path, &durable, NULL), 0);
    CHECK_EQ(durable, 100);
    sqlite3_close(reader);
    store_close(s);
    log_free(&l);
    dir_remove(&d);
}

/* ---- snapshots ---- */

TEST(snapshot_and_restore_reproduce_the_store_exactly)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char src[128], dst[128];
    dir_file(&d, "src.db", src, sizeof src);
    dir_file(&d, "dst.db", dst, sizeof dst);
    static struct log l;
    log_workload(&l, 1, 3000, 4);
    struct store_opts o;
    store_opts_default(&o);
    o.cluster_id = 9;
    o.group_id = 3;
    o.bucket_count = 300;
    struct store *s;
    CHECK_EQ(store_open(src, &o, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 3000, 64), 0);
    struct buf want = BUF_INIT, got = BUF_INIT;
    CHECK_EQ(dump(s, &want), 0);
    uint64_t n_keys;
    CHECK_EQ(kv_count(s, NULL, 0, &n_keys, NULL), 0);
    CHECK(n_keys > 1500);

    /* Small chunks (rows of up to 40 KB span many) and the default size. */
    uint32_t sizes[] = {1000, 4096, 0};
    for (int i = 0; i < 3; i++) {
        static struct chunks cs;
        CHECK_EQ(take_snapshot(s, sizes[i] ? sizes[i] : STORE_SNAPSHOT_CHUNK_BYTES_DEFAULT, &cs),
                 0);
        if (sizes[i] == 1000)
            CHECK(cs.n > 1000);
        struct store_chunk_info info;
        CHECK_EQ(store_chunk_info(cs.c[0].data, cs.c[0].len, &info, NULL), 0);
        CHECK_EQ(info.index, 3000);
        CHECK_EQ(info.seq, 0);
        CHECK_EQ(info.last, cs.n == 1);
        CHECK_EQ(restore_all(dst, &cs), 0);
        chunks_free(&cs);
        struct store *r;
        o.bucket_count = 0;
        CHECK_EQ(store_open(dst, &o, &r, NULL), 0);
        CHECK_EQ(store_applied_index(r), 3000);
        CHECK_EQ(store_applied_term(r), store_applied_term(s));
        CHECK_EQ(store_bucket_count(r), 300);
        CHECK_EQ(store_cluster_id(r), 9);
        CHECK_EQ(dump(r, &got), 0);
        CHECK(same(&want, &got));
        /* The restored store applies the rest of the log like the original. */
        store_close(r);
    }
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.restore", dst);
    CHECK(!file_exists(tmp));
    store_close(s);
    buf_free(&want);
    buf_free(&got);
    log_free(&l);
    dir_remove(&d);
}

TEST(snapshot_is_a_consistent_point_while_apply_goes_on)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char src[128], dst[128], ref[128];
    dir_file(&d, "src.db", src, sizeof src);
    dir_file(&d, "dst.db", dst, sizeof dst);
    dir_file(&d, "ref.db", ref, sizeof ref);
    static struct log l;
    log_workload(&l, 1, 600, 5);
    struct store *s, *r;
    CHECK_EQ(store_open(src, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 300, 16), 0);
    struct store_snapshot *sn;
    CHECK_EQ(store_snapshot_open(s, 1024, &sn, NULL), 0);
    CHECK_EQ(store_snapshot_index(sn), 300);
    /* Half the stream, then more applies (and a checkpoint), then the rest. */
    static struct chunks cs;
    bool done = false;
    for (int i = 0; i < 5; i++) {
        cs.c[cs.n] = (struct buf)BUF_INIT;
        CHECK_EQ(store_snapshot_next(sn, &cs.c[cs.n++], &done, NULL), 0);
    }
    CHECK_EQ(apply_range(s, &l, 300, 600, 16), 0);
    uint64_t durable;
    CHECK_EQ(store_checkpoint(s, &durable, NULL), 0);
    while (!done) {
        cs.c[cs.n] = (struct buf)BUF_INIT;
        CHECK_EQ(store_snapshot_next(sn, &cs.c[cs.n++], &done, NULL), 0);
    }
    struct buf extra = BUF_INIT;
    CHECK_EQ(store_snapshot_next(sn, &extra, &done, NULL), ERR_INVAL);
    store_snapshot_close(sn);
    CHECK_EQ(restore_all(dst, &cs), 0);

    /* It equals a store that applied exactly the first 300 entries. */
    CHECK_EQ(store_open(ref, NULL, &r, NULL), 0);
    CHECK_EQ(apply_range(r, &l, 0, 300, 300), 0);
    struct buf want = BUF_INIT, got = BUF_INIT;
    CHECK_EQ(dump(r, &want), 0);
    store_close(r);
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    CHECK_EQ(dump(r, &got), 0);
    CHECK(same(&want, &got));
    /* ...and catches up from the log to the same state as the source. */
    CHECK_EQ(apply_range(r, &l, 0, 600, 50), 0);
    CHECK_EQ(dump(r, &got), 0);
    CHECK_EQ(dump(s, &want), 0);
    CHECK(same(&want, &got));
    store_close(r);
    store_close(s);
    chunks_free(&cs);
    buf_free(&extra);
    buf_free(&want);
    buf_free(&got);
    log_free(&l);
    dir_remove(&d);
}

TEST(corrupt_reordered_and_foreign_chunks_are_refused)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char src[128], dst[128];
    dir_file(&d, "src.db", src, sizeof src);
    dir_file(&d, "dst.db", dst, sizeof dst);
    static struct log l;
    log_workload(&l, 1, 200, 6);
    struct store *s;
    CHECK_EQ(store_open(src, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 150, 16), 0);
    static struct chunks cs, other;
    CHECK_EQ(take_snapshot(s, 512, &cs), 0);
    CHECK(cs.n > 10);
    CHECK_EQ(apply_range(s, &l, 150, 200, 16), 0);
    CHECK_EQ(take_snapshot(s, 512, &other), 0); /* same size, later index */

    struct store_restore *rs;
    struct errbuf eb;
    CHECK_EQ(store_restore_begin(dst, &rs, &eb), 0);
    CHECK_EQ(store_restore_finish(rs, &eb), ERR_INVAL); /* nothing arrived; frees rs */
    CHECK_EQ(store_restore_begin(dst, &rs, &eb), 0);
    CHECK_EQ(store_restore_chunk(rs, cs.c[1].data, cs.c[1].len, &eb), ERR_CORRUPT);
    CHECK(strstr(eb.msg, "due") != NULL);
    for (uint32_t i = 0; i < cs.n; i++) {
        struct buf *c = &cs.c[i];
        /* Every single flipped bit, somewhere in the chunk, is caught. */
        size_t pos = (i * 37) % c->len;
        c->data[pos] ^= 0x10;
        CHECK_EQ(store_restore_chunk(rs, c->data, c->len, &eb), ERR_CORRUPT);
        c->data[pos] ^= 0x10;
        CHECK_EQ(store_restore_chunk(rs, c->data, c->len - 1, &eb), ERR_CORRUPT);
        if (i > 0) {
            /* The same sequence number from the other snapshot. */
            CHECK_EQ(store_restore_chunk(rs, other.c[i].data, other.c[i].len, &eb), ERR_CORRUPT);
            /* A chunk already taken. */
            CHECK_EQ(store_restore_chunk(rs, cs.c[i - 1].data, cs.c[i - 1].len, &eb), ERR_CORRUPT);
        }
        CHECK_EQ(store_restore_next_seq(rs), i);
        CHECK_EQ(store_restore_chunk(rs, c->data, c->len, &eb), 0);
    }
    CHECK(store_restore_complete(rs));
    CHECK_EQ(store_restore_index(rs), 150);
    CHECK_EQ(store_restore_chunk(rs, cs.c[0].data, cs.c[0].len, &eb), ERR_INVAL);
    CHECK_EQ(store_restore_finish(rs, &eb), 0);

    struct store *r;
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    CHECK_EQ(store_applied_index(r), 150);
    store_close(r);

    /* A chunk whose checksum is right but whose rows are garbage. */
    CHECK_EQ(store_restore_begin(dst, &rs, &eb), 0);
    struct buf forged = BUF_INIT;
    buf_append(&forged, cs.c[0].data, cs.c[0].len);
    forged.data[40] = 0x7f; /* an unknown record type */
    uint32_t crc = crc32c(0, forged.data, forged.len - 4);
    forged.data[forged.len - 4] = (uint8_t)crc;
    forged.data[forged.len - 3] = (uint8_t)(crc >> 8);
    forged.data[forged.len - 2] = (uint8_t)(crc >> 16);
    forged.data[forged.len - 1] = (uint8_t)(crc >> 24);
    CHECK_EQ(store_chunk_info(forged.data, forged.len, &(struct store_chunk_info){0}, NULL), 0);
    CHECK_EQ(store_restore_chunk(rs, forged.data, forged.len, &eb), ERR_CORRUPT);
    CHECK_EQ(store_restore_next_seq(rs), 0);
    store_restore_abort(rs);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.restore", dst);
    CHECK(!file_exists(tmp));

    /* Headers that all agree with each other but not with the rows' own
     * applied index: caught when the restore finishes. */
    CHECK_EQ(store_restore_begin(dst, &rs, &eb), 0);
    for (uint32_t i = 0; i < cs.n; i++) {
        struct buf *c = &cs.c[i];
        c->data[16] ^= 1; /* the low byte of the index */
        uint32_t sum = crc32c(0, c->data, c->len - 4);
        c->data[c->len - 4] = (uint8_t)sum;
        c->data[c->len - 3] = (uint8_t)(sum >> 8);
        c->data[c->len - 2] = (uint8_t)(sum >> 16);
        c->data[c->len - 1] = (uint8_t)(sum >> 24);
        CHECK_EQ(store_restore_chunk(rs, c->data, c->len, &eb), 0);
    }
    CHECK_EQ(store_restore_finish(rs, &eb), ERR_CORRUPT);
    CHECK(strstr(eb.msg, "index 150") != NULL);
    CHECK(!file_exists(tmp));
    /* ...and the store at dst is the one restored before, untouched. */
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    CHECK_EQ(store_applied_index(r), 150);
    store_close(r);

    buf_free(&forged);
    chunks_free(&cs);
    chunks_free(&other);
    store_close(s);
    log_free(&l);
    dir_remove(&d);
}

TEST(snapshot_resumes_from_any_chunk)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char src[128], dst[128];
    dir_file(&d, "src.db", src, sizeof src);
    dir_file(&d, "dst.db", dst, sizeof dst);
    static struct log l;
    log_workload(&l, 1, 300, 7);
    struct store *s;
    CHECK_EQ(store_open(src, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &l, 0, 300, 16), 0);
    static struct chunks cs;
    CHECK_EQ(take_snapshot(s, 300, &cs), 0);
    CHECK(cs.n > 20);

    /* Seek on the snapshot that is still open, forward and back, and on a
     * new snapshot of the same index: the chunks are byte for byte the same. */
    struct store_snapshot *sn, *sn2;
    CHECK_EQ(store_snapshot_open(s, 300, &sn, NULL), 0);
    CHECK_EQ(store_snapshot_open(s, 300, &sn2, NULL), 0);
    struct buf c = BUF_INIT;
    bool done;
    uint64_t seeks[] = {cs.n / 2, 3, cs.n - 1, 0};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(store_snapshot_seek(sn, seeks[i], NULL), 0);
        for (uint64_t k = seeks[i]; k < seeks[i] + 3 && k < cs.n; k++) {
            CHECK_EQ(store_snapshot_next(sn, &c, &done, NULL), 0);
            CHECK(same(&c, &cs.c[k]));
            CHECK_EQ(done, k == cs.n - 1);
        }
    }
    CHECK_EQ(store_snapshot_seek(sn, cs.n, NULL), ERR_RANGE);

    /* A receiver that lost its connection after half the chunks resumes at
     * store_restore_next_seq from another snapshot of the same index. */
    struct store_restore *rs;
    CHECK_EQ(store_restore_begin(dst, &rs, NULL), 0);
    for (uint32_t k = 0; k < cs.n / 2; k++)
        CHECK_EQ(store_restore_chunk(rs, cs.c[k].data, cs.c[k].len, NULL), 0);
    CHECK_EQ(store_snapshot_seek(sn2, store_restore_next_seq(rs), NULL), 0);
    done = false;
    while (!done) {
        CHECK_EQ(store_snapshot_next(sn2, &c, &done, NULL), 0);
        CHECK_EQ(store_restore_chunk(rs, c.data, c.len, NULL), 0);
    }
    store_snapshot_close(sn);
    store_snapshot_close(sn2);
    CHECK_EQ(store_restore_finish(rs, NULL), 0);
    struct store *r;
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    struct buf want = BUF_INIT, got = BUF_INIT;
    CHECK_EQ(dump(s, &want), 0);
    CHECK_EQ(dump(r, &got), 0);
    CHECK(same(&want, &got));
    store_close(r);
    store_close(s);
    chunks_free(&cs);
    buf_free(&c);
    buf_free(&want);
    buf_free(&got);
    log_free(&l);
    dir_remove(&d);
}

TEST(restore_replaces_an_existing_store_and_its_wal)
{
    struct dir d;
    CHECK_EQ(dir_make(&d), 0);
    char src[128], dst[128];
    dir_file(&d, "src.db", src, sizeof src);
    dir_file(&d, "dst.db", dst, sizeof dst);
    static struct log a, b;
    log_workload(&a, 1, 200, 8);
    log_workload(&b, 1, 120, 9);
    struct store *s, *old;
    CHECK_EQ(store_open(src, NULL, &s, NULL), 0);
    CHECK_EQ(apply_range(s, &a, 0, 200, 16), 0);
    CHECK_EQ(store_open(dst, NULL, &old, NULL), 0);
    CHECK_EQ(apply_range(old, &b, 0, 120, 16), 0);
    static struct chunks cs;
    CHECK_EQ(take_snapshot(s, 2048, &cs), 0);

    /* The restore is built while the old store still runs, and swapped in
     * after it is closed. */
    struct store_restore *rs;
    CHECK_EQ(store_restore_begin(dst, &rs, NULL), 0);
    for (uint32_t k = 0; k < cs.n; k++)
        CHECK_EQ(store_restore_chunk(rs, cs.c[k].data, cs.c[k].len, NULL), 0);
    CHECK_EQ(store_applied_index(old), 120);
    store_close(old);
    CHECK_EQ(store_restore_finish(rs, NULL), 0);

    struct store *r;
    CHECK_EQ(store_open(dst, NULL, &r, NULL), 0);
    CHECK_EQ(store_applied_index(r), 200);
    struct buf want = BUF_INIT, got = BUF_INIT;
    CHECK_EQ(dump(s, &want), 0);
    CHECK_EQ(dump(r, &got), 0);
    CHECK(same(&want, &got));
    store_close(r);

    /* A crash image: the old database with frames still in its WAL (copied
     * while a store had it open). The restore must not let that WAL be
     * replayed into the new database. */
    char crashed[128], crashed_wal[160], live_wal[160];
    dir_file(&d, "crashed.db", crashed, sizeof crashed);
    snprintf(crashed_wal, sizeof crashed_wal, "%s-wal", crashed);
    CHECK_EQ(store_open(dst, NULL, &old, NULL), 0);
    static struct log c;
    log_workload(&c, 201, 100, 10);
    CHECK_EQ(apply_range(old, &c, 0, 100, 100), 0);
    snprintf(live_wal, sizeof live_wal, "%s-wal", dst);
    CHECK_EQ(copy_file(dst, crashed), 0);
    CHECK_EQ(copy_file(live_wal, crashed_wal), 0);
    struct stat st;
    CHECK(stat(crashed_wal, &st) == 0 && st.st_size > 0);
    store_close(old);
    log_free(&c);
    CHECK_EQ(restore_all(crashed, &cs), 0);
    CHECK(!file_exists(crashed_wal));
    CHECK_EQ(store_open(crashed, NULL, &r, NULL), 0);
    CHECK_EQ(store_applied_index(r), 200);
    CHECK_EQ(dump(r, &got), 0);
    CHECK(same(&want, &got));
    store_close(r);

    /* An empty store snapshots and restores too. */
    char empty[128], copy[128];
    dir_file(&d, "empty.db", empty, sizeof empty);
    dir_file(&d, "copy.db", copy, sizeof copy);
    struct store *e;
    CHECK_EQ(store_open(empty, NULL, &e, NULL), 0);
    chunks_free(&cs);
    CHECK_EQ(take_snapshot(e, 64, &cs), 0);
    CHECK_EQ(restore_all(copy, &cs), 0);
    CHECK_EQ(store_open(copy, NULL, &r, NULL), 0);
    CHECK_EQ(store_applied_index(r), 0);
    uint64_t n;
    CHECK_EQ(kv_count(r, NULL, 0, &n, NULL), 0);
    CHECK_EQ(n, 0);
    store_close(r);
    store_close(e);

    struct store_snapshot *sn;
    CHECK_EQ(store_snapshot_open(s, STORE_SNAPSHOT_CHUNK_BYTES_MIN - 1, &sn, NULL), ERR_INVAL);
    CHECK_EQ(store_snapshot_open(s, STORE_SNAPSHOT_CHUNK_BYTES_MAX + 1, &sn, NULL), ERR_INVAL);
    store_close(s);
    chunks_free(&cs);
    buf_free(&want);
    buf_free(&got);
    log_free(&a);
    log_free(&b);
    dir_remove(&d);
}

TEST_MAIN()
