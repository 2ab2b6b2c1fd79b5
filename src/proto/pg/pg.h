/* PostgreSQL wire protocol 3.0 server for Cairn: framing, startup, simple and extended query,
 * COPY, cancel and errors. It knows nothing about SQL: everything SQL goes to a backend (a table
 * of callbacks the node implements), which answers asynchronously through the pg_send_* calls. */
#ifndef CAIRN_PROTO_PG_H
#define CAIRN_PROTO_PG_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/buf.h"
#include "base/err.h"

/* ---- Limits -------------------------------------------------------------------------------- */

/* A frontend message (type byte excluded) larger than this ends the session with FATAL 08P01. */
#define PG_MESSAGE_BYTES_MAX_DEFAULT (64u * 1024 * 1024)
/* The range a configuration may set: room for the usual messages of any client, and at most
 * PostgreSQL's own ceiling (MaxAllocSize, 1 GiB - 1). */
#define PG_MESSAGE_BYTES_MAX_MIN     (64u * 1024)
#define PG_MESSAGE_BYTES_MAX_CEILING 0x3fffffffu
/* As PostgreSQL's MAX_STARTUP_PACKET_LENGTH: a longer startup packet is FATAL 08P01. */
#define PG_STARTUP_PACKET_BYTES_MAX 10000
/* Name/value pairs in a StartupMessage; more is FATAL 08P01. */
#define PG_STARTUP_PARAMS_MAX 64
/* Statement and portal names are compared on their first PG_NAME_BYTES_MAX bytes, as
 * PostgreSQL does (its hash keys are NAMEDATALEN - 1 bytes). */
#define PG_NAME_BYTES_MAX 63
/* Named prepared statements / named portals per session; past them: ERROR 54000. */
#define PG_STATEMENTS_MAX 1024
#define PG_PORTALS_MAX    256
/* Parameters of one statement (the protocol's 16-bit count) and result columns (PostgreSQL's
 * MaxTupleAttributeNumber). */
#define PG_PARAMS_MAX  65535
#define PG_COLUMNS_MAX 1664
/* While a request is with the backend, at most this much following (pipelined) input is read
 * ahead before the connection stops reading. A single message larger than this is still read
 * whole once the session is ready for it. */
#define PG_CONN_INPUT_BYTES_MAX (256u * 1024)
/* Output is handed to the socket once this much is buffered (and at the end of every turn). */
#define PG_CONN_OUTPUT_FLUSH_BYTES (64u * 1024)
/* Unsent output above HIGH: no new message is dispatched and pg_conn_output_full() says 1;
 * the backend's writable callback runs once it falls below LOW. */
#define PG_CONN_OUTPUT_BYTES_HIGH (4u * 1024 * 1024)
#define PG_CONN_OUTPUT_BYTES_LOW  (1u * 1024 * 1024)
/* What one session may retain between requests — prepared statement texts and descriptions,
 * bound parameters, and rows kept for later Executes (see execute below) — all together.
 * Past it, the Parse, Bind or Execute that would exceed it fails with ERROR 54000. */
#define PG_SESSION_RETAINED_BYTES_MAX (256u * 1024 * 1024)
/* ErrorResponse / NoticeResponse text fields are cut at this size. */
#define PG_ERROR_FIELD_BYTES_MAX 4096
/* The server answers this to ParameterStatus server_version: psql and pgbench read 15. */
#define PG_SERVER_VERSION "15.0 (Cairn)"

/* ---- Type OIDs and values ------------------------------------------------------------------ */

#define PG_OID_BOOL        16
#define PG_OID_BYTEA       17
#define PG_OID_CHAR        18
#define PG_OID_NAME        19
#define PG_OID_INT8        20
#define PG_OID_INT2        21
#define PG_OID_INT4        23
#define PG_OID_TEXT        25
#define PG_OID_OID         26
#define PG_OID_JSON        114
#define PG_OID_FLOAT4      700
#define PG_OID_FLOAT8      701
#define PG_OID_UNKNOWN     705
#define PG_OID_BPCHAR      1042
#define PG_OID_VARCHAR     1043
#define PG_OID_DATE        1082
#define PG_OID_TIME        1083
#define PG_OID_TIMESTAMP   1114
#define PG_OID_TIMESTAMPTZ 1184
#define PG_OID_INTERVAL    1186
#define PG_OID_NUMERIC     1700
#define PG_OID_UUID        2950
#define PG_OID_JSONB       3802

