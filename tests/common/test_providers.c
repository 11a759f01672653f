/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_providers.c -- reusable providers (and one simple pool) for tests */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "test_providers.h"

static const char *const op_names[UMF_TEST_OP_COUNT] = {
    "initialize",
    "finalize",
    "alloc",
    "free",
    "get_last_native_error",
    "get_recommended_page_size",
    "get_min_page_size",
    "get_name",
    "purge_lazy",
    "purge_force",
    "allocation_merge",
    "allocation_split",
    "get_ipc_handle_size",
    "get_ipc_handle",
    "put_ipc_handle",
    "open_ipc_handle",
    "close_ipc_handle",
};

const char *umf_test_op_name(umf_test_op_t op) {
    return (unsigned)op < UMF_TEST_OP_COUNT ? op_names[op] : "?";
}

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* ======================= null provider ======================= */

static umf_result_t null_initialize(void *params, void **provider) {
    (void)params;
    *provider = NULL;
    return UMF_RESULT_SUCCESS;
}
static void null_finalize(void *provider) { (void)provider; }
static umf_result_t null_alloc(void *provider, size_t size, size_t alignment,
                               void **ptr) {
    (void)provider;
    (void)size;
    (void)alignment;
    *ptr = NULL;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t null_free(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)ptr;
    (void)size;
    return UMF_RESULT_SUCCESS;
}
static void null_native_error(void *provider, const char **ppMessage,
                              int32_t *pError) {
    (void)provider;
    if (ppMessage) {
        *ppMessage = "";
    }
    if (pError) {
        *pError = 0;
    }
}
static umf_result_t null_recommended(void *provider, size_t size,
                                     size_t *pageSize) {
    (void)provider;
    (void)size;
    *pageSize = page_size();
    return UMF_RESULT_SUCCESS;
}
static umf_result_t null_min(void *provider, void *ptr, size_t *pageSize) {
    (void)provider;
    (void)ptr;
    *pageSize = page_size();
    return UMF_RESULT_SUCCESS;
}
static const char *null_name(void *provider) {
    (void)provider;
    return "null";
}

static umf_memory_provider_ops_t null_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = null_initialize,
    .finalize = null_finalize,
    .alloc = null_alloc,
    .free = null_free,
    .get_last_native_error = null_native_error,
    .get_recommended_page_size = null_recommended,
    .get_min_page_size = null_min,
    .get_name = null_name,
};

umf_memory_provider_ops_t *umf_test_null_provider_ops(void) {
    return &null_ops;
}

/* ======================= malloc provider ======================= */

static __thread struct {
    int32_t code;
    char msg[128];
} malloc_native;

static umf_result_t malloc_initialize(void *params, void **provider) {
    (void)params;
    *provider = NULL;
    return UMF_RESULT_SUCCESS;
}
static void malloc_finalize(void *provider) { (void)provider; }

