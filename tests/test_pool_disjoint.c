/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_disjoint.c -- the disjoint pool: params, buckets and slabs,
 * shared limits, memory the pool must not touch, provider failures,
 * alignment, threads, DISABLE_TRACKING, statistics and trace output.
 *
 * Statistics and trace go to UMF_LOG, which the library reads once at
 * start-up, so those tests run this program again (umf_test_run_child:
 * fork + execv with "--child SCENARIO") with UMF_LOG pointing at a file
 * and check what the child wrote. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_os_memory.h>

#include "test_helpers.h"
#include "test_providers.h"

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)
#define OK UMF_RESULT_SUCCESS
#define INVALID UMF_RESULT_ERROR_INVALID_ARGUMENT

/* ---------------------------------------------------------------------- */
/* fixtures                                                               */

/* A counting provider over an OS provider (optionally PROT_NONE), and a
 * record of the sizes the pool asked for. */
typedef struct env_t {
    umf_memory_provider_handle_t os;
    umf_test_counting_t cnt;
    umf_memory_provider_handle_t prov;
    size_t sizes[64]; /* the first allocation sizes seen by the provider */
    size_t nsizes;
} env_t;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void record_alloc(void *arg, void *ptr, size_t size) {
    (void)ptr;
    env_t *e = arg;
    size_t i = __atomic_fetch_add(&e->nsizes, 1, __ATOMIC_SEQ_CST);
    if (i < ARRAY_LEN(e->sizes)) {
        e->sizes[i] = size;
    }
}

/* Pattern the first and last 8 KiB of a buffer (all of a smaller one):
 * enough to catch overlaps without writing megabytes. */
#define ENDS ((size_t)8192)
static void fill_ends(void *buf, size_t len, unsigned seed) {
    if (len <= 2 * ENDS) {
        umf_test_fill(buf, len, seed);
        return;
    }
    umf_test_fill(buf, ENDS, seed);
    umf_test_fill((char *)buf + len - ENDS, ENDS, seed + 1);
}

static int verify_ends(const void *buf, size_t len, unsigned seed) {
    if (len <= 2 * ENDS) {
        return umf_test_verify(buf, len, seed);
    }
    return umf_test_verify(buf, ENDS, seed) &&
           umf_test_verify((const char *)buf + len - ENDS, ENDS, seed + 1);
}

static void env_init_prot(env_t *e, unsigned protection) {
    memset(e, 0, sizeof(*e));
    umf_os_memory_provider_params_handle_t op = NULL;
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&op), OK);
    if (protection) {
        ck_assert_int_eq(umfOsMemoryProviderParamsSetProtection(op, protection),
                         OK);
    }
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), op, &e->os), OK);
    umfOsMemoryProviderParamsDestroy(op);
    umf_test_counting_init(&e->cnt, e->os);
    e->cnt.on_alloc = record_alloc;
    e->cnt.hook_arg = e;
    ck_assert_int_eq(umf_test_counting_create(&e->cnt, &e->prov), OK);
}

static void env_init(env_t *e) { env_init_prot(e, 0); }

static size_t env_calls(env_t *e, umf_test_op_t op) {
    return umf_test_counting_get(&e->cnt, op);
}

/* Destroy the providers; every provider allocation must have been freed. */
static void env_fini(env_t *e) {
    ck_assert_int_eq(umf_test_counting_live_allocs(&e->cnt), 0);
    ck_assert_int_eq(umf_test_counting_live_bytes(&e->cnt), 0);
    umfMemoryProviderDestroy(e->prov);
    umfMemoryProviderDestroy(e->os);
}

static umf_disjoint_pool_params_handle_t params_new(size_t slab, size_t maxp,
                                                    size_t cap, size_t minb) {
    umf_disjoint_pool_params_handle_t p = NULL;
    ck_assert_int_eq(umfDisjointPoolParamsCreate(&p), OK);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, slab), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, maxp), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetCapacity(p, cap), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetMinBucketSize(p, minb), OK);
    return p;
}

static umf_memory_pool_handle_t pool_new(umf_memory_provider_handle_t prov,
                                         umf_disjoint_pool_params_handle_t p,
                                         umf_pool_create_flags_t flags) {
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfDisjointPoolOps(), prov, p, flags, &pool),
                     OK);
    ck_assert_ptr_nonnull(pool);
    return pool;
}

/* The parameters the reference's own tests use. */
static umf_disjoint_pool_params_handle_t params_reference(void) {
    return params_new(4096, 4096, 4, 64);
}

/* ---------------------------------------------------------------------- */
/* params                                                                 */

START_TEST(ops_table) {
    umf_memory_pool_ops_t *ops = umfDisjointPoolOps();
    ck_assert_ptr_nonnull(ops);
    ck_assert_uint_eq(ops->version, UMF_POOL_OPS_VERSION_CURRENT);
    ck_assert_ptr_nonnull(ops->initialize);
    ck_assert_ptr_nonnull(ops->finalize);
    ck_assert_ptr_nonnull(ops->malloc);
    ck_assert_ptr_nonnull(ops->calloc);
    ck_assert_ptr_nonnull(ops->realloc);
    ck_assert_ptr_nonnull(ops->aligned_malloc);
    ck_assert_ptr_nonnull(ops->malloc_usable_size);
    ck_assert_ptr_nonnull(ops->free);
    ck_assert_ptr_nonnull(ops->get_last_allocation_error);
}
END_TEST

START_TEST(params_null_handles) {
    ck_assert_int_eq(umfDisjointPoolParamsCreate(NULL), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsDestroy(NULL), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(NULL, 4096), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(NULL, 4096),
                     INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetCapacity(NULL, 4), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetMinBucketSize(NULL, 8), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetTrace(NULL, 1), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetSharedLimits(NULL, NULL), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetName(NULL, "x"), INVALID);
    umfDisjointPoolSharedLimitsDestroy(NULL); /* harmless */
}
END_TEST

START_TEST(params_invalid_values) {
    umf_disjoint_pool_params_handle_t p = NULL;
    ck_assert_int_eq(umfDisjointPoolParamsCreate(&p), OK);
    /* slab minimum size: 0 is refused, anything else accepted */
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, 0), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, 1), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, SIZE_MAX), OK);
    /* minimum bucket size: a power of 2 */
    static const size_t bad_buckets[] = {
        0, 3, 5, 6, 7, 12, 24, 100, (size_t)3 << 40, SIZE_MAX};
    for (size_t i = 0; i < sizeof(bad_buckets) / sizeof(bad_buckets[0]); i++) {
        ck_assert_int_eq(
            umfDisjointPoolParamsSetMinBucketSize(p, bad_buckets[i]), INVALID);
    }
    static const size_t good_buckets[] = {1,  2,  4,    8,
                                          16, 64, 4096, (size_t)1 << 40};
    for (size_t i = 0; i < sizeof(good_buckets) / sizeof(good_buckets[0]);
         i++) {
        ck_assert_int_eq(
            umfDisjointPoolParamsSetMinBucketSize(p, good_buckets[i]), OK);
    }
    /* trace: not negative */
    ck_assert_int_eq(umfDisjointPoolParamsSetTrace(p, -1), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetTrace(p, -1000), INVALID);
    for (int t = 0; t <= 4; t++) {
        ck_assert_int_eq(umfDisjointPoolParamsSetTrace(p, t), OK);
    }
    /* name: not NULL */
    ck_assert_int_eq(umfDisjointPoolParamsSetName(p, NULL), INVALID);
    ck_assert_int_eq(umfDisjointPoolParamsSetName(p, ""), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetName(p, "my pool"), OK);
    char longname[200];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ck_assert_int_eq(umfDisjointPoolParamsSetName(p, longname), OK);
    /* max poolable size, capacity and shared limits take any value */
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, 0), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, SIZE_MAX), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetCapacity(p, 0), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetCapacity(p, SIZE_MAX), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetSharedLimits(p, NULL), OK);
    ck_assert_int_eq(umfDisjointPoolParamsDestroy(p), OK);
}
END_TEST

/* Extreme values that are accepted must give working pools (or a clean
 * INVALID_ARGUMENT from umfPoolCreate where no slab could be described). */
START_TEST(params_extremes) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p =
        params_new(4096, SIZE_MAX, SIZE_MAX, 1);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    void *a = umfPoolMalloc(pool, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, a), 8);
    void *b = umfPoolMalloc(pool, 5 * MiB); /* pooled: max poolable is huge */
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_ge(umfPoolMallocUsableSize(pool, b), 5 * MiB);
    ck_assert_int_eq(umfPoolFree(pool, a), OK);
    ck_assert_int_eq(umfPoolFree(pool, b), OK);
    umfPoolDestroy(pool);

    /* a slab minimum size that makes absurd slabs is refused at create */
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, SIZE_MAX), OK);
    umf_memory_pool_handle_t bad = NULL;
    ck_assert_int_eq(umfPoolCreate(umfDisjointPoolOps(), e.prov, p, 0, &bad),
                     INVALID);
    ck_assert_ptr_null(bad);
    /* slab minimum size 1: slabs are one chunk of each bucket */
    ck_assert_int_eq(umfDisjointPoolParamsSetSlabMinSize(p, 1), OK);
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, 4096), OK);
    pool = pool_new(e.prov, p, 0);
    e.nsizes = 0;
    a = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(e.nsizes, 1);
    ck_assert_uint_eq(e.sizes[0], 128);
    ck_assert_int_eq(umfPoolFree(pool, a), OK);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* defaults and basic behaviour                                           */

