/* The per-connection state machine of PostgreSQL protocol 3.0: startup, simple and extended
 * query, COPY, and the send calls the backend answers with. No sockets here: bytes come in
 * through pg_session_input and leave through c->out, which the transport (struct pg_io)
 * drains. Behaviour follows https://www.postgresql.org/docs/15/protocol-flow.html.
 *
 * One request at a time. A message that needs the backend starts a request; nothing else is
 * dispatched until the backend calls pg_done (COPY IN data is the exception: it flows while
 * the COPY's request is out). Input keeps being queued meanwhile, so pipelined messages are
 * handled in order.
 *
 * Re-entrancy. The backend may call pg_done (and any send) from inside a callback; `depth`
 * counts backend callbacks on the stack, and only the outermost entry point (tail) processes
 * queued input, runs the end-of-session cleanup and hands control back to the transport. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "base/log.h"
#include "proto/pg/pg_int.h"
#include "proto/pg/pg_wire.h"

static void tail(struct pg_conn *c);
static void end(struct pg_conn *c);

/* A query text buffer larger than this is freed after its request, not kept for the next. */
#define PG_REQ_TEXT_KEEP_BYTES (1u << 20)

#define CALL_BACKEND(c, call)                                                                      \
    do {                                                                                           \
        (c)->depth++;                                                                              \
        call;                                                                                      \
        (c)->depth--;                                                                              \
    } while (0)

/* ---- Output ---- */

static int output_high(const struct pg_conn *c)
{
    return c->io->unsent(c) + c->out.len > PG_CONN_OUTPUT_BYTES_HIGH;
}

/* After an encoder: hands big output to the transport; a failed encoding (out of memory)
 * loses the stream, so the session ends. */
static int out_ok(struct pg_conn *c, int rc)
{
    if (rc != 0) {
        LOGW("pg", "out of memory encoding a message for %s", c->peer);
        c->out.len = 0;
        end(c);
        return ERR_SHUTDOWN;
    }
    if (c->out.len >= PG_CONN_OUTPUT_FLUSH_BYTES)
        c->io->kick(c);
    return 0;
}

static void send_error_fields(struct pg_conn *c, const char *severity, const char *sqlstate,
                              const char *msg)
{
    if (c->ended)
        return;
    struct pg_error_fields f = {.severity = severity, .sqlstate = sqlstate, .message = msg};
    c->st->errors_sent++;
    out_ok(c, pg_put_error(&c->out, PG_BE_ERROR, &f));
}

