/* PostgreSQL protocol 3.0 codec: frontend message decoding (framing, then body), backend
 * message encoding, and the reverse directions used by tests and fuzzing. No I/O. Message
 * layouts follow https://www.postgresql.org/docs/15/protocol-message-formats.html. */
#include "proto/pg/pg_wire.h"

#include <stdio.h>
#include <string.h>

#include "base/assert.h"

/* ---- Reading a body ---- */

/* A cursor over one message body. The first failure sticks, with its detail. */
struct rd {
    const uint8_t *p;
    size_t len;
    size_t off;
    int bad;
    struct errbuf *eb;
    const char *msg; /* message name for errors */
};

static void rd_fail(struct rd *r, const char *what)
{
    if (!r->bad)
        err_set(r->eb, ERR_MALFORMED, "invalid %s message: %s", r->msg, what);
    r->bad = 1;
}

static size_t rd_left(const struct rd *r)
{
    return r->len - r->off;
}

static uint16_t rd_u16(struct rd *r, const char *what)
{
    if (r->bad || rd_left(r) < 2) {
        rd_fail(r, what);
        return 0;
    }
    uint16_t v = pg_get_u16(r->p + r->off);
    r->off += 2;
    return v;
}

static uint32_t rd_u32(struct rd *r, const char *what)
{
    if (r->bad || rd_left(r) < 4) {
        rd_fail(r, what);
        return 0;
    }
    uint32_t v = pg_get_u32(r->p + r->off);
    r->off += 4;
    return v;
}

static uint8_t rd_u8(struct rd *r, const char *what)
{
    if (r->bad || rd_left(r) < 1) {
        rd_fail(r, what);
        return 0;
    }
    return r->p[r->off++];
}

/* A NUL-terminated string inside the body; *n gets its length without the NUL. */
static const char *rd_str(struct rd *r, const char *what, size_t *n)
{
    if (r->bad) {
        *n = 0;
        return "";
    }
    const uint8_t *s = r->p + r->off;
    const uint8_t *z = memchr(s, 0, rd_left(r));
    if (z == NULL) {
        rd_fail(r, what);
        *n = 0;
        return "";
    }
    *n = (size_t)(z - s);
    r->off += *n + 1;
    return (const char *)s;
}

static const uint8_t *rd_bytes(struct rd *r, size_t n, const char *what)
{
    if (r->bad || rd_left(r) < n) {
        rd_fail(r, what);
        return NULL;
    }
    const uint8_t *p = r->p + r->off;
    r->off += n;
    return p;
}

static int rd_end(struct rd *r)
{
    if (!r->bad && rd_left(r) != 0)
        rd_fail(r, "bytes left over after the last field");
    return r->bad ? ERR_MALFORMED : 0;
}

/* ---- Startup packets ---- */

