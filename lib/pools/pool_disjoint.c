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
 * of 8 is skipped so every chunk is 8-byte aligned). A request finds its
 * bucket in O(1): through a table up to 4 KiB, from its most significant
 * bit above. Larger requests go to the provider as they are.
 *
 * Slabs. A slab is one provider allocation of max(bucket size, slab minimum)
 * bytes cut into chunks of the bucket size. Its descriptor (umf_ba memory,
 * 64-byte aligned) holds a two-level free bitmap, one bit per chunk and one
 * summary bit per 64-chunk word, so taking the lowest free chunk costs two
 * count-trailing-zeros and freeing one two bit sets; and a second bitmap
 * where other threads' frees wait for the slab's owner (below). What every
 * operation touches (and, for slabs of up to 64 chunks, the whole bitmap)
 * fits the descriptor's first cache line; list links come after the
 * bitmaps.
 *
 * Lookup on free: pool-private radix trees over the address space at the
 * granularity G = the largest power of 2 not above the smallest slab: one
 * for addresses below 2^47 (where mappings of user space live; 2 interior
 * levels for 64 KiB granules), one made on demand for the rest of the
 * 64-bit space (device address ranges). Every slab is at least G bytes, so
 * a granule holds at most two slabs: one that covers the granule's first
 * byte ("cover", stored with its end address) and one that starts inside
 * it ("start", stored with its start address). A lookup is a walk down the
 * tree plus two compares, lock-free: entries change only under the pool's
 * map lock when a slab is created or returned to the provider, and a
 * pointer being freed is inside a live slab whose entries cannot change
 * meanwhile. Large allocations live in a hash map
 * (16 stripes, each with its own lock and a chained table that doubles as
 * it fills), keyed by address, holding the exact size for the provider
 * free. So freeing is O(1) with or without the tracker
 * (UMF_POOL_CREATE_FLAG_DISABLE_TRACKING), large allocations included.
 *
 * Threads. Each thread that allocates from the pool gets a heap of its own
 * (found through a small thread-local table keyed by pool id): per bucket,
 * the list of partly used slabs it owns. The owning thread allocates from
 * and frees into its slabs with plain loads and stores: no lock and no
 * atomic read-modify-write on that path, so a thread never waits for
 * another and never stalls on a locked instruction. A free from another
 * thread takes the slab's small lock, marks the chunk in the slab's remote
 * bitmap and queues the slab (once) on its owner's lock-free pending stack;
 * the owner folds those frees in at its next allocation or free in the
 * pool. A thread that exits (or is evicted from the table) abandons its
 * heap: pending frees are folded in, empty slabs are handed to the bucket,
 * the others become orphans that any thread's free updates under the slab
 * lock and that the next thread short of a slab adopts. Pool destroy frees
 * every heap; a global registry of live pools (its lock is taken only when
 * a thread exits or is evicted, and by create and destroy) tells an
 * exiting thread which of its heaps still exist.
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
 * bucket's list (under the bucket lock), where any heap's refill finds it.
 * The number and bytes of empty slabs held are therefore exact whatever
 * the number of threads; the only delay is that a chunk freed by a thread
 * other than its slab's owner counts as live until the owner's next call
 * (or exit).
 *
 * Destroy returns every slab and every large allocation to the provider and
 * reports the allocations still live under UMF_LOG.
 *
 * Trace (umfDisjointPoolParamsSetTrace): 1 keeps per-bucket counts, 2 also
 * prints them and the memory held when the pool is destroyed (LOG_INFO),
 * 3 also logs every allocation and free (LOG_DEBUG). */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <umf/memory_pool_ops.h>
#include <umf/pools/pool_disjoint.h>

#include "core/fork_internal.h"
#include "core/libumf_internal.h"
#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/bump_arena_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Every chunk is at least this aligned (the malloc contract of the pool). */
#define DJ_MIN_ALIGN ((size_t)8)
/* The last bucket (the reference's CutOff). */
#define DJ_MAX_BUCKET_SIZE ((size_t)1 << 31)
/* Slabs with more chunks than this make a pool refuse to start. */
#define DJ_MAX_CHUNKS ((size_t)1 << 30)
/* Requests up to this size find their bucket in a table. */
#define DJ_SMALL_TABLE_MAX ((size_t)4096)
/* Thread-local table of heaps, by pool id (see dj_heap_find). */
#define DJ_TLS_SLOTS 8

/* Radix trees: one for addresses below 2^47 (where user-space mappings
 * live), one for the rest of the 64-bit space (device address ranges),
 * leaves of 2^10 granules, interior nodes of at most 2^11 children. */
#define DJ_LO_BITS 47
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

/* ---- small spinlock (cross-thread paths only) ---- */

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
struct dj_heap_t;
struct dj_pool_t;

/* Orphan states (under the bucket lock and the slab lock together). */
enum { DJ_ORPHAN_NONE, DJ_ORPHAN_LISTED, DJ_ORPHAN_ADOPTING };

/* A slab descriptor: what every allocation and free touches comes first
 * (the descriptor is 64-byte aligned, so with its summary word and, for
 * slabs of up to 64 chunks, its only bitmap word it fills one cache line);
 * the list links follow the bitmaps (dj_slab_cold_t, see DJ_COLD). */
