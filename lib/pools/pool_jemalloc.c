/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc.c -- the jemalloc pool: jemalloc arenas fed by the pool's
 * provider through extent hooks. This file finds jemalloc and holds the
 * pool ops; pool_jemalloc_internal.h says which file owns the rest.
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
 * Isolation: every call names one of the pool's arenas and an explicit tcache
 * that belongs to one (thread, pool) pair, so memory of two pools never mixes
 * in a thread cache. The tcaches are destroyed at pool destroy (every thread's)
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
#include "pools/pool_jemalloc_internal.h"
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

je_api_t je;
static bool je_loaded; /* atomic; je is read-only once it is set */
static pthread_mutex_t je_load_lock = PTHREAD_MUTEX_INITIALIZER;
static bool je_warned; /* the first failure is FATAL (visible), later ERR */

/* Shared by all jemalloc pools of a thread, as the pool ops contract says. */
static __thread umf_result_t je_last_error;

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

/* ---- pool ops ---- */

/* mallctl "arena.<arena>.<what>" with no data; true on success. */
static bool je_arena_ctl(unsigned arena, const char *what) {
    char name[64];
    snprintf(name, sizeof(name), "arena.%u.%s", arena, what);
    int rc = je.mallctl(name, NULL, NULL, NULL, 0);
    if (rc != 0) {
        LOG_ERR("%s failed: %s", name, strerror(rc));
    }
    return rc == 0;
}

static unsigned je_arena_count(je_pool_t *p) {
    return __atomic_load_n(&p->narenas, __ATOMIC_ACQUIRE);
}

/* Online CPUs, at most JE_MAX_ARENAS; read once (sysconf reads a file). */
static unsigned je_cpu_count(void) {
    static unsigned cpus; /* atomic; 0 until read */
    unsigned n = __atomic_load_n(&cpus, __ATOMIC_RELAXED);
    if (n == 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n = c < 1 ? 1 : c > (long)JE_MAX_ARENAS ? JE_MAX_ARENAS : (unsigned)c;
        __atomic_store_n(&cpus, n, __ATOMIC_RELAXED);
    }
    return n;
}

static umf_result_t je_initialize(umf_memory_provider_handle_t provider,
                                  void *params, void **pool) {
    (void)params; /* the 0.11 jemalloc pool takes no params */
    umf_result_t ret = je_load();
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    je_tc_once();

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

    if (!je_tc_pool_add(p)) {
        LOG_ERR("too many jemalloc pools (at most %u)", JE_MAX_POOLS);
        je_arena_ctl(arena, "destroy");
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto err_free;
    }
    LOG_DEBUG("jemalloc pool %p: arena %u, slot %u", (void *)p, arena, p->slot);
    *pool = p;
    return UMF_RESULT_SUCCESS;

err_free:
    pthread_mutex_destroy(&p->blocks_lock);
    umf_ba_free(p);
    return ret;
}

static void je_finalize(void *pool) {
    je_pool_t *p = pool;
    je_tc_pool_remove(p);

    /* every extent goes back via the hooks */
    for (unsigned i = 0; i < je_arena_count(p); i++) {
        je_arena_ctl(p->arenas[i], "destroy");
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
        ok = je_arena_ctl(p->arenas[i], "purge") && ok;
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
