/* Shared types of the deterministic Raft cluster simulator (build/raft-sim):
 * the event queue, simulated disks and network, per-node drivers, the checker. */
#ifndef CAIRN_SIM_H
#define CAIRN_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "base/rng.h"
#include "raft/raft.h"

/* Bounds. */
#define SIM_NODES_MAX           24    /* distinct node ids in one run: 1..SIM_NODES_MAX */
#define SIM_TICK_US             10000 /* every node ticks once per 10 ms of simulated time */
#define SIM_SNAP_HISTORY_MAX    8     /* older snapshots a leader can still stream */
#define SIM_INBOX_MAX           4     /* snapshot payloads a follower holds until installed */
#define SIM_CLIENT_OPS_MAX      512   /* tracked proposals or reads per node */
#define SIM_CLIENT_BACKLOG_MAX  32    /* clients wait while a leader has this many uncommitted */
#define SIM_TRACE_LEN_DEFAULT   40    /* events printed before a violation */
#define SIM_TRACE_LEN_MAX       4096
#define SIM_READY_LOOPS_MAX     10000 /* readies handled back to back without any sync */
#define SIM_LIVENESS_ELECTIONS  50    /* election timeouts allowed to recover after faults stop */
#define SIM_WRITE_PAD_BYTES_MAX 48    /* random padding in a client write */
#define SIM_RULE_LEN_MAX        48
#define SIM_DETAIL_LEN_MAX      512

/* ---- state machine (sim_check.c) ---- */

/* The replicated state machine: a max-register over client write sequence
 * numbers plus the hash chain of every entry applied, so that a snapshot (this
 * struct plus the snapshot metadata) carries a fingerprint of all history. */
struct sim_sm {
    uint64_t index;        /* applied index */
    uint64_t term;         /* term of the entry at index */
    uint64_t chain;        /* log chain hash at index */
    uint64_t max_seq;      /* register value: highest write sequence applied */
    uint64_t writes;       /* client writes applied */
    struct raft_conf conf; /* membership as of index */
};

/* Chain value of the bootstrap snapshot every initial voter starts from. */
#define SIM_CHAIN_BOOTSTRAP 0x9e3779b97f4a7c15ull

uint64_t sim_hash_bytes(uint64_t h, const void *p, uint64_t len);
uint64_t sim_mix(uint64_t x);
/* Chain hash of the log up to e, given the chain up to e->index - 1. */
uint64_t sim_chain_next(uint64_t prev, const struct raft_entry *e);

/* Client write payload: 'W', sequence number, padding. */
#define SIM_WRITE_MAGIC     'W'
#define SIM_WRITE_HDR_BYTES 10
bool sim_write_decode(const uint8_t *p, uint32_t len, uint64_t *seq);

/* ---- event queue (sim_queue.c) ---- */

enum sim_event_kind {
    SIM_EV_DELIVER = 1, /* pkt arrives at pkt->msg.to */
    SIM_EV_TICK,        /* node ticks (if incarnation matches) */
    SIM_EV_SYNC,        /* node's outstanding ready became durable */
    SIM_EV_CRASH,       /* scheduled crash (chaos only) */
    SIM_EV_RESTART,     /* node comes back */
    SIM_EV_HEAL,        /* partition ends (arg: partition generation) */
    SIM_EV_SNAP_REPORT, /* node learns how its snapshot to arg went (arg2: ok) */
    SIM_EV_UNREACHABLE, /* node's transport reports peer arg unreachable */
    SIM_EV_WORKLOAD,    /* a client or fault action */
    SIM_EV_ISOLATE,     /* cut node off from everyone (chaos only) */
};

struct sim_packet;

struct sim_event {
    uint64_t at_us;
    uint64_t seq; /* insertion order: ties are broken by it, never by pointers */
    uint8_t kind;
    uint64_t node;
    uint64_t incarnation;
    uint64_t arg;
    uint64_t arg2;
    struct sim_packet *pkt;
};

struct sim_queue {
    struct sim_event *ev;
    uint64_t n;
    uint64_t cap;
    uint64_t next_seq;
};

void sim_queue_push(struct sim_queue *q, const struct sim_event *e);
bool sim_queue_pop(struct sim_queue *q, struct sim_event *out);
void sim_queue_free(struct sim_queue *q);

/* ---- simulated disk (sim_disk.c) ---- */

struct sim_snap {
    struct raft_snapshot_meta meta;
    struct sim_sm sm;
};

/* A log entry as stored: the entry plus the chain hash up to it. Data owned. */
struct sim_entry {
    struct raft_entry e;
    uint64_t chain;
};

/* What survives a crash: hard state, latest snapshot (and a few older ones a
 * leader may still be streaming), the log after the snapshot and, in
 * durable-state-machine runs, the state machine. Plus one pending (written,
 * unsynced) ready that a crash throws away. */