typedef struct dj_slab_t {
    /* set when the slab is created; never changes */
    char *start;
    struct dj_bucket_t *bucket;
    /* the heap allocating from it (atomic); changed only by that heap, or
     * under the lock while it is NULL */
    struct dj_heap_t *owner;
    /* the owner's without a lock; an unowned slab's under the lock */
    uint32_t used;     /* chunks handed out and not yet folded back */
    uint32_t sum_hint; /* no summary word below it has a bit set */
    dj_spin_t lock;
    /* under the lock */
    uint32_t rcount; /* frees by other threads waiting for the owner */
    bool in_pending; /* queued on the owner's pending stack */
    /* the owner's (or the lock's) */
    bool listed; /* in the owner's list of partly used slabs */
    /* empty and counted in the bucket's nempty and the limits: on the
     * bucket's list of empty slabs (under the bucket lock), or kept by its
     * owner (the owner's) */
    bool cached;
    uint8_t orphan;
    /* summary (nsum words), free bitmap (1 = free, nwords), frees by other
     * threads (nwords), then the cold part */
    uint64_t bits[];
} dj_slab_t;

_Static_assert(sizeof(dj_slab_t) == 48, "hot part of a slab descriptor");

typedef struct dj_slab_cold_t {
    /* owner's partial list, or the bucket's orphan / empty list */
    dj_slab_t *prev, *next;
    /* owner's list of every slab it owns */
    dj_slab_t *own_prev, *own_next;
    dj_slab_t *pending_next;
    /* under the pool's map lock: every slab of the pool */
    dj_slab_t *all_prev, *all_next;
    /* what umf_ba_calloc returned; NULL for a descriptor of the pool's
     * descriptor arena */
    void *raw;
} dj_slab_cold_t;

/* Buckets are 64-byte aligned, and what changes (under the lock, or the
 * counters) starts on a cache line of its own: a thread caching an empty
 * slab must not evict what every other thread's allocation reads. */
typedef struct dj_bucket_t {
    /* set when the pool is created */
    size_t size;      /* chunk size */
    size_t slab_size; /* provider allocation per slab */
    size_t desc_size; /* bytes of a slab descriptor (a multiple of 64) */
    size_t cold_off;  /* offset of a descriptor's dj_slab_cold_t */
    size_t max_empty; /* empty slabs kept at most */
    uint32_t nchunks, nwords, nsum;
    unsigned index;
    /* chunk index = (offset * magic) >> mshift, exact for every offset in
     * a slab: magic 1 for sizes 2^k, ceil(2^64 / 3) for sizes 3 * 2^j */
    uint64_t magic;
    unsigned mshift;

    _Alignas(64) pthread_mutex_t lock;
    dj_slab_t *empty; /* cached empty slabs, accounted in the limits */
    /* empty slabs held: those on the list above plus those heaps keep
     * (atomic, never above max_empty) */
    size_t nempty;
    dj_slab_t *orphans; /* partly used slabs no heap owns */

    /* descriptors of destroyed slabs, from the pool's descriptor arena,
     * linked through their cold part's next (under the pool's map lock) */
    dj_slab_t *free_descs;

    /* statistics (atomics) */
    size_t slabs_held; /* slabs taken from the provider and not returned */
    size_t peak_held;
    uint64_t allocs, frees; /* of heaps gone, and frees into orphans */
} dj_bucket_t;

#define DJ_COLD(s) ((dj_slab_cold_t *)((char *)(s) + (s)->bucket->cold_off))

/* A bucket's part of a heap (owner only). */
typedef struct dj_hbucket_t {
    dj_slab_t *head, *tail; /* partly used slabs; allocation takes head */
    uint64_t nalloc, nfree; /* trace >= 1 */
} dj_hbucket_t;

typedef struct dj_heap_t {
    /* slabs with frees from other threads (lock-free stack); alone on its
     * cache line, the only field other threads write */
    dj_slab_t *pending;
    char pad[64 - sizeof(dj_slab_t *)];
    void *raw; /* what umf_ba_calloc returned (the heap is realigned) */
    struct dj_pool_t *pool;
    dj_slab_t *owned;
    /* where the descriptors of this heap's new slabs come from (under the
     * pool's map lock) */
    umf_bump_cursor_t descs;
    struct dj_heap_t *prev, *next; /* the pool's heaps (heaps_lock) */
    dj_hbucket_t b[];
} dj_heap_t;

typedef struct dj_leaf_entry_t {
    dj_slab_t *cover_slab; /* slab holding the granule's first byte */
    uintptr_t cover_end;   /* ... and its end address (0: none) */
    uintptr_t start_addr;  /* slab starting inside the granule (0: none) */
    dj_slab_t *start_slab;
} dj_leaf_entry_t;

typedef struct dj_radix_t {
    unsigned nlevels; /* interior levels */
    unsigned level_shift[DJ_MAX_LEVELS];
    unsigned level_bits[DJ_MAX_LEVELS];
    void **root;
} dj_radix_t;

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
} dj_large_stripe_t;

