/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_scalable.c -- the scalable pool: tbbmalloc's memory-pool API
 * (rml::pool_*), loaded at run time from libtbbmalloc.so.2, with raw memory
 * from the pool's provider.
 *
 * libtbbmalloc.so.2 exports the pool API only under C++-mangled names; they
 * are looked up with dlsym at the first pool creation. libumf never links
 * it, and never unloads it: tbbmalloc keeps per-thread state whose
 * destructors would run into unmapped code. */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <umf/memory_provider.h>
#include <umf/pools/pool_scalable.h>

#include "core/pool_direct_internal.h"
#include "util/base_alloc_internal.h"
#include "util/dl_symbols_internal.h"
#include "util/log_internal.h"
#include "util/tsan_pages_internal.h"
#include "util/utils_internal.h"

/* In a TSan build, blocks are handed over page by page (see
 * util/tsan_pages_internal.h). */
#ifdef UMF_TSAN_POOL
#define POOL_TSAN_ACQUIRE(p)                                                   \
    utils_tsan_pages((p), tbb.pool_msize((pool), (p)), false)
#define POOL_TSAN_RELEASE(p)                                                   \
    utils_tsan_pages((p), tbb.pool_msize((pool), (p)), true)
#else
#define POOL_TSAN_ACQUIRE(p) ((void)0)
#define POOL_TSAN_RELEASE(p) ((void)0)
#endif

#define TBB_SONAME "libtbbmalloc.so.2"
#define SCALABLE_DEFAULT_GRANULARITY ((size_t)2 << 20)
/* Larger requests fail before they reach tbbmalloc, whose size arithmetic
 * (size + headers + alignment, rounded to the granularity) must not wrap. */
#define SCALABLE_MAX_SIZE (SIZE_MAX / 4)

/* ---- params ---- */

struct umf_scalable_pool_params_t {
    size_t granularity;
    bool keep_all_memory;
};

