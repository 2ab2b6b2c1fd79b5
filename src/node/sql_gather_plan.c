/* Planning a SELECT over several replicasets (docs/sql.md, "Queries over several replicasets"):
 * how much of it runs where the rows are — only the columns it reads, its WHERE, its LIMIT, or
 * its aggregates as per-group partial states — and what this node runs over what comes back.
 * Every plan is exact; whatever cannot be pushed down safely is computed here, as before. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/assert.h"
#include "base/err.h"
#include "node/sql_gather_int.h"
#include "sql/sql_func.h"

/* Recursion of the walks here, as sql_walk.c bounds its own: past it a walk gives up (every
 * column fetched, nothing pushed down) rather than risk the stack. */
#define GP_DEPTH_MAX (4 * SQL_DEPTH_MAX)
/* Column references matched by name against the tables' columns; past it every column is
 * fetched (matching stays linear in the statement). */
#define GP_COLUMN_REFS_MAX 4096
/* A node the final query computes over the gathered groups: printed as SQLite's likely(x),
 * which returns x unchanged, so that the printer treats it as a computed value (compared with
 * PostgreSQL's rules, no collation) exactly as it treated the aggregate it stands for. */
#define GP_GATHERED_FN "__cairn_gathered"
#define GP_PARTIAL "__partial"
#define GP_GROUPS "__groups"
#define GP_ROWS "__rows"

/* The FROM of a query over sharded tables joined on their distribution keys (see
 * gp_colocated), or of a join whose other tables' rows are moved to the replicasets of one
 * (gp_plan_moves). */
struct gp_coloc {
    uint32_t n;
    const char *alias[SQLX_GATHER_TABLES_MAX];
    const struct sqlx_table *t[SQLX_GATHER_TABLES_MAX];
    uint32_t root[SQLX_GATHER_TABLES_MAX];                         /* union-find */
    uint32_t matched[SQLX_GATHER_TABLES_MAX][SQLX_GATHER_TABLES_MAX]; /* key positions equated */
    bool fail;
    bool moves;     /* collecting for gp_plan_moves: tables distributed globally are welcome */
    bool nullable[SQLX_GATHER_TABLES_MAX]; /* on the NULL side of an outer join */
    bool moved[SQLX_GATHER_TABLES_MAX];    /* rows moved in: complete, no bucket to check */
    uint32_t anchor; /* the table whose replicasets run the join */
};

struct gp {
    struct sqlx_session *s;
    const struct sql_stmt *st;
    const struct sql_select *q;
    const struct sql_printed *printed;
    struct sqlx_gplan *p;
    struct sqlx_print_ctx pctx;
    struct sql_print_opts o; /* the user tables, as the replicasets know them */
    bool one_table;          /* the query reads one table, directly in its FROM */
    const struct gp_coloc *coloc; /* or its tables are joined on their distribution keys */
    /* The tables of a plain query's FROM (gp_leaves), NULL when it has other items; reads[i]:
     * how often the query reads source i anywhere (a subquery too). */
    struct gp_coloc *leaves;
    uint32_t reads[SQLX_GATHER_TABLES_MAX];
};

static int gp_nomem(struct sql_error *err)
{
    snprintf(err->sqlstate, sizeof err->sqlstate, "53200");
    snprintf(err->message, sizeof err->message, "out of memory planning the query");
    return ERR_NOMEM;
}

/* ---- AST nodes made here (in the statement's arena) ---- */

static struct sql_expr *gp_int(struct sql_arena *a, int64_t v)
{
    struct sql_expr *e = sql_arena_alloc(a, sizeof *e);
    if (e == NULL)
        return NULL;
    e->kind = SQL_E_CONST;
    e->loc = -1;
    e->konst.kind = SQL_CONST_INT;
    e->konst.ival = v;
    e->konst.text = "";
    return e;
}

static struct sql_from *gp_from_table(struct sql_arena *a, const char *name)
{
    struct sql_from *f = sql_arena_alloc(a, sizeof *f);
    if (f == NULL)
        return NULL;
    f->kind = SQL_FROM_TABLE;
    f->loc = -1;
    f->table.name = name;
    f->table.loc = -1;
    return f;
}

static struct sql_select *gp_select(struct sql_arena *a, uint32_t ntargets)
{
    struct sql_select *f = sql_arena_alloc(a, sizeof *f);
    if (f == NULL)
        return NULL;
    f->kind = SQL_SELECT_PLAIN;
    f->loc = -1;
    f->targets.n = ntargets;
    f->targets.v = sql_arena_alloc(a, (size_t)(ntargets ? ntargets : 1) * sizeof *f->targets.v);
    return f->targets.v != NULL ? f : NULL;
}

/* Prints select f as a statement of st's (its text, arena and parameters). */
static int gp_print(const struct gp *g, struct sql_select *f, const struct sql_print_opts *o,
                    struct sql_printed *out, struct sql_error *err)
{
    struct sql_stmt stmt = *g->st;
    stmt.kind = SQL_STMT_SELECT;
    stmt.select = f;
    return sql_print(&stmt, o, out, err);
}

/* The fetch of a sharded table reads only the buckets the run's bucket set names (the ones
 * this coordinator's map places in that replicaset): while a bucket moves, its rows are in two
 * replicasets (the destination receiving them, or owning them before the source dropped its
 * copy), and each must be read from one. The replicaset refuses the set when its map is stale
 * (table.h, Buckets), and the query is planned again. */
static const char *sqlx_gather_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (nargs == 1 && strcmp(name, "cairn_bucket_visible") == 0) {
        *is_aggregate = false;
        return name;
    }
    return sql_func_lookup(name, nargs, is_aggregate);
}

/* where AND cairn_bucket_visible("__bucket"), in the statement's arena; NULL when it is full. */
static struct sql_expr *sqlx_gather_visible(struct sql_arena *a, struct sql_expr *where)
{
    struct sql_expr *call = sql_arena_alloc(a, sizeof *call);
    struct sql_expr *col = sql_arena_alloc(a, sizeof *col);
    struct sql_expr **arg = sql_arena_alloc(a, sizeof *arg);
    if (call == NULL || col == NULL || arg == NULL)
        return NULL;
    col->kind = SQL_E_COLUMN;
    col->loc = -1;
    col->column.nparts = 1;
    col->column.parts[0] = "__bucket";
    arg[0] = col;
    call->kind = SQL_E_FUNC;
    call->loc = -1;
    call->func.name.name = "cairn_bucket_visible";
    call->func.name.loc = -1;
    call->func.args.n = 1;
    call->func.args.v = arg;
    if (where == NULL)
        return call;
    struct sql_expr *and = sql_arena_alloc(a, sizeof *and);
    struct sql_expr **terms = sql_arena_alloc(a, 2 * sizeof *terms);
    if (and == NULL || terms == NULL)
        return NULL;
    terms[0] = where;
    terms[1] = call;
    and->kind = SQL_E_AND;
    and->loc = -1;
    and->list.n = 2;
    and->list.v = terms;
    return and;
}

/* where AND cairn_bucket_visible(alias."__bucket") for every table of a co-located join, or
 * (alias."__bucket" IS NULL OR cairn_bucket_visible(...)) for a table on the NULL side of an
 * outer join (its unmatched side is NULL there; a row's own __bucket never is); NULL when the
 * arena is full. */
static struct sql_expr *gp_coloc_visible(struct sql_arena *a, const struct gp_coloc *c,
                                         struct sql_expr *where)
{
    for (uint32_t i = 0; i < c->n; i++) {
        if (c->moved[i])
            continue;
        struct sql_expr *call = sqlx_gather_visible(a, NULL);
        struct sql_expr *col = sqlx_col_ref(a, c->alias[i], "__bucket");
        struct sql_expr *isnull = sql_arena_alloc(a, sizeof *isnull);
        struct sql_expr *or = sql_arena_alloc(a, sizeof *or);
        struct sql_expr *and = sql_arena_alloc(a, sizeof *and);
        struct sql_expr **terms = sql_arena_alloc(a, 4 * sizeof *terms);
        if (call == NULL || col == NULL || isnull == NULL || or == NULL || and == NULL ||
            terms == NULL)
            return NULL;
        call->func.args.v[0] = col;
        *isnull = (struct sql_expr){.kind = SQL_E_IS, .loc = -1};
        isnull->is.test = SQL_IS_NULL;
        isnull->is.arg = col;
        terms[0] = isnull;
        terms[1] = call;
        *or = (struct sql_expr){.kind = SQL_E_OR, .loc = -1};
        or->list.n = 2;
        or->list.v = terms;
        struct sql_expr *visible = c->nullable[i] ? or : call;
        if (where == NULL) {
            where = visible;
            continue;
        }
        terms[2] = where;
        terms[3] = visible;
        *and = (struct sql_expr){.kind = SQL_E_AND, .loc = -1};
        and->list.n = 2;
        and->list.v = terms + 2;
        where = and;
    }
    return where;
}

/* Prints f, a statement every replicaset holding t runs: for a sharded t, over the buckets the
 * run's bucket set names only (f's WHERE gets the filter; over a co-located join, for each of
 * its tables). */
static int gp_print_source(const struct gp *g, const struct sqlx_table *t, struct sql_select *f,
                           struct sql_printed *out, struct sql_error *err)
{
    struct sql_print_opts o = g->o;
    if (!t->global) {
        o.func_lookup = sqlx_gather_func_lookup;
        f->where = g->coloc != NULL ? gp_coloc_visible(g->st->arena, g->coloc, f->where)
                                    : sqlx_gather_visible(g->st->arena, f->where);
        if (f->where == NULL)
            return gp_nomem(err);
    }
    return gp_print(g, f, &o, out, err);
}

/* ---- expressions ---- */

/* Whether a call is an aggregate (a window call counts as one: neither may be pushed below
 * the grouping). false also for calls the library does not know (the printer reports them). */
static bool gp_is_aggregate(const struct sql_expr *e)
{
    bool agg = false;
    int nargs = e->func.star ? 0 : (int)e->func.args.n;
    return e->func.over != NULL || sql_func_lookup(e->func.name.name, nargs, &agg) == NULL || agg;
}

