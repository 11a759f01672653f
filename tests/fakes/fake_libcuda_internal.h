/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_libcuda_internal.h -- shared by the files of the fake CUDA driver:
 * fake_libcuda.c (init, devices, contexts, errors, test controls) and
 * fake_libcuda_mem.c (memory, pointer attributes, IPC). */
#ifndef UMF_TEST_FAKE_LIBCUDA_INTERNAL_H
#define UMF_TEST_FAKE_LIBCUDA_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>

#include "providers/cuda_driver_abi.h"

#define FAKE_EXPORT __attribute__((visibility("default")))

/* Entry points with call counters and failure injection. */
typedef enum fake_entry_t {
    FE_cuInit,
    FE_cuDriverGetVersion,
    FE_cuDeviceGet,
    FE_cuDeviceGetCount,
    FE_cuDeviceGetName,
    FE_cuDeviceTotalMem_v2,
    FE_cuCtxGetCurrent,
    FE_cuCtxSetCurrent,
    FE_cuCtxGetDevice,
    FE_cuDevicePrimaryCtxRetain,
    FE_cuDevicePrimaryCtxRelease_v2,
    FE_cuMemAlloc_v2,
    FE_cuMemFree_v2,
    FE_cuMemHostAlloc,
    FE_cuMemFreeHost,
    FE_cuMemAllocManaged,
    FE_cuPointerGetAttribute,
    FE_cuIpcGetMemHandle,
    FE_cuIpcOpenMemHandle_v2,
    FE_cuIpcCloseMemHandle,
    FE_cuMemGetAllocationGranularity,
    FE_cuMemcpyHtoD_v2,
    FE_cuMemcpyDtoH_v2,
    FE_COUNT
} fake_entry_t;

/* Count the call; true (with *res) when a failure was injected for it. */
bool fake_enter(fake_entry_t e, CUresult *res);

/* Count, fail if asked, and refuse before cuInit. */
#define FAKE_ENTER(name)                                                       \
    do {                                                                       \
        CUresult fake_res_;                                                    \
        if (fake_enter(FE_##name, &fake_res_)) {                               \
            return fake_res_;                                                  \
        }                                                                      \
        if (!fake_initialized()) {                                             \
            return CUDA_ERROR_NOT_INITIALIZED;                                 \
        }                                                                      \
    } while (0)

bool fake_initialized(void);
int fake_device_count(void);
size_t fake_device_total_mem(int device);

/* The calling thread's current context when it is a valid, retained one
 * (else NULL), and its device. */
CUcontext fake_current_ctx(int *device);
/* The device of ctx, or -1 when ctx is not one of ours. */
int fake_ctx_device(CUcontext ctx);

#endif /* UMF_TEST_FAKE_LIBCUDA_INTERNAL_H */
