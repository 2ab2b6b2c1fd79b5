/* HTTP handlers: /v1/kv (get, put, delete, list, atomic batch), /health,
 * /metrics and /v1/cluster. Every handler answers exactly once, in the error
 * shape of docs/http-api.md when something is wrong. */
#include "node/api.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/base64.h"
#include "base/clock.h"
#include "base/codec.h"
#include "model/cluster/cluster.h"
#include "model/kv/kv.h"
#include "net/net.h"
#include "node/metrics.h"
#include "node/node.h"
#include "proto/http/json.h"

#define API_LIST_LIMIT_DEFAULT 100
#define API_LIST_LIMIT_MAX 1000
#define API_JSON_DEPTH_MAX 8

#define API_ENDPOINTS(X)                                                                           \
    X(KV_GET, "kv_get")                                                                            \
    X(KV_PUT, "kv_put")                                                                            \
    X(KV_DELETE, "kv_delete")                                                                      \
    X(KV_LIST, "kv_list")                                                                          \
    X(KV_BATCH, "kv_batch")                                                                        \
    X(HEALTH, "health")                                                                            \
    X(METRICS, "metrics")                                                                          \
    X(CLUSTER, "cluster")                                                                          \
    X(EXPEL, "expel")                                                                              \
    X(OTHER, "other")

enum api_endpoint {
#define API_EP_ENUM(name, str) API_EP_##name,
    API_ENDPOINTS(API_EP_ENUM)
#undef API_EP_ENUM
        API_EP_N
};

static const char *const api_endpoint_names[] = {
#define API_EP_NAME(name, str) str,
    API_ENDPOINTS(API_EP_NAME)
#undef API_EP_NAME
};

struct api {
    struct node *n;
    struct http_server *srv;
    struct metrics_hist latency[API_EP_N];
    uint64_t responses[API_EP_N][6]; /* by status class */
};

/* One request in flight. */
struct api_req {
    struct api *api;
    struct http_request_ctx *ctx;
    enum api_endpoint ep;
    uint64_t start_ns;
    /* Decoded request details the asynchronous part needs. */
    const uint8_t *key;
    size_t key_len;
    struct kv_list_req list;
    bool stale;
    /* A batch's keys, for its results: (u32 length, bytes) each, in op order. */
    struct buf batch_keys;
    uint32_t batch_n;
    uint64_t group; /* the group that holds the data concerned */
};

/* ------------------------------------------------------------ answering */

static void api_account(struct api_req *ar, int status)
{
    struct api *a = ar->api;
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        a->responses[ar->ep][cls]++;
    metrics_hist_observe(&a->latency[ar->ep], (double)(clock_mono_ns() - ar->start_ns) / 1e9);
}

static void api_req_free(struct api_req *ar)
{
    buf_free(&ar->batch_keys);
    free(ar);
}

static void api_reply(struct api_req *ar, int status, const struct http_header *h, size_t nh,
                      const void *body, size_t len)
{
    api_account(ar, status);
    http_respond(ar->ctx, status, h, nh, body, len);
    api_req_free(ar);
}

static void api_reply_json(struct api_req *ar, int status, struct buf *json)
{
    struct http_header h[] = {{"Content-Type", "application/json"}};
    api_reply(ar, status, h, 1, json->data, json->len);
}

