/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_ipc.c -- IPC handles of the OS memory provider's SHARED
 * memory: the handle's blob, making, checking, opening and closing it.
 *
 * IPC (SHARED only): the handle names the file (producer pid + fd for a
 * memfd, taken with pidfd_getfd(2); or the shm name) and the range. Opening
 * maps the range with the *opening* provider's protection. For a memfd the
 * producer calls prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY) once, for hosts
 * whose Yama ptrace_scope would refuse pidfd_getfd; EINVAL (no Yama) is
 * ignored. The consumer never unlinks a named object: the producer's
 * destroy does.
 *
 * Decisions:
 * - All five IPC ops, get_ipc_handle_size included, give INVALID_ARGUMENT
 *   for PRIVATE visibility, as the reference does: a pool over such a
 *   provider reports no handle size and makes no handles. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "core/ipc_handle_check_internal.h"
#include "providers/provider_os_memory_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Blob handed out by get_ipc_handle for SHARED visibility. Fixed-width
 * fields so producer and consumer agree whatever they were compiled with. */
typedef struct os_ipc_data_t {
    int32_t pid;
    int32_t fd;
    uint64_t fd_offset;
    uint64_t size;
    uint32_t protection;
    uint32_t visibility;
    uint32_t shm_name_len;
    char shm_name[NAME_MAX + 1];
} os_ipc_data_t;

/* Private mappings cannot be shared: every IPC op, the size query
 * included, is an argument error for them (the reference does the same). */
