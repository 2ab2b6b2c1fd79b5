/* Unit tests for the PostgreSQL protocol server: a real server on 127.0.0.1 (ephemeral port)
 * runs its libuv loop on a thread with a small test backend; the test talks to it over plain
 * blocking sockets, byte for byte as a client would. Covers startup (SSL/GSS refusal, version
 * negotiation, parameters, rejection), simple query, extended query with pipelining and
 * asynchronous answers, errors that skip to Sync, portals suspended by the backend or by the
 * session, binary formats, COPY IN (with flow control) and OUT, cancel, garbage, connection
 * and time limits, and the backend's close callback. */
#include "test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/pg/pg.h"
#include "proto/pg/pg_wire.h"

#define CLIENT_TIMEOUT_MS 5000
#define REPLY_MSGS_MAX    256

/* ---- The test backend (runs on the loop thread) ---- */

enum { K_SELECT, K_FETCH, K_PARAM, K_INSERT, K_ASYNC };

struct tb_stmt {
    int kind;
    int n;
};

struct tb_portal {
    int next; /* FETCH: rows sent so far */
};

struct tb_sess {
    int big_left; /* BIG n: rows still to stream */
    uint64_t copy_lines;
    int copy_pause; /* pause after each chunk, resume from a timer */
    uv_timer_t *copy_timer;
};

/* Counters the tests read through run_on_loop. */
struct tb_counts {
    int startups, closes, cancels, stmt_frees, portal_frees, executes, syncs, sync_failed;
    int binds, writables;
};

static struct {
    struct tb_counts n;
    struct pg_conn *sleeper; /* the session whose SLEEP is out */
} TB;

static uv_loop_t *tb_loop;

static int int_after(const char *s, const char *prefix, int *n)
{
    size_t k = strlen(prefix);
    if (strncmp(s, prefix, k) != 0)
        return 0;
    *n = atoi(s + k);
    return 1;
}

static void send_rows(struct pg_conn *c, int from, int to)
{
    for (int i = from; i <= to; i++) {
        char v[16];
        snprintf(v, sizeof v, "%d", i);
        const char *vals[] = {v};
        if (pg_send_data_row(c, vals, NULL, 1) != 0)
            return;
    }
}

static void send_select(struct pg_conn *c, int n, int describe)
{
    if (describe) {
        struct pg_column col = PG_COLUMN("n", PG_OID_INT4);
        pg_send_row_description(c, &col, 1);
    }
    send_rows(c, 1, n);
    char tag[32];
    snprintf(tag, sizeof tag, "SELECT %d", n);
    pg_send_command_complete(c, tag);
}

struct tb_async {
    uv_timer_t t;
    struct pg_conn *c;
    int n;
    int describe;
};

static void on_async_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_async(uv_timer_t *t)
{
    struct tb_async *a = t->data;
    send_select(a->c, a->n, a->describe);
    pg_done(a->c);
    uv_close((uv_handle_t *)t, on_async_closed);
}

static void answer_later(struct pg_conn *c, int n, int describe, int ms)
{
    struct tb_async *a = calloc(1, sizeof *a);
    a->c = c;
    a->n = n;
    a->describe = describe;
    uv_timer_init(tb_loop, &a->t);
    a->t.data = a;
    uv_timer_start(&a->t, on_async, (uint64_t)ms, 0);
}

static void tb_startup(void *ctx, struct pg_conn *c)
{
    TB.n.startups++;
    if (strcmp(pg_conn_user(c), "reject") == 0) {
        pg_send_error(c, "28000", "FATAL", "role \"reject\" is not permitted to log in", NULL, NULL,
                      0);
        pg_done(c);
        return;
    }
    if (strcmp(pg_conn_user(c), "dmy") == 0)
        pg_send_parameter_status(c, "DateStyle", "ISO, DMY");
    pg_conn_set_state(c, calloc(1, sizeof(struct tb_sess)));
    pg_done(c);
}

static void tb_close(void *ctx, struct pg_conn *c)
{
    TB.n.closes++;
    struct tb_sess *s = pg_conn_state(c);
    free(s);
}

#define BIG_ROW_BYTES 4096

/* Streams BIG rows until the output is full; the writable callback resumes. */
static void big_pump(struct pg_conn *c)
{
    struct tb_sess *s = pg_conn_state(c);
    static char row[BIG_ROW_BYTES];
    memset(row, 'x', sizeof row);
    while (s->big_left > 0) {
        if (pg_conn_output_full(c))
            return;
        const char *vals[] = {row};
        size_t lens[] = {sizeof row};
        if (pg_send_data_row(c, vals, lens, 1) != 0)
            break;
        s->big_left--;
    }
    pg_send_command_complete(c, "SELECT");
    pg_done(c);
}

static void tb_writable(void *ctx, struct pg_conn *c)
{
    TB.n.writables++;
    big_pump(c);
}

/* Simple query: statements separated by ';'. Returns 1 if the request went asynchronous (the
 * statement must be the last), -1 after an error. */
static int run_statement(struct pg_conn *c, const char *s)
{
    int n;
    struct tb_sess *sess = pg_conn_state(c);
    while (*s == ' ')
        s++;
    if (*s == '\0') {
        pg_send_empty_query(c);
    } else if (int_after(s, "SELECT ", &n)) {
        send_select(c, n, 1);
    } else if (int_after(s, "ASYNC ", &n)) {
        answer_later(c, n, 1, 20);
        return 1;
    } else if (strcmp(s, "BEGIN") == 0) {
        pg_set_txn_status(c, PG_TXN_BLOCK);
        pg_send_command_complete(c, "BEGIN");
    } else if (strcmp(s, "COMMIT") == 0 || strcmp(s, "ROLLBACK") == 0) {
        pg_set_txn_status(c, PG_TXN_IDLE);
        pg_send_command_complete(c, s);
    } else if (strcmp(s, "FAIL") == 0) {
        if (pg_conn_txn_status(c) != PG_TXN_IDLE)
            pg_set_txn_status(c, PG_TXN_FAILED);
        pg_send_error(c, "42000", NULL, "failed on purpose", "some detail", "a hint", 1);
        return -1;
    } else if (strcmp(s, "NOTICE") == 0) {
        pg_send_notice(c, "01000", "WARNING", "careful", NULL, NULL);
        pg_send_command_complete(c, "DO");
    } else if (strcmp(s, "FATAL") == 0) {
        pg_send_error(c, "57P01", "FATAL", "terminating connection", NULL, NULL, 0);
        return -1;
    } else if (int_after(s, "BIG ", &n)) {
        struct pg_column col = PG_COLUMN("x", PG_OID_TEXT);
        pg_send_row_description(c, &col, 1);
        sess->big_left = n;
        big_pump(c);
        return 1;
    } else if (strcmp(s, "SLEEP") == 0) {
        TB.sleeper = c;
        return 1;
    } else if (strcmp(s, "COPY IN") == 0 || strcmp(s, "COPY IN SLOW") == 0) {
        sess->copy_lines = 0;
        sess->copy_pause = strcmp(s, "COPY IN SLOW") == 0;
        int16_t f[] = {0, 0};
        pg_send_copy_in_response(c, 0, f, 2);
        return 1;
    } else if (int_after(s, "COPY OUT ", &n)) {
        pg_send_copy_out_response(c, 0, NULL, 1);
        for (int i = 1; i <= n; i++) {
            char line[16];
            snprintf(line, sizeof line, "%d\n", i);
            pg_send_copy_data(c, line, strlen(line));
        }
        pg_send_copy_done(c);
        char tag[32];
        snprintf(tag, sizeof tag, "COPY %d", n);
        pg_send_command_complete(c, tag);
    } else {
        pg_send_errorf(c, "42601", "syntax error at or near \"%s\"", s);
        return -1;
    }
    return 0;
}

