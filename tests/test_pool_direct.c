/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_direct.c -- direct paths (lib/core/pool_direct_internal.h): a
 * test pool offers one the way a built-in pool does, and umfPoolMalloc,
 * umfPoolFree and umfFree are shown to take it by counting the calls of
 * the pool's ops and of its direct entry points. Also: a copied and
 * changed ops table keeps its own paths, offering twice is harmless, a
 * second setup for the same ops is refused, concurrent offers make one
 * entry each, and a full registry refuses with a log line (in a child
 * process, which starts with an empty registry). White-box: links
 * lib/libumf_internal.la. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <umf/memory_pool.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_scalable.h>

#include "core/memory_pool_internal.h"
#include "core/pool_direct_internal.h"
#include "test_helpers.h"
#include "test_providers.h"
#include "util/tsan_pages_internal.h"

/* The test pool hands out blocks of BLOCK bytes from its provider. */
#define BLOCK 64

typedef struct test_pool_t {
    umf_memory_provider_handle_t provider;
} test_pool_t;

/* calls counted per process (Check forks each test) */
static unsigned n_ops_malloc, n_ops_free, n_changed_malloc;
static unsigned n_direct_malloc, n_direct_free, n_setup, n_other_setup;
static void *setup_priv; /* what the last setup was given */