/* pg_type.typlen for RowDescription: 4 for int4, -1 for variable length, -2 for unknown;
 * -1 for a type this module does not know. */
int pg_type_size(uint32_t oid);
/* 1 if the session can convert values of this type between text and binary format. */
int pg_type_has_binary(uint32_t oid);
/* Appends the binary form of a value given in PostgreSQL's text output form (what psql shows:
 * "t", "12", "1.5", "\x0a1b", "2024-01-02 03:04:05.5"). Returns 0, ERR_INVAL (text does not
 * read as the type; detail in eb), ERR_UNSUPPORTED (no binary conversion for the type) or
 * ERR_NOMEM. On error out is unchanged. */
int pg_text_to_binary(uint32_t oid, const char *text, size_t len, struct buf *out,
                      struct errbuf *eb);
/* Appends the text form of a binary value (the inverse). Returns 0, ERR_INVAL (bytes are not a
 * valid binary value), ERR_UNSUPPORTED or ERR_NOMEM. Appends no NUL. */
int pg_binary_to_text(uint32_t oid, const void *data, size_t len, struct buf *out,
                      struct errbuf *eb);

/* A result column, as sent in RowDescription. Initialise with PG_COLUMN(name, oid) and change
 * fields as needed: type_modifier 0 is a real modifier (e.g. timestamp(0)), so "none" is -1. */
struct pg_column {
    const char *name;
    uint32_t type_oid;
    int16_t type_size;     /* pg_type.typlen; PG_COLUMN sets pg_type_size(type_oid) */
    int32_t type_modifier; /* atttypmod, -1 for none */
    uint32_t table_oid;    /* 0 unless the column is a plain table column */
    int16_t column_attnum; /* 0 unless the column is a plain table column */
};
#define PG_COLUMN(n, oid)                                                                          \
    ((struct pg_column){.name = (n),                                                               \
                        .type_oid = (oid),                                                         \
                        .type_size = (int16_t)pg_type_size(oid),                                   \
                        .type_modifier = -1})

/* A bound parameter, always in text form (the session converts binary parameters with
 * pg_binary_to_text and validates text ones as UTF-8 without NUL). data == NULL for SQL NULL;
 * otherwise data[len] == '\0'. */
struct pg_value {
    const char *data;
    size_t len;
};

enum pg_txn_status {
    PG_TXN_IDLE = 'I',   /* not in a transaction block */
    PG_TXN_BLOCK = 'T',  /* in a transaction block */
    PG_TXN_FAILED = 'E', /* in a failed transaction block: only ROLLBACK is accepted */
};

/* ---- Sessions, statements, portals --------------------------------------------------------- */

struct pg_conn;   /* one client session */
struct pg_stmt;   /* a prepared statement (named, or the unnamed one) */
struct pg_portal; /* a bound portal (named, or the unnamed one) */

/* The backend: every callback runs on the loop thread.
 *
 * Requests. startup, query, prepare, bind, execute and sync each start a *request*; the backend
 * owns it until it calls pg_done(c) exactly once — from inside the callback or later from any
 * loop callback. While a request is out, the session dispatches nothing else for that
 * connection (it reads ahead and queues pipelined messages, then dispatches them in order).
 * Between the callback and pg_done the backend streams the answer with the pg_send_* calls
 * allowed for that request (see each send). An ErrorResponse (pg_send_error) makes the request
 * *failed*; what follows depends on the request (below). A FATAL error ends the session after
 * pg_done.
 *
 * Lifetime. close is the last callback for a conn and is called exactly once for every conn
 * whose startup was called, when the session ends for any reason (Terminate, client gone,
 * protocol error, FATAL, server stop). If a request is out at that moment, cancel is called
 * first, and close waits until the backend calls pg_done (its sends are dropped). Before close,
 * the session frees every portal and statement (portal_free / stmt_free). After close returns
 * the conn pointer is invalid.
 *
 * Optional callbacks may be NULL: bind (then Bind needs no backend), sync (then Sync answers
 * ReadyForQuery at once), cancel, writable, copy_* (then COPY IN must not be started),
 * stmt_free, portal_free. The rest are required. */
struct pg_backend {
    void *ctx; /* passed to every callback */

    /* The client authenticated (trust: AuthenticationOk is already sent; SCRAM-SHA-256 will run
     * before this) and asks for a session: read pg_conn_user / pg_conn_database /
     * pg_conn_param. Refuse with pg_send_error(severity "FATAL", e.g. 3D000 unknown database,
     * 28000). pg_send_parameter_status here overrides a default ParameterStatus (sent after
     * pg_done, before BackendKeyData and ReadyForQuery 'I'). */
    void (*startup)(void *ctx, struct pg_conn *c);

