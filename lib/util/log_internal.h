/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* log_internal.h -- the UMF_LOG logger */
#ifndef UMF_LOG_INTERNAL_H
#define UMF_LOG_INTERNAL_H 1

#include <stdbool.h>

typedef enum utils_log_level_t {
    LOG_DEBUG_LEVEL,
    LOG_INFO_LEVEL,
    LOG_WARNING_LEVEL,
    LOG_ERROR_LEVEL,
    LOG_FATAL_LEVEL
} utils_log_level_t;

/* Parse UMF_LOG (called by umfInit; harmless to call again). */
void utils_log_init(void);

/* Would a message at this level be printed? Cheap; use it to skip work. */
bool utils_log_enabled(utils_log_level_t level);

/* Print one line "[... LEVEL UMF] func: msg". With_errno appends
 * ": strerror(errno)". Messages are cut at 8 KiB. FATAL always prints (to
 * stderr when UMF_LOG names no output). errno is preserved. */
void utils_log(utils_log_level_t level, bool with_errno, const char *func,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define LOG_DEBUG(...) utils_log(LOG_DEBUG_LEVEL, false, __func__, __VA_ARGS__)
#define LOG_INFO(...) utils_log(LOG_INFO_LEVEL, false, __func__, __VA_ARGS__)
#define LOG_WARN(...) utils_log(LOG_WARNING_LEVEL, false, __func__, __VA_ARGS__)
#define LOG_ERR(...) utils_log(LOG_ERROR_LEVEL, false, __func__, __VA_ARGS__)
#define LOG_FATAL(...) utils_log(LOG_FATAL_LEVEL, false, __func__, __VA_ARGS__)
/* The P variants append strerror(errno). */
#define LOG_PERR(...) utils_log(LOG_ERROR_LEVEL, true, __func__, __VA_ARGS__)
#define LOG_PWARN(...) utils_log(LOG_WARNING_LEVEL, true, __func__, __VA_ARGS__)

/* Argument check used by public entry points: log and return err when cond
 * is false. */
#define UMF_CHECK(cond, err)                                                   \
    do {                                                                       \
        if (UMF_UNLIKELY(!(cond))) {                                           \
            LOG_ERR("invalid argument: %s", #cond);                            \
            return err;                                                        \
        }                                                                      \
    } while (0)

/* fork(2): hold the log lock across fork (lib/core/fork.c) */
void utils_log_fork_prepare(void *arg);
void utils_log_fork_parent(void *arg);
void utils_log_fork_child(void *arg);

#endif /* UMF_LOG_INTERNAL_H */