static umf_result_t tp_init(umf_memory_provider_handle_t provider, void *params,
                            void **pool) {
    (void)params;
    test_pool_t *p = calloc(1, sizeof(*p));
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->provider = provider;
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static void tp_finalize(void *pool) { free(pool); }

static void *tp_block(test_pool_t *p, size_t size) {
    void *ptr = NULL;
    if (size > BLOCK || umfMemoryProviderAlloc(p->provider, BLOCK, 0, &ptr) !=
                            UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return ptr;
}

static void *tp_malloc(void *pool, size_t size) {
    n_ops_malloc++;
    return tp_block(pool, size);
}

static void *tp_changed_malloc(void *pool, size_t size) {
    n_changed_malloc++;
    return tp_block(pool, size);
}

static void *tp_calloc(void *pool, size_t num, size_t size) {
    (void)pool;
    (void)num;
    (void)size;
    return NULL;
}

static void *tp_realloc(void *pool, void *ptr, size_t size) {
    (void)pool;
    (void)ptr;
    (void)size;
    return NULL;
}

static void *tp_aligned_malloc(void *pool, size_t size, size_t alignment) {
    (void)alignment;
    return tp_malloc(pool, size);
}

static size_t tp_usable_size(void *pool, void *ptr) {
    (void)pool;
    return ptr ? BLOCK : 0;
}

static umf_result_t tp_free(void *pool, void *ptr) {
    n_ops_free++;
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    return umfMemoryProviderFree(((test_pool_t *)pool)->provider, ptr, BLOCK);
}

static umf_result_t tp_last_error(void *pool) {
    (void)pool;
    return UMF_RESULT_SUCCESS;
}

static void *tp_direct_malloc(void *pool, size_t size) {
    n_direct_malloc++;
    return tp_block(pool, size);
}

static bool tp_direct_free(void *pool, void *ptr) {
    n_direct_free++;
    return umfMemoryProviderFree(((test_pool_t *)pool)->provider, ptr, BLOCK) ==
           UMF_RESULT_SUCCESS;
}

/* What a built-in pool's setup does: only its own, unchanged ops. */
static void tp_setup(const umf_memory_pool_ops_t *ops, void *pool_priv,
                     pool_direct_ops_t *direct) {
    n_setup++;
    setup_priv = pool_priv;
    if (ops->malloc != tp_malloc || ops->free != tp_free) {
        return;
    }
    *direct = (pool_direct_ops_t){
        .size_limit = BLOCK + 1,
        .malloc = tp_direct_malloc,
        .free = tp_direct_free,
    };
}

static void tp_other_setup(const umf_memory_pool_ops_t *ops, void *pool_priv,
                           pool_direct_ops_t *direct) {
    (void)ops;
    (void)pool_priv;
    (void)direct;
    n_other_setup++;
}

/* Distinct initialize functions: the registry's keys. */
#define TP_INIT(i)                                                             \
    static umf_result_t tp_init_##i(umf_memory_provider_handle_t provider,     \
                                    void *params, void **pool) {               \
        return tp_init(provider, params, pool);                                \
    }
TP_INIT(0)
TP_INIT(1)
TP_INIT(2)
TP_INIT(3)
TP_INIT(4)
TP_INIT(5)
TP_INIT(6)
TP_INIT(7)
TP_INIT(8)
TP_INIT(9)

typedef umf_result_t (*tp_init_fn)(umf_memory_provider_handle_t, void *,
                                   void **);
static const tp_init_fn tp_inits[] = {
    tp_init_0, tp_init_1, tp_init_2, tp_init_3, tp_init_4,
    tp_init_5, tp_init_6, tp_init_7, tp_init_8, tp_init_9,
};
#define TP_KEYS (sizeof(tp_inits) / sizeof(tp_inits[0]))

/* The test pool's ops with key i (TP_KEYS: tp_init itself). */
static umf_memory_pool_ops_t tp_ops(unsigned i) {
    umf_memory_pool_ops_t ops = {
        .version = UMF_POOL_OPS_VERSION_CURRENT,
        .initialize = i < TP_KEYS ? tp_inits[i] : tp_init,
        .finalize = tp_finalize,
        .malloc = tp_malloc,
        .calloc = tp_calloc,
        .realloc = tp_realloc,
        .aligned_malloc = tp_aligned_malloc,
        .malloc_usable_size = tp_usable_size,
        .free = tp_free,
        .get_last_allocation_error = tp_last_error,
    };
    return ops;
}

static umf_memory_provider_handle_t provider;

/* no Check assertion: the child scenarios run outside a test */
static bool provider_open(void) {
    return umfMemoryProviderCreate(umf_test_malloc_provider_ops(), NULL,
                                   &provider) == UMF_RESULT_SUCCESS;
}

static void provider_setup(void) { ck_assert(provider_open()); }

static void provider_teardown(void) { umfMemoryProviderDestroy(provider); }

static umf_memory_pool_handle_t make_pool(const umf_memory_pool_ops_t *ops) {
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(ops, provider, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    return pool;
}

static void reset_counts(void) {
    n_ops_malloc = n_ops_free = n_changed_malloc = 0;
    n_direct_malloc = n_direct_free = n_setup = n_other_setup = 0;
}

START_TEST(direct_path_taken) {
    umf_memory_pool_ops_t ops = tp_ops(TP_KEYS);
    ck_assert(pool_direct_offer(&ops, tp_setup));
    reset_counts();
    umf_memory_pool_handle_t pool = make_pool(&ops);
    ck_assert_uint_eq(n_setup, 1);
    ck_assert_ptr_nonnull(setup_priv); /* the pool's own handle */

    void *a = umfPoolMalloc(pool, 32);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(n_direct_malloc, 1);
    ck_assert_uint_eq(n_ops_malloc, 0);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_direct_free, 1);
    ck_assert_uint_eq(n_ops_free, 0);

    /* umfFree finds the pool in the tracker and takes the same path */
    void *b = umfPoolMalloc(pool, BLOCK);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n_direct_malloc, 2);
    ck_assert_int_eq(umfFree(b), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_direct_free, 2);
    ck_assert_uint_eq(n_ops_free, 0);

    /* at size_limit and above, the pool's own malloc */
    ck_assert_ptr_null(umfPoolMalloc(pool, BLOCK + 1));
    ck_assert_uint_eq(n_ops_malloc, 1);
    ck_assert_uint_eq(n_direct_malloc, 2);

    /* free(NULL) reaches the pool's op, never the direct free */
    ck_assert_int_eq(umfPoolFree(pool, NULL), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_ops_free, 1);
    ck_assert_uint_eq(n_direct_free, 2);

    /* the other entry points are the ops' own */
    void *c = umfPoolAlignedMalloc(pool, 16, 16);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(n_ops_malloc, 2);
    ck_assert_int_eq(umfPoolFree(pool, c), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);
}
END_TEST

