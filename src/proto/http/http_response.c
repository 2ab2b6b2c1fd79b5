/* HTTP/1.1 response serialization, reason phrases, the JSON error body and the mapping from
 * Cairn error codes to statuses. */
#include "proto/http/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "proto/http/json.h"

static const struct {
    int status;
    const char *reason;
} http_reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {507, "Insufficient Storage"},
};

const char *http_status_reason(int status)
{
    for (size_t i = 0; i < sizeof http_reasons / sizeof http_reasons[0]; i++)
        if (http_reasons[i].status == status)
            return http_reasons[i].reason;
    return "Unknown";
}

const char *http_error_code(int status)
{
    switch (status) {
    case 404:
        return "NOT_FOUND";
    case 405:
        return "METHOD_NOT_ALLOWED";
    case 408:
    case 504:
        return "TIMEOUT";
    case 409:
        return "CONFLICT";
    case 412:
        return "CONDITION_FAILED";
    case 413:
    case 414:
    case 431:
        return "TOO_LARGE";
    case 417:
        return "EXPECTATION_FAILED";
    case 501:
    case 505:
        return "NOT_IMPLEMENTED";
    case 503:
        return "UNAVAILABLE";
    default:
        return status >= 500 ? "INTERNAL" : "BAD_REQUEST";
    }
}

int http_status_for_err(int err)
{
    switch (err) {
    case ERR_OK:
        return 200;
    case ERR_NOTFOUND:
        return 404;
    case ERR_EXISTS:
    case ERR_CONFLICT:
        return 409;
    case ERR_CONDITION:
        return 412;
    case ERR_TOOBIG:
        return 413;
    case ERR_INVAL:
    case ERR_MALFORMED:
    case ERR_RANGE:
    case ERR_PROTO:
        return 400;
    case ERR_NOTLEADER:
    case ERR_BUSY:
    case ERR_SHUTDOWN:
    case ERR_UNAVAILABLE:
    case ERR_AGAIN:
        return 503;
    case ERR_TIMEOUT:
        return 504;
    case ERR_UNSUPPORTED:
        return 501;
    default:
        return 500;
    }
}

int http_error_json(struct buf *out, const char *code, const char *message)
{
    size_t start = out->len;
    int rc = buf_printf(out, "{\"error\":{\"code\":");
    if (rc == 0)
        rc = json_append_string(out, code, strlen(code));
    if (rc == 0)
        rc = buf_printf(out, ",\"message\":");
    if (rc == 0)
        rc = json_append_string(out, message, strlen(message));
    if (rc == 0)
        rc = buf_printf(out, "}}");
    if (rc != 0)
        out->len = start;
    return rc;
}

static int is_token(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr("!#$%&'*+-.^_`|~", c) != NULL;
        if (!ok)
            return 0;
    }
    return 1;
}

/* A field value may hold HTAB, SP, visible ASCII and obs-text, never CR or LF (RFC 9110 5.5). */
static int is_field_value(const char *s)
{
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
    }
    return 1;
}

static int check_response(const struct http_response *r, int bodiless, struct errbuf *eb)
{
    if (r->status < 100 || r->status > 999)
        return err_set(eb, ERR_INVAL, "HTTP status %d out of range", r->status);
    if (bodiless && r->body_len > 0)
        return err_set(eb, ERR_INVAL, "status %d cannot carry a body", r->status);
    for (size_t i = 0; i < r->n_headers; i++) {
        const char *name = r->headers[i].name, *value = r->headers[i].value;
        if (name == NULL || value == NULL || !is_token(name))
            return err_set(eb, ERR_INVAL, "invalid response header name");
        if (strcasecmp(name, "content-length") == 0 || strcasecmp(name, "transfer-encoding") == 0 ||
            strcasecmp(name, "connection") == 0)
            return err_set(eb, ERR_INVAL, "response header %s is set by the writer", name);
        if (!is_field_value(value))
            return err_set(eb, ERR_INVAL, "invalid character in response header %s", name);
    }
    return 0;
}

int http_response_write(struct buf *out, const struct http_response *r, struct errbuf *eb)
{
    int bodiless = r->status < 200 || r->status == 204 || r->status == 304;
    int rc = check_response(r, bodiless, eb);
    if (rc != 0)
        return rc;
    size_t start = out->len;
    rc = buf_printf(out, "HTTP/1.1 %d %s\r\n", r->status, http_status_reason(r->status));
    if (rc == 0 && r->date != NULL)
        rc = buf_printf(out, "Date: %s\r\n", r->date);
    for (size_t i = 0; rc == 0 && i < r->n_headers; i++)
        rc = buf_printf(out, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
    if (rc == 0 && !bodiless)
        rc = buf_printf(out, "Content-Length: %zu\r\n", r->body_len);
    if (rc == 0 && r->close)
        rc = buf_printf(out, "Connection: close\r\n");
    else if (rc == 0 && r->keep_alive)
        rc = buf_printf(out, "Connection: keep-alive\r\n");
    if (rc == 0)
        rc = buf_append(out, "\r\n", 2);
    if (rc == 0 && !bodiless && !r->head && r->body_len > 0)
        rc = buf_append(out, r->body, r->body_len);
    if (rc != 0) {
        out->len = start;
        return err_set(eb, rc, "out of memory writing a response");
    }
    return 0;
}
