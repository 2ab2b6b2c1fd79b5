/* The walks over the SQL AST that answer the router's questions: which tables a statement
 * references (CTE names resolved by scope), which key columns its WHERE pins, which rows it
 * inserts. */
#include <string.h>

#include "base/assert.h"
#include "base/err.h"
#include "sql/sql_int.h"

/* Recursion of the table walk. The parser counts one level per parenthesis, subquery and operator
 * link, while the walk also descends FROM joins, CTE bodies and statements, which can add levels
 * the parser did not count: past this bound the walk gives ERR_TOOBIG instead of risking the
 * stack. */
#define SQL_WALK_DEPTH_MAX (4 * SQL_DEPTH_MAX)

/* ---- Direct children of an expression ---- */

static int each_child(sql_expr_fn fn, void *ctx, const struct sql_expr *a, const struct sql_expr *b,
                      const struct sql_expr *c)
{
    int rc = 0;
    if (a != NULL)
        rc = fn(ctx, a);
    if (rc == 0 && b != NULL)
        rc = fn(ctx, b);
    if (rc == 0 && c != NULL)
        rc = fn(ctx, c);
    return rc;
}

static int list_children(const struct sql_exprs *l, sql_expr_fn fn, void *ctx)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < l->n; i++)
        rc = each_child(fn, ctx, l->v[i], NULL, NULL);
    return rc;
}

static int sort_children(const struct sql_sorts *s, sql_expr_fn fn, void *ctx)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < s->n; i++)
        rc = each_child(fn, ctx, s->v[i].expr, NULL, NULL);
    return rc;
}

/* The expressions of a window specification: PARTITION BY, ORDER BY, frame offsets. */
static int window_children(const struct sql_window *w, sql_expr_fn fn, void *ctx)
{
    int rc = list_children(&w->partition_by, fn, ctx);
    if (rc == 0)
        rc = sort_children(&w->order_by, fn, ctx);
    if (rc == 0)
        rc = each_child(fn, ctx, w->start.offset, w->end.offset, NULL);
    return rc;
}

/* In the order they were written, so that walks built on it see the text in order (except for
 * the special-syntax calls the parser stores in PostgreSQL's argument order, such as POSITION). */
int sql_expr_children(const struct sql_expr *e, sql_expr_fn fn, void *ctx)
{
    ASSERT(e != NULL);
    int rc = 0;
    switch (e->kind) {
    case SQL_E_CONST:
    case SQL_E_COLUMN:
    case SQL_E_PARAM:
    case SQL_E_SVF:
    case SQL_E_DEFAULT:
    case SQL_E_SUBLINK: /* only a subquery */
        return 0;
    case SQL_E_UNARY:
    case SQL_E_NOT:
        return each_child(fn, ctx, e->unary.arg, NULL, NULL);
    case SQL_E_BINARY:
        return each_child(fn, ctx, e->binary.left, e->binary.right, NULL);
    case SQL_E_AND:
    case SQL_E_OR:
    case SQL_E_ROW:
    case SQL_E_ARRAY:
        return list_children(&e->list, fn, ctx);
    case SQL_E_IS:
        return each_child(fn, ctx, e->is.arg, NULL, NULL);
    case SQL_E_BETWEEN:
        return each_child(fn, ctx, e->between.arg, e->between.low, e->between.high);
    case SQL_E_IN:
        rc = each_child(fn, ctx, e->in.arg, NULL, NULL);
        return rc != 0 ? rc : list_children(&e->in.list, fn, ctx);
    case SQL_E_LIKE:
        return each_child(fn, ctx, e->like.arg, e->like.pattern, e->like.escape);
    case SQL_E_QUANTIFIED:
        return each_child(fn, ctx, e->quant.left, e->quant.array, NULL);
    case SQL_E_CAST:
        return each_child(fn, ctx, e->cast.arg, NULL, NULL);
    case SQL_E_CASE:
        rc = each_child(fn, ctx, e->kase.arg, NULL, NULL);
        for (uint32_t i = 0; rc == 0 && i < e->kase.nwhens; i++)
            rc = each_child(fn, ctx, e->kase.whens[i].cond, e->kase.whens[i].result, NULL);
        return rc != 0 ? rc : each_child(fn, ctx, e->kase.else_result, NULL, NULL);
    case SQL_E_FUNC:
        rc = list_children(&e->func.args, fn, ctx);
        if (rc == 0)
            rc = sort_children(&e->func.agg_order, fn, ctx);
        if (rc == 0)
            rc = each_child(fn, ctx, e->func.filter, NULL, NULL);
        if (rc == 0 && e->func.over != NULL)
            rc = window_children(e->func.over, fn, ctx);
        return rc;
    case SQL_E_SUBSCRIPT:
        return each_child(fn, ctx, e->subscript.arg, e->subscript.lower, e->subscript.upper);
    case SQL_E_COLLATE:
        return each_child(fn, ctx, e->collate.arg, NULL, NULL);
    }
    PANIC("expression kind %d", (int)e->kind);
}

