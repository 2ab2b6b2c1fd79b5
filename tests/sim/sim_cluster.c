/* One simulated run: draws the run's parameters from its seed, bootstraps the
 * cluster, drives the event loop with client load and faults (crashes,
 * partitions, membership changes, leadership transfers), demands recovery in
 * quiet phases, and reports the first violation with a trace. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "sim.h"

#define SIM_PICK(run, arr) sim_pick((run), (arr), sizeof(arr) / sizeof((arr)[0]))

uint64_t sim_rand_range(struct sim_run *run, uint64_t lo, uint64_t hi)
{
    ASSERT(lo <= hi);
    return lo + rng_below(&run->rng, hi - lo + 1);
}

bool sim_chance(struct sim_run *run, unsigned num, unsigned den)
{
    if (num == 0)
        return false;
    return rng_chance(&run->rng, num, den);
}

static uint64_t sim_pick(struct sim_run *run, const uint64_t *v, size_t n)
{
    return v[rng_below(&run->rng, n)];
}

void sim_schedule(struct sim_run *run, uint64_t delay_us, uint8_t kind, uint64_t node, uint64_t arg,
                  uint64_t arg2, struct sim_packet *pkt)
{
    struct sim_event e = {0};
    e.at_us = run->now_us + delay_us;
    e.kind = kind;
    e.node = node;
    e.incarnation = (node >= 1 && node <= SIM_NODES_MAX) ? run->nodes[node].incarnation : 0;
    e.arg = arg;
    e.arg2 = arg2;
    e.pkt = pkt;
    sim_queue_push(&run->q, &e);
}

void sim_trace_ev(struct sim_run *run, uint8_t kind, uint8_t sub, uint64_t node, uint64_t peer,
                  uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    sim_trace_add(&run->trace, run->now_us, kind, sub, node, peer, a, b, c, d);
}

/* Every run draws its own mix of settings and fault rates, so that the same
 * binary covers calm clusters, lossy ones, crash storms and slow disks. */
