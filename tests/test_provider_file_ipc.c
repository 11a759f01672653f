/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_file_ipc.c -- IPC of the file memory provider: handles
 * opened in the same process (whole and partial allocations, malformed
 * handles, PRIVATE providers), a handle whose file was removed, and a
 * handle opened by a forked child, which sees and changes the producer's
 * memory. The rest of the file provider is in test_provider_file.c. */
#include "provider_file_helpers.h"

#include <umf.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_file_memory.h>

START_TEST(ipc_same_process) {
    const char *path = path_in(dir_shm, "ipc");
    umf_memory_provider_handle_t prod = file_create(path, UMF_MEM_MAP_SHARED);
    umf_memory_provider_handle_t cons = file_create(path, UMF_MEM_MAP_SHARED);
    size_t hs = handle_size(prod);
    char *h = calloc(1, hs);
    size_t size = 3 * MiB + 1;
    char *p = ph_alloc(prod, size, 0);
    umf_test_fill(p, size, 3);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, size, h),
                     UMF_RESULT_SUCCESS);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_ne(p, q);
    ck_assert(umf_test_verify(q, size, 3));
    q[size - 1] = 'q';
    ck_assert_int_eq(p[size - 1], 'q');
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, size),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, h),
                     UMF_RESULT_SUCCESS);

    /* a handle of a part of an allocation */
    ck_assert_int_eq(
        umfMemoryProviderGetIPCHandle(prod, p + 2 * ph_page(), ph_page(), h),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(memcmp(q, p + 2 * ph_page(), ph_page()), 0);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, ph_page()),
                     UMF_RESULT_SUCCESS);

    /* errors: memory that is not allocated, another provider's handle,
     * malformed handles, PRIVATE providers */
    ph_free(prod, p, size);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, size, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_handle_t other =
        file_create(path_in(dir_shm, "other"), UMF_MEM_MAP_SHARED);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(other, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char *bad = calloc(1, hs);
    memcpy(bad, h, hs);
    snprintf(bad, PATH_MAX, "relative/path");
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memcpy(bad, h, hs);
    memset(bad, 'a', PATH_MAX); /* unterminated */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memcpy(bad, h, hs);
    memset(bad + PATH_MAX, 0xff, 8); /* offset */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memcpy(bad, h, hs);
    snprintf(bad, PATH_MAX, "%s", path_in(dir_shm, "missing"));
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_memory_provider_handle_t priv =
        file_create(path_in(dir_shm, "priv"), UMF_MEM_MAP_PRIVATE);
    void *pp = ph_alloc(priv, 4096, 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(priv, pp, 4096, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(priv, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(priv, h, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(priv, pp, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_free(priv, pp, 4096);
    umfMemoryProviderDestroy(priv);
    free(bad);
    free(h);
    umfMemoryProviderDestroy(other);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prod);
}
END_TEST

/* A handle whose file was removed: INVALID_ARGUMENT, as in the reference
 * (issue 14 item 5a), at the provider and through a pool. */
START_TEST(ipc_file_removed) {
    const char *path = path_in(dir_shm, "removed");
    umf_memory_provider_handle_t prod = file_create(path, UMF_MEM_MAP_SHARED);
    umf_memory_provider_handle_t cons =
        file_create(path_in(dir_shm, "consumer"), UMF_MEM_MAP_SHARED);
    size_t hs = handle_size(prod);
    char *h = calloc(1, hs);
    char *p = ph_alloc(prod, ph_page(), 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, ph_page(), h),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(unlink(path), 0);
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, h),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, ph_page());
    free(h);

    /* the same through pools */
    path = path_in(dir_shm, "removed_pool");
    umf_memory_pool_handle_t pp = NULL, cp = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(),
                                   file_create(path, UMF_MEM_MAP_SHARED), NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pp),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), cons, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &cp),
                     UMF_RESULT_SUCCESS);
    void *m = umfPoolMalloc(pp, 100);
    ck_assert_ptr_nonnull(m);
    umf_ipc_handle_t ih = NULL;
    size_t ihs = 0;
    ck_assert_int_eq(umfGetIPCHandle(m, &ih, &ihs), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(unlink(path), 0);
    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(cp, &handler), UMF_RESULT_SUCCESS);
    q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(handler, ih, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfPutIPCHandle(ih), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(pp, m), UMF_RESULT_SUCCESS);
    umfPoolDestroy(cp);
    umfPoolDestroy(pp);
    umfMemoryProviderDestroy(prod);
}
END_TEST

typedef struct child_arg_t {
    const char *path;
    void *handle;
    size_t size;
} child_arg_t;

static void child_open(void *arg) {
    child_arg_t *c = arg;
    umf_file_memory_provider_params_handle_t p = NULL;
    if (umfFileMemoryProviderParamsCreate(&p, c->path) != UMF_RESULT_SUCCESS ||
        umfFileMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED) !=
            UMF_RESULT_SUCCESS) {
        _exit(10);
    }
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov) !=
        UMF_RESULT_SUCCESS) {
        _exit(11);
    }
    umfFileMemoryProviderParamsDestroy(p);
    ph_child_open_ipc(prov, c->handle, c->size, 21, 22);
}

START_TEST(ipc_forked_child) {
    const char *path = path_in(dir_tmp, "forkipc");
    umf_memory_provider_handle_t prod = file_create(path, UMF_MEM_MAP_SHARED);
    static char hbuf[PATH_MAX + 64]; /* kept by the child: not a leak */
    ck_assert_uint_le(handle_size(prod), sizeof(hbuf));
    child_arg_t c = {path, hbuf, 2 * MiB + 3};
    /* not at offset 0 of the file */
    void *first = ph_alloc(prod, 3 * ph_page(), 0);
    void *p = ph_alloc(prod, c.size, 0);
    umf_test_fill(p, c.size, 21);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, c.size, c.handle),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_gt(handle_offset(c.handle), 0);
    int status = ph_run_child(child_open, &c);
    ck_assert_msg(ph_child_ok(status), "child status 0x%x", status);
    ck_assert(umf_test_verify(p, c.size, 22));
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, c.handle),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, c.size);
    ph_free(prod, first, 3 * ph_page());
    umfMemoryProviderDestroy(prod);
}
END_TEST

static Suite *file_ipc_suite(void) {
    Suite *s = suite_create("provider_file_ipc");
    TCase *tc = tcase_create("ipc");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, ipc_same_process);
    tcase_add_test(tc, ipc_file_removed);
    tcase_add_test(tc, ipc_forked_child);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (access("/dev/shm", W_OK) != 0) {
        umf_test_skip("/dev/shm is not writable");
    }
    return umf_test_run_suite(file_ipc_suite());
}
