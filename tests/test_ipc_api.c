/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_ipc_api.c -- IPC contracts where libumf differs from the reference
 * (result codes of umfOpenIPCHandle and of PRIVATE OS and file providers),
 * and the limit UMF_MAX_OPENED_IPC_HANDLES on cached opened handles.
 *
 * The library reads UMF_MAX_OPENED_IPC_HANDLES once, so those tests run
 * this program again (fork + execv, "--child SCENARIO") with the variable
 * set, and check its exit status and log. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "core/ipc_internal.h" /* the handle layout, to forge bad handles */
#include "ipc_helpers.h"

/* ========================== result codes ========================== */

/* A handler without IPC: NOT_SUPPORTED whatever the bytes (after the NULL
 * checks). A handler with IPC: malformed handles are INVALID_ARGUMENT and
 * reach no provider. */
START_TEST(open_result_codes) {
    side_t prod, cons, none;
    side_init(&prod, ipc_ops());
    side_init(&cons, ipc_ops());
    side_init(&none, umf_test_malloc_provider_ops());
    char *p = xmalloc(&prod, 100, 1);
    umf_ipc_handle_t h = get_handle(p);
    size_t hsize = 0;
    ck_assert_int_eq(umfPoolGetIPCHandleSize(prod.pool, &hsize), OK);
    unsigned char junk[512];
    ck_assert_uint_le(hsize, sizeof(junk));
    void *q = NULL;

    ck_assert_int_eq(umfOpenIPCHandle(NULL, h, &q), INV);
    ck_assert_int_eq(umfOpenIPCHandle(none.handler, NULL, &q), INV);
    ck_assert_int_eq(umfOpenIPCHandle(none.handler, h, NULL), INV);
    for (int fill = 0; fill < 3; fill++) {
        memset(junk, fill == 0 ? 0 : fill == 1 ? 0xff : 0x5a, sizeof(junk));
        ck_assert_int_eq(
            umfOpenIPCHandle(none.handler, (umf_ipc_handle_t)junk, &q),
            UMF_RESULT_ERROR_NOT_SUPPORTED);
        ck_assert_int_eq(
            umfOpenIPCHandle(cons.handler, (umf_ipc_handle_t)junk, &q), INV);
    }
    ck_assert_int_eq(umfOpenIPCHandle(none.handler, h, &q),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);

    struct umf_ipc_data_t *bad = (struct umf_ipc_data_t *)junk;
    memcpy(junk, h, hsize);
    bad->offset = bad->base_size; /* points past the allocation */
    ck_assert_int_eq(umfOpenIPCHandle(cons.handler, bad, &q), INV);
    memcpy(junk, h, hsize);
    bad->provider_data_size++; /* another kind of provider */
    ck_assert_int_eq(umfOpenIPCHandle(cons.handler, bad, &q), INV);
    ck_assert_ptr_null(q);
    ck_assert_uint_eq(calls(&cons, UMF_TEST_OP_IPC_OPEN), 0);

    umfPutIPCHandle(h);
    side_fini(&none);
    side_fini(&cons);
    side_fini(&prod);
}
END_TEST

/* OS and file providers of PRIVATE visibility: the handle size, the pool's
 * handle size, umfGetIPCHandle and opening through them all give
 * INVALID_ARGUMENT; SHARED ones report a size. _i: 0 OS, 1 file. */