/* ---- Tables referenced ---- */

/* The CTE names in scope at a point of the walk, as a hash multiset (a name defined by nested
 * WITHs is counted once for each): a lookup per FROM reference stays O(1) however many CTEs a
 * statement defines. Slots are never emptied, only their count drops to 0. */
struct cte_slot {
    const char *name;
    uint32_t visible;
};

struct cte_set {
    struct cte_slot *v;
    uint32_t cap, used; /* cap a power of two; used slots with a name, at most cap / 2 */
};

struct walk {
    struct sql_arena *arena;
    struct sql_table_ref *v;
    uint32_t n, cap;
    int depth;
    struct cte_set ctes;
};

static int walk_select(struct walk *w, const struct sql_select *sel);
static int walk_stmt(struct walk *w, const struct sql_stmt *st);

/* ERR_TOOBIG when the arena bound refused it, else ERR_NOMEM. */
static int walk_alloc_failed(const struct walk *w, size_t bytes)
{
    return sql_arena_used(w->arena) + bytes > SQL_ARENA_BYTES_MAX ? ERR_TOOBIG : ERR_NOMEM;
}

static int walk_add(struct walk *w, const struct sql_qname *q, const char *alias, int access,
                    int loc)
{
    ASSERT(q->name != NULL);
    if (w->n == w->cap) {
        /* Doubling in the arena leaves the old array behind: at most as much again. */
        uint32_t cap = w->cap ? w->cap * 2 : 8;
        if (cap <= w->cap)
            return ERR_TOOBIG;
        size_t bytes = (size_t)cap * sizeof *w->v;
        struct sql_table_ref *v = sql_arena_alloc(w->arena, bytes);
        if (v == NULL)
            return walk_alloc_failed(w, bytes);
        if (w->n > 0)
            memcpy(v, w->v, (size_t)w->n * sizeof *v);
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = (struct sql_table_ref){
        .schema = q->schema,
        .name = q->name,
        .alias = alias,
        .access = access,
        .loc = q->loc >= 0 ? q->loc : loc,
    };
    return 0;
}

static int walk_enter(struct walk *w)
{
    if (w->depth >= SQL_WALK_DEPTH_MAX)
        return ERR_TOOBIG;
    w->depth++;
    return 0;
}

static uint32_t cte_hash(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p != '\0'; p++)
        h = (h ^ *p) * 16777619u;
    return h;
}

