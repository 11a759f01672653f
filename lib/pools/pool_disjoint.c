/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint.c -- the disjoint pool: size-class buckets over provider
 * slabs, with every byte of metadata outside provider memory.
 *
 * The pool never reads or writes the memory it hands out (it may be device
 * memory, or not mapped readable at all), so nothing here is an intrusive
 * free list and nothing depends on the tracker.
 *
 * Buckets. Sizes run from max(min bucket size, 8) up to the first size that
 * reaches the maximum poolable size (at most 2 GiB), alternating powers of 2
 * and 1.5x steps (8, 16, 24, 32, 48, ...; a 1.5x step that is not a multiple
 * of 8 is skipped so every chunk is 8-byte aligned). A request maps to its
 * bucket in O(1) from its most significant bit. Larger requests go to the
 * provider as they are.
 *
 * Slabs. A slab is one provider allocation of max(bucket size, slab minimum)
 * bytes cut into chunks of the bucket size. Its descriptor (umf_ba memory)
 * holds a two-level free bitmap: one bit per chunk and one summary bit per
 * 64-chunk word, so taking the lowest free chunk costs two
 * count-trailing-zeros and freeing one costs two bit sets.
 *
 * Lookup on free: a pool-private radix tree over the address space at the
 * granularity G = the largest power of 2 not above the smallest slab. Every
 * slab is at least G bytes, so a granule holds at most two slabs: one that
 * covers the granule's first byte ("cover", stored with its end address) and
 * one that starts inside it ("start", stored with its start address). A
 * lookup is a walk of 3-4 levels plus two compares, lock-free: entries
 * change only under the pool's map lock when a slab is created or returned
 * to the provider, and a pointer being freed is inside a live slab whose
 * entries cannot change meanwhile. Large allocations live in a hash map
 * (16 stripes, each with its own lock and a chained table that doubles as
 * it fills), keyed by address, holding the exact size for the provider
 * free. So freeing is O(1) with or without the tracker
 * (UMF_POOL_CREATE_FLAG_DISABLE_TRACKING), large allocations included.
 *
 * Threads. There is no pool-wide lock on the allocation and free paths.
 * Each CPU has its own arena (created on first use) holding, per bucket, a
 * list of partly used slabs behind a small spinlock; a thread allocates from
 * the arena of the CPU it runs on (sched_getcpu, an rseq read in glibc), and
 * a free goes to the arena that owns the chunk's slab. A slab belongs to one
 * arena from the moment it is taken until it is empty again.
 *
 * Empty slabs. Nothing caches free chunks per thread or per CPU: the free
 * that empties a slab takes it out of its arena at once and hands it to the
 * bucket, which keeps it (under the bucket lock) only while the bucket holds
 * fewer than its limit of empty slabs (1 for buckets whose slab holds
 * several chunks, the capacity otherwise) and the shared limits accept its
 * bytes (fetch-add, undone when over the limit); otherwise it goes back to
 * the provider right away. Capacity and shared limits are therefore exact
 * whatever the number of threads, and a thread that exits leaves nothing
 * behind but the chunks it did not free.
 *
 * Destroy returns every slab and every large allocation to the provider and
 * reports the allocations still live under UMF_LOG.
 *
 * Trace (umfDisjointPoolParamsSetTrace): 1 keeps per-bucket counts, 2 also
 * prints them and the memory held when the pool is destroyed (LOG_INFO),
 * 3 also logs every allocation and free (LOG_DEBUG). */
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <umf/memory_pool_ops.h>
#include <umf/pools/pool_disjoint.h>

#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Every chunk is at least this aligned (the malloc contract of the pool). */
#define DJ_MIN_ALIGN ((size_t)8)
/* The last bucket (the reference's CutOff). */
#define DJ_MAX_BUCKET_SIZE ((size_t)1 << 31)
/* Slabs with more chunks than this make a pool refuse to start. */
#define DJ_MAX_CHUNKS ((size_t)1 << 30)
/* Arenas: one per configured CPU, at most this many. */
#define DJ_MAX_ARENAS 256u

/* Radix tree: addresses below 2^57 (x86-64 5-level paging, arm64 52 bits),
 * leaves of 2^10 granules, interior nodes of 2^11 children. */
#define DJ_VA_BITS 57
#define DJ_LEAF_BITS 10
#define DJ_NODE_BITS 11
#define DJ_MAX_LEVELS 6
#define DJ_LEAF_ENTRIES ((size_t)1 << DJ_LEAF_BITS)

#define DJ_LARGE_STRIPES 16

#if defined(__x86_64__) || defined(__i386__)
#define DJ_CPU_RELAX() __builtin_ia32_pause()
#else
#define DJ_CPU_RELAX() ((void)0)
#endif

/* ---- small spinlock: one atomic exchange to take, a store to release ---- */

typedef struct dj_spin_t {
    int locked;
} dj_spin_t;

static void dj_spin_lock_slow(dj_spin_t *l) {
    unsigned spins = 0;
    for (;;) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            if (++spins < 64) {
                DJ_CPU_RELAX();
            } else {
                /* the holder may be preempted on this very CPU */
                sched_yield();
            }
        }
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}

static inline void dj_spin_lock(dj_spin_t *l) {
    if (UMF_UNLIKELY(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))) {
        dj_spin_lock_slow(l);
    }
}

