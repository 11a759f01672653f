/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_slab.c -- the disjoint pool's buckets and slabs: the bucket
 * layout, slab descriptors and their bitmaps, slab create and destroy, the
 * empty slabs a bucket keeps, and the count of memory held.
 *
 * Buckets. Sizes run from max(min bucket size, 8) up to the first size that
 * reaches the maximum poolable size (at most 2 GiB), alternating powers of 2
 * and 1.5x steps (8, 16, 24, 32, 48, ...; a 1.5x step that is not a multiple
 * of 8 is skipped so every chunk is 8-byte aligned). A request finds its
 * bucket in O(1): through a table up to 4 KiB, from its most significant
 * bit above (dj_bucket_index, in pool_disjoint.c). Larger requests go to
 * the provider as they are.
 *
 * Slabs. A slab is one provider allocation of max(bucket size, slab minimum)
 * bytes cut into chunks of the bucket size. Its descriptor (umf_ba memory,
 * 64-byte aligned) holds a two-level free bitmap, one bit per chunk and one
 * summary bit per 64-chunk word, so taking the lowest free chunk costs two
 * count-trailing-zeros and freeing one two bit sets; and a second bitmap
 * where other threads' frees wait for the slab's owner (see
 * pool_disjoint_heap.c). What every
 * operation touches (and, for slabs of up to 64 chunks, the whole bitmap)
 * fits the descriptor's first cache line; list links come after the
 * bitmaps.
 *
 * Empty slabs, capacity and shared limits. Nothing caches free chunks. A
 * slab that becomes empty is counted as an empty slab the bucket keeps
 * (bucket->nempty and the shared limits, both fetch-add and undone when
 * over: no CAS loop, so no livelock; the limits are skipped when there are
 * none) or goes back to the provider right away. The bucket keeps up to
 * the capacity of one-chunk slabs; of slabs of several chunks one per heap,
 * up to the capacity but at least one (a single thread sees the reference's
 * one). When the owner's own free empties the heap's only slab of a bucket
 * that is not full, the heap keeps it, counted like the others: a thread
 * freeing and allocating a few chunks of one size in turn then neither
 * maps a new slab nor takes a lock. Every other empty slab goes to the
 * bucket's list (under the bucket lock), where any heap's refill finds it,
 * and where a bucket whose slabs have the same size (every bucket up to the
 * slab minimum) takes it, cut again into its own chunks, before it asks
 * the provider for a new slab (disjoint_slab_recut).
 * The number and bytes of empty slabs held are therefore exact whatever
 * the number of threads; the only delay is that a chunk freed by a thread
 * other than its slab's owner counts as live until the owner's next call
 * (or exit). */
#include <string.h>

#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* ---- memory held, limits, empty slabs ---- */

static void dj_atomic_max(size_t *p, size_t v) {
    size_t cur = utils_atomic_load_relaxed(p);
    while (cur < v &&
           !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED)) {
    }
}

void disjoint_held_add(dj_pool_t *pool, size_t bytes) {
    size_t now = utils_fetch_add(&pool->held_bytes, bytes) + bytes;
    dj_atomic_max(&pool->peak_bytes, now);
}

void disjoint_held_sub(dj_pool_t *pool, size_t bytes) {
    utils_fetch_sub(&pool->held_bytes, bytes);
}

/* Account bytes of one more cached empty slab; false (and nothing
 * changed) when the limit would be exceeded. Add-then-undo, never a CAS
 * loop: a contended add cannot livelock, and a racing pair can at worst both
 * give their slabs back to the provider. */
static bool dj_limits_try_add(umf_disjoint_pool_shared_limits_handle_t l,
                              size_t bytes) {
    if (l->max_size == SIZE_MAX) {
        return true; /* no limit: nothing to count, no shared line to write */
    }
    size_t old = utils_fetch_add(&l->total_size, bytes);
    if (old > l->max_size || bytes > l->max_size - old) {
        utils_fetch_sub(&l->total_size, bytes);
        return false;
    }
    return true;
}

