/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_tracker_tree.c -- white-box tests of the tracker's radix tree
 * (lib/core/tracker_tree.c): windows dense enough to turn leaves into finer
 * nodes, ranges that cover many windows and cross the tree's digit
 * boundaries, the top of the address space, random operations checked
 * against a model, and writers on several threads at once. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/tracker_internal.h"
#include "test_helpers.h"

#define POOL(n) ((umf_memory_pool_handle_t)(uintptr_t)(0x1000 * (n)))
#define ADDR(a) ((void *)(uintptr_t)(a))

static void setup(void) { ck_assert_int_eq(tracker_init(), 0); }
static void teardown(void) { tracker_destroy(); }

static bool find(uintptr_t a, tracker_alloc_info_t *info) {
    return tracker_find(ADDR(a), info) == UMF_RESULT_SUCCESS;
}

static void count_release(void *arg, void *base, size_t size) {
    (void)base;
    *(size_t *)arg += size;
}

/* One-byte and few-byte ranges packed into one window: the leaf becomes a
 * node of 256-byte slots, then of 8-byte slots. */
START_TEST(test_dense_window) {
    uintptr_t w = 0x7f0000010000;
    for (uintptr_t a = w; a < w + 64; a++) { /* 64 one-byte ranges */
        ck_assert_int_eq(tracker_add(POOL(1), ADDR(a), 1), 0);
    }
    for (uintptr_t a = w + 0x100; a < w + 0x400; a += 3) { /* 3-byte ones */
        ck_assert_int_eq(tracker_add(POOL(2), ADDR(a), 3), 0);
    }
    tracker_alloc_info_t info;
    for (uintptr_t a = w; a < w + 64; a++) {
        ck_assert(find(a, &info));
        ck_assert_ptr_eq(info.base, ADDR(a));
        ck_assert_uint_eq(info.size, 1);
    }
    ck_assert(!find(w + 64, &info));
    for (uintptr_t a = w + 0x100; a + 3 <= w + 0x400; a++) {
        ck_assert(find(a, &info));
        ck_assert_ptr_eq(info.base, ADDR(w + 0x100 + (a - w - 0x100) / 3 * 3));
        ck_assert_ptr_eq(info.pool, POOL(2));
    }
    /* a range from before the window reaching into it, and one leaving it */
    ck_assert_int_eq(tracker_add(POOL(3), ADDR(w - 0x1000), 0x1000), 0);
    ck_assert_int_eq(tracker_add(POOL(3), ADDR(w + 0xff00), 0x20000), 0);
    ck_assert(find(w + 0xff80, &info) && info.pool == POOL(3));
    ck_assert(find(w + 0x1ff00, &info) && info.pool == POOL(3));
    ck_assert(!find(w + 0x2ff00, &info));
    size_t n = tracker_count(NULL);
    ck_assert_uint_eq(n, 64 + 256 + 2);
    for (uintptr_t a = w; a < w + 64; a += 2) {
        ck_assert_int_eq(tracker_remove(POOL(1), ADDR(a), NULL), 0);
    }
    for (uintptr_t a = w; a < w + 64; a++) {
        ck_assert_int_eq(find(a, &info), (a - w) % 2 == 1);
    }
    size_t bytes = 0;
    ck_assert_uint_eq(tracker_release_pool(POOL(2), count_release, &bytes),
                      256);
    ck_assert_uint_eq(bytes, 256 * 3);
    ck_assert(!find(w + 0x100, &info));
}
END_TEST

/* Ranges far larger than a window, across the 4 GiB and 256 TiB digit
 * boundaries and at the top of the address space. */
