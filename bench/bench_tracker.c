/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_tracker.c -- make bench: umfPoolByPtr, the tracker's lookup
 * (issue 19, deliverable 1)
 *
 * (a) 10^5 live 64 B blocks of one disjoint pool with its defaults over
 *     the OS provider: lookups of the blocks' pointers in random order, and
 *     of interior pointers (base + 32), on 1 and 2 threads.
 * (b) The tracker at 10^2, 10^4 and 10^6 ranges: a proxy pool over the
 *     bench arena (bench_setup.h), so every allocation is one provider
 *     allocation and one tracked range and nothing else is tracked; the
 *     ranges' base pointers in random and in ascending address order, and
 *     interior pointers (base + 2 KiB) in random order, 1 and 2 threads.
 *
 * Every thread walks the same pointer array from its own starting point
 * (thread 1 half-way along), so the array reads are sequential and the
 * lookups are what is timed.  2-thread figures are wall time per lookup of
 * both threads together (total lookups / wall time).  Every lookup is
 * checked; the exit status only says whether each one found its pool.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>

#include "bench_harness.h"
#include "bench_setup.h"

#define DISJOINT_LIVE 100000
#define DISJOINT_SIZE 64
#define MAX_RANGES 1000000

typedef struct cursor_t {
    size_t pos;
    char pad[64 - sizeof(size_t)]; /* one cache line per thread */
} cursor_t;

typedef struct lookup_set_t {
    umf_memory_pool_handle_t pool; /* the pool every lookup must find */
    void **ptrs;                   /* the walk's order */
    size_t n;
    size_t offset; /* added to every pointer: 0, or an interior offset */
    cursor_t cur[2];
} lookup_set_t;

static void lookup_walk(void *arg, unsigned thread, size_t iters) {
    lookup_set_t *l = arg;
    size_t j = l->cur[thread].pos, misses = 0;

    for (size_t i = 0; i < iters; i++) {
        misses += umfPoolByPtr((char *)l->ptrs[j] + l->offset) != l->pool;
        if (++j == l->n) {
            j = 0;
        }
    }
    l->cur[thread].pos = j;
    if (misses) {
        bench_fail("umfPoolByPtr did not find the pool");
    }
}

static void shuffle(void **v, size_t n) {
    uint64_t seed = 0x9e3779b97f4a7c15ull;

    for (size_t i = n - 1; i > 0; i--) {
        size_t k = (size_t)(bench_rand(&seed) % (i + 1));
        void *t = v[i];
        v[i] = v[k];
        v[k] = t;
    }
}

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a;
    uintptr_t y = (uintptr_t) * (void *const *)b;
    return (x > y) - (x < y);
}

/* Measure `name` on 1 and 2 threads over the n pointers of order[]; the
 * 2-thread row shows its lookups/s against the 1-thread row's. */
static void run_pair(const char *name, umf_memory_pool_handle_t pool,
                     void **order, size_t n, size_t offset) {
    lookup_set_t l;
    int one, two;

    memset(&l, 0, sizeof(l));
    l.pool = pool;
    l.ptrs = order;
    l.n = n;
    l.offset = offset;
    l.cur[1].pos = n / 2;
    one = bench_run(name, lookup_walk, &l, 1);
    two = bench_run(name, lookup_walk, &l, 2);
    bench_compare(two, one, BENCH_RATIO_THROUGHPUT);
}

static void bench_disjoint_lookups(void) {
    umf_memory_pool_handle_t pool = bench_disjoint_pool(NULL);
    void **live = calloc(DISJOINT_LIVE, sizeof(*live));
    size_t n = 0;

    bench_section("(a) umfPoolByPtr, 10^5 live 64 B blocks of a disjoint pool "
                  "(defaults), random order");
    bench_note("issue 19, reference UMF 0.11.2: 23.3 ns (1 thread), 9.5 ns "
               "(2 threads)");
    if (pool == NULL || live == NULL) {
        bench_fail("cannot set up the disjoint pool lookups");
        goto out;
    }
    for (; n < DISJOINT_LIVE; n++) {
        live[n] = umfPoolMalloc(pool, DISJOINT_SIZE);
        if (live[n] == NULL) {
            bench_fail("umfPoolMalloc (disjoint, 64 B) failed");
            goto out;
        }
    }
    shuffle(live, n);
    run_pair("disjoint, random block pointers", pool, live, n, 0);
    run_pair("disjoint, random interior pointers (+32 B)", pool, live, n,
             DISJOINT_SIZE / 2);
out:
    for (size_t i = 0; i < n; i++) {
        if (umfPoolFree(pool, live[i]) != UMF_RESULT_SUCCESS) {
            bench_fail("umfPoolFree (disjoint) failed");
            break;
        }
    }
    if (pool != NULL) {
        umfPoolDestroy(pool);
    }
    free(live);
}

static void bench_tracker_sizes(void) {
    static const size_t counts[3] = {100, 10000, MAX_RANGES};
    static const char *const labels[3] = {"10^2", "10^4", "10^6"};
    umf_memory_pool_handle_t pool;
    void **live = calloc(MAX_RANGES, sizeof(*live));
    void **order = calloc(MAX_RANGES, sizeof(*order));
    size_t n = 0;
    char name[100];

    bench_section("(b) umfPoolByPtr by tracker size: one range per "
                  "allocation, proxy pool over the bench arena");
    pool = bench_arena_proxy_pool(MAX_RANGES);
    if (pool == NULL || live == NULL || order == NULL) {
        bench_fail("cannot set up the tracker-size lookups");
        goto out;
    }
    for (int c = 0; c < 3; c++) {
        for (; n < counts[c]; n++) {
            live[n] = umfPoolMalloc(pool, BENCH_ARENA_SLOT);
            if (live[n] == NULL) {
                bench_fail("umfPoolMalloc failed while filling the tracker");
                goto out;
            }
        }
        memcpy(order, live, n * sizeof(*order));
        qsort(order, n, sizeof(*order), cmp_ptr);
        snprintf(name, sizeof(name), "%s ranges, sequential (ascending)",
                 labels[c]);
        run_pair(name, pool, order, n, 0);
        shuffle(order, n);
        snprintf(name, sizeof(name), "%s ranges, random", labels[c]);
        run_pair(name, pool, order, n, 0);
        snprintf(name, sizeof(name), "%s ranges, random interior (+2 KiB)",
                 labels[c]);
        run_pair(name, pool, order, n, BENCH_ARENA_SLOT / 2);
    }
out:
    for (size_t i = 0; i < n; i++) {
        if (umfPoolFree(pool, live[i]) != UMF_RESULT_SUCCESS) {
            bench_fail("umfPoolFree failed while emptying the tracker");
            break;
        }
    }
    if (pool != NULL) {
        umfPoolDestroy(pool);
    }
    free(order);
    free(live);
}

int main(void) {
    printf("bench_tracker: umfPoolByPtr (issue 19)\n");
    if (bench_init() != 0) {
        return 2;
    }
    bench_disjoint_lookups();
    bench_tracker_sizes();
    bench_print_table();
    if (bench_failures()) {
        fprintf(stderr, "bench_tracker: some benchmarks did not run "
                        "correctly; see the messages above\n");
        return 1;
    }
    return 0;
}
