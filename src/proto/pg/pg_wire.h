/* PostgreSQL protocol 3.0 message codec: decoders for frontend messages and encoders for
 * backend messages (and the reverse, for tests and tools). Pure: no I/O, no allocation in the
 * decoders. Integers on this wire are big-endian. Decoders tell "need more bytes" from
 * "malformed" and say what was malformed. */
#ifndef CAIRN_PROTO_PG_WIRE_H
#define CAIRN_PROTO_PG_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "proto/pg/pg.h"

static inline uint16_t pg_get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t pg_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}
static inline void pg_put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void pg_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- Startup packets (untyped: length, then a code) ---------------------------------------- */

#define PG_PROTOCOL(major, minor) ((uint32_t)(major) << 16 | (uint32_t)(minor))
#define PG_PROTOCOL_3_0           PG_PROTOCOL(3, 0)
#define PG_CODE_CANCEL_REQUEST    80877102u /* 1234.5678 */
#define PG_CODE_SSL_REQUEST       80877103u /* 1234.5679 */
#define PG_CODE_GSSENC_REQUEST    80877104u /* 1234.5680 */
/* The smallest packet: length and code. */
#define PG_STARTUP_PACKET_BYTES_MIN 8

enum pg_startup_kind {
    PG_STARTUP_MESSAGE, /* a StartupMessage; version tells which protocol */
    PG_STARTUP_SSL,
    PG_STARTUP_GSSENC,
    PG_STARTUP_CANCEL,
};

/* A decoded startup packet. Strings point into the decoder's input. */
struct pg_startup {
    enum pg_startup_kind kind;
    uint32_t version; /* StartupMessage: major << 16 | minor, as sent */
    /* Protocol 3.x StartupMessage only: the name/value pairs in order (NUL-terminated). */
    size_t n_params;
    const char *names[PG_STARTUP_PARAMS_MAX];
    const char *values[PG_STARTUP_PARAMS_MAX];
    uint32_t cancel_pid; /* CancelRequest */
    uint32_t cancel_secret;
};

/* Decodes one startup packet from p[0..len). Returns 0 (*consumed = the packet's bytes),
 * ERR_NEEDMORE (nothing consumed), or ERR_MALFORMED (length under 8 or over
 * PG_STARTUP_PACKET_BYTES_MAX, a request code with the wrong length, a parameter list that is
 * not NUL-terminated pairs ending in an empty name, over PG_STARTUP_PARAMS_MAX pairs; detail in
 * eb). A StartupMessage with a major version other than 3 decodes with n_params 0: the caller
 * rejects it. */
int pg_decode_startup(const uint8_t *p, size_t len, struct pg_startup *out, size_t *consumed,
                      struct errbuf *eb);

/* ---- Frontend messages (typed: type byte, length, body) ------------------------------------ */

#define PG_MSG_BIND          'B'
#define PG_MSG_CLOSE         'C'
#define PG_MSG_COPY_DATA     'd'
#define PG_MSG_COPY_DONE     'c'
#define PG_MSG_COPY_FAIL     'f'
#define PG_MSG_DESCRIBE      'D'
#define PG_MSG_EXECUTE       'E'
#define PG_MSG_FLUSH         'H'
#define PG_MSG_FUNCTION_CALL 'F'
#define PG_MSG_PARSE         'P'
#define PG_MSG_PASSWORD      'p' /* PasswordMessage, SASLInitialResponse, SASLResponse */
#define PG_MSG_QUERY         'Q'
#define PG_MSG_SYNC          'S'
#define PG_MSG_TERMINATE     'X'
/* The length field counts itself. */
#define PG_MSG_HEADER_BYTES 5

/* A decoded frontend message. Every pointer points into the decoder's input and every string
 * is NUL-terminated there. Arrays are left in wire form (big-endian): read them with the
 * accessors below. */
struct pg_msg {
    uint8_t type;
    size_t body_len; /* bytes after the length field */
    union {
        struct {
            const char *sql;
            size_t len;
        } query;
        struct {
            const char *name;
            const char *sql;
            size_t sql_len;
            uint16_t n_param_oids;
            const uint8_t *param_oids; /* n_param_oids x uint32 */
        } parse;
        struct {
            const char *portal;
            const char *stmt;
            uint16_t n_param_formats;
            const uint8_t *param_formats; /* x int16 */
            uint16_t n_params;
            const uint8_t *params; /* n_params x (int32 length or -1, bytes), validated */
            uint16_t n_result_formats;
            const uint8_t *result_formats; /* x int16 */
        } bind;
        struct {
            uint8_t kind; /* 'S' statement or 'P' portal (validated) */
            const char *name;
        } describe, close;
        struct {
            const char *portal;
            int32_t max_rows; /* <= 0 means all */
        } execute;
        struct {
            const uint8_t *data;
            size_t len;
        } copy_data, raw; /* raw: 'p' and 'F' bodies, not interpreted */
        struct {
            const char *message;
        } copy_fail;
    } u;
};

