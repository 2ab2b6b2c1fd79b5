/* The cluster catalog: nodes, settings, replicasets and members, the bucket
 * map and bucket moves — tables, commands (encode and apply) and reads. */
#include "model/cluster/cluster.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"
#include "store/store_model.h"

/* Log format: never renumber. */
enum cluster_op {
    CLUSTER_OP_JOIN = 1,
    CLUSTER_OP_EXPEL = 2,
    CLUSTER_OP_SETTINGS_INIT = 3,
    CLUSTER_OP_RS_WEIGHT = 4,
    CLUSTER_OP_MOVE_BEGIN = 5,
    CLUSTER_OP_MOVE_STATE = 6,
    CLUSTER_OP_MOVE_FINISH = 7,
    CLUSTER_OP_MOVE_ABORT = 8,
    CLUSTER_OP_NODE_STATE = 9,
    CLUSTER_OP_TABLE_DDL = 10,
};

/* The move state machine (see cluster.h), dqlite-style: for each state, the
 * states a command may take it to. DONE and ABORTED are where MOVE_FINISH and
 * MOVE_ABORT lead; the row is gone after them. */
enum { CLUSTER_MOVE_DONE = 3, CLUSTER_MOVE_ABORTED = 4, CLUSTER_MOVE_STATES = 5 };
#define CLUSTER_BIT(s) (1u << (s))
static const struct {
    const char *name;
    uint32_t allowed;
} cluster_move_sm[CLUSTER_MOVE_STATES] = {
    [CLUSTER_MOVE_COPYING] = {"copying", CLUSTER_BIT(CLUSTER_MOVE_COPYING) |
                                             CLUSTER_BIT(CLUSTER_MOVE_FENCED) |
                                             CLUSTER_BIT(CLUSTER_MOVE_ABORTED)},
    [CLUSTER_MOVE_FENCED] = {"fenced", CLUSTER_BIT(CLUSTER_MOVE_COPYING) |
                                           CLUSTER_BIT(CLUSTER_MOVE_FENCED) |
                                           CLUSTER_BIT(CLUSTER_MOVE_DONE) |
                                           CLUSTER_BIT(CLUSTER_MOVE_ABORTED)},
    [CLUSTER_MOVE_DONE] = {"done", 0},
    [CLUSTER_MOVE_ABORTED] = {"aborted", 0},
};

static bool cluster_move_state_valid(int state)
{
    return state == CLUSTER_MOVE_COPYING || state == CLUSTER_MOVE_FENCED;
}

static bool cluster_move_allowed(int from, int to)
{
    ASSERT(cluster_move_state_valid(from));
    ASSERT(to > 0 && to < CLUSTER_MOVE_STATES);
    return (cluster_move_sm[from].allowed & CLUSTER_BIT(to)) != 0;
}

#define CLUSTER_COLUMNS "id, name, peer_addr, http_addr, zone, state, offline"

