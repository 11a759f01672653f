/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_gpu_level_zero.c -- the Level Zero backend of bench_gpu: device
 * memory of the first device of the first driver, raw with
 * zeMemAllocDevice/zeMemFree and through the Level Zero provider. Without
 * a GPU, `make bench` runs it on the fake driver of tests/fakes
 * (ZE_ENABLE_ALT_DRIVERS); its raw calls cost what a memfd, an mmap and
 * their undoing cost, the same order as a real driver's (both are system
 * calls and page-table work). */
#include <stdio.h>
#include <stdlib.h>

#include <ze_api.h>

#include <umf/providers/provider_level_zero.h>

#include "bench_gpu.h"

static ze_context_handle_t ctx;
static ze_device_handle_t dev;

static const char *l0_init(void) {
    static char why[256];
    ze_result_t r = zeInit(0);
    if (r != ZE_RESULT_SUCCESS) {
        snprintf(why, sizeof(why),
                 "zeInit failed (0x%x): no Level Zero driver; without a GPU "
                 "set ZE_ENABLE_ALT_DRIVERS to the fake driver "
                 "(tests/fakes/.libs/fake_ze_driver.so, built by make check; "
                 "make bench does this)",
                 (unsigned)r);
        return why;
    }
    ze_driver_handle_t driver;
    uint32_t n = 1;
    if (zeDriverGet(&n, &driver) != ZE_RESULT_SUCCESS || n == 0) {
        return "no Level Zero driver";
    }
    n = 1;
    if (zeDeviceGet(driver, &n, &dev) != ZE_RESULT_SUCCESS || n == 0) {
        return "no Level Zero device";
    }
    ze_context_desc_t desc = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    if (zeContextCreate(driver, &desc, &ctx) != ZE_RESULT_SUCCESS) {
        return "zeContextCreate failed";
    }
    return NULL;
}

static umf_memory_provider_handle_t l0_provider_create(void) {
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfLevelZeroMemoryProviderParamsCreate(&p) == UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetContext(p, ctx) ==
            UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetDevice(p, dev) ==
            UMF_RESULT_SUCCESS &&
        umfLevelZeroMemoryProviderParamsSetMemoryType(
            p, UMF_MEMORY_TYPE_DEVICE) == UMF_RESULT_SUCCESS) {
        umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, &prov);
    }
    umfLevelZeroMemoryProviderParamsDestroy(p);
    return prov;
}

static void *l0_raw_alloc(size_t size) {
    ze_device_mem_alloc_desc_t desc = {
        .stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC};
    void *p = NULL;
    return zeMemAllocDevice(ctx, &desc, size, 0, dev, &p) == ZE_RESULT_SUCCESS
               ? p
               : NULL;
}

static void l0_raw_free(void *ptr) { zeMemFree(ctx, ptr); }

static void l0_fini(void) {
    if (ctx) {
        zeContextDestroy(ctx);
        ctx = NULL;
    }
}

const bench_gpu_backend_t bench_gpu_level_zero = {
    .name = "LEVEL_ZERO",
    .init = l0_init,
    .provider_create = l0_provider_create,
    .raw_alloc = l0_raw_alloc,
    .raw_free = l0_raw_free,
    .fini = l0_fini,
};