struct gp_plain {
    int depth;
    bool plain;
};

static int gp_plain_fn(void *ctx, const struct sql_expr *e)
{
    struct gp_plain *w = ctx;
    if (++w->depth > GP_DEPTH_MAX || (e->kind == SQL_E_FUNC && gp_is_aggregate(e)) ||
        (e->kind == SQL_E_FUNC && strcmp(e->func.name.name, GP_GATHERED_FN) == 0) ||
        e->kind == SQL_E_SUBLINK || (e->kind == SQL_E_IN && e->in.subquery != NULL) ||
        (e->kind == SQL_E_QUANTIFIED && e->quant.subquery != NULL))
        w->plain = false;
    if (w->plain)
        sql_expr_children(e, gp_plain_fn, w);
    w->depth--;
    return w->plain ? 0 : 1;
}

/* An expression computed row by row: no aggregate, window call or subquery in it. */
static bool gp_is_plain(const struct sql_expr *e)
{
    struct gp_plain w = {.plain = true};
    gp_plain_fn(&w, e);
    return w.plain;
}

static bool gp_is_bare_name(const struct sql_expr *e)
{
    return e->kind == SQL_E_COLUMN && !e->column.star && e->column.nparts == 1;
}

static const struct sqlx_col *gp_table_col(const struct sqlx_table *t, const char *name)
{
    for (uint32_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* The column of the query's tables that reference e names: of t for a one-table query (by its
 * last name part); over a co-located join, of the table its qualifier names, or of the one
 * table that has a column of that name. NULL when unknown or ambiguous. */
static int gp_coloc_leaf(const struct gp_coloc *c, const struct sql_expr *e);

static const struct sqlx_col *gp_ref_col(const struct gp *g, const struct sqlx_table *t,
                                         const struct sql_expr *e)
{
    if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0)
        return NULL;
    const char *name = e->column.parts[e->column.nparts - 1];
    if (g->coloc == NULL)
        return gp_table_col(t, name);
    int i = gp_coloc_leaf(g->coloc, e);
    return i >= 0 ? gp_table_col(g->coloc->t[i], name) : NULL;
}

/* The query's result column names as PostgreSQL gives them (printed's), or false when a * hid
 * them. */
static bool gp_output_names(const struct gp *g)
{
    if (g->printed->has_star || g->printed->ncols != g->q->targets.n)
        return false;
    for (uint32_t i = 0; i < g->printed->ncols; i++)
        if (g->printed->cols[i].name == NULL)
            return false;
    return true;
}

/* The target whose result column is named name: its index, -1 when none, -2 when several. */
static int gp_output_named(const struct gp *g, const char *name)
{
    int found = -1;
    for (uint32_t i = 0; i < g->printed->ncols; i++)
        if (g->printed->cols[i].name != NULL && strcmp(g->printed->cols[i].name, name) == 0)
            found = found == -1 ? (int)i : -2;
    return found;
}

/* ---- the columns a statement reads ---- */

struct gp_cols {
    struct sqlx_gplan *p;
    uint32_t nrefs;
    int depth;
    bool all; /* a *, a NATURAL join, or too much to match: every column */
};

static void gp_cols_name(struct gp_cols *c, const char *name)
{
    if (++c->nrefs > GP_COLUMN_REFS_MAX) {
        c->all = true;
        return;
    }
    /* By name alone, whatever the qualifier: a column some table has under that name is
     * fetched from every table that has one (more than needed at worst, never less). */
    for (uint32_t i = 0; i < c->p->nsrc; i++) {
        const struct sqlx_table *t = c->p->src[i].t;
        for (uint32_t k = 0; k < t->ncols; k++)
            if (strcmp(t->cols[k].name, name) == 0)
                c->p->src[i].want[k] = true;
    }
}

static void gp_cols_select(struct gp_cols *c, const struct sql_select *q);

static int gp_cols_expr(void *ctx, const struct sql_expr *e)
{
    struct gp_cols *c = ctx;
    if (c->all || c->depth >= GP_DEPTH_MAX) {
        c->all = true;
        return 1;
    }
    c->depth++;
    if (e->kind == SQL_E_COLUMN && e->column.star)
        c->all = true;
    else if (e->kind == SQL_E_COLUMN && e->column.nparts > 0)
        gp_cols_name(c, e->column.parts[e->column.nparts - 1]);
    else if (e->kind == SQL_E_IN && e->in.subquery != NULL)
        gp_cols_select(c, e->in.subquery);
    else if (e->kind == SQL_E_QUANTIFIED && e->quant.subquery != NULL)
        gp_cols_select(c, e->quant.subquery);
    else if (e->kind == SQL_E_SUBLINK && e->sublink.subquery != NULL)
        gp_cols_select(c, e->sublink.subquery);
    if (!c->all)
        sql_expr_children(e, gp_cols_expr, c);
    c->depth--;
    return c->all ? 1 : 0;
}

static void gp_cols_opt(struct gp_cols *c, const struct sql_expr *e)
{
    if (e != NULL && !c->all)
        gp_cols_expr(c, e);
}

static void gp_cols_list(struct gp_cols *c, const struct sql_exprs *l)
{
    for (uint32_t i = 0; i < l->n && !c->all; i++)
        gp_cols_expr(c, l->v[i]);
}

static void gp_cols_sorts(struct gp_cols *c, const struct sql_sorts *s)
{
    for (uint32_t i = 0; i < s->n && !c->all; i++)
        gp_cols_expr(c, s->v[i].expr);
}

static void gp_cols_window(struct gp_cols *c, const struct sql_window *w)
{
    gp_cols_list(c, &w->partition_by);
    gp_cols_sorts(c, &w->order_by);
    gp_cols_opt(c, w->start.offset);
    gp_cols_opt(c, w->end.offset);
}

static void gp_cols_from(struct gp_cols *c, const struct sql_from *f)
{
    if (c->all || ++c->depth > GP_DEPTH_MAX) {
        c->all = true;
        return;
    }
    switch (f->kind) {
    case SQL_FROM_TABLE:
        break;
    case SQL_FROM_SUBQUERY:
        gp_cols_select(c, f->subquery);
        break;
    case SQL_FROM_FUNC:
        gp_cols_opt(c, f->func);
        break;
    case SQL_FROM_JOIN:
        c->all |= f->join.natural;
        gp_cols_from(c, f->join.left);
        gp_cols_from(c, f->join.right);
        gp_cols_opt(c, f->join.on);
        for (uint32_t i = 0; i < f->join.using.n && !c->all; i++)
            gp_cols_name(c, f->join.using.v[i]);
        break;
    }
    c->depth--;
}

static void gp_cols_select(struct gp_cols *c, const struct sql_select *q)
{
    if (c->all || ++c->depth > GP_DEPTH_MAX) {
        c->all = true;
        return;
    }
    for (uint32_t i = 0; q->with != NULL && i < q->with->n && !c->all; i++) {
        const struct sql_stmt *cte = q->with->v[i].query;
        if (cte->kind == SQL_STMT_SELECT)
            gp_cols_select(c, cte->select);
        else
            c->all = true; /* refused by the printer anyway */
    }
    switch (q->kind) {
    case SQL_SELECT_PLAIN:
        gp_cols_list(c, &q->distinct_on);
        for (uint32_t i = 0; i < q->targets.n && !c->all; i++)
            gp_cols_expr(c, q->targets.v[i].expr);
        for (uint32_t i = 0; i < q->from.n && !c->all; i++)
            gp_cols_from(c, q->from.v[i]);
        gp_cols_opt(c, q->where);
        gp_cols_list(c, &q->group_by);
        gp_cols_opt(c, q->having);
        for (uint32_t i = 0; i < q->windows.n && !c->all; i++)
            gp_cols_window(c, q->windows.v[i].spec);
        break;
    case SQL_SELECT_VALUES:
        for (uint32_t i = 0; i < q->values.n && !c->all; i++)
            gp_cols_list(c, &q->values.v[i]);
        break;
    case SQL_SELECT_SETOP:
        gp_cols_select(c, q->left);
        gp_cols_select(c, q->right);
        break;
    }
    gp_cols_sorts(c, &q->order_by);
    gp_cols_opt(c, q->limit);
    gp_cols_opt(c, q->offset);
    c->depth--;
}

/* Marks in every source the columns the statement reads. A table none of whose columns is
 * read (count(*) over a join) still sends one per row: its first key column. */
static void gp_mark_columns(const struct gp *g)
{
    struct gp_cols c = {.p = g->p};
    gp_cols_select(&c, g->q);
    for (uint32_t i = 0; i < g->p->nsrc; i++) {
        struct sqlx_gsource *src = &g->p->src[i];
        bool any = false;
        for (uint32_t k = 0; k < src->t->ncols; k++) {
            src->want[k] |= c.all;
            any |= src->want[k];
        }
        src->all_cols = c.all;
        if (!any && src->t->ncols > 0)
            src->want[src->t->npk > 0 ? src->t->pk[0] : 0] = true;
    }
}

/* ---- LIMIT at the source ---- */

/* ORDER BY item e of a one-table query, as an expression over the table's columns (the
 * replicasets do not compute the result columns): a position or a result column's name
 * stands for that target. NULL when it cannot be told safely. */