/* Count one more empty slab held for bucket b; false (nothing changed) when
 * the bucket or the limits would go over. */
bool disjoint_empty_try_add(dj_pool_t *pool, dj_bucket_t *b) {
    size_t limit = b->max_empty;
    if (b->nchunks > 1) {
        /* one per thread using the pool, up to the capacity: a thread
         * alone behaves as the reference (one), and threads whose slabs
         * of a bucket empty in turn do not take the provider's mmap and
         * munmap (and their TLB shootdowns) on every turn */
        limit = UMF_MAX(
            UMF_MIN(b->max_empty, utils_atomic_load_relaxed(&pool->nheaps)),
            (size_t)1);
    }
    if (utils_fetch_add(&b->nempty, (size_t)1) >= limit) {
        utils_fetch_sub(&b->nempty, (size_t)1);
        return false;
    }
    if (!dj_limits_try_add(pool->limits, b->slab_size)) {
        utils_fetch_sub(&b->nempty, (size_t)1);
        return false;
    }
    return true;
}

umf_result_t disjoint_alloc_error(umf_result_t provider_ret) {
    /* a request the provider refuses as such is not an out-of-memory */
    if (provider_ret == UMF_RESULT_ERROR_INVALID_ALIGNMENT ||
        provider_ret == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        return provider_ret;
    }
    return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

/* ---- slabs ---- */

static void dj_slab_init_bitmap(const dj_bucket_t *b, dj_slab_t *s) {
    uint64_t *sum = s->bits, *words = s->bits + b->nsum;
    uint64_t *remote = words + b->nwords;
    for (uint32_t w = 0; w < b->nwords; w++) {
        words[w] = ~(uint64_t)0;
        remote[w] = 0;
    }
    if (b->nchunks % 64) {
        words[b->nwords - 1] = ((uint64_t)1 << (b->nchunks % 64)) - 1;
    }
    for (uint32_t i = 0; i < b->nsum; i++) {
        sum[i] = ~(uint64_t)0;
    }
    if (b->nwords % 64) {
        sum[b->nsum - 1] = ((uint64_t)1 << (b->nwords % 64)) - 1;
    }
    s->sum_hint = 0;
}

/* size zeroed bytes on a cache line boundary, for the pool's metadata that
 * threads use apart; *raw gets what to give umf_ba_free. NULL when out of
 * memory. */
void *disjoint_calloc_line_aligned(size_t size, void **raw) {
    *raw = umf_ba_calloc(1, size + 64);
    return *raw ? (void *)utils_align_ptr_up((uintptr_t)*raw, 64) : NULL;
}

/* A descriptor goes back (caller holds map_lock): to the bucket's list
 * when it is the arena's, else to the base allocator. */
static void dj_desc_put(dj_bucket_t *b, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    if (c->raw) {
        umf_ba_free(c->raw);
        return;
    }
    c->next = b->free_descs;
    b->free_descs = s;
}

/* A descriptor for a new slab of b (caller holds map_lock): a recycled one,
 * one from heap h's part of the arena, or, when too large for the arena,
 * one of its own. Zeroed; NULL when out of memory. */
static dj_slab_t *dj_desc_take(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b) {
    dj_slab_t *s = b->free_descs;
    if (s) {
        b->free_descs = DJ_COLD(s)->next;
        memset(s, 0, b->desc_size);
        return s;
    }
    s = umf_bump_alloc(&pool->desc_arena, &h->descs, b->desc_size);
    if (s) {
        return s;
    }
    void *raw;
    s = disjoint_calloc_line_aligned(b->desc_size, &raw);
    if (!s) {
        return NULL;
    }
    s->bucket = b;
    DJ_COLD(s)->raw = raw;
    return s;
}

/* The pool's list of every slab (caller holds map_lock). */
static void dj_all_insert(dj_pool_t *pool, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    c->all_prev = NULL;
    c->all_next = pool->all_slabs;
    if (pool->all_slabs) {
        DJ_COLD(pool->all_slabs)->all_prev = s;
    }
    pool->all_slabs = s;
}

static void dj_all_remove(dj_pool_t *pool, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    if (c->all_prev) {
        DJ_COLD(c->all_prev)->all_next = c->all_next;
    } else {
        pool->all_slabs = c->all_next;
    }
    if (c->all_next) {
        DJ_COLD(c->all_next)->all_prev = c->all_prev;
    }
}

/* One slab more held for bucket b (statistics). */
static void dj_bucket_held_inc(dj_bucket_t *b) {
    size_t held = utils_fetch_add(&b->slabs_held, (size_t)1) + 1;
    dj_atomic_max(&b->peak_held, held);
}

/* A new slab from the provider for heap h, registered for lookups; NULL
 * with the last error set on failure. */
dj_slab_t *disjoint_slab_create(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b) {
    void *mem = NULL;
    umf_result_t ret =
        umfMemoryProviderAlloc(pool->provider, b->slab_size, 0, &mem);
    if (ret != UMF_RESULT_SUCCESS || !mem) {
        LOG_DEBUG("pool \"%s\": provider allocation of a %zu-byte slab "
                  "failed (result %d)",
                  pool->params.name, b->slab_size, (int)ret);
        disjoint_last_error = disjoint_alloc_error(ret);
        return NULL;
    }
    pthread_mutex_lock(&pool->map_lock);
    dj_slab_t *s = dj_desc_take(pool, h, b);
    if (!s) {
        pthread_mutex_unlock(&pool->map_lock);
        LOG_ERR("cannot allocate a slab descriptor");
        goto err_free;
    }
    s->start = mem;
    s->bucket = b;
    dj_slab_init_bitmap(b, s);
    if (!disjoint_radix_register(pool, s)) {
        dj_desc_put(b, s);
        pthread_mutex_unlock(&pool->map_lock);
        goto err_free;
    }
    dj_all_insert(pool, s);
    pthread_mutex_unlock(&pool->map_lock);

    dj_bucket_held_inc(b);
    disjoint_held_add(pool, b->slab_size);
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": new slab %p of %zu bytes for bucket %zu",
                  pool->params.name, mem, b->slab_size, b->size);
    }
    return s;

