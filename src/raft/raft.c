/* The Raft protocol: roles, elections (with pre-vote and check-quorum), log
 * replication with per-follower flow control, the commit rule, membership
 * changes, leadership transfer and ReadIndex. Section numbers refer to the
 * Raft paper (Ongaro & Ousterhout, 2014) and "§D" to Ongaro's dissertation. */
#include "raft/raft.h"

#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "base/rng.h"
#include "raft/raft_log.h"

enum raft_pr_state { RAFT_PR_PROBE, RAFT_PR_REPLICATE, RAFT_PR_SNAPSHOT };

struct raft_inflight {
    uint64_t last;  /* last index of an append in flight */
    uint64_t bytes;
};

/* What the leader knows about one member's log. */
struct raft_progress {
    uint64_t id;
    uint64_t match; /* highest index known replicated there */
    uint64_t next;  /* next index to send */
    uint8_t state;  /* enum raft_pr_state */
    bool learner;
    bool probe_sent;    /* PROBE: an append is out; wait for an answer or heartbeat */
    bool recent_active; /* heard from it since the last check-quorum round */
    bool commit_dirty;  /* owes it an append: a newer commit index, or a nudge after losses */
    uint64_t pending_snapshot;
    uint64_t hb_acked; /* highest heartbeat round it answered */
    struct raft_inflight *infl;
    uint32_t infl_start, infl_count;
    uint64_t infl_bytes;
};

struct raft_pending_read {
    uint64_t ctx;
    uint64_t from;  /* RAFT_NONE or ourselves: local; otherwise a follower's */
    uint64_t index; /* commit index when registered (0: waiting for our first commit) */
    uint64_t round; /* heartbeat round that must be acknowledged by a quorum */
    uint64_t deadline;
};

/* A read forwarded to the leader, awaiting its answer. */
struct raft_forwarded_read {
    uint64_t ctx;
    uint64_t deadline;
};

#define RAFT_HB_RING 256 /* heartbeat rounds whose send tick we remember, for leases */
#define RAFT_READY_COMMITTED_MAX 16384 /* committed entries handed out in one ready */

struct raft {
    struct raft_config cfg;
    struct rng rng;
    struct raft_log log;

    uint64_t id;
    uint64_t term;
    uint64_t vote;
    uint64_t lead;
    enum raft_role role;
    struct raft_conf conf;

    struct raft_progress *prs;
    uint32_t n_prs;

    uint64_t ticks; /* ticks since creation: our only notion of time */
    unsigned election_elapsed;
    unsigned heartbeat_elapsed;
    unsigned randomized_timeout;

    /* Votes in the current (pre-)campaign. */
    uint64_t votes_granted[RAFT_VOTERS_MAX];
    uint64_t votes_rejected[RAFT_VOTERS_MAX];
    uint32_t n_granted, n_rejected;

    uint64_t pending_conf_index;
    uint64_t transferee;
    unsigned transfer_elapsed; /* ticks since the transfer began */
    bool lease_revoked;        /* a transfer began: no lease reads for the rest of the term */
    uint64_t uncommitted_bytes;

    /* ReadIndex. */
    struct raft_pending_read *reads;
    uint32_t n_reads, cap_reads;
    struct raft_forwarded_read *fwd;
    uint32_t n_fwd, cap_fwd;
    uint64_t hb_round;         /* last heartbeat round sent */
    bool read_round_needed;    /* a read waits for a round not yet sent */
    uint64_t hb_round_tick[RAFT_HB_RING];

    /* Output queues, handed over by raft_ready. */
    struct raft_msg *msgs, *msgs_ap;
    uint32_t n_msgs, cap_msgs, n_msgs_ap, cap_msgs_ap;
    struct raft_read *ready_reads;
    uint32_t n_ready_reads, cap_ready_reads;
    uint64_t *failed_reads;
    uint32_t n_failed_reads, cap_failed_reads;

    struct raft_hard_state prev_hs; /* last hard state handed to the driver */
    uint64_t durable_term;         /* term of the last hard state the driver made durable */
    uint64_t conf_floor;           /* a snapshot restored the configuration as of here */
    bool win_pending;              /* won the election; leads once term and vote are durable */
};

/* ---------------------------------------------------------------- utilities */

static void raft_grow(void **p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return;
    uint32_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    ASSERT(q != NULL);
    *p = q;
    *cap = c;
}

static uint32_t raft_quorum(const struct raft *r)
{
    return r->conf.n_voters / 2 + 1;
}

static struct raft_progress *raft_pr(struct raft *r, uint64_t id)
{
    for (uint32_t i = 0; i < r->n_prs; i++)
        if (r->prs[i].id == id)
            return &r->prs[i];
    return NULL;
}

static bool raft_is_voter(const struct raft *r, uint64_t id)
{
    return raft_conf_is_voter(&r->conf, id);
}

static void raft_send(struct raft *r, struct raft_msg *m)
{
    m->from = r->id;
    if (m->term == 0)
        m->term = r->term;
    /* A leader's appends may go out before its own disk write (§D 10.2.1);
     * every other message speaks for state that must be durable first. */
    bool now = m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
               m->type == RAFT_MSG_SNAPSHOT || m->type == RAFT_MSG_TIMEOUT_NOW ||
               m->type == RAFT_MSG_PRE_VOTE || m->type == RAFT_MSG_PRE_VOTE_RESP ||
               m->type == RAFT_MSG_READ_INDEX || m->type == RAFT_MSG_READ_INDEX_RESP ||
               m->type == RAFT_MSG_HEARTBEAT_RESP;
    if (m->type == RAFT_MSG_VOTE_RESP && (r->cfg.breaks & RAFT_BREAK_VOTE_PERSISTENCE))
        now = true;
    /* Speaking for a term that is not durable yet (a lone voter elected by
     * its own vote) would let a crash forget the term while others acted on
     * it: such messages wait for the hard state like the rest. */
    if (now && r->term != r->durable_term && !(r->cfg.breaks & RAFT_BREAK_VOTE_PERSISTENCE))
        now = false;
    if (now) {
        raft_grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + 1, sizeof *m);
        r->msgs[r->n_msgs++] = *m;
    } else {
        raft_grow((void **)&r->msgs_ap, &r->cap_msgs_ap, r->n_msgs_ap + 1, sizeof *m);
        r->msgs_ap[r->n_msgs_ap++] = *m;
    }
}

static void raft_reset_randomized_timeout(struct raft *r)
{
    r->randomized_timeout = r->cfg.election_ticks + (unsigned)rng_below(&r->rng, r->cfg.election_ticks);
}

/* ---------------------------------------------------------------- progress */

static void raft_pr_reset_inflight(struct raft *r, struct raft_progress *pr)
{
    pr->infl_start = pr->infl_count = 0;
    pr->infl_bytes = 0;
    if (pr->infl == NULL) {
        pr->infl = calloc(r->cfg.max_inflight_msgs, sizeof *pr->infl);
        ASSERT(pr->infl != NULL);
    }
}

static bool raft_pr_infl_full(const struct raft *r, const struct raft_progress *pr)
{
    return pr->infl_count == r->cfg.max_inflight_msgs ||
           (pr->infl_count > 0 && pr->infl_bytes >= r->cfg.max_inflight_bytes);
}

