/* Helpers shared by the table-driven Raft tests: row-labelled checks (so a
 * failing table row says which one it was) and builders for hand-made
 * messages. Include after test.h. */
#ifndef CAIRN_TEST_RAFT_RTEST_H
#define CAIRN_TEST_RAFT_RTEST_H

#include <stdarg.h>
#include <stdio.h>

#include "cluster.h"
#include "test.h"

/* The table row under test, printed by a failing RCHECK. */
static char rt_row[160];

static inline void rt_set_row(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void rt_set_row(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt_row, sizeof rt_row, fmt, ap);
    va_end(ap);
}

#define ROW(...) rt_set_row(__VA_ARGS__)

#define RCHECK(cond)                                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: [%s] CHECK failed: %s\n", __FILE__, __LINE__, rt_row,        \
                    #cond);                                                                        \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define RCHECK_EQ(a, b)                                                                            \
    do {                                                                                           \
        uint64_t ra_ = (uint64_t)(a), rb_ = (uint64_t)(b);                                         \
        if (ra_ != rb_) {                                                                          \
            fprintf(stderr,                                                                        \
                    "  %s:%d: [%s] CHECK_EQ failed: %s == %" PRIu64 ", %s == %" PRIu64 "\n",       \
                    __FILE__, __LINE__, rt_row, #a, ra_, #b, rb_);                                 \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* The cluster kept every safety promise it checks (see cluster.h). */
#define CHECK_SAFE(c)                                                                              \
    do {                                                                                           \
        if ((c)->n_violations != 0) {                                                              \
            fprintf(stderr, "  %s:%d: [%s] %u safety violations, first: %s\n", __FILE__, __LINE__, \
                    rt_row, (c)->n_violations, (c)->violation);                                    \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

/* A test that exposes a known, reported bug in the core. It is compiled, but
 * runs only when RAFT_TEST_KNOWN_BUGS is set in the environment; once the bug
 * is fixed, turn it back into a TEST. */
#define KNOWN_BUG_TEST(name)                                                                       \
    static void known_bug_##name(void);                                                            \
    TEST(name)                                                                                     \
    {                                                                                              \
        if (getenv("RAFT_TEST_KNOWN_BUGS") == NULL) {                                              \
            printf("skip %s (known core bug, see the comment above it)\n", #name);                 \
            return;                                                                                \
        }                                                                                          \
        known_bug_##name();                                                                        \
    }                                                                                              \
    static void known_bug_##name(void)

static inline struct raft_msg rt_msg(int type, uint64_t from, uint64_t to, uint64_t term)
{
    struct raft_msg m;
    memset(&m, 0, sizeof m);
    m.type = (uint8_t)type;
    m.from = from;
    m.to = to;
    m.term = term;
    return m;
}

/* An append with entries built from terms[], after (prev_index, prev_term). The
 * entries point into ents, which must have room for n. */
static inline struct raft_msg rt_append(uint64_t from, uint64_t to, uint64_t term,
                                        uint64_t prev_index, uint64_t prev_term, uint64_t commit,
                                        const uint64_t *terms, uint32_t n, struct raft_entry *ents)
{
    struct raft_msg m = rt_msg(RAFT_MSG_APPEND, from, to, term);
    m.index = prev_index;
    m.log_term = prev_term;
    m.commit = commit;
    for (uint32_t i = 0; i < n; i++) {
        memset(&ents[i], 0, sizeof ents[i]);
        ents[i].index = prev_index + 1 + i;
        ents[i].term = terms[i];
        ents[i].type = RAFT_ENTRY_NORMAL;
    }
    m.n_entries = n;
    m.entries = n ? ents : NULL;
    return m;
}

static inline struct raft_msg rt_vote(int type, uint64_t from, uint64_t to, uint64_t term,
                                      uint64_t last_index, uint64_t last_term)
{
    struct raft_msg m = rt_msg(type, from, to, term);
    m.index = last_index;
    m.log_term = last_term;
    return m;
}

static inline uint32_t rt_count_terms(const uint64_t *terms)
{
    uint32_t n = 0;
    while (terms[n] != 0)
        n++;
    return n;
}

/* n_voters + n_learners nodes, all bootstrapped with the configuration
 * voters {1..n_voters}, learners {n_voters+1..}. Not started. */
static inline void rt_setup_with_learners(struct cl *c, uint32_t n_voters, uint32_t n_learners)
{
    uint32_t n = n_voters + n_learners;
    cl_setup(c, n, n_voters);
    for (uint64_t id = 1; id <= n; id++) {
        struct raft_mem *m = &cl_node(c, id)->mem;
        memset(&m->snap, 0, sizeof m->snap);
        m->snap.index = RAFT_BOOTSTRAP_INDEX;
        m->snap.term = RAFT_BOOTSTRAP_TERM;
        m->snap.conf.n_voters = n_voters;
        for (uint32_t v = 0; v < n_voters; v++)
            m->snap.conf.voters[v] = v + 1;
        m->snap.conf.n_learners = n_learners;
        for (uint32_t l = 0; l < n_learners; l++)
            m->snap.conf.learners[l] = n_voters + 1 + l;
        m->hs.term = RAFT_BOOTSTRAP_TERM;
    }
}

/* Is id a voter (learner) in the configuration node `at` has in force? */
static inline bool rt_voter(struct cl *c, uint64_t at, uint64_t id)
{
    struct raft_status st = cl_status(c, at);
    return raft_conf_is_voter(&st.conf, id);
}

static inline bool rt_learner(struct cl *c, uint64_t at, uint64_t id)
{
    struct raft_status st = cl_status(c, at);
    return raft_conf_is_learner(&st.conf, id);
}

/* Term at index in a node's stored log; 0 if absent. */
static inline uint64_t rt_term_at(struct cl *c, uint64_t id, uint64_t index)
{
    return cl_mem_term(&cl_node(c, id)->mem, index);
}

/* Proposes a small command on node id; returns raft_propose's code. */
static inline int rt_propose(struct cl *c, uint64_t id, const char *s, uint64_t *index)
{
    return raft_propose(cl_node(c, id)->r, s, (uint32_t)strlen(s), index);
}

#endif
