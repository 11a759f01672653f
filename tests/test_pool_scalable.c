/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_scalable.c -- the scalable (tbbmalloc) pool: params, the
 * granularity and keep-all-memory policies seen by a provider that records
 * its calls, allocation semantics, threads, and a missing libtbbmalloc.
 * Exits 77 when the pool is configured out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>

#include "helper_run.h"
#include "test_helpers.h"
#include "test_providers.h"

#define MiB ((size_t)1 << 20)

/* ---- a counting provider over the OS provider that records alloc sizes */

typedef struct rec_t {
    pthread_mutex_t lock;
    size_t sizes[1024];
    size_t n;
} rec_t;

static void rec_on_alloc(void *arg, void *ptr, size_t size) {
    (void)ptr;
    rec_t *r = arg;
    pthread_mutex_lock(&r->lock);
    if (r->n < 1024) {
        r->sizes[r->n++] = size;
    }
    pthread_mutex_unlock(&r->lock);
}

typedef struct fx_t {
    umf_memory_provider_handle_t os;
    umf_test_counting_t cnt;
    rec_t rec;
    umf_memory_provider_handle_t prov;
    umf_memory_pool_handle_t pool;
} fx_t;

static fx_t *fx_create(umf_scalable_pool_params_handle_t params) {
    fx_t *f = calloc(1, sizeof(*f));
    ck_assert_ptr_nonnull(f);
    pthread_mutex_init(&f->rec.lock, NULL);
    f->os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(f->os);
    umf_test_counting_init(&f->cnt, f->os);
    f->cnt.on_alloc = rec_on_alloc;
    f->cnt.hook_arg = &f->rec;
    ck_assert_int_eq(umf_test_counting_create(&f->cnt, &f->prov),
                     UMF_RESULT_SUCCESS);
    umf_result_t r =
        umfPoolCreate(umfScalablePoolOps(), f->prov, params, 0, &f->pool);
    ck_assert_msg(r == UMF_RESULT_SUCCESS, "umfPoolCreate gave %d", (int)r);
    return f;
}

/* Destroys the pool; every provider allocation must be back, exact size. */
static void fx_destroy(fx_t *f) {
    umfPoolDestroy(f->pool);
    ck_assert_msg(umf_test_counting_live_allocs(&f->cnt) == 0,
                  "%lld provider allocations not freed at pool destroy",
                  umf_test_counting_live_allocs(&f->cnt));
    ck_assert_int_eq(umf_test_counting_live_bytes(&f->cnt), 0);
    umfMemoryProviderDestroy(f->prov);
    umfMemoryProviderDestroy(f->os);
    free(f);
}

static size_t fx_frees(fx_t *f) {
    return umf_test_counting_get(&f->cnt, UMF_TEST_OP_FREE);
}

/* ---- params ---- */

