/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_churn.c -- make bench: the alternating churn of issue 19
 * (deliverable 3) on the disjoint pool with its defaults, glibc malloc,
 * jemalloc and tbbmalloc
 *
 * Each thread keeps 10^4 live blocks; a step frees one random block and
 * allocates one of 8..4096 bytes in its place, writing its first byte.
 * "ns/op" is per step (one free and one allocation); on 2 threads each
 * thread has its own blocks, all from one shared pool, and the figure is
 * wall time per step of both threads together.  The batched shape (10
 * frees, then 10 allocations) is bench_pools' churn, which `make bench`
 * also runs.
 *
 * Each thread steps on blocks it allocated itself: the harness's worker
 * threads allocate theirs in the untimed warm-up.  Each block's first byte
 * holds a tag that is checked when the blocks are freed at the end; the
 * exit status says whether every allocation succeeded and every tag was
 * intact, never anything about time.
 */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>

#include "bench_allocators.h"
#include "bench_harness.h"
#include "bench_setup.h"

#define LIVE 10000
#define MIN_SIZE 8
#define MAX_SIZE 4096

typedef struct churn_thread_t {
    void **slots;    /* LIVE blocks once filled */
    pthread_t owner; /* the thread that allocated them */
    uint64_t rng;
    char pad[64 - sizeof(void **) - sizeof(pthread_t) - sizeof(uint64_t)];
} churn_thread_t;

typedef struct churn_t {
    const bench_allocator_t *a;
    churn_thread_t t[2];
    int broken; /* an allocation failed: stop stepping */
} churn_t;

/* The first byte of slot i of thread t: checked at the end. */
static inline unsigned char tag(unsigned thread, size_t i) {
    return (unsigned char)(i * 2654435761u + thread);
}

static inline void *alloc_tagged(const bench_allocator_t *a, uint64_t *rng,
                                 unsigned thread, size_t i) {
    size_t size = MIN_SIZE + (size_t)(bench_rand(rng) % (MAX_SIZE - MIN_SIZE + 1));
    unsigned char *p = a->alloc(a->ctx, size);

    if (p != NULL) {
        p[0] = tag(thread, i);
    }
    return p;
}

/* Allocate thread's LIVE blocks; 0, or -1 when it could not. */
static int churn_fill(churn_t *c, unsigned thread) {
    churn_thread_t *t = &c->t[thread];

    t->rng = 0x853c49e6748fea9bull ^ ((uint64_t)(thread + 1) << 32);
    t->owner = pthread_self();
    t->slots = calloc(LIVE, sizeof(*t->slots));
    if (t->slots == NULL) {
        bench_fail("out of memory for the churn's slots");
        __atomic_store_n(&c->broken, 1, __ATOMIC_RELAXED);
        return -1;
    }
    for (size_t i = 0; i < LIVE; i++) {
        t->slots[i] = alloc_tagged(c->a, &t->rng, thread, i);
        if (t->slots[i] == NULL) {
            bench_fail("an allocation failed while filling the churn");
            __atomic_store_n(&c->broken, 1, __ATOMIC_RELAXED);
            return -1;
        }
    }
    return 0;
}

/* Check the tags of a thread's blocks and free them. */
static void churn_drop(churn_t *c, unsigned thread) {
    churn_thread_t *t = &c->t[thread];

    if (t->slots == NULL) {
        return;
    }
    for (size_t i = 0; i < LIVE; i++) {
        unsigned char *p = t->slots[i];
        if (p == NULL) {
            continue;
        }
        if (p[0] != tag(thread, i)) {
            bench_fail("a churn block's first byte was overwritten");
        }
        c->a->free(c->a->ctx, p);
    }
    free(t->slots);
    t->slots = NULL;
}

/* Every thread steps on blocks it allocated itself, as a program's threads
 * would: the harness calibrates on the calling thread, then starts new
 * threads, whose first call (the untimed warm-up) frees the blocks of the
 * previous owner and allocates their own.  Thread 0's first blocks are
 * allocated before the measurement, so that they do not distort the
 * calibration. */
