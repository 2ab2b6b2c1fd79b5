/* `cairn kv get|put|del|ls`: one HTTP request per command (a page per request for ls), output
 * as raw bytes for scripts, or JSON with --json. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "base/assert.h"
#include "cli/cli_int.h"

/* The API's page size bounds (docs/http-api.md). */
#define CLI_LS_LIMIT_MAX 1000
/* An If-Match version fits int64 like the Raft index it is. */
#define CLI_VERSION_MAX ((uint64_t)INT64_MAX)

static const struct cli_usage kv_usage = {
    "kv",
    "cairn kv get|put|del|ls ... [--addr HOST:PORT] [--json]",
    "commands:\n"
    "  get KEY [--stale]                          print the value (raw bytes)\n"
    "  put KEY VALUE [--if-version N|--if-absent]  store VALUE (\"-\" reads stdin)\n"
    "  del KEY [--if-version N]                   delete the key\n"
    "  ls [PREFIX] [--limit N] [--after K] [--all] [--stale]\n"
    "                                             list keys: key<TAB>value<TAB>version\n"
    "common options:\n"
    "  --addr HOST:PORT   node to ask (default $CAIRN_ADDR or " CLI_ADDR_DEFAULT ")\n"
    "  --json             print JSON instead of plain text\n"
    "  --timeout SECONDS  give up after this long (default 30)\n",
};

static const struct cli_usage get_usage = {
    "kv get",
    "cairn kv get KEY [--stale] [--addr HOST:PORT] [--json] [--timeout SECONDS]",
    "Prints the value of KEY to stdout as raw bytes; with --json prints\n"
    "{\"key\", \"value\", \"version\"} (key_base64/value_base64 for data that is not UTF-8).\n"
    "--stale reads the local replica without asking the leader.\n"
    "Exits 1 if the key does not exist.\n",
};

static const struct cli_usage put_usage = {
    "kv put",
    "cairn kv put KEY VALUE [--if-version N | --if-absent] [--addr HOST:PORT] [--json]",
    "Stores VALUE under KEY (VALUE \"-\" reads it from stdin) and prints \"version N\".\n"
    "--if-version N  only if the key is at version N now\n"
    "--if-absent     only if the key does not exist\n"
    "A failed condition changes nothing and exits 1.\n",
};

static const struct cli_usage del_usage = {
    "kv del",
    "cairn kv del KEY [--if-version N] [--addr HOST:PORT] [--json]",
    "Deletes KEY and prints \"deleted, version N\". Exits 1 if the key does not exist or\n"
    "--if-version does not match.\n",
};

static const struct cli_usage ls_usage = {
    "kv ls",
    "cairn kv ls [PREFIX] [--limit N] [--after KEY] [--all] [--stale] [--addr HOST:PORT] "
    "[--json]",
    "Lists keys starting with PREFIX in byte order, one \"key<TAB>value<TAB>version\" line\n"
    "each. --limit N keys per page (default 100, at most 1000); --after KEY starts after KEY;\n"
    "--all follows the pages to the end.\n",
};

/* ---- Helpers ------------------------------------------------------------------------------- */

/* "/v1/kv/<key percent-encoded>[?consistency=stale]", NUL-terminated. */
static int key_target(struct buf *t, const char *key, int stale)
{
    int rc = buf_printf(t, "/v1/kv/");
    if (rc == 0)
        rc = cli_url_encode(t, key, strlen(key));
    if (rc == 0 && stale)
        rc = buf_printf(t, "?consistency=stale");
    if (rc == 0)
        rc = buf_append_u8(t, 0);
    return rc;
}

/* Sends the request; on failure prints why and returns CLI_EXIT_FAIL. */
static int do_request(const struct cli_io *io, struct cli_http_client *c,
                      const struct cli_http_request *req)
{
    struct errbuf eb;
    int rc = cli_http_client_do(c, req, &eb);
    if (rc != 0) {
        cli_errorf(io, "%s", eb.msg);
        return CLI_EXIT_FAIL;
    }
    return 0;
}