/* The slot holding name, or the empty slot where it would go; NULL while the set is empty. */
static struct cte_slot *cte_find(const struct cte_set *s, const char *name)
{
    if (s->cap == 0)
        return NULL;
    uint32_t mask = s->cap - 1;
    for (uint32_t i = cte_hash(name) & mask;; i = (i + 1) & mask) /* ends: half is empty */
        if (s->v[i].name == NULL || strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
}

static int walk_cte_show(struct walk *w, const char *name)
{
    struct cte_set *s = &w->ctes;
    ASSERT(name != NULL);
    if ((s->used + 1) * 2 > s->cap) {
        struct cte_set grown = {.cap = s->cap ? s->cap * 2 : 16, .used = s->used};
        size_t bytes = (size_t)grown.cap * sizeof *grown.v;
        if (grown.cap <= s->cap)
            return ERR_TOOBIG;
        grown.v = sql_arena_alloc(w->arena, bytes);
        if (grown.v == NULL)
            return walk_alloc_failed(w, bytes);
        for (uint32_t i = 0; i < s->cap; i++)
            if (s->v[i].name != NULL)
                *cte_find(&grown, s->v[i].name) = s->v[i];
        *s = grown;
    }
    struct cte_slot *slot = cte_find(s, name);
    if (slot->name == NULL) {
        slot->name = name;
        s->used++;
    }
    slot->visible++;
    return 0;
}

/* with's names go out of scope (at the end of the statement they belong to). */
static void walk_ctes_hide(struct walk *w, const struct sql_with *with)
{
    for (uint32_t i = 0; i < with->n; i++) {
        struct cte_slot *slot = cte_find(&w->ctes, with->v[i].name);
        ASSERT(slot != NULL && slot->name != NULL && slot->visible > 0);
        slot->visible--;
    }
}

/* A FROM reference to name is a CTE when an enclosing WITH in scope defines it. Only an
 * unqualified name can be one. */
static bool walk_is_cte(const struct walk *w, const struct sql_qname *q)
{
    if (q->schema != NULL || q->catalog != NULL)
        return false;
    const struct cte_slot *slot = cte_find(&w->ctes, q->name);
    return slot != NULL && slot->name != NULL && slot->visible > 0;
}

static int walk_expr(struct walk *w, const struct sql_expr *e);

static int walk_expr_fn(void *ctx, const struct sql_expr *e)
{
    return walk_expr(ctx, e);
}

/* Subqueries come after the child expressions, as in the text: x IN (SELECT ...),
 * x = ANY (SELECT ...). */
static int walk_expr(struct walk *w, const struct sql_expr *e)
{
    int rc = walk_enter(w);
    if (rc != 0)
        return rc;
    rc = sql_expr_children(e, walk_expr_fn, w);
    if (rc == 0 && e->kind == SQL_E_IN && e->in.subquery != NULL)
        rc = walk_select(w, e->in.subquery);
    else if (rc == 0 && e->kind == SQL_E_QUANTIFIED && e->quant.subquery != NULL)
        rc = walk_select(w, e->quant.subquery);
    else if (rc == 0 && e->kind == SQL_E_SUBLINK && e->sublink.subquery != NULL)
        rc = walk_select(w, e->sublink.subquery);
    w->depth--;
    return rc;
}

static int walk_opt_expr(struct walk *w, const struct sql_expr *e)
{
    return e != NULL ? walk_expr(w, e) : 0;
}

static int walk_targets(struct walk *w, const struct sql_targets *t)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < t->n; i++)
        rc = walk_opt_expr(w, t->v[i].expr);
    return rc;
}

static int walk_from(struct walk *w, const struct sql_from *f)
{
    int rc = walk_enter(w);
    if (rc != 0)
        return rc;
    switch (f->kind) {
    case SQL_FROM_TABLE:
        if (!walk_is_cte(w, &f->table))
            rc = walk_add(w, &f->table, f->alias.name, SQL_ACCESS_READ, f->loc);
        break;
    case SQL_FROM_SUBQUERY:
        rc = walk_select(w, f->subquery);
        break;
    case SQL_FROM_FUNC:
        rc = walk_opt_expr(w, f->func);
        break;
    case SQL_FROM_JOIN:
        rc = walk_from(w, f->join.left);
        if (rc == 0)
            rc = walk_from(w, f->join.right);
        if (rc == 0)
            rc = walk_opt_expr(w, f->join.on);
        break;
    }
    w->depth--;
    return rc;
}

static int walk_froms(struct walk *w, const struct sql_froms *froms)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < froms->n; i++)
        rc = walk_from(w, froms->v[i]);
    return rc;
}

/* Walks the CTE bodies of with, each seeing the names PostgreSQL shows it (a non-recursive WITH
 * shows a body only the CTEs before it, RECURSIVE all of them), and leaves all of with's names
 * in scope for the statement they belong to (walk_ctes_hide ends that). On failure the walk is
 * over and the scope is left as it is. */
static int walk_ctes(struct walk *w, const struct sql_with *with)
{
    int rc = 0;
    for (uint32_t i = 0; with->recursive && rc == 0 && i < with->n; i++)
        rc = walk_cte_show(w, with->v[i].name);
    for (uint32_t i = 0; rc == 0 && i < with->n; i++) {
        rc = walk_stmt(w, with->v[i].query);
        if (rc == 0 && !with->recursive)
            rc = walk_cte_show(w, with->v[i].name);
    }
    return rc;
}

