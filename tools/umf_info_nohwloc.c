/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_nohwloc.c -- umf-info without hwloc: nothing is known */
#include "umf_info_internal.h"

bool info_topo_open(void) { return false; }

void info_topo_close(void) {}

void info_hwloc_version(char *buf, size_t len) {
    if (len) {
        buf[0] = '\0';
    }
}

bool info_node_bandwidth(unsigned id, uint64_t *mib_per_s) {
    (void)id;
    (void)mib_per_s;
    return false;
}

bool info_node_latency(unsigned id, uint64_t *ns) {
    (void)id;
    (void)ns;
    return false;
}
