/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_scalable_none.c -- scalable (tbbmalloc) pool stubs (not in build) */
#include <stdbool.h>
#include <stddef.h>

#include <umf/pools/pool_scalable.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define SCALABLE_NOT_SUPPORTED()                                               \
    LOG_ERR("the scalable pool is not supported by this build of libumf")

UMF_EXPORT umf_result_t
umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams) {
    SCALABLE_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t
umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams) {
    (void)hParams;
    SCALABLE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfScalablePoolParamsSetGranularity(
    umf_scalable_pool_params_handle_t hParams, size_t granularity) {
    (void)hParams;
    (void)granularity;
    SCALABLE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfScalablePoolParamsSetKeepAllMemory(
    umf_scalable_pool_params_handle_t hParams, bool keepAllMemory) {
    (void)hParams;
    (void)keepAllMemory;
    SCALABLE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_memory_pool_ops_t *umfScalablePoolOps(void) {
    SCALABLE_NOT_SUPPORTED();
    return NULL;
}
