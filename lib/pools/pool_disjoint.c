/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint.c -- the disjoint pool: size-class buckets over provider
 * slabs, with every byte of metadata outside provider memory.
 *
 * The pool never reads or writes the memory it hands out (it may be device
 * memory, or not mapped readable at all), so nothing here is an intrusive
 * free list and nothing depends on the tracker.
 *
 * The pool's files (see pool_disjoint_internal.h): this one holds the ops
 * table and the entry points; buckets and slabs, per-thread heaps, the
 * address map, and params and trace each have a file of their own.
 *
 * Destroy returns every slab and every large allocation to the provider and
 * reports the allocations still live under UMF_LOG. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <umf/memory_pool_ops.h>
#include <umf/pools/pool_disjoint.h>

#include "core/libumf_internal.h"
#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/bump_arena_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Shared by every disjoint pool of a thread, as the pool ops contract says. */
__thread umf_result_t disjoint_last_error DJ_TLS_LOCAL;

/* ---- size and address to bucket and chunk ---- */

static inline size_t dj_bucket_index(const dj_pool_t *pool, size_t n) {
    if (UMF_LIKELY(n <= DJ_SMALL_TABLE_MAX)) {
        return pool->small_index[(n + 7) / 8];
    }
    if (n <= pool->first_bucket) {
        return 0;
    }
    /* 2^k < n <= 2^(k+1), and k >= 3 because n > first_bucket >= 8 */
    unsigned k = 63 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
    if (pool->idx_3half[k] >= 0 && n <= ((size_t)3 << (k - 1))) {
        return (size_t)pool->idx_3half[k];
    }
    return (size_t)pool->idx_pow2[k + 1];
}

/* Without a branch: bucket sizes alternate between the two kinds, so a
 * branch on the kind would be mispredicted half of the time. */
static inline size_t dj_chunk_index(const dj_bucket_t *b, size_t off) {
    unsigned __int128 x = (unsigned __int128)off * b->magic;
    return (size_t)(x >> b->mshift);
}

/* ---- allocation ---- */

