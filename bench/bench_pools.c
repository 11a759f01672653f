/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_pools.c -- the pools against glibc malloc, jemalloc and tbbmalloc
 * on the churn workload pool users measure, and on page-size batches.
 *
 * Workloads:
 *   churn  each thread keeps LIVE (10,000) allocations; a step frees 10
 *          random ones and allocates new ones in their place; sizes uniform
 *          8..4096 bytes or fixed 4096 bytes; 1 and 2 threads (with 2, each
 *          thread has its own allocations, all from one shared pool).
 *          Every allocation gets its first and last byte written, so the
 *          resident memory reflects what the allocator spreads data over.
 *   pages  1000 page-size allocations, then their 1000 frees, repeated.
 * Allocators:
 *   glibc malloc; jemalloc mallocx/dallocx (dlopen of libjemalloc.so.2,
 *   tcache on); the disjoint pool over the OS provider with its defaults and
 *   with slab 4 KiB / capacity 4 / min bucket 8 / max poolable 64 KiB; and
 *   "jemalloc preload": the glibc-malloc variant run under
 *   LD_PRELOAD=libjemalloc.so.2 (jemalloc as a user who picked it runs it);
 *   with -g je-sc instead (issue 6): the jemalloc pool and the scalable
 *   pool over the OS provider, raw mallocx on a dedicated arena
 *   (arenas.create, the thread's own tcache), the same with an explicit
 *   tcache per thread (tcache.create: the isolation the jemalloc pool
 *   needs, without libumf) and raw tbbmalloc scalable_malloc (dlopen of
 *   libtbbmalloc.so.2); -g all runs both sets.
 *
 * Every measurement runs in a fresh process (this program re-executed with
 * --one ...), so resident memory is that workload's alone: the table shows
 * VmRSS after the churn minus VmRSS before the first allocation. Mops/CPUs
 * is operations per second of thread CPU time: on a busy machine, where the
 * wall clock cannot show scaling, it shows whether 2 threads slow each
 * other down. Figures are medians of REPS runs, each repetition measuring
 * every figure once (so load changes hit every allocator alike); ops/s
 * counts mallocs plus frees. Nothing is asserted about time: the program
 * only prints.
 *
 * Build (from a configured build directory BUILD, after
 * `make lib/libumf.la`):
 *   gcc -O2 -I SRC/include SRC/bench/bench_pools.c -o bench_pools \
 *       -L BUILD/lib/.libs -Wl,-rpath,BUILD/lib/.libs -lumf -ldl -lpthread
 * Run:
 *   ./bench_pools [-c] [-g disjoint|je-sc|all] [-r REPS] [-s STEPS]
 *                 [-l LIVE] [-p PAGE_ROUNDS]
 * (defaults disjoint, 5, 200000, 10000, 2000; the small-slab pool runs a
 * tenth of the steps, its slab traffic making it by far the slowest; -c:
 * only what the targets need, the 8..4096 churn without the small-slab
 * pool).
 * GLIBC_TUNABLES is set for the children so that jemalloc can be dlopen'ed
 * (TESTING.md section 4). Run it on a quiet machine: the load average is
 * printed with the figures. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_harness.h"

#define JEMALLOC_SO "libjemalloc.so.2"
#define TBBMALLOC_SO "libtbbmalloc.so.2"
#define JEMALLOC_PRELOAD "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
#define TUNABLES "glibc.rtld.optional_static_tls=4096"

/* ---- allocators ---- */

typedef enum variant_t {
    V_MALLOC,
    V_JEMALLOC,
    V_DISJOINT_DEFAULT,
    V_DISJOINT_SMALL,
    V_PRELOAD, /* V_MALLOC in a process with jemalloc preloaded */
    V_JEMALLOC_POOL,
    V_JEMALLOC_ARENA, /* raw mallocx on an arena of its own */
    /* the same with an explicit tcache per thread: what the jemalloc pool's
     * isolation costs inside jemalloc, without libumf */
    V_JEMALLOC_ARENA_TC,
    V_SCALABLE_POOL,
    V_TBBMALLOC, /* raw scalable_malloc */
    V_COUNT
} variant_t;

static const char *const variant_names[V_COUNT] = {
    "glibc malloc",        "jemalloc mallocx",  "disjoint defaults",
    "disjoint 4K/4/8/64K", "jemalloc preload",  "jemalloc pool",
    "mallocx, own arena",  "mallocx, arena+tc", "scalable pool",
    "scalable_malloc"};
static const char *const variant_keys[V_COUNT] = {
    "malloc",        "jemalloc", "disjoint",       "disjoint-small",
    "preload",       "je-pool",  "jemalloc-arena", "jemalloc-arena-tc",
    "scalable-pool", "tbbmalloc"};

/* The variants a group (-g) runs, in the order of the table. */
typedef struct group_t {
    const char *key;
    variant_t v[V_COUNT];
    int n;
} group_t;

#define GROUP(key, ...)                                                        \
    {                                                                          \
        key, {__VA_ARGS__},                                                    \
            (int)(sizeof((variant_t[]){__VA_ARGS__}) / sizeof(variant_t))      \
    }

static const group_t groups[] = {
    GROUP("disjoint", V_MALLOC, V_JEMALLOC, V_DISJOINT_DEFAULT,
          V_DISJOINT_SMALL, V_PRELOAD),
    GROUP("je-sc", V_MALLOC, V_JEMALLOC_POOL, V_JEMALLOC_ARENA,
          V_JEMALLOC_ARENA_TC, V_SCALABLE_POOL, V_TBBMALLOC),
    GROUP("all", V_MALLOC, V_JEMALLOC, V_DISJOINT_DEFAULT, V_DISJOINT_SMALL,
          V_PRELOAD, V_JEMALLOC_POOL, V_JEMALLOC_ARENA, V_JEMALLOC_ARENA_TC,
          V_SCALABLE_POOL, V_TBBMALLOC)};

static void *(*je_mallocx)(size_t, int);
static void (*je_dallocx)(void *, int);
static int je_flags; /* 0, or MALLOCX_ARENA of the arena of its own */
static int (*je_mallctl)(const char *, void *, size_t *, void *, size_t);
/* V_JEMALLOC_ARENA_TC: je_flags plus the thread's explicit tcache */
static __thread int je_thread_flags;
static void *(*tbb_malloc)(size_t);
static void (*tbb_free)(void *);
static umf_memory_pool_handle_t pool;
static umf_memory_provider_handle_t provider;
static variant_t variant;

static void *dlopen_or_say(const char *soname) {
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", soname, dlerror());
    }
    return h;
}

