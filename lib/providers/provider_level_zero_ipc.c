/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero_ipc.c -- the Level Zero provider's IPC: the handle is
 * the exporter's pid and the driver's ze_ipc_mem_handle_t, whose first 4
 * bytes are a file descriptor of the exporting process (Intel's driver: a
 * dma-buf fd). Another process opens it by taking a copy of that fd with
 * pidfd_getfd(2) and handing the driver the handle with its own fd in it;
 * that needs ptrace permission over the exporter (same user; on hosts with
 * Yama ptrace_scope 1 the exporter allows it with PR_SET_PTRACER). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "provider_level_zero_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define ZE_IPC_MAGIC 0x554d465a45495043ull /* "UMFZEIPC" */

typedef struct ze_ipc_data_t {
    uint64_t magic;
    int32_t pid; /* of the exporter */
    uint32_t reserved;
    ze_ipc_mem_handle_t handle;
} ze_ipc_data_t;

umf_result_t ze_ipc_handle_size(void *provider, size_t *size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *size = sizeof(ze_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

umf_result_t ze_ipc_get(void *provider, const void *ptr, size_t size,
                        void *providerIpcData) {
    (void)size;
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    utils_allow_ptracer_once();
    ze_ipc_data_t *d = providerIpcData;
    ze_ipc_mem_handle_t h;
    memset(&h, 0, sizeof(h));
    ze_result_t r = ze_api.zeMemGetIpcHandle(zp->context, ptr, &h);
    if (r != ZE_RESULT_SUCCESS) {
        return ze_provider_error("zeMemGetIpcHandle", r);
    }
    memset(d, 0, sizeof(*d));
    d->magic = ZE_IPC_MAGIC;
    d->pid = (int32_t)getpid();
    d->handle = h;
    return UMF_RESULT_SUCCESS;
}

umf_result_t ze_ipc_put(void *provider, void *providerIpcData) {
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_ipc_data_t *d = providerIpcData;
    if (d->magic != ZE_IPC_MAGIC || d->pid != (int32_t)getpid()) {
        LOG_ERR("not a Level Zero IPC handle of this process");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!ze_api.zeMemPutIpcHandle) {
        return UMF_RESULT_SUCCESS; /* before API 1.6 the driver keeps it */
    }
    ze_result_t r = ze_api.zeMemPutIpcHandle(zp->context, d->handle);
    if (r == ZE_RESULT_SUCCESS || r == ZE_RESULT_ERROR_UNSUPPORTED_FEATURE) {
        return UMF_RESULT_SUCCESS; /* a driver without it keeps the handle */
    }
    return ze_provider_error("zeMemPutIpcHandle", r);
}

/* A copy of the exporter's fd in this process, or -1 (native error set). */
static int ze_ipc_take_fd(pid_t pid, int remote_fd) {
    const char *failed = NULL;
    int fd = utils_pidfd_getfd((int)pid, remote_fd, &failed);
    if (fd < 0) {
        int err = errno;
        LOG_PERR("%s(%d, fd %d) of the IPC handle's exporter failed (it must "
                 "be of the same user and allow ptrace)",
                 failed, (int)pid, remote_fd);
        ze_provider_error_errno(strcmp(failed, "pidfd_open") == 0
                                    ? "pidfd_open of the exporter failed"
                                    : "pidfd_getfd of the exporter's fd failed",
                                err);
    }
    return fd;
}

umf_result_t ze_ipc_open(void *provider, void *providerIpcData, void **ptr) {
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const ze_ipc_data_t *d = providerIpcData;
    if (d->magic != ZE_IPC_MAGIC || d->pid <= 0) {
        LOG_ERR("not a Level Zero IPC handle");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* zeMemOpenIpcHandle needs a device even for host memory */
    ze_device_handle_t dev = zp->device;
    if (!dev && zp->resident_count) {
        dev = zp->resident[0];
    }
    if (!dev) {
        LOG_ERR("opening a Level Zero IPC handle needs a device: set one "
                "(or a resident device) in the params");
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    ze_ipc_mem_handle_t h = d->handle;
    int local_fd = -1;
    if (d->pid != (int32_t)getpid()) {
        int remote_fd;
        memcpy(&remote_fd, h.data, sizeof(remote_fd));
        local_fd = ze_ipc_take_fd((pid_t)d->pid, remote_fd);
        if (local_fd < 0) {
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        memcpy(h.data, &local_fd, sizeof(local_fd));
    }
    void *p = NULL;
    ze_result_t r = ze_api.zeMemOpenIpcHandle(zp->context, dev, h, 0, &p);
    if (local_fd >= 0) {
        close(local_fd); /* the driver holds the memory now */
    }
    if (r != ZE_RESULT_SUCCESS) {
        return ze_provider_error("zeMemOpenIpcHandle", r);
    }
    *ptr = p;
    return UMF_RESULT_SUCCESS;
}

umf_result_t ze_ipc_close(void *provider, void *ptr, size_t size) {
    (void)size;
    ze_provider_t *zp = provider;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ze_result_t r = ze_api.zeMemCloseIpcHandle(zp->context, ptr);
    return r == ZE_RESULT_SUCCESS ? UMF_RESULT_SUCCESS
                                  : ze_provider_error("zeMemCloseIpcHandle", r);
}