static void sim_params_pick(struct sim_run *run, unsigned voters)
{
    /* At least the largest command (raft_propose refuses bigger ones); 64 bytes
     * means about one entry per append, which is what Figure 8 needs. */
    static const uint64_t msg_bytes[] = {SIM_WRITE_HDR_BYTES + SIM_WRITE_PAD_BYTES_MAX,
                                         SIM_WRITE_HDR_BYTES + SIM_WRITE_PAD_BYTES_MAX, 128, 1024,
                                         1 << 20};
    static const uint64_t inflight[] = {1, 2, 8, 256};
    static const uint64_t catchup[] = {1, 20, 1000};
    static const uint64_t compact[] = {4, 16, 64, 512};
    static const uint64_t delay_us[] = {500, 2000, 5000, 15000};
    static const uint64_t drop[] = {0, 10, 50, 150};
    static const uint64_t dup[] = {0, 10, 50};
    static const uint64_t long_delay[] = {0, 5, 20};
    static const uint64_t sync_us[] = {200, 1000, 5000, 15000};
    static const uint64_t crash[] = {0, 2, 10};
    static const uint64_t crash_sync[] = {0, 5, 20};
    static const uint64_t crash_vote[] = {0, 100, 300};
    static const uint64_t crash_leader[] = {0, 10, 50};
    static const uint64_t crash_commit[] = {0, 30, 150, 300};
    static const uint64_t isolate_leader[] = {0, 100, 300, 500};
    static const uint64_t down_us[] = {5000, 50000, 300000};
    static const uint64_t part[] = {0, 3, 10};
    static const uint64_t part_us[] = {50000, 300000, 1000000};
    static const uint64_t snap_fail[] = {0, 20, 50};
    static const uint64_t conf[] = {0, 5, 20};
    static const uint64_t transfer[] = {0, 3, 10};
    static const uint64_t reads[] = {10, 30, 50};
    static const uint64_t workload_us[] = {1000, 3000, 8000};
    struct sim_params *p = &run->p;
    p->target_voters = voters;
    p->initial_voters = voters;
    if (voters > 1 && sim_chance(run, 3, 10))
        p->initial_voters = (unsigned)sim_rand_range(run, 1, voters - 1);
    p->election_ticks = 10;
    p->heartbeat_ticks = (unsigned)sim_rand_range(run, 1, 3);
    p->pre_vote = sim_chance(run, 3, 4);
    p->check_quorum = sim_chance(run, 3, 4);
    p->lease_reads = p->check_quorum && sim_chance(run, 3, 10);
    p->max_msg_bytes = SIM_PICK(run, msg_bytes);
    p->max_inflight_msgs = (uint32_t)SIM_PICK(run, inflight);
    p->max_uncommitted_bytes = sim_chance(run, 1, 5) ? 2048 : 0;
    p->learner_catchup_entries = SIM_PICK(run, catchup);
    p->sm_durable = sim_chance(run, 1, 2);
    p->compact_entries = SIM_PICK(run, compact);
    p->net_delay_us_max = SIM_PICK(run, delay_us);
    p->drop_permille = (unsigned)SIM_PICK(run, drop);
    p->dup_permille = (unsigned)SIM_PICK(run, dup);
    p->long_delay_permille = (unsigned)SIM_PICK(run, long_delay);
    p->sync_us_max = SIM_PICK(run, sync_us);
    p->crash_permille = (unsigned)SIM_PICK(run, crash);
    p->crash_sync_permille = (unsigned)SIM_PICK(run, crash_sync);
    p->crash_vote_permille = (unsigned)SIM_PICK(run, crash_vote);
    p->crash_leader_permille = (unsigned)SIM_PICK(run, crash_leader);
    p->crash_commit_permille = (unsigned)SIM_PICK(run, crash_commit);
    p->crash_loses_outbox = sim_chance(run, 1, 2);
    p->isolate_leader_permille = (unsigned)SIM_PICK(run, isolate_leader);
    p->down_us_max = SIM_PICK(run, down_us);
    p->partition_permille = (unsigned)SIM_PICK(run, part);
    p->partition_us_max = SIM_PICK(run, part_us);
    p->snap_fail_pct = (unsigned)SIM_PICK(run, snap_fail);
    p->unreachable_pct = 50;
    p->conf_permille = (unsigned)SIM_PICK(run, conf);
    if (p->initial_voters < p->target_voters && p->conf_permille < 20)
        p->conf_permille = 20;
    p->transfer_permille = (unsigned)SIM_PICK(run, transfer);
    p->read_pct = (unsigned)SIM_PICK(run, reads);
    p->workload_us_max = SIM_PICK(run, workload_us);
    p->mid_quiet = (unsigned)sim_rand_range(run, 0, 2);
}

static void sim_params_print(const struct sim_params *p)
{
    printf("  params: voters=%u->%u hb=%u pre_vote=%d check_quorum=%d lease=%d msg_bytes=%" PRIu64
           " inflight=%u sm_durable=%d compact=%" PRIu64 "\n"
           "          (per mille:) delay<=%" PRIu64 "us drop=%u dup=%u long=%u sync<=%" PRIu64
           "us crash=%u crash_sync=%u crash_vote=%u crash_leader=%u crash_commit=%u outbox=%d "
           "down<=%" PRIu64 "us\n          partition=%u (<=%" PRIu64
           "us) isolate_leader=%u snap_fail=%u%% conf=%u "
           "transfer=%u reads=%u%% quiet=%u\n",
           p->initial_voters, p->target_voters, p->heartbeat_ticks, p->pre_vote, p->check_quorum,
           p->lease_reads, p->max_msg_bytes, p->max_inflight_msgs, p->sm_durable,
           p->compact_entries, p->net_delay_us_max, p->drop_permille, p->dup_permille,
           p->long_delay_permille, p->sync_us_max, p->crash_permille, p->crash_sync_permille,
           p->crash_vote_permille, p->crash_leader_permille, p->crash_commit_permille,
           p->crash_loses_outbox, p->down_us_max, p->partition_permille, p->partition_us_max,
           p->isolate_leader_permille, p->snap_fail_pct, p->conf_permille, p->transfer_permille,
           p->read_pct, p->mid_quiet);
}

