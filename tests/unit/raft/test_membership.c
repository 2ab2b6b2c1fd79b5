/* Single-server membership changes in the Raft core: one change at a time,
 * none before the leader applied an entry of its term, learner promotion only
 * once caught up, invalid changes refused, removing the leader, and the
 * quorum following the configuration in force. */
#include "test.h"

#include "rtest.h"

static int propose_conf(struct cl *c, uint64_t id, uint8_t op, uint64_t node)
{
    struct raft_conf_change cc = {.op = op, .node = node};
    return raft_propose_conf(cl_node(c, id)->r, &cc, NULL);
}

static bool same_conf_as(struct cl *c, uint64_t at, const struct raft_conf *b)
{
    struct raft_status st = cl_status(c, at);
    const struct raft_conf *a = &st.conf;
    if (a->n_voters != b->n_voters || a->n_learners != b->n_learners)
        return false;
    for (uint32_t i = 0; i < a->n_voters; i++)
        if (!raft_conf_is_voter(b, a->voters[i]))
            return false;
    for (uint32_t i = 0; i < a->n_learners; i++)
        if (!raft_conf_is_learner(b, a->learners[i]))
            return false;
    return true;
}

/* Only one change may be unapplied: a second one gets ERR_CONFLICT until the
 * first is applied on the leader, however long that takes. A change takes
 * effect when applied, not when proposed. */
TEST(one_change_at_a_time)
{
    static const struct {
        uint8_t op1;
        uint64_t node1;
        uint8_t op2;
        uint64_t node2;
    } rows[] = {
        {RAFT_CONF_ADD_LEARNER, 4, RAFT_CONF_ADD_LEARNER, 5},
        {RAFT_CONF_REMOVE, 3, RAFT_CONF_ADD_LEARNER, 4},
        {RAFT_CONF_ADD_VOTER, 4, RAFT_CONF_REMOVE, 2},
        {RAFT_CONF_ADD_LEARNER, 4, RAFT_CONF_ADD_VOTER, 4},
        {RAFT_CONF_ADD_LEARNER, 4, RAFT_CONF_REMOVE, 4},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu", i);
        struct cl c;
        cl_init(&c, 5, 3);
        RCHECK(cl_elect(&c, 1));
        struct raft_conf before = cl_status(&c, 1).conf;
        for (uint64_t id = 2; id <= 5; id++) {
            cl_isolate(&c, id, true);
            raft_report_unreachable(cl_node(&c, 1)->r, id); /* as the transport would */
        }
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op1, rows[i].node1), 0);
        cl_tick_all(&c, 5); /* cannot commit: followers are cut off */
        RCHECK(same_conf_as(&c, 1, &before));
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op2, rows[i].node2), ERR_CONFLICT);
        for (uint64_t id = 2; id <= 5; id++)
            cl_isolate(&c, id, false);
        cl_tick_all(&c, 5);
        struct raft_conf want = before;
        struct raft_conf_change cc1 = {.op = rows[i].op1, .node = rows[i].node1};
        RCHECK_EQ(raft_conf_apply(&want, &cc1), 0);
        for (uint64_t id = 1; id <= 3; id++)
            RCHECK(same_conf_as(&c, id, &want));
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op2, rows[i].node2), 0);
        cl_tick_all(&c, 5);
        struct raft_conf_change cc2 = {.op = rows[i].op2, .node = rows[i].node2};
        RCHECK_EQ(raft_conf_apply(&want, &cc2), 0);
        RCHECK(same_conf_as(&c, 1, &want));
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A new leader accepts no change until it has applied an entry of its own
 * term (its no-op), which also applies any change a previous leader left in
 * its log. */
