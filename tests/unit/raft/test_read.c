/* Linearizable reads in the Raft core (§D 6.4): ReadIndex on the leader and
 * through followers, the leader's first-commit rule, heartbeat-round
 * batching, reads on a deposed leader, and lease reads. */
#include "test.h"

#include "rtest.h"

static bool read_ok(struct cl *c, uint64_t id, uint64_t ctx, uint64_t *index)
{
    struct cl_node *nd = cl_node(c, id);
    for (uint32_t i = 0; i < nd->n_reads_ok; i++)
        if (nd->reads_ok[i] == ctx) {
            if (index)
                *index = nd->reads_index[i];
            return true;
        }
    return false;
}

static bool read_failed(struct cl *c, uint64_t id, uint64_t ctx)
{
    struct cl_node *nd = cl_node(c, id);
    for (uint32_t i = 0; i < nd->n_reads_failed; i++)
        if (nd->reads_failed[i] == ctx)
            return true;
    return false;
}

/* A new leader answers no read before it has committed an entry of its own
 * term (until then its commit index may be behind what an earlier leader
 * committed); the read point is then its commit index, read through a
 * follower or on the leader itself. A follower that knows no leader fails the
 * read at once. */
TEST(read_waits_for_leader_commit_in_its_term)
{
    static const struct {
        uint64_t at;     /* where the read is asked */
        bool has_leader; /* the follower knows the leader when asked */
    } rows[] = {{1, true}, {2, true}, {3, true}, {2, false}};
    static const uint64_t log[] = {1, 2, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("read at %llu, knows leader=%d", (unsigned long long)rows[i].at, rows[i].has_leader);
        struct cl c;
        cl_setup(&c, 3, 3);
        for (uint64_t id = 1; id <= 3; id++) {
            cl_preload(&c, id, log, 3);
            cl_preload_hs(&c, id, 2, RAFT_NONE, id == 1 ? 1 : 4);
        }
        cl_start_all(&c);
        RCHECK(cl_elect_hops(&c, 1));
        if (rows[i].at != 1 && rows[i].has_leader) {
            /* Tell the follower who leads, and nothing else. */
            struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 1, rows[i].at, cl_status(&c, 1).term);
            RCHECK_EQ(cl_step(&c, rows[i].at, &hb), 0);
        }
        RCHECK_EQ(cl_status(&c, 1).commit, 1); /* entries 2..4 not yet known committed */
        RCHECK_EQ(raft_read_index(cl_node(&c, rows[i].at)->r, 77), 0);
        cl_ready_all(&c);
        RCHECK(!read_ok(&c, rows[i].at, 77, NULL));
        RCHECK_EQ(read_failed(&c, rows[i].at, 77), !rows[i].has_leader && rows[i].at != 1);
        if (read_failed(&c, rows[i].at, 77)) {
            cl_free(&c);
            continue;
        }
        if (rows[i].at == 1) {
            /* A leader's read waits without a heartbeat round of its own. */
            RCHECK_EQ(cl_queue_count(&c, RAFT_MSG_HEARTBEAT, 1, 0), 0);
        }
        cl_settle(&c);
        uint64_t idx = 0;
        RCHECK(read_ok(&c, rows[i].at, 77, &idx));
        RCHECK_EQ(idx, 5); /* the no-op of term 3, which committed 2..4 */
        RCHECK_EQ(rt_term_at(&c, 1, 5), 3);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static bool drop_appends(struct cl *c, const struct raft_msg *m)
{
    return m->type != RAFT_MSG_APPEND;
}

/* The read point is the commit index when the read arrives, not the last
 * index: proposals still in flight are not waited for. */
TEST(read_index_is_commit_index_not_last_index)
{
    static const uint32_t pending[] = {0, 1, 7};
    for (size_t i = 0; i < sizeof pending / sizeof pending[0]; i++) {
        ROW("%u uncommitted proposals", pending[i]);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        uint64_t commit = cl_status(&c, 1).commit;
        c.filter = drop_appends;
        for (uint32_t k = 0; k < pending[i]; k++)
            RCHECK_EQ(rt_propose(&c, 1, "p", NULL), 0);
        RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 5), 0);
        RCHECK_EQ(raft_read_index(cl_node(&c, 2)->r, 6), 0);
        cl_settle(&c);
        uint64_t idx;
        RCHECK(read_ok(&c, 1, 5, &idx));
        RCHECK_EQ(idx, commit);
        RCHECK(read_ok(&c, 2, 6, &idx));
        RCHECK_EQ(idx, commit);
        RCHECK_EQ(cl_status(&c, 1).last_index, commit + pending[i]);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A leader cut off from the others while a new leader commits elsewhere must
 * not answer a read (it would miss the new write): the read fails when the
 * leader steps down (check-quorum) or when it times out. With
 * RAFT_BREAK_READ_INDEX it answers at once with a stale index, which this
 * test tells apart. */
TEST(partitioned_leader_does_not_answer_reads)
{
    static const struct {
        unsigned breaks;
        bool check_quorum;
        bool answered;
    } rows[] = {
        {0, true, false},
        {0, false, false},
        {RAFT_BREAK_READ_INDEX, true, true},
        {RAFT_BREAK_READ_INDEX, false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("breaks=%u check_quorum=%d", rows[i].breaks, rows[i].check_quorum);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.breaks = rows[i].breaks;
        c.base_cfg.check_quorum = rows[i].check_quorum;
        cl_start_all(&c);
        if (c.base_cfg.lease_reads)
            cl_age(&c);
        RCHECK(cl_elect(&c, 1));
        cl_isolate(&c, 1, true);
        /* Nodes 2 and 3 elect a new leader and commit a write; node 1 hears
         * nothing of it and still thinks it leads. */
        for (int t = 0; t < 100 && cl_leader(&c) == 1; t++) {
            cl_tick_node(&c, 2, 1);
            cl_tick_node(&c, 3, 1);
            cl_settle(&c);
            uint64_t l2 = cl_status(&c, 2).role == RAFT_LEADER   ? 2
                          : cl_status(&c, 3).role == RAFT_LEADER ? 3
                                                                 : 0;
            if (l2 != 0)
                break;
        }
        uint64_t l2 = cl_status(&c, 2).role == RAFT_LEADER ? 2 : 3;
        RCHECK_EQ(cl_status(&c, l2).role, RAFT_LEADER);
        uint64_t w;
        RCHECK_EQ(rt_propose(&c, l2, "w", &w), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, l2).commit, w);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_LEADER);

        RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 9), 0);
        cl_settle(&c);
        uint64_t idx = 0;
        RCHECK_EQ(read_ok(&c, 1, 9, &idx), rows[i].answered);
        if (rows[i].answered) {
            RCHECK(idx < w); /* stale: what the broken rule lets through */
            cl_free(&c);
            continue;
        }
        unsigned e = c.base_cfg.election_ticks;
        for (unsigned t = 0; t < 2 * e && !read_failed(&c, 1, 9); t++) {
            cl_tick_node(&c, 1, 1);
            cl_settle(&c);
        }
        RCHECK(!read_ok(&c, 1, 9, NULL));
        RCHECK(read_failed(&c, 1, 9));
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Many reads arriving together cost one heartbeat round, on the leader and
 * through followers; the next batch costs another. */
