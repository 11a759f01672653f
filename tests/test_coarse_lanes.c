/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_coarse_lanes.c -- white-box tests of the coarse allocator's
 * per-thread lanes: a freed block cached for its thread, frees validated
 * without the instance lock, double frees and splits of cached blocks
 * refused, the cache given back before an allocation fails, threads'
 * blocks in windows of their own, fork, and threads freeing each other's
 * blocks. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/coarse_internal.h"

#define WINDOW ((uintptr_t)64 * 1024)

static size_t P; /* page size */

/* An instance over npages read-write pages aligned to 64 KiB. */
static coarse_t *new_instance(size_t npages, char **base) {
    size_t len = npages * P + WINDOW;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ck_assert_ptr_ne(p, MAP_FAILED);
    *base = (char *)(((uintptr_t)p + WINDOW - 1) & ~(WINDOW - 1));
    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = P;
    cp.name = "lanes";
    coarse_t *c = NULL;
    ck_assert_int_eq(coarse_new(&cp, &c), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_add_memory_fixed(c, *base, npages * P),
                     UMF_RESULT_SUCCESS);
    return c;
}

static coarse_t *new_with_lanes(size_t npages, char **base) {
    coarse_t *c = new_instance(npages, base);
    ck_assert_int_eq(coarse_start_lanes(c), UMF_RESULT_SUCCESS);
    return c;
}

