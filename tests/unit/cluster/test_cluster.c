/* Unit tests for the cluster catalog model: the node registry, settings,
 * placement by replication factor and zone, activation and the initial bucket
 * map, map versions, bucket moves and their refusals, expelling the last
 * member of a replicaset, snapshots of the catalog, and random histories
 * checked against a plain reference model of the same rules. */
#include "test.h"

#include <ftw.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/rng.h"
#include "model/cluster/cluster.h"
#include "store/store.h"

/* ---- a catalog in a temporary store ---- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

struct cat {
    char dir[64];
    char path[96];
    struct store *s;
    uint64_t index;
};

static void die(const char *what, int rc, const struct errbuf *eb)
{
    fprintf(stderr, "%s: %s (%s)\n", what, err_name(rc), eb != NULL ? eb->msg : "");
    abort();
}

static void cat_open(struct cat *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->dir, "/tmp/cairn-cluster-XXXXXX");
    if (mkdtemp(c->dir) == NULL)
        die("mkdtemp", ERR_IO, NULL);
    snprintf(c->path, sizeof c->path, "%s/gov.db", c->dir);
    struct store_opts o;
    store_opts_default(&o);
    struct errbuf eb = {{0}};
    int rc = store_open(c->path, &o, &c->s, &eb);
    if (rc != 0)
        die("store_open", rc, &eb);
}

static void cat_close(struct cat *c)
{
    store_close(c->s);
    nftw(c->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* Applies the command in cmd (and empties cmd) as the next entry. */
static struct store_result cat_apply(struct cat *c, struct buf *cmd)
{
    struct raft_entry e = {.term = 1,
                           .index = ++c->index,
                           .type = RAFT_ENTRY_NORMAL,
                           .len = (uint32_t)cmd->len,
                           .data = cmd->data};
    struct store_result r;
    struct errbuf eb = {{0}};
    int rc = store_apply(c->s, &e, 1, &r, &eb);
    if (rc != 0)
        die("store_apply", rc, &eb);
    buf_free(cmd);
    return r;
}

static struct store_result join_full(struct cat *c, uint64_t id, const char *name, const char *peer,
                                     const char *zone)
{
    struct cluster_node n = {.id = id};
    snprintf(n.name, sizeof n.name, "%s", name);
    snprintf(n.peer_addr, sizeof n.peer_addr, "%s", peer);
    snprintf(n.http_addr, sizeof n.http_addr, "http-%s", peer);
    snprintf(n.zone, sizeof n.zone, "%s", zone);
    struct buf cmd = BUF_INIT;
    if (cluster_encode_join(&cmd, &n, NULL) != 0)
        die("encode join", ERR_INVAL, NULL);
    return cat_apply(c, &cmd);
}

/* A new node named n<k> at 10.0.0.<k>. */
static struct store_result join(struct cat *c, int k, const char *zone)
{
    char name[16], peer[32];
    snprintf(name, sizeof name, "n%d", k);
    snprintf(peer, sizeof peer, "10.0.0.%d:7000", k);
    return join_full(c, 0, name, peer, zone);
}

static struct store_result expel(struct cat *c, uint64_t id)
{
    struct buf cmd = BUF_INIT;
    cluster_encode_expel(&cmd, id);
    return cat_apply(c, &cmd);
}

static struct store_result settings(struct cat *c, uint32_t rf, uint32_t buckets)
{
    struct buf cmd = BUF_INIT;
    if (cluster_encode_settings_init(&cmd, rf, buckets, NULL) != 0)
        die("encode settings", ERR_INVAL, NULL);
    return cat_apply(c, &cmd);
}

static struct store_result move_begin(struct cat *c, uint32_t bucket, uint32_t src, uint32_t dst)
{
    struct buf cmd = BUF_INIT;
    cluster_encode_move_begin(&cmd, bucket, src, dst);
    return cat_apply(c, &cmd);
}

static struct store_result move_state(struct cat *c, uint32_t bucket, uint64_t started, int state)
{
    struct buf cmd = BUF_INIT;
    if (cluster_encode_move_state(&cmd, bucket, started, state, NULL) != 0)
        die("encode move state", ERR_INVAL, NULL);
    return cat_apply(c, &cmd);
}

static struct store_result move_finish(struct cat *c, uint32_t bucket, uint64_t started)
{
    struct buf cmd = BUF_INIT;
    cluster_encode_move_finish(&cmd, bucket, started);
    return cat_apply(c, &cmd);
}

static struct store_result move_abort(struct cat *c, uint32_t bucket, uint64_t started)
{
    struct buf cmd = BUF_INIT;
    cluster_encode_move_abort(&cmd, bucket, started);
    return cat_apply(c, &cmd);
}

/* A whole move: begin, fence, finish. Returns the finish result (or the first
 * refusal). */
static struct store_result move_all(struct cat *c, uint32_t bucket, uint32_t src, uint32_t dst)
{
    struct store_result r = move_begin(c, bucket, src, dst);
    if (r.status != 0)
        return r;
    uint64_t started = r.version;
    r = move_state(c, bucket, started, CLUSTER_MOVE_FENCED);
    if (r.status != 0)
        return r;
    return move_finish(c, bucket, started);
}

static uint32_t rs_of(struct cat *c, uint64_t node)
{
    uint32_t rs = 0;
    int rc = cluster_node_replicaset(c->s, node, &rs, NULL);
    if (rc != 0 && rc != ERR_NOTFOUND)
        die("cluster_node_replicaset", rc, NULL);
    return rc == 0 ? rs : 0;
}

static struct cluster_replicaset rs_get(struct cat *c, uint32_t id)
{
    struct cluster_replicaset rs;
    memset(&rs, 0, sizeof rs);
    int rc = cluster_replicaset_get(c->s, id, &rs, NULL);
    if (rc != 0 && rc != ERR_NOTFOUND)
        die("cluster_replicaset_get", rc, NULL);
    return rs; /* state 0 if absent */
}

static uint64_t map_version(struct cat *c)
{
    uint64_t v = 0;
    int rc = cluster_map_version(c->s, &v, NULL);
    if (rc != 0)
        die("cluster_map_version", rc, NULL);
    return v;
}

static uint32_t owner_of(struct cat *c, uint32_t bucket)
{
    uint32_t rs = 0;
    int rc = cluster_bucket_owner(c->s, bucket, &rs, NULL);
    if (rc != 0 && rc != ERR_NOTFOUND)
        die("cluster_bucket_owner", rc, NULL);
    return rc == 0 ? rs : 0;
}

