/* The printer: a PostgreSQL AST rendered as the SQLite SQL a replicaset runs, with PostgreSQL's
 * semantics kept by the function library (docs/sql.md, "The printer's rewrites"). Every result
 * column is aliased with the name PostgreSQL gives it, and described in struct sql_printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"
#include "sql/sql_func.h"
#include "sql/sql_int.h"

/* CTE names visible where a FROM item is printed: they are not user tables. */
#define PR_SCOPE_MAX 64
/* Nesting, and questions in all, that the inference of one statement's result types follows
 * before it answers "unknown". */
#define PR_TYPE_DEPTH_MAX 64
#define PR_TYPE_STEPS_MAX 100000
/* String literals of a CASE, VALUES column or UNION checked against the type they take. */
#define PR_COMMON_LITERALS_MAX 16

struct pr {
    const struct sql_stmt *st;
    const struct sql_print_opts *o;
    struct buf *out;
    struct sql_error *err;
    int rc;
    int depth;
    const char *scope[PR_SCOPE_MAX];
    const struct sql_cte *scope_cte[PR_SCOPE_MAX];
    uint32_t nscope;
    uint32_t type_steps; /* see PR_TYPE_STEPS_MAX */
    bool in_check; /* CHECK / generated expressions: only deterministic functions */
    uint32_t checks_printed; /* CREATE TABLE: CHECKs so far (sql_print_opts.check_names) */
    /* Inside RETURNING (outside its subqueries): the target table's name or alias, whose
     * columns SQLite accepts only unqualified there. */
    const char *returning_target;
    /* The FROM items of the query whose clauses are being printed (NULL: none), for the types
     * of the column references in them. */
    const struct sql_froms *from;
    /* The FROM items of the queries enclosing the expression being printed, innermost first,
     * and whether its column references are checked against them (a select list, a WHERE:
     * where PostgreSQL resolves names only among FROM items). */
    const struct pr_scope *scopes;
    bool check_cols;
    /* A HAVING without GROUP BY over a select list without aggregates: SQLite refuses it ("a
     * non-aggregate query"), PostgreSQL makes the whole input one group. The first column is
     * printed as iif(count(*) >= 0, col, NULL): the same value, and an aggregate query. */
    bool having_group;
    /* Literals here are printed as parameters into printed->lits (literal_params_from): set
     * while a WHERE, a SET value or a VALUES row prints, cleared inside every select. */
    bool lits;
    struct sql_printed *printed;
};

struct pr_scope {
    const struct sql_froms *from;
    const struct pr_scope *up;
};

/* Whether literals print as parameters from here on (see struct pr); returns the old setting. */
static bool pr_lits_set(struct pr *p, bool on)
{
    bool was = p->lits;
    p->lits = on;
    return was;
}

/* ---- errors and output ---- */

static int pr_fail(struct pr *p, int rc, const char *state, int loc, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int pr_fail(struct pr *p, int rc, const char *state, int loc, const char *fmt, ...)
{
    if (p->rc != 0)
        return p->rc;
    va_list ap;
    va_start(ap, fmt);
    sql_err_vset(p->err, rc, state, p->st->text, p->st->text_len, loc, fmt, ap);
    va_end(ap);
    p->rc = rc;
    return rc;
}

static void pr_bytes(struct pr *p, const char *s, size_t len)
{
    if (p->rc != 0)
        return;
    if (buf_append(p->out, s, len) != 0)
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
    else if (p->out->len > SQL_PRINT_BYTES_MAX)
        pr_fail(p, ERR_TOOBIG, "54000", -1, "statement too large to run (more than %u bytes)",
                SQL_PRINT_BYTES_MAX);
}

static void pr_s(struct pr *p, const char *s)
{
    pr_bytes(p, s, strlen(s));
}

static void pr_f(struct pr *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void pr_f(struct pr *p, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof tmp)
        pr_s(p, tmp);
    else
        pr_fail(p, ERR_TOOBIG, "54000", -1, "a name too long to print");
}

/* "name", each " in it doubled. */
static void pr_ident(struct pr *p, const char *name)
{
    pr_bytes(p, "\"", 1);
    for (const char *c = name; *c != '\0' && p->rc == 0;) {
        size_t run = strcspn(c, "\"");
        pr_bytes(p, c, run);
        c += run;
        if (*c == '"') {
            pr_bytes(p, "\"\"", 2);
            c++;
        }
    }
    pr_bytes(p, "\"", 1);
}

static void pr_string(struct pr *p, const char *s, size_t len)
{
    pr_s(p, "'");
    size_t start = 0;
    for (size_t i = 0; i <= len && p->rc == 0; i++) {
        if (i == len || s[i] == '\'') {
            if (buf_append(p->out, s + start, i - start) != 0) {
                pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
                return;
            }
            if (i < len)
                pr_s(p, "''");
            start = i + 1;
        }
    }
    pr_s(p, "'");
}

static bool pr_enter(struct pr *p)
{
    if (++p->depth > SQL_DEPTH_MAX) {
        pr_fail(p, ERR_TOOBIG, "54001", -1, "stack depth limit exceeded");
        return false;
    }
    return p->rc == 0;
}

static void pr_leave(struct pr *p)
{
    p->depth--;
}

/* ---- types ---- */

int sql_type_decl(const struct sql_type *t, struct buf *out)
{
    if (t->array_dims > 0)
        return buf_printf(out, "TEXT");
    switch (t->kind) {
    case SQL_TYPE_BOOL: return buf_printf(out, "BOOL_INT");
    case SQL_TYPE_INT2: return buf_printf(out, "INT2");
    case SQL_TYPE_INT4: return buf_printf(out, "INT4");
    case SQL_TYPE_INT8: return buf_printf(out, "INT8");
    case SQL_TYPE_FLOAT4: return buf_printf(out, "FLOAT4");
    case SQL_TYPE_FLOAT8: return buf_printf(out, "FLOAT8");
    case SQL_TYPE_NUMERIC:
        if (t->mod1 >= 0 && t->mod2 >= 0)
            return buf_printf(out, "NUMERIC_TEXT(%d,%d) COLLATE pg_numeric", (int)t->mod1,
                              (int)t->mod2);
        if (t->mod1 >= 0)
            return buf_printf(out, "NUMERIC_TEXT(%d) COLLATE pg_numeric", (int)t->mod1);
        return buf_printf(out, "NUMERIC_TEXT COLLATE pg_numeric");
    case SQL_TYPE_TEXT: return buf_printf(out, "TEXT");
    case SQL_TYPE_VARCHAR:
        return t->mod1 >= 0 ? buf_printf(out, "VARCHAR(%d)", (int)t->mod1)
                            : buf_printf(out, "VARCHAR");
    case SQL_TYPE_BPCHAR:
        return t->mod1 >= 0 ? buf_printf(out, "BPCHAR(%d)", (int)t->mod1)
                            : buf_printf(out, "BPCHAR");
    case SQL_TYPE_BYTEA: return buf_printf(out, "BYTEA_BLOB");
    case SQL_TYPE_DATE: return buf_printf(out, "DATE_TEXT");
    case SQL_TYPE_TIME: return buf_printf(out, "TIME_TEXT");
    case SQL_TYPE_TIMETZ: return buf_printf(out, "TIMETZ_TEXT");
    case SQL_TYPE_TIMESTAMP: return buf_printf(out, "TIMESTAMP_TEXT");
    case SQL_TYPE_TIMESTAMPTZ: return buf_printf(out, "TIMESTAMPTZ_TEXT");
    case SQL_TYPE_INTERVAL: return buf_printf(out, "INTERVAL_TEXT");
    case SQL_TYPE_JSON: return buf_printf(out, "JSON_TEXT");
    case SQL_TYPE_JSONB: return buf_printf(out, "JSONB_TEXT");
    case SQL_TYPE_UUID: return buf_printf(out, "UUID_TEXT");
    default: return ERR_UNSUPPORTED;
    }
}

static void pr_type_text(struct pr *p, const struct sql_type *t)
{
    struct buf b = BUF_INIT;
    if (sql_type_format(t, &b) != 0) {
        buf_free(&b);
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return;
    }
    pr_string(p, (const char *)b.data, b.len);
    buf_free(&b);
}

/* ---- expressions ---- */

static void pr_expr(struct pr *p, const struct sql_expr *e);
static enum sql_type_kind pr_type_now(struct pr *p, const struct sql_expr *e);
static int pr_select_col_names(const struct sql_select *q, const struct sql_names *cols,
                               const char **names, int max);
static bool pr_is_untyped(const struct sql_expr *e);
static bool pr_is_int(enum sql_type_kind k);
static int pr_number_rank(enum sql_type_kind k);
static const char *pr_type_pg_name(enum sql_type_kind k);
static void pr_check_literal(struct pr *p, const struct sql_expr *e, enum sql_type_kind k);
static void pr_select(struct pr *p, const struct sql_select *q, bool want_cols,
                      struct sql_printed *out);

static void pr_exprs(struct pr *p, const struct sql_exprs *l)
{
    for (uint32_t i = 0; i < l->n && p->rc == 0; i++) {
        if (i > 0)
            pr_s(p, ", ");
        pr_expr(p, l->v[i]);
    }
}

static void pr_call2(struct pr *p, const char *fn, const struct sql_expr *a,
                     const struct sql_expr *b, const char *extra)
{
    pr_s(p, fn);
    pr_s(p, "(");
    pr_expr(p, a);
    if (b != NULL) {
        pr_s(p, ", ");
        pr_expr(p, b);
    }
    if (extra != NULL)
        pr_s(p, extra);
    pr_s(p, ")");
}

/* True for an expression SQLite compares right as it stands: a column (its affinity and
 * collation decide), a parameter, an integer or string literal. */
static bool pr_plain_operand(const struct sql_expr *e)
{
    switch (e->kind) {
    case SQL_E_COLUMN:
    case SQL_E_PARAM:
        return true;
    case SQL_E_CONST:
        return e->konst.kind == SQL_CONST_INT || e->konst.kind == SQL_CONST_STRING ||
               e->konst.kind == SQL_CONST_BOOL || e->konst.kind == SQL_CONST_NULL;
    default:
        return false;
    }
}

static const char *pr_cmp_sqlite(enum sql_op op)
{
    switch (op) {
    case SQL_OP_EQ: return " = ";
    case SQL_OP_NE: return " <> ";
    case SQL_OP_LT: return " < ";
    case SQL_OP_LE: return " <= ";
    case SQL_OP_GT: return " > ";
    case SQL_OP_GE: return " >= ";
    default: return NULL;
    }
}

static const char *pr_cmp_fn(enum sql_op op)
{
    switch (op) {
    case SQL_OP_EQ: return "pg_eq";
    case SQL_OP_NE: return "pg_ne";
    case SQL_OP_LT: return "pg_lt";
    case SQL_OP_LE: return "pg_le";
    case SQL_OP_GT: return "pg_gt";
    case SQL_OP_GE: return "pg_ge";
    default: return NULL;
    }
}

/* The family of a type for operator resolution: 'N' number, 'S' string, 'B' boolean, 0 any
 * other or not known. */
static char pr_type_family(enum sql_type_kind k)
{
    if (pr_number_rank(k) > 0)
        return 'N';
    if (k == SQL_TYPE_TEXT || k == SQL_TYPE_VARCHAR || k == SQL_TYPE_BPCHAR)
        return 'S';
    return k == SQL_TYPE_BOOL ? 'B' : 0;
}

/* PostgreSQL's analysis of a comparison, arithmetic or || between operands of types lt and rt:
 * a string literal must read as the other side's number (22P02), and no operator takes a
 * number with a string or a boolean, nor arithmetic on strings or booleans (42883). */
static bool pr_binary_check(struct pr *p, const struct sql_expr *e, enum sql_type_kind lt,
                            enum sql_type_kind rt)
{
    const struct sql_expr *l = e->binary.left, *r = e->binary.right;
    enum sql_op op = e->binary.op;
    bool cmp = pr_cmp_sqlite(op) != NULL;
    bool arith = op == SQL_OP_ADD || op == SQL_OP_SUB || op == SQL_OP_MUL || op == SQL_OP_DIV ||
                 op == SQL_OP_MOD || op == SQL_OP_POW;
    if (!cmp && !arith && op != SQL_OP_CONCAT)
        return true;
    bool lu = pr_is_untyped(l), ru = pr_is_untyped(r);
    if (!cmp && !arith) {
        /* ||: text with anything, but not two numbers or booleans */
        char fl = pr_type_family(lt), fr = pr_type_family(rt);
        if (lu || ru || fl == 0 || fr == 0 || fl == 'S' || fr == 'S')
            return true;
    } else {
        if (arith && lu && ru && l->konst.kind == SQL_CONST_STRING &&
            r->konst.kind == SQL_CONST_STRING) {
            pr_fail(p, ERR_MALFORMED, "42725", e->loc, "operator is not unique: unknown %s unknown",
                    e->binary.op_name ? e->binary.op_name : "?");
            return false;
        }
        if (lu && !ru)
            pr_check_literal(p, l, rt);
        if (ru && !lu)
            pr_check_literal(p, r, lt);
        if (p->rc != 0)
            return false;
        char fl = pr_type_family(lt), fr = pr_type_family(rt);
        if (lu || ru || fl == 0 || fr == 0)
            return true;
        if (cmp ? fl == fr : (fl == 'N' && fr == 'N'))
            return true;
    }
    pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "operator does not exist: %s %s %s",
            pr_type_pg_name(lt), e->binary.op_name ? e->binary.op_name : "?",
            pr_type_pg_name(rt));
    return false;
}

/* An operand of type t of a text comparison, || or a cast to text, converted as PostgreSQL
 * converts it to text: character(n) without its padding, a boolean as true / false (SQLite
 * holds 1 / 0). */
static void pr_text_operand(struct pr *p, const struct sql_expr *e, enum sql_type_kind t)
{
    if (t == SQL_TYPE_BPCHAR) {
        pr_s(p, "rtrim(");
        pr_expr(p, e);
        pr_s(p, ", ' ')");
    } else if (t == SQL_TYPE_BOOL) {
        pr_s(p, "CASE ");
        pr_expr(p, e);
        pr_s(p, " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END");
    } else if (t == SQL_TYPE_FLOAT4) {
        /* SQLite holds a real as a double: its text is float4's shortest one */
        pr_s(p, "pg_float4_text(");
        pr_expr(p, e);
        pr_s(p, ")");
    } else {
        pr_expr(p, e);
    }
}

static bool pr_from_is_table_column(struct pr *p, const struct sql_from *f, const char *qual,
                                    const char *col, bool *found);

/* Whether e is a column of a user table among the FROM items in scope (not of a subquery or
 * a CTE): SQLite then compares it by the column's affinity and collation. */
static bool pr_is_table_column(struct pr *p, const struct sql_expr *e)
{
    if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0 || p->from == NULL)
        return false;
    const char *col = e->column.parts[e->column.nparts - 1];
    const char *qual = e->column.nparts > 1 ? e->column.parts[e->column.nparts - 2] : NULL;
    for (uint32_t k = 0; k < p->from->n; k++) {
        bool found = false;
        bool table = pr_from_is_table_column(p, p->from->v[k], qual, col, &found);
        if (found)
            return table;
    }
    return false;
}

static void pr_binary(struct pr *p, const struct sql_expr *e)
{
    const struct sql_expr *l = e->binary.left, *r = e->binary.right;
    enum sql_type_kind lt = pr_type_now(p, l), rt = pr_type_now(p, r);
    if (p->rc != 0 || !pr_binary_check(p, e, lt, rt))
        return;
    const char *fn = NULL;
    switch (e->binary.op) {
    case SQL_OP_ADD: fn = "pg_add"; break;
    case SQL_OP_SUB: fn = "pg_sub"; break;
    case SQL_OP_MUL: fn = "pg_mul"; break;
    case SQL_OP_DIV: fn = "pg_div"; break;
    case SQL_OP_MOD: fn = "pg_mod"; break;
    case SQL_OP_POW: fn = "pg_power"; break;
    default: break;
    }
    if (fn != NULL) {
        /* The library computes integers in 64 bits: an integer or smallint result is checked
         * against its own range, as PostgreSQL's int4pl does. */
        enum sql_type_kind res = SQL_TYPE_UNKNOWN;
        if (e->binary.op != SQL_OP_MOD && e->binary.op != SQL_OP_POW)
            res = pr_type_now(p, e);
        bool narrow = res == SQL_TYPE_INT4 || res == SQL_TYPE_INT2;
        if (narrow)
            pr_s(p, "pg_cast(");
        pr_call2(p, fn, l, r, NULL);
        if (narrow)
            pr_s(p, res == SQL_TYPE_INT4 ? ", 'int4')" : ", 'int2')");
        return;
    }
    const char *cmp = pr_cmp_sqlite(e->binary.op);
    if (cmp != NULL && (lt == SQL_TYPE_BPCHAR || rt == SQL_TYPE_BPCHAR)) {
        /* character(n) compares without trailing blanks, whatever the other side */
        pr_s(p, "(");
        pr_text_operand(p, l, SQL_TYPE_BPCHAR);
        pr_s(p, cmp);
        pr_text_operand(p, r, SQL_TYPE_BPCHAR);
        pr_s(p, ")");
        return;
    }
    /* (a, b) < (c, d): SQLite's row values compare as the standard says */
    if (cmp != NULL && (l->kind == SQL_E_ROW || r->kind == SQL_E_ROW)) {
        pr_s(p, "(");
        pr_expr(p, l);
        pr_s(p, cmp);
        pr_expr(p, r);
        pr_s(p, ")");
        return;
    }
    /* date against timestamp: SQLite would compare their texts */
    bool mixed_time = lt != rt && (lt == SQL_TYPE_DATE || lt == SQL_TYPE_TIMESTAMP ||
                                   lt == SQL_TYPE_TIMESTAMPTZ) &&
                      (rt == SQL_TYPE_DATE || rt == SQL_TYPE_TIMESTAMP ||
                       rt == SQL_TYPE_TIMESTAMPTZ);
    if (cmp != NULL && mixed_time) {
        pr_call2(p, pr_cmp_fn(e->binary.op), l, r, NULL);
        return;
    }
    /* text against text (or a literal) compares as text, whatever it looks like */
    bool lu = pr_is_untyped(l), ru = pr_is_untyped(r);
    bool texts = (pr_type_family(lt) == 'S' || lu) && (pr_type_family(rt) == 'S' || ru) &&
                 !(lu && ru);
    /* bytea against a literal: the literal is bytea input ('\x61') */
    bool bytea = (lt == SQL_TYPE_BYTEA && ru) || (rt == SQL_TYPE_BYTEA && lu);
    if (cmp != NULL && (texts || bytea)) {
        pr_s(p, "(");
        if (bytea && lu)
            pr_s(p, "pg_cast(");
        pr_expr(p, l);
        if (bytea && lu)
            pr_s(p, ", 'bytea')");
        pr_s(p, cmp);
        if (bytea && ru)
            pr_s(p, "pg_cast(");
        pr_expr(p, r);
        if (bytea && ru)
            pr_s(p, ", 'bytea')");
        pr_s(p, ")");
        return;
    }
    if (cmp != NULL) {
        /* SQLite compares a column by its affinity and collation (and can use an index on
         * it), and literals and parameters as they are; anything computed (a numeric, a date,
         * an interval as text) is compared by the library with PostgreSQL's rules, and so is
         * a subquery's numeric column, which has neither affinity nor collation. */
        bool computed = (lt == SQL_TYPE_NUMERIC && !pr_is_table_column(p, l)) ||
                        (rt == SQL_TYPE_NUMERIC && !pr_is_table_column(p, r));
        if (!computed && ((pr_plain_operand(l) && pr_plain_operand(r)) ||
                          l->kind == SQL_E_COLUMN || r->kind == SQL_E_COLUMN)) {
            pr_s(p, "(");
            pr_expr(p, l);
            pr_s(p, cmp);
            pr_expr(p, r);
            pr_s(p, ")");
        } else {
            pr_call2(p, pr_cmp_fn(e->binary.op), l, r, NULL);
        }
        return;
    }
    switch (e->binary.op) {
    case SQL_OP_CONCAT:
        if (lt == SQL_TYPE_BYTEA && rt == SQL_TYPE_BYTEA) {
            /* SQLite's || makes text of its operands: the bytes are kept, made bytea again */
            pr_s(p, "CAST((");
            pr_expr(p, l);
            pr_s(p, " || ");
            pr_expr(p, r);
            pr_s(p, ") AS BLOB)");
            return;
        }
        pr_s(p, "(");
        pr_text_operand(p, l, lt);
        pr_s(p, " || ");
        pr_text_operand(p, r, rt);
        pr_s(p, ")");
        return;
    case SQL_OP_DISTINCT:
    case SQL_OP_NOT_DISTINCT:
        pr_s(p, "(");
        pr_expr(p, l);
        pr_s(p, e->binary.op == SQL_OP_DISTINCT ? " IS NOT " : " IS ");
        pr_expr(p, r);
        pr_s(p, ")");
        return;
    case SQL_OP_REGEX:
    case SQL_OP_IREGEX:
        pr_call2(p, "pg_regexp_like", l, r, e->binary.op == SQL_OP_IREGEX ? ", 'i'" : NULL);
        return;
    case SQL_OP_NREGEX:
    case SQL_OP_NIREGEX:
        pr_s(p, "(NOT ");
        pr_call2(p, "pg_regexp_like", l, r, e->binary.op == SQL_OP_NIREGEX ? ", 'i'" : NULL);
        pr_s(p, ")");
        return;
    case SQL_OP_BITAND:
    case SQL_OP_BITOR:
    case SQL_OP_SHL:
    case SQL_OP_SHR: {
        static const char *ops[] = {[SQL_OP_BITAND] = " & ", [SQL_OP_BITOR] = " | ",
                                    [SQL_OP_SHL] = " << ", [SQL_OP_SHR] = " >> "};
        pr_s(p, "(");
        pr_expr(p, l);
        pr_s(p, ops[e->binary.op]);
        pr_expr(p, r);
        pr_s(p, ")");
        return;
    }
    case SQL_OP_BITXOR:
        pr_s(p, "((");
        pr_expr(p, l);
        pr_s(p, " | ");
        pr_expr(p, r);
        pr_s(p, ") - (");
        pr_expr(p, l);
        pr_s(p, " & ");
        pr_expr(p, r);
        pr_s(p, "))");
        return;
    default:
        break;
    }
    const char *name = e->binary.op_name ? e->binary.op_name : "?";
    static const struct {
        const char *op, *fn;
    } json_ops[] = {{"->", "pg_json_get"},
                    {"->>", "pg_json_get_text"},
                    {"#>", "pg_json_path"},
                    {"#>>", "pg_json_path_text"},
                    {"^@", "pg_starts_with"}};
    for (size_t i = 0; i < sizeof json_ops / sizeof json_ops[0]; i++)
        if (strcmp(name, json_ops[i].op) == 0) {
            pr_call2(p, json_ops[i].fn, l, r, NULL);
            return;
        }
    pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "operator does not exist: %s", name);
}

