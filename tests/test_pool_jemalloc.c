/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_jemalloc.c -- the jemalloc pool: allocation semantics, extent
 * hooks against the provider (PROT_NONE memory, every extent returned,
 * providers without split/merge), per-(thread, pool) isolation, lifecycle,
 * and how jemalloc is found (issue 6 item 2: this program is linked with
 * the companion, as the installed libumf.so links every -lumf program; the
 * dlopen case runs in tests/umf_dlopen_helper, and tests/check_link.sh
 * links programs against an installed libumf each way users do). Exits 77 when
 * the pool is configured out. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#include "helper_run.h"
#include "test_helpers.h"
#include "test_providers.h"

#define MiB ((size_t)1 << 20)

/* ---- fixtures ---- */

typedef struct fx_t {
    umf_memory_provider_handle_t base; /* the provider under the counter */
    umf_test_counting_t cnt;
    umf_memory_provider_handle_t prov; /* counting wrapper */
    umf_memory_pool_handle_t pool;
} fx_t;

static void fx_setup_with(fx_t *f, umf_memory_provider_handle_t base) {
    memset(f, 0, sizeof(*f));
    ck_assert_ptr_nonnull(base);
    f->base = base;
    umf_test_counting_init(&f->cnt, base);
    ck_assert_int_eq(umf_test_counting_create(&f->cnt, &f->prov),
                     UMF_RESULT_SUCCESS);
    umf_result_t r =
        umfPoolCreate(umfJemallocPoolOps(), f->prov, NULL, 0, &f->pool);
    ck_assert_msg(r == UMF_RESULT_SUCCESS, "umfPoolCreate gave %d", (int)r);
}

static void fx_setup(fx_t *f) {
    fx_setup_with(f, umf_test_os_provider_create());
}

/* Destroys the pool and checks that every provider allocation came back
 * with its exact size. */
static void fx_teardown(fx_t *f) {
    umfPoolDestroy(f->pool);
    ck_assert_msg(umf_test_counting_live_allocs(&f->cnt) == 0,
                  "%lld provider allocations not freed at pool destroy",
                  umf_test_counting_live_allocs(&f->cnt));
    ck_assert_msg(umf_test_counting_live_bytes(&f->cnt) == 0,
                  "provider bytes allocated - freed = %lld at pool destroy",
                  umf_test_counting_live_bytes(&f->cnt));
    umfMemoryProviderDestroy(f->prov);
    umfMemoryProviderDestroy(f->base);
}

/* ---- allocation semantics ---- */

START_TEST(malloc_free_sizes) {
    fx_t f;
    fx_setup(&f);
    static const size_t sizes[] = {1,       8,       16,      100,   1000,
                                   4096,    10000,   32768,   65536, 1 << 20,
                                   3 << 20, 8 << 20, 40 << 20};
    char *p[sizeof(sizes) / sizeof(sizes[0])];
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        p[k] = umfPoolMalloc(f.pool, sizes[k]);
        ck_assert_msg(p[k] != NULL, "malloc(%zu) failed", sizes[k]);
        ck_assert_uint_eq((uintptr_t)p[k] % 8, 0);
        umf_test_fill(p[k], sizes[k], (unsigned)k);
        ck_assert_ptr_eq(umfPoolByPtr(p[k]), f.pool);
        ck_assert_ptr_eq(umfPoolByPtr(p[k] + sizes[k] - 1), f.pool);
    }
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        ck_assert(umf_test_verify(p[k], sizes[k], (unsigned)k));
        ck_assert_int_eq(umfPoolFree(f.pool, p[k]), UMF_RESULT_SUCCESS);
    }
    ck_assert_int_eq(umfPoolFree(f.pool, NULL), UMF_RESULT_SUCCESS);
    /* umfFree finds the pool through the tracker */
    void *q = umfPoolMalloc(f.pool, 200);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(umfFree(q), UMF_RESULT_SUCCESS);
    fx_teardown(&f);
}
END_TEST

START_TEST(malloc_zero_and_huge) {
    fx_t f;
    fx_setup(&f);
    void *a = umfPoolMalloc(f.pool, 0);
    void *b = umfPoolMalloc(f.pool, 0);
    ck_assert_ptr_nonnull(a); /* a unique minimal block, like malloc(0) */
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_int_eq(umfPoolFree(f.pool, a), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(f.pool, b), UMF_RESULT_SUCCESS);
    /* beyond jemalloc's largest size class: refused before the provider */
    const size_t huge[] = {SIZE_MAX, SIZE_MAX / 2 + 1};
    for (size_t k = 0; k < sizeof(huge) / sizeof(huge[0]); k++) {
        ck_assert_ptr_null(umfPoolMalloc(f.pool, huge[k]));
        ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                         UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    /* 4 EiB reaches the provider, whose error is reported */
    size_t allocs = umf_test_counting_get(&f.cnt, UMF_TEST_OP_ALLOC);
    ck_assert_ptr_null(umfPoolMalloc(f.pool, (size_t)1 << 62));
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_ALLOC), allocs);
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_null(umfPoolAlignedMalloc(f.pool, SIZE_MAX, 4096));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    fx_teardown(&f);
}
END_TEST