static void raft_pr_infl_add(struct raft *r, struct raft_progress *pr, uint64_t last,
                             uint64_t bytes)
{
    ASSERT(pr->infl_count < r->cfg.max_inflight_msgs);
    uint32_t at = (pr->infl_start + pr->infl_count) % r->cfg.max_inflight_msgs;
    pr->infl[at].last = last;
    pr->infl[at].bytes = bytes;
    pr->infl_count++;
    pr->infl_bytes += bytes;
}

static void raft_pr_infl_free_to(struct raft *r, struct raft_progress *pr, uint64_t index)
{
    while (pr->infl_count > 0 && pr->infl[pr->infl_start].last <= index) {
        pr->infl_bytes -= pr->infl[pr->infl_start].bytes;
        pr->infl_start = (pr->infl_start + 1) % r->cfg.max_inflight_msgs;
        pr->infl_count--;
    }
}

static void raft_pr_become_probe(struct raft *r, struct raft_progress *pr)
{
    if (pr->state == RAFT_PR_SNAPSHOT) {
        uint64_t ps = pr->pending_snapshot;
        pr->next = (pr->match + 1 > ps + 1) ? pr->match + 1 : ps + 1;
    } else {
        pr->next = pr->match + 1;
    }
    pr->state = RAFT_PR_PROBE;
    pr->probe_sent = false;
    pr->pending_snapshot = 0;
    raft_pr_reset_inflight(r, pr);
}

static void raft_pr_become_replicate(struct raft *r, struct raft_progress *pr)
{
    pr->state = RAFT_PR_REPLICATE;
    pr->next = pr->match + 1;
    pr->probe_sent = false;
    raft_pr_reset_inflight(r, pr);
}

static void raft_pr_become_snapshot(struct raft *r, struct raft_progress *pr, uint64_t index)
{
    pr->state = RAFT_PR_SNAPSHOT;
    pr->pending_snapshot = index;
    raft_pr_reset_inflight(r, pr);
}

static void raft_pr_init(struct raft *r, struct raft_progress *pr, uint64_t id, bool learner)
{
    free(pr->infl);
    memset(pr, 0, sizeof *pr);
    pr->id = id;
    pr->learner = learner;
    pr->next = raft_log_last_index(&r->log) + 1;
    pr->state = RAFT_PR_PROBE;
    pr->recent_active = true;
    raft_pr_reset_inflight(r, pr);
}

/* Rebuilds the progress table for r->conf, keeping what we knew of members
 * that stay. */
static void raft_sync_progress(struct raft *r)
{
    uint32_t n = r->conf.n_voters + r->conf.n_learners;
    struct raft_progress *prs = calloc(n ? n : 1, sizeof *prs);
    ASSERT(prs != NULL);
    for (uint32_t i = 0; i < n; i++) {
        bool learner = i >= r->conf.n_voters;
        uint64_t id = learner ? r->conf.learners[i - r->conf.n_voters] : r->conf.voters[i];
        struct raft_progress *old = raft_pr(r, id);
        if (old != NULL) {
            prs[i] = *old;
            old->infl = NULL;
            prs[i].learner = learner;
        } else {
            raft_pr_init(r, &prs[i], id, learner);
            if (id == r->id)
                prs[i].match = raft_log_stable_last(&r->log);
        }
    }
    for (uint32_t i = 0; i < r->n_prs; i++)
        free(r->prs[i].infl);
    free(r->prs);
    r->prs = prs;
    r->n_prs = n;
}

/* ---------------------------------------------------------------- reads */

static void raft_read_ready(struct raft *r, uint64_t ctx, uint64_t index)
{
    raft_grow((void **)&r->ready_reads, &r->cap_ready_reads, r->n_ready_reads + 1,
              sizeof *r->ready_reads);
    r->ready_reads[r->n_ready_reads].ctx = ctx;
    r->ready_reads[r->n_ready_reads].index = index;
    r->n_ready_reads++;
}

static void raft_read_failed(struct raft *r, uint64_t ctx)
{
    raft_grow((void **)&r->failed_reads, &r->cap_failed_reads, r->n_failed_reads + 1,
              sizeof *r->failed_reads);
    r->failed_reads[r->n_failed_reads++] = ctx;
}

/* Answers one read the leader has confirmed (or failed). */
static void raft_read_answer(struct raft *r, const struct raft_pending_read *rd, bool ok)
{
    if (rd->from == RAFT_NONE || rd->from == r->id) {
        if (ok)
            raft_read_ready(r, rd->ctx, rd->index);
        else
            raft_read_failed(r, rd->ctx);
        return;
    }
    struct raft_msg m = {.type = RAFT_MSG_READ_INDEX_RESP, .to = rd->from, .ctx = rd->ctx,
                         .index = rd->index, .reject = !ok};
    raft_send(r, &m);
}

static void raft_reads_fail_all(struct raft *r)
{
    for (uint32_t i = 0; i < r->n_reads; i++)
        raft_read_answer(r, &r->reads[i], false);
    r->n_reads = 0;
    r->read_round_needed = false;
    for (uint32_t i = 0; i < r->n_fwd; i++)
        raft_read_failed(r, r->fwd[i].ctx);
    r->n_fwd = 0;
}

static bool raft_committed_in_term(const struct raft *r)
{
    uint64_t t;
    return raft_log_term(&r->log, r->log.committed, &t) == 0 && t == r->term;
}

/* The highest heartbeat round a quorum of voters has acknowledged. */
static uint64_t raft_quorum_hb_acked(struct raft *r)
{
    uint64_t acks[RAFT_VOTERS_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        if (pr->learner)
            continue;
        acks[n++] = pr->id == r->id ? r->hb_round : pr->hb_acked;
    }
    /* n-th largest, for the quorum-th */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (acks[j] > acks[i]) {
                uint64_t t = acks[i];
                acks[i] = acks[j];
                acks[j] = t;
            }
    return n ? acks[raft_quorum(r) - 1] : 0;
}

/* A leader lease holds while a quorum answered a heartbeat sent less than an
 * election timeout ago: none of them will vote for anyone else before then. */
static bool raft_lease_valid(struct raft *r)
{
    if (!r->cfg.lease_reads || !r->cfg.check_quorum || r->lease_revoked)
        return false;
    uint64_t round = raft_quorum_hb_acked(r);
    if (round == 0 || r->hb_round - round >= RAFT_HB_RING)
        return false;
    uint64_t sent = r->hb_round_tick[round % RAFT_HB_RING];
    return r->ticks + 1 < sent + r->cfg.election_ticks;
}

/* Leader: register the commit index for reads waiting for our first commit,
 * and release the reads a quorum has confirmed (§6.4). */
static void raft_reads_advance(struct raft *r)
{
    if (r->role != RAFT_LEADER || r->n_reads == 0)
        return;
    if (!raft_committed_in_term(r))
        return;
    bool lease = raft_lease_valid(r);
    bool single = r->conf.n_voters == 1 && raft_is_voter(r, r->id);
    bool broken = (r->cfg.breaks & RAFT_BREAK_READ_INDEX) != 0;
    uint64_t acked = raft_quorum_hb_acked(r);
    uint32_t keep = 0;
    for (uint32_t i = 0; i < r->n_reads; i++) {
        struct raft_pending_read *rd = &r->reads[i];
        if (rd->index == 0) {
            rd->index = r->log.committed;
            rd->round = r->hb_round + 1;
            r->read_round_needed = true;
        }
        if (single || lease || broken || acked >= rd->round) {
            raft_read_answer(r, rd, true);
            continue;
        }
        r->reads[keep++] = *rd;
    }
    r->n_reads = keep;
    if (keep == 0)
        r->read_round_needed = false;
}

