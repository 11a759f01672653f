/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc.c -- the pool-level IPC front-ends.
 *
 * Handles of pool allocations (the producer/consumer caches and the handle
 * format) arrive with the IPC issue; until then every argument is checked
 * exactly as the API requires and a well-formed request returns
 * UMF_RESULT_ERROR_NOT_SUPPORTED. */
#include <umf/ipc.h>

#include "core/memory_pool_internal.h"
#include "core/tracker_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define IPC_NOT_YET "IPC handles of pool allocations are not implemented yet"

UMF_EXPORT umf_result_t umfPoolGetIPCHandleSize(umf_memory_pool_handle_t hPool,
                                                size_t *size) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t provider_size;
    umf_result_t ret =
        umfMemoryProviderGetIPCHandleSize(hPool->provider, &provider_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret; /* NOT_SUPPORTED for providers without IPC */
    }
    LOG_ERR(IPC_NOT_YET);
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
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
    LOG_ERR(IPC_NOT_YET);
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfPutIPCHandle(umf_ipc_handle_t ipcHandle) {
    if (!ipcHandle) {
        return UMF_RESULT_SUCCESS;
    }
    /* no handle was ever handed out, so this one is not ours */
    LOG_ERR("%p is not an IPC handle from umfGetIPCHandle", (void *)ipcHandle);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

UMF_EXPORT umf_result_t umfOpenIPCHandle(umf_ipc_handler_handle_t hIPCHandler,
                                         umf_ipc_handle_t ipcHandle,
                                         void **ptr) {
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ipcHandle != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    LOG_ERR(IPC_NOT_YET);
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfCloseIPCHandle(void *ptr) {
    /* nothing can have been opened yet */
    LOG_ERR("%p was not opened with umfOpenIPCHandle", ptr);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

UMF_EXPORT umf_result_t
umfPoolGetIPCHandler(umf_memory_pool_handle_t hPool,
                     umf_ipc_handler_handle_t *hIPCHandler) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *hIPCHandler = hPool->provider;
    return UMF_RESULT_SUCCESS;
}