int pg_decode_startup(const uint8_t *p, size_t len, struct pg_startup *out, size_t *consumed,
                      struct errbuf *eb)
{
    *consumed = 0;
    if (len < 4)
        return ERR_NEEDMORE;
    uint32_t n = pg_get_u32(p);
    if (n < PG_STARTUP_PACKET_BYTES_MIN || n > PG_STARTUP_PACKET_BYTES_MAX)
        return err_set(eb, ERR_MALFORMED, "invalid length of startup packet (%u bytes)", n);
    if (len < n)
        return ERR_NEEDMORE;
    uint32_t code = pg_get_u32(p + 4);
    out->n_params = 0;
    out->version = 0;
    out->cancel_pid = out->cancel_secret = 0;
    if (code == PG_CODE_CANCEL_REQUEST) {
        if (n != 16)
            return err_set(eb, ERR_MALFORMED, "CancelRequest of %u bytes (must be 16)", n);
        out->kind = PG_STARTUP_CANCEL;
        out->cancel_pid = pg_get_u32(p + 8);
        out->cancel_secret = pg_get_u32(p + 12);
    } else if (code == PG_CODE_SSL_REQUEST || code == PG_CODE_GSSENC_REQUEST) {
        if (n != 8)
            return err_set(eb, ERR_MALFORMED, "%s of %u bytes (must be 8)",
                           code == PG_CODE_SSL_REQUEST ? "SSLRequest" : "GSSENCRequest", n);
        out->kind = code == PG_CODE_SSL_REQUEST ? PG_STARTUP_SSL : PG_STARTUP_GSSENC;
    } else {
        out->kind = PG_STARTUP_MESSAGE;
        out->version = code;
        if (code >> 16 == 3) {
            /* name\0value\0 ... \0: the packet ends with the empty name. */
            const uint8_t *q = p + 8, *end = p + n;
            for (;;) {
                const uint8_t *z = memchr(q, 0, (size_t)(end - q));
                if (z == NULL)
                    return err_set(eb, ERR_MALFORMED,
                                   "invalid startup packet layout: expected terminator as "
                                   "last byte");
                if (z == q) {
                    if (z + 1 != end)
                        return err_set(eb, ERR_MALFORMED,
                                       "invalid startup packet layout: bytes after the "
                                       "terminator");
                    break;
                }
                const uint8_t *v = z + 1;
                const uint8_t *vz = v < end ? memchr(v, 0, (size_t)(end - v)) : NULL;
                if (vz == NULL)
                    return err_set(eb, ERR_MALFORMED,
                                   "invalid startup packet layout: parameter \"%.64s\" has no "
                                   "value",
                                   (const char *)q);
                if (out->n_params == PG_STARTUP_PARAMS_MAX)
                    return err_set(eb, ERR_MALFORMED, "startup packet has more than %d parameters",
                                   PG_STARTUP_PARAMS_MAX);
                out->names[out->n_params] = (const char *)q;
                out->values[out->n_params] = (const char *)v;
                out->n_params++;
                q = vz + 1;
            }
        }
    }
    *consumed = n;
    return 0;
}

/* ---- Typed frontend messages ---- */

int pg_msg_type_known(uint8_t type)
{
    switch (type) {
    case PG_MSG_BIND:
    case PG_MSG_CLOSE:
    case PG_MSG_COPY_DATA:
    case PG_MSG_COPY_DONE:
    case PG_MSG_COPY_FAIL:
    case PG_MSG_DESCRIBE:
    case PG_MSG_EXECUTE:
    case PG_MSG_FLUSH:
    case PG_MSG_FUNCTION_CALL:
    case PG_MSG_PARSE:
    case PG_MSG_PASSWORD:
    case PG_MSG_QUERY:
    case PG_MSG_SYNC:
    case PG_MSG_TERMINATE:
        return 1;
    }
    return 0;
}

static int msg_is_large(uint8_t type)
{
    return type == PG_MSG_BIND || type == PG_MSG_FUNCTION_CALL || type == PG_MSG_PARSE ||
           type == PG_MSG_QUERY || type == PG_MSG_COPY_DATA || type == PG_MSG_PASSWORD;
}

static const char *msg_name(uint8_t type)
{
    switch (type) {
    case PG_MSG_BIND:
        return "Bind";
    case PG_MSG_CLOSE:
        return "Close";
    case PG_MSG_COPY_DATA:
        return "CopyData";
    case PG_MSG_COPY_DONE:
        return "CopyDone";
    case PG_MSG_COPY_FAIL:
        return "CopyFail";
    case PG_MSG_DESCRIBE:
        return "Describe";
    case PG_MSG_EXECUTE:
        return "Execute";
    case PG_MSG_FLUSH:
        return "Flush";
    case PG_MSG_FUNCTION_CALL:
        return "FunctionCall";
    case PG_MSG_PARSE:
        return "Parse";
    case PG_MSG_PASSWORD:
        return "password";
    case PG_MSG_QUERY:
        return "Query";
    case PG_MSG_SYNC:
        return "Sync";
    case PG_MSG_TERMINATE:
        return "Terminate";
    }
    return "unknown";
}