/* Messages PostgreSQL caps at 10000 bytes (everything but Bind, FunctionCall, Parse, Query,
 * CopyData and the password messages): a longer one is a framing error. */
#define PG_SMALL_MESSAGE_BYTES_MAX 10000

/* Frames one message from p[0..len): 0 with *type, *body, *body_len and *consumed (the whole
 * message); ERR_NEEDMORE (nothing consumed); ERR_MALFORMED (unknown type byte — detected from
 * the first byte alone — or a length under 4; detail in eb); ERR_TOOBIG (a length over
 * msg_bytes_max, or over PG_SMALL_MESSAGE_BYTES_MAX for the small types — detected from the
 * header alone). A framing error loses the stream: the session ends. */
int pg_frame_msg(const uint8_t *p, size_t len, size_t msg_bytes_max, uint8_t *type,
                 const uint8_t **body, size_t *body_len, size_t *consumed, struct errbuf *eb);
/* Parses a framed message's body into *m (pointers into body). Returns 0 or ERR_MALFORMED (a
 * string without its NUL, a count or length that runs past the end, a negative count or
 * length, a Describe/Close kind other than 'S'/'P', bytes left over; detail in eb). The frame
 * itself was fine, so the caller can skip the message and go on (PostgreSQL answers ERROR
 * 08P01 and continues). */
int pg_parse_msg(uint8_t type, const uint8_t *body, size_t body_len, struct pg_msg *m,
                 struct errbuf *eb);
/* pg_frame_msg then pg_parse_msg: 0 with *consumed, ERR_NEEDMORE, ERR_MALFORMED or ERR_TOOBIG
 * from framing (*consumed 0), or ERR_MALFORMED from the body with *consumed set to the
 * message's bytes (so the caller can tell the two apart). */
int pg_decode_msg(const uint8_t *p, size_t len, size_t msg_bytes_max, struct pg_msg *m,
                  size_t *consumed, struct errbuf *eb);
/* 1 if type is a frontend message type pg_decode_msg knows. */
int pg_msg_type_known(uint8_t type);

uint32_t pg_parse_param_oid(const struct pg_msg *m, size_t i);
/* The format code (as sent) of parameter i: 0 with no codes, the one code for all, or its own. */
int16_t pg_bind_param_format(const struct pg_msg *m, size_t i);
/* The same for result column i. */
int16_t pg_bind_result_format(const struct pg_msg *m, size_t i);
/* Walks the parameters in order: *off starts at 0. Sets *data (NULL for SQL NULL) and *len.
 * The decoder validated them, so this cannot fail for i < n_params. */
void pg_bind_next_param(const struct pg_msg *m, size_t *off, const uint8_t **data, size_t *len);

/* ---- Backend messages ---------------------------------------------------------------------- */

#define PG_BE_AUTHENTICATION     'R'
#define PG_BE_BACKEND_KEY_DATA   'K'
#define PG_BE_BIND_COMPLETE      '2'
#define PG_BE_CLOSE_COMPLETE     '3'
#define PG_BE_COMMAND_COMPLETE   'C'
#define PG_BE_COPY_DATA          'd'
#define PG_BE_COPY_DONE          'c'
#define PG_BE_COPY_IN_RESPONSE   'G'
#define PG_BE_COPY_OUT_RESPONSE  'H'
#define PG_BE_DATA_ROW           'D'
#define PG_BE_EMPTY_QUERY        'I'
#define PG_BE_ERROR              'E'
#define PG_BE_NEGOTIATE_PROTOCOL 'v'
#define PG_BE_NO_DATA            'n'
#define PG_BE_NOTICE             'N'
#define PG_BE_NOTIFICATION       'A'
#define PG_BE_PARAMETER_DESC     't'
#define PG_BE_PARAMETER_STATUS   'S'
#define PG_BE_PARSE_COMPLETE     '1'
#define PG_BE_PORTAL_SUSPENDED   's'
#define PG_BE_READY_FOR_QUERY    'Z'
#define PG_BE_ROW_DESCRIPTION    'T'