static void tb_query(void *ctx, struct pg_conn *c, const char *sql, size_t len)
{
    char *copy = strdup(sql), *save = NULL;
    int rc = 0;
    /* An empty statement between semicolons is still a statement. */
    for (char *p = copy;; p = NULL) {
        char *stmt = strtok_r(p, ";", &save);
        if (stmt == NULL)
            break;
        rc = run_statement(c, stmt);
        if (rc != 0)
            break;
    }
    free(copy);
    if (rc != 1)
        pg_done(c);
}

static void on_copy_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void on_copy_resume(uv_timer_t *t)
{
    struct pg_conn *c = t->data;
    uv_close((uv_handle_t *)t, on_copy_timer_closed);
    struct tb_sess *s = pg_conn_state(c);
    s->copy_timer = NULL;
    pg_copy_resume(c);
}

static void tb_copy_data(void *ctx, struct pg_conn *c, const void *data, size_t len)
{
    struct tb_sess *s = pg_conn_state(c);
    for (size_t i = 0; i < len; i++)
        s->copy_lines += ((const char *)data)[i] == '\n';
    if (s->copy_pause && s->copy_timer == NULL) {
        pg_copy_pause(c);
        s->copy_timer = malloc(sizeof *s->copy_timer);
        uv_timer_init(tb_loop, s->copy_timer);
        s->copy_timer->data = c;
        uv_timer_start(s->copy_timer, on_copy_resume, 1, 0);
    }
}

static void tb_copy_done(void *ctx, struct pg_conn *c)
{
    struct tb_sess *s = pg_conn_state(c);
    char tag[32];
    snprintf(tag, sizeof tag, "COPY %llu", (unsigned long long)s->copy_lines);
    pg_send_command_complete(c, tag);
    pg_done(c);
}

static void tb_copy_fail(void *ctx, struct pg_conn *c, const char *message)
{
    pg_send_errorf(c, "57014", "COPY from stdin failed: %s", message);
    pg_done(c);
}

static void tb_prepare(void *ctx, struct pg_conn *c, struct pg_stmt *st, const char *sql,
                       size_t len, const uint32_t *oids, size_t n_oids)
{
    struct tb_stmt *s = calloc(1, sizeof *s);
    struct pg_column col = PG_COLUMN("n", PG_OID_INT4);
    if (strcmp(sql, "SELECT $1") == 0) {
        s->kind = K_PARAM;
        uint32_t oid = n_oids > 0 && oids[0] != 0 ? oids[0] : PG_OID_TEXT;
        col = PG_COLUMN("v", oid);
        pg_stmt_describe(st, &oid, 1, &col, 1);
    } else if (int_after(sql, "SELECT ", &s->n)) {
        s->kind = K_SELECT;
        pg_stmt_describe(st, NULL, 0, &col, 1);
    } else if (int_after(sql, "FETCH ", &s->n)) {
        s->kind = K_FETCH;
        pg_stmt_describe(st, NULL, 0, &col, 1);
    } else if (int_after(sql, "ASYNC ", &s->n)) {
        s->kind = K_ASYNC;
        pg_stmt_describe(st, NULL, 0, &col, 1);
    } else if (strcmp(sql, "INSERT") == 0) {
        s->kind = K_INSERT;
    } else {
        free(s);
        pg_send_error(c, "42601", NULL, "syntax error", NULL, NULL, 1);
        pg_done(c);
        return;
    }
    pg_stmt_set_state(st, s);
    pg_done(c);
}

static void tb_bind(void *ctx, struct pg_conn *c, struct pg_portal *p)
{
    TB.n.binds++;
    struct pg_stmt *st = pg_portal_stmt(p);
    const struct pg_value *v = pg_portal_params(p);
    if (pg_stmt_n_params(st) > 0 && v[0].data != NULL && strcmp(v[0].data, "bad") == 0) {
        pg_send_errorf(c, "22P02", "invalid input syntax for type integer: \"bad\"");
        pg_done(c);
        return;
    }
    pg_portal_set_state(p, calloc(1, sizeof(struct tb_portal)));
    pg_done(c);
}

static void tb_execute(void *ctx, struct pg_conn *c, struct pg_portal *p, uint32_t max_rows)
{
    TB.n.executes++;
    struct tb_stmt *s = pg_stmt_state(pg_portal_stmt(p));
    struct tb_portal *tp = pg_portal_state(p);
    switch (s->kind) {
    case K_SELECT: /* ignores max_rows: the session keeps the rest */
        /* Run again after it completed: no rows, as PostgreSQL answers. */
        send_select(c, tp->next ? 0 : s->n, 0);
        tp->next = 1;
        break;
    case K_FETCH: { /* honours max_rows with its own cursor */
        int left = s->n - tp->next;
        int k = max_rows > 0 && (int)max_rows < left ? (int)max_rows : left;
        send_rows(c, tp->next + 1, tp->next + k);
        tp->next += k;
        if (tp->next < s->n) {
            pg_send_portal_suspended(c);
        } else {
            char tag[32];
            snprintf(tag, sizeof tag, "SELECT %d", k);
            pg_send_command_complete(c, tag);
        }
        break;
    }
    case K_PARAM: {
        const struct pg_value *v = pg_portal_params(p);
        const char *vals[] = {v[0].data};
        pg_send_data_row(c, vals, NULL, 1);
        pg_send_command_complete(c, "SELECT 1");
        break;
    }
    case K_INSERT:
        pg_send_command_complete(c, "INSERT 0 1");
        break;
    case K_ASYNC:
        answer_later(c, s->n, 0, 10);
        return;
    }
    pg_done(c);
}

static void tb_sync(void *ctx, struct pg_conn *c, int failed)
{
    TB.n.syncs++;
    TB.n.sync_failed += failed;
    if (failed && pg_conn_txn_status(c) == PG_TXN_BLOCK)
        pg_set_txn_status(c, PG_TXN_FAILED);
    pg_done(c);
}

