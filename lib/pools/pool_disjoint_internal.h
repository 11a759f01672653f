/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_internal.h -- what the files of the disjoint pool share: the
 * params and shared-limits structures, the pool's data structures, the
 * helpers that the allocation and free paths inline, and the functions
 * each file offers the others. Who owns what:
 *   pool_disjoint.c           the ops table and the entry points (malloc,
 *                             free, create, destroy)
 *   pool_disjoint_slab.c      buckets and slabs (bitmaps, descriptors, slab
 *                             create and destroy, empty slabs, the bucket
 *                             layout)
 *   pool_disjoint_heap.c      per-thread heaps, the hand-over of frees from
 *                             other threads, the registry of live pools
 *   pool_disjoint_addr_map.c  the address map: radix trees over the address
 *                             space, the hash map of large allocations
 *   pool_disjoint_params.c    params, shared limits and trace statistics
 *
 * Functions that one file calls in another are named disjoint_*; what the
 * malloc/free fast path uses is static inline here, so that path makes no
 * call across files. */
#ifndef UMF_POOL_DISJOINT_INTERNAL_H
#define UMF_POOL_DISJOINT_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>

#include "util/bump_arena_internal.h"
#include "util/spinlock_internal.h"
#include "util/utils_internal.h"

/* Defaults (used by umfDisjointPoolParamsCreate and by NULL params). */
#define DISJOINT_DEFAULT_SLAB_MIN_SIZE ((size_t)64 * 1024)
#define DISJOINT_DEFAULT_MAX_POOLABLE_SIZE ((size_t)2 * 1024 * 1024)
#define DISJOINT_DEFAULT_CAPACITY ((size_t)4)
#define DISJOINT_DEFAULT_MIN_BUCKET_SIZE                                       \
    UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE
#define DISJOINT_DEFAULT_NAME "disjoint"
/* A name keeps at most this many characters (longer ones are cut). */
#define DISJOINT_NAME_MAX 63
/* Highest trace level with a meaning (higher values act like it). */
#define DISJOINT_TRACE_MAX 3

struct umf_disjoint_pool_params_t {
    size_t slab_min_size;
    size_t max_poolable_size;
    size_t capacity;
    size_t min_bucket_size;
    int trace;
    umf_disjoint_pool_shared_limits_handle_t shared_limits; /* may be NULL */
    char name[DISJOINT_NAME_MAX + 1];
};

/* Bytes of empty slabs kept cached by every pool that uses the limits.
 * total_size only grows through dj_limits_try_add (pool_disjoint_slab.c),
 * which adds and
 * undoes on overflow (never a CAS loop: no livelock under contention).
 *
 * refs: one reference for the user's handle plus one per pool using it; the
 * structure is freed when the last goes, so a user who destroys the limits
 * before the pools that use them does not leave the pools a dangling
 * pointer. */
struct umf_disjoint_pool_shared_limits_t {
    size_t max_size;
    size_t total_size;
    size_t refs;
};

/* Take / drop a reference on shared limits (drop frees at zero). */
void disjoint_limits_ref(umf_disjoint_pool_shared_limits_handle_t limits);
void disjoint_limits_unref(umf_disjoint_pool_shared_limits_handle_t limits);

/* ---- the pool ---- */

/* Every chunk is at least this aligned (the malloc contract of the pool). */
#define DJ_MIN_ALIGN ((size_t)8)
/* The last bucket (the reference's CutOff). */
#define DJ_MAX_BUCKET_SIZE ((size_t)1 << 31)
/* Slabs with more chunks than this make a pool refuse to start. */
#define DJ_MAX_CHUNKS ((size_t)1 << 30)
/* Requests up to this size find their bucket in a table. */
#define DJ_SMALL_TABLE_MAX ((size_t)4096)
/* Thread-local table of heaps, by pool id (see disjoint_heap_find). */
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
    utils_spin_t lock;
    /* under the lock */
    uint32_t rcount; /* frees by other threads waiting for the owner */
    bool in_pending; /* queued on the owner's pending stack */
    /* the owner's (or the lock's) */
    bool listed; /* in the owner's list of partly used slabs */
    /* empty and counted in the bucket's nempty and the limits: on the
     * bucket's list of empty slabs (under the bucket lock), or kept by its
     * owner with the unit its heap holds (the owner's) */
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
    /* The heap holds one unit of the bucket's nempty and of the limits:
     * for its kept empty slab (cached), and it keeps the unit while that
     * slab is in use again, so a slab that empties and refills in turn
     * (a malloc+free pair) writes no shared counter. Given back when the
     * heap lets the slab go, is abandoned, or its pool is destroyed. */
    bool holds_unit;
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
    /* buckets 0..nsame_slab-1 have slabs of one size and pass empty slabs
     * to one another (0: fewer than two do) */
    size_t nsame_slab;
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

