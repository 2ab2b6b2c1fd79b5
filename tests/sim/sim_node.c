/* The per-node driver: runs one Raft core the way the node runtime will (take
 * a ready, send, persist, sync later, send what promises durability, apply,
 * serve reads, advance), keeps its state machine, and crashes and restarts it
 * from its simulated disk. Checks the core's output against raft.h as it goes. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"
#include "base/err.h"
#include "sim.h"

static void sim_node_config(struct sim_run *run, const struct sim_node *n, struct raft_config *c)
{
    const struct sim_params *p = &run->p;
    raft_config_default(c, n->id);
    c->election_ticks = p->election_ticks;
    c->heartbeat_ticks = p->heartbeat_ticks;
    c->pre_vote = p->pre_vote;
    c->check_quorum = p->check_quorum;
    c->lease_reads = p->lease_reads;
    c->max_msg_bytes = p->max_msg_bytes;
    c->max_inflight_msgs = p->max_inflight_msgs;
    if (p->max_uncommitted_bytes)
        c->max_uncommitted_bytes = p->max_uncommitted_bytes;
    c->learner_catchup_entries = p->learner_catchup_entries;
    c->seed = sim_mix(run->seed * 1000003 + n->id * 7919 + n->incarnation);
    c->breaks = run->opts->breaks;
}

static bool sim_conf_equal(const struct raft_conf *a, const struct raft_conf *b)
{
    if (a->n_voters != b->n_voters || a->n_learners != b->n_learners)
        return false;
    if (a->n_voters > RAFT_VOTERS_MAX || a->n_learners > RAFT_MEMBERS_MAX)
        return false;
    for (uint32_t i = 0; i < a->n_voters; i++)
        if (!raft_conf_is_voter(b, a->voters[i]))
            return false;
    for (uint32_t i = 0; i < a->n_learners; i++)
        if (!raft_conf_is_learner(b, a->learners[i]))
            return false;
    return true;
}

void sim_node_create(struct sim_run *run, uint64_t id, const struct raft_conf *bootstrap)
{
    ASSERT(id >= 1 && id <= SIM_NODES_MAX);
    struct sim_node *n = &run->nodes[id];
    ASSERT(!n->exists);
    memset(n, 0, sizeof *n);
    n->id = id;
    n->exists = true;
    if (bootstrap)
        sim_disk_init_bootstrap(&n->disk, bootstrap);
    else
        sim_disk_init_empty(&n->disk);
    if (id > run->n_ids)
        run->n_ids = id;
    sim_node_start(run, n);
}

void sim_node_start(struct sim_run *run, struct sim_node *n)
{
    ASSERT(n->exists && !n->alive && !n->decommissioned);
    n->incarnation++;
    /* The state machine comes back from its own durable copy, or is rebuilt
     * from the snapshot by re-applying the committed log. */
    n->sm = run->p.sm_durable ? n->disk.sm : n->disk.snap.sm;
    if (n->sm.index < n->disk.snap.meta.index)
        n->sm = n->disk.snap.sm;
    struct raft_config cfg;
    sim_node_config(run, n, &cfg);
    int rc = raft_create(&cfg, &n->disk.st, &n->disk.hs, n->sm.index, &n->r);
    if (rc != 0) {
        sim_violation(run, "core-contract", "raft_create(node %llu, applied %llu) failed: %s",
                      (unsigned long long)n->id, (unsigned long long)n->sm.index, err_name(rc));
        n->r = NULL;
        return;
    }
    n->alive = true;
    n->busy = false;
    n->n_inbox = 0;
    n->n_props = 0;
    n->n_reads = 0;
    n->lc_pending = false;
    struct raft_status s;
    raft_status(n->r, &s);
    n->role = s.role;
    n->term = s.term;
    n->commit = s.commit;
    n->commit_recorded = n->disk.snap.meta.index;
    /* Membership changes between the snapshot and applied are replayed. */
    if (!sim_conf_equal(&s.conf, &n->sm.conf))
        sim_violation(run, "core-contract",
                      "node %llu restarted at applied %llu with %u voters/%u learners, but the "
                      "configuration as of that index has %u/%u",
                      (unsigned long long)n->id, (unsigned long long)n->sm.index, s.conf.n_voters,
                      s.conf.n_learners, n->sm.conf.n_voters, n->sm.conf.n_learners);
    if (n->disk.snap.meta.index > 0)
        sim_check_committed(run, n->id, n->disk.snap.meta.index, n->disk.snap.meta.term,
                            n->disk.snap.sm.chain);
    sim_trace_ev(run, SIM_TR_RESTART, 0, n->id, 0, n->disk.hs.term, n->disk.hs.vote,
                 n->disk.snap.meta.index, sim_disk_last_index(&n->disk));
    sim_schedule(run, sim_rand_range(run, 1, SIM_TICK_US), SIM_EV_TICK, n->id, 0, 0, NULL);
    sim_node_after_input(run, n);
}

