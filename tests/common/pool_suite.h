/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_suite.h -- the table-driven pool behaviour suite.
 *
 * Every pool (and every provider worth running a pool over) joins by adding
 * one row; pool_suite_create() makes one TCase per row ("pool:<name>") with
 * the same tests. Each test builds the row's provider and pool itself (the
 * tests run in forked children), so rows must be cheap to set up.
 *
 * The suite wraps the row's provider in the counting test provider, so it
 * can check that after umfPoolDestroy every provider allocation was freed
 * with its exact size (unless POOL_CAP_NO_LEAK_CHECK). */
#ifndef UMF_TEST_POOL_SUITE_H
#define UMF_TEST_POOL_SUITE_H 1

#include <stddef.h>

#include <check.h>

#include <umf/memory_pool.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>

/* calloc must work (otherwise: works, or NULL with NOT_SUPPORTED) */
#define POOL_CAP_CALLOC (1u << 0)
/* realloc must work (otherwise: works, or NULL with NOT_SUPPORTED) */
#define POOL_CAP_REALLOC (1u << 1)
/* umfPoolMallocUsableSize must be >= the request (otherwise: 0 allowed) */
#define POOL_CAP_USABLE_SIZE (1u << 2)
/* every malloc(size) is exactly one provider allocation of size bytes, so
 * umfPoolByPtr(p + size) must be NULL (proxy pool) */
#define POOL_CAP_BYPTR_END_NULL (1u << 3)
/* skip the "every provider allocation freed at destroy" check */
#define POOL_CAP_NO_LEAK_CHECK (1u << 4)

typedef struct pool_suite_row_t {
    const char *name;
    /* the pool's ops; a row whose getter returns NULL (backend configured
     * out) is reported and skipped */
    umf_memory_pool_ops_t *(*pool_ops)(void);
    /* params for umfPoolCreate (both NULL: params are NULL) */
    void *(*pool_params_create)(void);
    void (*pool_params_destroy)(void *params);
    /* the provider under the pool; *ctx is handed back to the destroyer */
    umf_memory_provider_handle_t (*provider_create)(void **ctx);
    void (*provider_destroy)(umf_memory_provider_handle_t provider, void *ctx);
    umf_pool_create_flags_t pool_flags; /* OWN_PROVIDER is not allowed */
    unsigned caps;                      /* POOL_CAP_* */
} pool_suite_row_t;

/* One Suite named "pool" with one TCase per row. rows must stay valid
 * until the suite has run. */
Suite *pool_suite_create(const pool_suite_row_t *rows, size_t n);

#endif /* UMF_TEST_POOL_SUITE_H */
