/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc_hooks.c -- the jemalloc pool's extent hooks, which turn
 * jemalloc's extent calls into calls of the pool's provider; the records of
 * provider allocations kept when the provider cannot split and merge (see
 * "Split/merge" at the top of pool_jemalloc.c); and arena creation on the
 * hooks. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <umf/memory_provider.h>

#include "pools/pool_jemalloc_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"

/* The layout of jemalloc 5.3's arena_config_t, the argument of
 * experimental.arenas_create_ext. */
typedef struct je_arena_config_t {
    extent_hooks_t *extent_hooks;
    bool metadata_use_hooks;
} je_arena_config_t;

/* What the last failed provider call inside a hook returned. */
__thread umf_result_t je_hook_error JE_TLS_LOCAL;

static inline je_pool_t *je_pool_of(extent_hooks_t *h) {
    return (je_pool_t *)h; /* hooks is the first member */
}

static void je_note_provider_error(umf_result_t r) {
    if (r != UMF_RESULT_SUCCESS && r != UMF_RESULT_ERROR_NOT_SUPPORTED) {
        je_hook_error = r;
    }
}

/* Index of the block that contains addr, or -1. Caller holds blocks_lock. */
static long je_block_find(je_pool_t *p, uintptr_t addr) {
    size_t lo = 0, hi = p->nblocks;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->blocks[mid].base <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return -1;
    }
    je_block_t *b = &p->blocks[lo - 1];
    return addr - b->base < b->size ? (long)(lo - 1) : -1;
}

static bool je_block_insert(je_pool_t *p, uintptr_t base, size_t size) {
    pthread_mutex_lock(&p->blocks_lock);
    if (je_split_mode(p) == JE_SPLIT_PROVIDER) {
        pthread_mutex_unlock(&p->blocks_lock); /* nothing to record */
        return true;
    }
    if (p->nblocks == p->blocks_cap) {
        size_t cap = p->blocks_cap ? p->blocks_cap * 2 : 16;
        je_block_t *nb = umf_ba_calloc(cap, sizeof(*nb));
        if (!nb) {
            pthread_mutex_unlock(&p->blocks_lock);
            return false;
        }
        if (p->nblocks) {
            memcpy(nb, p->blocks, p->nblocks * sizeof(*nb));
        }
        umf_ba_free(p->blocks);
        p->blocks = nb;
        p->blocks_cap = cap;
    }
    size_t i = p->nblocks;
    while (i > 0 && p->blocks[i - 1].base > base) {
        p->blocks[i] = p->blocks[i - 1];
        i--;
    }
    p->blocks[i] = (je_block_t){.base = base, .size = size, .held = size};
    p->nblocks++;
    pthread_mutex_unlock(&p->blocks_lock);
    return true;
}

/* jemalloc gives back [addr, addr+size) of a recorded block. Returns false
 * when done, true when the range must stay with jemalloc (provider free
 * failed). Caller holds blocks_lock. */
static bool je_block_release(je_pool_t *p, void *addr, size_t size) {
    long i = je_block_find(p, (uintptr_t)addr);
    if (i < 0 || p->blocks[i].held < size) {
        LOG_ERR("extent %p (%zu bytes) is not from this pool's provider", addr,
                size);
        return true;
    }
    je_block_t *b = &p->blocks[i];
    b->held -= size;
    if (b->held > 0) {
        return false;
    }
    umf_result_t r =
        umfMemoryProviderFree(p->provider, (void *)b->base, b->size);
    if (r != UMF_RESULT_SUCCESS) {
        b->held += size;
        LOG_ERR("provider free of %p (%zu bytes) failed (result %d)",
                (void *)b->base, b->size, (int)r);
        return true;
    }
    memmove(b, b + 1, (p->nblocks - (size_t)i - 1) * sizeof(*b));
    p->nblocks--;
    return false;
}