int pg_frame_msg(const uint8_t *p, size_t len, size_t msg_bytes_max, uint8_t *type,
                 const uint8_t **body, size_t *body_len, size_t *consumed, struct errbuf *eb)
{
    *consumed = 0;
    if (len < 1)
        return ERR_NEEDMORE;
    uint8_t t = p[0];
    if (!pg_msg_type_known(t))
        return err_set(eb, ERR_MALFORMED, "invalid frontend message type %d", t);
    if (len < PG_MSG_HEADER_BYTES)
        return ERR_NEEDMORE;
    uint32_t n = pg_get_u32(p + 1);
    if (n < 4)
        return err_set(eb, ERR_MALFORMED, "invalid message length %u", n);
    size_t max = msg_is_large(t) ? msg_bytes_max : PG_SMALL_MESSAGE_BYTES_MAX;
    if ((size_t)n - 4 > max)
        return err_set(eb, ERR_TOOBIG, "%s message of %u bytes exceeds the limit of %zu bytes",
                       msg_name(t), n - 4, max);
    if (len - 1 < (size_t)n)
        return ERR_NEEDMORE;
    *type = t;
    *body = p + PG_MSG_HEADER_BYTES;
    *body_len = (size_t)n - 4;
    *consumed = (size_t)n + 1;
    return 0;
}

static void parse_bind(struct rd *r, struct pg_msg *m)
{
    size_t n;
    m->u.bind.portal = rd_str(r, "portal name not terminated", &n);
    m->u.bind.stmt = rd_str(r, "statement name not terminated", &n);
    m->u.bind.n_param_formats = rd_u16(r, "parameter format count missing");
    m->u.bind.param_formats =
        rd_bytes(r, 2 * (size_t)m->u.bind.n_param_formats, "parameter formats run past the end");
    m->u.bind.n_params = rd_u16(r, "parameter count missing");
    m->u.bind.params = r->bad ? NULL : r->p + r->off;
    for (size_t i = 0; i < m->u.bind.n_params && !r->bad; i++) {
        uint32_t plen = rd_u32(r, "parameter length missing");
        if (r->bad)
            break;
        if (plen == 0xffffffffu)
            continue; /* -1: NULL */
        if (plen > 0x7fffffffu) {
            rd_fail(r, "negative parameter length");
            break;
        }
        rd_bytes(r, plen, "parameter value runs past the end");
    }
    m->u.bind.n_result_formats = rd_u16(r, "result format count missing");
    m->u.bind.result_formats =
        rd_bytes(r, 2 * (size_t)m->u.bind.n_result_formats, "result formats run past the end");
}

