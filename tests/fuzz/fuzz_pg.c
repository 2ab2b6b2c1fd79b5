/* Fuzz driver for the PostgreSQL protocol: the codec and the session state machine. The input
 * is what a client sends. Properties checked: no crash or sanitizer report; every frontend
 * message the decoder accepts re-encodes to the same bytes, and its prefixes need more bytes;
 * a session fed the input whole and in input-derived pieces (with a backend that answers some
 * requests later) produces the same bytes; its output is a sequence of well-formed backend
 * messages with nothing after a FATAL; the backend gets close exactly once, no callback after
 * it, a pg_done for every request, and a free for every statement and portal state. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/pg/pg_int.h"
#include "proto/pg/pg_wire.h"

/* Small, so inputs reach the limit. */
#define FUZZ_PG_MSG_BYTES_MAX (64u * 1024)
#define FUZZ_PG_PENDING_MAX   4

const char *const fuzz_dict[] = {
    "Q",
    "P",
    "B",
    "E",
    "S",
    "H",
    "D",
    "C",
    "X",
    "d",
    "c",
    "f",
    "F",
    "p",
    "SELECT ",
    "COPY",
    "COPY OUT",
    "ASYNC",
    "ERR",
    "FATAL",
    "BEGIN",
    "END",
    "ABORT",
    "FETCH",
    "$1",
    "$2",
    "user",
    "database",
    "_pq_.",
    "client_encoding",
    "LATIN1",
    "replication",
    "\x04\xd2\x16\x2f",
    "\x04\xd2\x16\x30",
    "\x04\xd2\x16\x2e",
    "\x03",
    "\xff\xff\xff\xff",
    "\x7f\xff\xff\xff",
    "\x01",
    "\x02",
    "\x04",
    "\x08",
    "\x0c",
    "\x10",
    "\x17",
};
const size_t fuzz_dict_len = sizeof fuzz_dict / sizeof fuzz_dict[0];

/* ---- Decoder properties ---- */

static void check_reencode(const uint8_t *data, size_t size, const uint8_t *msg, size_t len,
                           const struct pg_msg *m)
{
    struct buf b = BUF_INIT;
    int have = 1;
    switch (m->type) {
    case PG_MSG_QUERY:
        pg_put_query(&b, m->u.query.sql);
        break;
    case PG_MSG_PARSE: {
        uint32_t *oids = malloc((m->u.parse.n_param_oids + 1) * sizeof *oids);
        for (size_t i = 0; i < m->u.parse.n_param_oids; i++)
            oids[i] = pg_parse_param_oid(m, i);
        pg_put_parse(&b, m->u.parse.name, m->u.parse.sql, oids, m->u.parse.n_param_oids);
        free(oids);
        break;
    }
    case PG_MSG_BIND: {
        size_t np = m->u.bind.n_params, nf = m->u.bind.n_param_formats;
        size_t nr = m->u.bind.n_result_formats;
        int16_t *pf = malloc((nf + 1) * sizeof *pf), *rf = malloc((nr + 1) * sizeof *rf);
        const uint8_t **vals = malloc((np + 1) * sizeof *vals);
        size_t *lens = malloc((np + 1) * sizeof *lens);
        for (size_t i = 0; i < nf; i++)
            pf[i] = (int16_t)pg_get_u16(m->u.bind.param_formats + 2 * i);
        for (size_t i = 0; i < nr; i++)
            rf[i] = (int16_t)pg_get_u16(m->u.bind.result_formats + 2 * i);
        size_t off = 0;
        for (size_t i = 0; i < np; i++)
            pg_bind_next_param(m, &off, &vals[i], &lens[i]);
        pg_put_bind(&b, m->u.bind.portal, m->u.bind.stmt, pf, nf, vals, lens, np, rf, nr);
        free(pf);
        free(rf);
        free(vals);
        free(lens);
        break;
    }
    case PG_MSG_DESCRIBE:
        pg_put_describe(&b, m->u.describe.kind, m->u.describe.name);
        break;
    case PG_MSG_CLOSE:
        pg_put_close(&b, m->u.close.kind, m->u.close.name);
        break;
    case PG_MSG_EXECUTE:
        pg_put_execute(&b, m->u.execute.portal, m->u.execute.max_rows);
        break;
    case PG_MSG_COPY_FAIL:
        pg_put_copy_fail(&b, m->u.copy_fail.message);
        break;
    default:
        have = 0;
    }
    if (have && (b.len != len || memcmp(b.data, msg, len) != 0))
        fuzz_fail(data, size, "a decoded message does not re-encode to its bytes");
    buf_free(&b);
}

