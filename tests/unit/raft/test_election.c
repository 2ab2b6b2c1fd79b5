/* Leader election rules of the Raft core, table by table: randomized timeouts,
 * the vote rules of §5.2 and §5.4.1, vote durability, pre-vote and
 * check-quorum (§D 9.6, §D 4.2.3), stepping down, and learners. */
#include "test.h"

#include "rtest.h"

/* §5.2: a follower that hears nothing starts an election after a timeout
 * drawn from [e, 2e); a candidate that does not win starts another one after
 * a fresh timeout. Measured as ticks between (pre-)vote requests. */
TEST(follower_campaigns_after_randomized_timeout)
{
    static const struct {
        unsigned e;
        bool pre_vote;
    } rows[] = {{2, false}, {2, true}, {3, true}, {5, false}, {10, true}, {20, false}, {20, true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned e = rows[i].e;
        bool seen[64] = {false};
        unsigned distinct = 0;
        for (uint64_t salt = 0; salt < 40; salt++) {
            ROW("e=%u pre_vote=%d salt=%llu", e, rows[i].pre_vote, (unsigned long long)salt);
            struct cl c;
            cl_setup(&c, 3, 3);
            c.base_cfg.election_ticks = e;
            c.base_cfg.pre_vote = rows[i].pre_vote;
            c.seed_salt = salt;
            cl_start_all(&c);
            int type = rows[i].pre_vote ? RAFT_MSG_PRE_VOTE : RAFT_MSG_VOTE;
            unsigned since = 0, campaigns = 0;
            uint64_t term0 = cl_status(&c, 1).term;
            for (unsigned t = 0; t < 20 * e && campaigns < 3; t++) {
                cl_tick_node(&c, 1, 1);
                since++;
                cl_ready_all(&c);
                uint32_t asked = cl_queue_count(&c, type, 1, 0);
                cl_queue_clear(&c);
                if (asked == 0)
                    continue;
                RCHECK_EQ(asked, 2);
                RCHECK(since >= e && since < 2 * e);
                if (!seen[since]) {
                    seen[since] = true;
                    distinct++;
                }
                since = 0;
                campaigns++;
                struct raft_status st = cl_status(&c, 1);
                RCHECK_EQ(st.role, rows[i].pre_vote ? RAFT_PRE_CANDIDATE : RAFT_CANDIDATE);
                /* A pre-candidate keeps its term; a candidate bumps it each time. */
                RCHECK_EQ(st.term, rows[i].pre_vote ? term0 : term0 + campaigns);
            }
            RCHECK_EQ(campaigns, 3);
            CHECK_SAFE(&c);
            cl_free(&c);
        }
        ROW("e=%u pre_vote=%d", e, rows[i].pre_vote);
        /* Randomized: over 40 seeds more than one timeout value shows up. */
        RCHECK(distinct >= (e < 3 ? e : 3));
    }
}

/* §5.4.1: a vote (and a pre-vote) goes only to a candidate whose log is at
 * least as up to date: a higher last term, or the same last term and a last
 * index at least as high. The voter's log ends at (4, 2). */
TEST(vote_granted_only_to_up_to_date_log)
{
    static const struct {
        uint64_t index, term;
        bool grant;
    } rows[] = {
        {4, 2, true}, {5, 2, true}, {100, 2, true}, {3, 2, false}, {2, 2, false}, {1, 3, true},
        {4, 3, true}, {2, 9, true}, {10, 1, false}, {4, 1, false}, {1, 1, false}, {5, 1, false},
    };
    static const uint64_t log[] = {1, 2, 2}; /* indexes 2..4 */
    for (int pre = 0; pre <= 1; pre++) {
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            ROW("%s last=(%llu,%llu)", pre ? "pre-vote" : "vote", (unsigned long long)rows[i].index,
                (unsigned long long)rows[i].term);
            struct cl c;
            cl_setup(&c, 3, 3);
            cl_preload(&c, 1, log, 3);
            cl_preload_hs(&c, 1, 2, RAFT_NONE, 1);
            cl_start_all(&c);
            int type = pre ? RAFT_MSG_PRE_VOTE : RAFT_MSG_VOTE;
            struct raft_msg m = rt_vote(type, 2, 1, 3, rows[i].index, rows[i].term);
            RCHECK_EQ(cl_step(&c, 1, &m), 0);
            cl_ready_all(&c);
            int resp_type = pre ? RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP;
            RCHECK_EQ(cl_queue_count(&c, 0, 1, 0), 1);
            bool ap = false;
            const struct raft_msg *r = cl_queue_get(&c, resp_type, 1, 2, 0, &ap);
            RCHECK(r != NULL);
            RCHECK_EQ(r->reject, !rows[i].grant);
            struct raft_status st = cl_status(&c, 1);
            if (pre) {
                /* Nothing changes on the voter; a grant echoes the asked term. */
                RCHECK_EQ(st.term, 2);
                RCHECK_EQ(st.vote, RAFT_NONE);
                RCHECK_EQ(r->term, rows[i].grant ? 3 : 2);
            } else {
                RCHECK_EQ(st.term, 3);
                RCHECK_EQ(st.vote, rows[i].grant ? 2 : RAFT_NONE);
                RCHECK_EQ(cl_node(&c, 1)->mem.hs.vote, rows[i].grant ? 2 : RAFT_NONE);
                RCHECK_EQ(r->term, 3);
                RCHECK(ap); /* a vote answer speaks for durable state */
            }
            CHECK_SAFE(&c);
            cl_free(&c);
        }
    }
}

