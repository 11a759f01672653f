/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* topology_internal.h -- the process-wide hardware topology and NUMA binding.
 *
 * One hwloc topology per process, loaded lazily on first use and shared by
 * every user (the OS provider's NUMA modes, the memspaces); umfTearDown
 * destroys it and the next user loads it again. With hwloc configured out
 * (topology_nohwloc.c) there is no topology: umf_topology_get() returns
 * NULL and every NUMA function answers ENOTSUP.
 *
 * hwloc does the discovery (which NUMA nodes exist, by OS index). The
 * binding itself is a plain mbind(2) with a node mask computed once, so the
 * allocation path neither allocates memory nor takes a lock. On a topology
 * that is not this system (HWLOC_SYNTHETIC, HWLOC_XMLFILE without
 * HWLOC_THISSYSTEM=1) binding is skipped and succeeds, as hwloc itself
 * does, so selection logic can be tested on fake multi-node topologies.
 *
 * Node ids are always OS indexes (the numbers the kernel and numactl use).
 * Errors are errno values: ENOTSUP (built without hwloc), ENODEV (the
 * topology could not be loaded), EINVAL (no such node), ENOMEM. */
#ifndef UMF_TOPOLOGY_INTERNAL_H
#define UMF_TOPOLOGY_INTERNAL_H 1

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hwloc_topology_t is `struct hwloc_topology *`; users that include
 * <hwloc.h> may pass the result of umf_topology_get() to hwloc directly. */
struct hwloc_topology;

/* Was libumf built with hwloc? */
bool umf_topology_supported(void);

/* The process-wide topology, loaded on the first call (thread-safe: one
 * thread loads it, the others wait). NULL without hwloc, or when loading
 * failed; a failure is remembered until umf_topology_destroy(). The
 * pointer stays valid until umf_topology_destroy(). */
struct hwloc_topology *umf_topology_get(void);

/* Destroy the topology (umfTearDown calls this when the last reference
 * goes). Harmless when none was loaded. */
void umf_topology_destroy(void);

/* Number of NUMA nodes (loads the topology); 0 when there is none. */
unsigned umf_topology_numa_count(void);

/* Check that every id in nodes[0..n) is a NUMA node of the topology (loads
 * it). 0, EINVAL (the first bad id goes to *bad_id when bad_id is not
 * NULL), ENODEV or ENOTSUP. */
int umf_topology_numa_check(const unsigned *nodes, size_t n, unsigned *bad_id);

/* The OS indexes of every NUMA node, ascending, in a new array from the base
 * allocator (free it with umf_ba_free) stored in *ids, their number in *n
 * (loads the topology). 0, ENODEV, ENOTSUP or ENOMEM. */
int umf_topology_numa_ids(unsigned **ids, size_t *n);

/* Bytes of memory local to NUMA node id (hwloc's local_memory). 0, EINVAL
 * (no such node), ENODEV or ENOTSUP. */
int umf_topology_numa_capacity(unsigned id, uint64_t *bytes);

/* Memory attributes that firmware reports (ACPI HMAT) and hwloc exposes. */
typedef enum umf_topology_memattr_t {
    UMF_TOPOLOGY_MEMATTR_BANDWIDTH, /* MiB/s, higher is better */
    UMF_TOPOLOGY_MEMATTR_LATENCY,   /* ns, lower is better */
} umf_topology_memattr_t;

/* The best NUMA node for attr as seen from the CPUs near node initiator:
 * its OS index goes to *target, the value to *value (either may be NULL).
 * 0, ENOENT (no value known: no HMAT, or a node without CPUs), EINVAL (no
 * such node), ENODEV or ENOTSUP. */
int umf_topology_numa_best_target(umf_topology_memattr_t attr,
                                  unsigned initiator, unsigned *target,
                                  uint64_t *value);

/* A set of NUMA nodes ready for binding (metadata from the base
 * allocator). An empty set is allowed (for PREFERRED and LOCAL). */
typedef struct umf_numa_nodemask_t umf_numa_nodemask_t;

/* Build a mask from OS indexes; checks them like umf_topology_numa_check.
 * 0 or an errno value. */
int umf_numa_nodemask_create(const unsigned *nodes, size_t n,
                             umf_numa_nodemask_t **out);
void umf_numa_nodemask_destroy(umf_numa_nodemask_t *mask);

typedef enum umf_numa_policy_t {
    UMF_NUMA_POLICY_BIND,       /* only these nodes (strict) */
    UMF_NUMA_POLICY_PREFERRED,  /* these nodes first, others as fallback;
                                   an empty mask means the local node */
    UMF_NUMA_POLICY_INTERLEAVE, /* pages interleaved over the nodes */
    UMF_NUMA_POLICY_LOCAL,      /* the node of the CPU that first touches */
} umf_numa_policy_t;

/* Bind [addr, addr+len) (addr page aligned) with the policy. 0 or an errno
 * value from the kernel (ENOSYS where NUMA policies are not available). */
int umf_numa_bind_area(void *addr, size_t len, umf_numa_policy_t policy,
                       const umf_numa_nodemask_t *mask);

/* fork(2): hold the topology lock across fork (lib/core/fork.c) */
void umf_topology_fork_prepare(void *arg);
void umf_topology_fork_parent(void *arg);
void umf_topology_fork_child(void *arg);

#endif /* UMF_TOPOLOGY_INTERNAL_H */
