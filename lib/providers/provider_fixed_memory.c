/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_fixed_memory.c -- provider handing out pages of a caller's buffer
 *
 * The buffer is managed by a coarse instance. Only its page-aligned interior
 * is used, and the provider never reads or writes it, except that
 * purge_force tells the kernel to drop its pages. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <umf/memory_provider_ops.h>
#include <umf/providers/provider_fixed_memory.h>

#include "core/coarse_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/utils_internal.h"

struct umf_fixed_memory_provider_params_t {
    void *ptr;
    size_t size;
};

typedef struct fixed_provider_t {
    coarse_t *coarse; /* first: the coarse_provider_* ops find it there */
    void *base;       /* the caller's buffer */
    size_t size;
    void *usable_base; /* its page-aligned interior, managed by coarse */
    size_t usable_size;
    size_t page_size;
} fixed_provider_t;
_Static_assert(offsetof(fixed_provider_t, coarse) == 0,
               "coarse_provider_* ops");

static __thread utils_native_error_t fixed_native_error;

UMF_EXPORT umf_result_t umfFixedMemoryProviderParamsCreate(
    umf_fixed_memory_provider_params_handle_t *hParams, void *ptr,
    size_t size) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umf_fixed_memory_provider_params_handle_t p = umf_ba_alloc(sizeof(*p));
    if (!p) {
        LOG_ERR("cannot allocate fixed provider params");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    p->ptr = ptr;
    p->size = size;
    *hParams = p;
    return UMF_RESULT_SUCCESS;
}

UMF_EXPORT umf_result_t umfFixedMemoryProviderParamsSetMemory(
    umf_fixed_memory_provider_params_handle_t hParams, void *ptr, size_t size) {
    UMF_CHECK(hParams != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(size != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    hParams->ptr = ptr;
    hParams->size = size;
    return UMF_RESULT_SUCCESS;
}

/* Destroy(NULL) is a harmless no-op returning SUCCESS, as for every
 * ...Destroy in libumf (the setters return INVALID_ARGUMENT for NULL). */
UMF_EXPORT umf_result_t umfFixedMemoryProviderParamsDestroy(
    umf_fixed_memory_provider_params_handle_t hParams) {
    umf_ba_free(hParams);
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_initialize(void *params, void **provider) {
    UMF_CHECK(params != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    const struct umf_fixed_memory_provider_params_t *in = params;
    UMF_CHECK(in->ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(in->size != 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    size_t page = utils_page_size();
    uintptr_t start = (uintptr_t)in->ptr;
    uintptr_t end;
    if (__builtin_add_overflow(start, in->size, &end)) {
        LOG_ERR("buffer [%p, +%zu) wraps around the address space", in->ptr,
                in->size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    uintptr_t ustart = start + ((-start) & (uintptr_t)(page - 1));
    uintptr_t uend = end & ~(uintptr_t)(page - 1);
    if (ustart < start || uend <= ustart) {
        LOG_ERR("buffer [%p, +%zu) contains no whole page of %zu bytes",
                in->ptr, in->size, page);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }

    fixed_provider_t *fp = umf_ba_alloc(sizeof(*fp));
    if (!fp) {
        LOG_ERR("cannot allocate the fixed provider");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    memset(fp, 0, sizeof(*fp));
    fp->base = in->ptr;
    fp->size = in->size;
    fp->usable_base = (void *)ustart;
    fp->usable_size = uend - ustart;
    fp->page_size = page;

    coarse_params_t cp;
    memset(&cp, 0, sizeof(cp));
    cp.provider = fp;
    cp.cb.split = coarse_split_nothing;
    cp.cb.merge = coarse_merge_nothing;
    cp.page_size = page;
    cp.name = "FIXED";
    umf_result_t ret = coarse_new(&cp, &fp->coarse);
    if (ret != UMF_RESULT_SUCCESS) {
        umf_ba_free(fp);
        return ret;
    }
    ret = coarse_add_memory_fixed(fp->coarse, fp->usable_base, fp->usable_size);
    if (ret != UMF_RESULT_SUCCESS) {
        coarse_delete(fp->coarse);
        umf_ba_free(fp);
        return ret;
    }
    *provider = fp;
    return UMF_RESULT_SUCCESS;
}

static void fixed_finalize(void *provider) {
    fixed_provider_t *fp = provider;
    if (!fp) {
        return;
    }
    coarse_delete(fp->coarse);
    umf_ba_free(fp);
}

static void fixed_get_last_native_error(void *provider, const char **ppMessage,
                                        int32_t *pError) {
    (void)provider;
    utils_native_error_get(&fixed_native_error, ppMessage, pError);
}

static umf_result_t fixed_get_recommended_page_size(void *provider, size_t size,
                                                    size_t *pageSize) {
    (void)size;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = utils_page_size();
    return UMF_RESULT_SUCCESS;
}

static umf_result_t fixed_get_min_page_size(void *provider, void *ptr,
                                            size_t *pageSize) {
    (void)ptr;
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(pageSize != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    *pageSize = utils_page_size();
    return UMF_RESULT_SUCCESS;
}

static const char *fixed_get_name(void *provider) {
    (void)provider;
    return "FIXED";
}

/* Like upstream, the range is passed to the kernel as given: a range the
 * kernel rejects (unaligned, unmapped) comes back as PROVIDER_SPECIFIC. */
static umf_result_t fixed_purge_force(void *provider, void *ptr, size_t size) {
    UMF_CHECK(provider != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    UMF_CHECK(ptr != NULL, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    if (madvise(ptr, size, MADV_DONTNEED) != 0) {
        int err = errno;
        LOG_PERR("madvise(%p, %zu, MADV_DONTNEED) failed", ptr, size);
        utils_native_error_set(&fixed_native_error,
                               UMF_FIXED_RESULT_ERROR_PURGE_FORCE_FAILED,
                               "force purging failed", err);
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return UMF_RESULT_SUCCESS;
}

static umf_memory_provider_ops_t fixed_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = fixed_initialize,
    .finalize = fixed_finalize,
    .alloc = coarse_provider_alloc,
    .free = coarse_provider_free,
    .get_last_native_error = fixed_get_last_native_error,
    .get_recommended_page_size = fixed_get_recommended_page_size,
    .get_min_page_size = fixed_get_min_page_size,
    .get_name = fixed_get_name,
    .ext =
        {
            .purge_lazy = NULL, /* the front-end answers NOT_SUPPORTED */
            .purge_force = fixed_purge_force,
            .allocation_merge = coarse_provider_merge,
            .allocation_split = coarse_provider_split,
        },
    .ipc = {NULL, NULL, NULL, NULL, NULL},
};

UMF_EXPORT umf_memory_provider_ops_t *umfFixedMemoryProviderOps(void) {
    return &fixed_ops;
}
