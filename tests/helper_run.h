/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* helper_run.h -- run tests/umf_dlopen_helper in a fresh process (fork +
 * execve) with a clean environment, for test_pool_jemalloc and
 * test_pool_scalable. Header-only: both programs include it once. */
#ifndef UMF_TEST_HELPER_RUN_H
#define UMF_TEST_HELPER_RUN_H 1

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef UMF_TEST_BUILDDIR
#error "UMF_TEST_BUILDDIR must name the absolute build directory"
#endif

#define HELPER_PATH UMF_TEST_BUILDDIR "/tests/umf_dlopen_helper"
#define HELPER_LIBUMF UMF_TEST_BUILDDIR "/lib/.libs/libumf.so.0"
#define HELPER_COMPANION UMF_TEST_BUILDDIR "/lib/.libs/libumf_jemalloc.so.0"

extern char **environ;

/* Run the helper with the expectations je and sc (see umf_dlopen_helper.c)
 * and the extra environment entries extra (NULL-terminated, may be NULL).
 * GLIBC_TUNABLES, LD_PRELOAD and UMF_LOG of this process are not passed on.
 * Output (stdout and stderr) goes to out. Returns the exit status, or -1
 * when the helper did not exit normally. */
static int helper_run(const char *const *extra, const char *je, const char *sc,
                      char *out, size_t outlen) {
    const char *env[256];
    size_t n = 0;
    for (char **e = environ; *e && n < 200; e++) {
        if (strncmp(*e, "GLIBC_TUNABLES=", 15) == 0 ||
            strncmp(*e, "LD_PRELOAD=", 11) == 0 ||
            strncmp(*e, "UMF_LOG=", 8) == 0) {
            continue;
        }
        env[n++] = *e;
    }
    for (; extra && *extra && n < 254; extra++) {
        env[n++] = *extra;
    }
    env[n] = NULL;

    int fds[2];
    if (pipe(fds) != 0) {
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        char *argv[] = {(char *)HELPER_PATH, (char *)HELPER_LIBUMF, (char *)je,
                        (char *)sc, NULL};
        execve(HELPER_PATH, argv, (char *const *)env);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while ((r = read(fds[0], out + len, outlen - 1 - len)) > 0) {
        len += (size_t)r;
        if (len == outlen - 1) {
            char sink[256];
            while (read(fds[0], sink, sizeof(sink)) > 0) {
            }
            break;
        }
    }
    out[len] = '\0';
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

#endif /* UMF_TEST_HELPER_RUN_H */
