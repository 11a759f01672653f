/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_suite.c -- the table-driven pool behaviour suite.
 *
 * Tests are added as Check loop tests over [row, row+1), so _i is the row
 * index; each test builds the row's provider and pool in its forked child.
 * Worker threads never call ck_assert: they count failures and describe the
 * first one, and the test thread asserts on that. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>

#include "pool_suite.h"
#include "test_helpers.h"
#include "test_providers.h"

static const pool_suite_row_t *ps_rows;
static size_t ps_nrows;
#define PS_NAME_LEN 128
static char *ps_names; /* TCase names, PS_NAME_LEN bytes per row */

typedef struct ps_ctx_t {
    const pool_suite_row_t *row;
    void *prov_ctx;
    umf_memory_provider_handle_t base;     /* the row's provider */
    umf_test_counting_t counting;          /* wraps base */
    umf_memory_provider_handle_t provider; /* the counting wrapper */
    void *params;
    umf_memory_pool_handle_t pool;
    int tracked;
} ps_ctx_t;

static void ps_setup(int i, ps_ctx_t *c) {
    ck_assert_int_ge(i, 0);
    ck_assert_uint_lt((size_t)i, ps_nrows);
    memset(c, 0, sizeof(*c));
    c->row = &ps_rows[i];
    c->base = c->row->provider_create(&c->prov_ctx);
    ck_assert_msg(c->base != NULL, "row %s: provider_create failed",
                  c->row->name);
    umf_test_counting_init(&c->counting, c->base);
    ck_assert_int_eq(umf_test_counting_create(&c->counting, &c->provider),
                     UMF_RESULT_SUCCESS);
    if (c->row->pool_params_create) {
        c->params = c->row->pool_params_create();
        ck_assert_msg(c->params != NULL, "row %s: pool_params_create failed",
                      c->row->name);
    }
    ck_assert_msg((c->row->pool_flags & UMF_POOL_CREATE_FLAG_OWN_PROVIDER) == 0,
                  "row %s: OWN_PROVIDER is not allowed in a row", c->row->name);
    umf_result_t r = umfPoolCreate(c->row->pool_ops(), c->provider, c->params,
                                   c->row->pool_flags, &c->pool);
    ck_assert_msg(r == UMF_RESULT_SUCCESS && c->pool != NULL,
                  "row %s: umfPoolCreate returned %d", c->row->name, (int)r);
    c->tracked =
        (c->row->pool_flags & UMF_POOL_CREATE_FLAG_DISABLE_TRACKING) == 0;
}

static void ps_teardown(ps_ctx_t *c) {
    umfPoolDestroy(c->pool);
    c->pool = NULL;
    if (!(c->row->caps & POOL_CAP_NO_LEAK_CHECK)) {
        ck_assert_msg(umf_test_counting_live_allocs(&c->counting) == 0,
                      "row %s: %lld provider allocations not freed at pool "
                      "destroy",
                      c->row->name,
                      umf_test_counting_live_allocs(&c->counting));
        ck_assert_msg(umf_test_counting_live_bytes(&c->counting) == 0,
                      "row %s: provider bytes allocated - freed = %lld at "
                      "pool destroy (free must get the allocated size)",
                      c->row->name, umf_test_counting_live_bytes(&c->counting));
    }
    if (c->params && c->row->pool_params_destroy) {
        c->row->pool_params_destroy(c->params);
    }
    umfMemoryProviderDestroy(c->provider);
    ck_assert_uint_eq(umf_test_counting_get(&c->counting, UMF_TEST_OP_FINALIZE),
                      1);
    c->row->provider_destroy(c->base, c->prov_ctx);
}

/* ------------------------------------------------------------------ */

/* umfPoolCreate makes no provider call that changes anything: the
 * provider sees only the allocations the program asks for (issue 14). */
