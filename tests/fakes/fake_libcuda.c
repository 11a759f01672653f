/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_libcuda.c -- the fake CUDA driver (see fake_libcuda.h): cuInit,
 * devices, primary contexts, the current context, error strings, and the
 * test controls. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_libcuda.h"
#include "fake_libcuda_internal.h"

#define FAKE_MAX_DEVICES 8

static const char *const entry_names[FE_COUNT] = {
    "cuInit",
    "cuDriverGetVersion",
    "cuDeviceGet",
    "cuDeviceGetCount",
    "cuDeviceGetName",
    "cuDeviceTotalMem_v2",
    "cuCtxGetCurrent",
    "cuCtxSetCurrent",
    "cuCtxGetDevice",
    "cuDevicePrimaryCtxRetain",
    "cuDevicePrimaryCtxRelease_v2",
    "cuMemAlloc_v2",
    "cuMemFree_v2",
    "cuMemHostAlloc",
    "cuMemFreeHost",
    "cuMemAllocManaged",
    "cuPointerGetAttribute",
    "cuIpcGetMemHandle",
    "cuIpcOpenMemHandle_v2",
    "cuIpcCloseMemHandle",
    "cuMemGetAllocationGranularity",
    "cuMemcpyHtoD_v2",
    "cuMemcpyDtoH_v2",
};

static long calls[FE_COUNT];
static int fail_next[FE_COUNT]; /* CUDA_SUCCESS: none armed */
static int armed;               /* any fail_next set */

static int initialized;
static int ndevices;

struct CUctx_st {
    int device;
    int retains;
};
static struct CUctx_st primary[FAKE_MAX_DEVICES];
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static __thread CUcontext current;