static struct sql_expr *gp_sort_source(const struct gp *g, struct sql_expr *e)
{
    const struct sql_select *q = g->q;
    if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT) {
        if (!gp_output_names(g) || e->konst.ival < 1 || e->konst.ival > (int64_t)q->targets.n)
            return NULL;
        e = q->targets.v[e->konst.ival - 1].expr;
    } else if (gp_is_bare_name(e)) {
        /* PostgreSQL looks a bare name up among the result columns first. */
        if (gp_output_names(g)) {
            int i = gp_output_named(g, e->column.parts[0]);
            if (i == -2 || (i == -1 && gp_table_col(g->p->src[0].t, e->column.parts[0]) == NULL))
                return NULL;
            if (i >= 0)
                e = q->targets.v[i].expr;
        } else {
            /* a * names its columns as the table does: a name is safe unless a target
             * (named by an alias only, as far as is known here) takes it */
            if (gp_table_col(g->p->src[0].t, e->column.parts[0]) == NULL)
                return NULL;
            for (uint32_t i = 0; i < q->targets.n; i++)
                if (q->targets.v[i].alias != NULL &&
                    strcmp(q->targets.v[i].alias, e->column.parts[0]) == 0)
                    return NULL;
        }
    } else if (!gp_output_names(g)) {
        return NULL;
    } else {
        /* Inside an expression a name is a table column for PostgreSQL, while SQLite, which
         * runs the query here, prefers a result column of that name: push only when both
         * read the same. */
        for (uint32_t i = 0; i < g->printed->ncols; i++) {
            const struct sql_expr *t = q->targets.v[i].expr;
            const char *name = g->printed->cols[i].name;
            if (name != NULL && gp_table_col(g->p->src[0].t, name) != NULL &&
                !(t->kind == SQL_E_COLUMN && !t->column.star && t->column.nparts > 0 &&
                  strcmp(t->column.parts[t->column.nparts - 1], name) == 0))
                return NULL;
        }
    }
    return e->kind == SQL_E_COLUMN && e->column.star ? NULL : gp_is_plain(e) ? e : NULL;
}

/* For a one-table query with LIMIT n [OFFSET m] and nothing that needs every row first
 * (aggregates, DISTINCT, window calls): each replicaset may return only its first n + m rows in
 * the query's order — the rows the query keeps are among them. Sets src's limit and its
 * ORDER BY (*sorts, in the arena); false when it does not apply. */
static bool gp_plan_limit(const struct gp *g, struct sqlx_gsource *src, struct sql_sorts *sorts)
{
    const struct sql_select *q = g->q;
    if (!g->one_table || q->limit == NULL || q->distinct || q->group_by.n > 0 ||
        q->having != NULL || q->windows.n > 0)
        return false;
    const struct sql_expr *l = q->limit, *o = q->offset;
    if (l->kind != SQL_E_CONST || l->konst.kind != SQL_CONST_INT || l->konst.ival < 0)
        return false;
    if (o != NULL && (o->kind != SQL_E_CONST || o->konst.kind != SQL_CONST_INT ||
                      o->konst.ival < 0 || o->konst.ival > INT64_MAX - l->konst.ival))
        return false;
    for (uint32_t i = 0; i < q->targets.n; i++) {
        const struct sql_expr *t = q->targets.v[i].expr;
        if (!(t->kind == SQL_E_COLUMN && t->column.star) && !gp_is_plain(t))
            return false;
    }
    sorts->n = q->order_by.n;
    sorts->v = sql_arena_alloc(g->st->arena, (size_t)(sorts->n ? sorts->n : 1) * sizeof *sorts->v);
    if (sorts->v == NULL)
        return false;
    for (uint32_t i = 0; i < q->order_by.n; i++) {
        sorts->v[i] = q->order_by.v[i];
        sorts->v[i].expr = gp_sort_source(g, q->order_by.v[i].expr);
        if (sorts->v[i].expr == NULL)
            return false;
    }
    int64_t rows = l->konst.ival + (o != NULL ? o->konst.ival : 0);
    src->limit = rows > 0 ? (uint64_t)rows : 0;
    return rows > 0;
}

/* ---- fetched rows ---- */

/* SQLite's affinity of a declared type, by its rules (datatype3.html, 3.1): 'i' INTEGER,
 * 't' TEXT, 'b' BLOB, 'r' REAL, 'n' NUMERIC. */
static char gp_affinity(const char *decl, size_t len)
{
    static const struct {
        const char *part;
        char affinity;
    } rules[] = {{"INT", 'i'}, {"CHAR", 't'}, {"CLOB", 't'}, {"TEXT", 't'},
                 {"BLOB", 'b'}, {"REAL", 'r'}, {"FLOA", 'r'}, {"DOUB", 'r'}};
    if (len == 0)
        return 'b';
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        size_t n = strlen(rules[r].part);
        for (size_t i = 0; i + n <= len; i++)
            if (strncasecmp(decl + i, rules[r].part, n) == 0)
                return rules[r].affinity;
    }
    return 'n';
}

/* src->cte and src->affinity, for moving src's rows elsewhere (gp_plan_moves): each column cast
 * to its declared type, with its collation. Left empty when a column's affinity is NUMERIC
 * (a CAST to it would change values the column kept as they were). */
static int gp_rows_cte(struct sqlx_gsource *src, struct sql_error *err)
{
    _Static_assert(SQLX_GATHER_COLUMNS_MAX <= TABLE_ROWS_COLUMNS_MAX,
                   "cairn_rows reads back every column a source fetches");
    const struct sqlx_table *t = src->t;
    struct buf *c = &src->cte, decl = BUF_INIT;
    buf_printf(c, "\"%s\"(", t->sqlite_name);
    for (uint32_t k = 0, i = 0; k < t->ncols; k++)
        if (src->want[k])
            buf_printf(c, "%s\"%s\"", i++ ? ", " : "", t->cols[k].name);
    buf_printf(c, ") AS MATERIALIZED (SELECT ");
    bool ok = src->ncols > 0;
    for (uint32_t k = 0, i = 0; ok && k < t->ncols; k++) {
        if (!src->want[k])
            continue;
        buf_reset(&decl);
        if (sql_type_decl(&t->cols[k].type, &decl) != 0)
            buf_printf(&decl, "TEXT");
        /* "NUMERIC_TEXT(12,3) COLLATE pg_numeric": the type, then its collation */
        size_t type_len = decl.len;
        for (size_t at = 0; at + 9 <= decl.len; at++)
            if (memcmp(decl.data + at, " COLLATE ", 9) == 0) {
                type_len = at;
                break;
            }
        src->affinity[i] = gp_affinity((const char *)decl.data, type_len);
        ok = src->affinity[i] != 'n';
        buf_printf(c, "%sCAST(c%u AS %.*s)%.*s", i ? ", " : "", i, (int)type_len,
                   (const char *)decl.data, (int)(decl.len - type_len),
                   (const char *)decl.data + type_len);
        i++;
    }
    buf_printf(c, " FROM cairn_rows(?");
    buf_free(&decl);
    if (!ok || buf_append_u8(c, 0) != 0) {
        buf_free(c);
        return ok ? gp_nomem(err) : 0;
    }
    c->len--; /* terminated, and appended to */
    return 0;
}

/* ---- WHERE at the source of a join ----
 *
 * A conjunct of a join's WHERE that reads the columns of one table only, read once by the
 * query and never on the NULL side of an outer join, runs at that table's source too: a row it
 * refuses is in no result row (every result row carries the values of that row, and the WHERE
 * runs again here over the join). On the NULL side it would turn refused matches into unmatched
 * rows, which `IS NULL` keeps. Calls whose value changes from one evaluation to the next stay
 * here. */
struct gp_conj {
    const struct gp_coloc *c;
    uint32_t leaf;
    uint32_t ncols;
    int depth;
    bool ok;
};

static int gp_conj_fn(void *ctx, const struct sql_expr *e)
{
    static const char *const volatile_fns[] = {"random", "setseed", "gen_random_uuid",
                                               "nextval", "clock_timestamp", "timeofday"};
    struct gp_conj *w = ctx;
    if (++w->depth > GP_DEPTH_MAX)
        w->ok = false;
    if (w->ok && e->kind == SQL_E_COLUMN) {
        w->ok = !e->column.star && gp_coloc_leaf(w->c, e) == (int)w->leaf;
        w->ncols++;
    }
    if (w->ok && e->kind == SQL_E_FUNC)
        for (size_t i = 0; i < sizeof volatile_fns / sizeof volatile_fns[0]; i++)
            w->ok &= strcmp(e->func.name.name, volatile_fns[i]) != 0;
    if (w->ok)
        sql_expr_children(e, gp_conj_fn, w);
    w->depth--;
    return w->ok ? 0 : 1;
}

/* Appends to v the conjuncts of e that read leaf's columns only. */
static void gp_conj_collect(struct sql_expr *e, const struct gp_coloc *c, uint32_t leaf,
                            struct sql_expr **v, uint32_t *n, uint32_t cap, int depth)
{
    if (e == NULL || depth > GP_DEPTH_MAX)
        return;
    if (e->kind == SQL_E_AND) {
        for (uint32_t i = 0; i < e->list.n; i++)
            gp_conj_collect(e->list.v[i], c, leaf, v, n, cap, depth + 1);
        return;
    }
    struct gp_conj w = {.c = c, .leaf = leaf, .ok = true};
    if (gp_is_plain(e) && gp_conj_fn(&w, e) == 0 && w.ok && w.ncols > 0 && *n < cap)
        v[(*n)++] = e;
}

/* The WHERE source src may run (its conjuncts, ANDed; NULL for none), and the alias its table
 * has in the FROM, into *alias. */
static struct sql_expr *gp_source_where(const struct gp *g, const struct sqlx_gsource *src,
                                        uint32_t si, const char **alias)
{
    const struct gp_coloc *c = g->leaves;
    *alias = NULL;
    if (c == NULL || g->reads[si] != 1 || g->q->where == NULL)
        return NULL;
    int leaf = -1;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->t[i] == src->t)
            leaf = (int)i;
    if (leaf < 0)
        return NULL;
    *alias = c->alias[leaf];
    if (c->nullable[leaf])
        return NULL;
    struct sql_arena *a = g->st->arena;
    uint32_t cap = 64, n = 0;
    struct sql_expr **v = sql_arena_alloc(a, cap * sizeof *v);
    if (v == NULL)
        return NULL;
    gp_conj_collect(g->q->where, c, (uint32_t)leaf, v, &n, cap, 0);
    if (n <= 1)
        return n == 1 ? v[0] : NULL;
    struct sql_expr *and = sql_arena_alloc(a, sizeof *and);
    if (and == NULL)
        return NULL;
    *and = (struct sql_expr){.kind = SQL_E_AND, .loc = -1};
    and->list.n = n;
    and->list.v = v;
    return and;
}