/* An error the session raises itself. */
static void send_err(struct pg_conn *c, const char *severity, const char *sqlstate, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static void send_err(struct pg_conn *c, const char *severity, const char *sqlstate, const char *fmt,
                     ...)
{
    char msg[PG_ERROR_FIELD_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_error_fields(c, severity, sqlstate, msg);
}

/* The stream cannot be trusted any more: FATAL 08P01 and end. */
static void protocol_fatal(struct pg_conn *c, const char *msg)
{
    LOGD("pg", "protocol violation from %s: %s", c->peer, msg);
    c->st->protocol_errors++;
    send_error_fields(c, "FATAL", "08P01", msg);
    end(c);
}

static void fatal(struct pg_conn *c, const char *sqlstate, const char *msg)
{
    send_error_fields(c, "FATAL", sqlstate, msg);
    end(c);
}

/* ---- Statements and portals ---- */

static void name_copy(char dst[PG_NAME_BYTES_MAX + 1], const char *src)
{
    size_t n = strnlen(src, PG_NAME_BYTES_MAX);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* 0 if the session may retain n more bytes, else reports 54000 (skipping to Sync). */
static int retain_check(struct pg_conn *c, size_t n, const char *what)
{
    /* A statement's description is counted when it is linked, unchecked: the total may be
     * past the budget already. */
    if (c->retained_bytes <= PG_SESSION_RETAINED_BYTES_MAX &&
        n <= PG_SESSION_RETAINED_BYTES_MAX - c->retained_bytes)
        return 0;
    char msg[200];
    snprintf(msg, sizeof msg,
             "%s would make this session retain more than %u bytes of statements, parameters "
             "and rows; close statements or portals",
             what, PG_SESSION_RETAINED_BYTES_MAX);
    send_error_fields(c, "ERROR", "54000", msg);
    return ERR_TOOBIG;
}

static void retain(struct pg_conn *c, size_t n)
{
    c->retained_bytes += n;
}

static void release_retained(struct pg_conn *c, size_t n)
{
    ASSERT(c->retained_bytes >= n);
    c->retained_bytes -= n;
}

static int all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f' &&
            s[i] != '\v')
            return 0;
    return 1;
}

static struct pg_stmt *stmt_find(struct pg_conn *c, const char *name)
{
    for (struct pg_stmt *s = c->stmts; s != NULL; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

static void stmt_unref(struct pg_conn *c, struct pg_stmt *st)
{
    ASSERT(st->refs > 0);
    if (--st->refs > 0)
        return;
    ASSERT(!st->linked);
    release_retained(c, st->bytes);
    if (st->state != NULL && c->be.stmt_free != NULL)
        CALL_BACKEND(c, c->be.stmt_free(c->be.ctx, c, st->state));
    free(st->sql);
    free(st->param_oids);
    free(st->cols);
    free(st->col_names);
    free(st);
}

static void stmt_link(struct pg_conn *c, struct pg_stmt *st)
{
    ASSERT(!st->linked && stmt_find(c, st->name) == NULL);
    st->linked = 1;
    st->refs++;
    /* Counted from here until freed; the Parse checked the text against the budget. */
    st->bytes =
        st->sql_len + 1 + st->n_params * sizeof *st->param_oids + st->n_cols * sizeof *st->cols;
    for (size_t i = 0; i < st->n_cols; i++)
        st->bytes += strlen(st->cols[i].name) + 1;
    retain(c, st->bytes);
    st->next = c->stmts;
    c->stmts = st;
    if (st->name[0] != '\0')
        c->n_named_stmts++;
}

static void stmt_unlink(struct pg_conn *c, struct pg_stmt *st)
{
    ASSERT(st->linked);
    struct pg_stmt **pp = &c->stmts;
    while (*pp != st)
        pp = &(*pp)->next;
    *pp = st->next;
    st->linked = 0;
    if (st->name[0] != '\0')
        c->n_named_stmts--;
    stmt_unref(c, st);
}

static struct pg_portal *portal_find(struct pg_conn *c, const char *name)
{
    for (struct pg_portal *p = c->portals; p != NULL; p = p->next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static void portal_drop_held(struct pg_portal *p)
{
    release_retained(p->conn, p->held.len);
    buf_free(&p->held);
    p->held_off = 0;
    p->held_rows = 0;
    free(p->held_tag);
    p->held_tag = NULL;
}

static void portal_link(struct pg_conn *c, struct pg_portal *p)
{
    ASSERT(!p->linked && portal_find(c, p->name) == NULL);
    p->linked = 1;
    p->next = c->portals;
    c->portals = p;
    if (p->name[0] != '\0')
        c->n_named_portals++;
}

static void portal_destroy(struct pg_conn *c, struct pg_portal *p)
{
    if (p->linked) {
        struct pg_portal **pp = &c->portals;
        while (*pp != p)
            pp = &(*pp)->next;
        *pp = p->next;
        p->linked = 0;
        if (p->name[0] != '\0')
            c->n_named_portals--;
    }
    if (p->state != NULL && c->be.portal_free != NULL)
        CALL_BACKEND(c, c->be.portal_free(c->be.ctx, c, p->state));
    stmt_unref(c, p->stmt);
    portal_drop_held(p);
    release_retained(c, p->bytes);
    free(p->params);
    free(p->param_store);
    free(p->formats);
    free(p);
}

static void portals_drop_all(struct pg_conn *c)
{
    while (c->portals != NULL)
        portal_destroy(c, c->portals);
}

/* ---- Ending ---- */

static void end(struct pg_conn *c)
{
    if (c->ended)
        return;
    c->ended = 1;
    c->io->finish(c);
    c->out.len = 0; /* finish took what was queued; anything later is dropped */
    if (c->req != PG_REQ_NONE && c->copy == PG_COPY_IN) {
        /* A COPY waits for its end: give it one, so the backend's COPY path finishes. */
        c->copy = PG_COPY_NONE;
        c->req_canceled = 1;
        CALL_BACKEND(
            c, c->be.copy_fail(c->be.ctx, c, "the client connection ended during COPY from stdin"));
        return;
    }
    if (c->req != PG_REQ_NONE && !c->req_canceled && c->be.cancel != NULL) {
        c->req_canceled = 1;
        CALL_BACKEND(c, c->be.cancel(c->be.ctx, c));
    }
}

/* The session is over and no request is out: drop what the backend holds, then close. */
static void cleanup(struct pg_conn *c)
{
    ASSERT(c->ended && c->req == PG_REQ_NONE && !c->closed);
    c->depth++;
    portals_drop_all(c);
    while (c->stmts != NULL)
        stmt_unlink(c, c->stmts);
    if (c->started)
        c->be.close(c->be.ctx, c);
    c->depth--;
    c->closed = 1;
}

/* ---- Requests ---- */

static void begin_req(struct pg_conn *c, enum pg_req kind)
{
    ASSERT(c->req == PG_REQ_NONE && kind != PG_REQ_NONE);
    c->req = kind;
    c->req_failed = c->req_fatal = c->req_aborted = c->req_canceled = 0;
    c->req_stmt = NULL;
    c->req_portal = NULL;
    c->req_max_rows = 0;
    c->req_rows = 0;
    c->req_ncols = 0;
    c->req_described = 0;
    c->req_completed = 0;
    c->st->requests_inflight++;
}

/* ReadyForQuery; the end of a transaction drops its portals. */
static void ready(struct pg_conn *c)
{
    if (c->ended)
        return;
    if (c->txn == PG_TXN_IDLE)
        portals_drop_all(c);
    out_ok(c, pg_put_ready(&c->out, (uint8_t)c->txn));
}

/* An error in an extended-query message: report it, then discard until Sync. */
static void ext_error(struct pg_conn *c, const char *sqlstate, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void ext_error(struct pg_conn *c, const char *sqlstate, const char *fmt, ...)
{
    char msg[PG_ERROR_FIELD_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    send_error_fields(c, "ERROR", sqlstate, msg);
    c->skip_to_sync = 1;
}

/* ---- Startup ---- */

static const char *conn_param(const struct pg_conn *c, size_t i, int value)
{
    return (const char *)c->params_store.data + c->param_off[i][value];
}

static int store_param(struct pg_conn *c, const char *name, const char *value)
{
    if (c->n_params == PG_STARTUP_PARAMS_MAX)
        return ERR_TOOBIG;
    size_t n0 = c->params_store.len;
    if (buf_append(&c->params_store, name, strlen(name) + 1) != 0 ||
        buf_append(&c->params_store, value, strlen(value) + 1) != 0)
        return ERR_NOMEM;
    c->param_off[c->n_params][0] = n0;
    c->param_off[c->n_params][1] = n0 + strlen(name) + 1;
    c->n_params++;
    return 0;
}

/* The client encodings Cairn can serve without converting: UTF8, and SQL_ASCII (what libpq
 * sends for "auto" in a C locale; bytes pass through). NULL for anything else. */
static const char *client_encoding_name(const char *v)
{
    if (strcasecmp(v, "UTF8") == 0 || strcasecmp(v, "UTF-8") == 0 || strcasecmp(v, "UNICODE") == 0)
        return "UTF8";
    if (strcasecmp(v, "SQL_ASCII") == 0)
        return "SQL_ASCII";
    return NULL;
}

static void start_backend_session(struct pg_conn *c)
{
    /* Trust authentication. SCRAM-SHA-256 (RFC 5802/7677) goes here: send AuthenticationSASL,
     * move to PG_PHASE_AUTH and read SASLInitialResponse / SASLResponse ('p' messages) before
     * calling the backend's startup. */
    if (out_ok(c, pg_put_auth_ok(&c->out)) != 0)
        return;
    c->phase = PG_PHASE_STARTING;
    c->started = 1;
    begin_req(c, PG_REQ_STARTUP);
    CALL_BACKEND(c, c->be.startup(c->be.ctx, c));
}

static void startup_message(struct pg_conn *c, const struct pg_startup *su)
{
    uint32_t major = su->version >> 16, minor = su->version & 0xffff;
    char msg[160];
    if (major != 3) {
        snprintf(msg, sizeof msg, "unsupported frontend protocol %u.%u: server supports 3.0 to 3.0",
                 major, minor);
        fatal(c, "0A000", msg);
        return;
    }
    const char *unrecognized[PG_STARTUP_PARAMS_MAX];
    size_t n_unrec = 0;
    for (size_t i = 0; i < su->n_params; i++) {
        if (!pg_utf8_valid(su->names[i], strlen(su->names[i])) ||
            !pg_utf8_valid(su->values[i], strlen(su->values[i]))) {
            fatal(c, "22021", "invalid byte sequence for encoding \"UTF8\" in startup packet");
            return;
        }
        if (strncmp(su->names[i], "_pq_.", 5) == 0) {
            unrecognized[n_unrec++] = su->names[i];
            continue;
        }
        int rc = store_param(c, su->names[i], su->values[i]);
        if (rc != 0) {
            fatal(c, "53200", "out of memory");
            return;
        }
    }
    /* A newer minor version or protocol options: tell the client what we speak (3.0, none of
     * its options), as PostgreSQL does, and go on. */
    if ((minor > 0 || n_unrec > 0) &&
        out_ok(c, pg_put_negotiate_protocol(&c->out, 0, unrecognized, n_unrec)) != 0)
        return;
    const char *user = pg_conn_param(c, "user");
    if (user == NULL || user[0] == '\0') {
        fatal(c, "28000", "no PostgreSQL user name specified in startup packet");
        return;
    }
    const char *enc = pg_conn_param(c, "client_encoding");
    if (enc != NULL && client_encoding_name(enc) == NULL) {
        snprintf(msg, sizeof msg, "client_encoding \"%.64s\" is not supported: use UTF8", enc);
        fatal(c, "0A000", msg);
        return;
    }
    const char *repl = pg_conn_param(c, "replication");
    if (repl != NULL && strcasecmp(repl, "false") != 0 && strcasecmp(repl, "off") != 0 &&
        strcmp(repl, "0") != 0) {
        fatal(c, "0A000", "replication connections are not supported");
        return;
    }
    if (pg_conn_param(c, "database") == NULL || pg_conn_param(c, "database")[0] == '\0') {
        /* user points into the store that is about to grow. */
        char *u = strdup(user);
        int rc = u ? store_param(c, "database", u) : ERR_NOMEM;
        free(u);
        if (rc != 0) {
            fatal(c, "53200", "out of memory");
            return;
        }
    }
    if (c->cfg.reject_too_many) {
        fatal(c, "53300", "sorry, too many clients already");
        return;
    }
    /* The store does not grow any more: pointers into it stay valid. */
    c->user = pg_conn_param(c, "user");
    c->database = pg_conn_param(c, "database");
    start_backend_session(c);
}

static int step_startup(struct pg_conn *c)
{
    struct pg_startup su;
    size_t used;
    struct errbuf eb;
    int rc = pg_decode_startup(c->in.data + c->in_off, c->in.len - c->in_off, &su, &used, &eb);
    if (rc == ERR_NEEDMORE)
        return rc;
    c->st->messages_in++;
    if (rc != 0) {
        protocol_fatal(c, eb.msg);
        return rc;
    }
    switch (su.kind) {
    case PG_STARTUP_SSL:
    case PG_STARTUP_GSSENC: {
        int *asked = su.kind == PG_STARTUP_SSL ? &c->ssl_asked : &c->gss_asked;
        if (*asked) {
            protocol_fatal(c, su.kind == PG_STARTUP_SSL ? "duplicate SSLRequest"
                                                        : "duplicate GSSENCRequest");
            break;
        }
        *asked = 1;
        /* 'N': no encryption (TLS is a later issue); the client goes on in plain text. */
        out_ok(c, buf_append_u8(&c->out, 'N'));
        break;
    }
    case PG_STARTUP_CANCEL:
        c->st->cancel_requests++;
        c->io->cancel(c, su.cancel_pid, su.cancel_secret);
        /* PostgreSQL closes a cancel connection without a reply. */
        end(c);
        break;
    case PG_STARTUP_MESSAGE:
        startup_message(c, &su);
        break;
    }
    c->in_off += used;
    return 0;
}

static const char *status_override(const struct pg_conn *c, const char *name)
{
    for (size_t i = 0; i < c->n_status; i++)
        if (strcmp(c->status[i][0], name) == 0)
            return c->status[i][1];
    return NULL;
}

static void startup_done(struct pg_conn *c)
{
    if (c->req_failed) {
        end(c);
        return;
    }
    const char *enc = pg_conn_param(c, "client_encoding");
    const char *app = pg_conn_param(c, "application_name");
    const char *defaults[][2] = {
        {"application_name", app ? app : ""},
        {"client_encoding", enc ? client_encoding_name(enc) : "UTF8"},
        {"DateStyle", "ISO, MDY"},
        {"default_transaction_read_only", "off"},
        {"in_hot_standby", "off"},
        {"integer_datetimes", "on"},
        {"IntervalStyle", "postgres"},
        {"is_superuser", "on"},
        {"server_encoding", "UTF8"},
        {"server_version", c->cfg.server_version},
        {"session_authorization", c->user},
        {"standard_conforming_strings", "on"},
        {"TimeZone", "UTC"},
    };
    size_t nd = sizeof defaults / sizeof defaults[0];
    int rc = 0;
    for (size_t i = 0; i < nd && rc == 0; i++) {
        const char *v = status_override(c, defaults[i][0]);
        rc = pg_put_parameter_status(&c->out, defaults[i][0], v ? v : defaults[i][1]);
    }
    for (size_t i = 0; i < c->n_status && rc == 0; i++) {
        int known = 0;
        for (size_t k = 0; k < nd; k++)
            known |= strcmp(defaults[k][0], c->status[i][0]) == 0;
        if (!known)
            rc = pg_put_parameter_status(&c->out, c->status[i][0], c->status[i][1]);
    }
    if (rc == 0)
        rc = pg_put_backend_key(&c->out, c->pid, c->secret);
    if (out_ok(c, rc) != 0)
        return;
    c->phase = PG_PHASE_READY;
    c->st->sessions_started++;
    ready(c);
}

/* ---- Simple query ---- */

static void drop_unnamed(struct pg_conn *c)
{
    struct pg_portal *p = portal_find(c, "");
    if (p != NULL)
        portal_destroy(c, p);
    struct pg_stmt *st = stmt_find(c, "");
    if (st != NULL)
        stmt_unlink(c, st);
}

static void simple_query(struct pg_conn *c, const struct pg_msg *m)
{
    const char *sql = m->u.query.sql;
    size_t len = m->u.query.len;
    if (!pg_utf8_valid(sql, len)) {
        send_err(c, "ERROR", "22021", "invalid byte sequence for encoding \"UTF8\" in query");
        ready(c);
        return;
    }
    drop_unnamed(c);
    if (all_space(sql, len)) {
        out_ok(c, pg_put_empty(&c->out, PG_BE_EMPTY_QUERY));
        ready(c);
        return;
    }
    buf_reset(&c->req_text);
    if (buf_append(&c->req_text, sql, len) != 0 || buf_append_u8(&c->req_text, 0) != 0) {
        send_err(c, "FATAL", "53200", "out of memory");
        end(c);
        return;
    }
    c->st->queries++;
    begin_req(c, PG_REQ_QUERY);
    CALL_BACKEND(c, c->be.query(c->be.ctx, c, (const char *)c->req_text.data, len));
}

/* ---- Extended query ---- */

static void do_parse(struct pg_conn *c, const struct pg_msg *m)
{
    char name[PG_NAME_BYTES_MAX + 1];
    name_copy(name, m->u.parse.name);
    const char *sql = m->u.parse.sql;
    size_t len = m->u.parse.sql_len;
    if (!pg_utf8_valid(sql, len)) {
        ext_error(c, "22021", "invalid byte sequence for encoding \"UTF8\" in query");
        return;
    }
    if (name[0] != '\0') {
        if (stmt_find(c, name) != NULL) {
            ext_error(c, "42P05", "prepared statement \"%s\" already exists", name);
            return;
        }
        if (c->n_named_stmts >= PG_STATEMENTS_MAX) {
            ext_error(c, "54000", "too many prepared statements (at most %d per session)",
                      PG_STATEMENTS_MAX);
            return;
        }
    } else {
        struct pg_stmt *old = stmt_find(c, "");
        if (old != NULL)
            stmt_unlink(c, old);
    }
    if (retain_check(c, len + 1, "this statement") != 0) {
        c->skip_to_sync = 1;
        return;
    }
    struct pg_stmt *st = calloc(1, sizeof *st);
    size_t n = m->u.parse.n_param_oids;
    if (st != NULL) {
        st->sql = malloc(len + 1);
        st->param_oids = n ? malloc(n * sizeof *st->param_oids) : NULL;
    }
    if (st == NULL || st->sql == NULL || (n && st->param_oids == NULL)) {
        if (st != NULL) {
            free(st->sql);
            free(st->param_oids);
        }
        free(st);
        ext_error(c, "53200", "out of memory");
        return;
    }
    st->conn = c;
    memcpy(st->name, name, sizeof name);
    memcpy(st->sql, sql, len);
    st->sql[len] = '\0';
    st->sql_len = len;
    for (size_t i = 0; i < n; i++)
        st->param_oids[i] = pg_parse_param_oid(m, i);
    st->n_params = n;
    st->refs = 1; /* the request's */
    if (all_space(sql, len)) {
        st->empty = 1;
        stmt_link(c, st);
        stmt_unref(c, st);
        out_ok(c, pg_put_empty(&c->out, PG_BE_PARSE_COMPLETE));
        return;
    }
    begin_req(c, PG_REQ_PREPARE);
    c->req_stmt = st;
    CALL_BACKEND(
        c, c->be.prepare(c->be.ctx, c, st, st->sql, st->sql_len, st->param_oids, st->n_params));
}

static void prepare_done(struct pg_conn *c)
{
    struct pg_stmt *st = c->req_stmt;
    c->req_stmt = NULL;
    if (!c->ended && !c->req_failed) {
        stmt_link(c, st);
        out_ok(c, pg_put_empty(&c->out, PG_BE_PARSE_COMPLETE));
    } else if (!c->ended) {
        c->skip_to_sync = 1;
    }
    stmt_unref(c, st);
}

/* Converts the Bind message's parameters to text into p. Returns 0, or reports the error
 * (and the caller drops p). */
static int bind_params(struct pg_conn *c, struct pg_portal *p, const struct pg_msg *m)
{
    struct pg_stmt *st = p->stmt;
    size_t n = st->n_params;
    if (n == 0)
        return 0;
    struct buf store = BUF_INIT, tmp = BUF_INIT;
    size_t *offs = malloc(n * sizeof *offs);
    p->params = calloc(n, sizeof *p->params);
    int rc = offs && p->params ? 0 : ERR_NOMEM;
    size_t off = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const uint8_t *data;
        size_t len;
        pg_bind_next_param(m, &off, &data, &len);
        offs[i] = SIZE_MAX;
        if (data == NULL)
            continue;
        const void *text = data;
        size_t text_len = len;
        if (pg_bind_param_format(m, i) == 1) {
            uint32_t oid = st->param_oids[i];
            if (!pg_type_has_binary(oid)) {
                ext_error(c, "0A000",
                          "binary format is not supported for parameter $%zu of type %u", i + 1,
                          oid);
                rc = ERR_UNSUPPORTED;
                break;
            }
            struct errbuf eb;
            buf_reset(&tmp);
            rc = pg_binary_to_text(oid, data, len, &tmp, &eb);
            if (rc == ERR_INVAL) {
                ext_error(c, "22P03", "incorrect binary data format in bind parameter %zu", i + 1);
                break;
            }
            if (rc != 0)
                break;
            text = tmp.data;
            text_len = tmp.len;
        }
        if (!pg_utf8_valid(text, text_len)) {
            ext_error(c, "22021", "invalid byte sequence for encoding \"UTF8\" in parameter $%zu",
                      i + 1);
            rc = ERR_INVAL;
            break;
        }
        offs[i] = store.len;
        rc = buf_append(&store, text, text_len);
        rc = rc ? rc : buf_append_u8(&store, 0);
    }
    if (rc == ERR_NOMEM)
        ext_error(c, "53200", "out of memory");
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            if (offs[i] == SIZE_MAX)
                continue;
            p->params[i].data = (const char *)store.data + offs[i];
            p->params[i].len = strlen(p->params[i].data);
        }
        if (retain_check(c, store.len, "these parameters") != 0) {
            c->skip_to_sync = 1;
            rc = ERR_TOOBIG;
        } else {
            p->param_store = (char *)store.data;
            p->bytes = store.len;
            retain(c, p->bytes);
            store.data = NULL;
        }
    }
    buf_free(&store);
    buf_free(&tmp);
    free(offs);
    return rc;
}

static void do_bind(struct pg_conn *c, const struct pg_msg *m)
{
    char pname[PG_NAME_BYTES_MAX + 1], sname[PG_NAME_BYTES_MAX + 1];
    name_copy(pname, m->u.bind.portal);
    name_copy(sname, m->u.bind.stmt);
    struct pg_stmt *st = stmt_find(c, sname);
    if (st == NULL) {
        ext_error(c, "26000", "prepared statement \"%s\" does not exist", sname);
        return;
    }
    size_t np = m->u.bind.n_params, nf = m->u.bind.n_param_formats;
    size_t nr = m->u.bind.n_result_formats;
    if (np != st->n_params) {
        ext_error(c, "08P01",
                  "bind message supplies %zu parameters, but prepared statement \"%s\" requires "
                  "%zu",
                  np, sname, st->n_params);
        return;
    }
    if (nf > 1 && nf != np) {
        ext_error(c, "08P01", "bind message has %zu parameter formats but %zu parameters", nf, np);
        return;
    }
    if (nr > 1 && nr != st->n_cols) {
        ext_error(c, "08P01", "bind message has %zu result formats but query has %zu columns", nr,
                  st->n_cols);
        return;
    }
    for (size_t i = 0; i < nf; i++) {
        int16_t f = pg_bind_param_format(m, i);
        if (f != 0 && f != 1) {
            ext_error(c, "22023", "unsupported format code: %d", f);
            return;
        }
    }
    for (size_t i = 0; i < nr; i++) {
        int16_t f = pg_bind_result_format(m, i);
        if (f != 0 && f != 1) {
            ext_error(c, "22023", "unsupported format code: %d", f);
            return;
        }
    }
    for (size_t i = 0; i < st->n_cols; i++) {
        if (pg_bind_result_format(m, i) == 1 && !pg_type_has_binary(st->cols[i].type_oid)) {
            ext_error(c, "0A000", "binary format is not supported for column \"%s\" of type %u",
                      st->cols[i].name, st->cols[i].type_oid);
            return;
        }
    }
    if (pname[0] != '\0') {
        if (portal_find(c, pname) != NULL) {
            ext_error(c, "42P03", "portal \"%s\" already exists", pname);
            return;
        }
        if (c->n_named_portals >= PG_PORTALS_MAX) {
            ext_error(c, "54000", "too many portals (at most %d per session)", PG_PORTALS_MAX);
            return;
        }
    } else {
        struct pg_portal *old = portal_find(c, "");
        if (old != NULL)
            portal_destroy(c, old);
    }
    struct pg_portal *p = calloc(1, sizeof *p);
    if (p == NULL) {
        ext_error(c, "53200", "out of memory");
        return;
    }
    p->conn = c;
    memcpy(p->name, pname, sizeof pname);
    p->stmt = st;
    st->refs++;
    if (st->n_cols > 0) {
        p->formats = calloc(st->n_cols, sizeof *p->formats);
        if (p->formats == NULL) {
            portal_destroy(c, p);
            ext_error(c, "53200", "out of memory");
            return;
        }
        for (size_t i = 0; i < st->n_cols; i++) {
            p->formats[i] = pg_bind_result_format(m, i);
            p->any_binary |= p->formats[i] == 1;
        }
    }
    if (bind_params(c, p, m) != 0) {
        portal_destroy(c, p);
        return;
    }
    if (st->empty || c->be.bind == NULL) {
        portal_link(c, p);
        out_ok(c, pg_put_empty(&c->out, PG_BE_BIND_COMPLETE));
        return;
    }
    begin_req(c, PG_REQ_BIND);
    c->req_portal = p;
    CALL_BACKEND(c, c->be.bind(c->be.ctx, c, p));
}

static void bind_done(struct pg_conn *c)
{
    struct pg_portal *p = c->req_portal;
    c->req_portal = NULL;
    if (!c->ended && !c->req_failed) {
        portal_link(c, p);
        out_ok(c, pg_put_empty(&c->out, PG_BE_BIND_COMPLETE));
        return;
    }
    if (!c->ended)
        c->skip_to_sync = 1;
    portal_destroy(c, p);
}

static void do_describe(struct pg_conn *c, const struct pg_msg *m)
{
    char name[PG_NAME_BYTES_MAX + 1];
    name_copy(name, m->u.describe.name);
    struct pg_stmt *st;
    const int16_t *formats = NULL;
    int rc;
    if (m->u.describe.kind == 'S') {
        st = stmt_find(c, name);
        if (st == NULL) {
            ext_error(c, "26000", "prepared statement \"%s\" does not exist", name);
            return;
        }
        rc = pg_put_parameter_description(&c->out, st->param_oids, st->n_params);
        if (out_ok(c, rc) != 0)
            return;
    } else {
        struct pg_portal *p = portal_find(c, name);
        if (p == NULL) {
            ext_error(c, "34000", "portal \"%s\" does not exist", name);
            return;
        }
        st = p->stmt;
        formats = p->formats;
    }
    if (st->n_cols == 0)
        rc = pg_put_empty(&c->out, PG_BE_NO_DATA);
    else
        rc = pg_put_row_description(&c->out, st->cols, st->n_cols, formats);
    out_ok(c, rc);
}

/* "SELECT n" reports the rows of the Execute that completed the portal. */
static int put_tag(struct pg_conn *c, const char *tag, uint64_t rows)
{
    if (strncmp(tag, "SELECT ", 7) == 0) {
        char t[32];
        snprintf(t, sizeof t, "SELECT %llu", (unsigned long long)rows);
        return out_ok(c, pg_put_command_complete(&c->out, t));
    }
    return out_ok(c, pg_put_command_complete(&c->out, tag));
}

/* Serves an Execute from rows kept when the backend ignored an earlier max_rows. */
static void serve_held(struct pg_conn *c, struct pg_portal *p, uint32_t max_rows)
{
    uint64_t n = 0;
    while (p->held_rows > 0 && (max_rows == 0 || n < max_rows)) {
        const uint8_t *msg = p->held.data + p->held_off;
        size_t len = (size_t)pg_get_u32(msg + 1) + 1;
        ASSERT(msg[0] == PG_BE_DATA_ROW && p->held_off + len <= p->held.len);
        if (out_ok(c, buf_append(&c->out, msg, len)) != 0)
            return;
        p->held_off += len;
        p->held_rows--;
        n++;
    }
    if (p->held_rows > 0) {
        out_ok(c, pg_put_empty(&c->out, PG_BE_PORTAL_SUSPENDED));
        return;
    }
    ASSERT(p->held_tag != NULL);
    put_tag(c, p->held_tag, n);
    portal_drop_held(p);
}

static void do_execute(struct pg_conn *c, const struct pg_msg *m)
{
    char name[PG_NAME_BYTES_MAX + 1];
    name_copy(name, m->u.execute.portal);
    struct pg_portal *p = portal_find(c, name);
    if (p == NULL) {
        ext_error(c, "34000", "portal \"%s\" does not exist", name);
        return;
    }
    c->st->executes++;
    uint32_t max_rows = m->u.execute.max_rows <= 0 ? 0 : (uint32_t)m->u.execute.max_rows;
    if (p->held_tag != NULL) {
        serve_held(c, p, max_rows);
        return;
    }
    if (p->stmt->empty) {
        out_ok(c, pg_put_empty(&c->out, PG_BE_EMPTY_QUERY));
        return;
    }
    begin_req(c, PG_REQ_EXECUTE);
    c->req_portal = p;
    c->req_max_rows = max_rows;
    CALL_BACKEND(c, c->be.execute(c->be.ctx, c, p, max_rows));
}

static void execute_done(struct pg_conn *c)
{
    struct pg_portal *p = c->req_portal;
    c->req_portal = NULL;
    if (c->ended)
        return;
    if (c->req_failed) {
        portal_drop_held(p);
        c->skip_to_sync = 1;
        return;
    }
    /* Every Execute ends in CommandComplete, PortalSuspended, EmptyQueryResponse or an error. */
    ASSERT(c->req_completed);
}

static void do_close(struct pg_conn *c, const struct pg_msg *m)
{
    char name[PG_NAME_BYTES_MAX + 1];
    name_copy(name, m->u.close.name);
    if (m->u.close.kind == 'S') {
        struct pg_stmt *st = stmt_find(c, name);
        if (st != NULL) {
            /* "Closing a prepared statement implicitly closes any open portals that were
             * constructed from that statement." */
            for (struct pg_portal *p = c->portals, *next; p != NULL; p = next) {
                next = p->next;
                if (p->stmt == st)
                    portal_destroy(c, p);
            }
            stmt_unlink(c, st);
        }
    } else {
        struct pg_portal *p = portal_find(c, name);
        if (p != NULL)
            portal_destroy(c, p);
    }
    out_ok(c, pg_put_empty(&c->out, PG_BE_CLOSE_COMPLETE));
}

static void do_sync(struct pg_conn *c)
{
    int failed = c->skip_to_sync;
    c->skip_to_sync = 0;
    if (c->be.sync == NULL) {
        ready(c);
        return;
    }
    begin_req(c, PG_REQ_SYNC);
    CALL_BACKEND(c, c->be.sync(c->be.ctx, c, failed));
}

/* ---- Dispatch ---- */

static int is_extended(uint8_t type)
{
    return type == PG_MSG_PARSE || type == PG_MSG_BIND || type == PG_MSG_DESCRIBE ||
           type == PG_MSG_EXECUTE || type == PG_MSG_CLOSE || type == PG_MSG_FLUSH;
}

static int is_copy(uint8_t type)
{
    return type == PG_MSG_COPY_DATA || type == PG_MSG_COPY_DONE || type == PG_MSG_COPY_FAIL;
}

/* A message while COPY FROM STDIN runs: data goes to the backend; Flush and Sync are ignored;
 * anything else aborts the COPY. */
static void copy_in_msg(struct pg_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
    char msg[96];
    switch (type) {
    case PG_MSG_COPY_DATA:
        CALL_BACKEND(c, c->be.copy_data(c->be.ctx, c, body, len));
        return;
    case PG_MSG_COPY_DONE:
        c->copy = PG_COPY_NONE;
        CALL_BACKEND(c, c->be.copy_done(c->be.ctx, c));
        return;
    case PG_MSG_COPY_FAIL: {
        struct pg_msg m;
        const char *text = "COPY failed (malformed CopyFail message)";
        if (pg_parse_msg(type, body, len, &m, NULL) == 0)
            text = m.u.copy_fail.message;
        c->copy = PG_COPY_NONE;
        CALL_BACKEND(c, c->be.copy_fail(c->be.ctx, c, text));
        return;
    }
    case PG_MSG_FLUSH:
    case PG_MSG_SYNC:
        return;
    }
    snprintf(msg, sizeof msg, "unexpected message type 0x%02X during COPY from stdin", type);
    c->copy = PG_COPY_NONE;
    CALL_BACKEND(c, c->be.copy_fail(c->be.ctx, c, msg));
}

static void handle_msg(struct pg_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
    if (c->req != PG_REQ_NONE) {
        ASSERT(c->copy == PG_COPY_IN);
        copy_in_msg(c, type, body, len);
        return;
    }
    if (c->skip_to_sync && type != PG_MSG_SYNC && type != PG_MSG_TERMINATE)
        return;
    /* Left over from a COPY that failed: the client is still sending. PostgreSQL ignores them. */
    if (is_copy(type))
        return;
    if (type == PG_MSG_PASSWORD) {
        protocol_fatal(c, "invalid frontend message type 112");
        return;
    }
    struct pg_msg m;
    struct errbuf eb;
    if (pg_parse_msg(type, body, len, &m, &eb) != 0) {
        send_err(c, "ERROR", "08P01", "%s", eb.msg);
        if (is_extended(type))
            c->skip_to_sync = 1;
        else
            ready(c);
        return;
    }
    switch (type) {
    case PG_MSG_QUERY:
        simple_query(c, &m);
        break;
    case PG_MSG_PARSE:
        do_parse(c, &m);
        break;
    case PG_MSG_BIND:
        do_bind(c, &m);
        break;
    case PG_MSG_DESCRIBE:
        do_describe(c, &m);
        break;
    case PG_MSG_EXECUTE:
        do_execute(c, &m);
        break;
    case PG_MSG_CLOSE:
        do_close(c, &m);
        break;
    case PG_MSG_FLUSH:
        c->io->kick(c);
        break;
    case PG_MSG_SYNC:
        do_sync(c);
        break;
    case PG_MSG_TERMINATE:
        end(c);
        break;
    case PG_MSG_FUNCTION_CALL:
        send_err(c, "ERROR", "0A000", "the function call protocol is not supported");
        ready(c);
        break;
    }
}

static int step_msg(struct pg_conn *c)
{
    uint8_t type;
    const uint8_t *body;
    size_t len, used;
    struct errbuf eb;
    int rc = pg_frame_msg(c->in.data + c->in_off, c->in.len - c->in_off, c->cfg.message_bytes_max,
                          &type, &body, &len, &used, &eb);
    if (rc == ERR_NEEDMORE)
        return rc;
    if (rc != 0) {
        protocol_fatal(c, eb.msg);
        return rc;
    }
    c->st->messages_in++;
    handle_msg(c, type, body, len);
    c->in_off += used;
    return 0;
}

/* Handles queued input until a request is out, the input ends mid-message, or too much output
 * waits for the client. */
static void process(struct pg_conn *c)
{
    for (;;) {
        if (c->ended)
            return;
        if (c->req != PG_REQ_NONE && (c->copy != PG_COPY_IN || c->copy_paused))
            return;
        if (output_high(c))
            return;
        int rc = ERR_NEEDMORE;
        if (c->in.len > c->in_off)
            rc = c->phase == PG_PHASE_STARTUP ? step_startup(c) : step_msg(c);
        if (rc == ERR_NEEDMORE) {
            /* A client that left mid-COPY will send no more data: end (the backend's request
             * is cancelled). Otherwise end once every queued message was handled. */
            if (c->eof && (c->req == PG_REQ_NONE || c->copy == PG_COPY_IN))
                end(c);
            return;
        }
    }
}

/* The end of every entry point: go on with queued input, finish an ended session, let the
 * transport write and read, and release c when nothing refers to it any more. */
static void tail(struct pg_conn *c)
{
    if (c->depth > 0 || c->released)
        return;
    process(c);
    /* Handled bytes go once per turn: per message, moving the rest would be quadratic. */
    if (c->in_off > 0) {
        buf_consume(&c->in, c->in_off);
        c->in_off = 0;
    }
    if (c->ended && c->req == PG_REQ_NONE && !c->closed)
        cleanup(c);
    c->io->kick(c);
    if (c->closed) {
        c->released = 1;
        c->io->release(c); /* c may be freed: nothing after this */
    }
}

/* ---- Transport entry points ---- */

void pg_session_init(struct pg_conn *c, const struct pg_backend *be, const struct pg_io *io,
                     const struct pg_session_config *cfg, struct pg_server_stats *st, uint32_t pid,
                     uint32_t secret, const char *peer)
{
    ASSERT(be->startup && be->query && be->prepare && be->execute && be->close);
    c->be = *be;
    c->io = io;
    c->cfg = *cfg;
    if (c->cfg.message_bytes_max == 0)
        c->cfg.message_bytes_max = PG_MESSAGE_BYTES_MAX_DEFAULT;
    if (c->cfg.server_version == NULL)
        c->cfg.server_version = PG_SERVER_VERSION;
    c->st = st;
    c->pid = pid;
    c->secret = secret;
    snprintf(c->peer, sizeof c->peer, "%s", peer ? peer : "");
    c->phase = PG_PHASE_STARTUP;
    c->txn = PG_TXN_IDLE;
}

void pg_session_input(struct pg_conn *c, const void *data, size_t len)
{
    if (c->ended)
        return;
    if (buf_append(&c->in, data, len) != 0) {
        LOGW("pg", "out of memory queueing input from %s", c->peer);
        end(c);
    }
    tail(c);
}

void pg_session_eof(struct pg_conn *c)
{
    if (c->ended)
        return;
    c->eof = 1;
    tail(c);
}

void pg_session_resume(struct pg_conn *c)
{
    tail(c);
}

void pg_session_drained(struct pg_conn *c)
{
    if (c->ended)
        return;
    if (c->want_writable && c->req != PG_REQ_NONE &&
        c->io->unsent(c) + c->out.len < PG_CONN_OUTPUT_BYTES_LOW) {
        c->want_writable = 0;
        if (c->be.writable != NULL)
            CALL_BACKEND(c, c->be.writable(c->be.ctx, c));
    }
    tail(c);
}

void pg_session_end(struct pg_conn *c)
{
    if (c->ended)
        return;
    end(c);
    tail(c);
}

void pg_session_cancel(struct pg_conn *c)
{
    if (c->ended || c->req == PG_REQ_NONE || c->req_canceled || c->be.cancel == NULL)
        return;
    c->req_canceled = 1;
    c->st->cancels_delivered++;
    CALL_BACKEND(c, c->be.cancel(c->be.ctx, c));
    tail(c);
}

void pg_session_timeout(struct pg_conn *c, int startup)
{
    if (c->ended)
        return;
    c->st->timeouts++;
    if (startup)
        fatal(c, "57014", "canceling authentication due to timeout");
    else if (c->txn == PG_TXN_IDLE)
        fatal(c, "57P05", "terminating connection due to idle-session timeout");
    else
        fatal(c, "25P03", "terminating connection due to idle-in-transaction timeout");
    tail(c);
}

int pg_session_read_wanted(const struct pg_conn *c)
{
    if (c->ended)
        return 0;
    int progressing =
        (c->req == PG_REQ_NONE || (c->copy == PG_COPY_IN && !c->copy_paused)) && !output_high(c);
    /* A session that can go on holds only part of a message: read the rest, however large
     * (the frame's length was checked against the limit). Otherwise read ahead a bounded
     * amount. */
    return progressing || c->in.len - c->in_off < PG_CONN_INPUT_BYTES_MAX;
}

int pg_session_ready(const struct pg_conn *c)
{
    return c->phase == PG_PHASE_READY;
}

int pg_session_idle(const struct pg_conn *c)
{
    if (c->ended || c->phase != PG_PHASE_READY || c->req != PG_REQ_NONE)
        return 0;
    return (int)c->txn;
}

void pg_session_free(struct pg_conn *c)
{
    ASSERT(c->closed && c->stmts == NULL && c->portals == NULL && c->retained_bytes == 0);
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->params_store);
    buf_free(&c->req_text);
    buf_free(&c->scratch);
    for (size_t i = 0; i < c->n_status; i++) {
        free(c->status[i][0]);
        free(c->status[i][1]);
    }
    c->n_status = 0;
}

/* ---- The backend's calls ---- */

void pg_done(struct pg_conn *c)
{
    ASSERT(c->req != PG_REQ_NONE);
    enum pg_req kind = c->req;
    c->req = PG_REQ_NONE;
    c->st->requests_inflight--;
    c->want_writable = 0;
    /* COPY must be over: COPY OUT by pg_send_copy_done, COPY IN by the client or an error. */
    ASSERT(c->ended || c->copy == PG_COPY_NONE);
    c->copy = PG_COPY_NONE;
    c->copy_paused = 0;
    switch (kind) {
    case PG_REQ_STARTUP:
        if (!c->ended)
            startup_done(c);
        break;
    case PG_REQ_QUERY:
        /* Do not keep the largest query a session ever sent. */
        if (c->req_text.cap > PG_REQ_TEXT_KEEP_BYTES)
            buf_free(&c->req_text);
        if (c->req_fatal)
            end(c);
        else
            ready(c);
        break;
    case PG_REQ_PREPARE:
        prepare_done(c);
        break;
    case PG_REQ_BIND:
        bind_done(c);
        break;
    case PG_REQ_EXECUTE:
        execute_done(c);
        break;
    case PG_REQ_SYNC:
        if (c->req_fatal)
            end(c);
        else
            ready(c);
        break;
    case PG_REQ_NONE:
        break;
    }
    if (c->req_fatal)
        end(c);
    tail(c);
}

void pg_set_txn_status(struct pg_conn *c, enum pg_txn_status s)
{
    ASSERT(s == PG_TXN_IDLE || s == PG_TXN_BLOCK || s == PG_TXN_FAILED);
    c->txn = s;
}

/* The common checks of a result send: 0 to go on, or the code to return. */
static int result_check(struct pg_conn *c)
{
    if (c->ended)
        return ERR_SHUTDOWN;
    ASSERT(c->req == PG_REQ_QUERY || c->req == PG_REQ_EXECUTE);
    if (c->req_aborted)
        return ERR_STALE;
    return 0;
}

/* The session fails the request on the backend's behalf. */
static int abort_req(struct pg_conn *c, int code, const char *sqlstate, const char *msg)
{
    send_error_fields(c, "ERROR", sqlstate, msg);
    c->req_failed = 1;
    c->req_aborted = 1;
    if (c->req_portal != NULL)
        portal_drop_held(c->req_portal);
    return c->ended ? ERR_SHUTDOWN : code;
}

int pg_send_row_description(struct pg_conn *c, const struct pg_column *cols, size_t n)
{
    ASSERT(n <= PG_COLUMNS_MAX);
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_NONE);
    if (c->req == PG_REQ_EXECUTE)
        return 0;
    c->req_ncols = n;
    c->req_described = 1;
    return out_ok(c, pg_put_row_description(&c->out, cols, n, NULL));
}

int pg_send_data_row(struct pg_conn *c, const char *const *values, const size_t *lens, size_t n)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_NONE && n <= PG_COLUMNS_MAX);
    const uint8_t *v[PG_COLUMNS_MAX];
    size_t l[PG_COLUMNS_MAX];
    for (size_t i = 0; i < n; i++) {
        v[i] = (const uint8_t *)values[i];
        l[i] = values[i] == NULL ? 0 : lens ? lens[i] : strlen(values[i]);
    }
    struct pg_portal *p = c->req_portal;
    if (c->req == PG_REQ_QUERY) {
        ASSERT(c->req_described && n == c->req_ncols);
    } else {
        ASSERT(n == p->stmt->n_cols);
        if (p->any_binary) {
            /* Convert into scratch, then point at it once it stops moving. */
            size_t offs[PG_COLUMNS_MAX];
            buf_reset(&c->scratch);
            for (size_t i = 0; i < n; i++) {
                if (v[i] == NULL || p->formats[i] != 1)
                    continue;
                struct errbuf eb;
                offs[i] = c->scratch.len;
                rc = pg_text_to_binary(p->stmt->cols[i].type_oid, (const char *)v[i], l[i],
                                       &c->scratch, &eb);
                if (rc != 0) {
                    char msg[PG_ERROR_FIELD_BYTES_MAX];
                    snprintf(msg, sizeof msg, "cannot send column \"%s\" in binary format: %s",
                             p->stmt->cols[i].name, eb.msg);
                    return abort_req(c, rc == ERR_NOMEM ? ERR_NOMEM : ERR_INVAL,
                                     rc == ERR_NOMEM ? "53200" : "XX000", msg);
                }
                l[i] = c->scratch.len - offs[i];
            }
            for (size_t i = 0; i < n; i++)
                if (v[i] != NULL && p->formats[i] == 1)
                    v[i] = c->scratch.data + offs[i];
        }
        if (c->req_max_rows > 0 && c->req_rows >= c->req_max_rows) {
            /* Past max_rows: kept for the portal's next Execute. */
            size_t row = 7;
            for (size_t i = 0; i < n; i++)
                row += 4 + l[i];
            if (c->retained_bytes > PG_SESSION_RETAINED_BYTES_MAX ||
                row > PG_SESSION_RETAINED_BYTES_MAX - c->retained_bytes) {
                char msg[200];
                snprintf(msg, sizeof msg,
                         "the rows past this Execute's row limit would make this session retain "
                         "more than %u bytes; fetch them without a limit",
                         PG_SESSION_RETAINED_BYTES_MAX);
                return abort_req(c, ERR_TOOBIG, "54000", msg);
            }
            size_t before = p->held.len;
            if (pg_put_data_row(&p->held, v, l, n) != 0)
                return abort_req(c, ERR_NOMEM, "53200", "out of memory");
            retain(c, p->held.len - before);
            p->held_rows++;
            return 0;
        }
    }
    c->req_rows++;
    return out_ok(c, pg_put_data_row(&c->out, v, l, n));
}