static const char cluster_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS cluster_nodes(id INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL, peer_addr TEXT NOT NULL, http_addr TEXT NOT NULL,"
    " zone TEXT NOT NULL, state INTEGER NOT NULL, offline INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS cluster_meta(name TEXT PRIMARY KEY NOT NULL,"
    " value INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cluster_replicasets(id INTEGER PRIMARY KEY NOT NULL,"
    " state INTEGER NOT NULL, weight INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cluster_members(node INTEGER PRIMARY KEY NOT NULL,"
    " rs INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS cluster_members_rs ON cluster_members(rs, node);"
    "CREATE TABLE IF NOT EXISTS cluster_buckets(bucket INTEGER PRIMARY KEY NOT NULL,"
    " rs INTEGER NOT NULL, version INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS cluster_buckets_rs ON cluster_buckets(rs);"
    "CREATE TABLE IF NOT EXISTS cluster_moves(bucket INTEGER PRIMARY KEY NOT NULL,"
    " src INTEGER NOT NULL, dst INTEGER NOT NULL, state INTEGER NOT NULL,"
    " started INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cluster_tables(name TEXT PRIMARY KEY NOT NULL,"
    " def TEXT NOT NULL, global INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cluster_ddl(version INTEGER PRIMARY KEY NOT NULL,"
    " rs_sql TEXT NOT NULL);";

/* Every statement the model uses, prepared once per connection. A statement
 * that an iterating read keeps stepping while it calls back is used by that
 * read alone. */
#define CLUSTER_STMTS(X)                                                                           \
    X(NODE_BY_ID, "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE id = ?1")                   \
    X(NODE_BY_NAME, "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE name = ?1 AND state = 1") \
    X(NODE_MAX_ID, "SELECT coalesce(max(id), 0) FROM cluster_nodes")                               \
    X(NODE_UPSERT,                                                                                 \
      "INSERT OR REPLACE INTO cluster_nodes(" CLUSTER_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, 1, ?6)")   \
    X(NODE_EXPEL, "UPDATE cluster_nodes SET state = 2 WHERE id = ?1 AND state = 1")                \
    X(NODE_SET_OFFLINE, "UPDATE cluster_nodes SET offline = ?2 WHERE id = ?1 AND state = 1")       \
    X(NODE_ALL, "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes ORDER BY id")                       \
    X(NODE_NEXT_UNPLACED, "SELECT min(id) FROM cluster_nodes WHERE state = 1 AND id > ?1"          \
                          " AND id NOT IN (SELECT node FROM cluster_members)")                     \
    X(META_GET, "SELECT value FROM cluster_meta WHERE name = ?1")                                  \
    X(META_PUT, "INSERT OR REPLACE INTO cluster_meta(name, value) VALUES(?1, ?2)")                 \
    X(MEMBER_OF, "SELECT rs FROM cluster_members WHERE node = ?1")                                 \
    X(MEMBER_ADD, "INSERT INTO cluster_members(node, rs) VALUES(?1, ?2)")                          \
    X(MEMBER_DEL, "DELETE FROM cluster_members WHERE node = ?1")                                   \
    X(MEMBER_DEL_RS, "DELETE FROM cluster_members WHERE rs = ?1")                                  \
    X(MEMBER_COUNT, "SELECT count(*) FROM cluster_members WHERE rs = ?1")                          \
    X(MEMBER_LIST, "SELECT node FROM cluster_members WHERE rs = ?1 ORDER BY node")                 \
    X(RS_GET, "SELECT id, state, weight, (SELECT count(*) FROM cluster_buckets b"                  \
              " WHERE b.rs = r.id) FROM cluster_replicasets r WHERE id = ?1")                      \
    X(RS_ALL, "SELECT id, state, weight, (SELECT count(*) FROM cluster_buckets b"                  \
              " WHERE b.rs = r.id) FROM cluster_replicasets r ORDER BY id")                        \
    X(RS_COUNTS, "SELECT id, (SELECT count(*) FROM cluster_buckets b WHERE b.rs = r.id)"           \
                 " FROM cluster_replicasets r WHERE state <> 4 ORDER BY id")                       \
    X(RS_MAX_ID, "SELECT coalesce(max(id), 0) FROM cluster_replicasets")                           \
    X(RS_ADD, "INSERT INTO cluster_replicasets(id, state, weight) VALUES(?1, 1, ?2)")              \
    X(RS_SET_STATE, "UPDATE cluster_replicasets SET state = ?2 WHERE id = ?1")                     \
    X(RS_SET_WEIGHT, "UPDATE cluster_replicasets SET weight = ?2 WHERE id = ?1")                   \
    /* Placement: the FORMING or ACTIVE set with room, zone-free first, lowest id. */              \
    X(RS_PLACE, "SELECT r.id FROM cluster_replicasets r WHERE r.state IN (1, 2)"                   \
                " AND (SELECT count(*) FROM cluster_members m WHERE m.rs = r.id) < ?1"             \
                " ORDER BY EXISTS(SELECT 1 FROM cluster_members m JOIN cluster_nodes x"            \
                " ON x.id = m.node WHERE m.rs = r.id AND x.zone = ?2), r.id LIMIT 1")              \
    X(BUCKET_ANY, "SELECT count(*) FROM (SELECT 1 FROM cluster_buckets LIMIT 1)")                  \
    X(BUCKET_FILL, "WITH RECURSIVE b(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM b"                \
                   " WHERE x + 1 < ?1) INSERT INTO cluster_buckets(bucket, rs, version)"           \
                   " SELECT x, ?2, ?3 FROM b")                                                     \
    X(BUCKET_OWNER, "SELECT rs FROM cluster_buckets WHERE bucket = ?1")                            \
    X(BUCKET_COUNT, "SELECT count(*) FROM cluster_buckets WHERE rs = ?1")                          \
    X(BUCKET_SET, "UPDATE cluster_buckets SET rs = ?2, version = ?3 WHERE bucket = ?1")            \
    /* One statement, so one consistent read: the version row first. */                            \
    X(BUCKET_ALL, "SELECT -1, value FROM cluster_meta WHERE name = 'map_version'"                  \
                  " UNION ALL SELECT bucket, rs FROM cluster_buckets")                             \
    X(MOVE_GET, "SELECT bucket, src, dst, state, started FROM cluster_moves WHERE bucket = ?1")    \
    X(MOVE_ALL, "SELECT bucket, src, dst, state, started FROM cluster_moves ORDER BY bucket")      \
    X(MOVE_ADD, "INSERT INTO cluster_moves(bucket, src, dst, state, started)"                      \
                " VALUES(?1, ?2, ?3, 1, ?4)")                                                      \
    X(MOVE_SET_STATE, "UPDATE cluster_moves SET state = ?2 WHERE bucket = ?1")                     \
    X(MOVE_DEL, "DELETE FROM cluster_moves WHERE bucket = ?1")                                     \
    X(TABLE_GET, "SELECT name, def, global, version FROM cluster_tables WHERE name = ?1")          \
    X(TABLE_ALL, "SELECT name, def, global, version FROM cluster_tables ORDER BY name")            \
    X(TABLE_PUT, "INSERT OR REPLACE INTO cluster_tables(name, def, global, version)"               \
                 " VALUES(?1, ?2, ?3, ?4)")                                                        \
    X(TABLE_DEL, "DELETE FROM cluster_tables WHERE name = ?1")                                     \
    X(DDL_PUT, "INSERT INTO cluster_ddl(version, rs_sql) VALUES(?1, ?2)")                          \
    X(DDL_GET, "SELECT rs_sql FROM cluster_ddl WHERE version = ?1")

enum cluster_stmt_id {
#define CLUSTER_STMT_ENUM(name, sql) CLUSTER_STMT_##name,
    CLUSTER_STMTS(CLUSTER_STMT_ENUM)
#undef CLUSTER_STMT_ENUM
        CLUSTER_STMT_COUNT
};

static const char *const cluster_stmt_sql[CLUSTER_STMT_COUNT] = {
#define CLUSTER_STMT_SQL(name, sql) [CLUSTER_STMT_##name] = sql,
    CLUSTER_STMTS(CLUSTER_STMT_SQL)
#undef CLUSTER_STMT_SQL
};

struct cluster_state {
    sqlite3_stmt *st[CLUSTER_STMT_COUNT];
};

static const char cluster_meta_rf[] = "replication_factor";
static const char cluster_meta_buckets[] = "bucket_count";
static const char cluster_meta_map_version[] = "map_version";

static int cluster_open(struct store *s, void **state, struct errbuf *eb)
{
    (void)s;
    struct cluster_state *c = calloc(1, sizeof *c);
    if (c == NULL)
        return err_set(eb, ERR_NOMEM, "cluster state");
    *state = c;
    return 0;
}

static void cluster_close(void *state)
{
    struct cluster_state *c = state;
    for (int i = 0; i < CLUSTER_STMT_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    free(c);
}

/* The statement id on this connection, reset with bindings cleared. */
static int cluster_stmt(struct store *s, enum cluster_stmt_id id, sqlite3_stmt **out,
                        struct errbuf *eb)
{
    ASSERT(id >= 0 && id < CLUSTER_STMT_COUNT);
    struct cluster_state *c = store_model_state(s, STORE_MODEL_CLUSTER);
    int rc = store_stmt(s, &c->st[id], cluster_stmt_sql[id], eb);
    if (rc == 0)
        *out = c->st[id];
    return rc;
}

/* Steps a statement that returns no rows, and resets it. */
static int cluster_exec(struct store *s, sqlite3_stmt *st, const char *what, struct errbuf *eb)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, what, eb);
    return 0;
}

/* The first column of the first row as an integer: 0, ERR_NOTFOUND (no row,
 * or NULL), or an SQLite error. Always resets: a stepped statement left open
 * holds a read transaction, and that pins SQLite's WAL so no checkpoint can
 * ever finish. */
static int cluster_int(struct store *s, sqlite3_stmt *st, int64_t *v, const char *what,
                       struct errbuf *eb)
{
    *v = 0; /* defined on every path, also for the optimizer's view */
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        bool null = sqlite3_column_type(st, 0) == SQLITE_NULL;
        *v = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return null ? ERR_NOTFOUND : 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return ERR_NOTFOUND;
    return store_sqlite_err(store_db(s), rc, what, eb);
}

/* Binds the integer arguments to a statement that takes exactly that many. */
static void cluster_bind(sqlite3_stmt *st, int n, const int64_t *args)
{
    ASSERT(sqlite3_bind_parameter_count(st) == n);
    for (int i = 0; i < n; i++)
        sqlite3_bind_int64(st, i + 1, args[i]);
}

/* A query with n integer parameters and an integer answer. */
static int cluster_int_by(struct store *s, enum cluster_stmt_id id, int n, const int64_t *args,
                          int64_t *v, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, id, &st, eb);
    if (rc != 0)
        return rc;
    cluster_bind(st, n, args);
    return cluster_int(s, st, v, cluster_stmt_sql[id], eb);
}

static int cluster_int0(struct store *s, enum cluster_stmt_id id, int64_t *v, struct errbuf *eb)
{
    return cluster_int_by(s, id, 0, NULL, v, eb);
}

static int cluster_int1(struct store *s, enum cluster_stmt_id id, int64_t a, int64_t *v,
                        struct errbuf *eb)
{
    return cluster_int_by(s, id, 1, &a, v, eb);
}

/* A statement with n integer parameters and no answer. */
static int cluster_run(struct store *s, enum cluster_stmt_id id, int n, const int64_t *args,
                       struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, id, &st, eb);
    if (rc != 0)
        return rc;
    cluster_bind(st, n, args);
    return cluster_exec(s, st, cluster_stmt_sql[id], eb);
}

static int cluster_run1(struct store *s, enum cluster_stmt_id id, int64_t a, struct errbuf *eb)
{
    return cluster_run(s, id, 1, &a, eb);
}

