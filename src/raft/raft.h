/* The Raft core: a pure state machine for one replicated group. It does no I/O,
 * reads no clock, starts no threads and uses no randomness but its own seeded
 * PRNG. A driver (the node runtime, or the simulator) feeds it messages, ticks
 * and proposals, and drains a ready batch of work:
 *
 *     raft_step / raft_tick / raft_propose / raft_read_index ...
 *     if (raft_has_ready(r)) {
 *         raft_ready(r, &rd);
 *         send rd.msgs                      (may go out at once)
 *         persist rd.entries, rd.hard_state (and install rd.snapshot if set)
 *         sync
 *         send rd.msgs_after_persist        (only now: they promise durability)
 *         apply rd.committed, serve rd.reads once applied >= read.index
 *         raft_advance(r, &rd);
 *     }
 *
 * The core never assumes anything is durable until raft_advance says so. Only
 * one ready may be outstanding; every pointer in it stays valid until
 * raft_advance.
 *
 * Membership changes are one server at a time (add voter, add learner, promote
 * learner, remove), not joint consensus: any two configurations that differ by
 * one voter have overlapping majorities, so it is safe with a single change in
 * flight, and it is all Cairn needs (the governor moves one node at a time). A
 * change takes effect when its entry is applied (raft_advance past it). The
 * known flaw of single-server changes across leader changes (Ongaro, raft-dev
 * 2015) is closed the standard way: a leader accepts no change until it has
 * applied an entry of its own term, and only one change may be unapplied.
 *
 * Errors: functions return 0 or a negative ERR_* code from base/err.h. */
#ifndef CAIRN_RAFT_H
#define CAIRN_RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds. */
#define RAFT_MEMBERS_MAX 64              /* voters + learners in one group */
#define RAFT_VOTERS_MAX 9                /* voters in one group */
#define RAFT_READS_PENDING_MAX 4096      /* queued ReadIndex requests */
#define RAFT_MSG_ENTRIES_MAX 512         /* entries in one append message */

/* Node id 0 means "none". */
#define RAFT_NONE 0

enum raft_role { RAFT_FOLLOWER, RAFT_PRE_CANDIDATE, RAFT_CANDIDATE, RAFT_LEADER };

enum raft_entry_type {
    RAFT_ENTRY_NORMAL = 0, /* application command */
    RAFT_ENTRY_NOOP = 1,   /* appended by a new leader; data is empty */
    RAFT_ENTRY_CONF = 2,   /* membership change: data from raft_conf_change_encode */
};

struct raft_entry {
    uint64_t term;
    uint64_t index;
    uint8_t type;     /* enum raft_entry_type */
    uint32_t len;
    uint8_t *data;    /* len bytes; ownership: see the function that hands it out */
};

/* What must survive a crash, besides the log. */
struct raft_hard_state {
    uint64_t term;
    uint64_t vote;    /* RAFT_NONE if no vote in this term */
    uint64_t commit;  /* a hint only: persisting it is optional */
};

struct raft_conf {
    uint32_t n_voters;
    uint32_t n_learners;
    uint64_t voters[RAFT_VOTERS_MAX];
    uint64_t learners[RAFT_MEMBERS_MAX];
};

enum raft_conf_op {
    RAFT_CONF_ADD_VOTER = 1,   /* new node as voter, or promote a learner */
    RAFT_CONF_ADD_LEARNER = 2, /* new node as non-voting learner */
    RAFT_CONF_REMOVE = 3,      /* remove a voter or learner, the leader included */
};

struct raft_conf_change {
    uint8_t op;       /* enum raft_conf_op */
    uint64_t node;
};

/* Metadata of a snapshot: the state machine as of index (whose entry had
 * term), with configuration conf. The data itself never passes through the
 * core: the application streams it out of band. */
struct raft_snapshot_meta {
    uint64_t index;
    uint64_t term;
    struct raft_conf conf;
};

enum raft_msg_type {
    RAFT_MSG_APPEND = 1,       /* index/log_term: the entry before entries[] */
    RAFT_MSG_APPEND_RESP,      /* index: last matching index, or the rejected index */
    RAFT_MSG_VOTE,             /* index/log_term: the candidate's last entry */
    RAFT_MSG_VOTE_RESP,
    RAFT_MSG_PRE_VOTE,         /* term is the term the candidate would campaign in */
    RAFT_MSG_PRE_VOTE_RESP,
    RAFT_MSG_HEARTBEAT,        /* commit, ctx: read-index round */
    RAFT_MSG_HEARTBEAT_RESP,   /* ctx echoed */
    RAFT_MSG_SNAPSHOT,         /* snap: metadata; the data went out of band first */
    RAFT_MSG_TIMEOUT_NOW,      /* leadership transfer: campaign at once */
    RAFT_MSG_READ_INDEX,       /* follower -> leader: ctx is the request id */
    RAFT_MSG_READ_INDEX_RESP,  /* leader -> follower: index to wait for; reject if failed */
};

