/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_devdax.c -- the device-DAX memory provider.
 *
 * Built twice:
 * - test_provider_devdax: params, bad paths and non-DAX devices, and the
 *   mapping, allocation, purge, split/merge and IPC code on a fake device:
 *   a tmpfs file that the test-only mmap shim (tests/fakes/mmap_shim.c,
 *   preloaded by re-executing this program) lets through the device check
 *   and whose MAP_SYNC mappings it turns into MAP_SHARED. Without the shim
 *   the fake-device tests are not added (a line says why);
 * - test_provider_devdax_real (UMF_TEST_DEVDAX_REAL): the same mapping tests
 *   on a real device named by UMF_TESTS_DEVDAX_PATH and
 *   UMF_TESTS_DEVDAX_SIZE; exits 77 when they are not set. */
#include "provider_helpers.h"

#include <limits.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_devdax_memory.h>

#include "mmap_shim.h"

#define PAGE2M (2 * MiB)
#define RW (UMF_PROTECTION_READ | UMF_PROTECTION_WRITE)

static char dev_path[PATH_MAX]; /* the device (or the fake) */
static size_t dev_size;

static umf_memory_provider_handle_t dax_create_expect(const char *path,
                                                      size_t size,
                                                      unsigned prot,
                                                      umf_result_t expect) {
    umf_devdax_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsCreate(&p, path, size),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsSetProtection(p, prot),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfDevDaxMemoryProviderOps(), p, &prov);
    umfDevDaxMemoryProviderParamsDestroy(p);
    ck_assert_msg(ret == expect, "create(%s, %zu) gave %d, want %d", path, size,
                  (int)ret, (int)expect);
    if (expect != UMF_RESULT_SUCCESS) {
        ck_assert_ptr_null(prov);
    }
    return prov;
}

static umf_memory_provider_handle_t dax_create(void) {
    return dax_create_expect(dev_path, dev_size, RW, UMF_RESULT_SUCCESS);
}

static size_t handle_size(umf_memory_provider_handle_t prov) {
    size_t hs = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov, &hs),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_ge(hs, PATH_MAX + 16);
    return hs;
}

/* The handle is {char path[PATH_MAX]; u64 offset; u64 size; u32 prot}. */
static PH_UNUSED uint64_t handle_offset(const void *h) {
    uint64_t off;
    memcpy(&off, (const char *)h + PATH_MAX, sizeof(off));
    return off;
}

#if !UMF_TEST_DEVDAX_REAL

/* ---------------------------------------------------------------------- */
/* params and devices that are not device DAX                              */
/* ---------------------------------------------------------------------- */

