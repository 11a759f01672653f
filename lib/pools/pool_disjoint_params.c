/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_params.c -- disjoint pool parameters, shared limits and
 * the trace statistics.
 *
 * Argument rules: every setter rejects a NULL handle with INVALID_ARGUMENT;
 * beyond that the reference accepted anything but a minimum bucket size
 * that is not a power of 2. We also reject what cannot describe a working
 * pool: a slab minimum size of 0, a negative trace level and a NULL name.
 * Every other value is used as given (maximum poolable size 0: nothing is
 * pooled; capacity 0: no empty slab is kept in buckets of one chunk per
 * slab).
 *
 * Trace (umfDisjointPoolParamsSetTrace): 1 keeps per-bucket counts, 2 also
 * prints them and the memory held when the pool is destroyed (LOG_INFO),
 * 3 also logs every allocation and free (LOG_DEBUG). */
#include <string.h>

#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define PARAMS_CHECK_HANDLE(h)                                                 \
    do {                                                                       \
        if (!(h)) {                                                            \
            LOG_ERR("disjoint pool params handle is NULL");                    \
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;                          \
        }                                                                      \
    } while (0)

UMF_EXPORT umf_disjoint_pool_shared_limits_handle_t
umfDisjointPoolSharedLimitsCreate(size_t MaxSize) {
    umf_disjoint_pool_shared_limits_handle_t l = umf_ba_alloc(sizeof(*l));
    if (!l) {
        LOG_ERR("cannot allocate disjoint pool shared limits");
        return NULL;
    }
    l->max_size = MaxSize;
    l->total_size = 0;
    l->refs = 1; /* the user's handle */
    return l;
}

void disjoint_limits_ref(umf_disjoint_pool_shared_limits_handle_t limits) {
    utils_fetch_add(&limits->refs, 1);
}

void disjoint_limits_unref(umf_disjoint_pool_shared_limits_handle_t limits) {
    if (utils_fetch_sub(&limits->refs, 1) == 1) {
        umf_ba_free(limits);
    }
}

UMF_EXPORT void umfDisjointPoolSharedLimitsDestroy(
    umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    if (!hSharedLimits) {
        return;
    }
    size_t refs = utils_atomic_load_acquire(&hSharedLimits->refs);
    if (refs > 1) {
        LOG_WARN("shared limits %p destroyed while %zu pools still use them; "
                 "they are freed when the last of those pools is destroyed",
                 (void *)hSharedLimits, refs - 1);
    }
    disjoint_limits_unref(hSharedLimits);
}

