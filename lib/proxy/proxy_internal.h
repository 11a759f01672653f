/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_internal.h -- the parts of libumf_proxy.so.0 (umf_proxy(7)): the
 * options, the bootstrap arena, the next allocator in the chain, the map of
 * pool granules and the pool. proxy_malloc.c is the malloc-family front
 * that ties them. */
#ifndef UMF_PROXY_INTERNAL_H
#define UMF_PROXY_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>

/* ---- options (proxy_options.c) ---- */

typedef enum proxy_pool_kind_t {
    PROXY_POOL_DEFAULT, /* jemalloc, else scalable, else disjoint */
    PROXY_POOL_JEMALLOC,
    PROXY_POOL_SCALABLE,
    PROXY_POOL_DISJOINT,
} proxy_pool_kind_t;

typedef enum proxy_pages_t {
    PROXY_PAGES_PRIVATE,
    PROXY_PAGES_SHARED_FD,  /* page.disposition=shared-fd: a memfd */
    PROXY_PAGES_SHARED_SHM, /* page.disposition=shared-shm: a named object */
} proxy_pages_t;

typedef struct proxy_options_t {
    proxy_pool_kind_t pool;
    proxy_pages_t pages;
    size_t threshold; /* requests under it go to the next allocator */
} proxy_options_t;

/* Fill *opts from the UMF_PROXY value (NULL: defaults). Every option it
 * cannot use is reported once on stderr and ignored. Makes no allocation. */
void proxy_options_parse(const char *value, proxy_options_t *opts);

/* One line "libumf_proxy: ..." on stderr, written without allocating. */
void proxy_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- the bootstrap arena (proxy_bootstrap.c) ---- */

/* A block for an allocation made before the pool exists (or while the
 * pool's own code allocates); NULL when the arena is exhausted. Blocks are
 * never reused: the arena serves the start-up of the process only. */
void *proxy_boot_alloc(size_t size, size_t alignment);

/* Is p inside the arena? Decided by address range, so any pointer can be
 * asked. */
bool proxy_boot_owns(const void *p);

/* The size a block was allocated with. */
size_t proxy_boot_size(const void *p);

/* ---- the next allocator in the chain (proxy_next.c) ---- */

typedef struct proxy_next_t {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    void *(*memalign)(size_t, size_t);
    size_t (*malloc_usable_size)(void *);
} proxy_next_t;

/* Filled by proxy_next_load; all entries or none. */
extern proxy_next_t proxy_next;

/* Look the malloc family up after this library (dlsym(RTLD_NEXT)): the C
 * library's, or another replacement preloaded after this one. */
bool proxy_next_load(void);

/* ---- pool ownership by address (proxy_owner.c) ---- */

#define PROXY_OWNER_GRANULE_SHIFT 16         /* 64 KiB granules */
#define PROXY_OWNER_CHUNKS ((size_t)1 << 15) /* 4 GiB each: 47-bit space */

/* One bitmap per 4 GiB (NULL until a granule in it is marked). */
extern uint64_t *proxy_owner_chunks[PROXY_OWNER_CHUNKS];

/* Is p in a granule that one live allocation of the proxy's provider
 * covers whole? Then p can only be pool memory. False says nothing. */
static inline bool proxy_owner_has(const void *p) {
    uintptr_t a = (uintptr_t)p;
    uintptr_t c = a >> 32;
    if (c >= PROXY_OWNER_CHUNKS) {
        return false;
    }
    const uint64_t *m =
        __atomic_load_n(&proxy_owner_chunks[c], __ATOMIC_ACQUIRE);
    if (!m) {
        return false;
    }
    uintptr_t g = (a >> PROXY_OWNER_GRANULE_SHIFT) &
                  (((uintptr_t)1 << (32 - PROXY_OWNER_GRANULE_SHIFT)) - 1);
    return (__atomic_load_n(&m[g / 64], __ATOMIC_ACQUIRE) >> (g % 64)) & 1;
}

/* Mark the granules [base, base+size) covers whole; clear every granule it
 * touches. Neither calls malloc (a bitmap is mmapped on first use). */
void proxy_owner_mark(const void *base, size_t size);
void proxy_owner_clear(const void *base, size_t size);

/* A provider that passes every call to inner (which it owns) and keeps the
 * map; NULL on failure. */
umf_memory_provider_handle_t
proxy_owner_provider(umf_memory_provider_handle_t inner);

/* ---- the pool (proxy_pool.c) ---- */

typedef struct proxy_pool_t {
    umf_memory_pool_handle_t handle;
    const char *name; /* "jemalloc", "scalable" or "disjoint" */
    bool has_realloc; /* the pool reallocates in place */
    bool has_calloc;  /* the pool zeroes */
} proxy_pool_t;

/* Create the pool the options name over an OS memory provider; false (and
 * a line on stderr) when it cannot be made. */
bool proxy_pool_setup(const proxy_options_t *opts, proxy_pool_t *out);

/* At normal exit: the pool stays (see proxy_pool.c); a shared memory
 * object this process named is unlinked. */
void proxy_pool_at_exit(void);

/* ---- fork with shared pages (proxy_fork.c) ---- */

/* In a child of fork: replace every shared mapping of the file that holds
 * sentinel (a block of the pool) with a private copy, so the child's
 * writes no longer reach the parent. Allocates nothing. False when the
 * mappings could not all be copied. */
bool proxy_fork_privatize(const void *sentinel);

#endif /* UMF_PROXY_INTERNAL_H */