TEST(reads_batched_into_one_heartbeat_round)
{
    static const struct {
        uint32_t n;
        uint64_t at; /* 1: on the leader; 2, 3: through followers; 0: spread */
    } rows[] = {{1, 1}, {10, 1}, {60, 1}, {1, 2}, {20, 3}, {30, 0}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%u reads at %llu", rows[i].n, (unsigned long long)rows[i].at);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        cl_tick_all(&c, 1);
        for (int batch = 0; batch < 2; batch++) {
            uint64_t hb_before = c.n_sent[RAFT_MSG_HEARTBEAT];
            uint32_t fwd = 0;
            for (uint32_t k = 0; k < rows[i].n; k++) {
                uint64_t at = rows[i].at ? rows[i].at : 1 + k % 3;
                fwd += at != 1;
                RCHECK_EQ(raft_read_index(cl_node(&c, at)->r, 1000 * batch + k), 0);
            }
            uint64_t fwd_before = c.n_sent[RAFT_MSG_READ_INDEX];
            cl_settle(&c);
            RCHECK_EQ(c.n_sent[RAFT_MSG_READ_INDEX] - fwd_before, fwd);
            uint64_t rounds = (c.n_sent[RAFT_MSG_HEARTBEAT] - hb_before) / 2;
            /* Local reads are registered at once, forwarded ones a hop later. */
            bool mixed = rows[i].at == 0;
            RCHECK_EQ(rounds, mixed ? 2 : 1);
            uint64_t commit = cl_status(&c, 1).commit;
            for (uint32_t k = 0; k < rows[i].n; k++) {
                uint64_t at = rows[i].at ? rows[i].at : 1 + k % 3;
                uint64_t idx;
                RCHECK(read_ok(&c, at, 1000 * batch + k, &idx));
                RCHECK_EQ(idx, commit);
            }
            for (uint64_t id = 1; id <= 3; id++)
                cl_node(&c, id)->n_reads_ok = 0;
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* With lease_reads and check_quorum the leader answers from its lease, with
 * no heartbeat round, while a quorum acknowledged a heartbeat sent less than
 * an election timeout ago; cut off, it stops once that lease runs out. The
 * lease needs check-quorum: without it every read takes a round. */
TEST(lease_reads_answered_only_within_lease)
{
    static const struct {
        bool lease, check_quorum;
        unsigned ticks_cut; /* ticks the leader spent cut off before the read */
        bool at_once;
    } rows[] = {
        {true, true, 0, true},   {true, true, 1, true},   {true, true, 5, true},
        {true, true, 8, true},   {true, true, 9, false},  {true, true, 12, false},
        {true, false, 0, false}, {false, true, 0, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("lease=%d check_quorum=%d cut for %u ticks", rows[i].lease, rows[i].check_quorum,
            rows[i].ticks_cut);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.lease_reads = rows[i].lease;
        c.base_cfg.check_quorum = rows[i].check_quorum;
        cl_start_all(&c);
        if (c.base_cfg.lease_reads)
            cl_age(&c);
        RCHECK(cl_elect(&c, 1));
        cl_tick_all(&c, 1); /* a heartbeat round, acknowledged */
        cl_isolate(&c, 1, true);
        for (unsigned t = 0; t < rows[i].ticks_cut; t++) {
            cl_tick_node(&c, 1, 1);
            cl_settle(&c);
        }
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_LEADER);
        uint64_t hb_before = c.n_sent[RAFT_MSG_HEARTBEAT];
        RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 3), 0);
        cl_ready_all(&c);
        RCHECK_EQ(read_ok(&c, 1, 3, NULL), rows[i].at_once);
        if (rows[i].at_once)
            RCHECK_EQ(c.n_sent[RAFT_MSG_HEARTBEAT], hb_before);
        /* Cut off, a read outside the lease is never answered. */
        cl_settle(&c);
        for (unsigned t = 0; t < 30 && !rows[i].at_once; t++) {
            cl_tick_node(&c, 1, 1);
            cl_settle(&c);
        }
        RCHECK_EQ(read_ok(&c, 1, 3, NULL), rows[i].at_once);
        RCHECK_EQ(read_failed(&c, 1, 3), !rows[i].at_once);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Reads waiting on a leader fail as soon as it learns it is deposed, and
 * forwarded reads fail on the follower when no answer comes in time. */
TEST(pending_reads_fail_on_step_down_or_deadline)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("step down");
    RCHECK(cl_elect(&c, 1));
    for (uint64_t id = 2; id <= 3; id++)
        cl_isolate(&c, id, true);
    RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 1), 0);
    RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 2), 0);
    cl_settle(&c);
    RCHECK(!read_failed(&c, 1, 1) && !read_failed(&c, 1, 2));
    struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 2, 1, cl_status(&c, 1).term + 1);
    RCHECK_EQ(cl_step(&c, 1, &hb), 0);
    cl_ready_all(&c);
    RCHECK(read_failed(&c, 1, 1) && read_failed(&c, 1, 2));
    RCHECK(!read_ok(&c, 1, 1, NULL));
    cl_free(&c);

    ROW("forwarded, leader unreachable");
    cl_init(&c, 3, 3);
    RCHECK(cl_elect(&c, 1));
    c.cut[2][1] = true;
    RCHECK_EQ(raft_read_index(cl_node(&c, 2)->r, 4), 0);
    unsigned t = 0;
    for (; t < 50 && !read_failed(&c, 2, 4); t++)
        cl_tick_all(&c, 1);
    RCHECK(read_failed(&c, 2, 4));
    RCHECK(t <= 2 * c.base_cfg.election_ticks);
    RCHECK(!read_ok(&c, 2, 4, NULL));
    CHECK_SAFE(&c);
    cl_free(&c);
}

