/* Internals shared by the CLI commands: where output goes (so tests can capture it), argument
 * parsing, error reporting, and small helpers. Not for use outside src/cli and its tests. */
#ifndef CAIRN_CLI_INT_H
#define CAIRN_CLI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "cli/cli.h"
#include "cli/cli_http.h"
#include "proto/http/json.h"

#define CLI_ADDR_DEFAULT "127.0.0.1:7080"
/* The most a value read from stdin (`kv put KEY -`) may be; the node refuses over 1 MiB anyway,
 * this only keeps a mistaken pipe from eating memory. */
#define CLI_STDIN_BYTES_MAX (16u * 1024 * 1024)
#define CLI_POSITIONAL_MAX  8
/* --timeout bounds, in seconds. */
#define CLI_TIMEOUT_S_MAX 3600

/* Where a command reads and writes. The public entry points use stdin/stdout/stderr. */
struct cli_io {
    FILE *out;
    FILE *err;
    FILE *in;
    const char *default_addr; /* NULL: CLI_ADDR_DEFAULT */
    int err_is_tty;           /* show live progress on err */
};

/* stdout/stderr/stdin, $CAIRN_ADDR, isatty(stderr). */
void cli_io_std(struct cli_io *io);

int cli_status_run(const struct cli_io *io, int argc, char **argv);
int cli_kv_run(const struct cli_io *io, int argc, char **argv);
int cli_expel_run(const struct cli_io *io, int argc, char **argv);
int cli_bench_run(const struct cli_io *io, int argc, char **argv);

/* ---- Arguments ----------------------------------------------------------------------------- */

/* A command's help: synopsis is "cairn kv get KEY [options]", text the rest of --help. */
struct cli_usage {
    const char *cmd; /* "kv get", for messages */
    const char *synopsis;
    const char *text;
};

/* One option: "--name VALUE" / "--name=VALUE" when metavar is set (stored in *value, last one
 * wins), else a flag ("--name", sets *flag to 1). */
struct cli_opt {
    const char *name;
    const char *metavar;
    const char **value;
    int *flag;
};

enum { CLI_ARGS_OK = 0, CLI_ARGS_HELP = 1, CLI_ARGS_BAD = -1 };

/* Parses argv[first..argc): options anywhere, positional arguments into pos (at most pos_max).
 * "--" ends options; "-" alone is positional. Returns CLI_ARGS_OK, CLI_ARGS_HELP (--help or -h
 * was given: usage printed to io->out) or CLI_ARGS_BAD (message and synopsis printed to
 * io->err). */
int cli_args_parse(const struct cli_io *io, const struct cli_usage *u, const struct cli_opt *opts,
                   size_t n_opts, int argc, char **argv, int first, char **pos, size_t pos_max,
                   size_t *n_pos);
/* Prints "cairn <cmd>: <message>" and the synopsis to io->err; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_io *io, const struct cli_usage *u, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cli_usage_print(FILE *f, const struct cli_usage *u);

/* Options every talking command takes: --addr, --json, --timeout. */
struct cli_common {
    const char *addr_text;
    const char *timeout_text;
    int json;
    struct cli_addr addr;
    uint64_t timeout_ms;
};

#define CLI_COMMON_OPTS(c)                                                                         \
    {"addr", "HOST:PORT", &(c)->addr_text, NULL}, {"json", NULL, NULL, &(c)->json},                \
    {                                                                                              \
        "timeout", "SECONDS", &(c)->timeout_text, NULL                                             \
    }

/* Resolves the defaults and checks --addr and --timeout. Returns 0 or CLI_EXIT_USAGE (message
 * printed). */
int cli_common_finish(const struct cli_io *io, const struct cli_usage *u, struct cli_common *c);

/* Decimal integer in [min, max]. Returns 0 or ERR_INVAL. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* Decimal number (e.g. "0.5", "10") in [min, max]. Returns 0 or ERR_INVAL. */
int cli_parse_double(const char *s, double min, double max, double *out);

/* ---- Reporting ----------------------------------------------------------------------------- */

/* Prints "cairn: <message>\n" to io->err. */
void cli_errorf(const struct cli_io *io, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reports a non-2xx response: the server's {"error":{"code","message"}} when it sent one
 * ("cairn: <message> (412 CONDITION_FAILED)"), else the status line and a short body excerpt. */
void cli_report_http_error(const struct cli_io *io, const struct cli_http_response *r);
/* Parses a response body as JSON; on failure reports "cairn: bad JSON from <addr>: ..." and
 * returns ERR_MALFORMED (doc needs no freeing then). */
int cli_parse_json_body(const struct cli_io *io, const struct cli_addr *addr,
                        const struct cli_http_response *r, struct json_doc *doc);
/* fwrite that accepts (NULL, 0), as an empty buffer is. */
void cli_write(FILE *f, const void *p, size_t n);
/* Writes data to io->out and checks the stream; returns 0 or CLI_EXIT_FAIL (message printed). */
int cli_finish_output(const struct cli_io *io);

/* Appends a JSON scalar as plain text: strings raw, integers in decimal, null as "-", anything
 * else as compact JSON. Returns 0 or ERR_NOMEM. */
int cli_json_display(struct buf *out, const struct json_value *v);
/* The bytes of member `name` of obj, from "name" (a string) or, for data that is not UTF-8,
 * "name_base64" decoded into scratch. Returns 0, ERR_NOTFOUND, or ERR_MALFORMED. *p stays valid
 * while the document and scratch live. */
int cli_json_bytes(const struct json_value *obj, const char *name, struct buf *scratch,
                   const char **p, size_t *len);
/* Writes s[0..n) as member `name` of the current object: as a string when it is UTF-8, else
 * base64 under "name_base64", the convention of the HTTP API. */
int cli_json_write_bytes(struct json_writer *w, const char *name, const void *s, size_t n);

#endif