START_TEST(ps_create_no_provider_calls) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    const umf_test_op_t ops[] = {
        UMF_TEST_OP_ALLOC,   UMF_TEST_OP_FREE,       UMF_TEST_OP_SPLIT,
        UMF_TEST_OP_MERGE,   UMF_TEST_OP_PURGE_LAZY, UMF_TEST_OP_PURGE_FORCE,
        UMF_TEST_OP_IPC_GET, UMF_TEST_OP_IPC_OPEN};
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
        ck_assert_msg(umf_test_counting_get(&c.counting, ops[k]) == 0,
                      "row %s: umfPoolCreate called the provider's %s",
                      c.row->name, umf_test_op_name(ops[k]));
    }
    void *p = umfPoolMalloc(c.pool, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_gt(umf_test_counting_get(&c.counting, UMF_TEST_OP_ALLOC), 0);
    ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_malloc_free) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    static const size_t sizes[] = {1,    8,     16,    100,    1000,
                                   4096, 10000, 65536, 1 << 20};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *p = umfPoolMalloc(c.pool, sizes[k]);
        ck_assert_msg(p != NULL, "malloc(%zu) failed, last error %d", sizes[k],
                      (int)umfPoolGetLastAllocationError(c.pool));
        umf_test_fill(p, sizes[k], (unsigned)k);
        ck_assert(umf_test_verify(p, sizes[k], (unsigned)k));
        if (c.tracked) {
            ck_assert_ptr_eq(umfPoolByPtr(p), c.pool);
        }
        ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_malloc_compliance) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    void *ptrs[128];
    for (size_t n = 1; n <= 128; n++) {
        ptrs[n - 1] = umfPoolMalloc(c.pool, n * 3);
        ck_assert_ptr_nonnull(ptrs[n - 1]);
        ck_assert_msg(((uintptr_t)ptrs[n - 1] & 7) == 0,
                      "malloc(%zu) = %p is not 8-byte aligned", n * 3,
                      ptrs[n - 1]);
        memset(ptrs[n - 1], 0x5a, n * 3);
    }
    for (size_t n = 0; n < 128; n++) {
        ck_assert_int_eq(umfPoolFree(c.pool, ptrs[n]), UMF_RESULT_SUCCESS);
    }

    /* impossible sizes: NULL, with an error recorded */
    const size_t huge[] = {SIZE_MAX, SIZE_MAX - umf_test_page_size() + 1,
                           SIZE_MAX / 2 + 1};
    for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
        void *p = umfPoolMalloc(c.pool, huge[k]);
        ck_assert_msg(p == NULL, "malloc(%zu) returned %p", huge[k], p);
        ck_assert_int_ne(umfPoolGetLastAllocationError(c.pool),
                         UMF_RESULT_SUCCESS);
    }
    ck_assert_ptr_null(umfPoolAlignedMalloc(c.pool, SIZE_MAX, 4096));
    ck_assert_int_ne(umfPoolGetLastAllocationError(c.pool), UMF_RESULT_SUCCESS);

    /* free(NULL) succeeds and keeps errno */
    errno = 4242;
    ck_assert_int_eq(umfPoolFree(c.pool, NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(errno, 4242);
    ps_teardown(&c);
}
END_TEST

/* malloc(0) may give NULL or a block, but consistently; free accepts it */
START_TEST(ps_malloc_zero) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    void *p[4];
    for (int k = 0; k < 4; k++) {
        p[k] = umfPoolMalloc(c.pool, 0);
    }
    for (int k = 1; k < 4; k++) {
        ck_assert_msg((p[k] == NULL) == (p[0] == NULL),
                      "malloc(0) returned NULL and non-NULL on the same pool");
    }
    if (p[0]) {
        for (int k = 0; k < 4; k++) {
            for (int j = k + 1; j < 4; j++) {
                ck_assert_ptr_ne(p[k], p[j]);
            }
        }
    }
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(umfPoolFree(c.pool, p[k]), UMF_RESULT_SUCCESS);
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_many_allocs) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    enum { N = 1000 };
    void **p = calloc(N, sizeof(void *));
    size_t *sz = calloc(N, sizeof(size_t));
    ck_assert(p && sz);
    uint64_t rnd = 0x12345;
    for (unsigned k = 0; k < N; k++) {
        sz[k] = 1 + umf_test_rand(&rnd) % (k % 50 == 0 ? 70000 : 4096);
        p[k] = umfPoolMalloc(c.pool, sz[k]);
        ck_assert_msg(p[k] != NULL, "allocation %u (%zu bytes) failed", k,
                      sz[k]);
        umf_test_fill(p[k], sz[k], k);
    }
    /* no two blocks overlap: every pattern survived */
    for (unsigned k = 0; k < N; k++) {
        ck_assert_msg(umf_test_verify(p[k], sz[k], k),
                      "block %u was overwritten", k);
    }
    /* free in a scrambled order */
    for (unsigned k = 0; k < N; k++) {
        unsigned j = (unsigned)((k * 7919u) % N);
        ck_assert_int_eq(umfPoolFree(c.pool, p[j]), UMF_RESULT_SUCCESS);
    }
    free(p);
    free(sz);
    ps_teardown(&c);
}
END_TEST

