/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_cuda.c -- the CUDA memory provider on the fake driver (or
 * the real one, UMF_TEST_CUDA_REAL=1): params, creation, context and
 * device, memory types, alignment, errors and native errors, unsupported
 * ops, a driver that is missing or fails; IPC is in
 * test_provider_cuda_ipc.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_cuda.h>

#include "cuda_test_helpers.h"
#include "test_helpers.h"

#define OK UMF_RESULT_SUCCESS
#define INV UMF_RESULT_ERROR_INVALID_ARGUMENT
#define MiB ((size_t)1 << 20)

/* in test_provider_cuda_ipc.c */
void cuda_ipc_add_tests(Suite *s);
int cuda_ipc_child(const char *scenario);

/* Memory the test may write directly: not device memory of a real GPU. */
static bool host_accessible(umf_usm_memory_type_t t) {
    return t != UMF_MEMORY_TYPE_DEVICE || !ct_real_driver();
}

static const umf_usm_memory_type_t types[] = {
    UMF_MEMORY_TYPE_DEVICE, UMF_MEMORY_TYPE_HOST, UMF_MEMORY_TYPE_SHARED};

static void expect_native(umf_memory_provider_handle_t p, int32_t code,
                          const char *msg) {
    const char *m = NULL;
    int32_t c = 0;
    umfMemoryProviderGetLastNativeError(p, &m, &c);
    ck_assert_int_eq(c, code);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(m, msg);
}

/* ---- params ---- */

START_TEST(params_null_and_bad_values) {
    umf_cuda_memory_provider_params_handle_t h = NULL;
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(NULL), INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsDestroy(NULL), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(NULL, NULL), INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(NULL, 0), INV);
    ck_assert_int_eq(
        umfCUDAMemoryProviderParamsSetMemoryType(NULL, UMF_MEMORY_TYPE_HOST),
        INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(NULL, 0), INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(&h), OK);
    ck_assert_ptr_nonnull(h);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(h, -1), INV);
    ck_assert_int_eq(
        umfCUDAMemoryProviderParamsSetMemoryType(h, UMF_MEMORY_TYPE_UNKNOWN),
        INV);
    ck_assert_int_eq(
        umfCUDAMemoryProviderParamsSetMemoryType(h, (umf_usm_memory_type_t)7),
        INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(h, 0x8), INV);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(h, 0x7), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(h, NULL), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(h, 0), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsDestroy(h), OK);
    ck_assert_ptr_nonnull(umfCUDAMemoryProviderOps());
}
END_TEST

/* ---- creation ---- */

START_TEST(create_default_params) {
    umf_memory_provider_handle_t p = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), NULL, &p), OK);
    ck_assert_str_eq(umfMemoryProviderGetName(p), "CUDA");
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_primary_refs(0), 1); /* retained while alive */
    }
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 1000, 0, &ptr), OK);
    ck_assert_ptr_nonnull(ptr);
    ck_assert_uint_eq((uintptr_t)ptr % 256, 0);
    ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 1000), OK);
    umfMemoryProviderDestroy(p);
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_primary_refs(0), 0);
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
}
END_TEST

static int device_count(void) {
    cu_device_get_count_fn f =
        (cu_device_get_count_fn)ct_driver_sym("cuDeviceGetCount");
    int n = 0;
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(f(&n), CUDA_SUCCESS);
    return n;
}

static int ptr_device(void *ptr) {
    cu_pointer_get_attribute_fn f =
        (cu_pointer_get_attribute_fn)ct_driver_sym("cuPointerGetAttribute");
    int dev = -1;
    ck_assert_int_eq(f(&dev, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL,
                       (CUdeviceptr)(uintptr_t)ptr),
                     CUDA_SUCCESS);
    return dev;
}

