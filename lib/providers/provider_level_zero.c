/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero.c -- GPU memory (host, device or shared USM) through
 * the Level Zero API, for any pool on top.
 *
 * - alloc: zeMemAllocHost/Device/Shared on the params' context, device and
 *   ordinal; above the device's maxMemAllocSize the relaxed allocation
 *   limits descriptor is chained in (the driver decides whether it can);
 *   then zeContextMakeMemoryResident on each resident device.
 * - free: zeMemFree, or zeMemFreeExt with the BLOCKING or DEFER policy
 *   (zeMemFree when the driver lacks the extension, with a warning).
 * - page sizes: no probe allocation. The minimum is what the driver reports
 *   for the first allocation (zeMemGetAllocProperties), and for a given
 *   pointer that pointer's; before any allocation the system page size,
 *   the smallest a GPU page can be.
 * - purge, split and merge: Level Zero has no way to release or divide
 *   part of an allocation, so NOT_SUPPORTED; the disjoint pool never asks,
 *   the jemalloc and scalable pools keep provider allocations whole.
 * - errors: see ze_provider_error (provider_level_zero_loader.c).
 * IPC is in provider_level_zero_ipc.c. */
#include <string.h>

#include <umf/memory_provider_ops.h>

#include "provider_level_zero_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static umf_result_t ze_initialize(void *params, void **provider) {
    const struct umf_level_zero_memory_provider_params_t *p = params;
    UMF_CHECK(params != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!p->context) {
        LOG_ERR("Level Zero provider params: no context set");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (p->memory_type == UMF_MEMORY_TYPE_UNKNOWN) {
        LOG_ERR("Level Zero provider params: no memory type set");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if ((p->memory_type == UMF_MEMORY_TYPE_HOST) != (p->device == NULL)) {
        LOG_ERR("Level Zero provider params: %s",
                p->device ? "host memory takes no device"
                          : "device and shared memory need a device");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = ze_api_load();
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    if (p->free_policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT &&
        !ze_api.zeMemFreeExt) {
        LOG_ERR("free policy %d needs zeMemFreeExt, which this Level Zero "
                "loader lacks",
                (int)p->free_policy);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }

    uint64_t max_alloc = 0;
    if (p->device) {
        ze_device_properties_t props;
        memset(&props, 0, sizeof(props));
        props.stype = ZE_STRUCTURE_TYPE_DEVICE_PROPERTIES;
        ze_result_t r = ze_api.zeDeviceGetProperties(p->device, &props);
        if (r != ZE_RESULT_SUCCESS) {
            return ze_provider_error("zeDeviceGetProperties", r);
        }
        max_alloc = props.maxMemAllocSize;
    }

    ze_provider_t *zp = umf_ba_calloc(1, sizeof(*zp));
    if (!zp) {
        LOG_ERR("cannot allocate the Level Zero provider");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (p->resident_count) {
        zp->resident = umf_ba_calloc(p->resident_count, sizeof(*zp->resident));
        if (!zp->resident) {
            umf_ba_free(zp);
            LOG_ERR("cannot copy the resident devices");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(zp->resident, p->resident,
               p->resident_count * sizeof(*zp->resident));
        zp->resident_count = p->resident_count;
    }
    zp->context = p->context;
    zp->device = p->device;
    zp->memory_type = p->memory_type;
    zp->free_policy = p->free_policy;
    zp->ordinal = p->ordinal;
    zp->max_alloc_size = max_alloc;
    *provider = zp;
    return UMF_RESULT_SUCCESS;
}

static void ze_finalize(void *provider) {
    ze_provider_t *zp = provider;
    if (zp) {
        umf_ba_free(zp->resident);
        umf_ba_free(zp);
    }
}

static ze_result_t ze_free_memory(ze_provider_t *zp, void *ptr,
                                  const char **call) {
    static bool warned; /* racy by design: at worst two warnings */
    if (zp->free_policy != UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT) {
        ze_memory_free_ext_desc_t desc;
        memset(&desc, 0, sizeof(desc));
        desc.stype = ZE_STRUCTURE_TYPE_MEMORY_FREE_EXT_DESC;
        desc.freePolicy =
            zp->free_policy ==
                    UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE
                ? ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_BLOCKING_FREE
                : ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_DEFER_FREE;
        *call = "zeMemFreeExt";
        ze_result_t r = ze_api.zeMemFreeExt(zp->context, &desc, ptr);
        if (r != ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) {
            return r;
        }
        if (!utils_atomic_load_relaxed(&warned)) {
            utils_atomic_store_relaxed(&warned, true);
            LOG_WARN("the Level Zero driver has no zeMemFreeExt: freeing "
                     "with zeMemFree, without the free policy");
        }
    }
    *call = "zeMemFree";
    return ze_api.zeMemFree(zp->context, ptr);
}

/* Learn the minimum page size from the first allocation. */
static void ze_note_page_size(ze_provider_t *zp, void *ptr) {
    if (utils_atomic_load_relaxed(&zp->min_page_size)) {
        return;
    }
    ze_memory_allocation_properties_t props;
    memset(&props, 0, sizeof(props));
    props.stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES;
    if (ze_api.zeMemGetAllocProperties(zp->context, ptr, &props, NULL) ==
            ZE_RESULT_SUCCESS &&
        props.pageSize) {
        utils_atomic_store_relaxed(&zp->min_page_size, (size_t)props.pageSize);
    }
}

static umf_result_t ze_alloc(void *provider, size_t size, size_t alignment,
                             void **resultPtr) {
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(resultPtr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (alignment && !utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    ze_relaxed_allocation_limits_exp_desc_t relaxed;
    memset(&relaxed, 0, sizeof(relaxed));
    relaxed.stype = ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC;
    relaxed.flags = ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE;
    ze_device_mem_alloc_desc_t ddesc;
    memset(&ddesc, 0, sizeof(ddesc));
    ddesc.stype = ZE_STRUCTURE_TYPE_DEVICE_MEM_ALLOC_DESC;
    ddesc.ordinal = zp->ordinal;
    if (zp->max_alloc_size && size > zp->max_alloc_size) {
        ddesc.pNext = &relaxed;
    }
    ze_host_mem_alloc_desc_t hdesc;
    memset(&hdesc, 0, sizeof(hdesc));
    hdesc.stype = ZE_STRUCTURE_TYPE_HOST_MEM_ALLOC_DESC;

    void *ptr = NULL;
    ze_result_t r;
    const char *call;
    switch (zp->memory_type) {
    case UMF_MEMORY_TYPE_HOST:
        call = "zeMemAllocHost";
        r = ze_api.zeMemAllocHost(zp->context, &hdesc, size, alignment, &ptr);
        break;
    case UMF_MEMORY_TYPE_DEVICE:
        call = "zeMemAllocDevice";
        r = ze_api.zeMemAllocDevice(zp->context, &ddesc, size, alignment,
                                    zp->device, &ptr);
        break;
    default:
        call = "zeMemAllocShared";
        r = ze_api.zeMemAllocShared(zp->context, &ddesc, &hdesc, size,
                                    alignment, zp->device, &ptr);
        break;
    }
    if (r != ZE_RESULT_SUCCESS) {
        return ze_provider_error(call, r);
    }
    for (uint32_t i = 0; i < zp->resident_count; i++) {
        r = ze_api.zeContextMakeMemoryResident(zp->context, zp->resident[i],
                                               ptr, size);
        if (r != ZE_RESULT_SUCCESS) {
            umf_result_t ret =
                ze_provider_error("zeContextMakeMemoryResident", r);
            const char *free_call;
            ze_result_t fr = ze_free_memory(zp, ptr, &free_call);
            if (fr != ZE_RESULT_SUCCESS) {
                LOG_ERR("%s of a block that could not be made resident "
                        "failed (0x%x); it leaks",
                        free_call, (unsigned)fr);
            }
            return ret;
        }
    }
    ze_note_page_size(zp, ptr);
    *resultPtr = ptr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_free(void *provider, void *ptr, size_t size) {
    (void)size;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    const char *call;
    ze_result_t r = ze_free_memory(provider, ptr, &call);
    return r == ZE_RESULT_SUCCESS ? UMF_RESULT_SUCCESS
                                  : ze_provider_error(call, r);
}

static umf_result_t ze_min_page_size(void *provider, void *ptr,
                                     size_t *pageSize) {
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (ptr) {
        ze_memory_allocation_properties_t props;
        memset(&props, 0, sizeof(props));
        props.stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES;
        ze_result_t r =
            ze_api.zeMemGetAllocProperties(zp->context, ptr, &props, NULL);
        if (r != ZE_RESULT_SUCCESS) {
            return ze_provider_error("zeMemGetAllocProperties", r);
        }
        if (props.type == ZE_MEMORY_TYPE_UNKNOWN || props.pageSize == 0) {
            LOG_ERR("%p is not Level Zero memory of this context", ptr);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        *pageSize = (size_t)props.pageSize;
        return UMF_RESULT_SUCCESS;
    }
    size_t known = utils_atomic_load_relaxed(&zp->min_page_size);
    *pageSize = known ? known : utils_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t ze_recommended_page_size(void *provider, size_t size,
                                             size_t *pageSize) {
    (void)size;
    return ze_min_page_size(provider, NULL, pageSize);
}

static const char *ze_name(void *provider) {
    (void)provider;
    return "LEVEL_ZERO";
}

static umf_memory_provider_ops_t ze_provider_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = ze_initialize,
    .finalize = ze_finalize,
    .alloc = ze_alloc,
    .free = ze_free,
    .get_last_native_error = ze_provider_native_error,
    .get_recommended_page_size = ze_recommended_page_size,
    .get_min_page_size = ze_min_page_size,
    .get_name = ze_name,
    .ipc.get_ipc_handle_size = ze_ipc_handle_size,
    .ipc.get_ipc_handle = ze_ipc_get,
    .ipc.put_ipc_handle = ze_ipc_put,
    .ipc.open_ipc_handle = ze_ipc_open,
    .ipc.close_ipc_handle = ze_ipc_close,
};

UMF_EXPORT umf_memory_provider_ops_t *umfLevelZeroMemoryProviderOps(void) {
    return &ze_provider_ops;
}
