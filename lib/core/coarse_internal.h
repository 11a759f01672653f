/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* coarse_internal.h -- page-granular allocator of address ranges (used by
 * the providers that carve their allocations out of a range given once:
 * a user's buffer, a mapped file or device; and for file offsets).
 *
 * A coarse instance manages "sources": address ranges that are either given
 * to it once (coarse_add_memory_fixed) or obtained on demand from the
 * provider through cb.alloc. Each source is tiled by blocks, free or
 * allocated. Allocation is first fit by size; freeing merges a block with
 * its free neighbours of the same source only, so every source can be given
 * back to cb.free exactly as cb.alloc returned it.
 *
 * Every block starts on a page boundary and its size is a multiple of the
 * page size. Coarse never reads or writes the memory it manages: all
 * metadata comes from the library's base allocator.
 *
 * All functions are thread-safe (one mutex per instance). Callbacks run with
 * that mutex held and must not call back into the same instance. Threads
 * that keep contending for the mutex get per-thread lanes that serve
 * their frees and repeated allocations without it (coarse_impl_internal.h);
 * a lane's cached blocks go back to the instance before an allocation
 * fails, so lanes never make an allocation fail. */
#ifndef UMF_COARSE_INTERNAL_H
#define UMF_COARSE_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>

#include <umf/base.h>

typedef struct coarse_t coarse_t;

typedef struct coarse_callbacks_t {
    /* Optional: obtain more memory from the source (e.g. file growth); NULL
     * for fixed-size sources. Called with the page-rounded size and the
     * effective alignment (at least the page size); the result must be
     * aligned to it. Each successful call makes a new source range. */
    umf_result_t (*alloc)(void *provider, size_t size, size_t alignment,
                          void **ptr);
    /* Optional: give a whole range obtained from cb.alloc back (only at
     * coarse_delete). Ranges added with coarse_add_memory_fixed stay the
     * caller's and are never passed here. */
    umf_result_t (*free)(void *provider, void *ptr, size_t size);
    /* Mandatory: keep per-range provider metadata in step with
     * coarse_split/coarse_merge. Called before coarse changes anything; a
     * failure leaves coarse unchanged. Not called when coarse splits or
     * merges free blocks internally. */
    umf_result_t (*split)(void *provider, void *ptr, size_t totalSize,
                          size_t firstSize);
    umf_result_t (*merge)(void *provider, void *lowPtr, void *highPtr,
                          size_t totalSize);
} coarse_callbacks_t;

typedef struct coarse_params_t {
    void *provider;        /* first argument of every callback */
    coarse_callbacks_t cb; /* split and merge are mandatory */
    size_t page_size;      /* power of two; granularity of every block */
    const char *name;      /* for log lines (copied; may be NULL) */
} coarse_params_t;

typedef struct coarse_stats_t {
    size_t alloc_size;      /* bytes of all source ranges */
    size_t used_size;       /* bytes of allocated blocks */
    size_t num_all_blocks;  /* free + allocated blocks */
    size_t num_free_blocks; /* free blocks */
} coarse_stats_t;

/* Create an instance. INVALID_ARGUMENT for NULL p/out, a missing split or
 * merge callback or a page size that is not a power of two;
 * OUT_OF_HOST_MEMORY when metadata cannot be allocated. */
umf_result_t coarse_new(const coarse_params_t *p, coarse_t **out);

/* Start the per-thread lanes now rather than at the first contention
 * (tests). INVALID_ARGUMENT for NULL, OUT_OF_HOST_MEMORY without memory
 * for them. */
umf_result_t coarse_start_lanes(coarse_t *c);

/* Destroy an instance (NULL is ignored). Every range obtained from cb.alloc
 * is given back through cb.free when it is set, whether or not blocks in it
 * are still allocated. */
void coarse_delete(coarse_t *c);

/* Add [addr, addr+size) as a new free source range. addr and size must be
 * multiples of the page size and the range must not overlap a range already
 * managed (INVALID_ARGUMENT otherwise). */
umf_result_t coarse_add_memory_fixed(coarse_t *c, void *addr, size_t size);

/* Allocate size bytes (rounded up to the page size). alignment 0 means the
 * page size; otherwise it must be a power of two and a multiple or divisor
 * of the page size (INVALID_ALIGNMENT), and sub-page values round up to the
 * page. Takes the smallest free block that fits after alignment, trying
 * cb.alloc when none does. INVALID_ARGUMENT for size 0 or NULL ptr;
 * OUT_OF_HOST_MEMORY when no space is left (or the request overflows). */
umf_result_t coarse_alloc(coarse_t *c, size_t size, size_t alignment,
                          void **ptr);

/* Free the allocated block starting at ptr. size 0 means the whole block;
 * any other size must equal the block size after page rounding.
 * INVALID_ARGUMENT for an unknown pointer, a block that is already free or
 * a size mismatch; nothing changes then. */
umf_result_t coarse_free(coarse_t *c, void *ptr, size_t size);

/* Split and merge callbacks for sources that keep no per-range state of
 * their own: they accept every request. */
umf_result_t coarse_split_nothing(void *provider, void *ptr, size_t totalSize,
                                  size_t firstSize);
umf_result_t coarse_merge_nothing(void *provider, void *lowPtr, void *highPtr,
                                  size_t totalSize);

/* Split the allocated block [ptr, ptr+totalSize) into two allocated blocks
 * at firstSize (a non-zero multiple of the page size below totalSize).
 * totalSize must equal the block size after page rounding. */
umf_result_t coarse_split(coarse_t *c, void *ptr, size_t totalSize,
                          size_t firstSize);

/* Merge two adjacent allocated blocks of the same source into one;
 * totalSize (page-rounded) must equal the sum of their sizes. */
umf_result_t coarse_merge(coarse_t *c, void *lowPtr, void *highPtr,
                          size_t totalSize);

/* The alloc, free, allocation_split and allocation_merge provider ops of
 * the providers that hand out memory from one coarse instance: their
 * private data must begin with that coarse_t *. */
umf_result_t coarse_provider_alloc(void *provider, size_t size,
                                   size_t alignment, void **resultPtr);
umf_result_t coarse_provider_free(void *provider, void *ptr, size_t size);
umf_result_t coarse_provider_split(void *provider, void *ptr, size_t totalSize,
                                   size_t firstSize);
umf_result_t coarse_provider_merge(void *provider, void *lowPtr, void *highPtr,
                                   size_t totalSize);

/* A consistent snapshot of the counters (all zero for NULL). */
coarse_stats_t coarse_get_stats(coarse_t *c);

/* The page size the instance was created with (0 for NULL). */
size_t coarse_get_page_size(coarse_t *c);

/* Does [ptr, ptr+size) lie inside one allocated block? (For providers that
 * want to validate purge or IPC ranges.) */
bool coarse_is_allocated_range(coarse_t *c, const void *ptr, size_t size);

/* fork(2) callbacks for the provider that owns c (lib/core/fork.c) */
void coarse_fork_prepare(coarse_t *c);
void coarse_fork_parent(coarse_t *c);
void coarse_fork_child(coarse_t *c);

#endif /* UMF_COARSE_INTERNAL_H */