static void check_decoder(const uint8_t *data, size_t size)
{
    struct pg_startup su;
    size_t used;
    struct errbuf eb;
    int rc = pg_decode_startup(data, size, &su, &used, &eb);
    if (rc != 0) {
        if (rc != ERR_NEEDMORE && (rc != ERR_MALFORMED || eb.msg[0] == '\0'))
            fuzz_fail(data, size, "startup decoder error without a message");
        return;
    }
    if (used < PG_STARTUP_PACKET_BYTES_MIN || used > size)
        fuzz_fail(data, size, "startup packet consumed out of range");
    size_t whole_len = used;
    for (size_t k = 0; k < whole_len; k++)
        if (pg_decode_startup(data, k, &su, &used, &eb) != ERR_NEEDMORE)
            fuzz_fail(data, size, "a startup prefix did not need more");
    size_t off = whole_len;
    while (off < size) {
        struct pg_msg m;
        eb.msg[0] = '\0';
        rc = pg_decode_msg(data + off, size - off, FUZZ_PG_MSG_BYTES_MAX, &m, &used, &eb);
        if (rc == ERR_NEEDMORE)
            return;
        if (rc != 0 && eb.msg[0] == '\0')
            fuzz_fail(data, size, "decoder error without a message");
        if (rc != 0 && used == 0)
            return; /* framing lost */
        if (used < PG_MSG_HEADER_BYTES || used > size - off)
            fuzz_fail(data, size, "message consumed out of range");
        struct pg_msg m2;
        size_t u2;
        if (pg_decode_msg(data + off, used - 1, FUZZ_PG_MSG_BYTES_MAX, &m2, &u2, NULL) !=
                ERR_NEEDMORE ||
            u2 != 0)
            fuzz_fail(data, size, "a message cut short did not need more");
        if (rc == 0)
            check_reencode(data, size, data + off, used, &m);
        off += used;
    }
}

/* ---- A session over buffers ---- */

struct fuzz_run {
    const uint8_t *data; /* the whole input, for fuzz_fail */
    size_t size;
    struct pg_conn c;
    struct pg_server_stats st;
    struct buf out;
    int finished, released, closes, startups, after_close;
    long requests, dones, states_alive;
    int resume;
    struct pg_conn *pending[FUZZ_PG_PENDING_MAX];
    int pending_kind[FUZZ_PG_PENDING_MAX];
    size_t n_pending;
    int copy_bytes;
};

static struct fuzz_run *R;

static void io_kick(struct pg_conn *c)
{
    buf_append(&R->out, c->out.data, c->out.len);
    c->out.len = 0;
}

static void io_defer(struct pg_conn *c)
{
    R->resume = 1;
}

static size_t io_unsent(const struct pg_conn *c)
{
    return 0;
}

static void io_finish(struct pg_conn *c)
{
    if (R->finished)
        fuzz_fail(R->data, R->size, "finish called twice");
    R->finished = 1;
    io_kick(c);
}

static void io_cancel(struct pg_conn *c, uint32_t pid, uint32_t secret) {}

static void io_release(struct pg_conn *c)
{
    if (R->released)
        fuzz_fail(R->data, R->size, "release called twice");
    R->released = 1;
}

static const struct pg_io fuzz_io = {io_kick,   io_defer,  io_unsent,
                                     io_finish, io_cancel, io_release};

static void callback(void)
{
    if (R->closes)
        R->after_close = 1;
}

static void begin(void)
{
    callback();
    R->requests++;
}

static void done(struct pg_conn *c)
{
    R->dones++;
    pg_done(c);
}

/* Deterministic answers keyed on the text. */
static void rows(struct pg_conn *c, int n, int two_cols)
{
    for (int i = 0; i < n; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *vals[] = {v, i % 2 ? NULL : "x"};
        if (pg_send_data_row(c, vals, NULL, two_cols ? 2 : 1) != 0)
            return;
    }
}

