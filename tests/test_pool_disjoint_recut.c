/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_disjoint_recut.c -- buckets of the disjoint pool whose slabs
 * have one size pass empty slabs to one another (disjoint_slab_recut).
 *
 * A bucket that needs a slab takes an empty one from another bucket's list
 * before it asks the provider, and cuts it into its own chunks. What is
 * checked, through a provider that counts the calls reaching it:
 *   - the slab moves between one-chunk buckets and into a bucket of many
 *     chunks, with no provider call, its chunks all usable, found by
 *     umfPoolByPtr and their double free refused;
 *   - each bucket still keeps at most its own number of empty slabs, and
 *     the shared limits count the moved slab out;
 *   - only slabs of the same size move, and only those on a bucket's list
 *     (not the one a thread's heap keeps);
 *   - two threads moving slabs back and forth keep every pattern and leak
 *     nothing. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_os_memory.h>

#include "test_helpers.h"
#include "test_providers.h"

#define KiB ((size_t)1024)
#define OK UMF_RESULT_SUCCESS
#define INVALID UMF_RESULT_ERROR_INVALID_ARGUMENT

/* 64 KiB slabs: blocks of 40000 bytes go to the 48 KiB bucket and of 60000
 * bytes to the 64 KiB one, each a slab of one chunk; blocks of 64 bytes
 * come 1024 to a slab. */
#define SLAB (64 * KiB)
#define IN_48K ((size_t)40000)
#define IN_64K ((size_t)60000)

typedef struct env_t {
    umf_memory_provider_handle_t os;
    umf_test_counting_t cnt;
    umf_memory_provider_handle_t prov;
    umf_disjoint_pool_params_handle_t params;
    umf_memory_pool_handle_t pool;
} env_t;

/* A disjoint pool of 64 KiB slabs pooling up to max_poolable, keeping
 * `capacity` empty slabs of one chunk, over a counting provider; limits
 * may be NULL. */
static void env_init(env_t *e, size_t max_poolable, size_t capacity,
                     umf_disjoint_pool_shared_limits_handle_t limits) {
    memset(e, 0, sizeof(*e));
    e->os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(e->os);
    umf_test_counting_init(&e->cnt, e->os);
    ck_assert_int_eq(umf_test_counting_create(&e->cnt, &e->prov), OK);
    ck_assert_int_eq(umfDisjointPoolParamsCreate(&e->params), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(e->params, SLAB), OK);
    ck_assert_int_eq(
        umfDisjointPoolParamsSetMaxPoolableSize(e->params, max_poolable), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetCapacity(e->params, capacity), OK);
    if (limits) {
        ck_assert_int_eq(
            umfDisjointPoolParamsSetSharedLimits(e->params, limits), OK);
    }
    ck_assert_int_eq(
        umfPoolCreate(umfDisjointPoolOps(), e->prov, e->params, 0, &e->pool),
        OK);
}

static size_t allocs(env_t *e) {
    return umf_test_counting_get(&e->cnt, UMF_TEST_OP_ALLOC);
}

static size_t frees(env_t *e) {
    return umf_test_counting_get(&e->cnt, UMF_TEST_OP_FREE);
}

/* Destroy the pool and the providers: nothing may be left with the
 * provider. */
static void env_fini(env_t *e) {
    umfPoolDestroy(e->pool);
    ck_assert_int_eq(umf_test_counting_live_allocs(&e->cnt), 0);
    ck_assert_int_eq(umf_test_counting_live_bytes(&e->cnt), 0);
    ck_assert_uint_eq(allocs(e), frees(e));
    umfDisjointPoolParamsDestroy(e->params);
    umfMemoryProviderDestroy(e->prov);
    umfMemoryProviderDestroy(e->os);
}

static void *alloc_filled(env_t *e, size_t size, unsigned seed) {
    void *p = umfPoolMalloc(e->pool, size);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, size, seed);
    return p;
}

static void free_checked(env_t *e, void *p, size_t size, unsigned seed) {
    ck_assert_msg(umf_test_verify(p, size, seed), "block %p overwritten", p);
    ck_assert_int_eq(umfPoolFree(e->pool, p), OK);
}