/* ---- aligned allocations, 1 and 5 threads ---- */

#define PS_MAX_ALIGN_SHIFT 22 /* 4 MiB */

typedef struct ps_worker_t {
    umf_memory_pool_handle_t pool;
    int tracked;
    unsigned seed;
    unsigned failures;
    char first[256];
} ps_worker_t;

static void ps_fail(ps_worker_t *w, const char *fmt, size_t a, size_t b,
                    const void *p) {
    if (w->failures++ == 0) {
        snprintf(w->first, sizeof(w->first), fmt, a, b, p);
    }
}

static void *ps_aligned_worker(void *arg) {
    ps_worker_t *w = arg;
    for (unsigned shift = 0; shift <= PS_MAX_ALIGN_SHIFT; shift++) {
        size_t align = (size_t)1 << shift;
        const size_t sizes[2] = {align, 1};
        for (int s = 0; s < 2; s++) {
            void *p[4];
            for (int k = 0; k < 4; k++) {
                p[k] = umfPoolAlignedMalloc(w->pool, sizes[s], align);
                if (!p[k]) {
                    ps_fail(w, "aligned_malloc(size %zu, align %zu) = %p",
                            sizes[s], align, p[k]);
                    continue;
                }
                if ((uintptr_t)p[k] % align != 0) {
                    ps_fail(w, "size %zu align %zu: %p misaligned", sizes[s],
                            align, p[k]);
                }
                char *b = p[k];
                b[0] = (char)k;
                b[sizes[s] - 1] = (char)k;
                if (w->tracked && (umfPoolByPtr(b) != w->pool ||
                                   umfPoolByPtr(b + sizes[s] - 1) != w->pool)) {
                    ps_fail(w, "size %zu align %zu: umfPoolByPtr(%p) wrong",
                            sizes[s], align, p[k]);
                }
            }
            for (int k = 0; k < 4; k++) {
                if (p[k] && umfPoolFree(w->pool, p[k]) != UMF_RESULT_SUCCESS) {
                    ps_fail(w, "size %zu align %zu: free(%p) failed", sizes[s],
                            align, p[k]);
                }
            }
        }
    }
    return NULL;
}

static void ps_aligned_run(int row, unsigned nthreads) {
    ps_ctx_t c;
    ps_setup(row, &c);
    ps_worker_t w[5];
    memset(w, 0, sizeof(w));
    for (unsigned t = 0; t < nthreads; t++) {
        w[t].pool = c.pool;
        w[t].tracked = c.tracked;
    }
    if (nthreads == 1) {
        ps_aligned_worker(&w[0]);
    } else {
        ck_assert_int_eq(
            umf_test_run_threads(nthreads, ps_aligned_worker, w, sizeof(w[0])),
            0);
    }
    for (unsigned t = 0; t < nthreads; t++) {
        ck_assert_msg(w[t].failures == 0, "thread %u: %u failures, first: %s",
                      t, w[t].failures, w[t].first);
    }
    ps_teardown(&c);
}

