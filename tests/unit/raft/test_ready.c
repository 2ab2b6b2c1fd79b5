/* The ready/advance contract of the Raft core: one ready outstanding at a
 * time, every pointer in it valid until raft_advance even when the replica
 * keeps stepping messages that truncate or replace what the ready carries,
 * and the durable log ends up as the protocol says. Run under ASan. */
#include "test.h"

#include "rtest.h"

#define SNAP_BYTES_MAX 4096

/* Everything a ready points at, copied at raft_ready time. */
struct snapshot_of_ready {
    uint8_t bytes[SNAP_BYTES_MAX];
    uint32_t n;
};

static void note_bytes(struct snapshot_of_ready *s, const void *p, uint32_t len)
{
    ASSERT(s->n + len <= SNAP_BYTES_MAX);
    if (len)
        memcpy(s->bytes + s->n, p, len);
    s->n += len;
}

static void note_ready(struct snapshot_of_ready *s, const struct raft_ready *rd)
{
    s->n = 0;
    for (uint32_t i = 0; i < rd->n_entries; i++) {
        note_bytes(s, &rd->entries[i].index, sizeof rd->entries[i].index);
        note_bytes(s, rd->entries[i].data, rd->entries[i].len);
    }
    for (uint32_t i = 0; i < rd->n_committed; i++)
        note_bytes(s, rd->committed[i].data, rd->committed[i].len);
    for (uint32_t i = 0; i < rd->n_msgs; i++)
        for (uint32_t k = 0; k < rd->msgs[i].n_entries; k++)
            note_bytes(s, rd->msgs[i].entries[k].data, rd->msgs[i].entries[k].len);
    for (uint32_t i = 0; i < rd->n_msgs_after_persist; i++)
        for (uint32_t k = 0; k < rd->msgs_after_persist[i].n_entries; k++)
            note_bytes(s, rd->msgs_after_persist[i].entries[k].data,
                       rd->msgs_after_persist[i].entries[k].len);
}

static void drain(struct cl *c, uint64_t id)
{
    struct raft *r = cl_node(c, id)->r;
    for (int k = 0; k < 100 && raft_has_ready(r); k++) {
        struct raft_ready rd;
        raft_ready(r, &rd);
        raft_mem_persist(&cl_node(c, id)->mem, &rd);
        raft_advance(r, &rd);
    }
}

static struct raft_msg append_with_data(uint64_t from, uint64_t term, uint64_t prev,
                                        uint64_t prev_term, uint64_t commit, const uint64_t *terms,
                                        uint32_t n, struct raft_entry *ents, uint8_t (*data)[8])
{
    struct raft_msg m = rt_append(from, 1, term, prev, prev_term, commit, terms, n, ents);
    for (uint32_t i = 0; i < n; i++) {
        memset(data[i], (int)('a' + (prev + 1 + i) % 26), 8);
        ents[i].len = 8;
        ents[i].data = data[i];
    }
    return m;
}

/* A follower's ready holds entries 2..6 (term 2) when something arrives that
 * changes its log: a new leader's conflicting append, a snapshot, or more
 * entries. The outstanding ready stays readable (ASan would see a
 * use-after-free), no second ready is offered, and after the driver persisted
 * it and advanced, the next readies bring the log to what the last message
 * says. */
