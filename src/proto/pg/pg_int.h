/* Internals of the pg module shared by the session state machine (pg_session.c) and its
 * transports: the libuv server (pg_server.c), and the fuzz driver and tests, which run a
 * session over plain buffers. Not for the backend: it sees only pg.h. */
#ifndef CAIRN_PROTO_PG_INT_H
#define CAIRN_PROTO_PG_INT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "proto/pg/pg.h"

/* ParameterStatus values the backend may override during startup. */
#define PG_STATUS_PARAMS_MAX 32

/* What the session needs from its transport. Every call is made on the loop thread, and none
 * may call back into the session synchronously. */
struct pg_io {
    /* Hand c->out to the socket (taking its bytes), then re-evaluate reading
     * (pg_session_read_wanted) and timers (pg_session_ready / pg_session_idle). */
    void (*kick)(struct pg_conn *c);
    /* Call pg_session_resume(c) soon, from a fresh loop callback (queued input became
     * processable while the backend is on the stack, e.g. pg_copy_resume). */
    void (*defer)(struct pg_conn *c);
    /* Bytes handed to the socket and not yet written. */
    size_t (*unsent)(const struct pg_conn *c);
    /* The session is over: write what c->out holds, then close. Called once. */
    void (*finish)(struct pg_conn *c);
    /* A CancelRequest arrived on c: find the session with this key and pg_session_cancel it.
     * c itself ends right after, without a reply. */
    void (*cancel)(struct pg_conn *c, uint32_t pid, uint32_t secret);
    /* The session will not touch c again (ended, backend closed, no request out): its memory
     * may go once the transport is closed too. The last call the session makes for c. */
    void (*release)(struct pg_conn *c);
};

struct pg_session_config {
    size_t message_bytes_max;
    const char *server_version;
    int reject_too_many; /* over connections_max: answer the StartupMessage with 53300 */
};

enum pg_phase {
    PG_PHASE_STARTUP,  /* waiting for SSLRequest / GSSENCRequest / StartupMessage */
    PG_PHASE_AUTH,     /* reserved for SCRAM-SHA-256: 'p' messages are read here */
    PG_PHASE_STARTING, /* the backend's startup request is out */
    PG_PHASE_READY,    /* ReadyForQuery was sent once: normal operation */
};

enum pg_req {
    PG_REQ_NONE,
    PG_REQ_STARTUP,
    PG_REQ_QUERY,
    PG_REQ_PREPARE,
    PG_REQ_BIND,
    PG_REQ_EXECUTE,
    PG_REQ_SYNC,
};

enum pg_copy { PG_COPY_NONE, PG_COPY_IN, PG_COPY_OUT };

struct pg_stmt {
    struct pg_stmt *next; /* in the session's list while linked */
    struct pg_conn *conn;
    char name[PG_NAME_BYTES_MAX + 1];
    char *sql;
    size_t sql_len;
    int empty;     /* whitespace only: the backend never sees it */
    size_t bytes;  /* counted in the session's retained_bytes while > 0 */
    int linked;    /* findable by name */
    unsigned refs; /* the link, each portal built from it, a prepare request */
    uint32_t *param_oids;
    size_t n_params;
    struct pg_column *cols;
    size_t n_cols;
    char *col_names; /* storage for cols[i].name */
    void *state;
};

struct pg_portal {
    struct pg_portal *next;
    struct pg_conn *conn;
    char name[PG_NAME_BYTES_MAX + 1];
    struct pg_stmt *stmt;
    struct pg_value *params; /* stmt->n_params */
    char *param_store;
    int16_t *formats; /* one per result column */
    size_t bytes;     /* parameters, counted in the session's retained_bytes */
    int any_binary;
    int linked;
    void *state;
    /* Rows the backend sent past an Execute's max_rows, encoded as DataRow messages. */
    struct buf held;
    size_t held_off;
    uint64_t held_rows; /* rows left in held */
    char *held_tag;     /* the backend's command tag, once it completed */
};