int pg_send_command_complete(struct pg_conn *c, const char *tag)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_NONE);
    if (c->req == PG_REQ_EXECUTE) {
        ASSERT(!c->req_completed);
        c->req_completed = 1;
        struct pg_portal *p = c->req_portal;
        if (p->held_rows > 0) {
            p->held_tag = strdup(tag);
            if (p->held_tag == NULL)
                return abort_req(c, ERR_NOMEM, "53200", "out of memory");
            return out_ok(c, pg_put_empty(&c->out, PG_BE_PORTAL_SUSPENDED));
        }
        return put_tag(c, tag, c->req_rows);
    }
    c->req_described = 0;
    return out_ok(c, pg_put_command_complete(&c->out, tag));
}

int pg_send_empty_query(struct pg_conn *c)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    if (c->req == PG_REQ_EXECUTE) {
        ASSERT(!c->req_completed);
        c->req_completed = 1;
    }
    return out_ok(c, pg_put_empty(&c->out, PG_BE_EMPTY_QUERY));
}

int pg_send_portal_suspended(struct pg_conn *c)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->req == PG_REQ_EXECUTE && c->req_max_rows > 0 && !c->req_completed);
    /* A backend that honours max_rows never sends more than that. */
    ASSERT(c->req_portal->held_rows == 0);
    c->req_completed = 1;
    return out_ok(c, pg_put_empty(&c->out, PG_BE_PORTAL_SUSPENDED));
}