void sim_node_crash(struct sim_run *run, struct sim_node *n)
{
    ASSERT(n->alive);
    sim_trace_ev(run, SIM_TR_CRASH, n->busy && n->disk.pending, n->id, 0, n->disk.hs.term,
                 n->disk.hs.vote, sim_disk_last_index(&n->disk), 0);
    if (n->busy && n->disk.pending)
        run->st.crashes_in_sync++;
    /* raft_destroy does not release an outstanding ready; raft_advance does.
     * Its durability promise no longer matters: the core goes away. */
    if (n->busy)
        raft_advance(n->r, &n->rd);
    raft_destroy(n->r);
    n->r = NULL;
    memset(&n->rd, 0, sizeof n->rd);
    sim_disk_drop_pending(&n->disk);
    sim_disk_free_grave(&n->disk);
    n->alive = false;
    n->busy = false;
    n->role = RAFT_FOLLOWER;
    n->n_inbox = 0;
    n->n_props = 0;
    n->n_reads = 0;
    n->lc_pending = false;
    run->st.crashes++;
}

void sim_node_free(struct sim_node *n)
{
    if (n->r && n->busy)
        raft_advance(n->r, &n->rd);
    if (n->r)
        raft_destroy(n->r);
    n->r = NULL;
    sim_disk_free(&n->disk);
}

/* Notices role, term and commit changes after any input to the core. */
static void sim_node_observe(struct sim_run *run, struct sim_node *n)
{
    struct raft_status s;
    raft_status(n->r, &s);
    if (s.term < n->term)
        sim_violation(run, "core-contract", "node %llu term went back from %llu to %llu",
                      (unsigned long long)n->id, (unsigned long long)n->term,
                      (unsigned long long)s.term);
    if (s.commit < n->commit)
        sim_violation(run, "core-contract", "node %llu commit went back from %llu to %llu",
                      (unsigned long long)n->id, (unsigned long long)n->commit,
                      (unsigned long long)s.commit);
    if (s.role != n->role || s.term != n->term) {
        sim_trace_ev(run, SIM_TR_ROLE, (uint8_t)s.role, n->id, 0, s.term, s.last_index, 0, 0);
        if (s.role == RAFT_LEADER) {
            run->st.elections++;
            /* Chaos: cut new leaders off before or just after their first
             * appends land, so that logs diverge across terms. */
            if (run->chaos && sim_chance(run, run->p.isolate_leader_permille, 1000))
                sim_schedule(
                    run,
                    sim_chance(run, 1, 2) ? 0 : sim_rand_range(run, 0, 2 * run->p.net_delay_us_max),
                    SIM_EV_ISOLATE, n->id, 0, 0, NULL);
            sim_check_leader(run, n->id, s.term);
            /* Leader Completeness: everything committed so far must be in
             * this leader's log; verified on its next ready, when the driver
             * has seen its whole log. */
            n->lc_pending = false;
            uint64_t m = run->check.max_committed;
            if (m > 0 && sim_check_committed_at(&run->check, m, &n->lc_chain)) {
                n->lc_pending = true;
                n->lc_term = s.term;
                n->lc_index = m;
            }
        }
    }
    if (s.commit != n->commit) {
        sim_trace_ev(run, SIM_TR_COMMIT, 0, n->id, 0, s.commit, s.term, 0, 0);
        /* Chaos: a leader dies right after committing, before the rest of
         * its log (its own no-op included) reaches the others. */
        if (run->chaos && s.role == RAFT_LEADER &&
            sim_chance(run, run->p.crash_commit_permille, 1000))
            sim_schedule(run, sim_rand_range(run, 0, 1000), SIM_EV_CRASH, n->id, 0, 0, NULL);
    }
    n->role = s.role;
    n->term = s.term;
    n->commit = s.commit;
}