/* NULL params and umfDisjointPoolParamsCreate give the same pool: 64 KiB
 * slabs, buckets up to 2 MiB, capacity 4, minimum bucket 8. */
static void check_defaults(umf_disjoint_pool_params_handle_t p) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    void *a = umfPoolMalloc(pool, 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, a), 8);
    ck_assert_uint_eq(e.nsizes, 1);
    ck_assert_uint_eq(e.sizes[0], 64 * KiB);
    /* 2 MiB is pooled (a 2 MiB slab), one byte more is not */
    void *b = umfPoolMalloc(pool, 2 * MiB);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(e.sizes[1], 2 * MiB);
    void *c = umfPoolMalloc(pool, 2 * MiB + 1);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(e.sizes[2], 2 * MiB + 1);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, c), 2 * MiB + 1);
    ck_assert_int_eq(umfPoolFree(pool, c), OK);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1);
    /* a 2 MiB slab emptied is kept (capacity 4) */
    ck_assert_int_eq(umfPoolFree(pool, b), OK);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1);
    void *bs[6];
    for (int i = 0; i < 6; i++) {
        bs[i] = umfPoolMalloc(pool, 2 * MiB);
        ck_assert_ptr_nonnull(bs[i]);
    }
    /* one slab was reused */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3 + 5);
    for (int i = 0; i < 6; i++) {
        ck_assert_int_eq(umfPoolFree(pool, bs[i]), OK);
    }
    /* four kept, two returned */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1 + 2);
    ck_assert_int_eq(umfPoolFree(pool, a), OK);
    /* the emptied 8-byte slab is kept (one per bucket of small chunks) */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 3);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 3 + 4 + 1);
    env_fini(&e);
}

START_TEST(defaults_null_params) { check_defaults(NULL); }
END_TEST

START_TEST(defaults_params_create) {
    umf_disjoint_pool_params_handle_t p = NULL;
    ck_assert_int_eq(umfDisjointPoolParamsCreate(&p), OK);
    check_defaults(p);
    umfDisjointPoolParamsDestroy(p);
}
END_TEST

START_TEST(basic_contract) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    /* malloc(0): NULL and no error */
    ck_assert_ptr_null(umfPoolMalloc(pool, 0));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool), OK);
    ck_assert_ptr_null(umfPoolAlignedMalloc(pool, 0, 64));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool), OK);
    /* calloc and realloc are not supported; the old block is untouched */
    ck_assert_ptr_null(umfPoolCalloc(pool, 1, 8));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    char *a = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(a);
    memset(a, 0x5a, 100);
    ck_assert_ptr_null(umfPoolRealloc(pool, a, 200));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_ptr_null(umfPoolRealloc(pool, NULL, 200));
    ck_assert(umf_test_all_bytes(a, 100, 0x5a));
    /* free(NULL) succeeds and keeps errno */
    errno = 1234;
    ck_assert_int_eq(umfPoolFree(pool, NULL), OK);
    ck_assert_int_eq(errno, 1234);
    /* SIZE_MAX fails with OUT_OF_HOST_MEMORY */
    ck_assert_ptr_null(umfPoolMalloc(pool, SIZE_MAX));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolAlignedMalloc(pool, SIZE_MAX, 4096));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolAlignedMalloc(pool, SIZE_MAX - 10, 64));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    /* usable size */
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, NULL), 0);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, a), 128);
    int local;
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, &local), 0);
    /* frees of what the pool did not hand out */
    ck_assert_int_eq(umfPoolFree(pool, &local), INVALID);
    char *big = umfPoolMalloc(pool, 3 * MiB);
    ck_assert_ptr_nonnull(big);
    ck_assert_int_eq(umfPoolFree(pool, big + 4096), INVALID);
    ck_assert_int_eq(umfPoolFree(pool, big), OK);
    ck_assert_int_eq(umfPoolFree(pool, big), INVALID); /* double free */
    char *b = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(umfPoolFree(pool, b), OK);
    ck_assert_int_eq(umfPoolFree(pool, b), INVALID); /* double free */
    ck_assert_int_eq(umfPoolFree(pool, a), OK);
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* Every size up to 5000 and a sample up to 2.5 x max poolable: usable
 * size, 8-byte alignment, the whole usable size writable, no two live
 * allocations overlapping. */
START_TEST(every_size) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p = params_new(4096, 16 * KiB, 4, 8);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    enum { N = 5400 };
    static unsigned char *ptrs[N];
    static size_t sizes[N];
    for (size_t i = 0; i < N; i++) {
        size_t n = i < 5000 ? i + 1 : 5000 + (i - 5000) * 89;
        sizes[i] = n;
        ptrs[i] = umfPoolMalloc(pool, n);
        ck_assert_ptr_nonnull(ptrs[i]);
        ck_assert_uint_eq((uintptr_t)ptrs[i] % 8, 0);
        size_t us = umfPoolMallocUsableSize(pool, ptrs[i]);
        ck_assert_uint_ge(us, n);
        umf_test_fill(ptrs[i], us, (unsigned)i);
    }
    for (size_t i = 0; i < N; i++) {
        ck_assert(umf_test_verify(
            ptrs[i], umfPoolMallocUsableSize(pool, ptrs[i]), (unsigned)i));
        ck_assert_int_eq(umfPoolFree(pool, ptrs[i]), OK);
    }
    (void)sizes;
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

START_TEST(by_ptr_and_umf_free) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    char *a = umfPoolMalloc(pool, 24);
    char *big = umfPoolMalloc(pool, 3 * MiB);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(big);
    ck_assert_ptr_eq(umfPoolByPtr(a), pool);
    ck_assert_ptr_eq(umfPoolByPtr(a + 10), pool);
    ck_assert_ptr_eq(umfPoolByPtr(big), pool);
    ck_assert_ptr_eq(umfPoolByPtr(big + 3 * MiB - 1), pool);
    ck_assert_int_eq(umfFree(a), OK);
    ck_assert_int_eq(umfFree(big), OK);
    ck_assert_ptr_null(umfPoolByPtr(big));
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* buckets and slabs                                                      */

typedef struct size_case_t {
    size_t request, usable;
} size_case_t;

static void check_sizes(umf_disjoint_pool_params_handle_t p,
                        const size_case_t *cases, size_t n) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    for (size_t i = 0; i < n; i++) {
        void *x = umfPoolMalloc(pool, cases[i].request);
        ck_assert_ptr_nonnull(x);
        ck_assert_msg(umfPoolMallocUsableSize(pool, x) == cases[i].usable,
                      "malloc(%zu): usable %zu, expected %zu", cases[i].request,
                      umfPoolMallocUsableSize(pool, x), cases[i].usable);
        ck_assert_int_eq(umfPoolFree(pool, x), OK);
    }
    umfPoolDestroy(pool);
    env_fini(&e);
}

START_TEST(bucket_sizes_default) {
    static const size_case_t cases[] = {
        {1, 8},
        {8, 8},
        {9, 16},
        {16, 16},
        {17, 24},
        {24, 24},
        {25, 32},
        {33, 48},
        {49, 64},
        {65, 96},
        {97, 128},
        {129, 192},
        {1000, 1024},
        {1025, 1536},
        {1537, 2048},
        {3000, 3072},
        {4097, 6144},
        {65537, 98304},
        {98305, 131072},
        {MiB + 1, 1536 * KiB},
        {2 * MiB, 2 * MiB},
        {2 * MiB + 1, 2 * MiB + 1},
        {5 * MiB, 5 * MiB},
    };
    check_sizes(NULL, cases, sizeof(cases) / sizeof(cases[0]));
}
END_TEST

START_TEST(bucket_sizes_params) {
    /* minimum bucket 64 */
    umf_disjoint_pool_params_handle_t p = params_reference();
    static const size_case_t c64[] = {{1, 64},     {64, 64},     {65, 96},
                                      {97, 128},   {4096, 4096}, {4097, 4097},
                                      {5000, 5000}};
    check_sizes(p, c64, sizeof(c64) / sizeof(c64[0]));
    /* minimum buckets 1, 2, 4 are accepted and give 8-byte chunks */
    for (size_t mb = 1; mb <= 4; mb *= 2) {
        ck_assert_int_eq(umfDisjointPoolParamsSetMinBucketSize(p, mb), OK);
        static const size_case_t c1[] = {{1, 8}, {9, 16}, {17, 24}};
        check_sizes(p, c1, sizeof(c1) / sizeof(c1[0]));
    }
    /* a max poolable size between buckets: its bucket serves it */
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, 5000), OK);
    static const size_case_t c5000[] = {{5000, 6144}, {5001, 5001}};
    check_sizes(p, c5000, sizeof(c5000) / sizeof(c5000[0]));
    /* nothing pooled */
    ck_assert_int_eq(umfDisjointPoolParamsSetMaxPoolableSize(p, 0), OK);
    static const size_case_t c0[] = {{1, 1}, {8, 8}, {100, 100}};
    check_sizes(p, c0, sizeof(c0) / sizeof(c0[0]));
    umfDisjointPoolParamsDestroy(p);
}
END_TEST

/* Slabs of several chunks: one slab per 16 chunks of 4 KiB; one empty slab
 * is kept, the others go back at once. */