/* jemalloc gives an extent back. True when it must stay with jemalloc. */
static bool je_extent_free(je_pool_t *p, void *addr, size_t size) {
    if (je_split_mode(p) != JE_SPLIT_PROVIDER) {
        pthread_mutex_lock(&p->blocks_lock);
        if (je_split_mode(p) != JE_SPLIT_PROVIDER) { /* still, under lock */
            bool keep = je_block_release(p, addr, size);
            pthread_mutex_unlock(&p->blocks_lock);
            return keep;
        }
        pthread_mutex_unlock(&p->blocks_lock);
    }
    umf_result_t r = umfMemoryProviderFree(p->provider, addr, size);
    if (r != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("provider free of %p (%zu bytes) failed (result %d); "
                  "jemalloc keeps the extent",
                  addr, size, (int)r);
        return true;
    }
    return false;
}

/* ---- extent hooks ---- */

static void *je_hook_alloc(extent_hooks_t *h, void *new_addr, size_t size,
                           size_t alignment, bool *zero, bool *commit,
                           unsigned arena_ind) {
    je_pool_t *p = je_pool_of(h);
    if (new_addr) {
        return NULL; /* providers cannot place memory at an address */
    }
    void *ptr = NULL;
    umf_result_t r = umfMemoryProviderAlloc(p->provider, size, alignment, &ptr);
    if (r != UMF_RESULT_SUCCESS || !ptr) {
        je_note_provider_error(
            r == UMF_RESULT_SUCCESS ? UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY : r);
        LOG_DEBUG("provider alloc of %zu bytes (alignment %zu) for arena %u "
                  "failed (result %d)",
                  size, alignment, arena_ind, (int)r);
        return NULL;
    }
    if (alignment && ((uintptr_t)ptr & (alignment - 1))) {
        LOG_ERR("provider returned %p, not aligned to %zu", ptr, alignment);
        umfMemoryProviderFree(p->provider, ptr, size);
        return NULL;
    }
    if (je_split_mode(p) != JE_SPLIT_PROVIDER &&
        !je_block_insert(p, (uintptr_t)ptr, size)) {
        umfMemoryProviderFree(p->provider, ptr, size);
        je_note_provider_error(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        return NULL;
    }
    if (*zero) {
        memset(ptr, 0, size); /* providers give no zero guarantee */
    }
    *commit = true;
    je_hook_error = UMF_RESULT_SUCCESS; /* an earlier failure is forgotten */
    return ptr;
}

static bool je_hook_dalloc(extent_hooks_t *h, void *addr, size_t size,
                           bool committed, unsigned arena_ind) {
    return je_extent_free(je_pool_of(h), addr, size);
}

static void je_hook_destroy(extent_hooks_t *h, void *addr, size_t size,
                            bool committed, unsigned arena_ind) {
    if (je_extent_free(je_pool_of(h), addr, size)) {
        LOG_ERR("extent %p (%zu bytes) of arena %u leaked", addr, size,
                arena_ind);
    }
}

/* Provider memory is always committed. */
static bool je_hook_commit(extent_hooks_t *h, void *addr, size_t size,
                           size_t offset, size_t length, unsigned arena_ind) {
    return false;
}

/* Opt out: UMF has no decommit; jemalloc purges instead. */
static bool je_hook_decommit(extent_hooks_t *h, void *addr, size_t size,
                             size_t offset, size_t length, unsigned arena_ind) {
    return true;
}

/* jemalloc gives back the pages [addr+offset, +length): true when the
 * provider refused (jemalloc then keeps them as they are). */
static bool je_purge(extent_hooks_t *h, void *addr, size_t offset,
                     size_t length, bool force) {
    je_pool_t *p = je_pool_of(h);
    void *at = (char *)addr + offset;
    umf_result_t r = force
                         ? umfMemoryProviderPurgeForce(p->provider, at, length)
                         : umfMemoryProviderPurgeLazy(p->provider, at, length);
    return r != UMF_RESULT_SUCCESS;
}

static bool je_hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size,
                               size_t offset, size_t length,
                               unsigned arena_ind) {
    return je_purge(h, addr, offset, length, false);
}

static bool je_hook_purge_forced(extent_hooks_t *h, void *addr, size_t size,
                                 size_t offset, size_t length,
                                 unsigned arena_ind) {
    return je_purge(h, addr, offset, length, true);
}

/* The pool's first split: the provider's answer sets the split mode (any
 * failure means emulation, which is right for every provider). True when
 * this split was the first (and so is done). */