START_TEST(changed_copy_keeps_its_ops) {
    umf_memory_pool_ops_t ops = tp_ops(TP_KEYS);
    ck_assert(pool_direct_offer(&ops, tp_setup));
    umf_memory_pool_ops_t changed = ops; /* same initialize: same key */
    changed.malloc = tp_changed_malloc;
    reset_counts();
    umf_memory_pool_handle_t pool = make_pool(&changed);
    ck_assert_uint_eq(n_setup, 1); /* asked, and it declined */

    void *a = umfPoolMalloc(pool, 32);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(n_changed_malloc, 1);
    ck_assert_uint_eq(n_direct_malloc, 0);
    ck_assert_uint_eq(n_ops_malloc, 0);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_ops_free, 1);
    ck_assert_uint_eq(n_direct_free, 0);
    umfPoolDestroy(pool);

    /* an unchanged copy is the pool's own table: it gets the path */
    umf_memory_pool_ops_t copy = ops;
    reset_counts();
    pool = make_pool(&copy);
    a = umfPoolMalloc(pool, 32);
    ck_assert_uint_eq(n_direct_malloc, 1);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_direct_free, 1);
    umfPoolDestroy(pool);
}
END_TEST

START_TEST(not_offered_no_direct_path) {
    umf_memory_pool_ops_t offered = tp_ops(TP_KEYS);
    ck_assert(pool_direct_offer(&offered, tp_setup));
    umf_memory_pool_ops_t ops = tp_ops(0); /* another key, never offered */
    reset_counts();
    umf_memory_pool_handle_t pool = make_pool(&ops);
    ck_assert_uint_eq(n_setup, 0);
    void *a = umfPoolMalloc(pool, 32);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(n_ops_malloc, 1);
    ck_assert_uint_eq(n_direct_malloc, 0);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_ops_free, 1);
    ck_assert_uint_eq(n_direct_free, 0);
    umfPoolDestroy(pool);
}
END_TEST

START_TEST(offer_twice_harmless) {
    umf_memory_pool_ops_t ops = tp_ops(TP_KEYS);
    ck_assert(pool_direct_offer(&ops, tp_setup));
    ck_assert(pool_direct_offer(&ops, tp_setup));
    umf_memory_pool_ops_t copy = ops;
    ck_assert(pool_direct_offer(&copy, tp_setup)); /* same key */
    reset_counts();
    umf_memory_pool_handle_t pool = make_pool(&ops);
    ck_assert_uint_eq(n_setup, 1);
    void *a = umfPoolMalloc(pool, 8);
    ck_assert_uint_eq(n_direct_malloc, 1);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(n_direct_free, 1);
    umfPoolDestroy(pool);
}
END_TEST

START_TEST(bad_offers_refused) {
    umf_memory_pool_ops_t ops = tp_ops(TP_KEYS);
    ck_assert(!pool_direct_offer(NULL, tp_setup));
    ck_assert(!pool_direct_offer(&ops, NULL));
    umf_memory_pool_ops_t no_init = ops;
    no_init.initialize = NULL;
    ck_assert(!pool_direct_offer(&no_init, tp_setup));
}
END_TEST

static void *changed_scalable_malloc(void *pool, size_t size) {
    return umfScalablePoolOps()->malloc(pool, size);
}

/* The built-in pool that has a direct path offers it itself, through the
 * only way to its ops; not in TSan builds, nor for a changed copy. */
