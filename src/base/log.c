/* Log line formatting; one fprintf per line so lines from threads don't mix. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_level log_level = LOG_INFO;
static int log_level_from_env_done;

static const char *const log_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

int log_parse_level(const char *s)
{
    static const char *const lower[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i <= LOG_OFF; i++)
        if (strcmp(s, lower[i]) == 0)
            return i;
    return -1;
}

void log_set_level(enum log_level level)
{
    log_level = level;
    log_level_from_env_done = 1;
}

enum log_level log_get_level(void)
{
    if (!log_level_from_env_done) {
        const char *env = getenv("CAIRN_LOG");
        int l = env ? log_parse_level(env) : -1;
        if (l >= 0)
            log_level = (enum log_level)l;
        log_level_from_env_done = 1;
    }
    return log_level;
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);

    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s: %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
            log_names[level], module, msg);
}