TEST(no_change_before_new_leader_applied_its_term)
{
    static const struct {
        bool inherited; /* node 1's log ends with an uncommitted change of term 2 */
        uint8_t op;
        uint64_t node;
    } rows[] = {
        {false, RAFT_CONF_ADD_LEARNER, 4}, {false, RAFT_CONF_REMOVE, 3},
        {false, RAFT_CONF_ADD_VOTER, 5},   {true, RAFT_CONF_ADD_LEARNER, 5},
        {true, RAFT_CONF_REMOVE, 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("inherited=%d op=%u node=%llu", rows[i].inherited, rows[i].op,
            (unsigned long long)rows[i].node);
        struct cl c;
        cl_setup(&c, 5, 3);
        if (rows[i].inherited) {
            struct raft_conf_change old = {.op = RAFT_CONF_ADD_LEARNER, .node = 4};
            uint8_t buf[RAFT_CONF_CHANGE_ENCODED_LEN];
            raft_conf_change_encode(&old, buf);
            cl_preload_entry(&c, 1, 2, RAFT_ENTRY_CONF, buf, sizeof buf);
            cl_preload_hs(&c, 1, 2, RAFT_NONE, 1);
        }
        cl_start_all(&c);
        RCHECK(cl_elect_hops(&c, 1));
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op, rows[i].node), ERR_CONFLICT);
        uint64_t last = cl_status(&c, 1).last_index;
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 1).applied, last);
        RCHECK_EQ(rt_learner(&c, 1, 4), rows[i].inherited);
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op, rows[i].node), 0);
        cl_tick_all(&c, 5);
        struct raft_conf conf = cl_status(&c, 1).conf;
        if (rows[i].op == RAFT_CONF_REMOVE)
            RCHECK(!raft_conf_is_voter(&conf, rows[i].node));
        else if (rows[i].op == RAFT_CONF_ADD_VOTER)
            RCHECK(raft_conf_is_voter(&conf, rows[i].node));
        else
            RCHECK(raft_conf_is_learner(&conf, rows[i].node));
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A learner is promoted only once it is within learner_catchup_entries of the
 * leader's log; before that, ERR_AGAIN. */
