/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider.c -- the provider front-end: argument checks, ops
 * validation at create, NOT_SUPPORTED for missing optional ops, split/merge
 * preconditions, last failed provider and native errors. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>
#include <umf/memory_provider.h>

#include "test_helpers.h"
#include "test_providers.h"

#define SENTINEL_PROVIDER ((umf_memory_provider_handle_t)(uintptr_t)0x5e17)
#define BAD_PTR ((void *)(uintptr_t)0xBAD)
#define FAKE_PTR ((char *)(uintptr_t)0x100000)

static umf_memory_provider_handle_t malloc_provider(void) {
    umf_memory_provider_handle_t h =
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(h);
    return h;
}

static umf_memory_provider_handle_t failing_provider(void) {
    umf_memory_provider_handle_t h =
        umf_test_provider_create(umf_test_failing_provider_ops(), NULL);
    ck_assert_ptr_nonnull(h);
    return h;
}

/* a counting provider over a malloc provider */
typedef struct counted_t {
    umf_memory_provider_handle_t base;
    umf_test_counting_t st;
    umf_memory_provider_handle_t h;
} counted_t;

static void counted_init(counted_t *c) {
    c->base = malloc_provider();
    umf_test_counting_init(&c->st, c->base);
    ck_assert_int_eq(umf_test_counting_create(&c->st, &c->h),
                     UMF_RESULT_SUCCESS);
}

static void counted_fini(counted_t *c) {
    umfMemoryProviderDestroy(c->h);
    umfMemoryProviderDestroy(c->base);
}

static size_t calls(counted_t *c, umf_test_op_t op) {
    return umf_test_counting_get(&c->st, op);
}

/* ============================ NULL arguments ============================ */

START_TEST(null_handle) {
    void *p = NULL;
    size_t ps = 0;
    char data[64];
    const char *msg = "untouched";
    int32_t code = 77;
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;

    ck_assert_int_eq(umfMemoryProviderAlloc(NULL, 64, 0, &p), INV);
    ck_assert_int_eq(umfMemoryProviderFree(NULL, FAKE_PTR, 64), INV);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(NULL, 64, &ps),
                     INV);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(NULL, FAKE_PTR, &ps), INV);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(NULL, FAKE_PTR, 4096), INV);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(NULL, FAKE_PTR, 4096), INV);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(NULL, FAKE_PTR, 8192, 4096), INV);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(NULL, FAKE_PTR, FAKE_PTR + 4096, 8192),
        INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(NULL, &ps), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(NULL, FAKE_PTR, 64, data),
                     INV);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(NULL, data), INV);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(NULL, data, &p), INV);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(NULL, FAKE_PTR, 64), INV);
    ck_assert_ptr_null(umfMemoryProviderGetName(NULL));
    umfMemoryProviderGetLastNativeError(NULL, &msg, &code); /* no crash */
    umfMemoryProviderDestroy(NULL);                         /* harmless */
    /* all-zero arguments */
    ck_assert_int_eq(umfMemoryProviderAlloc(NULL, 0, 0, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderFree(NULL, NULL, 0), INV);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(NULL, 0, NULL),
                     INV);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(NULL, NULL, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(NULL, NULL, 0), INV);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(NULL, NULL, 0), INV);
}
END_TEST

START_TEST(null_out_params) {
    counted_t c;
    counted_init(&c);
    umf_memory_provider_handle_t m = malloc_provider();
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    umf_memory_provider_handle_t hs[2] = {c.h, m};
    for (int i = 0; i < 2; i++) {
        umf_memory_provider_handle_t h = hs[i];
        ck_assert_int_eq(umfMemoryProviderAlloc(h, 64, 0, NULL), INV);
        ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(h, 64, NULL),
                         INV);
        ck_assert_int_eq(umfMemoryProviderGetMinPageSize(h, FAKE_PTR, NULL),
                         INV);
        /* a NULL range is rejected before the op (or its absence) matters */
        ck_assert_int_eq(umfMemoryProviderPurgeLazy(h, NULL, 4096), INV);
        ck_assert_int_eq(umfMemoryProviderPurgeForce(h, NULL, 4096), INV);
    }
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_ALLOC), 0);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_RECOMMENDED_PAGE_SIZE), 0);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_MIN_PAGE_SIZE), 0);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_PURGE_LAZY), 0);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_PURGE_FORCE), 0);
    umfMemoryProviderDestroy(m);
    counted_fini(&c);
}
END_TEST

