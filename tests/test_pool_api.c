/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_api.c -- the pool front-end: argument checks, create flags, ops
 * validation, tags, shared providers, umfPoolByPtr over many and nested
 * pools, thread-local errors, tracker ordering, concurrency. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>
#include <umf/ipc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "test_helpers.h"
#include "test_providers.h"

/* A sentinel for "out parameter left untouched". */
#define SENTINEL_POOL ((umf_memory_pool_handle_t)(uintptr_t)0x5e17)

static const umf_pool_create_flags_t all_flags[] = {
    UMF_POOL_CREATE_FLAG_NONE,
    UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
    UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
    UMF_POOL_CREATE_FLAG_OWN_PROVIDER | UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
};

/* counting provider over a malloc provider, both owned by the test */
typedef struct counted_t {
    umf_memory_provider_handle_t base;
    umf_test_counting_t st;
    umf_memory_provider_handle_t h;
} counted_t;

static void counted_init(counted_t *c, umf_memory_provider_handle_t base) {
    c->base = base;
    ck_assert_ptr_nonnull(c->base);
    umf_test_counting_init(&c->st, c->base);
    ck_assert_int_eq(umf_test_counting_create(&c->st, &c->h),
                     UMF_RESULT_SUCCESS);
}

static void counted_malloc_init(counted_t *c) {
    counted_init(
        c, umf_test_provider_create(umf_test_malloc_provider_ops(), NULL));
}

/* destroy the counting provider unless a pool owned it, then its base */
static void counted_fini(counted_t *c, int destroy_wrapper) {
    if (destroy_wrapper) {
        umfMemoryProviderDestroy(c->h);
    }
    umfMemoryProviderDestroy(c->base);
}

static umf_memory_pool_handle_t simple_pool(umf_memory_provider_handle_t p,
                                            umf_pool_create_flags_t flags) {
    umf_memory_pool_handle_t pool =
        umf_test_pool_create(umf_test_simple_pool_ops(), p, NULL, flags);
    ck_assert_ptr_nonnull(pool);
    return pool;
}

static umf_memory_pool_handle_t proxy_pool(umf_memory_provider_handle_t p) {
    ck_assert_ptr_nonnull(umfProxyPoolOps());
    umf_memory_pool_handle_t pool = umf_test_pool_create(
        umfProxyPoolOps(), p, NULL, UMF_POOL_CREATE_FLAG_NONE);
    ck_assert_ptr_nonnull(pool);
    return pool;
}

/* ============================ NULL arguments ============================ */

