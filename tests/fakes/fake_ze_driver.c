/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_ze_driver.c -- a fake Level Zero driver that Debian's real loader
 * loads (ZE_ENABLE_ALT_DRIVERS=<path of this .so>), so that the Level Zero
 * provider runs without a GPU: the Global, Driver, Device, Context and
 * CommandList tables and the test controls. Memory is in
 * fake_ze_driver_mem.c; every other table is a generated stub
 * (gen_fake_ze_stubs.sh). See fake_ze_control.h for what it models. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_ze_driver_internal.h"

#define MAGIC_DRIVER 0x5a45d1u
#define MAGIC_DEVICE 0x5a45dau
#define MAGIC_CONTEXT 0x5a45c0u
#define MAGIC_CMDLIST 0x5a45c1u
#define MAGIC_DEAD 0xdeadu

fake_ze_stats_t fake_ze_counters;

static struct _ze_driver_handle_t fake_driver = {MAGIC_DRIVER};
struct _ze_device_handle_t fake_ze_devices[FAKE_ZE_NUM_DEVICES] = {
    {MAGIC_DEVICE, 0}, {MAGIC_DEVICE, 1}};

struct _ze_command_list_handle_t {
    uint32_t magic;
};

static bool env_set(const char *name) {
    const char *v = getenv(name);
    return v && strcmp(v, "1") == 0;
}

bool fake_ze_context_ok(ze_context_handle_t ctx) {
    return ctx && ctx->magic == MAGIC_CONTEXT;
}

bool fake_ze_device_ok(ze_device_handle_t dev) {
    return dev && dev->magic == MAGIC_DEVICE;
}

/* ---- test controls ---- */

FAKE_ZE_EXPORT const fake_ze_stats_t *fake_ze_stats(void) {
    return &fake_ze_counters;
}

/* ---- Global ---- */

static ze_result_t fake_init(ze_init_flags_t flags) {
    (void)flags;
    return env_set("FAKE_ZE_FAIL_INIT") ? ZE_RESULT_ERROR_UNINITIALIZED
                                        : ZE_RESULT_SUCCESS;
}

FAKE_ZE_EXPORT ze_result_t zeGetGlobalProcAddrTable(ze_api_version_t version,
                                                    ze_global_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    t->pfnInit = fake_init;
    return ZE_RESULT_SUCCESS;
}

/* ---- Driver ---- */

static ze_result_t fake_driver_get(uint32_t *count, ze_driver_handle_t *out) {
    if (!count) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (*count == 0 || !out) {
        *count = 1;
        return ZE_RESULT_SUCCESS;
    }
    out[0] = &fake_driver;
    *count = 1;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_driver_api_version(ze_driver_handle_t d,
                                           ze_api_version_t *v) {
    if (d != &fake_driver) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!v) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    *v = ZE_API_VERSION_CURRENT;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_driver_properties(ze_driver_handle_t d,
                                          ze_driver_properties_t *p) {
    if (d != &fake_driver) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!p) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    memset(&p->uuid, 0, sizeof(p->uuid));
    memcpy(p->uuid.id, "fake-ze-driver", 14);
    p->driverVersion = 1;
    return ZE_RESULT_SUCCESS;
}

FAKE_ZE_EXPORT ze_result_t zeGetDriverProcAddrTable(ze_api_version_t version,
                                                    ze_driver_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    t->pfnGet = fake_driver_get;
    t->pfnGetApiVersion = fake_driver_api_version;
    t->pfnGetProperties = fake_driver_properties;
    return ZE_RESULT_SUCCESS;
}

/* ---- Device ---- */