typedef struct dj_tls_slot_t {
    dj_pool_t *pool;
    uint64_t id;
    dj_heap_t *heap;
} dj_tls_slot_t;

/* The pool's thread-local variables. Hidden and local-dynamic, as they
 * were when each was static in one file: GCC gives an extern __thread
 * variable the general-dynamic model (a __tls_get_addr call with a
 * relocation of its own for each) even when it is hidden. */
#define DJ_TLS_LOCAL                                                           \
    __attribute__((visibility("hidden"), tls_model("local-dynamic")))
/* Shared by every disjoint pool of a thread, as the pool ops contract says
 * (pool_disjoint.c). */
extern __thread umf_result_t disjoint_last_error DJ_TLS_LOCAL;
/* The thread's table of heaps, by pool id (pool_disjoint_heap.c). */
extern __thread dj_tls_slot_t disjoint_tls[DJ_TLS_SLOTS] DJ_TLS_LOCAL;

/* ---- pool_disjoint_slab.c: buckets, slabs, memory held ---- */

/* Lay out the buckets and the address map of a new pool. */
umf_result_t disjoint_setup_buckets(dj_pool_t *pool);

void disjoint_held_add(dj_pool_t *pool, size_t bytes);
void disjoint_held_sub(dj_pool_t *pool, size_t bytes);

/* The bytes of one cached empty slab leave the limits. */
static inline void
disjoint_limits_sub(umf_disjoint_pool_shared_limits_handle_t l, size_t bytes) {
    if (l->max_size == SIZE_MAX) {
        return;
    }
    utils_fetch_sub(&l->total_size, bytes);
}

/* Count one more empty slab held for bucket b; false (nothing changed) when
 * the bucket or the limits would go over. */
bool disjoint_empty_try_add(dj_pool_t *pool, dj_bucket_t *b);

/* One empty slab fewer held for bucket b (a kept one is in use again). */
static inline void disjoint_empty_sub(dj_pool_t *pool, dj_bucket_t *b) {
    utils_fetch_sub(&b->nempty, (size_t)1);
    disjoint_limits_sub(pool->limits, b->slab_size);
}

/* The error of a failed provider allocation, as the pool reports it. */
umf_result_t disjoint_alloc_error(umf_result_t provider_ret);
/* size zeroed bytes on a cache line boundary, for the pool's metadata that
 * threads use apart; *raw gets what to give umf_ba_free. NULL when out of
 * memory. */
void *disjoint_calloc_line_aligned(size_t size, void **raw);
/* A new slab from the provider for heap h, registered for lookups; NULL
 * with the last error set on failure. */
dj_slab_t *disjoint_slab_create(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b);
/* An empty slab of another bucket with slabs of b's size, taken from that
 * bucket's list and cut into b's chunks for heap h; NULL when there is none
 * (nothing changed). */
dj_slab_t *disjoint_slab_recut(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b);
/* A slab just became empty and nothing refers to it: keep it if the bucket
 * and the limits allow, else return it to the provider at once. */
void disjoint_bucket_release(dj_pool_t *pool, dj_bucket_t *b, dj_slab_t *s);

/* The slab bitmaps: taking and giving back chunks (hot path, inlined). */

