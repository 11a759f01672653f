/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* coarse.c -- page-granular range allocator (first fit by size).
 *
 * Each block sits in an AVL tree ordered by address (lookup by pointer,
 * overlap checks) and, while free, in a second AVL tree ordered by
 * (size, address) (first fit). Blocks of one source are also chained in
 * address order, so the neighbours a free may merge with are found in O(1)
 * and a merge can never cross into another source. Alloc, free, split and
 * merge cost O(log n) in the number of blocks. Threads that contend get
 * lanes of their own in front of the instance (coarse_lanes.c). */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "coarse_impl_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* How many too-small-after-alignment free blocks an aligned allocation
 * skips before it settles for the smallest block that fits whatever its
 * address (size + alignment - page). Bounds the alloc cost. */
#define COARSE_ALIGN_PROBES 16
/* How many fitting free blocks an allocation of a thread with a lane
 * looks at for one outside other lanes' windows (coarse_lanes_place). */
#define COARSE_PLACE_PROBES 8

/* ---------------------------------------------------------------------- */
/* Blocks and sources                                                       */

#define COARSE_MAX_SPARES 64

/* Keep a descriptor for later (lock held). */
static void spare_put(coarse_t *c, coarse_block_t *b) {
    if (!b) {
        return;
    }
    if (c->n_spares >= COARSE_MAX_SPARES) {
        umf_ba_free(b);
        return;
    }
    b->next = c->spares;
    c->spares = b;
    c->n_spares++;
}

static coarse_block_t *spare_get(coarse_t *c) {
    coarse_block_t *b = c->spares;
    if (b) {
        c->spares = b->next;
        c->n_spares--;
    }
    return b;
}

#define BLOCK_OF(node, member)                                                 \
    ((coarse_block_t *)((char *)(node)-offsetof(coarse_block_t, member)))

static int cmp_addr(const avl_node_t *a, const avl_node_t *b) {
    uintptr_t x = BLOCK_OF(a, by_addr)->addr;
    uintptr_t y = BLOCK_OF(b, by_addr)->addr;
    return x < y ? -1 : x > y;
}