START_TEST(params) {
    umf_devdax_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsCreate(NULL, "/dev/dax0.0", PAGE2M),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsCreate(&p, NULL, PAGE2M),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsCreate(&p, "", PAGE2M),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(p);
    /* size 0 is taken here and refused by the create (issue 14 item 5b) */
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsCreate(&p, "/dev/dax0.0", 0),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov0 = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfDevDaxMemoryProviderOps(), p, &prov0),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(prov0);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsDestroy(p),
                     UMF_RESULT_SUCCESS);
    p = NULL;
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsDestroy(NULL),
                     UMF_RESULT_SUCCESS);

    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsCreate(&p, "/dev/dax0.0", PAGE2M),
        UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsSetDeviceDax(NULL, "/dev/dax1.0", PAGE2M),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsSetDeviceDax(p, NULL, PAGE2M),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsSetDeviceDax(p, "", PAGE2M),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsSetDeviceDax(p, "/dev/dax1.0", 0),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsSetDeviceDax(p, "/dev/dax1.0", 4 * PAGE2M),
        UMF_RESULT_SUCCESS);

    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsSetProtection(NULL, UMF_PROTECTION_READ),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    unsigned bad[] = {0, 1u << 4, 1u << 31, 0x20 | UMF_PROTECTION_READ};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(umfDevDaxMemoryProviderParamsSetProtection(p, bad[i]),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* every combination, NONE with others included (issue 14 item 5b) */
    for (unsigned prot = 1; prot < 16; prot++) {
        ck_assert_msg(umfDevDaxMemoryProviderParamsSetProtection(p, prot) ==
                          UMF_RESULT_SUCCESS,
                      "protection 0x%x rejected", prot);
    }
    ck_assert_int_eq(
        umfDevDaxMemoryProviderParamsSetProtection(p, UMF_PROTECTION_NONE),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsSetProtection(
                         p, UMF_PROTECTION_READ | UMF_PROTECTION_EXEC),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfDevDaxMemoryProviderParamsDestroy(p),
                     UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(ops_table) {
    umf_memory_provider_ops_t *ops = umfDevDaxMemoryProviderOps();
    ck_assert_ptr_nonnull(ops);
    ck_assert_uint_eq(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    ck_assert_str_eq(ops->get_name(NULL), "DEVDAX");
    ck_assert_ptr_null(ops->ext.purge_lazy);
    ck_assert_ptr_nonnull(ops->ext.purge_force);
    ck_assert_ptr_nonnull(ops->ext.allocation_split);
    ck_assert_ptr_nonnull(ops->ext.allocation_merge);
    ck_assert_ptr_nonnull(ops->ipc.open_ipc_handle);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(ops, NULL, &prov),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* Paths that are not a device-DAX device are argument errors. */
START_TEST(not_devdax) {
    unsetenv("UMF_TEST_FAKE_DEVDAX"); /* the shim accepts nothing now */
    char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/umf_devdax_test_%d", (int)getpid());
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    char file[128];
    snprintf(file, sizeof(file), "%s/dax0.0", dir);
    int fd = open(file, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)(4 * PAGE2M)), 0);
    close(fd);

    const char *paths[] = {"/nonexistent/dax0.0",
                           "/dev/dax99.99",
                           "/dev/null",
                           "/dev/zero",
                           dir,
                           file};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        dax_create_expect(paths[i], 4 * PAGE2M, RW,
                          UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }

    /* a character device named like a DAX device, whose sysfs class is
     * not dax (a /dev/zero clone; root only) */
    char node[128];
    snprintf(node, sizeof(node), "%s/dax1.0", dir);
    if (mknod(node, S_IFCHR | 0600, makedev(1, 5)) == 0) {
        dax_create_expect(node, 4 * PAGE2M, RW,
                          UMF_RESULT_ERROR_INVALID_ARGUMENT);
        unlink(node);
    }
    unlink(file);
    rmdir(dir);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* fake-device-only checks                                                 */
/* ---------------------------------------------------------------------- */

START_TEST(fake_sizes) {
    /* 0 (accepted by the params), not a multiple of 2 MiB */
    dax_create_expect(dev_path, 0, RW, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    dax_create_expect(dev_path, PAGE2M + 4096, RW,
                      UMF_RESULT_ERROR_INVALID_ARGUMENT);
    dax_create_expect(dev_path, 4096, RW, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the smallest device */
    umf_memory_provider_handle_t prov =
        dax_create_expect(dev_path, PAGE2M, RW, UMF_RESULT_SUCCESS);
    void *p = ph_alloc(prov, 1, 0);
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 1, 0, &q),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ph_free(prov, p, 1);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* A kernel that refuses MAP_SYNC (here: the shim switched off on a tmpfs
 * file) fails the create with ALLOC_FAILED. */
START_TEST(fake_map_sync_refused) {
    umf_test_shim_enable(0);
    dax_create_expect(dev_path, dev_size, RW,
                      UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    umf_test_shim_enable(1);
    umf_memory_provider_handle_t prov = dax_create();
    umf_test_shim_enable(0);
    ph_expect_native(prov, UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED,
                     "memory allocation failed", EOPNOTSUPP);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* The provider asks for MAP_SYNC, and memory lands in the "device" at the
 * offset the IPC handle names. */
START_TEST(fake_data_in_device) {
    unsigned long before = umf_test_shim_rewrites();
    umf_memory_provider_handle_t prov = dax_create();
    ck_assert_uint_gt(umf_test_shim_rewrites(), before);
    char *a = ph_alloc(prov, PAGE2M, 0);
    char *b = ph_alloc(prov, PAGE2M, 0);
    memset(a, 'a', PAGE2M);
    memset(b, 'b', PAGE2M);
    size_t hs = handle_size(prov);
    char *h = calloc(1, hs);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, b, PAGE2M, h),
                     UMF_RESULT_SUCCESS);
    ck_assert_str_eq(h, dev_path);
    ck_assert_uint_eq(handle_offset(h) % PAGE2M, 0);
    ck_assert_uint_lt(handle_offset(h), dev_size);
    int fd = open(dev_path, O_RDONLY);
    char buf[4096];
    ck_assert_int_eq(pread(fd, buf, sizeof(buf), (off_t)handle_offset(h)),
                     (ssize_t)sizeof(buf));
    close(fd);
    ck_assert(umf_test_all_bytes(buf, sizeof(buf), 'b'));
    free(h);
    ph_free(prov, a, PAGE2M);
    ph_free(prov, b, PAGE2M);
    umfMemoryProviderDestroy(prov);
}
END_TEST
#endif /* !UMF_TEST_DEVDAX_REAL */

/* ---------------------------------------------------------------------- */
/* mapping tests: the fake device or a real one                            */
/* ---------------------------------------------------------------------- */

START_TEST(info) {
    umf_memory_provider_handle_t prov = dax_create();
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "DEVDAX");
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, PAGE2M);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(prov, 1, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, PAGE2M);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(alloc_and_exhaust) {
    umf_memory_provider_handle_t prov = dax_create();
    size_t n = dev_size / PAGE2M;
    char **ptrs = calloc(n, sizeof(*ptrs));
    for (size_t i = 0; i < n; i++) {
        ptrs[i] = ph_alloc(prov, i % 2 ? PAGE2M : 1, i % 3 ? 0 : 4096);
        ck_assert_uint_eq((uintptr_t)ptrs[i] % PAGE2M, 0);
        memset(ptrs[i], (int)i, PAGE2M);
    }
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 1, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    for (size_t i = 0; i < n; i++) {
        ck_assert(umf_test_all_bytes(ptrs[i], PAGE2M, (unsigned char)i));
    }
    /* a freed page is reused */
    ph_free(prov, ptrs[n / 2], 0);
    p = ph_alloc(prov, PAGE2M, 0);
    ck_assert_ptr_eq(p, ptrs[n / 2]);
    for (size_t i = 0; i < n; i++) {
        ph_free(prov, ptrs[i], i % 2 ? PAGE2M : 1);
    }
    free(ptrs);

    /* alignment: a power of two, multiple or divisor of 2 MiB */
    if (dev_size >= 4 * PAGE2M) {
        p = ph_alloc(prov, 3 * MiB, 4 * MiB);
        ck_assert_uint_eq((uintptr_t)p % (4 * MiB), 0);
        ph_free(prov, p, 3 * MiB);
    }
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, PAGE2M, 3 * MiB, &p),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, PAGE2M, 3 * 4096, &p),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 0, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, dev_size + 1, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(umfMemoryProviderFree(prov, (void *)PAGE2M, PAGE2M),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(purge) {
    umf_memory_provider_handle_t prov = dax_create();
    char *p = ph_alloc(prov, 2 * PAGE2M, 0);
    memset(p, 0x3c, 2 * PAGE2M);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, p, PAGE2M),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, p, PAGE2M),
                     UMF_RESULT_SUCCESS);
    ck_assert(umf_test_all_bytes(p, PAGE2M, 0));
    ck_assert(umf_test_all_bytes(p + PAGE2M, PAGE2M, 0x3c));
    memset(p, 1, PAGE2M);
    ck_assert(umf_test_all_bytes(p, PAGE2M, 1));
    /* errors: outside the device, unaligned */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)PAGE2M, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED,
                     "force purging failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, p + 1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_free(prov, p, 2 * PAGE2M);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(split_merge) {
    umf_memory_provider_handle_t prov = dax_create();
    char *p = ph_alloc(prov, 2 * PAGE2M, 0);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, p, 2 * PAGE2M, 4096),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, p, 2 * PAGE2M, PAGE2M),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, p, p + PAGE2M, 2 * PAGE2M),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, p, 2 * PAGE2M, PAGE2M),
        UMF_RESULT_SUCCESS);
    ph_free(prov, p + PAGE2M, PAGE2M);
    ph_free(prov, p, PAGE2M);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(protection) {
    umf_memory_provider_handle_t ro = dax_create_expect(
        dev_path, dev_size, UMF_PROTECTION_READ, UMF_RESULT_SUCCESS);
    void *p = ph_alloc(ro, PAGE2M, 0);
    ph_do_read(p);
    ck_assert(ph_child_dies_with(ph_do_write, p, SIGSEGV));
    /* read-only memory cannot have been written: purge still succeeds */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(ro, p, PAGE2M),
                     UMF_RESULT_SUCCESS);
    ph_free(ro, p, PAGE2M);
    umfMemoryProviderDestroy(ro);

    /* NONE adds no access: NONE|READ maps read-only */
    ro = dax_create_expect(dev_path, dev_size,
                           UMF_PROTECTION_NONE | UMF_PROTECTION_READ,
                           UMF_RESULT_SUCCESS);
    p = ph_alloc(ro, PAGE2M, 0);
    ph_do_read(p);
    ck_assert(ph_child_dies_with(ph_do_write, p, SIGSEGV));
    ph_free(ro, p, PAGE2M);
    umfMemoryProviderDestroy(ro);
}
END_TEST

