/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_init_teardown.c -- library init/teardown through dlopen: umfInit and
 * umfTearDown reference counting, extra (wrong-order) teardowns, dlclose and
 * re-open, concurrent init/teardown, and handles that outlive teardown.
 *
 * This program does not link libumf (see tests/local.mk): every test opens
 * UMF_TEST_LIBDIR/libumf.so.0 itself, in its own forked child. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "test_helpers.h"

#ifndef UMF_TEST_LIBDIR
#error "UMF_TEST_LIBDIR must name the directory of libumf.so.0"
#endif
#define LIBUMF UMF_TEST_LIBDIR "/libumf.so.0"

/* The functions used, typed from the public declarations (never linked). */
#define UMF_FUNCS(X)                                                           \
    X(umfInit)                                                                 \
    X(umfTearDown)                                                             \
    X(umfGetCurrentVersion)                                                    \
    X(umfOsMemoryProviderParamsCreate)                                         \
    X(umfOsMemoryProviderParamsDestroy)                                        \
    X(umfOsMemoryProviderOps)                                                  \
    X(umfMemoryProviderCreate)                                                 \
    X(umfMemoryProviderDestroy)                                                \
    X(umfProxyPoolOps)                                                         \
    X(umfPoolCreate)                                                           \
    X(umfPoolDestroy)                                                          \
    X(umfPoolMalloc)                                                           \
    X(umfPoolFree)                                                             \
    X(umfPoolByPtr)                                                            \
    X(umfFree)

typedef struct umf_api_t {
    void *dl;
#define X(name) __typeof__(&name) name;
    UMF_FUNCS(X)
#undef X
} umf_api_t;