static int jemalloc_setup(bool own_arena) {
    void *h = dlopen_or_say(JEMALLOC_SO);
    if (!h) {
        return -1;
    }
    je_mallocx = (void *(*)(size_t, int))dlsym(h, "mallocx");
    je_dallocx = (void (*)(void *, int))dlsym(h, "dallocx");
    je_mallctl = (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(
        h, "mallctl");
    if (!je_mallocx || !je_dallocx || !je_mallctl) {
        return -1;
    }
    if (own_arena) {
        unsigned arena;
        size_t sz = sizeof(arena);
        if (je_mallctl("arenas.create", &arena, &sz, NULL, 0) != 0) {
            return -1;
        }
        je_flags = (int)((arena + 1) << 20); /* MALLOCX_ARENA(arena) */
    }
    return 0;
}

/* The thread's flags for V_JEMALLOC_ARENA_TC; the tcache is made on the
 * thread's first call, as the jemalloc pool does. */
static int je_tc_flags(void) {
    if (!je_thread_flags) {
        unsigned tc;
        size_t sz = sizeof(tc);
        if (je_mallctl("tcache.create", &tc, &sz, NULL, 0) != 0) {
            fprintf(stderr, "tcache.create failed\n");
            exit(1);
        }
        je_thread_flags = je_flags | (int)((tc + 2) << 8); /* MALLOCX_TCACHE */
    }
    return je_thread_flags;
}

static int tbbmalloc_setup(void) {
    void *h = dlopen_or_say(TBBMALLOC_SO);
    if (!h) {
        return -1;
    }
    tbb_malloc = (void *(*)(size_t))dlsym(h, "scalable_malloc");
    tbb_free = (void (*)(void *))dlsym(h, "scalable_free");
    return tbb_malloc && tbb_free ? 0 : -1;
}

static bool is_pool(variant_t v) {
    return v == V_DISJOINT_DEFAULT || v == V_DISJOINT_SMALL ||
           v == V_JEMALLOC_POOL || v == V_SCALABLE_POOL;
}

static int alloc_setup(variant_t v) {
    variant = v;
    if (v == V_JEMALLOC || v == V_JEMALLOC_ARENA || v == V_JEMALLOC_ARENA_TC) {
        return jemalloc_setup(v != V_JEMALLOC);
    }
    if (v == V_TBBMALLOC) {
        return tbbmalloc_setup();
    }
    if (!is_pool(v)) {
        return 0;
    }
    umf_os_memory_provider_params_handle_t op = NULL;
    if (umfOsMemoryProviderParamsCreate(&op) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), op, &provider) !=
            UMF_RESULT_SUCCESS) {
        return -1;
    }
    umfOsMemoryProviderParamsDestroy(op);
    umf_disjoint_pool_params_handle_t dp = NULL;
    if (v == V_DISJOINT_SMALL) {
        if (umfDisjointPoolParamsCreate(&dp) != UMF_RESULT_SUCCESS) {
            return -1;
        }
        umfDisjointPoolParamsSetSlabMinSize(dp, 4096);
        umfDisjointPoolParamsSetCapacity(dp, 4);
        umfDisjointPoolParamsSetMinBucketSize(dp, 8);
        umfDisjointPoolParamsSetMaxPoolableSize(dp, 64 * 1024);
    }
    umf_memory_pool_ops_t *ops = v == V_JEMALLOC_POOL   ? umfJemallocPoolOps()
                                 : v == V_SCALABLE_POOL ? umfScalablePoolOps()
                                                        : umfDisjointPoolOps();
    umf_result_t r = ops ? umfPoolCreate(ops, provider, dp, 0, &pool)
                         : UMF_RESULT_ERROR_NOT_SUPPORTED;
    umfDisjointPoolParamsDestroy(dp);
    return r == UMF_RESULT_SUCCESS ? 0 : -1;
}

