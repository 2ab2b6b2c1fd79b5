/* The Raft core's log (src/raft/raft_log.c) on its own: term lookup across the
 * snapshot, durable and unstable parts, conflict search for fast
 * backtracking, slicing under a byte bound, the §5.4.1 comparison and the
 * follower's append. */
#include "test.h"

#include "raft/raft_log.h"
#include "rtest.h"

/* A durable log in mem: snapshot (snap, snap_term), then entries with terms
 * dterms[], then unstable entries with terms uterms[] appended to l. Entry
 * i's data is len_of(i) bytes of (uint8_t)i. */
struct lt {
    struct raft_mem mem;
    struct raft_log l;
};

static uint32_t len_of(uint64_t index)
{
    return (uint32_t)(index * 10 % 70);
}

static void lt_entry(struct raft_entry *e, uint8_t *buf, uint64_t index, uint64_t term)
{
    memset(e, 0, sizeof *e);
    e->index = index;
    e->term = term;
    e->type = RAFT_ENTRY_NORMAL;
    e->len = len_of(index);
    memset(buf, (int)(uint8_t)index, e->len);
    e->data = e->len ? buf : NULL;
}

static void lt_init(struct lt *t, uint64_t snap, uint64_t snap_term, const uint64_t *dterms,
                    uint32_t nd, const uint64_t *uterms, uint32_t nu)
{
    raft_mem_init(&t->mem, NULL, 0);
    t->mem.snap.index = snap;
    t->mem.snap.term = snap_term;
    t->mem.snap.conf.n_voters = 1;
    t->mem.snap.conf.voters[0] = 1;
    static uint8_t buf[64][70];
    struct raft_entry ents[64];
    ASSERT(nd <= 64 && nu <= 64);
    for (uint32_t i = 0; i < nd; i++)
        lt_entry(&ents[i], buf[i], snap + 1 + i, dterms[i]);
    struct raft_ready rd;
    memset(&rd, 0, sizeof rd);
    rd.entries = ents;
    rd.n_entries = nd;
    raft_mem_persist(&t->mem, &rd);
    struct raft_storage st = raft_mem_storage(&t->mem);
    int rc = raft_log_init(&t->l, &st);
    ASSERT(rc == 0);
    for (uint32_t i = 0; i < nu; i++)
        lt_entry(&ents[i], buf[i], snap + nd + 1 + i, uterms[i]);
    rc = raft_log_append(&t->l, ents, nu);
    ASSERT(rc == 0);
}

static void lt_free(struct lt *t)
{
    raft_log_free(&t->l);
    raft_mem_free(&t->mem);
}

/* Term lookup: ERR_COMPACTED below the snapshot, the snapshot's term at it,
 * storage terms, unstable terms, ERR_UNAVAILABLE past the end; and the same
 * around a snapshot received but not yet installed. */
TEST(term_lookup_across_boundaries)
{
    static const uint64_t dterms[] = {3, 4, 4}, uterms[] = {4, 5, 6};
    struct lt t;
    lt_init(&t, 5, 3, dterms, 3, uterms, 3);
    static const struct {
        uint64_t index;
        int rc;
        uint64_t term;
    } rows[] = {
        {0, ERR_COMPACTED, 0},
        {4, ERR_COMPACTED, 0},
        {5, 0, 3},
        {6, 0, 3},
        {7, 0, 4},
        {8, 0, 4},
        {9, 0, 4},
        {10, 0, 5},
        {11, 0, 6},
        {12, ERR_UNAVAILABLE, 0},
        {100, ERR_UNAVAILABLE, 0},
    };
    ROW("log 5(3) | 6..8 | 9..11");
    RCHECK_EQ(raft_log_first_index(&t.l), 6);
    RCHECK_EQ(raft_log_last_index(&t.l), 11);
    RCHECK_EQ(raft_log_last_term(&t.l), 6);
    RCHECK_EQ(raft_log_stable_last(&t.l), 8);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("term at %llu", (unsigned long long)rows[i].index);
        uint64_t term = 99;
        RCHECK_EQ(raft_log_term(&t.l, rows[i].index, &term), rows[i].rc);
        RCHECK_EQ(term, rows[i].term);
        RCHECK_EQ(raft_log_match_term(&t.l, rows[i].index, rows[i].term), rows[i].rc == 0);
    }

    /* A snapshot from the leader replaces everything until installed. */
    struct raft_snapshot_meta meta = {.index = 20, .term = 7, .conf = t.mem.snap.conf};
    raft_log_restore(&t.l, &meta);
    static const struct {
        uint64_t index;
        int rc;
        uint64_t term;
    } pend[] = {{5, ERR_COMPACTED, 0},
                {11, ERR_COMPACTED, 0},
                {19, ERR_COMPACTED, 0},
                {20, 0, 7},
                {21, ERR_UNAVAILABLE, 0}};
    ROW("pending snapshot 20(7)");
    RCHECK_EQ(raft_log_first_index(&t.l), 21);
    RCHECK_EQ(raft_log_last_index(&t.l), 20);
    RCHECK_EQ(raft_log_last_term(&t.l), 7);
    RCHECK_EQ(t.l.committed, 20);
    for (size_t i = 0; i < sizeof pend / sizeof pend[0]; i++) {
        ROW("pending snapshot, term at %llu", (unsigned long long)pend[i].index);
        uint64_t term = 99;
        RCHECK_EQ(raft_log_term(&t.l, pend[i].index, &term), pend[i].rc);
        RCHECK_EQ(term, pend[i].term);
    }
    uint8_t buf[70];
    struct raft_entry e;
    lt_entry(&e, buf, 21, 8);
    RCHECK_EQ(raft_log_append(&t.l, &e, 1), 0);
    uint64_t term;
    RCHECK_EQ(raft_log_term(&t.l, 21, &term), 0);
    RCHECK_EQ(term, 8);
    RCHECK_EQ(raft_log_last_index(&t.l), 21);
    lt_free(&t);
}