static void api_error(struct api_req *ar, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void api_error(struct api_req *ar, int status, const char *code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    api_account(ar, status);
    http_respond_error(ar->ctx, status, code, "%s", msg);
    api_req_free(ar);
}

/* Maps an error code from the layers below to the API's status and code. */
static void api_fail(struct api_req *ar, int err, const char *what)
{
    switch (err) {
    case ERR_NOTFOUND:
        api_error(ar, 404, "NOT_FOUND", "%s: not found", what);
        return;
    case ERR_TOOBIG:
        api_error(ar, 413, "TOO_LARGE", "%s: over a size limit", what);
        return;
    case ERR_INVAL:
    case ERR_MALFORMED:
        api_error(ar, 400, "BAD_REQUEST", "%s: %s", what, err_msg(err));
        return;
    case ERR_TIMEOUT:
        api_error(ar, 504, "TIMEOUT",
                  "%s: no answer in time; the write may or may not have been applied", what);
        return;
    case ERR_UNAVAILABLE:
    case ERR_NOTLEADER:
        api_error(ar, 503, "UNAVAILABLE", "%s: the cluster has no leader right now; retry", what);
        return;
    case ERR_BUSY:
        api_error(ar, 503, "UNAVAILABLE", "%s: too much work in flight; retry later", what);
        return;
    case ERR_SHUTDOWN:
        api_error(ar, 503, "UNAVAILABLE", "%s: the node is stopping; retry on another node",
                  what);
        return;
    }
    api_error(ar, 500, "INTERNAL", "%s: %s (%s)", what, err_msg(err), err_name(err));
}

/* Writes "key": ... or "key_base64": ... for bytes that are not UTF-8. */
static void api_json_bytes(struct json_writer *w, const char *name, const uint8_t *p, size_t n)
{
    if (json_utf8_valid(p, n)) {
        json_write_key(w, name);
        json_write_str(w, (const char *)p, n);
        return;
    }
    char k[32];
    snprintf(k, sizeof k, "%s_base64", name);
    struct buf b = BUF_INIT;
    base64_encode(&b, p, n);
    json_write_key(w, k);
    json_write_str(w, (const char *)b.data, b.len);
    buf_free(&b);
}

static void api_etag(char *out, size_t cap, uint64_t version)
{
    snprintf(out, cap, "\"%" PRIu64 "\"", version);
}

/* ------------------------------------------------------------ kv: writes */

static void api_write_done(void *arg, int err, const struct store_result *res)
{
    struct api_req *ar = arg;
    if (err != 0) {
        api_fail(ar, err, ar->ep == API_EP_KV_BATCH ? "batch" : "write");
        return;
    }
    struct buf out = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &out);
    if (res->status == ERR_CONDITION) {
        json_write_object_begin(&w);
        json_write_key(&w, "error");
        json_write_object_begin(&w);
        json_write_key(&w, "code");
        json_write_cstr(&w, "CONDITION_FAILED");
        char msg[160];
        char op[32] = "";
        if (ar->ep == API_EP_KV_BATCH)
            snprintf(op, sizeof op, "op %u: ", res->failed_op);
        if (res->current_version)
            snprintf(msg, sizeof msg, "%sthe key is at version %" PRIu64 "; nothing was changed",
                     op, res->current_version);
        else
            snprintf(msg, sizeof msg, "%sthe key does not exist; nothing was changed", op);
        json_write_key(&w, "message");
        json_write_cstr(&w, msg);
        if (ar->ep == API_EP_KV_BATCH) {
            json_write_key(&w, "op");
            json_write_uint64(&w, res->failed_op);
        }
        json_write_key(&w, "current_version");
        json_write_uint64(&w, res->current_version);
        json_write_object_end(&w);
        json_write_object_end(&w);
        json_writer_finish(&w);
        api_reply_json(ar, 412, &out);
        buf_free(&out);
        return;
    }
    if (ar->ep == API_EP_KV_DELETE && !res->existed) {
        buf_free(&out);
        api_error(ar, 404, "NOT_FOUND", "no such key");
        return;
    }
    json_write_object_begin(&w);
    if (ar->key != NULL)
        api_json_bytes(&w, "key", ar->key, ar->key_len);
    if (ar->ep == API_EP_KV_DELETE) {
        json_write_key(&w, "deleted");
        json_write_bool(&w, 1);
    }
    json_write_key(&w, "version");
    json_write_uint64(&w, res->version);
    if (ar->ep == API_EP_KV_BATCH) {
        /* Every op of a batch is applied at the same index. */
        json_write_key(&w, "results");
        json_write_array_begin(&w);
        struct codec_reader kr;
        codec_reader_init(&kr, ar->batch_keys.data, ar->batch_keys.len);
        for (uint32_t i = 0; i < ar->batch_n; i++) {
            uint32_t klen = codec_read_u32(&kr);
            const uint8_t *k = codec_read_bytes(&kr, klen);
            if (k == NULL)
                break;
            json_write_object_begin(&w);
            api_json_bytes(&w, "key", k, klen);
            json_write_key(&w, "version");
            json_write_uint64(&w, res->version);
            json_write_object_end(&w);
        }
        json_write_array_end(&w);
    }
    json_write_object_end(&w);
    json_writer_finish(&w);
    char etag[32];
    api_etag(etag, sizeof etag, res->version);
    struct http_header h[] = {{"Content-Type", "application/json"}, {"ETag", etag}};
    api_reply(ar, 200, h, 2, out.data, out.len);
    buf_free(&out);
}

/* Reads If-Match / If-None-Match into cond. Returns 0 or answers 400. */
static int api_condition(struct api_req *ar, struct kv_cond *cond, bool allow_absent)
{
    const struct http_request *r = &ar->ctx->req;
    const char *im = http_request_header(r, "If-Match");
    const char *inm = http_request_header(r, "If-None-Match");
    cond->type = KV_COND_NONE;
    if (im && inm) {
        api_error(ar, 400, "BAD_REQUEST", "give If-Match or If-None-Match, not both");
        return ERR_INVAL;
    }
    if (inm) {
        if (!allow_absent || strcmp(inm, "*") != 0) {
            api_error(ar, 400, "BAD_REQUEST", "If-None-Match supports only \"*\" (create only)");
            return ERR_INVAL;
        }
        cond->type = KV_COND_ABSENT;
        return 0;
    }
    if (im) {
        const char *p = im;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        size_t len = strlen(p);
        if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
            p++;
            len -= 2;
        }
        char num[24];
        char *end;
        if (len == 0 || len >= sizeof num) {
            api_error(ar, 400, "BAD_REQUEST", "If-Match must be a version, like \"42\"");
            return ERR_INVAL;
        }
        memcpy(num, p, len);
        num[len] = '\0';
        errno = 0;
        unsigned long long v = strtoull(num, &end, 10);
        if (*end != '\0' || v == 0 || num[0] == '-' || errno == ERANGE) {
            api_error(ar, 400, "BAD_REQUEST", "If-Match must be a version, like \"42\", not %s",
                      im);
            return ERR_INVAL;
        }
        cond->type = KV_COND_VERSION;
        cond->version = v;
    }
    return 0;
}