struct raft_msg {
    uint8_t type;          /* enum raft_msg_type */
    bool reject;
    bool transfer;         /* VOTE caused by leadership transfer: ignore leases */
    uint64_t from, to;
    uint64_t term;
    uint64_t log_term;
    uint64_t index;
    uint64_t commit;
    uint64_t ctx;
    uint64_t reject_hint;      /* APPEND_RESP reject: follower's hint index */
    uint64_t reject_hint_term; /* APPEND_RESP reject: term at the hint index (0 if none) */
    uint32_t n_entries;
    struct raft_entry *entries;
    struct raft_snapshot_meta snap; /* SNAPSHOT only */
};

/* Read-only view of the durable log, supplied by the driver. Entries the core
 * has handed out in a ready become visible here once the driver persisted
 * them (before raft_advance). The storage holds a snapshot at first_index-1
 * (index 0, term 0 for an empty one). */
struct raft_storage {
    void *ctx;
    /* Index of the first entry still in the log (snapshot index + 1). */
    uint64_t (*first_index)(void *ctx);
    /* Index of the last entry (snapshot index if the log is empty). */
    uint64_t (*last_index)(void *ctx);
    /* Term of the entry at index, for first_index-1 <= index <= last_index.
     * Returns ERR_COMPACTED below that range, ERR_UNAVAILABLE above. */
    int (*term)(void *ctx, uint64_t index, uint64_t *term);
    /* Entries [lo, hi) into out (room for hi-lo), stopping early once
     * max_bytes of data is reached (always at least one entry). *n is set to the
     * count. Data pointers stay valid until the next raft_advance (the driver
     * must not compact or overwrite them before then). Returns ERR_COMPACTED
     * if lo < first_index. */
    int (*entries)(void *ctx, uint64_t lo, uint64_t hi, uint64_t max_bytes, struct raft_entry *out,
                   uint32_t *n);
    /* Metadata of the latest snapshot the driver can send. */
    int (*snapshot)(void *ctx, struct raft_snapshot_meta *meta);
};

/* Deliberate bugs, for proving that the simulator's checks can fail. */
enum raft_break {
    RAFT_BREAK_COMMIT_RULE = 1 << 0,      /* commit earlier-term entries by counting replicas */
    RAFT_BREAK_VOTE_PERSISTENCE = 1 << 1, /* send vote replies before the vote is durable */
    RAFT_BREAK_READ_INDEX = 1 << 2,       /* serve reads without confirming leadership */
};

struct raft_config {
    uint64_t id;                      /* this replica, != RAFT_NONE */
    unsigned election_ticks;          /* election timeout is random in [e, 2e) ticks */
    unsigned heartbeat_ticks;         /* < election_ticks */
    bool pre_vote;
    bool check_quorum;                /* leader steps down without a quorum's contact */
    bool lease_reads;                 /* serve ReadIndex from the leader lease (needs check_quorum) */
    uint64_t max_msg_bytes;           /* entry bytes in one append message */
    uint32_t max_inflight_msgs;       /* pipelined appends per follower */
    uint64_t max_inflight_bytes;      /* pipelined entry bytes per follower */
    uint64_t max_uncommitted_bytes;   /* leader refuses proposals past this (ERR_BUSY) */
    uint64_t learner_catchup_entries; /* promote only learners within this of the leader */
    uint64_t seed;                    /* for randomized election timeouts */
    unsigned breaks;                  /* enum raft_break bits; 0 outside tests */
};

/* Sets defaults: 10/1 ticks, pre-vote, check-quorum, 1 MiB messages, 256 in
 * flight / 8 MiB in flight, 64 MiB uncommitted, 1000 catch-up entries. */
void raft_config_default(struct raft_config *c, uint64_t id);

/* Read state: serve a read with ctx once applied >= index. */
struct raft_read {
    uint64_t ctx;
    uint64_t index;
};

struct raft_ready {
    bool has_hard_state;
    struct raft_hard_state hard_state;  /* persist if has_hard_state */
    uint32_t n_entries;
    struct raft_entry *entries;         /* append after truncating the log past entries[0].index-1 */
    bool has_snapshot;
    struct raft_snapshot_meta snapshot; /* install: the data has arrived out of band */
    uint32_t n_msgs;
    struct raft_msg *msgs;              /* send now */
    uint32_t n_msgs_after_persist;
    struct raft_msg *msgs_after_persist; /* send only after entries, hard state, snapshot are durable */
    uint32_t n_committed;
    struct raft_entry *committed;       /* apply in order */
    uint32_t n_reads;
    struct raft_read *reads;
    /* Read requests that failed (leadership lost, dropped): answer "retry". */
    uint32_t n_reads_failed;
    uint64_t *reads_failed;
};

