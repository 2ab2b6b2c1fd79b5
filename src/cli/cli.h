/* The client commands of the `cairn` binary: they talk to a node's HTTP API (docs/http-api.md).
 * src/main.c dispatches to these; each takes the arguments from the subcommand name on. */
#ifndef CAIRN_CLI_H
#define CAIRN_CLI_H

/* Process exit codes every entry point returns. */
#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1 /* the operation failed: cannot connect, server error, key not found */
#define CLI_EXIT_USAGE 2 /* bad arguments; nothing was sent */

/* Each reads argv[0..argc) with argv[0] the subcommand name ("status", "kv", ...), writes results
 * to stdout and one-line errors ("cairn: ...") to stderr, and returns an exit code above.
 * `--help` anywhere prints the command's usage to stdout and returns 0. The node address comes
 * from --addr, else the environment variable CAIRN_ADDR, else 127.0.0.1:7080.
 *
 *   cairn status [--addr HOST:PORT] [--json]
 *   cairn kv get KEY | put KEY VALUE | del KEY | ls [PREFIX]   (see `cairn kv --help`)
 *   cairn expel NODE
 *   cairn bench kv [--addr A[,B...]] [--concurrency C] [--duration S] ... */
int cli_status(int argc, char **argv);
int cli_kv(int argc, char **argv);
int cli_expel(int argc, char **argv);
int cli_bench(int argc, char **argv);

/* Lines for the top-level `cairn --help`: one per client command, each ending in '\n'. */
const char *cli_usage_summary(void);

#endif
