/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_allocators.h -- one interface over the allocators the workloads of
 * issue 19 compare: glibc malloc, jemalloc (mallocx/dallocx with its thread
 * cache, as a program linking it gets), tbbmalloc (scalable_malloc) and a
 * libumf pool (umfPoolMalloc/umfPoolFree).  jemalloc and tbbmalloc are
 * loaded at run time (utils_dl_open), so neither is needed to build; `make
 * bench` sets the GLIBC_TUNABLES that dlopen'ing Debian's jemalloc needs.
 */
#ifndef UMF_BENCH_ALLOCATORS_H
#define UMF_BENCH_ALLOCATORS_H 1

#include <stddef.h>

#include <umf/memory_pool.h>

typedef struct bench_allocator_t {
    const char *name;
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx; /* the pool handle for a libumf pool */
} bench_allocator_t;

/* glibc malloc/free. */
void bench_allocator_glibc(bench_allocator_t *a);

/* jemalloc and tbbmalloc: 0, or -1 with *why saying what is missing. */
int bench_allocator_jemalloc(bench_allocator_t *a, const char **why);
int bench_allocator_tbbmalloc(bench_allocator_t *a, const char **why);

/* A libumf pool (not owned). */
void bench_allocator_pool(bench_allocator_t *a, const char *name,
                          umf_memory_pool_handle_t pool);

#endif /* UMF_BENCH_ALLOCATORS_H */
