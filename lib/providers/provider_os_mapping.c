/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_os_mapping.c -- memory mapping of the OS memory provider: alloc
 * and free (PRIVATE memory here, SHARED handed to provider_os_shared.c),
 * aligned mappings, page sizes, purge.
 *
 * Decisions:
 * - alloc(size 0) is INVALID_ARGUMENT (the reference maps 0 bytes, which
 *   fails as PROVIDER_SPECIFIC/ALLOC_FAILED; a zero-byte mapping is never
 *   what the caller meant, so it is an argument error here).
 * - size + alignment overflowing size_t gives OUT_OF_HOST_MEMORY: no address
 *   space can hold the request. A size mmap itself refuses (SIZE_MAX with
 *   alignment 0) stays PROVIDER_SPECIFIC/ALLOC_FAILED as in the reference.
 * - Both page sizes are the system page size, for every size and pointer.
 * - SHARED purge_lazy is MADV_COLD (MADV_FREE applies to private memory
 *   only); purge_force is MADV_REMOVE, which frees the file's pages. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_os_memory.h>

#include "providers/provider_os_memory_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#ifndef MADV_COLD
#define MADV_COLD 20
#endif

static bool os_alignment_valid(size_t alignment, size_t page_size) {
    return alignment == 0 || alignment % page_size == 0 ||
           page_size % alignment == 0;
}

/* Map size bytes at an address that is a multiple of alignment (a multiple
 * of the page size above it; it need not be a power of 2): map size +
 * alignment bytes, keep the aligned part and give the head and tail back.
 * With fd >= 0 the kept part is then replaced by the file range. Returns
 * MAP_FAILED with errno set on failure. */
void *os_map_aligned(size_t size, size_t alignment, size_t page_size, int prot,
                     int fd, uint64_t off) {
    size_t map_len;
    if (utils_add_overflow(size, alignment, &map_len)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    int rprot = fd >= 0 ? PROT_NONE : prot;
    int rflags = MAP_PRIVATE | MAP_ANONYMOUS | (fd >= 0 ? MAP_NORESERVE : 0);
    void *addr = mmap(NULL, map_len, rprot, rflags, -1, 0);
    if (addr == MAP_FAILED) {
        return MAP_FAILED;
    }
    uintptr_t base = (uintptr_t)addr;
    uintptr_t aligned = base;
    size_t rem = base % alignment; /* alignment need not be a power of 2 */
    if (rem) {
        aligned += alignment - rem;
    }
    /* alignment is a multiple of the page size, so aligned is too */
    size_t head = aligned - base;
    /* end of the used part, rounded up to a page; it never passes the end
     * of the mapping because head + size <= size + alignment */
    uintptr_t used_end = aligned + size;
    size_t tail_rem = used_end % page_size;
    if (tail_rem) {
        used_end += page_size - tail_rem;
    }
    uintptr_t map_end = base + map_len;
    if (map_len % page_size) {
        map_end += page_size - map_len % page_size;
    }
    if (head > 0) {
        (void)munmap(addr, head);
    }
    if (map_end > used_end) {
        (void)munmap((void *)used_end, map_end - used_end);
    }
    if (fd >= 0) {
        void *p = mmap((void *)aligned, used_end - aligned, prot,
                       MAP_SHARED | MAP_FIXED, fd, (off_t)off);
        if (p == MAP_FAILED) {
            int err = errno;
            (void)munmap((void *)aligned, used_end - aligned);
            errno = err;
            return MAP_FAILED;
        }
    }
    return (void *)aligned;
}

umf_result_t os_alloc(void *provider, size_t size, size_t alignment,
                      void **resultPtr) {
    if (provider == NULL || resultPtr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    size_t page_size = os->page_size;

    if (size == 0) {
        LOG_ERR("cannot allocate 0 bytes");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (!os_alignment_valid(alignment, page_size)) {
        LOG_ERR("alignment %zu is neither a multiple nor a divisor of the "
                "page size %zu",
                alignment, page_size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* Alignments up to a page come for free with mmap; bigger ones are cut
     * out of a mapping that is one alignment longer. */
    bool over_map = alignment > page_size;
    size_t map_len = size;
    if (over_map && utils_add_overflow(size, alignment, &map_len)) {
        LOG_ERR("size %zu plus alignment %zu overflows", size, alignment);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }

    if (os->visibility == UMF_MEM_MAP_SHARED) {
        return os_alloc_shared(os, size, alignment, resultPtr);
    }

    void *addr;
    if (over_map) {
        addr = os_map_aligned(size, alignment, page_size, os->mmap_prot, -1, 0);
    } else {
        addr =
            mmap(NULL, size, os->mmap_prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (addr == MAP_FAILED) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_PERR("memory allocation of %zu bytes failed",
                 over_map ? map_len : size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    if (alignment > 0 && (uintptr_t)addr % alignment) {
        /* cannot happen with mmap's page-aligned results; kept as a guard */
        os_store_native_error(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED, 0);
        LOG_ERR("allocated address %p is not aligned to %zu bytes", addr,
                alignment);
        (void)munmap(addr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }

    if (os->numa_mode != UMF_NUMA_MODE_DEFAULT) {
        size_t len = size;
        (void)utils_align_up_checked(size, page_size, &len); /* fits: mapped */
        int err = os_numa_bind(os, addr, len);
        if (err && err != ENOSYS) {
            os_store_native_error(UMF_OS_RESULT_ERROR_BIND_FAILED, err);
            LOG_ERR("binding %zu bytes at %p (NUMA mode %d) failed: %s", len,
                    addr, (int)os->numa_mode, strerror(err));
            (void)munmap(addr, len);
            return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        }
    }

    *resultPtr = addr;
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_free(void *provider, void *ptr, size_t size) {
    if (provider == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (ptr == NULL) {
        return UMF_RESULT_SUCCESS;
    }
    os_provider_t *os = provider;
    if (os->visibility == UMF_MEM_MAP_SHARED) {
        return os_free_shared(os, ptr, size);
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("memory deallocation of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_get_recommended_page_size(void *provider, size_t size,
                                          size_t *pageSize) {
    (void)size;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((os_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_get_min_page_size(void *provider, void *ptr, size_t *pageSize) {
    (void)ptr;
    if (provider == NULL || pageSize == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    *pageSize = ((os_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_purge_lazy(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    int advice = os->visibility == UMF_MEM_MAP_SHARED ? MADV_COLD : MADV_FREE;
    if (madvise(ptr, size, advice) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED, err);
        LOG_PERR("lazy purging of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t os_purge_force(void *provider, void *ptr, size_t size) {
    if (provider == NULL || ptr == NULL) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    os_provider_t *os = provider;
    /* MADV_DONTNEED would only drop this process's view of shared pages;
     * MADV_REMOVE frees them in the file */
    int advice =
        os->visibility == UMF_MEM_MAP_SHARED ? MADV_REMOVE : MADV_DONTNEED;
    if (madvise(ptr, size, advice) != 0) {
        int err = errno;
        os_store_native_error(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED, err);
        LOG_PERR("force purging of %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}
