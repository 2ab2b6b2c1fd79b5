/* Unit tests for the core of the SQL parser (sql_parse.c): type names, expressions with
 * PostgreSQL 15's precedences, special syntax, queries, errors and bounds. ASTs are printed as
 * s-expressions by the dumper below and compared with what PostgreSQL's grammar builds. */
#include "sql/sql.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "sql/sql_int.h"
#include "test.h"

/* ---- AST dumper ---- */

static void dump_expr(struct buf *b, const struct sql_expr *e);
static void dump_select(struct buf *b, const struct sql_select *s);

static void put(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

static void dump_type(struct buf *b, const struct sql_type *t)
{
    if (t->schema != NULL)
        buf_printf(b, "%s.", t->schema);
    sql_type_format(t, b);
    if (t->interval_fields != NULL)
        buf_printf(b, " %s", t->interval_fields);
    if (t->serial)
        put(b, " serial");
}

static void dump_list(struct buf *b, const struct sql_exprs *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        put(b, " ");
        dump_expr(b, l->v[i]);
    }
}

static void dump_qname(struct buf *b, const struct sql_qname *q)
{
    if (q->catalog != NULL)
        buf_printf(b, "%s.", q->catalog);
    if (q->schema != NULL)
        buf_printf(b, "%s.", q->schema);
    put(b, q->name);
}

static void dump_sorts(struct buf *b, const struct sql_sorts *s)
{
    for (uint32_t i = 0; i < s->n; i++) {
        put(b, " ");
        dump_expr(b, s->v[i].expr);
        if (s->v[i].dir != SQL_SORT_DEFAULT)
            put(b, s->v[i].dir == SQL_SORT_ASC ? " asc" : " desc");
        if (s->v[i].nulls != SQL_NULLS_DEFAULT)
            put(b, s->v[i].nulls == SQL_NULLS_FIRST ? " nulls-first" : " nulls-last");
    }
}

static void dump_bound(struct buf *b, const struct sql_frame_bound *fb)
{
    static const char *const kinds[] = {"unbounded-preceding", "preceding", "current-row",
                                        "following", "unbounded-following"};
    if (fb->offset != NULL) {
        dump_expr(b, fb->offset);
        put(b, " ");
    }
    put(b, kinds[fb->kind]);
}

static void dump_window(struct buf *b, const struct sql_window *w)
{
    put(b, "(window");
    if (w->ref != NULL)
        buf_printf(b, " ref=%s", w->ref);
    if (w->partition_by.n > 0) {
        put(b, " partition");
        dump_list(b, &w->partition_by);
    }
    if (w->order_by.n > 0) {
        put(b, " order");
        dump_sorts(b, &w->order_by);
    }
    if (w->frame != SQL_FRAME_NONE) {
        static const char *const modes[] = {"", "rows", "range", "groups"};
        buf_printf(b, " %s ", modes[w->frame]);
        dump_bound(b, &w->start);
        if (w->frame_between) {
            put(b, " and ");
            dump_bound(b, &w->end);
        }
        static const char *const ex[] = {"", " exclude-current-row", " exclude-group",
                                         " exclude-ties"};
        put(b, ex[w->exclude]);
    }
    put(b, ")");
}

static void dump_func(struct buf *b, const struct sql_expr *e)
{
    static const char *const forms[] = {"",         ":extract",  ":position", ":substring",
                                        ":trim",    ":overlay",  ":coalesce", ":nullif",
                                        ":greatest", ":least"};
    dump_qname(b, &e->func.name);
    put(b, forms[e->func.form]);
    put(b, "(");
    if (e->func.star)
        put(b, "*");
    if (e->func.distinct)
        put(b, "distinct");
    for (uint32_t i = 0; i < e->func.args.n; i++) {
        if (i > 0 || e->func.distinct)
            put(b, " ");
        if (e->func.variadic && i + 1 == e->func.args.n)
            put(b, "variadic ");
        dump_expr(b, e->func.args.v[i]);
    }
    if (e->func.agg_order.n > 0 && !e->func.within_group) {
        put(b, " order");
        dump_sorts(b, &e->func.agg_order);
    }
    put(b, ")");
    if (e->func.within_group) {
        put(b, " within-group");
        dump_sorts(b, &e->func.agg_order);
    }
    if (e->func.filter != NULL) {
        put(b, " filter ");
        dump_expr(b, e->func.filter);
    }
    if (e->func.over != NULL) {
        put(b, " over ");
        dump_window(b, e->func.over);
    }
}

static void dump_const(struct buf *b, const struct sql_expr *e)
{
    switch (e->konst.kind) {
    case SQL_CONST_INT:
        buf_printf(b, "%lld", (long long)e->konst.ival);
        if (strtoll(e->konst.text, NULL, 10) != e->konst.ival)
            buf_printf(b, "!text=%s", e->konst.text);
        break;
    case SQL_CONST_NUMERIC:
        buf_printf(b, "n:%s", e->konst.text);
        break;
    case SQL_CONST_STRING:
        buf_printf(b, "'%s'", e->konst.text);
        if (e->konst.len != strlen(e->konst.text))
            put(b, "!len");
        break;
    case SQL_CONST_BITS:
        buf_printf(b, "b:%s", e->konst.text);
        break;
    case SQL_CONST_BOOL:
        put(b, e->konst.bval ? "true" : "false");
        break;
    case SQL_CONST_NULL:
        put(b, "null");
        break;
    }
}

static void dump_expr(struct buf *b, const struct sql_expr *e)
{
    static const char *const is_names[] = {"is-null",  "is-not-null",  "is-true",    "is-not-true",
                                           "is-false", "is-not-false", "is-unknown", "is-not-unknown"};
    static const char *const like_names[] = {"like", "ilike", "similar"};
    static const char *const svf_names[] = {
        "current_date", "current_time", "current_timestamp", "localtime",
        "localtimestamp", "current_role", "current_user", "user",
        "session_user", "current_catalog", "current_schema"};
    static const char *const cast_styles[] = {"cast", "::", "lit"};
    if (e == NULL) {
        put(b, "NULL");
        return;
    }
    switch (e->kind) {
    case SQL_E_CONST:
        dump_const(b, e);
        break;
    case SQL_E_COLUMN:
        for (uint32_t i = 0; i < e->column.nparts; i++)
            buf_printf(b, "%s%s", i > 0 ? "." : "", e->column.parts[i]);
        if (e->column.star)
            put(b, e->column.nparts > 0 ? ".*" : "*");
        break;
    case SQL_E_PARAM:
        buf_printf(b, "$%d", e->param.number);
        break;
    case SQL_E_UNARY:
        buf_printf(b, "(u%s%s ", e->unary.op_name,
                   e->unary.op == SQL_OP_NEG      ? ":neg"
                   : e->unary.op == SQL_OP_PLUS   ? ":plus"
                   : e->unary.op == SQL_OP_BITNOT ? ":bitnot"
                                                  : "");
        dump_expr(b, e->unary.arg);
        put(b, ")");
        break;
    case SQL_E_BINARY:
        put(b, "(");
        if (e->binary.op_schema != NULL)
            buf_printf(b, "%s.", e->binary.op_schema);
        buf_printf(b, "%s%s ", e->binary.op_name, e->binary.op == SQL_OP_OTHER ? ":other" : "");
        dump_expr(b, e->binary.left);
        put(b, " ");
        dump_expr(b, e->binary.right);
        put(b, ")");
        break;
    case SQL_E_AND:
    case SQL_E_OR:
        put(b, e->kind == SQL_E_AND ? "(and" : "(or");
        dump_list(b, &e->list);
        put(b, ")");
        break;
    case SQL_E_NOT:
        put(b, "(not ");
        dump_expr(b, e->unary.arg);
        put(b, ")");
        break;
    case SQL_E_IS:
        buf_printf(b, "(%s ", is_names[e->is.test]);
        dump_expr(b, e->is.arg);
        put(b, ")");
        break;
    case SQL_E_BETWEEN:
        buf_printf(b, "(%sbetween%s ", e->between.negated ? "not-" : "",
                   e->between.symmetric ? "-symmetric" : "");
        dump_expr(b, e->between.arg);
        put(b, " ");
        dump_expr(b, e->between.low);
        put(b, " ");
        dump_expr(b, e->between.high);
        put(b, ")");
        break;
    case SQL_E_IN:
        buf_printf(b, "(%sin ", e->in.negated ? "not-" : "");
        dump_expr(b, e->in.arg);
        if (e->in.subquery != NULL) {
            put(b, " ");
            dump_select(b, e->in.subquery);
        } else {
            dump_list(b, &e->in.list);
        }
        put(b, ")");
        break;
    case SQL_E_LIKE:
        buf_printf(b, "(%s%s ", e->like.negated ? "not-" : "", like_names[e->like.kind]);
        dump_expr(b, e->like.arg);
        put(b, " ");
        dump_expr(b, e->like.pattern);
        if (e->like.escape != NULL) {
            put(b, " escape ");
            dump_expr(b, e->like.escape);
        }
        put(b, ")");
        break;
    case SQL_E_QUANTIFIED:
        buf_printf(b, "(%s %s ", e->quant.op_name, e->quant.all ? "all" : "any");
        dump_expr(b, e->quant.left);
        put(b, " ");
        if (e->quant.subquery != NULL)
            dump_select(b, e->quant.subquery);
        else
            dump_expr(b, e->quant.array);
        put(b, ")");
        break;
    case SQL_E_SUBLINK: {
        static const char *const k[] = {"exists", "sub", "array"};
        buf_printf(b, "(%s ", k[e->sublink.kind]);
        dump_select(b, e->sublink.subquery);
        put(b, ")");
        break;
    }
    case SQL_E_CAST:
        buf_printf(b, "(%s ", cast_styles[e->cast.style]);
        dump_expr(b, e->cast.arg);
        put(b, " ");
        dump_type(b, &e->cast.type);
        put(b, ")");
        break;
    case SQL_E_CASE:
        put(b, "(case");
        if (e->kase.arg != NULL) {
            put(b, " ");
            dump_expr(b, e->kase.arg);
        }
        for (uint32_t i = 0; i < e->kase.nwhens; i++) {
            put(b, " (when ");
            dump_expr(b, e->kase.whens[i].cond);
            put(b, " ");
            dump_expr(b, e->kase.whens[i].result);
            put(b, ")");
        }
        if (e->kase.else_result != NULL) {
            put(b, " (else ");
            dump_expr(b, e->kase.else_result);
            put(b, ")");
        }
        put(b, ")");
        break;
    case SQL_E_FUNC:
        dump_func(b, e);
        break;
    case SQL_E_SVF:
        put(b, svf_names[e->svf.kind]);
        if (e->svf.precision >= 0)
            buf_printf(b, "(%d)", e->svf.precision);
        break;
    case SQL_E_ROW:
        put(b, "(row");
        dump_list(b, &e->list);
        put(b, ")");
        break;
    case SQL_E_ARRAY:
        put(b, "[");
        for (uint32_t i = 0; i < e->list.n; i++) {
            if (i > 0)
                put(b, " ");
            dump_expr(b, e->list.v[i]);
        }
        put(b, "]");
        break;
    case SQL_E_SUBSCRIPT:
        put(b, "(idx ");
        dump_expr(b, e->subscript.arg);
        put(b, " ");
        if (e->subscript.lower != NULL)
            dump_expr(b, e->subscript.lower);
        if (e->subscript.slice) {
            put(b, ":");
            if (e->subscript.upper != NULL)
                dump_expr(b, e->subscript.upper);
        }
        put(b, ")");
        break;
    case SQL_E_COLLATE:
        put(b, "(collate ");
        dump_expr(b, e->collate.arg);
        put(b, " ");
        dump_qname(b, &e->collate.collation);
        put(b, ")");
        break;
    case SQL_E_DEFAULT:
        put(b, "default");
        break;
    }
}