START_TEST(null_create_args) {
    umf_memory_provider_handle_t h = SENTINEL_PROVIDER;
    ck_assert_int_eq(umfMemoryProviderCreate(NULL, NULL, &h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert(h == SENTINEL_PROVIDER || h == NULL);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umf_test_malloc_provider_ops(), NULL, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_test_counting_t st;
    umf_test_counting_init(&st, NULL);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umf_test_counting_provider_ops(), &st, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(st.calls[UMF_TEST_OP_INITIALIZE], 0);
}
END_TEST

/* IPC front-ends of a provider without IPC ops: NULL arguments are
 * INVALID_ARGUMENT, everything else NOT_SUPPORTED */
START_TEST(ipc_without_ops) {
    umf_memory_provider_handle_t h = malloc_provider();
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    const umf_result_t NS = UMF_RESULT_ERROR_NOT_SUPPORTED;
    size_t size = 0;
    char data[256];
    void *p = NULL;
    memset(data, 0, sizeof(data));

    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(h, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(h, &size), NS);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(h, NULL, 64, data), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(h, FAKE_PTR, 64, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(h, FAKE_PTR, 64, data), NS);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(h, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(h, data), NS);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(h, NULL, &p), INV);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(h, data, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(h, data, &p), NS);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(h, NULL, 64), INV);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(h, FAKE_PTR, 64), NS);
    umfMemoryProviderDestroy(h);
}
END_TEST

/* IPC front-ends of a provider with IPC ops: NULL arguments never reach the
 * op, valid ones do */
START_TEST(ipc_dispatch) {
    counted_t c;
    counted_init(&c);
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    size_t size = 0;
    char data[256];
    void *p = NULL;
    memset(data, 0, sizeof(data));

    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(c.h, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(c.h, NULL, 64, data), INV);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(c.h, FAKE_PTR, 64, NULL),
                     INV);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(c.h, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(c.h, NULL, &p), INV);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(c.h, data, NULL), INV);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(c.h, NULL, 64), INV);
    for (int op = UMF_TEST_OP_IPC_SIZE; op <= UMF_TEST_OP_IPC_CLOSE; op++) {
        ck_assert_msg(calls(&c, (umf_test_op_t)op) == 0,
                      "%s was called with a NULL argument",
                      umf_test_op_name((umf_test_op_t)op));
    }
    /* valid arguments reach the op (whose upstream has no IPC) */
    (void)umfMemoryProviderGetIPCHandleSize(c.h, &size);
    (void)umfMemoryProviderGetIPCHandle(c.h, FAKE_PTR, 64, data);
    (void)umfMemoryProviderPutIPCHandle(c.h, data);
    (void)umfMemoryProviderOpenIPCHandle(c.h, data, &p);
    (void)umfMemoryProviderCloseIPCHandle(c.h, FAKE_PTR, 64);
    for (int op = UMF_TEST_OP_IPC_SIZE; op <= UMF_TEST_OP_IPC_CLOSE; op++) {
        ck_assert_msg(calls(&c, (umf_test_op_t)op) == 1,
                      "%s was not dispatched",
                      umf_test_op_name((umf_test_op_t)op));
    }
    counted_fini(&c);
}
END_TEST

/* ============================ create ============================ */