static void defer_request(struct pg_conn *c, int kind)
{
    if (R->n_pending == FUZZ_PG_PENDING_MAX)
        fuzz_fail(R->data, R->size, "more requests out than a session allows");
    R->pending[R->n_pending] = c;
    R->pending_kind[R->n_pending++] = kind;
}

static void fb_startup(void *ctx, struct pg_conn *c)
{
    begin();
    R->startups++;
    if (pg_conn_user(c)[0] == 'r')
        pg_send_error(c, "28000", "FATAL", "refused", NULL, NULL, 0);
    done(c);
}

static void fb_query(void *ctx, struct pg_conn *c, const char *sql, size_t len)
{
    begin();
    if (len != strlen(sql))
        fuzz_fail(R->data, R->size, "query length differs from its string");
    if (strncmp(sql, "COPY OUT", 8) == 0) {
        pg_send_copy_out_response(c, 0, NULL, 1);
        pg_send_copy_data(c, "a\n", 2);
        pg_send_copy_done(c);
        pg_send_command_complete(c, "COPY 1");
    } else if (strncmp(sql, "COPY", 4) == 0) {
        R->copy_bytes = 0;
        pg_send_copy_in_response(c, 0, NULL, 1);
        return;
    } else if (strstr(sql, "ASYNC") != NULL) {
        defer_request(c, 'Q');
        return;
    } else if (strncmp(sql, "ERR", 3) == 0) {
        pg_send_error(c, "42601", NULL, "syntax error", NULL, NULL, 1);
    } else if (strncmp(sql, "FATAL", 5) == 0) {
        pg_send_error(c, "57P01", "FATAL", "terminating", NULL, NULL, 0);
    } else if (strncmp(sql, "BEGIN", 5) == 0) {
        pg_set_txn_status(c, PG_TXN_BLOCK);
        pg_send_command_complete(c, "BEGIN");
    } else if (strncmp(sql, "END", 3) == 0) {
        pg_set_txn_status(c, PG_TXN_IDLE);
        pg_send_command_complete(c, "COMMIT");
    } else if (strncmp(sql, "ABORT", 5) == 0) {
        pg_set_txn_status(c, PG_TXN_FAILED);
        pg_send_error(c, "25P02", NULL, "aborted", NULL, NULL, 0);
    } else {
        struct pg_column col = PG_COLUMN("a", PG_OID_TEXT);
        pg_send_row_description(c, &col, 1);
        rows(c, (int)(len % 4), 0);
        pg_send_notice(c, "01000", NULL, "note", NULL, NULL);
        pg_send_command_complete(c, "SELECT 1");
    }
    done(c);
}

struct fb_stmt {
    int kind; /* 0 rows ignoring max_rows, 1 rows honouring it, 2 asynchronous */
    int n;
};

struct fb_portal {
    int next;
};

static void fb_prepare(void *ctx, struct pg_conn *c, struct pg_stmt *st, const char *sql,
                       size_t len, const uint32_t *oids, size_t n_oids)
{
    begin();
    if (strncmp(sql, "ERR", 3) == 0) {
        pg_send_error(c, "42601", NULL, "syntax error", NULL, NULL, 1);
        done(c);
        return;
    }
    size_t np = 0;
    for (const char *p = sql; *p && np < 8; p++)
        np += *p == '$';
    if (np < n_oids)
        np = n_oids;
    uint32_t types[8];
    uint32_t *t = np <= 8 ? types : malloc(np * sizeof *t);
    for (size_t i = 0; i < np; i++)
        t[i] = i < n_oids && oids[i] != 0 ? oids[i] : (i % 2 ? PG_OID_INT4 : PG_OID_TEXT);
    struct pg_column cols[] = {PG_COLUMN("a", PG_OID_INT4), PG_COLUMN("b", PG_OID_TEXT)};
    int with_cols = strncmp(sql, "SELECT", 6) == 0 || strncmp(sql, "FETCH", 5) == 0 ||
                    strstr(sql, "ASYNC") != NULL;
    if (pg_stmt_describe(st, t, np, cols, with_cols ? 2 : 0) != 0)
        fuzz_fail(R->data, R->size, "pg_stmt_describe refused a valid description");
    if (t != types)
        free(t);
    struct fb_stmt *s = malloc(sizeof *s);
    s->kind = strstr(sql, "ASYNC") ? 2 : strncmp(sql, "FETCH", 5) == 0 ? 1 : 0;
    s->n = with_cols ? (int)(len % 5) : 0;
    R->states_alive++;
    pg_stmt_set_state(st, s);
    done(c);
}