static int entry_index(const char *name) {
    for (int i = 0; name && i < FE_COUNT; i++) {
        if (strcmp(entry_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

bool fake_enter(fake_entry_t e, CUresult *res) {
    __atomic_fetch_add(&calls[e], 1, __ATOMIC_RELAXED);
    if (__builtin_expect(__atomic_load_n(&armed, __ATOMIC_ACQUIRE) == 0, 1)) {
        return false;
    }
    int r = __atomic_exchange_n(&fail_next[e], CUDA_SUCCESS, __ATOMIC_ACQ_REL);
    if (r == CUDA_SUCCESS) {
        return false;
    }
    *res = r;
    return true;
}

bool fake_initialized(void) {
    return __atomic_load_n(&initialized, __ATOMIC_ACQUIRE) != 0;
}

int fake_device_count(void) { return ndevices; }

size_t fake_device_total_mem(int device) {
    return device == 0 ? (size_t)16 << 30 : (size_t)8 << 30;
}

int fake_ctx_device(CUcontext ctx) {
    for (int d = 0; d < ndevices; d++) {
        if (ctx == &primary[d]) {
            return d;
        }
    }
    return -1;
}

CUcontext fake_current_ctx(int *device) {
    int d = fake_ctx_device(current);
    if (d < 0 || __atomic_load_n(&primary[d].retains, __ATOMIC_ACQUIRE) <= 0) {
        return NULL;
    }
    *device = d;
    return current;
}

/* ---- test controls ---- */

FAKE_EXPORT int fake_cuda_fail_next(const char *entry, int result) {
    int i = entry_index(entry);
    if (i < 0) {
        return -1;
    }
    __atomic_store_n(&fail_next[i], result, __ATOMIC_RELEASE);
    __atomic_store_n(&armed, 1, __ATOMIC_RELEASE);
    return 0;
}

FAKE_EXPORT long fake_cuda_calls(const char *entry) {
    int i = entry_index(entry);
    return i < 0 ? -1 : __atomic_load_n(&calls[i], __ATOMIC_RELAXED);
}

FAKE_EXPORT int fake_cuda_primary_refs(int device) {
    if (device < 0 || device >= ndevices) {
        return -1;
    }
    return __atomic_load_n(&primary[device].retains, __ATOMIC_ACQUIRE);
}

/* ---- init and devices ---- */

FAKE_EXPORT CUresult cuInit(unsigned int flags) {
    CUresult r;
    if (fake_enter(FE_cuInit, &r)) {
        return r;
    }
    if (flags != 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    const char *forced = getenv("FAKE_CUDA_INIT_RESULT");
    if (forced && *forced) {
        return (CUresult)atoi(forced);
    }
    int n = 2;
    const char *nd = getenv("FAKE_CUDA_DEVICES");
    if (nd && *nd) {
        n = atoi(nd);
    }
    if (n <= 0) {
        return CUDA_ERROR_NO_DEVICE;
    }
    pthread_mutex_lock(&ctx_lock);
    if (!initialized) {
        ndevices = n > FAKE_MAX_DEVICES ? FAKE_MAX_DEVICES : n;
        for (int d = 0; d < ndevices; d++) {
            primary[d].device = d;
        }
        __atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&ctx_lock);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDriverGetVersion(int *version) {
    CUresult r;
    if (fake_enter(FE_cuDriverGetVersion, &r)) {
        return r;
    }
    if (!version) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *version = 12040;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetCount(int *count) {
    FAKE_ENTER(cuDeviceGetCount);
    if (!count) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *count = ndevices;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    FAKE_ENTER(cuDeviceGet);
    if (!device) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (ordinal < 0 || ordinal >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    *device = ordinal;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice device) {
    FAKE_ENTER(cuDeviceGetName);
    if (!name || len <= 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (device < 0 || device >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    snprintf(name, (size_t)len, "Fake CUDA GPU %d", device);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
    FAKE_ENTER(cuDeviceTotalMem_v2);
    if (!bytes) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (device < 0 || device >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    *bytes = fake_device_total_mem(device);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemGetAllocationGranularity(
    size_t *granularity, const CUmemAllocationProp *prop, int option) {
    FAKE_ENTER(cuMemGetAllocationGranularity);
    if (!granularity || !prop ||
        prop->location.type != CU_MEM_LOCATION_TYPE_DEVICE ||
        (option != CU_MEM_ALLOC_GRANULARITY_MINIMUM &&
         option != CU_MEM_ALLOC_GRANULARITY_RECOMMENDED)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (prop->location.id < 0 || prop->location.id >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    *granularity = (size_t)2 << 20;
    return CUDA_SUCCESS;
}

/* ---- contexts ---- */

FAKE_EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice device) {
    FAKE_ENTER(cuDevicePrimaryCtxRetain);
    if (!ctx) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (device < 0 || device >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    __atomic_fetch_add(&primary[device].retains, 1, __ATOMIC_ACQ_REL);
    *ctx = &primary[device];
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    FAKE_ENTER(cuDevicePrimaryCtxRelease_v2);
    if (device < 0 || device >= ndevices) {
        return CUDA_ERROR_INVALID_DEVICE;
    }
    CUresult r = CUDA_SUCCESS;
    pthread_mutex_lock(&ctx_lock);
    if (primary[device].retains <= 0) {
        r = CUDA_ERROR_INVALID_CONTEXT;
    } else {
        __atomic_fetch_sub(&primary[device].retains, 1, __ATOMIC_ACQ_REL);
    }
    pthread_mutex_unlock(&ctx_lock);
    return r;
}

FAKE_EXPORT CUresult cuCtxGetCurrent(CUcontext *ctx) {
    FAKE_ENTER(cuCtxGetCurrent);
    if (!ctx) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    *ctx = current;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxSetCurrent(CUcontext ctx) {
    FAKE_ENTER(cuCtxSetCurrent);
    if (ctx && fake_ctx_device(ctx) < 0) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    current = ctx;
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuCtxGetDevice(CUdevice *device) {
    FAKE_ENTER(cuCtxGetDevice);
    if (!device) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    int d = -1;
    if (!fake_current_ctx(&d)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    *device = d;
    return CUDA_SUCCESS;
}

/* ---- errors ---- */

static const struct {
    CUresult code;
    const char *name, *text;
} errors[] = {
    {CUDA_SUCCESS, "CUDA_SUCCESS", "no error"},
    {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED",
     "initialization error"},
    {CUDA_ERROR_DEINITIALIZED, "CUDA_ERROR_DEINITIALIZED",
     "driver shutting down"},
    {CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE",
     "no CUDA-capable device is detected"},
    {CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE",
     "invalid device ordinal"},
    {CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT",
     "invalid device context"},
    {CUDA_ERROR_MAP_FAILED, "CUDA_ERROR_MAP_FAILED",
     "mapping of buffer object failed"},
    {CUDA_ERROR_ALREADY_MAPPED, "CUDA_ERROR_ALREADY_MAPPED",
     "resource already mapped"},
    {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE",
     "invalid resource handle"},
    {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
    {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS",
     "an illegal memory access was encountered"},
    {CUDA_ERROR_NOT_PERMITTED, "CUDA_ERROR_NOT_PERMITTED",
     "operation not permitted"},
    {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED",
     "operation not supported"},
    {CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

static CUresult error_lookup(CUresult code, const char **str, bool name) {
    if (!str) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
        if (errors[i].code == code) {
            *str = name ? errors[i].name : errors[i].text;
            return CUDA_SUCCESS;
        }
    }
    *str = NULL;
    return CUDA_ERROR_INVALID_VALUE;
}

/* Like the real ones, these work before cuInit. */
FAKE_EXPORT CUresult cuGetErrorString(CUresult error, const char **str) {
    return error_lookup(error, str, false);
}

FAKE_EXPORT CUresult cuGetErrorName(CUresult error, const char **str) {
    return error_lookup(error, str, true);
}
