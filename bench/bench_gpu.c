/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_gpu.c -- a disjoint pool on GPU device memory against the driver's
 * raw allocation calls: malloc+free pairs of 64 B..1 MiB on 1 and 2
 * threads, for every backend of bench_gpu.h that can run here (with the
 * fake drivers of tests/fakes on a machine without a GPU). The point of
 * pooling GPU memory is the ratio: the target is at least 20x the raw rate
 * up to 64 KiB. Usage: bench_gpu [BACKEND...] (default: all). */
#include <stdio.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>

#include "bench_gpu.h"
#include "bench_harness.h"
#include "pool_params.h"

/* a backend that is not built leaves its table's address NULL */
#pragma weak bench_gpu_cuda
#pragma weak bench_gpu_level_zero

typedef struct pair_arg_t {
    const bench_gpu_backend_t *backend;
    umf_memory_pool_handle_t pool; /* NULL: raw driver calls */
    size_t size;
    int failed; /* set (racily, only ever to 1) on an allocation failure */
} pair_arg_t;

static void gpu_pairs(void *varg, unsigned thread, size_t iters) {
    pair_arg_t *a = varg;
    (void)thread;
    for (size_t i = 0; i < iters; i++) {
        void *p = a->pool ? umfPoolMalloc(a->pool, a->size)
                          : a->backend->raw_alloc(a->size);
        if (!p) {
            a->failed = 1;
            return;
        }
        if (a->pool) {
            umfPoolFree(a->pool, p);
        } else {
            a->backend->raw_free(p);
        }
    }
}

static umf_memory_pool_handle_t disjoint_pool_create(
    const bench_gpu_backend_t *b) {
    umf_memory_provider_handle_t provider = b->provider_create();
    if (!provider) {
        return NULL;
    }
    umf_memory_pool_handle_t pool = NULL;
    /* 2 MiB slabs and every size up to 1 MiB pooled, as a GPU runtime
     * would configure it */
    void *params = pool_params_disjoint(2u << 20, 1u << 20, 16, 0);
    if (params) {
        umfPoolCreate(umfDisjointPoolOps(), provider, params,
                      UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    }
    pool_params_disjoint_destroy(params);
    if (!pool) {
        umfMemoryProviderDestroy(provider);
    }
    return pool;
}

static int bench_backend(const bench_gpu_backend_t *b) {
    char title[128];
    snprintf(title, sizeof(title),
             "%s device memory: disjoint pool vs raw driver, malloc+free "
             "pairs",
             b->name);
    bench_section(title);
    const char *why = b->init();
    if (why) {
        bench_unavailable(b->name, why);
        return 0;
    }
    umf_memory_pool_handle_t pool = disjoint_pool_create(b);
    if (!pool) {
        bench_unavailable(b->name, "the disjoint pool could not be created");
        if (b->fini) {
            b->fini();
        }
        return 1;
    }
    int failed = 0;
    for (size_t size = 64; size <= (1u << 20); size *= 4) {
        for (unsigned threads = 1; threads <= 2; threads++) {
            char name[96];
            pair_arg_t raw = {b, NULL, size, 0};
            pair_arg_t pooled = {b, pool, size, 0};
            snprintf(name, sizeof(name), "raw %zu B, %u thread%s", size,
                     threads, threads > 1 ? "s" : "");
            int base = bench_run(name, gpu_pairs, &raw, threads);
            snprintf(name, sizeof(name), "disjoint pool %zu B, %u thread%s",
                     size, threads, threads > 1 ? "s" : "");
            int idx = bench_run(name, gpu_pairs, &pooled, threads);
            bench_compare(idx, base, BENCH_RATIO_THROUGHPUT);
            failed |= raw.failed | pooled.failed | (base < 0) | (idx < 0);
        }
    }
    bench_note("target: the pool at least 20x the raw rate up to 64 KiB");
    umfPoolDestroy(pool);
    if (b->fini) {
        b->fini();
    }
    return failed;
}

int main(int argc, char **argv) {
    if (bench_init() != 0) {
        return 2;
    }
    const bench_gpu_backend_t *all[] = {&bench_gpu_cuda, &bench_gpu_level_zero};
    int failed = 0;
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        const bench_gpu_backend_t *b = all[i];
        if (!b) {
            continue; /* not built */
        }
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++) {
            wanted |= strcmp(argv[a], b->name) == 0;
        }
        if (wanted) {
            failed |= bench_backend(b);
        }
    }
    bench_print_table();
    return failed ? 1 : 0;
}
