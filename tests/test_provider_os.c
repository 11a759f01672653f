/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_os.c -- the OS memory provider: params, alloc, errors, pool */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "config.h" /* UMF_HAVE_HWLOC: NUMA modes need hwloc */
#include "test_helpers.h"

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* What create gives for a valid NUMA mode over nodes[0..n): SUCCESS with
 * hwloc when every node exists, INVALID_ARGUMENT for a missing node, and
 * NOT_SUPPORTED without hwloc. */
static umf_result_t numa_expect(const unsigned *nodes, unsigned n) {
#if UMF_HAVE_HWLOC
    for (unsigned i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/sys/devices/system/node/node%u",
                 nodes[i]);
        if (access(path, F_OK) != 0) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT;
        }
    }
    return UMF_RESULT_SUCCESS;
#else
    (void)nodes;
    (void)n;
    return UMF_RESULT_ERROR_NOT_SUPPORTED;
#endif
}

static umf_os_memory_provider_params_handle_t params_new(void) {
    umf_os_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&p), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Create a provider from p, expecting `expect`; the params are destroyed. */
static umf_memory_provider_handle_t
create_with(umf_os_memory_provider_params_handle_t p, umf_result_t expect) {
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(ret, expect);
    if (expect == UMF_RESULT_SUCCESS) {
        ck_assert_ptr_nonnull(prov);
    }
    return prov;
}

static umf_memory_provider_handle_t create_default(void) {
    return create_with(params_new(), UMF_RESULT_SUCCESS);
}

static umf_memory_provider_handle_t create_prot(unsigned protection) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(umfOsMemoryProviderParamsSetProtection(p, protection),
                     UMF_RESULT_SUCCESS);
    return create_with(p, UMF_RESULT_SUCCESS);
}

/* err_no: 0 = no errno text expected, >0 = exactly strerror(err_no) after
 * ": ", <0 = some errno text after ": ". */
static void expect_native_error(umf_memory_provider_handle_t prov, int32_t code,
                                const char *text, int err_no) {
    const char *msg = NULL;
    int32_t err = 0;
    umfMemoryProviderGetLastNativeError(prov, &msg, &err);
    ck_assert_int_eq(err, code);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strncmp(msg, text, strlen(text)) == 0,
                  "message '%s' does not start with '%s'", msg, text);
    if (err_no < 0) {
        /* some errno was captured; which one depends on the kernel (and
         * valgrind answers EINVAL where Linux says ENOMEM) */
        ck_assert_msg(strncmp(msg + strlen(text), ": ", 2) == 0 &&
                          strlen(msg) > strlen(text) + 2,
                      "message '%s' has no errno text", msg);
    } else if (err_no != 0) {
        char want[512];
        snprintf(want, sizeof(want), "%s: %s", text, strerror(err_no));
        ck_assert_str_eq(msg, want);
    }
}

/* Run fn(arg) in a child; true when the child died of signal sig. */
static bool child_dies_with(void (*fn)(void *), void *arg, int sig) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        (void)setrlimit(RLIMIT_CORE, &no_core);
        /* die of the signal even where a sanitizer installed a handler */
        signal(sig, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static void do_write(void *p) { *(volatile char *)p = 42; }
static void do_read(void *p) {
    volatile char c = *(volatile char *)p;
    (void)c;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UMF_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UMF_TEST_SANITIZED 1
#endif
#endif

/* Valgrind and the sanitizers map memory of their own at any time, so the
 * exact /proc/self/maps comparisons are skipped under them. */
static bool maps_are_ours(void) {
#ifdef UMF_TEST_SANITIZED
    return false;
#else
    const char *pre = getenv("LD_PRELOAD");
    return !(pre && strstr(pre, "vgpreload") != NULL);
#endif
}

/* /proc/self/maps read without stdio, so nothing here maps memory. */
static char maps_buf[1 << 20];

static size_t read_maps(void) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, maps_buf + len, sizeof(maps_buf) - 1 - len);
        ck_assert_int_ge(n, 0);
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        ck_assert_uint_lt(len, sizeof(maps_buf) - 1);
    }
    close(fd);
    maps_buf[len] = '\0';
    return len;
}

