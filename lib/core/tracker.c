/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracker.c -- the global map from address ranges to pools.
 *
 * Ranges nest (a provider over memory of another pool's allocation)
 * up to TRACKER_MAX_LEVELS deep. Each nesting level is its own radix tree
 * of disjoint ranges (core/tracker_tree_internal.h); a range goes to the
 * level below the innermost range that contains its base, and every range
 * counts the ranges nested in it, so a parent cannot be removed under its
 * children. Lookups walk the levels outermost first and stop at the first
 * level that has no range there.
 *
 * No lock is global: lookups take none, writers lock the leaf of the
 * window they change. Writers run inside the fork gate
 * (core/fork_internal.h), so no leaf is locked when the process forks. */
#include <string.h>

#include "core/fork_internal.h"
#include "core/tracker_internal.h"
#include "core/tracker_tree_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static tt_tree_t tracker_levels[TRACKER_MAX_LEVELS];

static inline bool level_used(int level) {
    return utils_atomic_load_acquire(&tracker_levels[level].root) != NULL;
}

/* The innermost range containing p into *out (each level's lookup
 * overwrites it only when that level has one); its level, or -1. */
static int find_innermost(uintptr_t p, tt_found_t *out) {
    int found = -1;
    for (int l = 0; l < TRACKER_MAX_LEVELS && level_used(l); l++) {
        if (!tt_lookup(&tracker_levels[l], p, out)) {
            break;
        }
        found = l;
    }
    return found;
}

umf_result_t tracker_find(const void *ptr, tracker_alloc_info_t *info) {
    tt_found_t f;
    int level = find_innermost((uintptr_t)ptr, &f);
    if (level < 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    info->base = (void *)f.base;
    info->size = f.size;
    info->pool = f.pool;
    info->level = level;
    return UMF_RESULT_SUCCESS;
}

/* The level a new range [base, base+size) goes to, with its parent's
 * record counted; or an error. */
static umf_result_t add_gated(umf_memory_pool_handle_t pool, uintptr_t base,
                              size_t size) {
    tt_found_t parent;
    int parent_level = find_innermost(base, &parent);
    int level = parent_level + 1;
    if (parent_level >= 0 && base + size - parent.base > parent.size) {
        LOG_ERR("range %p+%zu sticks out of its enclosing range %p+%zu",
                (void *)base, size, (void *)parent.base, parent.size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (level >= TRACKER_MAX_LEVELS) {
        LOG_ERR("range %p+%zu would nest deeper than %d levels", (void *)base,
                size, TRACKER_MAX_LEVELS);
        return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
    }
    tt_rec_t *r = tt_rec_new(base, size, pool);
    if (!r) {
        LOG_ERR("no memory to track range %p+%zu", (void *)base, size);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (parent_level >= 0 &&
        !tt_children_add(&tracker_levels[parent_level], parent.rec, +1)) {
        tt_rec_free(r);
        LOG_ERR("the range enclosing %p+%zu went away while it was added",
                (void *)base, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* no range of the level contains base (find_innermost stopped
     * there): tt_insert refuses one that starts inside the new range */
    umf_result_t ret = tt_insert(&tracker_levels[level], r);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("%s range %p+%zu",
                ret == UMF_RESULT_ERROR_INVALID_ARGUMENT
                    ? "a tracked range overlaps"
                    : "no memory to track",
                (void *)base, size);
        if (parent_level >= 0) {
            tt_children_add(&tracker_levels[parent_level], parent.rec, -1);
        }
        tt_rec_free(r);
    }
    return ret;
}

umf_result_t tracker_add(umf_memory_pool_handle_t pool, void *base,
                         size_t size) {
    uintptr_t b = (uintptr_t)base;
    if (!base || size == 0 || b + size < b || b + size == 0) {
        LOG_ERR("cannot track range %p+%zu", base, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_fork_gate_enter();
    umf_result_t ret = add_gated(pool, b, size);
    umf_fork_gate_exit();
    return ret;
}

/* Count a child more or less for the range of level-1 enclosing base. */
static void parent_children_add(int level, uintptr_t base, long delta) {
    tt_found_t parent;
    if (level > 0 && tt_lookup(&tracker_levels[level - 1], base, &parent)) {
        tt_children_add(&tracker_levels[level - 1], parent.rec, delta);
    }
}

/* The innermost level with a range of pool starting at base, or -1. */
static int level_of_exact(umf_memory_pool_handle_t pool, uintptr_t base,
                          tt_rec_t **rec) {
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        if (level_used(l) &&
            (*rec = tt_find_exact(&tracker_levels[l], base, pool)) != NULL) {
            return l;
        }
    }
    return -1;
}

umf_result_t tracker_remove(umf_memory_pool_handle_t pool, void *base,
                            size_t *size) {
    uintptr_t b = (uintptr_t)base;
    umf_result_t ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    umf_fork_gate_enter();
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        bool busy = false;
        tt_rec_t *r = level_used(l)
                          ? tt_remove(&tracker_levels[l], b, pool, true, &busy)
                          : NULL;
        if (busy) {
            LOG_ERR("range %p still holds nested ranges", base);
            break;
        }
        if (r) {
            if (size) {
                *size = r->size;
            }
            parent_children_add(l, b, -1);
            tt_rec_free(r);
            ret = UMF_RESULT_SUCCESS;
            break;
        }
    }
    umf_fork_gate_exit();
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("no tracked range of pool %p starts at %p", (void *)pool,
                  base);
    }
    return ret;
}

static umf_result_t split_gated(umf_memory_pool_handle_t pool, uintptr_t base,
                                size_t totalSize, size_t firstSize) {
    tt_rec_t *r;
    int level = level_of_exact(pool, base, &r);
    if (level < 0 || r->size != totalSize || r->n_children != 0 ||
        firstSize == 0 || firstSize >= totalSize) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tt_tree_t *t = &tracker_levels[level];
    tt_rec_t *high = tt_rec_new(base + firstSize, totalSize - firstSize, pool);
    if (!high) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    /* the high part first: a lookup finds it or the whole range */
    if (tt_insert(t, high) != UMF_RESULT_SUCCESS) {
        tt_rec_free(high);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    tt_resize(t, r, firstSize);
    parent_children_add(level, base, +1);
    return UMF_RESULT_SUCCESS;
}

umf_result_t tracker_split(umf_memory_pool_handle_t pool, void *ptr,
                           size_t totalSize, size_t firstSize) {
    umf_fork_gate_enter();
    umf_result_t ret = split_gated(pool, (uintptr_t)ptr, totalSize, firstSize);
    umf_fork_gate_exit();
    if (ret == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        LOG_ERR("cannot split %p (%zu into %zu): not a tracked range of that "
                "size without nested ranges",
                ptr, totalSize, firstSize);
    }
    return ret;
}

static umf_result_t merge_gated(umf_memory_pool_handle_t pool, uintptr_t low,
                                uintptr_t high, size_t totalSize,
                                size_t *lowSize) {
    tt_rec_t *lo;
    int level = level_of_exact(pool, low, &lo);
    if (level < 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tt_tree_t *t = &tracker_levels[level];
    tt_rec_t *hi = tt_find_exact(t, high, pool);
    if (!hi || low + lo->size != high || lo->size + hi->size != totalSize ||
        lo->n_children != 0 || hi->n_children != 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (lowSize) {
        *lowSize = lo->size;
    }
    /* the grown range first: a lookup finds it or the high part */
    tt_resize(t, lo, totalSize);
    bool busy = false;
    tt_rec_t *gone = tt_remove(t, high, pool, false, &busy);
    if (gone) {
        parent_children_add(level, high, -1);
        tt_rec_free(gone);
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t tracker_merge(umf_memory_pool_handle_t pool, void *lowPtr,
                           void *highPtr, size_t totalSize, size_t *lowSize) {
    umf_fork_gate_enter();
    umf_result_t ret = merge_gated(pool, (uintptr_t)lowPtr, (uintptr_t)highPtr,
                                   totalSize, lowSize);
    umf_fork_gate_exit();
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("cannot merge %p and %p into %zu bytes: not adjacent tracked "
                "ranges of one pool",
                lowPtr, highPtr, totalSize);
    }
    return ret;
}

static void count_one(void *arg, tt_rec_t *r) {
    (void)r;
    (*(size_t *)arg)++;
}

size_t tracker_count(umf_memory_pool_handle_t pool) {
    size_t n = 0;
    for (int l = 0; l < TRACKER_MAX_LEVELS; l++) {
        tt_for_each(&tracker_levels[l], pool, count_one, &n);
    }
    return n;
}

umf_result_t tracker_init(void) { return UMF_RESULT_SUCCESS; }

void tracker_destroy(void) {
    size_t leftover = tracker_count(NULL);
    if (leftover) {
        LOG_DEBUG("%zu allocations still tracked at teardown", leftover);
    }
    tt_destroy(tracker_levels, TRACKER_MAX_LEVELS);
}

/* A batch of one pool's ranges, taken by tracker_release_pool. */
#define RELEASE_BATCH 64

typedef struct release_batch_t {
    size_t n;
    uintptr_t base[RELEASE_BATCH];
    size_t size[RELEASE_BATCH];
    bool parent[RELEASE_BATCH];
} release_batch_t;

static void batch_take(void *arg, tt_rec_t *r) {
    release_batch_t *b = arg;
    if (b->n < RELEASE_BATCH) {
        b->base[b->n] = r->base;
        b->size[b->n] = r->size;
        b->parent[b->n] = r->n_children != 0;
        b->n++;
    }
}

size_t tracker_release_pool(umf_memory_pool_handle_t pool,
                            void (*release)(void *arg, void *base, size_t size),
                            void *arg) {
    size_t total = 0;
    release_batch_t batch;
    umf_fork_gate_enter();
    /* innermost level first, so a parent never holds children when it goes;
     * batches on the stack: the pool may be going because memory is short */
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        do {
            batch.n = 0;
            tt_for_each(&tracker_levels[l], pool, batch_take, &batch);
            for (size_t i = 0; i < batch.n; i++) {
                if (batch.parent[i]) {
                    LOG_ERR("range %p of a destroyed pool still holds "
                            "nested ranges",
                            (void *)batch.base[i]);
                }
                tt_rec_t *r = tt_remove(&tracker_levels[l], batch.base[i], pool,
                                        false, NULL);
                if (r) {
                    parent_children_add(l, batch.base[i], -1);
                    tt_rec_free(r);
                }
            }
            for (size_t i = 0; i < batch.n; i++) {
                release(arg, (void *)batch.base[i], batch.size[i]);
            }
            total += batch.n;
        } while (batch.n == RELEASE_BATCH);
    }
    umf_fork_gate_exit();
    return total;
}