static struct sim_snap *sim_node_inbox_find(struct sim_node *n, uint64_t index, uint64_t term)
{
    for (uint32_t i = n->n_inbox; i-- > 0;)
        if (n->inbox[i].meta.index == index && n->inbox[i].meta.term == term)
            return &n->inbox[i];
    return NULL;
}

/* Checks a ready's snapshot and stages it. Returns false on a violation. */
static bool sim_node_stage_snapshot(struct sim_run *run, struct sim_node *n,
                                    const struct raft_status *s)
{
    const struct raft_snapshot_meta *m = &n->rd.snapshot;
    if (s->role == RAFT_LEADER) {
        sim_violation(run, "leader-append-only", "leader %llu installs a snapshot (index %llu)",
                      (unsigned long long)n->id, (unsigned long long)m->index);
        return false;
    }
    const struct sim_snap *data = sim_node_inbox_find(n, m->index, m->term);
    if (data == NULL) {
        sim_violation(run, "core-contract",
                      "node %llu installs snapshot index=%llu term=%llu that it never received",
                      (unsigned long long)n->id, (unsigned long long)m->index,
                      (unsigned long long)m->term);
        return false;
    }
    if (!sim_conf_equal(&m->conf, &data->meta.conf) || !sim_conf_equal(&m->conf, &data->sm.conf)) {
        sim_violation(run, "core-contract",
                      "node %llu installs snapshot index=%llu with a configuration that differs "
                      "from the one sent",
                      (unsigned long long)n->id, (unsigned long long)m->index);
        return false;
    }
    if (m->index < n->sm.index) {
        sim_violation(run, "state-machine-safety",
                      "node %llu installs snapshot index=%llu below its applied index %llu",
                      (unsigned long long)n->id, (unsigned long long)m->index,
                      (unsigned long long)n->sm.index);
        return false;
    }
    sim_check_applied(run, n->id, m->index, m->term, data->sm.chain);
    n->disk.p_has_snap = true;
    n->disk.p_snap = *data;
    return true;
}

/* Checks a ready's entries (they attach to the log, terms never go down, a
 * leader keeps its own entries) and stages copies with their chain hashes. */
static bool sim_node_stage_entries(struct sim_run *run, struct sim_node *n,
                                   const struct raft_status *s)
{
    const struct raft_ready *rd = &n->rd;
    struct sim_disk *d = &n->disk;
    uint64_t first = rd->entries[0].index;
    uint64_t prev_term, prev_chain;
    if (first == 0 || !sim_disk_view_chain(d, first - 1, &prev_term, &prev_chain)) {
        sim_violation(run, "core-contract",
                      "node %llu persists entries from index %llu, but its log has snapshot %llu "
                      "and last index %llu",
                      (unsigned long long)n->id, (unsigned long long)first,
                      (unsigned long long)sim_disk_view_snap_index(d),
                      (unsigned long long)sim_disk_view_last(d));
        return false;
    }
    struct sim_entry *copies = calloc(rd->n_entries, sizeof *copies);
    ASSERT(copies != NULL);
    uint64_t chain = prev_chain, term = prev_term;
    for (uint32_t i = 0; i < rd->n_entries; i++) {
        const struct raft_entry *e = &rd->entries[i];
        if (e->index != first + i || e->term < term || e->type > RAFT_ENTRY_CONF) {
            sim_violation(run, "core-contract",
                          "node %llu persists entry index=%llu term=%llu type=%u after index=%llu "
                          "term=%llu",
                          (unsigned long long)n->id, (unsigned long long)e->index,
                          (unsigned long long)e->term, e->type, (unsigned long long)(first + i - 1),
                          (unsigned long long)term);
            for (uint32_t j = 0; j < i; j++)
                free(copies[j].e.data);
            free(copies);
            return false;
        }
        term = e->term;
        chain = sim_chain_next(chain, e);
        sim_check_chain(run, n->id, e->index, e->term, chain);
        copies[i].e = *e;
        copies[i].e.data = NULL;
        if (e->len > 0) {
            copies[i].e.data = malloc(e->len);
            ASSERT(copies[i].e.data != NULL);
            memcpy(copies[i].e.data, e->data, e->len);
        }
        copies[i].chain = chain;
    }
    /* A leader never overwrites or deletes entries of its own term. */
    if (s->role == RAFT_LEADER) {
        uint64_t last = sim_disk_view_last(d);
        uint64_t new_last = first + rd->n_entries - 1;
        for (uint64_t i = first; i <= last; i++) {
            uint64_t t, c;
            if (!sim_disk_view_chain(d, i, &t, &c) || t != s->term)
                continue;
            if (i > new_last || copies[i - first].chain != c) {
                sim_violation(run, "leader-append-only",
                              "leader %llu of term %llu %s its own entry at index %llu",
                              (unsigned long long)n->id, (unsigned long long)s->term,
                              i > new_last ? "deletes" : "overwrites", (unsigned long long)i);
                break;
            }
        }
    }
    d->p_entries = copies;
    d->p_n = rd->n_entries;
    return true;
}

