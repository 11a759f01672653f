/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_numa.c -- NUMA binding of the OS memory provider: the node
 * list checked against the mode, the node masks built at create, and the
 * binding of every fresh mapping.
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
 * TOPO_DISCOVERY_FAILED at create. */
#include <errno.h>
#include <stdbool.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "providers/provider_os_memory_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* The NUMA list must fit the mode: DEFAULT and LOCAL bind nowhere in
 * particular, BIND, INTERLEAVE and SPLIT need nodes, PREFERRED takes either. */
umf_result_t os_validate_numa(const struct umf_os_memory_provider_params_t *p,
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

void os_numa_free(os_provider_t *os) {
    umf_numa_nodemask_destroy(os->mask);
    for (unsigned i = 0; i < os->num_parts; i++) {
        umf_numa_nodemask_destroy(os->parts[i].mask);
    }
    umf_ba_free(os->parts);
}

/* Build the node masks the mode binds with (validation already done). */
umf_result_t os_numa_init(os_provider_t *os,
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

/* Bind a fresh private mapping as the NUMA mode says; 0 or an errno. */
int os_numa_bind(const os_provider_t *os, void *addr, size_t len) {
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