/* Conflict search (etcd-raft's TestFindConflictByTerm): the largest index <=
 * the given one whose term is <= the given term; where the log cannot tell
 * (compacted or not there yet) it stops with term 0. Each case runs with its
 * entries durable and again with them in the unstable tail. */
TEST(find_conflict_by_term)
{
    static const struct {
        uint64_t snap, snap_term;
        uint64_t terms[8];
        uint64_t index, term;
        uint64_t want;
    } rows[] = {
        /* log from index 1 */
        {0, 0, {2, 2, 5, 5, 5}, 100, 2, 100},
        {0, 0, {2, 2, 5, 5, 5}, 5, 6, 5},
        {0, 0, {2, 2, 5, 5, 5}, 5, 5, 5},
        {0, 0, {2, 2, 5, 5, 5}, 5, 4, 2},
        {0, 0, {2, 2, 5, 5, 5}, 5, 2, 2},
        {0, 0, {2, 2, 5, 5, 5}, 5, 1, 0},
        {0, 0, {2, 2, 5, 5, 5}, 1, 2, 1},
        {0, 0, {2, 2, 5, 5, 5}, 1, 1, 0},
        {0, 0, {2, 2, 5, 5, 5}, 0, 0, 0},
        /* log after a snapshot at 10 of term 3 */
        {10, 3, {3, 3, 4, 4, 4}, 30, 3, 30},
        {10, 3, {3, 3, 4, 4, 4}, 14, 9, 14},
        {10, 3, {3, 3, 4, 4, 4}, 14, 4, 14},
        {10, 3, {3, 3, 4, 4, 4}, 14, 3, 12},
        {10, 3, {3, 3, 4, 4, 4}, 14, 2, 9},
        {10, 3, {3, 3, 4, 4, 4}, 11, 5, 11},
        {10, 3, {3, 3, 4, 4, 4}, 10, 5, 10},
        {10, 3, {3, 3, 4, 4, 4}, 10, 3, 10},
        {10, 3, {3, 3, 4, 4, 4}, 10, 2, 9},
        {10, 3, {3, 3, 4, 4, 4}, 9, 2, 9},
        {10, 3, {3, 3, 4, 4, 4}, 4, 2, 4},
        {10, 3, {3, 3, 4, 4, 4}, 0, 0, 0},
    };
    for (int unstable = 0; unstable <= 1; unstable++) {
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            ROW("case %zu (%s) at (%llu,%llu)", i, unstable ? "unstable" : "durable",
                (unsigned long long)rows[i].index, (unsigned long long)rows[i].term);
            uint32_t n = rt_count_terms(rows[i].terms);
            struct lt t;
            if (unstable)
                lt_init(&t, rows[i].snap, rows[i].snap_term, NULL, 0, rows[i].terms, n);
            else
                lt_init(&t, rows[i].snap, rows[i].snap_term, rows[i].terms, n, NULL, 0);
            uint64_t idx = 99, term = 99;
            raft_log_find_conflict_by_term(&t.l, rows[i].index, rows[i].term, &idx, &term);
            RCHECK_EQ(idx, rows[i].want);
            uint64_t at;
            uint64_t want_term = raft_log_term(&t.l, idx, &at) == 0 ? at : 0;
            RCHECK_EQ(term, want_term);
            RCHECK(term <= rows[i].term || term == 0);
            lt_free(&t);
        }
    }
}

/* How many entries a slice [lo, hi) bounded by max_bytes and max_n should
 * hold: at least one, then as long as they fit. */
