/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_pool.h -- memory pool handles and their malloc-like calls */
#ifndef UMF_MEMORY_POOL_H
#define UMF_MEMORY_POOL_H 1

#include <umf/base.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umf_memory_pool_t *umf_memory_pool_handle_t;

/* Supported pool creation flags */
typedef enum umf_pool_create_flag_t {
    UMF_POOL_CREATE_FLAG_NONE = 0,
    UMF_POOL_CREATE_FLAG_OWN_PROVIDER = (1 << 0),
    UMF_POOL_CREATE_FLAG_DISABLE_TRACKING = (1 << 1),
    UMF_POOL_CREATE_FLAG_FORCE_UINT32 = 0x7fffffff
} umf_pool_create_flag_t;

/* Combination of umf_pool_create_flag_t values */
typedef uint32_t umf_pool_create_flags_t;

umf_result_t umfPoolCreate(const umf_memory_pool_ops_t *ops,
                           umf_memory_provider_handle_t provider, void *params,
                           umf_pool_create_flags_t flags,
                           umf_memory_pool_handle_t *hPool);

void umfPoolDestroy(umf_memory_pool_handle_t hPool);

UMF_NOPLT void *umfPoolMalloc(umf_memory_pool_handle_t hPool, size_t size);

UMF_NOPLT void *umfPoolAlignedMalloc(umf_memory_pool_handle_t hPool,
                                     size_t size, size_t alignment);

UMF_NOPLT void *umfPoolCalloc(umf_memory_pool_handle_t hPool, size_t num,
                              size_t size);

UMF_NOPLT void *umfPoolRealloc(umf_memory_pool_handle_t hPool, void *ptr,
                               size_t size);

UMF_NOPLT size_t umfPoolMallocUsableSize(umf_memory_pool_handle_t hPool,
                                         void *ptr);

UMF_NOPLT umf_result_t umfPoolFree(umf_memory_pool_handle_t hPool, void *ptr);

UMF_NOPLT umf_result_t umfFree(void *ptr);

umf_result_t umfPoolGetLastAllocationError(umf_memory_pool_handle_t hPool);

UMF_NOPLT umf_memory_pool_handle_t umfPoolByPtr(const void *ptr);

umf_result_t umfPoolGetMemoryProvider(umf_memory_pool_handle_t hPool,
                                      umf_memory_provider_handle_t *hProvider);

umf_result_t umfPoolSetTag(umf_memory_pool_handle_t hPool, void *tag,
                           void **oldTag);

umf_result_t umfPoolGetTag(umf_memory_pool_handle_t hPool, void **tag);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_POOL_H */
