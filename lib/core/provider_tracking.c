/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_tracking.c -- the provider wrapper every tracked pool sees: it
 * forwards to the user's provider and keeps the tracker exact.
 *
 * Ordering rules: a range is added after the upstream alloc succeeded and
 * removed before the upstream free, so a reused address is never shadowed;
 * when the upstream free fails the range is added back. */
#include "core/ipc_internal.h"
#include "core/memory_provider_internal.h"
#include "core/provider_tracking_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

typedef struct tracking_provider_t {
    umf_memory_provider_handle_t upstream;
    umf_memory_pool_handle_t pool;
    ipc_cache_t *ipc_cache; /* created by the first IPC get */
} tracking_provider_t;

static umf_result_t tracking_initialize(void *params, void **provider) {
    tracking_provider_t *p = umf_ba_alloc(sizeof(*p));
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *p = *(tracking_provider_t *)params;
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static void tracking_release_range(void *arg, void *base, size_t size) {
    tracking_provider_t *p = arg;
    if (umfMemoryProviderFree(p->upstream, base, size) != UMF_RESULT_SUCCESS) {
        LOG_ERR("freeing leftover range %p (%zu bytes) failed", base, size);
    }
}

/* Ranges still tracked when the pool goes away were never freed by the
 * pool: give them back to the provider instead of leaking them. */
static void tracking_finalize(void *provider) {
    tracking_provider_t *p = provider;
    /* handles opened through this wrapper were closed by
     * umfMemoryProviderDestroy; cached blobs are put while the upstream
     * provider still holds the memory they refer to */
    ipc_cache_delete(p->ipc_cache);
    size_t n = tracker_release_pool(p->pool, tracking_release_range, p);
    if (n) {
        LOG_WARN("pool %p destroyed with %zu live provider allocations; "
                 "returned them to the provider",
                 (void *)p->pool, n);
    }
    umf_ba_free(p);
}

static umf_result_t tracking_alloc(void *provider, size_t size,
                                   size_t alignment, void **ptr) {
    tracking_provider_t *p = provider;
    umf_result_t ret =
        umfMemoryProviderAlloc(p->upstream, size, alignment, ptr);
    if (ret != UMF_RESULT_SUCCESS || !*ptr) {
        return ret; /* a provider may return SUCCESS with NULL: untracked */
    }
    ret = tracker_add(p->pool, *ptr, size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("cannot track %p (%zu bytes); returning it to the provider",
                *ptr, size);
        umfMemoryProviderFree(p->upstream, *ptr, size);
        *ptr = NULL;
    }
    return ret;
}

static umf_result_t tracking_free(void *provider, void *ptr, size_t size) {
    tracking_provider_t *p = provider;
    size_t tracked_size = 0;
    bool removed = false;
    if (ptr) {
        removed =
            tracker_remove(p->pool, ptr, &tracked_size) == UMF_RESULT_SUCCESS;
        if (!removed) {
            /* a pointer of another pool or of no pool: the upstream
             * provider never handed it out through this pool, and freeing
             * it there would unmap or corrupt someone else's memory */
            LOG_ERR("freeing %p, which pool %p does not track", ptr,
                    (void *)p->pool);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        } else {
            if (size == 0) {
                size = tracked_size;
            }
            ipc_cache_t *cache = utils_atomic_load_acquire(&p->ipc_cache);
            if (cache) {
                ipc_cache_drop(cache, ptr);
            }
        }
    }
    umf_result_t ret = umfMemoryProviderFree(p->upstream, ptr, size);
    if (ret != UMF_RESULT_SUCCESS && removed) {
        if (tracker_add(p->pool, ptr, tracked_size) != UMF_RESULT_SUCCESS) {
            LOG_ERR("cannot re-track %p after a failed free", ptr);
        }
    }
    return ret;
}

static void tracking_get_last_native_error(void *provider,
                                           const char **ppMessage,
                                           int32_t *pError) {
    tracking_provider_t *p = provider;
    umfMemoryProviderGetLastNativeError(p->upstream, ppMessage, pError);
}

static umf_result_t tracking_get_recommended_page_size(void *provider,
                                                       size_t size,
                                                       size_t *pageSize) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderGetRecommendedPageSize(p->upstream, size, pageSize);
}

static umf_result_t tracking_get_min_page_size(void *provider, void *ptr,
                                               size_t *pageSize) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderGetMinPageSize(p->upstream, ptr, pageSize);
}

static const char *tracking_get_name(void *provider) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderGetName(p->upstream);
}

