/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_proxy_owner.c -- libumf_proxy's map of pool granules
 * (lib/proxy/proxy_owner.c): only granules one provider allocation covers
 * whole are marked, a free clears every granule it touches, ranges across
 * a 4 GiB bitmap boundary and outside the 47-bit space, and the provider
 * wrapper that keeps the map: it passes every call on, marks after a
 * successful allocation only, clears before a free, and owns the provider
 * it wraps. Built from the proxy's source with this test. */
#include <stdint.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>

#include "proxy/proxy_internal.h"
#include "test_helpers.h"
#include "test_providers.h"

#define G ((uintptr_t)1 << PROXY_OWNER_GRANULE_SHIFT)
#define GiB4 ((uintptr_t)1 << 32)

/* Address space the map is told about in the pure-map tests; nothing is
 * mapped there, the map only keeps bits. */
#define BASE ((uintptr_t)0x7e0000000000)

static bool has(uintptr_t a) { return proxy_owner_has((const void *)a); }

START_TEST(only_whole_granules_marked) {
    proxy_owner_mark((void *)(BASE + G + 1), 3 * G);
    ck_assert(!has(BASE + G + 1)); /* granule 1: only partly covered */
    ck_assert(has(BASE + 2 * G));
    ck_assert(has(BASE + 3 * G + G - 1));
    ck_assert(!has(BASE + 4 * G)); /* granule 4: partly covered */
    ck_assert(!has(BASE));
    ck_assert(!has(BASE + 5 * G));
    /* exactly aligned: both ends whole */
    proxy_owner_mark((void *)(BASE + 10 * G), 2 * G);
    ck_assert(!has(BASE + 10 * G - 1));
    ck_assert(has(BASE + 10 * G));
    ck_assert(has(BASE + 12 * G - 1));
    ck_assert(!has(BASE + 12 * G));
}
END_TEST

START_TEST(clear_touches_every_granule) {
    proxy_owner_mark((void *)(BASE + 20 * G), 4 * G);
    proxy_owner_clear((void *)(BASE + 21 * G + 5), 10); /* inside one */
    ck_assert(has(BASE + 20 * G));
    ck_assert(!has(BASE + 21 * G));
    ck_assert(has(BASE + 22 * G));
    proxy_owner_clear((void *)(BASE + 22 * G + G - 1), 2); /* straddles */
    ck_assert(!has(BASE + 22 * G));
    ck_assert(!has(BASE + 23 * G));
    ck_assert(has(BASE + 20 * G));
    proxy_owner_clear((void *)(BASE + 20 * G), 0); /* nothing */
    ck_assert(has(BASE + 20 * G));
}
END_TEST

/* Ranges over whole 64-granule words of the bitmap and their edges. */
START_TEST(whole_bitmap_words) {
    uintptr_t b = BASE + GiB4; /* granule 0 of a fresh bitmap */
    proxy_owner_mark((void *)(b + 10 * G), 200 * G);
    ck_assert(!has(b + 9 * G));
    for (uintptr_t g = 10; g < 210; g++) {
        ck_assert_msg(has(b + g * G), "granule %lu", (unsigned long)g);
    }
    ck_assert(!has(b + 210 * G));
    proxy_owner_clear((void *)(b + 64 * G), 128 * G); /* two whole words */
    ck_assert(has(b + 63 * G));
    ck_assert(!has(b + 64 * G));
    ck_assert(!has(b + 191 * G));
    ck_assert(has(b + 192 * G));
    ck_assert(has(b + 209 * G));
}
END_TEST

START_TEST(across_a_bitmap_boundary) {
    uintptr_t edge = BASE + 7 * GiB4;
    proxy_owner_mark((void *)(edge - 2 * G), 4 * G);
    ck_assert(has(edge - 2 * G));
    ck_assert(has(edge - 1));
    ck_assert(has(edge));
    ck_assert(has(edge + 2 * G - 1));
    ck_assert(!has(edge + 2 * G));
    ck_assert(!has(edge - 2 * G - 1));
    proxy_owner_clear((void *)(edge - 1), 2);
    ck_assert(has(edge - 2 * G));
    ck_assert(!has(edge - 1));
    ck_assert(!has(edge));
    ck_assert(has(edge + G));
}
END_TEST

START_TEST(outside_the_address_space) {
    uintptr_t top = (uintptr_t)PROXY_OWNER_CHUNKS * GiB4;
    proxy_owner_mark((void *)(top - G), 4 * G); /* only the first is in */
    ck_assert(has(top - G));
    ck_assert(!has(top));
    ck_assert(!has(top + G));
    proxy_owner_mark((void *)(UINTPTR_MAX - G), 2 * G); /* wraps: ignored */
    ck_assert(!has(UINTPTR_MAX - 1));
    proxy_owner_clear((void *)(top - G), SIZE_MAX); /* to the very end */
    ck_assert(!has(top - G));
    ck_assert(!has(0));
    ck_assert(!has(G));
}
END_TEST

/* ---- the provider wrapper, over a counting provider over the OS one ---- */

typedef struct wrap_t {
    umf_test_counting_t cnt;
    umf_memory_provider_handle_t os, counting, owner;
} wrap_t;

static void wrap_setup(wrap_t *w) {
    memset(w, 0, sizeof(*w));
    w->os = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(w->os);
    umf_test_counting_init(&w->cnt, w->os);
    ck_assert_int_eq(umf_test_counting_create(&w->cnt, &w->counting),
                     UMF_RESULT_SUCCESS);
    w->owner = proxy_owner_provider(w->counting);
    ck_assert_ptr_nonnull(w->owner);
}