static size_t count_maps(void) {
    read_maps();
    size_t lines = 0;
    for (const char *c = maps_buf; *c; c++) {
        lines += *c == '\n';
    }
    return lines;
}

static size_t mapped_bytes(void) {
    size_t bytes = umf_test_mapped_bytes(NULL);
    ck_assert(bytes != (size_t)-1);
    return bytes;
}

static size_t count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

/* ---------------------------------------------------------------------- */
/* params                                                                  */
/* ---------------------------------------------------------------------- */

START_TEST(params_null_handle) {
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(NULL),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetProtection(NULL, UMF_PROTECTION_READ),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(NULL, UMF_MEM_MAP_PRIVATE),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(NULL, "name"),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(NULL, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    unsigned list[1] = {0};
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(NULL, list, 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(NULL, UMF_NUMA_MODE_BIND),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartSize(NULL, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_numa_split_partition_t parts[1] = {{1, 0}};
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(NULL, parts, 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* Every non-empty combination of the four flags is accepted, NONE with
 * others included (NONE adds no access; issue 14 item 5b); 0 and unknown
 * bits are not. */
START_TEST(params_protection) {
    umf_os_memory_provider_params_handle_t p = params_new();
    const unsigned bad[] = {0, 16, 0x20 | UMF_PROTECTION_READ, UINT_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(umfOsMemoryProviderParamsSetProtection(p, bad[i]) ==
                          UMF_RESULT_ERROR_INVALID_ARGUMENT,
                      "protection 0x%x accepted", bad[i]);
    }
    for (unsigned prot = 1; prot < 16; prot++) {
        ck_assert_msg(umfOsMemoryProviderParamsSetProtection(p, prot) ==
                          UMF_RESULT_SUCCESS,
                      "protection 0x%x rejected", prot);
    }
    /* NONE|READ|WRITE maps read-write */
    ck_assert_int_eq(umfOsMemoryProviderParamsSetProtection(
                         p, UMF_PROTECTION_NONE | UMF_PROTECTION_READ |
                                UMF_PROTECTION_WRITE),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = create_with(p, UMF_RESULT_SUCCESS);
    void *m = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, &m),
                     UMF_RESULT_SUCCESS);
    memset(m, 0x5a, 4096);
    ck_assert_int_eq(umfMemoryProviderFree(prov, m, 4096), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(params_visibility_and_mode) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)0),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)3),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)-1),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_PRIVATE),
        UMF_RESULT_SUCCESS);

    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(p, (umf_numa_mode_t)6),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(p, (umf_numa_mode_t)-1),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    for (int m = UMF_NUMA_MODE_DEFAULT; m <= UMF_NUMA_MODE_LOCAL; m++) {
        ck_assert_int_eq(
            umfOsMemoryProviderParamsSetNumaMode(p, (umf_numa_mode_t)m),
            UMF_RESULT_SUCCESS);
    }
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartSize(p, 0),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartSize(p, SIZE_MAX),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(params_lists) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, NULL, 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, NULL, 0),
                     UMF_RESULT_SUCCESS);
    unsigned list[3] = {0, 1, 2};
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, 3),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, 1),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, 0),
                     UMF_RESULT_SUCCESS);

    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(p, NULL, 2),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(p, NULL, 0),
                     UMF_RESULT_SUCCESS);
    umf_numa_split_partition_t parts[2] = {{1, 0}, {2, 1}};
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(p, parts, 2),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(p, parts, 1),
                     UMF_RESULT_SUCCESS);
    /* destroy frees the copies (valgrind checks there is no leak) */
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
}
END_TEST

/* The list and partitions are copied: changing the caller's arrays after
 * the set calls does not change what initialize validates. */
START_TEST(params_lists_are_copied) {
    umf_os_memory_provider_params_handle_t p = params_new();
    unsigned list[1] = {0};
    umf_numa_split_partition_t parts[1] = {{1, 0}};
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, 1),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetPartitions(p, parts, 1),
                     UMF_RESULT_SUCCESS);
    list[0] = 7;         /* would make the partition target unknown */
    parts[0].weight = 0; /* would be an invalid weight */
    /* valid, so the answer is not INVALID_ARGUMENT */
    const unsigned set[1] = {0}; /* what was set */
    umf_memory_provider_handle_t prov = create_with(p, numa_expect(set, 1));
    if (prov) {
        umfMemoryProviderDestroy(prov);
    }
}
END_TEST