static umf_result_t tracking_purge_lazy(void *provider, void *ptr,
                                        size_t size) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderPurgeLazy(p->upstream, ptr, size);
}

static umf_result_t tracking_purge_force(void *provider, void *ptr,
                                         size_t size) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderPurgeForce(p->upstream, ptr, size);
}

/* Split and merge validate against the tracker first (exact sizes,
 * adjacency, no nested ranges) and undo the tracker change when the
 * provider refuses. */
static umf_result_t tracking_split(void *provider, void *ptr, size_t totalSize,
                                   size_t firstSize) {
    tracking_provider_t *p = provider;
    umf_result_t ret = tracker_split(p->pool, ptr, totalSize, firstSize);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = umfMemoryProviderAllocationSplit(p->upstream, ptr, totalSize,
                                           firstSize);
    if (ret != UMF_RESULT_SUCCESS) {
        tracker_merge(p->pool, ptr, (char *)ptr + firstSize, totalSize, NULL);
    }
    return ret;
}

static umf_result_t tracking_merge(void *provider, void *lowPtr, void *highPtr,
                                   size_t totalSize) {
    tracking_provider_t *p = provider;
    size_t low_size = 0;
    umf_result_t ret =
        tracker_merge(p->pool, lowPtr, highPtr, totalSize, &low_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = umfMemoryProviderAllocationMerge(p->upstream, lowPtr, highPtr,
                                           totalSize);
    if (ret != UMF_RESULT_SUCCESS) {
        tracker_split(p->pool, lowPtr, totalSize, low_size);
    }
    return ret;
}

static umf_result_t tracking_ipc_size(void *provider, size_t *size) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderGetIPCHandleSize(p->upstream, size);
}

static umf_result_t tracking_ipc_get(void *provider, const void *ptr,
                                     size_t size, void *data) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderGetIPCHandle(p->upstream, ptr, size, data);
}

static umf_result_t tracking_ipc_put(void *provider, void *data) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderPutIPCHandle(p->upstream, data);
}

static umf_result_t tracking_ipc_open(void *provider, void *data, void **ptr) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderOpenIPCHandle(p->upstream, data, ptr);
}

static umf_result_t tracking_ipc_close(void *provider, void *ptr, size_t size) {
    tracking_provider_t *p = provider;
    return umfMemoryProviderCloseIPCHandle(p->upstream, ptr, size);
}

static const umf_memory_provider_ops_t tracking_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = tracking_initialize,
    .finalize = tracking_finalize,
    .alloc = tracking_alloc,
    .free = tracking_free,
    .get_last_native_error = tracking_get_last_native_error,
    .get_recommended_page_size = tracking_get_recommended_page_size,
    .get_min_page_size = tracking_get_min_page_size,
    .get_name = tracking_get_name,
    .ext =
        {
            .purge_lazy = tracking_purge_lazy,
            .purge_force = tracking_purge_force,
            .allocation_merge = tracking_merge,
            .allocation_split = tracking_split,
        },
    .ipc =
        {
            .get_ipc_handle_size = tracking_ipc_size,
            .get_ipc_handle = tracking_ipc_get,
            .put_ipc_handle = tracking_ipc_put,
            .open_ipc_handle = tracking_ipc_open,
            .close_ipc_handle = tracking_ipc_close,
        },
};

umf_result_t tracking_provider_create(umf_memory_provider_handle_t upstream,
                                      umf_memory_pool_handle_t pool,
                                      umf_memory_provider_handle_t *wrapper) {
    tracking_provider_t params = {upstream, pool, NULL};
    umf_result_t ret = umfMemoryProviderCreate(&tracking_ops, &params, wrapper);
    if (ret == UMF_RESULT_SUCCESS) {
        /* failures seen through the wrapper are the user's provider's */
        (*wrapper)->blame = upstream;
    }
    return ret;
}

ipc_cache_t *tracking_provider_ipc_cache(umf_memory_provider_handle_t wrapper) {
    tracking_provider_t *p = provider_priv(wrapper);
    ipc_cache_t *cache = utils_atomic_load_acquire(&p->ipc_cache);
    if (cache) {
        return cache;
    }
    ipc_cache_t *fresh = ipc_cache_new(p->upstream);
    if (!fresh) {
        return NULL;
    }
    ipc_cache_t *expected = NULL;
    if (!__atomic_compare_exchange_n(&p->ipc_cache, &expected, fresh, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        ipc_cache_delete(fresh); /* another thread won */
        return expected;
    }
    return fresh;
}
