/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc_internal.h -- what the files of the jemalloc pool share:
 * the entry points of jemalloc (looked up at run time), the pool's
 * structure, the helpers that the allocation and free paths inline, and
 * the functions each file offers the others. Who owns what:
 *   pool_jemalloc.c         finding jemalloc, the pool ops and their table
 *                           (the comment at its top describes the design)
 *   pool_jemalloc_hooks.c   the extent hooks, the records of provider
 *                           allocations when the pool emulates split and
 *                           merge, arena creation
 *   pool_jemalloc_tcache.c  the per-(thread, pool) explicit tcaches: the
 *                           threads' tables, the pools' fast slots, a
 *                           thread's arena
 *
 * Functions that one file calls in another are named je_* and hidden;
 * what the malloc/free fast path uses is static inline here, so that path
 * makes no call across files. */
#ifndef UMF_POOL_JEMALLOC_INTERNAL_H
#define UMF_POOL_JEMALLOC_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jemalloc/jemalloc.h>

#include <umf/memory_provider.h>

#include "util/utils_internal.h"

/* Declarations shared by the pool's files: hidden, so that a variable is
 * reached PC-relative and a call goes direct, as when each was static. */
#define JE_HIDDEN __attribute__((visibility("hidden")))
/* Thread-local variables also keep the local-dynamic model they had when
 * static: GCC gives an extern __thread variable the general-dynamic model
 * even when it is hidden. */
#define JE_TLS_LOCAL                                                           \
    __attribute__((visibility("hidden"), tls_model("local-dynamic")))

/* Pools that can exist at once (jemalloc allows about 4095 arenas). */
#define JE_MAX_POOLS 4096u
/* Largest provider request jemalloc makes to grow an arena (bigger
 * allocations still get what they need). */
#define JE_RETAIN_GROW_LIMIT ((size_t)16 << 20)
/* Arenas one pool may have (see "Arenas" in pool_jemalloc.c). */
#define JE_MAX_ARENAS 16u
/* tcache id meaning "this (thread, pool) has no explicit tcache" */
#define JE_NO_TCACHE UINT32_MAX
/* Slots of a pool's table of its threads' flags (see je_flags). */
#define JE_FAST_SLOTS_LOG2 6
#define JE_FAST_SLOTS (1u << JE_FAST_SLOTS_LOG2)

/* ---- jemalloc, looked up at run time ---- */

typedef struct je_api_t {
    void *(*mallocx)(size_t size, int flags);
    void *(*rallocx)(void *ptr, size_t size, int flags);
    void (*dallocx)(void *ptr, int flags);
    size_t (*sallocx)(const void *ptr, int flags);
    int (*mallctl)(const char *name, void *oldp, size_t *oldlenp, void *newp,
                   size_t newlen);
    int (*mallctlnametomib)(const char *name, size_t *mibp, size_t *miblenp);
} je_api_t;

/* pool_jemalloc.c; set once by je_load, read-only afterwards */
extern je_api_t je JE_HIDDEN;

/* ---- the pool ---- */

/* One provider allocation, when the pool emulates split and merge. */
typedef struct je_block_t {
    uintptr_t base;
    size_t size;
    size_t held; /* bytes of it that jemalloc still holds */
} je_block_t;

/* A thread's mallocx flags for one pool, found by the thread's key. */
typedef struct je_fast_slot_t {
    uintptr_t thread; /* the owner's UTILS_THREAD_KEY(), or 0 when free */
    int flags;
} je_fast_slot_t;