START_TEST(params_shm_name) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "umf_test_shm"),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "other"),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, NULL),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "a/b"),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "/ab"),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, ""),
                     UMF_RESULT_SUCCESS);

    char name[NAME_MAX + 2];
    memset(name, 'x', sizeof(name));
    name[NAME_MAX - 1] = '\0'; /* NAME_MAX - 1 characters: the maximum */
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, name),
                     UMF_RESULT_SUCCESS);
    name[NAME_MAX - 1] = 'x';
    name[NAME_MAX] = '\0'; /* NAME_MAX characters: too long */
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, name),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    name[NAME_MAX] = 'x';
    name[NAME_MAX + 1] = '\0';
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, name),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a name kept with PRIVATE visibility is ignored */
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "umf_test_shm"),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = create_with(p, UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* An empty shm name, like NULL, clears the name: a SHARED provider then
 * uses an anonymous memfd, no named object (issue 14 item 5c). */
START_TEST(params_shm_name_empty) {
    char name[64], path[80];
    snprintf(name, sizeof(name), "umf_test_empty_%d", (int)getpid());
    snprintf(path, sizeof(path), "/dev/shm/%s", name);
    const char *reset[] = {NULL, "", "-"}; /* "-": keep the name */
    for (size_t i = 0; i < sizeof(reset) / sizeof(reset[0]); i++) {
        umf_os_memory_provider_params_handle_t p = params_new();
        ck_assert_int_eq(
            umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
            UMF_RESULT_SUCCESS);
        ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, name),
                         UMF_RESULT_SUCCESS);
        bool keep = reset[i] && strcmp(reset[i], "-") == 0;
        if (!keep) {
            ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, reset[i]),
                             UMF_RESULT_SUCCESS);
        }
        umf_memory_provider_handle_t prov = create_with(p, UMF_RESULT_SUCCESS);
        ck_assert_msg((access(path, F_OK) == 0) == keep, "%s %s", path,
                      keep ? "missing" : "exists");
        void *m = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, &m),
                         UMF_RESULT_SUCCESS);
        memset(m, 1, 4096);
        ck_assert_int_eq(umfMemoryProviderFree(prov, m, 4096),
                         UMF_RESULT_SUCCESS);
        umfMemoryProviderDestroy(prov);
    }
}
END_TEST

/* Defaults: READ|WRITE, PRIVATE, no NUMA. */
START_TEST(params_defaults) {
    umf_memory_provider_handle_t prov = create_default();
    void *ptr = NULL;
    size_t ps = page_size();
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 0, &ptr),
                     UMF_RESULT_SUCCESS);
    memset(ptr, 0xab, ps);                                  /* writable */
    ck_assert_int_eq(((unsigned char *)ptr)[ps - 1], 0xab); /* readable */
    /* PRIVATE: the memory cannot be shared */
    char data[4096];
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, ptr, ps, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* create                                                                  */
/* ---------------------------------------------------------------------- */

START_TEST(create_null_params) {
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), NULL, &prov),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(prov);
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(create_ops_table) {
    umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    ck_assert_ptr_nonnull(ops);
    ck_assert_ptr_eq(ops, umfOsMemoryProviderOps());
    ck_assert_uint_eq(ops->version, UMF_PROVIDER_OPS_VERSION_CURRENT);
    ck_assert_ptr_nonnull(ops->initialize);
    ck_assert_ptr_nonnull(ops->finalize);
    ck_assert_ptr_nonnull(ops->alloc);
    ck_assert_ptr_nonnull(ops->free);
    ck_assert_ptr_nonnull(ops->get_last_native_error);
    ck_assert_ptr_nonnull(ops->get_recommended_page_size);
    ck_assert_ptr_nonnull(ops->get_min_page_size);
    ck_assert_ptr_nonnull(ops->get_name);
    ck_assert_ptr_nonnull(ops->ext.purge_lazy);
    ck_assert_ptr_nonnull(ops->ext.purge_force);
    ck_assert_ptr_nonnull(ops->ext.allocation_merge);
    ck_assert_ptr_nonnull(ops->ext.allocation_split);
    ck_assert_ptr_nonnull(ops->ipc.get_ipc_handle_size);
    ck_assert_ptr_nonnull(ops->ipc.get_ipc_handle);
    ck_assert_ptr_nonnull(ops->ipc.put_ipc_handle);
    ck_assert_ptr_nonnull(ops->ipc.open_ipc_handle);
    ck_assert_ptr_nonnull(ops->ipc.close_ipc_handle);
    ck_assert_str_eq(ops->get_name(NULL), "OS");
}
END_TEST