int pg_parse_msg(uint8_t type, const uint8_t *body, size_t body_len, struct pg_msg *m,
                 struct errbuf *eb)
{
    struct rd r = {.p = body, .len = body_len, .eb = eb, .msg = msg_name(type)};
    memset(m, 0, sizeof *m);
    m->type = type;
    m->body_len = body_len;
    size_t n;
    switch (type) {
    case PG_MSG_QUERY:
        m->u.query.sql = rd_str(&r, "query string not terminated", &m->u.query.len);
        break;
    case PG_MSG_PARSE:
        m->u.parse.name = rd_str(&r, "statement name not terminated", &n);
        m->u.parse.sql = rd_str(&r, "query string not terminated", &m->u.parse.sql_len);
        m->u.parse.n_param_oids = rd_u16(&r, "parameter type count missing");
        m->u.parse.param_oids =
            rd_bytes(&r, 4 * (size_t)m->u.parse.n_param_oids, "parameter types run past the end");
        break;
    case PG_MSG_BIND:
        parse_bind(&r, m);
        break;
    case PG_MSG_DESCRIBE:
    case PG_MSG_CLOSE: {
        uint8_t kind = rd_u8(&r, "kind missing");
        if (!r.bad && kind != 'S' && kind != 'P')
            rd_fail(&r, "kind is neither 'S' nor 'P'");
        m->u.describe.kind = kind;
        m->u.describe.name = rd_str(&r, "name not terminated", &n);
        break;
    }
    case PG_MSG_EXECUTE:
        m->u.execute.portal = rd_str(&r, "portal name not terminated", &n);
        m->u.execute.max_rows = (int32_t)rd_u32(&r, "row limit missing");
        break;
    case PG_MSG_COPY_DATA:
        m->u.copy_data.data = body;
        m->u.copy_data.len = body_len;
        r.off = body_len;
        break;
    case PG_MSG_COPY_FAIL:
        m->u.copy_fail.message = rd_str(&r, "message not terminated", &n);
        break;
    case PG_MSG_PASSWORD:
    case PG_MSG_FUNCTION_CALL:
        m->u.raw.data = body;
        m->u.raw.len = body_len;
        r.off = body_len;
        break;
    case PG_MSG_SYNC:
    case PG_MSG_FLUSH:
    case PG_MSG_TERMINATE:
    case PG_MSG_COPY_DONE:
        break;
    default:
        return err_set(eb, ERR_MALFORMED, "invalid frontend message type %d", type);
    }
    return rd_end(&r);
}

int pg_decode_msg(const uint8_t *p, size_t len, size_t msg_bytes_max, struct pg_msg *m,
                  size_t *consumed, struct errbuf *eb)
{
    uint8_t type;
    const uint8_t *body;
    size_t body_len;
    int rc = pg_frame_msg(p, len, msg_bytes_max, &type, &body, &body_len, consumed, eb);
    if (rc != 0)
        return rc;
    return pg_parse_msg(type, body, body_len, m, eb);
}

uint32_t pg_parse_param_oid(const struct pg_msg *m, size_t i)
{
    ASSERT(m->type == PG_MSG_PARSE && i < m->u.parse.n_param_oids);
    return pg_get_u32(m->u.parse.param_oids + 4 * i);
}

int16_t pg_bind_param_format(const struct pg_msg *m, size_t i)
{
    ASSERT(m->type == PG_MSG_BIND);
    if (m->u.bind.n_param_formats == 0)
        return 0;
    if (m->u.bind.n_param_formats == 1)
        return (int16_t)pg_get_u16(m->u.bind.param_formats);
    ASSERT(i < m->u.bind.n_param_formats);
    return (int16_t)pg_get_u16(m->u.bind.param_formats + 2 * i);
}

int16_t pg_bind_result_format(const struct pg_msg *m, size_t i)
{
    ASSERT(m->type == PG_MSG_BIND);
    if (m->u.bind.n_result_formats == 0)
        return 0;
    if (m->u.bind.n_result_formats == 1)
        return (int16_t)pg_get_u16(m->u.bind.result_formats);
    ASSERT(i < m->u.bind.n_result_formats);
    return (int16_t)pg_get_u16(m->u.bind.result_formats + 2 * i);
}

void pg_bind_next_param(const struct pg_msg *m, size_t *off, const uint8_t **data, size_t *len)
{
    ASSERT(m->type == PG_MSG_BIND);
    const uint8_t *p = m->u.bind.params + *off;
    uint32_t n = pg_get_u32(p);
    if (n == 0xffffffffu) {
        *data = NULL;
        *len = 0;
        *off += 4;
        return;
    }
    *data = p + 4;
    *len = n;
    *off += 4 + (size_t)n;
}

/* ---- Encoding ---- */

static int app_u16(struct buf *b, uint16_t v)
{
    uint8_t t[2];
    pg_put_u16(t, v);
    return buf_append(b, t, 2);
}

static int app_u32(struct buf *b, uint32_t v)
{
    uint8_t t[4];
    pg_put_u32(t, v);
    return buf_append(b, t, 4);
}

