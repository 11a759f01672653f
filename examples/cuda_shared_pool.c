/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cuda_shared_pool.c -- a disjoint pool on CUDA managed (shared) memory:
 * small blocks carved from large driver allocations, usable from the host
 * and from kernels alike.
 *
 * Build: cc cuda_shared_pool.c $(pkg-config --cflags --libs umf)
 * No CUDA development files are needed: libumf finds the driver
 * (libcuda.so.1) at run time. Without a driver or a GPU the program says
 * so and exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_cuda.h>

int main(void) {
    /* Managed memory of device 0, in its primary context (the default when
     * no context is set). */
    umf_cuda_memory_provider_params_handle_t cu_params = NULL;
    umf_result_t res = umfCUDAMemoryProviderParamsCreate(&cu_params);
    if (res == UMF_RESULT_ERROR_NOT_SUPPORTED) {
        printf("this libumf is built without the CUDA provider\n");
        return EXIT_SUCCESS;
    }
    if (res != UMF_RESULT_SUCCESS ||
        umfCUDAMemoryProviderParamsSetDevice(cu_params, 0) !=
            UMF_RESULT_SUCCESS ||
        umfCUDAMemoryProviderParamsSetMemoryType(
            cu_params, UMF_MEMORY_TYPE_SHARED) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot set the CUDA provider's parameters\n");
        return EXIT_FAILURE;
    }
    umf_memory_provider_handle_t provider = NULL;
    res = umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), cu_params,
                                  &provider);
    umfCUDAMemoryProviderParamsDestroy(cu_params);
    if (res == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        printf("no CUDA driver or GPU here: nothing to show\n");
        return EXIT_SUCCESS;
    }
    if (res != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the CUDA provider (result %d)\n",
                (int)res);
        return EXIT_FAILURE;
    }

    /* The pool asks the driver for 2 MiB at a time and hands out pieces. */
    umf_disjoint_pool_params_handle_t pool_params = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (umfDisjointPoolParamsCreate(&pool_params) == UMF_RESULT_SUCCESS &&
        umfDisjointPoolParamsSetSlabMinSize(pool_params, 2 << 20) ==
            UMF_RESULT_SUCCESS &&
        umfDisjointPoolParamsSetMaxPoolableSize(pool_params, 1 << 20) ==
            UMF_RESULT_SUCCESS) {
        res = umfPoolCreate(umfDisjointPoolOps(), provider, pool_params,
                            UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    }
    umfDisjointPoolParamsDestroy(pool_params);
    if (!pool) {
        fprintf(stderr, "cannot create the pool (result %d)\n", (int)res);
        umfMemoryProviderDestroy(provider);
        return EXIT_FAILURE;
    }
    printf("disjoint pool on %s shared memory created\n",
           umfMemoryProviderGetName(provider));

    /* Managed memory is host-accessible: fill and check it directly. */
    enum { N = 1000 };
    int *blocks[16];
    for (int i = 0; i < 16; i++) {
        blocks[i] = umfPoolMalloc(pool, N * sizeof(int));
        if (!blocks[i]) {
            fprintf(stderr, "allocation %d failed\n", i);
            return EXIT_FAILURE;
        }
        for (int j = 0; j < N; j++) {
            blocks[i][j] = i * N + j;
        }
    }
    long long sum = 0;
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < N; j++) {
            sum += blocks[i][j];
        }
        if (umfPoolByPtr(blocks[i]) != pool) {
            fprintf(stderr, "block %d is not the pool's\n", i);
            return EXIT_FAILURE;
        }
        umfPoolFree(pool, blocks[i]);
    }
    printf("16 blocks of %zu bytes written and read back, sum %lld\n",
           N * sizeof(int), sum);
    umfPoolDestroy(pool); /* destroys the provider too (OWN_PROVIDER) */
    return sum == (long long)16 * N * (16 * N - 1) / 2 ? EXIT_SUCCESS
                                                       : EXIT_FAILURE;
}