static uint32_t slice_want(uint64_t lo, uint64_t hi, uint64_t max_bytes, uint32_t max_n)
{
    uint32_t n = 0;
    uint64_t bytes = 0;
    for (uint64_t i = lo; i < hi && n < max_n; i++) {
        if (n > 0 && bytes + len_of(i) > max_bytes)
            break;
        bytes += len_of(i);
        n++;
    }
    return n;
}

/* Slices over the durable part, the unstable tail and across both honour
 * max_bytes (always at least one entry) and max_n, and carry the right
 * entries; below the first index they say ERR_COMPACTED. Log: snapshot 2,
 * durable 3..8, unstable 9..14; entry i has (i * 10) % 70 bytes. */
TEST(slice_with_max_bytes)
{
    static const uint64_t dterms[] = {1, 1, 2, 2, 2, 3}, uterms[] = {3, 3, 4, 4, 4, 4};
    struct lt t;
    lt_init(&t, 2, 1, dterms, 6, uterms, 6);
    static const struct {
        uint64_t lo, hi, max_bytes;
        uint32_t max_n;
    } rows[] = {
        {3, 15, UINT64_MAX, 100}, {3, 15, 0, 100},        {3, 15, 30, 100},   {3, 15, 70, 100},
        {3, 15, 71, 100},         {3, 9, 1000, 100},      {9, 15, 1000, 100}, {9, 15, 20, 100},
        {7, 11, 1000, 100},       {7, 11, 60, 100},       {7, 11, 110, 100},  {8, 10, 50, 100},
        {8, 10, 49, 100},         {3, 15, UINT64_MAX, 4}, {5, 13, 150, 3},    {14, 15, 0, 1},
        {6, 6, 100, 100},         {3, 15, 200, 100},      {6, 13, 100, 100},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("slice [%llu,%llu) max_bytes=%llu max_n=%u", (unsigned long long)rows[i].lo,
            (unsigned long long)rows[i].hi, (unsigned long long)rows[i].max_bytes, rows[i].max_n);
        struct raft_entry *out = NULL;
        uint32_t n = 99;
        RCHECK_EQ(raft_log_slice(&t.l, rows[i].lo, rows[i].hi, rows[i].max_bytes, rows[i].max_n,
                                 &out, &n),
                  0);
        RCHECK_EQ(n, slice_want(rows[i].lo, rows[i].hi, rows[i].max_bytes, rows[i].max_n));
        for (uint32_t k = 0; k < n; k++) {
            uint64_t idx = rows[i].lo + k;
            RCHECK_EQ(out[k].index, idx);
            RCHECK_EQ(out[k].term, idx <= 8 ? dterms[idx - 3] : uterms[idx - 9]);
            RCHECK_EQ(out[k].len, len_of(idx));
            for (uint32_t b = 0; b < out[k].len; b++)
                RCHECK_EQ(out[k].data[b], (uint8_t)idx);
        }
        free(out);
    }
    ROW("compacted");
    struct raft_entry *out = NULL;
    uint32_t n = 0;
    RCHECK_EQ(raft_log_slice(&t.l, 2, 5, 100, 100, &out, &n), ERR_COMPACTED);
    RCHECK_EQ(n, 0);
    RCHECK(out == NULL);
    lt_free(&t);
}

/* §5.4.1: a log ending at (index, term) is at least as up to date as ours,
 * which ends at (7, 3), if its last term is higher, or equal with an index
 * at least as high. */
