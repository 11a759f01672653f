/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_cmake_example.c -- built by examples/cmake/CMakeLists.txt: a jemalloc
 * pool over OS memory, the shape of a program that wants jemalloc's
 * scalability on memory it chooses. With libumf built without jemalloc
 * (umfJemallocPoolOps() is NULL) it uses a disjoint pool instead. */
#include <stdio.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/providers/provider_os_memory.h>

static int use_pool(umf_memory_pool_handle_t pool, const char *name) {
    char *blocks[64];
    for (int i = 0; i < 64; i++) {
        size_t size = (size_t)64 << (i % 12);
        blocks[i] = umfPoolMalloc(pool, size);
        if (!blocks[i]) {
            fprintf(stderr, "%s pool: umfPoolMalloc(%zu) failed\n", name, size);
            return 1;
        }
        memset(blocks[i], i, size);
    }
    for (int i = 0; i < 64; i++) {
        if (umfPoolByPtr(blocks[i]) != pool || blocks[i][0] != (char)i) {
            fprintf(stderr, "%s pool: block %d is not the pool's\n", name, i);
            return 1;
        }
        umfFree(blocks[i]);
    }
    printf("%s pool: 64 blocks allocated, written and freed\n", name);
    return 0;
}

int main(void) {
    umf_os_memory_provider_params_handle_t os_params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    if (umfOsMemoryProviderParamsCreate(&os_params) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), os_params,
                                &provider) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the OS memory provider\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy(os_params);

    umf_memory_pool_handle_t pool = NULL;
    umf_disjoint_pool_params_handle_t disjoint_params = NULL;
    const char *name = "jemalloc";
    umf_result_t ret;
    if (umfJemallocPoolOps()) {
        ret = umfPoolCreate(umfJemallocPoolOps(), provider, NULL, 0, &pool);
    } else {
        name = "disjoint";
        ret = umfDisjointPoolParamsCreate(&disjoint_params);
        if (ret == UMF_RESULT_SUCCESS) {
            ret = umfPoolCreate(umfDisjointPoolOps(), provider, disjoint_params,
                                0, &pool);
        }
    }
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "cannot create the %s pool (result %d)\n", name,
                (int)ret);
        return 1;
    }
    int rc = use_pool(pool, name);
    umfPoolDestroy(pool);
    umfDisjointPoolParamsDestroy(disjoint_params);
    umfMemoryProviderDestroy(provider);
    return rc;
}