/* `SELECT <the columns it reads> FROM t [WHERE ...] [ORDER BY ... LIMIT n+m]` for source src,
 * and the table here that receives its rows. The WHERE of a one-table query runs at the
 * source (and again here, harmlessly). */
static int gp_rows_source(struct gp *g, uint32_t si, struct sql_error *err)
{
    struct sqlx_gsource *src = &g->p->src[si];
    const struct sql_select *q = g->q;
    struct sql_arena *a = g->st->arena;
    const struct sqlx_table *t = src->t;
    uint32_t n = 0;
    for (uint32_t k = 0; k < t->ncols; k++)
        n += src->want[k];
    struct sql_select *f = gp_select(a, n);
    if (f == NULL)
        return gp_nomem(err);
    f->targets.n = 0;
    for (uint32_t k = 0; k < t->ncols; k++) {
        if (!src->want[k])
            continue;
        struct sql_target *tg = &f->targets.v[f->targets.n++];
        tg->expr = sqlx_col_ref(a, NULL, t->cols[k].name);
        tg->loc = -1;
        if (tg->expr == NULL)
            return gp_nomem(err);
    }
    if (g->one_table) {
        f->from = q->from;
        f->where = q->where;
        src->filtered = q->where != NULL;
        struct sql_sorts sorts;
        if (gp_plan_limit(g, src, &sorts)) {
            f->order_by = sorts;
            f->limit = gp_int(a, (int64_t)src->limit);
            if (f->limit == NULL)
                return gp_nomem(err);
        } else {
            src->limit = 0;
        }
    } else {
        struct sql_from **froms = sql_arena_alloc(a, sizeof *froms);
        if (froms == NULL || (froms[0] = gp_from_table(a, t->name)) == NULL)
            return gp_nomem(err);
        f->from.n = 1;
        f->from.v = froms;
        const char *alias;
        f->where = gp_source_where(g, src, si, &alias);
        src->filtered = f->where != NULL;
        if (f->where != NULL)
            froms[0]->alias.name = alias; /* the WHERE names the table by it */
    }
    int rc = gp_print_source(g, t, f, &src->sql, err);
    if (rc != 0)
        return rc;
    snprintf(src->name, sizeof src->name, "%s", t->sqlite_name);
    src->ncols = n;
    buf_printf(&src->create, "CREATE TABLE \"%s\" (", t->sqlite_name);
    bool first = true;
    for (uint32_t k = 0; k < t->ncols; k++) {
        if (!src->want[k])
            continue;
        buf_printf(&src->create, "%s\"%s\" ", first ? "" : ", ", t->cols[k].name);
        first = false;
        if (sql_type_decl(&t->cols[k].type, &src->create) != 0)
            buf_printf(&src->create, "TEXT");
    }
    buf_printf(&src->create, ")");
    return buf_append_u8(&src->create, 0) == 0 ? 0 : gp_nomem(err);
}

/* ---- partial aggregates ---- */

enum gp_agg_kind { GP_COUNT, GP_SUM, GP_MIN, GP_MAX, GP_AVG, GP_BOOL_AND, GP_BOOL_OR };

struct gp_key {
    struct sql_expr *e;  /* as the replicasets compute it */
    const char *column;  /* e is a plain column: its name (matched by name); else NULL */
    enum sql_expr_kind kind;
    struct buf text;     /* e printed, to find the same expression elsewhere */
};

struct gp_agg {
    enum gp_agg_kind kind;
    struct sql_expr *call; /* a copy of the call as written: what the replicasets compute */
};

/* A node of the query overwritten while the final query prints, and what it was. */
struct gp_undo {
    struct sql_expr *at;
    struct sql_expr was;
};

struct gp_partial {
    struct gp *g;
    const struct sqlx_table *t;
    struct gp_key keys[SQLX_GATHER_KEYS_MAX];
    uint32_t nkeys;
    struct gp_agg aggs[SQLX_GATHER_AGGS_MAX];
    uint32_t naggs;
    struct gp_undo *undo;
    uint32_t nundo, cap_undo;
    struct buf tmp;
    int depth;
    bool fail; /* not pushable: the query is planned as fetched rows */
};

/* The kind of a pushable aggregate call, -1 for a call that is no aggregate, -2 for one that
 * cannot be split (DISTINCT, FILTER, ORDER BY inside, a window, another aggregate). */
static int gp_agg_kind(const struct sql_expr *e)
{
    const char *name = e->func.name.name;
    int nargs = e->func.star ? 0 : (int)e->func.args.n;
    bool agg = false;
    if (e->func.over != NULL || strcmp(name, GP_GATHERED_FN) == 0 ||
        (e->func.name.schema != NULL && strcmp(e->func.name.schema, "pg_catalog") != 0) ||
        sql_func_lookup(name, nargs, &agg) == NULL)
        return -2;
    if (!agg)
        return e->func.filter == NULL && e->func.agg_order.n == 0 ? -1 : -2;
    if (e->func.distinct || e->func.filter != NULL || e->func.agg_order.n > 0 ||
        e->func.within_group || e->func.variadic)
        return -2;
    for (uint32_t i = 0; i < e->func.args.n; i++)
        if (!gp_is_plain(e->func.args.v[i]))
            return -2;
    if (strcmp(name, "count") == 0 && (e->func.star || nargs == 1))
        return GP_COUNT;
    if (nargs != 1)
        return -2;
    static const struct {
        const char *name;
        enum gp_agg_kind kind;
    } one[] = {{"sum", GP_SUM},           {"min", GP_MIN},         {"max", GP_MAX},
               {"avg", GP_AVG},           {"bool_and", GP_BOOL_AND}, {"every", GP_BOOL_AND},
               {"bool_or", GP_BOOL_OR}};
    for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
        if (strcmp(name, one[i].name) == 0)
            return (int)one[i].kind;
    return -2;
}

/* Overwrites node e with GP_GATHERED_FN("<column>") — or the bare column for a grouped plain
 * column, which keeps its declared type and collation in __groups — remembering what it was. */
static void gp_replace(struct gp_partial *pp, struct sql_expr *e, const char *column, bool bare)
{
    struct sql_arena *a = pp->g->st->arena;
    if (pp->nundo == pp->cap_undo) {
        uint32_t cap = pp->cap_undo ? 2 * pp->cap_undo : 16;
        struct gp_undo *v = realloc(pp->undo, (size_t)cap * sizeof *v);
        if (v == NULL) {
            pp->fail = true;
            return;
        }
        pp->undo = v;
        pp->cap_undo = cap;
    }
    struct sql_expr *col = sqlx_col_ref(a, NULL, column);
    struct sql_expr **args = sql_arena_alloc(a, sizeof *args);
    if (col == NULL || args == NULL) {
        pp->fail = true;
        return;
    }
    pp->undo[pp->nundo++] = (struct gp_undo){.at = e, .was = *e};
    if (bare) {
        *e = *col;
        return;
    }
    args[0] = col;
    memset(e, 0, sizeof *e);
    e->kind = SQL_E_FUNC;
    e->loc = -1;
    e->func.name.name = GP_GATHERED_FN;
    e->func.name.loc = -1;
    e->func.args.n = 1;
    e->func.args.v = args;
}

static void gp_undo_all(struct gp_partial *pp)
{
    while (pp->nundo > 0) {
        pp->nundo--;
        *pp->undo[pp->nundo].at = pp->undo[pp->nundo].was;
    }
}

/* The GROUP BY expression e is, or -1. */
static int gp_key_of(struct gp_partial *pp, const struct sql_expr *e)
{
    bool printed = false;
    for (uint32_t k = 0; k < pp->nkeys; k++) {
        const struct gp_key *key = &pp->keys[k];
        if (key->column != NULL) {
            if (e->kind == SQL_E_COLUMN && !e->column.star && e->column.nparts > 0 &&
                strcmp(e->column.parts[e->column.nparts - 1], key->column) == 0 &&
                (pp->g->coloc == NULL || (gp_coloc_leaf(pp->g->coloc, e) >= 0 &&
                                          gp_coloc_leaf(pp->g->coloc, e) ==
                                              gp_coloc_leaf(pp->g->coloc, key->e))))
                return (int)k;
            continue;
        }
        if (e->kind != key->kind)
            continue;
        if (!printed) {
            struct sql_error err = {0};
            buf_reset(&pp->tmp);
            if (sql_print_expr(pp->g->st, e, &pp->g->o, &pp->tmp, &err) != 0)
                return -1;
            printed = true;
        }
        if (pp->tmp.len == key->text.len && memcmp(pp->tmp.data, key->text.data, key->text.len) == 0)
            return (int)k;
    }
    return -1;
}

/* Rewrites e for the final query: grouped expressions become their __groups column, aggregate
 * calls their combined value (and are recorded for the replicasets). Anything else that reads
 * a row — a column neither grouped nor aggregated, a subquery — cannot be answered from the
 * groups: pp->fail. */
