/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* log.c -- the UMF_LOG logger.
 *
 * UMF_LOG="level:debug;flush:error;output:stderr;timestamp:yes;pid:yes"
 * output is stdout, stderr or file,<path>; without it nothing but FATAL is
 * printed. Every formatting step is bounded (reference bug: long messages
 * corrupted memory). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log_internal.h"
#include "utils_internal.h"

#define LOG_MAX_MSG 8192

static struct {
    utils_log_level_t level;
    utils_log_level_t flush_level;
    bool timestamp;
    bool pid;
    FILE *out; /* NULL: logging off (FATAL still goes to stderr) */
    bool own_file;
} log_config = {LOG_ERROR_LEVEL, LOG_ERROR_LEVEL, false, false, NULL, false};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"DEBUG", "INFO", "WARNING", "ERROR",
                                          "FATAL"};

static bool parse_level(const char *v, size_t n, utils_log_level_t *out) {
    static const char *const names[] = {"debug", "info", "warning", "error",
                                        "fatal"};
    for (unsigned i = 0; i < UMF_ARRAY_SIZE(names); i++) {
        if (strlen(names[i]) == n && strncmp(v, names[i], n) == 0) {
            *out = (utils_log_level_t)i;
            return true;
        }
    }
    return false;
}

static bool parse_bool(const char *v, size_t n) {
    return n == 3 && strncmp(v, "yes", 3) == 0;
}

void utils_log_init(void) {
    const char *env = getenv("UMF_LOG");
    pthread_mutex_lock(&log_lock);
    if (log_config.own_file && log_config.out) {
        fclose(log_config.out);
    }
    log_config.level = LOG_ERROR_LEVEL;
    log_config.flush_level = LOG_ERROR_LEVEL;
    log_config.timestamp = false;
    log_config.pid = false;
    log_config.out = NULL;
    log_config.own_file = false;
    const char *p = env;
    while (p && *p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *colon = memchr(p, ':', len);
        if (colon) {
            size_t klen = (size_t)(colon - p);
            const char *v = colon + 1;
            size_t vlen = len - klen - 1;
            if (klen == 5 && !strncmp(p, "level", 5)) {
                parse_level(v, vlen, &log_config.level);
            } else if (klen == 5 && !strncmp(p, "flush", 5)) {
                parse_level(v, vlen, &log_config.flush_level);
            } else if (klen == 9 && !strncmp(p, "timestamp", 9)) {
                log_config.timestamp = parse_bool(v, vlen);
            } else if (klen == 3 && !strncmp(p, "pid", 3)) {
                log_config.pid = parse_bool(v, vlen);
            } else if (klen == 6 && !strncmp(p, "output", 6)) {
                if (vlen == 6 && !strncmp(v, "stdout", 6)) {
                    log_config.out = stdout;
                } else if (vlen == 6 && !strncmp(v, "stderr", 6)) {
                    log_config.out = stderr;
                } else if (vlen > 5 && !strncmp(v, "file,", 5)) {
                    char path[4096];
                    size_t plen = UMF_MIN(vlen - 5, sizeof(path) - 1);
                    memcpy(path, v + 5, plen);
                    path[plen] = '\0';
                    FILE *f = fopen(path, "a");
                    if (f) {
                        log_config.out = f;
                        log_config.own_file = true;
                    } else {
                        fprintf(stderr, "UMF: cannot open log file %s\n", path);
                    }
                }
            }
        }
        p = end ? end + 1 : NULL;
    }
    pthread_mutex_unlock(&log_lock);
}

bool utils_log_enabled(utils_log_level_t level) {
    return level == LOG_FATAL_LEVEL ||
           (log_config.out != NULL && level >= log_config.level);
}

void utils_log(utils_log_level_t level, bool with_errno, const char *func,
               const char *fmt, ...) {
    if (!utils_log_enabled(level)) {
        return;
    }
    int saved_errno = errno;
    char msg[LOG_MAX_MSG];
    size_t pos = 0;
    int n;

#define LOG_ADVANCE(n)                                                         \
    do {                                                                       \
        if ((n) > 0)                                                           \
            pos += UMF_MIN((size_t)(n), sizeof(msg) - 1 - pos);                \
    } while (0)

    n = snprintf(msg, sizeof(msg), "[");
    LOG_ADVANCE(n);
    if (log_config.timestamp) {
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        localtime_r(&ts.tv_sec, &tm);
        n = (int)strftime(msg + pos, sizeof(msg) - pos, "%Y-%m-%dT%H:%M:%S ",
                          &tm);
        LOG_ADVANCE(n);
    }
    if (log_config.pid) {
        n = snprintf(msg + pos, sizeof(msg) - pos, "PID:%d TID:%llu ",
                     (int)getpid(), (unsigned long long)utils_thread_id());
        LOG_ADVANCE(n);
    }
    n = snprintf(msg + pos, sizeof(msg) - pos,
                 "%s UMF] %s: ", level_names[level], func);
    LOG_ADVANCE(n);
    va_list ap;
    va_start(ap, fmt);
    n = vsnprintf(msg + pos, sizeof(msg) - pos, fmt, ap);
    va_end(ap);
    LOG_ADVANCE(n);
    if (with_errno) {
        char buf[256];
        const char *s = strerror_r(saved_errno, buf, sizeof(buf));
        n = snprintf(msg + pos, sizeof(msg) - pos, ": %s", s);
        LOG_ADVANCE(n);
    }
#undef LOG_ADVANCE

    pthread_mutex_lock(&log_lock);
    FILE *out = log_config.out ? log_config.out : stderr;
    fprintf(out, "%s\n", msg);
    if (level >= log_config.flush_level) {
        fflush(out);
    }
    pthread_mutex_unlock(&log_lock);
    errno = saved_errno;
}

/* fork(2): held across fork, released in both processes by the forking
 * thread (the child has that thread only) */
void utils_log_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&log_lock);
}

void utils_log_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&log_lock);
}

void utils_log_fork_child(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&log_lock);
}
