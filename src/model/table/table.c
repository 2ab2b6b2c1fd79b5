/* The table model: replicated SQL statements executed at apply, reads and
 * tentative runs outside the log, and the output format both produce. */
#include "model/table/table.h"
#include "model/table/table_int.h"

#include <ctype.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/clock.h"
#include "base/codec.h"
#include "model/kv/kv.h"
#include "sql/sql_func.h"
#include "store/store_model.h"

static const char table_schema_sql[] =
    "CREATE TABLE IF NOT EXISTS table_meta(name TEXT PRIMARY KEY NOT NULL,"
    " value INTEGER NOT NULL) WITHOUT ROWID;";

/* ------------------------------------------------------------ values */

int table_value_put(struct buf *out, const struct table_value *v)
{
    int rc = buf_append_u8(out, v->type);
    switch (v->type) {
    case TABLE_INT:
        rc |= buf_append_u64(out, (uint64_t)v->i);
        break;
    case TABLE_REAL: {
        uint64_t bits;
        memcpy(&bits, &v->r, sizeof bits);
        rc |= buf_append_u64(out, bits);
        break;
    }
    case TABLE_TEXT:
    case TABLE_BLOB:
        rc |= buf_append_uvarint(out, v->len);
        rc |= buf_append(out, v->p, v->len);
        break;
    default:
        break;
    }
    return rc ? ERR_NOMEM : 0;
}

int table_value_get(struct codec_reader *r, struct table_value *v)
{
    memset(v, 0, sizeof *v);
    v->type = codec_read_u8(r);
    switch (v->type) {
    case TABLE_NULL:
        break;
    case TABLE_INT:
        v->i = (int64_t)codec_read_u64(r);
        break;
    case TABLE_REAL: {
        uint64_t bits = codec_read_u64(r);
        memcpy(&v->r, &bits, sizeof bits);
        break;
    }
    case TABLE_TEXT:
    case TABLE_BLOB: {
        uint64_t n = codec_read_uvarint(r);
        if (r->err || n > TABLE_OUTPUT_BYTES_MAX)
            return ERR_MALFORMED;
        v->len = (uint32_t)n;
        v->p = codec_read_bytes(r, (size_t)n);
        break;
    }
    default:
        return ERR_MALFORMED;
    }
    return r->err ? ERR_MALFORMED : 0;
}

int table_put_str(struct buf *out, const char *s, size_t n)
{
    if (buf_append_uvarint(out, n) != 0 || buf_append(out, s, n) != 0)
        return ERR_NOMEM;
    return 0;
}

const char *table_get_str(struct codec_reader *r, uint32_t *len, uint32_t max)
{
    uint64_t n = codec_read_uvarint(r);
    if (r->err || n > max) {
        r->err = true;
        return NULL;
    }
    *len = (uint32_t)n;
    return (const char *)codec_read_bytes(r, (size_t)n);
}

uint32_t table_bucket(const struct table_value *vals, uint32_t n, uint32_t bucket_count)
{
    if (bucket_count == 0)
        return 0; /* a node that has not learned the count yet: its callers check the count */
    struct buf key = BUF_INIT;
    char num[40];
    for (uint32_t i = 0; i < n; i++) {
        const struct table_value *v = &vals[i];
        /* Integers and reals that hold an integer hash alike, as 1 = 1.0 in SQL. */
        if (v->type == TABLE_REAL && v->r == (double)(int64_t)v->r) {
            buf_append_u8(&key, TABLE_INT);
            buf_append(&key, num, (size_t)snprintf(num, sizeof num, "%" PRId64, (int64_t)v->r));
            continue;
        }
        buf_append_u8(&key, v->type);
        if (v->type == TABLE_INT)
            buf_append(&key, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v->i));
        else if (v->type == TABLE_REAL)
            buf_append(&key, num, (size_t)snprintf(num, sizeof num, "%.17g", v->r));
        else if (v->type == TABLE_TEXT || v->type == TABLE_BLOB)
            buf_append(&key, v->p, v->len);
    }
    uint32_t b = kv_bucket(key.data, key.len, bucket_count);
    buf_free(&key);
    return b;
}

void table_value_from_sqlite(sqlite3_value *sv, struct table_value *v)
{
    memset(v, 0, sizeof *v);
    switch (sqlite3_value_type(sv)) {
    case SQLITE_INTEGER:
        v->type = TABLE_INT;
        v->i = sqlite3_value_int64(sv);
        break;
    case SQLITE_FLOAT:
        v->type = TABLE_REAL;
        v->r = sqlite3_value_double(sv);
        break;
    case SQLITE_TEXT:
        v->type = TABLE_TEXT;
        v->p = sqlite3_value_text(sv);
        v->len = (uint32_t)sqlite3_value_bytes(sv);
        break;
    case SQLITE_BLOB:
        v->type = TABLE_BLOB;
        v->p = sqlite3_value_blob(sv);
        v->len = (uint32_t)sqlite3_value_bytes(sv);
        break;
    default:
        v->type = TABLE_NULL;
    }
}

/* cairn_bucket(v, ...): the bucket of a distribution key, behind every sharded
 * table's generated __bucket column. Deterministic: the bucket count is the
 * store's, fixed at bootstrap. */
static void table_fn_bucket(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct table_model_state *t = sqlite3_user_data(ctx);
    struct table_value vals[16];
    if (argc < 1 || argc > 16) {
        sqlite3_result_error(ctx, "42601: a distribution key has 1 to 16 columns", -1);
        return;
    }
    for (int i = 0; i < argc; i++)
        table_value_from_sqlite(argv[i], &vals[i]);
    sqlite3_result_int64(ctx, table_bucket(vals, (uint32_t)argc, t->bucket_count));
}

/* ------------------------------------------------------------ encoding */

int table_encode_exec(struct buf *out, const struct table_exec *x, struct errbuf *eb)
{
    if (x->n == 0 || x->n > TABLE_STMTS_MAX)
        return err_set(eb, ERR_INVAL, "%u statements in one transaction (1 to %u)", x->n,
                       TABLE_STMTS_MAX);
    buf_append_u8(out, STORE_MODEL_TABLE);
    buf_append_u8(out, TABLE_OP_EXEC);
    buf_append_u64(out, x->schema_version);
    buf_append_u64(out, (uint64_t)x->now_us);
    buf_append_u64(out, x->seed);
    buf_append_u8(out, x->flags);
    if (x->flags & TABLE_EXEC_BUCKETS) {
        if (x->buckets_bytes == 0 || x->buckets_bytes > TABLE_BUCKET_SET_BYTES_MAX)
            return err_set(eb, ERR_INVAL, "a bucket set of %u bytes (1 to %u)", x->buckets_bytes,
                           TABLE_BUCKET_SET_BYTES_MAX);
        buf_append_uvarint(out, x->buckets_bytes);
        buf_append(out, x->buckets, x->buckets_bytes);
    }
    buf_append_u32(out, x->n);
    for (uint32_t i = 0; i < x->n; i++) {
        const struct table_stmt *st = &x->stmts[i];
        if (st->sql_len > TABLE_SQL_BYTES_MAX)
            return err_set(eb, ERR_INVAL, "statement of %u bytes (at most %u)", st->sql_len,
                           TABLE_SQL_BYTES_MAX);
        if (st->n_params > TABLE_PARAMS_MAX)
            return err_set(eb, ERR_INVAL, "%u parameters (at most %u)", st->n_params,
                           TABLE_PARAMS_MAX);
        table_put_str(out, st->sql, st->sql_len);
        buf_append_u32(out, st->n_params);
        for (uint32_t p = 0; p < st->n_params; p++)
            if (table_value_put(out, &st->params[p]) != 0)
                return err_set(eb, ERR_NOMEM, "encoding a parameter");
        if (buf_append_u64(out, st->expect_hash) != 0)
            return err_set(eb, ERR_NOMEM, "encoding a statement");
    }
    return 0;
}