static int app_str(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s) + 1);
}

/* At most max bytes of s, not cutting a UTF-8 sequence, then the NUL. */
static int app_str_cut(struct buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
            n--;
    }
    int rc = buf_append(b, s, n);
    return rc ? rc : buf_append_u8(b, 0);
}

int pg_msg_begin(struct buf *b, uint8_t type, size_t *start)
{
    *start = b->len;
    int rc = buf_reserve(b, PG_MSG_HEADER_BYTES);
    if (rc != 0)
        return rc;
    b->data[b->len] = type;
    memset(b->data + b->len + 1, 0, 4);
    b->len += PG_MSG_HEADER_BYTES;
    return 0;
}

void pg_msg_end(struct buf *b, size_t start)
{
    ASSERT(b->len >= start + PG_MSG_HEADER_BYTES);
    size_t n = b->len - start - 1;
    ASSERT(n <= 0x7fffffffu);
    pg_put_u32(b->data + start + 1, (uint32_t)n);
}

/* Ends a message built with rc accumulating failures (each one ERR_NOMEM). */
static int msg_finish(struct buf *b, size_t start, int rc)
{
    if (rc != 0) {
        b->len = start;
        return ERR_NOMEM;
    }
    pg_msg_end(b, start);
    return 0;
}

int pg_put_empty(struct buf *b, uint8_t type)
{
    size_t s;
    int rc = pg_msg_begin(b, type, &s);
    return rc ? rc : msg_finish(b, s, 0);
}

int pg_put_auth_ok(struct buf *b)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_AUTHENTICATION, &s);
    if (rc == 0)
        rc = app_u32(b, 0);
    return msg_finish(b, s, rc);
}

int pg_put_parameter_status(struct buf *b, const char *name, const char *value)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_PARAMETER_STATUS, &s);
    if (rc == 0)
        rc = app_str(b, name);
    if (rc == 0)
        rc = app_str(b, value);
    return msg_finish(b, s, rc);
}

int pg_put_backend_key(struct buf *b, uint32_t pid, uint32_t secret)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_BACKEND_KEY_DATA, &s);
    if (rc == 0)
        rc = app_u32(b, pid);
    if (rc == 0)
        rc = app_u32(b, secret);
    return msg_finish(b, s, rc);
}

int pg_put_ready(struct buf *b, uint8_t status)
{
    ASSERT(status == PG_TXN_IDLE || status == PG_TXN_BLOCK || status == PG_TXN_FAILED);
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_READY_FOR_QUERY, &s);
    if (rc == 0)
        rc = buf_append_u8(b, status);
    return msg_finish(b, s, rc);
}

int pg_put_negotiate_protocol(struct buf *b, uint32_t newest_minor, const char *const *options,
                              size_t n)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_NEGOTIATE_PROTOCOL, &s);
    if (rc == 0)
        rc = app_u32(b, newest_minor);
    if (rc == 0)
        rc = app_u32(b, (uint32_t)n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = app_str(b, options[i]);
    return msg_finish(b, s, rc);
}

int pg_put_row_description(struct buf *b, const struct pg_column *cols, size_t n,
                           const int16_t *formats)
{
    ASSERT(n <= PG_COLUMNS_MAX);
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_ROW_DESCRIPTION, &s);
    if (rc == 0)
        rc = app_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct pg_column *c = &cols[i];
        rc = app_str(b, c->name ? c->name : "?column?");
        rc = rc ? rc : app_u32(b, c->table_oid);
        rc = rc ? rc : app_u16(b, (uint16_t)c->column_attnum);
        rc = rc ? rc : app_u32(b, c->type_oid);
        rc = rc ? rc : app_u16(b, (uint16_t)c->type_size);
        rc = rc ? rc : app_u32(b, (uint32_t)c->type_modifier);
        rc = rc ? rc : app_u16(b, (uint16_t)(formats ? formats[i] : 0));
    }
    return msg_finish(b, s, rc);
}

