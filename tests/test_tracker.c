/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_tracker.c -- white-box tests of the range tracker (lib/core/tracker.c)
 */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/tracker_internal.h"

/* The tracker only stores pool handles; fake ones are enough here. */
#define POOL(n) ((umf_memory_pool_handle_t)(uintptr_t)(0x1000 * (n)))
#define ADDR(a) ((void *)(uintptr_t)(a))

static void setup(void) { ck_assert_int_eq(tracker_init(), 0); }
static void teardown(void) { tracker_destroy(); }

static umf_memory_pool_handle_t pool_at(uintptr_t a) {
    tracker_alloc_info_t info;
    if (tracker_find(ADDR(a), &info) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return info.pool;
}

START_TEST(test_add_find_remove) {
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x10000), 0x1000), 0);
    ck_assert_ptr_eq(pool_at(0x10000), POOL(1));
    ck_assert_ptr_eq(pool_at(0x10fff), POOL(1));
    ck_assert_ptr_null(pool_at(0x11000)); /* base+size is outside */
    ck_assert_ptr_null(pool_at(0xffff));
    tracker_alloc_info_t info;
    ck_assert_int_eq(tracker_find(ADDR(0x10800), &info), 0);
    ck_assert_ptr_eq(info.base, ADDR(0x10000));
    ck_assert_uint_eq(info.size, 0x1000);
    ck_assert_int_eq(info.level, 0);
    size_t size = 0;
    ck_assert_int_eq(tracker_remove(POOL(1), ADDR(0x10000), &size), 0);
    ck_assert_uint_eq(size, 0x1000);
    ck_assert_ptr_null(pool_at(0x10000));
    ck_assert_uint_eq(tracker_count(NULL), 0);
}
END_TEST

START_TEST(test_invalid_ranges) {
    ck_assert_int_eq(tracker_add(POOL(1), NULL, 10),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x1000), 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(UINTPTR_MAX - 10), 100),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x10000), 0x1000), 0);
    /* overlapping siblings and ranges sticking out of their parent */
    ck_assert_int_eq(tracker_add(POOL(2), ADDR(0xf000), 0x2000),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(tracker_add(POOL(2), ADDR(0x10800), 0x1000),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* removing what is not there, or with the wrong pool */
    ck_assert_int_eq(tracker_remove(POOL(2), ADDR(0x10000), NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(tracker_remove(POOL(1), ADDR(0x10010), NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(tracker_count(NULL), 1);
}
END_TEST

START_TEST(test_nesting_levels) {
    /* each level is a sub-range starting at the same address as its parent */
    uintptr_t base = 0x100000;
    size_t size = 0x100000;
    for (int l = 0; l < TRACKER_MAX_LEVELS; l++) {
        ck_assert_int_eq(tracker_add(POOL(l + 1), ADDR(base), size - l), 0);
        tracker_alloc_info_t info;
        ck_assert_int_eq(tracker_find(ADDR(base), &info), 0);
        ck_assert_int_eq(info.level, l);
        ck_assert_ptr_eq(info.pool, POOL(l + 1));
    }
    ck_assert_int_eq(tracker_add(POOL(99), ADDR(base), 16),
                     UMF_RESULT_ERROR_OUT_OF_RESOURCES);
    /* each range ends one byte before its parent's end */
    ck_assert_ptr_eq(pool_at(base + size - TRACKER_MAX_LEVELS),
                     POOL(TRACKER_MAX_LEVELS));
    ck_assert_ptr_eq(pool_at(base + size - TRACKER_MAX_LEVELS + 1),
                     POOL(TRACKER_MAX_LEVELS - 1));
    ck_assert_ptr_eq(pool_at(base + size - 1), POOL(1));
    /* a parent with children cannot go */
    ck_assert_int_eq(tracker_remove(POOL(1), ADDR(base), NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        ck_assert_int_eq(tracker_remove(POOL(l + 1), ADDR(base), NULL), 0);
    }
    ck_assert_uint_eq(tracker_count(NULL), 0);
}
END_TEST

START_TEST(test_split_merge) {
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x10000), 0x4000), 0);
    ck_assert_int_eq(tracker_split(POOL(1), ADDR(0x10000), 0x3000, 0x1000),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong total */
    ck_assert_int_eq(tracker_split(POOL(2), ADDR(0x10000), 0x4000, 0x1000),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong pool */
    ck_assert_int_eq(tracker_split(POOL(1), ADDR(0x10000), 0x4000, 0x1000), 0);
    tracker_alloc_info_t info;
    ck_assert_int_eq(tracker_find(ADDR(0x12000), &info), 0);
    ck_assert_ptr_eq(info.base, ADDR(0x11000));
    ck_assert_uint_eq(info.size, 0x3000);
    ck_assert_int_eq(tracker_find(ADDR(0x10fff), &info), 0);
    ck_assert_uint_eq(info.size, 0x1000);
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0x10000), ADDR(0x11000), 0x3000, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT); /* sizes do not add up */
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0x10000), ADDR(0x11000), 0x4000, NULL), 0);
    ck_assert_int_eq(tracker_find(ADDR(0x13fff), &info), 0);
    ck_assert_ptr_eq(info.base, ADDR(0x10000));
    ck_assert_uint_eq(info.size, 0x4000);
    ck_assert_uint_eq(tracker_count(NULL), 1);
    /* not adjacent */
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x20000), 0x1000), 0);
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0x10000), ADDR(0x20000), 0x5000, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* A merge whose high range is nested (a child at the same base) is refused,
 * as is one with a range of another pool. */
