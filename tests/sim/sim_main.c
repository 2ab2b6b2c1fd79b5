/* raft-sim: command line of the deterministic Raft cluster simulator. Runs N
 * seeded simulations (run i uses seed S+i), stops at the first violation and
 * prints a one-line summary last. See docs/simulation.md. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "sim.h"

#define SIM_STEPS_DEFAULT 40000

static void sim_usage(void)
{
    fprintf(stderr,
            "usage: raft-sim [--runs N] [--seed S] [--nodes K] [--steps M]\n"
            "                [--break commit-rule|vote-persistence|read-index]\n"
            "                [--expect-violation] [--verbose] [--trace N]\n"
            "  Run i uses seed S+i. Without --nodes, a run's size is 3, 5 or 7 by its seed.\n"
            "  --expect-violation: exit 0 only if a checker violation is found.\n");
}

static bool sim_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0' || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

static int sim_parse_break(const char *s, unsigned *bits)
{
    if (strcmp(s, "commit-rule") == 0)
        *bits = RAFT_BREAK_COMMIT_RULE;
    else if (strcmp(s, "vote-persistence") == 0)
        *bits = RAFT_BREAK_VOTE_PERSISTENCE;
    else if (strcmp(s, "read-index") == 0)
        *bits = RAFT_BREAK_READ_INDEX;
    else
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct sim_opts o = {
        .runs = 1, .seed = 1, .steps = SIM_STEPS_DEFAULT, .trace_len = SIM_TRACE_LEN_DEFAULT};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x;
        if (strcmp(a, "--runs") == 0 && sim_parse_u64(v, &o.runs)) {
            i++;
        } else if (strcmp(a, "--seed") == 0 && sim_parse_u64(v, &o.seed)) {
            i++;
        } else if (strcmp(a, "--steps") == 0 && sim_parse_u64(v, &o.steps)) {
            i++;
        } else if (strcmp(a, "--nodes") == 0 && sim_parse_u64(v, &x) && x >= 1 &&
                   x <= RAFT_VOTERS_MAX) {
            o.nodes = (unsigned)x;
            i++;
        } else if (strcmp(a, "--trace") == 0 && sim_parse_u64(v, &x) && x >= 1 &&
                   x <= SIM_TRACE_LEN_MAX) {
            o.trace_len = (uint32_t)x;
            i++;
        } else if (strcmp(a, "--break") == 0 && v && sim_parse_break(v, &o.breaks) == 0) {
            o.break_name = v;
            i++;
        } else if (strcmp(a, "--expect-violation") == 0) {
            o.expect_violation = true;
        } else if (strcmp(a, "--verbose") == 0) {
            o.verbose = true;
        } else {
            fprintf(stderr, "raft-sim: bad argument '%s'%s%s\n", a, v ? " " : "", v ? v : "");
            sim_usage();
            return 2;
        }
    }
    /* The core's own logging would drown the trace; CAIRN_LOG turns it on. */
    if (getenv("CAIRN_LOG") == NULL)
        log_set_level(LOG_OFF);

    struct sim_stats total = {0};
    uint64_t done = 0, violations = 0;
    for (uint64_t i = 0; i < o.runs; i++) {
        done++;
        if (sim_run_one(&o, i, o.seed + i, &total)) {
            violations++;
            break;
        }
    }
    printf("elections=%" PRIu64 " proposals=%" PRIu64 " acked=%" PRIu64 " reads=%" PRIu64
           " served=%" PRIu64 " conf_changes=%" PRIu64 " transfers=%" PRIu64 " snapshots=%" PRIu64
           " installs=%" PRIu64 " compactions=%" PRIu64 " quiet_phases=%" PRIu64
           " delivered=%" PRIu64 "\n",
           total.elections, total.proposals, total.acked, total.reads, total.reads_served,
           total.conf_changes, total.transfers, total.snapshots_sent, total.snapshots_installed,
           total.compactions, total.quiet_phases, total.delivered);
    uint64_t faults = total.drops + total.dups + total.long_delays + total.partitions +
                      total.crashes + total.snap_fails;
    printf("runs=%" PRIu64 " steps=%" PRIu64 " faults=%" PRIu64 " (drops=%" PRIu64 " dups=%" PRIu64
           " delays=%" PRIu64 " partitions=%" PRIu64 " oneway=%" PRIu64 " crashes=%" PRIu64
           " crashes_in_sync=%" PRIu64 " snap_fails=%" PRIu64 ") violations=%" PRIu64 "\n",
           done, total.steps, faults, total.drops, total.dups, total.long_delays, total.partitions,
           total.oneway, total.crashes, total.crashes_in_sync, total.snap_fails, violations);
    if (o.expect_violation) {
        if (violations == 0)
            fprintf(stderr, "raft-sim: expected a violation%s%s, found none\n",
                    o.break_name ? " with --break " : "", o.break_name ? o.break_name : "");
        return violations ? 0 : 1;
    }
    return violations ? 1 : 0;
}
