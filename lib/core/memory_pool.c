/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_pool.c -- pool handles: creation, destruction, and the checked
 * malloc-like front-end */
#include <errno.h>

#include "core/fork_internal.h"
#include "core/libumf_internal.h"
#include "core/memory_pool_internal.h"
#include "core/memory_provider_internal.h"
#include "core/pool_check_internal.h"
#include "core/provider_tracking_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static bool pool_ops_valid(const umf_memory_pool_ops_t *ops) {
    if (!ops->initialize || !ops->finalize || !ops->malloc || !ops->calloc ||
        !ops->realloc || !ops->aligned_malloc || !ops->malloc_usable_size ||
        !ops->free || !ops->get_last_allocation_error) {
        LOG_ERR("every pool operation is mandatory; one is NULL");
        return false;
    }
    return true;
}

static umf_result_t pool_create(const umf_memory_pool_ops_t *ops,
                                umf_memory_provider_handle_t provider,
                                void *params, umf_pool_create_flags_t flags,
                                umf_memory_pool_handle_t *hPool) {
    UMF_CHECK(ops != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!pool_ops_valid(ops)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ops->version != UMF_POOL_OPS_VERSION_CURRENT) {
        LOG_WARN("pool ops version %u differs from %u", ops->version,
                 (unsigned)UMF_POOL_OPS_VERSION_CURRENT);
    }
    umf_ensure_initialized();

    umf_memory_pool_handle_t pool = umf_ba_calloc(1, sizeof(*pool));
    if (!pool) {
        LOG_ERR("cannot allocate a pool handle");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pool->ops = *ops;
    pool->flags = flags;
    pool->upstream = provider;
    pool->generation = umf_generation();
    pthread_mutex_init(&pool->lock, NULL);

    umf_result_t ret;
    if (flags & UMF_POOL_CREATE_FLAG_DISABLE_TRACKING) {
        pool->provider = provider;
    } else {
        ret = tracking_provider_create(provider, pool, &pool->provider);
        if (ret != UMF_RESULT_SUCCESS) {
            goto err_free;
        }
    }

    ret = ops->initialize(pool->provider, params, &pool->pool_priv);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("pool initialization failed (result %d)", (int)ret);
        goto err_wrapper;
    }
    /* the handle is zeroed: no direct path unless the pool offers one
     * (core/pool_direct_internal.h) */
    pool_direct_setup(&pool->ops, pool->pool_priv, &pool->direct);
    *hPool = pool;
    return UMF_RESULT_SUCCESS;

err_wrapper:
    /* the user's provider stays the user's, even with OWN_PROVIDER */
    if (pool->provider != provider) {
        umfMemoryProviderDestroy(pool->provider);
    }
err_free:
    pthread_mutex_destroy(&pool->lock);
    umf_ba_free(pool);
    return ret;
}

static void pool_destroy(umf_memory_pool_handle_t hPool) {
    if (umf_is_stale(hPool->generation)) {
        LOG_WARN("pool %p outlived umfTearDown; not destroyed", (void *)hPool);
        return;
    }
    hPool->ops.finalize(hPool->pool_priv);
    /* the tracking wrapper goes before its upstream (it may call it) */
    if (hPool->provider != hPool->upstream) {
        umfMemoryProviderDestroy(hPool->provider);
    }
    if (hPool->flags & UMF_POOL_CREATE_FLAG_OWN_PROVIDER) {
        umfMemoryProviderDestroy(hPool->upstream);
    }
    pthread_mutex_destroy(&hPool->lock);
    umf_ba_free(hPool);
}

/* The checking mode (core/pool_check_internal.h): a dead handle or a
 * foreign pointer gets the call's error value and a log line. */
#define POOL_CHECK_HANDLE(pool, fn, errval)                                    \
    do {                                                                       \
        if (pool_check_enabled() && !pool_check_handle((pool), (fn))) {        \
            return (errval);                                                   \
        }                                                                      \
    } while (0)

