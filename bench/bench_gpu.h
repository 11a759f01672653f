/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_gpu.h -- what a GPU backend gives bench_gpu.c: how to make its
 * provider for device memory and how to allocate that memory raw, so that
 * one benchmark compares a disjoint pool with the raw driver calls for
 * every GPU provider. Each backend lives in bench_gpu_<name>.c. */
#ifndef UMF_BENCH_GPU_H
#define UMF_BENCH_GPU_H 1

#include <stddef.h>

#include <umf/memory_provider.h>

typedef struct bench_gpu_backend_t {
    const char *name; /* the provider's name: "CUDA", "LEVEL_ZERO" */
    /* Load and initialise the driver and pick device 0. Returns NULL, or
     * why the backend cannot run (no driver, no device); then nothing
     * else is called. */
    const char *(*init)(void);
    /* A provider of device memory on device 0, or NULL. */
    umf_memory_provider_handle_t (*provider_create)(void);
    /* The driver's own allocation and free of device memory; raw_alloc
     * returns NULL on failure. Called from several threads at once. */
    void *(*raw_alloc)(size_t size);
    void (*raw_free)(void *ptr);
    /* Undo init (optional). */
    void (*fini)(void);
} bench_gpu_backend_t;

/* Each backend file defines one of these (bench_gpu.c refers to them
 * weakly, so a program built without a backend still links). */
extern const bench_gpu_backend_t bench_gpu_cuda;
extern const bench_gpu_backend_t bench_gpu_level_zero;

#endif /* UMF_BENCH_GPU_H */