static bool je_split_first(je_pool_t *p, void *addr, size_t size,
                           size_t size_a) {
    pthread_mutex_lock(&p->blocks_lock);
    bool first = je_split_mode(p) == JE_SPLIT_UNKNOWN;
    if (first) {
        /* the extent is a whole provider allocation: no split before */
        bool ok = umfMemoryProviderAllocationSplit(
                      p->provider, addr, size, size_a) == UMF_RESULT_SUCCESS;
        if (ok) {
            p->nblocks = 0; /* each extent is one provider allocation */
        }
        __atomic_store_n(&p->split, ok ? JE_SPLIT_PROVIDER : JE_SPLIT_EMULATED,
                         __ATOMIC_RELEASE);
        LOG_DEBUG("provider %s split", ok ? "does" : "does not");
    }
    pthread_mutex_unlock(&p->blocks_lock);
    return first;
}

static bool je_hook_split(extent_hooks_t *h, void *addr, size_t size,
                          size_t size_a, size_t size_b, bool committed,
                          unsigned arena_ind) {
    je_pool_t *p = je_pool_of(h);
    if (je_split_mode(p) == JE_SPLIT_UNKNOWN &&
        je_split_first(p, addr, size, size_a)) {
        return false;
    }
    if (je_split_mode(p) == JE_SPLIT_EMULATED) {
        return false; /* one provider block holds both halves */
    }
    return umfMemoryProviderAllocationSplit(p->provider, addr, size, size_a) !=
           UMF_RESULT_SUCCESS;
}

static bool je_hook_merge(extent_hooks_t *h, void *addr_a, size_t size_a,
                          void *addr_b, size_t size_b, bool committed,
                          unsigned arena_ind) {
    je_pool_t *p = je_pool_of(h);
    if (je_split_mode(p) != JE_SPLIT_PROVIDER) {
        /* only inside one recorded block (none before the first split) */
        pthread_mutex_lock(&p->blocks_lock);
        long a = je_block_find(p, (uintptr_t)addr_a);
        long b = je_block_find(p, (uintptr_t)addr_b);
        pthread_mutex_unlock(&p->blocks_lock);
        return a < 0 || a != b;
    }
    if (__atomic_load_n(&p->merge_refused, __ATOMIC_RELAXED)) {
        return true;
    }
    umf_result_t r = umfMemoryProviderAllocationMerge(p->provider, addr_a,
                                                      addr_b, size_a + size_b);
    if (r == UMF_RESULT_ERROR_NOT_SUPPORTED) {
        __atomic_store_n(&p->merge_refused, true, __ATOMIC_RELAXED);
    }
    return r != UMF_RESULT_SUCCESS;
}

const extent_hooks_t je_hooks = {
    .alloc = je_hook_alloc,
    .dalloc = je_hook_dalloc,
    .destroy = je_hook_destroy,
    .commit = je_hook_commit,
    .decommit = je_hook_decommit,
    .purge_lazy = je_hook_purge_lazy,
    .purge_forced = je_hook_purge_forced,
    .split = je_hook_split,
    .merge = je_hook_merge,
};

/* ---- arenas ---- */

int je_arena_create(je_pool_t *p, unsigned *arena) {
    je_arena_config_t cfg = {.extent_hooks = &p->hooks,
                             .metadata_use_hooks = false};
    size_t sz = sizeof(*arena);
    int rc = je.mallctl("experimental.arenas_create_ext", arena, &sz, &cfg,
                        sizeof(cfg));
    if (rc != 0) {
        return rc;
    }
    /* jemalloc grows its retained memory by ever larger provider requests
     * (2 MiB, 2.5 MiB, ... without limit); a provider of bounded capacity
     * (fixed, file, devdax, device memory) would run out early */
    char name[64];
    size_t limit = JE_RETAIN_GROW_LIMIT;
    snprintf(name, sizeof(name), "arena.%u.retain_grow_limit", *arena);
    rc = je.mallctl(name, NULL, NULL, &limit, sizeof(limit));
    if (rc != 0) {
        LOG_DEBUG("%s: %s", name, strerror(rc));
    }
    return 0;
}