/* Take the lowest free chunk (the slab is not full). */
static inline void *disjoint_slab_take(const dj_bucket_t *b, dj_slab_t *s) {
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
static inline void disjoint_slab_put_bits(const dj_bucket_t *b, dj_slab_t *s,
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
static inline bool disjoint_slab_put(const dj_bucket_t *b, dj_slab_t *s,
                                     size_t idx) {
    uint64_t mask = (uint64_t)1 << (idx % 64);
    if (UMF_UNLIKELY(s->bits[b->nsum + idx / 64] & mask)) {
        return false;
    }
    disjoint_slab_put_bits(b, s, idx / 64, mask);
    s->used--;
    return true;
}

/* Slab lists through the descriptors' cold part (inlined). */

static inline void disjoint_list_push_head(dj_slab_t **head, dj_slab_t **tail,
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

static inline void disjoint_list_push_tail(dj_slab_t **head, dj_slab_t **tail,
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

static inline void disjoint_list_remove(dj_slab_t **head, dj_slab_t **tail,
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

/* ---- pool_disjoint_heap.c: heaps, frees from other threads, registry ---- */

/* The thread's heap in pool, looked up and bound outside its home slot. */
dj_heap_t *disjoint_heap_find(dj_pool_t *pool, dj_tls_slot_t *home,
                              bool create);

/* The calling thread's heap in pool; created when create, else NULL when
 * the thread has none. */
static inline dj_heap_t *disjoint_heap_get(dj_pool_t *pool, bool create) {
    dj_tls_slot_t *slot = &disjoint_tls[pool->id % DJ_TLS_SLOTS];
    if (UMF_LIKELY(slot->pool == pool && slot->id == pool->id)) {
        return slot->heap;
    }
    return disjoint_heap_find(pool, slot, create);
}

/* Fold in the frees other threads made into this heap's slabs. */
void disjoint_heap_collect(dj_pool_t *pool, dj_heap_t *h);
/* A slab for heap h in bucket b: a partly used orphan, a cached empty
 * slab, or a new one. NULL with the last error set on failure. */
dj_slab_t *disjoint_heap_refill(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b);
/* An owned slab became empty by its owner's free. When it is the heap's
 * only slab of the bucket that is not full, the heap keeps it (counted as a
 * cached empty slab): a bucket with few live chunks then reuses it without
 * handing it through the bucket lock to another thread's cache. */
/* Give back the heap's units whose slab is in use (hb->holds_unit); a
 * kept empty slab carries its unit wherever it goes. */
void disjoint_heap_drop_units(dj_pool_t *pool, dj_heap_t *h);
void disjoint_heap_empty_slab(dj_pool_t *pool, dj_heap_t *h, dj_hbucket_t *hb,
                              dj_slab_t *s);
/* A free by any other thread, under the slab lock: into the remote bitmap
 * of an owned slab, or straight into an orphan. */
umf_result_t disjoint_free_remote(dj_pool_t *pool, dj_slab_t *s, size_t idx,
                                  void *ptr);
/* A new pool gets its id and joins the registry of live pools; destroy
 * takes it out (exiting threads then leave its heaps alone). */
void disjoint_registry_add(dj_pool_t *pool);
void disjoint_registry_remove(dj_pool_t *pool);

/* ---- pool_disjoint_addr_map.c: address -> slab, large allocations ---- */

/* Levels of a tree over keys of key_bits bits (address >> gshift). */
void disjoint_radix_setup(dj_radix_t *r, unsigned key_bits);
/* Bytes of a node of the tree at level (the leaves below the last). */
size_t disjoint_radix_node_bytes(const dj_radix_t *r, unsigned level);
/* Record a slab (caller holds map_lock). Nodes are created before any entry
 * is written, so a failure leaves the lookups unchanged. */
bool disjoint_radix_register(dj_pool_t *pool, dj_slab_t *s);
/* Point the entries of s's memory, registered for an empty slab of another
 * bucket with slabs of s's size, at s (caller holds map_lock); the nodes
 * exist, so nothing can fail. */
void disjoint_radix_rebind(dj_pool_t *pool, dj_slab_t *s);
/* Forget a slab (caller holds map_lock). */
void disjoint_radix_unregister(dj_pool_t *pool, dj_slab_t *s);
/* Free a tree's nodes from node (at level) down. */
void disjoint_radix_free(dj_radix_t *r, void **node, unsigned level);

static inline dj_radix_t *disjoint_radix_of(dj_pool_t *pool, uintptr_t addr) {
    return UMF_LIKELY((addr >> DJ_LO_BITS) == 0) ? &pool->rlo : &pool->rhi;
}

/* The slab holding address p, or NULL. Lock-free. */
static inline dj_slab_t *disjoint_radix_find(dj_pool_t *pool, uintptr_t p) {
    dj_radix_t *r = disjoint_radix_of(pool, p);
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

/* Record a large allocation; false when out of memory. */
bool disjoint_large_insert(dj_pool_t *pool, void *ptr, size_t size);
/* Unlink the node of ptr (NULL when unknown); the caller frees it. */
dj_large_node_t *disjoint_large_remove(dj_pool_t *pool, void *ptr);
/* Size of the large allocation at ptr, 0 when unknown. */
size_t disjoint_large_size(dj_pool_t *pool, void *ptr);

/* ---- pool_disjoint.c: the entry points ---- */

/* Log and return the error of a free of a pointer the pool does not know. */
umf_result_t disjoint_free_invalid(dj_pool_t *pool, void *ptr);

/* ---- pool_disjoint_params.c: params and trace ---- */

/* Fill p with the default params (NULL params at pool creation). */
void disjoint_default_params(struct umf_disjoint_pool_params_t *p);
/* Log the pool's statistics (trace >= 2, at destroy). */
void disjoint_print_stats(const dj_pool_t *pool);

#endif /* UMF_POOL_DISJOINT_INTERNAL_H */
