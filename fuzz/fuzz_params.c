/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_params.c -- libFuzzer target: the params functions of every pool and
 * provider.
 *
 * Input byte 0 picks a kind (OS, file, devdax, fixed, Level Zero, CUDA
 * providers; disjoint, scalable pools). Its params are created (with
 * values from the input where Create takes any), then up to 32 setter
 * calls follow, each picked by one byte and fed values from the input:
 * sizes small to absurd, any enum value, any string, NUMA lists and
 * partitions of any length. A setter called on a NULL params handle must
 * fail. Then the provider or pool is created from the params and, when
 * that succeeds, allocates and frees a little memory and is destroyed.
 *
 * What the library is told to touch is kept safe whatever the input: a
 * shared-memory name or file path used at create is moved into this
 * process's own namespace (umf-fuzz-PID-* under /dev/shm, or the scratch
 * directory), the fixed provider's memory is a region of this process,
 * and GPU providers are created only when configured out (their handles
 * from the input would be handed to a real driver). The setters
 * themselves see the raw input. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_cuda.h>
#include <umf/providers/provider_devdax_memory.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_level_zero.h>
#include <umf/providers/provider_os_memory.h>

#include "fuzz_common.h"
#include "fuzz_input.h"

#define MAX_SETTERS 32
#define NAME_CAP 600  /* past NAME_MAX and the OS provider's limit */
#define PATH_CAP 4200 /* past PATH_MAX */
#define FIXED_SIZE ((size_t)4 << 20)

/* A setter on a NULL handle fails (INVALID_ARGUMENT, or NOT_SUPPORTED
 * when the backend is configured out). */
