/* Snapshots of the state store: a stream of checksummed chunks cut from one
 * read transaction, and the restore that rebuilds a database from them beside
 * the live one and renames it into place. Neither side holds more than one
 * chunk and one row in memory.
 *
 * The stream has the models' declared tables first, each a TABLE record and
 * its rows, then every object the models made at run time (the table model's
 * SQL tables and their indexes): an OBJECT record with its definition, and
 * for a table its rows. Tables come before indexes (building an index over
 * restored rows is cheaper than maintaining it) and triggers last (restoring
 * rows fires none). An END record counts what came. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/codec.h"
#include "base/crc32c.h"
#include "store/store.h"
#include "store/store_internal.h"

#define SNAP_MAGIC                0x504E5343u /* "CSNP" */
#define SNAP_FORMAT               2
#define SNAP_FLAG_LAST            0x01
#define SNAP_TABLE_NAME_BYTES_MAX 64
/* Bounds on what an OBJECT record carries. */
#define SNAP_OBJECT_NAME_BYTES_MAX 256
#define SNAP_OBJECT_SQL_BYTES_MAX  (1024 * 1024)
#define SNAP_OBJECT_COLUMNS_MAX    32767 /* SQLite's own limit on a table's columns */

/* Records of the payload stream. */
enum snap_rec { SNAP_REC_TABLE = 1, SNAP_REC_ROW = 2, SNAP_REC_END = 3, SNAP_REC_OBJECT = 4 };
/* What an OBJECT record defines. */
enum snap_object_kind {
    SNAP_OBJ_TABLE = 1,
    SNAP_OBJ_INDEX = 2,
    SNAP_OBJ_VIEW = 3,
    SNAP_OBJ_TRIGGER = 4
};
/* Column values in a row record. */
enum snap_val {
    SNAP_VAL_NULL = 0,
    SNAP_VAL_INT = 1,
    SNAP_VAL_FLOAT = 2,
    SNAP_VAL_TEXT = 3,
    SNAP_VAL_BLOB = 4
};

_Static_assert(STORE_SNAPSHOT_CHUNK_BYTES_MIN >
                   STORE_SNAPSHOT_HEADER_BYTES + STORE_SNAPSHOT_TRAILER_BYTES,
               "a chunk must have room for payload");

/* ---- Objects the models made at run time ---- */

struct snap_object {
    uint8_t kind; /* enum snap_object_kind */
    char *name;
    char *sql; /* its CREATE statement, as sqlite_schema keeps it */
};

static void snap_objects_free(struct snap_object *objs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(objs[i].name);
        free(objs[i].sql);
    }
    free(objs);
}

static uint8_t snap_object_kind(const char *type)
{
    if (strcmp(type, "table") == 0)
        return SNAP_OBJ_TABLE;
    if (strcmp(type, "index") == 0)
        return SNAP_OBJ_INDEX;
    if (strcmp(type, "view") == 0)
        return SNAP_OBJ_VIEW;
    return SNAP_OBJ_TRIGGER;
}

/* The objects of db that a fresh store's schema does not have, in the order
 * they are restored: tables, indexes, views, triggers, each in the order they
 * were made. SQLite's own (sqlite_sequence, sqlite_stat1, automatic indexes)
 * are left out: they follow from the rest. */
static int snap_objects_list(sqlite3 *db, struct snap_object **out, uint32_t *n_out,
                             struct errbuf *eb)
{
    *out = NULL;
    *n_out = 0;
    sqlite3 *fresh = NULL;
    if (sqlite3_open_v2(":memory:", &fresh, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sqlite3_close(fresh);
        return err_set(eb, ERR_NOMEM, "snapshot: an in-memory database");
    }
    sqlite3_stmt *list = NULL, *known = NULL;
    struct snap_object *objs = NULL;
    uint32_t n = 0, cap = 0;
    int rc = store_create_schema(fresh, eb);
    if (rc == 0 &&
        sqlite3_prepare_v2(fresh, "SELECT 1 FROM sqlite_schema WHERE name = ?1", -1, &known,
                           NULL) != SQLITE_OK)
        rc = store_sqlite_err(fresh, sqlite3_errcode(fresh), "snapshot schema", eb);
    if (rc == 0 &&
        sqlite3_prepare_v2(db,
                           "SELECT type, name, sql FROM sqlite_schema"
                           " WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
                           " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
                           " WHEN 'view' THEN 2 ELSE 3 END, rowid",
                           -1, &list, NULL) != SQLITE_OK)
        rc = store_sqlite_err(db, sqlite3_errcode(db), "snapshot schema", eb);
    while (rc == 0) {
        int step = sqlite3_step(list);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = store_sqlite_err(db, step, "snapshot schema", eb);
            break;
        }
        const char *type = (const char *)sqlite3_column_text(list, 0);
        const char *name = (const char *)sqlite3_column_text(list, 1);
        const char *sql = (const char *)sqlite3_column_text(list, 2);
        if (type == NULL || name == NULL || sql == NULL) {
            rc = err_set(eb, ERR_NOMEM, "snapshot schema");
            break;
        }
        sqlite3_reset(known);
        sqlite3_bind_text(known, 1, name, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(known) == SQLITE_ROW)
            continue; /* made by the models' schema: a declared table or its index */
        if (strlen(name) > SNAP_OBJECT_NAME_BYTES_MAX || strlen(sql) > SNAP_OBJECT_SQL_BYTES_MAX) {
            rc = err_set(eb, ERR_TOOBIG, "%s %.64s: its name or definition is too long for a "
                         "snapshot", type, name);
            break;
        }
        if (n == cap) {
            uint32_t ncap = cap ? cap * 2 : 16;
            struct snap_object *grown = realloc(objs, ncap * sizeof *grown);
            if (grown == NULL) {
                rc = err_set(eb, ERR_NOMEM, "snapshot schema");
                break;
            }
            objs = grown;
            cap = ncap;
        }
        objs[n].kind = snap_object_kind(type);
        objs[n].name = strdup(name);
        objs[n].sql = strdup(sql);
        n++;
        if (objs[n - 1].name == NULL || objs[n - 1].sql == NULL)
            rc = err_set(eb, ERR_NOMEM, "snapshot schema");
    }
    sqlite3_finalize(list);
    sqlite3_finalize(known);
    sqlite3_close(fresh);
    if (rc != 0) {
        snap_objects_free(objs, n);
        return rc;
    }
    *out = objs;
    *n_out = n;
    return 0;
}

