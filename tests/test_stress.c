/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_stress.c -- a 2-thread random-operation stress with cross-thread
 * frees and pattern-verified blocks, for every pool (issue 18 item 3).
 *
 * Each thread runs random operations on its own slots (malloc, calloc,
 * aligned malloc, realloc, usable size, free) and swaps blocks with the
 * other thread through a shared exchange array, so that about a third of
 * the frees are of blocks the other thread allocated. Every block carries
 * its size and a seed in its first 16 bytes and a pattern made from them
 * after; it is verified whenever it changes hands, is reallocated or is
 * freed. A pool that hands a block out twice, loses data in a realloc or
 * corrupts memory across threads fails the test.
 *
 * make check runs 100,000 operations per pool (both threads together);
 * `make check-stress` runs 10^7 (UMF_TEST_STRESS_OPS sets the number); the
 * proxy pool, one mmap per block, a tenth of that. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#include "pool_kinds.h"
#include "test_helpers.h"
#include "test_providers.h"

#define SLOTS 256
#define EXCHANGE 64
#define HDR 16 /* size and seed */
#define STRESS_OPS_SHORT 100000UL

typedef struct shared_t {
    umf_memory_pool_handle_t pool;
    bool has_calloc, has_realloc;
    void *exchange[EXCHANGE]; /* swapped atomically */
} shared_t;

typedef struct stress_thread_t {
    shared_t *sh;
    unsigned id;
    unsigned long ops;
    unsigned long cross_frees;
    unsigned long corrupt;
    unsigned long failed;
    char what[128];
} stress_thread_t;

/* The pattern: 8-byte words seed * (index + 1) (word-wise, so that a 10^7
 * run is bounded by the allocators, not by the checking), then the tail
 * bytes of the last word. */
static void pattern_fill(char *p, size_t len, uint64_t seed) {
    size_t w = len / 8;
    for (size_t i = 0; i < w; i++) {
        uint64_t v = seed * (i + 1);
        memcpy(p + 8 * i, &v, 8);
    }
    uint64_t v = seed * (w + 1);
    memcpy(p + 8 * w, &v, len % 8);
}

static bool pattern_check(const char *p, size_t len, uint64_t seed) {
    size_t w = len / 8;
    for (size_t i = 0; i < w; i++) {
        uint64_t v = seed * (i + 1), got;
        memcpy(&got, p + 8 * i, 8);
        if (got != v) {
            return false;
        }
    }
    uint64_t v = seed * (w + 1);
    return memcmp(p + 8 * w, &v, len % 8) == 0;
}

static void block_stamp(void *p, size_t size, uint64_t seed) {
    seed |= 1;
    memcpy(p, &size, sizeof(size));
    memcpy((char *)p + 8, &seed, sizeof(seed));
    pattern_fill((char *)p + HDR, size - HDR, seed);
}

/* Returns the block's size, or 0 when it does not hold its pattern. */
static size_t block_check(const void *p) {
    size_t size;
    uint64_t seed;
    memcpy(&size, p, sizeof(size));
    memcpy(&seed, (const char *)p + 8, sizeof(seed));
    if (size < HDR || size > (8u << 20)) {
        return 0;
    }
    return pattern_check((const char *)p + HDR, size - HDR, seed) ? size : 0;
}

static size_t draw_size(uint64_t *rng) {
    unsigned k = umf_test_rand(rng) % 64;
    if (k < 52) {
        return HDR + umf_test_rand(rng) % 512;
    }
    if (k < 63) {
        return HDR + umf_test_rand(rng) % (16 * 1024);
    }
    return HDR + umf_test_rand(rng) % (256 * 1024);
}

static void bad(stress_thread_t *t, const char *what, unsigned long *ctr) {
    if ((*ctr)++ == 0 && !t->what[0]) {
        snprintf(t->what, sizeof(t->what), "thread %u op %lu: %s", t->id,
                 t->ops, what);
    }
}

static void release(stress_thread_t *t, void *p) {
    if (!block_check(p)) {
        bad(t, "a block lost its pattern", &t->corrupt);
    }
    if (umfPoolFree(t->sh->pool, p) != UMF_RESULT_SUCCESS) {
        bad(t, "umfPoolFree failed", &t->failed);
    }
}