static void tb_cancel(void *ctx, struct pg_conn *c)
{
    TB.n.cancels++;
    if (TB.sleeper == c) {
        TB.sleeper = NULL;
        pg_send_error(c, "57014", NULL, "canceling statement due to user request", NULL, NULL, 0);
        pg_done(c);
    }
}

static void tb_stmt_free(void *ctx, struct pg_conn *c, void *state)
{
    TB.n.stmt_frees++;
    free(state);
}

static void tb_portal_free(void *ctx, struct pg_conn *c, void *state)
{
    TB.n.portal_frees++;
    free(state);
}

static const struct pg_backend test_backend = {
    .startup = tb_startup,
    .query = tb_query,
    .prepare = tb_prepare,
    .bind = tb_bind,
    .execute = tb_execute,
    .sync = tb_sync,
    .copy_data = tb_copy_data,
    .copy_done = tb_copy_done,
    .copy_fail = tb_copy_fail,
    .cancel = tb_cancel,
    .writable = tb_writable,
    .stmt_free = tb_stmt_free,
    .portal_free = tb_portal_free,
    .close = tb_close,
};

/* ---- The server fixture: loop thread plus "run this on the loop" jobs ---- */

static struct {
    uv_loop_t loop;
    uv_async_t async;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    void (*job)(void *);
    void *job_arg;
    int job_done;
    struct pg_server *srv;
    int port;
} F;

static void on_job(uv_async_t *a)
{
    pthread_mutex_lock(&F.mu);
    void (*fn)(void *) = F.job;
    void *arg = F.job_arg;
    pthread_mutex_unlock(&F.mu);
    if (fn == NULL)
        return;
    fn(arg);
    pthread_mutex_lock(&F.mu);
    F.job = NULL;
    F.job_done = 1;
    pthread_cond_broadcast(&F.cv);
    pthread_mutex_unlock(&F.mu);
}

static void run_on_loop(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&F.mu);
    F.job = fn;
    F.job_arg = arg;
    F.job_done = 0;
    pthread_mutex_unlock(&F.mu);
    uv_async_send(&F.async);
    pthread_mutex_lock(&F.mu);
    while (!F.job_done)
        pthread_cond_wait(&F.cv, &F.mu);
    pthread_mutex_unlock(&F.mu);
}

static void *loop_main(void *arg)
{
    uv_run(&F.loop, UV_RUN_DEFAULT);
    return NULL;
}

static void server_start(const struct pg_server_config *cfg)
{
    memset(&F, 0, sizeof F);
    memset(&TB, 0, sizeof TB);
    pthread_mutex_init(&F.mu, NULL);
    pthread_cond_init(&F.cv, NULL);
    if (uv_loop_init(&F.loop) != 0)
        abort();
    tb_loop = &F.loop;
    uv_async_init(&F.loop, &F.async, on_job);
    struct errbuf eb;
    if (pg_server_start(&F.loop, "127.0.0.1", 0, cfg, &test_backend, &F.srv, &eb) != 0) {
        fprintf(stderr, "server start: %s\n", eb.msg);
        abort();
    }
    F.port = pg_server_port(F.srv);
    pthread_create(&F.thread, NULL, loop_main, NULL);
}

static void job_close(void *arg)
{
    pg_server_close(F.srv);
    uv_close((uv_handle_t *)&F.async, NULL);
}

/* Returns 1 if the loop ended with every handle closed (the server freed itself). */
static int server_stop(void)
{
    run_on_loop(job_close, NULL);
    pthread_join(F.thread, NULL);
    int rc = uv_loop_close(&F.loop);
    pthread_mutex_destroy(&F.mu);
    pthread_cond_destroy(&F.cv);
    return rc == 0;
}

static void job_stats(void *arg)
{
    pg_server_stats(F.srv, arg);
}

static struct pg_server_stats stats(void)
{
    struct pg_server_stats st;
    run_on_loop(job_stats, &st);
    return st;
}

static void job_counts(void *arg)
{
    *(struct tb_counts *)arg = TB.n;
}

static struct tb_counts counts(void)
{
    struct tb_counts n;
    run_on_loop(job_counts, &n);
    return n;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits (bounded) until the backend's close count reaches n. */
static int wait_closes(int n)
{
    for (int i = 0; i < CLIENT_TIMEOUT_MS / 10; i++) {
        if (counts().closes >= n)
            return 1;
        sleep_ms(10);
    }
    return 0;
}

/* ---- A minimal blocking client ---- */

struct client {
    int fd;
    struct buf in;
    uint32_t pid, secret;
};

struct reply {
    char types[REPLY_MSGS_MAX + 1];
    size_t n;
    struct buf body[REPLY_MSGS_MAX];
    int closed; /* the server closed the connection */
};

static int client_connect(struct client *c)
{
    memset(c, 0, sizeof *c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0)
        return -1;
    struct timeval tv = {CLIENT_TIMEOUT_MS / 1000, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return connect(c->fd, (struct sockaddr *)&a, sizeof a);
}

static void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
}

static int client_send(struct client *c, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return -1;
        s += k;
        n -= (size_t)k;
    }
    return 0;
}

static int client_send_buf(struct client *c, struct buf *b)
{
    int rc = client_send(c, b->data, b->len);
    buf_reset(b);
    return rc;
}

/* Reads more input; returns bytes read, 0 on EOF, -1 on error or timeout. */
static int client_fill(struct client *c)
{
    char tmp[65536];
    ssize_t k = recv(c->fd, tmp, sizeof tmp, 0);
    if (k > 0)
        buf_append(&c->in, tmp, (size_t)k);
    if (k < 0 && errno == ECONNRESET)
        return 0;
    return (int)k;
}

static void reply_free(struct reply *r)
{
    for (size_t i = 0; i < r->n; i++)
        buf_free(&r->body[i]);
    memset(r, 0, sizeof *r);
}

/* Reads messages until ReadyForQuery (or `until`), until REPLY_MSGS_MAX are read, or until the
 * server closes. Returns 0, or -1 on a timeout or a malformed stream. */
static int read_reply_until(struct client *c, struct reply *r, char until)
{
    memset(r, 0, sizeof *r);
    for (;;) {
        uint8_t type;
        const uint8_t *body;
        size_t len, used;
        int rc = pg_frame_backend(c->in.data, c->in.len, 1u << 30, &type, &body, &len, &used);
        if (rc == 0) {
            if (!pg_backend_type_known(type))
                return -1;
            if (r->n == REPLY_MSGS_MAX)
                return 0; /* full: the caller reads on */
            r->types[r->n] = (char)type;
            buf_append(&r->body[r->n], body, len);
            buf_append_u8(&r->body[r->n], 0); /* so bodies can be read as strings */
            r->body[r->n].len--;
            r->n++;
            if (type == PG_BE_BACKEND_KEY_DATA) {
                c->pid = pg_get_u32(body);
                c->secret = pg_get_u32(body + 4);
            }
            buf_consume(&c->in, used);
            if (type == (uint8_t)until)
                return 0;
            continue;
        }
        if (rc != ERR_NEEDMORE)
            return -1;
        int k = client_fill(c);
        if (k == 0) {
            r->closed = 1;
            return c->in.len == 0 ? 0 : -1;
        }
        if (k < 0)
            return -1;
    }
}

