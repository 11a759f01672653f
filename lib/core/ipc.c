/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc.c -- sharing pool allocations between processes: the public IPC
 * front-ends.
 *
 * A handle covers the whole provider allocation that holds the pointer (the
 * tracker's range) plus the pointer's offset in it. The producer side caches
 * the provider's blob per allocation (ipc_cache.c); the consumer side caches
 * the mapping per allocation (ipc_open_cache.c). */
#include <unistd.h>

#include "core/ipc_handle_check_internal.h"
#include "core/ipc_internal.h"
#include "core/memory_pool_internal.h"
#include "core/provider_tracking_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static umf_result_t provider_ipc_data_size(umf_memory_provider_handle_t h,
                                           size_t *size) {
    umf_result_t ret = umfMemoryProviderGetIPCHandleSize(h, size);
    if (ret == UMF_RESULT_SUCCESS && *size > UINT32_MAX) {
        LOG_ERR("provider IPC handle size %zu is too large", *size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfPoolGetIPCHandleSize(umf_memory_pool_handle_t hPool,
                                                size_t *size) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t data_size;
    umf_result_t ret = provider_ipc_data_size(hPool->upstream, &data_size);
    if (ret == UMF_RESULT_SUCCESS) {
        *size = sizeof(struct umf_ipc_data_t) + data_size;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfGetIPCHandle(const void *ptr,
                                        umf_ipc_handle_t *ipcHandle,
                                        size_t *size) {
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ipcHandle != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    tracker_alloc_info_t info;
    if (tracker_find(ptr, &info) != UMF_RESULT_SUCCESS) {
        LOG_ERR("%p is not memory of a tracked pool", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_memory_pool_handle_t pool = info.pool;
    size_t data_size;
    umf_result_t ret = provider_ipc_data_size(pool->upstream, &data_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ipc_cache_t *cache = tracking_provider_ipc_cache(pool->provider);
    umf_ipc_handle_t handle =
        umf_ba_calloc(1, sizeof(struct umf_ipc_data_t) + data_size);
    if (!cache || !handle) {
        umf_ba_free(handle);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    ret = ipc_cache_get(cache, pool, info.base, info.size, handle, data_size);
    if (ret != UMF_RESULT_SUCCESS) {
        umf_ba_free(handle);
        return ret;
    }
    handle->provider_data_size = (uint32_t)data_size;
    handle->base = (uintptr_t)info.base;
    handle->base_size = info.size;
    handle->offset = (uintptr_t)ptr - (uintptr_t)info.base;
    handle->pid = (int32_t)getpid();
    ipc_handle_seal(handle, pool->upstream);
    *ipcHandle = handle;
    *size = sizeof(struct umf_ipc_data_t) + data_size;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfPutIPCHandle(umf_ipc_handle_t ipcHandle) {
    if (!ipcHandle) {
        return UMF_RESULT_SUCCESS;
    }
    if (ipcHandle->magic != UMF_IPC_MAGIC) {
        LOG_ERR("%p is not an IPC handle from umfGetIPCHandle",
                (void *)ipcHandle);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* the provider blob stays cached until its allocation is freed */
    ipcHandle->magic = 0;
    umf_ba_free(ipcHandle);
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOpenIPCHandle(umf_ipc_handler_handle_t hIPCHandler,
                                         umf_ipc_handle_t ipcHandle,
                                         void **ptr) {
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ipcHandle != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_handle_t handler = hIPCHandler;
    const struct umf_ipc_data_t *h = ipcHandle;
    umf_result_t ret = ipc_handle_check(handler, h);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    void *base = NULL;
    ret = ipc_open_cache_acquire(handler, h, &base);
    if (ret == UMF_RESULT_SUCCESS) {
        *ptr = (char *)base + h->offset;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfCloseIPCHandle(void *ptr) {
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return ipc_open_cache_release(ptr);
}

UMF_EXPORT umf_result_t umfPoolGetIPCHandler(
    umf_memory_pool_handle_t hPool, umf_ipc_handler_handle_t *hIPCHandler) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *hIPCHandler = hPool->provider;
    return UMF_RESULT_SUCCESS;
}
