/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_direct_internal.h -- direct paths: a pool whose malloc and free only
 * forward to an allocator may let umfPoolMalloc and umfPoolFree call that
 * allocator itself, one call level less (1-3 ns less per malloc+free pair).
 *
 * The pool offers a setup function once, keyed by its initialize op (a
 * table the user copied keeps it). After a successful initialize the pool
 * front-end looks the key up; the pool's setup then sees the ops the handle
 * was created with and its private handle, and fills the direct ops or
 * leaves them zeroed (a table the user changed, a build that must keep the
 * wrappers). Offers are rare and locked; lookups are lock-free. */
#ifndef UMF_POOL_DIRECT_INTERNAL_H
#define UMF_POOL_DIRECT_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>

#include <umf/memory_pool_ops.h>

/* Zeroed when a pool handle has no direct path. */
typedef struct pool_direct_ops_t {
    /* requests of size_limit bytes or more take ops.malloc */
    size_t size_limit;
    /* on failure, the pool's last allocation error is already recorded */
    void *(*malloc)(void *pool_priv, size_t size);
    /* false: the allocator refused the free (umfPoolFree then fails) */
    bool (*free)(void *pool_priv, void *ptr);
} pool_direct_ops_t;

/* Fills *direct (zeroed on entry) for a pool handle created with ops, whose
 * initialize gave pool_priv; leaves it alone to keep the ops' own paths. */
typedef void (*pool_direct_setup_t)(const umf_memory_pool_ops_t *ops,
                                    void *pool_priv, pool_direct_ops_t *direct);

/* How many pools can offer a direct path. */
#define POOL_DIRECT_MAX 8

/* Offer setup for every pool handle created with ops->initialize. Offering
 * the same pair again is harmless (true). False, with a LOG_WARN, when the
 * registry is full or ops->initialize already has another setup: the pool
 * then keeps its ops' own paths. Not from inside a fork callback. */
bool pool_direct_offer(const umf_memory_pool_ops_t *ops,
                       pool_direct_setup_t setup);

/* Let the setup offered for ops->initialize, if any, fill *direct. */
void pool_direct_setup(const umf_memory_pool_ops_t *ops, void *pool_priv,
                       pool_direct_ops_t *direct);

#endif /* UMF_POOL_DIRECT_INTERNAL_H */