/* The leader a client would find: the live self-declared leader of the
 * highest term. */
static struct sim_node *sim_leader(struct sim_run *run)
{
    struct sim_node *best = NULL;
    for (uint64_t id = 1; id <= run->n_ids; id++) {
        struct sim_node *n = &run->nodes[id];
        if (n->alive && n->role == RAFT_LEADER && (best == NULL || n->term > best->term))
            best = n;
    }
    return best;
}

static struct sim_node *sim_random_alive(struct sim_run *run)
{
    uint64_t n = 0;
    for (uint64_t id = 1; id <= run->n_ids; id++)
        n += run->nodes[id].alive;
    if (n == 0)
        return NULL;
    uint64_t k = sim_rand_range(run, 0, n - 1);
    for (uint64_t id = 1; id <= run->n_ids; id++)
        if (run->nodes[id].alive && k-- == 0)
            return &run->nodes[id];
    return NULL;
}

/* Any live node that believes it is leader, current or deposed. */
static struct sim_node *sim_random_claimant(struct sim_run *run)
{
    uint64_t n = 0;
    for (uint64_t id = 1; id <= run->n_ids; id++)
        n += run->nodes[id].alive && run->nodes[id].role == RAFT_LEADER;
    if (n == 0)
        return NULL;
    uint64_t k = sim_rand_range(run, 0, n - 1);
    for (uint64_t id = 1; id <= run->n_ids; id++)
        if (run->nodes[id].alive && run->nodes[id].role == RAFT_LEADER && k-- == 0)
            return &run->nodes[id];
    return NULL;
}

static void sim_crash(struct sim_run *run, struct sim_node *n, uint64_t down_us_max)
{
    sim_node_crash(run, n);
    sim_schedule(run, sim_rand_range(run, 100, down_us_max), SIM_EV_RESTART, n->id, 0, 0, NULL);
}

static uint64_t sim_pick_id(struct sim_run *run, const uint64_t *ids, uint32_t n)
{
    return n ? ids[sim_rand_range(run, 0, n - 1)] : RAFT_NONE;
}

/* Grows the group to its target size (add learner, then promote), and churns
 * it once there: removes voters (the leader too) and adds/removes learners. */
static void sim_conf_action(struct sim_run *run)
{
    struct sim_node *l = sim_leader(run);
    if (l == NULL)
        return;
    struct raft_status s;
    raft_status(l->r, &s);
    const struct raft_conf *c = &s.conf;
    bool ids_left = run->n_ids + 1 < SIM_NODES_MAX;
    struct raft_conf_change cc = {0, RAFT_NONE};
    if (c->n_voters < run->p.target_voters) {
        if (c->n_learners > 0 && sim_chance(run, 4, 5)) {
            cc.op = RAFT_CONF_ADD_VOTER;
            cc.node = sim_pick_id(run, c->learners, c->n_learners);
        } else if (ids_left) {
            cc.op = sim_chance(run, 1, 5) ? RAFT_CONF_ADD_VOTER : RAFT_CONF_ADD_LEARNER;
            cc.node = run->n_ids + 1;
        }
    } else if (c->n_voters > run->p.target_voters) {
        cc.op = RAFT_CONF_REMOVE;
        cc.node = sim_pick_id(run, c->voters, c->n_voters);
    } else {
        uint64_t r = sim_rand_range(run, 0, 9);
        if (r < 4 && c->n_voters > 1 && ids_left) {
            cc.op = RAFT_CONF_REMOVE;
            cc.node = sim_pick_id(run, c->voters, c->n_voters);
        } else if (r < 7 && c->n_learners < 2 && ids_left) {
            cc.op = RAFT_CONF_ADD_LEARNER;
            cc.node = run->n_ids + 1;
        } else if (r >= 7 && c->n_learners > 0) {
            cc.op = RAFT_CONF_REMOVE;
            cc.node = sim_pick_id(run, c->learners, c->n_learners);
        }
    }
    if (cc.node == RAFT_NONE)
        return;
    bool fresh = cc.node > run->n_ids;
    uint64_t index = 0;
    int rc = raft_propose_conf(l->r, &cc, &index);
    sim_trace_ev(run, SIM_TR_CONF, cc.op, l->id, cc.node, (uint64_t)(int64_t)rc, index, 0, 0);
    if (rc == 0) {
        run->st.conf_changes++;
        if (fresh)
            sim_node_create(run, cc.node, NULL);
    } else if (rc != ERR_AGAIN && rc != ERR_CONFLICT && rc != ERR_NOTLEADER && rc != ERR_BUSY) {
        sim_violation(run, "core-contract", "raft_propose_conf(op %u node %llu) on leader %llu: %s",
                      cc.op, (unsigned long long)cc.node, (unsigned long long)l->id, err_name(rc));
    }
    sim_node_after_input(run, l);
}

