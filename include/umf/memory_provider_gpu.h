/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_provider_gpu.h -- definitions shared by the GPU memory providers */
#ifndef UMF_MEMORY_PROVIDER_GPU_H
#define UMF_MEMORY_PROVIDER_GPU_H 1

#include <umf/memory_provider.h>

#ifdef __cplusplus
extern "C" {
#endif

/* USM memory allocation type */
typedef enum umf_usm_memory_type_t {
    UMF_MEMORY_TYPE_UNKNOWN = 0,
    UMF_MEMORY_TYPE_HOST,
    UMF_MEMORY_TYPE_DEVICE,
    UMF_MEMORY_TYPE_SHARED,
} umf_usm_memory_type_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_MEMORY_PROVIDER_GPU_H */
