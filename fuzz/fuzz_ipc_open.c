/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_ipc_open.c -- libFuzzer target: umfOpenIPCHandle on arbitrary bytes.
 *
 * A producer pool in this process (one per configuration below) holds a
 * block filled with a known pattern, and its valid IPC handle is the
 * template. Input byte 0 picks:
 *   bits 0-1  the configuration: 0 OS provider (shared, memfd) under a
 *             disjoint pool; 1 OS provider (shared, named shm) under a
 *             scalable pool; 2 file provider (shared) under a disjoint
 *             pool; 3 file provider under a jemalloc pool (a configured-out
 *             or unavailable pool falls back to disjoint);
 *   bit 2     raw: the handle is the rest of the input (zero-padded)
 *             instead of the template XOR the rest of the input (so an
 *             all-zero rest is the valid handle, whatever its layout);
 *   bit 3     afterwards, open the valid template too and check its memory
 *             (a rejected or closed handle must not poison the cache);
 *   bit 4     open the handle twice before closing it twice.
 * The handle is exactly the pool's IPC handle size, in its own heap block.
 * Each input gets a new consumer pool (a proxy pool over a provider of the
 * same kind), destroyed afterwards, so no mapping carries over.
 *
 * Findings (abort): a crash; an accepted handle whose memory is not the
 * producer's block (the pattern differs); a close that fails; an fd or a
 * mapping of the producer's backing object more than before the input. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "fuzz_common.h"
#include "fuzz_input.h"

#define NCONFIGS 4
#define BLOCK_SIZE 3000
#define MODE_RAW 0x4
#define MODE_REOPEN_VALID 0x8
#define MODE_TWICE 0x10

typedef struct producer_t {
    bool file; /* file provider, else OS provider */
    umf_memory_pool_handle_t pool;
    void *block;
    umf_ipc_handle_t handle; /* the template */
    size_t handle_size;
    char needle[300]; /* how /proc/self/maps names the backing object */
    int mappings;     /* its mappings before any input */
} producer_t;

static producer_t producers[NCONFIGS];
static int baseline_fds;

static uint32_t block_seed(int cfg) { return 0x5eed0000u + (uint32_t)cfg; }

static umf_memory_provider_handle_t os_shared_provider(const char *shm_name) {
    umf_os_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    FUZZ_CHECK(umfOsMemoryProviderParamsCreate(&p) == UMF_RESULT_SUCCESS,
               "OS params");
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    if (shm_name) {
        umfOsMemoryProviderParamsSetShmName(p, shm_name);
    }
    umf_result_t r =
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "OS provider create: %d", r);
    umfOsMemoryProviderParamsDestroy(p);
    return prov;
}

static umf_memory_provider_handle_t file_shared_provider(const char *path) {
    umf_file_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    FUZZ_CHECK(umfFileMemoryProviderParamsCreate(&p, path) ==
                   UMF_RESULT_SUCCESS,
               "file params");
    umfFileMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umf_result_t r =
        umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "file provider create %s: %d", path, r);
    umfFileMemoryProviderParamsDestroy(p);
    return prov;
}

/* A pool of ops over prov (owned); disjoint when ops is NULL or fails. */
static umf_memory_pool_handle_t pool_over(const umf_memory_pool_ops_t *ops,
                                          umf_memory_provider_handle_t prov) {
    umf_memory_pool_handle_t pool = NULL;
    if (ops && umfPoolCreate(ops, prov, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                             &pool) == UMF_RESULT_SUCCESS) {
        return pool;
    }
    umf_result_t r = umfPoolCreate(umfDisjointPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "disjoint pool create: %d", r);
    return pool;
}

static void producer_init(int cfg) {
    producer_t *pr = &producers[cfg];
    umf_memory_provider_handle_t prov;
    char path[300];
    switch (cfg) {
    case 0:
        prov = os_shared_provider(NULL);
        pr->pool = pool_over(umfDisjointPoolOps(), prov);
        snprintf(pr->needle, sizeof(pr->needle), "memfd:");
        break;
    case 1: {
        char name[64];
        snprintf(name, sizeof(name), "umf-fuzz-ipc-%ld", (long)getpid());
        prov = os_shared_provider(name);
        pr->pool = pool_over(umfScalablePoolOps(), prov);
        snprintf(pr->needle, sizeof(pr->needle), "/dev/shm/%s", name);
        break;
    }
    default:
        FUZZ_CHECK(fuzz_scratch_path(path, sizeof(path),
                                     cfg == 2 ? "producer-2" : "producer-3") ==
                       0,
                   "path");
        prov = file_shared_provider(path);
        pr->pool = pool_over(
            cfg == 2 ? umfDisjointPoolOps() : umfJemallocPoolOps(), prov);
        FUZZ_CHECK(realpath(path, pr->needle) != NULL, "realpath %s", path);
        pr->file = true;
        break;
    }
    pr->block = umfPoolMalloc(pr->pool, BLOCK_SIZE);
    FUZZ_CHECK(pr->block != NULL, "producer block of configuration %d", cfg);
    fuzz_fill(pr->block, BLOCK_SIZE, block_seed(cfg));
    umf_result_t r = umfGetIPCHandle(pr->block, &pr->handle, &pr->handle_size);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "umfGetIPCHandle: %d", r);
    size_t pool_size = 0;
    FUZZ_CHECK(umfPoolGetIPCHandleSize(pr->pool, &pool_size) ==
                       UMF_RESULT_SUCCESS &&
                   pool_size == pr->handle_size,
               "handle size %zu, pool says %zu", pr->handle_size, pool_size);
}