static void sim_node_stage_hard_state(struct sim_run *run, struct sim_node *n)
{
    const struct raft_hard_state *old = &n->disk.hs, *hs = &n->rd.hard_state;
    if (hs->term < old->term)
        sim_violation(run, "core-contract", "node %llu persists term %llu below durable term %llu",
                      (unsigned long long)n->id, (unsigned long long)hs->term,
                      (unsigned long long)old->term);
    else if (hs->term == old->term && old->vote != RAFT_NONE && hs->vote != old->vote)
        sim_violation(run, "vote-once",
                      "node %llu changes its durable vote in term %llu: %llu -> %llu",
                      (unsigned long long)n->id, (unsigned long long)hs->term,
                      (unsigned long long)old->vote, (unsigned long long)hs->vote);
    n->disk.p_has_hs = true;
    n->disk.p_hs = *hs;
}

/* Feeds the commit table with entries this node now knows are committed. At
 * ready time the driver has seen the core's whole log, so the staged view up
 * to the commit index is exactly what the core committed. */
static void sim_node_record_commits(struct sim_run *run, struct sim_node *n, uint64_t commit)
{
    const struct sim_disk *d = &n->disk;
    uint64_t upto = commit < sim_disk_view_last(d) ? commit : sim_disk_view_last(d);
    uint64_t from = n->commit_recorded + 1;
    if (from <= sim_disk_view_snap_index(d))
        from = sim_disk_view_snap_index(d) + 1;
    for (uint64_t i = from; i <= upto; i++) {
        uint64_t t, c;
        if (sim_disk_view_chain(d, i, &t, &c))
            sim_check_committed(run, n->id, i, t, c);
    }
    if (upto > n->commit_recorded)
        n->commit_recorded = upto;
}

static void sim_node_check_completeness(struct sim_run *run, struct sim_node *n,
                                        const struct raft_status *s)
{
    if (!n->lc_pending)
        return;
    n->lc_pending = false;
    if (s->role != RAFT_LEADER || s->term != n->lc_term)
        return;
    const struct sim_disk *d = &n->disk;
    if (n->lc_index < sim_disk_view_snap_index(d))
        return; /* covered by a snapshot that was itself checked as committed */
    uint64_t t, c;
    if (!sim_disk_view_chain(d, n->lc_index, &t, &c) || c != n->lc_chain)
        sim_violation(run, "leader-completeness",
                      "node %llu became leader of term %llu without the committed entry at index "
                      "%llu (its last index is %llu)",
                      (unsigned long long)n->id, (unsigned long long)n->lc_term,
                      (unsigned long long)n->lc_index, (unsigned long long)sim_disk_view_last(d));
}

static bool sim_node_new_vote(const struct sim_node *n)
{
    const struct raft_hard_state *old = &n->disk.hs, *hs = &n->disk.p_hs;
    return n->disk.p_has_hs && hs->vote != RAFT_NONE &&
           (hs->term != old->term || hs->vote != old->vote);
}

/* Chaos: crash some nodes between writing and syncing, above all right after
 * they voted or, as leaders, appended (the windows where lost writes hurt). */
