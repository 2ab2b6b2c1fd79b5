/* Unit tests for src/wal: round trips across segment rolls and reopen, many
 * groups, truncation, snapshots and segment deletion, torn tails at every
 * byte, corruption that must be refused, reads and pointer lifetimes, group
 * commit with the write on another thread, and the raft_storage adapter. */
#include "test.h"

#include <linux/fiemap.h>
#include <linux/fs.h>
#include <pthread.h>
#include <sys/ioctl.h>

#include "base/codec.h"
#include "base/err.h"
#include "raft/raft.h"
#include "wal/wal.h"
#include "wal_test_util.h"

static struct tu_group_model models[4];

static void models_reset(void)
{
    memset(models, 0, sizeof models);
}

TEST(options_are_checked)
{
    const char *dir = tu_new_dir();
    struct wal *w;
    struct errbuf eb;
    struct wal_options o = tu_opts(WAL_SEGMENT_BYTES_MIN - 1, 0);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), ERR_INVAL);
    o.segment_bytes = WAL_SEGMENT_BYTES_MAX + 1;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), ERR_INVAL);
}

TEST(open_empty_preallocates_one_segment_and_locks)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w, *w2;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_count_segments(dir), 1);
    char path[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, 1);
    struct stat st;
    CHECK_EQ(stat(path, &st), 0);
    CHECK_EQ(st.st_size, 8192);
    CHECK_EQ(wal_group_count(w), 0);
    CHECK_EQ(wal_last_index(w, 7), 0);
    CHECK_EQ(wal_first_index(w, 7), 1);
    CHECK_EQ(wal_open(dir, &o, &w2, &eb), ERR_BUSY);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK_EQ(s.torn_bytes_cut, 0);
    CHECK_EQ(s.segments, 1);
    wal_close(w);
}

TEST(round_trip_across_rolls_and_reopen)
{
    models_reset();
    const char *dir = tu_new_dir();
    /* A small cache: most reads after the appends come back from disk. */
    struct wal_options o = tu_opts(4096, 2048);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    struct raft_hard_state hs = {.term = 3, .vote = 2, .commit = 0};
    for (uint64_t i = 1; i < 610; i += 10) {
        CHECK_EQ(tu_append(w, 1, i, i + 10, 3), 0);
        hs.commit = i;
        CHECK_EQ(wal_set_hard_state(w, 1, &hs, &eb), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
    }
    tu_model_append(&models[1], 1, 611, 3);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK(s.segments_created > 5);
    CHECK_EQ(s.segments, tu_count_segments(dir));
    CHECK_EQ(s.pending_bytes, 0);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_get_stats(w, &s);
    CHECK(s.entries_read_disk > 0);
    CHECK(s.cache_bytes <= 2048);
    wal_close(w);

    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    struct wal_group_info gi;
    CHECK_EQ(wal_group_info(w, 1, &gi), 0);
    CHECK_EQ(gi.hs.term, 3);
    CHECK_EQ(gi.hs.vote, 2);
    CHECK_EQ(gi.hs.commit, 601);
    CHECK_EQ(gi.last_index, 610);
    /* Appends continue after the recovered tail, and survive another reopen. */
    CHECK_EQ(tu_append(w, 1, 611, 700, 4), 0);
    tu_model_append(&models[1], 611, 700, 4);
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
}

/* Whether some of [from, to) of file path is preallocated but never written (1) or not (0);
 * -1 when the file system does not say (FIEMAP). */
static int unwritten_in(const char *path, uint64_t from, uint64_t to)
{
    struct {
        struct fiemap fm;
        struct fiemap_extent ext[256];
    } m;
    memset(&m, 0, sizeof m);
    m.fm.fm_start = from;
    m.fm.fm_length = to - from;
    m.fm.fm_flags = FIEMAP_FLAG_SYNC;
    m.fm.fm_extent_count = 256;
    int fd = open(path, O_RDONLY);
    int rc = fd >= 0 ? ioctl(fd, FS_IOC_FIEMAP, &m.fm) : -1;
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        return -1;
    for (uint32_t i = 0; i < m.fm.fm_mapped_extents; i++) {
        const struct fiemap_extent *e = &m.ext[i];
        if ((e->fe_flags & FIEMAP_EXTENT_UNWRITTEN) && e->fe_logical < to &&
            e->fe_logical + e->fe_length > from)
            return 1;
    }
    return 0;
}

/* Appends entries lo..hi-1 of group 1 with 1 KiB of data each (byte k of entry i: i + k). */
static int append_kib(struct wal *w, uint64_t lo, uint64_t hi)
{
    static uint8_t data[1024];
    for (uint64_t i = lo; i < hi; i++) {
        for (uint32_t k = 0; k < sizeof data; k++)
            data[k] = (uint8_t)(i + k);
        struct raft_entry e = {.index = i, .term = 1, .data = data, .len = sizeof data};
        struct errbuf eb;
        if (wal_append_entries(w, 1, &e, 1, &eb) != 0)
            return -1;
    }
    return 0;
}

static bool entries_kib_ok(struct wal *w, uint64_t last)
{
    if (wal_last_index(w, 1) != last)
        return false;
    for (uint64_t i = 1; i <= last; i++) {
        struct raft_entry e;
        uint32_t n;
        struct errbuf eb;
        if (wal_entries(w, 1, i, i + 1, UINT64_MAX, &e, &n, &eb) != 0 || n != 1 ||
            e.len != 1024 || e.data[0] != (uint8_t)i || e.data[1023] != (uint8_t)(i + 1023))
            return false;
        wal_release(w, 1);
    }
    return true;
}

TEST(space_past_the_end_is_written_zeros)
{
    const char *dir = tu_new_dir();
    const uint64_t mib = UINT64_C(1) << 20; /* WAL_ZERO_AHEAD_BYTES (wal_int.h) */
    struct wal_options o = tu_opts(8 * mib, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    char path[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, 1);
    if (unwritten_in(path, 6 * mib, 8 * mib) != 1) {
        fprintf(stderr, "  (this file system does not report unwritten extents: not checked)\n");
        wal_close(w);
        return;
    }
    CHECK_EQ(unwritten_in(path, 0, 2 * mib), 0); /* a new segment: two chunks */
    /* 1,700 entries of 1 KiB, synced in batches: the end is in the second chunk */
    struct raft_hard_state hs = {.term = 1, .vote = 1, .commit = 0};
    for (uint64_t i = 1; i <= 1700; i += 100) {
        CHECK_EQ(append_kib(w, i, i + 100), 0);
        hs.commit = i;
        CHECK_EQ(wal_set_hard_state(w, 1, &hs, &eb), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
    }
    CHECK_EQ(unwritten_in(path, 0, 3 * mib), 0);
    CHECK_EQ(unwritten_in(path, 5 * mib, 8 * mib), 1); /* not the whole segment */
    CHECK(entries_kib_ok(w, 1700));
    wal_close(w);
    /* Recovery keeps it so, and the log reads back whole. */
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(entries_kib_ok(w, 1700));
    CHECK_EQ(unwritten_in(path, 0, 3 * mib), 0);
    wal_close(w);
}

TEST(unsynced_appends_are_lost_on_close)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 1, 5, 1), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 5, 9, 1), 0);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK(s.pending_bytes > 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    tu_model_append(&models[1], 1, 5, 1);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
}