static umf_result_t malloc_alloc(void *provider, size_t size, size_t alignment,
                                 void **ptr) {
    (void)provider;
    if (alignment == 0) {
        alignment = 16;
    }
    if ((alignment & (alignment - 1)) != 0) {
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    }
    if (alignment < sizeof(void *)) {
        alignment = sizeof(void *);
    }
    if (size > (size_t)PTRDIFF_MAX) {
        malloc_native.code = ENOMEM;
        snprintf(malloc_native.msg, sizeof(malloc_native.msg),
                 "%zu bytes is more than malloc can give", size);
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    void *p = NULL;
    int rc = posix_memalign(&p, alignment, size ? size : 1);
    if (rc != 0) {
        malloc_native.code = rc;
        snprintf(malloc_native.msg, sizeof(malloc_native.msg),
                 "posix_memalign failed: %s", strerror(rc));
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    *ptr = p;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t malloc_free(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)size;
    free(ptr);
    return UMF_RESULT_SUCCESS;
}
static void malloc_native_error(void *provider, const char **ppMessage,
                                int32_t *pError) {
    (void)provider;
    if (ppMessage) {
        *ppMessage = malloc_native.msg;
    }
    if (pError) {
        *pError = malloc_native.code;
    }
}
static const char *malloc_name(void *provider) {
    (void)provider;
    return UMF_TEST_MALLOC_PROVIDER_NAME;
}

/* Same-process IPC: the blob names the producer's block; open copies its
 * bytes into a fresh anonymous mapping, close unmaps it. */
typedef struct malloc_ipc_blob_t {
    uint64_t magic;
    void *ptr;
    size_t size;
    pid_t pid;
} malloc_ipc_blob_t;
#define MALLOC_IPC_MAGIC 0x6d616c6c6f636970ULL

static umf_result_t malloc_ipc_size(void *provider, size_t *size) {
    (void)provider;
    *size = sizeof(malloc_ipc_blob_t);
    return UMF_RESULT_SUCCESS;
}
static umf_result_t malloc_ipc_get(void *provider, const void *ptr, size_t size,
                                   void *data) {
    (void)provider;
    malloc_ipc_blob_t *b = data;
    b->magic = MALLOC_IPC_MAGIC;
    b->ptr = (void *)ptr;
    b->size = size;
    b->pid = getpid();
    return UMF_RESULT_SUCCESS;
}
static umf_result_t malloc_ipc_put(void *provider, void *data) {
    (void)provider;
    malloc_ipc_blob_t *b = data;
    return b->magic == MALLOC_IPC_MAGIC ? UMF_RESULT_SUCCESS
                                        : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}
static umf_result_t malloc_ipc_open(void *provider, void *data, void **ptr) {
    (void)provider;
    malloc_ipc_blob_t *b = data;
    if (b->magic != MALLOC_IPC_MAGIC || b->size == 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (b->pid != getpid()) {
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    }
    void *m = mmap(NULL, b->size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memcpy(m, b->ptr, b->size);
    *ptr = m;
    return UMF_RESULT_SUCCESS;
}
static umf_result_t malloc_ipc_close(void *provider, void *ptr, size_t size) {
    (void)provider;
    return munmap(ptr, size) == 0 ? UMF_RESULT_SUCCESS
                                  : UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

static umf_memory_provider_ops_t malloc_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = malloc_initialize,
    .finalize = malloc_finalize,
    .alloc = malloc_alloc,
    .free = malloc_free,
    .get_last_native_error = malloc_native_error,
    .get_recommended_page_size = null_recommended,
    .get_min_page_size = null_min,
    .get_name = malloc_name,
};

static umf_memory_provider_ops_t malloc_ipc_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = malloc_initialize,
    .finalize = malloc_finalize,
    .alloc = malloc_alloc,
    .free = malloc_free,
    .get_last_native_error = malloc_native_error,
    .get_recommended_page_size = null_recommended,
    .get_min_page_size = null_min,
    .get_name = malloc_name,
    .ipc.get_ipc_handle_size = malloc_ipc_size,
    .ipc.get_ipc_handle = malloc_ipc_get,
    .ipc.put_ipc_handle = malloc_ipc_put,
    .ipc.open_ipc_handle = malloc_ipc_open,
    .ipc.close_ipc_handle = malloc_ipc_close,
};

umf_memory_provider_ops_t *umf_test_malloc_provider_ops(void) {
    return &malloc_ops;
}
umf_memory_provider_ops_t *umf_test_malloc_ipc_provider_ops(void) {
    return &malloc_ipc_ops;
}

/* ======================= failing provider ======================= */

static __thread struct {
    int32_t code;
    char msg[128];
} failing_native;

void umf_test_failing_message(umf_test_op_t op, char *buf, size_t len) {
    snprintf(buf, len, "failing provider: %s failed", umf_test_op_name(op));
}

static umf_result_t failing_fail(umf_test_op_t op) {
    failing_native.code = UMF_TEST_FAILING_NATIVE_CODE + (int32_t)op;
    umf_test_failing_message(op, failing_native.msg,
                             sizeof(failing_native.msg));
    return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

static umf_result_t failing_alloc(void *provider, size_t size, size_t alignment,
                                  void **ptr) {
    (void)provider;
    (void)size;
    (void)alignment;
    (void)ptr;
    return failing_fail(UMF_TEST_OP_ALLOC);
}
static umf_result_t failing_free(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)ptr;
    (void)size;
    return failing_fail(UMF_TEST_OP_FREE);
}
static void failing_native_error(void *provider, const char **ppMessage,
                                 int32_t *pError) {
    (void)provider;
    if (ppMessage) {
        *ppMessage = failing_native.msg;
    }
    if (pError) {
        *pError = failing_native.code;
    }
}
static umf_result_t failing_recommended(void *provider, size_t size,
                                        size_t *pageSize) {
    (void)provider;
    (void)size;
    (void)pageSize;
    return failing_fail(UMF_TEST_OP_RECOMMENDED_PAGE_SIZE);
}
static umf_result_t failing_min(void *provider, void *ptr, size_t *pageSize) {
    (void)provider;
    (void)ptr;
    (void)pageSize;
    return failing_fail(UMF_TEST_OP_MIN_PAGE_SIZE);
}
static const char *failing_name(void *provider) {
    (void)provider;
    return UMF_TEST_FAILING_PROVIDER_NAME;
}
static umf_result_t failing_purge_lazy(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)ptr;
    (void)size;
    return failing_fail(UMF_TEST_OP_PURGE_LAZY);
}
static umf_result_t failing_purge_force(void *provider, void *ptr,
                                        size_t size) {
    (void)provider;
    (void)ptr;
    (void)size;
    return failing_fail(UMF_TEST_OP_PURGE_FORCE);
}
static umf_result_t failing_merge(void *provider, void *lowPtr, void *highPtr,
                                  size_t totalSize) {
    (void)provider;
    (void)lowPtr;
    (void)highPtr;
    (void)totalSize;
    return failing_fail(UMF_TEST_OP_MERGE);
}
static umf_result_t failing_split(void *provider, void *ptr, size_t totalSize,
                                  size_t firstSize) {
    (void)provider;
    (void)ptr;
    (void)totalSize;
    (void)firstSize;
    return failing_fail(UMF_TEST_OP_SPLIT);
}
static umf_result_t failing_ipc_size(void *provider, size_t *size) {
    (void)provider;
    (void)size;
    return failing_fail(UMF_TEST_OP_IPC_SIZE);
}
static umf_result_t failing_ipc_get(void *provider, const void *ptr,
                                    size_t size, void *data) {
    (void)provider;
    (void)ptr;
    (void)size;
    (void)data;
    return failing_fail(UMF_TEST_OP_IPC_GET);
}
static umf_result_t failing_ipc_put(void *provider, void *data) {
    (void)provider;
    (void)data;
    return failing_fail(UMF_TEST_OP_IPC_PUT);
}
static umf_result_t failing_ipc_open(void *provider, void *data, void **ptr) {
    (void)provider;
    (void)data;
    (void)ptr;
    return failing_fail(UMF_TEST_OP_IPC_OPEN);
}
static umf_result_t failing_ipc_close(void *provider, void *ptr, size_t size) {
    (void)provider;
    (void)ptr;
    (void)size;
    return failing_fail(UMF_TEST_OP_IPC_CLOSE);
}

static umf_memory_provider_ops_t failing_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = malloc_initialize,
    .finalize = malloc_finalize,
    .alloc = failing_alloc,
    .free = failing_free,
    .get_last_native_error = failing_native_error,
    .get_recommended_page_size = failing_recommended,
    .get_min_page_size = failing_min,
    .get_name = failing_name,
    .ext.purge_lazy = failing_purge_lazy,
    .ext.purge_force = failing_purge_force,
    .ext.allocation_merge = failing_merge,
    .ext.allocation_split = failing_split,
    .ipc.get_ipc_handle_size = failing_ipc_size,
    .ipc.get_ipc_handle = failing_ipc_get,
    .ipc.put_ipc_handle = failing_ipc_put,
    .ipc.open_ipc_handle = failing_ipc_open,
    .ipc.close_ipc_handle = failing_ipc_close,
};

umf_memory_provider_ops_t *umf_test_failing_provider_ops(void) {
    return &failing_ops;
}

/* ======================= counting provider ======================= */

void umf_test_counting_init(umf_test_counting_t *state,
                            umf_memory_provider_handle_t upstream) {
    memset(state, 0, sizeof(*state));
    state->upstream = upstream;
}

void umf_test_counting_fail_next(umf_test_counting_t *state, umf_test_op_t op,
                                 umf_result_t result) {
    __atomic_store_n(&state->fail_next[op], result, __ATOMIC_SEQ_CST);
}

size_t umf_test_counting_get(umf_test_counting_t *state, umf_test_op_t op) {
    return __atomic_load_n(&state->calls[op], __ATOMIC_SEQ_CST);
}

long long umf_test_counting_live_allocs(umf_test_counting_t *state) {
    return __atomic_load_n(&state->live_allocs, __ATOMIC_SEQ_CST);
}

long long umf_test_counting_live_bytes(umf_test_counting_t *state) {
    return __atomic_load_n(&state->live_bytes, __ATOMIC_SEQ_CST);
}

/* Count a call; return the injected failure for it, or SUCCESS. */
static umf_result_t cnt_enter(umf_test_counting_t *s, umf_test_op_t op) {
    __atomic_fetch_add(&s->calls[op], 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&s->fail_next[op], __ATOMIC_SEQ_CST) ==
        UMF_RESULT_SUCCESS) {
        return UMF_RESULT_SUCCESS;
    }
    umf_result_t r = __atomic_exchange_n(&s->fail_next[op], UMF_RESULT_SUCCESS,
                                         __ATOMIC_SEQ_CST);
    if (r != UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&s->failed[op], 1, __ATOMIC_SEQ_CST);
    }
    return r;
}