int pg_send_error(struct pg_conn *c, const char *sqlstate, const char *severity,
                  const char *message, const char *detail, const char *hint, int position)
{
    struct pg_error_fields f = {.severity = severity,
                                .sqlstate = sqlstate,
                                .message = message,
                                .detail = detail,
                                .hint = hint,
                                .position = position};
    return pg_send_error_fields(c, &f);
}

int pg_send_error_fields(struct pg_conn *c, const struct pg_error_fields *fields)
{
    struct pg_error_fields f = *fields;
    ASSERT(f.sqlstate != NULL && strlen(f.sqlstate) == 5 && f.message != NULL);
    if (c->ended)
        return ERR_SHUTDOWN;
    const char *sev = f.severity ? f.severity : "ERROR";
    f.severity = sev;
    int is_fatal = strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0;
    ASSERT(c->req != PG_REQ_NONE || is_fatal);
    if (c->req_aborted && c->req != PG_REQ_NONE)
        return ERR_STALE;
    c->st->errors_sent++;
    int rc = out_ok(c, pg_put_error(&c->out, PG_BE_ERROR, &f));
    if (rc != 0)
        return rc;
    if (c->req == PG_REQ_NONE) {
        /* An unsolicited FATAL (e.g. the node shuts down): end; the close callback comes from
         * a fresh loop callback, not from inside this call. */
        end(c);
        c->io->defer(c);
        return 0;
    }
    c->req_failed = 1;
    c->req_fatal |= is_fatal;
    /* An error ends COPY in either direction; later CopyData from the client is ignored. */
    c->copy = PG_COPY_NONE;
    c->copy_paused = 0;
    if (c->req_portal != NULL)
        portal_drop_held(c->req_portal);
    return 0;
}