static void churn_steps(void *arg, unsigned thread, size_t iters) {
    churn_t *c = arg;
    churn_thread_t *t = &c->t[thread];
    const bench_allocator_t *a = c->a;

    if (__atomic_load_n(&c->broken, __ATOMIC_RELAXED)) {
        return;
    }
    if (t->slots != NULL && !pthread_equal(t->owner, pthread_self())) {
        churn_drop(c, thread);
    }
    if (t->slots == NULL && churn_fill(c, thread) != 0) {
        return;
    }
    for (size_t s = 0; s < iters; s++) {
        size_t i = (size_t)(bench_rand(&t->rng) % LIVE);
        a->free(a->ctx, t->slots[i]);
        t->slots[i] = alloc_tagged(a, &t->rng, thread, i);
        if (t->slots[i] == NULL) {
            bench_fail("an allocation failed in the churn");
            __atomic_store_n(&c->broken, 1, __ATOMIC_RELAXED);
            return;
        }
    }
}

/* Check the tags and free every live block. */
static void churn_teardown(churn_t *c) {
    churn_drop(c, 0);
    churn_drop(c, 1);
}

typedef struct churn_ids_t {
    int one, two;
} churn_ids_t;

/* 1 and 2 threads on a; 1 thread against glibc's 1 thread, 2 threads
 * against a's 1 thread (both in ops/s). */
static churn_ids_t run_churn(const bench_allocator_t *a, int glibc_one) {
    churn_t c;
    churn_ids_t ids;

    memset(&c, 0, sizeof(c));
    c.a = a;
    ids.one = ids.two = -1;
    if (churn_fill(&c, 0) == 0) {
        churn_steps(&c, 0, LIVE); /* past the first touch of new memory */
        ids.one = bench_run(a->name, churn_steps, &c, 1);
        ids.two = bench_run(a->name, churn_steps, &c, 2);
    }
    churn_teardown(&c);
    if (glibc_one >= 0) {
        bench_compare(ids.one, glibc_one, BENCH_RATIO_THROUGHPUT);
    }
    bench_compare(ids.two, ids.one, BENCH_RATIO_THROUGHPUT);
    return ids;
}

int main(void) {
    umf_memory_pool_handle_t pool;
    bench_allocator_t a;
    churn_ids_t glibc, disjoint = {-1, -1}, ids;
    const char *why = NULL;
    double r1, r2;

    printf("bench_churn: 10^4 live blocks per thread, each step frees one "
           "random block and allocates one of 8..4096 B (first byte "
           "written); ns/op is per step (issue 19)\n");
    if (bench_init() != 0) {
        return 2;
    }
    bench_section("churn, alternating: 1 thread against glibc's 1 thread, "
                  "2 threads against the same allocator's 1 thread (ops/s)");
    bench_note("issue 19 targets (disjoint defaults): >= 1.6 x glibc's rate; "
               "2 threads >= 1.7 x 1 thread");
    bench_allocator_glibc(&a);
    glibc = run_churn(&a, -1);
    if (bench_allocator_jemalloc(&a, &why) == 0) {
        (void)run_churn(&a, glibc.one);
    } else {
        bench_unavailable("jemalloc", why);
    }
    if (bench_allocator_tbbmalloc(&a, &why) == 0) {
        (void)run_churn(&a, glibc.one);
    } else {
        bench_unavailable("tbbmalloc", why);
    }
    pool = bench_disjoint_pool(NULL);
    if (pool == NULL) {
        bench_fail("cannot create the disjoint pool");
    } else {
        bench_allocator_pool(&a, "disjoint pool, defaults", pool);
        disjoint = run_churn(&a, glibc.one);
        umfPoolDestroy(pool);
    }

    bench_section("churn, the disjoint pool's figures");
    r1 = bench_ratio(disjoint.one, glibc.one, BENCH_RATIO_THROUGHPUT);
    r2 = bench_ratio(disjoint.two, glibc.two, BENCH_RATIO_THROUGHPUT);
    bench_note("rate vs glibc: %.2f x (1 thread), %.2f x (2 threads)", r1, r2);
    ids = disjoint;
    r1 = bench_ratio(ids.two, ids.one, BENCH_RATIO_THROUGHPUT);
    r2 = bench_ratio(glibc.two, glibc.one, BENCH_RATIO_THROUGHPUT);
    bench_note("2 threads vs 1 thread: %.2f x (glibc in this run: %.2f x)", r1,
               r2);
    bench_print_table();
    if (bench_failures()) {
        fprintf(stderr, "bench_churn: some benchmarks did not run correctly; "
                        "see the messages above\n");
        return 1;
    }
    return 0;
}
