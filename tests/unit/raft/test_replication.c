/* Log replication rules of the Raft core, table by table: the follower's
 * append check (§5.3), fast backtracking after a rejection (Figure 7 and
 * etcd-raft's cases), per-follower flow control, message size bounds and the
 * leader's uncommitted-bytes bound. */
#include "test.h"

#include "rtest.h"

#define TERMS_MAX 16

/* Does node id store exactly the entries with these terms after index 1? */
static bool log_is(struct cl *c, uint64_t id, const uint64_t *terms)
{
    uint32_t n = rt_count_terms(terms);
    const struct raft_mem *m = &cl_node(c, id)->mem;
    if (cl_mem_last(m) != 1 + n)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (cl_mem_term(m, 2 + i) != terms[i])
            return false;
    return true;
}

/* §5.3: a follower accepts an append only if it has the previous entry with
 * the previous term; it keeps entries that match, cuts the log at the first
 * conflict, appends the rest, and commits min(leader commit, last new entry).
 * A rejection carries a hint: the last index <= the probed one whose term is
 * <= the probed term. The follower's log: index 1 (snapshot, term 1), 2 (term
 * 1), 3 (term 2); its commit index is 1. */
TEST(follower_append_rules)
{
    static const struct {
        uint64_t prev_index, prev_term;
        uint64_t ents[4]; /* terms, 0-terminated */
        uint64_t commit;
        bool reject;
        uint64_t resp_index, hint_index, hint_term;
        uint64_t want_log[TERMS_MAX]; /* terms from index 2, 0-terminated */
        uint64_t want_commit;
    } rows[] = {
        /* append after the last entry */
        {3, 2, {4}, 10, false, 4, 0, 0, {1, 2, 4}, 4},
        /* conflict at 3: cut and replace */
        {2, 1, {3, 4}, 2, false, 4, 0, 0, {1, 3, 4}, 2},
        /* all present: nothing changes, commit stops at the last new entry */
        {1, 1, {1}, 10, false, 2, 0, 0, {1, 2}, 2},
        {1, 1, {1, 2}, 3, false, 3, 0, 0, {1, 2}, 3},
        /* heartbeat-like empty append */
        {3, 2, {0}, 10, false, 3, 0, 0, {1, 2}, 3},
        /* matching prefix kept, new suffix appended */
        {2, 1, {2, 4}, 4, false, 4, 0, 0, {1, 2, 4}, 4},
        /* whole tail replaced; commit never goes back */
        {1, 1, {3, 3, 3}, 0, false, 4, 0, 0, {3, 3, 3}, 1},
        /* below the commit index: answered with it, nothing touched */
        {0, 0, {1}, 0, false, 1, 0, 0, {1, 2}, 1},
        /* mismatches */
        {3, 3, {0}, 10, true, 3, 3, 2, {1, 2}, 1},
        {4, 2, {4}, 10, true, 4, 3, 2, {1, 2}, 1},
        {5, 3, {0}, 10, true, 5, 3, 2, {1, 2}, 1},
        {3, 1, {0}, 10, true, 3, 2, 1, {1, 2}, 1},
        {2, 2, {0}, 10, true, 2, 2, 1, {1, 2}, 1},
        {9, 4, {4}, 10, true, 9, 3, 2, {1, 2}, 1},
    };
    static const uint64_t log[] = {1, 2};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("row %zu: prev=(%llu,%llu)", i, (unsigned long long)rows[i].prev_index,
            (unsigned long long)rows[i].prev_term);
        struct cl c;
        cl_setup(&c, 3, 3);
        cl_preload(&c, 1, log, 2);
        cl_preload_hs(&c, 1, 2, RAFT_NONE, 1);
        cl_start_all(&c);
        struct raft_entry ents[4];
        uint32_t n = rt_count_terms(rows[i].ents);
        struct raft_msg m = rt_append(2, 1, 4, rows[i].prev_index, rows[i].prev_term,
                                      rows[i].commit, rows[i].ents, n, ents);
        RCHECK_EQ(cl_step(&c, 1, &m), 0);
        cl_ready_all(&c);
        bool ap = false;
        const struct raft_msg *r = cl_queue_get(&c, RAFT_MSG_APPEND_RESP, 1, 2, 0, &ap);
        RCHECK(r != NULL);
        RCHECK_EQ(cl_queue_count(&c, 0, 1, 0), 1);
        RCHECK_EQ(r->reject, rows[i].reject);
        RCHECK_EQ(r->index, rows[i].resp_index);
        RCHECK_EQ(r->term, 4);
        if (rows[i].reject) {
            RCHECK_EQ(r->reject_hint, rows[i].hint_index);
            RCHECK_EQ(r->reject_hint_term, rows[i].hint_term);
        } else {
            RCHECK(ap); /* an acceptance promises the entries are durable */
        }
        RCHECK(log_is(&c, 1, rows[i].want_log));
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.commit, rows[i].want_commit);
        RCHECK_EQ(st.leader, 2);
        RCHECK_EQ(st.last_index, 1 + rt_count_terms(rows[i].want_log));
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Starts nodes 1 (leader-to-be), 2 (follower under test) and 3 (a copy of
 * node 1, so that node 1 wins) from the given logs, given by terms from index
 * 1; index 1 is the snapshot, so its term becomes the snapshot's term. All
 * start in the highest term seen, at least term. */
