/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_not_supported.c -- the disabled-feature contract of the stub backends */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <umf.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_cuda.h>
#include <umf/providers/provider_level_zero.h>

#define NS UMF_RESULT_ERROR_NOT_SUPPORTED

/* A non-NULL handle that must never be dereferenced by a stub. */
#define FAKE(type) ((type)(uintptr_t)0xdeadbeef)

START_TEST(level_zero_provider) {
    ck_assert_ptr_null(umfLevelZeroMemoryProviderOps());
    umf_level_zero_memory_provider_params_handle_t h = FAKE(void *);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(&h), NS);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(NULL), NS);
    h = FAKE(umf_level_zero_memory_provider_params_handle_t);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsDestroy(h), NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsDestroy(NULL), NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetContext(
                         h, FAKE(ze_context_handle_t)),
                     NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetContext(NULL, NULL),
                     NS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetDevice(h, FAKE(ze_device_handle_t)),
        NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDevice(NULL, NULL), NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(
                         h, UMF_MEMORY_TYPE_DEVICE),
                     NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(
                         NULL, UMF_MEMORY_TYPE_UNKNOWN),
                     NS);
    ze_device_handle_t devs[2] = {FAKE(ze_device_handle_t), NULL};
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(h, devs, 2), NS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(NULL, NULL, 0), NS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetFreePolicy(
            h, UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE),
        NS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetFreePolicy(
            NULL, UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT),
        NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(h, 1),
                     NS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(NULL, 0),
                     NS);
}
END_TEST

START_TEST(cuda_provider) {
    ck_assert_ptr_null(umfCUDAMemoryProviderOps());
    umf_cuda_memory_provider_params_handle_t h = FAKE(void *);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(&h), NS);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsCreate(NULL), NS);
    h = FAKE(umf_cuda_memory_provider_params_handle_t);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsDestroy(h), NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsDestroy(NULL), NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(h, FAKE(void *)),
                     NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetContext(NULL, NULL), NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(h, 0), NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetDevice(NULL, -1), NS);
    ck_assert_int_eq(
        umfCUDAMemoryProviderParamsSetMemoryType(h, UMF_MEMORY_TYPE_SHARED),
        NS);
    ck_assert_int_eq(
        umfCUDAMemoryProviderParamsSetMemoryType(NULL, UMF_MEMORY_TYPE_HOST),
        NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(h, 1), NS);
    ck_assert_int_eq(umfCUDAMemoryProviderParamsSetAllocFlags(NULL, 0), NS);
}
END_TEST

START_TEST(jemalloc_pool) { ck_assert_ptr_null(umfJemallocPoolOps()); }
END_TEST

START_TEST(scalable_pool) {
    ck_assert_ptr_null(umfScalablePoolOps());
    umf_scalable_pool_params_handle_t h = FAKE(void *);
    ck_assert_int_eq(umfScalablePoolParamsCreate(&h), NS);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(umfScalablePoolParamsCreate(NULL), NS);
    h = FAKE(umf_scalable_pool_params_handle_t);
    ck_assert_int_eq(umfScalablePoolParamsDestroy(h), NS);
    ck_assert_int_eq(umfScalablePoolParamsDestroy(NULL), NS);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(h, 1 << 21), NS);
    ck_assert_int_eq(umfScalablePoolParamsSetGranularity(NULL, 0), NS);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(h, true), NS);
    ck_assert_int_eq(umfScalablePoolParamsSetKeepAllMemory(NULL, false), NS);
}
END_TEST

/* Only backends that this build stubs out are checked: a backend whose
 * ...Ops() works is real and tested by its own program. (Memory spaces,
 * targets and policies are always built; test_memspace checks what they
 * return without hwloc.) */
static Suite *not_supported_suite(int *ntcases) {
    Suite *s = suite_create("not_supported");
    *ntcases = 0;

    TCase *tc = tcase_create("providers");
    int n = 0;
    if (!umfLevelZeroMemoryProviderOps()) {
        tcase_add_test(tc, level_zero_provider);
        n++;
    }
    if (!umfCUDAMemoryProviderOps()) {
        tcase_add_test(tc, cuda_provider);
        n++;
    }
    suite_add_tcase(s, tc); /* the suite owns it, even when empty */
    *ntcases += n;

    tc = tcase_create("pools");
    n = 0;
    if (!umfJemallocPoolOps()) {
        tcase_add_test(tc, jemalloc_pool);
        n++;
    }
    if (!umfScalablePoolOps()) {
        tcase_add_test(tc, scalable_pool);
        n++;
    }
    suite_add_tcase(s, tc); /* the suite owns it, even when empty */
    *ntcases += n;

    return s;
}

int main(void) {
    int ntcases;
    SRunner *sr = srunner_create(not_supported_suite(&ntcases));
    if (ntcases == 0) {
        srunner_free(sr);
        printf("SKIP: every optional backend is built in; nothing is "
               "stubbed\n");
        return 77;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