START_TEST(calloc_zeroes_and_checks_overflow) {
    fx_t f;
    fx_setup(&f);
    for (int round = 0; round < 3; round++) {
        /* dirty some blocks first so that calloc must really zero */
        char *d[64];
        for (int i = 0; i < 64; i++) {
            d[i] = umfPoolMalloc(f.pool, 4000);
            ck_assert_ptr_nonnull(d[i]);
            memset(d[i], 0xff, 4000);
        }
        for (int i = 0; i < 64; i++) {
            umfPoolFree(f.pool, d[i]);
        }
        unsigned char *p = umfPoolCalloc(f.pool, 1000, 4);
        ck_assert_ptr_nonnull(p);
        ck_assert(umf_test_all_bytes(p, 4000, 0));
        umfPoolFree(f.pool, p);
    }
    unsigned char *big = umfPoolCalloc(f.pool, 3, MiB);
    ck_assert_ptr_nonnull(big);
    ck_assert(umf_test_all_bytes(big, 3 * MiB, 0));
    umfPoolFree(f.pool, big);
    void *z = umfPoolCalloc(f.pool, 0, 16);
    ck_assert_ptr_nonnull(z);
    umfPoolFree(f.pool, z);

    ck_assert_ptr_null(umfPoolCalloc(f.pool, SIZE_MAX / 2 + 1, 2));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(umfPoolCalloc(f.pool, SIZE_MAX / 16, 32));
    ck_assert_ptr_null(umfPoolCalloc(f.pool, 1, SIZE_MAX));
    fx_teardown(&f);
}
END_TEST

START_TEST(realloc_semantics) {
    fx_t f;
    fx_setup(&f);
    /* NULL pointer: malloc */
    char *p = umfPoolRealloc(f.pool, NULL, 64);
    ck_assert_ptr_nonnull(p);
    umf_test_fill(p, 64, 1);
    /* growth, small to large, keeps the contents */
    size_t old = 64;
    static const size_t grow[] = {100, 4096, 70000, 5 << 20};
    for (size_t k = 0; k < sizeof(grow) / sizeof(grow[0]); k++) {
        p = umfPoolRealloc(f.pool, p, grow[k]);
        ck_assert_ptr_nonnull(p);
        ck_assert(umf_test_verify(p, 64, 1));
        memset(p + old, 0x11, grow[k] - old);
        old = grow[k];
        ck_assert_ptr_eq(umfPoolByPtr(p + grow[k] - 1), f.pool);
    }
    /* shrink keeps the prefix */
    p = umfPoolRealloc(f.pool, p, 32);
    ck_assert_ptr_nonnull(p);
    ck_assert(umf_test_verify(p, 32, 1));
    /* failure keeps the old block */
    ck_assert_ptr_null(umfPoolRealloc(f.pool, p, SIZE_MAX));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert(umf_test_verify(p, 32, 1));
    /* size 0 frees and gives NULL with SUCCESS */
    ck_assert_ptr_null(umfPoolRealloc(f.pool, p, 0));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_SUCCESS);
    fx_teardown(&f);
}
END_TEST

START_TEST(aligned_malloc_to_4mib) {
    fx_t f;
    fx_setup(&f);
    for (size_t a = 1; a <= ((size_t)4 << 20); a <<= 1) {
        void *p[4];
        for (int i = 0; i < 4; i++) {
            p[i] = umfPoolAlignedMalloc(f.pool, (i & 1) ? a : 1, a);
            ck_assert_msg(p[i] != NULL, "aligned_malloc(%zu, %zu) failed",
                          (i & 1) ? a : (size_t)1, a);
            ck_assert_msg((uintptr_t)p[i] % a == 0, "%p not aligned to %zu",
                          p[i], a);
            memset(p[i], 0x42, (i & 1) ? a : 1);
        }
        for (int i = 0; i < 4; i++) {
            umfPoolFree(f.pool, p[i]);
        }
    }
    void *d = umfPoolAlignedMalloc(f.pool, 100, 0); /* 0: default */
    ck_assert_ptr_nonnull(d);
    umfPoolFree(f.pool, d);
    ck_assert_ptr_null(umfPoolAlignedMalloc(f.pool, 100, 3));
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(umfPoolAlignedMalloc(f.pool, 100, 4097));
    fx_teardown(&f);
}
END_TEST

START_TEST(usable_size) {
    fx_t f;
    fx_setup(&f);
    static const size_t sizes[] = {1, 17, 100, 1000, 5000, 100000, 3 << 20};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        unsigned char *p = umfPoolMalloc(f.pool, sizes[k]);
        ck_assert_ptr_nonnull(p);
        size_t us = umfPoolMallocUsableSize(f.pool, p);
        ck_assert_uint_ge(us, sizes[k]);
        ck_assert_uint_le(us, sizes[k] * 2 + 16);
        memset(p, 0xcd, us);
        umfPoolFree(f.pool, p);
    }
    ck_assert_uint_eq(umfPoolMallocUsableSize(f.pool, NULL), 0);
    fx_teardown(&f);
}
END_TEST

/* ---- the provider side ---- */

/* jemalloc's metadata never lives in provider memory: with PROT_NONE
 * memory any access by jemalloc would crash. */
START_TEST(prot_none_provider) {
    umf_os_memory_provider_params_handle_t pp = NULL;
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&pp), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetProtection(pp, UMF_PROTECTION_NONE),
        UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t os = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(umfOsMemoryProviderOps(), pp, &os),
                     UMF_RESULT_SUCCESS);
    umfOsMemoryProviderParamsDestroy(pp);
    fx_t f;
    fx_setup_with(&f, os);
    enum { N = 1024 };
    void **p = calloc(N, sizeof(void *));
    ck_assert_ptr_nonnull(p);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            p[i] = umfPoolMalloc(f.pool, 1024);
            ck_assert_ptr_nonnull(p[i]);
            ck_assert_ptr_eq(umfPoolByPtr(p[i]), f.pool);
        }
        void *big = umfPoolMalloc(f.pool, 3 * MiB);
        ck_assert_ptr_nonnull(big);
        for (int i = 0; i < N; i += 2) {
            ck_assert_int_eq(umfPoolFree(f.pool, p[i]), UMF_RESULT_SUCCESS);
        }
        ck_assert_int_eq(umfFree(big), UMF_RESULT_SUCCESS);
        for (int i = 1; i < N; i += 2) {
            ck_assert_int_eq(umfPoolFree(f.pool, p[i]), UMF_RESULT_SUCCESS);
        }
    }
    /* some left live: destroy returns them all the same */
    for (int i = 0; i < 16; i++) {
        ck_assert_ptr_nonnull(umfPoolMalloc(f.pool, 1024));
    }
    free(p);
    fx_teardown(&f);
}
END_TEST

