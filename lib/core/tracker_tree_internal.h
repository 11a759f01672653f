/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracker_tree_internal.h -- one nesting level of the tracker: a radix
 * tree over the address space that maps disjoint ranges to their records.
 *
 * Lookups take no lock and share no written word with other lookups;
 * writers lock one leaf (one 64 KiB window of addresses, or a finer one
 * where ranges are dense), so writers in different windows never wait for
 * each other. See tracker_tree.c for the layout and the read protocol. */
#ifndef UMF_TRACKER_TREE_INTERNAL_H
#define UMF_TRACKER_TREE_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/memory_pool.h>

/* A tracked range. Records are type-stable (util/stable_cache_internal.h):
 * a reader holding a stale pointer reads a record, never foreign memory,
 * and gen tells it whether what it read is one consistent state. */
typedef struct tt_rec_t {
    unsigned long gen; /* odd while written and while free */
    uintptr_t base;
    size_t size;
    umf_memory_pool_handle_t pool;
    size_t n_children; /* ranges of the next level nested in this one */
    void *free_link;   /* the cache's; readers never read it */
} tt_rec_t;

typedef struct tt_node_t tt_node_t;

/* One level's tree; zero-initialised is empty. */
typedef struct tt_tree_t {
    tt_node_t *root;
    tt_node_t *low; /* the root's first child: where user space lives */
} tt_tree_t;

typedef struct tt_found_t {
    tt_rec_t *rec;
    uintptr_t base;
    size_t size;
    umf_memory_pool_handle_t pool;
} tt_found_t;

/* A new record (NULL when out of memory) and its release. */
tt_rec_t *tt_rec_new(uintptr_t base, size_t size,
                     umf_memory_pool_handle_t pool);
void tt_rec_free(tt_rec_t *r);

/* The range containing p, lock-free. */
bool tt_lookup(tt_tree_t *t, uintptr_t p, tt_found_t *out);

/* Is there a range whose base is in [lo, hi)? (For overlap checks; exact
 * when no writer changes that part of the tree meanwhile.) */
bool tt_any_base_in(tt_tree_t *t, uintptr_t lo, uintptr_t hi);

/* Add r. INVALID_ARGUMENT when a range of t starts inside r (the caller
 * knows that none contains r's base), OUT_OF_HOST_MEMORY when a node
 * cannot be made; nothing is added then. */
umf_result_t tt_insert(tt_tree_t *t, tt_rec_t *r);

/* The record of pool whose range starts at base, or NULL. */
tt_rec_t *tt_find_exact(tt_tree_t *t, uintptr_t base,
                        umf_memory_pool_handle_t pool);

/* Take the range of pool starting at base out of t and return its record
 * (the caller frees it), or NULL when there is none. With refuse_parent a
 * range that holds nested ranges stays, and *busy is set. */
tt_rec_t *tt_remove(tt_tree_t *t, uintptr_t base, umf_memory_pool_handle_t pool,
                    bool refuse_parent, bool *busy);

/* Add delta to the child count of r, which must be a live range of t
 * starting at r's base; under the lock tt_remove takes, so a parent cannot
 * go while a child is being added. False when r is no longer in t. */
bool tt_children_add(tt_tree_t *t, tt_rec_t *r, long delta);

/* Give r, a live range of t, a new size and the covers that go with it,
 * under its leaf's lock. A split inserts the high part first and then
 * shrinks r; a merge grows r first and then removes the high part: a
 * lookup meanwhile finds one or the other, never neither. False when r is
 * no longer in t. */
bool tt_resize(tt_tree_t *t, tt_rec_t *r, size_t size);

/* Call fn for every record of t (pool NULL) or of one pool, leaf by leaf
 * under the leaf's lock: fn must not change t. */
void tt_for_each(tt_tree_t *t, umf_memory_pool_handle_t pool,
                 void (*fn)(void *arg, tt_rec_t *r), void *arg);

/* Unmap the nodes of trees[0..n) and release every leaf and record: no
 * lookup or change may run any more (library teardown). */
void tt_destroy(tt_tree_t *trees, size_t n);

#endif /* UMF_TRACKER_TREE_INTERNAL_H */
