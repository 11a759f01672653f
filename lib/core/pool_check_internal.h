/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_check_internal.h -- the checking mode (UMF_CHECK=1, read once at the
 * first umfInit): pool handles and pointers given to the pool front-ends
 * are validated before the pool sees them.
 *
 * Without it, a pointer a pool did not hand out is undefined behaviour for
 * the pools that cannot recognise it at no cost: those over an allocator
 * whose free reads a header in front of the block. In it, the tracker says which
 * pool's memory a pointer lies in (umfPoolByPtr), and a registry of live
 * handles catches a destroyed or never-created pool handle, at the price of
 * a tracker lookup per call and a lock per handle check. */
#ifndef UMF_POOL_CHECK_INTERNAL_H
#define UMF_POOL_CHECK_INTERNAL_H 1

#include <stdbool.h>

#include <umf/memory_pool.h>

#include "util/utils_internal.h"

extern bool pool_check_on; /* written once, before any pool exists */

/* Reads UMF_CHECK (once per process). */
void pool_check_init(void);

static inline bool pool_check_enabled(void) {
    return UMF_UNLIKELY(utils_atomic_load_relaxed(&pool_check_on));
}

/* The registry of live handles (checking mode only). add returns false
 * when out of memory (the pool is then refused); remove returns false when
 * the handle was not live. */
bool pool_check_add(umf_memory_pool_handle_t pool);
bool pool_check_remove(umf_memory_pool_handle_t pool);

/* Is pool a live handle? Logs the call named fn when it is not. */
bool pool_check_handle(umf_memory_pool_handle_t pool, const char *fn);

/* Does ptr lie in memory that pool got from its provider (the tracker)?
 * Logs the call named fn when it does not. A pool created with
 * UMF_POOL_CREATE_FLAG_DISABLE_TRACKING is not in the tracker: its
 * pointers pass (tracked says whether the pool is tracked). */
bool pool_check_ptr(umf_memory_pool_handle_t pool, bool tracked,
                    const void *ptr, const char *fn);

#endif /* UMF_POOL_CHECK_INTERNAL_H */