static int cluster_run2(struct store *s, enum cluster_stmt_id id, int64_t a, int64_t b,
                        struct errbuf *eb)
{
    const int64_t args[2] = {a, b};
    return cluster_run(s, id, 2, args, eb);
}

static int cluster_meta_get(struct store *s, const char *name, int64_t *v, struct errbuf *eb)
{
    *v = 0;
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_META_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    return cluster_int(s, st, v, "cluster meta", eb);
}

static int cluster_meta_put(struct store *s, const char *name, int64_t v, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_META_PUT, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, v);
    return cluster_exec(s, st, "cluster meta", eb);
}

/* ------------------------------------------------------------ encoding */

static void cluster_put_str(struct buf *out, const char *s)
{
    size_t n = strlen(s);
    buf_append_uvarint(out, n);
    buf_append(out, s, n);
}

static int cluster_get_str(struct codec_reader *r, char *out, size_t cap)
{
    uint64_t n = codec_read_uvarint(r);
    if (r->err || n >= cap)
        return ERR_CORRUPT;
    const uint8_t *p = codec_read_bytes(r, (size_t)n);
    if (p == NULL)
        return ERR_CORRUPT;
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    return 0;
}

static void cluster_put_head(struct buf *out, enum cluster_op op)
{
    buf_append_u8(out, STORE_MODEL_CLUSTER);
    buf_append_u8(out, (uint8_t)op);
}

int cluster_encode_join(struct buf *out, const struct cluster_node *n, struct errbuf *eb)
{
    if (n->name[0] == '\0' || n->peer_addr[0] == '\0')
        return err_set(eb, ERR_INVAL, "a node needs a name and a peer address");
    cluster_put_head(out, CLUSTER_OP_JOIN);
    buf_append_u64(out, n->id);
    cluster_put_str(out, n->name);
    cluster_put_str(out, n->peer_addr);
    cluster_put_str(out, n->http_addr);
    cluster_put_str(out, n->zone);
    return 0;
}

int cluster_encode_expel(struct buf *out, uint64_t id)
{
    cluster_put_head(out, CLUSTER_OP_EXPEL);
    return buf_append_u64(out, id);
}

int cluster_encode_table_ddl(struct buf *out, const struct cluster_table_ddl *d,
                             struct errbuf *eb)
{
    bool rename = d->kind == CLUSTER_DDL_RENAME;
    if (d->kind < CLUSTER_DDL_CREATE || d->kind > CLUSTER_DDL_RENAME || d->name == NULL ||
        d->name[0] == '\0' || strlen(d->name) > CLUSTER_NAME_BYTES_MAX ||
        (rename && (d->new_name == NULL || d->new_name[0] == '\0' ||
                    strlen(d->new_name) > CLUSTER_NAME_BYTES_MAX)))
        return err_set(eb, ERR_INVAL, "a table change needs a kind and names of 1 to %d bytes",
                       CLUSTER_NAME_BYTES_MAX);
    const char *parts[3] = {d->def ? d->def : "", d->rs_sql ? d->rs_sql : "",
                            d->gov_sql ? d->gov_sql : ""};
    for (int i = 0; i < 3; i++)
        if (strlen(parts[i]) > CLUSTER_DDL_BYTES_MAX)
            return err_set(eb, ERR_INVAL, "table definition over %d bytes", CLUSTER_DDL_BYTES_MAX);
    cluster_put_head(out, CLUSTER_OP_TABLE_DDL);
    buf_append_u64(out, d->expect_version);
    buf_append_u8(out, (uint8_t)d->kind);
    buf_append_u8(out, d->global ? 1 : 0);
    cluster_put_str(out, d->name);
    for (int i = 0; i < 3; i++)
        cluster_put_str(out, parts[i]);
    if (rename)
        cluster_put_str(out, d->new_name);
    return 0;
}

int cluster_encode_node_state(struct buf *out, uint64_t id, bool offline)
{
    cluster_put_head(out, CLUSTER_OP_NODE_STATE);
    buf_append_u64(out, id);
    return buf_append_u8(out, offline ? 1 : 0);
}

static bool cluster_settings_valid(uint64_t rf, uint64_t bucket_count)
{
    return rf >= 1 && rf <= CLUSTER_RF_MAX && bucket_count >= 1 &&
           bucket_count <= STORE_BUCKET_COUNT_MAX;
}

int cluster_encode_settings_init(struct buf *out, uint32_t rf, uint32_t bucket_count,
                                 struct errbuf *eb)
{
    if (!cluster_settings_valid(rf, bucket_count))
        return err_set(eb, ERR_INVAL,
                       "replication factor %u must be within 1..%d and bucket count %u within "
                       "1..%d",
                       rf, CLUSTER_RF_MAX, bucket_count, STORE_BUCKET_COUNT_MAX);
    cluster_put_head(out, CLUSTER_OP_SETTINGS_INIT);
    buf_append_u32(out, rf);
    return buf_append_u32(out, bucket_count);
}

int cluster_encode_rs_weight(struct buf *out, uint32_t rs, uint32_t weight, struct errbuf *eb)
{
    if (weight > CLUSTER_WEIGHT_MAX)
        return err_set(eb, ERR_INVAL, "weight %u is above %d", weight, CLUSTER_WEIGHT_MAX);
    cluster_put_head(out, CLUSTER_OP_RS_WEIGHT);
    buf_append_u32(out, rs);
    return buf_append_u32(out, weight);
}

int cluster_encode_move_begin(struct buf *out, uint32_t bucket, uint32_t src, uint32_t dst)
{
    cluster_put_head(out, CLUSTER_OP_MOVE_BEGIN);
    buf_append_u32(out, bucket);
    buf_append_u32(out, src);
    return buf_append_u32(out, dst);
}

int cluster_encode_move_state(struct buf *out, uint32_t bucket, uint64_t started, int state,
                              struct errbuf *eb)
{
    if (!cluster_move_state_valid(state))
        return err_set(eb, ERR_INVAL, "%d is not a move state", state);
    cluster_put_head(out, CLUSTER_OP_MOVE_STATE);
    buf_append_u32(out, bucket);
    buf_append_u64(out, started);
    return buf_append_u8(out, (uint8_t)state);
}

int cluster_encode_move_finish(struct buf *out, uint32_t bucket, uint64_t started)
{
    cluster_put_head(out, CLUSTER_OP_MOVE_FINISH);
    buf_append_u32(out, bucket);
    return buf_append_u64(out, started);
}

int cluster_encode_move_abort(struct buf *out, uint32_t bucket, uint64_t started)
{
    cluster_put_head(out, CLUSTER_OP_MOVE_ABORT);
    buf_append_u32(out, bucket);
    return buf_append_u64(out, started);
}

/* ------------------------------------------------------------ rows */

