/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cuda_driver_abi.h -- the part of the CUDA driver API (libcuda.so.1) that
 * libumf uses, declared from its public ABI: types, constants and the
 * signatures of the entry points, as function-pointer types.
 *
 * No CUDA header is needed to build libumf: the driver is found at run time
 * (provider_cuda_driver.c) and its entry points are looked up by the names
 * the real libcuda.so.1 exports; where the driver has several versions of a
 * function, the name is the one of the 64-bit ABI in use since CUDA 3.2 or
 * 11 (cuMemAlloc_v2, cuDeviceTotalMem_v2, cuIpcOpenMemHandle_v2,
 * cuDevicePrimaryCtxRelease_v2). The fake driver of the tests
 * (tests/fakes/fake_libcuda*.c) implements the same declarations. */
#ifndef UMF_CUDA_DRIVER_ABI_H
#define UMF_CUDA_DRIVER_ABI_H 1

#include <stddef.h>

/* ---- types ---- */

/* CUresult is an enum of int size in the driver's headers. */
typedef int CUresult;
typedef int CUdevice;
typedef struct CUctx_st *CUcontext;
/* 64-bit device address (CUdeviceptr_v2) */
typedef unsigned long long CUdeviceptr;

#define CU_IPC_HANDLE_SIZE 64
typedef struct CUipcMemHandle_st {
    char reserved[CU_IPC_HANDLE_SIZE];
} CUipcMemHandle;

/* CUpointer_attribute (only the values used) */
typedef int CUpointer_attribute;
#define CU_POINTER_ATTRIBUTE_CONTEXT 1
#define CU_POINTER_ATTRIBUTE_MEMORY_TYPE 2
#define CU_POINTER_ATTRIBUTE_IS_MANAGED 8
#define CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL 9
#define CU_POINTER_ATTRIBUTE_RANGE_START_ADDR 11
#define CU_POINTER_ATTRIBUTE_RANGE_SIZE 12

/* CUmemorytype, the value of CU_POINTER_ATTRIBUTE_MEMORY_TYPE */
#define CU_MEMORYTYPE_HOST 1
#define CU_MEMORYTYPE_DEVICE 2
#define CU_MEMORYTYPE_ARRAY 3
#define CU_MEMORYTYPE_UNIFIED 4

/* cuMemHostAlloc flags */
#define CU_MEMHOSTALLOC_PORTABLE 0x01
#define CU_MEMHOSTALLOC_DEVICEMAP 0x02
#define CU_MEMHOSTALLOC_WRITECOMBINED 0x04
#define CU_MEMHOSTALLOC_ALL_FLAGS 0x07

/* cuMemAllocManaged flags (exactly one of GLOBAL and HOST) */
#define CU_MEM_ATTACH_GLOBAL 0x1
#define CU_MEM_ATTACH_HOST 0x2

/* cuIpcOpenMemHandle flags */
#define CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS 0x1

/* cuMemGetAllocationGranularity: CUmemAllocationProp and its enums */
#define CU_MEM_ALLOCATION_TYPE_PINNED 0x1
#define CU_MEM_HANDLE_TYPE_NONE 0x0
#define CU_MEM_LOCATION_TYPE_DEVICE 0x1
#define CU_MEM_ALLOC_GRANULARITY_MINIMUM 0x0
#define CU_MEM_ALLOC_GRANULARITY_RECOMMENDED 0x1

typedef struct CUmemLocation_st {
    int type; /* CUmemLocationType */
    int id;
} CUmemLocation;

typedef struct CUmemAllocationProp_st {
    int type;                 /* CUmemAllocationType */
    int requestedHandleTypes; /* CUmemAllocationHandleType */
    CUmemLocation location;
    void *win32HandleMetaData;
    struct {
        unsigned char compressionType;
        unsigned char gpuDirectRDMACapable;
        unsigned short usage;
        unsigned char reserved[4];
    } allocFlags;
} CUmemAllocationProp;