START_TEST(create_shared_not_supported) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    /* SHARED works (tests/test_provider_os_shared.c tests it) */
    umfMemoryProviderDestroy(create_with(p, UMF_RESULT_SUCCESS));

    p = params_new();
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, "umf_test_os"),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(create_with(p, UMF_RESULT_SUCCESS));
    /* destroy unlinked the object */
    ck_assert_int_eq(access("/dev/shm/umf_test_os", F_OK), -1);

    /* SHARED + a NUMA mode other than DEFAULT: NOT_SUPPORTED (reference),
     * even before the mode's own validation */
    unsigned list[1] = {0};
    p = params_new();
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, 1),
                     UMF_RESULT_SUCCESS);
    create_with(p, UMF_RESULT_ERROR_NOT_SUPPORTED);

    p = params_new();
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND),
        UMF_RESULT_SUCCESS);
    create_with(p, UMF_RESULT_ERROR_NOT_SUPPORTED);
}
END_TEST

static void numa_case(umf_numa_mode_t mode, unsigned *list, unsigned len,
                      umf_result_t expect) {
    umf_os_memory_provider_params_handle_t p = params_new();
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaMode(p, mode),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaList(p, list, len),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
    umfOsMemoryProviderParamsDestroy(p);
    ck_assert_msg(ret == expect, "mode %d, %u nodes: got %d, want %d",
                  (int)mode, len, (int)ret, (int)expect);
    if (prov) {
        umfMemoryProviderDestroy(prov);
    }
}

