/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_addr_map.c -- the disjoint pool's address map: which slab
 * holds an address (radix trees), and the size of each large allocation
 * (a hash map).
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
 * The lookup itself, which free inlines, is disjoint_radix_find in
 * pool_disjoint_internal.h. */
#include <stdbool.h>
#include <stdint.h>

#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* ---- radix trees (address -> slab) ---- */

/* Levels of a tree over keys of key_bits bits (address >> gshift). */
void disjoint_radix_setup(dj_radix_t *r, unsigned key_bits) {
    unsigned rest = key_bits > DJ_LEAF_BITS ? key_bits - DJ_LEAF_BITS : 0;
    unsigned n = rest ? (rest + DJ_NODE_BITS - 1) / DJ_NODE_BITS : 1;
    unsigned root_bits = rest ? rest - (n - 1) * DJ_NODE_BITS : 1;
    r->nlevels = n;
    for (unsigned i = 0; i < n; i++) {
        r->level_bits[i] = i == 0 ? root_bits : DJ_NODE_BITS;
        r->level_shift[i] = DJ_LEAF_BITS + (n - 1 - i) * DJ_NODE_BITS;
    }
}

size_t disjoint_radix_node_bytes(const dj_radix_t *r, unsigned level) {
    if (level >= r->nlevels) {
        return DJ_LEAF_ENTRIES * sizeof(dj_leaf_entry_t);
    }
    return ((size_t)1 << r->level_bits[level]) * sizeof(void *);
}

/* The leaf entry of granule key k; creates missing nodes when create
 * (caller holds map_lock), NULL when absent or out of memory. */
static dj_leaf_entry_t *dj_radix_entry(dj_pool_t *pool, uintptr_t k,
                                       bool create) {
    dj_radix_t *r = disjoint_radix_of(pool, k << pool->gshift);
    void **node = r->root;
    if (!node) {
        if (!create ||
            !(node = umf_ba_calloc(1, disjoint_radix_node_bytes(r, 0)))) {
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
            child = umf_ba_calloc(1, disjoint_radix_node_bytes(r, i + 1));
            if (!child) {
                return NULL;
            }
            utils_atomic_store_release(&node[idx], child);
        }
        node = child;
    }
    return &((dj_leaf_entry_t *)node)[k & (DJ_LEAF_ENTRIES - 1)];
}

/* Write the entries of the granules of s's memory: each names slab `to`
 * (s, another descriptor of the same memory, or NULL) and, with addrs, the
 * address that goes with it (s's end where s covers the granule's first
 * byte, its start where it starts inside; 0 with to NULL). Readers check
 * the address first (acquire), so it is set after the slab and cleared
 * before. */
static void dj_radix_set(dj_pool_t *pool, const dj_slab_t *s, dj_slab_t *to,
                         bool addrs) {
    uintptr_t a = (uintptr_t)s->start;
    uintptr_t end = a + s->bucket->slab_size; /* no overflow: registered */
    for (uintptr_t k = a >> pool->gshift; k <= (end - 1) >> pool->gshift; k++) {
        dj_leaf_entry_t *e = dj_radix_entry(pool, k, false);
        bool covers = (k << pool->gshift) >= a;
        dj_slab_t **slab = covers ? &e->cover_slab : &e->start_slab;
        uintptr_t *addr = covers ? &e->cover_end : &e->start_addr;
        if (addrs && !to) {
            utils_atomic_store_release(addr, (uintptr_t)0);
        }
        utils_atomic_store_relaxed(slab, to);
        if (addrs && to) {
            utils_atomic_store_release(addr, covers ? end : a);
        }
    }
}

/* Record a slab (caller holds map_lock). Nodes are created before any entry
 * is written, so a failure leaves the lookups unchanged. */
bool disjoint_radix_register(dj_pool_t *pool, dj_slab_t *s) {
    uintptr_t a = (uintptr_t)s->start;
    uintptr_t end;
    if (utils_add_overflow(a, s->bucket->slab_size, &end)) {
        /* a slab ending exactly at 2^64 cannot record its end address */
        LOG_ERR("slab %p (%zu bytes) ends at the top of the address space",
                (void *)s->start, s->bucket->slab_size);
        return false;
    }
    for (uintptr_t k = a >> pool->gshift; k <= (end - 1) >> pool->gshift; k++) {
        if (!dj_radix_entry(pool, k, true)) {
            LOG_ERR("cannot allocate the pool's address index");
            return false;
        }
    }
    dj_radix_set(pool, s, s, true);
    return true;
}

void disjoint_radix_rebind(dj_pool_t *pool, dj_slab_t *s) {
    dj_radix_set(pool, s, s, false);
}

void disjoint_radix_unregister(dj_pool_t *pool, dj_slab_t *s) {
    dj_radix_set(pool, s, NULL, true);
}

void disjoint_radix_free(dj_radix_t *r, void **node, unsigned level) {
    if (!node) {
        return;
    }
    if (level < r->nlevels) {
        size_t n = (size_t)1 << r->level_bits[level];
        for (size_t i = 0; i < n; i++) {
            disjoint_radix_free(r, node[i], level + 1);
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

bool disjoint_large_insert(dj_pool_t *pool, void *ptr, size_t size) {
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
dj_large_node_t *disjoint_large_remove(dj_pool_t *pool, void *ptr) {
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
size_t disjoint_large_size(dj_pool_t *pool, void *ptr) {
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