START_TEST(test_huge_ranges) {
    struct {
        uintptr_t base;
        size_t size;
    } r[] = {
        {0xfff00000, 0x300000},             /* across 4 GiB */
        {0x10ffff000, (size_t)5 << 32},     /* many 4 GiB digits */
        {0xffff000000000, (size_t)1 << 50}, /* across 2^48 and beyond */
        {UINTPTR_MAX - 0x20000, 0x10000},   /* near the top */
    };
    int n = (int)(sizeof(r) / sizeof(r[0]));
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(tracker_add(POOL(i + 1), ADDR(r[i].base), r[i].size),
                         0);
    }
    tracker_alloc_info_t info;
    for (int i = 0; i < n; i++) {
        uintptr_t probes[] = {r[i].base, r[i].base + r[i].size / 3,
                              r[i].base + r[i].size / 2 + 12345,
                              r[i].base + r[i].size - 1};
        for (int k = 0; k < 4; k++) {
            ck_assert(find(probes[k], &info));
            ck_assert_ptr_eq(info.pool, POOL(i + 1));
            ck_assert_ptr_eq(info.base, ADDR(r[i].base));
        }
        ck_assert(!find(r[i].base - 1, &info));
        ck_assert(!find(r[i].base + r[i].size, &info));
    }
    ck_assert(!find(UINTPTR_MAX, &info));
    /* a range inside a huge one nests; one across its end is refused */
    ck_assert_int_eq(tracker_add(POOL(9), ADDR(0x100000000), 0x10000), 0);
    ck_assert(find(0x100000010, &info) && info.level == 1);
    ck_assert_int_eq(tracker_add(POOL(9), ADDR(0xfff00000 - 0x1000), 0x2000),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a split deep inside a huge range, then the merge back */
    uintptr_t b = r[2].base, mid = b + ((size_t)3 << 47) + 0x10000;
    ck_assert_int_eq(tracker_split(POOL(3), ADDR(b), r[2].size, mid - b), 0);
    ck_assert(find(mid - 1, &info) && info.base == ADDR(b));
    ck_assert(find(mid, &info) && info.base == ADDR(mid));
    ck_assert(find(b + r[2].size - 1, &info) && info.base == ADDR(mid));
    ck_assert_int_eq(
        tracker_merge(POOL(3), ADDR(b), ADDR(mid), r[2].size, NULL), 0);
    ck_assert(find(b + r[2].size - 1, &info) && info.base == ADDR(b));
    ck_assert_uint_eq(tracker_count(NULL), (size_t)n + 1);
    ck_assert_int_eq(tracker_remove(POOL(9), ADDR(0x100000000), NULL), 0);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(tracker_remove(POOL(i + 1), ADDR(r[i].base), NULL), 0);
        ck_assert(!find(r[i].base + r[i].size / 2, &info));
    }
    ck_assert_uint_eq(tracker_count(NULL), 0);
}
END_TEST

/* Random adds (some overlapping, to be refused), removes, splits and
 * merges of ranges of 1 byte to 16 MiB in 1 GiB around 4 GiB, each step
 * checked against a plain list. */
#define MODEL_MAX 600
static struct model_range {
    uintptr_t base;
    size_t size;
} model[MODEL_MAX];
static int model_n;

static int model_find(uintptr_t a) {
    for (int i = 0; i < model_n; i++) {
        if (a - model[i].base < model[i].size) {
            return i;
        }
    }
    return -1;
}

static bool model_overlaps(uintptr_t b, size_t s) {
    for (int i = 0; i < model_n; i++) {
        if (b < model[i].base + model[i].size && model[i].base < b + s) {
            return true;
        }
    }
    return false;
}

static uintptr_t rand_addr(unsigned *seed) {
    uintptr_t lo = 0xe0000000;
    return lo + (((uintptr_t)rand_r(seed) << 15 ^ rand_r(seed)) % (1u << 30));
}

static size_t rand_size(unsigned *seed) {
    return ((size_t)1 << (rand_r(seed) % 25)) + rand_r(seed) % 64;
}

static void model_probe(unsigned *seed) {
    for (int k = 0; k < 20; k++) {
        uintptr_t a;
        if (model_n && k % 2) {
            int i = (int)(rand_r(seed) % model_n);
            a = model[i].base + rand_r(seed) % model[i].size;
        } else {
            a = rand_addr(seed);
        }
        int i = model_find(a);
        tracker_alloc_info_t info;
        ck_assert_int_eq(find(a, &info), i >= 0);
        if (i >= 0) {
            ck_assert_ptr_eq(info.base, ADDR(model[i].base));
            ck_assert_uint_eq(info.size, model[i].size);
        }
    }
}

