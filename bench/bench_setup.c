/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_setup.c -- the bench arena provider and the pool constructors the
 * benchmark programs share (see bench_setup.h). */

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <umf/memory_provider_ops.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_setup.h"

/* ---- bench arena: a trivial provider carving 4 KiB slots from one
 * mapping; a free stack makes freed slots reusable. ---- */

typedef struct arena_t {
    unsigned char *base;
    size_t slots, next, nfree;
    size_t *free_stack;
    pthread_mutex_t lock;
} arena_t;

static umf_result_t arena_initialize(void *params, void **provider) {
    const bench_arena_params_t *p = params;
    arena_t *a;

    if (p == NULL || p->slots == 0 || p->slots > SIZE_MAX / BENCH_ARENA_SLOT ||
        provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    a->slots = p->slots;
    a->free_stack = calloc(p->slots, sizeof(*a->free_stack));
    /* MAP_NORESERVE: untouched slots cost address space, not memory. */
    a->base = mmap(NULL, p->slots * BENCH_ARENA_SLOT, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (a->free_stack == NULL || a->base == MAP_FAILED) {
        if (a->base != MAP_FAILED) {
            munmap(a->base, p->slots * BENCH_ARENA_SLOT);
        }
        free(a->free_stack);
        free(a);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_mutex_init(&a->lock, NULL);
    *provider = a;
    return UMF_RESULT_SUCCESS;
}

static void arena_finalize(void *provider) {
    arena_t *a = provider;

    munmap(a->base, a->slots * BENCH_ARENA_SLOT);
    pthread_mutex_destroy(&a->lock);
    free(a->free_stack);
    free(a);
}

static umf_result_t arena_alloc(void *provider, size_t size, size_t alignment,
                                void **ptr) {
    arena_t *a = provider;
    umf_result_t res = UMF_RESULT_SUCCESS;
    size_t slot = 0;

    if (size == 0 || size > BENCH_ARENA_SLOT) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (alignment != 0 && (alignment & (alignment - 1)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (alignment > BENCH_ARENA_SLOT) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    pthread_mutex_lock(&a->lock);
    if (a->nfree > 0) {
        slot = a->free_stack[--a->nfree];
    } else if (a->next < a->slots) {
        slot = a->next++;
    } else {
        res = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_mutex_unlock(&a->lock);
    if (res == UMF_RESULT_SUCCESS) {
        *ptr = a->base + slot * BENCH_ARENA_SLOT;
    }
    return res;
}

static umf_result_t arena_free(void *provider, void *ptr, size_t size) {
    arena_t *a = provider;
    size_t off;

    (void)size;
    if ((unsigned char *)ptr < a->base) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    off = (size_t)((unsigned char *)ptr - a->base);
    if (off % BENCH_ARENA_SLOT != 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&a->lock);
    if (off / BENCH_ARENA_SLOT >= a->next || a->nfree == a->next) {
        pthread_mutex_unlock(&a->lock);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    a->free_stack[a->nfree++] = off / BENCH_ARENA_SLOT;
    pthread_mutex_unlock(&a->lock);
    return UMF_RESULT_SUCCESS;
}

static void arena_last_native_error(void *provider, const char **ppMessage,
                                    int32_t *pError) {
    (void)provider;
    *ppMessage = "the bench arena has no native errors";
    *pError = 0;
}

static umf_result_t arena_page_size(void *provider, size_t size,
                                    size_t *pageSize) {
    (void)provider;
    (void)size;
    *pageSize = BENCH_ARENA_SLOT;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t arena_min_page_size(void *provider, void *ptr,
                                        size_t *pageSize) {
    (void)provider;
    (void)ptr;
    *pageSize = BENCH_ARENA_SLOT;
    return UMF_RESULT_SUCCESS;
}

static const char *arena_name(void *provider) {
    (void)provider;
    return "BENCH_ARENA";
}

/* Optional ext and IPC operations stay NULL: the library treats them as
 * not supported. */
static const umf_memory_provider_ops_t arena_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = arena_initialize,
    .finalize = arena_finalize,
    .alloc = arena_alloc,
    .free = arena_free,
    .get_last_native_error = arena_last_native_error,
    .get_recommended_page_size = arena_page_size,
    .get_min_page_size = arena_min_page_size,
    .get_name = arena_name,
};

const umf_memory_provider_ops_t *bench_arena_ops(void) { return &arena_ops; }

/* ---- pools ---- */

umf_memory_provider_handle_t bench_os_provider(void) {
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t res;

    res = umfOsMemoryProviderParamsCreate(&params);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfOsMemoryProviderParamsCreate: %d\n",
                (int)res);
        return NULL;
    }
    res = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &prov);
    umfOsMemoryProviderParamsDestroy(params);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfMemoryProviderCreate (OS): %d\n", (int)res);
        return NULL;
    }
    return prov;
}

umf_memory_pool_handle_t bench_proxy_over(umf_memory_provider_handle_t prov,
                                          const char *what) {
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t res;

    res = umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfPoolCreate (proxy over %s): %d\n", what,
                (int)res);
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

umf_memory_pool_handle_t bench_os_proxy_pool(void) {
    umf_memory_provider_handle_t prov = bench_os_provider();

    return prov != NULL ? bench_proxy_over(prov, "OS provider") : NULL;
}

umf_memory_pool_handle_t bench_arena_proxy_pool(size_t slots) {
    bench_arena_params_t params = {slots};
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t res;

    res = umfMemoryProviderCreate(&arena_ops, &params, &prov);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfMemoryProviderCreate (bench arena): %d\n",
                (int)res);
        return NULL;
    }
    return bench_proxy_over(prov, "bench arena");
}

umf_memory_pool_handle_t bench_fixed_proxy_pool(void *buf, size_t size) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t res;

    res = umfFixedMemoryProviderParamsCreate(&params, buf, size);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfFixedMemoryProviderParamsCreate: %d\n",
                (int)res);
        return NULL;
    }
    res = umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &prov);
    umfFixedMemoryProviderParamsDestroy(params);
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "bench: umfMemoryProviderCreate (fixed): %d\n",
                (int)res);
        return NULL;
    }
    return bench_proxy_over(prov, "fixed provider");
}