static void sim_node_maybe_crash_in_sync(struct sim_run *run, struct sim_node *n,
                                         const struct raft_status *s, uint64_t sync_us)
{
    const struct sim_params *p = &run->p;
    bool crash = false;
    if (sim_node_new_vote(n) && sim_chance(run, p->crash_vote_permille, 1000))
        crash = true;
    else if (s->role == RAFT_LEADER && n->disk.p_n > 0 &&
             sim_chance(run, p->crash_leader_permille, 1000))
        crash = true;
    else if (sim_chance(run, p->crash_sync_permille, 1000))
        crash = true;
    if (crash)
        sim_schedule(run, sim_rand_range(run, 0, sync_us - 1), SIM_EV_CRASH, n->id, 0, 0, NULL);
}

/* Takes one ready: validate, send rd.msgs, stage the writes, start the sync. */
static bool sim_node_take_ready(struct sim_run *run, struct sim_node *n)
{
    struct raft_ready *rd = &n->rd;
    raft_ready(n->r, rd);
    n->busy = true;
    struct raft_status s;
    raft_status(n->r, &s);
    struct sim_disk *d = &n->disk;
    ASSERT(!d->pending);
    if (rd->has_snapshot && !sim_node_stage_snapshot(run, n, &s))
        return false;
    if (rd->n_entries > 0 && !sim_node_stage_entries(run, n, &s))
        return false;
    if (rd->has_hard_state)
        sim_node_stage_hard_state(run, n);
    d->pending = d->p_has_hs || d->p_has_snap || d->p_n > 0;
    if (d->pending)
        sim_trace_ev(
            run, SIM_TR_PERSIST, d->p_has_snap, n->id, 0, d->p_n ? d->p_entries[0].e.index : 0,
            d->p_n ? d->p_entries[d->p_n - 1].e.index : 0, d->p_has_hs ? d->p_hs.term : d->hs.term,
            d->p_has_hs ? d->p_hs.vote : d->hs.vote);
    sim_node_record_commits(run, n, s.commit);
    sim_node_check_completeness(run, n, &s);
    for (uint32_t i = 0; i < rd->n_msgs; i++)
        sim_net_send(run, n, &rd->msgs[i]);
    if (run->violated)
        return false;
    if (!d->pending)
        return true; /* nothing to sync: finish at once */
    uint64_t sync_us = sim_rand_range(run, 2, run->p.sync_us_max);
    if (run->chaos)
        sim_node_maybe_crash_in_sync(run, n, &s, sync_us);
    sim_schedule(run, sync_us, SIM_EV_SYNC, n->id, 0, 0, NULL);
    return false;
}

static void sim_node_remove_prop(struct sim_node *n, uint32_t i)
{
    memmove(&n->props[i], &n->props[i + 1], (n->n_props - i - 1) * sizeof n->props[0]);
    n->n_props--;
}

static void sim_node_remove_read(struct sim_node *n, uint32_t i)
{
    memmove(&n->reads[i], &n->reads[i + 1], (n->n_reads - i - 1) * sizeof n->reads[0]);
    n->n_reads--;
}

/* A client's write is acknowledged when the node it was proposed to applies
 * the entry at the index and term the core promised. */
static void sim_node_settle_props(struct sim_run *run, struct sim_node *n,
                                  const struct raft_entry *e, uint64_t seq, bool is_write)
{
    for (uint32_t i = 0; i < n->n_props;) {
        struct sim_proposal *p = &n->props[i];
        if (p->index > e->index) {
            i++;
            continue;
        }
        if (p->index == e->index && p->term == e->term) {
            if (!is_write || seq != p->seq) {
                sim_violation(run, "core-contract",
                              "node %llu promised index=%llu term=%llu to write seq=%llu but "
                              "applied something else there",
                              (unsigned long long)n->id, (unsigned long long)p->index,
                              (unsigned long long)p->term, (unsigned long long)p->seq);
                return;
            }
            run->st.acked++;
            if (p->seq > run->max_acked_seq)
                run->max_acked_seq = p->seq;
            if (p->index > run->max_acked_index)
                run->max_acked_index = p->index;
            sim_trace_ev(run, SIM_TR_ACK, 0, n->id, 0, p->seq, p->index, 0, 0);
            if (p->marker && p->seq == run->marker_seq) {
                run->marker_acked = true;
                run->marker_index = p->index;
                run->marker_node = n->id;
            }
        }
        sim_node_remove_prop(n, i); /* acknowledged, or its outcome is unknown */
    }
}

