/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_owner.c -- which 64 KiB granules of the address space lie wholly
 * inside memory the proxy's provider has given out, and the provider
 * wrapper that keeps that map.
 *
 * free, realloc and malloc_usable_size must tell a pool block from a
 * pointer of another allocator. libumf's tracker answers exactly, but a
 * lookup costs a walk of its tree on every free (the largest libumf cost
 * of a program under the proxy). Every byte of a granule that one live
 * provider allocation covers can only be pool memory, so a pointer in a
 * marked granule needs no lookup; a pointer anywhere else still gets one.
 *
 * The map is kept by the provider the pool sits on: a wrapper that passes
 * every call to the OS memory provider, marks the granules an allocation
 * covers whole, and clears every granule a free touches before the memory
 * goes back (no pool block can be live in memory being freed, so no free
 * can race the clearing). A granule the pool's allocations cover only
 * together, or only in part, stays unmarked: that costs a lookup, never a
 * wrong answer.
 *
 * The map has two levels: one bitmap of 2^16 bits (8 KiB) per 4 GiB of
 * address space, mapped on first use and kept, under a table of 2^15
 * pointers for the 47-bit user address space. A bitmap that cannot be
 * mapped leaves its granules unmarked. */
#include <stdint.h>
#include <sys/mman.h>

#include <umf/memory_provider.h>

#include "proxy/proxy_internal.h"

uint64_t *proxy_owner_chunks[PROXY_OWNER_CHUNKS];

#define GRANULE ((uintptr_t)1 << PROXY_OWNER_GRANULE_SHIFT)
#define CHUNK_GRANULES ((uintptr_t)1 << (32 - PROXY_OWNER_GRANULE_SHIFT))
#define CHUNK_BYTES (CHUNK_GRANULES / 8)