static int walk_select(struct walk *w, const struct sql_select *sel)
{
    int rc = walk_enter(w);
    if (rc != 0)
        return rc;
    if (sel->with != NULL)
        rc = walk_ctes(w, sel->with);
    switch (sel->kind) {
    case SQL_SELECT_PLAIN:
        if (rc == 0)
            rc = list_children(&sel->distinct_on, walk_expr_fn, w);
        if (rc == 0)
            rc = walk_targets(w, &sel->targets);
        if (rc == 0)
            rc = walk_froms(w, &sel->from);
        if (rc == 0)
            rc = walk_opt_expr(w, sel->where);
        if (rc == 0)
            rc = list_children(&sel->group_by, walk_expr_fn, w);
        if (rc == 0)
            rc = walk_opt_expr(w, sel->having);
        for (uint32_t i = 0; rc == 0 && i < sel->windows.n; i++)
            rc = window_children(sel->windows.v[i].spec, walk_expr_fn, w);
        break;
    case SQL_SELECT_VALUES:
        for (uint32_t i = 0; rc == 0 && i < sel->values.n; i++)
            rc = list_children(&sel->values.v[i], walk_expr_fn, w);
        break;
    case SQL_SELECT_SETOP:
        if (rc == 0)
            rc = walk_select(w, sel->left);
        if (rc == 0)
            rc = walk_select(w, sel->right);
        break;
    }
    if (rc == 0)
        rc = sort_children(&sel->order_by, walk_expr_fn, w);
    if (rc == 0)
        rc = each_child(walk_expr_fn, w, sel->limit, sel->offset, NULL);
    if (rc == 0 && sel->with != NULL)
        walk_ctes_hide(w, sel->with);
    w->depth--;
    return rc;
}

static int walk_set_clauses(struct walk *w, const struct sql_set_clauses *set)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < set->n; i++)
        rc = walk_opt_expr(w, set->v[i].value);
    return rc;
}

static int walk_insert(struct walk *w, const struct sql_insert *ins)
{
    int rc = walk_add(w, &ins->table, ins->alias, SQL_ACCESS_WRITE, -1);
    if (rc == 0 && ins->select != NULL)
        rc = walk_select(w, ins->select);
    const struct sql_on_conflict *oc = ins->on_conflict;
    if (rc == 0 && oc != NULL) {
        rc = sort_children(&oc->target, walk_expr_fn, w);
        if (rc == 0)
            rc = walk_opt_expr(w, oc->target_where);
        if (rc == 0)
            rc = walk_set_clauses(w, &oc->set);
        if (rc == 0)
            rc = walk_opt_expr(w, oc->where);
    }
    return rc != 0 ? rc : walk_targets(w, &ins->returning);
}

static int walk_update(struct walk *w, const struct sql_update *up)
{
    int rc = walk_add(w, &up->table, up->alias, SQL_ACCESS_WRITE, -1);
    if (rc == 0)
        rc = walk_set_clauses(w, &up->set);
    if (rc == 0)
        rc = walk_froms(w, &up->from);
    if (rc == 0)
        rc = walk_opt_expr(w, up->where);
    return rc != 0 ? rc : walk_targets(w, &up->returning);
}

static int walk_delete(struct walk *w, const struct sql_delete *del)
{
    int rc = walk_add(w, &del->table, del->alias, SQL_ACCESS_WRITE, -1);
    if (rc == 0)
        rc = walk_froms(w, &del->using);
    if (rc == 0)
        rc = walk_opt_expr(w, del->where);
    return rc != 0 ? rc : walk_targets(w, &del->returning);
}

/* INSERT / UPDATE / DELETE: their WITH is in scope for everything after it, but the target is
 * always a table (PostgreSQL does not resolve a DML target to a CTE). */
static int walk_dml(struct walk *w, const struct sql_stmt *st, const struct sql_with *with)
{
    int rc = with != NULL ? walk_ctes(w, with) : 0;
    if (rc == 0 && st->kind == SQL_STMT_INSERT)
        rc = walk_insert(w, st->insert);
    else if (rc == 0 && st->kind == SQL_STMT_UPDATE)
        rc = walk_update(w, st->update);
    else if (rc == 0 && st->kind == SQL_STMT_DELETE)
        rc = walk_delete(w, st->del);
    if (rc == 0 && with != NULL)
        walk_ctes_hide(w, with);
    return rc;
}