START_TEST(create_device_choice) {
    int n = device_count();
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_DEVICE, n, 0));
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_DEVICE, n + 100, 0));
    for (int d = 0; d < n && d < 2; d++) {
        umf_memory_provider_handle_t p =
            ct_provider(UMF_MEMORY_TYPE_DEVICE, d, 0);
        ck_assert_ptr_nonnull(p);
        void *ptr = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(p, 4096, 0, &ptr), OK);
        ck_assert_int_eq(ptr_device(ptr), d);
        ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 4096), OK);
        umfMemoryProviderDestroy(p);
    }
}
END_TEST

START_TEST(create_bad_flags_and_type) {
    /* cuMemAlloc takes no flags; managed memory GLOBAL or HOST only */
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 1));
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_SHARED, 0, 0x4));
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_SHARED, 0, 0x3));
    umf_memory_provider_handle_t p =
        ct_provider(UMF_MEMORY_TYPE_SHARED, 0, CU_MEM_ATTACH_HOST);
    ck_assert_ptr_nonnull(p);
    umfMemoryProviderDestroy(p);
    p = ct_provider(UMF_MEMORY_TYPE_HOST, 0,
                    CU_MEMHOSTALLOC_PORTABLE | CU_MEMHOSTALLOC_DEVICEMAP);
    ck_assert_ptr_nonnull(p);
    umfMemoryProviderDestroy(p);

    umf_cuda_memory_provider_params_handle_t h = NULL;
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(&h), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(h, 1), OK);
    umf_memory_provider_handle_t q = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), h, &q),
                     INV);
    ck_assert_ptr_null(q);
    umfCUDAMemoryProviderParamsDestroy(h);
}
END_TEST

/* A context given by the caller: its device is the provider's; another
 * device named with it is an error. */
START_TEST(create_with_context) {
    if (device_count() < 2) {
        return; /* one GPU: nothing to mix up */
    }
    cu_device_primary_ctx_retain_fn retain =
        (cu_device_primary_ctx_retain_fn)ct_driver_sym(
            "cuDevicePrimaryCtxRetain");
    cu_device_primary_ctx_release_fn release =
        (cu_device_primary_ctx_release_fn)ct_driver_sym(
            "cuDevicePrimaryCtxRelease_v2");
    CUcontext ctx1 = NULL;
    ck_assert_int_eq(retain(&ctx1, 1), CUDA_SUCCESS);
    umf_cuda_memory_provider_params_handle_t h = NULL;
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(&h), OK);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(h, ctx1), OK);
    umf_memory_provider_handle_t p = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), h, &p),
                     OK);
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 100, 0, &ptr), OK);
    ck_assert_int_eq(ptr_device(ptr), 1);
    ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 100), OK);
    umfMemoryProviderDestroy(p);
    p = NULL;
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(h, 0), OK);
    ck_assert_int_eq(umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), h, &p),
                     INV);
    ck_assert_ptr_null(p);
    if (!ct_real_driver()) {
        /* not a context: the fake says so (a real driver may crash) */
        int bogus;
        ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(h, &bogus), OK);
        ck_assert_int_eq(
            umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), h, &p), INV);
        ck_assert_int_eq(ct_primary_refs(1), 1); /* only the test's */
        /* the driver cannot say the context's device */
        ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(h, ctx1), OK);
        ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(h, 1), OK);
        ck_assert(ct_fail_next("cuCtxGetDevice", CUDA_ERROR_UNKNOWN));
        ck_assert_int_eq(
            umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), h, &p), INV);
        ck_assert_ptr_null(p);
    }
    umfCUDAMemoryProviderParamsDestroy(h);
    ck_assert_int_eq(release(1), CUDA_SUCCESS);
}
END_TEST

/* ---- memory types, context switching ---- */

