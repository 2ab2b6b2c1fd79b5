/* Unit tests for the CLI's argument handling: every bad command line exits 2 with a message and
 * sends nothing; --help exits 0. No server is needed: they fail before connecting. */
#include "test.h"

#include "cli/cli_int.h"

/* Runs a command with captured output. Returns the exit code; *out / *err hold what was written
 * (the caller frees them). */
typedef int (*run_fn)(const struct cli_io *, int, char **);

struct captured {
    char *out, *err;
    size_t out_len, err_len;
};

static int run(run_fn fn, struct captured *c, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    while (args[argc] != NULL) {
        argv[argc] = (char *)args[argc];
        argc++;
    }
    argv[argc] = NULL;
    struct cli_io io = {0};
    io.out = open_memstream(&c->out, &c->out_len);
    io.err = open_memstream(&c->err, &c->err_len);
    io.in = NULL;
    /* Port 1 on the loopback: never reached by these tests, which all fail earlier. */
    io.default_addr = "127.0.0.1:1";
    int ex = fn(&io, argc, argv);
    fclose(io.out);
    fclose(io.err);
    return ex;
}

static void captured_free(struct captured *c)
{
    free(c->out);
    free(c->err);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Expects exit 2, nothing on stdout, and `needle` in the one-line reason on stderr. */
static int usage_fails(run_fn fn, const char *const *args, const char *needle)
{
    struct captured c = {0};
    int ex = run(fn, &c, args);
    int ok = ex == CLI_EXIT_USAGE && c.out_len == 0 && strstr(c.err, needle) != NULL &&
             strstr(c.err, "usage: ") != NULL;
    if (!ok)
        fprintf(stderr, "  %s ...: exit %d, stderr: %s\n", args[0], ex, c.err);
    captured_free(&c);
    return ok;
}

TEST(kv_usage_errors)
{
    CHECK(usage_fails(cli_kv_run, ARGS("kv"), "expected a command"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "frob"), "unknown command \"frob\""));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get"), "expected KEY"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "a", "b"), "unexpected argument \"b\""));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--bogus"), "unknown option --bogus"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "-x"), "unknown option -x"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--addr"), "needs a value"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--json=yes"), "takes no value"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--addr", "nohost"), "bad address"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--addr=h:0"), "port must be"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--timeout", "0"), "--timeout"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "get", "k", "--timeout", "abc"), "--timeout"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "put", "k"), "expected KEY and VALUE"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "put", "k", "v", "--if-version", "abc"),
                      "--if-version must be"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "put", "k", "v", "--if-version", "-3"),
                      "--if-version must be"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "put", "k", "v", "--if-version", "3", "--if-absent"),
                      "exclude each other"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "del"), "expected KEY"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "del", "k", "--if-version", "1.5"),
                      "--if-version must be"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "ls", "a", "b"), "unexpected argument"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "ls", "--limit", "0"), "--limit must be"));
    CHECK(usage_fails(cli_kv_run, ARGS("kv", "ls", "--limit", "1001"), "--limit must be"));
}

