/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_common.c -- scratch directory, patterns, findings, fd and mapping
 * counts for the fuzz targets */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

/* ASan builds can run a hook when a report ends the process. */
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_HAVE_DEATH_CALLBACK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_HAVE_DEATH_CALLBACK 1
#endif
#endif
#if FUZZ_HAVE_DEATH_CALLBACK
#include <sanitizer/common_interface_defs.h>
#endif

/* The pattern loops touch megabytes per input: ASan checks of pool memory
 * (never ASan's heap) and coverage of their comparisons only slow the
 * fuzzer down. */
#if defined(__clang__)
#define FUZZ_PLAIN_LOOP __attribute__((no_sanitize("address", "coverage")))
#endif
#ifndef FUZZ_PLAIN_LOOP
#define FUZZ_PLAIN_LOOP
#endif

static void (*death_hook)(void);
static void scratch_remove(void);

/* What a dying process removes: the target's objects, then the scratch
 * directory. */
static void on_death(void) {
    if (death_hook) {
        death_hook();
    }
    scratch_remove();
}

void fuzz_on_death(void (*hook)(void)) {
    death_hook = hook;
#if FUZZ_HAVE_DEATH_CALLBACK
    __sanitizer_set_death_callback(on_death);
#endif
}

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
               ...) {
    on_death();
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "\n==FINDING== %s:%d: %s: ", file, line, cond);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static char scratch[256];
static pid_t scratch_pid;

/* Remove the scratch directory and what the targets left in it (one
 * level: the targets make no subdirectories). Only the process that made
 * it removes it (a fork child inherits the atexit handler). */
static void scratch_remove(void) {
    if (!scratch[0] || scratch_pid != getpid()) {
        return;
    }
    DIR *d = opendir(scratch);
    if (d) {
        struct dirent *e;
        char path[512];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                snprintf(path, sizeof(path), "%s/%s", scratch, e->d_name) <
                    (int)sizeof(path)) {
                unlink(path);
            }
        }
        closedir(d);
    }
    rmdir(scratch);
}

const char *fuzz_scratch_dir(void) {
    if (scratch[0]) {
        return scratch;
    }
    const char *top = getenv("UMF_FUZZ_TMPDIR");
    if (!top || !*top) {
        top = getenv("TMPDIR");
    }
    if (!top || !*top) {
        top = "/tmp";
    }
    int n = snprintf(scratch, sizeof(scratch), "%s/umf-fuzz-%ld", top,
                     (long)getpid());
    FUZZ_CHECK(n > 0 && n < (int)sizeof(scratch), "scratch path too long");
    if (mkdir(scratch, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cannot make %s: %s\n", scratch, strerror(errno));
        abort();
    }
    scratch_pid = getpid();
    atexit(scratch_remove);
#if FUZZ_HAVE_DEATH_CALLBACK
    __sanitizer_set_death_callback(on_death);
#endif
    return scratch;
}

int fuzz_scratch_path(char *path, size_t cap, const char *name) {
    int n = snprintf(path, cap, "%s/%s", fuzz_scratch_dir(), name);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

FUZZ_PLAIN_LOOP static inline uint8_t pattern_byte(size_t i, uint32_t seed) {
    uint32_t x = (uint32_t)i * 0x9e3779b1u + seed;
    return (uint8_t)(x ^ (x >> 15));
}

/* Writes the pattern (w) or compares with it (r) at the bytes below limit
 * that a block of n bytes carries; the offset of the first mismatch, or
 * SIZE_MAX. A large block is sampled at a prime stride, a few bytes per
 * page at offsets that move from page to page. */
FUZZ_PLAIN_LOOP static size_t pattern_walk(uint8_t *w, const uint8_t *r,
                                           size_t n, size_t limit,
                                           uint32_t seed) {
    /* page faults dominate: a large block gets a sample every third page */
    size_t step = n <= FUZZ_FULL_CHECK ? 1 : 12289;
    size_t head = n <= FUZZ_FULL_CHECK ? n : 256;
    for (size_t i = 0; i < n && i < limit;) {
        uint8_t v = pattern_byte(i, seed);
        if (w) {
            w[i] = v;
        } else if (r[i] != v) {
            return i;
        }
        if (i < head || i >= n - head) {
            i++;
        } else {
            i = i + step < n - head ? i + step : n - head;
        }
    }
    return SIZE_MAX;
}

void fuzz_fill(void *p, size_t n, uint32_t seed) {
    pattern_walk(p, NULL, n, n, seed);
}

size_t fuzz_verify(const void *p, size_t n, uint32_t seed) {
    return pattern_walk(NULL, p, n, n, seed);
}

size_t fuzz_verify_prefix(const void *p, size_t n, size_t limit,
                          uint32_t seed) {
    return pattern_walk(NULL, p, n, limit, seed);
}

int fuzz_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    FUZZ_CHECK(d != NULL, "/proc/self/fd: %s", strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

int fuzz_count_mappings(const char *needle) {
    FILE *f = fopen("/proc/self/maps", "re");
    FUZZ_CHECK(f != NULL, "/proc/self/maps: %s", strerror(errno));
    char line[4096 + 256];
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        n += strstr(line, needle) != NULL;
    }
    fclose(f);
    return n;
}
