/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracker_internal.h -- the global map from address ranges to pools.
 *
 * Ranges nest (a provider over memory of another pool) up to
 * TRACKER_MAX_LEVELS deep; lookups return the innermost range. Lookups
 * take no lock; writers lock only the part of the map they change
 * (tracker.c, tracker_tree.c). */
#ifndef UMF_TRACKER_INTERNAL_H
#define UMF_TRACKER_INTERNAL_H 1

#include <stddef.h>

#include <umf/memory_pool.h>

#define TRACKER_MAX_LEVELS 8

typedef struct tracker_alloc_info_t {
    void *base;
    size_t size;
    umf_memory_pool_handle_t pool;
    int level;
} tracker_alloc_info_t;

umf_result_t tracker_init(void);
/* Logs leftover ranges (at debug level) and releases the index. */
void tracker_destroy(void);

/* Record [base, base+size) for pool. INVALID_ARGUMENT when the range
 * overlaps a range it does not nest in, OUT_OF_RESOURCES when nesting would
 * exceed TRACKER_MAX_LEVELS, OUT_OF_HOST_MEMORY when the index cannot grow. */
umf_result_t tracker_add(umf_memory_pool_handle_t pool, void *base,
                         size_t size);

/* Remove the range starting at base that belongs to pool; its size goes to
 * *size. INVALID_ARGUMENT when there is none, or when it still contains
 * nested ranges. */
umf_result_t tracker_remove(umf_memory_pool_handle_t pool, void *base,
                            size_t *size);

/* Innermost range containing ptr. INVALID_ARGUMENT when none. */
umf_result_t tracker_find(const void *ptr, tracker_alloc_info_t *info);

/* Replace [ptr, ptr+totalSize) by two ranges split at firstSize. */
umf_result_t tracker_split(umf_memory_pool_handle_t pool, void *ptr,
                           size_t totalSize, size_t firstSize);

/* Replace two adjacent ranges of pool by one of totalSize; *lowSize (when
 * not NULL) gets the low range's size before the merge, for undoing it. */
umf_result_t tracker_merge(umf_memory_pool_handle_t pool, void *lowPtr,
                           void *highPtr, size_t totalSize, size_t *lowSize);

/* Remove every range of pool (innermost first) and hand each to release
 * (called without the tracker lock). Returns how many there were. */
size_t tracker_release_pool(umf_memory_pool_handle_t pool,
                            void (*release)(void *arg, void *base, size_t size),
                            void *arg);

/* Number of ranges currently recorded for pool (NULL: for every pool). */
size_t tracker_count(umf_memory_pool_handle_t pool);

#endif /* UMF_TRACKER_INTERNAL_H */