static int cmp_size(const avl_node_t *a, const avl_node_t *b) {
    const coarse_block_t *x = BLOCK_OF(a, by_size);
    const coarse_block_t *y = BLOCK_OF(b, by_size);
    if (x->size != y->size) {
        return x->size < y->size ? -1 : 1;
    }
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The block starting exactly at addr, or NULL. */
static coarse_block_t *find_block(coarse_t *c, uintptr_t addr) {
    avl_node_t *n = c->by_addr.root;
    while (n) {
        coarse_block_t *b = BLOCK_OF(n, by_addr);
        if (addr == b->addr) {
            return b;
        }
        n = addr < b->addr ? n->left : n->right;
    }
    return NULL;
}

/* The block with the highest address <= addr, or NULL. */
static coarse_block_t *find_floor(coarse_t *c, uintptr_t addr) {
    avl_node_t *n = c->by_addr.root;
    coarse_block_t *best = NULL;
    while (n) {
        coarse_block_t *b = BLOCK_OF(n, by_addr);
        if (b->addr <= addr) {
            best = b;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    return best;
}

/* The smallest free block of at least size bytes, or NULL. */
static coarse_block_t *find_free_at_least(coarse_t *c, size_t size) {
    avl_node_t *n = c->free_by_size.root;
    coarse_block_t *best = NULL;
    while (n) {
        coarse_block_t *b = BLOCK_OF(n, by_size);
        if (b->size >= size) {
            best = b;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

/* Does [addr, addr+size) (non-empty, not wrapping) overlap a managed block? */
static bool overlaps(coarse_t *c, uintptr_t addr, size_t size) {
    coarse_block_t *b = find_floor(c, addr + size - 1);
    return b && b->addr + b->size > addr;
}

static void mark_free(coarse_t *c, coarse_block_t *b) {
    b->used = false;
    avl_insert(&c->free_by_size, &b->by_size, cmp_size);
    c->stats.num_free_blocks++;
}

static void unmark_free(coarse_t *c, coarse_block_t *b) {
    avl_remove(&c->free_by_size, &b->by_size);
    c->stats.num_free_blocks--;
}

/* Cut b (not in the free tree) at offset first; nb (fresh metadata) becomes
 * the upper part and inherits b's used flag. The caller puts free pieces
 * into the free tree. */
static coarse_block_t *block_cut(coarse_t *c, coarse_block_t *b, size_t first,
                                 coarse_block_t *nb) {
    memset(nb, 0, sizeof(*nb));
    nb->addr = b->addr + first;
    nb->size = b->size - first;
    nb->src = b->src;
    nb->used = b->used;
    nb->prev = b;
    nb->next = b->next;
    if (b->next) {
        b->next->prev = nb;
    }
    b->next = nb;
    b->size = first;
    avl_insert(&c->by_addr, &nb->by_addr, cmp_addr);
    c->stats.num_all_blocks++;
    return nb;
}

/* Absorb hi (b->next, not in the free tree) into b and release hi. */
static void block_absorb_next(coarse_t *c, coarse_block_t *b) {
    coarse_block_t *hi = b->next;
    b->size += hi->size;
    b->next = hi->next;
    if (hi->next) {
        hi->next->prev = b;
    }
    avl_remove(&c->by_addr, &hi->by_addr);
    c->stats.num_all_blocks--;
    spare_put(c, hi);
}

/* Register a new source [addr, addr+size) as one block. */
static umf_result_t source_add(coarse_t *c, uintptr_t addr, size_t size,
                               bool from_cb, bool used, coarse_block_t **out) {
    coarse_source_t *s = umf_ba_alloc(sizeof(*s));
    coarse_block_t *b = umf_ba_alloc(sizeof(*b));
    if (!s || !b) {
        LOG_ERR("%s: cannot allocate metadata", c->name);
        umf_ba_free(s);
        umf_ba_free(b);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memset(b, 0, sizeof(*b));
    b->addr = addr;
    b->size = size;
    b->src = s;
    s->first = b;
    s->base = addr;
    s->size = size;
    s->from_cb = from_cb;
    s->next_src = c->sources;
    c->sources = s;
    avl_insert(&c->by_addr, &b->by_addr, cmp_addr);
    c->stats.num_all_blocks++;
    c->stats.alloc_size += size;
    if (used) {
        b->used = true;
        c->stats.used_size += size;
    } else {
        mark_free(c, b);
    }
    if (out) {
        *out = b;
    }
    return UMF_RESULT_SUCCESS;
}

/* Bytes from addr up to the next multiple of align (a power of two). */
static size_t align_pad(uintptr_t addr, size_t align) {
    return (size_t)(-addr & (uintptr_t)(align - 1));
}

static bool block_fits(const coarse_block_t *b, size_t size, size_t align) {
    size_t pad = align_pad(b->addr, align);
    return pad <= b->size && b->size - pad >= size;
}

/* Smallest free block that fits size bytes at alignment align (both
 * multiples of the page size), or NULL. */
static coarse_block_t *find_fit(coarse_t *c, size_t size, size_t align) {
    coarse_block_t *b = find_free_at_least(c, size);
    if (!b || align <= c->page_size) {
        return b; /* every block is page aligned */
    }
    for (int i = 0; b && i < COARSE_ALIGN_PROBES; i++) {
        if (block_fits(b, size, align)) {
            return b;
        }
        avl_node_t *n = avl_next(&b->by_size);
        b = n ? BLOCK_OF(n, by_size) : NULL;
    }
    if (!b) {
        return NULL;
    }
    /* A page-aligned block needs at most align - page bytes of padding. */
    size_t need;
    if (utils_add_overflow(size, align - c->page_size, &need)) {
        return NULL;
    }
    return find_free_at_least(c, need);
}

/* Page-rounded size, or 0 on overflow. */
static size_t round_to_page(const coarse_t *c, size_t size) {
    size_t out;
    if (!utils_align_up_checked(size, c->page_size, &out)) {
        return 0;
    }
    return out;
}

/* ---------------------------------------------------------------------- */
/* API                                                                      */

umf_result_t coarse_new(const coarse_params_t *p, coarse_t **out) {
    if (!p || !out) {
        LOG_ERR("invalid argument: params=%p out=%p", (const void *)p,
                (void *)out);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!p->cb.split || !p->cb.merge) {
        LOG_ERR("coarse needs split and merge callbacks");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!utils_is_power_of_2(p->page_size)) {
        LOG_ERR("page size %zu is not a power of two", p->page_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    coarse_t *c = umf_ba_alloc(sizeof(*c));
    if (!c) {
        LOG_ERR("cannot allocate the coarse instance");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memset(c, 0, sizeof(*c));
    /* adaptive: critical sections are short, and a contended futex sleep
     * costs far more than spinning through one of them */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    int init_failed = pthread_mutex_init(&c->lock, &attr);
    pthread_mutexattr_destroy(&attr);
    if (init_failed) {
        LOG_ERR("cannot initialise the coarse mutex");
        umf_ba_free(c);
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    c->provider = p->provider;
    c->cb = p->cb;
    c->page_size = p->page_size;
    snprintf(c->name, sizeof(c->name), "%s", p->name ? p->name : "coarse");
    *out = c;
    return UMF_RESULT_SUCCESS;
}

void coarse_delete(coarse_t *c) {
    if (!c) {
        return;
    }
    coarse_source_t *s = c->sources;
    while (s) {
        coarse_source_t *next_src = s->next_src;
        coarse_block_t *b = s->first;
        while (b) {
            coarse_block_t *nb = b->next;
            umf_ba_free(b);
            b = nb;
        }
        if (s->from_cb && c->cb.free) {
            umf_result_t ret =
                c->cb.free(c->provider, (void *)s->base, s->size);
            if (ret != UMF_RESULT_SUCCESS) {
                LOG_ERR("%s: giving back [%p, +%zu) failed (%d)", c->name,
                        (void *)s->base, s->size, (int)ret);
            }
        }
        umf_ba_free(s);
        s = next_src;
    }
    while (c->spares) {
        umf_ba_free(spare_get(c));
    }
    coarse_lanes_delete(c);
    pthread_mutex_destroy(&c->lock);
    umf_ba_free(c);
}

umf_result_t coarse_add_memory_fixed(coarse_t *c, void *addr, size_t size) {
    if (!c || !addr || size == 0) {
        LOG_ERR("invalid argument: coarse=%p addr=%p size=%zu", (void *)c, addr,
                size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uintptr_t a = (uintptr_t)addr;
    uintptr_t end;
    if ((a & (c->page_size - 1)) || (size & (c->page_size - 1)) ||
        __builtin_add_overflow(a, size, &end)) {
        LOG_ERR("%s: range [%p, +%zu) is not page aligned or wraps", c->name,
                addr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&c->lock);
    umf_result_t ret;
    if (overlaps(c, a, size)) {
        LOG_ERR("%s: range [%p, +%zu) overlaps managed memory", c->name, addr,
                size);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    } else {
        ret = source_add(c, a, size, false, false, NULL);
    }
    pthread_mutex_unlock(&c->lock);
    return ret;
}

/* Effective alignment for a request, or 0 when alignment is invalid. */
static size_t effective_alignment(const coarse_t *c, size_t alignment) {
    if (alignment == 0) {
        return c->page_size;
    }
    if (!utils_is_power_of_2(alignment) ||
        (alignment % c->page_size != 0 && c->page_size % alignment != 0)) {
        return 0;
    }
    return UMF_MAX(alignment, c->page_size);
}

/* Grow through cb.alloc; called with the lock held. */
static umf_result_t alloc_from_source(coarse_t *c, size_t size, size_t align,
                                      void **ptr) {
    void *p = NULL;
    umf_result_t ret = c->cb.alloc(c->provider, size, align, &p);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    uintptr_t a = (uintptr_t)p;
    uintptr_t end;
    if (!p || (a & (align - 1)) || __builtin_add_overflow(a, size, &end) ||
        overlaps(c, a, size)) {
        LOG_ERR("%s: alloc callback returned a bad range [%p, +%zu)", c->name,
                p, size);
        if (p && c->cb.free) {
            c->cb.free(c->provider, p, size);
        }
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    ret = source_add(c, a, size, true, true, NULL);
    if (ret != UMF_RESULT_SUCCESS) {
        if (c->cb.free) {
            c->cb.free(c->provider, p, size);
        }
        return ret;
    }
    *ptr = p;
    return UMF_RESULT_SUCCESS;
}

/* Where to cut rsize bytes from the fitting free block *b: its first
 * aligned address, unless the lanes want another window and one of the
 * next few fitting blocks (in size order) has a place in it. */
static size_t place(coarse_t *c, coarse_block_t **b, size_t rsize,
                    size_t align) {
    coarse_block_t *cand = *b;
    for (int i = 0; cand && i < COARSE_PLACE_PROBES; i++) {
        size_t off = coarse_lanes_place(c, cand, align_pad(cand->addr, align),
                                        rsize, align);
        if (off != COARSE_PLACE_ELSEWHERE) {
            *b = cand;
            return off;
        }
        avl_node_t *n = avl_next(&cand->by_size);
        cand = n ? BLOCK_OF(n, by_size) : NULL;
        if (cand && !block_fits(cand, rsize, align)) {
            break;
        }
    }
    return align_pad((*b)->addr, align);
}

umf_result_t coarse_alloc(coarse_t *c, size_t size, size_t alignment,
                          void **ptr) {
    if (!c || !ptr || size == 0) {
        LOG_ERR("invalid argument: coarse=%p ptr=%p size=%zu", (void *)c,
                (void *)ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t align = effective_alignment(c, alignment);
    if (align == 0) {
        LOG_ERR("%s: alignment %zu is not a power of two multiple or divisor "
                "of the page size %zu",
                c->name, alignment, c->page_size);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    size_t rsize = round_to_page(c, size);
    if (rsize == 0) {
        LOG_ERR("%s: size %zu too large", c->name, size);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (coarse_lane_alloc(c, rsize, align, ptr)) {
        return UMF_RESULT_SUCCESS;
    }

    /* metadata for the head and tail pieces, taken before any change:
     * kept ones, else new ones allocated without the lock held */
    coarse_block_t *spare[2];
    coarse_lock(c);
    spare[0] = spare_get(c);
    spare[1] = spare_get(c);
    if (!spare[0] || !spare[1]) {
        pthread_mutex_unlock(&c->lock);
        spare[0] = spare[0] ? spare[0] : umf_ba_alloc(sizeof(coarse_block_t));
        spare[1] = spare[1] ? spare[1] : umf_ba_alloc(sizeof(coarse_block_t));
        pthread_mutex_lock(&c->lock);
        if (!spare[0] || !spare[1]) {
            LOG_ERR("%s: cannot allocate metadata", c->name);
            spare_put(c, spare[0]);
            spare_put(c, spare[1]);
            pthread_mutex_unlock(&c->lock);
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }

    umf_result_t ret = UMF_RESULT_SUCCESS;
    coarse_block_t *b = find_fit(c, rsize, align);
    if (!b && coarse_lanes_flush(c)) {
        b = find_fit(c, rsize, align); /* the lanes' blocks, merged back */
    }
    if (!b) {
        if (c->cb.alloc) {
            ret = alloc_from_source(c, rsize, align, ptr);
        } else {
            ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        if (ret != UMF_RESULT_SUCCESS) {
            LOG_ERR("%s: cannot allocate %zu bytes aligned to %zu (%d)",
                    c->name, size, align, (int)ret);
        }
        goto out;
    }

    size_t pad = place(c, &b, rsize, align);
    unmark_free(c, b);
    if (pad) {
        coarse_block_t *head = b;
        b = block_cut(c, head, pad, spare[0]);
        spare[0] = NULL;
        mark_free(c, head);
    }
    if (b->size > rsize) {
        coarse_block_t *tail = block_cut(c, b, rsize, spare[1]);
        spare[1] = NULL;
        mark_free(c, tail);
    }
    b->used = true;
    c->stats.used_size += b->size;
    coarse_lanes_note_alloc(c, b);
    *ptr = (void *)b->addr;
out:
    spare_put(c, spare[0]);
    spare_put(c, spare[1]);
    pthread_mutex_unlock(&c->lock);
    return ret;
}

umf_result_t coarse_free(coarse_t *c, void *ptr, size_t size) {
    if (!c || !ptr) {
        LOG_ERR("invalid argument: coarse=%p ptr=%p", (void *)c, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t rsize = 0;
    if (size != 0 && (rsize = round_to_page(c, size)) == 0) {
        LOG_ERR("%s: size %zu of %p is not the allocated size", c->name, size,
                ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    if (coarse_lane_free(c, (uintptr_t)ptr, rsize, &ret)) {
        return ret;
    }
    coarse_lock(c);
    coarse_block_t *b = find_block(c, (uintptr_t)ptr);
    if (!b) {
        LOG_ERR("%s: %p was not allocated here", c->name, ptr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (!b->used || !coarse_lanes_detach(c, b)) {
        LOG_ERR("%s: double free of %p", c->name, ptr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (size != 0 && rsize != b->size) {
        LOG_ERR("%s: size %zu does not match the size %zu of %p", c->name, size,
                b->size, ptr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    coarse_release_locked(c, b);
out:
    pthread_mutex_unlock(&c->lock);
    return ret;
}

void coarse_release_locked(coarse_t *c, coarse_block_t *b) {
    c->stats.used_size -= b->size;
    b->used = false;
    if (b->next && !b->next->used) {
        unmark_free(c, b->next);
        block_absorb_next(c, b);
    }
    if (b->prev && !b->prev->used) {
        coarse_block_t *lo = b->prev;
        unmark_free(c, lo);
        block_absorb_next(c, lo);
        b = lo;
    }
    mark_free(c, b);
}

umf_result_t coarse_split(coarse_t *c, void *ptr, size_t totalSize,
                          size_t firstSize) {
    if (!c || !ptr || firstSize == 0 || firstSize >= totalSize) {
        LOG_ERR("invalid argument: coarse=%p ptr=%p totalSize=%zu "
                "firstSize=%zu",
                (void *)c, ptr, totalSize, firstSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (firstSize & (c->page_size - 1)) {
        LOG_ERR("%s: split point %zu is not a multiple of the page size %zu",
                c->name, firstSize, c->page_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t rtotal = round_to_page(c, totalSize);
    coarse_block_t *nb = umf_ba_alloc(sizeof(*nb));
    if (!nb) {
        LOG_ERR("%s: cannot allocate metadata", c->name);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_result_t ret;
    pthread_mutex_lock(&c->lock);
    coarse_block_t *b = find_block(c, (uintptr_t)ptr);
    if (!b || !b->used || !coarse_lanes_detach(c, b)) {
        LOG_ERR("%s: %p is not an allocated block", c->name, ptr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (rtotal != b->size) {
        LOG_ERR("%s: totalSize %zu does not match the size %zu of %p", c->name,
                totalSize, b->size, ptr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    ret = c->cb.split(c->provider, ptr, totalSize, firstSize);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("%s: provider split of %p failed (%d)", c->name, ptr, (int)ret);
        goto out;
    }
    block_cut(c, b, firstSize, nb);
    nb = NULL;
out:
    pthread_mutex_unlock(&c->lock);
    umf_ba_free(nb);
    return ret;
}

umf_result_t coarse_merge(coarse_t *c, void *lowPtr, void *highPtr,
                          size_t totalSize) {
    if (!c || !lowPtr || !highPtr || totalSize == 0 ||
        (uintptr_t)lowPtr >= (uintptr_t)highPtr) {
        LOG_ERR("invalid argument: coarse=%p lowPtr=%p highPtr=%p "
                "totalSize=%zu",
                (void *)c, lowPtr, highPtr, totalSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t rtotal = round_to_page(c, totalSize);
    umf_result_t ret;
    pthread_mutex_lock(&c->lock);
    coarse_block_t *lo = find_block(c, (uintptr_t)lowPtr);
    coarse_block_t *hi = find_block(c, (uintptr_t)highPtr);
    if (!lo || !hi || !lo->used || !hi->used || !coarse_lanes_detach(c, lo) ||
        !coarse_lanes_detach(c, hi)) {
        LOG_ERR("%s: %p or %p is not an allocated block", c->name, lowPtr,
                highPtr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (lo->next != hi) {
        LOG_ERR("%s: %p and %p are not adjacent blocks of one source", c->name,
                lowPtr, highPtr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (rtotal != lo->size + hi->size) {
        LOG_ERR("%s: totalSize %zu does not match %zu + %zu", c->name,
                totalSize, lo->size, hi->size);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    ret = c->cb.merge(c->provider, lowPtr, highPtr, totalSize);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("%s: provider merge of %p and %p failed (%d)", c->name, lowPtr,
                highPtr, (int)ret);
        goto out;
    }
    block_absorb_next(c, lo);
out:
    pthread_mutex_unlock(&c->lock);
    return ret;
}

coarse_stats_t coarse_get_stats(coarse_t *c) {
    coarse_stats_t st = {0, 0, 0, 0};
    if (!c) {
        return st;
    }
    size_t lane_bytes, lane_blocks;
    pthread_mutex_lock(&c->lock);
    st = c->stats;
    coarse_lanes_cached(c, &lane_bytes, &lane_blocks);
    pthread_mutex_unlock(&c->lock);
    /* the lanes' cached blocks are free to the user of the instance */
    st.used_size -= lane_bytes;
    st.num_free_blocks += lane_blocks;
    return st;
}

size_t coarse_get_page_size(coarse_t *c) { return c ? c->page_size : 0; }

bool coarse_is_allocated_range(coarse_t *c, const void *ptr, size_t size) {
    if (!c || !ptr) {
        return false;
    }
    uintptr_t a = (uintptr_t)ptr;
    uintptr_t end;
    if (__builtin_add_overflow(a, size, &end)) {
        return false;
    }
    pthread_mutex_lock(&c->lock);
    coarse_block_t *b = find_floor(c, a);
    bool ok = b && b->used && end <= b->addr + b->size &&
              !(utils_atomic_load_acquire(&b->lane) & COARSE_LANE_FREE_STATES);
    pthread_mutex_unlock(&c->lock);
    return ok;
}

umf_result_t coarse_split_nothing(void *provider, void *ptr, size_t totalSize,
                                  size_t firstSize) {
    (void)provider;
    (void)ptr;
    (void)totalSize;
    (void)firstSize;
    return UMF_RESULT_SUCCESS;
}

umf_result_t coarse_merge_nothing(void *provider, void *lowPtr, void *highPtr,
                                  size_t totalSize) {
    (void)provider;
    (void)lowPtr;
    (void)highPtr;
    (void)totalSize;
    return UMF_RESULT_SUCCESS;
}

/* ---- provider ops of coarse-backed providers ---- */

static coarse_t *provider_coarse(void *provider) {
    return *(coarse_t **)provider;
}

umf_result_t coarse_provider_alloc(void *provider, size_t size,
                                   size_t alignment, void **resultPtr) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(resultPtr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return coarse_alloc(provider_coarse(provider), size, alignment, resultPtr);
}

umf_result_t coarse_provider_free(void *provider, void *ptr, size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    return coarse_free(provider_coarse(provider), ptr, size);
}

umf_result_t coarse_provider_split(void *provider, void *ptr, size_t totalSize,
                                   size_t firstSize) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return coarse_split(provider_coarse(provider), ptr, totalSize, firstSize);
}

umf_result_t coarse_provider_merge(void *provider, void *lowPtr, void *highPtr,
                                   size_t totalSize) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return coarse_merge(provider_coarse(provider), lowPtr, highPtr, totalSize);
}

/* fork(2): the owning provider holds the lock across fork (it knows the
 * order of its own locks) and releases it in both processes */
void coarse_fork_prepare(coarse_t *c) {
    pthread_mutex_lock(&c->lock);
    coarse_lanes_lock_all(c);
}

void coarse_fork_parent(coarse_t *c) {
    coarse_lanes_unlock_all(c);
    pthread_mutex_unlock(&c->lock);
}

void coarse_fork_child(coarse_t *c) {
    coarse_lanes_unlock_all(c);
    pthread_mutex_unlock(&c->lock);
}