static const char *pr_func_name(struct pr *p, const struct sql_expr *e, bool *agg)
{
    const struct sql_qname *n = &e->func.name;
    if (n->schema != NULL && strcmp(n->schema, "pg_catalog") != 0) {
        pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "function %s.%s does not exist", n->schema,
                n->name);
        return NULL;
    }
    int nargs = e->func.star ? 0 : (int)e->func.args.n;
    const char *fn;
    *agg = false;
    if (e->func.over != NULL) {
        fn = sql_func_lookup_window(n->name, nargs);
        *agg = true;
    } else {
        fn = p->o->func_lookup ? p->o->func_lookup(n->name, nargs, agg)
                               : sql_func_lookup(n->name, nargs, agg);
    }
    if (fn == NULL)
        pr_fail(p, ERR_NOTFOUND, "42883", e->loc,
                "function %s(%s) does not exist; no function matches the given name and "
                "number of arguments (%d)",
                n->name, nargs ? "..." : "", nargs);
    return fn;
}

static void pr_window(struct pr *p, const struct sql_window *w);

static bool pr_is_table_column(struct pr *p, const struct sql_expr *e);
static void pr_sort_suffix(struct pr *p, const struct sql_sort *so);

static const struct sql_expr *pr_output_ref(struct pr *p, const struct sql_select *q,
                                            const struct sql_expr *e);

/* The sort items of q (NULL: a window's), whose positions and result names stand for q's
 * targets. */
static void pr_sorts(struct pr *p, const struct sql_sorts *s, const struct sql_select *q)
{
    for (uint32_t i = 0; i < s->n && p->rc == 0; i++) {
        const struct sql_sort *so = &s->v[i];
        if (i > 0)
            pr_s(p, ", ");
        pr_expr(p, so->expr);
        /* a computed numeric is text without the column's collation: sort it as a number (also
         * when named by its position or result name) */
        const struct sql_expr *e =
            q != NULL && q->kind == SQL_SELECT_PLAIN ? pr_output_ref(p, q, so->expr) : so->expr;
        if (e->kind != SQL_E_CONST && pr_type_now(p, e) == SQL_TYPE_NUMERIC &&
            !pr_is_table_column(p, e))
            pr_s(p, " COLLATE pg_numeric");
        pr_sort_suffix(p, so);
    }
}

/* Types whose values SQLite holds as text that compares otherwise than PostgreSQL's values
 * (numerics, dates and times, intervals): the library's pg_eq compares them. */
static bool pr_compares_as_value(enum sql_type_kind k)
{
    return k == SQL_TYPE_NUMERIC || k == SQL_TYPE_INTERVAL || k == SQL_TYPE_DATE ||
           k == SQL_TYPE_TIMESTAMP || k == SQL_TYPE_TIMESTAMPTZ;
}

/* json_build_object / json_build_array and their jsonb twins. */
static bool pr_json_builder(const char *name)
{
    return strcmp(name, "json_build_object") == 0 || strcmp(name, "jsonb_build_object") == 0 ||
           strcmp(name, "json_build_array") == 0 || strcmp(name, "jsonb_build_array") == 0;
}

/* Functions whose first parameter is bytea alone (PostgreSQL has no text variant). */
static bool pr_bytea_first_arg(const char *name)
{
    static const char *const names[] = {"convert_from", "encode", "get_byte", "set_byte",
                                        "sha224",       "sha256", "sha384",   "sha512"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Aggregates whose result depends on the order of their rows: ORDER BY inside the call is
 * printed as pg_agg_ordered (the others ignore it, as their result does). */
static bool pr_agg_order_matters(const char *name)
{
    return strcmp(name, "string_agg") == 0 || strcmp(name, "array_agg") == 0;
}

/* The end of a pg_agg_ordered / pg_string_agg call for e: its ORDER BY keys each with its
 * flags (1 descending, 2 NULLs first), the closing parenthesis, its FILTER. */
static void pr_agg_keys_end(struct pr *p, const struct sql_expr *e)
{
    const struct sql_sorts *o = &e->func.agg_order;
    for (uint32_t i = 0; i < o->n && p->rc == 0; i++) {
        bool desc = o->v[i].dir == SQL_SORT_DESC;
        bool nulls_first = o->v[i].nulls == SQL_NULLS_FIRST ||
                           (o->v[i].nulls == SQL_NULLS_DEFAULT && desc);
        pr_s(p, ", ");
        pr_expr(p, o->v[i].expr);
        pr_f(p, ", %d", (desc ? 1 : 0) | (nulls_first ? 2 : 0));
    }
    pr_s(p, ")");
    if (e->func.filter != NULL) {
        pr_s(p, " FILTER (WHERE ");
        pr_expr(p, e->func.filter);
        pr_s(p, ")");
    }
}

/* agg(DISTINCT args ORDER BY keys) as pg_agg_ordered('agg', distinct, nargs, args...,
 * key, flags...) (sql_func_agg.c): flags 1 descending, 2 NULLs first. */
static void pr_agg_ordered(struct pr *p, const struct sql_expr *e)
{
    pr_s(p, "pg_agg_ordered(");
    pr_string(p, e->func.name.name, strlen(e->func.name.name));
    pr_f(p, ", %d, %u", e->func.distinct ? 1 : 0, e->func.args.n);
    for (uint32_t i = 0; i < e->func.args.n && p->rc == 0; i++) {
        pr_s(p, ", ");
        pr_expr(p, e->func.args.v[i]);
    }
    pr_agg_keys_end(p, e);
}

/* An aggregate call (without OVER) of the function library. */
static bool pr_is_aggregate(const struct pr *p, const struct sql_expr *e)
{
    if (e->kind != SQL_E_FUNC || e->func.over != NULL)
        return false;
    bool agg = false;
    int nargs = e->func.star ? 0 : (int)e->func.args.n;
    const char *fn = p->o->func_lookup ? p->o->func_lookup(e->func.name.name, nargs, &agg)
                                       : sql_func_lookup(e->func.name.name, nargs, &agg);
    return fn != NULL && agg;
}

struct pr_agg_search {
    const struct pr *p;
    const struct sql_expr *found;
};

static int pr_agg_search_fn(void *ctx, const struct sql_expr *e)
{
    struct pr_agg_search *a = ctx;
    if (pr_is_aggregate(a->p, e)) {
        a->found = e;
        return 1;
    }
    return sql_expr_children(e, pr_agg_search_fn, ctx);
}

/* The first aggregate call in e, not looking into subqueries (they aggregate for
 * themselves), or NULL. */
static const struct sql_expr *pr_find_aggregate(const struct pr *p, const struct sql_expr *e)
{
    struct pr_agg_search a = {.p = p};
    pr_agg_search_fn(&a, e);
    return a.found;
}

/* The JSON text of e's value as to_json gives it (PostgreSQL's JSON of its type), 'null' for
 * NULL: json and jsonb as they are, text quoted, booleans true / false, numbers bare. */
static void pr_json_value(struct pr *p, const struct sql_expr *e)
{
    enum sql_type_kind t = pr_type_now(p, e);
    pr_s(p, "coalesce(");
    if (t == SQL_TYPE_JSON || t == SQL_TYPE_JSONB) {
        pr_expr(p, e);
    } else if (t == SQL_TYPE_TEXT || t == SQL_TYPE_VARCHAR || t == SQL_TYPE_BPCHAR) {
        pr_s(p, "json_quote(");
        pr_expr(p, e);
        pr_s(p, ")");
    } else if (t == SQL_TYPE_BOOL) {
        pr_text_operand(p, e, SQL_TYPE_BOOL);
    } else {
        pr_s(p, "pg_to_json(");
        pr_expr(p, e);
        pr_s(p, ")");
    }
    pr_s(p, ", 'null')");
}

/* json_agg(x) and json_object_agg(k, v) (with ORDER BY, FILTER) as the string_agg of their
 * elements' JSON between brackets, in PostgreSQL's layout: [1, 2] and { "k" : v, ... }. */
static void pr_json_agg(struct pr *p, const struct sql_expr *e, bool object)
{
    const struct sql_sorts *o = &e->func.agg_order;
    pr_s(p, object ? "('{ ' || " : "('[' || ");
    pr_s(p, o->n > 0 ? "pg_agg_ordered('string_agg', 0, 2, " : "pg_string_agg(");
    if (object) {
        pr_s(p, "json_quote(pg_cast(");
        pr_expr(p, e->func.args.v[0]);
        pr_s(p, ", 'text')) || ' : ' || ");
        pr_json_value(p, e->func.args.v[1]);
    } else {
        pr_json_value(p, e->func.args.v[0]);
    }
    pr_s(p, ", ', '");
    pr_agg_keys_end(p, e);
    pr_s(p, object ? " || ' }')" : " || ']')");
}

static void pr_func(struct pr *p, const struct sql_expr *e)
{
    const char *nm = e->func.name.name;
    bool json_list = strcmp(nm, "json_agg") == 0 && e->func.args.n == 1;
    bool json_object = strcmp(nm, "json_object_agg") == 0 && e->func.args.n == 2;
    if ((json_list || json_object) && e->func.over == NULL && !e->func.distinct &&
        !e->func.within_group && e->func.name.schema == NULL) {
        pr_json_agg(p, e, json_object);
        return;
    }
    bool agg;
    const char *fn = pr_func_name(p, e, &agg);
    if (fn == NULL)
        return;
    if (strcmp(nm, "nullif") == 0 && e->func.args.n == 2 && e->func.over == NULL) {
        enum sql_type_kind a = pr_type_now(p, e->func.args.v[0]);
        enum sql_type_kind b = pr_type_now(p, e->func.args.v[1]);
        if (pr_compares_as_value(a) || pr_compares_as_value(b)) {
            /* SQLite's nullif compares storage: '0.00' is not 0 */
            pr_s(p, "CASE WHEN ");
            pr_call2(p, "pg_eq", e->func.args.v[0], e->func.args.v[1], NULL);
            pr_s(p, " THEN NULL ELSE ");
            pr_expr(p, e->func.args.v[0]);
            pr_s(p, " END");
            return;
        }
    }
    /* POSITION(a IN b) is parsed as position(b, a), PostgreSQL's textpos, which is strpos */
    if (strcmp(nm, "position") == 0 && e->func.args.n == 2 && e->func.over == NULL)
        fn = "pg_strpos";
    if (e->func.agg_order.n > 0 && !e->func.within_group && e->func.over == NULL &&
        pr_agg_order_matters(nm)) {
        pr_agg_ordered(p, e);
        return;
    }
    if (e->func.agg_order.n > 0 && !e->func.within_group && e->func.over != NULL) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc,
                "ORDER BY inside %s(...) OVER (...) is not supported yet", nm);
        return;
    }
    if (e->func.within_group) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc, "WITHIN GROUP is not supported yet");
        return;
    }
    for (uint32_t i = 0; agg && e->func.over == NULL && i < e->func.args.n; i++) {
        const struct sql_expr *inner = pr_find_aggregate(p, e->func.args.v[i]);
        if (inner != NULL) {
            pr_fail(p, ERR_MALFORMED, "42803", inner->loc,
                    "aggregate function calls cannot be nested");
            return;
        }
    }
    bool plain = e->func.over == NULL && e->func.name.schema == NULL && !e->func.star &&
                 e->func.args.n == 1;
    if (plain && (strcmp(nm, "to_json") == 0 || strcmp(nm, "to_jsonb") == 0) &&
        pr_type_now(p, e->func.args.v[0]) == SQL_TYPE_BOOL) {
        /* SQLite holds a boolean as 1 / 0: its JSON is true / false */
        pr_s(p, "CASE ");
        pr_expr(p, e->func.args.v[0]);
        pr_s(p, " WHEN 1 THEN 'true' WHEN 0 THEN 'false' END");
        return;
    }
    /* abs(integer) is checked against integer's range; length(character) does not count the
     * padding */
    enum sql_type_kind res = plain && strcmp(nm, "abs") == 0 ? pr_type_now(p, e) : SQL_TYPE_UNKNOWN;
    bool narrow = res == SQL_TYPE_INT4 || res == SQL_TYPE_INT2;
    bool unpad = plain && (strcmp(nm, "length") == 0 || strcmp(nm, "char_length") == 0 ||
                           strcmp(nm, "character_length") == 0);
    if (narrow)
        pr_s(p, "pg_cast(");
    pr_s(p, fn);
    pr_s(p, "(");
    if (e->func.distinct)
        pr_s(p, "DISTINCT ");
    if (e->func.star)
        pr_s(p, "*");
    else if (unpad)
        pr_text_operand(p, e->func.args.v[0], pr_type_now(p, e->func.args.v[0]));
    else if (e->func.args.n > 0 && pr_is_untyped(e->func.args.v[0]) &&
             e->func.args.v[0]->konst.kind == SQL_CONST_STRING && pr_bytea_first_arg(nm)) {
        /* a string literal where only bytea is taken reads as bytea input ('\x41') */
        pr_s(p, "pg_cast(");
        pr_expr(p, e->func.args.v[0]);
        pr_s(p, ", 'bytea')");
        for (uint32_t i = 1; i < e->func.args.n; i++) {
            pr_s(p, ", ");
            pr_expr(p, e->func.args.v[i]);
        }
    } else if (pr_json_builder(nm)) {
        /* a boolean is JSON's true / false and a json value goes in as JSON, not as a string */
        for (uint32_t i = 0; i < e->func.args.n && p->rc == 0; i++) {
            enum sql_type_kind t = pr_type_now(p, e->func.args.v[i]);
            const char *wrap = t == SQL_TYPE_BOOL                          ? "pg_json_bool("
                               : t == SQL_TYPE_JSON || t == SQL_TYPE_JSONB ? "pg_json_raw("
                                                                           : NULL;
            pr_s(p, i ? ", " : "");
            pr_s(p, wrap ? wrap : "");
            pr_expr(p, e->func.args.v[i]);
            pr_s(p, wrap ? ")" : "");
        }
    } else {
        pr_exprs(p, &e->func.args);
    }
    pr_s(p, ")");
    if (narrow)
        pr_s(p, res == SQL_TYPE_INT4 ? ", 'int4')" : ", 'int2')");
    if (e->func.filter != NULL) {
        pr_s(p, " FILTER (WHERE ");
        pr_expr(p, e->func.filter);
        pr_s(p, ")");
    }
    if (e->func.over != NULL) {
        pr_s(p, " OVER ");
        bool lits = pr_lits_set(p, false); /* frame offsets must be literals */
        pr_window(p, e->func.over);
        pr_lits_set(p, lits);
    }
}

static void pr_frame_bound(struct pr *p, const struct sql_frame_bound *b)
{
    switch (b->kind) {
    case SQL_BOUND_UNBOUNDED_PRECEDING: pr_s(p, "UNBOUNDED PRECEDING"); break;
    case SQL_BOUND_UNBOUNDED_FOLLOWING: pr_s(p, "UNBOUNDED FOLLOWING"); break;
    case SQL_BOUND_CURRENT_ROW: pr_s(p, "CURRENT ROW"); break;
    case SQL_BOUND_PRECEDING:
        pr_expr(p, b->offset);
        pr_s(p, " PRECEDING");
        break;
    case SQL_BOUND_FOLLOWING:
        pr_expr(p, b->offset);
        pr_s(p, " FOLLOWING");
        break;
    }
}

static void pr_window(struct pr *p, const struct sql_window *w)
{
    if (w->ref != NULL && w->partition_by.n == 0 && w->order_by.n == 0 &&
        w->frame == SQL_FRAME_NONE) {
        pr_ident(p, w->ref);
        return;
    }
    pr_s(p, "(");
    if (w->ref != NULL) {
        pr_ident(p, w->ref);
        pr_s(p, " ");
    }
    if (w->partition_by.n > 0) {
        pr_s(p, "PARTITION BY ");
        pr_exprs(p, &w->partition_by);
        pr_s(p, " ");
    }
    if (w->order_by.n > 0) {
        pr_s(p, "ORDER BY ");
        pr_sorts(p, &w->order_by, NULL);
        pr_s(p, " ");
    }
    if (w->frame != SQL_FRAME_NONE) {
        pr_s(p, w->frame == SQL_FRAME_ROWS ? "ROWS " : w->frame == SQL_FRAME_RANGE ? "RANGE "
                                                                                   : "GROUPS ");
        if (w->frame_between) {
            pr_s(p, "BETWEEN ");
            pr_frame_bound(p, &w->start);
            pr_s(p, " AND ");
            pr_frame_bound(p, &w->end);
        } else {
            pr_frame_bound(p, &w->start);
        }
        static const char *excl[] = {"", " EXCLUDE CURRENT ROW", " EXCLUDE GROUP",
                                     " EXCLUDE TIES"};
        pr_s(p, excl[w->exclude]);
    }
    pr_s(p, ")");
}

static void pr_svf(struct pr *p, const struct sql_expr *e)
{
    const char *user = p->o->current_user;
    switch (e->svf.kind) {
    case SQL_SVF_CURRENT_DATE: pr_s(p, "pg_current_date()"); return;
    case SQL_SVF_CURRENT_TIMESTAMP: pr_s(p, "pg_now()"); return;
    case SQL_SVF_LOCALTIMESTAMP: pr_s(p, "pg_localtimestamp()"); return;
    case SQL_SVF_CURRENT_TIME: pr_s(p, "pg_cast(pg_now(), 'timetz')"); return;
    case SQL_SVF_LOCALTIME: pr_s(p, "pg_cast(pg_localtimestamp(), 'time')"); return;
    case SQL_SVF_CURRENT_CATALOG: pr_s(p, "'cairn'"); return;
    case SQL_SVF_CURRENT_SCHEMA: pr_s(p, "'public'"); return;
    default:
        if (user != NULL)
            pr_string(p, user, strlen(user));
        else
            pr_s(p, "'postgres'");
        return;
    }
}

/* A literal as the next parameter, when allowed here and there is room: true if printed. */
static bool pr_const_param(struct pr *p, const struct sql_expr *e)
{
    struct sql_printed *out = p->printed;
    bool kind = e->konst.kind == SQL_CONST_INT || e->konst.kind == SQL_CONST_NUMERIC ||
                e->konst.kind == SQL_CONST_STRING;
    if (!p->lits || !kind || out == NULL || p->o->literal_params_from == 0 ||
        out->n_lits >= SQL_LITERAL_PARAMS_MAX || p->rc != 0)
        return false;
    if (out->lits == NULL) {
        out->lits = calloc(SQL_LITERAL_PARAMS_MAX, sizeof *out->lits);
        if (out->lits == NULL)
            return false;
    }
    struct sql_literal *l = &out->lits[out->n_lits];
    l->is_int = e->konst.kind == SQL_CONST_INT;
    l->ival = e->konst.ival;
    l->text = e->konst.text;
    l->len = e->konst.kind == SQL_CONST_STRING ? e->konst.len : strlen(e->konst.text);
    pr_f(p, "?%u", p->o->literal_params_from + out->n_lits);
    out->n_lits++;
    return true;
}

static void pr_const(struct pr *p, const struct sql_expr *e)
{
    if (e->konst.kind == SQL_CONST_NUMERIC) {
        pr_s(p, "pg_numeric(");
        if (!pr_const_param(p, e))
            pr_string(p, e->konst.text, strlen(e->konst.text));
        pr_s(p, ")");
        return;
    }
    if (pr_const_param(p, e))
        return;
    switch (e->konst.kind) {
    case SQL_CONST_INT: pr_f(p, "%lld", (long long)e->konst.ival); return;
    case SQL_CONST_NUMERIC: return; /* above */
    case SQL_CONST_STRING: pr_string(p, e->konst.text, e->konst.len); return;
    case SQL_CONST_BITS:
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc, "bit strings are not supported");
        return;
    case SQL_CONST_BOOL: pr_s(p, e->konst.bval ? "1" : "0"); return;
    case SQL_CONST_NULL: pr_s(p, "NULL"); return;
    }
}

static const char *pr_from_alias(const struct sql_from *f);
static int pr_from_col_names(struct pr *p, const struct sql_from *f, const char **names,
                             int max);

/* Whether FROM item f (or one joined in it) is called qual. */
static bool pr_from_named(const struct sql_from *f, const char *qual)
{
    if (f->kind == SQL_FROM_JOIN)
        return pr_from_named(f->join.left, qual) || pr_from_named(f->join.right, qual);
    const char *alias = pr_from_alias(f);
    return alias != NULL && strcmp(alias, qual) == 0;
}

static const struct sql_cte *pr_scope_cte(const struct pr *p, const struct sql_qname *q);
static bool pr_table_cols(struct pr *p, const struct sql_qname *q,
                          const struct sql_table_column **cols, uint32_t *n);

/* Whether FROM item f has a column col: 1, 0, or -1 when its columns are not known. */
static int pr_from_has_col(struct pr *p, const struct sql_from *f, const char *col)
{
    if (f->kind == SQL_FROM_JOIN) {
        int a = pr_from_has_col(p, f->join.left, col);
        int b = a == 1 ? 1 : pr_from_has_col(p, f->join.right, col);
        return a == 1 || b == 1 ? 1 : a < 0 || b < 0 ? -1 : 0;
    }
    if (pr_from_named(f, col))
        return -1; /* a whole-row reference: not judged */
    if (f->kind == SQL_FROM_FUNC) {
        const char *name = f->alias.cols.n ? f->alias.cols.v[0] : pr_from_alias(f);
        return strcmp(name, col) == 0 ? 1 : f->alias.cols.n <= 1 ? 0 : -1;
    }
    if (f->kind == SQL_FROM_TABLE && pr_scope_cte(p, &f->table) == NULL) {
        const struct sql_table_column *tc; /* a table's: no list to make */
        uint32_t n;
        if (!pr_table_cols(p, &f->table, &tc, &n))
            return -1;
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(tc[i].name, col) == 0)
                return 1;
        return 0;
    }
    const char **names = malloc(SQL_COLUMNS_MAX * sizeof *names);
    if (names == NULL)
        return -1;
    int n = pr_from_col_names(p, f, names, SQL_COLUMNS_MAX);
    int found = n < 0 ? -1 : 0;
    for (int i = 0; i < n && found == 0; i++)
        found = strcmp(names[i], col) == 0;
    free(names);
    return found;
}

/* PostgreSQL's name resolution of a column reference among the FROM items in scope: a
 * qualifier that names none is 42P01, a column none has is 42703. Judged only where every
 * item's columns are known. */
static void pr_check_column(struct pr *p, const struct sql_expr *e)
{
    if (!p->check_cols || p->scopes == NULL || e->column.star || e->column.nparts == 0 ||
        e->column.nparts > 2)
        return;
    if (e->column.nparts == 2) {
        const char *qual = e->column.parts[0];
        if (strcmp(qual, "excluded") == 0)
            return;
        for (const struct pr_scope *sc = p->scopes; sc != NULL; sc = sc->up)
            for (uint32_t i = 0; sc->from != NULL && i < sc->from->n; i++)
                if (pr_from_named(sc->from->v[i], qual))
                    return;
        pr_fail(p, ERR_NOTFOUND, "42P01", e->loc, "missing FROM-clause entry for table \"%s\"",
                qual);
        return;
    }
    const char *col = e->column.parts[0];
    if (strncmp(col, "__", 2) == 0)
        return; /* the executor's hidden columns ("__bucket") */
    for (const struct pr_scope *sc = p->scopes; sc != NULL; sc = sc->up)
        for (uint32_t i = 0; sc->from != NULL && i < sc->from->n; i++)
            if (pr_from_has_col(p, sc->from->v[i], col) != 0)
                return; /* there, or not known */
    pr_fail(p, ERR_NOTFOUND, "42703", e->loc, "column \"%s\" does not exist", col);
}

