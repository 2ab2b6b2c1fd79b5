/* Unit tests for the statement half of the parser (sql_parse_stmt.c) through sql_parse: the AST
 * of every statement kind, COPY's option normalization, the errors (wording, SQLSTATE, position),
 * multi-statement strings, and a corpus check: every statement of tests/sql/NN_*.sql files parses
 * unless the file says PostgreSQL rejects it with 42601 (or the parser's error is the one
 * expected). */
#include "sql/sql.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "test.h"

/* ---- Helpers ---- */

static struct sql_parsed parsed;

/* Parses sql, which must give exactly one statement; NULL (with the reason printed) if not.
 * The statement lives until the next call. */
static const struct sql_stmt *parse1(const char *sql)
{
    sql_parsed_free(&parsed);
    struct sql_error err = {0};
    int rc = sql_parse(sql, strlen(sql), &parsed, &err);
    if (rc != 0) {
        fprintf(stderr, "  parse failed: %s\n    %s %s (position %d)\n", sql, err.sqlstate,
                err.message, err.position);
        return NULL;
    }
    if (parsed.n != 1) {
        fprintf(stderr, "  %u statements from: %s\n", parsed.n, sql);
        return NULL;
    }
    return parsed.stmts[0];
}

static int parse_err(const char *sql, struct sql_error *err)
{
    sql_parsed_free(&parsed);
    int rc = sql_parse(sql, strlen(sql), &parsed, err);
    if (rc == 0)
        fprintf(stderr, "  parsed, expected an error: %s\n", sql);
    else if (parsed.n != 0 || parsed.stmts != NULL)
        rc = 12345; /* *out must be empty on failure */
    return rc;
}

/* 1-based position of needle in sql (ASCII tests), for expected error positions. */
static int pos_of(const char *sql, const char *needle)
{
    const char *at = strstr(sql, needle);
    return at == NULL ? -1 : (int)(at - sql) + 1;
}

#define PARSE(var, sql)                                                                            \
    const struct sql_stmt *var = parse1(sql);                                                      \
    CHECK(var != NULL)

/* An error the parser must give. at: where the error's position points (the first occurrence
 * of that text in sql; NULL: no position). msg NULL: PostgreSQL's syntax error at or near the
 * first word of `at` ("at end of input" when at is ""). The return code follows the SQLSTATE. */
struct err_case {
    const char *sql, *state, *msg, *at;
};

#define NS(what) what " is not supported by Cairn"

static bool err_case_ok(const struct err_case *c)
{
    char msg[256];
    if (c->msg != NULL)
        snprintf(msg, sizeof msg, "%s", c->msg);
    else if (c->at[0] == '\0')
        snprintf(msg, sizeof msg, "syntax error at end of input");
    else
        snprintf(msg, sizeof msg, "syntax error at or near \"%.*s\"", (int)strcspn(c->at, " "),
                 c->at);
    int want_rc = strcmp(c->state, "0A000") == 0   ? ERR_UNSUPPORTED
                  : strcmp(c->state, "54011") == 0 ? ERR_TOOBIG
                                                   : ERR_MALFORMED;
    int want_pos = c->at == NULL      ? 0
                   : c->at[0] == '\0' ? (int)strlen(c->sql) + 1
                                      : pos_of(c->sql, c->at);
    struct sql_error e = {0};
    int rc = parse_err(c->sql, &e);
    bool ok = rc == want_rc && strcmp(e.sqlstate, c->state) == 0 && strcmp(e.message, msg) == 0 &&
              e.position == want_pos;
    if (!ok)
        fprintf(stderr, "  %s\n    want %d %s \"%s\" at %d\n    got  %d %s \"%s\" at %d\n", c->sql,
                want_rc, c->state, msg, want_pos, rc, e.sqlstate, e.message, e.position);
    return ok;
}

static int failed_cases(const struct err_case *v, size_t n)
{
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += !err_case_ok(&v[i]);
    return failed;
}

#define CHECK_ERRORS(cases) CHECK_EQ(failed_cases(cases, sizeof cases / sizeof cases[0]), 0)

static bool is_col(const struct sql_expr *e, const char *name)
{
    return e != NULL && e->kind == SQL_E_COLUMN && e->column.nparts >= 1 &&
           strcmp(e->column.parts[e->column.nparts - 1], name) == 0;
}

/* ---- INSERT ---- */

TEST(insert_values_on_conflict_returning)
{
    PARSE(st, "INSERT INTO public.items AS i (id, sku) VALUES (1, 'a'), (2, DEFAULT) "
              "ON CONFLICT (id) DO UPDATE SET sku = EXCLUDED.sku WHERE i.id > 0 "
              "RETURNING id, sku AS s");
    CHECK_EQ(st->kind, SQL_STMT_INSERT);
    const struct sql_insert *ins = st->insert;
    CHECK(ins->with == NULL);
    CHECK_STR(ins->table.schema, "public");
    CHECK_STR(ins->table.name, "items");
    CHECK_STR(ins->alias, "i");
    CHECK_EQ(ins->cols.n, 2);
    CHECK_STR(ins->cols.v[1], "sku");
    CHECK(ins->select != NULL);
    CHECK_EQ(ins->select->kind, SQL_SELECT_VALUES);
    CHECK_EQ(ins->select->values.n, 2);
    CHECK_EQ(ins->select->values.v[0].n, 2);
    CHECK_EQ(ins->select->values.v[0].v[0]->kind, SQL_E_CONST);
    CHECK_EQ(ins->select->values.v[1].v[1]->kind, SQL_E_DEFAULT);
    CHECK_EQ(ins->select->values.v[1].v[1]->loc, pos_of(st->text, "DEFAULT)") - 1);
    const struct sql_on_conflict *oc = ins->on_conflict;
    CHECK(oc != NULL);
    CHECK_EQ(oc->loc, pos_of(st->text, "ON CONFLICT") - 1);
    CHECK_EQ(oc->target.n, 1);
    CHECK(is_col(oc->target.v[0].expr, "id"));
    CHECK(oc->do_update);
    CHECK_EQ(oc->set.n, 1);
    CHECK_EQ(oc->set.v[0].cols.n, 1);
    CHECK_STR(oc->set.v[0].cols.v[0], "sku");
    CHECK_EQ(oc->set.v[0].value->column.nparts, 2);
    CHECK_STR(oc->set.v[0].value->column.parts[0], "excluded");
    CHECK(oc->where != NULL);
    CHECK_EQ(ins->returning.n, 2);
    CHECK(ins->returning.v[0].alias == NULL);
    CHECK_STR(ins->returning.v[1].alias, "s");
}

TEST(insert_other_sources)
{
    PARSE(a, "INSERT INTO t DEFAULT VALUES");
    CHECK(a->insert->select == NULL);
    CHECK_EQ(a->insert->cols.n, 0);
    PARSE(b, "INSERT INTO t SELECT * FROM u");
    CHECK_EQ(b->insert->select->kind, SQL_SELECT_PLAIN);
    PARSE(c, "INSERT INTO t (a) SELECT 1 ON CONFLICT DO NOTHING");
    CHECK(c->insert->on_conflict != NULL);
    CHECK(!c->insert->on_conflict->do_update);
    CHECK_EQ(c->insert->on_conflict->target.n, 0);
    PARSE(d, "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING");
    CHECK_STR(d->insert->on_conflict->constraint, "t_pkey");
    PARSE(e, "WITH x AS (SELECT 1 AS a) INSERT INTO t SELECT a FROM x RETURNING *");
    CHECK_EQ(e->kind, SQL_STMT_INSERT);
    CHECK(e->insert->with != NULL);
    CHECK_EQ(e->insert->with->n, 1);
    CHECK_EQ(e->insert->returning.n, 1);
    PARSE(f, "INSERT INTO t (SELECT 1)");
    CHECK_EQ(f->insert->cols.n, 0);
    CHECK(f->insert->select != NULL);
    PARSE(g, "INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a, lower(b)) WHERE a > 0 DO NOTHING");
    CHECK_EQ(g->insert->on_conflict->target.n, 2);
    CHECK_EQ(g->insert->on_conflict->target.v[1].expr->kind, SQL_E_FUNC);
    CHECK(g->insert->on_conflict->target_where != NULL);
}

/* ---- UPDATE / DELETE ---- */

TEST(update)
{
    PARSE(st, "UPDATE ONLY s.t AS x SET a = 1, (b, c) = (2, 3), d = DEFAULT FROM u "
              "WHERE x.id = u.id RETURNING *");
    CHECK_EQ(st->kind, SQL_STMT_UPDATE);
    const struct sql_update *up = st->update;
    CHECK(up->only);
    CHECK_STR(up->table.schema, "s");
    CHECK_STR(up->table.name, "t");
    CHECK_STR(up->alias, "x");
    CHECK_EQ(up->set.n, 3);
    CHECK_STR(up->set.v[0].cols.v[0], "a");
    CHECK_EQ(up->set.v[0].loc, pos_of(st->text, "a = 1") - 1);
    CHECK_EQ(up->set.v[1].cols.n, 2);
    CHECK_STR(up->set.v[1].cols.v[1], "c");
    CHECK_EQ(up->set.v[1].value->kind, SQL_E_ROW);
    CHECK_EQ(up->set.v[2].value->kind, SQL_E_DEFAULT);
    CHECK_EQ(up->from.n, 1);
    CHECK(up->where != NULL);
    CHECK_EQ(up->returning.n, 1);

    PARSE(b, "UPDATE t u SET a = 2");
    CHECK_STR(b->update->alias, "u");
    CHECK(!b->update->only);
    PARSE(c, "UPDATE t SET (a, b) = (SELECT 1, 2)");
    CHECK_EQ(c->update->set.v[0].value->kind, SQL_E_SUBLINK);
    PARSE(d, "UPDATE t SET (a, b) = ROW(1, 2)");
    CHECK_EQ(d->update->set.v[0].value->kind, SQL_E_ROW);
}

