/* Table definitions: the JSON text the governor keeps for each SQL table (its "def"), read into
 * a struct sqlx_table by every node's catalog cache and written by the DDL that changes it;
 * and the names PostgreSQL gives a table's CHECK constraints.
 *
 * def: {"cols":[{"n":name,"k":kind,"a":mod1,"b":mod2,"nn":bool,"d":default,"dt":text}...],
 *       "dist":[i...],"pk":[i...],"dk":true,"ix":[name...],"ixd":[{...}...],
 *       "ck":[{"n":name,"e":text,"c":i}...],"sq":name}
 *   "d"   the column's DEFAULT as SQLite SQL; absent for none
 *   "dt"  the same DEFAULT as PostgreSQL's catalogs show it (sql_catalog_expr_text); absent in
 *         definitions written before they recorded it
 *   "ds"  true: the SQLite table's own DEFAULT for the column is not "d" (sqlx_col)
 *   "ni"  true: its NOT NULL is enforced by an index (sqlx_col.nn_index)
 *   "dk"  the columns' DEFAULTs are recorded; absent in definitions written before they were
 *   "ix"  the table's CREATE INDEX and UNIQUE constraint names; "ixd" what each indexes
 *         ({"u":unique,"k":constraint,"a":added,"c":[column...],"e":elements,"w":where}:
 *         "a" as sqlx_ixdef.added; "c" absent
 *         when not known, -1 for an expression; "e" and "w" as sqlx_ixdef's, for an index
 *         of more than ascending columns)
 *   "ck"  its CHECK constraints: name, text for the catalogs, "c" the column it was written on
 *         (absent for a table constraint), "i" true when added by ALTER TABLE (sqlx_check)
 *   "sq"  its SQLite table's name when that is not SQLX_TABLE_PREFIX + its name: a table
 *         renamed keeps its SQLite table, and one created under a name whose SQLite name a
 *         renamed table holds gets another (sqlx_sqlite_name_new) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "node/sql_exec_int.h"
#include "proto/http/json.h"
#include "sql/sql_catalog.h"

void sqlx_table_free(struct sqlx_table *t)
{
    for (uint32_t i = 0; i < t->nindexes; i++) {
        free(t->indexes[i]);
        free(t->ixdefs[i].elems);
        free(t->ixdefs[i].where);
    }
    free(t->indexes);
    free(t->ixdefs);
    t->indexes = NULL;
    t->ixdefs = NULL;
    t->nindexes = 0;
    for (uint32_t i = 0; t->cols != NULL && i < t->ncols; i++) {
        free((char *)t->cols[i].default_sql);
        free((char *)t->cols[i].default_text);
    }
    free(t->cols);
    free(t->print_cols);
    t->cols = NULL;
    t->print_cols = NULL;
    for (uint32_t i = 0; i < t->nchecks; i++)
        free(t->checks[i].text);
    free(t->checks);
    t->checks = NULL;
    t->nchecks = 0;
}

/* A malloc'd copy of the string at key of o, into *out; absent leaves *out as it is.
 * Returns 0, or ERR_NOMEM. */
static int sqlx_def_string(const struct json_value *o, const char *key, char **out)
{
    const char *v;
    size_t len;
    if (json_get_string(json_object_get(o, key), &v, &len) != 0)
        return 0;
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return ERR_NOMEM;
    memcpy(copy, v, len);
    copy[len] = '\0';
    *out = copy;
    return 0;
}