START_TEST(create_numa_modes) {
    unsigned list[2] = {0, 0};
    /* valid combinations (tests/test_provider_os_numa.c checks placement) */
    numa_case(UMF_NUMA_MODE_BIND, list, 1, numa_expect(list, 1));
    numa_case(UMF_NUMA_MODE_INTERLEAVE, list, 1, numa_expect(list, 1));
    numa_case(UMF_NUMA_MODE_SPLIT, list, 1, numa_expect(list, 1));
    numa_case(UMF_NUMA_MODE_PREFERRED, list, 1, numa_expect(list, 1));
    numa_case(UMF_NUMA_MODE_PREFERRED, NULL, 0, numa_expect(NULL, 0));
    numa_case(UMF_NUMA_MODE_LOCAL, NULL, 0, numa_expect(NULL, 0));
    /* invalid combinations */
    numa_case(UMF_NUMA_MODE_DEFAULT, list, 1,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_case(UMF_NUMA_MODE_LOCAL, list, 1, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_case(UMF_NUMA_MODE_BIND, NULL, 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_case(UMF_NUMA_MODE_INTERLEAVE, NULL, 0,
              UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_case(UMF_NUMA_MODE_SPLIT, NULL, 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the plain default still works */
    numa_case(UMF_NUMA_MODE_DEFAULT, NULL, 0, UMF_RESULT_SUCCESS);
}
END_TEST

START_TEST(create_numa_partitions_and_part_size) {
    unsigned list[2] = {0, 1};
    umf_numa_split_partition_t zero_weight[2] = {{1, 0}, {0, 1}};
    umf_numa_split_partition_t bad_target[1] = {{1, 5}};
    umf_numa_split_partition_t good[2] = {{3, 1}, {1, 0}};

    umf_os_memory_provider_params_handle_t p = params_new();
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetPartitions(p, zero_weight, 2);
    create_with(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    p = params_new();
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetPartitions(p, bad_target, 1);
    create_with(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    p = params_new();
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_SPLIT);
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetPartitions(p, good, 2);
    umf_memory_provider_handle_t prov = create_with(p, numa_expect(list, 2));
    if (prov) {
        umfMemoryProviderDestroy(prov);
    }

    /* part size whose rounding up to a page overflows */
    p = params_new();
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_INTERLEAVE);
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetPartSize(p, SIZE_MAX);
    create_with(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    p = params_new();
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_INTERLEAVE);
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetPartSize(p, 3 * page_size());
    prov = create_with(p, numa_expect(list, 2));
    if (prov) {
        umfMemoryProviderDestroy(prov);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* alloc                                                                   */
/* ---------------------------------------------------------------------- */

static void alloc_check(umf_memory_provider_handle_t prov, size_t size,
                        size_t alignment, bool check_maps) {
    size_t ps = page_size();
    size_t rounded = (size + ps - 1) / ps * ps;
    size_t before = check_maps ? mapped_bytes() : 0;
    void *ptr = NULL;
    umf_result_t ret = umfMemoryProviderAlloc(prov, size, alignment, &ptr);
    ck_assert_msg(ret == UMF_RESULT_SUCCESS, "alloc(%zu, %zu) gave %d", size,
                  alignment, (int)ret);
    ck_assert_ptr_nonnull(ptr);
    if (alignment) {
        ck_assert_msg((uintptr_t)ptr % alignment == 0,
                      "%p is not aligned to %zu", ptr, alignment);
    }
    if (check_maps) {
        /* the over-mapped head and tail were given back */
        ck_assert_uint_eq(mapped_bytes() - before, rounded);
    }
    memset(ptr, 0x5a, size);
    ck_assert_int_eq(((unsigned char *)ptr)[0], 0x5a);
    ck_assert_int_eq(((unsigned char *)ptr)[size - 1], 0x5a);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, size),
                     UMF_RESULT_SUCCESS);
    if (check_maps) {
        ck_assert_uint_eq(mapped_bytes(), before);
    }
}

START_TEST(alloc_alignments) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    const size_t aligns[] = {0, ps / 2, ps, 3 * ps, 2 * MiB, 4 * MiB, 8, 1};
    const size_t sizes[] = {1, 100, ps, ps + 1, 5 * ps + 7, 3 * MiB};
    bool check_maps = maps_are_ours();
    for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            for (int rep = 0; rep < 4; rep++) {
                alloc_check(prov, sizes[s], aligns[a], check_maps);
            }
        }
    }
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(alloc_invalid_alignments) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    const size_t bad[] = {3,           6,          ps - 1,  ps + 1,
                          ps + ps / 2, 3 * ps + 8, SIZE_MAX};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        void *ptr = (void *)0x1234;
        ck_assert_msg(umfMemoryProviderAlloc(prov, ps, bad[i], &ptr) ==
                          UMF_RESULT_ERROR_INVALID_ARGUMENT,
                      "alignment %zu accepted", bad[i]);
    }
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(alloc_size_zero_and_huge) {
    umf_memory_provider_handle_t prov = create_default();
    void *ptr = NULL;
    /* documented choice: 0 bytes is an argument error */
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 0, 0, &ptr),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 0, 2 * MiB, &ptr),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* mmap refuses: provider-specific error with errno */
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX, 0, &ptr),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_ALLOC_FAILED,
                        "memory allocation failed", -1);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX / 2, 0, &ptr),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* size + alignment overflows: never wraps into a small mapping */
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX, 2 * MiB, &ptr),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    ck_assert_int_eq(
        umfMemoryProviderAlloc(prov, SIZE_MAX - MiB, 2 * MiB, &ptr),
        UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(alloc_null_args) {
    umf_memory_provider_handle_t prov = create_default();
    void *ptr;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(NULL, 4096, 0, &ptr),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    ck_assert_int_eq(ops->alloc(NULL, 4096, 0, &ptr),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* protection                                                              */
/* ---------------------------------------------------------------------- */

START_TEST(protection_read_only) {
    umf_memory_provider_handle_t prov = create_prot(UMF_PROTECTION_READ);
    size_t ps = page_size();
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 0, &ptr),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(*(volatile char *)ptr, 0); /* readable, zeroed */
    ck_assert(!child_dies_with(do_read, ptr, SIGSEGV));
    ck_assert(child_dies_with(do_write, ptr, SIGSEGV));
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(protection_none) {
    umf_memory_provider_handle_t prov = create_prot(UMF_PROTECTION_NONE);
    size_t ps = page_size();
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 2 * ps, 2 * MiB, &ptr),
                     UMF_RESULT_SUCCESS);
    ck_assert(child_dies_with(do_read, ptr, SIGSEGV));
    ck_assert(child_dies_with(do_write, (char *)ptr + ps, SIGSEGV));
    /* purging inaccessible memory is fine */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, ptr, 2 * ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, 2 * ps),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(protection_read_write_exec) {
    umf_memory_provider_handle_t prov = create_prot(
        UMF_PROTECTION_READ | UMF_PROTECTION_WRITE | UMF_PROTECTION_EXEC);
    size_t ps = page_size();
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 0, &ptr),
                     UMF_RESULT_SUCCESS);
    ck_assert(!child_dies_with(do_write, ptr, SIGSEGV));
    memset(ptr, 0xc3, ps);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* free, purge, split/merge                                                */
