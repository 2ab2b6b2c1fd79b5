/* Group configuration: voters and learners, single-server changes, and the
 * encoding of a change inside a RAFT_ENTRY_CONF entry. */
#include "raft/raft.h"

#include <string.h>

#include "base/codec.h"
#include "base/err.h"

static int raft_conf_find(const uint64_t *ids, uint32_t n, uint64_t id)
{
    for (uint32_t i = 0; i < n; i++)
        if (ids[i] == id)
            return (int)i;
    return -1;
}

bool raft_conf_is_voter(const struct raft_conf *c, uint64_t id)
{
    return raft_conf_find(c->voters, c->n_voters, id) >= 0;
}

bool raft_conf_is_learner(const struct raft_conf *c, uint64_t id)
{
    return raft_conf_find(c->learners, c->n_learners, id) >= 0;
}

static void raft_conf_remove_at(uint64_t *ids, uint32_t *n, int at)
{
    memmove(&ids[at], &ids[at + 1], (size_t)(*n - (uint32_t)at - 1) * sizeof ids[0]);
    (*n)--;
}

int raft_conf_apply(struct raft_conf *c, const struct raft_conf_change *cc)
{
    if (cc->node == RAFT_NONE)
        return ERR_INVAL;
    int v = raft_conf_find(c->voters, c->n_voters, cc->node);
    int l = raft_conf_find(c->learners, c->n_learners, cc->node);
    switch (cc->op) {
    case RAFT_CONF_ADD_VOTER:
        if (v >= 0)
            return ERR_INVAL;
        if (c->n_voters == RAFT_VOTERS_MAX)
            return ERR_INVAL;
        if (l < 0 && c->n_voters + c->n_learners == RAFT_MEMBERS_MAX)
            return ERR_INVAL;
        if (l >= 0)
            raft_conf_remove_at(c->learners, &c->n_learners, l);
        c->voters[c->n_voters++] = cc->node;
        return 0;
    case RAFT_CONF_ADD_LEARNER:
        if (v >= 0 || l >= 0)
            return ERR_INVAL;
        if (c->n_voters + c->n_learners == RAFT_MEMBERS_MAX)
            return ERR_INVAL;
        c->learners[c->n_learners++] = cc->node;
        return 0;
    case RAFT_CONF_REMOVE:
        if (v >= 0) {
            if (c->n_voters == 1)
                return ERR_INVAL; /* a group needs a voter */
            raft_conf_remove_at(c->voters, &c->n_voters, v);
            return 0;
        }
        if (l >= 0) {
            raft_conf_remove_at(c->learners, &c->n_learners, l);
            return 0;
        }
        return ERR_INVAL;
    }
    return ERR_INVAL;
}

void raft_conf_change_encode(const struct raft_conf_change *cc,
                             uint8_t out[RAFT_CONF_CHANGE_ENCODED_LEN])
{
    out[0] = cc->op;
    codec_put_u64(out + 1, cc->node);
}

int raft_conf_change_decode(const uint8_t *p, uint32_t len, struct raft_conf_change *cc)
{
    if (len != RAFT_CONF_CHANGE_ENCODED_LEN)
        return ERR_MALFORMED;
    cc->op = p[0];
    cc->node = codec_get_u64(p + 1);
    if (cc->op < RAFT_CONF_ADD_VOTER || cc->op > RAFT_CONF_REMOVE || cc->node == RAFT_NONE)
        return ERR_MALFORMED;
    return 0;
}
