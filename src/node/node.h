/* A Cairn node: the process behind `cairn run`. It owns the event loop, the
 * data directory (identity, WAL, stores), the peer transport, the HTTP API
 * and the replicated group, and runs the membership reconciler while it
 * leads. Writes arriving anywhere are forwarded to the leader; reads are
 * linearizable through ReadIndex on whichever node they reach. */
#ifndef CAIRN_NODE_H
#define CAIRN_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "node/config.h"
#include "node/group.h"
#include "net/net.h"
#include "node/metrics.h"
#include "proto/http/http.h"

#define NODE_GOVERNOR_GROUP 1          /* the cluster-wide group: the catalog */
#define NODE_GROUPS_MAX 64             /* groups one node takes part in */
#define NODE_WRITE_TIMEOUT_MS 10000    /* a write's deadline, forwarding included */
#define NODE_READ_TIMEOUT_MS 5000
#define NODE_RPC_TIMEOUT_MS 5000
#define NODE_RETRY_MS 50               /* wait before retrying when there is no leader */
#define NODE_SHUTDOWN_GRACE_MS 5000    /* SIGTERM: time for in-flight requests */
/* The governor marks a node offline once its peer link has been down this long (and
 * replaces it if it was a voter); online again as soon as the link is back. */
#define NODE_OFFLINE_AFTER_MS 8000
#define NODE_VOTERS_MAX 5

/* RPC methods on the peer port. */
enum node_rpc_method {
    NODE_RPC_FORWARD = 1, /* a follower's write, proposed by the leader */
    NODE_RPC_JOIN = 2,    /* a new node asks to be registered */
    NODE_RPC_EXPELLED = 3, /* tells a node it was expelled */
    NODE_RPC_CLUSTER_ID = 4, /* which cluster are you in? (answered to anyone) */
    NODE_RPC_KV_GET = 5,    /* read one key in a replicaset this node is in */
    NODE_RPC_KV_LIST = 6,   /* list keys of one replicaset */
    NODE_RPC_BUCKET_READ = 7, /* a bucket's rows, keys or version floor, for a move */
    NODE_RPC_SQL_RUN = 8,     /* SQL statements read or tried in a group this node is in */
    NODE_RPC_SQL_CANCEL = 9,  /* stop a read the caller asked for with SQL_RUN (cancelled) */
};

enum node_state { NODE_STARTING, NODE_UP, NODE_STOPPING };

struct node;

/* Runs a node until SIGTERM/SIGINT (exit code 0) or a fatal error (1). */
int node_run(const struct node_config *cfg);

/* For the HTTP API (src/node/api.c). */

/* The outcome of a write wherever it was proposed: err 0 and the store's
 * result, or ERR_TIMEOUT (outcome unknown), ERR_UNAVAILABLE (no leader came
 * forward in time), ERR_SHUTDOWN. */
typedef void (*node_write_fn)(void *arg, int err, const struct store_result *res);
void node_write(struct node *n, uint64_t group, const void *cmd, size_t len, node_write_fn fn,
                void *arg);
/* A kv command: routed by key to its replicaset on every try, so a write
 * that meets a moved bucket is sent again to the new owner. */
void node_write_kv(struct node *n, const void *key, size_t key_len, const void *cmd, size_t len,
                   node_write_fn fn, void *arg);
/* For a group this node is in: waits for a linearizable read point (or not,
 * if stale), then fn(arg, 0); ERR_NOTFOUND if not a member. */
void node_read(struct node *n, uint64_t group, bool stale, group_read_fn fn, void *arg);
/* The group of the replicaset that owns key's bucket; 0 while none does. */
uint64_t node_kv_group(struct node *n, const void *key, size_t len);
/* Reads a key wherever its replicaset is (locally, or through a member):
 * err 0 with value and version, ERR_NOTFOUND, ERR_UNAVAILABLE, ERR_TIMEOUT. */
typedef void (*shard_get_fn)(void *arg, int err, const uint8_t *value, size_t len,
                             uint64_t version);
void shard_kv_get(struct node *n, const void *key, size_t len, bool stale, shard_get_fn fn,
                  void *arg);
/* Lists keys across every replicaset, merged in key order. items live during
 * the callback only. */
struct kv_list_req;
struct kv_item;
typedef void (*shard_list_fn)(void *arg, int err, const struct kv_item *items, uint32_t n,
                              bool more);
void shard_kv_list(struct node *n, const struct kv_list_req *req, bool stale, shard_list_fn fn,
                   void *arg);
/* net_rpc_call on this node's transport. */
int node_rpc_call(struct node *n, uint64_t to, uint16_t method, const void *payload, size_t len,
                  uint32_t timeout_ms, net_rpc_cb cb, void *ctx);
/* A group this node is in, or NULL. */
struct group *node_find_group(struct node *n, uint64_t id);
/* Proposes that a node be expelled. */
void node_expel(struct node *n, uint64_t id, node_write_fn fn, void *arg);

uv_loop_t *node_loop(struct node *n);
struct store *node_store(struct node *n);
struct group *node_group(struct node *n);
enum node_state node_state(const struct node *n);
uint64_t node_id(const struct node *n);
/* This node's view of its connection to a peer (UP, DOWN or UNKNOWN). */
enum net_peer_state node_peer_state(const struct node *n, uint64_t id);
const char *node_name(const struct node *n);
const char *node_cluster_hex(const struct node *n);
/* Appends the node's own Prometheus metrics (Raft, WAL, transport). */
void node_write_metrics(struct node *n, struct buf *out);

#endif
