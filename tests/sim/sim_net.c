/* Simulated network: every message is deep-copied into a packet and delivered
 * after a random delay (so messages reorder), unless it is dropped, duplicated,
 * or cut by a partition (both ways or one way) at delivery time. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "sim.h"

#define SIM_NET_DELAY_US_MIN   100
#define SIM_SNAP_REPORT_US_MAX 5000

enum sim_drop_reason {
    SIM_DROP_RANDOM,
    SIM_DROP_PARTITION,
    SIM_DROP_DOWN,
    SIM_DROP_GONE,
    SIM_DROP_SENDER_CRASHED,
};

/* One allocation: packet, entry array, entry data. */
static struct sim_packet *sim_packet_copy(const struct raft_msg *m)
{
    uint64_t data_bytes = 0;
    for (uint32_t i = 0; i < m->n_entries; i++)
        data_bytes += m->entries[i].len;
    size_t size = sizeof(struct sim_packet) + (size_t)m->n_entries * sizeof(struct raft_entry) +
                  (size_t)data_bytes;
    struct sim_packet *pkt = calloc(1, size);
    ASSERT(pkt != NULL);
    pkt->msg = *m;
    struct raft_entry *ents = (struct raft_entry *)(pkt + 1);
    uint8_t *data = (uint8_t *)(ents + m->n_entries);
    for (uint32_t i = 0; i < m->n_entries; i++) {
        ents[i] = m->entries[i];
        if (m->entries[i].len > 0) {
            memcpy(data, m->entries[i].data, m->entries[i].len);
            ents[i].data = data;
            data += m->entries[i].len;
        } else {
            ents[i].data = NULL;
        }
    }
    pkt->msg.entries = m->n_entries ? ents : NULL;
    return pkt;
}

static struct sim_packet *sim_packet_dup(const struct sim_packet *p)
{
    struct sim_packet *q = sim_packet_copy(&p->msg);
    q->from_incarnation = p->from_incarnation;
    q->has_snap = p->has_snap;
    q->snap = p->snap;
    return q;
}

void sim_packet_free(struct sim_packet *pkt)
{
    free(pkt);
}

static void sim_net_dropped(struct sim_run *run, const struct sim_packet *pkt, int reason)
{
    const struct raft_msg *m = &pkt->msg;
    sim_trace_ev(run, SIM_TR_DROP, m->type, m->from, m->to, m->term, (uint64_t)reason, 0, 0);
    if (reason == SIM_DROP_GONE)
        return;
    /* The sender's transport notices failures only sometimes, and later. */
    if (m->type == RAFT_MSG_SNAPSHOT)
        sim_schedule(run, sim_rand_range(run, 1, SIM_SNAP_REPORT_US_MAX), SIM_EV_SNAP_REPORT,
                     m->from, m->to, 0, NULL);
    else if (reason != SIM_DROP_RANDOM && sim_chance(run, run->p.unreachable_pct, 100))
        sim_schedule(run, sim_rand_range(run, 1, SIM_TICK_US), SIM_EV_UNREACHABLE, m->from, m->to,
                     0, NULL);
}

static uint64_t sim_net_delay(struct sim_run *run)
{
    uint64_t lo = SIM_NET_DELAY_US_MIN;
    uint64_t hi = run->p.net_delay_us_max > lo ? run->p.net_delay_us_max : lo;
    uint64_t d = sim_rand_range(run, lo, hi);
    if (run->chaos && sim_chance(run, run->p.long_delay_permille, 1000)) {
        run->st.long_delays++;
        d *= sim_rand_range(run, 5, 40);
    }
    return d;
}