static void *alloc_ok(coarse_t *c, size_t size) {
    void *p = NULL;
    ck_assert_int_eq(coarse_alloc(c, size, 0, &p), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* All of [base, +npages) free and in one piece. */
static void expect_whole(coarse_t *c, size_t npages) {
    coarse_stats_t s = coarse_get_stats(c);
    ck_assert_uint_eq(s.alloc_size, npages * P);
    ck_assert_uint_eq(s.used_size, 0);
    ck_assert_uint_eq(s.num_all_blocks, 1);
    ck_assert_uint_eq(s.num_free_blocks, 1);
}

/* Everything was freed: the whole range can be had in one piece (what the
 * lanes keep merges back first), and is whole again once freed. */
static void expect_merges_back(coarse_t *c, char *base, size_t npages) {
    ck_assert_uint_eq(coarse_get_stats(c).used_size, 0);
    ck_assert_ptr_eq(alloc_ok(c, npages * P), base);
    ck_assert_int_eq(coarse_free(c, base, 0), UMF_RESULT_SUCCESS);
    expect_whole(c, npages);
}

START_TEST(test_start_lanes_null) {
    ck_assert_int_eq(coarse_start_lanes(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(test_cached_block_reused_and_guarded) {
    char *base;
    coarse_t *c = new_with_lanes(64, &base);
    char *a = alloc_ok(c, P);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);

    /* cached: free to the user of the instance */
    coarse_stats_t s = coarse_get_stats(c);
    ck_assert_uint_eq(s.used_size, 0);
    ck_assert(!coarse_is_allocated_range(c, a, P));
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(coarse_split(c, a, P, P / 2),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* the thread's next allocation of that size gets it back */
    ck_assert_ptr_eq(alloc_ok(c, P), a);
    ck_assert(coarse_is_allocated_range(c, a, P));
    ck_assert_uint_eq(coarse_get_stats(c).used_size, P);

    /* a wrong size is refused on the lane's path and changes nothing */
    ck_assert_int_eq(coarse_free(c, a, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert(coarse_is_allocated_range(c, a, P));
    ck_assert_int_eq(coarse_free(c, a, 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, 0), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    coarse_delete(c);
}
END_TEST

START_TEST(test_other_size_comes_from_the_instance) {
    char *base;
    coarse_t *c = new_with_lanes(64, &base);
    char *a = alloc_ok(c, P);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    char *b = alloc_ok(c, 2 * P); /* not the cached page */
    ck_assert_ptr_ne(a, b);
    ck_assert(!coarse_is_allocated_range(c, a, P));
    ck_assert_int_eq(coarse_free(c, b, 2 * P), UMF_RESULT_SUCCESS);
    coarse_delete(c);
}
END_TEST

START_TEST(test_cache_given_back_before_failing) {
    enum { N = 32 };
    char *base;
    coarse_t *c = new_with_lanes(N, &base);
    void *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = alloc_ok(c, P);
    }
    void *p = NULL;
    ck_assert_int_eq(coarse_alloc(c, P, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(coarse_free(c, blocks[i], P), UMF_RESULT_SUCCESS);
    }
    /* the whole range at once: the lane's cached pages merge back */
    expect_merges_back(c, base, N);
    coarse_delete(c);
}
END_TEST

START_TEST(test_large_block_not_cached) {
    enum { N = 256 };
    char *base;
    coarse_t *c = new_with_lanes(N, &base);
    size_t big = 512 * 1024 > N * P ? N * P : 512 * 1024;
    void *a = alloc_ok(c, big);
    ck_assert_int_eq(coarse_free(c, a, big), UMF_RESULT_SUCCESS);
    expect_whole(c, N);
    coarse_delete(c);
}
END_TEST

START_TEST(test_split_and_merge_leave_the_lane) {
    char *base;
    coarse_t *c = new_with_lanes(64, &base);
    char *a = alloc_ok(c, 2 * P);
    ck_assert_int_eq(coarse_split(c, a, 2 * P, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a + P, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);

    /* a cached block cannot be merged with its allocated neighbour */
    char *x = alloc_ok(c, P);
    char *y = alloc_ok(c, P);
    char *lo = x < y ? x : y;
    char *hi = x < y ? y : x;
    ck_assert_ptr_eq(hi, lo + P);
    ck_assert_int_eq(coarse_free(c, lo, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_merge(c, lo, hi, 2 * P),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* two allocated ones can, handed out by the lane or not */
    ck_assert_ptr_eq(alloc_ok(c, P), lo);
    ck_assert_int_eq(coarse_merge(c, lo, hi, 2 * P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, lo, 2 * P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, hi, P), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    expect_merges_back(c, base, 64);
    coarse_delete(c);
}
END_TEST

typedef struct thread_arg_t {
    coarse_t *c;
    void *block;
    int free_it;
} thread_arg_t;

static void *alloc_in_thread(void *arg) {
    thread_arg_t *t = arg;
    t->block = NULL;
    if (coarse_alloc(t->c, P, 0, &t->block) != UMF_RESULT_SUCCESS) {
        t->block = NULL;
    } else if (t->free_it && coarse_free(t->c, t->block, P)) {
        t->block = NULL;
    }
    return NULL;
}

static void *run_thread(coarse_t *c, int free_it) {
    thread_arg_t t = {c, NULL, free_it};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, alloc_in_thread, &t), 0);
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_ptr_nonnull(t.block);
    return t.block;
}

START_TEST(test_free_from_another_thread) {
    char *base;
    coarse_t *c = new_with_lanes(64, &base);
    /* handed out by the other thread's lane, freed here */
    void *a = run_thread(c, 0);
    ck_assert(coarse_is_allocated_range(c, a, P));
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* cached by the other thread's lane: a free here is a double free */
    void *b = run_thread(c, 1);
    ck_assert(!coarse_is_allocated_range(c, b, P));
    ck_assert_int_eq(coarse_free(c, b, P), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    expect_merges_back(c, base, 64);
    coarse_delete(c);
}
END_TEST

START_TEST(test_threads_get_windows_of_their_own) {
    size_t n = 4 * WINDOW / P;
    char *base;
    /* without lanes, one thread after the other: side by side */
    coarse_t *c = new_instance(n, &base);
    uintptr_t a1 = (uintptr_t)run_thread(c, 0);
    uintptr_t a2 = (uintptr_t)run_thread(c, 0);
    ck_assert_uint_eq(a2, a1 + P);
    coarse_delete(c);

    c = new_with_lanes(n, &base);
    a1 = (uintptr_t)run_thread(c, 0);
    a2 = (uintptr_t)run_thread(c, 0);
    ck_assert_uint_ne(a1 / WINDOW, a2 / WINDOW);
    /* a hole left in the first window is not taken by a third thread
     * while a larger free block has a window of its own */
    ck_assert_int_eq(coarse_free(c, (void *)a1, P), UMF_RESULT_SUCCESS);
    uintptr_t a3 = (uintptr_t)run_thread(c, 0);
    ck_assert_uint_ne(a3 / WINDOW, a2 / WINDOW);
    coarse_delete(c);
}
END_TEST

START_TEST(test_fork_with_lanes) {
    char *base;
    coarse_t *c = new_with_lanes(64, &base);
    void *a = alloc_ok(c, P);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    coarse_fork_prepare(c);
    pid_t pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        coarse_fork_child(c);
        void *p = NULL;
        int ok = coarse_alloc(c, P, 0, &p) == UMF_RESULT_SUCCESS && p == a &&
                 coarse_free(c, p, P) == UMF_RESULT_SUCCESS;
        _exit(ok ? 0 : 1);
    }
    coarse_fork_parent(c);
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_ptr_eq(alloc_ok(c, P), a);
    ck_assert_int_eq(coarse_free(c, a, P), UMF_RESULT_SUCCESS);
    coarse_delete(c);
}
END_TEST

/* Two threads allocate, check and free blocks of 1..4 pages; a third of
 * their frees go to the other thread through a mailbox. */
#define MAILBOX 64

typedef struct stress_t {
    coarse_t *c;
    pthread_mutex_t lock;
    void *mail[2][MAILBOX];
    size_t mail_size[2][MAILBOX];
    int n_mail[2];
    int failures;
} stress_t;

typedef struct stress_arg_t {
    stress_t *s;
    int self;
} stress_arg_t;

static void check_and_free(stress_t *s, void *p, size_t size, int *failures) {
    unsigned char tag = (unsigned char)((uintptr_t)p >> 12);
    unsigned char *b = p;
    if (b[0] != tag || b[size - 1] != tag) {
        (*failures)++;
    }
    if (coarse_free(s->c, p, size) != UMF_RESULT_SUCCESS) {
        (*failures)++;
    }
}

static void drain(stress_t *s, int self, int *failures) {
    void *mail[MAILBOX];
    size_t sizes[MAILBOX];
    pthread_mutex_lock(&s->lock);
    int n = s->n_mail[self];
    memcpy(mail, s->mail[self], sizeof(void *) * (size_t)n);
    memcpy(sizes, s->mail_size[self], sizeof(size_t) * (size_t)n);
    s->n_mail[self] = 0;
    pthread_mutex_unlock(&s->lock);
    for (int i = 0; i < n; i++) {
        check_and_free(s, mail[i], sizes[i], failures);
    }
}

static void *stress_thread(void *arg) {
    enum { HOLD = 16, ITERS = 30000 };
    stress_arg_t *a = arg;
    stress_t *s = a->s;
    unsigned seed = 0x9e37u + (unsigned)a->self;
    void *held[HOLD] = {0};
    size_t sizes[HOLD] = {0};
    int failures = 0;
    for (int it = 0; it < ITERS; it++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = seed >> 8;
        int i = (int)(r % HOLD);
        if (held[i]) {
            int sent = 0;
            if (r % 3 == 0) {
                pthread_mutex_lock(&s->lock);
                int *n = &s->n_mail[!a->self];
                if (*n < MAILBOX) {
                    s->mail[!a->self][*n] = held[i];
                    s->mail_size[!a->self][*n] = sizes[i];
                    (*n)++;
                    sent = 1;
                }
                pthread_mutex_unlock(&s->lock);
            }
            if (!sent) {
                check_and_free(s, held[i], sizes[i], &failures);
            }
            held[i] = NULL;
        } else {
            size_t size = (1 + (r >> 4) % 4) * P;
            void *p = NULL;
            umf_result_t ret = coarse_alloc(s->c, size, 0, &p);
            if (ret == UMF_RESULT_SUCCESS) {
                memset(p, (unsigned char)((uintptr_t)p >> 12), size);
                held[i] = p;
                sizes[i] = size;
            } else if (ret != UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
                failures++;
            }
        }
        if (it % 16 == 0) {
            drain(s, a->self, &failures);
        }
    }
    for (int i = 0; i < HOLD; i++) {
        if (held[i]) {
            check_and_free(s, held[i], sizes[i], &failures);
        }
    }
    pthread_mutex_lock(&s->lock);
    s->failures += failures;
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

START_TEST(test_threads_free_each_others_blocks) {
    enum { N = 256 };
    stress_t s;
    memset(&s, 0, sizeof(s));
    char *base;
    s.c = new_with_lanes(N, &base);
    pthread_mutex_init(&s.lock, NULL);
    pthread_t th[2];
    stress_arg_t args[2] = {{&s, 0}, {&s, 1}};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, stress_thread, &args[i]),
                         0);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    }
    int failures = s.failures;
    for (int self = 0; self < 2; self++) {
        drain(&s, self, &failures);
    }
    ck_assert_int_eq(failures, 0);
    expect_merges_back(s.c, base, N);
    pthread_mutex_destroy(&s.lock);
    coarse_delete(s.c);
}
END_TEST

/* More threads than lanes: some lanes serve two threads at once. */
#define MANY_THREADS 20

static void *pairs_thread(void *arg) {
    coarse_t *c = arg;
    int failures = 0;
    for (int i = 0; i < 2000; i++) {
        size_t size = P * (size_t)(1 + i % 3);
        void *p = NULL;
        if (coarse_alloc(c, size, 0, &p) != UMF_RESULT_SUCCESS) {
            continue; /* the range is small: others may hold it all */
        }
        memset(p, 0x5a, P);
        if (coarse_free(c, p, size) != UMF_RESULT_SUCCESS) {
            failures++;
        }
    }
    return (void *)(intptr_t)failures;
}

START_TEST(test_more_threads_than_lanes) {
    enum { N = 128 };
    char *base;
    coarse_t *c = new_with_lanes(N, &base);
    pthread_t th[MANY_THREADS];
    for (int i = 0; i < MANY_THREADS; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, pairs_thread, c), 0);
    }
    for (int i = 0; i < MANY_THREADS; i++) {
        void *failures = NULL;
        ck_assert_int_eq(pthread_join(th[i], &failures), 0);
        ck_assert_ptr_null(failures);
    }
    expect_merges_back(c, base, N);
    coarse_delete(c);
}
END_TEST

static Suite *lanes_suite(void) {
    Suite *s = suite_create("coarse_lanes");
    TCase *tc = tcase_create("one_thread");
    tcase_add_test(tc, test_start_lanes_null);
    tcase_add_test(tc, test_cached_block_reused_and_guarded);
    tcase_add_test(tc, test_other_size_comes_from_the_instance);
    tcase_add_test(tc, test_cache_given_back_before_failing);
    tcase_add_test(tc, test_large_block_not_cached);
    tcase_add_test(tc, test_split_and_merge_leave_the_lane);
    tcase_add_test(tc, test_fork_with_lanes);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_free_from_another_thread);
    tcase_add_test(tc, test_threads_get_windows_of_their_own);
    tcase_add_test(tc, test_threads_free_each_others_blocks);
    tcase_add_test(tc, test_more_threads_than_lanes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    P = (size_t)sysconf(_SC_PAGESIZE);
    SRunner *sr = srunner_create(lanes_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
