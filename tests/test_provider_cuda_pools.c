/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_cuda_pools.c -- the pool behaviour suite
 * (tests/common/pool_suite.h) with the disjoint, scalable and jemalloc
 * pools on CUDA memory: managed (shared) and host memory, which the suite
 * may touch on a real GPU too, and device memory on the fake driver (where
 * it is host memory; a real GPU's is not, and the suite writes to what it
 * allocates). */
#include <string.h>

#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>

#include "cuda_test_helpers.h"
#include "pool_params.h"
#include "pool_suite.h"
#include "test_helpers.h"

static umf_memory_provider_handle_t device_create(void **ctx) {
    *ctx = NULL;
    return ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
}

static umf_memory_provider_handle_t shared_create(void **ctx) {
    *ctx = NULL;
    return ct_provider(UMF_MEMORY_TYPE_SHARED, 0, 0);
}

static umf_memory_provider_handle_t host_create(void **ctx) {
    *ctx = NULL;
    return ct_provider(UMF_MEMORY_TYPE_HOST, 0, 0);
}

#define DISJOINT_ROW(n, create)                                                \
    {                                                                          \
        .name = n, .pool_ops = umfDisjointPoolOps,                             \
        .pool_params_create = pool_params_disjoint_reference,                  \
        .pool_params_destroy = pool_params_disjoint_destroy,                   \
        .provider_create = create,                                             \
        .provider_destroy = pool_params_provider_destroy,                      \
        .caps = POOL_CAP_USABLE_SIZE,                                          \
    }

/* the device row first: it is left out on a real GPU */
static const pool_suite_row_t rows[] = {
    DISJOINT_ROW("disjoint_cuda_device", device_create),
    DISJOINT_ROW("disjoint_cuda_shared", shared_create),
    DISJOINT_ROW("disjoint_cuda_host", host_create),
    {
        .name = "scalable_cuda_shared",
        .pool_ops = umfScalablePoolOps,
        .pool_params_create = pool_params_scalable_create,
        .pool_params_destroy = pool_params_scalable_destroy,
        .provider_create = shared_create,
        .provider_destroy = pool_params_provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
    {
        .name = "jemalloc_cuda_shared",
        .pool_ops = umfJemallocPoolOps,
        .provider_create = shared_create,
        .provider_destroy = pool_params_provider_destroy,
        .caps = POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE,
    },
};

int main(int argc, char **argv) {
    cuda_test_use_driver(argc, argv);
    cuda_test_require_driver();
    size_t first = ct_real_driver() ? 1 : 0;
    Suite *s =
        pool_suite_create(rows + first, sizeof(rows) / sizeof(rows[0]) - first);
    return umf_test_run_suite(s);
}
