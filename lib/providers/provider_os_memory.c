/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_memory.c -- the OS memory provider: mmap, NUMA binding, shared
 * memory.
 *
 * PRIVATE visibility: anonymous private mappings, one per allocation.
 *
 * SHARED visibility: one backing file per provider, a memfd (anonymous) or a
 * POSIX shared-memory object (umfOsMemoryProviderParamsSetShmName). Each
 * allocation maps its own range of the file with MAP_SHARED; the ranges
 * are handed out by a coarse instance over the file's offset space, so a
 * freed range is reused (the reference never reuses offsets). Freeing
 * punches a hole, which gives the pages back and makes the next user of
 * the offsets see zeros as with fresh anonymous memory. The file is grown
 * (sparse, ftruncate) as offsets are used. A hash map takes an allocation's
 * address to its offset and size; split and merge keep it and the coarse
 * blocks in step. The backing fd is closed and a named object unlinked at
 * destroy (the reference leaks both).
 *
 * IPC (SHARED only): the handle names the file (producer pid + fd for a
 * memfd, taken with pidfd_getfd(2); or the shm name) and the range. Opening
 * maps the range with the *opening* provider's protection. For a memfd the
 * producer calls prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY) once, for hosts
 * whose Yama ptrace_scope would refuse pidfd_getfd; EINVAL (no Yama) is
 * ignored. The consumer never unlinks a named object: the producer's
 * destroy does.
 *
 * NUMA (PRIVATE only; SHARED with a mode other than DEFAULT is
 * NOT_SUPPORTED, as in the reference): node lists are checked against the
 * process-wide hwloc topology (lib/topology) at create, node masks are
 * built once, and every allocation is bound with mbind right after mmap:
 * - BIND: MPOL_BIND over the list (strict);
 * - PREFERRED: the list preferred (MPOL_PREFERRED_MANY where the kernel has
 *   it, else the first node); an empty list prefers the local node;
 * - INTERLEAVE: MPOL_INTERLEAVE over the list, or with part_size > 0 the
 *   allocation cut in part_size chunks, chunk i preferring node i % n;
 * - SPLIT: the pages cut in proportion to the partitions' weights (equal
 *   weights over the list when no partition is given), each part preferring
 *   its partition's node;
 * - LOCAL: MPOL_LOCAL (the node of the CPU that first touches a page).
 * A binding failure other than ENOSYS unmaps the range and gives
 * PROVIDER_SPECIFIC / BIND_FAILED. Without hwloc every mode but DEFAULT is
 * NOT_SUPPORTED; a topology that cannot be loaded gives PROVIDER_SPECIFIC /
 * TOPO_DISCOVERY_FAILED at create.
 *
 * Decisions:
 * - alloc(size 0) is INVALID_ARGUMENT (the reference maps 0 bytes, which
 *   fails as PROVIDER_SPECIFIC/ALLOC_FAILED; a zero-byte mapping is never
 *   what the caller meant, so it is an argument error here).
 * - size + alignment overflowing size_t gives OUT_OF_HOST_MEMORY: no address
 *   space can hold the request. A size mmap itself refuses (SIZE_MAX with
 *   alignment 0) stays PROVIDER_SPECIFIC/ALLOC_FAILED as in the reference.
 * - Both page sizes are the system page size, for every size and pointer.
 * - All five IPC ops, get_ipc_handle_size included, give INVALID_ARGUMENT
 *   for PRIVATE visibility, as the reference does: a pool over such a
 *   provider reports no handle size and makes no handles.
 * - A shm name must hold no '/' and be at most NAME_MAX - 1 bytes (a '/'
 *   is prepended for shm_open); NULL or "" means no name (a memfd).
 * - SHARED free needs the allocation's start and its size (or 0 for the
 *   whole allocation): a part of a shared allocation cannot be freed, since
 *   its offsets are one coarse block (INVALID_ARGUMENT otherwise).
 * - SHARED merge needs the two ranges to be adjacent in the file too
 *   (INVALID_ARGUMENT otherwise): one handle describes one file range.
 * - SHARED purge_lazy is MADV_COLD (MADV_FREE applies to private memory
 *   only); purge_force is MADV_REMOVE, which frees the file's pages. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_os_memory.h>

