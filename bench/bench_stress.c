/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_stress.c -- make bench: the mixed 2-thread stress of issue 19
 * (deliverable 3) on the disjoint pool (64 KiB slabs, 2 MiB max poolable,
 * capacity 4), glibc malloc, jemalloc and tbbmalloc
 *
 * Two threads perform UMF_BENCH_STRESS_OPS operations together (default
 * 10^7, half each) on SLOTS blocks of their own, of 8..65536 bytes: on an
 * empty slot an allocation, on a full one a free or a realloc (done as
 * malloc + copy + free), half and half.  A third of the frees (not those
 * inside a realloc) are handed to the other thread through its queue (a mutex
 * and an array), which it drains between its own operations.  Every block is
 * filled with a pattern derived from its address when it is allocated, and
 * checked before it is freed, by whichever thread frees it.
 *
 * Arguments, when given, choose the allocators: glibc, jemalloc, tbbmalloc,
 * disjoint (all four by default).  Each allocator runs UMF_BENCH_STRESS_REPS
 * times (default 3), the allocators taking turns so that a change in the
 * machine's load hits them alike; the table gives wall, user and system seconds
 * (getrusage of the process), min/median/max.  For the disjoint pool it
 * also counts the allocations and frees that reach its provider, and times
 * one slab's round trip through the OS provider on this machine (allocate,
 * write each page, free, while another thread keeps the second CPU busy),
 * so that the figure can be set against any other pool's calls.  The exit
 * status only says whether every allocation succeeded and every pattern
 * was intact.
 */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <umf/memory_pool.h>

#include "bench_allocators.h"
#include "bench_harness.h"
#include "bench_setup.h"

#define SLOTS 1024
#define MIN_SIZE 8
#define MAX_SIZE 65536
#define MAX_REPS 100
#define N_ALLOCATORS 4

/* ---- the pattern: every 8-byte word, then every tail byte, a function of
 * its own address ---- */

static inline uint64_t word_at(const void *p) {
    return (uint64_t)(uintptr_t)p * 0x9e3779b97f4a7c15ull;
}

static void fill(unsigned char *p, size_t size) {
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w = word_at(p + 8 * i);
        memcpy(p + 8 * i, &w, 8);
    }
    for (size_t i = words * 8; i < size; i++) {
        p[i] = (unsigned char)(word_at(p + i) >> 56);
    }
}

static int intact(const unsigned char *p, size_t size) {
    size_t words = size / 8;
    for (size_t i = 0; i < words; i++) {
        uint64_t w;
        memcpy(&w, p + 8 * i, 8);
        if (w != word_at(p + 8 * i)) {
            return 0;
        }
    }
    for (size_t i = words * 8; i < size; i++) {
        if (p[i] != (unsigned char)(word_at(p + i) >> 56)) {
            return 0;
        }
    }
    return 1;
}

/* ---- the handoff queue of each thread ---- */

typedef struct block_t {
    unsigned char *p;
    size_t size;
} block_t;

typedef struct queue_t {
    pthread_mutex_t lock;
    block_t *v;
    size_t n, cap;
} queue_t;

typedef struct stress_t stress_t;

typedef struct worker_t {
    stress_t *s;
    unsigned id;
    size_t ops;
    int done; /* set (release) when it will hand over no more blocks */
    queue_t q;
    block_t slots[SLOTS];
} worker_t;

struct stress_t {
    const bench_allocator_t *a;
    worker_t w[2];
};

static void free_checked(const bench_allocator_t *a, block_t b) {
    if (!intact(b.p, b.size)) {
        bench_fail("a block's contents changed while it was allocated");
    }
    a->free(a->ctx, b.p);
}

static void hand_over(worker_t *to, block_t b) {
    pthread_mutex_lock(&to->q.lock);
    if (to->q.n == to->q.cap) {
        size_t cap = to->q.cap ? 2 * to->q.cap : 256;
        block_t *v = realloc(to->q.v, cap * sizeof(*v));
        if (v == NULL) {
            pthread_mutex_unlock(&to->q.lock);
            bench_fail("out of memory for the handoff queue");
            free_checked(to->s->a, b); /* free it here instead */
            return;
        }
        to->q.v = v;
        to->q.cap = cap;
    }
    to->q.v[to->q.n] = b;
    __atomic_store_n(&to->q.n, to->q.n + 1, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&to->q.lock);
}

/* Free every block handed over to w; `spare` receives the queue's array
 * so the blocks are freed outside the lock. */
