/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_libcuda.h -- the fake CUDA driver of the tests (a libcuda.so.1 made
 * of fake_libcuda*.c): what it does and the controls a test reaches with
 * dlsym on the loaded library.
 *
 * It implements the entry points of lib/providers/cuda_driver_abi.h with
 * host memory: two devices ("Fake CUDA GPU 0", 16 GiB, and "... 1", 8 GiB;
 * FAKE_CUDA_DEVICES=N changes the count, 0 makes cuInit fail with
 * CUDA_ERROR_NO_DEVICE as a driver without a GPU does), one primary
 * context per device (retained and released), a current context per
 * thread, and no allocation without a current, retained context
 * (CUDA_ERROR_INVALID_CONTEXT).
 *  - device memory: pages of one process-wide memfd, mmap'ed per
 *    allocation and 256 bytes past a page boundary, the least alignment
 *    the real driver guarantees; free unmaps and punches the pages out;
 *  - host memory: anonymous pages (page-aligned, as the driver's are);
 *  - managed memory: anonymous pages, 256 bytes past a page boundary;
 *  - IPC: the 64-byte handle holds the exporter's pid, the memfd's number
 *    and the allocation's place in it; cuIpcOpenMemHandle takes the fd with
 *    pidfd_getfd (or uses its own in the exporting process) and maps it.
 * FAKE_CUDA_INIT_RESULT=N makes cuInit return N. Entry points called
 * before cuInit return CUDA_ERROR_NOT_INITIALIZED. */
#ifndef UMF_TEST_FAKE_LIBCUDA_H
#define UMF_TEST_FAKE_LIBCUDA_H 1

/* The next call of the named entry point (its exported name, e.g.
 * "cuMemAlloc_v2") returns result without doing anything. Returns 0, or -1
 * for an unknown name. */
typedef int (*fake_cuda_fail_next_fn)(const char *entry, int result);
#define FAKE_CUDA_FAIL_NEXT "fake_cuda_fail_next"

/* How often the named entry point was called (-1: unknown name). */
typedef long (*fake_cuda_calls_fn)(const char *entry);
#define FAKE_CUDA_CALLS "fake_cuda_calls"

/* Live allocations of every kind, and live IPC mappings. */
typedef long (*fake_cuda_live_fn)(void);
#define FAKE_CUDA_LIVE_ALLOCS "fake_cuda_live_allocs"
#define FAKE_CUDA_LIVE_IPC "fake_cuda_live_ipc_mappings"

/* Retain count of a device's primary context (-1: no such device). */
typedef int (*fake_cuda_primary_refs_fn)(int device);
#define FAKE_CUDA_PRIMARY_REFS "fake_cuda_primary_refs"

/* The fake's device memory alignment (256). */
#define FAKE_CUDA_DEVICE_OFFSET 256

#endif /* UMF_TEST_FAKE_LIBCUDA_H */