/* The bitmap of chunk c, mapped when create is set; NULL without one. */
static uint64_t *owner_chunk(uintptr_t c, bool create) {
    uint64_t *m = __atomic_load_n(&proxy_owner_chunks[c], __ATOMIC_ACQUIRE);
    if (m || !create) {
        return m;
    }
    void *fresh = mmap(NULL, CHUNK_BYTES, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (fresh == MAP_FAILED) {
        return NULL;
    }
    if (!__atomic_compare_exchange_n(&proxy_owner_chunks[c], &m, fresh, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        munmap(fresh, CHUNK_BYTES); /* another thread mapped it first */
        return m;
    }
    return fresh;
}

/* Set (or clear) the bits of granules [first, end). */
static void owner_update(uintptr_t first, uintptr_t end, bool set) {
    uintptr_t limit = (uintptr_t)PROXY_OWNER_CHUNKS * CHUNK_GRANULES;
    end = end < limit ? end : limit;
    for (uintptr_t g = first; g < end;) {
        uintptr_t c = g / CHUNK_GRANULES;
        uintptr_t stop = (c + 1) * CHUNK_GRANULES;
        stop = stop < end ? stop : end;
        uint64_t *m = owner_chunk(c, set);
        /* a word at a time: one atomic operation for up to 64 granules */
        while (m && g < stop) {
            uintptr_t i = g % CHUNK_GRANULES;
            uintptr_t n = 64 - i % 64; /* granules to the word's end */
            n = n < stop - g ? n : stop - g;
            uint64_t bits = (n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1)
                            << (i % 64);
            if (set) {
                __atomic_fetch_or(&m[i / 64], bits, __ATOMIC_RELEASE);
            } else {
                __atomic_fetch_and(&m[i / 64], ~bits, __ATOMIC_RELEASE);
            }
            g += n;
        }
        g = stop;
    }
}

void proxy_owner_mark(const void *base, size_t size) {
    uintptr_t a = (uintptr_t)base;
    if (size == 0 || a + size < a) {
        return;
    }
    /* only granules wholly inside the range */
    owner_update((a + GRANULE - 1) / GRANULE, (a + size) / GRANULE, true);
}

void proxy_owner_clear(const void *base, size_t size) {
    uintptr_t a = (uintptr_t)base;
    if (size == 0) {
        return;
    }
    uintptr_t last = a + size < a ? UINTPTR_MAX : a + size - 1;
    /* every granule the range touches */
    owner_update(a / GRANULE, last / GRANULE + 1, false);
}

/* ---- the provider wrapper ---- */

static umf_result_t owner_initialize(void *params, void **provider) {
    *provider = params; /* the OS memory provider's handle */
    return UMF_RESULT_SUCCESS;
}

static void owner_finalize(void *provider) {
    umfMemoryProviderDestroy(provider);
}

static umf_result_t owner_alloc(void *provider, size_t size, size_t alignment,
                                void **ptr) {
    umf_result_t r = umfMemoryProviderAlloc(provider, size, alignment, ptr);
    if (r == UMF_RESULT_SUCCESS && *ptr) {
        proxy_owner_mark(*ptr, size);
    }
    return r;
}

static umf_result_t owner_free(void *provider, void *ptr, size_t size) {
    if (ptr) {
        proxy_owner_clear(ptr, size);
    }
    return umfMemoryProviderFree(provider, ptr, size);
}

static void owner_native_error(void *provider, const char **msg, int32_t *err) {
    umfMemoryProviderGetLastNativeError(provider, msg, err);
}

static umf_result_t owner_recommended(void *provider, size_t size,
                                      size_t *page) {
    return umfMemoryProviderGetRecommendedPageSize(provider, size, page);
}

static umf_result_t owner_min_page(void *provider, void *ptr, size_t *page) {
    return umfMemoryProviderGetMinPageSize(provider, ptr, page);
}

static const char *owner_name(void *provider) {
    return umfMemoryProviderGetName(provider);
}

static umf_result_t owner_purge_lazy(void *provider, void *ptr, size_t size) {
    return umfMemoryProviderPurgeLazy(provider, ptr, size);
}

static umf_result_t owner_purge_force(void *provider, void *ptr, size_t size) {
    return umfMemoryProviderPurgeForce(provider, ptr, size);
}

static umf_result_t owner_merge(void *provider, void *low, void *high,
                                size_t total) {
    return umfMemoryProviderAllocationMerge(provider, low, high, total);
}

static umf_result_t owner_split(void *provider, void *ptr, size_t total,
                                size_t first) {
    return umfMemoryProviderAllocationSplit(provider, ptr, total, first);
}

static umf_result_t owner_ipc_size(void *provider, size_t *size) {
    return umfMemoryProviderGetIPCHandleSize(provider, size);
}

static umf_result_t owner_ipc_get(void *provider, const void *ptr, size_t size,
                                  void *data) {
    return umfMemoryProviderGetIPCHandle(provider, ptr, size, data);
}

static umf_result_t owner_ipc_put(void *provider, void *data) {
    return umfMemoryProviderPutIPCHandle(provider, data);
}

static umf_result_t owner_ipc_open(void *provider, void *data, void **ptr) {
    return umfMemoryProviderOpenIPCHandle(provider, data, ptr);
}

static umf_result_t owner_ipc_close(void *provider, void *ptr, size_t size) {
    return umfMemoryProviderCloseIPCHandle(provider, ptr, size);
}

static const umf_memory_provider_ops_t owner_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = owner_initialize,
    .finalize = owner_finalize,
    .alloc = owner_alloc,
    .free = owner_free,
    .get_last_native_error = owner_native_error,
    .get_recommended_page_size = owner_recommended,
    .get_min_page_size = owner_min_page,
    .get_name = owner_name,
    .ext.purge_lazy = owner_purge_lazy,
    .ext.purge_force = owner_purge_force,
    .ext.allocation_merge = owner_merge,
    .ext.allocation_split = owner_split,
    .ipc.get_ipc_handle_size = owner_ipc_size,
    .ipc.get_ipc_handle = owner_ipc_get,
    .ipc.put_ipc_handle = owner_ipc_put,
    .ipc.open_ipc_handle = owner_ipc_open,
    .ipc.close_ipc_handle = owner_ipc_close,
};

umf_memory_provider_handle_t
proxy_owner_provider(umf_memory_provider_handle_t inner) {
    umf_memory_provider_handle_t h = NULL;
    if (umfMemoryProviderCreate(&owner_ops, inner, &h) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return h;
}