/* _i: which mandatory op to clear */
START_TEST(create_missing_mandatory_op) {
    umf_memory_provider_ops_t ops = *umf_test_counting_provider_ops();
    const char *what = "?";
    switch (_i) {
    case 0:
        ops.initialize = NULL;
        what = "initialize";
        break;
    case 1:
        ops.finalize = NULL;
        what = "finalize";
        break;
    case 2:
        ops.alloc = NULL;
        what = "alloc";
        break;
    case 3:
        ops.free = NULL;
        what = "free";
        break;
    case 4:
        ops.get_last_native_error = NULL;
        what = "get_last_native_error";
        break;
    case 5:
        ops.get_recommended_page_size = NULL;
        what = "get_recommended_page_size";
        break;
    case 6:
        ops.get_min_page_size = NULL;
        what = "get_min_page_size";
        break;
    case 7:
        ops.get_name = NULL;
        what = "get_name";
        break;
    default:
        ck_abort_msg("bad index");
        break;
    }
    umf_memory_provider_handle_t base = malloc_provider();
    umf_test_counting_t st;
    umf_test_counting_init(&st, base);
    umf_memory_provider_handle_t h = SENTINEL_PROVIDER;
    umf_result_t r = umfMemoryProviderCreate(&ops, &st, &h);
    ck_assert_msg(r == UMF_RESULT_ERROR_INVALID_ARGUMENT,
                  "provider ops without %s: create returned %d", what, (int)r);
    ck_assert(h == SENTINEL_PROVIDER || h == NULL);
    /* validation comes first; if initialize ran anyway, finalize undid it */
    if (ops.finalize) {
        ck_assert_uint_eq(st.calls[UMF_TEST_OP_INITIALIZE],
                          st.calls[UMF_TEST_OP_FINALIZE]);
    } else {
        ck_assert_uint_eq(st.calls[UMF_TEST_OP_INITIALIZE], 0);
    }
    umfMemoryProviderDestroy(base);
}
END_TEST

static umf_result_t create_with(const umf_memory_provider_ops_t *ops) {
    umf_memory_provider_handle_t base = malloc_provider();
    umf_test_counting_t st;
    umf_test_counting_init(&st, base);
    umf_memory_provider_handle_t h = SENTINEL_PROVIDER;
    umf_result_t r = umfMemoryProviderCreate(ops, &st, &h);
    if (r == UMF_RESULT_SUCCESS) {
        ck_assert_ptr_nonnull(h);
        ck_assert(h != SENTINEL_PROVIDER);
        umfMemoryProviderDestroy(h);
    } else {
        ck_assert(h == SENTINEL_PROVIDER || h == NULL);
    }
    umfMemoryProviderDestroy(base);
    return r;
}

START_TEST(create_split_merge_pairing) {
    umf_memory_provider_ops_t ops = *umf_test_counting_provider_ops();
    ops.ext.allocation_merge = NULL;
    ck_assert_msg(create_with(&ops) == UMF_RESULT_ERROR_INVALID_ARGUMENT,
                  "split without merge accepted");
    ops = *umf_test_counting_provider_ops();
    ops.ext.allocation_split = NULL;
    ck_assert_msg(create_with(&ops) == UMF_RESULT_ERROR_INVALID_ARGUMENT,
                  "merge without split accepted");
    ops.ext.allocation_merge = NULL;
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS);
}
END_TEST

/* _i: which IPC op to clear */
START_TEST(create_ipc_four_of_five) {
    umf_memory_provider_ops_t ops = *umf_test_counting_provider_ops();
    switch (_i) {
    case 0:
        ops.ipc.get_ipc_handle_size = NULL;
        break;
    case 1:
        ops.ipc.get_ipc_handle = NULL;
        break;
    case 2:
        ops.ipc.put_ipc_handle = NULL;
        break;
    case 3:
        ops.ipc.open_ipc_handle = NULL;
        break;
    case 4:
        ops.ipc.close_ipc_handle = NULL;
        break;
    default:
        ck_abort_msg("bad index");
        break;
    }
    ck_assert_msg(create_with(&ops) == UMF_RESULT_ERROR_INVALID_ARGUMENT,
                  "IPC ops without %s accepted",
                  umf_test_op_name((umf_test_op_t)(UMF_TEST_OP_IPC_SIZE + _i)));
}
END_TEST

