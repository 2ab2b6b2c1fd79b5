/* The SQL executor: the PostgreSQL-protocol backend of a node. It parses and
 * plans on the node the client is connected to, and runs statements in the
 * replicaset (or, for tables distributed globally, the governor) that holds
 * their rows — see docs/sql.md. */
#ifndef CAIRN_NODE_SQL_EXEC_H
#define CAIRN_NODE_SQL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "net/net.h"

struct node;
struct sql_exec;

/* Serves the PostgreSQL protocol on addr (HOST:PORT). Returns 0, ERR_INVAL,
 * ERR_IO (bind failed) or ERR_NOMEM. */
int sql_exec_start(struct node *n, const char *addr, struct sql_exec **out, struct errbuf *eb);
/* Stops serving (sessions end); the memory goes with sql_exec_free after the
 * loop has run. */
void sql_exec_stop(struct sql_exec *x);
void sql_exec_free(struct sql_exec *x);
/* Serves NODE_RPC_SQL_RUN and NODE_RPC_SQL_CANCEL from node from; false for another method. */
bool sql_exec_on_rpc(struct node *n, uint64_t from, struct net_responder *r, uint16_t method,
                     const uint8_t *payload, size_t len);

#endif
