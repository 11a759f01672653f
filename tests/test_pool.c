/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_pool.c -- the pool behaviour suite over every pool/provider pair.
 *
 * A new pool or provider joins by adding a row to `rows` below (see
 * tests/common/pool_suite.h for what a row holds). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdlib.h>
#include <sys/mman.h>

#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "pool_suite.h"
#include "test_helpers.h"
#include "test_providers.h"

/* ---- providers ---- */

static umf_memory_provider_handle_t os_provider_create(void **ctx) {
    *ctx = NULL;
    return umf_test_os_provider_create();
}

/* Address space only (MAP_NORESERVE). The jemalloc pool keeps the rest of
 * every provider block it grows by (up to 16 MiB) in jemalloc's retained
 * extents until the pool goes, and five threads asking at once for 4 MiB
 * blocks aligned to 4 MiB made 256 MiB run out when they truly overlapped
 * (under TSan). */
#define FIXED_BUFFER_SIZE ((size_t)1 << 30)

static umf_memory_provider_handle_t fixed_provider_create(void **ctx) {
    void *buf = mmap(NULL, FIXED_BUFFER_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (buf == MAP_FAILED) {
        return NULL;
    }
    umf_memory_provider_handle_t h =
        umf_test_fixed_provider_create(buf, FIXED_BUFFER_SIZE);
    if (!h) {
        munmap(buf, FIXED_BUFFER_SIZE);
        return NULL;
    }
    *ctx = buf;
    return h;
}

static umf_memory_provider_handle_t malloc_provider_create(void **ctx) {
    *ctx = NULL;
    return umf_test_provider_create(umf_test_malloc_provider_ops(), NULL);
}

/* destroys the provider, then unmaps the fixed provider's buffer if any */
static void provider_destroy(umf_memory_provider_handle_t provider, void *ctx) {
    umfMemoryProviderDestroy(provider);
    if (ctx) {
        munmap(ctx, FIXED_BUFFER_SIZE);
    }
}

/* ---- pool params ---- */

/* the values the reference's own disjoint tests use */
static void *disjoint_params_create(void) {
    umf_disjoint_pool_params_handle_t p = NULL;
    if (umfDisjointPoolParamsCreate(&p) != UMF_RESULT_SUCCESS ||
        umfDisjointPoolParamsSetSlabMinSize(p, 4096) != UMF_RESULT_SUCCESS ||
        umfDisjointPoolParamsSetMaxPoolableSize(p, 4096) !=
            UMF_RESULT_SUCCESS ||
        umfDisjointPoolParamsSetCapacity(p, 4) != UMF_RESULT_SUCCESS ||
        umfDisjointPoolParamsSetMinBucketSize(p, 64) != UMF_RESULT_SUCCESS) {
        umfDisjointPoolParamsDestroy(p);
        return NULL;
    }
    return p;
}

static void disjoint_params_destroy(void *p) {
    umfDisjointPoolParamsDestroy(p);
}

static void *scalable_params_create(void) {
    umf_scalable_pool_params_handle_t p = NULL;
    if (umfScalablePoolParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return p;
}

static void scalable_params_destroy(void *p) {
    umfScalablePoolParamsDestroy(p);
}

/* ---- the rows ---- */

static const pool_suite_row_t rows[] = {
    {
        .name = "proxy_os",
        .pool_ops = umfProxyPoolOps,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_BYPTR_END_NULL,
    },
    {
        .name = "proxy_fixed",
        .pool_ops = umfProxyPoolOps,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_BYPTR_END_NULL,
    },
    {
        .name = "simple_malloc",
        .pool_ops = umf_test_simple_pool_ops,
        .provider_create = malloc_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "simple_os_untracked",
        .pool_ops = umf_test_simple_pool_ops,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .pool_flags = UMF_POOL_CREATE_FLAG_DISABLE_TRACKING,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "disjoint_os",
        .pool_ops = umfDisjointPoolOps,
        .pool_params_create = disjoint_params_create,
        .pool_params_destroy = disjoint_params_destroy,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "disjoint_fixed",
        .pool_ops = umfDisjointPoolOps,
        .pool_params_create = disjoint_params_create,
        .pool_params_destroy = disjoint_params_destroy,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "jemalloc_os",
        .pool_ops = umfJemallocPoolOps,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "scalable_os",
        .pool_ops = umfScalablePoolOps,
        .pool_params_create = scalable_params_create,
        .pool_params_destroy = scalable_params_destroy,
        .provider_create = os_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "jemalloc_fixed",
        .pool_ops = umfJemallocPoolOps,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "scalable_fixed",
        .pool_ops = umfScalablePoolOps,
        .pool_params_create = scalable_params_create,
        .pool_params_destroy = scalable_params_destroy,
        .provider_create = fixed_provider_create,
        .provider_destroy = provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
};

int main(void) {
    return umf_test_run_suite(
        pool_suite_create(rows, sizeof(rows) / sizeof(rows[0])));
}