/* The version in an ETag: "42" (or W/"42"). Returns 0 or ERR_NOTFOUND. */
static int etag_version(const struct cli_http_response *r, uint64_t *v)
{
    const char *e = cli_http_header(r, "ETag");
    if (e == NULL)
        return ERR_NOTFOUND;
    if (strncmp(e, "W/", 2) == 0)
        e += 2;
    char digits[24];
    size_t n = strlen(e);
    if (n < 3 || e[0] != '"' || e[n - 1] != '"' || n - 2 >= sizeof digits)
        return ERR_NOTFOUND;
    memcpy(digits, e + 1, n - 2);
    digits[n - 2] = '\0';
    return cli_parse_u64(digits, 0, UINT64_MAX, v) == 0 ? 0 : ERR_NOTFOUND;
}

/* The "version" of a write's JSON answer, else its ETag. */
static int answer_version(const struct cli_http_response *r, uint64_t *v)
{
    struct json_doc doc;
    struct errbuf eb;
    if (json_parse(&doc, r->body.data, r->body.len, NULL, &eb) == 0) {
        int64_t i;
        int rc = json_get_int64(json_object_get(doc.root, "version"), &i);
        json_doc_free(&doc);
        if (rc == 0 && i >= 0) {
            *v = (uint64_t)i;
            return 0;
        }
    }
    return etag_version(r, v);
}

/* Prints the response body as it came, with a final newline. */
static void print_raw_json(const struct cli_io *io, const struct cli_http_response *r)
{
    cli_write(io->out, r->body.data, r->body.len);
    if (r->body.len == 0 || r->body.data[r->body.len - 1] != '\n')
        fputc('\n', io->out);
}

static int parse_version_opt(const struct cli_io *io, const struct cli_usage *u, const char *s,
                             uint64_t *v)
{
    if (cli_parse_u64(s, 0, CLI_VERSION_MAX, v) != 0)
        return cli_usage_error(io, u, "--if-version must be a version number, not \"%s\"", s);
    return 0;
}

/* Reads all of io->in, at most CLI_STDIN_BYTES_MAX. */
static int read_stdin(const struct cli_io *io, struct buf *out)
{
    uint8_t chunk[65536];
    for (;;) {
        size_t n = fread(chunk, 1, sizeof chunk, io->in);
        if (n > 0) {
            if (out->len + n > CLI_STDIN_BYTES_MAX) {
                cli_errorf(io, "value on stdin is over %u bytes", CLI_STDIN_BYTES_MAX);
                return CLI_EXIT_FAIL;
            }
            if (buf_append(out, chunk, n) != 0) {
                cli_errorf(io, "out of memory reading stdin");
                return CLI_EXIT_FAIL;
            }
        }
        if (n < sizeof chunk) {
            if (ferror(io->in)) {
                cli_errorf(io, "cannot read stdin: %s", strerror(errno));
                return CLI_EXIT_FAIL;
            }
            return 0;
        }
    }
}

/* ---- get ----------------------------------------------------------------------------------- */