static void api_kv_put(struct api_req *ar)
{
    struct kv_cond cond;
    if (api_condition(ar, &cond, true) != 0)
        return;
    struct buf cmd = BUF_INIT;
    struct errbuf eb = {{0}};
    const struct http_request *r = &ar->ctx->req;
    int rc = kv_encode_put(&cmd, ar->key, ar->key_len, r->body.data, r->body.len, &cond, &eb);
    if (rc != 0) {
        buf_free(&cmd);
        api_error(ar, rc == ERR_TOOBIG ? 413 : 400, rc == ERR_TOOBIG ? "TOO_LARGE" : "BAD_REQUEST",
                  "%s", eb.msg);
        return;
    }
    node_write_kv(ar->api->n, ar->key, ar->key_len, cmd.data, cmd.len, api_write_done, ar);
    buf_free(&cmd);
}

static void api_kv_delete(struct api_req *ar)
{
    struct kv_cond cond;
    if (api_condition(ar, &cond, false) != 0)
        return;
    struct buf cmd = BUF_INIT;
    struct errbuf eb = {{0}};
    int rc = kv_encode_delete(&cmd, ar->key, ar->key_len, &cond, &eb);
    if (rc != 0) {
        buf_free(&cmd);
        api_error(ar, rc == ERR_TOOBIG ? 413 : 400, rc == ERR_TOOBIG ? "TOO_LARGE" : "BAD_REQUEST",
                  "%s", eb.msg);
        return;
    }
    node_write_kv(ar->api->n, ar->key, ar->key_len, cmd.data, cmd.len, api_write_done, ar);
    buf_free(&cmd);
}

/* A string member, or its _base64 twin decoded into scratch. */
static int api_json_bytes_member(const struct json_value *obj, const char *name,
                                 struct buf *scratch, const uint8_t **p, size_t *n, bool *present)
{
    const struct json_value *v = json_object_get(obj, name);
    char b64[32];
    snprintf(b64, sizeof b64, "%s_base64", name);
    const struct json_value *vb = json_object_get(obj, b64);
    *present = v != NULL || vb != NULL;
    if (v && vb)
        return ERR_INVAL;
    const char *s;
    size_t len;
    if (v) {
        if (json_get_string(v, &s, &len) != 0)
            return ERR_INVAL;
        *p = (const uint8_t *)s;
        *n = len;
        return 0;
    }
    if (vb) {
        if (json_get_string(vb, &s, &len) != 0)
            return ERR_INVAL;
        size_t at = scratch->len;
        if (base64_decode(scratch, s, len) != 0)
            return ERR_MALFORMED;
        *p = scratch->data + at; /* each field has its own scratch buffer: stable */
        *n = scratch->len - at;
        return 0;
    }
    return 0;
}

/* Parses the request body as JSON into doc; on failure answers 400 (ar is
 * then gone) and returns nonzero. */
static int api_parse_body(struct api_req *ar, struct json_doc *doc)
{
    const struct http_request *r = &ar->ctx->req;
    struct json_limits lim = {0};
    lim.depth_max = API_JSON_DEPTH_MAX;
    struct errbuf eb = {{0}};
    int rc = json_parse(doc, r->body.data, r->body.len, &lim, &eb);
    if (rc != 0)
        api_error(ar, 400, "BAD_REQUEST", "the body is not valid JSON: %s", eb.msg);
    return rc;
}

