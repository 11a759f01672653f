/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_source_compat.c -- a provider and a pool written the way a UMF v0.11
 * user writes them (plain C99, designated initialisers naming the nested
 * ext/ipc members), plus compile-time checks of the ABI: enum values,
 * version macros and the member order of the ops structs.
 *
 * Built with -std=c99 -pedantic (tests/local.mk): nothing here may need
 * GNU or POSIX extensions. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_pool_ops.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_gpu.h>
#include <umf/memory_provider_ops.h>
#include <umf/mempolicy.h>
#include <umf/memspace.h>
#include <umf/memtarget.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_cuda.h>
#include <umf/providers/provider_devdax_memory.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_level_zero.h>
#include <umf/providers/provider_os_memory.h>

#include "test_helpers.h"

/* ============================ compile-time ABI ============================ */

#define COMPAT_ASSERT(cond, name)                                              \
    typedef char compat_assert_##name[(cond) ? 1 : -1]

/* versions */
COMPAT_ASSERT(UMF_VERSION_CURRENT == 11, version_current);
COMPAT_ASSERT(UMF_MAKE_VERSION(0, 11) == 0x0000000B, make_version_0_11);
COMPAT_ASSERT(UMF_MAKE_VERSION(1, 2) == 0x00010002, make_version_1_2);
COMPAT_ASSERT(UMF_MAJOR_VERSION(UMF_MAKE_VERSION(3, 7)) == 3, major);
COMPAT_ASSERT(UMF_MINOR_VERSION(UMF_MAKE_VERSION(3, 7)) == 7, minor);
COMPAT_ASSERT(UMF_MINOR_VERSION(0x1ffff) == 0xffff, minor_mask);
COMPAT_ASSERT(UMF_PROVIDER_OPS_VERSION_CURRENT == 11, provider_ops_version);
COMPAT_ASSERT(UMF_POOL_OPS_VERSION_CURRENT == 11, pool_ops_version);

/* umf_result_t */
COMPAT_ASSERT(UMF_RESULT_SUCCESS == 0, r0);
COMPAT_ASSERT(UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY == 1, r1);
COMPAT_ASSERT(UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC == 2, r2);
COMPAT_ASSERT(UMF_RESULT_ERROR_INVALID_ARGUMENT == 3, r3);
COMPAT_ASSERT(UMF_RESULT_ERROR_INVALID_ALIGNMENT == 4, r4);
COMPAT_ASSERT(UMF_RESULT_ERROR_NOT_SUPPORTED == 5, r5);
COMPAT_ASSERT(UMF_RESULT_ERROR_USER_SPECIFIC == 6, r6);
COMPAT_ASSERT(UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE == 7, r7);
COMPAT_ASSERT(UMF_RESULT_ERROR_OUT_OF_RESOURCES == 8, r8);
COMPAT_ASSERT(UMF_RESULT_ERROR_UNKNOWN == 0x7ffffffe, runknown);
COMPAT_ASSERT(sizeof(umf_result_t) == sizeof(int), result_size);

/* pool flags */
COMPAT_ASSERT(UMF_POOL_CREATE_FLAG_NONE == 0, flag_none);
COMPAT_ASSERT(UMF_POOL_CREATE_FLAG_OWN_PROVIDER == 1, flag_own);
COMPAT_ASSERT(UMF_POOL_CREATE_FLAG_DISABLE_TRACKING == 2, flag_notrack);
COMPAT_ASSERT(UMF_POOL_CREATE_FLAG_FORCE_UINT32 == 0x7fffffff, flag_force);
COMPAT_ASSERT(sizeof(umf_pool_create_flags_t) == 4, flags_size);