void sim_net_send(struct sim_run *run, struct sim_node *from, const struct raft_msg *m)
{
    if (m->from != from->id) {
        sim_violation(run, "core-contract", "node %llu sent a message with from=%llu",
                      (unsigned long long)from->id, (unsigned long long)m->from);
        return;
    }
    if (m->type == RAFT_MSG_VOTE_RESP && !m->reject)
        sim_check_vote(run, m->from, m->term, m->to);
    struct sim_packet *pkt = sim_packet_copy(m);
    pkt->from_incarnation = from->incarnation;
    if (m->to == RAFT_NONE || m->to > run->n_ids || !run->nodes[m->to].exists) {
        sim_net_dropped(run, pkt, SIM_DROP_GONE);
        sim_packet_free(pkt);
        return;
    }
    if (m->type == RAFT_MSG_SNAPSHOT) {
        const struct sim_snap *s = sim_disk_find_snap(&from->disk, m->snap.index, m->snap.term);
        if (s == NULL) {
            sim_violation(run, "core-contract",
                          "node %llu sent a snapshot (index=%llu term=%llu) its storage never had",
                          (unsigned long long)from->id, (unsigned long long)m->snap.index,
                          (unsigned long long)m->snap.term);
            sim_packet_free(pkt);
            return;
        }
        pkt->has_snap = true;
        pkt->snap = *s;
        run->st.snapshots_sent++;
        if (run->chaos && sim_chance(run, run->p.snap_fail_pct, 100)) {
            run->st.snap_fails++;
            sim_trace_ev(run, SIM_TR_SNAP_SEND, 1, m->from, m->to, m->snap.index, 0, 0, 0);
            sim_schedule(run, sim_rand_range(run, 1, SIM_SNAP_REPORT_US_MAX), SIM_EV_SNAP_REPORT,
                         m->from, m->to, 0, NULL);
            sim_packet_free(pkt);
            return;
        }
        sim_trace_ev(run, SIM_TR_SNAP_SEND, 0, m->from, m->to, m->snap.index, 0, 0, 0);
    }
    if (run->chaos && sim_chance(run, run->p.drop_permille, 1000)) {
        run->st.drops++;
        sim_net_dropped(run, pkt, SIM_DROP_RANDOM);
        sim_packet_free(pkt);
        return;
    }
    if (run->chaos && sim_chance(run, run->p.dup_permille, 1000)) {
        run->st.dups++;
        sim_schedule(run, sim_net_delay(run), SIM_EV_DELIVER, m->to, 0, 0, sim_packet_dup(pkt));
    }
    sim_schedule(run, sim_net_delay(run), SIM_EV_DELIVER, m->to, 0, 0, pkt);
}

void sim_net_deliver(struct sim_run *run, struct sim_packet *pkt)
{
    const struct raft_msg *m = &pkt->msg;
    struct sim_node *to = &run->nodes[m->to];
    const struct sim_node *from = &run->nodes[m->from];
    if (run->p.crash_loses_outbox && (!from->alive || from->incarnation != pkt->from_incarnation)) {
        sim_net_dropped(run, pkt, SIM_DROP_SENDER_CRASHED);
        return;
    }
    if (run->blocked[m->from][m->to]) {
        sim_net_dropped(run, pkt, SIM_DROP_PARTITION);
        return;
    }
    if (!to->alive) {
        sim_net_dropped(run, pkt, SIM_DROP_DOWN);
        return;
    }
    run->st.delivered++;
    sim_trace_ev(run, SIM_TR_DELIVER, m->type, m->from, m->to, m->term,
                 m->type == RAFT_MSG_SNAPSHOT ? m->snap.index : m->index,
                 (uint64_t)m->n_entries << 1 | (m->reject ? 1 : 0), m->commit);
    if (m->type == RAFT_MSG_SNAPSHOT)
        sim_schedule(run, sim_rand_range(run, 1, SIM_SNAP_REPORT_US_MAX), SIM_EV_SNAP_REPORT,
                     m->from, m->to, 1, NULL);
    sim_node_step(run, to, pkt);
}

void sim_net_heal(struct sim_run *run)
{
    memset(run->blocked, 0, sizeof run->blocked);
    run->partition_gen++;
    sim_trace_ev(run, SIM_TR_HEAL, 0, 0, 0, 0, 0, 0, 0);
}

static void sim_net_cut(struct sim_run *run, uint64_t a_mask, uint64_t b_mask, bool both_ways)
{
    for (uint64_t a = 1; a <= run->n_ids; a++)
        for (uint64_t b = 1; b <= run->n_ids; b++) {
            if (!(a_mask >> a & 1) || !(b_mask >> b & 1))
                continue;
            run->blocked[a][b] = true;
            if (both_ways)
                run->blocked[b][a] = true;
        }
}