/* Extents come from the provider and go back at destroy, through split and
 * merge, even with allocations left live. */
START_TEST(extents_returned_at_destroy) {
    fx_t f;
    fx_setup(&f);
    void *keep[32];
    for (int i = 0; i < 32; i++) {
        keep[i] = umfPoolMalloc(f.pool, (size_t)(i + 1) * 37000);
        ck_assert_ptr_nonnull(keep[i]);
    }
    for (int i = 0; i < 32; i += 2) {
        umfPoolFree(f.pool, keep[i]);
    }
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_ALLOC), 0);
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_SPLIT), 0);
    ck_assert_int_gt(umf_test_counting_live_allocs(&f.cnt), 0);
    fx_teardown(&f); /* checks live allocs and bytes are 0 */
}
END_TEST

/* jemalloc's purges reach the provider. By default a dirty extent goes
 * straight back to the provider (the dalloc hook frees it); with muzzy
 * decay on, it is first purged lazily; when the provider refuses the free,
 * jemalloc keeps the extent and purges it for good. */
START_TEST(purge_reaches_provider) {
    fx_t f;
    fx_setup(&f);
    void *je = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD);
    ck_assert_ptr_nonnull(je);
    int (*mallctl)(const char *, void *, size_t *, void *, size_t);
    *(void **)&mallctl = dlsym(je, "mallctl");
    ck_assert_ptr_nonnull(mallctl);
    char *p[32];
    for (int i = 0; i < 32; i++) {
        p[i] = umfPoolMalloc(f.pool, 256 << 10);
        ck_assert_ptr_nonnull(p[i]);
        memset(p[i], 0x77, 256 << 10);
    }
    unsigned arena = 0;
    size_t sz = sizeof(arena);
    void *probe = p[0];
    ck_assert_int_eq(
        mallctl("arenas.lookup", &arena, &sz, &probe, sizeof(probe)), 0);
    /* dirty pages decay within 1 ms, and are purged lazily (muzzy on) */
    char name[64];
    ssize_t muzzy_ms = 10000, dirty_ms = 1;
    snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", arena);
    ck_assert_int_eq(mallctl(name, NULL, NULL, &muzzy_ms, sizeof(muzzy_ms)), 0);
    snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", arena);
    ck_assert_int_eq(mallctl(name, NULL, NULL, &dirty_ms, sizeof(dirty_ms)), 0);
    for (int i = 0; i < 32; i++) {
        umfPoolFree(f.pool, p[i]);
    }
    snprintf(name, sizeof(name), "arena.%u.decay", arena);
    for (int k = 0;
         k < 100 && umf_test_counting_get(&f.cnt, UMF_TEST_OP_PURGE_LAZY) == 0;
         k++) {
        usleep(10000);
        ck_assert_int_eq(mallctl(name, NULL, NULL, NULL, 0), 0);
    }
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_PURGE_LAZY), 0);
    /* purging the muzzy extents frees them; the refused free makes
     * jemalloc purge that extent for good and keep it */
    ck_assert_uint_eq(umf_test_counting_get(&f.cnt, UMF_TEST_OP_PURGE_FORCE),
                      0);
    umf_test_counting_fail_next(&f.cnt, UMF_TEST_OP_FREE,
                                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    snprintf(name, sizeof(name), "arena.%u.purge", arena);
    ck_assert_int_eq(mallctl(name, NULL, NULL, NULL, 0), 0);
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_PURGE_FORCE),
                      0);
    /* the pool goes on working with its purged memory */
    for (int i = 0; i < 32; i++) {
        p[i] = umfPoolMalloc(f.pool, 256 << 10);
        ck_assert_ptr_nonnull(p[i]);
        ck_assert_ptr_eq(umfPoolByPtr(p[i]), f.pool);
        memset(p[i], 1, 256 << 10);
    }
    for (int i = 0; i < 32; i++) {
        umfPoolFree(f.pool, p[i]);
    }
    dlclose(je);
    fx_teardown(&f);
}
END_TEST

/* A provider without split and merge (the malloc test provider): the pool
 * emulates them and frees each provider allocation whole. */
START_TEST(provider_without_split_merge) {
    fx_t f;
    fx_setup_with(
        &f, umf_test_provider_create(umf_test_malloc_provider_ops(), NULL));
    char *p[200];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 200; i++) {
            size_t sz =
                (i % 10 == 9) ? (size_t)(i + 1) * 5000 : 16 + (size_t)i * 8;
            p[i] = umfPoolMalloc(f.pool, sz);
            ck_assert_ptr_nonnull(p[i]);
            memset(p[i], i, sz);
        }
        char *r = umfPoolRealloc(f.pool, p[7], 2 * MiB);
        ck_assert_ptr_nonnull(r);
        p[7] = r;
        for (int i = 0; i < 200; i++) {
            ck_assert_int_eq(umfPoolFree(f.pool, p[i]), UMF_RESULT_SUCCESS);
        }
    }
    /* only the first split was asked of the provider */
    ck_assert_uint_eq(umf_test_counting_get(&f.cnt, UMF_TEST_OP_SPLIT), 1);
    ck_assert_uint_eq(umf_test_counting_get(&f.cnt, UMF_TEST_OP_MERGE), 0);
    fx_teardown(&f);
}
END_TEST

/* Issue 14 item 4: umfPoolCreate makes no provider call that changes
 * anything (a counting provider sees only the program's allocations), on a
 * provider that splits (OS) and on one that does not (malloc: split and
 * merge are NOT_SUPPORTED); the pool learns which from the first split. */