/* provider enums */
COMPAT_ASSERT(UMF_MEM_MAP_PRIVATE == 1, vis_private);
COMPAT_ASSERT(UMF_MEM_MAP_SHARED == 2, vis_shared);
COMPAT_ASSERT(UMF_PROTECTION_NONE == 1, prot_none);
COMPAT_ASSERT(UMF_PROTECTION_READ == 2, prot_read);
COMPAT_ASSERT(UMF_PROTECTION_WRITE == 4, prot_write);
COMPAT_ASSERT(UMF_PROTECTION_EXEC == 8, prot_exec);
COMPAT_ASSERT(UMF_PROTECTION_MAX == 9, prot_max);
COMPAT_ASSERT(UMF_MEMORY_TYPE_UNKNOWN == 0, usm_unknown);
COMPAT_ASSERT(UMF_MEMORY_TYPE_HOST == 1, usm_host);
COMPAT_ASSERT(UMF_MEMORY_TYPE_DEVICE == 2, usm_device);
COMPAT_ASSERT(UMF_MEMORY_TYPE_SHARED == 3, usm_shared);
COMPAT_ASSERT(UMF_NUMA_MODE_DEFAULT == 0, numa_default);
COMPAT_ASSERT(UMF_NUMA_MODE_BIND == 1, numa_bind);
COMPAT_ASSERT(UMF_NUMA_MODE_INTERLEAVE == 2, numa_interleave);
COMPAT_ASSERT(UMF_NUMA_MODE_PREFERRED == 3, numa_preferred);
COMPAT_ASSERT(UMF_NUMA_MODE_SPLIT == 4, numa_split);
COMPAT_ASSERT(UMF_NUMA_MODE_LOCAL == 5, numa_local);
COMPAT_ASSERT(UMF_MEMPOLICY_INTERLEAVE == 0, pol_interleave);
COMPAT_ASSERT(UMF_MEMPOLICY_BIND == 1, pol_bind);
COMPAT_ASSERT(UMF_MEMPOLICY_PREFERRED == 2, pol_preferred);
COMPAT_ASSERT(UMF_MEMPOLICY_SPLIT == 3, pol_split);
COMPAT_ASSERT(UMF_MEMTARGET_TYPE_UNKNOWN == 0, mt_unknown);
COMPAT_ASSERT(UMF_MEMTARGET_TYPE_NUMA == 1, mt_numa);
COMPAT_ASSERT(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFAULT == 0, l0_d);
COMPAT_ASSERT(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_BLOCKING_FREE == 1,
              l0_b);
COMPAT_ASSERT(UMF_LEVEL_ZERO_MEMORY_PROVIDER_FREE_POLICY_DEFER_FREE == 2, l0_f);
COMPAT_ASSERT(UMF_DISJOINT_POOL_MIN_BUCKET_DEFAULT_SIZE == 8, disjoint_min);

/* native error codes */
COMPAT_ASSERT(UMF_OS_RESULTS_START_FROM == 1000, os_base);
COMPAT_ASSERT(UMF_OS_RESULT_SUCCESS == 1000, os0);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_ALLOC_FAILED == 1001, os1);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_ADDRESS_NOT_ALIGNED == 1002, os2);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_BIND_FAILED == 1003, os3);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_FREE_FAILED == 1004, os4);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED == 1005, os5);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED == 1006, os6);
COMPAT_ASSERT(UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED == 1007, os7);
COMPAT_ASSERT(UMF_DEVDAX_RESULTS_START_FROM == 2000, dax_base);
COMPAT_ASSERT(UMF_DEVDAX_RESULT_SUCCESS == 2000, dax0);
COMPAT_ASSERT(UMF_DEVDAX_RESULT_ERROR_ALLOC_FAILED == 2001, dax1);
COMPAT_ASSERT(UMF_DEVDAX_RESULT_ERROR_ADDRESS_NOT_ALIGNED == 2002, dax2);
COMPAT_ASSERT(UMF_DEVDAX_RESULT_ERROR_FREE_FAILED == 2003, dax3);
COMPAT_ASSERT(UMF_DEVDAX_RESULT_ERROR_PURGE_FORCE_FAILED == 2004, dax4);
COMPAT_ASSERT(UMF_FILE_RESULTS_START_FROM == 3000, file_base);
COMPAT_ASSERT(UMF_FILE_RESULT_SUCCESS == 3000, file0);
COMPAT_ASSERT(UMF_FILE_RESULT_ERROR_ALLOC_FAILED == 3001, file1);
COMPAT_ASSERT(UMF_FILE_RESULT_ERROR_FREE_FAILED == 3002, file2);
COMPAT_ASSERT(UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED == 3003, file3);
COMPAT_ASSERT(UMF_FIXED_RESULTS_START_FROM == 4000, fixed_base);
COMPAT_ASSERT(UMF_FIXED_RESULT_SUCCESS == 4000, fixed0);
COMPAT_ASSERT(UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED == 4001, fixed1);