START_TEST(test_random_model) {
    unsigned seed = 4242;
    model_n = 0;
    for (int step = 0; step < 30000; step++) {
        int op = (int)(rand_r(&seed) % 8);
        if (op < 3 && model_n < MODEL_MAX) {
            uintptr_t b = rand_addr(&seed);
            size_t s = rand_size(&seed);
            umf_result_t want = model_overlaps(b, s)
                                    ? UMF_RESULT_ERROR_INVALID_ARGUMENT
                                    : UMF_RESULT_SUCCESS;
            /* a range inside another one nests instead of overlapping */
            int in = model_find(b);
            if (in >= 0 && b + s <= model[in].base + model[in].size) {
                continue;
            }
            ck_assert_int_eq(tracker_add(POOL(1), ADDR(b), s), want);
            if (want == UMF_RESULT_SUCCESS) {
                model[model_n++] = (struct model_range){b, s};
            }
        } else if (op < 5 && model_n) {
            int i = (int)(rand_r(&seed) % model_n);
            size_t size = 0;
            ck_assert_int_eq(
                tracker_remove(POOL(1), ADDR(model[i].base), &size), 0);
            ck_assert_uint_eq(size, model[i].size);
            model[i] = model[--model_n];
        } else if (op < 7 && model_n && model_n < MODEL_MAX) {
            int i = (int)(rand_r(&seed) % model_n);
            if (model[i].size < 2) {
                continue;
            }
            size_t first = 1 + rand_r(&seed) % (model[i].size - 1);
            ck_assert_int_eq(tracker_split(POOL(1), ADDR(model[i].base),
                                           model[i].size, first),
                             0);
            model[model_n++] = (struct model_range){model[i].base + first,
                                                    model[i].size - first};
            model[i].size = first;
        } else if (model_n) {
            int i = (int)(rand_r(&seed) % model_n);
            int j = model_find(model[i].base + model[i].size);
            if (j < 0) {
                continue;
            }
            size_t total = model[i].size + model[j].size;
            ck_assert_int_eq(tracker_merge(POOL(1), ADDR(model[i].base),
                                           ADDR(model[j].base), total, NULL),
                             0);
            model[i].size = total;
            model[j] = model[--model_n];
        }
        model_probe(&seed);
    }
    ck_assert_uint_eq(tracker_count(POOL(1)), (size_t)model_n);
}
END_TEST

/* Two writers add, split, merge and remove ranges in the same windows
 * (their ranges interleave page by page) while readers look up ranges that
 * stay: no reader may miss one, no writer may lose one of its own. */
#define SHARED_BASE 0x60000000
#define SHARED_PAGES 512
static volatile int stop_all;

static void *writer(void *arg) {
    uintptr_t t = (uintptr_t)arg;
    umf_memory_pool_handle_t pool = POOL(10 + t);
    long rounds = 300 / umf_test_slowdown();
    for (long round = 0; round < rounds; round++) {
        /* pages of this thread: 4t+1 and 4t+2 of every 8 (0 and 4 stay) */
        for (uintptr_t p = 0; p < SHARED_PAGES; p += 8) {
            uintptr_t b = SHARED_BASE + (p + 4 * t + 1) * 0x1000;
            if (tracker_add(pool, ADDR(b), 0x2000) != 0 ||
                tracker_split(pool, ADDR(b), 0x2000, 0x1000) != 0) {
                return (void *)1;
            }
        }
        for (uintptr_t p = 0; p < SHARED_PAGES; p += 8) {
            uintptr_t b = SHARED_BASE + (p + 4 * t + 1) * 0x1000;
            tracker_alloc_info_t info;
            if (tracker_find(ADDR(b + 0x1800), &info) != 0 ||
                info.pool != pool || info.base != ADDR(b + 0x1000) ||
                tracker_merge(pool, ADDR(b), ADDR(b + 0x1000), 0x2000, NULL) !=
                    0 ||
                tracker_remove(pool, ADDR(b), NULL) != 0) {
                return (void *)2;
            }
        }
    }
    return NULL;
}

static void *stable_reader(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    long misses = 0;
    for (unsigned n = 1; !__atomic_load_n(&stop_all, __ATOMIC_RELAXED); n++) {
        if (n % 64 == 0) {
            sched_yield(); /* valgrind runs one thread at a time */
        }
        uintptr_t p = (rand_r(&seed) % (SHARED_PAGES / 4)) * 4;
        tracker_alloc_info_t info;
        if (tracker_find(ADDR(SHARED_BASE + p * 0x1000 + 0x10), &info) != 0 ||
            info.pool != POOL(1)) {
            misses++;
        }
    }
    return (void *)misses;
}

START_TEST(test_concurrent_writers) {
    for (uintptr_t p = 0; p < SHARED_PAGES; p += 4) {
        ck_assert_int_eq(
            tracker_add(POOL(1), ADDR(SHARED_BASE + p * 0x1000), 0x1000), 0);
    }
    stop_all = 0;
    pthread_t readers[2], writers[2];
    for (uintptr_t t = 0; t < 2; t++) {
        pthread_create(&readers[t], NULL, stable_reader, (void *)(t + 1));
        pthread_create(&writers[t], NULL, writer, (void *)t);
    }
    for (int t = 0; t < 2; t++) {
        void *ret;
        pthread_join(writers[t], &ret);
        ck_assert_ptr_null(ret);
    }
    __atomic_store_n(&stop_all, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < 2; t++) {
        void *misses;
        pthread_join(readers[t], &misses);
        ck_assert_ptr_null(misses);
    }
    ck_assert_uint_eq(tracker_count(NULL), SHARED_PAGES / 4);
}
END_TEST