static void no_calls_at_create(umf_memory_provider_handle_t base,
                               size_t splits_after) {
    fx_t f;
    fx_setup_with(&f, base);
    const umf_test_op_t ops[] = {
        UMF_TEST_OP_ALLOC, UMF_TEST_OP_FREE,       UMF_TEST_OP_SPLIT,
        UMF_TEST_OP_MERGE, UMF_TEST_OP_PURGE_LAZY, UMF_TEST_OP_PURGE_FORCE};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        ck_assert_msg(umf_test_counting_get(&f.cnt, ops[i]) == 0,
                      "umfPoolCreate called the provider's %s",
                      umf_test_op_name(ops[i]));
    }
    char *p[64];
    for (int i = 0; i < 64; i++) {
        p[i] = umfPoolMalloc(f.pool, (size_t)(i + 1) * 1000);
        ck_assert_ptr_nonnull(p[i]);
        memset(p[i], i, (size_t)(i + 1) * 1000);
    }
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_ALLOC), 0);
    ck_assert_uint_ge(umf_test_counting_get(&f.cnt, UMF_TEST_OP_SPLIT),
                      splits_after);
    for (int i = 0; i < 64; i++) {
        ck_assert_int_eq(umfPoolFree(f.pool, p[i]), UMF_RESULT_SUCCESS);
    }
    fx_teardown(&f); /* every provider allocation back, exact sizes */
}

START_TEST(create_calls_no_provider_splitting) {
    no_calls_at_create(umf_test_os_provider_create(), 2);
}
END_TEST

START_TEST(create_calls_no_provider_not_splitting) {
    no_calls_at_create(
        umf_test_provider_create(umf_test_malloc_provider_ops(), NULL), 1);
}
END_TEST

/* Provider errors reach umfPoolGetLastAllocationError. */
START_TEST(provider_failure_reported) {
    umf_memory_provider_handle_t failing =
        umf_test_provider_create(umf_test_failing_provider_ops(), NULL);
    ck_assert_ptr_nonnull(failing);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(
        umfPoolCreate(umfJemallocPoolOps(), failing, NULL, 0, &pool),
        UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolMalloc(pool, 100));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_null(umfPoolCalloc(pool, 10, 10));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(failing);
}
END_TEST

/* A small fixed provider runs out; what was freed can be reused. */
START_TEST(fixed_provider_exhaustion) {
    const size_t len = 16 * MiB;
    void *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(buf, MAP_FAILED);
    fx_t f;
    fx_setup_with(&f, umf_test_fixed_provider_create(buf, len));
    void *p[64];
    int n = 0;
    while (n < 64 && (p[n] = umfPoolMalloc(f.pool, MiB)) != NULL) {
        ck_assert((char *)p[n] >= (char *)buf &&
                  (char *)p[n] + MiB <= (char *)buf + len);
        n++;
    }
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 64);
    ck_assert_int_ne(umfPoolGetLastAllocationError(f.pool), UMF_RESULT_SUCCESS);
    for (int i = 0; i < n; i++) {
        umfPoolFree(f.pool, p[i]);
    }
    void *again = umfPoolMalloc(f.pool, MiB);
    ck_assert_ptr_nonnull(again);
    umfPoolFree(f.pool, again);
    fx_teardown(&f);
    munmap(buf, len);
}
END_TEST

/* A provider with a byte budget over the OS provider: an allocation that
 * would exceed it fails with OUT_OF_HOST_MEMORY. */
typedef struct budget_t {
    umf_memory_provider_handle_t upstream;
    size_t limit;
    size_t used; /* atomic */
} budget_t;

static umf_result_t bud_init(void *params, void **provider) {
    *provider = params;
    return UMF_RESULT_SUCCESS;
}
static void bud_fini(void *provider) { (void)provider; }
static umf_result_t bud_alloc(void *provider, size_t size, size_t align,
                              void **ptr) {
    budget_t *b = provider;
    if (__atomic_add_fetch(&b->used, size, __ATOMIC_SEQ_CST) > b->limit) {
        __atomic_sub_fetch(&b->used, size, __ATOMIC_SEQ_CST);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_result_t r = umfMemoryProviderAlloc(b->upstream, size, align, ptr);
    if (r != UMF_RESULT_SUCCESS) {
        __atomic_sub_fetch(&b->used, size, __ATOMIC_SEQ_CST);
    }
    return r;
}
static umf_result_t bud_free(void *provider, void *ptr, size_t size) {
    budget_t *b = provider;
    umf_result_t r = umfMemoryProviderFree(b->upstream, ptr, size);
    if (r == UMF_RESULT_SUCCESS) {
        __atomic_sub_fetch(&b->used, size, __ATOMIC_SEQ_CST);
    }
    return r;
}
static void bud_native(void *provider, const char **msg, int32_t *err) {
    budget_t *b = provider;
    umfMemoryProviderGetLastNativeError(b->upstream, msg, err);
}
static umf_result_t bud_rec(void *provider, size_t size, size_t *page) {
    budget_t *b = provider;
    return umfMemoryProviderGetRecommendedPageSize(b->upstream, size, page);
}
static umf_result_t bud_min(void *provider, void *ptr, size_t *page) {
    budget_t *b = provider;
    return umfMemoryProviderGetMinPageSize(b->upstream, ptr, page);
}
static const char *bud_name(void *provider) {
    (void)provider;
    return "budget";
}
static umf_result_t bud_split(void *provider, void *ptr, size_t total,
                              size_t first) {
    budget_t *b = provider;
    return umfMemoryProviderAllocationSplit(b->upstream, ptr, total, first);
}
static umf_result_t bud_merge(void *provider, void *lo, void *hi,
                              size_t total) {
    budget_t *b = provider;
    return umfMemoryProviderAllocationMerge(b->upstream, lo, hi, total);
}
static umf_memory_provider_ops_t budget_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = bud_init,
    .finalize = bud_fini,
    .alloc = bud_alloc,
    .free = bud_free,
    .get_last_native_error = bud_native,
    .get_recommended_page_size = bud_rec,
    .get_min_page_size = bud_min,
    .get_name = bud_name,
    .ext = {.allocation_split = bud_split, .allocation_merge = bud_merge},
};

