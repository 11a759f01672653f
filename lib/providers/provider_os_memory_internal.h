/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_memory_internal.h -- what the files of the OS memory provider
 * share: the params and provider structs, and the functions one file calls
 * in another (provider_os_memory.c lists which file owns what). */
#ifndef UMF_PROVIDER_OS_MEMORY_INTERNAL_H
#define UMF_PROVIDER_OS_MEMORY_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "core/coarse_internal.h"
#include "core/fork_internal.h"
#include "topology/topology_internal.h"

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

/* provider_os_memory.c */
void os_store_native_error(umf_os_memory_provider_native_error_t code,
                           int err_no);

/* provider_os_mapping.c: the provider ops */
umf_result_t os_alloc(void *provider, size_t size, size_t alignment,
                      void **resultPtr);
umf_result_t os_free(void *provider, void *ptr, size_t size);
umf_result_t os_get_recommended_page_size(void *provider, size_t size,
                                          size_t *pageSize);
umf_result_t os_get_min_page_size(void *provider, void *ptr, size_t *pageSize);
umf_result_t os_purge_lazy(void *provider, void *ptr, size_t size);
umf_result_t os_purge_force(void *provider, void *ptr, size_t size);
/* Map size bytes at a multiple of alignment (a multiple of the page size);
 * with fd >= 0 the range [off, off + size) of that file. MAP_FAILED with
 * errno set on failure. */
void *os_map_aligned(size_t size, size_t alignment, size_t page_size, int prot,
                     int fd, uint64_t off);

/* provider_os_numa.c */
umf_result_t os_validate_numa(const struct umf_os_memory_provider_params_t *p,
                              size_t page_size);
umf_result_t os_numa_init(os_provider_t *os,
                          const struct umf_os_memory_provider_params_t *p);
void os_numa_free(os_provider_t *os);
int os_numa_bind(const os_provider_t *os, void *addr, size_t len);

/* provider_os_shared.c */
umf_result_t os_shared_init(os_provider_t *os, const char *shm_name);
void os_shared_fini(os_provider_t *os);
void os_fork_prepare(void *arg);
void os_fork_parent(void *arg);
void os_fork_child(void *arg);
umf_result_t os_alloc_shared(os_provider_t *os, size_t size, size_t alignment,
                             void **resultPtr);
umf_result_t os_free_shared(os_provider_t *os, void *ptr, size_t size);
umf_result_t os_allocation_split(void *provider, void *ptr, size_t totalSize,
                                 size_t firstSize);
umf_result_t os_allocation_merge(void *provider, void *lowPtr, void *highPtr,
                                 size_t totalSize);
/* The entry of the allocation that starts at addr, NULL if none; call with
 * os->lock held. */
os_shm_entry_t *os_shm_map_find(os_shm_map_t *m, uintptr_t addr);

/* provider_os_ipc.c: the provider ops */
umf_result_t os_get_ipc_handle_size(void *provider, size_t *size);
umf_result_t os_get_ipc_handle(void *provider, const void *ptr, size_t size,
                               void *providerIpcData);
umf_result_t os_put_ipc_handle(void *provider, void *providerIpcData);
umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData,
                                void **ptr);
umf_result_t os_close_ipc_handle(void *provider, void *ptr, size_t size);

#endif /* UMF_PROVIDER_OS_MEMORY_INTERNAL_H */