static void pr_column(struct pr *p, const struct sql_expr *e)
{
    if (p->returning_target != NULL && e->column.nparts == 2 && !e->column.star &&
        strcmp(e->column.parts[0], p->returning_target) == 0) {
        pr_ident(p, e->column.parts[1]);
        return;
    }
    pr_check_column(p, e);
    for (uint32_t i = 0; i < e->column.nparts; i++) {
        if (i > 0)
            pr_s(p, ".");
        /* excluded.col of an upsert is SQLite's lower-case excluded */
        pr_ident(p, e->column.parts[i]);
    }
    if (e->column.star)
        pr_s(p, e->column.nparts ? ".*" : "*");
}

/* x op ANY / ALL (subquery or ARRAY[...]) for an op that is no IN: over a list, the OR / AND
 * of the comparisons (SQL's three-valued logic is the quantifier's); over a subquery, the same
 * folded over its rows: ANY is true when a comparison is, else NULL when one is NULL, else
 * false; ALL is false when one is, else NULL when one is NULL, else true (so on no rows). */
static void pr_quantified(struct pr *p, const struct sql_expr *e)
{
    const char *fn = pr_cmp_fn(e->quant.op);
    bool all = e->quant.all;
    if (e->quant.array != NULL) {
        const struct sql_exprs *l = &e->quant.array->list;
        if (l->n == 0) {
            pr_s(p, all ? "1" : "0");
            return;
        }
        pr_s(p, "(");
        for (uint32_t i = 0; i < l->n && p->rc == 0; i++) {
            if (i)
                pr_s(p, all ? " AND " : " OR ");
            pr_call2(p, fn, e->quant.left, l->v[i], NULL);
        }
        pr_s(p, ")");
        return;
    }
    const char *col = NULL;
    const struct sql_select *q = e->quant.subquery;
    while (q->kind == SQL_SELECT_SETOP)
        q = q->left;
    if (q->kind == SQL_SELECT_VALUES)
        col = "column1";
    else if (pr_select_col_names(q, NULL, &col, 1) != 1)
        col = NULL;
    if (col == NULL) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc,
                "%s ALL / ANY over a subquery of more than one column or a * is not supported",
                e->quant.op_name ? e->quant.op_name : "");
        return;
    }
    pr_s(p, all ? "(SELECT CASE WHEN min(\"__v\") = 0 THEN 0 WHEN max(\"__v\" IS NULL) = 1 THEN "
                  "NULL ELSE 1 END FROM (SELECT "
                : "(SELECT CASE WHEN max(\"__v\") = 1 THEN 1 WHEN max(\"__v\" IS NULL) = 1 THEN "
                  "NULL ELSE 0 END FROM (SELECT ");
    /* x is evaluated where only "__c" is in scope, so that its own columns still name the
     * outer query's (the subquery's output may share their names) */
    pr_s(p, fn);
    pr_s(p, "(");
    pr_expr(p, e->quant.left);
    pr_s(p, ", \"__q\".\"__c\") AS \"__v\" FROM (SELECT \"__s\".");
    pr_ident(p, col);
    pr_s(p, " AS \"__c\" FROM (");
    pr_select(p, e->quant.subquery, false, NULL);
    pr_s(p, ") AS \"__s\") AS \"__q\"))");
}

/* Whether q gives at most one row whatever the data: an aggregate without GROUP BY, or a
 * LIMIT of 0 or 1. */
static bool pr_one_row(const struct pr *p, const struct sql_select *q)
{
    if (q->limit != NULL && q->limit->kind == SQL_E_CONST &&
        q->limit->konst.kind == SQL_CONST_INT && q->limit->konst.ival <= 1)
        return true;
    if (q->kind != SQL_SELECT_PLAIN || q->group_by.n > 0 || q->targets.n == 0)
        return false;
    for (uint32_t i = 0; i < q->targets.n; i++)
        if (pr_find_aggregate(p, q->targets.v[i].expr) != NULL)
            return true;
    return false;
}

/* A scalar subquery that may give more rows: (SELECT pg_single(count(*), min(c)) FROM
 * (SELECT * FROM (q) LIMIT 2)), 21000 on a second row as PostgreSQL. False (nothing printed)
 * when it cannot give two rows or its column has no name to refer to. */
static bool pr_scalar_checked(struct pr *p, const struct sql_select *q)
{
    const char *col = NULL;
    if (pr_one_row(p, q) || pr_select_col_names(q, NULL, &col, 1) != 1)
        return false;
    pr_s(p, "(SELECT pg_single(count(*), min(\"__s\".");
    pr_ident(p, col);
    pr_s(p, ")) FROM (SELECT * FROM (");
    pr_select(p, q, false, NULL);
    pr_s(p, ") LIMIT 2) AS \"__s\")");
    return true;
}

/* x SIMILAR TO 'pattern' as a regular expression match, the pattern converted as
 * PostgreSQL's similar_to_escape does: % is .*, _ is ., the escape character (\ unless ESCAPE
 * says) quotes the next one, . ^ $ are literal, the rest (| * + ? {} () [...]) keeps its regex
 * meaning, and the whole string must match. Only a literal pattern (and escape) is taken. */
static void pr_similar(struct pr *p, const struct sql_expr *e)
{
    const struct sql_expr *pat = e->like.pattern, *esc = e->like.escape;
    if (pat->kind != SQL_E_CONST || pat->konst.kind != SQL_CONST_STRING ||
        (esc != NULL && (esc->kind != SQL_E_CONST || esc->konst.kind != SQL_CONST_STRING ||
                         esc->konst.len > 1))) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc,
                "SIMILAR TO is supported with a literal pattern only");
        return;
    }
    char ec = esc == NULL ? '\\' : esc->konst.len == 1 ? esc->konst.text[0] : 0;
    struct buf re = BUF_INIT;
    int rc = buf_printf(&re, "^(");
    bool in_class = false;
    for (size_t i = 0; i < pat->konst.len && rc == 0; i++) {
        char c = pat->konst.text[i];
        if (ec != 0 && c == ec && i + 1 < pat->konst.len) {
            char n = pat->konst.text[++i];
            rc = strchr(".^$*+?()[]{}|\\", n) ? buf_printf(&re, "\\%c", n)
                                               : buf_append_u8(&re, (uint8_t)n);
        } else if (in_class) {
            in_class = c != ']';
            rc = buf_append_u8(&re, (uint8_t)c);
        } else if (c == '[') {
            in_class = true;
            rc = buf_append_u8(&re, (uint8_t)c);
        } else if (c == '%') {
            rc = buf_printf(&re, ".*");
        } else if (c == '_') {
            rc = buf_printf(&re, ".");
        } else if (c == '.' || c == '^' || c == '$') {
            rc = buf_printf(&re, "\\%c", c);
        } else {
            rc = buf_append_u8(&re, (uint8_t)c);
        }
    }
    if (rc == 0)
        rc = buf_printf(&re, ")$");
    if (rc != 0) {
        buf_free(&re);
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return;
    }
    pr_s(p, "pg_regexp_like(");
    pr_expr(p, e->like.arg);
    pr_s(p, ", ");
    pr_string(p, (const char *)re.data, re.len);
    pr_s(p, ")");
    buf_free(&re);
}

static void pr_expr(struct pr *p, const struct sql_expr *e)
{
    if (!pr_enter(p)) {
        pr_leave(p);
        return;
    }
    switch (e->kind) {
    case SQL_E_CONST: pr_const(p, e); break;
    case SQL_E_COLUMN: pr_column(p, e); break;
    case SQL_E_PARAM: pr_f(p, "?%d", e->param.number); break;
    case SQL_E_UNARY:
        if (e->unary.op == SQL_OP_NEG) {
            enum sql_type_kind t = pr_type_now(p, e);
            bool narrow = t == SQL_TYPE_INT4 || t == SQL_TYPE_INT2;
            if (narrow)
                pr_s(p, "pg_cast(");
            pr_call2(p, "pg_neg", e->unary.arg, NULL, NULL);
            if (narrow)
                pr_s(p, t == SQL_TYPE_INT4 ? ", 'int4')" : ", 'int2')");
        } else if (e->unary.op == SQL_OP_PLUS) {
            pr_expr(p, e->unary.arg);
        } else if (e->unary.op == SQL_OP_BITNOT) {
            pr_s(p, "(~");
            pr_expr(p, e->unary.arg);
            pr_s(p, ")");
        } else if (e->unary.op_name && (strcmp(e->unary.op_name, "@") == 0 ||
                                        strcmp(e->unary.op_name, "|/") == 0)) {
            bool agg;
            const char *fn = sql_func_lookup(e->unary.op_name[0] == '@' ? "abs" : "sqrt", 1, &agg);
            pr_call2(p, fn ? fn : "abs", e->unary.arg, NULL, NULL);
        } else {
            pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "operator does not exist: %s",
                    e->unary.op_name ? e->unary.op_name : "?");
        }
        break;
    case SQL_E_BINARY: pr_binary(p, e); break;
    case SQL_E_AND:
    case SQL_E_OR:
        pr_s(p, "(");
        for (uint32_t i = 0; i < e->list.n && p->rc == 0; i++) {
            if (i > 0)
                pr_s(p, e->kind == SQL_E_AND ? " AND " : " OR ");
            pr_expr(p, e->list.v[i]);
        }
        pr_s(p, ")");
        break;
    case SQL_E_NOT:
        pr_s(p, "(NOT ");
        pr_expr(p, e->unary.arg);
        pr_s(p, ")");
        break;
    case SQL_E_IS: {
        static const char *tests[] = {" IS NULL",     " IS NOT NULL", " IS TRUE",  " IS NOT TRUE",
                                      " IS FALSE",    " IS NOT FALSE", " IS NULL", " IS NOT NULL"};
        bool null_test = e->is.test == SQL_IS_NULL || e->is.test == SQL_IS_NOT_NULL ||
                         e->is.test == SQL_IS_UNKNOWN || e->is.test == SQL_IS_NOT_UNKNOWN;
        if (null_test && p->returning_target != NULL) {
            /* SQLite 3.40 answers "col IS NULL" in an INSERT's RETURNING wrongly for a
             * column the INSERT left out; typeof reads the value itself */
            bool is_null = e->is.test == SQL_IS_NULL || e->is.test == SQL_IS_UNKNOWN;
            pr_s(p, "(typeof(");
            pr_expr(p, e->is.arg);
            pr_s(p, is_null ? ") = 'null')" : ") <> 'null')");
            break;
        }
        pr_s(p, "(");
        pr_expr(p, e->is.arg);
        pr_s(p, tests[e->is.test]);
        pr_s(p, ")");
        break;
    }
    case SQL_E_BETWEEN:
        pr_s(p, e->between.negated ? "(NOT (" : "((");
        pr_expr(p, e->between.arg);
        pr_s(p, " BETWEEN ");
        pr_expr(p, e->between.low);
        pr_s(p, " AND ");
        pr_expr(p, e->between.high);
        if (e->between.symmetric) {
            pr_s(p, " OR ");
            pr_expr(p, e->between.arg);
            pr_s(p, " BETWEEN ");
            pr_expr(p, e->between.high);
            pr_s(p, " AND ");
            pr_expr(p, e->between.low);
        }
        pr_s(p, "))");
        break;
    case SQL_E_IN:
        pr_s(p, "(");
        pr_expr(p, e->in.arg);
        pr_s(p, e->in.negated ? " NOT IN (" : " IN (");
        if (e->in.subquery != NULL)
            pr_select(p, e->in.subquery, false, NULL);
        else
            pr_exprs(p, &e->in.list);
        pr_s(p, "))");
        break;
    case SQL_E_LIKE:
        if (e->like.negated)
            pr_s(p, "(NOT ");
        if (e->like.kind == SQL_LIKE) {
            pr_s(p, "(");
            pr_expr(p, e->like.arg);
            pr_s(p, " LIKE ");
            pr_expr(p, e->like.pattern);
            pr_s(p, " ESCAPE ");
            if (e->like.escape)
                pr_expr(p, e->like.escape);
            else
                pr_s(p, "'\\'");
            pr_s(p, ")");
        } else if (e->like.kind == SQL_ILIKE) {
            pr_s(p, "pg_ilike(");
            pr_expr(p, e->like.arg);
            pr_s(p, ", ");
            pr_expr(p, e->like.pattern);
            if (e->like.escape) {
                pr_s(p, ", ");
                pr_expr(p, e->like.escape);
            }
            pr_s(p, ")");
        } else {
            pr_similar(p, e);
        }
        if (e->like.negated)
            pr_s(p, ")");
        break;
    case SQL_E_QUANTIFIED: {
        bool eq_any = e->quant.op == SQL_OP_EQ && !e->quant.all;
        bool ne_all = e->quant.op == SQL_OP_NE && e->quant.all;
        const struct sql_expr *arr = e->quant.array;
        if (!eq_any && !ne_all && pr_cmp_fn(e->quant.op) != NULL &&
            (arr == NULL || arr->kind == SQL_E_ARRAY)) {
            pr_quantified(p, e);
            break;
        }
        if ((!eq_any && !ne_all) ||
            (arr != NULL && arr->kind != SQL_E_ARRAY)) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc,
                    "only = ANY and <> ALL over a subquery or an ARRAY[...] list are supported");
            break;
        }
        pr_s(p, "(");
        pr_expr(p, e->quant.left);
        pr_s(p, ne_all ? " NOT IN (" : " IN (");
        if (e->quant.subquery != NULL)
            pr_select(p, e->quant.subquery, false, NULL);
        else
            pr_exprs(p, &arr->list);
        pr_s(p, "))");
        break;
    }
    case SQL_E_SUBLINK:
        if (e->sublink.kind == SQL_SUBLINK_ARRAY) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc, "ARRAY(subquery) is not supported");
            break;
        }
        if (e->sublink.kind == SQL_SUBLINK_EXPR && pr_scalar_checked(p, e->sublink.subquery))
            break;
        pr_s(p, e->sublink.kind == SQL_SUBLINK_EXISTS ? "EXISTS (" : "(");
        pr_select(p, e->sublink.subquery, false, NULL);
        pr_s(p, ")");
        break;
    case SQL_E_CAST:
        if (pr_is_untyped(e->cast.arg) && e->cast.type.array_dims == 0)
            pr_check_literal(p, e->cast.arg, e->cast.type.kind);
        pr_s(p, "pg_cast(");
        if (e->cast.type.kind == SQL_TYPE_TEXT || e->cast.type.kind == SQL_TYPE_VARCHAR)
            pr_text_operand(p, e->cast.arg, pr_type_now(p, e->cast.arg));
        else
            pr_expr(p, e->cast.arg);
        pr_s(p, ", ");
        pr_type_text(p, &e->cast.type);
        pr_s(p, ", 1)");
        break;
    case SQL_E_CASE:
        pr_s(p, "CASE");
        if (e->kase.arg != NULL) {
            pr_s(p, " ");
            pr_expr(p, e->kase.arg);
        }
        for (uint32_t i = 0; i < e->kase.nwhens && p->rc == 0; i++) {
            pr_s(p, " WHEN ");
            pr_expr(p, e->kase.whens[i].cond);
            pr_s(p, " THEN ");
            pr_expr(p, e->kase.whens[i].result);
        }
        if (e->kase.else_result != NULL) {
            pr_s(p, " ELSE ");
            pr_expr(p, e->kase.else_result);
        }
        pr_s(p, " END");
        break;
    case SQL_E_FUNC: pr_func(p, e); break;
    case SQL_E_SVF: pr_svf(p, e); break;
    case SQL_E_ROW:
        pr_s(p, "(");
        pr_exprs(p, &e->list);
        pr_s(p, ")");
        break;
    case SQL_E_ARRAY:
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc, "arrays are not supported yet");
        break;
    case SQL_E_SUBSCRIPT:
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc, "array subscripts are not supported yet");
        break;
    case SQL_E_COLLATE: {
        const char *c = e->collate.collation.name;
        pr_s(p, "(");
        pr_expr(p, e->collate.arg);
        if (c != NULL && (strcmp(c, "C") == 0 || strcmp(c, "POSIX") == 0))
            pr_s(p, " COLLATE BINARY");
        pr_s(p, ")");
        break;
    }
    case SQL_E_DEFAULT:
        pr_fail(p, ERR_UNSUPPORTED, "0A000", e->loc,
                "DEFAULT is supported only as a whole VALUES item of INSERT for now");
        break;
    }
    pr_leave(p);
}

/* ---- result columns: PostgreSQL's names (FigureColname) and what the AST says of types ---- */

static const char *pr_colname(const struct sql_expr *e)
{
    switch (e->kind) {
    case SQL_E_COLUMN:
        return e->column.nparts ? e->column.parts[e->column.nparts - 1] : "?column?";
    case SQL_E_FUNC:
        return e->func.name.name;
    case SQL_E_CAST: {
        /* FigureColname: a cast takes its argument's name when that is a strong one (a
         * column, a function...), not when it is only another cast's type name */
        const struct sql_expr *arg = e->cast.arg;
        while (arg->kind == SQL_E_CAST || arg->kind == SQL_E_COLLATE)
            arg = arg->kind == SQL_E_CAST ? arg->cast.arg : arg->collate.arg;
        const char *inner = pr_colname(arg);
        if (strcmp(inner, "?column?") != 0)
            return inner;
        if (e->cast.type.kind == SQL_TYPE_OTHER && e->cast.type.name)
            return e->cast.type.name;
        return sql_type_kind_name(e->cast.type.kind);
    }
    case SQL_E_CASE: return "case";
    case SQL_E_SUBLINK:
        if (e->sublink.kind == SQL_SUBLINK_EXISTS)
            return "exists";
        if (e->sublink.kind == SQL_SUBLINK_ARRAY)
            return "array";
        {
            const struct sql_select *q = e->sublink.subquery;
            while (q->kind == SQL_SELECT_SETOP)
                q = q->left;
            if (q->kind == SQL_SELECT_PLAIN && q->targets.n > 0)
                return q->targets.v[0].alias ? q->targets.v[0].alias
                                             : pr_colname(q->targets.v[0].expr);
        }
        return "?column?";
    case SQL_E_ROW: return "row";
    case SQL_E_ARRAY: return "array";
    case SQL_E_COLLATE: return pr_colname(e->collate.arg);
    case SQL_E_SVF: {
        static const char *names[] = {
            [SQL_SVF_CURRENT_DATE] = "current_date", [SQL_SVF_CURRENT_TIME] = "current_time",
            [SQL_SVF_CURRENT_TIMESTAMP] = "current_timestamp", [SQL_SVF_LOCALTIME] = "localtime",
            [SQL_SVF_LOCALTIMESTAMP] = "localtimestamp", [SQL_SVF_CURRENT_ROLE] = "current_role",
            [SQL_SVF_CURRENT_USER] = "current_user", [SQL_SVF_USER] = "current_user",
            [SQL_SVF_SESSION_USER] = "session_user", [SQL_SVF_CURRENT_CATALOG] = "current_catalog",
            [SQL_SVF_CURRENT_SCHEMA] = "current_schema"};
        return names[e->svf.kind];
    }
    default:
        return "?column?";
    }
}

static enum sql_type_kind pr_coltype(const struct sql_expr *e)
{
    switch (e->kind) {
    case SQL_E_CONST:
        switch (e->konst.kind) {
        case SQL_CONST_INT:
            return e->konst.ival >= INT32_MIN && e->konst.ival <= INT32_MAX ? SQL_TYPE_INT4
                                                                           : SQL_TYPE_INT8;
        case SQL_CONST_NUMERIC: return SQL_TYPE_NUMERIC;
        case SQL_CONST_STRING: return SQL_TYPE_TEXT;
        case SQL_CONST_BOOL: return SQL_TYPE_BOOL;
        default: return SQL_TYPE_UNKNOWN;
        }
    case SQL_E_CAST: return e->cast.type.array_dims ? SQL_TYPE_TEXT : e->cast.type.kind;
    case SQL_E_AND:
    case SQL_E_OR:
    case SQL_E_NOT:
    case SQL_E_IS:
    case SQL_E_BETWEEN:
    case SQL_E_IN:
    case SQL_E_LIKE:
    case SQL_E_QUANTIFIED:
        return SQL_TYPE_BOOL;
    case SQL_E_BINARY:
        if (pr_cmp_sqlite(e->binary.op) != NULL || e->binary.op == SQL_OP_DISTINCT ||
            e->binary.op == SQL_OP_NOT_DISTINCT || e->binary.op == SQL_OP_REGEX ||
            e->binary.op == SQL_OP_NREGEX || e->binary.op == SQL_OP_IREGEX ||
            e->binary.op == SQL_OP_NIREGEX)
            return SQL_TYPE_BOOL;
        return SQL_TYPE_UNKNOWN;
    case SQL_E_SUBLINK: return e->sublink.kind == SQL_SUBLINK_EXISTS ? SQL_TYPE_BOOL
                                                                     : SQL_TYPE_UNKNOWN;
    case SQL_E_FUNC:
        if (strcmp(e->func.name.name, "count") == 0)
            return SQL_TYPE_INT8;
        return SQL_TYPE_UNKNOWN;
    case SQL_E_SVF:
        switch (e->svf.kind) {
        case SQL_SVF_CURRENT_DATE: return SQL_TYPE_DATE;
        case SQL_SVF_CURRENT_TIMESTAMP: return SQL_TYPE_TIMESTAMPTZ;
        case SQL_SVF_LOCALTIMESTAMP: return SQL_TYPE_TIMESTAMP;
        case SQL_SVF_CURRENT_TIME: return SQL_TYPE_TIMETZ;
        case SQL_SVF_LOCALTIME: return SQL_TYPE_TIME;
        default: return SQL_TYPE_TEXT;
        }
    default:
        return SQL_TYPE_UNKNOWN;
    }
}

/* Result columns being collected for struct sql_printed. */
struct pr_cols {
    struct sql_out_column *v;
    uint32_t n, cap;
    bool star; /* a * could not be expanded: SQLite names them */
};

static void pr_cols_add(struct pr *p, struct pr_cols *c, const char *name,
                        enum sql_type_kind kind, const char *table, const char *column)
{
    if (c == NULL || p->rc != 0)
        return;
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 16;
        struct sql_out_column *v = sql_arena_alloc(p->st->arena, cap * sizeof *v);
        if (v == NULL) {
            pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
            return;
        }
        if (c->n)
            memcpy(v, c->v, c->n * sizeof *v);
        c->v = v;
        c->cap = cap;
    }
    struct sql_out_column *oc = &c->v[c->n++];
    oc->name = name;
    oc->type = (struct sql_type){.kind = kind, .mod1 = -1, .mod2 = -1, .loc = -1};
    oc->table = table;
    oc->column = column;
}

/* ---- FROM ---- */

static bool pr_in_scope(const struct pr *p, const char *name)
{
    for (uint32_t i = p->nscope; i-- > 0;)
        if (strcmp(p->scope[i], name) == 0)
            return true;
    return false;
}

/* The SQLite name of a user table, or NULL with 42P01 reported. */
static const char *pr_table_name(struct pr *p, const struct sql_qname *q)
{
    if (q->schema == NULL && pr_in_scope(p, q->name))
        return q->name;
    if (p->o->map_table == NULL)
        return q->name;
    const char *m = p->o->map_table(p->o->ctx, q->schema, q->name);
    if (m == NULL)
        pr_fail(p, ERR_NOTFOUND, "42P01", q->loc, "relation \"%s%s%s\" does not exist",
                q->schema ? q->schema : "", q->schema ? "." : "", q->name);
    return m;
}