/* Destroying the wrapper destroys the provider it wraps. */
static void wrap_teardown(wrap_t *w) {
    umfMemoryProviderDestroy(w->owner);
    ck_assert_uint_eq(umf_test_counting_get(&w->cnt, UMF_TEST_OP_FINALIZE), 1);
    umfMemoryProviderDestroy(w->os);
}

START_TEST(wrapper_marks_and_clears) {
    wrap_t w;
    wrap_setup(&w);
    ck_assert_str_eq(umfMemoryProviderGetName(w.owner),
                     UMF_TEST_COUNTING_PROVIDER_NAME);
    size_t size = 16 * G;
    char *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(w.owner, size, G, (void **)&p),
                     UMF_RESULT_SUCCESS);
    for (size_t off = 0; off < size; off += G / 2) {
        ck_assert(proxy_owner_has(p + off));
    }
    ck_assert(!proxy_owner_has(p + size));
    memset(p, 1, size);
    /* split, purge and merge pass through and leave the map alone */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(w.owner, p, size, 8 * G),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(w.owner, p, G),
                     UMF_RESULT_SUCCESS);
    ck_assert(proxy_owner_has(p));
    ck_assert_uint_eq(umf_test_counting_get(&w.cnt, UMF_TEST_OP_SPLIT), 1);
    ck_assert_uint_eq(umf_test_counting_get(&w.cnt, UMF_TEST_OP_PURGE_FORCE),
                      1);
    /* freeing one half clears it and only it */
    ck_assert_int_eq(umfMemoryProviderFree(w.owner, p + 8 * G, 8 * G),
                     UMF_RESULT_SUCCESS);
    ck_assert(!proxy_owner_has(p + 8 * G));
    ck_assert(proxy_owner_has(p + 8 * G - 1));
    ck_assert_int_eq(umfMemoryProviderFree(w.owner, p, 8 * G),
                     UMF_RESULT_SUCCESS);
    ck_assert(!proxy_owner_has(p));
    ck_assert_int_eq(umf_test_counting_live_allocs(&w.cnt), 0);
    wrap_teardown(&w);
}
END_TEST

START_TEST(wrapper_failed_alloc_marks_nothing) {
    wrap_t w;
    wrap_setup(&w);
    umf_test_counting_fail_next(&w.cnt, UMF_TEST_OP_ALLOC,
                                UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(w.owner, 4 * G, G, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_null(p);
    /* a refused free still clears: the memory may be gone or not, and an
     * unmarked granule only costs a lookup */
    ck_assert_int_eq(umfMemoryProviderAlloc(w.owner, 4 * G, G, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert(proxy_owner_has(p));
    umf_test_counting_fail_next(&w.cnt, UMF_TEST_OP_FREE,
                                UMF_RESULT_ERROR_UNKNOWN);
    ck_assert_int_eq(umfMemoryProviderFree(w.owner, p, 4 * G),
                     UMF_RESULT_ERROR_UNKNOWN);
    ck_assert(!proxy_owner_has(p));
    ck_assert_int_eq(umfMemoryProviderFree(w.owner, p, 4 * G),
                     UMF_RESULT_SUCCESS);
    size_t page = 0, ipc = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(w.owner, NULL, &page),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_gt(page, 0);
    size_t direct = 0;
    umf_result_t r = umfMemoryProviderGetIPCHandleSize(w.counting, &direct);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(w.owner, &ipc), r);
    ck_assert_uint_eq(ipc, direct);
    ck_assert_uint_eq(umf_test_counting_get(&w.cnt, UMF_TEST_OP_IPC_SIZE), 2);
    wrap_teardown(&w);
}
END_TEST

/* A pool over the wrapper: every block of a large-block pool lies in
 * marked granules while it lives, and none after the pool is gone. */
START_TEST(pool_blocks_in_marked_granules) {
    wrap_t w;
    wrap_setup(&w);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(
        umfPoolCreate(umfDisjointPoolOps(), w.owner, NULL, 0, &pool),
        UMF_RESULT_SUCCESS);
    enum { N = 8 };
    char *b[N];
    for (int i = 0; i < N; i++) {
        b[i] = umfPoolMalloc(pool, 8 * G);
        ck_assert_ptr_nonnull(b[i]);
        ck_assert(proxy_owner_has(b[i] + 4 * G));
        ck_assert(umfPoolByPtr(b[i] + 4 * G) == pool);
    }
    for (int i = 0; i < N; i++) {
        umfPoolFree(pool, b[i]);
    }
    umfPoolDestroy(pool);
    for (int i = 0; i < N; i++) {
        ck_assert(!proxy_owner_has(b[i] + 4 * G));
    }
    wrap_teardown(&w);
}
END_TEST

static Suite *proxy_owner_suite(void) {
    Suite *s = suite_create("proxy_owner");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, only_whole_granules_marked);
    tcase_add_test(tc, clear_touches_every_granule);
    tcase_add_test(tc, whole_bitmap_words);
    tcase_add_test(tc, across_a_bitmap_boundary);
    tcase_add_test(tc, outside_the_address_space);
    suite_add_tcase(s, tc);
    tc = tcase_create("wrapper");
    tcase_add_test(tc, wrapper_marks_and_clears);
    tcase_add_test(tc, wrapper_failed_alloc_marks_nothing);
    tcase_add_test(tc, pool_blocks_in_marked_granules);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, proxy_owner_suite, NULL);
}