#define NULL_HANDLE_FAILS(call)                                                \
    do {                                                                       \
        umf_result_t r_ = (call);                                              \
        FUZZ_CHECK(r_ != UMF_RESULT_SUCCESS, "%s succeeded", #call);           \
    } while (0)

static char *fixed_region;

static uint32_t take_enum(fuzz_input_t *in) {
    uint8_t b = fuzz_u8(in);
    return b < 0xf0 ? b % 8 : fuzz_u32(in); /* mostly near the valid ones */
}

static unsigned take_protection(fuzz_input_t *in) {
    uint8_t b = fuzz_u8(in);
    return b < 0xf0 ? b % 16 : fuzz_u32(in);
}

/* s without '/' (so that it names one entry of a directory). */
static void flatten(char *s) {
    for (; *s; s++) {
        if (*s == '/') {
            *s = '_';
        }
    }
}

/* Allocate a page and free it; touch it when it is readable and
 * writable. */
static void provider_exercise(umf_memory_provider_handle_t prov,
                              bool writable) {
    void *p = NULL;
    if (umfMemoryProviderAlloc(prov, 4096, 0, &p) == UMF_RESULT_SUCCESS) {
        FUZZ_CHECK(p != NULL, "alloc succeeded with NULL");
        if (writable) {
            fuzz_fill(p, 4096, 7);
            FUZZ_CHECK(fuzz_verify(p, 4096, 7) == SIZE_MAX, "page content");
        }
        FUZZ_CHECK(umfMemoryProviderFree(prov, p, 4096) == UMF_RESULT_SUCCESS,
                   "free");
    }
}

static void provider_try(const umf_memory_provider_ops_t *ops, void *params,
                         bool writable) {
    umf_memory_provider_handle_t prov = NULL;
    if (ops &&
        umfMemoryProviderCreate(ops, params, &prov) == UMF_RESULT_SUCCESS) {
        FUZZ_CHECK(prov != NULL, "create succeeded with NULL");
        provider_exercise(prov, writable);
        umfMemoryProviderDestroy(prov);
    }
}

/* protection as the provider would map it: readable and writable */
static bool rw(unsigned protection) {
    return (protection & (UMF_PROTECTION_READ | UMF_PROTECTION_WRITE)) ==
               (UMF_PROTECTION_READ | UMF_PROTECTION_WRITE) &&
           !(protection & UMF_PROTECTION_NONE) &&
           protection < UMF_PROTECTION_MAX;
}

static void fuzz_os(fuzz_input_t *in) {
    umf_os_memory_provider_params_handle_t p = NULL;
    FUZZ_CHECK(umfOsMemoryProviderParamsCreate(&p) == UMF_RESULT_SUCCESS,
               "OS params");
    static char name[NAME_CAP];
    bool named = false;
    unsigned protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 9) {
        case 0: {
            unsigned v = take_protection(in);
            if (umfOsMemoryProviderParamsSetProtection(p, v) ==
                UMF_RESULT_SUCCESS) {
                protection = v;
            }
            break;
        }
        case 1:
            umfOsMemoryProviderParamsSetVisibility(
                p, (umf_memory_visibility_t)take_enum(in));
            break;
        case 2: {
            bool null = fuzz_u8(in) % 4 == 0;
            fuzz_string(in, name, sizeof(name));
            if (umfOsMemoryProviderParamsSetShmName(p, null ? NULL : name) ==
                UMF_RESULT_SUCCESS) {
                named = !null && name[0];
            }
            break;
        }
        case 3: {
            unsigned len = fuzz_u8(in) % 8;
            bool null = fuzz_u8(in) % 8 == 0;
            unsigned list[8];
            for (unsigned k = 0; k < len; k++) {
                list[k] = fuzz_u8(in) < 0xf0 ? fuzz_u8(in) % 4 : fuzz_u32(in);
            }
            umfOsMemoryProviderParamsSetNumaList(p, null ? NULL : list, len);
            break;
        }
        case 4:
            umfOsMemoryProviderParamsSetNumaMode(
                p, (umf_numa_mode_t)take_enum(in));
            break;
        case 5:
            umfOsMemoryProviderParamsSetPartSize(p, fuzz_size(in));
            break;
        case 6: {
            unsigned len = fuzz_u8(in) % 8;
            bool null = fuzz_u8(in) % 8 == 0;
            umf_numa_split_partition_t parts[8];
            for (unsigned k = 0; k < len; k++) {
                parts[k].weight =
                    fuzz_u8(in) < 0xf0 ? fuzz_u8(in) : fuzz_u32(in);
                parts[k].target = fuzz_u8(in) % 4;
            }
            umfOsMemoryProviderParamsSetPartitions(p, null ? NULL : parts, len);
            break;
        }
        case 7:
            NULL_HANDLE_FAILS(umfOsMemoryProviderParamsSetProtection(
                NULL, UMF_PROTECTION_READ));
            NULL_HANDLE_FAILS(umfOsMemoryProviderParamsSetVisibility(
                NULL, UMF_MEM_MAP_SHARED));
            NULL_HANDLE_FAILS(umfOsMemoryProviderParamsSetShmName(NULL, "x"));
            NULL_HANDLE_FAILS(
                umfOsMemoryProviderParamsSetNumaList(NULL, NULL, 0));
            NULL_HANDLE_FAILS(umfOsMemoryProviderParamsSetNumaMode(
                NULL, UMF_NUMA_MODE_DEFAULT));
            NULL_HANDLE_FAILS(umfOsMemoryProviderParamsSetPartSize(NULL, 4096));
            NULL_HANDLE_FAILS(
                umfOsMemoryProviderParamsSetPartitions(NULL, NULL, 0));
            break;
        default:
            FUZZ_CHECK(umfOsMemoryProviderParamsCreate(NULL) !=
                           UMF_RESULT_SUCCESS,
                       "create(NULL)");
            break;
        }
    }
    if (named) {
        /* the object create makes is ours: umf-fuzz-PID-<name> */
        char safe[NAME_CAP + 64];
        snprintf(safe, sizeof(safe), "umf-fuzz-%ld-%s", (long)getpid(), name);
        if (umfOsMemoryProviderParamsSetShmName(p, safe) !=
                UMF_RESULT_SUCCESS &&
            umfOsMemoryProviderParamsSetShmName(p, NULL) !=
                UMF_RESULT_SUCCESS) {
            umfOsMemoryProviderParamsDestroy(p);
            return;
        }
    }
    provider_try(umfOsMemoryProviderOps(), p, rw(protection));
    FUZZ_CHECK(umfOsMemoryProviderParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
}