static umf_result_t cnt_leave(umf_test_counting_t *s, umf_test_op_t op,
                              umf_result_t r) {
    if (r != UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&s->failed[op], 1, __ATOMIC_SEQ_CST);
    }
    return r;
}

static umf_result_t cnt_initialize(void *params, void **provider) {
    umf_test_counting_t *s = params;
    if (!s) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    __atomic_fetch_add(&s->calls[UMF_TEST_OP_INITIALIZE], 1, __ATOMIC_SEQ_CST);
    if (s->init_result != UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&s->failed[UMF_TEST_OP_INITIALIZE], 1,
                           __ATOMIC_SEQ_CST);
        return s->init_result;
    }
    *provider = s;
    return UMF_RESULT_SUCCESS;
}

static void cnt_finalize(void *provider) {
    umf_test_counting_t *s = provider;
    __atomic_fetch_add(&s->calls[UMF_TEST_OP_FINALIZE], 1, __ATOMIC_SEQ_CST);
}

static umf_result_t cnt_alloc(void *provider, size_t size, size_t alignment,
                              void **ptr) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_ALLOC);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderAlloc(s->upstream, size, alignment, ptr);
    if (r == UMF_RESULT_SUCCESS && *ptr) {
        __atomic_fetch_add(&s->live_allocs, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&s->live_bytes, (long long)size, __ATOMIC_SEQ_CST);
        if (s->on_alloc) {
            s->on_alloc(s->hook_arg, *ptr, size);
        }
    }
    return cnt_leave(s, UMF_TEST_OP_ALLOC, r);
}

