/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_level_zero_ipc.c -- Level Zero IPC on the fake driver:
 * within a process, with another process (this program re-executed; the
 * handle travels hex-encoded in UMF_TEST_ZE_IPC) at the provider level and
 * through a disjoint pool with umfGetIPCHandle/umfOpenIPCHandle, threads
 * doing all of it at once, handle validation, an exporter that is gone, and a
 * driver without IPC. */
#include "level_zero_helpers.h"
#include "provider_helpers.h"

#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>

#define HANDLE_ENV "UMF_TEST_ZE_IPC"

static void open_fixture(void) { lz_open(); }

static umf_memory_provider_handle_t device_provider(void) {
    return lz_provider_from(lz_params(UMF_MEMORY_TYPE_DEVICE, 0));
}

/* "SIZE:HEX" of a handle of len bytes describing size bytes of memory */
static char *encode(const void *handle, size_t len, size_t size) {
    char *s = malloc(32 + 2 * len);
    ck_assert_ptr_nonnull(s);
    int n = sprintf(s, "%zu:", size);
    for (size_t i = 0; i < len; i++) {
        n += sprintf(s + n, "%02x", ((const unsigned char *)handle)[i]);
    }
    return s;
}

/* the handle (malloc'ed) and *size from HANDLE_ENV, or NULL */
static void *decode(size_t *size) {
    const char *s = getenv(HANDLE_ENV);
    char *colon = s ? strchr(s, ':') : NULL;
    if (!colon) {
        return NULL;
    }
    *size = strtoull(s, NULL, 10);
    size_t len = strlen(colon + 1) / 2;
    unsigned char *h = malloc(len ? len : 1);
    for (size_t i = 0; h && i < len; i++) {
        unsigned v = 0;
        sscanf(colon + 1 + 2 * i, "%2x", &v);
        h[i] = (unsigned char)v;
    }
    return h;
}

/* ================ within the process ================ */

START_TEST(same_process) {
    umf_memory_provider_handle_t prov = device_provider();
    size_t hsize = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov, &hsize),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_ge(hsize, sizeof(ze_ipc_mem_handle_t));
    size_t size = 3 * 65536;
    char *p = ph_alloc(prov, size, 0);
    umf_test_fill(p, size, 11);
    void *h = calloc(1, hsize);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p, size, h),
                     UMF_RESULT_SUCCESS);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prov, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(q, p);
    ck_assert(umf_test_verify(q, size, 11));
    umf_test_fill(q, size, 12);
    ck_assert(umf_test_verify(p, size, 12));
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prov, q, size),
                     UMF_RESULT_SUCCESS);
    /* closed twice: the driver's INVALID_ARGUMENT */
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prov, q, size),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prov, h),
                     UMF_RESULT_SUCCESS);
    ph_free(prov, p, size);
    free(h);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(bad_handles) {
    umf_memory_provider_handle_t prov = device_provider();
    size_t hsize = 0;
    umfMemoryProviderGetIPCHandleSize(prov, &hsize);
    unsigned char *h = calloc(1, hsize);
    void *q = NULL;
    /* all zero: no magic */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prov, h, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prov, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    int local = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, &local, 4, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_expect_native(prov, (int32_t)ZE_RESULT_ERROR_INVALID_ARGUMENT,
                     "zeMemGetIpcHandle failed", -2);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, NULL, 4, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prov, h, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a real handle whose exporter is gone */
    char *p = ph_alloc(prov, 4096, 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p, 4096, h),
                     UMF_RESULT_SUCCESS);
    pid_t gone = fork();
    if (gone == 0) {
        _exit(0);
    }
    ck_assert_int_eq(waitpid(gone, NULL, 0), gone);
    int32_t pid = (int32_t)gone;
    memcpy(h + 8, &pid, sizeof(pid)); /* after the 8-byte magic */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prov, h, &q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* ESRCH; valgrind, which does not know pidfd_open, says ENOSYS */
    ph_expect_native(prov, (int32_t)ZE_RESULT_ERROR_UNKNOWN,
                     "pidfd_open of the exporter failed", -1);
    ph_free(prov, p, 4096);
    free(h);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Host memory has no device to open handles on, unless a resident one. */
START_TEST(host_open_needs_device) {
    umf_memory_provider_handle_t host =
        lz_provider_from(lz_params(UMF_MEMORY_TYPE_HOST, -1));
    size_t hsize = 0;
    umfMemoryProviderGetIPCHandleSize(host, &hsize);
    void *h = calloc(1, hsize);
    char *p = ph_alloc(host, 4096, 0);
    memset(p, 0x5a, 4096);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(host, p, 4096, h),
                     UMF_RESULT_SUCCESS);
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(host, h, &q),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    umf_level_zero_memory_provider_params_handle_t pp =
        lz_params(UMF_MEMORY_TYPE_HOST, -1);
    umfLevelZeroMemoryProviderParamsSetResidentDevices(pp, &lz.dev[1], 1);
    umf_memory_provider_handle_t host2 = lz_provider_from(pp);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(host2, h, &q),
                     UMF_RESULT_SUCCESS);
    ck_assert(umf_test_all_bytes(q, 4096, 0x5a));
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(host2, q, 4096),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderPutIPCHandle(host, h);
    ph_free(host, p, 4096);
    free(h);
    umfMemoryProviderDestroy(host2);
    umfMemoryProviderDestroy(host);
}
END_TEST

