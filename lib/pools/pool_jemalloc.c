/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc.c -- the jemalloc pool: jemalloc arenas fed by the pool's
 * provider through extent hooks.
 *
 * How jemalloc is found (see umfJemallocPoolOps(3)). Debian's libjemalloc.so.2
 * exports an unprefixed malloc and uses initial-exec TLS, so:
 *  - libumf.so.0 does not link it (a library that did would either replace
 *    the process's malloc or make dlopen("libumf.so.0") fail with "cannot
 *    allocate memory in static TLS block");
 *  - the installed libumf.so is a linker script that adds
 *    libumf_jemalloc.so.0, a tiny companion library that depends on
 *    libjemalloc.so.2, to every -lumf link (lib/link/), so a program linked
 *    with -lumf loads jemalloc at start-up, after libc in symbol order:
 *    malloc stays glibc's;
 *  - the first jemalloc pool looks jemalloc up with
 *    dlopen("libjemalloc.so.2", RTLD_NOLOAD) and dlsym; when it is not loaded
 *    it tries a plain RTLD_LOCAL dlopen (which works when
 *    GLIBC_TUNABLES=glibc.rtld.optional_static_tls allows it), and otherwise
 *    pool creation fails with UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE and a log
 *    line that says how to enable the pool. jemalloc is never unloaded.
 *
 * Arenas: the reference makes one arena per pool, and its threads then
 * fight over that arena's locks whenever their thread caches fill or flush,
 * and on every large allocation. Here a pool starts with one arena and the
 * threads that come to it later get arenas of their own, round robin, up
 * to one per CPU (at most JE_MAX_ARENAS): a single-threaded user (or one
 * that makes thousands of pools) still has one arena a pool, and jemalloc's
 * limit of about 4095 arenas a process is not reached sooner. All arenas of
 * a pool share its hooks, so the provider sees the same calls whichever
 * arena makes them. When an arena cannot be made, the thread shares one.
 *
 * Isolation: every call names one of the pool's arenas and an explicit tcache that
 * belongs to one (thread, pool) pair, so memory of two pools never mixes in a
 * thread cache. The tcaches are destroyed at pool destroy (every thread's)
 * and at thread exit (the thread's own), before the arena is destroyed. A
 * call finds its flags in the pool's table keyed by the thread pointer (see
 * je_flags), not in thread-local storage.
 *
 * Metadata: the arena is made with experimental.arenas_create_ext and
 * metadata_use_hooks=false (jemalloc 5.3), so jemalloc's own metadata comes
 * from its base allocator, never from the provider; the pool's records live
 * in umf_ba memory.
 *
 * Split/merge: creation makes no provider call; the first split is tried
 * on the provider. If it splits, the hooks map to the provider calls and
 * every extent is one provider allocation. If not, the pool keeps its list
 * of provider allocations: splits and merges inside one succeed without the
 * provider, which gets it back when jemalloc has returned all of its bytes.
 * Before the first split every extent is a whole allocation, listed (right
 * for either answer), and merges are refused. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include <umf/memory_provider.h>
#include <umf/pools/pool_jemalloc.h>

#include "core/fork_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/tsan_pages_internal.h"
#include "util/utils_internal.h"

/* In a TSan build, blocks are handed over page by page (see
 * util/tsan_pages_internal.h). */
#ifdef UMF_TSAN_POOL
#define POOL_TSAN_ACQUIRE(p) utils_tsan_pages((p), je.sallocx((p), 0), false)
#define POOL_TSAN_RELEASE(p) utils_tsan_pages((p), je.sallocx((p), 0), true)
#else
#define POOL_TSAN_ACQUIRE(p) ((void)0)
#define POOL_TSAN_RELEASE(p) ((void)0)
#endif

#define JE_SONAME "libjemalloc.so.2"
#define JE_HOW_TO_ENABLE                                                       \
    "relink the program with -lumf (the installed libumf.so adds "             \
    "libumf_jemalloc.so.0, which loads jemalloc at start-up; a program "       \
    "linked with libumf.so.0 alone lacks it), or start it with "               \
    "LD_PRELOAD=libumf_jemalloc.so.0, or with "                                \
    "GLIBC_TUNABLES=glibc.rtld.optional_static_tls=4096 so that libumf can "   \
    "dlopen " JE_SONAME

/* Pools that can exist at once (jemalloc allows about 4095 arenas). */
#define JE_MAX_POOLS 4096u
/* Largest provider request jemalloc makes to grow an arena (bigger
 * allocations still get what they need). */
#define JE_RETAIN_GROW_LIMIT ((size_t)16 << 20)
/* Arenas one pool may have (see "Arenas" above). */
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

static je_api_t je;
static bool je_loaded; /* atomic; je is read-only once it is set */
static pthread_mutex_t je_load_lock = PTHREAD_MUTEX_INITIALIZER;
static bool je_warned; /* the first failure is FATAL (visible), later ERR */

/* The layout of jemalloc 5.3's arena_config_t, the argument of
 * experimental.arenas_create_ext. */
typedef struct je_arena_config_t {
    extent_hooks_t *extent_hooks;
    bool metadata_use_hooks;
} je_arena_config_t;

static void je_log_unavailable(const char *why) {
    bool first = !__atomic_exchange_n(&je_warned, true, __ATOMIC_RELAXED);
    utils_log(first ? LOG_FATAL_LEVEL : LOG_ERROR_LEVEL, false, "je_load",
              "the jemalloc pool is unavailable: %s; to enable it, %s", why,
              JE_HOW_TO_ENABLE);
}

/* Find jemalloc in the process (or dlopen it) and fill je. */
static umf_result_t je_load(void) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&je_loaded))) {
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t ret = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    char why[512];
    pthread_mutex_lock(&je_load_lock);
    if (je_loaded) {
        pthread_mutex_unlock(&je_load_lock);
        return UMF_RESULT_SUCCESS;
    }
    void *h = dlopen(JE_SONAME, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        /* not loaded at start-up: works only if static TLS is left over */
        h = dlopen(JE_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *err = dlerror();
            snprintf(why, sizeof(why), "%s is not loaded in this process%s%s",
                     JE_SONAME, err ? " and dlopen failed: " : "",
                     err ? err : "");
            goto out;
        }
        LOG_INFO("%s was not loaded at start-up; dlopen succeeded", JE_SONAME);
    }
    je_api_t api;
    *(void **)&api.mallocx = dlsym(h, "mallocx");
    *(void **)&api.rallocx = dlsym(h, "rallocx");
    *(void **)&api.dallocx = dlsym(h, "dallocx");
    *(void **)&api.sallocx = dlsym(h, "sallocx");
    *(void **)&api.mallctl = dlsym(h, "mallctl");
    *(void **)&api.mallctlnametomib = dlsym(h, "mallctlnametomib");
    if (!api.mallocx || !api.rallocx || !api.dallocx || !api.sallocx ||
        !api.mallctl || !api.mallctlnametomib) {
        snprintf(why, sizeof(why), "%s lacks mallocx/mallctl (not jemalloc 5?)",
                 JE_SONAME);
        goto out; /* the handle stays open: jemalloc is never unloaded */
    }
    size_t mib[4];
    size_t miblen = UMF_ARRAY_SIZE(mib);
    if (api.mallctlnametomib("experimental.arenas_create_ext", mib, &miblen) !=
        0) {
        const char *version = "unknown";
        size_t len = sizeof(version);
        api.mallctl("version", &version, &len, NULL, 0);
        snprintf(why, sizeof(why),
                 "jemalloc %s has no experimental.arenas_create_ext "
                 "(jemalloc 5.3 or later is needed)",
                 version);
        goto out;
    }
    je = api;
    utils_atomic_store_release(&je_loaded, true);
    /* jemalloc is initialised now (mallctl ran): its fork handlers are
     * registered; ours must drain the gate before they lock its arenas */
    umf_fork_library_loaded();
    ret = UMF_RESULT_SUCCESS;
out:
    pthread_mutex_unlock(&je_load_lock);
    if (ret != UMF_RESULT_SUCCESS) {
        je_log_unavailable(why);
    }
    return ret;
}

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
    unsigned narenas;   /* atomic; grows under je_tc_lock */
    unsigned max_arenas; /* one per CPU, at most JE_MAX_ARENAS */
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

