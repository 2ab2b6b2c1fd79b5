/* Restarting a Raft replica from its persisted state: raft_create keeps term
 * and vote, replays membership changes the application already applied,
 * hands out committed entries it has not, and refuses inconsistent state. */
#include "test.h"

#include "rtest.h"

/* Whatever role a node had, it comes back a follower with the same term,
 * vote, log and (hinted) commit index. */
TEST(restart_keeps_term_vote_and_log)
{
    enum { FOLLOWER_VOTED, CANDIDATE, LEADER, FOLLOWER };
    static const char *names[] = {"voted follower", "candidate", "leader", "follower"};
    for (int row = FOLLOWER_VOTED; row <= FOLLOWER; row++) {
        ROW("%s", names[row]);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.pre_vote = false;
        cl_start_all(&c);
        uint64_t id = 1;
        switch (row) {
        case FOLLOWER_VOTED: {
            struct raft_msg m = rt_vote(RAFT_MSG_VOTE, 3, 1, 5, 1, 1);
            RCHECK_EQ(cl_step(&c, 1, &m), 0);
            cl_ready_all(&c);
            break;
        }
        case CANDIDATE:
            raft_campaign(cl_node(&c, 1)->r);
            cl_ready_all(&c);
            break;
        case LEADER:
        case FOLLOWER:
            RCHECK(cl_elect(&c, 1));
            for (int k = 0; k < 5; k++)
                RCHECK_EQ(rt_propose(&c, 1, "k", NULL), 0);
            cl_tick_all(&c, 2);
            id = row == LEADER ? 1 : 2;
            break;
        }
        struct raft_status before = cl_status(&c, id);
        cl_crash(&c, id);
        cl_start_node(&c, id);
        cl_ready_all(&c);
        struct raft_status after = cl_status(&c, id);
        RCHECK_EQ(after.role, RAFT_FOLLOWER);
        RCHECK_EQ(after.term, before.term);
        RCHECK_EQ(after.vote, before.vote);
        RCHECK_EQ(after.last_index, before.last_index);
        RCHECK_EQ(after.commit, before.commit);
        RCHECK_EQ(after.applied, before.applied);
        RCHECK_EQ(after.leader, RAFT_NONE);
        /* The committed entries were handed out again from the snapshot on. */
        RCHECK_EQ(cl_node(&c, id)->n_applied, after.commit - 1);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static void preload_conf(struct cl *c, uint64_t id, uint64_t term, uint8_t op, uint64_t node)
{
    struct raft_conf_change cc = {.op = op, .node = node};
    uint8_t buf[RAFT_CONF_CHANGE_ENCODED_LEN];
    raft_conf_change_encode(&cc, buf);
    cl_preload_entry(c, id, term, RAFT_ENTRY_CONF, buf, sizeof buf);
}

/* The log after the bootstrap snapshot {1,2,3}: 2 adds learner 4, 3 is a
 * command, 4 removes 3, 5 promotes 4, 6 is a command; all committed. A
 * restart with applied index a has in force the configuration after entry a
 * (the changes up to a are replayed), is handed entries a+1..6 again, and
 * ends with {1,2,4} once it applied them. Optionally the log was compacted
 * up to `snap` first, with the configuration of that point. */
TEST(restart_replays_changes_up_to_applied)
{
    struct want {
        uint32_t voters, learners;
        bool has3, has4_voter, has4_learner;
    };
    static const struct want after[7] = {
        [1] = {3, 0, true, false, false}, [2] = {3, 1, true, false, true},
        [3] = {3, 1, true, false, true},  [4] = {2, 1, false, false, true},
        [5] = {3, 0, false, true, false}, [6] = {3, 0, false, true, false},
    };
    static const struct {
        uint64_t snap, applied;
    } rows[] = {{1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}, {1, 6}, {3, 3}, {3, 5}, {4, 4}, {5, 6}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("snapshot at %llu, applied %llu", (unsigned long long)rows[i].snap,
            (unsigned long long)rows[i].applied);
        struct cl c;
        cl_setup(&c, 4, 3);
        preload_conf(&c, 1, 2, RAFT_CONF_ADD_LEARNER, 4);
        static const uint64_t t2[] = {2};
        cl_preload(&c, 1, t2, 1);
        preload_conf(&c, 1, 2, RAFT_CONF_REMOVE, 3);
        preload_conf(&c, 1, 2, RAFT_CONF_ADD_VOTER, 4);
        cl_preload(&c, 1, t2, 1);
        cl_preload_hs(&c, 1, 2, RAFT_NONE, 6);
        struct raft_mem *mem = &cl_node(&c, 1)->mem;
        if (rows[i].snap > 1) {
            /* The configuration as of the snapshot point, from the table. */
            struct raft_snapshot_meta meta = {.index = rows[i].snap, .term = 2};
            const struct want *w = &after[rows[i].snap];
            meta.conf.voters[meta.conf.n_voters++] = 1;
            meta.conf.voters[meta.conf.n_voters++] = 2;
            if (w->has3)
                meta.conf.voters[meta.conf.n_voters++] = 3;
            if (w->has4_voter)
                meta.conf.voters[meta.conf.n_voters++] = 4;
            if (w->has4_learner)
                meta.conf.learners[meta.conf.n_learners++] = 4;
            raft_mem_compact(mem, &meta);
        }
        RCHECK_EQ(cl_start_node_at(&c, 1, rows[i].applied), 0);
        const struct want *w = &after[rows[i].applied];
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.conf.n_voters, w->voters);
        RCHECK_EQ(st.conf.n_learners, w->learners);
        RCHECK_EQ(raft_conf_is_voter(&st.conf, 3), w->has3);
        RCHECK_EQ(raft_conf_is_voter(&st.conf, 4), w->has4_voter);
        RCHECK_EQ(raft_conf_is_learner(&st.conf, 4), w->has4_learner);
        RCHECK_EQ(st.commit, 6);
        RCHECK_EQ(st.applied, rows[i].applied);
        cl_ready_all(&c);
        struct cl_node *n1 = cl_node(&c, 1);
        RCHECK_EQ(n1->n_applied, 6 - rows[i].applied);
        for (uint32_t k = 0; k < n1->n_applied; k++)
            RCHECK_EQ(n1->applied[k].index, rows[i].applied + 1 + k);
        st = cl_status(&c, 1);
        RCHECK_EQ(st.applied, 6);
        RCHECK_EQ(st.conf.n_voters, 3);
        RCHECK(raft_conf_is_voter(&st.conf, 4) && !raft_conf_is_voter(&st.conf, 3));
        RCHECK_EQ(st.conf.n_learners, 0);
        cl_free(&c);
    }
}

/* A storage whose first index does not follow its snapshot. */
static uint64_t lying_first_index(void *ctx)
{
    struct raft_mem *m = ctx;
    return m->snap.index + 2;
}

/* raft_create refuses state that cannot be right (ERR_CORRUPT) and
 * configurations that cannot work (ERR_INVAL). The log: snapshot 1, entries
 * 2..6. */
TEST(create_refuses_inconsistent_state)
{
    enum { NONE, ID0, ELECTION1, HB0, HB_EQ_E, INFLIGHT0, MSGBYTES0, LYING };
    static const struct {
        uint64_t commit, applied;
        int tweak;
        int rc;
        uint64_t want_commit;
    } rows[] = {
        {6, 6, NONE, 0, 6},
        {0, 1, NONE, 0, 1},
        {3, 1, NONE, 0, 3},
        {3, 5, NONE, 0, 5},
        {7, 6, NONE, ERR_CORRUPT, 0},
        {6, 7, NONE, ERR_CORRUPT, 0},
        {99, 1, NONE, ERR_CORRUPT, 0},
        {6, 0, NONE, ERR_CORRUPT, 0},
        {6, 6, ID0, ERR_INVAL, 0},
        {6, 6, ELECTION1, ERR_INVAL, 0},
        {6, 6, HB0, ERR_INVAL, 0},
        {6, 6, HB_EQ_E, ERR_INVAL, 0},
        {6, 6, INFLIGHT0, ERR_INVAL, 0},
        {6, 6, MSGBYTES0, ERR_INVAL, 0},
        {6, 6, LYING, ERR_CORRUPT, 0},
    };
    static const uint64_t log[] = {1, 1, 2, 2, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("commit=%llu applied=%llu tweak=%d", (unsigned long long)rows[i].commit,
            (unsigned long long)rows[i].applied, rows[i].tweak);
        struct cl c;
        cl_setup(&c, 1, 1);
        cl_preload(&c, 1, log, 5);
        struct raft_mem mem = cl_node(&c, 1)->mem; /* take over the preloaded storage */
        memset(&cl_node(&c, 1)->mem, 0, sizeof mem);
        mem.hs.term = 2;
        mem.hs.commit = rows[i].commit;
        struct raft_config cfg;
        raft_config_default(&cfg, 1);
        switch (rows[i].tweak) {
        case ID0:
            cfg.id = RAFT_NONE;
            break;
        case ELECTION1:
            cfg.election_ticks = 1;
            cfg.heartbeat_ticks = 0;
            break;
        case HB0:
            cfg.heartbeat_ticks = 0;
            break;
        case HB_EQ_E:
            cfg.heartbeat_ticks = cfg.election_ticks;
            break;
        case INFLIGHT0:
            cfg.max_inflight_msgs = 0;
            break;
        case MSGBYTES0:
            cfg.max_msg_bytes = 0;
            break;
        }
        struct raft_storage st = raft_mem_storage(&mem);
        if (rows[i].tweak == LYING)
            st.first_index = lying_first_index;
        struct raft *r = NULL;
        RCHECK_EQ(raft_create(&cfg, &st, &mem.hs, rows[i].applied, &r), rows[i].rc);
        if (rows[i].rc == 0) {
            struct raft_status s;
            raft_status(r, &s);
            RCHECK_EQ(s.commit, rows[i].want_commit);
            RCHECK_EQ(s.applied, rows[i].applied);
            RCHECK_EQ(s.last_index, 6);
            RCHECK_EQ(s.term, 2);
            raft_destroy(r);
        } else {
            RCHECK(r == NULL);
        }
        raft_mem_free(&mem);
        cl_free(&c);
    }
}

/* The hard state's term may be older than the snapshot's (the snapshot came
 * from a later leader): the term is the snapshot's, and an old vote is void. */
TEST(restart_with_snapshot_newer_than_hard_state)
{
    static const struct {
        uint64_t hs_term, hs_vote, snap_term;
        uint64_t want_term, want_vote;
    } rows[] = {{3, 2, 5, 5, RAFT_NONE}, {5, 2, 5, 5, 2}, {7, 3, 5, 7, 3}, {1, 0, 4, 4, RAFT_NONE}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("hs=(%llu,%llu) snapshot term %llu", (unsigned long long)rows[i].hs_term,
            (unsigned long long)rows[i].hs_vote, (unsigned long long)rows[i].snap_term);
        struct cl c;
        cl_setup(&c, 3, 3);
        struct raft_mem *mem = &cl_node(&c, 1)->mem;
        mem->snap.index = 10;
        mem->snap.term = rows[i].snap_term;
        cl_preload_hs(&c, 1, rows[i].hs_term, rows[i].hs_vote, 10);
        cl_start_all(&c);
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.term, rows[i].want_term);
        RCHECK_EQ(st.vote, rows[i].want_vote);
        RCHECK_EQ(st.commit, 10);
        RCHECK_EQ(st.last_index, 10);
        cl_free(&c);
    }
}

