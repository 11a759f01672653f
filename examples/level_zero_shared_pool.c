/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* level_zero_shared_pool.c -- a disjoint pool on Level Zero shared (USM)
 * memory: memory the host and the GPU can both reach, handed out in small
 * pieces without a driver call per allocation.
 *
 * Build: cc level_zero_shared_pool.c $(pkg-config --cflags --libs umf
 *        level-zero)
 * Run on an Intel GPU as is (intel-level-zero-gpu installed); exits 77
 * when there is no Level Zero driver. */
#include <stdio.h>
#include <string.h>

#include <ze_api.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_level_zero.h>

int main(void) {
    /* Level Zero: the first device of the first driver, and a context */
    if (zeInit(0) != ZE_RESULT_SUCCESS) {
        printf("no Level Zero driver: nothing to show\n");
        return 77;
    }
    ze_driver_handle_t driver;
    ze_device_handle_t device;
    uint32_t n = 1;
    if (zeDriverGet(&n, &driver) != ZE_RESULT_SUCCESS || n == 0 ||
        (n = 1, zeDeviceGet(driver, &n, &device)) != ZE_RESULT_SUCCESS ||
        n == 0) {
        printf("no Level Zero device: nothing to show\n");
        return 77;
    }
    ze_device_properties_t props = {.stype =
                                        ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES};
    zeDeviceGetProperties(device, &props);
    ze_context_desc_t ctx_desc = {.stype = ZE_STRUCTURE_TYPE_CONTEXT_DESC};
    ze_context_handle_t context;
    if (zeContextCreate(driver, &ctx_desc, &context) != ZE_RESULT_SUCCESS) {
        fprintf(stderr, "zeContextCreate failed\n");
        return 1;
    }

    /* the provider: shared memory of that device, in that context */
    umf_level_zero_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_result_t ret = umfLevelZeroMemoryProviderParamsCreate(&params);
    if (ret == UMF_RESULT_SUCCESS) {
        umfLevelZeroMemoryProviderParamsSetContext(params, context);
        umfLevelZeroMemoryProviderParamsSetDevice(params, device);
        umfLevelZeroMemoryProviderParamsSetMemoryType(params,
                                                      UMF_MEMORY_TYPE_SHARED);
        ret = umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), params,
                                      &provider);
        umfLevelZeroMemoryProviderParamsDestroy(params);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "creating the Level Zero provider failed: %d\n",
                (int)ret);
        zeContextDestroy(context);
        return 1;
    }

    /* the pool: 2 MiB slabs, everything up to 1 MiB pooled; the pool owns
     * the provider */
    umf_disjoint_pool_params_handle_t pool_params = NULL;
    umf_memory_pool_handle_t pool = NULL;
    umfDisjointPoolParamsCreate(&pool_params);
    umfDisjointPoolParamsSetSlabMinSize(pool_params, 2 << 20);
    umfDisjointPoolParamsSetMaxPoolableSize(pool_params, 1 << 20);
    ret = umfPoolCreate(umfDisjointPoolOps(), provider, pool_params,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    umfDisjointPoolParamsDestroy(pool_params);
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "creating the pool failed: %d\n", (int)ret);
        umfMemoryProviderDestroy(provider);
        zeContextDestroy(context);
        return 1;
    }

    /* shared memory: the host writes and reads it directly */
    int failed = 0;
    char *blocks[100];
    for (int i = 0; i < 100; i++) {
        blocks[i] = umfPoolMalloc(pool, 1000);
        if (!blocks[i]) {
            fprintf(stderr, "umfPoolMalloc failed\n");
            return 1;
        }
        memset(blocks[i], i, 1000);
    }
    for (int i = 0; i < 100; i++) {
        failed |= blocks[i][999] != (char)i;
        umfFree(blocks[i]);
    }
    printf("100 blocks of shared memory of %s from one pool: %s\n", props.name,
           failed ? "FAILED" : "ok");

    umfPoolDestroy(pool);
    zeContextDestroy(context);
    return failed;
}
