/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_hwloc.c -- umf-info's view of hwloc memory attributes */
#include <hwloc.h>
#include <stdio.h>

#include "umf_info_internal.h"

static hwloc_topology_t topo;

bool info_topo_open(void) {
    if (topo) {
        return true;
    }
    if (hwloc_topology_init(&topo) != 0) {
        topo = NULL;
        return false;
    }
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        topo = NULL;
        return false;
    }
    return true;
}

void info_topo_close(void) {
    if (topo) {
        hwloc_topology_destroy(topo);
        topo = NULL;
    }
}

void info_hwloc_version(char *buf, size_t len) {
    /* the API version (2.9.x reports 2.8): the exact release is not known */
    unsigned v = hwloc_get_api_version();
    snprintf(buf, len, "%u.%u", v >> 16, (v >> 8) & 0xff);
}

static bool node_memattr(unsigned id, hwloc_memattr_id_t attr,
                         uint64_t *value) {
    if (!topo) {
        return false;
    }
    hwloc_obj_t node = hwloc_get_numanode_obj_by_os_index(topo, id);
    if (!node) {
        return false;
    }
    struct hwloc_location initiator;
    hwloc_uint64_t v = 0;
    if (hwloc_memattr_get_best_initiator(topo, attr, node, 0, &initiator, &v) !=
        0) {
        return false;
    }
    *value = v;
    return true;
}

bool info_node_bandwidth(unsigned id, uint64_t *mib_per_s) {
    return node_memattr(id, HWLOC_MEMATTR_ID_BANDWIDTH, mib_per_s);
}

bool info_node_latency(unsigned id, uint64_t *ns) {
    return node_memattr(id, HWLOC_MEMATTR_ID_LATENCY, ns);
}
