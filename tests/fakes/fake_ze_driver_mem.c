/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_ze_driver_mem.c -- the fake Level Zero driver's memory: host,
 * device and shared allocations (each a memfd mapped MAP_SHARED), their
 * properties, residency, frees and IPC handles (see fake_ze_control.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_ze_driver_internal.h"

/* what a handle holds after the fd (the fd stays first, as Intel's) */
#define IPC_MAGIC 0xfa4e1bcu
typedef struct fake_ipc_t {
    int32_t fd;
    uint32_t magic;
    uint64_t map_len;
    uint64_t id;
} fake_ipc_t;

typedef struct fake_alloc_t {
    struct fake_alloc_t *next;
    char *base;
    size_t size;    /* as asked */
    size_t map_len; /* mapped */
    int fd;         /* -1 for an opened IPC mapping */
    ze_memory_type_t type;
    ze_device_handle_t device;
    uint64_t id;
} fake_alloc_t;

#define BUCKETS 4096
static fake_alloc_t *buckets[BUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_id = 1;
static uint32_t fail_count;
static ze_result_t fail_result;

static size_t bucket_of(const void *base) {
    return ((uintptr_t)base >> 12) % BUCKETS;
}

FAKE_ZE_EXPORT void fake_ze_fail_allocs(uint32_t count, int32_t result) {
    pthread_mutex_lock(&lock);
    fail_count = count;
    fail_result = (ze_result_t)result;
    pthread_mutex_unlock(&lock);
}

/* the allocation containing [ptr, ptr+size); lock held */
static fake_alloc_t *find_containing(const void *ptr, size_t size) {
    const char *p = ptr;
    for (size_t b = 0; b < BUCKETS; b++) {
        for (fake_alloc_t *a = buckets[b]; a; a = a->next) {
            if (p >= a->base && p < a->base + a->map_len &&
                size <= (size_t)(a->base + a->map_len - p)) {
                return a;
            }
        }
    }
    return NULL;
}

bool fake_ze_range_is_allocated(const void *ptr, size_t size) {
    pthread_mutex_lock(&lock);
    bool ok = find_containing(ptr, size) != NULL;
    pthread_mutex_unlock(&lock);
    return ok;
}

static void insert(fake_alloc_t *a) {
    size_t b = bucket_of(a->base);
    a->next = buckets[b];
    buckets[b] = a;
    a->id = next_id++;
    FAKE_ZE_COUNT(fake_ze_counters.live);
}

/* unlink the entry based at base (of the wanted kind); lock held */
static fake_alloc_t *take(const void *base, bool opened) {
    for (fake_alloc_t **pp = &buckets[bucket_of(base)]; *pp;
         pp = &(*pp)->next) {
        fake_alloc_t *a = *pp;
        if (a->base == base && (a->fd < 0) == opened) {
            *pp = a->next;
            __atomic_fetch_sub(&fake_ze_counters.live, 1, __ATOMIC_RELAXED);
            return a;
        }
    }
    return NULL;
}

/* Map len bytes of fd at a multiple of align (a power of two). */
static void *map_aligned(int fd, size_t len, size_t align) {
    if (align <= FAKE_ZE_HOST_PAGE) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    size_t span = len + align;
    char *r = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        return NULL;
    }
    char *p = (char *)(((uintptr_t)r + align - 1) & ~((uintptr_t)align - 1));
    if (mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) ==
        MAP_FAILED) {
        munmap(r, span);
        return NULL;
    }
    if (p > r) {
        munmap(r, (size_t)(p - r));
    }
    if (r + span > p + len) {
        munmap(p + len, (size_t)(r + span - (p + len)));
    }
    return p;
}

static bool relaxed_limits(const void *pNext) {
    for (const ze_base_desc_t *d = pNext; d; d = d->pNext) {
        if (d->stype == ZE_STRUCTURE_TYPE_RELAXED_ALLOCATION_LIMITS_EXP_DESC) {
            const ze_relaxed_allocation_limits_exp_desc_t *r = (const void *)d;
            return (r->flags &
                    ZE_RELAXED_ALLOCATION_LIMITS_EXP_FLAG_MAX_SIZE) != 0;
        }
    }
    return false;
}

