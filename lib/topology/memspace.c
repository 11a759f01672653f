/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memspace.c -- memory spaces: creation, targets, filters, and providers
 * and pools created from a space and a policy.
 *
 * Decisions (where the reference differs or is silent):
 * - umfMemspaceCreateFromNumaArray checks the ids against the topology and
 *   rejects missing and repeated ones (INVALID_ARGUMENT); the reference
 *   accepts any id and fails later, when a provider binds.
 * - The filters decide about every target first and change the space only
 *   when nothing failed, so an error always leaves the space unchanged
 *   (UMF_RESULT_ERROR_UNKNOWN, "corrupted", is never returned). A filter
 *   may empty a space.
 * - Predefined spaces are read-only: the mutators reject them
 *   (INVALID_ARGUMENT) and umfMemspaceDestroy ignores them.
 * - umfPoolCreateFromMemspace works (the reference returns NOT_SUPPORTED):
 *   a disjoint pool with its default parameters over a provider from
 *   umfMemoryProviderCreateFromMemspace, which the pool owns.
 * - Without hwloc, umfMemspaceNew, Clone, the target accessors and the
 *   filters that need no topology still work (on necessarily empty spaces);
 *   what needs the topology returns NOT_SUPPORTED or NULL. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memspace.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/providers/provider_os_memory.h>

#include "core/libumf_internal.h"
#include "topology/mempolicy_internal.h"
#include "topology/memspace_internal.h"
#include "topology/memtarget_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* ---------------------------------------------------------------------- */
/* Internal                                                               */
/* ---------------------------------------------------------------------- */

