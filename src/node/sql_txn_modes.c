/* A transaction block's characteristics: its isolation level and whether it may write.
 *
 * Every Cairn transaction that reads and writes one replicaset is serializable (sql_exec.c:
 * its reads are run again at COMMIT and must give what the client was given). The level a
 * client asks for decides one thing more, what a read of another replicaset does:
 *   SERIALIZABLE, REPEATABLE READ (the default): the transaction may not read a second
 *     replicaset (0A000): that would need one snapshot common to both.
 *   READ COMMITTED, READ UNCOMMITTED: a read that does not lock (no FOR UPDATE/SHARE) runs
 *     as a statement of its own, on any replicasets, and sees what is committed when it runs,
 *     as PostgreSQL's READ COMMITTED does — until the transaction writes; after, such a read
 *     of a replicaset other than the one it writes in still does (that one holds none of the
 *     transaction's changes), while a read of its own replicaset sees its changes and is
 *     checked at COMMIT.
 * READ ONLY refuses every write with 25006, as PostgreSQL does.
 *
 * The session's defaults come from SET SESSION CHARACTERISTICS AS TRANSACTION ... and SET
 * default_transaction_isolation / default_transaction_read_only; BEGIN's modes, SET
 * TRANSACTION and SET transaction_isolation / transaction_read_only set the open block's. */

#include <string.h>
#include <strings.h>

#include "node/sql_exec_int.h"

static const struct {
    enum sql_isolation level;
    const char *name; /* as SHOW prints it and SET takes it */
} sqlx_levels[] = {
    {SQL_ISO_SERIALIZABLE, "serializable"},
    {SQL_ISO_REPEATABLE_READ, "repeatable read"},
    {SQL_ISO_READ_COMMITTED, "read committed"},
    {SQL_ISO_READ_UNCOMMITTED, "read uncommitted"},
};

static const char *sqlx_level_name(enum sql_isolation level)
{
    for (size_t i = 0; i < sizeof sqlx_levels / sizeof sqlx_levels[0]; i++)
        if (sqlx_levels[i].level == level)
            return sqlx_levels[i].name;
    return "serializable"; /* SQL_ISO_DEFAULT */
}

static bool sqlx_reads_committed(enum sql_isolation level)
{
    return level == SQL_ISO_READ_COMMITTED || level == SQL_ISO_READ_UNCOMMITTED;
}

bool sqlx_txn_reads_committed(const struct sqlx_session *s)
{
    return s->txn != SQLX_IDLE && sqlx_reads_committed(s->txn_iso);
}

void sqlx_txn_modes_begin(struct sqlx_session *s, const struct sql_txn_modes *m)
{
    s->txn_iso = m->isolation != SQL_ISO_DEFAULT ? m->isolation : s->iso_default;
    s->txn_read_only = m->read_only != 0 ? m->read_only > 0 : s->read_only_default;
    s->txn_queried = false;
}

/* ---- SET and SHOW ---- */

enum sqlx_mode_name {
    SQLX_MODE_NONE,
    SQLX_MODE_ISO,               /* transaction_isolation */
    SQLX_MODE_ISO_DEFAULT,       /* default_transaction_isolation */
    SQLX_MODE_READ_ONLY,         /* transaction_read_only */
    SQLX_MODE_READ_ONLY_DEFAULT, /* default_transaction_read_only */
};

static enum sqlx_mode_name sqlx_mode_name(const char *name)
{
    if (name == NULL)
        return SQLX_MODE_NONE;
    if (strcmp(name, "transaction_isolation") == 0)
        return SQLX_MODE_ISO;
    if (strcmp(name, "default_transaction_isolation") == 0)
        return SQLX_MODE_ISO_DEFAULT;
    if (strcmp(name, "transaction_read_only") == 0)
        return SQLX_MODE_READ_ONLY;
    if (strcmp(name, "default_transaction_read_only") == 0)
        return SQLX_MODE_READ_ONLY_DEFAULT;
    return SQLX_MODE_NONE;
}

const char *sqlx_txn_modes_show(const struct sqlx_session *s, const char *name)
{
    bool in_block = s->txn != SQLX_IDLE;
    switch (sqlx_mode_name(name)) {
    case SQLX_MODE_ISO:
        return sqlx_level_name(in_block ? s->txn_iso : s->iso_default);
    case SQLX_MODE_ISO_DEFAULT:
        return sqlx_level_name(s->iso_default);
    case SQLX_MODE_READ_ONLY:
        return (in_block ? s->txn_read_only : s->read_only_default) ? "on" : "off";
    case SQLX_MODE_READ_ONLY_DEFAULT:
        return s->read_only_default ? "on" : "off";
    case SQLX_MODE_NONE:
        break;
    }
    return NULL;
}