static umf_result_t cnt_free(void *provider, void *ptr, size_t size) {
    umf_test_counting_t *s = provider;
    if (s->on_free) {
        s->on_free(s->hook_arg, ptr, size);
    }
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_FREE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderFree(s->upstream, ptr, size);
    if (r == UMF_RESULT_SUCCESS && ptr) {
        __atomic_fetch_sub(&s->live_allocs, 1, __ATOMIC_SEQ_CST);
        __atomic_fetch_sub(&s->live_bytes, (long long)size, __ATOMIC_SEQ_CST);
    }
    return cnt_leave(s, UMF_TEST_OP_FREE, r);
}

static void cnt_native_error(void *provider, const char **ppMessage,
                             int32_t *pError) {
    umf_test_counting_t *s = provider;
    __atomic_fetch_add(&s->calls[UMF_TEST_OP_NATIVE_ERROR], 1,
                       __ATOMIC_SEQ_CST);
    umfMemoryProviderGetLastNativeError(s->upstream, ppMessage, pError);
}

static umf_result_t cnt_recommended(void *provider, size_t size,
                                    size_t *pageSize) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_RECOMMENDED_PAGE_SIZE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderGetRecommendedPageSize(s->upstream, size, pageSize);
    return cnt_leave(s, UMF_TEST_OP_RECOMMENDED_PAGE_SIZE, r);
}

