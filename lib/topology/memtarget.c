/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memtarget.c -- memory targets (NUMA nodes): public getters and the
 * internal clone/compare used by memory spaces */
#include <errno.h>
#include <stdint.h>

#include <umf/memtarget.h>

#include "core/libumf_internal.h"
#include "topology/memtarget_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

umf_result_t memtarget_topology_error(int err) {
    switch (err) {
    case 0:
        return UMF_RESULT_SUCCESS;
    case ENOTSUP:
        LOG_ERR("memory targets need hwloc, which this build of libumf lacks");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    case ENODEV:
        LOG_ERR("the hwloc topology could not be loaded");
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    case ENOMEM:
        LOG_ERR("out of memory for topology data");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    default:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
}

umf_result_t memtarget_numa_new(unsigned id, umf_memtarget_handle_t *out) {
    umf_memtarget_handle_t t = umf_ba_alloc(sizeof(*t));
    if (!t) {
        LOG_ERR("allocating a memory target failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    t->type = UMF_MEMTARGET_TYPE_NUMA;
    t->id = id;
    *out = t;
    return UMF_RESULT_SUCCESS;
}

umf_result_t memtarget_clone(umf_const_memtarget_handle_t src,
                             umf_memtarget_handle_t *out) {
    umf_memtarget_handle_t t = umf_ba_alloc(sizeof(*t));
    if (!t) {
        LOG_ERR("allocating a memory target failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *t = *src;
    *out = t;
    return UMF_RESULT_SUCCESS;
}

void memtarget_destroy(umf_memtarget_handle_t target) { umf_ba_free(target); }

int memtarget_compare(umf_const_memtarget_handle_t a,
                      umf_const_memtarget_handle_t b) {
    if (a->type != b->type) {
        return a->type < b->type ? -1 : 1;
    }
    return (a->id > b->id) - (a->id < b->id);
}

umf_result_t memtarget_capacity(umf_const_memtarget_handle_t target,
                                size_t *capacity) {
    uint64_t bytes = 0;
    int err = umf_topology_numa_capacity(target->id, &bytes);
    if (err == EINVAL) {
        LOG_ERR("NUMA node %u is not in the topology", target->id);
    }
    if (err) {
        return memtarget_topology_error(err);
    }
    *capacity = bytes > SIZE_MAX ? SIZE_MAX : (size_t)bytes;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMemtargetGetType(
    umf_const_memtarget_handle_t hMemtarget, umf_memtarget_type_t *type) {
    UMF_CHECK(hMemtarget != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(type != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *type = hMemtarget->type;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMemtargetGetCapacity(
    umf_const_memtarget_handle_t hMemtarget, size_t *capacity) {
    UMF_CHECK(hMemtarget != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(capacity != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_ensure_initialized();
    return memtarget_capacity(hMemtarget, capacity);
}

UMF_EXPORT umf_result_t
umfMemtargetGetId(umf_const_memtarget_handle_t hMemtarget, unsigned *id) {
    UMF_CHECK(hMemtarget != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(id != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *id = hMemtarget->id;
    return UMF_RESULT_SUCCESS;
}
