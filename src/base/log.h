/* Structured logging to stderr: one line per event,
 *   2026-11-21T12:00:00.123Z INFO  raft: became leader term=3 group=1
 * The level comes from CAIRN_LOG (debug, info, warn, error; default info). */
#ifndef CAIRN_BASE_LOG_H
#define CAIRN_BASE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "debug", "info", "warn", "error", "off"; returns -1 if unknown. */
int log_parse_level(const char *s);
void log_write(enum log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define LOG_AT(level, module, ...)                                                                 \
    do {                                                                                           \
        if ((level) >= log_get_level())                                                            \
            log_write((level), (module), __VA_ARGS__);                                             \
    } while (0)
#define LOGD(module, ...) LOG_AT(LOG_DEBUG, module, __VA_ARGS__)
#define LOGI(module, ...) LOG_AT(LOG_INFO, module, __VA_ARGS__)
#define LOGW(module, ...) LOG_AT(LOG_WARN, module, __VA_ARGS__)
#define LOGE(module, ...) LOG_AT(LOG_ERROR, module, __VA_ARGS__)

#endif
