/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf.h -- umbrella header of the Unified Memory Framework */
#ifndef UMF_UNIFIED_MEMORY_FRAMEWORK_H
#define UMF_UNIFIED_MEMORY_FRAMEWORK_H 1

#include <umf/base.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/mempolicy.h>
#include <umf/memspace.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Increment the library reference count, initialising global state on 0->1.
 * Returns 0 on success, -1 on failure. */
int umfInit(void);

/* Decrement the library reference count, tearing global state down on 1->0. */
void umfTearDown(void);

/* Return UMF_VERSION_CURRENT of the library that is running. */
int umfGetCurrentVersion(void);

#ifdef __cplusplus
}
#endif

#endif /* UMF_UNIFIED_MEMORY_FRAMEWORK_H */
