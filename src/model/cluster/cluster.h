/* The cluster catalog model, the governor's replicated state: the registry of
 * nodes, the settings fixed at bootstrap, replicasets and their members, the
 * bucket map and the bucket moves in progress. Every node holds a replica, so
 * every node reads it locally.
 *
 * Determinism. Apply reads no clock and no randomness: node ids are the highest
 * id so far plus one (an expelled node's id is never reused), replicaset ids
 * likewise, placement is a pure function of the catalog, and a move's
 * `started` is the log index of the MOVE_BEGIN that began it.
 *
 * Commands. Every command is STORE_MODEL_CLUSTER (u8), an op (u8), then its
 * fields, integers little-endian, strings as uvarint length + bytes:
 *
 *   op  command        fields
 *   1   JOIN           u64 id, str name, str peer_addr, str http_addr, str zone
 *   2   EXPEL          u64 id
 *   3   SETTINGS_INIT  u32 replication_factor, u32 bucket_count
 *   4   RS_WEIGHT      u32 rs, u32 weight
 *   5   MOVE_BEGIN     u32 bucket, u32 src, u32 dst
 *   6   MOVE_STATE     u32 bucket, u64 started, u8 state
 *   7   MOVE_FINISH    u32 bucket, u64 started
 *   8   MOVE_ABORT     u32 bucket, u64 started
 *   9   NODE_STATE     u64 id, u8 offline (0 or 1)
 *   10  TABLE_DDL      u64 expect_version, u8 kind, u8 global, str name, str def,
 *                      str rs_sql, str gov_sql, [str new_name: kind RENAME]
 *
 * A command with trailing bytes, or a field outside its bounds (which no
 * encoder here produces), stops apply with ERR_CORRUPT. A refused command is a
 * result (store_result.status ERR_CONDITION) and changes nothing; for the
 * commands after EXPEL, store_result.failed_op then holds the reason (enum
 * cluster_refusal) instead of a batch position.
 *
 * Replicasets. Their ids start at 1 and never come back; states:
 *
 *   FORMING   fewer than rf members so far; owns no bucket.
 *   ACTIVE    reached rf members once; may own buckets and receive moves. It
 *             stays ACTIVE when members are expelled later (degraded) and is
 *             refilled by joins like a FORMING one.
 *   RETIRING  its last member was expelled while it still owned buckets. That
 *             node keeps its membership row (it holds the only copy of the
 *             data) until the rebalancer has moved every bucket away; then the
 *             set becomes RETIRED. Never receives nodes or buckets.
 *   RETIRED   no members, no buckets; kept so its id is not reused.
 *
 * Placement (at JOIN apply, and for every unplaced active node in id order at
 * SETTINGS_INIT): a node with a membership keeps it (re-joins, address
 * updates, zone changes). Otherwise it goes to the FORMING or ACTIVE
 * replicaset with fewer than rf members that has no member in the node's zone
 * — else any such replicaset — lowest id first; if there is none, to a new
 * FORMING replicaset (highest id + 1, weight CLUSTER_WEIGHT_DEFAULT). The
 * empty zone "" is a zone like any other. Reaching rf members makes a FORMING
 * set ACTIVE; if the bucket map is still empty, that same apply assigns every
 * bucket 0..bucket_count-1 to it. Before SETTINGS_INIT nodes are registered
 * but not placed.
 *
 * Bucket map. Every bucket has a row once the first replicaset is ACTIVE. The
 * map version counts changes of ownership (the initial assignment, then one
 * per MOVE_FINISH) and is 0 before the first; a bucket's row carries the map
 * version that last set its owner. Beginning or aborting a move does not
 * change the map.
 *
 * Moves. MOVE_BEGIN creates a move in COPYING. The allowed changes, as driven
 * by the mover on the source's side:
 *
 *   from \ command | MOVE_STATE     | MOVE_STATE     | MOVE_FINISH       | MOVE_ABORT
 *                  | (COPYING)      | (FENCED)       | (the flip)        |
 *   ---------------+----------------+----------------+-------------------+-----------
 *   COPYING        | no-op (retry)  | yes: fence     | refused           | yes
 *   FENCED         | yes: unfence   | no-op (retry)  | yes if dst ACTIVE | yes
 *
 *   COPYING  the destination copies the bucket while writes go on at the source.
 *   FENCED   the source refuses writes to the bucket; the final delta is copied.
 *            Unfencing (back to COPYING) lets writes resume if the delta takes
 *            too long.
 *   FINISH   owner := dst, map version + 1, the move row goes. Only from FENCED,
 *            so no write can land at the source after the last delta. Refused
 *            if dst is no longer ACTIVE (its last member was expelled): abort.
 *   ABORT    the move row goes; the source still owns the bucket and the data.
 *
 * MOVE_STATE, MOVE_FINISH and MOVE_ABORT carry the `started` index MOVE_BEGIN
 * returned: a late command from an older mover cannot act on a newer move of
 * the same bucket (0 skips the check).
 *
 * Errors: encoders return 0, ERR_INVAL (a field outside its bounds) or
 * ERR_NOMEM. Reads return 0, ERR_NOTFOUND where said, or SQLite errors as
 * store_sqlite_err (ERR_IO, ERR_CORRUPT, ERR_NOMEM, ERR_BUSY). Reads work on
 * any connection of the group's store (writer or reader); an iterating read
 * must not be called again from inside its own callback. */
