/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_proxy.c -- the proxy pool: every allocation goes straight to the
 * provider; frees learn the size from the tracker. malloc(0) and free(NULL)
 * reach the provider too (as in the reference): the provider decides. */
#include <umf/pools/pool_proxy.h>

#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

typedef struct proxy_pool_t {
    umf_memory_provider_handle_t provider;
} proxy_pool_t;

/* Shared by all proxy pools of a thread, as the pool ops contract says. */
static __thread umf_result_t proxy_last_error;

static umf_result_t proxy_initialize(umf_memory_provider_handle_t provider,
                                     void *params, void **pool) {
    proxy_pool_t *p = umf_ba_alloc(sizeof(*p));
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->provider = provider;
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static void proxy_finalize(void *pool) { umf_ba_free(pool); }

static void *proxy_aligned_malloc(void *pool, size_t size, size_t alignment) {
    proxy_pool_t *p = pool;
    void *ptr = NULL;
    umf_result_t ret =
        umfMemoryProviderAlloc(p->provider, size, alignment, &ptr);
    proxy_last_error = ret;
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("provider allocation of %zu bytes failed (result %d)", size,
                  (int)ret);
        return NULL;
    }
    return ptr;
}

static void *proxy_malloc(void *pool, size_t size) {
    return proxy_aligned_malloc(pool, size, 0);
}

static void *proxy_calloc(void *pool, size_t num, size_t size) {
    proxy_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static void *proxy_realloc(void *pool, void *ptr, size_t size) {
    proxy_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static size_t proxy_malloc_usable_size(void *pool, void *ptr) {
    proxy_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return 0;
}

static umf_result_t proxy_free(void *pool, void *ptr) {
    proxy_pool_t *p = pool;
    size_t size = 0;
    tracker_alloc_info_t info;
    if (ptr && tracker_find(ptr, &info) == UMF_RESULT_SUCCESS) {
        if (info.base != ptr) {
            LOG_ERR("%p is inside an allocation of %p, not its start", ptr,
                    info.base);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        size = info.size;
    }
    return umfMemoryProviderFree(p->provider, ptr, size);
}

static umf_result_t proxy_get_last_allocation_error(void *pool) {
    return proxy_last_error;
}

static umf_memory_pool_ops_t proxy_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = proxy_initialize,
    .finalize = proxy_finalize,
    .malloc = proxy_malloc,
    .calloc = proxy_calloc,
    .realloc = proxy_realloc,
    .aligned_malloc = proxy_aligned_malloc,
    .malloc_usable_size = proxy_malloc_usable_size,
    .free = proxy_free,
    .get_last_allocation_error = proxy_get_last_allocation_error,
};

UMF_EXPORT umf_memory_pool_ops_t *umfProxyPoolOps(void) {
    return &proxy_pool_ops;
}
