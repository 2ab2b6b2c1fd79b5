/* The route cache, refreshed from the governor's catalog. */
#include "cluster/router.h"

#include <stdlib.h>
#include <string.h>

#include "model/cluster/cluster.h"
#include "model/kv/kv.h"
#include "raft/raft.h"

void router_init(struct router *r)
{
    memset(r, 0, sizeof *r);
}

void router_free(struct router *r)
{
    free(r->owners);
    memset(r, 0, sizeof *r);
}

static int router_collect_rs(void *ctx, const struct cluster_replicaset *rs)
{
    struct router *r = ctx;
    if (r->n_rs == ROUTER_RS_MAX)
        return 0;
    struct router_rs *out = &r->rs[r->n_rs++];
    out->id = rs->id;
    out->state = rs->state;
    out->buckets = rs->buckets;
    out->n_members = rs->n_members < ROUTER_RS_MEMBERS_MAX ? rs->n_members : ROUTER_RS_MEMBERS_MAX;
    memcpy(out->members, rs->members, out->n_members * sizeof out->members[0]);
    return 0;
}

int router_refresh(struct router *r, struct store *governor, struct errbuf *eb)
{
    uint32_t rf, count;
    int rc = cluster_settings(governor, &rf, &count, eb);
    if (rc == ERR_NOTFOUND)
        return 0; /* not initialised yet */
    if (rc != 0)
        return rc;
    if (count != r->bucket_count) {
        uint32_t *owners = calloc(count, sizeof *owners);
        if (owners == NULL)
            return ERR_NOMEM;
        free(r->owners);
        r->owners = owners;
        r->bucket_count = count;
        r->map_version = UINT64_MAX; /* force the map in */
    }
    uint64_t version;
    rc = cluster_map_version(governor, &version, eb);
    if (rc != 0)
        return rc;
    if (version != r->map_version) {
        rc = cluster_bucket_owners(governor, r->owners, r->bucket_count, &version, eb);
        if (rc != 0)
            return rc;
        r->map_version = version;
    }
    r->n_rs = 0;
    rc = cluster_replicasets(governor, router_collect_rs, r, eb);
    r->refreshes++;
    return rc;
}

uint32_t router_bucket(const struct router *r, const void *key, size_t len)
{
    return r->bucket_count ? kv_bucket(key, len, r->bucket_count) : 0;
}

uint32_t router_owner(const struct router *r, uint32_t bucket)
{
    return bucket < r->bucket_count ? r->owners[bucket] : 0;
}

const struct router_rs *router_rs_get(const struct router *r, uint32_t rs)
{
    for (uint32_t i = 0; i < r->n_rs; i++)
        if (r->rs[i].id == rs)
            return &r->rs[i];
    return NULL;
}

uint64_t router_pick_member(const struct router *r, uint32_t rs, uint32_t attempt)
{
    const struct router_rs *s = router_rs_get(r, rs);
    if (s == NULL || s->n_members == 0)
        return RAFT_NONE;
    return s->members[attempt % s->n_members];
}
