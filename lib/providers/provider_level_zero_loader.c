/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_level_zero_loader.c -- the Level Zero loader found at run time
 * (no link-time dependency): libze_loader.so.1 is taken from the process
 * when the program loaded it already, else loaded from the system; its
 * entry points fill ze_api all or nothing, and zeInit runs once. Also the
 * provider's native errors: what a ze call returned, by name. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "provider_level_zero_internal.h"
#include "util/dl_symbols_internal.h"
#include "util/log_internal.h"
#include "util/native_error_internal.h"
#include "util/utils_internal.h"

/* the SONAME: the unversioned libze_loader.so is only in libze-dev */
#define ZE_LOADER_SONAME "libze_loader.so.1"

ze_api_t ze_api;

static bool ze_loaded; /* atomic; ze_api is read-only once it is set */
static bool ze_init_failed;
static pthread_mutex_t ze_load_lock = PTHREAD_MUTEX_INITIALIZER;

static umf_result_t ze_api_load_locked(void) {
    if (ze_init_failed) {
        LOG_ERR("the Level Zero provider is unavailable: zeInit failed "
                "before (no usable Level Zero driver)");
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    const char *why = NULL;
    void *h = utils_dl_open(ZE_LOADER_SONAME, &why);
    if (!h) {
        LOG_ERR("the Level Zero provider is unavailable: cannot load %s "
                "(%s); install it with `apt-get install libze1`",
                ZE_LOADER_SONAME, why);
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
#define ZE_SYM(name)                                                           \
    { #name, offsetof(ze_api_t, name) }
    static const utils_dl_symbol_t required[] = {
        ZE_SYM(zeInit),
        ZE_SYM(zeDeviceGetProperties),
        ZE_SYM(zeMemAllocHost),
        ZE_SYM(zeMemAllocDevice),
        ZE_SYM(zeMemAllocShared),
        ZE_SYM(zeMemFree),
        ZE_SYM(zeMemGetAllocProperties),
        ZE_SYM(zeContextMakeMemoryResident),
        ZE_SYM(zeMemGetIpcHandle),
        ZE_SYM(zeMemOpenIpcHandle),
        ZE_SYM(zeMemCloseIpcHandle),
    };
    static const utils_dl_symbol_t free_ext[] = {ZE_SYM(zeMemFreeExt)};
    static const utils_dl_symbol_t put_ipc[] = {ZE_SYM(zeMemPutIpcHandle)};
#undef ZE_SYM
    ze_api_t api;
    memset(&api, 0, sizeof(api));
    const char *missing = utils_dl_resolve(
        h, required, UMF_ARRAY_SIZE(required), &api, sizeof(api));
    if (missing) {
        /* the handle stays open: the loader is never unloaded */
        LOG_ERR("the Level Zero provider is unavailable: %s has no %s "
                "(too old a Level Zero loader?)",
                ZE_LOADER_SONAME, missing);
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    /* optional: each leaves its slot NULL when missing */
    (void)utils_dl_resolve(h, free_ext, 1, &api, sizeof(api));
    (void)utils_dl_resolve(h, put_ipc, 1, &api, sizeof(api));

    /* First, and alone: after a driver failed to initialise, the loader
     * keeps dangling tables and any other call would crash inside it. The
     * loader caches zeInit's result, so a failure is final here too. */
    ze_result_t r = api.zeInit(0);
    if (r != ZE_RESULT_SUCCESS) {
        const char *name = ze_result_name(r);
        LOG_ERR("the Level Zero provider is unavailable: zeInit failed with "
                "%s (0x%x): no Level Zero driver or no GPU",
                name ? name : "an unknown result", (unsigned)r);
        ze_init_failed = true;
        return UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE;
    }
    ze_api = api;
    utils_atomic_store_release(&ze_loaded, true);
    LOG_DEBUG("Level Zero loader %s loaded (zeMemFreeExt %s, "
              "zeMemPutIpcHandle %s)",
              ZE_LOADER_SONAME, api.zeMemFreeExt ? "found" : "missing",
              api.zeMemPutIpcHandle ? "found" : "missing");
    return UMF_RESULT_SUCCESS;
}

umf_result_t ze_api_load(void) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&ze_loaded))) {
        return UMF_RESULT_SUCCESS;
    }
    pthread_mutex_lock(&ze_load_lock);
    umf_result_t ret = ze_loaded ? UMF_RESULT_SUCCESS : ze_api_load_locked();
    pthread_mutex_unlock(&ze_load_lock);
    return ret;
}

