/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool_check.c -- foreign pointers and double destroy (issue 18 item
 * 4), with and without the checking mode UMF_CHECK=1.
 *
 * UMF_CHECK is read once per process, so each mode runs in a child
 * process (this program re-executed); the child returns 0 when every
 * expectation held, or the number of the first one that failed, and the
 * parent also reads what it logged.
 *
 * Without UMF_CHECK only what is defined is tested: the disjoint and proxy
 * pools recognise a pointer that is not theirs (their own address map, the
 * tracker lookup their free does anyway) and return INVALID_ARGUMENT. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#include "pool_kinds.h"
#include "test_helpers.h"
#include "test_providers.h"

#define EXPECT(cond, code)                                                     \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s: expectation %d failed: %s\n", kind, (code),   \
                    #cond);                                                    \
            return (code);                                                     \
        }                                                                      \
    } while (0)

/* Foreign pointers given to one pool: a stack address, a glibc block, a
 * block of another pool, an address inside no mapping of the pool. */
static int check_mode_pool(const char *kind) {
    umf_memory_provider_handle_t prov = umf_test_os_provider_create();
    umf_memory_pool_handle_t pool = NULL, other = NULL;
    umf_result_t r = pool_kind_create(kind, prov, 0, &pool);
    if (pool_kind_unavailable(r)) {
        umfMemoryProviderDestroy(prov);
        return 0;
    }
    EXPECT(r == UMF_RESULT_SUCCESS, 1);
    umf_memory_provider_handle_t prov2 = umf_test_os_provider_create();
    EXPECT(umfPoolCreate(umfProxyPoolOps(), prov2, NULL,
                         UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                         &other) == UMF_RESULT_SUCCESS,
           2);
    char stack_buf[64];
    void *glibc = malloc(100);
    void *theirs = umfPoolMalloc(other, 100);
    void *mine = umfPoolMalloc(pool, 100);
    EXPECT(glibc && theirs && mine, 3);
    void *foreign[] = {stack_buf, glibc, theirs};
    for (unsigned i = 0; i < 3; i++) {
        EXPECT(umfPoolFree(pool, foreign[i]) ==
                   UMF_RESULT_ERROR_INVALID_ARGUMENT,
               10 + (int)i);
        EXPECT(umfPoolRealloc(pool, foreign[i], 10) == NULL, 20 + (int)i);
        EXPECT(umfPoolMallocUsableSize(pool, foreign[i]) == 0, 30 + (int)i);
    }
    /* the pool and the other pool are unharmed */
    memset(mine, 1, 100);
    EXPECT(umfPoolByPtr(theirs) == other, 40);
    EXPECT(umfPoolFree(other, theirs) == UMF_RESULT_SUCCESS, 41);
    EXPECT(umfPoolFree(pool, mine) == UMF_RESULT_SUCCESS, 42);
    void *again = umfPoolMalloc(pool, 1000);
    EXPECT(again && umfPoolFree(pool, again) == UMF_RESULT_SUCCESS, 43);
    free(glibc);

    /* double destroy, and a destroyed handle */
    umfPoolDestroy(other);
    umfPoolDestroy(pool);
    umfPoolDestroy(pool);
    EXPECT(umfPoolFree(pool, stack_buf) == UMF_RESULT_ERROR_INVALID_ARGUMENT,
           50);
    EXPECT(umfPoolFree(pool, NULL) == UMF_RESULT_ERROR_INVALID_ARGUMENT, 51);
    EXPECT(umfPoolMalloc(pool, 10) == NULL, 52);
    EXPECT(umfPoolRealloc(pool, NULL, 10) == NULL, 53);
    EXPECT(umfPoolMallocUsableSize(pool, stack_buf) == 0, 54);
    umf_memory_provider_handle_t hp = NULL;
    EXPECT(umfPoolGetMemoryProvider(pool, &hp) ==
               UMF_RESULT_ERROR_INVALID_ARGUMENT,
           55);
    /* a handle that was never created */
    umfPoolDestroy((umf_memory_pool_handle_t)stack_buf);
    umfMemoryProviderDestroy(prov);
    return 0;
}