static int gp_rewrite(void *ctx, const struct sql_expr *ce)
{
    struct gp_partial *pp = ctx;
    /* The AST lives in the parse's arena, where nothing is const: a node is overwritten only
     * while the final query prints, and gp_undo_all restores it before anyone else reads it. */
    struct sql_expr *e = (struct sql_expr *)ce;
    if (pp->fail || pp->depth >= GP_DEPTH_MAX) {
        pp->fail = true;
        return 1;
    }
    int k = gp_key_of(pp, e);
    if (k >= 0) {
        gp_replace(pp, e, sqlx_arena_name(pp->g->st->arena, "__g%u", (unsigned)k),
                   pp->keys[k].column != NULL);
        return pp->fail ? 1 : 0;
    }
    switch (e->kind) {
    case SQL_E_COLUMN:
    case SQL_E_SUBLINK:
        pp->fail = true;
        return 1;
    case SQL_E_IN:
        pp->fail |= e->in.subquery != NULL;
        break;
    case SQL_E_QUANTIFIED:
        pp->fail |= e->quant.subquery != NULL;
        break;
    case SQL_E_FUNC: {
        int kind = gp_agg_kind(e);
        if (kind == -2 || (kind >= 0 && pp->naggs == SQLX_GATHER_AGGS_MAX)) {
            pp->fail = true;
            return 1;
        }
        if (kind >= 0) {
            struct sql_expr *copy = sql_arena_alloc(pp->g->st->arena, sizeof *copy);
            if (copy == NULL) {
                pp->fail = true;
                return 1;
            }
            *copy = *e;
            pp->aggs[pp->naggs] = (struct gp_agg){.kind = (enum gp_agg_kind)kind, .call = copy};
            gp_replace(pp, e, sqlx_arena_name(pp->g->st->arena, "__a%u", pp->naggs), false);
            pp->naggs++;
            return pp->fail ? 1 : 0;
        }
        break;
    }
    default:
        break;
    }
    if (pp->fail)
        return 1;
    pp->depth++;
    sql_expr_children(e, gp_rewrite, pp);
    pp->depth--;
    return pp->fail ? 1 : 0;
}

/* The GROUP BY items as expressions over the table: a position or (when no column has that
 * name) a result column's name stands for that target, as PostgreSQL resolves them. */
static bool gp_plan_keys(struct gp_partial *pp)
{
    const struct gp *g = pp->g;
    const struct sql_select *q = g->q;
    if (q->group_by.n > SQLX_GATHER_KEYS_MAX)
        return false;
    for (uint32_t i = 0; i < q->group_by.n; i++) {
        struct sql_expr *e = q->group_by.v[i];
        if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT) {
            if (e->konst.ival < 1 || e->konst.ival > (int64_t)q->targets.n)
                return false;
            e = q->targets.v[e->konst.ival - 1].expr;
        } else if (gp_is_bare_name(e) && gp_ref_col(g, pp->t, e) == NULL) {
            int found = -1;
            for (uint32_t t = 0; t < q->targets.n; t++)
                if (q->targets.v[t].alias != NULL &&
                    strcmp(q->targets.v[t].alias, e->column.parts[0]) == 0)
                    found = found == -1 ? (int)t : -2;
            if (found < 0)
                return false;
            e = q->targets.v[found].expr;
        }
        if ((e->kind == SQL_E_COLUMN && e->column.star) || !gp_is_plain(e))
            return false;
        struct gp_key *key = &pp->keys[pp->nkeys++];
        key->e = e;
        key->kind = e->kind;
        if (e->kind == SQL_E_COLUMN && e->column.nparts > 0) {
            key->column = e->column.parts[e->column.nparts - 1];
            continue;
        }
        struct sql_error err = {0};
        if (sql_print_expr(g->st, e, &g->o, &key->text, &err) != 0)
            return false;
    }
    return true;
}

static const char *gp_final_map_table(void *ctx, const char *schema, const char *name)
{
    (void)ctx;
    return schema == NULL && strcmp(name, GP_GROUPS) == 0 ? GP_GROUPS : NULL;
}

static const char *gp_final_func_lookup(const char *name, int nargs, bool *is_aggregate)
{
    if (strcmp(name, GP_GATHERED_FN) == 0 && nargs == 1) {
        *is_aggregate = false;
        return "likely";
    }
    return sql_func_lookup(name, nargs, is_aggregate);
}

/* The final query: the query's targets, HAVING (as WHERE), ORDER BY, LIMIT over __groups, with
 * grouped expressions and aggregates rewritten (gp_rewrite). Result columns keep the names
 * PostgreSQL gives the query's, so that ORDER BY a result name still finds it. */
static bool gp_print_final(struct gp_partial *pp, struct sql_error *err)
{
    struct gp *g = pp->g;
    const struct sql_select *q = g->q;
    struct sql_arena *a = g->st->arena;
    for (uint32_t i = 0; i < q->targets.n && !pp->fail; i++)
        gp_rewrite(pp, q->targets.v[i].expr);
    if (q->having != NULL && !pp->fail)
        gp_rewrite(pp, q->having);
    for (uint32_t i = 0; i < q->order_by.n && !pp->fail; i++) {
        struct sql_expr *e = q->order_by.v[i].expr;
        if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT)
            continue; /* a position: the same in the final query */
        if (gp_is_bare_name(e)) {
            int found = gp_output_named(g, e->column.parts[0]);
            pp->fail |= found == -2;
            if (found >= 0)
                continue; /* a result column's name: the final query's too */
        }
        gp_rewrite(pp, e);
    }
    if (pp->fail || (pp->naggs == 0 && pp->nkeys == 0))
        return false;
    struct sql_select *f = gp_select(a, q->targets.n);
    struct sql_from **froms = sql_arena_alloc(a, sizeof *froms);
    if (f == NULL || froms == NULL || (froms[0] = gp_from_table(a, GP_GROUPS)) == NULL)
        return false;
    for (uint32_t i = 0; i < q->targets.n; i++) {
        f->targets.v[i] = q->targets.v[i];
        f->targets.v[i].alias = g->printed->cols[i].name;
    }
    f->distinct = q->distinct;
    f->from.n = 1;
    f->from.v = froms;
    f->where = q->having;
    f->order_by = q->order_by;
    f->limit = q->limit;
    f->offset = q->offset;
    struct sql_print_opts o = {.map_table = gp_final_map_table,
                               .func_lookup = gp_final_func_lookup,
                               .current_user = g->o.current_user};
    return gp_print(g, f, &o, &g->p->final, err) == 0;
}

/* The declared type of a key's column in __partial and __groups: a grouped column keeps its
 * table's (affinity and collation: numerics group and sort numerically), an expression none. */
static void gp_key_decl(const struct gp_partial *pp, uint32_t k, struct buf *out)
{
    const struct sqlx_col *col =
        pp->keys[k].column != NULL ? gp_ref_col(pp->g, pp->t, pp->keys[k].e) : NULL;
    buf_printf(out, "\"__g%u\"", k);
    if (col != NULL) {
        buf_printf(out, " ");
        if (sql_type_decl(&col->type, out) != 0)
            buf_printf(out, "TEXT");
    }
}

/* The replicasets' statement: `SELECT <keys>, <partial states> FROM t WHERE ... GROUP BY
 * <keys>`, and the combining statements here. */
static bool gp_print_partial(struct gp_partial *pp, struct sqlx_gsource *src,
                             struct sql_error *err)
{
    struct gp *g = pp->g;
    const struct sql_select *q = g->q;
    struct sql_arena *a = g->st->arena;
    uint32_t nstates = 0;
    for (uint32_t i = 0; i < pp->naggs; i++)
        nstates += pp->aggs[i].kind == GP_AVG ? 2 : 1;
    struct sql_select *f = gp_select(a, pp->nkeys + nstates);
    struct sql_expr **keys = sql_arena_alloc(a, (size_t)(pp->nkeys ? pp->nkeys : 1) * sizeof *keys);
    if (f == NULL || keys == NULL)
        return false;
    uint32_t n = 0;
    for (uint32_t k = 0; k < pp->nkeys; k++) {
        keys[k] = pp->keys[k].e;
        f->targets.v[n++] = (struct sql_target){
            .expr = pp->keys[k].e, .alias = sqlx_arena_name(a, "__g%u", k), .loc = -1};
    }
    for (uint32_t i = 0; i < pp->naggs; i++) {
        struct sql_expr *call = pp->aggs[i].call;
        if (pp->aggs[i].kind == GP_AVG) {
            /* avg as the sum and the count of its argument */
            struct sql_expr *sum = sql_arena_alloc(a, sizeof *sum);
            struct sql_expr *count = sql_arena_alloc(a, sizeof *count);
            if (sum == NULL || count == NULL)
                return false;
            *sum = *call;
            sum->func.name.name = "sum";
            sum->func.name.schema = NULL;
            *count = *sum;
            count->func.name.name = "count";
            f->targets.v[n] = (struct sql_target){
                .expr = sum, .alias = sqlx_arena_name(a, "__p%u", n - pp->nkeys), .loc = -1};
            n++;
            call = count;
        }
        f->targets.v[n] = (struct sql_target){
            .expr = call, .alias = sqlx_arena_name(a, "__p%u", n - pp->nkeys), .loc = -1};
        n++;
    }
    for (uint32_t i = 0; i < n; i++)
        if (f->targets.v[i].alias == NULL)
            return false;
    f->from = q->from;
    f->where = q->where;
    f->group_by.n = pp->nkeys;
    f->group_by.v = keys;
    if (gp_print_source(g, pp->t, f, &src->sql, err) != 0)
        return false;
    src->t = pp->t;
    snprintf(src->name, sizeof src->name, GP_PARTIAL);
    src->ncols = n;
    src->filtered = q->where != NULL;

    /* __partial receives the rows; __groups holds one row per group, combined. */
    struct buf *c = &src->create;
    buf_printf(c, "CREATE TABLE \"" GP_PARTIAL "\" (");
    for (uint32_t k = 0; k < pp->nkeys; k++) {
        buf_printf(c, k ? ", " : "");
        gp_key_decl(pp, k, c);
    }
    for (uint32_t i = 0; i < nstates; i++)
        buf_printf(c, "%s\"__p%u\"", pp->nkeys + i ? ", " : "", i);
    buf_printf(c, ")");
    buf_append_u8(c, 0);