static void fuzz_file(fuzz_input_t *in) {
    static char path[PATH_CAP];
    fuzz_string(in, path, sizeof(path));
    umf_file_memory_provider_params_handle_t p = NULL;
    if (umfFileMemoryProviderParamsCreate(&p, fuzz_u8(in) % 8 ? path : NULL) !=
        UMF_RESULT_SUCCESS) {
        FUZZ_CHECK(p == NULL, "a failed create set the handle");
        return;
    }
    unsigned protection = UMF_PROTECTION_READ | UMF_PROTECTION_WRITE;
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 4) {
        case 0: {
            bool null = fuzz_u8(in) % 8 == 0;
            fuzz_string(in, path, sizeof(path));
            umfFileMemoryProviderParamsSetPath(p, null ? NULL : path);
            break;
        }
        case 1: {
            unsigned v = take_protection(in);
            if (umfFileMemoryProviderParamsSetProtection(p, v) ==
                UMF_RESULT_SUCCESS) {
                protection = v;
            }
            break;
        }
        case 2:
            umfFileMemoryProviderParamsSetVisibility(
                p, (umf_memory_visibility_t)take_enum(in));
            break;
        default:
            NULL_HANDLE_FAILS(umfFileMemoryProviderParamsSetPath(NULL, "/x"));
            NULL_HANDLE_FAILS(umfFileMemoryProviderParamsSetProtection(
                NULL, UMF_PROTECTION_READ));
            NULL_HANDLE_FAILS(umfFileMemoryProviderParamsSetVisibility(
                NULL, UMF_MEM_MAP_SHARED));
            break;
        }
    }
    /* the file create opens is one of the scratch directory */
    char safe[PATH_CAP + 512];
    flatten(path);
    snprintf(safe, sizeof(safe), "%s/f-%s", fuzz_scratch_dir(), path);
    if (umfFileMemoryProviderParamsSetPath(p, safe) == UMF_RESULT_SUCCESS) {
        provider_try(umfFileMemoryProviderOps(), p, rw(protection));
        unlink(safe);
    }
    FUZZ_CHECK(umfFileMemoryProviderParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
}

static void fuzz_devdax(fuzz_input_t *in) {
    static char path[PATH_CAP];
    fuzz_string(in, path, sizeof(path));
    size_t size = fuzz_size(in);
    umf_devdax_memory_provider_params_handle_t p = NULL;
    if (umfDevDaxMemoryProviderParamsCreate(&p, fuzz_u8(in) % 8 ? path : NULL,
                                            size) != UMF_RESULT_SUCCESS) {
        FUZZ_CHECK(p == NULL, "a failed create set the handle");
        return;
    }
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 3) {
        case 0: {
            bool null = fuzz_u8(in) % 8 == 0;
            fuzz_string(in, path, sizeof(path));
            size = fuzz_size(in);
            umfDevDaxMemoryProviderParamsSetDeviceDax(p, null ? NULL : path,
                                                      size);
            break;
        }
        case 1:
            umfDevDaxMemoryProviderParamsSetProtection(p, take_protection(in));
            break;
        default:
            NULL_HANDLE_FAILS(
                umfDevDaxMemoryProviderParamsSetDeviceDax(NULL, "/x", 4096));
            NULL_HANDLE_FAILS(umfDevDaxMemoryProviderParamsSetProtection(
                NULL, UMF_PROTECTION_READ));
            break;
        }
    }
    /* no device here: a scratch path, a regular file or none at all */
    char safe[PATH_CAP + 512];
    flatten(path);
    snprintf(safe, sizeof(safe), "%s/d-%s", fuzz_scratch_dir(), path);
    FILE *f = fuzz_u8(in) % 2 ? fopen(safe, "w") : NULL;
    if (f) {
        fclose(f);
        if (truncate(safe, (off_t)(size % ((size_t)8 << 20))) != 0) {
            unlink(safe); /* then the path names nothing */
        }
    }
    if (umfDevDaxMemoryProviderParamsSetDeviceDax(p, safe, size) ==
        UMF_RESULT_SUCCESS) {
        provider_try(umfDevDaxMemoryProviderOps(), p, false);
    }
    unlink(safe);
    FUZZ_CHECK(umfDevDaxMemoryProviderParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
}