TEST(delete)
{
    PARSE(st, "DELETE FROM ONLY t x USING u, v WHERE x.a = u.a RETURNING x.a");
    CHECK_EQ(st->kind, SQL_STMT_DELETE);
    const struct sql_delete *d = st->del;
    CHECK(d->only);
    CHECK_STR(d->table.name, "t");
    CHECK_STR(d->alias, "x");
    CHECK_EQ(d->using.n, 2);
    CHECK(d->where != NULL);
    CHECK_EQ(d->returning.n, 1);
    PARSE(b, "WITH gone AS (DELETE FROM t WHERE a = 1 RETURNING *) SELECT count(*) FROM gone");
    CHECK_EQ(b->kind, SQL_STMT_SELECT);
    CHECK(b->select->with != NULL);
    CHECK_EQ(b->select->with->v[0].query->kind, SQL_STMT_DELETE);
    PARSE(c, "DELETE FROM t AS y");
    CHECK_STR(c->del->alias, "y");
    CHECK(c->del->where == NULL);
}

/* ---- CREATE TABLE ---- */

TEST(create_table_full)
{
    PARSE(st, "CREATE TABLE IF NOT EXISTS s.orders (\n"
              "  id bigint PRIMARY KEY,\n"
              "  cust int NOT NULL REFERENCES cust (id) ON DELETE CASCADE,\n"
              "  note varchar(20) DEFAULT 'x' COLLATE \"C\" UNIQUE,\n"
              "  qty int DEFAULT 0 NOT NULL CHECK (qty >= 0),\n"
              "  total numeric(10,2) GENERATED ALWAYS AS (qty * 2) STORED,\n"
              "  seq int GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 2),\n"
              "  CONSTRAINT qty_pos CHECK (qty > 0),\n"
              "  UNIQUE (cust, note),\n"
              "  FOREIGN KEY (cust) REFERENCES cust (id) MATCH FULL ON UPDATE SET NULL\n"
              "    DEFERRABLE INITIALLY DEFERRED\n"
              ") WITH (fillfactor = 70) DISTRIBUTED BY (cust)");
    CHECK_EQ(st->kind, SQL_STMT_CREATE_TABLE);
    const struct sql_create_table *ct = st->create_table;
    CHECK(ct->if_not_exists);
    CHECK(!ct->temporary && !ct->unlogged);
    CHECK_STR(ct->table.schema, "s");
    CHECK_STR(ct->table.name, "orders");
    CHECK_EQ(ct->columns.n, 6);
    const struct sql_column_def *c = ct->columns.v;
    CHECK_STR(c[0].name, "id");
    CHECK_EQ(c[0].type.kind, SQL_TYPE_INT8);
    CHECK(c[0].primary_key && !c[0].not_null && !c[0].unique);
    CHECK_EQ(c[0].loc, pos_of(st->text, "id bigint") - 1);
    CHECK(c[1].not_null);
    CHECK_EQ(c[1].constraints.n, 2);
    CHECK_EQ(c[1].constraints.v[0].kind, SQL_CON_NOT_NULL);
    CHECK_EQ(c[1].constraints.v[1].kind, SQL_CON_FOREIGN_KEY);
    CHECK_STR(c[1].constraints.v[1].ref_table.name, "cust");
    CHECK_EQ(c[1].constraints.v[1].ref_cols.n, 1);
    CHECK_EQ(c[2].type.kind, SQL_TYPE_VARCHAR);
    CHECK_EQ(c[2].type.mod1, 20);
    CHECK(c[2].default_expr != NULL);
    CHECK_EQ(c[2].default_expr->kind, SQL_E_CONST);
    CHECK_STR(c[2].default_expr->konst.text, "x");
    CHECK(c[2].collation.name != NULL);
    CHECK_STR(c[2].collation.name, "C");
    CHECK(c[2].unique);
    CHECK(c[3].not_null);
    CHECK_EQ(c[3].default_expr->kind, SQL_E_CONST);
    CHECK_EQ(c[3].default_expr->konst.ival, 0);
    CHECK_EQ(c[3].constraints.n, 3);
    CHECK_EQ(c[3].constraints.v[0].kind, SQL_CON_DEFAULT);
    CHECK_EQ(c[3].constraints.v[1].kind, SQL_CON_NOT_NULL);
    CHECK_EQ(c[3].constraints.v[2].kind, SQL_CON_CHECK);
    CHECK(c[3].constraints.v[2].expr != NULL);
    CHECK_EQ(c[4].type.kind, SQL_TYPE_NUMERIC);
    CHECK_EQ(c[4].constraints.v[0].kind, SQL_CON_GENERATED);
    CHECK(c[4].constraints.v[0].expr != NULL);
    CHECK(c[4].default_expr == NULL);
    CHECK_EQ(c[5].constraints.v[0].kind, SQL_CON_IDENTITY);
    CHECK_EQ(ct->constraints.n, 3);
    CHECK_EQ(ct->constraints.v[0].kind, SQL_CON_CHECK);
    CHECK_STR(ct->constraints.v[0].name, "qty_pos");
    CHECK_EQ(ct->constraints.v[0].loc, pos_of(st->text, "CONSTRAINT qty_pos") - 1);
    CHECK_EQ(ct->constraints.v[1].kind, SQL_CON_UNIQUE);
    CHECK_EQ(ct->constraints.v[1].cols.n, 2);
    CHECK_EQ(ct->constraints.v[2].kind, SQL_CON_FOREIGN_KEY);
    CHECK_STR(ct->constraints.v[2].cols.v[0], "cust");
    CHECK_STR(ct->constraints.v[2].ref_cols.v[0], "id");
    CHECK_EQ(ct->with.n, 1);
    CHECK_STR(ct->with.v[0].name, "fillfactor");
    CHECK_STR(ct->with.v[0].value, "70");
    CHECK_EQ(ct->distribution, SQL_DIST_BY);
    CHECK_EQ(ct->distributed_by.n, 1);
    CHECK_STR(ct->distributed_by.v[0], "cust");
    CHECK(ct->as_select == NULL);
}

TEST(create_table_variants)
{
    PARSE(a, "CREATE TEMP TABLE t (a int)");
    CHECK(a->create_table->temporary);
    CHECK_EQ(a->create_table->distribution, SQL_DIST_DEFAULT);
    PARSE(b, "CREATE UNLOGGED TABLE t (a int, PRIMARY KEY (a))");
    CHECK(b->create_table->unlogged);
    CHECK_EQ(b->create_table->constraints.v[0].kind, SQL_CON_PRIMARY_KEY);
    PARSE(c, "CREATE TABLE g (a int) DISTRIBUTED GLOBALLY");
    CHECK_EQ(c->create_table->distribution, SQL_DIST_GLOBALLY);
    PARSE(d, "CREATE TABLE t2 (x, y) AS SELECT 1, 2 WITH NO DATA");
    CHECK(d->create_table->as_select != NULL);
    CHECK_EQ(d->create_table->columns.n, 2);
    CHECK_STR(d->create_table->columns.v[1].name, "y");
    CHECK(d->create_table->with_no_data);
    PARSE(e, "CREATE TABLE t3 AS SELECT 1 AS a WITH DATA");
    CHECK_EQ(e->create_table->columns.n, 0);
    CHECK(!e->create_table->with_no_data);
    PARSE(f, "CREATE LOCAL TEMPORARY TABLE t (a int) ON COMMIT DELETE ROWS");
    CHECK(f->create_table->temporary);
    PARSE(g, "CREATE TABLE t ()");
    CHECK_EQ(g->create_table->columns.n, 0);
    PARSE(h, "CREATE TABLE t (a text COLLATE \"C\" NOT NULL, b int CONSTRAINT bpos CHECK (b > 0))");
    CHECK_STR(h->create_table->columns.v[0].collation.name, "C");
    CHECK(h->create_table->columns.v[0].not_null);
    CHECK_STR(h->create_table->columns.v[1].constraints.v[0].name, "bpos");
    PARSE(i, "CREATE TABLE t (a int DEFAULT ('x' COLLATE \"C\"))");
    CHECK(i->create_table->columns.v[0].collation.name == NULL);
    CHECK_EQ(i->create_table->columns.v[0].default_expr->kind, SQL_E_COLLATE);
    PARSE(j, "CREATE TABLE t (id serial PRIMARY KEY, u uuid UNIQUE NULLS DISTINCT)");
    CHECK(j->create_table->columns.v[0].type.serial);
}

TEST(create_table_column_bound)
{
    struct buf b = BUF_INIT;
    buf_printf(&b, "CREATE TABLE wide (");
    for (int i = 0; i < SQL_COLUMNS_MAX; i++)
        buf_printf(&b, "%sc%d int", i ? ", " : "", i);
    buf_printf(&b, ")");
    buf_append_u8(&b, 0);
    PARSE(st, (const char *)b.data);
    CHECK_EQ(st->create_table->columns.n, SQL_COLUMNS_MAX);
    b.len--;
    b.len--; /* drop ")" */
    buf_printf(&b, ", one_more int)");
    buf_append_u8(&b, 0);
    struct sql_error e = {0};
    int rc = parse_err((const char *)b.data, &e);
    buf_free(&b);
    CHECK_EQ(rc, ERR_TOOBIG);
    CHECK_STR(e.sqlstate, "54011");
    CHECK_STR(e.message, "tables can have at most 1600 columns");
}

/* ---- ALTER TABLE ---- */