START_TEST(private_visibility_has_no_ipc) {
    char path[] = "/tmp/umf_ipc_api_XXXXXX";
    umf_memory_provider_handle_t prov[2] = {NULL, NULL}; /* private, shared */
    for (int shared = 0; shared < 2; shared++) {
        umf_memory_visibility_t vis =
            shared ? UMF_MEM_MAP_SHARED : UMF_MEM_MAP_PRIVATE;
        if (_i == 0) {
            umf_os_memory_provider_params_handle_t op = NULL;
            ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&op), OK);
            ck_assert_int_eq(umfOsMemoryProviderParamsSetVisibility(op, vis),
                             OK);
            prov[shared] =
                umf_test_provider_create(umfOsMemoryProviderOps(), op);
            umfOsMemoryProviderParamsDestroy(op);
        } else {
            if (!shared) {
                int fd = mkstemp(path);
                ck_assert_int_ge(fd, 0);
                close(fd);
            }
            umf_file_memory_provider_params_handle_t fp = NULL;
            ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&fp, path), OK);
            ck_assert_int_eq(umfFileMemoryProviderParamsSetVisibility(fp, vis),
                             OK);
            prov[shared] =
                umf_test_provider_create(umfFileMemoryProviderOps(), fp);
            umfFileMemoryProviderParamsDestroy(fp);
        }
        ck_assert_ptr_nonnull(prov[shared]);
    }
    size_t size = 12345;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov[0], &size), INV);
    ck_assert_uint_eq(size, 12345);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov[1], &size), OK);
    ck_assert_uint_gt(size, 0);

    umf_memory_pool_handle_t pool = umf_test_pool_create(
        umf_test_simple_pool_ops(), prov[0], NULL, UMF_POOL_CREATE_FLAG_NONE);
    ck_assert_ptr_nonnull(pool);
    ck_assert_int_eq(umfPoolGetIPCHandleSize(pool, &size), INV);
    char *p = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(p);
    umf_ipc_handle_t h = NULL;
    ck_assert_int_eq(umfGetIPCHandle(p, &h, &size), INV);
    ck_assert_ptr_null(h);

    side_t prod; /* a valid handle, opened through the private pool */
    side_init(&prod, ipc_ops());
    char *pp = xmalloc(&prod, 100, 1);
    h = get_handle(pp);
    umf_ipc_handler_handle_t handler = NULL;
    ck_assert_int_eq(umfPoolGetIPCHandler(pool, &handler), OK);
    void *q = NULL;
    ck_assert_int_eq(umfOpenIPCHandle(handler, h, &q), INV);
    ck_assert_ptr_null(q);

    umfPutIPCHandle(h);
    side_fini(&prod);
    umfPoolFree(pool, p);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov[0]);
    umfMemoryProviderDestroy(prov[1]);
    if (_i == 1) {
        unlink(path);
    }
}
END_TEST
/* ================ UMF_MAX_OPENED_IPC_HANDLES (children) ================ */

/* Cap 2 (set by the parent). Mappings are closed least recently used
 * first, through their own handler; in-use ones are never evicted. */
static int child_lru(void) {
    side_t prod, c1, c2;
    side_init(&prod, ipc_ops());
    side_init(&c1, ipc_ops());
    side_init(&c2, ipc_ops());
    char *p[4];
    umf_ipc_handle_t h[4];
    for (int i = 0; i < 4; i++) {
        p[i] = xmalloc(&prod, 100, (unsigned)i + 1);
        h[i] = get_handle(p[i]);
    }
#define C1(op) calls(&c1, UMF_TEST_OP_IPC_##op)
#define C2(op) calls(&c2, UMF_TEST_OP_IPC_##op)
    NEED(umfCloseIPCHandle(open_handle(&c1, h[0])) == OK); /* idle: A1 */
    NEED(umfCloseIPCHandle(open_handle(&c2, h[1])) == OK); /* A1 B2 */
    char *qc = open_handle(&c2, h[2]); /* evicts A1, through c1 */
    NEED(C1(CLOSE) == 1 && C2(CLOSE) == 0);
    NEED(umfCloseIPCHandle(qc) == OK);                     /* idle: B2 C2 */
    NEED(umfCloseIPCHandle(open_handle(&c2, h[1])) == OK); /* C2 B2 */
    NEED(C2(OPEN) == 2);
    char *qd = open_handle(&c2, h[3]); /* evicts C2, the least recent */
    NEED(C2(CLOSE) == 1 && C2(OPEN) == 3);
    char *qb = open_handle(&c2, h[1]); /* still cached */
    NEED(C2(OPEN) == 3);

    /* B and D in use: nothing to evict, the cache grows past the cap */
    char *qa = open_handle(&c1, h[0]);
    qc = open_handle(&c2, h[2]);
    NEED(C1(OPEN) == 2 && C2(OPEN) == 4);
    NEED(C1(CLOSE) == 1 && C2(CLOSE) == 1);
    NEED(umf_test_verify(qa, 100, 1) && umf_test_verify(qb, 100, 2));
    NEED(umf_test_verify(qc, 100, 3) && umf_test_verify(qd, 100, 4));
    /* back under the cap as they become idle */
    NEED(umfCloseIPCHandle(qb) == OK);
    NEED(C2(CLOSE) == 2);
    NEED(umfCloseIPCHandle(qd) == OK);
    NEED(C2(CLOSE) == 3);
    NEED(umfCloseIPCHandle(qa) == OK && umfCloseIPCHandle(qc) == OK);
    NEED(C1(CLOSE) == 1 && C2(CLOSE) == 3);
    side_destroy_pool(&c1);
    side_destroy_pool(&c2);
    NEED(C1(CLOSE) == 2 && C2(CLOSE) == 4);
#undef C1
#undef C2
    for (int i = 0; i < 4; i++) {
        umfPutIPCHandle(h[i]);
    }
    side_fini(&c1);
    side_fini(&c2);
    side_fini(&prod);
    return 0;
}