int pg_put_parameter_description(struct buf *b, const uint32_t *oids, size_t n)
{
    ASSERT(n <= PG_PARAMS_MAX);
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_PARAMETER_DESC, &s);
    if (rc == 0)
        rc = app_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = app_u32(b, oids[i]);
    return msg_finish(b, s, rc);
}

int pg_put_data_row(struct buf *b, const uint8_t *const *values, const size_t *lens, size_t n)
{
    ASSERT(n <= PG_COLUMNS_MAX);
    size_t total = 2;
    for (size_t i = 0; i < n; i++)
        total += 4 + (values[i] ? lens[i] : 0);
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_DATA_ROW, &s);
    if (rc == 0)
        rc = buf_reserve(b, total);
    if (rc == 0)
        rc = app_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (values[i] == NULL) {
            rc = app_u32(b, 0xffffffffu);
            continue;
        }
        ASSERT(lens[i] <= 0x7fffffffu);
        rc = app_u32(b, (uint32_t)lens[i]);
        rc = rc ? rc : buf_append(b, values[i], lens[i]);
    }
    return msg_finish(b, s, rc);
}

int pg_put_command_complete(struct buf *b, const char *tag)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_COMMAND_COMPLETE, &s);
    if (rc == 0)
        rc = app_str(b, tag);
    return msg_finish(b, s, rc);
}

static int app_field(struct buf *b, uint8_t code, const char *v)
{
    if (v == NULL)
        return 0;
    int rc = buf_append_u8(b, code);
    return rc ? rc : app_str_cut(b, v, PG_ERROR_FIELD_BYTES_MAX);
}

int pg_put_error(struct buf *b, uint8_t type, const struct pg_error_fields *f)
{
    ASSERT(type == PG_BE_ERROR || type == PG_BE_NOTICE);
    size_t s;
    int rc = pg_msg_begin(b, type, &s);
    rc = rc ? rc : app_field(b, 'S', f->severity);
    rc = rc ? rc : app_field(b, 'V', f->severity);
    rc = rc ? rc : app_field(b, 'C', f->sqlstate);
    rc = rc ? rc : app_field(b, 'M', f->message ? f->message : "");
    rc = rc ? rc : app_field(b, 'D', f->detail);
    rc = rc ? rc : app_field(b, 'H', f->hint);
    if (rc == 0 && f->position > 0) {
        char pos[16];
        snprintf(pos, sizeof pos, "%d", f->position);
        rc = app_field(b, 'P', pos);
    }
    rc = rc ? rc : app_field(b, 's', f->schema);
    rc = rc ? rc : app_field(b, 't', f->table);
    rc = rc ? rc : app_field(b, 'c', f->column);
    rc = rc ? rc : app_field(b, 'n', f->constraint);
    rc = rc ? rc : buf_append_u8(b, 0);
    return msg_finish(b, s, rc);
}

int pg_put_copy_response(struct buf *b, uint8_t type, int overall, const int16_t *formats, size_t n)
{
    ASSERT(type == PG_BE_COPY_IN_RESPONSE || type == PG_BE_COPY_OUT_RESPONSE);
    ASSERT(n <= PG_COLUMNS_MAX);
    size_t s;
    int rc = pg_msg_begin(b, type, &s);
    rc = rc ? rc : buf_append_u8(b, overall ? 1 : 0);
    rc = rc ? rc : app_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = app_u16(b, (uint16_t)(formats ? formats[i] : (overall ? 1 : 0)));
    return msg_finish(b, s, rc);
}

int pg_put_copy_data(struct buf *b, const void *data, size_t len)
{
    ASSERT(len <= 0x7fffffffu - 4);
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_COPY_DATA, &s);
    rc = rc ? rc : buf_append(b, data, len);
    return msg_finish(b, s, rc);
}