    /* Simple query: sql (NUL-terminated, len bytes, valid UTF-8; valid until pg_done) may hold
     * several statements. For each: pg_send_row_description + pg_send_data_row* +
     * pg_send_command_complete, or COPY, or pg_send_empty_query for an empty statement (e.g.
     * ";" alone), or pg_send_error (and stop: the rest of the string is not run). Then pg_done;
     * the session sends ReadyForQuery with the status set by pg_set_txn_status. A query that
     * is empty or only whitespace never reaches the backend: the session answers
     * EmptyQueryResponse itself. The session has already dropped the unnamed statement and
     * portal, as PostgreSQL does. Values are always text here. */
    void (*query)(void *ctx, struct pg_conn *c, const char *sql, size_t len);

    /* Parse: prepare st from sql (NUL-terminated, valid UTF-8, valid until pg_done; also
     * pg_stmt_sql) with the client's parameter type OIDs (0 = unspecified; there may be fewer
     * than the statement's parameters). Describe the statement with pg_stmt_describe (every
     * parameter's resolved type and the result columns; none for a statement without
     * results), keep state with pg_stmt_set_state, then pg_done. On pg_send_error the
     * statement is discarded (stmt_free is called if state was set) and the session skips to
     * Sync. An empty (whitespace only) statement never reaches the backend: the session
     * handles it and Execute answers EmptyQueryResponse. */
    void (*prepare)(void *ctx, struct pg_conn *c, struct pg_stmt *st, const char *sql, size_t len,
                    const uint32_t *param_oids, size_t n_param_oids);

    /* Bind (optional): portal p was bound to pg_portal_stmt(p) with parameters in text form
     * (pg_portal_params; count and formats already checked against the statement). Keep state
     * with pg_portal_set_state, then pg_done. On pg_send_error (e.g. 22P02 for a parameter
     * that does not read as its type) the portal is discarded and the session skips to Sync. */
    void (*bind)(void *ctx, struct pg_conn *c, struct pg_portal *p);

    /* Execute: run portal p. Send pg_send_data_row* then pg_send_command_complete (or
     * pg_send_empty_query, or COPY, or pg_send_error), then pg_done; no RowDescription (the
     * client got it from Describe; a pg_send_row_description here is ignored). Values are
     * given in text form; for result columns the client asked in binary the session converts
     * them (pg_text_to_binary on the statement's column types).
     *
     * max_rows (0 = all). The backend may honour it: send at most max_rows rows and then
     * pg_send_portal_suspended instead of a command tag, keeping its cursor in the portal's
     * state; the next Execute of the portal continues. Or it may ignore it and send every row:
     * the session then forwards max_rows of them, answers PortalSuspended, and keeps the rest
     * (within PG_SESSION_RETAINED_BYTES_MAX) to serve the following Executes of the portal
     * without calling the backend; "SELECT n" tags are rewritten to the rows of the last
     * Execute, as PostgreSQL reports them. execute may be called again on a portal that
     * already completed: answer as PostgreSQL does (a SELECT returns no rows, "SELECT 0").
     * On pg_send_error the session skips to Sync. */
    void (*execute)(void *ctx, struct pg_conn *c, struct pg_portal *p, uint32_t max_rows);

    /* Sync (optional): the end of an extended-query series. Commit an implicit transaction, or
     * roll it back if failed (an error was reported since the last Sync, by the backend or by
     * the session — e.g. a Bind to a missing statement; in a transaction block, mark the
     * block failed). Set the status (pg_set_txn_status), then pg_done; the session answers
     * ReadyForQuery. An error sent here (e.g. 40001 at commit) is forwarded. */
    void (*sync)(void *ctx, struct pg_conn *c, int failed);

    /* COPY FROM STDIN, after the backend's pg_send_copy_in_response (in a query or execute
     * request): each CopyData's bytes (valid during the call only), then copy_done or
     * copy_fail (the client's message, or the session's when the client sent a message that
     * is not allowed during COPY or the session ended — then sends are dropped and
     * pg_conn_gone says 1). After copy_done / copy_fail the backend finishes the
     * statement (pg_send_command_complete "COPY n" or pg_send_error) and the request. A
     * pg_send_error during COPY IN ends it: later CopyData is discarded. pg_copy_pause stops
     * the deliveries (the connection stops reading once PG_CONN_INPUT_BYTES_MAX is queued);
     * pg_copy_resume restarts them. */
    void (*copy_data)(void *ctx, struct pg_conn *c, const void *data, size_t len);
    void (*copy_done)(void *ctx, struct pg_conn *c);
    void (*copy_fail)(void *ctx, struct pg_conn *c, const char *message);