static void alloc_teardown(void) {
    if (pool) {
        umfPoolDestroy(pool);
        umfMemoryProviderDestroy(provider);
    }
}

static inline void *bench_alloc(size_t n) {
    switch (variant) {
    case V_JEMALLOC:
    case V_JEMALLOC_ARENA:
        return je_mallocx(n, je_flags);
    case V_JEMALLOC_ARENA_TC:
        return je_mallocx(n, je_tc_flags());
    case V_TBBMALLOC:
        return tbb_malloc(n);
    case V_DISJOINT_DEFAULT:
    case V_DISJOINT_SMALL:
    case V_JEMALLOC_POOL:
    case V_SCALABLE_POOL:
        return umfPoolMalloc(pool, n);
    default:
        return malloc(n);
    }
}

static inline void bench_free(void *p) {
    switch (variant) {
    case V_JEMALLOC:
    case V_JEMALLOC_ARENA:
        je_dallocx(p, je_flags);
        break;
    case V_JEMALLOC_ARENA_TC:
        je_dallocx(p, je_tc_flags());
        break;
    case V_TBBMALLOC:
        tbb_free(p);
        break;
    case V_DISJOINT_DEFAULT:
    case V_DISJOINT_SMALL:
    case V_JEMALLOC_POOL:
    case V_SCALABLE_POOL:
        umfPoolFree(pool, p);
        break;
    default:
        free(p);
    }
}

/* ---- measurement process ---- */

static double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

static long vm_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

typedef struct churn_t {
    size_t live, steps;
    int fixed; /* sizes all 4096 */
    unsigned id;
    void **slots;
    size_t *sizes;
    uint64_t ops;
    double cpu; /* thread CPU seconds of the timed part */
    int failed;
    pthread_barrier_t *start, *filled;
} churn_t;

static inline size_t churn_size(const churn_t *c, uint64_t *rng) {
    return c->fixed ? 4096 : 8 + (size_t)(bench_rand(rng) % (4096 - 8 + 1));
}

