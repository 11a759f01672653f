/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_internal.h -- what the disjoint pool's params functions and
 * the pool itself share: the params and shared-limits structures */
#ifndef UMF_POOL_DISJOINT_INTERNAL_H
#define UMF_POOL_DISJOINT_INTERNAL_H 1

#include <stddef.h>

#include <umf/pools/pool_disjoint.h>

/* Defaults (used by umfDisjointPoolParamsCreate and by NULL params). */
#define DISJOINT_DEFAULT_SLAB_MIN_SIZE ((size_t)64 * 1024)
#define DISJOINT_DEFAULT_MAX_POOLABLE_SIZE ((size_t)2 * 1024 * 1024)
#define DISJOINT_DEFAULT_CAPACITY ((size_t)4)
#define DISJOINT_DEFAULT_MIN_BUCKET_SIZE                                       \
    UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE
#define DISJOINT_DEFAULT_NAME "disjoint"
/* A name keeps at most this many characters (longer ones are cut). */
#define DISJOINT_NAME_MAX 63
/* Highest trace level with a meaning (higher values act like it). */
#define DISJOINT_TRACE_MAX 3

struct umf_disjoint_pool_params_t {
    size_t slab_min_size;
    size_t max_poolable_size;
    size_t capacity;
    size_t min_bucket_size;
    int trace;
    umf_disjoint_pool_shared_limits_handle_t shared_limits; /* may be NULL */
    char name[DISJOINT_NAME_MAX + 1];
};

/* Bytes of empty slabs kept cached by every pool that uses the limits.
 * total_size only grows through disjoint_limits_try_add, which adds and
 * undoes on overflow (never a CAS loop: no livelock under contention).
 *
 * refs: one reference for the user's handle plus one per pool using it; the
 * structure is freed when the last goes, so a user who destroys the limits
 * before the pools that use them does not leave the pools a dangling
 * pointer. */
struct umf_disjoint_pool_shared_limits_t {
    size_t max_size;
    size_t total_size;
    size_t refs;
};

/* Take / drop a reference on shared limits (drop frees at zero). */
void disjoint_limits_ref(umf_disjoint_pool_shared_limits_handle_t limits);
void disjoint_limits_unref(umf_disjoint_pool_shared_limits_handle_t limits);

#endif /* UMF_POOL_DISJOINT_INTERNAL_H */
