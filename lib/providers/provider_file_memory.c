/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_file_memory.c -- memory mapped from a regular file
 *
 * The file is opened (created with mode 0600 when missing) at create and
 * used from offset 0 up; whatever it held before shows through the first
 * mappings. A coarse instance hands out the memory. When no freed range
 * fits a request, coarse asks file_grow_cb for a new "window": the next
 * range of the file, made to exist (posix_fallocate for SHARED, so later
 * page faults cannot hit a full file system; a sparse ftruncate for
 * PRIVATE, whose writes never reach the file) and mapped on its own, at an
 * address aligned as requested. Freed ranges go back to coarse and are
 * reused; windows are unmapped only at destroy. An AVL tree of the windows
 * takes an address to its file offset (for purge and IPC).
 *
 * FSDAX: at create an mmap with MAP_SHARED_VALIDATE|MAP_SYNC is tried; when
 * the file system honours it the file is on DAX: SHARED windows are mapped
 * with MAP_SYNC and both page sizes are 2 MiB. EOPNOTSUPP or EINVAL means an
 * ordinary file system: MAP_SHARED and the system page size.
 *
 * purge_force really gives the space back: the range is punched out of the
 * file (fallocate PUNCH_HOLE), after MADV_DONTNEED for PRIVATE mappings
 * (whose written pages are anonymous copies). Reads then see zeros.
 * purge_lazy is not supported (as in the reference).
 *
 * IPC (SHARED only): the handle is the file's absolute path, the offset and
 * the size; opening maps that range of the file with the opening provider's
 * protection. The file is never removed or truncated by the provider: it is
 * the caller's (a handle whose file was removed is an argument error). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_file_memory.h>

#include "core/coarse_internal.h"
#include "core/fork_internal.h"
#include "core/ipc_handle_check_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/protection_internal.h"
#include "util/utils_internal.h"

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

#define FILE_DAX_PAGE_SIZE ((size_t)2 << 20)

struct umf_file_memory_provider_params_t {
    char *path;
    unsigned protection;
    umf_memory_visibility_t visibility;
};

/* One mapped range of the file; windows never overlap and live until
 * destroy, so the tree only grows. */
typedef struct file_window_t {
    struct file_window_t *left;
    struct file_window_t *right;
    int height;
    uintptr_t addr;
    size_t size;
    uint64_t off;
} file_window_t;

typedef struct file_provider_t {
    coarse_t *coarse;    /* first: the coarse_provider_* ops find it there */
    char path[PATH_MAX]; /* absolute */
    int fd;
    unsigned protection;
    int prot;
    umf_memory_visibility_t visibility;
    int map_flags; /* MAP_PRIVATE, MAP_SHARED or MAP_SHARED_VALIDATE|MAP_SYNC */
    bool fsdax;
    size_t page_size;
    pthread_rwlock_t lock; /* windows, file_end, file_size */
    file_window_t *windows;
    uint64_t file_end;  /* first offset no window uses */
    uint64_t file_size; /* the file's size as far as we know */
    /* the IPC functions use the coarse lock and the windows outside the
     * fork gate: both are held across fork (lib/core/fork_internal.h) */
    umf_fork_handler_t fork;
} file_provider_t;
_Static_assert(offsetof(file_provider_t, coarse) == 0, "coarse_provider_* ops");

/* The IPC handle: fixed-width fields. */
typedef struct file_ipc_data_t {
    char path[PATH_MAX];
    uint64_t offset;
    uint64_t size;
    uint32_t protection;
    uint32_t visibility;
} file_ipc_data_t;

static __thread utils_native_error_t file_native_error;

static const char *const file_native_error_str[] = {
    [UMF_FILE_RESULT_SUCCESS - UMF_FILE_RESULTS_START_FROM] = "success",
    [UMF_FILE_RESULT_ERROR_ALLOC_FAILED - UMF_FILE_RESULTS_START_FROM] =
        "memory allocation failed",
    [UMF_FILE_RESULT_ERROR_FREE_FAILED - UMF_FILE_RESULTS_START_FROM] =
        "memory deallocation failed",
    [UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED - UMF_FILE_RESULTS_START_FROM] =
        "force purging failed",
};

