/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_cuda_ipc.c -- IPC of CUDA device memory (part of
 * test_provider_cuda): provider handles within one process (the fake
 * driver only: a real one refuses to open a handle in the process that
 * made it) and in another process, pool handles in another process, and
 * NOT_SUPPORTED for host and managed memory. The other process is this
 * program re-executed (umf_test_run_child), so it starts the driver
 * afresh, as CUDA requires; the handle travels in a file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>

#include "cuda_test_helpers.h"
#include "test_helpers.h"

#define OK UMF_RESULT_SUCCESS
#define NS UMF_RESULT_ERROR_NOT_SUPPORTED
#define IPC_ENV "UMF_TEST_CUDA_IPC_FILE"
#define IPC_SIZE ((size_t)100000)

void cuda_ipc_add_tests(Suite *s);
int cuda_ipc_child(const char *scenario);

START_TEST(ipc_host_and_shared_not_supported) {
    const umf_usm_memory_type_t t[2] = {UMF_MEMORY_TYPE_HOST,
                                        UMF_MEMORY_TYPE_SHARED};
    umf_memory_provider_handle_t p = ct_provider(t[_i], 0, 0);
    ck_assert_ptr_nonnull(p);
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 4096, 0, &ptr), OK);
    size_t size = 0;
    char data[256] = {0};
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(p, &size), NS);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(p, ptr, 4096, data), NS);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(p, data, &q), NS);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(p, ptr, 4096), NS);
    ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 4096), OK);
    umfMemoryProviderDestroy(p);
}
END_TEST

/* An allocation of IPC_SIZE bytes (aligned to align) holding seed's
 * pattern, and its provider IPC handle in *data (malloc'ed). */
static void *export_alloc(umf_memory_provider_handle_t p, size_t align,
                          unsigned seed, void **data, size_t *data_size) {
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, IPC_SIZE, align, &ptr), OK);
    ck_assert(ct_make_current(0));
    ck_assert(ct_write(ptr, IPC_SIZE, seed));
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(p, data_size), OK);
    ck_assert_uint_ge(*data_size, CU_IPC_HANDLE_SIZE);
    *data = calloc(1, *data_size);
    ck_assert_ptr_nonnull(*data);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(p, ptr, IPC_SIZE, *data),
                     OK);
    return ptr;
}

START_TEST(ipc_in_process) {
    if (ct_real_driver()) {
        return;
    }
    size_t align = _i ? (size_t)4 << 20 : 0; /* 4 MiB: inside an allocation */
    umf_memory_provider_handle_t prod =
        ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    umf_memory_provider_handle_t cons =
        ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert(prod && cons);
    void *data = NULL;
    size_t dsize = 0;
    char *ptr = export_alloc(prod, align, 1, &data, &dsize);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, data, (void **)&q),
                     OK);
    ck_assert_ptr_ne(q, ptr); /* a mapping of its own */
    if (align) {
        ck_assert_uint_eq((uintptr_t)q % 256, 0);
    }
    ck_assert(ct_verify(q, IPC_SIZE, 1));
    ck_assert(ct_write(q + 10, 1000, 2));
    ck_assert(ct_verify(ptr + 10, 1000, 2));
    ck_assert_int_eq(ct_live_ipc(), 1);
    /* a failed close keeps the mapping (and, at an offset, its base) */
    ck_assert(ct_fail_next("cuIpcCloseMemHandle", CUDA_ERROR_UNKNOWN));
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, IPC_SIZE),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_int_eq(ct_live_ipc(), 1);
    ck_assert(ct_verify(q + 10, 1000, 2)); /* still mapped */
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, IPC_SIZE), OK);
    ck_assert_int_eq(ct_live_ipc(), 0);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, data), OK);

    /* failures: the driver's open, a handle that is not one */
    ck_assert(ct_fail_next("cuIpcOpenMemHandle_v2", CUDA_ERROR_MAP_FAILED));
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, data, (void **)&q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    const char *msg = NULL;
    int32_t code = 0;
    umfMemoryProviderGetLastNativeError(cons, &msg, &code);
    ck_assert_int_eq(code, CUDA_ERROR_MAP_FAILED);
    ck_assert_str_eq(msg,
                     "cuIpcOpenMemHandle: mapping of buffer object failed");
    ck_assert(ct_fail_next("cuIpcGetMemHandle", CUDA_ERROR_NOT_SUPPORTED));
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, ptr, IPC_SIZE, data),
                     NS);
    memset(data, 0, dsize);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, data, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int local = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, &local, 4, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, &local, 4),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(ct_live_ipc(), 0);
    free(data);
    ck_assert_int_eq(umfMemoryProviderFree(prod, ptr, IPC_SIZE), OK);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prod);
}
END_TEST

static char *write_handle_file(const void *data, size_t size) {
    char *path = strdup("/tmp/umf_cuda_ipc_XXXXXX");
    ck_assert_ptr_nonnull(path);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
    close(fd);
    return path;
}

/* Run "--child scenario" with the handle file; it must exit 0. */
static void run_consumer(const char *scenario, const char *path) {
    int status = 0;
    char *log = umf_test_run_child(scenario, "error", IPC_ENV, path, &status);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "consumer %s: status 0x%x, log:\n%s", scenario, status, log);
    free(log);
}

