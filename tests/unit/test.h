/* A tiny unit-test harness. Each test file defines TEST(name) functions; they
 * register themselves, and TEST_MAIN() runs them all and prints
 * "N passed, N failed". A failing CHECK reports file:line and fails the test. */
#ifndef CAIRN_TEST_H
#define CAIRN_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);

#define TEST_MAX 512
static struct {
    const char *name;
    test_fn fn;
} test_list[TEST_MAX];
static int test_count;
static int test_failed_now;

static inline void test_register(const char *name, test_fn fn)
{
    if (test_count == TEST_MAX) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    test_list[test_count].name = name;
    test_list[test_count].fn = fn;
    test_count++;
}

#define TEST(name)                                                                                 \
    static void test_##name(void);                                                                 \
    __attribute__((constructor)) static void test_register_##name(void)                            \
    {                                                                                              \
        test_register(#name, test_##name);                                                         \
    }                                                                                              \
    static void test_##name(void)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);            \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ(a, b)                                                                             \
    do {                                                                                           \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                           \
        if (a_ != b_) {                                                                            \
            fprintf(stderr, "  %s:%d: CHECK_EQ failed: %s == %" PRIu64 ", %s == %" PRIu64 "\n",    \
                    __FILE__, __LINE__, #a, a_, #b, b_);                                           \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (strcmp(a_, b_) != 0) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK_STR failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__,   \
                    a_, b_);                                                                       \
            test_failed_now = 1;                                                                   \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TEST_MAIN()                                                                                \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        int passed = 0, failed = 0;                                                                \
        for (int i = 0; i < test_count; i++) {                                                     \
            if (argc > 1 && strcmp(argv[1], test_list[i].name) != 0)                               \
                continue;                                                                          \
            test_failed_now = 0;                                                                   \
            test_list[i].fn();                                                                     \
            printf("%s %s\n", test_failed_now ? "FAIL" : "ok  ", test_list[i].name);               \
            if (test_failed_now)                                                                   \
                failed++;                                                                          \
            else                                                                                   \
                passed++;                                                                          \
        }                                                                                          \
        printf("%d passed, %d failed\n", passed, failed);                                          \
        return failed ? 1 : (passed ? 0 : 1);                                                      \
    }

#endif