static void drain(worker_t *w, block_t **spare, size_t *spare_cap) {
    block_t *v;
    size_t n, cap;

    if (__atomic_load_n(&w->q.n, __ATOMIC_ACQUIRE) == 0) {
        return;
    }
    pthread_mutex_lock(&w->q.lock);
    v = w->q.v;
    n = w->q.n;
    cap = w->q.cap;
    w->q.v = *spare;
    w->q.cap = *spare_cap;
    w->q.n = 0;
    pthread_mutex_unlock(&w->q.lock);
    for (size_t i = 0; i < n; i++) {
        free_checked(w->s->a, v[i]);
    }
    *spare = v;
    *spare_cap = cap;
}

static int alloc_filled(const bench_allocator_t *a, uint64_t *rng, block_t *b) {
    b->size = MIN_SIZE + (size_t)(bench_rand(rng) % (MAX_SIZE - MIN_SIZE + 1));
    b->p = a->alloc(a->ctx, b->size);
    if (b->p == NULL) {
        bench_fail("an allocation failed in the stress");
        return -1;
    }
    fill(b->p, b->size);
    return 0;
}

static void *worker_main(void *arg) {
    worker_t *w = arg;
    worker_t *other = &w->s->w[1 - w->id];
    const bench_allocator_t *a = w->s->a;
    uint64_t rng = 0x853c49e6748fea9bull ^ ((uint64_t)(w->id + 1) << 40);
    block_t *spare = NULL;
    size_t spare_cap = 0;

    for (size_t op = 0; op < w->ops; op++) {
        block_t *b = &w->slots[bench_rand(&rng) % SLOTS];
        uint64_t r = bench_rand(&rng);

        drain(w, &spare, &spare_cap);
        if (b->p == NULL) {
            if (alloc_filled(a, &rng, b) != 0) {
                break;
            }
        } else if (r % 2 == 0) { /* free: a third of them on the other thread */
            if (r % 3 == 0) {
                hand_over(other, *b);
            } else {
                free_checked(a, *b);
            }
            b->p = NULL;
        } else { /* realloc as malloc + copy + free */
            block_t old = *b;
            if (!intact(old.p, old.size)) {
                bench_fail("a block's contents changed before its realloc");
            }
            if (alloc_filled(a, &rng, b) != 0) {
                b->p = NULL;
                a->free(a->ctx, old.p);
                break;
            }
            memcpy(b->p, old.p, old.size < b->size ? old.size : b->size);
            a->free(a->ctx, old.p);
            fill(b->p,
                 b->size); /* the copy carried the old address's pattern */
        }
    }
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&other->done, __ATOMIC_ACQUIRE)) {
        drain(w, &spare, &spare_cap);
    }
    drain(w, &spare, &spare_cap); /* the other thread hands over no more */
    for (size_t i = 0; i < SLOTS; i++) {
        if (w->slots[i].p != NULL) {
            free_checked(a, w->slots[i]);
            w->slots[i].p = NULL;
        }
    }
    free(spare);
    return NULL;
}

/* ---- one run and the table ---- */

typedef struct times_t {
    double wall[MAX_REPS], user[MAX_REPS], sys[MAX_REPS];
    unsigned n;
} times_t;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double tv_s(struct timeval tv) {
    return (double)tv.tv_sec + (double)tv.tv_usec * 1e-6;
}

static void run_stress(const bench_allocator_t *a, size_t ops, times_t *t) {
    stress_t *s = calloc(1, sizeof(*s));
    struct rusage r0, r1;
    pthread_t tid[2];
    double t0, t1;
    unsigned started = 0;

    if (s == NULL) {
        bench_fail("out of memory for the stress");
        return;
    }
    s->a = a;
    for (unsigned i = 0; i < 2; i++) {
        s->w[i].s = s;
        s->w[i].id = i;
        s->w[i].ops = ops / 2 + (i == 0 ? ops % 2 : 0);
        pthread_mutex_init(&s->w[i].q.lock, NULL);
    }
    getrusage(RUSAGE_SELF, &r0);
    t0 = now_s();
    for (; started < 2; started++) {
        if (pthread_create(&tid[started], NULL, worker_main, &s->w[started]) !=
            0) {
            bench_fail("pthread_create failed");
            /* the started thread waits for its partner: let it go */
            __atomic_store_n(&s->w[1].done, 1, __ATOMIC_RELEASE);
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tid[i], NULL);
    }
    t1 = now_s();
    getrusage(RUSAGE_SELF, &r1);
    if (started == 2) {
        t->wall[t->n] = t1 - t0;
        t->user[t->n] = tv_s(r1.ru_utime) - tv_s(r0.ru_utime);
        t->sys[t->n] = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
        t->n++;
    }
    for (unsigned i = 0; i < 2; i++) {
        pthread_mutex_destroy(&s->w[i].q.lock);
        free(s->w[i].q.v);
    }
    free(s);
}

/* ---- one slab's round trip through the OS provider ---- */

#define SLAB_BYTES ((size_t)64 << 10)
#define SLAB_CYCLES 200

typedef struct busy_t {
    int stop;
    unsigned char *buf;
    size_t len;
} busy_t;