    /* The request out for c should stop: a CancelRequest named this session, or the session
     * ended (protocol error, server stop, timeout; during COPY IN the session calls copy_fail
     * instead). Called only while a request is out, at most once per request. The backend
     * still finishes the request (typically pg_send_error 57014 "canceling statement due to
     * user request", then pg_done). */
    void (*cancel)(void *ctx, struct pg_conn *c);

    /* Output was over PG_CONN_OUTPUT_BYTES_HIGH when the backend asked pg_conn_output_full
     * and has drained below PG_CONN_OUTPUT_BYTES_LOW: stream more. Only while a request is
     * out. */
    void (*writable)(void *ctx, struct pg_conn *c);

    /* The session drops a statement / portal that has backend state (Close, replacement of
     * the unnamed one, a failed Parse/Bind, the end of a transaction for portals, the end of
     * the session). Never while a request using it is out. */
    void (*stmt_free)(void *ctx, struct pg_conn *c, void *state);
    void (*portal_free)(void *ctx, struct pg_conn *c, void *state);

    /* The session ended; free what was kept with pg_conn_set_state. The last callback. */
    void (*close)(void *ctx, struct pg_conn *c);
};

/* The request is finished: the session sends what ends it (ReadyForQuery, ParseComplete,
 * BindComplete, ...) and goes on with the next queued message. Exactly once per request.
 * After pg_done the backend must not use statements or portals of the request, and must not
 * use c unless the session is still open (no close yet). */
void pg_done(struct pg_conn *c);

/* The transaction status for the next ReadyForQuery; any time during a request. Initially
 * PG_TXN_IDLE. Portals are dropped whenever a ReadyForQuery reports PG_TXN_IDLE (the
 * transaction ended). */
void pg_set_txn_status(struct pg_conn *c, enum pg_txn_status s);

/* ---- Sending (loop thread; only while a request is out, unless said otherwise) -------------
 * Every send returns 0 (queued for the client), ERR_SHUTDOWN (the session ended: dropped; stop
 * working and call pg_done), or an error the session raised on the backend's behalf: then it
 * has already sent an ErrorResponse, the request is failed and every later result send of the
 * request returns ERR_STALE (call pg_done). Sends in the wrong state (e.g. a data row in a
 * Parse, copy data outside COPY OUT) are backend bugs and assert. */

/* RowDescription for the next rows of a simple query. 1 <= n <= PG_COLUMNS_MAX; the session
 * copies cols. In Execute: ignored (returns 0). Query requests only otherwise. */
int pg_send_row_description(struct pg_conn *c, const struct pg_column *cols, size_t n);
/* A DataRow of n values (n equal to the description's column count): values[i] NULL is SQL
 * NULL, else lens[i] bytes of the text form (lens NULL: NUL-terminated strings). Query and
 * Execute requests. In Execute, binary result columns are converted; a value that does not
 * convert fails the request (XX000) and returns ERR_INVAL; past the portal buffer (see
 * execute): 54000, ERR_TOOBIG. */
int pg_send_data_row(struct pg_conn *c, const char *const *values, const size_t *lens, size_t n);
/* CommandComplete with a tag such as "SELECT 3", "INSERT 0 3", "UPDATE 2", "BEGIN", "COPY 5". */
int pg_send_command_complete(struct pg_conn *c, const char *tag);
/* EmptyQueryResponse: a statement that was empty. */
int pg_send_empty_query(struct pg_conn *c);
/* PortalSuspended: Execute requests with max_rows > 0, after at most max_rows rows. */
int pg_send_portal_suspended(struct pg_conn *c);
/* ErrorResponse. sqlstate: five characters (e.g. "42P01"); severity: "ERROR" (NULL means it),
 * "FATAL" (the session ends after pg_done) or "PANIC"; message required; detail, hint NULL
 * for none; position: 1-based character offset into the query text, 0 for none. Any request.
 * Text fields longer than PG_ERROR_FIELD_BYTES_MAX are cut. */
int pg_send_error(struct pg_conn *c, const char *sqlstate, const char *severity,
                  const char *message, const char *detail, const char *hint, int position);
