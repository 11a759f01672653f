/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_memory.c -- the OS memory provider: anonymous private mmap.
 *
 * This issue implements PRIVATE visibility without NUMA binding. SHARED
 * visibility (memfd/shm_open backing file, IPC) and the NUMA modes arrive with
 * the shared-memory and NUMA work: their parameters are stored and validated
 * now, and initialize answers NOT_SUPPORTED for them.
 *
 * Decisions:
 * - alloc(size 0) is INVALID_ARGUMENT (the reference maps 0 bytes, which
 *   fails as PROVIDER_SPECIFIC/ALLOC_FAILED; a zero-byte mapping is never
 *   what the caller meant, so it is an argument error here).
 * - size + alignment overflowing size_t gives OUT_OF_HOST_MEMORY: no address
 *   space can hold the request. A size mmap itself refuses (SIZE_MAX with
 *   alignment 0) stays PROVIDER_SPECIFIC/ALLOC_FAILED as in the reference.
 * - Both page sizes are the system page size, for every size and pointer.
 * - get_ipc_handle_size reports sizeof(os_ipc_data_t) even for PRIVATE
 *   visibility; the other four IPC ops give INVALID_ARGUMENT for PRIVATE, as
 *   the reference does.
 * - A shm name must be non-empty, hold no '/', and be at most NAME_MAX - 1
 *   bytes (a '/' is prepended for shm_open). */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>

#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_os_memory.h>

#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/utils_internal.h"

#define OS_PROTECTION_ALL                                                      \
    (UMF_PROTECTION_NONE | UMF_PROTECTION_READ | UMF_PROTECTION_WRITE |        \
     UMF_PROTECTION_EXEC)

struct umf_os_memory_provider_params_t {
    unsigned protection;                /* UMF_PROTECTION_* bits */
    umf_memory_visibility_t visibility; /* PRIVATE or SHARED */
    char *shm_name;                     /* NULL: anonymous backing file */
    unsigned *numa_list;                /* node ids (OS indexes) */
    unsigned numa_list_len;
    umf_numa_mode_t numa_mode;
    size_t part_size; /* INTERLEAVE chunk size; 0 = kernel interleave */
    umf_numa_split_partition_t *partitions; /* SPLIT weights and node ids */
    unsigned partitions_len;
};

typedef struct os_provider_t {
    int mmap_prot;       /* PROT_* derived from the protection flags */
    unsigned protection; /* UMF_PROTECTION_* as given */
    umf_memory_visibility_t visibility;
    size_t page_size;
} os_provider_t;

/* Blob handed out by get_ipc_handle for SHARED visibility (filled by the
 * shared-memory work). Fixed-width fields so producer and consumer agree
 * whatever they were compiled with. */
typedef struct os_ipc_data_t {
    int32_t pid;
    int32_t fd;
    uint64_t fd_offset;
    uint64_t size;
    uint32_t protection;
    uint32_t visibility;
    uint32_t shm_name_len;
    char shm_name[NAME_MAX + 1];
} os_ipc_data_t;

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

static void os_store_native_error(umf_os_memory_provider_native_error_t code,
                                  int err_no) {
    utils_native_error_set(
        &os_last_native_error, (int32_t)code,
        os_native_error_str[code - UMF_OS_RESULTS_START_FROM], err_no);
}

/* ---------------------------------------------------------------------- */
/* Parameters                                                             */
/* ---------------------------------------------------------------------- */

static bool os_protection_valid(unsigned protection) {
    if (protection == 0 || (protection & ~(unsigned)OS_PROTECTION_ALL)) {
        return false;
    }
    /* NONE means "no access" and cannot be combined with an access bit */
    if ((protection & UMF_PROTECTION_NONE) &&
        protection != UMF_PROTECTION_NONE) {
        return false;
    }
    return true;
}