START_TEST(test_merge_refusals) {
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0xf0000), 0x10000), 0);
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x100000), 0x10000), 0);
    ck_assert_int_eq(tracker_add(POOL(1), ADDR(0x100000), 0x1000), 0);
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0xf0000), ADDR(0x100000), 0x20000, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT); /* the high one has a child */
    ck_assert_int_eq(tracker_remove(POOL(1), ADDR(0x100000), NULL), 0);
    ck_assert_int_eq(tracker_add(POOL(2), ADDR(0x110000), 0x10000), 0);
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0x100000), ADDR(0x110000), 0x20000, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT); /* another pool's */
    ck_assert_int_eq(
        tracker_merge(POOL(1), ADDR(0xf0000), ADDR(0x100000), 0x20000, NULL),
        0);
    ck_assert_uint_eq(tracker_count(POOL(1)), 1);
    ck_assert_int_eq(
        tracker_merge(POOL(2), ADDR(0x110000), ADDR(0x120000), 0x20000, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT); /* no successor at all */
}
END_TEST

/* Random splits and merges of pages in many regions (thousands of entries,
 * so chunks fill, split and empty), checked against a model. */
START_TEST(test_split_merge_many) {
    enum { REGIONS = 64, PAGES = 64, PAGE = 0x1000 };
    /* piece_start[r][p]: page p of region r starts a tracked piece */
    static unsigned char piece_start[REGIONS][PAGES];
    uintptr_t base0 = 0x50000000;
    for (int r = 0; r < REGIONS; r++) {
        uintptr_t b = base0 + (uintptr_t)r * PAGES * PAGE * 2; /* gaps */
        ck_assert_int_eq(tracker_add(POOL(1), ADDR(b), PAGES * PAGE), 0);
        piece_start[r][0] = 1;
    }
    unsigned seed = 12345;
    for (int step = 0; step < 40000; step++) {
        int r = (int)(rand_r(&seed) % REGIONS);
        int p = (int)(rand_r(&seed) % PAGES);
        int start = p, end = p + 1; /* the piece holding page p */
        while (!piece_start[r][start]) {
            start--;
        }
        while (end < PAGES && !piece_start[r][end]) {
            end++;
        }
        uintptr_t b = base0 + (uintptr_t)r * PAGES * PAGE * 2;
        size_t total = (size_t)(end - start) * PAGE;
        if (rand_r(&seed) % 2 && end - start > 1) {
            int cut = start + 1 + (int)(rand_r(&seed) % (end - start - 1));
            ck_assert_int_eq(tracker_split(POOL(1), ADDR(b + start * PAGE),
                                           total, (size_t)(cut - start) * PAGE),
                             0);
            piece_start[r][cut] = 1;
        } else if (end < PAGES) { /* merge with the next piece */
            int next_end = end + 1;
            while (next_end < PAGES && !piece_start[r][next_end]) {
                next_end++;
            }
            size_t merged = (size_t)(next_end - start) * PAGE;
            ck_assert_int_eq(
                tracker_merge(POOL(1), ADDR(b + start * PAGE),
                              ADDR(b + end * PAGE), merged - PAGE, NULL),
                UMF_RESULT_ERROR_INVALID_ARGUMENT); /* wrong total */
            size_t low_size = 0;
            ck_assert_int_eq(tracker_merge(POOL(1), ADDR(b + start * PAGE),
                                           ADDR(b + end * PAGE), merged,
                                           &low_size),
                             0);
            ck_assert_uint_eq(low_size, total);
            piece_start[r][end] = 0;
        } else if (r + 1 < REGIONS) { /* the next region is not adjacent */
            ck_assert_int_eq(
                tracker_merge(POOL(1), ADDR(b + start * PAGE),
                              ADDR(b + (uintptr_t)PAGES * PAGE * 2), 2 * total,
                              NULL),
                UMF_RESULT_ERROR_INVALID_ARGUMENT);
        }
    }
    size_t pieces = 0;
    for (int r = 0; r < REGIONS; r++) {
        uintptr_t b = base0 + (uintptr_t)r * PAGES * PAGE * 2;
        for (int p = 0; p < PAGES; p++) {
            int start = p;
            while (!piece_start[r][start]) {
                start--;
            }
            int end = p + 1;
            while (end < PAGES && !piece_start[r][end]) {
                end++;
            }
            pieces += piece_start[r][p];
            tracker_alloc_info_t info;
            ck_assert_int_eq(tracker_find(ADDR(b + p * PAGE + 8), &info), 0);
            ck_assert_ptr_eq(info.base, ADDR(b + start * PAGE));
            ck_assert_uint_eq(info.size, (size_t)(end - start) * PAGE);
        }
        ck_assert_ptr_null(pool_at(b + PAGES * PAGE)); /* the gap */
    }
    ck_assert_uint_eq(tracker_count(POOL(1)), pieces);
}
END_TEST