START_TEST(ipc_same_process) {
    umf_memory_provider_handle_t prod = dax_create();
    umf_memory_provider_handle_t cons = dax_create();
    size_t hs = handle_size(prod);
    char *h = calloc(1, hs);
    char *p = ph_alloc(prod, 2 * PAGE2M, 0);
    umf_test_fill(p, 2 * PAGE2M, 5);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, 2 * PAGE2M, h),
                     UMF_RESULT_SUCCESS);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_ne(p, q);
    ck_assert(umf_test_verify(q, 2 * PAGE2M, 5));
    q[7] = 'q';
    ck_assert_int_eq(p[7], 'q');
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, 2 * PAGE2M),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, h),
                     UMF_RESULT_SUCCESS);

    /* a handle of an unaligned part: opened as whole 2 MiB pages */
    size_t maps = ph_maps_are_ours() ? ph_mapped_bytes() : 0;
    ck_assert_int_eq(
        umfMemoryProviderGetIPCHandle(prod, p + PAGE2M - 100, 200, h),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq((uintptr_t)q % PAGE2M, PAGE2M - 100);
    ck_assert_int_eq(memcmp(q, p + PAGE2M - 100, 200), 0);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, 200),
                     UMF_RESULT_SUCCESS);
    if (ph_maps_are_ours()) {
        ck_assert_uint_eq(ph_mapped_bytes(), maps);
    }

    /* errors */
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, 3 * PAGE2M, h),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char *bad = calloc(1, hs);
    memcpy(bad, h, hs);
    snprintf(bad, PATH_MAX, "/dev/null");
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, bad),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    memcpy(bad, h, hs);
    memset(bad + PATH_MAX, 0xff, 16); /* offset + size overflow */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memset(bad, 'x', PATH_MAX); /* unterminated path */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, bad, (void **)&q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    free(bad);
    ph_free(prod, p, 2 * PAGE2M);
    free(h);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prod);
}
END_TEST