typedef struct je_pool_t {
    extent_hooks_t hooks; /* first: a hook's first argument is the pool */
    umf_memory_provider_handle_t provider;
    unsigned arenas[JE_MAX_ARENAS]; /* [0] is made with the pool */
    unsigned narenas;               /* atomic; grows under je_tc_lock */
    unsigned max_arenas;            /* one per CPU, at most JE_MAX_ARENAS */
    unsigned nthreads;  /* threads that came to the pool; under je_tc_lock */
    unsigned slot;      /* index into every thread's tcache table */
    uint64_t gen;       /* unique, never 0: tells a slot's owners apart */
    int split;          /* je_split_t; atomic, set once under blocks_lock */
    bool merge_refused; /* atomic: the provider's merge is NOT_SUPPORTED */
    /* provider allocations, sorted by base; not when split is PROVIDER */
    pthread_mutex_t blocks_lock;
    je_block_t *blocks;
    size_t nblocks, blocks_cap;
    char pad[64]; /* the fields above change; fast[] is read on every call */
    /* The first thread whose key hashes to a slot owns it until it exits
     * or the pool goes; another thread with the same hash uses its thread
     * table. Written under je_tc_lock by the owning thread only; the table
     * goes with the pool. */
    je_fast_slot_t fast[JE_FAST_SLOTS];
} je_pool_t;

/* Who splits extents (see "Split/merge" in pool_jemalloc.c). */
typedef enum je_split_t {
    JE_SPLIT_UNKNOWN,  /* no split yet */
    JE_SPLIT_PROVIDER, /* the provider: each extent is one allocation */
    JE_SPLIT_EMULATED, /* the pool, inside the blocks it records */
} je_split_t;

static inline int je_split_mode(je_pool_t *p) {
    return __atomic_load_n(&p->split, __ATOMIC_ACQUIRE);
}

/* What the last failed provider call inside a hook returned
 * (pool_jemalloc_hooks.c); the allocation functions report it. */
extern __thread umf_result_t je_hook_error JE_TLS_LOCAL;

/* ---- pool_jemalloc_hooks.c: extent hooks, arenas ---- */

/* The hooks every arena of a pool is made on (copied into the pool). */
extern const extent_hooks_t je_hooks JE_HIDDEN;

/* Make an arena on p's hooks into *arena; 0 or jemalloc's error. */
JE_HIDDEN int je_arena_create(je_pool_t *p, unsigned *arena);

/* ---- pool_jemalloc_tcache.c: per-(thread, pool) explicit tcaches ---- */

/* Create the thread-exit key, once a process (before the first pool). */
JE_HIDDEN void je_tc_once(void);

/* Give p its slot in every thread's table and its gen. False when
 * JE_MAX_POOLS pools exist. */
JE_HIDDEN bool je_tc_pool_add(je_pool_t *p);

/* Destroy every thread's tcache of p and give its slot back. */
JE_HIDDEN void je_tc_pool_remove(je_pool_t *p);

/* The slow path of je_flags (pool_jemalloc_tcache.c). */
JE_HIDDEN __attribute__((noinline)) int je_flags_slow(je_pool_t *p,
                                                      uintptr_t me);

static inline je_fast_slot_t *je_fast_slot(je_pool_t *p, uintptr_t thread) {
    uint64_t h = (uint64_t)thread * 0x9e3779b97f4a7c15ull;
    return &p->fast[h >> (64 - JE_FAST_SLOTS_LOG2)];
}

/* The calling thread's fast slot of p, or NULL when it owns none. */
static inline je_fast_slot_t *je_fast_mine(je_pool_t *p) {
    uintptr_t me = UTILS_THREAD_KEY();
    je_fast_slot_t *f = je_fast_slot(p, me);
    return __atomic_load_n(&f->thread, __ATOMIC_RELAXED) == me ? f : NULL;
}

/* mallocx flags for pool p on this thread: its arena and its tcache. No
 * TLS access when the thread owns its fast slot. */
static inline int je_flags(je_pool_t *p) {
    je_fast_slot_t *f = je_fast_mine(p);
    if (UMF_LIKELY(f != NULL)) {
        return f->flags;
    }
    return je_flags_slow(p, UTILS_THREAD_KEY());
}

#endif /* UMF_POOL_JEMALLOC_INTERNAL_H */
