/* Node configuration from defaults, a `key = value` config file, CAIRN_*
 * environment variables and flags. Every setting has the same name in all
 * three: --data-dir, data-dir = ..., CAIRN_DATA_DIR. */
#include "node/config.h"

#include "net/net.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum config_kind { CONFIG_STR, CONFIG_U32, CONFIG_BOOL };

struct config_setting {
    const char *name; /* flag name without "--" */
    enum config_kind kind;
    size_t offset;
    size_t size;      /* for strings: buffer size */
    uint32_t min, max;
    const char *help;
};

#define CONFIG_STR_FIELD(f) CONFIG_STR, offsetof(struct node_config, f), sizeof(((struct node_config *)0)->f), 0, 0
#define CONFIG_U32_FIELD(f, lo, hi) CONFIG_U32, offsetof(struct node_config, f), sizeof(uint32_t), lo, hi
#define CONFIG_BOOL_FIELD(f) CONFIG_BOOL, offsetof(struct node_config, f), sizeof(bool), 0, 1

static const struct config_setting config_settings[] = {
    {"name", CONFIG_STR_FIELD(name), "node name, unique in the cluster (default node<peer port>)"},
    {"data-dir", CONFIG_STR_FIELD(data_dir), "data directory (default " NODE_DEFAULT_DATA_DIR ")"},
    {"listen", CONFIG_STR_FIELD(listen), "peer address HOST:PORT (default " NODE_DEFAULT_LISTEN ")"},
    {"advertise", CONFIG_STR_FIELD(advertise), "peer address other nodes dial (default: --listen)"},
    {"http", CONFIG_STR_FIELD(http), "HTTP API address HOST:PORT (default " NODE_DEFAULT_HTTP ")"},
    {"pg", CONFIG_STR_FIELD(pg),
     "PostgreSQL protocol address HOST:PORT for psql and drivers (default " NODE_DEFAULT_PG ")"},
    {"join", CONFIG_STR_FIELD(join), "peer address(es) of any member: HOST:PORT[,HOST:PORT...]"},
    {"config", CONFIG_STR_FIELD(config_file), "config file of `key = value` lines"},
    {"zone", CONFIG_STR_FIELD(zone), "failure zone label"},
    {"log-level", CONFIG_STR_FIELD(log_level), "debug, info, warn or error (default info)"},
    {"replication-factor", CONFIG_U32_FIELD(replication_factor, 1, 9),
     "replicas per replicaset, fixed at bootstrap (default 1)"},
    {"bucket-count", CONFIG_U32_FIELD(bucket_count, 1, 1000000),
     "buckets, fixed at bootstrap (default 3000)"},
    {"tick-ms", CONFIG_U32_FIELD(tick_ms, 1, 10000), "Raft tick in milliseconds (default 100)"},
    {"election-ticks", CONFIG_U32_FIELD(election_ticks, 2, 1000),
     "election timeout in ticks (default 10)"},
    {"fsync", CONFIG_BOOL_FIELD(fsync), "sync the log before acknowledging (default true)"},
    {"lease-reads", CONFIG_BOOL_FIELD(lease_reads),
     "leaders serve linearizable reads from their lease, without a heartbeat round (default true)"},
};
#define CONFIG_SETTINGS_N (sizeof config_settings / sizeof config_settings[0])

void node_config_default(struct node_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "%s", NODE_DEFAULT_DATA_DIR);
    snprintf(c->listen, sizeof c->listen, "%s", NODE_DEFAULT_LISTEN);
    snprintf(c->http, sizeof c->http, "%s", NODE_DEFAULT_HTTP);
    snprintf(c->pg, sizeof c->pg, "%s", NODE_DEFAULT_PG);
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->replication_factor = 1;
    c->bucket_count = 3000;
    c->tick_ms = 100;
    c->election_ticks = 10;
    c->fsync = true;
    c->lease_reads = true;
}

static const struct config_setting *config_find(const char *name, size_t len)
{
    for (size_t i = 0; i < CONFIG_SETTINGS_N; i++)
        if (strlen(config_settings[i].name) == len &&
            strncmp(config_settings[i].name, name, len) == 0)
            return &config_settings[i];
    return NULL;
}

static int config_set(struct node_config *c, const struct config_setting *s, const char *value,
                      const char *origin, struct errbuf *eb)
{
    char *field = (char *)c + s->offset;
    switch (s->kind) {
    case CONFIG_STR:
        if (strlen(value) >= s->size)
            return err_set(eb, ERR_INVAL, "%s: %s is too long (at most %zu bytes)", origin,
                           s->name, s->size - 1);
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CONFIG_U32: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end != '\0' || v < s->min || v > s->max)
            return err_set(eb, ERR_INVAL, "%s: %s must be a whole number from %u to %u, not \"%s\"",
                           origin, s->name, s->min, s->max, value);
        *(uint32_t *)field = (uint32_t)v;
        return 0;
    }
    case CONFIG_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 || strcmp(value, "on") == 0)
            *(bool *)field = true;
        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
                 strcmp(value, "off") == 0)
            *(bool *)field = false;
        else
            return err_set(eb, ERR_INVAL, "%s: %s must be true or false, not \"%s\"", origin,
                           s->name, value);
        return 0;
    }
    return ERR_INVAL;
}