/* ---- the registry, as before replicasets existed ---- */

TEST(join_assigns_ids_and_rejoins_are_idempotent)
{
    struct cat c;
    cat_open(&c);
    struct store_result r = join(&c, 1, "a");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 1);
    CHECK_EQ(r.current_version, 0); /* no settings yet: registered, not placed */
    CHECK_EQ(join(&c, 2, "a").version, 2);
    /* The same name and address again: the same node. */
    r = join(&c, 1, "a");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 1);
    /* The name at another address: refused, naming the owner. */
    r = join_full(&c, 0, "n1", "10.9.9.9:7000", "a");
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.current_version, 1);
    /* An address update by id. */
    r = join_full(&c, 2, "n2", "10.0.0.22:7000", "a");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 2);
    struct cluster_node n;
    CHECK_EQ(cluster_node_get(c.s, 2, &n, NULL), 0);
    CHECK_STR(n.peer_addr, "10.0.0.22:7000");
    CHECK_EQ(cluster_node_find(c.s, "n2", &n, NULL), 0);
    CHECK_EQ(n.id, 2);
    CHECK_EQ(cluster_node_find(c.s, "1", &n, NULL), 0);
    CHECK_STR(n.name, "n1");
    CHECK_EQ(cluster_node_find(c.s, "nobody", &n, NULL), ERR_NOTFOUND);
    /* Expel; the id is never reused and cannot come back. */
    CHECK_EQ(expel(&c, 2).status, 0);
    CHECK_EQ(expel(&c, 2).status, ERR_CONDITION);
    CHECK_EQ(expel(&c, 99).status, ERR_CONDITION);
    CHECK_EQ(cluster_node_get(c.s, 2, &n, NULL), 0);
    CHECK_EQ(n.state, CLUSTER_NODE_EXPELLED);
    r = join_full(&c, 2, "n2", "10.0.0.22:7000", "a");
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(join(&c, 3, "a").version, 3);
    cat_close(&c);
}

TEST(settings_apply_once)
{
    struct cat c;
    cat_open(&c);
    uint32_t rf, buckets;
    CHECK_EQ(cluster_settings(c.s, &rf, &buckets, NULL), ERR_NOTFOUND);
    struct store_result r = settings(&c, 3, 300);
    CHECK_EQ(r.status, 0);
    CHECK(!r.existed);
    CHECK_EQ(r.version, 3);
    CHECK_EQ(r.current_version, 300);
    r = settings(&c, 2, 7);
    CHECK_EQ(r.status, 0);
    CHECK(r.existed);
    CHECK_EQ(r.version, 3);
    CHECK_EQ(r.current_version, 300);
    CHECK_EQ(cluster_settings(c.s, &rf, &buckets, NULL), 0);
    CHECK_EQ(rf, 3);
    CHECK_EQ(buckets, 300);
    /* Encoders refuse what apply would take as a corrupt command. */
    struct buf cmd = BUF_INIT;
    CHECK_EQ(cluster_encode_settings_init(&cmd, 0, 10, NULL), ERR_INVAL);
    CHECK_EQ(cluster_encode_settings_init(&cmd, CLUSTER_RF_MAX + 1, 10, NULL), ERR_INVAL);
    CHECK_EQ(cluster_encode_settings_init(&cmd, 1, 0, NULL), ERR_INVAL);
    CHECK_EQ(cluster_encode_settings_init(&cmd, 1, STORE_BUCKET_COUNT_MAX + 1, NULL), ERR_INVAL);
    CHECK_EQ(cluster_encode_rs_weight(&cmd, 1, CLUSTER_WEIGHT_MAX + 1, NULL), ERR_INVAL);
    CHECK_EQ(cluster_encode_move_state(&cmd, 1, 0, 3, NULL), ERR_INVAL);
    CHECK_EQ(cmd.len, 0);
    cat_close(&c);
}

TEST(malformed_commands_stop_apply_and_change_nothing)
{
    struct cat c;
    cat_open(&c);
    struct buf cmd = BUF_INIT;
    cluster_encode_settings_init(&cmd, 2, 10, NULL);
    buf_append_u8(&cmd, 0); /* a trailing byte */
    struct raft_entry e = {.term = 1, .index = 1, .len = (uint32_t)cmd.len, .data = cmd.data};
    struct store_result r;
    CHECK_EQ(store_apply(c.s, &e, 1, &r, NULL), ERR_CORRUPT);
    buf_free(&cmd);
    /* A decodable command with a field out of bounds (rf 0). */
    uint8_t raw[10] = {STORE_MODEL_CLUSTER, 3, 0, 0, 0, 0, 10, 0, 0, 0};
    e.data = raw;
    e.len = sizeof raw;
    CHECK_EQ(store_apply(c.s, &e, 1, &r, NULL), ERR_CORRUPT);
    raw[1] = 99; /* an unknown command */
    CHECK_EQ(store_apply(c.s, &e, 1, &r, NULL), ERR_UNSUPPORTED);
    CHECK_EQ(store_applied_index(c.s), 0);
    uint32_t rf, buckets;
    CHECK_EQ(cluster_settings(c.s, &rf, &buckets, NULL), ERR_NOTFOUND);
    cat_close(&c);
}

/* ---- placement ---- */

TEST(node_state_marks_active_nodes_only)
{
    struct cat c;
    cat_open(&c);
    join(&c, 1, "a");
    join(&c, 2, "a");
    struct buf cmd = BUF_INIT;
    CHECK_EQ(cluster_encode_node_state(&cmd, 2, true), 0);
    struct store_result r = cat_apply(&c, &cmd);
    CHECK_EQ(r.status, 0);
    struct cluster_node n;
    CHECK_EQ(cluster_node_get(c.s, 2, &n, NULL), 0);
    CHECK(n.offline);
    /* Registering again (the node is back) clears it. */
    join_full(&c, 2, "n2", "127.0.0.1:2", "a");
    CHECK_EQ(cluster_node_get(c.s, 2, &n, NULL), 0);
    CHECK(!n.offline);
    /* Unknown and expelled nodes are refused. */
    CHECK_EQ(cluster_encode_node_state(&cmd, 99, true), 0);
    CHECK_EQ(cat_apply(&c, &cmd).status, ERR_CONDITION);
    expel(&c, 2);
    CHECK_EQ(cluster_encode_node_state(&cmd, 2, false), 0);
    CHECK_EQ(cat_apply(&c, &cmd).status, ERR_CONDITION);
    buf_free(&cmd);
    cat_close(&c);
}

