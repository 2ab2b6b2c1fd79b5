/* Listening TCP sockets for the client protocols (HTTP, PostgreSQL): the
 * address bound and listened on before anything is allocated, so a bad
 * address is a clean error; then the socket adopted by a libuv handle. */
#ifndef CAIRN_NET_LISTEN_H
#define CAIRN_NET_LISTEN_H

#include <uv.h>

#include "base/err.h"

/* The backlog of every client listener. */
#define NET_LISTEN_BACKLOG 511

/* Resolves host (numeric port), binds with SO_REUSEADDR and listens. Returns
 * 0 with a non-blocking, close-on-exec socket in *fd_out, ERR_INVAL for an
 * address that does not resolve, or ERR_IO with the OS reason in eb. */
int net_listen_socket(const char *host, int port, int *fd_out, struct errbuf *eb);

/* Initializes listener on loop, adopts fd and starts accepting with cb.
 * Returns 0 with the bound port in *port, or a libuv error code: fd is then
 * closed, and the initialized handle is the caller's to uv_close. */
int net_listen_adopt(uv_loop_t *loop, uv_tcp_t *listener, int fd, uv_connection_cb cb, int *port);

#endif