static int sqlx_def_read_cols(struct sqlx_table *t, const struct json_value *cols)
{
    for (t->ncols = 0; json_array_at(cols, t->ncols) != NULL; t->ncols++)
        ;
    t->cols = calloc(t->ncols + 1, sizeof *t->cols);
    t->print_cols = calloc(t->ncols + 1, sizeof *t->print_cols);
    if (t->cols == NULL || t->print_cols == NULL)
        return ERR_NOMEM;
    for (uint32_t i = 0; i < t->ncols; i++) {
        const struct json_value *c = json_array_at(cols, i);
        const char *name;
        size_t len;
        int64_t k, a, b;
        int nn = 0;
        if (json_get_string(json_object_get(c, "n"), &name, &len) != 0 ||
            len > SQL_IDENT_BYTES_MAX || json_get_int64(json_object_get(c, "k"), &k) != 0 ||
            json_get_int64(json_object_get(c, "a"), &a) != 0 ||
            json_get_int64(json_object_get(c, "b"), &b) != 0)
            return ERR_CORRUPT;
        json_get_bool(json_object_get(c, "nn"), &nn);
        int stale = 0;
        json_get_bool(json_object_get(c, "ds"), &stale);
        t->cols[i].default_stale = stale;
        int nn_index = 0;
        json_get_bool(json_object_get(c, "ni"), &nn_index);
        t->cols[i].nn_index = nn_index;
        t->print_cols[i].default_stale = stale;
        char *dflt = NULL, *dflt_text = NULL;
        if (sqlx_def_string(c, "d", &dflt) != 0 || sqlx_def_string(c, "dt", &dflt_text) != 0) {
            free(dflt);
            return ERR_NOMEM;
        }
        t->cols[i].default_sql = dflt;
        t->cols[i].default_text = dflt_text;
        memcpy(t->cols[i].name, name, len);
        t->cols[i].type.kind = (enum sql_type_kind)k;
        t->cols[i].type.mod1 = (int32_t)a;
        t->cols[i].type.mod2 = (int32_t)b;
        t->cols[i].type.loc = -1;
        t->cols[i].not_null = nn;
        t->print_cols[i].name = t->cols[i].name;
        t->print_cols[i].type = t->cols[i].type;
        t->print_cols[i].default_sql = t->cols[i].default_sql;
    }
    return 0;
}

/* Column positions: a JSON array of at most max numbers below ncols. */
static int sqlx_def_read_positions(const struct json_value *a, uint32_t ncols, uint32_t max,
                                   uint32_t *out, uint32_t *n)
{
    for (*n = 0; a != NULL && json_array_at(a, *n) != NULL; (*n)++) {
        int64_t v;
        if (*n == max || json_get_int64(json_array_at(a, *n), &v) != 0 || v < 0 ||
            (uint64_t)v >= ncols)
            return ERR_CORRUPT;
        out[*n] = (uint32_t)v;
    }
    return 0;
}

static int sqlx_def_read_indexes(struct sqlx_table *t, const struct json_value *root)
{
    const struct json_value *ix = json_object_get(root, "ix");
    uint32_t nix = 0;
    while (ix != NULL && json_array_at(ix, nix) != NULL)
        nix++;
    if (nix > 0 && ((t->indexes = calloc(nix, sizeof *t->indexes)) == NULL ||
                    (t->ixdefs = calloc(nix, sizeof *t->ixdefs)) == NULL))
        return ERR_NOMEM;
    const struct json_value *ixd = json_object_get(root, "ixd"); /* absent in older defs */
    for (uint32_t i = 0; i < nix; i++) {
        const char *name;
        size_t len;
        if (json_get_string(json_array_at(ix, i), &name, &len) != 0 || len > SQL_IDENT_BYTES_MAX)
            return ERR_CORRUPT;
        if ((t->indexes[i] = malloc(len + 1)) == NULL)
            return ERR_NOMEM;
        memcpy(t->indexes[i], name, len);
        t->indexes[i][len] = '\0';
        t->nindexes = i + 1;
        const struct json_value *d = ixd != NULL ? json_array_at(ixd, i) : NULL;
        const struct json_value *c = d != NULL ? json_object_get(d, "c") : NULL;
        struct sqlx_ixdef *x = &t->ixdefs[i];
        int unique = 0, constraint = 0, added = 0;
        json_get_bool(d != NULL ? json_object_get(d, "u") : NULL, &unique);
        json_get_bool(d != NULL ? json_object_get(d, "k") : NULL, &constraint);
        json_get_bool(d != NULL ? json_object_get(d, "a") : NULL, &added);
        x->unique = unique;
        x->constraint = constraint;
        x->added = added;
        if (d != NULL && (sqlx_def_string(d, "e", &x->elems) != 0 ||
                          sqlx_def_string(d, "w", &x->where) != 0))
            return ERR_NOMEM;
        for (x->ncols = 0; c != NULL && json_array_at(c, x->ncols) != NULL; x->ncols++) {
            int64_t v;
            if (x->ncols == SQLX_INDEX_COLS_MAX ||
                json_get_int64(json_array_at(c, x->ncols), &v) != 0 || v < -1 ||
                v >= (int64_t)t->ncols || (v == -1 && x->elems == NULL))
                return ERR_CORRUPT;
            x->cols[x->ncols] = v == -1 ? SQLX_INDEX_EXPR : (uint32_t)v;
        }
        x->known = c != NULL && x->ncols > 0;
        /* one element text per column */
        uint32_t nelems = 1;
        for (const char *p = x->elems; p != NULL && *p != '\0'; p++)
            nelems += *p == SQLX_INDEX_ELEM_SEP;
        if (x->elems != NULL && (!x->known || nelems != x->ncols))
            return ERR_CORRUPT;
    }
    return 0;
}

