/* Benchmark of the state store's apply path: kv puts of a fixed value size,
 * handed to store_apply in batches of 1, 16 and 256 entries (one SQLite
 * transaction per batch), into a fresh database per batch size. Prints
 * applied commands per second, the CPU time (user + system) per command, and
 * the command line that produced them. On a busy machine the CPU figure is the
 * steadier one.
 *
 *   build/bench-store_apply [--count N] [--size BYTES] [--keys K] [--dir DIR] [--sync-full]
 *
 * Commands are encoded before the clock starts: this measures apply alone. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/assert.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/rng.h"
#include "model/kv/kv.h"
#include "store/store.h"

#define BENCH_BATCH_MAX 256

struct bench_opts {
    uint32_t count;
    uint32_t size;
    uint32_t keys;
    const char *dir;
    bool sync_full;
};

static void bench_usage(void)
{
    fprintf(stderr, "usage: bench-store_apply [--count N] [--size BYTES] [--keys K] [--dir DIR]"
                    " [--sync-full]\n");
    exit(2);
}

static void bench_remove_db(const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    char name[512];
    for (size_t i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

static uint64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Applies count puts in batches of batch; returns commands per second and
 * sets *cpu_ns to the CPU time per command. */
static double bench_run(const struct bench_opts *o, uint32_t batch, const struct buf *cmds,
                        double *cpu_ns)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench-store-%u.db", o->dir, batch);
    bench_remove_db(path);
    struct store_opts so;
    store_opts_default(&so);
    so.sync_full = o->sync_full;
    struct store *s;
    struct errbuf eb;
    if (store_open(path, &so, &s, &eb) != 0) {
        fprintf(stderr, "store_open %s: %s\n", path, eb.msg);
        exit(1);
    }
    static struct raft_entry ents[BENCH_BATCH_MAX];
    static struct store_result res[BENCH_BATCH_MAX];
    uint64_t t0 = clock_mono_ns(), c0 = bench_cpu_ns();
    for (uint32_t i = 0; i < o->count; i += batch) {
        uint32_t n = o->count - i < batch ? o->count - i : batch;
        for (uint32_t k = 0; k < n; k++) {
            const struct buf *c = &cmds[i + k];
            ents[k] = (struct raft_entry){.term = 1,
                                          .index = (uint64_t)i + k + 1,
                                          .type = RAFT_ENTRY_NORMAL,
                                          .len = (uint32_t)c->len,
                                          .data = c->data};
        }
        if (store_apply(s, ents, n, res, &eb) != 0) {
            fprintf(stderr, "store_apply: %s\n", eb.msg);
            exit(1);
        }
        for (uint32_t k = 0; k < n; k++)
            ASSERT(res[k].status == 0 && res[k].version == ents[k].index);
    }
    uint64_t t1 = clock_mono_ns(), c1 = bench_cpu_ns();
    ASSERT(store_applied_index(s) == o->count);
    *cpu_ns = (double)(c1 - c0) / o->count;
    store_close(s);
    bench_remove_db(path);
    return (double)o->count * 1e9 / (double)(t1 - t0);
}

int main(int argc, char **argv)
{
    struct bench_opts o = {.count = 200000, .size = 100, .keys = 100000, .dir = "/tmp"};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sync-full") == 0) {
            o.sync_full = true;
            continue;
        }
        if (i + 1 == argc)
            bench_usage();
        if (strcmp(argv[i], "--count") == 0)
            o.count = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--size") == 0)
            o.size = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--keys") == 0)
            o.keys = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0)
            o.dir = argv[++i];
        else
            bench_usage();
    }
    if (o.count == 0 || o.keys == 0 || o.size > KV_VALUE_BYTES_MAX)
        bench_usage();

    /* Puts to random keys of a fixed key space: early ones insert, later
     * ones mostly overwrite, as a steady workload would. */
    struct buf *cmds = calloc(o.count, sizeof *cmds);
    uint8_t *value = malloc(o.size ? o.size : 1);
    ASSERT(cmds != NULL && value != NULL);
    struct rng g;
    rng_seed(&g, 1);
    for (uint32_t i = 0; i < o.count; i++) {
        char key[32];
        int klen = snprintf(key, sizeof key, "key-%08" PRIu64, rng_below(&g, o.keys));
        for (uint32_t k = 0; k < o.size; k++)
            value[k] = (uint8_t)rng_next(&g);
        ASSERT(kv_encode_put(&cmds[i], key, (size_t)klen, value, o.size, NULL, NULL) == 0);
    }

    printf("command: %s", argv[0]);
    for (int i = 1; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\nstore apply: %u kv puts of %u-byte values over %u keys, synchronous=%s, dir %s\n",
           o.count, o.size, o.keys, o.sync_full ? "FULL" : "NORMAL", o.dir);
    static const uint32_t batches[] = {1, 16, 256};
    for (size_t b = 0; b < sizeof batches / sizeof batches[0]; b++) {
        double cpu_ns;
        double rate = bench_run(&o, batches[b], cmds, &cpu_ns);
        printf("batch %3u: %10.0f applied commands/s  %8.0f CPU ns/command\n", batches[b], rate,
               cpu_ns);
        fflush(stdout);
    }
    for (uint32_t i = 0; i < o.count; i++)
        buf_free(&cmds[i]);
    free(cmds);
    free(value);
    return 0;
}
