/* Randomized tests of the WAL: a model-checked random workload with crashes
 * and segment deletion; random garbage and random damage to segment files,
 * which must give a clean error or a valid prefix of what was written; and
 * torn writes of the final batch at sector granularity, which must always
 * recover. A failing run prints its seed; CAIRN_SEED=<n> replays it. */
#include "test.h"

#include "base/codec.h"
#include "base/err.h"
#include "base/log.h"
#include "base/rng.h"
#include "wal/wal.h"
#include "wal/wal_int.h"
#include "wal_test_util.h"

#define FZ_GROUPS       4
#define FZ_FILES_MAX    256
#define FZ_SECTOR_BYTES 512

static uint64_t fz_seed(uint64_t dflt)
{
    const char *s = getenv("CAIRN_SEED");
    return s ? strtoull(s, NULL, 10) : dflt;
}

/* ---- Saving and restoring a directory of segments ---- */

struct fz_file {
    char name[256];
    uint8_t *data;
    size_t len;
};

struct fz_dir {
    struct fz_file files[FZ_FILES_MAX];
    int n;
};

static bool fz_save(const char *dir, struct fz_dir *d)
{
    d->n = 0;
    DIR *dd = opendir(dir);
    if (dd == NULL)
        return false;
    struct dirent *de;
    bool ok = true;
    while ((de = readdir(dd)) != NULL && ok) {
        if (strstr(de->d_name, ".wal") == NULL || d->n == FZ_FILES_MAX)
            continue;
        struct fz_file *f = &d->files[d->n++];
        snprintf(f->name, sizeof f->name, "%s", de->d_name);
        char path[TU_PATH_BYTES + 260];
        snprintf(path, sizeof path, "%s/%s", dir, f->name);
        f->data = tu_read_file(path, &f->len);
        ok = f->data != NULL;
    }
    closedir(dd);
    return ok;
}

