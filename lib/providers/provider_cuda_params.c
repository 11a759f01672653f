/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_params.c -- the CUDA provider's public params functions.
 * The setters check what can be checked without the driver; whether the
 * context, device, type and flags fit together is checked when the
 * provider is created. */
#include <umf/providers/provider_cuda.h>

#include "providers/gpu_params_internal.h"
#include "providers/provider_cuda_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

void cuda_params_defaults(struct umf_cuda_memory_provider_params_t *p) {
    p->context = NULL;
    p->device = CUDA_DEVICE_UNSET;
    p->memory_type = UMF_MEMORY_TYPE_DEVICE;
    p->alloc_flags = 0;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsCreate(
    umf_cuda_memory_provider_params_handle_t *hParams) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_cuda_memory_provider_params_handle_t p =
        gpu_params_alloc(sizeof(*p), "CUDA");
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    cuda_params_defaults(p);
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

/* Destroy(NULL) is a harmless no-op, as for every ...Destroy in libumf. */
UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsDestroy(
    umf_cuda_memory_provider_params_handle_t hParams) {
    umf_ba_free(hParams);
    return UMF_RESULT_SUCCESS;
}

/* NULL selects the device's primary context again. */
UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetContext(
    umf_cuda_memory_provider_params_handle_t hParams, void *hContext) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->context = (CUcontext)hContext;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetDevice(
    umf_cuda_memory_provider_params_handle_t hParams, int hDevice) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (hDevice < 0) {
        LOG_ERR("invalid CUDA device %d", hDevice);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->device = hDevice;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetMemoryType(
    umf_cuda_memory_provider_params_handle_t hParams,
    umf_usm_memory_type_t memoryType) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return gpu_params_set_memory_type(&hParams->memory_type, memoryType);
}

/* Flags of cuMemHostAlloc (HOST) or cuMemAllocManaged (SHARED); whether
 * they suit the memory type is checked at provider creation. */
UMF_EXPORT umf_result_t umfCUDAMemoryProviderParamsSetAllocFlags(
    umf_cuda_memory_provider_params_handle_t hParams, unsigned int flags) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (flags & ~(unsigned)CU_MEMHOSTALLOC_ALL_FLAGS) {
        LOG_ERR("unknown CUDA allocation flags 0x%x", flags);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->alloc_flags = flags;
    return UMF_RESULT_SUCCESS;
}
