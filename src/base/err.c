/* The error table's names and messages, and errbuf formatting. */
#include "base/err.h"

#include <stdarg.h>
#include <stdio.h>

const char *err_name(int code)
{
    switch (code) {
#define ERR_CASE(name, c, msg)                                                                     \
    case c:                                                                                        \
        return #name;
        ERR_TABLE(ERR_CASE)
#undef ERR_CASE
    }
    return "UNKNOWN";
}

const char *err_msg(int code)
{
    switch (code) {
#define ERR_CASE(name, c, msg)                                                                     \
    case c:                                                                                        \
        return msg;
        ERR_TABLE(ERR_CASE)
#undef ERR_CASE
    }
    return "unknown error";
}

int err_set(struct errbuf *eb, int code, const char *fmt, ...)
{
    if (eb != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
