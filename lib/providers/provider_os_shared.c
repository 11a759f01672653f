/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_shared.c -- SHARED visibility of the OS memory provider: the
 * backing file, its offsets, and alloc, free, split and merge of its ranges.
 *
 * SHARED visibility: one backing file per provider, a memfd (anonymous) or a
 * POSIX shared-memory object (umfOsMemoryProviderParamsSetShmName). Each
 * allocation maps its own range of the file with MAP_SHARED; the ranges
 * are handed out by a coarse instance over the file's offset space, so a
 * freed range is reused (the reference never reuses offsets). Freeing
 * punches a hole, which gives the pages back and makes the next user of
 * the offsets see zeros as with fresh anonymous memory. The file is grown
 * (sparse, ftruncate) as offsets are used. A hash map takes an allocation's
 * address to its offset and size; split and merge keep it and the coarse
 * blocks in step. The backing fd is closed and a named object unlinked at
 * destroy (the reference leaks both).
 *
 * Decisions:
 * - SHARED free needs the allocation's start and its size (or 0 for the
 *   whole allocation): a part of a shared allocation cannot be freed, since
 *   its offsets are one coarse block (INVALID_ARGUMENT otherwise).
 * - SHARED merge needs the two ranges to be adjacent in the file too
 *   (INVALID_ARGUMENT otherwise): one handle describes one file range. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "core/coarse_internal.h"
#include "providers/provider_os_memory_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* The backing file's offsets are managed by a coarse instance as if they
 * were addresses: offset o is the "address" OS_OFF_BASE + o (coarse never
 * touches what it manages and rejects NULL). 2^46 bytes (64 TiB) of
 * offsets per provider. */
#define OS_OFF_SPACE ((size_t)1 << 46)
/* the backing file grows by at least this much (it is sparse) */
#define OS_FILE_GROW_MIN ((uint64_t)64 << 20)

/* ---------------------------------------------------------------------- */
/* The address -> file range map of SHARED allocations                    */
/* ---------------------------------------------------------------------- */

static size_t shm_map_slot(const os_shm_map_t *m, uintptr_t addr) {
    uint64_t h = ((uint64_t)addr >> 12) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (m->cap - 1);
}

os_shm_entry_t *os_shm_map_find(os_shm_map_t *m, uintptr_t addr) {
    if (m->cap == 0) {
        return NULL;
    }
    for (size_t i = shm_map_slot(m, addr);; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].addr == addr) {
            return &m->slots[i];
        }
        if (m->slots[i].addr == 0) {
            return NULL;
        }
    }
}

static void shm_map_put(os_shm_map_t *m, const os_shm_entry_t *e) {
    size_t i = shm_map_slot(m, e->addr);
    while (m->slots[i].addr != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i] = *e;
    m->count++;
}

/* Insert a new entry (addr not present); ENOMEM when growing fails. */
static int shm_map_insert(os_shm_map_t *m, uintptr_t addr, uint64_t off,
                          size_t size) {
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        os_shm_entry_t *ns = umf_ba_calloc(ncap, sizeof(*ns));
        if (!ns) {
            return ENOMEM;
        }
        os_shm_map_t nm = {ns, ncap, 0};
        for (size_t i = 0; i < m->cap; i++) {
            if (m->slots[i].addr) {
                shm_map_put(&nm, &m->slots[i]);
            }
        }
        umf_ba_free(m->slots);
        *m = nm;
    }
    os_shm_entry_t e = {addr, off, size};
    shm_map_put(m, &e);
    return 0;
}

static void shm_map_remove(os_shm_map_t *m, os_shm_entry_t *e) {
    size_t mask = m->cap - 1;
    size_t i = (size_t)(e - m->slots);
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (m->slots[j].addr == 0) {
            break;
        }
        size_t k = shm_map_slot(m, m->slots[j].addr);
        /* entry j may stay when its home slot k lies cyclically in (i, j] */
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].addr = 0;
    m->count--;
}

/* ---------------------------------------------------------------------- */
/* The backing file                                                       */
/* ---------------------------------------------------------------------- */

void os_shared_fini(os_provider_t *os) {
    coarse_delete(os->offsets);
    os->offsets = NULL;
    umf_ba_free(os->map.slots);
    os->map.slots = NULL;
    if (os->fd >= 0) {
        close(os->fd);
        os->fd = -1;
    }
    if (os->shm_name) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", os->shm_name);
        if (shm_unlink(path) != 0 && errno != ENOENT) {
            LOG_PWARN("shm_unlink(%s) failed", path);
        }
        umf_ba_free(os->shm_name);
        os->shm_name = NULL;
    }
}