UMF_EXPORT umf_result_t
umfScalablePoolParamsCreate(umf_scalable_pool_params_handle_t *hParams) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_scalable_pool_params_handle_t p = umf_ba_alloc(sizeof(*p));
    if (!p) {
        LOG_ERR("cannot allocate scalable pool params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->granularity = SCALABLE_DEFAULT_GRANULARITY;
    p->keep_all_memory = false;
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

/* Unlike the other params, Destroy(NULL) is an error (reference 1.10). */
UMF_EXPORT umf_result_t
umfScalablePoolParamsDestroy(umf_scalable_pool_params_handle_t hParams) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_ba_free(hParams);
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfScalablePoolParamsSetGranularity(
    umf_scalable_pool_params_handle_t hParams, size_t granularity) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(granularity != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->granularity = granularity;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfScalablePoolParamsSetKeepAllMemory(
    umf_scalable_pool_params_handle_t hParams, bool keepAllMemory) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->keep_all_memory = keepAllMemory;
    return UMF_RESULT_SUCCESS;
}

/* ---- tbbmalloc, looked up at run time ---- */

/* rml::MemPoolPolicy; the C++ `size_t &bytes` is a pointer in the ABI. */
typedef struct tbb_policy_t {
    void *(*pAlloc)(intptr_t pool_id, size_t *bytes);
    int (*pFree)(intptr_t pool_id, void *raw_ptr, size_t raw_bytes);
    size_t granularity;
    int version;
    unsigned fixedPool : 1, keepAllMemory : 1, reserved : 30;
} tbb_policy_t;

#define TBB_POOL_VERSION 1
#define TBB_POOL_OK 0 /* rml::POOL_OK */

typedef struct tbb_api_t {
    int (*pool_create_v1)(intptr_t pool_id, const tbb_policy_t *policy,
                          void **pool);
    bool (*pool_destroy)(void *pool);
    void *(*pool_malloc)(void *pool, size_t size);
    void *(*pool_realloc)(void *pool, void *object, size_t size);
    void *(*pool_aligned_malloc)(void *pool, size_t size, size_t alignment);
    bool (*pool_free)(void *pool, void *object);
    size_t (*pool_msize)(void *pool, void *object);
    void *(*pool_identify)(void *object);
} tbb_api_t;

static tbb_api_t tbb;
static bool tbb_loaded; /* atomic; tbb is read-only once it is set */
static pthread_mutex_t tbb_load_lock = PTHREAD_MUTEX_INITIALIZER;

static umf_result_t tbb_load(void) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&tbb_loaded))) {
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t ret = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    pthread_mutex_lock(&tbb_load_lock);
    if (tbb_loaded) {
        pthread_mutex_unlock(&tbb_load_lock);
        return UMF_RESULT_SUCCESS;
    }
    const char *why = NULL;
    void *h = utils_dl_open(TBB_SONAME, &why);
    if (!h) {
        LOG_FATAL("the scalable pool is unavailable: cannot load %s (%s); "
                  "install it with `apt-get install libtbbmalloc2`",
                  TBB_SONAME, why);
        goto out;
    }
    static const utils_dl_symbol_t syms[] = {
        {"_ZN3rml14pool_create_v1ElPKNS_13MemPoolPolicyEPPNS_10MemoryPoolE",
         offsetof(tbb_api_t, pool_create_v1)},
        {"_ZN3rml12pool_destroyEPNS_10MemoryPoolE",
         offsetof(tbb_api_t, pool_destroy)},
        {"_ZN3rml11pool_mallocEPNS_10MemoryPoolEm",
         offsetof(tbb_api_t, pool_malloc)},
        {"_ZN3rml12pool_reallocEPNS_10MemoryPoolEPvm",
         offsetof(tbb_api_t, pool_realloc)},
        {"_ZN3rml19pool_aligned_mallocEPNS_10MemoryPoolEmm",
         offsetof(tbb_api_t, pool_aligned_malloc)},
        {"_ZN3rml9pool_freeEPNS_10MemoryPoolEPv",
         offsetof(tbb_api_t, pool_free)},
        {"_ZN3rml10pool_msizeEPNS_10MemoryPoolEPv",
         offsetof(tbb_api_t, pool_msize)},
        {"_ZN3rml13pool_identifyEPv", offsetof(tbb_api_t, pool_identify)},
    };
    tbb_api_t api;
    memset(&api, 0, sizeof(api));
    const char *missing =
        utils_dl_resolve(h, syms, UMF_ARRAY_SIZE(syms), &api, sizeof(api));
    if (missing) {
        LOG_FATAL("the scalable pool is unavailable: %s has no %s (not "
                  "the oneTBB memory-pool API?)",
                  TBB_SONAME, missing);
        goto out; /* the handle stays open: tbbmalloc is never unloaded */
    }
    tbb = api;
    utils_atomic_store_release(&tbb_loaded, true);
    ret = UMF_RESULT_SUCCESS;
out:
    pthread_mutex_unlock(&tbb_load_lock);
    return ret;
}

/* ---- the pool ---- */

/* The pool's private handle is the rml::MemoryPool itself and tbbmalloc's
 * pool id is the provider: an allocation then reaches tbbmalloc without one
 * more dependent load on its way (measurable at ~20 ns per malloc+free). */

/* Shared by all scalable pools of a thread, as the pool ops contract says. */
static __thread umf_result_t scalable_last_error;
/* What the last failed provider alloc in the raw-alloc callback returned. */
static __thread umf_result_t scalable_raw_error;

static void *scalable_raw_alloc(intptr_t pool_id, size_t *bytes) {
    umf_memory_provider_handle_t provider =
        (umf_memory_provider_handle_t)pool_id;
    void *ptr = NULL;
    umf_result_t r = umfMemoryProviderAlloc(provider, *bytes, 0, &ptr);
    if (r != UMF_RESULT_SUCCESS || !ptr) {
        scalable_raw_error =
            r == UMF_RESULT_SUCCESS ? UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY : r;
        /* what umfPoolMalloc's direct path reports: it has no wrapper */
        scalable_last_error = scalable_raw_error;
        LOG_DEBUG("provider alloc of %zu bytes failed (result %d)", *bytes,
                  (int)r);
        return NULL;
    }
#ifdef UMF_TSAN_POOL
    /* the provider (mmap) wrote the region on this thread; tbbmalloc may
     * hand its blocks to another one, which acquires their pages */
    utils_tsan_pages(ptr, *bytes, true);
#endif
    return ptr;
}