int pg_put_notification(struct buf *b, uint32_t pid, const char *channel, const char *payload)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_BE_NOTIFICATION, &s);
    rc = rc ? rc : app_u32(b, pid);
    rc = rc ? rc : app_str(b, channel);
    rc = rc ? rc : app_str(b, payload);
    return msg_finish(b, s, rc);
}

/* ---- Frontend encoders ---- */

/* Untyped packets: length first, no type byte. */
int pg_put_startup(struct buf *b, uint32_t version, const char *const *names,
                   const char *const *values, size_t n)
{
    size_t s = b->len;
    int rc = app_u32(b, 0);
    rc = rc ? rc : app_u32(b, version);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = app_str(b, names[i]);
        rc = rc ? rc : app_str(b, values[i]);
    }
    rc = rc ? rc : buf_append_u8(b, 0);
    if (rc != 0) {
        b->len = s;
        return ERR_NOMEM;
    }
    pg_put_u32(b->data + s, (uint32_t)(b->len - s));
    return 0;
}

int pg_put_request_code(struct buf *b, uint32_t code)
{
    size_t s = b->len;
    int rc = app_u32(b, 8);
    rc = rc ? rc : app_u32(b, code);
    if (rc != 0)
        b->len = s;
    return rc ? ERR_NOMEM : 0;
}

int pg_put_cancel_request(struct buf *b, uint32_t pid, uint32_t secret)
{
    size_t s = b->len;
    int rc = app_u32(b, 16);
    rc = rc ? rc : app_u32(b, PG_CODE_CANCEL_REQUEST);
    rc = rc ? rc : app_u32(b, pid);
    rc = rc ? rc : app_u32(b, secret);
    if (rc != 0)
        b->len = s;
    return rc ? ERR_NOMEM : 0;
}

int pg_put_query(struct buf *b, const char *sql)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_MSG_QUERY, &s);
    rc = rc ? rc : app_str(b, sql);
    return msg_finish(b, s, rc);
}

int pg_put_parse(struct buf *b, const char *name, const char *sql, const uint32_t *oids, size_t n)
{
    ASSERT(n <= PG_PARAMS_MAX);
    size_t s;
    int rc = pg_msg_begin(b, PG_MSG_PARSE, &s);
    rc = rc ? rc : app_str(b, name);
    rc = rc ? rc : app_str(b, sql);
    rc = rc ? rc : app_u16(b, (uint16_t)n);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = app_u32(b, oids[i]);
    return msg_finish(b, s, rc);
}

int pg_put_bind(struct buf *b, const char *portal, const char *stmt, const int16_t *param_formats,
                size_t n_param_formats, const uint8_t *const *values, const size_t *lens,
                size_t n_params, const int16_t *result_formats, size_t n_result_formats)
{
    ASSERT(n_param_formats <= PG_PARAMS_MAX && n_params <= PG_PARAMS_MAX);
    ASSERT(n_result_formats <= PG_PARAMS_MAX);
    size_t s;
    int rc = pg_msg_begin(b, PG_MSG_BIND, &s);
    rc = rc ? rc : app_str(b, portal);
    rc = rc ? rc : app_str(b, stmt);
    rc = rc ? rc : app_u16(b, (uint16_t)n_param_formats);
    for (size_t i = 0; i < n_param_formats && rc == 0; i++)
        rc = app_u16(b, (uint16_t)param_formats[i]);
    rc = rc ? rc : app_u16(b, (uint16_t)n_params);
    for (size_t i = 0; i < n_params && rc == 0; i++) {
        if (values[i] == NULL) {
            rc = app_u32(b, 0xffffffffu);
            continue;
        }
        rc = app_u32(b, (uint32_t)lens[i]);
        rc = rc ? rc : buf_append(b, values[i], lens[i]);
    }
    rc = rc ? rc : app_u16(b, (uint16_t)n_result_formats);
    for (size_t i = 0; i < n_result_formats && rc == 0; i++)
        rc = app_u16(b, (uint16_t)result_formats[i]);
    return msg_finish(b, s, rc);
}

