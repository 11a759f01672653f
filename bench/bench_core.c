/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_core.c -- make bench: allocation cost, umfPoolByPtr, umfFree
 *
 * (a) malloc+free pairs of 4 KiB: a proxy pool over the OS provider (one
 *     mmap and munmap per pair) against glibc, jemalloc (mallocx/dallocx
 *     without the thread cache) and tbbmalloc (scalable_malloc/free); the
 *     two are loaded with dlopen, so neither is needed to build this.
 * (b) umfPoolByPtr on a live pointer with 1, 1,000 and 100,000 live
 *     allocations in the tracker, on 1 and 2 threads, looking up one pointer
 *     over and over or cycling through 1,024 pointers in shuffled order.
 *     100,000 OS-provider allocations would be 100,000 mappings (near
 *     vm.max_map_count), so the allocations come from a proxy pool over
 *     "bench arena", a trivial provider (bench_setup.c) that hands out 4 KiB
 *     slots of one big mapping; each allocation is still its own tracked
 *     range.  A control loop that shares nothing runs on 1 and 2 threads
 *     too: its scaling shows what the machine could give at the time.
 * (c) umfFree against umfPoolFree in alloc+free pairs, proxy pool over the
 *     bench arena and over the fixed provider.
 *
 * Memory is never touched, so only the allocators' own work is timed.
 * The figures are printed, never judged: the exit status only says whether
 * the benchmarks could run.
 */

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_harness.h"
#include "bench_setup.h"

#define ALLOC_SIZE 4096
#define CYCLE_PTRS 1024
#define MAX_LIVE 100000

/* jemalloc's MALLOCX_TCACHE(tc) is ((tc) + 2) << 8, and MALLOCX_TCACHE_NONE
 * is MALLOCX_TCACHE(-1); spelled out so jemalloc's header is not needed. */
#define BENCH_MALLOCX_TCACHE_NONE (1 << 8)

/* Keep the compiler from proving a pointer unused and dropping the
 * malloc/free pair around it. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

/* ---- (a) malloc+free pairs ---- */

static void glibc_pairs(void *arg, unsigned thread, size_t iters) {
    (void)arg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = malloc(ALLOC_SIZE);
        ESCAPE(p);
        free(p);
    }
}

/* Pairs on a pool: umfPoolMalloc then umfPoolFree. */
static void pool_pairs(void *arg, unsigned thread, size_t iters) {
    umf_memory_pool_handle_t pool = arg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = umfPoolMalloc(pool, ALLOC_SIZE);
        if (p == NULL) {
            bench_fail("umfPoolMalloc returned NULL");
            return;
        }
        if (umfPoolFree(pool, p) != UMF_RESULT_SUCCESS) {
            bench_fail("umfPoolFree failed");
            return;
        }
    }
}

/* Pairs on a pool: umfPoolMalloc then umfFree, which finds the pool
 * through the tracker. */
static void pool_pairs_umffree(void *arg, unsigned thread, size_t iters) {
    umf_memory_pool_handle_t pool = arg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = umfPoolMalloc(pool, ALLOC_SIZE);
        if (p == NULL) {
            bench_fail("umfPoolMalloc returned NULL");
            return;
        }
        if (umfFree(p) != UMF_RESULT_SUCCESS) {
            bench_fail("umfFree failed");
            return;
        }
    }
}

typedef struct dl_alloc_t {
    void *(*mallocx)(size_t, int);
    void (*dallocx)(void *, int);
    void *(*scalable_malloc)(size_t);
    void (*scalable_free)(void *);
} dl_alloc_t;

static void jemalloc_pairs(void *arg, unsigned thread, size_t iters) {
    const dl_alloc_t *d = arg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = d->mallocx(ALLOC_SIZE, BENCH_MALLOCX_TCACHE_NONE);
        ESCAPE(p);
        d->dallocx(p, BENCH_MALLOCX_TCACHE_NONE);
    }
}

static void tbb_pairs(void *arg, unsigned thread, size_t iters) {
    const dl_alloc_t *d = arg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = d->scalable_malloc(ALLOC_SIZE);
        ESCAPE(p);
        d->scalable_free(p);
    }
}

/* dlopen `soname` and look up two functions; on failure say why in
 * `reason`.  The handle is kept open for the life of the process. */