/* A node still taking part: exists and not decommissioned. */
static uint64_t sim_net_members(const struct sim_run *run)
{
    uint64_t mask = 0;
    for (uint64_t id = 1; id <= run->n_ids; id++)
        if (run->nodes[id].exists && !run->nodes[id].decommissioned)
            mask |= 1ull << id;
    return mask;
}

static uint64_t sim_net_pick(struct sim_run *run, uint64_t mask)
{
    uint64_t n = (uint64_t)__builtin_popcountll(mask);
    ASSERT(n > 0);
    uint64_t k = sim_rand_range(run, 0, n - 1);
    for (uint64_t id = 1; id <= SIM_NODES_MAX; id++)
        if (mask >> id & 1) {
            if (k == 0)
                return id;
            k--;
        }
    return 0;
}

static void sim_net_partitioned(struct sim_run *run, uint8_t kind, uint64_t a, uint64_t b,
                                uint64_t heal_us)
{
    run->st.partitions++;
    run->partition_gen++;
    sim_trace_ev(run, SIM_TR_PARTITION, kind, 0, 0, a, b, 0, 0);
    sim_schedule(run, heal_us, SIM_EV_HEAL, 0, run->partition_gen, 0, NULL);
}

/* Isolates a new leader for a few election timeouts: long enough for
 * another leader to rise, short enough for terms to keep turning over. */
/* The highest-numbered live member that claims leadership, or 0. */
static uint64_t sim_net_leader(const struct sim_run *run, uint64_t members)
{
    uint64_t leader = 0;
    for (uint64_t id = 1; id <= run->n_ids; id++)
        if ((members >> id & 1) && run->nodes[id].alive && run->nodes[id].role == RAFT_LEADER)
            leader = id;
    return leader;
}

void sim_net_isolate(struct sim_run *run, uint64_t id)
{
    uint64_t a = 1ull << id, b = sim_net_members(run) & ~a;
    if (b == 0)
        return;
    sim_net_cut(run, a, b, true);
    uint64_t timeout_us = (uint64_t)run->p.election_ticks * SIM_TICK_US;
    sim_net_partitioned(run, 0, a, b, sim_rand_range(run, timeout_us / 2, 3 * timeout_us));
}

/* Cuts some links: isolates one node (often the leader), splits the nodes in
 * two groups, cuts links one way only, or cuts one link both ways (so that
 * connectivity is not transitive: a and b both reach c, not each other).
 * Healed by a later event. */
void sim_net_partition(struct sim_run *run)
{
    uint64_t all = sim_net_members(run);
    if (__builtin_popcountll(all) < 2)
        return;
    uint64_t kind = sim_rand_range(run, 0, 3);
    uint64_t a = 0, b = 0;
    if (kind == 0) {
        uint64_t victim = sim_chance(run, 1, 2) ? sim_net_leader(run, all) : 0;
        if (victim == 0)
            victim = sim_net_pick(run, all);
        a = 1ull << victim;
        b = all & ~a;
        sim_net_cut(run, a, b, true);
    } else if (kind == 1) {
        for (uint64_t id = 1; id <= run->n_ids; id++)
            if ((all >> id & 1) && sim_chance(run, 1, 2))
                a |= 1ull << id;
        b = all & ~a;
        sim_net_cut(run, a, b, true);
    } else if (kind == 3) {
        uint64_t x = sim_chance(run, 1, 2) ? sim_net_leader(run, all) : 0;
        if (x == 0)
            x = sim_net_pick(run, all);
        a = 1ull << x;
        b = 1ull << sim_net_pick(run, all & ~a);
        sim_net_cut(run, a, b, true);
    } else {
        run->st.oneway++;
        uint64_t x = sim_net_pick(run, all);
        a = 1ull << x;
        uint64_t r = sim_rand_range(run, 0, 2);
        if (r == 0) { /* x hears nobody... */
            b = all & ~a;
            sim_net_cut(run, b, a, false);
        } else if (r == 1) { /* ...or nobody hears x... */
            b = all & ~a;
            sim_net_cut(run, a, b, false);
        } else { /* ...or one link is cut one way */
            b = 1ull << sim_net_pick(run, all & ~a);
            sim_net_cut(run, a, b, false);
        }
    }
    sim_net_partitioned(run, (uint8_t)kind, a, b,
                        sim_rand_range(run, SIM_TICK_US, run->p.partition_us_max));
}
