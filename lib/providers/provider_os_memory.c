/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_memory.c -- the OS memory provider: its params, create and
 * destroy, the last native error, and the ops table. The provider's other
 * parts live beside it, sharing provider_os_memory_internal.h:
 * - provider_os_mapping.c: alloc and free of PRIVATE memory (mmap), page
 *   sizes, purge;
 * - provider_os_numa.c: NUMA node lists, masks and binding;
 * - provider_os_shared.c: SHARED visibility (memfd or shm backing file),
 *   its alloc, free, split and merge;
 * - provider_os_ipc.c: IPC handles of SHARED memory.
 *
 * PRIVATE visibility: anonymous private mappings, one per allocation.
 * SHARED visibility: one backing file per provider (provider_os_shared.c).
 *
 * Decisions:
 * - A shm name must hold no '/' and be at most NAME_MAX - 1 bytes (a '/'
 *   is prepended for shm_open); NULL or "" means no name (a memfd). */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_os_memory.h>

#include "core/fork_internal.h"
#include "providers/provider_os_memory_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/protection_internal.h"
#include "util/utils_internal.h"

static __thread utils_native_error_t os_last_native_error;

static const char *const os_native_error_str[] = {
    [UMF_OS_RESULT_SUCCESS - UMF_OS_RESULTS_START_FROM] = "success",
    [UMF_OS_RESULT_ERROR_ALLOC_FAILED - UMF_OS_RESULTS_START_FROM] =
        "memory allocation failed",
    [UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED - UMF_OS_RESULTS_START_FROM] =
        "allocated address is not aligned",
    [UMF_OS_RESULT_ERROR_BIND_FAILED - UMF_OS_RESULTS_START_FROM] =
        "binding memory to NUMA node failed",
    [UMF_OS_RESULT_ERROR_FREE_FAILED - UMF_OS_RESULTS_START_FROM] =
        "memory deallocation failed",
    [UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED - UMF_OS_RESULTS_START_FROM] =
        "lazy purging failed",
    [UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED - UMF_OS_RESULTS_START_FROM] =
        "force purging failed",
    [UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED - UMF_OS_RESULTS_START_FROM] =
        "HWLOC topology discovery failed",
};

void os_store_native_error(umf_os_memory_provider_native_error_t code,
                           int err_no) {
    utils_native_error_set(
        &os_last_native_error, (int32_t)code,
        os_native_error_str[code - UMF_OS_RESULTS_START_FROM], err_no);
}