int table_encode_schema(struct buf *out, uint64_t version, const char *sql, struct errbuf *eb)
{
    size_t n = strlen(sql);
    if (n > TABLE_SQL_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "schema change of %zu bytes", n);
    buf_append_u8(out, STORE_MODEL_TABLE);
    buf_append_u8(out, TABLE_OP_SCHEMA);
    buf_append_u64(out, version);
    return table_put_str(out, sql, n) ? err_set(eb, ERR_NOMEM, "encoding a schema change") : 0;
}

/* A decoded EXEC: statements point into the entry, params into `params`. */
struct table_decoded {
    struct table_exec x;
    struct table_stmt *stmts;
    struct table_value *params;
};

static void table_decoded_free(struct table_decoded *d)
{
    free(d->stmts);
    free(d->params);
}

static int table_decode_exec(struct codec_reader *r, struct table_decoded *d)
{
    memset(d, 0, sizeof *d);
    d->x.schema_version = codec_read_u64(r);
    d->x.now_us = (int64_t)codec_read_u64(r);
    d->x.seed = codec_read_u64(r);
    d->x.flags = codec_read_u8(r);
    if (d->x.flags & TABLE_EXEC_BUCKETS) {
        uint64_t nb = codec_read_uvarint(r);
        if (r->err || nb == 0 || nb > TABLE_BUCKET_SET_BYTES_MAX)
            return ERR_CORRUPT;
        d->x.buckets_bytes = (uint32_t)nb;
        d->x.buckets = codec_read_bytes(r, (size_t)nb);
    }
    d->x.n = codec_read_u32(r);
    if (r->err || d->x.n == 0 || d->x.n > TABLE_STMTS_MAX)
        return ERR_CORRUPT;
    d->stmts = calloc(d->x.n, sizeof *d->stmts);
    if (d->stmts == NULL)
        return ERR_NOMEM;
    size_t n_params = 0, cap = 0;
    for (uint32_t i = 0; i < d->x.n; i++) {
        struct table_stmt *st = &d->stmts[i];
        st->sql = table_get_str(r, &st->sql_len, TABLE_SQL_BYTES_MAX);
        st->n_params = codec_read_u32(r);
        if (r->err || st->n_params > TABLE_PARAMS_MAX)
            return ERR_CORRUPT;
        if (n_params + st->n_params > cap) {
            size_t ncap = (n_params + st->n_params) * 2 + 8;
            struct table_value *p = realloc(d->params, ncap * sizeof *p);
            if (p == NULL)
                return ERR_NOMEM;
            d->params = p;
            cap = ncap;
        }
        for (uint32_t p = 0; p < st->n_params; p++)
            if (table_value_get(r, &d->params[n_params + p]) != 0)
                return ERR_CORRUPT;
        st->expect_hash = codec_read_u64(r); /* params are pointed at below, once they stop moving */
        n_params += st->n_params;
    }
    if (r->err || r->off != r->len)
        return ERR_CORRUPT;
    size_t at = 0;
    for (uint32_t i = 0; i < d->x.n; i++) {
        d->stmts[i].params = d->stmts[i].n_params ? &d->params[at] : NULL;
        at += d->stmts[i].n_params;
    }
    d->x.stmts = d->stmts;
    return 0;
}

/* ------------------------------------------------------------ output */

int table_output_parse(const uint8_t *p, size_t len, struct table_output *o)
{
    memset(o, 0, sizeof *o);
    struct codec_reader r;
    codec_reader_init(&r, p, len);
    o->state = codec_read_u8(&r);
    if (r.err)
        return ERR_MALFORMED;
    switch (o->state) {
    case TABLE_STATE_OK: {
        o->ncols = codec_read_u32(&r);
        if (r.err || o->ncols > 4096)
            return ERR_MALFORMED;
        o->cols = p + r.off;
        uint32_t n;
        for (uint32_t i = 0; i < 2 * o->ncols; i++)
            if (table_get_str(&r, &n, 1u << 16) == NULL)
                return ERR_MALFORMED;
        /* The tail is fixed: rows end with a 0 marker, then two u64. */
        if (len < r.off + 17)
            return ERR_MALFORMED;
        o->rows = p + r.off;
        o->rows_len = len - r.off - 16;
        o->changes = codec_get_u64(p + len - 16);
        o->hash = codec_get_u64(p + len - 8);
        return 0;
    }
    case TABLE_STATE_ERROR: {
        const uint8_t *ss = codec_read_bytes(&r, 5);
        uint32_t n;
        const char *msg = table_get_str(&r, &n, 1u << 20);
        o->failed_stmt = codec_read_u32(&r);
        if (r.err || ss == NULL || msg == NULL)
            return ERR_MALFORMED;
        memcpy(o->sqlstate, ss, 5);
        snprintf(o->message, sizeof o->message, "%.*s", (int)n, msg);
        return 0;
    }
    case TABLE_STATE_SCHEMA:
        o->schema_version = codec_read_u64(&r);
        return r.err ? ERR_MALFORMED : 0;
    }
    return ERR_MALFORMED;
}

int table_output_col(const struct table_output *o, uint32_t i, const char **name, uint32_t *name_len,
                     const char **decltype, uint32_t *decl_len)
{
    if (i >= o->ncols)
        return ERR_INVAL;
    struct codec_reader r;
    codec_reader_init(&r, o->cols, (size_t)(o->rows - o->cols));
    for (uint32_t k = 0; k <= i; k++) {
        *name = table_get_str(&r, name_len, 1u << 16);
        *decltype = table_get_str(&r, decl_len, 1u << 16);
    }
    return r.err ? ERR_MALFORMED : 0;
}

int table_output_next_row(const struct table_output *o, size_t *pos, struct table_value *vals)
{
    struct codec_reader r;
    codec_reader_init(&r, o->rows, o->rows_len);
    r.off = *pos;
    uint8_t more = codec_read_u8(&r);
    if (r.err)
        return ERR_MALFORMED;
    if (more == 0)
        return 0;
    for (uint32_t i = 0; i < o->ncols; i++)
        if (table_value_get(&r, &vals[i]) != 0)
            return ERR_MALFORMED;
    *pos = r.off;
    return 1;
}

void table_output_error(struct buf *out, const char *sqlstate, const char *msg, uint32_t stmt)
{
    buf_reset(out);
    buf_append_u8(out, TABLE_STATE_ERROR);
    buf_append(out, sqlstate, 5);
    table_put_str(out, msg, strlen(msg));
    buf_append_u32(out, stmt);
}

/* ------------------------------------------------------------ running statements */

static uint64_t table_fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define TABLE_HASH_SEED 0xcbf29ce484222325ull

/* A result value into a result's hash, which covers what the client sees: type and bytes. */
static uint64_t table_hash_value(uint64_t h, const struct table_value *v)
{
    h = table_fnv(h, &v->type, 1);
    if (v->type == TABLE_INT)
        return table_fnv(h, &v->i, sizeof v->i);
    if (v->type == TABLE_REAL)
        return table_fnv(h, &v->r, sizeof v->r);
    return v->type != TABLE_NULL ? table_fnv(h, v->p, v->len) : h;
}

/* ------------------------------------------------------------ writing an output */

