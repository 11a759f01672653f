/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_counted_provider.c -- a provider that passes every call on to
 * another provider (which it owns) and counts the allocations and frees
 * that reach it, so that a benchmark can say how many provider calls a
 * pool made (see bench_setup.h). */

#include <stdio.h>
#include <stdlib.h>

#include <umf/memory_provider_ops.h>

#include "bench_setup.h"

typedef struct counted_t {
    umf_memory_provider_handle_t inner;
    bench_provider_counts_t *counts;
} counted_t;

static umf_result_t counted_initialize(void *params, void **provider) {
    const counted_t *p = params;
    counted_t *c;

    if (p == NULL || p->inner == NULL || p->counts == NULL ||
        provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    c = malloc(sizeof(*c));
    if (c == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *c = *p;
    *provider = c;
    return UMF_RESULT_SUCCESS;
}

static void counted_finalize(void *provider) {
    counted_t *c = provider;

    umfMemoryProviderDestroy(c->inner);
    free(c);
}

static umf_result_t counted_alloc(void *provider, size_t size, size_t alignment,
                                  void **ptr) {
    counted_t *c = provider;
    umf_result_t res = umfMemoryProviderAlloc(c->inner, size, alignment, ptr);

    if (res == UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&c->counts->allocs, 1, __ATOMIC_RELAXED);
    }
    return res;
}

static umf_result_t counted_free(void *provider, void *ptr, size_t size) {
    counted_t *c = provider;
    umf_result_t res = umfMemoryProviderFree(c->inner, ptr, size);

    if (res == UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&c->counts->frees, 1, __ATOMIC_RELAXED);
    }
    return res;
}

static void counted_last_native_error(void *provider, const char **ppMessage,
                                      int32_t *pError) {
    umfMemoryProviderGetLastNativeError(((counted_t *)provider)->inner,
                                        ppMessage, pError);
}

static umf_result_t counted_page_size(void *provider, size_t size,
                                      size_t *pageSize) {
    return umfMemoryProviderGetRecommendedPageSize(
        ((counted_t *)provider)->inner, size, pageSize);
}

static umf_result_t counted_min_page_size(void *provider, void *ptr,
                                          size_t *pageSize) {
    return umfMemoryProviderGetMinPageSize(((counted_t *)provider)->inner, ptr,
                                           pageSize);
}

static const char *counted_name(void *provider) {
    return umfMemoryProviderGetName(((counted_t *)provider)->inner);
}

static umf_result_t counted_purge_lazy(void *provider, void *ptr, size_t size) {
    return umfMemoryProviderPurgeLazy(((counted_t *)provider)->inner, ptr,
                                      size);
}

static umf_result_t counted_purge_force(void *provider, void *ptr,
                                        size_t size) {
    return umfMemoryProviderPurgeForce(((counted_t *)provider)->inner, ptr,
                                       size);
}

/* Split and merge are not counted: they neither map nor unmap. */
static umf_result_t counted_split(void *provider, void *ptr, size_t totalSize,
                                  size_t firstSize) {
    return umfMemoryProviderAllocationSplit(((counted_t *)provider)->inner, ptr,
                                            totalSize, firstSize);
}

static umf_result_t counted_merge(void *provider, void *lowPtr, void *highPtr,
                                  size_t totalSize) {
    return umfMemoryProviderAllocationMerge(((counted_t *)provider)->inner,
                                            lowPtr, highPtr, totalSize);
}

static const umf_memory_provider_ops_t counted_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = counted_initialize,
    .finalize = counted_finalize,
    .alloc = counted_alloc,
    .free = counted_free,
    .get_last_native_error = counted_last_native_error,
    .get_recommended_page_size = counted_page_size,
    .get_min_page_size = counted_min_page_size,
    .get_name = counted_name,
    .ext =
        {
            .purge_lazy = counted_purge_lazy,
            .purge_force = counted_purge_force,
            .allocation_merge = counted_merge,
            .allocation_split = counted_split,
        },
};

umf_memory_provider_handle_t
bench_counted_provider(umf_memory_provider_handle_t inner,
                       bench_provider_counts_t *counts) {
    counted_t params = {inner, counts};
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t res;

    res = umfMemoryProviderCreate(&counted_ops, &params, &prov);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfMemoryProviderCreate (counted): %d\n",
                (int)res);
        umfMemoryProviderDestroy(inner);
        return NULL;
    }
    return prov;
}