/* Random inserts and removes across many chunks, checked against a plain
 * array of what should be there. */
START_TEST(test_many_ranges) {
    enum { N = 20000 };
    static unsigned char live[N];
    unsigned seed = 12345;
    for (int round = 0; round < 4 * N; round++) {
        int i = (int)(rand_r(&seed) % N);
        uintptr_t base = 0x1000000 + (uintptr_t)i * 0x2000;
        if (live[i]) {
            ck_assert_int_eq(tracker_remove(POOL(1 + i % 3), ADDR(base), NULL),
                             0);
            live[i] = 0;
        } else {
            ck_assert_int_eq(tracker_add(POOL(1 + i % 3), ADDR(base), 0x1000),
                             0);
            live[i] = 1;
        }
    }
    size_t expected = 0;
    for (int i = 0; i < N; i++) {
        uintptr_t base = 0x1000000 + (uintptr_t)i * 0x2000;
        expected += live[i];
        ck_assert_ptr_eq(pool_at(base + 0x800),
                         live[i] ? POOL(1 + i % 3) : NULL);
        ck_assert_ptr_null(pool_at(base + 0x1000)); /* the gaps */
    }
    ck_assert_uint_eq(tracker_count(NULL), expected);
    ck_assert_uint_eq(tracker_count(POOL(1)) + tracker_count(POOL(2)) +
                          tracker_count(POOL(3)),
                      expected);
}
END_TEST

/* Ranges added in ascending or descending address order (how mmap hands
 * them out) fill chunks from the ends; ranges added later between them must
 * still land in order. */
static void check_ordered_inserts(int step) {
    enum { N = 3000 };
    int first = step > 0 ? 0 : N - 1;
    for (int k = 0, i = first; k < N; k++, i += step) { /* even slots */
        ck_assert_int_eq(tracker_add(POOL(1),
                                     ADDR(0x1000000 + (uintptr_t)i * 0x4000),
                                     0x1000),
                         0);
    }
    for (int i = 0; i < N; i += 7) { /* odd slots, between the others */
        ck_assert_int_eq(tracker_add(POOL(2),
                                     ADDR(0x1002000 + (uintptr_t)i * 0x4000),
                                     0x1000),
                         0);
    }
    for (int i = 0; i < N; i++) {
        uintptr_t base = 0x1000000 + (uintptr_t)i * 0x4000;
        ck_assert_ptr_eq(pool_at(base), POOL(1));
        ck_assert_ptr_eq(pool_at(base + 0xfff), POOL(1));
        ck_assert_ptr_null(pool_at(base + 0x1000));
        ck_assert_ptr_eq(pool_at(base + 0x2000), i % 7 ? NULL : POOL(2));
    }
    ck_assert_ptr_null(pool_at(0x1000000 - 1));
    ck_assert_uint_eq(tracker_count(POOL(1)), N);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(tracker_remove(POOL(1),
                                        ADDR(0x1000000 + (uintptr_t)i * 0x4000),
                                        NULL),
                         0);
    }
    ck_assert_uint_eq(tracker_count(NULL), (N + 6) / 7);
}