/* Memory for the fixed provider: NULL, or a part of this process's own
 * region (never memory it does not have: that is the caller's contract). */
static void take_fixed_memory(fuzz_input_t *in, void **ptr, size_t *size) {
    uint8_t how = fuzz_u8(in);
    if (how % 8 == 0) {
        *ptr = NULL;
        *size = fuzz_size(in);
        return;
    }
    size_t off = fuzz_size_max(in, FIXED_SIZE);
    *ptr = fixed_region + off;
    *size = fuzz_size_max(in, FIXED_SIZE - off);
}

static void fuzz_fixed(fuzz_input_t *in) {
    if (!fixed_region) {
        fixed_region = mmap(NULL, FIXED_SIZE, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        FUZZ_CHECK(fixed_region != MAP_FAILED, "mmap");
    }
    void *ptr;
    size_t size;
    take_fixed_memory(in, &ptr, &size);
    umf_fixed_memory_provider_params_handle_t p = NULL;
    if (umfFixedMemoryProviderParamsCreate(&p, ptr, size) !=
        UMF_RESULT_SUCCESS) {
        FUZZ_CHECK(p == NULL, "a failed create set the handle");
        return;
    }
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        if (fuzz_u8(in) % 2) {
            take_fixed_memory(in, &ptr, &size);
            umfFixedMemoryProviderParamsSetMemory(p, ptr, size);
        } else {
            NULL_HANDLE_FAILS(umfFixedMemoryProviderParamsSetMemory(
                NULL, fixed_region, 4096));
        }
    }
    provider_try(umfFixedMemoryProviderOps(), p, true);
    FUZZ_CHECK(umfFixedMemoryProviderParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
}

/* GPU handles from the input are only stored by the setters; a provider
 * is created from them only when the backend is configured out (its ops
 * are NULL), since a real driver would be handed garbage handles. */
static void fuzz_level_zero(fuzz_input_t *in) {
    umf_level_zero_memory_provider_params_handle_t p = NULL;
    umfLevelZeroMemoryProviderParamsCreate(&p);
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        void *h = (void *)(uintptr_t)fuzz_u64(in);
        switch (op % 6) {
        case 0:
            umfLevelZeroMemoryProviderParamsSetContext(p, h);
            break;
        case 1:
            umfLevelZeroMemoryProviderParamsSetDevice(p, h);
            break;
        case 2:
            umfLevelZeroMemoryProviderParamsSetMemoryType(
                p, (umf_usm_memory_type_t)take_enum(in));
            break;
        case 3: {
            uint32_t count = fuzz_u8(in) % 8;
            ze_device_handle_t devices[8];
            for (uint32_t k = 0; k < count; k++) {
                devices[k] = (ze_device_handle_t)(uintptr_t)fuzz_u64(in);
            }
            umfLevelZeroMemoryProviderParamsSetResidentDevices(
                p, fuzz_u8(in) % 8 ? devices : NULL, count);
            break;
        }
        case 4:
            umfLevelZeroMemoryProviderParamsSetFreePolicy(
                p, (umf_level_zero_memory_provider_free_policy_t)take_enum(in));
            break;
        default:
            umfLevelZeroMemoryProviderParamsSetDeviceOrdinal(p, fuzz_u32(in));
            break;
        }
    }
    NULL_HANDLE_FAILS(umfLevelZeroMemoryProviderParamsSetContext(NULL, NULL));
    if (!umfLevelZeroMemoryProviderOps()) {
        umf_memory_provider_handle_t prov = NULL;
        FUZZ_CHECK(umfMemoryProviderCreate(umfLevelZeroMemoryProviderOps(), p,
                                           &prov) != UMF_RESULT_SUCCESS,
                   "create with NULL ops");
    }
    umfLevelZeroMemoryProviderParamsDestroy(p);
}

