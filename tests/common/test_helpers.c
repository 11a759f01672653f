/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_helpers.c -- small helpers shared by the Check programs */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_helpers.h"

int umf_test_run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    /* CK_NORMAL; CK_VERBOSITY=verbose lists every test (never silent: the
     * summary line must always be printed) */
    const char *v = getenv("CK_VERBOSITY");
    srunner_run_all(sr,
                    v && strcmp(v, "verbose") == 0 ? CK_VERBOSE : CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

void umf_test_skip(const char *why) {
    printf("SKIP: %s\n", why);
    fflush(stdout);
    exit(UMF_TEST_SKIP);
}

size_t umf_test_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        return (size_t)-1;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

size_t umf_test_count_mappings(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return (size_t)-1;
    }
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            n++;
        }
    }
    fclose(f);
    return n;
}

int umf_test_is_mapped(const void *addr, size_t len) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return 0;
    }
    uintptr_t a = (uintptr_t)addr;
    uintptr_t end = a + len;
    char line[512];
    int found = 0;
    /* adjacent mappings with the same access are merged into one range */
    uintptr_t covered_to = a;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char perms[8] = {0};
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) {
            continue;
        }
        if (perms[0] != 'r') {
            continue;
        }
        if (lo <= covered_to && hi > covered_to) {
            covered_to = hi;
            if (covered_to >= end) {
                found = 1;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

size_t umf_test_page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

typedef struct thread_start_t {
    pthread_barrier_t *barrier;
    void *(*fn)(void *);
    void *arg;
} thread_start_t;

static void *thread_trampoline(void *p) {
    thread_start_t *s = p;
    pthread_barrier_wait(s->barrier);
    return s->fn(s->arg);
}

int umf_test_run_threads(unsigned n, void *(*fn)(void *), void *args,
                         size_t elem_size) {
    pthread_t *tids = calloc(n, sizeof(*tids));
    thread_start_t *starts = calloc(n, sizeof(*starts));
    pthread_barrier_t barrier;
    int rc = 0;
    if (!tids || !starts) {
        free(tids);
        free(starts);
        return ENOMEM;
    }
    pthread_barrier_init(&barrier, NULL, n);
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        starts[i].barrier = &barrier;
        starts[i].fn = fn;
        starts[i].arg =
            args ? (char *)args + (size_t)i * elem_size : (void *)(uintptr_t)i;
        rc = pthread_create(&tids[i], NULL, thread_trampoline, &starts[i]);
        if (rc != 0) {
            break;
        }
        started++;
    }
    if (started != n) {
        /* the barrier can never open: nothing sensible to do but abort */
        fprintf(stderr, "pthread_create failed: %s\n", strerror(rc));
        abort();
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    pthread_barrier_destroy(&barrier);
    free(tids);
    free(starts);
    return rc;
}

uint64_t umf_test_rand(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static unsigned char pattern_byte(size_t i, unsigned seed) {
    return (unsigned char)((i * 31u + seed * 7u + (i >> 8)) & 0xff);
}

void umf_test_fill(void *buf, size_t len, unsigned seed) {
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        p[i] = pattern_byte(i, seed);
    }
}

int umf_test_verify(const void *buf, size_t len, unsigned seed) {
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != pattern_byte(i, seed)) {
            return 0;
        }
    }
    return 1;
}

int umf_test_all_bytes(const void *buf, size_t len, unsigned char c) {
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != c) {
            return 0;
        }
    }
    return 1;
}
