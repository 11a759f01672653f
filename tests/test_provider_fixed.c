/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_fixed.c -- the fixed memory provider through the public API */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>

static size_t P;

/* A read-write buffer of npages pages, aligned to 64 pages. */
static char *map_buffer(size_t npages) {
    size_t len = (npages + 64) * P;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    return (char *)(((uintptr_t)p + 64 * P - 1) & ~(uintptr_t)(64 * P - 1));
}

static umf_memory_provider_handle_t create_fixed(void *ptr, size_t size) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(&params, ptr, size),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(params);
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h),
        UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(umfFixedMemoryProviderParamsDestroy(params),
                     UMF_RESULT_SUCCESS);
    return h;
}

static void *xalloc(umf_memory_provider_handle_t h, size_t size, size_t align) {
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(h, size, align, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ---------------------------------------------------------------------- */
/* params                                                                   */

START_TEST(test_params_create_errors) {
    char *buf = map_buffer(4);
    umf_fixed_memory_provider_params_handle_t h =
        (umf_fixed_memory_provider_params_handle_t)0x1;
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(NULL, buf, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(&h, NULL, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(&h, buf, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_eq(h, (umf_fixed_memory_provider_params_handle_t)0x1);
    ck_assert_int_eq(umfFixedMemoryProviderParamsDestroy(NULL),
                     UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(test_params_set_memory) {
    char *buf1 = map_buffer(4);
    char *buf2 = map_buffer(8);
    umf_fixed_memory_provider_params_handle_t params = NULL;
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(&params, buf1, 4 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(NULL, buf2, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(params, NULL, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(params, buf2, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* one params object, two providers on two buffers */
    umf_memory_provider_handle_t h1 = NULL, h2 = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h1),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(params, buf2, 8 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h2),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFixedMemoryProviderParamsDestroy(params),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(xalloc(h1, 4 * P, 0), buf1);
    ck_assert_ptr_eq(xalloc(h2, 8 * P, 0), buf2);
    umfMemoryProviderDestroy(h1);
    umfMemoryProviderDestroy(h2);
}
END_TEST

START_TEST(test_create_null_params) {
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), NULL, &h),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(test_ops_table) {
    const umf_memory_provider_ops_t *ops = umfFixedMemoryProviderOps();
    ck_assert_ptr_nonnull(ops);
    ck_assert_ptr_eq(umfFixedMemoryProviderOps(), ops);
    ck_assert_uint_eq(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    ck_assert_ptr_null(ops->ext.purge_lazy);
    ck_assert_ptr_nonnull(ops->ext.purge_force);
    ck_assert_ptr_nonnull(ops->ext.allocation_split);
    ck_assert_ptr_nonnull(ops->ext.allocation_merge);
    ck_assert_ptr_null(ops->ipc.get_ipc_handle_size);
    ck_assert_ptr_null(ops->ipc.get_ipc_handle);
    ck_assert_ptr_null(ops->ipc.put_ipc_handle);
    ck_assert_ptr_null(ops->ipc.open_ipc_handle);
    ck_assert_ptr_null(ops->ipc.close_ipc_handle);
}
END_TEST

START_TEST(test_name_and_page_sizes) {
    char *buf = map_buffer(4);
    umf_memory_provider_handle_t h = create_fixed(buf, 4 * P);
    ck_assert_str_eq(umfMemoryProviderGetName(h), "FIXED");
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(h, 1, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, P);
    ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(h, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, P);
    ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(h, buf, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, P);
    umfMemoryProviderDestroy(h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* buffers and allocation                                                   */

START_TEST(test_unaligned_buffer) {
    char *buf = map_buffer(8);
    /* [buf+100, buf+8P-100): whole pages are buf+P .. buf+7P */
    umf_memory_provider_handle_t h = create_fixed(buf + 100, 8 * P - 200);
    void *ptrs[8];
    int n = 0;
    void *p = NULL;
    while (umfMemoryProviderAlloc(h, P, 0, &p) == UMF_RESULT_SUCCESS) {
        ck_assert_int_lt(n, 8);
        ck_assert_uint_eq((uintptr_t)p % P, 0);
        ck_assert((char *)(p) >= (char *)(buf + P));
        ck_assert((char *)(p) < (char *)(buf + 7 * P));
        ptrs[n++] = p;
    }
    ck_assert_int_eq(n, 6);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[i], P),
                         UMF_RESULT_SUCCESS);
    }
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_no_whole_page) {
    char *buf = map_buffer(4);
    umf_fixed_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(umfFixedMemoryProviderParamsCreate(&params, buf + 1, P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(params, buf, P - 1),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a buffer that would wrap around the address space */
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(
                         params, (void *)(UINTPTR_MAX - P), 4 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(h);
    /* exactly one page works */
    ck_assert_int_eq(umfFixedMemoryProviderParamsSetMemory(params, buf, P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &h),
        UMF_RESULT_SUCCESS);
    umfFixedMemoryProviderParamsDestroy(params);
    ck_assert_ptr_eq(xalloc(h, 1, 0), buf);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_alloc_until_full) {
    enum { N = 16 };
    char *buf = map_buffer(N);
    umf_memory_provider_handle_t h = create_fixed(buf, N * P);
    void *ptrs[N];
    for (int i = 0; i < N; i++) {
        ptrs[i] = xalloc(h, P, 0);
        ck_assert((char *)(ptrs[i]) >= (char *)(buf));
        ck_assert((char *)(ptrs[i]) < (char *)(buf + N * P));
        for (int j = 0; j < i; j++) {
            ck_assert_ptr_ne(ptrs[i], ptrs[j]);
        }
    }
    void *p = (void *)0x1;
    ck_assert_int_eq(umfMemoryProviderAlloc(h, 1, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(umfMemoryProviderAlloc(h, 2 * P, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);

    /* free one and get the same page back */
    ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[5], P), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(xalloc(h, P, 0), ptrs[5]);
    /* free two neighbours; they merge into one 2-page block */
    ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[7], 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[8], P), UMF_RESULT_SUCCESS);
    void *two = xalloc(h, 2 * P, 0);
    ck_assert_ptr_eq(two, ptrs[7] < ptrs[8] ? ptrs[7] : ptrs[8]);
    ck_assert_int_eq(umfMemoryProviderFree(h, two, 2 * P), UMF_RESULT_SUCCESS);

    /* errors */
    ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[7], P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double free */
    ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[0], 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong size */
    ck_assert_int_eq(umfMemoryProviderFree(h, (char *)ptrs[0] + 8, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* unknown */
    ck_assert_int_eq(umfMemoryProviderAlloc(h, 0, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(h, SIZE_MAX, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(umfMemoryProviderFree(h, NULL, 0), UMF_RESULT_SUCCESS);

    for (int i = 0; i < N; i++) {
        if (i != 7 && i != 8) {
            ck_assert_int_eq(umfMemoryProviderFree(h, ptrs[i], 0),
                             UMF_RESULT_SUCCESS);
        }
    }
    /* everything merged back: the whole buffer in one piece */
    ck_assert_ptr_eq(xalloc(h, N * P, 0), buf);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_alignment) {
    char *buf = map_buffer(64);
    umf_memory_provider_handle_t h = create_fixed(buf, 64 * P);
    size_t good[] = {0, 1, 8, 64, P / 2, P, 2 * P, 8 * P, 32 * P};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        void *p = xalloc(h, 10, good[i]);
        size_t a = good[i] > P ? good[i] : P;
        ck_assert_uint_eq((uintptr_t)p % a, 0);
    }
    size_t bad[] = {3, 24, P - 1, P + 1, 3 * P, 12 * P};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        void *p = (void *)0x1;
        ck_assert_int_eq(umfMemoryProviderAlloc(h, P, bad[i], &p),
                         UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    }
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(h, P, (size_t)1 << 40, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umfMemoryProviderDestroy(h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* purge                                                                    */

START_TEST(test_purge_force_zeroes) {
    char *buf = map_buffer(8);
    umf_memory_provider_handle_t h = create_fixed(buf, 8 * P);
    unsigned char *p = xalloc(h, 2 * P, 0);
    memset(p, 0xab, 2 * P);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, p, 2 * P),
                     UMF_RESULT_SUCCESS);
    for (size_t i = 0; i < 2 * P; i++) {
        ck_assert_uint_eq(p[i], 0);
    }
    /* the rest of the buffer is left alone */
    buf[7 * P] = 0x5a;
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, p, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(buf[7 * P], 0x5a);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_purge_force_failure) {
    char *buf = map_buffer(4);
    umf_memory_provider_handle_t h = create_fixed(buf, 4 * P);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, (void *)0x1, P),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    const char *msg = NULL;
    int32_t err = 0;
    umfMemoryProviderGetLastNativeError(h, &msg, &err);
    ck_assert_int_eq(err, UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED);
    ck_assert_int_eq(err, 4001);
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(strncmp(msg, "force purging failed: ", 22), 0);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), h);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_purge_lazy_not_supported) {
    char *buf = map_buffer(4);
    umf_memory_provider_handle_t h = create_fixed(buf, 4 * P);
    void *p = xalloc(h, P, 0);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(h, p, P),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    umfMemoryProviderDestroy(h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* split and merge                                                          */

START_TEST(test_split_merge) {
    char *buf = map_buffer(8);
    umf_memory_provider_handle_t h = create_fixed(buf, 8 * P);
    char *p = xalloc(h, 4 * P, 0);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, p, 4 * P, P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, p, 4 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* now P */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, p + P, 3 * P, P + 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(h, p, p + 2 * P, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not a block start */
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(h, p, p + P, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* size */
    /* the pieces free separately */
    ck_assert_int_eq(umfMemoryProviderFree(h, p + P, 3 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(h, p, P), UMF_RESULT_SUCCESS);

    p = xalloc(h, 4 * P, 0);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, p, 4 * P, 2 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(h, p, p + 2 * P, 4 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(h, p + 2 * P, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderFree(h, p, 4 * P), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(xalloc(h, 8 * P, 0), buf);
    umfMemoryProviderDestroy(h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* nesting and pools                                                        */

START_TEST(test_nested_providers) {
    char *buf = map_buffer(32);
    umf_memory_provider_handle_t outer = create_fixed(buf, 32 * P);
    (void)xalloc(outer, P, 0);
    char *inner_buf = xalloc(outer, 8 * P, 0);
    umf_memory_provider_handle_t inner = create_fixed(inner_buf, 8 * P);
    for (int i = 0; i < 8; i++) {
        char *p = xalloc(inner, P, 0);
        ck_assert((char *)(p) >= (char *)(inner_buf));
        ck_assert((char *)(p) < (char *)(inner_buf + 8 * P));
    }
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(inner, P, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    /* the outer provider still has its own space */
    (void)xalloc(outer, 23 * P, 0);
    umfMemoryProviderDestroy(inner);
    ck_assert_int_eq(umfMemoryProviderFree(outer, inner_buf, 8 * P),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(outer);
}
END_TEST

START_TEST(test_proxy_pool) {
    char *buf = map_buffer(16);
    umf_memory_provider_handle_t h = create_fixed(buf, 16 * P);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), h, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    char *a = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(a);
    ck_assert((char *)(a) >= (char *)(buf));
    ck_assert((char *)(a) < (char *)(buf + 16 * P));
    memset(a, 1, 100);
    ck_assert_ptr_eq(umfPoolByPtr(a), pool);
    ck_assert_ptr_eq(umfPoolByPtr(a + 99), pool);
    char *b = umfPoolMalloc(pool, 15 * P);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(umfPoolMalloc(pool, P)); /* full */
    ck_assert_int_eq(umfFree(b), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFree(a), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolByPtr(a));
    a = umfPoolMalloc(pool, 16 * P);
    ck_assert_ptr_eq(a, buf);
    ck_assert_int_eq(umfFree(a), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(test_nested_pools) {
    char *buf = map_buffer(32);
    umf_memory_provider_handle_t outer = create_fixed(buf, 32 * P);
    umf_memory_pool_handle_t outer_pool = NULL;
    ck_assert_int_eq(
        umfPoolCreate(umfProxyPoolOps(), outer, NULL, 0, &outer_pool),
        UMF_RESULT_SUCCESS);
    char *q = umfPoolMalloc(outer_pool, 8 * P);
    ck_assert_ptr_nonnull(q);

    /* a fixed provider over memory that a pool handed out */
    umf_memory_provider_handle_t inner = create_fixed(q, 8 * P);
    umf_memory_pool_handle_t inner_pool = NULL;
    ck_assert_int_eq(
        umfPoolCreate(umfProxyPoolOps(), inner, NULL, 0, &inner_pool),
        UMF_RESULT_SUCCESS);
    char *r = umfPoolMalloc(inner_pool, 100);
    ck_assert_ptr_nonnull(r);
    ck_assert((char *)(r) >= (char *)(q));
    ck_assert((char *)(r) < (char *)(q + 8 * P));
    ck_assert_ptr_eq(umfPoolByPtr(r), inner_pool);
    ck_assert_ptr_eq(umfPoolByPtr(q + 7 * P), outer_pool);
    ck_assert_int_eq(umfFree(r), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(umfPoolByPtr(r), outer_pool);
    umfPoolDestroy(inner_pool);
    umfMemoryProviderDestroy(inner);
    ck_assert_int_eq(umfFree(q), UMF_RESULT_SUCCESS);
    umfPoolDestroy(outer_pool);
    umfMemoryProviderDestroy(outer);
}
END_TEST

static Suite *fixed_suite(void) {
    Suite *s = suite_create("provider_fixed");

    TCase *tc = tcase_create("params");
    tcase_add_test(tc, test_params_create_errors);
    tcase_add_test(tc, test_params_set_memory);
    tcase_add_test(tc, test_create_null_params);
    tcase_add_test(tc, test_ops_table);
    tcase_add_test(tc, test_name_and_page_sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_test(tc, test_unaligned_buffer);
    tcase_add_test(tc, test_no_whole_page);
    tcase_add_test(tc, test_alloc_until_full);
    tcase_add_test(tc, test_alignment);
    suite_add_tcase(s, tc);

    tc = tcase_create("purge");
    tcase_add_test(tc, test_purge_force_zeroes);
    tcase_add_test(tc, test_purge_force_failure);
    tcase_add_test(tc, test_purge_lazy_not_supported);
    suite_add_tcase(s, tc);

    tc = tcase_create("split_merge");
    tcase_add_test(tc, test_split_merge);
    suite_add_tcase(s, tc);

    tc = tcase_create("nesting");
    tcase_add_test(tc, test_nested_providers);
    tcase_add_test(tc, test_proxy_pool);
    tcase_add_test(tc, test_nested_pools);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    P = (size_t)sysconf(_SC_PAGESIZE);
    SRunner *sr = srunner_create(fixed_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
