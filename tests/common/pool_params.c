/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_params.c -- the pool params the pool-suite tables share
 * (pool_params.h). */
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_scalable.h>

#include "pool_params.h"

void *pool_params_disjoint(size_t slab_min_size, size_t max_poolable_size,
                           size_t capacity, size_t min_bucket_size) {
    umf_disjoint_pool_params_handle_t p = NULL;
    if (umfDisjointPoolParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    if ((slab_min_size && umfDisjointPoolParamsSetSlabMinSize(
                              p, slab_min_size) != UMF_RESULT_SUCCESS) ||
        (max_poolable_size &&
         umfDisjointPoolParamsSetMaxPoolableSize(p, max_poolable_size) !=
             UMF_RESULT_SUCCESS) ||
        (capacity &&
         umfDisjointPoolParamsSetCapacity(p, capacity) != UMF_RESULT_SUCCESS) ||
        (min_bucket_size && umfDisjointPoolParamsSetMinBucketSize(
                                p, min_bucket_size) != UMF_RESULT_SUCCESS)) {
        umfDisjointPoolParamsDestroy(p);
        return NULL;
    }
    return p;
}

void *pool_params_disjoint_reference(void) {
    return pool_params_disjoint(4096, 4096, 4, 64);
}

void pool_params_disjoint_destroy(void *params) {
    umfDisjointPoolParamsDestroy(params);
}

void *pool_params_scalable_create(void) {
    umf_scalable_pool_params_handle_t p = NULL;
    if (umfScalablePoolParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return p;
}

void pool_params_scalable_destroy(void *params) {
    umfScalablePoolParamsDestroy(params);
}

void pool_params_provider_destroy(umf_memory_provider_handle_t provider,
                                  void *ctx) {
    (void)ctx;
    umfMemoryProviderDestroy(provider);
}
