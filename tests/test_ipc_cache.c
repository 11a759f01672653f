/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_ipc_cache.c -- the IPC caches, counted at the provider: one provider
 * get per producer allocation, one provider open per consumer mapping
 * whatever the number of opens, threads and closes; mappings closed on
 * address reuse and handler destroy, never while in use by mistake. The
 * limit UMF_MAX_OPENED_IPC_HANDLES is tested in test_ipc_api. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ipc_internal.h" /* the handle id, to see it change */
#include "ipc_helpers.h"

#define THREADS 10
#define OPENS_PER_THREAD 10

/* ---- a provider that hands out one static slot: free + alloc gives the
 * same address, as a real allocator may, whatever malloc does ---- */

#define SLOT_SIZE 65536
static char slot_buf[SLOT_SIZE] __attribute__((aligned(4096)));
static int slot_busy;
static umf_memory_provider_ops_t slot_ops;

static umf_result_t slot_alloc(void *provider, size_t size, size_t alignment,
                               void **ptr) {
    (void)provider;
    if (slot_busy || size > SLOT_SIZE || (alignment && 4096 % alignment)) {
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    slot_busy = 1;
    *ptr = slot_buf;
    return OK;
}

static umf_result_t slot_free(void *provider, void *ptr, size_t size) {
    (void)provider, (void)ptr, (void)size;
    slot_busy = 0;
    return OK;
}

static const umf_memory_provider_ops_t *slot_provider_ops(void) {
    slot_ops = *ipc_ops();
    slot_ops.alloc = slot_alloc;
    slot_ops.free = slot_free;
    slot_busy = 0;
    return &slot_ops;
}

/* ---- a consumer provider whose open maps every handle at one address
 * (a broken provider: two live mappings that overlap) ---- */

static char alias_buf[SLOT_SIZE] __attribute__((aligned(4096)));
static umf_memory_provider_ops_t alias_ops;

static umf_result_t alias_open(void *provider, void *data, void **ptr) {
    (void)provider, (void)data;
    *ptr = alias_buf;
    return OK;
}

static umf_result_t alias_close(void *provider, void *ptr, size_t size) {
    (void)provider, (void)size;
    return ptr == alias_buf ? OK : INV;
}

/* ---- a consumer provider whose open waits for the test to let it go,
 * then fails or opens as told ---- */

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_entered, gate_released;
static umf_result_t gate_result;
static umf_memory_provider_ops_t gate_ops;

static umf_result_t gate_open(void *provider, void *data, void **ptr) {
    pthread_mutex_lock(&gate_lock);
    gate_entered++;
    pthread_cond_broadcast(&gate_cv);
    while (!gate_released) {
        pthread_cond_wait(&gate_cv, &gate_lock);
    }
    umf_result_t r = gate_result;
    pthread_mutex_unlock(&gate_lock);
    if (r != OK) {
        return r;
    }
    return ipc_ops()->ipc.open_ipc_handle(provider, data, ptr);
}
/* ============================ threads ============================ */

typedef struct opener_t {
    umf_ipc_handler_handle_t handler;
    umf_ipc_handle_t h;
    int close_too;
    int n;
    void *got[OPENS_PER_THREAD];
    umf_result_t ret[OPENS_PER_THREAD];
} opener_t;

static void *opener(void *arg) {
    opener_t *o = arg;
    for (int i = 0; i < o->n; i++) {
        o->ret[i] = umfOpenIPCHandle(o->handler, o->h, &o->got[i]);
        if (o->ret[i] == OK && o->close_too) {
            o->ret[i] = umfCloseIPCHandle(o->got[i]);
        }
    }
    return NULL;
}

static void openers_run(opener_t *o, side_t *c, umf_ipc_handle_t h, int n,
                        int close_too) {
    memset(o, 0, THREADS * sizeof(*o));
    for (int t = 0; t < THREADS; t++) {
        o[t] = (opener_t){c->handler, h, close_too, n, {0}, {0}};
    }
    ck_assert_int_eq(umf_test_run_threads(THREADS, opener, o, sizeof(*o)), 0);
}

/* 100 opens of one handle from 10 threads: one provider open; the mapping
 * stays after the 100 closes, until the consumer pool is destroyed. */
START_TEST(open_100_times_from_10_threads) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    side_init(&cons, ipc_ops());
    char *p = xmalloc(&prod, 1000, 3);
    umf_ipc_handle_t h = get_handle(p);

    opener_t o[THREADS];
    openers_run(o, &cons, h, OPENS_PER_THREAD, 0);
    char *q = o[0].got[0];
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < OPENS_PER_THREAD; i++) {
            ck_assert_int_eq(o[t].ret[i], OK);
            ck_assert_ptr_eq(o[t].got[i], q);
        }
    }
    ck_assert(umf_test_verify(q, 1000, 3));
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 1);

    /* any pointer inside the mapping closes it */
    for (int i = 0; i < THREADS * OPENS_PER_THREAD; i++) {
        ck_assert_int_eq(umfCloseIPCHandle(q + i * 7), OK);
    }
    ck_assert_int_eq(umfCloseIPCHandle(q), INV); /* no reference left */
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 0);

    /* open + close churn from 10 threads reuses the cached mapping */
    openers_run(o, &cons, h, OPENS_PER_THREAD, 1);
    for (int t = 0; t < THREADS; t++) {
        for (int i = 0; i < OPENS_PER_THREAD; i++) {
            ck_assert_int_eq(o[t].ret[i], OK);
        }
    }
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 1);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 0);

    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    ck_assert_int_eq(umfCloseIPCHandle(q), INV);
    ck_assert_int_eq(umfPutIPCHandle(h), OK);
    ck_assert_int_eq(umfPoolFree(prod.pool, p), OK);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* Threads pile up on one open that the provider holds: with _i == 0 it
 * succeeds and all share it; with _i == 1 it fails and every opener gets
 * the provider's error, then a later open works. */
