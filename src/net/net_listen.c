/* Listening TCP sockets for the client protocols (net_listen.h). */
#include "net/net_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_listen_socket(const char *host, int port, int *fd_out, struct errbuf *eb)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int gai = getaddrinfo(host, portstr, &hints, &res);
    if (gai != 0 || res == NULL)
        return err_set(eb, ERR_INVAL, "cannot resolve listen address %s: %s", host,
                       gai_strerror(gai));
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return err_set(eb, ERR_IO, "socket: %s", strerror(errno));
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, NET_LISTEN_BACKLOG) != 0) {
        int e = errno;
        close(fd);
        freeaddrinfo(res);
        return err_set(eb, ERR_IO, "cannot listen on %s:%d: %s", host, port, strerror(e));
    }
    freeaddrinfo(res);
    *fd_out = fd;
    return 0;
}

int net_listen_adopt(uv_loop_t *loop, uv_tcp_t *listener, int fd, uv_connection_cb cb, int *port)
{
    uv_tcp_init(loop, listener);
    int rc = uv_tcp_open(listener, fd);
    if (rc != 0) {
        close(fd); /* not adopted by the handle */
        return rc;
    }
    rc = uv_listen((uv_stream_t *)listener, NET_LISTEN_BACKLOG, cb);
    if (rc != 0)
        return rc;
    struct sockaddr_storage ss;
    int len = sizeof ss;
    if (uv_tcp_getsockname(listener, (struct sockaddr *)&ss, &len) == 0)
        *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}