typedef struct child_arg_t {
    void *handle;
    size_t size;
} child_arg_t;

static void child_open(void *arg) {
    child_arg_t *c = arg;
    umf_devdax_memory_provider_params_handle_t p = NULL;
    if (umfDevDaxMemoryProviderParamsCreate(&p, dev_path, dev_size) !=
        UMF_RESULT_SUCCESS) {
        _exit(10);
    }
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(umfDevDaxMemoryProviderOps(), p, &prov) !=
        UMF_RESULT_SUCCESS) {
        _exit(11);
    }
    umfDevDaxMemoryProviderParamsDestroy(p);
    ph_child_open_ipc(prov, c->handle, c->size, 31, 32);
}

START_TEST(ipc_forked_child) {
    umf_memory_provider_handle_t prod = dax_create();
    static char hbuf[PATH_MAX + 64]; /* kept by the child: not a leak */
    ck_assert_uint_le(handle_size(prod), sizeof(hbuf));
    child_arg_t c = {hbuf, PAGE2M + 12345};
    void *first = ph_alloc(prod, 1, 0);
    void *p = ph_alloc(prod, c.size, 0);
    umf_test_fill(p, c.size, 31);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, c.size, c.handle),
                     UMF_RESULT_SUCCESS);
    int status = ph_run_child(child_open, &c);
    ck_assert_msg(ph_child_ok(status), "child status 0x%x", status);
    ck_assert(umf_test_verify(p, c.size, 32));
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, c.handle),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, c.size);
    ph_free(prod, first, 1);
    umfMemoryProviderDestroy(prod);
}
END_TEST

