/* The cairn program: `cairn run` starts a node; the other subcommands are
 * clients of a running node's HTTP API. */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "cli/cli.h"
#include "node/config.h"
#include "node/node.h"

#define CAIRN_VERSION "0.1.0"

static void main_usage(FILE *f)
{
    fprintf(f,
            "usage: cairn <command> [flags]\n\n"
            "commands:\n"
            "  run                 start a node (a new single-node cluster by default)\n"
            "  status              show the cluster: nodes, roles, leader\n"
            "  kv get|put|del|ls   read and write keys\n"
            "  expel NODE          remove a node from the cluster for good\n"
            "  bench kv            generate load and report throughput and latency\n"
            "  version             print the version\n\n"
            "`cairn <command> --help` describes a command's flags.\n");
}

static int main_run(int argc, char **argv)
{
    struct node_config cfg;
    node_config_default(&cfg);
    struct errbuf eb = {{0}};
    bool help;
    if (node_config_load(&cfg, argc, argv, &help, &eb) != 0) {
        fprintf(stderr, "cairn run: %s\n", eb.msg);
        return 2;
    }
    if (help) {
        fputs(node_config_usage(), stdout);
        return 0;
    }
    return node_run(&cfg);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return main_run(argc - 2, argv + 2);
    if (strcmp(cmd, "status") == 0)
        return cli_status(argc - 1, argv + 1);
    if (strcmp(cmd, "kv") == 0)
        return cli_kv(argc - 1, argv + 1);
    if (strcmp(cmd, "expel") == 0)
        return cli_expel(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cli_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("cairn %s\n", CAIRN_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        main_usage(stdout);
        return 0;
    }
    fprintf(stderr, "cairn: unknown command \"%s\"\n\n", cmd);
    main_usage(stderr);
    return 2;
}