err_free:
    if (umfMemoryProviderFree(pool->provider, mem, b->slab_size) !=
        UMF_RESULT_SUCCESS) {
        LOG_ERR("cannot return slab %p to the provider", mem);
    }
    disjoint_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    return NULL;
}

/* Unregister a slab and give it back to the provider. Lookups stop
 * finding it before the provider may hand its addresses out again. */
static void dj_slab_destroy(dj_pool_t *pool, dj_slab_t *s) {
    dj_bucket_t *b = s->bucket;
    pthread_mutex_lock(&pool->map_lock);
    disjoint_radix_unregister(pool, s);
    dj_all_remove(pool, s);
    void *start = s->start;
    dj_desc_put(b, s);
    pthread_mutex_unlock(&pool->map_lock);

    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": slab %p of %zu bytes back to the provider",
                  pool->params.name, start, b->slab_size);
    }
    umf_result_t ret =
        umfMemoryProviderFree(pool->provider, start, b->slab_size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("pool \"%s\": provider free of slab %p (%zu bytes) failed "
                "(result %d)",
                pool->params.name, start, b->slab_size, (int)ret);
    }
    utils_fetch_sub(&b->slabs_held, 1);
    disjoint_held_sub(pool, b->slab_size);
}

/* A slab just became empty and nothing refers to it: keep it if the bucket
 * and the limits allow, else return it to the provider at once. */