START_TEST(slabs_chunked) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    void *x[40];
    for (int i = 0; i < 16; i++) {
        x[i] = umfPoolMalloc(pool, 4096);
        ck_assert_ptr_nonnull(x[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 1);
    for (int i = 16; i < 40; i++) {
        x[i] = umfPoolMalloc(pool, 4096);
        ck_assert_ptr_nonnull(x[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 2);
    ck_assert_int_eq(umf_test_counting_live_allocs(&e.cnt), 1);
    /* the kept slab serves the next 16 */
    for (int i = 0; i < 16; i++) {
        x[i] = umfPoolMalloc(pool, 4096);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 3);
    env_fini(&e);
}
END_TEST

/* A heap keeps the count of its kept empty slab while the slab is in use
 * again (pairs then write no shared counter); a thread that exits in that
 * state gives the count back, so the bucket can still keep `capacity`
 * empty slabs afterwards. Heaps keep slabs of several chunks only. */
#define UNIT_CHUNK ((size_t)64) /* 64 chunks to a 4 KiB slab */

static void *take_free_take(void *arg) {
    umf_memory_pool_handle_t pool = *(umf_memory_pool_handle_t *)arg;
    void *x = umfPoolMalloc(pool, UNIT_CHUNK); /* its own slab */
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(umfPoolFree(pool, x), OK); /* kept, counted */
    x = umfPoolMalloc(pool, UNIT_CHUNK);        /* the kept slab again */
    ck_assert_ptr_nonnull(x);
    return x; /* the thread exits with the count and the slab in use */
}

START_TEST(slabs_unit_given_back) {
    enum { PER_SLAB = 4096 / UNIT_CHUNK };
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 1, 8);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    pthread_t t;
    void *x = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, take_free_take, &pool), 0);
    ck_assert_int_eq(pthread_join(t, &x), 0);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 1);
    /* the count came back: the emptied slab is kept, not returned */
    ck_assert_int_eq(umfPoolFree(pool, x), OK);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 0);
    /* and capacity 1 still holds: of two emptied slabs one is returned */
    void *v[2 * PER_SLAB];
    for (int i = 0; i < 2 * PER_SLAB; i++) {
        v[i] = umfPoolMalloc(pool, UNIT_CHUNK);
        ck_assert_ptr_nonnull(v[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 2);
    for (int i = 0; i < 2 * PER_SLAB; i++) {
        ck_assert_int_eq(umfPoolFree(pool, v[i]), OK);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 2);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

/* An emptied slab of one chunk goes to the bucket's shared list, not to
 * its thread's heap: another thread reuses it while the first still runs
 * (the pool then keeps `capacity` such slabs for all threads together, as
 * the reference does, and maps no more than it would). */
typedef struct handoff_t {
    umf_memory_pool_handle_t pool;
    pthread_barrier_t freed, done;
} handoff_t;

static void *free_then_wait(void *arg) {
    handoff_t *h = arg;
    void *x = umfPoolMalloc(h->pool, 8 * KiB); /* an 8 KiB slab of its own */
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(umfPoolFree(h->pool, x), OK);
    pthread_barrier_wait(&h->freed);
    pthread_barrier_wait(&h->done); /* alive while the other allocates */
    return NULL;
}

START_TEST(slabs_of_one_chunk_shared) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 4, 8);
    handoff_t h;
    h.pool = pool_new(e.prov, p, 0);
    pthread_barrier_init(&h.freed, NULL, 2);
    pthread_barrier_init(&h.done, NULL, 2);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, free_then_wait, &h), 0);
    pthread_barrier_wait(&h.freed);
    void *y = umfPoolMalloc(h.pool, 8 * KiB);
    ck_assert_ptr_nonnull(y);
    size_t allocs = env_calls(&e, UMF_TEST_OP_ALLOC);
    pthread_barrier_wait(&h.done);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(allocs, 1);
    ck_assert_int_eq(umfPoolFree(h.pool, y), OK);
    umfPoolDestroy(h.pool);
    pthread_barrier_destroy(&h.freed);
    pthread_barrier_destroy(&h.done);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

/* Slabs of one chunk keep up to `capacity` empty slabs, 0 included. */
START_TEST(slabs_capacity) {
    for (size_t cap = 0; cap <= 5; cap++) {
        env_t e;
        env_init(&e);
        umf_disjoint_pool_params_handle_t p =
            params_new(4096, 64 * KiB, cap, 8);
        umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
        void *x[8];
        for (int i = 0; i < 8; i++) {
            x[i] = umfPoolMalloc(pool, 8 * KiB); /* 8 KiB slabs */
            ck_assert_ptr_nonnull(x[i]);
        }
        ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 8);
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
        }
        ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 8 - cap);
        for (int i = 0; i < 8; i++) {
            x[i] = umfPoolMalloc(pool, 8 * KiB);
        }
        ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 8 + 8 - cap);
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
        }
        umfPoolDestroy(pool);
        ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 16 - cap);
        umfDisjointPoolParamsDestroy(p);
        env_fini(&e);
    }
}
END_TEST

/* Slab descriptors: those of destroyed slabs serve new slabs (their bitmaps
 * fresh: every chunk handed out once), and a descriptor too large for the
 * pool's descriptor arena (1 MiB slabs of 8-byte chunks) works as well. */
static void descriptors_round(umf_memory_pool_handle_t pool, size_t size,
                              size_t n, unsigned seed) {
    char **x = calloc(n, sizeof(*x));
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++) {
        x[i] = umfPoolMalloc(pool, size);
        ck_assert_ptr_nonnull(x[i]);
        umf_test_fill(x[i], size, seed + (unsigned)i);
    }
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(umf_test_verify(x[i], size, seed + (unsigned)i),
                      "block %zu of %zu bytes overwritten", i, size);
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    free(x);
}

START_TEST(slab_descriptors) {
    env_t e;
    env_init(&e);
    /* capacity 0: every emptied slab goes back, its descriptor is kept */
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 0, 8);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    for (unsigned round = 0; round < 4; round++) {
        descriptors_round(pool, 64, 1000, round * 7919);
        descriptors_round(pool, 24, 1000, round * 7919 + 1);
    }
    /* 1000 blocks fill 16 slabs of 64 bytes and 6 of 24 (170 each); a
     * bucket of several chunks keeps one empty slab even with capacity 0
     * (the first to empty), and the two buckets' slabs have one size, so
     * every round but the first takes the slab the round before kept
     * (test_pool_disjoint_recut.c), and one is kept at the end */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 16 + 3 * 15 + 4 * 5);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 16 + 3 * 15 + 4 * 5 - 1);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);

    p = params_new(1 << 20, 64, 1, 8);
    pool = pool_new(e.prov, p, 0);
    descriptors_round(pool, 8, 5000, 3);
    descriptors_round(pool, 8, 5000, 4);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

/* The reference's test parameters behave as with the reference. */
START_TEST(slabs_reference_params) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p = params_reference();
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    void *x[65];
    for (int i = 0; i < 65; i++) {
        x[i] = umfPoolMalloc(pool, 64);
        ck_assert_ptr_nonnull(x[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 2);
    ck_assert_uint_eq(e.sizes[0], 4096);
    for (int i = 0; i < 65; i++) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1);
    void *big = umfPoolMalloc(pool, 4097);
    ck_assert_uint_eq(e.sizes[2], 4097);
    ck_assert_int_eq(umfPoolFree(pool, big), OK);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

/* Destroy with live allocations gives every slab and large allocation
 * back, once. */
START_TEST(destroy_with_live) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    for (int i = 0; i < 100; i++) {
        ck_assert_ptr_nonnull(umfPoolMalloc(pool, (size_t)i * 97 + 1));
    }
    ck_assert_ptr_nonnull(umfPoolMalloc(pool, 3 * MiB));
    ck_assert_ptr_nonnull(umfPoolAlignedMalloc(pool, 10, 4 * MiB));
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE),
                      env_calls(&e, UMF_TEST_OP_ALLOC));
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* shared limits                                                          */

static umf_disjoint_pool_params_handle_t
params_limits(umf_disjoint_pool_shared_limits_handle_t l) {
    umf_disjoint_pool_params_handle_t p = params_new(KiB, 4 * KiB, 4, 64);
    ck_assert_int_eq(umfDisjointPoolParamsSetSharedLimits(p, l), OK);
    return p;
}

/* Two pools (slab 1 KiB, max poolable 4 KiB, capacity 4, min bucket 64)
 * sharing a 4 KiB limit each allocate 4 x 1 KiB; after the 8 frees the
 * provider saw 8 allocations and 4 frees, after both destroys 8 frees. */
static void shared_limits_scenario(bool interleave) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_shared_limits_handle_t l =
        umfDisjointPoolSharedLimitsCreate(4 * KiB);
    ck_assert_ptr_nonnull(l);
    umf_disjoint_pool_params_handle_t p = params_limits(l);
    umf_memory_pool_handle_t a = pool_new(e.prov, p, 0);
    umf_memory_pool_handle_t b = pool_new(e.prov, p, 0);
    void *pa[4], *pb[4];
    for (int i = 0; i < 4; i++) {
        pa[i] = umfPoolMalloc(a, KiB);
        pb[i] = umfPoolMalloc(b, KiB);
        ck_assert_ptr_nonnull(pa[i]);
        ck_assert_ptr_nonnull(pb[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 8);
    for (int i = 0; i < 8; i++) {
        ck_assert_uint_eq(e.sizes[i], KiB);
    }
    if (interleave) {
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(umfPoolFree(a, pa[i]), OK);
            ck_assert_int_eq(umfPoolFree(b, pb[i]), OK);
        }
    } else {
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(umfPoolFree(a, pa[i]), OK);
        }
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(umfPoolFree(b, pb[i]), OK);
        }
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 8);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 4);
    umfPoolDestroy(a);
    umfPoolDestroy(b);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 8);
    umfDisjointPoolParamsDestroy(p);
    umfDisjointPoolSharedLimitsDestroy(l);
    env_fini(&e);
}