static int dl_open2(const char *soname, const char *f1, void **p1,
                    const char *f2, void **p2, char *reason, size_t len) {
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    const char *err;

    if (h == NULL) {
        err = dlerror();
        snprintf(reason, len, "%s", err ? err : "dlopen failed");
        return -1;
    }
    *p1 = dlsym(h, f1);
    *p2 = dlsym(h, f2);
    if (*p1 == NULL || *p2 == NULL) {
        snprintf(reason, len, "%s lacks %s or %s", soname, f1, f2);
        return -1;
    }
    return 0;
}

static void bench_alloc_pairs(void) {
    umf_memory_pool_handle_t pool;
    dl_alloc_t d;
    char reason[200];
    int base, idx;
    void *p1, *p2;

    memset(&d, 0, sizeof(d));
    bench_section("(a) malloc+free pairs of 4 KiB, 1 thread");
    base = bench_run("glibc malloc/free", glibc_pairs, NULL, 1);

    pool = bench_os_proxy_pool();
    if (pool == NULL) {
        bench_fail("cannot create a proxy pool over the OS provider");
        return;
    }
    idx = bench_run("proxy pool over OS provider (mmap/munmap)", pool_pairs,
                    pool, 1);
    bench_compare(idx, base, BENCH_RATIO_TIME);
    umfPoolDestroy(pool);

    if (dl_open2("libjemalloc.so.2", "mallocx", &p1, "dallocx", &p2, reason,
                 sizeof(reason)) == 0) {
        d.mallocx = (void *(*)(size_t, int))p1;
        d.dallocx = (void (*)(void *, int))p2;
        idx = bench_run("jemalloc mallocx/dallocx, TCACHE_NONE", jemalloc_pairs,
                        &d, 1);
        bench_compare(idx, base, BENCH_RATIO_TIME);
    } else {
        bench_unavailable("jemalloc", reason);
    }

    if (dl_open2("libtbbmalloc.so.2", "scalable_malloc", &p1, "scalable_free",
                 &p2, reason, sizeof(reason)) == 0) {
        d.scalable_malloc = (void *(*)(size_t))p1;
        d.scalable_free = (void (*)(void *))p2;
        idx = bench_run("tbbmalloc scalable_malloc/scalable_free", tbb_pairs,
                        &d, 1);
        bench_compare(idx, base, BENCH_RATIO_TIME);
    } else {
        bench_unavailable("tbbmalloc", reason);
    }
}

/* ---- (b) umfPoolByPtr ---- */

typedef struct lookup_arg_t {
    umf_memory_pool_handle_t pool;
    void *same;              /* one live allocation */
    void *cycle[CYCLE_PTRS]; /* pointers into live allocations */
} lookup_arg_t;

static void lookup_same(void *arg, unsigned thread, size_t iters) {
    const lookup_arg_t *l = arg;
    size_t misses = 0;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        misses += umfPoolByPtr(l->same) != l->pool;
    }
    if (misses) {
        bench_fail("umfPoolByPtr did not find the pool");
    }
}

static void lookup_cycle(void *arg, unsigned thread, size_t iters) {
    const lookup_arg_t *l = arg;
    /* Threads start half a cycle apart, so they do not walk in step. */
    size_t j = thread * (CYCLE_PTRS / 2), misses = 0;
    for (size_t i = 0; i < iters; i++) {
        misses += umfPoolByPtr(l->cycle[j]) != l->pool;
        j = (j + 1) % CYCLE_PTRS;
    }
    if (misses) {
        bench_fail("umfPoolByPtr did not find the pool");
    }
}

/* The control for the 2-thread figures: work that shares nothing, so its
 * scaling is what the machine can give at the moment (other load, SMT,
 * frequency) and the library's own scaling can be read against it. */
static void control_work(void *arg, unsigned thread, size_t iters) {
    uint64_t x = 0x2545f4914f6cdd1dull + thread;
    (void)arg;
    for (size_t i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        ESCAPE(x);
    }
}

/* Point the lookup targets at live allocations [0, live): the same-pointer
 * target is the middle one; the cycle holds 1,024 pointers spread evenly
 * over the allocations in shuffled order (interior pointers, several per
 * allocation, when fewer than 1,024 are live). */
static void set_targets(lookup_arg_t *l, void **live, size_t n) {
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    size_t i;

    l->same = live[n / 2];
    for (i = 0; i < CYCLE_PTRS; i++) {
        l->cycle[i] = (unsigned char *)live[i * n / CYCLE_PTRS] + (i % 64) * 64;
    }
    for (i = CYCLE_PTRS - 1; i > 0; i--) {
        size_t k = (size_t)(bench_rand(&seed) % (i + 1));
        void *t = l->cycle[i];
        l->cycle[i] = l->cycle[k];
        l->cycle[k] = t;
    }
}

