/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_helpers.h -- helpers of the OS-shared, NUMA, file and devdax
 * provider tests (static functions: each program includes this once). */
#ifndef UMF_TEST_PROVIDER_HELPERS_H
#define UMF_TEST_PROVIDER_HELPERS_H 1

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_provider.h>

#include "test_helpers.h"

/* for helpers that one build of a test program does not use */
#define PH_UNUSED __attribute__((unused))

#define KiB ((size_t)1024)
#define MiB (KiB * KiB)

static inline size_t ph_page(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* The provider's last native error must be `code` and its message start
 * with `text`; err_no > 0: followed by exactly ": strerror(err_no)"; 0: no
 * errno text; < 0: some errno text. */
static inline void ph_expect_native(umf_memory_provider_handle_t prov,
                                    int32_t code, const char *text,
                                    int err_no) {
    const char *msg = NULL;
    int32_t err = 0;
    umfMemoryProviderGetLastNativeError(prov, &msg, &err);
    ck_assert_int_eq(err, code);
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(strncmp(msg, text, strlen(text)) == 0,
                  "message '%s' does not start with '%s'", msg, text);
    if (err_no > 0) {
        char want[512];
        snprintf(want, sizeof(want), "%s: %s", text, strerror(err_no));
        ck_assert_str_eq(msg, want);
    } else if (err_no == 0) {
        ck_assert_str_eq(msg, text);
    } else {
        ck_assert_msg(strncmp(msg + strlen(text), ": ", 2) == 0,
                      "message '%s' has no errno text", msg);
    }
}

/* Run fn(arg) in a child process; returns its wait status. */
static inline int ph_run_child(void (*fn)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct rlimit no_core = {0, 0};
        (void)setrlimit(RLIMIT_CORE, &no_core);
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        fn(arg);
        _exit(0);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return status;
}

static inline bool ph_child_dies_with(void (*fn)(void *), void *arg, int sig) {
    int status = ph_run_child(fn, arg);
    return WIFSIGNALED(status) && WTERMSIG(status) == sig;
}

static inline bool ph_child_ok(int status) {
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* umfMemoryProviderAlloc/Free that must succeed. */
static inline void *ph_alloc(umf_memory_provider_handle_t prov, size_t size,
                             size_t align) {
    void *ptr = NULL;
    umf_result_t ret = umfMemoryProviderAlloc(prov, size, align, &ptr);
    ck_assert_msg(ret == UMF_RESULT_SUCCESS, "alloc(%zu, %zu) gave %d", size,
                  align, (int)ret);
    ck_assert_ptr_nonnull(ptr);
    return ptr;
}

static inline void ph_free(umf_memory_provider_handle_t prov, void *ptr,
                           size_t size) {
    ck_assert_int_eq(umfMemoryProviderFree(prov, ptr, size),
                     UMF_RESULT_SUCCESS);
}

/* The consumer side of a cross-process IPC test, in a forked child: open
 * handle through prov, check the producer's bytes (seed_in), write its own
 * (seed_out) for the producer to check, close, destroy prov and _exit: 0
 * when all went well, 12 when the open failed (with the provider's native
 * error on stderr), 13 for wrong bytes, 14 when the close failed. */
static inline void ph_child_open_ipc(umf_memory_provider_handle_t prov,
                                     void *handle, size_t size,
                                     unsigned seed_in, unsigned seed_out) {
    char *q = NULL;
    umf_result_t ret =
        umfMemoryProviderOpenIPCHandle(prov, handle, (void **)&q);
    if (ret != UMF_RESULT_SUCCESS) {
        const char *msg = NULL;
        int32_t code = 0;
        umfMemoryProviderGetLastNativeError(prov, &msg, &code);
        fprintf(stderr, "child: open gave %d (%d: %s)\n", (int)ret, (int)code,
                msg ? msg : "");
        _exit(12);
    }
    if (!umf_test_verify(q, size, seed_in)) {
        _exit(13);
    }
    umf_test_fill(q, size, seed_out);
    if (umfMemoryProviderCloseIPCHandle(prov, q, size) != UMF_RESULT_SUCCESS) {
        _exit(14);
    }
    umfMemoryProviderDestroy(prov);
    _exit(0);
}

static inline void ph_do_write(void *p) { *(volatile char *)p = 42; }
static inline void ph_do_read(void *p) {
    volatile char c = *(volatile char *)p;
    (void)c;
}

/* Valgrind and the sanitizers map memory of their own at any time, so exact
 * /proc/self/maps comparisons are skipped under them. */
static inline bool ph_maps_are_ours(void) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return false;
#else
    return !umf_test_under_valgrind();
#endif
}

/* Bytes mapped by this process (read without stdio, which maps). */
static inline size_t ph_mapped_bytes(void) {
    static char buf[1 << 20];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
        ck_assert_int_ge(n, 0);
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        ck_assert_uint_lt(len, sizeof(buf) - 1);
    }
    close(fd);
    buf[len] = '\0';
    size_t total = 0;
    for (char *line = buf; *line;) {
        unsigned long lo = 0, hi = 0;
        char *end = NULL;
        lo = strtoul(line, &end, 16);
        if (end && *end == '-') {
            hi = strtoul(end + 1, NULL, 16);
            total += hi - lo;
        }
        char *nl = strchr(line, '\n');
        if (!nl) {
            break;
        }
        line = nl + 1;
    }
    return total;
}

/* 512-byte blocks a file occupies (-1 when it cannot be stat'ed). */
static inline long long ph_file_blocks(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    return (long long)st.st_blocks;
}

static inline long long ph_file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    return (long long)st.st_size;
}

static inline bool ph_exists(const char *path) {
    return access(path, F_OK) == 0;
}

#endif /* UMF_TEST_PROVIDER_HELPERS_H */
