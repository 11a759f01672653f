/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* topology_none.c -- memspace/memtarget/mempolicy stubs (not in build) */
#include <stddef.h>
#include <stdint.h>

#include <umf/mempolicy.h>
#include <umf/memspace.h>
#include <umf/memtarget.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

#define TOPOLOGY_NOT_SUPPORTED()                                               \
    LOG_ERR("memspaces, memtargets and mempolicies are not supported by "      \
            "this build of libumf")

/* memspace.h */

UMF_EXPORT umf_result_t umfPoolCreateFromMemspace(
    umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
    umf_memory_pool_handle_t *hPool) {
    (void)hMemspace;
    (void)hPolicy;
    (void)hPool;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemoryProviderCreateFromMemspace(
    umf_const_memspace_handle_t hMemspace, umf_const_mempolicy_handle_t hPolicy,
    umf_memory_provider_handle_t *hProvider) {
    (void)hMemspace;
    (void)hPolicy;
    (void)hProvider;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemspaceCreateFromNumaArray(
    unsigned *nodeIds, size_t numIds, umf_memspace_handle_t *hMemspace) {
    (void)nodeIds;
    (void)numIds;
    (void)hMemspace;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT void umfMemspaceDestroy(umf_memspace_handle_t hMemspace) {
    (void)hMemspace;
    TOPOLOGY_NOT_SUPPORTED();
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHostAllGet(void) {
    TOPOLOGY_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHighestCapacityGet(void) {
    TOPOLOGY_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceHighestBandwidthGet(void) {
    TOPOLOGY_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_const_memspace_handle_t umfMemspaceLowestLatencyGet(void) {
    TOPOLOGY_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfMemspaceNew(umf_memspace_handle_t *hMemspace) {
    (void)hMemspace;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT size_t
umfMemspaceMemtargetNum(umf_const_memspace_handle_t hMemspace) {
    (void)hMemspace;
    TOPOLOGY_NOT_SUPPORTED();
    return 0;
}

UMF_EXPORT umf_const_memtarget_handle_t umfMemspaceMemtargetGet(
    umf_const_memspace_handle_t hMemspace, unsigned targetNum) {
    (void)hMemspace;
    (void)targetNum;
    TOPOLOGY_NOT_SUPPORTED();
    return NULL;
}

UMF_EXPORT umf_result_t umfMemspaceMemtargetAdd(
    umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    (void)hMemspace;
    (void)hMemtarget;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemspaceMemtargetRemove(
    umf_memspace_handle_t hMemspace, umf_const_memtarget_handle_t hMemtarget) {
    (void)hMemspace;
    (void)hMemtarget;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemspaceClone(umf_const_memspace_handle_t hMemspace,
                                         umf_memspace_handle_t *hNewMemspace) {
    (void)hMemspace;
    (void)hNewMemspace;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemspaceFilterById(umf_memspace_handle_t hMemspace,
                                              unsigned *ids, size_t size) {
    (void)hMemspace;
    (void)ids;
    (void)size;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t
umfMemspaceFilterByCapacity(umf_memspace_handle_t hMemspace, int64_t size) {
    (void)hMemspace;
    (void)size;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemspaceUserFilter(umf_memspace_handle_t hMemspace,
                                              umf_memspace_filter_func_t filter,
                                              void *args) {
    (void)hMemspace;
    (void)filter;
    (void)args;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

/* memtarget.h */

UMF_EXPORT umf_result_t umfMemtargetGetType(
    umf_const_memtarget_handle_t hMemtarget, umf_memtarget_type_t *type) {
    (void)hMemtarget;
    (void)type;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMemtargetGetCapacity(
    umf_const_memtarget_handle_t hMemtarget, size_t *capacity) {
    (void)hMemtarget;
    (void)capacity;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t
umfMemtargetGetId(umf_const_memtarget_handle_t hMemtarget, unsigned *id) {
    (void)hMemtarget;
    (void)id;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

/* mempolicy.h */

UMF_EXPORT umf_result_t umfMempolicyCreate(umf_mempolicy_membind_t bind,
                                           umf_mempolicy_handle_t *hPolicy) {
    (void)bind;
    TOPOLOGY_NOT_SUPPORTED();
    if (hPolicy) {
        *hPolicy = NULL;
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMempolicyDestroy(umf_mempolicy_handle_t hPolicy) {
    (void)hPolicy;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMempolicySetInterleavePartSize(
    umf_mempolicy_handle_t hPolicy, size_t partSize) {
    (void)hPolicy;
    (void)partSize;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

UMF_EXPORT umf_result_t umfMempolicySetCustomSplitPartitions(
    umf_mempolicy_handle_t hPolicy, umf_mempolicy_split_partition_t *partList,
    size_t partListLen) {
    (void)hPolicy;
    (void)partList;
    (void)partListLen;
    TOPOLOGY_NOT_SUPPORTED();
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}