static struct store_result table_ddl_apply(struct cat *c, const struct cluster_table_ddl *d)
{
    struct buf cmd = BUF_INIT;
    if (cluster_encode_table_ddl(&cmd, d, NULL) != 0)
        die("encode table ddl", ERR_INVAL, NULL);
    struct store_result r = cat_apply(c, &cmd);
    buf_free(&cmd);
    return r;
}

static struct store_result table_ddl(struct cat *c, uint64_t expect, int kind, const char *name)
{
    struct cluster_table_ddl d = {.expect_version = expect,
                                  .kind = kind,
                                  .name = name,
                                  .def = "{}",
                                  .rs_sql = "CREATE TABLE x(a)",
                                  .gov_sql = ""};
    return table_ddl_apply(c, &d);
}

TEST(table_ddl_versions_the_schema)
{
    struct cat c;
    cat_open(&c);
    uint64_t v = 1;
    CHECK_EQ(cluster_schema_version(c.s, &v, NULL), 0);
    CHECK_EQ(v, 0);
    struct store_result r = table_ddl(&c, 0, CLUSTER_DDL_CREATE, "t");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 1);
    r = table_ddl(&c, 1, CLUSTER_DDL_CREATE, "t");
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_TABLE_EXISTS);
    r = table_ddl(&c, 7, CLUSTER_DDL_ALTER, "t"); /* planned against another version */
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_SCHEMA);
    r = table_ddl(&c, 1, CLUSTER_DDL_DROP, "nope");
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_NO_TABLE);
    r = table_ddl(&c, 1, CLUSTER_DDL_DROP, "t");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 2);
    CHECK_EQ(cluster_schema_version(c.s, &v, NULL), 0);
    CHECK_EQ(v, 2);
    char *sql = NULL;
    CHECK_EQ(cluster_ddl_get(c.s, 1, &sql, NULL), 0);
    CHECK_STR(sql, "CREATE TABLE x(a)");
    free(sql);
    CHECK_EQ(cluster_ddl_get(c.s, 3, &sql, NULL), ERR_NOTFOUND);
    struct cluster_table t;
    CHECK_EQ(cluster_table_get(c.s, "t", &t, NULL), ERR_NOTFOUND);
    /* Encoders refuse what apply would not decode. */
    struct buf cmd = BUF_INIT;
    struct cluster_table_ddl bad = {.kind = 0, .name = "t"};
    CHECK_EQ(cluster_encode_table_ddl(&cmd, &bad, NULL), ERR_INVAL);
    bad.kind = CLUSTER_DDL_CREATE;
    bad.name = "";
    CHECK_EQ(cluster_encode_table_ddl(&cmd, &bad, NULL), ERR_INVAL);
    CHECK_EQ(cmd.len, 0);
    cat_close(&c);
}

static struct store_result table_rename(struct cat *c, uint64_t expect, const char *name,
                                        const char *new_name, const char *def)
{
    struct cluster_table_ddl d = {.expect_version = expect,
                                  .kind = CLUSTER_DDL_RENAME,
                                  .name = name,
                                  .new_name = new_name,
                                  .def = def};
    return table_ddl_apply(c, &d);
}

TEST(table_rename_moves_the_definition_to_the_new_name)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(table_ddl(&c, 0, CLUSTER_DDL_CREATE, "a").status, 0);
    CHECK_EQ(table_ddl(&c, 1, CLUSTER_DDL_CREATE, "b").status, 0);
    /* the new name taken, the old one missing: refused, nothing changes */
    struct store_result r = table_rename(&c, 2, "a", "b", "{\"sq\":\"t_a\"}");
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_TABLE_EXISTS);
    r = table_rename(&c, 2, "nope", "c", "{}");
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_NO_TABLE);
    r = table_rename(&c, 2, "a", "c", "{\"sq\":\"t_a\"}");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, 3);
    struct cluster_table t;
    CHECK_EQ(cluster_table_get(c.s, "a", &t, NULL), ERR_NOTFOUND);
    CHECK_EQ(cluster_table_get(c.s, "c", &t, NULL), 0);
    CHECK_STR(t.def, "{\"sq\":\"t_a\"}");
    CHECK_EQ(t.version, 3);
    free(t.def);
    /* the version's entry in the DDL log is empty: no replicaset has anything to do */
    char *sql = NULL;
    CHECK_EQ(cluster_ddl_get(c.s, 3, &sql, NULL), 0);
    CHECK_STR(sql, "");
    free(sql);
    /* a rename without a new name does not encode */
    struct buf cmd = BUF_INIT;
    struct cluster_table_ddl bad = {.kind = CLUSTER_DDL_RENAME, .name = "c"};
    CHECK_EQ(cluster_encode_table_ddl(&cmd, &bad, NULL), ERR_INVAL);
    bad.new_name = "";
    CHECK_EQ(cluster_encode_table_ddl(&cmd, &bad, NULL), ERR_INVAL);
    CHECK_EQ(cmd.len, 0);
    cat_close(&c);
}

TEST(six_nodes_rf3_make_two_active_sets_spread_over_zones)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 3, 120).status, 0);
    const char *zones[6] = {"a", "b", "c", "a", "b", "c"};
    const uint32_t want_rs[6] = {1, 1, 1, 2, 2, 2};
    for (int k = 0; k < 6; k++) {
        struct store_result r = join(&c, k + 1, zones[k]);
        CHECK_EQ(r.status, 0);
        CHECK_EQ(r.version, (uint64_t)k + 1);
        CHECK_EQ(r.current_version, want_rs[k]);
        CHECK_EQ(rs_of(&c, (uint64_t)k + 1), want_rs[k]);
        /* rs1 turns ACTIVE and takes the map with its third member, in that apply. */
        CHECK_EQ(map_version(&c), k < 2 ? 0 : 1);
        CHECK_EQ(owner_of(&c, 119), k < 2 ? 0 : 1);
        CHECK_EQ(rs_get(&c, want_rs[k]).state, k % 3 == 2 ? CLUSTER_RS_ACTIVE : CLUSTER_RS_FORMING);
    }
    struct cluster_replicaset a = rs_get(&c, 1), b = rs_get(&c, 2);
    CHECK_EQ(a.n_members, 3);
    CHECK_EQ(a.members[0], 1);
    CHECK_EQ(a.members[2], 3);
    CHECK_EQ(a.buckets, 120);
    CHECK_EQ(a.weight, CLUSTER_WEIGHT_DEFAULT);
    CHECK_EQ(b.n_members, 3);
    CHECK_EQ(b.members[0], 4);
    CHECK_EQ(b.buckets, 0);
    CHECK_EQ(b.state, CLUSTER_RS_ACTIVE);
    CHECK_EQ(rs_get(&c, 3).state, 0);
    /* A seventh node starts a third set. */
    CHECK_EQ(join(&c, 7, "a").current_version, 3);
    CHECK_EQ(rs_get(&c, 3).state, CLUSTER_RS_FORMING);
    cat_close(&c);
}

