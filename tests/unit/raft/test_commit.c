/* The commit rule of the Raft core (§5.3, §5.4.2, Figure 8): what a leader may
 * commit by counting replicas, what it commits indirectly, what followers
 * commit, and when committed entries may be handed to the application. */
#include "test.h"

#include "rtest.h"

/* §5.4.2: node 1 leads term 4 with entries 2 and 3 of term 2 and its no-op 4
 * of term 4. A follower acknowledging up to index k gives a quorum of k; the
 * leader commits k only if entry k is of term 4, which then commits all
 * before it. RAFT_BREAK_COMMIT_RULE commits by counting, which this tells
 * apart. */
TEST(leader_commits_by_counting_only_entries_of_its_term)
{
    static const struct {
        unsigned breaks;
        uint64_t ack;
        uint64_t want_commit;
    } rows[] = {
        {0, 2, 1},
        {0, 3, 1},
        {0, 4, 4},
        {RAFT_BREAK_COMMIT_RULE, 2, 2},
        {RAFT_BREAK_COMMIT_RULE, 3, 3},
        {RAFT_BREAK_COMMIT_RULE, 4, 4},
    };
    static const uint64_t log[] = {2, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("breaks=%u ack=%llu", rows[i].breaks, (unsigned long long)rows[i].ack);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.breaks = rows[i].breaks;
        cl_preload(&c, 1, log, 2);
        cl_preload_hs(&c, 1, 3, RAFT_NONE, 1);
        cl_start_all(&c);
        RCHECK(cl_elect_hops(&c, 1));
        cl_queue_clear(&c); /* the new leader's appends are lost */
        RCHECK_EQ(cl_status(&c, 1).term, 4);
        RCHECK_EQ(cl_status(&c, 1).last_index, 4);
        RCHECK_EQ(cl_status(&c, 1).commit, 1);
        struct raft_msg m = rt_msg(RAFT_MSG_APPEND_RESP, 2, 1, 4);
        m.index = rows[i].ack;
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].want_commit);
        cl_ready_all(&c);
        /* What is committed is applied, in order, and nothing more. */
        struct cl_node *n1 = cl_node(&c, 1);
        RCHECK_EQ(cl_status(&c, 1).applied, rows[i].want_commit);
        RCHECK_EQ(n1->n_applied, rows[i].want_commit - 1);
        for (uint32_t k = 0; k < n1->n_applied; k++)
            RCHECK_EQ(n1->applied[k].index, 2 + k);
        /* A further acknowledgement of the no-op commits everything. */
        m.index = 4;
        m.from = 3;
        m.to = 1;
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, 4);
        RCHECK_EQ(cl_status(&c, 1).applied, 4);
        cl_free(&c);
    }
}

/* Figure 8 of the Raft paper, played out on five nodes. (a)-(b) happened
 * before the start: entry 2 of term 2 sits on S1, S2, S3; S5 holds a
 * conflicting entry 2 of term 3. (c) S1 leads term 4 and learns that a
 * majority holds entry 2 before its own no-op gets anywhere; (d) S1 crashes
 * and S5 wins term 5 (its last term 3 beats 2) and overwrites entry 2
 * everywhere. Safe only if S1 did not commit entry 2 in (c): with
 * RAFT_BREAK_COMMIT_RULE it does, and two nodes apply different entries at
 * index 2, which the cluster's checks must see. */