#ifndef CAIRN_MODEL_CLUSTER_H
#define CAIRN_MODEL_CLUSTER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/store.h"

#define CLUSTER_NAME_BYTES_MAX 63
#define CLUSTER_ADDR_BYTES_MAX 255
/* Copies of the data in one replicaset (a Raft group of that many nodes). */
#define CLUSTER_RF_MAX         7
#define CLUSTER_WEIGHT_MAX     1000
#define CLUSTER_WEIGHT_DEFAULT 1

enum cluster_node_state {
    CLUSTER_NODE_ACTIVE = 1,
    CLUSTER_NODE_EXPELLED = 2,
};

enum cluster_rs_state {
    CLUSTER_RS_FORMING = 1,
    CLUSTER_RS_ACTIVE = 2,
    CLUSTER_RS_RETIRING = 3,
    CLUSTER_RS_RETIRED = 4,
};

enum cluster_move_state {
    CLUSTER_MOVE_COPYING = 1,
    CLUSTER_MOVE_FENCED = 2,
};

/* Why a command was refused: store_result.failed_op when status is
 * ERR_CONDITION (commands SETTINGS_INIT and later). Values are stable. */
enum cluster_refusal {
    CLUSTER_REFUSED_BUCKET = 1,     /* the bucket is not in the map (yet) */
    CLUSTER_REFUSED_NOT_OWNER = 2,  /* MOVE_BEGIN: src does not own the bucket */
    CLUSTER_REFUSED_MOVING = 3,     /* MOVE_BEGIN: the bucket is already moving */
    CLUSTER_REFUSED_DST = 4,        /* dst is not ACTIVE, or is src */
    CLUSTER_REFUSED_NO_MOVE = 5,    /* no move of the bucket, or not the one `started` names */
    CLUSTER_REFUSED_TRANSITION = 6, /* MOVE_FINISH before FENCED */
    CLUSTER_REFUSED_REPLICASET = 7, /* RS_WEIGHT: no such replicaset, or it is RETIRED */
    CLUSTER_REFUSED_SCHEMA = 8,       /* TABLE_DDL: planned against another schema version */
    CLUSTER_REFUSED_TABLE_EXISTS = 9, /* TABLE_DDL CREATE, RENAME: the name is taken */
    CLUSTER_REFUSED_NO_TABLE = 10,    /* TABLE_DDL DROP/ALTER: no such table */
};

/* SQL tables (the schema). Every change is one TABLE_DDL: it bumps the schema
 * version (meta "schema_version", 0 before the first), records the table's
 * definition (def: the SQL layer's own text, opaque here), logs rs_sql under
 * the new version for every replicaset to apply in order (the replicasets'
 * reconciler sends it as the table model's SCHEMA), and runs gov_sql in this
 * store at once (tables distributed globally live in the governor). */
#define CLUSTER_DDL_BYTES_MAX (1 << 20)

enum cluster_ddl_kind {
    CLUSTER_DDL_CREATE = 1,
    CLUSTER_DDL_DROP = 2,
    CLUSTER_DDL_ALTER = 3,  /* replaces the definition */
    CLUSTER_DDL_RENAME = 4, /* the table takes new_name and def; its old name is free */
};