/* Regression test (safety, lease reads only), for a bug fixed in the core: a leader that has sent
 * TIMEOUT_NOW keeps answering reads from its lease. The transfer target's
 * vote requests are marked as a transfer, so voters inside the lease grant
 * them: a new leader can be elected and commit writes while the old leader's
 * lease still looks valid to it, and the old leader then serves a stale read
 * (here: read index 2 while entry 4 is committed). A leader should stop using its
 * lease from the moment it starts a transfer (until the transfer is abandoned
 * and a fresh round is acknowledged). The ReadIndex path (lease off) is
 * safe in the same scenario: the row with lease=false passes. */
TEST(no_lease_reads_after_transfer_started)
{
    static const struct {
        bool lease;
    } rows[] = {{false}, {true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("lease=%d", rows[i].lease);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.lease_reads = rows[i].lease;
        cl_start_all(&c);
        if (c.base_cfg.lease_reads)
            cl_age(&c);
        RCHECK(cl_elect(&c, 1));
        cl_tick_all(&c, 1);               /* lease acquired */
        c.cut[2][1] = c.cut[3][1] = true; /* node 1 hears nothing more */
        RCHECK_EQ(raft_transfer_leader(cl_node(&c, 1)->r, 2), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 2).role, RAFT_LEADER);
        uint64_t w;
        RCHECK_EQ(rt_propose(&c, 2, "w", &w), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 2).commit, w);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_LEADER); /* it does not know yet */
        RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 8), 0);
        cl_settle(&c);
        uint64_t idx = 0;
        bool ok = read_ok(&c, 1, 8, &idx);
        if (ok && idx < w)
            fprintf(stderr, "  stale read: index %llu, entry %llu committed\n",
                    (unsigned long long)idx, (unsigned long long)w);
        RCHECK(!ok || idx >= w); /* never a stale answer */
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Regression test (safety, lease reads only), for a bug fixed in the core: a follower that restarts
 * forgets it was inside the leader's lease (lead = NONE, election_elapsed =
 * 0), so it grants (pre-)votes at once. Node 2 acknowledged node 1's
 * heartbeat, restarts, and before node 1's next heartbeat reaches it, node 3
 * (cut off from node 1 long enough to campaign) wins term+1 with node 2's
 * vote and commits a write; node 1 still counts node 2's earlier
 * acknowledgement, believes its lease valid and serves a stale read. A
 * replica should not grant votes without the transfer flag for an election
 * timeout after raft_create (as if it had just heard from a leader). With
 * lease reads off (row lease=false) the same read is refused. */