/* When the provider runs out, the pool gives jemalloc's cached (dirty)
 * extents back to it and tries again. */
START_TEST(provider_exhausted_reclaims_cache) {
    budget_t *b = calloc(1, sizeof(*b));
    ck_assert_ptr_nonnull(b);
    b->upstream = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(b->upstream);
    b->limit = 64 * MiB;
    fx_t f;
    fx_setup_with(&f, umf_test_provider_create(&budget_ops, b));
    void *p[128];
    int n = 0;
    while (n < 128 && (p[n] = umfPoolMalloc(f.pool, MiB)) != NULL) {
        n++;
    }
    ck_assert_int_gt(n, 16);
    ck_assert_int_lt(n, 128);
    ck_assert_int_eq(umfPoolGetLastAllocationError(f.pool),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    for (int i = 0; i < n; i++) {
        umfPoolFree(f.pool, p[i]);
    }
    /* the freed 1 MiB extents sit in jemalloc's cache, so a larger block
     * needs the provider, which is full until the cache is given back */
    size_t frees = umf_test_counting_get(&f.cnt, UMF_TEST_OP_FREE);
    void *big = umfPoolMalloc(f.pool, 24 * MiB);
    ck_assert_msg(big != NULL, "malloc(24 MiB) failed, error %d",
                  (int)umfPoolGetLastAllocationError(f.pool));
    ck_assert_uint_gt(umf_test_counting_get(&f.cnt, UMF_TEST_OP_FREE), frees);
    memset(big, 0x3c, 24 * MiB);
    umfPoolFree(f.pool, big);
    umfPoolDestroy(f.pool);
    ck_assert_int_eq(umf_test_counting_live_allocs(&f.cnt), 0);
    ck_assert_uint_eq(b->used, 0);
    umfMemoryProviderDestroy(f.prov);
    umfMemoryProviderDestroy(f.base);
    umfMemoryProviderDestroy(b->upstream);
    free(b);
}
END_TEST

/* ---- isolation between pools, across threads ---- */

/* The provider ranges of a pool, for "is this pointer in its memory". */
typedef struct ranges_t {
    pthread_mutex_t lock;
    uintptr_t lo[4096], hi[4096];
    int n;
} ranges_t;

static void ranges_on_alloc(void *arg, void *ptr, size_t size) {
    ranges_t *r = arg;
    pthread_mutex_lock(&r->lock);
    if (r->n < 4096) {
        r->lo[r->n] = (uintptr_t)ptr;
        r->hi[r->n] = (uintptr_t)ptr + size;
        r->n++;
    }
    pthread_mutex_unlock(&r->lock);
}

static int ranges_has(ranges_t *r, const void *p) {
    pthread_mutex_lock(&r->lock);
    int found = 0;
    for (int i = 0; i < r->n && !found; i++) {
        found = (uintptr_t)p >= r->lo[i] && (uintptr_t)p < r->hi[i];
    }
    pthread_mutex_unlock(&r->lock);
    return found;
}

typedef struct iso_t {
    fx_t f[2];
    ranges_t r[2];
    void *handoff[8][64]; /* blocks of pool A handed to the next thread */
    pthread_barrier_t bar;
    int bad;
} iso_t;

static iso_t *iso;

static void iso_setup(void) {
    iso = calloc(1, sizeof(*iso));
    ck_assert_ptr_nonnull(iso);
    for (int k = 0; k < 2; k++) {
        pthread_mutex_init(&iso->r[k].lock, NULL);
        umf_memory_provider_handle_t os = umf_test_os_provider_create();
        ck_assert_ptr_nonnull(os);
        memset(&iso->f[k], 0, sizeof(iso->f[k]));
        iso->f[k].base = os;
        umf_test_counting_init(&iso->f[k].cnt, os);
        iso->f[k].cnt.on_alloc = ranges_on_alloc;
        iso->f[k].cnt.hook_arg = &iso->r[k];
        ck_assert_int_eq(
            umf_test_counting_create(&iso->f[k].cnt, &iso->f[k].prov),
            UMF_RESULT_SUCCESS);
        ck_assert_int_eq(umfPoolCreate(umfJemallocPoolOps(), iso->f[k].prov,
                                       NULL, 0, &iso->f[k].pool),
                         UMF_RESULT_SUCCESS);
    }
}

/* Every block must lie in its own pool's provider memory. */
static void iso_check(int k, void *p) {
    if (!p || !ranges_has(&iso->r[k], p) || ranges_has(&iso->r[1 - k], p) ||
        umfPoolByPtr(p) != iso->f[k].pool) {
        __atomic_fetch_add(&iso->bad, 1, __ATOMIC_RELAXED);
    }
}

START_TEST(two_pools_one_thread) {
    iso_setup();
    for (int i = 0; i < 2000; i++) {
        size_t sz = 8 + (size_t)(i * 131) % 30000;
        void *a = umfPoolMalloc(iso->f[0].pool, sz);
        iso_check(0, a);
        umfPoolFree(iso->f[0].pool, a);
        /* a block just freed to A's cache must not come out of B */
        void *b = umfPoolMalloc(iso->f[1].pool, sz);
        iso_check(1, b);
        ck_assert_ptr_ne(a, b);
        umfPoolFree(iso->f[1].pool, b);
    }
    ck_assert_int_eq(iso->bad, 0);
    fx_teardown(&iso->f[0]);
    fx_teardown(&iso->f[1]);
}
END_TEST

static void *iso_worker(void *arg) {
    int t = (int)(intptr_t)arg;
    void *mine[64];
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 64; i++) {
            size_t sz = 8 + (size_t)((i + round * 7 + t * 13) * 97) % 5000;
            mine[i] = umfPoolMalloc(iso->f[0].pool, sz);
            iso_check(0, mine[i]);
            void *b = umfPoolMalloc(iso->f[1].pool, sz);
            iso_check(1, b);
            umfPoolFree(iso->f[1].pool, b);
        }
        /* hand A's blocks to the next thread, which frees them into its
         * own cache of A; then allocate from B, which must not get them */
        memcpy(iso->handoff[t], mine, sizeof(mine));
        pthread_barrier_wait(&iso->bar);
        int from = (t + 7) % 8;
        for (int i = 0; i < 64; i++) {
            umfFree(iso->handoff[from][i]);
        }
        for (int i = 0; i < 64; i++) {
            void *b = umfPoolMalloc(iso->f[1].pool, 100);
            iso_check(1, b);
            mine[i] = b;
        }
        for (int i = 0; i < 64; i++) {
            umfPoolFree(iso->f[1].pool, mine[i]);
        }
        pthread_barrier_wait(&iso->bar);
    }
    return NULL;
}