TEST(placement_prefers_a_set_without_the_zone_then_the_lowest_id)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 3, 30).status, 0);
    join(&c, 1, "a");
    join(&c, 2, "b");
    join(&c, 3, "c"); /* rs1 {a, b, c} ACTIVE */
    join(&c, 4, "a");
    join(&c, 5, "b"); /* rs2 {a, b} FORMING */
    CHECK_EQ(expel(&c, 1).status, 0);
    /* rs1 is degraded {b, c}, still ACTIVE, still owning the map. */
    struct cluster_replicaset a = rs_get(&c, 1);
    CHECK_EQ(a.state, CLUSTER_RS_ACTIVE);
    CHECK_EQ(a.n_members, 2);
    CHECK_EQ(a.buckets, 30);
    CHECK_EQ(rs_of(&c, 1), 0);
    /* A node in zone c: rs1 has c, rs2 has not -> rs2, although rs1 is lower. */
    struct store_result r = join(&c, 6, "c");
    CHECK_EQ(r.current_version, 2);
    CHECK_EQ(rs_get(&c, 2).state, CLUSTER_RS_ACTIVE);
    CHECK_EQ(map_version(&c), 1); /* the map was not empty: no new assignment */
    /* A node in zone a: rs1 {b, c} has room and no a. */
    CHECK_EQ(join(&c, 7, "a").current_version, 1);
    CHECK_EQ(rs_get(&c, 1).n_members, 3);
    /* Everything full: a node in zone a goes to a new set. */
    CHECK_EQ(join(&c, 8, "a").current_version, 3);
    /* Zone a again: rs3 has an a but is the only set with room. */
    CHECK_EQ(join(&c, 9, "a").current_version, 3);
    cat_close(&c);
}

TEST(rejoins_keep_their_placement)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 2, 10).status, 0);
    join(&c, 1, "a");
    join(&c, 2, "b"); /* rs1 ACTIVE */
    join(&c, 3, "a"); /* rs2 FORMING */
    /* The same name and address, even with another zone. */
    struct store_result r = join(&c, 1, "b");
    CHECK_EQ(r.version, 1);
    CHECK_EQ(r.current_version, 1);
    /* An address update by id. */
    r = join_full(&c, 3, "n3", "10.1.1.3:7000", "c");
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.current_version, 2);
    CHECK_EQ(rs_get(&c, 2).n_members, 1);
    CHECK_EQ(rs_get(&c, 1).n_members, 2);
    /* A node first seen with its id (a bootstrapping node registering itself). */
    r = join_full(&c, 10, "n10", "10.0.0.10:7000", "b");
    CHECK_EQ(r.version, 10);
    CHECK_EQ(r.current_version, 2);
    CHECK_EQ(rs_get(&c, 2).state, CLUSTER_RS_ACTIVE);
    cat_close(&c);
}

TEST(settings_place_the_nodes_that_joined_before_them)
{
    struct cat c;
    cat_open(&c);
    join(&c, 1, "a");
    join(&c, 2, "a");
    join(&c, 3, "b");
    join(&c, 4, "b");
    CHECK_EQ(expel(&c, 2).status, 0);
    for (uint64_t id = 1; id <= 4; id++)
        CHECK_EQ(rs_of(&c, id), 0);
    CHECK_EQ(map_version(&c), 0);
    CHECK_EQ(settings(&c, 2, 50).status, 0);
    /* In id order, expelled nodes left out: 1(a) -> rs1, 3(b) -> rs1, 4(b) -> rs2. */
    CHECK_EQ(rs_of(&c, 1), 1);
    CHECK_EQ(rs_of(&c, 2), 0);
    CHECK_EQ(rs_of(&c, 3), 1);
    CHECK_EQ(rs_of(&c, 4), 2);
    CHECK_EQ(rs_get(&c, 1).state, CLUSTER_RS_ACTIVE);
    CHECK_EQ(rs_get(&c, 1).buckets, 50);
    CHECK_EQ(rs_get(&c, 2).state, CLUSTER_RS_FORMING);
    CHECK_EQ(map_version(&c), 1);
    cat_close(&c);
}

/* ---- the bucket map and moves ---- */

struct counts {
    uint32_t n;
    uint32_t rs[8], count[8];
};

static int counts_one(void *ctx, uint32_t rs, uint32_t count)
{
    struct counts *c = ctx;
    if (c->n == 8)
        return ERR_TOOBIG;
    c->rs[c->n] = rs;
    c->count[c->n++] = count;
    return 0;
}

