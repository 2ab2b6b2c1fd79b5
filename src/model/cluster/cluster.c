/* The cluster catalog: the node registry table, its commands and reads. */
#include "model/cluster/cluster.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/codec.h"
#include "store/store_model.h"

enum cluster_op { CLUSTER_OP_JOIN = 1, CLUSTER_OP_EXPEL = 2 };

static const char cluster_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS cluster_nodes(id INTEGER PRIMARY KEY NOT NULL,"
    " name TEXT NOT NULL, peer_addr TEXT NOT NULL, http_addr TEXT NOT NULL,"
    " zone TEXT NOT NULL, state INTEGER NOT NULL);";

struct cluster_state {
    sqlite3_stmt *by_id, *by_name, *max_id, *upsert, *set_state, *all;
};

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
    sqlite3_finalize(c->by_id);
    sqlite3_finalize(c->by_name);
    sqlite3_finalize(c->max_id);
    sqlite3_finalize(c->upsert);
    sqlite3_finalize(c->set_state);
    sqlite3_finalize(c->all);
    free(c);
}

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

int cluster_encode_join(struct buf *out, const struct cluster_node *n, struct errbuf *eb)
{
    if (n->name[0] == '\0' || n->peer_addr[0] == '\0')
        return err_set(eb, ERR_INVAL, "a node needs a name and a peer address");
    buf_append_u8(out, STORE_MODEL_CLUSTER);
    buf_append_u8(out, CLUSTER_OP_JOIN);
    buf_append_u64(out, n->id);
    cluster_put_str(out, n->name);
    cluster_put_str(out, n->peer_addr);
    cluster_put_str(out, n->http_addr);
    cluster_put_str(out, n->zone);
    return 0;
}

int cluster_encode_expel(struct buf *out, uint64_t id)
{
    buf_append_u8(out, STORE_MODEL_CLUSTER);
    buf_append_u8(out, CLUSTER_OP_EXPEL);
    return buf_append_u64(out, id);
}