START_TEST(alloc_each_type) {
    umf_usm_memory_type_t t = types[_i];
    umf_memory_provider_handle_t p = ct_provider(t, 0, 0);
    ck_assert_ptr_nonnull(p);
    cu_pointer_get_attribute_fn attr =
        (cu_pointer_get_attribute_fn)ct_driver_sym("cuPointerGetAttribute");
    static const size_t sizes[] = {1, 100, 4096, 65536 + 3, 3 * MiB};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        void *ptr = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(p, sizes[k], 0, &ptr), OK);
        ck_assert_ptr_nonnull(ptr);
        unsigned mt = 0, managed = 7;
        ck_assert_int_eq(attr(&mt, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
                              (CUdeviceptr)(uintptr_t)ptr),
                         CUDA_SUCCESS);
        ck_assert_uint_eq(mt, t == UMF_MEMORY_TYPE_HOST ? CU_MEMORYTYPE_HOST
                                                        : CU_MEMORYTYPE_DEVICE);
        if (!ct_real_driver() || t != UMF_MEMORY_TYPE_HOST) {
            ck_assert_int_eq(attr(&managed, CU_POINTER_ATTRIBUTE_IS_MANAGED,
                                  (CUdeviceptr)(uintptr_t)ptr),
                             CUDA_SUCCESS);
            ck_assert_uint_eq(managed, t == UMF_MEMORY_TYPE_SHARED);
        }
        if (host_accessible(t)) {
            umf_test_fill(ptr, sizes[k], (unsigned)k);
            ck_assert(umf_test_verify(ptr, sizes[k], (unsigned)k));
        }
        ck_assert_int_eq(umfMemoryProviderFree(p, ptr, sizes[k]), OK);
    }
    ck_assert_int_eq(umfMemoryProviderFree(p, NULL, 0), OK);
    umfMemoryProviderDestroy(p);
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
}
END_TEST

/* The provider's context is current during its calls, and the caller's
 * (another device's, or none) again afterwards. */
START_TEST(context_made_current_and_restored) {
    cu_ctx_get_current_fn get =
        (cu_ctx_get_current_fn)ct_driver_sym("cuCtxGetCurrent");
    cu_pointer_get_attribute_fn attr =
        (cu_pointer_get_attribute_fn)ct_driver_sym("cuPointerGetAttribute");
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(p);
    CUcontext cur = (CUcontext)1;
    ck_assert_int_eq(get(&cur), CUDA_SUCCESS);
    ck_assert_ptr_null(cur); /* a fresh thread has none */
    void *a = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 64, 0, &a), OK);
    ck_assert_int_eq(get(&cur), CUDA_SUCCESS);
    ck_assert_ptr_null(cur);
    CUcontext owner = NULL;
    ck_assert_int_eq(
        attr(&owner, CU_POINTER_ATTRIBUTE_CONTEXT, (CUdeviceptr)(uintptr_t)a),
        CUDA_SUCCESS);
    ck_assert_ptr_nonnull(owner);
    if (device_count() >= 2) {
        ck_assert(ct_make_current(1));
        CUcontext mine = NULL;
        ck_assert_int_eq(get(&mine), CUDA_SUCCESS);
        ck_assert_ptr_ne(mine, owner);
        void *b = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(p, 64, 0, &b), OK);
        ck_assert_int_eq(ptr_device(b), 0);
        ck_assert_int_eq(get(&cur), CUDA_SUCCESS);
        ck_assert_ptr_eq(cur, mine);
        ck_assert_int_eq(umfMemoryProviderFree(p, b, 64), OK);
        ck_assert_int_eq(get(&cur), CUDA_SUCCESS);
        ck_assert_ptr_eq(cur, mine);
    }
    ck_assert_int_eq(umfMemoryProviderFree(p, a, 64), OK);
    umfMemoryProviderDestroy(p);
}
END_TEST

static void *mt_worker(void *arg) {
    umf_memory_provider_handle_t p = arg;
    for (int i = 0; i < 200; i++) {
        void *ptr = NULL;
        size_t size = 64 + (size_t)i * 40;
        if (umfMemoryProviderAlloc(p, size, i % 3 ? 0 : 4096, &ptr) != OK ||
            !ptr) {
            return (void *)1;
        }
        if (umfMemoryProviderFree(p, ptr, size) != OK) {
            return (void *)1;
        }
    }
    return NULL;
}