/* A constraint's expression (CHECK, DEFAULT, GENERATED) and the table a FOREIGN KEY references
 * (read: only its keys are looked at). */
static int walk_constraints(struct walk *w, const struct sql_constraint *v, uint32_t n)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        rc = walk_opt_expr(w, v[i].expr);
        if (rc == 0 && v[i].kind == SQL_CON_FOREIGN_KEY && v[i].ref_table.name != NULL)
            rc = walk_add(w, &v[i].ref_table, NULL, SQL_ACCESS_READ, v[i].loc);
    }
    return rc;
}

/* A column definition's constraints; default_expr only summarizes its DEFAULT constraint. */
static int walk_column_def(struct walk *w, const struct sql_column_def *c)
{
    return walk_constraints(w, c->constraints.v, c->constraints.n);
}

static int walk_create_table(struct walk *w, const struct sql_create_table *ct)
{
    int rc = walk_add(w, &ct->table, NULL, SQL_ACCESS_WRITE, -1);
    for (uint32_t i = 0; rc == 0 && i < ct->columns.n; i++)
        rc = walk_column_def(w, &ct->columns.v[i]);
    if (rc == 0)
        rc = walk_constraints(w, ct->constraints.v, ct->constraints.n);
    if (rc == 0 && ct->as_select != NULL)
        rc = walk_select(w, ct->as_select);
    return rc;
}

static int walk_alter_table(struct walk *w, const struct sql_alter_table *at)
{
    int rc = walk_add(w, &at->table, NULL, SQL_ACCESS_WRITE, -1);
    for (uint32_t i = 0; rc == 0 && i < at->ncmds; i++) {
        const struct sql_alter_cmd *cmd = &at->cmds[i];
        if (cmd->column != NULL)
            rc = walk_column_def(w, cmd->column);
        if (rc == 0 && cmd->constraint != NULL)
            rc = walk_constraints(w, cmd->constraint, 1);
        if (rc == 0)
            rc = walk_opt_expr(w, cmd->expr);
    }
    return rc;
}

static int walk_create_index(struct walk *w, const struct sql_create_index *ci)
{
    int rc = walk_add(w, &ci->table, NULL, SQL_ACCESS_WRITE, -1);
    for (uint32_t i = 0; rc == 0 && i < ci->nelems; i++)
        rc = walk_opt_expr(w, ci->elems[i].expr);
    return rc != 0 ? rc : walk_opt_expr(w, ci->where);
}

static int walk_qnames(struct walk *w, const struct sql_qnames *names, int access)
{
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < names->n; i++)
        rc = walk_add(w, &names->v[i], NULL, access, -1);
    return rc;
}

static int walk_copy(struct walk *w, const struct sql_copy *c)
{
    int rc = 0;
    if (c->query != NULL)
        rc = walk_select(w, c->query);
    else
        rc = walk_add(w, &c->table, NULL, c->is_from ? SQL_ACCESS_WRITE : SQL_ACCESS_READ, -1);
    return rc != 0 ? rc : walk_opt_expr(w, c->where);
}

static int walk_stmt(struct walk *w, const struct sql_stmt *st)
{
    int rc = walk_enter(w);
    if (rc != 0)
        return rc;
    switch (st->kind) {
    case SQL_STMT_SELECT:
        rc = walk_select(w, st->select);
        break;
    case SQL_STMT_INSERT:
        rc = walk_dml(w, st, st->insert->with);
        break;
    case SQL_STMT_UPDATE:
        rc = walk_dml(w, st, st->update->with);
        break;
    case SQL_STMT_DELETE:
        rc = walk_dml(w, st, st->del->with);
        break;
    case SQL_STMT_CREATE_TABLE:
        rc = walk_create_table(w, st->create_table);
        break;
    case SQL_STMT_ALTER_TABLE:
        rc = walk_alter_table(w, st->alter_table);
        break;
    case SQL_STMT_CREATE_INDEX:
        rc = walk_create_index(w, st->create_index);
        break;
    case SQL_STMT_DROP_TABLE:
    case SQL_STMT_TRUNCATE:
        rc = walk_qnames(w, &st->drop->names, SQL_ACCESS_WRITE);
        break;
    case SQL_STMT_VACUUM:
    case SQL_STMT_ANALYZE:
        /* They change no row a user sees. */
        rc = walk_qnames(w, &st->maintenance->tables, SQL_ACCESS_READ);
        break;
    case SQL_STMT_EXPLAIN:
        rc = walk_stmt(w, st->explain->stmt);
        break;
    case SQL_STMT_COPY:
        rc = walk_copy(w, st->copy);
        break;
    case SQL_STMT_DROP_INDEX: /* its names are indexes, not tables */
    case SQL_STMT_BEGIN:
    case SQL_STMT_COMMIT:
    case SQL_STMT_ROLLBACK:
    case SQL_STMT_SAVEPOINT:
    case SQL_STMT_RELEASE:
    case SQL_STMT_ROLLBACK_TO:
    case SQL_STMT_SET:
    case SQL_STMT_RESET:
    case SQL_STMT_SHOW:
    case SQL_STMT_DISCARD:
    case SQL_STMT_DEALLOCATE:
        break;
    }
    w->depth--;
    return rc;
}