void table_output_head(struct buf *out, uint32_t ncols)
{
    buf_reset(out);
    buf_append_u8(out, TABLE_STATE_OK);
    buf_append_u32(out, ncols);
}

void table_output_head_col(struct buf *out, const char *name, const char *decltype)
{
    table_put_str(out, name ? name : "", name ? strlen(name) : 0);
    table_put_str(out, decltype ? decltype : "", decltype ? strlen(decltype) : 0);
}

void table_output_writer_init(struct table_output_writer *w, struct buf *out)
{
    *w = (struct table_output_writer){.out = out, .hash = TABLE_HASH_SEED};
}

int table_output_put_row(struct table_output_writer *w, const struct table_value *vals,
                         uint32_t ncols)
{
    int rc = buf_append_u8(w->out, 1);
    for (uint32_t c = 0; c < ncols && rc == 0; c++) {
        w->hash = table_hash_value(w->hash, &vals[c]);
        rc = table_value_put(w->out, &vals[c]);
    }
    return rc != 0 ? ERR_NOMEM : 0;
}

int table_output_finish(struct table_output_writer *w)
{
    int rc = buf_append_u8(w->out, 0);
    rc |= buf_append_u64(w->out, 0);
    rc |= buf_append_u64(w->out, w->hash);
    return rc != 0 ? ERR_NOMEM : 0;
}

/* The SQLSTATE for a failed step: a function's "NNNNN: message", SQLite's
 * constraint codes, or XX000 for anything else. */
void table_sqlstate(sqlite3 *db, int rc, char sqlstate[6], char *msg, size_t cap)
{
    const char *m = sqlite3_errmsg(db);
    const char *state = "XX000";
    if (strlen(m) > 7 && m[5] == ':' && m[6] == ' ') {
        memcpy(sqlstate, m, 5);
        sqlstate[5] = '\0';
        snprintf(msg, cap, "%s", m + 7);
        return;
    }
    switch (sqlite3_extended_errcode(db)) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        state = "23505";
        break;
    case SQLITE_CONSTRAINT_NOTNULL:
        state = "23502";
        break;
    case SQLITE_CONSTRAINT_CHECK:
        state = "23514";
        break;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        state = "23503";
        break;
    case SQLITE_CONSTRAINT_TRIGGER:
        state = "55000"; /* a bucket not writable here: the coordinator reroutes */
        break;
    default:
        if ((rc & 0xff) == SQLITE_INTERRUPT) {
            memcpy(sqlstate, "57014", 6);
            snprintf(msg, cap, "canceling statement");
            return;
        }
        if ((rc & 0xff) == SQLITE_TOOBIG)
            state = "54000";
        else if ((rc & 0xff) == SQLITE_ERROR)
            state = strncmp(m, "no such column", 14) == 0   ? "42703"
                    : strncmp(m, "no such table", 13) == 0  ? "42P01"
                    : strncmp(m, "no such function", 16) == 0 ? "42883"
                    : strstr(m, "ambiguous column") != NULL ? "42702"
                    : strstr(m, "ON CONFLICT clause does not match") != NULL ? "42P10"
                    : strcmp(m, "row value misused") == 0               ? "0A000"
                                                             : "42601";
        break;
    }
    memcpy(sqlstate, state, 6);
    if (strcmp(state, "42P10") == 0)
        m = "there is no unique or exclusion constraint matching the ON CONFLICT specification";
    else if (strcmp(state, "0A000") == 0)
        m = "a row value such as (a, b) is supported only in a comparison or an IN list, not as "
            "a value of its own (in the select list, in count(DISTINCT ...), with IS NULL)";
    snprintf(msg, cap, "%s", m);
}

static void table_cache_evict(struct table_cached *c)
{
    sqlite3_finalize(c->st);
    free(c->sql);
    memset(c, 0, sizeof *c);
}

/* SQLite's authorizer, while table_prepare prepares: records the tables the statement touches
 * into t->collecting. It never refuses anything. */
static int table_authorize(void *arg, int action, const char *a1, const char *a2, const char *db,
                           const char *trigger)
{
    (void)a2, (void)db, (void)trigger;
    struct table_model_state *t = arg;
    struct table_touch *tt = t->collecting;
    if (tt == NULL)
        return SQLITE_OK;
    bool write;
    switch (action) {
    case SQLITE_READ:
        write = false;
        break;
    case SQLITE_INSERT:
    case SQLITE_UPDATE:
    case SQLITE_DELETE:
        write = true;
        break;
    case SQLITE_SELECT:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    default:
        tt->all = true;
        return SQLITE_OK;
    }
    if (a1 == NULL) {
        tt->all = true;
        return SQLITE_OK;
    }
    uint64_t h = TABLE_HASH_SEED;
    for (const char *p = a1; *p != '\0'; p++) {
        char c = (char)tolower((unsigned char)*p);
        h = table_fnv(h, &c, 1);
    }
    uint8_t i = 0;
    while (i < tt->n && tt->name[i] != h)
        i++;
    if (i == tt->n) {
        if (tt->n == TABLE_STMT_TABLES_MAX) {
            tt->all = true;
            return SQLITE_OK;
        }
        tt->name[tt->n++] = h;
    }
    if (write)
        tt->writes |= (uint8_t)(1u << i);
    return SQLITE_OK;
}

