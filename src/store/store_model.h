/* The contract between the state store and the models (kv, later table,
 * stream, ledger, blob): what a model declares so the store can create its
 * tables, dispatch its commands and snapshot its rows. For model code only. */
#ifndef CAIRN_STORE_MODEL_H
#define CAIRN_STORE_MODEL_H

#include <sqlite3.h>
#include <stdint.h>

#include "base/err.h"
#include "raft/raft.h"
#include "store/store.h"

#define STORE_MODEL_TABLES_MAX 8

/* A table that is part of the replicated state: snapshots copy its rows as
 * `SELECT <columns> FROM <name> ORDER BY <order_by>` and restore them with
 * `INSERT INTO <name>(<columns>)`. Names and column lists are trusted constants.
 * Tables a model creates at run time (the table model's SQL tables) are not
 * declared: snapshots carry them, and their indexes, with their definitions. */
struct store_table {
    const char *name;
    const char *columns; /* "key, value, version, bucket" */
    uint32_t n_columns;
    const char *order_by; /* the primary key, so the order is total */
};

struct store_model {
    uint8_t tag; /* enum store_model_tag */
    const char *name;
    /* CREATE TABLE/INDEX IF NOT EXISTS statements, run at every open. */
    const char *schema_sql;
    uint32_t n_tables;
    struct store_table tables[STORE_MODEL_TABLES_MAX];
    /* Per-connection state (cached statements): made on every open, writer or
     * reader, freed by close. */
    int (*open)(struct store *s, void **state, struct errbuf *eb);
    /* Readies a connection that is not a store's (a snapshot's restore) to
     * write rows of this model's tables: the SQL functions its schema calls.
     * NULL when it calls none. The state is freed by close. */
    int (*prepare)(sqlite3 *db, uint32_t bucket_count, void **state, struct errbuf *eb);
    void (*close)(void *state);
    /* Applies one NORMAL entry whose first byte is tag, inside the store's
     * transaction. Fills res (index and model are set already). Returns 0 (a
     * failed condition is res->status), or an error that rolls the whole batch
     * back: ERR_CORRUPT for a command that does not decode, ERR_UNSUPPORTED
     * for an unknown command kind, ERR_IO and friends from SQLite. */
    int (*apply)(struct store *s, void *state, const struct raft_entry *e, struct store_result *res,
                 struct errbuf *eb);
};

/* The models, in the order their tables appear in snapshots. */
extern const struct store_model kv_model;
extern const struct store_model cluster_model;
extern const struct store_model table_model;

/* The connection, for the model's own statements (whatever a holder kept open on it is
 * released first: see store_hold). */
sqlite3 *store_db(struct store *s);
/* The connection as it is, held transaction and all: for the holder's own look at it. */
sqlite3 *store_db_unreleased(struct store *s);
/* The state the model's open made on this connection. */
void *store_model_state(struct store *s, uint8_t tag);
/* Prepares sql into *stmt once (SQLITE_PREPARE_PERSISTENT); later calls reset
 * it and clear its bindings. Returns 0 or an error as store_sqlite_err. */
int store_stmt(struct store *s, sqlite3_stmt **stmt, const char *sql, struct errbuf *eb);
/* Maps a SQLite result code to an ERR_* code, with what and SQLite's message
 * in eb. */
int store_sqlite_err(sqlite3 *db, int rc, const char *what, struct errbuf *eb);

#endif
