/* The node's HTTP API (docs/http-api.md): key-value, health, metrics and
 * cluster administration, with per-endpoint request metrics. */
#ifndef CAIRN_NODE_API_H
#define CAIRN_NODE_API_H

#include "base/err.h"
#include "proto/http/http.h"

struct node;
struct api;

/* Serves the API for node n on addr ("host:port"). *api is freed with the
 * node's loop; *srv is the server, closed by the node. */
int api_start(struct node *n, const char *addr, struct api **api, struct http_server **srv,
              struct errbuf *eb);
/* Frees the API state once the loop has stopped (NULL is fine). */
void api_free(struct api *a);

#endif