TEST(promoting_lagging_learner_gets_again)
{
    static const struct {
        uint64_t catchup;
        uint32_t lag;
        int rc;
    } rows[] = {
        {5, 0, 0}, {5, 3, 0},         {5, 5, 0},     {5, 6, ERR_AGAIN},
        {0, 0, 0}, {0, 1, ERR_AGAIN}, {1000, 50, 0}, {20, 21, ERR_AGAIN},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("catchup=%llu lag=%u", (unsigned long long)rows[i].catchup, rows[i].lag);
        struct cl c;
        cl_setup(&c, 4, 3);
        c.base_cfg.learner_catchup_entries = rows[i].catchup;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        RCHECK_EQ(propose_conf(&c, 1, RAFT_CONF_ADD_LEARNER, 4), 0);
        cl_tick_all(&c, 3);
        RCHECK(rt_learner(&c, 4, 4));
        RCHECK_EQ(cl_status(&c, 4).last_index, cl_status(&c, 1).last_index);
        cl_isolate(&c, 4, true);
        raft_report_unreachable(cl_node(&c, 1)->r, 4);
        for (uint32_t k = 0; k < rows[i].lag; k++)
            RCHECK_EQ(rt_propose(&c, 1, "w", NULL), 0);
        cl_settle(&c);
        RCHECK_EQ(propose_conf(&c, 1, RAFT_CONF_ADD_VOTER, 4), rows[i].rc);
        cl_isolate(&c, 4, false);
        cl_tick_all(&c, 5);
        if (rows[i].rc != 0) {
            RCHECK(rt_learner(&c, 1, 4));
            RCHECK_EQ(propose_conf(&c, 1, RAFT_CONF_ADD_VOTER, 4), 0);
            cl_tick_all(&c, 5);
        }
        for (uint64_t id = 1; id <= 4; id++) {
            struct raft_conf conf = cl_status(&c, id).conf;
            RCHECK_EQ(conf.n_voters, 4);
            RCHECK(raft_conf_is_voter(&conf, 4));
            RCHECK_EQ(conf.n_learners, 0);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Changes that make no sense are refused with ERR_INVAL and append nothing;
 * a follower answers ERR_NOTLEADER. */
TEST(invalid_changes_refused)
{
    static const struct {
        uint32_t voters, learners;
        uint8_t op;
        uint64_t node;
        int rc;
    } rows[] = {
        {3, 1, RAFT_CONF_ADD_VOTER, 2, ERR_INVAL},
        {3, 1, RAFT_CONF_ADD_LEARNER, 2, ERR_INVAL},
        {3, 1, RAFT_CONF_ADD_LEARNER, 4, ERR_INVAL},
        {3, 1, RAFT_CONF_REMOVE, 9, ERR_INVAL},
        {3, 1, RAFT_CONF_ADD_VOTER, 0, ERR_INVAL},
        {3, 1, RAFT_CONF_ADD_LEARNER, 0, ERR_INVAL},
        {3, 1, RAFT_CONF_REMOVE, 0, ERR_INVAL},
        {3, 1, 0, 5, ERR_INVAL},
        {3, 1, 4, 5, ERR_INVAL},
        {3, 1, 255, 5, ERR_INVAL},
        {1, 1, RAFT_CONF_REMOVE, 1, ERR_INVAL},
        {9, 0, RAFT_CONF_ADD_VOTER, 10, ERR_INVAL},
        /* and the sensible neighbours of those */
        {3, 1, RAFT_CONF_ADD_VOTER, 5, 0},
        {3, 1, RAFT_CONF_ADD_VOTER, 4, 0},
        {3, 1, RAFT_CONF_REMOVE, 4, 0},
        {3, 1, RAFT_CONF_REMOVE, 3, 0},
        {1, 1, RAFT_CONF_REMOVE, 2, 0},
        {9, 0, RAFT_CONF_ADD_LEARNER, 10, 0},
        {8, 0, RAFT_CONF_ADD_VOTER, 9, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("voters=%u learners=%u op=%u node=%llu", rows[i].voters, rows[i].learners, rows[i].op,
            (unsigned long long)rows[i].node);
        struct cl c;
        rt_setup_with_learners(&c, rows[i].voters, rows[i].learners);
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t last = cl_status(&c, 1).last_index;
        RCHECK_EQ(propose_conf(&c, 1, rows[i].op, rows[i].node), rows[i].rc);
        RCHECK_EQ(cl_status(&c, 1).last_index, rows[i].rc == 0 ? last + 1 : last);
        if (rows[i].voters + rows[i].learners >= 2) {
            struct cl_node *f = cl_node(&c, 2);
            struct raft_conf_change cc = {.op = rows[i].op, .node = rows[i].node};
            RCHECK_EQ(raft_propose_conf(f->r, &cc, NULL), ERR_NOTLEADER);
        }
        cl_tick_all(&c, 3);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* The leader can remove itself: it steps down once the change is applied,
 * hands leadership to an up-to-date voter at once (no election timeout), and
 * never campaigns again; the rest go on with the smaller quorum. */
TEST(leader_removes_itself)
{
    static const uint32_t sizes[] = {2, 3, 5};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint32_t n = sizes[i];
        ROW("%u voters", n);
        struct cl c;
        cl_init(&c, n, n);
        RCHECK(cl_elect(&c, 1));
        uint64_t term = cl_status(&c, 1).term;
        RCHECK_EQ(propose_conf(&c, 1, RAFT_CONF_REMOVE, 1), 0);
        cl_settle(&c); /* no ticks: the hand-off needs no timeout */
        uint64_t lead = cl_leader(&c);
        RCHECK(lead != RAFT_NONE && lead != 1);
        RCHECK_EQ(cl_status(&c, lead).term, term + 1);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_FOLLOWER);
        RCHECK_EQ(cl_status(&c, lead).conf.n_voters, n - 1);
        RCHECK(!rt_voter(&c, lead, 1));
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, lead, "after", &idx), 0);
        cl_tick_all(&c, 100);
        RCHECK_EQ(cl_status(&c, lead).commit >= idx, true);
        RCHECK_EQ(cl_status(&c, 1).role, RAFT_FOLLOWER);
        RCHECK_EQ(cl_leader(&c), lead);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A removed voter is no longer counted: with {1,2,3} shrunk to {1,2}, cutting
 * node 2 stops commits although node 3 is still up and connected, and an
 * acknowledgement from node 3 is ignored. */
TEST(removed_voter_no_longer_counted)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("remove 3");
    RCHECK(cl_elect(&c, 1));
    RCHECK_EQ(propose_conf(&c, 1, RAFT_CONF_REMOVE, 3), 0);
    cl_tick_all(&c, 3);
    RCHECK_EQ(cl_status(&c, 1).conf.n_voters, 2);
    uint64_t commit = cl_status(&c, 1).commit;
    cl_isolate(&c, 2, true);
    raft_report_unreachable(cl_node(&c, 1)->r, 2);
    uint64_t idx;
    RCHECK_EQ(rt_propose(&c, 1, "x", &idx), 0);
    cl_settle(&c);
    RCHECK_EQ(cl_status(&c, 1).commit, commit);
    struct raft_msg ack = rt_msg(RAFT_MSG_APPEND_RESP, 3, 1, cl_status(&c, 1).term);
    ack.index = idx;
    cl_step(&c, 1, &ack);
    RCHECK_EQ(cl_status(&c, 1).commit, commit);
    cl_isolate(&c, 2, false);
    cl_tick_all(&c, 3);
    RCHECK_EQ(cl_status(&c, 1).commit, idx);
    CHECK_SAFE(&c);
    cl_free(&c);
}

/* The quorum is a majority of the voters in force: grow or shrink the group
 * from three voters, then cut k of the other voters and see whether an entry
 * still commits. */
TEST(quorum_follows_configuration)
{
    struct change {
        uint8_t op;
        uint64_t node;
    };
    static const struct {
        struct change changes[3];
        uint32_t n_changes;
        uint32_t cut;
        bool commits;
    } rows[] = {
        {{{0, 0}}, 0, 1, true},
        {{{0, 0}}, 0, 2, false},
        {{{RAFT_CONF_ADD_VOTER, 4}}, 1, 1, true},
        {{{RAFT_CONF_ADD_VOTER, 4}}, 1, 2, false},
        {{{RAFT_CONF_ADD_VOTER, 4}, {RAFT_CONF_ADD_VOTER, 5}}, 2, 2, true},
        {{{RAFT_CONF_ADD_VOTER, 4}, {RAFT_CONF_ADD_VOTER, 5}}, 2, 3, false},
        {{{RAFT_CONF_REMOVE, 3}}, 1, 0, true},
        {{{RAFT_CONF_REMOVE, 3}}, 1, 1, false},
        {{{RAFT_CONF_ADD_VOTER, 4}, {RAFT_CONF_REMOVE, 2}, {RAFT_CONF_REMOVE, 3}}, 3, 0, true},
        {{{RAFT_CONF_ADD_VOTER, 4}, {RAFT_CONF_REMOVE, 2}, {RAFT_CONF_REMOVE, 3}}, 3, 1, false},
        {{{RAFT_CONF_ADD_LEARNER, 4}, {RAFT_CONF_ADD_LEARNER, 5}}, 2, 1, true},
        {{{RAFT_CONF_ADD_LEARNER, 4}, {RAFT_CONF_ADD_LEARNER, 5}}, 2, 2, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu", i);
        struct cl c;
        cl_init(&c, 5, 3);
        RCHECK(cl_elect(&c, 1));
        for (uint32_t k = 0; k < rows[i].n_changes; k++) {
            RCHECK_EQ(propose_conf(&c, 1, rows[i].changes[k].op, rows[i].changes[k].node), 0);
            cl_tick_all(&c, 3);
        }
        RCHECK_EQ(cl_leader(&c), 1);
        struct raft_conf conf = cl_status(&c, 1).conf;
        /* Cut the last `cut` voters other than the leader. */
        uint32_t cut = 0;
        for (uint32_t v = conf.n_voters; v-- > 0 && cut < rows[i].cut;) {
            if (conf.voters[v] == 1)
                continue;
            cl_isolate(&c, conf.voters[v], true);
            cut++;
        }
        RCHECK_EQ(cut, rows[i].cut);
        uint64_t before = cl_status(&c, 1).commit, idx;
        RCHECK_EQ(rt_propose(&c, 1, "q", &idx), 0);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 1).commit, rows[i].commits ? idx : before);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* raft_conf_apply on its own: the configuration algebra. */
TEST(conf_apply_table)
{
    static const struct {
        uint64_t voters[4], learners[4];
        uint8_t op;
        uint64_t node;
        int rc;
        uint32_t want_voters, want_learners;
    } rows[] = {
        {{1, 2, 3}, {0}, RAFT_CONF_ADD_VOTER, 4, 0, 4, 0},
        {{1, 2, 3}, {4}, RAFT_CONF_ADD_VOTER, 4, 0, 4, 0},
        {{1, 2, 3}, {0}, RAFT_CONF_ADD_LEARNER, 4, 0, 3, 1},
        {{1, 2, 3}, {4}, RAFT_CONF_REMOVE, 4, 0, 3, 0},
        {{1, 2, 3}, {4}, RAFT_CONF_REMOVE, 2, 0, 2, 1},
        {{1}, {4}, RAFT_CONF_REMOVE, 1, ERR_INVAL, 1, 1},
        {{1, 2, 3}, {0}, RAFT_CONF_ADD_VOTER, 3, ERR_INVAL, 3, 0},
        {{1, 2, 3}, {0}, RAFT_CONF_ADD_LEARNER, 3, ERR_INVAL, 3, 0},
        {{1, 2, 3}, {0}, RAFT_CONF_REMOVE, 5, ERR_INVAL, 3, 0},
        {{1, 2, 3}, {0}, 9, 5, ERR_INVAL, 3, 0},
        {{1, 2, 3}, {0}, RAFT_CONF_ADD_VOTER, RAFT_NONE, ERR_INVAL, 3, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu", i);
        struct raft_conf conf;
        memset(&conf, 0, sizeof conf);
        for (uint32_t k = 0; k < 4 && rows[i].voters[k]; k++)
            conf.voters[conf.n_voters++] = rows[i].voters[k];
        for (uint32_t k = 0; k < 4 && rows[i].learners[k]; k++)
            conf.learners[conf.n_learners++] = rows[i].learners[k];
        struct raft_conf orig = conf;
        struct raft_conf_change cc = {.op = rows[i].op, .node = rows[i].node};
        RCHECK_EQ(raft_conf_apply(&conf, &cc), rows[i].rc);
        if (rows[i].rc != 0)
            RCHECK(memcmp(&conf, &orig, sizeof conf) == 0);
        RCHECK_EQ(conf.n_voters, rows[i].want_voters);
        RCHECK_EQ(conf.n_learners, rows[i].want_learners);
        bool voter = raft_conf_is_voter(&conf, rows[i].node);
        bool learner = raft_conf_is_learner(&conf, rows[i].node);
        RCHECK(!(voter && learner));
        if (rows[i].rc == 0) {
            RCHECK_EQ(voter, rows[i].op == RAFT_CONF_ADD_VOTER);
            RCHECK_EQ(learner, rows[i].op == RAFT_CONF_ADD_LEARNER);
        }
    }
    /* RAFT_VOTERS_MAX voters, then RAFT_MEMBERS_MAX members in all. */
    struct raft_conf conf;
    memset(&conf, 0, sizeof conf);
    ROW("bounds");
    for (uint64_t id = 1; id <= RAFT_VOTERS_MAX; id++) {
        struct raft_conf_change cc = {.op = RAFT_CONF_ADD_VOTER, .node = id};
        RCHECK_EQ(raft_conf_apply(&conf, &cc), 0);
    }
    struct raft_conf_change more = {.op = RAFT_CONF_ADD_VOTER, .node = 100};
    RCHECK_EQ(raft_conf_apply(&conf, &more), ERR_INVAL);
    for (uint64_t id = 100; conf.n_voters + conf.n_learners < RAFT_MEMBERS_MAX; id++) {
        struct raft_conf_change cc = {.op = RAFT_CONF_ADD_LEARNER, .node = id};
        RCHECK_EQ(raft_conf_apply(&conf, &cc), 0);
    }
    more.op = RAFT_CONF_ADD_LEARNER;
    more.node = 1000;
    RCHECK_EQ(raft_conf_apply(&conf, &more), ERR_INVAL);
}

/* The encoding of a change inside a RAFT_ENTRY_CONF entry round-trips, and
 * the decoder refuses what is not a change. */
TEST(conf_change_encoding)
{
    static const struct {
        uint8_t op;
        uint64_t node;
    } good[] = {{RAFT_CONF_ADD_VOTER, 1},
                {RAFT_CONF_ADD_LEARNER, UINT64_MAX},
                {RAFT_CONF_REMOVE, 0x0102030405060708ull}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ROW("good %zu", i);
        struct raft_conf_change cc = {.op = good[i].op, .node = good[i].node}, out;
        uint8_t buf[RAFT_CONF_CHANGE_ENCODED_LEN];
        raft_conf_change_encode(&cc, buf);
        RCHECK_EQ(raft_conf_change_decode(buf, sizeof buf, &out), 0);
        RCHECK_EQ(out.op, cc.op);
        RCHECK_EQ(out.node, cc.node);
        for (uint32_t len = 0; len < 2 * RAFT_CONF_CHANGE_ENCODED_LEN; len++) {
            if (len == RAFT_CONF_CHANGE_ENCODED_LEN)
                continue;
            uint8_t big[2 * RAFT_CONF_CHANGE_ENCODED_LEN] = {0};
            memcpy(big, buf, sizeof buf);
            RCHECK_EQ(raft_conf_change_decode(big, len, &out), ERR_MALFORMED);
        }
    }
    static const uint8_t bad[][RAFT_CONF_CHANGE_ENCODED_LEN] = {
        {0, 1, 0, 0, 0, 0, 0, 0, 0}, {4, 1, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ROW("bad %zu", i);
        struct raft_conf_change out;
        RCHECK_EQ(raft_conf_change_decode(bad[i], sizeof bad[i], &out), ERR_MALFORMED);
    }
}

TEST_MAIN()
