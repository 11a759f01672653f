/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_provider.c -- provider handles: creation, ops validation and the
 * checked front-end calls */
#include <string.h>

#include "core/fork_internal.h"
#include "core/ipc_internal.h"
#include "core/libumf_internal.h"
#include "core/memory_provider_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static __thread umf_memory_provider_handle_t last_failed_provider;

void provider_set_last_failed(umf_memory_provider_handle_t h) {
    last_failed_provider = h->blame;
}

/* Record a failure of h and pass the result through. */
static inline umf_result_t provider_result(umf_memory_provider_handle_t h,
                                           umf_result_t ret) {
    if (UMF_UNLIKELY(ret != UMF_RESULT_SUCCESS)) {
        provider_set_last_failed(h);
    }
    return ret;
}

/* Stand-ins for optional ops the provider does not implement. */
static umf_result_t unsupported_purge(void *provider, void *ptr, size_t size) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_merge(void *provider, void *lowPtr,
                                      void *highPtr, size_t totalSize) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_split(void *provider, void *ptr,
                                      size_t totalSize, size_t firstSize) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_ipc_size(void *provider, size_t *size) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_ipc_get(void *provider, const void *ptr,
                                        size_t size, void *data) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_ipc_put(void *provider, void *data) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_ipc_open(void *provider, void *data,
                                         void **ptr) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
static umf_result_t unsupported_ipc_close(void *provider, void *ptr,
                                          size_t size) {
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

static bool provider_ops_valid(const umf_memory_provider_ops_t *ops) {
    if (!ops->initialize || !ops->finalize || !ops->alloc || !ops->free ||
        !ops->get_last_native_error || !ops->get_recommended_page_size ||
        !ops->get_min_page_size || !ops->get_name) {
        LOG_ERR("a mandatory provider operation is NULL");
        return false;
    }
    if (!ops->ext.allocation_split != !ops->ext.allocation_merge) {
        LOG_ERR("allocation_split and allocation_merge must be set together");
        return false;
    }
    const umf_memory_provider_ipc_ops_t *ipc = &ops->ipc;
    int n_ipc = !!ipc->get_ipc_handle_size + !!ipc->get_ipc_handle +
                !!ipc->put_ipc_handle + !!ipc->open_ipc_handle +
                !!ipc->close_ipc_handle;
    if (n_ipc != 0 && n_ipc != 5) {
        LOG_ERR("the five IPC operations must be all set or all NULL");
        return false;
    }
    return true;
}

static void provider_fill_optional_ops(umf_memory_provider_ops_t *ops) {
    if (!ops->ext.purge_lazy) {
        ops->ext.purge_lazy = unsupported_purge;
    }
    if (!ops->ext.purge_force) {
        ops->ext.purge_force = unsupported_purge;
    }
    if (!ops->ext.allocation_split) {
        ops->ext.allocation_split = unsupported_split;
        ops->ext.allocation_merge = unsupported_merge;
    }
    if (!ops->ipc.get_ipc_handle_size) {
        ops->ipc.get_ipc_handle_size = unsupported_ipc_size;
        ops->ipc.get_ipc_handle = unsupported_ipc_get;
        ops->ipc.put_ipc_handle = unsupported_ipc_put;
        ops->ipc.open_ipc_handle = unsupported_ipc_open;
        ops->ipc.close_ipc_handle = unsupported_ipc_close;
    }
}

/* Runs a provider op inside the fork gate (core/fork_internal.h). The IPC
 * front-ends stay outside: the IPC caches call them with a lock held. */
#define PROVIDER_GATED(expr)                                                   \
    ({                                                                         \
        umf_fork_gate_enter();                                                 \
        umf_result_t gated_ret_ = (expr);                                      \
        umf_fork_gate_exit();                                                  \
        gated_ret_;                                                            \
    })

UMF_EXPORT umf_result_t
umfMemoryProviderCreate(const umf_memory_provider_ops_t *ops, void *params,
                        umf_memory_provider_handle_t *hProvider) {
    UMF_CHECK(ops != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!provider_ops_valid(ops)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ops->version != UMF_PROVIDER_OPS_VERSION_CURRENT) {
        LOG_WARN("provider ops version %u differs from %u", ops->version,
                 (unsigned)UMF_PROVIDER_OPS_VERSION_CURRENT);
    }
    umf_ensure_initialized();

    umf_memory_provider_handle_t provider = umf_ba_calloc(1, sizeof(*provider));
    if (!provider) {
        LOG_ERR("cannot allocate a provider handle");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    provider->ops = *ops;
    provider_fill_optional_ops(&provider->ops);
    provider->blame = provider;
    provider->generation = umf_generation();

    void *priv = NULL;
    umf_result_t ret = PROVIDER_GATED(ops->initialize(params, &priv));
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("provider initialization failed (result %d)", (int)ret);
        umf_ba_free(provider);
        return ret;
    }
    provider->provider_priv = priv;
    *hProvider = provider;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT void
umfMemoryProviderDestroy(umf_memory_provider_handle_t hProvider) {
    if (!hProvider) {
        return;
    }
    if (umf_is_stale(hProvider->generation)) {
        LOG_WARN("provider %p outlived umfTearDown; not destroyed",
                 (void *)hProvider);
        return;
    }
    /* handles opened through it (a pool without tracking hands out its
     * provider as the IPC handler) are closed while it can still close
     * them; a later umfCloseIPCHandle on them is refused */
    ipc_consumer_release_handler(hProvider);
    umf_fork_gate_enter();
    hProvider->ops.finalize(hProvider->provider_priv);
    umf_fork_gate_exit();
    umf_ba_free(hProvider);
}

UMF_EXPORT umf_result_t
umfMemoryProviderAlloc(umf_memory_provider_handle_t hProvider, size_t size,
                       size_t alignment, void **ptr) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(
        hProvider, PROVIDER_GATED(hProvider->ops.alloc(hProvider->provider_priv,
                                                       size, alignment, ptr)));
}

UMF_EXPORT umf_result_t umfMemoryProviderFree(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(
        hProvider, PROVIDER_GATED(hProvider->ops.free(hProvider->provider_priv,
                                                      ptr, size)));
}

UMF_EXPORT void
umfMemoryProviderGetLastNativeError(umf_memory_provider_handle_t hProvider,
                                    const char **ppMessage, int32_t *pError) {
    /* NULL out-pointers reach the provider, as in the reference: its op
     * decides what they mean */
    if (!hProvider) {
        LOG_ERR("invalid argument: NULL provider");
        return;
    }
    hProvider->ops.get_last_native_error(hProvider->provider_priv, ppMessage,
                                         pError);
}

UMF_EXPORT umf_result_t umfMemoryProviderGetRecommendedPageSize(
    umf_memory_provider_handle_t hProvider, size_t size, size_t *pageSize) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(hProvider,
                           hProvider->ops.get_recommended_page_size(
                               hProvider->provider_priv, size, pageSize));
}