static void sim_transfer(struct sim_run *run)
{
    struct sim_node *l = sim_leader(run);
    if (l == NULL)
        return;
    struct raft_status s;
    raft_status(l->r, &s);
    if (s.conf.n_voters < 2)
        return;
    uint64_t to = sim_pick_id(run, s.conf.voters, s.conf.n_voters);
    if (to == l->id)
        return;
    int rc = raft_transfer_leader(l->r, to);
    sim_trace_ev(run, SIM_TR_TRANSFER, 0, l->id, to, (uint64_t)(int64_t)rc, 0, 0, 0);
    if (rc == 0)
        run->st.transfers++;
    sim_node_after_input(run, l);
}

/* Clients back off from a leader that is far behind on commits, as real ones
 * do when their requests time out; otherwise a slow configuration (one entry
 * per message, one in flight, slow disks) builds an endless backlog. */
static bool sim_backlogged(const struct sim_node *n)
{
    struct raft_status s;
    raft_status(n->r, &s);
    return s.last_index > s.commit + SIM_CLIENT_BACKLOG_MAX;
}

/* One client or fault action, while chaos is on. */
static void sim_workload(struct sim_run *run)
{
    const struct sim_params *p = &run->p;
    if (sim_chance(run, p->crash_permille, 1000)) {
        struct sim_node *n = sim_random_alive(run);
        if (n)
            sim_crash(run, n, p->down_us_max);
    }
    if (sim_chance(run, p->partition_permille, 1000))
        sim_net_partition(run);
    if (sim_chance(run, p->conf_permille, 1000))
        sim_conf_action(run);
    if (sim_chance(run, p->transfer_permille, 1000))
        sim_transfer(run);
    if (run->violated)
        return;
    struct sim_node *leader = sim_leader(run);
    if (sim_chance(run, p->read_pct, 100)) {
        /* Clients cache the leader: some ask whichever node last claimed to
         * be leader, deposed or not. */
        uint64_t r = sim_rand_range(run, 0, 2);
        struct sim_node *n = r == 0 && leader ? leader : r == 1 ? sim_random_claimant(run) : NULL;
        if (n == NULL)
            n = sim_random_alive(run);
        if (n)
            sim_node_read(run, n);
    } else {
        struct sim_node *n = leader && sim_chance(run, 6, 7) ? leader : sim_random_alive(run);
        if (n && !sim_backlogged(n))
            sim_node_propose(run, n, false);
    }
}

void sim_cluster_note_removal(struct sim_run *run, uint64_t node, uint64_t index)
{
    for (uint32_t i = 0; i < run->n_removals; i++)
        if (run->removal_node[i] == node)
            return;
    if (run->n_removals == SIM_NODES_MAX + 1)
        return;
    run->removal_node[run->n_removals] = node;
    run->removal_index[run->n_removals] = index;
    run->n_removals++;
}

/* A removed node is shut down for good once every voter of the new
 * configuration is up and has applied its removal (as an operator would
 * wait for), so it cannot disrupt the group later. */