void disjoint_bucket_release(dj_pool_t *pool, dj_bucket_t *b, dj_slab_t *s) {
    __atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
    /* a slab its heap kept is counted already */
    if (s->cached || disjoint_empty_try_add(pool, b)) {
        s->cached = true;
        pthread_mutex_lock(&b->lock);
        disjoint_list_push_head(&b->empty, NULL, s);
        pthread_mutex_unlock(&b->lock);
        return;
    }
    dj_slab_destroy(pool, s);
}

/* An empty slab another bucket keeps on its list, when that bucket's slabs
 * have b's size: cut again into b's chunks, it saves the provider call (a
 * mapping, and on release an unmapping with its TLB shootdown) that a new
 * slab would cost. Only allocation takes from other buckets, so what each
 * bucket keeps stays within its own bound, as in the reference, and a move
 * never adds to the memory kept. NULL when there is no such slab or no
 * descriptor for it (nothing changed then). */
dj_slab_t *disjoint_slab_recut(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b) {
    /* nempty also counts the slabs heaps keep: a hint, read first so that
     * a pool with nothing to pass on takes no lock */
    size_t i = b->index < pool->nsame_slab ? pool->nsame_slab : 0;
    while (i-- > 0 && (i == b->index || utils_atomic_load_relaxed(
                                            &pool->buckets[i].nempty) == 0)) {
    }
    if (i == SIZE_MAX) {
        return NULL;
    }
    pthread_mutex_lock(&pool->map_lock);
    dj_slab_t *s = dj_desc_take(pool, h, b);
    pthread_mutex_unlock(&pool->map_lock);
    if (!s) {
        return NULL;
    }
    s->bucket = b;
    /* from there down, largest first: one-chunk buckets keep up to the
     * capacity */
    dj_bucket_t *o = NULL;
    dj_slab_t *old = NULL;
    for (i++; i-- > 0 && !old;) {
        o = &pool->buckets[i];
        if (o == b) {
            continue;
        }
        pthread_mutex_lock(&o->lock);
        old = o->empty;
        if (old) {
            disjoint_list_remove(&o->empty, NULL, old);
        }
        pthread_mutex_unlock(&o->lock);
    }
    pthread_mutex_lock(&pool->map_lock);
    if (old) {
        s->start = old->start;
        dj_slab_init_bitmap(b, s);
        disjoint_radix_rebind(pool, s);
        dj_all_remove(pool, old);
        dj_all_insert(pool, s);
        dj_desc_put(o, old);
    } else {
        dj_desc_put(b, s); /* only heaps keep empty slabs */
    }
    pthread_mutex_unlock(&pool->map_lock);
    if (!old) {
        return NULL;
    }
    disjoint_empty_sub(pool, o);
    utils_fetch_sub(&o->slabs_held, (size_t)1);
    dj_bucket_held_inc(b);
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": empty slab %p of bucket %zu cut into chunks "
                  "of %zu",
                  pool->params.name, (void *)s->start, o->size, b->size);
    }
    return s;
}

/* ---- the bucket layout ---- */

