/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_level_zero.c -- the Level Zero provider on the fake driver
 * (tests/fakes/fake_ze_driver.c) through Debian's real loader: every
 * params function and its errors, each memory type, ordinal, resident
 * devices, free policies, relaxed limits, page sizes, result mapping and
 * native errors; and, in children re-executed with another environment,
 * a driver whose init fails, no loader, a loader missing an entry point
 * and a driver without zeMemFreeExt; a program that dlopens the loader
 * before libumf and one that dlopens it after. IPC is in
 * test_provider_level_zero_ipc.c, the pools in
 * test_provider_level_zero_pools.c. */
#include "level_zero_helpers.h"
#include "provider_helpers.h"

#include <sys/stat.h>

#include <umf/memory_provider.h>

#if !defined(UMF_TEST_FAKE_ZE_PARTIAL_LOADER) ||                               \
    !defined(UMF_TEST_L0_DLOPEN_ORDER) || !defined(UMF_TEST_LIBUMF)
#error "tests/local.mk names the partial loader, the dlopen helper, libumf"
#endif

typedef umf_level_zero_memory_provider_params_handle_t params_t;

/* ================ params ================ */

START_TEST(params_create_destroy) {
    params_t p = NULL;
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(&p),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsDestroy(p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsDestroy(NULL),
                     UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(params_null_handle) {
    ze_context_handle_t ctx = (ze_context_handle_t)0x1000;
    ze_device_handle_t dev = (ze_device_handle_t)0x2000;
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetContext(NULL, ctx),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDevice(NULL, dev),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(
                         NULL, UMF_MEMORY_TYPE_HOST),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(NULL, &dev, 1),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetFreePolicy(
            NULL, UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(NULL, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(params_bad_values) {
    params_t p = NULL;
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(&p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetContext(p, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(
                         p, UMF_MEMORY_TYPE_UNKNOWN),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetMemoryType(
                         p, (umf_usm_memory_type_t)7),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(p, NULL, 2),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_device_handle_t with_null[2] = {(ze_device_handle_t)0x2000, NULL};
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(p, with_null, 2),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetFreePolicy(
                         p, (umf_level_zero_memory_provider_free_policy_t)3),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* what is accepted */
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDevice(p, NULL),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(p, NULL, 0),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(p, with_null, 1),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(p, with_null, 1),
        UMF_RESULT_SUCCESS); /* replaces the list without a leak */
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(p, 7),
                     UMF_RESULT_SUCCESS);
    for (int pol = 0; pol <= 2; pol++) {
        ck_assert_int_eq(
            umfLevelZeroMemoryProviderParamsSetFreePolicy(
                p, (umf_level_zero_memory_provider_free_policy_t)pol),
            UMF_RESULT_SUCCESS);
    }
    umfLevelZeroMemoryProviderParamsDestroy(p);
}
END_TEST

static umf_result_t create_from(params_t p) {
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p, &prov);
    if (prov) {
        umfMemoryProviderDestroy(prov);
    }
    return ret;
}

/* What creation checks before it loads anything. */
START_TEST(create_incomplete_params) {
    ck_assert_int_eq(create_from(NULL), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    params_t p = NULL;
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsCreate(&p),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(create_from(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_context_handle_t ctx = (ze_context_handle_t)0x1000;
    ze_device_handle_t dev = (ze_device_handle_t)0x2000;
    umfLevelZeroMemoryProviderParamsSetContext(p, ctx);
    /* no memory type */
    ck_assert_int_eq(create_from(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* device memory without a device */
    umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_DEVICE);
    ck_assert_int_eq(create_from(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_SHARED);
    ck_assert_int_eq(create_from(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* host memory with a device */
    umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_HOST);
    umfLevelZeroMemoryProviderParamsSetDevice(p, dev);
    ck_assert_int_eq(create_from(p), UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfLevelZeroMemoryProviderParamsDestroy(p);
}
END_TEST

/* ================ the provider on the fake driver ================ */

static void open_fixture(void) { lz_open(); }

static const umf_usm_memory_type_t all_types[] = {
    UMF_MEMORY_TYPE_HOST, UMF_MEMORY_TYPE_DEVICE, UMF_MEMORY_TYPE_SHARED};

static umf_memory_provider_handle_t provider_of(umf_usm_memory_type_t t) {
    return lz_provider_from(lz_params(t, t == UMF_MEMORY_TYPE_HOST ? -1 : 0));
}

/* loop over all_types */
START_TEST(alloc_each_type) {
    umf_usm_memory_type_t t = all_types[_i];
    umf_memory_provider_handle_t prov = provider_of(t);
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "LEVEL_ZERO");
    uint64_t before = LZ_STAT(allocs[t]);
    char *p = ph_alloc(prov, 100000, 0);
    umf_test_fill(p, 100000, 3);
    ck_assert(umf_test_verify(p, 100000, 3));
    ze_memory_allocation_properties_t props = {
        .stype = ZE_STRUCTURE_TYPE_MEMORY_ALLOCATION_PROPERTIES};
    ze_device_handle_t dev = NULL;
    ck_assert_int_eq(lz.zeMemGetAllocProperties(lz.ctx, p + 50, &props, &dev),
                     ZE_RESULT_SUCCESS);
    ck_assert_int_eq(props.type, (ze_memory_type_t)t);
    ck_assert_ptr_eq(dev, t == UMF_MEMORY_TYPE_HOST ? NULL : lz.dev[0]);
    ck_assert_uint_eq(LZ_STAT(allocs[t]), before + 1);
    ph_free(prov, p, 100000);
    ck_assert_int_eq(umfMemoryProviderFree(prov, NULL, 0), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(alloc_alignment) {
    umf_memory_provider_handle_t prov = provider_of(UMF_MEMORY_TYPE_DEVICE);
    void *p = ph_alloc(prov, 1000, 0);
    ck_assert_uint_eq((uintptr_t)p % FAKE_ZE_DEVICE_PAGE, 0);
    ph_free(prov, p, 1000);
    size_t align = (size_t)2 << 20;
    p = ph_alloc(prov, 1000, align);
    ck_assert_uint_eq((uintptr_t)p % align, 0);
    ph_free(prov, p, 1000);
    void *q = (void *)0x1;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 1000, 3, &q),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    ck_assert_ptr_eq(q, (void *)0x1);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 1000, 0, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* The ordinal reaches the driver; the fake has one memory per device, so
 * ordinal 1 is its INVALID_ARGUMENT, mapped and recorded. */
START_TEST(ordinal) {
    params_t pp = lz_params(UMF_MEMORY_TYPE_SHARED, 1);
    umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(pp, 1);
    umf_memory_provider_handle_t prov = lz_provider_from(pp);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(p);
    ph_expect_native(
        prov, (int32_t)ZE_RESULT_ERROR_INVALID_ARGUMENT,
        "zeMemAllocShared failed: ZE_RESULT_ERROR_INVALID_ARGUMENT", 0);
    ck_assert_uint_eq(LZ_STAT(last_ordinal), 1);
    umfMemoryProviderDestroy(prov);

    prov = lz_provider_from(lz_params(UMF_MEMORY_TYPE_SHARED, 1));
    p = ph_alloc(prov, 4096, 0);
    ck_assert_uint_eq(LZ_STAT(last_ordinal), 0);
    ph_free(prov, p, 4096);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(resident_devices) {
    ck_assert_uint_ge(lz.num_devices, 2);
    params_t pp = lz_params(UMF_MEMORY_TYPE_DEVICE, 0);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(pp, lz.dev, 2),
        UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = lz_provider_from(pp);
    uint64_t r0 = LZ_STAT(resident[0]), r1 = LZ_STAT(resident[1]);
    void *p = ph_alloc(prov, 8192, 0);
    void *q = ph_alloc(prov, 8192, 0);
    ck_assert_uint_eq(LZ_STAT(resident[0]), r0 + 2);
    ck_assert_uint_eq(LZ_STAT(resident[1]), r1 + 2);
    ph_free(prov, p, 8192);
    ph_free(prov, q, 8192);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* A device the driver refuses: the allocation fails and is freed. */
START_TEST(resident_device_refused) {
    static struct { uint32_t magic, index; } bogus = {0xbad, 0};
    ze_device_handle_t devs[2] = {lz.dev[1], (ze_device_handle_t)&bogus};
    params_t pp = lz_params(UMF_MEMORY_TYPE_DEVICE, 0);
    ck_assert_int_eq(
        umfLevelZeroMemoryProviderParamsSetResidentDevices(pp, devs, 2),
        UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = lz_provider_from(pp);
    uint64_t live = LZ_STAT(live);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 8192, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(p);
    ph_expect_native(prov, (int32_t)ZE_RESULT_ERROR_INVALID_NULL_HANDLE,
                     "zeContextMakeMemoryResident failed: "
                     "ZE_RESULT_ERROR_INVALID_NULL_HANDLE",
                     0);
    ck_assert_uint_eq(LZ_STAT(live), live);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Creation asks the driver for the device's properties: a handle the
 * driver refuses fails creation, with the driver's result recorded. */
START_TEST(create_bad_device) {
    static struct {
        uint32_t magic, index;
    } bogus = {0xbad, 0};
    params_t pp = lz_params(UMF_MEMORY_TYPE_DEVICE, 0);
    umfLevelZeroMemoryProviderParamsSetDevice(pp, (ze_device_handle_t)&bogus);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), pp, &prov),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(prov);
    umfLevelZeroMemoryProviderParamsDestroy(pp);
}
END_TEST

/* loop: 0 DEFAULT, 1 BLOCKING, 2 DEFER */
START_TEST(free_policy) {
    params_t pp = lz_params(UMF_MEMORY_TYPE_DEVICE, 0);
    ck_assert_int_eq(umfLevelZeroMemoryProviderParamsSetFreePolicy(
                         pp, (umf_level_zero_memory_provider_free_policy_t)_i),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = lz_provider_from(pp);
    uint64_t frees = LZ_STAT(frees);
    uint64_t ext[3] = {LZ_STAT(free_ext[0]), LZ_STAT(free_ext[1]),
                       LZ_STAT(free_ext[2])};
    void *p = ph_alloc(prov, 4096, 0);
    ph_free(prov, p, 4096);
    ck_assert_uint_eq(LZ_STAT(frees), frees + 1);
    for (int k = 0; k < 3; k++) {
        ck_assert_uint_eq(LZ_STAT(free_ext[k]),
                          ext[k] + (_i != 0 && k == _i ? 1 : 0));
    }
    /* a double free is the driver's INVALID_ARGUMENT */
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Above maxMemAllocSize the relaxed limits descriptor goes along. */
START_TEST(relaxed_limits) {
    umf_memory_provider_handle_t prov = provider_of(UMF_MEMORY_TYPE_DEVICE);
    uint64_t relaxed = LZ_STAT(relaxed_allocs);
    size_t big = (size_t)FAKE_ZE_MAX_ALLOC + ((size_t)1 << 20);
    void *p = ph_alloc(prov, big, 0);
    ck_assert_uint_eq(LZ_STAT(relaxed_allocs), relaxed + 1);
    ((volatile char *)p)[big - 1] = 1;
    ph_free(prov, p, big);
    p = ph_alloc(prov, FAKE_ZE_MAX_ALLOC, 0);
    ck_assert_uint_eq(LZ_STAT(relaxed_allocs), relaxed + 1);
    ph_free(prov, p, FAKE_ZE_MAX_ALLOC);
    /* more than the device has */
    p = NULL;
    ck_assert_int_eq(
        umfMemoryProviderAlloc(prov, (size_t)FAKE_ZE_DEVICE_MEMORY + 1, 0, &p),
        UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ph_expect_native(
        prov, (int32_t)ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY,
        "zeMemAllocDevice failed: ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY", 0);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(page_sizes) {
    umf_memory_provider_handle_t dev = provider_of(UMF_MEMORY_TYPE_DEVICE);
    umf_memory_provider_handle_t host = provider_of(UMF_MEMORY_TYPE_HOST);
    size_t ps = 0;
    uint64_t allocs = LZ_STAT(allocs[2]);
    /* before any allocation: the system page, and no probe allocation */
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(dev, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, umf_test_page_size());
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(dev, 100, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, umf_test_page_size());
    ck_assert_uint_eq(LZ_STAT(allocs[2]), allocs);
    char *p = ph_alloc(dev, 4096, 0);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(dev, p + 10, &ps),
                     UMF_RESULT_SUCCESS);
    size_t dev_page = ps;
    ck_assert_uint_eq(dev_page, FAKE_ZE_DEVICE_PAGE);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(dev, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, dev_page);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(dev, 1, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, dev_page);
    char *h = ph_alloc(host, 4096, 0);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(host, h, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, FAKE_ZE_HOST_PAGE);
    /* not Level Zero memory */
    int local;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(dev, &local, &ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(dev, NULL, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_free(dev, p, 4096);
    ph_free(host, h, 4096);
    umfMemoryProviderDestroy(dev);
    umfMemoryProviderDestroy(host);
}
END_TEST

/* The driver's failures, mapped; the native error keeps the ze result. */
static const struct {
    ze_result_t ze;
    umf_result_t umf;
    const char *name;
} mapping[] = {
    {ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY, UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY,
     "ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY"},
    {ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY, UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY,
     "ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY"},
    {ZE_RESULT_ERROR_INVALID_SIZE, UMF_RESULT_ERROR_INVALID_ARGUMENT,
     "ZE_RESULT_ERROR_INVALID_SIZE"},
    {ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT, UMF_RESULT_ERROR_INVALID_ALIGNMENT,
     "ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT"},
    {ZE_RESULT_ERROR_UNSUPPORTED_FEATURE, UMF_RESULT_ERROR_NOT_SUPPORTED,
     "ZE_RESULT_ERROR_UNSUPPORTED_FEATURE"},
    {ZE_RESULT_ERROR_DEVICE_LOST, UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC,
     "ZE_RESULT_ERROR_DEVICE_LOST"},
    {(ze_result_t)0x7abcdef0, UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC,
     "result 0x7abcdef0"},
};

START_TEST(result_mapping) {
    umf_memory_provider_handle_t prov = provider_of(UMF_MEMORY_TYPE_HOST);
    lz.fail_allocs(1, (int32_t)mapping[_i].ze);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, &p),
                     mapping[_i].umf);
    ck_assert_ptr_null(p);
    char want[128];
    snprintf(want, sizeof(want), "zeMemAllocHost failed: %s", mapping[_i].name);
    ph_expect_native(prov, (int32_t)mapping[_i].ze, want, 0);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), prov);
    /* the next one works */
    p = ph_alloc(prov, 4096, 0);
    ph_free(prov, p, 4096);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(unsupported_ops) {
    umf_memory_provider_handle_t prov = provider_of(UMF_MEMORY_TYPE_SHARED);
    char *p = ph_alloc(prov, 2 * 65536, 0);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, p, 65536),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, p, 65536),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, p, 2 * 65536, 65536),
        UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, p, p + 65536, 2 * 65536),
        UMF_RESULT_ERROR_NOT_SUPPORTED);
    ph_free(prov, p, 2 * 65536);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ================ other environments (children) ================ */

/* Creation with params that pass the argument checks; the context is never
 * used when loading fails. */
static umf_result_t create_unloadable(void) {
    params_t p = NULL;
    umfLevelZeroMemoryProviderParamsCreate(&p);
    umfLevelZeroMemoryProviderParamsSetContext(p, (ze_context_handle_t)0x1000);
    umfLevelZeroMemoryProviderParamsSetMemoryType(p, UMF_MEMORY_TYPE_HOST);
    umf_result_t r = create_from(p);
    umfLevelZeroMemoryProviderParamsDestroy(p);
    return r;
}

/* Loading fails, and again on a second try. */
static int child_unavailable(void) {
    for (int i = 0; i < 2; i++) {
        umf_result_t r = create_unloadable();
        if (r != UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
            fprintf(stderr, "creation %d gave %d\n", i, (int)r);
            return 1;
        }
    }
    return 0;
}

/* (No Check macro in the children: they run outside any test.) */

/* A DEFER provider on a driver without zeMemFreeExt frees with zeMemFree. */
static int child_no_free_ext(void) {
    if (lz_try_open() || !lz.stats) {
        return 2;
    }
    umf_memory_provider_handle_t prov = lz_provider_try_policy(
        UMF_MEMORY_TYPE_DEVICE,
        UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE);
    if (!prov) {
        return 5;
    }
    uint64_t frees = LZ_STAT(frees);
    for (int i = 0; i < 2; i++) {
        void *p = NULL;
        if (umfMemoryProviderAlloc(prov, 4096, 0, &p) != UMF_RESULT_SUCCESS ||
            umfMemoryProviderFree(prov, p, 4096) != UMF_RESULT_SUCCESS) {
            return 3;
        }
    }
    umfMemoryProviderDestroy(prov);
    return LZ_STAT(frees) == frees + 2 && LZ_STAT(free_ext[2]) == 0 ? 0 : 4;
}

static int child_main(const char *scenario) {
    if (strcmp(scenario, "unavailable") == 0) {
        return child_unavailable();
    }
    if (strcmp(scenario, "no_free_ext") == 0) {
        return child_no_free_ext();
    }
    fprintf(stderr, "unknown scenario %s\n", scenario);
    return 99;
}

/* Run scenario with env_name=env_value; the child must exit 0 and its log
 * (level error) contain `expect`. */
static void expect_child(const char *scenario, const char *env_name,
                         const char *env_value, const char *expect) {
    int status = 0;
    char *log =
        umf_test_run_child(scenario, "warning", env_name, env_value, &status);
    ck_assert_msg(ph_child_ok(status), "child %s (%s=%s): status %d; log:\n%s",
                  scenario, env_name, env_value, status, log);
    ck_assert_msg(strstr(log, expect) != NULL,
                  "child %s: no '%s' in the log:\n%s", scenario, expect, log);
    free(log);
}

START_TEST(driver_init_fails) {
    expect_child("unavailable", "FAKE_ZE_FAIL_INIT", "1",
                 "zeInit failed with ZE_RESULT_ERROR_UNINITIALIZED");
}
END_TEST

/* A directory ahead of the system's on LD_LIBRARY_PATH holding
 * libze_loader.so.1 as `what` (NULL: an empty, unloadable file). */
static char *loader_dir(const char *what) {
    char *dir = strdup("/tmp/umf_ze_loader.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/libze_loader.so.1", dir);
    if (what) {
        ck_assert_int_eq(symlink(what, path), 0);
    } else {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fclose(f);
    }
    return dir;
}

static void loader_dir_remove(char *dir) {
    char path[256];
    snprintf(path, sizeof(path), "%s/libze_loader.so.1", dir);
    unlink(path);
    rmdir(dir);
    free(dir);
}

/* dir ahead of the LD_LIBRARY_PATH libtool's wrapper set (malloc'ed) */
static char *library_path(const char *dir) {
    const char *old = getenv("LD_LIBRARY_PATH");
    char *v = malloc(strlen(dir) + (old ? strlen(old) : 0) + 2);
    ck_assert_ptr_nonnull(v);
    sprintf(v, "%s%s%s", dir, old ? ":" : "", old ? old : "");
    return v;
}

START_TEST(no_loader) {
    char *dir = loader_dir(NULL);
    char *path = library_path(dir);
    expect_child("unavailable", "LD_LIBRARY_PATH", path,
                 "cannot load libze_loader.so.1");
    free(path);
    loader_dir_remove(dir);
}
END_TEST

START_TEST(loader_missing_entry_point) {
    char *dir = loader_dir(UMF_TEST_FAKE_ZE_PARTIAL_LOADER);
    char *path = library_path(dir);
    expect_child("unavailable", "LD_LIBRARY_PATH", path,
                 "libze_loader.so.1 has no zeDeviceGetProperties");
    free(path);
    loader_dir_remove(dir);
}
END_TEST

START_TEST(driver_without_free_ext) {
    expect_child("no_free_ext", "FAKE_ZE_NO_FREE_EXT", "1",
                 "the Level Zero driver has no zeMemFreeExt");
}
END_TEST

/* loop: the program dlopens the loader before libumf, then after */
START_TEST(dlopen_order) {
    static const char *const orders[] = {"loader-first", "umf-first"};
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl(UMF_TEST_L0_DLOPEN_ORDER, UMF_TEST_L0_DLOPEN_ORDER,
              UMF_TEST_LIBUMF, orders[_i], (char *)NULL);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(ph_child_ok(status), "%s: status %d", orders[_i], status);
}
END_TEST

static Suite *level_zero_suite(void) {
    Suite *s = suite_create("level_zero");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, params_create_destroy);
    tcase_add_test(tc, params_null_handle);
    tcase_add_test(tc, params_bad_values);
    tcase_add_test(tc, create_incomplete_params);
    suite_add_tcase(s, tc);

    tc = tcase_create("provider");
    tcase_add_checked_fixture(tc, open_fixture, NULL);
    tcase_add_loop_test(tc, alloc_each_type, 0, 3);
    tcase_add_test(tc, alloc_alignment);
    tcase_add_test(tc, ordinal);
    tcase_add_test(tc, resident_devices);
    tcase_add_test(tc, resident_device_refused);
    tcase_add_test(tc, create_bad_device);
    tcase_add_loop_test(tc, free_policy, 0, 3);
    tcase_add_test(tc, relaxed_limits);
    tcase_add_test(tc, page_sizes);
    tcase_add_loop_test(tc, result_mapping, 0,
                        (int)(sizeof(mapping) / sizeof(mapping[0])));
    tcase_add_test(tc, unsupported_ops);
    suite_add_tcase(s, tc);

    tc = tcase_create("environment");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, driver_init_fails);
    tcase_add_test(tc, no_loader);
    tcase_add_test(tc, loader_missing_entry_point);
    tcase_add_test(tc, driver_without_free_ext);
    tcase_add_loop_test(tc, dlopen_order, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    lz_use_fake_driver();
    return umf_test_main(argc, argv, level_zero_suite, child_main);
}