/* Threads get, open (through a second pool's handler), check, close and
 * put handles of their own allocations at once (the caches and the
 * provider under concurrency). */
static umf_memory_pool_handle_t device_pool(void);

#define MT_THREADS 4
#define MT_ALLOCS 50

typedef struct mt_arg_t {
    umf_memory_pool_handle_t producer;
    umf_ipc_handler_handle_t handler;
    int failures;
} mt_arg_t;

static void *mt_worker(void *varg) {
    mt_arg_t *a = varg;
    char *ptrs[MT_ALLOCS];
    for (int i = 0; i < MT_ALLOCS; i++) {
        ptrs[i] = umfPoolMalloc(a->producer, 100);
        if (!ptrs[i]) {
            a->failures++;
            return NULL;
        }
        memset(ptrs[i], i, 100);
    }
    for (int i = 0; i < MT_ALLOCS; i++) {
        umf_ipc_handle_t h = NULL;
        size_t len = 0;
        char *q = NULL;
        if (umfGetIPCHandle(ptrs[i], &h, &len) != UMF_RESULT_SUCCESS ||
            umfOpenIPCHandle(a->handler, h, (void **)&q) !=
                UMF_RESULT_SUCCESS) {
            a->failures++;
            continue;
        }
        a->failures += !umf_test_all_bytes(q, 100, (unsigned char)i);
        a->failures += umfCloseIPCHandle(q) != UMF_RESULT_SUCCESS;
        a->failures += umfPutIPCHandle(h) != UMF_RESULT_SUCCESS;
    }
    for (int i = 0; i < MT_ALLOCS; i++) {
        umfPoolFree(a->producer, ptrs[i]);
    }
    return NULL;
}

START_TEST(threads) {
    umf_memory_pool_handle_t producer = device_pool();
    umf_memory_pool_handle_t consumer = device_pool();
    mt_arg_t args[MT_THREADS];
    for (int t = 0; t < MT_THREADS; t++) {
        args[t] = (mt_arg_t){producer, NULL, 0};
        ck_assert_int_eq(umfPoolGetIPCHandler(consumer, &args[t].handler),
                         UMF_RESULT_SUCCESS);
    }
    ck_assert_int_eq(
        umf_test_run_threads(MT_THREADS, mt_worker, args, sizeof(args[0])), 0);
    for (int t = 0; t < MT_THREADS; t++) {
        ck_assert_int_eq(args[t].failures, 0);
    }
    umfPoolDestroy(consumer);
    umfPoolDestroy(producer);
}
END_TEST

/* ================ with another process ================ */

/* Run scenario with the handle in HANDLE_ENV; it must exit 0. */
static void run_consumer(const char *scenario, const void *handle, size_t len,
                         size_t size) {
    char *env = encode(handle, len, size);
    int status = 0;
    char *log = umf_test_run_child(scenario, "error", HANDLE_ENV, env, &status);
    ck_assert_msg(ph_child_ok(status), "consumer %s: status %d; log:\n%s",
                  scenario, status, log);
    free(log);
    free(env);
}

START_TEST(other_process_provider) {
    umf_memory_provider_handle_t prov = device_provider();
    size_t hsize = 0, size = 1 << 20;
    umfMemoryProviderGetIPCHandleSize(prov, &hsize);
    void *h = calloc(1, hsize);
    char *p = ph_alloc(prov, size, 0);
    umf_test_fill(p, size, 21);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p, size, h),
                     UMF_RESULT_SUCCESS);
    run_consumer("provider_consumer", h, hsize, size);
    ck_assert(umf_test_verify(p, size, 22)); /* the consumer's bytes */
    umfMemoryProviderPutIPCHandle(prov, h);
    ph_free(prov, p, size);
    free(h);
    umfMemoryProviderDestroy(prov);
}
END_TEST

static umf_memory_pool_handle_t device_pool(void) {
    umf_disjoint_pool_params_handle_t params = NULL;
    ck_assert_int_eq(umfDisjointPoolParamsCreate(&params), UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfDisjointPoolOps(), device_provider(),
                                   params, UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                                   &pool),
                     UMF_RESULT_SUCCESS);
    umfDisjointPoolParamsDestroy(params);
    return pool;
}