static ze_result_t do_alloc(ze_context_handle_t ctx, ze_memory_type_t type,
                            const ze_device_mem_alloc_desc_t *ddesc,
                            ze_device_handle_t dev, size_t size,
                            size_t alignment, void **pptr) {
    if (!fake_ze_context_ok(ctx) ||
        (type != ZE_MEMORY_TYPE_HOST && dev && !fake_ze_device_ok(dev))) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (type == ZE_MEMORY_TYPE_DEVICE && !dev) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!pptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    if (size == 0) {
        return ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
    }
    if (alignment & (alignment - 1)) {
        return ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT;
    }
    if (ddesc) {
        __atomic_store_n(&fake_ze_counters.last_ordinal, ddesc->ordinal,
                         __ATOMIC_RELAXED);
        if (ddesc->ordinal != 0) {
            return ZE_RESULT_ERROR_INVALID_ARGUMENT; /* one memory per device */
        }
    }
    if (type != ZE_MEMORY_TYPE_HOST) {
        bool relaxed = ddesc && relaxed_limits(ddesc->pNext);
        if (size > FAKE_ZE_MAX_ALLOC && !relaxed) {
            return ZE_RESULT_ERROR_UNSUPPORTED_SIZE;
        }
        if (size > FAKE_ZE_DEVICE_MEMORY) {
            return ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY;
        }
        if (relaxed) {
            FAKE_ZE_COUNT(fake_ze_counters.relaxed_allocs);
        }
    }
    size_t page =
        type == ZE_MEMORY_TYPE_HOST ? FAKE_ZE_HOST_PAGE : FAKE_ZE_DEVICE_PAGE;
    if (size > ((size_t)1 << 46)) {
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    size_t align = alignment > page ? alignment : page;
    size_t map_len =
        (size + FAKE_ZE_HOST_PAGE - 1) & ~((size_t)FAKE_ZE_HOST_PAGE - 1);

    pthread_mutex_lock(&lock);
    if (fail_count) {
        fail_count--;
        ze_result_t r = fail_result;
        pthread_mutex_unlock(&lock);
        return r;
    }
    pthread_mutex_unlock(&lock);

    fake_alloc_t *a = malloc(sizeof(*a));
    if (!a) {
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    int fd = memfd_create("fake-ze", MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, (off_t)map_len) != 0) {
        if (fd >= 0) {
            close(fd);
        }
        free(a);
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *p = map_aligned(fd, map_len, align);
    if (!p) {
        close(fd);
        free(a);
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *a = (fake_alloc_t){.base = p,
                        .size = size,
                        .map_len = map_len,
                        .fd = fd,
                        .type = type,
                        .device = type == ZE_MEMORY_TYPE_HOST ? NULL : dev};
    pthread_mutex_lock(&lock);
    insert(a);
    pthread_mutex_unlock(&lock);
    FAKE_ZE_COUNT(fake_ze_counters.allocs[type]);
    *pptr = p;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_alloc_device(ze_context_handle_t ctx,
                                     const ze_device_mem_alloc_desc_t *d,
                                     size_t size, size_t alignment,
                                     ze_device_handle_t dev, void **pptr) {
    if (!d) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    return do_alloc(ctx, ZE_MEMORY_TYPE_DEVICE, d, dev, size, alignment, pptr);
}

static ze_result_t fake_alloc_shared(ze_context_handle_t ctx,
                                     const ze_device_mem_alloc_desc_t *d,
                                     const ze_host_mem_alloc_desc_t *h,
                                     size_t size, size_t alignment,
                                     ze_device_handle_t dev, void **pptr) {
    if (!d || !h) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    return do_alloc(ctx, ZE_MEMORY_TYPE_SHARED, d, dev, size, alignment, pptr);
}

static ze_result_t fake_alloc_host(ze_context_handle_t ctx,
                                   const ze_host_mem_alloc_desc_t *h,
                                   size_t size, size_t alignment, void **pptr) {
    if (!h) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    return do_alloc(ctx, ZE_MEMORY_TYPE_HOST, NULL, NULL, size, alignment,
                    pptr);
}

static void release(fake_alloc_t *a) {
    munmap(a->base, a->map_len);
    if (a->fd >= 0) {
        close(a->fd);
    }
    free(a);
}

static ze_result_t fake_free(ze_context_handle_t ctx, void *ptr) {
    if (!fake_ze_context_ok(ctx)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    pthread_mutex_lock(&lock);
    fake_alloc_t *a = take(ptr, false);
    pthread_mutex_unlock(&lock);
    if (!a) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT; /* double or foreign free */
    }
    release(a);
    FAKE_ZE_COUNT(fake_ze_counters.frees);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_free_ext(ze_context_handle_t ctx,
                                 const ze_memory_free_ext_desc_t *desc,
                                 void *ptr) {
    if (!desc) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    unsigned idx;
    switch (desc->freePolicy) {
    case 0:
        idx = 0;
        break;
    case ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_BLOCKING_FREE:
        idx = 1;
        break;
    case ZE_DRIVER_MEMORY_FREE_POLICY_EXT_FLAG_DEFER_FREE:
        idx = 2;
        break;
    default:
        return ZE_RESULT_ERROR_INVALID_ENUMERATION;
    }
    ze_result_t r = fake_free(ctx, ptr);
    if (r == ZE_RESULT_SUCCESS) {
        FAKE_ZE_COUNT(fake_ze_counters.free_ext[idx]);
    }
    return r;
}

static ze_result_t fake_alloc_properties(ze_context_handle_t ctx,
                                         const void *ptr,
                                         ze_memory_allocation_properties_t *p,
                                         ze_device_handle_t *dev) {
    if (!fake_ze_context_ok(ctx)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr || !p) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    pthread_mutex_lock(&lock);
    fake_alloc_t *a = find_containing(ptr, 1);
    if (a) {
        p->type = a->type;
        p->id = a->id;
        p->pageSize = a->type == ZE_MEMORY_TYPE_HOST ? FAKE_ZE_HOST_PAGE
                                                     : FAKE_ZE_DEVICE_PAGE;
    } else {
        p->type = ZE_MEMORY_TYPE_UNKNOWN;
        p->id = 0;
        p->pageSize = 0;
    }
    if (dev) {
        *dev = a ? a->device : NULL;
    }
    pthread_mutex_unlock(&lock);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_address_range(ze_context_handle_t ctx, const void *ptr,
                                      void **base, size_t *size) {
    if (!fake_ze_context_ok(ctx)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    pthread_mutex_lock(&lock);
    fake_alloc_t *a = find_containing(ptr, 1);
    if (a) {
        if (base) {
            *base = a->base;
        }
        if (size) {
            *size = a->size;
        }
    }
    pthread_mutex_unlock(&lock);
    return a ? ZE_RESULT_SUCCESS : ZE_RESULT_ERROR_UNKNOWN;
}

static ze_result_t fake_get_ipc_handle(ze_context_handle_t ctx, const void *ptr,
                                       ze_ipc_mem_handle_t *h) {
    if (!fake_ze_context_ok(ctx)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr || !h) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    pthread_mutex_lock(&lock);
    fake_alloc_t *a = find_containing(ptr, 1);
    fake_ipc_t d = {0};
    if (a && a->fd >= 0) {
        d = (fake_ipc_t){a->fd, IPC_MAGIC, a->map_len, a->id};
    }
    pthread_mutex_unlock(&lock);
    if (!d.magic) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    memset(h, 0, sizeof(*h));
    memcpy(h->data, &d, sizeof(d));
    FAKE_ZE_COUNT(fake_ze_counters.ipc_gets);
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_open_ipc_handle(ze_context_handle_t ctx,
                                        ze_device_handle_t dev,
                                        ze_ipc_mem_handle_t h,
                                        ze_ipc_memory_flags_t flags,
                                        void **pptr) {
    (void)flags;
    if (!fake_ze_context_ok(ctx) || !fake_ze_device_ok(dev)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!pptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    fake_ipc_t d;
    memcpy(&d, h.data, sizeof(d));
    struct stat st;
    if (d.magic != IPC_MAGIC || d.fd < 0 || fstat(d.fd, &st) != 0 ||
        (uint64_t)st.st_size < d.map_len) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    fake_alloc_t *a = malloc(sizeof(*a));
    if (!a) {
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *p =
        mmap(NULL, d.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd, 0);
    if (p == MAP_FAILED) {
        free(a);
        return ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *a = (fake_alloc_t){.base = p,
                        .size = d.map_len,
                        .map_len = d.map_len,
                        .fd = -1,
                        .type = ZE_MEMORY_TYPE_DEVICE,
                        .device = dev};
    pthread_mutex_lock(&lock);
    insert(a);
    pthread_mutex_unlock(&lock);
    FAKE_ZE_COUNT(fake_ze_counters.ipc_opens);
    *pptr = p;
    return ZE_RESULT_SUCCESS;
}

static ze_result_t fake_close_ipc_handle(ze_context_handle_t ctx,
                                         const void *ptr) {
    if (!fake_ze_context_ok(ctx)) {
        return ZE_RESULT_ERROR_INVALID_NULL_HANDLE;
    }
    if (!ptr) {
        return ZE_RESULT_ERROR_INVALID_NULL_POINTER;
    }
    pthread_mutex_lock(&lock);
    fake_alloc_t *a = take(ptr, true);
    pthread_mutex_unlock(&lock);
    if (!a) {
        return ZE_RESULT_ERROR_INVALID_ARGUMENT;
    }
    release(a);
    FAKE_ZE_COUNT(fake_ze_counters.ipc_closes);
    return ZE_RESULT_SUCCESS;
}

void fake_ze_fill_mem_table(ze_mem_dditable_t *t) {
    const char *no_ext = getenv("FAKE_ZE_NO_FREE_EXT");
    const char *no_ipc = getenv("FAKE_ZE_NO_IPC");
    t->pfnAllocShared = fake_alloc_shared;
    t->pfnAllocDevice = fake_alloc_device;
    t->pfnAllocHost = fake_alloc_host;
    t->pfnFree = fake_free;
    t->pfnGetAllocProperties = fake_alloc_properties;
    t->pfnGetAddressRange = fake_address_range;
    if (!(no_ipc && strcmp(no_ipc, "1") == 0)) {
        t->pfnGetIpcHandle = fake_get_ipc_handle;
        t->pfnOpenIpcHandle = fake_open_ipc_handle;
        t->pfnCloseIpcHandle = fake_close_ipc_handle;
    }
    if (!(no_ext && strcmp(no_ext, "1") == 0)) {
        t->pfnFreeExt = fake_free_ext;
    }
}
