/* Benchmark of the Raft core alone: a 3-replica group over in-memory storage
 * and an in-process network, driven as fast as it will go. Prints committed
 * entries per second and the CPU cost per entry.
 *
 *   build/bench-raft_core [--entries N] [--size BYTES] [--batch B]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/assert.h"
#include "base/clock.h"
#include "raft/raft.h"
#include "raft/raft_mem.h"

#define BENCH_NODES 3
#define BENCH_QUEUE_MAX 4096

struct bench_node {
    struct raft *r;
    struct raft_mem mem;
    uint64_t applied;
};

/* A message in flight: the header plus one arena holding its entries' data,
 * as a transport would hold the encoded frame. */
struct bench_msg {
    struct raft_msg m;
    uint8_t *arena;
};

static struct bench_node bench_nodes[BENCH_NODES];
static struct bench_msg bench_q[BENCH_QUEUE_MAX];
static uint32_t bench_q_len;

static void bench_enqueue(const struct raft_msg *m)
{
    ASSERT(bench_q_len < BENCH_QUEUE_MAX);
    struct bench_msg *b = &bench_q[bench_q_len++];
    b->m = *m;
    b->arena = NULL;
    if (m->n_entries == 0) {
        b->m.entries = NULL;
        return;
    }
    size_t bytes = 0;
    for (uint32_t i = 0; i < m->n_entries; i++)
        bytes += m->entries[i].len;
    b->arena = malloc(m->n_entries * sizeof(struct raft_entry) + bytes);
    ASSERT(b->arena != NULL);
    struct raft_entry *ents = (struct raft_entry *)b->arena;
    uint8_t *p = b->arena + m->n_entries * sizeof(struct raft_entry);
    for (uint32_t i = 0; i < m->n_entries; i++) {
        ents[i] = m->entries[i];
        ents[i].data = p;
        memcpy(p, m->entries[i].data, m->entries[i].len);
        p += m->entries[i].len;
    }
    b->m.entries = ents;
}

static void bench_ready(struct bench_node *nd)
{
    struct raft_ready rd;
    raft_ready(nd->r, &rd);
    for (uint32_t i = 0; i < rd.n_msgs; i++)
        bench_enqueue(&rd.msgs[i]);
    raft_mem_persist(&nd->mem, &rd);
    for (uint32_t i = 0; i < rd.n_msgs_after_persist; i++)
        bench_enqueue(&rd.msgs_after_persist[i]);
    if (rd.n_committed)
        nd->applied = rd.committed[rd.n_committed - 1].index;
    raft_advance(nd->r, &rd);
    /* Keep memory flat: compact what every replica has applied. */
    if (nd->mem.n > 65536) {
        struct raft_snapshot_meta meta;
        ASSERT(raft_snapshot_meta(nd->r, &meta) == 0);
        if (meta.index > nd->mem.snap.index + 32768) {
            meta.index -= 32768;
            uint64_t t;
            struct raft_storage st = raft_mem_storage(&nd->mem);
            ASSERT(st.term(st.ctx, meta.index, &t) == 0);
            meta.term = t;
            raft_mem_compact(&nd->mem, &meta);
        }
    }
}

static void bench_pump(void)
{
    for (;;) {
        int moved = 0;
        for (int i = 0; i < BENCH_NODES; i++)
            if (raft_has_ready(bench_nodes[i].r)) {
                bench_ready(&bench_nodes[i]);
                moved = 1;
            }
        uint32_t n = bench_q_len;
        for (uint32_t k = 0; k < n; k++) {
            struct bench_msg *b = &bench_q[k];
            raft_step(bench_nodes[b->m.to - 1].r, &b->m);
            free(b->arena);
        }
        memmove(bench_q, bench_q + n, (bench_q_len - n) * sizeof bench_q[0]);
        bench_q_len -= n;
        if (n)
            moved = 1;
        if (!moved)
            return;
    }
}

static double bench_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    uint64_t entries = 2000000;
    uint32_t size = 64, batch = 256;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--entries") == 0)
            entries = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--size") == 0)
            size = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = (uint32_t)strtoul(argv[i + 1], NULL, 10);
    }
    uint64_t voters[BENCH_NODES] = {1, 2, 3};
    for (int i = 0; i < BENCH_NODES; i++) {
        struct raft_config cfg;
        raft_config_default(&cfg, (uint64_t)i + 1);
        raft_mem_init(&bench_nodes[i].mem, voters, BENCH_NODES);
        struct raft_storage st = raft_mem_storage(&bench_nodes[i].mem);
        ASSERT(raft_create(&cfg, &st, &bench_nodes[i].mem.hs, 1, &bench_nodes[i].r) == 0);
    }
    raft_campaign(bench_nodes[0].r);
    bench_pump();
    struct raft_status st;
    raft_status(bench_nodes[0].r, &st);
    ASSERT(st.role == RAFT_LEADER);

    uint8_t *payload = calloc(1, size);
    uint64_t first = 0, last = 0;
    double t0 = (double)clock_mono_ns() / 1e9, c0 = bench_cpu_seconds();
    for (uint64_t done = 0; done < entries; done += batch) {
        for (uint32_t k = 0; k < batch; k++) {
            memcpy(payload, &done, sizeof done < size ? sizeof done : size);
            ASSERT(raft_propose(bench_nodes[0].r, payload, size, &last) == 0);
            if (first == 0)
                first = last;
        }
        bench_pump();
    }
    double t1 = (double)clock_mono_ns() / 1e9, c1 = bench_cpu_seconds();
    for (int i = 0; i < BENCH_NODES; i++)
        ASSERT(bench_nodes[i].applied >= last);
    uint64_t n = last - first + 1;
    printf("command: build/bench-raft_core --entries %llu --size %u --batch %u\n",
           (unsigned long long)entries, size, batch);
    printf("replicas=3 entries=%llu entry_bytes=%u batch=%u\n", (unsigned long long)n, size,
           batch);
    printf("committed_entries_per_sec=%.0f wall_s=%.3f cpu_ns_per_entry=%.0f\n",
           (double)n / (t1 - t0), t1 - t0, (c1 - c0) * 1e9 / (double)n);
    for (int i = 0; i < BENCH_NODES; i++) {
        raft_destroy(bench_nodes[i].r);
        raft_mem_free(&bench_nodes[i].mem);
    }
    free(payload);
    return 0;
}