static void cluster_row(sqlite3_stmt *st, struct cluster_node *n)
{
    memset(n, 0, sizeof *n);
    n->id = (uint64_t)sqlite3_column_int64(st, 0);
    snprintf(n->name, sizeof n->name, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(n->peer_addr, sizeof n->peer_addr, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(n->http_addr, sizeof n->http_addr, "%s", (const char *)sqlite3_column_text(st, 3));
    snprintf(n->zone, sizeof n->zone, "%s", (const char *)sqlite3_column_text(st, 4));
    n->state = sqlite3_column_int(st, 5);
    n->offline = sqlite3_column_int(st, 6) != 0;
}

/* One node row from a prepared lookup: 0, ERR_NOTFOUND or an SQLite error. */
static int cluster_lookup(struct store *s, sqlite3_stmt *st, struct cluster_node *out,
                          struct errbuf *eb)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        cluster_row(st, out);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return ERR_NOTFOUND;
    return store_sqlite_err(store_db(s), rc, "cluster lookup", eb);
}

static void cluster_move_row(sqlite3_stmt *st, struct cluster_move *m)
{
    memset(m, 0, sizeof *m);
    m->bucket = (uint32_t)sqlite3_column_int64(st, 0);
    m->src = (uint32_t)sqlite3_column_int64(st, 1);
    m->dst = (uint32_t)sqlite3_column_int64(st, 2);
    m->state = sqlite3_column_int(st, 3);
    m->started = (uint64_t)sqlite3_column_int64(st, 4);
}

/* Fills everything but the members from an RS_GET/RS_ALL row. */
static void cluster_rs_row(sqlite3_stmt *st, struct cluster_replicaset *rs)
{
    memset(rs, 0, sizeof *rs);
    rs->id = (uint32_t)sqlite3_column_int64(st, 0);
    rs->state = sqlite3_column_int(st, 1);
    rs->weight = (uint32_t)sqlite3_column_int64(st, 2);
    rs->buckets = (uint32_t)sqlite3_column_int64(st, 3);
}

/* A replicaset's members, ascending. More than CLUSTER_RF_MAX cannot happen:
 * placement stops at rf. */
static int cluster_rs_members(struct store *s, struct cluster_replicaset *rs, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_MEMBER_LIST, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, rs->id);
    rs->n_members = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (rs->n_members == CLUSTER_RF_MAX) {
            sqlite3_reset(st);
            return err_set(eb, ERR_CORRUPT, "replicaset %u has more than %d members", rs->id,
                           CLUSTER_RF_MAX);
        }
        rs->members[rs->n_members++] = (uint64_t)sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "replicaset members", eb);
    return 0;
}

static int cluster_rs_state(struct store *s, uint32_t id, int *state, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_RS_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *state = sqlite3_column_int(st, 1);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return ERR_NOTFOUND;
    return store_sqlite_err(store_db(s), rc, "replicaset", eb);
}

/* ------------------------------------------------------------ apply: placement */

static int cluster_settings_read(struct store *s, uint32_t *rf, uint32_t *bucket_count,
                                 struct errbuf *eb)
{
    int64_t a, b;
    int rc = cluster_meta_get(s, cluster_meta_rf, &a, eb);
    if (rc == 0)
        rc = cluster_meta_get(s, cluster_meta_buckets, &b, eb);
    if (rc != 0)
        return rc;
    if (!cluster_settings_valid((uint64_t)a, (uint64_t)b))
        return err_set(eb, ERR_CORRUPT, "recorded settings rf %lld, buckets %lld are invalid",
                       (long long)a, (long long)b);
    *rf = (uint32_t)a;
    *bucket_count = (uint32_t)b;
    return 0;
}

/* Bumps the map version; *version is the new one. */
static int cluster_map_bump(struct store *s, uint64_t *version, struct errbuf *eb)
{
    int64_t v = 0;
    int rc = cluster_meta_get(s, cluster_meta_map_version, &v, eb);
    if (rc != 0 && rc != ERR_NOTFOUND)
        return rc;
    ASSERT(v >= 0);
    *version = (uint64_t)v + 1;
    return cluster_meta_put(s, cluster_meta_map_version, v + 1, eb);
}

/* After a member joined rs: FORMING becomes ACTIVE at rf members, and the first
 * ACTIVE set gets every bucket if the map is empty. */
static int cluster_rs_maybe_activate(struct store *s, uint32_t rs, uint32_t rf,
                                     uint32_t bucket_count, struct errbuf *eb)
{
    int state;
    int64_t members, any;
    int rc = cluster_rs_state(s, rs, &state, eb);
    if (rc == 0)
        rc = cluster_int1(s, CLUSTER_STMT_MEMBER_COUNT, rs, &members, eb);
    if (rc != 0)
        return rc;
    ASSERT(members >= 1 && members <= rf);
    if (state != CLUSTER_RS_FORMING || members < rf)
        return 0;
    rc = cluster_run2(s, CLUSTER_STMT_RS_SET_STATE, rs, CLUSTER_RS_ACTIVE, eb);
    if (rc == 0)
        rc = cluster_int0(s, CLUSTER_STMT_BUCKET_ANY, &any, eb);
    if (rc != 0 || any != 0)
        return rc;
    uint64_t version;
    rc = cluster_map_bump(s, &version, eb);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st;
    rc = cluster_stmt(s, CLUSTER_STMT_BUCKET_FILL, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket_count);
    sqlite3_bind_int64(st, 2, rs);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
    rc = cluster_exec(s, st, "initial bucket map", eb);
    if (rc == 0)
        ASSERT(sqlite3_changes(store_db(s)) == (int)bucket_count);
    return rc;
}

/* Where a node of this zone goes: an existing set with room, else *fresh is
 * set and *rs is the id a new set would get. Changes nothing. */
