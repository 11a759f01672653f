/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_none.c -- disjoint pool stubs (not in build) */
#include <stddef.h>

#include <umf/pools/pool_disjoint.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define DISJOINT_NOT_SUPPORTED()                                               \
    LOG_ERR("the disjoint pool is not supported by this build of libumf")

UMF_EXPORT umf_disjoint_pool_shared_limits_handle_t
umfDisjointPoolSharedLimitsCreate(size_t MaxSize) {
    (void)MaxSize;
    DISJOINT_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT void umfDisjointPoolSharedLimitsDestroy(
    umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    (void)hSharedLimits;
    DISJOINT_NOT_SUPPORTED();
}

UMF_EXPORT umf_result_t
umfDisjointPoolParamsCreate(umf_disjoint_pool_params_handle_t *hParams) {
    DISJOINT_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t
umfDisjointPoolParamsDestroy(umf_disjoint_pool_params_handle_t hParams) {
    (void)hParams;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetSlabMinSize(
    umf_disjoint_pool_params_handle_t hParams, size_t slabMinSize) {
    (void)hParams;
    (void)slabMinSize;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetMaxPoolableSize(
    umf_disjoint_pool_params_handle_t hParams, size_t maxPoolableSize) {
    (void)hParams;
    (void)maxPoolableSize;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetCapacity(
    umf_disjoint_pool_params_handle_t hParams, size_t maxCapacity) {
    (void)hParams;
    (void)maxCapacity;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetMinBucketSize(
    umf_disjoint_pool_params_handle_t hParams, size_t minBucketSize) {
    (void)hParams;
    (void)minBucketSize;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetTrace(
    umf_disjoint_pool_params_handle_t hParams, int poolTrace) {
    (void)hParams;
    (void)poolTrace;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetSharedLimits(
    umf_disjoint_pool_params_handle_t hParams,
    umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    (void)hParams;
    (void)hSharedLimits;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetName(
    umf_disjoint_pool_params_handle_t hParams, const char *name) {
    (void)hParams;
    (void)name;
    DISJOINT_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_memory_pool_ops_t *umfDisjointPoolOps(void) {
    DISJOINT_NOT_SUPPORTED();
    return NULL;
}