START_TEST(params_errors) {
    ck_assert_int_eq(umfScalablePoolParamsCreate(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfScalablePoolParamsDestroy(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(NULL, MiB),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(NULL, true),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_scalable_pool_params_handle_t h = NULL;
    ck_assert_int_eq(umfScalablePoolParamsCreate(&h), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(h, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(h, 4 * MiB),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(h, true),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(h, false),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsDestroy(h), UMF_RESULT_SUCCESS);
}
END_TEST

/* ---- granularity and keep-all-memory, seen by the provider ---- */

static void check_granularity(fx_t *f, size_t g) {
    pthread_mutex_lock(&f->rec.lock);
    ck_assert_uint_gt(f->rec.n, 0);
    ck_assert_msg(f->rec.sizes[0] == g,
                  "first provider allocation %zu, granularity %zu",
                  f->rec.sizes[0], g);
    for (size_t i = 0; i < f->rec.n; i++) {
        ck_assert_msg(f->rec.sizes[i] >= g && f->rec.sizes[i] % g == 0,
                      "provider allocation %zu is no multiple of %zu",
                      f->rec.sizes[i], g);
    }
    pthread_mutex_unlock(&f->rec.lock);
}

/* _i is the granularity in MiB, 2..5 */
START_TEST(granularity_2_to_5_mib) {
    size_t g = (size_t)_i * MiB;
    umf_scalable_pool_params_handle_t h = NULL;
    ck_assert_int_eq(umfScalablePoolParamsCreate(&h), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(h, g),
                     UMF_RESULT_SUCCESS);
    fx_t *f = fx_create(h);
    /* params are copied: changing or destroying them changes nothing */
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(h, 7 * MiB),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsDestroy(h), UMF_RESULT_SUCCESS);
    void *p[2000];
    for (int i = 0; i < 2000; i++) {
        p[i] = umfPoolMalloc(f->pool, 16 + (size_t)(i % 50) * 80);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_ptr_eq(umfPoolByPtr(p[i]), f->pool);
    }
    void *big = umfPoolMalloc(f->pool, g + MiB / 2);
    ck_assert_ptr_nonnull(big);
    check_granularity(f, g);
    umfPoolFree(f->pool, big);
    for (int i = 0; i < 2000; i++) {
        umfPoolFree(f->pool, p[i]);
    }
    fx_destroy(f);
}
END_TEST

START_TEST(default_granularity_is_2_mib) {
    fx_t *f = fx_create(NULL);
    void *p = umfPoolMalloc(f->pool, 100);
    ck_assert_ptr_nonnull(p);
    check_granularity(f, 2 * MiB);
    umfPoolFree(f->pool, p);
    fx_destroy(f);
    umf_scalable_pool_params_handle_t h = NULL;
    ck_assert_int_eq(umfScalablePoolParamsCreate(&h), UMF_RESULT_SUCCESS);
    f = fx_create(h);
    umfScalablePoolParamsDestroy(h);
    p = umfPoolMalloc(f->pool, 100);
    ck_assert_ptr_nonnull(p);
    check_granularity(f, 2 * MiB);
    umfPoolFree(f->pool, p);
    fx_destroy(f);
}
END_TEST

/* Big blocks freed: without keep-all the memory goes back at once, with it
 * nothing goes back before pool destroy. */
static size_t frees_after_big_blocks(bool keep_all, fx_t **out) {
    umf_scalable_pool_params_handle_t h = NULL;
    ck_assert_int_eq(umfScalablePoolParamsCreate(&h), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(h, keep_all),
                     UMF_RESULT_SUCCESS);
    fx_t *f = fx_create(h);
    umfScalablePoolParamsDestroy(h);
    for (int round = 0; round < 4; round++) {
        void *big[4];
        for (int i = 0; i < 4; i++) {
            big[i] = umfPoolMalloc(f->pool, (size_t)(8 + 4 * i) * MiB);
            ck_assert_ptr_nonnull(big[i]);
            memset(big[i], 1, 4096);
        }
        for (int i = 0; i < 4; i++) {
            umfPoolFree(f->pool, big[i]);
        }
    }
    *out = f;
    return fx_frees(f);
}

START_TEST(keep_all_memory) {
    fx_t *f;
    ck_assert_uint_eq(frees_after_big_blocks(true, &f), 0);
    ck_assert_uint_gt(umf_test_counting_get(&f->cnt, UMF_TEST_OP_ALLOC), 0);
    fx_destroy(f); /* and all of it comes back at destroy */

    ck_assert_uint_gt(frees_after_big_blocks(false, &f), 0);
    fx_destroy(f);
}
END_TEST

/* ---- allocation semantics ---- */

START_TEST(malloc_calloc_realloc) {
    fx_t *f = fx_create(NULL);
    void *z = umfPoolMalloc(f->pool, 0);
    ck_assert_ptr_nonnull(z);
    umfPoolFree(f->pool, z);
    ck_assert_ptr_null(umfPoolMalloc(f->pool, SIZE_MAX));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f->pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolMalloc(f->pool, SIZE_MAX / 2 + 1));

    /* calloc zeroes recycled memory and checks num * size */
    for (int i = 0; i < 8; i++) {
        char *d = umfPoolMalloc(f->pool, 4000);
        memset(d, 0xff, 4000);
        umfPoolFree(f->pool, d);
        unsigned char *c = umfPoolCalloc(f->pool, 100, 40);
        ck_assert_ptr_nonnull(c);
        ck_assert(umf_test_all_bytes(c, 4000, 0));
        umfPoolFree(f->pool, c);
    }
    ck_assert_ptr_null(umfPoolCalloc(f->pool, SIZE_MAX / 2 + 1, 2));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f->pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolCalloc(f->pool, SIZE_MAX / 16, 32));

    /* realloc: NULL is malloc, growth keeps data, failure keeps the block,
     * size 0 frees */
    char *p = umfPoolRealloc(f->pool, NULL, 64);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, 64, 3);
    static const size_t grow[] = {200, 8192, 100000, 6 << 20};
    for (size_t k = 0; k < sizeof(grow) / sizeof(grow[0]); k++) {
        p = umfPoolRealloc(f->pool, p, grow[k]);
        ck_assert_ptr_nonnull(p);
        ck_assert(umf_test_verify(p, 64, 3));
        ck_assert_ptr_eq(umfPoolByPtr(p + grow[k] - 1), f->pool);
    }
    ck_assert_ptr_null(umfPoolRealloc(f->pool, p, SIZE_MAX - 10));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f->pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert(umf_test_verify(p, 64, 3));
    ck_assert_ptr_null(umfPoolRealloc(f->pool, p, 0));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f->pool),
                     UMF_RESULT_SUCCESS);
    fx_destroy(f);
}
END_TEST