TEST(many_groups_interleaved)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(2048, 4096);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    for (uint64_t round = 0; round < 40; round++) {
        for (uint64_t g = 1; g <= 3; g++) {
            uint64_t lo = models[g].last + 1, hi = lo + 1 + (round + g) % 4;
            uint64_t term = 1 + round / 10 + g;
            CHECK_EQ(tu_append(w, g, lo, hi, term), 0);
            tu_model_append(&models[g], lo, hi, term);
            struct raft_hard_state hs = {.term = term, .vote = g, .commit = lo};
            CHECK_EQ(wal_set_hard_state(w, g, &hs, &eb), 0);
        }
        if (round % 3 == 0)
            CHECK_EQ(wal_sync(w, &eb), 0);
    }
    CHECK_EQ(wal_sync(w, &eb), 0);
    for (uint64_t g = 1; g <= 3; g++)
        CHECK(tu_verify(w, g, &models[g]));
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    uint64_t ids[8];
    CHECK_EQ(wal_group_ids(w, ids, 8), 3);
    CHECK_EQ(ids[0], 1);
    CHECK_EQ(ids[1], 2);
    CHECK_EQ(ids[2], 3);
    CHECK_EQ(wal_group_ids(w, ids, 1), 3); /* reports the count past cap */
    for (uint64_t g = 1; g <= 3; g++) {
        CHECK(tu_verify(w, g, &models[g]));
        struct wal_group_info gi;
        CHECK_EQ(wal_group_info(w, g, &gi), 0);
        CHECK_EQ(gi.hs.vote, g);
        CHECK_EQ(gi.hs.commit, models[g].last - ((39 + g) % 4));
    }
    struct wal_group_info gi;
    CHECK_EQ(wal_group_info(w, 9, &gi), ERR_NOTFOUND);
    wal_close(w);
}

TEST(truncate_suffix_in_memory_on_disk_and_within_a_batch)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 1, 11, 1), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    /* A new leader overwrites 6.. with term 2. */
    CHECK_EQ(tu_append(w, 1, 6, 9, 2), 0);
    tu_model_append(&models[1], 1, 6, 1);
    tu_model_append(&models[1], 6, 9, 2);
    CHECK(tu_verify(w, 1, &models[1]));
    /* And inside one unsynced batch: 9..12 then 8.. again with term 3. */
    CHECK_EQ(tu_append(w, 1, 9, 13, 2), 0);
    CHECK_EQ(tu_append(w, 1, 8, 10, 3), 0);
    tu_model_append(&models[1], 8, 10, 3);
    CHECK(tu_verify(w, 1, &models[1]));
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    uint64_t t;
    CHECK_EQ(wal_term(w, 1, 7, &t), 0);
    CHECK_EQ(t, 2);
    CHECK_EQ(wal_term(w, 1, 10, &t), ERR_UNAVAILABLE);
    wal_close(w);
}

TEST(bad_appends_are_refused_without_effect)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 2, 3, 1), ERR_INVAL); /* gap: a new group starts at 1 */
    CHECK_EQ(wal_group_count(w), 0);
    CHECK_EQ(tu_append(w, 1, 1, 6, 2), 0);
    CHECK_EQ(tu_append(w, 1, 7, 8, 2), ERR_INVAL); /* gap */
    CHECK_EQ(tu_append(w, 1, 6, 7, 1), ERR_INVAL); /* term goes down */
    uint8_t d[4] = {1, 2, 3, 4};
    struct raft_entry e[2] = {{.term = 2, .index = 6, .len = 4, .data = d},
                              {.term = 2, .index = 8, .len = 4, .data = d}};
    CHECK_EQ(wal_append_entries(w, 1, e, 2, &eb), ERR_INVAL); /* not consecutive */
    e[1].index = 7;
    e[1].term = 1;
    CHECK_EQ(wal_append_entries(w, 1, e, 2, &eb), ERR_INVAL); /* term down inside */
    e[0].len = WAL_ENTRY_BYTES_MAX + 1;
    CHECK_EQ(wal_append_entries(w, 1, e, 1, &eb), ERR_TOOBIG);
    e[0].len = 4;
    e[0].data = NULL;
    CHECK_EQ(wal_append_entries(w, 1, e, 1, &eb), ERR_INVAL);
    CHECK_EQ(wal_last_index(w, 1), 5);
    struct raft_hard_state hs = {.term = 5};
    CHECK_EQ(wal_set_hard_state(w, 1, &hs, &eb), 0);
    hs.term = 4;
    CHECK_EQ(wal_set_hard_state(w, 1, &hs, &eb), ERR_INVAL);
    struct raft_snapshot_meta m = {.index = 0};
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), ERR_INVAL);
    m.index = 3;
    m.term = 2;
    m.conf.n_voters = RAFT_VOTERS_MAX + 1;
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), ERR_INVAL);
    m.conf.n_voters = 1;
    m.conf.voters[0] = 1;
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), 0);
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), ERR_STALE);
    CHECK_EQ(tu_append(w, 1, 3, 4, 2), ERR_INVAL); /* at or below the snapshot */
    CHECK_EQ(wal_first_index(w, 1), 4);
    CHECK_EQ(wal_last_index(w, 1), 5);
    wal_close(w);
}