typedef struct dj_pool_t {
    /* read-mostly part used by every operation */
    uint64_t id;              /* unique for the process's lifetime */
    unsigned long generation; /* of the library, see umf_is_stale() */
    umf_memory_provider_handle_t provider;
    size_t max_small; /* requests up to this go to buckets */
    size_t first_bucket;
    size_t nbuckets;
    dj_bucket_t *buckets; /* 64-byte aligned in buckets_raw */
    void *buckets_raw;
    int trace;
    size_t heap_size;
    /* radix trees: below 2^47, and the rest (root made on first use) */
    unsigned gshift;
    dj_radix_t rlo, rhi;
    /* bucket index of 2^j and of 3*2^(j-1) (-1: no such bucket) */
    int16_t idx_pow2[65];
    int16_t idx_3half[65];
    /* bucket index of requests up to DJ_SMALL_TABLE_MAX, by (size + 7) / 8
     * (only entries up to max_small are used) */
    uint8_t small_index[DJ_SMALL_TABLE_MAX / 8 + 1];

    umf_disjoint_pool_shared_limits_handle_t limits; /* shared or &own */
    bool shared_limits;
    struct umf_disjoint_pool_shared_limits_t own_limits;
    struct umf_disjoint_pool_params_t params;

    pthread_mutex_t map_lock; /* radix writes and the list of slabs */
    dj_slab_t *all_slabs;
    /* Slab descriptors, carved per heap so that a thread's descriptors lie
     * together: from the shared base allocator, two threads filling their
     * heaps at once interleave them, and their hot cache lines and pages
     * with them (2 threads ran 10-25% slower that way). Descriptors of
     * destroyed slabs wait on their bucket's free_descs (map_lock). */
    umf_bump_arena_t desc_arena;

    pthread_mutex_t heaps_lock;
    dj_heap_t *heaps;
    size_t nheaps; /* written under heaps_lock, read without (atomic) */

    /* the registry of live pools (dj_registry_lock) */
    struct dj_pool_t *reg_prev, *reg_next;

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
    while (cur < v &&
           !__atomic_compare_exchange_n(p, &cur, v, true, __ATOMIC_RELAXED,
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

static void dj_limits_sub(umf_disjoint_pool_shared_limits_handle_t l,
                          size_t bytes) {
    if (l->max_size == SIZE_MAX) {
        return;
    }
    utils_fetch_sub(&l->total_size, bytes);
}

/* Count one more empty slab held for bucket b; false (nothing changed) when
 * the bucket or the limits would go over. */
static bool dj_empty_try_add(dj_pool_t *pool, dj_bucket_t *b) {
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

static void dj_empty_sub(dj_pool_t *pool, dj_bucket_t *b) {
    utils_fetch_sub(&b->nempty, (size_t)1);
    dj_limits_sub(pool->limits, b->slab_size);
}

static umf_result_t dj_alloc_error(umf_result_t provider_ret) {
    /* a request the provider refuses as such is not an out-of-memory */
    if (provider_ret == UMF_RESULT_ERROR_INVALID_ALIGNMENT ||
        provider_ret == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        return provider_ret;
    }
    return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

/* ---- radix trees (address -> slab) ---- */

/* Levels of a tree over keys of key_bits bits (address >> gshift). */
static void dj_radix_setup(dj_radix_t *r, unsigned key_bits) {
    unsigned rest = key_bits > DJ_LEAF_BITS ? key_bits - DJ_LEAF_BITS : 0;
    unsigned n = rest ? (rest + DJ_NODE_BITS - 1) / DJ_NODE_BITS : 1;
    unsigned root_bits = rest ? rest - (n - 1) * DJ_NODE_BITS : 1;
    r->nlevels = n;
    for (unsigned i = 0; i < n; i++) {
        r->level_bits[i] = i == 0 ? root_bits : DJ_NODE_BITS;
        r->level_shift[i] = DJ_LEAF_BITS + (n - 1 - i) * DJ_NODE_BITS;
    }
}

static size_t dj_radix_node_bytes(const dj_radix_t *r, unsigned level) {
    if (level >= r->nlevels) {
        return DJ_LEAF_ENTRIES * sizeof(dj_leaf_entry_t);
    }
    return ((size_t)1 << r->level_bits[level]) * sizeof(void *);
}

static inline dj_radix_t *dj_radix_of(dj_pool_t *pool, uintptr_t addr) {
    return UMF_LIKELY((addr >> DJ_LO_BITS) == 0) ? &pool->rlo : &pool->rhi;
}

/* The leaf entry of granule key k; creates missing nodes when create
 * (caller holds map_lock), NULL when absent or out of memory. */
static dj_leaf_entry_t *dj_radix_entry(dj_pool_t *pool, uintptr_t k,
                                       bool create) {
    dj_radix_t *r = dj_radix_of(pool, k << pool->gshift);
    void **node = r->root;
    if (!node) {
        if (!create || !(node = umf_ba_calloc(1, dj_radix_node_bytes(r, 0)))) {
            return NULL;
        }
        utils_atomic_store_release(&r->root, node);
    }
    for (unsigned i = 0; i < r->nlevels; i++) {
        size_t idx =
            (k >> r->level_shift[i]) & (((size_t)1 << r->level_bits[i]) - 1);
        void *child = utils_atomic_load_acquire(&node[idx]);
        if (!child) {
            if (!create) {
                return NULL;
            }
            child = umf_ba_calloc(1, dj_radix_node_bytes(r, i + 1));
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
static inline dj_slab_t *dj_radix_find(dj_pool_t *pool, uintptr_t p) {
    dj_radix_t *r = dj_radix_of(pool, p);
    uintptr_t k = p >> pool->gshift;
    void **node = utils_atomic_load_acquire(&r->root);
    if (UMF_UNLIKELY(!node)) {
        return NULL; /* nothing registered in that range (or no buckets) */
    }
    for (unsigned i = 0; i < r->nlevels; i++) {
        size_t idx =
            (k >> r->level_shift[i]) & (((size_t)1 << r->level_bits[i]) - 1);
        node = utils_atomic_load_acquire(&node[idx]);
        if (!node) {
            return NULL;
        }
    }
    dj_leaf_entry_t *e = &((dj_leaf_entry_t *)node)[k & (DJ_LEAF_ENTRIES - 1)];
    /* all four words (one cache line) read, then selected without
     * branches: whether p falls before or after a slab start inside the
     * granule is a coin toss for slabs the provider did not align */
    uintptr_t a = utils_atomic_load_acquire(&e->start_addr);
    uintptr_t end = utils_atomic_load_acquire(&e->cover_end);
    dj_slab_t *ss = utils_atomic_load_relaxed(&e->start_slab);
    dj_slab_t *cs = utils_atomic_load_relaxed(&e->cover_slab);
    dj_slab_t *cover = p < end ? cs : NULL;
    return a && p >= a ? ss : cover;
}

/* Record a slab (caller holds map_lock). Nodes are created before any entry
 * is written, so a failure leaves the lookups unchanged. */
static bool dj_radix_register(dj_pool_t *pool, dj_slab_t *s) {
    uintptr_t a = (uintptr_t)s->start;
    uintptr_t end;
    if (utils_add_overflow(a, s->bucket->slab_size, &end)) {
        /* a slab ending exactly at 2^64 cannot record its end address */
        LOG_ERR("slab %p (%zu bytes) ends at the top of the address space",
                (void *)s->start, s->bucket->slab_size);
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
    uintptr_t k1 = (a + s->bucket->slab_size - 1) >> pool->gshift;
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

static void dj_radix_free(dj_radix_t *r, void **node, unsigned level) {
    if (!node) {
        return;
    }
    if (level < r->nlevels) {
        size_t n = (size_t)1 << r->level_bits[level];
        for (size_t i = 0; i < n; i++) {
            dj_radix_free(r, node[i], level + 1);
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
            size_t slot =
                (dj_large_hash(node->ptr) / DJ_LARGE_STRIPES) & (n - 1);
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

/* ---- buckets and slabs ---- */

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

/* Take the lowest free chunk (the slab is not full). */
static inline void *dj_slab_take(const dj_bucket_t *b, dj_slab_t *s) {
    uint64_t *sum = s->bits, *words = s->bits + b->nsum;
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

/* Mark the chunks of mask in word w free (they are all in use). */
static inline void dj_slab_put_bits(const dj_bucket_t *b, dj_slab_t *s,
                                    size_t w, uint64_t mask) {
    uint64_t *sum = s->bits, *words = s->bits + b->nsum;
    if (!words[w]) {
        uint32_t si = (uint32_t)(w / 64);
        sum[si] |= (uint64_t)1 << (w % 64);
        if (si < s->sum_hint) {
            s->sum_hint = si;
        }
    }
    words[w] |= mask;
}

/* Give chunk idx back; false when it was not handed out (double free). */
static inline bool dj_slab_put(const dj_bucket_t *b, dj_slab_t *s, size_t idx) {
    uint64_t mask = (uint64_t)1 << (idx % 64);
    if (UMF_UNLIKELY(s->bits[b->nsum + idx / 64] & mask)) {
        return false;
    }
    dj_slab_put_bits(b, s, idx / 64, mask);
    s->used--;
    return true;
}

/* Fold the frees other threads left in the remote bitmap into the free
 * bitmap (caller holds the slab lock); returns how many. A chunk that is
 * free already (a double free) is not counted twice. */
static uint32_t dj_slab_fold_remote(const dj_bucket_t *b, dj_slab_t *s) {
    uint32_t left = s->rcount;
    if (!left) {
        return 0;
    }
    uint64_t *remote = s->bits + b->nwords + b->nsum;
    uint32_t n = 0;
    for (uint32_t w = 0; left && w < b->nwords; w++) {
        uint64_t r = remote[w];
        if (r) {
            left -= (uint32_t)__builtin_popcountll(r);
            r &= ~s->bits[b->nsum + w];
            if (r) {
                n += (uint32_t)__builtin_popcountll(r);
                dj_slab_put_bits(b, s, w, r);
            }
            remote[w] = 0;
        }
    }
    s->rcount = 0;
    s->used -= n;
    return n;
}

static inline void dj_list_push_head(dj_slab_t **head, dj_slab_t **tail,
                                     dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    c->prev = NULL;
    c->next = *head;
    if (*head) {
        DJ_COLD(*head)->prev = s;
    } else if (tail) {
        *tail = s;
    }
    *head = s;
}

static inline void dj_list_push_tail(dj_slab_t **head, dj_slab_t **tail,
                                     dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    c->next = NULL;
    c->prev = *tail;
    if (*tail) {
        DJ_COLD(*tail)->next = s;
    } else {
        *head = s;
    }
    *tail = s;
}

static inline void dj_list_remove(dj_slab_t **head, dj_slab_t **tail,
                                  dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    if (c->prev) {
        DJ_COLD(c->prev)->next = c->next;
    } else {
        *head = c->next;
    }
    if (c->next) {
        DJ_COLD(c->next)->prev = c->prev;
    } else if (tail) {
        *tail = c->prev;
    }
    c->prev = c->next = NULL;
}

/* size zeroed bytes on a cache line boundary, for the pool's metadata that
 * threads use apart; *raw gets what to give umf_ba_free. NULL when out of
 * memory. */
static void *dj_calloc_line_aligned(size_t size, void **raw) {
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
    s = dj_calloc_line_aligned(b->desc_size, &raw);
    if (!s) {
        return NULL;
    }
    s->bucket = b;
    DJ_COLD(s)->raw = raw;
    return s;
}

/* A new slab from the provider for heap h, registered for lookups; NULL
 * with the last error set on failure. */
static dj_slab_t *dj_slab_create(dj_pool_t *pool, dj_heap_t *h,
                                 dj_bucket_t *b) {
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
    pthread_mutex_lock(&pool->map_lock);
    dj_slab_t *s = dj_desc_take(pool, h, b);
    if (!s) {
        pthread_mutex_unlock(&pool->map_lock);
        LOG_ERR("cannot allocate a slab descriptor");
        goto err_free;
    }
    s->start = mem;
    s->bucket = b;
    dj_slab_cold_t *c = DJ_COLD(s);
    dj_slab_init_bitmap(b, s);
    if (!dj_radix_register(pool, s)) {
        dj_desc_put(b, s);
        pthread_mutex_unlock(&pool->map_lock);
        goto err_free;
    }
    c->all_prev = NULL;
    c->all_next = pool->all_slabs;
    if (pool->all_slabs) {
        DJ_COLD(pool->all_slabs)->all_prev = s;
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
    dj_slab_cold_t *c = DJ_COLD(s);
    pthread_mutex_lock(&pool->map_lock);
    dj_radix_unregister(pool, s);
    if (c->all_prev) {
        DJ_COLD(c->all_prev)->all_next = c->all_next;
    } else {
        pool->all_slabs = c->all_next;
    }
    if (c->all_next) {
        DJ_COLD(c->all_next)->all_prev = c->all_prev;
    }
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
    dj_held_sub(pool, b->slab_size);
}

/* A slab just became empty and nothing refers to it: keep it if the bucket
 * and the limits allow, else return it to the provider at once. */
static void dj_bucket_release(dj_pool_t *pool, dj_bucket_t *b, dj_slab_t *s) {
    __atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
    /* a slab its heap kept is counted already */
    if (s->cached || dj_empty_try_add(pool, b)) {
        s->cached = true;
        pthread_mutex_lock(&b->lock);
        dj_list_push_head(&b->empty, NULL, s);
        pthread_mutex_unlock(&b->lock);
        return;
    }
    dj_slab_destroy(pool, s);
}

/* ---- heaps ---- */

static void dj_heap_own(dj_heap_t *h, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    __atomic_store_n(&s->owner, h, __ATOMIC_RELAXED);
    c->own_prev = NULL;
    c->own_next = h->owned;
    if (h->owned) {
        DJ_COLD(h->owned)->own_prev = s;
    }
    h->owned = s;
}

static void dj_heap_disown(dj_heap_t *h, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    if (c->own_prev) {
        DJ_COLD(c->own_prev)->own_next = c->own_next;
    } else {
        h->owned = c->own_next;
    }
    if (c->own_next) {
        DJ_COLD(c->own_next)->own_prev = c->own_prev;
    }
    c->own_prev = c->own_next = NULL;
}

/* An owned slab became empty: out of the heap and to the bucket. */
static void dj_heap_release_slab(dj_pool_t *pool, dj_heap_t *h, dj_slab_t *s) {
    dj_hbucket_t *hb = &h->b[s->bucket->index];
    if (s->listed) {
        dj_list_remove(&hb->head, &hb->tail, s);
        s->listed = false;
    }
    dj_heap_disown(h, s);
    dj_bucket_release(pool, s->bucket, s);
}

/* An owned slab became empty by its owner's free. When it is the heap's
 * only slab of the bucket that is not full, the heap keeps it (counted as a
 * cached empty slab): a bucket with few live chunks then reuses it without
 * handing it through the bucket lock to another thread's cache. */
static void dj_heap_empty_slab(dj_pool_t *pool, dj_heap_t *h, dj_hbucket_t *hb,
                               dj_slab_t *s) {
    bool alone = s->listed ? hb->head == s && hb->tail == s : !hb->head;
    if (alone && dj_empty_try_add(pool, s->bucket)) {
        s->cached = true;
        if (!s->listed) {
            dj_list_push_head(&hb->head, &hb->tail, s);
            s->listed = true;
        }
        return;
    }
    dj_heap_release_slab(pool, h, s);
}

/* Fold in the frees other threads made into this heap's slabs. */
static void dj_heap_collect(dj_pool_t *pool, dj_heap_t *h) {
    dj_slab_t *s = __atomic_exchange_n(&h->pending, NULL, __ATOMIC_ACQUIRE);
    while (s) {
        /* stable until in_pending is cleared below */
        dj_slab_t *next = DJ_COLD(s)->pending_next;
        dj_bucket_t *b = s->bucket;
        dj_spin_lock(&s->lock);
        s->in_pending = false;
        bool was_full = s->used == b->nchunks;
        uint32_t n = dj_slab_fold_remote(b, s);
        dj_spin_unlock(&s->lock);
        dj_hbucket_t *hb = &h->b[b->index];
        hb->nfree += n;
        if (s->used == 0) {
            dj_heap_release_slab(pool, h, s);
        } else if (was_full && n) {
            dj_list_push_tail(&hb->head, &hb->tail, s);
            s->listed = true;
        }
        s = next;
    }
}

/* A slab for heap h in bucket b: a partly used orphan, a cached empty
 * slab, or a new one. NULL with the last error set on failure. */
static dj_slab_t *dj_heap_refill(dj_pool_t *pool, dj_heap_t *h,
                                 dj_bucket_t *b) {
    dj_slab_t *s = NULL;
    bool orphan = false;
    pthread_mutex_lock(&b->lock);
    if (b->orphans) {
        s = b->orphans;
        dj_list_remove(&b->orphans, NULL, s);
        s->orphan = DJ_ORPHAN_ADOPTING;
        orphan = true;
    } else if (b->empty) {
        s = b->empty;
        dj_list_remove(&b->empty, NULL, s);
        s->cached = false;
    }
    pthread_mutex_unlock(&b->lock);
    if (orphan) {
        /* frees into it may still be running */
        dj_spin_lock(&s->lock);
        s->orphan = DJ_ORPHAN_NONE;
        dj_heap_own(h, s);
        dj_spin_unlock(&s->lock);
    } else {
        if (s) {
            dj_empty_sub(pool, b);
        } else if (!(s = dj_slab_create(pool, h, b))) {
            return NULL;
        }
        dj_heap_own(h, s);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    dj_list_push_head(&hb->head, &hb->tail, s);
    s->listed = true;
    return s;
}

/* The thread's heap is going away (thread exit, table eviction): pending
 * frees are folded in, empty slabs go to their buckets, the others become
 * orphans. */
static void dj_heap_abandon(dj_pool_t *pool, dj_heap_t *h) {
    dj_heap_collect(pool, h);
    for (size_t i = 0; i < pool->nbuckets; i++) {
        utils_fetch_add(&pool->buckets[i].allocs, h->b[i].nalloc);
        utils_fetch_add(&pool->buckets[i].frees, h->b[i].nfree);
    }
    dj_slab_t *s = h->owned;
    while (s) {
        dj_slab_cold_t *c = DJ_COLD(s);
        dj_slab_t *next = c->own_next;
        dj_bucket_t *b = s->bucket;
        s->listed = false;
        c->prev = c->next = NULL;
        c->own_prev = c->own_next = NULL;
        dj_spin_lock(&s->lock);
        /* frees queued after the collect above */
        utils_fetch_add(&b->frees, (uint64_t)dj_slab_fold_remote(b, s));
        s->in_pending = false;
        __atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
        if (s->used) {
            if (s->used < b->nchunks) {
                pthread_mutex_lock(&b->lock);
                dj_list_push_head(&b->orphans, NULL, s);
                s->orphan = DJ_ORPHAN_LISTED;
                pthread_mutex_unlock(&b->lock);
            }
            dj_spin_unlock(&s->lock);
        } else {
            dj_spin_unlock(&s->lock);
            dj_bucket_release(pool, b, s);
        }
        s = next;
    }
    pthread_mutex_lock(&pool->map_lock);
    umf_bump_cursor_release(&pool->desc_arena, &h->descs);
    pthread_mutex_unlock(&pool->map_lock);
    pthread_mutex_lock(&pool->heaps_lock);
    utils_atomic_store_relaxed(&pool->nheaps, pool->nheaps - 1);
    if (h->prev) {
        h->prev->next = h->next;
    } else {
        pool->heaps = h->next;
    }
    if (h->next) {
        h->next->prev = h->prev;
    }
    pthread_mutex_unlock(&pool->heaps_lock);
    umf_ba_free(h->raw);
}

/* ---- the thread-local table of heaps, the registry of live pools ---- */

typedef struct dj_tls_slot_t {
    dj_pool_t *pool;
    uint64_t id;
    dj_heap_t *heap;
} dj_tls_slot_t;

static __thread dj_tls_slot_t dj_tls[DJ_TLS_SLOTS];
static __thread bool dj_tls_registered;

static pthread_mutex_t dj_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dj_pool_t *dj_registry;
static uint64_t dj_next_id = 1;
static pthread_once_t dj_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t dj_key;
static bool dj_key_ok;

/* Drop the thread's binding in a slot, abandoning its heap if the pool is
 * still alive (the registry lock keeps it alive meanwhile). */
static void dj_tls_release(dj_tls_slot_t *slot) {
    if (!slot->pool) {
        return;
    }
    pthread_mutex_lock(&dj_registry_lock);
    for (dj_pool_t *p = dj_registry; p; p = p->reg_next) {
        if (p == slot->pool && p->id == slot->id) {
            /* a pool that outlived umfTearDown is left alone */
            if (!umf_is_stale(p->generation)) {
                dj_heap_abandon(p, slot->heap);
            }
            break;
        }
    }
    pthread_mutex_unlock(&dj_registry_lock);
    slot->pool = NULL;
    slot->id = 0;
    slot->heap = NULL;
}

static void dj_thread_exit(void *arg) {
    (void)arg;
    /* it takes the pool's locks: inside the fork gate, like a pool call */
    umf_fork_gate_enter();
    for (unsigned i = 0; i < DJ_TLS_SLOTS; i++) {
        dj_tls_release(&dj_tls[i]);
    }
    umf_fork_gate_exit();
    dj_tls_registered = false;
}

static void dj_key_create(void) {
    dj_key_ok = pthread_key_create(&dj_key, dj_thread_exit) == 0;
    if (!dj_key_ok) {
        LOG_ERR("cannot create the disjoint pool's thread key: heaps of "
                "exiting threads stay until their pools are destroyed");
    }
}

/* When libumf is unloaded, threads must not call into it at exit. */
__attribute__((destructor)) static void dj_lib_fini(void) {
    if (dj_key_ok) {
        pthread_key_delete(dj_key);
        dj_key_ok = false;
    }
}

static dj_heap_t *dj_heap_bind(dj_pool_t *pool, dj_tls_slot_t *slot) {
    dj_tls_release(slot);
    void *raw;
    dj_heap_t *h = dj_calloc_line_aligned(pool->heap_size, &raw);
    if (!h) {
        LOG_ERR("cannot allocate a heap for this thread");
        return NULL;
    }
    h->raw = raw;
    h->pool = pool;
    pthread_mutex_lock(&pool->heaps_lock);
    utils_atomic_store_relaxed(&pool->nheaps, pool->nheaps + 1);
    h->next = pool->heaps;
    if (pool->heaps) {
        pool->heaps->prev = h;
    }
    pool->heaps = h;
    pthread_mutex_unlock(&pool->heaps_lock);
    if (!dj_tls_registered) {
        pthread_once(&dj_key_once, dj_key_create);
        if (dj_key_ok) {
            pthread_setspecific(dj_key, (void *)1);
        }
        dj_tls_registered = true;
    }
    slot->pool = pool;
    slot->id = pool->id;
    slot->heap = h;
    return h;
}

/* The table is associative: a binding not in its home slot is searched
 * for and moved there, and a new one displaces the home slot's binding
 * into a free slot; only a thread using more pools than slots abandons a
 * heap to make room. */
static dj_heap_t *dj_heap_find(dj_pool_t *pool, dj_tls_slot_t *home,
                               bool create) {
    dj_tls_slot_t *free_slot = NULL;
    for (unsigned i = 0; i < DJ_TLS_SLOTS; i++) {
        dj_tls_slot_t *slot = &dj_tls[i];
        if (slot->pool == pool && slot->id == pool->id) {
            dj_tls_slot_t tmp = *home;
            *home = *slot;
            *slot = tmp;
            return home->heap;
        }
        if (!slot->pool) {
            free_slot = slot;
        }
    }
    if (!create) {
        return NULL;
    }
    if (home->pool && free_slot) {
        *free_slot = *home;
        home->pool = NULL;
        home->id = 0;
        home->heap = NULL;
    }
    return dj_heap_bind(pool, home);
}

/* The calling thread's heap in pool; created when create, else NULL when
 * the thread has none. */
static inline dj_heap_t *dj_heap_get(dj_pool_t *pool, bool create) {
    dj_tls_slot_t *slot = &dj_tls[pool->id % DJ_TLS_SLOTS];
    if (UMF_LIKELY(slot->pool == pool && slot->id == pool->id)) {
        return slot->heap;
    }
    return dj_heap_find(pool, slot, create);
}

/* ---- allocation ---- */

/* (inlined: the allocation and free paths are a few dozen instructions) */
static inline __attribute__((always_inline)) void *
dj_alloc_small(dj_pool_t *pool, dj_bucket_t *b) {
    dj_heap_t *h = dj_heap_get(pool, true);
    if (UMF_UNLIKELY(!h)) {
        dj_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    if (UMF_UNLIKELY(__atomic_load_n(&h->pending, __ATOMIC_RELAXED) != NULL)) {
        dj_heap_collect(pool, h);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    dj_slab_t *s = hb->head;
    if (UMF_UNLIKELY(!s)) {
        s = dj_heap_refill(pool, h, b);
        if (!s) {
            return NULL;
        }
    }
    if (UMF_UNLIKELY(s->cached)) { /* a kept empty slab in use again */
        s->cached = false;
        dj_empty_sub(pool, b);
    }
    void *p = dj_slab_take(b, s);
    if (s->used == b->nchunks) {
        dj_list_remove(&hb->head, &hb->tail, s);
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

static inline umf_result_t dj_free_slab(dj_pool_t *pool, dj_slab_t *s,
                                        void *ptr);

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
        dj_free_slab(pool, dj_radix_find(pool, (uintptr_t)p), p);
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

static umf_result_t dj_free_invalid(dj_pool_t *pool, void *ptr) {
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
    if (UMF_UNLIKELY(!dj_slab_put(b, s, idx))) {
        return dj_free_invalid(pool, ptr);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    if (pool->trace) {
        hb->nfree++;
    }
    if (UMF_UNLIKELY(s->used == 0)) {
        dj_heap_empty_slab(pool, h, hb, s);
    } else if (was_full) {
        /* behind the slabs being filled, so those fill up first */
        dj_list_push_tail(&hb->head, &hb->tail, s);
        s->listed = true;
    }
    return UMF_RESULT_SUCCESS;
}

/* A free by any other thread, under the slab lock: into the remote bitmap
 * of an owned slab, or straight into an orphan. */
static umf_result_t dj_free_remote(dj_pool_t *pool, dj_slab_t *s, size_t idx,
                                   void *ptr) {
    dj_bucket_t *b = s->bucket;
    uint64_t mask = (uint64_t)1 << (idx % 64);
    dj_spin_lock(&s->lock);
    dj_heap_t *owner = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
    if (owner) {
        uint64_t *remote = s->bits + b->nwords + b->nsum;
        if (UMF_UNLIKELY(remote[idx / 64] & mask)) {
            dj_spin_unlock(&s->lock);
            return dj_free_invalid(pool, ptr);
        }
        remote[idx / 64] |= mask;
        s->rcount++;
        if (!s->in_pending) {
            s->in_pending = true;
            dj_slab_t *head =
                __atomic_load_n(&owner->pending, __ATOMIC_RELAXED);
            do {
                DJ_COLD(s)->pending_next = head;
            } while (!__atomic_compare_exchange_n(&owner->pending, &head, s,
                                                  true, __ATOMIC_RELEASE,
                                                  __ATOMIC_RELAXED));
        }
        dj_spin_unlock(&s->lock);
        return UMF_RESULT_SUCCESS;
    }
    /* an orphan (or an empty slab: a double free, which put detects) */
    bool was_full = s->used == b->nchunks;
    if (UMF_UNLIKELY(!dj_slab_put(b, s, idx))) {
        dj_spin_unlock(&s->lock);
        return dj_free_invalid(pool, ptr);
    }
    utils_fetch_add(&b->frees, (uint64_t)1);
    bool release = false;
    if (s->used == 0 || was_full) {
        pthread_mutex_lock(&b->lock);
        if (s->used == 0) {
            /* an adopter that took it off the list will use it */
            if (s->orphan == DJ_ORPHAN_LISTED) {
                dj_list_remove(&b->orphans, NULL, s);
                s->orphan = DJ_ORPHAN_NONE;
                release = true;
            } else if (s->orphan == DJ_ORPHAN_NONE) {
                release = true;
            }
        } else {
            dj_list_push_head(&b->orphans, NULL, s);
            s->orphan = DJ_ORPHAN_LISTED;
        }
        pthread_mutex_unlock(&b->lock);
    }
    dj_spin_unlock(&s->lock);
    if (release) {
        dj_bucket_release(pool, b, s);
    }
    return UMF_RESULT_SUCCESS;
}

static inline __attribute__((always_inline)) umf_result_t
dj_free_slab(dj_pool_t *pool, dj_slab_t *s, void *ptr) {
    dj_bucket_t *b = s->bucket;
    size_t idx = dj_chunk_index(b, (size_t)((char *)ptr - s->start));
    if (UMF_UNLIKELY(idx >= b->nchunks)) {
        return dj_free_invalid(pool, ptr);
    }
    dj_heap_t *h = dj_heap_get(pool, false);
    if (UMF_LIKELY(h != NULL)) {
        if (UMF_UNLIKELY(__atomic_load_n(&h->pending, __ATOMIC_RELAXED) !=
                         NULL)) {
            dj_heap_collect(pool, h);
        }
        if (UMF_LIKELY(__atomic_load_n(&s->owner, __ATOMIC_RELAXED) == h)) {
            return dj_free_local(pool, h, s, idx, ptr);
        }
    }
    return dj_free_remote(pool, s, idx, ptr);
}

static umf_result_t dj_free_large(dj_pool_t *pool, void *ptr) {
    dj_large_node_t *node = dj_large_remove(pool, ptr);
    if (!node) {
        return dj_free_invalid(pool, ptr);
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
        return dj_free_slab(pool, s, ptr);
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

static void dj_print_stats(const dj_pool_t *pool) {
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
    dj_radix_free(&pool->rlo, pool->rlo.root, 0);
    dj_radix_free(&pool->rhi, pool->rhi.root, 0);
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

static void dj_registry_remove(dj_pool_t *pool) {
    pthread_mutex_lock(&dj_registry_lock);
    if (pool->reg_prev) {
        pool->reg_prev->reg_next = pool->reg_next;
    } else if (dj_registry == pool) {
        dj_registry = pool->reg_next;
    }
    if (pool->reg_next) {
        pool->reg_next->reg_prev = pool->reg_prev;
    }
    pthread_mutex_unlock(&dj_registry_lock);
}

static void dj_finalize(void *pool_) {
    dj_pool_t *pool = pool_;
    const char *name = pool->params.name;
    /* exiting threads leave this pool's heaps alone from now on */
    dj_registry_remove(pool);
    /* frees other threads made, so counts and live allocations are right */
    for (dj_heap_t *h = pool->heaps; h; h = h->next) {
        dj_heap_collect(pool, h);
    }
    if (pool->trace >= 2) {
        dj_print_stats(pool);
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
            dj_limits_sub(pool->limits, s->bucket->slab_size);
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

static void dj_default_params(struct umf_disjoint_pool_params_t *p) {
    memset(p, 0, sizeof(*p));
    p->slab_min_size = DISJOINT_DEFAULT_SLAB_MIN_SIZE;
    p->max_poolable_size = DISJOINT_DEFAULT_MAX_POOLABLE_SIZE;
    p->capacity = DISJOINT_DEFAULT_CAPACITY;
    p->min_bucket_size = DISJOINT_DEFAULT_MIN_BUCKET_SIZE;
    memcpy(p->name, DISJOINT_DEFAULT_NAME, sizeof(DISJOINT_DEFAULT_NAME));
}

/* Lay out the buckets. */
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
    pool->buckets =
        dj_calloc_line_aligned(n * sizeof(dj_bucket_t), &pool->buckets_raw);
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
        /* buckets whose slab holds several chunks: see dj_empty_try_add */
        b->max_empty = pp->capacity;
    }
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
    dj_radix_setup(&pool->rlo,
                   pool->gshift < DJ_LO_BITS ? DJ_LO_BITS - pool->gshift : 1);
    dj_radix_setup(&pool->rhi, 64 - pool->gshift);
    pool->rlo.root = umf_ba_calloc(1, dj_radix_node_bytes(&pool->rlo, 0));
    if (!pool->rlo.root) {
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

    umf_result_t ret = dj_setup_buckets(pool);
    if (ret != UMF_RESULT_SUCCESS) {
        dj_pool_release(pool);
        return ret;
    }
    pool->generation = umf_generation();
    pthread_mutex_lock(&dj_registry_lock);
    pool->id = dj_next_id++;
    pool->reg_next = dj_registry;
    if (dj_registry) {
        dj_registry->reg_prev = pool;
    }
    dj_registry = pool;
    pthread_mutex_unlock(&dj_registry_lock);
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
