/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool.c -- the pool behaviour suite over every pool/provider pair,
 * and what the front-end and the proxy pool do with size 0 and NULL.
 *
 * A new pool or provider joins by adding a row to `rows` below (see
 * tests/common/pool_suite.h for what a row holds). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "pool_params.h"
#include "pool_suite.h"
#include "test_helpers.h"
#include "test_providers.h"

/* ---- providers ---- */

static umf_memory_provider_handle_t os_provider_create(void **ctx) {
    *ctx = NULL;
    return umf_test_os_provider_create();
}

/* Address space only (MAP_NORESERVE). The jemalloc pool keeps the rest of
 * every provider block it grows by (up to 16 MiB) in jemalloc's retained
 * extents until the pool goes, and five threads asking at once for 4 MiB
 * blocks aligned to 4 MiB made 256 MiB run out when they truly overlapped
 * (under TSan). */
#define FIXED_BUFFER_SIZE ((size_t)1 << 30)

static umf_memory_provider_handle_t fixed_provider_create(void **ctx) {
    void *buf = mmap(NULL, FIXED_BUFFER_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED) {
        return NULL;
    }
    umf_memory_provider_handle_t h =
        umf_test_fixed_provider_create(buf, FIXED_BUFFER_SIZE);
    if (!h) {
        munmap(buf, FIXED_BUFFER_SIZE);
        return NULL;
    }
    *ctx = buf;
    return h;
}

static umf_memory_provider_handle_t malloc_provider_create(void **ctx) {
    *ctx = NULL;
    return umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
}

/* destroys the provider, then unmaps the fixed provider's buffer if any */
static void provider_destroy(umf_memory_provider_handle_t provider, void *ctx) {
    umfMemoryProviderDestroy(provider);
    if (ctx) {
        munmap(ctx, FIXED_BUFFER_SIZE);
    }
}

/* ---- the rows ---- */

static const pool_suite_row_t rows[] = {
    {
        .name = "proxy_os",
        .pool_ops = umfProxyPoolOps,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_BYPTR_END_NULL,
    },
    {
        .name = "proxy_fixed",
        .pool_ops = umfProxyPoolOps,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_BYPTR_END_NULL,
    },
    {
        .name = "simple_malloc",
        .pool_ops = umf_test_simple_pool_ops,
        .provider_create = malloc_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "simple_os_untracked",
        .pool_ops = umf_test_simple_pool_ops,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .pool_flags = UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "disjoint_os",
        .pool_ops = umfDisjointPoolOps,
        .pool_params_create = pool_params_disjoint_reference,
        .pool_params_destroy = pool_params_disjoint_destroy,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "disjoint_fixed",
        .pool_ops = umfDisjointPoolOps,
        .pool_params_create = pool_params_disjoint_reference,
        .pool_params_destroy = pool_params_disjoint_destroy,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "jemalloc_os",
        .pool_ops = umfJemallocPoolOps,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "scalable_os",
        .pool_ops = umfScalablePoolOps,
        .pool_params_create = pool_params_scalable_create,
        .pool_params_destroy = pool_params_scalable_destroy,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "jemalloc_fixed",
        .pool_ops = umfJemallocPoolOps,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "scalable_fixed",
        .pool_ops = umfScalablePoolOps,
        .pool_params_create = pool_params_scalable_create,
        .pool_params_destroy = pool_params_scalable_destroy,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
};

/* ---- size 0 and NULL (issue 14 item 5d) ---- */

typedef struct seen_t {
    int allocs, frees;
    size_t alloc_size;
    void *free_ptr;
    size_t free_size;
} seen_t;

static void seen_alloc(void *arg, void *ptr, size_t size) {
    seen_t *s = arg;
    s->allocs++;
    s->alloc_size = size;
}

static void seen_free(void *arg, void *ptr, size_t size) {
    seen_t *s = arg;
    s->frees++;
    s->free_ptr = ptr;
    s->free_size = size;
}

/* The proxy pool hands malloc(0) and aligned_malloc(0, a) to the provider's
 * alloc, and free(NULL) to its free, as the reference does; calloc,
 * realloc and usable size stay NOT_SUPPORTED without a provider call. */
START_TEST(proxy_zero_and_null_reach_provider) {
    umf_memory_provider_handle_t base =
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(base);
    seen_t seen = {0};
    umf_test_counting_t cnt;
    umf_test_counting_init(&cnt, base);
    cnt.on_alloc = seen_alloc;
    cnt.on_free = seen_free;
    cnt.hook_arg = &seen;
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umf_test_counting_create(&cnt, &prov), UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool =
        umf_test_pool_create(umfProxyPoolOps(), prov, NULL, 0);
    ck_assert_ptr_nonnull(pool);

    void *p = umfPoolMalloc(pool, 0);
    ck_assert_int_eq(seen.allocs, 1);
    ck_assert_uint_eq(seen.alloc_size, 0);
    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    void *q = umfPoolAlignedMalloc(pool, 0, 64);
    ck_assert_int_eq(seen.allocs, 2);
    ck_assert_uint_eq(seen.alloc_size, 0);
    ck_assert_int_eq(umfPoolFree(pool, q), UMF_RESULT_SUCCESS);

    int frees = seen.frees;
    errno = 4242;
    ck_assert_int_eq(umfPoolFree(pool, NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(errno, 4242);
    ck_assert_int_eq(seen.frees, frees + 1);
    ck_assert_ptr_null(seen.free_ptr);
    ck_assert_uint_eq(seen.free_size, 0);

    size_t calls = umf_test_counting_get(&cnt, UMF_TEST_OP_ALLOC) +
                   umf_test_counting_get(&cnt, UMF_TEST_OP_FREE);
    ck_assert_ptr_null(umfPoolCalloc(pool, 0, 0));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_ptr_null(umfPoolRealloc(pool, NULL, 0));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, NULL), 0);
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_uint_eq(umf_test_counting_get(&cnt, UMF_TEST_OP_ALLOC) +
                          umf_test_counting_get(&cnt, UMF_TEST_OP_FREE),
                      calls);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov);
    umfMemoryProviderDestroy(base);
}
END_TEST

static umf_memory_pool_ops_t *wrapped;
static int null_frees;

static umf_result_t wrapped_free(void *pool, void *ptr) {
    null_frees += ptr == NULL;
    return wrapped->free(pool, ptr);
}

/* umfPoolFree(pool, NULL) reaches any pool's free op (the reference's
 * front-end checks only the pool handle). */
START_TEST(pool_free_null_reaches_op) {
    wrapped = umf_test_simple_pool_ops();
    umf_memory_pool_ops_t ops = *wrapped;
    ops.free = wrapped_free;
    umf_memory_provider_handle_t prov =
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(prov);
    umf_memory_pool_handle_t pool = umf_test_pool_create(&ops, prov, NULL, 0);
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(umfPoolFree(pool, NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(null_frees, 1);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov);
}
END_TEST

int main(void) {
    Suite *s = pool_suite_create(rows, sizeof(rows) / sizeof(rows[0]));
    TCase *tc = tcase_create("zero_and_null");
    tcase_add_test(tc, proxy_zero_and_null_reach_provider);
    tcase_add_test(tc, pool_free_null_reaches_op);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
}
