/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bump_arena.c -- see bump_arena_internal.h */
#include <stdint.h>
#include <string.h>

#include "util/base_alloc_internal.h"
#include "util/bump_arena_internal.h"
#include "util/utils_internal.h"

#define BUMP_LINE ((size_t)64)
/* 16 blocks of the largest size; one chunk per user that allocates */
#define BUMP_CHUNK_SIZE ((size_t)64 << 10)

static bool bump_refill(umf_bump_arena_t *arena, umf_bump_cursor_t *cursor,
                        size_t size) {
    if (arena->spare.left >= size) {
        *cursor = arena->spare;
        arena->spare = (umf_bump_cursor_t){NULL, 0};
        return true;
    }
    void **chunk = umf_ba_alloc(BUMP_CHUNK_SIZE);
    if (!chunk) {
        return false;
    }
    *chunk = arena->chunks;
    arena->chunks = chunk;
    char *first = (char *)utils_align_ptr_up((uintptr_t)(chunk + 1), BUMP_LINE);
    /* the old cursor's tail (under one block) is given up */
    cursor->next = first;
    cursor->left = BUMP_CHUNK_SIZE - (size_t)(first - (char *)chunk);
    return true;
}

void *umf_bump_alloc(umf_bump_arena_t *arena, umf_bump_cursor_t *cursor,
                     size_t size) {
    if (size == 0 || size > UMF_BUMP_ARENA_MAX_BLOCK) {
        return NULL;
    }
    size = (size + BUMP_LINE - 1) & ~(BUMP_LINE - 1);
    if (cursor->left < size && !bump_refill(arena, cursor, size)) {
        return NULL;
    }
    void *block = cursor->next;
    cursor->next += size;
    cursor->left -= size;
    memset(block, 0, size);
    return block;
}

void umf_bump_cursor_release(umf_bump_arena_t *arena,
                             umf_bump_cursor_t *cursor) {
    if (cursor->left > arena->spare.left) {
        arena->spare = *cursor;
    }
    *cursor = (umf_bump_cursor_t){NULL, 0};
}

void umf_bump_arena_destroy(umf_bump_arena_t *arena) {
    void **chunk = arena->chunks;
    while (chunk) {
        void **next = *chunk;
        umf_ba_free(chunk);
        chunk = next;
    }
    *arena = (umf_bump_arena_t){0};
}
