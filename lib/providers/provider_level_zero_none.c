/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero_none.c -- Level Zero provider stubs (not in build) */
#include <stddef.h>

#include <umf/providers/provider_level_zero.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define L0_NOT_SUPPORTED()                                                     \
    LOG_ERR("the Level Zero memory provider is not supported by this build "   \
            "of libumf")

UMF_EXPORT umf_memory_provider_ops_t *umfLevelZeroMemoryProviderOps(void) {
    L0_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsCreate(
    umf_level_zero_memory_provider_params_handle_t *hParams) {
    L0_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsDestroy(
    umf_level_zero_memory_provider_params_handle_t hParams) {
    (void)hParams;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetContext(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_context_handle_t hContext) {
    (void)hParams;
    (void)hContext;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetDevice(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_device_handle_t hDevice) {
    (void)hParams;
    (void)hDevice;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetMemoryType(
    umf_level_zero_memory_provider_params_handle_t hParams,
    umf_usm_memory_type_t memoryType) {
    (void)hParams;
    (void)memoryType;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetResidentDevices(
    umf_level_zero_memory_provider_params_handle_t hParams,
    ze_device_handle_t *hDevices, uint32_t deviceCount) {
    (void)hParams;
    (void)hDevices;
    (void)deviceCount;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetFreePolicy(
    umf_level_zero_memory_provider_params_handle_t hParams,
    umf_level_zero_memory_provider_free_policy_t policy) {
    (void)hParams;
    (void)policy;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(
    umf_level_zero_memory_provider_params_handle_t hParams,
    uint32_t deviceOrdinal) {
    (void)hParams;
    (void)deviceOrdinal;
    L0_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
