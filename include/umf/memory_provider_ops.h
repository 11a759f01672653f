/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_provider_ops.h -- the operations table a memory provider implements */
#ifndef UMF_MEMORY_PROVIDER_OPS_H
#define UMF_MEMORY_PROVIDER_OPS_H 1

#include <umf/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the Memory Provider ops structure */
#define UMF_PROVIDER_OPS_VERSION_CURRENT UMF_MAKE_VERSION(0, 11)

/* Optional operations; any member may be NULL (split and merge together). */
typedef struct umf_memory_provider_ext_ops_t {
    umf_result_t (*purge_lazy)(void *provider, void *ptr, size_t size);
    umf_result_t (*purge_force)(void *provider, void *ptr, size_t size);
    umf_result_t (*allocation_merge)(void *hProvider, void *lowPtr,
                                     void *highPtr, size_t totalSize);
    umf_result_t (*allocation_split)(void *hProvider, void *ptr,
                                     size_t totalSize, size_t firstSize);
} umf_memory_provider_ext_ops_t;

/* Optional IPC operations; all five are set or all five are NULL. */
typedef struct umf_memory_provider_ipc_ops_t {
    umf_result_t (*get_ipc_handle_size)(void *provider, size_t *size);
    umf_result_t (*get_ipc_handle)(void *provider, const void *ptr,
                                   size_t size, void *providerIpcData);
    umf_result_t (*put_ipc_handle)(void *provider, void *providerIpcData);
    umf_result_t (*open_ipc_handle)(void *provider, void *providerIpcData,
                                    void **ptr);
    umf_result_t (*close_ipc_handle)(void *provider, void *ptr, size_t size);
} umf_memory_provider_ipc_ops_t;

/* Operations of a memory provider; every non-nested member is mandatory. */
typedef struct umf_memory_provider_ops_t {
    uint32_t version;
    umf_result_t (*initialize)(void *params, void **provider);
    void (*finalize)(void *provider);
    umf_result_t (*alloc)(void *provider, size_t size, size_t alignment,
                          void **ptr);
    umf_result_t (*free)(void *provider, void *ptr, size_t size);
    void (*get_last_native_error)(void *provider, const char **ppMessage,
                                  int32_t *pError);
    umf_result_t (*get_recommended_page_size)(void *provider, size_t size,
                                              size_t *pageSize);
    umf_result_t (*get_min_page_size)(void *provider, void *ptr,
                                      size_t *pageSize);
    const char *(*get_name)(void *provider);
    umf_memory_provider_ext_ops_t ext;
    umf_memory_provider_ipc_ops_t ipc;
} umf_memory_provider_ops_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROVIDER_OPS_H */