static void snap_quote(struct buf *b, const char *ident)
{
    buf_append_u8(b, '"');
    for (const char *c = ident; *c != '\0'; c++) {
        if (*c == '"')
            buf_append_u8(b, '"');
        buf_append_u8(b, (uint8_t)*c);
    }
    buf_append_u8(b, '"');
}

/* The columns a snapshot copies of a run-time table, as a list for SELECT and
 * INSERT: its rowid first unless it is WITHOUT ROWID (kept, so that rows
 * inserted later are numbered as on every other replica), then every column
 * that is not generated (those are computed again as the row is inserted).
 * Both sides compute it from the same definition. *order names the rowid for
 * ORDER BY, or is "" for a table ordered by its primary key. */
static int snap_object_columns(sqlite3 *db, const char *table, struct buf *cols, uint32_t *n,
                               const char **order, struct errbuf *eb)
{
    static const char *const rowid_names[] = {"_rowid_", "rowid", "oid"};
    bool rowid_taken[3] = {false, false, false};
    bool without_rowid = false;
    buf_reset(cols);
    *n = 0;
    *order = "";
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "SELECT wr FROM pragma_table_list WHERE schema = 'main' AND name = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, table, eb);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        without_rowid = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return err_set(eb, ERR_CORRUPT, "snapshot: no table %s", table);

    struct buf named = BUF_INIT;
    rc = sqlite3_prepare_v2(db, "SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid", -1,
                            &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, table, eb);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (name == NULL)
            continue;
        for (size_t i = 0; i < 3; i++)
            if (sqlite3_stricmp(name, rowid_names[i]) == 0)
                rowid_taken[i] = true;
        if (sqlite3_column_int(st, 1) != 0)
            continue; /* generated */
        if (named.len > 0)
            buf_append(&named, ", ", 2);
        snap_quote(&named, name);
        (*n)++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        buf_free(&named);
        return store_sqlite_err(db, rc, table, eb);
    }
    if (!without_rowid) {
        size_t i = 0;
        while (i < 3 && rowid_taken[i])
            i++;
        if (i == 3) {
            buf_free(&named);
            return err_set(eb, ERR_UNSUPPORTED,
                           "table %s has columns named _rowid_, rowid and oid: its rowid cannot "
                           "be copied", table);
        }
        *order = rowid_names[i];
        buf_append(cols, rowid_names[i], strlen(rowid_names[i]));
        (*n)++;
        if (named.len > 0)
            buf_append(cols, ", ", 2);
    }
    int err = buf_append(cols, named.data, named.len);
    err |= buf_append_u8(cols, 0);
    buf_free(&named);
    if (err != 0)
        return err_set(eb, ERR_NOMEM, "snapshot columns of %s", table);
    if (*n == 0 || *n > SNAP_OBJECT_COLUMNS_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot: table %s has %u columns to copy", table, *n);
    return 0;
}

/* ---- The sending side ---- */

struct store_snapshot {
    sqlite3 *db; /* its own connection, inside one read transaction */
    uint32_t chunk_bytes_max;
    uint64_t index;
    uint64_t term;
    const struct store_table *tables[STORE_TABLES_MAX];
    uint32_t n_tables;
    struct snap_object *objects; /* made at run time, read in the same transaction */
    uint32_t n_objects;
    /* Position in the stream. */
    uint32_t table;     /* the declared table or, from n_tables on, the object being read, or
                           the next one when rows is NULL */
    sqlite3_stmt *rows; /* the current table's SELECT */
    uint32_t n_columns; /* of the current table */
    uint64_t n_rows;
    bool end_written;
    struct buf pending; /* encoded bytes not yet sent: pending.data[off..len) */
    size_t off;
    uint64_t seq; /* the next chunk's sequence number */
    bool done;
};

static int snap_meta(sqlite3 *db, const char *name, uint64_t *value, struct errbuf *eb)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = ?1", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_err(db, rc, "read metadata", eb);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    int err = 0;
    if (rc == SQLITE_ROW)
        *value = (uint64_t)sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        err = err_set(eb, ERR_CORRUPT, "metadata has no %s", name);
    else
        err = store_sqlite_err(db, rc, "read metadata", eb);
    sqlite3_finalize(st);
    return err;
}

static void snap_rewind(struct store_snapshot *sn)
{
    sqlite3_finalize(sn->rows);
    sn->rows = NULL;
    sn->table = 0;
    sn->n_rows = 0;
    sn->end_written = false;
    buf_reset(&sn->pending);
    sn->off = 0;
    sn->seq = 0;
    sn->done = false;
}

int store_snapshot_open(struct store *s, uint32_t chunk_bytes_max, struct store_snapshot **out,
                        struct errbuf *eb)
{
    store_release(s); /* nothing uncommitted is open while the snapshot starts */
    if (chunk_bytes_max == 0)
        chunk_bytes_max = STORE_SNAPSHOT_CHUNK_BYTES_DEFAULT;
    if (chunk_bytes_max < STORE_SNAPSHOT_CHUNK_BYTES_MIN ||
        chunk_bytes_max > STORE_SNAPSHOT_CHUNK_BYTES_MAX)
        return err_set(eb, ERR_INVAL, "snapshot chunk size %u is not within %d..%d",
                       chunk_bytes_max, STORE_SNAPSHOT_CHUNK_BYTES_MIN,
                       STORE_SNAPSHOT_CHUNK_BYTES_MAX);
    struct store_snapshot *sn = calloc(1, sizeof *sn);
    if (sn == NULL)
        return err_set(eb, ERR_NOMEM, "snapshot");
    sn->chunk_bytes_max = chunk_bytes_max;
    sn->n_tables = store_tables(sn->tables);
    int rc = store_connect(s->path, false, &sn->db, eb);
    if (rc != 0) {
        free(sn);
        return rc;
    }
    /* The read transaction starts at the first read, which is of the applied
     * index: rows and index come from the same commit. */
    rc = store_exec(sn->db, "PRAGMA query_only=ON; BEGIN", "snapshot begin", eb);
    if (rc == 0)
        rc = snap_meta(sn->db, STORE_META_APPLIED_INDEX, &sn->index, eb);
    if (rc == 0)
        rc = snap_meta(sn->db, STORE_META_APPLIED_TERM, &sn->term, eb);
    if (rc == 0)
        rc = snap_objects_list(sn->db, &sn->objects, &sn->n_objects, eb);
    if (rc != 0) {
        store_snapshot_close(sn);
        return rc;
    }
    *out = sn;
    return 0;
}

