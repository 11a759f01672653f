/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memspace.h -- memory spaces: sets of memory targets */
#ifndef UMF_MEMSPACE_H
#define UMF_MEMSPACE_H 1

#include <umf/base.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/mempolicy.h>
#include <umf/memtarget.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct umf_memspace_t *umf_memspace_handle_t;
typedef const struct umf_memspace_t *umf_const_memspace_handle_t;

umf_result_t umfPoolCreateFromMemspace(umf_const_memspace_handle_t hMemspace,
                                       umf_const_mempolicy_handle_t hPolicy,
                                       umf_memory_pool_handle_t *hPool);

umf_result_t
umfMemoryProviderCreateFromMemspace(umf_const_memspace_handle_t hMemspace,
                                    umf_const_mempolicy_handle_t hPolicy,
                                    umf_memory_provider_handle_t *hProvider);

umf_result_t umfMemspaceCreateFromNumaArray(unsigned *nodeIds, size_t numIds,
                                            umf_memspace_handle_t *hMemspace);

void umfMemspaceDestroy(umf_memspace_handle_t hMemspace);

umf_const_memspace_handle_t umfMemspaceHostAllGet(void);

umf_const_memspace_handle_t umfMemspaceHighestCapacityGet(void);

umf_const_memspace_handle_t umfMemspaceHighestBandwidthGet(void);

umf_const_memspace_handle_t umfMemspaceLowestLatencyGet(void);

umf_result_t umfMemspaceNew(umf_memspace_handle_t *hMemspace);

size_t umfMemspaceMemtargetNum(umf_const_memspace_handle_t hMemspace);

umf_const_memtarget_handle_t
umfMemspaceMemtargetGet(umf_const_memspace_handle_t hMemspace,
                        unsigned targetNum);

umf_result_t umfMemspaceMemtargetAdd(umf_memspace_handle_t hMemspace,
                                     umf_const_memtarget_handle_t hMemtarget);

umf_result_t
umfMemspaceMemtargetRemove(umf_memspace_handle_t hMemspace,
                           umf_const_memtarget_handle_t hMemtarget);

umf_result_t umfMemspaceClone(umf_const_memspace_handle_t hMemspace,
                              umf_memspace_handle_t *hNewMemspace);

/* Filter callback: 0 removes the target, >0 keeps it, <0 is an error. */
typedef int (*umf_memspace_filter_func_t)(
    umf_const_memspace_handle_t hMemspace,
    umf_const_memtarget_handle_t hMemtarget, void *args);

umf_result_t umfMemspaceFilterById(umf_memspace_handle_t hMemspace,
                                   unsigned *ids, size_t size);

umf_result_t umfMemspaceFilterByCapacity(umf_memspace_handle_t hMemspace,
                                         int64_t size);

umf_result_t umfMemspaceUserFilter(umf_memspace_handle_t hMemspace,
                                   umf_memspace_filter_func_t filter,
                                   void *args);

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMSPACE_H */