int pg_send_errorf(struct pg_conn *c, const char *sqlstate, const char *fmt, ...)
{
    char msg[PG_ERROR_FIELD_BYTES_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return pg_send_error(c, sqlstate, "ERROR", msg, NULL, NULL, 0);
}

/* Output sent outside any request goes out now: no tail will flush it. */
static int out_async(struct pg_conn *c, int rc)
{
    rc = out_ok(c, rc);
    if (rc == 0 && c->req == PG_REQ_NONE && c->depth == 0)
        c->io->kick(c);
    return rc;
}

int pg_send_notice(struct pg_conn *c, const char *sqlstate, const char *severity,
                   const char *message, const char *detail, const char *hint)
{
    ASSERT(sqlstate != NULL && strlen(sqlstate) == 5 && message != NULL);
    if (c->ended)
        return ERR_SHUTDOWN;
    struct pg_error_fields f = {.severity = severity ? severity : "NOTICE",
                                .sqlstate = sqlstate,
                                .message = message,
                                .detail = detail,
                                .hint = hint};
    return out_async(c, pg_put_error(&c->out, PG_BE_NOTICE, &f));
}

int pg_send_parameter_status(struct pg_conn *c, const char *name, const char *value)
{
    if (c->ended)
        return ERR_SHUTDOWN;
    if (c->req == PG_REQ_STARTUP) {
        for (size_t i = 0; i < c->n_status; i++) {
            if (strcmp(c->status[i][0], name) == 0) {
                char *v = strdup(value);
                if (v == NULL)
                    return out_ok(c, ERR_NOMEM);
                free(c->status[i][1]);
                c->status[i][1] = v;
                return 0;
            }
        }
        if (c->n_status < PG_STATUS_PARAMS_MAX) {
            char *n = strdup(name), *v = strdup(value);
            if (n == NULL || v == NULL) {
                free(n);
                free(v);
                return out_ok(c, ERR_NOMEM);
            }
            c->status[c->n_status][0] = n;
            c->status[c->n_status][1] = v;
            c->n_status++;
            return 0;
        }
        /* More overrides than slots: AuthenticationOk is out, so sending now is in order. */
    }
    return out_async(c, pg_put_parameter_status(&c->out, name, value));
}

int pg_send_notification(struct pg_conn *c, uint32_t pid, const char *channel, const char *payload)
{
    if (c->ended)
        return ERR_SHUTDOWN;
    return out_async(c, pg_put_notification(&c->out, pid, channel, payload));
}

int pg_send_copy_in_response(struct pg_conn *c, int binary, const int16_t *col_formats, size_t n)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_NONE && !c->req_described);
    ASSERT(c->be.copy_data && c->be.copy_done && c->be.copy_fail);
    rc = out_ok(c, pg_put_copy_response(&c->out, PG_BE_COPY_IN_RESPONSE, binary, col_formats, n));
    if (rc != 0)
        return rc;
    c->copy = PG_COPY_IN;
    c->copy_paused = 0;
    if (c->depth == 0) {
        c->io->kick(c);  /* the client waits for it before sending data */
        c->io->defer(c); /* data it pipelined anyway is queued already */
    }
    return 0;
}

