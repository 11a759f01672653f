/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* level_zero_helpers.h -- what the Level Zero provider tests need of the
 * Level Zero API and of the fake driver (tests/fakes/fake_ze_control.h).
 * Static functions: each program includes this once.
 *
 * The programs do not link libze_loader: they dlopen it as an application
 * may, so that a child can run with no loader, or a broken one, on its
 * LD_LIBRARY_PATH. lz_use_fake_driver() points ZE_ENABLE_ALT_DRIVERS at
 * the fake driver. */
#ifndef UMF_TEST_LEVEL_ZERO_HELPERS_H
#define UMF_TEST_LEVEL_ZERO_HELPERS_H 1

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ze_api.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_level_zero.h>

#include "fake_ze_control.h"

#ifndef UMF_TEST_FAKE_ZE_DRIVER
#error "UMF_TEST_FAKE_ZE_DRIVER must name the fake driver's .so"
#endif

typedef struct lz_t {
    void *loader;
    ze_result_t (*zeInit)(ze_init_flags_t);
    ze_result_t (*zeDriverGet)(uint32_t *, ze_driver_handle_t *);
    ze_result_t (*zeDeviceGet)(ze_driver_handle_t, uint32_t *,
                               ze_device_handle_t *);
    ze_result_t (*zeContextCreate)(ze_driver_handle_t,
                                   const ze_context_desc_t *,
                                   ze_context_handle_t *);
    ze_result_t (*zeContextDestroy)(ze_context_handle_t);
    ze_result_t (*zeMemGetAllocProperties)(ze_context_handle_t, const void *,
                                           ze_memory_allocation_properties_t *,
                                           ze_device_handle_t *);
    ze_driver_handle_t driver;
    ze_device_handle_t dev[FAKE_ZE_NUM_DEVICES];
    uint32_t num_devices;
    ze_context_handle_t ctx;
    /* the fake driver's controls */
    fake_ze_stats_fn stats;
    fake_ze_fail_allocs_fn fail_allocs;
} lz_t;

static lz_t lz;

/* Use the fake driver unless the environment names a driver; another
 * driver skips the program (exit 77): the tests touch device memory from
 * the host, which only the fake's device memory allows. */
static inline void lz_use_fake_driver(void) {
    const char *alt = getenv("ZE_ENABLE_ALT_DRIVERS");
    if (alt && strcmp(alt, UMF_TEST_FAKE_ZE_DRIVER) != 0) {
        printf("SKIP: these tests need the fake Level Zero driver (they "
               "touch device memory from the host); ZE_ENABLE_ALT_DRIVERS "
               "names %s\n",
               alt);
        exit(77);
    }
    setenv("ZE_ENABLE_ALT_DRIVERS", UMF_TEST_FAKE_ZE_DRIVER, 1);
}

/* Load the loader, zeInit, the driver, its devices and a context. Returns
 * NULL, or why Level Zero cannot be used here. */
static inline const char *lz_try_open(void) {
    if (lz.ctx) {
        return NULL;
    }
    lz.loader = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lz.loader) {
        return "libze_loader.so.1 cannot be loaded (apt-get install libze1)";
    }
    static const char *const names[] = {
        "zeInit",          "zeDriverGet",      "zeDeviceGet",
        "zeContextCreate", "zeContextDestroy", "zeMemGetAllocProperties"};
    void **slots[] = {
        (void **)&lz.zeInit,           (void **)&lz.zeDriverGet,
        (void **)&lz.zeDeviceGet,      (void **)&lz.zeContextCreate,
        (void **)&lz.zeContextDestroy, (void **)&lz.zeMemGetAllocProperties};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *slots[i] = dlsym(lz.loader, names[i]);
        if (!*slots[i]) {
            return "the Level Zero loader lacks an entry point";
        }
    }
    if (lz.zeInit(0) != ZE_RESULT_SUCCESS) {
        return "zeInit failed: no Level Zero driver";
    }
    uint32_t n = 1;
    if (lz.zeDriverGet(&n, &lz.driver) != ZE_RESULT_SUCCESS || n < 1) {
        return "no Level Zero driver";
    }
    n = FAKE_ZE_NUM_DEVICES;
    if (lz.zeDeviceGet(lz.driver, &n, lz.dev) != ZE_RESULT_SUCCESS || n < 1) {
        return "no Level Zero device";
    }
    lz.num_devices = n;
    ze_context_desc_t desc = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    if (lz.zeContextCreate(lz.driver, &desc, &lz.ctx) != ZE_RESULT_SUCCESS) {
        return "zeContextCreate failed";
    }
    void *fake =
        dlopen(getenv("ZE_ENABLE_ALT_DRIVERS") ?: "", RTLD_NOW | RTLD_NOLOAD);
    if (fake) {
        *(void **)&lz.stats = dlsym(fake, FAKE_ZE_STATS_SYMBOL);
        *(void **)&lz.fail_allocs = dlsym(fake, FAKE_ZE_FAIL_ALLOCS_SYMBOL);
        dlclose(fake); /* the loader still holds it */
    }
    return NULL;
}

/* lz_try_open that must work (fails the current test otherwise). */
static inline void lz_open(void) {
    const char *why = lz_try_open();
    ck_assert_msg(why == NULL, "Level Zero: %s", why ? why : "");
    ck_assert_msg(lz.stats && lz.fail_allocs,
                  "the fake driver's controls were not found");
}

#define LZ_STAT(field) __atomic_load_n(&lz.stats()->field, __ATOMIC_RELAXED)

/* Params for type on device dev_idx (-1: no device). */
static inline umf_level_zero_memory_provider_params_handle_t
lz_params(umf_usm_memory_type_t type, int dev_idx) {
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(&p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetContext(p, lz.ctx),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(p, type),
                     UMF_RESULT_SUCCESS);
    if (dev_idx >= 0) {
        ck_assert_int_eq(
            umfLevelZeroMemoryProviderParamsSetDevice(p, lz.dev[dev_idx]),
            UMF_RESULT_SUCCESS);
    }
    return p;
}

/* A provider of type memory (device 0 unless host) freeing with policy, or
 * NULL when creation fails. No assertion: the pool suite's rows and the
 * re-executed children (where Check's macros cannot run) call it. */
static inline umf_memory_provider_handle_t
lz_provider_try_policy(umf_usm_memory_type_t type,
                       umf_level_zero_memory_provider_free_policy_t policy) {
    if (lz_try_open()) {
        return NULL;
    }
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfLevelZeroMemoryProviderParamsCreate(&p) == UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetContext(p, lz.ctx) ==
            UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetMemoryType(p, type) ==
            UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetFreePolicy(p, policy) ==
            UMF_RESULT_SUCCESS &&
        (type == UMF_MEMORY_TYPE_HOST ||
         umfLevelZeroMemoryProviderParamsSetDevice(p, lz.dev[0]) ==
             UMF_RESULT_SUCCESS)) {
        umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, &prov);
    }
    umfLevelZeroMemoryProviderParamsDestroy(p);
    return prov;
}

static inline umf_memory_provider_handle_t
lz_provider_try(umf_usm_memory_type_t type) {
    return lz_provider_try_policy(
        type, UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT);
}

/* A provider from params p (destroyed here) that must be created. */
static inline umf_memory_provider_handle_t
lz_provider_from(umf_level_zero_memory_provider_params_handle_t p) {
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, &prov);
    umfLevelZeroMemoryProviderParamsDestroy(p);
    ck_assert_int_eq(ret, UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(prov);
    return prov;
}

#endif /* UMF_TEST_LEVEL_ZERO_HELPERS_H */