/* At exit: a named shared-memory object is unlinked only by its
 * provider's destroy. */
static void producers_destroy(void) {
    for (int cfg = 0; cfg < NCONFIGS; cfg++) {
        producer_t *pr = &producers[cfg];
        if (pr->pool) {
            umfPutIPCHandle(pr->handle);
            umfPoolFree(pr->pool, pr->block);
            umfPoolDestroy(pr->pool);
            pr->pool = NULL;
        }
    }
}

/* A crash leaves no named object behind either (after a finding or a
 * sanitizer report; other deaths leave /dev/shm/umf-fuzz-ipc-PID). */
static void shm_unlink_on_death(void) {
    char name[64];
    snprintf(name, sizeof(name), "/umf-fuzz-ipc-%ld", (long)getpid());
    shm_unlink(name);
}

static void setup(void) {
    atexit(producers_destroy);
    fuzz_on_death(shm_unlink_on_death);
    for (int cfg = 0; cfg < NCONFIGS; cfg++) {
        producer_init(cfg);
    }
    for (int cfg = 0; cfg < NCONFIGS; cfg++) {
        producers[cfg].mappings = fuzz_count_mappings(producers[cfg].needle);
    }
    baseline_fds = fuzz_count_fds();
}

static umf_memory_pool_handle_t consumer_create(int cfg) {
    umf_memory_provider_handle_t prov;
    if (producers[cfg].file) {
        char path[300];
        FUZZ_CHECK(fuzz_scratch_path(path, sizeof(path), "consumer") == 0,
                   "path");
        prov = file_shared_provider(path);
    } else {
        prov = os_shared_provider(NULL);
    }
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t r = umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "consumer pool: %d", r);
    return pool;
}

/* The memory an accepted handle gave must be the producer's block. */
static void check_opened(int cfg, const void *p, const char *what) {
    FUZZ_CHECK(p != NULL, "%s: opened at NULL", what);
    size_t bad = fuzz_verify(p, BLOCK_SIZE, block_seed(cfg));
    FUZZ_CHECK(bad == SIZE_MAX,
               "%s: the opened memory differs from the producer's block at "
               "byte %zu (configuration %d)",
               what, bad, cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    fuzz_input_t in;
    fuzz_input_init(&in, data, size);
    uint8_t mode = fuzz_u8(&in);
    int cfg = mode % NCONFIGS;
    producer_t *pr = &producers[cfg];

    uint8_t *h = malloc(pr->handle_size);
    FUZZ_CHECK(h != NULL, "malloc");
    size_t n =
        fuzz_left(&in) < pr->handle_size ? fuzz_left(&in) : pr->handle_size;
    if (mode & MODE_RAW) {
        memset(h, 0, pr->handle_size);
        memcpy(h, data + in.pos, n);
    } else {
        memcpy(h, pr->handle, pr->handle_size);
        for (size_t i = 0; i < n; i++) {
            h[i] ^= data[in.pos + i];
        }
    }

    umf_memory_pool_handle_t consumer = consumer_create(cfg);
    umf_ipc_handler_handle_t handler = NULL;
    FUZZ_CHECK(umfPoolGetIPCHandler(consumer, &handler) == UMF_RESULT_SUCCESS,
               "handler");
    void *p = NULL;
    umf_result_t r = umfOpenIPCHandle(handler, (umf_ipc_handle_t)h, &p);
    if (r == UMF_RESULT_SUCCESS) {
        check_opened(cfg, p, "the handle");
        void *q = NULL;
        if (mode & MODE_TWICE) {
            r = umfOpenIPCHandle(handler, (umf_ipc_handle_t)h, &q);
            FUZZ_CHECK(r == UMF_RESULT_SUCCESS,
                       "a handle opened once failed the second time: %d", r);
            check_opened(cfg, q, "the handle opened again");
        }
        r = umfCloseIPCHandle(p);
        FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "close of an opened handle: %d", r);
        if (q) {
            r = umfCloseIPCHandle(q);
            FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "close of the second open: %d",
                       r);
        }
    } else {
        FUZZ_CHECK(p == NULL, "a failed open set *ptr");
    }
    if (mode & MODE_REOPEN_VALID) {
        void *v = NULL;
        r = umfOpenIPCHandle(handler, pr->handle, &v);
        FUZZ_CHECK(r == UMF_RESULT_SUCCESS,
                   "the valid handle failed after another: %d", r);
        check_opened(cfg, v, "the valid handle");
        FUZZ_CHECK(umfCloseIPCHandle(v) == UMF_RESULT_SUCCESS, "close valid");
    }
    umfPoolDestroy(consumer);
    free(h);

    int fds = fuzz_count_fds();
    FUZZ_CHECK(fds == baseline_fds, "%d descriptors open, %d before", fds,
               baseline_fds);
    int maps = fuzz_count_mappings(pr->needle);
    FUZZ_CHECK(maps == pr->mappings, "%d mappings of %s, %d before", maps,
               pr->needle, pr->mappings);
    return 0;
}