struct cluster_table_ddl {
    uint64_t expect_version; /* the schema version it was planned against; 0: any */
    int kind;                /* enum cluster_ddl_kind */
    bool global;
    const char *name, *def, *rs_sql, *gov_sql;
    const char *new_name; /* RENAME */
};

struct cluster_table {
    char name[CLUSTER_NAME_BYTES_MAX + 1];
    char *def; /* malloc'd; the caller of cluster_table_get frees it */
    bool global;
    uint64_t version; /* the schema version that last changed it */
};

struct cluster_node {
    uint64_t id;
    char name[CLUSTER_NAME_BYTES_MAX + 1];
    char peer_addr[CLUSTER_ADDR_BYTES_MAX + 1];
    char http_addr[CLUSTER_ADDR_BYTES_MAX + 1];
    char zone[CLUSTER_NAME_BYTES_MAX + 1];
    int state;    /* enum cluster_node_state */
    bool offline; /* ACTIVE nodes: the governor has not heard from it for a while */
};

struct cluster_replicaset {
    uint32_t id;
    int state; /* enum cluster_rs_state */
    uint32_t weight;
    uint32_t buckets; /* buckets it owns now */
    uint32_t n_members;
    uint64_t members[CLUSTER_RF_MAX]; /* node ids, ascending */
};

struct cluster_move {
    uint32_t bucket;
    uint32_t src, dst;
    int state;        /* enum cluster_move_state */
    uint64_t started; /* log index of its MOVE_BEGIN */
};

/* ---- Commands ---- */

/* JOIN: registers a node, or updates an active node's addresses when id is
 * given, and places it (see above). id 0 assigns the next free id. Result:
 * `version` is the node id, `current_version` its replicaset (0 while
 * SETTINGS_INIT has not been applied). A failed condition (ERR_CONDITION,
 * `current_version` = the node id in the way): the name belongs to another
 * active node, or id names an expelled node. */
int cluster_encode_join(struct buf *out, const struct cluster_node *n, struct errbuf *eb);
/* EXPEL: marks the node expelled for good and takes it out of its replicaset
 * (see RETIRING above). Result: `version` the id, `current_version` the
 * replicaset it was in (0 if none). ERR_CONDITION if unknown or expelled. */
int cluster_encode_expel(struct buf *out, uint64_t id);
/* TABLE_DDL: result `version` = the new schema version; `current_version` =
 * the version before. ERR_CONDITION (failed_op): SCHEMA, TABLE_EXISTS, NO_TABLE. */
int cluster_encode_table_ddl(struct buf *out, const struct cluster_table_ddl *d,
                             struct errbuf *eb);
/* NODE_STATE: the governor leader's verdict on an active node's liveness; a
 * JOIN (the node registering again) clears it too. Result: `version` = id.
 * ERR_CONDITION if unknown or expelled. */
int cluster_encode_node_state(struct buf *out, uint64_t id, bool offline);
/* SETTINGS_INIT: rf in 1..CLUSTER_RF_MAX, bucket_count in
 * 1..STORE_BUCKET_COUNT_MAX (the runtime passes the governor store's
 * store_bucket_count). Only the first one applied counts; later ones change
 * nothing and report `existed`. Result (status 0 both ways): `version` = the
 * recorded rf, `current_version` = the recorded bucket count. */
int cluster_encode_settings_init(struct buf *out, uint32_t rf, uint32_t bucket_count,
                                 struct errbuf *eb);
/* RS_WEIGHT: the replicaset's share of buckets, 0..CLUSTER_WEIGHT_MAX (0
 * drains it). ERR_CONDITION (REPLICASET) if unknown or RETIRED. */
int cluster_encode_rs_weight(struct buf *out, uint32_t rs, uint32_t weight, struct errbuf *eb);
/* MOVE_BEGIN: result `version` = started (the entry's index). ERR_CONDITION:
 * BUCKET, NOT_OWNER (`current_version` = the owner), MOVING, DST. */
int cluster_encode_move_begin(struct buf *out, uint32_t bucket, uint32_t src, uint32_t dst);
/* MOVE_STATE: state is COPYING or FENCED. ERR_CONDITION: NO_MOVE. */
int cluster_encode_move_state(struct buf *out, uint32_t bucket, uint64_t started, int state,
                              struct errbuf *eb);