static int os_protection_to_prot(unsigned protection) {
    int prot = PROT_NONE;
    if (protection & UMF_PROTECTION_READ) {
        prot |= PROT_READ;
    }
    if (protection & UMF_PROTECTION_WRITE) {
        prot |= PROT_WRITE;
    }
    if (protection & UMF_PROTECTION_EXEC) {
        prot |= PROT_EXEC;
    }
    return prot;
}

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
    if (!os_protection_valid(protection)) {
        LOG_ERR("invalid memory protection flags: 0x%x", protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->protection = protection;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetVisibility(
    umf_os_memory_provider_params_handle_t hParams,
    umf_memory_visibility_t visibility) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (visibility != UMF_MEM_MAP_PRIVATE && visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("invalid memory visibility: %d", (int)visibility);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hParams->visibility = visibility;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfOsMemoryProviderParamsSetShmName(
    umf_os_memory_provider_params_handle_t hParams, const char *shm_name) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    char *copy = NULL;
    if (shm_name != NULL) {
        /* strnlen: never read past what a valid name can hold */
        size_t len = strnlen(shm_name, NAME_MAX);
        if (len == 0) {
            LOG_ERR("the name of a shared memory file must not be empty");
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
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
/* Provider ops                                                           */
/* ---------------------------------------------------------------------- */

/* The NUMA list must fit the mode: DEFAULT and LOCAL bind nowhere in
 * particular, BIND, INTERLEAVE and SPLIT need nodes, PREFERRED takes either. */
static umf_result_t
os_validate_numa(const struct umf_os_memory_provider_params_t *p,
                 size_t page_size) {
    bool empty = p->numa_list_len == 0;
    switch (p->numa_mode) {
    case UMF_NUMA_MODE_DEFAULT:
    case UMF_NUMA_MODE_LOCAL:
        if (!empty) {
            LOG_ERR("NUMA mode %d takes no NUMA node list (got %u nodes)",
                    (int)p->numa_mode, p->numa_list_len);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        break;
    case UMF_NUMA_MODE_BIND:
    case UMF_NUMA_MODE_INTERLEAVE:
    case UMF_NUMA_MODE_SPLIT:
        if (empty) {
            LOG_ERR("NUMA mode %d needs a non-empty NUMA node list",
                    (int)p->numa_mode);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        break;
    case UMF_NUMA_MODE_PREFERRED:
        break;
    default:
        LOG_ERR("invalid NUMA mode: %d", (int)p->numa_mode);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    for (unsigned i = 0; i < p->partitions_len; i++) {
        if (p->partitions[i].weight == 0) {
            LOG_ERR("NUMA partition %u has weight 0", i);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
        bool found = false;
        for (unsigned j = 0; j < p->numa_list_len && !found; j++) {
            found = p->numa_list[j] == p->partitions[i].target;
        }
        if (!found) {
            LOG_ERR("NUMA partition %u targets node %u, which is not in the "
                    "NUMA node list",
                    i, p->partitions[i].target);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }

    size_t rounded;
    if (p->numa_mode == UMF_NUMA_MODE_INTERLEAVE &&
        !utils_align_up_checked(p->part_size, page_size, &rounded)) {
        LOG_ERR("interleave part size %zu overflows when rounded up to the "
                "page size %zu",
                p->part_size, page_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

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
    if (!os_protection_valid(p->protection)) {
        LOG_ERR("invalid memory protection flags: 0x%x", p->protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (p->visibility != UMF_MEM_MAP_PRIVATE &&
        p->visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("invalid memory visibility: %d", (int)p->visibility);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = os_validate_numa(p, page_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }

    if (p->visibility == UMF_MEM_MAP_SHARED) {
        LOG_ERR("UMF_MEM_MAP_SHARED visibility is not supported yet: it "
                "arrives with the shared-memory/NUMA work");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (p->numa_mode != UMF_NUMA_MODE_DEFAULT || p->numa_list_len > 0) {
        LOG_ERR("NUMA binding (mode %d, %u nodes) is not supported yet: it "
                "arrives with the shared-memory/NUMA work",
                (int)p->numa_mode, p->numa_list_len);
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }

    os_provider_t *os = umf_ba_calloc(1, sizeof(*os));
    if (!os) {
        LOG_ERR("allocating the OS memory provider failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    os->protection = p->protection;
    os->mmap_prot = os_protection_to_prot(p->protection);
    os->visibility = p->visibility;
    os->page_size = page_size;

    *provider = os;
    return UMF_RESULT_SUCCESS;
}

static void os_finalize(void *provider) { umf_ba_free(provider); }

static bool os_alignment_valid(size_t alignment, size_t page_size) {
    return alignment == 0 || alignment % page_size == 0 ||
           page_size % alignment == 0;
}

static umf_result_t os_alloc(void *provider, size_t size, size_t alignment,
                             void **resultPtr) {
    if (provider == NULL || resultPtr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    size_t page_size = os->page_size;

    if (size == 0) {
        LOG_ERR("cannot allocate 0 bytes");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!os_alignment_valid(alignment, page_size)) {
        LOG_ERR("alignment %zu is neither a multiple nor a divisor of the "
                "page size %zu",
                alignment, page_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    /* Alignments up to a page come for free with mmap; bigger ones are cut
     * out of a mapping that is one alignment longer. */
    bool over_map = alignment > page_size;
    size_t map_len = size;
    if (over_map && utils_add_overflow(size, alignment, &map_len)) {
        LOG_ERR("size %zu plus alignment %zu overflows", size, alignment);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }

    void *addr =
        mmap(NULL, map_len, os->mmap_prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (addr == MAP_FAILED) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_PERR("memory allocation of %zu bytes failed", map_len);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    if (over_map) {
        uintptr_t base = (uintptr_t)addr;
        uintptr_t aligned = base;
        size_t rem = base % alignment; /* alignment need not be a power of 2 */
        if (rem) {
            aligned += alignment - rem;
        }
        /* alignment is a multiple of the page size, so aligned is too */
        size_t head = aligned - base;
        /* end of the used part, rounded up to a page; it never passes the
         * end of the mapping because head + size <= size + alignment */
        uintptr_t used_end = aligned + size;
        size_t tail_rem = used_end % page_size;
        if (tail_rem) {
            used_end += page_size - tail_rem;
        }
        uintptr_t map_end = base + map_len;
        if (map_len % page_size) {
            map_end += page_size - map_len % page_size;
        }
        if (head > 0) {
            (void)munmap(addr, head);
        }
        if (map_end > used_end) {
            (void)munmap((void *)used_end, map_end - used_end);
        }
        addr = (void *)aligned;
    }

    if (alignment > 0 && (uintptr_t)addr % alignment) {
        /* cannot happen with mmap's page-aligned results; kept as a guard */
        os_store_native_error(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED, 0);
        LOG_ERR("allocated address %p is not aligned to %zu bytes", addr,
                alignment);
        (void)munmap(addr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    *resultPtr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("memory deallocation of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static void os_get_last_native_error(void *provider, const char **ppMessage,
                                     int32_t *pError) {
    (void)provider;
    utils_native_error_get(&os_last_native_error, ppMessage, pError);
}

static umf_result_t os_get_recommended_page_size(void *provider, size_t size,
                                                 size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((os_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_min_page_size(void *provider, void *ptr,
                                         size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((os_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

static const char *os_get_name(void *provider) {
    (void)provider;
    return "OS";
}

static umf_result_t os_purge_lazy(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (madvise(ptr, size, MADV_FREE) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED, err);
        LOG_PERR("lazy purging of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, err);
        LOG_PERR("force purging of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* Private anonymous mappings carry no per-range metadata, so split and merge
 * have nothing to update; munmap works on any page range. */
static umf_result_t os_allocation_merge(void *provider, void *lowPtr,
                                        void *highPtr, size_t totalSize) {
    (void)lowPtr;
    (void)highPtr;
    (void)totalSize;
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_allocation_split(void *provider, void *ptr,
                                        size_t totalSize, size_t firstSize) {
    (void)ptr;
    (void)totalSize;
    (void)firstSize;
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *size = sizeof(os_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

/* Private mappings cannot be shared: every IPC op except the size query is
 * an argument error for them (the reference does the same). */
static umf_result_t os_ipc_private_error(const os_provider_t *os,
                                         const char *what) {
    (void)os;
    LOG_ERR("%s: memory of an OS provider with UMF_MEM_MAP_PRIVATE "
            "visibility cannot be shared",
            what);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static umf_result_t os_get_ipc_handle(void *provider, const void *ptr,
                                      size_t size, void *providerIpcData) {
    (void)size;
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return os_ipc_private_error(provider, "get_ipc_handle");
}

static umf_result_t os_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return os_ipc_private_error(provider, "put_ipc_handle");
}

static umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData,
                                       void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return os_ipc_private_error(provider, "open_ipc_handle");
}

static umf_result_t os_close_ipc_handle(void *provider, void *ptr,
                                        size_t size) {
    (void)size;
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return os_ipc_private_error(provider, "close_ipc_handle");
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
