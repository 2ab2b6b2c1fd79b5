/* What the CLI commands share: the public entry points, argument parsing, error reporting, JSON
 * display helpers. */
#include "cli/cli_int.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/base64.h"

/* ---- Entry points -------------------------------------------------------------------------- */

void cli_io_std(struct cli_io *io)
{
    io->out = stdout;
    io->err = stderr;
    io->in = stdin;
    const char *env = getenv("CAIRN_ADDR");
    io->default_addr = env != NULL && env[0] != '\0' ? env : NULL;
    io->err_is_tty = isatty(STDERR_FILENO);
}

int cli_status(int argc, char **argv)
{
    struct cli_io io;
    cli_io_std(&io);
    return cli_status_run(&io, argc, argv);
}

int cli_kv(int argc, char **argv)
{
    struct cli_io io;
    cli_io_std(&io);
    return cli_kv_run(&io, argc, argv);
}

int cli_expel(int argc, char **argv)
{
    struct cli_io io;
    cli_io_std(&io);
    return cli_expel_run(&io, argc, argv);
}

int cli_bench(int argc, char **argv)
{
    struct cli_io io;
    cli_io_std(&io);
    return cli_bench_run(&io, argc, argv);
}

const char *cli_usage_summary(void)
{
    return "  status                     show the cluster: leader, term, nodes\n"
           "  kv get|put|del|ls ...      read and write keys (cairn kv --help)\n"
           "  expel NODE                 remove a node from the cluster for good\n"
           "  bench kv [options]         load-test the key-value API (cairn bench --help)\n";
}

/* ---- Arguments ----------------------------------------------------------------------------- */

void cli_usage_print(FILE *f, const struct cli_usage *u)
{
    fprintf(f, "usage: %s\n", u->synopsis);
    if (u->text != NULL && u->text[0] != '\0')
        fprintf(f, "\n%s", u->text);
}

int cli_usage_error(const struct cli_io *io, const struct cli_usage *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(io->err, "cairn %s: ", u->cmd);
    vfprintf(io->err, fmt, ap);
    va_end(ap);
    fprintf(io->err, "\nusage: %s\n(see `cairn %s --help`)\n", u->synopsis, u->cmd);
    return CLI_EXIT_USAGE;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, size_t n, const char *name,
                                      size_t name_len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(opts[i].name) == name_len && memcmp(opts[i].name, name, name_len) == 0)
            return &opts[i];
    }
    return NULL;
}

int cli_args_parse(const struct cli_io *io, const struct cli_usage *u, const struct cli_opt *opts,
                   size_t n_opts, int argc, char **argv, int first, char **pos, size_t pos_max,
                   size_t *n_pos)
{
    *n_pos = 0;
    int options_done = 0;
    for (int i = first; i < argc; i++) {
        char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            cli_usage_print(io->out, u);
            return CLI_ARGS_HELP;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (*n_pos == pos_max) {
                cli_usage_error(io, u, "unexpected argument \"%s\"", a);
                return CLI_ARGS_BAD;
            }
            pos[(*n_pos)++] = a;
            continue;
        }
        if (a[1] != '-') {
            cli_usage_error(io, u, "unknown option %s", a);
            return CLI_ARGS_BAD;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const struct cli_opt *o = find_opt(opts, n_opts, name, name_len);
        if (o == NULL) {
            cli_usage_error(io, u, "unknown option --%.*s", (int)name_len, name);
            return CLI_ARGS_BAD;
        }
        if (o->metavar == NULL) {
            if (eq != NULL) {
                cli_usage_error(io, u, "option --%s takes no value", o->name);
                return CLI_ARGS_BAD;
            }
            *o->flag = 1;
            continue;
        }
        if (eq != NULL) {
            *o->value = eq + 1;
        } else if (i + 1 < argc) {
            *o->value = argv[++i];
        } else {
            cli_usage_error(io, u, "option --%s needs a value (%s)", o->name, o->metavar);
            return CLI_ARGS_BAD;
        }
    }
    return CLI_ARGS_OK;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9')
        return ERR_INVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return ERR_INVAL;
    *out = v;
    return 0;
}

int cli_parse_double(const char *s, double min, double max, double *out)
{
    /* Plain decimal only: strtod would also take "0x1p3", "inf" or leading blanks. */
    size_t dots = 0, digits = 0;
    for (const char *q = s; *q; q++) {
        if (*q == '.')
            dots++;
        else if (*q >= '0' && *q <= '9')
            digits++;
        else
            return ERR_INVAL;
    }
    if (digits == 0 || dots > 1)
        return ERR_INVAL;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v) || v < min || v > max)
        return ERR_INVAL;
    *out = v;
    return 0;
}

int cli_common_finish(const struct cli_io *io, const struct cli_usage *u, struct cli_common *c)
{
    const char *a = c->addr_text;
    if (a == NULL)
        a = io->default_addr != NULL ? io->default_addr : CLI_ADDR_DEFAULT;
    struct errbuf eb;
    if (cli_addr_parse(a, &c->addr, &eb) != 0)
        return cli_usage_error(io, u, "%s", eb.msg);
    c->timeout_ms = CLI_HTTP_TIMEOUT_MS_DEFAULT;
    if (c->timeout_text != NULL) {
        double s;
        if (cli_parse_double(c->timeout_text, 0.001, CLI_TIMEOUT_S_MAX, &s) != 0)
            return cli_usage_error(io, u, "--timeout must be seconds in 0.001..%d, not \"%s\"",
                                   CLI_TIMEOUT_S_MAX, c->timeout_text);
        c->timeout_ms = (uint64_t)ceil(s * 1000.0);
    }
    return 0;
}