static inline void *touch_alloc(size_t n) {
    char *p = bench_alloc(n);
    if (p) {
        p[0] = 1;
        p[n - 1] = 1;
    }
    return p;
}

static void *churn_thread(void *arg) {
    churn_t *c = arg;
    uint64_t rng = 0x853c49e6748fea9bull ^ ((uint64_t)c->id << 32);
    for (size_t i = 0; i < c->live; i++) {
        c->sizes[i] = churn_size(c, &rng);
        if (!(c->slots[i] = touch_alloc(c->sizes[i]))) {
            c->failed = 1;
        }
    }
    pthread_barrier_wait(c->filled);
    pthread_barrier_wait(c->start);
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
    uint64_t ops = 0;
    size_t picked[10];
    for (size_t s = 0; s < c->steps; s++) {
        unsigned n = 0;
        for (unsigned k = 0; k < 10; k++) {
            size_t i = (size_t)(bench_rand(&rng) % c->live);
            if (c->slots[i]) {
                bench_free(c->slots[i]);
                c->slots[i] = NULL;
                picked[n++] = i;
            }
        }
        for (unsigned k = 0; k < n; k++) {
            size_t i = picked[k];
            c->sizes[i] = churn_size(c, &rng);
            if (!(c->slots[i] = touch_alloc(c->sizes[i]))) {
                c->failed = 1;
            }
        }
        ops += 2 * (uint64_t)n;
    }
    c->ops = ops;
    c->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    return NULL;
}

/* One churn measurement: prints "RESULT ops seconds rss_base rss_after
 * cpu_seconds". */
static int run_churn(unsigned threads, int fixed, size_t steps, size_t live) {
    pthread_barrier_t start, filled;
    pthread_barrier_init(&start, NULL, threads + 1);
    pthread_barrier_init(&filled, NULL, threads + 1);
    churn_t c[2];
    pthread_t tid[2];
    long rss_base = vm_rss_kb();
    for (unsigned t = 0; t < threads; t++) {
        c[t] = (churn_t){.live = live,
                         .steps = steps,
                         .fixed = fixed,
                         .id = t,
                         .slots = calloc(live, sizeof(void *)),
                         .sizes = calloc(live, sizeof(size_t)),
                         .start = &start,
                         .filled = &filled};
        if (!c[t].slots || !c[t].sizes) {
            return 1;
        }
    }
    /* the bookkeeping arrays are not the allocator's: count them in the
     * baseline */
    for (unsigned t = 0; t < threads; t++) {
        memset(c[t].slots, 0, live * sizeof(void *));
        memset(c[t].sizes, 0, live * sizeof(size_t));
    }
    rss_base = vm_rss_kb();
    for (unsigned t = 0; t < threads; t++) {
        pthread_create(&tid[t], NULL, churn_thread, &c[t]);
    }
    pthread_barrier_wait(&filled);
    double t0 = now_s();
    pthread_barrier_wait(&start);
    for (unsigned t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
    }
    double t1 = now_s();
    long rss_after = vm_rss_kb();
    uint64_t ops = 0;
    double cpu = 0;
    int failed = 0;
    for (unsigned t = 0; t < threads; t++) {
        ops += c[t].ops;
        cpu += c[t].cpu;
        failed |= c[t].failed;
        for (size_t i = 0; i < live; i++) {
            if (c[t].slots[i]) {
                bench_free(c[t].slots[i]);
            }
        }
        free(c[t].slots);
        free(c[t].sizes);
    }
    if (failed) {
        fprintf(stderr, "an allocation failed\n");
        return 1;
    }
    printf("RESULT %llu %.6f %ld %ld %.6f\n", (unsigned long long)ops, t1 - t0,
           rss_base, rss_after, cpu);
    return 0;
}

static int run_pages(size_t rounds) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *p[1000];
    long rss_base = vm_rss_kb();
    double t0 = now_s();
    for (size_t r = 0; r < rounds; r++) {
        for (int i = 0; i < 1000; i++) {
            if (!(p[i] = bench_alloc(page))) {
                fprintf(stderr, "an allocation failed\n");
                return 1;
            }
        }
        for (int i = 0; i < 1000; i++) {
            bench_free(p[i]);
        }
    }
    double t1 = now_s();
    printf("RESULT %llu %.6f %ld %ld %.6f\n", (unsigned long long)rounds * 2000,
           t1 - t0, rss_base, vm_rss_kb(), t1 - t0);
    return 0;
}

