/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_libcuda_mem.c -- memory of the fake CUDA driver (see
 * fake_libcuda.h): allocations, pointer attributes and IPC.
 *
 * Every allocation and IPC mapping is a record in one hash table keyed by
 * the pointer handed out; attribute queries, which take interior pointers,
 * scan it (only tests ask). Built with FAKE_CUDA_INCOMPLETE, the library
 * exports cuIpcOpenMemHandle instead of cuIpcOpenMemHandle_v2, as a driver
 * older than CUDA 11 does. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fake_libcuda.h"
#include "fake_libcuda_internal.h"

typedef enum kind_t { K_DEVICE, K_HOST, K_MANAGED, K_IPC } kind_t;

typedef struct rec_t {
    uintptr_t ptr; /* what the caller got */
    size_t size;
    void *map;
    size_t map_len;
    off_t arena_off; /* K_DEVICE: where in the arena */
    kind_t kind;
    int device;
    CUcontext ctx;
    struct rec_t *next;
} rec_t;

#define NBUCKETS 4096
static rec_t *table[NBUCKETS];
static long live_allocs, live_ipc;
static pthread_mutex_t mem_lock = PTHREAD_MUTEX_INITIALIZER;

/* device memory: one sparse memfd, used front to back, pages punched out
 * at free */
#define ARENA_SIZE ((off_t)1 << 46)
static int arena_fd = -1;
static off_t arena_next;

static size_t page_size(void) {
    static size_t p; /* racy first writes all store the same value */
    size_t v = __atomic_load_n(&p, __ATOMIC_RELAXED);
    if (!v) {
        v = (size_t)sysconf(_SC_PAGESIZE);
        __atomic_store_n(&p, v, __ATOMIC_RELAXED);
    }
    return v;
}

static size_t bucket_of(uintptr_t p) {
    return (size_t)(((uint64_t)p * 0x9e3779b97f4a7c15ULL) >> 52) % NBUCKETS;
}

static void rec_insert(rec_t *r) {
    size_t b = bucket_of(r->ptr);
    r->next = table[b];
    table[b] = r;
    if (r->kind == K_IPC) {
        live_ipc++;
    } else {
        live_allocs++;
    }
}

/* Remove and return the record of ptr if it is of one of the kinds (bit
 * mask of 1 << kind_t); NULL when there is none. */
static rec_t *rec_take(uintptr_t ptr, unsigned kinds) {
    for (rec_t **pr = &table[bucket_of(ptr)]; *pr; pr = &(*pr)->next) {
        rec_t *r = *pr;
        if (r->ptr == ptr && (kinds & (1u << r->kind))) {
            *pr = r->next;
            if (r->kind == K_IPC) {
                live_ipc--;
            } else {
                live_allocs--;
            }
            return r;
        }
    }
    return NULL;
}

/* The record whose range holds p (any kind), or NULL. */
static rec_t *rec_find_range(uintptr_t p) {
    for (size_t b = 0; b < NBUCKETS; b++) {
        for (rec_t *r = table[b]; r; r = r->next) {
            if (p >= r->ptr && p - r->ptr < r->size) {
                return r;
            }
        }
    }
    return NULL;
}

FAKE_EXPORT long fake_cuda_live_allocs(void) {
    pthread_mutex_lock(&mem_lock);
    long n = live_allocs;
    pthread_mutex_unlock(&mem_lock);
    return n;
}

FAKE_EXPORT long fake_cuda_live_ipc_mappings(void) {
    pthread_mutex_lock(&mem_lock);
    long n = live_ipc;
    pthread_mutex_unlock(&mem_lock);
    return n;
}

/* map_len for size bytes handed out at offset, or 0 when too large */
static size_t map_length(size_t size, size_t offset) {
    size_t pg = page_size();
    if (size > SIZE_MAX - offset - pg) {
        return 0;
    }
    return (size + offset + pg - 1) & ~(pg - 1);
}

