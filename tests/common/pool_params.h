/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_params.h -- pool params that several pool-suite tables (and
 * bench_gpu) build the same way, in the shape pool_suite_row_t wants:
 * void *create(void) returning NULL on any failure, void destroy(void *).
 * Needs only libumf (no Check), so a benchmark may compile it too. */
#ifndef UMF_TEST_POOL_PARAMS_H
#define UMF_TEST_POOL_PARAMS_H 1

#include <stddef.h>

#include <umf/memory_provider.h>

/* Disjoint pool params with these settings; a 0 leaves that setting at
 * its default. NULL if any step fails (nothing is left allocated). */
void *pool_params_disjoint(size_t slab_min_size, size_t max_poolable_size,
                           size_t capacity, size_t min_bucket_size);
/* the values the reference's own disjoint tests use: 4 KiB slabs, up to
 * 4 KiB pooled, capacity 4, 64-byte smallest bucket */
void *pool_params_disjoint_reference(void);
void pool_params_disjoint_destroy(void *params);

/* default scalable pool params, or NULL */
void *pool_params_scalable_create(void);
void pool_params_scalable_destroy(void *params);

/* a row's provider_destroy for a provider that needs no context */
void pool_params_provider_destroy(umf_memory_provider_handle_t provider,
                                  void *ctx);

#endif /* UMF_TEST_POOL_PARAMS_H */