/* MOVE_FINISH: result `version` = the new map version. ERR_CONDITION:
 * NO_MOVE, TRANSITION (not FENCED), DST (dst no longer ACTIVE). */
int cluster_encode_move_finish(struct buf *out, uint32_t bucket, uint64_t started);
/* MOVE_ABORT: ERR_CONDITION: NO_MOVE. */
int cluster_encode_move_abort(struct buf *out, uint32_t bucket, uint64_t started);

/* ---- Reads ---- */

typedef int (*cluster_node_fn)(void *ctx, const struct cluster_node *n);
/* Every node, expelled ones too, by id. A nonzero return from fn stops the
 * walk and is returned. */
int cluster_nodes(struct store *s, cluster_node_fn fn, void *ctx, struct errbuf *eb);
/* ERR_NOTFOUND if no node has that id. */
int cluster_node_get(struct store *s, uint64_t id, struct cluster_node *out, struct errbuf *eb);
/* By name among active nodes, or by decimal id. ERR_NOTFOUND. */
int cluster_node_find(struct store *s, const char *name_or_id, struct cluster_node *out,
                      struct errbuf *eb);
/* The replicaset the node is a member of. ERR_NOTFOUND if none. */
int cluster_node_replicaset(struct store *s, uint64_t node, uint32_t *rs, struct errbuf *eb);

/* ERR_NOTFOUND before SETTINGS_INIT. */
int cluster_settings(struct store *s, uint32_t *rf, uint32_t *bucket_count, struct errbuf *eb);

typedef int (*cluster_rs_fn)(void *ctx, const struct cluster_replicaset *rs);
/* Every replicaset, RETIRED ones too, by id, with members and bucket counts
 * (for GET /v1/cluster and the rebalancer). */
int cluster_replicasets(struct store *s, cluster_rs_fn fn, void *ctx, struct errbuf *eb);
/* ERR_NOTFOUND if no replicaset has that id. */
int cluster_replicaset_get(struct store *s, uint32_t id, struct cluster_replicaset *out,
                           struct errbuf *eb);

/* The map version (0 before the map exists). */
int cluster_map_version(struct store *s, uint64_t *version, struct errbuf *eb);
/* ERR_NOTFOUND if the bucket is not in the map. */
int cluster_bucket_owner(struct store *s, uint32_t bucket, uint32_t *rs, struct errbuf *eb);
typedef int (*cluster_count_fn)(void *ctx, uint32_t rs, uint32_t count);
/* Buckets owned by every replicaset that is not RETIRED (0 included), by id. */
int cluster_bucket_counts(struct store *s, cluster_count_fn fn, void *ctx, struct errbuf *eb);
/* Fills owners[0..n) with each bucket's replicaset (0 where the map has no
 * row yet) and *map_version with the version they are at, all from one
 * consistent read: a router cache. n must be the recorded bucket count
 * (ERR_INVAL otherwise); ERR_NOTFOUND before SETTINGS_INIT. */
int cluster_bucket_owners(struct store *s, uint32_t *owners, uint32_t n, uint64_t *map_version,
                          struct errbuf *eb);

typedef int (*cluster_move_fn)(void *ctx, const struct cluster_move *m);
/* The moves in progress, by bucket. */
int cluster_moves(struct store *s, cluster_move_fn fn, void *ctx, struct errbuf *eb);
/* ERR_NOTFOUND if the bucket is not moving. */
int cluster_move_get(struct store *s, uint32_t bucket, struct cluster_move *out, struct errbuf *eb);

const char *cluster_node_state_name(int state);
const char *cluster_rs_state_name(int state);
const char *cluster_move_state_name(int state);

/* ---- Reads: tables ---- */

/* ERR_NOTFOUND if absent; out->def is malloc'd. */
int cluster_table_get(struct store *s, const char *name, struct cluster_table *out,
                      struct errbuf *eb);
/* Every table by name; t->def is valid during the call only. */
typedef int (*cluster_table_fn)(void *ctx, const struct cluster_table *t);
int cluster_tables(struct store *s, cluster_table_fn fn, void *ctx, struct errbuf *eb);
int cluster_schema_version(struct store *s, uint64_t *out, struct errbuf *eb);
/* The replicaset DDL of schema version `version` (malloc'd, may be ""). ERR_NOTFOUND. */
int cluster_ddl_get(struct store *s, uint64_t version, char **rs_sql, struct errbuf *eb);

#endif
