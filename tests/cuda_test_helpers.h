/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* cuda_test_helpers.h -- how the CUDA tests find a driver, and small
 * helpers (static functions: each program includes this once).
 *
 * By default a test runs on the fake driver (tests/fakes/fake_libcuda.h):
 * cuda_test_use_driver() re-executes the program with the fake's directory
 * first on LD_LIBRARY_PATH, so that the provider's dlopen("libcuda.so.1")
 * finds it. Under valgrind (whose re-executed image would run outside it)
 * the fake is loaded by its path instead; the provider then finds it
 * already loaded (the same SONAME). With UMF_TEST_CUDA_REAL=1 nothing is
 * changed and the tests run on the machine's driver
 * (tests/gpu/cuda-device-check.sh); tests of fake-only behaviour skip. */
#ifndef UMF_TEST_CUDA_TEST_HELPERS_H
#define UMF_TEST_CUDA_TEST_HELPERS_H 1

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_cuda.h>

#include "fake_libcuda.h"
#include "providers/cuda_driver_abi.h"
#include "test_helpers.h"

#define CT_UNUSED __attribute__((unused))

static bool ct_real_driver(void) {
    const char *v = getenv("UMF_TEST_CUDA_REAL");
    return v && strcmp(v, "1") == 0;
}

/* See the top of this file. Returns only when the driver to use is set
 * up; children started with --child inherit the parent's setting. */
static CT_UNUSED void cuda_test_use_driver(int argc, char **argv) {
    if (ct_real_driver() || (argc >= 2 && strcmp(argv[1], "--child") == 0)) {
        return;
    }
    const char *dir = UMF_TEST_FAKE_CUDA_DIR;
    const char *lp = getenv("LD_LIBRARY_PATH");
    if (lp && strncmp(lp, dir, strlen(dir)) == 0) {
        return; /* re-executed already */
    }
    if (umf_test_under_valgrind()) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/libcuda.so.1", dir);
        if (!dlopen(path, RTLD_NOW | RTLD_GLOBAL)) {
            fprintf(stderr, "cannot load the fake driver: %s\n", dlerror());
            exit(1);
        }
        return;
    }
    size_t len = strlen(dir) + (lp ? strlen(lp) + 1 : 0) + 1;
    char *val = malloc(len);
    if (!val) {
        exit(1);
    }
    snprintf(val, len, "%s%s%s", dir, lp && *lp ? ":" : "", lp ? lp : "");
    setenv("LD_LIBRARY_PATH", val, 1);
    free(val);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    perror("re-executing with the fake CUDA driver");
    exit(1);
}

/* In a --child run whose parent loaded the fake by its path (valgrind),
 * load it the same way. */