UMF_EXPORT umf_result_t
umfDisjointPoolParamsCreate(umf_disjoint_pool_params_handle_t *hParams) {
    if (!hParams) {
        LOG_ERR("hParams is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_disjoint_pool_params_handle_t p = umf_ba_calloc(1, sizeof(*p));
    if (!p) {
        LOG_ERR("cannot allocate disjoint pool params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->slab_min_size = DISJOINT_DEFAULT_SLAB_MIN_SIZE;
    p->max_poolable_size = DISJOINT_DEFAULT_MAX_POOLABLE_SIZE;
    p->capacity = DISJOINT_DEFAULT_CAPACITY;
    p->min_bucket_size = DISJOINT_DEFAULT_MIN_BUCKET_SIZE;
    p->trace = 0;
    p->shared_limits = NULL;
    memcpy(p->name, DISJOINT_DEFAULT_NAME, sizeof(DISJOINT_DEFAULT_NAME));
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t
umfDisjointPoolParamsDestroy(umf_disjoint_pool_params_handle_t hParams) {
    umf_ba_free(hParams); /* NULL is fine */
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetSlabMinSize(
    umf_disjoint_pool_params_handle_t hParams, size_t slabMinSize) {
    PARAMS_CHECK_HANDLE(hParams);
    if (slabMinSize == 0) {
        LOG_ERR("the slab minimum size must be greater than 0");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->slab_min_size = slabMinSize;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetMaxPoolableSize(
    umf_disjoint_pool_params_handle_t hParams, size_t maxPoolableSize) {
    PARAMS_CHECK_HANDLE(hParams);
    hParams->max_poolable_size = maxPoolableSize;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetCapacity(
    umf_disjoint_pool_params_handle_t hParams, size_t maxCapacity) {
    PARAMS_CHECK_HANDLE(hParams);
    hParams->capacity = maxCapacity;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetMinBucketSize(
    umf_disjoint_pool_params_handle_t hParams, size_t minBucketSize) {
    PARAMS_CHECK_HANDLE(hParams);
    if (!utils_is_power_of_2(minBucketSize)) {
        LOG_ERR("the minimum bucket size (%zu) must be a power of 2",
                minBucketSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->min_bucket_size = minBucketSize;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetTrace(
    umf_disjoint_pool_params_handle_t hParams, int poolTrace) {
    PARAMS_CHECK_HANDLE(hParams);
    if (poolTrace < 0) {
        LOG_ERR("the trace level (%d) must not be negative", poolTrace);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->trace = poolTrace;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetSharedLimits(
    umf_disjoint_pool_params_handle_t hParams,
    umf_disjoint_pool_shared_limits_handle_t hSharedLimits) {
    PARAMS_CHECK_HANDLE(hParams);
    hParams->shared_limits = hSharedLimits;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDisjointPoolParamsSetName(
    umf_disjoint_pool_params_handle_t hParams, const char *name) {
    PARAMS_CHECK_HANDLE(hParams);
    if (!name) {
        LOG_ERR("the pool name is NULL");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t len = strnlen(name, DISJOINT_NAME_MAX + 1);
    if (len > DISJOINT_NAME_MAX) {
        LOG_WARN("disjoint pool name cut to %d characters", DISJOINT_NAME_MAX);
        len = DISJOINT_NAME_MAX;
    }
    memcpy(hParams->name, name, len);
    hParams->name[len] = '\0';
    return UMF_RESULT_SUCCESS;
}

/* ---- defaults and statistics of a pool ---- */

void disjoint_print_stats(const dj_pool_t *pool) {
    const char *name = pool->params.name;
    LOG_INFO("pool \"%s\" statistics: slab min size %zu, max poolable size "
             "%zu, capacity %zu, min bucket size %zu",
             name, pool->params.slab_min_size, pool->params.max_poolable_size,
             pool->params.capacity, pool->first_bucket);
    uint64_t allocs = 0, frees = 0;
    for (size_t i = 0; i < pool->nbuckets; i++) {
        const dj_bucket_t *b = &pool->buckets[i];
        uint64_t na = b->allocs, nf = b->frees;
        for (const dj_heap_t *h = pool->heaps; h; h = h->next) {
            na += h->b[i].nalloc;
            nf += h->b[i].nfree;
        }
        allocs += na;
        frees += nf;
        if (!na && !b->peak_held) {
            continue;
        }
        LOG_INFO("pool \"%s\" bucket %zu: allocs %llu frees %llu "
                 "slabs_in_use %zu slabs_cached %zu peak_slabs %zu "
                 "slab_size %zu",
                 name, b->size, (unsigned long long)na, (unsigned long long)nf,
                 b->slabs_held - utils_atomic_load_relaxed(&b->nempty),
                 utils_atomic_load_relaxed(&b->nempty), b->peak_held,
                 b->slab_size);
    }
    LOG_INFO("pool \"%s\" large: allocs %zu frees %zu", name,
             pool->large_allocs, pool->large_frees);
    LOG_INFO("pool \"%s\" total: allocs %llu frees %llu memory_held %zu "
             "peak_memory_held %zu",
             name, (unsigned long long)allocs + pool->large_allocs,
             (unsigned long long)frees + pool->large_frees, pool->held_bytes,
             pool->peak_bytes);
}

void disjoint_default_params(struct umf_disjoint_pool_params_t *p) {
    memset(p, 0, sizeof(*p));
    p->slab_min_size = DISJOINT_DEFAULT_SLAB_MIN_SIZE;
    p->max_poolable_size = DISJOINT_DEFAULT_MAX_POOLABLE_SIZE;
    p->capacity = DISJOINT_DEFAULT_CAPACITY;
    p->min_bucket_size = DISJOINT_DEFAULT_MIN_BUCKET_SIZE;
    memcpy(p->name, DISJOINT_DEFAULT_NAME, sizeof(DISJOINT_DEFAULT_NAME));
}