START_TEST(two_pools_eight_threads_cross_free) {
    iso_setup();
    pthread_barrier_init(&iso->bar, NULL, 8);
    ck_assert_int_eq(umf_test_run_threads(8, iso_worker, NULL, 0), 0);
    pthread_barrier_destroy(&iso->bar);
    ck_assert_int_eq(iso->bad, 0);
    fx_teardown(&iso->f[0]);
    fx_teardown(&iso->f[1]);
}
END_TEST

/* The process's jemalloc mallctl (the pool's jemalloc). */
typedef int (*je_mallctl_fn)(const char *, void *, size_t *, void *, size_t);
static je_mallctl_fn je_mallctl(void) {
    je_mallctl_fn f = (je_mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    ck_assert_ptr_nonnull(f);
    return f;
}

/* ---- arenas of their own ----
 *
 * A pool starts with one arena; a second thread that comes to it gets an
 * arena of its own (on a machine with more than one CPU), so the two do
 * not share the arena's locks. Both arenas are fed by the pool's provider
 * and give every extent back at destroy. */

typedef struct arena_probe_t {
    umf_memory_pool_handle_t pool;
    unsigned arena; /* jemalloc's arena of a block the thread allocated */
    void *block;
} arena_probe_t;

static unsigned arena_of(void *p) {
    je_mallctl_fn mallctl = je_mallctl();
    unsigned arena = 0;
    size_t sz = sizeof(arena);
    ck_assert_int_eq(mallctl("arenas.lookup", &arena, &sz, &p, sizeof(p)), 0);
    return arena;
}

static void *arena_probe(void *arg) {
    arena_probe_t *a = arg;
    a->block = umfPoolMalloc(a->pool, 100000); /* a large (arena) block */
    ck_assert_ptr_nonnull(a->block);
    memset(a->block, 0x3c, 100000);
    a->arena = arena_of(a->block);
    return NULL;
}

START_TEST(threads_get_arenas_of_their_own) {
    fx_t f;
    fx_setup(&f);
    arena_probe_t a[2] = {{.pool = f.pool}, {.pool = f.pool}};
    for (int i = 0; i < 2; i++) { /* one after the other: a fixed order */
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, arena_probe, &a[i]), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
    }
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
        ck_assert_uint_ne(a[0].arena, a[1].arena);
    } else {
        ck_assert_uint_eq(a[0].arena, a[1].arena);
    }
    /* each frees the other's block: the blocks go home to their arenas */
    umfPoolFree(f.pool, a[0].block);
    umfPoolFree(f.pool, a[1].block);
    fx_teardown(&f); /* every extent of both arenas came back */
}
END_TEST

/* When jemalloc can make no more arenas (about 4095 a process), a thread
 * that comes to a pool shares the pool's first arena, and the pool keeps
 * working. */
START_TEST(thread_shares_an_arena_when_none_is_left) {
    fx_t f;
    fx_setup(&f);
    arena_probe_t a[2] = {{.pool = f.pool}, {.pool = f.pool}};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, arena_probe, &a[0]), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    /* use up jemalloc's arenas with pools of one arena each */
    enum { MAX_EXTRA = 5000 };
    umf_memory_pool_handle_t *extra = calloc(MAX_EXTRA, sizeof(*extra));
    ck_assert_ptr_nonnull(extra);
    int n = 0;
    while (n < MAX_EXTRA && umfPoolCreate(umfJemallocPoolOps(), f.base, NULL, 0,
                                          &extra[n]) == UMF_RESULT_SUCCESS) {
        n++;
    }
    ck_assert_int_lt(n, MAX_EXTRA); /* creation did fail at some point */
    ck_assert_int_eq(pthread_create(&t, NULL, arena_probe, &a[1]), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_uint_eq(a[1].arena, a[0].arena);
    for (int i = 0; i < n; i++) {
        umfPoolDestroy(extra[i]);
    }
    free(extra);
    umfPoolFree(f.pool, a[0].block);
    umfPoolFree(f.pool, a[1].block);
    fx_teardown(&f);
}
END_TEST

/* ---- one tcache per (thread, pool) ----
 *
 * A block a thread frees into its cache of a pool is the next block of that
 * size the thread gets back; no other thread gets it. Two threads would
 * share a tcache only through a bug in how a thread finds its own: a pool
 * slot taken by another thread whose key hashes alike (more threads than
 * slots make sure some do), or one left behind by a thread that exited (a
 * new thread often gets the old one's thread pointer, and the old tcache
 * is destroyed). */

typedef struct own_t {
    umf_memory_pool_handle_t pool;
    pthread_barrier_t freed;
    int bad;
} own_t;

static own_t *own;

/* The thread frees a block into its cache and checks it comes back. */
static void own_round(bool wait) {
    void *a = umfPoolMalloc(own->pool, 200);
    ck_assert_ptr_nonnull(a);
    memset(a, 0x5a, 200);
    umfPoolFree(own->pool, a);
    if (wait) {
        pthread_barrier_wait(&own->freed);
    }
    void *b = umfPoolMalloc(own->pool, 200);
    if (b != a) {
        __atomic_fetch_add(&own->bad, 1, __ATOMIC_RELAXED);
    }
    umfPoolFree(own->pool, b);
}