/* §5.2: at most one vote per term, first come first served, and the vote
 * survives a restart. */
TEST(one_vote_per_term)
{
    static const struct {
        uint64_t voted, candidate;
        bool grant;
    } rows[] = {
        {RAFT_NONE, 2, true}, {RAFT_NONE, 3, true}, {2, 2, true},
        {3, 3, true},         {2, 3, false},        {3, 2, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("voted=%llu candidate=%llu", (unsigned long long)rows[i].voted,
            (unsigned long long)rows[i].candidate);
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload_hs(&c, 1, 3, rows[i].voted, 1);
        cl_start_all(&c);
        struct raft_msg m = rt_vote(RAFT_MSG_VOTE, rows[i].candidate, 1, 3, 1, 1);
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        const struct raft_msg *r =
            cl_queue_get(&c, RAFT_MSG_VOTE_RESP, 1, rows[i].candidate, 0, NULL);
        RCHECK(r != NULL);
        RCHECK_EQ(r->reject, !rows[i].grant);
        uint64_t holder = rows[i].voted != RAFT_NONE ? rows[i].voted : rows[i].candidate;
        RCHECK_EQ(cl_status(&c, 1).vote, holder);
        cl_queue_clear(&c);

        /* The other candidate is refused, before and after a restart. */
        uint64_t other = holder == 2 ? 3 : 2;
        for (int restart = 0; restart <= 1; restart++) {
            if (restart) {
                cl_crash(&c, 1);
                cl_start_node(&c, 1);
                RCHECK_EQ(cl_status(&c, 1).term, 3);
                RCHECK_EQ(cl_status(&c, 1).vote, holder);
            }
            m = rt_vote(RAFT_MSG_VOTE, other, 1, 3, 50, 1);
            RCHECK_EQ(cl_step(&c, 1, &m), 0);
            cl_ready_all(&c);
            r = cl_queue_get(&c, RAFT_MSG_VOTE_RESP, 1, other, 0, NULL);
            RCHECK(r != NULL);
            RCHECK(r->reject);
            RCHECK_EQ(cl_status(&c, 1).vote, holder);
            cl_queue_clear(&c);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A vote is a promise: its answer may leave only once the vote is durable
 * (msgs_after_persist). RAFT_BREAK_VOTE_PERSISTENCE sends it at once, which
 * this test tells apart. The candidate's own requests wait for its vote too. */
TEST(vote_answer_waits_for_persistence)
{
    static const struct {
        unsigned breaks;
        bool in_msgs;
    } rows[] = {{0, false}, {RAFT_BREAK_VOTE_PERSISTENCE, true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("breaks=%u", rows[i].breaks);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.breaks = rows[i].breaks;
        c.base_cfg.pre_vote = false;
        cl_start_all(&c);
        struct raft *r1 = cl_node(&c, 1)->r;
        struct raft_msg m = rt_vote(RAFT_MSG_VOTE, 2, 1, 2, 1, 1);
        RCHECK_EQ(raft_step(r1, &m), 0);
        RCHECK(raft_has_ready(r1));
        struct raft_ready rd;
        raft_ready(r1, &rd);
        RCHECK(rd.has_hard_state);
        RCHECK_EQ(rd.hard_state.term, 2);
        RCHECK_EQ(rd.hard_state.vote, 2);
        uint32_t now = 0, later = 0;
        for (uint32_t k = 0; k < rd.n_msgs; k++)
            now += rd.msgs[k].type == RAFT_MSG_VOTE_RESP && !rd.msgs[k].reject;
        for (uint32_t k = 0; k < rd.n_msgs_after_persist; k++)
            later += rd.msgs_after_persist[k].type == RAFT_MSG_VOTE_RESP &&
                     !rd.msgs_after_persist[k].reject;
        raft_mem_persist(&cl_node(&c, 1)->mem, &rd);
        raft_advance(r1, &rd);
        RCHECK_EQ(now, rows[i].in_msgs ? 1 : 0);
        RCHECK_EQ(later, rows[i].in_msgs ? 0 : 1);

        /* Node 3 campaigns: its requests follow its durable vote for itself. */
        struct raft *r3 = cl_node(&c, 3)->r;
        raft_campaign(r3);
        raft_ready(r3, &rd);
        RCHECK(rd.has_hard_state);
        RCHECK_EQ(rd.hard_state.vote, 3);
        uint32_t req_now = 0, req_later = 0;
        for (uint32_t k = 0; k < rd.n_msgs; k++)
            req_now += rd.msgs[k].type == RAFT_MSG_VOTE;
        for (uint32_t k = 0; k < rd.n_msgs_after_persist; k++)
            req_later += rd.msgs_after_persist[k].type == RAFT_MSG_VOTE;
        raft_mem_persist(&cl_node(&c, 3)->mem, &rd);
        raft_advance(r3, &rd);
        RCHECK_EQ(req_now, 0);
        RCHECK_EQ(req_later, 2);
        cl_free(&c);
    }
}

/* §D 9.6: a pre-vote changes nobody's term or vote, granted or not; a voter
 * that hears from a leader ignores it; a voter with a higher term refuses. */
TEST(pre_vote_leaves_terms_alone)
{
    static const struct {
        const char *name;
        uint64_t voter_term;
        bool heard_leader;
        uint64_t ask_term, last_index, last_term;
        bool answered, grant;
    } rows[] = {
        {"up to date, no leader", 2, false, 3, 2, 2, true, true},
        {"longer log, no leader", 2, false, 3, 7, 2, true, true},
        {"stale log", 2, false, 3, 1, 1, true, false},
        {"in lease", 2, true, 3, 2, 2, false, false},
        {"in lease, far future", 2, true, 30, 9, 9, false, false},
        {"voter term higher", 5, false, 3, 2, 2, true, false},
    };
    static const uint64_t log[] = {2}; /* index 2, term 2 */
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%s", rows[i].name);
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload(&c, 1, log, 1);
        cl_preload_hs(&c, 1, rows[i].voter_term, RAFT_NONE, 1);
        cl_start_all(&c);
        if (rows[i].heard_leader) {
            struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 2, 1, rows[i].voter_term);
            RCHECK_EQ(cl_step(&c, 1, &hb), 0);
            cl_ready_all(&c);
            cl_queue_clear(&c);
        }
        struct raft_msg m = rt_vote(RAFT_MSG_PRE_VOTE, 3, 1, rows[i].ask_term, rows[i].last_index,
                                    rows[i].last_term);
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        const struct raft_msg *r = cl_queue_get(&c, RAFT_MSG_PRE_VOTE_RESP, 1, 3, 0, NULL);
        RCHECK_EQ(r != NULL, rows[i].answered);
        RCHECK_EQ(cl_queue_count(&c, 0, 1, 0), rows[i].answered ? 1 : 0);
        if (r != NULL) {
            RCHECK_EQ(r->reject, !rows[i].grant);
            RCHECK_EQ(r->term, rows[i].grant ? rows[i].ask_term : rows[i].voter_term);
        }
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.term, rows[i].voter_term);
        RCHECK_EQ(st.vote, RAFT_NONE);
        RCHECK_EQ(st.leader, rows[i].heard_leader ? 2 : RAFT_NONE);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A node cut off from the others pre-votes in vain; neither its term nor
 * anyone else's moves. */
TEST(isolated_pre_candidate_keeps_its_term)
{
    struct cl c;
    cl_init(&c, 3, 3);
    ROW("3 nodes");
    RCHECK(cl_elect(&c, 1));
    uint64_t term = cl_status(&c, 1).term;
    cl_isolate(&c, 3, true);
    cl_tick_all(&c, 200);
    RCHECK(c.n_sent[RAFT_MSG_PRE_VOTE] >= 4); /* it did try, several times */
    RCHECK_EQ(c.n_sent[RAFT_MSG_VOTE], 2);    /* only node 1's election */
    for (uint64_t id = 1; id <= 3; id++)
        RCHECK_EQ(cl_status(&c, id).term, term);
    RCHECK_EQ(cl_leader(&c), 1);
    CHECK_SAFE(&c);
    cl_free(&c);
}

/* A partitioned follower that falls behind and rejoins: with pre-vote it
 * cannot win a pre-vote (its log is stale) and never bumps its term, so the
 * leader stays; without pre-vote its inflated term forces a new election. */
TEST(rejoining_node_disrupts_only_without_pre_vote)
{
    static const struct {
        bool pre_vote, check_quorum, disrupted;
    } rows[] = {
        {true, true, false}, {true, false, false}, {false, true, true}, {false, false, true}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("pre_vote=%d check_quorum=%d", rows[i].pre_vote, rows[i].check_quorum);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.pre_vote = rows[i].pre_vote;
        c.base_cfg.check_quorum = rows[i].check_quorum;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t term = cl_status(&c, 1).term;
        cl_isolate(&c, 3, true);
        RCHECK_EQ(rt_propose(&c, 1, "during", NULL), 0);
        cl_tick_all(&c, 100);
        RCHECK_EQ(cl_leader(&c), 1);
        RCHECK_EQ(cl_status(&c, 1).term, term);
        RCHECK_EQ(cl_status(&c, 3).term > term, !rows[i].pre_vote);
        cl_isolate(&c, 3, false);
        cl_tick_all(&c, 50);
        uint64_t lead = cl_leader(&c);
        RCHECK(lead != RAFT_NONE);
        RCHECK_EQ(cl_status(&c, lead).term > term, rows[i].disrupted);
        if (!rows[i].disrupted)
            RCHECK_EQ(lead, 1);
        /* The group is live either way, and node 3 catches up. */
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, lead, "after", &idx), 0);
        cl_tick_all(&c, 5);
        for (uint64_t id = 1; id <= 3; id++)
            RCHECK(cl_status(&c, id).applied >= idx);
        RCHECK_EQ(cl_applied_normal(&c, 3), 2);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* §D 6.2 check-quorum: a leader that has not heard from a quorum of voters
 * within an election timeout steps down; with a quorum it stays. */
TEST(check_quorum_leader_steps_down_without_quorum)
{
    static const struct {
        uint32_t n;
        uint32_t cut;
        bool check_quorum, stays;
    } rows[] = {
        {3, 0, true, true},  {3, 1, true, true},  {3, 2, true, false}, {5, 2, true, true},
        {5, 3, true, false}, {5, 4, true, false}, {3, 2, false, true}, {5, 4, false, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("n=%u cut=%u check_quorum=%d", rows[i].n, rows[i].cut, rows[i].check_quorum);
        struct cl c;
        cl_setup(&c, rows[i].n, rows[i].n);
        c.base_cfg.check_quorum = rows[i].check_quorum;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        uint64_t term = cl_status(&c, 1).term;
        for (uint32_t k = 0; k < rows[i].cut; k++)
            cl_isolate(&c, 2 + k, true);
        unsigned e = c.base_cfg.election_ticks;
        unsigned stepped = 0;
        for (unsigned t = 1; t <= 3 * e; t++) {
            cl_tick_node(&c, 1, 1);
            cl_settle(&c);
            if (stepped == 0 && cl_status(&c, 1).role != RAFT_LEADER)
                stepped = t;
        }
        RCHECK_EQ(stepped == 0, rows[i].stays);
        if (!rows[i].stays) {
            RCHECK(stepped <= 2 * e); /* at the latest at the second check */
            RCHECK_EQ(cl_status(&c, 1).role, RAFT_FOLLOWER);
            RCHECK_EQ(cl_status(&c, 1).term, term);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* §D 4.2.3: a voter that heard from a leader within the election timeout
 * ignores (pre-)vote requests of a higher term, unless they come from a
 * leadership transfer; without check-quorum there is no such lease. */
TEST(in_lease_voter_ignores_higher_term_requests)
{
    static const struct {
        int type;
        unsigned ticks_since;
        bool check_quorum, transfer, ignored;
    } rows[] = {
        {RAFT_MSG_VOTE, 0, true, false, true},       {RAFT_MSG_VOTE, 9, true, false, true},
        {RAFT_MSG_VOTE, 10, true, false, false},     {RAFT_MSG_VOTE, 25, true, false, false},
        {RAFT_MSG_VOTE, 0, true, true, false},       {RAFT_MSG_VOTE, 0, false, false, false},
        {RAFT_MSG_PRE_VOTE, 0, true, false, true},   {RAFT_MSG_PRE_VOTE, 9, true, false, true},
        {RAFT_MSG_PRE_VOTE, 25, true, false, false}, {RAFT_MSG_PRE_VOTE, 0, false, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%s ticks=%u check_quorum=%d transfer=%d", raft_msg_type_name(rows[i].type),
            rows[i].ticks_since, rows[i].check_quorum, rows[i].transfer);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.check_quorum = rows[i].check_quorum;
        c.base_cfg.pre_vote = false; /* node 1 itself campaigns plainly if it times out */
        cl_start_all(&c);
        struct raft_msg hb = rt_msg(RAFT_MSG_HEARTBEAT, 2, 1, 2);
        RCHECK_EQ(cl_step(&c, 1, &hb), 0);
        cl_tick_node(&c, 1, (int)rows[i].ticks_since);
        cl_ready_all(&c);
        cl_queue_clear(&c);
        uint64_t term_before = cl_status(&c, 1).term;
        uint64_t ask = term_before + 1;
        struct raft_msg m = rt_vote(rows[i].type, 3, 1, ask, 100, 100);
        m.transfer = rows[i].transfer;
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        int resp = rows[i].type == RAFT_MSG_VOTE ? RAFT_MSG_VOTE_RESP : RAFT_MSG_PRE_VOTE_RESP;
        const struct raft_msg *r = cl_queue_get(&c, resp, 1, 3, 0, NULL);
        RCHECK_EQ(r == NULL, rows[i].ignored);
        if (rows[i].ignored) {
            RCHECK_EQ(cl_status(&c, 1).term, term_before);
        } else {
            RCHECK(!r->reject); /* its log is ahead, nobody else asked */
            RCHECK_EQ(cl_status(&c, 1).term, rows[i].type == RAFT_MSG_VOTE ? ask : term_before);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* §5.1: any role that sees a higher term becomes a follower in that term
 * (leader: unless it is a vote request inside its lease); a candidate that
 * hears from a leader of its own term steps down (§5.2). */
TEST(higher_term_turns_any_role_into_follower)
{
    enum { PRE, CAND, LEAD };
    static const struct {
        int role;
        int type;
        bool reject;
        int term_delta;
        int want_role;
        bool want_leader_from; /* status.leader == sender afterwards */
    } rows[] = {
        {PRE, RAFT_MSG_APPEND, false, 1, RAFT_FOLLOWER, true},
        {PRE, RAFT_MSG_HEARTBEAT, false, 1, RAFT_FOLLOWER, true},
        {PRE, RAFT_MSG_APPEND, false, 0, RAFT_FOLLOWER, true},
        {PRE, RAFT_MSG_HEARTBEAT, false, 0, RAFT_FOLLOWER, true},
        {PRE, RAFT_MSG_VOTE, false, 1, RAFT_FOLLOWER, false},
        {PRE, RAFT_MSG_PRE_VOTE_RESP, true, 1, RAFT_FOLLOWER, false},
        {PRE, RAFT_MSG_PRE_VOTE_RESP, false, 1, RAFT_CANDIDATE, false},
        {CAND, RAFT_MSG_APPEND, false, 1, RAFT_FOLLOWER, true},
        {CAND, RAFT_MSG_APPEND, false, 0, RAFT_FOLLOWER, true},
        {CAND, RAFT_MSG_HEARTBEAT, false, 0, RAFT_FOLLOWER, true},
        {CAND, RAFT_MSG_SNAPSHOT, false, 1, RAFT_FOLLOWER, true},
        {CAND, RAFT_MSG_VOTE, false, 1, RAFT_FOLLOWER, false},
        {CAND, RAFT_MSG_VOTE_RESP, true, 1, RAFT_FOLLOWER, false},
        {CAND, RAFT_MSG_APPEND_RESP, false, 1, RAFT_FOLLOWER, false},
        {CAND, RAFT_MSG_HEARTBEAT_RESP, false, 1, RAFT_FOLLOWER, false},
        {LEAD, RAFT_MSG_APPEND, false, 1, RAFT_FOLLOWER, true},
        {LEAD, RAFT_MSG_HEARTBEAT, false, 1, RAFT_FOLLOWER, true},
        {LEAD, RAFT_MSG_APPEND_RESP, false, 1, RAFT_FOLLOWER, false},
        {LEAD, RAFT_MSG_HEARTBEAT_RESP, false, 1, RAFT_FOLLOWER, false},
        {LEAD, RAFT_MSG_VOTE_RESP, true, 1, RAFT_FOLLOWER, false},
        {LEAD, RAFT_MSG_VOTE, false, 1, RAFT_LEADER, false}, /* in its lease */
    };
    static const char *role_names[] = {"pre-candidate", "candidate", "leader"};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%s gets %s%s term+%d", role_names[rows[i].role], raft_msg_type_name(rows[i].type),
            rows[i].reject ? " (reject)" : "", rows[i].term_delta);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.pre_vote = rows[i].role == PRE;
        cl_start_all(&c);
        if (rows[i].role == LEAD)
            RCHECK(cl_elect(&c, 1));
        else
            raft_campaign(cl_node(&c, 1)->r);
        cl_ready_all(&c);
        cl_queue_clear(&c);
        static const enum raft_role want0[] = {RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER};
        RCHECK_EQ(cl_status(&c, 1).role, want0[rows[i].role]);
        uint64_t term = cl_status(&c, 1).term + (uint64_t)rows[i].term_delta;
        struct raft_msg m = rt_msg(rows[i].type, 2, 1, term);
        m.reject = rows[i].reject;
        m.index = rows[i].role == LEAD ? cl_status(&c, 1).last_index : 1;
        m.log_term = rows[i].role == LEAD ? cl_status(&c, 1).term : 1;
        if (rows[i].type == RAFT_MSG_APPEND) {
            m.index = 1; /* the bootstrap entry, which everyone has */
            m.log_term = 1;
        }
        if (rows[i].type == RAFT_MSG_SNAPSHOT) {
            m.snap.index = 1;
            m.snap.term = 1;
            m.snap.conf = cl_status(&c, 1).conf;
        }
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.role, rows[i].want_role);
        /* A leader that ignored the request stays in its term. */
        RCHECK_EQ(st.term, rows[i].want_role == RAFT_LEADER ? term - 1 : term);
        if (rows[i].want_role == RAFT_FOLLOWER)
            RCHECK_EQ(st.leader, rows[i].want_leader_from ? 2 : RAFT_NONE);
        cl_ready_all(&c);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Messages of a stale term change nothing; appends and heartbeats from a
 * stale leader get an answer carrying the newer term, so it steps down, and
 * so do stale (pre-)vote requests, so the candidate catches up (§5.1). */
TEST(stale_term_messages_are_ignored)
{
    static const struct {
        int type;
        bool answered;
    } rows[] = {
        {RAFT_MSG_APPEND, true},       {RAFT_MSG_HEARTBEAT, true},
        {RAFT_MSG_VOTE, true},         {RAFT_MSG_PRE_VOTE, true},
        {RAFT_MSG_APPEND_RESP, false}, {RAFT_MSG_VOTE_RESP, false},
        {RAFT_MSG_TIMEOUT_NOW, false}, {RAFT_MSG_HEARTBEAT_RESP, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("%s", raft_msg_type_name(rows[i].type));
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload_hs(&c, 1, 5, RAFT_NONE, 1);
        cl_start_all(&c);
        struct raft_msg m = rt_msg(rows[i].type, 2, 1, 4);
        m.index = 1;
        m.log_term = 1;
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.term, 5);
        RCHECK_EQ(st.role, RAFT_FOLLOWER);
        RCHECK_EQ(st.leader, RAFT_NONE);
        RCHECK_EQ(st.vote, RAFT_NONE);
        RCHECK_EQ(cl_queue_count(&c, 0, 1, 2), rows[i].answered ? 1 : 0);
        if (rows[i].answered) {
            const struct raft_msg *r = cl_queue_get(&c, 0, 1, 2, 0, NULL);
            RCHECK_EQ(r->term, 5);
        }
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* §5.2: a candidate wins with votes from a majority of voters (its own
 * included), loses once a majority refused; duplicate and non-member votes do
 * not count. */
TEST(election_outcome_from_vote_answers)
{
    struct vote {
        uint64_t from;
        bool grant;
    };
    static const struct {
        uint32_t n;
        struct vote votes[6];
        uint32_t n_votes;
        enum raft_role want;
    } rows[] = {
        {1, {{0, 0}}, 0, RAFT_LEADER},
        {3, {{2, true}, {3, true}}, 2, RAFT_LEADER},
        {3, {{2, true}}, 1, RAFT_LEADER},
        {3, {{0, 0}}, 0, RAFT_CANDIDATE},
        {3, {{2, false}}, 1, RAFT_CANDIDATE},
        {3, {{2, false}, {3, false}}, 2, RAFT_FOLLOWER},
        {5, {{2, true}, {3, true}, {4, true}, {5, true}}, 4, RAFT_LEADER},
        {5, {{2, true}, {3, true}}, 2, RAFT_LEADER},
        {5, {{2, true}}, 1, RAFT_CANDIDATE},
        {5, {{2, true}, {2, true}}, 2, RAFT_CANDIDATE},
        {5, {{2, true}, {7, true}, {8, true}}, 3, RAFT_CANDIDATE},
        {5, {{2, true}, {3, false}, {4, false}}, 3, RAFT_CANDIDATE},
        {5, {{2, true}, {3, false}, {4, false}, {5, false}}, 4, RAFT_FOLLOWER},
        {5, {{2, false}, {2, true}, {3, true}}, 3, RAFT_CANDIDATE},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu n=%u", i, rows[i].n);
        struct cl c;
        cl_setup(&c, rows[i].n, rows[i].n);
        c.base_cfg.pre_vote = false;
        cl_start_all(&c);
        struct raft *r = cl_node(&c, 1)->r;
        raft_campaign(r);
        /* The vote requests leave once term and vote are durable, so the
         * answers below come after this ready (a lone voter wins here). */
        cl_ready_all(&c);
        uint64_t term = cl_status(&c, 1).term;
        RCHECK_EQ(term, 2);
        for (uint32_t k = 0; k < rows[i].n_votes; k++) {
            struct raft_msg m = rt_msg(RAFT_MSG_VOTE_RESP, rows[i].votes[k].from, 1, term);
            m.reject = !rows[i].votes[k].grant;
            raft_step(r, &m);
        }
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.role, rows[i].want);
        RCHECK_EQ(st.term, term);
        cl_ready_all(&c);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Learners (non-voting members) never start an election, whatever happens:
 * timeouts, raft_campaign, a TIMEOUT_NOW, or every voter gone. They still
 * receive and apply the log. */
TEST(learners_never_campaign)
{
    for (int pre = 0; pre <= 1; pre++) {
        ROW("pre_vote=%d", pre);
        struct cl c;
        cl_setup(&c, 4, 3);
        c.base_cfg.pre_vote = pre;
        for (uint64_t id = 1; id <= 4; id++) {
            struct raft_mem *m = &cl_node(&c, id)->mem;
            m->snap.index = RAFT_BOOTSTRAP_INDEX;
            m->snap.term = RAFT_BOOTSTRAP_TERM;
            m->snap.conf.n_voters = 3;
            for (uint32_t v = 0; v < 3; v++)
                m->snap.conf.voters[v] = v + 1;
            m->snap.conf.n_learners = 1;
            m->snap.conf.learners[0] = 4;
            m->hs.term = RAFT_BOOTSTRAP_TERM;
        }
        cl_start_all(&c);
        struct raft *l = cl_node(&c, 4)->r;
        cl_tick_node(&c, 4, 100);
        raft_campaign(l);
        struct raft_msg tn = rt_msg(RAFT_MSG_TIMEOUT_NOW, 1, 4, 1);
        RCHECK_EQ(cl_step(&c, 4, &tn), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_queue_count(&c, 0, 4, 0), 0);
        RCHECK_EQ(cl_status(&c, 4).role, RAFT_FOLLOWER);
        RCHECK_EQ(cl_status(&c, 4).term, 1);

        cl_tick_all(&c, 40);
        uint64_t lead = cl_leader(&c);
        RCHECK(lead >= 1 && lead <= 3);
        uint64_t idx;
        RCHECK_EQ(rt_propose(&c, lead, "x", &idx), 0);
        cl_tick_all(&c, 3);
        RCHECK(cl_status(&c, 4).applied >= idx);
        uint64_t term = cl_status(&c, 4).term;

        for (uint64_t id = 1; id <= 3; id++)
            cl_crash(&c, id);
        cl_queue_clear(&c);
        uint64_t votes_before = c.n_sent[RAFT_MSG_VOTE] + c.n_sent[RAFT_MSG_PRE_VOTE];
        cl_tick_all(&c, 200);
        RCHECK_EQ(c.n_sent[RAFT_MSG_VOTE] + c.n_sent[RAFT_MSG_PRE_VOTE], votes_before);
        RCHECK_EQ(cl_status(&c, 4).role, RAFT_FOLLOWER);
        RCHECK_EQ(cl_status(&c, 4).term, term);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

TEST_MAIN()
