/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_tracking_internal.h -- the wrapper that records every coarse
 * allocation of a pool in the tracker */
#ifndef UMF_PROVIDER_TRACKING_INTERNAL_H
#define UMF_PROVIDER_TRACKING_INTERNAL_H 1

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

/* Wrap upstream for pool; the wrapper's calls forward to upstream and keep
 * the tracker exact (add after alloc, remove before free, re-add when a free
 * fails, split/merge). */
umf_result_t tracking_provider_create(umf_memory_provider_handle_t upstream,
                                      umf_memory_pool_handle_t pool,
                                      umf_memory_provider_handle_t *wrapper);

struct ipc_cache_t;

/* The producer IPC cache of a tracking wrapper, created on first use (NULL
 * when out of memory). */
struct ipc_cache_t *
tracking_provider_ipc_cache(umf_memory_provider_handle_t wrapper);

#endif /* UMF_PROVIDER_TRACKING_INTERNAL_H */