static ze_result_t fake_device_get(ze_driver_handle_t d, uint32_t *count,
                                   ze_device_handle_t *out) {
    if (d != &fake_driver) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!count) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (*count == 0 || !out) {
        *count = FAKE_ZE_NUM_DEVICES;
        return ZE_RESULT_SUCCESS;
    }
    uint32_t n = *count < FAKE_ZE_NUM_DEVICES ? *count : FAKE_ZE_NUM_DEVICES;
    for (uint32_t i = 0; i < n; i++) {
        out[i] = &fake_ze_devices[i];
    }
    *count = n;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_device_properties(ze_device_handle_t dev,
                                          ze_device_properties_t *p) {
    if (!fake_ze_device_ok(dev)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!p) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    /* stype and pNext are the caller's */
    p->type = ZE_DEVICE_TYPE_GPU;
    p->vendorId = 0x8086;
    p->deviceId = 0xfa0 + dev->index;
    p->flags = 0;
    p->subdeviceId = 0;
    p->coreClockRate = 1000;
    p->maxMemAllocSize = FAKE_ZE_MAX_ALLOC;
    p->maxHardwareContexts = 64;
    p->maxCommandQueuePriority = 0;
    p->numThreadsPerEU = 8;
    p->physicalEUSimdWidth = 8;
    p->numEUsPerSubslice = 8;
    p->numSubslicesPerSlice = 4;
    p->numSlices = 1;
    p->timerResolution = 1;
    p->timestampValidBits = 64;
    p->kernelTimestampValidBits = 32;
    memset(&p->uuid, 0, sizeof(p->uuid));
    p->uuid.id[0] = (uint8_t)(dev->index + 1);
    snprintf(p->name, sizeof(p->name), "Fake GPU %u", dev->index);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t
fake_device_memory_properties(ze_device_handle_t dev, uint32_t *count,
                              ze_device_memory_properties_t *p) {
    if (!fake_ze_device_ok(dev)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!count) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (*count == 0 || !p) {
        *count = 1;
        return ZE_RESULT_SUCCESS;
    }
    p[0].flags = 0;
    p[0].maxClockRate = 1000;
    p[0].maxBusWidth = 256;
    p[0].totalSize = FAKE_ZE_DEVICE_MEMORY;
    snprintf(p[0].name, sizeof(p[0].name), "HBM");
    *count = 1;
    return ZE_RESULT_SUCCESS;
}

FAKE_ZE_EXPORT ze_result_t zeGetDeviceProcAddrTable(ze_api_version_t version,
                                                    ze_device_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    t->pfnGet = fake_device_get;
    t->pfnGetProperties = fake_device_properties;
    t->pfnGetMemoryProperties = fake_device_memory_properties;
    return ZE_RESULT_SUCCESS;
}

/* ---- Context ---- */

static ze_result_t fake_context_create(ze_driver_handle_t d,
                                       const ze_context_desc_t *desc,
                                       ze_context_handle_t *out) {
    if (d != &fake_driver) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!desc || !out) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    ze_context_handle_t c = malloc(sizeof(*c));
    if (!c) {
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    c->magic = MAGIC_CONTEXT;
    *out = c;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_context_destroy(ze_context_handle_t c) {
    if (!fake_ze_context_ok(c)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    c->magic = MAGIC_DEAD;
    free(c);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_make_resident(ze_context_handle_t c,
                                      ze_device_handle_t dev, void *ptr,
                                      size_t size) {
    if (!fake_ze_context_ok(c) || !fake_ze_device_ok(dev)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (!fake_ze_range_is_allocated(ptr, size)) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    FAKE_ZE_COUNT(fake_ze_counters.resident[dev->index]);
    return ZE_RESULT_SUCCESS;
}

FAKE_ZE_EXPORT ze_result_t zeGetContextProcAddrTable(ze_api_version_t version,
                                                     ze_context_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    t->pfnCreate = fake_context_create;
    t->pfnDestroy = fake_context_destroy;
    t->pfnMakeMemoryResident = fake_make_resident;
    return ZE_RESULT_SUCCESS;
}

/* ---- Mem (fake_ze_driver_mem.c) ---- */

FAKE_ZE_EXPORT ze_result_t zeGetMemProcAddrTable(ze_api_version_t version,
                                                 ze_mem_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    fake_ze_fill_mem_table(t);
    return ZE_RESULT_SUCCESS;
}

/* ---- CommandList: immediate lists whose copies are memcpy ---- */

static ze_result_t
fake_cmdlist_create_immediate(ze_context_handle_t c, ze_device_handle_t dev,
                              const ze_command_queue_desc_t *desc,
                              ze_command_list_handle_t *out) {
    if (!fake_ze_context_ok(c) || !fake_ze_device_ok(dev)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!desc || !out) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    ze_command_list_handle_t l = malloc(sizeof(*l));
    if (!l) {
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    l->magic = MAGIC_CMDLIST;
    *out = l;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_cmdlist_destroy(ze_command_list_handle_t l) {
    if (!l || l->magic != MAGIC_CMDLIST) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    l->magic = MAGIC_DEAD;
    free(l);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_cmdlist_copy(ze_command_list_handle_t l, void *dst,
                                     const void *src, size_t size,
                                     ze_event_handle_t signal,
                                     uint32_t num_wait,
                                     ze_event_handle_t *wait) {
    (void)signal;
    (void)num_wait;
    (void)wait;
    if (!l || l->magic != MAGIC_CMDLIST) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!dst || !src) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    memmove(dst, src, size);
    return ZE_RESULT_SUCCESS;
}

FAKE_ZE_EXPORT ze_result_t zeGetCommandListProcAddrTable(
    ze_api_version_t version, ze_command_list_dditable_t *t) {
    (void)version;
    if (!t) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    t->pfnCreateImmediate = fake_cmdlist_create_immediate;
    t->pfnDestroy = fake_cmdlist_destroy;
    t->pfnAppendMemoryCopy = fake_cmdlist_copy;
    return ZE_RESULT_SUCCESS;
}
