/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* topology_hwloc.c -- the process-wide hwloc topology and NUMA binding.
 *
 * The topology is loaded under a mutex the first time someone needs it and
 * published through an atomic pointer, so later callers pay one load. A
 * failed load is remembered (a broken HWLOC_* environment would otherwise
 * be retried, slowly, by every provider) until umf_topology_destroy().
 *
 * Binding uses mbind(2) directly: hwloc_set_area_membind() allocates a
 * Linux mask with malloc on every call and has no "local" policy, while
 * the mask here is built once, from the base allocator. */
#include <errno.h>
#include <hwloc.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#ifndef MPOL_LOCAL
#define MPOL_LOCAL 4
#endif
#ifndef MPOL_PREFERRED_MANY
#define MPOL_PREFERRED_MANY 5
#endif

static pthread_mutex_t topo_lock = PTHREAD_MUTEX_INITIALIZER;
static hwloc_topology_t topo;   /* published with release semantics */
static bool topo_failed;        /* under topo_lock */
static bool topo_is_thissystem; /* written before topo is published */

bool umf_topology_supported(void) { return true; }

static hwloc_topology_t topology_load(void) {
    hwloc_topology_t t;
    if (hwloc_topology_init(&t) != 0) {
        LOG_PERR("hwloc_topology_init failed");
        return NULL;
    }
    /* NUMA nodes, packages and PUs are all memspaces and the OS provider
     * need; PCI and OS devices are off by default in hwloc 2 already. */
    if (hwloc_topology_load(t) != 0) {
        LOG_PERR("hwloc_topology_load failed");
        hwloc_topology_destroy(t);
        return NULL;
    }
    return t;
}

/* fork(2): the child inherits a loaded topology and never discovers it
 * again. The lock is held across fork (lib/core/fork.c) so that a child
 * never inherits it locked by a thread that was loading. */
void umf_topology_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&topo_lock);
}

void umf_topology_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&topo_lock);
}

void umf_topology_fork_child(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&topo_lock);
}

struct hwloc_topology *umf_topology_get(void) {
    hwloc_topology_t t = utils_atomic_load_acquire(&topo);
    if (UMF_LIKELY(t != NULL)) {
        return t;
    }
    pthread_mutex_lock(&topo_lock);
    t = topo;
    if (t == NULL && !topo_failed) {
        t = topology_load();
        if (t) {
            topo_is_thissystem = hwloc_topology_is_thissystem(t) != 0;
            LOG_DEBUG("hwloc topology loaded: %d NUMA node(s)%s",
                      hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE),
                      topo_is_thissystem ? "" : " (not this system)");
            utils_atomic_store_release(&topo, t);
        } else {
            topo_failed = true;
        }
    }
    pthread_mutex_unlock(&topo_lock);
    return t;
}

void umf_topology_destroy(void) {
    pthread_mutex_lock(&topo_lock);
    hwloc_topology_t t = topo;
    utils_atomic_store_release(&topo, (hwloc_topology_t)NULL);
    topo_failed = false;
    pthread_mutex_unlock(&topo_lock);
    if (t) {
        hwloc_topology_destroy(t);
    }
}

unsigned umf_topology_numa_count(void) {
    hwloc_topology_t t = umf_topology_get();
    if (!t) {
        return 0;
    }
    int n = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    return n > 0 ? (unsigned)n : 0;
}

int umf_topology_numa_check(const unsigned *nodes, size_t n, unsigned *bad_id) {
    if (n > 0 && nodes == NULL) {
        return EINVAL;
    }
    hwloc_topology_t t = umf_topology_get();
    if (!t) {
        return ENODEV;
    }
    for (size_t i = 0; i < n; i++) {
        if (hwloc_get_numanode_obj_by_os_index(t, nodes[i]) == NULL) {
            if (bad_id) {
                *bad_id = nodes[i];
            }
            return EINVAL;
        }
    }
    return 0;
}

int umf_topology_numa_ids(unsigned **ids, size_t *n) {
    hwloc_topology_t t = umf_topology_get();
    if (!t) {
        return ENODEV;
    }
    int count = hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE);
    unsigned *a = NULL;
    if (count > 0) {
        a = umf_ba_calloc((size_t)count, sizeof(*a));
        if (!a) {
            return ENOMEM;
        }
        for (int i = 0; i < count; i++) {
            a[i] = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)i)
                       ->os_index;
        }
        /* logical order follows the tree (an HBM node of package 0 comes
         * before the DDR node of package 1); callers want node numbers.
         * Insertion sort: few nodes, and qsort may call malloc. */
        for (int i = 1; i < count; i++) {
            unsigned v = a[i];
            int j = i;
            for (; j > 0 && a[j - 1] > v; j--) {
                a[j] = a[j - 1];
            }
            a[j] = v;
        }
    }
    *ids = a;
    *n = count > 0 ? (size_t)count : 0;
    return 0;
}

int umf_topology_numa_capacity(unsigned id, uint64_t *bytes) {
    hwloc_topology_t t = umf_topology_get();
    if (!t) {
        return ENODEV;
    }
    hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(t, id);
    if (!node) {
        return EINVAL;
    }
    *bytes = node->attr->numanode.local_memory;
    return 0;
}

