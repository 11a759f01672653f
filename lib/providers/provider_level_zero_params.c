/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero_params.c -- the Level Zero provider's params: what
 * each setter accepts. Whether the whole makes a provider (a device for
 * device and shared memory) is checked at provider creation. */
#include <string.h>

#include "provider_level_zero_internal.h"
#include "providers/gpu_params_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsCreate(
    umf_level_zero_memory_provider_params_handle_t *hParams) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_level_zero_memory_provider_params_handle_t p =
        gpu_params_alloc(sizeof(*p), "Level Zero");
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->memory_type = UMF_MEMORY_TYPE_UNKNOWN;
    p->free_policy = UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT;
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsDestroy(
    umf_level_zero_memory_provider_params_handle_t hParams) {
    if (hParams) {
        umf_ba_free(hParams->resident);
        umf_ba_free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetContext(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_context_handle_t hContext) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hContext != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->context = hContext;
    return UMF_RESULT_SUCCESS;
}

/* NULL is allowed: host memory needs no device. */
UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetDevice(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_device_handle_t hDevice) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->device = hDevice;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetMemoryType(
    umf_level_zero_memory_provider_params_handle_t hParams,
    umf_usm_memory_type_t memoryType) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return gpu_params_set_memory_type(&hParams->memory_type, memoryType);
}

/* The list is copied; a count of 0 clears it. */
UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetResidentDevices(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_device_handle_t *hDevices, uint32_t deviceCount) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(deviceCount == 0 || hDevices != NULL,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_device_handle_t *copy = NULL;
    if (deviceCount) {
        for (uint32_t i = 0; i < deviceCount; i++) {
            if (!hDevices[i]) {
                LOG_ERR("resident device %u is NULL", i);
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
        }
        copy = umf_ba_calloc(deviceCount, sizeof(*copy));
        if (!copy) {
            LOG_ERR("cannot copy %u resident devices", deviceCount);
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, hDevices, deviceCount * sizeof(*copy));
    }
    umf_ba_free(hParams->resident);
    hParams->resident = copy;
    hParams->resident_count = deviceCount;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetFreePolicy(
    umf_level_zero_memory_provider_params_handle_t hParams,
    umf_level_zero_memory_provider_free_policy_t policy) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT &&
        policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE &&
        policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE) {
        LOG_ERR("invalid free policy %d", (int)policy);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->free_policy = policy;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(
    umf_level_zero_memory_provider_params_handle_t hParams,
    uint32_t deviceOrdinal) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->ordinal = deviceOrdinal;
    return UMF_RESULT_SUCCESS;
}