static void api_kv_batch(struct api_req *ar)
{
    struct json_doc doc;
    struct errbuf eb = {{0}};
    if (api_parse_body(ar, &doc) != 0)
        return;
    const struct json_value *ops = json_object_get(doc.root, "ops");
    if (ops == NULL || ops->type != JSON_ARRAY) {
        json_doc_free(&doc);
        api_error(ar, 400, "BAD_REQUEST", "the body must be {\"ops\": [...]}");
        return;
    }
    size_t n = ops->u.arr.n;
    if (n == 0 || n > KV_BATCH_OPS_MAX) {
        json_doc_free(&doc);
        api_error(ar, n ? 413 : 400, n ? "TOO_LARGE" : "BAD_REQUEST",
                  "a batch holds 1 to %d operations, not %zu", KV_BATCH_OPS_MAX, n);
        return;
    }
    struct kv_op *kops = calloc(n, sizeof *kops);
    struct buf *scratch = calloc(2 * n, sizeof *scratch);
    ASSERT(kops != NULL && scratch != NULL);
    const char *bad = NULL;
    size_t bad_at = 0;
    for (size_t i = 0; i < n && bad == NULL; i++) {
        const struct json_value *o = json_array_at(ops, i);
        bad_at = i;
        if (o == NULL || o->type != JSON_OBJECT) {
            bad = "each op must be an object";
            break;
        }
        const char *op;
        size_t oplen;
        const struct json_value *ov = json_object_get(o, "op");
        if (ov == NULL || json_get_string(ov, &op, &oplen) != 0) {
            bad = "\"op\" must be \"put\" or \"delete\"";
            break;
        }
        if (oplen == 3 && memcmp(op, "put", 3) == 0)
            kops[i].type = KV_OP_PUT;
        else if (oplen == 6 && memcmp(op, "delete", 6) == 0)
            kops[i].type = KV_OP_DELETE;
        else {
            bad = "\"op\" must be \"put\" or \"delete\"";
            break;
        }
        bool present;
        int brc = api_json_bytes_member(o, "key", &scratch[2 * i], &kops[i].key,
                                        &kops[i].key_len, &present);
        if (brc == ERR_MALFORMED) {
            bad = "\"key_base64\" is not valid base64";
            break;
        }
        if (brc != 0 || !present) {
            bad = "\"key\" (a string) or \"key_base64\" is required";
            break;
        }
        brc = api_json_bytes_member(o, "value", &scratch[2 * i + 1], &kops[i].value,
                                    &kops[i].value_len, &present);
        if (brc == ERR_MALFORMED) {
            bad = "\"value_base64\" is not valid base64";
            break;
        }
        if (brc != 0) {
            bad = "\"value\" must be a string (or \"value_base64\")";
            break;
        }
        if (kops[i].type == KV_OP_PUT && !present) {
            bad = "a put needs \"value\" or \"value_base64\"";
            break;
        }
        if (kops[i].type == KV_OP_DELETE && present) {
            bad = "a delete takes no value";
            break;
        }
        const struct json_value *iv = json_object_get(o, "if_version");
        const struct json_value *ia = json_object_get(o, "if_absent");
        if (iv && ia) {
            bad = "give if_version or if_absent, not both";
            break;
        }
        if (iv) {
            int64_t ver;
            if (json_get_int64(iv, &ver) != 0 || ver <= 0) {
                bad = "\"if_version\" must be a positive integer";
                break;
            }
            kops[i].cond.type = KV_COND_VERSION;
            kops[i].cond.version = (uint64_t)ver;
        }
        if (ia) {
            int yes;
            if (json_get_bool(ia, &yes) != 0) {
                bad = "\"if_absent\" must be true or false";
                break;
            }
            if (yes)
                kops[i].cond.type = KV_COND_ABSENT;
        }
    }
    struct buf cmd = BUF_INIT;
    int rc = 0;
    if (bad == NULL)
        rc = kv_encode_batch(&cmd, kops, (uint32_t)n, &eb);
    uint64_t group0 = 0;
    bool spans = false;
    for (size_t i = 0; bad == NULL && rc == 0 && i < n; i++) {
        uint64_t gi = node_kv_group(ar->api->n, kops[i].key, kops[i].key_len);
        if (i == 0)
            group0 = gi;
        else if (gi != group0)
            spans = true;
        buf_append_u32(&ar->batch_keys, (uint32_t)kops[i].key_len);
        buf_append(&ar->batch_keys, kops[i].key, kops[i].key_len);
        ar->batch_n++;
    }
    json_doc_free(&doc);
    for (size_t i = 0; i < 2 * n; i++)
        buf_free(&scratch[i]);
    free(scratch);
    free(kops);
    if (bad != NULL) {
        buf_free(&cmd);
        api_error(ar, 400, "BAD_REQUEST", "op %zu: %s", bad_at, bad);
        return;
    }
    if (rc != 0) {
        buf_free(&cmd);
        api_error(ar, rc == ERR_TOOBIG ? 413 : 400, rc == ERR_TOOBIG ? "TOO_LARGE" : "BAD_REQUEST",
                  "%s", eb.msg);
        return;
    }
    if (spans) {
        buf_free(&cmd);
        api_error(ar, 400, "BAD_REQUEST",
                  "the keys of this batch live in different replicasets; until distributed "
                  "transactions exist a batch must stay within one replicaset (keys of one "
                  "bucket always do)");
        return;
    }
    /* Route by the first key; the rest share its replicaset. */
    struct codec_reader kr;
    codec_reader_init(&kr, ar->batch_keys.data, ar->batch_keys.len);
    uint32_t k0len = codec_read_u32(&kr);
    const uint8_t *k0 = codec_read_bytes(&kr, k0len);
    ar->key = NULL;
    node_write_kv(ar->api->n, k0, k0len, cmd.data, cmd.len, api_write_done, ar);
    buf_free(&cmd);
}

