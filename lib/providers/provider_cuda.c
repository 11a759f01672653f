/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda.c -- the CUDA memory provider: host (cuMemHostAlloc),
 * device (cuMemAlloc) or managed (cuMemAllocManaged) memory of one device,
 * in one context that is made current around every driver call and the
 * caller's restored afterwards.
 *
 * Alignment: the driver aligns device and managed memory to 256 bytes and
 * host memory to a page. A larger alignment is honoured by allocating
 * alignment - 256 (or - page) more and handing out the aligned pointer
 * inside; the driver cannot free part of an allocation, so nothing is
 * trimmed, and the base is remembered for free (provider_cuda_ptrmap.c).
 * Purge, split and merge have no driver call: NOT_SUPPORTED. */
#include <string.h>

#include <umf/memory_provider_ops.h>

#include "providers/provider_cuda_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* what cuMemAlloc and cuMemAllocManaged guarantee */
#define CUDA_DEVICE_ALIGNMENT ((size_t)256)

static const char *cuda_type_name(umf_usm_memory_type_t t) {
    switch (t) {
    case UMF_MEMORY_TYPE_HOST:
        return "host";
    case UMF_MEMORY_TYPE_DEVICE:
        return "device";
    case UMF_MEMORY_TYPE_SHARED:
        return "shared";
    default:
        return "unknown";
    }
}

/* The flags the driver call gets, or false when they do not fit the
 * memory type. */
static bool cuda_flags_for_type(umf_usm_memory_type_t type, unsigned flags,
                                unsigned *out) {
    switch (type) {
    case UMF_MEMORY_TYPE_DEVICE:
        *out = 0;
        return flags == 0; /* cuMemAlloc takes no flags */
    case UMF_MEMORY_TYPE_HOST:
        *out = flags;
        return (flags & ~(unsigned)CU_MEMHOSTALLOC_ALL_FLAGS) == 0;
    case UMF_MEMORY_TYPE_SHARED:
        /* 0 means the driver's usual choice: attached to every stream */
        *out = flags ? flags : CU_MEM_ATTACH_GLOBAL;
        return *out == CU_MEM_ATTACH_GLOBAL || *out == CU_MEM_ATTACH_HOST;
    default:
        return false;
    }
}

/* Pick the context and device: the given context (and its device, which
 * must be the given one if any), or the device's primary context. */
static umf_result_t
cuda_pick_context(cuda_provider_t *cp,
                  const struct umf_cuda_memory_provider_params_t *in) {
    int count = 0;
    CUresult res = cuda_drv.cuDeviceGetCount(&count);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuDeviceGetCount");
    }
    if (in->context) {
        CUcontext saved;
        umf_result_t ret = cuda_ctx_enter(in->context, &saved);
        if (ret != UMF_RESULT_SUCCESS) {
            return ret == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC
                       ? UMF_RESULT_ERROR_INVALID_ARGUMENT
                       : ret;
        }
        CUdevice dev = -1;
        res = cuda_drv.cuCtxGetDevice(&dev);
        cuda_ctx_restore(in->context, saved);
        if (res != CUDA_SUCCESS) {
            umf_result_t r = cuda_result(res, "cuCtxGetDevice");
            return r == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC
                       ? UMF_RESULT_ERROR_INVALID_ARGUMENT
                       : r;
        }
        if (in->device != CUDA_DEVICE_UNSET && in->device != dev) {
            LOG_ERR("the CUDA context %p belongs to device %d, not to "
                    "device %d",
                    (void *)in->context, dev, in->device);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        cp->context = in->context;
        cp->device = dev;
        return UMF_RESULT_SUCCESS;
    }
    int ordinal = in->device == CUDA_DEVICE_UNSET ? 0 : in->device;
    if (ordinal >= count) {
        LOG_ERR("no CUDA device %d: the driver has %d", ordinal, count);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    res = cuda_drv.cuDeviceGet(&cp->device, ordinal);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuDeviceGet");
    }
    res = cuda_drv.cuDevicePrimaryCtxRetain(&cp->context, cp->device);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuDevicePrimaryCtxRetain");
    }
    cp->primary_retained = true;
    return UMF_RESULT_SUCCESS;
}

/* Minimum and recommended allocation granularity of device memory; a
 * page where the driver does not say. */