int pg_send_copy_out_response(struct pg_conn *c, int binary, const int16_t *col_formats, size_t n)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_NONE && !c->req_described);
    rc = out_ok(c, pg_put_copy_response(&c->out, PG_BE_COPY_OUT_RESPONSE, binary, col_formats, n));
    if (rc == 0)
        c->copy = PG_COPY_OUT;
    return rc;
}

int pg_send_copy_data(struct pg_conn *c, const void *data, size_t len)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_OUT && len <= c->cfg.message_bytes_max);
    return out_ok(c, pg_put_copy_data(&c->out, data, len));
}

int pg_send_copy_done(struct pg_conn *c)
{
    int rc = result_check(c);
    if (rc != 0)
        return rc;
    ASSERT(c->copy == PG_COPY_OUT);
    c->copy = PG_COPY_NONE;
    return out_ok(c, pg_put_empty(&c->out, PG_BE_COPY_DONE));
}

void pg_copy_pause(struct pg_conn *c)
{
    if (c->copy == PG_COPY_IN)
        c->copy_paused = 1;
}

void pg_copy_resume(struct pg_conn *c)
{
    if (c->copy != PG_COPY_IN || !c->copy_paused)
        return;
    c->copy_paused = 0;
    /* From inside copy_data the delivery loop picks it up by itself; from elsewhere the
     * queued data is delivered from a fresh loop callback. */
    if (c->depth == 0)
        c->io->defer(c);
}