/* ---------------------------------------------------------------------- */

START_TEST(free_errors) {
    umf_memory_provider_handle_t prov = create_default();
    ck_assert_int_eq(umfMemoryProviderFree(prov, NULL, 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, NULL, 4096),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, (void *)0x1, 0),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_FREE_FAILED,
                        "memory deallocation failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderFree(prov, (void *)0x1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_FREE_FAILED,
                        "memory deallocation failed", EINVAL);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), prov);
    ck_assert_int_eq(umfMemoryProviderFree(NULL, (void *)0x1000, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(free_partial) {
    /* munmap works on any page range: free a big block in two parts */
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    char *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4 * ps, 0, (void **)&ptr),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr + ps, 3 * ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(purge_lazy_and_force) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    size_t size = 16 * ps;
    unsigned char *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, size, 0, (void **)&ptr),
                     UMF_RESULT_SUCCESS);

    memset(ptr, 0xee, size);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, ptr, size),
                     UMF_RESULT_SUCCESS);
    /* lazily purged pages are either the old contents or zeros */
    for (size_t i = 0; i < size; i += ps) {
        ck_assert(ptr[i] == 0xee || ptr[i] == 0);
    }

    memset(ptr, 0xee, size);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, ptr, size),
                     UMF_RESULT_SUCCESS);
    for (size_t i = 0; i < size; i++) {
        if (ptr[i] != 0) {
            ck_abort_msg("byte %zu is 0x%x after purge_force", i, ptr[i]);
        }
    }
    memset(ptr, 0x11, size); /* still usable */

    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, size),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(purge_errors) {
    umf_memory_provider_handle_t prov = create_default();
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, (void *)0x1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED,
                        "lazy purging failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)0x1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED,
                        "force purging failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, NULL, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, NULL, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_memory_provider_ops_t *ops = umfOsMemoryProviderOps();
    ck_assert_int_eq(ops->ext.purge_lazy(NULL, (void *)0x1000, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(ops->ext.purge_force(NULL, (void *)0x1000, 4096),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(split_merge) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    char *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4 * ps, 0, (void **)&ptr),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, ptr, 4 * ps, ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, ptr, ptr + ps, 4 * ps),
        UMF_RESULT_SUCCESS);
    /* split in two, free the pieces separately */
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, ptr, 4 * ps, 3 * ps),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr + 3 * ps, ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, 3 * ps),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(split_merge_invalid) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    char *ptr = (char *)(uintptr_t)0x100000;
    /* front-end preconditions */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, NULL, 2 * ps, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, ptr, 2 * ps, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfMemoryProviderAllocationSplit(prov, ptr, 2 * ps, 2 * ps),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(prov, ptr, ptr, 2 * ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, ptr + ps, ptr, 2 * ps),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(prov, ptr, ptr + ps, 0),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* info: name, page sizes, native errors                                   */
/* ---------------------------------------------------------------------- */