static void cuda_query_page_sizes(cuda_provider_t *cp) {
    size_t page = utils_page_size();
    cp->min_page_size = cp->recommended_page_size = page;
    if (cp->memory_type == UMF_MEMORY_TYPE_HOST) {
        return;
    }
    CUmemAllocationProp prop;
    memset(&prop, 0, sizeof(prop));
    prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    prop.requestedHandleTypes = CU_MEM_HANDLE_TYPE_NONE;
    prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    prop.location.id = cp->device;
    size_t g = 0;
    if (cuda_drv.cuMemGetAllocationGranularity(
            &g, &prop, CU_MEM_ALLOC_GRANULARITY_MINIMUM) == CUDA_SUCCESS &&
        g != 0) {
        cp->min_page_size = cp->recommended_page_size = g;
    } else {
        LOG_DEBUG("no allocation granularity for device %d; using the page "
                  "size",
                  cp->device);
    }
    if (cuda_drv.cuMemGetAllocationGranularity(
            &g, &prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED) == CUDA_SUCCESS &&
        g >= cp->min_page_size) {
        cp->recommended_page_size = g;
    }
}

static void cuda_finalize(void *provider);

static umf_result_t cuda_initialize(void *params, void **provider) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    struct umf_cuda_memory_provider_params_t defaults;
    const struct umf_cuda_memory_provider_params_t *in = params;
    if (!in) {
        cuda_params_defaults(&defaults);
        in = &defaults;
    }
    unsigned flags = 0;
    if (in->memory_type != UMF_MEMORY_TYPE_HOST &&
        in->memory_type != UMF_MEMORY_TYPE_DEVICE &&
        in->memory_type != UMF_MEMORY_TYPE_SHARED) {
        LOG_ERR("invalid memory type %d (HOST, DEVICE or SHARED)",
                (int)in->memory_type);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!cuda_flags_for_type(in->memory_type, in->alloc_flags, &flags)) {
        LOG_ERR("allocation flags 0x%x do not suit %s memory (device: 0; "
                "host: CU_MEMHOSTALLOC_*; shared: CU_MEM_ATTACH_GLOBAL or "
                "CU_MEM_ATTACH_HOST)",
                in->alloc_flags, cuda_type_name(in->memory_type));
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = cuda_driver_load();
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }

    cuda_provider_t *cp = umf_ba_alloc(sizeof(*cp));
    if (!cp) {
        LOG_ERR("cannot allocate the CUDA provider");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memset(cp, 0, sizeof(*cp));
    cp->memory_type = in->memory_type;
    cp->alloc_flags = flags;
    cp->base_alignment = in->memory_type == UMF_MEMORY_TYPE_HOST
                             ? utils_page_size()
                             : CUDA_DEVICE_ALIGNMENT;
    ret = cuda_ptrmap_init(&cp->aligned);
    if (ret == UMF_RESULT_SUCCESS) {
        ret = cuda_ptrmap_init(&cp->opened);
    }
    if (ret == UMF_RESULT_SUCCESS) {
        ret = cuda_pick_context(cp, in);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        cuda_finalize(cp);
        return ret;
    }
    cuda_query_page_sizes(cp);
    LOG_DEBUG("CUDA provider: %s memory, device %d, context %p%s",
              cuda_type_name(cp->memory_type), cp->device, (void *)cp->context,
              cp->primary_retained ? " (primary)" : "");
    *provider = cp;
    return UMF_RESULT_SUCCESS;
}

static void cuda_finalize(void *provider) {
    cuda_provider_t *cp = provider;
    if (!cp) {
        return;
    }
    cuda_ptrmap_fini(&cp->aligned);
    cuda_ptrmap_fini(&cp->opened);
    if (cp->primary_retained) {
        CUresult res = cuda_drv.cuDevicePrimaryCtxRelease(cp->device);
        if (res != CUDA_SUCCESS) {
            cuda_result(res, "cuDevicePrimaryCtxRelease");
        }
    }
    umf_ba_free(cp);
}

/* One driver allocation of size bytes of the provider's type, in the
 * current context. */
static CUresult cuda_driver_alloc(cuda_provider_t *cp, size_t size, void **out,
                                  const char **what) {
    CUdeviceptr dptr = 0;
    CUresult res;
    switch (cp->memory_type) {
    case UMF_MEMORY_TYPE_HOST:
        *what = "cuMemHostAlloc";
        return cuda_drv.cuMemHostAlloc(out, size, cp->alloc_flags);
    case UMF_MEMORY_TYPE_SHARED:
        *what = "cuMemAllocManaged";
        res = cuda_drv.cuMemAllocManaged(&dptr, size, cp->alloc_flags);
        break;
    default:
        *what = "cuMemAlloc";
        res = cuda_drv.cuMemAlloc(&dptr, size);
        break;
    }
    *out = (void *)(uintptr_t)dptr;
    return res;
}

static CUresult cuda_driver_free(cuda_provider_t *cp, void *base,
                                 const char **what) {
    if (cp->memory_type == UMF_MEMORY_TYPE_HOST) {
        *what = "cuMemFreeHost";
        return cuda_drv.cuMemFreeHost(base);
    }
    *what = "cuMemFree";
    return cuda_drv.cuMemFree((CUdeviceptr)(uintptr_t)base);
}

