/* Leadership transfer in the Raft core (§D 3.10): to an up-to-date follower
 * at once, to a lagging one after it catches up, proposals refused meanwhile,
 * and the transfer given up after an election timeout. */
#include "test.h"

#include "rtest.h"

/* The target gets one TIMEOUT_NOW, campaigns in the next term with votes
 * marked as a transfer (so voters inside a leader lease still answer), and
 * wins; the old leader steps down. No tick is needed. */
TEST(transfer_to_up_to_date_follower)
{
    static const struct {
        uint32_t n;
        uint64_t to;
        bool pre_vote, check_quorum;
    } rows[] = {
        {3, 2, true, true},  {3, 3, true, true},  {5, 2, true, true},   {5, 5, true, true},
        {3, 2, false, true}, {3, 3, true, false}, {5, 4, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("n=%u to=%llu pre_vote=%d check_quorum=%d", rows[i].n, (unsigned long long)rows[i].to,
            rows[i].pre_vote, rows[i].check_quorum);
        struct cl c;
        cl_setup(&c, rows[i].n, rows[i].n);
        c.base_cfg.pre_vote = rows[i].pre_vote;
        c.base_cfg.check_quorum = rows[i].check_quorum;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, 1, "before", &idx), 0);
        cl_tick_all(&c, 2);
        uint64_t term = cl_status(&c, 1).term;
        uint32_t since = c.n_trace;
        RCHECK_EQ(raft_transfer_leader(cl_node(&c, 1)->r, rows[i].to), 0);
        RCHECK_EQ(cl_status(&c, 1).transferee, rows[i].to);
        cl_settle(&c);
        RCHECK_EQ(cl_leader(&c), rows[i].to);
        RCHECK_EQ(cl_status(&c, rows[i].to).term, term + 1);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_FOLLOWER);
        RCHECK_EQ(cl_trace_count(&c, since, RAFT_MSG_TIMEOUT_NOW, 1, rows[i].to, true), 1);
        RCHECK_EQ(cl_trace_count(&c, since, RAFT_MSG_TIMEOUT_NOW, 0, 0, false), 1);
        /* No pre-vote round for a transfer, and every vote request says why. */
        RCHECK_EQ(cl_trace_count(&c, since, RAFT_MSG_PRE_VOTE, 0, 0, false), 0);
        uint32_t votes = cl_trace_count(&c, since, RAFT_MSG_VOTE, rows[i].to, 0, false);
        RCHECK_EQ(votes, rows[i].n - 1);
        for (uint32_t k = 0; k < votes; k++)
            RCHECK(cl_trace_get(&c, since, RAFT_MSG_VOTE, rows[i].to, 0, k)->m.transfer);
        /* The new leader carries on with everything committed before. */
        cl_tick_all(&c, 2);
        RCHECK(cl_status(&c, rows[i].to).applied > idx);
        RCHECK_EQ(rt_propose(&c, rows[i].to, "after", NULL), 0);
        cl_tick_all(&c, 2);
        for (uint64_t id = 1; id <= rows[i].n; id++)
            RCHECK_EQ(cl_applied_normal(&c, id), 2);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A target that lags gets no TIMEOUT_NOW until its log matches the leader's;
 * then it takes over. */