static int cluster_place_choose(struct store *s, const char *zone, uint32_t rf, uint32_t *rs,
                                bool *fresh, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int64_t v;
    int rc = cluster_stmt(s, CLUSTER_STMT_RS_PLACE, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, rf);
    sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
    rc = cluster_int(s, st, &v, "placement", eb);
    if (rc == 0) {
        *rs = (uint32_t)v;
        *fresh = false;
        return 0;
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    rc = cluster_int0(s, CLUSTER_STMT_RS_MAX_ID, &v, eb);
    if (rc != 0)
        return rc;
    if (v >= UINT32_MAX)
        return ERR_RANGE;
    *rs = (uint32_t)v + 1;
    *fresh = true;
    return 0;
}

/* Makes node (already registered, active, without a membership) a member of
 * the set cluster_place_choose picked. */
static int cluster_place_apply(struct store *s, uint64_t node, uint32_t rs, bool fresh, uint32_t rf,
                               uint32_t bucket_count, struct errbuf *eb)
{
    int rc = 0;
    if (fresh)
        rc = cluster_run2(s, CLUSTER_STMT_RS_ADD, rs, CLUSTER_WEIGHT_DEFAULT, eb);
    if (rc == 0)
        rc = cluster_run2(s, CLUSTER_STMT_MEMBER_ADD, (sqlite3_int64)node, rs, eb);
    if (rc == 0)
        rc = cluster_rs_maybe_activate(s, rs, rf, bucket_count, eb);
    return rc;
}

/* SETTINGS_INIT places nodes that joined before it, in id order. */
static int cluster_place_unplaced(struct store *s, uint32_t rf, uint32_t bucket_count,
                                  struct errbuf *eb)
{
    int64_t last = 0;
    for (;;) {
        int64_t id;
        int rc = cluster_int1(s, CLUSTER_STMT_NODE_NEXT_UNPLACED, last, &id, eb);
        if (rc == ERR_NOTFOUND)
            return 0;
        if (rc != 0)
            return rc;
        ASSERT(id > last); /* the walk ends */
        last = id;
        struct cluster_node n;
        rc = cluster_node_get(s, (uint64_t)id, &n, eb);
        if (rc != 0)
            return rc == ERR_NOTFOUND
                       ? err_set(eb, ERR_CORRUPT, "node %lld vanished", (long long)id)
                       : rc;
        uint32_t rs;
        bool fresh;
        rc = cluster_place_choose(s, n.zone, rf, &rs, &fresh, eb);
        if (rc == ERR_RANGE)
            return 0; /* no replicaset id left: such nodes stay unplaced */
        if (rc == 0)
            rc = cluster_place_apply(s, n.id, rs, fresh, rf, bucket_count, eb);
        if (rc != 0)
            return rc;
    }
}

/* ------------------------------------------------------------ apply: nodes */

static int cluster_apply_join(struct store *s, struct codec_reader *r, struct store_result *res,
                              struct errbuf *eb)
{
    struct cluster_node n = {0};
    n.id = codec_read_u64(r);
    if (r->err || cluster_get_str(r, n.name, sizeof n.name) ||
        cluster_get_str(r, n.peer_addr, sizeof n.peer_addr) ||
        cluster_get_str(r, n.http_addr, sizeof n.http_addr) ||
        cluster_get_str(r, n.zone, sizeof n.zone) || r->off != r->len)
        return err_set(eb, ERR_CORRUPT, "cluster join command does not decode");
    struct cluster_node other;
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_BY_NAME, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, n.name, -1, SQLITE_STATIC);
    rc = cluster_lookup(s, st, &other, eb);
    if (rc != 0 && rc != ERR_NOTFOUND)
        return rc;
    bool name_taken = rc == 0;
    bool write_row = true;
    if (n.id != 0) {
        struct cluster_node cur;
        rc = cluster_node_get(s, n.id, &cur, eb);
        if (rc != 0 && rc != ERR_NOTFOUND)
            return rc;
        bool exists = rc == 0;
        if ((exists && cur.state != CLUSTER_NODE_ACTIVE) || (name_taken && other.id != n.id)) {
            res->status = ERR_CONDITION;
            res->current_version = name_taken ? other.id : n.id;
            return 0;
        }
    } else if (name_taken) {
        if (strcmp(other.peer_addr, n.peer_addr) != 0) {
            res->status = ERR_CONDITION;
            res->current_version = other.id;
            return 0;
        }
        n.id = other.id; /* the same node asking again */
        write_row = false;
    } else {
        int64_t max;
        rc = cluster_int0(s, CLUSTER_STMT_NODE_MAX_ID, &max, eb);
        if (rc != 0)
            return rc;
        n.id = (uint64_t)max + 1;
    }
    /* Where it goes, decided before anything is written. */
    uint32_t rf = 0, bucket_count = 0, rs = 0;
    bool fresh = false, place = false;
    int64_t member;
    rc = cluster_int1(s, CLUSTER_STMT_MEMBER_OF, (sqlite3_int64)n.id, &member, eb);
    if (rc == 0) {
        rs = (uint32_t)member;
    } else if (rc == ERR_NOTFOUND) {
        rc = cluster_settings_read(s, &rf, &bucket_count, eb);
        if (rc == 0) {
            rc = cluster_place_choose(s, n.zone, rf, &rs, &fresh, eb);
            place = rc == 0;
        }
        if (rc == ERR_NOTFOUND || rc == ERR_RANGE)
            rc = 0; /* no settings yet, or no id left: registered, not placed */
    }
    if (rc != 0)
        return rc;
    if (write_row) {
        rc = cluster_stmt(s, CLUSTER_STMT_NODE_UPSERT, &st, eb);
        if (rc != 0)
            return rc;
        sqlite3_bind_int64(st, 1, (sqlite3_int64)n.id);
        sqlite3_bind_text(st, 2, n.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, n.peer_addr, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, n.http_addr, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, n.zone, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 6, 0); /* a node that registers is alive */
        rc = cluster_exec(s, st, "cluster join", eb);
        if (rc != 0)
            return rc;
    }
    if (place) {
        rc = cluster_place_apply(s, n.id, rs, fresh, rf, bucket_count, eb);
        if (rc != 0)
            return rc;
    }
    res->version = n.id;
    res->current_version = rs;
    return 0;
}

static int cluster_apply_expel(struct store *s, struct codec_reader *r, struct store_result *res,
                               struct errbuf *eb)
{
    uint64_t id = codec_read_u64(r);
    if (r->err || r->off != r->len)
        return err_set(eb, ERR_CORRUPT, "cluster expel command does not decode");
    res->version = id;
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_EXPEL, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    rc = cluster_exec(s, st, "cluster expel", eb);
    if (rc != 0)
        return rc;
    if (sqlite3_changes(store_db(s)) == 0) {
        res->status = ERR_CONDITION;
        return 0;
    }
    int64_t rs, members, buckets;
    rc = cluster_int1(s, CLUSTER_STMT_MEMBER_OF, (sqlite3_int64)id, &rs, eb);
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc == 0)
        rc = cluster_int1(s, CLUSTER_STMT_MEMBER_COUNT, rs, &members, eb);
    if (rc == 0)
        rc = cluster_int1(s, CLUSTER_STMT_BUCKET_COUNT, rs, &buckets, eb);
    if (rc != 0)
        return rc;
    ASSERT(members >= 1);
    res->current_version = (uint64_t)rs;
    if (members == 1 && buckets > 0) {
        /* The only copy of those buckets: keep the membership until they move. */
        return cluster_run2(s, CLUSTER_STMT_RS_SET_STATE, rs, CLUSTER_RS_RETIRING, eb);
    }
    rc = cluster_run1(s, CLUSTER_STMT_MEMBER_DEL, (sqlite3_int64)id, eb);
    if (rc == 0 && members == 1)
        rc = cluster_run2(s, CLUSTER_STMT_RS_SET_STATE, rs, CLUSTER_RS_RETIRED, eb);
    return rc;
}

static int cluster_apply_node_state(struct store *s, struct codec_reader *r,
                                    struct store_result *res, struct errbuf *eb)
{
    uint64_t id = codec_read_u64(r);
    uint8_t offline = codec_read_u8(r);
    if (r->err || r->off != r->len || offline > 1)
        return err_set(eb, ERR_CORRUPT, "cluster node-state command does not decode");
    res->version = id;
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_SET_OFFLINE, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    sqlite3_bind_int(st, 2, offline);
    rc = cluster_exec(s, st, "cluster node state", eb);
    if (rc == 0 && sqlite3_changes(store_db(s)) == 0)
        res->status = ERR_CONDITION;
    return rc;
}

/* ------------------------------------------------------------ apply: tables */

/* A string of up to max bytes from the command, malloc'd and terminated. */
static char *cluster_get_text(struct codec_reader *r, size_t max)
{
    uint64_t n = codec_read_uvarint(r);
    if (r->err || n > max)
        return NULL;
    const uint8_t *p = codec_read_bytes(r, (size_t)n);
    char *out = p ? malloc((size_t)n + 1) : NULL;
    if (out == NULL)
        return NULL;
    memcpy(out, p, (size_t)n);
    out[n] = '\0';
    return out;
}