START_TEST(info_name) {
    umf_memory_provider_handle_t prov = create_default();
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "OS");
    ck_assert_ptr_null(umfMemoryProviderGetName(NULL));
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(info_page_sizes) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    const size_t sizes[] = {0, 1, ps, 2 * MiB, 1024 * MiB, SIZE_MAX};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t got = 0;
        ck_assert_int_eq(
            umfMemoryProviderGetRecommendedPageSize(prov, sizes[i], &got),
            UMF_RESULT_SUCCESS);
        ck_assert_uint_eq(got, ps);
    }
    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 0, &ptr),
                     UMF_RESULT_SUCCESS);
    size_t got = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, NULL, &got),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(got, ps);
    got = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, ptr, &got),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(got, ps);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, ptr, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(prov, ps, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(NULL, ps, &got),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(info_native_error_codes) {
    ck_assert_int_eq(UMF_OS_RESULT_SUCCESS, 1000);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_ALLOC_FAILED, 1001);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED, 1002);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_BIND_FAILED, 1003);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_FREE_FAILED, 1004);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED, 1005);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, 1006);
    ck_assert_int_eq(UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED, 1007);
}
END_TEST

typedef struct thread_arg_t {
    umf_memory_provider_handle_t prov;
    int32_t seen_before;
    int32_t seen_after;
} thread_arg_t;

static void *native_error_thread(void *a) {
    thread_arg_t *arg = a;
    const char *msg = NULL;
    int32_t err = -1;
    umfMemoryProviderGetLastNativeError(arg->prov, &msg, &err);
    arg->seen_before = err;
    (void)umfMemoryProviderPurgeForce(arg->prov, (void *)0x1, 4096);
    umfMemoryProviderGetLastNativeError(arg->prov, &msg, &err);
    arg->seen_after = err;
    return NULL;
}

/* The last native error is per thread. */
START_TEST(info_native_error_thread_local) {
    umf_memory_provider_handle_t prov = create_default();
    ck_assert_int_eq(umfMemoryProviderFree(prov, (void *)0x1, 0),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    thread_arg_t arg = {prov, 0, 0};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, native_error_thread, &arg), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_ne(arg.seen_before, UMF_OS_RESULT_ERROR_FREE_FAILED);
    ck_assert_int_eq(arg.seen_after, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED);
    expect_native_error(prov, UMF_OS_RESULT_ERROR_FREE_FAILED,
                        "memory deallocation failed", EINVAL);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* IPC on PRIVATE memory                                                   */
/* ---------------------------------------------------------------------- */

START_TEST(ipc_private) {
    umf_memory_provider_handle_t prov = create_default();
    size_t ps = page_size();
    size_t hsize = 12345;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov, &hsize),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_uint_eq(hsize, 12345); /* left untouched */

    void *ptr = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 0, &ptr),
                     UMF_RESULT_SUCCESS);
    char data[4096];
    memset(data, 0, sizeof(data));
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, ptr, ps, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prov, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    void *opened = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prov, data, &opened),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(opened);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prov, ptr, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* the memory is untouched by the failed calls */
    memset(ptr, 1, ps);
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, ps), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* resources                                                               */
/* ---------------------------------------------------------------------- */

static void create_destroy_cycle(bool with_alloc) {
    umf_os_memory_provider_params_handle_t p = params_new();
    unsigned list[2] = {0, 1};
    umfOsMemoryProviderParamsSetNumaList(p, list, 2);
    umfOsMemoryProviderParamsSetNumaList(p, NULL, 0);
    umfOsMemoryProviderParamsSetShmName(p, "umf_cycle");
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
    if (with_alloc) {
        void *ptr = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(prov, 3 * 4096, 2 * MiB, &ptr),
                         UMF_RESULT_SUCCESS);
        ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, 3 * 4096),
                         UMF_RESULT_SUCCESS);
    }
    umfMemoryProviderDestroy(prov);
}