/* ---------------------------------------------------------------------- */
/* Parameters                                                             */
/* ---------------------------------------------------------------------- */

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsCreate(
    umf_os_memory_provider_params_handle_t *hParams) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_os_memory_provider_params_handle_t p = umf_ba_calloc(1, sizeof(*p));
    if (!p) {
        LOG_ERR("allocating OS memory provider params failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    p->visibility = UMF_MEM_MAP_PRIVATE;
    p->shm_name = NULL;
    p->numa_list = NULL;
    p->numa_list_len = 0;
    p->numa_mode = UMF_NUMA_MODE_DEFAULT;
    p->part_size = 0;
    p->partitions = NULL;
    p->partitions_len = 0;

    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsDestroy(
    umf_os_memory_provider_params_handle_t hParams) {
    if (hParams == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    umf_ba_free(hParams->shm_name);
    umf_ba_free(hParams->numa_list);
    umf_ba_free(hParams->partitions);
    umf_ba_free(hParams);
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetProtection(
    umf_os_memory_provider_params_handle_t hParams, unsigned protection) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = utils_check_protection(protection);
    if (ret == UMF_RESULT_SUCCESS) {
        hParams->protection = protection;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetVisibility(
    umf_os_memory_provider_params_handle_t hParams,
    umf_memory_visibility_t visibility) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = utils_check_visibility(visibility);
    if (ret == UMF_RESULT_SUCCESS) {
        hParams->visibility = visibility;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetShmName(
    umf_os_memory_provider_params_handle_t hParams, const char *shm_name) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    char *copy = NULL;
    /* NULL or "" (as in the reference): no name, an anonymous memfd */
    if (shm_name != NULL && shm_name[0] != '\0') {
        /* strnlen: never read past what a valid name can hold */
        size_t len = strnlen(shm_name, NAME_MAX);
        if (len > NAME_MAX - 1) {
            LOG_ERR("the name of a shared memory file is longer than %d bytes",
                    NAME_MAX - 1);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        if (memchr(shm_name, '/', len) != NULL) {
            LOG_ERR("the name of a shared memory file must not contain '/': "
                    "%s",
                    shm_name);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        copy = umf_ba_alloc(len + 1);
        if (!copy) {
            LOG_ERR("allocating the shared memory file name failed");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, shm_name, len);
        copy[len] = '\0';
    }
    umf_ba_free(hParams->shm_name);
    hParams->shm_name = copy;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetNumaList(
    umf_os_memory_provider_params_handle_t hParams, unsigned *numa_list,
    unsigned numa_list_len) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(numa_list != NULL || numa_list_len == 0,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);

    unsigned *copy = NULL;
    if (numa_list_len > 0) {
        copy = umf_ba_calloc(numa_list_len, sizeof(*copy));
        if (!copy) {
            LOG_ERR("allocating the NUMA node list failed");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, numa_list, (size_t)numa_list_len * sizeof(*copy));
    }
    umf_ba_free(hParams->numa_list);
    hParams->numa_list = copy;
    hParams->numa_list_len = numa_list_len;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetNumaMode(
    umf_os_memory_provider_params_handle_t hParams, umf_numa_mode_t numa_mode) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    switch (numa_mode) {
    case UMF_NUMA_MODE_DEFAULT:
    case UMF_NUMA_MODE_BIND:
    case UMF_NUMA_MODE_INTERLEAVE:
    case UMF_NUMA_MODE_PREFERRED:
    case UMF_NUMA_MODE_SPLIT:
    case UMF_NUMA_MODE_LOCAL:
        hParams->numa_mode = numa_mode;
        return UMF_RESULT_SUCCESS;
    }
    LOG_ERR("invalid NUMA mode: %d", (int)numa_mode);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetPartSize(
    umf_os_memory_provider_params_handle_t hParams, size_t part_size) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->part_size = part_size;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetPartitions(
    umf_os_memory_provider_params_handle_t hParams,
    umf_numa_split_partition_t *partitions, unsigned partitions_len) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(partitions != NULL || partitions_len == 0,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_numa_split_partition_t *copy = NULL;
    if (partitions_len > 0) {
        copy = umf_ba_calloc(partitions_len, sizeof(*copy));
        if (!copy) {
            LOG_ERR("allocating the NUMA partitions failed");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        memcpy(copy, partitions, (size_t)partitions_len * sizeof(*copy));
    }
    umf_ba_free(hParams->partitions);
    hParams->partitions = copy;
    hParams->partitions_len = partitions_len;
    return UMF_RESULT_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Create and destroy                                                     */
/* ---------------------------------------------------------------------- */

static umf_result_t os_initialize(void *params, void **provider) {
    if (params == NULL || provider == NULL) {
        LOG_ERR("the OS memory provider needs params and an out-pointer");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    const struct umf_os_memory_provider_params_t *p = params;
    size_t page_size = utils_page_size();

    if (p->visibility == UMF_MEM_MAP_SHARED &&
        p->numa_mode != UMF_NUMA_MODE_DEFAULT) {
        LOG_ERR("only UMF_NUMA_MODE_DEFAULT is supported with "
                "UMF_MEM_MAP_SHARED visibility");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    /* Params are validated by the setters; check again in case the handle
     * was filled by someone else (e.g. the memspace code). */
    umf_result_t ret = utils_check_protection(p->protection);
    if (ret == UMF_RESULT_SUCCESS) {
        ret = utils_check_visibility(p->visibility);
    }
    if (ret == UMF_RESULT_SUCCESS) {
        ret = os_validate_numa(p, page_size);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }

    os_provider_t *os = umf_ba_calloc(1, sizeof(*os));
    if (!os) {
        LOG_ERR("allocating the OS memory provider failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    os->protection = p->protection;
    os->mmap_prot = utils_protection_to_mmap(p->protection);
    os->visibility = p->visibility;
    os->page_size = page_size;
    os->fd = -1;

    ret = os_numa_init(os, p);
    if (ret == UMF_RESULT_SUCCESS && p->visibility == UMF_MEM_MAP_SHARED) {
        if (pthread_mutex_init(&os->lock, NULL) != 0) {
            LOG_ERR("initialising the provider mutex failed");
            ret = UMF_RESULT_ERROR_UNKNOWN;
        } else {
            ret = os_shared_init(os, p->shm_name);
            if (ret != UMF_RESULT_SUCCESS) {
                os_shared_fini(os);
                pthread_mutex_destroy(&os->lock);
            } else {
                os->fork = (umf_fork_handler_t){
                    .prepare = os_fork_prepare,
                    .parent = os_fork_parent,
                    .child = os_fork_child,
                    .arg = os,
                    .level = UMF_FORK_LEVEL_PROVIDER,
                };
                umf_fork_register(&os->fork);
            }
        }
    }
    if (ret != UMF_RESULT_SUCCESS) {
        os_numa_free(os);
        umf_ba_free(os);
        return ret;
    }
    *provider = os;
    return UMF_RESULT_SUCCESS;
}

static void os_finalize(void *provider) {
    os_provider_t *os = provider;
    if (!os) {
        return;
    }
    if (os->visibility == UMF_MEM_MAP_SHARED) {
        umf_fork_unregister(&os->fork);
        os_shared_fini(os);
        pthread_mutex_destroy(&os->lock);
    }
    os_numa_free(os);
    umf_ba_free(os);
}

/* ---------------------------------------------------------------------- */
/* Information and the ops table                                          */
/* ---------------------------------------------------------------------- */

static void os_get_last_native_error(void *provider, const char **ppMessage,
                                     int32_t *pError) {
    (void)provider;
    utils_native_error_get(&os_last_native_error, ppMessage, pError);
}

static const char *os_get_name(void *provider) {
    (void)provider;
    return "OS";
}

static umf_memory_provider_ops_t os_memory_provider_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = os_initialize,
    .finalize = os_finalize,
    .alloc = os_alloc,
    .free = os_free,
    .get_last_native_error = os_get_last_native_error,
    .get_recommended_page_size = os_get_recommended_page_size,
    .get_min_page_size = os_get_min_page_size,
    .get_name = os_get_name,
    .ext.purge_lazy = os_purge_lazy,
    .ext.purge_force = os_purge_force,
    .ext.allocation_merge = os_allocation_merge,
    .ext.allocation_split = os_allocation_split,
    .ipc.get_ipc_handle_size = os_get_ipc_handle_size,
    .ipc.get_ipc_handle = os_get_ipc_handle,
    .ipc.put_ipc_handle = os_put_ipc_handle,
    .ipc.open_ipc_handle = os_open_ipc_handle,
    .ipc.close_ipc_handle = os_close_ipc_handle,
};

UMF_EXPORT umf_memory_provider_ops_t *umfOsMemoryProviderOps(void) {
    return &os_memory_provider_ops;
}