/* A level as SET takes it ('read committed', any case). */
static bool sqlx_level_from(const char *v, enum sql_isolation *level)
{
    for (size_t i = 0; i < sizeof sqlx_levels / sizeof sqlx_levels[0]; i++) {
        if (strcasecmp(v, sqlx_levels[i].name) == 0) {
            *level = sqlx_levels[i].level;
            return true;
        }
    }
    return false;
}

/* A boolean as SET takes it (on, off, true, false, yes, no, 1, 0). */
static bool sqlx_bool_from(const char *v, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"}, *const no[] = {"off", "false",
                                                                                 "no", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *out = strcasecmp(v, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

/* 22023 for value v of param, with severity ("ERROR", or "FATAL" at startup). */
static void sqlx_bad_value(struct sqlx_session *s, const char *severity, enum sqlx_mode_name which,
                           const char *param, const char *v)
{
    char msg[256];
    if (which == SQLX_MODE_ISO || which == SQLX_MODE_ISO_DEFAULT)
        snprintf(msg, sizeof msg,
                 "invalid value for parameter \"%s\": \"%.64s\" (one of 'serializable', "
                 "'repeatable read', 'read committed', 'read uncommitted')",
                 param, v);
    else
        snprintf(msg, sizeof msg, "parameter \"%s\" requires a Boolean value, not \"%.64s\"",
                 param, v);
    pg_send_error(s->c, "22023", severity, msg, NULL, NULL, 0);
}

/* Sets one of the session's defaults to text v. false: v is not a value of it. */
static bool sqlx_set_default(struct sqlx_session *s, enum sqlx_mode_name which, const char *v)
{
    if (which == SQLX_MODE_ISO_DEFAULT)
        return sqlx_level_from(v, &s->iso_default);
    return sqlx_bool_from(v, &s->read_only_default);
}

/* Applies the modes m to the open block (SET TRANSACTION, SET transaction_isolation).
 * false: refused (error sent). */
static bool sqlx_set_block_modes(struct sqlx_session *s, const struct sql_txn_modes *m)
{
    if (s->txn == SQLX_IDLE) {
        /* PostgreSQL warns and does nothing: the modes would last for no statement. */
        pg_send_notice(s->c, "25P01", "WARNING",
                       "SET TRANSACTION can only be used in transaction blocks", NULL, NULL);
        return true;
    }
    if (m->isolation != SQL_ISO_DEFAULT && m->isolation != s->txn_iso && s->txn_queried) {
        pg_send_errorf(s->c, "25001",
                       "SET TRANSACTION ISOLATION LEVEL must be called before any query");
        return false;
    }
    if (m->read_only < 0 && s->txn_read_only && s->txn_queried) {
        pg_send_errorf(s->c, "25001", "transaction read-write mode must be set before any query");
        return false;
    }
    if (m->isolation != SQL_ISO_DEFAULT)
        s->txn_iso = m->isolation;
    if (m->read_only != 0)
        s->txn_read_only = m->read_only > 0;
    return true;
}

bool sqlx_txn_modes_set(struct sqlx_session *s, const struct sql_stmt *st, bool *ok)
{
    const struct sql_set *set = st->set;
    *ok = true;
    if (st->kind == SQL_STMT_SET && set->kind == SQL_SET_TRANSACTION) {
        *ok = sqlx_set_block_modes(s, &set->modes);
        return true;
    }
    if (st->kind == SQL_STMT_SET && set->kind == SQL_SET_SESSION_CHARACTERISTICS) {
        if (set->modes.isolation != SQL_ISO_DEFAULT)
            s->iso_default = set->modes.isolation;
        if (set->modes.read_only != 0)
            s->read_only_default = set->modes.read_only > 0;
        return true;
    }
    bool reset = st->kind == SQL_STMT_RESET || set->kind == SQL_SET_DEFAULT;
    if (reset && set->name != NULL && strcmp(set->name, "all") == 0) {
        s->iso_default = SQL_ISO_SERIALIZABLE;
        s->read_only_default = false;
        return false; /* the other settings' RESET ALL goes on */
    }
    enum sqlx_mode_name which = sqlx_mode_name(set->name);
    const char *v = set->values.n == 1 ? set->values.v[0] : "";
    struct sql_txn_modes m = {0};
    switch (which) {
    case SQLX_MODE_NONE:
        return false;
    case SQLX_MODE_ISO_DEFAULT:
    case SQLX_MODE_READ_ONLY_DEFAULT:
        if (reset)
            sqlx_set_default(s, which, which == SQLX_MODE_ISO_DEFAULT ? "serializable" : "off");
        else
            *ok = sqlx_set_default(s, which, v);
        break;
    case SQLX_MODE_ISO:
        m.isolation = s->iso_default;
        *ok = reset || sqlx_level_from(v, &m.isolation);
        break;
    case SQLX_MODE_READ_ONLY: {
        bool ro = s->read_only_default;
        *ok = reset || sqlx_bool_from(v, &ro);
        m.read_only = ro ? 1 : -1;
        break;
    }
    }
    if (!*ok) {
        sqlx_bad_value(s, "ERROR", which, set->name, v);
        return true;
    }
    if (which == SQLX_MODE_ISO_DEFAULT || which == SQLX_MODE_READ_ONLY_DEFAULT)
        return true;
    *ok = sqlx_set_block_modes(s, &m);
    return true;
}

/* One "name=value" of a startup packet's options (the part after -c or --). */
static bool sqlx_startup_option(struct sqlx_session *s, char *opt)
{
    char *eq = strchr(opt, '=');
    if (eq == NULL)
        return true;
    *eq = '\0';
    for (char *p = opt; *p != '\0'; p++)
        if (*p == '-')
            *p = '_'; /* --default-transaction-isolation=... */
    enum sqlx_mode_name which = sqlx_mode_name(opt);
    if (which != SQLX_MODE_ISO_DEFAULT && which != SQLX_MODE_READ_ONLY_DEFAULT)
        return true; /* settings Cairn does not keep are accepted and ignored, as SET's are */
    if (sqlx_set_default(s, which, eq + 1))
        return true;
    sqlx_bad_value(s, "FATAL", which, opt, eq + 1);
    return false;
}

bool sqlx_txn_modes_startup(struct sqlx_session *s)
{
    static const char *const names[] = {"default_transaction_isolation",
                                        "default_transaction_read_only"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = pg_conn_param(s->c, names[i]);
        enum sqlx_mode_name which = sqlx_mode_name(names[i]);
        if (v != NULL && !sqlx_set_default(s, which, v)) {
            sqlx_bad_value(s, "FATAL", which, names[i], v);
            return false;
        }
    }
    /* options: words split at unescaped spaces ("\ " is a space), "-c name=value",
     * "-cname=value" or "--name=value", as libpq's PGOPTIONS sends them. */
    const char *options = pg_conn_param(s->c, "options");
    if (options == NULL)
        return true;
    char word[256];
    bool after_c = false;
    for (const char *p = options; *p != '\0';) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = 0;
        for (; *p != '\0' && *p != ' ' && *p != '\t'; p++) {
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (n + 1 < sizeof word)
                word[n++] = *p;
        }
        word[n] = '\0';
        if (n == 0)
            break;
        if (after_c && !sqlx_startup_option(s, word))
            return false;
        after_c = strcmp(word, "-c") == 0;
        if ((strncmp(word, "-c", 2) == 0 && n > 2 && !sqlx_startup_option(s, word + 2)) ||
            (strncmp(word, "--", 2) == 0 && !sqlx_startup_option(s, word + 2)))
            return false;
    }
    return true;
}

/* ---- what the modes decide ---- */

static bool sqlx_stmt_writes(const struct sql_stmt *st)
{
    switch (st->kind) {
    case SQL_STMT_INSERT:
    case SQL_STMT_UPDATE:
    case SQL_STMT_DELETE:
    case SQL_STMT_CREATE_TABLE:
    case SQL_STMT_DROP_TABLE:
    case SQL_STMT_TRUNCATE:
    case SQL_STMT_ALTER_TABLE:
    case SQL_STMT_CREATE_INDEX:
    case SQL_STMT_DROP_INDEX:
        return true;
    case SQL_STMT_COPY:
        return st->copy->is_from;
    case SQL_STMT_EXPLAIN:
        /* EXPLAIN ANALYZE runs its statement */
        return st->explain->analyze && sqlx_stmt_writes(st->explain->stmt);
    default:
        return false;
    }
}

bool sqlx_txn_modes_before(struct sqlx_session *s, const struct sql_stmt *st)
{
    if (s->txn != SQLX_BLOCK)
        return false;
    if (st->kind != SQL_STMT_SET && st->kind != SQL_STMT_SHOW && st->kind != SQL_STMT_RESET &&
        st->kind != SQL_STMT_SAVEPOINT && st->kind != SQL_STMT_RELEASE &&
        st->kind != SQL_STMT_ROLLBACK_TO && st->kind != SQL_STMT_BEGIN)
        s->txn_queried = true;
    if (!s->txn_read_only || !sqlx_stmt_writes(st))
        return false;
    const struct sql_stmt *w = st->kind == SQL_STMT_EXPLAIN ? st->explain->stmt : st;
    pg_send_errorf(s->c, "25006",
                   "cannot execute %s in a read-only transaction (BEGIN READ ONLY, or "
                   "default_transaction_read_only on): end it and write in a READ WRITE one",
                   sql_stmt_kind_tag(w->kind));
    return true;
}

bool sqlx_txn_reads_alone(const struct sqlx_session *s, const struct sql_stmt *st,
                          uint64_t group, bool spans)
{
    if (s->txn != SQLX_BLOCK || !sqlx_reads_committed(s->txn_iso))
        return false;
    if (st->kind != SQL_STMT_SELECT || st->select == NULL || st->select->locking)
        return false;
    return !sqlx_txn_wrote(s) || (!spans && group != s->txn_group);
}
