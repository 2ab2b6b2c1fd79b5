/* The router: key -> bucket -> replicaset -> group, from a cache of the
 * governor's bucket map, versioned so a stale route is noticed and retried.
 * It also knows every replicaset's members, so a node that is not in a
 * replicaset can hand a request to one that is. */
#ifndef CAIRN_CLUSTER_ROUTER_H
#define CAIRN_CLUSTER_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "store/store.h"

#define ROUTER_RS_MAX 256 /* replicasets the cache holds */
#define ROUTER_RS_MEMBERS_MAX 7

/* Group ids: the governor is group 1; replicaset r is group r + 1. */
#define ROUTER_GOVERNOR_GROUP 1
#define ROUTER_RS_GROUP(rs) ((uint64_t)(rs) + 1)
#define ROUTER_GROUP_RS(g) ((uint32_t)((g)-1))

struct router_rs {
    uint32_t id;
    int state; /* enum cluster_rs_state */
    uint32_t n_members;
    uint64_t members[ROUTER_RS_MEMBERS_MAX];
    uint32_t buckets;
};

struct router {
    uint32_t bucket_count; /* 0 until the governor's settings are known */
    uint32_t *owners;      /* bucket -> replicaset (0: none yet) */
    uint64_t map_version;
    struct router_rs rs[ROUTER_RS_MAX];
    uint32_t n_rs;
    uint64_t refreshes;    /* for metrics */
    uint64_t retries;      /* stale routes retried, for metrics */
};

void router_init(struct router *r);
void router_free(struct router *r);
/* Reloads the cache from the governor's store (only what changed). */
int router_refresh(struct router *r, struct store *governor, struct errbuf *eb);
/* The bucket of key; the replicaset that owns it (0 if none does yet). */
uint32_t router_bucket(const struct router *r, const void *key, size_t len);
uint32_t router_owner(const struct router *r, uint32_t bucket);
/* A member of replicaset rs to ask, rotating with attempt (RAFT_NONE if it
 * has none). */
uint64_t router_pick_member(const struct router *r, uint32_t rs, uint32_t attempt);
const struct router_rs *router_rs_get(const struct router *r, uint32_t rs);

#endif