TEST(rf1_map_reads_agree_and_versions_count_flips)
{
    struct cat c;
    cat_open(&c);
    const uint32_t buckets = 64;
    CHECK_EQ(settings(&c, 1, buckets).status, 0);
    CHECK_EQ(join(&c, 1, "").current_version, 1); /* rf 1: ACTIVE at once */
    CHECK_EQ(join(&c, 2, "").current_version, 2);
    CHECK_EQ(join(&c, 3, "").current_version, 3);
    CHECK_EQ(map_version(&c), 1);
    /* Move every third bucket to rs2, every fifth of the rest to rs3. */
    uint32_t want[64];
    uint64_t flips = 0;
    for (uint32_t b = 0; b < buckets; b++) {
        want[b] = b % 3 == 0 ? 2 : b % 5 == 0 ? 3 : 1;
        if (want[b] == 1)
            continue;
        struct store_result r = move_all(&c, b, 1, want[b]);
        CHECK_EQ(r.status, 0);
        CHECK_EQ(r.version, 1 + ++flips);
    }
    CHECK_EQ(map_version(&c), 1 + flips);
    uint32_t owners[64];
    uint64_t v;
    CHECK_EQ(cluster_bucket_owners(c.s, owners, buckets, &v, NULL), 0);
    CHECK_EQ(v, 1 + flips);
    uint32_t per[4] = {0};
    for (uint32_t b = 0; b < buckets; b++) {
        CHECK_EQ(owners[b], want[b]);
        CHECK_EQ(owner_of(&c, b), want[b]);
        per[want[b]]++;
    }
    CHECK_EQ(cluster_bucket_owners(c.s, owners, buckets - 1, &v, NULL), ERR_INVAL);
    CHECK_EQ(owner_of(&c, buckets), 0);
    struct counts cs = {0};
    CHECK_EQ(cluster_bucket_counts(c.s, counts_one, &cs, NULL), 0);
    CHECK_EQ(cs.n, 3);
    for (uint32_t i = 0; i < 3; i++) {
        CHECK_EQ(cs.rs[i], i + 1);
        CHECK_EQ(cs.count[i], per[i + 1]);
        CHECK_EQ(rs_get(&c, i + 1).buckets, per[i + 1]);
    }
    /* Reads on a reader connection see the same. */
    struct store *rd;
    CHECK_EQ(store_open_reader(c.s, &rd, NULL), 0);
    uint32_t owners2[64];
    CHECK_EQ(cluster_bucket_owners(rd, owners2, buckets, &v, NULL), 0);
    CHECK_EQ(v, 1 + flips);
    CHECK(memcmp(owners, owners2, sizeof owners) == 0);
    uint32_t rs;
    CHECK_EQ(cluster_node_replicaset(rd, 3, &rs, NULL), 0);
    CHECK_EQ(rs, 3);
    store_close(rd);
    cat_close(&c);
}

struct move_list {
    uint32_t n;
    struct cluster_move m[8];
};

static int moves_one(void *ctx, const struct cluster_move *m)
{
    struct move_list *l = ctx;
    if (l->n == 8)
        return ERR_TOOBIG;
    l->m[l->n++] = *m;
    return 0;
}

TEST(move_begin_refusals)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 2, 16).status, 0);
    join(&c, 1, "a");
    /* No map yet. */
    struct store_result r = move_begin(&c, 0, 1, 2);
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_BUCKET);
    join(&c, 2, "b"); /* rs1 ACTIVE with the map */
    join(&c, 3, "a"); /* rs2 FORMING */
    r = move_begin(&c, 16, 1, 2);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_BUCKET);
    r = move_begin(&c, 3, 2, 1);
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_NOT_OWNER);
    CHECK_EQ(r.current_version, 1);
    r = move_begin(&c, 3, 1, 2); /* rs2 is FORMING */
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_DST);
    r = move_begin(&c, 3, 1, 1);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_DST);
    r = move_begin(&c, 3, 1, 9);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_DST);
    join(&c, 4, "b"); /* rs2 ACTIVE */
    r = move_begin(&c, 3, 1, 2);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.version, c.index); /* started: the entry's index */
    uint64_t started = r.version;
    r = move_begin(&c, 3, 1, 2);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_MOVING);
    CHECK_EQ(move_begin(&c, 5, 1, 2).status, 0);
    struct move_list l = {0};
    CHECK_EQ(cluster_moves(c.s, moves_one, &l, NULL), 0);
    CHECK_EQ(l.n, 2);
    CHECK_EQ(l.m[0].bucket, 3);
    CHECK_EQ(l.m[0].src, 1);
    CHECK_EQ(l.m[0].dst, 2);
    CHECK_EQ(l.m[0].state, CLUSTER_MOVE_COPYING);
    CHECK_EQ(l.m[0].started, started);
    CHECK_EQ(l.m[1].bucket, 5);
    /* Beginning a move changes no ownership. */
    CHECK_EQ(map_version(&c), 1);
    CHECK_EQ(owner_of(&c, 3), 1);
    cat_close(&c);
}

/* The transition table from cluster.h, written out independently: for each
 * state, what each command does (1 applies, 0 no-op, -1 refused). */
enum { CMD_COPYING, CMD_FENCED, CMD_FINISH, CMD_ABORT, CMD_COUNT };
static const int transition[3][CMD_COUNT] = {
    [CLUSTER_MOVE_COPYING] = {0, 1, -1, 1},
    [CLUSTER_MOVE_FENCED] = {1, 0, 1, 1},
};

static struct store_result run_cmd(struct cat *c, int cmd, uint32_t bucket, uint64_t started)
{
    switch (cmd) {
    case CMD_COPYING:
        return move_state(c, bucket, started, CLUSTER_MOVE_COPYING);
    case CMD_FENCED:
        return move_state(c, bucket, started, CLUSTER_MOVE_FENCED);
    case CMD_FINISH:
        return move_finish(c, bucket, started);
    default:
        return move_abort(c, bucket, started);
    }
}

TEST(move_transitions_follow_the_table)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 1, 8).status, 0);
    join(&c, 1, "");
    join(&c, 2, "");
    uint32_t owner = 1;
    uint64_t version = 1;
    for (int from = CLUSTER_MOVE_COPYING; from <= CLUSTER_MOVE_FENCED; from++) {
        for (int cmd = 0; cmd < CMD_COUNT; cmd++) {
            uint32_t dst = owner == 1 ? 2 : 1;
            struct store_result r = move_begin(&c, 0, owner, dst);
            CHECK_EQ(r.status, 0);
            uint64_t started = r.version;
            if (from == CLUSTER_MOVE_FENCED)
                CHECK_EQ(move_state(&c, 0, started, CLUSTER_MOVE_FENCED).status, 0);
            r = run_cmd(&c, cmd, 0, started);
            int want = transition[from][cmd];
            CHECK_EQ(r.status, want < 0 ? ERR_CONDITION : 0);
            if (want < 0)
                CHECK_EQ(r.failed_op, CLUSTER_REFUSED_TRANSITION);
            struct cluster_move m;
            int rc = cluster_move_get(c.s, 0, &m, NULL);
            bool gone = want == 1 && (cmd == CMD_FINISH || cmd == CMD_ABORT);
            CHECK_EQ(rc, gone ? ERR_NOTFOUND : 0);
            if (!gone) {
                int state = want == 1
                                ? (cmd == CMD_COPYING ? CLUSTER_MOVE_COPYING : CLUSTER_MOVE_FENCED)
                                : from;
                CHECK_EQ(m.state, state);
                CHECK_EQ(move_abort(&c, 0, started).status, 0);
            }
            if (gone && cmd == CMD_FINISH) {
                owner = dst;
                version++;
                CHECK_EQ(r.version, version);
            }
            CHECK_EQ(owner_of(&c, 0), owner);
            CHECK_EQ(map_version(&c), version);
            /* The move is gone: every command is refused now. */
            for (int again = 0; again < CMD_COUNT; again++) {
                r = run_cmd(&c, again, 0, 0);
                CHECK_EQ(r.status, ERR_CONDITION);
                CHECK_EQ(r.failed_op, CLUSTER_REFUSED_NO_MOVE);
            }
        }
    }
    CHECK_EQ(owner, 2); /* one FINISH took: from FENCED */
    CHECK_EQ(version, 2);
    cat_close(&c);
}