/* Fills r for map_len bytes mapped at map, of which the caller gets size
 * bytes offset bytes in, and makes it known; returns the caller's pointer. */
static uintptr_t rec_publish(rec_t *r, void *map, size_t map_len, size_t offset,
                             size_t size, kind_t kind, int dev, CUcontext ctx) {
    r->ptr = (uintptr_t)map + offset;
    r->size = size;
    r->map = map;
    r->map_len = map_len;
    r->kind = kind;
    r->device = dev;
    r->ctx = ctx;
    pthread_mutex_lock(&mem_lock);
    rec_insert(r);
    pthread_mutex_unlock(&mem_lock);
    return r->ptr;
}

/* One allocation of kind in the current context: 0 or a CUresult. */
static CUresult fake_alloc(kind_t kind, size_t size, uintptr_t *out) {
    int dev = -1;
    CUcontext ctx = fake_current_ctx(&dev);
    if (!ctx) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (size == 0) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (size > fake_device_total_mem(dev)) {
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    size_t offset = kind == K_HOST ? 0 : FAKE_CUDA_DEVICE_OFFSET;
    size_t len = map_length(size, offset);
    rec_t *r = calloc(1, sizeof(*r));
    if (!r || len == 0) {
        free(r);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    void *map = MAP_FAILED;
    off_t off = 0;
    if (kind == K_DEVICE) {
        pthread_mutex_lock(&mem_lock);
        if (arena_fd < 0) {
            arena_fd = memfd_create("fake-cuda-device-memory", MFD_CLOEXEC);
            if (arena_fd >= 0 && ftruncate(arena_fd, ARENA_SIZE) != 0) {
                close(arena_fd);
                arena_fd = -1;
            }
        }
        bool room = arena_fd >= 0 && (off_t)len <= ARENA_SIZE - arena_next;
        off = arena_next;
        if (room) {
            arena_next += (off_t)len;
        }
        pthread_mutex_unlock(&mem_lock);
        if (room) {
            map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, arena_fd,
                       off);
        }
    } else {
        map = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    if (map == MAP_FAILED) {
        free(r);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    r->arena_off = off;
    *out = rec_publish(r, map, len, offset, size, kind, dev, ctx);
    return CUDA_SUCCESS;
}

static void rec_release(rec_t *r) {
    munmap(r->map, r->map_len);
    if (r->kind == K_DEVICE) {
        (void)fallocate(arena_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                        r->arena_off, (off_t)r->map_len);
    }
    free(r);
}

static CUresult fake_free(uintptr_t ptr, unsigned kinds) {
    int dev;
    if (!fake_current_ctx(&dev)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (ptr == 0) {
        return CUDA_SUCCESS;
    }
    pthread_mutex_lock(&mem_lock);
    rec_t *r = rec_take(ptr, kinds);
    pthread_mutex_unlock(&mem_lock);
    if (!r) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    rec_release(r);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) {
    FAKE_ENTER(cuMemAlloc_v2);
    if (!dptr) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    uintptr_t p = 0;
    CUresult r = fake_alloc(K_DEVICE, bytes, &p);
    *dptr = r == CUDA_SUCCESS ? (CUdeviceptr)p : 0;
    return r;
}

FAKE_EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) {
    FAKE_ENTER(cuMemFree_v2);
    return fake_free((uintptr_t)dptr, 1u << K_DEVICE | 1u << K_MANAGED);
}

FAKE_EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytes,
                                    unsigned int flags) {
    FAKE_ENTER(cuMemHostAlloc);
    if (!pp || (flags & ~(unsigned)CU_MEMHOSTALLOC_ALL_FLAGS)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    uintptr_t p = 0;
    CUresult r = fake_alloc(K_HOST, bytes, &p);
    *pp = r == CUDA_SUCCESS ? (void *)p : NULL;
    return r;
}

FAKE_EXPORT CUresult cuMemFreeHost(void *p) {
    FAKE_ENTER(cuMemFreeHost);
    return fake_free((uintptr_t)p, 1u << K_HOST);
}

FAKE_EXPORT CUresult cuMemAllocManaged(CUdeviceptr *dptr, size_t bytes,
                                       unsigned int flags) {
    FAKE_ENTER(cuMemAllocManaged);
    if (!dptr ||
        (flags != CU_MEM_ATTACH_GLOBAL && flags != CU_MEM_ATTACH_HOST)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    uintptr_t p = 0;
    CUresult r = fake_alloc(K_MANAGED, bytes, &p);
    *dptr = r == CUDA_SUCCESS ? (CUdeviceptr)p : 0;
    return r;
}

FAKE_EXPORT CUresult cuPointerGetAttribute(void *data, CUpointer_attribute attr,
                                           CUdeviceptr ptr) {
    FAKE_ENTER(cuPointerGetAttribute);
    if (!data) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    pthread_mutex_lock(&mem_lock);
    rec_t *r = rec_find_range((uintptr_t)ptr);
    rec_t copy;
    if (r) {
        copy = *r;
    }
    pthread_mutex_unlock(&mem_lock);
    if (!r) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    switch (attr) {
    case CU_POINTER_ATTRIBUTE_CONTEXT:
        *(CUcontext *)data = copy.ctx;
        return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
        *(unsigned *)data =
            copy.kind == K_HOST ? CU_MEMORYTYPE_HOST : CU_MEMORYTYPE_DEVICE;
        return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_IS_MANAGED:
        *(unsigned *)data = copy.kind == K_MANAGED;
        return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
        *(int *)data = copy.device;
        return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_RANGE_START_ADDR:
        *(CUdeviceptr *)data = (CUdeviceptr)copy.ptr;
        return CUDA_SUCCESS;
    case CU_POINTER_ATTRIBUTE_RANGE_SIZE:
        *(size_t *)data = copy.size;
        return CUDA_SUCCESS;
    default:
        return CUDA_ERROR_INVALID_VALUE;
    }
}

/* ---- IPC ---- */

#define IPC_MAGIC 0x46435550u /* "FCUP" */

typedef struct ipc_blob_t {
    uint32_t magic;
    int32_t pid;
    int32_t fd;
    int32_t device;
    uint64_t arena_off;
    uint64_t map_len;
    uint64_t offset; /* of the pointer in the mapping */
    uint64_t size;
} ipc_blob_t;
_Static_assert(sizeof(ipc_blob_t) <= CU_IPC_HANDLE_SIZE, "IPC handle");

FAKE_EXPORT CUresult cuIpcGetMemHandle(CUipcMemHandle *handle,
                                       CUdeviceptr dptr) {
    FAKE_ENTER(cuIpcGetMemHandle);
    int dev;
    if (!fake_current_ctx(&dev)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (!handle) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    pthread_mutex_lock(&mem_lock);
    rec_t *r = rec_find_range((uintptr_t)dptr);
    ipc_blob_t b;
    memset(&b, 0, sizeof(b));
    bool ok = r && r->kind == K_DEVICE;
    if (ok) {
        b.magic = IPC_MAGIC;
        b.pid = (int32_t)getpid();
        b.fd = arena_fd;
        b.device = r->device;
        b.arena_off = (uint64_t)r->arena_off;
        b.map_len = r->map_len;
        b.offset = r->ptr - (uintptr_t)r->map;
        b.size = r->size;
    }
    pthread_mutex_unlock(&mem_lock);
    if (!ok) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    memset(handle, 0, sizeof(*handle));
    memcpy(handle->reserved, &b, sizeof(b));
    return CUDA_SUCCESS;
}

/* The exporter's fd as a descriptor of this process (to be closed), or -1
 * (then *own tells whether it is our own arena, not to be closed). */
static int ipc_take_fd(const ipc_blob_t *b, bool *own) {
    *own = b->pid == (int32_t)getpid();
    if (*own) {
        return arena_fd;
    }
    long pidfd = syscall(SYS_pidfd_open, (pid_t)b->pid, 0);
    if (pidfd < 0) {
        return -1;
    }
    long fd = syscall(SYS_pidfd_getfd, (int)pidfd, b->fd, 0);
    close((int)pidfd);
    return (int)fd;
}

static CUresult ipc_open(CUdeviceptr *dptr, CUipcMemHandle handle,
                         unsigned int flags) {
    int dev;
    CUcontext ctx = fake_current_ctx(&dev);
    if (!ctx) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    ipc_blob_t b;
    memcpy(&b, handle.reserved, sizeof(b));
    if (!dptr || flags != CU_IPC_MEM_LAZY_ENABLE_PEER_ACCESS ||
        b.magic != IPC_MAGIC || b.map_len == 0 || b.offset >= b.map_len) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    bool own = false;
    int fd = ipc_take_fd(&b, &own);
    if (fd < 0) {
        return CUDA_ERROR_MAP_FAILED;
    }
    void *map = mmap(NULL, b.map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                     (off_t)b.arena_off);
    if (!own) {
        close(fd);
    }
    rec_t *r = map == MAP_FAILED ? NULL : calloc(1, sizeof(*r));
    if (!r) {
        if (map != MAP_FAILED) {
            munmap(map, b.map_len);
        }
        return CUDA_ERROR_MAP_FAILED;
    }
    *dptr = (CUdeviceptr)rec_publish(r, map, b.map_len, b.offset, b.size, K_IPC,
                                     dev, ctx);
    return CUDA_SUCCESS;
}

#ifndef FAKE_CUDA_INCOMPLETE
FAKE_EXPORT CUresult cuIpcOpenMemHandle_v2(CUdeviceptr *dptr,
                                           CUipcMemHandle handle,
                                           unsigned int flags) {
    FAKE_ENTER(cuIpcOpenMemHandle_v2);
    return ipc_open(dptr, handle, flags);
}
#else
FAKE_EXPORT CUresult cuIpcOpenMemHandle(CUdeviceptr *dptr,
                                        CUipcMemHandle handle,
                                        unsigned int flags) {
    FAKE_ENTER(cuIpcOpenMemHandle_v2);
    return ipc_open(dptr, handle, flags);
}
#endif

FAKE_EXPORT CUresult cuIpcCloseMemHandle(CUdeviceptr dptr) {
    FAKE_ENTER(cuIpcCloseMemHandle);
    int dev;
    if (!fake_current_ctx(&dev)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    pthread_mutex_lock(&mem_lock);
    rec_t *r = rec_take((uintptr_t)dptr, 1u << K_IPC);
    pthread_mutex_unlock(&mem_lock);
    if (!r) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    munmap(r->map, r->map_len);
    free(r);
    return CUDA_SUCCESS;
}

/* ---- copies (the tests' own use) ---- */

/* Does [p, p + n) lie in one record? */
static bool range_known(uintptr_t p, size_t n) {
    pthread_mutex_lock(&mem_lock);
    rec_t *r = rec_find_range(p);
    bool ok = r && n <= r->size - (p - r->ptr);
    pthread_mutex_unlock(&mem_lock);
    return ok;
}

FAKE_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src,
                                     size_t bytes) {
    FAKE_ENTER(cuMemcpyHtoD_v2);
    int dev;
    if (!fake_current_ctx(&dev)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (!src || !range_known((uintptr_t)dst, bytes)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    memcpy((void *)(uintptr_t)dst, src, bytes);
    return CUDA_SUCCESS;
}

FAKE_EXPORT CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
    FAKE_ENTER(cuMemcpyDtoH_v2);
    int dev;
    if (!fake_current_ctx(&dev)) {
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (!dst || !range_known((uintptr_t)src, bytes)) {
        return CUDA_ERROR_INVALID_VALUE;
    }
    memcpy(dst, (const void *)(uintptr_t)src, bytes);
    return CUDA_SUCCESS;
}