START_TEST(aligned_and_usable_size) {
    fx_t *f = fx_create(NULL);
    for (size_t a = 1; a <= ((size_t)4 << 20); a <<= 1) {
        void *p[4];
        for (int i = 0; i < 4; i++) {
            size_t sz = (i & 1) ? a : 1;
            p[i] = umfPoolAlignedMalloc(f->pool, sz, a);
            ck_assert_msg(p[i] != NULL, "aligned_malloc(%zu, %zu)", sz, a);
            ck_assert_msg((uintptr_t)p[i] % a == 0, "%p not aligned to %zu",
                          p[i], a);
            ck_assert_uint_ge(umfPoolMallocUsableSize(f->pool, p[i]), sz);
            memset(p[i], 0x5a, sz);
        }
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(umfPoolFree(f->pool, p[i]), UMF_RESULT_SUCCESS);
        }
    }
    ck_assert_ptr_null(umfPoolAlignedMalloc(f->pool, 64, 48));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f->pool),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(umfPoolAlignedMalloc(f->pool, SIZE_MAX, 4096));
    static const size_t sizes[] = {1, 100, 5000, 70000, 3 << 20};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned char *p = umfPoolMalloc(f->pool, sizes[k]);
        size_t us = umfPoolMallocUsableSize(f->pool, p);
        ck_assert_uint_ge(us, sizes[k]);
        memset(p, 0xcd, us);
        umfPoolFree(f->pool, p);
    }
    ck_assert_uint_eq(umfPoolMallocUsableSize(f->pool, NULL), 0);
    fx_destroy(f);
}
END_TEST

/* ---- threads ---- */

static fx_t *mt_fx;
static int mt_bad;

static void *mt_worker(void *arg) {
    unsigned t = (unsigned)(uintptr_t)arg;
    void *p[256];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 256; i++) {
            size_t sz = 8 + (size_t)((i * 37 + t * 11 + round) % 4089);
            p[i] = umfPoolMalloc(mt_fx->pool, sz);
            if (!p[i] || umfPoolByPtr(p[i]) != mt_fx->pool) {
                __atomic_fetch_add(&mt_bad, 1, __ATOMIC_RELAXED);
                continue;
            }
            memset(p[i], (int)t, sz);
        }
        for (int i = 0; i < 256; i++) {
            if (p[i] && umfPoolFree(mt_fx->pool, p[i]) != UMF_RESULT_SUCCESS) {
                __atomic_fetch_add(&mt_bad, 1, __ATOMIC_RELAXED);
            }
        }
    }
    return NULL;
}

START_TEST(eight_threads_one_pool) {
    mt_fx = fx_create(NULL);
    ck_assert_int_eq(umf_test_run_threads(8, mt_worker, NULL, 0), 0);
    ck_assert_int_eq(mt_bad, 0);
    fx_destroy(mt_fx);
}
END_TEST

/* umfPoolMalloc and umfPoolFree call tbbmalloc directly for this pool; a
 * provider failure must still reach umfPoolGetLastAllocationError. */