START_TEST(create_optional_subsets) {
    umf_memory_provider_ops_t ops = *umf_test_counting_provider_ops();
    memset(&ops.ipc, 0, sizeof(ops.ipc));
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS); /* no IPC */
    memset(&ops.ext, 0, sizeof(ops.ext));
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS); /* nothing */
    ops.ext.purge_lazy = umf_test_counting_provider_ops()->ext.purge_lazy;
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS);
    ops.ext.purge_lazy = NULL;
    ops.ext.purge_force = umf_test_counting_provider_ops()->ext.purge_force;
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS);
    ops.ext.purge_force = NULL;
    ops.ext.allocation_split =
        umf_test_counting_provider_ops()->ext.allocation_split;
    ops.ext.allocation_merge =
        umf_test_counting_provider_ops()->ext.allocation_merge;
    ck_assert_int_eq(create_with(&ops), UMF_RESULT_SUCCESS);
}
END_TEST

static const umf_result_t init_errors[] = {
    UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY,
    UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC,
    UMF_RESULT_ERROR_INVALID_ARGUMENT,
    UMF_RESULT_ERROR_UNKNOWN,
};

START_TEST(create_initialize_error_passthrough) {
    umf_test_counting_t st;
    umf_test_counting_init(&st, NULL);
    st.init_result = init_errors[_i];
    umf_memory_provider_handle_t h = SENTINEL_PROVIDER;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umf_test_counting_provider_ops(), &st, &h),
        init_errors[_i]);
    ck_assert(h == SENTINEL_PROVIDER || h == NULL);
    ck_assert_uint_eq(st.calls[UMF_TEST_OP_INITIALIZE], 1);
    ck_assert_uint_eq(st.calls[UMF_TEST_OP_FINALIZE], 0);
}
END_TEST

START_TEST(create_passes_params) {
    counted_t c;
    counted_init(&c);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_INITIALIZE), 1);
    ck_assert_str_eq(umfMemoryProviderGetName(c.h),
                     UMF_TEST_COUNTING_PROVIDER_NAME);
    c.st.name = "renamed";
    ck_assert_str_eq(umfMemoryProviderGetName(c.h), "renamed");
    ck_assert_str_eq(umfMemoryProviderGetName(c.base),
                     UMF_TEST_MALLOC_PROVIDER_NAME);
    counted_fini(&c);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_FINALIZE), 1);
}
END_TEST

/* ======================== dispatch / NOT_SUPPORTED ======================== */

START_TEST(dispatch_mandatory_ops) {
    counted_t c;
    counted_init(&c);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(c.h, 1000, 64, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 64, 0);
    memset(p, 1, 1000);
    ck_assert_int_eq(umfMemoryProviderFree(c.h, p, 1000), UMF_RESULT_SUCCESS);
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(c.h, 1000, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, umf_test_page_size());
    ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(c.h, FAKE_PTR, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, umf_test_page_size());
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_ALLOC), 1);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_FREE), 1);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_RECOMMENDED_PAGE_SIZE), 1);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_MIN_PAGE_SIZE), 1);
    /* the op's result comes back unchanged */
    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    ck_assert_int_eq(umfMemoryProviderAlloc(c.h, 1000, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_FREE,
                                UMF_RESULT_ERROR_USER_SPECIFIC);
    ck_assert_int_eq(umfMemoryProviderFree(c.h, FAKE_PTR, 10),
                     UMF_RESULT_ERROR_USER_SPECIFIC);
    counted_fini(&c);
}
END_TEST

START_TEST(missing_optional_ops_not_supported) {
    umf_memory_provider_handle_t h = malloc_provider();
    const umf_result_t NS = UMF_RESULT_ERROR_NOT_SUPPORTED;
    char *bad = BAD_PTR;
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(h, bad, 4096), NS);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, bad, 4096), NS);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, bad, 8192, 4096), NS);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(h, bad, bad + 4096, 8192),
                     NS);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(split_preconditions) {
    counted_t c;
    counted_init(&c);
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    char *p = FAKE_PTR;
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, NULL, 8192, 4096),
                     INV);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 8192, 0), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 8192, 8192), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 8192, 9000), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 0, 0), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 1, 1), INV);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_SPLIT), 0);
    /* valid: reaches the op (the upstream has none: NOT_SUPPORTED) */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 8192, 4096),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(c.h, p, 2, 1),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_SPLIT), 2);
    counted_fini(&c);
}
END_TEST