/* The user columns of a FROM table (to expand *), or false when unknown (a CTE, a subquery). */
static bool pr_table_cols(struct pr *p, const struct sql_qname *q,
                          const struct sql_table_column **cols, uint32_t *n)
{
    if (p->o->table_columns == NULL || (q->schema == NULL && pr_in_scope(p, q->name)))
        return false;
    return p->o->table_columns(p->o->ctx, q->schema, q->name, cols, n) == 0;
}

static void pr_from(struct pr *p, const struct sql_from *f);

static void pr_generate_series(struct pr *p, const struct sql_from *f)
{
    const struct sql_expr *e = f->func;
    const char *col = f->alias.cols.n ? f->alias.cols.v[0]
                                      : (f->alias.name ? f->alias.name : "generate_series");
    pr_s(p, "(WITH RECURSIVE \"__gs\"(\"v\") AS (SELECT ");
    pr_expr(p, e->func.args.v[0]);
    pr_s(p, " UNION ALL SELECT pg_add(\"v\", ");
    if (e->func.args.n == 3)
        pr_expr(p, e->func.args.v[2]);
    else
        pr_s(p, "1");
    pr_s(p, ") FROM \"__gs\" WHERE pg_lt(\"v\", ");
    pr_expr(p, e->func.args.v[1]);
    pr_s(p, ")) SELECT \"v\" AS ");
    pr_ident(p, col);
    pr_s(p, " FROM \"__gs\" WHERE pg_le(\"v\", ");
    pr_expr(p, e->func.args.v[1]);
    pr_s(p, "))");
}

static void pr_from(struct pr *p, const struct sql_from *f)
{
    if (!pr_enter(p)) {
        pr_leave(p);
        return;
    }
    if (f->lateral) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", f->loc, "LATERAL is not supported yet");
        pr_leave(p);
        return;
    }
    switch (f->kind) {
    case SQL_FROM_TABLE: {
        if (f->alias.cols.n > 0) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", f->loc,
                    "column aliases on a table are not supported yet");
            break;
        }
        const char *m = pr_table_name(p, &f->table);
        if (m == NULL)
            break;
        pr_ident(p, m);
        pr_s(p, " AS ");
        pr_ident(p, f->alias.name ? f->alias.name : f->table.name);
        break;
    }
    case SQL_FROM_SUBQUERY:
        if (f->alias.cols.n > 0 && f->subquery->kind == SQL_SELECT_VALUES) {
            pr_s(p, "(SELECT ");
            for (uint32_t i = 0; i < f->alias.cols.n; i++) {
                pr_f(p, "%s\"column%u\" AS ", i ? ", " : "", i + 1);
                pr_ident(p, f->alias.cols.v[i]);
            }
            pr_s(p, " FROM (");
            pr_select(p, f->subquery, false, NULL);
            pr_s(p, "))");
        } else if (f->alias.cols.n > 0) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", f->loc,
                    "column aliases on a subquery are not supported yet; alias its columns "
                    "inside");
            break;
        } else {
            pr_s(p, "(");
            pr_select(p, f->subquery, false, NULL);
            pr_s(p, ")");
        }
        if (f->alias.name != NULL) {
            pr_s(p, " AS ");
            pr_ident(p, f->alias.name);
        }
        break;
    case SQL_FROM_FUNC: {
        const struct sql_expr *e = f->func;
        if (e->kind == SQL_E_FUNC && strcmp(e->func.name.name, "generate_series") == 0 &&
            (e->func.args.n == 2 || e->func.args.n == 3)) {
            pr_generate_series(p, f);
            pr_s(p, " AS ");
            pr_ident(p, f->alias.name ? f->alias.name : "generate_series");
            break;
        }
        pr_fail(p, ERR_UNSUPPORTED, "0A000", f->loc,
                "functions in FROM are not supported yet (generate_series is)");
        break;
    }
    case SQL_FROM_JOIN: {
        static const char *kinds[] = {[SQL_JOIN_INNER] = " JOIN ", [SQL_JOIN_LEFT] = " LEFT JOIN ",
                                      [SQL_JOIN_RIGHT] = " RIGHT JOIN ",
                                      [SQL_JOIN_FULL] = " FULL JOIN ",
                                      [SQL_JOIN_CROSS] = " CROSS JOIN "};
        bool nested = f->join.right->kind == SQL_FROM_JOIN;
        pr_from(p, f->join.left);
        if (f->join.natural)
            pr_s(p, " NATURAL");
        pr_s(p, kinds[f->join.kind]);
        if (nested)
            pr_s(p, "(");
        pr_from(p, f->join.right);
        if (nested)
            pr_s(p, ")");
        if (f->join.on != NULL) {
            pr_s(p, " ON ");
            pr_expr(p, f->join.on);
        } else if (f->join.using.n > 0) {
            pr_s(p, " USING (");
            for (uint32_t i = 0; i < f->join.using.n; i++) {
                if (i)
                    pr_s(p, ", ");
                pr_ident(p, f->join.using.v[i]);
            }
            pr_s(p, ")");
        }
        break;
    }
    }
    pr_leave(p);
}

static void pr_froms(struct pr *p, const struct sql_froms *fl)
{
    for (uint32_t i = 0; i < fl->n && p->rc == 0; i++) {
        if (i > 0)
            pr_s(p, ", ");
        pr_from(p, fl->v[i]);
    }
}

static const struct sql_cte *pr_scope_cte(const struct pr *p, const struct sql_qname *q);
static enum sql_type_kind pr_from_col_type(struct pr *p, const struct sql_from *f,
                                           const char *qual, const char *col, bool *found,
                                           int depth);

/* The name a FROM item is referred to by (its alias, else its table's or function's name), or
 * NULL for an unaliased subquery or a join. */
static const char *pr_from_alias(const struct sql_from *f)
{
    if (f->alias.name != NULL)
        return f->alias.name;
    if (f->kind == SQL_FROM_TABLE)
        return f->table.name;
    if (f->kind == SQL_FROM_FUNC)
        return "generate_series";
    return NULL;
}

/* The output column names of q, renamed by cols (when given) in order: their number, or -1
 * when a * hides them or there are more than max. */
static int pr_select_col_names(const struct sql_select *q, const struct sql_names *cols,
                               const char **names, int max)
{
    while (q->kind == SQL_SELECT_SETOP)
        q = q->left;
    int n = 0;
    if (q->kind == SQL_SELECT_VALUES) {
        n = q->values.n ? (int)q->values.v[0].n : 0;
        if (n > max)
            return -1;
        for (int i = 0; i < n; i++)
            names[i] = NULL; /* columnN: filled below */
    } else {
        n = (int)q->targets.n;
        if (n > max)
            return -1;
        for (int i = 0; i < n; i++) {
            const struct sql_target *t = &q->targets.v[i];
            if (t->expr->kind == SQL_E_COLUMN && t->expr->column.star)
                return -1;
            names[i] = t->alias ? t->alias : pr_colname(t->expr);
        }
    }
    for (int i = 0; cols != NULL && i < n && (uint32_t)i < cols->n; i++)
        names[i] = cols->v[i];
    for (int i = 0; i < n; i++)
        if (names[i] == NULL)
            return -1;
    return n;
}

/* The columns of a FROM item that is no join, by name: a table's, a CTE's or a subquery's
 * output (names in the printer's arena-free storage: the AST's, the catalog's). Their number,
 * or -1 when not known. */
static int pr_from_col_names(struct pr *p, const struct sql_from *f, const char **names,
                             int max)
{
    switch (f->kind) {
    case SQL_FROM_TABLE: {
        const struct sql_cte *cte = pr_scope_cte(p, &f->table);
        if (cte != NULL)
            return cte->query->kind == SQL_STMT_SELECT
                       ? pr_select_col_names(cte->query->select, &cte->cols, names, max)
                       : -1;
        const struct sql_table_column *tc;
        uint32_t n;
        if (!pr_table_cols(p, &f->table, &tc, &n) || n > (uint32_t)max)
            return -1;
        for (uint32_t i = 0; i < n; i++)
            names[i] = tc[i].name;
        return (int)n;
    }
    case SQL_FROM_SUBQUERY:
        return pr_select_col_names(f->subquery, &f->alias.cols, names, max);
    default:
        return -1;
    }
}

static bool pr_name_listed(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* Prints one column of a * expansion: qual."col" AS "col". */
static void pr_star_col(struct pr *p, const struct sql_from *f, const char *col, bool *first,
                        struct pr_cols *cols)
{
    pr_s(p, *first ? "" : ", ");
    *first = false;
    pr_ident(p, pr_from_alias(f));
    pr_s(p, ".");
    pr_ident(p, col);
    pr_s(p, " AS ");
    pr_ident(p, col);
    bool found = false;
    p->type_steps = 0;
    pr_cols_add(p, cols, col, pr_from_col_type(p, f, NULL, col, &found, 0), NULL, NULL);
}

static bool pr_star_join_print(struct pr *p, const struct sql_from *f, const char **ln, int nl,
                               const char **rn, int nr, const char **un, bool *first,
                               struct pr_cols *cols);

/* * over a JOIN ... USING / NATURAL JOIN of two plain items: PostgreSQL lists each joined
 * column once (the left's, the right's for RIGHT JOIN, the first non-NULL for FULL), then the
 * left's other columns, then the right's. False when the items' columns are not known. */
static bool pr_star_join_merged(struct pr *p, const struct sql_from *f, bool *first,
                                struct pr_cols *cols)
{
    const struct sql_from *l = f->join.left, *r = f->join.right;
    if (l->kind == SQL_FROM_JOIN || r->kind == SQL_FROM_JOIN || pr_from_alias(l) == NULL ||
        pr_from_alias(r) == NULL)
        return false;
    /* joins nest as deep as SQL_DEPTH_MAX: the lists live on the heap, not this frame */
    const char **ln = malloc(3 * SQL_COLUMNS_MAX * sizeof *ln);
    if (ln == NULL) {
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return true;
    }
    const char **rn = ln + SQL_COLUMNS_MAX, **un = rn + SQL_COLUMNS_MAX;
    int nl = pr_from_col_names(p, l, ln, SQL_COLUMNS_MAX);
    int nr = pr_from_col_names(p, r, rn, SQL_COLUMNS_MAX);
    bool merged = nl >= 0 && nr >= 0 && pr_star_join_print(p, f, ln, nl, rn, nr, un, first, cols);
    free(ln);
    return merged;
}

static bool pr_star_join_print(struct pr *p, const struct sql_from *f, const char **ln, int nl,
                               const char **rn, int nr, const char **un, bool *first,
                               struct pr_cols *cols)
{
    const struct sql_from *l = f->join.left, *r = f->join.right;
    int nu = 0;
    if (f->join.natural) {
        for (int i = 0; i < nl; i++)
            if (pr_name_listed(rn, nr, ln[i]))
                un[nu++] = ln[i];
    } else {
        for (uint32_t i = 0; i < f->join.using.n && nu < SQL_COLUMNS_MAX; i++) {
            const char *u = f->join.using.v[i];
            if (!pr_name_listed(ln, nl, u) || !pr_name_listed(rn, nr, u))
                return false;
            un[nu++] = u;
        }
    }
    for (int i = 0; i < nu && p->rc == 0; i++) {
        const struct sql_from *side = f->join.kind == SQL_JOIN_RIGHT ? r : l;
        if (f->join.kind != SQL_JOIN_FULL) {
            pr_star_col(p, side, un[i], first, cols);
            continue;
        }
        pr_s(p, *first ? "COALESCE(" : ", COALESCE(");
        *first = false;
        pr_ident(p, pr_from_alias(l));
        pr_s(p, ".");
        pr_ident(p, un[i]);
        pr_s(p, ", ");
        pr_ident(p, pr_from_alias(r));
        pr_s(p, ".");
        pr_ident(p, un[i]);
        pr_s(p, ") AS ");
        pr_ident(p, un[i]);
        bool found = false;
        p->type_steps = 0;
        pr_cols_add(p, cols, un[i], pr_from_col_type(p, l, NULL, un[i], &found, 0), NULL, NULL);
    }
    for (int i = 0; i < nl && p->rc == 0; i++)
        if (!pr_name_listed(un, nu, ln[i]))
            pr_star_col(p, l, ln[i], first, cols);
    for (int i = 0; i < nr && p->rc == 0; i++)
        if (!pr_name_listed(un, nu, rn[i]))
            pr_star_col(p, r, rn[i], first, cols);
    return true;
}

/* * over a subquery or a CTE whose output columns are known and distinct: each by name.
 * False (nothing printed) otherwise. */
static bool pr_star_named(struct pr *p, const struct sql_from *f, bool *first,
                          struct pr_cols *cols)
{
    const char **names = malloc(SQL_COLUMNS_MAX * sizeof *names);
    if (names == NULL) {
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return true;
    }
    int n = pr_from_col_names(p, f, names, SQL_COLUMNS_MAX);
    bool unique = n > 0;
    for (int i = 0; i < n && unique; i++)
        unique = !pr_name_listed(names, i, names[i]);
    for (int i = 0; unique && i < n && p->rc == 0; i++)
        pr_star_col(p, f, names[i], first, cols);
    free(names);
    return unique;
}

/* Expands * (or alias.*) over the FROM items it covers: user tables by their columns,
 * subqueries and CTEs by their output columns when those can be told, other items as alias.*
 * (then the result's names are SQLite's: cols->star). */
static void pr_star_from(struct pr *p, const struct sql_from *f, const char *only, bool *first,
                         struct pr_cols *cols, bool *matched)
{
    if (f->kind == SQL_FROM_JOIN) {
        if (only == NULL && p->returning_target == NULL &&
            (f->join.natural || f->join.using.n > 0) && pr_star_join_merged(p, f, first, cols)) {
            *matched = true;
            return;
        }
        pr_star_from(p, f->join.left, only, first, cols, matched);
        pr_star_from(p, f->join.right, only, first, cols, matched);
        return;
    }
    const char *alias = pr_from_alias(f);
    if (only != NULL && (alias == NULL || strcmp(alias, only) != 0))
        return;
    *matched = true;
    if (alias != NULL && p->returning_target == NULL &&
        (f->kind == SQL_FROM_SUBQUERY ||
         (f->kind == SQL_FROM_TABLE && pr_scope_cte(p, &f->table) != NULL)) &&
        pr_star_named(p, f, first, cols))
        return;
    const struct sql_table_column *tc;
    uint32_t n;
    if (f->kind == SQL_FROM_TABLE && pr_table_cols(p, &f->table, &tc, &n)) {
        for (uint32_t i = 0; i < n && p->rc == 0; i++) {
            pr_s(p, *first ? "" : ", ");
            *first = false;
            if (p->returning_target == NULL) {
                pr_ident(p, alias);
                pr_s(p, ".");
            }
            pr_ident(p, tc[i].name);
            pr_s(p, " AS ");
            pr_ident(p, tc[i].name);
            pr_cols_add(p, cols, tc[i].name,
                        tc[i].type.array_dims ? SQL_TYPE_TEXT : tc[i].type.kind, f->table.name,
                        tc[i].name);
        }
        return;
    }
    pr_s(p, *first ? "" : ", ");
    *first = false;
    if (alias != NULL) {
        pr_ident(p, alias);
        pr_s(p, ".*");
    } else {
        pr_s(p, "*");
    }
    if (cols != NULL)
        cols->star = true;
}

/* ---- result types: what PostgreSQL's analysis would say, as far as the AST and the catalog
 * tell (UNKNOWN: the executor falls back to the value's storage class) ---- */

static uint32_t pr_push_ctes(struct pr *p, const struct sql_with *w);
static enum sql_type_kind pr_expr_type(struct pr *p, const struct sql_expr *e,
                                       const struct sql_froms *from, int depth);
static enum sql_type_kind pr_select_col_type(struct pr *p, const struct sql_select *q,
                                             uint32_t idx, int depth);

/* The budget of one statement's type questions: a chain of CTEs that each read the one
 * before twice would otherwise ask exponentially often. */
static bool pr_type_step(struct pr *p, int depth)
{
    return depth <= PR_TYPE_DEPTH_MAX && ++p->type_steps <= PR_TYPE_STEPS_MAX;
}

static bool pr_is_int(enum sql_type_kind k)
{
    return k == SQL_TYPE_INT2 || k == SQL_TYPE_INT4 || k == SQL_TYPE_INT8;
}

static bool pr_is_float(enum sql_type_kind k)
{
    return k == SQL_TYPE_FLOAT4 || k == SQL_TYPE_FLOAT8;
}

static bool pr_is_number(enum sql_type_kind k)
{
    return pr_is_int(k) || pr_is_float(k) || k == SQL_TYPE_NUMERIC;
}

static bool pr_is_text(enum sql_type_kind k)
{
    return k == SQL_TYPE_TEXT || k == SQL_TYPE_VARCHAR || k == SQL_TYPE_BPCHAR;
}

/* NULL or a string literal: PostgreSQL's type "unknown", which takes the type it meets. */
static bool pr_is_untyped(const struct sql_expr *e)
{
    return e->kind == SQL_E_CONST &&
           (e->konst.kind == SQL_CONST_NULL || e->konst.kind == SQL_CONST_STRING);
}

/* PostgreSQL's name of a type in messages (format_type). */
static const char *pr_type_pg_name(enum sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_BOOL: return "boolean";
    case SQL_TYPE_INT2: return "smallint";
    case SQL_TYPE_INT4: return "integer";
    case SQL_TYPE_INT8: return "bigint";
    case SQL_TYPE_FLOAT4: return "real";
    case SQL_TYPE_FLOAT8: return "double precision";
    case SQL_TYPE_NUMERIC: return "numeric";
    case SQL_TYPE_TEXT: return "text";
    case SQL_TYPE_VARCHAR: return "character varying";
    case SQL_TYPE_BPCHAR: return "character";
    case SQL_TYPE_BYTEA: return "bytea";
    case SQL_TYPE_DATE: return "date";
    case SQL_TYPE_TIME: return "time without time zone";
    case SQL_TYPE_TIMETZ: return "time with time zone";
    case SQL_TYPE_TIMESTAMP: return "timestamp without time zone";
    case SQL_TYPE_TIMESTAMPTZ: return "timestamp with time zone";
    case SQL_TYPE_INTERVAL: return "interval";
    case SQL_TYPE_JSON: return "json";
    case SQL_TYPE_JSONB: return "jsonb";
    case SQL_TYPE_UUID: return "uuid";
    default: return "unknown";
    }
}

/* The implicit-cast order of the numeric types: int2 < int4 < int8 < numeric < float4 <
 * float8 (0: not a number). */
static int pr_number_rank(enum sql_type_kind k)
{
    switch (k) {
    case SQL_TYPE_INT2: return 1;
    case SQL_TYPE_INT4: return 2;
    case SQL_TYPE_INT8: return 3;
    case SQL_TYPE_NUMERIC: return 4;
    case SQL_TYPE_FLOAT4: return 5;
    case SQL_TYPE_FLOAT8: return 6;
    default: return 0;
    }
}

/* Several inputs folded into one type (the branches of a CASE, COALESCE's arguments, a
 * VALUES column, the members of a UNION) as PostgreSQL's select_common_type does for what the
 * printer can tell: NULL and string literals take the others' type (text when all are);
 * numbers widen along pr_number_rank; text types give text; a date with a timestamp gives the
 * timestamp. A number, a text or a boolean against another of those is PostgreSQL's 42804. */
struct pr_common {
    const char *what; /* "CASE", "UNION", ...: PostgreSQL's word in the message */
    enum sql_type_kind kind;
    bool typed;   /* kind holds a typed input's type */
    bool literal; /* a string literal was seen */
    bool unknown; /* an input's type could not be told: nor can the result's */
    /* the first string literals, checked against the result type (22P02 for 'a' with 1) */
    const struct sql_expr *literals[PR_COMMON_LITERALS_MAX];
    uint32_t nliterals;
};

static void pr_common_kind(struct pr *p, struct pr_common *c, enum sql_type_kind k, int loc)
{
    if (k == SQL_TYPE_UNKNOWN) {
        c->unknown = true;
        return;
    }
    if (!c->typed || c->kind == k) {
        c->kind = k;
        c->typed = true;
        return;
    }
    enum sql_type_kind a = c->kind;
    int ra = pr_number_rank(a), rb = pr_number_rank(k);
    if (ra > 0 && rb > 0) {
        c->kind = ra > rb ? a : k;
    } else if (pr_is_text(a) && pr_is_text(k)) {
        c->kind = SQL_TYPE_TEXT;
    } else if ((a == SQL_TYPE_DATE && k == SQL_TYPE_TIMESTAMP) ||
               (a == SQL_TYPE_TIMESTAMP && k == SQL_TYPE_DATE)) {
        c->kind = SQL_TYPE_TIMESTAMP;
    } else if ((a == SQL_TYPE_TIMESTAMPTZ && (k == SQL_TYPE_DATE || k == SQL_TYPE_TIMESTAMP)) ||
               (k == SQL_TYPE_TIMESTAMPTZ && (a == SQL_TYPE_DATE || a == SQL_TYPE_TIMESTAMP))) {
        c->kind = SQL_TYPE_TIMESTAMPTZ;
    } else if ((ra > 0 || pr_is_text(a) || a == SQL_TYPE_BOOL) &&
               (rb > 0 || pr_is_text(k) || k == SQL_TYPE_BOOL)) {
        pr_fail(p, ERR_MALFORMED, "42804", loc, "%s types %s and %s cannot be matched", c->what,
                pr_type_pg_name(a), pr_type_pg_name(k));
        c->unknown = true;
    } else {
        c->unknown = true;
    }
}

static void pr_common_expr(struct pr *p, struct pr_common *c, const struct sql_expr *e,
                           const struct sql_froms *from, int depth)
{
    if (pr_is_untyped(e)) {
        if (e->konst.kind == SQL_CONST_STRING) {
            c->literal = true;
            if (c->nliterals < PR_COMMON_LITERALS_MAX)
                c->literals[c->nliterals++] = e;
        }
        return;
    }
    pr_common_kind(p, c, pr_expr_type(p, e, from, depth), e->loc);
}

static enum sql_type_kind pr_common_result(struct pr *p, const struct pr_common *c)
{
    if (c->unknown)
        return SQL_TYPE_UNKNOWN;
    for (uint32_t i = 0; c->typed && i < c->nliterals; i++)
        pr_check_literal(p, c->literals[i], c->kind);
    if (c->typed)
        return c->kind;
    return c->literal ? SQL_TYPE_TEXT : SQL_TYPE_UNKNOWN;
}

/* The CTE a FROM table names, when one is in scope. */
static const struct sql_cte *pr_scope_cte(const struct pr *p, const struct sql_qname *q)
{
    if (q->schema != NULL)
        return NULL;
    for (uint32_t i = p->nscope; i-- > 0;)
        if (strcmp(p->scope[i], q->name) == 0)
            return p->scope_cte[i];
    return NULL;
}

/* The position of q's output column name (renamed by cols when given), or -1: not there, or
 * behind a * that cannot be counted. */
static int pr_select_col_index(const struct sql_select *q, const struct sql_names *cols,
                               const char *name)
{
    if (cols != NULL && cols->n > 0) {
        for (uint32_t i = 0; i < cols->n; i++)
            if (strcmp(cols->v[i], name) == 0)
                return (int)i;
        return -1;
    }
    while (q->kind == SQL_SELECT_SETOP)
        q = q->left;
    if (q->kind == SQL_SELECT_VALUES) {
        char made[24];
        for (uint32_t i = 0; q->values.n > 0 && i < q->values.v[0].n; i++) {
            snprintf(made, sizeof made, "column%u", i + 1);
            if (strcmp(made, name) == 0)
                return (int)i;
        }
        return -1;
    }
    for (uint32_t i = 0; i < q->targets.n; i++) {
        const struct sql_target *t = &q->targets.v[i];
        if (t->expr->kind == SQL_E_COLUMN && t->expr->column.star)
            return -1;
        if (strcmp(t->alias ? t->alias : pr_colname(t->expr), name) == 0)
            return (int)i;
    }
    return -1;
}