static inline void dj_spin_unlock(dj_spin_t *l) {
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

/* ---- structures ---- */

struct dj_bucket_t;
struct dj_arena_t;

typedef struct dj_slab_t {
    /* set when the slab is created or taken by an arena; stable while it
     * has live chunks */
    char *start;
    size_t size;
    struct dj_bucket_t *bucket;
    struct dj_arena_t *arena; /* NULL while empty */
    /* under the owning arena's class lock */
    uint32_t used;     /* chunks handed out */
    uint32_t sum_hint; /* no summary word below it has a bit set */
    bool listed;       /* in the arena's list of partly used slabs */
    /* under the bucket lock */
    bool cached; /* in the bucket's list of empty slabs */
    /* arena list of partly used slabs, or the bucket's list of empty ones */
    struct dj_slab_t *prev, *next;
    /* under the pool's map lock: every slab of the pool */
    struct dj_slab_t *all_prev, *all_next;
    /* free bitmap (1 = free), nwords words, then nsum summary words */
    uint64_t bits[];
} dj_slab_t;

typedef struct dj_bucket_t {
    size_t size;      /* chunk size */
    size_t slab_size; /* provider allocation per slab */
    size_t desc_size; /* bytes of a slab descriptor */
    size_t max_empty; /* empty slabs kept at most */
    uint32_t nchunks, nwords, nsum;
    unsigned index;
    unsigned shift; /* chunk index = (offset >> shift) / (div3 ? 3 : 1) */
    bool div3;

    pthread_mutex_t lock;
    dj_slab_t *empty; /* cached empty slabs, accounted in the limits */
    size_t nempty;

    /* statistics (atomics) */
    size_t slabs_held; /* slabs taken from the provider and not returned */
    size_t peak_held;
} dj_bucket_t;

/* A bucket's part of one arena; a cache line of its own. */
typedef struct dj_aclass_t {
    dj_spin_t lock;
    dj_slab_t *head, *tail; /* partly used slabs; allocation takes head */
    uint64_t nalloc, nfree; /* trace >= 1 */
} __attribute__((aligned(64))) dj_aclass_t;

typedef struct dj_arena_t {
    void *raw; /* what umf_ba_calloc returned (the arena is realigned) */
    dj_aclass_t cls[];
} __attribute__((aligned(64))) dj_arena_t;

typedef struct dj_leaf_entry_t {
    dj_slab_t *cover_slab; /* slab holding the granule's first byte */
    uintptr_t cover_end;   /* ... and its end address (0: none) */
    uintptr_t start_addr;  /* slab starting inside the granule (0: none) */
    dj_slab_t *start_slab;
} dj_leaf_entry_t;

typedef struct dj_large_node_t {
    uintptr_t ptr;
    size_t size;
    struct dj_large_node_t *next;
} dj_large_node_t;

typedef struct dj_large_stripe_t {
    pthread_mutex_t lock;
    dj_large_node_t **heads;
    size_t nheads; /* 0 or a power of 2 */
    size_t count;
} __attribute__((aligned(64))) dj_large_stripe_t;

typedef struct dj_pool_t {
    /* read-mostly part used by every operation */
    umf_memory_provider_handle_t provider;
    size_t max_small; /* requests up to this go to buckets */
    size_t first_bucket;
    size_t nbuckets;
    dj_bucket_t *buckets;
    int trace;
    unsigned narenas;
    dj_arena_t **arenas;
    /* radix tree */
    unsigned gshift;
    unsigned nlevels;
    unsigned level_shift[DJ_MAX_LEVELS];
    unsigned level_bits[DJ_MAX_LEVELS];
    void **radix_root;
    /* bucket index of 2^j and of 3*2^(j-1) (-1: no such bucket) */
    int16_t idx_pow2[65];
    int16_t idx_3half[65];

    umf_disjoint_pool_shared_limits_handle_t limits; /* shared or &own */
    bool shared_limits;
    struct umf_disjoint_pool_shared_limits_t own_limits;
    struct umf_disjoint_pool_params_t params;

    pthread_mutex_t map_lock; /* radix writes and the list of slabs */
    dj_slab_t *all_slabs;

    dj_large_stripe_t large[DJ_LARGE_STRIPES];

    /* statistics (atomics) */
    size_t held_bytes; /* slabs + large allocations held from the provider */
    size_t peak_bytes;
    size_t large_allocs, large_frees;
} dj_pool_t;

/* Shared by every disjoint pool of a thread, as the pool ops contract says. */
static __thread umf_result_t dj_last_error;

/* ---- helpers ---- */

static void dj_atomic_max(size_t *p, size_t v) {
    size_t cur = utils_atomic_load_relaxed(p);
    while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, true,
                                                   __ATOMIC_RELAXED,
                                                   __ATOMIC_RELAXED)) {
    }
}

static void dj_held_add(dj_pool_t *pool, size_t bytes) {
    size_t now = utils_fetch_add(&pool->held_bytes, bytes) + bytes;
    dj_atomic_max(&pool->peak_bytes, now);
}

static void dj_held_sub(dj_pool_t *pool, size_t bytes) {
    utils_fetch_sub(&pool->held_bytes, bytes);
}

/* Account bytes of one more cached empty slab; false (and nothing
 * changed) when the limit would be exceeded. Add-then-undo, never a CAS
 * loop: a contended add cannot livelock, and a racing pair can at worst both
 * give their slabs back to the provider. */
static bool dj_limits_try_add(umf_disjoint_pool_shared_limits_handle_t l,
                              size_t bytes) {
    size_t old = utils_fetch_add(&l->total_size, bytes);
    if (old > l->max_size || bytes > l->max_size - old) {
        utils_fetch_sub(&l->total_size, bytes);
        return false;
    }
    return true;
}

