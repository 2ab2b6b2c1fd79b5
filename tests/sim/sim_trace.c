/* The run trace: a ring of the last events (deliveries, crashes, partitions,
 * role changes, commits...) kept as small records and formatted only when a
 * violation is reported or --verbose asks for every event. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/assert.h"
#include "sim.h"

void sim_trace_init(struct sim_trace *t, uint32_t len, bool verbose)
{
    ASSERT(len > 0 && len <= SIM_TRACE_LEN_MAX);
    t->ring = calloc(len, sizeof *t->ring);
    ASSERT(t->ring != NULL);
    t->len = len;
    t->n = 0;
    t->verbose = verbose;
}

void sim_trace_free(struct sim_trace *t)
{
    free(t->ring);
    t->ring = NULL;
}

void sim_trace_add(struct sim_trace *t, uint64_t at_us, uint8_t kind, uint8_t sub, uint64_t node,
                   uint64_t peer, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    struct sim_trace_rec *r = &t->ring[t->n % t->len];
    r->at_us = at_us;
    r->kind = kind;
    r->sub = sub;
    r->node = node;
    r->peer = peer;
    r->a = a;
    r->b = b;
    r->c = c;
    r->d = d;
    t->n++;
    if (t->verbose)
        sim_trace_print_rec(r);
}

static const char *sim_msg_name(int type)
{
    const char *s = raft_msg_type_name(type);
    return s ? s : "?";
}

static const char *const sim_role_names[] = {"follower", "pre-candidate", "candidate", "leader"};
static const char *const sim_conf_ops[] = {"?", "add-voter", "add-learner", "remove"};
static const char *const sim_partition_kinds[] = {"isolate", "split", "one-way", "link"};

void sim_trace_print_rec(const struct sim_trace_rec *r)
{
    printf("  %8" PRIu64 ".%03" PRIu64 "ms ", r->at_us / 1000, r->at_us % 1000);
    switch (r->kind) {
    case SIM_TR_DELIVER:
        printf("deliver %s %" PRIu64 "->%" PRIu64 " term=%" PRIu64 " index=%" PRIu64 " n=%" PRIu64
               " commit=%" PRIu64 "%s\n",
               sim_msg_name(r->sub), r->node, r->peer, r->a, r->b, r->c >> 1, r->d,
               (r->c & 1) ? " reject" : "");
        break;
    case SIM_TR_DROP:
        printf("drop    %s %" PRIu64 "->%" PRIu64 " term=%" PRIu64 " (%s)\n", sim_msg_name(r->sub),
               r->node, r->peer, r->a,
               r->b == 0   ? "random"
               : r->b == 1 ? "partition"
               : r->b == 2 ? "node down"
               : r->b == 3 ? "no such node"
                           : "sender crashed");
        break;
    case SIM_TR_CRASH:
        printf("crash   node %" PRIu64 "%s (durable term=%" PRIu64 " vote=%" PRIu64 " last=%" PRIu64
               ")\n",
               r->node, r->sub ? " during sync" : "", r->a, r->b, r->c);
        break;
    case SIM_TR_RESTART:
        printf("restart node %" PRIu64 " term=%" PRIu64 " vote=%" PRIu64 " snap=%" PRIu64
               " last=%" PRIu64 "\n",
               r->node, r->a, r->b, r->c, r->d);
        break;
    case SIM_TR_PARTITION:
        printf("partition %s: nodes 0x%" PRIx64 " | 0x%" PRIx64 "\n",
               sim_partition_kinds[r->sub < 4 ? r->sub : 0], r->a, r->b);
        break;
    case SIM_TR_HEAL:
        printf("heal    all links\n");
        break;
    case SIM_TR_ROLE:
        printf("role    node %" PRIu64 " -> %s term=%" PRIu64 " last=%" PRIu64 "\n", r->node,
               sim_role_names[r->sub < 4 ? r->sub : 0], r->a, r->b);
        break;
    case SIM_TR_COMMIT:
        printf("commit  node %" PRIu64 " commit=%" PRIu64 " term=%" PRIu64 "\n", r->node, r->a,
               r->b);
        break;
    case SIM_TR_PERSIST:
        printf("persist node %" PRIu64 " entries=[%" PRIu64 "..%" PRIu64 "] term=%" PRIu64
               " vote=%" PRIu64 "%s\n",
               r->node, r->a, r->b, r->c, r->d, r->sub ? " +snapshot" : "");
        break;
    case SIM_TR_PROPOSE:
        printf("propose node %" PRIu64 " seq=%" PRIu64 " -> index=%" PRIu64 " term=%" PRIu64
               " rc=%d\n",
               r->node, r->a, r->b, r->c, (int)(int64_t)r->d);
        break;
    case SIM_TR_ACK:
        printf("ack     node %" PRIu64 " seq=%" PRIu64 " index=%" PRIu64 "\n", r->node, r->a, r->b);
        break;
    case SIM_TR_CONF:
        printf("conf    leader %" PRIu64 " %s node %" PRIu64 " rc=%d index=%" PRIu64 "\n", r->node,
               sim_conf_ops[r->sub < 4 ? r->sub : 0], r->peer, (int)(int64_t)r->a, r->b);
        break;
    case SIM_TR_TRANSFER:
        printf("transfer leader %" PRIu64 " -> %" PRIu64 " rc=%d\n", r->node, r->peer,
               (int)(int64_t)r->a);
        break;
    case SIM_TR_READ:
        printf("read    node %" PRIu64 " ctx=%" PRIu64 " min_seq=%" PRIu64 " min_index=%" PRIu64
               " rc=%d\n",
               r->node, r->a, r->b, r->c, (int)(int64_t)r->d);
        break;
    case SIM_TR_READ_DONE:
        printf("read    node %" PRIu64 " ctx=%" PRIu64 " %s index=%" PRIu64 " value=%" PRIu64 "\n",
               r->node, r->a, r->sub ? "served" : "point", r->b, r->c);
        break;
    case SIM_TR_SNAP_SEND:
        printf("snapshot %" PRIu64 "->%" PRIu64 " index=%" PRIu64 " %s\n", r->node, r->peer, r->a,
               r->sub ? "failed" : "sent");
        break;
    case SIM_TR_SNAP_INSTALL:
        printf("install node %" PRIu64 " snapshot index=%" PRIu64 " term=%" PRIu64 "\n", r->node,
               r->a, r->b);
        break;
    case SIM_TR_COMPACT:
        printf("compact node %" PRIu64 " up to %" PRIu64 "\n", r->node, r->a);
        break;
    case SIM_TR_DECOMMISSION:
        printf("decommission node %" PRIu64 " (removal at index %" PRIu64 " applied)\n", r->node,
               r->a);
        break;
    case SIM_TR_PHASE:
        printf("phase   %s\n", r->sub == 0   ? "quiet: heal, restart all, no faults"
                               : r->sub == 1 ? "recovered"
                                             : "chaos");
        break;
    case SIM_TR_APPLY:
        printf("apply   node %" PRIu64 " entries=[%" PRIu64 "..%" PRIu64 "]%s\n", r->node, r->a,
               r->b, r->sub ? " (with a configuration change)" : "");
        break;
    default:
        printf("?\n");
    }
}

void sim_trace_dump(const struct sim_trace *t)
{
    uint64_t from = t->n > t->len ? t->n - t->len : 0;
    printf("last %" PRIu64 " events:\n", t->n - from);
    for (uint64_t i = from; i < t->n; i++)
        sim_trace_print_rec(&t->ring[i % t->len]);
}