/* Lay out the buckets. */
umf_result_t disjoint_setup_buckets(dj_pool_t *pool) {
    const struct umf_disjoint_pool_params_t *pp = &pool->params;
    size_t first = UMF_MAX(pp->min_bucket_size, DJ_MIN_ALIGN);
    unsigned f = 63 - (unsigned)__builtin_clzll((unsigned long long)first);
    pool->first_bucket = first;
    for (unsigned j = 0; j < 65; j++) {
        pool->idx_pow2[j] = -1;
        pool->idx_3half[j] = -1;
    }
    if (pp->max_poolable_size == 0 || first > DJ_MAX_BUCKET_SIZE) {
        pool->nbuckets = 0;
        pool->max_small = 0;
        return UMF_RESULT_SUCCESS;
    }
    size_t limit = UMF_MIN(pp->max_poolable_size, DJ_MAX_BUCKET_SIZE);

    /* sizes: 2^j, then 3*2^(j-1) when it is a multiple of 8, ... */
    size_t sizes[128];
    size_t n = 0;
    for (unsigned j = f;; j++) {
        size_t pw = (size_t)1 << j;
        pool->idx_pow2[j] = (int16_t)n;
        sizes[n++] = pw;
        if (pw >= limit) {
            break;
        }
        if (j >= 4) {
            pool->idx_3half[j] = (int16_t)n;
            sizes[n++] = (size_t)3 << (j - 1);
            if (((size_t)3 << (j - 1)) >= limit) {
                break;
            }
        }
    }
    pool->buckets = disjoint_calloc_line_aligned(n * sizeof(dj_bucket_t),
                                                 &pool->buckets_raw);
    if (!pool->buckets) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pool->nbuckets = n;
    pool->max_small = UMF_MIN(pp->max_poolable_size, sizes[n - 1]);

    for (size_t i = 0; i < n; i++) {
        dj_bucket_t *b = &pool->buckets[i];
        b->size = sizes[i];
        b->index = (unsigned)i;
        pthread_mutex_init(&b->lock, NULL);
        b->slab_size = UMF_MAX(b->size, pp->slab_min_size);
        size_t nchunks = b->slab_size / b->size;
        if (nchunks > DJ_MAX_CHUNKS) {
            LOG_ERR("slab minimum size %zu makes slabs of more than %zu "
                    "chunks of %zu bytes",
                    pp->slab_min_size, DJ_MAX_CHUNKS, b->size);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        b->nchunks = (uint32_t)nchunks;
        b->nwords = (uint32_t)((nchunks + 63) / 64);
        b->nsum = (b->nwords + 63) / 64;
        /* header, bitmaps, cold part; whole cache lines */
        size_t words = 2 * (size_t)b->nwords + b->nsum;
        if (utils_mul_overflow(words, sizeof(uint64_t), &b->cold_off) ||
            utils_add_overflow(b->cold_off, sizeof(dj_slab_t), &b->cold_off) ||
            utils_add_overflow(b->cold_off, sizeof(dj_slab_cold_t) + 63,
                               &b->desc_size)) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        b->desc_size &= ~(size_t)63;
        unsigned lg = (unsigned)__builtin_ctzll((unsigned long long)b->size);
        if ((b->size >> lg) == 3) {
            /* off < 2^62 here, far inside the range where this is exact */
            b->magic = 0x5555555555555556ull;
            b->mshift = 64 + lg;
        } else {
            b->magic = 1;
            b->mshift = lg;
        }
        /* buckets whose slab holds several chunks: see
         * disjoint_empty_try_add */
        b->max_empty = pp->capacity;
    }
    /* buckets up to the slab minimum all have slabs of that size */
    size_t same = 1;
    while (same < n &&
           pool->buckets[same].slab_size == pool->buckets[0].slab_size) {
        same++;
    }
    pool->nsame_slab = same > 1 ? same : 0;
    /* every size in an 8-byte step maps to the same bucket: bucket sizes
     * are multiples of 8 */
    for (size_t i = 1; i <= DJ_SMALL_TABLE_MAX / 8; i++) {
        size_t sz = i * 8;
        size_t idx = 0;
        while (idx + 1 < n && sizes[idx] < sz) {
            idx++;
        }
        pool->small_index[i] = (uint8_t)idx;
    }
    pool->heap_size = sizeof(dj_heap_t) + n * sizeof(dj_hbucket_t);
    /* granules: the largest power of 2 not above the smallest slab */
    size_t min_slab = UMF_MAX(first, pp->slab_min_size);
    pool->gshift = 63 - (unsigned)__builtin_clzll((unsigned long long)min_slab);
    disjoint_radix_setup(
        &pool->rlo, pool->gshift < DJ_LO_BITS ? DJ_LO_BITS - pool->gshift : 1);
    disjoint_radix_setup(&pool->rhi, 64 - pool->gshift);
    pool->rlo.root = umf_ba_calloc(1, disjoint_radix_node_bytes(&pool->rlo, 0));
    if (!pool->rlo.root) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    return UMF_RESULT_SUCCESS;
}
