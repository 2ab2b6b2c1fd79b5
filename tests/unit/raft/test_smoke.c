/* End-to-end smoke tests of the Raft core over the synchronous test cluster. */
#include "test.h"

#include "cluster.h"

TEST(single_node_elects_itself_and_commits)
{
    struct cl c;
    cl_init(&c, 1, 1);
    cl_tick_all(&c, 25);
    CHECK_EQ(cl_leader(&c), 1);
    uint64_t idx;
    CHECK_EQ(raft_propose(cl_node(&c, 1)->r, "hello", 5, &idx), 0);
    cl_settle(&c);
    struct cl_node *n = cl_node(&c, 1);
    CHECK(n->n_applied >= 2);
    CHECK_EQ(n->applied[n->n_applied - 1].index, idx);
    CHECK(memcmp(n->applied[n->n_applied - 1].data, "hello", 5) == 0);
    cl_free(&c);
}

TEST(three_nodes_replicate_in_order)
{
    struct cl c;
    cl_init(&c, 3, 3);
    cl_tick_all(&c, 30);
    uint64_t lead = cl_leader(&c);
    CHECK(lead != RAFT_NONE);
    for (int i = 0; i < 100; i++) {
        char buf[16];
        int len = snprintf(buf, sizeof buf, "cmd%d", i);
        CHECK_EQ(raft_propose(cl_node(&c, lead)->r, buf, (uint32_t)len, NULL), 0);
        if (i % 7 == 0)
            cl_settle(&c);
    }
    cl_tick_all(&c, 3);
    for (uint64_t id = 1; id <= 3; id++) {
        struct cl_node *n = cl_node(&c, id);
        uint32_t normal = 0;
        for (uint32_t k = 0; k < n->n_applied; k++) {
            if (n->applied[k].type != RAFT_ENTRY_NORMAL)
                continue;
            char buf[16];
            int len = snprintf(buf, sizeof buf, "cmd%u", normal);
            CHECK_EQ(n->applied[k].len, len);
            CHECK(memcmp(n->applied[k].data, buf, (size_t)len) == 0);
            normal++;
        }
        CHECK_EQ(normal, 100);
    }
    cl_free(&c);
}

TEST(leader_failover_keeps_committed_entries)
{
    struct cl c;
    cl_init(&c, 3, 3);
    cl_tick_all(&c, 30);
    uint64_t old = cl_leader(&c);
    CHECK(old != RAFT_NONE);
    CHECK_EQ(raft_propose(cl_node(&c, old)->r, "a", 1, NULL), 0);
    cl_tick_all(&c, 2);
    cl_isolate(&c, old, true);
    cl_tick_all(&c, 60);
    uint64_t lead = cl_leader(&c);
    CHECK(lead != RAFT_NONE && lead != old);
    CHECK_EQ(raft_propose(cl_node(&c, lead)->r, "b", 1, NULL), 0);
    cl_tick_all(&c, 2);
    cl_isolate(&c, old, false);
    cl_tick_all(&c, 30);
    for (uint64_t id = 1; id <= 3; id++) {
        struct cl_node *n = cl_node(&c, id);
        char seen[8];
        int k = 0;
        for (uint32_t i = 0; i < n->n_applied && k < 8; i++)
            if (n->applied[i].type == RAFT_ENTRY_NORMAL)
                seen[k++] = (char)n->applied[i].data[0];
        CHECK_EQ(k, 2);
        CHECK(seen[0] == 'a' && seen[1] == 'b');
    }
    cl_free(&c);
}

TEST(read_index_on_leader_and_follower)
{
    struct cl c;
    cl_init(&c, 3, 3);
    cl_tick_all(&c, 30);
    uint64_t lead = cl_leader(&c);
    uint64_t follower = lead == 1 ? 2 : 1;
    CHECK_EQ(raft_read_index(cl_node(&c, lead)->r, 41), 0);
    CHECK_EQ(raft_read_index(cl_node(&c, follower)->r, 42), 0);
    cl_settle(&c);
    CHECK_EQ(cl_node(&c, lead)->n_reads_ok, 1);
    CHECK_EQ(cl_node(&c, lead)->reads_ok[0], 41);
    CHECK_EQ(cl_node(&c, follower)->n_reads_ok, 1);
    CHECK_EQ(cl_node(&c, follower)->reads_ok[0], 42);
    CHECK_EQ(cl_node(&c, follower)->reads_index[0], cl_status(&c, lead).commit);
    cl_free(&c);
}

TEST(learner_joins_by_snapshot_and_is_promoted)
{
    struct cl c;
    cl_init(&c, 4, 3);
    cl_tick_all(&c, 30);
    uint64_t lead = cl_leader(&c);
    CHECK(lead != RAFT_NONE);
    struct raft_conf_change cc = {.op = RAFT_CONF_ADD_LEARNER, .node = 4};
    CHECK_EQ(raft_propose_conf(cl_node(&c, lead)->r, &cc, NULL), 0);
    cl_tick_all(&c, 5);
    struct raft_status st = cl_status(&c, 4);
    CHECK(raft_conf_is_learner(&st.conf, 4));
    cc.op = RAFT_CONF_ADD_VOTER;
    CHECK_EQ(raft_propose_conf(cl_node(&c, lead)->r, &cc, NULL), 0);
    cl_tick_all(&c, 5);
    st = cl_status(&c, lead);
    CHECK_EQ(st.conf.n_voters, 4);
    struct raft_status st4 = cl_status(&c, 4);
    CHECK(raft_conf_is_voter(&st4.conf, 4));
    cl_free(&c);
}

TEST(leader_removes_itself_and_group_goes_on)
{
    struct cl c;
    cl_init(&c, 3, 3);
    cl_tick_all(&c, 30);
    uint64_t lead = cl_leader(&c);
    struct raft_conf_change cc = {.op = RAFT_CONF_REMOVE, .node = lead};
    CHECK_EQ(raft_propose_conf(cl_node(&c, lead)->r, &cc, NULL), 0);
    cl_tick_all(&c, 40);
    uint64_t nl = cl_leader(&c);
    CHECK(nl != RAFT_NONE && nl != lead);
    CHECK_EQ(cl_status(&c, nl).conf.n_voters, 2);
    CHECK_EQ(raft_propose(cl_node(&c, nl)->r, "x", 1, NULL), 0);
    cl_tick_all(&c, 3);
    struct raft_status st = cl_status(&c, nl);
    CHECK_EQ(st.commit, st.last_index);
    cl_free(&c);
}

TEST(leadership_transfer)
{
    struct cl c;
    cl_init(&c, 3, 3);
    cl_tick_all(&c, 30);
    uint64_t lead = cl_leader(&c);
    uint64_t to = lead % 3 + 1;
    CHECK_EQ(raft_transfer_leader(cl_node(&c, lead)->r, to), 0);
    cl_tick_all(&c, 3);
    CHECK_EQ(cl_leader(&c), to);
    cl_free(&c);
}

TEST_MAIN()