void store_snapshot_close(struct store_snapshot *sn)
{
    if (sn == NULL)
        return;
    sqlite3_finalize(sn->rows);
    if (sn->db != NULL) {
        sqlite3_exec(sn->db, "ROLLBACK", NULL, NULL, NULL); /* ends the read transaction */
        int rc = sqlite3_close(sn->db);
        ASSERT(rc == SQLITE_OK);
    }
    buf_free(&sn->pending);
    snap_objects_free(sn->objects, sn->n_objects);
    free(sn);
}

uint64_t store_snapshot_index(const struct store_snapshot *sn)
{
    return sn->index;
}

uint64_t store_snapshot_term(const struct store_snapshot *sn)
{
    return sn->term;
}

static int snap_put_table(struct store_snapshot *sn, const struct store_table *t)
{
    size_t name_len = strlen(t->name);
    ASSERT(name_len <= SNAP_TABLE_NAME_BYTES_MAX && t->n_columns <= UINT8_MAX);
    int rc = buf_append_u8(&sn->pending, SNAP_REC_TABLE);
    rc |= buf_append_uvarint(&sn->pending, name_len);
    rc |= buf_append(&sn->pending, t->name, name_len);
    rc |= buf_append_u8(&sn->pending, (uint8_t)t->n_columns);
    return rc;
}

static const char *snap_current_name(const struct store_snapshot *sn)
{
    return sn->table < sn->n_tables ? sn->tables[sn->table]->name
                                    : sn->objects[sn->table - sn->n_tables].name;
}

static int snap_put_object(struct store_snapshot *sn, const struct snap_object *o)
{
    size_t name_len = strlen(o->name), sql_len = strlen(o->sql);
    int rc = buf_append_u8(&sn->pending, SNAP_REC_OBJECT);
    rc |= buf_append_u8(&sn->pending, o->kind);
    rc |= buf_append_uvarint(&sn->pending, name_len);
    rc |= buf_append(&sn->pending, o->name, name_len);
    rc |= buf_append_uvarint(&sn->pending, sql_len);
    rc |= buf_append(&sn->pending, o->sql, sql_len);
    if (o->kind == SNAP_OBJ_TABLE)
        rc |= buf_append_uvarint(&sn->pending, sn->n_columns);
    return rc;
}

/* Starts the next table or object: its record, and the SELECT of its rows. */
static int snap_start(struct store_snapshot *sn, struct errbuf *eb)
{
    struct buf sql = BUF_INIT;
    int rc = 0;
    if (sn->table < sn->n_tables) {
        const struct store_table *t = sn->tables[sn->table];
        sn->n_columns = t->n_columns;
        rc = buf_printf(&sql, "SELECT %s FROM %s ORDER BY %s", t->columns, t->name, t->order_by);
        if (rc == 0)
            rc = snap_put_table(sn, t);
        if (rc != 0)
            rc = err_set(eb, ERR_NOMEM, "snapshot table");
    } else {
        const struct snap_object *o = &sn->objects[sn->table - sn->n_tables];
        sn->n_columns = 0;
        if (o->kind == SNAP_OBJ_TABLE) {
            const char *order;
            struct buf cols = BUF_INIT;
            rc = snap_object_columns(sn->db, o->name, &cols, &sn->n_columns, &order, eb);
            if (rc == 0) {
                buf_printf(&sql, "SELECT %s FROM ", (const char *)cols.data);
                snap_quote(&sql, o->name);
                if (order[0] != '\0')
                    buf_printf(&sql, " ORDER BY %s", order);
                if (buf_append_u8(&sql, 0) != 0)
                    rc = err_set(eb, ERR_NOMEM, "snapshot table");
            }
            buf_free(&cols);
        }
        if (rc == 0 && snap_put_object(sn, o) != 0)
            rc = err_set(eb, ERR_NOMEM, "snapshot object");
    }
    if (rc == 0 && sql.len > 0) {
        int src = sqlite3_prepare_v2(sn->db, (const char *)sql.data, -1, &sn->rows, NULL);
        if (src != SQLITE_OK)
            rc = store_sqlite_err(sn->db, src, snap_current_name(sn), eb);
        else
            ASSERT((uint32_t)sqlite3_column_count(sn->rows) == sn->n_columns);
    }
    buf_free(&sql);
    if (rc == 0 && sn->rows == NULL)
        sn->table++; /* an index, view or trigger: its definition is all */
    return rc;
}

static int snap_put_row(struct store_snapshot *sn, uint32_t n_columns, struct errbuf *eb)
{
    struct buf *b = &sn->pending;
    size_t start = b->len;
    int rc = buf_append_u8(b, SNAP_REC_ROW);
    for (uint32_t c = 0; c < n_columns && rc == 0; c++) {
        sqlite3_stmt *st = sn->rows;
        switch (sqlite3_column_type(st, (int)c)) {
        case SQLITE_INTEGER:
            rc = buf_append_u8(b, SNAP_VAL_INT);
            rc |= buf_append_u64(b, (uint64_t)sqlite3_column_int64(st, (int)c));
            break;
        case SQLITE_FLOAT: {
            double d = sqlite3_column_double(st, (int)c);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            rc = buf_append_u8(b, SNAP_VAL_FLOAT);
            rc |= buf_append_u64(b, bits);
            break;
        }
        case SQLITE_TEXT:
        case SQLITE_BLOB: {
            bool text = sqlite3_column_type(st, (int)c) == SQLITE_TEXT;
            const void *p = text ? (const void *)sqlite3_column_text(st, (int)c)
                                 : sqlite3_column_blob(st, (int)c);
            size_t n = (size_t)sqlite3_column_bytes(st, (int)c);
            if (p == NULL && n > 0)
                return err_set(eb, ERR_NOMEM, "snapshot column of %zu bytes", n);
            rc = buf_append_u8(b, text ? SNAP_VAL_TEXT : SNAP_VAL_BLOB);
            rc |= buf_append_uvarint(b, n);
            rc |= buf_append(b, p, n);
            break;
        }
        default:
            rc = buf_append_u8(b, SNAP_VAL_NULL);
            break;
        }
    }
    if (rc != 0)
        return err_set(eb, ERR_NOMEM, "snapshot row");
    if (b->len - start > STORE_SNAPSHOT_ROW_BYTES_MAX)
        return err_set(eb, ERR_TOOBIG, "snapshot row of %zu bytes in table %s", b->len - start,
                       snap_current_name(sn));
    return 0;
}