static void file_store_native_error(umf_file_memory_provider_native_error_t c,
                                    int err_no) {
    utils_native_error_set(
        &file_native_error, (int32_t)c,
        file_native_error_str[c - UMF_FILE_RESULTS_START_FROM], err_no);
}

/* ---------------------------------------------------------------------- */
/* Parameters                                                             */
/* ---------------------------------------------------------------------- */

static umf_result_t file_copy_path(const char *path, char **out) {
    if (path == NULL || path[0] == '\0') {
        LOG_ERR("the file path must not be NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (strnlen(path, PATH_MAX) >= PATH_MAX) {
        LOG_ERR("the file path is longer than %d bytes", PATH_MAX - 1);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    char *copy = umf_ba_strdup(path);
    if (!copy) {
        LOG_ERR("copying the file path failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *out = copy;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsCreate(
    umf_file_memory_provider_params_handle_t *hParams, const char *path) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char *copy = NULL;
    umf_result_t ret = file_copy_path(path, &copy);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    umf_file_memory_provider_params_handle_t p = umf_ba_calloc(1, sizeof(*p));
    if (!p) {
        umf_ba_free(copy);
        LOG_ERR("allocating file memory provider params failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->path = copy;
    p->protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    p->visibility = UMF_MEM_MAP_PRIVATE;
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsDestroy(
    umf_file_memory_provider_params_handle_t hParams) {
    if (hParams) {
        umf_ba_free(hParams->path);
        umf_ba_free(hParams);
    }
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetPath(
    umf_file_memory_provider_params_handle_t hParams, const char *path) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char *copy = NULL;
    umf_result_t ret = file_copy_path(path, &copy);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }
    umf_ba_free(hParams->path);
    hParams->path = copy;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetProtection(
    umf_file_memory_provider_params_handle_t hParams, unsigned protection) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = utils_check_protection(protection);
    if (ret == UMF_RESULT_SUCCESS) {
        hParams->protection = protection;
    }
    return ret;
}

UMF_EXPORT umf_result_t umfFileMemoryProviderParamsSetVisibility(
    umf_file_memory_provider_params_handle_t hParams,
    umf_memory_visibility_t visibility) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_result_t ret = utils_check_visibility(visibility);
    if (ret == UMF_RESULT_SUCCESS) {
        hParams->visibility = visibility;
    }
    return ret;
}

/* ---------------------------------------------------------------------- */
/* Windows: insert-only AVL tree keyed by address                         */
/* ---------------------------------------------------------------------- */

static int win_height(const file_window_t *w) { return w ? w->height : 0; }

static void win_update(file_window_t *w) {
    w->height = 1 + UMF_MAX(win_height(w->left), win_height(w->right));
}

static file_window_t *win_rotate_right(file_window_t *y) {
    file_window_t *x = y->left;
    y->left = x->right;
    x->right = y;
    win_update(y);
    win_update(x);
    return x;
}

static file_window_t *win_rotate_left(file_window_t *x) {
    file_window_t *y = x->right;
    x->right = y->left;
    y->left = x;
    win_update(x);
    win_update(y);
    return y;
}

static file_window_t *win_insert(file_window_t *root, file_window_t *n) {
    if (!root) {
        return n;
    }
    if (n->addr < root->addr) {
        root->left = win_insert(root->left, n);
    } else {
        root->right = win_insert(root->right, n);
    }
    win_update(root);
    int bal = win_height(root->left) - win_height(root->right);
    if (bal > 1) {
        if (win_height(root->left->left) < win_height(root->left->right)) {
            root->left = win_rotate_left(root->left);
        }
        return win_rotate_right(root);
    }
    if (bal < -1) {
        if (win_height(root->right->right) < win_height(root->right->left)) {
            root->right = win_rotate_right(root->right);
        }
        return win_rotate_left(root);
    }
    return root;
}

/* The window holding all of [addr, addr+size), or NULL. */
static const file_window_t *win_find(const file_window_t *n, uintptr_t addr,
                                     size_t size) {
    const file_window_t *best = NULL;
    while (n) {
        if (n->addr <= addr) {
            best = n;
            n = n->right;
        } else {
            n = n->left;
        }
    }
    if (!best || addr - best->addr >= best->size ||
        size > best->size - (addr - best->addr)) {
        return NULL;
    }
    return best;
}

static void win_free_all(file_window_t *n) {
    while (n) {
        win_free_all(n->left);
        file_window_t *r = n->right;
        umf_ba_free(n);
        n = r;
    }
}

/* ---------------------------------------------------------------------- */
/* Mapping helpers                                                        */
/* ---------------------------------------------------------------------- */

/* Map len bytes of fd at off at an address that is a multiple of align (a
 * power of two); MAP_FAILED with errno on failure. */
static void *file_map_aligned(size_t len, size_t align, int prot, int flags,
                              int fd, uint64_t off) {
    size_t sys_page = utils_page_size();
    if (align <= sys_page) {
        return mmap(NULL, len, prot, flags, fd, (off_t)off);
    }
    size_t rlen;
    if (utils_add_overflow(len, align, &rlen)) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    void *r = mmap(NULL, rlen, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r == MAP_FAILED) {
        return MAP_FAILED;
    }
    uintptr_t base = (uintptr_t)r;
    uintptr_t aligned = utils_align_ptr_up(base, align);
    void *p =
        mmap((void *)aligned, len, prot, flags | MAP_FIXED, fd, (off_t)off);
    int err = errno;
    if (aligned > base) {
        (void)munmap(r, aligned - base);
    }
    uintptr_t end = utils_align_ptr_up(aligned + len, sys_page);
    if (base + rlen > end) {
        (void)munmap((void *)end, base + rlen - end);
    }
    if (p == MAP_FAILED) {
        (void)munmap((void *)aligned, len);
        errno = err;
        return MAP_FAILED;
    }
    return p;
}

/* fork(2): the coarse lock, then the windows' lock (the coarse grow
 * callback takes them in that order) */
static void file_fork_prepare(void *arg) {
    file_provider_t *fp = arg;
    coarse_fork_prepare(fp->coarse);
    pthread_rwlock_wrlock(&fp->lock);
}

static void file_fork_parent(void *arg) {
    file_provider_t *fp = arg;
    pthread_rwlock_unlock(&fp->lock);
    coarse_fork_parent(fp->coarse);
}

/* an rwlock is not unlocked by another thread id: made anew */
static void file_fork_child(void *arg) {
    file_provider_t *fp = arg;
    pthread_rwlock_init(&fp->lock, NULL);
    coarse_fork_child(fp->coarse);
}

/* ---------------------------------------------------------------------- */
/* coarse callbacks                                                       */
/* ---------------------------------------------------------------------- */

/* A new window of size bytes (page rounded) at the end of the used file;
 * called with the coarse lock held. */
static umf_result_t file_grow_cb(void *provider, size_t size, size_t alignment,
                                 void **ptr) {
    file_provider_t *fp = provider;
    file_window_t *w = umf_ba_calloc(1, sizeof(*w));
    if (!w) {
        LOG_ERR("allocating a window record failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    pthread_rwlock_wrlock(&fp->lock);
    umf_result_t ret = UMF_RESULT_SUCCESS;
    uint64_t off = fp->file_end;
    uint64_t end;
    if (__builtin_add_overflow(off, (uint64_t)size, &end) ||
        end > (uint64_t)INT64_MAX) {
        LOG_ERR("the file cannot grow by %zu more bytes", size);
        ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        goto fail;
    }
    int err = 0;
    if (fp->visibility == UMF_MEM_MAP_SHARED) {
        /* the blocks exist from now on: no SIGBUS on a full file system */
        err = posix_fallocate(fp->fd, (off_t)off, (off_t)size);
    } else if (end > fp->file_size && ftruncate(fp->fd, (off_t)end) != 0) {
        err = errno;
    }
    if (err) {
        file_store_native_error(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("extending %s to %llu bytes failed: %s", fp->path,
                (unsigned long long)end, strerror(err));
        ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        goto fail;
    }
    fp->file_size = UMF_MAX(fp->file_size, end);

    void *addr =
        file_map_aligned(size, alignment, fp->prot, fp->map_flags, fp->fd, off);
    if (addr == MAP_FAILED) {
        err = errno;
        file_store_native_error(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping %zu bytes of %s at offset %llu failed: %s", size,
                fp->path, (unsigned long long)off, strerror(err));
        ret = UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
        goto fail;
    }
    w->addr = (uintptr_t)addr;
    w->size = size;
    w->off = off;
    w->height = 1;
    fp->windows = win_insert(fp->windows, w);
    fp->file_end = end;
    pthread_rwlock_unlock(&fp->lock);
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
fail:
    pthread_rwlock_unlock(&fp->lock);
    umf_ba_free(w);
    return ret;
}

/* Give a window back (coarse_delete, at destroy). */
static umf_result_t file_unmap_cb(void *provider, void *ptr, size_t size) {
    (void)provider;
    if (munmap(ptr, size) != 0) {
        int err = errno;
        file_store_native_error(UMF_FILE_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping the window %p (%zu bytes) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* ---------------------------------------------------------------------- */
/* Create and destroy                                                     */
/* ---------------------------------------------------------------------- */

/* Does the file system honour MAP_SYNC (FSDAX)? */
static bool file_is_fsdax(int fd) {
    size_t len = utils_page_size();
    void *p = mmap(NULL, len, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);
    if (p == MAP_FAILED) {
        if (errno != EOPNOTSUPP && errno != EINVAL) {
            LOG_PWARN("probing the file for DAX failed");
        }
        return false;
    }
    (void)munmap(p, len);
    return true;
}

static umf_result_t file_initialize(void *params, void **provider) {
    UMF_CHECK(params != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const struct umf_file_memory_provider_params_t *in = params;
    if (in->path == NULL || in->path[0] == '\0') {
        LOG_ERR("the file path must not be NULL or empty");
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    umf_result_t ret = utils_check_protection(in->protection);
    if (ret == UMF_RESULT_SUCCESS) {
        ret = utils_check_visibility(in->visibility);
    }
    if (ret != UMF_RESULT_SUCCESS) {
        return ret;
    }

    file_provider_t *fp = umf_ba_calloc(1, sizeof(*fp));
    if (!fp) {
        LOG_ERR("allocating the file memory provider failed");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    fp->fd = open(in->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fp->fd < 0) {
        LOG_PERR("cannot open or create %s", in->path);
        goto err_free;
    }
    struct stat st;
    if (fstat(fp->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        LOG_ERR("%s is not a regular file", in->path);
        goto err_close;
    }
    if (realpath(in->path, fp->path) == NULL) {
        LOG_PERR("cannot resolve %s", in->path);
        goto err_close;
    }
    fp->file_size = (uint64_t)st.st_size;
    fp->protection = in->protection;
    fp->prot = utils_protection_to_mmap(in->protection);
    fp->visibility = in->visibility;
    fp->fsdax = file_is_fsdax(fp->fd);
    fp->page_size = fp->fsdax ? FILE_DAX_PAGE_SIZE : utils_page_size();
    if (in->visibility == UMF_MEM_MAP_PRIVATE) {
        fp->map_flags = MAP_PRIVATE;
    } else {
        fp->map_flags =
            fp->fsdax ? (MAP_SHARED_VALIDATE | MAP_SYNC) : MAP_SHARED;
    }
    if (pthread_rwlock_init(&fp->lock, NULL) != 0) {
        LOG_ERR("initialising the provider lock failed");
        ret = UMF_RESULT_ERROR_UNKNOWN;
        goto err_close;
    }

    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = fp;
    cp.cb.alloc = file_grow_cb;
    cp.cb.free = file_unmap_cb;
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = fp->page_size;
    cp.name = "FILE";
    ret = coarse_new(&cp, &fp->coarse);
    if (ret != UMF_RESULT_SUCCESS) {
        goto err_lock;
    }
    fp->fork = (umf_fork_handler_t){
        .prepare = file_fork_prepare,
        .parent = file_fork_parent,
        .child = file_fork_child,
        .arg = fp,
        .level = UMF_FORK_LEVEL_PROVIDER,
    };
    umf_fork_register(&fp->fork);
    LOG_DEBUG("file provider on %s: %s, %s, page size %zu", fp->path,
              fp->fsdax ? "FSDAX" : "not DAX",
              fp->visibility == UMF_MEM_MAP_SHARED ? "shared" : "private",
              fp->page_size);
    *provider = fp;
    return UMF_RESULT_SUCCESS;

err_lock:
    pthread_rwlock_destroy(&fp->lock);
err_close:
    close(fp->fd);
err_free:
    umf_ba_free(fp);
    return ret;
}

static void file_finalize(void *provider) {
    file_provider_t *fp = provider;
    if (!fp) {
        return;
    }
    umf_fork_unregister(&fp->fork);
    coarse_delete(fp->coarse); /* unmaps every window */
    win_free_all(fp->windows);
    pthread_rwlock_destroy(&fp->lock);
    close(fp->fd);
    umf_ba_free(fp);
}

/* ---------------------------------------------------------------------- */
/* Ops                                                                    */
/* ---------------------------------------------------------------------- */

static void file_get_last_native_error(void *provider, const char **ppMessage,
                                       int32_t *pError) {
    (void)provider;
    utils_native_error_get(&file_native_error, ppMessage, pError);
}

static umf_result_t file_get_recommended_page_size(void *provider, size_t size,
                                                   size_t *pageSize) {
    (void)size;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = ((file_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_get_min_page_size(void *provider, void *ptr,
                                           size_t *pageSize) {
    (void)ptr;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = ((file_provider_t *)provider)->page_size;
    return UMF_RESULT_SUCCESS;
}

static const char *file_get_name(void *provider) {
    (void)provider;
    return "FILE";
}

/* A size that no file can hold once rounded up to the page, with room for
 * a valid alignment, is an argument error, not a shortage (as in the
 * reference); a bad alignment is left to coarse (INVALID_ALIGNMENT). */
static umf_result_t file_alloc(void *provider, size_t size, size_t alignment,
                               void **resultPtr) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t need;
    if ((alignment == 0 || utils_is_power_of_2(alignment)) &&
        (utils_add_overflow(size, ((file_provider_t *)provider)->page_size - 1,
                            &need) ||
         utils_add_overflow(need, alignment, &need) ||
         need > (size_t)INT64_MAX)) {
        LOG_ERR("%zu bytes aligned to %zu do not fit in a file", size,
                alignment);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return coarse_provider_alloc(provider, size, alignment, resultPtr);
}

/* The file offset of [ptr, ptr+size), which must lie in one window. */
static bool file_offset_of(file_provider_t *fp, const void *ptr, size_t size,
                           uint64_t *off) {
    pthread_rwlock_rdlock(&fp->lock);
    const file_window_t *w = win_find(fp->windows, (uintptr_t)ptr, size);
    if (w) {
        *off = w->off + ((uintptr_t)ptr - w->addr);
    }
    pthread_rwlock_unlock(&fp->lock);
    return w != NULL;
}

static umf_result_t file_purge_force(void *provider, void *ptr, size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_provider_t *fp = provider;
    uint64_t off;
    if (!file_offset_of(fp, ptr, size, &off)) {
        file_store_native_error(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED,
                                EINVAL);
        LOG_ERR("[%p, +%zu) is not memory of this provider", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    /* private mappings: drop the anonymous copies of written pages */
    if (fp->visibility == UMF_MEM_MAP_PRIVATE &&
        madvise(ptr, size, MADV_DONTNEED) != 0) {
        int err = errno;
        file_store_native_error(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED, err);
        LOG_PERR("madvise(%p, %zu, MADV_DONTNEED) failed", ptr, size);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    /* and free the file's blocks (this also zaps shared mappings) */
    if (fallocate(fp->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  (off_t)off, (off_t)size) != 0) {
        int err = errno;
        if (fp->visibility == UMF_MEM_MAP_PRIVATE && err == EOPNOTSUPP) {
            /* the mapping reads zeros anyway: the blocks hold zeros */
            return UMF_RESULT_SUCCESS;
        }
        file_store_native_error(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED, err);
        LOG_PERR("punching [%llu, +%zu) out of %s failed",
                 (unsigned long long)off, size, fp->path);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

/* Every IPC op, the size query included, refuses PRIVATE visibility. */
static umf_result_t file_ipc_private_error(const char *what) {
    LOG_ERR("%s: memory of a file provider with UMF_MEM_MAP_PRIVATE "
            "visibility cannot be shared",
            what);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

/* The blob's own consistency, checked without opening anything. */
static bool file_ipc_blob_ok(const file_ipc_data_t *d) {
    uint64_t end;
    bool ok = strnlen(d->path, sizeof(d->path)) < sizeof(d->path) &&
              d->path[0] == '/' && d->size != 0 && d->size <= SIZE_MAX &&
              d->offset % utils_page_size() == 0 &&
              !__builtin_add_overflow(d->offset, d->size, &end) &&
              end <= (uint64_t)INT64_MAX &&
              d->visibility == UMF_MEM_MAP_SHARED;
    if (!ok) {
        LOG_ERR("malformed IPC handle of the file memory provider");
    }
    return ok;
}

static umf_result_t file_ipc_describe(const void *blob, size_t blob_size,
                                      ipc_blob_desc_t *desc) {
    const file_ipc_data_t *d = blob;
    if (blob_size != sizeof(*d) || !file_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    desc->mapped_size = d->size;
    desc->pid = 0; /* a file handle names no process */
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_open_ipc_handle(void *provider, void *providerIpcData,
                                         void **ptr);
static pthread_once_t file_ipc_describer_once = PTHREAD_ONCE_INIT;
static void file_ipc_register_describer(void) {
    ipc_register_blob_describer(file_open_ipc_handle, file_ipc_describe);
}

static umf_result_t file_get_ipc_handle_size(void *provider, size_t *size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (((file_provider_t *)provider)->visibility != UMF_MEM_MAP_SHARED) {
        return file_ipc_private_error("get_ipc_handle_size");
    }
    /* a consumer asks this before it opens (see ipc_handle_check) */
    pthread_once(&file_ipc_describer_once, file_ipc_register_describer);
    *size = sizeof(file_ipc_data_t);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_get_ipc_handle(void *provider, const void *ptr,
                                        size_t size, void *providerIpcData) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_provider_t *fp = provider;
    if (fp->visibility != UMF_MEM_MAP_SHARED) {
        return file_ipc_private_error("get_ipc_handle");
    }
    uint64_t off;
    if (size == 0 || !coarse_is_allocated_range(fp->coarse, ptr, size) ||
        !file_offset_of(fp, ptr, size, &off)) {
        LOG_ERR("[%p, +%zu) is not allocated memory of this provider", ptr,
                size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    file_ipc_data_t *d = providerIpcData;
    memset(d, 0, sizeof(*d));
    memcpy(d->path, fp->path, strlen(fp->path) + 1);
    d->offset = off;
    d->size = size;
    d->protection = fp->protection;
    d->visibility = (uint32_t)fp->visibility;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_put_ipc_handle(void *provider, void *providerIpcData) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_provider_t *fp = provider;
    if (fp->visibility != UMF_MEM_MAP_SHARED) {
        return file_ipc_private_error("put_ipc_handle");
    }
    const file_ipc_data_t *d = providerIpcData;
    if (strncmp(d->path, fp->path, sizeof(d->path)) != 0) {
        LOG_ERR("the IPC handle belongs to another file (%.*s)",
                (int)strnlen(d->path, sizeof(d->path)), d->path);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_open_ipc_handle(void *provider, void *providerIpcData,
                                         void **ptr) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(providerIpcData != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_provider_t *fp = provider;
    if (fp->visibility != UMF_MEM_MAP_SHARED) {
        return file_ipc_private_error("open_ipc_handle");
    }
    const file_ipc_data_t *d = providerIpcData;
    if (!file_ipc_blob_ok(d)) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    int fd = open(d->path,
                  ((fp->prot & PROT_WRITE) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        LOG_PERR("opening %s for an IPC handle failed", d->path);
        if (err == ENOENT || err == ENOTDIR) {
            return UMF_RESULT_ERROR_INVALID_ARGUMENT; /* the file is gone */
        }
        file_store_native_error(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    /* mapping past the file's end would give SIGBUS on the first touch */
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size < d->offset + d->size) {
        LOG_ERR("IPC handle names %llu bytes at offset %llu of %s, which "
                "does not hold them",
                (unsigned long long)d->size, (unsigned long long)d->offset,
                d->path);
        close(fd);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    void *addr = mmap(NULL, (size_t)d->size, fp->prot,
                      MAP_SHARED_VALIDATE | MAP_SYNC, fd, (off_t)d->offset);
    if (addr == MAP_FAILED && (errno == EOPNOTSUPP || errno == EINVAL)) {
        /* not on DAX: a plain shared mapping */
        addr = mmap(NULL, (size_t)d->size, fp->prot, MAP_SHARED, fd,
                    (off_t)d->offset);
    }
    int err = errno;
    close(fd);
    if (addr == MAP_FAILED) {
        file_store_native_error(UMF_FILE_RESULT_ERROR_ALLOC_FAILED, err);
        LOG_ERR("mapping %llu bytes of %s at offset %llu failed: %s",
                (unsigned long long)d->size, d->path,
                (unsigned long long)d->offset, strerror(err));
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    *ptr = addr;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t file_close_ipc_handle(void *provider, void *ptr,
                                          size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_provider_t *fp = provider;
    if (fp->visibility != UMF_MEM_MAP_SHARED) {
        return file_ipc_private_error("close_ipc_handle");
    }
    if (munmap(ptr, size) != 0) {
        int err = errno;
        file_store_native_error(UMF_FILE_RESULT_ERROR_FREE_FAILED, err);
        LOG_PERR("unmapping the opened IPC handle %p failed", ptr);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_memory_provider_ops_t file_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = file_initialize,
    .finalize = file_finalize,
    .alloc = file_alloc,
    .free = coarse_provider_free,
    .get_last_native_error = file_get_last_native_error,
    .get_recommended_page_size = file_get_recommended_page_size,
    .get_min_page_size = file_get_min_page_size,
    .get_name = file_get_name,
    .ext =
        {
            .purge_lazy = NULL, /* the front-end answers NOT_SUPPORTED */
            .purge_force = file_purge_force,
            .allocation_merge = coarse_provider_merge,
            .allocation_split = coarse_provider_split,
        },
    .ipc =
        {
            .get_ipc_handle_size = file_get_ipc_handle_size,
            .get_ipc_handle = file_get_ipc_handle,
            .put_ipc_handle = file_put_ipc_handle,
            .open_ipc_handle = file_open_ipc_handle,
            .close_ipc_handle = file_close_ipc_handle,
        },
};

UMF_EXPORT umf_memory_provider_ops_t *umfFileMemoryProviderOps(void) {
    return &file_ops;
}