static int sqlx_def_read_checks(struct sqlx_table *t, const struct json_value *ck)
{
    uint32_t n = 0;
    while (ck != NULL && json_array_at(ck, n) != NULL)
        n++;
    if (n == 0)
        return 0;
    if ((t->checks = calloc(n, sizeof *t->checks)) == NULL)
        return ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const struct json_value *c = json_array_at(ck, i);
        struct sqlx_check *k = &t->checks[i];
        const char *name;
        size_t len;
        int64_t col = -1;
        if (json_get_string(json_object_get(c, "n"), &name, &len) != 0 ||
            len > SQL_IDENT_BYTES_MAX)
            return ERR_CORRUPT;
        memcpy(k->name, name, len);
        t->nchecks = i + 1;
        if (sqlx_def_string(c, "e", &k->text) != 0)
            return ERR_NOMEM;
        if (k->text == NULL)
            return ERR_CORRUPT;
        const struct json_value *cv = json_object_get(c, "c");
        if (cv != NULL && (json_get_int64(cv, &col) != 0 || col < 0 || (uint64_t)col >= t->ncols))
            return ERR_CORRUPT;
        k->col = (int32_t)col;
        int indexed = 0;
        json_get_bool(json_object_get(c, "i"), &indexed);
        k->indexed = indexed;
    }
    return 0;
}

int sqlx_table_from_def(struct sqlx_table *t, const struct cluster_table *ct)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", ct->name);
    snprintf(t->sqlite_name, sizeof t->sqlite_name, SQLX_TABLE_PREFIX "%s", ct->name);
    t->global = ct->global;
    struct json_doc doc;
    if (json_parse(&doc, ct->def, strlen(ct->def), NULL, NULL) != 0)
        return ERR_CORRUPT;
    int rc = ERR_CORRUPT;
    const char *sq;
    size_t sq_len;
    if (json_get_string(json_object_get(doc.root, "sq"), &sq, &sq_len) == 0) {
        if (sq_len == 0 || sq_len >= sizeof t->sqlite_name)
            goto out;
        memcpy(t->sqlite_name, sq, sq_len);
        t->sqlite_name[sq_len] = '\0';
    }
    const struct json_value *cols = json_object_get(doc.root, "cols");
    const struct json_value *dist = json_object_get(doc.root, "dist");
    if (cols == NULL || dist == NULL)
        goto out;
    if ((rc = sqlx_def_read_cols(t, cols)) != 0 ||
        (rc = sqlx_def_read_positions(dist, t->ncols, 16, t->dist, &t->ndist)) != 0 ||
        (rc = sqlx_def_read_indexes(t, doc.root)) != 0 ||
        (rc = sqlx_def_read_checks(t, json_object_get(doc.root, "ck"))) != 0)
        goto out;
    int dk = 0;
    json_get_bool(json_object_get(doc.root, "dk"), &dk);
    t->defaults_known = dk;
    for (uint32_t i = 0; i < t->ncols; i++)
        t->print_cols[i].default_known = t->defaults_known;
    /* "pk" is absent in older defs */
    if ((rc = sqlx_def_read_positions(json_object_get(doc.root, "pk"), t->ncols, 16, t->pk,
                                      &t->npk)) != 0)
        goto out;
    for (uint32_t k = 0; k < t->npk; k++)
        t->print_cols[t->pk[k]].pk = true;
    rc = 0;
out:
    json_doc_free(&doc);
    return rc;
}

static void sqlx_def_write_positions(struct json_writer *w, const char *key,
                                     const uint32_t *v, uint32_t n)
{
    json_write_key(w, key);
    json_write_array_begin(w);
    for (uint32_t i = 0; i < n; i++)
        json_write_int64(w, v[i]);
    json_write_array_end(w);
}