TEST(a_late_command_cannot_touch_a_newer_move)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 1, 4).status, 0);
    join(&c, 1, "");
    join(&c, 2, "");
    uint64_t old = move_begin(&c, 1, 1, 2).version;
    CHECK_EQ(move_abort(&c, 1, old).status, 0);
    uint64_t cur = move_begin(&c, 1, 1, 2).version;
    CHECK(cur > old);
    CHECK_EQ(move_state(&c, 1, cur, CLUSTER_MOVE_FENCED).status, 0);
    struct store_result r = move_finish(&c, 1, old);
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_NO_MOVE);
    CHECK_EQ(move_abort(&c, 1, old).failed_op, CLUSTER_REFUSED_NO_MOVE);
    CHECK_EQ(owner_of(&c, 1), 1);
    r = move_finish(&c, 1, cur);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(owner_of(&c, 1), 2);
    cat_close(&c);
}

/* ---- expel ---- */

TEST(expelling_the_last_member_retires_the_set_after_its_buckets_move)
{
    struct cat c;
    cat_open(&c);
    const uint32_t buckets = 10;
    CHECK_EQ(settings(&c, 1, buckets).status, 0);
    join(&c, 1, "a"); /* rs1: all buckets */
    join(&c, 2, "b"); /* rs2 */
    join(&c, 3, "c"); /* rs3: no buckets */
    /* The last member of a set without buckets: it leaves, the set retires. */
    struct store_result r = expel(&c, 3);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.current_version, 3);
    CHECK_EQ(rs_of(&c, 3), 0);
    CHECK_EQ(rs_get(&c, 3).state, CLUSTER_RS_RETIRED);
    CHECK_EQ(rs_get(&c, 3).n_members, 0);
    /* The last member of a set with buckets: it stays, the set is RETIRING. */
    CHECK_EQ(move_begin(&c, 9, 1, 2).status, 0); /* a move out, in flight */
    uint64_t late = move_begin(&c, 8, 1, 2).version;
    r = expel(&c, 1);
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.current_version, 1);
    CHECK_EQ(rs_of(&c, 1), 1);
    struct cluster_replicaset a = rs_get(&c, 1);
    CHECK_EQ(a.state, CLUSTER_RS_RETIRING);
    CHECK_EQ(a.n_members, 1);
    CHECK_EQ(a.members[0], 1);
    CHECK_EQ(a.buckets, buckets);
    /* Nothing joins a RETIRING set; nothing moves into one. */
    CHECK_EQ(join(&c, 4, "a").current_version, 4);
    CHECK_EQ(move_begin(&c, 0, 1, 1).failed_op, CLUSTER_REFUSED_DST);
    /* Drain it. */
    CHECK_EQ(move_abort(&c, 8, late).status, 0);
    for (uint32_t b = 0; b < buckets; b++) {
        if (b == 9) {
            CHECK_EQ(move_state(&c, 9, 0, CLUSTER_MOVE_FENCED).status, 0);
            r = move_finish(&c, 9, 0);
        } else {
            r = move_all(&c, b, 1, b % 2 ? 2 : 4);
        }
        CHECK_EQ(r.status, 0);
        CHECK_EQ(rs_get(&c, 1).state, b + 1 < buckets ? CLUSTER_RS_RETIRING : CLUSTER_RS_RETIRED);
    }
    CHECK_EQ(rs_of(&c, 1), 0);
    CHECK_EQ(rs_get(&c, 1).n_members, 0);
    CHECK_EQ(rs_get(&c, 2).buckets + rs_get(&c, 4).buckets, buckets);
    /* Retired sets are not counted, nor reused. */
    struct counts cs = {0};
    CHECK_EQ(cluster_bucket_counts(c.s, counts_one, &cs, NULL), 0);
    CHECK_EQ(cs.n, 2);
    CHECK_EQ(cs.rs[0], 2);
    CHECK_EQ(cs.rs[1], 4);
    CHECK_EQ(join(&c, 5, "").current_version, 5);
    cat_close(&c);
}

TEST(a_flip_into_a_set_that_lost_its_last_member_is_refused)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 1, 4).status, 0);
    join(&c, 1, "");
    join(&c, 2, "");
    CHECK_EQ(move_all(&c, 0, 1, 2).status, 0); /* rs2 owns a bucket */
    uint64_t started = move_begin(&c, 1, 1, 2).version;
    CHECK_EQ(move_state(&c, 1, started, CLUSTER_MOVE_FENCED).status, 0);
    CHECK_EQ(expel(&c, 2).status, 0);
    CHECK_EQ(rs_get(&c, 2).state, CLUSTER_RS_RETIRING);
    struct store_result r = move_finish(&c, 1, started);
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_DST);
    CHECK_EQ(owner_of(&c, 1), 1);
    CHECK_EQ(move_abort(&c, 1, started).status, 0);
    cat_close(&c);
}

TEST(expelling_one_of_several_members_keeps_the_set)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 3, 9).status, 0);
    join(&c, 1, "a");
    join(&c, 2, "b");
    join(&c, 3, "c");
    join(&c, 4, "a"); /* rs2 FORMING {4} */
    CHECK_EQ(expel(&c, 2).status, 0);
    CHECK_EQ(rs_get(&c, 1).state, CLUSTER_RS_ACTIVE);
    CHECK_EQ(rs_get(&c, 1).n_members, 2);
    CHECK_EQ(expel(&c, 4).status, 0); /* the only member of a FORMING set */
    CHECK_EQ(rs_get(&c, 2).state, CLUSTER_RS_RETIRED);
    CHECK_EQ(join(&c, 5, "b").current_version, 1); /* refills the degraded set */
    CHECK_EQ(join(&c, 6, "b").current_version, 3);
    cat_close(&c);
}