TEST(figure_8_earlier_term_entry_not_committed_by_replica_count)
{
    static const struct {
        unsigned breaks;
        bool safe;
    } rows[] = {{0, true}, {RAFT_BREAK_COMMIT_RULE, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("breaks=%u", rows[i].breaks);
        struct cl c;
        cl_setup(&c, 5, 5);
        c.base_cfg.breaks = rows[i].breaks;
        c.base_cfg.pre_vote = false;
        c.base_cfg.check_quorum = false;
        static const uint64_t t2[] = {2}, t3[] = {3};
        for (uint64_t id = 1; id <= 3; id++)
            cl_preload(&c, id, t2, 1);
        cl_preload(&c, 5, t3, 1);
        cl_preload_hs(&c, 1, 3, RAFT_NONE, 1);
        cl_preload_hs(&c, 2, 2, RAFT_NONE, 1);
        cl_preload_hs(&c, 3, 3, 5, 1);
        cl_preload_hs(&c, 4, 3, 5, 1);
        cl_preload_hs(&c, 5, 3, 5, 1);
        for (uint64_t id = 1; id <= 4; id++)
            cl_start_node(&c, id);

        /* (c) */
        RCHECK(cl_elect_hops(&c, 1));
        cl_queue_clear(&c);
        RCHECK_EQ(cl_status(&c, 1).term, 4);
        for (uint64_t id = 2; id <= 3; id++) {
            struct raft_msg ack = rt_msg(RAFT_MSG_APPEND_RESP, id, 1, 4);
            ack.index = 2; /* true: they hold entry 2 of term 2 */
            RCHECK_EQ(cl_step(&c, 1, &ack), 0);
        }
        cl_ready_all(&c);
        cl_queue_clear(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].safe ? 1 : 2);

        /* (d) */
        cl_crash(&c, 1);
        cl_start_node(&c, 5);
        for (int k = 0; k < 4 && cl_leader(&c) != 5; k++) {
            raft_campaign(cl_node(&c, 5)->r);
            cl_settle(&c);
        }
        RCHECK_EQ(cl_leader(&c), 5);
        RCHECK_EQ(cl_status(&c, 5).term, 5);
        cl_tick_all(&c, 2);
        for (uint64_t id = 2; id <= 5; id++) {
            RCHECK_EQ(rt_term_at(&c, id, 2), 3);
            RCHECK_EQ(cl_status(&c, id).applied, 3);
        }
        RCHECK_EQ(c.n_violations == 0, rows[i].safe);
        if (!rows[i].safe)
            RCHECK(strstr(c.violation, "state machine safety") != NULL);
        cl_free(&c);
    }
}

/* §5.4.2 the other way round: once an entry of the new leader's term is
 * committed, every earlier entry is committed and applied, in order, on
 * every node. */
