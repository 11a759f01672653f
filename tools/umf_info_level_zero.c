/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_level_zero.c -- what umf-info tells of Level Zero: whether the
 * loader loads, whether a driver initialises, and each device's name, type
 * and memory. The loader is dlopen'ed as libumf's provider does, so
 * umf-info itself never depends on it. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <ze_api.h>

#include "umf_info_internal.h"

#define LOADER "libze_loader.so.1"
#define MAX_DRIVERS 8
#define MAX_DEVICES 64

typedef struct ze_calls_t {
    ze_result_t (*init)(ze_init_flags_t);
    ze_result_t (*driver_get)(uint32_t *, ze_driver_handle_t *);
    ze_result_t (*device_get)(ze_driver_handle_t, uint32_t *,
                              ze_device_handle_t *);
    ze_result_t (*device_properties)(ze_device_handle_t,
                                     ze_device_properties_t *);
    ze_result_t (*memory_properties)(ze_device_handle_t, uint32_t *,
                                     ze_device_memory_properties_t *);
} ze_calls_t;

static const char *type_name(ze_device_type_t t) {
    switch (t) {
    case ZE_DEVICE_TYPE_GPU:
        return "GPU";
    case ZE_DEVICE_TYPE_CPU:
        return "CPU";
    case ZE_DEVICE_TYPE_FPGA:
        return "FPGA";
    case ZE_DEVICE_TYPE_MCA:
        return "MCA";
    case ZE_DEVICE_TYPE_VPU:
        return "VPU";
    default:
        return "unknown";
    }
}

/* Total bytes of the device's memories. */
static uint64_t device_memory(const ze_calls_t *ze, ze_device_handle_t dev) {
    ze_device_memory_properties_t props[8];
    uint32_t n = 8;
    memset(props, 0, sizeof(props));
    for (uint32_t i = 0; i < n; i++) {
        props[i].stype = ZE_STRUCTURE_TYPE_DEVICE_MEMORY_PROPERTIES;
    }
    if (ze->memory_properties(dev, &n, props) != ZE_RESULT_SUCCESS) {
        return 0;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n && i < 8; i++) {
        total += props[i].totalSize;
    }
    return total;
}

bool info_level_zero(char *detail, size_t len, info_gpu_device_t *devs,
                     size_t max, size_t *num) {
    *num = 0;
    void *h = dlopen(LOADER, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *err = dlerror();
        snprintf(detail, len, "%s", err ? err : LOADER " cannot be loaded");
        return false;
    }
    ze_calls_t ze;
    static const char *const names[] = {"zeInit", "zeDriverGet", "zeDeviceGet",
                                        "zeDeviceGetProperties",
                                        "zeDeviceGetMemoryProperties"};
    void **slots[] = {(void **)&ze.init, (void **)&ze.driver_get,
                      (void **)&ze.device_get, (void **)&ze.device_properties,
                      (void **)&ze.memory_properties};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *slots[i] = dlsym(h, names[i]);
        if (!*slots[i]) {
            snprintf(detail, len, "%s has no %s", LOADER, names[i]);
            return false;
        }
    }
    /* alone and first: after a failed driver init nothing else is safe */
    ze_result_t r = ze.init(0);
    if (r != ZE_RESULT_SUCCESS) {
        snprintf(detail, len,
                 "%s loads; zeInit failed (0x%x): no Level Zero driver", LOADER,
                 (unsigned)r);
        return false;
    }
    ze_driver_handle_t drivers[MAX_DRIVERS];
    uint32_t ndrivers = MAX_DRIVERS;
    if (ze.driver_get(&ndrivers, drivers) != ZE_RESULT_SUCCESS) {
        ndrivers = 0;
    }
    size_t ndevices = 0;
    for (uint32_t d = 0; d < ndrivers; d++) {
        ze_device_handle_t dev[MAX_DEVICES];
        uint32_t n = MAX_DEVICES;
        if (ze.device_get(drivers[d], &n, dev) != ZE_RESULT_SUCCESS) {
            continue;
        }
        for (uint32_t i = 0; i < n; i++, ndevices++) {
            if (*num >= max) {
                continue;
            }
            ze_device_properties_t props;
            memset(&props, 0, sizeof(props));
            props.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
            info_gpu_device_t *o = &devs[*num];
            memset(o, 0, sizeof(*o));
            o->backend = "level_zero";
            o->index = (unsigned)ndevices;
            if (ze.device_properties(dev[i], &props) == ZE_RESULT_SUCCESS) {
                snprintf(o->name, sizeof(o->name), "%.*s",
                         (int)sizeof(props.name), props.name);
                o->type = type_name(props.type);
            } else {
                snprintf(o->name, sizeof(o->name), "?");
                o->type = "unknown";
            }
            o->memory = device_memory(&ze, dev[i]);
            (*num)++;
        }
    }
    snprintf(detail, len, "%s, %u driver%s, %zu device%s", LOADER,
             (unsigned)ndrivers, ndrivers == 1 ? "" : "s", ndevices,
             ndevices == 1 ? "" : "s");
    return ndevices > 0; /* the loader stays loaded until exit */
}