static int read_reply(struct client *c, struct reply *r)
{
    return read_reply_until(c, r, 'Z');
}

/* The ErrorResponse / NoticeResponse field `code` of message i. */
static const char *field(const struct reply *r, size_t i, char code)
{
    const uint8_t *b = r->body[i].data;
    size_t len = r->body[i].len, k = 0;
    while (k < len && b[k] != 0) {
        char cc = (char)b[k++];
        const char *v = (const char *)b + k;
        k += strlen(v) + 1;
        if (cc == code)
            return v;
    }
    return "";
}

/* The index of the first message of type t, or -1. */
static int find(const struct reply *r, char t)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->types[i] == t)
            return (int)i;
    return -1;
}

/* Column 0 of DataRow i as a string (text format). */
static int row_is(const struct reply *r, size_t i, const char *want)
{
    const uint8_t *b = r->body[i].data;
    if (r->types[i] != 'D' || r->body[i].len < 6 || pg_get_u16(b) < 1)
        return 0;
    uint32_t n = pg_get_u32(b + 2);
    return n == strlen(want) && memcmp(b + 6, want, n) == 0;
}

static const char *param_status(const struct reply *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++) {
        if (r->types[i] != 'S')
            continue;
        const char *k = (const char *)r->body[i].data;
        if (strcmp(k, name) == 0)
            return k + strlen(k) + 1;
    }
    return NULL;
}

/* Connects and completes startup as `user`; r holds the startup reply. */
static int client_start(struct client *c, const char *user, struct reply *r)
{
    if (client_connect(c) != 0)
        return -1;
    struct buf b = BUF_INIT;
    const char *names[] = {"user", "database", "application_name"};
    const char *values[] = {user, "db", "unit"};
    pg_put_startup(&b, PG_PROTOCOL_3_0, names, values, 3);
    int rc = client_send_buf(c, &b);
    buf_free(&b);
    if (rc != 0)
        return -1;
    return read_reply(c, r);
}

static int query(struct client *c, const char *sql, struct reply *r)
{
    struct buf b = BUF_INIT;
    pg_put_query(&b, sql);
    int rc = client_send_buf(c, &b);
    buf_free(&b);
    return rc ? rc : read_reply(c, r);
}

static void put_sync(struct buf *b)
{
    size_t s;
    pg_msg_begin(b, 'S', &s);
    pg_msg_end(b, s);
}

static void terminate(struct client *c)
{
    struct buf b = BUF_INIT;
    size_t s;
    pg_msg_begin(&b, 'X', &s);
    pg_msg_end(&b, s);
    client_send_buf(c, &b);
    buf_free(&b);
}

/* 1 if the server closes the connection with no more bytes. */
static int sees_close(struct client *c)
{
    if (c->in.len > 0)
        return 0;
    return client_fill(c) == 0;
}

/* ---- Tests ---- */

TEST(startup_and_simple_query)
{
    server_start(NULL);
    struct client c;
    CHECK_EQ(client_connect(&c), 0);
    /* libpq's default sslmode=prefer asks for TLS first: refused with 'N', then plain. */
    struct buf b = BUF_INIT;
    pg_put_request_code(&b, PG_CODE_SSL_REQUEST);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(client_fill(&c), 1);
    CHECK_EQ(c.in.data[0], 'N');
    buf_reset(&c.in);
    pg_put_request_code(&b, PG_CODE_GSSENC_REQUEST);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(client_fill(&c), 1);
    CHECK_EQ(c.in.data[0], 'N');
    buf_reset(&c.in);
    const char *names[] = {"user", "application_name", "client_encoding"};
    const char *values[] = {"alice", "unit", "utf-8"};
    pg_put_startup(&b, PG_PROTOCOL_3_0, names, values, 3);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    struct reply r;
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_EQ(r.types[0], 'R');
    CHECK_EQ(pg_get_u32(r.body[0].data), 0); /* AuthenticationOk */
    CHECK(find(&r, 'K') > 0 && r.types[r.n - 1] == 'Z' && r.body[r.n - 1].data[0] == 'I');
    CHECK_STR(param_status(&r, "server_version"), "15.0 (Cairn)");
    CHECK_STR(param_status(&r, "application_name"), "unit");
    CHECK_STR(param_status(&r, "client_encoding"), "UTF8");
    CHECK_STR(param_status(&r, "session_authorization"), "alice");
    CHECK_STR(param_status(&r, "integer_datetimes"), "on");
    CHECK_STR(param_status(&r, "standard_conforming_strings"), "on");
    CHECK_STR(param_status(&r, "DateStyle"), "ISO, MDY");
    CHECK_STR(param_status(&r, "TimeZone"), "UTC");
    CHECK(c.pid > 0);
    reply_free(&r);

    CHECK_EQ(query(&c, "SELECT 3", &r), 0);
    CHECK_STR(r.types, "TDDDCZ");
    CHECK(row_is(&r, 1, "1") && row_is(&r, 3, "3"));
    CHECK_STR((const char *)r.body[4].data, "SELECT 3");
    reply_free(&r);
    /* Several statements in one Query; the empty one in between is reported as such. */
    CHECK_EQ(query(&c, "SELECT 1; ;SELECT 2", &r), 0);
    CHECK_STR(r.types, "TDCITDDCZ");
    reply_free(&r);
    /* An empty query never reaches the backend. */
    CHECK_EQ(query(&c, "  \n", &r), 0);
    CHECK_STR(r.types, "IZ");
    reply_free(&r);
    CHECK_EQ(query(&c, "NOTICE", &r), 0);
    CHECK_STR(r.types, "NCZ");
    CHECK_STR(field(&r, 0, 'S'), "WARNING");
    CHECK_STR(field(&r, 0, 'M'), "careful");
    reply_free(&r);
    CHECK_EQ(query(&c, "nonsense", &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_STR(field(&r, 0, 'C'), "42601");
    reply_free(&r);
    terminate(&c);
    CHECK(sees_close(&c));
    client_close(&c);
    CHECK(wait_closes(1));
    struct tb_counts n = counts();
    CHECK_EQ(n.startups, 1);
    CHECK_EQ(n.closes, 1);
    struct pg_server_stats st = stats();
    CHECK_EQ(st.sessions_started, 1);
    CHECK_EQ(st.queries, 4); /* the whitespace-only one never reached the backend */
    CHECK_EQ(st.errors_sent, 1);
    CHECK(st.bytes_in > 50 && st.bytes_out > 200);
    CHECK_EQ(st.requests_inflight, 0);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(transaction_status_and_fatal)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "bob", &r), 0);
    reply_free(&r);
    CHECK_EQ(query(&c, "BEGIN", &r), 0);
    CHECK(r.types[r.n - 1] == 'Z' && r.body[r.n - 1].data[0] == 'T');
    reply_free(&r);
    CHECK_EQ(query(&c, "FAIL; SELECT 1", &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_EQ(r.body[1].data[0], 'E');
    CHECK_STR(field(&r, 0, 'D'), "some detail");
    CHECK_STR(field(&r, 0, 'H'), "a hint");
    CHECK_STR(field(&r, 0, 'P'), "1");
    reply_free(&r);
    CHECK_EQ(query(&c, "ROLLBACK", &r), 0);
    CHECK_EQ(r.body[r.n - 1].data[0], 'I');
    reply_free(&r);
    /* A FATAL from the backend ends the session without ReadyForQuery. */
    CHECK_EQ(query(&c, "FATAL", &r), 0);
    CHECK_STR(r.types, "E");
    CHECK(r.closed);
    CHECK_STR(field(&r, 0, 'S'), "FATAL");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(1));
    /* A session the backend refuses at startup. */
    CHECK_EQ(client_start(&c, "reject", &r), 0);
    CHECK_STR(r.types, "RE");
    CHECK(r.closed);
    CHECK_STR(field(&r, 1, 'C'), "28000");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(2));
    /* The backend's startup overrides a default ParameterStatus. */
    CHECK_EQ(client_start(&c, "dmy", &r), 0);
    CHECK_STR(param_status(&r, "DateStyle"), "ISO, DMY");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(3));
    CHECK(server_stop());
}