/* Encodes records until want bytes are pending or the stream has ended. */
static int snap_fill(struct store_snapshot *sn, size_t want, struct errbuf *eb)
{
    while (sn->pending.len - sn->off < want && !sn->end_written) {
        if (sn->rows == NULL) {
            if (sn->table == sn->n_tables + sn->n_objects) {
                int rc = buf_append_u8(&sn->pending, SNAP_REC_END);
                rc |= buf_append_u64(&sn->pending, sn->n_rows);
                rc |= buf_append_u32(&sn->pending, sn->n_tables);
                rc |= buf_append_u32(&sn->pending, sn->n_objects);
                if (rc != 0)
                    return err_set(eb, ERR_NOMEM, "snapshot end");
                sn->end_written = true;
                break;
            }
            int rc = snap_start(sn, eb);
            if (rc != 0)
                return rc;
            continue;
        }
        int rc = sqlite3_step(sn->rows);
        if (rc == SQLITE_ROW) {
            rc = snap_put_row(sn, sn->n_columns, eb);
            if (rc != 0)
                return rc;
            sn->n_rows++;
        } else if (rc == SQLITE_DONE) {
            sqlite3_finalize(sn->rows);
            sn->rows = NULL;
            sn->table++;
        } else {
            return store_sqlite_err(sn->db, rc, snap_current_name(sn), eb);
        }
    }
    return 0;
}

/* Cuts the next chunk into out, or only advances past it if out is NULL. */
static int snap_cut(struct store_snapshot *sn, struct buf *out, bool *done, struct errbuf *eb)
{
    if (sn->done)
        return err_set(eb, ERR_INVAL, "snapshot stream already ended");
    /* Sent bytes are dropped once they are half the buffer: each byte moves
     * at most once on average, even when one large row spans many chunks. */
    if (sn->off > 0 && sn->off >= sn->pending.len / 2) {
        buf_consume(&sn->pending, sn->off);
        sn->off = 0;
    }
    size_t payload_max =
        sn->chunk_bytes_max - STORE_SNAPSHOT_HEADER_BYTES - STORE_SNAPSHOT_TRAILER_BYTES;
    /* One byte more than fits tells whether this chunk is the last. */
    int rc = snap_fill(sn, payload_max + 1, eb);
    if (rc != 0)
        return rc;
    size_t avail = sn->pending.len - sn->off;
    size_t n = avail < payload_max ? avail : payload_max;
    bool last = sn->end_written && avail <= payload_max;
    ASSERT(n > 0);
    if (out != NULL) {
        buf_reset(out);
        size_t total = STORE_SNAPSHOT_HEADER_BYTES + n + STORE_SNAPSHOT_TRAILER_BYTES;
        if (buf_reserve(out, total) != 0)
            return err_set(eb, ERR_NOMEM, "snapshot chunk of %zu bytes", total);
        uint8_t *h = out->data;
        codec_put_u32(h, SNAP_MAGIC);
        h[4] = SNAP_FORMAT;
        h[5] = last ? SNAP_FLAG_LAST : 0;
        codec_put_u16(h + 6, 0);
        codec_put_u64(h + 8, sn->seq);
        codec_put_u64(h + 16, sn->index);
        codec_put_u64(h + 24, sn->term);
        codec_put_u32(h + 32, sn->chunk_bytes_max);
        codec_put_u32(h + 36, (uint32_t)n);
        memcpy(h + STORE_SNAPSHOT_HEADER_BYTES, sn->pending.data + sn->off, n);
        size_t body = STORE_SNAPSHOT_HEADER_BYTES + n;
        codec_put_u32(h + body, crc32c(0, h, body));
        out->len = total;
        ASSERT(out->len <= sn->chunk_bytes_max);
    }
    sn->off += n;
    sn->seq++;
    sn->done = last;
    if (done != NULL)
        *done = last;
    return 0;
}

int store_snapshot_next(struct store_snapshot *sn, struct buf *out, bool *done, struct errbuf *eb)
{
    ASSERT(out != NULL && done != NULL);
    return snap_cut(sn, out, done, eb);
}

int store_snapshot_seek(struct store_snapshot *sn, uint64_t seq, struct errbuf *eb)
{
    /* Still inside the same read transaction: the same rows come out in the
     * same order, so the chunks before seq are the ones already sent. */
    snap_rewind(sn);
    while (sn->seq < seq) {
        if (sn->done)
            break;
        int rc = snap_cut(sn, NULL, NULL, eb);
        if (rc != 0)
            return rc;
    }
    if (sn->done)
        return err_set(eb, ERR_RANGE, "snapshot has %" PRIu64 " chunks, no chunk %" PRIu64, sn->seq,
                       seq);
    return 0;
}

int store_chunk_info(const uint8_t *chunk, size_t len, struct store_chunk_info *info,
                     struct errbuf *eb)
{
    if (len < STORE_SNAPSHOT_HEADER_BYTES + STORE_SNAPSHOT_TRAILER_BYTES)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk of %zu bytes is too short", len);
    if (len > STORE_SNAPSHOT_CHUNK_BYTES_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk of %zu bytes is too long", len);
    size_t body = len - STORE_SNAPSHOT_TRAILER_BYTES;
    uint32_t want = codec_get_u32(chunk + body), got = crc32c(0, chunk, body);
    if (want != got)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk checksum mismatch (0x%08x, not 0x%08x)",
                       got, want);
    if (codec_get_u32(chunk) != SNAP_MAGIC || chunk[4] != SNAP_FORMAT)
        return err_set(eb, ERR_CORRUPT, "not a snapshot chunk of format %d", SNAP_FORMAT);
    if ((chunk[5] & ~SNAP_FLAG_LAST) != 0 || codec_get_u16(chunk + 6) != 0)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk has unknown flags");
    info->last = (chunk[5] & SNAP_FLAG_LAST) != 0;
    info->seq = codec_get_u64(chunk + 8);
    info->index = codec_get_u64(chunk + 16);
    info->term = codec_get_u64(chunk + 24);
    info->chunk_bytes_max = codec_get_u32(chunk + 32);
    info->payload_len = codec_get_u32(chunk + 36);
    if (info->chunk_bytes_max < STORE_SNAPSHOT_CHUNK_BYTES_MIN ||
        info->chunk_bytes_max > STORE_SNAPSHOT_CHUNK_BYTES_MAX || len > info->chunk_bytes_max)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk of %zu bytes, chunk size %u", len,
                       info->chunk_bytes_max);
    if ((size_t)info->payload_len != body - STORE_SNAPSHOT_HEADER_BYTES)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk payload length %u in %zu bytes",
                       info->payload_len, len);
    return 0;
}