static CT_UNUSED void ct_child_load_fake(void) {
    const char *dir = UMF_TEST_FAKE_CUDA_DIR;
    const char *lp = getenv("LD_LIBRARY_PATH");
    if (ct_real_driver() || (lp && strncmp(lp, dir, strlen(dir)) == 0)) {
        return;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/libcuda.so.1", dir);
    (void)dlopen(path, RTLD_NOW | RTLD_GLOBAL);
}

/* LD_LIBRARY_PATH with dir in place of the fake driver's directory
 * (malloc'ed): what a child gets to find another driver, or none. */
static CT_UNUSED char *ct_library_path_instead_of_fake(const char *dir) {
    const char *lp = getenv("LD_LIBRARY_PATH");
    const char *fake = UMF_TEST_FAKE_CUDA_DIR;
    size_t flen = strlen(fake);
    if (lp && strncmp(lp, fake, flen) == 0) {
        lp += flen;
        lp += *lp == ':';
    }
    size_t len = strlen(dir) + (lp ? strlen(lp) : 0) + 2;
    char *out = malloc(len);
    if (out) {
        snprintf(out, len, "%s%s%s", dir, lp && *lp ? ":" : "", lp ? lp : "");
    }
    return out;
}

/* A fake-driver control (NULL on the real driver or when absent). */
static CT_UNUSED void *ct_fake_sym(const char *name) {
    if (ct_real_driver()) {
        return NULL;
    }
    void *h = dlopen(CUDA_DRIVER_SONAME, RTLD_NOW | RTLD_NOLOAD);
    return h ? dlsym(h, name) : NULL;
}

static CT_UNUSED bool ct_fail_next(const char *entry, int result) {
    fake_cuda_fail_next_fn f =
        (fake_cuda_fail_next_fn)ct_fake_sym(FAKE_CUDA_FAIL_NEXT);
    return f && f(entry, result) == 0;
}

static CT_UNUSED long ct_live_allocs(void) {
    fake_cuda_live_fn f = (fake_cuda_live_fn)ct_fake_sym(FAKE_CUDA_LIVE_ALLOCS);
    return f ? f() : -1;
}

static CT_UNUSED long ct_live_ipc(void) {
    fake_cuda_live_fn f = (fake_cuda_live_fn)ct_fake_sym(FAKE_CUDA_LIVE_IPC);
    return f ? f() : -1;
}

static CT_UNUSED int ct_primary_refs(int device) {
    fake_cuda_primary_refs_fn f =
        (fake_cuda_primary_refs_fn)ct_fake_sym(FAKE_CUDA_PRIMARY_REFS);
    return f ? f(device) : -1;
}

/* A driver entry point for the test's own calls (the driver is loaded by
 * then: a provider was created, or cuda_test_driver_sym loads it). */
static CT_UNUSED void *ct_driver_sym(const char *name) {
    void *h = dlopen(CUDA_DRIVER_SONAME, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        h = dlopen(CUDA_DRIVER_SONAME, RTLD_NOW | RTLD_LOCAL);
    }
    return h ? dlsym(h, name) : NULL;
}

/* Make device's primary context current on this thread (retained once
 * per thread and device; the test's own driver calls need one). */
static CT_UNUSED bool ct_make_current(int device) {
    cu_device_primary_ctx_retain_fn retain =
        (cu_device_primary_ctx_retain_fn)ct_driver_sym(
            "cuDevicePrimaryCtxRetain");
    cu_ctx_set_current_fn set =
        (cu_ctx_set_current_fn)ct_driver_sym("cuCtxSetCurrent");
    CUcontext ctx = NULL;
    return retain && set && retain(&ctx, device) == CUDA_SUCCESS &&
           set(ctx) == CUDA_SUCCESS;
}

/* Fill len bytes of GPU memory at ptr with the pattern of seed / check
 * them, through the driver's copies (device memory need not be host
 * memory). A context must be current. */
static CT_UNUSED bool ct_write(void *ptr, size_t len, unsigned seed) {
    cu_memcpy_htod_fn htod =
        (cu_memcpy_htod_fn)ct_driver_sym("cuMemcpyHtoD_v2");
    char *buf = malloc(len);
    bool ok = htod && buf;
    if (ok) {
        umf_test_fill(buf, len, seed);
        ok = htod((CUdeviceptr)(uintptr_t)ptr, buf, len) == CUDA_SUCCESS;
    }
    free(buf);
    return ok;
}

static CT_UNUSED bool ct_verify(const void *ptr, size_t len, unsigned seed) {
    cu_memcpy_dtoh_fn dtoh =
        (cu_memcpy_dtoh_fn)ct_driver_sym("cuMemcpyDtoH_v2");
    char *buf = malloc(len);
    bool ok = dtoh && buf &&
              dtoh(buf, (CUdeviceptr)(uintptr_t)ptr, len) == CUDA_SUCCESS &&
              umf_test_verify(buf, len, seed);
    free(buf);
    return ok;
}

/* Can a default CUDA provider be made here? Exits 77 (with the reason)
 * when there is no driver or no device. */
static CT_UNUSED void cuda_test_require_driver(void) {
    umf_memory_provider_handle_t p = NULL;
    umf_result_t r =
        umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), NULL, &p);
    if (r == UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
        umf_test_skip(ct_real_driver()
                          ? "no usable CUDA driver (libcuda.so.1) or GPU here"
                          : "the fake CUDA driver cannot be loaded");
    }
    if (r == UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(p);
    }
}

/* A CUDA provider of type (context and device: the defaults), or NULL. */
static CT_UNUSED umf_memory_provider_handle_t
ct_provider(umf_usm_memory_type_t type, int device, unsigned flags) {
    umf_cuda_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t p = NULL;
    if (umfCUDAMemoryProviderParamsCreate(&params) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    if (umfCUDAMemoryProviderParamsSetMemoryType(params, type) ==
            UMF_RESULT_SUCCESS &&
        (device < 0 || umfCUDAMemoryProviderParamsSetDevice(params, device) ==
                           UMF_RESULT_SUCCESS) &&
        umfCUDAMemoryProviderParamsSetAllocFlags(params, flags) ==
            UMF_RESULT_SUCCESS) {
        (void)umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), params, &p);
    }
    umfCUDAMemoryProviderParamsDestroy(params);
    return p;
}

#endif /* UMF_TEST_CUDA_TEST_HELPERS_H */
