/* Merging the sorted answers of a query's replicasets (sqlx_gmerge): each replicaset sorted
 * its own rows by the query's ORDER BY, so the answer is their merge, taken a row at a time
 * from whichever answer's next row comes first. Values compare as SQLite compared them when it
 * sorted them: NULLs where the key puts them, then numbers (integers and reals by value) before
 * text (by its bytes, or by the pg_numeric collation for a numeric key) before blobs. Equal
 * rows come in the order of the answers; under DISTINCT (whose keys are all the result's
 * columns) a row equal to the one before it is dropped, before OFFSET counts it. */
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "node/sql_gather_int.h"
#include "sql/sql_func.h"

/* One answer being merged: its next row in vals. */
struct merge_cursor {
    struct table_output o;
    size_t pos;
    struct table_value *vals;
};

struct merge {
    const struct sqlx_gmerge *m;
    struct merge_cursor *c;
    uint32_t *heap; /* cursors with a row, the first to come at heap[0] */
    uint32_t n;
};

/* SQLite's order of storage classes: NULL, numbers, text, blobs. */
static int merge_class(const struct table_value *v)
{
    switch (v->type) {
    case TABLE_NULL: return 0;
    case TABLE_INT:
    case TABLE_REAL: return 1;
    case TABLE_TEXT: return 2;
    default: return 3;
    }
}

/* An integer against a real, exactly (as SQLite does: no rounding of the integer). */
static int merge_int_real(int64_t i, double r)
{
    if (r != r)
        return 1; /* SQLite holds no NaN; should one come, it sorts first */
    if (r < -9223372036854775808.0)
        return 1;
    if (r >= 9223372036854775808.0)
        return -1;
    int64_t y = (int64_t)r;
    if (i != y)
        return i < y ? -1 : 1;
    double s = (double)i;
    return s < r ? -1 : s > r;
}

