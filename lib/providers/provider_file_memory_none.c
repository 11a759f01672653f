/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_file_memory_none.c -- file provider stubs (not in build) */
#include <stddef.h>

#include <umf/providers/provider_file_memory.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define FILE_NOT_SUPPORTED()                                                   \
    LOG_ERR("the file memory provider is not supported by this build of "      \
            "libumf")

UMF_EXPORT umf_memory_provider_ops_t *umfFileMemoryProviderOps(void) {
    FILE_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsCreate(
    umf_file_memory_provider_params_handle_t *hParams, const char *path) {
    (void)path;
    FILE_NOT_SUPPORTED();
    if (hParams) {
        *hParams = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsDestroy(
    umf_file_memory_provider_params_handle_t hParams) {
    (void)hParams;
    FILE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetPath(
    umf_file_memory_provider_params_handle_t hParams, const char *path) {
    (void)hParams;
    (void)path;
    FILE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetProtection(
    umf_file_memory_provider_params_handle_t hParams, unsigned protection) {
    (void)hParams;
    (void)protection;
    FILE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetVisibility(
    umf_file_memory_provider_params_handle_t hParams,
    umf_memory_visibility_t visibility) {
    (void)hParams;
    (void)visibility;
    FILE_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