/* What the driver knows about a replica at a glance. */
struct raft_status {
    uint64_t id;
    enum raft_role role;
    uint64_t term;
    uint64_t vote;
    uint64_t leader;
    uint64_t commit;
    uint64_t applied;
    uint64_t last_index;
    uint64_t transferee;  /* leadership transfer target, or RAFT_NONE */
    struct raft_conf conf;
};

struct raft;

/* Creates a replica from its persisted state: hard state hs (zeros for a new
 * one) and the storage, which holds the snapshot metadata and the log. applied
 * is the application's applied index, at least the snapshot index: committed
 * entries after it are handed out again, and membership changes between the
 * snapshot and applied are replayed from the log.
 *
 * Bootstrap: every initial voter starts with a storage whose snapshot is
 * {index RAFT_BOOTSTRAP_INDEX, term RAFT_BOOTSTRAP_TERM, conf = the voters}
 * and an empty log. A node that joins later starts with an empty storage
 * (snapshot index 0, empty conf); since every leader's log starts after the
 * bootstrap snapshot, the joiner is always sent a snapshot first and learns
 * the configuration from it. Returns 0, ERR_NOMEM, ERR_INVAL, ERR_CORRUPT. */
#define RAFT_BOOTSTRAP_INDEX 1
#define RAFT_BOOTSTRAP_TERM 1
int raft_create(const struct raft_config *cfg, const struct raft_storage *st,
                const struct raft_hard_state *hs, uint64_t applied, struct raft **out);
/* Frees r. A ready still outstanding belongs to the driver: call
 * raft_advance on it first (it frees what the ready points to). */
void raft_destroy(struct raft *r);

/* Inputs. */
/* Copies what it keeps. ERR_INVAL for a message that is not well formed or not
 * for us (ignored); ERR_CORRUPT if it contradicts committed state, which means
 * a safety invariant is broken somewhere (the message is ignored; a node
 * should stop, the simulator reports a violation). */
int raft_step(struct raft *r, const struct raft_msg *m);
void raft_tick(struct raft *r);
/* Appends a command (copied). ERR_NOTLEADER, ERR_BUSY (too much uncommitted or
 * a leadership transfer in progress), ERR_TOOBIG. On success *index is where it
 * will be committed, if it is. */
int raft_propose(struct raft *r, const void *data, uint32_t len, uint64_t *index);
/* Proposes a membership change. ERR_NOTLEADER; ERR_CONFLICT if a change is
 * still unapplied or the leader has not yet applied an entry of its term;
 * ERR_INVAL for a change that makes no sense (removing a non-member, exceeding
 * RAFT_VOTERS_MAX, removing the last voter); ERR_AGAIN if a learner to promote
 * has not caught up. */
int raft_propose_conf(struct raft *r, const struct raft_conf_change *cc, uint64_t *index);
/* Requests a linearizable read point; the answer comes in a later ready's
 * reads (or reads_failed) with this ctx. Works on followers too (forwarded). */
int raft_read_index(struct raft *r, uint64_t ctx);
/* Starts a leadership transfer to node to. ERR_NOTLEADER, ERR_INVAL. */
int raft_transfer_leader(struct raft *r, uint64_t to);
/* Campaigns now (tests and single-node start-up). */
void raft_campaign(struct raft *r);
/* The driver could not deliver a snapshot to node: the leader probes again. */
void raft_report_snapshot(struct raft *r, uint64_t node, bool ok);
/* A peer is unreachable: stop pipelining to it until it answers. */
void raft_report_unreachable(struct raft *r, uint64_t node);

/* Outputs. */
bool raft_has_ready(const struct raft *r);
/* Fills rd. Must be followed by raft_advance(r, rd) before the next call. */
void raft_ready(struct raft *r, struct raft_ready *rd);
/* rd's entries, hard state and snapshot are durable and its committed entries
 * applied. Frees everything rd pointed to. */
void raft_advance(struct raft *r, struct raft_ready *rd);

void raft_status(const struct raft *r, struct raft_status *st);
/* Snapshot metadata for the applied state: index = applied, with its term and
 * the configuration in force. For the driver's snapshotting. ERR_COMPACTED
 * while a snapshot received from the leader is not installed yet. */
int raft_snapshot_meta(const struct raft *r, struct raft_snapshot_meta *meta);

/* Helpers. */
const char *raft_role_name(enum raft_role role);
const char *raft_msg_type_name(int type);
bool raft_conf_is_voter(const struct raft_conf *c, uint64_t id);
bool raft_conf_is_learner(const struct raft_conf *c, uint64_t id);
/* Applies cc to c. ERR_INVAL if it does not apply. */
int raft_conf_apply(struct raft_conf *c, const struct raft_conf_change *cc);
#define RAFT_CONF_CHANGE_ENCODED_LEN 9
void raft_conf_change_encode(const struct raft_conf_change *cc, uint8_t out[RAFT_CONF_CHANGE_ENCODED_LEN]);
int raft_conf_change_decode(const uint8_t *p, uint32_t len, struct raft_conf_change *cc);

#endif