static bool fz_restore(const char *dir, const struct fz_dir *d)
{
    DIR *dd = opendir(dir);
    if (dd == NULL)
        return false;
    struct dirent *de;
    while ((de = readdir(dd)) != NULL) {
        if (strstr(de->d_name, ".wal") == NULL)
            continue;
        char path[TU_PATH_BYTES + 260];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(dd);
    for (int i = 0; i < d->n; i++) {
        char path[TU_PATH_BYTES + 260];
        snprintf(path, sizeof path, "%s/%s", dir, d->files[i].name);
        if (!tu_write_file(path, d->files[i].data, d->files[i].len))
            return false;
    }
    return true;
}

static void fz_free(struct fz_dir *d)
{
    for (int i = 0; i < d->n; i++)
        free(d->files[i].data);
    d->n = 0;
}

/* ---- A model of every group ---- */

struct fz_group {
    bool exists;
    struct tu_group_model log;
    uint64_t max_term;
    struct raft_hard_state hs;
    struct raft_conf conf;
};

struct fz_model {
    struct fz_group g[FZ_GROUPS + 1];
};

/* Checks w against the model: groups, hard states, snapshots, every entry. */
static bool fz_verify(struct wal *w, const struct fz_model *m)
{
    uint32_t n = 0;
    for (uint64_t id = 1; id <= FZ_GROUPS; id++) {
        const struct fz_group *g = &m->g[id];
        struct wal_group_info gi;
        int rc = wal_group_info(w, id, &gi);
        if (!g->exists) {
            if (rc != ERR_NOTFOUND) {
                fprintf(stderr, "  group %" PRIu64 " should not exist\n", id);
                return false;
            }
            continue;
        }
        n++;
        if (rc != 0 || gi.hs.term != g->hs.term || gi.hs.vote != g->hs.vote ||
            gi.hs.commit != g->hs.commit || gi.snap.index != g->log.snap_index ||
            gi.snap.term != g->log.snap_term || gi.snap.conf.n_voters != g->conf.n_voters ||
            memcmp(gi.snap.conf.voters, g->conf.voters, sizeof g->conf.voters) != 0) {
            fprintf(stderr, "  group %" PRIu64 ": state differs (rc %d)\n", id, rc);
            return false;
        }
        if (!tu_verify(w, id, &g->log))
            return false;
    }
    if (wal_group_count(w) != n) {
        fprintf(stderr, "  %u groups, want %u\n", wal_group_count(w), n);
        return false;
    }
    return true;
}

static uint64_t fz_term_at(const struct fz_group *g, uint64_t index)
{
    return index == g->log.snap_index ? g->log.snap_term : g->log.terms[index];
}

/* One random operation on w and the model; false on a mismatch. */
static bool fz_step(struct wal *w, struct fz_model *m, struct rng *r)
{
    uint64_t id = 1 + rng_below(r, FZ_GROUPS);
    struct fz_group *g = &m->g[id];
    struct errbuf eb;
    uint64_t op = rng_below(r, 100);
    if (op < 60) {
        /* Append, sometimes over a suffix with a new term. */
        if (g->log.last + 10 >= TU_MODEL_INDEX_MAX)
            return true;
        uint64_t lo = g->log.last + 1;
        uint64_t term = fz_term_at(g, lo - 1);
        if (g->log.last > g->log.snap_index && rng_chance(r, 1, 5)) {
            lo = g->log.snap_index + 1 + rng_below(r, g->log.last - g->log.snap_index);
            term = g->max_term + 1;
        } else if (rng_chance(r, 1, 6)) {
            term = g->max_term + 1;
        }
        if (term == 0)
            term = 1;
        uint64_t n = 1 + rng_below(r, 8);
        if (tu_append(w, id, lo, lo + n, term) != 0)
            return false;
        tu_model_append(&g->log, lo, lo + n, term);
        if (term > g->max_term)
            g->max_term = term;
        g->exists = true;
    } else if (op < 75) {
        struct raft_hard_state hs = g->hs;
        if (hs.term < g->max_term)
            hs.term = g->max_term;
        hs.term += rng_below(r, 2);
        hs.vote = rng_below(r, 4);
        hs.commit = rng_below(r, g->log.last + 1);
        if (wal_set_hard_state(w, id, &hs, &eb) != 0) {
            fprintf(stderr, "  hard state: %s\n", eb.msg);
            return false;
        }
        g->hs = hs;
        g->exists = true;
    } else if (op < 90) {
        struct raft_snapshot_meta meta = {0};
        meta.conf.n_voters = 1 + (uint32_t)rng_below(r, 3);
        for (uint32_t i = 0; i < meta.conf.n_voters; i++)
            meta.conf.voters[i] = 1 + rng_below(r, 9);
        bool compact = g->log.last > g->log.snap_index && rng_chance(r, 3, 4);
        if (compact) {
            /* Local compaction: the entry is there, later ones stay. */
            meta.index = g->log.snap_index + 1 + rng_below(r, g->log.last - g->log.snap_index);
            meta.term = g->log.terms[meta.index];
        } else {
            /* A leader's snapshot that does not match our log: all goes. */
            meta.index = g->log.snap_index + 1 + rng_below(r, g->log.last - g->log.snap_index + 20);
            if (meta.index + 10 >= TU_MODEL_INDEX_MAX)
                return true;
            meta.term = g->max_term + 1;
        }
        if (wal_set_snapshot(w, id, &meta, &eb) != 0) {
            fprintf(stderr, "  snapshot: %s\n", eb.msg);
            return false;
        }
        if (!compact || meta.index > g->log.last)
            g->log.last = meta.index;
        g->log.snap_index = meta.index;
        g->log.snap_term = meta.term;
        if (meta.term > g->max_term)
            g->max_term = meta.term;
        g->conf = meta.conf;
        g->exists = true;
    } else if (op < 93) {
        if (wal_drop_group(w, id, &eb) != 0)
            return false;
        memset(g, 0, sizeof *g);
    } else {
        if (wal_sync(w, &eb) != 0) {
            fprintf(stderr, "  sync: %s\n", eb.msg);
            return false;
        }
        return true;
    }
    return true;
}

TEST(random_workload_with_crashes_matches_the_model)
{
    log_set_level(LOG_ERROR);
    for (uint64_t run = 0; run < 3; run++) {
        uint64_t seed = fz_seed(1000 + run);
        struct rng r;
        rng_seed(&r, seed);
        const char *dir = tu_new_dir();
        /* Tiny segments and cache: rolls, deletions and reads from disk. */
        struct wal_options o = tu_opts(2048 + 1024 * run, 700);
        struct wal *w;
        struct errbuf eb;
        CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
        static struct fz_model m, durable;
        memset(&m, 0, sizeof m);
        memset(&durable, 0, sizeof durable);
        for (int step = 0; step < 1000; step++) {
            uint64_t before_syncs;
            struct wal_stats s;
            wal_get_stats(w, &s);
            before_syncs = s.flushes;
            if (!fz_step(w, &m, &r)) {
                fprintf(stderr, "  seed %" PRIu64 " step %d\n", seed, step);
                CHECK(0);
            }
            wal_get_stats(w, &s);
            if (s.flushes != before_syncs)
                durable = m;
            if (rng_chance(&r, 1, 40)) {
                /* A crash: what was not synced is gone. */
                if (rng_chance(&r, 1, 2)) {
                    CHECK_EQ(wal_sync(w, &eb), 0);
                    durable = m;
                }
                wal_close(w);
                m = durable;
                int rc = wal_open(dir, &o, &w, &eb);
                if (rc != 0) {
                    fprintf(stderr, "  seed %" PRIu64 " step %d: open: %s\n", seed, step, eb.msg);
                    CHECK(0);
                }
                if (!fz_verify(w, &m)) {
                    fprintf(stderr, "  seed %" PRIu64 " step %d after reopen\n", seed, step);
                    CHECK(0);
                }
            }
        }
        CHECK(fz_verify(w, &m));
        /* Compacting everything leaves one segment. */
        for (uint64_t id = 1; id <= FZ_GROUPS; id++) {
            struct fz_group *g = &m.g[id];
            if (!g->exists || g->log.last == g->log.snap_index)
                continue;
            struct raft_snapshot_meta meta = {.index = g->log.last,
                                              .term = g->log.terms[g->log.last]};
            CHECK_EQ(wal_set_snapshot(w, id, &meta, &eb), 0);
        }
        CHECK_EQ(wal_sync(w, &eb), 0);
        struct wal_stats s;
        wal_get_stats(w, &s);
        CHECK_EQ(s.segments, 1);
        CHECK_EQ(tu_count_segments(dir), 1);
        CHECK(s.segments_deleted > 0);
        wal_close(w);
    }
    log_set_level(LOG_INFO);
}

/* ---- Damage ---- */

/* Groups 1..4 over many small segments, synced in rounds; the final round
 * is a batch of several records. *committed is the state before it. */
static bool fz_fixture(const char *dir, struct rng *r, struct fz_model *final,
                       struct fz_model *committed)
{
    memset(final, 0, sizeof *final);
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    if (wal_open(dir, &o, &w, &eb) != 0)
        return false;
    bool ok = true;
    for (int round = 0; round < 25 && ok; round++) {
        if (round == 24)
            *committed = *final;
        int ops = round == 24 ? 6 : 1 + (int)rng_below(r, 4);
        for (int k = 0; k < ops && ok; k++) {
            uint64_t id = 1 + rng_below(r, FZ_GROUPS);
            struct fz_group *g = &final->g[id];
            uint64_t lo = g->log.last + 1, n = 1 + rng_below(r, 3);
            ok = tu_append(w, id, lo, lo + n, 1) == 0;
            tu_model_append(&g->log, lo, lo + n, 1);
            g->max_term = 1;
            g->exists = true;
            if (rng_chance(r, 1, 3)) {
                g->hs.term = 1;
                g->hs.commit = lo;
                ok = ok && wal_set_hard_state(w, id, &g->hs, &eb) == 0;
            }
        }
        ok = ok && wal_sync(w, &eb) == 0;
    }
    wal_close(w);
    return ok;
}

/* After damage, a successful open must hold a prefix of final: the same
 * entries, none invented, hard states from the history. With at_least, no
 * group may have lost anything that at_least holds. */
static bool fz_check_prefix(struct wal *w, const struct fz_model *final,
                            const struct fz_model *at_least)
{
    for (uint64_t id = 1; id <= FZ_GROUPS; id++) {
        const struct fz_group *g = &final->g[id];
        struct wal_group_info gi;
        int rc = wal_group_info(w, id, &gi);
        bool need = at_least && at_least->g[id].exists;
        if (rc == ERR_NOTFOUND) {
            if (need) {
                fprintf(stderr, "  group %" PRIu64 " lost\n", id);
                return false;
            }
            continue;
        }
        if (rc != 0 || !g->exists || gi.snap.index != 0 || gi.last_index > g->log.last ||
            gi.hs.term > g->hs.term || gi.hs.commit > g->hs.commit) {
            fprintf(stderr, "  group %" PRIu64 " is not a prefix\n", id);
            return false;
        }
        if (need && gi.last_index < at_least->g[id].log.last) {
            fprintf(stderr,
                    "  group %" PRIu64 " lost committed entries (%" PRIu64 " < %" PRIu64 ")\n", id,
                    gi.last_index, at_least->g[id].log.last);
            return false;
        }
        struct tu_group_model part = g->log;
        part.last = gi.last_index;
        if (!tu_verify(w, id, &part))
            return false;
    }
    return wal_group_count(w) <= FZ_GROUPS;
}

TEST(damaged_segments_give_a_clean_error_or_a_valid_prefix)
{
    log_set_level(LOG_OFF);
    uint64_t seed = fz_seed(77);
    struct rng r;
    rng_seed(&r, seed);
    const char *dir = tu_new_dir();
    static struct fz_model final, committed;
    CHECK(fz_fixture(dir, &r, &final, &committed));
    static struct fz_dir saved;
    CHECK(fz_save(dir, &saved));
    CHECK(saved.n >= 4);
    struct wal_options o = tu_opts(1024, 1 << 20);
    int outcomes[2] = {0, 0};
    for (int it = 0; it < 400; it++) {
        CHECK(fz_restore(dir, &saved));
        /* Half the time the last segment, where damage may be a torn write. */
        const struct fz_file *f = &saved.files[rng_below(&r, (uint64_t)saved.n)];
        if (rng_chance(&r, 1, 2))
            for (int i = 0; i < saved.n; i++)
                if (strcmp(saved.files[i].name, f->name) > 0)
                    f = &saved.files[i];
        char path[TU_PATH_BYTES + 260];
        snprintf(path, sizeof path, "%s/%s", dir, f->name);
        uint64_t kind = rng_below(&r, 6);
        uint64_t at = rng_below(&r, f->len);
        if (kind <= 2) {
            /* One flipped bit: nothing synced and followed may be lost. */
            CHECK(tu_xor_byte(path, at, (uint8_t)(1u << rng_below(&r, 8))));
        } else if (kind == 3) {
            uint64_t n = 1 + rng_below(&r, 64);
            for (uint64_t i = at; i < at + n && i < f->len; i++)
                CHECK(tu_xor_byte(path, i, (uint8_t)(1 + rng_below(&r, 255))));
        } else if (kind == 4) {
            CHECK_EQ(truncate(path, (off_t)at), 0);
        } else {
            CHECK(tu_zero_range(path, at, at + 1 + rng_below(&r, 200)));
        }
        struct wal *w;
        struct errbuf eb;
        int rc = wal_open(dir, &o, &w, &eb);
        if (rc != 0 && rc != ERR_CORRUPT) {
            fprintf(stderr, "  seed %" PRIu64 " it %d: rc %d %s\n", seed, it, rc, eb.msg);
            CHECK(0);
        }
        outcomes[rc == 0]++;
        if (rc == 0) {
            if (!fz_check_prefix(w, &final, kind <= 2 ? &committed : NULL)) {
                fprintf(stderr, "  seed %" PRIu64 " it %d: %s kind %" PRIu64 " at %" PRIu64 "\n",
                        seed, it, f->name, kind, at);
                CHECK(0);
            }
            wal_close(w);
        }
    }
    /* Both outcomes must have happened, or the test tests little. */
    CHECK(outcomes[0] > 40 && outcomes[1] > 40);
    fz_free(&saved);
    log_set_level(LOG_INFO);
}

TEST(random_garbage_segments_never_crash_recovery)
{
    log_set_level(LOG_OFF);
    uint64_t seed = fz_seed(4242);
    struct rng r;
    rng_seed(&r, seed);
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0); /* creates the directory */
    wal_close(w);
    static uint8_t buf[4096];
    for (int it = 0; it < 400; it++) {
        static struct fz_dir empty;
        CHECK(fz_restore(dir, &empty));
        uint64_t files = 1 + rng_below(&r, 3);
        for (uint64_t seq = 1; seq <= files; seq++) {
            size_t len = (size_t)rng_below(&r, sizeof buf);
            for (size_t i = 0; i < len; i++)
                buf[i] = (uint8_t)rng_next(&r);
            uint64_t style = rng_below(&r, 3);
            if (style >= 1 && len >= WAL_SEGMENT_HEADER_BYTES)
                wal__seg_header_encode(buf, seq, 0, 1024);
            if (style == 2 && len > WAL_SEGMENT_HEADER_BYTES + 8) {
                /* Plausible headers inside the garbage: small lengths, real
                 * types, but no valid checksum. */
                for (size_t p = WAL_SEGMENT_HEADER_BYTES; p + 40 <= len; p += 40 + buf[p + 4]) {
                    buf[p + 4] = (uint8_t)rng_below(&r, 64);
                    buf[p + 5] = buf[p + 6] = buf[p + 7] = 0;
                    buf[p + 8] = (uint8_t)(1 + rng_below(&r, 4));
                    buf[p + 10] = buf[p + 11] = 0;
                    codec_put_u32(buf + p + 12, WAL_SEGMENT_HEADER_BYTES);
                }
            }
            char path[TU_PATH_BYTES + 32];
            tu_seg_path(path, sizeof path, dir, seq);
            CHECK(tu_write_file(path, buf, len));
        }
        int rc = wal_open(dir, &o, &w, &eb);
        if (rc != 0 && rc != ERR_CORRUPT) {
            fprintf(stderr, "  seed %" PRIu64 " it %d: rc %d %s\n", seed, it, rc, eb.msg);
            CHECK(0);
        }
        if (rc == 0) {
            /* Nothing valid was there: an empty log that works. */
            CHECK_EQ(wal_group_count(w), 0);
            CHECK_EQ(tu_append(w, 1, 1, 4, 1), 0);
            CHECK_EQ(wal_sync(w, &eb), 0);
            wal_close(w);
            CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
            CHECK_EQ(wal_last_index(w, 1), 3);
            wal_close(w);
        }
    }
    log_set_level(LOG_INFO);
}

