/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* mempolicy_internal.h -- memory policies: how a provider created from a
 * memory space spreads memory over the space's targets. No topology is
 * needed: a policy is plain data, read by umfMemoryProviderCreateFromMemspace
 * (lib/topology/memspace.c). Policies live in base-allocator memory. */
#ifndef UMF_MEMPOLICY_INTERNAL_H
#define UMF_MEMPOLICY_INTERNAL_H 1

#include <stddef.h>

#include <umf/mempolicy.h>

struct umf_mempolicy_t {
    umf_mempolicy_membind_t type;
    size_t part_size; /* INTERLEAVE: 0 = page by page (the kernel's) */
    /* SPLIT: a copy of the caller's partitions; NULL = even split */
    umf_mempolicy_split_partition_t *parts;
    size_t num_parts;
};

#endif /* UMF_MEMPOLICY_INTERNAL_H */