static void sqlx_def_write_col(struct json_writer *w, const struct sqlx_col *c)
{
    json_write_object_begin(w);
    json_write_key(w, "n");
    json_write_cstr(w, c->name);
    json_write_key(w, "k");
    json_write_int64(w, c->type.kind);
    json_write_key(w, "a");
    json_write_int64(w, c->type.mod1);
    json_write_key(w, "b");
    json_write_int64(w, c->type.mod2);
    json_write_key(w, "nn");
    json_write_bool(w, c->not_null);
    if (c->default_sql != NULL) {
        json_write_key(w, "d");
        json_write_cstr(w, c->default_sql);
    }
    if (c->default_text != NULL) {
        json_write_key(w, "dt");
        json_write_cstr(w, c->default_text);
    }
    if (c->default_stale) {
        json_write_key(w, "ds");
        json_write_bool(w, true);
    }
    if (c->nn_index) {
        json_write_key(w, "ni");
        json_write_bool(w, true);
    }
    json_write_object_end(w);
}

static void sqlx_def_write_indexes(struct json_writer *w, const struct sqlx_table *t)
{
    json_write_key(w, "ix");
    json_write_array_begin(w);
    for (uint32_t i = 0; i < t->nindexes; i++)
        json_write_cstr(w, t->indexes[i]);
    json_write_array_end(w);
    json_write_key(w, "ixd");
    json_write_array_begin(w);
    for (uint32_t i = 0; i < t->nindexes; i++) {
        const struct sqlx_ixdef *x = t->ixdefs != NULL ? &t->ixdefs[i] : NULL;
        json_write_object_begin(w);
        if (x != NULL && x->constraint) {
            json_write_key(w, "k");
            json_write_bool(w, true);
        }
        if (x != NULL && x->added) {
            json_write_key(w, "a");
            json_write_bool(w, true);
        }
        if (x != NULL && x->known) {
            json_write_key(w, "u");
            json_write_bool(w, x->unique);
            json_write_key(w, "c");
            json_write_array_begin(w);
            for (uint32_t k = 0; k < x->ncols; k++)
                json_write_int64(w, x->cols[k] == SQLX_INDEX_EXPR ? -1 : (int64_t)x->cols[k]);
            json_write_array_end(w);
            if (x->elems != NULL) {
                json_write_key(w, "e");
                json_write_cstr(w, x->elems);
            }
            if (x->where != NULL) {
                json_write_key(w, "w");
                json_write_cstr(w, x->where);
            }
        }
        json_write_object_end(w);
    }
    json_write_array_end(w);
}

static void sqlx_def_write_checks(struct json_writer *w, const struct sqlx_table *t)
{
    json_write_key(w, "ck");
    json_write_array_begin(w);
    for (uint32_t i = 0; i < t->nchecks; i++) {
        const struct sqlx_check *k = &t->checks[i];
        json_write_object_begin(w);
        json_write_key(w, "n");
        json_write_cstr(w, k->name);
        json_write_key(w, "e");
        json_write_cstr(w, k->text);
        if (k->col >= 0) {
            json_write_key(w, "c");
            json_write_int64(w, k->col);
        }
        if (k->indexed) {
            json_write_key(w, "i");
            json_write_bool(w, true);
        }
        json_write_object_end(w);
    }
    json_write_array_end(w);
}

void sqlx_def_write(struct buf *out, const struct sqlx_table *t, const char *name)
{
    struct json_writer w;
    json_writer_init(&w, out);
    json_write_object_begin(&w);
    json_write_key(&w, "cols");
    json_write_array_begin(&w);
    for (uint32_t i = 0; i < t->ncols; i++)
        sqlx_def_write_col(&w, &t->cols[i]);
    json_write_array_end(&w);
    sqlx_def_write_positions(&w, "dist", t->dist, t->ndist);
    sqlx_def_write_positions(&w, "pk", t->pk, t->npk);
    if (t->defaults_known) {
        json_write_key(&w, "dk");
        json_write_bool(&w, true);
    }
    if (t->nindexes > 0)
        sqlx_def_write_indexes(&w, t);
    if (t->nchecks > 0)
        sqlx_def_write_checks(&w, t);
    /* the SQLite name, when it is not the default one for name */
    size_t np = strlen(SQLX_TABLE_PREFIX);
    if (strncmp(t->sqlite_name, SQLX_TABLE_PREFIX, np) != 0 ||
        strcmp(t->sqlite_name + np, name) != 0) {
        json_write_key(&w, "sq");
        json_write_cstr(&w, t->sqlite_name);
    }
    json_write_object_end(&w);
    json_writer_finish(&w);
    buf_append_u8(out, 0);
}