UMF_EXPORT umf_result_t umfMemoryProviderGetMinPageSize(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t *pageSize) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(
        hProvider, hProvider->ops.get_min_page_size(hProvider->provider_priv,
                                                    ptr, pageSize));
}

UMF_EXPORT umf_result_t umfMemoryProviderPurgeLazy(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(hProvider,
                           PROVIDER_GATED(hProvider->ops.ext.purge_lazy(
                               hProvider->provider_priv, ptr, size)));
}

UMF_EXPORT umf_result_t umfMemoryProviderPurgeForce(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(hProvider,
                           PROVIDER_GATED(hProvider->ops.ext.purge_force(
                               hProvider->provider_priv, ptr, size)));
}

UMF_EXPORT const char *
umfMemoryProviderGetName(umf_memory_provider_handle_t hProvider) {
    UMF_CHECK(hProvider != NULL, NULL);
    return hProvider->ops.get_name(hProvider->provider_priv);
}

UMF_EXPORT umf_memory_provider_handle_t umfGetLastFailedMemoryProvider(void) {
    return last_failed_provider;
}

UMF_EXPORT umf_result_t umfMemoryProviderAllocationSplit(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t totalSize,
    size_t firstSize) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(firstSize != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(firstSize < totalSize, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(
        hProvider, PROVIDER_GATED(hProvider->ops.ext.allocation_split(
                       hProvider->provider_priv, ptr, totalSize, firstSize)));
}

UMF_EXPORT umf_result_t umfMemoryProviderAllocationMerge(
    umf_memory_provider_handle_t hProvider, void *lowPtr, void *highPtr,
    size_t totalSize) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(lowPtr != NULL && highPtr != NULL,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(totalSize != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK((uintptr_t)lowPtr < (uintptr_t)highPtr,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK((uintptr_t)highPtr - (uintptr_t)lowPtr < totalSize,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return provider_result(
        hProvider, PROVIDER_GATED(hProvider->ops.ext.allocation_merge(
                       hProvider->provider_priv, lowPtr, highPtr, totalSize)));
}

/* IPC front-ends: arguments are checked before dispatch; the IPC result
 * does not set the last failed provider (as the reference). */
UMF_EXPORT umf_result_t umfMemoryProviderGetIPCHandleSize(
    umf_memory_provider_handle_t hProvider, size_t *size) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hProvider->ops.ipc.get_ipc_handle_size(hProvider->provider_priv,
                                                  size);
}

UMF_EXPORT umf_result_t umfMemoryProviderGetIPCHandle(
    umf_memory_provider_handle_t hProvider, const void *ptr, size_t size,
    void *providerIpcData) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hProvider->ops.ipc.get_ipc_handle(hProvider->provider_priv, ptr,
                                             size, providerIpcData);
}

UMF_EXPORT umf_result_t umfMemoryProviderPutIPCHandle(
    umf_memory_provider_handle_t hProvider, void *providerIpcData) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hProvider->ops.ipc.put_ipc_handle(hProvider->provider_priv,
                                             providerIpcData);
}

UMF_EXPORT umf_result_t umfMemoryProviderOpenIPCHandle(
    umf_memory_provider_handle_t hProvider, void *providerIpcData, void **ptr) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hProvider->ops.ipc.open_ipc_handle(hProvider->provider_priv,
                                              providerIpcData, ptr);
}

UMF_EXPORT umf_result_t umfMemoryProviderCloseIPCHandle(
    umf_memory_provider_handle_t hProvider, void *ptr, size_t size) {
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return hProvider->ops.ipc.close_ipc_handle(hProvider->provider_priv, ptr,
                                               size);
}