START_TEST(concurrent_opens_wait_for_one) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    gate_ops = *ipc_ops();
    gate_ops.ipc.open_ipc_handle = gate_open;
    gate_entered = gate_released = 0;
    umf_result_t fail = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    gate_result = _i ? fail : OK;
    side_init(&cons, &gate_ops);
    char *p = xmalloc(&prod, 500, 4);
    umf_ipc_handle_t h = get_handle(p);

    opener_t o[THREADS];
    memset(o, 0, sizeof(o));
    for (int t = 0; t < THREADS; t++) {
        o[t] = (opener_t){cons.handler, h, 0, 1, {0}, {0}};
    }
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        ck_assert_int_eq(pthread_create(&th[t], NULL, opener, &o[t]), 0);
    }
    pthread_mutex_lock(&gate_lock);
    while (gate_entered == 0) {
        pthread_cond_wait(&gate_cv, &gate_lock);
    }
    pthread_mutex_unlock(&gate_lock);
    usleep(200 * 1000); /* let the others reach the wait */
    pthread_mutex_lock(&gate_lock);
    gate_released = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_lock);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
    }
    size_t opens = calls(&cons, UMF_TEST_OP_IPC_OPEN);
    for (int t = 0; t < THREADS; t++) {
        ck_assert_int_eq(o[t].ret[0], _i ? fail : OK);
        ck_assert_ptr_eq(o[t].got[0], _i ? NULL : o[0].got[0]);
    }
    if (_i == 0) {
        ck_assert_uint_eq(opens, 1);
        for (int t = 0; t < THREADS; t++) {
            ck_assert_int_eq(umfCloseIPCHandle(o[t].got[0]), OK);
        }
    } else {
        ck_assert_uint_ge(opens, 1);
        gate_result = OK; /* nothing of the failure is left behind */
        char *q = open_handle(&cons, h);
        ck_assert(umf_test_verify(q, 500, 4));
        ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), opens + 1);
        ck_assert_int_eq(umfCloseIPCHandle(q), OK);
    }
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 0);
    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    umfPutIPCHandle(h);
    umfPoolFree(prod.pool, p);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* ======================= open, close, cache ======================= */

START_TEST(closed_mapping_stays_cached) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    side_init(&cons, ipc_ops());
    char *p = xmalloc(&prod, 2000, 5);
    umf_ipc_handle_t h = get_handle(p);
    int local = 0;

    char *q = open_handle(&cons, h);
    ck_assert_ptr_null(umfPoolByPtr(q)); /* opened memory has no pool */
    ck_assert_int_eq(umfCloseIPCHandle(q - 1), OK); /* the pool's header */
    ck_assert_ptr_null(umfPoolByPtr(q));
    ck_assert_int_eq(umfCloseIPCHandle(q), INV);
    ck_assert_int_eq(umfCloseIPCHandle(&local), INV);
    ck_assert_int_eq(umfCloseIPCHandle(p), INV); /* the producer's memory */

    ck_assert_ptr_eq(open_handle(&cons, h), q);
    ck_assert(umf_test_verify(q, 2000, 5));
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 1);
    ck_assert_int_eq(umfCloseIPCHandle(q + 1999), OK);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 0);
    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    umfPutIPCHandle(h);
    umfPoolFree(prod.pool, p);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* The producer asks its provider once per allocation, and puts the blob
 * back when the allocation is freed. */