TEST(alter_table_commands)
{
    PARSE(st, "ALTER TABLE IF EXISTS ONLY t ADD COLUMN IF NOT EXISTS c text NOT NULL DEFAULT 'x', "
              "DROP COLUMN IF EXISTS d CASCADE, ADD CONSTRAINT u UNIQUE (c), "
              "DROP CONSTRAINT IF EXISTS v, ALTER COLUMN e SET DEFAULT 5, ALTER f DROP DEFAULT, "
              "ALTER COLUMN g SET NOT NULL, ALTER g DROP NOT NULL, "
              "ALTER COLUMN h SET DATA TYPE bigint USING h::bigint, ALTER h TYPE int, "
              "ADD PRIMARY KEY (k), ADD i int, DROP j");
    CHECK_EQ(st->kind, SQL_STMT_ALTER_TABLE);
    const struct sql_alter_table *at = st->alter_table;
    CHECK(at->if_exists && at->only);
    CHECK_STR(at->table.name, "t");
    CHECK_EQ(at->ncmds, 13);
    const struct sql_alter_cmd *c = at->cmds;
    CHECK_EQ(c[0].kind, SQL_ALTER_ADD_COLUMN);
    CHECK(c[0].if_not_exists);
    CHECK_STR(c[0].column->name, "c");
    CHECK(c[0].column->not_null);
    CHECK(c[0].column->default_expr != NULL);
    CHECK_EQ(c[0].loc, pos_of(st->text, "ADD COLUMN") - 1);
    CHECK_EQ(c[1].kind, SQL_ALTER_DROP_COLUMN);
    CHECK(c[1].if_exists && c[1].cascade);
    CHECK_STR(c[1].name, "d");
    CHECK_EQ(c[2].kind, SQL_ALTER_ADD_CONSTRAINT);
    CHECK_EQ(c[2].constraint->kind, SQL_CON_UNIQUE);
    CHECK_STR(c[2].constraint->name, "u");
    CHECK_EQ(c[3].kind, SQL_ALTER_DROP_CONSTRAINT);
    CHECK(c[3].if_exists && !c[3].cascade);
    CHECK_STR(c[3].name, "v");
    CHECK_EQ(c[4].kind, SQL_ALTER_SET_DEFAULT);
    CHECK_STR(c[4].name, "e");
    CHECK(c[4].expr != NULL);
    CHECK_EQ(c[5].kind, SQL_ALTER_DROP_DEFAULT);
    CHECK_STR(c[5].name, "f");
    CHECK_EQ(c[6].kind, SQL_ALTER_SET_NOT_NULL);
    CHECK_EQ(c[7].kind, SQL_ALTER_DROP_NOT_NULL);
    CHECK_EQ(c[8].kind, SQL_ALTER_TYPE);
    CHECK_EQ(c[8].type.kind, SQL_TYPE_INT8);
    CHECK_EQ(c[8].expr->kind, SQL_E_CAST);
    CHECK_EQ(c[9].kind, SQL_ALTER_TYPE);
    CHECK_EQ(c[9].type.kind, SQL_TYPE_INT4);
    CHECK(c[9].expr == NULL);
    CHECK_EQ(c[10].kind, SQL_ALTER_ADD_CONSTRAINT);
    CHECK_EQ(c[10].constraint->kind, SQL_CON_PRIMARY_KEY);
    CHECK_STR(c[10].constraint->cols.v[0], "k");
    CHECK_EQ(c[11].kind, SQL_ALTER_ADD_COLUMN);
    CHECK_STR(c[11].column->name, "i");
    CHECK_EQ(c[12].kind, SQL_ALTER_DROP_COLUMN);
    CHECK_STR(c[12].name, "j");
}

TEST(alter_table_rename)
{
    PARSE(a, "ALTER TABLE t RENAME TO u");
    CHECK_EQ(a->alter_table->ncmds, 1);
    CHECK_EQ(a->alter_table->cmds[0].kind, SQL_ALTER_RENAME_TABLE);
    CHECK_STR(a->alter_table->cmds[0].new_name, "u");
    PARSE(b, "ALTER TABLE s.t RENAME COLUMN a TO b");
    CHECK_EQ(b->alter_table->cmds[0].kind, SQL_ALTER_RENAME_COLUMN);
    CHECK_STR(b->alter_table->cmds[0].name, "a");
    CHECK_STR(b->alter_table->cmds[0].new_name, "b");
    CHECK_STR(b->alter_table->table.schema, "s");
    PARSE(c, "ALTER TABLE t RENAME a TO b");
    CHECK_EQ(c->alter_table->cmds[0].kind, SQL_ALTER_RENAME_COLUMN);
    PARSE(d, "ALTER TABLE IF EXISTS t RENAME CONSTRAINT a TO b");
    CHECK_EQ(d->alter_table->cmds[0].kind, SQL_ALTER_RENAME_CONSTRAINT);
    CHECK(d->alter_table->if_exists);
}

/* ---- Indexes, DROP, TRUNCATE ---- */

TEST(create_index)
{
    PARSE(st, "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY s.t USING BTREE "
              "(a, lower(b) DESC NULLS LAST, (c + 1), d COLLATE \"C\" text_pattern_ops ASC NULLS "
              "FIRST) INCLUDE (e) WITH (fillfactor = 90) WHERE a > 0");
    CHECK_EQ(st->kind, SQL_STMT_CREATE_INDEX);
    const struct sql_create_index *ci = st->create_index;
    CHECK(ci->unique && ci->concurrently && ci->if_not_exists && ci->only);
    CHECK_STR(ci->name, "ix");
    CHECK_STR(ci->table.schema, "s");
    CHECK_STR(ci->table.name, "t");
    CHECK_STR(ci->method, "btree");
    CHECK_EQ(ci->nelems, 4);
    CHECK_STR(ci->elems[0].column, "a");
    CHECK(ci->elems[0].expr == NULL);
    CHECK_EQ(ci->elems[0].dir, SQL_SORT_DEFAULT);
    CHECK(ci->elems[1].column == NULL);
    CHECK_EQ(ci->elems[1].expr->kind, SQL_E_FUNC);
    CHECK_EQ(ci->elems[1].dir, SQL_SORT_DESC);
    CHECK_EQ(ci->elems[1].nulls, SQL_NULLS_LAST);
    CHECK_EQ(ci->elems[2].expr->kind, SQL_E_BINARY);
    CHECK_STR(ci->elems[3].column, "d");
    CHECK_STR(ci->elems[3].collation.name, "C");
    CHECK_STR(ci->elems[3].opclass, "text_pattern_ops");
    CHECK_EQ(ci->elems[3].dir, SQL_SORT_ASC);
    CHECK_EQ(ci->elems[3].nulls, SQL_NULLS_FIRST);
    CHECK_EQ(ci->include.n, 1);
    CHECK_EQ(ci->with.n, 1);
    CHECK(ci->where != NULL);

    PARSE(b, "CREATE INDEX ON t (a)");
    CHECK(b->create_index->name == NULL);
    CHECK(!b->create_index->unique);
    CHECK(b->create_index->method == NULL);
    PARSE(d, "CREATE INDEX ON t (coalesce(a, b) DESC, cast(a AS text), current_date)");
    CHECK_EQ(d->create_index->nelems, 3);
    CHECK_EQ(d->create_index->elems[0].dir, SQL_SORT_DESC);
    PARSE(c, "CREATE INDEX t_a ON t ((a)) INCLUDE (b, c)");
    CHECK_STR(c->create_index->elems[0].column, "a");
    CHECK_EQ(c->create_index->include.n, 2);
    CHECK_STR(c->create_index->include.v[1], "c");
}

TEST(drop_truncate)
{
    PARSE(a, "DROP TABLE IF EXISTS a, b.c RESTRICT");
    CHECK_EQ(a->kind, SQL_STMT_DROP_TABLE);
    CHECK(a->drop->if_exists && !a->drop->cascade);
    CHECK_EQ(a->drop->names.n, 2);
    CHECK_STR(a->drop->names.v[1].schema, "b");
    CHECK_STR(a->drop->names.v[1].name, "c");
    PARSE(b, "DROP INDEX CONCURRENTLY IF EXISTS i CASCADE");
    CHECK_EQ(b->kind, SQL_STMT_DROP_INDEX);
    CHECK(b->drop->concurrently && b->drop->if_exists && b->drop->cascade);
    PARSE(c, "DROP TABLE t");
    CHECK(!c->drop->if_exists);
    PARSE(d, "TRUNCATE TABLE ONLY a, b * RESTART IDENTITY CASCADE");
    CHECK_EQ(d->kind, SQL_STMT_TRUNCATE);
    CHECK_EQ(d->drop->names.n, 2);
    CHECK(d->drop->restart_identity && d->drop->cascade);
    PARSE(e, "TRUNCATE a CONTINUE IDENTITY");
    CHECK(!e->drop->restart_identity);
}

/* ---- Transactions ---- */

