/* The latency floor for one replicated write on this machine: one fdatasync
 * of a small write into a preallocated file (what the WAL does), and one
 * TCP round trip over loopback. Prints median and p99 of each.
 *
 *   build/bench-latency_floor [DIR]     (DIR default /tmp; use the data disk)
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"

#define FLOOR_ROUNDS 2000
#define FLOOR_FILE_BYTES (64 << 20)

static int floor_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void floor_report(const char *what, uint64_t *ns, int n)
{
    qsort(ns, (size_t)n, sizeof ns[0], floor_cmp);
    printf("%-28s p50_us=%.1f p99_us=%.1f\n", what, (double)ns[n / 2] / 1e3,
           (double)ns[n * 99 / 100] / 1e3);
}

static void *floor_echo(void *arg)
{
    int fd = *(int *)arg;
    char b[64];
    for (;;) {
        ssize_t r = read(fd, b, sizeof b);
        if (r <= 0 || write(fd, b, (size_t)r) != r)
            break;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    static uint64_t ns[FLOOR_ROUNDS];
    char block[4096];
    memset(block, 'x', sizeof block);
    printf("command: build/bench-latency_floor %s\n", dir);
    /* Twice: into fallocated (unwritten) space, as a fresh WAL segment is,
     * and into space already written once. */
    for (int pass = 0; pass < 2; pass++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/cairn-latency-floor.%d", dir, getpid());
        int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || posix_fallocate(fd, 0, FLOOR_FILE_BYTES) != 0) {
            perror(path);
            return 1;
        }
        if (pass == 1)
            for (off_t off = 0; off < FLOOR_ROUNDS * 256; off += sizeof block)
                if (pwrite(fd, block, sizeof block, off) != sizeof block)
                    return 1;
        if (fsync(fd) != 0)
            return 1;
        for (int i = 0; i < FLOOR_ROUNDS; i++) {
            uint64_t t0 = clock_mono_ns();
            if (pwrite(fd, block, 256, (off_t)i * 256) != 256 || fdatasync(fd) != 0) {
                perror("write");
                return 1;
            }
            ns[i] = clock_mono_ns() - t0;
        }
        close(fd);
        unlink(path);
        floor_report(pass ? "fdatasync, written space" : "fdatasync, fallocated space", ns,
                     FLOOR_ROUNDS);
    }

    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &al) != 0) {
        perror("listen");
        return 1;
    }
    int c = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(c, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("connect");
        return 1;
    }
    int s = accept(ls, NULL, NULL);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    pthread_t th;
    pthread_create(&th, NULL, floor_echo, &s);
    char msg[64] = "ping";
    for (int i = 0; i < FLOOR_ROUNDS; i++) {
        uint64_t t0 = clock_mono_ns();
        if (write(c, msg, sizeof msg) != sizeof msg)
            return 1;
        size_t got = 0;
        while (got < sizeof msg) {
            ssize_t r = read(c, msg + got, sizeof msg - got);
            if (r <= 0)
                return 1;
            got += (size_t)r;
        }
        ns[i] = clock_mono_ns() - t0;
    }
    floor_report("loopback TCP round trip", ns, FLOOR_ROUNDS);
    close(c);
    pthread_join(th, NULL);
    return 0;
}
