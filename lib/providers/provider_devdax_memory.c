/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_devdax_memory.c -- memory of a device-DAX character device
 *
 * At create the device is checked (a character device whose sysfs
 * subsystem is "dax", /sys/dev/char/MAJ:MIN/subsystem -> .../class/dax or
 * .../bus/dax, as libpmem2 checks it; the path itself may be any name of
 * the device), its first `size` bytes are mapped once with
 * MAP_SHARED_VALIDATE|MAP_SYNC at a 2 MiB-aligned address, and a coarse
 * instance hands out 2 MiB pages of that mapping. A kernel that does not
 * honour MAP_SYNC fails the create (PROVIDER_SPECIFIC / ALLOC_FAILED).
 * `size` must be a non-zero multiple of 2 MiB and, where sysfs tells the
 * device size, no larger than the device; the create checks it (the params
 * take any size, 0 included, as the reference's do).
 *
 * purge_force: device-DAX memory is the device; nothing can be given back
 * to the kernel, but the contract is that the range reads zeros afterwards.
 * MADV_REMOVE is tried (it frees and zeroes where the backing supports
 * hole punching); otherwise the range is cleared with memset when it is
 * writable, and MADV_DONTNEED only drops the page tables when it is not
 * (a read-only mapping never wrote anything to clear). purge_lazy is not
 * supported (as in the reference).
 *
 * IPC (always available): the handle is the device path, the offset from
 * the start of the device and the size. Opening maps that range of the
 * device, widened to 2 MiB boundaries as device DAX requires, with the
 * opening provider's protection; closing unmaps the same widened range.
 *
 * Test hook: a machine without a device-DAX device cannot reach the mapping
 * code. When a preloaded library (tests/fakes/mmap_shim.c, never installed)
 * defines umf_test_hook_devdax_accept(), the check asks it about paths
 * that are not device DAX; the shim answers yes for the one regular file
 * named by its environment, and turns MAP_SYNC mappings into MAP_SHARED.
 * The symbol is weak: in a normal process it is NULL and the hook is dead
 * code. An LD_PRELOAD library can already replace mmap, so this gives it
 * nothing new. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_devdax_memory.h>

#include "core/coarse_internal.h"
#include "core/fork_internal.h"
#include "core/ipc_handle_check_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/protection_internal.h"
#include "util/utils_internal.h"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

#define DEVDAX_PAGE_SIZE ((size_t)2 << 20)

/* Defined only by the test shim (see the comment at the top). */
extern int umf_test_hook_devdax_accept(const char *path)
    __attribute__((weak, visibility("default")));

struct umf_devdax_memory_provider_params_t {
    char *path;
    size_t size;
    unsigned protection;
};

typedef struct devdax_provider_t {
    coarse_t *coarse;    /* first: the coarse_provider_* ops find it there */
    char path[PATH_MAX]; /* as given: the IPC handle carries it */
    void *base;
    size_t size;
    unsigned protection;
    int prot;
    /* the IPC functions use the coarse lock outside the fork gate: held
     * across fork (lib/core/fork_internal.h) */
    umf_fork_handler_t fork;
} devdax_provider_t;
_Static_assert(offsetof(devdax_provider_t, coarse) == 0,
               "coarse_provider_* ops");

typedef struct devdax_ipc_data_t {
    char path[PATH_MAX];
    uint64_t offset; /* from the start of the device */
    uint64_t size;
    uint32_t protection;
} devdax_ipc_data_t;

static __thread utils_native_error_t devdax_native_error;

static const char *const devdax_native_error_str[] = {
    [UMF_DEVDAX_RESULT_SUCCESS - UMF_DEVDAX_RESULTS_START_FROM] = "success",
    [UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED - UMF_DEVDAX_RESULTS_START_FROM] =
        "memory allocation failed",
    [UMF_DEVDAX_RESULT_ERROR_ADDRESS_NOT_ALIGNED -
        UMF_DEVDAX_RESULTS_START_FROM] = "allocated address is not aligned",
    [UMF_DEVDAX_RESULT_ERROR_FREE_FAILED - UMF_DEVDAX_RESULTS_START_FROM] =
        "memory deallocation failed",
    [UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED -
        UMF_DEVDAX_RESULTS_START_FROM] = "force purging failed",
};

static void
devdax_store_native_error(umf_devdax_memory_provider_native_error_t code,
                          int err_no) {
    utils_native_error_set(
        &devdax_native_error, (int32_t)code,
        devdax_native_error_str[code - UMF_DEVDAX_RESULTS_START_FROM], err_no);
}

/* ---------------------------------------------------------------------- */
/* Parameters                                                             */
/* ---------------------------------------------------------------------- */

/* The size is checked at create: the params take 0 (as the reference's). */
static umf_result_t devdax_check_path(const char *path) {
    if (path == NULL || path[0] == '\0') {
        LOG_ERR("the device path must not be NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (strnlen(path, PATH_MAX) >= PATH_MAX) {
        LOG_ERR("the device path is longer than %d bytes", PATH_MAX - 1);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsCreate(
    umf_devdax_memory_provider_params_handle_t *hParams, const char *path,
    size_t size) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = devdax_check_path(path);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    umf_devdax_memory_provider_params_handle_t p = umf_ba_calloc(1, sizeof(*p));
    char *copy = umf_ba_strdup(path);
    if (!p || !copy) {
        umf_ba_free(p);
        umf_ba_free(copy);
        LOG_ERR("allocating devdax memory provider params failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->path = copy;
    p->size = size;
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsDestroy(
    umf_devdax_memory_provider_params_handle_t hParams) {
    if (hParams) {
        umf_ba_free(hParams->path);
        umf_ba_free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsSetDeviceDax(
    umf_devdax_memory_provider_params_handle_t hParams, const char *path,
    size_t size) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = devdax_check_path(path);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    char *copy = umf_ba_strdup(path);
    if (!copy) {
        LOG_ERR("copying the device path failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_ba_free(hParams->path);
    hParams->path = copy;
    hParams->size = size;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfDevDaxMemoryProviderParamsSetProtection(
    umf_devdax_memory_provider_params_handle_t hParams, unsigned protection) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = utils_check_protection(protection);
    if (ret == UMF_RESULT_SUCCESS) {
        hParams->protection = protection;
    }
    return ret;
}

/* ---------------------------------------------------------------------- */
/* The device                                                             */
/* ---------------------------------------------------------------------- */

/* Is st (of path) a device-DAX character device? */
static bool devdax_is_dax(const char *path, const struct stat *st) {
    if (S_ISCHR(st->st_mode)) {
        char link[64];
        char real[PATH_MAX];
        snprintf(link, sizeof(link), "/sys/dev/char/%u:%u/subsystem",
                 major(st->st_rdev), minor(st->st_rdev));
        if (realpath(link, real) != NULL) {
            size_t n = strlen(real);
            if ((n >= 10 && strcmp(real + n - 10, "/class/dax") == 0) ||
                (n >= 8 && strcmp(real + n - 8, "/bus/dax") == 0)) {
                return true;
            }
        }
    }
    if (umf_test_hook_devdax_accept && umf_test_hook_devdax_accept(path)) {
        LOG_WARN("test hook: %s is taken for a device-DAX device", path);
        return true;
    }
    return false;
}

/* The device size from sysfs, or 0 when it cannot be read. */
static uint64_t devdax_device_size(const struct stat *st) {
    if (S_ISREG(st->st_mode)) {
        return (uint64_t)st->st_size; /* a fake device the tests vouch for */
    }
    if (!S_ISCHR(st->st_mode)) {
        return 0;
    }
    char name[64];
    snprintf(name, sizeof(name), "/sys/dev/char/%u:%u/size", major(st->st_rdev),
             minor(st->st_rdev));
    int fd = open(name, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    char buf[32];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    return strtoull(buf, NULL, 10);
}

/* Open path and check that it is device DAX; -1 (errno or EINVAL set) on
 * failure. *dev_size gets the device size (0 when unknown). */
static int devdax_open(const char *path, int flags, uint64_t *dev_size) {
    int fd = open(path, flags | O_CLOEXEC);
    if (fd < 0) {
        LOG_PERR("cannot open %s", path);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        LOG_PERR("cannot stat %s", path);
        close(fd);
        errno = err;
        return -1;
    }
    if (!devdax_is_dax(path, &st)) {
        LOG_ERR("%s is not a device-DAX character device", path);
        close(fd);
        errno = EINVAL;
        return -1;
    }
    if (dev_size) {
        *dev_size = devdax_device_size(&st);
    }
    return fd;
}

/* Map [off, off+len) of fd (all 2 MiB multiples) at a 2 MiB-aligned address
 * with MAP_SYNC; MAP_FAILED with errno on failure. */
static void *devdax_map(int fd, uint64_t off, size_t len, int prot) {
    size_t rlen;
    if (utils_add_overflow(len, DEVDAX_PAGE_SIZE, &rlen)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    void *r = mmap(NULL, rlen, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
        return MAP_FAILED;
    }
    uintptr_t base = (uintptr_t)r;
    uintptr_t aligned = utils_align_ptr_up(base, DEVDAX_PAGE_SIZE);
    void *p = mmap((void *)aligned, len, prot,
                   MAP_SHARED_VALIDATE | MAP_SYNC | MAP_FIXED, fd, (off_t)off);
    int err = errno;
    if (aligned > base) {
        (void)munmap(r, aligned - base);
    }
    if (base + rlen > aligned + len) {
        (void)munmap((void *)(aligned + len), base + rlen - (aligned + len));
    }
    if (p == MAP_FAILED) {
        (void)munmap((void *)aligned, len);
        errno = err;
        return MAP_FAILED;
    }
    return p;
}

static void devdax_fork_prepare(void *arg) {
    coarse_fork_prepare(((devdax_provider_t *)arg)->coarse);
}

static void devdax_fork_parent(void *arg) {
    coarse_fork_parent(((devdax_provider_t *)arg)->coarse);
}

static void devdax_fork_child(void *arg) {
    coarse_fork_child(((devdax_provider_t *)arg)->coarse);
}

static umf_result_t devdax_initialize(void *params, void **provider) {
    UMF_CHECK(params != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const struct umf_devdax_memory_provider_params_t *in = params;
    umf_result_t ret = devdax_check_path(in->path);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    ret = utils_check_protection(in->protection);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    if (in->size == 0 || in->size % DEVDAX_PAGE_SIZE) {
        LOG_ERR("the size %zu is not a non-zero multiple of 2 MiB", in->size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uint64_t dev_size = 0;
    int prot = utils_protection_to_mmap(in->protection);
    int fd = devdax_open(in->path, (prot & PROT_WRITE) ? O_RDWR : O_RDONLY,
                         &dev_size);
    if (fd < 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (dev_size && in->size > dev_size) {
        LOG_ERR("the size %zu is larger than the device %s (%llu bytes)",
                in->size, in->path, (unsigned long long)dev_size);
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    devdax_provider_t *dp = umf_ba_calloc(1, sizeof(*dp));
    if (!dp) {
        close(fd);
        LOG_ERR("allocating the devdax memory provider failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(dp->path, in->path, strlen(in->path) + 1);
    dp->size = in->size;
    dp->protection = in->protection;
    dp->prot = prot;
    dp->base = devdax_map(fd, 0, in->size, dp->prot);
    int err = errno;
    close(fd);
    if (dp->base == MAP_FAILED) {
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping %zu bytes of %s with MAP_SYNC failed: %s", in->size,
                in->path, strerror(err));
        umf_ba_free(dp);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    if ((uintptr_t)dp->base % DEVDAX_PAGE_SIZE) {
        /* devdax_map aligns it; kept as a guard */
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_ADDRESS_NOT_ALIGNED,
                                  0);
        LOG_ERR("the mapping %p is not 2 MiB aligned", dp->base);
        (void)munmap(dp->base, dp->size);
        umf_ba_free(dp);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = dp;
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = DEVDAX_PAGE_SIZE;
    cp.name = "DEVDAX";
    ret = coarse_new(&cp, &dp->coarse);
    if (ret == UMF_RESULT_SUCCESS) {
        ret = coarse_add_memory_fixed(dp->coarse, dp->base, dp->size);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        coarse_delete(dp->coarse);
        (void)munmap(dp->base, dp->size);
        umf_ba_free(dp);
        return ret;
    }
    dp->fork = (umf_fork_handler_t){
        .prepare = devdax_fork_prepare,
        .parent = devdax_fork_parent,
        .child = devdax_fork_child,
        .arg = dp,
        .level = UMF_FORK_LEVEL_PROVIDER,
    };
    umf_fork_register(&dp->fork);
    *provider = dp;
    return UMF_RESULT_SUCCESS;
}

static void devdax_finalize(void *provider) {
    devdax_provider_t *dp = provider;
    if (!dp) {
        return;
    }
    umf_fork_unregister(&dp->fork);
    coarse_delete(dp->coarse);
    if (munmap(dp->base, dp->size) != 0) {
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_FREE_FAILED, errno);
        LOG_PERR("unmapping %s failed", dp->path);
    }
    umf_ba_free(dp);
}

/* ---------------------------------------------------------------------- */
/* Ops                                                                    */
/* ---------------------------------------------------------------------- */

static void devdax_get_last_native_error(void *provider, const char **ppMessage,
                                         int32_t *pError) {
    (void)provider;
    utils_native_error_get(&devdax_native_error, ppMessage, pError);
}

static umf_result_t devdax_get_recommended_page_size(void *provider,
                                                     size_t size,
                                                     size_t *pageSize) {
    (void)size;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = DEVDAX_PAGE_SIZE;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_get_min_page_size(void *provider, void *ptr,
                                             size_t *pageSize) {
    (void)ptr;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = DEVDAX_PAGE_SIZE;
    return UMF_RESULT_SUCCESS;
}

static const char *devdax_get_name(void *provider) {
    (void)provider;
    return "DEVDAX";
}

/* Is [ptr, ptr+size) inside the device mapping? */
static bool devdax_in_range(const devdax_provider_t *dp, const void *ptr,
                            size_t size) {
    uintptr_t a = (uintptr_t)ptr;
    uintptr_t b = (uintptr_t)dp->base;
    return a >= b && a - b <= dp->size && size <= dp->size - (a - b);
}

static umf_result_t devdax_purge_force(void *provider, void *ptr, size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    devdax_provider_t *dp = provider;
    if (!devdax_in_range(dp, ptr, size) || (uintptr_t)ptr % utils_page_size()) {
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED,
                                  EINVAL);
        LOG_ERR("[%p, +%zu) is not a page-aligned range of this provider", ptr,
                size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    if (madvise(ptr, size, MADV_REMOVE) == 0) {
        return UMF_RESULT_SUCCESS;
    }
    if (dp->prot & PROT_WRITE) {
        memset(ptr, 0, size);
        return UMF_RESULT_SUCCESS;
    }
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        int err = errno;
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED,
                                  err);
        LOG_PERR("madvise(%p, %zu, MADV_DONTNEED) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* The blob's own consistency, checked without opening anything. */
static bool devdax_ipc_blob_ok(const devdax_ipc_data_t *d) {
    uint64_t end;
    bool ok = strnlen(d->path, sizeof(d->path)) < sizeof(d->path) &&
              d->path[0] != '\0' && d->size != 0 && d->size <= SIZE_MAX &&
              !__builtin_add_overflow(d->offset, d->size, &end) &&
              end <= (uint64_t)INT64_MAX - DEVDAX_PAGE_SIZE;
    if (!ok) {
        LOG_ERR("malformed IPC handle of the devdax memory provider");
    }
    return ok;
}

static umf_result_t devdax_ipc_describe(const void *blob, size_t blob_size,
                                        ipc_blob_desc_t *desc) {
    const devdax_ipc_data_t *d = blob;
    if (blob_size != sizeof(*d) || !devdax_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    desc->mapped_size = d->size; /* what the consumer sees of the mapping */
    desc->pid = 0;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_open_ipc_handle(void *provider,
                                           void *providerIpcData, void **ptr);
static pthread_once_t devdax_ipc_describer_once = PTHREAD_ONCE_INIT;
static void devdax_ipc_register_describer(void) {
    ipc_register_blob_describer(devdax_open_ipc_handle, devdax_ipc_describe);
}

static umf_result_t devdax_get_ipc_handle_size(void *provider, size_t *size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a consumer asks this before it opens (see ipc_handle_check) */
    pthread_once(&devdax_ipc_describer_once, devdax_ipc_register_describer);
    *size = sizeof(devdax_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_get_ipc_handle(void *provider, const void *ptr,
                                          size_t size, void *providerIpcData) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    devdax_provider_t *dp = provider;
    if (size == 0 || !coarse_is_allocated_range(dp->coarse, ptr, size)) {
        LOG_ERR("[%p, +%zu) is not allocated memory of this provider", ptr,
                size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    devdax_ipc_data_t *d = providerIpcData;
    memset(d, 0, sizeof(*d));
    memcpy(d->path, dp->path, strlen(dp->path) + 1);
    d->offset = (uint64_t)((uintptr_t)ptr - (uintptr_t)dp->base);
    d->size = size;
    d->protection = dp->protection;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_put_ipc_handle(void *provider,
                                          void *providerIpcData) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    devdax_provider_t *dp = provider;
    const devdax_ipc_data_t *d = providerIpcData;
    if (strncmp(d->path, dp->path, sizeof(d->path)) != 0) {
        LOG_ERR("the IPC handle belongs to another device (%.*s)",
                (int)strnlen(d->path, sizeof(d->path)), d->path);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_open_ipc_handle(void *provider,
                                           void *providerIpcData, void **ptr) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    devdax_provider_t *dp = provider;
    const devdax_ipc_data_t *d = providerIpcData;
    if (!devdax_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uint64_t end = d->offset + d->size;
    /* device DAX maps whole 2 MiB pages only */
    uint64_t off = d->offset & ~(uint64_t)(DEVDAX_PAGE_SIZE - 1);
    uint64_t len64 =
        (end - off + DEVDAX_PAGE_SIZE - 1) & ~(uint64_t)(DEVDAX_PAGE_SIZE - 1);
    if (len64 > SIZE_MAX) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uint64_t dev_size = 0;
    int fd = devdax_open(d->path, (dp->prot & PROT_WRITE) ? O_RDWR : O_RDONLY,
                         &dev_size);
    if (fd < 0) {
        int err = errno;
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED, err);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    if (dev_size && off + len64 > dev_size) { /* 0: size unknown */
        LOG_ERR("IPC handle names %llu bytes at offset %llu of %s, a device "
                "of %llu bytes",
                (unsigned long long)d->size, (unsigned long long)d->offset,
                d->path, (unsigned long long)dev_size);
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *base = devdax_map(fd, off, (size_t)len64, dp->prot);
    int err = errno;
    close(fd);
    if (base == MAP_FAILED) {
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping %llu bytes of %s at offset %llu failed: %s",
                (unsigned long long)len64, d->path, (unsigned long long)off,
                strerror(err));
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    *ptr = (char *)base + (d->offset - off);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t devdax_close_ipc_handle(void *provider, void *ptr,
                                            size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* open mapped whole 2 MiB pages at a 2 MiB-aligned address */
    uintptr_t a = (uintptr_t)ptr;
    uintptr_t base = a & ~(uintptr_t)(DEVDAX_PAGE_SIZE - 1);
    size_t len;
    if (utils_add_overflow(size, a - base, &len) ||
        !utils_align_up_checked(len, DEVDAX_PAGE_SIZE, &len)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (munmap((void *)base, len) != 0) {
        int err = errno;
        devdax_store_native_error(UMF_DEVDAX_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping the opened IPC handle %p failed", ptr);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_memory_provider_ops_t devdax_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = devdax_initialize,
    .finalize = devdax_finalize,
    .alloc = coarse_provider_alloc,
    .free = coarse_provider_free,
    .get_last_native_error = devdax_get_last_native_error,
    .get_recommended_page_size = devdax_get_recommended_page_size,
    .get_min_page_size = devdax_get_min_page_size,
    .get_name = devdax_get_name,
    .ext =
        {
            .purge_lazy = NULL, /* the front-end answers NOT_SUPPORTED */
            .purge_force = devdax_purge_force,
            .allocation_merge = coarse_provider_merge,
            .allocation_split = coarse_provider_split,
        },
    .ipc =
        {
            .get_ipc_handle_size = devdax_get_ipc_handle_size,
            .get_ipc_handle = devdax_get_ipc_handle,
            .put_ipc_handle = devdax_put_ipc_handle,
            .open_ipc_handle = devdax_open_ipc_handle,
            .close_ipc_handle = devdax_close_ipc_handle,
        },
};

UMF_EXPORT umf_memory_provider_ops_t *umfDevDaxMemoryProviderOps(void) {
    return &devdax_ops;
}