static void api_open(umf_api_t *api) {
    memset(api, 0, sizeof(*api));
    api->dl = dlopen(LIBUMF, RTLD_NOW | RTLD_LOCAL);
    ck_assert_msg(api->dl != NULL, "dlopen(%s): %s", LIBUMF, dlerror());
#define X(name)                                                                \
    api->name = (__typeof__(&name))dlsym(api->dl, #name);                      \
    ck_assert_msg(api->name != NULL, "dlsym(%s): %s", #name, dlerror());
    UMF_FUNCS(X)
#undef X
}

static void api_close(umf_api_t *api) {
    ck_assert_int_eq(dlclose(api->dl), 0);
    api->dl = NULL;
}

typedef struct env_t {
    umf_memory_provider_handle_t provider;
    umf_memory_pool_handle_t pool;
} env_t;

/* OS provider + proxy pool; returns 0 on success (no asserts: usable from
 * worker threads). */
static int env_create(const umf_api_t *api, env_t *e) {
    umf_os_memory_provider_params_handle_t params = NULL;
    e->provider = NULL;
    e->pool = NULL;
    if (api->umfOsMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    umf_result_t r = api->umfMemoryProviderCreate(api->umfOsMemoryProviderOps(),
                                                  params, &e->provider);
    api->umfOsMemoryProviderParamsDestroy(params);
    if (r != UMF_RESULT_SUCCESS) {
        return -2;
    }
    r = api->umfPoolCreate(api->umfProxyPoolOps(), e->provider, NULL,
                           UMF_POOL_CREATE_FLAG_NONE, &e->pool);
    if (r != UMF_RESULT_SUCCESS) {
        api->umfMemoryProviderDestroy(e->provider);
        return -3;
    }
    return 0;
}

/* allocate, look up, free; 0 on success */
static int env_use(const umf_api_t *api, const env_t *e) {
    char *p = api->umfPoolMalloc(e->pool, 5000);
    if (!p) {
        return -1;
    }
    memset(p, 0x3c, 5000);
    int rc = 0;
    if (api->umfPoolByPtr(p) != e->pool ||
        api->umfPoolByPtr(p + 4999) != e->pool) {
        rc = -2;
    }
    if (api->umfPoolFree(e->pool, p) != UMF_RESULT_SUCCESS) {
        rc = -3;
    }
    return rc;
}

static void env_destroy(const umf_api_t *api, env_t *e) {
    api->umfPoolDestroy(e->pool);
    api->umfMemoryProviderDestroy(e->provider);
}

static void env_roundtrip(const umf_api_t *api, const char *when) {
    env_t e;
    int rc = env_create(api, &e);
    ck_assert_msg(rc == 0, "%s: creating provider and pool failed (%d)", when,
                  rc);
    rc = env_use(api, &e);
    ck_assert_msg(rc == 0, "%s: using the pool failed (%d)", when, rc);
    env_destroy(api, &e);
}

/* ================================ tests ================================ */

START_TEST(version) {
    umf_api_t api;
    api_open(&api);
    ck_assert_int_eq(api.umfGetCurrentVersion(), 11);
    ck_assert_int_eq(api.umfGetCurrentVersion(), UMF_VERSION_CURRENT);
    api_close(&api);
}
END_TEST

START_TEST(init_teardown_ten_times) {
    umf_api_t api;
    api_open(&api);
    env_roundtrip(&api, "after dlopen");
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(api.umfInit(), 0);
        env_roundtrip(&api, "between umfInit calls");
    }
    for (int i = 0; i < 10; i++) {
        api.umfTearDown();
        /* the constructor's reference is still held */
        env_roundtrip(&api, "between umfTearDown calls");
    }
    /* drops the constructor's reference: real teardown */
    api.umfTearDown();
    /* and one more than ever taken: must be harmless */
    api.umfTearDown();
    /* the library comes back with umfInit */
    ck_assert_int_eq(api.umfInit(), 0);
    env_roundtrip(&api, "after re-init");
    api.umfTearDown();
    api_close(&api); /* the destructor's teardown is one more extra one */
}
END_TEST

START_TEST(extra_teardowns_do_not_wrap) {
    umf_api_t api;
    api_open(&api);
    for (int i = 0; i < 5; i++) {
        api.umfTearDown(); /* 1 real, then 4 extra */
    }
    /* a wrapped counter would make this init a no-op, or the next
     * teardown a real one while we still hold a reference */
    ck_assert_int_eq(api.umfInit(), 0);
    ck_assert_int_eq(api.umfInit(), 0);
    env_roundtrip(&api, "after extra teardowns and umfInit");
    api.umfTearDown();
    env_roundtrip(&api, "with one reference left");
    api.umfTearDown();
    api_close(&api);
}
END_TEST

START_TEST(dlclose_and_reopen) {
    for (int round = 0; round < 3; round++) {
        umf_api_t api;
        api_open(&api);
        ck_assert_int_eq(api.umfGetCurrentVersion(), 11);
        env_roundtrip(&api, "after (re)open");
        ck_assert_int_eq(api.umfInit(), 0);
        env_roundtrip(&api, "after umfInit");
        api.umfTearDown();
        api_close(&api);
    }
}
END_TEST

/* A pool and provider still alive when the reference count reaches zero. */
START_TEST(live_pool_at_teardown) {
    umf_api_t api;
    api_open(&api);
    env_t e;
    ck_assert_int_eq(env_create(&api, &e), 0);
    char *p = api.umfPoolMalloc(e.pool, 4096);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(api.umfPoolByPtr(p), e.pool);

    api.umfTearDown(); /* the constructor's reference: torn down */
    ck_assert_msg(api.umfPoolByPtr(p) == NULL,
                  "umfPoolByPtr finds a pool after teardown");
    ck_assert_int_eq(api.umfFree(p), UMF_RESULT_SUCCESS); /* untracked now */
    api.umfPoolDestroy(e.pool);                           /* must not crash */
    api.umfMemoryProviderDestroy(e.provider);             /* must not crash */
    api.umfPoolDestroy(e.pool); /* nor a second time */
    api.umfMemoryProviderDestroy(e.provider);

    /* re-initialised: new handles work and are tracked */
    ck_assert_int_eq(api.umfInit(), 0);
    env_t e2;
    ck_assert_int_eq(env_create(&api, &e2), 0);
    char *q = api.umfPoolMalloc(e2.pool, 100);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_eq(api.umfPoolByPtr(q), e2.pool);
    ck_assert_int_eq(api.umfFree(q), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(api.umfPoolByPtr(q));
    env_destroy(&api, &e2);
    api.umfTearDown();
    api_close(&api);
}
END_TEST

/* Teardown with live handles, then dlclose with them still around. */
START_TEST(live_pool_at_dlclose) {
    umf_api_t api;
    api_open(&api);
    env_t e;
    ck_assert_int_eq(env_create(&api, &e), 0);
    void *p = api.umfPoolMalloc(e.pool, 100);
    ck_assert_ptr_nonnull(p);
    api_close(&api); /* destructor runs with a live pool: no crash */
    api_open(&api);
    env_roundtrip(&api, "after reopening");
    api_close(&api);
}
END_TEST

typedef struct mt_arg_t {
    const umf_api_t *api;
    int failures;
    int first_rc;
} mt_arg_t;

static void *init_teardown_worker(void *arg) {
    mt_arg_t *a = arg;
    for (int i = 0; i < 40; i++) {
        if (a->api->umfInit() != 0) {
            a->failures++;
            continue;
        }
        env_t e;
        int rc = env_create(a->api, &e);
        if (rc == 0) {
            rc = env_use(a->api, &e);
            env_destroy(a->api, &e);
        }
        if (rc != 0 && a->failures++ == 0) {
            a->first_rc = rc;
        }
        a->api->umfTearDown();
    }
    return NULL;
}

START_TEST(concurrent_init_teardown) {
    umf_api_t api;
    api_open(&api);
    /* drop the constructor's reference so the workers' calls really
     * initialise and tear down, racing each other */
    api.umfTearDown();
    mt_arg_t args[8];
    for (int t = 0; t < 8; t++) {
        args[t].api = &api;
        args[t].failures = 0;
        args[t].first_rc = 0;
    }
    ck_assert_int_eq(
        umf_test_run_threads(8, init_teardown_worker, args, sizeof(args[0])),
        0);
    for (int t = 0; t < 8; t++) {
        ck_assert_msg(args[t].failures == 0,
                      "thread %d: %d failed rounds (first rc %d)", t,
                      args[t].failures, args[t].first_rc);
    }
    ck_assert_int_eq(api.umfInit(), 0);
    env_roundtrip(&api, "after the concurrent rounds");
    api.umfTearDown();
    api_close(&api);
}
END_TEST

static Suite *init_teardown_suite(void) {
    Suite *s = suite_create("init_teardown");
    TCase *tc = tcase_create("refcount");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, version);
    tcase_add_test(tc, init_teardown_ten_times);
    tcase_add_test(tc, extra_teardowns_do_not_wrap);
    tcase_add_test(tc, dlclose_and_reopen);
    suite_add_tcase(s, tc);
    tc = tcase_create("live_handles");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, live_pool_at_teardown);
    tcase_add_test(tc, live_pool_at_dlclose);
    suite_add_tcase(s, tc);
    tc = tcase_create("threads");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, concurrent_init_teardown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (access(LIBUMF, R_OK) != 0) {
        umf_test_skip(LIBUMF " is not built");
    }
    return umf_test_run_suite(init_teardown_suite());
}