TEST(transfer_to_lagging_follower_waits_for_catch_up)
{
    static const uint32_t lags[] = {1, 10, 100, 600};
    for (size_t i = 0; i < sizeof lags / sizeof lags[0]; i++) {
        ROW("lag=%u", lags[i]);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        cl_isolate(&c, 3, true);
        raft_report_unreachable(r, 3);
        uint64_t last = 0;
        for (uint32_t k = 0; k < lags[i]; k++)
            RCHECK_EQ(rt_propose(&c, 1, "lag", &last), 0);
        cl_settle(&c);
        cl_isolate(&c, 3, false);
        uint64_t term = cl_status(&c, 1).term;
        RCHECK_EQ(raft_transfer_leader(r, 3), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_queue_count(&c, RAFT_MSG_TIMEOUT_NOW, 0, 0), 0);
        uint32_t since = c.n_trace;
        for (int t = 0; t < 5 && cl_leader(&c) != 3; t++)
            cl_tick_all(&c, 1);
        RCHECK_EQ(cl_leader(&c), 3);
        RCHECK_EQ(cl_status(&c, 3).term, term + 1);
        RCHECK_EQ(cl_trace_count(&c, since, RAFT_MSG_TIMEOUT_NOW, 1, 3, true), 1);
        /* TIMEOUT_NOW went out only after node 3 acknowledged the last entry. */
        uint32_t at_tn = 0, at_ack = UINT32_MAX;
        for (uint32_t k = since; k < c.n_trace; k++) {
            const struct cl_trace *t = &c.trace[k];
            if (t->m.type == RAFT_MSG_TIMEOUT_NOW && at_tn == 0)
                at_tn = k;
            if (t->m.type == RAFT_MSG_APPEND_RESP && t->m.from == 3 && !t->m.reject &&
                t->m.index == last && at_ack == UINT32_MAX)
                at_ack = k;
        }
        RCHECK(at_ack < at_tn);
        cl_tick_all(&c, 2);
        for (uint64_t id = 1; id <= 3; id++)
            RCHECK_EQ(cl_applied_normal(&c, id), lags[i]);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* While a transfer is in progress the leader refuses proposals and changes
 * with ERR_BUSY; asking again for the same target is fine. */
TEST(proposals_refused_during_transfer)
{
    struct cl c;
    cl_init(&c, 4, 3);
    ROW("3 voters, target cut off");
    RCHECK(cl_elect(&c, 1));
    struct raft *r = cl_node(&c, 1)->r;
    cl_isolate(&c, 3, true);
    RCHECK_EQ(raft_transfer_leader(r, 3), 0);
    cl_settle(&c);
    RCHECK_EQ(cl_status(&c, 1).transferee, 3);
    uint64_t last = cl_status(&c, 1).last_index;
    RCHECK_EQ(rt_propose(&c, 1, "x", NULL), ERR_BUSY);
    struct raft_conf_change cc = {.op = RAFT_CONF_ADD_LEARNER, .node = 4};
    RCHECK_EQ(raft_propose_conf(r, &cc, NULL), ERR_BUSY);
    RCHECK_EQ(raft_transfer_leader(r, 3), 0);
    RCHECK_EQ(cl_status(&c, 1).last_index, last);
    RCHECK_EQ(cl_status(&c, 1).role, RAFT_LEADER);
    /* A transfer to another node replaces it, and that one completes. */
    RCHECK_EQ(raft_transfer_leader(r, 2), 0);
    RCHECK_EQ(cl_status(&c, 1).transferee, 2);
    cl_settle(&c);
    RCHECK_EQ(cl_leader(&c), 2);
    RCHECK_EQ(rt_propose(&c, 2, "y", NULL), 0);
    CHECK_SAFE(&c);
    cl_free(&c);
}

/* A transfer whose target never takes over is abandoned after an election
 * timeout: the leader stays and accepts proposals again. */
TEST(transfer_abandoned_after_election_timeout)
{
    static const struct {
        bool crash; /* target crashed, else cut off */
        unsigned e;
    } rows[] = {{true, 10}, {false, 10}, {true, 4}, {false, 25}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("crash=%d e=%u", rows[i].crash, rows[i].e);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.election_ticks = rows[i].e;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        if (rows[i].crash)
            cl_crash(&c, 3);
        else
            cl_isolate(&c, 3, true);
        struct raft *r = cl_node(&c, 1)->r;
        RCHECK_EQ(raft_transfer_leader(r, 3), 0);
        unsigned t = 0;
        while (cl_status(&c, 1).transferee != RAFT_NONE && t < 5 * rows[i].e) {
            RCHECK_EQ(rt_propose(&c, 1, "x", NULL), ERR_BUSY);
            cl_tick_all(&c, 1);
            t++;
        }
        RCHECK(t <= rows[i].e);
        RCHECK(t >= rows[i].e - 1);
        RCHECK_EQ(cl_leader(&c), 1);
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, 1, "y", &idx), 0);
        cl_tick_all(&c, 2);
        RCHECK_EQ(cl_status(&c, 2).applied, idx);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Transfers that make no sense. */
TEST(invalid_transfers_refused)
{
    static const struct {
        uint64_t from, to;
        int rc;
    } rows[] = {
        {1, 1, ERR_INVAL},     {1, 9, ERR_INVAL},     {1, 4, ERR_INVAL}, {1, RAFT_NONE, ERR_INVAL},
        {2, 3, ERR_NOTLEADER}, {4, 2, ERR_NOTLEADER}, {1, 2, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%llu -> %llu", (unsigned long long)rows[i].from, (unsigned long long)rows[i].to);
        struct cl c;
        rt_setup_with_learners(&c, 3, 1); /* node 4 is a learner */
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        RCHECK_EQ(raft_transfer_leader(cl_node(&c, rows[i].from)->r, rows[i].to), rows[i].rc);
        RCHECK_EQ(cl_status(&c, 1).transferee, rows[i].rc == 0 ? rows[i].to : RAFT_NONE);
        cl_settle(&c);
        RCHECK_EQ(cl_leader(&c), rows[i].rc == 0 ? rows[i].to : 1);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Leadership can go back and forth. */
TEST(transfer_there_and_back)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("1 -> 2 -> 1 -> 3");
    RCHECK(cl_elect(&c, 1));
    static const uint64_t path[] = {2, 1, 3, 1};
    uint64_t at = 1;
    for (size_t k = 0; k < sizeof path / sizeof path[0]; k++) {
        uint64_t term = cl_status(&c, at).term;
        RCHECK_EQ(raft_transfer_leader(cl_node(&c, at)->r, path[k]), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_leader(&c), path[k]);
        RCHECK_EQ(cl_status(&c, path[k]).term, term + 1);
        at = path[k];
        RCHECK_EQ(rt_propose(&c, at, "p", NULL), 0);
        cl_tick_all(&c, 1);
    }
    for (uint64_t id = 1; id <= 3; id++)
        RCHECK_EQ(cl_applied_normal(&c, id), 4);
    CHECK_SAFE(&c);
    cl_free(&c);
}

/* Regression test (minor, liveness), for a bug fixed in the core: raft_transfer_leader resets
 * election_elapsed, which also drives the check-quorum step-down. A leader
 * cut off from everyone whose driver keeps asking for transfers (here every
 * 5 ticks, alternating targets, as a retrying governor might) never steps
 * down, and keeps refusing proposals with ERR_BUSY instead of letting the
 * client find the real leader. The transfer deadline should have its own
 * counter. */
TEST(repeated_transfers_do_not_postpone_check_quorum)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("isolated leader, transfer every 5 ticks");
    RCHECK(cl_elect(&c, 1));
    cl_isolate(&c, 1, true);
    unsigned e = c.base_cfg.election_ticks;
    for (unsigned t = 0; t < 10 * e; t++) {
        if (t % 5 == 0 && cl_status(&c, 1).role == RAFT_LEADER)
            raft_transfer_leader(cl_node(&c, 1)->r, 2 + (t / 5) % 2);
        cl_tick_node(&c, 1, 1);
        cl_settle(&c);
    }
    /* Stepped down (and, still cut off, may be pre-voting by now). */
    RCHECK(cl_status(&c, 1).role != RAFT_LEADER);
    cl_free(&c);
}

TEST_MAIN()
