/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_gpu_cuda.c -- the CUDA backend of bench_gpu (bench/bench_gpu.h):
 * the CUDA provider's device memory on device 0 against raw
 * cuMemAlloc_v2/cuMemFree_v2 in device 0's primary context. It uses
 * whichever libcuda.so.1 the dynamic linker finds (make bench puts the
 * fake driver of tests/fakes first on LD_LIBRARY_PATH where the machine
 * has none) and says which. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>

#include <umf/providers/provider_cuda.h>

#include "bench_gpu.h"
#include "bench_harness.h"
#include "providers/cuda_driver_abi.h"

static cu_mem_alloc_fn mem_alloc;
static cu_mem_free_fn mem_free;
static cu_ctx_set_current_fn ctx_set_current;
static cu_device_primary_ctx_release_fn primary_release;
static CUcontext ctx;
static __thread int ctx_is_current;

static const char *cuda_init(void) {
    void *h = dlopen(CUDA_DRIVER_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        return "no CUDA driver (libcuda.so.1) here";
    }
    cu_init_fn init = (cu_init_fn)dlsym(h, "cuInit");
    cu_device_get_fn device_get = (cu_device_get_fn)dlsym(h, "cuDeviceGet");
    cu_device_primary_ctx_retain_fn retain =
        (cu_device_primary_ctx_retain_fn)dlsym(h, "cuDevicePrimaryCtxRetain");
    cu_device_get_name_fn get_name =
        (cu_device_get_name_fn)dlsym(h, "cuDeviceGetName");
    primary_release = (cu_device_primary_ctx_release_fn)dlsym(
        h, "cuDevicePrimaryCtxRelease_v2");
    ctx_set_current = (cu_ctx_set_current_fn)dlsym(h, "cuCtxSetCurrent");
    mem_alloc = (cu_mem_alloc_fn)dlsym(h, "cuMemAlloc_v2");
    mem_free = (cu_mem_free_fn)dlsym(h, "cuMemFree_v2");
    if (!init || !device_get || !retain || !get_name || !primary_release ||
        !ctx_set_current || !mem_alloc || !mem_free) {
        return "libcuda.so.1 lacks an entry point the benchmark uses";
    }
    CUdevice dev = 0;
    if (init(0) != CUDA_SUCCESS || device_get(&dev, 0) != CUDA_SUCCESS) {
        return "cuInit failed: no GPU";
    }
    if (retain(&ctx, dev) != CUDA_SUCCESS) {
        return "cannot retain device 0's primary context";
    }
    char name[128] = "?";
    (void)get_name(name, (int)sizeof(name), dev);
    struct link_map *lm = NULL;
    const char *path = CUDA_DRIVER_SONAME;
    if (dlinfo(h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name) {
        path = lm->l_name;
    }
    bench_note("CUDA driver: %s; device 0: %s", path, name);
    return NULL;
}

static umf_memory_provider_handle_t cuda_provider_create(void) {
    umf_cuda_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t p = NULL;
    if (umfCUDAMemoryProviderParamsCreate(&params) == UMF_RESULT_SUCCESS &&
        umfCUDAMemoryProviderParamsSetContext(params, ctx) ==
            UMF_RESULT_SUCCESS &&
        umfCUDAMemoryProviderParamsSetDevice(params, 0) == UMF_RESULT_SUCCESS &&
        umfCUDAMemoryProviderParamsSetMemoryType(
            params, UMF_MEMORY_TYPE_DEVICE) == UMF_RESULT_SUCCESS) {
        (void)umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), params, &p);
    }
    umfCUDAMemoryProviderParamsDestroy(params);
    return p;
}

/* the context is made current once per thread, as an application does */
static void *cuda_raw_alloc(size_t size) {
    if (!ctx_is_current) {
        if (ctx_set_current(ctx) != CUDA_SUCCESS) {
            return NULL;
        }
        ctx_is_current = 1;
    }
    CUdeviceptr p = 0;
    return mem_alloc(&p, size) == CUDA_SUCCESS ? (void *)(uintptr_t)p : NULL;
}

static void cuda_raw_free(void *ptr) {
    (void)mem_free((CUdeviceptr)(uintptr_t)ptr);
}

static void cuda_fini(void) {
    if (ctx) {
        (void)primary_release(0);
        ctx = NULL;
    }
}

const bench_gpu_backend_t bench_gpu_cuda = {
    .name = "CUDA",
    .init = cuda_init,
    .provider_create = cuda_provider_create,
    .raw_alloc = cuda_raw_alloc,
    .raw_free = cuda_raw_free,
    .fini = cuda_fini,
};