START_TEST(ps_aligned_malloc_1thread) { ps_aligned_run(_i, 1); }
END_TEST

START_TEST(ps_aligned_malloc_5threads) { ps_aligned_run(_i, 5); }
END_TEST

/* ---- calloc / realloc: work, or NULL with NOT_SUPPORTED ---- */

START_TEST(ps_calloc) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    /* dirty some memory first so a reused block would show */
    char *d = umfPoolMalloc(c.pool, 4096);
    ck_assert_ptr_nonnull(d);
    memset(d, 0xab, 4096);
    ck_assert_int_eq(umfPoolFree(c.pool, d), UMF_RESULT_SUCCESS);

    char *p = umfPoolCalloc(c.pool, 64, 64);
    if (!p) {
        ck_assert_msg(!(c.row->caps & POOL_CAP_CALLOC),
                      "calloc(64, 64) failed on a pool that supports it "
                      "(last error %d)",
                      (int)umfPoolGetLastAllocationError(c.pool));
        ck_assert_int_eq(umfPoolGetLastAllocationError(c.pool),
                         UMF_RESULT_ERROR_NOT_SUPPORTED);
    } else {
        ck_assert(umf_test_all_bytes(p, 4096, 0));
        memset(p, 1, 4096);
        if (c.tracked) {
            ck_assert_ptr_eq(umfPoolByPtr(p + 4095), c.pool);
        }
        ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
        char *q = umfPoolCalloc(c.pool, 1, 1);
        ck_assert_ptr_nonnull(q);
        ck_assert_int_eq(q[0], 0);
        ck_assert_int_eq(umfPoolFree(c.pool, q), UMF_RESULT_SUCCESS);
    }
    /* num * size overflows: NULL, never a small block */
    ck_assert_ptr_null(umfPoolCalloc(c.pool, SIZE_MAX / 2 + 1, 2));
    ck_assert_ptr_null(umfPoolCalloc(c.pool, SIZE_MAX / 16, 32));
    ck_assert_ptr_null(umfPoolCalloc(c.pool, 1, SIZE_MAX));
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_realloc) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    char *p = umfPoolMalloc(c.pool, 64);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, 64, 1);
    char *q = umfPoolRealloc(c.pool, p, 8192);
    if (!q) {
        ck_assert_msg(!(c.row->caps & POOL_CAP_REALLOC),
                      "realloc(p, 8192) failed on a pool that supports it "
                      "(last error %d)",
                      (int)umfPoolGetLastAllocationError(c.pool));
        ck_assert_int_eq(umfPoolGetLastAllocationError(c.pool),
                         UMF_RESULT_ERROR_NOT_SUPPORTED);
        /* the old block is untouched and still ours */
        ck_assert(umf_test_verify(p, 64, 1));
        memset(p, 0, 64);
        if (c.tracked) {
            ck_assert_ptr_eq(umfPoolByPtr(p), c.pool);
        }
        ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
    } else {
        ck_assert_msg(umf_test_verify(q, 64, 1),
                      "realloc lost the old contents");
        umf_test_fill(q, 8192, 2);
        if (c.tracked) {
            ck_assert_ptr_eq(umfPoolByPtr(q + 8191), c.pool);
        }
        /* shrink keeps the prefix */
        char *r = umfPoolRealloc(c.pool, q, 100);
        ck_assert_ptr_nonnull(r);
        ck_assert(umf_test_verify(r, 100, 2));
        /* NULL ptr: like malloc */
        char *s = umfPoolRealloc(c.pool, NULL, 200);
        ck_assert_ptr_nonnull(s);
        memset(s, 3, 200);
        /* size 0: like free, returns NULL */
        ck_assert_ptr_null(umfPoolRealloc(c.pool, s, 0));
        /* impossible growth: NULL and the block stays valid */
        ck_assert_ptr_null(umfPoolRealloc(c.pool, r, SIZE_MAX));
        ck_assert(umf_test_verify(r, 100, 2));
        ck_assert_int_eq(umfPoolFree(c.pool, r), UMF_RESULT_SUCCESS);
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_usable_size) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    static const size_t sizes[] = {1, 8, 13, 64, 100, 4096, 5000, 65537};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        char *p = umfPoolMalloc(c.pool, sizes[k]);
        ck_assert_ptr_nonnull(p);
        size_t us = umfPoolMallocUsableSize(c.pool, p);
        if (us == 0) {
            ck_assert_msg(!(c.row->caps & POOL_CAP_USABLE_SIZE),
                          "usable size 0 for a %zu-byte block", sizes[k]);
        } else {
            ck_assert_msg(us >= sizes[k], "usable size %zu < requested %zu", us,
                          sizes[k]);
            memset(p, 0xcd, us); /* all of it is ours */
            ck_assert_int_eq((unsigned char)p[us - 1], 0xcd);
        }
        ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_by_ptr) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    int local = 0;
    ck_assert_ptr_null(umfPoolByPtr(&local));
    ck_assert_ptr_null(umfPoolByPtr(NULL));
    static const size_t sizes[] = {1,    7,    64,        4095,
                                   4096, 4097, 65536 + 3, 1 << 20};
    /* one live block at a time: p + size cannot fall into another block */
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        for (int aligned = 0; aligned < 2; aligned++) {
            size_t n = sizes[k];
            char *p = aligned ? umfPoolAlignedMalloc(c.pool, n, 4096)
                              : umfPoolMalloc(c.pool, n);
            ck_assert_ptr_nonnull(p);
            if (c.tracked) {
                ck_assert_ptr_eq(umfPoolByPtr(p), c.pool);
                ck_assert_ptr_eq(umfPoolByPtr(p + n / 2), c.pool);
                ck_assert_msg(umfPoolByPtr(p + n - 1) == c.pool,
                              "umfPoolByPtr(last byte of %zu-byte block) "
                              "wrong",
                              n);
                if (c.row->caps & POOL_CAP_BYPTR_END_NULL) {
                    ck_assert_msg(umfPoolByPtr(p + n) == NULL,
                                  "umfPoolByPtr(p + %zu) (one past the "
                                  "provider allocation) is not NULL",
                                  n);
                }
            } else {
                ck_assert_ptr_null(umfPoolByPtr(p));
            }
            ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
            if (c.tracked && (c.row->caps & POOL_CAP_BYPTR_END_NULL)) {
                ck_assert_msg(umfPoolByPtr(p) == NULL,
                              "freed block still tracked");
            }
        }
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_umf_free) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    int local = 0;
    ck_assert_int_eq(umfFree(NULL), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFree(&local), UMF_RESULT_SUCCESS);
    char *libc = malloc(64);
    ck_assert_ptr_nonnull(libc);
    ck_assert_int_eq(umfFree(libc), UMF_RESULT_SUCCESS);
    memset(libc, 1, 64); /* still ours */
    free(libc);

    if (c.tracked) {
        for (int k = 0; k < 16; k++) {
            size_t n = (size_t)(k + 1) * 333;
            long long live = umf_test_counting_live_allocs(&c.counting);
            char *p = umfPoolMalloc(c.pool, n);
            ck_assert_ptr_nonnull(p);
            memset(p, k, n);
            ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS);
            if (c.row->caps & POOL_CAP_BYPTR_END_NULL) {
                /* one provider allocation per block: it went back */
                ck_assert_int_eq(umf_test_counting_live_allocs(&c.counting),
                                 live);
                ck_assert_ptr_null(umfPoolByPtr(p));
            }
        }
    } else {
        char *p = umfPoolMalloc(c.pool, 100);
        ck_assert_ptr_nonnull(p);
        size_t frees = umf_test_counting_get(&c.counting, UMF_TEST_OP_FREE);
        ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS);
        ck_assert_uint_eq(umf_test_counting_get(&c.counting, UMF_TEST_OP_FREE),
                          frees);
        memset(p, 1, 100); /* untracked: umfFree did nothing */
        ck_assert_int_eq(umfPoolFree(c.pool, p), UMF_RESULT_SUCCESS);
    }
    ps_teardown(&c);
}
END_TEST