/* ---- Torn writes of the final batch ---- */

TEST(torn_final_batch_at_sector_granularity_always_recovers)
{
    log_set_level(LOG_OFF);
    for (uint64_t variant = 0; variant < 2; variant++) {
        uint64_t seed = fz_seed(9000 + variant);
        struct rng r;
        rng_seed(&r, seed);
        const char *dir = tu_new_dir();
        /* Variant 1's final batch spans a roll into a new segment. */
        uint64_t seg_bytes = variant == 0 ? 65536 : 4096;
        struct wal_options o = tu_opts(seg_bytes, 1 << 20);
        struct wal *w;
        struct errbuf eb;
        CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
        static struct fz_model before, after;
        memset(&before, 0, sizeof before);
        for (uint64_t id = 1; id <= FZ_GROUPS; id++) {
            CHECK_EQ(tu_append(w, id, 1, 6, 1), 0);
            tu_model_append(&before.g[id].log, 1, 6, 1);
            before.g[id].exists = true;
        }
        CHECK_EQ(wal_sync(w, &eb), 0);
        after = before;
        uint64_t seg0, off0, seg1, off1;
        wal_tail(w, &seg0, &off0);
        for (int k = 0; k < 60; k++) {
            uint64_t id = 1 + rng_below(&r, FZ_GROUPS);
            uint64_t lo = after.g[id].log.last + 1;
            CHECK_EQ(tu_append(w, id, lo, lo + 1, 1), 0);
            tu_model_append(&after.g[id].log, lo, lo + 1, 1);
        }
        CHECK_EQ(wal_sync(w, &eb), 0);
        wal_tail(w, &seg1, &off1);
        wal_close(w);
        CHECK(variant == 0 ? seg1 == seg0 : seg1 > seg0);
        /* Only the last segment's share was unsynced at a crash: the part in
         * an earlier one was synced before the new segment was created. */
        uint64_t from = seg1 == seg0 ? off0 : WAL_SEGMENT_HEADER_BYTES;
        char path[TU_PATH_BYTES + 32];
        tu_seg_path(path, sizeof path, dir, seg1);
        static struct fz_dir saved;
        CHECK(fz_save(dir, &saved));
        size_t len;
        uint8_t *pristine = tu_read_file(path, &len);
        CHECK(pristine != NULL);
        int cut = 0;
        for (int it = 0; it < 150; it++) {
            CHECK(fz_restore(dir, &saved));
            uint8_t *img = malloc(len);
            CHECK(img != NULL);
            memcpy(img, pristine, len);
            for (uint64_t s = from / FZ_SECTOR_BYTES * FZ_SECTOR_BYTES; s < off1;
                 s += FZ_SECTOR_BYTES) {
                if (!rng_chance(&r, 1, 3))
                    continue;
                uint64_t lo = s < from ? from : s, hi = s + FZ_SECTOR_BYTES;
                if (hi > off1)
                    hi = off1;
                bool junk = rng_chance(&r, 1, 8); /* a sector half written */
                for (uint64_t i = lo; i < hi; i++)
                    img[i] = junk ? (uint8_t)rng_next(&r) : 0;
            }
            CHECK(tu_write_file(path, img, len));
            free(img);
            int rc = wal_open(dir, &o, &w, &eb);
            if (rc != 0) {
                fprintf(stderr, "  seed %" PRIu64 " it %d: %s\n", seed, it, eb.msg);
                CHECK(0);
            }
            if (!fz_check_prefix(w, &after, &before)) {
                fprintf(stderr, "  seed %" PRIu64 " it %d\n", seed, it);
                CHECK(0);
            }
            struct wal_stats s;
            wal_get_stats(w, &s);
            cut += s.torn_bytes_cut > 0;
            wal_close(w);
        }
        CHECK(cut > 75);
        free(pristine);
        fz_free(&saved);
    }
    log_set_level(LOG_INFO);
}

TEST_MAIN()