/* No cap: 20 distinct mappings all stay cached. */
static int child_unlimited(void) {
    side_t prod, cons;
    side_init(&prod, ipc_ops());
    side_init(&cons, ipc_ops());
    for (int i = 0; i < 20; i++) {
        char *p = xmalloc(&prod, 100, (unsigned)i);
        umf_ipc_handle_t h = get_handle(p);
        NEED(umfCloseIPCHandle(open_handle(&cons, h)) == OK);
        umfPutIPCHandle(h);
    }
    NEED(calls(&cons, UMF_TEST_OP_IPC_CLOSE) == 0);
    side_destroy_pool(&cons);
    NEED(calls(&cons, UMF_TEST_OP_IPC_CLOSE) == 20);
    side_fini(&cons);
    side_fini(&prod);
    return 0;
}

static int child_main(const char *scenario) {
    in_child = 1;
    if (strcmp(scenario, "lru") == 0) {
        return child_lru();
    }
    if (strcmp(scenario, "unlimited") == 0) {
        return child_unlimited();
    }
    return 2;
}

/* Run "--child scenario" with UMF_MAX_OPENED_IPC_HANDLES=value (unset when
 * NULL) and warnings logged to a file; check it exits 0 and return whether
 * the log names the variable. */
static int run_child(const char *scenario, const char *value) {
    int status = 0;
    char *text = umf_test_run_child(
        scenario, "warning", "UMF_MAX_OPENED_IPC_HANDLES", value, &status);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %s with %s: status %d; log:\n%s", scenario,
                  value ? value : "(unset)", status, text);
    int named = strstr(text, "UMF_MAX_OPENED_IPC_HANDLES") != NULL;
    free(text);
    return named;
}

START_TEST(env_cap_2_lru) { ck_assert(!run_child("lru", "2")); }
END_TEST

static const char *const bad_values[] = {
    "abc", "-1", "2x", "+2", " 2", "0x10", "99999999999999999999999",
};

START_TEST(env_bad_value_logged_and_ignored) {
    ck_assert_msg(run_child("unlimited", bad_values[_i]),
                  "no log line for UMF_MAX_OPENED_IPC_HANDLES=%s",
                  bad_values[_i]);
}
END_TEST

START_TEST(env_unset_empty_or_0_unlimited) {
    ck_assert(!run_child("unlimited", NULL));
    ck_assert(!run_child("unlimited", ""));
    ck_assert(!run_child("unlimited", "0"));
}
END_TEST
static Suite *ipc_api_suite(void) {
    Suite *s = suite_create("ipc_api");
    TCase *tc = tcase_create("result_codes");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, open_result_codes);
    tcase_add_loop_test(tc, private_visibility_has_no_ipc, 0, 2);
    suite_add_tcase(s, tc);

    tc = tcase_create("env");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, env_cap_2_lru);
    tcase_add_loop_test(tc, env_bad_value_logged_and_ignored, 0,
                        (int)(sizeof(bad_values) / sizeof(bad_values[0])));
    tcase_add_test(tc, env_unset_empty_or_0_unlimited);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, ipc_api_suite, child_main);
}