/* The 48 KiB bucket's empty slab serves the 64 KiB bucket, as it is. */
START_TEST(recut_between_one_chunk_buckets) {
    env_t e;
    env_init(&e, SLAB, 4, NULL);
    char *x = alloc_filled(&e, IN_48K, 1);
    free_checked(&e, x, IN_48K, 1);
    ck_assert_uint_eq(allocs(&e), 1);
    ck_assert_uint_eq(frees(&e), 0);

    char *y = alloc_filled(&e, IN_64K, 2);
    ck_assert_uint_eq(allocs(&e), 1);
    ck_assert_ptr_eq(y, x);
    ck_assert_uint_eq(umfPoolMallocUsableSize(e.pool, y), SLAB);
    ck_assert_ptr_eq(umfPoolByPtr(y + IN_64K - 1), e.pool);
    free_checked(&e, y, IN_64K, 2);
    ck_assert_int_eq(umfPoolFree(e.pool, y), INVALID); /* double free */
    ck_assert_uint_eq(frees(&e), 0); /* kept by the 64 KiB bucket */

    /* and back: the 48 KiB bucket takes it from the 64 KiB one */
    x = alloc_filled(&e, IN_48K, 3);
    ck_assert_ptr_eq(x, y);
    ck_assert_uint_eq(allocs(&e), 1);
    free_checked(&e, x, IN_48K, 3);
    env_fini(&e);
}
END_TEST

static int cmp_ptr(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) * (void *const *)a;
    uintptr_t y = (uintptr_t) * (void *const *)b;
    return (x > y) - (x < y);
}

/* A one-chunk slab cut into 1024 chunks of 64 bytes: each handed out once,
 * all inside it, then a new slab for the 1025th. */
START_TEST(recut_into_many_chunks) {
    env_t e;
    env_init(&e, SLAB, 4, NULL);
    char *x = alloc_filled(&e, IN_48K, 1);
    free_checked(&e, x, IN_48K, 1);

    enum { N = 1024 };
    char **c = calloc(N + 1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    for (unsigned i = 0; i < N; i++) {
        c[i] = alloc_filled(&e, 64, i);
    }
    ck_assert_uint_eq(allocs(&e), 1);
    c[N] = alloc_filled(&e, 64, N);
    ck_assert_uint_eq(allocs(&e), 2);
    ck_assert_msg(c[N] < x || c[N] >= x + SLAB, "the 1025th chunk is inside");

    char **sorted = calloc(N, sizeof(*sorted));
    ck_assert_ptr_nonnull(sorted);
    memcpy(sorted, c, N * sizeof(*sorted));
    qsort(sorted, N, sizeof(*sorted), cmp_ptr);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_ptr_eq(sorted[i], x + 64 * (size_t)i);
    }
    ck_assert_ptr_eq(umfPoolByPtr(c[N / 2] + 63), e.pool);
    for (unsigned i = 0; i <= N; i++) {
        free_checked(&e, c[i], 64, i);
    }
    ck_assert_int_eq(umfPoolFree(e.pool, c[7]), INVALID); /* double free */
    free(sorted);
    free(c);
    env_fini(&e);
}
END_TEST

/* With a capacity of 1, each bucket still keeps at most one empty slab: a
 * slab taken from the 48 KiB bucket leaves it none to give its next block,
 * and each bucket then keeps the one freed into it. */
START_TEST(recut_keeps_each_bucket_bound) {
    env_t e;
    env_init(&e, SLAB, 1, NULL);
    char *a = alloc_filled(&e, IN_48K, 1);
    char *b = alloc_filled(&e, IN_48K, 2);
    free_checked(&e, a, IN_48K, 1);
    free_checked(&e, b, IN_48K, 2);
    ck_assert_uint_eq(allocs(&e), 2);
    ck_assert_uint_eq(frees(&e), 1);

    char *c = alloc_filled(&e, IN_64K, 3);
    ck_assert_uint_eq(allocs(&e), 2);
    char *d = alloc_filled(&e, IN_48K, 4);
    ck_assert_uint_eq(allocs(&e), 3);
    free_checked(&e, c, IN_64K, 3);
    free_checked(&e, d, IN_48K, 4);
    ck_assert_uint_eq(frees(&e), 1);

    /* a third empty slab is one over each bucket's bound */
    a = alloc_filled(&e, IN_48K, 5);
    b = alloc_filled(&e, IN_48K, 6);
    ck_assert_uint_eq(allocs(&e), 3); /* its own, then the 64 KiB one's */
    c = alloc_filled(&e, IN_64K, 7);
    ck_assert_uint_eq(allocs(&e), 4);
    free_checked(&e, a, IN_48K, 5);
    free_checked(&e, b, IN_48K, 6);
    free_checked(&e, c, IN_64K, 7);
    ck_assert_uint_eq(frees(&e), 2);
    env_fini(&e);
}
END_TEST

/* Shared limits of one slab: the moved slab leaves the limits, so the next
 * empty slab fits them again and is kept. */