static char *config_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int config_load_file(struct node_config *c, const char *path, struct errbuf *eb)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(eb, ERR_INVAL, "cannot open config file %s: %s", path, strerror(errno));
    char line[2048];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *s = config_trim(line);
        if (*s == '\0')
            continue;
        char *eq = strchr(s, '=');
        char origin[NODE_PATH_LEN_MAX + 32];
        snprintf(origin, sizeof origin, "%s:%d", path, lineno);
        if (eq == NULL) {
            rc = err_set(eb, ERR_INVAL, "%s: expected `key = value`", origin);
            break;
        }
        *eq = '\0';
        char *key = config_trim(s);
        char *value = config_trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        for (char *k = key; *k; k++)
            if (*k == '_')
                *k = '-';
        const struct config_setting *set = config_find(key, strlen(key));
        if (set == NULL || set->offset == offsetof(struct node_config, config_file)) {
            rc = err_set(eb, ERR_INVAL, "%s: unknown setting \"%s\"", origin, key);
            break;
        }
        rc = config_set(c, set, value, origin, eb);
    }
    fclose(f);
    return rc;
}

static void config_env_name(const char *flag, char *out, size_t cap)
{
    size_t n = (size_t)snprintf(out, cap, "CAIRN_");
    for (const char *p = flag; *p && n + 1 < cap; p++)
        out[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    out[n] = '\0';
}

int node_config_load(struct node_config *c, int argc, char **argv, bool *help,
                     struct errbuf *eb)
{
    *help = false;
    /* The config file is named by env or flag, but read first so that env
     * and flags override it. */
    const char *file = getenv("CAIRN_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            file = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            file = argv[i] + 9;
    }
    if (file != NULL && *file) {
        int rc = config_load_file(c, file, eb);
        if (rc != 0)
            return rc;
        snprintf(c->config_file, sizeof c->config_file, "%s", file);
    }
    for (size_t i = 0; i < CONFIG_SETTINGS_N; i++) {
        char env[64];
        config_env_name(config_settings[i].name, env, sizeof env);
        const char *v = getenv(env);
        if (v == NULL || config_settings[i].offset == offsetof(struct node_config, config_file))
            continue;
        int rc = config_set(c, &config_settings[i], v, env, eb);
        if (rc != 0)
            return rc;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = true;
            return 0;
        }
        if (strncmp(a, "--", 2) != 0)
            return err_set(eb, ERR_INVAL, "unexpected argument \"%s\"", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const struct config_setting *s = config_find(name, len);
        if (s == NULL)
            return err_set(eb, ERR_INVAL, "unknown flag \"%.*s\" (see `cairn run --help`)",
                           (int)len + 2, a);
        const char *value;
        if (eq) {
            value = eq + 1;
        } else if (s->kind == CONFIG_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0)) {
            value = "true";
        } else {
            if (i + 1 >= argc)
                return err_set(eb, ERR_INVAL, "flag %s needs a value", a);
            value = argv[++i];
        }
        char origin[80];
        snprintf(origin, sizeof origin, "flag --%.*s", (int)len, name);
        int rc = config_set(c, s, value, origin, eb);
        if (rc != 0)
            return rc;
    }
    if (c->advertise[0] == '\0')
        snprintf(c->advertise, sizeof c->advertise, "%s", c->listen);
    /* Every address is checked now, before anything is created on disk. */
    const struct {
        const char *name, *value;
    } addrs[] = {{"listen", c->listen},
                 {"advertise", c->advertise},
                 {"http", c->http},
                 {"pg", c->pg}};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
        char host[NODE_ADDR_LEN_MAX + 1];
        uint16_t port;
        struct errbuf aeb;
        if (net_addr_parse(addrs[i].value, host, sizeof host, &port, &aeb) != 0)
            return err_set(eb, ERR_INVAL, "--%s \"%s\" is not HOST:PORT (%s)", addrs[i].name,
                           addrs[i].value, aeb.msg);
    }
    char joins[NODE_JOIN_LEN_MAX + 1];
    snprintf(joins, sizeof joins, "%s", c->join);
    for (char *save = NULL, *tok = strtok_r(joins, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char host[NODE_ADDR_LEN_MAX + 1];
        uint16_t port;
        struct errbuf aeb;
        if (net_addr_parse(tok, host, sizeof host, &port, &aeb) != 0 || port == 0)
            return err_set(eb, ERR_INVAL, "--join \"%s\" is not HOST:PORT (%s)", tok, aeb.msg);
    }
    if (c->name[0] == '\0') {
        const char *colon = strrchr(c->listen, ':');
        snprintf(c->name, sizeof c->name, "node%s", colon ? colon + 1 : "");
    }
    for (const char *p = c->name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return err_set(eb, ERR_INVAL,
                           "node name \"%s\" may only use letters, digits, '-', '_' and '.'",
                           c->name);
    return 0;
}

const char *node_config_usage(void)
{
    static char text[4096];
    if (text[0])
        return text;
    size_t n = (size_t)snprintf(text, sizeof text,
                                "usage: cairn run [flags]\n\n"
                                "Starts a node. With no flags: a single-node cluster with its data "
                                "in " NODE_DEFAULT_DATA_DIR ".\n"
                                "Every flag can also be set in the config file (`data-dir = x`) "
                                "or the environment (CAIRN_DATA_DIR=x).\n\n");
    for (size_t i = 0; i < CONFIG_SETTINGS_N && n < sizeof text; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "  --%-20s %s\n", config_settings[i].name,
                              config_settings[i].help);
    return text;
}