/* Stable merge sort of v[0..n) by loc, with tmp[0..n) as scratch: the walk visits the AST in
 * syntax order, which differs from the text only where the parser reorders (POSITION(a IN b) is
 * position(b, a); table constraints sit apart from the columns they were written among). */
static void refs_sort(struct sql_table_ref *v, struct sql_table_ref *tmp, uint32_t n)
{
    uint32_t width = 1;
    while (width < n) {
        for (uint32_t lo = 0; lo < n; lo += 2 * width) {
            uint32_t mid = n - lo > width ? lo + width : n;
            uint32_t hi = n - mid > width ? mid + width : n;
            uint32_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = v[j].loc < v[i].loc ? v[j++] : v[i++];
            while (i < mid)
                tmp[k++] = v[i++];
            while (j < hi)
                tmp[k++] = v[j++];
        }
        memcpy(v, tmp, (size_t)n * sizeof *v);
        width = width > n / 2 ? n : width * 2; /* n: the last pass merged all of it */
    }
}

int sql_stmt_tables(const struct sql_stmt *st, struct sql_table_ref **refs, uint32_t *n)
{
    ASSERT(st != NULL && st->arena != NULL);
    struct walk w = {.arena = st->arena};
    *refs = NULL;
    *n = 0;
    int rc = walk_stmt(&w, st);
    if (rc != 0)
        return rc;
    ASSERT(w.depth == 0);
    /* Without a position for every reference, the syntax order is the best order known. */
    bool located = true;
    for (uint32_t i = 0; i < w.n; i++)
        located &= w.v[i].loc >= 0;
    if (located && w.n > 1) {
        size_t bytes = (size_t)w.n * sizeof *w.v;
        struct sql_table_ref *tmp = sql_arena_alloc(w.arena, bytes);
        if (tmp == NULL)
            return walk_alloc_failed(&w, bytes);
        refs_sort(w.v, tmp, w.n);
    }
    *refs = w.v;
    *n = w.n;
    return 0;
}

/* ---- Key conditions of a WHERE ---- */

bool sql_expr_is_value(const struct sql_expr *e)
{
    /* Iterative: a chain of casts or minus signs is as long as the text allows. */
    while (e->kind == SQL_E_CAST || (e->kind == SQL_E_UNARY && e->unary.op == SQL_OP_NEG))
        e = e->kind == SQL_E_CAST ? e->cast.arg : e->unary.arg;
    return e->kind == SQL_E_CONST || e->kind == SQL_E_PARAM;
}

/* A plain column reference (a, t.a, s.t.a), not a star. */
static bool key_is_column(const struct sql_expr *e)
{
    return e->kind == SQL_E_COLUMN && !e->column.star && e->column.nparts >= 1;
}

struct keys {
    struct sql_arena *arena;
    struct sql_key_cond *v;
    uint32_t n, cap;
};

static int keys_add(struct keys *k, const struct sql_expr *col, struct sql_expr **values,
                    uint32_t nvalues, int loc)
{
    if (k->n == k->cap) {
        uint32_t cap = k->cap ? k->cap * 2 : 4;
        if (cap <= k->cap)
            return ERR_NOMEM;
        struct sql_key_cond *v = sql_arena_alloc(k->arena, (size_t)cap * sizeof *v);
        if (v == NULL)
            return ERR_NOMEM;
        if (k->n > 0)
            memcpy(v, k->v, (size_t)k->n * sizeof *v);
        k->v = v;
        k->cap = cap;
    }
    uint32_t np = col->column.nparts;
    k->v[k->n++] = (struct sql_key_cond){
        .qualifier = np >= 2 ? col->column.parts[np - 2] : NULL,
        .column = col->column.parts[np - 1],
        .nvalues = nvalues,
        .values = values,
        .loc = loc,
    };
    return 0;
}