void sim_cluster_check_removals(struct sim_run *run, struct sim_node *applier)
{
    if (!applier->alive || run->n_removals == 0)
        return;
    struct raft_status s;
    raft_status(applier->r, &s);
    for (uint32_t i = 0; i < run->n_removals;) {
        uint64_t x = run->removal_node[i], idx = run->removal_index[i];
        bool ready = applier->sm.index >= idx && !raft_conf_is_voter(&s.conf, x) &&
                     !raft_conf_is_learner(&s.conf, x) && s.conf.n_voters > 0;
        for (uint32_t v = 0; ready && v < s.conf.n_voters; v++) {
            uint64_t id = s.conf.voters[v];
            ready = id <= SIM_NODES_MAX && run->nodes[id].alive && run->nodes[id].sm.index >= idx;
        }
        if (!ready || x > SIM_NODES_MAX) {
            i++;
            continue;
        }
        struct sim_node *n = &run->nodes[x];
        sim_trace_ev(run, SIM_TR_DECOMMISSION, 0, x, 0, idx, 0, 0, 0);
        if (n->alive) {
            sim_node_crash(run, n);
            run->st.crashes--; /* an orderly shutdown, not a fault */
        }
        n->decommissioned = true;
        run->removal_node[i] = run->removal_node[run->n_removals - 1];
        run->removal_index[i] = run->removal_index[run->n_removals - 1];
        run->n_removals--;
    }
}

static struct sim_node *sim_event_node(struct sim_run *run, const struct sim_event *e)
{
    if (e->node < 1 || e->node > SIM_NODES_MAX)
        return NULL;
    struct sim_node *n = &run->nodes[e->node];
    if (!n->exists || !n->alive || n->incarnation != e->incarnation)
        return NULL;
    return n;
}

/* Runs the next event. Returns false if there is none. */
static bool sim_step(struct sim_run *run)
{
    struct sim_event e;
    if (!sim_queue_pop(&run->q, &e))
        return false;
    ASSERT(e.at_us >= run->now_us);
    run->now_us = e.at_us;
    run->st.steps++;
    struct sim_node *n = sim_event_node(run, &e);
    switch (e.kind) {
    case SIM_EV_DELIVER:
        sim_net_deliver(run, e.pkt);
        sim_packet_free(e.pkt);
        break;
    case SIM_EV_TICK:
        if (n) {
            raft_tick(n->r);
            sim_node_after_input(run, n);
            if (n->alive && n->incarnation == e.incarnation)
                sim_schedule(run, SIM_TICK_US, SIM_EV_TICK, n->id, 0, 0, NULL);
        }
        break;
    case SIM_EV_SYNC:
        if (n)
            sim_node_sync_done(run, n);
        break;
    case SIM_EV_CRASH:
        if (n && run->chaos)
            sim_crash(run, n, run->p.down_us_max / 4 + 100);
        break;
    case SIM_EV_RESTART: {
        struct sim_node *d = &run->nodes[e.node];
        if (d->exists && !d->alive && !d->decommissioned && d->incarnation == e.incarnation)
            sim_node_start(run, d);
        break;
    }
    case SIM_EV_HEAL:
        if (e.arg == run->partition_gen)
            sim_net_heal(run);
        break;
    case SIM_EV_SNAP_REPORT:
        if (n) {
            raft_report_snapshot(n->r, e.arg, e.arg2 != 0);
            sim_node_after_input(run, n);
        }
        break;
    case SIM_EV_UNREACHABLE:
        if (n) {
            run->st.unreachable++;
            raft_report_unreachable(n->r, e.arg);
            sim_node_after_input(run, n);
        }
        break;
    case SIM_EV_ISOLATE:
        if (n && run->chaos)
            sim_net_isolate(run, n->id);
        break;
    case SIM_EV_WORKLOAD:
        if (run->chaos)
            sim_workload(run);
        sim_schedule(run, sim_rand_range(run, 1, run->p.workload_us_max), SIM_EV_WORKLOAD, 0, 0, 0,
                     NULL);
        break;
    default:
        PANIC("unknown event kind %u", e.kind);
    }
    return true;
}