START_TEST(null_pool_alloc_calls) {
    int local = 0;
    ck_assert_ptr_null(umfPoolMalloc(NULL, 1));
    ck_assert_ptr_null(umfPoolAlignedMalloc(NULL, 1, 8));
    ck_assert_ptr_null(umfPoolCalloc(NULL, 1, 1));
    ck_assert_ptr_null(umfPoolRealloc(NULL, NULL, 1));
    ck_assert_uint_eq(umfPoolMallocUsableSize(NULL, NULL), 0);
    ck_assert_uint_eq(umfPoolMallocUsableSize(NULL, &local), 0);
    ck_assert_int_eq(umfPoolFree(NULL, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolFree(NULL, &local),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetLastAllocationError(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* all-zero arguments */
    ck_assert_ptr_null(umfPoolMalloc(NULL, 0));
    ck_assert_ptr_null(umfPoolAlignedMalloc(NULL, 0, 0));
    ck_assert_ptr_null(umfPoolCalloc(NULL, 0, 0));
    ck_assert_ptr_null(umfPoolRealloc(NULL, NULL, 0));
}
END_TEST

START_TEST(null_tags) {
    int a = 0;
    void *tag = &a;
    ck_assert_int_eq(umfPoolSetTag(NULL, &a, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolSetTag(NULL, &a, &tag),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetTag(NULL, &tag),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetTag(NULL, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    ck_assert_int_eq(umfPoolGetTag(pool, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

START_TEST(null_get_memory_provider) {
    umf_memory_provider_handle_t h = (umf_memory_provider_handle_t)0x1;
    ck_assert_int_eq(umfPoolGetMemoryProvider(NULL, &h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetMemoryProvider(NULL, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    ck_assert_int_eq(umfPoolGetMemoryProvider(pool, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
    umfPoolDestroy(NULL); /* harmless */
}
END_TEST

START_TEST(null_pool_create) {
    counted_t c;
    counted_malloc_init(&c);
    for (size_t f = 0; f < sizeof(all_flags) / sizeof(all_flags[0]); f++) {
        umf_memory_pool_handle_t h = SENTINEL_POOL;
        ck_assert_int_eq(umfPoolCreate(NULL, c.h, NULL, all_flags[f], &h),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
        ck_assert(h == SENTINEL_POOL || h == NULL);
        h = SENTINEL_POOL;
        ck_assert_int_eq(umfPoolCreate(umf_test_simple_pool_ops(), NULL, NULL,
                                       all_flags[f], &h),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
        ck_assert(h == SENTINEL_POOL || h == NULL);
        ck_assert_int_eq(umfPoolCreate(umf_test_simple_pool_ops(), c.h, NULL,
                                       all_flags[f], NULL),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
        ck_assert_int_eq(umfPoolCreate(NULL, NULL, NULL, all_flags[f], NULL),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* the provider survived every failed create, OWN_PROVIDER or not */
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(c.h, 64, 0, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(c.h, p, 64), UMF_RESULT_SUCCESS);
    counted_fini(&c, 1);
}
END_TEST

START_TEST(null_free_and_lookup) {
    int local = 0;
    ck_assert_int_eq(umfFree(NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFree(&local), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolByPtr(NULL));
    ck_assert_ptr_null(umfPoolByPtr(&local));
}
END_TEST

START_TEST(null_ipc_args) {
    int local = 0;
    size_t size = 0;
    umf_ipc_handle_t ipc = NULL;
    umf_ipc_handler_handle_t handler = NULL;
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    char *p = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(p);

    ck_assert_int_eq(umfPoolGetIPCHandleSize(NULL, &size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetIPCHandleSize(pool, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfGetIPCHandle(NULL, &ipc, &size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfGetIPCHandle(&local, &ipc, &size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfGetIPCHandle(p, NULL, &size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfGetIPCHandle(p, &ipc, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPutIPCHandle(NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfCloseIPCHandle(&local),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfCloseIPCHandle(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfCloseIPCHandle(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetIPCHandler(NULL, &handler),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolGetIPCHandler(pool, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* the malloc provider has no IPC ops (the counting wrapper forwards) */
    umf_memory_pool_handle_t pool2 = simple_pool(
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL),
        UMF_POOL_CREATE_FLAG_OWN_PROVIDER);
    ck_assert_int_eq(umfPoolGetIPCHandleSize(pool2, &size),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    umfPoolDestroy(pool2);

    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

START_TEST(ipc_open_without_ipc_ops) {
    umf_memory_pool_handle_t producer = simple_pool(
        umf_test_provider_create(umf_test_malloc_ipc_provider_ops(), NULL),
        UMF_POOL_CREATE_FLAG_OWN_PROVIDER);
    umf_memory_pool_handle_t no_ipc = simple_pool(
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL),
        UMF_POOL_CREATE_FLAG_OWN_PROVIDER);
    char *p = umfPoolMalloc(producer, 1000);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, 1000, 9);

    /* argument checks need no real handle */
    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(no_ipc, &handler),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(handler);
    uint64_t fake[64];
    memset(fake, 0, sizeof(fake));
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(NULL, (umf_ipc_handle_t)fake, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOpenIPCHandle(handler, NULL, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOpenIPCHandle(handler, (umf_ipc_handle_t)fake, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_ipc_handle_t ipc = NULL;
    size_t size = 0, expect = 0;
    ck_assert_int_eq(umfPoolGetIPCHandleSize(producer, &expect),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfGetIPCHandle(p, &ipc, &size), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(ipc);
    ck_assert_uint_eq(size, expect);

    ck_assert_int_eq(umfOpenIPCHandle(NULL, ipc, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOpenIPCHandle(handler, ipc, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOpenIPCHandle(handler, ipc, &q),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);

    ck_assert_int_eq(umfPutIPCHandle(ipc), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(producer, p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(no_ipc);
    umfPoolDestroy(producer);
}
END_TEST

/* A provider with IPC ops (*base) behind a provider that counts its calls
 * in *st and has the same name (returned); the caller destroys both. */
static umf_memory_provider_handle_t
counted_ipc_provider(umf_test_counting_t *st,
                     umf_memory_provider_handle_t *base) {
    *base = umf_test_provider_create(umf_test_malloc_ipc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(*base);
    umf_test_counting_init(st, *base);
    /* IPC handles name their provider's kind by its name: the counting
     * wrapper stands in for the provider it wraps */
    st->name = umfMemoryProviderGetName(*base);
    umf_memory_provider_handle_t cp = NULL;
    ck_assert_int_eq(umf_test_counting_create(st, &cp), UMF_RESULT_SUCCESS);
    return cp;
}

/* get / open / close / put through a pool whose provider has IPC ops */
START_TEST(ipc_same_process_roundtrip) {
    umf_test_counting_t st;
    umf_memory_provider_handle_t base = NULL;
    umf_memory_provider_handle_t cp = counted_ipc_provider(&st, &base);
    umf_memory_pool_handle_t producer = simple_pool(cp, 0);
    umf_memory_pool_handle_t consumer = simple_pool(
        umf_test_provider_create(umf_test_malloc_ipc_provider_ops(), NULL),
        UMF_POOL_CREATE_FLAG_OWN_PROVIDER);

    char *p = umfPoolMalloc(producer, 3000);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, 3000, 5);
    umf_ipc_handle_t ipc = NULL;
    size_t size = 0;
    ck_assert_int_eq(umfGetIPCHandle(p, &ipc, &size), UMF_RESULT_SUCCESS);
    ck_assert_uint_ge(umf_test_counting_get(&st, UMF_TEST_OP_IPC_GET), 1);

    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(consumer, &handler),
                     UMF_RESULT_SUCCESS);
    char *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(handler, ipc, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    ck_assert_msg(umf_test_verify(q, 3000, 5),
                  "opened handle does not point at the block's bytes "
                  "(offset inside the provider allocation lost?)");
    ck_assert_ptr_null(umfPoolByPtr(q)); /* opened memory has no pool */
    ck_assert_int_eq(umfCloseIPCHandle(q), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPutIPCHandle(ipc), UMF_RESULT_SUCCESS);

    ck_assert_int_eq(umfPoolFree(producer, p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(consumer);
    umfPoolDestroy(producer);
    /* every handle the provider gave out was put back */
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_IPC_PUT),
                      umf_test_counting_get(&st, UMF_TEST_OP_IPC_GET));
    umfMemoryProviderDestroy(cp);
    umfMemoryProviderDestroy(base);
}
END_TEST

/* A consumer pool without tracking that owns its provider, destroyed with a
 * handle still open: the handle is closed while the provider still exists,
 * and a late umfCloseIPCHandle is refused instead of reaching the provider
 * that is gone. */
START_TEST(ipc_untracked_consumer_destroyed_open) {
    umf_memory_pool_handle_t producer = simple_pool(
        umf_test_provider_create(umf_test_malloc_ipc_provider_ops(), NULL),
        UMF_POOL_CREATE_FLAG_OWN_PROVIDER);
    umf_test_counting_t st;
    umf_memory_provider_handle_t base = NULL;
    umf_memory_provider_handle_t cp = counted_ipc_provider(&st, &base);
    umf_memory_pool_handle_t consumer =
        simple_pool(cp, UMF_POOL_CREATE_FLAG_OWN_PROVIDER |
                            UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);

    char *p = umfPoolMalloc(producer, 2000);
    ck_assert_ptr_nonnull(p);
    umf_ipc_handle_t ipc = NULL;
    size_t size = 0;
    ck_assert_int_eq(umfGetIPCHandle(p, &ipc, &size), UMF_RESULT_SUCCESS);
    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(consumer, &handler),
                     UMF_RESULT_SUCCESS);
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(handler, ipc, &q), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_IPC_CLOSE), 0);

    umfPoolDestroy(consumer); /* finalizes cp */
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_IPC_CLOSE), 1);
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_FINALIZE), 1);
    ck_assert_int_eq(umfCloseIPCHandle(q), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_IPC_CLOSE), 1);

    ck_assert_int_eq(umfPutIPCHandle(ipc), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(producer, p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(producer);
    umfMemoryProviderDestroy(base);
}
END_TEST

/* ============================ create flags ============================ */

START_TEST(flag_own_provider) {
    counted_t c;
    counted_malloc_init(&c);
    size_t pool_fini = 0;
    umf_test_simple_pool_params_t params = {UMF_RESULT_SUCCESS, &pool_fini};
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umf_test_simple_pool_ops(), c.h, &params,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    void *p = umfPoolMalloc(pool, 10);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(pool_fini, 1);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 1);
    counted_fini(&c, 0);
}
END_TEST

START_TEST(flag_no_own_provider) {
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(c.h, 128, 0, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(c.h, p, 128), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(c.h);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 1);
    counted_fini(&c, 0);
}
END_TEST

START_TEST(flag_own_provider_failed_create) {
    counted_t c;
    counted_malloc_init(&c);
    umf_test_simple_pool_params_t params = {UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY,
                                            NULL};
    umf_memory_pool_handle_t pool = SENTINEL_POOL;
    ck_assert_int_eq(umfPoolCreate(umf_test_simple_pool_ops(), c.h, &params,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert(pool == SENTINEL_POOL || pool == NULL);
    /* an ops table with a hole fails too, and leaves the provider alone */
    umf_memory_pool_ops_t ops = *umf_test_simple_pool_ops();
    ops.free = NULL;
    ck_assert_int_eq(umfPoolCreate(&ops, c.h, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(c.h, 128, 0, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(c.h, p, 128), UMF_RESULT_SUCCESS);
    counted_fini(&c, 1);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 1);
}
END_TEST

START_TEST(flag_disable_tracking) {
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool =
        simple_pool(c.h, UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(umfPoolGetMemoryProvider(pool, &h), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(h, c.h);

    char *p = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_null(umfPoolByPtr(p));
    ck_assert_ptr_null(umfPoolByPtr(p + 99));
    size_t frees = umf_test_counting_get(&c.st, UMF_TEST_OP_FREE);
    ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FREE), frees);
    memset(p, 0x11, 100); /* still allocated */
    umf_ipc_handle_t ipc = NULL;
    size_t size = 0;
    ck_assert_int_eq(umfGetIPCHandle(p, &ipc, &size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FREE),
                      frees + 1);
    umfPoolDestroy(pool);
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    counted_fini(&c, 1);
}
END_TEST

START_TEST(flag_tracking_default) {
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    char *p = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(umfPoolByPtr(p), pool);
    ck_assert_ptr_eq(umfPoolByPtr(p + 99), pool);
    long long live = umf_test_counting_live_allocs(&c.st);
    ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS); /* reaches the pool */
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), live - 1);
    ck_assert_ptr_null(umfPoolByPtr(p));
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

/* ============================ ops validation ============================ */

/* _i: which member to clear */
START_TEST(pool_ops_missing_member) {
    umf_memory_pool_ops_t ops = *umf_test_simple_pool_ops();
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
        ops.malloc = NULL;
        what = "malloc";
        break;
    case 3:
        ops.calloc = NULL;
        what = "calloc";
        break;
    case 4:
        ops.realloc = NULL;
        what = "realloc";
        break;
    case 5:
        ops.aligned_malloc = NULL;
        what = "aligned_malloc";
        break;
    case 6:
        ops.malloc_usable_size = NULL;
        what = "malloc_usable_size";
        break;
    case 7:
        ops.free = NULL;
        what = "free";
        break;
    case 8:
        ops.get_last_allocation_error = NULL;
        what = "get_last_allocation_error";
        break;
    default:
        ck_abort_msg("bad index");
        break;
    }
    counted_t c;
    counted_malloc_init(&c);
    for (size_t f = 0; f < sizeof(all_flags) / sizeof(all_flags[0]); f++) {
        umf_memory_pool_handle_t pool = SENTINEL_POOL;
        umf_result_t r = umfPoolCreate(&ops, c.h, NULL, all_flags[f], &pool);
        ck_assert_msg(r == UMF_RESULT_ERROR_INVALID_ARGUMENT,
                      "pool ops without %s (flags %u): umfPoolCreate "
                      "returned %d, expected INVALID_ARGUMENT",
                      what, (unsigned)all_flags[f], (int)r);
        ck_assert(pool == SENTINEL_POOL || pool == NULL);
    }
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    counted_fini(&c, 1);
}
END_TEST

/* _i: index into init_errors */
static const umf_result_t init_errors[] = {
    UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY,
    UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC,
    UMF_RESULT_ERROR_INVALID_ARGUMENT,
    UMF_RESULT_ERROR_UNKNOWN,
};

START_TEST(pool_initialize_error_passthrough) {
    counted_t c;
    counted_malloc_init(&c);
    umf_test_simple_pool_params_t params = {init_errors[_i], NULL};
    for (size_t f = 0; f < sizeof(all_flags) / sizeof(all_flags[0]); f++) {
        umf_memory_pool_handle_t pool = SENTINEL_POOL;
        ck_assert_int_eq(umfPoolCreate(umf_test_simple_pool_ops(), c.h, &params,
                                       all_flags[f], &pool),
                         init_errors[_i]);
        ck_assert(pool == SENTINEL_POOL || pool == NULL);
    }
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    counted_fini(&c, 1);
}
END_TEST

/* ================================ tags ================================ */

START_TEST(tags_basic) {
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    int a = 0, b = 0;
    void *tag = &a;
    ck_assert_int_eq(umfPoolGetTag(pool, &tag), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(tag); /* starts NULL */
    ck_assert_int_eq(umfPoolSetTag(pool, &a, NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolGetTag(pool, &tag), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(tag, &a);
    void *old = NULL;
    ck_assert_int_eq(umfPoolSetTag(pool, &b, &old), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(old, &a);
    ck_assert_int_eq(umfPoolGetTag(pool, &tag), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(tag, &b);
    ck_assert_int_eq(umfPoolSetTag(pool, NULL, &old), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(old, &b);
    ck_assert_int_eq(umfPoolGetTag(pool, &tag), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(tag);
    /* tags are per pool */
    umf_memory_pool_handle_t pool2 = simple_pool(c.h, 0);
    ck_assert_int_eq(umfPoolSetTag(pool2, &b, NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolGetTag(pool, &tag), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(tag);
    umfPoolDestroy(pool2);
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

static int tag_values[4];
typedef struct tag_worker_t {
    umf_memory_pool_handle_t pool;
    int bad;
} tag_worker_t;

static void *tag_worker(void *arg) {
    tag_worker_t *w = arg;
    for (int k = 0; k < 2000; k++) {
        void *old = (void *)1, *cur = (void *)1;
        if (umfPoolSetTag(w->pool, &tag_values[k % 4], &old) !=
            UMF_RESULT_SUCCESS) {
            w->bad++;
        }
        if (umfPoolGetTag(w->pool, &cur) != UMF_RESULT_SUCCESS) {
            w->bad++;
        }
        /* every value seen is one that somebody set (or the initial NULL) */
        if (old != NULL &&
            (old < (void *)&tag_values[0] || old > (void *)&tag_values[3])) {
            w->bad++;
        }
        if (cur < (void *)&tag_values[0] || cur > (void *)&tag_values[3]) {
            w->bad++;
        }
    }
    return NULL;
}

START_TEST(tags_concurrent) {
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pool = simple_pool(c.h, 0);
    tag_worker_t w[4];
    for (int t = 0; t < 4; t++) {
        w[t].pool = pool;
        w[t].bad = 0;
    }
    ck_assert_int_eq(umf_test_run_threads(4, tag_worker, w, sizeof(w[0])), 0);
    for (int t = 0; t < 4; t++) {
        ck_assert_int_eq(w[t].bad, 0);
    }
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

/* ========================= providers under pools ========================= */

START_TEST(get_memory_provider_is_users) {
    counted_t c;
    counted_malloc_init(&c);
    for (size_t f = 0; f < 3; f++) { /* NONE, OWN, DISABLE_TRACKING */
        umf_memory_pool_handle_t pool = NULL;
        ck_assert_int_eq(
            umfPoolCreate(umf_test_simple_pool_ops(), c.h, NULL,
                          all_flags[f] & ~UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                          &pool),
            UMF_RESULT_SUCCESS);
        umf_memory_provider_handle_t h = NULL;
        ck_assert_int_eq(umfPoolGetMemoryProvider(pool, &h),
                         UMF_RESULT_SUCCESS);
        ck_assert_ptr_eq(h, c.h);
        ck_assert_str_eq(umfMemoryProviderGetName(h),
                         UMF_TEST_COUNTING_PROVIDER_NAME);
        umfPoolDestroy(pool);
    }
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umf_memory_pool_handle_t pp = proxy_pool(os);
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(umfPoolGetMemoryProvider(pp, &h), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(h, os);
    umfPoolDestroy(pp);
    umfMemoryProviderDestroy(os);
    counted_fini(&c, 1);
}
END_TEST

#define SHARED_POOLS 6
#define SHARED_BLOCKS 8

START_TEST(several_pools_share_a_provider) {
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    counted_t c;
    counted_malloc_init(&c);
    umf_memory_pool_handle_t pools[SHARED_POOLS];
    char *blk[SHARED_POOLS][SHARED_BLOCKS];
    size_t sz[SHARED_BLOCKS];
    for (int i = 0; i < SHARED_POOLS; i++) {
        pools[i] = i < 3 ? proxy_pool(os) : simple_pool(c.h, 0);
        for (int k = 0; k < SHARED_BLOCKS; k++) {
            sz[k] = 1 + (size_t)k * 1500;
            blk[i][k] = umfPoolMalloc(pools[i], sz[k]);
            ck_assert_ptr_nonnull(blk[i][k]);
            umf_test_fill(blk[i][k], sz[k], (unsigned)(i * 100 + k));
        }
    }
    static const int order[SHARED_POOLS] = {2, 4, 0, 5, 3, 1};
    for (int d = 0; d < SHARED_POOLS; d++) {
        /* every surviving pool still owns its blocks */
        for (int e = d; e < SHARED_POOLS; e++) {
            int i = order[e];
            for (int k = 0; k < SHARED_BLOCKS; k++) {
                ck_assert_ptr_eq(umfPoolByPtr(blk[i][k]), pools[i]);
                ck_assert_ptr_eq(umfPoolByPtr(blk[i][k] + sz[k] - 1), pools[i]);
                ck_assert(
                    umf_test_verify(blk[i][k], sz[k], (unsigned)(i * 100 + k)));
            }
        }
        int i = order[d];
        for (int k = 0; k < SHARED_BLOCKS; k++) {
            ck_assert_int_eq(umfPoolFree(pools[i], blk[i][k]),
                             UMF_RESULT_SUCCESS);
        }
        umfPoolDestroy(pools[i]);
    }
    /* the shared providers outlive their pools */
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(os, 4096, 0, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(os, p, 4096), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    ck_assert_uint_eq(umf_test_counting_get(&c.st, UMF_TEST_OP_FINALIZE), 0);
    umfMemoryProviderDestroy(os);
    counted_fini(&c, 1);
}
END_TEST

#define MANY_POOLS 16
#define MANY_BLOCKS 8

START_TEST(by_ptr_16_pools) {
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umf_memory_provider_handle_t mp =
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(mp);
    static const size_t sizes[MANY_BLOCKS] = {1,    17,    100,   4095,
                                              4096, 10000, 65537, 300000};
    umf_memory_pool_handle_t pools[MANY_POOLS];
    char *blk[MANY_POOLS][MANY_BLOCKS];
    for (int i = 0; i < MANY_POOLS; i++) {
        pools[i] = (i % 2) ? proxy_pool(os) : simple_pool(mp, 0);
    }
    for (int k = 0; k < MANY_BLOCKS; k++) {
        for (int i = 0; i < MANY_POOLS; i++) {
            blk[i][k] = umfPoolMalloc(pools[i], sizes[k]);
            ck_assert_ptr_nonnull(blk[i][k]);
        }
    }
    for (int i = 0; i < MANY_POOLS; i++) {
        for (int k = 0; k < MANY_BLOCKS; k++) {
            ck_assert_msg(umfPoolByPtr(blk[i][k]) == pools[i],
                          "pool %d block %d: first byte maps to %p, not %p", i,
                          k, (void *)umfPoolByPtr(blk[i][k]), (void *)pools[i]);
            ck_assert_msg(umfPoolByPtr(blk[i][k] + sizes[k] - 1) == pools[i],
                          "pool %d block %d: last byte maps to %p, not %p", i,
                          k, (void *)umfPoolByPtr(blk[i][k] + sizes[k] - 1),
                          (void *)pools[i]);
        }
    }
    for (int i = 0; i < MANY_POOLS; i++) {
        for (int k = 0; k < MANY_BLOCKS; k++) {
            ck_assert_int_eq(umfFree(blk[i][k]), UMF_RESULT_SUCCESS);
        }
    }
    for (int i = 0; i < MANY_POOLS; i++) {
        for (int k = 0; k < MANY_BLOCKS; k++) {
            ck_assert_ptr_null(umfPoolByPtr(blk[i][k]));
        }
        umfPoolDestroy(pools[i]);
    }
    umfMemoryProviderDestroy(mp);
    umfMemoryProviderDestroy(os);
}
END_TEST

/* creating and destroying providers and pools leaves no descriptor open */
START_TEST(no_fd_leak_create_destroy) {
    /* warm up: one-time library state (topology, logger) may open files */
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umfPoolDestroy(proxy_pool(os));
    umfMemoryProviderDestroy(os);
    size_t fds = umf_test_count_fds();
    ck_assert_uint_ne(fds, (size_t)-1);
    for (int i = 0; i < 20; i++) {
        os = umf_test_os_provider_create();
        ck_assert_ptr_nonnull(os);
        umf_memory_pool_handle_t pool = proxy_pool(os);
        void *p = umfPoolMalloc(pool, 10000);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
        umfPoolDestroy(pool);
        umfMemoryProviderDestroy(os);
    }
    ck_assert_uint_eq(umf_test_count_fds(), fds);
}
END_TEST

/* ============================ nested pools ============================ */

#define NEST 8 /* levels that must work */

/* innermost level whose block holds a, or -1 */
static int nest_expected(char *const *buf, const size_t *size, char *a) {
    int best = -1;
    for (int k = 0; k < NEST; k++) {
        if (a >= buf[k] && a < buf[k] + size[k]) {
            best = k;
        }
    }
    return best;
}

START_TEST(nested_pools_8_deep) {
    umf_memory_provider_handle_t prov[NEST + 1];
    umf_memory_pool_handle_t pool[NEST + 1];
    char *buf[NEST];
    size_t size[NEST];

    prov[0] = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(prov[0]);
    pool[0] = proxy_pool(prov[0]);
    size[0] = (size_t)1 << 20;
    buf[0] = umfPoolMalloc(pool[0], size[0]);
    ck_assert_ptr_nonnull(buf[0]);
    for (int k = 1; k < NEST; k++) {
        /* a fixed provider over the previous level's block */
        prov[k] = umf_test_fixed_provider_create(buf[k - 1], size[k - 1]);
        ck_assert_msg(prov[k] != NULL, "fixed provider at level %d", k + 1);
        pool[k] = proxy_pool(prov[k]);
        size[k] = size[k - 1] / 2;
        buf[k] = umfPoolMalloc(pool[k], size[k]);
        ck_assert_msg(buf[k] != NULL,
                      "level %d allocation failed (last error %d)", k + 1,
                      (int)umfPoolGetLastAllocationError(pool[k]));
        memset(buf[k], k, size[k]);
    }
    /* every byte maps to the innermost pool covering it */
    for (int k = 0; k < NEST; k++) {
        char *probe[3] = {buf[k], buf[k] + size[k] / 2, buf[k] + size[k] - 1};
        for (int j = 0; j < 3; j++) {
            int e = nest_expected(buf, size, probe[j]);
            ck_assert_msg(umfPoolByPtr(probe[j]) == pool[e],
                          "level %d probe %d: umfPoolByPtr gave %p, expected "
                          "level %d's pool %p",
                          k + 1, j, (void *)umfPoolByPtr(probe[j]), e + 1,
                          (void *)pool[e]);
        }
    }

    /* the 9th level: the provider allocation works, tracking cannot */
    umf_test_counting_t st;
    umf_memory_provider_handle_t fixed9 =
        umf_test_fixed_provider_create(buf[NEST - 1], size[NEST - 1]);
    ck_assert_ptr_nonnull(fixed9);
    umf_test_counting_init(&st, fixed9);
    ck_assert_int_eq(umf_test_counting_create(&st, &prov[NEST]),
                     UMF_RESULT_SUCCESS);
    pool[NEST] = proxy_pool(prov[NEST]);
    void *x = umfPoolMalloc(pool[NEST], size[NEST - 1] / 2);
    ck_assert_msg(x == NULL, "a 9th nesting level must fail");
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool[NEST]),
                     UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    ck_assert_msg(umfGetLastFailedMemoryProvider() == prov[NEST],
                  "last failed provider %p is not the user's provider %p",
                  (void *)umfGetLastFailedMemoryProvider(), (void *)prov[NEST]);
    /* ... and nothing leaked: the provider block went back */
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_ALLOC), 1);
    ck_assert_uint_eq(umf_test_counting_get(&st, UMF_TEST_OP_FREE), 1);
    ck_assert_int_eq(umf_test_counting_live_allocs(&st), 0);
    ck_assert_int_eq(umf_test_counting_live_bytes(&st), 0);
    ck_assert_ptr_eq(umfPoolByPtr(buf[NEST - 1]), pool[NEST - 1]);

    /* innermost first */
    umfPoolDestroy(pool[NEST]);
    umfMemoryProviderDestroy(prov[NEST]);
    umfMemoryProviderDestroy(fixed9);
    for (int k = NEST - 1; k >= 0; k--) {
        ck_assert_int_eq(umfPoolFree(pool[k], buf[k]), UMF_RESULT_SUCCESS);
        umfPoolDestroy(pool[k]);
        umfMemoryProviderDestroy(prov[k]);
    }
    ck_assert_ptr_null(umfPoolByPtr(buf[0]));
}
END_TEST

/* ====================== thread-local error state ====================== */

typedef struct other_thread_t {
    umf_memory_provider_handle_t seen_before;
    umf_memory_provider_handle_t failing;
    umf_memory_provider_handle_t seen_after;
} other_thread_t;

static void *other_thread(void *arg) {
    other_thread_t *o = arg;
    o->seen_before = umfGetLastFailedMemoryProvider();
    void *p = NULL;
    (void)umfMemoryProviderAlloc(o->failing, 64, 0, &p);
    o->seen_after = umfGetLastFailedMemoryProvider();
    return NULL;
}

static void last_error_scenario(int use_proxy) {
    counted_t c;
    if (use_proxy) {
        counted_init(&c, umf_test_os_provider_create());
    } else {
        counted_malloc_init(&c);
    }
    umf_memory_pool_handle_t pool =
        use_proxy ? proxy_pool(c.h) : simple_pool(c.h, 0);

    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolMalloc(pool, 100));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_msg(umfGetLastFailedMemoryProvider() == c.h,
                  "last failed provider is %p, not the user's provider %p "
                  "(an internal wrapper leaked?)",
                  (void *)umfGetLastFailedMemoryProvider(), (void *)c.h);

    /* a success clears neither */
    void *ok = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(ok);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), c.h);
    ck_assert_int_eq(umfPoolFree(pool, ok), UMF_RESULT_SUCCESS);

    /* a provider-specific failure, through aligned malloc */
    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_null(umfPoolAlignedMalloc(pool, 100, 64));
    umf_result_t e = umfPoolGetLastAllocationError(pool);
    if (use_proxy) {
        ck_assert(e == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC ||
                  e == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    } else {
        ck_assert_int_eq(e, UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    }
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), c.h);

    /* per thread: another thread starts clean and its failure stays there */
    other_thread_t o = {
        (umf_memory_provider_handle_t)0x1,
        umf_test_provider_create(umf_test_failing_provider_ops(), NULL), NULL};
    ck_assert_ptr_nonnull(o.failing);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &o), 0);
    pthread_join(t, NULL);
    ck_assert_ptr_null(o.seen_before);
    ck_assert_ptr_eq(o.seen_after, o.failing);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), c.h);
    umfMemoryProviderDestroy(o.failing);

    umfPoolDestroy(pool);
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    counted_fini(&c, 1);
}

START_TEST(last_error_simple_pool) { last_error_scenario(0); }
END_TEST

START_TEST(last_error_proxy_pool) { last_error_scenario(1); }
END_TEST

/* =========================== tracker ordering =========================== */

typedef struct hook_log_t {
    int allocs, frees;
    int tracked_at_alloc; /* umfPoolByPtr(ptr) != NULL inside provider alloc */
    int tracked_at_free;  /* umfPoolByPtr(ptr) != NULL inside provider free */
} hook_log_t;

static void hook_alloc(void *arg, void *ptr, size_t size) {
    hook_log_t *l = arg;
    (void)size;
    l->allocs++;
    if (umfPoolByPtr(ptr) != NULL) {
        l->tracked_at_alloc++;
    }
}

static void hook_free(void *arg, void *ptr, size_t size) {
    hook_log_t *l = arg;
    (void)size;
    l->frees++;
    if (umfPoolByPtr(ptr) != NULL) {
        l->tracked_at_free++;
    }
}

static void tracker_order_scenario(int use_proxy) {
    counted_t c;
    hook_log_t log = {0, 0, 0, 0};
    if (use_proxy) {
        counted_init(&c, umf_test_os_provider_create());
    } else {
        counted_malloc_init(&c);
    }
    c.st.on_alloc = hook_alloc;
    c.st.on_free = hook_free;
    c.st.hook_arg = &log;
    umf_memory_pool_handle_t pool =
        use_proxy ? proxy_pool(c.h) : simple_pool(c.h, 0);

    char *p = umfPoolMalloc(pool, 1000);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(log.allocs, 1);
    ck_assert_msg(log.tracked_at_alloc == 0,
                  "the range was tracked before the provider returned it");
    ck_assert_ptr_eq(umfPoolByPtr(p), pool);

    /* a failed free: removed before the provider ran, then re-added */
    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_FREE,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(umfPoolFree(pool, p),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(log.frees, 1);
    ck_assert_msg(log.tracked_at_free == 0,
                  "the range was still tracked when the provider freed it");
    ck_assert_msg(umfPoolByPtr(p) == pool,
                  "a failed provider free dropped the tracker entry");
    ck_assert_ptr_eq(umfPoolByPtr(p + 999), pool);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), c.h);
    memset(p, 0x77, 1000); /* still ours */

    /* a later successful free removes it, with the original size */
    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(log.frees, 2);
    ck_assert_int_eq(log.tracked_at_free, 0);
    ck_assert_ptr_null(umfPoolByPtr(p));
    ck_assert_int_eq(umf_test_counting_live_allocs(&c.st), 0);
    ck_assert_int_eq(umf_test_counting_live_bytes(&c.st), 0);

    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}

/* The provider a pool gets at initialize: with tracking on, the tracking
 * wrapper, whose split and merge update the tracker. */
static umf_memory_provider_handle_t seen_provider;
static umf_result_t (*simple_initialize)(umf_memory_provider_handle_t, void *,
                                         void **);

static umf_result_t grab_initialize(umf_memory_provider_handle_t provider,
                                    void *params, void **pool) {
    seen_provider = provider;
    return simple_initialize(provider, params, pool);
}

/* A provider that refuses a split or a merge leaves the tracked ranges as
 * they were: the tracker's change is undone. */
START_TEST(tracker_failed_split_merge_undone) {
    counted_t c;
    counted_init(&c, umf_test_os_provider_create());
    umf_memory_pool_ops_t ops = *umf_test_simple_pool_ops();
    simple_initialize = ops.initialize;
    ops.initialize = grab_initialize;
    umf_memory_pool_handle_t pool =
        umf_test_pool_create(&ops, c.h, NULL, UMF_POOL_CREATE_FLAG_NONE);
    ck_assert_ptr_nonnull(pool);
    umf_memory_provider_handle_t tp = seen_provider;
    ck_assert_ptr_ne(tp, c.h);
    size_t page = 4096;
    char *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(tp, 2 * page, 0, (void **)&p), 0);

    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_SPLIT,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(tp, p, 2 * page, page),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* still one range: there is no high range to merge with, and the split
     * below needs the whole range */
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(tp, p, p + page, 2 * page),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);

    ck_assert_int_eq(umfMemoryProviderAllocationSplit(tp, p, 2 * page, page),
                     0);
    umf_test_counting_fail_next(&c.st, UMF_TEST_OP_MERGE,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(tp, p, p + page, 2 * page),
        UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* still two ranges of one page each */
    ck_assert_ptr_eq(umfPoolByPtr(p + page), pool);
    ck_assert_int_eq(umfMemoryProviderFree(tp, p + page, page), 0);
    ck_assert_ptr_null(umfPoolByPtr(p + page));
    ck_assert_ptr_eq(umfPoolByPtr(p + page - 1), pool);
    ck_assert_int_eq(umfMemoryProviderFree(tp, p, page), 0);
    ck_assert_ptr_null(umfPoolByPtr(p));
    ck_assert_int_eq(umf_test_counting_live_bytes(&c.st), 0);
    umfPoolDestroy(pool);
    counted_fini(&c, 1);
}
END_TEST

START_TEST(tracker_failed_free_simple_pool) { tracker_order_scenario(0); }
END_TEST

START_TEST(tracker_failed_free_proxy_pool) { tracker_order_scenario(1); }
END_TEST

/* ============================ concurrency ============================ */

typedef struct mt_worker_t {
    umf_memory_pool_handle_t *pools;
    unsigned seed;
    unsigned failures;
    char first[200];
} mt_worker_t;

static void *mt_worker(void *arg) {
    mt_worker_t *w = arg;
    enum { LIVE = 24, OPS = 2000 };
    char *p[LIVE] = {0};
    size_t sz[LIVE] = {0};
    int owner[LIVE] = {0};
    uint64_t rnd = 0x2545F4914F6CDD1DULL + w->seed;
    for (unsigned op = 0; op < OPS; op++) {
        unsigned s = (unsigned)(umf_test_rand(&rnd) % LIVE);
        if (p[s]) {
            umf_memory_pool_handle_t a = umfPoolByPtr(p[s]);
            umf_memory_pool_handle_t b = umfPoolByPtr(p[s] + sz[s] - 1);
            if ((a != w->pools[owner[s]] || b != w->pools[owner[s]]) &&
                w->failures++ == 0) {
                snprintf(w->first, sizeof(w->first),
                         "block %p (%zu bytes) of pool %d maps to %p/%p",
                         (void *)p[s], sz[s], owner[s], (void *)a, (void *)b);
            }
            if (!umf_test_verify(p[s], sz[s], w->seed + s) &&
                w->failures++ == 0) {
                snprintf(w->first, sizeof(w->first), "block %p overwritten",
                         (void *)p[s]);
            }
            umf_result_t r = (op & 1) ? umfFree(p[s])
                                      : umfPoolFree(w->pools[owner[s]], p[s]);
            if (r != UMF_RESULT_SUCCESS && w->failures++ == 0) {
                snprintf(w->first, sizeof(w->first), "free failed: %d", (int)r);
            }
            p[s] = NULL;
        } else {
            owner[s] = (int)(umf_test_rand(&rnd) % MANY_POOLS);
            sz[s] = 1 + umf_test_rand(&rnd) % 20000;
            p[s] = umfPoolMalloc(w->pools[owner[s]], sz[s]);
            if (!p[s]) {
                if (w->failures++ == 0) {
                    snprintf(w->first, sizeof(w->first),
                             "malloc(%zu) on pool %d failed", sz[s], owner[s]);
                }
                continue;
            }
            umf_test_fill(p[s], sz[s], w->seed + s);
        }
    }
    for (unsigned s = 0; s < LIVE; s++) {
        if (p[s]) {
            (void)umfPoolFree(w->pools[owner[s]], p[s]);
        }
    }
    return NULL;
}

START_TEST(concurrent_16_pools_4_threads) {
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    umf_memory_provider_handle_t mp =
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
    ck_assert_ptr_nonnull(mp);
    umf_memory_pool_handle_t pools[MANY_POOLS];
    for (int i = 0; i < MANY_POOLS; i++) {
        pools[i] = (i % 2) ? proxy_pool(os) : simple_pool(mp, 0);
    }
    mt_worker_t w[4];
    memset(w, 0, sizeof(w));
    for (unsigned t = 0; t < 4; t++) {
        w[t].pools = pools;
        w[t].seed = 1000 * (t + 1);
    }
    ck_assert_int_eq(umf_test_run_threads(4, mt_worker, w, sizeof(w[0])), 0);
    for (unsigned t = 0; t < 4; t++) {
        ck_assert_msg(w[t].failures == 0, "thread %u: %u failures, first: %s",
                      t, w[t].failures, w[t].first);
    }
    for (int i = 0; i < MANY_POOLS; i++) {
        umfPoolDestroy(pools[i]);
    }
    umfMemoryProviderDestroy(mp);
    umfMemoryProviderDestroy(os);
}
END_TEST

static Suite *pool_api_suite(void) {
    Suite *s = suite_create("pool_api");
    TCase *tc = tcase_create("null_args");
    tcase_add_test(tc, null_pool_alloc_calls);
    tcase_add_test(tc, null_tags);
    tcase_add_test(tc, null_get_memory_provider);
    tcase_add_test(tc, null_pool_create);
    tcase_add_test(tc, null_free_and_lookup);
    tcase_add_test(tc, null_ipc_args);
    tcase_add_test(tc, ipc_open_without_ipc_ops);
    tcase_add_test(tc, ipc_same_process_roundtrip);
    tcase_add_test(tc, ipc_untracked_consumer_destroyed_open);
    suite_add_tcase(s, tc);

    tc = tcase_create("flags");
    tcase_add_test(tc, flag_own_provider);
    tcase_add_test(tc, flag_no_own_provider);
    tcase_add_test(tc, flag_own_provider_failed_create);
    tcase_add_test(tc, flag_disable_tracking);
    tcase_add_test(tc, flag_tracking_default);
    suite_add_tcase(s, tc);

    tc = tcase_create("ops_validation");
    tcase_add_loop_test(tc, pool_ops_missing_member, 0, 9);
    tcase_add_loop_test(tc, pool_initialize_error_passthrough, 0,
                        (int)(sizeof(init_errors) / sizeof(init_errors[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("tags");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, tags_basic);
    tcase_add_test(tc, tags_concurrent);
    suite_add_tcase(s, tc);

    tc = tcase_create("providers");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, get_memory_provider_is_users);
    tcase_add_test(tc, several_pools_share_a_provider);
    tcase_add_test(tc, by_ptr_16_pools);
    tcase_add_test(tc, nested_pools_8_deep);
    tcase_add_test(tc, no_fd_leak_create_destroy);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, last_error_simple_pool);
    tcase_add_test(tc, last_error_proxy_pool);
    suite_add_tcase(s, tc);

    tc = tcase_create("tracker");
    tcase_add_test(tc, tracker_failed_free_simple_pool);
    tcase_add_test(tc, tracker_failed_split_merge_undone);
    tcase_add_test(tc, tracker_failed_free_proxy_pool);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, concurrent_16_pools_4_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(pool_api_suite()); }