/* One conjunct: col = v, v = col, col IN (v, ...); anything else pins nothing. A nested AND
 * ((a = 1 AND b = 2) AND c = 3) is still made of conjuncts; past the walk's depth bound (only an
 * AST built by hand gets there) the deeper ones are not looked at, which pins less. */
static int keys_conjunct(struct keys *k, const struct sql_expr *e, int depth)
{
    if (e->kind == SQL_E_AND) {
        int rc = 0;
        for (uint32_t i = 0; rc == 0 && depth < SQL_WALK_DEPTH_MAX && i < e->list.n; i++)
            rc = keys_conjunct(k, e->list.v[i], depth + 1);
        return rc;
    }
    if (e->kind == SQL_E_BINARY && e->binary.op == SQL_OP_EQ) {
        /* The AST is the statement's; values point into it. */
        struct sql_expr *const *side = NULL;
        const struct sql_expr *col = NULL;
        if (key_is_column(e->binary.left) && sql_expr_is_value(e->binary.right)) {
            col = e->binary.left;
            side = &e->binary.right;
        } else if (key_is_column(e->binary.right) && sql_expr_is_value(e->binary.left)) {
            col = e->binary.right;
            side = &e->binary.left;
        }
        if (col == NULL)
            return 0;
        struct sql_expr **values = sql_arena_alloc(k->arena, sizeof *values);
        if (values == NULL)
            return ERR_NOMEM;
        values[0] = *side;
        return keys_add(k, col, values, 1, e->loc);
    }
    if (e->kind == SQL_E_IN && !e->in.negated && e->in.subquery == NULL && e->in.list.n > 0 &&
        key_is_column(e->in.arg)) {
        for (uint32_t i = 0; i < e->in.list.n; i++)
            if (!sql_expr_is_value(e->in.list.v[i]))
                return 0;
        return keys_add(k, e->in.arg, e->in.list.v, e->in.list.n, e->loc);
    }
    return 0;
}

int sql_where_keys(const struct sql_stmt *st, struct sql_key_cond **conds, uint32_t *n)
{
    ASSERT(st != NULL && st->arena != NULL);
    *conds = NULL;
    *n = 0;
    const struct sql_expr *where = NULL;
    switch (st->kind) {
    case SQL_STMT_SELECT: {
        const struct sql_select *sel = st->select;
        if (sel->kind != SQL_SELECT_PLAIN || sel->with != NULL || sel->from.n != 1 ||
            sel->from.v[0]->kind != SQL_FROM_TABLE)
            return 0;
        where = sel->where;
        break;
    }
    case SQL_STMT_UPDATE:
        if (st->update->from.n != 0)
            return 0;
        where = st->update->where;
        break;
    case SQL_STMT_DELETE:
        if (st->del->using.n != 0)
            return 0;
        where = st->del->where;
        break;
    default:
        return 0;
    }
    if (where == NULL)
        return 0;
    struct keys k = {.arena = st->arena};
    int rc = keys_conjunct(&k, where, 0);
    if (rc != 0)
        return rc;
    *conds = k.v;
    *n = k.n;
    return 0;
}

/* ---- Inserted rows ---- */

/* Only a bare VALUES list: ORDER BY / LIMIT / OFFSET on it would change which rows go in. */
bool sql_insert_rows(const struct sql_stmt *st, const struct sql_names **cols,
                     const struct sql_rows **rows)
{
    ASSERT(st != NULL);
    *cols = NULL;
    *rows = NULL;
    if (st->kind != SQL_STMT_INSERT)
        return false;
    const struct sql_insert *ins = st->insert;
    const struct sql_select *sel = ins->select;
    if (sel == NULL || sel->kind != SQL_SELECT_VALUES || sel->with != NULL ||
        sel->order_by.n != 0 || sel->limit != NULL || sel->offset != NULL)
        return false;
    *cols = &ins->cols;
    *rows = &sel->values;
    return true;
}