static void *mt_run(void *arg) { return mt_worker(arg); }

START_TEST(alloc_free_4_threads) {
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(p);
    pthread_t th[4];
    for (int t = 0; t < 4; t++) {
        ck_assert_int_eq(pthread_create(&th[t], NULL, mt_run, p), 0);
    }
    for (int t = 0; t < 4; t++) {
        void *r = (void *)1;
        pthread_join(th[t], &r);
        ck_assert_ptr_null(r);
    }
    umfMemoryProviderDestroy(p);
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
}
END_TEST

/* ---- alignment ---- */

START_TEST(alignment_honoured) {
    umf_usm_memory_type_t t = types[_i];
    umf_memory_provider_handle_t p = ct_provider(t, 0, 0);
    ck_assert_ptr_nonnull(p);
    for (size_t align = 1; align <= 8 * MiB; align *= 2) {
        const size_t sizes[] = {1, align, 3 * align + 5};
        for (int k = 0; k < 3; k++) {
            void *ptr = NULL;
            ck_assert_int_eq(umfMemoryProviderAlloc(p, sizes[k], align, &ptr),
                             OK);
            ck_assert_msg((uintptr_t)ptr % align == 0, "%p not aligned to %zu",
                          ptr, align);
            if (host_accessible(t)) {
                memset(ptr, 0x5a, sizes[k]);
            }
            ck_assert_int_eq(umfMemoryProviderFree(p, ptr, sizes[k]), OK);
        }
    }
    void *ptr = (void *)0x1;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 100, 3, &ptr), INV);
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 100, 4096 + 64, &ptr), INV);
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 0, 0, &ptr), INV);
    ck_assert_int_eq(umfMemoryProviderAlloc(p, SIZE_MAX, 4 * MiB, &ptr),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umfMemoryProviderDestroy(p);
    if (!ct_real_driver()) {
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
}
END_TEST

START_TEST(page_sizes) {
    umf_usm_memory_type_t t = types[_i];
    umf_memory_provider_handle_t p = ct_provider(t, 0, 0);
    ck_assert_ptr_nonnull(p);
    size_t min = 0, rec = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(p, NULL, &min), OK);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(p, 100, &rec), OK);
    ck_assert(min > 0 && (min & (min - 1)) == 0);
    ck_assert_uint_ge(rec, min);
    if (t == UMF_MEMORY_TYPE_HOST) {
        ck_assert_uint_eq(min, umf_test_page_size());
    } else if (!ct_real_driver()) {
        ck_assert_uint_eq(min, 2 * MiB); /* the fake's granularity */
    }
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(p, NULL, NULL), INV);
    umfMemoryProviderDestroy(p);
}
END_TEST

START_TEST(purge_split_merge_not_supported) {
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(p);
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 2 * MiB, 0, &ptr), OK);
    const umf_result_t ns = UMF_RESULT_ERROR_NOT_SUPPORTED;
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(p, ptr, 2 * MiB), ns);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(p, ptr, 2 * MiB), ns);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(p, ptr, 2 * MiB, MiB),
                     ns);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(p, ptr, (char *)ptr + MiB, 2 * MiB),
        ns);
    ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 2 * MiB), OK);
    umfMemoryProviderDestroy(p);
}
END_TEST

/* ---- driver errors (the fake's failure switches) ---- */