START_TEST(test_ascending_inserts) { check_ordered_inserts(1); }
END_TEST

START_TEST(test_descending_inserts) { check_ordered_inserts(-1); }
END_TEST

static size_t released_bytes;
static void record_release(void *arg, void *base, size_t size) {
    (*(int *)arg)++;
    released_bytes += size;
}

START_TEST(test_release_pool) {
    for (int i = 0; i < 300; i++) {
        ck_assert_int_eq(
            tracker_add(POOL(1 + i % 2), ADDR(0x100000 + i * 0x1000), 0x100),
            0);
    }
    int calls = 0;
    released_bytes = 0;
    ck_assert_uint_eq(tracker_release_pool(POOL(1), record_release, &calls),
                      150);
    ck_assert_int_eq(calls, 150);
    ck_assert_uint_eq(released_bytes, 150 * 0x100);
    ck_assert_uint_eq(tracker_count(POOL(1)), 0);
    ck_assert_uint_eq(tracker_count(POOL(2)), 150);
    ck_assert_ptr_eq(pool_at(0x101000 + 0x10), POOL(2));
    ck_assert_ptr_null(pool_at(0x100000 + 0x10));
}
END_TEST

/* Readers must always find stable ranges while a writer keeps adding and
 * removing others around them (run under TSan in CI's sanitizer builds). */
static volatile int stop_readers;
#define STABLE_N 256
#define STABLE_ADDR(i) (0x40000000 + (uintptr_t)(i)*0x10000)

static void *reader(void *arg) {
    long misses = 0;
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (unsigned n = 1; !__atomic_load_n(&stop_readers, __ATOMIC_RELAXED);
         n++) {
        if (n % 64 == 0) {
            /* under valgrind, which runs one thread at a time, spinning
             * readers would starve the writer */
            sched_yield();
        }
        int i = (int)(rand_r(&seed) % STABLE_N);
        if (pool_at(STABLE_ADDR(i) + 0x10) != POOL(7)) {
            misses++;
        }
    }
    return (void *)misses;
}

START_TEST(test_concurrent_readers) {
    for (int i = 0; i < STABLE_N; i++) {
        ck_assert_int_eq(tracker_add(POOL(7), ADDR(STABLE_ADDR(i)), 0x100), 0);
    }
    pthread_t threads[3];
    stop_readers = 0;
    for (uintptr_t t = 0; t < 3; t++) {
        pthread_create(&threads[t], NULL, reader, (void *)(t + 1));
    }
    /* churn ranges between the stable ones: chunks split, shift and empty */
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < STABLE_N; i++) {
            ck_assert_int_eq(
                tracker_add(POOL(8), ADDR(STABLE_ADDR(i) + 0x1000), 0x100), 0);
        }
        for (int i = 0; i < STABLE_N; i++) {
            ck_assert_int_eq(
                tracker_remove(POOL(8), ADDR(STABLE_ADDR(i) + 0x1000), NULL),
                0);
        }
    }
    __atomic_store_n(&stop_readers, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < 3; t++) {
        void *misses;
        pthread_join(threads[t], &misses);
        ck_assert_ptr_null(misses);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("tracker");
    TCase *tc = tcase_create("basic");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_add_find_remove);
    tcase_add_test(tc, test_invalid_ranges);
    tcase_add_test(tc, test_nesting_levels);
    tcase_add_test(tc, test_split_merge);
    tcase_add_test(tc, test_merge_refusals);
    tcase_add_test(tc, test_release_pool);
    suite_add_tcase(s, tc);
    tc = tcase_create("scale");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_many_ranges);
    tcase_add_test(tc, test_ascending_inserts);
    tcase_add_test(tc, test_descending_inserts);
    tcase_add_test(tc, test_split_merge_many);
    tcase_add_test(tc, test_concurrent_readers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
