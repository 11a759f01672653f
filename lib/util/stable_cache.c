/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* stable_cache.c -- type-stable object cache (see stable_cache_internal.h)
 */
#include <string.h>
#include <sys/mman.h>

#include "util/stable_cache_internal.h"
#include "util/utils_internal.h"

/* 64 KiB chunks: a page table's worth of objects per mmap call. */
#define STABLE_CHUNK_SIZE ((size_t)64 << 10)

/* The first cache line of a chunk links the chunks; objects follow. */
typedef struct stable_chunk_t {
    struct stable_chunk_t *next;
} stable_chunk_t;

static stable_cache_stripe_t *my_stripe(stable_cache_t *c) {
    /* threads' keys are their TLS blocks, megabytes apart: hash them */
    uint64_t h = (uint64_t)UTILS_THREAD_KEY() * 0x9e3779b97f4a7c15ull;
    return &c->stripes[h >> 61];
}

static void **link_of(stable_cache_t *c, void *obj) {
    return (void **)((char *)obj + c->link_offset);
}

/* Map a chunk and put all its objects but one on stripe s (locked). */
static void *refill(stable_cache_t *c, stable_cache_stripe_t *s) {
    void *m = mmap(NULL, STABLE_CHUNK_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return NULL;
    }
    stable_chunk_t *chunk = m;
    pthread_mutex_lock(&c->chunks_lock);
    chunk->next = c->chunks;
    c->chunks = chunk;
    pthread_mutex_unlock(&c->chunks_lock);
    char *first = (char *)m + 64;
    size_t n = (STABLE_CHUNK_SIZE - 64) / c->obj_size;
    for (size_t i = n - 1; i > 0; i--) {
        void *obj = first + i * c->obj_size;
        utils_atomic_store_relaxed(link_of(c, obj), s->free);
        s->free = obj;
    }
    return first;
}

void *stable_cache_alloc(stable_cache_t *c) {
    stable_cache_stripe_t *s = my_stripe(c);
    pthread_mutex_lock(&s->lock);
    void *obj = s->free;
    if (obj) {
        s->free = utils_atomic_load_relaxed(link_of(c, obj));
    } else {
        obj = refill(c, s);
    }
    pthread_mutex_unlock(&s->lock);
    return obj;
}

void stable_cache_free(stable_cache_t *c, void *obj) {
    if (!obj) {
        return;
    }
    stable_cache_stripe_t *s = my_stripe(c);
    pthread_mutex_lock(&s->lock);
    utils_atomic_store_relaxed(link_of(c, obj), s->free);
    s->free = obj;
    pthread_mutex_unlock(&s->lock);
}

void stable_cache_destroy(stable_cache_t *c) {
    stable_chunk_t *chunk = c->chunks;
    while (chunk) {
        stable_chunk_t *next = chunk->next;
        munmap(chunk, STABLE_CHUNK_SIZE);
        chunk = next;
    }
    c->chunks = NULL;
    for (int i = 0; i < STABLE_CACHE_STRIPES; i++) {
        c->stripes[i].free = NULL;
    }
}
