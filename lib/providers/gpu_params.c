/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* gpu_params.c -- the GPU providers' shared params checks
 * (gpu_params_internal.h). */
#include "providers/gpu_params_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"

void *gpu_params_alloc(size_t size, const char *provider_name) {
    void *p = umf_ba_calloc(1, size);
    if (!p) {
        LOG_ERR("cannot allocate %s provider params", provider_name);
    }
    return p;
}

umf_result_t gpu_params_set_memory_type(umf_usm_memory_type_t *dst,
                                        umf_usm_memory_type_t memory_type) {
    if (memory_type != UMF_MEMORY_TYPE_HOST &&
        memory_type != UMF_MEMORY_TYPE_DEVICE &&
        memory_type != UMF_MEMORY_TYPE_SHARED) {
        LOG_ERR("invalid memory type %d (HOST, DEVICE or SHARED)",
                (int)memory_type);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *dst = memory_type;
    return UMF_RESULT_SUCCESS;
}