TEST(no_lease_reads_after_a_voter_restarted)
{
    static const struct {
        bool lease;
    } rows[] = {{false}, {true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("lease=%d", rows[i].lease);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.lease_reads = rows[i].lease;
        cl_start_all(&c);
        if (c.base_cfg.lease_reads)
            cl_age(&c);
        RCHECK(cl_elect(&c, 1));
        cl_tick_all(&c, 1); /* lease acquired with nodes 2 and 3 */
        c.cut[1][3] = c.cut[3][1] = true;
        cl_crash(&c, 2);
        cl_start_node(&c, 2);
        raft_campaign(cl_node(&c, 3)->r);
        cl_settle(&c);
        if (rows[i].lease) {
            /* The fix: the restarted voter refuses votes for one election
             * timeout, so no new leader can commit under node 1's lease. */
            RCHECK(cl_status(&c, 3).role != RAFT_LEADER);
            RCHECK_EQ(cl_status(&c, 1).role, RAFT_LEADER);
            CHECK_SAFE(&c);
            cl_free(&c);
            continue;
        }
        RCHECK_EQ(cl_status(&c, 3).role, RAFT_LEADER);
        uint64_t w;
        RCHECK_EQ(rt_propose(&c, 3, "w", &w), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 3).commit, w);
        RCHECK_EQ(raft_read_index(cl_node(&c, 1)->r, 8), 0);
        cl_ready_all(&c);
        uint64_t idx = 0;
        bool ok = read_ok(&c, 1, 8, &idx);
        if (ok && idx < w)
            fprintf(stderr, "  stale read: index %llu, entry %llu committed\n",
                    (unsigned long long)idx, (unsigned long long)w);
        RCHECK(!ok || idx >= w);
        cl_settle(&c);
        RCHECK(!read_ok(&c, 1, 8, &idx) || idx >= w);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

TEST_MAIN()