static void fuzz_cuda(fuzz_input_t *in) {
    umf_cuda_memory_provider_params_handle_t p = NULL;
    umfCUDAMemoryProviderParamsCreate(&p);
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 4) {
        case 0:
            umfCUDAMemoryProviderParamsSetContext(
                p, (void *)(uintptr_t)fuzz_u64(in));
            break;
        case 1:
            umfCUDAMemoryProviderParamsSetDevice(p, (int)fuzz_u32(in));
            break;
        case 2:
            umfCUDAMemoryProviderParamsSetMemoryType(
                p, (umf_usm_memory_type_t)take_enum(in));
            break;
        default:
            umfCUDAMemoryProviderParamsSetAllocFlags(p, fuzz_u32(in));
            break;
        }
    }
    NULL_HANDLE_FAILS(umfCUDAMemoryProviderParamsSetContext(NULL, NULL));
    if (!umfCUDAMemoryProviderOps()) {
        umf_memory_provider_handle_t prov = NULL;
        FUZZ_CHECK(umfMemoryProviderCreate(umfCUDAMemoryProviderOps(), p,
                                           &prov) != UMF_RESULT_SUCCESS,
                   "create with NULL ops");
    }
    umfCUDAMemoryProviderParamsDestroy(p);
}

/* A pool of ops with params over an OS provider: a few allocations
 * checked and freed. */
static void pool_try(const umf_memory_pool_ops_t *ops, void *params,
                     fuzz_input_t *in) {
    umf_os_memory_provider_params_handle_t op = NULL;
    umf_memory_provider_handle_t prov = NULL;
    FUZZ_CHECK(umfOsMemoryProviderParamsCreate(&op) == UMF_RESULT_SUCCESS,
               "OS params");
    FUZZ_CHECK(umfMemoryProviderCreate(umfOsMemoryProviderOps(), op, &prov) ==
                   UMF_RESULT_SUCCESS,
               "OS provider");
    umfOsMemoryProviderParamsDestroy(op);
    umf_memory_pool_handle_t pool = NULL;
    if (!ops ||
        umfPoolCreate(ops, prov, params, UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                      &pool) != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(prov);
        return;
    }
    void *blocks[4];
    size_t sizes[4];
    for (int k = 0; k < 4; k++) {
        sizes[k] = fuzz_size_max(in, (size_t)1 << 20);
        blocks[k] = umfPoolMalloc(pool, sizes[k]);
        if (blocks[k]) {
            fuzz_fill(blocks[k], sizes[k], (uint32_t)k);
        }
    }
    for (int k = 0; k < 4; k++) {
        if (blocks[k]) {
            FUZZ_CHECK(fuzz_verify(blocks[k], sizes[k], (uint32_t)k) ==
                           SIZE_MAX,
                       "block %d of %zu bytes", k, sizes[k]);
            FUZZ_CHECK(umfPoolFree(pool, blocks[k]) == UMF_RESULT_SUCCESS,
                       "free");
        }
    }
    umfPoolDestroy(pool);
}