START_TEST(merge_preconditions) {
    counted_t c;
    counted_init(&c);
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    char *p = FAKE_PTR, *q = FAKE_PTR + 4096;
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, NULL, q, 8192), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, NULL, 8192), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, q, 0), INV);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, q, p, 8192),
                     INV); /* low > high */
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, p, 8192),
                     INV); /* low == high */
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, p + 8192, 8192),
                     INV); /* high - low == total */
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, p + 9000, 8192),
                     INV); /* high - low > total */
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_MERGE), 0);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, q, 8192),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(c.h, p, p + 8191, 8192),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_MERGE), 2);
    counted_fini(&c);
}
END_TEST

START_TEST(purge_dispatch) {
    counted_t c;
    counted_init(&c);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(c.h, FAKE_PTR, 4096),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(c.h, FAKE_PTR, 4096),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_PURGE_LAZY), 1);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_PURGE_FORCE), 1);
    counted_fini(&c);
}
END_TEST

START_TEST(get_name) {
    ck_assert_ptr_null(umfMemoryProviderGetName(NULL));
    umf_memory_provider_handle_t m = malloc_provider();
    umf_memory_provider_handle_t f = failing_provider();
    umf_memory_provider_handle_t n =
        umf_test_provider_create(umf_test_null_provider_ops(), NULL);
    ck_assert_ptr_nonnull(n);
    ck_assert_str_eq(umfMemoryProviderGetName(m),
                     UMF_TEST_MALLOC_PROVIDER_NAME);
    ck_assert_str_eq(umfMemoryProviderGetName(f),
                     UMF_TEST_FAILING_PROVIDER_NAME);
    ck_assert_str_eq(umfMemoryProviderGetName(n), "null");
    /* the null provider: SUCCESS with a NULL block passes through */
    void *p = (void *)1;
    ck_assert_int_eq(umfMemoryProviderAlloc(n, 64, 0, &p), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(p);
    umfMemoryProviderDestroy(n);
    umfMemoryProviderDestroy(f);
    umfMemoryProviderDestroy(m);
}
END_TEST

/* ===================== last failed provider, native errors
 * ===================== */

/* Call op on h with valid arguments. */
static umf_result_t call_op(umf_memory_provider_handle_t h, umf_test_op_t op) {
    void *p = NULL;
    size_t ps = 0;
    switch (op) {
    case UMF_TEST_OP_ALLOC:
        return umfMemoryProviderAlloc(h, 64, 0, &p);
    case UMF_TEST_OP_FREE:
        return umfMemoryProviderFree(h, FAKE_PTR, 64);
    case UMF_TEST_OP_RECOMMENDED_PAGE_SIZE:
        return umfMemoryProviderGetRecommendedPageSize(h, 64, &ps);
    case UMF_TEST_OP_MIN_PAGE_SIZE:
        return umfMemoryProviderGetMinPageSize(h, FAKE_PTR, &ps);
    case UMF_TEST_OP_PURGE_LAZY:
        return umfMemoryProviderPurgeLazy(h, FAKE_PTR, 4096);
    case UMF_TEST_OP_PURGE_FORCE:
        return umfMemoryProviderPurgeForce(h, FAKE_PTR, 4096);
    case UMF_TEST_OP_SPLIT:
        return umfMemoryProviderAllocationSplit(h, FAKE_PTR, 8192, 4096);
    case UMF_TEST_OP_MERGE:
        return umfMemoryProviderAllocationMerge(h, FAKE_PTR, FAKE_PTR + 4096,
                                                8192);
    default:
        ck_abort_msg("op %d not callable here", (int)op);
        return UMF_RESULT_ERROR_UNKNOWN;
    }
}

static const umf_test_op_t failing_ops_list[] = {
    UMF_TEST_OP_ALLOC,
    UMF_TEST_OP_FREE,
    UMF_TEST_OP_RECOMMENDED_PAGE_SIZE,
    UMF_TEST_OP_MIN_PAGE_SIZE,
    UMF_TEST_OP_PURGE_LAZY,
    UMF_TEST_OP_PURGE_FORCE,
    UMF_TEST_OP_SPLIT,
    UMF_TEST_OP_MERGE,
};

/* _i: index into failing_ops_list */
START_TEST(last_failed_set_by_op) {
    umf_test_op_t op = failing_ops_list[_i];
    umf_memory_provider_handle_t a = failing_provider();
    umf_memory_provider_handle_t b = failing_provider();
    ck_assert_int_eq(call_op(b, UMF_TEST_OP_ALLOC),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), b);
    ck_assert_int_eq(call_op(a, op), UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_msg(umfGetLastFailedMemoryProvider() == a,
                  "a failed %s did not record its provider",
                  umf_test_op_name(op));
    /* the native error is the provider's, passed through unchanged */
    const char *msg = NULL;
    int32_t code = 0;
    char expect[128];
    umf_test_failing_message(op, expect, sizeof(expect));
    umfMemoryProviderGetLastNativeError(a, &msg, &code);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(msg, expect);
    ck_assert_int_eq(code, UMF_TEST_FAILING_NATIVE_CODE + (int32_t)op);
    umfMemoryProviderDestroy(b);
    umfMemoryProviderDestroy(a);
}
END_TEST

/* NULL out-pointers reach the provider's op, as in the reference (issue
 * 14 item 5e); a NULL handle is a no-op that touches nothing. */
START_TEST(native_error_null_out_params) {
    counted_t c;
    counted_init(&c);
    umfMemoryProviderGetLastNativeError(c.h, NULL, NULL);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_NATIVE_ERROR), 1);
    const char *msg = NULL;
    umfMemoryProviderGetLastNativeError(c.h, &msg, NULL);
    ck_assert_ptr_nonnull(msg);
    int32_t code = -1;
    umfMemoryProviderGetLastNativeError(c.h, NULL, &code);
    ck_assert_int_ne(code, -1);
    ck_assert_uint_eq(calls(&c, UMF_TEST_OP_NATIVE_ERROR), 3);
    counted_fini(&c);

    msg = "untouched";
    code = 77;
    umfMemoryProviderGetLastNativeError(NULL, &msg, &code);
    umfMemoryProviderGetLastNativeError(NULL, NULL, NULL);
    ck_assert_str_eq(msg, "untouched");
    ck_assert_int_eq(code, 77);

    /* the library's own providers take NULL out-pointers */
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umfMemoryProviderGetLastNativeError(os, NULL, NULL);
    umfMemoryProviderDestroy(os);
    static char buf[1 << 16];
    umf_memory_provider_handle_t fx =
        umf_test_fixed_provider_create(buf, sizeof(buf));
    ck_assert_ptr_nonnull(fx);
    umfMemoryProviderGetLastNativeError(fx, NULL, NULL);
    umfMemoryProviderDestroy(fx);
}
END_TEST

