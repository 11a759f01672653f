/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero_internal.h -- shared by the Level Zero provider's
 * files: the params (provider_level_zero_params.c), the loader's entry
 * points found at run time (provider_level_zero_loader.c), the provider
 * (provider_level_zero.c) and its IPC (provider_level_zero_ipc.c).
 *
 * ze_api.h is included for its types only: libumf never links
 * libze_loader; every call goes through ze_api (see the loader file). */
#ifndef UMF_PROVIDER_LEVEL_ZERO_INTERNAL_H
#define UMF_PROVIDER_LEVEL_ZERO_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ze_api.h>

#include <umf/providers/provider_level_zero.h>

/* What the params handle holds (defaults: everything 0/NULL, type UNKNOWN,
 * free policy DEFAULT). */
struct umf_level_zero_memory_provider_params_t {
    ze_context_handle_t context;
    ze_device_handle_t device;
    umf_usm_memory_type_t memory_type;
    ze_device_handle_t *resident; /* umf_ba copy */
    uint32_t resident_count;
    umf_level_zero_memory_provider_free_policy_t free_policy;
    uint32_t ordinal;
};

/* The loader's entry points the provider calls. */
typedef struct ze_api_t {
    ze_result_t (*zeInit)(ze_init_flags_t);
    ze_result_t (*zeDeviceGetProperties)(ze_device_handle_t,
                                         ze_device_properties_t *);
    ze_result_t (*zeMemAllocHost)(ze_context_handle_t,
                                  const ze_host_mem_alloc_desc_t *, size_t,
                                  size_t, void **);
    ze_result_t (*zeMemAllocDevice)(ze_context_handle_t,
                                    const ze_device_mem_alloc_desc_t *, size_t,
                                    size_t, ze_device_handle_t, void **);
    ze_result_t (*zeMemAllocShared)(ze_context_handle_t,
                                    const ze_device_mem_alloc_desc_t *,
                                    const ze_host_mem_alloc_desc_t *, size_t,
                                    size_t, ze_device_handle_t, void **);
    ze_result_t (*zeMemFree)(ze_context_handle_t, void *);
    ze_result_t (*zeMemGetAllocProperties)(ze_context_handle_t, const void *,
                                           ze_memory_allocation_properties_t *,
                                           ze_device_handle_t *);
    ze_result_t (*zeContextMakeMemoryResident)(ze_context_handle_t,
                                               ze_device_handle_t, void *,
                                               size_t);
    ze_result_t (*zeMemGetIpcHandle)(ze_context_handle_t, const void *,
                                     ze_ipc_mem_handle_t *);
    ze_result_t (*zeMemOpenIpcHandle)(ze_context_handle_t, ze_device_handle_t,
                                      ze_ipc_mem_handle_t,
                                      ze_ipc_memory_flags_t, void **);
    ze_result_t (*zeMemCloseIpcHandle)(ze_context_handle_t, const void *);
    /* optional: NULL when the loader lacks them (zeMemFreeExt is API 1.3,
     * zeMemPutIpcHandle 1.6) */
    ze_result_t (*zeMemFreeExt)(ze_context_handle_t,
                                const ze_memory_free_ext_desc_t *, void *);
    ze_result_t (*zeMemPutIpcHandle)(ze_context_handle_t, ze_ipc_mem_handle_t);
} ze_api_t;

/* Filled once by ze_api_load; read-only afterwards. */
extern ze_api_t ze_api;

/* Load libze_loader.so.1 (already in the process, or from the system),
 * find its entry points and run zeInit once. SUCCESS, or
 * DEPENDENCY_UNAVAILABLE after one log line saying what is missing: the
 * loader, an entry point, or a driver (zeInit failed; nothing else is
 * called then, as the loader cannot be used after a failed driver init). */
umf_result_t ze_api_load(void);

/* "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY" for a known result, else NULL. */
const char *ze_result_name(ze_result_t r);

/* Record what `call` returned as the calling thread's native error and
 * map it: out of host or device memory -> OUT_OF_HOST_MEMORY; a bad
 * argument, size or handle -> INVALID_ARGUMENT; a bad alignment ->
 * INVALID_ALIGNMENT; an unsupported feature -> NOT_SUPPORTED; anything
 * else -> MEMORY_PROVIDER_SPECIFIC. Logs the failure. */
umf_result_t ze_provider_error(const char *call, ze_result_t r);

/* Record a native error that is no ze_result_t of the driver (an errno
 * from pidfd_getfd), code ZE_RESULT_ERROR_UNKNOWN. */
void ze_provider_error_errno(const char *what, int err_no);

/* get_last_native_error of the provider. */
void ze_provider_native_error(void *provider, const char **ppMessage,
                              int32_t *pError);

/* A provider instance. Read-only after initialize, but min_page_size
 * (atomic; 0 until the first allocation tells it). */
typedef struct ze_provider_t {
    ze_context_handle_t context;
    ze_device_handle_t device; /* NULL for host memory */
    umf_usm_memory_type_t memory_type;
    ze_device_handle_t *resident; /* umf_ba copy */
    uint32_t resident_count;
    umf_level_zero_memory_provider_free_policy_t free_policy;
    uint32_t ordinal;
    uint64_t max_alloc_size; /* the device's maxMemAllocSize; 0: unknown */
    size_t min_page_size;
} ze_provider_t;

/* The IPC ops (provider_level_zero_ipc.c). */
umf_result_t ze_ipc_handle_size(void *provider, size_t *size);
umf_result_t ze_ipc_get(void *provider, const void *ptr, size_t size,
                        void *providerIpcData);
umf_result_t ze_ipc_put(void *provider, void *providerIpcData);
umf_result_t ze_ipc_open(void *provider, void *providerIpcData, void **ptr);
umf_result_t ze_ipc_close(void *provider, void *ptr, size_t size);

#endif /* UMF_PROVIDER_LEVEL_ZERO_INTERNAL_H */