static void sim_node_apply(struct sim_run *run, struct sim_node *n, const struct raft_entry *e)
{
    if (e->index != n->sm.index + 1 || e->term < n->sm.term) {
        sim_violation(run, "core-contract",
                      "node %llu applies index=%llu term=%llu after index=%llu term=%llu",
                      (unsigned long long)n->id, (unsigned long long)e->index,
                      (unsigned long long)e->term, (unsigned long long)n->sm.index,
                      (unsigned long long)n->sm.term);
        return;
    }
    uint64_t chain = sim_chain_next(n->sm.chain, e);
    sim_check_applied(run, n->id, e->index, e->term, chain);
    n->sm.index = e->index;
    n->sm.term = e->term;
    n->sm.chain = chain;
    uint64_t seq = 0;
    bool is_write = false;
    if (e->type == RAFT_ENTRY_NORMAL) {
        if (!sim_write_decode(e->data, e->len, &seq)) {
            sim_violation(run, "core-contract",
                          "node %llu applies a NORMAL entry at %llu that no "
                          "client wrote",
                          (unsigned long long)n->id, (unsigned long long)e->index);
            return;
        }
        is_write = true;
        n->sm.writes++;
        if (seq > n->sm.max_seq)
            n->sm.max_seq = seq;
    } else if (e->type == RAFT_ENTRY_CONF) {
        struct raft_conf_change cc;
        if (raft_conf_change_decode(e->data, e->len, &cc) != 0) {
            sim_violation(run, "core-contract", "node %llu applies a malformed CONF entry at %llu",
                          (unsigned long long)n->id, (unsigned long long)e->index);
            return;
        }
        if (raft_conf_apply(&n->sm.conf, &cc) != 0) {
            sim_violation(run, "core-contract",
                          "node %llu applies a CONF entry at %llu (op %u "
                          "node %llu) that does not apply to its configuration",
                          (unsigned long long)n->id, (unsigned long long)e->index, cc.op,
                          (unsigned long long)cc.node);
            return;
        }
        if (cc.op == RAFT_CONF_REMOVE)
            sim_cluster_note_removal(run, cc.node, e->index);
    }
    sim_node_settle_props(run, n, e, seq, is_write);
}

/* Linearizable reads: the read point must cover every write acknowledged
 * before the read was issued, and so must the value served. */
static void sim_node_read_point(struct sim_run *run, struct sim_node *n, const struct raft_read *rr)
{
    for (uint32_t i = 0; i < n->n_reads; i++) {
        struct sim_read *r = &n->reads[i];
        if (r->ctx != rr->ctx || r->index != 0)
            continue;
        r->index = rr->index ? rr->index : 1;
        sim_trace_ev(run, SIM_TR_READ_DONE, 0, n->id, 0, r->ctx, rr->index, 0, 0);
        if (rr->index < r->min_index)
            sim_violation(run, "linearizable-read",
                          "node %llu answered read ctx=%llu with read index %llu, but the write at "
                          "index %llu (seq %llu) was acknowledged before the read was issued at "
                          "%llu.%03llums",
                          (unsigned long long)n->id, (unsigned long long)r->ctx,
                          (unsigned long long)rr->index, (unsigned long long)r->min_index,
                          (unsigned long long)r->min_seq, (unsigned long long)(r->issued_us / 1000),
                          (unsigned long long)(r->issued_us % 1000));
        return;
    }
}

static void sim_node_serve_reads(struct sim_run *run, struct sim_node *n)
{
    for (uint32_t i = 0; i < n->n_reads;) {
        struct sim_read *r = &n->reads[i];
        if (r->index == 0 || r->index > n->sm.index) {
            i++;
            continue;
        }
        run->st.reads_served++;
        sim_trace_ev(run, SIM_TR_READ_DONE, 1, n->id, 0, r->ctx, n->sm.index, n->sm.max_seq, 0);
        if (n->sm.max_seq < r->min_seq)
            sim_violation(run, "linearizable-read",
                          "node %llu served read ctx=%llu at applied index %llu with value %llu, "
                          "but write seq %llu (index %llu) was acknowledged before the read began",
                          (unsigned long long)n->id, (unsigned long long)r->ctx,
                          (unsigned long long)n->sm.index, (unsigned long long)n->sm.max_seq,
                          (unsigned long long)r->min_seq, (unsigned long long)r->min_index);
        sim_node_remove_read(n, i);
    }
}