static int cluster_row(sqlite3_stmt *st, struct cluster_node *n)
{
    memset(n, 0, sizeof *n);
    n->id = (uint64_t)sqlite3_column_int64(st, 0);
    snprintf(n->name, sizeof n->name, "%s", (const char *)sqlite3_column_text(st, 1));
    snprintf(n->peer_addr, sizeof n->peer_addr, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(n->http_addr, sizeof n->http_addr, "%s", (const char *)sqlite3_column_text(st, 3));
    snprintf(n->zone, sizeof n->zone, "%s", (const char *)sqlite3_column_text(st, 4));
    n->state = sqlite3_column_int(st, 5);
    return 0;
}

#define CLUSTER_COLUMNS "id, name, peer_addr, http_addr, zone, state"

/* One row from a prepared lookup: 0, ERR_NOTFOUND or an SQLite error. */
static int cluster_lookup(struct store *s, sqlite3_stmt *st, struct cluster_node *out,
                          struct errbuf *eb)
{
    /* Always reset: a stepped statement left open holds a read transaction,
     * and that pins SQLite's WAL so no checkpoint can ever finish. */
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

static int cluster_apply_join(struct store *s, struct cluster_state *c, struct codec_reader *r,
                              struct store_result *res, struct errbuf *eb)
{
    struct cluster_node n = {0};
    n.id = codec_read_u64(r);
    if (r->err || cluster_get_str(r, n.name, sizeof n.name) ||
        cluster_get_str(r, n.peer_addr, sizeof n.peer_addr) ||
        cluster_get_str(r, n.http_addr, sizeof n.http_addr) ||
        cluster_get_str(r, n.zone, sizeof n.zone))
        return err_set(eb, ERR_CORRUPT, "cluster join command does not decode");
    struct cluster_node other;
    int rc = store_stmt(s, &c->by_name,
                        "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE name = ?1 AND state = 1",
                        eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(c->by_name, 1, n.name, -1, SQLITE_STATIC);
    rc = cluster_lookup(s, c->by_name, &other, eb);
    if (rc != 0 && rc != ERR_NOTFOUND)
        return rc;
    bool name_taken = rc == 0;
    if (n.id != 0) {
        struct cluster_node cur;
        rc = store_stmt(s, &c->by_id,
                        "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE id = ?1", eb);
        if (rc != 0)
            return rc;
        sqlite3_bind_int64(c->by_id, 1, (sqlite3_int64)n.id);
        rc = cluster_lookup(s, c->by_id, &cur, eb);
        if (rc != 0 && rc != ERR_NOTFOUND)
            return rc;
        bool exists = rc == 0;
        if ((exists && cur.state != CLUSTER_NODE_ACTIVE) || (name_taken && other.id != n.id)) {
            res->status = ERR_CONDITION;
            res->current_version = name_taken ? other.id : n.id;
            return 0;
        }
    } else if (name_taken) {
        if (strcmp(other.peer_addr, n.peer_addr) == 0) {
            res->version = other.id; /* the same node asking again */
            return 0;
        }
        res->status = ERR_CONDITION;
        res->current_version = other.id;
        return 0;
    } else {
        rc = store_stmt(s, &c->max_id, "SELECT coalesce(max(id), 0) FROM cluster_nodes", eb);
        if (rc != 0)
            return rc;
        int step = sqlite3_step(c->max_id);
        if (step != SQLITE_ROW) {
            sqlite3_reset(c->max_id);
            return store_sqlite_err(store_db(s), step, "max id", eb);
        }
        n.id = (uint64_t)sqlite3_column_int64(c->max_id, 0) + 1;
        sqlite3_reset(c->max_id);
    }
    rc = store_stmt(s, &c->upsert,
                    "INSERT OR REPLACE INTO cluster_nodes(" CLUSTER_COLUMNS
                    ") VALUES(?1, ?2, ?3, ?4, ?5, 1)",
                    eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(c->upsert, 1, (sqlite3_int64)n.id);
    sqlite3_bind_text(c->upsert, 2, n.name, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->upsert, 3, n.peer_addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->upsert, 4, n.http_addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(c->upsert, 5, n.zone, -1, SQLITE_STATIC);
    rc = sqlite3_step(c->upsert);
    sqlite3_reset(c->upsert);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "cluster join", eb);
    res->version = n.id;
    return 0;
}

static int cluster_apply_expel(struct store *s, struct cluster_state *c, struct codec_reader *r,
                               struct store_result *res, struct errbuf *eb)
{
    uint64_t id = codec_read_u64(r);
    if (r->err)
        return err_set(eb, ERR_CORRUPT, "cluster expel command does not decode");
    int rc = store_stmt(s, &c->set_state,
                        "UPDATE cluster_nodes SET state = 2 WHERE id = ?1 AND state = 1", eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(c->set_state, 1, (sqlite3_int64)id);
    rc = sqlite3_step(c->set_state);
    sqlite3_reset(c->set_state);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(store_db(s), rc, "cluster expel", eb);
    if (sqlite3_changes(store_db(s)) == 0)
        res->status = ERR_CONDITION;
    res->version = id;
    return 0;
}

static int cluster_apply(struct store *s, void *state, const struct raft_entry *e,
                         struct store_result *res, struct errbuf *eb)
{
    struct codec_reader r;
    codec_reader_init(&r, e->data, e->len);
    codec_read_u8(&r); /* the model tag */
    uint8_t op = codec_read_u8(&r);
    if (r.err)
        return err_set(eb, ERR_CORRUPT, "cluster command at %llu is empty",
                       (unsigned long long)e->index);
    switch (op) {
    case CLUSTER_OP_JOIN:
        return cluster_apply_join(s, state, &r, res, eb);
    case CLUSTER_OP_EXPEL:
        return cluster_apply_expel(s, state, &r, res, eb);
    }
    return err_set(eb, ERR_UNSUPPORTED, "unknown cluster command %u", op);
}

const struct store_model cluster_model = {
    .tag = STORE_MODEL_CLUSTER,
    .name = "cluster",
    .schema_sql = cluster_schema_sql,
    .n_tables = 1,
    .tables = {{"cluster_nodes", CLUSTER_COLUMNS, 6, "id"}},
    .open = cluster_open,
    .close = cluster_close,
    .apply = cluster_apply,
};

int cluster_nodes(struct store *s, cluster_node_fn fn, void *ctx, struct errbuf *eb)
{
    struct cluster_state *c = store_model_state(s, STORE_MODEL_CLUSTER);
    int rc = store_stmt(s, &c->all, "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes ORDER BY id",
                        eb);
    if (rc != 0)
        return rc;
    for (;;) {
        rc = sqlite3_step(c->all);
        if (rc == SQLITE_DONE)
            break;
        if (rc != SQLITE_ROW)
            return store_sqlite_err(store_db(s), rc, "cluster nodes", eb);
        struct cluster_node n;
        cluster_row(c->all, &n);
        rc = fn(ctx, &n);
        if (rc != 0) {
            sqlite3_reset(c->all);
            return rc;
        }
    }
    sqlite3_reset(c->all);
    return 0;
}

int cluster_node_get(struct store *s, uint64_t id, struct cluster_node *out, struct errbuf *eb)
{
    struct cluster_state *c = store_model_state(s, STORE_MODEL_CLUSTER);
    int rc = store_stmt(s, &c->by_id, "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE id = ?1",
                        eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_int64(c->by_id, 1, (sqlite3_int64)id);
    rc = cluster_lookup(s, c->by_id, out, eb);
    sqlite3_reset(c->by_id);
    return rc;
}

int cluster_node_find(struct store *s, const char *name_or_id, struct cluster_node *out,
                      struct errbuf *eb)
{
    struct cluster_state *c = store_model_state(s, STORE_MODEL_CLUSTER);
    int rc = store_stmt(s, &c->by_name,
                        "SELECT " CLUSTER_COLUMNS " FROM cluster_nodes WHERE name = ?1 AND state = 1",
                        eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(c->by_name, 1, name_or_id, -1, SQLITE_STATIC);
    rc = cluster_lookup(s, c->by_name, out, eb);
    sqlite3_reset(c->by_name);
    if (rc != ERR_NOTFOUND)
        return rc;
    char *end;
    unsigned long long id = strtoull(name_or_id, &end, 10);
    if (*name_or_id == '\0' || *end != '\0' || id == 0)
        return ERR_NOTFOUND;
    return cluster_node_get(s, id, out, eb);
}

const char *cluster_node_state_name(int state)
{
    return state == CLUSTER_NODE_ACTIVE ? "active" : state == CLUSTER_NODE_EXPELLED ? "expelled"
                                                                                       : "unknown";
}