static void fb_bind(void *ctx, struct pg_conn *c, struct pg_portal *p)
{
    begin();
    struct pg_stmt *st = pg_portal_stmt(p);
    const struct pg_value *v = pg_portal_params(p);
    for (size_t i = 0; i < pg_stmt_n_params(st); i++)
        if (v[i].data != NULL && strlen(v[i].data) != v[i].len)
            fuzz_fail(R->data, R->size, "a parameter holds a NUL");
    if (pg_stmt_n_params(st) > 0 && v[0].data != NULL && strcmp(v[0].data, "e") == 0) {
        pg_send_error(c, "22P02", NULL, "invalid input", NULL, NULL, 0);
        done(c);
        return;
    }
    R->states_alive++;
    pg_portal_set_state(p, calloc(1, sizeof(struct fb_portal)));
    done(c);
}

static void execute_now(struct pg_conn *c, struct pg_portal *p, uint32_t max_rows)
{
    struct fb_stmt *s = pg_stmt_state(pg_portal_stmt(p));
    struct fb_portal *fp = pg_portal_state(p);
    int two = pg_stmt_n_columns(pg_portal_stmt(p)) == 2;
    if (!two) {
        pg_send_command_complete(c, "INSERT 0 1");
        return;
    }
    int left = s->n - fp->next;
    int k = s->kind == 1 && max_rows > 0 && (int)max_rows < left ? (int)max_rows : left;
    rows(c, k, 1);
    fp->next += k;
    if (fp->next < s->n)
        pg_send_portal_suspended(c);
    else
        pg_send_command_complete(c, "SELECT 1");
}

static struct pg_portal *pending_portal;
static uint32_t pending_max;

static void fb_execute(void *ctx, struct pg_conn *c, struct pg_portal *p, uint32_t max_rows)
{
    begin();
    struct fb_stmt *s = pg_stmt_state(pg_portal_stmt(p));
    if (s == NULL || pg_portal_state(p) == NULL)
        fuzz_fail(R->data, R->size, "execute of a portal the backend never saw");
    if (s->kind == 2) {
        pending_portal = p;
        pending_max = max_rows;
        defer_request(c, 'E');
        return;
    }
    execute_now(c, p, max_rows);
    done(c);
}

static void fb_sync(void *ctx, struct pg_conn *c, int failed)
{
    begin();
    if (failed && pg_conn_txn_status(c) == PG_TXN_BLOCK)
        pg_set_txn_status(c, PG_TXN_FAILED);
    done(c);
}

static void fb_copy_data(void *ctx, struct pg_conn *c, const void *data, size_t len)
{
    callback();
    R->copy_bytes += (int)len;
    if (len > 0 && ((const char *)data)[0] == '!') {
        pg_send_error(c, "22P04", NULL, "bad copy data", NULL, NULL, 0);
        done(c);
    }
}

static void fb_copy_done(void *ctx, struct pg_conn *c)
{
    callback();
    pg_send_command_complete(c, "COPY 1");
    done(c);
}

static void fb_copy_fail(void *ctx, struct pg_conn *c, const char *message)
{
    callback();
    pg_send_error(c, "57014", NULL, message, NULL, NULL, 0);
    done(c);
}

static void complete_pending(size_t i, int canceled)
{
    struct pg_conn *c = R->pending[i];
    int kind = R->pending_kind[i];
    memmove(&R->pending[i], &R->pending[i + 1], (R->n_pending - i - 1) * sizeof R->pending[0]);
    memmove(&R->pending_kind[i], &R->pending_kind[i + 1],
            (R->n_pending - i - 1) * sizeof R->pending_kind[0]);
    R->n_pending--;
    if (canceled) {
        pg_send_error(c, "57014", NULL, "canceling statement due to user request", NULL, NULL, 0);
    } else if (kind == 'Q') {
        struct pg_column col = PG_COLUMN("a", PG_OID_INT4);
        pg_send_row_description(c, &col, 1);
        const char *vals[] = {"7"};
        pg_send_data_row(c, vals, NULL, 1);
        pg_send_command_complete(c, "SELECT 1");
    } else {
        execute_now(c, pending_portal, pending_max);
    }
    done(c);
}