int umf_topology_numa_best_target(umf_topology_memattr_t attr,
                                  unsigned initiator, unsigned *target,
                                  uint64_t *value) {
    hwloc_topology_t t = umf_topology_get();
    if (!t) {
        return ENODEV;
    }
    hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(t, initiator);
    if (!node) {
        return EINVAL;
    }
    if (!node->cpuset || hwloc_bitmap_iszero(node->cpuset)) {
        return ENOENT; /* memory without CPUs near it initiates nothing */
    }
    hwloc_memattr_id_t id = attr == UMF_TOPOLOGY_MEMATTR_BANDWIDTH
                                ? HWLOC_MEMATTR_ID_BANDWIDTH
                                : HWLOC_MEMATTR_ID_LATENCY;
    struct hwloc_location loc = {.type = HWLOC_LOCATION_TYPE_CPUSET,
                                 .location.cpuset = node->cpuset};
    hwloc_obj_t best = NULL;
    hwloc_uint64_t v = 0;
    if (hwloc_memattr_get_best_target(t, id, &loc, 0, &best, &v) != 0 ||
        !best) {
        return ENOENT;
    }
    if (target) {
        *target = best->os_index;
    }
    if (value) {
        *value = v;
    }
    return 0;
}

#define BITS_PER_ULONG (8 * sizeof(unsigned long))

struct umf_numa_nodemask_t {
    size_t nlongs; /* 0 for the empty mask */
    size_t weight; /* number of nodes set */
    unsigned long bits[];
};

int umf_numa_nodemask_create(const unsigned *nodes, size_t n,
                             umf_numa_nodemask_t **out) {
    if (out == NULL) {
        return EINVAL;
    }
    unsigned bad = 0;
    int err = umf_topology_numa_check(nodes, n, &bad);
    if (err) {
        if (err == EINVAL) {
            LOG_ERR("NUMA node %u does not exist", bad);
        }
        return err;
    }
    unsigned max_id = 0;
    for (size_t i = 0; i < n; i++) {
        max_id = UMF_MAX(max_id, nodes[i]);
    }
    size_t nlongs = n ? max_id / BITS_PER_ULONG + 1 : 0;
    umf_numa_nodemask_t *m =
        umf_ba_calloc(1, sizeof(*m) + nlongs * sizeof(unsigned long));
    if (!m) {
        return ENOMEM;
    }
    m->nlongs = nlongs;
    for (size_t i = 0; i < n; i++) {
        unsigned long bit = 1UL << (nodes[i] % BITS_PER_ULONG);
        unsigned long *word = &m->bits[nodes[i] / BITS_PER_ULONG];
        if (!(*word & bit)) {
            *word |= bit;
            m->weight++;
        }
    }
    *out = m;
    return 0;
}

void umf_numa_nodemask_destroy(umf_numa_nodemask_t *mask) { umf_ba_free(mask); }

static long sys_mbind(void *addr, size_t len, int mode,
                      const unsigned long *mask, unsigned long maxnode) {
    return syscall(SYS_mbind, addr, len, mode, mask, maxnode, 0);
}

int umf_numa_bind_area(void *addr, size_t len, umf_numa_policy_t policy,
                       const umf_numa_nodemask_t *mask) {
    if (!utils_atomic_load_acquire(&topo)) {
        /* teardown destroyed it since the mask was built: load again */
        (void)umf_topology_get();
    }
    if (!utils_atomic_load_acquire(&topo_is_thissystem)) {
        /* a fake topology: its node ids mean nothing to this kernel */
        return 0;
    }
    const unsigned long *bits = NULL;
    unsigned long maxnode = 0;
    if (mask && mask->nlongs) {
        bits = mask->bits;
        /* the kernel reads maxnode - 1 bits */
        maxnode = mask->nlongs * BITS_PER_ULONG + 1;
    }
    long r;
    switch (policy) {
    case UMF_NUMA_POLICY_BIND:
        if (!bits) {
            return EINVAL;
        }
        r = sys_mbind(addr, len, MPOL_BIND, bits, maxnode);
        break;
    case UMF_NUMA_POLICY_INTERLEAVE:
        if (!bits) {
            return EINVAL;
        }
        r = sys_mbind(addr, len, MPOL_INTERLEAVE, bits, maxnode);
        break;
    case UMF_NUMA_POLICY_PREFERRED:
        if (bits && mask->weight > 1) {
            /* several preferred nodes need Linux >= 5.15; older kernels
             * prefer the first one */
            r = sys_mbind(addr, len, MPOL_PREFERRED_MANY, bits, maxnode);
            if (r == 0 || errno != EINVAL) {
                break;
            }
        }
        /* an empty mask: the local node is preferred */
        r = sys_mbind(addr, len, MPOL_PREFERRED, bits, maxnode);
        break;
    case UMF_NUMA_POLICY_LOCAL:
        r = sys_mbind(addr, len, MPOL_LOCAL, NULL, 0);
        break;
    default:
        return EINVAL;
    }
    return r == 0 ? 0 : errno;
}