TEST(extended_query_pipelined)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "carol", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    uint32_t oid = PG_OID_INT4;
    const uint8_t *vals[] = {(const uint8_t *)"42"};
    size_t lens[] = {2};
    /* One write: a named statement described, bound and run; then the unnamed one; Sync. */
    pg_put_parse(&b, "s1", "SELECT $1", &oid, 1);
    pg_put_describe(&b, 'S', "s1");
    pg_put_bind(&b, "", "s1", NULL, 0, vals, lens, 1, NULL, 0);
    pg_put_describe(&b, 'P', "");
    pg_put_execute(&b, "", 0);
    pg_put_parse(&b, "", "SELECT 2", NULL, 0);
    pg_put_bind(&b, "", "", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 0);
    pg_put_parse(&b, "", "INSERT", NULL, 0);
    pg_put_bind(&b, "", "", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_describe(&b, 'P', "");
    pg_put_execute(&b, "", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "1tT2TDC12DDC12nCZ");
    CHECK_EQ(pg_get_u16(r.body[1].data), 1);
    CHECK_EQ(pg_get_u32(r.body[1].data + 2), PG_OID_INT4);
    CHECK(row_is(&r, 5, "42"));
    CHECK_STR((const char *)r.body[6].data, "SELECT 1");
    CHECK(row_is(&r, 9, "1") && row_is(&r, 10, "2"));
    CHECK_STR((const char *)r.body[15].data, "INSERT 0 1");
    reply_free(&r);
    /* Answers that come later still come in order: asynchronous Executes pipelined with a
     * simple Query and another Sync. */
    pg_put_parse(&b, "a", "ASYNC 2", NULL, 0);
    pg_put_bind(&b, "", "a", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 0);
    pg_put_bind(&b, "", "a", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 0);
    put_sync(&b);
    pg_put_query(&b, "ASYNC 1");
    pg_put_query(&b, "SELECT 1");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "12DDC2DDCZ");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "TDCZ");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "TDCZ");
    reply_free(&r);
    /* Close a statement: Describe then fails; closing what does not exist is fine. */
    pg_put_close(&b, 'S', "s1");
    pg_put_close(&b, 'P', "nothing");
    pg_put_describe(&b, 'S', "s1");
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "33EZ");
    CHECK_STR(field(&r, 2, 'C'), "26000");
    reply_free(&r);
    terminate(&c);
    client_close(&c);
    CHECK(wait_closes(1));
    struct tb_counts n = counts();
    /* Every statement the backend prepared was freed: s1, "SELECT 2", "INSERT", "a". */
    CHECK_EQ(n.stmt_frees, 4);
    CHECK_EQ(n.portal_frees, n.binds);
    CHECK_EQ(n.syncs, 3);
    CHECK_EQ(n.sync_failed, 1);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(errors_skip_to_sync)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "dave", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    /* A Bind to a missing statement fails; everything up to Sync is discarded. */
    pg_put_parse(&b, "", "SELECT 1", NULL, 0);
    pg_put_bind(&b, "", "missing", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 0);
    pg_put_parse(&b, "x", "SELECT 1", NULL, 0);
    pg_put_query(&b, "SELECT 5");
    put_sync(&b);
    pg_put_parse(&b, "", "SELECT 1", NULL, 0);
    pg_put_bind(&b, "", "", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "1EZ");
    CHECK_STR(field(&r, 1, 'C'), "26000");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "12DCZ");
    reply_free(&r);
    /* Backend errors in Parse and Bind; a wrong parameter count; an unknown portal. */
    uint32_t oid = PG_OID_INT4;
    const uint8_t *bad[] = {(const uint8_t *)"bad"};
    size_t badlen[] = {3};
    pg_put_parse(&b, "", "BAD", NULL, 0);
    put_sync(&b);
    pg_put_parse(&b, "p", "SELECT $1", &oid, 1);
    pg_put_bind(&b, "", "p", NULL, 0, bad, badlen, 1, NULL, 0);
    put_sync(&b);
    pg_put_bind(&b, "", "p", NULL, 0, NULL, NULL, 0, NULL, 0);
    put_sync(&b);
    pg_put_execute(&b, "nope", 0);
    put_sync(&b);
    pg_put_parse(&b, "p", "SELECT 1", NULL, 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    const char *want[][2] = {
        {"42601", "EZ"}, {"22P02", "1EZ"}, {"08P01", "EZ"}, {"34000", "EZ"}, {"42P05", "EZ"}};
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ(read_reply(&c, &r), 0);
        CHECK_STR(r.types, want[i][1]);
        CHECK_STR(field(&r, (size_t)find(&r, 'E'), 'C'), want[i][0]);
        CHECK_EQ(r.body[r.n - 1].data[0], 'I');
        reply_free(&r);
    }
    /* In a transaction block the backend learns of the failure at Sync and reports 'E'. */
    CHECK_EQ(query(&c, "BEGIN", &r), 0);
    reply_free(&r);
    pg_put_execute(&b, "nope", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_EQ(r.body[1].data[0], 'E');
    reply_free(&r);
    /* A malformed body is an ERROR (not FATAL): the session goes on. */
    CHECK_EQ(client_send(&c, "D\x00\x00\x00\x07X\x00\x00", 8), 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_STR(field(&r, 0, 'C'), "08P01");
    CHECK_STR(field(&r, 0, 'S'), "ERROR");
    reply_free(&r);
    CHECK_EQ(query(&c, "ROLLBACK", &r), 0);
    reply_free(&r);
    CHECK_EQ(query(&c, "SELECT 1", &r), 0);
    CHECK_STR(r.types, "TDCZ");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(1));
    CHECK_EQ(counts().sync_failed, 8);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(portals_suspended_and_binary)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "erin", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    /* The backend ignores max_rows: the session serves the rest from what it kept. */
    pg_put_parse(&b, "s5", "SELECT 5", NULL, 0);
    pg_put_bind(&b, "", "s5", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 2);
    pg_put_execute(&b, "", 2);
    pg_put_execute(&b, "", 2);
    pg_put_execute(&b, "", 2);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "12DDsDDsDCCZ");
    CHECK(row_is(&r, 2, "1") && row_is(&r, 5, "3") && row_is(&r, 8, "5"));
    CHECK_STR((const char *)r.body[9].data, "SELECT 1");
    CHECK_STR((const char *)r.body[10].data, "SELECT 0");
    reply_free(&r);
    CHECK_EQ(counts().executes, 2);
    /* The backend honours max_rows with its own cursor. */
    pg_put_parse(&b, "f5", "FETCH 5", NULL, 0);
    pg_put_bind(&b, "", "f5", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "", 3);
    pg_put_execute(&b, "", 3);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "12DDDsDDCZ");
    CHECK(row_is(&r, 6, "4"));
    CHECK_STR((const char *)r.body[8].data, "SELECT 2");
    reply_free(&r);
    CHECK_EQ(counts().executes, 4);
    /* Portals end with the transaction: gone after Sync outside a block. */
    pg_put_bind(&b, "named", "f5", NULL, 0, NULL, NULL, 0, NULL, 0);
    put_sync(&b);
    pg_put_execute(&b, "named", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "2Z");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_STR(field(&r, 0, 'C'), "34000");
    reply_free(&r);
    /* ... but survive Sync inside a block. */
    CHECK_EQ(query(&c, "BEGIN", &r), 0);
    reply_free(&r);
    pg_put_bind(&b, "named", "f5", NULL, 0, NULL, NULL, 0, NULL, 0);
    pg_put_execute(&b, "named", 1);
    put_sync(&b);
    pg_put_execute(&b, "named", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "2DsZ");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "DDDDCZ");
    reply_free(&r);
    CHECK_EQ(query(&c, "COMMIT", &r), 0);
    reply_free(&r);
    /* Binary parameter in, binary result out: the backend only ever sees text. */
    uint32_t oid = PG_OID_INT8;
    int16_t one = 1;
    const uint8_t *vals[] = {(const uint8_t *)"\x00\x00\x00\x00\x00\x00\x01\x00"};
    size_t lens[] = {8};
    pg_put_parse(&b, "", "SELECT $1", &oid, 1);
    pg_put_bind(&b, "", "", &one, 1, vals, lens, 1, &one, 1);
    pg_put_describe(&b, 'P', "");
    pg_put_execute(&b, "", 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "12TDCZ");
    /* RowDescription's format code is binary; the value is the 8-byte 256. */
    const uint8_t *t = r.body[2].data;
    CHECK_EQ(pg_get_u16(t + 2 + 2 + 4 + 2 + 4 + 2 + 4), 1);
    const uint8_t *d = r.body[3].data;
    CHECK_EQ(pg_get_u32(d + 2), 8);
    CHECK(memcmp(d + 6, "\x00\x00\x00\x00\x00\x00\x01\x00", 8) == 0);
    reply_free(&r);
    /* A binary value that is not int8 is refused at Bind. */
    lens[0] = 3;
    pg_put_bind(&b, "", "", &one, 1, vals, lens, 1, NULL, 0);
    put_sync(&b);
    int16_t two = 2;
    pg_put_bind(&b, "", "", &two, 1, vals, lens, 1, NULL, 0);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_STR(field(&r, 0, 'C'), "22P03");
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(field(&r, 0, 'C'), "22023");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(1));
    buf_free(&b);
    CHECK(server_stop());
}