/* The liveness probe is done once it is applied on every voter of the
 * current leader's configuration. */
static bool sim_marker_everywhere(struct sim_run *run)
{
    struct sim_node *l = sim_leader(run);
    if (l == NULL)
        return false;
    struct raft_status s;
    raft_status(l->r, &s);
    for (uint32_t i = 0; i < s.conf.n_voters; i++) {
        uint64_t id = s.conf.voters[i];
        if (id > SIM_NODES_MAX || !run->nodes[id].alive ||
            run->nodes[id].sm.index < run->marker_index)
            return false;
    }
    return true;
}

/* Quiet phase: heal, restart everyone, stop faults; a leader must then commit
 * and apply a fresh write on all voters within SIM_LIVENESS_ELECTIONS
 * election timeouts. */
static void sim_quiet(struct sim_run *run)
{
    run->chaos = false;
    run->st.quiet_phases++;
    sim_trace_ev(run, SIM_TR_PHASE, 0, 0, 0, 0, 0, 0, 0);
    sim_net_heal(run);
    for (uint64_t id = 1; id <= run->n_ids && !run->violated; id++) {
        struct sim_node *n = &run->nodes[id];
        if (n->exists && !n->alive && !n->decommissioned)
            sim_node_start(run, n);
    }
    uint64_t timeout_us = (uint64_t)run->p.election_ticks * SIM_TICK_US;
    uint64_t deadline = run->now_us + SIM_LIVENESS_ELECTIONS * timeout_us;
    uint64_t next_probe = run->now_us;
    run->marker_seq = 0;
    run->marker_acked = false;
    while (!run->violated) {
        if (run->marker_acked && sim_marker_everywhere(run))
            break;
        if (!run->marker_acked && run->now_us >= next_probe) {
            struct sim_node *l = sim_leader(run);
            if (l)
                sim_node_propose(run, l, true);
            next_probe = run->now_us + timeout_us;
        }
        if (run->now_us > deadline) {
            sim_violation(run, "liveness",
                          "no leader committed and applied a fresh write on all voters within %u "
                          "election timeouts after faults stopped (probe %s)",
                          SIM_LIVENESS_ELECTIONS, run->marker_acked ? "acked" : "not acked");
            break;
        }
        if (!sim_step(run))
            break;
    }
    if (!run->violated)
        sim_trace_ev(run, SIM_TR_PHASE, 1, 0, 0, 0, 0, 0, 0);
}

static void sim_print_nodes(struct sim_run *run)
{
    for (uint64_t id = 1; id <= run->n_ids; id++) {
        struct sim_node *n = &run->nodes[id];
        if (!n->exists)
            continue;
        if (!n->alive) {
            printf("  node %" PRIu64 ": %s, durable term=%" PRIu64 " vote=%" PRIu64 " snap=%" PRIu64
                   " last=%" PRIu64 "\n",
                   id, n->decommissioned ? "decommissioned" : "down", n->disk.hs.term,
                   n->disk.hs.vote, n->disk.snap.meta.index, sim_disk_last_index(&n->disk));
            continue;
        }
        struct raft_status s;
        raft_status(n->r, &s);
        printf("  node %" PRIu64 ": %s term=%" PRIu64 " vote=%" PRIu64 " leader=%" PRIu64
               " commit=%" PRIu64 " applied=%" PRIu64 " last=%" PRIu64 " voters=%u learners=%u%s\n",
               id, raft_role_name(s.role), s.term, s.vote, s.leader, s.commit, n->sm.index,
               s.last_index, s.conf.n_voters, s.conf.n_learners, n->busy ? " (syncing)" : "");
    }
}

static void sim_teardown(struct sim_run *run)
{
    for (uint64_t id = 1; id <= SIM_NODES_MAX; id++)
        if (run->nodes[id].exists)
            sim_node_free(&run->nodes[id]);
    struct sim_event e;
    while (sim_queue_pop(&run->q, &e))
        if (e.pkt)
            sim_packet_free(e.pkt);
    sim_queue_free(&run->q);
    sim_check_free(&run->check);
    sim_trace_free(&run->trace);
}