/* A prepared statement for sql, from the cache or new, and the tables it touches. */
static int table_prepare(struct store *s, struct table_model_state *t, const char *sql, uint32_t len,
                         sqlite3_stmt **out, const struct table_touch **touch)
{
    struct table_cached *victim = &t->cache[0];
    for (int i = 0; i < TABLE_STMT_CACHE; i++) {
        struct table_cached *c = &t->cache[i];
        if (c->st != NULL && c->sql_len == len && memcmp(c->sql, sql, len) == 0) {
            c->used = ++t->clock;
            sqlite3_reset(c->st);
            sqlite3_clear_bindings(c->st);
            *out = c->st;
            *touch = &c->touch;
            return SQLITE_OK;
        }
        if (c->used < victim->used)
            victim = c;
    }
    sqlite3_stmt *st = NULL;
    struct table_touch tt = {0};
    t->collecting = &tt; /* (setting an authorizer now would expire every prepared statement) */
    int rc = sqlite3_prepare_v3(store_db(s), sql, (int)len, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    t->collecting = NULL;
    if (rc != SQLITE_OK)
        return rc;
    table_cache_evict(victim);
    victim->sql = malloc(len + 1);
    if (victim->sql == NULL) {
        sqlite3_finalize(st);
        return SQLITE_NOMEM;
    }
    memcpy(victim->sql, sql, len);
    victim->sql[len] = '\0';
    victim->sql_len = len;
    victim->st = st;
    victim->used = ++t->clock;
    victim->touch = tt;
    *out = st;
    *touch = &victim->touch;
    return SQLITE_OK;
}

/* After a schema change every cached statement may be stale. */
static void table_cache_clear(struct table_model_state *t)
{
    for (int i = 0; i < TABLE_STMT_CACHE; i++)
        if (t->cache[i].st != NULL)
            table_cache_evict(&t->cache[i]);
}

void table_bind_value(sqlite3_stmt *st, int k, const struct table_value *v)
{
    switch (v->type) {
    case TABLE_INT:
        sqlite3_bind_int64(st, k, v->i);
        break;
    case TABLE_REAL:
        sqlite3_bind_double(st, k, v->r);
        break;
    case TABLE_TEXT:
        sqlite3_bind_text(st, k, (const char *)v->p, (int)v->len, SQLITE_STATIC);
        break;
    case TABLE_BLOB:
        sqlite3_bind_blob(st, k, v->p, (int)v->len, SQLITE_STATIC);
        break;
    default:
        sqlite3_bind_null(st, k);
    }
}

static void table_bind(sqlite3_stmt *st, const struct table_stmt *ts)
{
    for (uint32_t p = 0; p < ts->n_params; p++)
        table_bind_value(st, (int)p + 1, &ts->params[p]);
}

/* Runs one statement; hashes its rows into *hash and, when rows is given,
 * writes the OK output head and rows into it. Returns SQLITE_DONE or the
 * failing code (the SQLSTATE is read from the connection). read_only refuses
 * a statement that would write. */
static int table_step_stmt(sqlite3 *db, sqlite3_stmt *st, const struct table_stmt *ts,
                           bool read_only, uint64_t *hash, struct buf *rows, uint64_t *changes,
                           char sqlstate[6], char *msg, size_t cap)
{
    int rc;
    if (read_only && !sqlite3_stmt_readonly(st)) {
        memcpy(sqlstate, "25006", 6);
        snprintf(msg, cap, "cannot execute a write in a read-only run");
        return SQLITE_READONLY;
    }
    table_bind(st, ts);
    int ncols = sqlite3_column_count(st);
    if (rows != NULL) {
        table_output_head(rows, (uint32_t)ncols);
        for (int c = 0; c < ncols; c++)
            table_output_head_col(rows, sqlite3_column_name(st, c),
                                  sqlite3_column_decltype(st, c));
    }
    uint64_t steps = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (++steps > TABLE_ROWS_SCANNED_MAX)
            break;
        if (rows != NULL)
            buf_append_u8(rows, 1);
        for (int c = 0; c < ncols; c++) {
            struct table_value v;
            table_value_from_sqlite(sqlite3_column_value(st, c), &v);
            *hash = table_hash_value(*hash, &v);
            if (rows != NULL && table_value_put(rows, &v) != 0)
                rc = SQLITE_NOMEM;
        }
        if (rows != NULL && rows->len > TABLE_OUTPUT_BYTES_MAX) {
            sqlite3_reset(st);
            memcpy(sqlstate, "54000", 6);
            snprintf(msg, cap, "the statement returned more than %u bytes of rows; add a LIMIT",
                     TABLE_OUTPUT_BYTES_MAX);
            return SQLITE_TOOBIG;
        }
    }
    if (rc != SQLITE_DONE) {
        table_sqlstate(db, rc, sqlstate, msg, cap);
        sqlite3_reset(st);
        return rc;
    }
    if (rows != NULL)
        buf_append_u8(rows, 0); /* the end of the rows */
    /* changes() is the statement's own count, trigger work excluded. */
    uint64_t ch = sqlite3_stmt_readonly(st) ? 0 : (uint64_t)sqlite3_changes64(db);
    *changes = ch;
    *hash = table_fnv(*hash, &ch, sizeof ch);
    sqlite3_reset(st);
    return SQLITE_DONE;
}

enum table_stopped table_read_should_stop(const struct table_read_stop *stop,
                                          uint64_t deadline_ms)
{
    if (stop != NULL && stop->cancel != NULL && atomic_load(stop->cancel))
        return TABLE_STOPPED_CANCEL;
    if (stop != NULL && stop->node != NULL && atomic_load(stop->node))
        return TABLE_STOPPED_NODE;
    if (deadline_ms != 0 && clock_mono_ms() >= deadline_ms)
        return TABLE_STOPPED_TIME;
    return TABLE_STOPPED_NO;
}

void table_stopped_error(enum table_stopped why, uint32_t limit_ms, bool in_txn,
                         char sqlstate[6], char *msg, size_t cap)
{
    memcpy(sqlstate, "57014", 6);
    switch (why) {
    case TABLE_STOPPED_CANCEL:
        snprintf(msg, cap, "canceling statement due to user request");
        break;
    case TABLE_STOPPED_NODE:
        memcpy(sqlstate, "57P01", 6);
        snprintf(msg, cap, "canceling statement: the node is shutting down; run it again");
        break;
    case TABLE_STOPPED_TIME:
        if (!in_txn) {
            snprintf(msg, cap,
                     "canceling statement due to statement timeout: it ran for more than %u ms "
                     "(SET statement_timeout to allow longer)",
                     limit_ms);
            break;
        }
        snprintf(msg, cap,
                 "canceling statement: it ran for more than %u ms on the replicaset inside a "
                 "transaction, the longest a transaction's statement may hold up its node; "
                 "narrow it (a WHERE on an indexed column, a LIMIT) or run it outside the "
                 "transaction",
                 limit_ms);
        break;
    case TABLE_STOPPED_NO:
        snprintf(msg, cap, "canceling statement");
        break;
    }
}

/* table_step_stmt of a statement from the store's cache. */
static int table_step_all(struct store *s, struct table_model_state *t, const struct table_stmt *ts,
                          bool read_only, uint64_t *hash, struct buf *rows, uint64_t *changes,
                          char sqlstate[6], char *msg, size_t cap)
{
    sqlite3 *db = store_db(s);
    sqlite3_stmt *st;
    const struct table_touch *touch;
    int rc = table_prepare(s, t, ts->sql, ts->sql_len, &st, &touch);
    if (rc != SQLITE_OK) {
        table_sqlstate(db, rc, sqlstate, msg, cap);
        return rc;
    }
    rc = table_step_stmt(db, st, ts, read_only, hash, rows, changes, sqlstate, msg, cap);
    if ((rc & 0xff) == SQLITE_INTERRUPT)
        table_stopped_error(t->stopped, t->run_limit_ms, t->run_stop == NULL, sqlstate, msg, cap);
    return rc;
}

/* The tables a tentative run's statements so far must provide: a set of name hashes. */
struct table_need {
    uint64_t name[4 * TABLE_STMT_TABLES_MAX];
    uint32_t n;
    bool all;
};

static bool table_need_has(const struct table_need *nd, uint64_t h)
{
    for (uint32_t i = 0; i < nd->n; i++)
        if (nd->name[i] == h)
            return true;
    return false;
}

static void table_need_add(struct table_need *nd, const struct table_touch *tt)
{
    nd->all |= tt->all;
    for (uint8_t i = 0; i < tt->n && !nd->all; i++) {
        if (table_need_has(nd, tt->name[i]))
            continue;
        if (nd->n == sizeof nd->name / sizeof nd->name[0])
            nd->all = true;
        else
            nd->name[nd->n++] = tt->name[i];
    }
}

/* Which statements of a tentative run must run for its last one's answer: the last, and,
 * walking back, each earlier one that writes a table a needed one touches (reads or writes).
 * The others change nothing it could see: a SELECT, an UPDATE of another table. need gets
 * x->n flags; returns whether any statement is left out. A statement that does not prepare
 * is kept (the run then fails on it, as it would have). */
static bool table_replay_plan(struct store *s, struct table_model_state *t,
                              const struct table_exec *x, bool *need)
{
    struct table_need nd = {0};
    bool skipped = false;
    for (uint32_t k = x->n; k-- > 0;) {
        const struct table_stmt *ts = &x->stmts[k];
        sqlite3_stmt *st;
        const struct table_touch *tt;
        if (table_prepare(s, t, ts->sql, ts->sql_len, &st, &tt) != SQLITE_OK) {
            need[k] = true;
            nd.all = true;
            continue;
        }
        bool writes_needed = nd.all || tt->all;
        for (uint8_t i = 0; i < tt->n && !writes_needed; i++)
            writes_needed = (tt->writes >> i & 1) && table_need_has(&nd, tt->name[i]);
        need[k] = k + 1 == x->n || (!sqlite3_stmt_readonly(st) && writes_needed);
        if (need[k])
            table_need_add(&nd, tt);
        skipped |= !need[k];
    }
    return skipped;
}

