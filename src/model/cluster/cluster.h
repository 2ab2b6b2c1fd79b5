/* The cluster catalog model: the registry of nodes (id, name, addresses,
 * zone, state), replicated through Raft like any data so every node can read
 * it locally. Node ids are assigned deterministically at apply (the highest
 * id so far plus one); an expelled node's id is never reused. */
#ifndef CAIRN_MODEL_CLUSTER_H
#define CAIRN_MODEL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

#define CLUSTER_NAME_BYTES_MAX 63
#define CLUSTER_ADDR_BYTES_MAX 255

enum cluster_node_state {
    CLUSTER_NODE_ACTIVE = 1,
    CLUSTER_NODE_EXPELLED = 2,
};

struct cluster_node {
    uint64_t id;
    char name[CLUSTER_NAME_BYTES_MAX + 1];
    char peer_addr[CLUSTER_ADDR_BYTES_MAX + 1];
    char http_addr[CLUSTER_ADDR_BYTES_MAX + 1];
    char zone[CLUSTER_NAME_BYTES_MAX + 1];
    int state; /* enum cluster_node_state */
};

/* JOIN: registers a node, or updates an active node's addresses when id is
 * given. id 0 assigns the next free id; the result's `version` is the id.
 * A failed condition (res.status ERR_CONDITION): the name belongs to another
 * active node, or id names an expelled or unknown node. */
int cluster_encode_join(struct buf *out, const struct cluster_node *n, struct errbuf *eb);
/* EXPEL: marks the node expelled for good. ERR_CONDITION if unknown. */
int cluster_encode_expel(struct buf *out, uint64_t id);

/* Reads (on any connection of the group's store). */
typedef int (*cluster_node_fn)(void *ctx, const struct cluster_node *n);
int cluster_nodes(struct store *s, cluster_node_fn fn, void *ctx, struct errbuf *eb);
/* ERR_NOTFOUND if no node has that id. */
int cluster_node_get(struct store *s, uint64_t id, struct cluster_node *out, struct errbuf *eb);
/* By name among active nodes, or by decimal id. ERR_NOTFOUND. */
int cluster_node_find(struct store *s, const char *name_or_id, struct cluster_node *out,
                      struct errbuf *eb);

const char *cluster_node_state_name(int state);

#endif
