/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* topology_nohwloc.c -- no topology: libumf was configured without hwloc */
#include <errno.h>

#include "topology/topology_internal.h"
#include "util/log_internal.h"

bool umf_topology_supported(void) { return false; }

struct hwloc_topology *umf_topology_get(void) {
    return NULL;
}

void umf_topology_destroy(void) {}

unsigned umf_topology_numa_count(void) { return 0; }

int umf_topology_numa_check(const unsigned *nodes, size_t n, unsigned *bad_id) {
    (void)nodes;
    (void)n;
    (void)bad_id;
    return ENOTSUP;
}

int umf_topology_numa_ids(unsigned **ids, size_t *n) {
    (void)ids;
    (void)n;
    return ENOTSUP;
}

int umf_topology_numa_capacity(unsigned id, uint64_t *bytes) {
    (void)id;
    (void)bytes;
    return ENOTSUP;
}

int umf_topology_numa_best_target(umf_topology_memattr_t attr,
                                  unsigned initiator, unsigned *target,
                                  uint64_t *value) {
    (void)attr;
    (void)initiator;
    (void)target;
    (void)value;
    return ENOTSUP;
}

int umf_numa_nodemask_create(const unsigned *nodes, size_t n,
                             umf_numa_nodemask_t **out) {
    (void)nodes;
    (void)n;
    (void)out;
    LOG_ERR("NUMA binding needs hwloc, which this build of libumf lacks");
    return ENOTSUP;
}

void umf_numa_nodemask_destroy(umf_numa_nodemask_t *mask) { (void)mask; }

int umf_numa_bind_area(void *addr, size_t len, umf_numa_policy_t policy,
                       const umf_numa_nodemask_t *mask) {
    (void)addr;
    (void)len;
    (void)policy;
    (void)mask;
    return ENOSYS;
}

/* no topology, no lock */
void umf_topology_fork_prepare(void *arg) { (void)arg; }
void umf_topology_fork_parent(void *arg) { (void)arg; }
void umf_topology_fork_child(void *arg) { (void)arg; }