static int merge_bytes(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
    uint32_t n = alen < blen ? alen : blen;
    int c = n > 0 ? memcmp(a, b, n) : 0;
    if (c != 0)
        return c < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* a against b, neither NULL, ascending. */
static int merge_value_cmp(const struct table_value *a, const struct table_value *b, bool numeric)
{
    int ca = merge_class(a), cb = merge_class(b);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    if (a->type == TABLE_INT && b->type == TABLE_INT)
        return a->i < b->i ? -1 : a->i > b->i;
    if (a->type == TABLE_REAL && b->type == TABLE_REAL)
        return a->r < b->r ? -1 : a->r > b->r;
    if (a->type == TABLE_INT && b->type == TABLE_REAL)
        return merge_int_real(a->i, b->r);
    if (a->type == TABLE_REAL && b->type == TABLE_INT)
        return -merge_int_real(b->i, a->r);
    if (a->type == TABLE_TEXT && numeric) {
        int c = sql_numeric_collate(a->p, (int)a->len, b->p, (int)b->len);
        return c < 0 ? -1 : c > 0;
    }
    return merge_bytes(a->p, a->len, b->p, b->len);
}

/* Row a against row b by m's keys: <0 when a comes first, 0 when they sort alike. */
static int merge_rows_cmp(const struct sqlx_gmerge *m, const struct table_value *ra,
                          const struct table_value *rb)
{
    for (uint32_t k = 0; k < m->nkeys; k++) {
        const struct sqlx_gmerge_key *key = &m->key[k];
        const struct table_value *a = &ra[key->col], *b = &rb[key->col];
        bool an = a->type == TABLE_NULL, bn = b->type == TABLE_NULL;
        int c;
        if (an || bn)
            c = an == bn ? 0 : an == key->nulls_first ? -1 : 1;
        else
            c = key->desc ? -merge_value_cmp(a, b, key->numeric)
                          : merge_value_cmp(a, b, key->numeric);
        if (c != 0)
            return c;
    }
    return 0;
}

/* Whether cursor x's row comes before cursor y's (the earlier answer first among equals). */
static bool merge_before(const struct merge *mg, uint32_t x, uint32_t y)
{
    int c = merge_rows_cmp(mg->m, mg->c[x].vals, mg->c[y].vals);
    return c != 0 ? c < 0 : x < y;
}

static void merge_sift_down(struct merge *mg, uint32_t at)
{
    for (;;) {
        uint32_t l = 2 * at + 1, r = l + 1, first = at;
        if (l < mg->n && merge_before(mg, mg->heap[l], mg->heap[first]))
            first = l;
        if (r < mg->n && merge_before(mg, mg->heap[r], mg->heap[first]))
            first = r;
        if (first == at)
            return;
        uint32_t t = mg->heap[at];
        mg->heap[at] = mg->heap[first];
        mg->heap[first] = t;
        at = first;
    }
}

/* Reads cursor i's next row: 1, 0 at the end of its answer, or ERR_MALFORMED. */
static int merge_advance(struct merge *mg, uint32_t i)
{
    struct merge_cursor *c = &mg->c[i];
    return table_output_next_row(&c->o, &c->pos, c->vals);
}

/* The output's head: the result's names, the types the answers declare. */
static int merge_head(const struct sqlx_gmerge *m, const struct merge_cursor *first,
                      const struct sql_out_column *cols, struct buf *out)
{
    char decl[256];
    table_output_head(out, m->ncols);
    for (uint32_t i = 0; i < m->ncols; i++) {
        const char *name, *d = "";
        uint32_t name_len, d_len = 0;
        if (first != NULL && table_output_col(&first->o, i, &name, &name_len, &d, &d_len) != 0)
            return ERR_PROTO;
        snprintf(decl, sizeof decl, "%.*s", (int)d_len, d);
        table_output_head_col(out, cols[i].name, decl);
    }
    return 0;
}

int sqlx_gather_merge(const struct sqlx_gmerge *m, const struct buf *const *outs, uint32_t n,
                      const struct sql_out_column *cols, struct buf *out, char *why,
                      size_t why_cap)
{
    ASSERT(m->on && m->ncols > 0);
    struct merge mg = {.m = m};
    mg.c = calloc(n ? n : 1, sizeof *mg.c);
    mg.heap = calloc(n ? n : 1, sizeof *mg.heap);
    struct table_value *vals = calloc((size_t)(n ? n : 1) * SQLX_GATHER_COLUMNS_MAX, sizeof *vals);
    int rc = mg.c != NULL && mg.heap != NULL && vals != NULL ? 0 : ERR_NOMEM;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        struct merge_cursor *c = &mg.c[i];
        c->vals = vals + (size_t)i * SQLX_GATHER_COLUMNS_MAX;
        if (table_output_parse(outs[i]->data, outs[i]->len, &c->o) != 0 ||
            c->o.state != TABLE_STATE_OK || c->o.ncols < m->ncols ||
            c->o.ncols > SQLX_GATHER_COLUMNS_MAX) {
            rc = ERR_PROTO;
            break;
        }
        for (uint32_t k = 0; k < m->nkeys; k++)
            if (m->key[k].col >= c->o.ncols)
                rc = ERR_PROTO;
        int more = rc == 0 ? merge_advance(&mg, i) : 0;
        if (more < 0)
            rc = ERR_PROTO;
        else if (more == 1)
            mg.heap[mg.n++] = i;
    }
    if (rc == 0)
        rc = merge_head(m, n > 0 ? &mg.c[0] : NULL, cols, out);
    for (uint32_t at = mg.n / 2; rc == 0 && at-- > 0;)
        merge_sift_down(&mg, at);
    struct table_output_writer w;
    table_output_writer_init(&w, out);
    uint64_t skip = m->offset, left = m->limit;
    /* under DISTINCT, the last row taken (its values point into its answer) */
    struct table_value *last = calloc(m->ncols + 1, sizeof *last);
    bool have_last = false;
    if (rc == 0 && last == NULL)
        rc = ERR_NOMEM;
    while (rc == 0 && mg.n > 0 && left > 0) {
        uint32_t i = mg.heap[0];
        if (m->distinct && have_last && merge_rows_cmp(m, last, mg.c[i].vals) == 0) {
            /* the same row as the one before: dropped */
        } else if (skip > 0) {
            skip--;
        } else {
            rc = table_output_put_row(&w, mg.c[i].vals, m->ncols);
            left--;
            if (rc == 0 && out->len > TABLE_OUTPUT_BYTES_MAX)
                rc = ERR_TOOBIG;
        }
        if (m->distinct) {
            memcpy(last, mg.c[i].vals, m->ncols * sizeof *last);
            have_last = true;
        }
        int more = rc == 0 ? merge_advance(&mg, i) : 0;
        if (more < 0)
            rc = ERR_PROTO;
        else if (more == 0)
            mg.heap[0] = mg.heap[--mg.n];
        if (rc == 0 && mg.n > 0)
            merge_sift_down(&mg, 0);
    }
    if (rc == 0)
        rc = table_output_finish(&w);
    if (rc == ERR_PROTO)
        snprintf(why, why_cap, "a malformed answer from a replicaset");
    else if (rc == ERR_TOOBIG)
        snprintf(why, why_cap, "the query returned more than %u MiB of rows; add a LIMIT",
                 TABLE_OUTPUT_BYTES_MAX >> 20);
    free(last);
    free(vals);
    free(mg.heap);
    free(mg.c);
    return rc;
}