static int cluster_apply_table_ddl(struct store *s, struct codec_reader *r, struct store_result *res,
                                   struct errbuf *eb)
{
    uint64_t expect = codec_read_u64(r);
    uint8_t kind = codec_read_u8(r);
    uint8_t global = codec_read_u8(r);
    char name[CLUSTER_NAME_BYTES_MAX + 1], new_name[CLUSTER_NAME_BYTES_MAX + 1] = "";
    char *def = NULL, *rs_sql = NULL, *gov_sql = NULL;
    int rc = 0;
    if (r->err || cluster_get_str(r, name, sizeof name) ||
        (def = cluster_get_text(r, CLUSTER_DDL_BYTES_MAX)) == NULL ||
        (rs_sql = cluster_get_text(r, CLUSTER_DDL_BYTES_MAX)) == NULL ||
        (gov_sql = cluster_get_text(r, CLUSTER_DDL_BYTES_MAX)) == NULL ||
        (kind == CLUSTER_DDL_RENAME &&
         (cluster_get_str(r, new_name, sizeof new_name) || new_name[0] == '\0')) ||
        r->off != r->len || kind < CLUSTER_DDL_CREATE || kind > CLUSTER_DDL_RENAME ||
        global > 1) {
        rc = err_set(eb, ERR_CORRUPT, "cluster table command does not decode");
        goto out;
    }
    int64_t version = 0;
    rc = cluster_meta_get(s, "schema_version", &version, eb);
    if (rc == ERR_NOTFOUND)
        rc = 0;
    if (rc != 0)
        goto out;
    res->current_version = (uint64_t)version;
    if (expect != 0 && expect != (uint64_t)version) {
        res->status = ERR_CONDITION;
        res->failed_op = CLUSTER_REFUSED_SCHEMA;
        goto out;
    }
    struct cluster_table cur;
    int found = cluster_table_get(s, name, &cur, eb);
    if (found != 0 && found != ERR_NOTFOUND) {
        rc = found;
        goto out;
    }
    if (found == 0)
        free(cur.def);
    if ((kind == CLUSTER_DDL_CREATE) != (found == ERR_NOTFOUND)) {
        res->status = ERR_CONDITION;
        res->failed_op = kind == CLUSTER_DDL_CREATE ? CLUSTER_REFUSED_TABLE_EXISTS
                                                    : CLUSTER_REFUSED_NO_TABLE;
        goto out;
    }
    if (kind == CLUSTER_DDL_RENAME) {
        found = cluster_table_get(s, new_name, &cur, eb);
        if (found == 0) {
            free(cur.def);
            res->status = ERR_CONDITION;
            res->failed_op = CLUSTER_REFUSED_TABLE_EXISTS;
            goto out;
        }
        if (found != ERR_NOTFOUND) {
            rc = found;
            goto out;
        }
    }
    /* A global table lives in this very store: its DDL runs here, now. It
     * was tried on the coordinator's copy first, so failing is a broken store. */
    if (gov_sql[0] != '\0') {
        char *msg = NULL;
        if (sqlite3_exec(store_db(s), gov_sql, NULL, NULL, &msg) != SQLITE_OK) {
            rc = err_set(eb, ERR_IO, "global table DDL failed: %s", msg ? msg : "?");
            sqlite3_free(msg);
            goto out;
        }
    }
    uint64_t next = (uint64_t)version + 1;
    sqlite3_stmt *st;
    if (kind == CLUSTER_DDL_DROP || kind == CLUSTER_DDL_RENAME) {
        rc = cluster_stmt(s, CLUSTER_STMT_TABLE_DEL, &st, eb);
        if (rc == 0) {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
            rc = cluster_exec(s, st, "drop table", eb);
        }
    }
    if (rc == 0 && kind != CLUSTER_DDL_DROP) {
        rc = cluster_stmt(s, CLUSTER_STMT_TABLE_PUT, &st, eb);
        if (rc == 0) {
            sqlite3_bind_text(st, 1, kind == CLUSTER_DDL_RENAME ? new_name : name, -1,
                              SQLITE_STATIC);
            sqlite3_bind_text(st, 2, def, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 3, global);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)next);
            rc = cluster_exec(s, st, "define table", eb);
        }
    }
    if (rc == 0)
        rc = cluster_stmt(s, CLUSTER_STMT_DDL_PUT, &st, eb);
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)next);
        sqlite3_bind_text(st, 2, rs_sql, -1, SQLITE_STATIC);
        rc = cluster_exec(s, st, "ddl log", eb);
    }
    if (rc == 0)
        rc = cluster_meta_put(s, "schema_version", (int64_t)next, eb);
    res->version = next;
out:
    free(def);
    free(rs_sql);
    free(gov_sql);
    return rc;
}

/* ------------------------------------------------------------ apply: settings, weights */

static int cluster_apply_settings(struct store *s, struct codec_reader *r, struct store_result *res,
                                  struct errbuf *eb)
{
    uint32_t rf = codec_read_u32(r);
    uint32_t buckets = codec_read_u32(r);
    if (r->err || r->off != r->len || !cluster_settings_valid(rf, buckets))
        return err_set(eb, ERR_CORRUPT, "cluster settings command does not decode");
    uint32_t cur_rf, cur_buckets;
    int rc = cluster_settings_read(s, &cur_rf, &cur_buckets, eb);
    if (rc == 0) {
        res->existed = true;
        res->version = cur_rf;
        res->current_version = cur_buckets;
        return 0;
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    rc = cluster_meta_put(s, cluster_meta_rf, rf, eb);
    if (rc == 0)
        rc = cluster_meta_put(s, cluster_meta_buckets, buckets, eb);
    if (rc == 0)
        rc = cluster_place_unplaced(s, rf, buckets, eb);
    if (rc != 0)
        return rc;
    res->version = rf;
    res->current_version = buckets;
    return 0;
}

static void cluster_refuse(struct store_result *res, enum cluster_refusal why)
{
    res->status = ERR_CONDITION;
    res->failed_op = why;
}

static int cluster_apply_rs_weight(struct store *s, struct codec_reader *r,
                                   struct store_result *res, struct errbuf *eb)
{
    uint32_t rs = codec_read_u32(r);
    uint32_t weight = codec_read_u32(r);
    if (r->err || r->off != r->len || weight > CLUSTER_WEIGHT_MAX)
        return err_set(eb, ERR_CORRUPT, "cluster weight command does not decode");
    int state;
    int rc = cluster_rs_state(s, rs, &state, eb);
    if (rc == ERR_NOTFOUND || (rc == 0 && state == CLUSTER_RS_RETIRED)) {
        cluster_refuse(res, CLUSTER_REFUSED_REPLICASET);
        return 0;
    }
    if (rc != 0)
        return rc;
    res->version = rs;
    return cluster_run2(s, CLUSTER_STMT_RS_SET_WEIGHT, rs, weight, eb);
}

/* ------------------------------------------------------------ apply: moves */

static int cluster_apply_move_begin(struct store *s, struct codec_reader *r, uint64_t index,
                                    struct store_result *res, struct errbuf *eb)
{
    uint32_t bucket = codec_read_u32(r);
    uint32_t src = codec_read_u32(r);
    uint32_t dst = codec_read_u32(r);
    if (r->err || r->off != r->len)
        return err_set(eb, ERR_CORRUPT, "cluster move begin command does not decode");
    int64_t owner;
    int rc = cluster_int1(s, CLUSTER_STMT_BUCKET_OWNER, bucket, &owner, eb);
    if (rc == ERR_NOTFOUND) {
        cluster_refuse(res, CLUSTER_REFUSED_BUCKET);
        return 0;
    }
    if (rc != 0)
        return rc;
    if ((uint64_t)owner != src) {
        cluster_refuse(res, CLUSTER_REFUSED_NOT_OWNER);
        res->current_version = (uint64_t)owner;
        return 0;
    }
    struct cluster_move m;
    rc = cluster_move_get(s, bucket, &m, eb);
    if (rc == 0) {
        cluster_refuse(res, CLUSTER_REFUSED_MOVING);
        return 0;
    }
    if (rc != ERR_NOTFOUND)
        return rc;
    int state;
    rc = cluster_rs_state(s, dst, &state, eb);
    if (rc != 0 && rc != ERR_NOTFOUND)
        return rc;
    if (rc == ERR_NOTFOUND || state != CLUSTER_RS_ACTIVE || dst == src) {
        cluster_refuse(res, CLUSTER_REFUSED_DST);
        return 0;
    }
    sqlite3_stmt *st;
    rc = cluster_stmt(s, CLUSTER_STMT_MOVE_ADD, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    sqlite3_bind_int64(st, 2, src);
    sqlite3_bind_int64(st, 3, dst);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)index);
    res->version = index;
    return cluster_exec(s, st, "move begin", eb);
}

