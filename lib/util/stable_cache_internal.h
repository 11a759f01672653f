/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* stable_cache_internal.h -- a cache of fixed-size objects whose memory
 * keeps its type: a freed object is only ever handed out again as an object
 * of the same cache, and no chunk is unmapped before stable_cache_destroy.
 *
 * That is what lock-free readers need: a reader that follows a pointer to
 * an object freed meanwhile reads mapped memory whose fields are still
 * written only with atomic stores, and detects the change by a version
 * counter the object carries (lib/core/tracker_tree.c). Freed objects go to
 * one of a few striped free lists picked by the calling thread, so threads
 * that allocate and free at once rarely share a lock. */
#ifndef UMF_STABLE_CACHE_INTERNAL_H
#define UMF_STABLE_CACHE_INTERNAL_H 1

#include <pthread.h>
#include <stddef.h>

#define STABLE_CACHE_STRIPES 8

typedef struct stable_cache_stripe_t {
    pthread_mutex_t lock;
    void *free; /* linked through each object's link word */
} __attribute__((aligned(64))) stable_cache_stripe_t;

typedef struct stable_cache_t {
    size_t obj_size;    /* a multiple of 64: objects are cache-line aligned */
    size_t link_offset; /* the word of a free object that holds the link */
    pthread_mutex_t chunks_lock;
    void *chunks; /* every mapped chunk, for stable_cache_destroy */
    stable_cache_stripe_t stripes[STABLE_CACHE_STRIPES];
} stable_cache_t;

/* A static initialiser: obj_size a multiple of 64, link_offset the
 * offset of a pointer-sized field that lock-free readers never read (it
 * holds the free list link). */
#define STABLE_CACHE_INITIALIZER(obj_size, link_offset)                       \
    {                                                                          \
        (obj_size), (link_offset), PTHREAD_MUTEX_INITIALIZER, NULL, {          \
            [0 ... STABLE_CACHE_STRIPES - 1] = {PTHREAD_MUTEX_INITIALIZER,     \
                                                NULL}                          \
        }                                                                      \
    }

/* A zeroed object on its first use, the previous occupant's contents
 * after; NULL when no memory can be mapped. */
void *stable_cache_alloc(stable_cache_t *c);

void stable_cache_free(stable_cache_t *c, void *obj);

/* Unmaps every chunk: no reader may hold an object any more. The cache can
 * be used again afterwards. */
void stable_cache_destroy(stable_cache_t *c);

#endif /* UMF_STABLE_CACHE_INTERNAL_H */