/* ---- The receiving side ---- */

/* pos.table outside the declared tables. */
#define RESTORE_AT_START        (-1) /* before the first record */
#define RESTORE_AT_OBJECT_TABLE (-2) /* rows go to the run-time table pos.object_name */
#define RESTORE_AT_OBJECT       (-3) /* after an index, view or trigger: no rows */

/* Where the record parser stands; saved before a chunk and put back if the
 * chunk is refused. */
struct restore_pos {
    size_t pending_len;
    size_t off;
    int table; /* index into tables of the current table, or RESTORE_AT_* */
    uint64_t n_rows;
    uint32_t n_tables_seen;
    uint32_t n_objects_seen;
    uint32_t object_columns; /* of the run-time table being restored */
    bool end_seen;
    bool seen[STORE_TABLES_MAX];
    char object_name[SNAP_OBJECT_NAME_BYTES_MAX + 1];
};

struct store_restore {
    char *path;
    char *tmp_path;
    sqlite3 *db;
    uint64_t next_seq;
    uint64_t index;
    uint64_t term;
    uint32_t chunk_bytes_max;
    bool complete;
    const struct store_table *tables[STORE_TABLES_MAX];
    uint32_t n_tables;
    sqlite3_stmt *insert[STORE_TABLES_MAX];
    sqlite3_stmt *object_insert; /* into pos.object_name, made when its first row comes */
    /* The models' functions, registered on db before the first run-time object. */
    bool prepared;
    void *model_state[STORE_MODELS_MAX];
    struct buf pending; /* received payload not yet parsed: pending.data[pos.off..len) */
    struct restore_pos pos;
};

static void restore_remove_tmp(const char *tmp)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    char name[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        int n = snprintf(name, sizeof name, "%s%s", tmp, suffixes[i]);
        if (n > 0 && (size_t)n < sizeof name)
            unlink(name);
    }
}

int store_restore_begin(const char *path, struct store_restore **out, struct errbuf *eb)
{
    if (path == NULL || path[0] == '\0' || strlen(path) > 4000)
        return err_set(eb, ERR_INVAL, "restore path is empty or too long");
    struct store_restore *rs = calloc(1, sizeof *rs);
    if (rs == NULL)
        return err_set(eb, ERR_NOMEM, "restore");
    rs->path = strdup(path);
    size_t n = strlen(path) + sizeof ".restore";
    rs->tmp_path = malloc(n);
    if (rs->path == NULL || rs->tmp_path == NULL) {
        free(rs->path);
        free(rs->tmp_path);
        free(rs);
        return err_set(eb, ERR_NOMEM, "restore path");
    }
    snprintf(rs->tmp_path, n, "%s.restore", path);
    rs->n_tables = store_tables(rs->tables);
    rs->pos.table = RESTORE_AT_START;
    restore_remove_tmp(rs->tmp_path);
    int rc = store_connect(rs->tmp_path, true, &rs->db, eb);
    if (rc != 0) {
        free(rs->path);
        free(rs->tmp_path);
        free(rs);
        return rc;
    }
    /* Durability comes at the end, from one fsync; the in-memory journal
     * still lets a refused chunk roll back. */
    rc = store_exec(rs->db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF", "restore pragmas",
                    eb);
    if (rc == 0)
        rc = store_create_schema(rs->db, eb);
    if (rc != 0) {
        store_restore_abort(rs);
        return rc;
    }
    *out = rs;
    return 0;
}

static void restore_close_db(struct store_restore *rs)
{
    for (uint32_t t = 0; t < rs->n_tables; t++) {
        sqlite3_finalize(rs->insert[t]);
        rs->insert[t] = NULL;
    }
    sqlite3_finalize(rs->object_insert);
    rs->object_insert = NULL;
    for (uint32_t m = 0; m < store_n_models; m++) {
        if (rs->model_state[m] != NULL)
            store_models[m]->close(rs->model_state[m]);
        rs->model_state[m] = NULL;
    }
    if (rs->db != NULL) {
        int rc = sqlite3_close(rs->db);
        ASSERT(rc == SQLITE_OK);
        rs->db = NULL;
    }
}

static void restore_free(struct store_restore *rs)
{
    restore_close_db(rs);
    buf_free(&rs->pending);
    free(rs->path);
    free(rs->tmp_path);
    free(rs);
}

void store_restore_abort(struct store_restore *rs)
{
    if (rs == NULL)
        return;
    restore_close_db(rs);
    restore_remove_tmp(rs->tmp_path);
    restore_free(rs);
}

uint64_t store_restore_next_seq(const struct store_restore *rs)
{
    return rs->next_seq;
}

uint64_t store_restore_index(const struct store_restore *rs)
{
    return rs->index;
}

uint64_t store_restore_term(const struct store_restore *rs)
{
    return rs->term;
}

bool store_restore_complete(const struct store_restore *rs)
{
    return rs->complete;
}

