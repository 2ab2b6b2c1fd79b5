/* A node's configuration: built-in defaults, then the config file, then
 * CAIRN_* environment variables, then command-line flags (later wins). */
#ifndef CAIRN_NODE_CONFIG_H
#define CAIRN_NODE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

#define NODE_NAME_LEN_MAX 63
#define NODE_ADDR_LEN_MAX 255
#define NODE_JOIN_LEN_MAX 1023
#define NODE_PATH_LEN_MAX 1023

#define NODE_DEFAULT_LISTEN "127.0.0.1:7000"
#define NODE_DEFAULT_HTTP "127.0.0.1:7080"
#define NODE_DEFAULT_PG "127.0.0.1:7432"
#define NODE_DEFAULT_DATA_DIR "./cairn-data"

struct node_config {
    char name[NODE_NAME_LEN_MAX + 1];   /* "" until defaulted from the peer port */
    char data_dir[NODE_PATH_LEN_MAX + 1];
    char listen[NODE_ADDR_LEN_MAX + 1]; /* peer address */
    char advertise[NODE_ADDR_LEN_MAX + 1]; /* peer address others dial; default listen */
    char http[NODE_ADDR_LEN_MAX + 1];
    char pg[NODE_ADDR_LEN_MAX + 1];     /* PostgreSQL protocol address */
    char join[NODE_JOIN_LEN_MAX + 1];   /* comma-separated peer addresses */
    char config_file[NODE_PATH_LEN_MAX + 1];
    char zone[NODE_NAME_LEN_MAX + 1];
    char log_level[16];
    uint32_t replication_factor;
    uint32_t bucket_count;
    uint32_t tick_ms;          /* Raft tick */
    uint32_t election_ticks;
    bool fsync;                /* false only for throwaway test clusters */
    bool lease_reads;          /* raft_config.lease_reads for every group */
};

void node_config_default(struct node_config *c);
/* Applies the config file (if any flag or env names one), the environment and
 * argv (the flags after "run"). ERR_INVAL with a message naming the bad
 * setting; --help sets *help. */
int node_config_load(struct node_config *c, int argc, char **argv, bool *help,
                     struct errbuf *eb);
/* Help text for `cairn run`. */
const char *node_config_usage(void);

#endif