/* ---- Accessors ---- */

const char *pg_conn_user(const struct pg_conn *c)
{
    return c->user;
}

const char *pg_conn_database(const struct pg_conn *c)
{
    return c->database;
}

const char *pg_conn_param(const struct pg_conn *c, const char *name)
{
    for (size_t i = 0; i < c->n_params; i++)
        if (strcmp(conn_param(c, i, 0), name) == 0)
            return conn_param(c, i, 1);
    return NULL;
}

int pg_conn_param_at(const struct pg_conn *c, size_t i, const char **name, const char **value)
{
    if (i >= c->n_params)
        return ERR_NOTFOUND;
    *name = conn_param(c, i, 0);
    *value = conn_param(c, i, 1);
    return 0;
}

const char *pg_conn_peer(const struct pg_conn *c)
{
    return c->peer;
}

uint32_t pg_conn_pid(const struct pg_conn *c)
{
    return c->pid;
}

void pg_conn_set_state(struct pg_conn *c, void *state)
{
    c->state = state;
}

void *pg_conn_state(const struct pg_conn *c)
{
    return c->state;
}

int pg_conn_gone(const struct pg_conn *c)
{
    return c->ended;
}

int pg_conn_output_full(struct pg_conn *c)
{
    if (c->ended || !output_high(c))
        return 0;
    c->want_writable = 1;
    return 1;
}