/* ---- weights ---- */

TEST(weights_are_set_on_live_sets_only)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 1, 4).status, 0);
    join(&c, 1, "");
    join(&c, 2, "");
    struct buf cmd = BUF_INIT;
    CHECK_EQ(cluster_encode_rs_weight(&cmd, 2, 5, NULL), 0);
    CHECK_EQ(cat_apply(&c, &cmd).status, 0);
    CHECK_EQ(rs_get(&c, 2).weight, 5);
    CHECK_EQ(cluster_encode_rs_weight(&cmd, 7, 5, NULL), 0);
    struct store_result r = cat_apply(&c, &cmd);
    CHECK_EQ(r.status, ERR_CONDITION);
    CHECK_EQ(r.failed_op, CLUSTER_REFUSED_REPLICASET);
    CHECK_EQ(expel(&c, 2).status, 0); /* no buckets: RETIRED */
    CHECK_EQ(cluster_encode_rs_weight(&cmd, 2, 1, NULL), 0);
    CHECK_EQ(cat_apply(&c, &cmd).failed_op, CLUSTER_REFUSED_REPLICASET);
    CHECK_EQ(rs_get(&c, 2).weight, 5);
    cat_close(&c);
}

/* ---- snapshots carry the whole catalog ---- */

struct rs_dump {
    uint32_t n;
    struct cluster_replicaset rs[16];
};

static int rs_dump_one(void *ctx, const struct cluster_replicaset *rs)
{
    struct rs_dump *d = ctx;
    if (d->n == 16)
        return ERR_TOOBIG;
    d->rs[d->n++] = *rs;
    return 0;
}