static umf_result_t cnt_min(void *provider, void *ptr, size_t *pageSize) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_MIN_PAGE_SIZE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderGetMinPageSize(s->upstream, ptr, pageSize);
    return cnt_leave(s, UMF_TEST_OP_MIN_PAGE_SIZE, r);
}

static const char *cnt_name(void *provider) {
    umf_test_counting_t *s = provider;
    __atomic_fetch_add(&s->calls[UMF_TEST_OP_NAME], 1, __ATOMIC_SEQ_CST);
    return s->name ? s->name : UMF_TEST_COUNTING_PROVIDER_NAME;
}

static umf_result_t cnt_purge_lazy(void *provider, void *ptr, size_t size) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_PURGE_LAZY);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderPurgeLazy(s->upstream, ptr, size);
    return cnt_leave(s, UMF_TEST_OP_PURGE_LAZY, r);
}

static umf_result_t cnt_purge_force(void *provider, void *ptr, size_t size) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_PURGE_FORCE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderPurgeForce(s->upstream, ptr, size);
    return cnt_leave(s, UMF_TEST_OP_PURGE_FORCE, r);
}

static umf_result_t cnt_merge(void *provider, void *lowPtr, void *highPtr,
                              size_t totalSize) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_MERGE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderAllocationMerge(s->upstream, lowPtr, highPtr,
                                         totalSize);
    if (r == UMF_RESULT_SUCCESS) {
        __atomic_fetch_sub(&s->live_allocs, 1, __ATOMIC_SEQ_CST);
    }
    return cnt_leave(s, UMF_TEST_OP_MERGE, r);
}

static umf_result_t cnt_split(void *provider, void *ptr, size_t totalSize,
                              size_t firstSize) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_SPLIT);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderAllocationSplit(s->upstream, ptr, totalSize,
                                         firstSize);
    if (r == UMF_RESULT_SUCCESS) {
        __atomic_fetch_add(&s->live_allocs, 1, __ATOMIC_SEQ_CST);
    }
    return cnt_leave(s, UMF_TEST_OP_SPLIT, r);
}

static umf_result_t cnt_ipc_size(void *provider, size_t *size) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_IPC_SIZE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderGetIPCHandleSize(s->upstream, size);
    return cnt_leave(s, UMF_TEST_OP_IPC_SIZE, r);
}

static umf_result_t cnt_ipc_get(void *provider, const void *ptr, size_t size,
                                void *data) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_IPC_GET);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderGetIPCHandle(s->upstream, ptr, size, data);
    return cnt_leave(s, UMF_TEST_OP_IPC_GET, r);
}

static umf_result_t cnt_ipc_put(void *provider, void *data) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_IPC_PUT);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderPutIPCHandle(s->upstream, data);
    return cnt_leave(s, UMF_TEST_OP_IPC_PUT, r);
}

static umf_result_t cnt_ipc_open(void *provider, void *data, void **ptr) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_IPC_OPEN);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderOpenIPCHandle(s->upstream, data, ptr);
    return cnt_leave(s, UMF_TEST_OP_IPC_OPEN, r);
}

static umf_result_t cnt_ipc_close(void *provider, void *ptr, size_t size) {
    umf_test_counting_t *s = provider;
    umf_result_t r = cnt_enter(s, UMF_TEST_OP_IPC_CLOSE);
    if (r != UMF_RESULT_SUCCESS) {
        return r;
    }
    r = umfMemoryProviderCloseIPCHandle(s->upstream, ptr, size);
    return cnt_leave(s, UMF_TEST_OP_IPC_CLOSE, r);
}