/* Who splits extents (see the comment at the top). */
typedef enum je_split_t {
    JE_SPLIT_UNKNOWN,  /* no split yet */
    JE_SPLIT_PROVIDER, /* the provider: each extent is one allocation */
    JE_SPLIT_EMULATED, /* the pool, inside the blocks it records */
} je_split_t;

static inline int je_split_mode(je_pool_t *p) {
    return __atomic_load_n(&p->split, __ATOMIC_ACQUIRE);
}

/* Shared by all jemalloc pools of a thread, as the pool ops contract says. */
static __thread umf_result_t je_last_error;
/* What the last failed provider call inside a hook returned. */
static __thread umf_result_t je_hook_error;

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

static bool je_hook_purge_lazy(extent_hooks_t *h, void *addr, size_t size,
                               size_t offset, size_t length,
                               unsigned arena_ind) {
    je_pool_t *p = je_pool_of(h);
    return umfMemoryProviderPurgeLazy(p->provider, (char *)addr + offset,
                                      length) != UMF_RESULT_SUCCESS;
}

static bool je_hook_purge_forced(extent_hooks_t *h, void *addr, size_t size,
                                 size_t offset, size_t length,
                                 unsigned arena_ind) {
    je_pool_t *p = je_pool_of(h);
    return umfMemoryProviderPurgeForce(p->provider, (char *)addr + offset,
                                       length) != UMF_RESULT_SUCCESS;
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

static const extent_hooks_t je_hooks = {
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

/* Make an arena on p's hooks into *arena; 0 or jemalloc's error. */
static int je_arena_create(je_pool_t *p, unsigned *arena) {
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

static unsigned je_arena_count(je_pool_t *p) {
    return __atomic_load_n(&p->narenas, __ATOMIC_ACQUIRE);
}

/* The arena for a thread that comes to p for the first time: round robin
 * over max_arenas, made when first needed. Caller holds je_tc_lock. */
static unsigned je_thread_arena(je_pool_t *p) {
    unsigned want = p->nthreads++ % p->max_arenas;
    unsigned n = p->narenas;
    if (want >= n) {
        unsigned arena;
        int rc = je_arena_create(p, &arena);
        if (rc == 0) {
            p->arenas[n] = arena;
            __atomic_store_n(&p->narenas, n + 1, __ATOMIC_RELEASE);
            LOG_DEBUG("jemalloc pool %p: arena %u added", (void *)p, arena);
            return arena;
        }
        LOG_DEBUG("jemalloc pool %p: no arena of its own for thread %llu "
                  "(%s); it shares one",
                  (void *)p, (unsigned long long)utils_thread_id(),
                  strerror(rc));
        p->max_arenas = n; /* do not try again */
        want %= n;
    }
    return p->arenas[want];
}

static unsigned je_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > (long)JE_MAX_ARENAS ? JE_MAX_ARENAS : (unsigned)n;
}

/* ---- per-(thread, pool) explicit tcaches ----
 *
 * Every thread that used a jemalloc pool has a table indexed by pool slot;
 * an entry is valid when its gen matches the pool's. The tables are on a
 * global list so that pool destroy can destroy every thread's tcache of the
 * pool; a thread-exit destructor destroys the thread's own. je_tc_lock
 * guards the list, slot allocation, table growth, and every write to an
 * entry made by another thread than the owner. */

typedef struct je_tc_entry_t {
    uint64_t gen;    /* the pool's gen, or 0 */
    int flags;       /* MALLOCX_ARENA | MALLOCX_TCACHE(id) or _NONE */
    uint32_t tcache; /* id, or JE_NO_TCACHE */
    je_pool_t *pool; /* valid while gen is the pool's */
} je_tc_entry_t;

typedef struct je_thread_t {
    struct je_thread_t *next, *prev;
    size_t n;
    je_tc_entry_t e[];
} je_thread_t;

static pthread_mutex_t je_tc_lock = PTHREAD_MUTEX_INITIALIZER;
static je_thread_t *je_threads;
static bool je_slot_used[JE_MAX_POOLS];
static uint64_t je_next_gen = 1;
static pthread_key_t je_thread_key;
static bool je_key_ok;
static pthread_once_t je_key_once = PTHREAD_ONCE_INIT;
static __thread je_thread_t *je_tl;

static void je_tcache_destroy(uint32_t id) {
    if (id != JE_NO_TCACHE) {
        unsigned u = id;
        je.mallctl("tcache.destroy", NULL, NULL, &u, sizeof(u));
    }
}

static void je_list_unlink(je_thread_t *t) {
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        je_threads = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
}

static inline je_fast_slot_t *je_fast_slot(je_pool_t *p, uintptr_t thread) {
    uint64_t h = (uint64_t)thread * 0x9e3779b97f4a7c15ull;
    return &p->fast[h >> (64 - JE_FAST_SLOTS_LOG2)];
}

/* The calling thread takes its fast slot of p when it is free. Caller
 * holds je_tc_lock. */
static void je_fast_claim(je_pool_t *p, uintptr_t me, int flags) {
    je_fast_slot_t *f = je_fast_slot(p, me);
    if (f->thread == 0) {
        f->flags = flags;
        __atomic_store_n(&f->thread, me, __ATOMIC_RELEASE);
    }
}

/* Thread exit: destroy the thread's tcaches of live pools, and free its
 * fast slots (a new thread may get the same key). */
static void je_thread_exit(void *arg) {
    je_thread_t *t = arg;
    uintptr_t me = UTILS_THREAD_KEY();
    /* it takes the pools' lock and jemalloc's: inside the fork gate */
    umf_fork_gate_enter();
    pthread_mutex_lock(&je_tc_lock);
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].gen) {
            je_fast_slot_t *f = je_fast_slot(t->e[i].pool, me);
            if (f->thread == me) {
                __atomic_store_n(&f->thread, 0, __ATOMIC_RELAXED);
            }
            je_tcache_destroy(t->e[i].tcache);
            t->e[i].gen = 0;
        }
    }
    je_list_unlink(t);
    pthread_mutex_unlock(&je_tc_lock);
    umf_fork_gate_exit();
    if (je_tl == t) {
        je_tl = NULL;
    }
    umf_ba_free(t);
}