static void put_copy_data(struct buf *b, const char *s)
{
    size_t st;
    pg_msg_begin(b, 'd', &st);
    buf_append(b, s, strlen(s));
    pg_msg_end(b, st);
}

TEST(copy_in_and_out)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "fay", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    pg_put_query(&b, "COPY IN");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply_until(&c, &r, 'G'), 0);
    CHECK_STR(r.types, "G");
    CHECK_EQ(pg_get_u16(r.body[0].data + 1), 2);
    reply_free(&r);
    put_copy_data(&b, "1\tx\n2\t");
    put_copy_data(&b, "y\n");
    size_t st;
    pg_msg_begin(&b, 'H', &st); /* Flush and Sync are ignored during COPY IN */
    pg_msg_end(&b, st);
    put_copy_data(&b, "3\tz\n");
    pg_msg_begin(&b, 'c', &st);
    pg_msg_end(&b, st);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "CZ");
    CHECK_STR((const char *)r.body[0].data, "COPY 3");
    reply_free(&r);
    /* CopyFail: the backend reports the client's message. */
    pg_put_query(&b, "COPY IN");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply_until(&c, &r, 'G'), 0);
    reply_free(&r);
    put_copy_data(&b, "1\n");
    pg_put_copy_fail(&b, "client gave up");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK(strstr(field(&r, 0, 'M'), "client gave up") != NULL);
    reply_free(&r);
    /* A slow consumer pauses after every chunk: 2000 chunks sent in one go all arrive. */
    pg_put_query(&b, "COPY IN SLOW");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply_until(&c, &r, 'G'), 0);
    reply_free(&r);
    for (int i = 0; i < 2000; i++)
        put_copy_data(&b, "row of data\n");
    pg_msg_begin(&b, 'c', &st);
    pg_msg_end(&b, st);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR((const char *)r.body[0].data, "COPY 2000");
    reply_free(&r);
    /* A message that does not belong in COPY aborts it. */
    pg_put_query(&b, "COPY IN");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply_until(&c, &r, 'G'), 0);
    reply_free(&r);
    pg_put_query(&b, "SELECT 1");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK(strstr(field(&r, 0, 'M'), "unexpected message type 0x51") != NULL);
    reply_free(&r);
    /* COPY OUT. */
    CHECK_EQ(query(&c, "COPY OUT 3", &r), 0);
    CHECK_STR(r.types, "HdddcCZ");
    CHECK(r.body[2].len == 2 && memcmp(r.body[2].data, "2\n", 2) == 0);
    CHECK_STR((const char *)r.body[5].data, "COPY 3");
    reply_free(&r);
    /* Copy messages outside COPY are ignored, as PostgreSQL does. */
    put_copy_data(&b, "stray\n");
    pg_put_query(&b, "SELECT 1");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "TDCZ");
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(1));
    buf_free(&b);
    CHECK(server_stop());
}