START_TEST(ipc_provider_other_process) {
    size_t align = _i ? (size_t)4 << 20 : 0;
    umf_memory_provider_handle_t prod =
        ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(prod);
    void *data = NULL;
    size_t dsize = 0;
    char *ptr = export_alloc(prod, align, 11, &data, &dsize);
    char *path = write_handle_file(data, dsize);
    run_consumer("ipc-provider", path);
    ck_assert(ct_verify(ptr, IPC_SIZE, 12));
    unlink(path);
    free(path);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, data), OK);
    free(data);
    ck_assert_int_eq(umfMemoryProviderFree(prod, ptr, IPC_SIZE), OK);
    umfMemoryProviderDestroy(prod);
}
END_TEST

static umf_memory_pool_handle_t disjoint_on_cuda(void) {
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    umf_disjoint_pool_params_handle_t params = NULL;
    umf_memory_pool_handle_t pool = NULL;
    if (p && umfDisjointPoolParamsCreate(&params) == OK) {
        (void)umfPoolCreate(umfDisjointPoolOps(), p, params,
                            UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    }
    umfDisjointPoolParamsDestroy(params);
    if (!pool && p) {
        umfMemoryProviderDestroy(p);
    }
    return pool;
}

START_TEST(ipc_pool_other_process) {
    umf_memory_pool_handle_t pool = disjoint_on_cuda();
    ck_assert_ptr_nonnull(pool);
    char *ptr = umfPoolMalloc(pool, IPC_SIZE);
    ck_assert_ptr_nonnull(ptr);
    ck_assert(ct_make_current(0));
    ck_assert(ct_write(ptr, IPC_SIZE, 21));
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    ck_assert_int_eq(umfGetIPCHandle(ptr, &h, &hsize), OK);
    char *path = write_handle_file(h, hsize);
    run_consumer("ipc-pool", path);
    ck_assert(ct_verify(ptr, IPC_SIZE, 22));
    unlink(path);
    free(path);
    ck_assert_int_eq(umfPutIPCHandle(h), OK);
    ck_assert_int_eq(umfPoolFree(pool, ptr), OK);
    umfPoolDestroy(pool);
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
}
END_TEST

void cuda_ipc_add_tests(Suite *s) {
    TCase *tc = tcase_create("ipc");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, ipc_host_and_shared_not_supported, 0, 2);
    tcase_add_loop_test(tc, ipc_in_process, 0, 2);
    tcase_add_loop_test(tc, ipc_provider_other_process, 0, 2);
    tcase_add_test(tc, ipc_pool_other_process);
    suite_add_tcase(s, tc);
}

/* ---- the consumer (a --child run; no Check here) ---- */

#define CHILD_NEED(cond, code)                                                 \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "consumer: %s failed\n", #cond);                   \
            return (code);                                                     \
        }                                                                      \
    } while (0)

static void *read_handle_file(size_t *size) {
    const char *path = getenv(IPC_ENV);
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f) {
        return NULL;
    }
    char *buf = calloc(1, 4096);
    *size = buf ? fread(buf, 1, 4096, f) : 0;
    fclose(f);
    return buf;
}

static int child_provider(void) {
    size_t size = 0;
    void *data = read_handle_file(&size);
    CHILD_NEED(data != NULL && size > 0, 20);
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    CHILD_NEED(p != NULL, 21);
    char *q = NULL;
    umf_result_t r = umfMemoryProviderOpenIPCHandle(p, data, (void **)&q);
    if (r != OK) {
        const char *msg = NULL;
        int32_t code = 0;
        umfMemoryProviderGetLastNativeError(p, &msg, &code);
        fprintf(stderr, "consumer: open gave %d (%d: %s)\n", (int)r, (int)code,
                msg ? msg : "");
        return 22;
    }
    CHILD_NEED(ct_make_current(0), 23);
    CHILD_NEED(ct_verify(q, IPC_SIZE, 11), 24);
    CHILD_NEED(ct_write(q, IPC_SIZE, 12), 25);
    CHILD_NEED(umfMemoryProviderCloseIPCHandle(p, q, IPC_SIZE) == OK, 26);
    umfMemoryProviderDestroy(p);
    free(data);
    return 0;
}

static int child_pool(void) {
    size_t size = 0;
    void *data = read_handle_file(&size);
    CHILD_NEED(data != NULL && size > 0, 30);
    umf_memory_pool_handle_t pool = disjoint_on_cuda();
    CHILD_NEED(pool != NULL, 31);
    umf_ipc_handler_handle_t handler = NULL;
    CHILD_NEED(umfPoolGetIPCHandler(pool, &handler) == OK, 32);
    char *q = NULL;
    CHILD_NEED(umfOpenIPCHandle(handler, data, (void **)&q) == OK, 33);
    CHILD_NEED(ct_make_current(0), 34);
    CHILD_NEED(ct_verify(q, IPC_SIZE, 21), 35);
    CHILD_NEED(ct_write(q, IPC_SIZE, 22), 36);
    CHILD_NEED(umfCloseIPCHandle(q) == OK, 37);
    umfPoolDestroy(pool);
    free(data);
    return 0;
}

int cuda_ipc_child(const char *scenario) {
    ct_child_load_fake();
    if (strcmp(scenario, "ipc-provider") == 0) {
        return child_provider();
    }
    if (strcmp(scenario, "ipc-pool") == 0) {
        return child_pool();
    }
    return 2;
}