static void dump_alias(struct buf *b, const struct sql_alias *a)
{
    if (a->name == NULL)
        return;
    buf_printf(b, " as %s", a->name);
    if (a->cols.n > 0) {
        put(b, "(");
        for (uint32_t i = 0; i < a->cols.n; i++)
            buf_printf(b, "%s%s", i > 0 ? " " : "", a->cols.v[i]);
        put(b, ")");
    }
}

static void dump_from(struct buf *b, const struct sql_from *f)
{
    static const char *const joins[] = {"join", "left-join", "right-join", "full-join",
                                        "cross-join"};
    switch (f->kind) {
    case SQL_FROM_TABLE:
        if (f->only)
            put(b, "only ");
        dump_qname(b, &f->table);
        break;
    case SQL_FROM_SUBQUERY:
        if (f->lateral)
            put(b, "lateral ");
        dump_select(b, f->subquery);
        break;
    case SQL_FROM_FUNC:
        if (f->lateral)
            put(b, "lateral ");
        dump_expr(b, f->func);
        break;
    case SQL_FROM_JOIN:
        buf_printf(b, "(%s%s ", f->join.natural ? "natural-" : "", joins[f->join.kind]);
        dump_from(b, f->join.left);
        put(b, " ");
        dump_from(b, f->join.right);
        if (f->join.on != NULL) {
            put(b, " on ");
            dump_expr(b, f->join.on);
        }
        if (f->join.using.n > 0) {
            put(b, " using");
            for (uint32_t i = 0; i < f->join.using.n; i++)
                buf_printf(b, " %s", f->join.using.v[i]);
        }
        put(b, ")");
        break;
    }
    dump_alias(b, &f->alias);
}

static void dump_select(struct buf *b, const struct sql_select *s)
{
    static const char *const ops[] = {"union", "intersect", "except"};
    put(b, "{");
    if (s->with != NULL) {
        put(b, s->with->recursive ? "with-recursive" : "with");
        for (uint32_t i = 0; i < s->with->n; i++) {
            const struct sql_cte *c = &s->with->v[i];
            buf_printf(b, " %s", c->name);
            if (c->cols.n > 0) {
                put(b, "(");
                for (uint32_t k = 0; k < c->cols.n; k++)
                    buf_printf(b, "%s%s", k > 0 ? " " : "", c->cols.v[k]);
                put(b, ")");
            }
            if (c->materialized != 0)
                put(b, c->materialized > 0 ? " materialized" : " not-materialized");
            put(b, " ");
            if (c->query->kind == SQL_STMT_SELECT)
                dump_select(b, c->query->select);
            else
                buf_printf(b, "<%s>", sql_stmt_kind_tag(c->query->kind));
        }
        put(b, "; ");
    }
    switch (s->kind) {
    case SQL_SELECT_PLAIN:
        put(b, "select");
        if (s->distinct)
            put(b, " distinct");
        if (s->distinct_on.n > 0) {
            put(b, " on(");
            dump_list(b, &s->distinct_on);
            put(b, " )");
        }
        for (uint32_t i = 0; i < s->targets.n; i++) {
            put(b, i > 0 ? ", " : " ");
            dump_expr(b, s->targets.v[i].expr);
            if (s->targets.v[i].alias != NULL)
                buf_printf(b, " as %s", s->targets.v[i].alias);
        }
        if (s->from.n > 0) {
            put(b, " from");
            for (uint32_t i = 0; i < s->from.n; i++) {
                put(b, i > 0 ? ", " : " ");
                dump_from(b, s->from.v[i]);
            }
        }
        if (s->where != NULL) {
            put(b, " where ");
            dump_expr(b, s->where);
        }
        if (s->group_by.n > 0) {
            put(b, " group");
            dump_list(b, &s->group_by);
        }
        if (s->having != NULL) {
            put(b, " having ");
            dump_expr(b, s->having);
        }
        for (uint32_t i = 0; i < s->windows.n; i++) {
            buf_printf(b, " window %s ", s->windows.v[i].name);
            dump_window(b, s->windows.v[i].spec);
        }
        break;
    case SQL_SELECT_VALUES:
        put(b, "values");
        for (uint32_t i = 0; i < s->values.n; i++) {
            put(b, " (");
            for (uint32_t k = 0; k < s->values.v[i].n; k++) {
                if (k > 0)
                    put(b, " ");
                dump_expr(b, s->values.v[i].v[k]);
            }
            put(b, ")");
        }
        break;
    case SQL_SELECT_SETOP:
        dump_select(b, s->left);
        buf_printf(b, " %s%s ", ops[s->op], s->all ? "-all" : "");
        dump_select(b, s->right);
        break;
    }
    if (s->order_by.n > 0) {
        put(b, " order");
        dump_sorts(b, &s->order_by);
    }
    if (s->limit != NULL) {
        put(b, " limit ");
        dump_expr(b, s->limit);
    }
    if (s->offset != NULL) {
        put(b, " offset ");
        dump_expr(b, s->offset);
    }
    if (s->locking)
        put(b, " locking");
    put(b, "}");
}

/* ---- Helpers ---- */

/* The dump of expression text, or "ERR <sqlstate> <position> <message>". Static storage. */
static const char *expr(const char *text)
{
    static char out[8192];
    struct sql_parsed p;
    struct sql_expr *e;
    struct sql_error err;
    int rc = sql_parse_expr(text, strlen(text), &p, &e, &err);
    if (rc != 0) {
        snprintf(out, sizeof out, "ERR %s %d %s", err.sqlstate, err.position, err.message);
        return out;
    }
    struct buf b = BUF_INIT;
    dump_expr(&b, e);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    buf_free(&b);
    sql_parsed_free(&p);
    return out;
}