/* ------------------------------------------------------------ kv: reads */

static void api_kv_got(void *arg, int err, const uint8_t *value, size_t len, uint64_t version)
{
    struct api_req *ar = arg;
    if (err == ERR_NOTFOUND) {
        api_error(ar, 404, "NOT_FOUND", "no such key");
        return;
    }
    if (err != 0) {
        api_fail(ar, err, "read");
        return;
    }
    char etag[32];
    api_etag(etag, sizeof etag, version);
    struct http_header h[] = {{"Content-Type", "application/octet-stream"}, {"ETag", etag}};
    api_reply(ar, 200, h, 2, value, len);
}

struct api_list_out {
    struct json_writer *w;
    struct buf last;
};

static int api_list_item(void *ctx, const struct kv_item *it)
{
    struct api_list_out *o = ctx;
    json_write_object_begin(o->w);
    api_json_bytes(o->w, "key", it->key, it->key_len);
    api_json_bytes(o->w, "value", it->value, it->value_len);
    json_write_key(o->w, "version");
    json_write_uint64(o->w, it->version);
    json_write_object_end(o->w);
    buf_reset(&o->last);
    buf_append(&o->last, it->key, it->key_len);
    return 0;
}

static void api_kv_listed(void *arg, int err, const struct kv_item *items, uint32_t n, bool more)
{
    struct api_req *ar = arg;
    if (err != 0) {
        api_fail(ar, err, "list");
        return;
    }
    struct buf out = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &out);
    json_write_object_begin(&w);
    json_write_key(&w, "items");
    json_write_array_begin(&w);
    struct api_list_out o = {&w, BUF_INIT};
    for (uint32_t i = 0; i < n; i++)
        api_list_item(&o, &items[i]);
    json_write_array_end(&w);
    json_write_key(&w, "more");
    json_write_bool(&w, more);
    if (more && o.last.len)
        api_json_bytes(&w, "next", o.last.data, o.last.len);
    json_write_object_end(&w);
    json_writer_finish(&w);
    buf_free(&o.last);
    api_reply_json(ar, 200, &out);
    buf_free(&out);
}

/* consistency=stale|linearizable */
static int api_consistency(struct api_req *ar)
{
    const struct http_query_param *c = http_request_param(&ar->ctx->req, "consistency");
    ar->stale = false;
    if (c == NULL)
        return 0;
    if (strcmp(c->value, "stale") == 0) {
        ar->stale = true;
        return 0;
    }
    if (strcmp(c->value, "linearizable") == 0)
        return 0;
    api_error(ar, 400, "BAD_REQUEST", "consistency must be \"linearizable\" or \"stale\"");
    return ERR_INVAL;
}

static void api_kv_list(struct api_req *ar)
{
    const struct http_request *r = &ar->ctx->req;
    if (api_consistency(ar) != 0)
        return;
    memset(&ar->list, 0, sizeof ar->list);
    ar->list.limit = API_LIST_LIMIT_DEFAULT;
    const struct http_query_param *p = http_request_param(r, "prefix");
    if (p) {
        ar->list.prefix = p->value;
        ar->list.prefix_len = p->value_len;
    }
    p = http_request_param(r, "after");
    if (p) {
        ar->list.after = p->value;
        ar->list.after_len = p->value_len;
    }
    p = http_request_param(r, "limit");
    if (p) {
        char *end;
        unsigned long v = strtoul(p->value, &end, 10);
        if (p->value_len == 0 || *end != '\0' || v < 1 || v > API_LIST_LIMIT_MAX) {
            api_error(ar, 400, "BAD_REQUEST", "limit must be a whole number from 1 to %d",
                      API_LIST_LIMIT_MAX);
            return;
        }
        ar->list.limit = (uint32_t)v;
    }
    shard_kv_list(ar->api->n, &ar->list, ar->stale, api_kv_listed, ar);
}

/* ------------------------------------------------------------ cluster */

struct api_cluster_out {
    struct json_writer *w;
    struct raft_status st;
    struct node *n;
};

