/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memtarget_internal.h -- memory targets: what a memory space is made of.
 *
 * The only kind of target is a NUMA node of the host, named by its OS index
 * (the number the kernel and numactl use, never hwloc's logical index). A
 * target holds no topology state: its capacity is read from the
 * process-wide topology (lib/topology/topology_internal.h) when asked, so a
 * target outlives a teardown and reload of the topology. Targets live in
 * base-allocator memory. */
#ifndef UMF_MEMTARGET_INTERNAL_H
#define UMF_MEMTARGET_INTERNAL_H 1

#include <umf/base.h>
#include <umf/memtarget.h>

struct umf_memtarget_t {
    umf_memtarget_type_t type; /* UMF_MEMTARGET_TYPE_NUMA */
    unsigned id;               /* OS index of the NUMA node */
};

/* A new NUMA target for node id (not checked against the topology). */
umf_result_t memtarget_numa_new(unsigned id, umf_memtarget_handle_t *out);

/* An independent copy of src. */
umf_result_t memtarget_clone(umf_const_memtarget_handle_t src,
                             umf_memtarget_handle_t *out);

void memtarget_destroy(umf_memtarget_handle_t target);

/* Order targets by type, then id: <0, 0 (the same target) or >0. */
int memtarget_compare(umf_const_memtarget_handle_t a,
                      umf_const_memtarget_handle_t b);

/* Capacity in bytes (the node's local memory). */
umf_result_t memtarget_capacity(umf_const_memtarget_handle_t target,
                                size_t *capacity);

/* The result a memspace function returns for an errno value of the
 * topology layer: ENOTSUP (no hwloc) NOT_SUPPORTED, ENODEV (the topology
 * could not be loaded) DEPENDENCY_UNAVAILABLE, EINVAL INVALID_ARGUMENT,
 * ENOMEM OUT_OF_HOST_MEMORY. Logs why. */
umf_result_t memtarget_topology_error(int err);

#endif /* UMF_MEMTARGET_INTERNAL_H */