/* ---- Reporting ----------------------------------------------------------------------------- */

void cli_errorf(const struct cli_io *io, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("cairn: ", io->err);
    vfprintf(io->err, fmt, ap);
    va_end(ap);
    fputc('\n', io->err);
}

/* Bytes of a non-JSON error body shown to the user. */
#define CLI_ERROR_EXCERPT_BYTES_MAX 200

void cli_report_http_error(const struct cli_io *io, const struct cli_http_response *r)
{
    struct json_doc doc;
    struct errbuf eb;
    const char *reason = r->reason != NULL && r->reason[0] ? r->reason : "";
    if (r->body.len > 0 && json_parse(&doc, r->body.data, r->body.len, NULL, &eb) == 0) {
        const struct json_value *e = json_object_get(doc.root, "error");
        const char *code = NULL, *msg = NULL;
        size_t code_len = 0, msg_len = 0;
        if (json_get_string(json_object_get(e, "message"), &msg, &msg_len) == 0) {
            if (json_get_string(json_object_get(e, "code"), &code, &code_len) != 0) {
                code = reason;
                code_len = strlen(reason);
            }
            cli_errorf(io, "%.*s (%d %.*s)", (int)msg_len, msg, r->status, (int)code_len, code);
            json_doc_free(&doc);
            return;
        }
        json_doc_free(&doc);
    }
    /* Not the API's error shape (a proxy, another server): show the start of what came. */
    size_t n =
        r->body.len < CLI_ERROR_EXCERPT_BYTES_MAX ? r->body.len : CLI_ERROR_EXCERPT_BYTES_MAX;
    size_t printable = 0;
    while (printable < n && r->body.data[printable] >= 0x20 && r->body.data[printable] < 0x7f)
        printable++;
    if (printable > 0)
        cli_errorf(io, "server answered %d %s: %.*s%s", r->status, reason, (int)printable,
                   (const char *)r->body.data, printable < r->body.len ? "..." : "");
    else
        cli_errorf(io, "server answered %d %s", r->status, reason);
}

int cli_parse_json_body(const struct cli_io *io, const struct cli_addr *addr,
                        const struct cli_http_response *r, struct json_doc *doc)
{
    struct errbuf eb;
    int rc = json_parse(doc, r->body.data, r->body.len, NULL, &eb);
    if (rc != 0) {
        cli_errorf(io, "bad JSON from %s: %s", addr->text, eb.msg);
        return ERR_MALFORMED;
    }
    return 0;
}

void cli_write(FILE *f, const void *p, size_t n)
{
    if (n > 0)
        fwrite(p, 1, n, f);
}

int cli_finish_output(const struct cli_io *io)
{
    if (fflush(io->out) != 0 || ferror(io->out)) {
        cli_errorf(io, "cannot write output: %s", strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* ---- JSON helpers -------------------------------------------------------------------------- */

int cli_json_display(struct buf *out, const struct json_value *v)
{
    if (v == NULL || v->type == JSON_NULL)
        return buf_append(out, "-", 1);
    if (v->type == JSON_STRING)
        return buf_append(out, v->u.str.p, v->u.str.len);
    if (v->type == JSON_NUMBER && v->u.num.is_int)
        return buf_printf(out, "%" PRId64, v->u.num.i);
    struct json_writer w;
    json_writer_init(&w, out);
    json_write_value(&w, v);
    return json_writer_finish(&w);
}

int cli_json_bytes(const struct json_value *obj, const char *name, struct buf *scratch,
                   const char **p, size_t *len)
{
    if (json_get_string(json_object_get(obj, name), p, len) == 0)
        return 0;
    char b64name[64];
    int n = snprintf(b64name, sizeof b64name, "%s_base64", name);
    ASSERT(n > 0 && (size_t)n < sizeof b64name);
    const char *b64;
    size_t b64_len;
    if (json_get_string(json_object_get(obj, b64name), &b64, &b64_len) != 0)
        return json_object_get(obj, name) == NULL && json_object_get(obj, b64name) == NULL
                   ? ERR_NOTFOUND
                   : ERR_MALFORMED;
    buf_reset(scratch);
    int rc = base64_decode(scratch, b64, b64_len);
    if (rc != 0)
        return rc;
    *p = scratch->len ? (const char *)scratch->data : "";
    *len = scratch->len;
    return 0;
}

int cli_json_write_bytes(struct json_writer *w, const char *name, const void *s, size_t n)
{
    if (n == 0)
        s = "";
    if (json_utf8_valid(s, n)) {
        json_write_key(w, name);
        json_write_str(w, s, n);
        return 0;
    }
    char b64name[64];
    int k = snprintf(b64name, sizeof b64name, "%s_base64", name);
    ASSERT(k > 0 && (size_t)k < sizeof b64name);
    struct buf b = BUF_INIT;
    int rc = base64_encode(&b, s, n);
    if (rc == 0) {
        json_write_key(w, b64name);
        json_write_str(w, (const char *)b.data, b.len);
    }
    buf_free(&b);
    return rc;
}