START_TEST(scalable_pool_offers_its_own) {
    const umf_memory_pool_ops_t *ops = umfScalablePoolOps();
    if (!ops) {
        printf("scalable pool configured out: nothing offered\n");
        return;
    }
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t r = umfPoolCreate(ops, provider, NULL, 0, &pool);
    if (r == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        printf("libtbbmalloc.so.2 missing: the direct path is not set up\n");
        return;
    }
    ck_assert_int_eq(r, UMF_RESULT_SUCCESS);
#ifdef UMF_TSAN_POOL
    ck_assert_ptr_null(pool->direct.malloc);
#else
    ck_assert_ptr_nonnull(pool->direct.malloc);
    ck_assert_ptr_nonnull(pool->direct.free);
#endif
    void *a = umfPoolMalloc(pool, 40);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);

    umf_memory_pool_ops_t changed = *ops;
    changed.malloc = changed_scalable_malloc;
    ck_assert_int_eq(umfPoolCreate(&changed, provider, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(pool->direct.malloc);
    ck_assert_ptr_null(pool->direct.free);
    umfPoolDestroy(pool);
}
END_TEST

typedef struct offer_arg_t {
    unsigned first, count;
    int ok;
} offer_arg_t;

static void *offer_thread(void *arg) {
    offer_arg_t *a = arg;
    a->ok = 1;
    for (unsigned round = 0; round < 200; round++) {
        for (unsigned k = a->first; k < a->first + a->count; k++) {
            umf_memory_pool_ops_t ops = tp_ops(k);
            a->ok &= pool_direct_offer(&ops, tp_setup);
        }
    }
    return NULL;
}

/* ---- in a child process: an empty registry, and what is logged ---- */

/* A pool of ops allocates and frees one block; was the direct path taken
 * (want_direct) or the ops' own? Outside Check: true or false. */
static bool round_trip(const umf_memory_pool_ops_t *ops, bool want_direct) {
    reset_counts();
    umf_memory_pool_handle_t pool = NULL;
    if (umfPoolCreate(ops, provider, NULL, 0, &pool) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfPoolCreate failed\n");
        return false;
    }
    void *a = umfPoolMalloc(pool, 8);
    bool ok = a && umfPoolFree(pool, a) == UMF_RESULT_SUCCESS;
    unsigned d = want_direct ? 1 : 0;
    ok = ok && n_direct_malloc == d && n_direct_free == d &&
         n_ops_malloc == 1 - d && n_ops_free == 1 - d;
    if (!ok) {
        fprintf(stderr, "direct %u/%u, ops %u/%u, wanted direct: %d\n",
                n_direct_malloc, n_direct_free, n_ops_malloc, n_ops_free,
                (int)want_direct);
    }
    umfPoolDestroy(pool);
    return ok;
}

/* Offer keys [first, end); how many offers were accepted. */
static unsigned offer_keys(unsigned first, unsigned end) {
    unsigned accepted = 0;
    for (unsigned k = first; k < end; k++) {
        umf_memory_pool_ops_t ops = tp_ops(k);
        accepted += pool_direct_offer(&ops, tp_setup);
    }
    return accepted;
}

/* Two threads offer the same four keys at once: one entry each, so there
 * is room left for exactly POOL_DIRECT_MAX - 4 more. */
static int child_concurrent(void) {
    if (!provider_open()) {
        return 10;
    }
    offer_arg_t args[2] = {{0, 4, 0}, {0, 4, 0}};
    if (umf_test_run_threads(2, offer_thread, args, sizeof(args[0])) != 0 ||
        !args[0].ok || !args[1].ok) {
        return 1;
    }
    for (unsigned k = 0; k < 4; k++) {
        umf_memory_pool_ops_t ops = tp_ops(k);
        if (!round_trip(&ops, true)) {
            return 3;
        }
    }
    /* the registry holds 4: exactly the rest fit */
    if (offer_keys(4, POOL_DIRECT_MAX) != POOL_DIRECT_MAX - 4 ||
        offer_keys(POOL_DIRECT_MAX, POOL_DIRECT_MAX + 1) != 0) {
        return 4;
    }
    provider_teardown();
    return 0;
}

/* Fill the registry; the offer past its end fails, and that pool works
 * through its own ops; the registered ones keep their direct paths. */
static int child_overflow(void) {
    if (!provider_open()) {
        return 10;
    }
    if (TP_KEYS < POOL_DIRECT_MAX + 1) {
        fprintf(stderr, "the test has too few keys\n");
        return 9;
    }
    unsigned accepted = offer_keys(0, POOL_DIRECT_MAX);
    if (accepted != POOL_DIRECT_MAX) {
        fprintf(stderr, "%u of %d offers accepted\n", accepted,
                POOL_DIRECT_MAX);
        return 1;
    }
    if (offer_keys(POOL_DIRECT_MAX, POOL_DIRECT_MAX + 1) != 0) {
        fprintf(stderr, "an offer past the registry's end was accepted\n");
        return 2;
    }
    umf_memory_pool_ops_t extra = tp_ops(POOL_DIRECT_MAX);
    umf_memory_pool_ops_t last = tp_ops(POOL_DIRECT_MAX - 1);
    if (!round_trip(&extra, false) || !round_trip(&last, true)) {
        return 4;
    }
    provider_teardown();
    return 0;
}

/* A second setup for the same key is refused; the first one stays. */
static int child_conflict(void) {
    if (!provider_open()) {
        return 10;
    }
    umf_memory_pool_ops_t ops = tp_ops(TP_KEYS);
    if (!pool_direct_offer(&ops, tp_setup) ||
        pool_direct_offer(&ops, tp_other_setup)) {
        return 1;
    }
    /* the first setup runs, and fills the direct path */
    bool ok = round_trip(&ops, true) && n_setup == 1 && n_other_setup == 0;
    provider_teardown();
    return ok ? 0 : 3;
}

static int child_main(const char *scenario) {
    if (strcmp(scenario, "overflow") == 0) {
        return child_overflow();
    }
    if (strcmp(scenario, "conflict") == 0) {
        return child_conflict();
    }
    if (strcmp(scenario, "concurrent") == 0) {
        return child_concurrent();
    }
    fprintf(stderr, "unknown scenario %s\n", scenario);
    return 100;
}

static void check_child(const char *scenario, const char *logged) {
    int status = 0;
    char *text = umf_test_run_child(scenario, "warning", NULL, NULL, &status);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %s: status %d; log:\n%s", scenario, status, text);
    ck_assert_msg(strstr(text, logged) != NULL,
                  "child %s logged no \"%s\"; log:\n%s", scenario, logged,
                  text);
    free(text);
}

START_TEST(overflow_refused_and_logged) {
    check_child("overflow", "no room for another pool's direct path");
}
END_TEST

START_TEST(concurrent_offers_one_entry_each) {
    check_child("concurrent", "no room for another pool's direct path");
}
END_TEST

START_TEST(second_setup_refused_and_logged) {
    check_child("conflict", "a second direct path for the same initialize op");
}
END_TEST

static Suite *pool_direct_suite(void) {
    Suite *s = suite_create("pool_direct");
    TCase *tc = tcase_create("paths");
    tcase_add_checked_fixture(tc, provider_setup, provider_teardown);
    tcase_add_test(tc, direct_path_taken);
    tcase_add_test(tc, changed_copy_keeps_its_ops);
    tcase_add_test(tc, not_offered_no_direct_path);
    tcase_add_test(tc, offer_twice_harmless);
    tcase_add_test(tc, scalable_pool_offers_its_own);
    suite_add_tcase(s, tc);

    tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, provider_setup, provider_teardown);
    tcase_add_test(tc, bad_offers_refused);
    tcase_add_test(tc, concurrent_offers_one_entry_each);
    tcase_add_test(tc, overflow_refused_and_logged);
    tcase_add_test(tc, second_setup_refused_and_logged);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, pool_direct_suite, child_main);
}