static void je_key_create(void) {
    je_key_ok = pthread_key_create(&je_thread_key, je_thread_exit) == 0;
    if (!je_key_ok) {
        LOG_ERR("pthread_key_create failed: jemalloc pools use no thread "
                "cache");
    }
}

/* The library is unloaded: no destructor may run into unmapped code. */
__attribute__((destructor)) static void je_fini(void) {
    if (je_key_ok) {
        pthread_key_delete(je_thread_key);
        je_key_ok = false;
    }
}

/* The calling thread's table with room for slot; NULL on failure. Caller
 * holds je_tc_lock. */
static je_thread_t *je_thread_table(unsigned slot) {
    je_thread_t *t = je_tl;
    if (t && slot < t->n) {
        return t;
    }
    if (!je_key_ok) {
        return NULL;
    }
    size_t n = t ? t->n : 8;
    while (n <= slot) {
        n *= 2;
    }
    je_thread_t *nt = umf_ba_calloc(1, sizeof(*nt) + n * sizeof(nt->e[0]));
    if (!nt) {
        return NULL;
    }
    nt->n = n;
    if (t) {
        memcpy(nt->e, t->e, t->n * sizeof(t->e[0]));
        nt->next = t->next;
        nt->prev = t->prev;
        if (nt->prev) {
            nt->prev->next = nt;
        } else {
            je_threads = nt;
        }
        if (nt->next) {
            nt->next->prev = nt;
        }
    } else {
        nt->next = je_threads;
        if (je_threads) {
            je_threads->prev = nt;
        }
        je_threads = nt;
    }
    if (pthread_setspecific(je_thread_key, nt) != 0) {
        if (t) {
            pthread_setspecific(je_thread_key, t); /* keep the old one */
        }
        je_list_unlink(nt);
        if (t) { /* put the old table back where it was */
            t->next = je_threads;
            t->prev = NULL;
            if (je_threads) {
                je_threads->prev = t;
            }
            je_threads = t;
        }
        umf_ba_free(nt);
        return NULL;
    }
    je_tl = nt;
    umf_ba_free(t);
    return nt;
}