/* split partitions share one layout (upstream casts between them) */
COMPAT_ASSERT(sizeof(umf_numa_split_partition_t) ==
                  sizeof(umf_mempolicy_split_partition_t),
              partition_size);
COMPAT_ASSERT(offsetof(umf_numa_split_partition_t, weight) == 0, part_weight);
COMPAT_ASSERT(offsetof(umf_numa_split_partition_t, target) == sizeof(unsigned),
              part_target);

/* ops structs: every member after version is one pointer, in this order */
#define PTR sizeof(void *)
#define PROV_OFF(m, k)                                                         \
    COMPAT_ASSERT(offsetof(umf_memory_provider_ops_t, m) == (k)*PTR, prov_##k)
COMPAT_ASSERT(offsetof(umf_memory_provider_ops_t, version) == 0, prov_version);
PROV_OFF(initialize, 1);
PROV_OFF(finalize, 2);
PROV_OFF(alloc, 3);
PROV_OFF(free, 4);
PROV_OFF(get_last_native_error, 5);
PROV_OFF(get_recommended_page_size, 6);
PROV_OFF(get_min_page_size, 7);
PROV_OFF(get_name, 8);
PROV_OFF(ext, 9);  /* ext right after get_name */
PROV_OFF(ipc, 13); /* ipc right after ext */
COMPAT_ASSERT(sizeof(umf_memory_provider_ops_t) == 18 * PTR, prov_size);
COMPAT_ASSERT(offsetof(umf_memory_provider_ops_t, ext) >
                  offsetof(umf_memory_provider_ops_t, get_name),
              ext_after_name);
COMPAT_ASSERT(offsetof(umf_memory_provider_ops_t, ipc) >
                  offsetof(umf_memory_provider_ops_t, ext),
              ipc_after_ext);

COMPAT_ASSERT(offsetof(umf_memory_provider_ext_ops_t, purge_lazy) == 0, ext0);
COMPAT_ASSERT(offsetof(umf_memory_provider_ext_ops_t, purge_force) == PTR,
              ext1);
COMPAT_ASSERT(offsetof(umf_memory_provider_ext_ops_t, allocation_merge) ==
                  2 * PTR,
              ext2);
COMPAT_ASSERT(offsetof(umf_memory_provider_ext_ops_t, allocation_split) ==
                  3 * PTR,
              ext3);
COMPAT_ASSERT(offsetof(umf_memory_provider_ext_ops_t, allocation_merge) <
                  offsetof(umf_memory_provider_ext_ops_t, allocation_split),
              merge_before_split);
COMPAT_ASSERT(sizeof(umf_memory_provider_ext_ops_t) == 4 * PTR, ext_size);

COMPAT_ASSERT(offsetof(umf_memory_provider_ipc_ops_t, get_ipc_handle_size) == 0,
              ipc0);
COMPAT_ASSERT(offsetof(umf_memory_provider_ipc_ops_t, get_ipc_handle) == PTR,
              ipc1);
COMPAT_ASSERT(offsetof(umf_memory_provider_ipc_ops_t, put_ipc_handle) ==
                  2 * PTR,
              ipc2);
COMPAT_ASSERT(offsetof(umf_memory_provider_ipc_ops_t, open_ipc_handle) ==
                  3 * PTR,
              ipc3);
COMPAT_ASSERT(offsetof(umf_memory_provider_ipc_ops_t, close_ipc_handle) ==
                  4 * PTR,
              ipc4);
COMPAT_ASSERT(sizeof(umf_memory_provider_ipc_ops_t) == 5 * PTR, ipc_size);

#define POOL_OFF(m, k)                                                         \
    COMPAT_ASSERT(offsetof(umf_memory_pool_ops_t, m) == (k)*PTR, pool_##k)
COMPAT_ASSERT(offsetof(umf_memory_pool_ops_t, version) == 0, pool_version);
POOL_OFF(initialize, 1);
POOL_OFF(finalize, 2);
POOL_OFF(malloc, 3);
POOL_OFF(calloc, 4);
POOL_OFF(realloc, 5);
POOL_OFF(aligned_malloc, 6);
POOL_OFF(malloc_usable_size, 7);
POOL_OFF(free, 8);
POOL_OFF(get_last_allocation_error, 9);
COMPAT_ASSERT(sizeof(umf_memory_pool_ops_t) == 10 * PTR, pool_size);

/* ============================ a user's provider ============================
 */

struct my_provider {
    int magic;
    unsigned purge_lazy, purge_force, merge, split;
    unsigned ipc_size, ipc_get, ipc_put, ipc_open, ipc_close;
    void *last_ptr;
    size_t last_size, last_size2;
    void *last_ptr2;
};

static struct my_provider *g_prov; /* what initialize made, for checks */
static unsigned g_prov_finalized;

#define MY_MAGIC 0x4d59
#define MY_NATIVE_CODE 4321

static umf_result_t my_initialize(void *params, void **provider) {
    struct my_provider *p = calloc(1, sizeof(*p));
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->magic = params ? *(int *)params : 0;
    g_prov = p;
    *provider = p;
    return UMF_RESULT_SUCCESS;
}

static void my_finalize(void *provider) {
    g_prov_finalized++;
    free(provider);
}

/* over-allocate and keep the malloc pointer just below the block */
static umf_result_t my_alloc(void *provider, size_t size, size_t alignment,
                             void **ptr) {
    (void)provider;
    if (alignment == 0) {
        alignment = sizeof(void *);
    }
    if ((alignment & (alignment - 1)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (size > SIZE_MAX - alignment - sizeof(void *)) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    char *raw = malloc(size + alignment + sizeof(void *));
    if (!raw) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    uintptr_t user = (uintptr_t)(raw + sizeof(void *));
    user = (user + alignment - 1) & ~(uintptr_t)(alignment - 1);
    memcpy((char *)user - sizeof(void *), &raw, sizeof(raw));
    *ptr = (void *)user;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_free(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)size;
    if (ptr) {
        char *raw;
        memcpy(&raw, (char *)ptr - sizeof(void *), sizeof(raw));
        free(raw);
    }
    return UMF_RESULT_SUCCESS;
}

static void my_native_error(void *provider, const char **ppMessage,
                            int32_t *pError) {
    (void)provider;
    *ppMessage = "my provider failed";
    *pError = MY_NATIVE_CODE;
}

static umf_result_t my_recommended(void *provider, size_t size,
                                   size_t *pageSize) {
    (void)provider;
    (void)size;
    *pageSize = 4096;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_min(void *provider, void *ptr, size_t *pageSize) {
    (void)provider;
    (void)ptr;
    *pageSize = 64;
    return UMF_RESULT_SUCCESS;
}

static const char *my_name(void *provider) {
    (void)provider;
    return "my_provider";
}

static umf_result_t my_purge_lazy(void *provider, void *ptr, size_t size) {
    struct my_provider *p = provider;
    p->purge_lazy++;
    p->last_ptr = ptr;
    p->last_size = size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_purge_force(void *provider, void *ptr, size_t size) {
    struct my_provider *p = provider;
    p->purge_force++;
    p->last_ptr = ptr;
    p->last_size = size;
    /* pretend the purge failed, to see the native error come through */
    return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

static umf_result_t my_merge(void *provider, void *lowPtr, void *highPtr,
                             size_t totalSize) {
    struct my_provider *p = provider;
    p->merge++;
    p->last_ptr = lowPtr;
    p->last_ptr2 = highPtr;
    p->last_size = totalSize;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_split(void *provider, void *ptr, size_t totalSize,
                             size_t firstSize) {
    struct my_provider *p = provider;
    p->split++;
    p->last_ptr = ptr;
    p->last_size = totalSize;
    p->last_size2 = firstSize;
    return UMF_RESULT_SUCCESS;
}

struct my_ipc_data {
    void *ptr;
    size_t size;
};

static umf_result_t my_ipc_size(void *provider, size_t *size) {
    struct my_provider *p = provider;
    p->ipc_size++;
    *size = sizeof(struct my_ipc_data);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_ipc_get(void *provider, const void *ptr, size_t size,
                               void *providerIpcData) {
    struct my_provider *p = provider;
    struct my_ipc_data *d = providerIpcData;
    p->ipc_get++;
    d->ptr = (void *)(uintptr_t)ptr;
    d->size = size;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_ipc_put(void *provider, void *providerIpcData) {
    struct my_provider *p = provider;
    p->ipc_put++;
    p->last_ptr = providerIpcData;
    return UMF_RESULT_SUCCESS;
}

/* "maps" the producer's bytes: a private copy (one process only) */
static umf_result_t my_ipc_open(void *provider, void *providerIpcData,
                                void **ptr) {
    struct my_provider *p = provider;
    struct my_ipc_data *d = providerIpcData;
    void *copy = malloc(d->size);
    if (!copy) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(copy, d->ptr, d->size);
    p->ipc_open++;
    *ptr = copy;
    return UMF_RESULT_SUCCESS;
}

static umf_result_t my_ipc_close(void *provider, void *ptr, size_t size) {
    struct my_provider *p = provider;
    p->ipc_close++;
    p->last_ptr = ptr;
    p->last_size = size;
    free(ptr);
    return UMF_RESULT_SUCCESS;
}

/* the flat designated-initialiser style */
static umf_memory_provider_ops_t my_provider_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = my_initialize,
    .finalize = my_finalize,
    .alloc = my_alloc,
    .free = my_free,
    .get_last_native_error = my_native_error,
    .get_recommended_page_size = my_recommended,
    .get_min_page_size = my_min,
    .get_name = my_name,
    .ext.purge_lazy = my_purge_lazy,
    .ext.purge_force = my_purge_force,
    .ext.allocation_merge = my_merge,
    .ext.allocation_split = my_split,
    .ipc.get_ipc_handle_size = my_ipc_size,
    .ipc.get_ipc_handle = my_ipc_get,
    .ipc.put_ipc_handle = my_ipc_put,
    .ipc.open_ipc_handle = my_ipc_open,
    .ipc.close_ipc_handle = my_ipc_close,
};

/* the nested-brace style, with only some optional ops */
static const umf_memory_provider_ops_t my_small_provider_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = my_initialize,
    .finalize = my_finalize,
    .alloc = my_alloc,
    .free = my_free,
    .get_last_native_error = my_native_error,
    .get_recommended_page_size = my_recommended,
    .get_min_page_size = my_min,
    .get_name = my_name,
    .ext = {.purge_force = my_purge_force},
};

/* ============================ a user's pool ============================ */

struct my_pool {
    umf_memory_provider_handle_t provider;
};

/* each block: one provider allocation with its size in front */
#define MY_HDR 16

static umf_result_t my_pool_last_error = UMF_RESULT_SUCCESS;

static umf_result_t my_pool_initialize(umf_memory_provider_handle_t provider,
                                       void *params, void **pool) {
    struct my_pool *p = malloc(sizeof(*p));
    (void)params;
    if (!p) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->provider = provider;
    *pool = p;
    return UMF_RESULT_SUCCESS;
}

static void my_pool_finalize(void *pool) { free(pool); }

static void *my_pool_aligned_malloc(void *pool, size_t size, size_t alignment) {
    struct my_pool *p = pool;
    void *raw = NULL;
    umf_result_t r;
    if (alignment > MY_HDR) {
        my_pool_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
        return NULL;
    }
    if (size > SIZE_MAX - MY_HDR) {
        my_pool_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    r = umfMemoryProviderAlloc(p->provider, size + MY_HDR, MY_HDR, &raw);
    if (r != UMF_RESULT_SUCCESS) {
        my_pool_last_error = r;
        return NULL;
    }
    memcpy(raw, &size, sizeof(size));
    return (char *)raw + MY_HDR;
}

static void *my_pool_malloc(void *pool, size_t size) {
    return my_pool_aligned_malloc(pool, size, 0);
}

static void *my_pool_calloc(void *pool, size_t num, size_t size) {
    void *b;
    if (size && num > SIZE_MAX / size) {
        my_pool_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    b = my_pool_malloc(pool, num * size);
    if (b) {
        memset(b, 0, num * size);
    }
    return b;
}

static void *my_pool_realloc(void *pool, void *ptr, size_t size) {
    (void)pool;
    (void)ptr;
    (void)size;
    my_pool_last_error = UMF_RESULT_ERROR_NOT_SUPPORTED;
    return NULL;
}

static size_t my_pool_usable_size(void *pool, void *ptr) {
    size_t size;
    (void)pool;
    memcpy(&size, (char *)ptr - MY_HDR, sizeof(size));
    return size;
}

static umf_result_t my_pool_free(void *pool, void *ptr) {
    struct my_pool *p = pool;
    size_t size;
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    memcpy(&size, (char *)ptr - MY_HDR, sizeof(size));
    return umfMemoryProviderFree(p->provider, (char *)ptr - MY_HDR,
                                 size + MY_HDR);
}

static umf_result_t my_pool_get_last_allocation_error(void *pool) {
    (void)pool;
    return my_pool_last_error;
}

static umf_memory_pool_ops_t my_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = my_pool_initialize,
    .finalize = my_pool_finalize,
    .malloc = my_pool_malloc,
    .calloc = my_pool_calloc,
    .realloc = my_pool_realloc,
    .aligned_malloc = my_pool_aligned_malloc,
    .malloc_usable_size = my_pool_usable_size,
    .free = my_pool_free,
    .get_last_allocation_error = my_pool_get_last_allocation_error,
};

/* ================================ tests ================================ */

START_TEST(version_runtime) {
    ck_assert_int_eq(umfGetCurrentVersion(), UMF_VERSION_CURRENT);
    ck_assert_int_eq(umfGetCurrentVersion(), 11);
    ck_assert_int_eq(UMF_MAJOR_VERSION(umfGetCurrentVersion()), 0);
    ck_assert_int_eq(UMF_MINOR_VERSION(umfGetCurrentVersion()), 11);
}
END_TEST

START_TEST(user_provider_front_end) {
    umf_memory_provider_handle_t h = NULL;
    int magic = MY_MAGIC;
    void *p = NULL;
    size_t ps = 0, hs = 0;
    const char *msg = NULL;
    int32_t code = 0;
    char data[64];
    char *base;
    void *opened = NULL;
    unsigned fin0 = g_prov_finalized;

    ck_assert_int_eq(umfMemoryProviderCreate(&my_provider_ops, &magic, &h),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_nonnull(g_prov);
    ck_assert_int_eq(g_prov->magic, MY_MAGIC); /* params reached initialize */
    ck_assert_str_eq(umfMemoryProviderGetName(h), "my_provider");

    ck_assert_int_eq(umfMemoryProviderAlloc(h, 1000, 256, &p),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % 256, 0);
    memset(p, 7, 1000);
    base = p;
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(h, 1000, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, 4096);
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(h, p, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, 64);

    /* ext ops reached with the caller's arguments */
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(h, base + 64, 128),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->purge_lazy, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, base + 64);
    ck_assert_uint_eq(g_prov->last_size, 128);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, base, 256),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_uint_eq(g_prov->purge_force, 1);
    ck_assert_ptr_eq(umfGetLastFailedMemoryProvider(), h);
    umfMemoryProviderGetLastNativeError(h, &msg, &code);
    ck_assert_str_eq(msg, "my provider failed");
    ck_assert_int_eq(code, MY_NATIVE_CODE);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(h, base, 1000, 600),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->split, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, base);
    ck_assert_uint_eq(g_prov->last_size, 1000);
    ck_assert_uint_eq(g_prov->last_size2, 600);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(h, base, base + 600, 1000),
        UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->merge, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, base);
    ck_assert_ptr_eq(g_prov->last_ptr2, base + 600);
    ck_assert_uint_eq(g_prov->last_size, 1000);

    /* IPC ops reached */
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(h, &hs),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(hs, sizeof(struct my_ipc_data));
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(h, base, 1000, data),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->ipc_get, 1);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(h, data, &opened),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->ipc_open, 1);
    ck_assert_ptr_nonnull(opened);
    ck_assert_int_eq(memcmp(opened, base, 1000), 0);
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(h, opened, 1000),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->ipc_close, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, opened);
    ck_assert_uint_eq(g_prov->last_size, 1000);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(h, data),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->ipc_put, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, (void *)data);

    ck_assert_int_eq(umfMemoryProviderFree(h, p, 1000), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(h);
    ck_assert_uint_eq(g_prov_finalized, fin0 + 1);
}
END_TEST

START_TEST(user_small_provider) {
    umf_memory_provider_handle_t h = NULL;
    size_t hs = 0;
    char x[16];
    ck_assert_int_eq(umfMemoryProviderCreate(&my_small_provider_ops, NULL, &h),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(h, x, 16),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ck_assert_uint_eq(g_prov->purge_force, 1);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(h, x, 16),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(h, &hs),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    umfMemoryProviderDestroy(h);
}
END_TEST

START_TEST(user_pool_over_user_provider) {
    umf_memory_provider_handle_t h = NULL;
    umf_memory_provider_handle_t got = NULL;
    umf_memory_pool_handle_t pool = NULL;
    char *a, *b, *c;
    size_t i;
    unsigned fin0 = g_prov_finalized;

    ck_assert_int_eq(umfMemoryProviderCreate(&my_provider_ops, NULL, &h),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolCreate(&my_pool_ops, h, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolGetMemoryProvider(pool, &got), UMF_RESULT_SUCCESS);
    ck_assert_ptr_eq(got, h);

    a = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(a);
    memset(a, 1, 100);
    ck_assert_ptr_eq(umfPoolByPtr(a), pool);
    ck_assert_ptr_eq(umfPoolByPtr(a + 99), pool);
    ck_assert_uint_eq(umfPoolMallocUsableSize(pool, a), 100);

    b = umfPoolCalloc(pool, 10, 10);
    ck_assert_ptr_nonnull(b);
    for (i = 0; i < 100; i++) {
        ck_assert_int_eq(b[i], 0);
    }
    ck_assert_ptr_null(umfPoolRealloc(pool, b, 200));
    ck_assert_int_eq(umfPoolGetLastAllocationError(pool),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    c = umfPoolAlignedMalloc(pool, 64, 16);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq((uintptr_t)c % 16, 0);

    /* purge through the front-end of the pool's provider */
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(got, a, 100),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->purge_lazy, 1);
    ck_assert_ptr_eq(g_prov->last_ptr, (void *)a);

    ck_assert_int_eq(umfFree(a), UMF_RESULT_SUCCESS);
    ck_assert_ptr_null(umfPoolByPtr(a));
    ck_assert_int_eq(umfPoolFree(pool, b), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFree(c), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(pool, NULL), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool); /* OWN_PROVIDER: finalizes the provider */
    ck_assert_uint_eq(g_prov_finalized, fin0 + 1);
}
END_TEST

/* The pool-level IPC front-ends reach the user's IPC ops. */
START_TEST(user_provider_pool_ipc) {
    umf_memory_provider_handle_t h = NULL;
    umf_memory_pool_handle_t pool = NULL;
    umf_ipc_handle_t ipc = NULL;
    umf_ipc_handler_handle_t handler = NULL;
    size_t size = 0, hs = 0;
    char *a;
    void *opened = NULL;
    unsigned fin0 = g_prov_finalized;

    ck_assert_int_eq(umfMemoryProviderCreate(&my_provider_ops, NULL, &h),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolCreate(&my_pool_ops, h, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolGetIPCHandleSize(pool, &hs), UMF_RESULT_SUCCESS);
    ck_assert_uint_ge(hs, sizeof(struct my_ipc_data));
    ck_assert_uint_ge(g_prov->ipc_size, 1);

    a = umfPoolMalloc(pool, 500);
    ck_assert_ptr_nonnull(a);
    memset(a, 0x42, 500);
    ck_assert_int_eq(umfGetIPCHandle(a, &ipc, &size), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(size, hs);
    ck_assert_uint_eq(g_prov->ipc_get, 1);
    ck_assert_int_eq(umfPoolGetIPCHandler(pool, &handler), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOpenIPCHandle(handler, ipc, &opened),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(g_prov->ipc_open, 1);
    /* the opened copy shows the block's bytes at the block's offset */
    ck_assert_ptr_ne(opened, (void *)a);
    ck_assert_int_eq(memcmp(opened, a, 500), 0);
    ck_assert_int_eq(umfCloseIPCHandle(opened), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPutIPCHandle(ipc), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(pool, a), UMF_RESULT_SUCCESS);
    /* once the block is freed every handle the provider gave is put back */
    ck_assert_uint_eq(g_prov->ipc_put, g_prov->ipc_get);
    umfPoolDestroy(pool);
    ck_assert_uint_eq(g_prov_finalized, fin0 + 1);
}
END_TEST

static Suite *compat_suite(void) {
    Suite *s = suite_create("source_compat");
    TCase *tc = tcase_create("abi");
    tcase_add_test(tc, version_runtime);
    suite_add_tcase(s, tc);
    tc = tcase_create("user_code");
    tcase_add_test(tc, user_provider_front_end);
    tcase_add_test(tc, user_small_provider);
    tcase_add_test(tc, user_pool_over_user_provider);
    tcase_add_test(tc, user_provider_pool_ipc);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(compat_suite()); }
