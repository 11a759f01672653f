/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_scalable.h -- a pool backed by tbbmalloc's memory-pool API */
#ifndef UMF_SCALABLE_MEMORY_POOL_H
#define UMF_SCALABLE_MEMORY_POOL_H 1

#ifdef __cplusplus
extern "C" {
#endif

#include <stdbool.h>

#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>

struct umf_scalable_pool_params_t;
typedef struct umf_scalable_pool_params_t *umf_scalable_pool_params_handle_t;

umf_result_t
umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams);

umf_result_t
umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams);

umf_result_t
umfScalablePoolParamsSetGranularity(umf_scalable_pool_params_handle_t hParams,
                                    size_t granularity);

umf_result_t
umfScalablePoolParamsSetKeepAllMemory(umf_scalable_pool_params_handle_t hParams,
                                      bool keepAllMemory);

umf_memory_pool_ops_t *umfScalablePoolOps(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_SCALABLE_MEMORY_POOL_H */
