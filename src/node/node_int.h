/* The node's internals, shared by node.c (lifecycle, RPCs, membership) and
 * shard.c (replicaset groups, routing, bucket moves). Not for other modules. */
#ifndef CAIRN_NODE_INT_H
#define CAIRN_NODE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "cluster/router.h"
#include "node/flusher.h"
#include "node/identity.h"
#include "node/node.h"
#include "wal/wal.h"

#define NODE_JOIN_TIMEOUT_MS 60000
#define NODE_CATALOG_REFRESH_TICKS 20
#define NODE_EXPEL_NOTICES_MAX 20
#define NODE_RESULT_BYTES 25

/* A write on its way to the leader, possibly through retries. */
struct node_write_op {
    struct node *n;
    uint32_t attempt;
    uint64_t leader_hint; /* a non-member's best guess at the group's leader */
    struct buf key;       /* for kv writes: routed again on every try */
    uint64_t group;
    struct buf cmd; /* [group u64][command]: the FORWARD payload */
    size_t cmd_off; /* where the command starts */
    uint64_t deadline_ms;
    node_write_fn fn;
    void *arg;
    struct node_write_op *next_retry;
};

struct node_peer_addr {
    uint64_t id;
    char addr[NODE_ADDR_LEN_MAX + 1];
};

#define NODE_PEERS_MAX 256

struct node_expel_notice {
    uint64_t id;
    uint32_t sent;
    uint64_t next_ms;
};

struct node {
    uv_loop_t loop;
    struct node_config cfg;
    struct node_identity ident;
    char cluster_hex[33];
    char wal_dir[NODE_PATH_LEN_MAX + 16];
    char group_dir[NODE_PATH_LEN_MAX + 16];
    bool bootstrap;
    enum node_state state;
    bool ever_had_leader;
    int exit_code;

    struct wal *wal;
    struct flusher flusher;
    struct metrics_hist wal_sync_seconds;
    struct net_transport *net;
    struct http_server *http;
    struct api *api;
    struct sql_exec *sql; /* the PostgreSQL protocol (sql_exec.c); NULL until wired in */
    struct group *group; /* the governor (group 1): the catalog every node replicates */
    struct group *groups[NODE_GROUPS_MAX]; /* every group here, the governor first */
    uint32_t n_groups;
    uint32_t groups_closing;
    /* Chooses a member of a group we are not in (the router knows them). */
    uint64_t (*pick_member)(void *ctx, uint64_t group, uint32_t attempt);
    void *pick_ctx;

    uv_timer_t tick;
    uv_timer_t retry_timer;
    uv_signal_t sigterm, sigint;
    struct node_write_op *retry_head;

    /* Where each peer is, as last told to the transport. */
    struct node_peer_addr peers[NODE_PEERS_MAX];
    uint32_t n_peers;

    /* Expelled nodes, from the registry: their messages are dropped and
     * they are told, in case they missed it while down. */
    uint64_t expelled[NODE_PEERS_MAX];
    uint32_t n_expelled;

    /* Liveness, on the governor leader: when each node's peer link was last
     * seen up (0: not since this node became leader). */
    struct node_liveness {
        uint64_t id;
        uint64_t last_up_ms;
    } liveness[NODE_PEERS_MAX];
    uint32_t n_liveness;
    bool liveness_inflight;

    /* Reconciler and self-registration. */
    bool conf_inflight;
    bool registering;
    bool registered;
    struct node_expel_notice notices[64];
    uint32_t n_notices;

    /* Join (a new node with --join). */
    struct net_transport *join_net;
    uint32_t join_seed;
    uint32_t n_seeds;
    char seeds[16][NODE_ADDR_LEN_MAX + 1];
    uint64_t join_deadline_ms;
    uv_timer_t join_timer;

    /* Sharding (shard.c). */
    struct router router;
    bool catalog_dirty;
    uint32_t ticks_since_catalog;
    struct shard_state *shard;
    struct mover_state *mover;

    /* Shutdown. */
    uint64_t stop_started_ms;
    bool handing_off; /* a leadership transfer was started on SIGTERM */
    bool closing;
};


/* shard.c */
/* The governor applied a catalog command: refresh routes, open the groups of
 * replicasets this node joined, adopt initially assigned buckets. */
void shard_catalog_changed(struct node *n);
/* Every tick: per-replicaset membership, bucket adoption, and on the
 * governor's leader the rebalancer. */
void shard_tick(struct node *n);
/* Opens the replicaset groups the WAL already holds (restart). */
int shard_open_known_groups(struct node *n, struct errbuf *eb);
/* Handles the shard RPCs; false if method is not one of them. */
bool shard_on_rpc(struct node *n, uint64_t from, struct net_responder *r, uint16_t method,
                  const uint8_t *payload, size_t len);
void shard_free(struct node *n);

/* mover.c */
/* On a replicaset's leader: adopt the buckets the map gives it (the initial
 * assignment), drop the ones a finished move left behind. */
void mover_adopt(struct node *n, struct group *g);
/* On the governor's leader: plan moves and drive them. */
void mover_tick(struct node *n);
/* Serves NODE_RPC_BUCKET_READ; false for another method. */
bool mover_on_rpc(struct node *n, struct net_responder *r, uint16_t method, const uint8_t *payload,
                  size_t len);
void mover_free(struct node *n);
void mover_write_metrics(struct node *n, struct buf *out);
/* sql_gather.c */
void sqlx_gather_write_metrics(struct node *n, struct buf *out);

/* node.c */
int node_open_group(struct node *n, uint64_t id, bool bootstrap, struct group **out,
                    struct errbuf *eb);

#endif