/* The move a MOVE_STATE/FINISH/ABORT names: 0, or ERR_NOTFOUND if there is no
 * move of the bucket or it is not the one started (nonzero) names. */
static int cluster_move_named(struct store *s, uint32_t bucket, uint64_t started,
                              struct cluster_move *m, struct errbuf *eb)
{
    int rc = cluster_move_get(s, bucket, m, eb);
    if (rc != 0)
        return rc;
    if (!cluster_move_state_valid(m->state))
        return err_set(eb, ERR_CORRUPT, "move of bucket %u is in state %d", bucket, m->state);
    if (started != 0 && m->started != started)
        return ERR_NOTFOUND;
    return 0;
}

static int cluster_apply_move_change(struct store *s, uint8_t op, struct codec_reader *r,
                                     struct store_result *res, struct errbuf *eb)
{
    uint32_t bucket = codec_read_u32(r);
    uint64_t started = codec_read_u64(r);
    int to = op == CLUSTER_OP_MOVE_STATE    ? codec_read_u8(r)
             : op == CLUSTER_OP_MOVE_FINISH ? CLUSTER_MOVE_DONE
                                            : CLUSTER_MOVE_ABORTED;
    if (r->err || r->off != r->len ||
        (op == CLUSTER_OP_MOVE_STATE && !cluster_move_state_valid(to)))
        return err_set(eb, ERR_CORRUPT, "cluster move command does not decode");
    struct cluster_move m;
    int rc = cluster_move_named(s, bucket, started, &m, eb);
    if (rc == ERR_NOTFOUND) {
        cluster_refuse(res, CLUSTER_REFUSED_NO_MOVE);
        return 0;
    }
    if (rc != 0)
        return rc;
    res->version = m.started;
    if (!cluster_move_allowed(m.state, to)) {
        cluster_refuse(res, CLUSTER_REFUSED_TRANSITION);
        return 0;
    }
    if (to == CLUSTER_MOVE_COPYING || to == CLUSTER_MOVE_FENCED) {
        if (to == m.state)
            return 0;
        return cluster_run2(s, CLUSTER_STMT_MOVE_SET_STATE, bucket, to, eb);
    }
    if (to == CLUSTER_MOVE_ABORTED)
        return cluster_run1(s, CLUSTER_STMT_MOVE_DEL, bucket, eb);
    /* The flip. */
    int state;
    rc = cluster_rs_state(s, m.dst, &state, eb);
    if (rc != 0 && rc != ERR_NOTFOUND)
        return rc;
    if (rc == ERR_NOTFOUND || state != CLUSTER_RS_ACTIVE) {
        cluster_refuse(res, CLUSTER_REFUSED_DST);
        return 0;
    }
    uint64_t version;
    rc = cluster_map_bump(s, &version, eb);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st;
    rc = cluster_stmt(s, CLUSTER_STMT_BUCKET_SET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    sqlite3_bind_int64(st, 2, m.dst);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)version);
    rc = cluster_exec(s, st, "move finish", eb);
    if (rc == 0)
        rc = cluster_run1(s, CLUSTER_STMT_MOVE_DEL, bucket, eb);
    if (rc != 0)
        return rc;
    res->version = version;
    /* A retiring source with nothing left is done. */
    int64_t left;
    rc = cluster_rs_state(s, m.src, &state, eb);
    if (rc == 0)
        rc = cluster_int1(s, CLUSTER_STMT_BUCKET_COUNT, m.src, &left, eb);
    if (rc != 0)
        return rc == ERR_NOTFOUND
                   ? err_set(eb, ERR_CORRUPT, "bucket %u had unknown owner %u", bucket, m.src)
                   : rc;
    if (state != CLUSTER_RS_RETIRING || left > 0)
        return 0;
    rc = cluster_run1(s, CLUSTER_STMT_MEMBER_DEL_RS, m.src, eb);
    if (rc == 0)
        rc = cluster_run2(s, CLUSTER_STMT_RS_SET_STATE, m.src, CLUSTER_RS_RETIRED, eb);
    return rc;
}

static int cluster_apply(struct store *s, void *state, const struct raft_entry *e,
                         struct store_result *res, struct errbuf *eb)
{
    (void)state;
    struct codec_reader r;
    codec_reader_init(&r, e->data, e->len);
    codec_read_u8(&r); /* the model tag */
    uint8_t op = codec_read_u8(&r);
    if (r.err)
        return err_set(eb, ERR_CORRUPT, "cluster command at %llu is empty",
                       (unsigned long long)e->index);
    switch (op) {
    case CLUSTER_OP_JOIN:
        return cluster_apply_join(s, &r, res, eb);
    case CLUSTER_OP_EXPEL:
        return cluster_apply_expel(s, &r, res, eb);
    case CLUSTER_OP_NODE_STATE:
        return cluster_apply_node_state(s, &r, res, eb);
    case CLUSTER_OP_TABLE_DDL:
        return cluster_apply_table_ddl(s, &r, res, eb);
    case CLUSTER_OP_SETTINGS_INIT:
        return cluster_apply_settings(s, &r, res, eb);
    case CLUSTER_OP_RS_WEIGHT:
        return cluster_apply_rs_weight(s, &r, res, eb);
    case CLUSTER_OP_MOVE_BEGIN:
        return cluster_apply_move_begin(s, &r, e->index, res, eb);
    case CLUSTER_OP_MOVE_STATE:
    case CLUSTER_OP_MOVE_FINISH:
    case CLUSTER_OP_MOVE_ABORT:
        return cluster_apply_move_change(s, op, &r, res, eb);
    }
    return err_set(eb, ERR_UNSUPPORTED, "unknown cluster command %u", op);
}

const struct store_model cluster_model = {
    .tag = STORE_MODEL_CLUSTER,
    .name = "cluster",
    .schema_sql = cluster_schema_sql,
    .n_tables = 8,
    .tables =
        {
            {"cluster_nodes", CLUSTER_COLUMNS, 7, "id"},
            {"cluster_meta", "name, value", 2, "name"},
            {"cluster_replicasets", "id, state, weight", 3, "id"},
            {"cluster_members", "node, rs", 2, "node"},
            {"cluster_buckets", "bucket, rs, version", 3, "bucket"},
            {"cluster_tables", "name, def, global, version", 4, "name"},
            {"cluster_ddl", "version, rs_sql", 2, "version"},
            {"cluster_moves", "bucket, src, dst, state, started", 5, "bucket"},
        },
    .open = cluster_open,
    .close = cluster_close,
    .apply = cluster_apply,
};

/* ------------------------------------------------------------ reads */

int cluster_nodes(struct store *s, cluster_node_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_ALL, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cluster_node n;
        cluster_row(st, &n);
        rc = fn(ctx, &n);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "cluster nodes", eb);
    return 0;
}