START_TEST(shared_limits_exact) { shared_limits_scenario(false); }
END_TEST

START_TEST(shared_limits_interleaved) { shared_limits_scenario(true); }
END_TEST

/* Reusing a cached slab gives its bytes back to the limit. */
START_TEST(shared_limits_reuse) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_shared_limits_handle_t l =
        umfDisjointPoolSharedLimitsCreate(2 * KiB);
    umf_disjoint_pool_params_handle_t p = params_limits(l);
    umf_memory_pool_handle_t a = pool_new(e.prov, p, 0);
    umf_memory_pool_handle_t b = pool_new(e.prov, p, 0);
    void *x = umfPoolMalloc(a, KiB), *y = umfPoolMalloc(a, KiB);
    ck_assert_int_eq(umfPoolFree(a, x), OK);
    ck_assert_int_eq(umfPoolFree(a, y), OK); /* a caches 2 KiB: full */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 0);
    x = umfPoolMalloc(a, KiB); /* reuse: 1 KiB of the limit is free again */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 2);
    y = umfPoolMalloc(b, KiB);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3);
    ck_assert_int_eq(umfPoolFree(b, y), OK); /* fits */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 0);
    ck_assert_int_eq(umfPoolFree(a, x), OK); /* does not fit */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 1);
    umfPoolDestroy(a);
    umfPoolDestroy(b);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 3);
    umfDisjointPoolParamsDestroy(p);
    umfDisjointPoolSharedLimitsDestroy(l);
    env_fini(&e);
}
END_TEST

/* A zero limit keeps nothing; destroying the limits before the pools that
 * use them is survivable (they are freed with the last pool). */
START_TEST(shared_limits_zero_and_early_destroy) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_shared_limits_handle_t l =
        umfDisjointPoolSharedLimitsCreate(0);
    ck_assert_ptr_nonnull(l);
    umf_disjoint_pool_params_handle_t p = params_limits(l);
    umf_memory_pool_handle_t a = pool_new(e.prov, p, 0);
    umfDisjointPoolParamsDestroy(p);
    umfDisjointPoolSharedLimitsDestroy(l);
    for (int i = 0; i < 10; i++) {
        void *x = umfPoolMalloc(a, 100);
        ck_assert_ptr_nonnull(x);
        ck_assert_int_eq(umfPoolFree(a, x), OK);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 10);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 10);
    umfPoolDestroy(a);
    env_fini(&e);
}
END_TEST

/* Pools on several threads contend for one limit: the cached bytes never
 * exceed it (checked at the end through the provider's live bytes) and
 * nobody livelocks. */
typedef struct limits_thread_t {
    umf_memory_pool_handle_t pool;
    unsigned seed;
    int errors;
} limits_thread_t;

static void *limits_worker(void *arg) {
    limits_thread_t *t = arg;
    uint64_t rng = t->seed;
    void *x[8] = {0};
    for (int it = 0; it < 20000; it++) {
        unsigned i = (unsigned)(umf_test_rand(&rng) % 8);
        if (x[i]) {
            if (umfPoolFree(t->pool, x[i]) != OK) {
                t->errors++;
            }
            x[i] = NULL;
        } else if (!(x[i] = umfPoolMalloc(t->pool, KiB))) {
            t->errors++;
        }
    }
    for (int i = 0; i < 8; i++) {
        if (x[i] && umfPoolFree(t->pool, x[i]) != OK) {
            t->errors++;
        }
    }
    return NULL;
}

START_TEST(shared_limits_threads) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_shared_limits_handle_t l =
        umfDisjointPoolSharedLimitsCreate(4 * KiB);
    umf_disjoint_pool_params_handle_t p = params_limits(l);
    umf_memory_pool_handle_t a = pool_new(e.prov, p, 0);
    umf_memory_pool_handle_t b = pool_new(e.prov, p, 0);
    limits_thread_t t[4] = {{a, 1, 0}, {a, 2, 0}, {b, 3, 0}, {b, 4, 0}};
    ck_assert_int_eq(umf_test_run_threads(4, limits_worker, t, sizeof(t[0])),
                     0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(t[i].errors, 0);
    }
    /* everything freed: what the provider still holds is the cache */
    ck_assert_int_le(umf_test_counting_live_bytes(&e.cnt), 4 * KiB);
    umfPoolDestroy(a);
    umfPoolDestroy(b);
    umfDisjointPoolParamsDestroy(p);
    umfDisjointPoolSharedLimitsDestroy(l);
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* memory the pool must never touch                                       */

static void prot_none_run(umf_disjoint_pool_params_handle_t p,
                          umf_pool_create_flags_t flags) {
    env_t e;
    env_init_prot(&e, UMF_PROTECTION_NONE);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, flags);
    enum { N = 600 };
    void *x[N];
    uint64_t rng = 42;
    for (int i = 0; i < N; i++) {
        size_t n =
            1 + (size_t)(umf_test_rand(&rng) % (i % 10 == 0 ? 3 * MiB : 5000));
        if (i % 7 == 0) {
            size_t align = (size_t)1 << (umf_test_rand(&rng) % 23);
            x[i] = umfPoolAlignedMalloc(pool, n, align);
            ck_assert_ptr_nonnull(x[i]);
            ck_assert_uint_eq((uintptr_t)x[i] % align, 0);
        } else {
            x[i] = umfPoolMalloc(pool, n);
            ck_assert_ptr_nonnull(x[i]);
        }
        ck_assert_uint_ge(umfPoolMallocUsableSize(pool, x[i]), n);
    }
    for (int i = 0; i < N; i += 2) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    for (int i = 0; i < N; i += 2) {
        x[i] = umfPoolMalloc(pool, 100);
        ck_assert_ptr_nonnull(x[i]);
    }
    for (int i = N - 1; i >= 0; i--) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    /* and live allocations at destroy */
    ck_assert_ptr_nonnull(umfPoolMalloc(pool, 64));
    ck_assert_ptr_nonnull(umfPoolMalloc(pool, 3 * MiB));
    umfPoolDestroy(pool);
    env_fini(&e);
}

START_TEST(prot_none_defaults) { prot_none_run(NULL, 0); }
END_TEST

START_TEST(prot_none_small_slabs_untracked) {
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 4, 8);
    ck_assert_int_eq(umfDisjointPoolParamsSetTrace(p, 3), OK);
    prot_none_run(p, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
    umfDisjointPoolParamsDestroy(p);
}
END_TEST

/* A provider of addresses that are never mapped, anywhere in the 64-bit
 * space (device address ranges): a bump allocator that leaves odd gaps, so
 * slabs start anywhere inside the pool's lookup granules. Any access by the
 * pool would fault. */
typedef struct fake_dev_t {
    uintptr_t next, end;
    uint64_t rng;
    long long live;
    size_t allocs, frees, bad_frees;
    uintptr_t ptrs[4096];
    size_t sizes[4096];
} fake_dev_t;

static umf_result_t fake_initialize(void *params, void **provider) {
    *provider = params;
    return OK;
}
static void fake_finalize(void *provider) { (void)provider; }
static umf_result_t fake_alloc(void *provider, size_t size, size_t alignment,
                               void **ptr) {
    fake_dev_t *d = provider;
    /* 8-byte aligned at least, as any provider's default */
    uintptr_t a =
        ((d->next + 7) & ~(uintptr_t)7) + 8 * (umf_test_rand(&d->rng) % 4096);
    if (alignment > 1) {
        a = (a + alignment - 1) & ~(uintptr_t)(alignment - 1);
    }
    if (a < d->next || a > d->end || size > d->end - a) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    d->next = a + size;
    for (size_t i = 0; i < 4096; i++) {
        if (!d->ptrs[i]) {
            d->ptrs[i] = a;
            d->sizes[i] = size;
            break;
        }
    }
    d->live++;
    d->allocs++;
    *ptr = (void *)a;
    return OK;
}
static umf_result_t fake_free(void *provider, void *ptr, size_t size) {
    fake_dev_t *d = provider;
    for (size_t i = 0; i < 4096; i++) {
        if (d->ptrs[i] == (uintptr_t)ptr) {
            if (d->sizes[i] != size) {
                d->bad_frees++;
            }
            d->ptrs[i] = 0;
            d->live--;
            d->frees++;
            return OK;
        }
    }
    d->bad_frees++;
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}
static void fake_native_error(void *provider, const char **msg, int32_t *err) {
    (void)provider;
    *msg = "fake";
    *err = 0;
}
static umf_result_t fake_page_size(void *provider, size_t size, size_t *ps) {
    (void)provider;
    (void)size;
    *ps = 4096;
    return OK;
}
static umf_result_t fake_min_page_size(void *provider, void *ptr, size_t *ps) {
    (void)provider;
    (void)ptr;
    *ps = 4096;
    return OK;
}
static const char *fake_name(void *provider) {
    (void)provider;
    return "fake_device";
}
static umf_memory_provider_ops_t fake_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = fake_initialize,
    .finalize = fake_finalize,
    .alloc = fake_alloc,
    .free = fake_free,
    .get_last_native_error = fake_native_error,
    .get_recommended_page_size = fake_page_size,
    .get_min_page_size = fake_min_page_size,
    .get_name = fake_name,
};