static int one_main(int argc, char **argv) {
    /* --one WORKLOAD VARIANT THREADS STEPS LIVE */
    if (argc != 7) {
        return 2;
    }
    variant_t v = V_COUNT;
    for (int i = 0; i < V_COUNT; i++) {
        if (strcmp(argv[3], variant_keys[i]) == 0) {
            v = (variant_t)i;
        }
    }
    if (v == V_COUNT) {
        return 2;
    }
    if (alloc_setup(v == V_PRELOAD ? V_MALLOC : v) != 0) {
        fprintf(stderr, "%s: setup failed\n", variant_names[v]);
        return 3;
    }
    unsigned threads = (unsigned)atoi(argv[4]);
    size_t steps = (size_t)strtoull(argv[5], NULL, 10);
    size_t live = (size_t)strtoull(argv[6], NULL, 10);
    int rc;
    if (strcmp(argv[2], "pages") == 0) {
        rc = run_pages(steps);
    } else {
        rc = run_churn(threads, strcmp(argv[2], "churn4096") == 0, steps, live);
    }
    alloc_teardown();
    return rc;
}

/* ---- driver ---- */

typedef struct figure_t {
    double mops;   /* median Mops/s */
    double rss_mb; /* median resident growth, MiB */
    double cmops;  /* median Mops per thread-CPU-second */
    int ok;
} figure_t;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Run one measurement in a fresh process; 0 on success. */
static int measure(const char *workload, variant_t v, unsigned threads,
                   size_t steps, size_t live, double *mops, double *rss_mb,
                   double *cmops) {
    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        const char *old = getenv("GLIBC_TUNABLES");
        char tun[512];
        snprintf(tun, sizeof(tun), "%s%s%s", TUNABLES, old ? ":" : "",
                 old ? old : "");
        setenv("GLIBC_TUNABLES", tun, 1);
        if (v == V_PRELOAD) {
            setenv("LD_PRELOAD", JEMALLOC_PRELOAD, 1);
        }
        char th[16], st[32], lv[32];
        snprintf(th, sizeof(th), "%u", threads);
        snprintf(st, sizeof(st), "%zu", steps);
        snprintf(lv, sizeof(lv), "%zu", live);
        char *args[] = {"bench_pools",
                        "--one",
                        (char *)workload,
                        (char *)variant_keys[v],
                        th,
                        st,
                        lv,
                        NULL};
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    char buf[256] = {0};
    size_t len = 0;
    ssize_t got;
    while (len < sizeof(buf) - 1 &&
           (got = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)got;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    unsigned long long ops;
    double secs;
    long base, after;
    double cpu;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        sscanf(buf, "RESULT %llu %lf %ld %ld %lf", &ops, &secs, &base, &after,
               &cpu) != 5 ||
        secs <= 0 || cpu <= 0) {
        return -1;
    }
    *mops = (double)ops / secs / 1e6;
    *rss_mb = (double)(after - base) / 1024.0;
    *cmops = (double)ops / cpu / 1e6;
    return 0;
}

/* The median of the successful samples of one figure. */
typedef struct samples_t {
    double mops[64], rss[64], cmops[64];
    int n;
} samples_t;

static void sample(samples_t *sm, const char *workload, variant_t v,
                   unsigned threads, size_t steps, size_t live) {
    if (measure(workload, v, threads, steps, live, &sm->mops[sm->n],
                &sm->rss[sm->n], &sm->cmops[sm->n]) == 0) {
        sm->n++;
    }
}

static figure_t figure_of(samples_t *sm) {
    figure_t f = {0, 0, 0, 0};
    if (sm->n) {
        f.mops = median(sm->mops, sm->n);
        f.rss_mb = median(sm->rss, sm->n);
        f.cmops = median(sm->cmops, sm->n);
        f.ok = 1;
    }
    return f;
}