static void dj_limits_sub(umf_disjoint_pool_shared_limits_handle_t l,
                          size_t bytes) {
    utils_fetch_sub(&l->total_size, bytes);
}

static umf_result_t dj_alloc_error(umf_result_t provider_ret) {
    /* a request the provider refuses as such is not an out-of-memory */
    if (provider_ret == UMF_RESULT_ERROR_INVALID_ALIGNMENT ||
        provider_ret == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        return provider_ret;
    }
    return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

/* ---- radix tree (address -> slab) ---- */

static void dj_radix_setup(dj_pool_t *pool, size_t min_slab) {
    unsigned g = 63 - (unsigned)__builtin_clzll((unsigned long long)min_slab);
    pool->gshift = g;
    unsigned key_bits = DJ_VA_BITS > g ? DJ_VA_BITS - g : 1;
    unsigned rest = key_bits > DJ_LEAF_BITS ? key_bits - DJ_LEAF_BITS : 0;
    unsigned n = rest ? (rest + DJ_NODE_BITS - 1) / DJ_NODE_BITS : 1;
    unsigned root_bits = rest ? rest - (n - 1) * DJ_NODE_BITS : 1;
    pool->nlevels = n;
    for (unsigned i = 0; i < n; i++) {
        pool->level_bits[i] = i == 0 ? root_bits : DJ_NODE_BITS;
        pool->level_shift[i] = DJ_LEAF_BITS + (n - 1 - i) * DJ_NODE_BITS;
    }
}

static size_t dj_radix_node_bytes(const dj_pool_t *pool, unsigned level) {
    if (level >= pool->nlevels) {
        return DJ_LEAF_ENTRIES * sizeof(dj_leaf_entry_t);
    }
    return ((size_t)1 << pool->level_bits[level]) * sizeof(void *);
}

/* The leaf entry of granule key k; creates missing nodes when create
 * (caller holds map_lock), NULL when absent or out of memory. */
static dj_leaf_entry_t *dj_radix_entry(dj_pool_t *pool, uintptr_t k,
                                       bool create) {
    void **node = pool->radix_root;
    for (unsigned i = 0; i < pool->nlevels; i++) {
        size_t idx = (k >> pool->level_shift[i]) &
                     (((size_t)1 << pool->level_bits[i]) - 1);
        void *child = utils_atomic_load_acquire(&node[idx]);
        if (!child) {
            if (!create) {
                return NULL;
            }
            child = umf_ba_calloc(1, dj_radix_node_bytes(pool, i + 1));
            if (!child) {
                return NULL;
            }
            utils_atomic_store_release(&node[idx], child);
        }
        node = child;
    }
    return &((dj_leaf_entry_t *)node)[k & (DJ_LEAF_ENTRIES - 1)];
}

/* The slab holding address p, or NULL. Lock-free. */
static inline dj_slab_t *dj_radix_find(const dj_pool_t *pool, uintptr_t p) {
    if (UMF_UNLIKELY(p >> DJ_VA_BITS)) {
        return NULL;
    }
    uintptr_t k = p >> pool->gshift;
    void **node = pool->radix_root;
    for (unsigned i = 0; i < pool->nlevels; i++) {
        size_t idx = (k >> pool->level_shift[i]) &
                     (((size_t)1 << pool->level_bits[i]) - 1);
        node = utils_atomic_load_acquire(&node[idx]);
        if (!node) {
            return NULL;
        }
    }
    dj_leaf_entry_t *e = &((dj_leaf_entry_t *)node)[k & (DJ_LEAF_ENTRIES - 1)];
    uintptr_t a = utils_atomic_load_acquire(&e->start_addr);
    if (a && p >= a) {
        return utils_atomic_load_relaxed(&e->start_slab);
    }
    if (p < utils_atomic_load_acquire(&e->cover_end)) {
        return utils_atomic_load_relaxed(&e->cover_slab);
    }
    return NULL;
}

/* Record a slab (caller holds map_lock). Nodes are created before any entry
 * is written, so a failure leaves the tree unchanged. */
static bool dj_radix_register(dj_pool_t *pool, dj_slab_t *s) {
    uintptr_t a = (uintptr_t)s->start;
    uintptr_t end;
    if (utils_add_overflow(a, s->size, &end) || ((end - 1) >> DJ_VA_BITS)) {
        LOG_ERR("slab %p (%zu bytes) lies outside the address range the "
                "pool can index",
                (void *)s->start, s->size);
        return false;
    }
    uintptr_t k0 = a >> pool->gshift, k1 = (end - 1) >> pool->gshift;
    for (uintptr_t k = k0; k <= k1; k++) {
        if (!dj_radix_entry(pool, k, true)) {
            LOG_ERR("cannot allocate the pool's address index");
            return false;
        }
    }
    for (uintptr_t k = k0; k <= k1; k++) {
        dj_leaf_entry_t *e = dj_radix_entry(pool, k, false);
        if ((k << pool->gshift) >= a) {
            utils_atomic_store_relaxed(&e->cover_slab, s);
            utils_atomic_store_release(&e->cover_end, end);
        } else {
            utils_atomic_store_relaxed(&e->start_slab, s);
            utils_atomic_store_release(&e->start_addr, a);
        }
    }
    return true;
}

static void dj_radix_unregister(dj_pool_t *pool, dj_slab_t *s) {
    uintptr_t a = (uintptr_t)s->start;
    uintptr_t k0 = a >> pool->gshift;
    uintptr_t k1 = (a + s->size - 1) >> pool->gshift;
    for (uintptr_t k = k0; k <= k1; k++) {
        dj_leaf_entry_t *e = dj_radix_entry(pool, k, false);
        if ((k << pool->gshift) >= a) {
            utils_atomic_store_release(&e->cover_end, (uintptr_t)0);
            utils_atomic_store_relaxed(&e->cover_slab, (dj_slab_t *)NULL);
        } else {
            utils_atomic_store_release(&e->start_addr, (uintptr_t)0);
            utils_atomic_store_relaxed(&e->start_slab, (dj_slab_t *)NULL);
        }
    }
}

static void dj_radix_free(dj_pool_t *pool, void **node, unsigned level) {
    if (!node) {
        return;
    }
    if (level < pool->nlevels) {
        size_t n = (size_t)1 << pool->level_bits[level];
        for (size_t i = 0; i < n; i++) {
            dj_radix_free(pool, node[i], level + 1);
        }
    }
    umf_ba_free(node);
}

/* ---- large allocations (address -> exact size) ---- */

static inline size_t dj_large_hash(uintptr_t p) {
    return (size_t)(((uint64_t)(p >> 4) * 0x9E3779B97F4A7C15ull) >> 32);
}

static void dj_large_grow(dj_large_stripe_t *st) {
    size_t n = st->nheads ? st->nheads * 2 : 16;
    dj_large_node_t **heads = umf_ba_calloc(n, sizeof(*heads));
    if (!heads) {
        return; /* longer chains, still correct */
    }
    for (size_t i = 0; i < st->nheads; i++) {
        dj_large_node_t *node = st->heads[i];
        while (node) {
            dj_large_node_t *next = node->next;
            size_t slot = (dj_large_hash(node->ptr) / DJ_LARGE_STRIPES) & (n - 1);
            node->next = heads[slot];
            heads[slot] = node;
            node = next;
        }
    }
    umf_ba_free(st->heads);
    st->heads = heads;
    st->nheads = n;
}

static bool dj_large_insert(dj_pool_t *pool, void *ptr, size_t size) {
    dj_large_node_t *node = umf_ba_alloc(sizeof(*node));
    if (!node) {
        return false;
    }
    node->ptr = (uintptr_t)ptr;
    node->size = size;
    size_t h = dj_large_hash(node->ptr);
    dj_large_stripe_t *st = &pool->large[h % DJ_LARGE_STRIPES];
    pthread_mutex_lock(&st->lock);
    if (st->count >= st->nheads * 2) {
        dj_large_grow(st);
    }
    if (!st->nheads) {
        pthread_mutex_unlock(&st->lock);
        umf_ba_free(node);
        return false;
    }
    size_t slot = (h / DJ_LARGE_STRIPES) & (st->nheads - 1);
    node->next = st->heads[slot];
    st->heads[slot] = node;
    st->count++;
    pthread_mutex_unlock(&st->lock);
    return true;
}

/* Unlink the node of ptr (NULL when unknown); the caller frees it. */
static dj_large_node_t *dj_large_remove(dj_pool_t *pool, void *ptr) {
    size_t h = dj_large_hash((uintptr_t)ptr);
    dj_large_stripe_t *st = &pool->large[h % DJ_LARGE_STRIPES];
    dj_large_node_t *found = NULL;
    pthread_mutex_lock(&st->lock);
    if (st->nheads) {
        dj_large_node_t **pp =
            &st->heads[(h / DJ_LARGE_STRIPES) & (st->nheads - 1)];
        while (*pp) {
            if ((*pp)->ptr == (uintptr_t)ptr) {
                found = *pp;
                *pp = found->next;
                st->count--;
                break;
            }
            pp = &(*pp)->next;
        }
    }
    pthread_mutex_unlock(&st->lock);
    return found;
}

/* Size of the large allocation at ptr, 0 when unknown. */
static size_t dj_large_size(dj_pool_t *pool, void *ptr) {
    size_t h = dj_large_hash((uintptr_t)ptr);
    dj_large_stripe_t *st = &pool->large[h % DJ_LARGE_STRIPES];
    size_t size = 0;
    pthread_mutex_lock(&st->lock);
    if (st->nheads) {
        dj_large_node_t *node =
            st->heads[(h / DJ_LARGE_STRIPES) & (st->nheads - 1)];
        for (; node; node = node->next) {
            if (node->ptr == (uintptr_t)ptr) {
                size = node->size;
                break;
            }
        }
    }
    pthread_mutex_unlock(&st->lock);
    return size;
}

/* ---- buckets ---- */

static inline size_t dj_bucket_index(const dj_pool_t *pool, size_t n) {
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

static inline size_t dj_chunk_index(const dj_bucket_t *b, size_t off) {
    size_t x = off >> b->shift;
    return b->div3 ? x / 3 : x;
}

static void dj_slab_init_bitmap(const dj_bucket_t *b, dj_slab_t *s) {
    uint64_t *words = s->bits, *sum = s->bits + b->nwords;
    for (uint32_t w = 0; w < b->nwords; w++) {
        words[w] = ~(uint64_t)0;
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

/* Take the lowest free chunk (caller holds the arena class lock; the slab
 * is not full). */
static inline void *dj_slab_take(const dj_bucket_t *b, dj_slab_t *s) {
    uint64_t *words = s->bits, *sum = s->bits + b->nwords;
    uint32_t si = s->sum_hint;
    while (sum[si] == 0) {
        si++;
    }
    s->sum_hint = si;
    uint32_t w = si * 64 + (uint32_t)__builtin_ctzll(sum[si]);
    uint64_t word = words[w];
    unsigned bit = (unsigned)__builtin_ctzll(word);
    word &= word - 1;
    words[w] = word;
    if (!word) {
        sum[si] &= ~((uint64_t)1 << (w % 64));
    }
    s->used++;
    return s->start + ((size_t)w * 64 + bit) * b->size;
}

/* Give chunk idx back; false when it was not handed out (double free). */
static inline bool dj_slab_put(const dj_bucket_t *b, dj_slab_t *s,
                               size_t idx) {
    uint64_t *words = s->bits, *sum = s->bits + b->nwords;
    size_t w = idx / 64;
    uint64_t mask = (uint64_t)1 << (idx % 64);
    uint64_t word = words[w];
    if (UMF_UNLIKELY(word & mask)) {
        return false;
    }
    if (!word) {
        uint32_t si = (uint32_t)(w / 64);
        sum[si] |= (uint64_t)1 << (w % 64);
        if (si < s->sum_hint) {
            s->sum_hint = si;
        }
    }
    words[w] = word | mask;
    s->used--;
    return true;
}

static inline void dj_list_push_head(dj_aclass_t *ac, dj_slab_t *s) {
    s->prev = NULL;
    s->next = ac->head;
    if (ac->head) {
        ac->head->prev = s;
    } else {
        ac->tail = s;
    }
    ac->head = s;
    s->listed = true;
}

static inline void dj_list_push_tail(dj_aclass_t *ac, dj_slab_t *s) {
    s->next = NULL;
    s->prev = ac->tail;
    if (ac->tail) {
        ac->tail->next = s;
    } else {
        ac->head = s;
    }
    ac->tail = s;
    s->listed = true;
}

static inline void dj_list_remove(dj_aclass_t *ac, dj_slab_t *s) {
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        ac->head = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    } else {
        ac->tail = s->prev;
    }
    s->prev = s->next = NULL;
    s->listed = false;
}

/* A new slab from the provider, registered for lookups; NULL with the last
 * error set on failure. */
static dj_slab_t *dj_slab_create(dj_pool_t *pool, dj_bucket_t *b) {
    void *mem = NULL;
    umf_result_t ret =
        umfMemoryProviderAlloc(pool->provider, b->slab_size, 0, &mem);
    if (ret != UMF_RESULT_SUCCESS || !mem) {
        LOG_DEBUG("pool \"%s\": provider allocation of a %zu-byte slab "
                  "failed (result %d)",
                  pool->params.name, b->slab_size, (int)ret);
        dj_last_error = dj_alloc_error(ret);
        return NULL;
    }
    dj_slab_t *s = umf_ba_alloc(b->desc_size);
    if (!s) {
        LOG_ERR("cannot allocate a slab descriptor");
        goto err_free;
    }
    s->start = mem;
    s->size = b->slab_size;
    s->bucket = b;
    s->arena = NULL;
    s->used = 0;
    s->listed = false;
    s->cached = false;
    s->prev = s->next = NULL;
    dj_slab_init_bitmap(b, s);

    pthread_mutex_lock(&pool->map_lock);
    if (!dj_radix_register(pool, s)) {
        pthread_mutex_unlock(&pool->map_lock);
        umf_ba_free(s);
        goto err_free;
    }
    s->all_prev = NULL;
    s->all_next = pool->all_slabs;
    if (pool->all_slabs) {
        pool->all_slabs->all_prev = s;
    }
    pool->all_slabs = s;
    pthread_mutex_unlock(&pool->map_lock);

    size_t held = utils_fetch_add(&b->slabs_held, 1) + 1;
    dj_atomic_max(&b->peak_held, held);
    dj_held_add(pool, b->slab_size);
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
    dj_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    return NULL;
}

/* Unregister a slab and give it back to the provider. Lookups stop
 * finding it before the provider may hand its addresses out again. */
static void dj_slab_destroy(dj_pool_t *pool, dj_slab_t *s) {
    dj_bucket_t *b = s->bucket;
    pthread_mutex_lock(&pool->map_lock);
    dj_radix_unregister(pool, s);
    if (s->all_prev) {
        s->all_prev->all_next = s->all_next;
    } else {
        pool->all_slabs = s->all_next;
    }
    if (s->all_next) {
        s->all_next->all_prev = s->all_prev;
    }
    pthread_mutex_unlock(&pool->map_lock);

    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": slab %p of %zu bytes back to the provider",
                  pool->params.name, (void *)s->start, s->size);
    }
    umf_result_t ret = umfMemoryProviderFree(pool->provider, s->start, s->size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("pool \"%s\": provider free of slab %p (%zu bytes) failed "
                "(result %d)",
                pool->params.name, (void *)s->start, s->size, (int)ret);
    }
    utils_fetch_sub(&b->slabs_held, 1);
    dj_held_sub(pool, s->size);
    umf_ba_free(s);
}

/* An empty slab for an arena: a cached one, else a new one. */
static dj_slab_t *dj_bucket_acquire(dj_pool_t *pool, dj_bucket_t *b) {
    pthread_mutex_lock(&b->lock);
    dj_slab_t *s = b->empty;
    if (s) {
        b->empty = s->next;
        b->nempty--;
        s->cached = false;
        s->next = NULL;
    }
    pthread_mutex_unlock(&b->lock);
    if (s) {
        dj_limits_sub(pool->limits, s->size);
        return s;
    }
    return dj_slab_create(pool, b);
}

/* A slab just became empty (it is in no list): keep it if the bucket and
 * the limits allow, else return it to the provider at once. */
static void dj_bucket_release(dj_pool_t *pool, dj_bucket_t *b, dj_slab_t *s) {
    pthread_mutex_lock(&b->lock);
    if (b->nempty < b->max_empty && dj_limits_try_add(pool->limits, s->size)) {
        s->cached = true;
        s->next = b->empty;
        b->empty = s;
        b->nempty++;
        pthread_mutex_unlock(&b->lock);
        return;
    }
    pthread_mutex_unlock(&b->lock);
    dj_slab_destroy(pool, s);
}

/* ---- arenas ---- */

static dj_arena_t *dj_arena_create(dj_pool_t *pool, unsigned idx) {
    size_t bytes;
    if (utils_mul_overflow(pool->nbuckets, sizeof(dj_aclass_t), &bytes) ||
        utils_add_overflow(bytes, sizeof(dj_arena_t) + 64, &bytes)) {
        return NULL;
    }
    void *raw = umf_ba_calloc(1, bytes);
    if (!raw) {
        LOG_ERR("cannot allocate a pool arena");
        return NULL;
    }
    dj_arena_t *a = (dj_arena_t *)utils_align_ptr_up((uintptr_t)raw, 64);
    a->raw = raw;
    dj_arena_t *expected = NULL;
    if (!__atomic_compare_exchange_n(&pool->arenas[idx], &expected, a, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        umf_ba_free(raw);
        return expected;
    }
    return a;
}

static inline dj_arena_t *dj_arena_get(dj_pool_t *pool) {
    unsigned idx = 0;
    if (pool->narenas > 1) {
        int cpu = sched_getcpu();
        if (cpu > 0) {
            idx = (unsigned)cpu % pool->narenas;
        }
    }
    dj_arena_t *a = utils_atomic_load_acquire(&pool->arenas[idx]);
    if (UMF_LIKELY(a != NULL)) {
        return a;
    }
    return dj_arena_create(pool, idx);
}

/* ---- allocation ---- */

static void *dj_alloc_small(dj_pool_t *pool, dj_bucket_t *b) {
    dj_arena_t *a = dj_arena_get(pool);
    if (UMF_UNLIKELY(!a)) {
        dj_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    dj_aclass_t *ac = &a->cls[b->index];
    dj_spin_lock(&ac->lock);
    dj_slab_t *s = ac->head;
    if (UMF_UNLIKELY(!s)) {
        /* no lock held while the provider works */
        dj_spin_unlock(&ac->lock);
        s = dj_bucket_acquire(pool, b);
        if (!s) {
            return NULL;
        }
        s->arena = a;
        dj_spin_lock(&ac->lock);
        dj_list_push_head(ac, s);
    }
    void *p = dj_slab_take(b, s);
    if (s->used == b->nchunks) {
        dj_list_remove(ac, s);
    }
    if (pool->trace) {
        ac->nalloc++;
    }
    dj_spin_unlock(&ac->lock);
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
        dj_last_error = dj_alloc_error(ret);
        return NULL;
    }
    if (!dj_large_insert(pool, p, size)) {
        LOG_ERR("cannot record a large allocation");
        if (umfMemoryProviderFree(pool->provider, p, size) !=
            UMF_RESULT_SUCCESS) {
            LOG_ERR("cannot return %p to the provider", p);
        }
        dj_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    dj_held_add(pool, size);
    utils_fetch_add(&pool->large_allocs, 1);
    return p;
}

static void *dj_malloc(void *pool_, size_t size) {
    dj_pool_t *pool = pool_;
    void *p;
    if (UMF_LIKELY(size - 1 < pool->max_small)) {
        p = dj_alloc_small(pool, &pool->buckets[dj_bucket_index(pool, size)]);
    } else if (size == 0) {
        dj_last_error = UMF_RESULT_SUCCESS; /* no allocation, no error */
        return NULL;
    } else {
        p = dj_alloc_large(pool, size, 0);
    }
    if (UMF_UNLIKELY(pool->trace >= 3)) {
        LOG_DEBUG("pool \"%s\": malloc(%zu) = %p", pool->params.name, size, p);
    }
    return p;
}

static umf_result_t dj_free_small(dj_pool_t *pool, dj_slab_t *s, void *ptr);

static void *dj_aligned_malloc(void *pool_, size_t size, size_t alignment) {
    dj_pool_t *pool = pool_;
    if (alignment <= 1) {
        return dj_malloc(pool, size);
    }
    if (!utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        dj_last_error = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    if (alignment <= DJ_MIN_ALIGN) {
        return dj_malloc(pool, size);
    }
    if (size == 0) {
        dj_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    void *p = NULL;
    size_t rounded, padded;
    if (!utils_align_up_checked(size, alignment, &rounded) ||
        utils_add_overflow(size, alignment - 1, &padded)) {
        dj_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
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
        dj_free_small(pool, dj_radix_find(pool, (uintptr_t)p), p);
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
    dj_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static void *dj_realloc(void *pool, void *ptr, size_t size) {
    (void)pool;
    (void)ptr;
    (void)size;
    dj_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

/* ---- free ---- */

static umf_result_t dj_free_small(dj_pool_t *pool, dj_slab_t *s, void *ptr) {
    dj_bucket_t *b = s->bucket;
    size_t idx = dj_chunk_index(b, (size_t)((char *)ptr - s->start));
    dj_arena_t *a = s->arena;
    if (UMF_UNLIKELY(idx >= b->nchunks || !a)) {
        LOG_ERR("pool \"%s\": %p was not allocated from this pool",
                pool->params.name, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    dj_aclass_t *ac = &a->cls[b->index];
    dj_spin_lock(&ac->lock);
    bool was_full = s->used == b->nchunks;
    if (UMF_UNLIKELY(!dj_slab_put(b, s, idx))) {
        dj_spin_unlock(&ac->lock);
        LOG_ERR("pool \"%s\": %p is not allocated (double free?)",
                pool->params.name, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (pool->trace) {
        ac->nfree++;
    }
    if (UMF_UNLIKELY(s->used == 0)) {
        if (s->listed) {
            dj_list_remove(ac, s);
        }
        s->arena = NULL;
        dj_spin_unlock(&ac->lock);
        dj_bucket_release(pool, b, s);
        return UMF_RESULT_SUCCESS;
    }
    if (was_full) {
        /* behind the slabs being filled, so those fill up first */
        dj_list_push_tail(ac, s);
    }
    dj_spin_unlock(&ac->lock);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t dj_free_large(dj_pool_t *pool, void *ptr) {
    dj_large_node_t *node = dj_large_remove(pool, ptr);
    if (!node) {
        LOG_ERR("pool \"%s\": %p was not allocated from this pool",
                pool->params.name, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = umfMemoryProviderFree(pool->provider, ptr, node->size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("pool \"%s\": provider free of %p (%zu bytes) failed (result "
                "%d)",
                pool->params.name, ptr, node->size, (int)ret);
        /* keep it recorded: destroy tries again */
        size_t size = node->size;
        umf_ba_free(node);
        if (!dj_large_insert(pool, ptr, size)) {
            LOG_ERR("cannot re-record %p", ptr);
        }
        return ret;
    }
    dj_held_sub(pool, node->size);
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
    dj_slab_t *s = dj_radix_find(pool, (uintptr_t)ptr);
    if (UMF_LIKELY(s != NULL)) {
        return dj_free_small(pool, s, ptr);
    }
    return dj_free_large(pool, ptr);
}

static size_t dj_malloc_usable_size(void *pool_, void *ptr) {
    dj_pool_t *pool = pool_;
    if (!ptr) {
        return 0;
    }
    dj_slab_t *s = dj_radix_find(pool, (uintptr_t)ptr);
    if (s) {
        const dj_bucket_t *b = s->bucket;
        size_t off = (size_t)((char *)ptr - s->start);
        size_t idx = dj_chunk_index(b, off);
        if (idx >= b->nchunks) {
            return 0;
        }
        return b->size - (off - idx * b->size);
    }
    return dj_large_size(pool, ptr);
}

static umf_result_t dj_get_last_allocation_error(void *pool) {
    (void)pool;
    return dj_last_error;
}

/* ---- statistics and destroy ---- */

typedef struct dj_bucket_stats_t {
    uint64_t allocs, frees;
} dj_bucket_stats_t;

static void dj_bucket_counts(const dj_pool_t *pool, const dj_bucket_t *b,
                             dj_bucket_stats_t *st) {
    st->allocs = st->frees = 0;
    for (unsigned i = 0; i < pool->narenas; i++) {
        const dj_arena_t *a = pool->arenas[i];
        if (a) {
            st->allocs += a->cls[b->index].nalloc;
            st->frees += a->cls[b->index].nfree;
        }
    }
}

static void dj_print_stats(const dj_pool_t *pool) {
    const char *name = pool->params.name;
    LOG_INFO("pool \"%s\" statistics: slab min size %zu, max poolable size "
             "%zu, capacity %zu, min bucket size %zu",
             name, pool->params.slab_min_size, pool->params.max_poolable_size,
             pool->params.capacity, pool->first_bucket);
    uint64_t allocs = 0, frees = 0;
    for (size_t i = 0; i < pool->nbuckets; i++) {
        const dj_bucket_t *b = &pool->buckets[i];
        dj_bucket_stats_t st;
        dj_bucket_counts(pool, b, &st);
        allocs += st.allocs;
        frees += st.frees;
        if (!st.allocs && !b->peak_held) {
            continue;
        }
        LOG_INFO("pool \"%s\" bucket %zu: allocs %llu frees %llu "
                 "slabs_in_use %zu slabs_cached %zu peak_slabs %zu "
                 "slab_size %zu",
                 name, b->size, (unsigned long long)st.allocs,
                 (unsigned long long)st.frees, b->slabs_held - b->nempty,
                 b->nempty, b->peak_held, b->slab_size);
    }
    LOG_INFO("pool \"%s\" large: allocs %zu frees %zu", name,
             pool->large_allocs, pool->large_frees);
    LOG_INFO("pool \"%s\" total: allocs %llu frees %llu memory_held %zu "
             "peak_memory_held %zu",
             name, (unsigned long long)allocs + pool->large_allocs,
             (unsigned long long)frees + pool->large_frees, pool->held_bytes,
             pool->peak_bytes);
}

/* Free the pool's own memory (no slab or large allocation left). */
static void dj_pool_release(dj_pool_t *pool) {
    if (pool->arenas) {
        for (unsigned i = 0; i < pool->narenas; i++) {
            if (pool->arenas[i]) {
                umf_ba_free(pool->arenas[i]->raw);
            }
        }
        umf_ba_free(pool->arenas);
    }
    for (size_t i = 0; i < pool->nbuckets; i++) {
        pthread_mutex_destroy(&pool->buckets[i].lock);
    }
    umf_ba_free(pool->buckets);
    dj_radix_free(pool, pool->radix_root, 0);
    for (unsigned i = 0; i < DJ_LARGE_STRIPES; i++) {
        umf_ba_free(pool->large[i].heads);
        pthread_mutex_destroy(&pool->large[i].lock);
    }
    pthread_mutex_destroy(&pool->map_lock);
    if (pool->shared_limits) {
        disjoint_limits_unref(pool->limits);
    }
    umf_ba_free(pool);
}

static void dj_finalize(void *pool_) {
    dj_pool_t *pool = pool_;
    const char *name = pool->params.name;
    if (pool->trace >= 2) {
        dj_print_stats(pool);
    } else if (pool->trace == 1) {
        LOG_DEBUG("pool \"%s\": memory held at destroy %zu bytes, peak %zu",
                  name, pool->held_bytes, pool->peak_bytes);
    }

    size_t live_chunks = 0, live_slabs = 0, live_large = 0, live_bytes = 0;
    dj_slab_t *s = pool->all_slabs;
    while (s) {
        dj_slab_t *next = s->all_next;
        if (s->cached) {
            dj_limits_sub(pool->limits, s->size);
        } else if (s->used) {
            live_slabs++;
            live_chunks += s->used;
            live_bytes += (size_t)s->used * s->bucket->size;
            if (live_slabs <= 16) {
                LOG_DEBUG("pool \"%s\": slab %p (bucket %zu) still has %u "
                          "live chunks",
                          name, (void *)s->start, s->bucket->size, s->used);
            }
        }
        if (umfMemoryProviderFree(pool->provider, s->start, s->size) !=
            UMF_RESULT_SUCCESS) {
            LOG_ERR("pool \"%s\": provider free of slab %p failed", name,
                    (void *)s->start);
        }
        umf_ba_free(s);
        s = next;
    }
    for (unsigned i = 0; i < DJ_LARGE_STRIPES; i++) {
        dj_large_stripe_t *st = &pool->large[i];
        for (size_t h = 0; h < st->nheads; h++) {
            dj_large_node_t *node = st->heads[h];
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

static void dj_default_params(struct umf_disjoint_pool_params_t *p) {
    memset(p, 0, sizeof(*p));
    p->slab_min_size = DISJOINT_DEFAULT_SLAB_MIN_SIZE;
    p->max_poolable_size = DISJOINT_DEFAULT_MAX_POOLABLE_SIZE;
    p->capacity = DISJOINT_DEFAULT_CAPACITY;
    p->min_bucket_size = DISJOINT_DEFAULT_MIN_BUCKET_SIZE;
    memcpy(p->name, DISJOINT_DEFAULT_NAME, sizeof(DISJOINT_DEFAULT_NAME));
}

/* Lay out the buckets; false when the parameters cannot work. */
static umf_result_t dj_setup_buckets(dj_pool_t *pool) {
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
    pool->buckets = umf_ba_calloc(n, sizeof(dj_bucket_t));
    if (!pool->buckets) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pool->nbuckets = n;
    pool->max_small = UMF_MIN(pp->max_poolable_size, sizes[n - 1]);

    for (size_t i = 0; i < n; i++) {
        dj_bucket_t *b = &pool->buckets[i];
        b->size = sizes[i];
        b->index = (unsigned)i;
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
        size_t words = (size_t)b->nwords + b->nsum;
        if (utils_mul_overflow(words, sizeof(uint64_t), &b->desc_size) ||
            utils_add_overflow(b->desc_size, sizeof(dj_slab_t),
                               &b->desc_size)) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        unsigned lg = (unsigned)__builtin_ctzll((unsigned long long)b->size);
        b->div3 = (b->size >> lg) == 3;
        b->shift = lg;
        /* buckets whose slab holds several chunks keep one empty slab */
        b->max_empty =
            b->size <= pp->slab_min_size / 2 ? 1 : pp->capacity;
        pthread_mutex_init(&b->lock, NULL);
    }
    dj_radix_setup(pool, UMF_MAX(first, pp->slab_min_size));
    pool->radix_root = umf_ba_calloc(1, dj_radix_node_bytes(pool, 0));
    if (!pool->radix_root) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    return UMF_RESULT_SUCCESS;
}

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
        dj_default_params(&pool->params);
    }
    pool->trace = UMF_MIN(pool->params.trace, DISJOINT_TRACE_MAX);
    if (pool->params.slab_min_size == 0 ||
        !utils_is_power_of_2(pool->params.min_bucket_size)) {
        LOG_ERR("invalid disjoint pool parameters");
        umf_ba_free(pool);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_init(&pool->map_lock, NULL);
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

    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    pool->narenas = ncpu < 1 ? 1u
                    : (unsigned long)ncpu > DJ_MAX_ARENAS
                        ? DJ_MAX_ARENAS
                        : (unsigned)ncpu;

    umf_result_t ret = dj_setup_buckets(pool);
    if (ret == UMF_RESULT_SUCCESS) {
        pool->arenas = umf_ba_calloc(pool->narenas, sizeof(*pool->arenas));
        if (!pool->arenas) {
            ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    if (ret != UMF_RESULT_SUCCESS) {
        dj_pool_release(pool);
        return ret;
    }
    if (pool->trace) {
        LOG_DEBUG("pool \"%s\": %zu buckets of %zu..%zu bytes, slab min size "
                  "%zu, capacity %zu, %u arenas",
                  pool->params.name, pool->nbuckets, pool->first_bucket,
                  pool->max_small, pool->params.slab_min_size,
                  pool->params.capacity, pool->narenas);
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
