/* Snapshots in the Raft core (§7): a follower behind the leader's compacted
 * log gets a snapshot, installs it through ready.has_snapshot and continues
 * with appends; failed snapshot deliveries are retried after
 * raft_report_snapshot; followers that already have the prefix do not
 * reinstall it. */
#include "test.h"

#include "rtest.h"

/* Compacts node id's stored log up to `keep` entries before its applied
 * index, as a driver would after taking a snapshot. */
static void compact(struct cl *c, uint64_t id, uint64_t keep)
{
    struct raft_snapshot_meta meta;
    int rc = raft_snapshot_meta(cl_node(c, id)->r, &meta);
    ASSERT(rc == 0);
    if (keep > 0) {
        /* An older point: its term and configuration as stored. */
        meta.index -= keep;
        meta.term = rt_term_at(c, id, meta.index);
    }
    raft_mem_compact(&cl_node(c, id)->mem, &meta);
}

/* Node 3 misses `lag` entries; the leader compacts its log past them, so node
 * 3 can only catch up from a snapshot: exactly one goes out, node 3 installs
 * it, and later entries reach it as appends. */
TEST(far_behind_follower_catches_up_from_snapshot)
{
    static const struct {
        uint32_t lag;
        uint64_t keep; /* entries kept before the leader's applied index */
        uint32_t after;
    } rows[] = {{10, 0, 3}, {50, 5, 10}, {600, 0, 1}, {20, 19, 5}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("lag=%u keep=%llu", rows[i].lag, (unsigned long long)rows[i].keep);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        cl_isolate(&c, 3, true);
        raft_report_unreachable(cl_node(&c, 1)->r, 3);
        uint64_t before = cl_status(&c, 3).last_index;
        for (uint32_t k = 0; k < rows[i].lag; k++)
            RCHECK_EQ(rt_propose(&c, 1, "lag", NULL), 0);
        cl_settle(&c);
        compact(&c, 1, rows[i].keep);
        uint64_t snap = cl_node(&c, 1)->mem.snap.index;
        RCHECK(snap > before); /* node 3 needs entries that were compacted */
        cl_isolate(&c, 3, false);
        cl_tick_all(&c, 3);
        RCHECK_EQ(c.n_sent[RAFT_MSG_SNAPSHOT], 1);
        RCHECK_EQ(cl_node(&c, 3)->n_snapshots, 1);
        RCHECK_EQ(cl_node(&c, 3)->mem.snap.index, snap);
        RCHECK_EQ(cl_node(&c, 3)->mem.snap.term, cl_node(&c, 1)->mem.snap.term);
        struct raft_status st = cl_status(&c, 3);
        RCHECK_EQ(st.conf.n_voters, 3);
        RCHECK_EQ(st.last_index, cl_status(&c, 1).last_index);
        RCHECK_EQ(st.applied, cl_status(&c, 1).applied);
        uint64_t appends_before = cl_trace_count(&c, 0, RAFT_MSG_APPEND, 1, 3, true);
        uint64_t idx = 0;
        for (uint32_t k = 0; k < rows[i].after; k++)
            RCHECK_EQ(rt_propose(&c, 1, "after", &idx), 0);
        cl_tick_all(&c, 2);
        RCHECK(cl_trace_count(&c, 0, RAFT_MSG_APPEND, 1, 3, true) > appends_before);
        RCHECK_EQ(c.n_sent[RAFT_MSG_SNAPSHOT], 1);
        RCHECK_EQ(cl_status(&c, 3).applied, idx);
        /* Everything after the snapshot was applied once, in order. */
        struct cl_node *n3 = cl_node(&c, 3);
        for (uint32_t k = 0; k < n3->n_applied; k++)
            RCHECK_EQ(n3->applied[k].index, snap + 1 + k);
        RCHECK_EQ(n3->n_applied, idx - snap);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static uint32_t snapshots_to_drop;

static bool drop_snapshots(struct cl *c, const struct raft_msg *m)
{
    if (m->type == RAFT_MSG_SNAPSHOT && snapshots_to_drop > 0) {
        snapshots_to_drop--;
        return false;
    }
    return true;
}

/* While a snapshot is out, the leader sends that follower nothing more; when
 * the driver reports the delivery failed (or done, though it was lost), the
 * leader probes again, finds the follower still behind the compacted log and
 * sends a new snapshot. */
TEST(report_snapshot_makes_leader_probe_again)
{
    static const struct {
        bool ok;
    } rows[] = {{false}, {true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("report ok=%d", rows[i].ok);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        cl_isolate(&c, 3, true);
        raft_report_unreachable(r, 3);
        for (uint32_t k = 0; k < 20; k++)
            RCHECK_EQ(rt_propose(&c, 1, "x", NULL), 0);
        cl_settle(&c);
        compact(&c, 1, 0);
        cl_isolate(&c, 3, false);
        uint32_t since = c.n_trace;
        snapshots_to_drop = 1;
        c.filter = drop_snapshots;
        cl_tick_all(&c, 2);
        RCHECK_EQ(c.n_sent[RAFT_MSG_SNAPSHOT], 1);
        RCHECK_EQ(snapshots_to_drop, 0);
        uint64_t appends = c.n_sent[RAFT_MSG_APPEND];
        cl_tick_all(&c, 20);
        /* Waiting on the snapshot: no retry, no append to node 3. */
        RCHECK_EQ(c.n_sent[RAFT_MSG_SNAPSHOT], 1);
        RCHECK_EQ(cl_trace_count(&c, since, RAFT_MSG_APPEND, 1, 3, false), 0);
        RCHECK(c.n_sent[RAFT_MSG_APPEND] == appends); /* the others are idle too */
        RCHECK_EQ(cl_node(&c, 3)->n_snapshots, 0);
        raft_report_snapshot(r, 3, rows[i].ok);
        cl_tick_all(&c, 3);
        RCHECK_EQ(c.n_sent[RAFT_MSG_SNAPSHOT], 2);
        RCHECK_EQ(cl_node(&c, 3)->n_snapshots, 1);
        RCHECK_EQ(cl_status(&c, 3).applied, cl_status(&c, 1).applied);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A follower given a snapshot it already has (same index and term in its
 * log, or at or below its commit index) only learns that it is committed;
 * one that conflicts with its log or reaches past it installs it. Its log:
 * 1 (snapshot), 2..5 of terms 1, 1, 2, 2; commit index `commit`. */
TEST(follower_installs_snapshot_only_when_needed)
{
    static const struct {
        uint64_t commit;
        uint64_t snap_index, snap_term;
        bool installs;
        uint64_t want_commit, want_last, resp_index;
    } rows[] = {
        {1, 4, 2, false, 4, 5, 4}, {1, 5, 2, false, 5, 5, 5}, {4, 3, 1, false, 4, 5, 4},
        {4, 4, 2, false, 4, 5, 4}, {1, 4, 3, true, 4, 4, 4},  {1, 9, 3, true, 9, 9, 9},
        {3, 6, 2, true, 6, 6, 6},  {1, 2, 1, false, 2, 5, 2},
    };
    static const uint64_t log[] = {1, 1, 2, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("commit=%llu snapshot=(%llu,%llu)", (unsigned long long)rows[i].commit,
            (unsigned long long)rows[i].snap_index, (unsigned long long)rows[i].snap_term);
        struct cl c;
        cl_setup(&c, 4, 3);
        cl_preload(&c, 1, log, 4);
        cl_preload_hs(&c, 1, 2, RAFT_NONE, rows[i].commit);
        cl_start_all(&c);
        cl_ready_all(&c);
        struct raft_msg m = rt_msg(RAFT_MSG_SNAPSHOT, 2, 1, 3);
        m.snap.index = rows[i].snap_index;
        m.snap.term = rows[i].snap_term;
        m.snap.conf = cl_status(&c, 1).conf;
        m.snap.conf.learners[m.snap.conf.n_learners++] = 4;
        m.index = m.snap.index;
        m.log_term = m.snap.term;
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        struct cl_node *n1 = cl_node(&c, 1);
        RCHECK_EQ(n1->n_snapshots, rows[i].installs ? 1 : 0);
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.commit, rows[i].want_commit);
        RCHECK_EQ(st.last_index, rows[i].want_last);
        RCHECK_EQ(cl_mem_last(&n1->mem), rows[i].want_last);
        /* The configuration comes with an installed snapshot. */
        RCHECK_EQ(raft_conf_is_learner(&st.conf, 4), rows[i].installs);
        if (rows[i].installs) {
            RCHECK_EQ(n1->mem.snap.index, rows[i].snap_index);
            RCHECK_EQ(st.applied, rows[i].snap_index);
        }
        bool ap = false;
        const struct raft_msg *r = cl_queue_get(&c, RAFT_MSG_APPEND_RESP, 1, 2, 0, &ap);
        RCHECK(r != NULL);
        RCHECK(!r->reject);
        RCHECK(ap);
        RCHECK_EQ(r->index, rows[i].resp_index);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Entries that arrive after a snapshot, before it is installed, are persisted
 * with it, but nothing is handed out to apply until the snapshot is in
 * place; then they are applied on top of it. */
TEST(entries_after_pending_snapshot_wait_for_it)
{
    static const struct {
        uint32_t n;
        uint64_t commit;
    } rows[] = {{0, 10}, {1, 11}, {3, 12}, {3, 20}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%u entries, commit %llu", rows[i].n, (unsigned long long)rows[i].commit);
        struct cl c;
        cl_init(&c, 3, 3);
        struct raft *r = cl_node(&c, 1)->r;
        struct raft_mem *mem = &cl_node(&c, 1)->mem;
        struct raft_msg s = rt_msg(RAFT_MSG_SNAPSHOT, 2, 1, 4);
        s.snap.index = 10;
        s.snap.term = 3;
        s.snap.conf = cl_status(&c, 1).conf;
        s.index = 10;
        s.log_term = 3;
        RCHECK_EQ(raft_step(r, &s), 0);
        uint64_t terms[4] = {4, 4, 4, 4};
        struct raft_entry ents[4];
        struct raft_msg a = rt_append(2, 1, 4, 10, 3, rows[i].commit, terms, rows[i].n, ents);
        RCHECK_EQ(raft_step(r, &a), 0);
        struct raft_ready rd;
        raft_ready(r, &rd);
        RCHECK(rd.has_snapshot);
        RCHECK_EQ(rd.snapshot.index, 10);
        RCHECK_EQ(rd.n_entries, rows[i].n);
        RCHECK_EQ(rd.n_committed, 0);
        raft_mem_persist(mem, &rd);
        raft_advance(r, &rd);
        uint64_t last = 10 + rows[i].n;
        uint64_t want = rows[i].commit < last ? rows[i].commit : last;
        RCHECK_EQ(cl_status(&c, 1).applied, 10);
        RCHECK_EQ(cl_status(&c, 1).commit, want);
        uint32_t handed = 0;
        while (raft_has_ready(r)) {
            raft_ready(r, &rd);
            RCHECK(!rd.has_snapshot);
            for (uint32_t k = 0; k < rd.n_committed; k++)
                RCHECK_EQ(rd.committed[k].index, 11 + handed + k);
            handed += rd.n_committed;
            raft_mem_persist(mem, &rd);
            raft_advance(r, &rd);
        }
        RCHECK_EQ(handed, want - 10);
        RCHECK_EQ(cl_status(&c, 1).applied, want);
        cl_free(&c);
    }
}

/* A node added after the leader compacted its log joins from the snapshot,
 * then learns its own membership from the entries after it. */
TEST(new_member_joins_after_compaction)
{
    static const struct {
        uint8_t op;
    } rows[] = {{RAFT_CONF_ADD_LEARNER}, {RAFT_CONF_ADD_VOTER}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("op=%u", rows[i].op);
        struct cl c;
        cl_init(&c, 4, 3);
        RCHECK(cl_elect(&c, 1));
        for (uint32_t k = 0; k < 30; k++)
            RCHECK_EQ(rt_propose(&c, 1, "x", NULL), 0);
        cl_settle(&c);
        compact(&c, 1, 0);
        struct raft_conf_change cc = {.op = rows[i].op, .node = 4};
        uint64_t at;
        RCHECK_EQ(raft_propose_conf(cl_node(&c, 1)->r, &cc, &at), 0);
        cl_tick_all(&c, 4);
        RCHECK_EQ(cl_node(&c, 4)->n_snapshots, 1);
        RCHECK_EQ(cl_node(&c, 4)->mem.snap.index, cl_node(&c, 1)->mem.snap.index);
        RCHECK(cl_status(&c, 4).applied >= at);
        if (rows[i].op == RAFT_CONF_ADD_VOTER)
            RCHECK(rt_voter(&c, 4, 4));
        else
            RCHECK(rt_learner(&c, 4, 4));
        RCHECK_EQ(cl_status(&c, 4).last_index, cl_status(&c, 1).last_index);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* raft_snapshot_meta describes the applied state: its index, term and the
 * configuration in force, changes included. */
TEST(snapshot_meta_matches_applied_state)
{
    struct cl c;
    cl_init(&c, 4, 3);
    ROW("after changes");
    RCHECK(cl_elect(&c, 1));
    struct raft_conf_change cc = {.op = RAFT_CONF_ADD_LEARNER, .node = 4};
    RCHECK_EQ(raft_propose_conf(cl_node(&c, 1)->r, &cc, NULL), 0);
    cl_tick_all(&c, 3);
    RCHECK_EQ(rt_propose(&c, 1, "x", NULL), 0);
    cl_tick_all(&c, 2);
    for (uint64_t id = 1; id <= 4; id++) {
        struct raft_snapshot_meta meta;
        RCHECK_EQ(raft_snapshot_meta(cl_node(&c, id)->r, &meta), 0);
        struct raft_status st = cl_status(&c, id);
        RCHECK_EQ(meta.index, st.applied);
        RCHECK_EQ(meta.term, rt_term_at(&c, id, meta.index));
        RCHECK_EQ(meta.conf.n_voters, 3);
        RCHECK_EQ(meta.conf.n_learners, 1);
        RCHECK(raft_conf_is_learner(&meta.conf, 4));
    }
    CHECK_SAFE(&c);
    cl_free(&c);
}

TEST_MAIN()
