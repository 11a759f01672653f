/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memspace_internal.h -- memory spaces: ordered sets of memory targets.
 *
 * A memory space is an array of pointers to targets it owns (so a target
 * handle stays valid while other targets are added or removed), in
 * base-allocator memory. The four predefined spaces
 * (memspace_predefined.c) are built from the topology on first use, under a
 * lock, and destroyed by umfTearDown before the topology is. */
#ifndef UMF_MEMSPACE_INTERNAL_H
#define UMF_MEMSPACE_INTERNAL_H 1

#include <stddef.h>

#include <umf/memspace.h>
#include <umf/providers/provider_os_memory.h>

/* Which space this is: a provider created without a policy binds according
 * to it (reference-facts 2.17). Clones are always USER. */
typedef enum memspace_kind_t {
    MEMSPACE_KIND_USER,
    MEMSPACE_KIND_HOST_ALL,
    MEMSPACE_KIND_HIGHEST_CAPACITY,
    MEMSPACE_KIND_HIGHEST_BANDWIDTH,
    MEMSPACE_KIND_LOWEST_LATENCY,
} memspace_kind_t;

struct umf_memspace_t {
    memspace_kind_t kind;
    umf_memtarget_handle_t *targets;
    size_t size;     /* number of targets */
    size_t capacity; /* slots in targets */
};

/* An empty space of the given kind. */
umf_result_t memspace_new(memspace_kind_t kind, umf_memspace_handle_t *out);

/* A space of NUMA targets for ids[0..n) (n may be 0), in that order;
 * neither checked against the topology nor for duplicates. */
umf_result_t memspace_from_ids(memspace_kind_t kind, const unsigned *ids,
                               size_t n, umf_memspace_handle_t *out);

/* Destroy a space and its targets, whatever its kind. */
void memspace_free(umf_memspace_handle_t ms);

/* The OS provider configuration that umfMemoryProviderCreateFromMemspace
 * derives from a space and an optional policy (reference-facts 2.17), in
 * base-allocator memory; release it with memspace_os_config_fini. */
typedef struct memspace_os_config_t {
    umf_numa_mode_t mode;
    unsigned *nodes; /* NULL when num_nodes is 0 */
    unsigned num_nodes;
    size_t part_size;                  /* INTERLEAVE */
    umf_numa_split_partition_t *parts; /* SPLIT; NULL: even split */
    unsigned num_parts;
} memspace_os_config_t;

umf_result_t memspace_os_config(umf_const_memspace_handle_t ms,
                                umf_const_mempolicy_handle_t policy,
                                memspace_os_config_t *cfg);
void memspace_os_config_fini(memspace_os_config_t *cfg);

/* Destroy the predefined spaces (umfTearDown, before the topology goes);
 * the next getter call builds them again. Handles given out before are
 * dangling afterwards. */
void memspace_predefined_destroy(void);

/* fork(2): hold the predefined memspaces' lock across fork (lib/core/fork.c) */
void memspace_predefined_fork_prepare(void *arg);
void memspace_predefined_fork_parent(void *arg);
void memspace_predefined_fork_child(void *arg);

#endif /* UMF_MEMSPACE_INTERNAL_H */