/* The type of column col of FROM item f (qual: the item's name, when the reference names
 * one). *found is set when f has that column, whether or not its type can be told. */
static enum sql_type_kind pr_from_col_type(struct pr *p, const struct sql_from *f,
                                           const char *qual, const char *col, bool *found,
                                           int depth)
{
    if (!pr_type_step(p, depth))
        return SQL_TYPE_UNKNOWN;
    if (f->kind == SQL_FROM_JOIN) {
        enum sql_type_kind k = pr_from_col_type(p, f->join.left, qual, col, found, depth + 1);
        return *found ? k : pr_from_col_type(p, f->join.right, qual, col, found, depth + 1);
    }
    const char *alias = pr_from_alias(f);
    if (qual != NULL && (alias == NULL || strcmp(qual, alias) != 0))
        return SQL_TYPE_UNKNOWN;
    switch (f->kind) {
    case SQL_FROM_TABLE: {
        const struct sql_cte *cte = pr_scope_cte(p, &f->table);
        if (cte != NULL) {
            if (cte->query->kind != SQL_STMT_SELECT)
                return SQL_TYPE_UNKNOWN;
            int ix = pr_select_col_index(cte->query->select, &cte->cols, col);
            if (ix < 0)
                return SQL_TYPE_UNKNOWN;
            *found = true;
            return pr_select_col_type(p, cte->query->select, (uint32_t)ix, depth + 1);
        }
        const struct sql_table_column *tc;
        uint32_t n;
        if (!pr_table_cols(p, &f->table, &tc, &n))
            return SQL_TYPE_UNKNOWN;
        for (uint32_t i = 0; i < n; i++)
            if (strcmp(tc[i].name, col) == 0) {
                *found = true;
                return tc[i].type.array_dims ? SQL_TYPE_TEXT : tc[i].type.kind;
            }
        return SQL_TYPE_UNKNOWN;
    }
    case SQL_FROM_SUBQUERY: {
        int ix = pr_select_col_index(f->subquery, &f->alias.cols, col);
        if (ix < 0)
            return SQL_TYPE_UNKNOWN;
        *found = true;
        return pr_select_col_type(p, f->subquery, (uint32_t)ix, depth + 1);
    }
    case SQL_FROM_FUNC: {
        const struct sql_expr *e = f->func;
        const char *name = f->alias.cols.n ? f->alias.cols.v[0] : alias;
        if (strcmp(name, col) != 0 || e->kind != SQL_E_FUNC ||
            strcmp(e->func.name.name, "generate_series") != 0 || e->func.args.n < 2)
            return SQL_TYPE_UNKNOWN;
        *found = true;
        struct pr_common c = {.what = "generate_series"};
        pr_common_expr(p, &c, e->func.args.v[0], NULL, depth + 1);
        pr_common_expr(p, &c, e->func.args.v[1], NULL, depth + 1);
        return pr_common_result(p, &c);
    }
    default:
        return SQL_TYPE_UNKNOWN;
    }
}

/* Whether column col of FROM item f (found set when f has it) is a user table's. */
static bool pr_from_is_table_column(struct pr *p, const struct sql_from *f, const char *qual,
                                    const char *col, bool *found)
{
    if (f->kind == SQL_FROM_JOIN) {
        bool t = pr_from_is_table_column(p, f->join.left, qual, col, found);
        return *found ? t : pr_from_is_table_column(p, f->join.right, qual, col, found);
    }
    p->type_steps = 0;
    pr_from_col_type(p, f, qual, col, found, 0);
    return *found && f->kind == SQL_FROM_TABLE && pr_scope_cte(p, &f->table) == NULL;
}

/* The type of a column reference among the FROM items, or UNKNOWN. */
static enum sql_type_kind pr_column_type(struct pr *p, const struct sql_expr *e,
                                         const struct sql_froms *from, int depth)
{
    if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0 || from == NULL)
        return SQL_TYPE_UNKNOWN;
    const char *col = e->column.parts[e->column.nparts - 1];
    const char *qual = e->column.nparts > 1 ? e->column.parts[e->column.nparts - 2] : NULL;
    for (uint32_t k = 0; k < from->n; k++) {
        bool found = false;
        enum sql_type_kind t = pr_from_col_type(p, from->v[k], qual, col, &found, depth + 1);
        if (found)
            return t;
    }
    return SQL_TYPE_UNKNOWN;
}

/* Adds column idx of q to c: the target of a plain select, the items of every VALUES row,
 * the column of every member of a set operation. */
static void pr_select_col_common(struct pr *p, struct pr_common *c, const struct sql_select *q,
                                 uint32_t idx, int depth)
{
    if (!pr_type_step(p, depth)) {
        c->unknown = true;
        return;
    }
    uint32_t pushed = pr_push_ctes(p, q->with);
    switch (q->kind) {
    case SQL_SELECT_PLAIN:
        for (uint32_t i = 0; i <= idx && i < q->targets.n; i++)
            if (q->targets.v[i].expr->kind == SQL_E_COLUMN && q->targets.v[i].expr->column.star)
                c->unknown = true;
        if (idx >= q->targets.n)
            c->unknown = true;
        if (!c->unknown)
            pr_common_expr(p, c, q->targets.v[idx].expr, &q->from, depth + 1);
        break;
    case SQL_SELECT_VALUES:
        for (uint32_t r = 0; r < q->values.n && !c->unknown; r++)
            if (idx < q->values.v[r].n)
                pr_common_expr(p, c, q->values.v[r].v[idx], NULL, depth + 1);
        break;
    case SQL_SELECT_SETOP:
        pr_select_col_common(p, c, q->left, idx, depth + 1);
        pr_select_col_common(p, c, q->right, idx, depth + 1);
        break;
    }
    p->nscope -= pushed;
}

static enum sql_type_kind pr_select_col_type(struct pr *p, const struct sql_select *q,
                                             uint32_t idx, int depth)
{
    struct pr_common c = {.what = "UNION"};
    if (q->kind == SQL_SELECT_SETOP)
        c.what = q->op == SQL_SETOP_UNION ? "UNION" : q->op == SQL_SETOP_INTERSECT ? "INTERSECT"
                                                                                   : "EXCEPT";
    else if (q->kind == SQL_SELECT_VALUES)
        c.what = "VALUES";
    pr_select_col_common(p, &c, q, idx, depth);
    return pr_common_result(p, &c);
}

/* A function of the library whose argument must be text (or bytea): PostgreSQL has no
 * implicit cast from a number or a boolean to it (42883 at analysis). */
static const char *const pr_text_funcs[] = {
    "upper",  "lower",       "initcap", "length",    "char_length", "character_length",
    "btrim",  "ltrim",       "rtrim",   "lpad",      "rpad",        "repeat",
    "reverse", "md5",        "strpos",  "starts_with", "split_part", "translate",
    "replace", "left",       "right",   "octet_length", "bit_length", "ascii",
};

/* Functions whose argument must be a number: a text-typed argument is 42883 (a string
 * literal is not typed, and converts). */
static const char *const pr_number_funcs[] = {
    "abs",  "sqrt", "cbrt", "exp",   "ln",   "log",  "log10", "ceil", "ceiling", "floor",
    "sign", "round", "trunc", "power", "pow", "mod", "div",  "gcd",  "lcm",     "factorial",
};

static bool pr_name_in(const char *name, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

/* Functions whose result type does not depend on their arguments. */
static const struct {
    const char *name;
    enum sql_type_kind kind;
} pr_func_fixed[] = {
    {"length", SQL_TYPE_INT4},
    {"char_length", SQL_TYPE_INT4},
    {"character_length", SQL_TYPE_INT4},
    {"octet_length", SQL_TYPE_INT4},
    {"bit_length", SQL_TYPE_INT4},
    {"position", SQL_TYPE_INT4},
    {"strpos", SQL_TYPE_INT4},
    {"ascii", SQL_TYPE_INT4},
    {"json_array_length", SQL_TYPE_INT4},
    {"jsonb_array_length", SQL_TYPE_INT4},
    {"get_byte", SQL_TYPE_INT4},
    {"scale", SQL_TYPE_INT4},
    {"min_scale", SQL_TYPE_INT4},
    {"width_bucket", SQL_TYPE_INT4},
    {"regexp_count", SQL_TYPE_INT4},
    {"regexp_instr", SQL_TYPE_INT4},
    {"ntile", SQL_TYPE_INT4},
    {"count", SQL_TYPE_INT8},
    {"row_number", SQL_TYPE_INT8},
    {"rank", SQL_TYPE_INT8},
    {"dense_rank", SQL_TYPE_INT8},
    {"percent_rank", SQL_TYPE_FLOAT8},
    {"cume_dist", SQL_TYPE_FLOAT8},
    {"random", SQL_TYPE_FLOAT8},
    {"pi", SQL_TYPE_FLOAT8},
    {"date_part", SQL_TYPE_FLOAT8},
    {"cbrt", SQL_TYPE_FLOAT8},
    {"degrees", SQL_TYPE_FLOAT8},
    {"radians", SQL_TYPE_FLOAT8},
    {"sin", SQL_TYPE_FLOAT8},
    {"cos", SQL_TYPE_FLOAT8},
    {"tan", SQL_TYPE_FLOAT8},
    {"cot", SQL_TYPE_FLOAT8},
    {"asin", SQL_TYPE_FLOAT8},
    {"acos", SQL_TYPE_FLOAT8},
    {"atan", SQL_TYPE_FLOAT8},
    {"atan2", SQL_TYPE_FLOAT8},
    {"extract", SQL_TYPE_NUMERIC},
    {"div", SQL_TYPE_NUMERIC},
    {"factorial", SQL_TYPE_NUMERIC},
    {"starts_with", SQL_TYPE_BOOL},
    {"regexp_like", SQL_TYPE_BOOL},
    {"bool_and", SQL_TYPE_BOOL},
    {"bool_or", SQL_TYPE_BOOL},
    {"every", SQL_TYPE_BOOL},
    {"isfinite", SQL_TYPE_BOOL},
    {"upper", SQL_TYPE_TEXT},
    {"lower", SQL_TYPE_TEXT},
    {"initcap", SQL_TYPE_TEXT},
    {"btrim", SQL_TYPE_TEXT},
    {"ltrim", SQL_TYPE_TEXT},
    {"rtrim", SQL_TYPE_TEXT},
    {"lpad", SQL_TYPE_TEXT},
    {"rpad", SQL_TYPE_TEXT},
    {"chr", SQL_TYPE_TEXT},
    {"concat", SQL_TYPE_TEXT},
    {"concat_ws", SQL_TYPE_TEXT},
    {"replace", SQL_TYPE_TEXT},
    {"md5", SQL_TYPE_TEXT},
    {"to_char", SQL_TYPE_TEXT},
    {"format", SQL_TYPE_TEXT},
    {"split_part", SQL_TYPE_TEXT},
    {"translate", SQL_TYPE_TEXT},
    {"quote_ident", SQL_TYPE_TEXT},
    {"quote_literal", SQL_TYPE_TEXT},
    {"quote_nullable", SQL_TYPE_TEXT},
    {"array_to_string", SQL_TYPE_TEXT},
    {"encode", SQL_TYPE_TEXT},
    {"convert_from", SQL_TYPE_TEXT},
    {"regexp_replace", SQL_TYPE_TEXT},
    {"regexp_substr", SQL_TYPE_TEXT},
    {"to_hex", SQL_TYPE_TEXT},
    {"json_typeof", SQL_TYPE_TEXT},
    {"jsonb_typeof", SQL_TYPE_TEXT},
    {"jsonb_pretty", SQL_TYPE_TEXT},
    {"json_extract_path_text", SQL_TYPE_TEXT},
    {"jsonb_extract_path_text", SQL_TYPE_TEXT},
    {"current_database", SQL_TYPE_TEXT},
    {"version", SQL_TYPE_TEXT},
    {"decode", SQL_TYPE_BYTEA},
    {"convert_to", SQL_TYPE_BYTEA},
    {"sha224", SQL_TYPE_BYTEA},
    {"sha256", SQL_TYPE_BYTEA},
    {"sha384", SQL_TYPE_BYTEA},
    {"sha512", SQL_TYPE_BYTEA},
    {"set_byte", SQL_TYPE_BYTEA},
    {"now", SQL_TYPE_TIMESTAMPTZ},
    {"transaction_timestamp", SQL_TYPE_TIMESTAMPTZ},
    {"statement_timestamp", SQL_TYPE_TIMESTAMPTZ},
    {"clock_timestamp", SQL_TYPE_TIMESTAMPTZ},
    {"to_timestamp", SQL_TYPE_TIMESTAMPTZ},
    {"make_timestamptz", SQL_TYPE_TIMESTAMPTZ},
    {"make_date", SQL_TYPE_DATE},
    {"to_date", SQL_TYPE_DATE},
    {"make_timestamp", SQL_TYPE_TIMESTAMP},
    {"make_time", SQL_TYPE_TIME},
    {"make_interval", SQL_TYPE_INTERVAL},
    {"age", SQL_TYPE_INTERVAL},
    {"justify_days", SQL_TYPE_INTERVAL},
    {"justify_hours", SQL_TYPE_INTERVAL},
    {"justify_interval", SQL_TYPE_INTERVAL},
    {"gen_random_uuid", SQL_TYPE_UUID},
    {"to_json", SQL_TYPE_JSON},
    {"array_to_json", SQL_TYPE_JSON},
    {"row_to_json", SQL_TYPE_JSON},
    {"json_build_object", SQL_TYPE_JSON},
    {"json_build_array", SQL_TYPE_JSON},
    {"json_object", SQL_TYPE_JSON},
    {"json_agg", SQL_TYPE_JSON},
    {"json_object_agg", SQL_TYPE_JSON},
    {"json_extract_path", SQL_TYPE_JSON},
    {"to_jsonb", SQL_TYPE_JSONB},
    {"jsonb_build_object", SQL_TYPE_JSONB},
    {"jsonb_build_array", SQL_TYPE_JSONB},
    {"jsonb_agg", SQL_TYPE_JSONB},
    {"jsonb_object_agg", SQL_TYPE_JSONB},
    {"jsonb_set", SQL_TYPE_JSONB},
    {"jsonb_strip_nulls", SQL_TYPE_JSONB},
    {"jsonb_extract_path", SQL_TYPE_JSONB},
};

/* PostgreSQL's result type of a function call, and its 42883 for an argument no candidate
 * takes (upper(1), sqrt('a'::text)). */
static enum sql_type_kind pr_func_type(struct pr *p, const struct sql_expr *e,
                                       const struct sql_froms *from, int depth)
{
    const char *f = e->func.name.name;
    uint32_t n = e->func.star ? 0 : e->func.args.n;
    const struct sql_expr *arg0 = n > 0 ? e->func.args.v[0] : NULL;
    enum sql_type_kind a0 = arg0 ? pr_expr_type(p, arg0, from, depth + 1) : SQL_TYPE_UNKNOWN;
    enum sql_type_kind a1 =
        n > 1 ? pr_expr_type(p, e->func.args.v[1], from, depth + 1) : SQL_TYPE_UNKNOWN;
    if (e->func.form == SQL_FUNC_COALESCE || e->func.form == SQL_FUNC_GREATEST ||
        e->func.form == SQL_FUNC_LEAST) {
        struct pr_common c = {.what = e->func.form == SQL_FUNC_COALESCE ? "COALESCE"
                                      : e->func.form == SQL_FUNC_GREATEST ? "GREATEST"
                                                                          : "LEAST"};
        for (uint32_t i = 0; i < n; i++)
            pr_common_expr(p, &c, e->func.args.v[i], from, depth + 1);
        return pr_common_result(p, &c);
    }
    if (e->func.form == SQL_FUNC_NULLIF)
        return arg0 && pr_is_untyped(arg0) ? SQL_TYPE_TEXT : a0;
    if (e->func.form == SQL_FUNC_PLAIN && e->func.over == NULL && arg0 != NULL &&
        !pr_is_untyped(arg0) && e->func.name.schema == NULL) {
        bool text_only = pr_name_in(f, pr_text_funcs, sizeof pr_text_funcs / sizeof *pr_text_funcs);
        bool number_only =
            pr_name_in(f, pr_number_funcs, sizeof pr_number_funcs / sizeof *pr_number_funcs);
        if ((text_only && (pr_is_number(a0) || a0 == SQL_TYPE_BOOL)) ||
            (number_only && (pr_is_text(a0) || a0 == SQL_TYPE_BOOL))) {
            pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "function %s(%s%s) does not exist", f,
                    pr_type_pg_name(a0), n > 1 ? ", ..." : "");
            return SQL_TYPE_UNKNOWN;
        }
    }
    /* the same type as the argument, or its numeric family */
    if (strcmp(f, "min") == 0 || strcmp(f, "max") == 0) {
        if (a0 == SQL_TYPE_BYTEA || a0 == SQL_TYPE_BOOL || a0 == SQL_TYPE_JSON) {
            pr_fail(p, ERR_NOTFOUND, "42883", e->loc, "function %s(%s) does not exist", f,
                    pr_type_pg_name(a0));
            return SQL_TYPE_UNKNOWN;
        }
        return a0 == SQL_TYPE_VARCHAR ? SQL_TYPE_TEXT : a0;
    }
    if (strcmp(f, "lag") == 0 || strcmp(f, "lead") == 0 || strcmp(f, "first_value") == 0 ||
        strcmp(f, "last_value") == 0 || strcmp(f, "nth_value") == 0)
        return a0;
    if (strcmp(f, "sum") == 0) {
        if (a0 == SQL_TYPE_INT2 || a0 == SQL_TYPE_INT4)
            return SQL_TYPE_INT8;
        if (a0 == SQL_TYPE_INT8 || a0 == SQL_TYPE_NUMERIC)
            return SQL_TYPE_NUMERIC;
        return pr_is_float(a0) || a0 == SQL_TYPE_INTERVAL ? a0 : SQL_TYPE_UNKNOWN;
    }
    if (strcmp(f, "avg") == 0)
        return pr_is_float(a0)             ? SQL_TYPE_FLOAT8
               : a0 == SQL_TYPE_INTERVAL ? SQL_TYPE_INTERVAL
                                         : SQL_TYPE_NUMERIC;
    if (strcmp(f, "stddev") == 0 || strcmp(f, "stddev_samp") == 0 ||
        strcmp(f, "stddev_pop") == 0 || strcmp(f, "variance") == 0 ||
        strcmp(f, "var_samp") == 0 || strcmp(f, "var_pop") == 0)
        return pr_is_float(a0) ? SQL_TYPE_FLOAT8
               : pr_is_number(a0) ? SQL_TYPE_NUMERIC
                                  : SQL_TYPE_UNKNOWN;
    if (strcmp(f, "abs") == 0)
        return pr_is_number(a0) ? a0 : SQL_TYPE_UNKNOWN;
    if (strcmp(f, "mod") == 0 || strcmp(f, "gcd") == 0 || strcmp(f, "lcm") == 0) {
        if (pr_is_int(a0) && pr_is_int(a1))
            return a0 == SQL_TYPE_INT8 || a1 == SQL_TYPE_INT8 ? SQL_TYPE_INT8 : SQL_TYPE_INT4;
        return pr_is_number(a0) && pr_is_number(a1) ? SQL_TYPE_NUMERIC : SQL_TYPE_UNKNOWN;
    }
    if ((strcmp(f, "round") == 0 || strcmp(f, "trunc") == 0) && n == 2)
        return SQL_TYPE_NUMERIC;
    if (strcmp(f, "log") == 0 && n == 2)
        return SQL_TYPE_NUMERIC;
    if (strcmp(f, "round") == 0 || strcmp(f, "trunc") == 0 || strcmp(f, "ceil") == 0 ||
        strcmp(f, "ceiling") == 0 || strcmp(f, "floor") == 0 || strcmp(f, "sign") == 0 ||
        strcmp(f, "sqrt") == 0 || strcmp(f, "exp") == 0 || strcmp(f, "ln") == 0 ||
        strcmp(f, "log") == 0 || strcmp(f, "log10") == 0)
        return a0 == SQL_TYPE_NUMERIC ? SQL_TYPE_NUMERIC
               : pr_is_number(a0)     ? SQL_TYPE_FLOAT8
                                      : SQL_TYPE_UNKNOWN;
    if (strcmp(f, "power") == 0 || strcmp(f, "pow") == 0) {
        if (!pr_is_number(a0) || !pr_is_number(a1))
            return SQL_TYPE_UNKNOWN;
        if (pr_is_float(a0) || pr_is_float(a1))
            return SQL_TYPE_FLOAT8;
        return a0 == SQL_TYPE_NUMERIC || a1 == SQL_TYPE_NUMERIC ? SQL_TYPE_NUMERIC
                                                                : SQL_TYPE_FLOAT8;
    }
    if (strcmp(f, "date_trunc") == 0)
        return a1 == SQL_TYPE_TIMESTAMP                             ? SQL_TYPE_TIMESTAMP
               : a1 == SQL_TYPE_TIMESTAMPTZ || a1 == SQL_TYPE_DATE ? SQL_TYPE_TIMESTAMPTZ
               : a1 == SQL_TYPE_INTERVAL                            ? SQL_TYPE_INTERVAL
                                                                    : SQL_TYPE_UNKNOWN;
    if (strcmp(f, "substring") == 0 || strcmp(f, "substr") == 0 || strcmp(f, "overlay") == 0 ||
        strcmp(f, "string_agg") == 0 || strcmp(f, "repeat") == 0 || strcmp(f, "reverse") == 0 ||
        strcmp(f, "left") == 0 || strcmp(f, "right") == 0)
        return a0 == SQL_TYPE_BYTEA ? SQL_TYPE_BYTEA : SQL_TYPE_TEXT;
    for (size_t i = 0; i < sizeof pr_func_fixed / sizeof pr_func_fixed[0]; i++)
        if (strcmp(pr_func_fixed[i].name, f) == 0)
            return pr_func_fixed[i].kind;
    return SQL_TYPE_UNKNOWN;
}

