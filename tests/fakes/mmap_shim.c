/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* mmap_shim.c -- test-only LD_PRELOAD module: MAP_SYNC on any file.
 *
 * No device-DAX device or DAX file system exists on the test machines
 * (TESTING.md section 6), so mmap(MAP_SHARED_VALIDATE|MAP_SYNC) always
 * fails there. Preloaded, this module's mmap/mmap64 turn such a request
 * into a plain MAP_SHARED mapping, which lets the file provider's FSDAX
 * path and the devdax provider's mapping, allocation and IPC code run on
 * a tmpfs file. It also defines umf_test_hook_devdax_accept(), the weak
 * hook of lib/providers/provider_devdax_memory.c: the regular file named by
 * UMF_TEST_FAKE_DEVDAX passes the device-DAX check. The environment is
 * read here, in the shim, never by libumf itself.
 *
 * Built as a check-only libtool module (never installed); tests load it
 * with tests/fakes/mmap_shim.h. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define UMF_MMAP_SHIM_BUILD 1
#include "mmap_shim.h"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#define SHIM_MAP_TYPE 0x0f

/* The sanitizers' runtimes map memory while they start, before they can
 * track anything: the mmap entry points must not be instrumented (under
 * TSan an instrumented mmap crashed at start-up). */
#define SHIM_NO_SANITIZE                                                       \
    __attribute__((no_sanitize_thread, no_sanitize_address))

static int shim_enabled = 1;
static unsigned long shim_rewrites;

static SHIM_NO_SANITIZE void *shim_mmap(void *addr, size_t len, int prot,
                                        int flags, int fd, off_t off) {
    if (__atomic_load_n(&shim_enabled, __ATOMIC_RELAXED) &&
        (flags & SHIM_MAP_TYPE) == MAP_SHARED_VALIDATE) {
        flags = (flags & ~(SHIM_MAP_TYPE | MAP_SYNC)) | MAP_SHARED;
        __atomic_fetch_add(&shim_rewrites, 1, __ATOMIC_RELAXED);
    }
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    return r == -1 ? MAP_FAILED : (void *)r;
}

__attribute__((visibility("default"))) SHIM_NO_SANITIZE void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return shim_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) SHIM_NO_SANITIZE void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return shim_mmap(addr, len, prot, flags, fd, off);
}

__attribute__((visibility("default"))) int umf_test_mmap_shim_active(void) {
    return 1;
}

__attribute__((visibility("default"))) void
umf_test_mmap_shim_set_enabled(int on) {
    __atomic_store_n(&shim_enabled, on != 0, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) unsigned long
umf_test_mmap_shim_rewrites(void) {
    return __atomic_load_n(&shim_rewrites, __ATOMIC_RELAXED);
}

__attribute__((visibility("default"))) int
umf_test_hook_devdax_accept(const char *path) {
    const char *fake = getenv("UMF_TEST_FAKE_DEVDAX");
    char a[PATH_MAX];
    char b[PATH_MAX];
    if (!fake || !path || !realpath(fake, a) || !realpath(path, b)) {
        return 0;
    }
    return strcmp(a, b) == 0;
}