START_TEST(driver_errors_mapped) {
    if (ct_real_driver()) {
        return;
    }
    umf_memory_provider_handle_t p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(p);
    void *ptr = (void *)0x1;
    /* more than the device has */
    ck_assert_int_eq(umfMemoryProviderAlloc(p, (size_t)1 << 40, 0, &ptr),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    expect_native(p, CUDA_ERROR_OUT_OF_MEMORY, "cuMemAlloc: out of memory");
    ck_assert_ptr_eq(ptr, (void *)0x1); /* untouched on failure */

    ck_assert(ct_fail_next("cuMemAlloc_v2", CUDA_ERROR_ILLEGAL_ADDRESS));
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 64, 0, &ptr),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native(p, CUDA_ERROR_ILLEGAL_ADDRESS,
                  "cuMemAlloc: an illegal memory access was encountered");
    ck_assert_str_eq(umfMemoryProviderGetName(umfGetLastFailedMemoryProvider()),
                     "CUDA");

    ck_assert(ct_fail_next("cuCtxSetCurrent", CUDA_ERROR_UNKNOWN));
    ck_assert_int_eq(umfMemoryProviderAlloc(p, 64, 0, &ptr),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native(p, CUDA_ERROR_UNKNOWN, "cuCtxSetCurrent: unknown error");
    ck_assert_int_eq(ct_live_allocs(), 0);

    /* a failed free leaves the memory allocated; freeing again works,
     * also for an over-aligned allocation (its base is kept) */
    for (size_t align = 0; align <= 4 * MiB; align += 4 * MiB) {
        ck_assert_int_eq(umfMemoryProviderAlloc(p, 1000, align, &ptr), OK);
        ck_assert(ct_fail_next("cuMemFree_v2", CUDA_ERROR_INVALID_CONTEXT));
        ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 1000),
                         UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
        expect_native(p, CUDA_ERROR_INVALID_CONTEXT,
                      "cuMemFree: invalid device context");
        ck_assert_int_eq(ct_live_allocs(), 1);
        ck_assert_int_eq(umfMemoryProviderFree(p, ptr, 1000), OK);
        ck_assert_int_eq(ct_live_allocs(), 0);
    }
    /* INVALID_VALUE from the driver: INVALID_ARGUMENT */
    int local;
    ck_assert_int_eq(umfMemoryProviderFree(p, &local, 4), INV);
    expect_native(p, CUDA_ERROR_INVALID_VALUE, "cuMemFree: invalid argument");
    umfMemoryProviderDestroy(p);

    /* failures while creating */
    ck_assert(ct_fail_next("cuDevicePrimaryCtxRetain", CUDA_ERROR_UNKNOWN));
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0));
    ck_assert(ct_fail_next("cuDeviceGetCount", CUDA_ERROR_UNKNOWN));
    ck_assert_ptr_null(ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0));
    ck_assert_int_eq(ct_primary_refs(0), 0);
    /* no granularity: the page size */
    ck_assert(ct_fail_next("cuMemGetAllocationGranularity",
                           CUDA_ERROR_NOT_SUPPORTED));
    p = ct_provider(UMF_MEMORY_TYPE_DEVICE, 0, 0);
    ck_assert_ptr_nonnull(p);
    size_t min = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(p, NULL, &min), OK);
    ck_assert_uint_eq(min, umf_test_page_size());
    /* the primary context release failing at destroy is only logged */
    ck_assert(ct_fail_next("cuDevicePrimaryCtxRelease_v2", CUDA_ERROR_UNKNOWN));
    umfMemoryProviderDestroy(p);
}
END_TEST

/* ---- no driver, an old driver, a failing cuInit (child processes) ---- */

static int child_create(void) {
    umf_memory_provider_handle_t p = NULL;
    umf_result_t r =
        umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), NULL, &p);
    if (r == OK) {
        umfMemoryProviderDestroy(p);
    }
    return (int)r;
}

static int child_main(const char *scenario) {
    if (strcmp(scenario, "create") == 0) {
        return child_create(); /* the driver LD_LIBRARY_PATH finds */
    }
    if (strcmp(scenario, "create-fake") == 0) {
        ct_child_load_fake(); /* the fake, as the parent has it */
        return child_create();
    }
    return cuda_ipc_child(scenario);
}

static int count_lines_with(const char *text, const char *what) {
    int n = 0;
    for (const char *s = text; (s = strstr(s, what)) != NULL; s++) {
        n++;
    }
    return n;
}

