/* Project-wide error codes: 0 is success, failures are negative codes from one
 * table with a name and a message. Detail for the user goes into an errbuf the
 * caller passes in. */
#ifndef CAIRN_BASE_ERR_H
#define CAIRN_BASE_ERR_H

#include <stddef.h>

/* X(name, code, message). Codes are stable: they appear in logs and replies. */
#define ERR_TABLE(X)                                                                               \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(INVAL, -2, "invalid argument")                                                               \
    X(IO, -3, "input/output error")                                                                \
    X(CORRUPT, -4, "data is corrupted")                                                            \
    X(NOTFOUND, -5, "not found")                                                                   \
    X(EXISTS, -6, "already exists")                                                                \
    X(TOOBIG, -7, "exceeds a size limit")                                                          \
    X(AGAIN, -8, "not ready yet; try again")                                                       \
    X(NOTLEADER, -9, "this replica is not the leader")                                             \
    X(BUSY, -10, "too much work in flight; retry later")                                           \
    X(MALFORMED, -11, "malformed input")                                                           \
    X(NEEDMORE, -12, "need more bytes")                                                            \
    X(CONDITION, -13, "condition failed")                                                          \
    X(SHUTDOWN, -14, "shutting down")                                                              \
    X(TIMEOUT, -15, "timed out")                                                                   \
    X(RANGE, -16, "value out of range")                                                            \
    X(STALE, -17, "stale request")                                                                 \
    X(CONFLICT, -18, "conflicting operation in progress")                                          \
    X(COMPACTED, -19, "requested entries were compacted away")                                     \
    X(UNAVAILABLE, -20, "requested entries are not available yet")                                 \
    X(PROTO, -21, "protocol error")                                                                \
    X(UNSUPPORTED, -22, "not supported")

enum err_code {
#define ERR_ENUM(name, code, msg) ERR_##name = code,
    ERR_TABLE(ERR_ENUM)
#undef ERR_ENUM
};

/* "NOMEM" for ERR_NOMEM; "UNKNOWN" for a code not in the table. */
const char *err_name(int code);
/* The human message for a code. */
const char *err_msg(int code);

#define ERRBUF_SIZE 256

/* Detail about the last failure, written by callees, read by the caller. */
struct errbuf {
    char msg[ERRBUF_SIZE];
};

/* Formats detail into eb (if eb is not NULL) and returns code, so that a
 * failure reads `return err_set(eb, ERR_INVAL, "key too long (%zu bytes)", n);` */
int err_set(struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