static void *own_worker_concurrent(void *arg) {
    (void)arg;
    own_round(true);
    return NULL;
}

static void *own_worker_alone(void *arg) {
    (void)arg;
    own_round(false);
    return NULL;
}

/* jemalloc's next free tcache id: it grows when tcaches leak. */
static unsigned next_tcache_id(void) {
    je_mallctl_fn mallctl = je_mallctl();
    unsigned id = 0;
    size_t sz = sizeof(id);
    ck_assert_int_eq(mallctl("tcache.create", &id, &sz, NULL, 0), 0);
    ck_assert_int_eq(mallctl("tcache.destroy", NULL, NULL, &id, sizeof(id)), 0);
    return id;
}

START_TEST(threads_more_than_fast_slots) {
    enum { N = 80 }; /* more threads than the pool's 64 slots */
    own = calloc(1, sizeof(*own));
    ck_assert_ptr_nonnull(own);
    fx_t f;
    fx_setup(&f);
    own->pool = f.pool;
    pthread_barrier_init(&own->freed, NULL, N);
    ck_assert_int_eq(umf_test_run_threads(N, own_worker_concurrent, NULL, 0),
                     0);
    pthread_barrier_destroy(&own->freed);
    ck_assert_int_eq(own->bad, 0);
    fx_teardown(&f);
    free(own);
}
END_TEST

START_TEST(threads_one_after_another) {
    own = calloc(1, sizeof(*own));
    ck_assert_ptr_nonnull(own);
    fx_t f;
    fx_setup(&f);
    own->pool = f.pool;
    own_round(false); /* the main thread keeps its tcache throughout */
    unsigned first = next_tcache_id();
    for (int i = 0; i < 300; i++) {
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, own_worker_alone, NULL), 0);
        ck_assert_int_eq(pthread_join(th, NULL), 0);
    }
    ck_assert_int_eq(own->bad, 0);
    /* each thread's tcache was destroyed when it exited */
    ck_assert_uint_le(next_tcache_id(), first + 1);
    fx_teardown(&f);
    free(own);
}
END_TEST

/* ---- lifecycle ---- */

START_TEST(many_pools) {
    umf_memory_provider_handle_t os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(os);
    enum { N = 64 };
    umf_memory_pool_handle_t pools[N];
    void *p[N];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(
            umfPoolCreate(umfJemallocPoolOps(), os, NULL, 0, &pools[i]),
            UMF_RESULT_SUCCESS);
        p[i] = umfPoolMalloc(pools[i], 100 + i);
        ck_assert_ptr_nonnull(p[i]);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_ptr_eq(umfPoolByPtr(p[i]), pools[i]);
        umfPoolFree(pools[i], p[i]);
        umfPoolDestroy(pools[i]);
    }
    /* slots and arenas are reused */
    for (int i = 0; i < 300; i++) {
        umf_memory_pool_handle_t pool;
        ck_assert_int_eq(
            umfPoolCreate(umfJemallocPoolOps(), os, NULL, 0, &pool),
            UMF_RESULT_SUCCESS);
        void *q = umfPoolMalloc(pool, 64);
        ck_assert_ptr_nonnull(q);
        umfPoolFree(pool, q);
        umfPoolDestroy(pool);
    }
    umfMemoryProviderDestroy(os);
}
END_TEST

typedef struct life_t {
    umf_memory_pool_handle_t pool, pool2;
    pthread_barrier_t used, destroyed;
} life_t;

static life_t *life;

static void *life_worker(void *arg) {
    (void)arg;
    void *p[32];
    for (int i = 0; i < 32; i++) {
        p[i] = umfPoolMalloc(life->pool, 64 * (size_t)(i + 1));
    }
    for (int i = 0; i < 32; i += 2) {
        umfPoolFree(life->pool, p[i]); /* into this thread's tcache */
    }
    pthread_barrier_wait(&life->used);
    /* the main thread destroys the pool while this thread is alive */
    pthread_barrier_wait(&life->destroyed);
    /* the thread goes on with another pool, then exits */
    for (int i = 0; i < 32; i++) {
        p[i] = umfPoolMalloc(life->pool2, 100);
    }
    for (int i = 0; i < 32; i++) {
        umfPoolFree(life->pool2, p[i]);
    }
    return NULL;
}

/* Pool destroy with threads alive that cached its memory, then thread exit
 * with a cache of another live pool, then that pool's destroy. */
START_TEST(destroy_while_threads_alive) {
    life = calloc(1, sizeof(*life));
    ck_assert_ptr_nonnull(life);
    fx_t f, g;
    fx_setup(&f);
    fx_setup(&g);
    life->pool = f.pool;
    life->pool2 = g.pool;
    pthread_barrier_init(&life->used, NULL, 5);
    pthread_barrier_init(&life->destroyed, NULL, 5);
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, life_worker, NULL), 0);
    }
    pthread_barrier_wait(&life->used);
    fx_teardown(&f); /* every thread's cache of f is flushed first */
    pthread_barrier_wait(&life->destroyed);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
    }
    fx_teardown(&g);
}
END_TEST

/* ---- how jemalloc is found (issue 6 item 2) ---- */

static const char *owner_of(const char *symbol, void *handle) {
    Dl_info di;
    void *f = dlsym(handle, symbol);
    if (!f || !dladdr(f, &di) || !di.dli_fname) {
        return "(none)";
    }
    return di.dli_fname;
}

/* glibc's, or a sanitizer's runtime in a sanitized build; never jemalloc */
static int is_glibc(const char *owner) {
    return !strstr(owner, "jemalloc") &&
           (strstr(owner, "libc.so") || strstr(owner, "libasan") ||
            strstr(owner, "libtsan") || strstr(owner, "liblsan"));
}

/* Outcome (a): linked normally, the pool works (every test above) and the
 * process's malloc is glibc's. */
