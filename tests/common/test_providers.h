/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_providers.h -- reusable providers (and one simple pool) for tests.
 *
 * - null provider: every op succeeds, alloc returns SUCCESS with *ptr=NULL;
 * - malloc provider: posix_memalign/free, no optional ops; a variant with
 *   IPC ops that work inside one process (open copies the bytes into a
 *   fresh mapping);
 * - counting provider: forwards every op to an upstream provider, counts the
 *   calls per op and can be told to fail the next call of an op;
 * - failing provider: every op fails with PROVIDER_SPECIFIC and leaves a
 *   native error (code UMF_TEST_FAILING_NATIVE_CODE + op, message
 *   "failing provider: <op> failed");
 * - simple pool: a malloc-like pool over any provider, one provider
 *   allocation per block, with a header in front of each block; supports
 *   calloc, realloc, aligned malloc and usable size. */
#ifndef UMF_TEST_PROVIDERS_H
#define UMF_TEST_PROVIDERS_H 1

#include <stddef.h>
#include <stdint.h>

#include <umf/memory_pool.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>

/* Operations of a provider, for counters and failure injection. */
typedef enum umf_test_op_t {
    UMF_TEST_OP_INITIALIZE,
    UMF_TEST_OP_FINALIZE,
    UMF_TEST_OP_ALLOC,
    UMF_TEST_OP_FREE,
    UMF_TEST_OP_NATIVE_ERROR,
    UMF_TEST_OP_RECOMMENDED_PAGE_SIZE,
    UMF_TEST_OP_MIN_PAGE_SIZE,
    UMF_TEST_OP_NAME,
    UMF_TEST_OP_PURGE_LAZY,
    UMF_TEST_OP_PURGE_FORCE,
    UMF_TEST_OP_MERGE,
    UMF_TEST_OP_SPLIT,
    UMF_TEST_OP_IPC_SIZE,
    UMF_TEST_OP_IPC_GET,
    UMF_TEST_OP_IPC_PUT,
    UMF_TEST_OP_IPC_OPEN,
    UMF_TEST_OP_IPC_CLOSE,
    UMF_TEST_OP_COUNT
} umf_test_op_t;

/* Name of an op ("alloc", "purge_lazy", ...). */
const char *umf_test_op_name(umf_test_op_t op);

/* ---- null provider ---- */
umf_memory_provider_ops_t *umf_test_null_provider_ops(void);

/* ---- malloc provider (params ignored) ---- */
#define UMF_TEST_MALLOC_PROVIDER_NAME "malloc_test"
umf_memory_provider_ops_t *umf_test_malloc_provider_ops(void);
umf_memory_provider_ops_t *umf_test_malloc_ipc_provider_ops(void);

/* ---- failing provider (params ignored) ---- */
#define UMF_TEST_FAILING_PROVIDER_NAME "failing"
#define UMF_TEST_FAILING_NATIVE_CODE 0x5000
umf_memory_provider_ops_t *umf_test_failing_provider_ops(void);
/* The native error message the failing provider leaves for op. */
void umf_test_failing_message(umf_test_op_t op, char *buf, size_t len);

/* ---- counting provider ----
 * params: a umf_test_counting_t that the test owns and that outlives the
 * provider (so counters can be read after finalize). */
#define UMF_TEST_COUNTING_PROVIDER_NAME "counting"
typedef struct umf_test_counting_t {
    /* configuration, set before umfMemoryProviderCreate */
    umf_memory_provider_handle_t upstream; /* every op forwards here */
    umf_result_t init_result; /* != SUCCESS: initialize fails with it */
    const char *name;         /* NULL: "counting" */
    /* called before forwarding a free / after a successful alloc */
    void (*on_free)(void *arg, void *ptr, size_t size);
    void (*on_alloc)(void *arg, void *ptr, size_t size);
    void *hook_arg;

    /* failure injection: a non-SUCCESS value makes the next call of that
     * op return it without forwarding (consumed atomically). Use
     * umf_test_counting_fail_next(). */
    umf_result_t fail_next[UMF_TEST_OP_COUNT];

    /* counters, updated atomically; read with umf_test_counting_get() */
    size_t calls[UMF_TEST_OP_COUNT];  /* every call, failed or not */
    size_t failed[UMF_TEST_OP_COUNT]; /* calls that returned non-SUCCESS */
    long long live_allocs; /* allocs - frees + splits - merges (successful) */
    long long live_bytes;  /* bytes allocated - bytes freed (successful) */
} umf_test_counting_t;

/* Zero *state and set its upstream. */
void umf_test_counting_init(umf_test_counting_t *state,
                            umf_memory_provider_handle_t upstream);
umf_memory_provider_ops_t *umf_test_counting_provider_ops(void);
/* umfMemoryProviderCreate(counting ops, state, out). */
umf_result_t umf_test_counting_create(umf_test_counting_t *state,
                                      umf_memory_provider_handle_t *out);
void umf_test_counting_fail_next(umf_test_counting_t *state, umf_test_op_t op,
                                 umf_result_t result);
size_t umf_test_counting_get(umf_test_counting_t *state, umf_test_op_t op);
long long umf_test_counting_live_allocs(umf_test_counting_t *state);
long long umf_test_counting_live_bytes(umf_test_counting_t *state);

/* ---- simple pool ---- */
typedef struct umf_test_simple_pool_params_t {
    umf_result_t init_result; /* != SUCCESS: initialize fails with it */
    size_t *finalize_count;   /* incremented by finalize when not NULL */
} umf_test_simple_pool_params_t;
umf_memory_pool_ops_t *umf_test_simple_pool_ops(void);

/* ---- library providers (NULL on failure) ---- */
/* OS provider with default params. */
umf_memory_provider_handle_t umf_test_os_provider_create(void);
/* Fixed provider over [buf, buf+size). */
umf_memory_provider_handle_t umf_test_fixed_provider_create(void *buf,
                                                            size_t size);
/* umfMemoryProviderCreate(ops, params) or NULL. */
umf_memory_provider_handle_t
umf_test_provider_create(const umf_memory_provider_ops_t *ops, void *params);
/* umfPoolCreate(ops, provider, params, flags) or NULL. */
umf_memory_pool_handle_t umf_test_pool_create(const umf_memory_pool_ops_t *ops,
                                              umf_memory_provider_handle_t prov,
                                              void *params,
                                              umf_pool_create_flags_t flags);

#endif /* UMF_TEST_PROVIDERS_H */
