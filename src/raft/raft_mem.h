/* An in-memory raft_storage: a log and snapshot metadata held in RAM. For
 * unit tests and benchmarks of the core alone; nothing here is durable. */
#ifndef CAIRN_RAFT_MEM_H
#define CAIRN_RAFT_MEM_H

#include "raft/raft.h"

struct raft_mem {
    struct raft_snapshot_meta snap;
    struct raft_entry *ents; /* [snap.index + 1, snap.index + n]; data owned here */
    uint32_t n, cap;
    struct raft_hard_state hs;
};

/* An empty store (a node that will join), or with the bootstrap snapshot if
 * voters is not NULL. */
void raft_mem_init(struct raft_mem *m, const uint64_t *voters, uint32_t n_voters);
void raft_mem_free(struct raft_mem *m);
struct raft_storage raft_mem_storage(struct raft_mem *m);
/* Persists a ready's snapshot, entries and hard state (copies data). */
void raft_mem_persist(struct raft_mem *m, const struct raft_ready *rd);
/* Drops entries up to index (<= last), recording meta as the snapshot. */
void raft_mem_compact(struct raft_mem *m, const struct raft_snapshot_meta *meta);

#endif