static umf_result_t os_ipc_private_error(const char *what) {
    LOG_ERR("%s: memory of an OS provider with UMF_MEM_MAP_PRIVATE "
            "visibility cannot be shared",
            what);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static umf_result_t os_ipc_describe(const void *blob, size_t blob_size,
                                    ipc_blob_desc_t *desc);
static pthread_once_t os_ipc_describer_once = PTHREAD_ONCE_INIT;
static void os_ipc_register_describer(void) {
    ipc_register_blob_describer(os_open_ipc_handle, os_ipc_describe);
}

umf_result_t os_get_ipc_handle_size(void *provider, size_t *size) {
    if (provider == NULL || size == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (((os_provider_t *)provider)->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("get_ipc_handle_size");
    }
    /* a consumer asks this before it opens: the core can then hold our
     * blobs against the handle's header */
    pthread_once(&os_ipc_describer_once, os_ipc_register_describer);
    *size = sizeof(os_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_get_ipc_handle(void *provider, const void *ptr, size_t size,
                               void *providerIpcData) {
    if (provider == NULL || ptr == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("get_ipc_handle");
    }
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = os_shm_map_find(&os->map, (uintptr_t)ptr);
    os_shm_entry_t ent = e ? *e : (os_shm_entry_t){0, 0, 0};
    pthread_mutex_unlock(&os->lock);
    if (!e || size > ent.size) {
        LOG_ERR("%p (%zu bytes) is not a shared allocation of this provider",
                ptr, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!os->shm_name) {
        utils_allow_ptracer_once();
    }

    os_ipc_data_t *d = providerIpcData;
    memset(d, 0, sizeof(*d));
    d->pid = (int32_t)getpid();
    d->fd = os->fd;
    d->fd_offset = ent.off;
    d->size = size ? size : ent.size;
    d->protection = os->protection;
    d->visibility = (uint32_t)os->visibility;
    if (os->shm_name) {
        size_t len = strlen(os->shm_name);
        memcpy(d->shm_name, os->shm_name, len + 1);
        d->shm_name_len = (uint32_t)len;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_put_ipc_handle(void *provider, void *providerIpcData) {
    if (provider == NULL || providerIpcData == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("put_ipc_handle");
    }
    const os_ipc_data_t *d = providerIpcData;
    bool ours = d->pid == (int32_t)getpid();
    if (ours && os->shm_name) {
        ours = d->shm_name_len < sizeof(d->shm_name) &&
               strcmp(d->shm_name, os->shm_name) == 0;
    } else if (ours) {
        ours = d->shm_name_len == 0 && d->fd == os->fd;
    }
    if (!ours) {
        LOG_ERR("the IPC handle was not made by this provider");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

/* The blob's own consistency: what can be checked without opening
 * anything (ipc_handle_check and open both ask). */
static bool os_ipc_blob_ok(const os_ipc_data_t *d) {
    uint64_t end;
    bool ok = d->visibility == UMF_MEM_MAP_SHARED && d->size != 0 &&
              d->fd_offset % utils_page_size() == 0 &&
              d->size <= (uint64_t)SIZE_MAX &&
              !__builtin_add_overflow(d->fd_offset, d->size, &end) &&
              end <= (uint64_t)INT64_MAX && d->pid > 0 &&
              d->shm_name_len < sizeof(d->shm_name) &&
              d->shm_name[d->shm_name_len] == '\0' &&
              strlen(d->shm_name) == d->shm_name_len &&
              (d->shm_name_len ? strchr(d->shm_name, '/') == NULL : d->fd >= 0);
    if (!ok) {
        LOG_ERR("malformed IPC handle of the OS memory provider");
    }
    return ok;
}

static umf_result_t os_ipc_describe(const void *blob, size_t blob_size,
                                    ipc_blob_desc_t *desc) {
    const os_ipc_data_t *d = blob;
    if (blob_size != sizeof(*d) || !os_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    desc->mapped_size = d->size;
    desc->pid = d->pid;
    return UMF_RESULT_SUCCESS;
}

/* The object behind fd really holds the blob's range: mapping past its end
 * would give SIGBUS on the first touch instead of an error now. */
static bool os_ipc_fd_holds(int fd, const os_ipc_data_t *d) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < d->fd_offset + d->size) {
        LOG_ERR("IPC handle of the OS memory provider names %llu bytes at "
                "offset %llu of an object that does not hold them",
                (unsigned long long)d->size, (unsigned long long)d->fd_offset);
        return false;
    }
    return true;
}

/* A descriptor of the producer's backing file; -1 with errno on failure. */
static int os_ipc_get_fd(const os_ipc_data_t *d, bool writable) {
    if (d->shm_name_len) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", d->shm_name);
        return shm_open(path, writable ? O_RDWR : O_RDONLY, 0);
    }
    if (d->pid == (int32_t)getpid()) {
        return fcntl(d->fd, F_DUPFD_CLOEXEC, 0);
    }
    const char *failed_call = NULL;
    return utils_pidfd_getfd(d->pid, d->fd, &failed_call);
}

umf_result_t os_open_ipc_handle(void *provider, void *providerIpcData,
                                void **ptr) {
    if (provider == NULL || providerIpcData == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("open_ipc_handle");
    }
    const os_ipc_data_t *d = providerIpcData;
    if (!os_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = os_ipc_get_fd(d, (os->mmap_prot & PROT_WRITE) != 0);
    if (fd < 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        if (d->shm_name_len) {
            LOG_PERR("opening the shared memory object /%s failed",
                     d->shm_name);
        } else {
            LOG_PERR("taking descriptor %d of process %d failed", (int)d->fd,
                     (int)d->pid);
        }
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    if (!os_ipc_fd_holds(fd, d)) {
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *addr = mmap(NULL, (size_t)d->size, os->mmap_prot, MAP_SHARED, fd,
                      (off_t)d->fd_offset);
    int err = errno;
    close(fd);
    if (addr == MAP_FAILED) {
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping an IPC handle (%llu bytes at offset %llu) failed: %s",
                (unsigned long long)d->size, (unsigned long long)d->fd_offset,
                strerror(err));
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_close_ipc_handle(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return os_ipc_private_error("close_ipc_handle");
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping an opened IPC handle at %p failed", ptr);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}