/* The type of a binary operator's result. */
static enum sql_type_kind pr_binary_type(struct pr *p, const struct sql_expr *e,
                                         const struct sql_froms *from, int depth)
{
    enum sql_op op = e->binary.op;
    const struct sql_expr *le = e->binary.left, *re = e->binary.right;
    enum sql_type_kind l = pr_expr_type(p, le, from, depth + 1);
    enum sql_type_kind r = pr_expr_type(p, re, from, depth + 1);
    if (op == SQL_OP_CONCAT)
        return l == SQL_TYPE_BYTEA && r == SQL_TYPE_BYTEA ? SQL_TYPE_BYTEA : SQL_TYPE_TEXT;
    if (op == SQL_OP_OTHER && e->binary.op_name != NULL) {
        const char *o = e->binary.op_name;
        if (strcmp(o, "->>") == 0 || strcmp(o, "#>>") == 0)
            return SQL_TYPE_TEXT;
        if (strcmp(o, "^@") == 0)
            return SQL_TYPE_BOOL;
        if (strcmp(o, "->") == 0 || strcmp(o, "#>") == 0)
            return l == SQL_TYPE_JSON || l == SQL_TYPE_JSONB ? l : SQL_TYPE_UNKNOWN;
        return SQL_TYPE_UNKNOWN;
    }
    /* A string literal takes the other side's type. */
    if (pr_is_untyped(le) && !pr_is_untyped(re))
        l = r;
    else if (pr_is_untyped(re) && !pr_is_untyped(le))
        r = l;
    if (op == SQL_OP_BITAND || op == SQL_OP_BITOR || op == SQL_OP_BITXOR)
        return pr_is_int(l) && pr_is_int(r) ? (pr_number_rank(l) > pr_number_rank(r) ? l : r)
                                            : SQL_TYPE_UNKNOWN;
    if (op == SQL_OP_SHL || op == SQL_OP_SHR)
        return pr_is_int(l) && pr_is_int(r) ? l : SQL_TYPE_UNKNOWN;
    if (op == SQL_OP_POW) {
        if (!pr_is_number(l) || !pr_is_number(r))
            return SQL_TYPE_UNKNOWN;
        return (l == SQL_TYPE_NUMERIC || r == SQL_TYPE_NUMERIC) && !pr_is_float(l) &&
                       !pr_is_float(r)
                   ? SQL_TYPE_NUMERIC
                   : SQL_TYPE_FLOAT8;
    }
    if (op != SQL_OP_ADD && op != SQL_OP_SUB && op != SQL_OP_MUL && op != SQL_OP_DIV &&
        op != SQL_OP_MOD)
        return SQL_TYPE_UNKNOWN;
    bool add_sub = op == SQL_OP_ADD || op == SQL_OP_SUB;
    if (pr_is_int(l) && pr_is_int(r))
        return pr_number_rank(l) > pr_number_rank(r) ? l : r;
    if (pr_is_number(l) && pr_is_number(r)) {
        if (l == SQL_TYPE_FLOAT4 && r == SQL_TYPE_FLOAT4)
            return SQL_TYPE_FLOAT4;
        return pr_is_float(l) || pr_is_float(r) ? SQL_TYPE_FLOAT8 : SQL_TYPE_NUMERIC;
    }
    if (l == SQL_TYPE_DATE && pr_is_int(r) && add_sub)
        return SQL_TYPE_DATE;
    if (pr_is_int(l) && r == SQL_TYPE_DATE && op == SQL_OP_ADD)
        return SQL_TYPE_DATE;
    if (l == SQL_TYPE_DATE && r == SQL_TYPE_DATE && op == SQL_OP_SUB)
        return SQL_TYPE_INT4;
    if ((l == SQL_TYPE_DATE || l == SQL_TYPE_TIMESTAMP) && r == SQL_TYPE_INTERVAL && add_sub)
        return SQL_TYPE_TIMESTAMP;
    if (l == SQL_TYPE_INTERVAL && (r == SQL_TYPE_DATE || r == SQL_TYPE_TIMESTAMP) &&
        op == SQL_OP_ADD)
        return SQL_TYPE_TIMESTAMP;
    if ((l == SQL_TYPE_TIMESTAMPTZ && r == SQL_TYPE_INTERVAL && add_sub) ||
        (l == SQL_TYPE_INTERVAL && r == SQL_TYPE_TIMESTAMPTZ && op == SQL_OP_ADD))
        return SQL_TYPE_TIMESTAMPTZ;
    if (((l == SQL_TYPE_DATE && r == SQL_TYPE_TIME) || (l == SQL_TYPE_TIME && r == SQL_TYPE_DATE)) &&
        op == SQL_OP_ADD)
        return SQL_TYPE_TIMESTAMP;
    if (l == SQL_TYPE_TIME && r == SQL_TYPE_INTERVAL && add_sub)
        return SQL_TYPE_TIME;
    if (op == SQL_OP_SUB && l == r &&
        (l == SQL_TYPE_TIMESTAMP || l == SQL_TYPE_TIMESTAMPTZ || l == SQL_TYPE_TIME))
        return SQL_TYPE_INTERVAL;
    if (l == SQL_TYPE_INTERVAL && r == SQL_TYPE_INTERVAL && add_sub)
        return SQL_TYPE_INTERVAL;
    if ((l == SQL_TYPE_INTERVAL && pr_is_number(r) &&
         (op == SQL_OP_MUL || op == SQL_OP_DIV)) ||
        (pr_is_number(l) && r == SQL_TYPE_INTERVAL && op == SQL_OP_MUL))
        return SQL_TYPE_INTERVAL;
    return SQL_TYPE_UNKNOWN;
}

/* What PostgreSQL would say the type of a result column is, as far as the AST and the FROM
 * items tell (UNKNOWN: the executor falls back to the value's storage class). Reports the
 * analysis errors it meets on the way (42804 CASE types, 42883 function arguments). */
static enum sql_type_kind pr_expr_type(struct pr *p, const struct sql_expr *e,
                                       const struct sql_froms *from, int depth)
{
    if (!pr_type_step(p, depth))
        return SQL_TYPE_UNKNOWN;
    enum sql_type_kind k = pr_coltype(e);
    if (k != SQL_TYPE_UNKNOWN)
        return k;
    switch (e->kind) {
    case SQL_E_COLUMN:
        return pr_column_type(p, e, from, depth);
    case SQL_E_UNARY:
        if (e->unary.op == SQL_OP_NEG || e->unary.op == SQL_OP_PLUS ||
            e->unary.op == SQL_OP_BITNOT)
            return pr_expr_type(p, e->unary.arg, from, depth + 1);
        if (e->unary.op_name != NULL && strcmp(e->unary.op_name, "@") == 0)
            return pr_expr_type(p, e->unary.arg, from, depth + 1);
        if (e->unary.op_name != NULL &&
            (strcmp(e->unary.op_name, "|/") == 0 || strcmp(e->unary.op_name, "||/") == 0))
            return SQL_TYPE_FLOAT8;
        return SQL_TYPE_UNKNOWN;
    case SQL_E_BINARY:
        return pr_binary_type(p, e, from, depth);
    case SQL_E_CASE: {
        /* PostgreSQL puts the ELSE first */
        struct pr_common c = {.what = "CASE"};
        if (e->kase.else_result != NULL)
            pr_common_expr(p, &c, e->kase.else_result, from, depth + 1);
        for (uint32_t i = 0; i < e->kase.nwhens; i++)
            pr_common_expr(p, &c, e->kase.whens[i].result, from, depth + 1);
        return pr_common_result(p, &c);
    }
    case SQL_E_FUNC:
        return pr_func_type(p, e, from, depth);
    case SQL_E_SUBLINK:
        if (e->sublink.kind == SQL_SUBLINK_EXPR)
            return pr_select_col_type(p, e->sublink.subquery, 0, depth + 1);
        return SQL_TYPE_UNKNOWN;
    case SQL_E_COLLATE:
        return pr_expr_type(p, e->collate.arg, from, depth + 1);
    default:
        return SQL_TYPE_UNKNOWN;
    }
}

/* The type of e where it is being printed (its query's FROM items in scope): one question,
 * with its own budget of steps. */
static enum sql_type_kind pr_type_now(struct pr *p, const struct sql_expr *e)
{
    p->type_steps = 0;
    return pr_expr_type(p, e, p->from, 0);
}

/* Whether text reads as PostgreSQL's input of an integer of kind k: 0, or 1 when it does not
 * (22P02), 2 when it is out of k's range (22003). */
static int pr_int_input(const char *text, enum sql_type_kind k)
{
    const char *c = text;
    while (*c == ' ' || (*c >= '\t' && *c <= '\r'))
        c++;
    bool neg = *c == '-';
    if (*c == '-' || *c == '+')
        c++;
    if (*c < '0' || *c > '9')
        return 1;
    uint64_t v = 0;
    bool big = false;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (v > (UINT64_MAX - 9) / 10)
            big = true;
        else
            v = v * 10 + (uint64_t)(*c - '0');
    }
    while (*c == ' ' || (*c >= '\t' && *c <= '\r'))
        c++;
    if (*c != '\0')
        return 1;
    uint64_t max = k == SQL_TYPE_INT2 ? 32767 : k == SQL_TYPE_INT4 ? 2147483647 : INT64_MAX;
    return big || v > max + (neg ? 1 : 0) ? 2 : 0;
}

/* Whether text reads as PostgreSQL's input of a numeric: digits with a point and an exponent,
 * NaN, Infinity. */
static bool pr_numeric_input(const char *text)
{
    const char *c = text;
    while (*c == ' ' || (*c >= '\t' && *c <= '\r'))
        c++;
    if (*c == '-' || *c == '+')
        c++;
    static const char *const words[] = {"nan", "infinity", "inf"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i]);
        if (strncasecmp(c, words[i], n) == 0) {
            c += n;
            goto tail;
        }
    }
    bool digits = false;
    for (; *c >= '0' && *c <= '9'; c++)
        digits = true;
    if (*c == '.')
        for (c++; *c >= '0' && *c <= '9'; c++)
            digits = true;
    if (!digits)
        return false;
    if (*c == 'e' || *c == 'E') {
        c++;
        if (*c == '-' || *c == '+')
            c++;
        if (*c < '0' || *c > '9')
            return false;
        while (*c >= '0' && *c <= '9')
            c++;
    }
tail:
    while (*c == ' ' || (*c >= '\t' && *c <= '\r'))
        c++;
    return *c == '\0';
}

/* A string literal taking type k (compared with, assigned to, cast to, or in a CASE with a
 * value of k): PostgreSQL reads it with k's input function while analysing, so text that is
 * no k fails the statement before it runs. Only the integer types and numeric are checked. */
static void pr_check_literal(struct pr *p, const struct sql_expr *e, enum sql_type_kind k)
{
    if (e->kind != SQL_E_CONST || e->konst.kind != SQL_CONST_STRING ||
        strlen(e->konst.text) != e->konst.len)
        return;
    const char *name = pr_type_pg_name(k);
    if (pr_is_int(k)) {
        int bad = pr_int_input(e->konst.text, k);
        if (bad == 1)
            pr_fail(p, ERR_MALFORMED, "22P02", e->loc, "invalid input syntax for type %s: \"%s\"",
                    name, e->konst.text);
        else if (bad == 2)
            pr_fail(p, ERR_MALFORMED, "22003", e->loc,
                    "value \"%s\" is out of range for type %s", e->konst.text, name);
    } else if (k == SQL_TYPE_NUMERIC && !pr_numeric_input(e->konst.text)) {
        pr_fail(p, ERR_MALFORMED, "22P02", e->loc, "invalid input syntax for type %s: \"%s\"",
                name, e->konst.text);
    }
}

static void pr_targets(struct pr *p, const struct sql_targets *t, const struct sql_froms *from,
                       struct pr_cols *cols)
{
    bool first = true;
    for (uint32_t i = 0; i < t->n && p->rc == 0; i++) {
        const struct sql_expr *e = t->v[i].expr;
        if (e->kind == SQL_E_COLUMN && e->column.star) {
            const char *only = e->column.nparts ? e->column.parts[e->column.nparts - 1] : NULL;
            bool matched = false;
            for (uint32_t k = 0; from != NULL && k < from->n && p->rc == 0; k++)
                pr_star_from(p, from->v[k], only, &first, cols, &matched);
            if (!matched && p->rc == 0) {
                if (only != NULL)
                    pr_fail(p, ERR_NOTFOUND, "42P01", e->loc,
                            "missing FROM-clause entry for table \"%s\"", only);
                else
                    pr_fail(p, ERR_MALFORMED, "42601", e->loc,
                            "SELECT * with no tables specified is not valid");
            }
            continue;
        }
        pr_s(p, first ? "" : ", ");
        first = false;
        bool group = p->having_group;
        p->having_group = false; /* not for a subquery inside it */
        pr_s(p, group ? "iif(count(*) >= 0, " : "");
        pr_expr(p, e);
        pr_s(p, group ? ", NULL)" : "");
        const char *name = t->v[i].alias ? t->v[i].alias : pr_colname(e);
        pr_s(p, " AS ");
        pr_ident(p, name);
        const char *table = NULL, *column = NULL;
        if (e->kind == SQL_E_COLUMN && e->column.nparts > 0) {
            column = e->column.parts[e->column.nparts - 1];
            table = e->column.nparts > 1 ? e->column.parts[e->column.nparts - 2] : NULL;
        }
        p->type_steps = 0;
        enum sql_type_kind kind = pr_expr_type(p, e, from, 0);
        pr_cols_add(p, cols, name, kind, table, column);
    }
}

/* ---- SELECT ---- */

static uint32_t pr_push_ctes(struct pr *p, const struct sql_with *w)
{
    uint32_t pushed = 0;
    for (uint32_t i = 0; w != NULL && i < w->n && p->nscope < PR_SCOPE_MAX; i++) {
        p->scope_cte[p->nscope] = &w->v[i];
        p->scope[p->nscope++] = w->v[i].name;
        pushed++;
    }
    return pushed;
}

static void pr_with(struct pr *p, const struct sql_with *w)
{
    pr_s(p, w->recursive ? "WITH RECURSIVE " : "WITH ");
    for (uint32_t i = 0; i < w->n && p->rc == 0; i++) {
        const struct sql_cte *c = &w->v[i];
        for (uint32_t k = 0; k < i; k++)
            if (strcmp(w->v[k].name, c->name) == 0) {
                pr_fail(p, ERR_MALFORMED, "42712", c->loc,
                        "WITH query name \"%s\" specified more than once", c->name);
                return;
            }
        if (i)
            pr_s(p, ", ");
        pr_ident(p, c->name);
        if (c->cols.n > 0) {
            pr_s(p, "(");
            for (uint32_t k = 0; k < c->cols.n; k++) {
                if (k)
                    pr_s(p, ", ");
                pr_ident(p, c->cols.v[k]);
            }
            pr_s(p, ")");
        }
        pr_s(p, " AS ");
        if (c->materialized > 0)
            pr_s(p, "MATERIALIZED ");
        else if (c->materialized < 0)
            pr_s(p, "NOT MATERIALIZED ");
        pr_s(p, "(");
        if (c->query->kind != SQL_STMT_SELECT) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", c->loc,
                    "INSERT, UPDATE or DELETE inside WITH is not supported yet");
            return;
        }
        pr_select(p, c->query->select, false, NULL);
        pr_s(p, ")");
    }
    pr_s(p, " ");
}

static bool pr_select_simple(const struct sql_select *q)
{
    return q->with == NULL && q->order_by.n == 0 && q->limit == NULL && q->offset == NULL;
}

static void pr_select_core(struct pr *p, const struct sql_select *q, struct pr_cols *cols);

/* A member of a compound select: SQLite takes neither parentheses nor ORDER BY / LIMIT there, so
 * such a member becomes a subquery. */
static void pr_setop_member(struct pr *p, const struct sql_select *q, struct pr_cols *cols,
                            bool left)
{
    bool wrap = !pr_select_simple(q) ||
                (q->kind == SQL_SELECT_SETOP && !left) ||
                q->kind == SQL_SELECT_VALUES;
    if (wrap) {
        pr_s(p, "SELECT * FROM (");
        pr_select(p, q, false, NULL);
        pr_s(p, ")");
        if (cols != NULL) {
            /* names come from the member itself */
            const struct sql_select *m = q;
            while (m->kind == SQL_SELECT_SETOP)
                m = m->left;
            if (m->kind == SQL_SELECT_PLAIN) {
                for (uint32_t i = 0; i < m->targets.n; i++) {
                    const struct sql_expr *e = m->targets.v[i].expr;
                    if (e->kind == SQL_E_COLUMN && e->column.star) {
                        cols->star = true;
                        continue;
                    }
                    pr_cols_add(p, cols, m->targets.v[i].alias ? m->targets.v[i].alias
                                                               : pr_colname(e),
                                pr_coltype(e), NULL, NULL);
                }
            } else {
                cols->star = true;
            }
        }
        return;
    }
    pr_select_core(p, q, cols);
}

static void pr_check_position(struct pr *p, const struct sql_select *q, const struct sql_expr *e,
                              const char *clause);

/* An ORDER BY or DISTINCT ON item of a select that names an output column (a position, or
 * an alias that is no column of the FROM items): that target's expression; else e. */
static const struct sql_expr *pr_output_ref(struct pr *p, const struct sql_select *q,
                                            const struct sql_expr *e)
{
    if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT && e->konst.ival >= 1 &&
        e->konst.ival <= (int64_t)q->targets.n)
        return q->targets.v[e->konst.ival - 1].expr;
    if (e->kind != SQL_E_COLUMN || e->column.nparts != 1 || e->column.star)
        return e;
    for (uint32_t i = 0; i < q->targets.n; i++)
        if (q->targets.v[i].alias != NULL && strcmp(q->targets.v[i].alias, e->column.parts[0]) == 0) {
            bool found = false;
            for (uint32_t k = 0; k < q->from.n && !found; k++)
                pr_from_col_type(p, q->from.v[k], NULL, e->column.parts[0], &found, 0);
            return found ? e : q->targets.v[i].expr;
        }
    return e;
}

/* ASC / DESC and where NULLs go: PostgreSQL sorts NULL as larger than every value, SQLite as
 * smaller, so the default is written out. */
static void pr_sort_suffix(struct pr *p, const struct sql_sort *so)
{
    bool desc = so->dir == SQL_SORT_DESC;
    pr_s(p, desc ? " DESC" : " ASC");
    bool nulls_first = so->nulls == SQL_NULLS_FIRST || (so->nulls == SQL_NULLS_DEFAULT && desc);
    pr_s(p, nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

static void pr_select_body(struct pr *p, const struct sql_select *q, struct pr_cols *cols,
                           bool distinct_on);

/* SELECT DISTINCT ON (d...) ... ORDER BY o...: the first row of each group of d in the order
 * o, which SQLite lacks: the rows numbered within their group in that order, the first kept,
 * and ordered outside by the same keys (carried as hidden columns "__o1"...). The select
 * prints its ORDER BY itself (pr_select leaves it). */
static void pr_select_distinct_on(struct pr *p, const struct sql_select *q, struct pr_cols *cols)
{
    const char **names = malloc(SQL_COLUMNS_MAX * sizeof *names);
    if (names == NULL) {
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return;
    }
    int n = pr_select_col_names(q, NULL, names, SQL_COLUMNS_MAX);
    bool unique = n > 0;
    for (int i = 0; i < n && unique; i++)
        unique = !pr_name_listed(names, i, names[i]) && strncmp(names[i], "__", 2) != 0;
    if (!unique) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", q->loc,
                "DISTINCT ON over a * or columns without distinct names is not supported yet");
        free(names);
        return;
    }
    pr_s(p, "SELECT ");
    for (int i = 0; i < n; i++) {
        if (i)
            pr_s(p, ", ");
        pr_ident(p, names[i]);
    }
    free(names);
    pr_s(p, " FROM (");
    pr_select_body(p, q, cols, true);
    pr_s(p, ") WHERE \"__rn\" = 1");
    if (q->order_by.n > 0) {
        pr_s(p, " ORDER BY ");
        for (uint32_t i = 0; i < q->order_by.n; i++) {
            pr_f(p, "%s\"__o%u\"", i ? ", " : "", i + 1);
            pr_sort_suffix(p, &q->order_by.v[i]);
        }
    }
}

/* ---- grouping: a column neither grouped nor aggregated (42803) ----
 *
 * Judged only where it is sure: every GROUP BY item a plain column (or a position or result
 * name standing for one), the column's FROM item a user table found by its qualifier or alone
 * in having it. A table whose whole primary key is grouped lends every column (PostgreSQL's
 * functional dependency). Anything else is left to SQLite, which takes any row's value. */

struct pr_group_ck {
    struct pr *p;
    const struct sql_select *q;
    const struct sql_from *leaf[SQL_GROUP_LEAVES_MAX]; /* the query's plain table items */
    const struct sql_table_column *cols[SQL_GROUP_LEAVES_MAX];
    uint32_t ncols[SQL_GROUP_LEAVES_MAX];
    uint32_t nleaves;
    bool opaque; /* a FROM item whose columns are not known (a subquery, a CTE, a function) */
    /* the grouped columns, as (leaf, column index) */
    uint32_t gleaf[SQL_COLUMNS_MAX], gcol[SQL_COLUMNS_MAX];
    uint32_t ngrouped;
    bool whole[SQL_GROUP_LEAVES_MAX]; /* the leaf's primary key is grouped */
    int depth;
};

static void pr_group_leaves(struct pr_group_ck *g, const struct sql_from *f)
{
    if (f->kind == SQL_FROM_JOIN) {
        pr_group_leaves(g, f->join.left);
        pr_group_leaves(g, f->join.right);
        return;
    }
    const struct sql_table_column *cols = NULL;
    uint32_t n = 0;
    if (f->kind != SQL_FROM_TABLE || f->alias.cols.n > 0 || g->nleaves == SQL_GROUP_LEAVES_MAX ||
        g->p->o->table_columns == NULL ||
        g->p->o->table_columns(g->p->o->ctx, f->table.schema, f->table.name, &cols, &n) != 0 ||
        (f->table.schema == NULL && pr_in_scope(g->p, f->table.name))) {
        g->opaque = true;
        return;
    }
    g->leaf[g->nleaves] = f;
    g->cols[g->nleaves] = cols;
    g->ncols[g->nleaves] = n;
    g->nleaves++;
}

/* The leaf and column a column reference names: 1, or 0 when not surely one of them. */
static int pr_group_resolve(const struct pr_group_ck *g, const struct sql_expr *e, uint32_t *leaf,
                            uint32_t *col)
{
    if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0 ||
        e->column.nparts > 2)
        return 0;
    const char *name = e->column.parts[e->column.nparts - 1];
    const char *qual = e->column.nparts == 2 ? e->column.parts[0] : NULL;
    if (qual == NULL && g->opaque)
        return 0;
    int found = 0;
    for (uint32_t i = 0; i < g->nleaves; i++) {
        if (qual != NULL && strcmp(pr_from_alias(g->leaf[i]), qual) != 0)
            continue;
        for (uint32_t c = 0; c < g->ncols[i]; c++)
            if (strcmp(g->cols[i][c].name, name) == 0) {
                *leaf = i;
                *col = c;
                found++;
            }
    }
    return found == 1;
}

static bool pr_group_has(const struct pr_group_ck *g, uint32_t leaf, uint32_t col)
{
    for (uint32_t k = 0; k < g->ngrouped; k++)
        if (g->gleaf[k] == leaf && g->gcol[k] == col)
            return true;
    return false;
}

static int pr_group_walk(void *ctx, const struct sql_expr *e)
{
    struct pr_group_ck *g = ctx;
    if (g->p->rc != 0 || ++g->depth > SQL_DEPTH_MAX) {
        g->depth--;
        return 1;
    }
    int rc = 0;
    uint32_t leaf, col;
    if (pr_is_aggregate(g->p, e)) {
        /* an aggregate reads the rows, not the groups */
    } else if (e->kind == SQL_E_SUBLINK) {
        /* a subquery groups for itself (its outer references are not judged) */
    } else if ((e->kind == SQL_E_IN && e->in.subquery != NULL) ||
               (e->kind == SQL_E_QUANTIFIED && e->quant.subquery != NULL)) {
        rc = pr_group_walk(g, e->kind == SQL_E_IN ? e->in.arg : e->quant.left);
    } else if (e->kind == SQL_E_COLUMN) {
        if (pr_group_resolve(g, e, &leaf, &col) && !g->whole[leaf] &&
            !pr_group_has(g, leaf, col)) {
            pr_fail(g->p, ERR_MALFORMED, "42803", e->loc,
                    "column \"%s.%s\" must appear in the GROUP BY clause or be used in an "
                    "aggregate function",
                    pr_from_alias(g->leaf[leaf]), g->cols[leaf][col].name);
            rc = 1;
        }
    } else {
        rc = sql_expr_children(e, pr_group_walk, g);
    }
    g->depth--;
    return rc;
}