static umf_memory_provider_ops_t counting_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = cnt_initialize,
    .finalize = cnt_finalize,
    .alloc = cnt_alloc,
    .free = cnt_free,
    .get_last_native_error = cnt_native_error,
    .get_recommended_page_size = cnt_recommended,
    .get_min_page_size = cnt_min,
    .get_name = cnt_name,
    .ext.purge_lazy = cnt_purge_lazy,
    .ext.purge_force = cnt_purge_force,
    .ext.allocation_merge = cnt_merge,
    .ext.allocation_split = cnt_split,
    .ipc.get_ipc_handle_size = cnt_ipc_size,
    .ipc.get_ipc_handle = cnt_ipc_get,
    .ipc.put_ipc_handle = cnt_ipc_put,
    .ipc.open_ipc_handle = cnt_ipc_open,
    .ipc.close_ipc_handle = cnt_ipc_close,
};

umf_memory_provider_ops_t *umf_test_counting_provider_ops(void) {
    return &counting_ops;
}

umf_result_t umf_test_counting_create(umf_test_counting_t *state,
                                      umf_memory_provider_handle_t *out) {
    return umfMemoryProviderCreate(&counting_ops, state, out);
}

/* ======================= simple pool ======================= */

#define SP_MAGIC 0x73696d706c65706fULL
#define SP_MIN_ALIGN 16

/* Sits right before every block. */
typedef struct sp_header_t {
    void *base;   /* what the provider returned */
    size_t total; /* what was asked of the provider */
    size_t usable;
    uint64_t magic;
} sp_header_t;

typedef struct simple_pool_t {
    umf_memory_provider_handle_t provider;
    umf_test_simple_pool_params_t params;
} simple_pool_t;

static __thread umf_result_t sp_last_error;

static umf_result_t sp_initialize(umf_memory_provider_handle_t provider,
                                  void *params, void **pool) {
    umf_test_simple_pool_params_t p = {UMF_RESULT_SUCCESS, NULL};
    if (params) {
        p = *(umf_test_simple_pool_params_t *)params;
    }
    if (p.init_result != UMF_RESULT_SUCCESS) {
        return p.init_result;
    }
    simple_pool_t *sp = calloc(1, sizeof(*sp));
    if (!sp) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    sp->provider = provider;
    sp->params = p;
    *pool = sp;
    return UMF_RESULT_SUCCESS;
}

static void sp_finalize(void *pool) {
    simple_pool_t *sp = pool;
    if (sp->params.finalize_count) {
        __atomic_fetch_add(sp->params.finalize_count, 1, __ATOMIC_SEQ_CST);
    }
    free(sp);
}