static void *busy_main(void *arg) {
    busy_t *b = arg;

    while (!__atomic_load_n(&b->stop, __ATOMIC_RELAXED)) {
        for (size_t i = 0; i < b->len; i += 64) {
            b->buf[i]++;
        }
    }
    return NULL;
}

/* Mean microseconds of one SLAB_BYTES OS provider allocation, a write to
 * each of its pages and its free, with another thread running on the other
 * CPU as the stress's second thread does (an unmap then has to reach that
 * CPU too); 0 when it could not be measured. */
static double slab_cycle_us(void) {
    umf_memory_provider_handle_t prov = bench_os_provider();
    long page = sysconf(_SC_PAGESIZE);
    busy_t busy = {0, NULL, (size_t)1 << 18};
    pthread_t tid;
    double t0, t1;
    unsigned done = 0;

    if (prov == NULL || page <= 0) {
        goto out;
    }
    busy.buf = calloc(1, busy.len);
    if (busy.buf == NULL || pthread_create(&tid, NULL, busy_main, &busy) != 0) {
        goto out;
    }
    t0 = now_s();
    for (; done < SLAB_CYCLES; done++) {
        unsigned char *p = NULL;
        if (umfMemoryProviderAlloc(prov, SLAB_BYTES, 0, (void **)&p) !=
            UMF_RESULT_SUCCESS) {
            break;
        }
        for (size_t off = 0; off < SLAB_BYTES; off += (size_t)page) {
            p[off] = 1;
        }
        if (umfMemoryProviderFree(prov, p, SLAB_BYTES) != UMF_RESULT_SUCCESS) {
            break;
        }
    }
    t1 = now_s();
    __atomic_store_n(&busy.stop, 1, __ATOMIC_RELAXED);
    pthread_join(tid, NULL);
out:
    free(busy.buf);
    if (prov != NULL) {
        umfMemoryProviderDestroy(prov);
    }
    if (done < SLAB_CYCLES) {
        bench_fail("cannot time a slab's round trip through the OS provider");
        return 0;
    }
    return (t1 - t0) * 1e6 / SLAB_CYCLES;
}

/* A positive decimal environment variable, `dflt` when unset; 0 when bad. */
static unsigned long long env_count(const char *name, unsigned long long dflt,
                                    unsigned long long max) {
    const char *v = getenv(name);
    char *end;
    unsigned long long n;

    if (v == NULL || *v == '\0') {
        return dflt;
    }
    errno = 0;
    n = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || n == 0 || n > max) {
        fprintf(stderr,
                "bench_stress: %s must be a number from 1 to %llu, "
                "not '%s'\n",
                name, max, v);
        return 0;
    }
    return n;
}

static void print_row(const char *name, times_t *t, double glibc_wall) {
    double wmin, wmed, wmax, umin, umed, umax, smin, smed, smax;

    if (t->n == 0) {
        printf("  %-26s did not run\n", name);
        return;
    }
    bench_stats(t->wall, t->n, &wmin, &wmed, &wmax);
    bench_stats(t->user, t->n, &umin, &umed, &umax);
    bench_stats(t->sys, t->n, &smin, &smed, &smax);
    printf("  %-26s %7.2f %7.2f %7.2f   %7.2f %7.2f %7.2f   %7.2f %7.2f "
           "%7.2f",
           name, wmed, wmin, wmax, umed, umin, umax, smed, smin, smax);
    if (glibc_wall > 0) {
        printf("   %.2f x", wmed / glibc_wall);
    }
    printf("\n");
}

/* The disjoint pool's provider calls per run and per 10^5 operations, and
 * what they cost at this machine's price of a slab's round trip. */
static void print_provider_calls(const bench_provider_counts_t *c,
                                 unsigned long long runs,
                                 unsigned long long ops, times_t *t) {
    double allocs = (double)c->allocs / (double)runs;
    double frees = (double)c->frees / (double)runs;
    double per = 1e5 / (double)ops;
    double cycle = slab_cycle_us();
    double cpu[MAX_REPS], dummy, cpu_med;

    printf("\n  disjoint pool, provider calls per run (pool destroy "
           "included): %.0f allocations, %.0f frees; per 10^5 operations: "
           "%.0f and %.0f\n",
           allocs, frees, allocs * per, frees * per);
    if (cycle <= 0 || t->n == 0) {
        return;
    }
    for (unsigned i = 0; i < t->n; i++) {
        cpu[i] = t->user[i] + t->sys[i];
    }
    bench_stats(cpu, t->n, &dummy, &cpu_med, &dummy);
    printf("  one 64 KiB slab through the OS provider here (allocate, write "
           "each page, free; the other CPU busy): %.1f us, so these calls "
           "alone cost about %.2f s of the run's %.2f s of CPU (user + "
           "system, median), more where both threads map at once\n",
           cycle, allocs * cycle * 1e-6, cpu_med);
}

