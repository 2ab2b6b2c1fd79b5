/* Assertions that stay on in release builds: a crash with a message beats
 * silent corruption. User-caused errors are never asserts. */
#ifndef CAIRN_BASE_ASSERT_H
#define CAIRN_BASE_ASSERT_H

_Noreturn void assert_fail(const char *expr, const char *file, int line, const char *func);
_Noreturn void panic_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ASSERT(cond)                                                                               \
    ((cond) ? (void)0 : assert_fail(#cond, __FILE__, __LINE__, __func__))
#define PANIC(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)

/* Expensive checks run only in debug builds (CAIRN_DEBUG_CHECKS). */
#ifdef CAIRN_DEBUG_CHECKS
#define DEBUG_ASSERT(cond) ASSERT(cond)
#else
#define DEBUG_ASSERT(cond) ((void)0)
#endif

#endif