static umf_result_t cuda_alloc(void *provider, size_t size, size_t alignment,
                               void **resultPtr) {
    cuda_provider_t *cp = provider;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(resultPtr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (size == 0) {
        LOG_ERR("cannot allocate 0 bytes of CUDA memory");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (alignment != 0 && !utils_is_power_of_2(alignment)) {
        LOG_ERR("alignment %zu is not a power of 2", alignment);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t need = size;
    bool padded = alignment > cp->base_alignment;
    if (padded &&
        utils_add_overflow(size, alignment - cp->base_alignment, &need)) {
        LOG_ERR("%zu bytes aligned to %zu overflow the size", size, alignment);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }

    CUcontext saved;
    umf_result_t ret = cuda_ctx_enter(cp->context, &saved);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    void *base = NULL;
    const char *what = NULL;
    CUresult res = cuda_driver_alloc(cp, need, &base, &what);
    if (res != CUDA_SUCCESS) {
        cuda_ctx_restore(cp->context, saved);
        return cuda_result(res, what);
    }
    uintptr_t p = (uintptr_t)base;
    if (padded) {
        p = utils_align_ptr_up(p, alignment);
        if (p != (uintptr_t)base) {
            ret = cuda_ptrmap_insert(&cp->aligned, p, (uintptr_t)base);
        }
    } else if (alignment > 1 && (p & (alignment - 1)) != 0) {
        /* a driver breaking its own guarantee */
        LOG_ERR("%s returned %p, not aligned to %zu", what, base, alignment);
        ret = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (ret != UMF_RESULT_SUCCESS) {
        const char *fwhat = NULL;
        (void)cuda_driver_free(cp, base, &fwhat);
        cuda_ctx_restore(cp->context, saved);
        return ret;
    }
    cuda_ctx_restore(cp->context, saved);
    *resultPtr = (void *)p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_free(void *provider, void *ptr, size_t size) {
    cuda_provider_t *cp = provider;
    (void)size; /* the driver frees whole allocations */
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    uintptr_t base = cuda_ptrmap_base(&cp->aligned, (uintptr_t)ptr, true);
    CUcontext saved;
    umf_result_t ret = cuda_ctx_enter(cp->context, &saved);
    if (ret == UMF_RESULT_SUCCESS) {
        const char *what = NULL;
        CUresult res = cuda_driver_free(cp, (void *)base, &what);
        cuda_ctx_restore(cp->context, saved);
        if (res != CUDA_SUCCESS) {
            ret = cuda_result(res, what);
        }
    }
    if (ret != UMF_RESULT_SUCCESS && base != (uintptr_t)ptr) {
        /* still allocated: keep its base for a later free */
        (void)cuda_ptrmap_insert(&cp->aligned, (uintptr_t)ptr, base);
    }
    return ret;
}

static void cuda_get_last_native_error(void *provider, const char **ppMessage,
                                       int32_t *pError) {
    (void)provider;
    utils_native_error_get(&cuda_native_error, ppMessage, pError);
}

static umf_result_t cuda_get_recommended_page_size(void *provider, size_t size,
                                                   size_t *pageSize) {
    cuda_provider_t *cp = provider;
    (void)size;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = cp->recommended_page_size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cuda_get_min_page_size(void *provider, void *ptr,
                                           size_t *pageSize) {
    cuda_provider_t *cp = provider;
    (void)ptr;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = cp->min_page_size;
    return UMF_RESULT_SUCCESS;
}

static const char *cuda_get_name(void *provider) {
    (void)provider;
    return "CUDA";
}

static umf_memory_provider_ops_t cuda_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = cuda_initialize,
    .finalize = cuda_finalize,
    .alloc = cuda_alloc,
    .free = cuda_free,
    .get_last_native_error = cuda_get_last_native_error,
    .get_recommended_page_size = cuda_get_recommended_page_size,
    .get_min_page_size = cuda_get_min_page_size,
    .get_name = cuda_get_name,
    /* ext: no purge, split or merge in the driver API (NOT_SUPPORTED) */
    .ipc =
        {
            .get_ipc_handle_size = cuda_ipc_handle_size,
            .get_ipc_handle = cuda_ipc_get,
            .put_ipc_handle = cuda_ipc_put,
            .open_ipc_handle = cuda_ipc_open,
            .close_ipc_handle = cuda_ipc_close,
        },
};

UMF_EXPORT umf_memory_provider_ops_t *umfCUDAMemoryProviderOps(void) {
    return &cuda_ops;
}