/* ---- CHECK constraint names ---- */

/* PostgreSQL's makeObjectName: name1_name2_label (name2 may be NULL), the longer of name1 and
 * name2 cut (at a character boundary) until it fits in SQL_IDENT_BYTES_MAX bytes. */
static void sqlx_object_name(const char *name1, const char *name2, const char *label,
                             char out[SQL_IDENT_BYTES_MAX + 1])
{
    size_t n1 = strlen(name1), n2 = name2 != NULL ? strlen(name2) : 0;
    size_t overhead = strlen(label) + 1 + (name2 != NULL ? 1 : 0);
    size_t avail = SQL_IDENT_BYTES_MAX > overhead ? SQL_IDENT_BYTES_MAX - overhead : 0;
    while (n1 + n2 > avail) {
        if (n1 > n2)
            n1--;
        else
            n2--;
    }
    while (n1 > 0 && ((unsigned char)name1[n1] & 0xC0) == 0x80)
        n1--;
    while (n2 > 0 && ((unsigned char)name2[n2] & 0xC0) == 0x80)
        n2--;
    if (name2 != NULL)
        snprintf(out, SQL_IDENT_BYTES_MAX + 1, "%.*s_%.*s_%s", (int)n1, name1, (int)n2, name2,
                 label);
    else
        snprintf(out, SQL_IDENT_BYTES_MAX + 1, "%.*s_%s", (int)n1, name1, label);
}

/* The column e names, when it names exactly one (as often as it likes): PostgreSQL names a
 * CHECK after it. */
struct sqlx_check_cols {
    const char *only; /* the one column named so far */
    bool several;
};

static int sqlx_check_cols_visit(void *ctx, const struct sql_expr *e)
{
    struct sqlx_check_cols *c = ctx;
    if (e->kind == SQL_E_COLUMN && !e->column.star && e->column.nparts > 0) {
        const char *name = e->column.parts[e->column.nparts - 1];
        if (c->only == NULL)
            c->only = name;
        else if (strcmp(c->only, name) != 0)
            c->several = true;
        return 0;
    }
    return sql_expr_children(e, sqlx_check_cols_visit, ctx);
}

void sqlx_check_name(const char *table, const struct sql_expr *e, const struct sqlx_check *taken,
                     uint32_t ntaken, char out[SQL_IDENT_BYTES_MAX + 1])
{
    struct sqlx_check_cols c = {0};
    sqlx_check_cols_visit(&c, e);
    const char *col = c.several ? NULL : c.only;
    char label[32] = "check";
    for (uint32_t pass = 0;; pass++) {
        if (pass > 0)
            snprintf(label, sizeof label, "check%u", pass);
        sqlx_object_name(table, col, label, out);
        bool used = false;
        for (uint32_t i = 0; i < ntaken && !used; i++)
            used = strcmp(taken[i].name, out) == 0;
        if (!used)
            return;
    }
}

/* sql_catalog_expr_text of text[0..len) as a malloc'd string in *out (NULL on failure). */
static int sqlx_catalog_text(const char *text, size_t len, const char *from, const char *to,
                             char **out)
{
    struct buf b = BUF_INIT;
    int rc = sql_catalog_expr_text(text, len, from, to, &b);
    if (rc == 0)
        rc = buf_append_u8(&b, 0);
    if (rc != 0) {
        buf_free(&b);
        *out = NULL;
        return rc;
    }
    *out = (char *)b.data;
    return 0;
}

int sqlx_expr_text(const struct sql_stmt *st, int loc, int end, char **out)
{
    if (loc < 0 || end < loc || (size_t)end > st->text_len) {
        *out = NULL;
        return ERR_INVAL;
    }
    return sqlx_catalog_text(st->text + loc, (size_t)(end - loc), NULL, NULL, out);
}

