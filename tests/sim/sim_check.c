/* The simulator's safety checker: global tables of everything any node ever
 * logged, committed, applied, voted for or led, and the Raft rules over them
 * (Raft paper, Figure 3). Also the hashing that fingerprints logs and states. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/assert.h"
#include "base/codec.h"
#include "sim.h"

#define SIM_FNV_OFFSET 0xcbf29ce484222325ull
#define SIM_FNV_PRIME  0x100000001b3ull

uint64_t sim_mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

uint64_t sim_hash_bytes(uint64_t h, const void *p, uint64_t len)
{
    const uint8_t *b = p;
    for (uint64_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= SIM_FNV_PRIME;
    }
    return h;
}

uint64_t sim_chain_next(uint64_t prev, const struct raft_entry *e)
{
    uint64_t h = sim_hash_bytes(SIM_FNV_OFFSET, e->data, e->len);
    h = sim_mix(h ^ sim_mix(e->term * 8 + e->type) ^ (sim_mix(e->index) * 3));
    uint64_t c = sim_mix(prev * 0x9e3779b97f4a7c15ull ^ h);
    return c ? c : 1; /* 0 means "unknown" in the tables */
}

bool sim_write_decode(const uint8_t *p, uint32_t len, uint64_t *seq)
{
    if (len < SIM_WRITE_HDR_BYTES || p[0] != SIM_WRITE_MAGIC)
        return false;
    if (len != SIM_WRITE_HDR_BYTES + (uint32_t)p[9])
        return false;
    *seq = codec_get_u64(p + 1);
    return true;
}

void sim_violation(struct sim_run *run, const char *rule, const char *fmt, ...)
{
    if (run->violated)
        return;
    run->violated = true;
    snprintf(run->rule, sizeof run->rule, "%s", rule);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->detail, sizeof run->detail, fmt, ap);
    va_end(ap);
}

static void *sim_grow(void *p, uint64_t old_n, uint64_t new_n, size_t size)
{
    uint8_t *q = realloc(p, new_n * size);
    ASSERT(q != NULL);
    memset(q + old_n * size, 0, (new_n - old_n) * size);
    return q;
}

static void sim_check_need_index(struct sim_check *c, uint64_t index)
{
    if (index < c->cap_index)
        return;
    uint64_t cap = c->cap_index ? c->cap_index : 1024;
    while (cap <= index)
        cap *= 2;
    c->committed_chain = sim_grow(c->committed_chain, c->cap_index, cap, sizeof(uint64_t));
    c->committed_term = sim_grow(c->committed_term, c->cap_index, cap, sizeof(uint64_t));
    c->applied_chain = sim_grow(c->applied_chain, c->cap_index, cap, sizeof(uint64_t));
    c->cap_index = cap;
}

static void sim_chain_map_grow(struct sim_chain_map *m)
{
    struct sim_chain_map old = *m;
    m->cap = old.cap ? old.cap * 2 : 4096;
    m->n = 0;
    m->keys_index = calloc(m->cap, sizeof(uint64_t));
    m->keys_term = calloc(m->cap, sizeof(uint64_t));
    m->vals = calloc(m->cap, sizeof(uint64_t));
    ASSERT(m->keys_index && m->keys_term && m->vals);
    for (uint64_t i = 0; i < old.cap; i++) {
        if (old.keys_index[i] == 0)
            continue;
        uint64_t h = sim_mix(old.keys_index[i] * 31 + old.keys_term[i]) & (m->cap - 1);
        while (m->keys_index[h] != 0)
            h = (h + 1) & (m->cap - 1);
        m->keys_index[h] = old.keys_index[i];
        m->keys_term[h] = old.keys_term[i];
        m->vals[h] = old.vals[i];
        m->n++;
    }
    free(old.keys_index);
    free(old.keys_term);
    free(old.vals);
}

/* Returns the slot of (index, term), inserting val if absent. */
static uint64_t sim_chain_map_get(struct sim_chain_map *m, uint64_t index, uint64_t term,
                                  uint64_t val)
{
    ASSERT(index != 0);
    if (2 * (m->n + 1) > m->cap)
        sim_chain_map_grow(m);
    uint64_t h = sim_mix(index * 31 + term) & (m->cap - 1);
    while (m->keys_index[h] != 0) {
        if (m->keys_index[h] == index && m->keys_term[h] == term)
            return h;
        h = (h + 1) & (m->cap - 1);
    }
    m->keys_index[h] = index;
    m->keys_term[h] = term;
    m->vals[h] = val;
    m->n++;
    return h;
}

void sim_check_init(struct sim_check *c)
{
    memset(c, 0, sizeof *c);
}