static int scalable_raw_free(intptr_t pool_id, void *ptr, size_t bytes) {
    umf_memory_provider_handle_t provider =
        (umf_memory_provider_handle_t)pool_id;
    umf_result_t r = umfMemoryProviderFree(provider, ptr, bytes);
    if (r != UMF_RESULT_SUCCESS) {
        LOG_ERR("provider free of %p (%zu bytes) failed (result %d)", ptr,
                bytes, (int)r);
        return -1;
    }
    return 0;
}

static umf_result_t scalable_initialize(umf_memory_provider_handle_t provider,
                                        void *params, void **pool) {
    umf_result_t ret = tbb_load();
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    /* params are copied: the caller may change or destroy them at once */
    const umf_scalable_pool_params_handle_t prm = params;
    tbb_policy_t policy = {
        .pAlloc = scalable_raw_alloc,
        .pFree = scalable_raw_free,
        .granularity = prm ? prm->granularity : SCALABLE_DEFAULT_GRANULARITY,
        .version = TBB_POOL_VERSION,
        .fixedPool = 0,
        .keepAllMemory = prm ? prm->keep_all_memory : false,
    };
    void *tbb_pool = NULL;
    scalable_raw_error = UMF_RESULT_SUCCESS;
    int rc = tbb.pool_create_v1((intptr_t)provider, &policy, &tbb_pool);
    if (rc != TBB_POOL_OK || !tbb_pool) {
        LOG_ERR("rml::pool_create_v1 failed (error %d, granularity %zu)", rc,
                policy.granularity);
        return rc == 1 ? UMF_RESULT_ERROR_INVALID_ARGUMENT
                       : (scalable_raw_error != UMF_RESULT_SUCCESS
                              ? scalable_raw_error
                              : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    LOG_DEBUG("scalable pool %p: granularity %zu, keep all memory %d", tbb_pool,
              policy.granularity, (int)policy.keepAllMemory);
    *pool = tbb_pool;
    return UMF_RESULT_SUCCESS;
}

static void scalable_finalize(void *pool) {
    if (!tbb.pool_destroy(pool)) {
        LOG_ERR("rml::pool_destroy failed");
    }
}

static void *scalable_fail(umf_result_t dflt) {
    umf_result_t r = scalable_raw_error;
    if (r != UMF_RESULT_SUCCESS) {
        scalable_raw_error = UMF_RESULT_SUCCESS;
        dflt = r;
    }
    scalable_last_error = dflt;
    return NULL;
}

static void *scalable_malloc(void *pool, size_t size) {
    if (UMF_UNLIKELY(size > SCALABLE_MAX_SIZE)) {
        scalable_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    /* tbbmalloc gives malloc(0) a unique minimal block */
    void *ptr = tbb.pool_malloc(pool, size);
    if (UMF_UNLIKELY(!ptr)) {
        return scalable_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

static void *scalable_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (utils_mul_overflow(num, size, &total)) {
        scalable_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    void *ptr = scalable_malloc(pool, total);
    if (ptr) {
        memset(ptr, 0, total);
    }
    return ptr;
}

static void *scalable_realloc(void *pool, void *ptr, size_t size) {
    if (!ptr) {
        return scalable_malloc(pool, size);
    }
    if (size == 0) {
        POOL_TSAN_RELEASE(ptr);
        tbb.pool_free(pool, ptr);
        scalable_last_error = UMF_RESULT_SUCCESS;
        return NULL;
    }
    if (size > SCALABLE_MAX_SIZE) {
        scalable_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
#ifdef UMF_TSAN_POOL
    /* tbbmalloc's realloc copies into the new block before this thread
     * could acquire its pages: in a TSan build the copy is made here */
    void *fresh = tbb.pool_malloc(pool, size);
    if (!fresh) {
        return scalable_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    POOL_TSAN_ACQUIRE(fresh);
    size_t old_size = tbb.pool_msize(pool, ptr);
    memcpy(fresh, ptr, old_size < size ? old_size : size);
    POOL_TSAN_RELEASE(ptr);
    tbb.pool_free(pool, ptr);
    return fresh;
#endif
    /* on failure pool_realloc leaves ptr as it was */
    POOL_TSAN_RELEASE(ptr);
    void *nptr = tbb.pool_realloc(pool, ptr, size);
    if (!nptr) {
        return scalable_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    POOL_TSAN_ACQUIRE(nptr);
    return nptr;
}

static void *scalable_aligned_malloc(void *pool, size_t size,
                                     size_t alignment) {
    if (alignment == 0) {
        return scalable_malloc(pool, size);
    }
    if (!utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        scalable_last_error = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    size_t total;
    if (utils_add_overflow(size, alignment, &total) ||
        total > SCALABLE_MAX_SIZE) {
        scalable_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    void *ptr = tbb.pool_aligned_malloc(pool, size ? size : 1, alignment);
    if (!ptr) {
        return scalable_fail(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    }
    POOL_TSAN_ACQUIRE(ptr);
    return ptr;
}

static size_t scalable_malloc_usable_size(void *pool, void *ptr) {
    return ptr ? tbb.pool_msize(pool, ptr) : 0;
}

static umf_result_t scalable_free(void *pool, void *ptr) {
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    POOL_TSAN_RELEASE(ptr);
    if (!tbb.pool_free(pool, ptr)) {
        LOG_ERR("rml::pool_free(%p) failed", ptr);
        return UMF_RESULT_ERROR_UNKNOWN;
    }
    return UMF_RESULT_SUCCESS;
}

/* The direct path (core/pool_direct_internal.h), offered by
 * umfScalablePoolOps: umfPoolMalloc and umfPoolFree call tbbmalloc's entry
 * points themselves, a call level less against about 20 ns of tbbmalloc's
 * own work per malloc+free pair. Not in TSan builds, whose hand-over hooks
 * sit in the wrappers. */
static void scalable_direct_setup(const umf_memory_pool_ops_t *ops, void *pool,
                                  pool_direct_ops_t *direct) {
    (void)pool; /* the entry points take it as their first argument */
#ifdef UMF_TSAN_POOL
    (void)ops;
    (void)direct;
#else
    /* a table the user copied and changed keeps its own wrappers */
    if (ops->malloc != scalable_malloc || ops->free != scalable_free) {
        return;
    }
    /* called after a successful initialize: tbb is loaded. The entry
     * points take the rml::MemoryPool, which is the pool's private handle;
     * the wrappers only add what the direct path has without them: the
     * size check in umfPoolMalloc, the error of a failed provider alloc
     * recorded by scalable_raw_alloc, and no NULL free arrives. */
    *direct = (pool_direct_ops_t){
        .size_limit = SCALABLE_MAX_SIZE + 1,
        .malloc = tbb.pool_malloc,
        .free = tbb.pool_free,
    };
#endif
}

static umf_result_t scalable_get_last_allocation_error(void *pool) {
    (void)pool;
    return scalable_last_error;
}

static umf_memory_pool_ops_t scalable_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = scalable_initialize,
    .finalize = scalable_finalize,
    .malloc = scalable_malloc,
    .calloc = scalable_calloc,
    .realloc = scalable_realloc,
    .aligned_malloc = scalable_aligned_malloc,
    .malloc_usable_size = scalable_malloc_usable_size,
    .free = scalable_free,
    .get_last_allocation_error = scalable_get_last_allocation_error,
};

/* The only way to these ops is through here, so the direct path is
 * offered here (a lookup once it is registered). */
UMF_EXPORT umf_memory_pool_ops_t *umfScalablePoolOps(void) {
    (void)pool_direct_offer(&scalable_pool_ops, scalable_direct_setup);
    return &scalable_pool_ops;
}