static int raft_read_register(struct raft *r, uint64_t ctx, uint64_t from)
{
    if (r->n_reads == RAFT_READS_PENDING_MAX)
        return ERR_BUSY;
    raft_grow((void **)&r->reads, &r->cap_reads, r->n_reads + 1, sizeof *r->reads);
    struct raft_pending_read *rd = &r->reads[r->n_reads++];
    memset(rd, 0, sizeof *rd);
    rd->ctx = ctx;
    rd->from = from;
    rd->deadline = r->ticks + 2 * (uint64_t)r->cfg.election_ticks;
    raft_reads_advance(r);
    return 0;
}

static void raft_reads_expire(struct raft *r)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < r->n_reads; i++) {
        if (r->reads[i].deadline <= r->ticks)
            raft_read_answer(r, &r->reads[i], false);
        else
            r->reads[keep++] = r->reads[i];
    }
    r->n_reads = keep;
    keep = 0;
    for (uint32_t i = 0; i < r->n_fwd; i++) {
        if (r->fwd[i].deadline <= r->ticks)
            raft_read_failed(r, r->fwd[i].ctx);
        else
            r->fwd[keep++] = r->fwd[i];
    }
    r->n_fwd = keep;
}

/* ---------------------------------------------------------------- roles */

static void raft_reset(struct raft *r, uint64_t term)
{
    if (r->term != term) {
        r->term = term;
        r->vote = RAFT_NONE;
    }
    r->lead = RAFT_NONE;
    r->election_elapsed = 0;
    r->heartbeat_elapsed = 0;
    raft_reset_randomized_timeout(r);
    r->n_granted = r->n_rejected = 0;
    r->transferee = RAFT_NONE;
    r->transfer_elapsed = 0;
    r->lease_revoked = false;
    r->win_pending = false;
    r->uncommitted_bytes = 0;
    raft_reads_fail_all(r);
}

static void raft_become_follower(struct raft *r, uint64_t term, uint64_t lead)
{
    raft_reset(r, term);
    r->role = RAFT_FOLLOWER;
    r->lead = lead;
}

static void raft_become_leader(struct raft *r)
{
    ASSERT(r->role == RAFT_CANDIDATE);
    raft_reset(r, r->term);
    r->role = RAFT_LEADER;
    r->lead = r->id;
    uint64_t last = raft_log_last_index(&r->log);
    for (uint32_t i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        bool learner = pr->learner;
        uint64_t id = pr->id;
        raft_pr_init(r, pr, id, learner);
        pr->next = last + 1;
        if (id == r->id) {
            pr->match = raft_log_stable_last(&r->log);
            raft_pr_become_replicate(r, pr);
            pr->next = last + 1;
        }
    }
    /* A new leader commits an entry of its own term at once: that is what
     * commits everything before it (§5.4.2), and what makes membership
     * changes and reads safe to accept. */
    uint64_t noop;
    raft_log_append_new(&r->log, r->term, RAFT_ENTRY_NOOP, NULL, 0, &noop);
    r->pending_conf_index = noop;
    struct raft_progress *self = raft_pr(r, r->id);
    if (self != NULL)
        self->next = noop + 1;
}

static void raft_vote_record(struct raft *r, uint64_t id, bool granted)
{
    for (uint32_t i = 0; i < r->n_granted; i++)
        if (r->votes_granted[i] == id)
            return;
    for (uint32_t i = 0; i < r->n_rejected; i++)
        if (r->votes_rejected[i] == id)
            return;
    if (!raft_is_voter(r, id))
        return;
    if (granted)
        r->votes_granted[r->n_granted++] = id;
    else
        r->votes_rejected[r->n_rejected++] = id;
}

static void raft_campaign_real(struct raft *r, bool transfer);

/* A won election takes effect once the candidate's term and vote are durable:
 * a leader that a crash could make forget its term could otherwise be
 * followed, in the same term, by another (a lone voter wins by its own,
 * not yet persisted, vote). */
static void raft_win(struct raft *r)
{
    if (r->durable_term == r->term) {
        raft_become_leader(r);
        return;
    }
    r->win_pending = true;
}

/* Starts an election, or a pre-vote round first (§D 9.6). */
static void raft_start_campaign(struct raft *r, bool pre_vote, bool transfer)
{
    if (!raft_is_voter(r, r->id))
        return;
    if (!pre_vote) {
        raft_campaign_real(r, transfer);
        return;
    }
    raft_reset(r, r->term);
    r->role = RAFT_PRE_CANDIDATE;
    raft_vote_record(r, r->id, true);
    if (r->n_granted >= raft_quorum(r)) {
        raft_campaign_real(r, false);
        return;
    }
    for (uint32_t i = 0; i < r->conf.n_voters; i++) {
        uint64_t to = r->conf.voters[i];
        if (to == r->id)
            continue;
        struct raft_msg m = {.type = RAFT_MSG_PRE_VOTE, .to = to, .term = r->term + 1,
                             .index = raft_log_last_index(&r->log),
                             .log_term = raft_log_last_term(&r->log)};
        raft_send(r, &m);
    }
}

static void raft_campaign_real(struct raft *r, bool transfer)
{
    raft_reset(r, r->term + 1);
    r->role = RAFT_CANDIDATE;
    r->vote = r->id;
    raft_vote_record(r, r->id, true);
    if (r->n_granted >= raft_quorum(r)) {
        raft_win(r);
        return;
    }
    for (uint32_t i = 0; i < r->conf.n_voters; i++) {
        uint64_t to = r->conf.voters[i];
        if (to == r->id)
            continue;
        struct raft_msg m = {.type = RAFT_MSG_VOTE, .to = to, .transfer = transfer,
                             .index = raft_log_last_index(&r->log),
                             .log_term = raft_log_last_term(&r->log)};
        raft_send(r, &m);
    }
}

/* ---------------------------------------------------------------- replication */

/* Sends appends to pr as far as flow control allows. Entry pointers in the
 * messages are valid until raft_advance, so this runs only from raft_ready. */
static void raft_send_append(struct raft *r, struct raft_progress *pr)
{
    uint64_t last = raft_log_last_index(&r->log);
    for (;;) {
        if (pr->state == RAFT_PR_SNAPSHOT)
            return;
        if (pr->state == RAFT_PR_PROBE && pr->probe_sent)
            return;
        if (pr->state == RAFT_PR_REPLICATE && raft_pr_infl_full(r, pr))
            return;
        bool has_entries = pr->next <= last;
        if (!has_entries && !pr->commit_dirty && pr->state == RAFT_PR_REPLICATE)
            return;
        uint64_t prev = pr->next - 1;
        uint64_t prev_term;
        struct raft_entry *ents = NULL;
        uint32_t n = 0;
        int rc = raft_log_term(&r->log, prev, &prev_term);
        if (rc == 0 && has_entries)
            rc = raft_log_slice(&r->log, pr->next, last + 1, r->cfg.max_msg_bytes,
                                RAFT_MSG_ENTRIES_MAX, &ents, &n);
        if (rc == ERR_COMPACTED) {
            struct raft_msg m = {.type = RAFT_MSG_SNAPSHOT, .to = pr->id};
            rc = r->log.st.snapshot(r->log.st.ctx, &m.snap);
            ASSERT(rc == 0);
            m.index = m.snap.index;
            m.log_term = m.snap.term;
            raft_pr_become_snapshot(r, pr, m.snap.index);
            raft_send(r, &m);
            return;
        }
        ASSERT(rc == 0);
        struct raft_msg m = {.type = RAFT_MSG_APPEND, .to = pr->id, .index = prev,
                             .log_term = prev_term, .commit = r->log.committed,
                             .n_entries = n, .entries = ents};
        pr->commit_dirty = false;
        uint64_t bytes = 0;
        for (uint32_t i = 0; i < n; i++)
            bytes += ents[i].len;
        raft_send(r, &m);
        if (pr->state == RAFT_PR_REPLICATE) {
            if (n == 0)
                return;
            pr->next = ents[n - 1].index + 1;
            raft_pr_infl_add(r, pr, ents[n - 1].index, bytes);
            continue; /* pipeline more */
        }
        pr->probe_sent = true;
        return;
    }
}