START_TEST(other_process_pool) {
    umf_memory_pool_handle_t pool = device_pool();
    size_t size = 4000;
    char *p = umfPoolMalloc(pool, size);
    ck_assert_ptr_nonnull(p);
    char *p2 = umfPoolMalloc(pool, size); /* same slab, another handle */
    ck_assert_ptr_nonnull(p2);
    umf_test_fill(p, size, 31);
    umf_ipc_handle_t h = NULL, h2 = NULL;
    size_t len = 0, len2 = 0;
    ck_assert_int_eq(umfGetIPCHandle(p, &h, &len), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfGetIPCHandle(p2, &h2, &len2), UMF_RESULT_SUCCESS);
    run_consumer("pool_consumer", h, len, size);
    ck_assert(umf_test_verify(p, size, 32));
    ck_assert_int_eq(umfPutIPCHandle(h), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPutIPCHandle(h2), UMF_RESULT_SUCCESS);
    umfPoolFree(pool, p);
    umfPoolFree(pool, p2);
    umfPoolDestroy(pool);
}
END_TEST

/* (No Check macro in the children: they run outside any test.) */

static int child_provider_consumer(void) {
    size_t size = 0;
    void *h = decode(&size);
    if (!h || lz_try_open()) {
        return 2;
    }
    umf_memory_provider_handle_t prov = lz_provider_try(UMF_MEMORY_TYPE_DEVICE);
    if (!prov) {
        return 3;
    }
    ph_child_open_ipc(prov, h, size, 21, 22); /* exits */
    return 4;
}

static int child_pool_consumer(void) {
    size_t size = 0;
    void *h = decode(&size);
    if (!h || lz_try_open()) {
        return 2;
    }
    umf_memory_provider_handle_t prov = lz_provider_try(UMF_MEMORY_TYPE_DEVICE);
    umf_memory_pool_handle_t pool = NULL;
    if (!prov || umfPoolCreate(umfDisjointPoolOps(), prov, NULL,
                               UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                               &pool) != UMF_RESULT_SUCCESS) {
        return 7;
    }
    umf_ipc_handler_handle_t handler = NULL;
    if (umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS) {
        return 3;
    }
    char *q = NULL;
    umf_result_t r = umfOpenIPCHandle(handler, h, (void **)&q);
    if (r != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfOpenIPCHandle gave %d\n", (int)r);
        return 4;
    }
    if (!umf_test_verify(q, size, 31)) {
        return 5;
    }
    umf_test_fill(q, size, 32);
    if (umfCloseIPCHandle(q) != UMF_RESULT_SUCCESS) {
        return 6;
    }
    umfPoolDestroy(pool);
    free(h);
    return 0;
}

/* a driver without the IPC entry points: NOT_SUPPORTED */
static int child_no_ipc(void) {
    if (lz_try_open()) {
        return 2;
    }
    umf_memory_provider_handle_t prov = lz_provider_try(UMF_MEMORY_TYPE_DEVICE);
    size_t hsize = 0;
    void *p = NULL;
    if (!prov ||
        umfMemoryProviderGetIPCHandleSize(prov, &hsize) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderAlloc(prov, 4096, 0, &p) != UMF_RESULT_SUCCESS) {
        return 3;
    }
    void *h = calloc(1, hsize);
    umf_result_t r = umfMemoryProviderGetIPCHandle(prov, p, 4096, h);
    umfMemoryProviderFree(prov, p, 4096);
    umfMemoryProviderDestroy(prov);
    free(h);
    return r == UMF_RESULT_ERROR_NOT_SUPPORTED ? 0 : 4;
}

START_TEST(driver_without_ipc) {
    int status = 0;
    char *log =
        umf_test_run_child("no_ipc", "error", "FAKE_ZE_NO_IPC", "1", &status);
    ck_assert_msg(ph_child_ok(status), "status %d; log:\n%s", status, log);
    ck_assert_msg(strstr(log, "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE"),
                  "log:\n%s", log);
    free(log);
}
END_TEST

static int child_main(const char *scenario) {
    if (strcmp(scenario, "provider_consumer") == 0) {
        return child_provider_consumer();
    }
    if (strcmp(scenario, "pool_consumer") == 0) {
        return child_pool_consumer();
    }
    if (strcmp(scenario, "no_ipc") == 0) {
        return child_no_ipc();
    }
    return 99;
}

static Suite *ipc_suite(void) {
    Suite *s = suite_create("level_zero_ipc");
    TCase *tc = tcase_create("ipc");
    tcase_add_checked_fixture(tc, open_fixture, NULL);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, same_process);
    tcase_add_test(tc, bad_handles);
    tcase_add_test(tc, host_open_needs_device);
    tcase_add_test(tc, threads);
    tcase_add_test(tc, other_process_provider);
    tcase_add_test(tc, other_process_pool);
    tcase_add_test(tc, driver_without_ipc);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    lz_use_fake_driver();
    return umf_test_main(argc, argv, ipc_suite, child_main);
}