struct sim_disk {
    struct raft_hard_state hs;
    struct sim_snap snap;
    struct sim_snap history[SIM_SNAP_HISTORY_MAX];
    uint32_t n_history;
    struct sim_entry *log; /* log[i].e.index == snap.meta.index + 1 + i */
    uint64_t n_log;
    uint64_t cap_log;
    struct sim_sm sm; /* durable state machine (only used when sm_durable) */

    bool pending;
    bool p_has_hs;
    struct raft_hard_state p_hs;
    bool p_has_snap;
    struct sim_snap p_snap;
    struct sim_entry *p_entries; /* owned copies, chains computed */
    uint32_t p_n;

    /* Data of entries dropped from the durable log; freed after raft_advance
     * because the core may still point at it until then. */
    uint8_t **grave;
    uint64_t n_grave;
    uint64_t cap_grave;

    struct raft_storage st;
};

void sim_disk_init_empty(struct sim_disk *d);
void sim_disk_init_bootstrap(struct sim_disk *d, const struct raft_conf *voters);
void sim_disk_free(struct sim_disk *d);
uint64_t sim_disk_last_index(const struct sim_disk *d);
/* Entry at index in the durable log, or NULL. */
const struct sim_entry *sim_disk_entry(const struct sim_disk *d, uint64_t index);
/* The chain hash at index in the log as written (durable plus pending), for
 * snap index <= index <= last. Returns false if outside. */
bool sim_disk_view_chain(const struct sim_disk *d, uint64_t index, uint64_t *term, uint64_t *chain);
uint64_t sim_disk_view_last(const struct sim_disk *d);
uint64_t sim_disk_view_snap_index(const struct sim_disk *d);
/* Makes the pending write durable. */
void sim_disk_sync(struct sim_disk *d);
/* Forgets the pending write (a crash). */
void sim_disk_drop_pending(struct sim_disk *d);
void sim_disk_free_grave(struct sim_disk *d);
/* Replaces the snapshot by s and drops the log up to s->meta.index. */
void sim_disk_compact(struct sim_disk *d, const struct sim_snap *s);
const struct sim_snap *sim_disk_find_snap(const struct sim_disk *d, uint64_t index, uint64_t term);

/* ---- trace (sim_trace.c) ---- */

enum sim_trace_kind {
    SIM_TR_DELIVER = 1,
    SIM_TR_DROP,
    SIM_TR_CRASH,
    SIM_TR_RESTART,
    SIM_TR_PARTITION,
    SIM_TR_HEAL,
    SIM_TR_ROLE,
    SIM_TR_COMMIT,
    SIM_TR_PERSIST,
    SIM_TR_PROPOSE,
    SIM_TR_ACK,
    SIM_TR_CONF,
    SIM_TR_TRANSFER,
    SIM_TR_READ,
    SIM_TR_READ_DONE,
    SIM_TR_SNAP_SEND,
    SIM_TR_SNAP_INSTALL,
    SIM_TR_COMPACT,
    SIM_TR_DECOMMISSION,
    SIM_TR_PHASE,
    SIM_TR_APPLY,
};

struct sim_trace_rec {
    uint64_t at_us;
    uint8_t kind;
    uint8_t sub;
    uint64_t node;
    uint64_t peer;
    uint64_t a, b, c, d;
};

struct sim_trace {
    struct sim_trace_rec *ring;
    uint32_t len; /* capacity */
    uint64_t n;   /* records ever added */
    bool verbose;
};