START_TEST(last_failed_not_cleared_by_success) {
    umf_memory_provider_handle_t a = failing_provider();
    umf_memory_provider_handle_t m = malloc_provider();
    ck_assert_int_ne(call_op(a, UMF_TEST_OP_ALLOC), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), a);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(m, 64, 0, &p), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(m, p, 64), UMF_RESULT_SUCCESS);
    size_t ps;
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(m, 64, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), a);
    umfMemoryProviderDestroy(m);
    umfMemoryProviderDestroy(a);
}
END_TEST

typedef struct thread_view_t {
    umf_memory_provider_handle_t fail_with;
    umf_test_op_t op;
    umf_memory_provider_handle_t before, after;
    char msg[128];
    int32_t code;
} thread_view_t;

static void *thread_fail(void *arg) {
    thread_view_t *v = arg;
    v->before = umfGetLastFailedMemoryProvider();
    (void)call_op(v->fail_with, v->op);
    v->after = umfGetLastFailedMemoryProvider();
    const char *m = NULL;
    umfMemoryProviderGetLastNativeError(v->fail_with, &m, &v->code);
    snprintf(v->msg, sizeof(v->msg), "%s", m ? m : "(null)");
    return NULL;
}

START_TEST(last_failed_per_thread) {
    umf_memory_provider_handle_t a = failing_provider();
    umf_memory_provider_handle_t b = failing_provider();
    ck_assert_int_ne(call_op(a, UMF_TEST_OP_PURGE_FORCE), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), a);

    thread_view_t v;
    memset(&v, 0, sizeof(v));
    v.before = (umf_memory_provider_handle_t)0x1;
    v.fail_with = b;
    v.op = UMF_TEST_OP_ALLOC;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, thread_fail, &v), 0);
    pthread_join(t, NULL);
    ck_assert_ptr_null(v.before); /* a new thread starts clean */
    ck_assert_ptr_eq(v.after, b); /* and sees its own failure */
    char expect[128];
    umf_test_failing_message(UMF_TEST_OP_ALLOC, expect, sizeof(expect));
    ck_assert_str_eq(v.msg, expect);

    /* this thread still sees its own provider and message */
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), a);
    const char *msg = NULL;
    int32_t code = 0;
    umfMemoryProviderGetLastNativeError(a, &msg, &code);
    umf_test_failing_message(UMF_TEST_OP_PURGE_FORCE, expect, sizeof(expect));
    ck_assert_str_eq(msg, expect);
    ck_assert_int_eq(code,
                     UMF_TEST_FAILING_NATIVE_CODE + UMF_TEST_OP_PURGE_FORCE);
    umfMemoryProviderDestroy(b);
    umfMemoryProviderDestroy(a);
}
END_TEST

