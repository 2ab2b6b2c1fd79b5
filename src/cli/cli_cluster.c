/* `cairn status` and `cairn expel`: the cluster admin endpoints of the HTTP API. */
#include <string.h>

#include "base/assert.h"
#include "cli/cli_int.h"

static const struct cli_usage status_usage = {
    "status",
    "cairn status [--addr HOST:PORT] [--json] [--timeout SECONDS]",
    "Shows the node's health and the cluster it belongs to: id, leader, term and every node\n"
    "with its role, state and addresses. --json prints {\"health\": <GET /health>,\n"
    "\"cluster\": <GET /v1/cluster>} as the node sent them.\n",
};

static const struct cli_usage expel_usage = {
    "expel",
    "cairn expel NODE [--addr HOST:PORT] [--json] [--timeout SECONDS]",
    "Removes NODE (its name or id) from the cluster for good; it must not come back with its\n"
    "data. Works on the leader too.\n",
};

/* Table columns of `cairn status`: header and member of each node object. */
static const char *const status_columns[][2] = {
    {"ID", "id"},       {"NAME", "name"},      {"ROLE", "role"},
    {"STATE", "state"}, {"PEER", "peer_addr"}, {"HTTP", "http_addr"},
};
#define STATUS_COLUMNS (sizeof status_columns / sizeof status_columns[0])
/* Cells wider than this are cut, so one odd value does not push the table off the screen. */
#define STATUS_CELL_BYTES_MAX 64

static int cell_text(struct buf *b, const struct json_value *node, size_t col)
{
    buf_reset(b);
    int rc = cli_json_display(b, json_object_get(node, status_columns[col][1]));
    if (rc == 0 && b->len > STATUS_CELL_BYTES_MAX)
        b->len = STATUS_CELL_BYTES_MAX;
    return rc;
}

static int print_nodes(const struct cli_io *io, const struct json_value *nodes)
{
    size_t width[STATUS_COLUMNS];
    struct buf cell = BUF_INIT;
    int rc = 0;
    for (size_t c = 0; c < STATUS_COLUMNS; c++)
        width[c] = strlen(status_columns[c][0]);
    for (size_t i = 0; rc == 0 && i < nodes->u.arr.n; i++) {
        for (size_t c = 0; rc == 0 && c < STATUS_COLUMNS; c++) {
            rc = cell_text(&cell, &nodes->u.arr.items[i], c);
            if (rc == 0 && cell.len > width[c])
                width[c] = cell.len;
        }
    }
    for (size_t c = 0; rc == 0 && c < STATUS_COLUMNS; c++) {
        if (c + 1 < STATUS_COLUMNS)
            fprintf(io->out, "%-*s  ", (int)width[c], status_columns[c][0]);
        else
            fprintf(io->out, "%s\n", status_columns[c][0]);
    }
    for (size_t i = 0; rc == 0 && i < nodes->u.arr.n; i++) {
        for (size_t c = 0; rc == 0 && c < STATUS_COLUMNS; c++) {
            rc = cell_text(&cell, &nodes->u.arr.items[i], c);
            if (rc != 0)
                break;
            cli_write(io->out, cell.data, cell.len);
            if (c + 1 < STATUS_COLUMNS)
                fprintf(io->out, "%*s", (int)(width[c] - cell.len + 2), "");
        }
        fputc('\n', io->out);
    }
    buf_free(&cell);
    if (rc != 0)
        cli_errorf(io, "out of memory");
    return rc;
}