TEST(a_snapshot_restores_the_same_catalog)
{
    struct cat c;
    cat_open(&c);
    CHECK_EQ(settings(&c, 2, 40).status, 0);
    for (int k = 1; k <= 7; k++)
        join(&c, k, k % 2 ? "a" : "b");
    for (uint32_t b = 0; b < 10; b++)
        CHECK_EQ(move_all(&c, b, 1, 2 + b % 2).status, 0);
    CHECK_EQ(move_begin(&c, 20, 1, 3).status, 0);
    CHECK_EQ(expel(&c, 7).status, 0);
    struct rs_dump before = {0}, after = {0};
    CHECK_EQ(cluster_replicasets(c.s, rs_dump_one, &before, NULL), 0);
    CHECK_EQ(before.n, 4);
    struct store_snapshot *sn;
    CHECK_EQ(store_snapshot_open(c.s, 256, &sn, NULL), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/copy.db", c.dir);
    struct store_restore *rs;
    CHECK_EQ(store_restore_begin(path, &rs, NULL), 0);
    struct buf chunk = BUF_INIT;
    bool done = false;
    while (!done) {
        CHECK_EQ(store_snapshot_next(sn, &chunk, &done, NULL), 0);
        CHECK_EQ(store_restore_chunk(rs, chunk.data, chunk.len, NULL), 0);
    }
    buf_free(&chunk);
    store_snapshot_close(sn);
    CHECK_EQ(store_restore_finish(rs, NULL), 0);
    struct store *copy;
    struct store_opts o;
    store_opts_default(&o);
    CHECK_EQ(store_open(path, &o, &copy, NULL), 0);
    CHECK_EQ(cluster_replicasets(copy, rs_dump_one, &after, NULL), 0);
    CHECK_EQ(after.n, before.n);
    for (uint32_t i = 0; i < before.n; i++) {
        const struct cluster_replicaset *x = &before.rs[i], *y = &after.rs[i];
        CHECK_EQ(x->id, y->id);
        CHECK_EQ(x->state, y->state);
        CHECK_EQ(x->weight, y->weight);
        CHECK_EQ(x->buckets, y->buckets);
        CHECK_EQ(x->n_members, y->n_members);
        for (uint32_t k = 0; k < x->n_members; k++)
            CHECK_EQ(x->members[k], y->members[k]);
    }
    CHECK_EQ(before.rs[1].buckets, 5);
    CHECK_EQ(before.rs[3].state, CLUSTER_RS_RETIRED);
    uint32_t o1[40], o2[40];
    uint64_t v1, v2;
    CHECK_EQ(cluster_bucket_owners(c.s, o1, 40, &v1, NULL), 0);
    CHECK_EQ(cluster_bucket_owners(copy, o2, 40, &v2, NULL), 0);
    CHECK_EQ(v1, 11);
    CHECK_EQ(v2, v1);
    CHECK(memcmp(o1, o2, sizeof o1) == 0);
    struct cluster_move m;
    CHECK_EQ(cluster_move_get(copy, 20, &m, NULL), 0);
    CHECK_EQ(m.dst, 3);
    uint32_t rf, nb;
    CHECK_EQ(cluster_settings(copy, &rf, &nb, NULL), 0);
    CHECK_EQ(rf, 2);
    CHECK_EQ(nb, 40);
    store_close(copy);
    cat_close(&c);
}

/* ---- random histories against a reference model ---- */

#define REF_NODES_MAX 96
#define REF_SETS_MAX  96
#define REF_BUCKETS   24

/* The rules of cluster.h in plain arrays, indexed by id. */
struct ref {
    uint32_t rf;
    bool settings;
    uint32_t n_nodes, n_sets;
    struct {
        char zone[4];
        bool active;
        uint32_t rs;
    } node[REF_NODES_MAX + 1];
    int set_state[REF_SETS_MAX + 1];
    uint32_t owner[REF_BUCKETS]; /* 0: no map yet */
    uint64_t map_version;
};

static uint32_t ref_members(const struct ref *r, uint32_t rs)
{
    uint32_t n = 0;
    for (uint32_t i = 1; i <= r->n_nodes; i++)
        n += r->node[i].rs == rs;
    return n;
}

static uint32_t ref_buckets(const struct ref *r, uint32_t rs)
{
    uint32_t n = 0;
    for (uint32_t b = 0; b < REF_BUCKETS; b++)
        n += r->owner[b] == rs;
    return n;
}

static void ref_place(struct ref *r, uint32_t node)
{
    uint32_t best = 0;
    bool best_has_zone = true;
    for (uint32_t s = 1; s <= r->n_sets; s++) {
        if ((r->set_state[s] != CLUSTER_RS_FORMING && r->set_state[s] != CLUSTER_RS_ACTIVE) ||
            ref_members(r, s) >= r->rf)
            continue;
        bool has_zone = false;
        for (uint32_t i = 1; i <= r->n_nodes; i++)
            has_zone |= r->node[i].rs == s && strcmp(r->node[i].zone, r->node[node].zone) == 0;
        if (best == 0 || (best_has_zone && !has_zone)) {
            best = s;
            best_has_zone = has_zone;
        }
    }
    if (best == 0) {
        best = ++r->n_sets;
        r->set_state[best] = CLUSTER_RS_FORMING;
    }
    r->node[node].rs = best;
    if (r->set_state[best] == CLUSTER_RS_FORMING && ref_members(r, best) == r->rf) {
        r->set_state[best] = CLUSTER_RS_ACTIVE;
        if (r->owner[0] == 0) {
            for (uint32_t b = 0; b < REF_BUCKETS; b++)
                r->owner[b] = best;
            r->map_version++;
        }
    }
}

static void ref_expel(struct ref *r, uint32_t node)
{
    r->node[node].active = false;
    uint32_t s = r->node[node].rs;
    if (s == 0)
        return;
    if (ref_members(r, s) == 1 && ref_buckets(r, s) > 0) {
        r->set_state[s] = CLUSTER_RS_RETIRING;
        return;
    }
    r->node[node].rs = 0;
    if (ref_members(r, s) == 0)
        r->set_state[s] = CLUSTER_RS_RETIRED;
}

static void ref_flip(struct ref *r, uint32_t bucket, uint32_t dst)
{
    uint32_t src = r->owner[bucket];
    r->owner[bucket] = dst;
    r->map_version++;
    if (r->set_state[src] == CLUSTER_RS_RETIRING && ref_buckets(r, src) == 0) {
        r->set_state[src] = CLUSTER_RS_RETIRED;
        for (uint32_t i = 1; i <= r->n_nodes; i++)
            if (r->node[i].rs == src)
                r->node[i].rs = 0;
    }
}

/* Compares the catalog with the reference; returns false (after saying what
 * differs) on the first difference. */
static bool ref_matches(struct cat *c, const struct ref *r)
{
    for (uint32_t i = 1; i <= r->n_nodes; i++) {
        if (rs_of(c, i) != r->node[i].rs) {
            fprintf(stderr, "  node %u: in %u, expected %u\n", i, rs_of(c, i), r->node[i].rs);
            return false;
        }
    }
    for (uint32_t s = 1; s <= r->n_sets + 1; s++) {
        struct cluster_replicaset got = rs_get(c, s);
        int want = s <= r->n_sets ? r->set_state[s] : 0;
        if (got.state != want || got.n_members != ref_members(r, s) ||
            got.buckets != ref_buckets(r, s)) {
            fprintf(stderr, "  set %u: state %d members %u buckets %u, expected %d %u %u\n", s,
                    got.state, got.n_members, got.buckets, want, ref_members(r, s),
                    ref_buckets(r, s));
            return false;
        }
        for (uint32_t k = 0; k < got.n_members; k++)
            if (r->node[got.members[k]].rs != s)
                return false;
    }
    uint32_t owners[REF_BUCKETS];
    uint64_t v;
    if (r->settings && (cluster_bucket_owners(c->s, owners, REF_BUCKETS, &v, NULL) != 0 ||
                        v != r->map_version || memcmp(owners, r->owner, sizeof owners) != 0)) {
        fprintf(stderr, "  map differs (version %" PRIu64 ", expected %" PRIu64 ")\n", v,
                r->map_version);
        return false;
    }
    return true;
}

TEST(random_histories_match_the_reference_model)
{
    static const char *const zones[] = {"a", "b", "c", ""};
    for (uint64_t seed = 1; seed <= 30; seed++) {
        struct rng g;
        rng_seed(&g, seed);
        struct cat c;
        cat_open(&c);
        struct ref *r = calloc(1, sizeof *r);
        r->rf = 1 + (uint32_t)rng_below(&g, 4);
        uint32_t settings_at = (uint32_t)rng_below(&g, 6);
        for (uint32_t step = 0; step < 120; step++) {
            if (step == settings_at) {
                CHECK_EQ(settings(&c, r->rf, REF_BUCKETS).status, 0);
                r->settings = true;
                for (uint32_t i = 1; i <= r->n_nodes; i++)
                    if (r->node[i].active && r->node[i].rs == 0)
                        ref_place(r, i);
            }
            uint64_t what = rng_below(&g, 10);
            uint32_t node = r->n_nodes == 0 ? 0 : 1 + (uint32_t)rng_below(&g, r->n_nodes);
            if (what < 4 && r->n_nodes < REF_NODES_MAX) {
                uint32_t id = ++r->n_nodes;
                const char *zone = zones[rng_below(&g, 4)];
                snprintf(r->node[id].zone, sizeof r->node[id].zone, "%s", zone);
                r->node[id].active = true;
                if (r->settings)
                    ref_place(r, id);
                struct store_result res = join(&c, (int)id, zone);
                CHECK_EQ(res.version, id);
                CHECK_EQ(res.current_version, r->node[id].rs);
            } else if (what < 5 && node != 0 && r->node[node].active) {
                struct store_result res = join(&c, (int)node, zones[rng_below(&g, 4)]);
                CHECK_EQ(res.current_version, r->node[node].rs);
            } else if (what < 7 && node != 0) {
                bool was = r->node[node].active;
                if (was)
                    ref_expel(r, node);
                CHECK_EQ(expel(&c, node).status, was ? 0 : ERR_CONDITION);
            } else if (r->owner[0] != 0) {
                uint32_t b = (uint32_t)rng_below(&g, REF_BUCKETS);
                uint32_t dst = 1 + (uint32_t)rng_below(&g, r->n_sets);
                bool ok = r->set_state[dst] == CLUSTER_RS_ACTIVE && dst != r->owner[b];
                struct store_result res = move_all(&c, b, r->owner[b], dst);
                CHECK_EQ(res.status, ok ? 0 : ERR_CONDITION);
                if (ok)
                    ref_flip(r, b, dst);
            }
            if (!ref_matches(&c, r)) {
                fprintf(stderr, "  seed %" PRIu64 " step %u rf %u\n", seed, step, r->rf);
                CHECK(false);
            }
        }
        free(r);
        cat_close(&c);
    }
}

TEST_MAIN()