/* The dump of a one-statement SELECT, or the error as expr() gives it. */
static const char *query(const char *text)
{
    static char out[8192];
    struct sql_parsed p;
    struct sql_error err;
    int rc = sql_parse(text, strlen(text), &p, &err);
    if (rc != 0) {
        snprintf(out, sizeof out, "ERR %s %d %s", err.sqlstate, err.position, err.message);
        return out;
    }
    if (p.n != 1 || p.stmts[0]->kind != SQL_STMT_SELECT) {
        snprintf(out, sizeof out, "not one SELECT (%u statements)", p.n);
        sql_parsed_free(&p);
        return out;
    }
    struct buf b = BUF_INIT;
    dump_select(&b, p.stmts[0]->select);
    snprintf(out, sizeof out, "%.*s", (int)b.len, (const char *)b.data);
    buf_free(&b);
    sql_parsed_free(&p);
    return out;
}

/* The dump of the type in `x::<type>`. */
static const char *type(const char *t)
{
    static char text[512], out[1024];
    snprintf(text, sizeof text, "x::%s", t);
    const char *d = expr(text);
    size_t n = strlen(d);
    if (strncmp(d, "(:: x ", 6) != 0 || d[n - 1] != ')')
        return d;
    snprintf(out, sizeof out, "%.*s", (int)(n - 7), d + 6);
    return out;
}

/* sql_parse's return code; a failure must leave *out empty (checked: out_was_empty). */
static bool out_was_empty;
static int parse_rc(const char *text, size_t len, struct sql_error *err)
{
    struct sql_parsed p;
    int rc = sql_parse(text, len, &p, err);
    out_was_empty = p.n == 0 && p.stmts == NULL && p.arena == NULL;
    sql_parsed_free(&p);
    return rc;
}

/* ---- Precedence ---- */