    bool agg;
    const char *sum = sql_func_lookup("sum", 1, &agg), *min = sql_func_lookup("min", 1, &agg);
    const char *max = sql_func_lookup("max", 1, &agg);
    const char *all = sql_func_lookup("bool_and", 1, &agg);
    const char *any = sql_func_lookup("bool_or", 1, &agg);
    ASSERT(sum != NULL && min != NULL && max != NULL && all != NULL && any != NULL);
    struct buf *m = &g->p->groups;
    buf_printf(m, "CREATE TABLE \"" GP_GROUPS "\" (");
    for (uint32_t k = 0; k < pp->nkeys; k++) {
        buf_printf(m, k ? ", " : "");
        gp_key_decl(pp, k, m);
    }
    for (uint32_t i = 0; i < pp->naggs; i++)
        buf_printf(m, "%s\"__a%u\"", pp->nkeys + i ? ", " : "", i);
    buf_printf(m, ")");
    if (buf_append_u8(m, 0) != 0)
        return false;
    m = &g->p->combine;
    buf_printf(m, "INSERT INTO \"" GP_GROUPS "\" SELECT ");
    for (uint32_t k = 0; k < pp->nkeys; k++)
        buf_printf(m, "%s\"__g%u\"", k ? ", " : "", k);
    uint32_t state = 0;
    for (uint32_t i = 0; i < pp->naggs; i++) {
        const char *sep = pp->nkeys + i ? ", " : "";
        switch (pp->aggs[i].kind) {
        case GP_COUNT: /* the counts summed */
        case GP_SUM:   /* the sums summed: NULL when every one is (no value anywhere) */
            buf_printf(m, "%s%s(\"__p%u\")", sep, sum, state);
            break;
        case GP_MIN: /* these combine with themselves */
            buf_printf(m, "%s%s(\"__p%u\")", sep, min, state);
            break;
        case GP_MAX:
            buf_printf(m, "%s%s(\"__p%u\")", sep, max, state);
            break;
        case GP_BOOL_AND:
            buf_printf(m, "%s%s(\"__p%u\")", sep, all, state);
            break;
        case GP_BOOL_OR:
            buf_printf(m, "%s%s(\"__p%u\")", sep, any, state);
            break;
        case GP_AVG:
            /* sum / count as avg computes it: an integer sum is divided as a numeric (avg of
             * integers is numeric, with PostgreSQL's division scale), a float, numeric or
             * interval sum as itself; no value anywhere is NULL. */
            buf_printf(m,
                       "%sCASE WHEN %s(\"__p%u\") > 0 THEN pg_div(CASE WHEN typeof(%s(\"__p%u\")) "
                       "= 'integer' THEN pg_cast(%s(\"__p%u\"), 'numeric') ELSE %s(\"__p%u\") END, "
                       "%s(\"__p%u\")) END",
                       sep, sum, state + 1, sum, state, sum, state, sum, state, sum, state + 1);
            break;
        }
        state += pp->aggs[i].kind == GP_AVG ? 2 : 1;
    }
    buf_printf(m, " FROM \"" GP_PARTIAL "\"");
    for (uint32_t k = 0; k < pp->nkeys; k++)
        buf_printf(m, "%s\"__g%u\"", k ? ", " : " GROUP BY ", k);
    return buf_append_u8(m, 0) == 0 && c->len > 0;
}

/* A one-table aggregate query (GROUP BY; count, sum, min, max, avg, bool_and/every, bool_or)
 * over a sharded table: each replicaset computes per-group partial states, this node combines
 * them per group and runs the rest of the query (HAVING, ORDER BY, LIMIT, DISTINCT) over the
 * groups. false: not such a query, or not safely (nothing is left planned then). */
static bool gp_plan_partial(struct gp *g, const struct sqlx_table *t)
{
    const struct sql_select *q = g->q;
    if ((!g->one_table && g->coloc == NULL) || t->global || q->windows.n > 0 ||
        q->distinct_on.n > 0 || !gp_output_names(g))
        return false;
    struct gp_partial *pp = calloc(1, sizeof *pp);
    if (pp == NULL)
        return false;
    pp->g = g;
    pp->t = t;
    struct sql_error err = {0};
    bool ok = gp_plan_keys(pp) && gp_print_final(pp, &err);
    gp_undo_all(pp);
    struct sqlx_gsource *src = &g->p->src[0];
    if (ok)
        ok = gp_print_partial(pp, src, &err);
    if (ok) {
        g->p->kind = SQLX_GPLAN_PARTIAL;
        g->p->nsrc = 1;
        g->p->nkeys = pp->nkeys;
        g->p->naggs = pp->naggs;
    } else {
        sql_printed_free(&g->p->final);
        sql_printed_free(&src->sql);
        buf_free(&src->create);
        buf_free(&g->p->groups);
        buf_free(&g->p->combine);
        *src = (struct sqlx_gsource){0};
        src->t = t;
    }
    for (uint32_t k = 0; k < pp->nkeys; k++)
        buf_free(&pp->keys[k].text);
    buf_free(&pp->tmp);
    free(pp->undo);
    free(pp);
    return ok;
}

/* ---- joins on the distribution key ----
 *
 * When every table a query reads is sharded and all are linked by equalities of their
 * distribution keys, column by column (conjuncts of an ON or of the WHERE: a.k = b.k), rows
 * that join share a bucket, hence a replicaset. Each replicaset can then run the join over its
 * own rows: no row joins a row of another replicaset, and an outer join's unmatched row is
 * unmatched everywhere (its possible partners, equal in key, would be in the same place).
 * Aggregates over such a join are computed as partial states there (gp_plan_partial); other
 * queries return their result rows from there, and this node only merges them (gp_plan_joined). */

/* The table of the FROM that column reference e reads: its qualifier's, or the only table that
 * has such a column. -1 when none, -2 when several. */
static int gp_coloc_leaf(const struct gp_coloc *c, const struct sql_expr *e)
{
    if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0 ||
        e->column.nparts > 2)
        return -1;
    const char *name = e->column.parts[e->column.nparts - 1];
    int found = -1;
    for (uint32_t i = 0; i < c->n; i++) {
        if (e->column.nparts == 2 ? strcmp(c->alias[i], e->column.parts[0]) == 0
                                  : gp_table_col(c->t[i], name) != NULL)
            found = found == -1 ? (int)i : -2;
    }
    return found;
}

/* The position of column name in t's distribution key, or -1. */
static int gp_dist_position(const struct sqlx_table *t, const char *name)
{
    for (uint32_t k = 0; k < t->ndist; k++)
        if (strcmp(t->cols[t->dist[k]].name, name) == 0)
            return (int)k;
    return -1;
}

/* Records conjunct e when it equates the same key position of two tables' distribution keys,
 * of the same type. */
static void gp_coloc_conjuncts(struct gp_coloc *c, const struct sql_expr *e, int depth)
{
    if (e == NULL || depth > GP_DEPTH_MAX)
        return;
    if (e->kind == SQL_E_AND) {
        for (uint32_t i = 0; i < e->list.n; i++)
            gp_coloc_conjuncts(c, e->list.v[i], depth + 1);
        return;
    }
    if (e->kind != SQL_E_BINARY || e->binary.op != SQL_OP_EQ)
        return;
    const struct sql_expr *l = e->binary.left, *r = e->binary.right;
    int a = gp_coloc_leaf(c, l), b = gp_coloc_leaf(c, r);
    if (a < 0 || b < 0 || a == b)
        return;
    int ka = gp_dist_position(c->t[a], l->column.parts[l->column.nparts - 1]);
    int kb = gp_dist_position(c->t[b], r->column.parts[r->column.nparts - 1]);
    if (ka < 0 || ka != kb || c->t[a]->ndist != c->t[b]->ndist)
        return;
    const struct sql_type *ta = &c->t[a]->cols[c->t[a]->dist[ka]].type;
    const struct sql_type *tb = &c->t[b]->cols[c->t[b]->dist[kb]].type;
    if (ta->kind != tb->kind || ta->array_dims != 0 || tb->array_dims != 0)
        return;
    c->matched[a][b] |= 1u << ka;
    c->matched[b][a] |= 1u << ka;
}

/* Collects the tables of FROM item f (on the NULL side of an outer join when nullable), and
 * the ON conditions' conjuncts after them. */
static void gp_coloc_from(struct gp *g, struct gp_coloc *c, const struct sql_from *f,
                          bool nullable, int depth)
{
    if (c->fail || depth > GP_DEPTH_MAX) {
        c->fail = true;
        return;
    }
    if (f->kind == SQL_FROM_JOIN) {
        if (f->join.natural || f->join.using.n > 0) {
            c->fail = true;
            return;
        }
        enum sql_join_kind k = f->join.kind;
        gp_coloc_from(g, c, f->join.left, nullable || k == SQL_JOIN_RIGHT || k == SQL_JOIN_FULL,
                      depth + 1);
        gp_coloc_from(g, c, f->join.right, nullable || k == SQL_JOIN_LEFT || k == SQL_JOIN_FULL,
                      depth + 1);
        if (!c->fail)
            gp_coloc_conjuncts(c, f->join.on, 0);
        return;
    }
    const struct sqlx_table *t =
        f->kind == SQL_FROM_TABLE ? sqlx_table_find(g->pctx.cat, f->table.schema, f->table.name)
                                  : NULL;
    const char *alias = f->alias.name != NULL ? f->alias.name : f->table.name;
    bool taken = false;
    for (uint32_t i = 0; i < c->n && t != NULL; i++)
        taken |= strcmp(c->alias[i], alias) == 0;
    if (t == NULL || (!c->moves && (t->global || t->ndist == 0 || t->ndist > 16)) ||
        f->alias.cols.n > 0 || taken || c->n == SQLX_GATHER_TABLES_MAX) {
        c->fail = true;
        return;
    }
    c->alias[c->n] = alias;
    c->t[c->n] = t;
    c->root[c->n] = c->n;
    c->nullable[c->n] = nullable;
    c->n++;
}

static uint32_t gp_coloc_root(const struct gp_coloc *c, uint32_t i)
{
    while (c->root[i] != i)
        i = c->root[i];
    return i;
}

/* Whether plain query q (nrefs table references in all) reads only sharded tables of its FROM,
 * joined on their distribution keys (or one sharded table); fills c. */
