/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_pool_internal.h -- the pool handle */
#ifndef UMF_MEMORY_POOL_INTERNAL_H
#define UMF_MEMORY_POOL_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>

#include <umf/memory_pool.h>

/* A built-in pool whose malloc and free only forward to an allocator may
 * let umfPoolMalloc and umfPoolFree call that allocator directly: a call
 * level less costs 1-3 ns less per malloc+free pair, against about 20 ns
 * of tbbmalloc's own work. Zeroed when a pool has no direct path. */
typedef struct pool_direct_ops_t {
    /* requests of size_limit bytes or more take ops.malloc */
    size_t size_limit;
    /* on failure, the pool's last allocation error is already recorded */
    void *(*malloc)(void *pool_priv, size_t size);
    bool (*free)(void *pool_priv, void *ptr);
} pool_direct_ops_t;

struct umf_memory_pool_t {
    void *pool_priv;
    pool_direct_ops_t direct;
    umf_memory_pool_ops_t ops;
    umf_pool_create_flags_t flags;
    /* What the pool's ops see: the tracking wrapper, or the user's provider
     * with DISABLE_TRACKING. */
    umf_memory_provider_handle_t provider;
    /* The user's provider (umfPoolGetMemoryProvider). */
    umf_memory_provider_handle_t upstream;
    pthread_mutex_t lock; /* guards tag */
    void *tag;
    unsigned long generation; /* library generation at creation */
};

/* Fills *direct when ops' malloc and free are the scalable pool's own;
 * leaves it alone otherwise, where that pool is not built, and in TSan
 * builds, whose hand-over hooks sit in the wrappers (pool_scalable.c). */
void scalable_pool_direct_ops(const umf_memory_pool_ops_t *ops,
                              pool_direct_ops_t *direct);

#endif /* UMF_MEMORY_POOL_INTERNAL_H */