static void pr_check_grouping(struct pr *p, const struct sql_select *q)
{
    bool grouped = q->group_by.n > 0 || q->having != NULL;
    for (uint32_t i = 0; i < q->targets.n && !grouped; i++)
        grouped = pr_find_aggregate(p, q->targets.v[i].expr) != NULL;
    if (!p->o->check_grouping || !grouped || q->group_by.n > SQL_COLUMNS_MAX)
        return;
    struct pr_group_ck *g = calloc(1, sizeof *g);
    if (g == NULL)
        return;
    g->p = p;
    g->q = q;
    for (uint32_t i = 0; i < q->from.n; i++)
        pr_group_leaves(g, q->from.v[i]);
    bool sure = true;
    for (uint32_t i = 0; i < q->group_by.n && sure; i++) {
        const struct sql_expr *e = pr_output_ref(p, q, q->group_by.v[i]);
        uint32_t leaf, col;
        sure = pr_group_resolve(g, e, &leaf, &col) == 1;
        if (sure) {
            g->gleaf[g->ngrouped] = leaf;
            g->gcol[g->ngrouped++] = col;
        }
    }
    for (uint32_t i = 0; i < g->nleaves && sure; i++) {
        bool any = false, all = true;
        for (uint32_t c = 0; c < g->ncols[i]; c++)
            if (g->cols[i][c].pk) {
                any = true;
                all &= pr_group_has(g, i, c);
            }
        g->whole[i] = any && all;
    }
    for (uint32_t i = 0; i < q->targets.n && sure && p->rc == 0; i++)
        if (!(q->targets.v[i].expr->kind == SQL_E_COLUMN && q->targets.v[i].expr->column.star))
            pr_group_walk(g, q->targets.v[i].expr);
    if (sure && q->having != NULL && p->rc == 0)
        pr_group_walk(g, q->having);
    free(g);
}

static void pr_select_plain(struct pr *p, const struct sql_select *q, struct pr_cols *cols)
{
    if (q->distinct_on.n > 0) {
        pr_select_distinct_on(p, q, cols);
        return;
    }
    pr_select_body(p, q, cols, false);
}

static void pr_select_body(struct pr *p, const struct sql_select *q, struct pr_cols *cols,
                           bool distinct_on)
{
    pr_check_grouping(p, q);
    pr_s(p, q->distinct && !distinct_on ? "SELECT DISTINCT " : "SELECT ");
    if (q->targets.n == 0)
        pr_s(p, "NULL AS \"?column?\"");
    p->check_cols = true;
    p->having_group = q->having != NULL && q->group_by.n == 0;
    for (uint32_t i = 0; i < q->targets.n && p->having_group; i++)
        if (pr_find_aggregate(p, q->targets.v[i].expr) != NULL)
            p->having_group = false;
    pr_targets(p, &q->targets, &q->from, cols);
    p->having_group = false;
    p->check_cols = false;
    if (distinct_on) {
        pr_s(p, ", row_number() OVER (PARTITION BY ");
        for (uint32_t i = 0; i < q->distinct_on.n && p->rc == 0; i++) {
            if (i)
                pr_s(p, ", ");
            pr_expr(p, pr_output_ref(p, q, q->distinct_on.v[i]));
        }
        if (q->order_by.n > 0) {
            pr_s(p, " ORDER BY ");
            for (uint32_t i = 0; i < q->order_by.n && p->rc == 0; i++) {
                if (i)
                    pr_s(p, ", ");
                pr_expr(p, pr_output_ref(p, q, q->order_by.v[i].expr));
                pr_sort_suffix(p, &q->order_by.v[i]);
            }
        }
        pr_s(p, ") AS \"__rn\"");
        for (uint32_t i = 0; i < q->order_by.n && p->rc == 0; i++) {
            pr_s(p, ", ");
            pr_expr(p, pr_output_ref(p, q, q->order_by.v[i].expr));
            pr_f(p, " AS \"__o%u\"", i + 1);
        }
    }
    if (q->from.n > 0) {
        pr_s(p, " FROM ");
        pr_froms(p, &q->from);
    }
    if (q->where != NULL) {
        const struct sql_expr *agg = pr_find_aggregate(p, q->where);
        if (agg != NULL) {
            pr_fail(p, ERR_MALFORMED, "42803", agg->loc,
                    "aggregate functions are not allowed in WHERE");
            return;
        }
        pr_s(p, " WHERE ");
        p->check_cols = true;
        bool lits = pr_lits_set(p, true);
        pr_expr(p, q->where);
        pr_lits_set(p, lits);
        p->check_cols = false;
    }
    if (q->group_by.n > 0) {
        for (uint32_t i = 0; i < q->group_by.n && p->rc == 0; i++)
            pr_check_position(p, q, q->group_by.v[i], "GROUP BY");
        pr_s(p, " GROUP BY ");
        pr_exprs(p, &q->group_by);
    }
    if (q->having != NULL) {
        pr_s(p, " HAVING ");
        pr_expr(p, q->having);
    }
    if (q->windows.n > 0) {
        pr_s(p, " WINDOW ");
        for (uint32_t i = 0; i < q->windows.n && p->rc == 0; i++) {
            if (i)
                pr_s(p, ", ");
            pr_ident(p, q->windows.v[i].name);
            pr_s(p, " AS ");
            pr_window(p, q->windows.v[i].spec);
        }
    }
}

static void pr_select_values(struct pr *p, const struct sql_select *q, struct pr_cols *cols)
{
    pr_s(p, "VALUES ");
    for (uint32_t r = 0; r < q->values.n && p->rc == 0; r++) {
        pr_s(p, r ? ", (" : "(");
        pr_exprs(p, &q->values.v[r]);
        pr_s(p, ")");
    }
    if (cols != NULL && q->values.n > 0)
        for (uint32_t i = 0; i < q->values.v[0].n; i++) {
            char *name = sql_arena_alloc(p->st->arena, 24);
            if (name == NULL)
                break;
            snprintf(name, 24, "column%u", i + 1);
            pr_cols_add(p, cols, name, pr_select_col_type(p, q, i, 0), NULL, NULL);
        }
}

/* One side of INTERSECT ALL / EXCEPT ALL: its rows numbered within each group of equal rows,
 * so that the set operation on (row, number) keeps as many of each as PostgreSQL does. */
static void pr_setop_all_side(struct pr *p, const struct sql_select *q, const char **names,
                              int n)
{
    pr_s(p, "SELECT ");
    for (int i = 0; i < n; i++) {
        pr_ident(p, names[i]);
        pr_s(p, ", ");
    }
    pr_s(p, "row_number() OVER (PARTITION BY ");
    for (int i = 0; i < n; i++) {
        if (i)
            pr_s(p, ", ");
        pr_ident(p, names[i]);
    }
    pr_s(p, ") AS \"__n\" FROM (");
    pr_select(p, q, false, NULL);
    pr_s(p, ")");
}

/* INTERSECT ALL / EXCEPT ALL, which SQLite lacks: m copies of a row on the left and n on the
 * right give min(m, n) / max(m - n, 0), which is the plain set operation on rows numbered
 * 1..m and 1..n within their groups. */
static void pr_setop_all(struct pr *p, const struct sql_select *q, struct pr_cols *cols)
{
    const char **ln = malloc(2 * SQL_COLUMNS_MAX * sizeof *ln);
    if (ln == NULL) {
        pr_fail(p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
        return;
    }
    const char **rn = ln + SQL_COLUMNS_MAX;
    int nl = pr_select_col_names(q->left, NULL, ln, SQL_COLUMNS_MAX);
    int nr = pr_select_col_names(q->right, NULL, rn, SQL_COLUMNS_MAX);
    bool unique = nl > 0;
    for (int i = 0; i < nl && unique; i++)
        unique = !pr_name_listed(ln, i, ln[i]);
    for (int i = 0; i < nr && unique; i++)
        unique = !pr_name_listed(rn, i, rn[i]);
    if (!unique || nl != nr) {
        pr_fail(p, nl != nr && nl >= 0 && nr >= 0 ? ERR_MALFORMED : ERR_UNSUPPORTED,
                nl != nr && nl >= 0 && nr >= 0 ? "42601" : "0A000", q->loc,
                nl != nr && nl >= 0 && nr >= 0
                    ? "each %s query must have the same number of columns"
                    : "%s ALL over columns without distinct names is not supported yet",
                q->op == SQL_SETOP_INTERSECT ? "INTERSECT" : "EXCEPT");
        free(ln);
        return;
    }
    pr_s(p, "SELECT ");
    for (int i = 0; i < nl && p->rc == 0; i++) {
        if (i)
            pr_s(p, ", ");
        pr_ident(p, ln[i]);
        pr_cols_add(p, cols, ln[i], pr_select_col_type(p, q, (uint32_t)i, 0), NULL, NULL);
    }
    pr_s(p, " FROM (");
    pr_setop_all_side(p, q->left, ln, nl);
    pr_s(p, q->op == SQL_SETOP_INTERSECT ? " INTERSECT " : " EXCEPT ");
    pr_setop_all_side(p, q->right, rn, nr);
    pr_s(p, ")");
    free(ln);
}

static void pr_select_core(struct pr *p, const struct sql_select *q, struct pr_cols *cols)
{
    switch (q->kind) {
    case SQL_SELECT_PLAIN: {
        const struct sql_froms *outer_from = p->from;
        struct pr_scope sc = {.from = &q->from, .up = p->scopes};
        p->from = &q->from;
        p->scopes = &sc;
        pr_select_plain(p, q, cols);
        p->scopes = sc.up;
        p->from = outer_from;
        return;
    }
    case SQL_SELECT_VALUES: {
        const struct sql_froms *outer_from = p->from;
        p->from = NULL;
        pr_select_values(p, q, cols);
        p->from = outer_from;
        return;
    }
    case SQL_SELECT_SETOP: {
        static const char *ops[] = {[SQL_SETOP_UNION] = " UNION ",
                                    [SQL_SETOP_INTERSECT] = " INTERSECT ",
                                    [SQL_SETOP_EXCEPT] = " EXCEPT "};
        if (q->all && q->op != SQL_SETOP_UNION) {
            pr_setop_all(p, q, cols);
            return;
        }
        pr_setop_member(p, q->left, cols, true);
        pr_s(p, ops[q->op]);
        if (q->all)
            pr_s(p, "ALL ");
        pr_setop_member(p, q->right, NULL, false);
        /* every member's column decides its type (1 UNION 1.5 is numeric) */
        for (uint32_t i = 0; cols != NULL && !cols->star && i < cols->n && p->rc == 0; i++)
            cols->v[i].type.kind = pr_select_col_type(p, q, i, 0);
        return;
    }
    }
}

/* The number of q's output columns, or -1 when a * hides it. */
static int pr_select_width(const struct sql_select *q)
{
    while (q->kind == SQL_SELECT_SETOP)
        q = q->left;
    if (q->kind == SQL_SELECT_VALUES)
        return q->values.n ? (int)q->values.v[0].n : 0;
    for (uint32_t i = 0; i < q->targets.n; i++)
        if (q->targets.v[i].expr->kind == SQL_E_COLUMN && q->targets.v[i].expr->column.star)
            return -1;
    return (int)q->targets.n;
}

/* A position (GROUP BY 2, ORDER BY 2) must name an output column: 42P10. */
static void pr_check_position(struct pr *p, const struct sql_select *q, const struct sql_expr *e,
                              const char *clause)
{
    int width = pr_select_width(q);
    if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT && width >= 0 &&
        (e->konst.ival < 1 || e->konst.ival > width))
        pr_fail(p, ERR_MALFORMED, "42P10", e->loc, "%s position %lld is not in select list",
                clause, (long long)e->konst.ival);
}

/* PostgreSQL's analysis of ORDER BY: positions in range (42P10); over a set operation only
 * output columns (42703); with SELECT DISTINCT only what the select list has (42P10). Only
 * plain column references are judged; other expressions pass. */
static void pr_check_order_by(struct pr *p, const struct sql_select *q)
{
    for (uint32_t i = 0; i < q->order_by.n && p->rc == 0; i++) {
        const struct sql_expr *e = q->order_by.v[i].expr;
        pr_check_position(p, q, e, "ORDER BY");
        if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts == 0 ||
            pr_select_width(q) < 0)
            continue;
        const char *col = e->column.parts[e->column.nparts - 1];
        if (q->kind == SQL_SELECT_SETOP && e->column.nparts == 1 &&
            pr_select_col_index(q, NULL, col) < 0) {
            pr_fail(p, ERR_NOTFOUND, "42703", e->loc, "column \"%s\" does not exist", col);
            return;
        }
        if (q->kind != SQL_SELECT_PLAIN || !q->distinct || q->distinct_on.n > 0)
            continue;
        bool listed = false;
        for (uint32_t k = 0; k < q->targets.n && !listed; k++) {
            const struct sql_target *t = &q->targets.v[k];
            const struct sql_expr *te = t->expr;
            listed = (e->column.nparts == 1 && t->alias != NULL && strcmp(t->alias, col) == 0) ||
                     (te->kind == SQL_E_COLUMN && te->column.nparts > 0 &&
                      strcmp(te->column.parts[te->column.nparts - 1], col) == 0);
        }
        if (!listed)
            pr_fail(p, ERR_MALFORMED, "42P10", e->loc,
                    "for SELECT DISTINCT, ORDER BY expressions must appear in select list");
    }
}

/* LIMIT / OFFSET: NULL is no limit; a negative constant is PostgreSQL's 2201W / 2201X; a
 * string literal must read as a bigint. */
static void pr_limit(struct pr *p, const struct sql_expr *e, const char *clause)
{
    bool limit = strcmp(clause, "LIMIT") == 0;
    if (e == NULL || (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_NULL)) {
        pr_s(p, limit ? "-1" : "0");
        return;
    }
    if (e->kind == SQL_E_CONST && e->konst.kind == SQL_CONST_INT && e->konst.ival < 0) {
        pr_fail(p, ERR_MALFORMED, limit ? "2201W" : "2201X", e->loc,
                "%s must not be negative", clause);
        return;
    }
    if (pr_is_untyped(e)) {
        pr_check_literal(p, e, SQL_TYPE_INT8);
        pr_s(p, "pg_cast(");
        pr_expr(p, e);
        pr_s(p, ", 'int8')");
        return;
    }
    pr_expr(p, e);
}

static void pr_select(struct pr *p, const struct sql_select *q, bool want_cols,
                      struct sql_printed *out)
{
    if (!pr_enter(p)) {
        pr_leave(p);
        return;
    }
    const char *returning_target = p->returning_target;
    bool check_cols = p->check_cols;
    bool lits = pr_lits_set(p, false);
    p->returning_target = NULL;
    p->check_cols = false;
    uint32_t pushed = pr_push_ctes(p, q->with);
    if (q->with != NULL)
        pr_with(p, q->with);
    struct pr_cols cols = {0};
    /* SQLite takes neither ORDER BY nor LIMIT on a bare VALUES */
    bool wrap = q->kind == SQL_SELECT_VALUES &&
                (q->order_by.n > 0 || q->limit != NULL || q->offset != NULL);
    if (wrap)
        pr_s(p, "SELECT * FROM (");
    pr_select_core(p, q, want_cols ? &cols : NULL);
    if (wrap)
        pr_s(p, ")");
    if (q->order_by.n > 0 && !(q->kind == SQL_SELECT_PLAIN && q->distinct_on.n > 0)) {
        pr_check_order_by(p, q);
        const struct sql_froms *outer_from = p->from;
        p->from = q->kind == SQL_SELECT_PLAIN ? &q->from : NULL;
        struct pr_scope sc = {.from = p->from, .up = p->scopes};
        p->scopes = &sc;
        pr_s(p, " ORDER BY ");
        pr_sorts(p, &q->order_by, q);
        p->scopes = sc.up;
        p->from = outer_from;
    }
    if (q->limit != NULL || q->offset != NULL) {
        pr_s(p, " LIMIT ");
        pr_limit(p, q->limit, "LIMIT");
        if (q->offset != NULL) {
            pr_s(p, " OFFSET ");
            pr_limit(p, q->offset, "OFFSET");
        }
    }
    p->nscope -= pushed;
    p->returning_target = returning_target;
    p->check_cols = check_cols;
    pr_lits_set(p, lits);
    if (want_cols && out != NULL && p->rc == 0) {
        out->has_star = cols.star;
        out->ncols = cols.star ? 0 : cols.n;
        out->cols = cols.star ? NULL : cols.v;
    }
    pr_leave(p);
}

/* ---- DML ---- */

static const struct sql_table_column *pr_find_col(const struct sql_table_column *tc, uint32_t n,
                                                  const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(tc[i].name, name) == 0)
            return &tc[i];
    return NULL;
}

/* Whether PostgreSQL has no assignment cast from type src to a column of type dst (42804):
 * numbers and booleans go only to their own family and to text, text to text. */
static bool pr_assign_refused(enum sql_type_kind src, const struct sql_type *dst)
{
    char fs = pr_type_family(src), fd = pr_type_family(dst->kind);
    if (src == SQL_TYPE_UNKNOWN || dst->array_dims > 0 || dst->kind == SQL_TYPE_OTHER ||
        dst->kind == SQL_TYPE_UNKNOWN || fs == 0)
        return false;
    if (fs == 'S')
        return fd != 'S';
    return fd != fs && fd != 'S';
}

static void pr_assign_type(struct pr *p, const struct sql_table_column *col)
{
    if (col->type.serial) {
        struct sql_type t = col->type;
        t.serial = false;
        pr_type_text(p, &t);
    } else {
        pr_type_text(p, &col->type);
    }
}

static void pr_default_value(struct pr *p, const struct sql_table_column *col);

/* DEFAULT as a value of INSERT or UPDATE: the column's default expression, cast as the table
 * casts it, or NULL. */
static void pr_assign_default(struct pr *p, const struct sql_expr *v,
                              const struct sql_table_column *col)
{
    if (col == NULL || !col->default_known) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", v->loc,
                "DEFAULT here is not supported for this table yet; leave the column out");
        return;
    }
    pr_default_value(p, col);
}

static void pr_default_value(struct pr *p, const struct sql_table_column *col)
{
    if (col->default_sql == NULL) {
        pr_s(p, "NULL");
        return;
    }
    pr_s(p, "pg_cast((");
    pr_s(p, col->default_sql);
    pr_s(p, "), ");
    pr_assign_type(p, col);
    pr_s(p, ")");
}

/* A value assigned to a column: PostgreSQL's assignment cast to its type. */
static void pr_assign(struct pr *p, const struct sql_expr *v, const struct sql_table_column *col)
{
    if (v->kind == SQL_E_DEFAULT) {
        pr_assign_default(p, v, col);
        return;
    }
    if (col == NULL || (v->kind == SQL_E_CONST && v->konst.kind == SQL_CONST_NULL)) {
        pr_expr(p, v);
        return;
    }
    if (pr_is_untyped(v)) {
        if (col->type.array_dims == 0)
            pr_check_literal(p, v, col->type.kind);
    } else {
        enum sql_type_kind t = pr_type_now(p, v);
        if (pr_assign_refused(t, &col->type)) {
            pr_fail(p, ERR_MALFORMED, "42804", v->loc,
                    "column \"%s\" is of type %s but expression is of type %s", col->name,
                    pr_type_pg_name(col->type.kind), pr_type_pg_name(t));
            return;
        }
    }
    pr_s(p, "pg_cast(");
    pr_expr(p, v);
    pr_s(p, ", ");
    pr_assign_type(p, col);
    pr_s(p, ")");
}

static void pr_returning(struct pr *p, const struct sql_targets *t, const struct sql_qname *table,
                         const char *alias, struct sql_printed *out)
{
    if (t->n == 0)
        return;
    pr_s(p, " RETURNING ");
    /* RETURNING sees the target table only, unqualified. */
    struct sql_from f = {.kind = SQL_FROM_TABLE, .loc = -1, .table = *table};
    f.alias.name = alias;
    struct sql_from *fv[1] = {&f};
    struct sql_froms from = {.n = 1, .v = fv};
    struct pr_cols cols = {0};
    struct pr_scope sc = {.from = &from, .up = p->scopes};
    p->scopes = &sc;
    p->returning_target = alias ? alias : table->name;
    pr_targets(p, t, &from, &cols);
    p->returning_target = NULL;
    p->scopes = sc.up;
    if (out != NULL && p->rc == 0) {
        out->has_star = cols.star;
        out->ncols = cols.star ? 0 : cols.n;
        out->cols = cols.star ? NULL : cols.v;
    }
}

static void pr_set_clauses(struct pr *p, const struct sql_set_clauses *set,
                           const struct sql_table_column *tc, uint32_t ntc)
{
    bool lits = pr_lits_set(p, true);
    for (uint32_t i = 0; i < set->n && p->rc == 0; i++) {
        const struct sql_set_clause *c = &set->v[i];
        if (i)
            pr_s(p, ", ");
        if (c->cols.n == 1) {
            pr_ident(p, c->cols.v[0]);
            pr_s(p, " = ");
            const struct sql_table_column *col = tc ? pr_find_col(tc, ntc, c->cols.v[0]) : NULL;
            if (tc != NULL && col == NULL) {
                pr_fail(p, ERR_NOTFOUND, "42703", c->loc, "column \"%s\" does not exist",
                        c->cols.v[0]);
                return;
            }
            pr_assign(p, c->value, col);
            continue;
        }
        pr_s(p, "(");
        for (uint32_t k = 0; k < c->cols.n; k++) {
            if (k)
                pr_s(p, ", ");
            pr_ident(p, c->cols.v[k]);
        }
        pr_s(p, ") = ");
        pr_expr(p, c->value);
    }
    pr_lits_set(p, lits);
}

static void pr_insert_body(struct pr *p, const struct sql_insert *in, struct sql_printed *out,
                           const char *m);
static const struct sql_froms *pr_target_froms(struct pr *p, const struct sql_qname *table,
                                               const char *alias, const struct sql_froms *more);

static void pr_insert(struct pr *p, const struct sql_insert *in, struct sql_printed *out)
{
    uint32_t pushed = pr_push_ctes(p, in->with);
    if (in->with != NULL)
        pr_with(p, in->with);
    const char *m = pr_table_name(p, &in->table);
    if (m == NULL)
        return;
    /* the target is in scope of ON CONFLICT's and RETURNING's subqueries */
    struct sql_froms none = {0};
    struct pr_scope sc = {.from = pr_target_froms(p, &in->table, in->alias, &none),
                          .up = p->scopes};
    p->scopes = &sc;
    pr_insert_body(p, in, out, m);
    p->scopes = sc.up;
    p->nscope -= pushed;
}

/* Whether constants a and b are the same value for a key (an integer and a string are not
 * compared: not told here). */