/* The flags from the thread's table; on first use of pool p on this
 * thread, make its tcache. Takes the thread's fast slot when it is free. */
static __attribute__((noinline)) int je_flags_slow(je_pool_t *p, uintptr_t me) {
    je_thread_t *t = je_tl;
    if (t != NULL && p->slot < t->n &&
        __atomic_load_n(&t->e[p->slot].gen, __ATOMIC_RELAXED) == p->gen) {
        int flags = t->e[p->slot].flags;
        /* a free slot (its owner exited) is taken; one that another
         * thread owns (the same hash) is left alone, without the lock */
        if (__atomic_load_n(&je_fast_slot(p, me)->thread, __ATOMIC_RELAXED) ==
            0) {
            pthread_mutex_lock(&je_tc_lock);
            je_fast_claim(p, me, flags);
            pthread_mutex_unlock(&je_tc_lock);
        }
        return flags;
    }
    pthread_mutex_lock(&je_tc_lock);
    unsigned arena = je_thread_arena(p);
    int flags = MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
    t = je_thread_table(p->slot);
    if (t) {
        unsigned id = 0;
        size_t sz = sizeof(id);
        uint32_t tc = JE_NO_TCACHE;
        int rc = je.mallctl("tcache.create", &id, &sz, NULL, 0);
        if (rc == 0) {
            tc = id;
            flags = MALLOCX_ARENA(arena) | MALLOCX_TCACHE(id);
        } else {
            LOG_DEBUG("tcache.create failed (%s); thread %llu uses no thread "
                      "cache with arena %u",
                      strerror(rc), (unsigned long long)utils_thread_id(),
                      arena);
        }
        t->e[p->slot].flags = flags;
        t->e[p->slot].tcache = tc;
        t->e[p->slot].pool = p;
        __atomic_store_n(&t->e[p->slot].gen, p->gen, __ATOMIC_RELEASE);
        je_fast_claim(p, me, flags);
    }
    pthread_mutex_unlock(&je_tc_lock);
    return flags;
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

/* ---- pool ops ---- */

static void je_arena_destroy(unsigned arena) {
    char name[64];
    snprintf(name, sizeof(name), "arena.%u.destroy", arena);
    int rc = je.mallctl(name, NULL, NULL, NULL, 0);
    if (rc != 0) {
        LOG_ERR("%s failed: %s", name, strerror(rc));
    }
}

static umf_result_t je_initialize(umf_memory_provider_handle_t provider,
                                  void *params, void **pool) {
    (void)params; /* the 0.11 jemalloc pool takes no params */
    umf_result_t ret = je_load();
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    pthread_once(&je_key_once, je_key_create);

    je_pool_t *p = umf_ba_calloc(1, sizeof(*p));
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->hooks = je_hooks;
    p->provider = provider;
    pthread_mutex_init(&p->blocks_lock, NULL);

    unsigned arena = 0;
    int rc = je_arena_create(p, &arena);
    if (rc != 0) {
        LOG_ERR("cannot create a jemalloc arena: %s", strerror(rc));
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto err_free;
    }
    p->arenas[0] = arena;
    p->narenas = 1;
    p->max_arenas = je_cpu_count();

    pthread_mutex_lock(&je_tc_lock);
    unsigned slot = 0;
    while (slot < JE_MAX_POOLS && je_slot_used[slot]) {
        slot++;
    }
    if (slot < JE_MAX_POOLS) {
        je_slot_used[slot] = true;
        p->slot = slot;
        p->gen = je_next_gen++;
    }
    pthread_mutex_unlock(&je_tc_lock);
    if (slot == JE_MAX_POOLS) {
        LOG_ERR("too many jemalloc pools (at most %u)", JE_MAX_POOLS);
        je_arena_destroy(arena);
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto err_free;
    }
    LOG_DEBUG("jemalloc pool %p: arena %u, slot %u", (void *)p, arena, slot);
    *pool = p;
    return UMF_RESULT_SUCCESS;

err_free:
    pthread_mutex_destroy(&p->blocks_lock);
    umf_ba_free(p);
    return ret;
}

static void je_finalize(void *pool) {
    je_pool_t *p = pool;
    /* every thread's tcache of this pool goes first: the arena cannot be
     * destroyed while a tcache holds its memory. The ids are collected
     * under the lock and destroyed outside it, because flushing a tcache
     * calls the provider. */
    pthread_mutex_lock(&je_tc_lock);
    size_t n = 0;
    for (je_thread_t *t = je_threads; t; t = t->next) {
        n += p->slot < t->n && t->e[p->slot].gen == p->gen;
    }
    uint32_t *ids = n ? umf_ba_calloc(n, sizeof(*ids)) : NULL;
    size_t k = 0;
    for (je_thread_t *t = je_threads; t; t = t->next) {
        if (p->slot < t->n && t->e[p->slot].gen == p->gen) {
            if (ids) {
                ids[k++] = t->e[p->slot].tcache;
            } else {
                je_tcache_destroy(t->e[p->slot].tcache);
            }
            __atomic_store_n(&t->e[p->slot].gen, 0, __ATOMIC_RELAXED);
        }
    }
    je_slot_used[p->slot] = false;
    pthread_mutex_unlock(&je_tc_lock);
    for (size_t i = 0; i < k; i++) {
        je_tcache_destroy(ids[i]);
    }
    umf_ba_free(ids);

    /* every extent goes back via the hooks */
    for (unsigned i = 0; i < je_arena_count(p); i++) {
        je_arena_destroy(p->arenas[i]);
    }
    if (p->nblocks) {
        LOG_ERR("%zu provider allocations still held after the arena was "
                "destroyed",
                p->nblocks);
    }
    umf_ba_free(p->blocks);
    pthread_mutex_destroy(&p->blocks_lock);
    umf_ba_free(p);
}

/* An allocation failed: record why (the provider's error when a hook saw
 * one) and return NULL. */
static void *je_fail(umf_result_t dflt) {
    umf_result_t r = je_hook_error;
    if (r != UMF_RESULT_SUCCESS) {
        je_hook_error = UMF_RESULT_SUCCESS;
        dflt = r;
    }
    je_last_error = dflt;
    return NULL;
}

/* The provider refused memory: give the arenas' cached (dirty and muzzy)
 * extents back to it, so that a provider of bounded capacity gets room
 * again. True when there is reason to try the allocation once more. */
static bool je_reclaim(je_pool_t *p) {
    if (je_hook_error == UMF_RESULT_SUCCESS) {
        return false; /* jemalloc refused by itself: no retry helps */
    }
    umf_result_t err = je_hook_error;
    bool ok = true;
    for (unsigned i = 0; i < je_arena_count(p); i++) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.purge", p->arenas[i]);
        ok = je.mallctl(name, NULL, NULL, NULL, 0) == 0 && ok;
    }
    je_hook_error = err; /* reported if the retry fails too */
    LOG_DEBUG("provider out of memory; the pool's %u arenas purged (%s)",
              je_arena_count(p), ok ? "ok" : "failed");
    return ok;
}