TEST(follower_ready_survives_log_changes)
{
    enum { CONFLICT_IN_HANDED, CONFLICT_AT_START, SNAPSHOT, MORE, STALE };
    static const struct {
        int event;
        const char *name;
        uint64_t want_last;
        uint64_t want_terms[8]; /* from index 2 */
        uint64_t want_snap;
    } rows[] = {
        {CONFLICT_IN_HANDED, "new leader cuts at 4", 5, {2, 2, 3, 3}, 1},
        {CONFLICT_AT_START, "new leader cuts at 2", 3, {3, 3}, 1},
        {SNAPSHOT, "snapshot at 9", 9, {0}, 9},
        {MORE, "more entries", 8, {2, 2, 2, 2, 2, 2, 2}, 1},
        {STALE, "stale append", 6, {2, 2, 2, 2, 2}, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%s", rows[i].name);
        struct cl c;
        cl_init(&c, 3, 3);
        struct raft *r = cl_node(&c, 1)->r;
        static const uint64_t t2[] = {2, 2, 2, 2, 2, 2, 2};
        struct raft_entry ents[8];
        uint8_t data[8][8];
        struct raft_msg a = append_with_data(2, 2, 1, 1, 1, t2, 5, ents, data);
        RCHECK_EQ(raft_step(r, &a), 0);
        struct raft_ready rd;
        raft_ready(r, &rd);
        RCHECK_EQ(rd.n_entries, 5);
        static struct snapshot_of_ready before, after;
        note_ready(&before, &rd);

        struct raft_msg m;
        switch (rows[i].event) {
        case CONFLICT_IN_HANDED: {
            static const uint64_t t3[] = {3, 3};
            m = append_with_data(3, 3, 3, 2, 1, t3, 2, ents, data);
            break;
        }
        case CONFLICT_AT_START: {
            static const uint64_t t3[] = {3, 3};
            m = append_with_data(3, 3, 1, 1, 1, t3, 2, ents, data);
            break;
        }
        case SNAPSHOT:
            m = rt_msg(RAFT_MSG_SNAPSHOT, 3, 1, 3);
            m.snap.index = 9;
            m.snap.term = 3;
            m.snap.conf = cl_status(&c, 1).conf;
            m.index = 9;
            m.log_term = 3;
            break;
        case MORE:
            m = append_with_data(2, 2, 6, 2, 1, t2, 2, ents, data);
            break;
        default:
            m = append_with_data(2, 2, 1, 1, 1, t2, 2, ents, data);
            break;
        }
        RCHECK_EQ(raft_step(r, &m), 0);
        RCHECK(!raft_has_ready(r)); /* one ready at a time */
        note_ready(&after, &rd);
        RCHECK_EQ(after.n, before.n);
        RCHECK(memcmp(after.bytes, before.bytes, before.n) == 0);
        raft_mem_persist(&cl_node(&c, 1)->mem, &rd);
        raft_advance(r, &rd);
        drain(&c, 1);
        const struct raft_mem *mem = &cl_node(&c, 1)->mem;
        RCHECK_EQ(cl_mem_last(mem), rows[i].want_last);
        RCHECK_EQ(cl_status(&c, 1).last_index, rows[i].want_last);
        RCHECK_EQ(mem->snap.index, rows[i].want_snap);
        for (uint32_t k = 0; k < rt_count_terms(rows[i].want_terms); k++)
            RCHECK_EQ(cl_mem_term(mem, 2 + k), rows[i].want_terms[k]);
        cl_free(&c);
    }
}

/* A leader's ready carries its new entries and the appends that ship them
 * (pointing at the same data). Before the driver is done with it, the leader
 * is deposed and the new leader's append cuts those entries off. The ready's
 * messages and entries stay readable, and the log ends as the new leader's. */
TEST(leader_ready_survives_being_deposed)
{
    static const uint32_t counts[] = {1, 3, 20};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        ROW("%u proposals in flight", counts[i]);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        uint64_t base = cl_status(&c, 1).last_index, term = cl_status(&c, 1).term;
        for (uint32_t k = 0; k < counts[i]; k++)
            RCHECK_EQ(raft_propose(r, "payload!", 8, NULL), 0);
        struct raft_ready rd;
        raft_ready(r, &rd);
        RCHECK_EQ(rd.n_entries, counts[i]);
        RCHECK(rd.n_msgs >= 2);
        static struct snapshot_of_ready before, after;
        note_ready(&before, &rd);
        /* Node 2 won term+1 with node 3 and overwrites from base+1. */
        uint64_t terms[2] = {term + 1, term + 1};
        struct raft_entry ents[2];
        uint8_t data[2][8];
        struct raft_msg m = append_with_data(2, term + 1, base, term, base, terms, 2, ents, data);
        RCHECK_EQ(raft_step(r, &m), 0);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_FOLLOWER);
        note_ready(&after, &rd);
        RCHECK_EQ(after.n, before.n);
        RCHECK(memcmp(after.bytes, before.bytes, before.n) == 0);
        raft_mem_persist(&cl_node(&c, 1)->mem, &rd);
        raft_advance(r, &rd);
        drain(&c, 1);
        const struct raft_mem *mem = &cl_node(&c, 1)->mem;
        RCHECK_EQ(cl_mem_last(mem), base + 2);
        RCHECK_EQ(cl_mem_term(mem, base + 1), term + 1);
        RCHECK_EQ(cl_mem_term(mem, base + 2), term + 1);
        cl_free(&c);
    }
}

/* Committed entries handed in a ready stay readable until raft_advance, even
 * when the driver compacts nothing and the replica steps more messages. */
TEST(committed_entries_readable_until_advance)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("follower applying");
    struct raft *r = cl_node(&c, 1)->r;
    static const uint64_t t2[] = {2, 2, 2, 2};
    struct raft_entry ents[4];
    uint8_t data[4][8];
    struct raft_msg a = append_with_data(2, 2, 1, 1, 1, t2, 4, ents, data);
    RCHECK_EQ(raft_step(r, &a), 0);
    drain(&c, 1);
    struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 2, 1, 2);
    hb.commit = 5;
    RCHECK_EQ(raft_step(r, &hb), 0);
    struct raft_ready rd;
    raft_ready(r, &rd);
    RCHECK_EQ(rd.n_committed, 4);
    static struct snapshot_of_ready before, after;
    note_ready(&before, &rd);
    static const uint64_t t3[] = {3};
    a = append_with_data(3, 3, 5, 2, 5, t3, 1, ents, data);
    RCHECK_EQ(raft_step(r, &a), 0);
    note_ready(&after, &rd);
    RCHECK_EQ(after.n, before.n);
    RCHECK(memcmp(after.bytes, before.bytes, before.n) == 0);
    for (uint32_t k = 0; k < rd.n_committed; k++)
        RCHECK_EQ(rd.committed[k].data[0], (uint8_t)('a' + (2 + k) % 26));
    raft_mem_persist(&cl_node(&c, 1)->mem, &rd);
    raft_advance(r, &rd);
    drain(&c, 1);
    RCHECK_EQ(cl_status(&c, 1).applied, 5);
    RCHECK_EQ(cl_status(&c, 1).last_index, 6);
    cl_free(&c);
}

TEST_MAIN()