/* Fields of an ErrorResponse / NoticeResponse. NULL strings and position 0 are left out. */
struct pg_error_fields {
    const char *severity; /* "ERROR", "FATAL", "NOTICE"... (sent as both S and V) */
    const char *sqlstate;
    const char *message;
    const char *detail;
    const char *hint;
    int position;
    /* The object the error is about, NULL for none (s, t, c, n: libpq's PG_DIAG_SCHEMA_NAME,
     * TABLE_NAME, COLUMN_NAME, CONSTRAINT_NAME). */
    const char *schema, *table, *column, *constraint;
};

/* Each encoder appends one complete message to b. Returns 0 or ERR_NOMEM (b may then hold a
 * partial message: callers drop the connection). */

/* Starts a message: appends the type and a length placeholder; *start is where it begins.
 * pg_msg_end fills the length in. For messages without an encoder below. */
int pg_msg_begin(struct buf *b, uint8_t type, size_t *start);
void pg_msg_end(struct buf *b, size_t start);

int pg_put_empty(struct buf *b, uint8_t type); /* ParseComplete, NoData, CopyDone, ... */
int pg_put_auth_ok(struct buf *b);
int pg_put_parameter_status(struct buf *b, const char *name, const char *value);
int pg_put_backend_key(struct buf *b, uint32_t pid, uint32_t secret);
int pg_put_ready(struct buf *b, uint8_t status);
int pg_put_negotiate_protocol(struct buf *b, uint32_t newest_minor, const char *const *options,
                              size_t n);
/* formats: one per column (NULL: all text). */
int pg_put_row_description(struct buf *b, const struct pg_column *cols, size_t n,
                           const int16_t *formats);
int pg_put_parameter_description(struct buf *b, const uint32_t *oids, size_t n);
/* values[i] NULL for SQL NULL. */
int pg_put_data_row(struct buf *b, const uint8_t *const *values, const size_t *lens, size_t n);
int pg_put_command_complete(struct buf *b, const char *tag);
/* type PG_BE_ERROR or PG_BE_NOTICE. Text fields are cut at PG_ERROR_FIELD_BYTES_MAX. */
int pg_put_error(struct buf *b, uint8_t type, const struct pg_error_fields *f);
/* type PG_BE_COPY_IN_RESPONSE or PG_BE_COPY_OUT_RESPONSE; formats NULL: all equal to overall. */
int pg_put_copy_response(struct buf *b, uint8_t type, int overall, const int16_t *formats,
                         size_t n);
int pg_put_copy_data(struct buf *b, const void *data, size_t len);
int pg_put_notification(struct buf *b, uint32_t pid, const char *channel, const char *payload);

/* Frontend encoders (clients, tests, fuzz seeds). */
int pg_put_startup(struct buf *b, uint32_t version, const char *const *names,
                   const char *const *values, size_t n);
int pg_put_request_code(struct buf *b, uint32_t code); /* SSLRequest, GSSENCRequest */
int pg_put_cancel_request(struct buf *b, uint32_t pid, uint32_t secret);
int pg_put_query(struct buf *b, const char *sql);
int pg_put_parse(struct buf *b, const char *name, const char *sql, const uint32_t *oids, size_t n);
/* values[i] NULL for SQL NULL. */
int pg_put_bind(struct buf *b, const char *portal, const char *stmt, const int16_t *param_formats,
                size_t n_param_formats, const uint8_t *const *values, const size_t *lens,
                size_t n_params, const int16_t *result_formats, size_t n_result_formats);
int pg_put_describe(struct buf *b, uint8_t kind, const char *name);
int pg_put_close(struct buf *b, uint8_t kind, const char *name);
int pg_put_execute(struct buf *b, const char *portal, int32_t max_rows);
int pg_put_copy_fail(struct buf *b, const char *message);

/* ---- Backend message reading (clients, tests, fuzz checks) --------------------------------- */

/* Frames one backend message: 0 with *type, *body, *body_len and *consumed; ERR_NEEDMORE; or
 * ERR_MALFORMED (length under 4 or over msg_bytes_max). Does not interpret the body. */
int pg_frame_backend(const uint8_t *p, size_t len, size_t msg_bytes_max, uint8_t *type,
                     const uint8_t **body, size_t *body_len, size_t *consumed);
/* 1 if type is a backend message type this server can send. */
int pg_backend_type_known(uint8_t type);

/* 1 if p[0..len) is valid UTF-8 without NUL (what PostgreSQL accepts as text in a UTF8
 * database): no overlong forms, no surrogates, nothing past U+10FFFF. */
int pg_utf8_valid(const void *p, size_t len);

#endif