static void print_load(const char *when) {
    FILE *f = fopen("/proc/loadavg", "r");
    char line[128] = "?";
    if (f) {
        if (!fgets(line, sizeof(line), f)) {
            strcpy(line, "?\n");
        }
        fclose(f);
    }
    printf("load average %s: %s", when, line);
}

static void print_ratio(const char *label, double num, double den,
                        double target, int higher_is_better) {
    if (num <= 0 || den <= 0) {
        printf("  %-58s n/a\n", label);
        return;
    }
    double ratio = num / den;
    int met = higher_is_better ? ratio >= target : ratio <= target;
    printf("  %-58s %6.2fx  (target %s %.2fx: %s)\n", label, ratio,
           higher_is_better ? ">=" : "<=", target, met ? "met" : "NOT met");
}

/* The figure a row is compared with in the "vs ref" column. */
static variant_t reference_of(variant_t v) {
    switch (v) {
    case V_JEMALLOC_POOL:
    case V_JEMALLOC_ARENA_TC:
        return V_JEMALLOC_ARENA;
    case V_SCALABLE_POOL:
        return V_TBBMALLOC;
    default:
        return V_PRELOAD;
    }
}

/* A ratio column: "-" where there is nothing to compare with. */
static void print_ratio_cell(double num, const figure_t *den, bool self) {
    if (self || !den->ok || den->mops <= 0) {
        printf(" %9s", "-");
    } else {
        printf(" %8.2fx", num / den->mops);
    }
}

static bool group_has(const group_t *g, variant_t v) {
    for (int i = 0; i < g->n; i++) {
        if (g->v[i] == v) {
            return true;
        }
    }
    return false;
}

/* 2-thread scaling of every variant of the group but the ones targeted. */
static void print_others_scaling(const group_t *g, figure_t fig[3][V_COUNT],
                                 variant_t skip_a, variant_t skip_b) {
    printf("  %-58s", "2 threads vs 1 thread, the others in this run");
    for (int i = 0; i < g->n; i++) {
        variant_t v = g->v[i];
        const figure_t *o1 = &fig[1][v], *o2 = &fig[2][v];
        if (v != skip_a && v != skip_b && o1->mops > 0 && o2->mops > 0) {
            printf(" %s %.2fx;", variant_keys[v], o2->mops / o1->mops);
        }
    }
    printf("\n");
}

/* Issue 3: the disjoint pool with its defaults, churn 8..4096. */
static void print_disjoint_targets(const group_t *g, figure_t fig[3][V_COUNT]) {
    printf("\ntargets (disjoint defaults, churn 8..4096):\n");
    figure_t *d1 = &fig[1][V_DISJOINT_DEFAULT];
    figure_t *d2 = &fig[2][V_DISJOINT_DEFAULT];
    print_ratio("1 thread vs glibc malloc", d1->mops, fig[1][V_MALLOC].mops,
                2.0, 1);
    print_ratio("1 thread vs jemalloc (preload, tcache on)", d1->mops,
                fig[1][V_PRELOAD].mops, 0.6, 1);
    print_ratio("1 thread vs jemalloc (mallocx)", d1->mops,
                fig[1][V_JEMALLOC].mops, 0.6, 1);
    print_ratio("2 threads vs 1 thread", d2->mops, d1->mops, 1.7, 1);
    /* on a busy machine the wall clock cannot show scaling; per CPU second
     * it shows whether the threads slow each other down */
    if (d1->cmops > 0 && d2->cmops > 0) {
        printf("  %-58s %6.2fx  (2 x the ratio of Mops per CPU second; "
               "what an idle 2-CPU machine would show at most)\n",
               "2 threads vs 1 thread, per CPU second",
               2 * d2->cmops / d1->cmops);
    }
    /* what the machine allowed: the same ratio for the other allocators */
    print_others_scaling(g, fig, V_DISJOINT_DEFAULT, V_DISJOINT_SMALL);
    print_ratio("resident memory after churn vs glibc (1 thread)", d1->rss_mb,
                fig[1][V_MALLOC].rss_mb, 1.3, 0);
    print_ratio("resident memory after churn vs glibc (2 threads)", d2->rss_mb,
                fig[2][V_MALLOC].rss_mb, 1.3, 0);
}