static inline bool pool_tracked(umf_memory_pool_handle_t pool) {
    return !(pool->flags & UMF_POOL_CREATE_FLAG_DISABLE_TRACKING);
}

#define POOL_CHECK_PTR(pool, ptr, fn, errval)                                  \
    do {                                                                       \
        if (pool_check_enabled() &&                                            \
            (!pool_check_handle((pool), (fn)) ||                               \
             ((ptr) &&                                                         \
              !pool_check_ptr((pool), pool_tracked(pool), (ptr), (fn))))) {    \
            return (errval);                                                   \
        }                                                                      \
    } while (0)

/* Every pool call runs inside the fork gate (core/fork_internal.h): no
 * thread is inside a pool, nor inside an allocator a pool loaded, when the
 * process forks. */
UMF_EXPORT umf_result_t umfPoolCreate(const umf_memory_pool_ops_t *ops,
                                      umf_memory_provider_handle_t provider,
                                      void *params,
                                      umf_pool_create_flags_t flags,
                                      umf_memory_pool_handle_t *hPool) {
    umf_fork_install(); /* not under the gate: it may take locks */
    umf_fork_gate_enter();
    umf_result_t ret = pool_create(ops, provider, params, flags, hPool);
    if (ret == UMF_RESULT_SUCCESS && pool_check_enabled() &&
        !pool_check_add(*hPool)) {
        pool_destroy(*hPool);
        *hPool = NULL;
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_fork_gate_exit();
    umf_fork_flush_pending(); /* a pool may have loaded its allocator */
    return ret;
}

UMF_EXPORT void umfPoolDestroy(umf_memory_pool_handle_t hPool) {
    if (!hPool) {
        return;
    }
    umf_fork_gate_enter();
    if (pool_check_enabled() && !pool_check_remove(hPool)) {
        LOG_ERR("UMF_CHECK: umfPoolDestroy: %p is not a live pool handle "
                "(destroyed already, or never created); ignored",
                (void *)hPool);
    } else {
        pool_destroy(hPool);
    }
    umf_fork_gate_exit();
}

UMF_EXPORT void *umfPoolMalloc(umf_memory_pool_handle_t hPool, size_t size) {
    UMF_CHECK(hPool != NULL, NULL);
    POOL_CHECK_HANDLE(hPool, "umfPoolMalloc", NULL);
    umf_fork_gate_enter();
    void *ptr = size < hPool->direct.size_limit
                    ? hPool->direct.malloc(hPool->pool_priv, size)
                    : hPool->ops.malloc(hPool->pool_priv, size);
    umf_fork_gate_exit();
    return ptr;
}

UMF_EXPORT void *umfPoolAlignedMalloc(umf_memory_pool_handle_t hPool,
                                      size_t size, size_t alignment) {
    UMF_CHECK(hPool != NULL, NULL);
    POOL_CHECK_HANDLE(hPool, "umfPoolAlignedMalloc", NULL);
    umf_fork_gate_enter();
    void *ptr = hPool->ops.aligned_malloc(hPool->pool_priv, size, alignment);
    umf_fork_gate_exit();
    return ptr;
}

UMF_EXPORT void *umfPoolCalloc(umf_memory_pool_handle_t hPool, size_t num,
                               size_t size) {
    UMF_CHECK(hPool != NULL, NULL);
    POOL_CHECK_HANDLE(hPool, "umfPoolCalloc", NULL);
    umf_fork_gate_enter();
    void *ptr = hPool->ops.calloc(hPool->pool_priv, num, size);
    umf_fork_gate_exit();
    return ptr;
}

UMF_EXPORT void *umfPoolRealloc(umf_memory_pool_handle_t hPool, void *ptr,
                                size_t size) {
    UMF_CHECK(hPool != NULL, NULL);
    POOL_CHECK_PTR(hPool, ptr, "umfPoolRealloc", NULL);
    umf_fork_gate_enter();
    void *nptr = hPool->ops.realloc(hPool->pool_priv, ptr, size);
    umf_fork_gate_exit();
    return nptr;
}

UMF_EXPORT size_t umfPoolMallocUsableSize(umf_memory_pool_handle_t hPool,
                                          void *ptr) {
    UMF_CHECK(hPool != NULL, 0);
    POOL_CHECK_PTR(hPool, ptr, "umfPoolMallocUsableSize", 0);
    umf_fork_gate_enter();
    size_t n = hPool->ops.malloc_usable_size(hPool->pool_priv, ptr);
    umf_fork_gate_exit();
    return n;
}

/* Out of line: the direct free's caller then saves no registers. */
static __attribute__((noinline, cold)) umf_result_t
pool_direct_free_failed(void) {
    LOG_ERR("the pool's allocator refused a free");
    return UMF_RESULT_ERROR_UNKNOWN;
}

static inline umf_result_t pool_free_block(umf_memory_pool_handle_t pool,
                                           void *ptr) {
    umf_result_t ret = UMF_RESULT_SUCCESS;
    umf_fork_gate_enter();
    if (pool->direct.free) {
        if (UMF_UNLIKELY(!pool->direct.free(pool->pool_priv, ptr))) {
            ret = pool_direct_free_failed();
        }
    } else {
        ret = pool->ops.free(pool->pool_priv, ptr);
    }
    umf_fork_gate_exit();
    return ret;
}

UMF_EXPORT umf_result_t umfPoolFree(umf_memory_pool_handle_t hPool, void *ptr) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    POOL_CHECK_PTR(hPool, ptr, "umfPoolFree",
                   UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!ptr) {
        /* the pool's op sees free(NULL), as in the reference (a pool may
         * pass it on to its provider); the direct path never does */
        umf_fork_gate_enter();
        umf_result_t ret = hPool->ops.free(hPool->pool_priv, NULL);
        umf_fork_gate_exit();
        return ret;
    }
    return pool_free_block(hPool, ptr);
}