START_TEST(last_failed_through_wrapper) {
    /* a failing upstream behind the counting provider: the last front-end
     * call that failed was on the counting provider */
    umf_memory_provider_handle_t f = failing_provider();
    umf_test_counting_t st;
    umf_test_counting_init(&st, f);
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(umf_test_counting_create(&st, &h), UMF_RESULT_SUCCESS);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(h, 64, 0, &p),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), h);
    const char *msg = NULL;
    int32_t code = 0;
    umfMemoryProviderGetLastNativeError(h, &msg, &code);
    ck_assert_int_eq(code, UMF_TEST_FAILING_NATIVE_CODE + UMF_TEST_OP_ALLOC);
    umfMemoryProviderDestroy(h);
    umfMemoryProviderDestroy(f);
}
END_TEST

static Suite *provider_suite(void) {
    Suite *s = suite_create("provider");
    TCase *tc = tcase_create("null_args");
    tcase_add_test(tc, null_handle);
    tcase_add_test(tc, null_out_params);
    tcase_add_test(tc, null_create_args);
    tcase_add_test(tc, ipc_without_ops);
    tcase_add_test(tc, ipc_dispatch);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_loop_test(tc, create_missing_mandatory_op, 0, 8);
    tcase_add_test(tc, create_split_merge_pairing);
    tcase_add_loop_test(tc, create_ipc_four_of_five, 0, 5);
    tcase_add_test(tc, create_optional_subsets);
    tcase_add_loop_test(tc, create_initialize_error_passthrough, 0,
                        (int)(sizeof(init_errors) / sizeof(init_errors[0])));
    tcase_add_test(tc, create_passes_params);
    suite_add_tcase(s, tc);

    tc = tcase_create("dispatch");
    tcase_add_test(tc, dispatch_mandatory_ops);
    tcase_add_test(tc, missing_optional_ops_not_supported);
    tcase_add_test(tc, split_preconditions);
    tcase_add_test(tc, merge_preconditions);
    tcase_add_test(tc, purge_dispatch);
    tcase_add_test(tc, get_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(
        tc, last_failed_set_by_op, 0,
        (int)(sizeof(failing_ops_list) / sizeof(failing_ops_list[0])));
    tcase_add_test(tc, native_error_null_out_params);
    tcase_add_test(tc, last_failed_not_cleared_by_success);
    tcase_add_test(tc, last_failed_per_thread);
    tcase_add_test(tc, last_failed_through_wrapper);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(provider_suite()); }