static int api_cluster_node(void *ctx, const struct cluster_node *c)
{
    struct api_cluster_out *o = ctx;
    struct json_writer *w = o->w;
    json_write_object_begin(w);
    json_write_key(w, "id");
    json_write_uint64(w, c->id);
    json_write_key(w, "name");
    json_write_cstr(w, c->name);
    json_write_key(w, "peer_addr");
    json_write_cstr(w, c->peer_addr);
    json_write_key(w, "http_addr");
    json_write_cstr(w, c->http_addr);
    json_write_key(w, "zone");
    json_write_cstr(w, c->zone);
    const char *role = "none";
    if (raft_conf_is_voter(&o->st.conf, c->id))
        role = c->id == o->st.leader ? "leader" : "follower";
    else if (raft_conf_is_learner(&o->st.conf, c->id))
        role = "learner";
    json_write_key(w, "role");
    json_write_cstr(w, role);
    /* The governor's verdict (a node is marked offline after NODE_OFFLINE_AFTER_MS without
     * a link to the governor leader), not this node's own view of its links. */
    const char *state = c->state != CLUSTER_NODE_ACTIVE ? "expelled"
                        : c->offline                    ? "offline"
                                                        : "online";
    json_write_key(w, "state");
    json_write_cstr(w, state);
    json_write_object_end(w);
    return 0;
}

static int api_cluster_rs(void *ctx, const struct cluster_replicaset *rs)
{
    struct api_cluster_out *o = ctx;
    struct node *n = o->n;
    struct json_writer *w = o->w;
    json_write_object_begin(w);
    json_write_key(w, "id");
    json_write_uint64(w, rs->id);
    json_write_key(w, "state");
    json_write_cstr(w, cluster_rs_state_name(rs->state));
    json_write_key(w, "members");
    json_write_array_begin(w);
    for (uint32_t i = 0; i < rs->n_members; i++)
        json_write_uint64(w, rs->members[i]);
    json_write_array_end(w);
    /* Known here only for the replicasets this node is in. */
    json_write_key(w, "leader");
    struct group *g = node_find_group(n, (uint64_t)rs->id + 1);
    if (g != NULL && group_leader(g) != RAFT_NONE)
        json_write_uint64(w, group_leader(g));
    else
        json_write_null(w);
    json_write_key(w, "buckets");
    json_write_uint64(w, rs->buckets);
    json_write_object_end(w);
    return 0;
}

static int api_cluster_move(void *ctx, const struct cluster_move *mv)
{
    struct json_writer *w = ctx;
    json_write_object_begin(w);
    json_write_key(w, "bucket");
    json_write_uint64(w, mv->bucket);
    json_write_key(w, "from");
    json_write_uint64(w, mv->src);
    json_write_key(w, "to");
    json_write_uint64(w, mv->dst);
    json_write_key(w, "state");
    json_write_cstr(w, cluster_move_state_name(mv->state));
    json_write_object_end(w);
    return 0;
}

static void api_cluster(struct api_req *ar)
{
    struct node *n = ar->api->n;
    struct buf out = BUF_INIT;
    struct json_writer w;
    json_writer_init(&w, &out);
    struct api_cluster_out o = {.w = &w, .n = n};
    group_status(node_group(n), &o.st);
    json_write_object_begin(&w);
    json_write_key(&w, "cluster_id");
    json_write_cstr(&w, node_cluster_hex(n));
    json_write_key(&w, "node_id");
    json_write_uint64(&w, node_id(n));
    json_write_key(&w, "leader");
    if (o.st.leader != RAFT_NONE) {
        struct cluster_node c;
        struct errbuf eb = {{0}};
        json_write_object_begin(&w);
        json_write_key(&w, "id");
        json_write_uint64(&w, o.st.leader);
        if (cluster_node_get(node_store(n), o.st.leader, &c, &eb) == 0) {
            json_write_key(&w, "name");
            json_write_cstr(&w, c.name);
        }
        json_write_object_end(&w);
    } else {
        json_write_null(&w);
    }
    json_write_key(&w, "term");
    json_write_uint64(&w, o.st.term);
    json_write_key(&w, "commit_index");
    json_write_uint64(&w, o.st.commit);
    json_write_key(&w, "applied_index");
    json_write_uint64(&w, o.st.applied);
    json_write_key(&w, "nodes");
    json_write_array_begin(&w);
    struct errbuf eb = {{0}};
    int rc = cluster_nodes(node_store(n), api_cluster_node, &o, &eb);
    json_write_array_end(&w);
    uint32_t rf = 0, bucket_count = 0;
    if (cluster_settings(node_store(n), &rf, &bucket_count, &eb) == 0) {
        json_write_key(&w, "replication_factor");
        json_write_uint64(&w, rf);
        json_write_key(&w, "bucket_count");
        json_write_uint64(&w, bucket_count);
    }
    json_write_key(&w, "replicasets");
    json_write_array_begin(&w);
    if (rc == 0)
        rc = cluster_replicasets(node_store(n), api_cluster_rs, &o, &eb);
    json_write_array_end(&w);
    json_write_key(&w, "moves");
    json_write_array_begin(&w);
    if (rc == 0)
        rc = cluster_moves(node_store(n), api_cluster_move, &w, &eb);
    json_write_array_end(&w);
    json_write_object_end(&w);
    json_writer_finish(&w);
    if (rc != 0) {
        buf_free(&out);
        api_error(ar, 500, "INTERNAL", "cannot read the node registry: %s", eb.msg);
        return;
    }
    api_reply_json(ar, 200, &out);
    buf_free(&out);
}