/* Issue 6: each pool within 10% of its raw allocator on 1 thread; on 2
 * threads a malloc+free pair costs at most 1.5x its 1-thread cost, so the
 * two threads together do at least 2/1.5 = 1.33x the 1-thread operations. */
static void print_pool_targets(const char *workload, figure_t fig[3][V_COUNT],
                               variant_t pool_v) {
    char label[96];
    variant_t ref = reference_of(pool_v);
    figure_t *p1 = &fig[1][pool_v], *p2 = &fig[2][pool_v];
    printf("\ntargets (%s, %s):\n", variant_names[pool_v], workload);
    snprintf(label, sizeof(label), "1 thread vs %s", variant_names[ref]);
    print_ratio(label, p1->mops, fig[1][ref].mops, 0.9, 1);
    print_ratio("2 threads vs 1 thread (pair cost <= 1.5x)", p2->mops, p1->mops,
                2.0 / 1.5, 1);
    if (p1->cmops > 0 && p2->cmops > 0) {
        printf("  %-58s %6.2fx\n", "2 threads vs 1 thread, per CPU second",
               2 * p2->cmops / p1->cmops);
    }
    if (pool_v == V_JEMALLOC_POOL) {
        /* no target: how much of the gap is jemalloc's explicit tcache */
        figure_t *tc = &fig[1][V_JEMALLOC_ARENA_TC];
        if (p1->mops > 0 && tc->mops > 0 && fig[1][ref].mops > 0) {
            printf("  %-58s %6.2fx  (the pool against it: %.2fx)\n",
                   "mallocx, arena + explicit tcache vs own arena, 1 thread",
                   tc->mops / fig[1][ref].mops, p1->mops / tc->mops);
        }
    }
    snprintf(label, sizeof(label), "%s, 2 threads vs 1 thread",
             variant_names[ref]);
    if (fig[1][ref].mops > 0 && fig[2][ref].mops > 0) {
        printf("  %-58s %6.2fx  (what the machine allowed)\n", label,
               fig[2][ref].mops / fig[1][ref].mops);
    }
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "--one") == 0) {
        return one_main(argc, argv);
    }
    int reps = 5;
    size_t steps = 200000, live = 10000, rounds = 2000;
    int opt, only_rand = 0;
    const group_t *g = &groups[0];
    while ((opt = getopt(argc, argv, "cg:r:s:l:p:")) != -1) {
        switch (opt) {
        case 'c':
            only_rand = 1;
            break;
        case 'g':
            g = NULL;
            for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
                if (strcmp(optarg, groups[i].key) == 0) {
                    g = &groups[i];
                }
            }
            if (!g) {
                fprintf(stderr, "-g: disjoint, je-sc or all\n");
                return 2;
            }
            break;
        case 'r':
            reps = atoi(optarg);
            break;
        case 's':
            steps = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'l':
            live = (size_t)strtoull(optarg, NULL, 10);
            break;
        case 'p':
            rounds = (size_t)strtoull(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-c] [-g disjoint|je-sc|all] [-r REPS] "
                    "[-s STEPS] [-l LIVE] [-p ROUNDS]\n",
                    argv[0]);
            return 2;
        }
    }
    if (reps < 1 || reps > 64 || steps == 0 || live == 0 || rounds == 0) {
        fprintf(stderr, "bad arguments\n");
        return 2;
    }
    int have_preload = access(JEMALLOC_PRELOAD, R_OK) == 0;
    printf("bench_pools: median of %d runs, each in a fresh process; churn "
           "%zu live allocations per thread, %zu steps of 10 frees + 10 "
           "allocations; pages: %zu rounds of 1000 allocations + 1000 "
           "frees\n",
           reps, live, steps, rounds);
    print_load("at start");

    static const struct {
        const char *key, *title;
    } workloads[] = {{"churn", "churn, sizes 8..4096"},
                     {"churn4096", "churn, size 4096"}};
    bool runs[V_COUNT] = {false};
    for (int i = 0; i < g->n; i++) {
        variant_t v = g->v[i];
        runs[v] = (v != V_PRELOAD || have_preload) &&
                  (v != V_DISJOINT_SMALL || !only_rand);
    }
    /* every repetition measures every figure once, so that a change in
     * the machine's load hits all allocators alike */
    static samples_t sm[2][3][V_COUNT], smp[V_COUNT];
    int nw = only_rand ? 1 : 2;
    for (int r = 0; r < reps; r++) {
        for (int w = 0; w < nw; w++) {
            for (unsigned th = 1; th <= 2; th++) {
                for (int v = 0; v < V_COUNT; v++) {
                    if (runs[v]) {
                        /* the small-slab pool maps and unmaps a slab on
                         * most steps: a tenth of the steps gives the same
                         * rate in a tenth of the time */
                        size_t n = v == V_DISJOINT_SMALL && steps >= 10
                                       ? steps / 10
                                       : steps;
                        sample(&sm[w][th][v], workloads[w].key, (variant_t)v,
                               th, n, live);
                    }
                }
            }
        }
        for (int v = 0; v < V_COUNT && !only_rand; v++) {
            if (runs[v]) {
                sample(&smp[v], "pages", (variant_t)v, 1, rounds, 0);
            }
        }
        fprintf(stderr, "repetition %d of %d done\n", r + 1, reps);
    }
    static figure_t fig[2][3][V_COUNT]; /* workload, threads, variant */
    printf("\n%-22s %-3s %-22s %8s %9s %9s %9s %8s %9s\n", "workload", "thr",
           "allocator", "Mops/s", "vs glibc", "vs ref", "RSS MiB", "RSS/glibc",
           "Mops/CPUs");
    for (int w = 0; w < nw; w++) {
        for (unsigned th = 1; th <= 2; th++) {
            for (int v = 0; v < V_COUNT; v++) {
                fig[w][th][v] = figure_of(&sm[w][th][v]);
            }
            for (int i = 0; i < g->n; i++) {
                variant_t v = g->v[i];
                figure_t *f = &fig[w][th][v];
                figure_t *gl = &fig[w][th][V_MALLOC];
                figure_t *ref = &fig[w][th][reference_of(v)];
                if (!f->ok) {
                    printf("%-22s %-3u %-22s %8s\n", workloads[w].title, th,
                           variant_names[v], "n/a");
                    continue;
                }
                printf("%-22s %-3u %-22s %8.2f", workloads[w].title, th,
                       variant_names[v], f->mops);
                print_ratio_cell(f->mops, gl, v == V_MALLOC);
                print_ratio_cell(f->mops, ref, v == reference_of(v));
                printf(" %9.1f %7.2fx %9.2f\n", f->rss_mb,
                       gl->ok && gl->rss_mb > 0 ? f->rss_mb / gl->rss_mb : 0,
                       f->cmops);
            }
        }
    }
    figure_t pages[V_COUNT];
    for (int v = 0; v < V_COUNT; v++) {
        pages[v] = figure_of(&smp[v]);
    }
    for (int i = 0; i < g->n && !only_rand; i++) {
        variant_t v = g->v[i];
        figure_t *ref = &pages[reference_of(v)];
        if (!pages[v].ok) {
            printf("%-22s %-3u %-22s %10s\n", "pages 1000+1000", 1,
                   variant_names[v], "n/a");
            continue;
        }
        printf("%-22s %-3u %-22s %8.2f", "pages 1000+1000", 1, variant_names[v],
               pages[v].mops);
        print_ratio_cell(pages[v].mops, &pages[V_MALLOC], v == V_MALLOC);
        print_ratio_cell(pages[v].mops, ref, v == reference_of(v));
        printf("\n");
    }
    printf("(vs ref: the jemalloc pool and mallocx with an explicit tcache "
           "against mallocx on an arena of its own, the scalable pool against "
           "scalable_malloc, the others against jemalloc preload)\n");

    if (group_has(g, V_DISJOINT_DEFAULT)) {
        print_disjoint_targets(g, fig[0]);
    }
    for (int w = 0; w < nw; w++) {
        if (group_has(g, V_JEMALLOC_POOL)) {
            print_pool_targets(workloads[w].title, fig[w], V_JEMALLOC_POOL);
        }
        if (group_has(g, V_SCALABLE_POOL)) {
            print_pool_targets(workloads[w].title, fig[w], V_SCALABLE_POOL);
        }
    }
    print_load("at end");
    return 0;
}