/* The whole group stops and starts again, with the application's applied
 * index either lost (replay everything from the snapshot) or kept: no
 * committed entry is lost, none is applied twice in one run, and the group
 * goes on. */
TEST(whole_group_restart)
{
    static const struct {
        uint32_t n, entries;
        bool keep_applied;
    } rows[] = {{3, 10, false}, {3, 10, true}, {5, 100, false}, {5, 30, true}, {1, 5, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("n=%u entries=%u keep_applied=%d", rows[i].n, rows[i].entries, rows[i].keep_applied);
        struct cl c;
        cl_init(&c, rows[i].n, rows[i].n);
        RCHECK(cl_elect(&c, 1));
        for (uint32_t k = 0; k < rows[i].entries; k++) {
            char buf[16];
            snprintf(buf, sizeof buf, "e%u", k);
            RCHECK_EQ(rt_propose(&c, 1, buf, NULL), 0);
        }
        cl_tick_all(&c, 3);
        uint64_t applied[CL_NODES_MAX];
        for (uint64_t id = 1; id <= rows[i].n; id++) {
            applied[id - 1] = cl_status(&c, id).applied;
            RCHECK_EQ(cl_applied_normal(&c, id), rows[i].entries);
            cl_crash(&c, id);
        }
        cl_queue_clear(&c);
        for (uint64_t id = 1; id <= rows[i].n; id++) {
            uint64_t from = rows[i].keep_applied ? applied[id - 1] : 1;
            RCHECK_EQ(cl_start_node_at(&c, id, from), 0);
        }
        cl_ready_all(&c);
        for (uint64_t id = 1; id <= rows[i].n; id++)
            RCHECK_EQ(cl_applied_normal(&c, id), rows[i].keep_applied ? 0 : rows[i].entries);
        cl_tick_all(&c, 40);
        uint64_t lead = cl_leader(&c);
        RCHECK(lead != RAFT_NONE);
        RCHECK_EQ(rt_propose(&c, lead, "more", NULL), 0);
        cl_tick_all(&c, 3);
        for (uint64_t id = 1; id <= rows[i].n; id++) {
            struct cl_node *nd = cl_node(&c, id);
            uint32_t normal = cl_applied_normal(&c, id);
            RCHECK_EQ(normal, (rows[i].keep_applied ? 0 : rows[i].entries) + 1);
            for (uint32_t k = 1; k < nd->n_applied; k++)
                RCHECK_EQ(nd->applied[k].index, nd->applied[k - 1].index + 1);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

TEST_MAIN()
