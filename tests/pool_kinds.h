/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_kinds.h -- the library's pools by name, for the reliability tests
 * (fork, fault injection, stress, checking mode): one place that knows how
 * to make each of them over a given provider. */
#ifndef UMF_TEST_POOL_KINDS_H
#define UMF_TEST_POOL_KINDS_H 1

#include <stdlib.h>
#include <string.h>

#include "test_helpers.h"

#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>

static const char *const pool_kind_names[] = {"disjoint", "jemalloc",
                                              "scalable", "proxy"};
#define POOL_KIND_COUNT 4
#define POOL_KIND_MALLOC_COUNT 3 /* the first three keep their own blocks */

/* umfPoolCreate of the named pool over prov (flags as given); returns the
 * result, UMF_RESULT_ERROR_NOT_SUPPORTED for an unknown name. */
static inline umf_result_t pool_kind_create(const char *kind,
                                            umf_memory_provider_handle_t prov,
                                            umf_pool_create_flags_t flags,
                                            umf_memory_pool_handle_t *out) {
    *out = NULL;
    if (strcmp(kind, "disjoint") == 0) {
        umf_disjoint_pool_params_handle_t p = NULL;
        umf_result_t r = umfDisjointPoolParamsCreate(&p);
        if (r != UMF_RESULT_SUCCESS) {
            return r;
        }
        r = umfPoolCreate(umfDisjointPoolOps(), prov, p, flags, out);
        umfDisjointPoolParamsDestroy(p);
        return r;
    }
    if (strcmp(kind, "jemalloc") == 0) {
        const umf_memory_pool_ops_t *ops = umfJemallocPoolOps();
        return ops ? umfPoolCreate(ops, prov, NULL, flags, out)
                   : UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (strcmp(kind, "scalable") == 0) {
        const umf_memory_pool_ops_t *ops = umfScalablePoolOps();
        return ops ? umfPoolCreate(ops, prov, NULL, flags, out)
                   : UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    if (strcmp(kind, "proxy") == 0) {
        return umfPoolCreate(umfProxyPoolOps(), prov, NULL, flags, out);
    }
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
}

/* How much slower than native this run is (umf_test_slowdown); the
 * reliability tests divide their work by it and multiply their own
 * timeouts. */
static inline unsigned pool_kind_slowdown(void) { return umf_test_slowdown(); }

/* Is the result of pool_kind_create one that means "not built here"? */
static inline int pool_kind_unavailable(umf_result_t r) {
    return r == UMF_RESULT_ERROR_NOT_SUPPORTED ||
           r == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
}

/* The programs that include this file link jemalloc (the jemalloc rows),
 * which is not built for ThreadSanitizer: its fork handlers hold all its
 * mutexes across fork (more than TSan's deadlock detector can count) and
 * its trylock spins look like mutex misuse; as tests/test_pool_jemalloc.c
 * does, mutex reports are off and races inside jemalloc suppressed. */
#include "tsan_jemalloc.h"

#endif /* UMF_TEST_POOL_KINDS_H */