/* Checking mode with a pool that is not tracked: its pointers still pass
 * (the tracker cannot tell), and its handle is still checked. */
static int check_mode_untracked(void) {
    const char *kind = "disjoint";
    umf_memory_provider_handle_t prov = umf_test_os_provider_create();
    umf_memory_pool_handle_t pool = NULL;
    EXPECT(pool_kind_create(kind, prov,
                            UMF_POOL_CREATE_FLAG_OWN_PROVIDER |
                                UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
                            &pool) == UMF_RESULT_SUCCESS,
           60);
    void *p = umfPoolMalloc(pool, 64);
    EXPECT(p && umfPoolMallocUsableSize(pool, p) >= 64, 61);
    EXPECT(umfPoolFree(pool, p) == UMF_RESULT_SUCCESS, 62);
    umfPoolDestroy(pool);
    umfPoolDestroy(pool);
    return 0;
}

/* Without the checking mode: what is defined. */
static int plain_mode_pool(const char *kind) {
    umf_memory_provider_handle_t prov = umf_test_os_provider_create();
    umf_memory_pool_handle_t pool = NULL;
    EXPECT(pool_kind_create(kind, prov, UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                            &pool) == UMF_RESULT_SUCCESS,
           70);
    char stack_buf[64];
    void *glibc = malloc(100);
    void *mine = umfPoolMalloc(pool, 100);
    EXPECT(glibc && mine, 71);
    EXPECT(umfPoolFree(pool, stack_buf) == UMF_RESULT_ERROR_INVALID_ARGUMENT,
           72);
    EXPECT(umfPoolFree(pool, glibc) == UMF_RESULT_ERROR_INVALID_ARGUMENT, 73);
    EXPECT(umfPoolFree(pool, mine) == UMF_RESULT_SUCCESS, 74);
    free(glibc);
    umfPoolDestroy(pool);
    return 0;
}

static int child_main(const char *scenario) {
    if (strcmp(scenario, "check") == 0) {
        for (unsigned k = 0; k < POOL_KIND_COUNT; k++) {
            int rc = check_mode_pool(pool_kind_names[k]);
            if (rc) {
                return rc;
            }
        }
        return check_mode_untracked();
    }
    if (strcmp(scenario, "plain") == 0) {
        int rc = plain_mode_pool("disjoint");
        return rc ? rc : plain_mode_pool("proxy");
    }
    return 99;
}

static void run(const char *scenario, const char *check_value,
                const char *must_log, const char *must_not_log) {
    int st = 0;
    char *log =
        umf_test_run_child(scenario, "error", "UMF_CHECK", check_value, &st);
    ck_assert_msg(WIFEXITED(st), "the %s child died (signal %d)", scenario,
                  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    ck_assert_msg(WEXITSTATUS(st) == 0,
                  "%s: expectation %d failed (UMF_CHECK=%s)", scenario,
                  WEXITSTATUS(st), check_value ? check_value : "(unset)");
    if (must_log) {
        ck_assert_msg(strstr(log, must_log) != NULL, "no \"%s\" logged in:\n%s",
                      must_log, log);
    }
    if (must_not_log) {
        ck_assert_msg(strstr(log, must_not_log) == NULL,
                      "\"%s\" logged in:\n%s", must_not_log, log);
    }
    free(log);
}

START_TEST(test_check_mode) {
    run("check", "1", "UMF_CHECK: umfPoolFree", NULL);
}
END_TEST

START_TEST(test_check_mode_logs_double_destroy) {
    run("check", "1", "UMF_CHECK: umfPoolDestroy", NULL);
}
END_TEST

START_TEST(test_plain_mode_defined) { run("plain", NULL, NULL, "UMF_CHECK"); }
END_TEST

START_TEST(test_check_zero_is_off) { run("plain", "0", NULL, "UMF_CHECK"); }
END_TEST

static Suite *check_suite(void) {
    Suite *s = suite_create("pool_check");
    TCase *tc = tcase_create("foreign pointers and double destroy");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_check_mode);
    tcase_add_test(tc, test_check_mode_logs_double_destroy);
    tcase_add_test(tc, test_plain_mode_defined);
    tcase_add_test(tc, test_check_zero_is_off);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, check_suite, child_main);
}