typedef struct lookup_ids_t {
    int one_thread, two_threads;
} lookup_ids_t;

static void bench_control(lookup_ids_t *control) {
    control->one_thread =
        bench_run("control: xorshift loop, no libumf", control_work, NULL, 1);
    control->two_threads =
        bench_run("control: xorshift loop, no libumf", control_work, NULL, 2);
    bench_compare(control->two_threads, control->one_thread,
                  BENCH_RATIO_THROUGHPUT);
}

static void bench_lookups(lookup_ids_t same[3], lookup_ids_t cyc[3],
                          lookup_ids_t *control) {
    static const size_t counts[3] = {1, 1000, MAX_LIVE};
    static const char *const labels[3] = {"1", "1,000", "100,000"};
    umf_memory_pool_handle_t pool;
    lookup_arg_t *l;
    void **live;
    size_t n = 0, c, i;
    char name[100];

    bench_section("(b) umfPoolByPtr on a live pointer, proxy pool over the "
                  "bench arena");
    live = calloc(MAX_LIVE, sizeof(*live));
    l = calloc(1, sizeof(*l));
    /* A little spare room: the table stays at exactly `counts` entries. */
    pool = bench_arena_proxy_pool(MAX_LIVE + 16);
    if (live == NULL || l == NULL || pool == NULL) {
        bench_fail("cannot set up the lookup benchmark");
        goto out;
    }
    l->pool = pool;
    bench_control(control);

    for (c = 0; c < 3; c++) {
        /* Grow the set of live allocations to the next count. */
        for (; n < counts[c]; n++) {
            live[n] = umfPoolMalloc(pool, ALLOC_SIZE);
            if (live[n] == NULL) {
                bench_fail("umfPoolMalloc failed while filling the tracker");
                goto out;
            }
        }
        set_targets(l, live, n);

        snprintf(name, sizeof(name), "same pointer, %s live", labels[c]);
        same[c].one_thread = bench_run(name, lookup_same, l, 1);
        same[c].two_threads = bench_run(name, lookup_same, l, 2);
        snprintf(name, sizeof(name), "cycling 1,024 pointers, %s live",
                 labels[c]);
        cyc[c].one_thread = bench_run(name, lookup_cycle, l, 1);
        cyc[c].two_threads = bench_run(name, lookup_cycle, l, 2);
    }
    for (c = 0; c < 3; c++) {
        /* 1 thread: time against 1 live; 2 threads: ops/s against 1 thread */
        if (c > 0) {
            bench_compare(same[c].one_thread, same[0].one_thread,
                          BENCH_RATIO_TIME);
            bench_compare(cyc[c].one_thread, cyc[0].one_thread,
                          BENCH_RATIO_TIME);
        }
        bench_compare(same[c].two_threads, same[c].one_thread,
                      BENCH_RATIO_THROUGHPUT);
        bench_compare(cyc[c].two_threads, cyc[c].one_thread,
                      BENCH_RATIO_THROUGHPUT);
    }

out:
    for (i = 0; i < n; i++) {
        if (umfPoolFree(pool, live[i]) != UMF_RESULT_SUCCESS) {
            bench_fail("umfPoolFree failed while emptying the tracker");
            break;
        }
    }
    if (pool != NULL) {
        umfPoolDestroy(pool);
    }
    free(l);
    free(live);
}

/* ---- (c) umfFree against umfPoolFree ---- */

static void bench_free_paths(void) {
    umf_memory_pool_handle_t pool;
    size_t fixed_size = 64u << 20;
    void *buf;
    int base, idx;

    bench_section("(c) alloc+free pairs of 4 KiB: umfPoolFree vs umfFree, "
                  "1 thread");
    pool = bench_arena_proxy_pool(1024);
    if (pool == NULL) {
        bench_fail("cannot create a proxy pool over the bench arena");
        return;
    }
    base = bench_run("bench arena: umfPoolMalloc + umfPoolFree", pool_pairs,
                     pool, 1);
    idx = bench_run("bench arena: umfPoolMalloc + umfFree", pool_pairs_umffree,
                    pool, 1);
    bench_compare(idx, base, BENCH_RATIO_TIME);
    umfPoolDestroy(pool);

    buf = mmap(NULL, fixed_size, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED) {
        bench_fail("mmap of the fixed provider's buffer failed");
        return;
    }
    pool = bench_fixed_proxy_pool(buf, fixed_size);
    if (pool == NULL) {
        bench_fail("cannot create a proxy pool over the fixed provider");
    } else {
        base = bench_run("fixed provider: umfPoolMalloc + umfPoolFree",
                         pool_pairs, pool, 1);
        idx = bench_run("fixed provider: umfPoolMalloc + umfFree",
                        pool_pairs_umffree, pool, 1);
        bench_compare(idx, base, BENCH_RATIO_TIME);
        umfPoolDestroy(pool);
    }
    munmap(buf, fixed_size);
}