umf_memory_pool_handle_t
bench_disjoint_pool_counted(const bench_disjoint_cfg_t *cfg,
                            bench_provider_counts_t *counts) {
    umf_disjoint_pool_params_handle_t params = NULL;
    umf_memory_provider_handle_t prov;
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t res = UMF_RESULT_SUCCESS;

    if (cfg != NULL) {
        res = umfDisjointPoolParamsCreate(&params);
        if (res == UMF_RESULT_SUCCESS && cfg->slab_min_size != 0) {
            res =
                umfDisjointPoolParamsSetSlabMinSize(params, cfg->slab_min_size);
        }
        if (res == UMF_RESULT_SUCCESS && cfg->max_poolable_size != 0) {
            res = umfDisjointPoolParamsSetMaxPoolableSize(
                params, cfg->max_poolable_size);
        }
        if (res == UMF_RESULT_SUCCESS && cfg->capacity != 0) {
            res = umfDisjointPoolParamsSetCapacity(params, cfg->capacity);
        }
        if (res != UMF_RESULT_SUCCESS) {
            fprintf(stderr, "bench: disjoint pool parameters: %d\n", (int)res);
            umfDisjointPoolParamsDestroy(params);
            return NULL;
        }
    }
    prov = bench_os_provider();
    if (prov != NULL && counts != NULL) {
        prov = bench_counted_provider(prov, counts);
    }
    if (prov != NULL) {
        res = umfPoolCreate(umfDisjointPoolOps(), prov, params,
                            UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
        if (res != UMF_RESULT_SUCCESS) {
            fprintf(stderr, "bench: umfPoolCreate (disjoint): %d\n", (int)res);
            umfMemoryProviderDestroy(prov);
            pool = NULL;
        }
    }
    if (params != NULL) {
        umfDisjointPoolParamsDestroy(params);
    }
    return pool;
}

umf_memory_pool_handle_t bench_disjoint_pool(const bench_disjoint_cfg_t *cfg) {
    return bench_disjoint_pool_counted(cfg, NULL);
}