static int restore_table_record(struct store_restore *rs, struct codec_reader *r, struct errbuf *eb)
{
    uint64_t name_len = codec_read_uvarint(r);
    if (r->err == 0 && name_len > SNAP_TABLE_NAME_BYTES_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot table name of %" PRIu64 " bytes", name_len);
    const uint8_t *name = codec_read_bytes(r, (size_t)name_len);
    uint8_t n_columns = codec_read_u8(r);
    if (r->err != 0)
        return 0; /* the caller waits for more bytes or reports the error */
    struct restore_pos *pos = &rs->pos;
    for (uint32_t t = 0; t < rs->n_tables; t++) {
        const struct store_table *tab = rs->tables[t];
        if (strlen(tab->name) != name_len || memcmp(tab->name, name, name_len) != 0)
            continue;
        if (pos->seen[t] || pos->end_seen)
            return err_set(eb, ERR_CORRUPT, "snapshot has table %s twice", tab->name);
        if (pos->n_objects_seen > 0)
            return err_set(eb, ERR_CORRUPT, "snapshot has table %s after its run-time objects",
                           tab->name);
        if (n_columns != tab->n_columns)
            return err_set(eb, ERR_CORRUPT, "snapshot table %s has %u columns, not %u", tab->name,
                           n_columns, tab->n_columns);
        pos->seen[t] = true;
        pos->n_tables_seen++;
        pos->table = (int)t;
        return 0;
    }
    return err_set(eb, ERR_CORRUPT, "snapshot has unknown table %.*s", (int)name_len,
                   (const char *)name);
}

/* Binds one column value; leaves r->err set if the row is incomplete. */
static int restore_bind(struct codec_reader *r, sqlite3_stmt *st, int col, struct errbuf *eb)
{
    uint8_t type = codec_read_u8(r);
    if (r->err != 0)
        return 0;
    switch (type) {
    case SNAP_VAL_NULL:
        sqlite3_bind_null(st, col);
        return 0;
    case SNAP_VAL_INT: {
        uint64_t v = codec_read_u64(r);
        if (r->err == 0)
            sqlite3_bind_int64(st, col, (sqlite3_int64)v);
        return 0;
    }
    case SNAP_VAL_FLOAT: {
        uint64_t bits = codec_read_u64(r);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (r->err == 0)
            sqlite3_bind_double(st, col, d);
        return 0;
    }
    case SNAP_VAL_TEXT:
    case SNAP_VAL_BLOB: {
        uint64_t n = codec_read_uvarint(r);
        if (r->err == 0 && n > STORE_SNAPSHOT_ROW_BYTES_MAX)
            return err_set(eb, ERR_CORRUPT, "snapshot value of %" PRIu64 " bytes", n);
        const uint8_t *p = codec_read_bytes(r, (size_t)n);
        if (r->err != 0)
            return 0;
        if (type == SNAP_VAL_TEXT)
            sqlite3_bind_text(st, col, (const char *)p, (int)n, SQLITE_STATIC);
        else
            sqlite3_bind_blob(st, col, p, (int)n, SQLITE_STATIC);
        return 0;
    }
    default:
        return err_set(eb, ERR_CORRUPT, "snapshot value of unknown type %u", type);
    }
}

/* Registers the models' functions on the restore's connection, for the
 * DEFAULTs, CHECKs and generated columns of run-time tables. The bucket
 * count is the restored store's: its metadata came first. */
static int restore_prepare_models(struct store_restore *rs, struct errbuf *eb)
{
    if (rs->prepared)
        return 0;
    uint64_t buckets = 0;
    int rc = snap_meta(rs->db, STORE_META_BUCKET_COUNT, &buckets, eb);
    if (rc != 0)
        return rc;
    if (buckets == 0 || buckets > STORE_BUCKET_COUNT_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot of a store with %" PRIu64 " buckets", buckets);
    for (uint32_t m = 0; m < store_n_models && rc == 0; m++)
        if (store_models[m]->prepare != NULL)
            rc = store_models[m]->prepare(rs->db, (uint32_t)buckets, &rs->model_state[m], eb);
    rs->prepared = rc == 0;
    return rc;
}

/* Runs one CREATE statement from the snapshot: exactly one statement, and
 * one that creates. */
static int restore_create(struct store_restore *rs, const char *sql, size_t len, const char *name,
                          struct errbuf *eb)
{
    if (len < 7 || sqlite3_strnicmp(sql, "CREATE ", 7) != 0)
        return err_set(eb, ERR_CORRUPT, "snapshot object %s is not made by CREATE", name);
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(rs->db, sql, (int)len, &st, &tail);
    if (rc == SQLITE_OK && (st == NULL || tail != sql + len)) {
        sqlite3_finalize(st);
        return err_set(eb, ERR_CORRUPT, "snapshot object %s is not one statement", name);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return 0;
    int err = store_sqlite_err(rs->db, rc, name, eb);
    return (rc & 0xff) == SQLITE_ERROR ? err_set(eb, ERR_CORRUPT, "snapshot object %s: %s", name,
                                                 sqlite3_errmsg(rs->db))
                                       : err;
}

static int restore_object_record(struct store_restore *rs, struct codec_reader *r,
                                 struct errbuf *eb)
{
    uint8_t kind = codec_read_u8(r);
    uint64_t name_len = codec_read_uvarint(r);
    if (r->err == 0 && name_len > SNAP_OBJECT_NAME_BYTES_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot object name of %" PRIu64 " bytes", name_len);
    const uint8_t *name = codec_read_bytes(r, (size_t)name_len);
    uint64_t sql_len = codec_read_uvarint(r);
    if (r->err == 0 && sql_len > SNAP_OBJECT_SQL_BYTES_MAX)
        return err_set(eb, ERR_CORRUPT, "snapshot object definition of %" PRIu64 " bytes",
                       sql_len);
    const uint8_t *sql = codec_read_bytes(r, (size_t)sql_len);
    uint64_t n_columns = kind == SNAP_OBJ_TABLE ? codec_read_uvarint(r) : 0;
    if (r->err != 0)
        return 0;
    struct restore_pos *pos = &rs->pos;
    if (kind < SNAP_OBJ_TABLE || kind > SNAP_OBJ_TRIGGER)
        return err_set(eb, ERR_CORRUPT, "snapshot object of unknown kind %u", kind);
    if (pos->end_seen || pos->n_tables_seen != rs->n_tables)
        return err_set(eb, ERR_CORRUPT, "snapshot object %.*s out of place", (int)name_len,
                       (const char *)name);
    if (name_len == 0 || memchr(name, '\0', (size_t)name_len) != NULL ||
        memchr(sql, '\0', (size_t)sql_len) != NULL)
        return err_set(eb, ERR_CORRUPT, "snapshot object with a malformed name or definition");
    char obj_name[SNAP_OBJECT_NAME_BYTES_MAX + 1];
    memcpy(obj_name, name, (size_t)name_len);
    obj_name[name_len] = '\0';
    int rc = restore_prepare_models(rs, eb);
    if (rc == 0)
        rc = restore_create(rs, (const char *)sql, (size_t)sql_len, obj_name, eb);
    if (rc != 0)
        return rc;
    sqlite3_finalize(rs->object_insert);
    rs->object_insert = NULL;
    pos->n_objects_seen++;
    pos->table = RESTORE_AT_OBJECT;
    if (kind != SNAP_OBJ_TABLE)
        return 0;
    struct buf cols = BUF_INIT;
    const char *order;
    uint32_t have = 0;
    rc = snap_object_columns(rs->db, obj_name, &cols, &have, &order, eb);
    buf_free(&cols);
    if (rc != 0)
        return rc;
    if (have != n_columns)
        return err_set(eb, ERR_CORRUPT, "snapshot table %s has %" PRIu64 " columns, not %u",
                       obj_name, n_columns, have);
    memcpy(pos->object_name, obj_name, (size_t)name_len + 1);
    pos->object_columns = have;
    pos->table = RESTORE_AT_OBJECT_TABLE;
    return 0;
}

/* The INSERT for the run-time table rows are going to. */
static int restore_object_insert(struct store_restore *rs, struct errbuf *eb)
{
    if (rs->object_insert != NULL)
        return 0;
    struct buf cols = BUF_INIT, sql = BUF_INIT;
    const char *order;
    uint32_t n = 0;
    int rc = snap_object_columns(rs->db, rs->pos.object_name, &cols, &n, &order, eb);
    if (rc == 0) {
        buf_printf(&sql, "INSERT INTO ");
        snap_quote(&sql, rs->pos.object_name);
        buf_printf(&sql, "(%s) VALUES(", (const char *)cols.data);
        for (uint32_t c = 0; c < n; c++)
            buf_printf(&sql, "%s?", c ? "," : "");
        if (buf_printf(&sql, ")") != 0 || n != rs->pos.object_columns)
            rc = err_set(eb, ERR_NOMEM, "snapshot insert into %s", rs->pos.object_name);
    }
    if (rc == 0) {
        int src = sqlite3_prepare_v3(rs->db, (const char *)sql.data, -1,
                                     SQLITE_PREPARE_PERSISTENT, &rs->object_insert, NULL);
        if (src != SQLITE_OK)
            rc = store_sqlite_err(rs->db, src, rs->pos.object_name, eb);
    }
    buf_free(&cols);
    buf_free(&sql);
    return rc;
}

/* Binds a row's values to st, steps it and counts the row. */
static int restore_insert_row(struct store_restore *rs, struct codec_reader *r, sqlite3_stmt *st,
                              uint32_t n_columns, const char *table, struct errbuf *eb)
{
    for (uint32_t c = 0; c < n_columns; c++) {
        int rc = restore_bind(r, st, (int)c + 1, eb);
        if (rc != 0 || r->err != 0) {
            sqlite3_clear_bindings(st);
            return rc;
        }
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return err_set(eb, ERR_CORRUPT, "snapshot row breaks a constraint of table %s", table);
    if (rc != SQLITE_DONE)
        return store_sqlite_err(rs->db, rc, table, eb);
    rs->pos.n_rows++;
    return 0;
}

static int restore_row_record(struct store_restore *rs, struct codec_reader *r, struct errbuf *eb)
{
    struct restore_pos *pos = &rs->pos;
    if (pos->end_seen || (pos->table < 0 && pos->table != RESTORE_AT_OBJECT_TABLE))
        return err_set(eb, ERR_CORRUPT, "snapshot row outside a table");
    if (pos->table == RESTORE_AT_OBJECT_TABLE) {
        int rc = restore_object_insert(rs, eb);
        if (rc != 0)
            return rc;
        return restore_insert_row(rs, r, rs->object_insert, pos->object_columns,
                                  pos->object_name, eb);
    }
    const struct store_table *t = rs->tables[pos->table];
    sqlite3_stmt **st = &rs->insert[pos->table];
    if (*st == NULL) {
        char sql[256];
        char params[128];
        size_t pl = 0;
        for (uint32_t c = 0; c < t->n_columns; c++)
            pl += (size_t)snprintf(params + pl, sizeof params - pl, "%s?", c ? "," : "");
        ASSERT(pl < sizeof params);
        int n =
            snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES(%s)", t->name, t->columns, params);
        ASSERT(n > 0 && (size_t)n < sizeof sql);
        int rc = sqlite3_prepare_v3(rs->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);
        if (rc != SQLITE_OK)
            return store_sqlite_err(rs->db, rc, t->name, eb);
    }
    return restore_insert_row(rs, r, *st, t->n_columns, t->name, eb);
}

static int restore_end_record(struct store_restore *rs, struct codec_reader *r, struct errbuf *eb)
{
    uint64_t n_rows = codec_read_u64(r);
    uint32_t n_tables = codec_read_u32(r);
    uint32_t n_objects = codec_read_u32(r);
    if (r->err != 0)
        return 0;
    struct restore_pos *pos = &rs->pos;
    if (pos->end_seen)
        return err_set(eb, ERR_CORRUPT, "snapshot ends twice");
    if (n_rows != pos->n_rows || n_tables != pos->n_tables_seen || n_tables != rs->n_tables ||
        n_objects != pos->n_objects_seen)
        return err_set(eb, ERR_CORRUPT,
                       "snapshot ends after %" PRIu64 " rows in %u tables and %u objects; it "
                       "says %" PRIu64 " rows in %u tables and %u objects, and %u tables exist",
                       pos->n_rows, pos->n_tables_seen, pos->n_objects_seen, n_rows, n_tables,
                       n_objects, rs->n_tables);
    pos->end_seen = true;
    return 0;
}

/* Takes every whole record out of the pending bytes. */
static int restore_parse(struct store_restore *rs, struct errbuf *eb)
{
    struct restore_pos *pos = &rs->pos;
    while (pos->off < rs->pending.len) {
        if (pos->end_seen)
            return err_set(eb, ERR_CORRUPT, "snapshot has bytes after its end");
        struct codec_reader r;
        codec_reader_init(&r, rs->pending.data + pos->off, rs->pending.len - pos->off);
        int rc;
        switch (codec_read_u8(&r)) {
        case SNAP_REC_TABLE:
            rc = restore_table_record(rs, &r, eb);
            break;
        case SNAP_REC_ROW:
            rc = restore_row_record(rs, &r, eb);
            break;
        case SNAP_REC_END:
            rc = restore_end_record(rs, &r, eb);
            break;
        case SNAP_REC_OBJECT:
            rc = restore_object_record(rs, &r, eb);
            break;
        default:
            return err_set(eb, ERR_CORRUPT, "snapshot record of unknown type");
        }
        if (rc != 0)
            return rc;
        if (r.err == ERR_NEEDMORE) {
            /* A record continues in the next chunk; it is bounded. */
            if (r.len > STORE_SNAPSHOT_ROW_BYTES_MAX + SNAP_OBJECT_SQL_BYTES_MAX + 64)
                return err_set(eb, ERR_CORRUPT, "snapshot record longer than %zu bytes", r.len);
            return 0;
        }
        if (r.err != 0)
            return err_set(eb, ERR_CORRUPT, "snapshot record is malformed");
        pos->off += r.off;
    }
    return 0;
}

int store_restore_chunk(struct store_restore *rs, const uint8_t *chunk, size_t len,
                        struct errbuf *eb)
{
    if (rs->complete)
        return err_set(eb, ERR_INVAL, "restore already has its last chunk");
    struct store_chunk_info info;
    int rc = store_chunk_info(chunk, len, &info, eb);
    if (rc != 0)
        return rc;
    if (info.seq != rs->next_seq)
        return err_set(eb, ERR_CORRUPT, "snapshot chunk %" PRIu64 " where %" PRIu64 " is due",
                       info.seq, rs->next_seq);
    if (info.seq > 0 && (info.index != rs->index || info.term != rs->term ||
                         info.chunk_bytes_max != rs->chunk_bytes_max))
        return err_set(eb, ERR_CORRUPT,
                       "snapshot chunk of index %" PRIu64 " term %" PRIu64
                       " size %u in a restore of index %" PRIu64 " term %" PRIu64 " size %u",
                       info.index, info.term, info.chunk_bytes_max, rs->index, rs->term,
                       rs->chunk_bytes_max);

    struct restore_pos saved = rs->pos;
    saved.pending_len = rs->pending.len;
    if (buf_append(&rs->pending, chunk + STORE_SNAPSHOT_HEADER_BYTES, info.payload_len) != 0)
        return err_set(eb, ERR_NOMEM, "snapshot chunk of %zu bytes", len);
    rc = store_exec(rs->db, "BEGIN", "restore begin", eb);
    if (rc == 0)
        rc = restore_parse(rs, eb);
    if (rc == 0 && info.last && (!rs->pos.end_seen || rs->pos.off != rs->pending.len))
        rc = err_set(eb, ERR_CORRUPT, "last snapshot chunk ends inside the stream");
    if (rc == 0)
        rc = store_exec(rs->db, "COMMIT", "restore commit", eb);
    if (rc != 0) {
        if (!sqlite3_get_autocommit(rs->db))
            sqlite3_exec(rs->db, "ROLLBACK", NULL, NULL, NULL);
        rs->pos = saved;
        rs->pending.len = saved.pending_len;
        /* Its table may be one the rollback removed; made again from pos when needed. */
        sqlite3_finalize(rs->object_insert);
        rs->object_insert = NULL;
        return rc;
    }
    if (info.seq == 0) {
        rs->index = info.index;
        rs->term = info.term;
        rs->chunk_bytes_max = info.chunk_bytes_max;
    }
    rs->next_seq++;
    rs->complete = info.last;
    if (rs->pos.off > 0 && rs->pos.off >= rs->pending.len / 2) {
        buf_consume(&rs->pending, rs->pos.off);
        rs->pos.off = 0;
    }
    return 0;
}

static int restore_fsync_path(const char *path, bool dir, struct errbuf *eb)
{
    int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0));
    if (fd < 0)
        return err_set(eb, ERR_IO, "open %s: %s", path, strerror(errno));
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    if (rc != 0)
        return err_set(eb, ERR_IO, "fsync %s: %s", path, strerror(saved));
    return 0;
}

/* Checks that the restored metadata is the snapshot the headers announced. */
static int restore_check_meta(struct store_restore *rs, struct errbuf *eb)
{
    uint64_t format, index, term;
    int rc = snap_meta(rs->db, STORE_META_FORMAT, &format, eb);
    if (rc == 0)
        rc = snap_meta(rs->db, STORE_META_APPLIED_INDEX, &index, eb);
    if (rc == 0)
        rc = snap_meta(rs->db, STORE_META_APPLIED_TERM, &term, eb);
    if (rc != 0)
        return rc;
    if (format != STORE_FORMAT_VERSION)
        return err_set(eb, ERR_CORRUPT, "restored store has format %" PRIu64, format);
    if (index != rs->index || term != rs->term)
        return err_set(eb, ERR_CORRUPT,
                       "restored store is at index %" PRIu64 " term %" PRIu64
                       ", its chunks said %" PRIu64 " term %" PRIu64,
                       index, term, rs->index, rs->term);
    return 0;
}

/* A WAL file left beside path would be replayed into the new database on the
 * next open, so the old database is opened and closed (SQLite checkpoints and
 * removes its WAL), and what cannot be checkpointed is removed: its contents
 * are being replaced. */
static int restore_clear_old(const char *path, struct errbuf *eb)
{
    char name[4096 + 16];
    if (access(path, F_OK) == 0) {
        sqlite3 *db;
        if (store_connect(path, false, &db, NULL) == 0) {
            sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
            sqlite3_close(db);
        }
    }
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        if (unlink(name) != 0 && errno != ENOENT)
            return err_set(eb, ERR_IO, "unlink %s: %s", name, strerror(errno));
    }
    return 0;
}

int store_restore_finish(struct store_restore *rs, struct errbuf *eb)
{
    int rc = 0;
    if (!rs->complete)
        rc = err_set(eb, ERR_INVAL, "restore is missing chunks from %" PRIu64, rs->next_seq);
    if (rc == 0)
        rc = restore_check_meta(rs, eb);
    if (rc == 0) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(rs->db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (src == SQLITE_OK)
            src = sqlite3_step(st);
        if (src != SQLITE_ROW)
            rc = store_sqlite_err(rs->db, src, "journal_mode", eb);
        else if (sqlite3_column_text(st, 0) == NULL ||
                 strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
            rc = err_set(eb, ERR_IO, "%s: cannot use WAL mode", rs->tmp_path);
        sqlite3_finalize(st);
    }
    if (rc != 0) {
        store_restore_abort(rs);
        return rc;
    }
    restore_close_db(rs);
    rc = restore_fsync_path(rs->tmp_path, false, eb);
    if (rc == 0)
        rc = restore_clear_old(rs->path, eb);
    if (rc == 0 && rename(rs->tmp_path, rs->path) != 0)
        rc = err_set(eb, ERR_IO, "rename %s: %s", rs->tmp_path, strerror(errno));
    if (rc != 0) {
        store_restore_abort(rs);
        return rc;
    }
    /* The rename is durable once the directory is. */
    char *slash = strrchr(rs->path, '/');
    if (slash == rs->path)
        rc = restore_fsync_path("/", true, eb);
    else if (slash != NULL) {
        *slash = '\0';
        rc = restore_fsync_path(rs->path, true, eb);
    } else {
        rc = restore_fsync_path(".", true, eb);
    }
    restore_free(rs);
    return rc;
}