/* A range that crosses into the next window is split and merged back over
 * and over (the high part starts in the second window) while readers look
 * up an address of the high part: present all along, it must never be
 * missed, whether a lookup meets the whole range through a cover or the
 * high part in the leaf. */
#define SPLIT_BLOCKS 64
#define SPLIT_BLOCK(k) (0x50000000 + (uintptr_t)(k)*0x20000)

static void *splitter(void *arg) {
    (void)arg;
    long rounds = 2000 / umf_test_slowdown();
    for (long round = 0; round < rounds; round++) {
        for (int k = 0; k < SPLIT_BLOCKS; k++) {
            if (tracker_split(POOL(3), ADDR(SPLIT_BLOCK(k)), 0x12000,
                              0x10800) != 0 ||
                tracker_merge(POOL(3), ADDR(SPLIT_BLOCK(k)),
                              ADDR(SPLIT_BLOCK(k) + 0x10800), 0x12000,
                              NULL) != 0) {
                return (void *)1;
            }
        }
    }
    return NULL;
}

static void *high_part_reader(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    long misses = 0;
    for (unsigned n = 1; !__atomic_load_n(&stop_all, __ATOMIC_RELAXED); n++) {
        if (n % 64 == 0) {
            sched_yield();
        }
        int k = (int)(rand_r(&seed) % SPLIT_BLOCKS);
        tracker_alloc_info_t info;
        if (tracker_find(ADDR(SPLIT_BLOCK(k) + 0x11000), &info) != 0 ||
            info.pool != POOL(3)) {
            misses++;
        }
    }
    return (void *)misses;
}

START_TEST(test_split_visibility) {
    for (int k = 0; k < SPLIT_BLOCKS; k++) {
        ck_assert_int_eq(tracker_add(POOL(3), ADDR(SPLIT_BLOCK(k)), 0x12000),
                         0);
        ck_assert_int_eq(
            tracker_add(POOL(1), ADDR(SPLIT_BLOCK(k) + 0x18000), 0x1000), 0);
    }
    stop_all = 0;
    pthread_t readers[2], split_thread;
    for (uintptr_t t = 0; t < 2; t++) {
        pthread_create(&readers[t], NULL, high_part_reader, (void *)(t + 1));
    }
    pthread_create(&split_thread, NULL, splitter, NULL);
    void *ret;
    pthread_join(split_thread, &ret);
    ck_assert_ptr_null(ret);
    __atomic_store_n(&stop_all, 1, __ATOMIC_RELAXED);
    for (int t = 0; t < 2; t++) {
        pthread_join(readers[t], &ret);
        ck_assert_ptr_null(ret);
    }
}
END_TEST

/* More ranges than one release batch, on two levels: the parents of the
 * released nested ranges can go afterwards. */
START_TEST(test_release_batches) {
    for (uintptr_t i = 0; i < 200; i++) {
        uintptr_t b = 0x30000000 + i * 0x10000;
        ck_assert_int_eq(tracker_add(POOL(2), ADDR(b), 0x8000), 0);
        ck_assert_int_eq(tracker_add(POOL(1), ADDR(b + 0x1000), 0x100), 0);
        ck_assert_int_eq(tracker_add(POOL(1), ADDR(b + 0x9000), 0x100), 0);
    }
    tracker_alloc_info_t info;
    ck_assert(find(0x30000000 + 0x1010, &info) && info.level == 1);
    size_t bytes = 0;
    ck_assert_uint_eq(tracker_release_pool(POOL(1), count_release, &bytes),
                      400);
    ck_assert_uint_eq(bytes, 400 * 0x100);
    ck_assert_uint_eq(tracker_count(NULL), 200);
    ck_assert(find(0x30000000 + 0x1010, &info) && info.level == 0);
    for (uintptr_t i = 0; i < 200; i++) {
        ck_assert_int_eq(
            tracker_remove(POOL(2), ADDR(0x30000000 + i * 0x10000), NULL), 0);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("tracker_tree");
    TCase *tc = tcase_create("tree");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_dense_window);
    tcase_add_test(tc, test_huge_ranges);
    tcase_add_test(tc, test_random_model);
    tcase_add_test(tc, test_concurrent_writers);
    tcase_add_test(tc, test_split_visibility);
    tcase_add_test(tc, test_release_batches);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
}
