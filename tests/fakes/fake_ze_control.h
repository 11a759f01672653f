/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_ze_control.h -- what the fake Level Zero driver
 * (tests/fakes/fake_ze_driver.so) offers tests besides the Level Zero API.
 *
 * The loader opens the driver RTLD_LOCAL, so a test reaches these with
 * dlopen(path, RTLD_NOW | RTLD_NOLOAD) on the path it put in
 * ZE_ENABLE_ALT_DRIVERS, and dlsym.
 *
 * Environment read by the driver when the loader initialises it:
 *   FAKE_ZE_FAIL_INIT=1     its zeInit fails (ZE_RESULT_ERROR_UNINITIALIZED)
 *   FAKE_ZE_NO_FREE_EXT=1   zeMemFreeExt is missing from its Mem table
 *   FAKE_ZE_NO_IPC=1        the three IPC entry points are missing
 *
 * What the fake does: one driver, FAKE_ZE_NUM_DEVICES GPUs named
 * "Fake GPU <i>" with FAKE_ZE_DEVICE_MEMORY bytes each and allocations
 * limited to FAKE_ZE_MAX_ALLOC bytes (more only with the relaxed allocation
 * limits descriptor); every allocation is a memfd mapped MAP_SHARED (host
 * memory), page size FAKE_ZE_HOST_PAGE for host and FAKE_ZE_DEVICE_PAGE
 * for device and shared allocations, which are aligned to it by default.
 * An IPC handle carries the exporter's memfd number in its first 4 bytes
 * (as Intel's driver carries its dma-buf fd); zeMemOpenIpcHandle maps the
 * fd it finds there, so another process must first replace it with its
 * own copy (pidfd_getfd). Immediate command lists copy with memcpy. */
#ifndef UMF_FAKE_ZE_CONTROL_H
#define UMF_FAKE_ZE_CONTROL_H 1

#include <stdint.h>

#define FAKE_ZE_NUM_DEVICES 2
#define FAKE_ZE_DEVICE_MEMORY ((uint64_t)8 << 30)
#define FAKE_ZE_MAX_ALLOC ((uint64_t)256 << 20)
#define FAKE_ZE_HOST_PAGE 4096u
#define FAKE_ZE_DEVICE_PAGE 65536u

/* Counters since the driver was loaded (read with __atomic loads). */
typedef struct fake_ze_stats_t {
    uint64_t
        allocs[4];  /* by ze_memory_type_t: [1] host [2] device [3] shared */
    uint64_t frees; /* zeMemFree and zeMemFreeExt that succeeded */
    uint64_t free_ext[3]; /* zeMemFreeExt by policy: 0, BLOCKING, DEFER */
    uint64_t resident[FAKE_ZE_NUM_DEVICES]; /* zeContextMakeMemoryResident */
    uint64_t relaxed_allocs; /* with the relaxed limits descriptor */
    uint64_t ipc_gets, ipc_opens, ipc_closes;
    uint64_t live; /* allocations and opened IPC mappings not yet freed */
    uint32_t last_ordinal; /* of the last device/shared allocation */
} fake_ze_stats_t;

/* The counters. */
typedef const fake_ze_stats_t *(*fake_ze_stats_fn)(void);
#define FAKE_ZE_STATS_SYMBOL "fake_ze_stats"

/* The next `count` allocations fail with `result` (a ze_result_t). */
typedef void (*fake_ze_fail_allocs_fn)(uint32_t count, int32_t result);
#define FAKE_ZE_FAIL_ALLOCS_SYMBOL "fake_ze_fail_allocs"

#endif /* UMF_FAKE_ZE_CONTROL_H */