static int put_kind_name(struct buf *b, uint8_t type, uint8_t kind, const char *name)
{
    size_t s;
    int rc = pg_msg_begin(b, type, &s);
    rc = rc ? rc : buf_append_u8(b, kind);
    rc = rc ? rc : app_str(b, name);
    return msg_finish(b, s, rc);
}

int pg_put_describe(struct buf *b, uint8_t kind, const char *name)
{
    return put_kind_name(b, PG_MSG_DESCRIBE, kind, name);
}

int pg_put_close(struct buf *b, uint8_t kind, const char *name)
{
    return put_kind_name(b, PG_MSG_CLOSE, kind, name);
}

int pg_put_execute(struct buf *b, const char *portal, int32_t max_rows)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_MSG_EXECUTE, &s);
    rc = rc ? rc : app_str(b, portal);
    rc = rc ? rc : app_u32(b, (uint32_t)max_rows);
    return msg_finish(b, s, rc);
}

int pg_put_copy_fail(struct buf *b, const char *message)
{
    size_t s;
    int rc = pg_msg_begin(b, PG_MSG_COPY_FAIL, &s);
    rc = rc ? rc : app_str(b, message);
    return msg_finish(b, s, rc);
}

/* ---- Backend message framing ---- */

int pg_backend_type_known(uint8_t type)
{
    switch (type) {
    case PG_BE_AUTHENTICATION:
    case PG_BE_BACKEND_KEY_DATA:
    case PG_BE_BIND_COMPLETE:
    case PG_BE_CLOSE_COMPLETE:
    case PG_BE_COMMAND_COMPLETE:
    case PG_BE_COPY_DATA:
    case PG_BE_COPY_DONE:
    case PG_BE_COPY_IN_RESPONSE:
    case PG_BE_COPY_OUT_RESPONSE:
    case PG_BE_DATA_ROW:
    case PG_BE_EMPTY_QUERY:
    case PG_BE_ERROR:
    case PG_BE_NEGOTIATE_PROTOCOL:
    case PG_BE_NO_DATA:
    case PG_BE_NOTICE:
    case PG_BE_NOTIFICATION:
    case PG_BE_PARAMETER_DESC:
    case PG_BE_PARAMETER_STATUS:
    case PG_BE_PARSE_COMPLETE:
    case PG_BE_PORTAL_SUSPENDED:
    case PG_BE_READY_FOR_QUERY:
    case PG_BE_ROW_DESCRIPTION:
        return 1;
    }
    return 0;
}

int pg_frame_backend(const uint8_t *p, size_t len, size_t msg_bytes_max, uint8_t *type,
                     const uint8_t **body, size_t *body_len, size_t *consumed)
{
    *consumed = 0;
    if (len < PG_MSG_HEADER_BYTES)
        return ERR_NEEDMORE;
    uint32_t n = pg_get_u32(p + 1);
    if (n < 4 || (size_t)n - 4 > msg_bytes_max)
        return ERR_MALFORMED;
    if (len - 1 < (size_t)n)
        return ERR_NEEDMORE;
    *type = p[0];
    *body = p + PG_MSG_HEADER_BYTES;
    *body_len = (size_t)n - 4;
    *consumed = (size_t)n + 1;
    return 0;
}

/* ---- UTF-8 ---- */

int pg_utf8_valid(const void *data, size_t len)
{
    const uint8_t *p = data, *end = p + len;
    while (p < end) {
        uint8_t c = *p;
        if (c < 0x80) {
            if (c == 0)
                return 0;
            p++;
            continue;
        }
        size_t n;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return 0;
        }
        if ((size_t)(end - p) < n)
            return 0;
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        p += n;
    }
    return 1;
}
