/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_setup.h -- the pools the benchmark programs measure, and "bench
 * arena", a trivial provider for pools whose every allocation should be
 * its own tracked range.
 *
 * The bench arena hands out BENCH_ARENA_SLOT (4 KiB) slots of one
 * MAP_NORESERVE mapping, reusing freed slots: a proxy pool over it puts
 * one range per allocation in the tracker at the cost of a mutex, where
 * the OS provider would cost a mapping each (10^6 of them would pass
 * vm.max_map_count).  Every constructor prints why it failed on stderr
 * and returns NULL.
 */
#ifndef UMF_BENCH_SETUP_H
#define UMF_BENCH_SETUP_H 1

#include <stddef.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

#define BENCH_ARENA_SLOT 4096

/* The bench arena's provider operations; params: a bench_arena_params_t. */
typedef struct bench_arena_params_t {
    size_t slots;
} bench_arena_params_t;
const umf_memory_provider_ops_t *bench_arena_ops(void);

/* A proxy pool owning prov (destroyed here when the pool cannot be made). */
umf_memory_pool_handle_t bench_proxy_over(umf_memory_provider_handle_t prov,
                                          const char *what);
/* A proxy pool over the OS provider. */
umf_memory_pool_handle_t bench_os_proxy_pool(void);
/* A proxy pool over a bench arena of `slots` slots. */
umf_memory_pool_handle_t bench_arena_proxy_pool(size_t slots);
/* A proxy pool over the fixed provider on buf[0..size). */
umf_memory_pool_handle_t bench_fixed_proxy_pool(void *buf, size_t size);

/* Successful alloc and free calls that reached a counted provider
 * (atomics). */
typedef struct bench_provider_counts_t {
    unsigned long long allocs, frees;
} bench_provider_counts_t;
/* A provider that passes every call on to inner, which it owns (inner is
 * destroyed here when the provider cannot be made), counting alloc and
 * free calls into *counts (bench_counted_provider.c). */
umf_memory_provider_handle_t
bench_counted_provider(umf_memory_provider_handle_t inner,
                       bench_provider_counts_t *counts);

/* Disjoint pool parameters; 0 keeps the pool's default. */
typedef struct bench_disjoint_cfg_t {
    size_t slab_min_size, max_poolable_size, capacity;
} bench_disjoint_cfg_t;
/* The 64 B rows of issue 19: 64 KiB slabs, 2 MiB max poolable, capacity 4 */
#define BENCH_DISJOINT_ISSUE19                                                 \
    { 64u << 10, 2u << 20, 4 }
/* A disjoint pool owning an OS provider; cfg NULL: the defaults. */
umf_memory_pool_handle_t bench_disjoint_pool(const bench_disjoint_cfg_t *cfg);
/* The same with the provider calls that map and unmap counted into
 * *counts (which must outlive the pool). */
umf_memory_pool_handle_t
bench_disjoint_pool_counted(const bench_disjoint_cfg_t *cfg,
                            bench_provider_counts_t *counts);

/* An OS provider with its default params. */
umf_memory_provider_handle_t bench_os_provider(void);

#endif /* UMF_BENCH_SETUP_H */
