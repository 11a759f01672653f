/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_fixed_memory.h -- sub-allocation of a caller-supplied buffer */
#ifndef UMF_FIXED_MEMORY_PROVIDER_H
#define UMF_FIXED_MEMORY_PROVIDER_H 1

#include <umf/providers/provider_os_memory.h>

#ifdef __cplusplus
extern "C" {
#endif

#define UMF_FIXED_RESULTS_START_FROM 4000

struct umf_fixed_memory_provider_params_t;
typedef struct umf_fixed_memory_provider_params_t
    *umf_fixed_memory_provider_params_handle_t;

umf_result_t umfFixedMemoryProviderParamsCreate(
    umf_fixed_memory_provider_params_handle_t *hParams, void *ptr,
    size_t size);

umf_result_t umfFixedMemoryProviderParamsSetMemory(
    umf_fixed_memory_provider_params_handle_t hParams, void *ptr, size_t size);

umf_result_t umfFixedMemoryProviderParamsDestroy(
    umf_fixed_memory_provider_params_handle_t hParams);

umf_memory_provider_ops_t *umfFixedMemoryProviderOps(void);

/* Fixed memory provider native error codes */
typedef enum umf_fixed_memory_provider_native_error {
    UMF_FIXED_RESULT_SUCCESS = UMF_FIXED_RESULTS_START_FROM,
    UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED,
} umf_fixed_memory_provider_native_error_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_FIXED_MEMORY_PROVIDER_H */