static void fb_cancel(void *ctx, struct pg_conn *c)
{
    callback();
    for (size_t i = 0; i < R->n_pending; i++) {
        if (R->pending[i] == c) {
            complete_pending(i, 1);
            return;
        }
    }
}

static void fb_stmt_free(void *ctx, struct pg_conn *c, void *state)
{
    callback();
    R->states_alive--;
    free(state);
}

static void fb_portal_free(void *ctx, struct pg_conn *c, void *state)
{
    callback();
    R->states_alive--;
    free(state);
}

static void fb_close(void *ctx, struct pg_conn *c)
{
    callback();
    R->closes++;
}

static const struct pg_backend fuzz_backend = {
    .startup = fb_startup,
    .query = fb_query,
    .prepare = fb_prepare,
    .bind = fb_bind,
    .execute = fb_execute,
    .sync = fb_sync,
    .copy_data = fb_copy_data,
    .copy_done = fb_copy_done,
    .copy_fail = fb_copy_fail,
    .cancel = fb_cancel,
    .stmt_free = fb_stmt_free,
    .portal_free = fb_portal_free,
    .close = fb_close,
};

/* Answers what is pending and resumes deferred work until nothing moves. */
static void settle(void)
{
    for (int guard = 0; guard < 1000; guard++) {
        if (R->n_pending > 0) {
            complete_pending(0, 0);
            continue;
        }
        if (R->resume && !R->released) {
            R->resume = 0;
            pg_session_resume(&R->c);
            continue;
        }
        return;
    }
    fuzz_fail(R->data, R->size, "the session does not settle");
}

/* Checks that out is a stream of backend messages, with nothing after a FATAL. */
static void check_output(const uint8_t *data, size_t size, const struct buf *out)
{
    size_t off = 0;
    int started = 0, fatal = 0;
    while (off < out->len) {
        /* The refusals of SSLRequest / GSSENCRequest are single bytes before any message. */
        if (!started && out->data[off] == 'N' && (out->len - off == 1 || out->data[off + 1] != 0)) {
            off++;
            continue;
        }
        started = 1;
        if (fatal)
            fuzz_fail(data, size, "output after a FATAL error");
        uint8_t type;
        const uint8_t *body;
        size_t len, used;
        if (pg_frame_backend(out->data + off, out->len - off, 1u << 30, &type, &body, &len,
                             &used) != 0)
            fuzz_fail(data, size, "output is not framed");
        if (!pg_backend_type_known(type))
            fuzz_fail(data, size, "output has an unknown message type");
        if (type == PG_BE_READY_FOR_QUERY &&
            (len != 1 || (body[0] != 'I' && body[0] != 'T' && body[0] != 'E')))
            fuzz_fail(data, size, "bad ReadyForQuery");
        if (type == PG_BE_ERROR) {
            if (len == 0 || body[len - 1] != 0)
                fuzz_fail(data, size, "ErrorResponse not terminated");
            fatal = len > 6 && memcmp(body, "SFATAL", 6) == 0;
        }
        off += used;
    }
}

static size_t whole(const uint8_t *d, size_t n, size_t i)
{
    return 0;
}

static size_t derived(const uint8_t *d, size_t n, size_t i)
{
    return 1 + (size_t)(d[(i * 7) % n] % 29);
}