static void sim_node_fail_read(struct sim_node *n, uint64_t ctx)
{
    for (uint32_t i = 0; i < n->n_reads; i++)
        if (n->reads[i].ctx == ctx && n->reads[i].index == 0) {
            sim_node_remove_read(n, i);
            return;
        }
}

/* Compacts the log into a snapshot of the applied state, right after
 * raft_advance, when the core holds no pointers into the log. */
static void sim_node_maybe_compact(struct sim_run *run, struct sim_node *n)
{
    struct sim_disk *d = &n->disk;
    if (n->sm.index <= d->snap.meta.index)
        return;
    if (d->n_log <= run->p.compact_entries && !sim_chance(run, 1, 50))
        return;
    struct sim_snap s;
    int rc = raft_snapshot_meta(n->r, &s.meta);
    if (rc != 0)
        return; /* e.g. a snapshot from the leader is pending: applied is not in the log */
    if (s.meta.index != n->sm.index || s.meta.term != n->sm.term ||
        !sim_conf_equal(&s.meta.conf, &n->sm.conf)) {
        sim_violation(
            run, "core-contract",
            "raft_snapshot_meta on node %llu: index=%llu term=%llu voters=%u learners=%u, "
            "but applied index=%llu term=%llu voters=%u learners=%u",
            (unsigned long long)n->id, (unsigned long long)s.meta.index,
            (unsigned long long)s.meta.term, s.meta.conf.n_voters, s.meta.conf.n_learners,
            (unsigned long long)n->sm.index, (unsigned long long)n->sm.term, n->sm.conf.n_voters,
            n->sm.conf.n_learners);
        return;
    }
    if (s.meta.index > sim_disk_last_index(d))
        return; /* applied past what this disk holds: cannot happen after a sync, be safe */
    s.sm = n->sm;
    sim_disk_compact(d, &s);
    run->st.compactions++;
    sim_trace_ev(run, SIM_TR_COMPACT, 0, n->id, 0, s.meta.index, 0, 0, 0);
}

/* The outstanding ready is durable: finish it. */
static void sim_node_finish_ready(struct sim_run *run, struct sim_node *n)
{
    struct raft_ready *rd = &n->rd;
    struct sim_disk *d = &n->disk;
    bool installed = d->p_has_snap;
    struct sim_snap snap = d->p_snap;
    if (d->pending)
        sim_disk_sync(d);
    for (uint32_t i = 0; i < rd->n_msgs_after_persist && !run->violated; i++)
        sim_net_send(run, n, &rd->msgs_after_persist[i]);
    if (installed) {
        n->sm = snap.sm;
        run->st.snapshots_installed++;
        sim_trace_ev(run, SIM_TR_SNAP_INSTALL, 0, n->id, 0, snap.meta.index, snap.meta.term, 0, 0);
        for (uint32_t i = 0; i < n->n_props;)
            if (n->props[i].index <= snap.meta.index)
                sim_node_remove_prop(n, i);
            else
                i++;
    }
    if (rd->n_committed > 0) {
        bool conf = false;
        for (uint32_t i = 0; i < rd->n_committed; i++)
            conf |= rd->committed[i].type == RAFT_ENTRY_CONF;
        sim_trace_ev(run, SIM_TR_APPLY, conf, n->id, 0, rd->committed[0].index,
                     rd->committed[rd->n_committed - 1].index, 0, 0);
    }
    for (uint32_t i = 0; i < rd->n_committed && !run->violated; i++)
        sim_node_apply(run, n, &rd->committed[i]);
    for (uint32_t i = 0; i < rd->n_reads; i++)
        sim_node_read_point(run, n, &rd->reads[i]);
    for (uint32_t i = 0; i < rd->n_reads_failed; i++)
        sim_node_fail_read(n, rd->reads_failed[i]);
    sim_node_serve_reads(run, n);
    if (run->p.sm_durable)
        d->sm = n->sm;
    raft_advance(n->r, rd);
    memset(rd, 0, sizeof *rd);
    n->busy = false;
    sim_disk_free_grave(d);
    if (!run->violated)
        sim_node_maybe_compact(run, n);
    sim_node_observe(run, n);
    sim_cluster_check_removals(run, n);
}

