/* One replicated group on this node: its Raft core, its log in the node's
 * WAL, its state store, and the requests waiting on it. Drives the core's
 * ready loop on the event-loop thread:
 *
 *   ready -> send msgs -> append to WAL -> group commit (worker thread)
 *         -> send msgs_after_persist -> apply committed entries to the store
 *         -> answer waiting writes and reads -> advance
 *
 * Snapshots stream the store in checksummed chunks from a consistent point
 * (the leader pushes, the follower restores into a staging file and steps
 * the Raft snapshot message only once all data has arrived). */
#ifndef CAIRN_NODE_GROUP_H
#define CAIRN_NODE_GROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"
#include "net/net.h"
#include "node/flusher.h"
#include "raft/raft.h"
#include "store/store.h"
#include "wal/wal.h"

#define GROUP_WAITERS_MAX 65536        /* writes waiting for their entry to apply */
#define GROUP_ENTRY_BYTES_MAX (5u << 20) /* one command: a model's largest (4 MiB) and slack */
#define GROUP_READS_MAX 16384          /* reads waiting for a read index */
#define GROUP_SNAPSHOT_CHUNK_BYTES (1u << 20)
#define GROUP_SNAPSHOT_CHUNK_TIMEOUT_MS 10000
#define GROUP_COMPACT_ENTRIES 20000    /* compact the log once this many entries are applied */
#define GROUP_COMPACT_KEEP_ENTRIES 5000 /* entries kept for followers slightly behind */

/* The outcome of a write: err 0 with the store's result, or ERR_TIMEOUT,
 * ERR_NOTLEADER (lost leadership: the entry was overwritten), ERR_SHUTDOWN. */
typedef void (*group_write_fn)(void *arg, int err, const struct store_result *res);
/* A linearizable read may now be served from the local store (err 0), or it
 * failed: ERR_TIMEOUT, ERR_UNAVAILABLE (no leader), ERR_SHUTDOWN. */
typedef void (*group_read_fn)(void *arg, int err);

struct group;

/* Hooks into the node. */
struct group_hooks {
    void *ctx;
    /* A NORMAL entry was applied (every replica calls this in log order). */
    void (*on_applied)(void *ctx, struct group *g, const struct raft_entry *e,
                       const struct store_result *res);
    /* Leadership or membership changed. */
    void (*on_state)(void *ctx, struct group *g);
    /* A fatal storage failure: the node must stop. */
    void (*on_fatal)(void *ctx, struct group *g, int err, const char *msg);
};

struct group_config {
    uint64_t group_id;
    uint64_t node_id;
    const char *dir;            /* the group's directory (store.db lives here) */
    uint64_t cluster_id;        /* recorded in the store */
    uint32_t bucket_count;
    unsigned election_ticks;
    unsigned heartbeat_ticks;
    bool lease_reads; /* raft_config.lease_reads */
    uint32_t tick_ms;
    bool bootstrap;             /* first start of the cluster's first node */
};

/* Opens the group from the WAL and its store (creating both on bootstrap or
 * join). Returns 0 or an error with the reason in eb. */
int group_open(uv_loop_t *loop, const struct group_config *cfg, struct wal *wal,
               struct flusher *flusher, struct net_transport *net,
               const struct group_hooks *hooks, struct group **out, struct errbuf *eb);
/* Fails everything waiting with ERR_SHUTDOWN and frees the group once no work
 * is in flight; done fires then. */
void group_close(struct group *g, void (*done)(void *arg), void *arg);

/* Inputs from the node. */
void group_tick(struct group *g);
void group_step(struct group *g, const struct raft_msg *m);
void group_snapshot_chunk(struct group *g, uint64_t from, struct net_responder *r,
                          const struct net_snapshot_chunk *c);
void group_peer_unreachable(struct group *g, uint64_t node);

/* Proposes an encoded command (first byte: the model tag). ERR_NOTLEADER (the
 * caller forwards to group_leader), ERR_BUSY, ERR_TOOBIG; otherwise fn fires
 * exactly once, later. */
int group_propose(struct group *g, const void *cmd, size_t len, uint32_t timeout_ms,
                  group_write_fn fn, void *arg);
/* Proposes a membership change; same contract (res is NULL in fn). */
int group_propose_conf(struct group *g, const struct raft_conf_change *cc, uint32_t timeout_ms,
                       group_write_fn fn, void *arg);
/* Waits until this replica has applied everything committed before now, as
 * confirmed by the leader (ReadIndex); fn fires exactly once, later. ERR_BUSY. */
int group_read(struct group *g, uint32_t timeout_ms, group_read_fn fn, void *arg);
/* Hands leadership to another voter (on shutdown). */
int group_transfer_leader(struct group *g, uint64_t to);

/* A read-only connection to the group's store for a read on another thread (node/readers.h):
 * an idle one, or a new one. Hand it back with group_read_conn_give and the serial, on the loop
 * thread, once the read is over — to the group found again by id, or NULL if it is gone: a
 * reader of a store since replaced, or of a closed group, is closed rather than kept.
 * ERR_UNAVAILABLE while the group has no store (closing, failed). */
int group_read_conn_take(struct group *g, struct store **out, uint64_t *serial, struct errbuf *eb);
void group_read_conn_give(struct group *g, struct store *r, uint64_t serial);

/* State. */
struct store *group_store(struct group *g);
uint64_t group_leader(const struct group *g);
bool group_is_leader(const struct group *g);
void group_status(const struct group *g, struct raft_status *st);
uint64_t group_id(const struct group *g);
/* How far a member's log is, as the leader knows it; 0 if unknown. */
uint64_t group_leader_changes(const struct group *g);
uint64_t group_proposals(const struct group *g);

#endif