umf_result_t memspace_new(memspace_kind_t kind, umf_memspace_handle_t *out) {
    umf_memspace_handle_t ms = umf_ba_calloc(1, sizeof(*ms));
    if (!ms) {
        LOG_ERR("allocating a memory space failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    ms->kind = kind;
    *out = ms;
    return UMF_RESULT_SUCCESS;
}

void memspace_free(umf_memspace_handle_t ms) {
    if (!ms) {
        return;
    }
    for (size_t i = 0; i < ms->size; i++) {
        memtarget_destroy(ms->targets[i]);
    }
    umf_ba_free(ms->targets);
    umf_ba_free(ms);
}

/* Make room for n more targets. */
static umf_result_t memspace_reserve(umf_memspace_handle_t ms, size_t n) {
    size_t need;
    if (utils_add_overflow(ms->size, n, &need)) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (need <= ms->capacity) {
        return UMF_RESULT_SUCCESS;
    }
    size_t cap = ms->capacity ? ms->capacity : 4;
    while (cap < need) {
        if (utils_mul_overflow(cap, 2, &cap)) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    }
    umf_memtarget_handle_t *t = umf_ba_calloc(cap, sizeof(*t));
    if (!t) {
        LOG_ERR("allocating memory space slots failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    if (ms->size) {
        memcpy(t, ms->targets, ms->size * sizeof(*t));
    }
    umf_ba_free(ms->targets);
    ms->targets = t;
    ms->capacity = cap;
    return UMF_RESULT_SUCCESS;
}

umf_result_t memspace_from_ids(memspace_kind_t kind, const unsigned *ids,
                               size_t n, umf_memspace_handle_t *out) {
    umf_memspace_handle_t ms;
    umf_result_t ret = memspace_new(kind, &ms);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = memspace_reserve(ms, n);
    for (size_t i = 0; ret == UMF_RESULT_SUCCESS && i < n; i++) {
        ret = memtarget_numa_new(ids[i], &ms->targets[i]);
        if (ret == UMF_RESULT_SUCCESS) {
            ms->size = i + 1;
        }
    }
    if (ret != UMF_RESULT_SUCCESS) {
        memspace_free(ms);
        return ret;
    }
    *out = ms;
    return UMF_RESULT_SUCCESS;
}

static bool memspace_writable(umf_const_memspace_handle_t ms) {
    if (ms->kind != MEMSPACE_KIND_USER) {
        LOG_ERR("a predefined memory space cannot be changed; clone it");
        return false;
    }
    return true;
}

/* The index of the target equal to t, or ms->size. */
static size_t memspace_find(umf_const_memspace_handle_t ms,
                            umf_const_memtarget_handle_t t) {
    size_t i = 0;
    while (i < ms->size && memtarget_compare(ms->targets[i], t) != 0) {
        i++;
    }
    return i;
}

/* A filter's verdict on one target: 0 remove, >0 keep, <0 failed (*err
 * says how). */
typedef int (*memspace_pred_t)(umf_const_memspace_handle_t ms,
                               umf_const_memtarget_handle_t t, void *arg,
                               umf_result_t *err);

/* Ask pred about every target, then remove the rejected ones; on failure
 * the space is unchanged. */
static umf_result_t memspace_filter(umf_memspace_handle_t ms,
                                    memspace_pred_t pred, void *arg) {
    if (ms->size == 0) {
        return UMF_RESULT_SUCCESS;
    }
    bool *keep = umf_ba_calloc(ms->size, sizeof(*keep));
    if (!keep) {
        LOG_ERR("allocating the filter state failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (size_t i = 0; i < ms->size; i++) {
        umf_result_t err = UMF_RESULT_ERROR_UNKNOWN;
        int r = pred(ms, ms->targets[i], arg, &err);
        if (r < 0) {
            umf_ba_free(keep);
            return err;
        }
        keep[i] = r > 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < ms->size; i++) {
        if (keep[i]) {
            ms->targets[n++] = ms->targets[i];
        } else {
            memtarget_destroy(ms->targets[i]);
        }
    }
    ms->size = n;
    umf_ba_free(keep);
    return UMF_RESULT_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Creating and destroying                                                */
/* ---------------------------------------------------------------------- */

UMF_EXPORT umf_result_t umfMemspaceNew(umf_memspace_handle_t *hMemspace) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    return memspace_new(MEMSPACE_KIND_USER, hMemspace);
}

UMF_EXPORT umf_result_t umfMemspaceCreateFromNumaArray(
    unsigned *nodeIds, size_t numIds, umf_memspace_handle_t *hMemspace) {
    UMF_CHECK(nodeIds != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(numIds > 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_ensure_initialized();

    unsigned bad = 0;
    int err = umf_topology_numa_check(nodeIds, numIds, &bad);
    if (err == EINVAL) {
        LOG_ERR("NUMA node %u does not exist", bad);
    }
    if (err) {
        return memtarget_topology_error(err);
    }
    for (size_t i = 1; i < numIds; i++) {
        for (size_t j = 0; j < i; j++) {
            if (nodeIds[i] == nodeIds[j]) {
                LOG_ERR("NUMA node %u is given twice", nodeIds[i]);
                return UMF_RESULT_ERROR_INVALID_ARGUMENT;
            }
        }
    }
    return memspace_from_ids(MEMSPACE_KIND_USER, nodeIds, numIds, hMemspace);
}

UMF_EXPORT umf_result_t umfMemspaceClone(umf_const_memspace_handle_t hMemspace,
                                         umf_memspace_handle_t *hNewMemspace) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hNewMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memspace_handle_t ms;
    umf_result_t ret = memspace_new(MEMSPACE_KIND_USER, &ms);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = memspace_reserve(ms, hMemspace->size);
    for (size_t i = 0; ret == UMF_RESULT_SUCCESS && i < hMemspace->size; i++) {
        ret = memtarget_clone(hMemspace->targets[i], &ms->targets[i]);
        if (ret == UMF_RESULT_SUCCESS) {
            ms->size = i + 1;
        }
    }
    if (ret != UMF_RESULT_SUCCESS) {
        memspace_free(ms);
        return ret;
    }
    *hNewMemspace = ms;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT void umfMemspaceDestroy(umf_memspace_handle_t hMemspace) {
    if (!hMemspace) {
        return;
    }
    if (hMemspace->kind != MEMSPACE_KIND_USER) {
        LOG_ERR("a predefined memory space cannot be destroyed; ignored");
        return;
    }
    memspace_free(hMemspace);
}

/* ---------------------------------------------------------------------- */
/* Targets                                                                */
/* ---------------------------------------------------------------------- */

UMF_EXPORT size_t
umfMemspaceMemtargetNum(umf_const_memspace_handle_t hMemspace) {
    return hMemspace ? hMemspace->size : 0;
}

UMF_EXPORT umf_const_memtarget_handle_t umfMemspaceMemtargetGet(
    umf_const_memspace_handle_t hMemspace, unsigned targetNum) {
    if (!hMemspace || targetNum >= hMemspace->size) {
        return NULL;
    }
    return hMemspace->targets[targetNum];
}

UMF_EXPORT umf_result_t umfMemspaceMemtargetAdd(
    umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hMemtarget != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!memspace_writable(hMemspace)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hMemtarget->type != UMF_MEMTARGET_TYPE_NUMA) {
        LOG_ERR("unknown memory target type %d", (int)hMemtarget->type);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (hMemspace->size > 0 &&
        hMemspace->targets[0]->type != hMemtarget->type) {
        LOG_ERR("a memory space cannot mix memory target types");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (memspace_find(hMemspace, hMemtarget) < hMemspace->size) {
        LOG_ERR("the memory space already holds NUMA node %u", hMemtarget->id);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = memspace_reserve(hMemspace, 1);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = memtarget_clone(hMemtarget, &hMemspace->targets[hMemspace->size]);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    hMemspace->size++;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMemspaceMemtargetRemove(
    umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hMemtarget != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!memspace_writable(hMemspace)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t i = memspace_find(hMemspace, hMemtarget);
    if (i == hMemspace->size) {
        LOG_ERR("the memory space does not hold NUMA node %u", hMemtarget->id);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memtarget_destroy(hMemspace->targets[i]);
    memmove(&hMemspace->targets[i], &hMemspace->targets[i + 1],
            (hMemspace->size - i - 1) * sizeof(*hMemspace->targets));
    hMemspace->size--;
    return UMF_RESULT_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Filters                                                                */
/* ---------------------------------------------------------------------- */

typedef struct filter_ids_t {
    const unsigned *ids;
    size_t n;
} filter_ids_t;

static int pred_by_id(umf_const_memspace_handle_t ms,
                      umf_const_memtarget_handle_t t, void *arg,
                      umf_result_t *err) {
    (void)ms;
    (void)err;
    const filter_ids_t *f = arg;
    for (size_t i = 0; i < f->n; i++) {
        if (f->ids[i] == t->id) {
            return 1;
        }
    }
    return 0;
}

static int pred_by_capacity(umf_const_memspace_handle_t ms,
                            umf_const_memtarget_handle_t t, void *arg,
                            umf_result_t *err) {
    (void)ms;
    size_t cap = 0;
    *err = memtarget_capacity(t, &cap);
    if (*err != UMF_RESULT_SUCCESS) {
        return -1;
    }
    return (uint64_t)cap >= *(const uint64_t *)arg ? 1 : 0;
}

typedef struct filter_user_t {
    umf_memspace_filter_func_t fn;
    void *args;
} filter_user_t;

static int pred_user(umf_const_memspace_handle_t ms,
                     umf_const_memtarget_handle_t t, void *arg,
                     umf_result_t *err) {
    const filter_user_t *f = arg;
    int r = f->fn(ms, t, f->args);
    if (r < 0) {
        LOG_ERR("the memory space filter failed (%d)", r);
        *err = UMF_RESULT_ERROR_USER_SPECIFIC;
    }
    return r;
}

UMF_EXPORT umf_result_t umfMemspaceFilterById(umf_memspace_handle_t hMemspace,
                                              unsigned *ids, size_t size) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ids != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size > 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!memspace_writable(hMemspace)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    filter_ids_t f = {ids, size};
    return memspace_filter(hMemspace, pred_by_id, &f);
}

UMF_EXPORT umf_result_t
umfMemspaceFilterByCapacity(umf_memspace_handle_t hMemspace, int64_t size) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size >= 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!memspace_writable(hMemspace)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_ensure_initialized();
    uint64_t min = (uint64_t)size;
    return memspace_filter(hMemspace, pred_by_capacity, &min);
}

UMF_EXPORT umf_result_t umfMemspaceUserFilter(umf_memspace_handle_t hMemspace,
                                              umf_memspace_filter_func_t filter,
                                              void *args) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(filter != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (!memspace_writable(hMemspace)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    filter_user_t f = {filter, args};
    return memspace_filter(hMemspace, pred_user, &f);
}

/* ---------------------------------------------------------------------- */
/* Providers and pools                                                    */
/* ---------------------------------------------------------------------- */

void memspace_os_config_fini(memspace_os_config_t *cfg) {
    umf_ba_free(cfg->nodes);
    umf_ba_free(cfg->parts);
    memset(cfg, 0, sizeof(*cfg));
}

/* Copy the policy's split partitions, checking that each names a node of
 * the space. */
static umf_result_t config_partitions(memspace_os_config_t *cfg,
                                      umf_const_mempolicy_handle_t policy) {
    if (policy->num_parts == 0) {
        return UMF_RESULT_SUCCESS; /* an even split over the nodes */
    }
    for (size_t i = 0; i < policy->num_parts; i++) {
        bool found = false;
        for (unsigned j = 0; j < cfg->num_nodes && !found; j++) {
            found = cfg->nodes[j] == policy->parts[i].target;
        }
        if (!found) {
            LOG_ERR("split partition %zu targets NUMA node %u, which is not "
                    "in the memory space",
                    i, policy->parts[i].target);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }
    cfg->parts = umf_ba_calloc(policy->num_parts, sizeof(*cfg->parts));
    if (!cfg->parts) {
        LOG_ERR("allocating the split partitions failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (size_t i = 0; i < policy->num_parts; i++) {
        cfg->parts[i].weight = policy->parts[i].weight;
        cfg->parts[i].target = policy->parts[i].target;
    }
    cfg->num_parts = (unsigned)policy->num_parts;
    return UMF_RESULT_SUCCESS;
}

umf_result_t memspace_os_config(umf_const_memspace_handle_t ms,
                                umf_const_mempolicy_handle_t policy,
                                memspace_os_config_t *cfg) {
    memset(cfg, 0, sizeof(*cfg));
    if (ms->size == 0) {
        LOG_ERR("the memory space is empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ms->size > UINT_MAX) {
        LOG_ERR("the memory space has too many targets");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < ms->size; i++) {
        if (ms->targets[i]->type != UMF_MEMTARGET_TYPE_NUMA) {
            LOG_ERR("memory target type %d cannot back a provider",
                    (int)ms->targets[i]->type);
            return UMF_RESULT_ERROR_NOT_SUPPORTED;
        }
    }
    cfg->nodes = umf_ba_calloc(ms->size, sizeof(*cfg->nodes));
    if (!cfg->nodes) {
        LOG_ERR("allocating the NUMA node list failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    for (size_t i = 0; i < ms->size; i++) {
        cfg->nodes[i] = ms->targets[i]->id;
    }
    cfg->num_nodes = (unsigned)ms->size;

    umf_result_t ret = UMF_RESULT_SUCCESS;
    if (!policy) {
        switch (ms->kind) {
        case MEMSPACE_KIND_HOST_ALL:
            /* every node: the system's default policy does just that */
            cfg->mode = UMF_NUMA_MODE_DEFAULT;
            umf_ba_free(cfg->nodes);
            cfg->nodes = NULL;
            cfg->num_nodes = 0;
            break;
        case MEMSPACE_KIND_HIGHEST_CAPACITY:
            cfg->mode = UMF_NUMA_MODE_BIND;
            cfg->num_nodes = 1; /* the largest node only */
            break;
        default:
            cfg->mode = UMF_NUMA_MODE_BIND;
            break;
        }
        return UMF_RESULT_SUCCESS;
    }
    switch (policy->type) {
    case UMF_MEMPOLICY_INTERLEAVE:
        cfg->mode = UMF_NUMA_MODE_INTERLEAVE;
        cfg->part_size = policy->part_size;
        break;
    case UMF_MEMPOLICY_BIND:
        cfg->mode = UMF_NUMA_MODE_BIND;
        break;
    case UMF_MEMPOLICY_PREFERRED:
        cfg->mode = UMF_NUMA_MODE_PREFERRED;
        break;
    case UMF_MEMPOLICY_SPLIT:
        cfg->mode = UMF_NUMA_MODE_SPLIT;
        ret = config_partitions(cfg, policy);
        break;
    default:
        LOG_ERR("invalid memory policy: %d", (int)policy->type);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        break;
    }
    if (ret != UMF_RESULT_SUCCESS) {
        memspace_os_config_fini(cfg);
    }
    return ret;
}

/* Fill OS provider params from a configuration. */
static umf_result_t config_to_params(const memspace_os_config_t *cfg,
                                     umf_os_memory_provider_params_handle_t p) {
    umf_result_t ret = umfOsMemoryProviderParamsSetNumaMode(p, cfg->mode);
    if (ret == UMF_RESULT_SUCCESS) {
        ret =
            umfOsMemoryProviderParamsSetNumaList(p, cfg->nodes, cfg->num_nodes);
    }
    if (ret == UMF_RESULT_SUCCESS && cfg->mode == UMF_NUMA_MODE_INTERLEAVE) {
        ret = umfOsMemoryProviderParamsSetPartSize(p, cfg->part_size);
    }
    if (ret == UMF_RESULT_SUCCESS && cfg->num_parts > 0) {
        ret = umfOsMemoryProviderParamsSetPartitions(p, cfg->parts,
                                                     cfg->num_parts);
    }
    return ret;
}

UMF_EXPORT umf_result_t umfMemoryProviderCreateFromMemspace(
    umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
    umf_memory_provider_handle_t *hProvider) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hProvider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    memspace_os_config_t cfg;
    umf_result_t ret = memspace_os_config(hMemspace, hPolicy, &cfg);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    umf_os_memory_provider_params_handle_t params = NULL;
    ret = umfOsMemoryProviderParamsCreate(&params);
    if (ret == UMF_RESULT_SUCCESS) {
        ret = config_to_params(&cfg, params);
    }
    if (ret == UMF_RESULT_SUCCESS) {
        ret = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params,
                                      hProvider);
    }
    umfOsMemoryProviderParamsDestroy(params);
    memspace_os_config_fini(&cfg);
    return ret;
}

UMF_EXPORT umf_result_t umfPoolCreateFromMemspace(
    umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
    umf_memory_pool_handle_t *hPool) {
    UMF_CHECK(hMemspace != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(hPool != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_provider_handle_t provider = NULL;
    umf_result_t ret =
        umfMemoryProviderCreateFromMemspace(hMemspace, hPolicy, &provider);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    /* the pool owns the provider; if the pool cannot be made, it is ours */
    ret = umfPoolCreate(umfDisjointPoolOps(), provider, NULL,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, hPool);
    if (ret != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(provider);
    }
    return ret;
}