void sim_node_sync_done(struct sim_run *run, struct sim_node *n)
{
    if (!n->alive || !n->busy)
        return;
    sim_node_finish_ready(run, n);
    sim_node_after_input(run, n);
}

void sim_node_after_input(struct sim_run *run, struct sim_node *n)
{
    if (!n->alive)
        return;
    sim_node_observe(run, n);
    for (unsigned loops = 0; n->alive && !n->busy && !run->violated && raft_has_ready(n->r);
         loops++) {
        if (loops == SIM_READY_LOOPS_MAX) {
            sim_violation(run, "core-contract", "node %llu produced %u readies in a row",
                          (unsigned long long)n->id, loops);
            return;
        }
        if (sim_node_take_ready(run, n) && !run->violated)
            sim_node_finish_ready(run, n);
    }
}

void sim_node_step(struct sim_run *run, struct sim_node *n, const struct sim_packet *pkt)
{
    if (pkt->has_snap) {
        if (n->n_inbox == SIM_INBOX_MAX) {
            memmove(&n->inbox[0], &n->inbox[1], (SIM_INBOX_MAX - 1) * sizeof n->inbox[0]);
            n->n_inbox--;
        }
        n->inbox[n->n_inbox++] = pkt->snap;
    }
    /* Stale or rejected messages come back as 0; an error means the core
     * found a message malformed (which it made itself) or refused to
     * overwrite a committed entry (a safety breach somewhere). */
    int rc = raft_step(n->r, &pkt->msg);
    if (rc != 0)
        sim_violation(run, "core-contract",
                      "raft_step(%s %llu->%llu term=%llu index=%llu) on node "
                      "%llu: %s",
                      raft_msg_type_name(pkt->msg.type), (unsigned long long)pkt->msg.from,
                      (unsigned long long)pkt->msg.to, (unsigned long long)pkt->msg.term,
                      (unsigned long long)pkt->msg.index, (unsigned long long)n->id, err_name(rc));
    sim_node_after_input(run, n);
}

void sim_node_propose(struct sim_run *run, struct sim_node *n, bool marker)
{
    uint8_t data[SIM_WRITE_HDR_BYTES + SIM_WRITE_PAD_BYTES_MAX];
    uint64_t seq = ++run->next_seq;
    uint8_t pad = (uint8_t)sim_rand_range(run, 0, SIM_WRITE_PAD_BYTES_MAX);
    data[0] = SIM_WRITE_MAGIC;
    codec_put_u64(data + 1, seq);
    data[9] = pad;
    memset(data + SIM_WRITE_HDR_BYTES, (int)(seq & 0xff), pad);
    uint64_t index = 0;
    int rc = raft_propose(n->r, data, SIM_WRITE_HDR_BYTES + pad, &index);
    struct raft_status s;
    raft_status(n->r, &s);
    sim_trace_ev(run, SIM_TR_PROPOSE, 0, n->id, 0, seq, index, s.term, (uint64_t)(int64_t)rc);
    if (rc == 0) {
        run->st.proposals++;
        if (n->n_props == SIM_CLIENT_OPS_MAX)
            sim_node_remove_prop(n, 0); /* the client gave up on its oldest write */
        n->props[n->n_props++] = (struct sim_proposal){seq, index, s.term, marker};
        if (marker)
            run->marker_seq = seq;
    }
    sim_node_after_input(run, n);
}

void sim_node_read(struct sim_run *run, struct sim_node *n)
{
    uint64_t ctx = ++run->next_ctx;
    int rc = raft_read_index(n->r, ctx);
    sim_trace_ev(run, SIM_TR_READ, 0, n->id, 0, ctx, run->max_acked_seq, run->max_acked_index,
                 (uint64_t)(int64_t)rc);
    if (rc == 0) {
        run->st.reads++;
        if (n->n_reads == SIM_CLIENT_OPS_MAX)
            sim_node_remove_read(n, 0);
        n->reads[n->n_reads++] =
            (struct sim_read){ctx, run->max_acked_seq, run->max_acked_index, 0, run->now_us};
    }
    sim_node_after_input(run, n);
}