static void raft_send_heartbeat(struct raft *r, struct raft_progress *pr)
{
    uint64_t commit = pr->match < r->log.committed ? pr->match : r->log.committed;
    struct raft_msg m = {.type = RAFT_MSG_HEARTBEAT, .to = pr->id, .commit = commit,
                         .ctx = r->hb_round};
    raft_send(r, &m);
}

static void raft_broadcast_heartbeat(struct raft *r)
{
    r->hb_round++;
    r->hb_round_tick[r->hb_round % RAFT_HB_RING] = r->ticks;
    r->read_round_needed = false;
    for (uint32_t i = 0; i < r->n_prs; i++)
        if (r->prs[i].id != r->id)
            raft_send_heartbeat(r, &r->prs[i]);
    raft_reads_advance(r); /* a single-voter group confirms at once */
}

/* The commit rule (§5.3, §5.4.2): the highest index stored on a quorum of
 * voters is committed, but only if its entry is from the current term;
 * earlier-term entries are committed indirectly (Figure 8). */
static bool raft_maybe_commit(struct raft *r)
{
    uint64_t m[RAFT_VOTERS_MAX];
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n_prs; i++)
        if (!r->prs[i].learner)
            m[n++] = r->prs[i].match;
    if (n == 0)
        return false;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = i + 1; j < n; j++)
            if (m[j] > m[i]) {
                uint64_t t = m[i];
                m[i] = m[j];
                m[j] = t;
            }
    uint64_t idx = m[raft_quorum(r) - 1];
    if (idx <= r->log.committed)
        return false;
    uint64_t t;
    if (raft_log_term(&r->log, idx, &t) != 0)
        return false;
    if (t != r->term && !(r->cfg.breaks & RAFT_BREAK_COMMIT_RULE))
        return false;
    r->log.committed = idx;
    for (uint32_t i = 0; i < r->n_prs; i++)
        r->prs[i].commit_dirty = true;
    raft_reads_advance(r);
    return true;
}

static void raft_commit_to(struct raft *r, uint64_t index)
{
    uint64_t last = raft_log_last_index(&r->log);
    if (index > last)
        index = last;
    if (index > r->log.committed)
        r->log.committed = index;
}

/* ---------------------------------------------------------------- stepping */

static void raft_reply_append(struct raft *r, uint64_t to, uint64_t index, bool reject,
                              uint64_t hint, uint64_t hint_term)
{
    struct raft_msg m = {.type = RAFT_MSG_APPEND_RESP, .to = to, .index = index, .reject = reject,
                         .reject_hint = hint, .reject_hint_term = hint_term,
                         .commit = r->log.committed};
    raft_send(r, &m);
}

static int raft_handle_append(struct raft *r, const struct raft_msg *m)
{
    if (m->index < r->log.committed) {
        raft_reply_append(r, m->from, r->log.committed, false, 0, 0);
        return 0;
    }
    if (raft_log_match_term(&r->log, m->index, m->log_term)) {
        uint64_t last_new;
        int rc = raft_log_maybe_append(&r->log, m->index, m->entries, m->n_entries, &last_new);
        if (rc != 0)
            return rc;
        raft_commit_to(r, m->commit < last_new ? m->commit : last_new);
        raft_reply_append(r, m->from, last_new, false, 0, 0);
        return 0;
    }
    /* Reject with a hint so the leader can skip a whole term at a time. */
    uint64_t last = raft_log_last_index(&r->log);
    uint64_t hint_index, hint_term;
    raft_log_find_conflict_by_term(&r->log, m->index < last ? m->index : last, m->log_term,
                                   &hint_index, &hint_term);
    raft_reply_append(r, m->from, m->index, true, hint_index, hint_term);
    return 0;
}

static void raft_handle_heartbeat(struct raft *r, const struct raft_msg *m)
{
    raft_commit_to(r, m->commit);
    struct raft_msg resp = {.type = RAFT_MSG_HEARTBEAT_RESP, .to = m->from, .ctx = m->ctx};
    raft_send(r, &resp);
}

static void raft_handle_snapshot(struct raft *r, const struct raft_msg *m)
{
    const struct raft_snapshot_meta *s = &m->snap;
    if (s->index <= r->log.committed) {
        raft_reply_append(r, m->from, r->log.committed, false, 0, 0);
        return;
    }
    if (raft_log_match_term(&r->log, s->index, s->term)) {
        /* We have this prefix already: just learn that it is committed. */
        raft_commit_to(r, s->index);
        raft_reply_append(r, m->from, r->log.committed, false, 0, 0);
        return;
    }
    raft_log_restore(&r->log, s);
    r->conf = s->conf;
    /* Committed entries handed out before this restore may still be applied
     * (raft_advance): their membership changes are in the snapshot's
     * configuration already and must not be applied again on top of it. */
    r->conf_floor = s->index;
    raft_sync_progress(r);
    raft_reply_append(r, m->from, s->index, false, 0, 0);
}

static void raft_handle_vote(struct raft *r, const struct raft_msg *m)
{
    bool pre = m->type == RAFT_MSG_PRE_VOTE;
    bool can_vote = r->vote == m->from || (r->vote == RAFT_NONE && r->lead == RAFT_NONE) ||
                    (pre && m->term > r->term);
    bool grant = can_vote && raft_log_is_up_to_date(&r->log, m->index, m->log_term);
    struct raft_msg resp = {.type = pre ? RAFT_MSG_PRE_VOTE_RESP : RAFT_MSG_VOTE_RESP,
                            .to = m->from, .reject = !grant};
    /* A pre-vote answer carries the term asked about, so the asker counts it;
     * a rejection carries ours, so it can catch up. */
    resp.term = (pre && grant) ? m->term : r->term;
    if (grant && !pre) {
        r->election_elapsed = 0;
        r->vote = m->from;
    }
    raft_send(r, &resp);
}