static int kv_get(const struct cli_io *io, int argc, char **argv)
{
    struct cli_common com = {0};
    int stale = 0;
    const struct cli_opt opts[] = {{"stale", NULL, NULL, &stale}, CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &get_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                           1, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (n_pos != 1)
        return cli_usage_error(io, &get_usage, "expected KEY");
    if (cli_common_finish(io, &get_usage, &com) != 0)
        return CLI_EXIT_USAGE;
    const char *key = pos[0];

    struct buf target = BUF_INIT;
    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    int ex = CLI_EXIT_FAIL;
    if (key_target(&target, key, stale) != 0) {
        cli_errorf(io, "out of memory");
        goto out;
    }
    struct cli_http_request req = {"GET", (const char *)target.data, NULL, 0, NULL, 0};
    if (do_request(io, &c, &req) != 0)
        goto out;
    const struct cli_http_response *r = &c.parser.resp;
    if (r->status == 404) {
        cli_errorf(io, "key not found: %s", key);
        goto out;
    }
    if (r->status / 100 != 2) {
        cli_report_http_error(io, r);
        goto out;
    }
    if (com.json) {
        struct buf j = BUF_INIT;
        struct json_writer w;
        json_writer_init(&w, &j);
        json_write_object_begin(&w);
        int rc = cli_json_write_bytes(&w, "key", key, strlen(key));
        if (rc == 0)
            rc = cli_json_write_bytes(&w, "value", r->body.data, r->body.len);
        uint64_t version;
        json_write_key(&w, "version");
        if (etag_version(r, &version) == 0)
            json_write_uint64(&w, version);
        else
            json_write_null(&w);
        json_write_object_end(&w);
        if (rc == 0)
            rc = json_writer_finish(&w);
        if (rc == 0) {
            cli_write(io->out, j.data, j.len);
            fputc('\n', io->out);
        } else {
            cli_errorf(io, "out of memory");
        }
        buf_free(&j);
        if (rc != 0)
            goto out;
    } else {
        cli_write(io->out, r->body.data, r->body.len);
    }
    ex = cli_finish_output(io);
out:
    cli_http_client_free(&c);
    buf_free(&target);
    return ex;
}

/* ---- put / del ----------------------------------------------------------------------------- */

/* The answer to a write: the server's error, the raw JSON, or "<label> N"
 * (plain "<bare>" when the answer has no version). Returns the exit code. */
static int report_write(const struct cli_io *io, const struct cli_http_response *r, bool json,
                        const char *label, const char *bare)
{
    if (r->status / 100 != 2) {
        cli_report_http_error(io, r);
        return CLI_EXIT_FAIL;
    }
    uint64_t v;
    if (json)
        print_raw_json(io, r);
    else if (answer_version(r, &v) == 0)
        fprintf(io->out, "%s %" PRIu64 "\n", label, v);
    else
        fprintf(io->out, "%s\n", bare);
    return cli_finish_output(io);
}

static int kv_put(const struct cli_io *io, int argc, char **argv)
{
    struct cli_common com = {0};
    const char *if_version = NULL;
    int if_absent = 0;
    const struct cli_opt opts[] = {{"if-version", "N", &if_version, NULL},
                                   {"if-absent", NULL, NULL, &if_absent},
                                   CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &put_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                           2, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (n_pos != 2)
        return cli_usage_error(io, &put_usage, "expected KEY and VALUE");
    if (if_version != NULL && if_absent)
        return cli_usage_error(io, &put_usage, "--if-version and --if-absent exclude each other");
    uint64_t version = 0;
    if (if_version != NULL && parse_version_opt(io, &put_usage, if_version, &version) != 0)
        return CLI_EXIT_USAGE;
    if (cli_common_finish(io, &put_usage, &com) != 0)
        return CLI_EXIT_USAGE;
    const char *key = pos[0];

    struct buf value = BUF_INIT, target = BUF_INIT;
    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    int ex = CLI_EXIT_FAIL;
    const void *body = pos[1];
    size_t body_len = strlen(pos[1]);
    if (strcmp(pos[1], "-") == 0) {
        if (read_stdin(io, &value) != 0)
            goto out;
        body = value.len ? (const void *)value.data : "";
        body_len = value.len;
    }
    if (key_target(&target, key, 0) != 0) {
        cli_errorf(io, "out of memory");
        goto out;
    }
    char etag[32];
    snprintf(etag, sizeof etag, "\"%" PRIu64 "\"", version);
    struct cli_http_header hdrs[2] = {{"Content-Type", "application/octet-stream"}};
    size_t n_hdrs = 1;
    if (if_version != NULL)
        hdrs[n_hdrs++] = (struct cli_http_header){"If-Match", etag};
    else if (if_absent)
        hdrs[n_hdrs++] = (struct cli_http_header){"If-None-Match", "*"};
    struct cli_http_request req = {"PUT", (const char *)target.data, hdrs, n_hdrs, body, body_len};
    if (do_request(io, &c, &req) != 0)
        goto out;
    ex = report_write(io, &c.parser.resp, com.json, "version", "ok");
out:
    cli_http_client_free(&c);
    buf_free(&target);
    buf_free(&value);
    return ex;
}

static int kv_del(const struct cli_io *io, int argc, char **argv)
{
    struct cli_common com = {0};
    const char *if_version = NULL;
    const struct cli_opt opts[] = {{"if-version", "N", &if_version, NULL}, CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &del_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                           1, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (n_pos != 1)
        return cli_usage_error(io, &del_usage, "expected KEY");
    uint64_t version = 0;
    if (if_version != NULL && parse_version_opt(io, &del_usage, if_version, &version) != 0)
        return CLI_EXIT_USAGE;
    if (cli_common_finish(io, &del_usage, &com) != 0)
        return CLI_EXIT_USAGE;
    const char *key = pos[0];

    struct buf target = BUF_INIT;
    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    int ex = CLI_EXIT_FAIL;
    if (key_target(&target, key, 0) != 0) {
        cli_errorf(io, "out of memory");
        goto out;
    }
    char etag[32];
    snprintf(etag, sizeof etag, "\"%" PRIu64 "\"", version);
    struct cli_http_header hdr = {"If-Match", etag};
    struct cli_http_request req = {
        "DELETE", (const char *)target.data, &hdr, if_version != NULL ? 1 : 0, NULL, 0};
    if (do_request(io, &c, &req) != 0)
        goto out;
    const struct cli_http_response *r = &c.parser.resp;
    if (r->status == 404) {
        cli_errorf(io, "key not found: %s", key);
        goto out;
    }
    ex = report_write(io, r, com.json, "deleted, version", "deleted");
out:
    cli_http_client_free(&c);
    buf_free(&target);
    return ex;
}

/* ---- ls ------------------------------------------------------------------------------------ */

struct ls_state {
    const struct cli_io *io;
    const struct cli_addr *addr;
    int json;
    size_t items_written;
    struct buf last; /* key of the last item printed */
    struct buf line;
    struct buf kscratch, vscratch, nscratch;
};

/* Prints one item of a page; returns 0 or CLI_EXIT_FAIL (message printed). */
static int ls_item(struct ls_state *s, const struct json_value *item)
{
    const char *k, *v;
    size_t kl, vl;
    int64_t version;
    if (cli_json_bytes(item, "key", &s->kscratch, &k, &kl) != 0 ||
        cli_json_bytes(item, "value", &s->vscratch, &v, &vl) != 0 ||
        json_get_int64(json_object_get(item, "version"), &version) != 0) {
        cli_errorf(s->io, "bad item in the listing from %s", s->addr->text);
        return CLI_EXIT_FAIL;
    }
    buf_reset(&s->last);
    buf_reset(&s->line);
    int rc = buf_append(&s->last, k, kl);
    if (rc == 0 && s->json) {
        struct json_writer w;
        json_writer_init(&w, &s->line);
        json_write_value(&w, item);
        rc = json_writer_finish(&w);
        if (rc == 0) {
            fputs(s->items_written ? ",\n" : "\n", s->io->out);
            cli_write(s->io->out, s->line.data, s->line.len);
        }
    } else if (rc == 0) {
        cli_write(s->io->out, k, kl);
        fputc('\t', s->io->out);
        cli_write(s->io->out, v, vl);
        fprintf(s->io->out, "\t%" PRId64 "\n", version);
    }
    if (rc != 0) {
        cli_errorf(s->io, "out of memory");
        return CLI_EXIT_FAIL;
    }
    s->items_written++;
    return 0;
}

/* "/v1/kv?prefix=P[&limit=N][&after=K][&consistency=stale]", NUL-terminated. */
static int ls_target(struct buf *t, const char *prefix, const char *limit, const struct buf *after,
                     int has_after, int stale)
{
    buf_reset(t);
    int rc = buf_printf(t, "/v1/kv?prefix=");
    if (rc == 0)
        rc = cli_url_encode(t, prefix, strlen(prefix));
    if (rc == 0 && limit != NULL)
        rc = buf_printf(t, "&limit=%s", limit);
    if (rc == 0 && has_after) {
        rc = buf_printf(t, "&after=");
        if (rc == 0)
            rc = cli_url_encode(t, after->data, after->len);
    }
    if (rc == 0 && stale)
        rc = buf_printf(t, "&consistency=stale");
    if (rc == 0)
        rc = buf_append_u8(t, 0);
    return rc;
}

/* Byte order, shorter first on a common prefix: the order the node lists keys in. */
static int bytes_cmp(const void *a, size_t al, const void *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c != 0)
        return c;
    return al < bl ? -1 : al > bl;
}

static int kv_ls(const struct cli_io *io, int argc, char **argv)
{
    struct cli_common com = {0};
    const char *limit = NULL, *after_opt = NULL;
    int all = 0, stale = 0;
    const struct cli_opt opts[] = {{"limit", "N", &limit, NULL},
                                   {"after", "KEY", &after_opt, NULL},
                                   {"all", NULL, NULL, &all},
                                   {"stale", NULL, NULL, &stale},
                                   CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &ls_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos, 1,
                           &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    uint64_t n;
    if (limit != NULL && cli_parse_u64(limit, 1, CLI_LS_LIMIT_MAX, &n) != 0)
        return cli_usage_error(io, &ls_usage, "--limit must be 1..%d, not \"%s\"", CLI_LS_LIMIT_MAX,
                               limit);
    if (cli_common_finish(io, &ls_usage, &com) != 0)
        return CLI_EXIT_USAGE;
    const char *prefix = n_pos ? pos[0] : "";

    struct ls_state s = {io,       &com.addr, com.json, 0,       BUF_INIT,
                         BUF_INIT, BUF_INIT,  BUF_INIT, BUF_INIT};
    struct buf target = BUF_INIT, after = BUF_INIT;
    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    struct json_doc doc = {0};
    int ex = CLI_EXIT_FAIL, has_after = after_opt != NULL;
    if (has_after && buf_append(&after, after_opt, strlen(after_opt)) != 0)
        goto nomem;
    if (com.json && all)
        fputs("{\"items\": [", io->out);
    /* Each turn fetches one page; the loop ends when the node says there is no more, and every
     * turn must move `after` forward, so a misbehaving node cannot make it spin in place. */
    for (;;) {
        if (ls_target(&target, prefix, limit, &after, has_after, stale) != 0)
            goto nomem;
        struct cli_http_request req = {"GET", (const char *)target.data, NULL, 0, NULL, 0};
        if (do_request(io, &c, &req) != 0)
            goto out;
        const struct cli_http_response *r = &c.parser.resp;
        if (r->status / 100 != 2) {
            cli_report_http_error(io, r);
            goto out;
        }
        if (com.json && !all) {
            print_raw_json(io, r);
            break;
        }
        if (cli_parse_json_body(io, &com.addr, r, &doc) != 0)
            goto out;
        const struct json_value *items = json_object_get(doc.root, "items");
        if (items == NULL || items->type != JSON_ARRAY) {
            cli_errorf(io, "bad listing from %s: no \"items\" array", com.addr.text);
            goto out;
        }
        for (size_t i = 0; i < items->u.arr.n; i++) {
            if (ls_item(&s, &items->u.arr.items[i]) != 0)
                goto out;
        }
        int more = 0;
        (void)json_get_bool(json_object_get(doc.root, "more"), &more);
        if (!more)
            break;
        if (!all) {
            cli_errorf(io, "more keys follow; use --all to list them, or --after with the last");
            break;
        }
        const char *next;
        size_t next_len;
        if (cli_json_bytes(doc.root, "next", &s.nscratch, &next, &next_len) != 0) {
            if (items->u.arr.n == 0) {
                cli_errorf(io, "bad listing from %s: more pages but no \"next\"", com.addr.text);
                goto out;
            }
            next = (const char *)s.last.data;
            next_len = s.last.len;
        }
        if (has_after && bytes_cmp(next, next_len, after.data, after.len) <= 0) {
            cli_errorf(io, "bad listing from %s: the next page does not move forward",
                       com.addr.text);
            goto out;
        }
        buf_reset(&after);
        if (buf_append(&after, next, next_len) != 0)
            goto nomem;
        has_after = 1;
        json_doc_free(&doc);
        memset(&doc, 0, sizeof doc);
    }
    if (com.json && all)
        fputs(s.items_written ? "\n]}\n" : "]}\n", io->out);
    ex = cli_finish_output(io);
    goto out;
nomem:
    cli_errorf(io, "out of memory");
out:
    json_doc_free(&doc);
    cli_http_client_free(&c);
    buf_free(&target);
    buf_free(&after);
    buf_free(&s.last);
    buf_free(&s.line);
    buf_free(&s.kscratch);
    buf_free(&s.vscratch);
    buf_free(&s.nscratch);
    return ex;
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

int cli_kv_run(const struct cli_io *io, int argc, char **argv)
{
    ASSERT(argc >= 1);
    if (argc < 2)
        return cli_usage_error(io, &kv_usage, "expected a command: get, put, del or ls");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        cli_usage_print(io->out, &kv_usage);
        return CLI_EXIT_OK;
    }
    if (strcmp(sub, "get") == 0)
        return kv_get(io, argc - 1, argv + 1);
    if (strcmp(sub, "put") == 0)
        return kv_put(io, argc - 1, argv + 1);
    if (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0)
        return kv_del(io, argc - 1, argv + 1);
    if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
        return kv_ls(io, argc - 1, argv + 1);
    return cli_usage_error(io, &kv_usage, "unknown command \"%s\"", sub);
}