typedef struct range_t {
    uintptr_t a;
    size_t n;
} range_t;

static int range_cmp(const void *x, const void *y) {
    uintptr_t a = ((const range_t *)x)->a, b = ((const range_t *)y)->a;
    return (a > b) - (a < b);
}

static void fake_device_run(uintptr_t base, uintptr_t end,
                            umf_disjoint_pool_params_handle_t p,
                            umf_pool_create_flags_t flags) {
    static fake_dev_t d;
    memset(&d, 0, sizeof(d));
    d.next = base;
    d.end = end;
    d.rng = base | 1;
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(&fake_ops, &d, &prov), OK);
    umf_memory_pool_handle_t pool = pool_new(prov, p, flags);
    enum { N = 3000 };
    static range_t r[N];
    uint64_t rng = 7;
    for (int i = 0; i < N; i++) {
        uint64_t x = umf_test_rand(&rng);
        size_t n = 1 + (size_t)(x % (i % 50 == 0 ? 6 * MiB : 9000));
        void *q;
        if (i % 9 == 0) {
            size_t align = (size_t)1 << (x % 23);
            q = umfPoolAlignedMalloc(pool, n, align);
            ck_assert_ptr_nonnull(q);
            ck_assert_uint_eq((uintptr_t)q % align, 0);
        } else {
            q = umfPoolMalloc(pool, n);
            ck_assert_ptr_nonnull(q);
        }
        r[i].a = (uintptr_t)q;
        r[i].n = umfPoolMallocUsableSize(pool, q);
        ck_assert_uint_ge(r[i].n, n);
        ck_assert_uint_ge((uintptr_t)q, base);
        ck_assert_uint_le((uintptr_t)q + n, end);
    }
    /* no two allocations overlap */
    static range_t sorted[N];
    memcpy(sorted, r, sizeof(r));
    qsort(sorted, N, sizeof(sorted[0]), range_cmp);
    for (int i = 1; i < N; i++) {
        ck_assert_uint_le(sorted[i - 1].a + sorted[i - 1].n, sorted[i].a);
    }
    for (int i = 0; i < N; i += 3) {
        ck_assert_int_eq(umfPoolFree(pool, (void *)r[i].a), OK);
    }
    for (int i = 0; i < N; i++) {
        if (i % 3) {
            ck_assert_int_eq(umfPoolFree(pool, (void *)r[i].a), OK);
        }
    }
    umfPoolDestroy(pool);
    ck_assert_int_eq(d.live, 0);
    ck_assert_uint_eq(d.bad_frees, 0);
    ck_assert_uint_eq(d.allocs, d.frees);
    umfMemoryProviderDestroy(prov);
}

START_TEST(fake_device_addresses) {
    const umf_pool_create_flags_t untracked =
        UMF_POOL_CREATE_FLAG_DISABLE_TRACKING;
    /* low addresses, around 2^47 (both lookup trees), near 2^64 */
    fake_device_run(0x10000, (uintptr_t)1 << 40, NULL, 0);
    fake_device_run(((uintptr_t)1 << 47) - 64 * MiB,
                    ((uintptr_t)1 << 47) + ((uintptr_t)1 << 40), NULL,
                    untracked);
    fake_device_run(UINTPTR_MAX - ((uintptr_t)1 << 40), UINTPTR_MAX - 4095,
                    NULL, untracked);
    umf_disjoint_pool_params_handle_t p = params_new(KiB, 64 * KiB, 2, 16);
    fake_device_run(((uintptr_t)1 << 47) - 2 * MiB,
                    ((uintptr_t)1 << 47) + ((uintptr_t)1 << 40), p, untracked);
    fake_device_run((uintptr_t)0xdead0000ull << 32, UINTPTR_MAX - 4095, p,
                    untracked);
    umfDisjointPoolParamsDestroy(p);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* provider failures                                                      */

START_TEST(failing_provider) {
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umf_test_failing_provider_ops(), NULL, &prov),
        OK);
    umf_memory_pool_handle_t pool = pool_new(prov, NULL, 0);
    static const size_t sizes[] = {1, 8, 100, 4096, 64 * KiB, 2 * MiB, 3 * MiB};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        ck_assert_ptr_null(umfPoolMalloc(pool, sizes[i]));
        ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                         UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        ck_assert_ptr_null(umfPoolAlignedMalloc(pool, sizes[i], 64));
        ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                         UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        ck_assert_ptr_null(umfPoolAlignedMalloc(pool, sizes[i], 1 * MiB));
        ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                         UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* A provider that fails now and then: each failure is reported, the pool
 * keeps working, and a failed large free is retried at destroy. */
START_TEST(provider_fails_sometimes) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    umf_test_counting_fail_next(&e.cnt, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_null(umfPoolMalloc(pool, 8));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    void *a = umfPoolMalloc(pool, 8);
    ck_assert_ptr_nonnull(a);
    umf_test_counting_fail_next(&e.cnt, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_UNKNOWN);
    ck_assert_ptr_null(umfPoolMalloc(pool, 3 * MiB));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    void *big = umfPoolMalloc(pool, 3 * MiB);
    ck_assert_ptr_nonnull(big);
    umf_test_counting_fail_next(&e.cnt, UMF_TEST_OP_FREE,
                                UMF_RESULT_ERROR_UNKNOWN);
    ck_assert_int_eq(umfPoolFree(pool, big), UMF_RESULT_ERROR_UNKNOWN);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, big), 3 * MiB);
    ck_assert_int_eq(umfPoolFree(pool, a), OK);
    umfPoolDestroy(pool); /* frees big */
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* alignment                                                              */

static int aligned_round(umf_memory_pool_handle_t pool, bool writable) {
    int errors = 0;
    for (unsigned sh = 0; sh <= 22; sh++) {
        size_t align = (size_t)1 << sh;
        const size_t sizes[2] = {align, 1};
        for (int s = 0; s < 2; s++) {
            void *x[4];
            for (int i = 0; i < 4; i++) {
                x[i] = umfPoolAlignedMalloc(pool, sizes[s], align);
                if (!x[i] || (uintptr_t)x[i] % align ||
                    umfPoolMallocUsableSize(pool, x[i]) < sizes[s]) {
                    errors++;
                    continue;
                }
                if (writable) {
                    fill_ends(x[i], sizes[s], sh * 8 + (unsigned)i);
                }
            }
            for (int i = 0; i < 4; i++) {
                if (!x[i]) {
                    continue;
                }
                if (writable &&
                    !verify_ends(x[i], sizes[s], sh * 8 + (unsigned)i)) {
                    errors++;
                }
                if (umfPoolFree(pool, x[i]) != OK) {
                    errors++;
                }
            }
        }
    }
    return errors;
}

START_TEST(aligned_every_power_of_2) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    ck_assert_int_eq(aligned_round(pool, true), 0);
    umfPoolDestroy(pool);
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 4, 8);
    pool = pool_new(e.prov, p, 0);
    ck_assert_int_eq(aligned_round(pool, true), 0);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

START_TEST(aligned_invalid) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    static const size_t bad[] = {3, 6, 24, 48, 3 * 4096, SIZE_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_ptr_null(umfPoolAlignedMalloc(pool, 64, bad[i]));
        ck_assert_int_eq(umfPoolGetLastAllocationError(pool), INVALID);
    }
    void *x = umfPoolAlignedMalloc(pool, 64, 0); /* 0: no alignment asked */
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(umfPoolFree(pool, x), OK);
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* Pointers aligned inside a chunk map back to that chunk: fill many such
 * allocations, check no two overlap, free them and see every slab back. */
START_TEST(aligned_inside_chunks) {
    env_t e;
    env_init(&e);
    umf_disjoint_pool_params_handle_t p = params_new(64 * KiB, 2 * MiB, 0, 8);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, 0);
    enum { N = 200 };
    void *x[N];
    for (int i = 0; i < N; i++) {
        size_t align = (size_t)8192 << (i % 4);
        size_t n = 100 + (size_t)i * 13;
        x[i] = umfPoolAlignedMalloc(pool, n, align);
        ck_assert_ptr_nonnull(x[i]);
        ck_assert_uint_eq((uintptr_t)x[i] % align, 0);
        umf_test_fill(x[i], n, (unsigned)i);
    }
    for (int i = 0; i < N; i++) {
        ck_assert(umf_test_verify(x[i], 100 + (size_t)i * 13, (unsigned)i));
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(umfPoolFree(pool, x[i]), OK);
    }
    /* buckets of several chunks keep one empty slab each, the others none */
    ck_assert_int_le(umf_test_counting_live_allocs(&e.cnt), 8);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(p);
    env_fini(&e);
}
END_TEST

static void *aligned_worker(void *arg) {
    umf_memory_pool_handle_t pool = *(umf_memory_pool_handle_t *)arg;
    return (void *)(intptr_t)aligned_round(pool, true);
}

typedef struct aligned_mt_t {
    umf_memory_pool_handle_t pool;
    int errors;
} aligned_mt_t;

static void *aligned_mt_worker(void *arg) {
    aligned_mt_t *t = arg;
    t->errors = (int)(intptr_t)aligned_worker(&t->pool);
    return NULL;
}