START_TEST(ps_get_memory_provider) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    umf_memory_provider_handle_t h = NULL;
    ck_assert_int_eq(umfPoolGetMemoryProvider(c.pool, &h), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(h, c.provider);
    ck_assert_str_eq(umfMemoryProviderGetName(h),
                     UMF_TEST_COUNTING_PROVIDER_NAME);
    ps_teardown(&c);
}
END_TEST

/* ---- 4 threads: alloc, lookup, verify, free ---- */

static void *ps_mt_worker(void *arg) {
    ps_worker_t *w = arg;
    enum { LIVE = 16, OPS = 1500 };
    char *p[LIVE] = {0};
    size_t sz[LIVE] = {0};
    uint64_t rnd = 0x9e3779b97f4a7c15ULL ^ w->seed;
    for (unsigned op = 0; op < OPS; op++) {
        unsigned slot = (unsigned)(umf_test_rand(&rnd) % LIVE);
        if (p[slot]) {
            if (!umf_test_verify(p[slot], sz[slot], w->seed + slot)) {
                ps_fail(w, "block of %zu bytes (slot %zu) at %p overwritten",
                        sz[slot], slot, p[slot]);
            }
            if (w->tracked && umfPoolByPtr(p[slot] + sz[slot] - 1) != w->pool) {
                ps_fail(w, "umfPoolByPtr(last byte of %zu, slot %zu) of %p",
                        sz[slot], slot, p[slot]);
            }
            if (umfPoolFree(w->pool, p[slot]) != UMF_RESULT_SUCCESS) {
                ps_fail(w, "free of %zu bytes (slot %zu) at %p failed",
                        sz[slot], slot, p[slot]);
            }
            p[slot] = NULL;
        } else {
            sz[slot] = 1 + umf_test_rand(&rnd) % 8192;
            p[slot] = umfPoolMalloc(w->pool, sz[slot]);
            if (!p[slot]) {
                ps_fail(w, "malloc(%zu) failed (slot %zu) %p", sz[slot], slot,
                        NULL);
                continue;
            }
            if (w->tracked && umfPoolByPtr(p[slot]) != w->pool) {
                ps_fail(w, "umfPoolByPtr(first byte of %zu, slot %zu) of %p",
                        sz[slot], slot, p[slot]);
            }
            umf_test_fill(p[slot], sz[slot], w->seed + slot);
        }
    }
    for (unsigned slot = 0; slot < LIVE; slot++) {
        if (p[slot] && umfPoolFree(w->pool, p[slot]) != UMF_RESULT_SUCCESS) {
            ps_fail(w, "final free %zu %zu %p", sz[slot], slot, p[slot]);
        }
    }
    return NULL;
}

