/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* utils.c -- page size and thread id helpers; what the providers that
 * hand out file descriptors by IPC share (pidfd, PR_SET_PTRACER) */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log_internal.h"
#include "utils_internal.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef PR_SET_PTRACER
#define PR_SET_PTRACER 0x59616d61
#endif
#ifndef PR_SET_PTRACER_ANY
#define PR_SET_PTRACER_ANY ((unsigned long)-1)
#endif

size_t utils_page_size(void) {
    static size_t page_size;
    size_t ps = utils_atomic_load_relaxed(&page_size);
    if (UMF_UNLIKELY(ps == 0)) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        utils_atomic_store_relaxed(&page_size, ps);
    }
    return ps;
}

uint64_t utils_thread_id(void) {
    static __thread uint64_t tid;
    if (tid == 0) {
        tid = (uint64_t)syscall(SYS_gettid);
    }
    return tid;
}

static pthread_once_t ptracer_once = PTHREAD_ONCE_INIT;

/* Without Yama the call fails with EINVAL and nothing is needed. */
static void allow_ptracer(void) {
    if (prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0) != 0) {
        if (errno == EINVAL) {
            LOG_DEBUG("PR_SET_PTRACER: no Yama here, nothing to allow");
        } else {
            LOG_PWARN("PR_SET_PTRACER failed; other processes may not be "
                      "able to open this process's IPC handles");
        }
    }
}

void utils_allow_ptracer_once(void) {
    pthread_once(&ptracer_once, allow_ptracer);
}

int utils_pidfd_getfd(int pid, int remote_fd, const char **failed_call) {
    int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (pidfd < 0) {
        *failed_call = "pidfd_open";
        return -1;
    }
    int fd = (int)syscall(SYS_pidfd_getfd, pidfd, remote_fd, 0);
    int err = errno;
    close(pidfd);
    if (fd < 0) {
        *failed_call = "pidfd_getfd";
        errno = err;
    }
    return fd;
}