UMF_EXPORT umf_result_t umfFree(void *ptr) {
    tracker_alloc_info_t info;
    if (!ptr || tracker_find(ptr, &info) != UMF_RESULT_SUCCESS) {
        return UMF_RESULT_SUCCESS; /* not pool memory: nothing to do */
    }
    return pool_free_block(info.pool, ptr);
}

UMF_EXPORT umf_memory_pool_handle_t umfPoolByPtr(const void *ptr) {
    tracker_alloc_info_t info;
    if (!ptr || tracker_find(ptr, &info) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return info.pool;
}

UMF_EXPORT umf_result_t
umfPoolGetLastAllocationError(umf_memory_pool_handle_t hPool) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    POOL_CHECK_HANDLE(hPool, "umfPoolGetLastAllocationError",
                      UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hPool->ops.get_last_allocation_error(hPool->pool_priv);
}

UMF_EXPORT umf_result_t umfPoolGetMemoryProvider(
    umf_memory_pool_handle_t hPool, umf_memory_provider_handle_t *hProvider) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    POOL_CHECK_HANDLE(hPool, "umfPoolGetMemoryProvider",
                      UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *hProvider = hPool->upstream;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfPoolSetTag(umf_memory_pool_handle_t hPool, void *tag,
                                      void **oldTag) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    pthread_mutex_lock(&hPool->lock);
    if (oldTag) {
        *oldTag = hPool->tag;
    }
    hPool->tag = tag;
    pthread_mutex_unlock(&hPool->lock);
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfPoolGetTag(umf_memory_pool_handle_t hPool,
                                      void **tag) {
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(tag != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    pthread_mutex_lock(&hPool->lock);
    *tag = hPool->tag;
    pthread_mutex_unlock(&hPool->lock);
    return UMF_RESULT_SUCCESS;
}