enum pg_txn_status pg_conn_txn_status(const struct pg_conn *c)
{
    return c->txn;
}

const char *pg_stmt_name(const struct pg_stmt *st)
{
    return st->name;
}

const char *pg_stmt_sql(const struct pg_stmt *st)
{
    return st->sql;
}

int pg_stmt_describe(struct pg_stmt *st, const uint32_t *param_oids, size_t n_params,
                     const struct pg_column *cols, size_t n_cols)
{
    struct pg_conn *c = st->conn;
    ASSERT(c->req == PG_REQ_PREPARE && c->req_stmt == st);
    if (n_params > PG_PARAMS_MAX || n_cols > PG_COLUMNS_MAX || n_params < st->n_params)
        return ERR_INVAL;
    uint32_t *oids = n_params ? malloc(n_params * sizeof *oids) : NULL;
    struct pg_column *cc = n_cols ? malloc(n_cols * sizeof *cc) : NULL;
    size_t names = 0;
    for (size_t i = 0; i < n_cols; i++)
        names += strlen(cols[i].name ? cols[i].name : "?column?") + 1;
    char *store = n_cols ? malloc(names) : NULL;
    if ((n_params && oids == NULL) || (n_cols && (cc == NULL || store == NULL))) {
        free(oids);
        free(cc);
        free(store);
        return ERR_NOMEM;
    }
    if (n_params)
        memcpy(oids, param_oids, n_params * sizeof *oids);
    size_t off = 0;
    for (size_t i = 0; i < n_cols; i++) {
        const char *name = cols[i].name ? cols[i].name : "?column?";
        size_t k = strlen(name) + 1;
        memcpy(store + off, name, k);
        cc[i] = cols[i];
        cc[i].name = store + off;
        off += k;
    }
    free(st->param_oids);
    free(st->cols);
    free(st->col_names);
    st->param_oids = oids;
    st->n_params = n_params;
    st->cols = cc;
    st->n_cols = n_cols;
    st->col_names = store;
    return 0;
}

void pg_stmt_set_state(struct pg_stmt *st, void *state)
{
    st->state = state;
}

void *pg_stmt_state(const struct pg_stmt *st)
{
    return st->state;
}

size_t pg_stmt_n_params(const struct pg_stmt *st)
{
    return st->n_params;
}

uint32_t pg_stmt_param_oid(const struct pg_stmt *st, size_t i)
{
    ASSERT(i < st->n_params);
    return st->param_oids[i];
}

size_t pg_stmt_n_columns(const struct pg_stmt *st)
{
    return st->n_cols;
}

const struct pg_column *pg_stmt_column(const struct pg_stmt *st, size_t i)
{
    ASSERT(i < st->n_cols);
    return &st->cols[i];
}

const char *pg_portal_name(const struct pg_portal *p)
{
    return p->name;
}

struct pg_stmt *pg_portal_stmt(const struct pg_portal *p)
{
    return p->stmt;
}

const struct pg_value *pg_portal_params(const struct pg_portal *p)
{
    return p->params;
}

int pg_portal_result_binary(const struct pg_portal *p, size_t i)
{
    ASSERT(i < p->stmt->n_cols);
    return p->formats[i] == 1;
}

void pg_portal_set_state(struct pg_portal *p, void *state)
{
    p->state = state;
}

void *pg_portal_state(const struct pg_portal *p)
{
    return p->state;
}
