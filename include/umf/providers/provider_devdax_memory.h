/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_devdax_memory.h -- memory of a device-DAX character device */
#ifndef UMF_DEVDAX_MEMORY_PROVIDER_H
#define UMF_DEVDAX_MEMORY_PROVIDER_H 1

#include <umf/providers/provider_os_memory.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMF_DEVDAX_RESULTS_START_FROM 2000

struct umf_devdax_memory_provider_params_t;
typedef struct umf_devdax_memory_provider_params_t
    *umf_devdax_memory_provider_params_handle_t;

umf_result_t umfDevDaxMemoryProviderParamsCreate(
    umf_devdax_memory_provider_params_handle_t *hParams, const char *path,
    size_t size);

umf_result_t umfDevDaxMemoryProviderParamsDestroy(
    umf_devdax_memory_provider_params_handle_t hParams);

umf_result_t umfDevDaxMemoryProviderParamsSetDeviceDax(
    umf_devdax_memory_provider_params_handle_t hParams, const char *path,
    size_t size);

umf_result_t umfDevDaxMemoryProviderParamsSetProtection(
    umf_devdax_memory_provider_params_handle_t hParams, unsigned protection);

/* Devdax memory provider native error codes */
typedef enum umf_devdax_memory_provider_native_error {
    UMF_DEVDAX_RESULT_SUCCESS = UMF_DEVDAX_RESULTS_START_FROM,
    UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED,
    UMF_DEVDAX_RESULT_ERROR_ADDRESS_NOT_ALIGNED,
    UMF_DEVDAX_RESULT_ERROR_FREE_FAILED,
    UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED,
} umf_devdax_memory_provider_native_error_t;

umf_memory_provider_ops_t *umfDevDaxMemoryProviderOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_DEVDAX_MEMORY_PROVIDER_H */
