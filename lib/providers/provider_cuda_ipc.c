/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_ipc.c -- IPC of CUDA device memory over CUDA IPC memory
 * handles (cuIpcGetMemHandle / cuIpcOpenMemHandle / cuIpcCloseMemHandle).
 * The driver's handle names a whole allocation; the provider's handle adds
 * where the shared pointer lies in it (an over-aligned allocation starts
 * inside one). Host and managed memory have no CUDA IPC: NOT_SUPPORTED. */
#include <string.h>

#include "providers/provider_cuda_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

typedef struct cuda_ipc_data_t {
    CUipcMemHandle handle; /* of the driver allocation */
    uint64_t offset;       /* of the shared pointer in it */
    uint64_t size;         /* of the shared range (informational) */
} cuda_ipc_data_t;

static bool cuda_ipc_supported(const cuda_provider_t *cp) {
    if (cp->memory_type == UMF_MEMORY_TYPE_DEVICE) {
        return true;
    }
    LOG_ERR("CUDA IPC is only for device memory, not for %s memory",
            cp->memory_type == UMF_MEMORY_TYPE_HOST ? "host" : "shared");
    return false;
}

umf_result_t cuda_ipc_handle_size(void *provider, size_t *size) {
    cuda_provider_t *cp = provider;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!cuda_ipc_supported(cp)) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    *size = sizeof(cuda_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

umf_result_t cuda_ipc_get(void *provider, const void *ptr, size_t size,
                          void *data) {
    cuda_provider_t *cp = provider;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(data != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!cuda_ipc_supported(cp)) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    uintptr_t base = cuda_ptrmap_base(&cp->aligned, (uintptr_t)ptr, false);
    cuda_ipc_data_t out;
    memset(&out, 0, sizeof(out));
    CUcontext saved;
    umf_result_t ret = cuda_ctx_enter(cp->context, &saved);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    CUresult res = cuda_drv.cuIpcGetMemHandle(&out.handle, (CUdeviceptr)base);
    cuda_ctx_restore(cp->context, saved);
    if (res != CUDA_SUCCESS) {
        return cuda_result(res, "cuIpcGetMemHandle");
    }
    out.offset = (uint64_t)((uintptr_t)ptr - base);
    out.size = size;
    memcpy(data, &out, sizeof(out));
    return UMF_RESULT_SUCCESS;
}

/* The driver has no call to release an exported handle. */
umf_result_t cuda_ipc_put(void *provider, void *data) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(data != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return UMF_RESULT_SUCCESS;
}

umf_result_t cuda_ipc_open(void *provider, void *data, void **ptr) {
    cuda_provider_t *cp = provider;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(data != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!cuda_ipc_supported(cp)) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    cuda_ipc_data_t in;
    memcpy(&in, data, sizeof(in));
    CUcontext saved;
    umf_result_t ret = cuda_ctx_enter(cp->context, &saved);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    CUdeviceptr dptr = 0;
    CUresult res = cuda_drv.cuIpcOpenMemHandle(
        &dptr, in.handle, CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS);
    if (res != CUDA_SUCCESS) {
        cuda_ctx_restore(cp->context, saved);
        return cuda_result(res, "cuIpcOpenMemHandle");
    }
    uintptr_t p;
    if (__builtin_add_overflow((uintptr_t)dptr, in.offset, &p)) {
        LOG_ERR("IPC handle with a bad offset %llu",
                (unsigned long long)in.offset);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    } else if (in.offset != 0) {
        ret = cuda_ptrmap_insert(&cp->opened, p, (uintptr_t)dptr);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        (void)cuda_drv.cuIpcCloseMemHandle(dptr);
        cuda_ctx_restore(cp->context, saved);
        return ret;
    }
    cuda_ctx_restore(cp->context, saved);
    *ptr = (void *)p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t cuda_ipc_close(void *provider, void *ptr, size_t size) {
    cuda_provider_t *cp = provider;
    (void)size;
    UMF_CHECK(cp != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!cuda_ipc_supported(cp)) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    uintptr_t base = cuda_ptrmap_base(&cp->opened, (uintptr_t)ptr, true);
    CUcontext saved;
    umf_result_t ret = cuda_ctx_enter(cp->context, &saved);
    if (ret == UMF_RESULT_SUCCESS) {
        CUresult res = cuda_drv.cuIpcCloseMemHandle((CUdeviceptr)base);
        cuda_ctx_restore(cp->context, saved);
        if (res != CUDA_SUCCESS) {
            ret = cuda_result(res, "cuIpcCloseMemHandle");
        }
    }
    if (ret != UMF_RESULT_SUCCESS && base != (uintptr_t)ptr) {
        (void)cuda_ptrmap_insert(&cp->opened, (uintptr_t)ptr, base);
    }
    return ret;
}