const char *ze_result_name(ze_result_t r) {
#define ZE_NAME(x)                                                             \
    case x:                                                                    \
        return #x
    switch (r) {
        ZE_NAME(ZE_RESULT_SUCCESS);
        ZE_NAME(ZE_RESULT_NOT_READY);
        ZE_NAME(ZE_RESULT_ERROR_DEVICE_LOST);
        ZE_NAME(ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY);
        ZE_NAME(ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY);
        ZE_NAME(ZE_RESULT_ERROR_DEVICE_REQUIRES_RESET);
        ZE_NAME(ZE_RESULT_ERROR_DEVICE_IN_LOW_POWER_STATE);
        ZE_NAME(ZE_RESULT_ERROR_INSUFFICIENT_PERMISSIONS);
        ZE_NAME(ZE_RESULT_ERROR_NOT_AVAILABLE);
        ZE_NAME(ZE_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
        ZE_NAME(ZE_RESULT_ERROR_UNINITIALIZED);
        ZE_NAME(ZE_RESULT_ERROR_UNSUPPORTED_VERSION);
        ZE_NAME(ZE_RESULT_ERROR_UNSUPPORTED_FEATURE);
        ZE_NAME(ZE_RESULT_ERROR_INVALID_ARGUMENT);
        ZE_NAME(ZE_RESULT_ERROR_INVALID_NULL_HANDLE);
        ZE_NAME(ZE_RESULT_ERROR_HANDLE_OBJECT_IN_USE);
        ZE_NAME(ZE_RESULT_ERROR_INVALID_NULL_POINTER);
        ZE_NAME(ZE_RESULT_ERROR_INVALID_SIZE);
        ZE_NAME(ZE_RESULT_ERROR_UNSUPPORTED_SIZE);
        ZE_NAME(ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT);
        ZE_NAME(ZE_RESULT_ERROR_INVALID_ENUMERATION);
        ZE_NAME(ZE_RESULT_ERROR_UNSUPPORTED_ENUMERATION);
        ZE_NAME(ZE_RESULT_ERROR_UNKNOWN);
    default:
        return NULL;
    }
#undef ZE_NAME
}

static __thread utils_native_error_t ze_native_error;

umf_result_t ze_provider_error(const char *call, ze_result_t r) {
    char text[160];
    const char *name = ze_result_name(r);
    if (name) {
        snprintf(text, sizeof(text), "%s failed: %s", call, name);
    } else {
        snprintf(text, sizeof(text), "%s failed: result 0x%x", call,
                 (unsigned)r);
    }
    utils_native_error_set(&ze_native_error, (int32_t)r, text, 0);
    LOG_ERR("%s", text);
    switch (r) {
    case ZE_RESULT_ERROR_OUT_OF_HOST_MEMORY:
    case ZE_RESULT_ERROR_OUT_OF_DEVICE_MEMORY:
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    case ZE_RESULT_ERROR_INVALID_ARGUMENT:
    case ZE_RESULT_ERROR_INVALID_NULL_HANDLE:
    case ZE_RESULT_ERROR_INVALID_NULL_POINTER:
    case ZE_RESULT_ERROR_INVALID_SIZE:
    case ZE_RESULT_ERROR_UNSUPPORTED_SIZE:
    case ZE_RESULT_ERROR_INVALID_ENUMERATION:
    case ZE_RESULT_ERROR_UNSUPPORTED_ENUMERATION:
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    case ZE_RESULT_ERROR_UNSUPPORTED_ALIGNMENT:
        return UMF_RESULT_ERROR_INVALID_ALIGNMENT;
    case ZE_RESULT_ERROR_UNSUPPORTED_FEATURE:
        return UMF_RESULT_ERROR_NOT_SUPPORTED;
    default:
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
}

void ze_provider_error_errno(const char *what, int err_no) {
    utils_native_error_set(&ze_native_error, (int32_t)ZE_RESULT_ERROR_UNKNOWN,
                           what, err_no);
}

void ze_provider_native_error(void *provider, const char **ppMessage,
                              int32_t *pError) {
    (void)provider;
    utils_native_error_get(&ze_native_error, ppMessage, pError);
}