/* mallocx failed: reclaim and retry once. */
static __attribute__((noinline)) void *
je_mallocx_retry(je_pool_t *p, size_t size, int flags) {
    void *ptr = NULL;
    if (je_reclaim(p)) {
        ptr = je.mallocx(size, flags);
    }
    if (!ptr) {
        return je_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    je_hook_error = UMF_RESULT_SUCCESS;
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

static void *je_malloc(void *pool, size_t size) {
    je_pool_t *p = pool;
    /* malloc(0) gives a unique minimal block, as jemalloc's malloc does */
    size = size ? size : 1;
    int flags = je_flags(p);
    void *ptr = je.mallocx(size, flags);
    if (UMF_UNLIKELY(!ptr)) {
        return je_mallocx_retry(p, size, flags);
    }
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

static void *je_calloc(void *pool, size_t num, size_t size) {
    je_pool_t *p = pool;
    size_t total;
    if (utils_mul_overflow(num, size, &total)) {
        je_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    total = total ? total : 1;
    int flags = je_flags(p) | MALLOCX_ZERO;
    void *ptr = je.mallocx(total, flags);
    if (!ptr) {
        return je_mallocx_retry(p, total, flags);
    }
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

/* The first call of a thread, or a thread whose fast slot is taken. */
static __attribute__((noinline)) umf_result_t je_free_slow(je_pool_t *p,
                                                           void *ptr) {
    POOL_TSAN_RELEASE(ptr);
    je.dallocx(ptr, je_flags_slow(p, UTILS_THREAD_KEY()));
    return UMF_RESULT_SUCCESS;
}

/* No call but jemalloc's on the way, so nothing is saved across it. */
static umf_result_t je_free(void *pool, void *ptr) {
    if (UMF_UNLIKELY(!ptr)) {
        return UMF_RESULT_SUCCESS;
    }
    je_fast_slot_t *f = je_fast_mine(pool);
    if (UMF_UNLIKELY(f == NULL)) {
        return je_free_slow(pool, ptr);
    }
    POOL_TSAN_RELEASE(ptr);
    je.dallocx(ptr, f->flags);
    return UMF_RESULT_SUCCESS;
}

static void *je_realloc(void *pool, void *ptr, size_t size) {
    je_pool_t *p = pool;
    if (!ptr) {
        return je_malloc(pool, size);
    }
    if (size == 0) {
        POOL_TSAN_RELEASE(ptr);
        je.dallocx(ptr, je_flags(p));
        je_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    /* on failure rallocx leaves ptr as it was */
    POOL_TSAN_RELEASE(ptr);
    int flags = je_flags(p);
    void *nptr = je.rallocx(ptr, size, flags);
    if (!nptr && je_reclaim(p)) {
        nptr = je.rallocx(ptr, size, flags);
    }
    if (!nptr) {
        return je_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    je_hook_error = UMF_RESULT_SUCCESS;
    POOL_TSAN_ACQUIRE(nptr);
    return nptr;
}

static void *je_aligned_malloc(void *pool, size_t size, size_t alignment) {
    je_pool_t *p = pool;
    if (alignment == 0) {
        return je_malloc(pool, size);
    }
    if (!utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        je_last_error = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    size_t dummy;
    if (utils_add_overflow(size, alignment, &dummy)) {
        je_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    int flags = je_flags(p) | MALLOCX_LG_ALIGN(__builtin_ctzl(alignment));
    size = size ? size : 1;
    void *ptr = je.mallocx(size, flags);
    if (!ptr) {
        return je_mallocx_retry(p, size, flags);
    }
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

static size_t je_malloc_usable_size(void *pool, void *ptr) {
    (void)pool;
    return ptr ? je.sallocx(ptr, 0) : 0;
}

static umf_result_t je_get_last_allocation_error(void *pool) {
    (void)pool;
    return je_last_error;
}

static umf_memory_pool_ops_t je_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = je_initialize,
    .finalize = je_finalize,
    .malloc = je_malloc,
    .calloc = je_calloc,
    .realloc = je_realloc,
    .aligned_malloc = je_aligned_malloc,
    .malloc_usable_size = je_malloc_usable_size,
    .free = je_free,
    .get_last_allocation_error = je_get_last_allocation_error,
};

UMF_EXPORT umf_memory_pool_ops_t *umfJemallocPoolOps(void) {
    return &je_pool_ops;
}