/* ---- CUresult values (those the provider and the fake name) ---- */
#define CUDA_SUCCESS 0
#define CUDA_ERROR_INVALID_VALUE 1
#define CUDA_ERROR_OUT_OF_MEMORY 2
#define CUDA_ERROR_NOT_INITIALIZED 3
#define CUDA_ERROR_DEINITIALIZED 4
#define CUDA_ERROR_NO_DEVICE 100
#define CUDA_ERROR_INVALID_DEVICE 101
#define CUDA_ERROR_INVALID_CONTEXT 201
#define CUDA_ERROR_MAP_FAILED 205
#define CUDA_ERROR_ALREADY_MAPPED 208
#define CUDA_ERROR_INVALID_HANDLE 400
#define CUDA_ERROR_NOT_FOUND 500
#define CUDA_ERROR_ILLEGAL_ADDRESS 700
#define CUDA_ERROR_NOT_PERMITTED 800
#define CUDA_ERROR_NOT_SUPPORTED 801
#define CUDA_ERROR_UNKNOWN 999

/* ---- entry points ---- */
typedef CUresult (*cu_init_fn)(unsigned int flags);
typedef CUresult (*cu_driver_get_version_fn)(int *version);
typedef CUresult (*cu_device_get_fn)(CUdevice *device, int ordinal);
typedef CUresult (*cu_device_get_count_fn)(int *count);
typedef CUresult (*cu_device_get_name_fn)(char *name, int len, CUdevice device);
typedef CUresult (*cu_device_total_mem_fn)(size_t *bytes, CUdevice device);
typedef CUresult (*cu_ctx_get_current_fn)(CUcontext *ctx);
typedef CUresult (*cu_ctx_set_current_fn)(CUcontext ctx);
typedef CUresult (*cu_ctx_get_device_fn)(CUdevice *device);
typedef CUresult (*cu_device_primary_ctx_retain_fn)(CUcontext *ctx,
                                                    CUdevice device);
typedef CUresult (*cu_device_primary_ctx_release_fn)(CUdevice device);
typedef CUresult (*cu_mem_alloc_fn)(CUdeviceptr *dptr, size_t bytes);
typedef CUresult (*cu_mem_free_fn)(CUdeviceptr dptr);
typedef CUresult (*cu_mem_host_alloc_fn)(void **pp, size_t bytes,
                                         unsigned int flags);
typedef CUresult (*cu_mem_free_host_fn)(void *p);
typedef CUresult (*cu_mem_alloc_managed_fn)(CUdeviceptr *dptr, size_t bytes,
                                            unsigned int flags);
typedef CUresult (*cu_pointer_get_attribute_fn)(void *data,
                                                CUpointer_attribute attribute,
                                                CUdeviceptr ptr);
typedef CUresult (*cu_ipc_get_mem_handle_fn)(CUipcMemHandle *handle,
                                             CUdeviceptr dptr);
typedef CUresult (*cu_ipc_open_mem_handle_fn)(CUdeviceptr *dptr,
                                              CUipcMemHandle handle,
                                              unsigned int flags);
typedef CUresult (*cu_ipc_close_mem_handle_fn)(CUdeviceptr dptr);
typedef CUresult (*cu_get_error_string_fn)(CUresult error, const char **str);
typedef CUresult (*cu_get_error_name_fn)(CUresult error, const char **str);
typedef CUresult (*cu_mem_get_allocation_granularity_fn)(
    size_t *granularity, const CUmemAllocationProp *prop, int option);

/* Not used by the provider: the tests copy to and from device memory with
 * these (cuMemcpyHtoD_v2, cuMemcpyDtoH_v2). */
typedef CUresult (*cu_memcpy_htod_fn)(CUdeviceptr dst, const void *src,
                                      size_t bytes);
typedef CUresult (*cu_memcpy_dtoh_fn)(void *dst, CUdeviceptr src, size_t bytes);

/* The driver's SONAME (the unversioned libcuda.so exists only where the
 * development files are installed). */
#define CUDA_DRIVER_SONAME "libcuda.so.1"

#endif /* UMF_CUDA_DRIVER_ABI_H */