/* Run "--child scenario" with env_name=env_value: DEPENDENCY_UNAVAILABLE and
 * exactly one error line of the provider's, which says why. */
static void expect_unavailable(const char *scenario, const char *env_name,
                               const char *env_value, const char *why) {
    int status = 0;
    char *log =
        umf_test_run_child(scenario, "error", env_name, env_value, &status);
    ck_assert_msg(
        WIFEXITED(status) &&
            WEXITSTATUS(status) == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE,
        "%s=%s: status 0x%x, log:\n%s", env_name, env_value, status, log);
    /* one line of the provider's (the front-end adds its own) */
    ck_assert_msg(count_lines_with(log, "CUDA provider is unavailable") == 1,
                  "not one log line:\n%s", log);
    ck_assert_msg(strstr(log, why) != NULL, "log does not say '%s':\n%s", why,
                  log);
    free(log);
}

START_TEST(no_driver) {
    if (ct_real_driver()) {
        return;
    }
    int status = 0;
    char *path = ct_library_path_instead_of_fake("/nonexistent");
    char *log =
        umf_test_run_child("create", "error", "LD_LIBRARY_PATH", path, &status);
    free(path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("note: this machine has a CUDA driver: no 'no driver' test\n");
    } else {
        ck_assert_msg(WIFEXITED(status) &&
                          WEXITSTATUS(status) ==
                              UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE,
                      "status 0x%x, log:\n%s", status, log);
        ck_assert_msg(strstr(log, "cannot load libcuda.so.1"), "log:\n%s", log);
        ck_assert_int_eq(count_lines_with(log, "CUDA provider is unavailable"),
                         1);
    }
    free(log);
}
END_TEST

START_TEST(old_driver_missing_entry_point) {
    if (ct_real_driver()) {
        return;
    }
    char *path =
        ct_library_path_instead_of_fake(UMF_TEST_FAKE_CUDA_INCOMPLETE_DIR);
    expect_unavailable("create", "LD_LIBRARY_PATH", path,
                       "has no cuIpcOpenMemHandle_v2");
    free(path);
}
END_TEST

START_TEST(cuinit_fails) {
    if (ct_real_driver()) {
        return;
    }
    expect_unavailable("create-fake", "FAKE_CUDA_INIT_RESULT", "999",
                       "cuInit failed with 999 (CUDA_ERROR_UNKNOWN");
    expect_unavailable("create-fake", "FAKE_CUDA_DEVICES", "0",
                       "no CUDA-capable device is detected");
}
END_TEST

static Suite *cuda_suite(void) {
    Suite *s = suite_create("provider_cuda");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, params_null_and_bad_values);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_test(tc, create_default_params);
    tcase_add_test(tc, create_device_choice);
    tcase_add_test(tc, create_bad_flags_and_type);
    tcase_add_test(tc, create_with_context);
    suite_add_tcase(s, tc);

    int ntypes = (int)(sizeof(types) / sizeof(types[0]));
    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, alloc_each_type, 0, ntypes);
    tcase_add_test(tc, context_made_current_and_restored);
    tcase_add_test(tc, alloc_free_4_threads);
    tcase_add_loop_test(tc, alignment_honoured, 0, ntypes);
    tcase_add_loop_test(tc, page_sizes, 0, ntypes);
    tcase_add_test(tc, purge_split_merge_not_supported);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, driver_errors_mapped);
    tcase_add_test(tc, no_driver);
    tcase_add_test(tc, old_driver_missing_entry_point);
    tcase_add_test(tc, cuinit_fails);
    suite_add_tcase(s, tc);

    cuda_ipc_add_tests(s);
    return s;
}

int main(int argc, char **argv) {
    cuda_test_use_driver(argc, argv);
    if (argc < 2 || strcmp(argv[1], "--child") != 0) {
        cuda_test_require_driver();
    }
    return umf_test_main(argc, argv, cuda_suite, child_main);
}