/* Leader: a follower's answer to an append. */
static int raft_leader_append_resp(struct raft *r, struct raft_progress *pr,
                                   const struct raft_msg *m)
{
    if (!m->reject && m->index > raft_log_last_index(&r->log))
        return ERR_INVAL; /* acknowledges entries we never had: not a correct peer */
    pr->recent_active = true;
    if (m->reject) {
        /* Fast backtracking (§5.3, as etcd-raft does): jump to the last index
         * of ours whose term is <= the follower's term at its hint. */
        uint64_t probe = m->reject_hint;
        if (m->reject_hint_term > 0) {
            uint64_t t;
            raft_log_find_conflict_by_term(&r->log, m->reject_hint, m->reject_hint_term, &probe,
                                           &t);
        }
        if (pr->state == RAFT_PR_REPLICATE) {
            if (m->index <= pr->match)
                return 0; /* stale */
            raft_pr_become_probe(r, pr);
            return 0;
        }
        if (pr->next - 1 != m->index)
            return 0; /* stale */
        uint64_t next = m->index < probe + 1 ? m->index : probe + 1;
        if (next < pr->match + 1)
            next = pr->match + 1;
        if (next < 1)
            next = 1;
        pr->next = next;
        pr->probe_sent = false;
        return 0;
    }
    bool updated = false;
    if (m->index > pr->match) {
        pr->match = m->index;
        updated = true;
    }
    if (pr->next < m->index + 1)
        pr->next = m->index + 1;
    switch (pr->state) {
    case RAFT_PR_PROBE:
        if (updated || pr->match + 1 >= pr->next)
            raft_pr_become_replicate(r, pr);
        break;
    case RAFT_PR_SNAPSHOT:
        if (pr->match >= pr->pending_snapshot) {
            raft_pr_become_probe(r, pr);
            raft_pr_become_replicate(r, pr);
        }
        break;
    case RAFT_PR_REPLICATE:
        raft_pr_infl_free_to(r, pr, m->index);
        break;
    }
    if (updated)
        raft_maybe_commit(r);
    if (pr->id == r->transferee && pr->match == raft_log_last_index(&r->log)) {
        /* Its votes will ignore leases: ours is over (§D 6.4.1). */
        r->lease_revoked = true;
        struct raft_msg tn = {.type = RAFT_MSG_TIMEOUT_NOW, .to = pr->id};
        raft_send(r, &tn);
    }
    return 0;
}

static int raft_step_leader(struct raft *r, const struct raft_msg *m)
{
    struct raft_progress *pr = raft_pr(r, m->from);
    switch (m->type) {
    case RAFT_MSG_APPEND_RESP:
        if (pr != NULL)
            return raft_leader_append_resp(r, pr, m);
        break;
    case RAFT_MSG_HEARTBEAT_RESP:
        if (pr == NULL)
            break;
        pr->recent_active = true;
        pr->probe_sent = false;
        if (m->ctx > pr->hb_acked)
            pr->hb_acked = m->ctx;
        if (pr->state == RAFT_PR_REPLICATE && raft_pr_infl_full(r, pr))
            raft_pr_infl_free_to(r, pr, pr->infl[pr->infl_start].last); /* unblock one */
        /* Behind? Appends may have been lost while idle: send one (perhaps
         * empty); if the follower lacks its predecessor it rejects, and we
         * fall back to probing (etcd-raft's recovery). */
        if (pr->match < raft_log_last_index(&r->log))
            pr->commit_dirty = true;
        raft_reads_advance(r);
        break;
    case RAFT_MSG_READ_INDEX:
        if (raft_read_register(r, m->ctx, m->from) != 0) {
            struct raft_pending_read rd = {.ctx = m->ctx, .from = m->from};
            raft_read_answer(r, &rd, false);
        }
        break;
    default:
        break;
    }
    return 0;
}

static int raft_step_candidate(struct raft *r, const struct raft_msg *m)
{
    bool pre = r->role == RAFT_PRE_CANDIDATE;
    switch (m->type) {
    case RAFT_MSG_APPEND:
        raft_become_follower(r, m->term, m->from);
        return raft_handle_append(r, m);
    case RAFT_MSG_HEARTBEAT:
        raft_become_follower(r, m->term, m->from);
        raft_handle_heartbeat(r, m);
        break;
    case RAFT_MSG_SNAPSHOT:
        raft_become_follower(r, m->term, m->from);
        raft_handle_snapshot(r, m);
        break;
    case RAFT_MSG_VOTE_RESP:
    case RAFT_MSG_PRE_VOTE_RESP:
        if ((m->type == RAFT_MSG_PRE_VOTE_RESP) != pre)
            break;
        raft_vote_record(r, m->from, !m->reject);
        if (r->n_granted >= raft_quorum(r)) {
            if (pre)
                raft_campaign_real(r, false);
            else if (!r->win_pending)
                raft_win(r);
        } else if (r->n_rejected >= raft_quorum(r)) {
            raft_become_follower(r, r->term, RAFT_NONE);
        }
        break;
    default:
        break;
    }
    return 0;
}

static void raft_follower_read_resp(struct raft *r, const struct raft_msg *m)
{
    for (uint32_t i = 0; i < r->n_fwd; i++) {
        if (r->fwd[i].ctx != m->ctx)
            continue;
        if (m->reject)
            raft_read_failed(r, m->ctx);
        else
            raft_read_ready(r, m->ctx, m->index);
        r->fwd[i] = r->fwd[--r->n_fwd];
        return;
    }
}

static int raft_step_follower(struct raft *r, const struct raft_msg *m)
{
    switch (m->type) {
    case RAFT_MSG_APPEND:
        r->election_elapsed = 0;
        r->lead = m->from;
        return raft_handle_append(r, m);
    case RAFT_MSG_HEARTBEAT:
        r->election_elapsed = 0;
        r->lead = m->from;
        raft_handle_heartbeat(r, m);
        break;
    case RAFT_MSG_SNAPSHOT:
        r->election_elapsed = 0;
        r->lead = m->from;
        raft_handle_snapshot(r, m);
        break;
    case RAFT_MSG_TIMEOUT_NOW:
        /* Leadership transfer (§D 3.10): campaign now, past any lease. */
        raft_start_campaign(r, false, true);
        break;
    case RAFT_MSG_READ_INDEX_RESP:
        raft_follower_read_resp(r, m);
        break;
    default:
        break;
    }
    return 0;
}

static int raft_validate_msg(const struct raft *r, const struct raft_msg *m)
{
    if (m->to != r->id || m->from == RAFT_NONE || m->from == r->id)
        return ERR_INVAL;
    if (m->type < RAFT_MSG_APPEND || m->type > RAFT_MSG_READ_INDEX_RESP)
        return ERR_INVAL;
    if (m->n_entries > 0 && m->entries == NULL)
        return ERR_INVAL;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        if (m->entries[i].index != m->index + 1 + i || m->entries[i].term > m->term ||
            m->entries[i].term == 0 || (m->entries[i].len > 0 && m->entries[i].data == NULL))
            return ERR_INVAL;
        if (i > 0 && m->entries[i].term < m->entries[i - 1].term)
            return ERR_INVAL;
    }
    if (m->n_entries > 0 && m->entries[0].term < m->log_term)
        return ERR_INVAL;
    if (m->type == RAFT_MSG_SNAPSHOT &&
        (m->snap.conf.n_voters == 0 || m->snap.conf.n_voters > RAFT_VOTERS_MAX ||
         m->snap.conf.n_learners > RAFT_MEMBERS_MAX - m->snap.conf.n_voters))
        return ERR_INVAL;
    return 0;
}