int cluster_node_get(struct store *s, uint64_t id, struct cluster_node *out, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_BY_ID, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
    return cluster_lookup(s, st, out, eb);
}

int cluster_node_find(struct store *s, const char *name_or_id, struct cluster_node *out,
                      struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_NODE_BY_NAME, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, name_or_id, -1, SQLITE_STATIC);
    rc = cluster_lookup(s, st, out, eb);
    if (rc != ERR_NOTFOUND)
        return rc;
    char *end;
    unsigned long long id = strtoull(name_or_id, &end, 10);
    if (*name_or_id == '\0' || *end != '\0' || id == 0)
        return ERR_NOTFOUND;
    return cluster_node_get(s, id, out, eb);
}

int cluster_node_replicaset(struct store *s, uint64_t node, uint32_t *rs, struct errbuf *eb)
{
    int64_t v;
    int rc = cluster_int1(s, CLUSTER_STMT_MEMBER_OF, (sqlite3_int64)node, &v, eb);
    if (rc == 0)
        *rs = (uint32_t)v;
    return rc;
}

int cluster_settings(struct store *s, uint32_t *rf, uint32_t *bucket_count, struct errbuf *eb)
{
    return cluster_settings_read(s, rf, bucket_count, eb);
}

int cluster_replicasets(struct store *s, cluster_rs_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_RS_ALL, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cluster_replicaset rs;
        cluster_rs_row(st, &rs);
        rc = cluster_rs_members(s, &rs, eb);
        if (rc == 0)
            rc = fn(ctx, &rs);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "replicasets", eb);
    return 0;
}

int cluster_replicaset_get(struct store *s, uint32_t id, struct cluster_replicaset *out,
                           struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_RS_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        cluster_rs_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return ERR_NOTFOUND;
    if (rc != SQLITE_ROW)
        return store_sqlite_err(store_db(s), rc, "replicaset", eb);
    return cluster_rs_members(s, out, eb);
}

int cluster_map_version(struct store *s, uint64_t *version, struct errbuf *eb)
{
    int64_t v;
    int rc = cluster_meta_get(s, cluster_meta_map_version, &v, eb);
    if (rc == ERR_NOTFOUND) {
        *version = 0;
        return 0;
    }
    if (rc == 0)
        *version = (uint64_t)v;
    return rc;
}

int cluster_bucket_owner(struct store *s, uint32_t bucket, uint32_t *rs, struct errbuf *eb)
{
    int64_t v;
    int rc = cluster_int1(s, CLUSTER_STMT_BUCKET_OWNER, bucket, &v, eb);
    if (rc == 0)
        *rs = (uint32_t)v;
    return rc;
}

int cluster_bucket_counts(struct store *s, cluster_count_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_RS_COUNTS, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        rc = fn(ctx, (uint32_t)sqlite3_column_int64(st, 0), (uint32_t)sqlite3_column_int64(st, 1));
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "bucket counts", eb);
    return 0;
}

int cluster_bucket_owners(struct store *s, uint32_t *owners, uint32_t n, uint64_t *map_version,
                          struct errbuf *eb)
{
    uint32_t rf, bucket_count;
    int rc = cluster_settings_read(s, &rf, &bucket_count, eb);
    if (rc != 0)
        return rc;
    if (n != bucket_count)
        return err_set(eb, ERR_INVAL, "room for %u owners, the cluster has %u buckets", n,
                       bucket_count);
    memset(owners, 0, (size_t)n * sizeof *owners);
    *map_version = 0;
    sqlite3_stmt *st;
    rc = cluster_stmt(s, CLUSTER_STMT_BUCKET_ALL, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t key = sqlite3_column_int64(st, 0);
        int64_t value = sqlite3_column_int64(st, 1);
        if (key == -1) {
            *map_version = (uint64_t)value;
        } else if (key < 0 || key >= n) {
            sqlite3_reset(st);
            return err_set(eb, ERR_CORRUPT, "bucket %lld is outside the map of %u", (long long)key,
                           n);
        } else {
            owners[key] = (uint32_t)value;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "bucket map", eb);
    return 0;
}

int cluster_moves(struct store *s, cluster_move_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_MOVE_ALL, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cluster_move m;
        cluster_move_row(st, &m);
        rc = fn(ctx, &m);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "moves", eb);
    return 0;
}

int cluster_move_get(struct store *s, uint32_t bucket, struct cluster_move *out, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_MOVE_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, bucket);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        cluster_move_row(st, out);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc == SQLITE_DONE)
        return ERR_NOTFOUND;
    return store_sqlite_err(store_db(s), rc, "move", eb);
}

const char *cluster_node_state_name(int state)
{
    return state == CLUSTER_NODE_ACTIVE     ? "active"
           : state == CLUSTER_NODE_EXPELLED ? "expelled"
                                            : "unknown";
}

const char *cluster_rs_state_name(int state)
{
    switch (state) {
    case CLUSTER_RS_FORMING:
        return "forming";
    case CLUSTER_RS_ACTIVE:
        return "active";
    case CLUSTER_RS_RETIRING:
        return "retiring";
    case CLUSTER_RS_RETIRED:
        return "retired";
    }
    return "unknown";
}

const char *cluster_move_state_name(int state)
{
    return cluster_move_state_valid(state) ? cluster_move_sm[state].name : "unknown";
}

/* ------------------------------------------------------------ reads: tables */

static int cluster_table_row(sqlite3_stmt *st, struct cluster_table *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", (const char *)sqlite3_column_text(st, 0));
    const char *def = (const char *)sqlite3_column_text(st, 1);
    t->def = strdup(def ? def : "");
    t->global = sqlite3_column_int(st, 2) != 0;
    t->version = (uint64_t)sqlite3_column_int64(st, 3);
    return t->def ? 0 : ERR_NOMEM;
}

int cluster_table_get(struct store *s, const char *name, struct cluster_table *out,
                      struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_TABLE_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = cluster_table_row(st, out);
    else if (step == SQLITE_DONE)
        rc = ERR_NOTFOUND;
    else
        rc = store_sqlite_err(store_db(s), step, "table", eb);
    sqlite3_reset(st);
    return rc;
}

int cluster_tables(struct store *s, cluster_table_fn fn, void *ctx, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_TABLE_ALL, &st, eb);
    if (rc != 0)
        return rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct cluster_table t;
        rc = cluster_table_row(st, &t);
        if (rc == 0)
            rc = fn(ctx, &t);
        free(t.def);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_err(store_db(s), rc, "tables", eb);
}

int cluster_schema_version(struct store *s, uint64_t *out, struct errbuf *eb)
{
    int64_t v = 0;
    int rc = cluster_meta_get(s, "schema_version", &v, eb);
    *out = rc == 0 ? (uint64_t)v : 0;
    return rc == ERR_NOTFOUND ? 0 : rc;
}

int cluster_ddl_get(struct store *s, uint64_t version, char **rs_sql, struct errbuf *eb)
{
    sqlite3_stmt *st;
    int rc = cluster_stmt(s, CLUSTER_STMT_DDL_GET, &st, eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)version);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *rs_sql = strdup(t ? t : "");
        rc = *rs_sql ? 0 : ERR_NOMEM;
    } else {
        rc = step == SQLITE_DONE ? ERR_NOTFOUND : store_sqlite_err(store_db(s), step, "ddl", eb);
    }
    sqlite3_reset(st);
    return rc;
}