START_TEST(aligned_threads) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    aligned_mt_t t[5];
    for (int i = 0; i < 5; i++) {
        t[i].pool = pool;
        t[i].errors = 0;
    }
    ck_assert_int_eq(
        umf_test_run_threads(5, aligned_mt_worker, t, sizeof(t[0])), 0);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(t[i].errors, 0);
    }
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* threads                                                                */

/* Each thread keeps a set of live allocations of random sizes (some
 * large, some aligned), fills each with a pattern and checks it before
 * freeing; a share of the allocations goes to the other thread, which
 * checks and frees them (cross-thread frees). */
typedef struct churn_shared_t {
    pthread_mutex_t lock;
    void *box[2][256]; /* box[t]: allocations for thread t to free */
    size_t boxsize[2][256];
    unsigned boxseed[2][256];
    unsigned nbox[2];
} churn_shared_t;

typedef struct churn_thread_t {
    umf_memory_pool_handle_t pool;
    churn_shared_t *shared;
    unsigned id;
    unsigned iterations;
    int errors;
} churn_thread_t;

static void churn_drain(churn_thread_t *t) {
    churn_shared_t *sh = t->shared;
    pthread_mutex_lock(&sh->lock);
    for (unsigned i = 0; i < sh->nbox[t->id]; i++) {
        if (!verify_ends(sh->box[t->id][i], sh->boxsize[t->id][i],
                         sh->boxseed[t->id][i])) {
            t->errors++;
        }
        if (umfPoolFree(t->pool, sh->box[t->id][i]) != OK) {
            t->errors++;
        }
    }
    sh->nbox[t->id] = 0;
    pthread_mutex_unlock(&sh->lock);
}

static void *churn_worker(void *arg) {
    churn_thread_t *t = arg;
    enum { SLOTS = 512 };
    void *x[SLOTS] = {0};
    size_t sz[SLOTS] = {0};
    unsigned seed[SLOTS] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull * (t->id + 1);
    for (unsigned it = 0; it < t->iterations; it++) {
        unsigned i = (unsigned)(umf_test_rand(&rng) % SLOTS);
        if (x[i]) {
            if (!verify_ends(x[i], sz[i], seed[i])) {
                t->errors++;
            }
            if (it % 5 == 0) {
                /* hand it to the other thread */
                churn_shared_t *sh = t->shared;
                unsigned o = 1 - t->id;
                pthread_mutex_lock(&sh->lock);
                if (sh->nbox[o] < 256) {
                    sh->box[o][sh->nbox[o]] = x[i];
                    sh->boxsize[o][sh->nbox[o]] = sz[i];
                    sh->boxseed[o][sh->nbox[o]] = seed[i];
                    sh->nbox[o]++;
                    x[i] = NULL;
                }
                pthread_mutex_unlock(&sh->lock);
            }
            if (x[i] && umfPoolFree(t->pool, x[i]) != OK) {
                t->errors++;
            }
            x[i] = NULL;
            continue;
        }
        uint64_t r = umf_test_rand(&rng);
        size_t n;
        if (r % 300 == 0) {
            n = 2 * MiB + r % (2 * MiB); /* large */
        } else if (r % 10 == 0) {
            n = 1 + r % (256 * KiB);
        } else {
            n = 1 + r % 4096;
        }
        if (r % 17 == 0) {
            x[i] = umfPoolAlignedMalloc(t->pool, n, (size_t)1 << (r % 16));
        } else {
            x[i] = umfPoolMalloc(t->pool, n);
        }
        if (!x[i] || umfPoolMallocUsableSize(t->pool, x[i]) < n) {
            t->errors++;
            x[i] = NULL;
            continue;
        }
        sz[i] = n;
        seed[i] = (unsigned)(it * 2 + t->id);
        fill_ends(x[i], n, seed[i]);
        if (it % 64 == 0) {
            churn_drain(t);
        }
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (x[i]) {
            if (!verify_ends(x[i], sz[i], seed[i])) {
                t->errors++;
            }
            if (umfPoolFree(t->pool, x[i]) != OK) {
                t->errors++;
            }
        }
    }
    return NULL;
}

static void churn_run(umf_disjoint_pool_params_handle_t p,
                      umf_pool_create_flags_t flags) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, p, flags);
    churn_shared_t sh;
    memset(&sh, 0, sizeof(sh));
    pthread_mutex_init(&sh.lock, NULL);
    churn_thread_t t[2] = {{pool, &sh, 0, 30000, 0}, {pool, &sh, 1, 30000, 0}};
    ck_assert_int_eq(umf_test_run_threads(2, churn_worker, t, sizeof(t[0])), 0);
    churn_drain(&t[0]);
    churn_drain(&t[1]);
    ck_assert_int_eq(t[0].errors, 0);
    ck_assert_int_eq(t[1].errors, 0);
    pthread_mutex_destroy(&sh.lock);
    umfPoolDestroy(pool);
    env_fini(&e);
}

START_TEST(threads_churn_defaults) { churn_run(NULL, 0); }
END_TEST

START_TEST(threads_churn_small_slabs) {
    umf_disjoint_pool_params_handle_t p = params_new(4096, 64 * KiB, 4, 8);
    churn_run(p, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
    umfDisjointPoolParamsDestroy(p);
}
END_TEST

/* Threads that allocate and exit: their chunks stay valid and are freed by
 * another thread; the pool keeps nothing per thread. */
static void *alloc_and_exit(void *arg) {
    void **out = arg;
    umf_memory_pool_handle_t pool = out[0];
    for (int i = 1; i < 101; i++) {
        out[i] = umfPoolMalloc(pool, (size_t)i * 40);
        if (out[i]) {
            umf_test_fill(out[i], (size_t)i * 40, (unsigned)i);
        }
    }
    return NULL;
}

START_TEST(threads_exit) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    void *slots[8][101];
    for (int t = 0; t < 8; t++) {
        slots[t][0] = pool;
    }
    ck_assert_int_eq(
        umf_test_run_threads(8, alloc_and_exit, slots, sizeof(slots[0])), 0);
    for (int t = 0; t < 8; t++) {
        for (int i = 1; i < 101; i++) {
            ck_assert_ptr_nonnull(slots[t][i]);
            ck_assert(
                umf_test_verify(slots[t][i], (size_t)i * 40, (unsigned)i));
            ck_assert_int_eq(umfPoolFree(pool, slots[t][i]), OK);
        }
    }
    /* only empty slabs within the per-bucket limit remain */
    ck_assert_int_le(umf_test_counting_live_allocs(&e.cnt), 40);
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* Frees from another thread into slabs whose owner is alive take effect at
 * the owner's next call; into slabs of a thread that exited, at once. */
typedef struct remote_t {
    umf_memory_pool_handle_t pool;
    void *x[40];
} remote_t;

static void *remote_free_all(void *arg) {
    remote_t *r = arg;
    for (int i = 0; i < 40; i++) {
        if (umfPoolFree(r->pool, r->x[i]) != OK) {
            return (void *)1;
        }
    }
    return NULL;
}

static void *remote_alloc_all(void *arg) {
    remote_t *r = arg;
    for (int i = 0; i < 40; i++) {
        r->x[i] = umfPoolMalloc(r->pool, 4096);
    }
    return NULL;
}

START_TEST(threads_remote_frees) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    remote_t r;
    r.pool = pool;
    /* owner alive: this thread allocates, another frees */
    for (int i = 0; i < 40; i++) {
        r.x[i] = umfPoolMalloc(pool, 4096);
        ck_assert_ptr_nonnull(r.x[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3);
    pthread_t t;
    void *ret = NULL;
    ck_assert_int_eq(pthread_create(&t, NULL, remote_free_all, &r), 0);
    ck_assert_int_eq(pthread_join(t, &ret), 0);
    ck_assert_ptr_null(ret);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 0); /* pending */
    void *y = umfPoolMalloc(pool, 4096); /* the owner folds them in */
    ck_assert_ptr_nonnull(y);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 2);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 3);
    ck_assert_int_eq(umfPoolFree(pool, y), OK);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 2);

    /* owner gone: another thread allocated and exited, this one frees;
     * this thread keeps its empty slab, so the other takes 3 new ones */
    ck_assert_int_eq(pthread_create(&t, NULL, remote_alloc_all, &r), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    for (int i = 0; i < 40; i++) {
        ck_assert_ptr_nonnull(r.x[i]);
    }
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 6);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(umfPoolFree(pool, r.x[i]), OK);
    }
    /* one thread uses the pool again: one empty slab (the kept one) */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 5);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 6);
    env_fini(&e);
}
END_TEST

/* Two threads whose only chunk of a bucket is freed and allocated again in
 * turn: each keeps its empty slab instead of returning it to the provider
 * and mapping a new one every turn. */
typedef struct turns_t {
    umf_memory_pool_handle_t pool;
    pthread_barrier_t *barrier;
    int failed;
} turns_t;

static void *alloc_free_turns(void *arg) {
    turns_t *t = arg;
    for (int i = 0; i < 200; i++) {
        pthread_barrier_wait(t->barrier);
        void *p = umfPoolMalloc(t->pool, 4096);
        t->failed |= p == NULL;
        pthread_barrier_wait(t->barrier);
        t->failed |= umfPoolFree(t->pool, p) != OK;
    }
    return NULL;
}