int raft_step(struct raft *r, const struct raft_msg *m)
{
    int rc = raft_validate_msg(r, m);
    if (rc != 0)
        return rc;

    if (m->term > r->term) {
        bool vote_req = m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PRE_VOTE;
        if (vote_req) {
            /* Check-quorum lease (§D 4.2.3): while we hear from a leader, a
             * disruptive server cannot move us to a new term. */
            /* With leases, a replica that just started may have been inside
             * a leader's lease before it went down: it waits out one timeout. */
            bool in_lease = r->cfg.check_quorum &&
                            ((r->lead != RAFT_NONE && r->election_elapsed < r->cfg.election_ticks) ||
                             (r->cfg.lease_reads && r->ticks < r->cfg.election_ticks));
            if (in_lease && !m->transfer)
                return 0;
        }
        if (m->type == RAFT_MSG_PRE_VOTE) {
            /* A pre-vote never changes our term. */
        } else if (m->type == RAFT_MSG_PRE_VOTE_RESP && !m->reject) {
            /* Granted pre-votes carry the future term; counted below. */
        } else if (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT ||
                   m->type == RAFT_MSG_SNAPSHOT) {
            raft_become_follower(r, m->term, m->from);
        } else if (m->type == RAFT_MSG_VOTE_RESP || m->type == RAFT_MSG_PRE_VOTE_RESP) {
            /* A rival's rejection is no word from a leader: take its term
             * but keep our election timer running, or a rival whose view of
             * the membership keeps it campaigning first could hold us back
             * for ever (a split-vote livelock the simulator found). */
            unsigned elapsed = r->election_elapsed;
            raft_become_follower(r, m->term, RAFT_NONE);
            r->election_elapsed = elapsed;
        } else {
            raft_become_follower(r, m->term, RAFT_NONE);
        }
    } else if (m->term < r->term) {
        if ((r->cfg.check_quorum || r->cfg.pre_vote) &&
            (m->type == RAFT_MSG_APPEND || m->type == RAFT_MSG_HEARTBEAT)) {
            /* Tell a stale leader about the newer term, so that it steps down
             * and a node stuck pre-voting can rejoin (etcd-raft does this). */
            struct raft_msg resp = {.type = RAFT_MSG_APPEND_RESP, .to = m->from};
            raft_send(r, &resp);
        } else if (m->type == RAFT_MSG_PRE_VOTE) {
            struct raft_msg resp = {.type = RAFT_MSG_PRE_VOTE_RESP, .to = m->from, .reject = true};
            raft_send(r, &resp);
        } else if (m->type == RAFT_MSG_VOTE) {
            /* "Reply false if term < currentTerm" (§5.1): with our term, so a
             * candidate stuck in old terms catches up instead of campaigning
             * forever below a rival it never hears from. */
            struct raft_msg resp = {.type = RAFT_MSG_VOTE_RESP, .to = m->from, .reject = true};
            raft_send(r, &resp);
        }
        return 0;
    }

    if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_PRE_VOTE) {
        raft_handle_vote(r, m);
        return 0;
    }
    switch (r->role) {
    case RAFT_LEADER:
        return raft_step_leader(r, m);
    case RAFT_CANDIDATE:
    case RAFT_PRE_CANDIDATE:
        return raft_step_candidate(r, m);
    case RAFT_FOLLOWER:
        return raft_step_follower(r, m);
    }
    return 0;
}

/* ---------------------------------------------------------------- ticks */

static bool raft_quorum_active(struct raft *r)
{
    uint32_t active = 0;
    for (uint32_t i = 0; i < r->n_prs; i++) {
        struct raft_progress *pr = &r->prs[i];
        if (pr->learner)
            continue;
        if (pr->id == r->id || pr->recent_active)
            active++;
    }
    return active >= raft_quorum(r);
}

void raft_tick(struct raft *r)
{
    r->ticks++;
    raft_reads_expire(r);
    if (r->role != RAFT_LEADER) {
        r->election_elapsed++;
        if (raft_is_voter(r, r->id) && r->election_elapsed >= r->randomized_timeout) {
            r->election_elapsed = 0;
            raft_start_campaign(r, r->cfg.pre_vote, false);
        }
        return;
    }
    r->election_elapsed++;
    r->heartbeat_elapsed++;
    if (r->election_elapsed >= r->cfg.election_ticks) {
        r->election_elapsed = 0;
        if (r->cfg.check_quorum) {
            if (!raft_quorum_active(r)) {
                raft_become_follower(r, r->term, RAFT_NONE);
                return;
            }
            for (uint32_t i = 0; i < r->n_prs; i++)
                if (r->prs[i].id != r->id)
                    r->prs[i].recent_active = false;
        }
    }
    if (r->transferee != RAFT_NONE && ++r->transfer_elapsed >= r->cfg.election_ticks) {
        r->transferee = RAFT_NONE; /* a transfer that took this long failed */
        r->transfer_elapsed = 0;
    }
    if (r->heartbeat_elapsed >= r->cfg.heartbeat_ticks) {
        r->heartbeat_elapsed = 0;
        raft_broadcast_heartbeat(r);
    }
}

/* ---------------------------------------------------------------- API */

void raft_config_default(struct raft_config *c, uint64_t id)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->election_ticks = 10;
    c->heartbeat_ticks = 1;
    c->pre_vote = true;
    c->check_quorum = true;
    c->lease_reads = false;
    c->max_msg_bytes = 1 << 20;
    c->max_inflight_msgs = 256;
    c->max_inflight_bytes = 8u << 20;
    c->max_uncommitted_bytes = 64u << 20;
    c->learner_catchup_entries = 1000;
    c->seed = id;
}

int raft_create(const struct raft_config *cfg, const struct raft_storage *st,
                const struct raft_hard_state *hs, uint64_t applied, struct raft **out)
{
    if (cfg->id == RAFT_NONE || cfg->election_ticks < 2 || cfg->heartbeat_ticks == 0 ||
        cfg->heartbeat_ticks >= cfg->election_ticks || cfg->max_inflight_msgs == 0 ||
        cfg->max_msg_bytes == 0)
        return ERR_INVAL;
    struct raft *r = calloc(1, sizeof *r);
    if (r == NULL)
        return ERR_NOMEM;
    r->cfg = *cfg;
    r->id = cfg->id;
    rng_seed(&r->rng, cfg->seed ^ (cfg->id * 0x9E3779B97F4A7C15ull));
    int rc = raft_log_init(&r->log, st);
    if (rc != 0)
        goto err_after_alloc;
    struct raft_snapshot_meta meta;
    rc = st->snapshot(st->ctx, &meta);
    if (rc != 0)
        goto err_after_log;
    r->conf = meta.conf;
    r->term = hs->term > meta.term ? hs->term : meta.term;
    r->vote = hs->term >= meta.term ? hs->vote : RAFT_NONE;
    uint64_t last = raft_log_last_index(&r->log);
    if (hs->commit > last || applied > last || applied < meta.index) {
        rc = ERR_CORRUPT;
        goto err_after_log;
    }
    r->log.committed = hs->commit > meta.index ? hs->commit : meta.index;
    if (applied > r->log.committed)
        r->log.committed = applied;
    r->log.applied = applied;
    r->log.applying = applied;
    /* Membership changes the application has applied already are in force. */
    for (uint64_t i = meta.index + 1; i <= applied;) {
        struct raft_entry *ents;
        uint32_t n;
        rc = raft_log_slice(&r->log, i, applied + 1, UINT64_MAX, 4096, &ents, &n);
        if (rc != 0)
            goto err_after_log;
        for (uint32_t k = 0; k < n; k++) {
            struct raft_conf_change cc;
            if (ents[k].type == RAFT_ENTRY_CONF &&
                raft_conf_change_decode(ents[k].data, ents[k].len, &cc) == 0)
                raft_conf_apply(&r->conf, &cc);
        }
        free(ents);
        i += n;
    }
    r->role = RAFT_FOLLOWER;
    r->prev_hs.term = r->term;
    r->prev_hs.vote = r->vote;
    r->prev_hs.commit = r->log.committed;
    r->durable_term = r->term;
    raft_sync_progress(r);
    raft_reset_randomized_timeout(r);
    *out = r;
    return 0;

err_after_log:
    raft_log_free(&r->log);
err_after_alloc:
    free(r);
    return rc;
}

