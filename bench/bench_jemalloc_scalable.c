/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_jemalloc_scalable.c -- malloc+free pair throughput of the jemalloc
 * and scalable pools against their raw allocators.
 *
 * Build and run (standalone; nothing but libumf is linked, both allocators
 * are looked up at run time):
 *
 *   installed:   cc -O2 -pthread bench/bench_jemalloc_scalable.c \
 *                   -lumf -ldl -o bench_je_sc
 *   build tree:  cc -O2 -pthread -I$SRC/include \
 *                   $SRC/bench/bench_jemalloc_scalable.c \
 *                   -L$BUILD/lib/.libs -Wl,-rpath,$BUILD/lib/.libs -lumf \
 *                   -Wl,--push-state,--no-as-needed -lumf_jemalloc \
 *                   -Wl,--pop-state -ldl -o bench_je_sc
 *   run:         ./bench_je_sc [-l LIVE [-b BATCH]] [-z SIZE]
 *                             [pairs-per-thread [repetitions [filter]]]
 *                (filter: run only the rows whose name contains it)
 *
 * A program linked without libumf_jemalloc.so.0 (a bench/local.mk target
 * linking lib/libumf.la only: the build tree's libumf.so is a plain
 * symlink, not the installed linker script) must run with
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 so that jemalloc can be
 * dlopened; the benchmark says so and skips the jemalloc rows otherwise.
 *
 * Workload: each thread keeps a ring of 64 live blocks; one "pair" frees the
 * oldest block and allocates a new one of a size drawn uniformly from
 * 8..4096 (precomputed per thread) and writes its first byte. With -l LIVE
 * each thread keeps LIVE blocks instead and a pair replaces a random one;
 * with -b BATCH too, a step frees BATCH random blocks and then allocates
 * their replacements (-l 10000 -b 10 is the churn of bench_pools); with
 * -z SIZE every block has SIZE bytes. bench_pools measures each figure in a
 * fresh process; here the rows share one, so that a machine whose speed
 * changes from one process to the next (VMs) still gives the ratios, and
 * the jemalloc arenas never purge, so that no row pays for page faults the
 * others do not. Rows:
 *   - jemalloc pool over the OS provider (umfPoolMalloc/umfPoolFree);
 *   - raw mallocx/dallocx on a dedicated arena (arenas.create, the thread's
 *     own tcache), the same with one explicit tcache per thread, and with
 *     no tcache at all (MALLOCX_TCACHE_NONE: what a pool that only bypasses
 *     jemalloc's thread caches would cost);
 *   - scalable pool over the OS provider;
 *   - raw scalable_malloc/scalable_free;
 * each on 1 thread and on 2 threads sharing the one pool/arena. The cost of
 * a pair is (wall time) / (pairs per thread); repetitions go round all the
 * rows in turn, and the median of each row's repetitions
 * is printed. Targets (issue 6): each pool within 10% of its raw allocator
 * on 1 thread; on 2 threads a pair costs at most 1.5x its 1-thread cost. The
 * program prints the ratios and never judges them: its exit status is 0
 * when every row that could run ran. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#define RING 64
#define NSIZES 4096
#define MAX_THREADS 2
#define MAX_REPS 64
#define MAX_BATCH 64
/* jemalloc's MALLOCX_ARENA / MALLOCX_TCACHE encodings (jemalloc.h) */
#define JE_ARENA(a) ((int)(((unsigned)(a) + 1) << 20))
#define JE_TCACHE(t) ((int)(((unsigned)(t) + 2) << 8))
enum { TC_IMPLICIT, TC_EXPLICIT, TC_NONE };

typedef struct impl_t {
    const char *name;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
    int tcache_mode; /* raw mallocx: TC_IMPLICIT, TC_EXPLICIT or TC_NONE */
} impl_t;

/* ---- the allocators ---- */

static void *(*je_mallocx)(size_t, int);
static void (*je_dallocx)(void *, int);
static int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
static void *(*tbb_malloc)(size_t);
static void (*tbb_free)(void *);
static void *(*tbb_pool_malloc)(void *, size_t);
static int (*tbb_pool_free)(void *, void *); /* returns C++ bool */

static size_t live = RING;       /* -l: blocks per thread */
static bool live_random;         /* -l given: replace random blocks */
static size_t batch = 1;         /* -b: frees per step, then as many allocs */
static size_t fixed_size;        /* -z: every block's size, or 0 */
static __thread int tl_je_flags; /* per-thread flags of raw mallocx rows */
static __thread int tl_je_tcache = -1; /* explicit tcache of this thread */

static void *umf_alloc(void *ctx, size_t size) {
    return umfPoolMalloc(ctx, size);
}
static void umf_dealloc(void *ctx, void *ptr) { umfPoolFree(ctx, ptr); }
static void *je_alloc(void *ctx, size_t size) {
    (void)ctx;
    return je_mallocx(size, tl_je_flags);
}
static void je_dealloc(void *ctx, void *ptr) {
    (void)ctx;
    je_dallocx(ptr, tl_je_flags);
}
static void *tbb_alloc(void *ctx, size_t size) {
    (void)ctx;
    return tbb_malloc(size);
}
static void tbb_dealloc(void *ctx, void *ptr) {
    (void)ctx;
    tbb_free(ptr);
}

static void *rml_alloc(void *ctx, size_t size) {
    return tbb_pool_malloc(ctx, size);
}
static void rml_dealloc(void *ctx, void *ptr) { tbb_pool_free(ctx, ptr); }

/* raw memory for the raw rml::pool row: mmap, like the OS provider */
typedef struct rml_policy_t {
    void *(*pAlloc)(intptr_t pool_id, size_t *bytes);
    int (*pFree)(intptr_t pool_id, void *raw_ptr, size_t raw_bytes);
    size_t granularity;
    int version;
    unsigned fixedPool : 1, keepAllMemory : 1, reserved : 30;
} rml_policy_t;

static void *rml_raw_alloc(intptr_t id, size_t *bytes) {
    (void)id;
    void *p = mmap(NULL, *bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}
static int rml_raw_free(intptr_t id, void *ptr, size_t bytes) {
    (void)id;
    return munmap(ptr, bytes);
}

/* ---- timing ---- */

typedef struct run_t {
    const impl_t *impl;
    size_t pairs;
    unsigned arena;
    pthread_barrier_t *start, *stop;
    uint64_t seed;
    int failed;
    double cpu_ns; /* thread CPU time of the timed loop */
} run_t;

static double clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* xorshift64*: the next number of the sequence in *x */
static inline uint64_t rand_next(uint64_t *x) {
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

static void *worker(void *arg) {
    run_t *r = arg;
    const impl_t *im = r->impl;
    static __thread size_t sizes[NSIZES];
    uint64_t x = r->seed;
    for (size_t i = 0; i < NSIZES; i++) {
        uint64_t v = rand_next(&x);
        sizes[i] = fixed_size ? fixed_size : 8 + (size_t)(v >> 33) % 4089;
    }
    if (im->alloc == je_alloc) {
        tl_je_flags = JE_ARENA(r->arena);
        if (im->tcache_mode == TC_NONE) {
            tl_je_flags |= JE_TCACHE(-1); /* MALLOCX_TCACHE_NONE */
        } else if (im->tcache_mode == TC_EXPLICIT) {
            unsigned tc;
            size_t sz = sizeof(tc);
            if (je_mallctl("tcache.create", &tc, &sz, NULL, 0) == 0) {
                tl_je_flags |= JE_TCACHE(tc);
                tl_je_tcache = (int)tc;
            }
        }
    }
    void **blocks = calloc(live, sizeof(void *));
    if (!blocks) {
        r->failed = 1;
        pthread_barrier_wait(r->start);
        pthread_barrier_wait(r->stop);
        return NULL;
    }
    for (size_t i = 0; i < live; i++) {
        blocks[i] = im->alloc(im->ctx, sizes[i & (NSIZES - 1)]);
        r->failed |= blocks[i] == NULL;
    }
    pthread_barrier_wait(r->start);
    double c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    size_t picked[MAX_BATCH];
    for (size_t k = 0; k < r->pairs && !r->failed; k += batch) {
        unsigned n = 0;
        for (size_t b = 0; b < batch; b++) {
            size_t i = (k + b) & (RING - 1);
            if (live_random) { /* the same sequence in every row */
                i = (size_t)(rand_next(&x) >> 32) % live;
            }
            if (blocks[i]) { /* a batch may pick a block twice */
                im->free(im->ctx, blocks[i]);
                blocks[i] = NULL;
                picked[n++] = i;
            }
        }
        for (unsigned b = 0; b < n; b++) {
            char *p = im->alloc(im->ctx, sizes[(k + b) & (NSIZES - 1)]);
            if (__builtin_expect(p == NULL, 0)) {
                r->failed = 1;
                break;
            }
            *p = (char)k;
            blocks[picked[b]] = p;
        }
    }
    r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    pthread_barrier_wait(r->stop);
    for (size_t i = 0; i < live; i++) {
        im->free(im->ctx, blocks[i]);
    }
    free(blocks);
    if (tl_je_tcache >= 0) {
        unsigned tc = (unsigned)tl_je_tcache;
        je_mallctl("tcache.destroy", NULL, NULL, &tc, sizeof(tc));
        tl_je_tcache = -1;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct result_t {
    double wall; /* median wall ns per pair per thread */
    double cpu;  /* median thread-CPU ns per pair (mean over threads) */
} result_t;

/* One timed run of im on `threads` threads: wall and thread-CPU ns per
 * pair; false when an allocation failed. */
static bool measure_once(const impl_t *im, unsigned threads, size_t pairs,
                         unsigned arena, double *wall, double *cpu) {
    pthread_barrier_t start, stop;
    pthread_barrier_init(&start, NULL, threads + 1);
    pthread_barrier_init(&stop, NULL, threads + 1);
    run_t r[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    for (unsigned i = 0; i < threads; i++) {
        r[i] = (run_t){.impl = im,
                       .pairs = pairs,
                       .arena = arena,
                       .start = &start,
                       .stop = &stop,
                       .seed = 0x9E3779B97F4A7C15ULL * (i + 1)};
        if (pthread_create(&th[i], NULL, worker, &r[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    double t0 = now_ns();
    pthread_barrier_wait(&stop);
    double t1 = now_ns();
    int failed = 0;
    double c = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        failed |= r[i].failed;
        c += r[i].cpu_ns;
    }
    pthread_barrier_destroy(&start);
    pthread_barrier_destroy(&stop);
    *wall = (t1 - t0) / (double)pairs;
    *cpu = c / threads / (double)pairs;
    return !failed;
}

static double median(double *v, unsigned n) {
    qsort(v, n, sizeof(v[0]), cmp_double);
    return v[n / 2];
}

static umf_memory_pool_handle_t make_pool(umf_memory_pool_ops_t *ops,
                                          umf_memory_provider_handle_t prov) {
    umf_memory_pool_handle_t pool = NULL;
    if (!ops ||
        umfPoolCreate(ops, prov, NULL, 0, &pool) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return pool;
}

enum {
    JE_POOL,
    JE_RAW,
    JE_RAW_TC,
    JE_RAW_NOTC,
    SC_POOL,
    SC_RAW_POOL,
    SC_RAW,
    NIMPL
};

static int usage(const char *argv0) {
    fprintf(stderr,
            "usage: %s [-l LIVE [-b BATCH]] [-z SIZE] [pairs-per-thread "
            "[repetitions [filter]]]\n",
            argv0);
    return 2;
}

int main(int argc, char **argv) {
    int opt;
    while ((opt = getopt(argc, argv, "b:l:z:")) != -1) {
        switch (opt) {
        case 'b':
            batch = strtoull(optarg, NULL, 0);
            if (batch == 0 || batch > MAX_BATCH) {
                return usage(argv[0]);
            }
            break;
        case 'l':
            live = strtoull(optarg, NULL, 0);
            live_random = true;
            break;
        case 'z':
            fixed_size = strtoull(optarg, NULL, 0);
            if (fixed_size == 0) {
                return usage(argv[0]);
            }
            break;
        default:
            return usage(argv[0]);
        }
    }
    char **pos = argv + optind; /* the positional arguments */
    int npos = argc - optind;
    size_t pairs = npos > 0 ? strtoull(pos[0], NULL, 0) : 2000000;
    unsigned reps = npos > 1 ? (unsigned)strtoul(pos[1], NULL, 0) : 7;
    const char *filter = npos > 2 ? pos[2] : NULL;
    if (reps > MAX_REPS) {
        reps = MAX_REPS;
    }
    if (pairs == 0 || reps == 0 || live == 0 || fixed_size > (1u << 20) ||
        (batch > 1 && !live_random)) {
        return usage(argv[0]);
    }

    void *jh = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD);
    if (!jh) {
        jh = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    }
    if (jh) {
        *(void **)&je_mallocx = dlsym(jh, "mallocx");
        *(void **)&je_dallocx = dlsym(jh, "dallocx");
        *(void **)&je_mallctl = dlsym(jh, "mallctl");
    }
    /* No decay in the arenas made from here on (the pool's and the raw
     * one): jemalloc purges by time, so an arena that sat idle while the
     * other rows ran would fault its pages in again and lose to one used
     * a moment ago. The rows then differ by allocator work only. */
    bool decay_off = false;
    if (je_mallctl) {
        ssize_t never = -1;
        decay_off = je_mallctl("arenas.dirty_decay_ms", NULL, NULL, &never,
                               sizeof(never)) == 0;
    }
    void *th = dlopen("libtbbmalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    void *rml_pool = NULL;
    if (th) {
        *(void **)&tbb_malloc = dlsym(th, "scalable_malloc");
        *(void **)&tbb_free = dlsym(th, "scalable_free");
        *(void **)&tbb_pool_malloc =
            dlsym(th, "_ZN3rml11pool_mallocEPNS_10MemoryPoolEm");
        *(void **)&tbb_pool_free =
            dlsym(th, "_ZN3rml9pool_freeEPNS_10MemoryPoolEPv");
        int (*create)(intptr_t, const rml_policy_t *, void **);
        *(void **)&create =
            dlsym(th, "_ZN3rml14pool_create_v1ElPKNS_13MemPoolPolicyEPPNS_"
                      "10MemoryPoolE");
        rml_policy_t pol = {rml_raw_alloc, rml_raw_free, 2 << 20, 1, 0, 0, 0};
        if (create && tbb_pool_malloc && tbb_pool_free &&
            create(0, &pol, &rml_pool) != 0) {
            rml_pool = NULL;
        }
    }

    umf_os_memory_provider_params_handle_t pp = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfOsMemoryProviderParamsCreate(&pp) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), pp, &prov) !=
            UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the OS memory provider\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy(pp);
    umf_memory_pool_handle_t jpool = make_pool(umfJemallocPoolOps(), prov);
    umf_memory_pool_handle_t spool = make_pool(umfScalablePoolOps(), prov);

    unsigned arena = 0;
    int have_raw_je = 0;
    if (je_mallocx && je_dallocx && je_mallctl) {
        size_t sz = sizeof(arena);
        have_raw_je = je_mallctl("arenas.create", &arena, &sz, NULL, 0) == 0;
    }

    const impl_t impls[NIMPL] = {
        [JE_POOL] = {"jemalloc pool (OS provider)", umf_alloc, umf_dealloc,
                     jpool, 0},
        [JE_RAW] = {"raw mallocx, dedicated arena", je_alloc, je_dealloc, NULL,
                    0},
        [JE_RAW_TC] = {"raw mallocx, arena+explicit tcache", je_alloc,
                       je_dealloc, NULL, TC_EXPLICIT},
        [JE_RAW_NOTC] = {"raw mallocx, arena, no tcache", je_alloc, je_dealloc,
                         NULL, TC_NONE},
        [SC_POOL] = {"scalable pool (OS provider)", umf_alloc, umf_dealloc,
                     spool, 0},
        [SC_RAW_POOL] = {"raw rml::pool_malloc (mmap)", rml_alloc, rml_dealloc,
                         rml_pool, 0},
        [SC_RAW] = {"raw scalable_malloc", tbb_alloc, tbb_dealloc, NULL, 0},
    };
    bool ok[NIMPL];
    ok[JE_POOL] = jpool != NULL;
    ok[JE_RAW] = ok[JE_RAW_TC] = ok[JE_RAW_NOTC] = have_raw_je;
    ok[SC_POOL] = spool != NULL;
    ok[SC_RAW_POOL] = rml_pool != NULL;
    ok[SC_RAW] = tbb_malloc && tbb_free;
    result_t res[NIMPL][MAX_THREADS + 1];
    int missing = 0;

    char sizes_text[32];
    snprintf(sizes_text, sizeof(sizes_text),
             fixed_size ? "size %zu" : "sizes uniform 8..4096", fixed_size);
    printf("malloc+free pairs, %s, %s of %zu live blocks per thread "
           "(%zu per step),\n%zu pairs per thread, median of %u; ns per pair "
           "as one thread sees it (wall)\nand thread CPU time per pair "
           "(cpu)\n\n",
           sizes_text, live_random ? "random replacement" : "ring", live, batch,
           pairs, reps);
    if (decay_off) {
        printf("(the jemalloc arenas of this run never purge: "
               "arenas.dirty_decay_ms = -1)\n\n");
    }
    printf("%-36s %9s %9s %9s %9s %8s %8s\n", "", "1T wall", "1T cpu",
           "2T wall", "2T cpu", "2T/1T", "2T/1T");
    printf("%-36s %9s %9s %9s %9s %8s %8s\n", "", "ns", "ns", "ns", "ns",
           "wall", "cpu");
    /* Repetitions go round the rows, so that a slow phase of the machine
     * (frequent in VMs) hits every row alike instead of one row's run. */
    bool ran[NIMPL] = {false};
    static double wall[NIMPL][MAX_THREADS + 1][MAX_REPS];
    static double cpu[NIMPL][MAX_THREADS + 1][MAX_REPS];
    for (int i = 0; i < NIMPL; i++) {
        if (filter && !strstr(impls[i].name, filter)) {
            continue;
        }
        if (!ok[i]) {
            printf("%-36s unavailable (%s)\n", impls[i].name,
                   i <= JE_RAW_NOTC
                       ? "jemalloc not loaded: link -lumf_jemalloc or set "
                         "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096"
                       : "libtbbmalloc.so.2 not found");
            missing = 1;
            continue;
        }
        ran[i] = true;
    }
    for (unsigned rep = 0; rep <= reps; rep++) { /* rep 0 warms up */
        for (int i = 0; i < NIMPL; i++) {
            for (unsigned t = 1; ran[i] && t <= MAX_THREADS; t++) {
                double w, c;
                if (!measure_once(&impls[i], t, pairs, arena, &w, &c)) {
                    printf("%-36s an allocation failed\n", impls[i].name);
                    ran[i] = false;
                    missing = 1;
                } else if (rep > 0) {
                    wall[i][t][rep - 1] = w;
                    cpu[i][t][rep - 1] = c;
                }
            }
        }
    }
    for (int i = 0; i < NIMPL; i++) {
        if (!ran[i]) {
            continue;
        }
        for (unsigned t = 1; t <= MAX_THREADS; t++) {
            res[i][t].wall = median(wall[i][t], reps);
            res[i][t].cpu = median(cpu[i][t], reps);
        }
        printf("%-36s %9.2f %9.2f %9.2f %9.2f %7.2fx %7.2fx\n", impls[i].name,
               res[i][1].wall, res[i][1].cpu, res[i][2].wall, res[i][2].cpu,
               res[i][2].wall / res[i][1].wall, res[i][2].cpu / res[i][1].cpu);
    }

    printf("\ntargets: pool / raw allocator on 1 thread <= 1.10; "
           "2 threads / 1 thread <= 1.50\n");
    if (ran[JE_POOL] && ran[JE_RAW] && ran[JE_RAW_TC]) {
        printf("jemalloc pool / raw mallocx, 1 thread (wall):         "
               "%.3f\n",
               res[JE_POOL][1].wall / res[JE_RAW][1].wall);
        printf("jemalloc pool / raw mallocx+tcache, 1 thread (wall):  "
               "%.3f\n",
               res[JE_POOL][1].wall / res[JE_RAW_TC][1].wall);
    }
    if (ran[SC_POOL] && ran[SC_RAW]) {
        printf("scalable pool / raw scalable_malloc, 1 thread (wall): "
               "%.3f\n",
               res[SC_POOL][1].wall / res[SC_RAW][1].wall);
    }
    if (ran[SC_POOL] && ran[SC_RAW_POOL]) {
        printf("scalable pool / raw rml::pool_malloc, 1 thread (wall):"
               " %.3f\n",
               res[SC_POOL][1].wall / res[SC_RAW_POOL][1].wall);
    }

    if (jpool) {
        umfPoolDestroy(jpool);
    }
    if (spool) {
        umfPoolDestroy(spool);
    }
    if (have_raw_je) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.destroy", arena);
        je_mallctl(name, NULL, NULL, NULL, 0);
    }
    umfMemoryProviderDestroy(prov);
    return missing ? 1 : 0;
}