static void api_expel_done(void *arg, int err, const struct store_result *res)
{
    struct api_req *ar = arg;
    if (err != 0) {
        api_fail(ar, err, "expel");
        return;
    }
    if (res->status != 0) {
        api_error(ar, 404, "NOT_FOUND", "node %" PRIu64 " is not an active member", res->version);
        return;
    }
    struct buf out = BUF_INIT;
    buf_printf(&out, "{\"expelled\":%" PRIu64 "}", res->version);
    api_reply_json(ar, 200, &out);
    buf_free(&out);
}

static void api_expel(struct api_req *ar)
{
    struct json_doc doc;
    struct errbuf eb = {{0}};
    if (api_parse_body(ar, &doc) != 0)
        return;
    const struct json_value *v = json_object_get(doc.root, "node");
    char name[CLUSTER_NAME_BYTES_MAX + 1];
    const char *s;
    size_t len;
    int64_t id;
    if (v && json_get_string(v, &s, &len) == 0 && len > 0 && len < sizeof name) {
        memcpy(name, s, len);
        name[len] = '\0';
    } else if (v && json_get_int64(v, &id) == 0 && id > 0) {
        snprintf(name, sizeof name, "%" PRId64, id);
    } else {
        json_doc_free(&doc);
        api_error(ar, 400, "BAD_REQUEST", "the body must be {\"node\": \"<name or id>\"}");
        return;
    }
    json_doc_free(&doc);
    struct cluster_node c;
    if (cluster_node_find(node_store(ar->api->n), name, &c, &eb) != 0 ||
        c.state != CLUSTER_NODE_ACTIVE) {
        api_error(ar, 404, "NOT_FOUND", "no active node named or numbered \"%s\"", name);
        return;
    }
    node_expel(ar->api->n, c.id, api_expel_done, ar);
}

/* ------------------------------------------------------------ health, metrics */

static void api_health(struct api_req *ar)
{
    struct node *n = ar->api->n;
    struct raft_status st;
    group_status(node_group(n), &st);
    const char *status = "UP";
    int code = 200;
    if (node_state(n) == NODE_STOPPING) {
        status = "STOPPING";
        code = 503;
    } else if (node_state(n) == NODE_STARTING) {
        status = "STARTING";
        code = 503;
    } else if (st.leader == RAFT_NONE) {
        status = "NO_LEADER";
        code = 503;
    }
    const char *role = raft_role_name(st.role);
    if (raft_conf_is_learner(&st.conf, node_id(n)))
        role = "learner";
    else if (!raft_conf_is_voter(&st.conf, node_id(n)))
        role = "none";
    struct buf out = BUF_INIT;
    buf_printf(&out,
               "{\"status\":\"%s\",\"node_id\":%" PRIu64 ",\"role\":\"%s\",\"leader\":%" PRIu64
               ",\"term\":%" PRIu64 ",\"applied_index\":%" PRIu64 "}",
               status, node_id(n), role, st.leader, st.term, st.applied);
    api_reply_json(ar, code, &out);
    buf_free(&out);
}

static void api_metrics(struct api_req *ar)
{
    struct api *a = ar->api;
    struct buf out = BUF_INIT;
    node_write_metrics(a->n, &out);
    struct http_server_stats hs;
    http_server_stats(a->srv, &hs);
    metrics_write_value(&out, "cairn_http_connections_open", "open HTTP connections", "gauge", "",
                        (double)hs.connections_open);
    metrics_write_value(&out, "cairn_http_requests_inflight", "HTTP requests being served",
                        "gauge", "", (double)hs.requests_inflight);
    for (int e = 0; e < API_EP_N; e++) {
        for (int c = 1; c <= 5; c++) {
            char labels[96];
            snprintf(labels, sizeof labels, "endpoint=\"%s\",code=\"%dxx\"", api_endpoint_names[e],
                     c);
            metrics_write_value(&out, "cairn_http_requests_total",
                                e == 0 && c == 1 ? "HTTP requests answered" : NULL, "counter",
                                labels, (double)a->responses[e][c]);
        }
    }
    for (int e = 0; e < API_EP_N; e++) {
        char labels[64];
        snprintf(labels, sizeof labels, "endpoint=\"%s\"", api_endpoint_names[e]);
        metrics_write_hist(&out, "cairn_http_request_duration_seconds",
                           e == 0 ? "HTTP request latency" : NULL, labels, &a->latency[e]);
    }
    struct http_header h[] = {{"Content-Type", "text/plain; version=0.0.4"}};
    api_account(ar, 200);
    http_respond(ar->ctx, 200, h, 1, out.data, out.len);
    api_req_free(ar);
    buf_free(&out);
}