static void raft_free_msgs(struct raft_msg *msgs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        free(msgs[i].entries);
    free(msgs);
}

void raft_destroy(struct raft *r)
{
    if (r == NULL)
        return;
    raft_log_free(&r->log);
    for (uint32_t i = 0; i < r->n_prs; i++)
        free(r->prs[i].infl);
    free(r->prs);
    free(r->reads);
    free(r->fwd);
    raft_free_msgs(r->msgs, r->n_msgs);
    raft_free_msgs(r->msgs_ap, r->n_msgs_ap);
    free(r->ready_reads);
    free(r->failed_reads);
    free(r);
}

int raft_propose(struct raft *r, const void *data, uint32_t len, uint64_t *index)
{
    if (r->role != RAFT_LEADER)
        return ERR_NOTLEADER;
    if (r->transferee != RAFT_NONE)
        return ERR_BUSY;
    if (len > r->cfg.max_msg_bytes)
        return ERR_TOOBIG;
    if (r->uncommitted_bytes > 0 && r->uncommitted_bytes + len > r->cfg.max_uncommitted_bytes)
        return ERR_BUSY;
    r->uncommitted_bytes += len;
    return raft_log_append_new(&r->log, r->term, RAFT_ENTRY_NORMAL, data, len, index);
}

int raft_propose_conf(struct raft *r, const struct raft_conf_change *cc, uint64_t *index)
{
    if (r->role != RAFT_LEADER)
        return ERR_NOTLEADER;
    if (r->transferee != RAFT_NONE)
        return ERR_BUSY;
    /* One change at a time, and none before an entry of our term is applied. */
    if (r->pending_conf_index > r->log.applied)
        return ERR_CONFLICT;
    struct raft_conf next = r->conf;
    if (raft_conf_apply(&next, cc) != 0)
        return ERR_INVAL;
    if (cc->op == RAFT_CONF_ADD_VOTER && raft_conf_is_learner(&r->conf, cc->node)) {
        struct raft_progress *pr = raft_pr(r, cc->node);
        uint64_t last = raft_log_last_index(&r->log);
        /* Caught up: it has acknowledged entries (a new learner's match is
         * 0 until its snapshot or first append lands) and is close to us. */
        if (pr == NULL || pr->match == 0 || pr->match + r->cfg.learner_catchup_entries < last)
            return ERR_AGAIN;
    }
    uint8_t buf[RAFT_CONF_CHANGE_ENCODED_LEN];
    raft_conf_change_encode(cc, buf);
    uint64_t idx;
    int rc = raft_log_append_new(&r->log, r->term, RAFT_ENTRY_CONF, buf, sizeof buf, &idx);
    if (rc != 0)
        return rc;
    r->pending_conf_index = idx;
    if (index)
        *index = idx;
    return 0;
}

int raft_read_index(struct raft *r, uint64_t ctx)
{
    if (r->role == RAFT_LEADER)
        return raft_read_register(r, ctx, r->id);
    if (r->lead == RAFT_NONE) {
        raft_read_failed(r, ctx);
        return 0;
    }
    if (r->n_fwd == RAFT_READS_PENDING_MAX)
        return ERR_BUSY;
    raft_grow((void **)&r->fwd, &r->cap_fwd, r->n_fwd + 1, sizeof *r->fwd);
    r->fwd[r->n_fwd].ctx = ctx;
    r->fwd[r->n_fwd].deadline = r->ticks + 2 * (uint64_t)r->cfg.election_ticks;
    r->n_fwd++;
    struct raft_msg m = {.type = RAFT_MSG_READ_INDEX, .to = r->lead, .ctx = ctx};
    raft_send(r, &m);
    return 0;
}

int raft_transfer_leader(struct raft *r, uint64_t to)
{
    if (r->role != RAFT_LEADER)
        return ERR_NOTLEADER;
    if (to == r->id || !raft_is_voter(r, to))
        return ERR_INVAL;
    if (r->transferee == to)
        return 0;
    r->transferee = to;
    r->transfer_elapsed = 0; /* the transfer must finish within an election timeout */
    struct raft_progress *pr = raft_pr(r, to);
    if (pr->match == raft_log_last_index(&r->log)) {
        r->lease_revoked = true;
        struct raft_msg m = {.type = RAFT_MSG_TIMEOUT_NOW, .to = to};
        raft_send(r, &m);
    }
    return 0;
}

void raft_campaign(struct raft *r)
{
    if (r->role == RAFT_LEADER)
        return;
    raft_start_campaign(r, r->cfg.pre_vote, false);
}

void raft_report_snapshot(struct raft *r, uint64_t node, bool ok)
{
    struct raft_progress *pr = raft_pr(r, node);
    if (r->role != RAFT_LEADER || pr == NULL || pr->state != RAFT_PR_SNAPSHOT)
        return;
    if (!ok)
        pr->pending_snapshot = 0;
    raft_pr_become_probe(r, pr);
    pr->probe_sent = !ok; /* after a failure, wait for a heartbeat answer */
}

void raft_report_unreachable(struct raft *r, uint64_t node)
{
    struct raft_progress *pr = raft_pr(r, node);
    if (r->role == RAFT_LEADER && pr != NULL && pr->state == RAFT_PR_REPLICATE)
        raft_pr_become_probe(r, pr);
}

/* ---------------------------------------------------------------- ready */

static bool raft_hs_changed(const struct raft *r)
{
    return r->term != r->prev_hs.term || r->vote != r->prev_hs.vote ||
           r->log.committed != r->prev_hs.commit;
}

static uint64_t raft_commit_handable(const struct raft *r)
{
    uint64_t hi = r->log.committed;
    uint64_t stable = raft_log_stable_last(&r->log);
    if (r->log.has_pending_snap)
        return r->log.applying; /* entries after the snapshot wait for it */
    return hi < stable ? hi : stable;
}

static bool raft_leader_has_appends(const struct raft *r)
{
    if (r->role != RAFT_LEADER)
        return false;
    uint64_t last = raft_log_last_index(&r->log);
    for (uint32_t i = 0; i < r->n_prs; i++) {
        const struct raft_progress *pr = &r->prs[i];
        if (pr->id == r->id || pr->state == RAFT_PR_SNAPSHOT)
            continue;
        if (pr->state == RAFT_PR_PROBE && pr->probe_sent)
            continue;
        if (pr->state == RAFT_PR_REPLICATE && raft_pr_infl_full(r, pr))
            continue;
        if (pr->next <= last || pr->commit_dirty || pr->state == RAFT_PR_PROBE)
            return true;
    }
    return false;
}

bool raft_has_ready(const struct raft *r)
{
    if (r->log.ready_outstanding)
        return false;
    return r->n_msgs > 0 || r->n_msgs_ap > 0 || raft_hs_changed(r) ||
           r->log.hand_next <= raft_log_last_index(&r->log) ||
           (r->log.has_pending_snap && !r->log.pending_snap_handed) ||
           raft_commit_handable(r) > r->log.applying || r->n_ready_reads > 0 ||
           r->n_failed_reads > 0 || raft_leader_has_appends(r) || r->read_round_needed;
}

