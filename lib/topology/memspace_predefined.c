/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memspace_predefined.c -- the four predefined memory spaces.
 *
 * Each is built from the process-wide topology the first time its getter
 * runs (one thread builds, the others wait on the lock) and published
 * through an atomic pointer, so later calls take no lock. A space that
 * cannot be built (no hwloc, no topology, no bandwidth or latency values)
 * is remembered as missing, with one log line, until teardown:
 * memspace_predefined_destroy() (called by umfTearDown before the topology
 * is destroyed) frees all four and lets the next getter build them anew.
 *
 * - host-all: every NUMA node, by node number;
 * - highest-capacity: every node, largest capacity first (ties by number);
 * - highest-bandwidth / lowest-latency: for each node with CPUs, in node
 *   order, the node those CPUs reach with the highest bandwidth / lowest
 *   latency according to hwloc's memory attributes (firmware HMAT), each
 *   node once. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <umf/memspace.h>

#include "core/libumf_internal.h"
#include "topology/memspace_internal.h"
#include "topology/memtarget_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

enum {
    PREDEF_HOST_ALL,
    PREDEF_HIGHEST_CAPACITY,
    PREDEF_HIGHEST_BANDWIDTH,
    PREDEF_LOWEST_LATENCY,
    PREDEF_COUNT
};

static pthread_mutex_t predef_lock = PTHREAD_MUTEX_INITIALIZER;
static umf_memspace_handle_t predef[PREDEF_COUNT]; /* published atomically */
static bool predef_tried[PREDEF_COUNT];            /* under predef_lock */

static const char *const predef_names[PREDEF_COUNT] = {
    "host-all", "highest-capacity", "highest-bandwidth", "lowest-latency"};

typedef struct node_cap_t {
    unsigned id;
    uint64_t capacity;
} node_cap_t;

/* Does a come before b: larger capacity first, then lower id? */
static bool capacity_before(const node_cap_t *a, const node_cap_t *b) {
    return a->capacity != b->capacity ? a->capacity > b->capacity
                                      : a->id < b->id;
}

/* Sort ids[0..n) by capacity, largest first. */
static int sort_by_capacity(unsigned *ids, size_t n) {
    node_cap_t *a = umf_ba_calloc(n, sizeof(*a));
    if (!a) {
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        a[i].id = ids[i];
        int err = umf_topology_numa_capacity(ids[i], &a[i].capacity);
        if (err) {
            umf_ba_free(a);
            return err;
        }
    }
    /* insertion sort: few nodes, and qsort may call malloc */
    for (size_t i = 1; i < n; i++) {
        node_cap_t v = a[i];
        size_t j = i;
        for (; j > 0 && capacity_before(&v, &a[j - 1]); j--) {
            a[j] = a[j - 1];
        }
        a[j] = v;
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = a[i].id;
    }
    umf_ba_free(a);
    return 0;
}

/* Replace ids[0..*n) by the best target of each, deduplicated, in order.
 * ENOENT when no node has a value. */
static int best_targets(umf_topology_memattr_t attr, unsigned *ids, size_t *n) {
    size_t out = 0;
    for (size_t i = 0; i < *n; i++) {
        unsigned best;
        int err = umf_topology_numa_best_target(attr, ids[i], &best, NULL);
        if (err == ENOENT) {
            continue; /* no CPUs there, or no values from them */
        }
        if (err) {
            return err;
        }
        bool seen = false;
        for (size_t j = 0; j < out && !seen; j++) {
            seen = ids[j] == best;
        }
        if (!seen) {
            ids[out++] = best; /* out <= i: ids[i+1..] are still unread */
        }
    }
    *n = out;
    return out ? 0 : ENOENT;
}

static const memspace_kind_t predef_kinds[PREDEF_COUNT] = {
    MEMSPACE_KIND_HOST_ALL, MEMSPACE_KIND_HIGHEST_CAPACITY,
    MEMSPACE_KIND_HIGHEST_BANDWIDTH, MEMSPACE_KIND_LOWEST_LATENCY};

static umf_memspace_handle_t predef_build(int which) {
    unsigned *ids = NULL;
    size_t n = 0;
    int err = umf_topology_numa_ids(&ids, &n);
    if (err == 0 && n == 0) {
        err = ENODEV;
    }
    if (err == 0 && which == PREDEF_HIGHEST_CAPACITY) {
        err = sort_by_capacity(ids, n);
    } else if (err == 0 && which == PREDEF_HIGHEST_BANDWIDTH) {
        err = best_targets(UMF_TOPOLOGY_MEMATTR_BANDWIDTH, ids, &n);
    } else if (err == 0 && which == PREDEF_LOWEST_LATENCY) {
        err = best_targets(UMF_TOPOLOGY_MEMATTR_LATENCY, ids, &n);
    }

    umf_memspace_handle_t ms = NULL;
    switch (err) {
    case 0:
        if (memspace_from_ids(predef_kinds[which], ids, n, &ms) !=
            UMF_RESULT_SUCCESS) {
            ms = NULL;
        }
        break;
    case ENOTSUP:
        LOG_ERR("the %s memory space needs hwloc, which this build of libumf "
                "lacks",
                predef_names[which]);
        break;
    case ENODEV:
        LOG_ERR("the %s memory space is unavailable: no NUMA topology",
                predef_names[which]);
        break;
    case ENOENT:
        LOG_WARN("the %s memory space is unavailable: the system reports no "
                 "%s values (no ACPI HMAT)",
                 predef_names[which],
                 which == PREDEF_HIGHEST_BANDWIDTH ? "bandwidth" : "latency");
        break;
    default:
        LOG_ERR("building the %s memory space failed (errno %d)",
                predef_names[which], err);
        break;
    }
    umf_ba_free(ids);
    return ms;
}

static umf_const_memspace_handle_t predef_get(int which) {
    umf_memspace_handle_t ms = utils_atomic_load_acquire(&predef[which]);
    if (UMF_LIKELY(ms != NULL)) {
        return ms;
    }
    umf_ensure_initialized();
    pthread_mutex_lock(&predef_lock);
    ms = predef[which];
    if (!ms && !predef_tried[which]) {
        ms = predef_build(which);
        predef_tried[which] = true;
        utils_atomic_store_release(&predef[which], ms);
    }
    pthread_mutex_unlock(&predef_lock);
    return ms;
}

void memspace_predefined_destroy(void) {
    pthread_mutex_lock(&predef_lock);
    for (int i = 0; i < PREDEF_COUNT; i++) {
        umf_memspace_handle_t ms = predef[i];
        utils_atomic_store_release(&predef[i], (umf_memspace_handle_t)NULL);
        predef_tried[i] = false;
        memspace_free(ms);
    }
    pthread_mutex_unlock(&predef_lock);
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHostAllGet(void) {
    return predef_get(PREDEF_HOST_ALL);
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHighestCapacityGet(void) {
    return predef_get(PREDEF_HIGHEST_CAPACITY);
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHighestBandwidthGet(void) {
    return predef_get(PREDEF_HIGHEST_BANDWIDTH);
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceLowestLatencyGet(void) {
    return predef_get(PREDEF_LOWEST_LATENCY);
}

/* fork(2): held across fork, released in both processes by the forking
 * thread (the child has that thread only) */
void memspace_predefined_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&predef_lock);
}

void memspace_predefined_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&predef_lock);
}

void memspace_predefined_fork_child(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&predef_lock);
}