/* ---- targets ---- */

static const char *verdict(double ratio, double bound, int at_most) {
    if (ratio <= 0) {
        return "not measured";
    }
    return (at_most ? ratio <= bound : ratio >= bound) ? "meets the target"
                                                       : "misses the target";
}

static void print_targets(const lookup_ids_t same[3], const lookup_ids_t cyc[3],
                          const lookup_ids_t *control) {
    static const char *const labels[3] = {"1", "1,000", "100,000"};
    double r;
    int c;

    bench_section("Targets (figures above; informative, not checked)");
    bench_note("target: lookup(1e5) <= 2.0 x lookup(1)");
    r = bench_ratio(same[2].one_thread, same[0].one_thread, BENCH_RATIO_TIME);
    bench_note("  same pointer:           %.2f x  (%s)", r, verdict(r, 2.0, 1));
    r = bench_ratio(cyc[2].one_thread, cyc[0].one_thread, BENCH_RATIO_TIME);
    bench_note("  cycling 1,024 pointers: %.2f x  (%s)", r, verdict(r, 2.0, 1));
    bench_note("target: 2 threads >= 1.8 x 1 thread (total lookups/s)");
    r = bench_ratio(control->two_threads, control->one_thread,
                    BENCH_RATIO_THROUGHPUT);
    bench_note("  (the control, which shares nothing, scaled %.2f x during "
               "this run)",
               r);
    for (c = 0; c < 3; c++) {
        double s1 = bench_median(same[c].one_thread);
        double s2 = bench_median(same[c].two_threads);
        double c1 = bench_median(cyc[c].one_thread);
        double c2 = bench_median(cyc[c].two_threads);

        r = bench_ratio(same[c].two_threads, same[c].one_thread,
                        BENCH_RATIO_THROUGHPUT);
        bench_note("  same pointer, %7s live: %6.2f M/s -> %6.2f M/s = "
                   "%.2f x  (%s)",
                   labels[c], s1 > 0 ? 1e3 / s1 : 0, s2 > 0 ? 1e3 / s2 : 0, r,
                   verdict(r, 1.8, 0));
        r = bench_ratio(cyc[c].two_threads, cyc[c].one_thread,
                        BENCH_RATIO_THROUGHPUT);
        bench_note("  cycling,      %7s live: %6.2f M/s -> %6.2f M/s = "
                   "%.2f x  (%s)",
                   labels[c], c1 > 0 ? 1e3 / c1 : 0, c2 > 0 ? 1e3 / c2 : 0, r,
                   verdict(r, 1.8, 0));
    }
}

/* Other work on the machine skews every figure, the 2-thread ones most:
 * say how busy it was. */
static void print_load(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l1, l5;

    if (f == NULL) {
        return;
    }
    if (fscanf(f, "%lf %lf", &l1, &l5) == 2) {
        printf("Load average before the run: %.2f (1 min), %.2f (5 min)\n", l1,
               l5);
    }
    fclose(f);
}

int main(void) {
    lookup_ids_t same[3], cyc[3], control;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int v = umfGetCurrentVersion();

    memset(same, 0xff, sizeof(same)); /* -1: not measured */
    memset(cyc, 0xff, sizeof(cyc));
    memset(&control, 0xff, sizeof(control));
    printf("libumf benchmarks: UMF API %d.%d, %ld online CPU%s, page size "
           "%ld\n",
           UMF_MAJOR_VERSION(v), UMF_MINOR_VERSION(v), cpus,
           cpus == 1 ? "" : "s", sysconf(_SC_PAGESIZE));
    print_load();
    if (cpus < 2) {
        printf("Only one CPU: the 2-thread figures cannot show scaling.\n");
    }
    if (bench_init() != 0) {
        return 2;
    }
    bench_alloc_pairs();
    bench_lookups(same, cyc, &control);
    bench_free_paths();
    print_targets(same, cyc, &control);
    bench_print_table();
    if (bench_failures()) {
        fprintf(stderr, "bench: some benchmarks did not run correctly; see "
                        "the messages above\n");
        return 1;
    }
    return 0;
}