START_TEST(threads_keep_empty_slab) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, 2);
    turns_t t[2] = {{pool, &barrier, 0}, {pool, &barrier, 0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, alloc_free_turns, &t[i]),
                         0);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(t[i].failed, 0);
    }
    pthread_barrier_destroy(&barrier);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_ALLOC), 2);
    /* both threads are gone: their slabs went to the bucket, which keeps
     * one for each heap the pool had, up to the capacity */
    ck_assert_uint_le(env_calls(&e, UMF_TEST_OP_FREE), 2);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), 2);
    env_fini(&e);
}
END_TEST

/* Generations of threads: each allocates, hands half its blocks to the
 * next generation and exits; the next one frees those (orphan slabs) while
 * allocating its own (adopting the orphans). Patterns checked throughout. */
typedef struct gen_t {
    umf_memory_pool_handle_t pool;
    void *in[2][600], *out[2][600];
    size_t in_n[2][600], out_n[2][600];
    unsigned in_seed[2][600], out_seed[2][600];
    unsigned gen;
    int errors; /* atomic */
} gen_t;

typedef struct gen_arg_t {
    gen_t *g;
    unsigned id;
} gen_arg_t;

static void *gen_worker(void *arg) {
    gen_arg_t *a = arg;
    gen_t *g = a->g;
    unsigned id = a->id;
    uint64_t rng = 0x1234567ull * (g->gen * 2 + id + 1);
    void *mine[600];
    size_t n[600];
    unsigned seed[600];
    int errors = 0;
    for (int i = 0; i < 600; i++) {
        n[i] = 1 + (size_t)(umf_test_rand(&rng) % 9000);
        seed[i] = g->gen * 10000 + id * 1000 + (unsigned)i;
        mine[i] = umfPoolMalloc(g->pool, n[i]);
        if (!mine[i]) {
            errors++;
            continue;
        }
        fill_ends(mine[i], n[i], seed[i]);
        /* free a block the previous generation left */
        if (g->in[id][i]) {
            if (!verify_ends(g->in[id][i], g->in_n[id][i], g->in_seed[id][i])) {
                errors++;
            }
            if (umfPoolFree(g->pool, g->in[id][i]) != OK) {
                errors++;
            }
        }
    }
    for (int i = 0; i < 600; i++) {
        if (!mine[i]) {
            continue;
        }
        if (!verify_ends(mine[i], n[i], seed[i])) {
            errors++;
        }
        if (i < 300) {
            if (umfPoolFree(g->pool, mine[i]) != OK) {
                errors++;
            }
        } else {
            /* for the other thread of the next generation */
            g->out[1 - id][i] = mine[i];
            g->out_n[1 - id][i] = n[i];
            g->out_seed[1 - id][i] = seed[i];
        }
    }
    __atomic_fetch_add(&g->errors, errors, __ATOMIC_SEQ_CST);
    return NULL;
}

START_TEST(threads_generations) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool = pool_new(e.prov, NULL, 0);
    static gen_t g;
    memset(&g, 0, sizeof(g));
    g.pool = pool;
    for (unsigned gen = 1; gen <= 6; gen++) {
        g.gen = gen;
        gen_arg_t args[2] = {{&g, 0}, {&g, 1}};
        ck_assert_int_eq(
            umf_test_run_threads(2, gen_worker, args, sizeof(args[0])), 0);
        memcpy(g.in, g.out, sizeof(g.in));
        memcpy(g.in_n, g.out_n, sizeof(g.in_n));
        memcpy(g.in_seed, g.out_seed, sizeof(g.in_seed));
        memset(g.out, 0, sizeof(g.out));
    }
    ck_assert_int_eq(g.errors, 0);
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < 600; i++) {
            if (g.in[t][i]) {
                ck_assert_int_eq(umfPoolFree(pool, g.in[t][i]), OK);
            }
        }
    }
    /* everything freed: only cached empty slabs remain (one per bucket of
     * several chunks, up to the capacity for the others) */
    ck_assert_int_le(umf_test_counting_live_allocs(&e.cnt), 64);
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* One thread using more pools than its table of heaps holds, round
 * robin: heaps are abandoned and taken again, blocks stay valid. */
START_TEST(threads_many_pools) {
    env_t e;
    env_init(&e);
    enum { NPOOLS = 13, ROUNDS = 30 };
    umf_memory_pool_handle_t pools[NPOOLS];
    void *x[NPOOLS][ROUNDS];
    for (int i = 0; i < NPOOLS; i++) {
        pools[i] = pool_new(e.prov, NULL, 0);
    }
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < NPOOLS; i++) {
            x[i][r] = umfPoolMalloc(pools[i], (size_t)(r * 50 + i + 1));
            ck_assert_ptr_nonnull(x[i][r]);
            umf_test_fill(x[i][r], (size_t)(r * 50 + i + 1),
                          (unsigned)(r * NPOOLS + i));
            if (r % 3 == 2 && x[i][r - 2]) { /* free an older one */
                ck_assert(umf_test_verify(x[i][r - 2],
                                          (size_t)((r - 2) * 50 + i + 1),
                                          (unsigned)((r - 2) * NPOOLS + i)));
                ck_assert_int_eq(umfPoolFree(pools[i], x[i][r - 2]), OK);
                x[i][r - 2] = NULL;
            }
        }
        if (r == ROUNDS / 2) { /* a pool destroyed while others live on */
            for (int k = 0; k <= r; k++) {
                if (x[5][k]) {
                    ck_assert_int_eq(umfPoolFree(pools[5], x[5][k]), OK);
                    x[5][k] = NULL;
                }
            }
            umfPoolDestroy(pools[5]);
            pools[5] = pool_new(e.prov, NULL, 0);
        }
    }
    for (int i = 0; i < NPOOLS; i++) {
        for (int r = 0; r < ROUNDS; r++) {
            if (x[i][r]) {
                ck_assert(umf_test_verify(x[i][r], (size_t)(r * 50 + i + 1),
                                          (unsigned)(r * NPOOLS + i)));
                ck_assert_int_eq(umfPoolFree(pools[i], x[i][r]), OK);
            }
        }
        umfPoolDestroy(pools[i]);
    }
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* DISABLE_TRACKING                                                       */

START_TEST(untracked_frees) {
    env_t e;
    env_init(&e);
    umf_memory_pool_handle_t pool =
        pool_new(e.prov, NULL, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
    void *small[50], *large[5];
    for (int i = 0; i < 50; i++) {
        small[i] = umfPoolMalloc(pool, (size_t)i * 1000 + 1);
        ck_assert_ptr_nonnull(small[i]);
        ck_assert_ptr_null(umfPoolByPtr(small[i]));
    }
    for (int i = 0; i < 5; i++) {
        large[i] = umfPoolMalloc(pool, 3 * MiB + (size_t)i * 4097);
        ck_assert_ptr_nonnull(large[i]);
        ck_assert_ptr_null(umfPoolByPtr(large[i]));
        ck_assert_uint_eq(umfPoolMallocUsableSize(pool, large[i]),
                          3 * MiB + (size_t)i * 4097);
    }
    void *al = umfPoolAlignedMalloc(pool, 5 * MiB, 4 * MiB);
    ck_assert_ptr_nonnull(al);
    size_t frees = env_calls(&e, UMF_TEST_OP_FREE);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(umfPoolFree(pool, large[i]), OK);
    }
    ck_assert_int_eq(umfPoolFree(pool, al), OK);
    /* each large free reached the provider with its exact size (the
     * counting provider's live bytes go back to the slabs alone) */
    ck_assert_uint_eq(env_calls(&e, UMF_TEST_OP_FREE), frees + 6);
    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(umfPoolFree(pool, small[i]), OK);
    }
    /* umfFree does not know untracked memory: it does nothing */
    void *x = umfPoolMalloc(pool, 10);
    ck_assert_int_eq(umfFree(x), OK);
    ck_assert_int_eq(umfPoolFree(pool, x), OK);
    umfPoolDestroy(pool);
    env_fini(&e);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* statistics and trace (UMF_LOG, in a re-executed child)                 */

static umf_memory_pool_handle_t child_pool(umf_memory_provider_handle_t prov,
                                           int trace, const char *name) {
    umf_disjoint_pool_params_handle_t p = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (umfDisjointPoolParamsCreate(&p) != OK ||
        umfDisjointPoolParamsSetTrace(p, trace) != OK ||
        umfDisjointPoolParamsSetName(p, name) != OK ||
        umfPoolCreate(umfDisjointPoolOps(), prov, p, 0, &pool) != OK) {
        exit(3);
    }
    umfDisjointPoolParamsDestroy(p);
    return pool;
}