/* One line per replicaset: id, state, bucket share as a bar, members, leader. */
static void print_replicasets(const struct cli_io *io, const struct json_value *root)
{
    const struct json_value *sets = json_object_get(root, "replicasets");
    const struct json_value *count = json_object_get(root, "bucket_count");
    int64_t total = 0;
    if (sets == NULL || sets->type != JSON_ARRAY || sets->u.arr.n == 0 || count == NULL ||
        json_get_int64(count, &total) != 0 || total <= 0)
        return;
    fprintf(io->out, "\nreplicaset  state     buckets                               members      leader\n");
    for (size_t i = 0; i < sets->u.arr.n; i++) {
        const struct json_value *rs = &sets->u.arr.items[i];
        int64_t id = 0, buckets = 0, leader = 0;
        const char *state = "?";
        size_t state_len = 1;
        json_get_int64(json_object_get(rs, "id"), &id);
        json_get_int64(json_object_get(rs, "buckets"), &buckets);
        json_get_string(json_object_get(rs, "state"), &state, &state_len);
        char bar[21];
        int filled = (int)(buckets * 20 / total);
        for (int k = 0; k < 20; k++)
            bar[k] = k < filled ? '#' : '.';
        bar[20] = '\0';
        char members[64] = "";
        const struct json_value *ms = json_object_get(rs, "members");
        size_t off = 0;
        for (size_t k = 0; ms && ms->type == JSON_ARRAY && k < ms->u.arr.n && off < 50; k++) {
            int64_t m = 0;
            json_get_int64(&ms->u.arr.items[k], &m);
            off += (size_t)snprintf(members + off, sizeof members - off, "%s%lld", k ? "," : "",
                                    (long long)m);
        }
        const struct json_value *lv = json_object_get(rs, "leader");
        char lead[24] = "-";
        if (lv && json_get_int64(lv, &leader) == 0)
            snprintf(lead, sizeof lead, "%lld", (long long)leader);
        fprintf(io->out, "%-10lld  %-8.*s  [%s] %5lld  %-12s %s\n", (long long)id,
                (int)state_len, state, bar, (long long)buckets, members, lead);
    }
    const struct json_value *moves = json_object_get(root, "moves");
    if (moves && moves->type == JSON_ARRAY && moves->u.arr.n > 0)
        fprintf(io->out, "moves in progress: %zu\n", moves->u.arr.n);
}

static int print_field(const struct cli_io *io, const char *label, const struct json_value *v)
{
    struct buf b = BUF_INIT;
    int rc;
    const struct json_value *name = json_object_get(v, "name");
    const struct json_value *id = json_object_get(v, "id");
    if (v != NULL && v->type == JSON_OBJECT && name != NULL && id != NULL) {
        /* A node reference {"id", "name"}: "name (id N)". */
        rc = cli_json_display(&b, name);
        if (rc == 0)
            rc = buf_printf(&b, " (id ");
        if (rc == 0)
            rc = cli_json_display(&b, id);
        if (rc == 0)
            rc = buf_printf(&b, ")");
    } else if (v == NULL || v->type == JSON_NULL) {
        rc = buf_printf(&b, "none");
    } else {
        rc = cli_json_display(&b, v);
    }
    if (rc == 0)
        fprintf(io->out, "%-8s %.*s\n", label, (int)b.len, b.len ? (const char *)b.data : "");
    buf_free(&b);
    return rc;
}

static int request_or_report(const struct cli_io *io, struct cli_http_client *c,
                             const struct cli_http_request *req)
{
    struct errbuf eb;
    int rc = cli_http_client_do(c, req, &eb);
    if (rc != 0)
        cli_errorf(io, "%s", eb.msg);
    return rc;
}

