/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_internal.h -- the parts of the CUDA memory provider:
 *   provider_cuda_params.c  the public params functions;
 *   provider_cuda_driver.c  finding libcuda.so.1 and its entry points,
 *                           results and native errors, the current context;
 *   provider_cuda_ptrmap.c  pointers handed out at an offset into a driver
 *                           allocation (alignment, IPC);
 *   provider_cuda.c         the provider ops;
 *   provider_cuda_ipc.c     IPC over CUDA IPC memory handles. */
#ifndef UMF_PROVIDER_CUDA_INTERNAL_H
#define UMF_PROVIDER_CUDA_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/memory_provider_gpu.h>
#include <umf/providers/provider_cuda.h>

#include "providers/cuda_driver_abi.h"
#include "util/native_error_internal.h"

/* ---- params ---- */

#define CUDA_DEVICE_UNSET (-1)

struct umf_cuda_memory_provider_params_t {
    CUcontext context; /* NULL: the device's primary context */
    int device;        /* CUDA_DEVICE_UNSET: the context's, or 0 */
    umf_usm_memory_type_t memory_type;
    unsigned alloc_flags;
};

/* The defaults (also what NULL params mean). */
void cuda_params_defaults(struct umf_cuda_memory_provider_params_t *p);

/* ---- the driver ---- */

typedef struct cuda_driver_t {
    cu_init_fn cuInit;
    cu_driver_get_version_fn cuDriverGetVersion;
    cu_device_get_fn cuDeviceGet;
    cu_device_get_count_fn cuDeviceGetCount;
    cu_device_get_name_fn cuDeviceGetName;
    cu_ctx_get_current_fn cuCtxGetCurrent;
    cu_ctx_set_current_fn cuCtxSetCurrent;
    cu_ctx_get_device_fn cuCtxGetDevice;
    cu_device_primary_ctx_retain_fn cuDevicePrimaryCtxRetain;
    cu_device_primary_ctx_release_fn cuDevicePrimaryCtxRelease;
    cu_mem_alloc_fn cuMemAlloc;
    cu_mem_free_fn cuMemFree;
    cu_mem_host_alloc_fn cuMemHostAlloc;
    cu_mem_free_host_fn cuMemFreeHost;
    cu_mem_alloc_managed_fn cuMemAllocManaged;
    cu_pointer_get_attribute_fn cuPointerGetAttribute;
    cu_ipc_get_mem_handle_fn cuIpcGetMemHandle;
    cu_ipc_open_mem_handle_fn cuIpcOpenMemHandle;
    cu_ipc_close_mem_handle_fn cuIpcCloseMemHandle;
    cu_get_error_string_fn cuGetErrorString;
    cu_get_error_name_fn cuGetErrorName;
    cu_mem_get_allocation_granularity_fn cuMemGetAllocationGranularity;
} cuda_driver_t;

/* Filled once by cuda_driver_load; read-only afterwards. */
extern cuda_driver_t cuda_drv;

/* Load libcuda.so.1, resolve every entry point and call cuInit(0), once
 * per process (a failure is retried by the next call). SUCCESS, or
 * DEPENDENCY_UNAVAILABLE after one log line saying why. */
umf_result_t cuda_driver_load(void);

/* The provider's thread-local last native error. */
extern __thread utils_native_error_t cuda_native_error;

/* A failed driver call: record res and "what: <cuGetErrorString>" as the
 * native error, log it, and return the UMF result it maps to
 * (OUT_OF_MEMORY: OUT_OF_HOST_MEMORY; INVALID_VALUE, INVALID_HANDLE:
 * INVALID_ARGUMENT; NOT_SUPPORTED: NOT_SUPPORTED; the rest:
 * MEMORY_PROVIDER_SPECIFIC). */
umf_result_t cuda_result(CUresult res, const char *what);

/* Make ctx current on this thread; *saved gets the context to restore with
 * cuda_ctx_restore (which does nothing when ctx was current already). */
umf_result_t cuda_ctx_enter(CUcontext ctx, CUcontext *saved);
void cuda_ctx_restore(CUcontext ctx, CUcontext saved);

/* ---- pointers handed out at an offset into a driver allocation ---- */

typedef struct cuda_ptrmap_entry_t cuda_ptrmap_entry_t;
typedef struct cuda_ptrmap_t {
    pthread_mutex_t lock;
    size_t count; /* atomic: lookups are skipped while it is 0 */
    size_t nbuckets;
    cuda_ptrmap_entry_t **buckets;
} cuda_ptrmap_t;

umf_result_t cuda_ptrmap_init(cuda_ptrmap_t *m);
/* Frees the entries still in the map (their memory is not touched). */
void cuda_ptrmap_fini(cuda_ptrmap_t *m);
/* Record that ptr lies in the driver allocation that starts at base. */
umf_result_t cuda_ptrmap_insert(cuda_ptrmap_t *m, uintptr_t ptr,
                                uintptr_t base);
/* The base recorded for ptr (ptr itself when none is); with remove, the
 * record goes. */
uintptr_t cuda_ptrmap_base(cuda_ptrmap_t *m, uintptr_t ptr, bool remove);

/* ---- the provider ---- */

typedef struct cuda_provider_t {
    CUcontext context;
    CUdevice device;
    bool primary_retained; /* context is the device's primary, retained */
    umf_usm_memory_type_t memory_type;
    unsigned alloc_flags;  /* as passed to the driver */
    size_t base_alignment; /* what every driver allocation is aligned to */
    size_t min_page_size;
    size_t recommended_page_size;
    cuda_ptrmap_t aligned; /* over-aligned allocations: ptr -> base */
    cuda_ptrmap_t opened;  /* IPC mappings at an offset: ptr -> base */
} cuda_provider_t;

/* IPC ops (provider_cuda_ipc.c). */
umf_result_t cuda_ipc_handle_size(void *provider, size_t *size);
umf_result_t cuda_ipc_get(void *provider, const void *ptr, size_t size,
                          void *data);
umf_result_t cuda_ipc_put(void *provider, void *data);
umf_result_t cuda_ipc_open(void *provider, void *data, void **ptr);
umf_result_t cuda_ipc_close(void *provider, void *ptr, size_t size);

#endif /* UMF_PROVIDER_CUDA_INTERNAL_H */
