/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* mempolicy.c -- memory policies (always available, hwloc or not).
 *
 * Decisions:
 * - custom split partitions are copied (the reference keeps the caller's
 *   pointer, which dangles as soon as a stack array goes out of scope);
 * - a part size that cannot be rounded up to a page, a partition of weight
 *   0, an empty partition list or one longer than UINT_MAX entries (the OS
 *   provider counts them in an unsigned) are rejected by the setter rather
 *   than when a provider is created;
 * - partition targets are NUMA node numbers; whether the memory space holds
 *   them is checked when a provider is created from the two. */
#include <limits.h>
#include <string.h>

#include <umf/mempolicy.h>

#include "topology/mempolicy_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

static const char *mempolicy_name(umf_mempolicy_membind_t type) {
    switch (type) {
    case UMF_MEMPOLICY_INTERLEAVE:
        return "UMF_MEMPOLICY_INTERLEAVE";
    case UMF_MEMPOLICY_BIND:
        return "UMF_MEMPOLICY_BIND";
    case UMF_MEMPOLICY_PREFERRED:
        return "UMF_MEMPOLICY_PREFERRED";
    case UMF_MEMPOLICY_SPLIT:
        return "UMF_MEMPOLICY_SPLIT";
    }
    return "an unknown policy";
}

UMF_EXPORT umf_result_t umfMempolicyCreate(umf_mempolicy_membind_t bind,
                                           umf_mempolicy_handle_t *hPolicy) {
    UMF_CHECK(hPolicy != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    switch (bind) {
    case UMF_MEMPOLICY_INTERLEAVE:
    case UMF_MEMPOLICY_BIND:
    case UMF_MEMPOLICY_PREFERRED:
    case UMF_MEMPOLICY_SPLIT:
        break;
    default:
        LOG_ERR("invalid memory policy: %d", (int)bind);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_mempolicy_handle_t p = umf_ba_calloc(1, sizeof(*p));
    if (!p) {
        LOG_ERR("allocating a memory policy failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->type = bind;
    *hPolicy = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMempolicyDestroy(umf_mempolicy_handle_t hPolicy) {
    UMF_CHECK(hPolicy != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_ba_free(hPolicy->parts);
    umf_ba_free(hPolicy);
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMempolicySetInterleavePartSize(
    umf_mempolicy_handle_t hPolicy, size_t partSize) {
    UMF_CHECK(hPolicy != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (hPolicy->type != UMF_MEMPOLICY_INTERLEAVE) {
        LOG_ERR("an interleave part size does not apply to %s",
                mempolicy_name(hPolicy->type));
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    size_t rounded;
    if (!utils_align_up_checked(partSize, utils_page_size(), &rounded)) {
        LOG_ERR("interleave part size %zu overflows when rounded up to the "
                "page size",
                partSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    hPolicy->part_size = partSize;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfMempolicySetCustomSplitPartitions(
    umf_mempolicy_handle_t hPolicy, umf_mempolicy_split_partition_t *partList,
    size_t partListLen) {
    UMF_CHECK(hPolicy != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(partList != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(partListLen > 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (hPolicy->type != UMF_MEMPOLICY_SPLIT) {
        LOG_ERR("split partitions do not apply to %s",
                mempolicy_name(hPolicy->type));
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (partListLen > UINT_MAX) {
        LOG_ERR("too many split partitions: %zu", partListLen);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    for (size_t i = 0; i < partListLen; i++) {
        if (partList[i].weight == 0) {
            LOG_ERR("split partition %zu has weight 0", i);
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }
    umf_mempolicy_split_partition_t *copy =
        umf_ba_calloc(partListLen, sizeof(*copy));
    if (!copy) {
        LOG_ERR("allocating the split partitions failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(copy, partList, partListLen * sizeof(*copy));
    umf_ba_free(hPolicy->parts);
    hPolicy->parts = copy;
    hPolicy->num_parts = partListLen;
    return UMF_RESULT_SUCCESS;
}