TEST(leader_commits_preceding_entries_with_its_own)
{
    static const struct {
        uint64_t log[8];
    } rows[] = {{{0}}, {{2}}, {{1, 2}}, {{1, 1, 1}}, {{2, 3, 3, 5}}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint32_t n = rt_count_terms(rows[i].log);
        ROW("log of %u entries", n);
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload(&c, 1, rows[i].log, n);
        cl_preload_hs(&c, 1, n ? rows[i].log[n - 1] : 1, RAFT_NONE, 1);
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t last = 2 + n; /* the no-op */
        for (uint64_t id = 1; id <= 3; id++) {
            struct cl_node *nd = cl_node(&c, id);
            RCHECK_EQ(cl_status(&c, id).commit, last);
            RCHECK_EQ(nd->n_applied, last - 1);
            for (uint32_t k = 0; k < nd->n_applied; k++) {
                RCHECK_EQ(nd->applied[k].index, 2 + k);
                RCHECK_EQ(nd->applied[k].term, k < n ? rows[i].log[k] : cl_status(&c, 1).term);
            }
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static uint64_t ack_set; /* bit per node that may receive appends */

static bool only_acceptors(struct cl *c, const struct raft_msg *m)
{
    if (m->type == RAFT_MSG_APPEND && m->from == 1)
        return (ack_set >> m->to) & 1;
    return true;
}

/* §5.3: an entry is committed once the leader knows a majority of voters
 * store it (itself included); learners do not count. */
TEST(commit_needs_a_majority_of_voters)
{
    static const struct {
        uint32_t voters, learners;
        uint64_t acceptors[5];
        bool committed;
    } rows[] = {
        {1, 0, {0}, true},       {3, 0, {0}, false},         {3, 0, {2}, true},
        {3, 0, {2, 3}, true},    {4, 0, {2}, false},         {4, 0, {2, 3}, true},
        {5, 0, {0}, false},      {5, 0, {2}, false},         {5, 0, {2, 3}, true},
        {5, 0, {4, 5}, true},    {5, 0, {2, 3, 4, 5}, true}, {3, 2, {4, 5}, false},
        {3, 2, {2, 4, 5}, true}, {1, 2, {0}, true},          {2, 2, {3, 4}, false},
        {2, 2, {2}, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu: voters=%u learners=%u", i, rows[i].voters, rows[i].learners);
        struct cl c;
        rt_setup_with_learners(&c, rows[i].voters, rows[i].learners);
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t base = cl_status(&c, 1).commit;
        ack_set = 0;
        for (uint32_t k = 0; k < 5 && rows[i].acceptors[k]; k++)
            ack_set |= 1ull << rows[i].acceptors[k];
        c.filter = only_acceptors;
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, 1, "x", &idx), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].committed ? idx : base);
        RCHECK_EQ(cl_status(&c, 1).applied, rows[i].committed ? idx : base);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Committed entries are handed to the application only once they are
 * durable on this node: never in the ready that carries them for
 * persistence. A follower gets entries and a commit index covering them in one
 * append; the first ready persists them, the next hands them out. */
TEST(follower_hands_out_committed_entries_only_once_durable)
{
    static const struct {
        uint32_t have;          /* entries 2.. already durable */
        uint32_t send;          /* entries sent after those */
        uint64_t commit;        /* leader's commit index in the append */
        uint32_t first, second; /* committed entries in the two readies */
    } rows[] = {
        {0, 3, 4, 0, 3}, {0, 3, 2, 0, 1}, {0, 3, 9, 0, 3}, {2, 1, 4, 2, 1},
        {2, 2, 3, 2, 0}, {3, 0, 4, 3, 0}, {1, 4, 6, 1, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("have=%u send=%u commit=%llu", rows[i].have, rows[i].send,
            (unsigned long long)rows[i].commit);
        struct cl c;
        cl_setup(&c, 3, 3);
        uint64_t terms[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        cl_preload(&c, 1, terms, rows[i].have);
        cl_start_all(&c);
        struct raft_entry ents[8];
        struct raft_msg m =
            rt_append(2, 1, 2, 1 + rows[i].have, 1, rows[i].commit, terms, rows[i].send, ents);
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        struct raft *r = cl_node(&c, 1)->r;
        struct raft_mem *mem = &cl_node(&c, 1)->mem;
        uint32_t got[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            if (!raft_has_ready(r))
                break;
            struct raft_ready rd;
            raft_ready(r, &rd);
            for (uint32_t e = 0; e < rd.n_committed; e++)
                RCHECK(rd.committed[e].index <= cl_mem_last(mem)); /* durable before */
            got[k] = rd.n_committed;
            raft_mem_persist(mem, &rd);
            raft_advance(r, &rd);
        }
        RCHECK_EQ(got[0], rows[i].first);
        RCHECK_EQ(got[1], rows[i].second);
        uint64_t last_new = 1 + rows[i].have + rows[i].send;
        uint64_t want = rows[i].commit < last_new ? rows[i].commit : last_new;
        RCHECK_EQ(cl_status(&c, 1).applied, want);
        cl_free(&c);
    }
}

/* The leader may learn that an entry is committed (from followers) before its
 * own write of it finished; it still hands the entry out only after that
 * write. Also a single node: it commits its entry only once it is durable. */
TEST(leader_hands_out_committed_entries_only_once_durable)
{
    for (uint32_t n = 1; n <= 3; n += 2) {
        ROW("%u nodes", n);
        struct cl c;
        cl_init(&c, n, n);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        struct raft_mem *mem = &cl_node(&c, 1)->mem;
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, 1, "x", &idx), 0);
        struct raft_ready rd;
        raft_ready(r, &rd);
        RCHECK_EQ(rd.n_entries, 1);
        RCHECK_EQ(rd.entries[0].index, idx);
        RCHECK_EQ(rd.n_committed, 0);
        for (uint32_t k = 0; k < rd.n_msgs; k++)
            cl_enqueue_ap(&c, &rd.msgs[k], false);
        /* Followers store it and answer while the leader's write is pending. */
        cl_deliver_pending(&c);
        cl_ready_all(&c);
        cl_deliver_pending(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, n == 1 ? idx - 1 : idx);
        RCHECK(!raft_has_ready(r)); /* one ready at a time */
        raft_mem_persist(mem, &rd);
        raft_advance(r, &rd);
        RCHECK_EQ(cl_status(&c, 1).commit, idx);
        RCHECK(raft_has_ready(r));
        raft_ready(r, &rd);
        RCHECK_EQ(rd.n_committed, 1);
        RCHECK_EQ(rd.committed[0].index, idx);
        raft_mem_persist(mem, &rd);
        raft_advance(r, &rd);
        cl_settle(&c);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A follower learns the commit index from heartbeats too, never past its own
 * last entry, and never backwards. Its log ends at 5. */
TEST(follower_commit_from_heartbeat)
{
    static const struct {
        uint64_t commit, want;
    } rows[] = {{0, 1}, {1, 1}, {3, 3}, {5, 5}, {9, 5}};
    static const uint64_t log[] = {1, 1, 2, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("heartbeat commit=%llu", (unsigned long long)rows[i].commit);
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload(&c, 1, log, 4);
        cl_preload_hs(&c, 1, 2, RAFT_NONE, 1);
        cl_start_all(&c);
        struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 2, 1, 2);
        hb.commit = rows[i].commit;
        hb.ctx = 7;
        RCHECK_EQ(cl_step(&c, 1, &hb), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].want);
        RCHECK_EQ(cl_status(&c, 1).applied, rows[i].want);
        const struct raft_msg *r = cl_queue_get(&c, RAFT_MSG_HEARTBEAT_RESP, 1, 2, 0, NULL);
        RCHECK(r != NULL);
        RCHECK_EQ(r->ctx, 7);
        /* A lower commit later changes nothing. */
        hb.commit = 0;
        RCHECK_EQ(cl_step(&c, 1, &hb), 0);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].want);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static bool drop_appends_to_3(struct cl *c, const struct raft_msg *m)
{
    return !(m->type == RAFT_MSG_APPEND && m->to == 3);
}

/* A heartbeat carries the commit index only up to what the leader knows the
 * follower matches: a follower holding a stale tail of an old term must not
 * commit it on a heartbeat. Nodes 1 and 2 hold 2(t2) 3(t3); node 3 holds
 * 2(t2) 3(t2) 4(t2), never committed. Node 1 leads term 4 and commits its
 * no-op at 4 with node 2 while its appends to node 3 are lost; node 3 still
 * hears heartbeats. `lag` proposals more are committed meanwhile. */
TEST(heartbeat_never_commits_unmatched_follower_entries)
{
    static const uint32_t lags[] = {0, 1, 5};
    for (size_t i = 0; i < sizeof lags / sizeof lags[0]; i++) {
        ROW("lag=%u", lags[i]);
        struct cl c;
        cl_setup(&c, 3, 3);
        static const uint64_t good[] = {2, 3}, stale[] = {2, 2, 2};
        cl_preload(&c, 1, good, 2);
        cl_preload(&c, 2, good, 2);
        cl_preload(&c, 3, stale, 3);
        cl_preload_hs(&c, 1, 3, RAFT_NONE, 1);
        cl_preload_hs(&c, 2, 3, RAFT_NONE, 1);
        cl_preload_hs(&c, 3, 2, RAFT_NONE, 1);
        cl_start_all(&c);
        c.filter = drop_appends_to_3;
        RCHECK(cl_elect(&c, 1));
        RCHECK_EQ(cl_status(&c, 1).commit, 4);
        for (uint32_t k = 0; k < lags[i]; k++)
            RCHECK_EQ(rt_propose(&c, 1, "l", NULL), 0);
        cl_tick_all(&c, 3);
        uint32_t since = c.n_trace;
        cl_tick_all(&c, 1);
        const struct cl_trace *hb = cl_trace_get(&c, since, RAFT_MSG_HEARTBEAT, 1, 3, 0);
        RCHECK(hb != NULL && hb->delivered);
        RCHECK_EQ(hb->m.commit, 0); /* nothing of node 3's log is known to match */
        RCHECK_EQ(cl_status(&c, 3).commit, 1);
        RCHECK_EQ(cl_status(&c, 3).applied, 1);
        c.filter = NULL;
        raft_report_unreachable(cl_node(&c, 1)->r, 3);
        cl_tick_all(&c, 3);
        RCHECK(cl_logs_equal(&c, 1, 3));
        RCHECK_EQ(cl_status(&c, 3).applied, cl_status(&c, 1).applied);
        RCHECK_EQ(rt_term_at(&c, 3, 3), 3);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

TEST_MAIN()