START_TEST(get_put_once_per_allocation) {
    side_t prod;
    side_init(&prod, ipc_ops());
    char *a = xmalloc(&prod, 300, 6);
    char *b = xmalloc(&prod, 300, 7);
    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(umfPutIPCHandle(get_handle(a + i)), OK);
        ck_assert_int_eq(umfPutIPCHandle(get_handle(b)), OK);
    }
    ck_assert_uint_eq(calls(&prod, UMF_TEST_OP_IPC_GET), 2);
    ck_assert_uint_eq(calls(&prod, UMF_TEST_OP_IPC_PUT), 0);
    ck_assert_int_eq(umfPoolFree(prod.pool, a), OK);
    ck_assert_uint_eq(calls(&prod, UMF_TEST_OP_IPC_PUT), 1);
    side_destroy_pool(&prod); /* b is still allocated */
    ck_assert_uint_eq(calls(&prod, UMF_TEST_OP_IPC_PUT), 2);
    side_fini(&prod);
}
END_TEST

/* The producer frees an allocation and gets the same address back: the new
 * handle has a new id, the idle stale mapping is closed and a new one
 * opened. _i == 1: the provider fails to close the stale mapping; it is
 * dropped all the same (logged). */
START_TEST(reused_address_replaces_idle_mapping) {
    side_t prod, cons;
    side_init(&prod, slot_provider_ops());
    side_init(&cons, ipc_ops());
    char *p1 = xmalloc(&prod, 100, 1);
    umf_ipc_handle_t h1 = get_handle(p1);
    char *q1 = open_handle(&cons, h1);
    ck_assert(umf_test_verify(q1, 100, 1));
    ck_assert_int_eq(umfCloseIPCHandle(q1), OK);
    uint64_t id1 = h1->handle_id;
    ck_assert_int_eq(umfPutIPCHandle(h1), OK);
    ck_assert_int_eq(umfPoolFree(prod.pool, p1), OK);

    char *p2 = xmalloc(&prod, 100, 2);
    ck_assert_ptr_eq(p2, p1);
    umf_ipc_handle_t h2 = get_handle(p2);
    ck_assert_uint_ne(h2->handle_id, id1);
    if (_i) {
        umf_test_counting_fail_next(&cons.st, UMF_TEST_OP_IPC_CLOSE,
                                    UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    }
    char *q2 = open_handle(&cons, h2);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 2);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    ck_assert(umf_test_verify(q2, 100, 2)); /* not the stale copy */
    ck_assert_int_eq(umfCloseIPCHandle(q2), OK);
    side_destroy_pool(&cons); /* closes q2's mapping only */
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 2);
    umfPutIPCHandle(h2);
    umfPoolFree(prod.pool, p2);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* As above with the stale mapping still in use: it stays usable and is
 * closed when its last user closes it. */
START_TEST(reused_address_in_use_closed_by_last_user) {
    side_t prod, cons;
    side_init(&prod, slot_provider_ops());
    side_init(&cons, ipc_ops());
    char *p1 = xmalloc(&prod, 100, 1);
    umf_ipc_handle_t h1 = get_handle(p1);
    char *q1 = open_handle(&cons, h1);
    ck_assert_int_eq(umfPutIPCHandle(h1), OK);
    ck_assert_int_eq(umfPoolFree(prod.pool, p1), OK);
    char *p2 = xmalloc(&prod, 100, 2);
    ck_assert_ptr_eq(p2, p1);
    umf_ipc_handle_t h2 = get_handle(p2);

    char *q2 = open_handle(&cons, h2);
    ck_assert_ptr_ne(q2, q1);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 2);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 0);
    ck_assert(umf_test_verify(q1, 100, 1));
    ck_assert(umf_test_verify(q2, 100, 2));
    ck_assert_int_eq(umfCloseIPCHandle(q1), OK);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    ck_assert_int_eq(umfCloseIPCHandle(q1), INV);

    ck_assert_ptr_eq(open_handle(&cons, h2), q2); /* the new one is cached */
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 2);
    ck_assert_int_eq(umfCloseIPCHandle(q2), OK);
    ck_assert_int_eq(umfCloseIPCHandle(q2), OK);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 2);
    umfPutIPCHandle(h2);
    umfPoolFree(prod.pool, p2);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* Destroying the handler closes its mappings, cached or in use, and only
 * its own; a pool without tracking hands out its provider as the handler,
 * so the provider's destroy closes them. */