START_TEST(native_errors) {
    umf_memory_provider_handle_t prov = dax_create();
    /* 2003: closing a zero-length range */
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prov, (void *)PAGE2M, 0),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_DEVDAX_RESULT_ERROR_FREE_FAILED,
                     "memory deallocation failed", EINVAL);
    /* 2004 */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)1, 1),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED,
                     "force purging failed", EINVAL);
    /* 2001 follows a failed mapping (fake_map_sync_refused); 2002 guards an
     * unaligned mapping, which the provider's own alignment rules out */
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(pool_over_devdax) {
    umf_memory_provider_handle_t prov = dax_create();
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    char *p = umfPoolMalloc(pool, 1000);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, 1000);
    ck_assert_ptr_eq(umfPoolByPtr(p + 999), pool);
    ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);
}
END_TEST

static void add_mapping_tests(Suite *s, const char *name) {
    TCase *tc = tcase_create(name);
    tcase_add_test(tc, info);
    tcase_add_test(tc, alloc_and_exhaust);
    tcase_add_test(tc, purge);
    tcase_add_test(tc, split_merge);
    tcase_add_test(tc, protection);
    tcase_add_test(tc, ipc_same_process);
    tcase_add_test(tc, ipc_forked_child);
    tcase_add_test(tc, native_errors);
    tcase_add_test(tc, pool_over_devdax);
#if !UMF_TEST_DEVDAX_REAL
    tcase_add_test(tc, fake_sizes);
    tcase_add_test(tc, fake_map_sync_refused);
    tcase_add_test(tc, fake_data_in_device);
#endif
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);
}

#if !UMF_TEST_DEVDAX_REAL

static pid_t fake_owner;

/* atexit: Check's test children exit too; only the creator removes it */
static void remove_fake(void) {
    if (getpid() == fake_owner) {
        unlink(dev_path);
    }
}

int main(int argc, char **argv) {
    (void)argc;
    const char *why = NULL;
    bool shim = umf_test_shim_load(argv, &why);

    Suite *s = suite_create("provider_devdax");
    TCase *tc = tcase_create("params");
    tcase_add_test(tc, params);
    tcase_add_test(tc, ops_table);
    tcase_add_test(tc, not_devdax);
    suite_add_tcase(s, tc);

    if (shim && access("/dev/shm", W_OK) == 0) {
        /* the fake device: a 16 MiB tmpfs file the shim vouches for */
        snprintf(dev_path, sizeof(dev_path), "/dev/shm/umf_fake_dax_%d",
                 (int)getpid());
        dev_size = 8 * PAGE2M;
        int fd = open(dev_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || ftruncate(fd, (off_t)dev_size) != 0) {
            perror(dev_path);
            return EXIT_FAILURE;
        }
        close(fd);
        fake_owner = getpid();
        atexit(remove_fake);
        setenv("UMF_TEST_FAKE_DEVDAX", dev_path, 1);
        add_mapping_tests(s, "fake_device");
    } else {
        printf("note: mapping tests on a fake device not run: %s\n",
               why ? why : "/dev/shm is not writable");
    }
    return umf_test_run_suite(s);
}

#else  /* UMF_TEST_DEVDAX_REAL */

int main(void) {
    const char *path = getenv("UMF_TESTS_DEVDAX_PATH");
    const char *size = getenv("UMF_TESTS_DEVDAX_SIZE");
    if (!path || !*path || !size || !*size) {
        umf_test_skip("UMF_TESTS_DEVDAX_PATH and UMF_TESTS_DEVDAX_SIZE are "
                      "not set: no device-DAX device to test");
    }
    snprintf(dev_path, sizeof(dev_path), "%s", path);
    dev_size = (size_t)strtoull(size, NULL, 0);
    if (dev_size < PAGE2M || dev_size % PAGE2M) {
        fprintf(stderr, "UMF_TESTS_DEVDAX_SIZE=%s is not a multiple of 2 MiB\n",
                size);
        return EXIT_FAILURE;
    }
    /* the tests fill the whole range: cap it */
    if (dev_size > 64 * PAGE2M) {
        dev_size = 64 * PAGE2M;
    }
    Suite *s = suite_create("provider_devdax_real");
    add_mapping_tests(s, "device");
    return umf_test_run_suite(s);
}
#endif /* UMF_TEST_DEVDAX_REAL */