static void run_session(const uint8_t *data, size_t size,
                        size_t (*piece)(const uint8_t *, size_t, size_t), struct buf *out)
{
    struct fuzz_run run;
    memset(&run, 0, sizeof run);
    R = &run;
    R->data = data;
    R->size = size;
    struct pg_session_config cfg = {.message_bytes_max = FUZZ_PG_MSG_BYTES_MAX,
                                    .reject_too_many = size > 0 && data[0] == 0x7f};
    pg_session_init(&R->c, &fuzz_backend, &fuzz_io, &cfg, &R->st, 7, 0x5eed, "fuzz");
    size_t off = 0, k = 0;
    while (off < size && !R->released) {
        size_t n = piece(data, size, k++);
        if (n == 0 || n > size - off)
            n = size - off;
        pg_session_input(&R->c, data + off, n);
        off += n;
        settle();
    }
    if (!R->released) {
        pg_session_eof(&R->c);
        settle();
    }
    if (!R->released) {
        pg_session_end(&R->c);
        settle();
    }
    if (!R->released || !R->finished)
        fuzz_fail(data, size, "the session was not released");
    if (R->closes != (R->startups > 0) || R->after_close)
        fuzz_fail(data, size, "close not called exactly once, last");
    if (R->requests != R->dones || R->st.requests_inflight != 0)
        fuzz_fail(data, size, "a request was not finished");
    if (R->states_alive != 0)
        fuzz_fail(data, size, "a statement or portal state was not freed");
    pg_session_free(&R->c);
    check_output(data, size, &R->out);
    buf_append(out, R->out.data, R->out.len);
    buf_free(&R->out);
    R = NULL;
}

/* ---- Value conversions ---- */

/* Conversions reach a fixed point: a binary value that reads as text converts back, and the
 * text of that is the same text; a text value that converts to binary does the same. */
static void check_values(const uint8_t *data, size_t size)
{
    static const uint32_t oids[] = {
        PG_OID_BOOL, PG_OID_BYTEA, PG_OID_CHAR,      PG_OID_INT8,        PG_OID_INT2,
        PG_OID_INT4, PG_OID_TEXT,  PG_OID_OID,       PG_OID_FLOAT4,      PG_OID_FLOAT8,
        PG_OID_DATE, PG_OID_TIME,  PG_OID_TIMESTAMP, PG_OID_TIMESTAMPTZ, PG_OID_NUMERIC,
        PG_OID_UUID, PG_OID_JSONB,
    };
    if (size < 2)
        return;
    uint32_t oid = oids[data[0] % (sizeof oids / sizeof oids[0])];
    const uint8_t *v = data + 1;
    size_t n = size - 1 < 64 ? size - 1 : 64;
    struct buf t1 = BUF_INIT, b1 = BUF_INIT, t2 = BUF_INIT, b2 = BUF_INIT;
    if (pg_binary_to_text(oid, v, n, &t1, NULL) == 0) {
        if (pg_text_to_binary(oid, (const char *)t1.data, t1.len, &b1, NULL) != 0)
            fuzz_fail(data, size, "the text of a binary value does not convert back");
        if (pg_binary_to_text(oid, b1.data, b1.len, &t2, NULL) != 0 || t2.len != t1.len ||
            (t1.len > 0 && memcmp(t1.data, t2.data, t1.len) != 0))
            fuzz_fail(data, size, "binary -> text -> binary -> text changed the text");
    }
    buf_reset(&t1);
    buf_reset(&b1);
    buf_reset(&t2);
    if (pg_text_to_binary(oid, (const char *)v, n, &b1, NULL) == 0) {
        if (pg_binary_to_text(oid, b1.data, b1.len, &t1, NULL) != 0)
            fuzz_fail(data, size, "a converted text value does not read back");
        if (pg_text_to_binary(oid, (const char *)t1.data, t1.len, &b2, NULL) != 0 ||
            pg_binary_to_text(oid, b2.data, b2.len, &t2, NULL) != 0 || t2.len != t1.len ||
            (t1.len > 0 && memcmp(t1.data, t2.data, t1.len) != 0))
            fuzz_fail(data, size, "text -> binary -> text is not a fixed point");
    }
    buf_free(&t1);
    buf_free(&b1);
    buf_free(&t2);
    buf_free(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_values(data, size);
    check_decoder(data, size);
    struct buf a = BUF_INIT, b = BUF_INIT;
    run_session(data, size, whole, &a);
    if (size > 0) {
        run_session(data, size, derived, &b);
        if (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))
            fuzz_fail(data, size, "split feeding changed the session's output");
    }
    buf_free(&a);
    buf_free(&b);
    return 0;
}