START_TEST(handler_destroy_closes_its_mappings) {
    side_t prod, c1, c2;
    side_init(&prod, ipc_ops());
    side_init(&c1, ipc_ops());
    side_init(&c2, ipc_ops());
    char *a = xmalloc(&prod, 100, 1);
    char *b = xmalloc(&prod, 100, 2);
    umf_ipc_handle_t ha = get_handle(a), hb = get_handle(b);

    ck_assert_int_eq(umfCloseIPCHandle(open_handle(&c1, ha)), OK);
    char *qb = open_handle(&c1, hb);
    char *qa1 = open_handle(&c1, ha);
    char *qa2 = open_handle(&c2, ha); /* its own, independent mapping */
    ck_assert_ptr_ne(qa2, qa1);
    side_destroy_pool(&c1);
    ck_assert_uint_eq(calls(&c1, UMF_TEST_OP_IPC_CLOSE), 2);
    ck_assert_int_eq(umfCloseIPCHandle(qb), INV);
    ck_assert_uint_eq(calls(&c1, UMF_TEST_OP_IPC_CLOSE), 2);
    ck_assert_uint_eq(calls(&c2, UMF_TEST_OP_IPC_CLOSE), 0);
    ck_assert(umf_test_verify(qa2, 100, 1));
    ck_assert_int_eq(umfCloseIPCHandle(qa2), OK);

    /* untracked consumer: its pool's destroy leaves the provider's
     * mappings; the provider's destroy closes them */
    side_destroy_pool(&c2);
    ck_assert_uint_eq(calls(&c2, UMF_TEST_OP_IPC_CLOSE), 1);
    umf_memory_pool_handle_t untracked =
        umf_test_pool_create(umf_test_simple_pool_ops(), c2.counted, NULL,
                             UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
    ck_assert_ptr_nonnull(untracked);
    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(untracked, &handler), OK);
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(handler, hb, &q), OK);
    ck_assert_int_eq(umfCloseIPCHandle(q), OK);
    umfPoolDestroy(untracked);
    ck_assert_uint_eq(calls(&c2, UMF_TEST_OP_IPC_CLOSE), 1);
    umfMemoryProviderDestroy(c2.counted);
    c2.counted = NULL;
    ck_assert_uint_eq(calls(&c2, UMF_TEST_OP_IPC_CLOSE), 2);

    umfPutIPCHandle(ha);
    umfPutIPCHandle(hb);
    side_fini(&c1);
    side_fini(&c2);
    side_fini(&prod);
}
END_TEST

/* The provider's open fails: the error comes back and nothing is cached. */
START_TEST(provider_open_failure_not_cached) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    side_init(&cons, ipc_ops());
    char *p = xmalloc(&prod, 100, 1);
    umf_ipc_handle_t h = get_handle(p);
    umf_test_counting_fail_next(&cons.st, UMF_TEST_OP_IPC_OPEN,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(cons.handler, h, &q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_null(q);
    q = open_handle(&cons, h);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 2);
    ck_assert_int_eq(umfCloseIPCHandle(q), OK);
    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    umfPutIPCHandle(h);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* A provider that maps a second handle over a mapping still open: the open
 * is refused (close-by-pointer could not tell them apart) and the second
 * mapping closed. */
START_TEST(overlapping_mapping_refused) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    alias_ops = *ipc_ops();
    alias_ops.ipc.open_ipc_handle = alias_open;
    alias_ops.ipc.close_ipc_handle = alias_close;
    side_init(&cons, &alias_ops);
    char *a = xmalloc(&prod, 100, 1);
    char *b = xmalloc(&prod, 100, 2);
    umf_ipc_handle_t ha = get_handle(a), hb = get_handle(b);
    char *qa = open_handle(&cons, ha);
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(cons.handler, hb, &q),
                     UMF_RESULT_ERROR_UNKNOWN);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    ck_assert_int_eq(umfCloseIPCHandle(qa), OK); /* the first is intact */
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 1);
    side_destroy_pool(&cons);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_CLOSE), 2);
    umfPutIPCHandle(ha);
    umfPutIPCHandle(hb);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST
static Suite *ipc_cache_suite(void) {
    Suite *s = suite_create("ipc_cache");
    TCase *tc = tcase_create("threads");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, open_100_times_from_10_threads);
    tcase_add_loop_test(tc, concurrent_opens_wait_for_one, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, closed_mapping_stays_cached);
    tcase_add_test(tc, get_put_once_per_allocation);
    tcase_add_loop_test(tc, reused_address_replaces_idle_mapping, 0, 2);
    tcase_add_test(tc, reused_address_in_use_closed_by_last_user);
    tcase_add_test(tc, handler_destroy_closes_its_mappings);
    tcase_add_test(tc, provider_open_failure_not_cached);
    tcase_add_test(tc, overlapping_mapping_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(ipc_cache_suite()); }