START_TEST(provider_failure_sets_last_error) {
    umf_memory_provider_handle_t failing;
    ck_assert_int_eq(umfMemoryProviderCreate(umf_test_failing_provider_ops(),
                                             NULL, &failing),
                     UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool;
    ck_assert_int_eq(
        umfPoolCreate(umfScalablePoolOps(), failing, NULL, 0, &pool),
        UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolMalloc(pool, 100));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* with no provider failure pending, a failure is OUT_OF_HOST_MEMORY */
    ck_assert_ptr_null(umfPoolMalloc(pool, SIZE_MAX / 4 + 1));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(failing);
}
END_TEST

/* A copy of the ops table with its own malloc and free keeps them: the
 * direct path is only for the pool's own wrappers. */
static const umf_memory_pool_ops_t *wrapped_ops;
static int wrapped_mallocs, wrapped_frees;

static void *wrapped_malloc(void *pool, size_t size) {
    wrapped_mallocs++;
    return wrapped_ops->malloc(pool, size);
}

static umf_result_t wrapped_free(void *pool, void *ptr) {
    wrapped_frees++;
    return wrapped_ops->free(pool, ptr);
}

START_TEST(copied_ops_keep_their_wrappers) {
    wrapped_ops = umfScalablePoolOps();
    umf_memory_pool_ops_t ops = *wrapped_ops;
    ops.malloc = wrapped_malloc;
    ops.free = wrapped_free;
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umf_memory_pool_handle_t pool;
    ck_assert_int_eq(umfPoolCreate(&ops, os, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    void *a = umfPoolMalloc(pool, 100);
    void *b = umfPoolMalloc(pool, 5000);
    ck_assert(a && b);
    ck_assert_int_eq(wrapped_mallocs, 2);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFree(b), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(wrapped_frees, 2);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(os);
}
END_TEST

/* ---- loading ---- */

/* A fresh process that dlopens libumf: the scalable pool works there; with
 * libtbbmalloc.so.2 hidden it gives DEPENDENCY_UNAVAILABLE and says why. */
START_TEST(dlopen_fresh_process) {
    static char out[16384];
    const char *je = "unavailable"; /* jemalloc: see test_pool_jemalloc */
    if (!umfJemallocPoolOps()) {
        je = "none";
    }
    int rc = helper_run(NULL, je, "ok", out, sizeof(out));
    ck_assert_msg(rc == 0, "helper exit %d, output:\n%s", rc, out);
}
END_TEST

START_TEST(missing_tbbmalloc) {
    static char out[16384];
    const char *env[] = {"UMF_HELPER_HIDE_TBB=1", NULL};
    const char *je = umfJemallocPoolOps() ? "unavailable" : "none";
    int rc = helper_run(env, je, "unavailable", out, sizeof(out));
    ck_assert_msg(rc == 0, "helper exit %d, output:\n%s", rc, out);
    ck_assert_msg(strstr(out, "scalable pool is unavailable") &&
                      strstr(out, "libtbbmalloc.so.2") &&
                      strstr(out, "libtbbmalloc2"),
                  "no log line about the missing library in:\n%s", out);
}
END_TEST

int main(void) {
    if (!umfScalablePoolOps()) {
        umf_test_skip("the scalable pool is configured out (configure "
                      "--with-tbb; apt-get install libtbb-dev)");
    }
    Suite *s = suite_create("pool_scalable");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, params_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("policy");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, granularity_2_to_5_mib, 2, 6);
    tcase_add_test(tc, default_granularity_is_2_mib);
    tcase_add_test(tc, keep_all_memory);
    suite_add_tcase(s, tc);

    tc = tcase_create("api");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, malloc_calloc_realloc);
    tcase_add_test(tc, aligned_and_usable_size);
    tcase_add_test(tc, eight_threads_one_pool);
    tcase_add_test(tc, provider_failure_sets_last_error);
    tcase_add_test(tc, copied_ops_keep_their_wrappers);
    suite_add_tcase(s, tc);

    tc = tcase_create("loading");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, dlopen_fresh_process);
    tcase_add_test(tc, missing_tbbmalloc);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
}