/* One CHECK c of CREATE TABLE or ALTER TABLE st on table, written on column col (-1: a table
 * constraint), appended to checks[*n]: named as written or as PostgreSQL names it. ERR_EXISTS
 * when the name written is one of checks'. */
int sqlx_check_add(const struct sql_stmt *st, const char *table, const struct sql_constraint *c,
                   int32_t col, struct sqlx_check *checks, uint32_t *n)
{
    struct sqlx_check *k = &checks[*n];
    memset(k, 0, sizeof *k);
    if (c->name != NULL) {
        snprintf(k->name, sizeof k->name, "%s", c->name);
        for (uint32_t i = 0; i < *n; i++)
            if (strcmp(checks[i].name, k->name) == 0)
                return ERR_EXISTS;
    } else {
        sqlx_check_name(table, c->expr, checks, *n, k->name);
    }
    k->col = col;
    int rc = sqlx_expr_text(st, c->expr_loc, c->expr_end, &k->text);
    if (rc == 0)
        (*n)++;
    return rc;
}

int sqlx_create_checks(const struct sql_stmt *st, struct sqlx_check **out, uint32_t *n)
{
    const struct sql_create_table *ct = st->create_table;
    uint32_t cap = 0;
    for (uint32_t i = 0; i < ct->columns.n; i++)
        for (uint32_t k = 0; k < ct->columns.v[i].constraints.n; k++)
            cap += ct->columns.v[i].constraints.v[k].kind == SQL_CON_CHECK;
    for (uint32_t k = 0; k < ct->constraints.n; k++)
        cap += ct->constraints.v[k].kind == SQL_CON_CHECK;
    *n = 0;
    *out = cap > 0 ? calloc(cap, sizeof **out) : NULL;
    if (cap > 0 && *out == NULL)
        return ERR_NOMEM;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < ct->columns.n; i++) {
        const struct sql_constraints *cs = &ct->columns.v[i].constraints;
        for (uint32_t k = 0; rc == 0 && k < cs->n; k++)
            if (cs->v[k].kind == SQL_CON_CHECK)
                rc = sqlx_check_add(st, ct->table.name, &cs->v[k], (int32_t)i, *out, n);
    }
    for (uint32_t k = 0; rc == 0 && k < ct->constraints.n; k++)
        if (ct->constraints.v[k].kind == SQL_CON_CHECK)
            rc = sqlx_check_add(st, ct->table.name, &ct->constraints.v[k], -1, *out, n);
    return rc;
}

void sqlx_text_rename(char **text, const char *from, const char *to)
{
    char *renamed;
    if (sqlx_catalog_text(*text, strlen(*text), from, to, &renamed) != 0)
        return; /* kept as it was: only what \d shows */
    free(*text);
    *text = renamed;
}

bool sqlx_text_names(const char *text, const char *name)
{
    char *same, *renamed; /* renamed to a name no column has: changed where name is */
    if (sqlx_catalog_text(text, strlen(text), NULL, NULL, &same) != 0)
        return true;
    if (sqlx_catalog_text(text, strlen(text), name, "\x01", &renamed) != 0) {
        free(same);
        return true;
    }
    bool names = strcmp(same, renamed) != 0;
    free(same);
    free(renamed);
    return names;
}

void sqlx_ixdef_own(struct sqlx_ixdef *x)
{
    if (x->elems != NULL) {
        x->elems = strdup(x->elems);
        ASSERT(x->elems != NULL);
    }
    if (x->where != NULL) {
        x->where = strdup(x->where);
        ASSERT(x->where != NULL);
    }
}

void sqlx_ixdef_rename(struct sqlx_ixdef *x, const char *from, const char *to)
{
    if (x->where != NULL)
        sqlx_text_rename(&x->where, from, to);
    if (x->elems == NULL)
        return;
    static const char sep[] = SQLX_INDEX_ELEM_SEP_STR;
    struct buf out = BUF_INIT;
    for (const char *p = x->elems;;) {
        size_t n = strcspn(p, sep);
        char *elem = strndup(p, n);
        ASSERT(elem != NULL);
        sqlx_text_rename(&elem, from, to);
        buf_printf(&out, "%s%s", p == x->elems ? "" : sep, elem);
        free(elem);
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (buf_append_u8(&out, 0) != 0) {
        buf_free(&out);
        return;
    }
    free(x->elems);
    x->elems = (char *)out.data;
}