static bool gp_colocated(struct gp *g, uint32_t nrefs, struct gp_coloc *c)
{
    const struct sql_select *q = g->q;
    memset(c, 0, sizeof *c);
    if (q->kind != SQL_SELECT_PLAIN || q->with != NULL || q->from.n == 0)
        return false;
    for (uint32_t i = 0; i < q->from.n && !c->fail; i++)
        gp_coloc_from(g, c, q->from.v[i], false, 0);
    /* a table read anywhere else (a subquery) is not part of the join */
    if (c->fail || c->n == 0 || c->n != nrefs)
        return false;
    gp_coloc_conjuncts(c, q->where, 0);
    for (uint32_t a = 0; a < c->n; a++)
        for (uint32_t b = a + 1; b < c->n; b++)
            if (c->matched[a][b] == (1u << c->t[a]->ndist) - 1) {
                uint32_t ra = gp_coloc_root(c, a), rb = gp_coloc_root(c, b);
                c->root[ra] = rb;
            }
    for (uint32_t i = 1; i < c->n; i++)
        if (gp_coloc_root(c, i) != gp_coloc_root(c, 0))
            return false;
    return true;
}

static const char *gp_rows_map_table(void *ctx, const char *schema, const char *name)
{
    (void)ctx;
    return schema == NULL && strcmp(name, GP_ROWS) == 0 ? GP_ROWS : NULL;
}

/* The type result column e of the query has in __rows (a column's own, or the type the printer
 * worked out); NULL when it is not known. */
static const struct sql_type *gp_joined_type(const struct gp *g, const struct sql_expr *e,
                                             const struct sql_type *type)
{
    const struct sqlx_col *col = gp_ref_col(g, NULL, e);
    if (col != NULL)
        type = &col->type;
    return type == NULL || type->kind == SQL_TYPE_UNKNOWN ? NULL : type;
}

/* The query's targets with every * expanded as the printer expands it: the columns of the
 * join's tables, in the order of the FROM (or of the one table a qualifier names). NULL when
 * they do not come to the printer's result columns. */