/* Create the backing file of a SHARED provider. */
umf_result_t os_shared_init(os_provider_t *os, const char *shm_name) {
    if (shm_name) {
        char path[NAME_MAX + 2];
        snprintf(path, sizeof(path), "/%s", shm_name);
        /* a leftover of a crashed process would make O_EXCL fail forever;
         * like the reference, take the name over */
        if (shm_unlink(path) == 0) {
            LOG_WARN("removed a stale shared memory object %s", path);
        }
        os->fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
        if (os->fd < 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("shm_open(%s) failed", path);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        os->shm_name = umf_ba_strdup(shm_name);
        if (!os->shm_name) {
            shm_unlink(path);
            LOG_ERR("copying the shared memory object name failed");
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
    } else {
        os->fd = (int)syscall(SYS_memfd_create, "umf_os_provider",
                              (unsigned)MFD_CLOEXEC);
        if (os->fd < 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("memfd_create failed");
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
    }

    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = os;
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = os->page_size;
    cp.name = "OS shared offsets";
    umf_result_t ret = coarse_new(&cp, &os->offsets);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    return coarse_add_memory_fixed(os->offsets, (void *)os->page_size,
                                   OS_OFF_SPACE);
}

/* fork(2): the provider lock, then the offsets (never taken in the other
 * order) */
void os_fork_prepare(void *arg) {
    os_provider_t *os = arg;
    pthread_mutex_lock(&os->lock);
    coarse_fork_prepare(os->offsets);
}

void os_fork_parent(void *arg) {
    os_provider_t *os = arg;
    coarse_fork_parent(os->offsets);
    pthread_mutex_unlock(&os->lock);
}

void os_fork_child(void *arg) {
    os_provider_t *os = arg;
    coarse_fork_child(os->offsets);
    pthread_mutex_unlock(&os->lock);
}

/* ---------------------------------------------------------------------- */
/* Alloc, free, split and merge                                           */
/* ---------------------------------------------------------------------- */

/* Make the backing file at least end bytes long (sparse). */
static umf_result_t os_shared_grow(os_provider_t *os, uint64_t end) {
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    if (end > os->file_size) {
        uint64_t nsize = UMF_MAX(end, os->file_size * 2);
        nsize = UMF_MAX(nsize, OS_FILE_GROW_MIN);
        nsize = UMF_MIN(nsize, (uint64_t)OS_OFF_SPACE);
        if (ftruncate(os->fd, (off_t)nsize) != 0) {
            int err = errno;
            os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
            LOG_PERR("growing the shared memory file to %llu bytes failed",
                     (unsigned long long)nsize);
            ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        } else {
            os->file_size = nsize;
        }
    }
    pthread_mutex_unlock(&os->lock);
    return ret;
}

umf_result_t os_alloc_shared(os_provider_t *os, size_t size, size_t alignment,
                             void **resultPtr) {
    size_t ps = os->page_size;
    size_t rsize;
    if (!utils_align_up_checked(size, ps, &rsize)) {
        LOG_ERR("size %zu is too large", size);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *op = NULL;
    umf_result_t ret = coarse_alloc(os->offsets, rsize, 0, &op);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("no room for %zu bytes in the shared memory file", rsize);
        return ret;
    }
    uint64_t off = (uint64_t)((uintptr_t)op - ps);
    ret = os_shared_grow(os, off + rsize);
    if (ret != UMF_RESULT_SUCCESS) {
        (void)coarse_free(os->offsets, op, rsize);
        return ret;
    }

    void *addr;
    if (alignment > ps) {
        addr = os_map_aligned(rsize, alignment, ps, os->mmap_prot, os->fd, off);
    } else {
        addr = mmap(NULL, rsize, os->mmap_prot, MAP_SHARED, os->fd, (off_t)off);
    }
    if (addr == MAP_FAILED) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_PERR("mapping %zu bytes of the shared memory file failed", rsize);
        (void)coarse_free(os->offsets, op, rsize);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    pthread_mutex_lock(&os->lock);
    int err = shm_map_insert(&os->map, (uintptr_t)addr, off, rsize);
    pthread_mutex_unlock(&os->lock);
    if (err) {
        LOG_ERR("recording the shared allocation failed");
        (void)munmap(addr, rsize);
        (void)coarse_free(os->offsets, op, rsize);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *resultPtr = addr;
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_free_shared(os_provider_t *os, void *ptr, size_t size) {
    size_t rsize = 0;
    if (size && !utils_align_up_checked(size, os->page_size, &rsize)) {
        rsize = SIZE_MAX; /* matches no allocation */
    }
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = os_shm_map_find(&os->map, (uintptr_t)ptr);
    if (!e || (size && rsize != e->size)) {
        pthread_mutex_unlock(&os->lock);
        if (!e) {
            os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, EINVAL);
            LOG_ERR("%p is not a shared allocation of this provider", ptr);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
        LOG_ERR("size %zu does not match the size %zu of the shared "
                "allocation %p",
                size, e->size, ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_shm_entry_t ent = *e;
    shm_map_remove(&os->map, e);
    pthread_mutex_unlock(&os->lock);

    if (munmap(ptr, ent.size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping the shared allocation %p failed", ptr);
        pthread_mutex_lock(&os->lock);
        (void)shm_map_insert(&os->map, ent.addr, ent.off, ent.size);
        pthread_mutex_unlock(&os->lock);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    /* give the pages back, so the next user of these offsets gets zeros */
    if (fallocate(os->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)ent.off, (off_t)ent.size) != 0) {
        /* keep the offsets out of use rather than hand out stale data */
        LOG_PWARN("punching [%llu, +%zu) out of the shared memory file "
                  "failed; the range is not reused",
                  (unsigned long long)ent.off, ent.size);
        return UMF_RESULT_SUCCESS;
    }
    (void)coarse_free(os->offsets, (void *)(uintptr_t)(ent.off + os->page_size),
                      ent.size);
    return UMF_RESULT_SUCCESS;
}

/* Private anonymous mappings carry no per-range metadata, so split and merge
 * have nothing to update; munmap works on any page range. Shared ones keep
 * the map and the coarse offset blocks in step. */
umf_result_t os_allocation_split(void *provider, void *ptr, size_t totalSize,
                                 size_t firstSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return UMF_RESULT_SUCCESS;
    }
    size_t ps = os->page_size;
    size_t rtotal;
    if (ptr == NULL || firstSize == 0 || firstSize >= totalSize ||
        firstSize % ps || !utils_align_up_checked(totalSize, ps, &rtotal)) {
        LOG_ERR("cannot split %p (%zu bytes) at %zu", ptr, totalSize,
                firstSize);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *e = os_shm_map_find(&os->map, (uintptr_t)ptr);
    if (!e || e->size != rtotal) {
        LOG_ERR("%p is not a shared allocation of %zu bytes", ptr, totalSize);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    uint64_t off = e->off;
    ret = coarse_split(os->offsets, (void *)(uintptr_t)(off + ps), rtotal,
                       firstSize);
    if (ret != UMF_RESULT_SUCCESS) {
        goto out;
    }
    e->size = firstSize;
    if (shm_map_insert(&os->map, (uintptr_t)ptr + firstSize, off + firstSize,
                       rtotal - firstSize) != 0) {
        /* e may have moved if the table grew; it did not: insert failed */
        e->size = rtotal;
        (void)coarse_merge(os->offsets, (void *)(uintptr_t)(off + ps),
                           (void *)(uintptr_t)(off + ps + firstSize), rtotal);
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
out:
    pthread_mutex_unlock(&os->lock);
    return ret;
}

umf_result_t os_allocation_merge(void *provider, void *lowPtr, void *highPtr,
                                 size_t totalSize) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    if (os->visibility != UMF_MEM_MAP_SHARED) {
        return UMF_RESULT_SUCCESS;
    }
    size_t ps = os->page_size;
    size_t rtotal;
    if (!lowPtr || !highPtr ||
        !utils_align_up_checked(totalSize, ps, &rtotal)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&os->lock);
    os_shm_entry_t *lo = os_shm_map_find(&os->map, (uintptr_t)lowPtr);
    os_shm_entry_t *hi = os_shm_map_find(&os->map, (uintptr_t)highPtr);
    if (!lo || !hi || lo->addr + lo->size != hi->addr ||
        lo->size + hi->size != rtotal) {
        LOG_ERR("%p and %p are not adjacent shared allocations of %zu bytes "
                "in all",
                lowPtr, highPtr, totalSize);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    if (lo->off + lo->size != hi->off) {
        LOG_ERR("%p and %p are not adjacent in the shared memory file", lowPtr,
                highPtr);
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        goto out;
    }
    ret = coarse_merge(os->offsets, (void *)(uintptr_t)(lo->off + ps),
                       (void *)(uintptr_t)(hi->off + ps), rtotal);
    if (ret != UMF_RESULT_SUCCESS) {
        goto out;
    }
    lo->size = rtotal;
    shm_map_remove(&os->map, hi); /* may move entries, lo is not used after */
out:
    pthread_mutex_unlock(&os->lock);
    return ret;
}