#include "core/coarse_internal.h"
#include "core/fork_internal.h"
#include "core/ipc_handle_check_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/protection_internal.h"
#include "util/utils_internal.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

/* The backing file's offsets are managed by a coarse instance as if they
 * were addresses: offset o is the "address" OS_OFF_BASE + o (coarse never
 * touches what it manages and rejects NULL). 2^46 bytes (64 TiB) of
 * offsets per provider. */
#define OS_OFF_SPACE ((size_t)1 << 46)
/* the backing file grows by at least this much (it is sparse) */
#define OS_FILE_GROW_MIN ((uint64_t)64 << 20)

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

/* One live SHARED allocation: where it is mapped and which file range. */
typedef struct os_shm_entry_t {
    uintptr_t addr; /* 0: free slot */
    uint64_t off;
    size_t size; /* page rounded */
} os_shm_entry_t;

/* Open-addressing hash map, linear probing, backward-shift deletion. */
typedef struct os_shm_map_t {
    os_shm_entry_t *slots;
    size_t cap; /* power of two */
    size_t count;
} os_shm_map_t;

/* A node binding step of SPLIT or chunked INTERLEAVE. */
typedef struct os_numa_part_t {
    umf_numa_nodemask_t *mask; /* one node */
    unsigned weight;
} os_numa_part_t;

typedef struct os_provider_t {
    int mmap_prot;       /* PROT_* derived from the protection flags */
    unsigned protection; /* UMF_PROTECTION_* as given */
    umf_memory_visibility_t visibility;
    size_t page_size;

    /* NUMA (PRIVATE only) */
    umf_numa_mode_t numa_mode;
    umf_numa_nodemask_t *mask; /* the whole list (may be empty) */
    os_numa_part_t *parts;     /* SPLIT partitions / INTERLEAVE nodes */
    unsigned num_parts;
    uint64_t weight_sum; /* SPLIT */
    size_t part_size;    /* INTERLEAVE chunk, page rounded; 0 = kernel */

    /* SHARED */
    int fd;         /* backing file, -1 for PRIVATE */
    char *shm_name; /* without the leading '/'; NULL for a memfd */
    coarse_t *offsets;
    pthread_mutex_t lock; /* map and file_size */
    os_shm_map_t map;
    uint64_t file_size;
    /* the lock and the offsets are used outside the fork gate by the IPC
     * functions: held across fork (lib/core/fork_internal.h) */
    umf_fork_handler_t fork;
} os_provider_t;

/* Blob handed out by get_ipc_handle for SHARED visibility. Fixed-width
 * fields so producer and consumer agree whatever they were compiled with. */
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
/* The address -> file range map of SHARED allocations                    */
/* ---------------------------------------------------------------------- */

static size_t shm_map_slot(const os_shm_map_t *m, uintptr_t addr) {
    uint64_t h = ((uint64_t)addr >> 12) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (m->cap - 1);
}

static os_shm_entry_t *shm_map_find(os_shm_map_t *m, uintptr_t addr) {
    if (m->cap == 0) {
        return NULL;
    }
    for (size_t i = shm_map_slot(m, addr);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].addr == addr) {
            return &m->slots[i];
        }
        if (m->slots[i].addr == 0) {
            return NULL;
        }
    }
}

static void shm_map_put(os_shm_map_t *m, const os_shm_entry_t *e) {
    size_t i = shm_map_slot(m, e->addr);
    while (m->slots[i].addr != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = *e;
    m->count++;
}

/* Insert a new entry (addr not present); ENOMEM when growing fails. */
static int shm_map_insert(os_shm_map_t *m, uintptr_t addr, uint64_t off,
                          size_t size) {
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        os_shm_entry_t *ns = umf_ba_calloc(ncap, sizeof(*ns));
        if (!ns) {
            return ENOMEM;
        }
        os_shm_map_t nm = {ns, ncap, 0};
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].addr) {
                shm_map_put(&nm, &m->slots[i]);
            }
        }
        umf_ba_free(m->slots);
        *m = nm;
    }
    os_shm_entry_t e = {addr, off, size};
    shm_map_put(m, &e);
    return 0;
}