static void *sp_alloc(simple_pool_t *sp, size_t size, size_t alignment) {
    if (alignment < SP_MIN_ALIGN) {
        alignment = SP_MIN_ALIGN;
    }
    if ((alignment & (alignment - 1)) != 0) {
        sp_last_error = UMF_RESULT_ERROR_INVALID_ALIGNMENT;
        return NULL;
    }
    /* header + size + worst-case alignment slack, overflow-checked */
    size_t total;
    if (__builtin_add_overflow(size, sizeof(sp_header_t), &total) ||
        __builtin_add_overflow(total, alignment - SP_MIN_ALIGN, &total)) {
        sp_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    void *base = NULL;
    umf_result_t r = umfMemoryProviderAlloc(sp->provider, total, 0, &base);
    if (r != UMF_RESULT_SUCCESS || !base) {
        sp_last_error =
            r != UMF_RESULT_SUCCESS ? r : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    uintptr_t user = (uintptr_t)base + sizeof(sp_header_t);
    user = (user + alignment - 1) & ~(uintptr_t)(alignment - 1);
    sp_header_t *h = (sp_header_t *)user - 1;
    h->base = base;
    h->total = total;
    h->usable = total - (user - (uintptr_t)base);
    h->magic = SP_MAGIC;
    sp_last_error = UMF_RESULT_SUCCESS;
    return (void *)user;
}

static void *sp_malloc(void *pool, size_t size) {
    return sp_alloc(pool, size, 0);
}

static void *sp_calloc(void *pool, size_t num, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(num, size, &total)) {
        sp_last_error = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        return NULL;
    }
    void *p = sp_alloc(pool, total, 0);
    if (p) {
        memset(p, 0, total);
    }
    return p;
}

static umf_result_t sp_free(void *pool, void *ptr) {
    simple_pool_t *sp = pool;
    if (!ptr) {
        return UMF_RESULT_SUCCESS;
    }
    sp_header_t *h = (sp_header_t *)ptr - 1;
    if (h->magic != SP_MAGIC) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    /* the header stays intact when the provider refuses, so the caller can
     * retry */
    return umfMemoryProviderFree(sp->provider, h->base, h->total);
}

static void *sp_realloc(void *pool, void *ptr, size_t size) {
    if (!ptr) {
        return sp_alloc(pool, size, 0);
    }
    if (size == 0) {
        umf_result_t r = sp_free(pool, ptr);
        sp_last_error = r;
        return NULL;
    }
    sp_header_t *h = (sp_header_t *)ptr - 1;
    if (h->magic != SP_MAGIC) {
        sp_last_error = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return NULL;
    }
    void *n = sp_alloc(pool, size, 0);
    if (!n) {
        return NULL;
    }
    memcpy(n, ptr, size < h->usable ? size : h->usable);
    if (sp_free(pool, ptr) != UMF_RESULT_SUCCESS) {
        /* keep the old block valid and report the failure */
        (void)sp_free(pool, n);
        sp_last_error = UMF_RESULT_ERROR_UNKNOWN;
        return NULL;
    }
    return n;
}

static void *sp_aligned_malloc(void *pool, size_t size, size_t alignment) {
    return sp_alloc(pool, size, alignment);
}

static size_t sp_usable_size(void *pool, void *ptr) {
    (void)pool;
    if (!ptr) {
        return 0;
    }
    sp_header_t *h = (sp_header_t *)ptr - 1;
    return h->magic == SP_MAGIC ? h->usable : 0;
}

static umf_result_t sp_last_allocation_error(void *pool) {
    (void)pool;
    return sp_last_error;
}

static umf_memory_pool_ops_t simple_pool_ops = {
    .version = UMF_POOL_OPS_VERSION_CURRENT,
    .initialize = sp_initialize,
    .finalize = sp_finalize,
    .malloc = sp_malloc,
    .calloc = sp_calloc,
    .realloc = sp_realloc,
    .aligned_malloc = sp_aligned_malloc,
    .malloc_usable_size = sp_usable_size,
    .free = sp_free,
    .get_last_allocation_error = sp_last_allocation_error,
};

umf_memory_pool_ops_t *umf_test_simple_pool_ops(void) {
    return &simple_pool_ops;
}

/* ======================= library providers ======================= */

umf_memory_provider_handle_t
umf_test_provider_create(const umf_memory_provider_ops_t *ops, void *params) {
    umf_memory_provider_handle_t h = NULL;
    if (!ops ||
        umfMemoryProviderCreate(ops, params, &h) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return h;
}

umf_memory_pool_handle_t umf_test_pool_create(const umf_memory_pool_ops_t *ops,
                                              umf_memory_provider_handle_t prov,
                                              void *params,
                                              umf_pool_create_flags_t flags) {
    umf_memory_pool_handle_t h = NULL;
    if (!ops ||
        umfPoolCreate(ops, prov, params, flags, &h) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    return h;
}

umf_memory_provider_handle_t umf_test_os_provider_create(void) {
    umf_os_memory_provider_params_handle_t params = NULL;
    if (umfOsMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h =
        umf_test_provider_create(umfOsMemoryProviderOps(), params);
    umfOsMemoryProviderParamsDestroy(params);
    return h;
}

umf_memory_provider_handle_t umf_test_fixed_provider_create(void *buf,
                                                            size_t size) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    if (umfFixedMemoryProviderParamsCreate(&params, buf, size) !=
        UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umf_memory_provider_handle_t h =
        umf_test_provider_create(umfFixedMemoryProviderOps(), params);
    umfFixedMemoryProviderParamsDestroy(params);
    return h;
}
