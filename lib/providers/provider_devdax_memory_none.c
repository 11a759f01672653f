/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_devdax_memory_none.c -- devdax provider stubs (not in build) */
#include <stddef.h>

#include <umf/providers/provider_devdax_memory.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define DEVDAX_NOT_SUPPORTED()                                                 \
    LOG_ERR("the devdax memory provider is not supported by this build of "    \
            "libumf")

UMF_EXPORT umf_memory_provider_ops_t *umfDevDaxMemoryProviderOps(void) {
    DEVDAX_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsCreate(
    umf_devdax_memory_provider_params_handle_t *hParams, const char *path,
    size_t size) {
    (void)path;
    (void)size;
    DEVDAX_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsDestroy(
    umf_devdax_memory_provider_params_handle_t hParams) {
    (void)hParams;
    DEVDAX_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsSetDeviceDax(
    umf_devdax_memory_provider_params_handle_t hParams, const char *path,
    size_t size) {
    (void)hParams;
    (void)path;
    (void)size;
    DEVDAX_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsSetProtection(
    umf_devdax_memory_provider_params_handle_t hParams, unsigned protection) {
    (void)hParams;
    (void)protection;
    DEVDAX_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
