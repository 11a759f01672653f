/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* gpu_params_internal.h -- what the GPU providers' params functions (CUDA,
 * Level Zero) check and do the same way. */
#ifndef UMF_GPU_PARAMS_INTERNAL_H
#define UMF_GPU_PARAMS_INTERNAL_H 1

#include <stddef.h>

#include <umf/base.h>
#include <umf/memory_provider_gpu.h>

/* A zeroed params struct of size bytes from the base allocator, or NULL
 * with a log line naming the provider ("CUDA", "Level Zero"). */
void *gpu_params_alloc(size_t size, const char *provider_name);

/* Stores memory_type in *dst if it is HOST, DEVICE or SHARED; otherwise
 * INVALID_ARGUMENT with a log line and *dst unchanged. */
umf_result_t gpu_params_set_memory_type(umf_usm_memory_type_t *dst,
                                        umf_usm_memory_type_t memory_type);

#endif /* UMF_GPU_PARAMS_INTERNAL_H */
