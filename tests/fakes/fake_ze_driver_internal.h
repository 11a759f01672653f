/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_ze_driver_internal.h -- shared by the fake Level Zero driver's
 * files: its handles and its memory (fake_ze_driver_mem.c). */
#ifndef UMF_FAKE_ZE_DRIVER_INTERNAL_H
#define UMF_FAKE_ZE_DRIVER_INTERNAL_H 1

#include <stdbool.h>

#include <ze_api.h>
#include <ze_ddi.h>

#include "fake_ze_control.h"

#define FAKE_ZE_EXPORT __attribute__((visibility("default")))

struct _ze_driver_handle_t {
    uint32_t magic;
};

struct _ze_device_handle_t {
    uint32_t magic;
    uint32_t index;
};

struct _ze_context_handle_t {
    uint32_t magic;
};

extern fake_ze_stats_t fake_ze_counters;
extern struct _ze_device_handle_t fake_ze_devices[FAKE_ZE_NUM_DEVICES];

#define FAKE_ZE_COUNT(field) __atomic_fetch_add(&(field), 1, __ATOMIC_RELAXED)

bool fake_ze_context_ok(ze_context_handle_t ctx);
bool fake_ze_device_ok(ze_device_handle_t dev);

/* Fill the Mem table (honours FAKE_ZE_NO_FREE_EXT and FAKE_ZE_NO_IPC). */
void fake_ze_fill_mem_table(ze_mem_dditable_t *t);

/* zeContextMakeMemoryResident and the command-list copy check ranges. */
bool fake_ze_range_is_allocated(const void *ptr, size_t size);

#endif /* UMF_FAKE_ZE_DRIVER_INTERNAL_H */