START_TEST(recut_counted_out_of_limits) {
    umf_disjoint_pool_shared_limits_handle_t limits =
        umfDisjointPoolSharedLimitsCreate(SLAB);
    ck_assert_ptr_nonnull(limits);
    env_t e;
    env_init(&e, SLAB, 4, limits);
    char *x = alloc_filled(&e, IN_48K, 1);
    free_checked(&e, x, IN_48K, 1);
    char *y = alloc_filled(&e, IN_64K, 2);
    ck_assert_uint_eq(allocs(&e), 1);
    free_checked(&e, y, IN_64K, 2);
    ck_assert_uint_eq(frees(&e), 0);

    /* the limits hold one slab: a second empty one goes back */
    x = alloc_filled(&e, IN_48K, 3);
    y = alloc_filled(&e, IN_48K, 4);
    ck_assert_uint_eq(allocs(&e), 2);
    free_checked(&e, x, IN_48K, 3);
    free_checked(&e, y, IN_48K, 4);
    ck_assert_uint_eq(frees(&e), 1);
    env_fini(&e);
    umfDisjointPoolSharedLimitsDestroy(limits);
}
END_TEST

/* Slabs of another size stay where they are. */
START_TEST(recut_only_same_size) {
    env_t e;
    env_init(&e, 256 * KiB, 4, NULL);
    char *x = alloc_filled(&e, 100 * KiB, 1); /* a 128 KiB slab */
    free_checked(&e, x, 100 * KiB, 1);
    char *y = alloc_filled(&e, IN_48K, 2);
    ck_assert_uint_eq(allocs(&e), 2);
    char *z = alloc_filled(&e, 100 * KiB, 3);
    ck_assert_ptr_eq(z, x);
    ck_assert_uint_eq(allocs(&e), 2);
    free_checked(&e, y, IN_48K, 2);
    free_checked(&e, z, 100 * KiB, 3);
    env_fini(&e);
}
END_TEST

/* The empty slab a thread's heap keeps for its bucket of many chunks is
 * not on the bucket's list and stays the heap's: another bucket maps a new
 * slab, and the heap's next 64-byte block needs none. */
START_TEST(recut_leaves_heap_slab) {
    env_t e;
    env_init(&e, SLAB, 4, NULL);
    char *c = alloc_filled(&e, 64, 1);
    free_checked(&e, c, 64, 1);
    ck_assert_uint_eq(allocs(&e), 1);
    char *x = alloc_filled(&e, IN_48K, 2);
    ck_assert_uint_eq(allocs(&e), 2);
    c = alloc_filled(&e, 64, 3);
    ck_assert_uint_eq(allocs(&e), 2);
    free_checked(&e, c, 64, 3);
    free_checked(&e, x, IN_48K, 2);
    env_fini(&e);
}
END_TEST

/* Two threads whose blocks take turns between the two one-chunk buckets and
 * 64-byte chunks, so that slabs keep moving between buckets under both. */
typedef struct mover_arg_t {
    env_t *e;
    unsigned seed;
} mover_arg_t;

static void *mover(void *arg) {
    mover_arg_t *m = arg;
    static const size_t sizes[] = {IN_48K, IN_64K, 64, IN_64K, IN_48K, 4000};
    enum { LIVE = 16, ROUNDS = 3000 };
    char *live[LIVE] = {NULL};
    size_t size[LIVE] = {0};
    unsigned seed[LIVE] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull * (m->seed + 1);
    for (unsigned r = 0; r < ROUNDS; r++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        unsigned i = (unsigned)(rng % LIVE);
        if (live[i]) {
            free_checked(m->e, live[i], size[i], seed[i]);
        }
        size[i] = sizes[(rng >> 8) % (sizeof(sizes) / sizeof(sizes[0]))];
        seed[i] = m->seed * 100000 + r;
        live[i] = alloc_filled(m->e, size[i], seed[i]);
    }
    for (unsigned i = 0; i < LIVE; i++) {
        if (live[i]) {
            free_checked(m->e, live[i], size[i], seed[i]);
        }
    }
    return NULL;
}

START_TEST(recut_threads) {
    env_t e;
    env_init(&e, SLAB, 2, NULL);
    pthread_t t[2];
    mover_arg_t m[2] = {{&e, 1}, {&e, 2}};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, mover, &m[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    }
    env_fini(&e);
}
END_TEST

static Suite *recut_suite(void) {
    Suite *s = suite_create("pool_disjoint_recut");
    TCase *tc = tcase_create("recut");
    tcase_add_test(tc, recut_between_one_chunk_buckets);
    tcase_add_test(tc, recut_into_many_chunks);
    tcase_add_test(tc, recut_keeps_each_bucket_bound);
    tcase_add_test(tc, recut_counted_out_of_limits);
    tcase_add_test(tc, recut_only_same_size);
    tcase_add_test(tc, recut_leaves_heap_slab);
    tcase_add_test(tc, recut_threads);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, recut_suite, NULL);
}
