/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc.c -- sharing pool allocations between processes: the public IPC
 * front-ends and the consumer-side registry of opened handles.
 *
 * A handle covers the whole provider allocation that holds the pointer (the
 * tracker's range) plus the pointer's offset in it. Opening is reference
 * counted per (handler, producer pid, producer base, handle id): opening the
 * same handle twice through one handler maps it once, and the mapping is
 * closed through the provider when the last user closes it or the handler's
 * pool is destroyed. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/ipc_internal.h"
#include "core/memory_pool_internal.h"
#include "core/provider_tracking_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

typedef struct ipc_opened_t {
    umf_memory_provider_handle_t handler;
    int32_t pid;
    uint64_t remote_base;
    uint64_t handle_id;
    char *local_base;
    size_t size;
    size_t refcount;
} ipc_opened_t;

/* Opened handles are few and opening is rare: a mutex-protected array. */
static struct {
    pthread_mutex_t lock;
    ipc_opened_t *items;
    size_t n, cap;
} opened = {PTHREAD_MUTEX_INITIALIZER, NULL, 0, 0};

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
    handle->magic = UMF_IPC_MAGIC;
    handle->provider_data_size = (uint32_t)data_size;
    handle->base = (uintptr_t)info.base;
    handle->base_size = info.size;
    handle->offset = (uintptr_t)ptr - (uintptr_t)info.base;
    handle->pid = (int32_t)getpid();
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

static ipc_opened_t *opened_find_key(umf_memory_provider_handle_t handler,
                                     const struct umf_ipc_data_t *h) {
    for (size_t i = 0; i < opened.n; i++) {
        ipc_opened_t *o = &opened.items[i];
        if (o->handler == handler && o->pid == h->pid &&
            o->remote_base == h->base && o->handle_id == h->handle_id) {
            return o;
        }
    }
    return NULL;
}

static ipc_opened_t *opened_find_ptr(const char *ptr) {
    for (size_t i = 0; i < opened.n; i++) {
        ipc_opened_t *o = &opened.items[i];
        if (ptr >= o->local_base && ptr < o->local_base + o->size) {
            return o;
        }
    }
    return NULL;
}

static bool opened_reserve(void) {
    if (opened.n < opened.cap) {
        return true;
    }
    size_t cap = opened.cap ? opened.cap * 2 : 16;
    ipc_opened_t *grown = umf_ba_calloc(cap, sizeof(*grown));
    if (!grown) {
        return false;
    }
    if (opened.items) {
        memcpy(grown, opened.items, opened.n * sizeof(*grown));
        umf_ba_free(opened.items);
    }
    opened.items = grown;
    opened.cap = cap;
    return true;
}

static void opened_remove(ipc_opened_t *o) { *o = opened.items[--opened.n]; }

UMF_EXPORT umf_result_t umfOpenIPCHandle(umf_ipc_handler_handle_t hIPCHandler,
                                         umf_ipc_handle_t ipcHandle,
                                         void **ptr) {
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ipcHandle != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_handle_t handler = hIPCHandler;
    const struct umf_ipc_data_t *h = ipcHandle;
    if (h->magic != UMF_IPC_MAGIC || h->offset >= h->base_size) {
        LOG_ERR("%p is not a valid IPC handle", (void *)ipcHandle);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t data_size;
    umf_result_t ret = provider_ipc_data_size(handler, &data_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret; /* NOT_SUPPORTED: the handler's provider has no IPC */
    }
    if (data_size != h->provider_data_size) {
        LOG_ERR("IPC handle made by another kind of provider (%u bytes of "
                "provider data, %zu expected)",
                h->provider_data_size, data_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    pthread_mutex_lock(&opened.lock);
    ipc_opened_t *o = opened_find_key(handler, h);
    if (o) {
        o->refcount++;
        *ptr = o->local_base + h->offset;
        pthread_mutex_unlock(&opened.lock);
        return UMF_RESULT_SUCCESS;
    }
    if (!opened_reserve()) {
        pthread_mutex_unlock(&opened.lock);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *base = NULL;
    ret = umfMemoryProviderOpenIPCHandle(handler, (void *)h->provider_data,
                                         &base);
    if (ret == UMF_RESULT_SUCCESS) {
        ipc_opened_t *n = &opened.items[opened.n++];
        *n = (ipc_opened_t){handler, h->pid,       h->base, h->handle_id,
                            base,    h->base_size, 1};
        *ptr = (char *)base + h->offset;
    }
    pthread_mutex_unlock(&opened.lock);
    return ret;
}

UMF_EXPORT umf_result_t umfCloseIPCHandle(void *ptr) {
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    pthread_mutex_lock(&opened.lock);
    ipc_opened_t *o = opened_find_ptr(ptr);
    if (!o) {
        pthread_mutex_unlock(&opened.lock);
        LOG_ERR("%p was not opened with umfOpenIPCHandle", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    if (--o->refcount == 0) {
        ret =
            umfMemoryProviderCloseIPCHandle(o->handler, o->local_base, o->size);
        if (ret != UMF_RESULT_SUCCESS) {
            o->refcount = 1; /* still mapped: let the caller retry */
        } else {
            opened_remove(o);
        }
    }
    pthread_mutex_unlock(&opened.lock);
    return ret;
}

void ipc_consumer_release_handler(umf_memory_provider_handle_t handler) {
    pthread_mutex_lock(&opened.lock);
    for (size_t i = 0; i < opened.n;) {
        ipc_opened_t *o = &opened.items[i];
        if (o->handler != handler) {
            i++;
            continue;
        }
        LOG_WARN("closing IPC handle %p still open (%zu users) at pool "
                 "destroy",
                 (void *)o->local_base, o->refcount);
        umfMemoryProviderCloseIPCHandle(handler, o->local_base, o->size);
        opened_remove(o);
    }
    pthread_mutex_unlock(&opened.lock);
}

UMF_EXPORT umf_result_t umfPoolGetIPCHandler(
    umf_memory_pool_handle_t hPool, umf_ipc_handler_handle_t *hIPCHandler) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hIPCHandler != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *hIPCHandler = hPool->provider;
    return UMF_RESULT_SUCCESS;
}