static int child_main(const char *scenario) {
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    if (!os) {
        return 2;
    }
    if (strcmp(scenario, "stats") == 0) {
        umf_memory_pool_handle_t pool = child_pool(os, 2, "stats");
        void *a[17], *b[3], *c[6];
        for (int i = 0; i < 17; i++) {
            a[i] = umfPoolMalloc(pool, 4096);
        }
        for (int i = 0; i < 3; i++) {
            b[i] = umfPoolMalloc(pool, 100);
        }
        void *big = umfPoolMalloc(pool, 3 * MiB);
        for (int i = 0; i < 6; i++) {
            c[i] = umfPoolMalloc(pool, 80 * KiB);
        }
        umfPoolFree(pool, big);
        for (int i = 0; i < 17; i++) {
            umfPoolFree(pool, a[i]);
        }
        for (int i = 0; i < 3; i++) {
            umfPoolFree(pool, b[i]);
        }
        for (int i = 0; i < 6; i++) {
            umfPoolFree(pool, c[i]);
        }
        umfPoolDestroy(pool);
    } else if (strncmp(scenario, "trace", 5) == 0) {
        umf_memory_pool_handle_t pool =
            child_pool(os, atoi(scenario + 5), "tr");
        void *x = umfPoolMalloc(pool, 100);
        umfPoolFree(pool, x);
        umfPoolDestroy(pool);
    } else if (strcmp(scenario, "longname") == 0) {
        char name[101];
        memset(name, 'n', 100);
        name[100] = '\0';
        umf_memory_pool_handle_t pool = child_pool(os, 2, name);
        umfPoolFree(pool, umfPoolMalloc(pool, 8));
        umfPoolDestroy(pool);
    } else if (strcmp(scenario, "live") == 0) {
        umf_memory_pool_handle_t pool = child_pool(os, 0, "live");
        umfPoolMalloc(pool, 100);
        umfPoolMalloc(pool, 200);
        umfPoolMalloc(pool, 3 * MiB);
        umfPoolDestroy(pool);
    } else {
        return 4;
    }
    umfMemoryProviderDestroy(os);
    return 0;
}

/* Run this program with "--child scenario" and UMF_LOG at debug level into
 * a file; check it exits 0 and return the file's text (malloc'ed). */
static char *run_child(const char *scenario) {
    int status = 0;
    char *text = umf_test_run_child(scenario, "debug", NULL, NULL, &status);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %s: status %d", scenario, status);
    return text;
}

typedef struct bucket_line_t {
    unsigned long long allocs, frees, in_use, cached, peak, slab;
} bucket_line_t;

static bool find_bucket(const char *text, const char *pool, size_t size,
                        bucket_line_t *out) {
    char key[128];
    snprintf(key, sizeof(key), "pool \"%s\" bucket %zu:", pool, size);
    const char *at = strstr(text, key);
    if (!at) {
        return false;
    }
    return sscanf(at + strlen(key),
                  " allocs %llu frees %llu slabs_in_use %llu slabs_cached "
                  "%llu peak_slabs %llu slab_size %llu",
                  &out->allocs, &out->frees, &out->in_use, &out->cached,
                  &out->peak, &out->slab) == 6;
}

START_TEST(stats_table) {
    char *text = run_child("stats");
    bucket_line_t b;
    /* 17 chunks of 4 KiB: 2 slabs of 64 KiB; one kept */
    ck_assert_msg(find_bucket(text, "stats", 4096, &b), "%s", text);
    ck_assert_uint_eq(b.allocs, 17);
    ck_assert_uint_eq(b.frees, 17);
    ck_assert_uint_eq(b.in_use, 0);
    ck_assert_uint_eq(b.cached, 1);
    ck_assert_uint_eq(b.peak, 2);
    ck_assert_uint_eq(b.slab, 64 * KiB);
    ck_assert(find_bucket(text, "stats", 128, &b));
    ck_assert_uint_eq(b.allocs, 3);
    ck_assert_uint_eq(b.frees, 3);
    ck_assert_uint_eq(b.cached, 1);
    ck_assert_uint_eq(b.peak, 1);
    /* 80 KiB requests: 96 KiB bucket, one chunk per slab, capacity 4 */
    ck_assert(find_bucket(text, "stats", 96 * KiB, &b));
    ck_assert_uint_eq(b.allocs, 6);
    ck_assert_uint_eq(b.frees, 6);
    ck_assert_uint_eq(b.in_use, 0);
    ck_assert_uint_eq(b.cached, 4);
    ck_assert_uint_eq(b.peak, 6);
    ck_assert_uint_eq(b.slab, 96 * KiB);
    /* buckets never used are not listed */
    ck_assert(!find_bucket(text, "stats", 8, &b));
    ck_assert_ptr_nonnull(
        strstr(text, "pool \"stats\" large: allocs 1 frees 1"));
    /* held at destroy: the cached slabs; peak: everything at once */
    char want[256];
    snprintf(want, sizeof(want),
             "pool \"stats\" total: allocs 27 frees 27 memory_held %zu "
             "peak_memory_held %zu",
             2 * 64 * KiB + 4 * 96 * KiB,
             3 * 64 * KiB + 3 * MiB + 6 * 96 * KiB);
    ck_assert_msg(strstr(text, want) != NULL, "missing \"%s\" in:\n%s", want,
                  text);
    ck_assert_ptr_null(strstr(text, "live allocations"));
    free(text);
}
END_TEST

START_TEST(trace_levels) {
    char *t0 = run_child("trace0");
    ck_assert_ptr_null(strstr(t0, "statistics"));
    ck_assert_ptr_null(strstr(t0, "malloc(100)"));
    ck_assert_ptr_null(strstr(t0, "memory held at destroy"));
    free(t0);
    char *t1 = run_child("trace1");
    ck_assert_ptr_nonnull(strstr(t1, "memory held at destroy"));
    ck_assert_ptr_null(strstr(t1, "statistics"));
    ck_assert_ptr_null(strstr(t1, "malloc(100)"));
    free(t1);
    char *t2 = run_child("trace2");
    ck_assert_ptr_nonnull(strstr(t2, "pool \"tr\" statistics"));
    ck_assert_ptr_nonnull(
        strstr(t2, "pool \"tr\" bucket 128: allocs 1 frees 1"));
    ck_assert_ptr_null(strstr(t2, "malloc(100)"));
    free(t2);
    char *t3 = run_child("trace3");
    ck_assert_ptr_nonnull(strstr(t3, "pool \"tr\" statistics"));
    ck_assert_ptr_nonnull(strstr(t3, "pool \"tr\": malloc(100) = 0x"));
    ck_assert_ptr_nonnull(strstr(t3, "pool \"tr\": free(0x"));
    free(t3);
}
END_TEST

START_TEST(trace_long_name) {
    char *text = run_child("longname");
    char want[80];
    memset(want, 0, sizeof(want));
    want[0] = '"';
    memset(want + 1, 'n', 63);
    want[64] = '"';
    ck_assert_msg(strstr(text, want) != NULL, "%s", text);
    free(text);
}
END_TEST

START_TEST(live_at_destroy_reported) {
    char *text = run_child("live");
    ck_assert_msg(strstr(text, "pool \"live\" destroyed with 3 live "
                               "allocations") != NULL,
                  "%s", text);
    free(text);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *disjoint_suite(void) {
    Suite *s = suite_create("pool_disjoint");
    TCase *tc;

    tc = tcase_create("params");
    tcase_add_test(tc, ops_table);
    tcase_add_test(tc, params_null_handles);
    tcase_add_test(tc, params_invalid_values);
    tcase_add_test(tc, params_extremes);
    suite_add_tcase(s, tc);

    tc = tcase_create("basic");
    tcase_add_test(tc, defaults_null_params);
    tcase_add_test(tc, defaults_params_create);
    tcase_add_test(tc, basic_contract);
    tcase_add_test(tc, every_size);
    tcase_add_test(tc, by_ptr_and_umf_free);
    suite_add_tcase(s, tc);

    tc = tcase_create("buckets_slabs");
    tcase_add_test(tc, bucket_sizes_default);
    tcase_add_test(tc, bucket_sizes_params);
    tcase_add_test(tc, slabs_chunked);
    tcase_add_test(tc, slabs_capacity);
    tcase_add_test(tc, slabs_unit_given_back);
    tcase_add_test(tc, slabs_of_one_chunk_shared);
    tcase_add_test(tc, slab_descriptors);
    tcase_add_test(tc, slabs_reference_params);
    tcase_add_test(tc, destroy_with_live);
    suite_add_tcase(s, tc);

    tc = tcase_create("shared_limits");
    tcase_add_test(tc, shared_limits_exact);
    tcase_add_test(tc, shared_limits_interleaved);
    tcase_add_test(tc, shared_limits_reuse);
    tcase_add_test(tc, shared_limits_zero_and_early_destroy);
    tcase_add_test(tc, shared_limits_threads);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("disjoint_memory");
    tcase_add_test(tc, prot_none_defaults);
    tcase_add_test(tc, prot_none_small_slabs_untracked);
    tcase_add_test(tc, fake_device_addresses);
    suite_add_tcase(s, tc);

    tc = tcase_create("provider_failures");
    tcase_add_test(tc, failing_provider);
    tcase_add_test(tc, provider_fails_sometimes);
    suite_add_tcase(s, tc);

    tc = tcase_create("alignment");
    tcase_add_test(tc, aligned_every_power_of_2);
    tcase_add_test(tc, aligned_invalid);
    tcase_add_test(tc, aligned_inside_chunks);
    tcase_add_test(tc, aligned_threads);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_add_test(tc, threads_churn_defaults);
    tcase_add_test(tc, threads_churn_small_slabs);
    tcase_add_test(tc, threads_exit);
    tcase_add_test(tc, threads_remote_frees);
    tcase_add_test(tc, threads_keep_empty_slab);
    tcase_add_test(tc, threads_generations);
    tcase_add_test(tc, threads_many_pools);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);

    tc = tcase_create("untracked");
    tcase_add_test(tc, untracked_frees);
    suite_add_tcase(s, tc);

    tc = tcase_create("statistics_trace");
    tcase_add_test(tc, stats_table);
    tcase_add_test(tc, trace_levels);
    tcase_add_test(tc, trace_long_name);
    tcase_add_test(tc, live_at_destroy_reported);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, disjoint_suite, child_main);
}