static int send_cancel(uint32_t pid, uint32_t secret)
{
    struct client k;
    if (client_connect(&k) != 0)
        return 0;
    struct buf b = BUF_INIT;
    pg_put_cancel_request(&b, pid, secret);
    client_send_buf(&k, &b);
    buf_free(&b);
    /* Closed without a reply. */
    int ok = sees_close(&k);
    client_close(&k);
    return ok;
}

TEST(cancel_request)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "gus", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    pg_put_query(&b, "SLEEP");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    sleep_ms(50);
    /* A wrong key cancels nothing. */
    CHECK(send_cancel(c.pid, c.secret ^ 1));
    CHECK(send_cancel(c.pid + 1000, c.secret));
    sleep_ms(50);
    CHECK_EQ(counts().cancels, 0);
    struct pollfd p = {.fd = c.fd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 50), 0);
    CHECK(send_cancel(c.pid, c.secret));
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    CHECK_STR(field(&r, 0, 'C'), "57014");
    reply_free(&r);
    CHECK_EQ(counts().cancels, 1);
    struct pg_server_stats st = stats();
    CHECK_EQ(st.cancel_requests, 3);
    CHECK_EQ(st.cancels_delivered, 1);
    /* The client leaves with a request out. As PostgreSQL (client_connection_check_interval
     * 0), the request runs on and the session ends after it; a CancelRequest still works. */
    pg_put_query(&b, "SLEEP");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    sleep_ms(50);
    uint32_t pid = c.pid, secret = c.secret;
    client_close(&c);
    sleep_ms(50);
    CHECK_EQ(counts().closes, 0);
    CHECK(send_cancel(pid, secret));
    CHECK(wait_closes(1));
    CHECK_EQ(counts().cancels, 2);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(garbage_and_protocol_errors)
{
    server_start(NULL);
    struct client c, ok;
    struct reply r;
    /* A session that stays healthy while the others misbehave. */
    CHECK_EQ(client_start(&ok, "healthy", &r), 0);
    reply_free(&r);
    /* HTTP on the pg port: the "length" is huge. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(client_send(&c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "E");
    CHECK(r.closed);
    CHECK_STR(field(&r, 0, 'C'), "08P01");
    CHECK_STR(field(&r, 0, 'S'), "FATAL");
    reply_free(&r);
    client_close(&c);
    /* An unknown message type after startup. */
    CHECK_EQ(client_start(&c, "x", &r), 0);
    reply_free(&r);
    CHECK_EQ(client_send(&c, "\x01\x00\x00\x00\x04", 5), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "E");
    CHECK(r.closed && strstr(field(&r, 0, 'M'), "invalid frontend message type 1"));
    reply_free(&r);
    client_close(&c);
    /* A length past the limit: refused from the header. */
    CHECK_EQ(client_start(&c, "x", &r), 0);
    reply_free(&r);
    CHECK_EQ(client_send(&c, "Q\x7f\x00\x00\x00", 5), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "E");
    CHECK(r.closed && strstr(field(&r, 0, 'M'), "exceeds the limit"));
    reply_free(&r);
    client_close(&c);
    /* A password message under trust authentication. */
    CHECK_EQ(client_start(&c, "x", &r), 0);
    reply_free(&r);
    CHECK_EQ(client_send(&c, "p\x00\x00\x00\x08pw\x00\x00", 9), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "08P01") == 0);
    reply_free(&r);
    client_close(&c);
    /* Protocol 2.0 and a missing user name. */
    CHECK_EQ(client_connect(&c), 0);
    struct buf b = BUF_INIT;
    const char *n1[] = {"user"}, *v1[] = {"x"};
    pg_put_startup(&b, PG_PROTOCOL(2, 0), n1, v1, 1);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "0A000") == 0);
    CHECK(strstr(field(&r, 0, 'M'), "unsupported frontend protocol 2.0") != NULL);
    reply_free(&r);
    client_close(&c);
    CHECK_EQ(client_connect(&c), 0);
    const char *n2[] = {"database"}, *v2[] = {"d"};
    pg_put_startup(&b, PG_PROTOCOL_3_0, n2, v2, 1);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "28000") == 0);
    reply_free(&r);
    client_close(&c);
    /* Protocol 3.2 with an option: NegotiateProtocolVersion, then a 3.0 session. */
    CHECK_EQ(client_connect(&c), 0);
    const char *n3[] = {"user", "_pq_.magic"}, *v3[] = {"x", "on"};
    pg_put_startup(&b, PG_PROTOCOL(3, 2), n3, v3, 2);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_EQ(r.types[0], 'v');
    CHECK_EQ(pg_get_u32(r.body[0].data), 0);
    CHECK_EQ(pg_get_u32(r.body[0].data + 4), 1);
    CHECK_STR((const char *)r.body[0].data + 8, "_pq_.magic");
    CHECK(r.types[1] == 'R' && r.types[r.n - 1] == 'Z');
    reply_free(&r);
    client_close(&c);
    /* The healthy session noticed nothing. */
    CHECK_EQ(query(&ok, "SELECT 2", &r), 0);
    CHECK_STR(r.types, "TDDCZ");
    reply_free(&r);
    client_close(&ok);
    CHECK(wait_closes(5));
    struct pg_server_stats st = stats();
    CHECK_EQ(st.protocol_errors, 4);
    CHECK_EQ(st.connections_open, 0);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(connection_limit)
{
    struct pg_server_config cfg = {.connections_max = 2};
    server_start(&cfg);
    struct client a, b, c;
    struct reply r;
    CHECK_EQ(client_start(&a, "a", &r), 0);
    reply_free(&r);
    CHECK_EQ(client_start(&b, "b", &r), 0);
    reply_free(&r);
    CHECK_EQ(client_start(&c, "c", &r), 0);
    CHECK_STR(r.types, "E");
    CHECK(r.closed);
    CHECK_STR(field(&r, 0, 'C'), "53300");
    reply_free(&r);
    client_close(&c);
    struct pg_server_stats st = stats();
    CHECK_EQ(st.connections_rejected, 1);
    CHECK_EQ(st.connections_open, 2);
    /* Room again once one leaves. */
    client_close(&a);
    CHECK(wait_closes(1));
    sleep_ms(20);
    CHECK_EQ(client_start(&c, "c", &r), 0);
    CHECK(r.types[r.n - 1] == 'Z');
    reply_free(&r);
    client_close(&b);
    client_close(&c);
    CHECK(wait_closes(3));
    CHECK_EQ(counts().startups, 3);
    CHECK(server_stop());
}