static void shm_map_remove(os_shm_map_t *m, os_shm_entry_t *e) {
    size_t mask = m->cap - 1;
    size_t i = (size_t)(e - m->slots);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->slots[j].addr == 0) {
            break;
        }
        size_t k = shm_map_slot(m, m->slots[j].addr);
        /* entry j may stay when its home slot k lies cyclically in (i, j] */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].addr = 0;
    m->count--;
}

/* ---------------------------------------------------------------------- */
/* Create and destroy                                                     */
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

/* Translate an errno from the topology layer into a create result. */
static umf_result_t os_topology_error(int err) {
    switch (err) {
    case ENOTSUP:
        LOG_ERR("NUMA modes other than UMF_NUMA_MODE_DEFAULT need hwloc, "
                "which this build of libumf lacks");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    case ENODEV:
        os_store_native_error(UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED, 0);
        LOG_ERR("the hwloc topology could not be loaded");
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    case ENOMEM:
        LOG_ERR("allocating a NUMA node mask failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    default: /* EINVAL: a node that the topology does not have */
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
}

static void os_numa_free(os_provider_t *os) {
    umf_numa_nodemask_destroy(os->mask);
    for (unsigned i = 0; i < os->num_parts; i++) {
        umf_numa_nodemask_destroy(os->parts[i].mask);
    }
    umf_ba_free(os->parts);
}

/* Build the node masks the mode binds with (validation already done). */
static umf_result_t
os_numa_init(os_provider_t *os,
             const struct umf_os_memory_provider_params_t *p) {
    os->numa_mode = p->numa_mode;
    if (p->numa_mode == UMF_NUMA_MODE_DEFAULT) {
        return UMF_RESULT_SUCCESS;
    }
    /* even LOCAL and an empty PREFERRED load the topology: without one
     * this process cannot be said to have NUMA nodes at all */
    int err =
        umf_numa_nodemask_create(p->numa_list, p->numa_list_len, &os->mask);
    if (err) {
        return os_topology_error(err);
    }

    unsigned n = 0;
    if (p->numa_mode == UMF_NUMA_MODE_SPLIT) {
        n = p->partitions_len ? p->partitions_len : p->numa_list_len;
    } else if (p->numa_mode == UMF_NUMA_MODE_INTERLEAVE && p->part_size) {
        n = p->numa_list_len;
        (void)utils_align_up_checked(p->part_size, os->page_size,
                                     &os->part_size);
    }
    if (n == 0) {
        return UMF_RESULT_SUCCESS;
    }
    os->parts = umf_ba_calloc(n, sizeof(*os->parts));
    if (!os->parts) {
        LOG_ERR("allocating the NUMA partitions failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned node = p->numa_list[i % p->numa_list_len];
        unsigned weight = 1;
        if (p->numa_mode == UMF_NUMA_MODE_SPLIT && p->partitions_len) {
            node = p->partitions[i].target;
            weight = p->partitions[i].weight;
        }
        err = umf_numa_nodemask_create(&node, 1, &os->parts[i].mask);
        if (err) {
            return os_topology_error(err);
        }
        os->num_parts = i + 1;
        os->parts[i].weight = weight;
        os->weight_sum += weight;
    }
    return UMF_RESULT_SUCCESS;
}

static void os_shared_fini(os_provider_t *os) {
    coarse_delete(os->offsets);
    os->offsets = NULL;
    umf_ba_free(os->map.slots);
    os->map.slots = NULL;
    if (os->fd >= 0) {
        close(os->fd);
        os->fd = -1;
    }
    if (os->shm_name) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", os->shm_name);
        if (shm_unlink(path) != 0 && errno != ENOENT) {
            LOG_PWARN("shm_unlink(%s) failed", path);
        }
        umf_ba_free(os->shm_name);
        os->shm_name = NULL;
    }
}

/* Create the backing file of a SHARED provider. */
static umf_result_t os_shared_init(os_provider_t *os, const char *shm_name) {
    if (shm_name) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", shm_name);
        /* a leftover of a crashed process would make O_EXCL fail forever;
         * like the reference, take the name over */
        if (shm_unlink(path) == 0) {
            LOG_WARN("removed a stale shared memory object %s", path);
        }
        os->fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (os->fd < 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("shm_open(%s) failed", path);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        os->shm_name = umf_ba_strdup(shm_name);
        if (!os->shm_name) {
            shm_unlink(path);
            LOG_ERR("copying the shared memory object name failed");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    } else {
        os->fd = (int)syscall(SYS_memfd_create, "umf_os_provider",
                              (unsigned)MFD_CLOEXEC);
        if (os->fd < 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("memfd_create failed");
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
    }

    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = os;
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = os->page_size;
    cp.name = "OS shared offsets";
    umf_result_t ret = coarse_new(&cp, &os->offsets);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    return coarse_add_memory_fixed(os->offsets, (void *)os->page_size,
                                   OS_OFF_SPACE);
}

/* fork(2): the provider lock, then the offsets (never taken in the other
 * order) */
static void os_fork_prepare(void *arg) {
    os_provider_t *os = arg;
    pthread_mutex_lock(&os->lock);
    coarse_fork_prepare(os->offsets);
}

static void os_fork_parent(void *arg) {
    os_provider_t *os = arg;
    coarse_fork_parent(os->offsets);
    pthread_mutex_unlock(&os->lock);
}

static void os_fork_child(void *arg) {
    os_provider_t *os = arg;
    coarse_fork_child(os->offsets);
    pthread_mutex_unlock(&os->lock);
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
/* Alloc and free                                                         */
/* ---------------------------------------------------------------------- */

static bool os_alignment_valid(size_t alignment, size_t page_size) {
    return alignment == 0 || alignment % page_size == 0 ||
           page_size % alignment == 0;
}

/* Map size bytes at an address that is a multiple of alignment (a multiple
 * of the page size above it; it need not be a power of 2): map size +
 * alignment bytes, keep the aligned part and give the head and tail back.
 * With fd >= 0 the kept part is then replaced by the file range. Returns
 * MAP_FAILED with errno set on failure. */
static void *os_map_aligned(size_t size, size_t alignment, size_t page_size,
                            int prot, int fd, uint64_t off) {
    size_t map_len;
    if (utils_add_overflow(size, alignment, &map_len)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    int rprot = fd >= 0 ? PROT_NONE : prot;
    int rflags = MAP_PRIVATE | MAP_ANONYMOUS | (fd >= 0 ? MAP_NORESERVE : 0);
    void *addr = mmap(NULL, map_len, rprot, rflags, -1, 0);
    if (addr == MAP_FAILED) {
        return MAP_FAILED;
    }
    uintptr_t base = (uintptr_t)addr;
    uintptr_t aligned = base;
    size_t rem = base % alignment; /* alignment need not be a power of 2 */
    if (rem) {
        aligned += alignment - rem;
    }
    /* alignment is a multiple of the page size, so aligned is too */
    size_t head = aligned - base;
    /* end of the used part, rounded up to a page; it never passes the end
     * of the mapping because head + size <= size + alignment */
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
    if (fd >= 0) {
        void *p = mmap((void *)aligned, used_end - aligned, prot,
                       MAP_SHARED | MAP_FIXED, fd, (off_t)off);
        if (p == MAP_FAILED) {
            int err = errno;
            (void)munmap((void *)aligned, used_end - aligned);
            errno = err;
            return MAP_FAILED;
        }
    }
    return (void *)aligned;
}

/* Bind a fresh private mapping as the NUMA mode says; 0 or an errno. */
static int os_numa_bind(const os_provider_t *os, void *addr, size_t len) {
    size_t ps = os->page_size;
    switch (os->numa_mode) {
    case UMF_NUMA_MODE_DEFAULT:
        return 0;
    case UMF_NUMA_MODE_BIND:
        return umf_numa_bind_area(addr, len, UMF_NUMA_POLICY_BIND, os->mask);
    case UMF_NUMA_MODE_PREFERRED:
        return umf_numa_bind_area(addr, len, UMF_NUMA_POLICY_PREFERRED,
                                  os->mask);
    case UMF_NUMA_MODE_LOCAL:
        return umf_numa_bind_area(addr, len, UMF_NUMA_POLICY_LOCAL, NULL);
    case UMF_NUMA_MODE_INTERLEAVE:
        if (os->part_size == 0) {
            return umf_numa_bind_area(addr, len, UMF_NUMA_POLICY_INTERLEAVE,
                                      os->mask);
        }
        for (size_t off = 0, i = 0; off < len; off += os->part_size, i++) {
            size_t chunk = UMF_MIN(os->part_size, len - off);
            int err = umf_numa_bind_area((char *)addr + off, chunk,
                                         UMF_NUMA_POLICY_PREFERRED,
                                         os->parts[i % os->num_parts].mask);
            if (err) {
                return err;
            }
        }
        return 0;
    case UMF_NUMA_MODE_SPLIT: {
        /* part i gets pages [pages*W(i-1)/W, pages*W(i)/W), W(i) being the
         * running sum of the weights: every page lands once, in proportion */
        uint64_t pages = len / ps;
        uint64_t cum = 0;
        uint64_t start = 0;
        for (unsigned i = 0; i < os->num_parts; i++) {
            cum += os->parts[i].weight;
            uint64_t end =
                (uint64_t)((unsigned __int128)pages * cum / os->weight_sum);
            if (end > start) {
                int err = umf_numa_bind_area(
                    (char *)addr + start * ps, (end - start) * ps,
                    UMF_NUMA_POLICY_PREFERRED, os->parts[i].mask);
                if (err) {
                    return err;
                }
            }
            start = end;
        }
        return 0;
    }
    }
    return EINVAL;
}

/* Make the backing file at least end bytes long (sparse). */
static umf_result_t os_shared_grow(os_provider_t *os, uint64_t end) {
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    if (end > os->file_size) {
        uint64_t nsize = UMF_MAX(end, os->file_size * 2);
        nsize = UMF_MAX(nsize, OS_FILE_GROW_MIN);
        nsize = UMF_MIN(nsize, (uint64_t)OS_OFF_SPACE);
        if (ftruncate(os->fd, (off_t)nsize) != 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("growing the shared memory file to %llu bytes failed",
                     (unsigned long long)nsize);
            ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        } else {
            os->file_size = nsize;
        }
    }
    pthread_mutex_unlock(&os->lock);
    return ret;
}

static umf_result_t os_alloc_shared(os_provider_t *os, size_t size,
                                    size_t alignment, void **resultPtr) {
    size_t ps = os->page_size;
    size_t rsize;
    if (!utils_align_up_checked(size, ps, &rsize)) {
        LOG_ERR("size %zu is too large", size);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *op = NULL;
    umf_result_t ret = coarse_alloc(os->offsets, rsize, 0, &op);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("no room for %zu bytes in the shared memory file", rsize);
        return ret;
    }
    uint64_t off = (uint64_t)((uintptr_t)op - ps);
    ret = os_shared_grow(os, off + rsize);
    if (ret != UMF_RESULT_SUCCESS) {
        (void)coarse_free(os->offsets, op, rsize);
        return ret;
    }

    void *addr;
    if (alignment > ps) {
        addr = os_map_aligned(rsize, alignment, ps, os->mmap_prot, os->fd, off);
    } else {
        addr = mmap(NULL, rsize, os->mmap_prot, MAP_SHARED, os->fd, (off_t)off);
    }
    if (addr == MAP_FAILED) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_PERR("mapping %zu bytes of the shared memory file failed", rsize);
        (void)coarse_free(os->offsets, op, rsize);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    pthread_mutex_lock(&os->lock);
    int err = shm_map_insert(&os->map, (uintptr_t)addr, off, rsize);
    pthread_mutex_unlock(&os->lock);
    if (err) {
        LOG_ERR("recording the shared allocation failed");
        (void)munmap(addr, rsize);
        (void)coarse_free(os->offsets, op, rsize);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *resultPtr = addr;
    return UMF_RESULT_SUCCESS;
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

    if (os->visibility == UMF_MEM_MAP_SHARED) {
        return os_alloc_shared(os, size, alignment, resultPtr);
    }

    void *addr;
    if (over_map) {
        addr = os_map_aligned(size, alignment, page_size, os->mmap_prot, -1, 0);
    } else {
        addr =
            mmap(NULL, size, os->mmap_prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (addr == MAP_FAILED) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_PERR("memory allocation of %zu bytes failed",
                 over_map ? map_len : size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    if (alignment > 0 && (uintptr_t)addr % alignment) {
        /* cannot happen with mmap's page-aligned results; kept as a guard */
        os_store_native_error(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED, 0);
        LOG_ERR("allocated address %p is not aligned to %zu bytes", addr,
                alignment);
        (void)munmap(addr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    if (os->numa_mode != UMF_NUMA_MODE_DEFAULT) {
        size_t len = size;
        (void)utils_align_up_checked(size, page_size, &len); /* fits: mapped */
        int err = os_numa_bind(os, addr, len);
        if (err && err != ENOSYS) {
            os_store_native_error(UMF_OS_RESULT_ERROR_BIND_FAILED, err);
            LOG_ERR("binding %zu bytes at %p (NUMA mode %d) failed: %s", len,
                    addr, (int)os->numa_mode, strerror(err));
            (void)munmap(addr, len);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
    }

    *resultPtr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_free_shared(os_provider_t *os, void *ptr, size_t size) {
    size_t rsize = 0;
    if (size && !utils_align_up_checked(size, os->page_size, &rsize)) {
        rsize = SIZE_MAX; /* matches no allocation */
    }
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = shm_map_find(&os->map, (uintptr_t)ptr);
    if (!e || (size && rsize != e->size)) {
        pthread_mutex_unlock(&os->lock);
        if (!e) {
            os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, EINVAL);
            LOG_ERR("%p is not a shared allocation of this provider", ptr);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        LOG_ERR("size %zu does not match the size %zu of the shared "
                "allocation %p",
                size, e->size, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_shm_entry_t ent = *e;
    shm_map_remove(&os->map, e);
    pthread_mutex_unlock(&os->lock);

    if (munmap(ptr, ent.size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping the shared allocation %p failed", ptr);
        pthread_mutex_lock(&os->lock);
        (void)shm_map_insert(&os->map, ent.addr, ent.off, ent.size);
        pthread_mutex_unlock(&os->lock);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    /* give the pages back, so the next user of these offsets gets zeros */
    if (fallocate(os->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)ent.off, (off_t)ent.size) != 0) {
        /* keep the offsets out of use rather than hand out stale data */
        LOG_PWARN("punching [%llu, +%zu) out of the shared memory file "
                  "failed; the range is not reused",
                  (unsigned long long)ent.off, ent.size);
        return UMF_RESULT_SUCCESS;
    }
    (void)coarse_free(os->offsets, (void *)(uintptr_t)(ent.off + os->page_size),
                      ent.size);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    os_provider_t *os = provider;
    if (os->visibility == UMF_MEM_MAP_SHARED) {
        return os_free_shared(os, ptr, size);
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("memory deallocation of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Information, purge, split and merge                                    */
/* ---------------------------------------------------------------------- */

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
    os_provider_t *os = provider;
    int advice = os->visibility == UMF_MEM_MAP_SHARED ? MADV_COLD : MADV_FREE;
    if (madvise(ptr, size, advice) != 0) {
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
    os_provider_t *os = provider;
    /* MADV_DONTNEED would only drop this process's view of shared pages;
     * MADV_REMOVE frees them in the file */
    int advice =
        os->visibility == UMF_MEM_MAP_SHARED ? MADV_REMOVE : MADV_DONTNEED;
    if (madvise(ptr, size, advice) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, err);
        LOG_PERR("force purging of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* Private anonymous mappings carry no per-range metadata, so split and merge
 * have nothing to update; munmap works on any page range. Shared ones keep
 * the map and the coarse offset blocks in step. */
static umf_result_t os_allocation_split(void *provider, void *ptr,
                                        size_t totalSize, size_t firstSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return UMF_RESULT_SUCCESS;
    }
    size_t ps = os->page_size;
    size_t rtotal;
    if (ptr == NULL || firstSize == 0 || firstSize >= totalSize ||
        firstSize % ps || !utils_align_up_checked(totalSize, ps, &rtotal)) {
        LOG_ERR("cannot split %p (%zu bytes) at %zu", ptr, totalSize,
                firstSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = shm_map_find(&os->map, (uintptr_t)ptr);
    if (!e || e->size != rtotal) {
        LOG_ERR("%p is not a shared allocation of %zu bytes", ptr, totalSize);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    uint64_t off = e->off;
    ret = coarse_split(os->offsets, (void *)(uintptr_t)(off + ps), rtotal,
                       firstSize);
    if (ret != UMF_RESULT_SUCCESS) {
        goto out;
    }
    e->size = firstSize;
    if (shm_map_insert(&os->map, (uintptr_t)ptr + firstSize, off + firstSize,
                       rtotal - firstSize) != 0) {
        /* e may have moved if the table grew; it did not: insert failed */
        e->size = rtotal;
        (void)coarse_merge(os->offsets, (void *)(uintptr_t)(off + ps),
                           (void *)(uintptr_t)(off + ps + firstSize), rtotal);
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
out:
    pthread_mutex_unlock(&os->lock);
    return ret;
}

static umf_result_t os_allocation_merge(void *provider, void *lowPtr,
                                        void *highPtr, size_t totalSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return UMF_RESULT_SUCCESS;
    }
    size_t ps = os->page_size;
    size_t rtotal;
    if (!lowPtr || !highPtr ||
        !utils_align_up_checked(totalSize, ps, &rtotal)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *lo = shm_map_find(&os->map, (uintptr_t)lowPtr);
    os_shm_entry_t *hi = shm_map_find(&os->map, (uintptr_t)highPtr);
    if (!lo || !hi || lo->addr + lo->size != hi->addr ||
        lo->size + hi->size != rtotal) {
        LOG_ERR("%p and %p are not adjacent shared allocations of %zu bytes "
                "in all",
                lowPtr, highPtr, totalSize);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (lo->off + lo->size != hi->off) {
        LOG_ERR("%p and %p are not adjacent in the shared memory file", lowPtr,
                highPtr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    ret = coarse_merge(os->offsets, (void *)(uintptr_t)(lo->off + ps),
                       (void *)(uintptr_t)(hi->off + ps), rtotal);
    if (ret != UMF_RESULT_SUCCESS) {
        goto out;
    }
    lo->size = rtotal;
    shm_map_remove(&os->map, hi); /* may move entries, lo is not used after */
out:
    pthread_mutex_unlock(&os->lock);
    return ret;
}

/* ---------------------------------------------------------------------- */
/* IPC                                                                    */
/* ---------------------------------------------------------------------- */

/* Private mappings cannot be shared: every IPC op, the size query
 * included, is an argument error for them (the reference does the same). */
static umf_result_t os_ipc_private_error(const char *what) {
    LOG_ERR("%s: memory of an OS provider with UMF_MEM_MAP_PRIVATE "
            "visibility cannot be shared",
            what);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData,
                                       void **ptr);
static umf_result_t os_ipc_describe(const void *blob, size_t blob_size,
                                    ipc_blob_desc_t *desc);
static pthread_once_t os_ipc_describer_once = PTHREAD_ONCE_INIT;
static void os_ipc_register_describer(void) {
    ipc_register_blob_describer(os_open_ipc_handle, os_ipc_describe);
}

static umf_result_t os_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (((os_provider_t *)provider)->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("get_ipc_handle_size");
    }
    /* a consumer asks this before it opens: the core can then hold our
     * blobs against the handle's header */
    pthread_once(&os_ipc_describer_once, os_ipc_register_describer);
    *size = sizeof(os_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_get_ipc_handle(void *provider, const void *ptr,
                                      size_t size, void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("get_ipc_handle");
    }
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = shm_map_find(&os->map, (uintptr_t)ptr);
    os_shm_entry_t ent = e ? *e : (os_shm_entry_t){0, 0, 0};
    pthread_mutex_unlock(&os->lock);
    if (!e || size > ent.size) {
        LOG_ERR("%p (%zu bytes) is not a shared allocation of this provider",
                ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!os->shm_name) {
        utils_allow_ptracer_once();
    }

    os_ipc_data_t *d = providerIpcData;
    memset(d, 0, sizeof(*d));
    d->pid = (int32_t)getpid();
    d->fd = os->fd;
    d->fd_offset = ent.off;
    d->size = size ? size : ent.size;
    d->protection = os->protection;
    d->visibility = (uint32_t)os->visibility;
    if (os->shm_name) {
        size_t len = strlen(os->shm_name);
        memcpy(d->shm_name, os->shm_name, len + 1);
        d->shm_name_len = (uint32_t)len;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("put_ipc_handle");
    }
    const os_ipc_data_t *d = providerIpcData;
    bool ours = d->pid == (int32_t)getpid();
    if (ours && os->shm_name) {
        ours = d->shm_name_len < sizeof(d->shm_name) &&
               strcmp(d->shm_name, os->shm_name) == 0;
    } else if (ours) {
        ours = d->shm_name_len == 0 && d->fd == os->fd;
    }
    if (!ours) {
        LOG_ERR("the IPC handle was not made by this provider");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

/* The blob's own consistency: what can be checked without opening
 * anything (ipc_handle_check and open both ask). */
static bool os_ipc_blob_ok(const os_ipc_data_t *d) {
    uint64_t end;
    bool ok = d->visibility == UMF_MEM_MAP_SHARED && d->size != 0 &&
              d->fd_offset % utils_page_size() == 0 &&
              d->size <= (uint64_t)SIZE_MAX &&
              !__builtin_add_overflow(d->fd_offset, d->size, &end) &&
              end <= (uint64_t)INT64_MAX && d->pid > 0 &&
              d->shm_name_len < sizeof(d->shm_name) &&
              d->shm_name[d->shm_name_len] == '\0' &&
              strlen(d->shm_name) == d->shm_name_len &&
              (d->shm_name_len ? strchr(d->shm_name, '/') == NULL
                               : d->fd >= 0);
    if (!ok) {
        LOG_ERR("malformed IPC handle of the OS memory provider");
    }
    return ok;
}

static umf_result_t os_ipc_describe(const void *blob, size_t blob_size,
                                    ipc_blob_desc_t *desc) {
    const os_ipc_data_t *d = blob;
    if (blob_size != sizeof(*d) || !os_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    desc->mapped_size = d->size;
    desc->pid = d->pid;
    return UMF_RESULT_SUCCESS;
}

/* The object behind fd really holds the blob's range: mapping past its end
 * would give SIGBUS on the first touch instead of an error now. */
static bool os_ipc_fd_holds(int fd, const os_ipc_data_t *d) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < d->fd_offset + d->size) {
        LOG_ERR("IPC handle of the OS memory provider names %llu bytes at "
                "offset %llu of an object that does not hold them",
                (unsigned long long)d->size, (unsigned long long)d->fd_offset);
        return false;
    }
    return true;
}

/* A descriptor of the producer's backing file; -1 with errno on failure. */
static int os_ipc_get_fd(const os_ipc_data_t *d, bool writable) {
    if (d->shm_name_len) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", d->shm_name);
        return shm_open(path, writable ? O_RDWR : O_RDONLY, 0);
    }
    if (d->pid == (int32_t)getpid()) {
        return fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
    }
    const char *failed_call = NULL;
    return utils_pidfd_getfd(d->pid, d->fd, &failed_call);
}

static umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData,
                                       void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("open_ipc_handle");
    }
    const os_ipc_data_t *d = providerIpcData;
    if (!os_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = os_ipc_get_fd(d, (os->mmap_prot & PROT_WRITE) != 0);
    if (fd < 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        if (d->shm_name_len) {
            LOG_PERR("opening the shared memory object /%s failed",
                     d->shm_name);
        } else {
            LOG_PERR("taking descriptor %d of process %d failed", (int)d->fd,
                     (int)d->pid);
        }
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    if (!os_ipc_fd_holds(fd, d)) {
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *addr = mmap(NULL, (size_t)d->size, os->mmap_prot, MAP_SHARED, fd,
                      (off_t)d->fd_offset);
    int err = errno;
    close(fd);
    if (addr == MAP_FAILED) {
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping an IPC handle (%llu bytes at offset %llu) failed: %s",
                (unsigned long long)d->size, (unsigned long long)d->fd_offset,
                strerror(err));
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t os_close_ipc_handle(void *provider, void *ptr,
                                        size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("close_ipc_handle");
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping an opened IPC handle at %p failed", ptr);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
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