static void *stress_main(void *arg) {
    stress_thread_t *t = arg;
    shared_t *sh = t->sh;
    void *slot[SLOTS] = {0};
    uint64_t rng = 0x1234567ull + t->id * 0x9e3779b97f4a7c15ull;
    unsigned long n = t->ops;
    t->ops = 0;
    for (; t->ops < n; t->ops++) {
        unsigned i = umf_test_rand(&rng) % SLOTS;
        unsigned op = umf_test_rand(&rng) % 16;
        void *p = slot[i];
        if (!p) {
            size_t size = draw_size(&rng);
            if (op < 2 && sh->has_calloc) {
                p = umfPoolCalloc(sh->pool, 1, size);
                if (p && !umf_test_all_bytes(p, size, 0)) {
                    bad(t, "calloc gave memory that is not zero", &t->corrupt);
                }
            } else if (op < 4) {
                p = umfPoolAlignedMalloc(sh->pool, size, 64 << (op % 4));
                if (p && ((uintptr_t)p & 63)) {
                    bad(t, "a misaligned block", &t->corrupt);
                }
            } else {
                p = umfPoolMalloc(sh->pool, size);
            }
            if (!p) {
                bad(t, "an allocation failed", &t->failed);
                continue;
            }
            block_stamp(p, size, umf_test_rand(&rng));
            slot[i] = p;
            continue;
        }
        size_t size = block_check(p);
        if (!size) {
            bad(t, "a block lost its pattern", &t->corrupt);
            slot[i] = NULL; /* do not hand corrupt memory back */
            continue;
        }
        if (op < 5) { /* hand it to the other thread, take one back */
            unsigned x = umf_test_rand(&rng) % EXCHANGE;
            void *got =
                __atomic_exchange_n(&sh->exchange[x], p, __ATOMIC_ACQ_REL);
            slot[i] = NULL;
            if (got) {
                t->cross_frees++;
                release(t, got);
            }
        } else if (op < 8 && sh->has_realloc) {
            size_t ns = draw_size(&rng);
            void *np = umfPoolRealloc(sh->pool, p, ns);
            if (!np) {
                bad(t, "realloc failed", &t->failed);
                continue;
            }
            /* the first min(size, ns) bytes moved: check what survives */
            size_t keep = ns < size ? ns : size;
            uint64_t seed;
            memcpy(&seed, (char *)np + 8, sizeof(seed));
            if (!pattern_check((char *)np + HDR, keep - HDR, seed)) {
                bad(t, "realloc lost data", &t->corrupt);
            }
            block_stamp(np, ns, umf_test_rand(&rng));
            slot[i] = np;
        } else if (op < 9 && sh->has_realloc) {
            if (umfPoolMallocUsableSize(sh->pool, p) < size) {
                bad(t, "usable size below the request", &t->corrupt);
            }
        } else {
            release(t, p);
            slot[i] = NULL;
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (slot[i]) {
            release(t, slot[i]);
        }
    }
    return NULL;
}

static void stress_pool(const char *kind) {
    const char *env = getenv("UMF_TEST_STRESS_OPS");
    unsigned long total =
        env && atol(env) > 0 ? (unsigned long)atol(env) : STRESS_OPS_SHORT;
    if (strcmp(kind, "proxy") == 0) {
        total /= 10; /* an mmap and a munmap per block: the kernel's work */
    }
    total /= pool_kind_slowdown();
    umf_memory_provider_handle_t prov = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(prov);
    static shared_t sh;
    memset(&sh, 0, sizeof(sh));
    umf_result_t r = pool_kind_create(kind, prov, 0, &sh.pool);
    if (pool_kind_unavailable(r)) {
        umfMemoryProviderDestroy(prov);
        printf("SKIP %s: the pool is not available here\n", kind);
        return;
    }
    ck_assert_int_eq(r, UMF_RESULT_SUCCESS);
    /* what the pool documents as unsupported is not exercised */
    void *c = umfPoolCalloc(sh.pool, 1, 64);
    sh.has_calloc = c != NULL;
    umfPoolFree(sh.pool, c);
    void *m = umfPoolMalloc(sh.pool, 64);
    ck_assert_ptr_nonnull(m);
    void *rm = umfPoolRealloc(sh.pool, m, 128);
    sh.has_realloc = rm != NULL;
    umfPoolFree(sh.pool, rm ? rm : m);

    stress_thread_t t[2];
    memset(t, 0, sizeof(t));
    for (unsigned i = 0; i < 2; i++) {
        t[i].sh = &sh;
        t[i].id = i;
        t[i].ops = total / 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(umf_test_run_threads(2, stress_main, t, sizeof(t[0])), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    stress_thread_t drain = {.sh = &sh, .id = 2};
    for (unsigned x = 0; x < EXCHANGE; x++) {
        if (sh.exchange[x]) {
            release(&drain, sh.exchange[x]);
        }
    }
    umfPoolDestroy(sh.pool);
    umfMemoryProviderDestroy(prov);
    double secs = (double)(t1.tv_sec - t0.tv_sec) +
                  (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("stress %s: %lu ops, %lu cross-thread frees, %lu corrupt, "
           "%lu failed, %.2f s\n",
           kind, t[0].ops + t[1].ops, t[0].cross_frees + t[1].cross_frees,
           t[0].corrupt + t[1].corrupt + drain.corrupt,
           t[0].failed + t[1].failed + drain.failed, secs);
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_msg(!t[i].corrupt && !t[i].failed, "%s: %s", kind, t[i].what);
    }
    ck_assert_msg(!drain.corrupt && !drain.failed, "%s: %s", kind, drain.what);
}

START_TEST(test_stress_disjoint) { stress_pool("disjoint"); }
END_TEST

START_TEST(test_stress_jemalloc) { stress_pool("jemalloc"); }
END_TEST

START_TEST(test_stress_scalable) { stress_pool("scalable"); }
END_TEST

START_TEST(test_stress_proxy) { stress_pool("proxy"); }
END_TEST

static Suite *stress_suite(void) {
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("2 threads, cross-thread frees, verified");
    tcase_set_timeout(tc, 3600); /* the 10^7 run of make check-stress */
    tcase_add_test(tc, test_stress_disjoint);
    tcase_add_test(tc, test_stress_jemalloc);
    tcase_add_test(tc, test_stress_scalable);
    tcase_add_test(tc, test_stress_proxy);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, stress_suite, NULL);
}