TEST(transactions)
{
    PARSE(a, "BEGIN");
    CHECK_EQ(a->kind, SQL_STMT_BEGIN);
    CHECK(!a->txn->start);
    CHECK_EQ(a->txn->modes.isolation, SQL_ISO_DEFAULT);
    CHECK_EQ(a->txn->modes.read_only, 0);
    PARSE(b, "BEGIN WORK ISOLATION LEVEL REPEATABLE READ, READ ONLY NOT DEFERRABLE");
    CHECK_EQ(b->txn->modes.isolation, SQL_ISO_REPEATABLE_READ);
    CHECK_EQ(b->txn->modes.read_only, 1);
    CHECK_EQ(b->txn->modes.deferrable, -1);
    PARSE(c, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE READ WRITE, DEFERRABLE");
    CHECK_EQ(c->kind, SQL_STMT_BEGIN);
    CHECK(c->txn->start);
    CHECK_EQ(c->txn->modes.isolation, SQL_ISO_SERIALIZABLE);
    CHECK_EQ(c->txn->modes.read_only, -1);
    CHECK_EQ(c->txn->modes.deferrable, 1);
    PARSE(d, "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED");
    CHECK_EQ(d->txn->modes.isolation, SQL_ISO_READ_COMMITTED);
    PARSE(e, "begin isolation level read uncommitted");
    CHECK_EQ(e->txn->modes.isolation, SQL_ISO_READ_UNCOMMITTED);
    PARSE(f, "COMMIT");
    CHECK_EQ(f->kind, SQL_STMT_COMMIT);
    CHECK(!f->txn->chain);
    PARSE(g, "END WORK");
    CHECK_EQ(g->kind, SQL_STMT_COMMIT);
    PARSE(h, "COMMIT AND CHAIN");
    CHECK(h->txn->chain);
    PARSE(i, "COMMIT TRANSACTION AND NO CHAIN");
    CHECK(!i->txn->chain);
    PARSE(j, "ROLLBACK TRANSACTION AND CHAIN");
    CHECK_EQ(j->kind, SQL_STMT_ROLLBACK);
    CHECK(j->txn->chain);
    PARSE(k, "ABORT");
    CHECK_EQ(k->kind, SQL_STMT_ROLLBACK);
    PARSE(l, "SAVEPOINT s1");
    CHECK_EQ(l->kind, SQL_STMT_SAVEPOINT);
    CHECK_STR(l->txn->savepoint, "s1");
    PARSE(m, "RELEASE SAVEPOINT s1");
    CHECK_EQ(m->kind, SQL_STMT_RELEASE);
    CHECK_STR(m->txn->savepoint, "s1");
    PARSE(n, "RELEASE S2");
    CHECK_STR(n->txn->savepoint, "s2");
    PARSE(o, "ROLLBACK TO SAVEPOINT s1");
    CHECK_EQ(o->kind, SQL_STMT_ROLLBACK_TO);
    CHECK_STR(o->txn->savepoint, "s1");
    PARSE(q, "ROLLBACK WORK TO s3");
    CHECK_EQ(q->kind, SQL_STMT_ROLLBACK_TO);
    CHECK_STR(q->txn->savepoint, "s3");
    /* Alone, the optional keyword is the name, as in PostgreSQL's grammar. */
    PARSE(r, "RELEASE SAVEPOINT");
    CHECK_STR(r->txn->savepoint, "savepoint");
    PARSE(s, "ROLLBACK TO SAVEPOINT;");
    CHECK_STR(s->txn->savepoint, "savepoint");
}

/* ---- SET / RESET / SHOW ---- */

static bool values_are(const struct sql_set *s, int n, const char *const *v)
{
    if (s->values.n != (uint32_t)n)
        return false;
    for (int i = 0; i < n; i++)
        if (strcmp(s->values.v[i], v[i]) != 0)
            return false;
    return true;
}

TEST(set)
{
    PARSE(a, "SET search_path TO public, \"$user\"");
    CHECK_EQ(a->kind, SQL_STMT_SET);
    CHECK_EQ(a->set->kind, SQL_SET_VALUE);
    CHECK(!a->set->local);
    CHECK_STR(a->set->name, "search_path");
    CHECK(values_are(a->set, 2, (const char *[]){"public", "$user"}));
    PARSE(b, "SET LOCAL statement_timeout = '5s'");
    CHECK(b->set->local);
    CHECK(values_are(b->set, 1, (const char *[]){"5s"}));
    PARSE(c, "SET SESSION extra_float_digits = -3");
    CHECK(!c->set->local);
    CHECK(values_are(c->set, 1, (const char *[]){"-3"}));
    PARSE(d, "SET myapp.x TO DEFAULT");
    CHECK_EQ(d->set->kind, SQL_SET_DEFAULT);
    CHECK_STR(d->set->name, "myapp.x");
    PARSE(e, "SET MyApp.Setting = on");
    CHECK_STR(e->set->name, "myapp.setting");
    CHECK(values_are(e->set, 1, (const char *[]){"on"}));
    PARSE(f, "SET TIME ZONE 'Europe/Rome'");
    CHECK_STR(f->set->name, "timezone");
    CHECK(values_are(f->set, 1, (const char *[]){"Europe/Rome"}));
    PARSE(g, "SET TIME ZONE LOCAL");
    CHECK_EQ(g->set->kind, SQL_SET_DEFAULT);
    CHECK_STR(g->set->name, "timezone");
    PARSE(h, "SET TIME ZONE -5");
    CHECK(values_are(h->set, 1, (const char *[]){"-5"}));
    PARSE(i2, "SET TIME ZONE INTERVAL '-08:00' HOUR");
    CHECK(values_are(i2->set, 1, (const char *[]){"-08:00"}));
    PARSE(i, "SET TIME ZONE UTC");
    CHECK(values_are(i->set, 1, (const char *[]){"utc"}));
    PARSE(j, "SET NAMES 'UTF8'");
    CHECK_STR(j->set->name, "client_encoding");
    CHECK(values_are(j->set, 1, (const char *[]){"UTF8"}));
    PARSE(k, "SET SCHEMA 'public'");
    CHECK_STR(k->set->name, "search_path");
    CHECK(values_are(k->set, 1, (const char *[]){"public"}));
    PARSE(l, "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    CHECK_EQ(l->set->kind, SQL_SET_TRANSACTION);
    CHECK_EQ(l->set->modes.isolation, SQL_ISO_SERIALIZABLE);
    PARSE(m, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    CHECK_EQ(m->set->kind, SQL_SET_SESSION_CHARACTERISTICS);
    CHECK_EQ(m->set->modes.read_only, 1);
    PARSE(n, "SET datestyle = ISO, MDY");
    CHECK(values_are(n->set, 2, (const char *[]){"iso", "mdy"}));
    PARSE(o, "SET extra_float_digits TO 1.5");
    CHECK(values_are(o->set, 1, (const char *[]){"1.5"}));
    PARSE(q, "SET names TO 'x'");
    CHECK_STR(q->set->name, "names");
    PARSE(r, "SET standard_conforming_strings = true");
    CHECK(values_are(r->set, 1, (const char *[]){"true"}));
    PARSE(s, "SET LOCAL TRANSACTION READ WRITE");
    CHECK(s->set->local);
    CHECK_EQ(s->set->modes.read_only, -1);
    PARSE(t, "SET ROLE admin");
    CHECK_STR(t->set->name, "role");
    PARSE(u, "SET SESSION AUTHORIZATION DEFAULT");
    CHECK_STR(u->set->name, "session_authorization");
    CHECK_EQ(u->set->kind, SQL_SET_DEFAULT);
    PARSE(v, "SET NAMES");
    CHECK_EQ(v->set->kind, SQL_SET_DEFAULT);
    PARSE(w, "SET session = 1");
    CHECK_STR(w->set->name, "session");
    CHECK(!w->set->local);
    PARSE(x, "SET LOCAL TO 2");
    CHECK_STR(x->set->name, "local");
    CHECK(!x->set->local);
}

TEST(reset_show)
{
    PARSE(a, "RESET ALL");
    CHECK_EQ(a->kind, SQL_STMT_RESET);
    CHECK_STR(a->set->name, "all");
    PARSE(b, "RESET TIME ZONE");
    CHECK_STR(b->set->name, "timezone");
    PARSE(c, "RESET search_path");
    CHECK_STR(c->set->name, "search_path");
    PARSE(d, "SHOW server_version");
    CHECK_EQ(d->kind, SQL_STMT_SHOW);
    CHECK_STR(d->set->name, "server_version");
    PARSE(e, "SHOW TRANSACTION ISOLATION LEVEL");
    CHECK_STR(e->set->name, "transaction_isolation");
    PARSE(f, "SHOW ALL");
    CHECK_STR(f->set->name, "all");
    PARSE(g, "SHOW TIME ZONE");
    CHECK_STR(g->set->name, "timezone");
    PARSE(h, "SHOW \"TimeZone\"");
    CHECK_STR(h->set->name, "timezone");
    PARSE(i, "SHOW myapp.x");
    CHECK_STR(i->set->name, "myapp.x");
    PARSE(j, "RESET TRANSACTION ISOLATION LEVEL");
    CHECK_STR(j->set->name, "transaction_isolation");
}

/* ---- EXPLAIN ---- */

TEST(explain)
{
    PARSE(a, "EXPLAIN SELECT 1");
    CHECK_EQ(a->kind, SQL_STMT_EXPLAIN);
    CHECK(!a->explain->analyze && !a->explain->verbose);
    CHECK_EQ(a->explain->stmt->kind, SQL_STMT_SELECT);
    CHECK_EQ(a->explain->stmt->loc, 8);
    CHECK_EQ(a->explain->stmt->len, 8);
    PARSE(b, "EXPLAIN ANALYZE VERBOSE UPDATE t SET a = $3");
    CHECK(b->explain->analyze && b->explain->verbose);
    CHECK_EQ(b->explain->stmt->kind, SQL_STMT_UPDATE);
    CHECK_EQ(b->explain->stmt->param_max, 3);
    CHECK_EQ(b->param_max, 3);
    PARSE(c, "EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) SELECT 1");
    CHECK(c->explain->analyze);
    CHECK_EQ(c->explain->options.n, 3);
    CHECK_STR(c->explain->options.v[1].name, "costs");
    CHECK_STR(c->explain->options.v[1].value, "off");
    CHECK_STR(c->explain->options.v[2].value, "json");
    PARSE(d, "EXPLAIN (SELECT 1)");
    CHECK_EQ(d->explain->stmt->kind, SQL_STMT_SELECT);
    PARSE(e, "EXPLAIN VERBOSE WITH x AS (SELECT 1) SELECT * FROM x");
    CHECK(e->explain->verbose);
    CHECK_EQ(e->explain->stmt->kind, SQL_STMT_SELECT);
    PARSE(f, "EXPLAIN (ANALYZE false, VERBOSE 1) INSERT INTO t VALUES (1)");
    CHECK(!f->explain->analyze && f->explain->verbose);
    CHECK_EQ(f->explain->stmt->kind, SQL_STMT_INSERT);
    PARSE(g, "EXPLAIN ANALYSE DELETE FROM t");
    CHECK(g->explain->analyze);
}

/* ---- COPY ---- */

TEST(copy_new_syntax)
{
    PARSE(a, "COPY t (a, b) FROM STDIN");
    CHECK_EQ(a->kind, SQL_STMT_COPY);
    const struct sql_copy *c = a->copy;
    CHECK(c->is_from);
    CHECK_STR(c->table.name, "t");
    CHECK_EQ(c->cols.n, 2);
    CHECK_EQ(c->target, SQL_COPY_STDIO);
    CHECK_EQ(c->format, SQL_COPY_TEXT);
    CHECK(!c->header && !c->freeze);
    CHECK(c->delimiter == NULL && c->null_string == NULL && c->quote == NULL);
    CHECK_EQ(c->options.n, 0);

    PARSE(b, "COPY s.t FROM STDIN WITH (FORMAT csv, HEADER, DELIMITER ';', NULL 'nil', "
             "QUOTE '''', ESCAPE '\\', FORCE_NOT_NULL (a, b), FORCE_NULL (c), ENCODING 'UTF8', "
             "FREEZE true)");
    c = b->copy;
    CHECK_STR(c->table.schema, "s");
    CHECK_EQ(c->format, SQL_COPY_CSV);
    CHECK(c->header && c->freeze);
    CHECK_STR(c->delimiter, ";");
    CHECK_STR(c->null_string, "nil");
    CHECK_STR(c->quote, "'");
    CHECK_STR(c->escape, "\\");
    CHECK_STR(c->encoding, "UTF8");
    CHECK_EQ(c->options.n, 10);
    CHECK_STR(c->options.v[0].name, "format");
    CHECK_STR(c->options.v[0].value, "csv");
    CHECK(c->options.v[1].value == NULL);
    CHECK_STR(c->options.v[6].name, "force_not_null");
    CHECK_EQ(c->options.v[6].list.n, 2);
    CHECK_STR(c->options.v[6].list.v[1], "b");

    PARSE(d, "COPY t TO STDOUT (FORMAT csv, FORCE_QUOTE *, HEADER false)");
    CHECK(!d->copy->is_from);
    CHECK(d->copy->options.v[1].star);
    CHECK(!d->copy->header);
    PARSE(e, "COPY t FROM PROGRAM 'gzip -dc x.gz' (FORMAT text)");
    CHECK_EQ(e->copy->target, SQL_COPY_PROGRAM);
    CHECK_STR(e->copy->filename, "gzip -dc x.gz");
    PARSE(f, "COPY (SELECT 1) TO STDOUT WITH (FORMAT csv)");
    CHECK(f->copy->query != NULL);
    CHECK(f->copy->table.name == NULL);
    CHECK_EQ(f->copy->format, SQL_COPY_CSV);
    PARSE(g, "COPY t FROM STDIN WHERE a > 1");
    CHECK(g->copy->where != NULL);
    PARSE(h, "COPY t FROM '/tmp/x' (HEADER match)");
    CHECK_EQ(h->copy->target, SQL_COPY_FILE);
    CHECK(h->copy->header);
}

TEST(copy_old_syntax)
{
    PARSE(a, "COPY t FROM STDIN WITH CSV HEADER DELIMITER AS ',' NULL AS '' QUOTE '\"' "
             "ESCAPE '\"' FORCE NOT NULL a, b");
    const struct sql_copy *c = a->copy;
    CHECK_EQ(c->format, SQL_COPY_CSV);
    CHECK(c->header);
    CHECK_STR(c->delimiter, ",");
    CHECK_STR(c->null_string, "");
    CHECK_STR(c->quote, "\"");
    CHECK_STR(c->escape, "\"");
    CHECK_EQ(c->options.n, 7);
    CHECK_STR(c->options.v[0].name, "format");
    CHECK_STR(c->options.v[0].value, "csv");
    CHECK_STR(c->options.v[6].name, "force_not_null");
    CHECK_EQ(c->options.v[6].list.n, 2);
    PARSE(b, "COPY t TO STDOUT CSV FORCE QUOTE *");
    CHECK(b->copy->options.v[1].star);
    PARSE(d, "COPY BINARY t TO '/tmp/x'");
    CHECK_EQ(d->copy->format, SQL_COPY_BINARY);
    CHECK_EQ(d->copy->target, SQL_COPY_FILE);
    CHECK_STR(d->copy->filename, "/tmp/x");
    PARSE(e, "COPY t FROM STDIN USING DELIMITERS '|'");
    CHECK_STR(e->copy->delimiter, "|");
    PARSE(f, "COPY t FROM STDIN BINARY FREEZE");
    CHECK_EQ(f->copy->format, SQL_COPY_BINARY);
    CHECK(f->copy->freeze);
    PARSE(g, "COPY t FROM STDIN CSV FORCE NULL x ENCODING 'LATIN1'");
    CHECK_STR(g->copy->encoding, "LATIN1");
    CHECK_STR(g->copy->options.v[1].name, "force_null");
}

/* ---- Maintenance, DISCARD, DEALLOCATE ---- */

TEST(maintenance)
{
    PARSE(a, "VACUUM");
    CHECK_EQ(a->kind, SQL_STMT_VACUUM);
    CHECK_EQ(a->maintenance->tables.n, 0);
    PARSE(b, "VACUUM FULL FREEZE VERBOSE ANALYZE t (a), s.u");
    CHECK(b->maintenance->full && b->maintenance->freeze && b->maintenance->verbose &&
          b->maintenance->analyze);
    CHECK_EQ(b->maintenance->tables.n, 2);
    CHECK_STR(b->maintenance->tables.v[1].schema, "s");
    PARSE(c, "VACUUM (FULL, ANALYZE false, SKIP_LOCKED, INDEX_CLEANUP auto) t");
    CHECK(c->maintenance->full && !c->maintenance->analyze);
    PARSE(d, "ANALYZE VERBOSE t");
    CHECK_EQ(d->kind, SQL_STMT_ANALYZE);
    CHECK(d->maintenance->verbose);
    CHECK_EQ(d->maintenance->tables.n, 1);
    PARSE(e, "ANALYSE");
    CHECK_EQ(e->kind, SQL_STMT_ANALYZE);
    PARSE(f, "ANALYZE (VERBOSE) t");
    CHECK(f->maintenance->verbose);
}

TEST(discard_deallocate)
{
    static const struct {
        const char *sql;
        enum sql_discard d;
    } cases[] = {{"DISCARD ALL", SQL_DISCARD_ALL},
                 {"DISCARD PLANS", SQL_DISCARD_PLANS},
                 {"DISCARD SEQUENCES", SQL_DISCARD_SEQUENCES},
                 {"DISCARD TEMP", SQL_DISCARD_TEMP},
                 {"discard temporary", SQL_DISCARD_TEMP}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        PARSE(st, cases[i].sql);
        CHECK_EQ(st->kind, SQL_STMT_DISCARD);
        CHECK_EQ(st->discard, cases[i].d);
    }
    PARSE(a, "DEALLOCATE s1");
    CHECK_EQ(a->kind, SQL_STMT_DEALLOCATE);
    CHECK_STR(a->deallocate, "s1");
    PARSE(b, "DEALLOCATE PREPARE ALL");
    CHECK(b->deallocate == NULL);
    PARSE(c, "DEALLOCATE PREPARE s2");
    CHECK_STR(c->deallocate, "s2");
    PARSE(d, "DEALLOCATE PREPARE");
    CHECK_STR(d->deallocate, "prepare");
}

/* ---- Refusals and unknown words ---- */

/* ---- Errors ---- */

static const struct err_case dml_errors[] = {
    {"INSERT INTO t (a, b) VALUES (1, 2), (3)", "42601", "VALUES lists must all be the same length",
     "3)"},
    {"INSERT INTO t (a) VALUES (1, 2)", "42601", "INSERT has more expressions than target columns",
     "2)"},
    {"INSERT INTO t (a, b) VALUES (1)", "42601", "INSERT has more target columns than expressions",
     "b)"},
    {"INSERT INTO t (a, b) SELECT 1, 2, 3", "42601",
     "INSERT has more expressions than target columns", "3"},
    {"INSERT INTO t VALUES (1) ON CONFLICT DO UPDATE SET a = 1", "42601",
     "ON CONFLICT DO UPDATE requires inference specification or constraint name", "ON CONFLICT"},
    {"INSERT INTO t (a, b, a) VALUES (1, 2, 3)", "42701", "column \"a\" specified more than once",
     "a) VALUES"},
    {"INSERT INTO t (a) VALUES (1, 2), (3)", "42601",
     "INSERT has more expressions than target columns", "2)"},
    {"INSERT INTO t (a, b) VALUES (1), (2, 3)", "42601",
     "INSERT has more target columns than expressions", "b)"},
    {"INSERT INTO t (a, a) ) VALUES (1, 2)", "42601", NULL, ") VALUES"},
    {"INSERT INTO t OVERRIDING SYSTEM VALUE VALUES (1)", "0A000", NS("INSERT ... OVERRIDING"),
     "OVERRIDING"},
    {"INSERT INTO t (a.b) VALUES (1)", "0A000", NS("assignment to a field or array element"),
     "a.b"},
    {"INSERT items VALUES (1)", "42601", NULL, "items"},
    {"INSERT INTO t (a) DEFAULT VALUES", "42601", NULL, "DEFAULT"},
    {"INSERT INTO err VALUES (4, 'four', 4, 4.00; x", "42601", NULL, ";"},
    {"UPDATE t SET (a, b) = (1, 2, 3)", "42601",
     "number of columns does not match number of values", "(1, 2, 3)"},
    {"UPDATE t SET (a, b) = 1", "0A000",
     "source for a multiple-column UPDATE item must be a sub-SELECT or ROW() expression", "1"},
    {"UPDATE t SET a = 1, (b, a) = (2, 3)", "42601", "multiple assignments to same column \"a\"",
     NULL},
    {"INSERT INTO t VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1, b = 2", "42601",
     "multiple assignments to same column \"b\"", NULL},
    {"UPDATE t SET a = 1 WHERE CURRENT OF c", "0A000", NS("WHERE CURRENT OF"), "CURRENT"},
    {"UPDATE t SET a[1] = 1", "0A000", NS("assignment to a field or array element"), "a[1]"},
    {"UPDATE err SET WHERE id = 1", "42601", NULL, "WHERE"},
    {"UPDATE t SET a = 1 FROM", "42601", NULL, ""},
    /* Syntax errors come before what PostgreSQL finds at analysis. */
    {"UPDATE t SET (a, b) = 1 WHERE", "42601", NULL, ""},
    {"INSERT INTO t (a) VALUES (1, 2) RETURNING", "42601", NULL, ""},
    {"INSERT INTO t VALUES (1), (1, 2) ON CONFLICT DO UPDATE SET a = 1 RETURNING", "42601", NULL,
     ""},
    {"DELETE err WHERE id = 1", "42601", NULL, "err"},
    {"DELETE FROM t WHERE CURRENT OF c", "0A000", NS("WHERE CURRENT OF"), "CURRENT"},
};

TEST(dml_errors)
{
    CHECK_ERRORS(dml_errors);
}

static const struct err_case ddl_errors[] = {
    {"CREATE TABLE (id int)", "42601", NULL, "("},
    {"CREATE TABLE d4 (id int PRIMARY KEY, id text)", "42701",
     "column \"id\" specified more than once", NULL},
    {"CREATE TABLE d4 (a int PRIMARY KEY, b int PRIMARY KEY)", "42P16",
     "multiple primary keys for table \"d4\" are not allowed", "PRIMARY KEY)"},
    {"CREATE TABLE d5 (a int PRIMARY KEY, b int, PRIMARY KEY (b))", "42P16",
     "multiple primary keys for table \"d5\" are not allowed", "PRIMARY KEY (b)"},
    {"CREATE TABLE t (a int NULL NOT NULL)", "42601",
     "conflicting NULL/NOT NULL declarations for column \"a\" of table \"t\"", "NOT NULL"},
    {"CREATE TABLE t (a int DEFAULT 1 DEFAULT 2)", "42601",
     "multiple default values specified for column \"a\" of table \"t\"", "DEFAULT 2"},
    {"CREATE TABLE t (a int DEFAULT 1 GENERATED ALWAYS AS IDENTITY)", "42601",
     "both default and identity specified for column \"a\" of table \"t\"", "GENERATED"},
    {"CREATE TABLE t (a int GENERATED BY DEFAULT AS (1) STORED)", "42601",
     "for a generated column, GENERATED ALWAYS must be specified", "BY DEFAULT"},
    {"CREATE TABLE t (a int REFERENCES u MATCH PARTIAL)", "0A000",
     "MATCH PARTIAL not yet implemented", "MATCH"},
    {"CREATE TABLE t (a int, EXCLUDE USING gist (a WITH =))", "0A000", NS("EXCLUDE constraint"),
     "EXCLUDE"},
    {"CREATE TABLE t (LIKE u)", "0A000", NS("CREATE TABLE ... LIKE"), "LIKE"},
    {"CREATE TABLE t (a int) INHERITS (u)", "0A000", NS("CREATE TABLE ... INHERITS"), "INHERITS"},
    {"CREATE TABLE t (a int) PARTITION BY RANGE (a)", "0A000", NS("CREATE TABLE ... PARTITION BY"),
     "PARTITION"},
    {"CREATE TABLE t (a int) ON COMMIT DROP", "42P16",
     "ON COMMIT can only be used on temporary tables", NULL},
    {"CREATE TABLE t (a int) ON COMMIT DROP x", "42601", NULL, "x"},
    {"CREATE TABLE t (a int NULL NOT NULL, b)", "42601", NULL, ")"},
    {"CREATE TABLE t (a int) DISTRIBUTED SOMEHOW", "42601", NULL, "SOMEHOW"},
    {"CREATE TABLE t (a int CONSTRAINT c)", "42601", NULL, ")"},
    {"CREATE TABLE t (a)", "42601", NULL, ""},
    {"CREATE TABLE t (a, b) WITH (fillfactor = 10) SELECT 1", "42601", NULL, "SELECT"},
    {"ALTER TABLE t OWNER TO bob", "0A000", NS("ALTER TABLE ... OWNER TO"), "OWNER"},
    {"ALTER TABLE t ALTER COLUMN a SET STATISTICS 100", "0A000",
     NS("ALTER TABLE ... ALTER COLUMN ... SET STATISTICS"), "ALTER COLUMN"},
    {"ALTER TABLE t SET SCHEMA s", "0A000", NS("ALTER TABLE ... SET SCHEMA"), "SET"},
    {"ALTER TABLE t ALTER CONSTRAINT c DEFERRABLE", "0A000", NS("ALTER TABLE ... ALTER CONSTRAINT"),
     "ALTER CONSTRAINT"},
    {"ALTER VIEW v RENAME TO w", "0A000", NS("ALTER VIEW"), "ALTER"},
    {"ALTER INDEX i RENAME TO j", "0A000", NS("ALTER INDEX"), "ALTER"},
    {"ALTER TABLE t RENAME TO u, ADD x int", "42601", NULL, ","},
    {"ALTER TABLE t FOO", "42601", NULL, "FOO"},
    {"ALTER TABLE t ADD x int, RENAME TO y", "42601", NULL, "RENAME"},
    {"ALTER FOO t", "42601", NULL, "FOO"},
    {"CREATE UNIQUE INDEX i ON t (a) NULLS NOT DISTINCT", "0A000", NS("NULLS NOT DISTINCT"),
     "NULLS"},
    {"CREATE INDEX i ON t (a + 1)", "42601", NULL, "+"},
    {"CREATE INDEX i ON t (+ 1)", "42601", NULL, "+"},
    {"CREATE INDEX i ON t (lower(b) + 1)", "42601", NULL, "+"},
    {"CREATE INDEX i ON t (lower(b)::text)", "42601", NULL, "::"},
    {"CREATE INDEX i ON t (t.a)", "42601", NULL, ")"},
    {"CREATE INDEX i ON t", "42601", NULL, ""},
    {"CREATE INDEX i ON t (a) INCLUDE (lower(b))", "0A000",
     "expressions are not supported in included columns", NULL},
    {"DROP VIEW v", "0A000", NS("DROP VIEW"), "DROP"},
    {"DROP MATERIALIZED VIEW IF EXISTS v", "0A000", NS("DROP MATERIALIZED VIEW"), "DROP"},
    {"DROP FOO x", "42601", NULL, "FOO"},
    {"DROP TABLE a b", "42601", NULL, "b"},
};

TEST(ddl_errors)
{
    CHECK_ERRORS(ddl_errors);
}

static const struct err_case utility_errors[] = {
    {"BEGIN ISOLATION LEVEL FOO", "42601", NULL, "FOO"},
    {"BEGIN READ SOMETIMES", "42601", NULL, "SOMETIMES"},
    {"BEGIN READ ONLY,", "42601", NULL, ""},
    {"COMMIT AND MAYBE CHAIN", "42601", NULL, "MAYBE"},
    {"START WORK", "42601", NULL, "WORK"},
    {"SAVEPOINT", "42601", NULL, ""},
    {"COMMIT PREPARED 'x'", "0A000", NS("COMMIT PREPARED"), "COMMIT"},
    {"ROLLBACK PREPARED 'x'", "0A000", NS("ROLLBACK PREPARED"), "ROLLBACK"},
    {"PREPARE TRANSACTION 'x'", "0A000", NS("PREPARE TRANSACTION"), "PREPARE"},
    {"SET x", "42601", NULL, ""},
    {"SET x = NULL", "42601", NULL, "NULL"},
    {"SET x = 1,", "42601", NULL, ""},
    {"SET TRANSACTION", "42601", NULL, ""},
    {"SET CATALOG 'x'", "0A000", "current database cannot be changed", "'x'"},
    {"SET x FROM CURRENT", "0A000", NS("SET ... FROM CURRENT"), "FROM"},
    {"SET TRANSACTION SNAPSHOT '0001'", "0A000", NS("SET TRANSACTION SNAPSHOT"), "TRANSACTION"},
    {"SHOW 1", "42601", NULL, "1"},
    {"EXPLAIN (FOO) SELECT 1", "42601", "unrecognized EXPLAIN option \"foo\"", "FOO"},
    {"EXPLAIN (FORMAT bad) SELECT 1", "22023",
     "unrecognized value for EXPLAIN option \"format\": \"bad\"", "FORMAT"},
    {"EXPLAIN (ANALYZE maybe) SELECT 1", "42601", "analyze requires a Boolean value", NULL},
    {"EXPLAIN CREATE TABLE t AS SELECT 1", "0A000", NS("EXPLAIN CREATE"), "CREATE"},
    {"EXPLAIN SHOW x", "42601", NULL, "SHOW"},
    {"EXPLAIN VERBOSE ANALYZE SELECT 1", "42601", NULL, "ANALYZE"},
    {"EXPLAIN (FOO) SELECT 1 2", "42601", NULL, "2"},
    {"EXPLAIN (DESC) SELECT 1", "42601", NULL, "DESC"},
    {"EXPLAIN (ANALYZE DESC) SELECT 1", "42601", NULL, "DESC"},
    {"VACUUM (FOO) t u", "42601", NULL, "u"},
    {"VACUUM (FOO) t", "42601", "unrecognized VACUUM option \"foo\"", "FOO"},
    {"ANALYZE (FULL) t", "42601", "unrecognized ANALYZE option \"full\"", "FULL"},
    {"DISCARD everything", "42601", NULL, "everything"},
    {"DEALLOCATE", "42601", NULL, ""},
};

TEST(utility_errors)
{
    CHECK_ERRORS(utility_errors);
}

/* ProcessCopyOptions' errors, worded and coded as PostgreSQL 15 words them. */
static const struct err_case copy_errors[] = {
    {"COPY t FROM STDIN (FOO 1)", "42601", "option \"foo\" not recognized", "FOO"},
    {"COPY t FROM STDIN (FORMAT csv, FORMAT text)", "42601", "conflicting or redundant options",
     "FORMAT text"},
    {"COPY t FROM STDIN WITH CSV BINARY", "42601", "conflicting or redundant options", "BINARY"},
    {"COPY t FROM STDIN (FORMAT xml)", "22023", "COPY format \"xml\" not recognized", "FORMAT"},
    {"COPY t FROM STDIN (DELIMITER ',,')", "0A000",
     "COPY delimiter must be a single one-byte character", NULL},
    {"COPY t FROM STDIN (QUOTE 'x')", "0A000", "COPY quote available only in CSV mode", NULL},
    {"COPY t FROM STDIN (ESCAPE 'x')", "0A000", "COPY escape available only in CSV mode", NULL},
    {"COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))", "0A000",
     "COPY force not null only available using COPY FROM", NULL},
    {"COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE (a))", "0A000",
     "COPY force quote only available using COPY TO", NULL},
    {"COPY t FROM STDIN (FORCE_NULL (a))", "0A000", "COPY force null available only in CSV mode",
     NULL},
    {"COPY t FROM STDIN (FORMAT binary, DELIMITER ',')", "42601",
     "cannot specify DELIMITER in BINARY mode", NULL},
    {"COPY t FROM STDIN (FORMAT binary, HEADER)", "0A000", "cannot specify HEADER in BINARY mode",
     NULL},
    {"COPY t FROM STDIN (DELIMITER 'a')", "22023", "COPY delimiter cannot be \"a\"", NULL},
    {"COPY t FROM STDIN (FORMAT csv, DELIMITER '\"')", "22023",
     "COPY delimiter and quote must be different", NULL},
    {"COPY t FROM STDIN (NULL ',', DELIMITER ',')", "0A000",
     "COPY delimiter must not appear in the NULL specification", NULL},
    {"COPY t TO STDOUT (HEADER match)", "0A000", "cannot use \"match\" with HEADER in COPY TO",
     NULL},
    {"COPY t FROM STDIN (HEADER 2)", "42601", "header requires a Boolean value or \"match\"", NULL},
    {"COPY t FROM STDIN (FREEZE maybe)", "42601", "freeze requires a Boolean value", NULL},
    {"COPY t FROM STDIN (DELIMITER)", "42601", "delimiter requires a parameter", NULL},
    {"COPY t FROM STDIN (FORCE_QUOTE a)", "22023",
     "argument to option \"force_quote\" must be a list of column names", "FORCE_QUOTE"},
    {"COPY t FROM PROGRAM STDIN", "42601", "STDIN/STDOUT not allowed with PROGRAM", NULL},
    {"COPY t FROM STDIN (FORCE_NOT_NULL *)", "22023",
     "argument to option \"force_not_null\" must be a list of column names", "FORCE_NOT_NULL"},
    {"COPY t TO STDOUT WHERE a > 1", "42601", "WHERE clause not allowed with COPY TO", "WHERE"},
    {"COPY (INSERT INTO t VALUES (1) RETURNING a) TO STDOUT", "0A000",
     NS("COPY of INSERT, UPDATE or DELETE"), "INSERT"},
    {"COPY (SELECT 1) FROM STDIN", "42601", NULL, "FROM"},
    {"COPY t INTO STDIN", "42601", NULL, "INTO"},
    {"COPY t FROM STDIN WITH OIDS", "42601", NULL, "OIDS"},
    {"COPY t FROM STDIN (FORMAT SELECT)", "42601", NULL, "SELECT"},
    {"COPY t FROM STDIN (FOO 1) WHERE", "42601", NULL, ""},
    {"COPY t TO STDOUT (FOO 1) WHERE a > 1", "42601", "WHERE clause not allowed with COPY TO",
     "WHERE"},
};

TEST(copy_errors)
{
    CHECK_ERRORS(copy_errors);
}

/* Valid PostgreSQL that Cairn does not run: 0A000 naming the statement, at its first word. */
static const struct err_case refused[] = {
    {"GRANT SELECT ON t TO bob", "0A000", NS("GRANT"), "GRANT"},
    {"REVOKE ALL ON t FROM bob", "0A000", NS("REVOKE"), "REVOKE"},
    {"CREATE VIEW v AS SELECT 1", "0A000", NS("CREATE VIEW"), "CREATE"},
    {"CREATE OR REPLACE VIEW v AS SELECT 1", "0A000", NS("CREATE VIEW"), "CREATE"},
    {"CREATE TEMP VIEW v AS SELECT 1", "0A000", NS("CREATE VIEW"), "CREATE"},
    {"CREATE RECURSIVE VIEW v (a) AS SELECT 1", "0A000", NS("CREATE VIEW"), "CREATE"},
    {"CREATE MATERIALIZED VIEW v AS SELECT 1", "0A000", NS("CREATE MATERIALIZED VIEW"), "CREATE"},
    {"CREATE SCHEMA s", "0A000", NS("CREATE SCHEMA"), "CREATE"},
    {"CREATE SEQUENCE q", "0A000", NS("CREATE SEQUENCE"), "CREATE"},
    {"CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", "0A000", NS("CREATE FUNCTION"),
     "CREATE"},
    {"CREATE OR REPLACE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql", "0A000",
     NS("CREATE FUNCTION"), "CREATE"},
    {"CREATE EXTENSION pgcrypto", "0A000", NS("CREATE EXTENSION"), "CREATE"},
    {"CREATE DATABASE d", "0A000", NS("CREATE DATABASE"), "CREATE"},
    {"CREATE ROLE r", "0A000", NS("CREATE ROLE"), "CREATE"},
    {"CREATE USER u", "0A000", NS("CREATE USER"), "CREATE"},
    {"CREATE TYPE mood AS ENUM ('sad', 'ok')", "0A000", NS("CREATE TYPE"), "CREATE"},
    {"CREATE TRIGGER tr AFTER INSERT ON t EXECUTE FUNCTION f()", "0A000", NS("CREATE TRIGGER"),
     "CREATE"},
    {"DROP SCHEMA s CASCADE", "0A000", NS("DROP SCHEMA"), "DROP"},
    {"DROP FUNCTION f", "0A000", NS("DROP FUNCTION"), "DROP"},
    {"DROP SEQUENCE q", "0A000", NS("DROP SEQUENCE"), "DROP"},
    {"ALTER SEQUENCE q RESTART", "0A000", NS("ALTER SEQUENCE"), "ALTER"},
    {"ALTER SYSTEM SET work_mem = '1MB'", "0A000", NS("ALTER SYSTEM"), "ALTER"},
    {"PREPARE p AS SELECT 1", "0A000", NS("PREPARE"), "PREPARE"},
    {"EXECUTE p", "0A000", NS("EXECUTE"), "EXECUTE"},
    {"LISTEN c", "0A000", NS("LISTEN"), "LISTEN"},
    {"UNLISTEN *", "0A000", NS("UNLISTEN"), "UNLISTEN"},
    {"NOTIFY c, 'x'", "0A000", NS("NOTIFY"), "NOTIFY"},
    {"DO $$ BEGIN END $$", "0A000", NS("DO"), "DO"},
    {"COMMENT ON TABLE t IS 'x'", "0A000", NS("COMMENT"), "COMMENT"},
    {"LOCK TABLE t IN ACCESS EXCLUSIVE MODE", "0A000", NS("LOCK TABLE"), "LOCK"},
    {"CALL p()", "0A000", NS("CALL"), "CALL"},
    {"MERGE INTO t USING u ON t.a = u.a WHEN MATCHED THEN DELETE", "0A000", NS("MERGE"), "MERGE"},
    {"WITH x AS (SELECT 1) MERGE INTO t USING x ON true WHEN MATCHED THEN DELETE", "0A000",
     NS("MERGE"), "MERGE"},
    {"CHECKPOINT", "0A000", NS("CHECKPOINT"), "CHECKPOINT"},
    {"CLUSTER t", "0A000", NS("CLUSTER"), "CLUSTER"},
    {"REINDEX TABLE t", "0A000", NS("REINDEX"), "REINDEX"},
    {"REFRESH MATERIALIZED VIEW v", "0A000", NS("REFRESH MATERIALIZED VIEW"), "REFRESH"},
    {"DECLARE c CURSOR FOR SELECT 1", "0A000", NS("DECLARE CURSOR"), "DECLARE"},
    {"FETCH NEXT FROM c", "0A000", NS("FETCH"), "FETCH"},
    {"CLOSE c", "0A000", NS("CLOSE CURSOR"), "CLOSE"},
    {"LOAD 'x'", "0A000", NS("LOAD"), "LOAD"},
    {"SECURITY LABEL ON TABLE t IS 'x'", "0A000", NS("SECURITY LABEL"), "SECURITY"},
    {"SELECT 1; CREATE VIEW v AS SELECT 1", "0A000", NS("CREATE VIEW"), "CREATE"},
};

TEST(refused_statements)
{
    CHECK_ERRORS(refused);
}

static const struct err_case unknown_words[] = {
    {"SELEC 1", "42601", NULL, "SELEC"},
    {"FOO bar", "42601", NULL, "FOO"},
    {"CREATE FOO x", "42601", NULL, "FOO"},
    {"  \n 42", "42601", NULL, "42"},
    {"SELECT 1; SELEC 2", "42601", "syntax error at or near \"SELEC\"", "SELEC 2"},
    {"BEGIN; COMMIT x", "42601", NULL, "x"},
};

TEST(unknown_words)
{
    CHECK_ERRORS(unknown_words);
}

/* What pgbench, psql and the drivers send (captured from their sources and logs). */
TEST(client_statements)
{
    static const char *const sqls[] = {
        "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, "
        "pgbench_tellers",
        "create table pgbench_history(tid int,bid int,aid    int,delta int,mtime timestamp,"
        "filler char(22))",
        "create table pgbench_accounts(aid    int not null,bid int,abalance int,filler char(84)) "
        "with (fillfactor=100)",
        "truncate table pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers",
        "insert into pgbench_branches(bid,bbalance) values(1,0)",
        "copy pgbench_accounts from stdin with (freeze on)",
        "vacuum analyze pgbench_branches",
        "alter table pgbench_branches add primary key (bid)",
        "alter table pgbench_tellers add constraint pgbench_tellers_bid_fkey foreign key (bid) "
        "references pgbench_branches",
        "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
        "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
        "CURRENT_TIMESTAMP)",
        "END",
        "SET DATESTYLE TO 'ISO'",
        "SET extra_float_digits = 3",
        "SET application_name = 'PostgreSQL JDBC Driver'",
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED",
        "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE",
        "SHOW default_transaction_isolation",
        "SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE",
        "COPY t (a, b) FROM STDIN WITH (FORMAT 'csv', HEADER true, NULL '\\N')",
        "COPY t TO STDOUT WITH DELIMITER '|' NULL AS 'null' CSV HEADER",
        "CREATE TABLE \"order\" (\"select\" int PRIMARY KEY, \"Mixed\" text)",
        "INSERT INTO t VALUES (1) ON CONFLICT (id) DO UPDATE SET (a, b) = (EXCLUDED.a, "
        "EXCLUDED.b), c = DEFAULT RETURNING *",
    };
    for (size_t i = 0; i < sizeof sqls / sizeof sqls[0]; i++) {
        PARSE(st, sqls[i]);
        (void)st;
    }
}

/* ---- Several statements ---- */

TEST(multi_statement)
{
    const char *sql = "SELECT 1; BEGIN;; COMMIT";
    struct sql_error err = {0};
    sql_parsed_free(&parsed);
    CHECK_EQ(sql_parse(sql, strlen(sql), &parsed, &err), 0);
    CHECK_EQ(parsed.n, 3);
    CHECK_EQ(parsed.stmts[0]->kind, SQL_STMT_SELECT);
    CHECK_EQ(parsed.stmts[0]->loc, 0);
    CHECK_EQ(parsed.stmts[0]->len, 8);
    CHECK_EQ(parsed.stmts[1]->kind, SQL_STMT_BEGIN);
    CHECK_EQ(parsed.stmts[1]->loc, pos_of(sql, "BEGIN") - 1);
    CHECK_EQ(parsed.stmts[1]->len, 5);
    CHECK_EQ(parsed.stmts[2]->kind, SQL_STMT_COMMIT);
    CHECK_EQ(parsed.stmts[2]->loc, pos_of(sql, "COMMIT") - 1);
    CHECK_EQ(parsed.stmts[2]->len, 6);
    CHECK(parsed.stmts[2]->text != NULL);
    CHECK_EQ(parsed.stmts[2]->text_len, strlen(sql));

    const char *p2 = "SELECT $2; INSERT INTO t VALUES ($1) ; SET x = 1 -- done\n";
    sql_parsed_free(&parsed);
    CHECK_EQ(sql_parse(p2, strlen(p2), &parsed, &err), 0);
    CHECK_EQ(parsed.n, 3);
    CHECK_EQ(parsed.stmts[0]->param_max, 2);
    CHECK_EQ(parsed.stmts[1]->param_max, 1);
    CHECK_EQ(parsed.stmts[2]->param_max, 0);
    CHECK_EQ(parsed.stmts[1]->len, (int)strlen("INSERT INTO t VALUES ($1)"));
    CHECK_EQ(parsed.stmts[2]->kind, SQL_STMT_SET);

    static const char *const empties[] = {"", ";", ";;  ; -- c\n", "/* x */", "  \n\t"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        sql_parsed_free(&parsed);
        CHECK_EQ(sql_parse(empties[i], strlen(empties[i]), &parsed, &err), 0);
        CHECK_EQ(parsed.n, 0);
    }
    sql_parsed_free(&parsed);
}

TEST(statement_kind_tags)
{
    PARSE(a, "TRUNCATE t");
    CHECK_STR(sql_stmt_kind_tag(a->kind), "TRUNCATE TABLE");
    PARSE(b, "ROLLBACK TO s");
    CHECK_STR(sql_stmt_kind_tag(b->kind), "ROLLBACK");
}

/* ---- Corpus: the files of tests/sql ---- */

struct corpus_stmt {
    const char *file;
    int line;
    char *sql; /* with any `-- cairn:` suffix appended */
    char error[6];
};

struct corpus {
    struct corpus_stmt *v;
    size_t n, cap;
};

static int line_at(const char *text, size_t pos)
{
    int line = 1;
    for (size_t i = 0; i < pos; i++)
        line += text[i] == '\n';
    return line;
}

/* Applies a `-- ...` directive that matters to the parser: `error XXXXX` and `cairn: TEXT`. */
static void corpus_directive(struct corpus_stmt *st, const char *c, size_t n, char *suffix,
                             size_t suffix_cap)
{
    while (n > 0 && (*c == '-' || *c == ' ')) {
        c++;
        n--;
    }
    if (n > 6 && strncmp(c, "error ", 6) == 0) {
        snprintf(st->error, sizeof st->error, "%.*s", (int)(n - 6 < 5 ? n - 6 : 5), c + 6);
    } else if (n > 6 && strncmp(c, "cairn:", 6) == 0) {
        size_t len = strlen(suffix);
        snprintf(suffix + len, suffix_cap - len, " %.*s", (int)(n - 6), c + 6);
    }
}

/* Splits a file the way tests/sql/difftest.py does: ';' outside strings, quoted names,
 * comments and dollar quotes ends a statement; directives apply to the statement they precede
 * or sit in, or to the one whose ';' is on their line. */
static void corpus_split(const char *file, const char *text, struct corpus *out)
{
    size_t n = strlen(text), i = 0;
    long start = -1;
    size_t end = 0;
    struct corpus_stmt cur = {0};
    char suffix[512] = "";
    struct corpus_stmt *last = NULL;
    int last_semi_line = -1;
    char last_suffix_extra[512] = "";
    while (i < n) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
        } else if (c == '-' && text[i + 1] == '-') {
            size_t j = i;
            while (j < n && text[j] != '\n')
                j++;
            if (start < 0 && last != NULL && line_at(text, i) == last_semi_line) {
                /* A trailing directive: the statement just ended. */
                last_suffix_extra[0] = '\0';
                corpus_directive(last, text + i, j - i, last_suffix_extra,
                                 sizeof last_suffix_extra);
                if (last_suffix_extra[0] != '\0') {
                    size_t l = strlen(last->sql), e = strlen(last_suffix_extra);
                    last->sql = realloc(last->sql, l + e + 1);
                    memcpy(last->sql + l, last_suffix_extra, e + 1);
                }
            } else {
                corpus_directive(&cur, text + i, j - i, suffix, sizeof suffix);
            }
            i = j;
        } else if (c == '/' && text[i + 1] == '*') {
            int depth = 1;
            i += 2;
            while (i < n && depth > 0) {
                if (text[i] == '/' && text[i + 1] == '*')
                    depth++, i += 2;
                else if (text[i] == '*' && text[i + 1] == '/')
                    depth--, i += 2;
                else
                    i++;
            }
        } else if (c == ';') {
            if (start >= 0) {
                if (out->n == out->cap) {
                    out->cap = out->cap ? out->cap * 2 : 256;
                    out->v = realloc(out->v, out->cap * sizeof *out->v);
                }
                size_t len = end - (size_t)start, sl = strlen(suffix);
                cur.sql = malloc(len + sl + 1);
                memcpy(cur.sql, text + start, len);
                memcpy(cur.sql + len, suffix, sl + 1);
                cur.file = file;
                cur.line = line_at(text, (size_t)start);
                out->v[out->n] = cur;
                last = &out->v[out->n++];
                last_semi_line = line_at(text, i);
                memset(&cur, 0, sizeof cur);
                suffix[0] = '\0';
                start = -1;
            }
            i++;
        } else {
            if (start < 0)
                start = (long)i;
            if ((c == 'E' || c == 'e') && text[i + 1] == '\'') {
                i += 2;
                while (i < n) {
                    if (text[i] == '\\') {
                        i += 2;
                    } else if (text[i] == '\'' && text[i + 1] == '\'') {
                        i += 2;
                    } else if (text[i] == '\'') {
                        i++;
                        break;
                    } else {
                        i++;
                    }
                }
            } else if (c == '\'' || c == '"') {
                i++;
                while (i < n) {
                    if (text[i] == c && text[i + 1] == c) {
                        i += 2;
                        continue;
                    }
                    if (text[i] == c)
                        break;
                    i++;
                }
                i++;
            } else if (c == '$' && (text[i + 1] == '$' || isalpha((unsigned char)text[i + 1]) ||
                                    text[i + 1] == '_')) {
                size_t t = i + 1;
                while (t < n && (isalnum((unsigned char)text[t]) || text[t] == '_'))
                    t++;
                if (t < n && text[t] == '$' && t - i + 1 < 64) {
                    char tag[64];
                    memcpy(tag, text + i, t - i + 1);
                    tag[t - i + 1] = '\0';
                    const char *close = strstr(text + t + 1, tag);
                    i = close != NULL ? (size_t)(close - text) + strlen(tag) : n;
                } else {
                    i++;
                }
            } else if (isalpha((unsigned char)c) || c == '_') {
                while (i < n &&
                       (isalnum((unsigned char)text[i]) || text[i] == '_' || text[i] == '$'))
                    i++;
            } else {
                i++;
            }
            end = i;
        }
    }
    /* A statement without its ';' at the end of a file is the file's mistake, not ours. */
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s != NULL && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s != NULL)
        s[n] = '\0';
    fclose(f);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(corpus_parses)
{
    /* The corpus sits beside the unit tests: <root>/tests/sql, found from this file's path. */
    char dir[1024];
    const char *here = __FILE__;
    const char *at = strstr(here, "tests/unit/");
    CHECK(at != NULL);
    snprintf(dir, sizeof dir, "%.*stests/sql", (int)(at - here), here);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    char *names[256];
    int nnames = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && nnames < 256) {
        size_t l = strlen(de->d_name);
        if (l > 4 && strcmp(de->d_name + l - 4, ".sql") == 0)
            names[nnames++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nnames, sizeof names[0], cmp_str);
    CHECK(nnames > 0);

    struct corpus corpus = {0};
    char *texts[256];
    for (int f = 0; f < nnames; f++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        texts[f] = read_file(path);
        if (texts[f] != NULL)
            corpus_split(names[f], texts[f], &corpus);
    }
    size_t failures = 0, parsed_ok = 0, expected_fail = 0;
    for (size_t i = 0; i < corpus.n; i++) {
        const struct corpus_stmt *cs = &corpus.v[i];
        struct sql_parsed out = {0};
        struct sql_error err = {0};
        int rc = sql_parse(cs->sql, strlen(cs->sql), &out, &err);
        sql_parsed_free(&out);
        if (rc == 0) {
            parsed_ok++;
            continue;
        }
        /* PostgreSQL rejects it too, the same way (42601 from its grammar, or the code the
         * file expects when the parser already knows it). */
        if (cs->error[0] != '\0' && strcmp(cs->error, err.sqlstate) == 0) {
            expected_fail++;
            continue;
        }
        failures++;
        fprintf(stderr, "  %s:%d: %s %s (position %d)%s%s\n    %s\n", cs->file, cs->line,
                err.sqlstate, err.message, err.position, cs->error[0] ? "; the file expects " : "",
                cs->error, cs->sql);
    }
    printf("  corpus: %zu statements, %zu parsed, %zu rejected as the files expect, %zu failed\n",
           corpus.n, parsed_ok, expected_fail, failures);
    for (size_t i = 0; i < corpus.n; i++)
        free(corpus.v[i].sql);
    free(corpus.v);
    for (int f = 0; f < nnames; f++) {
        free(names[f]);
        free(texts[f]);
    }
    CHECK(corpus.n > 500);
    CHECK_EQ(failures, 0);
}

TEST_MAIN()