static int count_files(const char *dir)
{
    return tu_count_segments(dir);
}

TEST(snapshot_compacts_and_obsolete_segments_are_deleted)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    /* Group 3 only ever has a hard state, written once at the start. */
    struct raft_hard_state hs3 = {.term = 9, .vote = 3};
    CHECK_EQ(wal_set_hard_state(w, 3, &hs3, &eb), 0);
    for (uint64_t i = 1; i <= 200; i += 20) {
        /* Group 2 first: its entry 1 pins segment 1. */
        CHECK_EQ(tu_append(w, 2, i, i + 20, 1), 0);
        CHECK_EQ(tu_append(w, 1, i, i + 20, 1), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
    }
    tu_model_append(&models[1], 1, 201, 1);
    tu_model_append(&models[2], 1, 201, 1);
    int before = count_files(dir);
    CHECK(before > 10);
    /* Group 1 compacts everything; group 2 still needs the old segments. */
    struct raft_snapshot_meta m1 = {
        .index = 200, .term = 1, .conf = {.n_voters = 1, .voters = {1}}};
    CHECK_EQ(wal_set_snapshot(w, 1, &m1, &eb), 0);
    models[1].snap_index = 200;
    models[1].snap_term = 1;
    CHECK_EQ(wal_sync(w, &eb), 0);
    CHECK_EQ(count_files(dir), before);
    CHECK_EQ(wal_first_index(w, 1), 201);
    CHECK_EQ(wal_last_index(w, 1), 200);
    /* Group 2 compacts up to 190: only the segments with 191..200 stay. */
    struct raft_snapshot_meta m2 = {
        .index = 190,
        .term = 1,
        .conf = {.n_voters = 2, .voters = {1, 2}, .n_learners = 1, .learners = {7}}};
    CHECK_EQ(wal_set_snapshot(w, 2, &m2, &eb), 0);
    models[2].snap_index = 190;
    models[2].snap_term = 1;
    CHECK_EQ(wal_sync(w, &eb), 0);
    int after = count_files(dir);
    CHECK(after < before / 2);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK_EQ(s.segments_deleted, (uint64_t)(before - after));
    CHECK_EQ(s.segments, (uint64_t)after);
    CHECK(tu_verify(w, 1, &models[1]));
    CHECK(tu_verify(w, 2, &models[2]));
    struct raft_entry out[4];
    uint32_t n;
    CHECK_EQ(wal_entries(w, 2, 190, 192, UINT64_MAX, out, &n, &eb), ERR_COMPACTED);
    uint64_t t;
    CHECK_EQ(wal_term(w, 2, 189, &t), ERR_COMPACTED);
    CHECK_EQ(wal_term(w, 2, 190, &t), 0);
    CHECK_EQ(t, 1);
    wal_close(w);

    /* Nothing needed was deleted: every group's state comes back. */
    int orc = wal_open(dir, &o, &w, &eb);
    if (orc != 0)
        fprintf(stderr, "  open: %s\n", eb.msg);
    CHECK_EQ(orc, 0);
    CHECK(tu_verify(w, 1, &models[1]));
    CHECK(tu_verify(w, 2, &models[2]));
    struct wal_group_info gi;
    CHECK_EQ(wal_group_info(w, 3, &gi), 0);
    CHECK_EQ(gi.hs.term, 9);
    CHECK_EQ(gi.hs.vote, 3);
    CHECK_EQ(wal_group_info(w, 2, &gi), 0);
    CHECK_EQ(gi.snap.conf.n_voters, 2);
    CHECK_EQ(gi.snap.conf.voters[1], 2);
    CHECK_EQ(gi.snap.conf.n_learners, 1);
    CHECK_EQ(gi.snap.conf.learners[0], 7);
    CHECK_EQ(wal_group_info(w, 1, &gi), 0);
    CHECK_EQ(gi.snap.index, 200);
    /* Appending after a full compaction continues from the snapshot. */
    CHECK_EQ(tu_append(w, 1, 201, 210, 2), 0);
    tu_model_append(&models[1], 201, 210, 2);
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
}

