/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_helpers.h -- helpers of the IPC tests (test_ipc_cache, test_ipc_api;
 * static functions: each program includes this once): a producer or
 * consumer "side" (a tracked pool over a counting provider, and its IPC
 * handler), and checks that work in Check tests and in --child runs. */
#ifndef UMF_TEST_IPC_HELPERS_H
#define UMF_TEST_IPC_HELPERS_H 1

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <umf.h>
#include <umf/ipc.h>

#include "test_helpers.h"
#include "test_providers.h"

#define OK UMF_RESULT_SUCCESS
#define INV UMF_RESULT_ERROR_INVALID_ARGUMENT

/* Checks usable both in Check tests and in a --child run (no Check). */
static int in_child;
#define NEED(cond) need((cond), #cond, __LINE__)
static void need(int ok, const char *what, int line) {
    if (ok) {
        return;
    }
    if (in_child) {
        fprintf(stderr, "line %d: check failed: %s\n", line, what);
        _exit(3);
    }
    ck_abort_msg("line %d: check failed: %s", line, what);
}

/* A tracked simple pool over a counting provider over a provider of ops;
 * the pool's IPC handler. */
typedef struct side_t {
    umf_test_counting_t st;
    umf_memory_provider_handle_t base, counted;
    umf_memory_pool_handle_t pool;
    umf_ipc_handler_handle_t handler;
} side_t;

static void side_init(side_t *s, const umf_memory_provider_ops_t *ops) {
    memset(s, 0, sizeof(*s));
    s->base = umf_test_provider_create(ops, NULL);
    NEED(s->base != NULL);
    umf_test_counting_init(&s->st, s->base);
    NEED(umf_test_counting_create(&s->st, &s->counted) == OK);
    s->pool = umf_test_pool_create(umf_test_simple_pool_ops(), s->counted, NULL,
                                   UMF_POOL_CREATE_FLAG_NONE);
    NEED(s->pool != NULL);
    NEED(umfPoolGetIPCHandler(s->pool, &s->handler) == OK);
}

static void side_destroy_pool(side_t *s) {
    umfPoolDestroy(s->pool);
    s->pool = NULL;
}

static void side_fini(side_t *s) {
    if (s->pool) {
        side_destroy_pool(s);
    }
    umfMemoryProviderDestroy(s->counted);
    umfMemoryProviderDestroy(s->base);
}

static size_t calls(side_t *s, umf_test_op_t op) {
    return umf_test_counting_get(&s->st, op);
}

static const umf_memory_provider_ops_t *ipc_ops(void) {
    return umf_test_malloc_ipc_provider_ops();
}

static char *xmalloc(side_t *s, size_t size, unsigned seed) {
    char *p = umfPoolMalloc(s->pool, size);
    NEED(p != NULL);
    umf_test_fill(p, size, seed);
    return p;
}

static umf_ipc_handle_t get_handle(const void *p) {
    umf_ipc_handle_t h = NULL;
    size_t size = 0;
    NEED(umfGetIPCHandle(p, &h, &size) == OK);
    return h;
}

static char *open_handle(side_t *c, umf_ipc_handle_t h) {
    void *q = NULL;
    NEED(umfOpenIPCHandle(c->handler, h, &q) == OK);
    NEED(q != NULL);
    return q;
}

#endif /* UMF_TEST_IPC_HELPERS_H */