TEST(other_usage_errors)
{
    CHECK(usage_fails(cli_status_run, ARGS("status", "extra"), "unexpected argument"));
    CHECK(usage_fails(cli_status_run, ARGS("status", "--addr", "[::1]"), "bad address"));
    CHECK(usage_fails(cli_expel_run, ARGS("expel"), "expected NODE"));
    CHECK(usage_fails(cli_expel_run, ARGS("expel", "a", "b"), "unexpected argument"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench"), "expected a workload"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "sql"), "unknown workload"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--read-ratio", "1.5"), "--read-ratio"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--read-ratio", "-0.1"), "--read-ratio"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--concurrency", "0"), "--concurrency"));
    CHECK(
        usage_fails(cli_bench_run, ARGS("bench", "kv", "--concurrency", "10001"), "--concurrency"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--duration", "-1"), "--duration"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--duration", "1s"), "--duration"));
    CHECK(
        usage_fails(cli_bench_run, ARGS("bench", "kv", "--value-size", "2000000"), "--value-size"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--keys", "0"), "--keys"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "--addr", "a:1,,b:2"), "bad address"));
    CHECK(usage_fails(cli_bench_run, ARGS("bench", "kv", "extra"), "unexpected argument"));
}

TEST(help_goes_to_stdout_and_exits_0)
{
    struct {
        run_fn fn;
        const char *const *args;
        const char *needle;
    } cases[] = {
        {cli_kv_run, ARGS("kv", "--help"), "cairn kv get|put|del|ls"},
        {cli_kv_run, ARGS("kv", "get", "--help"), "cairn kv get KEY"},
        {cli_kv_run, ARGS("kv", "put", "k", "-h"), "--if-absent"},
        {cli_kv_run, ARGS("kv", "ls", "--help", "--bogus"), "cairn kv ls"},
        {cli_status_run, ARGS("status", "--help"), "cairn status"},
        {cli_expel_run, ARGS("expel", "--help"), "cairn expel NODE"},
        {cli_bench_run, ARGS("bench", "--help"), "--read-ratio"},
        {cli_bench_run, ARGS("bench", "kv", "--help"), "--concurrency"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct captured c = {0};
        int ex = run(cases[i].fn, &c, cases[i].args);
        int ok = ex == CLI_EXIT_OK && c.err_len == 0 && strstr(c.out, "usage: ") != NULL &&
                 strstr(c.out, cases[i].needle) != NULL;
        captured_free(&c);
        CHECK(ok);
    }
}

TEST(options_after_double_dash_are_positional)
{
    struct cli_io io = {0};
    char *out, *err;
    size_t out_len, err_len;
    io.out = open_memstream(&out, &out_len);
    io.err = open_memstream(&err, &err_len);
    struct cli_usage u = {"t", "t", ""};
    int flag = 0;
    const char *val = NULL;
    struct cli_opt opts[] = {{"flag", NULL, NULL, &flag}, {"val", "V", &val, NULL}};
    char *argv[] = {"t", "--val", "1", "a", "--val=2", "-", "--", "--flag", "-z", NULL};
    char *pos[4];
    size_t n_pos;
    int rc = cli_args_parse(&io, &u, opts, 2, 9, argv, 1, pos, 4, &n_pos);
    fclose(io.out);
    fclose(io.err);
    free(out);
    free(err);
    CHECK_EQ(rc, CLI_ARGS_OK);
    CHECK_EQ(flag, 0);
    CHECK_STR(val, "2"); /* the last one wins */
    CHECK_EQ(n_pos, 4);
    CHECK_STR(pos[0], "a");
    CHECK_STR(pos[1], "-");
    CHECK_STR(pos[2], "--flag");
    CHECK_STR(pos[3], "-z");
}

TEST(number_parsing)
{
    uint64_t u;
    double d;
    CHECK_EQ(cli_parse_u64("0", 0, 10, &u), 0);
    CHECK_EQ(u, 0);
    CHECK_EQ(cli_parse_u64("18446744073709551615", 0, UINT64_MAX, &u), 0);
    CHECK_EQ(u, UINT64_MAX);
    CHECK_EQ(cli_parse_u64("18446744073709551616", 0, UINT64_MAX, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_u64("11", 0, 10, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_u64("", 0, 10, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_u64(" 1", 0, 10, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_u64("1 ", 0, 10, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_u64("+1", 0, 10, &u), ERR_INVAL);
    CHECK_EQ(cli_parse_double("0.25", 0, 1, &d), 0);
    CHECK(d == 0.25);
    CHECK_EQ(cli_parse_double(".5", 0, 1, &d), 0);
    CHECK(d == 0.5);
    CHECK_EQ(cli_parse_double("nan", 0, 1, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double("inf", 0, 1e300, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double("1e400", 0, 1e300, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double("0x10", 0, 100, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double(".", 0, 100, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double("1.2.3", 0, 100, &d), ERR_INVAL);
    CHECK_EQ(cli_parse_double("10", 0, 100, &d), 0);
    CHECK(d == 10);
    CHECK_EQ(cli_parse_double("1.5x", 0, 10, &d), ERR_INVAL);
}

TEST_MAIN()