void sim_trace_init(struct sim_trace *t, uint32_t len, bool verbose);
void sim_trace_free(struct sim_trace *t);
void sim_trace_add(struct sim_trace *t, uint64_t at_us, uint8_t kind, uint8_t sub, uint64_t node,
                   uint64_t peer, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
void sim_trace_print_rec(const struct sim_trace_rec *r);
void sim_trace_dump(const struct sim_trace *t);

/* ---- network (sim_net.c) ---- */

/* A message in flight: a deep copy of what the core sent, plus the snapshot
 * payload that travels out of band with RAFT_MSG_SNAPSHOT. */
struct sim_packet {
    struct raft_msg msg;
    uint64_t from_incarnation;
    bool has_snap;
    struct sim_snap snap;
};

/* ---- per-node driver (sim_node.c) ---- */

struct sim_proposal {
    uint64_t seq;
    uint64_t index;
    uint64_t term;
    bool marker; /* liveness probe */
};

struct sim_read {
    uint64_t ctx;
    uint64_t min_seq;   /* highest write acknowledged when the read was issued */
    uint64_t min_index; /* its index */
    uint64_t index;     /* read point from the core; 0 until known */
    uint64_t issued_us;
};

struct sim_node {
    uint64_t id;
    bool exists;         /* created in this run */
    bool alive;          /* process running */
    bool decommissioned; /* removed and shut down for good */
    uint64_t incarnation;
    uint64_t raft_seed;
    struct raft *r;
    struct sim_disk disk;
    struct sim_sm sm; /* volatile state machine */

    bool busy; /* a ready is outstanding until its sync completes */
    struct raft_ready rd;

    /* Last status seen, to notice role, term and commit changes. */
    enum raft_role role;
    uint64_t term;
    uint64_t commit;
    uint64_t commit_recorded; /* entries up to here were fed to the commit table */

    /* Leader completeness: checked on the next ready after winning. */
    bool lc_pending;
    uint64_t lc_term;
    uint64_t lc_index;
    uint64_t lc_chain;

    struct sim_snap inbox[SIM_INBOX_MAX];
    uint32_t n_inbox;

    struct sim_proposal props[SIM_CLIENT_OPS_MAX];
    uint32_t n_props;
    struct sim_read reads[SIM_CLIENT_OPS_MAX];
    uint32_t n_reads;
};

/* ---- checker (sim_check.c) ---- */

/* (index, term) -> chain hash, for log matching across every log ever seen. */
struct sim_chain_map {
    uint64_t *keys_index;
    uint64_t *keys_term;
    uint64_t *vals;
    uint64_t cap; /* power of two */
    uint64_t n;
};

struct sim_check {
    struct sim_chain_map chains;
    /* By raft index: chain of the committed / applied entry there (0 = unknown). */
    uint64_t *committed_chain;
    uint64_t *committed_term;
    uint64_t *applied_chain;
    uint64_t cap_index;
    uint64_t max_committed;
    /* By term: the leader (0 = none yet). */
    uint64_t *leader_of_term;
    uint64_t cap_term;
    /* By node and term: the candidate that node granted its vote to. */
    uint64_t *vote_of[SIM_NODES_MAX + 1];
    uint64_t cap_vote[SIM_NODES_MAX + 1];
};

/* ---- the run (sim_cluster.c) ---- */

struct sim_params {
    unsigned target_voters;
    unsigned initial_voters;
    unsigned election_ticks;
    unsigned heartbeat_ticks;
    bool pre_vote;
    bool check_quorum;
    bool lease_reads;
    uint64_t max_msg_bytes;
    uint32_t max_inflight_msgs;
    uint64_t max_uncommitted_bytes;
    uint64_t learner_catchup_entries;
    bool sm_durable;
    uint64_t compact_entries; /* compact when the log is longer than this */

    uint64_t net_delay_us_max;
    unsigned drop_permille;       /* per message */
    unsigned dup_permille;        /* per message */
    unsigned long_delay_permille; /* per message */
    uint64_t sync_us_max;
    unsigned crash_permille;          /* per workload action */
    unsigned crash_sync_permille;     /* per persisting ready */
    unsigned crash_vote_permille;     /* per ready that persists a new vote */
    unsigned crash_leader_permille;   /* per leader ready with new entries */
    unsigned crash_commit_permille;   /* per advance of a leader's commit index */
    bool crash_loses_outbox;          /* a crash also loses the node's undelivered messages */
    unsigned isolate_leader_permille; /* per new leader: isolate it soon after */
    uint64_t down_us_max;
    unsigned partition_permille; /* per workload action */
    uint64_t partition_us_max;
    unsigned snap_fail_pct;     /* per snapshot message, in 1/100 */
    unsigned unreachable_pct;   /* per dropped message, in 1/100 */
    unsigned conf_permille;     /* per workload action */
    unsigned transfer_permille; /* per workload action */
    unsigned read_pct;          /* share of client actions that are reads, in 1/100 */
    uint64_t workload_us_max;   /* gap between client/fault actions */
    unsigned mid_quiet;         /* quiet phases in the middle of the run */
};

struct sim_stats {
    uint64_t steps;
    uint64_t drops;
    uint64_t dups;
    uint64_t long_delays;
    uint64_t partitions;
    uint64_t oneway;
    uint64_t crashes;
    uint64_t crashes_in_sync;
    uint64_t snap_fails;
    uint64_t unreachable;
    uint64_t delivered;
    uint64_t elections;
    uint64_t proposals;
    uint64_t acked;
    uint64_t reads;
    uint64_t reads_served;
    uint64_t conf_changes;
    uint64_t transfers;
    uint64_t snapshots_sent;
    uint64_t snapshots_installed;
    uint64_t compactions;
    uint64_t quiet_phases;
};

struct sim_opts {
    uint64_t runs;
    uint64_t seed;
    unsigned nodes; /* 0: by seed, cycling 3, 5, 7 */
    uint64_t steps;
    unsigned breaks;
    const char *break_name;
    bool expect_violation;
    bool verbose;
    uint32_t trace_len;
};

struct sim_run {
    const struct sim_opts *opts;
    uint64_t seed;
    struct rng rng;
    struct sim_params p;
    uint64_t now_us;
    struct sim_queue q;
    struct sim_node nodes[SIM_NODES_MAX + 1];           /* by id; [0] unused */
    uint64_t n_ids;                                     /* ids 1..n_ids exist */
    bool blocked[SIM_NODES_MAX + 1][SIM_NODES_MAX + 1]; /* from -> to cut */
    uint64_t partition_gen;
    bool chaos;    /* faults and client load on */
    bool liveness; /* in a quiet phase, waiting for recovery */
    struct sim_check check;
    struct sim_trace trace;
    struct sim_stats st;

    uint64_t next_seq;
    uint64_t next_ctx;
    uint64_t max_acked_seq;
    uint64_t max_acked_index;
    uint64_t marker_seq; /* liveness probe being waited for; 0 = none */
    bool marker_acked;
    uint64_t marker_index;
    uint64_t marker_node;

    /* Removals waiting to be applied everywhere before the node is shut down. */
    uint64_t removal_node[SIM_NODES_MAX + 1];
    uint64_t removal_index[SIM_NODES_MAX + 1];
    uint32_t n_removals;

    bool violated;
    char rule[SIM_RULE_LEN_MAX];
    char detail[SIM_DETAIL_LEN_MAX];
};

/* Records the first violation; the run stops after the current event. */
void sim_violation(struct sim_run *run, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void sim_trace_ev(struct sim_run *run, uint8_t kind, uint8_t sub, uint64_t node, uint64_t peer,
                  uint64_t a, uint64_t b, uint64_t c, uint64_t d);
void sim_schedule(struct sim_run *run, uint64_t delay_us, uint8_t kind, uint64_t node, uint64_t arg,
                  uint64_t arg2, struct sim_packet *pkt);
uint64_t sim_rand_range(struct sim_run *run, uint64_t lo, uint64_t hi); /* [lo, hi] */
bool sim_chance(struct sim_run *run, unsigned num, unsigned den);
/* Runs one seeded simulation; returns true if it found a violation. */
bool sim_run_one(const struct sim_opts *o, uint64_t run_no, uint64_t seed, struct sim_stats *total);
/* A node applied the removal of node at index: shut it down once applied everywhere. */
void sim_cluster_note_removal(struct sim_run *run, uint64_t node, uint64_t index);
void sim_cluster_check_removals(struct sim_run *run, struct sim_node *applier);

/* ---- network (sim_net.c) ---- */

void sim_net_send(struct sim_run *run, struct sim_node *from, const struct raft_msg *m);
void sim_net_deliver(struct sim_run *run, struct sim_packet *pkt);
void sim_packet_free(struct sim_packet *pkt);
void sim_net_heal(struct sim_run *run);
void sim_net_partition(struct sim_run *run);
void sim_net_isolate(struct sim_run *run, uint64_t id);

/* ---- node driver (sim_node.c) ---- */

void sim_node_create(struct sim_run *run, uint64_t id, const struct raft_conf *bootstrap);
void sim_node_start(struct sim_run *run, struct sim_node *n);
void sim_node_crash(struct sim_run *run, struct sim_node *n);
void sim_node_free(struct sim_node *n);
/* After any input to the core: notice role/term/commit changes, handle readies. */
void sim_node_after_input(struct sim_run *run, struct sim_node *n);
void sim_node_sync_done(struct sim_run *run, struct sim_node *n);
void sim_node_step(struct sim_run *run, struct sim_node *n, const struct sim_packet *pkt);
void sim_node_propose(struct sim_run *run, struct sim_node *n, bool marker);
void sim_node_read(struct sim_run *run, struct sim_node *n);

/* ---- checks (sim_check.c) ---- */

void sim_check_init(struct sim_check *c);
void sim_check_free(struct sim_check *c);
/* Log matching: (index, term) must always carry the same chain. */
void sim_check_chain(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                     uint64_t chain);
/* An entry node considers committed. */
void sim_check_committed(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                         uint64_t chain);
/* An entry node applied. */
void sim_check_applied(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                       uint64_t chain);
void sim_check_leader(struct sim_run *run, uint64_t node, uint64_t term);
void sim_check_vote(struct sim_run *run, uint64_t voter, uint64_t term, uint64_t candidate);
/* Chain of the committed entry at index, if known. */
bool sim_check_committed_at(const struct sim_check *c, uint64_t index, uint64_t *chain);

#endif