TEST(timeouts)
{
    struct pg_server_config cfg = {.startup_timeout_ms = 100,
                                   .idle_session_timeout_ms = 100,
                                   .idle_in_transaction_timeout_ms = 150};
    server_start(&cfg);
    struct client c;
    struct reply r;
    /* No startup packet in time. */
    CHECK_EQ(client_connect(&c), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "57014") == 0);
    reply_free(&r);
    client_close(&c);
    /* Idle after ReadyForQuery. */
    CHECK_EQ(client_start(&c, "idle", &r), 0);
    reply_free(&r);
    CHECK_EQ(query(&c, "SELECT 1", &r), 0);
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "57P05") == 0);
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(1));
    /* Idle inside a transaction block. */
    CHECK_EQ(client_start(&c, "idle", &r), 0);
    reply_free(&r);
    CHECK_EQ(query(&c, "BEGIN", &r), 0);
    reply_free(&r);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK(r.closed && strcmp(field(&r, 0, 'C'), "25P03") == 0);
    reply_free(&r);
    client_close(&c);
    CHECK(wait_closes(2));
    CHECK_EQ(stats().timeouts, 3);
    CHECK(server_stop());
}

TEST(big_messages_and_backpressure)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "big", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    /* One message larger than the read-ahead bound is still read whole. */
    size_t pad = 3 * PG_CONN_INPUT_BYTES_MAX;
    char *q = malloc(pad + 16);
    memset(q, ' ', pad);
    strcpy(q + pad, "SELECT 2");
    pg_put_query(&b, q);
    free(q);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "TDDCZ");
    reply_free(&r);
    /* A megabyte of pipelined queries behind a request that waits: queued (reading stops past
     * the bound and resumes), then answered in order. */
    pg_put_query(&b, "SLEEP");
    char one[1024];
    memset(one, ' ', sizeof one);
    strcpy(one + sizeof one - 16, "SELECT 1");
    const int n_queries = 1000;
    for (int i = 0; i < n_queries; i++)
        pg_put_query(&b, one);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    sleep_ms(100);
    CHECK(send_cancel(c.pid, c.secret));
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "EZ");
    reply_free(&r);
    for (int i = 0; i < n_queries; i++) {
        CHECK_EQ(read_reply(&c, &r), 0);
        CHECK_STR(r.types, "TDCZ");
        reply_free(&r);
    }
    /* 12 MiB of rows to a client that does not read for a while: the backend waits for the
     * writable callback instead of buffering it all. */
    const int n_rows = 3000;
    char big[32];
    snprintf(big, sizeof big, "BIG %d", n_rows);
    pg_put_query(&b, big);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    sleep_ms(300);
    CHECK_EQ(read_reply_until(&c, &r, 'T'), 0);
    reply_free(&r);
    int rows = 0;
    for (;;) {
        CHECK_EQ(read_reply_until(&c, &r, 'Z'), 0);
        for (size_t i = 0; i < r.n; i++)
            rows += r.types[i] == 'D';
        int done = r.n > 0 && r.types[r.n - 1] == 'Z';
        reply_free(&r);
        if (done)
            break;
    }
    CHECK_EQ(rows, n_rows);
    CHECK(counts().writables > 0);
    client_close(&c);
    CHECK(wait_closes(1));
    buf_free(&b);
    CHECK(server_stop());
}

/* Reads until ReadyForQuery, counting messages by type into counts[256]. */
static int read_counting(struct client *c, int counts_by_type[256], struct reply *last_error)
{
    for (;;) {
        struct reply r;
        if (read_reply(c, &r) != 0)
            return -1;
        int done = r.n > 0 && r.types[r.n - 1] == 'Z';
        for (size_t i = 0; i < r.n; i++) {
            counts_by_type[(uint8_t)r.types[i]]++;
            if (r.types[i] == 'E' && last_error != NULL) {
                reply_free(last_error);
                buf_append(&last_error->body[0], r.body[i].data, r.body[i].len + 1);
                last_error->types[0] = 'E';
                last_error->n = 1;
            }
        }
        reply_free(&r);
        if (done)
            return 0;
    }
}

TEST(session_limits)
{
    server_start(NULL);
    struct client c;
    struct reply r, err;
    memset(&err, 0, sizeof err);
    CHECK_EQ(client_start(&c, "lim", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    /* Named portals: PG_PORTALS_MAX, then 54000. Inside a block so Sync keeps them. */
    CHECK_EQ(query(&c, "BEGIN", &r), 0);
    reply_free(&r);
    pg_put_parse(&b, "s", "SELECT 1", NULL, 0);
    for (int i = 0; i <= PG_PORTALS_MAX; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        pg_put_bind(&b, name, "s", NULL, 0, NULL, NULL, 0, NULL, 0);
    }
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    int n[256] = {0};
    CHECK_EQ(read_counting(&c, n, &err), 0);
    CHECK_EQ(n['2'], PG_PORTALS_MAX);
    CHECK_EQ(n['E'], 1);
    CHECK_STR(field(&err, 0, 'C'), "54000");
    CHECK_EQ(query(&c, "COMMIT", &r), 0);
    reply_free(&r);
    /* Names compare on their first PG_NAME_BYTES_MAX bytes, as PostgreSQL's. */
    char long1[PG_NAME_BYTES_MAX + 10], long2[PG_NAME_BYTES_MAX + 10];
    memset(long1, 'n', sizeof long1);
    memcpy(long2, long1, sizeof long2);
    long1[sizeof long1 - 1] = long2[sizeof long2 - 1] = '\0';
    long2[PG_NAME_BYTES_MAX + 2] = 'Z';
    pg_put_parse(&b, long1, "SELECT 1", NULL, 0);
    pg_put_describe(&b, 'S', long2);
    put_sync(&b);
    CHECK_EQ(client_send_buf(&c, &b), 0);
    CHECK_EQ(read_reply(&c, &r), 0);
    CHECK_STR(r.types, "1tTZ");
    reply_free(&r);
    reply_free(&err);
    client_close(&c);
    CHECK(wait_closes(1));
    /* Every portal and statement the backend saw was freed. */
    struct tb_counts k = counts();
    CHECK_EQ(k.portal_frees, PG_PORTALS_MAX);
    CHECK_EQ(k.stmt_frees, 2);
    buf_free(&b);
    CHECK(server_stop());
}

TEST(server_stop_with_request_out)
{
    server_start(NULL);
    struct client c;
    struct reply r;
    CHECK_EQ(client_start(&c, "h", &r), 0);
    reply_free(&r);
    struct buf b = BUF_INIT;
    pg_put_query(&b, "SLEEP");
    /* Pipelined after the SLEEP: never dispatched. */
    pg_put_query(&b, "SELECT 1");
    CHECK_EQ(client_send_buf(&c, &b), 0);
    sleep_ms(50);
    CHECK(server_stop()); /* cancel, the backend finishes, close, everything freed */
    CHECK_EQ(TB.n.cancels, 1);
    CHECK_EQ(TB.n.closes, 1);
    CHECK_EQ(TB.n.executes, 0);
    client_close(&c);
    buf_free(&b);
}

TEST_MAIN()
