/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_coarse.c -- white-box tests of the coarse range allocator */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/coarse_internal.h"
#include "util/base_alloc_internal.h"

static size_t P; /* the page size every instance here uses */

/* ---------------------------------------------------------------------- */
/* A recording source                                                       */

#define REC_MAX 64

typedef struct rec_range_t {
    void *ptr;
    size_t size;
} rec_range_t;

/* Stands in for a provider: counts the callbacks, can be told to fail, and
 * (for growth) hands out consecutive ranges of a reserved area. */
typedef struct rec_t {
    char *area; /* reserved, PROT_NONE: coarse never touches memory */
    size_t area_size;
    size_t bump;
    int n_alloc, n_free, n_split, n_merge;
    rec_range_t allocs[REC_MAX];
    rec_range_t frees[REC_MAX];
    size_t last_alloc_align;
    void *last_split_ptr;
    size_t last_split_total, last_split_first;
    void *last_merge_lo, *last_merge_hi;
    size_t last_merge_total;
    umf_result_t split_ret, merge_ret, alloc_ret;
    size_t misalign; /* added to the next pointer cb.alloc returns */
} rec_t;

static umf_result_t rec_alloc(void *provider, size_t size, size_t alignment,
                              void **ptr) {
    rec_t *r = provider;
    r->last_alloc_align = alignment;
    if (r->alloc_ret != UMF_RESULT_SUCCESS) {
        return r->alloc_ret;
    }
    uintptr_t base = (uintptr_t)r->area;
    uintptr_t cur = base + r->bump;
    uintptr_t a = (cur + alignment - 1) & ~(uintptr_t)(alignment - 1);
    if (a < cur || a - base > r->area_size ||
        r->area_size - (a - base) < size || r->n_alloc == REC_MAX) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    r->bump = a - base + size;
    *ptr = (void *)(a + r->misalign);
    r->allocs[r->n_alloc].ptr = *ptr;
    r->allocs[r->n_alloc].size = size;
    r->n_alloc++;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t rec_free(void *provider, void *ptr, size_t size) {
    rec_t *r = provider;
    if (r->n_free < REC_MAX) {
        r->frees[r->n_free].ptr = ptr;
        r->frees[r->n_free].size = size;
    }
    r->n_free++;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t rec_split(void *provider, void *ptr, size_t totalSize,
                              size_t firstSize) {
    rec_t *r = provider;
    r->n_split++;
    r->last_split_ptr = ptr;
    r->last_split_total = totalSize;
    r->last_split_first = firstSize;
    return r->split_ret;
}

static umf_result_t rec_merge(void *provider, void *lowPtr, void *highPtr,
                              size_t totalSize) {
    rec_t *r = provider;
    r->n_merge++;
    r->last_merge_lo = lowPtr;
    r->last_merge_hi = highPtr;
    r->last_merge_total = totalSize;
    return r->merge_ret;
}

/* Reserve size bytes aligned to align (PROT_NONE unless rw). */
static char *reserve(size_t size, size_t align, int rw) {
    size_t len = size + align;
    char *p = mmap(NULL, len, rw ? PROT_READ | PROT_WRITE : PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    return (char *)a;
}

static coarse_t *new_coarse(rec_t *r, int growth, int give_back) {
    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = r;
    cp.cb.alloc = growth ? rec_alloc : NULL;
    cp.cb.free = give_back ? rec_free : NULL;
    cp.cb.split = rec_split;
    cp.cb.merge = rec_merge;
    cp.page_size = P;
    cp.name = "test";
    coarse_t *c = NULL;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* A fixed-source instance over npages pages aligned to 64 pages. */
static coarse_t *new_fixed(rec_t *r, size_t npages, char **base) {
    memset(r, 0, sizeof(*r));
    *base = reserve(npages * P, 64 * P, 0);
    coarse_t *c = new_coarse(r, 0, 0);
    ck_assert_int_eq(coarse_add_memory_fixed(c, *base, npages * P),
                     UMF_RESULT_SUCCESS);
    return c;
}

static void expect_stats(coarse_t *c, size_t alloc_size, size_t used_size,
                         size_t all, size_t nfree) {
    coarse_stats_t s = coarse_get_stats(c);
    ck_assert_uint_eq(s.alloc_size, alloc_size);
    ck_assert_uint_eq(s.used_size, used_size);
    ck_assert_uint_eq(s.num_all_blocks, all);
    ck_assert_uint_eq(s.num_free_blocks, nfree);
}

static int stats_equal(coarse_stats_t a, coarse_stats_t b) {
    return a.alloc_size == b.alloc_size && a.used_size == b.used_size &&
           a.num_all_blocks == b.num_all_blocks &&
           a.num_free_blocks == b.num_free_blocks;
}

static void *xalloc(coarse_t *c, size_t size, size_t align) {
    void *p = NULL;
    ck_assert_int_eq(coarse_alloc(c, size, align, &p), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ---------------------------------------------------------------------- */
/* params                                                                   */

START_TEST(test_new_invalid) {
    rec_t r;
    memset(&r, 0, sizeof(r));
    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = &r;
    cp.cb.split = rec_split;
    cp.cb.merge = rec_merge;
    cp.page_size = P;
    coarse_t *c = (coarse_t *)0x1;
    ck_assert_int_eq(coarse_new(NULL, &c), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_new(&cp, NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    cp.cb.split = NULL;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    cp.cb.split = rec_split;
    cp.cb.merge = NULL;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    cp.cb.merge = rec_merge;
    cp.page_size = 0;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    cp.page_size = 3000;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_eq(c, (coarse_t *)0x1);
    cp.page_size = P;
    cp.name = NULL;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(coarse_get_page_size(c), P);
    expect_stats(c, 0, 0, 0, 0);
    coarse_delete(c);
    coarse_delete(NULL);
}
END_TEST

START_TEST(test_add_memory_fixed) {
    rec_t r;
    memset(&r, 0, sizeof(r));
    char *base = reserve(16 * P, P, 0);
    coarse_t *c = new_coarse(&r, 0, 0);
    ck_assert_int_eq(coarse_add_memory_fixed(NULL, base, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, NULL, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 1, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base, P + 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        coarse_add_memory_fixed(c, (void *)(UINTPTR_MAX & ~(P - 1)), 2 * P),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    expect_stats(c, 0, 0, 0, 0);

    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 4 * P, 4 * P),
                     UMF_RESULT_SUCCESS);
    expect_stats(c, 4 * P, 0, 1, 1);
    /* overlaps: same range, head, tail, inside, around */
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 4 * P, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 2 * P, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 7 * P, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 5 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base, 16 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    expect_stats(c, 4 * P, 0, 1, 1);
    /* touching ranges are fine and stay separate sources */
    ck_assert_int_eq(coarse_add_memory_fixed(c, base, 4 * P),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base + 8 * P, 8 * P),
                     UMF_RESULT_SUCCESS);
    expect_stats(c, 16 * P, 0, 3, 3);
    coarse_delete(c);
}
END_TEST

START_TEST(test_no_metadata_leak) {
    size_t live = umf_ba_live_count();
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 32, &base);
    void *a = xalloc(c, P, 0);
    void *b = xalloc(c, 3 * P, 4 * P);
    (void)xalloc(c, 2 * P, 0);
    ck_assert_int_eq(coarse_split(c, b, 3 * P, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    coarse_delete(c); /* with live blocks */
    ck_assert_uint_eq(umf_ba_live_count(), live);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* alignment                                                                */

START_TEST(test_align_default_and_divisors) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 64, &base);
    size_t aligns[] = {0, 1, 2, 8, 64, P / 2, P};
    for (size_t i = 0; i < sizeof(aligns) / sizeof(aligns[0]); i++) {
        void *p = xalloc(c, 100, aligns[i]);
        ck_assert_uint_eq((uintptr_t)p % P, 0);
    }
    /* sizes round up to the page */
    expect_stats(c, 64 * P, 7 * P, 8, 1);
    coarse_delete(c);
}
END_TEST

START_TEST(test_align_multiples) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 64, &base);
    void *a = xalloc(c, P, 0);
    ck_assert_ptr_eq(a, base);
    /* the tail starts at base+P, so 4P alignment pads 3 pages */
    void *b = xalloc(c, P, 4 * P);
    ck_assert_ptr_eq(b, base + 4 * P);
    expect_stats(c, 64 * P, 2 * P, 4, 2); /* a, head, b, tail */
    /* the padding head (3P) is the smallest fit for 2P */
    void *d = xalloc(c, 2 * P, 0);
    ck_assert_ptr_eq(d, base + P);
    void *e = xalloc(c, 3 * P, 16 * P);
    ck_assert_uint_eq((uintptr_t)e % (16 * P), 0);
    ck_assert_ptr_eq(e, base + 16 * P);
    void *f = xalloc(c, P, 32 * P);
    ck_assert_ptr_eq(f, base + 32 * P);
    coarse_delete(c);
}
END_TEST

START_TEST(test_align_invalid) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 16, &base);
    coarse_stats_t before = coarse_get_stats(c);
    size_t bad[] = {3, 6, 1000, P - 1, P + 1, 3 * P, 5 * P, SIZE_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        void *p = (void *)0x1;
        ck_assert_int_eq(coarse_alloc(c, P, bad[i], &p),
                         UMF_RESULT_ERROR_INVALID_ALIGNMENT);
        ck_assert_ptr_eq(p, (void *)0x1);
    }
    ck_assert(stats_equal(before, coarse_get_stats(c)));
    coarse_delete(c);
}
END_TEST

START_TEST(test_align_huge) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 16, &base);
    void *p = NULL;
    ck_assert_int_eq(coarse_alloc(c, P, (size_t)1 << 40, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(coarse_alloc(c, P, (size_t)1 << 63, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(coarse_alloc(c, SIZE_MAX - 2 * P, (size_t)1 << 62, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    expect_stats(c, 16 * P, 0, 1, 1);
    /* the area itself is 64-page aligned, so this still fits */
    p = xalloc(c, 16 * P, 64 * P);
    ck_assert_ptr_eq(p, base);
    coarse_delete(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* first fit, merging, sizes                                               */

START_TEST(test_first_fit) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 16, &base);
    void *a = xalloc(c, P, 0);
    expect_stats(c, 16 * P, P, 2, 1);
    void *b = xalloc(c, 2 * P, 0);
    void *cc = xalloc(c, P, 0);
    void *d = xalloc(c, 4 * P, 0);
    void *e = xalloc(c, P, 0);
    ck_assert_ptr_eq(a, base);
    ck_assert_ptr_eq(b, base + P);
    ck_assert_ptr_eq(cc, base + 3 * P);
    ck_assert_ptr_eq(d, base + 4 * P);
    ck_assert_ptr_eq(e, base + 8 * P);
    expect_stats(c, 16 * P, 9 * P, 6, 1);

    ck_assert_int_eq(coarse_free(c, b, 2 * P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, d, 0), UMF_RESULT_SUCCESS);
    expect_stats(c, 16 * P, 3 * P, 6, 3); /* b 2P, d 4P, tail 7P */

    /* 3P: d (4P) is the smallest that fits, not the lower b or the tail */
    void *x = xalloc(c, 3 * P, 0);
    ck_assert_ptr_eq(x, d);
    expect_stats(c, 16 * P, 6 * P, 7, 3); /* b 2P, 1P at +7P, tail 7P */
    void *y = xalloc(c, 2 * P, 0);
    ck_assert_ptr_eq(y, b);
    void *z = xalloc(c, P, 0);
    ck_assert_ptr_eq(z, base + 7 * P);
    expect_stats(c, 16 * P, 9 * P, 7, 1);

    coarse_stats_t before = coarse_get_stats(c);
    void *p = (void *)0x1;
    ck_assert_int_eq(coarse_alloc(c, 8 * P, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_eq(p, (void *)0x1);
    ck_assert(stats_equal(before, coarse_get_stats(c)));
    void *t = xalloc(c, 7 * P, 0);
    ck_assert_ptr_eq(t, base + 9 * P);
    expect_stats(c, 16 * P, 16 * P, 7, 0);
    ck_assert_int_eq(coarse_alloc(c, 1, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    coarse_delete(c);
}
END_TEST

START_TEST(test_merge_on_free) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 8, &base);
    void *a = xalloc(c, P, 0);
    void *b = xalloc(c, P, 0);
    void *d = xalloc(c, P, 0);
    expect_stats(c, 8 * P, 3 * P, 4, 1);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 2 * P, 4, 2);
    ck_assert_int_eq(coarse_free(c, d, P), UMF_RESULT_SUCCESS); /* + tail */
    expect_stats(c, 8 * P, P, 3, 2);
    ck_assert_int_eq(coarse_free(c, b, P), UMF_RESULT_SUCCESS); /* both */
    expect_stats(c, 8 * P, 0, 1, 1);
    void *all = xalloc(c, 8 * P, 0);
    ck_assert_ptr_eq(all, base);
    expect_stats(c, 8 * P, 8 * P, 1, 0);
    ck_assert_int_eq(coarse_free(c, all, 0), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

START_TEST(test_size_zero_and_huge) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 8, &base);
    void *p = (void *)0x1;
    ck_assert_int_eq(coarse_alloc(c, 0, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_alloc(NULL, P, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_alloc(c, P, 0, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_alloc(c, SIZE_MAX, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(coarse_alloc(c, SIZE_MAX - P + 2, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_ptr_eq(p, (void *)0x1);
    expect_stats(c, 8 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

START_TEST(test_free_errors) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 8, &base);
    void *a = xalloc(c, P, 0);
    void *b = xalloc(c, 2 * P, 0);
    coarse_stats_t before = coarse_get_stats(c);

    ck_assert_int_eq(coarse_free(NULL, a, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, NULL, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* unknown pointers: inside a block, outside the area */
    ck_assert_int_eq(coarse_free(c, (char *)b + 1, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, (char *)b + P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, base + 64 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* wrong sizes */
    ck_assert_int_eq(coarse_free(c, b, P), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, b, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, b, SIZE_MAX),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the free tail is not an allocation */
    ck_assert_int_eq(coarse_free(c, base + 3 * P, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert(stats_equal(before, coarse_get_stats(c)));

    /* a size that rounds up to the block size is accepted */
    ck_assert_int_eq(coarse_free(c, b, P + 1), UMF_RESULT_SUCCESS);
    coarse_stats_t after = coarse_get_stats(c);
    ck_assert_int_eq(coarse_free(c, b, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* double free */
    ck_assert_int_eq(coarse_free(c, b, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert(stats_equal(after, coarse_get_stats(c)));
    ck_assert_int_eq(coarse_free(c, a, 1), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, 1), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    expect_stats(c, 8 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* split and merge                                                          */

START_TEST(test_split_merge_ok) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 8, &base);
    char *x = xalloc(c, 4 * P, 0);
    expect_stats(c, 8 * P, 4 * P, 2, 1);
    ck_assert_int_eq(coarse_split(c, x, 4 * P, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(r.n_split, 1);
    ck_assert_ptr_eq(r.last_split_ptr, x);
    ck_assert_uint_eq(r.last_split_total, 4 * P);
    ck_assert_uint_eq(r.last_split_first, P);
    expect_stats(c, 8 * P, 4 * P, 3, 1);
    ck_assert_int_eq(coarse_split(c, x + P, 3 * P, 2 * P), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 4 * P, 4, 1);

    ck_assert_int_eq(coarse_merge(c, x, x + P, 3 * P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(r.n_merge, 1);
    ck_assert_ptr_eq(r.last_merge_lo, x);
    ck_assert_ptr_eq(r.last_merge_hi, x + P);
    ck_assert_uint_eq(r.last_merge_total, 3 * P);
    expect_stats(c, 8 * P, 4 * P, 3, 1);
    /* the pieces are freed with their new sizes */
    ck_assert_int_eq(coarse_free(c, x, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, x + 3 * P, P), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 3 * P, 2, 1);
    ck_assert_int_eq(coarse_free(c, x, 3 * P), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

START_TEST(test_split_preconditions) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 8, &base);
    char *x = xalloc(c, 4 * P, 0);
    coarse_stats_t before = coarse_get_stats(c);
    ck_assert_int_eq(coarse_split(NULL, x, 4 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, NULL, 4 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x, 4 * P, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x, 4 * P, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x, 4 * P, 5 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x, 4 * P, P + 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x, 3 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* size mismatch */
    ck_assert_int_eq(coarse_split(c, x, 8 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, x + P, 3 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* unknown */
    ck_assert_int_eq(coarse_split(c, x + 4 * P, 4 * P, P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* free block */
    ck_assert_int_eq(r.n_split, 0);
    ck_assert(stats_equal(before, coarse_get_stats(c)));

    /* a failing callback leaves everything as it was */
    r.split_ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    ck_assert_int_eq(coarse_split(c, x, 4 * P, P),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(r.n_split, 1);
    ck_assert(stats_equal(before, coarse_get_stats(c)));
    ck_assert_int_eq(coarse_free(c, x + P, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_free(c, x, 4 * P), UMF_RESULT_SUCCESS);
    expect_stats(c, 8 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

START_TEST(test_merge_preconditions) {
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, 16, &base);
    char *a = xalloc(c, P, 0);
    char *b = xalloc(c, 2 * P, 0);
    char *d = xalloc(c, P, 0);
    char *e = xalloc(c, P, 0);
    ck_assert_int_eq(coarse_free(c, e, 0), UMF_RESULT_SUCCESS);
    coarse_stats_t before = coarse_get_stats(c);

    ck_assert_int_eq(coarse_merge(NULL, a, b, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, NULL, b, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, a, NULL, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, a, b, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, b, a, 3 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* reversed */
    ck_assert_int_eq(coarse_merge(c, a, a, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, a, b, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* size */
    ck_assert_int_eq(coarse_merge(c, a, b, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, a, d, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* not adjacent */
    ck_assert_int_eq(coarse_merge(c, a, d, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_merge(c, d, e, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* e is free */
    ck_assert_int_eq(coarse_merge(c, a, b + P, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* unknown */
    ck_assert_int_eq(r.n_merge, 0);
    ck_assert(stats_equal(before, coarse_get_stats(c)));

    r.merge_ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    ck_assert_int_eq(coarse_merge(c, a, b, 3 * P),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(r.n_merge, 1);
    ck_assert(stats_equal(before, coarse_get_stats(c)));
    ck_assert_int_eq(coarse_free(c, b, 2 * P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, d, P), UMF_RESULT_SUCCESS);
    expect_stats(c, 16 * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* growth through cb.alloc, give back through cb.free                       */

static coarse_t *new_growing(rec_t *r, int give_back) {
    memset(r, 0, sizeof(*r));
    r->area_size = 1024 * P;
    r->area = reserve(r->area_size, 64 * P, 0);
    return new_coarse(r, 1, give_back);
}

/* Every range cb.alloc gave went back through cb.free once, unchanged. */
static void expect_all_given_back(const rec_t *r) {
    ck_assert_int_eq(r->n_free, r->n_alloc);
    for (int i = 0; i < r->n_alloc; i++) {
        int found = 0;
        for (int j = 0; j < r->n_free; j++) {
            if (r->frees[j].ptr == r->allocs[i].ptr &&
                r->frees[j].size == r->allocs[i].size) {
                found++;
            }
        }
        ck_assert_int_eq(found, 1);
    }
}

START_TEST(test_growth) {
    rec_t r;
    coarse_t *c = new_growing(&r, 1);
    expect_stats(c, 0, 0, 0, 0);
    char *a = xalloc(c, 3 * P - 5, 0);
    ck_assert_int_eq(r.n_alloc, 1);
    ck_assert_ptr_eq(r.allocs[0].ptr, a);
    ck_assert_uint_eq(r.allocs[0].size, 3 * P);
    ck_assert_uint_eq(r.last_alloc_align, P);
    expect_stats(c, 3 * P, 3 * P, 1, 0);
    ck_assert_int_eq(coarse_free(c, a, 3 * P), UMF_RESULT_SUCCESS);
    expect_stats(c, 3 * P, 0, 1, 1);
    /* reuse without asking the source */
    char *b = xalloc(c, P, 0);
    ck_assert_ptr_eq(b, a);
    ck_assert_int_eq(r.n_alloc, 1);
    expect_stats(c, 3 * P, P, 2, 1);
    /* 2P free, 3P wanted: a second source */
    char *d = xalloc(c, 3 * P, 0);
    ck_assert_int_eq(r.n_alloc, 2);
    ck_assert_ptr_eq(d, r.allocs[1].ptr);
    expect_stats(c, 6 * P, 4 * P, 3, 1);
    /* aligned growth passes the alignment on */
    char *e = xalloc(c, P, 16 * P);
    ck_assert_int_eq(r.n_alloc, 3);
    ck_assert_uint_eq(r.last_alloc_align, 16 * P);
    ck_assert_uint_eq((uintptr_t)e % (16 * P), 0);
    /* sub-page alignment becomes the page */
    (void)xalloc(c, 2 * P, 16);
    ck_assert_int_eq(r.n_alloc, 3); /* fits the 2P left in the first */
    (void)xalloc(c, P, 16);
    ck_assert_int_eq(r.n_alloc, 4);
    ck_assert_uint_eq(r.last_alloc_align, P);
    expect_stats(c, 8 * P, 8 * P, 5, 0);

    /* a failing source: the error comes back, nothing changes */
    coarse_stats_t before = coarse_get_stats(c);
    r.alloc_ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    void *p = (void *)0x1;
    ck_assert_int_eq(coarse_alloc(c, P, 0, &p),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_ptr_eq(p, (void *)0x1);
    ck_assert(stats_equal(before, coarse_get_stats(c)));
    r.alloc_ret = UMF_RESULT_SUCCESS;

    ck_assert_int_eq(coarse_free(c, d, 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(r.n_free, 0); /* sources only go back at delete */
    coarse_delete(c);
    expect_all_given_back(&r);
}
END_TEST

START_TEST(test_growth_bad_source) {
    rec_t r;
    coarse_t *c = new_growing(&r, 1);
    r.misalign = P; /* page aligned, but not to 4P */
    void *p = (void *)0x1;
    ck_assert_int_ne(coarse_alloc(c, P, 4 * P, &p), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(p, (void *)0x1);
    ck_assert_int_eq(r.n_alloc, 1);
    ck_assert_int_eq(r.n_free, 1); /* given straight back */
    ck_assert_ptr_eq(r.frees[0].ptr, r.allocs[0].ptr);
    expect_stats(c, 0, 0, 0, 0);
    coarse_delete(c);
    ck_assert_int_eq(r.n_free, 1);
}
END_TEST

START_TEST(test_never_merge_across_sources) {
    rec_t r;
    coarse_t *c = new_growing(&r, 1);
    char *a = xalloc(c, 2 * P, 0);
    char *b = xalloc(c, 2 * P, 0);
    ck_assert_int_eq(r.n_alloc, 2);
    ck_assert_ptr_eq(b, a + 2 * P); /* the source hands out adjacent ranges */
    expect_stats(c, 4 * P, 4 * P, 2, 0);
    /* allocated neighbours of two sources cannot be merged */
    ck_assert_int_eq(coarse_merge(c, a, b, 4 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(r.n_merge, 0);
    ck_assert_int_eq(coarse_free(c, a, 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, b, 0), UMF_RESULT_SUCCESS);
    expect_stats(c, 4 * P, 0, 2, 2); /* two free blocks, not one */
    /* 4P does not span them: a third source is needed */
    char *d = xalloc(c, 4 * P, 0);
    ck_assert_int_eq(r.n_alloc, 3);
    ck_assert_ptr_eq(d, r.allocs[2].ptr);
    coarse_delete(c);
    ck_assert_int_eq(r.n_free, 3);
    expect_all_given_back(&r);
}
END_TEST

START_TEST(test_fixed_memory_not_given_back) {
    rec_t r;
    coarse_t *c = new_growing(&r, 1);
    char *fixed = reserve(4 * P, P, 0);
    ck_assert_int_eq(coarse_add_memory_fixed(c, fixed, 4 * P),
                     UMF_RESULT_SUCCESS);
    void *a = xalloc(c, 4 * P, 0);
    ck_assert_ptr_eq(a, fixed);
    ck_assert_int_eq(r.n_alloc, 0);
    void *b = xalloc(c, P, 0);
    ck_assert_int_eq(r.n_alloc, 1);
    ck_assert_ptr_eq(b, r.allocs[0].ptr);
    coarse_delete(c);
    ck_assert_int_eq(r.n_free, 1);
    ck_assert_ptr_eq(r.frees[0].ptr, b);
}
END_TEST

START_TEST(test_growth_without_free_cb) {
    rec_t r;
    coarse_t *c = new_growing(&r, 0);
    (void)xalloc(c, P, 0);
    (void)xalloc(c, 5 * P, 0);
    ck_assert_int_eq(r.n_alloc, 2);
    coarse_delete(c);
    ck_assert_int_eq(r.n_free, 0);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* randomised consistency and threads                                       */

static unsigned next_rand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

START_TEST(test_random_consistency) {
    enum { NPAGES = 512, SLOTS = 200, ITERS = 20000 };
    rec_t r;
    char *base;
    coarse_t *c = new_fixed(&r, NPAGES, &base);
    char *ptrs[SLOTS] = {0};
    size_t sizes[SLOTS] = {0};
    unsigned char owner[NPAGES] = {0}; /* slot+1 owning each page */
    size_t used = 0;
    unsigned seed = 12345;
    for (int it = 0; it < ITERS; it++) {
        int i = (int)(next_rand(&seed) % SLOTS);
        if (ptrs[i]) {
            size_t first = (size_t)(ptrs[i] - base) / P;
            size_t n = sizes[i] / P;
            for (size_t k = 0; k < n; k++) {
                ck_assert_int_eq(owner[first + k], i + 1);
                owner[first + k] = 0;
            }
            ck_assert_int_eq(coarse_free(c, ptrs[i], (it & 1) ? sizes[i] : 0),
                             UMF_RESULT_SUCCESS);
            used -= sizes[i];
            ptrs[i] = NULL;
        } else {
            size_t n = 1 + next_rand(&seed) % 8;
            size_t align =
                (next_rand(&seed) % 4 == 0) ? P << (next_rand(&seed) % 4) : 0;
            void *p = NULL;
            umf_result_t ret = coarse_alloc(c, n * P, align, &p);
            if (ret == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
                continue;
            }
            ck_assert_int_eq(ret, UMF_RESULT_SUCCESS);
            if (align) {
                ck_assert_uint_eq((uintptr_t)p % align, 0);
            }
            size_t first = (size_t)((char *)p - base) / P;
            ck_assert_uint_le(first + n, NPAGES);
            for (size_t k = 0; k < n; k++) {
                ck_assert_int_eq(owner[first + k], 0);
                owner[first + k] = (unsigned char)(i + 1);
            }
            ptrs[i] = p;
            sizes[i] = n * P;
            used += n * P;
        }
        coarse_stats_t s = coarse_get_stats(c);
        ck_assert_uint_eq(s.used_size, used);
        ck_assert_uint_le(s.num_free_blocks, s.num_all_blocks);
    }
    for (int i = 0; i < SLOTS; i++) {
        if (ptrs[i]) {
            ck_assert_int_eq(coarse_free(c, ptrs[i], sizes[i]),
                             UMF_RESULT_SUCCESS);
        }
    }
    expect_stats(c, NPAGES * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

typedef struct stress_arg_t {
    coarse_t *c;
    unsigned seed;
    int failures;
} stress_arg_t;

static void *stress_thread(void *arg) {
    enum { HOLD = 16, ITERS = 20000 };
    stress_arg_t *a = arg;
    unsigned char tag = (unsigned char)(a->seed & 0xff);
    char *held[HOLD] = {0};
    size_t sizes[HOLD] = {0};
    for (int it = 0; it < ITERS; it++) {
        int i = (int)(next_rand(&a->seed) % HOLD);
        if (held[i]) {
            /* nobody else was handed our memory meanwhile */
            if ((unsigned char)held[i][0] != tag ||
                (unsigned char)held[i][sizes[i] - 1] != tag) {
                a->failures++;
            }
            if (coarse_free(a->c, held[i], sizes[i]) != UMF_RESULT_SUCCESS) {
                a->failures++;
            }
            held[i] = NULL;
        } else {
            size_t n = (1 + next_rand(&a->seed) % 4) * P;
            void *p = NULL;
            umf_result_t ret = coarse_alloc(a->c, n, 0, &p);
            if (ret == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
                continue;
            }
            if (ret != UMF_RESULT_SUCCESS) {
                a->failures++;
                continue;
            }
            held[i] = p;
            sizes[i] = n;
            held[i][0] = (char)tag;
            held[i][n - 1] = (char)tag;
        }
    }
    for (int i = 0; i < HOLD; i++) {
        if (held[i] && coarse_free(a->c, held[i], 0) != UMF_RESULT_SUCCESS) {
            a->failures++;
        }
    }
    return NULL;
}

START_TEST(test_threads) {
    enum { NPAGES = 128 };
    rec_t r;
    memset(&r, 0, sizeof(r));
    char *base = reserve(NPAGES * P, P, 1);
    coarse_t *c = new_coarse(&r, 0, 0);
    ck_assert_int_eq(coarse_add_memory_fixed(c, base, NPAGES * P),
                     UMF_RESULT_SUCCESS);
    pthread_t th[2];
    stress_arg_t args[2] = {{c, 0x11, 0}, {c, 0x22, 0}};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, stress_thread, &args[i]),
                         0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(args[i].failures, 0);
    }
    /* the threads may have started lanes, which keep freed blocks apart
     * until an allocation needs them: all free, and whole again once the
     * range is asked for in one piece */
    coarse_stats_t s = coarse_get_stats(c);
    ck_assert_uint_eq(s.used_size, 0);
    ck_assert_uint_eq(s.num_free_blocks, s.num_all_blocks);
    void *all = NULL;
    ck_assert_int_eq(coarse_alloc(c, NPAGES * P, 0, &all), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(all, base);
    ck_assert_int_eq(coarse_free(c, all, 0), UMF_RESULT_SUCCESS);
    expect_stats(c, NPAGES * P, 0, 1, 1);
    coarse_delete(c);
}
END_TEST

static Suite *coarse_suite(void) {
    Suite *s = suite_create("coarse");

    TCase *tc = tcase_create("params");
    tcase_add_test(tc, test_new_invalid);
    tcase_add_test(tc, test_add_memory_fixed);
    tcase_add_test(tc, test_no_metadata_leak);
    suite_add_tcase(s, tc);

    tc = tcase_create("alignment");
    tcase_add_test(tc, test_align_default_and_divisors);
    tcase_add_test(tc, test_align_multiples);
    tcase_add_test(tc, test_align_invalid);
    tcase_add_test(tc, test_align_huge);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc_free");
    tcase_add_test(tc, test_first_fit);
    tcase_add_test(tc, test_merge_on_free);
    tcase_add_test(tc, test_size_zero_and_huge);
    tcase_add_test(tc, test_free_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("split_merge");
    tcase_add_test(tc, test_split_merge_ok);
    tcase_add_test(tc, test_split_preconditions);
    tcase_add_test(tc, test_merge_preconditions);
    suite_add_tcase(s, tc);

    tc = tcase_create("sources");
    tcase_add_test(tc, test_growth);
    tcase_add_test(tc, test_growth_bad_source);
    tcase_add_test(tc, test_never_merge_across_sources);
    tcase_add_test(tc, test_fixed_memory_not_given_back);
    tcase_add_test(tc, test_growth_without_free_cb);
    suite_add_tcase(s, tc);

    tc = tcase_create("stress");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_random_consistency);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    P = (size_t)sysconf(_SC_PAGESIZE);
    SRunner *sr = srunner_create(coarse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
