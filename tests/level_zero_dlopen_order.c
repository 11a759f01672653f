/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* level_zero_dlopen_order.c -- a program that links neither libumf nor the
 * Level Zero loader and dlopens both, in the order given, then creates a
 * Level Zero provider and allocates device memory: the provider must use
 * the program's loader whichever came first (test_provider_level_zero runs
 * it on the fake driver).
 *
 * usage: level_zero_dlopen_order LIBUMF loader-first|umf-first
 * Exit status: 0 pass, 1 fail (with a line on stderr), 2 bad usage. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <ze_api.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_level_zero.h>

#define FAIL(...)                                                              \
    do {                                                                       \
        fprintf(stderr, "level_zero_dlopen_order: " __VA_ARGS__);              \
        fputc('\n', stderr);                                                   \
        return 1;                                                              \
    } while (0)

/* dlsym into a function pointer of any type */
#define SYM(h, var, name) (*(void **)&(var) = dlsym((h), (name)))

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[2], "loader-first") != 0 &&
                      strcmp(argv[2], "umf-first") != 0)) {
        fprintf(stderr, "usage: %s LIBUMF loader-first|umf-first\n", argv[0]);
        return 2;
    }
    int loader_first = strcmp(argv[2], "loader-first") == 0;
    void *umf = NULL, *ze = NULL;
    for (int step = 0; step < 2; step++) {
        if ((step == 0) == loader_first) {
            ze = dlopen("libze_loader.so.1", RTLD_NOW | RTLD_LOCAL);
            if (!ze) {
                FAIL("dlopen of the loader: %s", dlerror());
            }
        } else {
            umf = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
            if (!umf) {
                FAIL("dlopen of %s: %s", argv[1], dlerror());
            }
        }
    }

    ze_result_t (*ze_init)(ze_init_flags_t);
    ze_result_t (*driver_get)(uint32_t *, ze_driver_handle_t *);
    ze_result_t (*device_get)(ze_driver_handle_t, uint32_t *,
                              ze_device_handle_t *);
    ze_result_t (*context_create)(ze_driver_handle_t, const ze_context_desc_t *,
                                  ze_context_handle_t *);
    ze_result_t (*alloc_properties)(ze_context_handle_t, const void *,
                                    ze_memory_allocation_properties_t *,
                                    ze_device_handle_t *);
    ze_result_t (*context_destroy)(ze_context_handle_t);
    if (!SYM(ze, ze_init, "zeInit") ||
        !SYM(ze, context_destroy, "zeContextDestroy") ||
        !SYM(ze, driver_get, "zeDriverGet") ||
        !SYM(ze, device_get, "zeDeviceGet") ||
        !SYM(ze, context_create, "zeContextCreate") ||
        !SYM(ze, alloc_properties, "zeMemGetAllocProperties")) {
        FAIL("the loader lacks an entry point");
    }
    ze_driver_handle_t driver;
    ze_device_handle_t device;
    ze_context_handle_t ctx;
    uint32_t n = 1;
    ze_context_desc_t cd = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    if (ze_init(0) != ZE_RESULT_SUCCESS ||
        driver_get(&n, &driver) != ZE_RESULT_SUCCESS ||
        (n = 1, device_get(driver, &n, &device)) != ZE_RESULT_SUCCESS ||
        context_create(driver, &cd, &ctx) != ZE_RESULT_SUCCESS) {
        FAIL("no Level Zero driver, device or context");
    }

    umf_result_t (*params_create)(
        umf_level_zero_memory_provider_params_handle_t *);
    umf_result_t (*params_destroy)(
        umf_level_zero_memory_provider_params_handle_t);
    umf_result_t (*set_context)(umf_level_zero_memory_provider_params_handle_t,
                                ze_context_handle_t);
    umf_result_t (*set_device)(umf_level_zero_memory_provider_params_handle_t,
                               ze_device_handle_t);
    umf_result_t (*set_type)(umf_level_zero_memory_provider_params_handle_t,
                             umf_usm_memory_type_t);
    umf_memory_provider_ops_t *(*ops)(void);
    umf_result_t (*create)(const umf_memory_provider_ops_t *, void *,
                           umf_memory_provider_handle_t *);
    void (*destroy)(umf_memory_provider_handle_t);
    umf_result_t (*alloc)(umf_memory_provider_handle_t, size_t, size_t,
                          void **);
    umf_result_t (*free_)(umf_memory_provider_handle_t, void *, size_t);
    if (!SYM(umf, params_create, "umfLevelZeroMemoryProviderParamsCreate") ||
        !SYM(umf, params_destroy, "umfLevelZeroMemoryProviderParamsDestroy") ||
        !SYM(umf, set_context, "umfLevelZeroMemoryProviderParamsSetContext") ||
        !SYM(umf, set_device, "umfLevelZeroMemoryProviderParamsSetDevice") ||
        !SYM(umf, set_type, "umfLevelZeroMemoryProviderParamsSetMemoryType") ||
        !SYM(umf, ops, "umfLevelZeroMemoryProviderOps") ||
        !SYM(umf, create, "umfMemoryProviderCreate") ||
        !SYM(umf, destroy, "umfMemoryProviderDestroy") ||
        !SYM(umf, alloc, "umfMemoryProviderAlloc") ||
        !SYM(umf, free_, "umfMemoryProviderFree")) {
        FAIL("libumf lacks an entry point");
    }
    umf_level_zero_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (params_create(&params) != UMF_RESULT_SUCCESS ||
        set_context(params, ctx) != UMF_RESULT_SUCCESS ||
        set_device(params, device) != UMF_RESULT_SUCCESS ||
        set_type(params, UMF_MEMORY_TYPE_DEVICE) != UMF_RESULT_SUCCESS ||
        create(ops(), params, &prov) != UMF_RESULT_SUCCESS) {
        FAIL("creating the provider failed");
    }
    params_destroy(params);
    void *p = NULL;
    if (alloc(prov, 65536, 0, &p) != UMF_RESULT_SUCCESS) {
        FAIL("allocating failed");
    }
    /* the program's loader knows the provider's allocation */
    ze_memory_allocation_properties_t props = {
        .stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES};
    if (alloc_properties(ctx, p, &props, NULL) != ZE_RESULT_SUCCESS ||
        props.type != ZE_MEMORY_TYPE_DEVICE) {
        FAIL("the program's loader does not know the allocation");
    }
    if (free_(prov, p, 65536) != UMF_RESULT_SUCCESS) {
        FAIL("freeing failed");
    }
    destroy(prov);
    if (context_destroy(ctx) != ZE_RESULT_SUCCESS) {
        FAIL("zeContextDestroy failed");
    }
    return 0;
}