static bool pr_same_constant(const struct sql_expr *a, const struct sql_expr *b)
{
    if (a->kind != SQL_E_CONST || b->kind != SQL_E_CONST || a->konst.kind != b->konst.kind)
        return false;
    switch (a->konst.kind) {
    case SQL_CONST_INT: return a->konst.ival == b->konst.ival;
    case SQL_CONST_STRING:
        return a->konst.len == b->konst.len && memcmp(a->konst.text, b->konst.text, a->konst.len) == 0;
    case SQL_CONST_NUMERIC: return strcmp(a->konst.text, b->konst.text) == 0;
    case SQL_CONST_BOOL: return a->konst.bval == b->konst.bval;
    default: return false; /* NULLs never conflict */
    }
}

/* ON CONFLICT (cols) DO UPDATE over VALUES rows: two rows with the same constant key would
 * update one row twice, which PostgreSQL refuses (21000) where SQLite's upsert updates the row
 * the first inserted. Rows whose key is not all constants are not told here. */
static void pr_check_upsert_rows(struct pr *p, const struct sql_insert *in,
                                 const struct sql_table_column *const *targets, uint32_t ntargets)
{
    const struct sql_on_conflict *oc = in->on_conflict;
    const struct sql_rows *rows = &in->select->values;
    if (oc == NULL || !oc->do_update || oc->target.n == 0 || oc->target.n > 16 || rows->n < 2 ||
        rows->n > 4096)
        return;
    uint32_t at[16];
    for (uint32_t k = 0; k < oc->target.n; k++) {
        const struct sql_expr *e = oc->target.v[k].expr;
        if (e->kind != SQL_E_COLUMN || e->column.star || e->column.nparts != 1)
            return;
        at[k] = ntargets;
        for (uint32_t i = 0; i < ntargets; i++) {
            const char *name = in->cols.n ? in->cols.v[i] : targets[i] ? targets[i]->name : "";
            if (strcmp(name, e->column.parts[0]) == 0)
                at[k] = i;
        }
        if (at[k] == ntargets)
            return;
    }
    for (uint32_t r = 1; r < rows->n; r++)
        for (uint32_t q = 0; q < r; q++) {
            bool same = true;
            for (uint32_t k = 0; k < oc->target.n && same; k++)
                same = pr_same_constant(rows->v[r].v[at[k]], rows->v[q].v[at[k]]);
            if (same) {
                pr_fail(p, ERR_MALFORMED, "21000", rows->v[r].n ? rows->v[r].v[0]->loc : -1,
                        "ON CONFLICT DO UPDATE command cannot affect row a second time: ensure "
                        "that no rows proposed for insertion within the same command have "
                        "duplicate constrained values");
                return;
            }
        }
}

/* The columns an INSERT into columns targets[0..ntargets) of tc leaves out whose DEFAULT the
 * SQLite table does not know (sql_table_column.default_stale), into extra; their number. */
static uint32_t pr_stale_defaults(const struct sql_table_column *tc, uint32_t ntc,
                                  const struct sql_table_column *const *targets, uint32_t ntargets,
                                  const struct sql_table_column **extra)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < ntc; i++) {
        bool targeted = !tc[i].default_stale;
        for (uint32_t k = 0; k < ntargets && !targeted; k++)
            targeted = targets[k] == &tc[i];
        if (!targeted)
            extra[n++] = &tc[i];
    }
    return n;
}

/* ", a, b" or ", <a's default>, <b's default>" for those columns (without the first comma
 * when first). */
static void pr_stale_list(struct pr *p, const struct sql_table_column *const *extra, uint32_t n,
                          bool values, bool first)
{
    for (uint32_t i = 0; i < n && p->rc == 0; i++) {
        if (i > 0 || !first)
            pr_s(p, ", ");
        if (values)
            pr_default_value(p, extra[i]);
        else
            pr_ident(p, extra[i]->name);
    }
}

static void pr_insert_body(struct pr *p, const struct sql_insert *in, struct sql_printed *out,
                           const char *m)
{
    const struct sql_table_column *tc = NULL;
    uint32_t ntc = 0;
    bool known = pr_table_cols(p, &in->table, &tc, &ntc);
    pr_s(p, "INSERT INTO ");
    pr_ident(p, m);
    pr_s(p, " AS ");
    pr_ident(p, in->alias ? in->alias : in->table.name);
    /* The target columns: as written, else the table's (never the hidden ones). */
    const struct sql_table_column *targets[SQL_COLUMNS_MAX];
    uint32_t ntargets = 0;
    /* the columns left out whose DEFAULT the SQLite table does not know: given it here */
    const struct sql_table_column *extra[SQL_COLUMNS_MAX];
    uint32_t nextra = 0;
    if (in->cols.n > 0) {
        for (uint32_t i = 0; i < in->cols.n && i < SQL_COLUMNS_MAX; i++) {
            const struct sql_table_column *c = known ? pr_find_col(tc, ntc, in->cols.v[i]) : NULL;
            if (known && c == NULL) {
                pr_fail(p, ERR_NOTFOUND, "42703", -1,
                        "column \"%s\" of relation \"%s\" does not exist", in->cols.v[i],
                        in->table.name);
                return;
            }
            targets[ntargets++] = c;
        }
        nextra = known ? pr_stale_defaults(tc, ntc, targets, ntargets, extra) : 0;
        pr_s(p, " (");
        for (uint32_t i = 0; i < in->cols.n; i++) {
            if (i)
                pr_s(p, ", ");
            pr_ident(p, in->cols.v[i]);
        }
        pr_stale_list(p, extra, nextra, false, false);
        pr_s(p, ")");
    } else if (known && in->select != NULL) {
        /* (DEFAULT VALUES takes no column list: SQLite counts it against no values) */
        uint32_t width = ntc;
        if (in->select != NULL && in->select->kind == SQL_SELECT_VALUES && in->select->values.n)
            width = in->select->values.v[0].n;
        if (width > ntc) {
            pr_fail(p, ERR_MALFORMED, "42601", -1,
                    "INSERT has more expressions than target columns");
            return;
        }
        pr_s(p, " (");
        for (uint32_t i = 0; i < width && i < SQL_COLUMNS_MAX; i++) {
            if (i)
                pr_s(p, ", ");
            pr_ident(p, tc[i].name);
            targets[ntargets++] = &tc[i];
        }
        nextra = pr_stale_defaults(tc, ntc, targets, ntargets, extra);
        pr_stale_list(p, extra, nextra, false, false);
        pr_s(p, ")");
    } else if (known) {
        nextra = pr_stale_defaults(tc, ntc, NULL, 0, extra);
    }
    if (in->select == NULL && nextra > 0) {
        pr_s(p, " (");
        pr_stale_list(p, extra, nextra, false, true);
        pr_s(p, ") VALUES (");
        pr_stale_list(p, extra, nextra, true, true);
        pr_s(p, ")");
    } else if (in->select == NULL) {
        pr_s(p, " DEFAULT VALUES");
    } else if (in->select->kind == SQL_SELECT_VALUES && pr_select_simple(in->select)) {
        const struct sql_rows *rows = &in->select->values;
        pr_s(p, " VALUES ");
        for (uint32_t r = 0; r < rows->n && p->rc == 0; r++) {
            const struct sql_exprs *row = &rows->v[r];
            if (ntargets > 0 && row->n != ntargets) {
                pr_fail(p, ERR_MALFORMED, "42601", row->n ? row->v[0]->loc : -1,
                        "INSERT has %s expressions than target columns",
                        row->n > ntargets ? "more" : "fewer");
                return;
            }
            pr_s(p, r ? ", (" : "(");
            bool lits = pr_lits_set(p, true);
            for (uint32_t i = 0; i < row->n && p->rc == 0; i++) {
                if (i)
                    pr_s(p, ", ");
                pr_assign(p, row->v[i], i < ntargets ? targets[i] : NULL);
            }
            pr_stale_list(p, extra, nextra, true, false);
            pr_lits_set(p, lits);
            pr_s(p, ")");
        }
        if (ntargets > 0)
            pr_check_upsert_rows(p, in, targets, ntargets);
    } else if (nextra > 0) {
        pr_s(p, " SELECT *");
        pr_stale_list(p, extra, nextra, true, false);
        pr_s(p, " FROM (");
        pr_select(p, in->select, false, NULL);
        pr_s(p, in->on_conflict != NULL ? ") WHERE true" : ")");
    } else {
        pr_s(p, " ");
        pr_select(p, in->select, false, NULL);
        if (in->on_conflict != NULL)
            pr_s(p, in->select->where == NULL && in->select->kind == SQL_SELECT_PLAIN
                        ? " WHERE true"
                        : "");
    }
    const struct sql_on_conflict *oc = in->on_conflict;
    if (oc != NULL) {
        if (oc->constraint != NULL) {
            pr_fail(p, ERR_UNSUPPORTED, "0A000", oc->loc,
                    "ON CONFLICT ON CONSTRAINT is not supported; name the columns");
            return;
        }
        pr_s(p, " ON CONFLICT");
        if (oc->target.n > 0) {
            pr_s(p, " (");
            for (uint32_t i = 0; i < oc->target.n; i++) {
                if (i)
                    pr_s(p, ", ");
                pr_expr(p, oc->target.v[i].expr);
            }
            pr_s(p, ")");
            if (oc->target_where != NULL) {
                pr_s(p, " WHERE ");
                pr_expr(p, oc->target_where);
            }
        } else if (oc->do_update) {
            pr_fail(p, ERR_MALFORMED, "42601", oc->loc,
                    "ON CONFLICT DO UPDATE requires inference specification or constraint name");
            return;
        }
        if (!oc->do_update) {
            pr_s(p, " DO NOTHING");
        } else {
            pr_s(p, " DO UPDATE SET ");
            pr_set_clauses(p, &oc->set, known ? tc : NULL, ntc);
            if (oc->where != NULL) {
                pr_s(p, " WHERE ");
                pr_expr(p, oc->where);
            }
        }
    }
    pr_returning(p, &in->returning, &in->table, in->alias, out);
}

/* The FROM items an UPDATE's or DELETE's expressions see: the target, then FROM / USING. In
 * the statement's arena; NULL when out of memory (then no types are known). */
static const struct sql_froms *pr_target_froms(struct pr *p, const struct sql_qname *table,
                                               const char *alias, const struct sql_froms *more)
{
    struct sql_froms *fl = sql_arena_alloc(p->st->arena, sizeof *fl);
    struct sql_from *t = sql_arena_alloc(p->st->arena, sizeof *t);
    struct sql_from **v = sql_arena_alloc(p->st->arena, (more->n + 1) * sizeof *v);
    if (fl == NULL || t == NULL || v == NULL)
        return NULL;
    t->kind = SQL_FROM_TABLE;
    t->loc = -1;
    t->table = *table;
    t->alias.name = alias;
    v[0] = t;
    for (uint32_t i = 0; i < more->n; i++)
        v[i + 1] = more->v[i];
    fl->n = more->n + 1;
    fl->v = v;
    return fl;
}

static void pr_update(struct pr *p, const struct sql_update *up, struct sql_printed *out)
{
    uint32_t pushed = pr_push_ctes(p, up->with);
    if (up->with != NULL)
        pr_with(p, up->with);
    const char *m = pr_table_name(p, &up->table);
    if (m == NULL)
        return;
    const struct sql_table_column *tc = NULL;
    uint32_t ntc = 0;
    bool known = pr_table_cols(p, &up->table, &tc, &ntc);
    pr_s(p, "UPDATE ");
    pr_ident(p, m);
    pr_s(p, " AS ");
    pr_ident(p, up->alias ? up->alias : up->table.name);
    const struct sql_froms *outer_from = p->from;
    p->from = pr_target_froms(p, &up->table, up->alias, &up->from);
    struct pr_scope sc = {.from = p->from, .up = p->scopes};
    p->scopes = &sc;
    pr_s(p, " SET ");
    pr_set_clauses(p, &up->set, known ? tc : NULL, ntc);
    if (up->from.n > 0) {
        pr_s(p, " FROM ");
        pr_froms(p, &up->from);
    }
    if (up->where != NULL) {
        pr_s(p, " WHERE ");
        bool lits = pr_lits_set(p, true);
        pr_expr(p, up->where);
        pr_lits_set(p, lits);
    }
    p->scopes = sc.up;
    p->from = outer_from;
    pr_returning(p, &up->returning, &up->table, up->alias, out);
    p->nscope -= pushed;
}

static void pr_delete(struct pr *p, const struct sql_delete *d, struct sql_printed *out)
{
    uint32_t pushed = pr_push_ctes(p, d->with);
    if (d->with != NULL)
        pr_with(p, d->with);
    const char *m = pr_table_name(p, &d->table);
    if (m == NULL)
        return;
    pr_s(p, "DELETE FROM ");
    pr_ident(p, m);
    pr_s(p, " AS ");
    pr_ident(p, d->alias ? d->alias : d->table.name);
    const struct sql_froms *outer_from = p->from;
    p->from = pr_target_froms(p, &d->table, d->alias, &d->using);
    struct pr_scope sc = {.from = p->from, .up = p->scopes};
    p->scopes = &sc;
    if (d->using.n > 0) {
        /* DELETE ... USING u WHERE c deletes the rows for which some row of u meets c */
        pr_s(p, " WHERE EXISTS (SELECT 1 FROM ");
        pr_froms(p, &d->using);
        if (d->where != NULL) {
            pr_s(p, " WHERE ");
            bool lits = pr_lits_set(p, true);
            pr_expr(p, d->where);
            pr_lits_set(p, lits);
        }
        pr_s(p, ")");
    } else if (d->where != NULL) {
        pr_s(p, " WHERE ");
        bool lits = pr_lits_set(p, true);
        pr_expr(p, d->where);
        pr_lits_set(p, lits);
    }
    p->scopes = sc.up;
    p->from = outer_from;
    pr_returning(p, &d->returning, &d->table, d->alias, out);
    p->nscope -= pushed;
}

/* ---- DDL ---- */

static void pr_names(struct pr *p, const struct sql_names *n)
{
    pr_s(p, "(");
    for (uint32_t i = 0; i < n->n; i++) {
        if (i)
            pr_s(p, ", ");
        pr_ident(p, n->v[i]);
    }
    pr_s(p, ")");
}

/* CONSTRAINT "name" before a CHECK of CREATE TABLE, when the executor names them. */
static void pr_check_name(struct pr *p)
{
    const char *const *names = p->o->check_names;
    if (names != NULL && names[p->checks_printed] != NULL) {
        pr_s(p, " CONSTRAINT ");
        pr_ident(p, names[p->checks_printed]);
    }
    p->checks_printed++;
}

static void pr_column_def(struct pr *p, const struct sql_column_def *cd, bool in_table_pk)
{
    pr_ident(p, cd->name);
    pr_s(p, " ");
    struct buf decl = BUF_INIT;
    int rc = sql_type_decl(&cd->type, &decl);
    if (rc != 0) {
        buf_free(&decl);
        struct buf tn = BUF_INIT;
        sql_type_format(&cd->type, &tn);
        buf_append_u8(&tn, 0);
        if (cd->type.kind == SQL_TYPE_OTHER && cd->type.name != NULL &&
            !sql_type_is_builtin(cd->type.name))
            pr_fail(p, ERR_NOTFOUND, "42704", cd->type.loc, "type \"%s\" does not exist",
                    cd->type.name);
        else
            pr_fail(p, ERR_UNSUPPORTED, "0A000", cd->type.loc,
                    "type %s of column \"%s\" is not supported yet", (const char *)tn.data,
                    cd->name);
        buf_free(&tn);
        return;
    }
    buf_append_u8(&decl, 0);
    pr_s(p, (const char *)decl.data);
    buf_free(&decl);
    struct sql_table_column self = {.name = cd->name, .type = cd->type};
    /* PostgreSQL's primary key columns are NOT NULL; SQLite's (but INTEGER PRIMARY KEY) are not */
    if (in_table_pk && !cd->not_null)
        pr_s(p, " NOT NULL");
    for (uint32_t i = 0; i < cd->constraints.n && p->rc == 0; i++) {
        const struct sql_constraint *c = &cd->constraints.v[i];
        switch (c->kind) {
        case SQL_CON_NOT_NULL: pr_s(p, " NOT NULL"); break;
        case SQL_CON_NULL: break;
        case SQL_CON_DEFAULT:
            pr_s(p, " DEFAULT (");
            pr_assign(p, c->expr, &self);
            pr_s(p, ")");
            break;
        case SQL_CON_PRIMARY_KEY: pr_s(p, " NOT NULL PRIMARY KEY"); break;
        case SQL_CON_UNIQUE: pr_s(p, " UNIQUE"); break;
        case SQL_CON_CHECK:
            pr_check_name(p);
            pr_s(p, " CHECK (");
            pr_expr(p, c->expr);
            pr_s(p, ")");
            break;
        case SQL_CON_FOREIGN_KEY: break; /* kept in the catalog, not enforced */
        case SQL_CON_GENERATED:
            pr_s(p, " GENERATED ALWAYS AS (");
            pr_expr(p, c->expr);
            pr_s(p, ") STORED");
            break;
        case SQL_CON_IDENTITY:
            pr_fail(p, ERR_UNSUPPORTED, "0A000", c->loc,
                    "identity columns are not supported yet; give the key's values");
            break;
        }
    }
}

static void pr_create_table(struct pr *p, const struct sql_create_table *ct)
{
    if (!p->o->replicaset_create) {
        pr_fail(p, ERR_UNSUPPORTED, "0A000", -1, "CREATE TABLE is the executor's");
        return;
    }
    const char *m = p->o->map_table ? p->o->map_table(p->o->ctx, ct->table.schema, ct->table.name)
                                    : ct->table.name;
    if (m == NULL)
        m = ct->table.name;
    pr_s(p, ct->if_not_exists ? "CREATE TABLE IF NOT EXISTS " : "CREATE TABLE ");
    pr_ident(p, m);
    pr_s(p, " (");
    for (uint32_t i = 0; i < ct->columns.n && p->rc == 0; i++) {
        if (i)
            pr_s(p, ", ");
        bool in_pk = false;
        for (uint32_t k = 0; k < ct->constraints.n && !in_pk; k++) {
            const struct sql_constraint *c = &ct->constraints.v[k];
            for (uint32_t j = 0; c->kind == SQL_CON_PRIMARY_KEY && j < c->cols.n; j++)
                in_pk |= strcmp(c->cols.v[j], ct->columns.v[i].name) == 0;
        }
        pr_column_def(p, &ct->columns.v[i], in_pk);
    }
    /* SQLite wants every column definition before the table constraints. */
    if (p->o->extra_column_def != NULL) {
        pr_s(p, ", ");
        pr_s(p, p->o->extra_column_def);
    }
    for (uint32_t i = 0; i < ct->constraints.n && p->rc == 0; i++) {
        const struct sql_constraint *c = &ct->constraints.v[i];
        switch (c->kind) {
        case SQL_CON_PRIMARY_KEY:
            pr_s(p, ", PRIMARY KEY ");
            pr_names(p, &c->cols);
            break;
        case SQL_CON_UNIQUE:
            pr_s(p, ", UNIQUE ");
            pr_names(p, &c->cols);
            break;
        case SQL_CON_CHECK:
            pr_s(p, ",");
            pr_check_name(p);
            pr_s(p, " CHECK (");
            pr_expr(p, c->expr);
            pr_s(p, ")");
            break;
        default:
            break; /* foreign keys: kept, not enforced */
        }
    }
    pr_s(p, ")");
}

static void pr_create_index(struct pr *p, const struct sql_create_index *ci)
{
    const char *m = pr_table_name(p, &ci->table);
    if (m == NULL)
        return;
    char made[SQL_IDENT_BYTES_MAX * 2 + 8];
    const char *name = ci->name;
    if (name == NULL) {
        snprintf(made, sizeof made, "%s_%s_idx", ci->table.name,
                 ci->nelems && ci->elems[0].column ? ci->elems[0].column : "expr");
        name = made;
    }
    if (p->o->map_index != NULL)
        name = p->o->map_index(p->o->ctx, ci->table.schema, name);
    pr_s(p, ci->unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (ci->if_not_exists)
        pr_s(p, "IF NOT EXISTS ");
    pr_ident(p, name);
    pr_s(p, " ON ");
    pr_ident(p, m);
    pr_s(p, " (");
    for (uint32_t i = 0; i < ci->nelems && p->rc == 0; i++) {
        const struct sql_index_elem *el = &ci->elems[i];
        if (i)
            pr_s(p, ", ");
        if (el->column != NULL) {
            pr_ident(p, el->column);
        } else {
            pr_s(p, "(");
            pr_expr(p, el->expr);
            pr_s(p, ")");
        }
        if (el->dir == SQL_SORT_DESC)
            pr_s(p, " DESC");
    }
    pr_s(p, ")");
    if (ci->where != NULL) {
        pr_s(p, " WHERE ");
        pr_expr(p, ci->where);
    }
}

static void pr_drop_index(struct pr *p, const struct sql_drop *d)
{
    for (uint32_t i = 0; i < d->names.n && p->rc == 0; i++) {
        const struct sql_qname *q = &d->names.v[i];
        const char *name = p->o->map_index ? p->o->map_index(p->o->ctx, q->schema, q->name)
                                           : q->name;
        if (i)
            pr_s(p, "; ");
        pr_s(p, d->if_exists ? "DROP INDEX IF EXISTS " : "DROP INDEX ");
        pr_ident(p, name);
    }
}

/* ---- entry points ---- */

int sql_print(const struct sql_stmt *st, const struct sql_print_opts *o, struct sql_printed *out,
              struct sql_error *err)
{
    struct sql_print_opts defaults = {0};
    memset(out, 0, sizeof *out);
    out->sql = (struct buf)BUF_INIT;
    struct pr p = {.st = st, .o = o ? o : &defaults, .out = &out->sql, .err = err, .printed = out};
    switch (st->kind) {
    case SQL_STMT_SELECT: pr_select(&p, st->select, true, out); break;
    case SQL_STMT_INSERT: pr_insert(&p, st->insert, out); break;
    case SQL_STMT_UPDATE: pr_update(&p, st->update, out); break;
    case SQL_STMT_DELETE: pr_delete(&p, st->del, out); break;
    case SQL_STMT_CREATE_TABLE: pr_create_table(&p, st->create_table); break;
    case SQL_STMT_CREATE_INDEX: pr_create_index(&p, st->create_index); break;
    case SQL_STMT_DROP_INDEX: pr_drop_index(&p, st->drop); break;
    default:
        pr_fail(&p, ERR_UNSUPPORTED, "0A000", -1, "%s is not printed as SQLite",
                sql_stmt_kind_tag(st->kind));
        break;
    }
    if (p.rc == 0 && buf_append_u8(&out->sql, 0) != 0)
        pr_fail(&p, ERR_NOMEM, "53200", -1, "out of memory printing the statement");
    if (p.rc != 0) {
        sql_printed_free(out);
        return p.rc;
    }
    out->sql.len--; /* the NUL stays, uncounted */
    return 0;
}

int sql_print_expr(const struct sql_stmt *st, const struct sql_expr *e,
                   const struct sql_print_opts *o, struct buf *out, struct sql_error *err)
{
    struct sql_print_opts defaults = {0};
    struct pr p = {.st = st, .o = o ? o : &defaults, .out = out, .err = err};
    pr_expr(&p, e);
    return p.rc;
}

void sql_printed_free(struct sql_printed *p)
{
    buf_free(&p->sql);
    free(p->lits);
    p->lits = NULL;
    p->n_lits = 0;
    p->ncols = 0;
    p->cols = NULL;
    p->has_star = false;
}