void raft_ready(struct raft *r, struct raft_ready *rd)
{
    ASSERT(!r->log.ready_outstanding);
    memset(rd, 0, sizeof *rd);

    if (r->role == RAFT_LEADER) {
        if (r->read_round_needed)
            raft_broadcast_heartbeat(r);
        for (uint32_t i = 0; i < r->n_prs; i++)
            if (r->prs[i].id != r->id)
                raft_send_append(r, &r->prs[i]);
    }

    if (raft_hs_changed(r)) {
        rd->has_hard_state = true;
        rd->hard_state.term = r->term;
        rd->hard_state.vote = r->vote;
        rd->hard_state.commit = r->log.committed;
        r->prev_hs = rd->hard_state;
    }
    if (r->log.has_pending_snap && !r->log.pending_snap_handed) {
        rd->has_snapshot = true;
        rd->snapshot = r->log.pending_snap;
        r->log.pending_snap_handed = true;
    }
    uint64_t last = raft_log_last_index(&r->log);
    if (r->log.hand_next <= last) {
        uint64_t lo = r->log.hand_next;
        uint32_t n = (uint32_t)(last - lo + 1);
        rd->entries = malloc(n * sizeof *rd->entries);
        ASSERT(rd->entries != NULL);
        memcpy(rd->entries, &r->log.ents[lo - r->log.offset], n * sizeof *rd->entries);
        rd->n_entries = n;
        r->log.hand_next = last + 1;
    }
    uint64_t hi = raft_commit_handable(r);
    if (hi > r->log.applying) {
        int rc = raft_log_slice(&r->log, r->log.applying + 1, hi + 1, r->cfg.max_uncommitted_bytes,
                                RAFT_READY_COMMITTED_MAX, &rd->committed, &rd->n_committed);
        ASSERT(rc == 0);
        r->log.applying += rd->n_committed;
    }

    rd->msgs = r->msgs;
    rd->n_msgs = r->n_msgs;
    r->msgs = NULL;
    r->n_msgs = r->cap_msgs = 0;
    rd->msgs_after_persist = r->msgs_ap;
    rd->n_msgs_after_persist = r->n_msgs_ap;
    r->msgs_ap = NULL;
    r->n_msgs_ap = r->cap_msgs_ap = 0;
    rd->reads = r->ready_reads;
    rd->n_reads = r->n_ready_reads;
    r->ready_reads = NULL;
    r->n_ready_reads = r->cap_ready_reads = 0;
    rd->reads_failed = r->failed_reads;
    rd->n_reads_failed = r->n_failed_reads;
    r->failed_reads = NULL;
    r->n_failed_reads = r->cap_failed_reads = 0;

    r->log.ready_outstanding = true;
}

/* Applies committed membership changes; called as they are applied. */
static void raft_apply_conf(struct raft *r, const struct raft_entry *e)
{
    struct raft_conf_change cc;
    if (raft_conf_change_decode(e->data, e->len, &cc) != 0)
        return;
    if (raft_conf_apply(&r->conf, &cc) != 0)
        return;
    bool was_leader = r->role == RAFT_LEADER;
    raft_sync_progress(r);
    if (!was_leader)
        return;
    if (!raft_is_voter(r, r->id)) {
        /* We removed ourselves: hand off to the most up-to-date voter so the
         * group does not wait out an election timeout. */
        struct raft_progress *best = NULL;
        for (uint32_t i = 0; i < r->n_prs; i++) {
            struct raft_progress *pr = &r->prs[i];
            if (!pr->learner && pr->id != r->id && (best == NULL || pr->match > best->match))
                best = pr;
        }
        if (best != NULL && best->match == raft_log_last_index(&r->log)) {
            r->lease_revoked = true;
            struct raft_msg tn = {.type = RAFT_MSG_TIMEOUT_NOW, .to = best->id};
            raft_send(r, &tn);
        }
        raft_become_follower(r, r->term, RAFT_NONE);
        return;
    }
    if (r->transferee != RAFT_NONE && !raft_is_voter(r, r->transferee))
        r->transferee = RAFT_NONE;
    raft_maybe_commit(r);
}

void raft_advance(struct raft *r, struct raft_ready *rd)
{
    ASSERT(r->log.ready_outstanding);
    if (rd->has_snapshot && r->log.has_pending_snap && r->log.pending_snap_handed &&
        r->log.pending_snap.index == rd->snapshot.index &&
        r->log.pending_snap.term == rd->snapshot.term) {
        r->log.has_pending_snap = false;
    }
    if (rd->has_snapshot && rd->snapshot.index > r->log.applied)
        r->log.applied = rd->snapshot.index;
    if (rd->has_hard_state)
        r->durable_term = rd->hard_state.term;
    if (r->win_pending && r->role == RAFT_CANDIDATE && r->durable_term == r->term) {
        r->win_pending = false;
        raft_become_leader(r);
    }
    raft_log_stable(&r->log);

    for (uint32_t i = 0; i < rd->n_committed; i++) {
        const struct raft_entry *e = &rd->committed[i];
        ASSERT(e->index == r->log.applied + 1 || e->index <= r->log.applied);
        if (e->index <= r->log.applied)
            continue;
        r->log.applied = e->index;
        if (r->uncommitted_bytes >= e->len)
            r->uncommitted_bytes -= e->len;
        else
            r->uncommitted_bytes = 0;
        if (e->type == RAFT_ENTRY_CONF && e->index > r->conf_floor)
            raft_apply_conf(r, e);
    }
    if (r->log.applying < r->log.applied)
        r->log.applying = r->log.applied;

    if (r->role == RAFT_LEADER) {
        struct raft_progress *self = raft_pr(r, r->id);
        if (self != NULL && raft_log_stable_last(&r->log) > self->match) {
            self->match = raft_log_stable_last(&r->log);
            raft_maybe_commit(r);
        }
        raft_reads_advance(r);
    }

    raft_free_msgs(rd->msgs, rd->n_msgs);
    raft_free_msgs(rd->msgs_after_persist, rd->n_msgs_after_persist);
    free(rd->entries);
    free(rd->committed);
    free(rd->reads);
    free(rd->reads_failed);
    memset(rd, 0, sizeof *rd);
    r->log.ready_outstanding = false;
    raft_log_free_dead(&r->log);
}

void raft_status(const struct raft *r, struct raft_status *st)
{
    st->id = r->id;
    st->role = r->role;
    st->term = r->term;
    st->vote = r->vote;
    st->leader = r->lead;
    st->commit = r->log.committed;
    st->applied = r->log.applied;
    st->last_index = raft_log_last_index(&r->log);
    st->transferee = r->transferee;
    st->conf = r->conf;
}

int raft_snapshot_meta(const struct raft *r, struct raft_snapshot_meta *meta)
{
    meta->index = r->log.applied;
    int rc = raft_log_term(&r->log, meta->index, &meta->term);
    if (rc != 0)
        return rc;
    meta->conf = r->conf;
    return 0;
}

const char *raft_role_name(enum raft_role role)
{
    switch (role) {
    case RAFT_FOLLOWER:
        return "follower";
    case RAFT_PRE_CANDIDATE:
        return "pre-candidate";
    case RAFT_CANDIDATE:
        return "candidate";
    case RAFT_LEADER:
        return "leader";
    }
    return "unknown";
}

const char *raft_msg_type_name(int type)
{
    static const char *const names[] = {
        "?",           "append",   "append-resp", "vote",        "vote-resp",  "pre-vote",
        "pre-vote-resp", "heartbeat", "heartbeat-resp", "snapshot", "timeout-now", "read-index",
        "read-index-resp"};
    if (type < 0 || type > RAFT_MSG_READ_INDEX_RESP)
        return "?";
    return names[type];
}
