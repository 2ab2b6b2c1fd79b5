/* The Raft core's view of its log: a durable prefix that lives in the driver's
 * storage, followed by an unstable tail that the core owns until the driver
 * has persisted it. Internal to src/raft. */
#ifndef CAIRN_RAFT_LOG_H
#define CAIRN_RAFT_LOG_H

#include "raft/raft.h"

struct raft_log {
    struct raft_storage st;

    /* Unstable tail: entries [offset, offset + n). offset is always the index
     * after the last durable entry, even when n == 0. Entry data is owned here. */
    struct raft_entry *ents;
    uint32_t n, cap;
    uint64_t offset;
    /* Entries [offset, hand_next) have been handed to the driver in the
     * outstanding ready; they become durable at raft_advance. */
    uint64_t hand_next;

    /* A snapshot received from the leader, not yet installed by the driver.
     * While set, the log is: this snapshot, then the unstable tail. */
    bool has_pending_snap;
    bool pending_snap_handed;
    struct raft_snapshot_meta pending_snap;

    uint64_t committed;
    uint64_t applied;  /* the driver has applied up to here */
    uint64_t applying; /* committed entries handed out up to here (>= applied) */

    /* Data of entries dropped while a ready may still point at them. */
    uint8_t **dead;
    uint32_t n_dead, cap_dead;
    bool ready_outstanding;
};

int raft_log_init(struct raft_log *l, const struct raft_storage *st);
void raft_log_free(struct raft_log *l);

uint64_t raft_log_first_index(const struct raft_log *l);
uint64_t raft_log_last_index(const struct raft_log *l);
/* Term at index; 0 with ERR_COMPACTED / ERR_UNAVAILABLE outside the log. */
int raft_log_term(const struct raft_log *l, uint64_t index, uint64_t *term);
uint64_t raft_log_last_term(const struct raft_log *l);
bool raft_log_match_term(const struct raft_log *l, uint64_t index, uint64_t term);
/* Is a log ending at (index, term) at least as up to date as ours? (§5.4.1) */
bool raft_log_is_up_to_date(const struct raft_log *l, uint64_t index, uint64_t term);

/* Appends a copy of entries at the end (their indexes must follow on). */
int raft_log_append(struct raft_log *l, const struct raft_entry *ents, uint32_t n);
/* Appends a new entry of our own: copies data. */
int raft_log_append_new(struct raft_log *l, uint64_t term, uint8_t type, const void *data,
                        uint32_t len, uint64_t *index);
/* Follower append (§5.3): entries follow (prev_index, prev_term), which
 * matched. Skips entries we already have, truncates at the first conflict and
 * appends the rest. Returns the index of the last new entry through *last_new.
 * ERR_CORRUPT if an entry conflicts with a committed one: a safety invariant
 * has been broken somewhere, and nothing was changed. */
int raft_log_maybe_append(struct raft_log *l, uint64_t prev_index, const struct raft_entry *ents,
                          uint32_t n, uint64_t *last_new);
/* Fast backtracking: the largest index <= index whose term is <= term, and that term. */
void raft_log_find_conflict_by_term(const struct raft_log *l, uint64_t index, uint64_t term,
                                    uint64_t *out_index, uint64_t *out_term);

/* Fills out[] with copies of the entry headers [lo, hi), at most max_bytes of
 * data (at least one entry). Data pointers stay valid until raft_advance.
 * *out is allocated here; the caller frees it. */
int raft_log_slice(struct raft_log *l, uint64_t lo, uint64_t hi, uint64_t max_bytes,
                   uint32_t max_n, struct raft_entry **out, uint32_t *n);

/* Replaces the log by a snapshot from the leader (follower side). */
void raft_log_restore(struct raft_log *l, const struct raft_snapshot_meta *meta);

/* Entries handed to the driver are durable: drop them from the tail. */
void raft_log_stable(struct raft_log *l);
void raft_log_free_dead(struct raft_log *l);

/* Index of the last durable entry. */
static inline uint64_t raft_log_stable_last(const struct raft_log *l)
{
    return l->offset - 1;
}

#endif
