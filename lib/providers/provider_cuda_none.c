/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_none.c -- CUDA provider stubs (not in build) */
#include <stddef.h>

#include <umf/providers/provider_cuda.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define CUDA_NOT_SUPPORTED()                                                   \
    LOG_ERR("the CUDA memory provider is not supported by this build of "      \
            "libumf")

UMF_EXPORT umf_memory_provider_ops_t *umfCUDAMemoryProviderOps(void) {
    CUDA_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsCreate(
    umf_cuda_memory_provider_params_handle_t *hParams) {
    CUDA_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsDestroy(
    umf_cuda_memory_provider_params_handle_t hParams) {
    (void)hParams;
    CUDA_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetContext(
    umf_cuda_memory_provider_params_handle_t hParams, void *hContext) {
    (void)hParams;
    (void)hContext;
    CUDA_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetDevice(
    umf_cuda_memory_provider_params_handle_t hParams, int hDevice) {
    (void)hParams;
    (void)hDevice;
    CUDA_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetMemoryType(
    umf_cuda_memory_provider_params_handle_t hParams,
    umf_usm_memory_type_t memoryType) {
    (void)hParams;
    (void)memoryType;
    CUDA_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetAllocFlags(
    umf_cuda_memory_provider_params_handle_t hParams, unsigned int flags) {
    (void)hParams;
    (void)flags;
    CUDA_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
