/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* base_alloc_internal.h -- the library's own metadata allocator (mmap-backed,
 * never libc malloc, so an LD_PRELOAD malloc replacement cannot recurse) */
#ifndef UMF_BASE_ALLOC_INTERNAL_H
#define UMF_BASE_ALLOC_INTERNAL_H 1

#include <stddef.h>

/* Allocate size bytes, 16-byte aligned; NULL on failure or size 0. */
void *umf_ba_alloc(size_t size);

/* Allocate zeroed memory for num*size bytes (overflow-checked). */
void *umf_ba_calloc(size_t num, size_t size);

/* Free memory from umf_ba_alloc/umf_ba_calloc; NULL is ignored. */
void umf_ba_free(void *ptr);

/* Duplicate a string (NULL when s is NULL or on failure). */
char *umf_ba_strdup(const char *s);

/* Number of live umf_ba allocations (for leak checks in tests). */
size_t umf_ba_live_count(void);

/* fork(2): hold every size class's lock across fork (lib/core/fork.c) */
void umf_ba_fork_prepare(void *arg);
void umf_ba_fork_parent(void *arg);
void umf_ba_fork_child(void *arg);

#endif /* UMF_BASE_ALLOC_INTERNAL_H */