struct pg_conn {
    /* Set at init. */
    struct pg_backend be;
    const struct pg_io *io;
    struct pg_session_config cfg;
    struct pg_server_stats *st;
    uint32_t pid;
    uint32_t secret;
    char peer[PG_PEER_BYTES_MAX];

    struct buf in;  /* received; bytes before in_off are handled */
    size_t in_off;  /* compacted once per turn, not per message */
    struct buf out; /* encoded, not yet handed to the transport */

    enum pg_phase phase;
    int ssl_asked;
    int gss_asked;
    int eof;      /* the client sent EOF: end once the input is handled */
    int ended;    /* the session is over: nothing is dispatched, sends are dropped */
    int closed;   /* the backend got close (or never needed it) */
    int released; /* io->release was called */
    int started;  /* the backend got startup */
    int depth;    /* backend callbacks on the stack: do not process or release */

    /* Startup parameters: names[i] / values[i] point into params_store. */
    struct buf params_store;
    size_t n_params;
    size_t param_off[PG_STARTUP_PARAMS_MAX][2];
    const char *user;
    const char *database;
    /* ParameterStatus overrides from the backend's startup. */
    size_t n_status;
    char *status[PG_STATUS_PARAMS_MAX][2];

    enum pg_txn_status txn;
    void *state; /* the backend's */

    /* The request out, if any. */
    enum pg_req req;
    int req_failed;  /* an ErrorResponse was sent in it */
    int req_fatal;   /* ... with severity FATAL or PANIC */
    int req_aborted; /* the session raised an error on the backend's behalf */
    int req_canceled;
    struct pg_stmt *req_stmt;
    struct pg_portal *req_portal;
    uint32_t req_max_rows;
    uint64_t req_rows;   /* rows forwarded in this request */
    size_t req_ncols;    /* columns of the current RowDescription (simple query) */
    int req_described;   /* a RowDescription is in force (simple query) */
    int req_completed;   /* Execute: CommandComplete/Suspended/Empty sent */
    struct buf req_text; /* the query text handed to the backend */

    enum pg_copy copy;
    int copy_paused;
    int want_writable;

    int skip_to_sync; /* an error in extended mode: discard until Sync */
    struct pg_stmt *stmts;
    size_t n_named_stmts;
    struct pg_portal *portals;
    size_t n_named_portals;
    size_t retained_bytes; /* against PG_SESSION_RETAINED_BYTES_MAX */

    struct buf scratch; /* binary conversions of one row */
};

/* Prepares c (zeroed by the caller) for a new connection. be, io and st must outlive it. */
void pg_session_init(struct pg_conn *c, const struct pg_backend *be, const struct pg_io *io,
                     const struct pg_session_config *cfg, struct pg_server_stats *st, uint32_t pid,
                     uint32_t secret, const char *peer);
/* Bytes from the client: queued and handled as far as the session can. */
void pg_session_input(struct pg_conn *c, const void *data, size_t len);
/* The client sent EOF: handle what is queued, then end. A request that is out runs on (as in
 * PostgreSQL with client_connection_check_interval 0); the session ends after it, or at once
 * during COPY IN, which can get no more data. */
void pg_session_eof(struct pg_conn *c);
/* What io->defer asked for: go on with queued input. */
void pg_session_resume(struct pg_conn *c);
/* The transport wrote some output: resumes a session held back by unsent output. */
void pg_session_drained(struct pg_conn *c);
/* The transport is gone (error, reset, server stop): end the session. Idempotent. */
void pg_session_end(struct pg_conn *c);
/* A CancelRequest named c: the backend's cancel, if a request is out. */
void pg_session_cancel(struct pg_conn *c);
/* A startup timeout (startup 1) or idle timeout (0) fired: FATAL and end. */
void pg_session_timeout(struct pg_conn *c, int startup);
/* 1 if the transport should read more. */
int pg_session_read_wanted(const struct pg_conn *c);
/* 1 once the session reached ReadyForQuery. */
int pg_session_ready(const struct pg_conn *c);
/* The transaction status if the session waits for the client's next command, else 0. */
int pg_session_idle(const struct pg_conn *c);
/* Frees what the session holds. Only after io->release. */
void pg_session_free(struct pg_conn *c);

#endif