TEST(is_up_to_date)
{
    static const uint64_t dterms[] = {1, 2}, uterms[] = {3, 3};
    struct lt t;
    lt_init(&t, 3, 1, dterms, 2, uterms, 2);
    static const struct {
        uint64_t index, term;
        bool want;
    } rows[] = {{7, 3, true},  {8, 3, true},  {6, 3, false}, {1, 4, true}, {100, 2, false},
                {7, 2, false}, {0, 0, false}, {7, 4, true},  {3, 1, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("(%llu,%llu)", (unsigned long long)rows[i].index, (unsigned long long)rows[i].term);
        RCHECK_EQ(raft_log_is_up_to_date(&t.l, rows[i].index, rows[i].term), rows[i].want);
    }
    lt_free(&t);
}

/* The follower's append: skip what matches, cut at the first conflict,
 * append the rest; a conflict at or below the commit index is ERR_CORRUPT and
 * changes nothing. Log: snapshot 1, durable 2..4 (terms 1, 2, 2), unstable
 * 5..6 (terms 3, 3), committed `commit`. */
TEST(maybe_append)
{
    static const struct {
        uint64_t commit, prev;
        uint64_t terms[5];
        int rc;
        uint64_t last_new;
        uint64_t want[8]; /* terms from index 2 */
    } rows[] = {
        {1, 6, {4}, 0, 7, {1, 2, 2, 3, 3, 4}},
        {1, 4, {3, 3}, 0, 6, {1, 2, 2, 3, 3}},
        {1, 4, {3}, 0, 5, {1, 2, 2, 3, 3}},
        {1, 4, {3, 3, 3}, 0, 7, {1, 2, 2, 3, 3, 3}},
        {1, 4, {4}, 0, 5, {1, 2, 2, 4}},
        {1, 2, {2, 4}, 0, 4, {1, 2, 4}},
        {1, 1, {5}, 0, 2, {5}},
        {3, 2, {2, 4}, 0, 4, {1, 2, 4}},
        {4, 2, {2, 4}, ERR_CORRUPT, 4, {1, 2, 2, 3, 3}},
        {2, 1, {9, 9}, ERR_CORRUPT, 3, {1, 2, 2, 3, 3}},
        {6, 4, {3, 3, 7}, 0, 7, {1, 2, 2, 3, 3, 7}},
        {6, 4, {3, 4}, ERR_CORRUPT, 6, {1, 2, 2, 3, 3}},
        {1, 6, {0}, 0, 6, {1, 2, 2, 3, 3}},
    };
    static const uint64_t dterms[] = {1, 2, 2}, uterms[] = {3, 3};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu: commit=%llu prev=%llu", i, (unsigned long long)rows[i].commit,
            (unsigned long long)rows[i].prev);
        struct lt t;
        lt_init(&t, 1, 1, dterms, 3, uterms, 2);
        t.l.committed = rows[i].commit;
        uint32_t n = rt_count_terms(rows[i].terms);
        struct raft_entry ents[5];
        uint8_t buf[5][70];
        for (uint32_t k = 0; k < n; k++)
            lt_entry(&ents[k], buf[k], rows[i].prev + 1 + k, rows[i].terms[k]);
        uint64_t last_new = 0;
        RCHECK_EQ(raft_log_maybe_append(&t.l, rows[i].prev, ents, n, &last_new), rows[i].rc);
        if (rows[i].rc == 0)
            RCHECK_EQ(last_new, rows[i].last_new);
        uint32_t nw = rt_count_terms(rows[i].want);
        RCHECK_EQ(raft_log_last_index(&t.l), 1 + nw);
        for (uint32_t k = 0; k < nw; k++) {
            uint64_t term;
            RCHECK_EQ(raft_log_term(&t.l, 2 + k, &term), 0);
            RCHECK_EQ(term, rows[i].want[k]);
        }
        lt_free(&t);
    }
}

/* A conflict inside the durable part moves the unstable offset back: the
 * replaced entries are handed to the driver again from there, and once that
 * is durable the offset follows. */
TEST(append_over_durable_part)
{
    static const struct {
        uint64_t at; /* first replaced index */
        uint32_t n;
    } rows[] = {{3, 1}, {3, 4}, {5, 2}, {6, 1}, {2, 6}};
    static const uint64_t dterms[] = {1, 1, 1, 1, 1}; /* 2..6 */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("replace from %llu, %u entries", (unsigned long long)rows[i].at, rows[i].n);
        struct lt t;
        lt_init(&t, 1, 1, dterms, 5, NULL, 0);
        RCHECK_EQ(raft_log_stable_last(&t.l), 6);
        struct raft_entry ents[8];
        uint8_t buf[8][70];
        for (uint32_t k = 0; k < rows[i].n; k++)
            lt_entry(&ents[k], buf[k], rows[i].at + k, 2);
        RCHECK_EQ(raft_log_append(&t.l, ents, rows[i].n), 0);
        uint64_t last = rows[i].at + rows[i].n - 1;
        RCHECK_EQ(raft_log_last_index(&t.l), last);
        RCHECK_EQ(raft_log_stable_last(&t.l), rows[i].at - 1);
        RCHECK_EQ(t.l.hand_next, rows[i].at);
        for (uint64_t idx = 2; idx <= last; idx++) {
            uint64_t term;
            RCHECK_EQ(raft_log_term(&t.l, idx, &term), 0);
            RCHECK_EQ(term, idx < rows[i].at ? 1 : 2);
        }
        /* The driver persists what it was handed; the tail becomes durable. */
        struct raft_ready rd;
        memset(&rd, 0, sizeof rd);
        rd.entries = &t.l.ents[0];
        rd.n_entries = t.l.n;
        raft_mem_persist(&t.mem, &rd);
        t.l.hand_next = last + 1;
        raft_log_stable(&t.l);
        RCHECK_EQ(raft_log_stable_last(&t.l), last);
        RCHECK_EQ(t.l.n, 0);
        for (uint64_t idx = 2; idx <= last; idx++) {
            uint64_t term;
            RCHECK_EQ(raft_log_term(&t.l, idx, &term), 0);
            RCHECK_EQ(term, idx < rows[i].at ? 1 : 2);
        }
        lt_free(&t);
    }
}

TEST_MAIN()