/* ------------------------------------------------------------ routing */

static bool api_path_is(const struct http_request *r, const char *p)
{
    return r->path_len == strlen(p) && memcmp(r->path, p, r->path_len) == 0;
}

static void api_method_not_allowed(struct api_req *ar, const char *allowed)
{
    api_account(ar, 405);
    struct http_header h[] = {{"Allow", allowed}, {"Content-Type", "application/json"}};
    char body[160];
    int len = snprintf(body, sizeof body,
                       "{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"use %s\"}}",
                       allowed);
    http_respond(ar->ctx, 405, h, 2, body, (size_t)len);
    api_req_free(ar);
}

static void api_handle(void *ctx, struct http_request_ctx *req)
{
    struct api *a = ctx;
    struct api_req *ar = calloc(1, sizeof *ar);
    if (ar == NULL) {
        http_respond_error(req, 500, "INTERNAL", "out of memory");
        return;
    }
    ar->api = a;
    ar->ctx = req;
    ar->start_ns = clock_mono_ns();
    ar->ep = API_EP_OTHER;
    const struct http_request *r = &req->req;
    enum http_method m = r->method;

    if (api_path_is(r, "/health")) {
        ar->ep = API_EP_HEALTH;
        if (m != HTTP_GET && m != HTTP_HEAD)
            return api_method_not_allowed(ar, "GET");
        return api_health(ar);
    }
    if (api_path_is(r, "/metrics")) {
        ar->ep = API_EP_METRICS;
        if (m != HTTP_GET)
            return api_method_not_allowed(ar, "GET");
        return api_metrics(ar);
    }
    if (api_path_is(r, "/v1/cluster")) {
        ar->ep = API_EP_CLUSTER;
        if (m != HTTP_GET)
            return api_method_not_allowed(ar, "GET");
        return api_cluster(ar);
    }
    if (api_path_is(r, "/v1/cluster/expel")) {
        ar->ep = API_EP_EXPEL;
        if (m != HTTP_POST)
            return api_method_not_allowed(ar, "POST");
        return api_expel(ar);
    }
    if (api_path_is(r, "/v1/kv") || api_path_is(r, "/v1/kv/")) {
        if (m == HTTP_GET) {
            ar->ep = API_EP_KV_LIST;
            return api_kv_list(ar);
        }
        if (m == HTTP_POST) {
            ar->ep = API_EP_KV_BATCH;
            return api_kv_batch(ar);
        }
        return api_method_not_allowed(ar, "GET, POST");
    }
    if (r->path_len > 7 && memcmp(r->path, "/v1/kv/", 7) == 0) {
        ar->key = (const uint8_t *)r->path + 7;
        ar->key_len = r->path_len - 7;
        ar->group = node_kv_group(a->n, ar->key, ar->key_len);
        if (ar->key_len > KV_KEY_BYTES_MAX) {
            ar->ep = m == HTTP_PUT ? API_EP_KV_PUT : API_EP_KV_GET;
            return api_error(ar, 413, "TOO_LARGE", "the key is %zu bytes; the limit is %d",
                             ar->key_len, KV_KEY_BYTES_MAX);
        }
        switch (m) {
        case HTTP_GET:
        case HTTP_HEAD:
            ar->ep = API_EP_KV_GET;
            if (api_consistency(ar) != 0)
                return;
            return shard_kv_get(a->n, ar->key, ar->key_len, ar->stale, api_kv_got, ar);
        case HTTP_PUT:
            ar->ep = API_EP_KV_PUT;
            return api_kv_put(ar);
        case HTTP_DELETE:
            ar->ep = API_EP_KV_DELETE;
            return api_kv_delete(ar);
        default:
            return api_method_not_allowed(ar, "GET, PUT, DELETE");
        }
    }
    api_error(ar, 404, "NOT_FOUND", "no such endpoint: %.*s (see docs/http-api.md)",
              (int)(r->path_len > 200 ? 200 : r->path_len), r->path);
}

int api_start(struct node *n, const char *addr, struct api **out, struct http_server **srv,
              struct errbuf *eb)
{
    char host[256];
    uint16_t port;
    int rc = net_addr_parse(addr, host, sizeof host, &port, eb);
    if (rc != 0)
        return rc;
    struct api *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ERR_NOMEM;
    a->n = n;
    struct http_server_config cfg = {0};
    /* The largest command (a batch, KV_CMD_BYTES_MAX) as base64 JSON. */
    cfg.body_bytes_max = KV_CMD_BYTES_MAX / 2 * 3 + 64 * 1024;
    rc = http_server_start(node_loop(n), host, port, &cfg, api_handle, a, &a->srv, eb);
    if (rc != 0) {
        free(a);
        return rc;
    }
    *out = a;
    *srv = a->srv;
    return 0;
}

void api_free(struct api *a)
{
    free(a);
}