TEST(snapshot_install_keeps_or_discards_the_log_as_raft_says)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 1, 21, 2), 0);
    CHECK_EQ(tu_append(w, 2, 1, 21, 2), 0);
    /* Group 1: the log has entry 10 with term 2, so 11..20 stay. */
    struct raft_snapshot_meta m = {.index = 10, .term = 2};
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), 0);
    /* Group 2: the snapshot's entry 10 has term 3, ours term 2: all goes. */
    m.term = 3;
    CHECK_EQ(wal_set_snapshot(w, 2, &m, &eb), 0);
    /* Group 3: snapshot beyond the end of an empty log. */
    m.index = 50;
    CHECK_EQ(wal_set_snapshot(w, 3, &m, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    for (int pass = 0; pass < 2; pass++) {
        CHECK_EQ(wal_first_index(w, 1), 11);
        CHECK_EQ(wal_last_index(w, 1), 20);
        CHECK_EQ(wal_first_index(w, 2), 11);
        CHECK_EQ(wal_last_index(w, 2), 10);
        CHECK_EQ(wal_first_index(w, 3), 51);
        CHECK_EQ(wal_last_index(w, 3), 50);
        uint64_t t;
        CHECK_EQ(wal_term(w, 2, 10, &t), 0);
        CHECK_EQ(t, 3);
        wal_close(w);
        CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    }
    models[1].snap_index = 10;
    models[1].snap_term = 2;
    tu_model_append(&models[1], 11, 21, 2);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
}

TEST(dropped_group_is_gone_and_frees_segments)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 5, 1, 100, 1), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    CHECK_EQ(tu_append(w, 6, 1, 3, 1), 0);
    int before = count_files(dir);
    CHECK(before > 3);
    CHECK_EQ(wal_drop_group(w, 5, &eb), 0);
    CHECK_EQ(wal_drop_group(w, 77, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    CHECK(count_files(dir) < before);
    CHECK_EQ(wal_group_count(w), 1);
    CHECK_EQ(wal_last_index(w, 5), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(wal_group_count(w), 1);
    CHECK_EQ(wal_last_index(w, 6), 2);
    /* The id can be used again from scratch. */
    CHECK_EQ(tu_append(w, 5, 1, 4, 7), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    tu_model_append(&models[1], 1, 4, 7);
    CHECK(tu_verify(w, 5, &models[1])); /* slot 1 models group 5 here */
    wal_close(w);
}

TEST(crash_inside_a_roll_then_deletion_keeps_every_group_state)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    /* Groups 2 and 3 have only a hard state, written in segment 1. */
    struct raft_hard_state hs2 = {.term = 4, .vote = 2, .commit = 0};
    struct raft_hard_state hs3 = {.term = 6, .vote = 3, .commit = 0};
    CHECK_EQ(wal_set_hard_state(w, 2, &hs2, &eb), 0);
    CHECK_EQ(wal_set_hard_state(w, 3, &hs3, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 1, 4, 1), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    uint64_t seg0, off0;
    wal_tail(w, &seg0, &off0);
    /* One batch that rolls into segment 2. */
    uint64_t seg1 = seg0, off1 = off0, next = 4;
    while (seg1 == seg0) {
        CHECK_EQ(tu_append(w, 1, next, next + 1, 1), 0);
        next++;
        wal_tail(w, &seg1, &off1);
    }
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(seg1, seg0 + 1);
    /* The crash left segment 2 with only group 1's restated hard state. */
    char path[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, seg1);
    CHECK_EQ(truncate(path, WAL_SEGMENT_HEADER_BYTES + WAL_RECORD_HEADER_BYTES + 8), 0);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    uint64_t last1 = wal_last_index(w, 1);
    CHECK(last1 >= 3 && last1 < next);
    /* Before any new roll restates them, group 1 compacts everything: only
     * the hard states of groups 2 and 3 still need segment 1. */
    struct raft_snapshot_meta m = {.index = last1, .term = 1};
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    CHECK_EQ(tu_count_segments(dir), 2);
    wal_close(w);
    for (int pass = 0; pass < 2; pass++) {
        CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
        struct wal_group_info gi;
        CHECK_EQ(wal_group_info(w, 2, &gi), 0);
        CHECK_EQ(gi.hs.term, 4);
        CHECK_EQ(gi.hs.vote, 2);
        CHECK_EQ(wal_group_info(w, 3, &gi), 0);
        CHECK_EQ(gi.hs.term, 6);
        CHECK_EQ(wal_group_info(w, 1, &gi), 0);
        CHECK_EQ(gi.snap.index, m.index);
        CHECK_EQ(gi.last_index, m.index);
        if (pass == 1) {
            wal_close(w);
            break;
        }
        /* Once later segments restate everyone, the old ones go. */
        for (uint64_t i = m.index + 1; i < m.index + 200; i += 10) {
            CHECK_EQ(tu_append(w, 1, i, i + 10, 1), 0);
            CHECK_EQ(wal_sync(w, &eb), 0);
        }
        m.index += 200;
        CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
        CHECK_EQ(tu_count_segments(dir), 1);
        wal_close(w);
    }
}

/* ---- Torn tails and corruption ---- */

struct torn_fixture {
    const char *dir;
    char path[TU_PATH_BYTES + 32];
    uint64_t p0, p1; /* the last record */
    uint8_t *pristine;
    size_t len;
};

/* Entries 1..19 of group 1 in two synced batches, then entry 20 alone. */
static bool torn_fixture_make(struct torn_fixture *f)
{
    models_reset();
    f->dir = tu_new_dir();
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    if (wal_open(f->dir, &o, &w, &eb) != 0)
        return false;
    bool ok = tu_append(w, 1, 1, 10, 1) == 0 && wal_sync(w, &eb) == 0;
    struct raft_hard_state hs = {.term = 1, .vote = 1, .commit = 9};
    ok = ok && tu_append(w, 1, 10, 20, 1) == 0 && wal_set_hard_state(w, 1, &hs, &eb) == 0 &&
         wal_sync(w, &eb) == 0;
    uint64_t seg;
    wal_tail(w, &seg, &f->p0);
    uint8_t d[100];
    memset(d, 0xab, sizeof d);
    struct raft_entry e = {.term = 1, .index = 20, .len = sizeof d, .data = d};
    ok = ok && wal_append_entries(w, 1, &e, 1, &eb) == 0 && wal_sync(w, &eb) == 0;
    wal_tail(w, &seg, &f->p1);
    wal_close(w);
    tu_model_append(&models[1], 1, 20, 1);
    tu_seg_path(f->path, sizeof f->path, f->dir, 1);
    f->pristine = tu_read_file(f->path, &f->len);
    return ok && seg == 1 && f->p1 - f->p0 == WAL_RECORD_HEADER_BYTES + sizeof d &&
           f->pristine != NULL;
}

/* Opens after damage to the last record: exactly entries 1..19 and the hard
 * state must be there, and appending must work from there on. */
static bool torn_check_recovers(struct torn_fixture *f, bool expect_cut)
{
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    int rc = wal_open(f->dir, &o, &w, &eb);
    if (rc != 0) {
        fprintf(stderr, "  open: %s\n", eb.msg);
        return false;
    }
    bool ok = tu_verify(w, 1, &models[1]);
    struct wal_group_info gi;
    ok = ok && wal_group_info(w, 1, &gi) == 0 && gi.hs.commit == 9;
    struct wal_stats s;
    wal_get_stats(w, &s);
    ok = ok && (s.torn_bytes_cut > 0) == expect_cut;
    uint64_t seg, off;
    wal_tail(w, &seg, &off);
    ok = ok && seg == 1 && off == f->p0;
    ok = ok && tu_append(w, 1, 20, 21, 2) == 0 && wal_sync(w, &eb) == 0;
    wal_close(w);
    ok = ok && wal_open(f->dir, &o, &w, &eb) == 0;
    if (ok) {
        uint64_t t;
        ok = wal_last_index(w, 1) == 20 && wal_term(w, 1, 20, &t) == 0 && t == 2;
        wal_get_stats(w, &s);
        ok = ok && s.torn_bytes_cut == 0;
        wal_close(w);
    }
    return ok;
}

TEST(torn_last_record_cut_at_every_byte)
{
    struct torn_fixture f;
    CHECK(torn_fixture_make(&f));
    for (uint64_t k = f.p0; k < f.p1; k++) {
        /* The file ends inside the record (a short write). */
        CHECK(tu_write_file(f.path, f.pristine, f.len));
        CHECK_EQ(truncate(f.path, (off_t)k), 0);
        if (!torn_check_recovers(&f, k > f.p0)) {
            fprintf(stderr, "  truncated at %" PRIu64 "\n", k);
            CHECK(0);
        }
        /* The record's bytes from k on never reached the disk. */
        CHECK(tu_write_file(f.path, f.pristine, f.len));
        CHECK(tu_zero_range(f.path, k, f.p1));
        if (!torn_check_recovers(&f, k > f.p0)) {
            fprintf(stderr, "  zeroed from %" PRIu64 "\n", k);
            CHECK(0);
        }
        /* A garbled byte in the last record. */
        CHECK(tu_write_file(f.path, f.pristine, f.len));
        CHECK(tu_xor_byte(f.path, k, 0x5a));
        if (!torn_check_recovers(&f, true)) {
            fprintf(stderr, "  byte %" PRIu64 " flipped\n", k);
            CHECK(0);
        }
    }
    free(f.pristine);
}

TEST(garbage_after_the_tail_is_a_torn_write)
{
    struct torn_fixture f;
    CHECK(torn_fixture_make(&f));
    /* Drop the last record and leave junk past the end of the records. */
    CHECK(tu_zero_range(f.path, f.p0, f.p1));
    CHECK(tu_xor_byte(f.path, f.p1 + 500, 0x01));
    CHECK(torn_check_recovers(&f, true));
    free(f.pristine);
}

/* Entries 1..15 of group 1, one record per call, in three synced batches;
 * off[i] is the offset of entry i's record. */
static bool three_batches(const char *dir, uint64_t off[16])
{
    models_reset();
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    if (wal_open(dir, &o, &w, &eb) != 0)
        return false;
    bool ok = true;
    for (uint64_t i = 1; i <= 15 && ok; i++) {
        uint64_t seg;
        wal_tail(w, &seg, &off[i]);
        ok = tu_append(w, 1, i, i + 1, 1) == 0 && seg == 1;
        if (i % 5 == 0)
            ok = ok && wal_sync(w, &eb) == 0;
    }
    wal_close(w);
    tu_model_append(&models[1], 1, 16, 1);
    return ok;
}

TEST(flipped_bit_followed_by_synced_records_is_corruption)
{
    const char *dir = tu_new_dir();
    uint64_t off[16];
    CHECK(three_batches(dir, off));
    char path[TU_PATH_BYTES + 32], name[WAL_SEGMENT_NAME_BYTES];
    tu_seg_path(path, sizeof path, dir, 1);
    tu_seg_name(name, 1);
    size_t len;
    uint8_t *pristine = tu_read_file(path, &len);
    CHECK(pristine != NULL);
    struct wal_options o = tu_opts(8192, 1 << 20);
    /* Every byte of entry 3 (batch 1) and of entry 10 (end of batch 2). */
    uint64_t victims[] = {3, 10};
    for (int v = 0; v < 2; v++) {
        uint64_t at = off[victims[v]];
        for (uint64_t k = at; k < off[victims[v] + 1]; k++) {
            CHECK(tu_write_file(path, pristine, len));
            CHECK(tu_xor_byte(path, k, (uint8_t)(1u << (k % 8))));
            struct wal *w;
            struct errbuf eb;
            CHECK_EQ(wal_open(dir, &o, &w, &eb), ERR_CORRUPT);
            char want[64];
            snprintf(want, sizeof want, "offset %" PRIu64 ":", at);
            if (strstr(eb.msg, name) == NULL || strstr(eb.msg, want) == NULL) {
                fprintf(stderr, "  byte %" PRIu64 ": message \"%s\"\n", k, eb.msg);
                CHECK(0);
            }
        }
    }
    /* Untouched, it opens fine and nothing was changed by the refusals. */
    CHECK(tu_write_file(path, pristine, len));
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
    free(pristine);
}

TEST(flipped_bit_inside_the_final_batch_is_a_torn_write)
{
    /* Entry 12 is damaged but 13..15 of the same, final batch are intact:
     * the disk may keep any pages of a write that was never synced, so this
     * is no proof of corruption and the batch was never acknowledged. */
    const char *dir = tu_new_dir();
    uint64_t off[16];
    CHECK(three_batches(dir, off));
    char path[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, 1);
    CHECK(tu_xor_byte(path, off[12] + 45, 0x10));
    struct wal_options o = tu_opts(8192, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    models[1].last = 11;
    CHECK(tu_verify(w, 1, &models[1]));
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK(s.torn_bytes_cut > 0);
    CHECK(s.torn_bytes_cut <= off[15] + WAL_RECORD_HEADER_BYTES + tu_len(1, 15, 1) - off[12]);
    wal_close(w);
}

/* Group 1 over several 1 KiB segments, synced after each 10 entries. */
static bool many_segments(const char *dir)
{
    models_reset();
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    if (wal_open(dir, &o, &w, &eb) != 0)
        return false;
    bool ok = true;
    for (uint64_t i = 1; i < 110 && ok; i += 10)
        ok = tu_append(w, 1, i, i + 10, 1) == 0 && wal_sync(w, &eb) == 0;
    struct wal_stats s;
    wal_get_stats(w, &s);
    wal_close(w);
    tu_model_append(&models[1], 1, 111, 1);
    return ok && s.segments >= 4;
}

static int open_expect(const char *dir, uint64_t segment_bytes, const char *want1,
                       const char *want2)
{
    struct wal_options o = tu_opts(segment_bytes, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    int rc = wal_open(dir, &o, &w, &eb);
    if (rc == 0) {
        wal_close(w);
        return rc;
    }
    if ((want1 && strstr(eb.msg, want1) == NULL) || (want2 && strstr(eb.msg, want2) == NULL)) {
        fprintf(stderr, "  message \"%s\" lacks \"%s\" / \"%s\"\n", eb.msg, want1,
                want2 ? want2 : "");
        return 1;
    }
    return rc;
}

TEST(damage_in_a_segment_that_is_not_the_last_is_corruption)
{
    const char *dir = tu_new_dir();
    CHECK(many_segments(dir));
    char path[TU_PATH_BYTES + 32], name[WAL_SEGMENT_NAME_BYTES], path2[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, 1);
    tu_seg_path(path2, sizeof path2, dir, 2);
    tu_seg_name(name, 1);
    size_t len;
    uint8_t *pristine = tu_read_file(path, &len);
    CHECK(pristine != NULL);
    size_t len2;
    uint8_t *seg2 = tu_read_file(path2, &len2);
    CHECK(seg2 != NULL);
    uint64_t end1 = codec_get_u64(seg2 + 24);
    CHECK(end1 > WAL_SEGMENT_HEADER_BYTES && end1 <= 1024);

    /* A bit in the last record of segment 1: nothing of its batch follows in
     * that file, yet the next segment exists, so it was synced. */
    CHECK(tu_xor_byte(path, end1 - 3, 0x04));
    CHECK_EQ(open_expect(dir, 1024, name, "not the last"), ERR_CORRUPT);
    /* A bit in the header. */
    CHECK(tu_write_file(path, pristine, len));
    CHECK(tu_xor_byte(path, 20, 0x01));
    CHECK_EQ(open_expect(dir, 1024, name, "offset 0:"), ERR_CORRUPT);
    /* Junk in the preallocated tail of a segment that is not the last. */
    CHECK(tu_write_file(path, pristine, len));
    CHECK(tu_xor_byte(path, len - 1, 0x80));
    CHECK_EQ(open_expect(dir, 1024, name, "not the last"), ERR_CORRUPT);
    /* The last record zeroed out entirely: the next header says where the
     * records ended. */
    CHECK(tu_write_file(path, pristine, len));
    uint64_t last_rec = WAL_SEGMENT_HEADER_BYTES;
    for (uint64_t at = last_rec; at < end1;
         at += WAL_RECORD_HEADER_BYTES + codec_get_u32(pristine + at + 4))
        last_rec = at;
    CHECK(tu_zero_range(path, last_rec, end1));
    CHECK_EQ(open_expect(dir, 1024, name, "records end here"), ERR_CORRUPT);
    /* The file cut short. */
    CHECK(tu_write_file(path, pristine, len));
    CHECK_EQ(truncate(path, (off_t)end1 - 1), 0);
    CHECK_EQ(open_expect(dir, 1024, name, NULL), ERR_CORRUPT);
    /* A whole segment missing. */
    CHECK(tu_write_file(path, pristine, len));
    char moved[TU_PATH_BYTES + 32];
    snprintf(moved, sizeof moved, "%s.moved", dir);
    CHECK_EQ(rename(path2, moved), 0);
    CHECK_EQ(open_expect(dir, 1024, "missing", NULL), ERR_CORRUPT);
    CHECK_EQ(rename(moved, path2), 0);
    /* A file that is not a segment under a segment's name. */
    CHECK(tu_write_file(path, (const uint8_t *)"hello", 5));
    CHECK_EQ(open_expect(dir, 1024, name, NULL), ERR_CORRUPT);
    /* Restored, all is well. */
    CHECK(tu_write_file(path, pristine, len));
    CHECK_EQ(open_expect(dir, 1024, NULL, NULL), 0);
    struct wal *w;
    struct errbuf eb;
    struct wal_options o = tu_opts(1024, 1 << 20);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK(tu_verify(w, 1, &models[1]));
    wal_close(w);
    free(pristine);
    free(seg2);
}

TEST(preallocated_zero_tail_and_leftover_temp_files)
{
    const char *dir = tu_new_dir();
    CHECK(many_segments(dir));
    /* A crash while creating a segment leaves its temporary file. */
    char tmp[TU_PATH_BYTES + 48];
    snprintf(tmp, sizeof tmp, "%s/" WAL_SEGMENT_NAME_FMT ".tmp", dir, (uint64_t)99);
    CHECK(tu_write_file(tmp, (const uint8_t *)"partial", 7));
    struct wal_options o = tu_opts(1024, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK_EQ(s.torn_bytes_cut, 0);
    CHECK(tu_verify(w, 1, &models[1]));
    CHECK(access(tmp, F_OK) != 0);
    wal_close(w);
    /* The last segment, cut to just its records, is preallocated again. */
    uint64_t last = 0;
    for (uint64_t q = 1; q < 100; q++) {
        char p[TU_PATH_BYTES + 32];
        tu_seg_path(p, sizeof p, dir, q);
        if (access(p, F_OK) == 0)
            last = q;
    }
    char p[TU_PATH_BYTES + 32];
    tu_seg_path(p, sizeof p, dir, last);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    uint64_t seg, off;
    wal_tail(w, &seg, &off);
    wal_close(w);
    CHECK_EQ(seg, last);
    CHECK_EQ(truncate(p, (off_t)off), 0);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    wal_get_stats(w, &s);
    CHECK_EQ(s.torn_bytes_cut, 0);
    wal_close(w);
    struct stat st;
    CHECK_EQ(stat(p, &st), 0);
    CHECK_EQ(st.st_size, 1024);
}

/* ---- Reads ---- */

TEST(entries_max_bytes_cache_and_disk)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 300);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    uint8_t d[100];
    struct raft_entry e[20];
    for (int i = 0; i < 20; i++) {
        e[i] = (struct raft_entry){.term = 1, .index = (uint64_t)i + 1, .len = sizeof d, .data = d};
    }
    for (int i = 0; i < 20; i++) {
        memset(d, i + 1, sizeof d);
        CHECK_EQ(wal_append_entries(w, 1, &e[i], 1, &eb), 0);
    }
    /* Nothing is durable yet: everything stays cached, past the bound. */
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK_EQ(s.cache_entries, 20);
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_get_stats(w, &s);
    CHECK_EQ(s.cache_entries, 3);
    CHECK_EQ(s.cache_bytes, 300);

    struct raft_entry out[20];
    uint32_t n;
    CHECK_EQ(wal_entries(w, 1, 1, 21, 250, out, &n, &eb), 0);
    CHECK_EQ(n, 2);
    CHECK_EQ(wal_entries(w, 1, 1, 21, 300, out, &n, &eb), 0);
    CHECK_EQ(n, 3);
    CHECK_EQ(wal_entries(w, 1, 5, 21, 0, out, &n, &eb), 0);
    CHECK_EQ(n, 1); /* always at least one */
    CHECK_EQ(out[0].index, 5);
    CHECK_EQ(wal_entries(w, 1, 4, 4, 0, out, &n, &eb), 0);
    CHECK_EQ(n, 0);
    CHECK_EQ(wal_entries(w, 1, 0, 3, 1000, out, &n, &eb), ERR_COMPACTED);
    CHECK_EQ(wal_entries(w, 1, 19, 22, 1000, out, &n, &eb), ERR_UNAVAILABLE);
    CHECK_EQ(wal_entries(w, 1, 5, 4, 1000, out, &n, &eb), ERR_INVAL);
    CHECK_EQ(wal_entries(w, 1, 1, 21, UINT64_MAX, out, &n, &eb), 0);
    CHECK_EQ(n, 20);
    for (uint32_t i = 0; i < n; i++) {
        CHECK_EQ(out[i].index, i + 1);
        CHECK_EQ(out[i].len, 100);
        for (int k = 0; k < 100; k++)
            CHECK_EQ(out[i].data[k], i + 1);
    }
    wal_get_stats(w, &s);
    CHECK(s.entries_read_disk >= 17);
    /* Until release, the pointers survive truncation, compaction and eviction
     * of what they point at (ASan would catch a use after free). */
    e[0].index = 18;
    e[0].term = 2;
    memset(d, 0xee, sizeof d);
    CHECK_EQ(wal_append_entries(w, 1, &e[0], 1, &eb), 0); /* drops cached 18..20 */
    struct raft_snapshot_meta m = {.index = 10, .term = 1};
    CHECK_EQ(wal_set_snapshot(w, 1, &m, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < 100; k++)
            CHECK_EQ(out[i].data[k], i + 1);
    wal_release(w, 1);
    CHECK_EQ(wal_entries(w, 1, 11, 19, UINT64_MAX, out, &n, &eb), 0);
    CHECK_EQ(n, 8);
    CHECK_EQ(out[7].term, 2);
    CHECK_EQ(out[7].data[0], 0xee);
    CHECK_EQ(out[0].data[0], 11);
    wal_release(w, 1);
    wal_close(w);
}

TEST(read_back_detects_a_record_damaged_after_open)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 0);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    uint64_t seg, off;
    CHECK_EQ(tu_append(w, 1, 1, 3, 1), 0);
    wal_tail(w, &seg, &off);
    uint8_t d[50] = {1};
    struct raft_entry e = {.term = 1, .index = 3, .len = sizeof d, .data = d};
    CHECK_EQ(wal_append_entries(w, 1, &e, 1, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    char path[TU_PATH_BYTES + 32];
    tu_seg_path(path, sizeof path, dir, seg);
    CHECK(tu_xor_byte(path, off + WAL_RECORD_HEADER_BYTES + 7, 0x02));
    struct raft_entry out[3];
    uint32_t n;
    CHECK_EQ(wal_entries(w, 1, 3, 4, UINT64_MAX, out, &n, &eb), ERR_CORRUPT);
    char want[64];
    snprintf(want, sizeof want, "offset %" PRIu64 ":", off);
    CHECK(strstr(eb.msg, want) != NULL);
    wal_release(w, 1);
    wal_close(w);
}

/* ---- Group commit ---- */

static void *flush_thread(void *arg)
{
    struct wal_batch *b = arg;
    return (void *)(intptr_t)wal_flush_write(b);
}

TEST(group_commit_with_the_write_on_another_thread)
{
    models_reset();
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(1 << 20, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    struct wal_batch *b, *b2;
    CHECK_EQ(wal_flush_begin(w, &b), 0);
    CHECK(b == NULL); /* nothing pending */
    CHECK_EQ(tu_append(w, 1, 1, 11, 1), 0);
    tu_model_append(&models[1], 1, 11, 1);
    CHECK_EQ(wal_flush_begin(w, &b), 0);
    CHECK(b != NULL);
    CHECK_EQ(wal_flush_begin(w, &b2), ERR_BUSY);
    CHECK_EQ(wal_sync(w, &eb), ERR_BUSY);
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, flush_thread, b), 0);
    /* Meanwhile the loop thread keeps appending, in many small calls. */
    for (uint64_t i = 11; i < 211; i++) {
        CHECK_EQ(tu_append(w, 1 + i % 3, models[1 + i % 3].last + 1, models[1 + i % 3].last + 2, 1),
                 0);
        tu_model_append(&models[1 + i % 3], models[1 + i % 3].last + 1, models[1 + i % 3].last + 2,
                        1);
    }
    void *ret;
    CHECK_EQ(pthread_join(th, &ret), 0);
    CHECK_EQ((int)(intptr_t)ret, 0);
    CHECK_EQ(wal_flush_end(w, b, 0, &eb), 0);
    struct wal_stats s;
    wal_get_stats(w, &s);
    CHECK_EQ(s.flushes, 1);
    CHECK_EQ(s.syncs, 1);
    CHECK(s.pending_bytes > 200 * WAL_RECORD_HEADER_BYTES);
    uint64_t written = s.bytes_written;
    /* Everything that came in during that write goes out in one more. */
    CHECK_EQ(wal_flush_begin(w, &b), 0);
    CHECK(b != NULL);
    CHECK_EQ(wal_flush_end(w, b, wal_flush_write(b), &eb), 0);
    wal_get_stats(w, &s);
    CHECK_EQ(s.flushes, 2);
    CHECK_EQ(s.syncs, 2);
    CHECK_EQ(s.pending_bytes, 0);
    CHECK(s.bytes_written > written);
    CHECK(s.sync_ns_total >= s.sync_ns_last && s.sync_ns_max >= s.sync_ns_last);
    CHECK(s.sync_ns_last > 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    for (uint64_t g = 1; g <= 3; g++)
        CHECK(tu_verify(w, g, &models[g]));
    CHECK_EQ(models[1].last + models[2].last + models[3].last, 210);
    wal_close(w);
}

TEST(a_failed_write_fails_the_wal)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    CHECK_EQ(tu_append(w, 1, 1, 3, 1), 0);
    struct wal_batch *b;
    CHECK_EQ(wal_flush_begin(w, &b), 0);
    /* The worker reports an I/O error (as on a failed fdatasync). */
    CHECK_EQ(wal_flush_end(w, b, ERR_IO, &eb), ERR_IO);
    CHECK_EQ(tu_append(w, 1, 3, 4, 1), ERR_IO);
    CHECK_EQ(wal_sync(w, &eb), ERR_IO);
    CHECK_EQ(wal_flush_begin(w, &b), ERR_IO);
    wal_close(w);
}

/* ---- raft_storage ---- */

TEST(storage_adapter_serves_raft)
{
    const char *dir = tu_new_dir();
    struct wal_options o = tu_opts(4096, 1 << 20);
    struct wal *w;
    struct errbuf eb;
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    /* Bootstrap as raft.h says: snapshot {1, 1, voters}, empty log. */
    struct raft_snapshot_meta boot = {.index = RAFT_BOOTSTRAP_INDEX, .term = RAFT_BOOTSTRAP_TERM};
    boot.conf.n_voters = 1;
    boot.conf.voters[0] = 1;
    struct raft_hard_state hs = {.term = RAFT_BOOTSTRAP_TERM};
    CHECK_EQ(wal_set_snapshot(w, 42, &boot, &eb), 0);
    CHECK_EQ(wal_set_hard_state(w, 42, &hs, &eb), 0);
    CHECK_EQ(wal_sync(w, &eb), 0);
    wal_close(w);
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);

    struct wal_storage ws;
    struct raft_storage st;
    wal_storage_init(&ws, w, 42, &st);
    CHECK_EQ(st.first_index(st.ctx), 2);
    CHECK_EQ(st.last_index(st.ctx), 1);
    uint64_t t;
    CHECK_EQ(st.term(st.ctx, 1, &t), 0);
    CHECK_EQ(t, 1);
    CHECK_EQ(st.term(st.ctx, 0, &t), ERR_COMPACTED);
    CHECK_EQ(st.term(st.ctx, 2, &t), ERR_UNAVAILABLE);
    struct raft_snapshot_meta m;
    CHECK_EQ(st.snapshot(st.ctx, &m), 0);
    CHECK_EQ(m.conf.voters[0], 1);

    struct wal_group_info gi;
    CHECK_EQ(wal_group_info(w, 42, &gi), 0);
    struct raft_config cfg;
    raft_config_default(&cfg, 1);
    struct raft *r;
    CHECK_EQ(raft_create(&cfg, &st, &gi.hs, gi.snap.index, &r), 0);
    /* A single voter elects itself; its no-op entry goes to the wal. */
    raft_campaign(r);
    for (int round = 0; round < 10 && raft_has_ready(r); round++) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        if (rd.has_snapshot)
            CHECK_EQ(wal_set_snapshot(w, 42, &rd.snapshot, &eb), 0);
        if (rd.n_entries)
            CHECK_EQ(wal_append_entries(w, 42, rd.entries, rd.n_entries, &eb), 0);
        if (rd.has_hard_state)
            CHECK_EQ(wal_set_hard_state(w, 42, &rd.hard_state, &eb), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
        raft_advance(r, &rd);
        wal_release(w, 42);
    }
    uint64_t idx;
    CHECK_EQ(raft_propose(r, "hello", 5, &idx), 0);
    for (int round = 0; round < 10 && raft_has_ready(r); round++) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        if (rd.n_entries)
            CHECK_EQ(wal_append_entries(w, 42, rd.entries, rd.n_entries, &eb), 0);
        if (rd.has_hard_state)
            CHECK_EQ(wal_set_hard_state(w, 42, &rd.hard_state, &eb), 0);
        CHECK_EQ(wal_sync(w, &eb), 0);
        raft_advance(r, &rd);
        wal_release(w, 42);
    }
    struct raft_status rs;
    raft_status(r, &rs);
    CHECK_EQ(rs.role, RAFT_LEADER);
    CHECK_EQ(rs.commit, idx);
    raft_destroy(r);
    wal_close(w);

    /* After a restart the log has the command. */
    CHECK_EQ(wal_open(dir, &o, &w, &eb), 0);
    wal_storage_init(&ws, w, 42, &st);
    CHECK_EQ(st.last_index(st.ctx), idx);
    struct raft_entry out[4];
    uint32_t n;
    CHECK_EQ(st.entries(st.ctx, idx, idx + 1, 0, out, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(out[0].len, 5);
    CHECK(memcmp(out[0].data, "hello", 5) == 0);
    wal_release(w, 42);
    CHECK_EQ(wal_group_info(w, 42, &gi), 0);
    CHECK(gi.hs.term >= 2);
    wal_close(w);
}

TEST_MAIN()