static const char *const keys[N_ALLOCATORS] = {"glibc", "jemalloc", "tbbmalloc",
                                               "disjoint"};

/* Arguments, when given, name the allocators to run (keys[]); 0 or -1. */
static int select_allocators(int argc, char **argv, int chosen[]) {
    for (int i = 0; i < N_ALLOCATORS; i++) {
        chosen[i] = argc < 2;
    }
    for (int a = 1; a < argc; a++) {
        int found = 0;
        for (int i = 0; i < N_ALLOCATORS; i++) {
            if (strcmp(argv[a], keys[i]) == 0) {
                chosen[i] = found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "usage: bench_stress [glibc|jemalloc|tbbmalloc|"
                            "disjoint]...\n");
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    static const bench_disjoint_cfg_t cfg = BENCH_DISJOINT_ISSUE19;
    bench_allocator_t alloc[N_ALLOCATORS];
    const char *why[N_ALLOCATORS] = {NULL};
    int have[N_ALLOCATORS] = {1, 0, 0, 1}, chosen[N_ALLOCATORS];
    static times_t times[N_ALLOCATORS];
    static bench_provider_counts_t counts;
    unsigned long long ops, reps, counted_runs = 0;
    double glibc_wall = 0, dummy;

    ops = env_count("UMF_BENCH_STRESS_OPS", 10000000ull, 1ull << 40);
    reps = env_count("UMF_BENCH_STRESS_REPS", 3, MAX_REPS);
    if (ops == 0 || reps == 0 || select_allocators(argc, argv, chosen) != 0) {
        return 2;
    }
    printf("bench_stress: %llu operations on 2 threads (8..65536 B blocks, "
           "%d slots per thread; realloc = malloc + copy + free; a third of "
           "the frees on the other thread; every block written and checked); "
           "%llu runs each (issue 19)\n",
           ops, SLOTS, reps);
    printf("  issue 19, 10^7 operations: reference 28.2 s, libumf 40.5 s "
           "(system 28 s vs 22 s); target: no slower than the reference\n");

    bench_allocator_glibc(&alloc[0]);
    have[1] = chosen[1] && bench_allocator_jemalloc(&alloc[1], &why[1]) == 0;
    have[2] = chosen[2] && bench_allocator_tbbmalloc(&alloc[2], &why[2]) == 0;
    alloc[3].name = "disjoint pool";
    have[0] = chosen[0];
    have[3] = chosen[3];
    for (unsigned long long r = 0; r < reps; r++) {
        for (int i = 0; i < N_ALLOCATORS; i++) {
            umf_memory_pool_handle_t pool = NULL;
            if (!have[i]) {
                continue;
            }
            if (i == 3) { /* a fresh pool each run, as in a new process */
                pool = bench_disjoint_pool_counted(&cfg, &counts);
                if (pool == NULL) {
                    bench_fail("cannot create the disjoint pool");
                    have[i] = 0;
                    continue;
                }
                bench_allocator_pool(&alloc[i], "disjoint pool", pool);
            }
            fprintf(stderr, "bench_stress: %s, run %llu of %llu\n",
                    alloc[i].name, r + 1, reps);
            run_stress(&alloc[i], (size_t)ops, &times[i]);
            if (pool != NULL) {
                umfPoolDestroy(pool); /* its last frees are counted */
                counted_runs++;
            }
        }
    }

    printf("\n  %-26s %23s   %23s   %23s   %s\n", "", "wall s", "user s",
           "system s", "wall");
    printf("  %-26s %7s %7s %7s   %7s %7s %7s   %7s %7s %7s   %s\n",
           "allocator", "median", "min", "max", "median", "min", "max",
           "median", "min", "max", "vs glibc");
    if (times[0].n > 0) {
        double tmp[MAX_REPS];
        memcpy(tmp, times[0].wall, times[0].n * sizeof(double));
        bench_stats(tmp, times[0].n, &dummy, &glibc_wall, &dummy);
    }
    for (int i = 0; i < N_ALLOCATORS; i++) {
        if (!chosen[i]) {
            continue;
        }
        if (!have[i] && why[i] != NULL) {
            printf("  %-26s unavailable (%s)\n",
                   i == 1 ? "jemalloc" : "tbbmalloc", why[i]);
        } else {
            print_row(alloc[i].name, &times[i], i == 0 ? 0 : glibc_wall);
        }
    }
    if (chosen[3] && have[3] && counted_runs > 0) {
        print_provider_calls(&counts, counted_runs, ops, &times[3]);
    }
    if (bench_failures()) {
        fprintf(stderr, "bench_stress: some runs did not run correctly; see "
                        "the messages above\n");
        return 1;
    }
    return 0;
}
