/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc_none.c -- jemalloc pool stub (not in build) */
#include <stddef.h>

#include <umf/pools/pool_jemalloc.h>

#include "util/log_internal.h"
#include "util/utils_internal.h"

UMF_EXPORT umf_memory_pool_ops_t *umfJemallocPoolOps(void) {
    LOG_ERR("the jemalloc pool is not supported by this build of libumf");
    return NULL;
}