/* (inlined: the allocation and free paths are a few dozen instructions) */
static inline __attribute__((always_inline)) void *
dj_alloc_small(dj_pool_t *pool, dj_bucket_t *b) {
    dj_heap_t *h = disjoint_heap_get(pool, true);
    if (UMF_UNLIKELY(!h)) {
        disjoint_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    if (UMF_UNLIKELY(__atomic_load_n(&h->pending, __ATOMIC_RELAXED) != NULL)) {
        disjoint_heap_collect(pool, h);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    dj_slab_t *s = hb->head;
    if (UMF_UNLIKELY(!s)) {
        s = disjoint_heap_refill(pool, h, b);
        if (!s) {
            return NULL;
        }
    }
    if (UMF_UNLIKELY(s->cached)) {
        /* the kept empty slab in use again: the heap keeps its unit, but
         * shared limits count cached bytes exactly, across pools */
        s->cached = false;
        if (pool->limits->max_size != SIZE_MAX) {
            hb->holds_unit = false;
            disjoint_empty_sub(pool, b);
        }
    }
    void *p = disjoint_slab_take(b, s);
    if (s->used == b->nchunks) {
        disjoint_list_remove(&hb->head, &hb->tail, s);
        s->listed = false;
    }
    if (pool->trace) {
        hb->nalloc++;
    }
    return p;
}

static void *dj_alloc_large(dj_pool_t *pool, size_t size, size_t alignment) {
    void *p = NULL;
    umf_result_t ret =
        umfMemoryProviderAlloc(pool->provider, size, alignment, &p);
    if (ret != UMF_RESULT_SUCCESS || !p) {
        LOG_DEBUG("pool \"%s\": provider allocation of %zu bytes (alignment "
                  "%zu) failed (result %d)",
                  pool->params.name, size, alignment, (int)ret);
        disjoint_last_error = disjoint_alloc_error(ret);
        return NULL;
    }
    if (!disjoint_large_insert(pool, p, size)) {
        LOG_ERR("cannot record a large allocation");
        if (umfMemoryProviderFree(pool->provider, p, size) !=
            UMF_RESULT_SUCCESS) {
            LOG_ERR("cannot return %p to the provider", p);
        }
        disjoint_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    disjoint_held_add(pool, size);
    utils_fetch_add(&pool->large_allocs, 1);
    return p;
}

static void *dj_malloc(void *pool_, size_t size) {
    dj_pool_t *pool = pool_;
    void *p;
    if (UMF_LIKELY(size - 1 < pool->max_small)) {
        p = dj_alloc_small(pool, &pool->buckets[dj_bucket_index(pool, size)]);
    } else if (size == 0) {
        disjoint_last_error = UMF_RESULT_SUCCESS; /* no allocation, no error */
        return NULL;
    } else {
        p = dj_alloc_large(pool, size, 0);
    }
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": malloc(%zu) = %p", pool->params.name, size, p);
    }
    return p;
}

static inline umf_result_t dj_free_slab(dj_pool_t *pool, dj_slab_t *s,
                                        void *ptr);

static void *dj_aligned_malloc(void *pool_, size_t size, size_t alignment) {
    dj_pool_t *pool = pool_;
    if (alignment <= 1) {
        return dj_malloc(pool, size);
    }
    if (!utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        disjoint_last_error = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    if (alignment <= DJ_MIN_ALIGN) {
        return dj_malloc(pool, size);
    }
    if (size == 0) {
        disjoint_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    void *p = NULL;
    size_t rounded, padded;
    if (!utils_align_up_checked(size, alignment, &rounded) ||
        utils_add_overflow(size, alignment - 1, &padded)) {
        disjoint_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    /* Bucket sizes that are multiples of the alignment keep every chunk
     * aligned when the slab start is (providers give page-aligned memory):
     * try that first for alignments up to a page. */
    if (rounded <= pool->max_small && alignment <= utils_page_size()) {
        p = dj_alloc_small(pool,
                           &pool->buckets[dj_bucket_index(pool, rounded)]);
        if (!p || ((uintptr_t)p & (alignment - 1)) == 0) {
            goto out;
        }
        /* a provider whose slabs are less aligned: fall through */
        dj_free_slab(pool, disjoint_radix_find(pool, (uintptr_t)p), p);
        p = NULL;
    }
    if (padded <= pool->max_small) {
        /* align inside a larger chunk; free maps any pointer inside a chunk
         * back to the chunk's (unaligned) start */
        p = dj_alloc_small(pool, &pool->buckets[dj_bucket_index(pool, padded)]);
        if (p) {
            p = (void *)utils_align_ptr_up((uintptr_t)p, alignment);
        }
    } else {
        p = dj_alloc_large(pool, size, alignment);
    }
out:
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": aligned_malloc(%zu, %zu) = %p",
                  pool->params.name, size, alignment, p);
    }
    return p;
}

static void *dj_calloc(void *pool, size_t num, size_t size) {
    (void)pool;
    (void)num;
    (void)size;
    /* the pool may not be able to write its memory (device memory) */
    disjoint_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static void *dj_realloc(void *pool, void *ptr, size_t size) {
    (void)pool;
    (void)ptr;
    (void)size;
    disjoint_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

/* ---- free ---- */

umf_result_t disjoint_free_invalid(dj_pool_t *pool, void *ptr) {
    LOG_ERR("pool \"%s\": %p is not an allocation of this pool (or was "
            "freed already)",
            pool->params.name, ptr);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

/* A free by the slab's owner: plain loads and stores. */
static inline __attribute__((always_inline)) umf_result_t
dj_free_local(dj_pool_t *pool, dj_heap_t *h, dj_slab_t *s, size_t idx,
              void *ptr) {
    dj_bucket_t *b = s->bucket;
    bool was_full = s->used == b->nchunks;
    if (UMF_UNLIKELY(!disjoint_slab_put(b, s, idx))) {
        return disjoint_free_invalid(pool, ptr);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    if (pool->trace) {
        hb->nfree++;
    }
    if (UMF_UNLIKELY(s->used == 0)) {
        disjoint_heap_empty_slab(pool, h, hb, s);
    } else if (was_full) {
        /* behind the slabs being filled, so those fill up first */
        disjoint_list_push_tail(&hb->head, &hb->tail, s);
        s->listed = true;
    }
    return UMF_RESULT_SUCCESS;
}

static inline __attribute__((always_inline)) umf_result_t
dj_free_slab(dj_pool_t *pool, dj_slab_t *s, void *ptr) {
    dj_bucket_t *b = s->bucket;
    size_t idx = dj_chunk_index(b, (size_t)((char *)ptr - s->start));
    if (UMF_UNLIKELY(idx >= b->nchunks)) {
        return disjoint_free_invalid(pool, ptr);
    }
    dj_heap_t *h = disjoint_heap_get(pool, false);
    if (UMF_LIKELY(h != NULL)) {
        if (UMF_UNLIKELY(__atomic_load_n(&h->pending, __ATOMIC_RELAXED) !=
                         NULL)) {
            disjoint_heap_collect(pool, h);
        }
        if (UMF_LIKELY(__atomic_load_n(&s->owner, __ATOMIC_RELAXED) == h)) {
            return dj_free_local(pool, h, s, idx, ptr);
        }
    }
    return disjoint_free_remote(pool, s, idx, ptr);
}

static umf_result_t dj_free_large(dj_pool_t *pool, void *ptr) {
    dj_large_node_t *node = disjoint_large_remove(pool, ptr);
    if (!node) {
        return disjoint_free_invalid(pool, ptr);
    }
    umf_result_t ret = umfMemoryProviderFree(pool->provider, ptr, node->size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("pool \"%s\": provider free of %p (%zu bytes) failed (result "
                "%d)",
                pool->params.name, ptr, node->size, (int)ret);
        /* keep it recorded: destroy tries again */
        size_t size = node->size;
        umf_ba_free(node);
        if (!disjoint_large_insert(pool, ptr, size)) {
            LOG_ERR("cannot re-record %p", ptr);
        }
        return ret;
    }
    disjoint_held_sub(pool, node->size);
    utils_fetch_add(&pool->large_frees, 1);
    umf_ba_free(node);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t dj_free(void *pool_, void *ptr) {
    dj_pool_t *pool = pool_;
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": free(%p)", pool->params.name, ptr);
    }
    dj_slab_t *s = disjoint_radix_find(pool, (uintptr_t)ptr);
    if (UMF_LIKELY(s != NULL)) {
        return dj_free_slab(pool, s, ptr);
    }
    return dj_free_large(pool, ptr);
}

static size_t dj_malloc_usable_size(void *pool_, void *ptr) {
    dj_pool_t *pool = pool_;
    if (!ptr) {
        return 0;
    }
    dj_slab_t *s = disjoint_radix_find(pool, (uintptr_t)ptr);
    if (s) {
        const dj_bucket_t *b = s->bucket;
        size_t off = (size_t)((char *)ptr - s->start);
        size_t idx = dj_chunk_index(b, off);
        if (idx >= b->nchunks) {
            return 0;
        }
        return b->size - (off - idx * b->size);
    }
    return disjoint_large_size(pool, ptr);
}

static umf_result_t dj_get_last_allocation_error(void *pool) {
    (void)pool;
    return disjoint_last_error;
}

/* ---- destroy ---- */

/* Free the pool's own memory (no slab or large allocation left). */
static void dj_pool_release(dj_pool_t *pool) {
    dj_heap_t *h = pool->heaps;
    while (h) {
        dj_heap_t *next = h->next;
        umf_ba_free(h->raw);
        h = next;
    }
    for (size_t i = 0; i < pool->nbuckets; i++) {
        pthread_mutex_destroy(&pool->buckets[i].lock);
    }
    umf_ba_free(pool->buckets_raw);
    disjoint_radix_free(&pool->rlo, pool->rlo.root, 0);
    disjoint_radix_free(&pool->rhi, pool->rhi.root, 0);
    for (unsigned i = 0; i < DJ_LARGE_STRIPES; i++) {
        umf_ba_free(pool->large[i].heads);
        pthread_mutex_destroy(&pool->large[i].lock);
    }
    pthread_mutex_destroy(&pool->map_lock);
    pthread_mutex_destroy(&pool->heaps_lock);
    if (pool->shared_limits) {
        disjoint_limits_unref(pool->limits);
    }
    umf_ba_free(pool);
}

static void dj_finalize(void *pool_) {
    dj_pool_t *pool = pool_;
    const char *name = pool->params.name;
    /* exiting threads leave this pool's heaps alone from now on */
    disjoint_registry_remove(pool);
    /* frees other threads made, so counts and live allocations are right;
     * units that no cached slab carries leave the limits here */
    for (dj_heap_t *h = pool->heaps; h; h = h->next) {
        disjoint_heap_collect(pool, h);
        disjoint_heap_drop_units(pool, h);
    }
    if (pool->trace >= 2) {
        disjoint_print_stats(pool);
    } else if (pool->trace == 1) {
        LOG_DEBUG("pool \"%s\": memory held at destroy %zu bytes, peak %zu",
                  name, pool->held_bytes, pool->peak_bytes);
    }

    size_t live_chunks = 0, live_slabs = 0, live_large = 0, live_bytes = 0;
    dj_slab_t *s = pool->all_slabs;
    while (s) {
        dj_slab_cold_t *c = DJ_COLD(s);
        dj_slab_t *next = c->all_next;
        uint32_t live = s->used - s->rcount;
        if (s->cached) {
            disjoint_limits_sub(pool->limits, s->bucket->slab_size);
        } else if (live) {
            live_slabs++;
            live_chunks += live;
            live_bytes += (size_t)live * s->bucket->size;
            if (live_slabs <= 16) {
                LOG_DEBUG("pool \"%s\": slab %p (bucket %zu) still has %u "
                          "live chunks",
                          name, (void *)s->start, s->bucket->size, live);
            }
        }
        if (umfMemoryProviderFree(pool->provider, s->start,
                                  s->bucket->slab_size) != UMF_RESULT_SUCCESS) {
            LOG_ERR("pool \"%s\": provider free of slab %p failed", name,
                    (void *)s->start);
        }
        umf_ba_free(c->raw); /* NULL for the arena's: freed below */
        s = next;
    }
    umf_bump_arena_destroy(&pool->desc_arena);
    for (unsigned i = 0; i < DJ_LARGE_STRIPES; i++) {
        dj_large_stripe_t *st = &pool->large[i];
        for (size_t j = 0; j < st->nheads; j++) {
            dj_large_node_t *node = st->heads[j];
            while (node) {
                dj_large_node_t *next = node->next;
                live_large++;
                live_bytes += node->size;
                if (live_large <= 16) {
                    LOG_DEBUG("pool \"%s\": large allocation %p (%zu bytes) "
                              "still live",
                              name, (void *)node->ptr, node->size);
                }
                if (umfMemoryProviderFree(pool->provider, (void *)node->ptr,
                                          node->size) != UMF_RESULT_SUCCESS) {
                    LOG_ERR("pool \"%s\": provider free of %p failed", name,
                            (void *)node->ptr);
                }
                umf_ba_free(node);
                node = next;
            }
            st->heads[j] = NULL;
        }
    }
    if (live_chunks || live_large) {
        LOG_WARN("pool \"%s\" destroyed with %zu live allocations (%zu in %zu "
                 "slabs, %zu large; %zu bytes); their memory went back to "
                 "the provider",
                 name, live_chunks + live_large, live_chunks, live_slabs,
                 live_large, live_bytes);
    }
    dj_pool_release(pool);
}

/* ---- initialize ---- */

static umf_result_t dj_initialize(umf_memory_provider_handle_t provider,
                                  void *params, void **pool_out) {
    if (!provider || !pool_out) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    dj_pool_t *pool = umf_ba_calloc(1, sizeof(*pool));
    if (!pool) {
        LOG_ERR("cannot allocate a disjoint pool");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pool->provider = provider;
    if (params) {
        pool->params = *(const struct umf_disjoint_pool_params_t *)params;
        pool->params.name[DISJOINT_NAME_MAX] = '\0';
    } else {
        disjoint_default_params(&pool->params);
    }
    pool->trace = UMF_MIN(pool->params.trace, DISJOINT_TRACE_MAX);
    if (pool->params.slab_min_size == 0 || pool->params.trace < 0 ||
        !utils_is_power_of_2(pool->params.min_bucket_size)) {
        LOG_ERR("invalid disjoint pool parameters");
        umf_ba_free(pool);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_init(&pool->map_lock, NULL);
    pthread_mutex_init(&pool->heaps_lock, NULL);
    for (unsigned i = 0; i < DJ_LARGE_STRIPES; i++) {
        pthread_mutex_init(&pool->large[i].lock, NULL);
    }
    pool->own_limits.max_size = SIZE_MAX;
    pool->own_limits.refs = 1;
    pool->limits = &pool->own_limits;
    if (pool->params.shared_limits) {
        pool->limits = pool->params.shared_limits;
        pool->shared_limits = true;
        disjoint_limits_ref(pool->limits);
    }

    umf_result_t ret = disjoint_setup_buckets(pool);
    if (ret != UMF_RESULT_SUCCESS) {
        dj_pool_release(pool);
        return ret;
    }
    pool->generation = umf_generation();
    disjoint_registry_add(pool);
    if (pool->trace) {
        LOG_DEBUG("pool \"%s\": %zu buckets of %zu..%zu bytes, slab min size "
                  "%zu, capacity %zu",
                  pool->params.name, pool->nbuckets, pool->first_bucket,
                  pool->max_small, pool->params.slab_min_size,
                  pool->params.capacity);
    }
    *pool_out = pool;
    return UMF_RESULT_SUCCESS;
}

static umf_memory_pool_ops_t dj_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = dj_initialize,
    .finalize = dj_finalize,
    .malloc = dj_malloc,
    .calloc = dj_calloc,
    .realloc = dj_realloc,
    .aligned_malloc = dj_aligned_malloc,
    .malloc_usable_size = dj_malloc_usable_size,
    .free = dj_free,
    .get_last_allocation_error = dj_get_last_allocation_error,
};

UMF_EXPORT umf_memory_pool_ops_t *umfDisjointPoolOps(void) {
    return &dj_pool_ops;
}