START_TEST(ps_mt_alloc_free_lookup) {
    ps_ctx_t c;
    ps_setup(_i, &c);
    ps_worker_t w[4];
    memset(w, 0, sizeof(w));
    for (unsigned t = 0; t < 4; t++) {
        w[t].pool = c.pool;
        w[t].tracked = c.tracked;
        w[t].seed = 100 * (t + 1);
    }
    ck_assert_int_eq(umf_test_run_threads(4, ps_mt_worker, w, sizeof(w[0])), 0);
    for (unsigned t = 0; t < 4; t++) {
        ck_assert_msg(w[t].failures == 0, "thread %u: %u failures, first: %s",
                      t, w[t].failures, w[t].first);
    }
    ps_teardown(&c);
}
END_TEST

/* Can the row's pool be created at all? Tried in a child so the runner
 * stays clean. Returns the umfPoolCreate result (UNKNOWN when the child
 * died or the provider could not be made). */
static umf_result_t ps_probe_row(const pool_suite_row_t *r) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return UMF_RESULT_SUCCESS; /* cannot probe: let the tests tell */
    }
    if (pid == 0) {
        void *ctx = NULL, *params = NULL;
        umf_memory_provider_handle_t prov = r->provider_create(&ctx);
        if (!prov) {
            _exit(100);
        }
        if (r->pool_params_create) {
            params = r->pool_params_create();
        }
        umf_memory_pool_handle_t pool = NULL;
        umf_result_t res =
            umfPoolCreate(r->pool_ops(), prov, params, r->pool_flags, &pool);
        if (res == UMF_RESULT_SUCCESS) {
            umfPoolDestroy(pool);
        }
        if (params && r->pool_params_destroy) {
            r->pool_params_destroy(params);
        }
        r->provider_destroy(prov, ctx);
        _exit(res == UMF_RESULT_SUCCESS ? 0 : res < 100 ? (int)res : 101);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
        WEXITSTATUS(st) >= 100) {
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    return (umf_result_t)WEXITSTATUS(st);
}

