/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bump_arena_internal.h -- cache-line-aligned metadata carved, in order, out
 * of chunks that all live until the arena is destroyed.
 *
 * Why: metadata that one thread uses together should lie together. Blocks
 * from the shared base allocator interleave the blocks of threads that
 * allocate at the same time; a cursor of its own per thread (or per heap)
 * keeps each one's blocks contiguous.
 *
 * Blocks are never freed one by one: the caller recycles them (for
 * example on a free list of its own) and the arena frees every chunk at
 * destroy. The caller serialises every call on one arena. */
#ifndef UMF_BUMP_ARENA_INTERNAL_H
#define UMF_BUMP_ARENA_INTERNAL_H 1

#include <stddef.h>

/* Blocks up to this size come from the arena; larger requests fail. */
#define UMF_BUMP_ARENA_MAX_BLOCK ((size_t)4096)

/* Where one user of the arena carves its next block from. */
typedef struct umf_bump_cursor_t {
    char *next;
    size_t left;
} umf_bump_cursor_t;

typedef struct umf_bump_arena_t {
    void *chunks;             /* every chunk, linked through its first word */
    umf_bump_cursor_t spare;  /* what a released cursor left unused */
} umf_bump_arena_t;

/* A zeroed, 64-byte aligned block of size bytes (rounded up to 64) from the
 * cursor, which takes a new chunk (or the arena's spare) when it runs out;
 * NULL when size is 0 or above UMF_BUMP_ARENA_MAX_BLOCK, or out of memory. */
void *umf_bump_alloc(umf_bump_arena_t *arena, umf_bump_cursor_t *cursor,
                     size_t size);

/* The cursor's owner is going away: what it has left becomes the arena's
 * spare when that is larger than the spare the arena has. */
void umf_bump_cursor_release(umf_bump_arena_t *arena,
                             umf_bump_cursor_t *cursor);

/* Frees every chunk; every block of the arena is gone with them. */
void umf_bump_arena_destroy(umf_bump_arena_t *arena);

#endif /* UMF_BUMP_ARENA_INTERNAL_H */
