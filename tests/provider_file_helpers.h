/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_file_helpers.h -- helpers of the file provider tests
 * (test_provider_file, test_provider_file_ipc; static functions: each
 * program includes this once): per-run test directories, and providers,
 * allocations and IPC handles that fail the test when a call fails. */
#ifndef UMF_TEST_PROVIDER_FILE_HELPERS_H
#define UMF_TEST_PROVIDER_FILE_HELPERS_H 1

#include "provider_helpers.h"

#include <limits.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_file_memory.h>

#define RW (UMF_PROTECTION_READ | UMF_PROTECTION_WRITE)

/* Test files live in per-run directories, on tmpfs (/dev/shm) or on the
 * disk (/tmp). They are made and removed by the runner process around each
 * TCase (unchecked fixtures), so a failing test leaves nothing behind. */
static char dir_shm[128];
static char dir_tmp[128];

static void make_dirs(void) {
    snprintf(dir_shm, sizeof(dir_shm), "/dev/shm/umf_file_test_%d",
             (int)getpid());
    snprintf(dir_tmp, sizeof(dir_tmp), "/tmp/umf_file_test_%d", (int)getpid());
    if (mkdir(dir_shm, 0700) != 0 || mkdir(dir_tmp, 0700) != 0) {
        perror("mkdir");
        exit(EXIT_FAILURE);
    }
}

static void remove_dir(const char *dir) {
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

static void setup(void) { make_dirs(); }
static void teardown(void) {
    remove_dir(dir_shm);
    remove_dir(dir_tmp);
}

static const char *path_in(const char *dir, const char *name) {
    static char buf[4][PATH_MAX];
    static int next;
    char *p = buf[next++ % 4];
    snprintf(p, PATH_MAX, "%s/%s", dir, name);
    return p;
}

static umf_memory_provider_handle_t
file_create_expect(const char *path, umf_memory_visibility_t vis, unsigned prot,
                   umf_result_t expect) {
    umf_file_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, path),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetVisibility(p, vis),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetProtection(p, prot),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov);
    umfFileMemoryProviderParamsDestroy(p);
    ck_assert_msg(ret == expect, "create(%s) gave %d, want %d", path, (int)ret,
                  (int)expect);
    return prov;
}

static umf_memory_provider_handle_t file_create(const char *path,
                                                umf_memory_visibility_t vis) {
    return file_create_expect(path, vis, RW, UMF_RESULT_SUCCESS);
}

static size_t handle_size(umf_memory_provider_handle_t prov) {
    size_t hs = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov, &hs),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_ge(hs, PATH_MAX);
    return hs;
}

/* The handle is {char path[PATH_MAX]; u64 offset; u64 size; ...}. */
static uint64_t handle_offset(const void *h) {
    uint64_t off;
    memcpy(&off, (const char *)h + PATH_MAX, sizeof(off));
    return off;
}

#endif /* UMF_TEST_PROVIDER_FILE_HELPERS_H */