void sim_check_free(struct sim_check *c)
{
    free(c->chains.keys_index);
    free(c->chains.keys_term);
    free(c->chains.vals);
    free(c->committed_chain);
    free(c->committed_term);
    free(c->applied_chain);
    free(c->leader_of_term);
    for (int i = 0; i <= SIM_NODES_MAX; i++)
        free(c->vote_of[i]);
    memset(c, 0, sizeof *c);
}

/* Log Matching: "if two logs contain an entry with the same index and term,
 * then the logs are identical in all entries up through the given index". The
 * chain hash covers the whole prefix, so one comparison per entry suffices. */
void sim_check_chain(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                     uint64_t chain)
{
    if (index == 0)
        return;
    struct sim_chain_map *m = &run->check.chains;
    uint64_t slot = sim_chain_map_get(m, index, term, chain);
    if (m->vals[slot] != chain)
        sim_violation(run, "log-matching",
                      "node %llu has entry index=%llu term=%llu with a different prefix/content "
                      "(chain %016llx, seen elsewhere %016llx)",
                      (unsigned long long)node, (unsigned long long)index, (unsigned long long)term,
                      (unsigned long long)chain, (unsigned long long)m->vals[slot]);
}

bool sim_check_committed_at(const struct sim_check *c, uint64_t index, uint64_t *chain)
{
    if (index >= c->cap_index || c->committed_chain[index] == 0)
        return false;
    *chain = c->committed_chain[index];
    return true;
}

/* Once an entry is committed, no node may ever commit anything else at its
 * index: committed entries are never lost, across crashes included. */
void sim_check_committed(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                         uint64_t chain)
{
    if (index == 0)
        return;
    struct sim_check *c = &run->check;
    sim_check_chain(run, node, index, term, chain);
    sim_check_need_index(c, index);
    if (c->committed_chain[index] == 0) {
        c->committed_chain[index] = chain;
        c->committed_term[index] = term;
        if (index > c->max_committed)
            c->max_committed = index;
        return;
    }
    if (c->committed_chain[index] != chain)
        sim_violation(run, "committed-entry-lost",
                      "node %llu considers index=%llu term=%llu committed, but index %llu was "
                      "committed earlier with term=%llu and a different history",
                      (unsigned long long)node, (unsigned long long)index, (unsigned long long)term,
                      (unsigned long long)index, (unsigned long long)c->committed_term[index]);
}

/* State Machine Safety: "if a server has applied a log entry at a given index
 * to its state machine, no other server will ever apply a different log entry
 * for the same index". */
void sim_check_applied(struct sim_run *run, uint64_t node, uint64_t index, uint64_t term,
                       uint64_t chain)
{
    struct sim_check *c = &run->check;
    sim_check_need_index(c, index);
    if (c->applied_chain[index] == 0)
        c->applied_chain[index] = chain;
    else if (c->applied_chain[index] != chain)
        sim_violation(run, "state-machine-safety",
                      "node %llu applied index=%llu term=%llu, another node applied a different "
                      "entry (or history) at that index",
                      (unsigned long long)node, (unsigned long long)index,
                      (unsigned long long)term);
    sim_check_committed(run, node, index, term, chain);
}

static void sim_check_need_term(uint64_t **arr, uint64_t *cap, uint64_t term)
{
    if (term < *cap)
        return;
    uint64_t n = *cap ? *cap : 64;
    while (n <= term)
        n *= 2;
    *arr = sim_grow(*arr, *cap, n, sizeof(uint64_t));
    *cap = n;
}

/* Election Safety: "at most one leader can be elected in a given term". */
void sim_check_leader(struct sim_run *run, uint64_t node, uint64_t term)
{
    struct sim_check *c = &run->check;
    sim_check_need_term(&c->leader_of_term, &c->cap_term, term);
    if (c->leader_of_term[term] == 0)
        c->leader_of_term[term] = node;
    else if (c->leader_of_term[term] != node)
        sim_violation(run, "election-safety", "two leaders in term %llu: node %llu and node %llu",
                      (unsigned long long)term, (unsigned long long)c->leader_of_term[term],
                      (unsigned long long)node);
}

/* "Each server will vote for at most one candidate in a given term" - checked
 * on the granted vote replies a node actually sends. */
void sim_check_vote(struct sim_run *run, uint64_t voter, uint64_t term, uint64_t candidate)
{
    struct sim_check *c = &run->check;
    ASSERT(voter <= SIM_NODES_MAX);
    sim_check_need_term(&c->vote_of[voter], &c->cap_vote[voter], term);
    if (c->vote_of[voter][term] == 0)
        c->vote_of[voter][term] = candidate;
    else if (c->vote_of[voter][term] != candidate)
        sim_violation(run, "vote-once",
                      "node %llu granted its vote in term %llu to node %llu and to node %llu",
                      (unsigned long long)voter, (unsigned long long)term,
                      (unsigned long long)c->vote_of[voter][term], (unsigned long long)candidate);
}
