/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_driver.c -- the CUDA driver found at run time: libcuda.so.1
 * and its entry points (all or nothing), the mapping of its results to UMF
 * results and native errors, and making the provider's context current.
 *
 * The driver is never unloaded: it keeps threads and state of its own that
 * would run into unmapped code. */
#include <stdio.h>
#include <string.h>

#include "providers/provider_cuda_internal.h"
#include "util/dl_symbols_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

cuda_driver_t cuda_drv;
static bool cuda_loaded; /* atomic; cuda_drv is read-only once it is set */
static pthread_mutex_t cuda_load_lock = PTHREAD_MUTEX_INITIALIZER;

__thread utils_native_error_t cuda_native_error;

#define SYM(name, field)                                                       \
    { name, offsetof(cuda_driver_t, field) }
static const utils_dl_symbol_t cuda_syms[] = {
    SYM("cuInit", cuInit),
    SYM("cuDriverGetVersion", cuDriverGetVersion),
    SYM("cuDeviceGet", cuDeviceGet),
    SYM("cuDeviceGetCount", cuDeviceGetCount),
    SYM("cuDeviceGetName", cuDeviceGetName),
    SYM("cuCtxGetCurrent", cuCtxGetCurrent),
    SYM("cuCtxSetCurrent", cuCtxSetCurrent),
    SYM("cuCtxGetDevice", cuCtxGetDevice),
    SYM("cuDevicePrimaryCtxRetain", cuDevicePrimaryCtxRetain),
    SYM("cuDevicePrimaryCtxRelease_v2", cuDevicePrimaryCtxRelease),
    SYM("cuMemAlloc_v2", cuMemAlloc),
    SYM("cuMemFree_v2", cuMemFree),
    SYM("cuMemHostAlloc", cuMemHostAlloc),
    SYM("cuMemFreeHost", cuMemFreeHost),
    SYM("cuMemAllocManaged", cuMemAllocManaged),
    SYM("cuPointerGetAttribute", cuPointerGetAttribute),
    SYM("cuIpcGetMemHandle", cuIpcGetMemHandle),
    SYM("cuIpcOpenMemHandle_v2", cuIpcOpenMemHandle),
    SYM("cuIpcCloseMemHandle", cuIpcCloseMemHandle),
    SYM("cuGetErrorString", cuGetErrorString),
    SYM("cuGetErrorName", cuGetErrorName),
    SYM("cuMemGetAllocationGranularity", cuMemGetAllocationGranularity),
};
#undef SYM

umf_result_t cuda_driver_load(void) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&cuda_loaded))) {
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t ret = UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    pthread_mutex_lock(&cuda_load_lock);
    if (cuda_loaded) {
        pthread_mutex_unlock(&cuda_load_lock);
        return UMF_RESULT_SUCCESS;
    }
    const char *why = NULL;
    void *h = utils_dl_open(CUDA_DRIVER_SONAME, &why);
    if (!h) {
        LOG_ERR("the CUDA provider is unavailable: cannot load %s (%s); "
                "the NVIDIA driver is not installed",
                CUDA_DRIVER_SONAME, why);
        goto out;
    }
    cuda_driver_t drv;
    memset(&drv, 0, sizeof(drv));
    const char *missing = utils_dl_resolve(
        h, cuda_syms, UMF_ARRAY_SIZE(cuda_syms), &drv, sizeof(drv));
    if (missing) {
        LOG_ERR("the CUDA provider is unavailable: %s has no %s (a driver "
                "older than CUDA 11?)",
                CUDA_DRIVER_SONAME, missing);
        goto out; /* the handle stays open: the driver is never unloaded */
    }
    CUresult res = drv.cuInit(0);
    if (res != CUDA_SUCCESS) {
        const char *name = NULL, *text = NULL;
        if (drv.cuGetErrorName(res, &name) != CUDA_SUCCESS || !name) {
            name = "?";
        }
        if (drv.cuGetErrorString(res, &text) != CUDA_SUCCESS || !text) {
            text = "unknown error";
        }
        LOG_ERR("the CUDA provider is unavailable: cuInit failed with %d "
                "(%s: %s)",
                res, name, text);
        goto out;
    }
    cuda_drv = drv;
    utils_atomic_store_release(&cuda_loaded, true);
    ret = UMF_RESULT_SUCCESS;
out:
    pthread_mutex_unlock(&cuda_load_lock);
    return ret;
}

umf_result_t cuda_result(CUresult res, const char *what) {
    const char *text = NULL;
    if (cuda_drv.cuGetErrorString(res, &text) != CUDA_SUCCESS || !text) {
        text = "unknown CUDA error";
    }
    char msg[256];
    snprintf(msg, sizeof(msg), "%s: %s", what, text);
    utils_native_error_set(&cuda_native_error, res, msg, 0);
    switch (res) {
    case CUDA_ERROR_OUT_OF_MEMORY:
        LOG_DEBUG("%s (CUresult %d)", msg, res);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    case CUDA_ERROR_INVALID_VALUE:
    case CUDA_ERROR_INVALID_HANDLE:
        LOG_ERR("%s (CUresult %d)", msg, res);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    case CUDA_ERROR_NOT_SUPPORTED:
        LOG_ERR("%s (CUresult %d)", msg, res);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    default:
        LOG_ERR("%s (CUresult %d)", msg, res);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
}

umf_result_t cuda_ctx_enter(CUcontext ctx, CUcontext *saved) {
    CUresult res = cuda_drv.cuCtxGetCurrent(saved);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuCtxGetCurrent");
    }
    if (*saved == ctx) {
        return UMF_RESULT_SUCCESS;
    }
    res = cuda_drv.cuCtxSetCurrent(ctx);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuCtxSetCurrent");
    }
    return UMF_RESULT_SUCCESS;
}

void cuda_ctx_restore(CUcontext ctx, CUcontext saved) {
    if (saved == ctx) {
        return;
    }
    CUresult res = cuda_drv.cuCtxSetCurrent(saved);
    if (res != CUDA_SUCCESS) {
        /* the call itself succeeded: report, do not fail it */
        LOG_ERR("cannot restore the caller's CUDA context %p (CUresult %d)",
                (void *)saved, res);
    }
}