START_TEST(linked_normally_malloc_is_glibc) {
    ck_assert_msg(is_glibc(owner_of("malloc", RTLD_DEFAULT)),
                  "malloc comes from %s", owner_of("malloc", RTLD_DEFAULT));
    ck_assert_msg(is_glibc(owner_of("free", RTLD_DEFAULT)),
                  "free comes from %s", owner_of("free", RTLD_DEFAULT));
    void *je = dlopen("libjemalloc.so.2", RTLD_NOW | RTLD_NOLOAD);
    ck_assert_msg(je != NULL, "jemalloc was not loaded at start-up");
    ck_assert(strstr(owner_of("mallocx", je), "libjemalloc.so.2"));
    dlclose(je);
    /* and a pool made now still works, with malloc still glibc's */
    fx_t f;
    fx_setup(&f);
    void *p = umfPoolMalloc(f.pool, 1000);
    ck_assert_ptr_nonnull(p);
    void *m = malloc(1000);
    ck_assert_ptr_nonnull(m);
    ck_assert_ptr_null(umfPoolByPtr(m));
    free(m);
    umfPoolFree(f.pool, p);
    fx_teardown(&f);
    ck_assert(is_glibc(owner_of("malloc", RTLD_DEFAULT)));
}
END_TEST

/* umf.pc says -lumf and no more: the installed libumf.so linker script
 * brings in the companion (tests/check_link.sh links through it) */
START_TEST(umf_pc_links_libumf_only) {
    FILE *pc = fopen(UMF_TEST_BUILDDIR "/umf.pc", "r");
    ck_assert_ptr_nonnull(pc);
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof(line), pc)) {
        if (strncmp(line, "Libs:", 5) == 0) {
            found = 1;
            ck_assert_msg(strstr(line, " -lumf\n") &&
                              !strstr(line, "jemalloc") &&
                              !strstr(line, "as-needed"),
                          "umf.pc: %s", line);
        }
    }
    fclose(pc);
    ck_assert(found);
}
END_TEST

static const char *scalable_expect(void) {
    return umfScalablePoolOps() ? "ok" : "none";
}

/* Outcome (b): dlopen("libumf.so.0") in a fresh process works; the jemalloc
 * pool says DEPENDENCY_UNAVAILABLE with a line on how to enable it. */
START_TEST(dlopen_fresh_process_jemalloc_unavailable) {
    static char out[16384];
    int rc =
        helper_run(NULL, "unavailable", scalable_expect(), out, sizeof(out));
    ck_assert_msg(rc == 0, "helper exit %d, output:\n%s", rc, out);
    ck_assert_msg(strstr(out, "jemalloc pool is unavailable") &&
                      strstr(out, "relink the program with -lumf") &&
                      strstr(out, "LD_PRELOAD=libumf_jemalloc.so.0") &&
                      strstr(out, "GLIBC_TUNABLES="),
                  "no how-to-enable line in:\n%s", out);
}
END_TEST

/* ...and the two ways to enable it in such a process work. */
START_TEST(dlopen_fresh_process_with_tunable) {
    static char out[16384];
    const char *env[] = {"GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096",
                         NULL};
    int rc = helper_run(env, "ok", scalable_expect(), out, sizeof(out));
    ck_assert_msg(rc == 0, "helper exit %d, output:\n%s", rc, out);
}
END_TEST

START_TEST(dlopen_fresh_process_with_preload) {
    static char out[16384];
    const char *env[] = {"LD_PRELOAD=" HELPER_COMPANION, NULL};
    int rc = helper_run(env, "ok", scalable_expect(), out, sizeof(out));
    ck_assert_msg(rc == 0, "helper exit %d, output:\n%s", rc, out);
}
END_TEST

#include "tsan_jemalloc.h"

int main(void) {
    if (!umfJemallocPoolOps()) {
        umf_test_skip("the jemalloc pool is configured out "
                      "(configure --with-jemalloc; apt-get install "
                      "libjemalloc-dev)");
    }
    Suite *s = suite_create("pool_jemalloc");
    TCase *tc = tcase_create("api");
    /* malloc_free_sizes writes and reads 52 MiB: about 4 s under TSan */
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, malloc_free_sizes);
    tcase_add_test(tc, malloc_zero_and_huge);
    tcase_add_test(tc, calloc_zeroes_and_checks_overflow);
    tcase_add_test(tc, realloc_semantics);
    tcase_add_test(tc, aligned_malloc_to_4mib);
    tcase_add_test(tc, usable_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("provider");
    tcase_add_test(tc, prot_none_provider);
    tcase_add_test(tc, extents_returned_at_destroy);
    tcase_add_test(tc, purge_reaches_provider);
    tcase_add_test(tc, provider_without_split_merge);
    tcase_add_test(tc, create_calls_no_provider_splitting);
    tcase_add_test(tc, create_calls_no_provider_not_splitting);
    tcase_add_test(tc, provider_failure_reported);
    tcase_add_test(tc, fixed_provider_exhaustion);
    tcase_add_test(tc, provider_exhausted_reclaims_cache);
    suite_add_tcase(s, tc);

    tc = tcase_create("isolation");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, two_pools_one_thread);
    tcase_add_test(tc, two_pools_eight_threads_cross_free);
    tcase_add_test(tc, threads_get_arenas_of_their_own);
    tcase_add_test(tc, thread_shares_an_arena_when_none_is_left);
    tcase_add_test(tc, threads_more_than_fast_slots);
    tcase_add_test(tc, threads_one_after_another);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, many_pools);
    tcase_add_test(tc, destroy_while_threads_alive);
    suite_add_tcase(s, tc);

    tc = tcase_create("linkage");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, linked_normally_malloc_is_glibc);
    tcase_add_test(tc, umf_pc_links_libumf_only);
    tcase_add_test(tc, dlopen_fresh_process_jemalloc_unavailable);
    tcase_add_test(tc, dlopen_fresh_process_with_tunable);
    tcase_add_test(tc, dlopen_fresh_process_with_preload);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
}