static void fuzz_disjoint(fuzz_input_t *in) {
    umf_disjoint_pool_params_handle_t p = NULL;
    FUZZ_CHECK(umfDisjointPoolParamsCreate(&p) == UMF_RESULT_SUCCESS,
               "disjoint params");
    umf_disjoint_pool_shared_limits_handle_t limits = NULL;
    static char name[NAME_CAP];
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 9) {
        case 0:
            umfDisjointPoolParamsSetSlabMinSize(p, fuzz_size(in));
            break;
        case 1:
            umfDisjointPoolParamsSetMaxPoolableSize(p, fuzz_size(in));
            break;
        case 2:
            umfDisjointPoolParamsSetCapacity(p, fuzz_size(in));
            break;
        case 3:
            umfDisjointPoolParamsSetMinBucketSize(p, fuzz_size(in));
            break;
        case 4:
            umfDisjointPoolParamsSetTrace(p, (int)fuzz_u32(in) % 4);
            break;
        case 5:
            if (!limits) { /* one limits object, kept past the pool */
                limits = umfDisjointPoolSharedLimitsCreate(fuzz_size(in));
            }
            umfDisjointPoolParamsSetSharedLimits(p, fuzz_u8(in) % 4 ? limits
                                                                    : NULL);
            break;
        case 6: {
            bool null = fuzz_u8(in) % 8 == 0;
            fuzz_string(in, name, sizeof(name));
            umfDisjointPoolParamsSetName(p, null ? NULL : name);
            break;
        }
        case 7:
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetSlabMinSize(NULL, 4096));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetMaxPoolableSize(NULL, 1));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetCapacity(NULL, 1));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetMinBucketSize(NULL, 8));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetTrace(NULL, 0));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetSharedLimits(NULL, NULL));
            NULL_HANDLE_FAILS(umfDisjointPoolParamsSetName(NULL, "x"));
            break;
        default:
            umfDisjointPoolSharedLimitsDestroy(NULL);
            FUZZ_CHECK(umfDisjointPoolParamsCreate(NULL) != UMF_RESULT_SUCCESS,
                       "create(NULL)");
            break;
        }
    }
    pool_try(umfDisjointPoolOps(), p, in);
    FUZZ_CHECK(umfDisjointPoolParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
    umfDisjointPoolSharedLimitsDestroy(limits);
}

static void fuzz_scalable(fuzz_input_t *in) {
    umf_scalable_pool_params_handle_t p = NULL;
    if (umfScalablePoolParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return; /* configured out */
    }
    for (int n = 0; n < MAX_SETTERS && fuzz_left(in); n++) {
        uint8_t op = fuzz_u8(in);
        switch (op % 3) {
        case 0:
            umfScalablePoolParamsSetGranularity(p, fuzz_size(in));
            break;
        case 1:
            umfScalablePoolParamsSetKeepAllMemory(p, fuzz_u8(in) & 1);
            break;
        default:
            NULL_HANDLE_FAILS(umfScalablePoolParamsSetGranularity(NULL, 4096));
            NULL_HANDLE_FAILS(
                umfScalablePoolParamsSetKeepAllMemory(NULL, true));
            break;
        }
    }
    pool_try(umfScalablePoolOps(), p, in);
    FUZZ_CHECK(umfScalablePoolParamsDestroy(p) == UMF_RESULT_SUCCESS,
               "destroy");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input_t in;
    fuzz_input_init(&in, data, size);
    switch (fuzz_u8(&in) % 8) {
    case 0:
        fuzz_os(&in);
        break;
    case 1:
        fuzz_file(&in);
        break;
    case 2:
        fuzz_devdax(&in);
        break;
    case 3:
        fuzz_fixed(&in);
        break;
    case 4:
        fuzz_level_zero(&in);
        break;
    case 5:
        fuzz_cuda(&in);
        break;
    case 6:
        fuzz_disjoint(&in);
        break;
    default:
        fuzz_scalable(&in);
        break;
    }
    return 0;
}