int cli_status_run(const struct cli_io *io, int argc, char **argv)
{
    ASSERT(argc >= 1);
    struct cli_common com = {0};
    const struct cli_opt opts[] = {CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &status_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1,
                           pos, 0, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_common_finish(io, &status_usage, &com) != 0)
        return CLI_EXIT_USAGE;

    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    struct json_doc health = {0}, cluster = {0};
    struct buf out = BUF_INIT;
    int have_health = 0, have_cluster = 0, ex = CLI_EXIT_FAIL;

    /* /health answers 503 with a body while the node starts or has no leader: still a status. */
    struct cli_http_request hreq = {"GET", "/health", NULL, 0, NULL, 0};
    if (request_or_report(io, &c, &hreq) != 0)
        goto out;
    const struct cli_http_response *r = &c.parser.resp;
    char health_text[64];
    snprintf(health_text, sizeof health_text, "HTTP %d", r->status);
    if ((r->status == 200 || r->status == 503) &&
        json_parse(&health, r->body.data, r->body.len, NULL, NULL) == 0) {
        have_health = 1;
        const char *st;
        size_t st_len;
        if (json_get_string(json_object_get(health.root, "status"), &st, &st_len) == 0)
            snprintf(health_text, sizeof health_text, "%.*s", (int)st_len, st);
    }

    struct cli_http_request creq = {"GET", "/v1/cluster", NULL, 0, NULL, 0};
    if (request_or_report(io, &c, &creq) != 0)
        goto out;
    r = &c.parser.resp;
    if (r->status / 100 == 2) {
        if (cli_parse_json_body(io, &com.addr, r, &cluster) != 0)
            goto out;
        have_cluster = 1;
    }

    if (com.json) {
        struct json_writer w;
        json_writer_init(&w, &out);
        json_write_object_begin(&w);
        json_write_key(&w, "health");
        if (have_health)
            json_write_value(&w, health.root);
        else
            json_write_null(&w);
        json_write_key(&w, "cluster");
        if (have_cluster)
            json_write_value(&w, cluster.root);
        else
            json_write_null(&w);
        json_write_object_end(&w);
        if (json_writer_finish(&w) != 0) {
            cli_errorf(io, "out of memory");
            goto out;
        }
        cli_write(io->out, out.data, out.len);
        fputc('\n', io->out);
    } else {
        fprintf(io->out, "%-8s %s\n", "node", com.addr.text);
        fprintf(io->out, "%-8s %s\n", "health", health_text);
        if (have_cluster) {
            const struct json_value *root = cluster.root;
            const struct json_value *nodes = json_object_get(root, "nodes");
            if (print_field(io, "cluster", json_object_get(root, "cluster_id")) != 0 ||
                print_field(io, "leader", json_object_get(root, "leader")) != 0 ||
                print_field(io, "term", json_object_get(root, "term")) != 0)
                goto out;
            if (nodes != NULL && nodes->type == JSON_ARRAY) {
                fputc('\n', io->out);
                if (print_nodes(io, nodes) != 0)
                    goto out;
            }
            print_replicasets(io, root);
        }
    }
    if (!have_cluster) {
        /* What the node could say was printed; the cluster view is what failed. */
        cli_report_http_error(io, r);
        cli_finish_output(io);
        goto out;
    }
    ex = cli_finish_output(io);
out:
    json_doc_free(&health);
    json_doc_free(&cluster);
    buf_free(&out);
    cli_http_client_free(&c);
    return ex;
}

int cli_expel_run(const struct cli_io *io, int argc, char **argv)
{
    ASSERT(argc >= 1);
    struct cli_common com = {0};
    const struct cli_opt opts[] = {CLI_COMMON_OPTS(&com)};
    char *pos[CLI_POSITIONAL_MAX];
    size_t n_pos;
    int a = cli_args_parse(io, &expel_usage, opts, sizeof opts / sizeof opts[0], argc, argv, 1, pos,
                           1, &n_pos);
    if (a != CLI_ARGS_OK)
        return a == CLI_ARGS_HELP ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (n_pos != 1 || pos[0][0] == '\0')
        return cli_usage_error(io, &expel_usage, "expected NODE (a node name or id)");
    if (cli_common_finish(io, &expel_usage, &com) != 0)
        return CLI_EXIT_USAGE;
    const char *node = pos[0];

    struct buf body = BUF_INIT;
    struct cli_http_client c;
    cli_http_client_init(&c, &com.addr, com.timeout_ms);
    int ex = CLI_EXIT_FAIL;
    struct json_writer w;
    json_writer_init(&w, &body);
    json_write_object_begin(&w);
    json_write_key(&w, "node");
    json_write_cstr(&w, node);
    json_write_object_end(&w);
    if (json_writer_finish(&w) != 0) {
        cli_errorf(io, "out of memory");
        goto out;
    }
    struct cli_http_header hdr = {"Content-Type", "application/json"};
    struct cli_http_request req = {"POST", "/v1/cluster/expel", &hdr, 1, body.data, body.len};
    if (request_or_report(io, &c, &req) != 0)
        goto out;
    const struct cli_http_response *r = &c.parser.resp;
    if (r->status / 100 != 2) {
        cli_report_http_error(io, r);
        goto out;
    }
    if (com.json) {
        cli_write(io->out, r->body.data, r->body.len);
        if (r->body.len == 0 || r->body.data[r->body.len - 1] != '\n')
            fputc('\n', io->out);
    } else {
        fprintf(io->out, "expelled %s\n", node);
    }
    ex = cli_finish_output(io);
out:
    buf_free(&body);
    cli_http_client_free(&c);
    return ex;
}