static void sim_stats_add(struct sim_stats *total, const struct sim_stats *st)
{
    uint64_t *t = (uint64_t *)total;
    const uint64_t *s = (const uint64_t *)st;
    for (size_t i = 0; i < sizeof *st / sizeof(uint64_t); i++)
        t[i] += s[i];
}

bool sim_run_one(const struct sim_opts *o, uint64_t run_no, uint64_t seed, struct sim_stats *total)
{
    static const unsigned sizes[] = {3, 5, 7};
    struct sim_run *run = calloc(1, sizeof *run);
    ASSERT(run != NULL);
    run->opts = o;
    run->seed = seed;
    rng_seed(&run->rng, seed);
    unsigned voters = o->nodes ? o->nodes : sizes[seed % 3];
    sim_params_pick(run, voters);
    sim_check_init(&run->check);
    sim_trace_init(&run->trace, o->trace_len, o->verbose);
    if (o->verbose) {
        printf("run %" PRIu64 " seed %" PRIu64 " nodes %u\n", run_no, seed, voters);
        sim_params_print(&run->p);
    }
    run->chaos = true;
    struct raft_conf boot = {0};
    for (unsigned i = 1; i <= run->p.initial_voters; i++)
        boot.voters[boot.n_voters++] = i;
    sim_check_committed(run, 0, RAFT_BOOTSTRAP_INDEX, RAFT_BOOTSTRAP_TERM, SIM_CHAIN_BOOTSTRAP);
    for (unsigned i = 1; i <= run->p.initial_voters && !run->violated; i++)
        sim_node_create(run, i, &boot);
    sim_schedule(run, sim_rand_range(run, 1, run->p.workload_us_max), SIM_EV_WORKLOAD, 0, 0, 0,
                 NULL);
    uint64_t segment = o->steps / (run->p.mid_quiet + 1);
    uint64_t chaos_steps = 0;
    while (!run->violated && chaos_steps < o->steps) {
        if (!sim_step(run))
            break;
        chaos_steps++;
        if (segment > 0 && chaos_steps % segment == 0 && chaos_steps < o->steps) {
            sim_quiet(run);
            run->chaos = true;
            if (!run->violated)
                sim_trace_ev(run, SIM_TR_PHASE, 2, 0, 0, 0, 0, 0, 0);
        }
    }
    if (!run->violated)
        sim_quiet(run);

    bool violated = run->violated;
    if (violated) {
        printf("VIOLATION run %" PRIu64 " seed %" PRIu64 " nodes %u: rule %s\n  %s\n", run_no, seed,
               voters, run->rule, run->detail);
        printf("  at %" PRIu64 ".%03" PRIu64 "ms after %" PRIu64 " steps\n", run->now_us / 1000,
               run->now_us % 1000, run->st.steps);
        sim_params_print(&run->p);
        sim_print_nodes(run);
        sim_trace_dump(&run->trace);
        printf("reproduce: raft-sim --runs 1 --seed %" PRIu64 " --nodes %u --steps %" PRIu64
               "%s%s --trace 200\n",
               seed, voters, o->steps, o->break_name ? " --break " : "",
               o->break_name ? o->break_name : "");
    } else {
        printf("run %" PRIu64 " seed %" PRIu64 " nodes %u ok: steps=%" PRIu64 " t=%" PRIu64
               "ms elections=%" PRIu64 " acked=%" PRIu64 " reads=%" PRIu64 " crashes=%" PRIu64
               " conf=%" PRIu64 "\n",
               run_no, seed, voters, run->st.steps, run->now_us / 1000, run->st.elections,
               run->st.acked, run->st.reads_served, run->st.crashes, run->st.conf_changes);
    }
    fflush(stdout);
    sim_stats_add(total, &run->st);
    sim_teardown(run);
    free(run);
    return violated;
}