Suite *pool_suite_create(const pool_suite_row_t *rows, size_t n) {
    ps_rows = rows;
    ps_nrows = n;
    free(ps_names);
    ps_names = calloc(n ? n : 1, PS_NAME_LEN);
    if (!ps_names) {
        abort();
    }
    Suite *s = suite_create("pool");
    for (size_t i = 0; i < n; i++) {
        const pool_suite_row_t *r = &rows[i];
        if (!r->pool_ops || r->pool_ops() == NULL) {
            printf("pool row %s skipped: its pool ops are NULL (backend not "
                   "built)\n",
                   r->name);
            continue;
        }
        /* a pool whose backend library cannot be loaded here (e.g. the
         * jemalloc pool in a program not linked with libumf_jemalloc) */
        if (ps_probe_row(r) == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
            printf("pool row %s skipped: umfPoolCreate returns "
                   "DEPENDENCY_UNAVAILABLE in this program\n",
                   r->name);
            continue;
        }
        /* Check keeps the pointer: the name must outlive the suite */
        char *name = ps_names + i * PS_NAME_LEN;
        snprintf(name, PS_NAME_LEN, "pool:%s", r->name);
        TCase *tc = tcase_create(name);
        tcase_set_timeout(tc, 30);
        int lo = (int)i, hi = (int)i + 1;
        tcase_add_loop_test(tc, ps_create_no_provider_calls, lo, hi);
        tcase_add_loop_test(tc, ps_malloc_free, lo, hi);
        tcase_add_loop_test(tc, ps_malloc_compliance, lo, hi);
        tcase_add_loop_test(tc, ps_malloc_zero, lo, hi);
        tcase_add_loop_test(tc, ps_many_allocs, lo, hi);
        tcase_add_loop_test(tc, ps_aligned_malloc_1thread, lo, hi);
        tcase_add_loop_test(tc, ps_aligned_malloc_5threads, lo, hi);
        tcase_add_loop_test(tc, ps_calloc, lo, hi);
        tcase_add_loop_test(tc, ps_realloc, lo, hi);
        tcase_add_loop_test(tc, ps_usable_size, lo, hi);
        tcase_add_loop_test(tc, ps_by_ptr, lo, hi);
        tcase_add_loop_test(tc, ps_umf_free, lo, hi);
        tcase_add_loop_test(tc, ps_get_memory_provider, lo, hi);
        tcase_add_loop_test(tc, ps_mt_alloc_free_lookup, lo, hi);
        suite_add_tcase(s, tc);
    }
    fflush(stdout);
    return s;
}