struct pg_error_fields;
/* pg_send_error with every field of an ErrorResponse (pg_wire.h), also the object's names. */
int pg_send_error_fields(struct pg_conn *c, const struct pg_error_fields *f);
/* pg_send_error(c, sqlstate, "ERROR", <formatted>, NULL, NULL, 0). */
int pg_send_errorf(struct pg_conn *c, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* NoticeResponse: severity "WARNING", "NOTICE" (NULL means it), "DEBUG", "INFO" or "LOG".
 * Allowed at any time while the session is open, also with no request out. */
int pg_send_notice(struct pg_conn *c, const char *sqlstate, const char *severity,
                   const char *message, const char *detail, const char *hint);
/* ParameterStatus (e.g. after SET application_name). Any time while the session is open;
 * during startup it overrides the default instead of sending. */
int pg_send_parameter_status(struct pg_conn *c, const char *name, const char *value);
/* NotificationResponse (LISTEN/NOTIFY). Any time while the session is open. */
int pg_send_notification(struct pg_conn *c, uint32_t pid, const char *channel, const char *payload);
/* CopyInResponse: the client now sends COPY data (see copy_data). binary: the overall
 * format; col_formats: n per-column format codes (0 text, 1 binary), may be NULL for all
 * equal to the overall format. Query and Execute requests; needs the copy_* callbacks. */
int pg_send_copy_in_response(struct pg_conn *c, int binary, const int16_t *col_formats, size_t n);
/* CopyOutResponse, then CopyData chunks and CopyDone, then the command tag. */
int pg_send_copy_out_response(struct pg_conn *c, int binary, const int16_t *col_formats, size_t n);
int pg_send_copy_data(struct pg_conn *c, const void *data, size_t len);
int pg_send_copy_done(struct pg_conn *c);
/* Flow control for COPY IN (no-ops outside it). */
void pg_copy_pause(struct pg_conn *c);
void pg_copy_resume(struct pg_conn *c);

/* ---- Session facts (loop thread; valid while the session is open) ------------------------- */

/* Startup parameters: "user" (always present), "database" (defaults to the user),
 * "application_name", "options" (raw, e.g. "-c search_path=x") and whatever else the client
 * sent. NULL if absent. */
const char *pg_conn_user(const struct pg_conn *c);
const char *pg_conn_database(const struct pg_conn *c);
const char *pg_conn_param(const struct pg_conn *c, const char *name);
/* The i-th startup parameter: 0, or ERR_NOTFOUND past the last. */
int pg_conn_param_at(const struct pg_conn *c, size_t i, const char **name, const char **value);
/* "127.0.0.1:50312", "[::1]:50312" or "". */
const char *pg_conn_peer(const struct pg_conn *c);
/* The process id sent in BackendKeyData (unique among the server's open sessions). */
uint32_t pg_conn_pid(const struct pg_conn *c);
/* The backend's per-session state (NULL initially); free it in close. */
void pg_conn_set_state(struct pg_conn *c, void *state);
void *pg_conn_state(const struct pg_conn *c);
/* 1 once the session ended (sends are dropped); the backend should finish its request. */
int pg_conn_gone(const struct pg_conn *c);
/* 1 if unsent output is above PG_CONN_OUTPUT_BYTES_HIGH: stop streaming and wait for the
 * writable callback (which this call arms). */
int pg_conn_output_full(struct pg_conn *c);
enum pg_txn_status pg_conn_txn_status(const struct pg_conn *c);

/* Statement accessors (valid from prepare until stmt_free). */
const char *pg_stmt_name(const struct pg_stmt *st); /* "" for the unnamed statement */
const char *pg_stmt_sql(const struct pg_stmt *st);
/* Sets the parameter types (n <= PG_PARAMS_MAX; 0 stays "unspecified") and result columns
 * (n_cols <= PG_COLUMNS_MAX, 0 for none). Copies everything. Prepare requests only. Returns 0,
 * ERR_NOMEM or ERR_INVAL (counts over the limits, or fewer parameters than the client typed). */
int pg_stmt_describe(struct pg_stmt *st, const uint32_t *param_oids, size_t n_params,
                     const struct pg_column *cols, size_t n_cols);
void pg_stmt_set_state(struct pg_stmt *st, void *state);
void *pg_stmt_state(const struct pg_stmt *st);
size_t pg_stmt_n_params(const struct pg_stmt *st);
uint32_t pg_stmt_param_oid(const struct pg_stmt *st, size_t i);
size_t pg_stmt_n_columns(const struct pg_stmt *st);
const struct pg_column *pg_stmt_column(const struct pg_stmt *st, size_t i);

/* Portal accessors (valid from bind until portal_free). */
const char *pg_portal_name(const struct pg_portal *p); /* "" for the unnamed portal */
struct pg_stmt *pg_portal_stmt(const struct pg_portal *p);
/* The parameters, pg_stmt_n_params(stmt) of them, in text form. */
const struct pg_value *pg_portal_params(const struct pg_portal *p);
/* 1 if the client asked result column i in binary (the session converts; informational). */
int pg_portal_result_binary(const struct pg_portal *p, size_t i);
void pg_portal_set_state(struct pg_portal *p, void *state);
void *pg_portal_state(const struct pg_portal *p);

/* ---- Server -------------------------------------------------------------------------------- */

#define PG_CONNECTIONS_MAX_DEFAULT 1024
/* Connections past connections_max get through SSLRequest and the StartupMessage and are then
 * answered FATAL 53300; past it plus this, they are closed unanswered. */
#define PG_CONN_REJECT_SLACK 64
/* From accept to the end of startup (as PostgreSQL's authentication_timeout). */
#define PG_STARTUP_TIMEOUT_MS_DEFAULT 60000
/* After the last message to a closing client, input is drained (so the FATAL is not lost to a
 * TCP reset) for at most this long. */
#define PG_LINGER_MS      2000
#define PG_PEER_BYTES_MAX 64

struct pg_server_config {
    size_t message_bytes_max;    /* 0: PG_MESSAGE_BYTES_MAX_DEFAULT; at least _MIN */
    unsigned connections_max;    /* 0: PG_CONNECTIONS_MAX_DEFAULT */
    uint64_t startup_timeout_ms; /* 0: PG_STARTUP_TIMEOUT_MS_DEFAULT */
    /* As PostgreSQL's idle_session_timeout / idle_in_transaction_session_timeout: a session
     * waiting for the client this long ends with FATAL 57P05 / 25P03. 0: never. */
    uint64_t idle_session_timeout_ms;
    uint64_t idle_in_transaction_timeout_ms;
    const char *server_version; /* NULL: PG_SERVER_VERSION; copied */
};

struct pg_server;

struct pg_server_stats {
    uint64_t connections_open;     /* accepted and not closed, rejected ones excluded */
    uint64_t connections_total;    /* accepted, rejected and cancel connections included */
    uint64_t connections_rejected; /* over connections_max */
    uint64_t sessions_started;     /* reached ReadyForQuery after startup */
    uint64_t cancel_requests;      /* CancelRequest packets received */
    uint64_t cancels_delivered;    /* ... that matched a session with a request out */
    uint64_t messages_in;          /* frontend messages decoded (startup packets included) */
    uint64_t queries;              /* simple Query messages given to the backend */
    uint64_t executes;             /* Execute messages */
    uint64_t requests_inflight;    /* requests with the backend now */
    uint64_t protocol_errors;      /* sessions ended for a protocol violation (08P01) */
    uint64_t errors_sent;          /* ErrorResponses, any severity, any origin */
    uint64_t timeouts;             /* sessions ended by a startup or idle timeout */
    uint64_t bytes_in;
    uint64_t bytes_out;
};

/* Listens on host:port (port 0 picks a free port, see pg_server_port) and serves on loop,
 * calling the backend on the loop thread. be is copied; be->ctx must outlive the server. cfg
 * may be NULL for defaults. Returns 0 with *out set, ERR_INVAL (bad host/port/config), ERR_IO
 * (bind/listen failed; detail in eb) or ERR_NOMEM. */
int pg_server_start(uv_loop_t *loop, const char *host, int port, const struct pg_server_config *cfg,
                    const struct pg_backend *be, struct pg_server **out, struct errbuf *eb);
int pg_server_port(const struct pg_server *s);
void pg_server_stats(const struct pg_server *s, struct pg_server_stats *out);
/* Stops listening and ends every session (requests out are cancelled and must still be
 * finished with pg_done; close follows). Idempotent. */
void pg_server_stop(struct pg_server *s);
/* Stops the server and gives it up: the caller must not use s again. Its memory is released
 * once the loop has run the close callbacks and the backend has finished every request, so
 * keep running the loop (uv_run until it returns 0) after this. */
void pg_server_close(struct pg_server *s);

#endif
