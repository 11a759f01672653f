/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_cuda.c -- what umf-info says about CUDA: whether the CUDA
 * provider can be created here and, from the driver itself (libcuda.so.1,
 * loaded as the provider loads it), its version and devices with their
 * names and memory. The driver stays loaded: unloading a GPU driver is best
 * left to process exit. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <umf/memory_provider.h>
#include <umf/providers/provider_cuda.h>

#include "providers/cuda_driver_abi.h"
#include "umf_info_internal.h"

/* "CUDA_ERROR_NO_DEVICE" for res, when the driver can say. */
static const char *cu_name(cu_get_error_name_fn get_name, CUresult res) {
    const char *s = NULL;
    if (!get_name || get_name(res, &s) != CUDA_SUCCESS || !s) {
        return "unknown error";
    }
    return s;
}

bool info_cuda_probe(char *detail, size_t len, info_gpu_device_t *devs,
                     size_t max, size_t *ndevs) {
    *ndevs = 0;
    umf_memory_provider_handle_t p = NULL;
    umf_result_t r =
        umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), NULL, &p);
    bool usable = r == UMF_RESULT_SUCCESS;
    if (p) {
        umfMemoryProviderDestroy(p);
    }

    void *h = dlopen(CUDA_DRIVER_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *err = dlerror();
        snprintf(detail, len, "no driver: %s", err ? err : CUDA_DRIVER_SONAME);
        return false;
    }
    cu_init_fn init = (cu_init_fn)dlsym(h, "cuInit");
    cu_driver_get_version_fn version =
        (cu_driver_get_version_fn)dlsym(h, "cuDriverGetVersion");
    cu_device_get_count_fn count =
        (cu_device_get_count_fn)dlsym(h, "cuDeviceGetCount");
    cu_device_get_fn get = (cu_device_get_fn)dlsym(h, "cuDeviceGet");
    cu_device_get_name_fn get_name =
        (cu_device_get_name_fn)dlsym(h, "cuDeviceGetName");
    cu_device_total_mem_fn total =
        (cu_device_total_mem_fn)dlsym(h, "cuDeviceTotalMem_v2");
    cu_get_error_name_fn err_name =
        (cu_get_error_name_fn)dlsym(h, "cuGetErrorName");
    if (!init || !version || !count || !get || !get_name || !total) {
        snprintf(detail, len, "%s found, but it is not a CUDA driver",
                 CUDA_DRIVER_SONAME);
        return false;
    }
    int v = 0;
    (void)version(&v);
    CUresult res = init(0);
    if (res != CUDA_SUCCESS) {
        snprintf(detail, len, "%s (driver %d.%d) found; cuInit fails: %s",
                 CUDA_DRIVER_SONAME, v / 1000, (v % 1000) / 10,
                 cu_name(err_name, res));
        return false;
    }
    int n = 0;
    res = count(&n);
    if (res != CUDA_SUCCESS) {
        n = 0;
    }
    for (int i = 0; i < n && *ndevs < max; i++) {
        info_gpu_device_t *d = &devs[*ndevs];
        CUdevice dev;
        size_t memory = 0;
        memset(d, 0, sizeof(*d));
        if (get(&dev, i) != CUDA_SUCCESS ||
            get_name(d->name, (int)sizeof(d->name), dev) != CUDA_SUCCESS ||
            total(&memory, dev) != CUDA_SUCCESS) {
            continue;
        }
        d->name[sizeof(d->name) - 1] = '\0';
        d->backend = "cuda";
        d->type = "GPU";
        d->memory = memory;
        d->index = (unsigned)i;
        (*ndevs)++;
    }
    snprintf(detail, len, "%s, driver %d.%d, %d device%s%s", CUDA_DRIVER_SONAME,
             v / 1000, (v % 1000) / 10, n, n == 1 ? "" : "s",
             usable ? "" : "; the provider cannot be created");
    return usable;
}
