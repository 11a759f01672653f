/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_pool_internal.h -- the pool handle */
#ifndef UMF_MEMORY_POOL_INTERNAL_H
#define UMF_MEMORY_POOL_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>

#include <umf/memory_pool.h>

#include "core/pool_direct_internal.h"

struct umf_memory_pool_t {
    void *pool_priv;
    pool_direct_ops_t direct; /* the pool's direct path, if it offers one */
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

#endif /* UMF_MEMORY_POOL_INTERNAL_H */