TEST(precedence_arithmetic)
{
    CHECK_STR(expr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    CHECK_STR(expr("1 - 2 - 3"), "(- (- 1 2) 3)");
    CHECK_STR(expr("2 ^ 3 ^ 2"), "(^ (^ 2 3) 2)");
    CHECK_STR(expr("a * b % c / d"), "(/ (% (* a b) c) d)");
    CHECK_STR(expr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
    /* Unary minus binds tighter than ^: PostgreSQL's -2 ^ 2 is 4. */
    CHECK_STR(expr("-2 ^ 2"), "(^ -2 2)");
    CHECK_STR(expr("- a ^ 2"), "(^ (u-:neg a) 2)");
    CHECK_STR(expr("-a::int"), "(u-:neg (:: a int4))");
    CHECK_STR(expr("- - 5"), "5");
    CHECK_STR(expr("+a"), "(u+:plus a)");
    CHECK_STR(expr("1 + -2"), "(+ 1 -2)");
    CHECK_STR(expr("a || b || c"), "(|| (|| a b) c)");
}

TEST(precedence_operator_table)
{
    /* || is an Op: lower than + and *, higher than comparisons and LIKE. */
    CHECK_STR(expr("a || b + c"), "(|| a (+ b c))");
    CHECK_STR(expr("a || b = c"), "(= (|| a b) c)");
    CHECK_STR(expr("a || b LIKE c"), "(like (|| a b) c)");
    CHECK_STR(expr("a @> b AND c"), "(and (@>:other a b) c)");
    CHECK_STR(expr("j ->> 'k' = 'v'"), "(= (->>:other j 'k') 'v')");
    CHECK_STR(expr("a ~ b"), "(~ a b)");
    CHECK_STR(expr("a !~* b"), "(!~* a b)");
    CHECK_STR(expr("a != b"), "(<> a b)");
    CHECK_STR(expr("a <= b"), "(<= a b)");
    CHECK_STR(expr("a << 2 & b"), "(& (<< a 2) b)");
    /* A prefix Op takes what binds tighter than Op: ~ a + b is ~(a + b). */
    CHECK_STR(expr("~ a + b"), "(u~:bitnot (+ a b))");
    CHECK_STR(expr("@ a || b"), "(|| (u@ a) b)");
    CHECK_STR(expr("|/ 25"), "(u|/ 25)");
}

TEST(precedence_boolean)
{
    CHECK_STR(expr("a OR b AND NOT c"), "(or a (and b (not c)))");
    CHECK_STR(expr("a OR b OR c"), "(or a b c)");
    CHECK_STR(expr("a AND b AND c OR d"), "(or (and a b c) d)");
    CHECK_STR(expr("NOT a = b"), "(not (= a b))");
    CHECK_STR(expr("NOT a IS NULL"), "(not (is-null a))");
    CHECK_STR(expr("NOT NOT a"), "(not (not a))");
    CHECK_STR(expr("a = NOT b"), "(= a (not b))");
    CHECK_STR(expr("a = b IS NULL"), "(is-null (= a b))");
    CHECK_STR(expr("a IS NULL = b"), "(= (is-null a) b)");
    CHECK_STR(expr("a = b LIKE c"), "(= a (like b c))");
    CHECK_STR(expr("a LIKE b = true"), "(= (like a b) true)");
    CHECK_STR(expr("x BETWEEN 1 AND 2 AND y"), "(and (between x 1 2) y)");
    CHECK_STR(expr("1 + 2 IN (3)"), "(in (+ 1 2) 3)");
}

TEST(precedence_nonassoc)
{
    CHECK_STR(expr("a < b < c"), "ERR 42601 7 syntax error at or near \"<\"");
    CHECK_STR(expr("a = b = c"), "ERR 42601 7 syntax error at or near \"=\"");
    CHECK_STR(expr("a IS NULL IS NULL"), "ERR 42601 11 syntax error at or near \"IS\"");
    CHECK_STR(expr("a LIKE b LIKE c"), "ERR 42601 10 syntax error at or near \"LIKE\"");
}

TEST(precedence_postfix)
{
    CHECK_STR(expr("a::int[]"), "(:: a int4[])");
    CHECK_STR(expr("a::int::text"), "(:: (:: a int4) text)");
    CHECK_STR(expr("a[1]::int"), "(:: (idx a 1) int4)");
    CHECK_STR(expr("a[1][2:3]"), "(idx (idx a 1) 2:3)");
    CHECK_STR(expr("a[:2]"), "(idx a :2)");
    CHECK_STR(expr("a[1:]"), "(idx a 1:)");
    CHECK_STR(expr("t.a[1]"), "(idx t.a 1)");
    CHECK_STR(expr("$1[2]"), "(idx $1 2)");
    CHECK_STR(expr("(f(x))[1]"), "(idx f(x) 1)");
    CHECK_STR(expr("x COLLATE \"C\" = y"), "(= (collate x C) y)");
    CHECK_STR(expr("x || y COLLATE pg_catalog.default"),
              "(|| x (collate y pg_catalog.default))");
    CHECK_STR(expr("ts AT TIME ZONE 'UTC' + i"), "(+ (AT TIME ZONE ts 'UTC') i)");
    CHECK_STR(expr("a + ts AT TIME ZONE 'UTC'"), "(+ a (AT TIME ZONE ts 'UTC'))");
    CHECK_STR(expr("-x COLLATE \"C\""), "(collate (u-:neg x) C)");
}

/* ---- Constants ---- */

TEST(constants)
{
    CHECK_STR(expr("42"), "42");
    CHECK_STR(expr("-42"), "-42");
    CHECK_STR(expr("9223372036854775807"), "9223372036854775807");
    CHECK_STR(expr("-9223372036854775808"), "-9223372036854775808");
    CHECK_STR(expr("9223372036854775808"), "n:9223372036854775808");
    CHECK_STR(expr("-9223372036854775809"), "n:-9223372036854775809");
    CHECK_STR(expr("- -9223372036854775808"), "n:9223372036854775808");
    CHECK_STR(expr("1.5"), "n:1.5");
    CHECK_STR(expr("-1.5e3"), "n:-1.5e3");
    CHECK_STR(expr(".5"), "n:.5");
    CHECK_STR(expr("'it''s'"), "'it's'");
    CHECK_STR(expr("E'a\\nb'"), "'a\nb'");
    /* U&'...': \hhhh and \+hhhhhh code points (h a hex digit), a surrogate pair as two, \\ a
     * backslash */
    CHECK_STR(expr("U&'d\\0061t\\+000061'"), "'data'");
    CHECK_STR(expr("u&'\\00e9\\\\'"), "'\xc3\xa9\\'");
    CHECK_STR(expr("U&'\\D83D\\DE00'"), "'\xf0\x9f\x98\x80'");
    CHECK(strncmp(expr("U&'\\00'"), "ERR 22025", 9) == 0);
    CHECK(strncmp(expr("U&'\\D83Dx'"), "ERR 22P06", 9) == 0);
    CHECK(strncmp(expr("U&'\\0000'"), "ERR 22025", 9) == 0);
    CHECK_STR(expr("$$x$$"), "'x'");
    CHECK_STR(expr("B'0101'"), "b:0101");
    CHECK_STR(expr("X'1F'"), "b:00011111");
    CHECK_STR(expr("TRUE"), "true");
    CHECK_STR(expr("false"), "false");
    CHECK_STR(expr("NULL"), "null");
    CHECK_STR(expr("$3 + $12"), "(+ $3 $12)");
    CHECK_STR(expr("DEFAULT"), "default");
}

TEST(negative_constant_text)
{
    struct sql_parsed p;
    struct sql_expr *e;
    struct sql_error err;
    CHECK_EQ(sql_parse_expr("-  17", 5, &p, &e, &err), 0);
    CHECK_EQ(e->kind, SQL_E_CONST);
    CHECK_EQ(e->konst.kind, SQL_CONST_INT);
    CHECK_EQ(e->konst.ival, -17);
    CHECK_STR(e->konst.text, "-17");
    CHECK_EQ(e->loc, 0);
    sql_parsed_free(&p);
    CHECK_EQ(sql_parse_expr("'a\xc3\xa9'", 5, &p, &e, &err), 0);
    CHECK_EQ(e->konst.len, 3);
    sql_parsed_free(&p);
}

TEST(typed_literals)
{
    CHECK_STR(expr("DATE '2024-01-02'"), "(lit '2024-01-02' date)");
    CHECK_STR(expr("date '2024-01-02'"), "(lit '2024-01-02' date)");
    CHECK_STR(expr("TIMESTAMP '2024-01-02 03:04'"), "(lit '2024-01-02 03:04' timestamp)");
    CHECK_STR(expr("TIMESTAMP(3) WITH TIME ZONE 'x'"), "(lit 'x' timestamptz(3))");
    CHECK_STR(expr("TIME 'x'"), "(lit 'x' time)");
    CHECK_STR(expr("INTERVAL '1' DAY"), "(lit '1' interval day)");
    CHECK_STR(expr("INTERVAL '1:2' HOUR TO MINUTE"), "(lit '1:2' interval hour to minute)");
    CHECK_STR(expr("INTERVAL '1 day'"), "(lit '1 day' interval)");
    CHECK_STR(expr("INTERVAL(2) '1.234 s'"), "(lit '1.234 s' interval(2))");
    CHECK_STR(expr("int4 '5'"), "(lit '5' int4)");
    CHECK_STR(expr("INT '5'"), "(lit '5' int4)");
    CHECK_STR(expr("DOUBLE PRECISION '1.5'"), "(lit '1.5' float8)");
    CHECK_STR(expr("numeric(10,2) '1.5'"), "(lit '1.5' numeric(10,2))");
    CHECK_STR(expr("CHAR 'abc'"), "(lit 'abc' bpchar)");
    CHECK_STR(expr("VARCHAR(3) 'abc'"), "(lit 'abc' varchar(3))");
    CHECK_STR(expr("BOOLEAN 't'"), "(lit 't' bool)");
    CHECK_STR(expr("pg_catalog.int8 '7'"), "(lit '7' pg_catalog.int8)");
    CHECK_STR(expr("json '{}'"), "(lit '{}' json)");
    CHECK_STR(expr("regclass 't'"), "(lit 't' regclass)");
    /* Keyword type names are columns when no literal follows. */
    CHECK_STR(expr("time"), "time");
    CHECK_STR(expr("interval + 1"), "(+ interval 1)");
    CHECK_STR(expr("double"), "double");
}

/* ---- Types ---- */

TEST(type_spellings)
{
    CHECK_STR(type("int"), "int4");
    CHECK_STR(type("integer"), "int4");
    CHECK_STR(type("int4"), "int4");
    CHECK_STR(type("smallint"), "int2");
    CHECK_STR(type("int2"), "int2");
    CHECK_STR(type("bigint"), "int8");
    CHECK_STR(type("int8"), "int8");
    CHECK_STR(type("real"), "float4");
    CHECK_STR(type("float4"), "float4");
    CHECK_STR(type("float"), "float8");
    CHECK_STR(type("float(24)"), "float4");
    CHECK_STR(type("float(25)"), "float8");
    CHECK_STR(type("double precision"), "float8");
    CHECK_STR(type("float8"), "float8");
    CHECK_STR(type("numeric"), "numeric");
    CHECK_STR(type("numeric(10)"), "numeric(10)");
    CHECK_STR(type("decimal(10,2)"), "numeric(10,2)");
    CHECK_STR(type("dec(5,-2)"), "numeric(5,-2)");
    CHECK_STR(type("boolean"), "bool");
    CHECK_STR(type("bool"), "bool");
    CHECK_STR(type("text"), "text");
    CHECK_STR(type("varchar"), "varchar");
    CHECK_STR(type("varchar(10)"), "varchar(10)");
    CHECK_STR(type("character varying(10)"), "varchar(10)");
    CHECK_STR(type("char"), "bpchar(1)");
    CHECK_STR(type("character(3)"), "bpchar(3)");
    CHECK_STR(type("national character varying(2)"), "varchar(2)");
    CHECK_STR(type("bpchar"), "bpchar");
    CHECK_STR(type("bpchar(4)"), "bpchar(4)");
    CHECK_STR(type("\"char\""), "char");
    CHECK_STR(type("bytea"), "bytea");
    CHECK_STR(type("date"), "date");
    CHECK_STR(type("time"), "time");
    CHECK_STR(type("time(3)"), "time(3)");
    CHECK_STR(type("time with time zone"), "timetz");
    CHECK_STR(type("time(2) without time zone"), "time(2)");
    CHECK_STR(type("timetz"), "timetz");
    CHECK_STR(type("timestamp"), "timestamp");
    CHECK_STR(type("timestamp(9)"), "timestamp(6)");
    CHECK_STR(type("timestamp with time zone"), "timestamptz");
    CHECK_STR(type("timestamp(0) with time zone"), "timestamptz(0)");
    CHECK_STR(type("timestamp without time zone"), "timestamp");
    CHECK_STR(type("timestamptz"), "timestamptz");
    CHECK_STR(type("timestamptz(3)"), "timestamptz(3)");
    CHECK_STR(type("interval"), "interval");
    CHECK_STR(type("interval(3)"), "interval(3)");
    CHECK_STR(type("interval year to month"), "interval year to month");
    CHECK_STR(type("interval day to second(3)"), "interval(3) day to second");
    CHECK_STR(type("interval second"), "interval second");
    CHECK_STR(type("json"), "json");
    CHECK_STR(type("jsonb"), "jsonb");
    CHECK_STR(type("uuid"), "uuid");
    CHECK_STR(type("serial"), "int4 serial");
    CHECK_STR(type("bigserial"), "int8 serial");
    CHECK_STR(type("smallserial"), "int2 serial");
    CHECK_STR(type("pg_catalog.int4"), "pg_catalog.int4");
    CHECK_STR(type("pg_catalog.varchar(5)"), "pg_catalog.varchar(5)");
    CHECK_STR(type("myschema.int4"), "myschema.int4");
    CHECK_STR(type("regclass"), "regclass");
    CHECK_STR(type("\"MyType\""), "MyType");
    CHECK_STR(type("bit(3)"), "bit");
    CHECK_STR(type("int[]"), "int4[]");
    CHECK_STR(type("int[3][]"), "int4[][]");
    CHECK_STR(type("text ARRAY"), "text[]");
    CHECK_STR(type("integer ARRAY[4]"), "int4[]");
    CHECK_STR(type("numeric(10,2)[]"), "numeric(10,2)[]");
}

TEST(type_struct_fields)
{
    struct sql_parsed p;
    struct sql_expr *e;
    struct sql_error err;
    CHECK_EQ(sql_parse_expr("x::varchar", 10, &p, &e, &err), 0);
    CHECK_EQ(e->cast.type.kind, SQL_TYPE_VARCHAR);
    CHECK_EQ(e->cast.type.mod1, -1);
    CHECK_EQ(e->cast.type.mod2, -1);
    CHECK_EQ(e->cast.type.loc, 3);
    CHECK(e->cast.type.name == NULL);
    sql_parsed_free(&p);
    CHECK_EQ(sql_parse_expr("x::bpchar", 9, &p, &e, &err), 0);
    CHECK_EQ(e->cast.type.kind, SQL_TYPE_BPCHAR);
    CHECK_EQ(e->cast.type.mod1, -1);
    sql_parsed_free(&p);
    CHECK_EQ(sql_parse_expr("x::\"Foo\".bar", 12, &p, &e, &err), 0);
    CHECK_EQ(e->cast.type.kind, SQL_TYPE_OTHER);
    CHECK_STR(e->cast.type.schema, "Foo");
    CHECK_STR(e->cast.type.name, "bar");
    sql_parsed_free(&p);
}

TEST(type_errors)
{
    CHECK_STR(type("varchar(0)"), "ERR 22023 4 length for type varchar must be at least 1");
    CHECK_STR(type("numeric(0)"), "ERR 22023 4 NUMERIC precision 0 must be between 1 and 1000");
    CHECK_STR(type("numeric(10,2000)"),
              "ERR 22023 4 NUMERIC scale 2000 must be between -1000 and 1000");
    CHECK_STR(type("float(0)"), "ERR 22023 4 precision for type float must be at least 1 bit");
    CHECK_STR(type("float(54)"), "ERR 22023 4 precision for type float must be less than 54 bits");
    CHECK_STR(type("int4(3)"), "ERR 42601 4 type modifier is not allowed for type \"int4\"");
    CHECK_STR(type("a.b.c"), "ERR 0A000 4 cross-database references are not implemented: a.b.c");
    CHECK_STR(type("a.b.c.d"), "ERR 42601 4 improper qualified name (too many dotted names): a.b.c.d");
    CHECK_STR(type("int[][][][][][][]"),
              "ERR 54000 4 number of array dimensions (7) exceeds the maximum allowed (6)");
    CHECK_STR(type("interval day to year"), "ERR 42601 20 syntax error at or near \"year\"");
}

/* ---- Expression kinds ---- */

TEST(column_refs)
{
    CHECK_STR(expr("a"), "a");
    CHECK_STR(expr("T.A"), "t.a");
    CHECK_STR(expr("\"T\".a"), "T.a");
    CHECK_STR(expr("s.t.a"), "s.t.a");
    CHECK_STR(expr("c.s.t.a"), "c.s.t.a");
    CHECK_STR(expr("t.*"), "t.*");
    CHECK_STR(expr("t.select"), "t.select");
    CHECK_STR(expr("a.b.c.d.e"), "ERR 42601 1 improper qualified name (too many dotted names): a.b.c.d.e");
    CHECK_STR(expr("values"), "values");
    CHECK_STR(expr("select"), "ERR 42601 1 syntax error at or near \"select\"");
    CHECK_STR(expr("left"), "ERR 42601 1 syntax error at or near \"left\"");
    CHECK_STR(expr("(a).b"), "ERR 0A000 4 field selection from a composite value is not supported");
}

TEST(functions)
{
    CHECK_STR(expr("f()"), "f()");
    CHECK_STR(expr("F(1, 'a')"), "f(1 'a')");
    CHECK_STR(expr("pg_catalog.upper(x)"), "pg_catalog.upper(x)");
    CHECK_STR(expr("count(*)"), "count(*)");
    CHECK_STR(expr("count(DISTINCT x)"), "count(distinct x)");
    CHECK_STR(expr("count(ALL x)"), "count(x)");
    CHECK_STR(expr("string_agg(x, ',' ORDER BY y DESC NULLS LAST)"),
              "string_agg(x ',' order y desc nulls-last)");
    CHECK_STR(expr("percentile_cont(0.5) WITHIN GROUP (ORDER BY x)"),
              "percentile_cont(n:0.5) within-group x");
    CHECK_STR(expr("count(*) FILTER (WHERE x > 1)"), "count(*) filter (> x 1)");
    CHECK_STR(expr("f(VARIADIC arr)"), "f(variadic arr)");
    CHECK_STR(expr("f(a, VARIADIC arr)"), "f(a variadic arr)");
    CHECK_STR(expr("left(s, 2)"), "left(s 2)");
    CHECK_STR(expr("current_schema()"), "current_schema()");
    CHECK_STR(expr("f(a => 1)"), "ERR 0A000 3 a named function argument is not supported");
    CHECK_STR(expr("f(x ORDER BY y) WITHIN GROUP (ORDER BY z)"),
              "ERR 42601 17 cannot use multiple ORDER BY clauses with WITHIN GROUP");
}

TEST(window_calls)
{
    CHECK_STR(expr("row_number() OVER ()"), "row_number() over (window)");
    CHECK_STR(expr("sum(x) OVER w"), "sum(x) over (window ref=w)");
    CHECK_STR(expr("sum(x) OVER (w ORDER BY y)"), "sum(x) over (window ref=w order y)");
    CHECK_STR(expr("rank() OVER (PARTITION BY a, b ORDER BY c)"),
              "rank() over (window partition a b order c)");
    CHECK_STR(expr("sum(x) OVER (ORDER BY y ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"),
              "sum(x) over (window order y rows 1 preceding and current-row)");
    CHECK_STR(expr("sum(x) OVER (RANGE UNBOUNDED PRECEDING)"),
              "sum(x) over (window range unbounded-preceding)");
    CHECK_STR(expr("sum(x) OVER (GROUPS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING EXCLUDE TIES)"),
              "sum(x) over (window groups current-row and unbounded-following exclude-ties)");
    CHECK_STR(expr("sum(x) OVER (ROWS BETWEEN 2 FOLLOWING AND 1 PRECEDING)"),
              "ERR 42P20 43 frame starting from following row cannot have preceding rows");
    CHECK_STR(expr("sum(x) OVER (ROWS UNBOUNDED FOLLOWING)"),
              "ERR 42P20 19 frame start cannot be UNBOUNDED FOLLOWING");
    CHECK_STR(expr("sum(x) OVER (ROWS BETWEEN CURRENT ROW AND UNBOUNDED PRECEDING)"),
              "ERR 42P20 43 frame end cannot be UNBOUNDED PRECEDING");
    CHECK_STR(expr("sum(x) OVER (ROWS 1 FOLLOWING)"),
              "ERR 0A000 19 frame starting from following row cannot end with current row");
    CHECK_STR(expr("sum(x) FILTER (WHERE y) OVER (PARTITION BY z)"),
              "sum(x) filter y over (window partition z)");
}

TEST(special_forms)
{
    CHECK_STR(expr("EXTRACT(YEAR FROM d)"), "extract:extract('year' d)");
    CHECK_STR(expr("extract(epoch from ts)"), "extract:extract('epoch' ts)");
    CHECK_STR(expr("EXTRACT('dow' FROM d)"), "extract:extract('dow' d)");
    CHECK_STR(expr("POSITION('b' IN s)"), "position:position(s 'b')");
    CHECK_STR(expr("SUBSTRING(s FROM 2 FOR 3)"), "substring:substring(s 2 3)");
    CHECK_STR(expr("SUBSTRING(s FOR 3 FROM 2)"), "substring:substring(s 2 3)");
    CHECK_STR(expr("SUBSTRING(s FROM 2)"), "substring:substring(s 2)");
    CHECK_STR(expr("SUBSTRING(s FOR 3)"), "substring:substring(s 1 3)");
    CHECK_STR(expr("SUBSTRING(s SIMILAR 'a%' ESCAPE '#')"), "substring:substring(s 'a%' '#')");
    CHECK_STR(expr("substring(s, 2, 3)"), "substring(s 2 3)");
    CHECK_STR(expr("TRIM(s)"), "btrim:trim(s)");
    CHECK_STR(expr("TRIM(BOTH FROM s)"), "btrim:trim(s)");
    CHECK_STR(expr("TRIM(LEADING 'x' FROM s)"), "ltrim:trim(s 'x')");
    CHECK_STR(expr("TRIM(TRAILING FROM s)"), "rtrim:trim(s)");
    CHECK_STR(expr("trim(both 'xy' from s)"), "btrim:trim(s 'xy')");
    CHECK_STR(expr("OVERLAY(s PLACING 'ab' FROM 2 FOR 3)"), "overlay:overlay(s 'ab' 2 3)");
    CHECK_STR(expr("OVERLAY(s PLACING 'ab' FROM 2)"), "overlay:overlay(s 'ab' 2)");
    CHECK_STR(expr("COALESCE(a, b, 0)"), "coalesce:coalesce(a b 0)");
    CHECK_STR(expr("NULLIF(a, 0)"), "nullif:nullif(a 0)");
    CHECK_STR(expr("GREATEST(1, 2)"), "greatest:greatest(1 2)");
    CHECK_STR(expr("LEAST(1, 2, 3)"), "least:least(1 2 3)");
    CHECK_STR(expr("coalesce"), "coalesce");
    CHECK_STR(expr("CAST(x AS numeric(10,2))"), "(cast x numeric(10,2))");
    CHECK_STR(expr("CAST(x AS int ARRAY)"), "(cast x int4[])");
    CHECK_STR(expr("x::timestamp with time zone"), "(:: x timestamptz)");
    CHECK_STR(expr("GROUPING(a)"), "ERR 0A000 1 GROUPING is not supported");
}

TEST(value_functions)
{
    CHECK_STR(expr("CURRENT_DATE"), "current_date");
    CHECK_STR(expr("CURRENT_TIMESTAMP"), "current_timestamp");
    CHECK_STR(expr("CURRENT_TIMESTAMP(3)"), "current_timestamp(3)");
    CHECK_STR(expr("current_time(9)"), "current_time(6)");
    CHECK_STR(expr("LOCALTIME"), "localtime");
    CHECK_STR(expr("LOCALTIMESTAMP(0)"), "localtimestamp(0)");
    CHECK_STR(expr("CURRENT_USER"), "current_user");
    CHECK_STR(expr("CURRENT_ROLE"), "current_role");
    CHECK_STR(expr("SESSION_USER"), "session_user");
    CHECK_STR(expr("USER"), "user");
    CHECK_STR(expr("CURRENT_CATALOG"), "current_catalog");
    CHECK_STR(expr("CURRENT_SCHEMA"), "current_schema");
}

TEST(case_row_array)
{
    CHECK_STR(expr("CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END"),
              "(case (when a 1) (when b 2) (else 3))");
    CHECK_STR(expr("CASE x WHEN 1 THEN 'a' END"), "(case x (when 1 'a'))");
    CHECK_STR(expr("CASE END"), "ERR 42601 6 syntax error at or near \"END\"");
    CHECK_STR(expr("ROW(1, 2)"), "(row 1 2)");
    CHECK_STR(expr("ROW()"), "(row)");
    CHECK_STR(expr("(1, 'a')"), "(row 1 'a')");
    CHECK_STR(expr("(a, b) = (1, 2)"), "(= (row a b) (row 1 2))");
    CHECK_STR(expr("row"), "row");
    CHECK_STR(expr("ARRAY[1, 2]"), "[1 2]");
    CHECK_STR(expr("ARRAY[]"), "[]");
    CHECK_STR(expr("ARRAY[[1, 2], [3, 4]]"), "[[1 2] [3 4]]");
    CHECK_STR(expr("ARRAY[1,2]::int[]"), "(:: [1 2] int4[])");
}

TEST(predicates)
{
    CHECK_STR(expr("a IS NULL"), "(is-null a)");
    CHECK_STR(expr("a IS NOT NULL"), "(is-not-null a)");
    CHECK_STR(expr("a ISNULL"), "(is-null a)");
    CHECK_STR(expr("a NOTNULL"), "(is-not-null a)");
    CHECK_STR(expr("a IS TRUE"), "(is-true a)");
    CHECK_STR(expr("a IS NOT FALSE"), "(is-not-false a)");
    CHECK_STR(expr("a IS UNKNOWN"), "(is-unknown a)");
    CHECK_STR(expr("a IS DISTINCT FROM b"), "(IS DISTINCT FROM a b)");
    CHECK_STR(expr("a IS NOT DISTINCT FROM b + 1"), "(IS NOT DISTINCT FROM a (+ b 1))");
    CHECK_STR(expr("a BETWEEN 1 AND 2"), "(between a 1 2)");
    CHECK_STR(expr("a NOT BETWEEN SYMMETRIC 2 AND 1"), "(not-between-symmetric a 2 1)");
    CHECK_STR(expr("a BETWEEN x + 1 AND y * 2"), "(between a (+ x 1) (* y 2))");
    CHECK_STR(expr("a IN (1, 2, 3)"), "(in a 1 2 3)");
    CHECK_STR(expr("a NOT IN ('x')"), "(not-in a 'x')");
    CHECK_STR(expr("a IN (SELECT b FROM t)"), "(in a {select b from t})");
    CHECK_STR(expr("a IN ((SELECT b FROM t))"), "(in a {select b from t})");
    CHECK_STR(expr("a IN ((SELECT 1) UNION (SELECT 2))"), "(in a {{select 1} union {select 2}})");
    CHECK_STR(expr("a LIKE 'x%'"), "(like a 'x%')");
    CHECK_STR(expr("a NOT ILIKE 'x%' ESCAPE '#'"), "(not-ilike a 'x%' escape '#')");
    CHECK_STR(expr("a SIMILAR TO 'x' ESCAPE '!'"), "(similar a 'x' escape '!')");
    CHECK_STR(expr("a NOT SIMILAR TO 'x'"), "(not-similar a 'x')");
    CHECK_STR(expr("a IN ()"), "ERR 42601 7 syntax error at or near \")\"");
    CHECK_STR(expr("(a, b) OVERLAPS (c, d)"), "ERR 0A000 8 OVERLAPS is not supported");
    CHECK_STR(expr("s IS NOT NFC NORMALIZED"), "ERR 0A000 3 IS NORMALIZED / IS DOCUMENT is not supported");
    CHECK_STR(expr("a IS b"), "ERR 42601 6 syntax error at or near \"b\"");
}

TEST(quantified_and_sublinks)
{
    CHECK_STR(expr("a = ANY (arr)"), "(= any a arr)");
    CHECK_STR(expr("a < ALL (ARRAY[1, 2])"), "(< all a [1 2])");
    CHECK_STR(expr("a = SOME (SELECT b FROM t)"), "(= any a {select b from t})");
    CHECK_STR(expr("a @> ANY (x)"), "(@> any a x)");
    CHECK_STR(expr("a LIKE ANY (p)"), "(~~ any a p)");
    CHECK_STR(expr("a NOT ILIKE ALL (p)"), "(!~~* all a p)");
    CHECK_STR(expr("a OPERATOR(pg_catalog.~) b"), "(pg_catalog.~ a b)");
    CHECK_STR(expr("a OPERATOR(+) b * c"), "(+ a (* b c))");
    CHECK_STR(expr("EXISTS (SELECT 1)"), "(exists {select 1})");
    CHECK_STR(expr("NOT EXISTS (SELECT 1 FROM t WHERE t.a = x)"),
              "(not (exists {select 1 from t where (= t.a x)}))");
    CHECK_STR(expr("(SELECT max(a) FROM t)"), "(sub {select max(a) from t})");
    CHECK_STR(expr("(SELECT 1) + 1"), "(+ (sub {select 1}) 1)");
    CHECK_STR(expr("((SELECT 1))"), "(sub {select 1})");
    CHECK_STR(expr("((SELECT 1) + 1)"), "(+ (sub {select 1}) 1)");
    CHECK_STR(expr("((SELECT 1) UNION SELECT 2 ORDER BY 1)"),
              "(sub {{select 1} union {select 2} order 1})");
    CHECK_STR(expr("(SELECT ARRAY[1])[1]"), "(idx (sub {select [1]}) 1)");
    CHECK_STR(expr("ARRAY(SELECT a FROM t)"), "(array {select a from t})");
    CHECK_STR(expr("exists"), "exists");
}

/* ---- Queries ---- */

TEST(select_basic)
{
    CHECK_STR(query("SELECT 1"), "{select 1}");
    CHECK_STR(query("select a, b AS c, d e, f \"G\" from t"), "{select a, b as c, d as e, f as G from t}");
    CHECK_STR(query("SELECT * FROM t"), "{select * from t}");
    CHECK_STR(query("SELECT t.*, 1 AS from FROM t"), "{select t.*, 1 as from from t}");
    CHECK_STR(query("SELECT FROM t"), "{select from t}");
    CHECK_STR(query("SELECT"), "{select}");
    CHECK_STR(query("SELECT DISTINCT a FROM t"), "{select distinct a from t}");
    CHECK_STR(query("SELECT DISTINCT ON (a) a, b FROM t"), "{select distinct on( a ) a, b from t}");
    CHECK_STR(query("SELECT a FROM t WHERE a > 1 GROUP BY a, 2 HAVING count(*) > 1"),
              "{select a from t where (> a 1) group a 2 having (> count(*) 1)}");
    CHECK_STR(query("SELECT a FROM t ORDER BY a DESC, b NULLS FIRST LIMIT 10 OFFSET 5"),
              "{select a from t order a desc b nulls-first limit 10 offset 5}");
    CHECK_STR(query("SELECT a FROM t OFFSET 5 ROWS FETCH FIRST 3 ROWS ONLY"),
              "{select a from t limit 3 offset 5}");
    CHECK_STR(query("SELECT a FROM t FETCH NEXT ROW ONLY"), "{select a from t limit 1}");
    CHECK_STR(query("SELECT a FROM t LIMIT ALL"), "{select a from t}");
    CHECK_STR(query("SELECT a FROM t FOR UPDATE"), "{select a from t locking}");
    CHECK_STR(query("SELECT a FROM t FOR NO KEY UPDATE OF t SKIP LOCKED"),
              "{select a from t locking}");
    CHECK_STR(query("SELECT a FROM t FOR KEY SHARE NOWAIT LIMIT 1"),
              "{select a from t limit 1 locking}");
    CHECK_STR(query("SELECT sum(x) OVER w FROM t WINDOW w AS (PARTITION BY y)"),
              "{select sum(x) over (window ref=w) from t window w (window partition y)}");
    CHECK_STR(query("SELECT 1 FROM t LIMIT 1, 2"), "ERR 42601 17 LIMIT #,# syntax is not supported");
    CHECK_STR(query("SELECT a FROM t FETCH FIRST 1 ROW WITH TIES"),
              "ERR 0A000 17 FETCH ... WITH TIES is not supported");
    CHECK_STR(query("SELECT a INTO x FROM t"), "ERR 0A000 10 SELECT INTO is not supported");
    CHECK_STR(query("SELECT a FROM t GROUP BY ROLLUP (a)"), "ERR 0A000 26 ROLLUP is not supported");
    CHECK_STR(query("SELECT a FROM t GROUP BY GROUPING SETS ((a))"),
              "ERR 0A000 26 GROUPING SETS is not supported");
}

TEST(select_values_table)
{
    CHECK_STR(query("VALUES (1, 'a'), (2, 'b')"), "{values (1 'a') (2 'b')}");
    CHECK_STR(query("VALUES (1, DEFAULT)"), "{values (1 default)}");
    CHECK_STR(query("VALUES (1, 2), (3)"), "ERR 42601 17 VALUES lists must all be the same length");
    CHECK_STR(query("VALUES (1) ORDER BY 1 LIMIT 1"), "{values (1) order 1 limit 1}");
    CHECK_STR(query("TABLE t"), "{select * from t}");
    CHECK_STR(query("TABLE ONLY s.t"), "{select * from only s.t}");
}

TEST(select_setops)
{
    CHECK_STR(query("SELECT 1 UNION SELECT 2"), "{{select 1} union {select 2}}");
    CHECK_STR(query("SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3"),
              "{{{select 1} union-all {select 2}} except {select 3}}");
    CHECK_STR(query("SELECT 1 UNION SELECT 2 INTERSECT SELECT 3"),
              "{{select 1} union {{select 2} intersect {select 3}}}");
    CHECK_STR(query("SELECT 1 UNION DISTINCT SELECT 2 ORDER BY 1 LIMIT 1"),
              "{{select 1} union {select 2} order 1 limit 1}");
    CHECK_STR(query("(SELECT 1 ORDER BY 1) UNION (SELECT 2) LIMIT 3"),
              "{{select 1 order 1} union {select 2} limit 3}");
    CHECK_STR(query("((SELECT 1))"), "{select 1}");
    CHECK_STR(query("(SELECT 1) ORDER BY 1"), "{select 1 order 1}");
    CHECK_STR(query("(SELECT 1 ORDER BY 1) ORDER BY 1"),
              "ERR 42601 32 multiple ORDER BY clauses not allowed");
    CHECK_STR(query("(SELECT 1 LIMIT 1) LIMIT 2"), "ERR 42601 26 multiple LIMIT clauses not allowed");
    CHECK_STR(query("SELECT 1 ORDER BY 1 UNION SELECT 2"),
              "ERR 42601 21 syntax error at or near \"UNION\"");
    CHECK_STR(query("VALUES (1) UNION TABLE t"), "{{values (1)} union {select * from t}}");
}

TEST(select_from_joins)
{
    CHECK_STR(query("SELECT * FROM a, b AS x, s.c y(p, q)"),
              "{select * from a, b as x, s.c as y(p q)}");
    CHECK_STR(query("SELECT * FROM ONLY t"), "{select * from only t}");
    CHECK_STR(query("SELECT * FROM a JOIN b ON a.id = b.id"),
              "{select * from (join a b on (= a.id b.id))}");
    CHECK_STR(query("SELECT * FROM a INNER JOIN b USING (id, k)"),
              "{select * from (join a b using id k)}");
    CHECK_STR(query("SELECT * FROM a LEFT OUTER JOIN b ON true RIGHT JOIN c ON false"),
              "{select * from (right-join (left-join a b on true) c on false)}");
    CHECK_STR(query("SELECT * FROM a FULL JOIN b ON x CROSS JOIN c"),
              "{select * from (cross-join (full-join a b on x) c)}");
    CHECK_STR(query("SELECT * FROM a NATURAL JOIN b"), "{select * from (natural-join a b)}");
    CHECK_STR(query("SELECT * FROM a NATURAL LEFT JOIN b"),
              "{select * from (natural-left-join a b)}");
    CHECK_STR(query("SELECT * FROM a JOIN b JOIN c ON x ON y"),
              "{select * from (join a (join b c on x) on y)}");
    CHECK_STR(query("SELECT * FROM (a JOIN b ON x) AS j"),
              "{select * from (join a b on x) as j}");
    CHECK_STR(query("SELECT * FROM ((a JOIN b ON x) LEFT JOIN c ON y)"),
              "{select * from (left-join (join a b on x) c on y)}");
    CHECK_STR(query("SELECT * FROM (SELECT 1) AS s(x)"), "{select * from {select 1} as s(x)}");
    CHECK_STR(query("SELECT * FROM ((SELECT 1) s JOIN t ON true)"),
              "{select * from (join {select 1} as s t on true)}");
    CHECK_STR(query("SELECT * FROM (((SELECT 1))) AS s"), "{select * from {select 1} as s}");
    CHECK_STR(query("SELECT * FROM ((SELECT 1) UNION SELECT 2 ORDER BY 1) AS s"),
              "{select * from {{select 1} union {select 2} order 1} as s}");
    CHECK_STR(query("SELECT * FROM (((SELECT 1) UNION (SELECT 2)) u JOIN t ON true) j"),
              "{select * from (join {{select 1} union {select 2}} as u t on true) as j}");
    CHECK_STR(query("SELECT * FROM ((a JOIN b ON x))"), "{select * from (join a b on x)}");
    CHECK_STR(query("SELECT * FROM (a)"), "ERR 42601 17 syntax error at or near \")\"");
    CHECK_STR(query("SELECT * FROM ((SELECT 1) JOIN t ON true)"),
              "ERR 42601 16 subquery in FROM must have an alias");
    CHECK_STR(query("SELECT * FROM ((SELECT 1) UNION (SELECT 2)) u"),
              "{select * from {{select 1} union {select 2}} as u}");
    CHECK_STR(query("SELECT * FROM (VALUES (1), (2)) v(x)"),
              "{select * from {values (1) (2)} as v(x)}");
    CHECK_STR(query("SELECT * FROM t, LATERAL (SELECT t.a) s"),
              "{select * from t, lateral {select t.a} as s}");
    CHECK_STR(query("SELECT * FROM generate_series(1, 3) AS g(x)"),
              "{select * from generate_series(1 3) as g(x)}");
    CHECK_STR(query("SELECT * FROM pg_catalog.unnest(a) u"),
              "{select * from pg_catalog.unnest(a) as u}");
    CHECK_STR(query("SELECT * FROM (SELECT 1)"),
              "ERR 42601 15 subquery in FROM must have an alias");
    CHECK_STR(query("SELECT * FROM (VALUES (1))"), "ERR 42601 15 VALUES in FROM must have an alias");
    CHECK_STR(query("SELECT * FROM unnest(a) WITH ORDINALITY"),
              "ERR 0A000 25 WITH ORDINALITY is not supported");
    CHECK_STR(query("SELECT * FROM f() AS (a int)"),
              "ERR 0A000 22 a column definition list is not supported");
    CHECK_STR(query("SELECT * FROM a JOIN b"), "ERR 42601 23 syntax error at end of input");
    CHECK_STR(query("SELECT * FROM a.b.c.d"),
              "ERR 42601 15 improper qualified name (too many dotted names): a.b.c.d");
}

TEST(select_with)
{
    CHECK_STR(query("WITH x AS (SELECT 1) SELECT * FROM x"),
              "{with x {select 1}; select * from x}");
    CHECK_STR(query("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) "
                    "SELECT n FROM r"),
              "{with-recursive r(n) {{select 1} union-all {select (+ n 1) from r where (< n 3)}}; "
              "select n from r}");
    CHECK_STR(query("WITH a AS MATERIALIZED (SELECT 1), b AS NOT MATERIALIZED (VALUES (2)) "
                    "SELECT 1 UNION SELECT 2"),
              "{with a materialized {select 1} b not-materialized {values (2)}; "
              "{select 1} union {select 2}}");
    CHECK_STR(query("WITH x AS (SELECT 1) (SELECT 2)"), "{with x {select 1}; select 2}");
    CHECK_STR(query("WITH x AS (SELECT 1) (WITH y AS (SELECT 2) SELECT 3)"),
              "ERR 42601 6 multiple WITH clauses not allowed");
    CHECK_STR(query("SELECT (WITH x AS (SELECT 1) SELECT * FROM x)"),
              "{select (sub {with x {select 1}; select * from x})}");
}

/* ---- Errors ---- */

TEST(syntax_errors)
{
    struct sql_error err;
    CHECK_EQ(parse_rc("SELECT 1 +", 10, &err), ERR_MALFORMED);
    CHECK(out_was_empty);
    CHECK_STR(err.sqlstate, "42601");
    CHECK_STR(err.message, "syntax error at end of input");
    CHECK_EQ(err.position, 11);
    CHECK_EQ(parse_rc("SELECT 1 FROM WHERE", 19, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at or near \"WHERE\"");
    CHECK_EQ(err.position, 15);
    /* Positions count characters, not bytes. */
    CHECK_EQ(parse_rc("SELECT '\xc3\xa9\xc3\xa9' 'x'", 17, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at or near \"'x'\"");
    CHECK_EQ(err.position, 13);
    CHECK_EQ(parse_rc("SELECT 'abc", 11, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "unterminated quoted string at or near \"'abc\"");
    CHECK_EQ(err.position, 8);
    CHECK_EQ(parse_rc("SELECT 1; SELECT 2 3", 20, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at or near \"3\"");
    CHECK_EQ(err.position, 20);
    CHECK_EQ(parse_rc("SELECT $0", 9, &err), ERR_MALFORMED);
    CHECK_STR(err.sqlstate, "42P02");
    CHECK_EQ(parse_rc("SELECT 1 \x80", 10, &err), ERR_MALFORMED);
    CHECK_STR(err.sqlstate, "22021");
    CHECK_EQ(parse_rc("SELECT (1", 9, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at end of input");
    CHECK_EQ(parse_rc("SELECT a FROM t WHERE", 21, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at end of input");
    /* An error in a token read ahead is the lexer's, reported when the parse reaches it. */
    CHECK_EQ(parse_rc("SELECT a NOT 'x", 15, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "unterminated quoted string at or near \"'x\"");
    CHECK_EQ(err.position, 14);
    CHECK_EQ(parse_rc("SELECT a FROM t t2 t3", 21, &err), ERR_MALFORMED);
    CHECK_STR(err.message, "syntax error at or near \"t3\"");
    CHECK_STR(expr("1 2"), "ERR 42601 3 syntax error at or near \"2\"");
    CHECK_STR(expr(""), "ERR 42601 1 syntax error at end of input");
}

TEST(statements_and_lengths)
{
    struct sql_parsed p;
    struct sql_error err;
    const char *text = " SELECT $2 ;; select 1 -- c\n ;";
    CHECK_EQ(sql_parse(text, strlen(text), &p, &err), 0);
    CHECK_EQ(p.n, 2);
    CHECK_EQ(p.stmts[0]->loc, 1);
    CHECK_EQ(p.stmts[0]->len, 9);
    CHECK_EQ(p.stmts[0]->param_max, 2);
    CHECK_EQ(p.stmts[1]->loc, 14);
    CHECK_EQ(p.stmts[1]->len, 8);
    CHECK_EQ(p.stmts[1]->param_max, 0);
    CHECK(p.stmts[1]->arena == p.arena);
    CHECK_EQ(p.stmts[1]->text_len, strlen(text));
    CHECK_STR(p.stmts[1]->text, text);
    sql_parsed_free(&p);
    CHECK_EQ(sql_parse(" ; -- nothing\n;", 15, &p, &err), 0);
    CHECK_EQ(p.n, 0);
    sql_parsed_free(&p);
    CHECK_EQ(sql_parse("", 0, &p, &err), 0);
    CHECK_EQ(p.n, 0);
    sql_parsed_free(&p);
}

TEST(locations)
{
    /* Byte offsets: operators at the operator, calls and columns at their name. */
    struct sql_parsed p;
    struct sql_expr *e;
    struct sql_error err;
    const char *text = "t.a + f(b) * $1::int";
    CHECK_EQ(sql_parse_expr(text, strlen(text), &p, &e, &err), 0);
    CHECK_EQ(e->kind, SQL_E_BINARY);
    CHECK_EQ(e->loc, 4);
    CHECK_EQ(e->binary.left->loc, 0);
    const struct sql_expr *mul = e->binary.right;
    CHECK_EQ(mul->loc, 11);
    CHECK_EQ(mul->binary.left->loc, 6);
    CHECK_EQ(mul->binary.left->func.args.v[0]->loc, 8);
    CHECK_EQ(mul->binary.right->kind, SQL_E_CAST);
    CHECK_EQ(mul->binary.right->loc, 15);
    CHECK_EQ(mul->binary.right->cast.arg->loc, 13);
    CHECK_EQ(mul->binary.right->cast.type.loc, 17);
    sql_parsed_free(&p);
    text = "SELECT x FROM s.t AS u WHERE y IN (1)";
    CHECK_EQ(sql_parse(text, strlen(text), &p, &err), 0);
    const struct sql_select *sel = p.stmts[0]->select;
    CHECK_EQ(sel->loc, 0);
    CHECK_EQ(sel->targets.v[0].loc, 7);
    CHECK_EQ(sel->from.v[0]->loc, 14);
    CHECK_EQ(sel->from.v[0]->table.loc, 14);
    CHECK_EQ(sel->where->loc, 31);
    sql_parsed_free(&p);
}

/* ---- Bounds ---- */

static char *repeat3(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

/* "SELECT " + n x open + "1" + n x close. */
static int nested(const char *open, const char *close, size_t n, struct sql_error *err)
{
    size_t ol = strlen(open), cl = strlen(close);
    char *s = malloc(7 + (ol + cl) * n + 2);
    size_t len = 0;
    memcpy(s, "SELECT ", 7);
    len = 7;
    for (size_t i = 0; i < n; i++, len += ol)
        memcpy(s + len, open, ol);
    s[len++] = '1';
    for (size_t i = 0; i < n; i++, len += cl)
        memcpy(s + len, close, cl);
    int rc = parse_rc(s, len, err);
    free(s);
    return rc;
}

TEST(depth_bound)
{
    struct sql_error err;
    CHECK_EQ(nested("(", ")", 5000, &err), ERR_TOOBIG);
    CHECK(out_was_empty);
    CHECK_STR(err.sqlstate, "54001");
    CHECK_STR(err.message, "stack depth limit exceeded");
    CHECK_EQ(nested("(", ")", 100000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("(", ")", 900, &err), 0);
    CHECK_EQ(nested("f(", ")", 900, &err), 0);
    CHECK_EQ(nested("f(", ")", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("- ", "", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("NOT ", "", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("ARRAY[", "]", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("(SELECT ", ")", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("1 IN (", ")", 5000, &err), ERR_TOOBIG);
    CHECK_EQ(nested("CASE WHEN ", " THEN 1 END", 5000, &err), ERR_TOOBIG);
    CHECK_STR(err.sqlstate, "54001");
    /* A long chain builds a deep tree: bounded too. */
    char *s = repeat3("SELECT 1", " + 1", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    CHECK_STR(err.sqlstate, "54001");
    free(s);
    s = repeat3("SELECT 1", "::int", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    free(s);
    s = repeat3("SELECT a", "[1]", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    free(s);
    s = repeat3("SELECT 1", " UNION SELECT 1", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    free(s);
    s = repeat3("SELECT * FROM a", " JOIN a ON true", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    free(s);
    /* Right below the bound every shape parses (and the stack holds, under ASan too). */
    static const char *const shapes[][2] = {
        {"(", ")"},           {"f(", ")"},        {"(SELECT ", ")"},
        {"CASE WHEN ", " THEN 1 END"}, {"ARRAY[", "]"}, {"- ", ""},
        {"1 IN (SELECT ", ")"}, {"(SELECT * FROM (SELECT ", ") s)"},
        {"EXISTS (SELECT * FROM a JOIN (SELECT ", ") s ON true)"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        size_t lo = 1, hi = 5000; /* lo parses, hi does not */
        CHECK_EQ(nested(shapes[i][0], shapes[i][1], lo, &err), 0);
        CHECK_EQ(nested(shapes[i][0], shapes[i][1], hi, &err), ERR_TOOBIG);
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (nested(shapes[i][0], shapes[i][1], mid, &err) == 0)
                lo = mid;
            else
                hi = mid;
        }
        CHECK_EQ(nested(shapes[i][0], shapes[i][1], hi, &err), ERR_TOOBIG);
        CHECK_STR(err.sqlstate, "54001");
        /* Each nesting costs a bounded number of levels, so well over 100 always fit. */
        CHECK(lo >= 150);
    }
    /* Flat lists are not nesting: AND/OR chains are n-ary. */
    s = repeat3("SELECT 1 FROM t WHERE a", " OR a", 5000, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), 0);
    free(s);
}

TEST(list_bounds)
{
    struct sql_error err;
    char *s = repeat3("SELECT 1 IN (1", ",1", SQL_LIST_ITEMS_MAX - 1, ")");
    CHECK_EQ(parse_rc(s, strlen(s), &err), 0);
    free(s);
    s = repeat3("SELECT 1 IN (1", ",1", SQL_LIST_ITEMS_MAX, ")");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    CHECK(out_was_empty);
    CHECK_STR(err.sqlstate, "54000");
    free(s);
    s = repeat3("", "SELECT 1;", SQL_STMTS_MAX + 1, "");
    CHECK_EQ(parse_rc(s, strlen(s), &err), ERR_TOOBIG);
    CHECK_STR(err.sqlstate, "54000");
    free(s);
    s = repeat3("", ";", SQL_STMTS_MAX + 1, "SELECT 1");
    CHECK_EQ(parse_rc(s, strlen(s), &err), 0);
    free(s);
    CHECK_EQ(parse_rc("SELECT 1", (size_t)SQL_TEXT_BYTES_MAX + 1, &err), ERR_TOOBIG);
    CHECK_STR(err.sqlstate, "54000");
}

TEST_MAIN()