static void setup_divergent(struct cl *c, const uint64_t *lead, const uint64_t *foll, uint64_t term)
{
    cl_setup(c, 3, 3);
    uint64_t max = term;
    for (uint32_t i = 0; lead[i]; i++)
        max = lead[i] > max ? lead[i] : max;
    for (uint32_t i = 0; foll[i]; i++)
        max = foll[i] > max ? foll[i] : max;
    for (uint64_t id = 1; id <= 3; id++) {
        const uint64_t *t = id == 2 ? foll : lead;
        cl_node(c, id)->mem.snap.term = t[0];
        cl_preload(c, id, t + 1, rt_count_terms(t + 1));
        cl_preload_hs(c, id, max, RAFT_NONE, 1);
    }
    cl_start_all(c);
}

/* Fast backtracking (etcd-raft's TestFastLogRejection): the follower's hint
 * and the leader's next probe skip whole terms. */
TEST(fast_backtracking_hints)
{
    static const struct {
        uint64_t lead[TERMS_MAX], foll[TERMS_MAX];
        uint64_t hint_term, hint_index, next_term, next_index;
    } rows[] = {
        {{1, 2, 2, 4, 4, 4, 4}, {1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 3, 7, 2, 3},
        {{1, 2, 2, 3, 4, 4, 4, 5}, {1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 3, 8, 3, 4},
        {{1, 1, 1, 1}, {1, 2, 2, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 1, 1, 1}, {1, 2, 2, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 1}, {1, 2, 2, 4, 4, 4}, 1, 1, 1, 1},
        {{1, 1, 1, 4, 5}, {1, 1, 1, 4}, 4, 4, 4, 4},
        {{2, 5, 5, 5, 5, 5, 5, 5, 5}, {2, 4, 4, 4, 4, 4}, 4, 6, 2, 1},
        {{2, 2, 2, 2, 2}, {2, 4, 4, 4, 4, 4, 4, 4}, 2, 1, 2, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("case %zu", i);
        struct cl c;
        setup_divergent(&c, rows[i].lead, rows[i].foll, 0);
        uint32_t n_lead = rt_count_terms(rows[i].lead);
        RCHECK(cl_elect(&c, 1));
        /* The first probe goes after the leader's last entry from before. */
        const struct cl_trace *p = cl_trace_get(&c, 0, RAFT_MSG_APPEND, 1, 2, 0);
        RCHECK(p != NULL);
        RCHECK_EQ(p->m.index, n_lead);
        RCHECK_EQ(p->m.log_term, rows[i].lead[n_lead - 1]);
        const struct cl_trace *r = cl_trace_get(&c, 0, RAFT_MSG_APPEND_RESP, 2, 1, 0);
        RCHECK(r != NULL && r->m.reject);
        RCHECK_EQ(r->m.reject_hint_term, rows[i].hint_term);
        RCHECK_EQ(r->m.reject_hint, rows[i].hint_index);
        const struct cl_trace *p2 = cl_trace_get(&c, 0, RAFT_MSG_APPEND, 1, 2, 1);
        RCHECK(p2 != NULL);
        RCHECK_EQ(p2->m.log_term, rows[i].next_term);
        RCHECK_EQ(p2->m.index, rows[i].next_index);
        /* One round trip was enough, and the logs converged. */
        RCHECK_EQ(cl_trace_count(&c, 0, RAFT_MSG_APPEND_RESP, 2, 1, true) >= 2, true);
        uint32_t rejects = 0;
        for (uint32_t k = 0; k < c.n_trace; k++)
            rejects += c.trace[k].m.type == RAFT_MSG_APPEND_RESP && c.trace[k].m.from == 2 &&
                       c.trace[k].m.reject;
        RCHECK_EQ(rejects, 1);
        RCHECK(cl_logs_equal(&c, 1, 2));
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Figure 7 of the Raft paper: whatever a follower's log looks like, the new
 * leader (term 8) makes it equal to its own, with at most one rejected probe
 * per case thanks to the term-skipping hints. */
TEST(leader_syncs_follower_logs_of_figure_7)
{
    static const uint64_t lead[TERMS_MAX] = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
    static const struct {
        char name;
        uint64_t foll[TERMS_MAX];
        uint32_t rejects;
    } rows[] = {
        {'a', {1, 1, 1, 4, 4, 5, 5, 6, 6}, 1},
        {'b', {1, 1, 1, 4}, 1},
        {'c', {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 0},
        {'d', {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 0},
        {'e', {1, 1, 1, 4, 4, 4, 4}, 1},
        {'f', {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("follower (%c)", rows[i].name);
        struct cl c;
        setup_divergent(&c, lead, rows[i].foll, 7);
        RCHECK(cl_elect(&c, 1));
        RCHECK_EQ(cl_status(&c, 1).term, 8);
        uint32_t rejects = 0;
        for (uint32_t k = 0; k < c.n_trace; k++)
            rejects += c.trace[k].m.type == RAFT_MSG_APPEND_RESP && c.trace[k].m.from == 2 &&
                       c.trace[k].m.reject;
        RCHECK_EQ(rejects, rows[i].rejects);
        RCHECK(cl_logs_equal(&c, 1, 2));
        RCHECK(cl_logs_equal(&c, 1, 3));
        /* The leader's log plus its no-op, everywhere, and all of it applied. */
        RCHECK_EQ(cl_status(&c, 2).last_index, 11);
        RCHECK_EQ(rt_term_at(&c, 2, 11), 8);
        RCHECK_EQ(cl_status(&c, 2).applied, 11);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* In the replicate state the leader pipelines appends up to max_inflight_msgs
 * messages or max_inflight_bytes bytes per follower, and sends more only as
 * acknowledgements come back. One entry per message (max_msg_bytes = entry
 * size) makes the count visible. */
TEST(replicate_state_honours_inflight_limits)
{
    static const struct {
        uint32_t msgs_max;
        uint64_t bytes_max;
        uint32_t size, n;
    } rows[] = {
        {1, 1 << 20, 10, 10}, {2, 1 << 20, 10, 10}, {3, 1 << 20, 10, 10},
        {5, 1 << 20, 10, 3},  {100, 25, 10, 10},    {100, 30, 10, 10},
        {100, 31, 10, 10},    {4, 25, 10, 10},      {256, 1 << 20, 10, 40},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("inflight msgs=%u bytes=%llu size=%u n=%u", rows[i].msgs_max,
            (unsigned long long)rows[i].bytes_max, rows[i].size, rows[i].n);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.max_inflight_msgs = rows[i].msgs_max;
        c.base_cfg.max_inflight_bytes = rows[i].bytes_max;
        c.base_cfg.max_msg_bytes = rows[i].size;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        /* The window: messages until count or bytes reach their bound. */
        uint32_t by_bytes = (uint32_t)((rows[i].bytes_max + rows[i].size - 1) / rows[i].size);
        uint32_t window = rows[i].msgs_max < by_bytes ? rows[i].msgs_max : by_bytes;
        char data[64];
        memset(data, 'd', sizeof data);
        uint64_t last = 0;
        for (uint32_t k = 0; k < rows[i].n; k++)
            RCHECK_EQ(raft_propose(cl_node(&c, 1)->r, data, rows[i].size, &last), 0);
        uint32_t hops = 0, sent = 0;
        while (cl_status(&c, 2).last_index < last && hops < 100) {
            cl_ready_all(&c);
            uint32_t burst = 0;
            for (uint32_t k = 0;; k++) {
                bool ap = true;
                const struct raft_msg *m = cl_queue_get(&c, RAFT_MSG_APPEND, 1, 2, k, &ap);
                if (m == NULL)
                    break;
                RCHECK(!ap); /* the leader's appends need not wait for its disk */
                RCHECK(m->n_entries <= 1);
                burst += m->n_entries;
            }
            RCHECK(burst <= window);
            if (hops == 0)
                RCHECK_EQ(burst, rows[i].n < window ? rows[i].n : window);
            sent += burst;
            cl_deliver_pending(&c); /* appends arrive */
            cl_ready_all(&c);
            cl_deliver_pending(&c); /* answers arrive */
            hops++;
        }
        RCHECK_EQ(cl_status(&c, 2).last_index, last);
        RCHECK_EQ(sent, rows[i].n);
        RCHECK_EQ(hops, (rows[i].n + window - 1) / window);
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 2).commit, last);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* A follower in the probe state (after raft_report_unreachable) gets one
 * append at a time until it answers; one in the replicate state gets a
 * pipeline. */
TEST(probe_state_sends_one_append_at_a_time)
{
    static const struct {
        bool probe;
        uint32_t n;
        uint32_t first_burst;
    } rows[] = {{false, 5, 5}, {true, 5, 1}, {true, 1, 1}, {false, 1, 1}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("probe=%d n=%u", rows[i].probe, rows[i].n);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.max_msg_bytes = 4;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        if (rows[i].probe)
            raft_report_unreachable(r, 2);
        uint64_t last = 0;
        for (uint32_t k = 0; k < rows[i].n; k++)
            RCHECK_EQ(raft_propose(r, "abcd", 4, &last), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_queue_count(&c, RAFT_MSG_APPEND, 1, 2), rows[i].first_burst);
        RCHECK_EQ(cl_queue_count(&c, RAFT_MSG_APPEND, 1, 3), rows[i].n);
        /* More proposals do not add to an unanswered probe. */
        RCHECK_EQ(raft_propose(r, "abcd", 4, &last), 0);
        cl_ready_all(&c);
        RCHECK_EQ(cl_queue_count(&c, RAFT_MSG_APPEND, 1, 2),
                  rows[i].first_burst + (rows[i].probe ? 0 : 1));
        /* Once it answers it is back in the replicate state and catches up. */
        cl_settle(&c);
        RCHECK_EQ(cl_status(&c, 2).last_index, last);
        RCHECK_EQ(cl_status(&c, 2).commit, last);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

static uint32_t entry_len_at[4096];
static uint64_t msg_bytes_max;
static uint32_t msg_violations, msgs_seen, msg_entries_max;

/* Every append respects max_msg_bytes (a single entry may exceed nothing,
 * since proposals are bounded by it too) and stops only where the next entry
 * would not fit or the log ends. */
static bool check_append_size(struct cl *c, const struct raft_msg *m)
{
    if (m->type != RAFT_MSG_APPEND || m->from != 1 || m->n_entries == 0)
        return true;
    msgs_seen++;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < m->n_entries; i++)
        bytes += m->entries[i].len;
    if (bytes > msg_bytes_max)
        msg_violations++;
    if (m->n_entries > msg_entries_max)
        msg_entries_max = m->n_entries;
    uint64_t next = m->entries[m->n_entries - 1].index + 1;
    struct raft_status st;
    raft_status(cl_node(c, 1)->r, &st);
    if (next <= st.last_index && next < 4096 && m->n_entries < RAFT_MSG_ENTRIES_MAX &&
        bytes + entry_len_at[next] <= msg_bytes_max)
        msg_violations++; /* could have carried the next entry */
    return true;
}

TEST(appends_respect_max_msg_bytes)
{
    static const struct {
        uint64_t max;
        uint32_t sizes[4]; /* entry sizes, repeated */
        uint32_t n;
    } rows[] = {
        {1, {1, 0, 1, 1}, 50},      {16, {4, 4, 4, 4}, 50},       {16, {5, 5, 5, 5}, 50},
        {100, {33, 1, 66, 50}, 80}, {1000, {7, 300, 1, 999}, 80}, {1 << 20, {1, 1, 1, 1}, 1500},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("max_msg_bytes=%llu", (unsigned long long)rows[i].max);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.max_msg_bytes = rows[i].max;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        msg_bytes_max = rows[i].max;
        msg_violations = msgs_seen = msg_entries_max = 0;
        memset(entry_len_at, 0, sizeof entry_len_at);
        c.filter = check_append_size;
        static uint8_t data[1000];
        uint64_t idx = 0;
        for (uint32_t k = 0; k < rows[i].n; k++) {
            uint32_t len = rows[i].sizes[k % 4];
            RCHECK_EQ(raft_propose(cl_node(&c, 1)->r, data, len, &idx), 0);
            entry_len_at[idx] = len;
        }
        RCHECK_EQ(raft_propose(cl_node(&c, 1)->r, data, (uint32_t)(rows[i].max + 1), NULL),
                  ERR_TOOBIG);
        cl_settle(&c);
        RCHECK_EQ(msg_violations, 0);
        RCHECK(msgs_seen > 0);
        RCHECK(msg_entries_max <= RAFT_MSG_ENTRIES_MAX);
        RCHECK_EQ(cl_status(&c, 2).commit, idx);
        RCHECK_EQ(cl_status(&c, 3).applied, idx);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* The leader refuses proposals with ERR_BUSY once max_uncommitted_bytes of
 * proposals wait for commit (one may always be pending, however large), and
 * accepts again once they are committed and applied. */
TEST(uncommitted_bytes_bound_gives_busy)
{
    static const struct {
        uint64_t limit;
        uint32_t size;
    } rows[] = {{100, 10}, {100, 30}, {100, 100}, {100, 150}, {1000, 1}, {64, 7}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("limit=%llu size=%u", (unsigned long long)rows[i].limit, rows[i].size);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.max_uncommitted_bytes = rows[i].limit;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        struct raft *r = cl_node(&c, 1)->r;
        for (uint64_t id = 2; id <= 3; id++) {
            cl_isolate(&c, id, true);
            raft_report_unreachable(r, id);
        }
        uint32_t want = rows[i].size > rows[i].limit ? 1 : (uint32_t)(rows[i].limit / rows[i].size);
        static uint8_t data[200];
        uint32_t accepted = 0;
        int rc = 0;
        while (accepted < 5000) {
            rc = raft_propose(r, data, rows[i].size, NULL);
            if (rc != 0)
                break;
            accepted++;
            cl_settle(&c);
        }
        RCHECK_EQ(rc, ERR_BUSY);
        RCHECK_EQ(accepted, want);
        uint64_t used = (uint64_t)accepted * rows[i].size;
        if (used < rows[i].limit) {
            /* What still fits is accepted. */
            RCHECK_EQ(raft_propose(r, data, (uint32_t)(rows[i].limit - used), NULL), 0);
            RCHECK_EQ(raft_propose(r, data, 1, NULL), ERR_BUSY);
        }
        for (uint64_t id = 2; id <= 3; id++)
            cl_isolate(&c, id, false);
        cl_tick_all(&c, 3);
        struct raft_status st = cl_status(&c, 1);
        RCHECK_EQ(st.applied, st.last_index);
        RCHECK_EQ(raft_propose(r, data, rows[i].size, NULL), 0);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Appends lost on the way to a follower in the replicate state are recovered:
 * when the transport reports the follower unreachable (probe again), or when
 * the in-flight window is full (a heartbeat answer frees a slot, the next
 * append is rejected, the leader probes). */
TEST(lost_appends_recovered_when_reported_or_window_full)
{
    static const struct {
        uint32_t lost, inflight;
        bool report;
    } rows[] = {{1, 256, true}, {5, 256, true}, {5, 2, false}, {40, 4, false}, {40, 1, false}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ROW("lost=%u inflight=%u report=%d", rows[i].lost, rows[i].inflight, rows[i].report);
        struct cl c;
        cl_setup(&c, 3, 3);
        c.base_cfg.max_inflight_msgs = rows[i].inflight;
        cl_start_all(&c);
        RCHECK(cl_elect(&c, 1));
        c.cut[1][3] = true;
        uint64_t last = 0;
        for (uint32_t k = 0; k < rows[i].lost; k++) {
            RCHECK_EQ(rt_propose(&c, 1, "lost", &last), 0);
            cl_settle(&c);
        }
        RCHECK_EQ(cl_status(&c, 1).commit, last);
        c.cut[1][3] = false;
        if (rows[i].report)
            raft_report_unreachable(cl_node(&c, 1)->r, 3);
        cl_tick_all(&c, 2 * (int)c.base_cfg.election_ticks);
        RCHECK_EQ(cl_status(&c, 3).last_index, last);
        RCHECK_EQ(cl_status(&c, 3).applied, last);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

/* Regression test (liveness), for a bug fixed in the core: appends dropped by the network while the
 * follower is in the replicate state with room in its in-flight window are
 * never resent until a new proposal arrives. The heartbeat answer does not
 * prompt an append (etcd-raft sends one when pr.Match < lastIndex), and the
 * heartbeat carries commit = min(match, commit), so the follower neither gets
 * the entries nor learns the commit index: an idle group leaves it behind for
 * good (promotion of such a learner gets ERR_AGAIN forever, a transfer to it
 * times out, a read forwarded by it waits forever for its applied index). */
TEST(lost_appends_recovered_on_heartbeat)
{
    static const uint32_t counts[] = {1, 5, 40};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        ROW("lost %u proposals", counts[i]);
        struct cl c;
        cl_init(&c, 3, 3);
        RCHECK(cl_elect(&c, 1));
        c.cut[1][3] = true;
        uint64_t last = 0;
        for (uint32_t k = 0; k < counts[i]; k++) {
            RCHECK_EQ(rt_propose(&c, 1, "lost", &last), 0);
            cl_settle(&c);
        }
        RCHECK_EQ(cl_status(&c, 1).commit, last);
        c.cut[1][3] = false;
        cl_tick_all(&c, 2 * (int)c.base_cfg.election_ticks);
        RCHECK_EQ(cl_status(&c, 3).last_index, last);
        RCHECK_EQ(cl_status(&c, 3).applied, last);
        CHECK_SAFE(&c);
        cl_free(&c);
    }
}

TEST_MAIN()