START_TEST(resources_create_destroy_cycles) {
    for (int i = 0; i < 10; i++) { /* warm up the metadata allocator */
        create_destroy_cycle(true);
    }
    size_t fds = count_fds();
    size_t maps = count_maps();
    size_t bytes = mapped_bytes();
    for (int i = 0; i < 1000; i++) {
        create_destroy_cycle(i % 2 == 0);
    }
    ck_assert_uint_eq(count_fds(), fds);
    if (maps_are_ours()) {
        ck_assert_uint_eq(count_maps(), maps);
        /* leaked neighbours would merge into one line; bytes catch them */
        ck_assert_uint_eq(mapped_bytes(), bytes);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* pool                                                                    */
/* ---------------------------------------------------------------------- */

START_TEST(pool_proxy_over_os) {
    umf_memory_provider_handle_t prov = create_default();
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(pool);

    void *ptrs[16];
    for (int i = 0; i < 16; i++) {
        size_t size = (size_t)(i + 1) * 1000;
        ptrs[i] = umfPoolMalloc(pool, size);
        ck_assert_ptr_nonnull(ptrs[i]);
        memset(ptrs[i], i, size);
        ck_assert_ptr_eq(umfPoolByPtr(ptrs[i]), pool);
        ck_assert_ptr_eq(umfPoolByPtr((char *)ptrs[i] + size - 1), pool);
    }
    void *aligned = umfPoolAlignedMalloc(pool, 100, 2 * MiB);
    ck_assert_ptr_nonnull(aligned);
    ck_assert_uint_eq((uintptr_t)aligned % (2 * MiB), 0);
    ck_assert_ptr_eq(umfPoolByPtr(aligned), pool);
    ck_assert_int_eq(umfFree(aligned), UMF_RESULT_SUCCESS);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(umfFree(ptrs[i]), UMF_RESULT_SUCCESS);
    }

    umf_memory_provider_handle_t got = NULL;
    ck_assert_int_eq(umfPoolGetMemoryProvider(pool, &got), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(got, prov);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(pool_own_provider) {
    umf_memory_provider_handle_t prov = create_default();
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    void *ptr = umfPoolMalloc(pool, 12345);
    ck_assert_ptr_nonnull(ptr);
    memset(ptr, 7, 12345);
    ck_assert_ptr_eq(umfPoolByPtr(ptr), pool);
    ck_assert_int_eq(umfPoolFree(pool, ptr), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolByPtr(ptr));
    umfPoolDestroy(pool); /* destroys the provider too */
}
END_TEST

static Suite *provider_os_suite(void) {
    Suite *s = suite_create("provider_os");

    TCase *tc = tcase_create("params");
    tcase_add_test(tc, params_null_handle);
    tcase_add_test(tc, params_protection);
    tcase_add_test(tc, params_visibility_and_mode);
    tcase_add_test(tc, params_lists);
    tcase_add_test(tc, params_lists_are_copied);
    tcase_add_test(tc, params_shm_name);
    tcase_add_test(tc, params_shm_name_empty);
    tcase_add_test(tc, params_defaults);
    suite_add_tcase(s, tc);

    tc = tcase_create("create");
    tcase_add_test(tc, create_null_params);
    tcase_add_test(tc, create_ops_table);
    tcase_add_test(tc, create_shared_not_supported);
    tcase_add_test(tc, create_numa_modes);
    tcase_add_test(tc, create_numa_partitions_and_part_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, alloc_alignments);
    tcase_add_test(tc, alloc_invalid_alignments);
    tcase_add_test(tc, alloc_size_zero_and_huge);
    tcase_add_test(tc, alloc_null_args);
    suite_add_tcase(s, tc);

    tc = tcase_create("protection");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, protection_read_only);
    tcase_add_test(tc, protection_none);
    tcase_add_test(tc, protection_read_write_exec);
    suite_add_tcase(s, tc);

    tc = tcase_create("free_purge_split");
    tcase_add_test(tc, free_errors);
    tcase_add_test(tc, free_partial);
    tcase_add_test(tc, purge_lazy_and_force);
    tcase_add_test(tc, purge_errors);
    tcase_add_test(tc, split_merge);
    tcase_add_test(tc, split_merge_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("info");
    tcase_add_test(tc, info_name);
    tcase_add_test(tc, info_page_sizes);
    tcase_add_test(tc, info_native_error_codes);
    tcase_add_test(tc, info_native_error_thread_local);
    suite_add_tcase(s, tc);

    tc = tcase_create("ipc");
    tcase_add_test(tc, ipc_private);
    suite_add_tcase(s, tc);

    tc = tcase_create("resources");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, resources_create_destroy_cycles);
    suite_add_tcase(s, tc);

    tc = tcase_create("pool");
    tcase_add_test(tc, pool_proxy_over_os);
    tcase_add_test(tc, pool_own_provider);
    suite_add_tcase(s, tc);

    return s;
}

int main(void) {
    SRunner *sr = srunner_create(provider_os_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