static struct sql_expr **gp_joined_targets(const struct gp *g)
{
    const struct sql_select *q = g->q;
    const struct gp_coloc *c = g->coloc;
    struct sql_arena *a = g->st->arena;
    uint32_t n = g->printed->ncols;
    struct sql_expr **v = sql_arena_alloc(a, (n ? n : 1) * sizeof *v);
    if (g->printed->has_star || v == NULL)
        return NULL;
    uint32_t at = 0;
    for (uint32_t i = 0; i < q->targets.n; i++) {
        struct sql_expr *e = q->targets.v[i].expr;
        if (e->kind != SQL_E_COLUMN || !e->column.star) {
            if (at == n)
                return NULL;
            v[at++] = e;
            continue;
        }
        if (e->column.nparts > 1)
            return NULL;
        for (uint32_t k = 0; k < c->n; k++) {
            if (e->column.nparts == 1 && strcmp(c->alias[k], e->column.parts[0]) != 0)
                continue;
            for (uint32_t j = 0; j < c->t[k]->ncols; j++) {
                if (at == n)
                    return NULL;
                v[at] = sqlx_col_ref(a, c->alias[k], c->t[k]->cols[j].name);
                if (v[at++] == NULL)
                    return NULL;
            }
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if (g->printed->cols[i].name == NULL)
            return NULL;
    return at == n ? v : NULL;
}

/* A constant LIMIT or OFFSET as a count (absent: dflt); false when it is not a constant. */
static bool gp_const_count(const struct sql_expr *e, uint64_t dflt, uint64_t *out)
{
    if (e == NULL) {
        *out = dflt;
        return true;
    }
    if (e->kind != SQL_E_CONST || e->konst.kind != SQL_CONST_INT || e->konst.ival < 0)
        return false;
    *out = (uint64_t)e->konst.ival;
    return true;
}

/* A query over a co-located join (or over one sharded table) without aggregates: every
 * replicaset returns its result rows (DISTINCT there too), with the values it sorts by that
 * are no result column, sorted as the query sorts (by their positions: a result name may be a
 * table's column there), at most LIMIT + OFFSET of them when it has a constant LIMIT (the
 * first distinct rows are among each replicaset's first distinct rows). This node merges them
 * (plan.merge) when it keeps them as they are; else it sorts, deduplicates and limits their
 * union:
 *   SELECT [DISTINCT] "__c0" AS <name>, ... FROM "__rows" ORDER BY ... LIMIT ... OFFSET ...
 * false when the query is not such (nothing is left planned then). */
static bool gp_plan_joined(struct gp *g, struct sql_error *err)
{
    const struct sql_select *q = g->q;
    struct sql_arena *a = g->st->arena;
    if (g->coloc == NULL || q->group_by.n > 0 || q->having != NULL || q->windows.n > 0 ||
        q->distinct_on.n > 0)
        return false;
    struct sql_expr **tx = gp_joined_targets(g);
    uint32_t nt = g->printed->ncols, nh = 0;
    if (tx == NULL || nt + q->order_by.n > SQLX_GATHER_COLUMNS_MAX)
        return false;
    for (uint32_t i = 0; i < nt; i++)
        if (!gp_is_plain(tx[i]))
            return false;
    /* Each sort item as a column of __rows: a result column (a position, or a result column's
     * name, as PostgreSQL resolves them), else a hidden one the replicasets compute. */
    uint32_t *sort_col = calloc(q->order_by.n + 1, sizeof *sort_col);
    struct sql_expr **hidden = calloc(q->order_by.n + 1, sizeof *hidden);
    const struct sql_type **types = calloc(nt + q->order_by.n + 1, sizeof *types);
    struct sqlx_gsource *src = &g->p->src[0];
    struct buf *c = &src->create;
    bool ok = sort_col != NULL && hidden != NULL && types != NULL;
    for (uint32_t i = 0; ok && i < q->order_by.n; i++) {
        struct sql_expr *e = q->order_by.v[i].expr;
        int found = -1;
        if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT)
            found = e->konst.ival >= 1 && e->konst.ival <= (int64_t)nt ? (int)e->konst.ival - 1
                                                                      : -2;
        else if (gp_is_bare_name(e))
            found = gp_output_named(g, e->column.parts[0]);
        if (found == -2 || (found == -1 && (q->distinct || !gp_is_plain(e) ||
                                            gp_ref_col(g, NULL, e) == NULL))) {
            ok = false;
        } else if (found >= 0) {
            sort_col[i] = (uint32_t)found;
        } else {
            sort_col[i] = nt + nh;
            hidden[nh++] = e;
        }
    }
    /* __rows, with the types that sort and compare as the query's */
    buf_printf(c, "CREATE TABLE \"" GP_ROWS "\" (");
    for (uint32_t i = 0; ok && i < nt + nh; i++) {
        const struct sql_expr *e = i < nt ? tx[i] : hidden[i - nt];
        buf_printf(c, "%s\"__c%u\"", i ? ", " : "", i);
        bool sorted = i >= nt;
        for (uint32_t k = 0; k < q->order_by.n; k++)
            sorted |= sort_col[k] == i;
        types[i] = gp_joined_type(g, e, i < nt ? &g->printed->cols[i].type : NULL);
        if (types[i] != NULL) {
            buf_printf(c, " ");
            ok = sql_type_decl(types[i], c) == 0;
        } else if (sorted || q->distinct) {
            ok = false;
        }
    }
    buf_printf(c, ")");
    ok = ok && buf_append_u8(c, 0) == 0;
    /* merged here: the rows as they come, in their order */
    struct sqlx_gmerge *m = &g->p->merge;
    /* DISTINCT too when the sort covers every result column: equal rows then come together */
    bool covered = ok;
    for (uint32_t i = 0; i < nt && covered; i++) {
        covered = false;
        for (uint32_t k = 0; k < q->order_by.n && !covered; k++)
            covered = sort_col[k] == i;
    }
    m->on = ok && (!q->distinct || covered) && gp_const_count(q->limit, UINT64_MAX, &m->limit) &&
            gp_const_count(q->offset, 0, &m->offset);
    if (m->on) {
        m->distinct = q->distinct;
        m->ncols = nt;
        m->nkeys = q->order_by.n;
        for (uint32_t i = 0; i < q->order_by.n; i++) {
            bool desc = q->order_by.v[i].dir == SQL_SORT_DESC;
            enum sql_nulls_order nulls = q->order_by.v[i].nulls;
            m->key[i] = (struct sqlx_gmerge_key){
                .col = sort_col[i], .desc = desc,
                .nulls_first = nulls == SQL_NULLS_FIRST || (nulls == SQL_NULLS_DEFAULT && desc),
                .numeric = types[sort_col[i]]->kind == SQL_TYPE_NUMERIC};
        }
    }
    /* what the replicasets run */
    struct sql_select *f = ok ? gp_select(a, nt + nh) : NULL;
    struct sql_sort *there = sql_arena_alloc(a, (q->order_by.n + 1) * sizeof *there);
    ok = f != NULL && there != NULL;
    if (ok) {
        for (uint32_t i = 0; i < nt + nh; i++)
            f->targets.v[i] = (struct sql_target){
                .expr = i < nt ? tx[i] : hidden[i - nt],
                .alias = sqlx_arena_name(a, "__c%u", i), .loc = -1};
        f->from = q->from;
        f->where = q->where;
        f->distinct = q->distinct; /* a row's duplicates elsewhere go here */
        for (uint32_t i = 0; i < q->order_by.n && ok; i++) {
            there[i] = q->order_by.v[i];
            ok = (there[i].expr = gp_int(a, (int64_t)sort_col[i] + 1)) != NULL;
        }
        /* with DISTINCT too: the first distinct rows are among each replicaset's first */
        uint64_t lim, off;
        if (gp_const_count(q->limit, 0, &lim) && lim > 0 && gp_const_count(q->offset, 0, &off) &&
            off <= INT64_MAX - lim) {
            src->limit = lim + off;
            f->limit = gp_int(a, (int64_t)src->limit);
            ok = f->limit != NULL;
        }
        if (src->limit > 0 || m->on) { /* sorted there: the rows kept, the order merged */
            f->order_by.n = q->order_by.n;
            f->order_by.v = there;
        }
        ok = ok && gp_print_source(g, g->coloc->t[g->coloc->anchor], f, &src->sql, err) == 0;
    }
    /* what this node runs over them (also to explain a merge) */
    struct sql_select *fin = ok ? gp_select(a, nt) : NULL;
    struct sql_from **froms = sql_arena_alloc(a, sizeof *froms);
    struct sql_sort *sorts = sql_arena_alloc(a, (q->order_by.n + 1) * sizeof *sorts);
    ok = fin != NULL && froms != NULL && sorts != NULL &&
         (froms[0] = gp_from_table(a, GP_ROWS)) != NULL;
    if (ok) {
        for (uint32_t i = 0; i < nt; i++)
            fin->targets.v[i] =
                (struct sql_target){.expr = sqlx_col_ref(a, NULL, sqlx_arena_name(a, "__c%u", i)),
                                    .alias = g->printed->cols[i].name, .loc = -1};
        for (uint32_t i = 0; i < q->order_by.n; i++) {
            sorts[i] = q->order_by.v[i];
            sorts[i].expr = sqlx_col_ref(a, NULL, sqlx_arena_name(a, "__c%u", sort_col[i]));
        }
        fin->distinct = q->distinct;
        fin->from.n = 1;
        fin->from.v = froms;
        fin->order_by.n = q->order_by.n;
        fin->order_by.v = sorts;
        fin->limit = q->limit;
        fin->offset = q->offset;
        struct sql_print_opts o = {.map_table = gp_rows_map_table,
                                   .current_user = g->o.current_user};
        ok = gp_print(g, fin, &o, &g->p->final, err) == 0;
    }
    free(sort_col);
    free(hidden);
    free(types);
    if (!ok) {
        sql_printed_free(&g->p->final);
        sql_printed_free(&src->sql);
        buf_free(c);
        const struct sqlx_table *t = src->t;
        *src = (struct sqlx_gsource){0};
        src->t = t;
        g->p->merge = (struct sqlx_gmerge){0};
        return false;
    }
    g->p->kind = SQLX_GPLAN_JOINED;
    g->p->joined = g->coloc->n;
    g->p->nsrc = 1;
    src->t = g->coloc->t[g->coloc->anchor];
    snprintf(src->name, sizeof src->name, GP_ROWS);
    src->ncols = nt + nh;
    src->filtered = q->where != NULL;
    return true;
}

/* ---- moving the smaller side ----
 *
 * A join whose tables are not linked by their distribution keys can still run where one of
 * its tables is, once the rows of all the others are moved there: each replicaset holding
 * table i joins its own rows of i with every row of the others, hidden behind common table
 * expressions of i's replicasets' making (sqlx_gsource.cte). The union of what they return is
 * the join when every result row comes from one row of i: i read once, in the FROM (not in a
 * subquery), and never on the NULL side of an outer join (whose unmatched rows would come
 * from every replicaset). Aggregates come back as partial states, other queries as result
 * rows (gp_plan_partial, gp_plan_joined). A plan is made for every table that may stay; the
 * runner counts rows first and moves the others only when they are the smaller side. */
static int gp_source_of(const struct sqlx_gplan *p, const struct sqlx_table *t)
{
    for (uint32_t k = 0; k < p->nsrc; k++)
        if (p->src[k].t == t)
            return (int)k;
    return -1;
}

static void gp_plan_moves(struct gp *g, uint32_t nrefs)
{
    struct gp_coloc *c = g->leaves;
    /* a table read anywhere else (a subquery) is not part of the join */
    if (c == NULL || c->n < 2 || c->n != nrefs)
        return;
    struct sql_error err = {0};
    for (uint32_t k = 0; k < g->p->nsrc; k++)
        if (gp_rows_cte(&g->p->src[k], &err) != 0)
            return;
    for (uint32_t i = 0; i < c->n; i++) {
        int si = gp_source_of(g->p, c->t[i]);
        bool stays = si >= 0 && !c->t[i]->global && !c->nullable[i];
        for (uint32_t j = 0; j < c->n && stays; j++) {
            int sj = gp_source_of(g->p, c->t[j]);
            stays = j == i || (c->t[j] != c->t[i] && sj >= 0 && g->p->src[sj].cte.len > 0);
        }
        if (!stays)
            continue;
        struct sqlx_gplan *mp = calloc(1, sizeof *mp);
        if (mp == NULL)
            break;
        struct gp sub = *g;
        sub.p = mp;
        sub.coloc = c;
        sub.one_table = false;
        c->anchor = i;
        for (uint32_t j = 0; j < c->n; j++)
            c->moved[j] = j != i;
        mp->src[0].t = c->t[i];
        if (gp_plan_partial(&sub, c->t[i]) || gp_plan_joined(&sub, &err)) {
            g->p->moved[si] = mp;
        } else {
            sqlx_gplan_free(mp);
            free(mp);
        }
    }
}

/* g->leaves: the tables of a plain query's FROM, when it has no other kind of item. */
static void gp_leaves(struct gp *g)
{
    const struct sql_select *q = g->q;
    if (q->kind != SQL_SELECT_PLAIN || q->with != NULL || q->from.n == 0)
        return;
    struct gp_coloc *c = calloc(1, sizeof *c);
    if (c == NULL)
        return;
    c->moves = true;
    for (uint32_t i = 0; i < q->from.n && !c->fail; i++)
        gp_coloc_from(g, c, q->from.v[i], false, 0);
    if (c->fail)
        free(c);
    else
        g->leaves = c;
}

/* ---- the plan ---- */

int sqlx_gplan_build(struct sqlx_session *s, const struct sql_stmt *st,
                     const struct sql_printed *printed, struct sqlx_gplan *p,
                     struct sql_error *err)
{
    ASSERT(st->kind == SQL_STMT_SELECT && st->select != NULL);
    struct sqlx_catalog *cat = sqlx_catalog(s->x);
    struct gp g = {.s = s, .st = st, .q = st->select, .printed = printed, .p = p};
    g.pctx.cat = cat;
    sqlx_print_opts(&g.o, &g.pctx, s);
    memset(p, 0, sizeof *p);
    struct sql_table_ref *refs = NULL;
    uint32_t nrefs = 0;
    if (sql_stmt_tables(st, &refs, &nrefs) != 0) {
        snprintf(err->sqlstate, sizeof err->sqlstate, "54000");
        snprintf(err->message, sizeof err->message, "statement too complex to plan");
        return ERR_TOOBIG;
    }
    for (uint32_t i = 0; i < nrefs; i++) {
        const struct sqlx_table *t = sqlx_table_find(cat, refs[i].schema, refs[i].name);
        bool seen = false;
        for (uint32_t k = 0; k < p->nsrc && !seen; k++)
            seen = p->src[k].t == t;
        for (uint32_t k = 0; k < p->nsrc; k++)
            g.reads[k] += p->src[k].t == t;
        if (t == NULL || seen)
            continue;
        if (p->nsrc == SQLX_GATHER_TABLES_MAX) {
            snprintf(err->sqlstate, sizeof err->sqlstate, "54000");
            snprintf(err->message, sizeof err->message,
                     "a query over several replicasets may read at most %d tables",
                     SQLX_GATHER_TABLES_MAX);
            return ERR_TOOBIG;
        }
        if (t->ncols > SQLX_GATHER_COLUMNS_MAX) {
            snprintf(err->sqlstate, sizeof err->sqlstate, "54000");
            snprintf(err->message, sizeof err->message,
                     "table %s has too many columns (%u) to gather; at most %d", t->name,
                     t->ncols, SQLX_GATHER_COLUMNS_MAX);
            return ERR_TOOBIG;
        }
        g.reads[p->nsrc] = 1;
        p->src[p->nsrc++].t = t;
    }
    const struct sql_select *q = g.q;
    g.one_table = nrefs == 1 && p->nsrc == 1 && q->kind == SQL_SELECT_PLAIN && q->with == NULL &&
                  q->from.n == 1 && q->from.v[0]->kind == SQL_FROM_TABLE;
    struct gp_coloc *coloc = NULL;
    if (!g.one_table && p->nsrc > 0) {
        coloc = calloc(1, sizeof *coloc);
        if (coloc != NULL && gp_colocated(&g, nrefs, coloc))
            g.coloc = coloc;
    }
    bool pushed = (g.one_table || g.coloc != NULL) && gp_plan_partial(&g, p->src[0].t);
    /* rows computed where they are: over a co-located join, or one sharded table */
    if (!pushed && g.one_table && !p->src[0].t->global) {
        coloc = calloc(1, sizeof *coloc);
        if (coloc != NULL && gp_colocated(&g, nrefs, coloc))
            g.coloc = coloc;
    }
    if (!pushed && g.coloc != NULL)
        pushed = gp_plan_joined(&g, err);
    g.coloc = NULL; /* the rows plan fetches each table on its own */
    free(coloc);
    if (pushed)
        return 0;
    err->sqlstate[0] = '\0'; /* a plan not made is no error */
    err->message[0] = '\0';
    p->kind = SQLX_GPLAN_ROWS;
    gp_mark_columns(&g);
    if (!g.one_table)
        gp_leaves(&g);
    int rc = 0;
    for (uint32_t i = 0; i < p->nsrc && rc == 0; i++)
        rc = gp_rows_source(&g, i, err);
    if (rc == 0)
        gp_plan_moves(&g, nrefs);
    free(g.leaves);
    return rc;
}

void sqlx_gplan_free(struct sqlx_gplan *p)
{
    for (uint32_t i = 0; i < p->nsrc; i++) {
        sql_printed_free(&p->src[i].sql);
        buf_free(&p->src[i].create);
        buf_free(&p->src[i].cte);
        if (p->moved[i] != NULL) {
            sqlx_gplan_free(p->moved[i]);
            free(p->moved[i]);
            p->moved[i] = NULL;
        }
    }
    buf_free(&p->groups);
    buf_free(&p->combine);
    sql_printed_free(&p->final);
    p->nsrc = 0;
}
