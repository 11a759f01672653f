/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_options.c -- the UMF_PROXY environment variable: options separated
 * by ';', each name=value:
 *   pool=jemalloc|scalable|disjoint
 *   size.threshold=N          (bytes, decimal)
 *   page.disposition=shared-fd|shared-shm
 * The parser runs inside the library's constructor, before the pool
 * exists, so it allocates nothing: it reads the string in place and writes
 * its reports with write(2). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proxy/proxy_internal.h"

void proxy_report(const char *fmt, ...) {
    char line[512];
    int n = snprintf(line, sizeof(line), "libumf_proxy: ");
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2; /* truncated */
    }
    line[len++] = '\n';
    int saved = errno;
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w; /* nothing to do when stderr is closed */
    errno = saved;
}

/* Does the token [s, s+len) equal the string word? */
static bool token_is(const char *s, size_t len, const char *word) {
    return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* A decimal size of exactly len digits; false on anything else or
 * overflow. */
static bool parse_size(const char *s, size_t len, size_t *out) {
    if (len == 0) {
        return false;
    }
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        if (__builtin_mul_overflow(v, (size_t)10, &v) ||
            __builtin_add_overflow(v, (size_t)(s[i] - '0'), &v)) {
            return false;
        }
    }
    *out = v;
    return true;
}

/* Apply one name=value option; false when it is not understood. */
static bool apply_option(const char *opt, size_t len, proxy_options_t *opts) {
    const char *eq = memchr(opt, '=', len);
    if (!eq) {
        return false;
    }
    size_t nlen = (size_t)(eq - opt);
    const char *val = eq + 1;
    size_t vlen = len - nlen - 1;

    if (token_is(opt, nlen, "pool")) {
        if (token_is(val, vlen, "jemalloc")) {
            opts->pool = PROXY_POOL_JEMALLOC;
        } else if (token_is(val, vlen, "scalable")) {
            opts->pool = PROXY_POOL_SCALABLE;
        } else if (token_is(val, vlen, "disjoint")) {
            opts->pool = PROXY_POOL_DISJOINT;
        } else {
            return false;
        }
        return true;
    }
    if (token_is(opt, nlen, "size.threshold")) {
        return parse_size(val, vlen, &opts->threshold);
    }
    if (token_is(opt, nlen, "page.disposition")) {
        if (token_is(val, vlen, "shared-fd")) {
            opts->pages = PROXY_PAGES_SHARED_FD;
        } else if (token_is(val, vlen, "shared-shm")) {
            opts->pages = PROXY_PAGES_SHARED_SHM;
        } else {
            return false;
        }
        return true;
    }
    return false;
}

void proxy_options_parse(const char *value, proxy_options_t *opts) {
    opts->pool = PROXY_POOL_DEFAULT;
    opts->pages = PROXY_PAGES_PRIVATE;
    opts->threshold = 0;
    if (!value) {
        return;
    }
    const char *s = value;
    while (*s) {
        const char *end = strchr(s, ';');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (len > 0 && !apply_option(s, len, opts)) {
            proxy_report("UMF_PROXY: ignoring the option \"%.*s\" (known: "
                         "pool=jemalloc|scalable|disjoint, size.threshold=N, "
                         "page.disposition=shared-fd|shared-shm)",
                         (int)(len > 200 ? 200 : len), s);
        }
        s += len;
        if (*s == ';') {
            s++;
        }
    }
}