int table_query_db(sqlite3 *db, const struct table_stmt *ts, struct buf *out)
{
    char sqlstate[6], msg[400];
    uint64_t hash = TABLE_HASH_SEED, changes = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, ts->sql, (int)ts->sql_len, &st, NULL);
    if (rc != SQLITE_OK) {
        table_sqlstate(db, rc, sqlstate, msg, sizeof msg);
        table_output_error(out, sqlstate, msg, 0);
        return rc == SQLITE_NOMEM ? ERR_NOMEM : 0;
    }
    rc = table_step_stmt(db, st, ts, true, &hash, out, &changes, sqlstate, msg, sizeof msg);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        table_output_error(out, sqlstate, msg, 0);
        return rc == SQLITE_NOMEM ? ERR_NOMEM : 0;
    }
    buf_append_u64(out, changes);
    buf_append_u64(out, hash);
    return 0;
}

uint64_t table_hash_blind(uint64_t changes)
{
    return table_fnv(TABLE_HASH_SEED, &changes, sizeof changes);
}

int table_exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* The savepoint of every run and EXEC, through statements prepared once (sqlite3_exec would
 * parse its text every time: a tenth of a short transaction's time). */
enum table_sp {
    TABLE_SP_BEGIN_WRITE, /* the write lock first, for a run that may write (table_run_begin) */
    TABLE_SP_BEGIN,
    TABLE_SP_ROLLBACK,
    TABLE_SP_RELEASE,
    /* one statement's, inside a held run's */
    TABLE_SP_STMT_BEGIN,
    TABLE_SP_STMT_ROLLBACK,
    TABLE_SP_STMT_RELEASE,
    TABLE_SP_ROLLBACK_ALL, /* the savepoint began the transaction */
};

static int table_savepoint(struct store *s, struct table_model_state *t, enum table_sp op)
{
    static const char *const sql[] = {"BEGIN IMMEDIATE",
                                      "SAVEPOINT cairn_exec", "ROLLBACK TO cairn_exec",
                                      "RELEASE cairn_exec",   "SAVEPOINT cairn_stmt",
                                      "ROLLBACK TO cairn_stmt", "RELEASE cairn_stmt",
                                      "ROLLBACK"};
    struct errbuf eb = {{0}};
    if (op == TABLE_SP_ROLLBACK || op == TABLE_SP_STMT_ROLLBACK || op == TABLE_SP_ROLLBACK_ALL)
        store_rollback_note(s);
    if (store_stmt(s, &t->savepoint[op], sql[op], &eb) != 0)
        return SQLITE_ERROR;
    int rc = sqlite3_step(t->savepoint[op]);
    sqlite3_reset(t->savepoint[op]);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Begins the run's savepoint. A run that may write and begins the transaction takes the write
 * lock first: else its first read (of the bucket states) begins a read transaction, and SQLite
 * answers a read transaction's first write with SQLITE_BUSY at once, without waiting, whenever
 * another connection holds the lock — as the store's checkpoint does for a moment
 * (store_checkpoint_background). Taken first, the lock is waited for like any other. */
static int table_run_begin(struct store *s, struct table_model_state *t, bool write)
{
    t->savepoint_outer = sqlite3_get_autocommit(store_db(s));
    bool immediate = write && t->savepoint_outer;
    int rc = immediate ? table_savepoint(s, t, TABLE_SP_BEGIN_WRITE) : SQLITE_OK;
    if (rc == SQLITE_OK)
        rc = table_savepoint(s, t, TABLE_SP_BEGIN);
    if (rc != SQLITE_OK && immediate && !sqlite3_get_autocommit(store_db(s)))
        table_savepoint(s, t, TABLE_SP_ROLLBACK_ALL);
    return rc;
}

/* Undoes the run's savepoint. One that began the transaction (a read or tentative run, not an
 * EXEC inside the store's apply) ends it with ROLLBACK: ROLLBACK TO and RELEASE would commit
 * it, writing every page it touched to the WAL again, unchanged. */
static void table_savepoint_undo(struct store *s, struct table_model_state *t)
{
    if (t->savepoint_outer) {
        table_savepoint(s, t, TABLE_SP_ROLLBACK_ALL);
        return;
    }
    table_savepoint(s, t, TABLE_SP_ROLLBACK);
    table_savepoint(s, t, TABLE_SP_RELEASE);
}

/* A run that may be held notes each statement's result hash: a COMMIT expecting other ones
 * is not what the held transaction wrote (table_held_keep). */
static bool table_held_note(struct table_model_state *t, uint32_t i, uint64_t hash)
{
    if (i >= t->held.hashes_cap) {
        uint32_t cap = t->held.hashes_cap ? t->held.hashes_cap : 16;
        while (cap <= i)
            cap *= 2;
        uint64_t *p = realloc(t->held.hashes, cap * sizeof *p);
        if (p == NULL)
            return false;
        t->held.hashes = p;
        t->held.hashes_cap = cap;
    }
    t->held.hashes[i] = hash;
    return true;
}

/* Runs every statement of x inside a savepoint. keep: release it (apply),
 * else roll it back (tentative and read runs) — or, with *held (a tentative
 * run that may hold it), leave it open when every statement succeeded and
 * none was left out, and say so in *held. out gets the output. A tentative
 * run leaves out the earlier statements its last one does not depend on
 * (table_replay_plan): their results were given already. */
static int table_run_all(struct store *s, struct table_model_state *t, const struct table_exec *x,
                         bool keep, bool read_only, bool *held, struct buf *out)
{
    sqlite3 *db = store_db(s);
    bool *need = NULL, skipped = false;
    if (!keep && !read_only && !(x->flags & TABLE_EXEC_VALIDATE) && x->n > 1) {
        need = malloc(x->n * sizeof *need);
        if (need == NULL) {
            table_output_error(out, "53200", "out of memory planning the run", 0);
            return ERR_NOMEM;
        }
        skipped = table_replay_plan(s, t, x, need);
    }
    t->env.now_us = x->now_us;
    t->env.random_seed = x->seed;
    if (table_run_begin(s, t, !read_only) != SQLITE_OK) {
        table_output_error(out, "XX000", sqlite3_errmsg(db), 0);
        return ERR_IO;
    }
    uint64_t hash = 0, changes = 0;
    char sqlstate[6], msg[400];
    bool failed = false, noted = true;
    int brc = table_bucket_run_begin(t, x, sqlstate, msg, sizeof msg);
    if (brc < 0) {
        table_bucket_run_end(t);
        table_savepoint_undo(s, t);
        table_output_error(out, "XX000", "reading the bucket states", 0);
        free(need);
        return brc;
    }
    if (brc > 0) {
        table_output_error(out, sqlstate, msg, 0);
        failed = true;
    }
    for (uint32_t i = 0; i < x->n && !failed; i++) {
        const struct table_stmt *ts = &x->stmts[i];
        uint64_t h = TABLE_HASH_SEED;
        bool last = i + 1 == x->n;
        t->env.random_seed = x->seed + i;
        t->env.statement++;
        if (need != NULL && !need[i])
            continue;
        int rc = table_step_all(s, t, ts, read_only, &h, last ? out : NULL, &changes, sqlstate,
                                msg, sizeof msg);
        if (rc != SQLITE_DONE) {
            table_output_error(out, sqlstate, msg, i);
            failed = true;
        } else if ((x->flags & TABLE_EXEC_VALIDATE) && ts->expect_hash != 0 &&
                   h != ts->expect_hash) {
            table_output_error(out, "40001",
                               "could not serialize access due to concurrent update: a row this "
                               "transaction read was changed before it committed; retry it",
                               i);
            failed = true;
        }
        hash = h; /* the output carries the last statement's own hash */
        if (held != NULL && !failed)
            noted = noted && table_held_note(t, i, h);
    }
    table_bucket_run_end(t);
    free(need);
    if (!failed && held != NULL && !skipped && noted) {
        *held = true; /* the caller holds the savepoint open */
        t->held.changes = changes;
    } else if (failed || !keep) {
        table_savepoint_undo(s, t);
        if (failed)
            return 0;
    } else if (table_savepoint(s, t, TABLE_SP_RELEASE) != SQLITE_OK) {
        return ERR_IO;
    }
    buf_append_u64(out, changes);
    buf_append_u64(out, hash);
    return 0;
}

/* ------------------------------------------------------------ meta */

int table_meta_get(struct store *s, struct table_model_state *t, const char *name, uint64_t *v,
                   struct errbuf *eb)
{
    int rc = store_stmt(s, &t->meta_get, "SELECT value FROM table_meta WHERE name = ?1", eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(t->meta_get, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(t->meta_get);
    *v = step == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(t->meta_get, 0) : 0;
    sqlite3_reset(t->meta_get);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return store_sqlite_err(store_db(s), step, "table meta", eb);
    return 0;
}

int table_meta_set(struct store *s, struct table_model_state *t, const char *name, uint64_t v,
                   struct errbuf *eb)
{
    int rc = store_stmt(s, &t->meta_set,
                        "INSERT INTO table_meta(name, value) VALUES(?1, ?2)"
                        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                        eb);
    if (rc != 0)
        return rc;
    sqlite3_bind_text(t->meta_set, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(t->meta_set, 2, (sqlite3_int64)v);
    int step = sqlite3_step(t->meta_set);
    sqlite3_reset(t->meta_set);
    return step == SQLITE_DONE ? 0 : store_sqlite_err(store_db(s), step, "table meta", eb);
}

int table_schema_version(struct store *s, uint64_t *out, struct errbuf *eb)
{
    struct table_model_state *t = store_model_state(s, STORE_MODEL_TABLE);
    return table_meta_get(s, t, "schema_version", out, eb);
}

/* ------------------------------------------------------------ apply */

int table_result_output(struct store_result *res, struct buf *out)
{
    res->output = out->data;
    res->output_len = (uint32_t)out->len;
    out->data = NULL;
    out->len = out->cap = 0;
    struct table_output o;
    if (table_output_parse(res->output, res->output_len, &o) == 0 && o.state != TABLE_STATE_OK)
        res->status = ERR_CONDITION;
    return 0;
}

static int table_apply_exec(struct store *s, struct table_model_state *t, struct codec_reader *r,
                            struct store_result *res, struct errbuf *eb)
{
    struct table_decoded d;
    int rc = table_decode_exec(r, &d);
    if (rc != 0) {
        table_decoded_free(&d);
        return err_set(eb, rc, "table exec command does not decode");
    }
    struct buf out = BUF_INIT;
    if (t->held.kept) {
        /* The held transaction is these statements (table_held_keep): what they wrote stays,
         * and the output is the run's, less the last statement's rows (its client has them). */
        t->held.kept = false;
        table_output_head(&out, 0);
        buf_append_u8(&out, 0);
        buf_append_u64(&out, t->held.changes);
        buf_append_u64(&out, t->held.hashes[d.x.n - 1]);
    } else {
        uint64_t version = 0;
        rc = table_meta_get(s, t, "schema_version", &version, eb);
        if (rc == 0 && d.x.schema_version != 0 && d.x.schema_version != version) {
            buf_append_u8(&out, TABLE_STATE_SCHEMA);
            buf_append_u64(&out, version);
        } else if (rc == 0) {
            rc = table_run_all(s, t, &d.x, true, false, NULL, &out);
            if (rc != 0)
                err_set(eb, rc, "table exec: %s", sqlite3_errmsg(store_db(s)));
        }
    }
    table_decoded_free(&d);
    if (rc == 0)
        rc = table_result_output(res, &out);
    buf_free(&out);
    return rc;
}

static int table_apply_schema(struct store *s, struct table_model_state *t, struct codec_reader *r,
                              struct store_result *res, struct errbuf *eb)
{
    uint64_t version = codec_read_u64(r);
    uint32_t len;
    const char *sql = table_get_str(r, &len, TABLE_SQL_BYTES_MAX);
    if (r->err || r->off != r->len)
        return err_set(eb, ERR_CORRUPT, "table schema command does not decode");
    uint64_t cur = 0;
    int rc = table_meta_get(s, t, "schema_version", &cur, eb);
    if (rc != 0)
        return rc;
    res->version = cur;
    if (version <= cur) {
        res->existed = true;
        return 0;
    }
    if (version != cur + 1) {
        res->status = ERR_CONDITION;
        return 0;
    }
    table_cache_clear(t);
    char *text = malloc(len + 1);
    if (text == NULL)
        return err_set(eb, ERR_NOMEM, "schema change");
    memcpy(text, sql, len);
    text[len] = '\0';
    struct buf out = BUF_INIT;
    sqlite3 *db = store_db(s);
    /* DDL from the catalog ran on the governor before it was committed
     * there; it cannot fail here unless the store is broken. */
    table_exec_sql(db, "SAVEPOINT cairn_schema");
    int src = len ? table_exec_sql(db, text) : SQLITE_OK;
    if (src != SQLITE_OK) {
        char sqlstate[6], msg[400];
        table_sqlstate(db, src, sqlstate, msg, sizeof msg);
        store_rollback_note(s);
        table_exec_sql(db, "ROLLBACK TO cairn_schema");
        table_exec_sql(db, "RELEASE cairn_schema");
        table_output_error(&out, sqlstate, msg, 0);
        free(text);
        /* The version still advances, so later changes are not held up; the
         * failure is in the log for the operator. */
        rc = table_meta_set(s, t, "schema_version", version, eb);
        if (rc == 0)
            rc = table_result_output(res, &out);
        buf_free(&out);
        return rc;
    }
    table_exec_sql(db, "RELEASE cairn_schema");
    free(text);
    rc = table_meta_set(s, t, "schema_version", version, eb);
    res->version = version;
    buf_free(&out);
    return rc;
}

static int table_apply(struct store *s, void *state, const struct raft_entry *e,
                       struct store_result *res, struct errbuf *eb)
{
    struct table_model_state *t = state;
    struct codec_reader r;
    codec_reader_init(&r, e->data, e->len);
    codec_read_u8(&r);
    uint8_t op = codec_read_u8(&r);
    if (r.err)
        return err_set(eb, ERR_CORRUPT, "table command at %" PRIu64 " is empty", e->index);
    switch (op) {
    case TABLE_OP_EXEC:
        return table_apply_exec(s, t, &r, res, eb);
    case TABLE_OP_SCHEMA:
        return table_apply_schema(s, t, &r, res, eb);
    case TABLE_OP_BUCKET_CLEAR:
        return table_apply_bucket_clear(s, t, &r, res, eb);
    case TABLE_OP_BUCKET_IMPORT:
        return table_apply_bucket_import(s, t, &r, res, eb);
    }
    return err_set(eb, ERR_UNSUPPORTED, "unknown table command %u", op);
}

/* Decodes an EXEC's bytes into d (free it with table_decoded_free, whatever this returns). */
static int table_decode_command(const uint8_t *cmd, size_t len, struct table_decoded *d,
                                struct errbuf *eb)
{
    memset(d, 0, sizeof *d);
    struct codec_reader r;
    codec_reader_init(&r, cmd, len);
    uint8_t tag = codec_read_u8(&r), op = codec_read_u8(&r);
    if (r.err || tag != STORE_MODEL_TABLE || op != TABLE_OP_EXEC)
        return err_set(eb, ERR_MALFORMED, "not a table exec");
    if (table_decode_exec(&r, d) != 0)
        return err_set(eb, ERR_MALFORMED, "table exec does not decode");
    return 0;
}

/* ---- a client transaction's savepoint held between its statements ---- */

static uint64_t table_stmt_fold(uint64_t h, const struct table_stmt *ts)
{
    h = table_fnv(h, &ts->sql_len, sizeof ts->sql_len);
    h = table_fnv(h, ts->sql, ts->sql_len);
    h = table_fnv(h, &ts->n_params, sizeof ts->n_params);
    for (uint32_t i = 0; i < ts->n_params; i++) {
        const struct table_value *v = &ts->params[i];
        h = table_fnv(h, &v->type, sizeof v->type);
        if (v->type == TABLE_INT)
            h = table_fnv(h, &v->i, sizeof v->i);
        else if (v->type == TABLE_REAL)
            h = table_fnv(h, &v->r, sizeof v->r);
        else if (v->type != TABLE_NULL)
            h = table_fnv(h, v->p, v->len);
    }
    return h;
}

static uint64_t table_stmts_fold(const struct table_stmt *ts, uint32_t n)
{
    uint64_t h = TABLE_HASH_SEED;
    for (uint32_t i = 0; i < n; i++)
        h = table_stmt_fold(h, &ts[i]);
    return h;
}

/* store_hold's release: the held savepoint is rolled back. */
static void table_held_release(void *arg)
{
    struct table_model_state *t = arg;
    table_savepoint_undo(t->store, t);
    t->held.session = 0;
}

/* store_hold's keep: whether e is the COMMIT of the held transaction — an EXEC of exactly its
 * statements at the same moment and seed, on the same schema, expecting the results they gave
 * — so that applying e would write just what the savepoint holds. Nothing was applied since
 * the savepoint began (an apply asks this first, and releases it otherwise), so the state they
 * ran on is the state e is applied to. */
static bool table_held_keep(void *arg, const struct raft_entry *e)
{
    struct table_model_state *t = arg;
    /* Only a transaction that wrote: it holds the write lock, so its snapshot is the database's
     * latest. A read transaction's may be older than what the store's checkpoint wrote on its
     * own connection since, and could not write the apply's metadata. */
    if (t->held.session == 0 || t->store == NULL || e->type != RAFT_ENTRY_NORMAL ||
        sqlite3_txn_state(store_db_unreleased(t->store), "main") != SQLITE_TXN_WRITE)
        return false;
    struct table_decoded d;
    struct errbuf eb;
    bool same = table_decode_command(e->data, e->len, &d, &eb) == 0 &&
                d.x.flags == TABLE_EXEC_VALIDATE &&
                d.x.n == t->held.n && d.x.now_us == t->held.now_us && d.x.seed == t->held.seed &&
                t->run_version_known && t->run_version_at == store_applied_index(t->store) &&
                (d.x.schema_version == 0 || d.x.schema_version == t->run_version) &&
                table_stmts_fold(d.x.stmts, d.x.n) == t->held.prefix;
    for (uint32_t i = 0; same && i < d.x.n; i++)
        same = d.x.stmts[i].expect_hash == 0 || d.x.stmts[i].expect_hash == t->held.hashes[i];
    table_decoded_free(&d);
    if (same) {
        t->held.session = 0; /* no longer held: it is the batch's transaction now */
        t->held.kept = true;
    }
    return same;
}

static const struct store_holder table_holder = {.release = table_held_release,
                                                 .keep = table_held_keep};

/* Whether x is the held transaction's statements and one more, at the same moment and seed,
 * and the savepoint is still open (SQLite rolls a whole transaction back on some errors: an
 * interrupt, a full disk). */
static bool table_held_continues(const struct table_model_state *t, const struct table_exec *x)
{
    return t->held.session != 0 && t->held.session == x->session && x->n == t->held.n + 1 &&
           t->store != NULL && !sqlite3_get_autocommit(store_db_unreleased(t->store)) &&
           x->now_us == t->held.now_us && x->seed == t->held.seed && x->flags == 0 &&
           table_stmts_fold(x->stmts, x->n - 1) == t->held.prefix;
}

/* The held transaction's next statement: it alone runs, in a savepoint of its own inside the
 * held one, undone alone when it fails. The store is held again after, either way — except
 * when the statement could not write for the held transaction's snapshot being older than the
 * database (a read transaction, and the store's checkpoint wrote on its own connection since):
 * then nothing is held and *replay says to run the whole transaction afresh. */
static int table_run_next(struct store *s, struct table_model_state *t, const struct table_exec *x,
                          struct buf *out, bool *replay)
{
    const struct table_stmt *ts = &x->stmts[x->n - 1];
    t->env.now_us = x->now_us;
    t->env.random_seed = x->seed + x->n - 1;
    t->env.statement++;
    if (table_savepoint(s, t, TABLE_SP_STMT_BEGIN) != SQLITE_OK) {
        table_output_error(out, "XX000", sqlite3_errmsg(store_db(s)), 0);
        table_held_release(t);
        return ERR_IO;
    }
    char sqlstate[6], msg[400];
    uint64_t h = TABLE_HASH_SEED, changes = 0;
    int brc = table_bucket_run_begin(t, x, sqlstate, msg, sizeof msg);
    int rc = brc == 0 ? table_step_all(s, t, ts, false, &h, out, &changes, sqlstate, msg,
                                       sizeof msg)
                      : SQLITE_ERROR;
    table_bucket_run_end(t);
    if (brc < 0) {
        table_savepoint(s, t, TABLE_SP_STMT_ROLLBACK);
        table_savepoint(s, t, TABLE_SP_STMT_RELEASE);
        table_held_release(t);
        table_output_error(out, "XX000", "reading the bucket states", 0);
        return brc;
    }
    if ((rc & 0xff) == SQLITE_BUSY) {
        table_savepoint(s, t, TABLE_SP_STMT_ROLLBACK);
        table_savepoint(s, t, TABLE_SP_STMT_RELEASE);
        table_held_release(t);
        buf_reset(out);
        *replay = true;
        return 0;
    }
    if (rc != SQLITE_DONE) {
        table_output_error(out, sqlstate, msg, x->n - 1);
        table_savepoint(s, t, TABLE_SP_STMT_ROLLBACK);
        table_savepoint(s, t, TABLE_SP_STMT_RELEASE);
    } else {
        table_savepoint(s, t, TABLE_SP_STMT_RELEASE);
        buf_append_u64(out, changes);
        buf_append_u64(out, h);
        if (!table_held_note(t, t->held.n, h)) {
            table_held_release(t); /* out of memory: COMMIT replays it all */
            return 0;
        }
        t->held.n++;
        t->held.prefix = table_stmt_fold(t->held.prefix, ts);
        t->held.changes = changes;
    }
    if (sqlite3_get_autocommit(store_db(s))) {
        t->held.session = 0; /* SQLite rolled the whole transaction back: nothing to hold */
        return 0;
    }
    store_hold(s, &table_holder, t);
    return 0;
}

int table_run(struct store *s, const struct table_exec *x, bool tentative, struct buf *out,
              struct errbuf *eb)
{
    struct table_model_state *t = store_model_state(s, STORE_MODEL_TABLE);
    ASSERT(t != NULL);
    buf_reset(out);
    /* The held transaction goes on, or whatever is held is rolled back first. */
    bool next = tentative && x->session != 0 && table_held_continues(t, x);
    if (next)
        store_hold(s, NULL, NULL);
    else
        store_release(s);
    uint64_t at = store_applied_index(s);
    if (!t->run_version_known || t->run_version_at != at) {
        int rc = table_meta_get(s, t, "schema_version", &t->run_version, eb);
        if (rc != 0)
            return rc;
        t->run_version_at = at;
        t->run_version_known = true;
    }
    uint64_t version = t->run_version;
    if (x->schema_version != 0 && x->schema_version != version) {
        if (next)
            table_held_release(t);
        buf_append_u8(out, TABLE_STATE_SCHEMA);
        buf_append_u64(out, version);
        return 0;
    }
    bool deferrable = !tentative && x->loop_ms != 0;
    t->run_limit_ms = deferrable ? x->loop_ms : TABLE_RUN_MS_MAX;
    t->run_deadline_ms = clock_mono_ms() + t->run_limit_ms;
    t->stopped = TABLE_STOPPED_NO;
    int rc = 0;
    if (next) {
        bool replay = false;
        rc = table_run_next(s, t, x, out, &replay);
        next = !replay;
    }
    if (!next) {
        bool held = false;
        bool may_hold = tentative && x->session != 0 && (x->flags & ~TABLE_EXEC_VALIDATE) == 0;
        rc = table_run_all(s, t, x, false, !tentative, may_hold ? &held : NULL, out);
        if (held && sqlite3_get_autocommit(store_db(s))) {
            held = false;
        }
        if (held) {
            t->held.session = x->session;
            t->held.n = x->n;
            t->held.prefix = table_stmts_fold(x->stmts, x->n);
            t->held.now_us = x->now_us;
            t->held.seed = x->seed;
            store_hold(s, &table_holder, t);
        }
    }
    t->run_deadline_ms = 0;
    if (deferrable && t->stopped == TABLE_STOPPED_TIME) {
        buf_reset(out);
        return ERR_AGAIN; /* too long for the loop: table_read runs it again */
    }
    return rc;
}

int table_read(struct store *r, const struct table_exec *x, const struct table_read_stop *stop,
               struct buf *out, struct errbuf *eb)
{
    struct table_model_state *t = store_model_state(r, STORE_MODEL_TABLE);
    ASSERT(t != NULL);
    buf_reset(out);
    sqlite3 *db = store_db(r);
    /* One read transaction: the version checked is the schema the statements see. */
    int src = table_exec_sql(db, "BEGIN");
    if (src != SQLITE_OK)
        return store_sqlite_err(db, src, "begin a read", eb);
    uint64_t version;
    int rc = table_meta_get(r, t, "schema_version", &version, eb);
    if (rc == 0 && x->schema_version != 0 && x->schema_version != version) {
        buf_append_u8(out, TABLE_STATE_SCHEMA);
        buf_append_u64(out, version);
    } else if (rc == 0) {
        t->run_stop = stop;
        t->run_limit_ms = table_read_limit_ms(stop->limit_ms);
        t->run_deadline_ms = clock_mono_ms() + t->run_limit_ms;
        t->stopped = TABLE_STOPPED_NO;
        rc = table_run_all(r, t, x, false, true, NULL, out);
        t->run_deadline_ms = 0;
        t->run_stop = NULL;
    }
    if (!sqlite3_get_autocommit(db))
        table_exec_sql(db, "ROLLBACK"); /* it only read (a reader: no epoch to move) */
    return rc;
}

int table_run_encoded(struct store *s, const uint8_t *cmd, size_t len, bool tentative,
                      uint32_t loop_ms, struct buf *out, struct errbuf *eb)
{
    struct table_decoded d;
    int rc = table_decode_command(cmd, len, &d, eb);
    if (rc == 0) {
        d.x.loop_ms = loop_ms;
        rc = table_run(s, &d.x, tentative, out, eb);
    }
    table_decoded_free(&d);
    return rc;
}

int table_read_encoded(struct store *r, const uint8_t *cmd, size_t len,
                       const struct table_read_stop *stop, struct buf *out, struct errbuf *eb)
{
    struct table_decoded d;
    int rc = table_decode_command(cmd, len, &d, eb);
    if (rc == 0)
        rc = table_read(r, &d.x, stop, out, eb);
    table_decoded_free(&d);
    return rc;
}

/* ------------------------------------------------------------ open/close */

/* Readies db to run this model's schema: the SQL functions that DEFAULTs, CHECKs and the hidden
 * __bucket column call. Used for the store's own connection and for a snapshot's restore. */
/* SQLite's progress handler: non-zero interrupts the statement. */
static int table_progress(void *arg)
{
    struct table_model_state *t = arg;
    if (t->run_deadline_ms == 0)
        return 0; /* applying: never stopped */
    t->stopped = table_read_should_stop(t->run_stop, t->run_deadline_ms);
    return t->stopped != TABLE_STOPPED_NO;
}

static int table_prepare_db(sqlite3 *db, uint32_t bucket_count, void **state, struct errbuf *eb)
{
    struct table_model_state *t = calloc(1, sizeof *t);
    if (t == NULL)
        return err_set(eb, ERR_NOMEM, "table state");
    t->bucket_count = bucket_count != 0 ? bucket_count : 1;
    int rc = sql_func_register(db, &t->env, eb);
    if (rc == 0 &&
        sqlite3_create_function(db, "cairn_bucket", -1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, t,
                                table_fn_bucket, NULL, NULL) != SQLITE_OK)
        rc = err_set(eb, ERR_NOMEM, "registering cairn_bucket");
    if (rc == 0)
        rc = table_bucket_register(db, t, eb);
    if (rc == 0)
        rc = table_rows_register(db, eb);
    if (rc == 0) {
        sqlite3_progress_handler(db, TABLE_PROGRESS_OPS, table_progress, t);
        sqlite3_set_authorizer(db, table_authorize, t);
    }
    /* The schema is ours alone (written only by replicated DDL), so it is trusted. */
    if (rc == 0)
        table_exec_sql(db, "PRAGMA case_sensitive_like = ON; PRAGMA trusted_schema = ON");
    /* "nope" is an identifier, never a string: an unknown column must be an error. */
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    if (rc != 0) {
        free(t);
        return rc;
    }
    *state = t;
    return 0;
}

static int table_open(struct store *s, void **state, struct errbuf *eb)
{
    int rc = table_prepare_db(store_db(s), store_bucket_count(s), state, eb);
    if (rc == 0)
        ((struct table_model_state *)*state)->store = s; /* the bucket checks read its states */
    return rc;
}

static void table_close(void *state)
{
    struct table_model_state *t = state;
    if (t == NULL)
        return;
    table_cache_clear(t);
    sqlite3_finalize(t->meta_get);
    sqlite3_finalize(t->meta_set);
    for (int i = 0; i < TABLE_SAVEPOINT_STMTS; i++)
        sqlite3_finalize(t->savepoint[i]);
    free(t->states);
    free(t->held.hashes);
    free(t);
}

const struct store_model table_model = {
    .tag = STORE_MODEL_TABLE,
    .name = "table",
    .schema_sql = table_schema_sql,
    .n_tables = 1,
    .tables = {{"table_meta", "name, value", 2, "name"}},
    .open = table_open,
    .prepare = table_prepare_db,
    .close = table_close,
    .apply = table_apply,
};
