/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* custom_provider.c -- writing your own memory provider.
 *
 * A provider is a table of functions (umf_memory_provider_ops_t) that hands
 * out coarse ranges of memory. This one takes its memory from mmap and
 * counts what it hands out; a real one might talk to a device driver. Pools
 * then sit on top of it exactly as on the providers shipped with libumf.
 *
 * Build: cc custom_provider.c $(pkg-config --cflags --libs umf) */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf.h>
#include <umf/pools/pool_proxy.h>

/* The provider's private state: what initialize returns, and what every
 * other operation receives as its first argument. */
struct counting_mmap {
    size_t live_bytes;
    int last_errno;
};

static umf_result_t cm_initialize(void *params, void **provider) {
    static struct counting_mmap state; /* one instance is enough here */
    (void)params;
    memset(&state, 0, sizeof(state));
    *provider = &state;
    return UMF_RESULT_SUCCESS;
}

static void cm_finalize(void *provider) { (void)provider; }

static umf_result_t cm_alloc(void *provider, size_t size, size_t alignment,
                             void **ptr) {
    struct counting_mmap *cm = provider;
    /* mmap gives page-aligned memory; refuse what we cannot honour */
    if (alignment > (size_t)sysconf(_SC_PAGESIZE)) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        cm->last_errno = 1; /* reported by get_last_native_error */
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    cm->live_bytes += size;
    *ptr = p;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cm_free(void *provider, void *ptr, size_t size) {
    struct counting_mmap *cm = provider;
    if (ptr && munmap(ptr, size) != 0) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    cm->live_bytes -= ptr ? size : 0;
    return UMF_RESULT_SUCCESS;
}

static void cm_get_last_native_error(void *provider, const char **msg,
                                     int32_t *err) {
    struct counting_mmap *cm = provider;
    *msg = cm->last_errno ? "mmap failed" : "no error";
    *err = cm->last_errno;
}

static umf_result_t cm_page_size(void *provider, size_t size,
                                 size_t *page_size) {
    (void)provider;
    (void)size;
    *page_size = (size_t)sysconf(_SC_PAGESIZE);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t cm_min_page_size(void *provider, void *ptr,
                                     size_t *page_size) {
    (void)ptr;
    return cm_page_size(provider, 0, page_size);
}

static const char *cm_get_name(void *provider) {
    (void)provider;
    return "counting-mmap";
}

/* Optional operations go in .ext and .ipc; leaving them out makes the
 * matching umfMemoryProvider* calls return UMF_RESULT_ERROR_NOT_SUPPORTED. */
static umf_result_t cm_purge_force(void *provider, void *ptr, size_t size) {
    (void)provider;
    return madvise(ptr, size, MADV_DONTNEED) == 0
               ? UMF_RESULT_SUCCESS
               : UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

static const umf_memory_provider_ops_t counting_mmap_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = cm_initialize,
    .finalize = cm_finalize,
    .alloc = cm_alloc,
    .free = cm_free,
    .get_last_native_error = cm_get_last_native_error,
    .get_recommended_page_size = cm_page_size,
    .get_min_page_size = cm_min_page_size,
    .get_name = cm_get_name,
    .ext.purge_force = cm_purge_force,
};

int main(void) {
    umf_memory_provider_handle_t provider;
    umf_result_t ret =
        umfMemoryProviderCreate(&counting_mmap_ops, NULL, &provider);
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfMemoryProviderCreate failed: %d\n", (int)ret);
        return 1;
    }
    printf("Created provider \"%s\".\n", umfMemoryProviderGetName(provider));

    /* The pool owns the provider: destroying the pool destroys it. */
    umf_memory_pool_handle_t pool;
    ret = umfPoolCreate(umfProxyPoolOps(), provider, NULL,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfPoolCreate failed: %d\n", (int)ret);
        umfMemoryProviderDestroy(provider);
        return 1;
    }

    char *buf = umfPoolMalloc(pool, 3 * 4096);
    if (!buf) {
        fprintf(stderr, "umfPoolMalloc failed\n");
        umfPoolDestroy(pool);
        return 1;
    }
    strcpy(buf, "hello from a user-written provider");
    printf("Allocated 12 KiB through it and wrote: %s\n", buf);

    /* The library tracks the allocation: any interior pointer maps back. */
    if (umfPoolByPtr(buf + 5000) != pool) {
        fprintf(stderr, "umfPoolByPtr did not find the pool\n");
        return 1;
    }
    printf("umfPoolByPtr found the pool from an interior pointer.\n");

    /* The optional purge operation is reachable through the front-end. */
    ret = umfMemoryProviderPurgeForce(provider, buf, 4096);
    printf("Purged the first page: %s.\n",
           ret == UMF_RESULT_SUCCESS ? "ok" : "failed");
    ret = umfMemoryProviderPurgeLazy(provider, buf, 4096);
    printf("Lazy purge, which this provider leaves out: %s.\n",
           ret == UMF_RESULT_ERROR_NOT_SUPPORTED ? "not supported, as expected"
                                                 : "unexpected result");

    if (umfFree(buf) != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfFree failed\n");
        return 1;
    }
    printf("Freed it with umfFree.\n");
    umfPoolDestroy(pool);
    printf("All steps succeeded.\n");
    return 0;
}
