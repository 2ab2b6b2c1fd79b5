/* The kv tests' fixture: a store in a fresh directory fed one entry at a time,
 * and canonical dumps of its rows. Functions are static inline so that a test
 * file may use only some of them. */
#ifndef CAIRN_TEST_KV_FX_H
#define CAIRN_TEST_KV_FX_H

#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "model/kv/kv.h"
#include "store/store.h"

struct fx {
    char dir[64];
    char path[128];
    struct store *s;
    uint64_t index; /* the last index applied */
    struct buf cmd;
};

static inline int fx_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

/* A new store with bucket_count buckets (0: the default). */
static inline int fx_open_buckets(struct fx *f, uint32_t bucket_count)
{
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/cairn-kv-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof f->path, "%s/state.db", f->dir);
    struct store_opts o;
    store_opts_default(&o);
    o.bucket_count = bucket_count;
    struct errbuf eb;
    int rc = store_open(f->path, &o, &f->s, &eb);
    if (rc != 0)
        fprintf(stderr, "store_open: %s\n", eb.msg);
    f->index = 0;
    return rc;
}

static inline int fx_open(struct fx *f)
{
    return fx_open_buckets(f, 0);
}

static inline void fx_close(struct fx *f)
{
    store_close(f->s);
    buf_free(&f->cmd);
    nftw(f->dir, fx_rm, 8, FTW_DEPTH | FTW_PHYS);
}

/* Applies f->cmd as the next entry and empties it. */
static inline int fx_apply(struct fx *f, struct store_result *res)
{
    struct raft_entry e = {.term = 1,
                           .index = f->index + 1,
                           .type = RAFT_ENTRY_NORMAL,
                           .len = (uint32_t)f->cmd.len,
                           .data = f->cmd.data};
    struct errbuf eb;
    int rc = store_apply(f->s, &e, 1, res, &eb);
    if (rc != 0)
        fprintf(stderr, "store_apply: %s\n", eb.msg);
    else
        f->index++;
    buf_reset(&f->cmd);
    return rc;
}

/* Applies n no-op entries: the log moves on without a write. */
static inline int fx_noops(struct fx *f, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        struct raft_entry e = {.term = 1, .index = f->index + 1, .type = RAFT_ENTRY_NOOP};
        struct store_result res;
        int rc = store_apply(f->s, &e, 1, &res, NULL);
        if (rc != 0)
            return rc;
        f->index++;
    }
    return 0;
}

static inline int fx_put(struct fx *f, const char *key, const char *value,
                         const struct kv_cond *cond, struct store_result *res)
{
    int rc = kv_encode_put(&f->cmd, key, strlen(key), value, strlen(value), cond, NULL);
    return rc ? rc : fx_apply(f, res);
}

static inline int fx_del(struct fx *f, const char *key, const struct kv_cond *cond,
                         struct store_result *res)
{
    int rc = kv_encode_delete(&f->cmd, key, strlen(key), cond, NULL);
    return rc ? rc : fx_apply(f, res);
}

/* The whole table, canonically: every key, version, bucket and value. */
static inline int dump_item(void *ctx, const struct kv_item *it)
{
    struct buf *b = ctx;
    buf_append_uvarint(b, it->key_len);
    buf_append(b, it->key, it->key_len);
    buf_append_u64(b, it->version);
    buf_append_u32(b, it->bucket);
    buf_append_uvarint(b, it->value_len);
    buf_append(b, it->value, it->value_len);
    return 0;
}

static inline int dump(struct store *s, struct buf *out)
{
    buf_reset(out);
    struct kv_list_req req = {.limit = KV_LIST_LIMIT_MAX};
    bool more;
    int rc = kv_list(s, &req, dump_item, out, &more, NULL);
    return rc != 0 ? rc : more ? -1 : 0;
}

static inline bool buf_same(const struct buf *a, const struct buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

struct collect {
    uint32_t n;
    char keys[64][32];
    size_t lens[64];
    uint64_t versions[64];
    bool value_null[64];
};

static inline int collect_item(void *ctx, const struct kv_item *it)
{
    struct collect *c = ctx;
    if (c->n == 64 || it->key_len >= 32)
        return 99;
    memcpy(c->keys[c->n], it->key, it->key_len);
    c->lens[c->n] = it->key_len;
    c->versions[c->n] = it->version;
    c->value_null[c->n] = it->value == NULL;
    c->n++;
    return 0;
}

#endif
