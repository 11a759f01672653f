/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_pool_ops.c -- libFuzzer target: sequences of pool API calls.
 *
 * Input: byte 0 picks the pool (disjoint, jemalloc, scalable, proxy),
 * byte 1 the provider (OS, fixed, file), byte 2 variants (bit 0: a
 * disjoint pool with small slabs and buckets; bit 1: shared visibility for
 * the OS and file providers; bit 2: a second pool of another kind over
 * another provider, bits 3-6 saying which, that owns the odd slots). Then,
 * until the input ends, one byte picks a call and the next bytes its slot,
 * size, count or alignment: malloc, calloc, aligned malloc, realloc, free
 * through the pool and through umfFree, usable size, umfPoolByPtr, free(NULL),
 * tags. A pool or provider this build or machine lacks makes the input a no-op
 * (devdax: no device).
 *
 * Every block carries a pattern of its own, written when it is allocated
 * and checked before it is freed or moved, so overlapping blocks, a realloc
 * that loses bytes or memory reused while still in use are findings; so
 * are a misaligned block, a usable size below the request, calloc memory
 * that is not zero, a failed realloc that harmed the old block,
 * umfPoolByPtr not finding the pool of its block (or finding one after the
 * pool is destroyed), a pool accepting an impossible request, and a
 * NULL result whose last allocation error says SUCCESS. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "fuzz_common.h"
#include "fuzz_input.h"

#define SLOTS 32
#define MAX_OPS 256
#define LIVE_BUDGET ((size_t)48 << 20) /* bytes held at once */
#define BIG_LIMIT ((size_t)4 << 20)    /* larger requests are folded */
/* Requests from absurd_from up are made but never touched; smaller ones
 * are folded under BIG_LIMIT. A file provider with shared visibility
 * fallocates what it is asked for, so over it only sizes that no off_t
 * holds are absurd: a fuzzer must not fill the disk. */
#define ABSURD_MEMORY ((size_t)1 << 36)
#define ABSURD_FILE ((size_t)1 << 63)
static size_t absurd_from = ABSURD_MEMORY; /* per input */
#define IMPOSSIBLE ((size_t)1 << 57)       /* above any user address space */
#define FIXED_SIZE ((size_t)16 << 20)

enum { POOL_DISJOINT, POOL_JEMALLOC, POOL_SCALABLE, POOL_PROXY, NPOOLS };
enum { PROV_OS, PROV_FIXED, PROV_FILE, NPROVS };

typedef struct block_t {
    char *p;
    size_t size;
    uint32_t seed;
} block_t;

typedef struct run_t {
    /* one or two pools; slot i belongs to pools[i % npools] */
    umf_memory_pool_handle_t pools[2];
    int kinds[2], npools;
    void *last_ptrs[2]; /* a block each pool gave, for after the destroy */
    int cur;            /* the pool of the slot being worked on: */
    int kind;           /* kinds[cur] */
    umf_memory_pool_handle_t pool; /* pools[cur] */
    block_t slot[SLOTS];
    size_t live;
    uint32_t next_seed;
} run_t;

static void *fixed_region;

/* which: 0 or 1, the first or second pool's provider (of its own file) */
static umf_memory_provider_handle_t make_provider(int kind, bool shared,
                                                  int which) {
    umf_memory_provider_handle_t prov = NULL;
    umf_memory_visibility_t vis =
        shared ? UMF_MEM_MAP_SHARED : UMF_MEM_MAP_PRIVATE;
    switch (kind) {
    case PROV_OS: {
        umf_os_memory_provider_params_handle_t p = NULL;
        FUZZ_CHECK(umfOsMemoryProviderParamsCreate(&p) == UMF_RESULT_SUCCESS,
                   "OS params");
        umfOsMemoryProviderParamsSetVisibility(p, vis);
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
        umfOsMemoryProviderParamsDestroy(p);
        break;
    }
    case PROV_FIXED: {
        if (!fixed_region) {
            fixed_region = mmap(NULL, FIXED_SIZE, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            FUZZ_CHECK(fixed_region != MAP_FAILED, "mmap");
        }
        umf_fixed_memory_provider_params_handle_t p = NULL;
        FUZZ_CHECK(umfFixedMemoryProviderParamsCreate(
                       &p, fixed_region, FIXED_SIZE) == UMF_RESULT_SUCCESS,
                   "fixed params");
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), p, &prov);
        umfFixedMemoryProviderParamsDestroy(p);
        break;
    }
    default: {
        char path[300];
        FUZZ_CHECK(fuzz_scratch_path(path, sizeof(path),
                                     which ? "pool-ops-2" : "pool-ops") == 0,
                   "path");
        umf_file_memory_provider_params_handle_t p = NULL;
        FUZZ_CHECK(umfFileMemoryProviderParamsCreate(&p, path) ==
                       UMF_RESULT_SUCCESS,
                   "file params");
        umfFileMemoryProviderParamsSetVisibility(p, vis);
        umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov);
        umfFileMemoryProviderParamsDestroy(p);
        break;
    }
    }
    FUZZ_CHECK(prov != NULL, "provider %d (shared %d) could not be created",
               kind, shared);
    return prov;
}

/* The pool, or NULL when this build or machine has no such pool. */
static umf_memory_pool_handle_t make_pool(int kind, int prov_kind,
                                          uint8_t variant, int which) {
    const umf_memory_pool_ops_t *ops = NULL;
    void *params = NULL;
    umf_disjoint_pool_params_handle_t dj = NULL;
    switch (kind) {
    case POOL_DISJOINT:
        ops = umfDisjointPoolOps();
        if (variant & 1) {
            FUZZ_CHECK(umfDisjointPoolParamsCreate(&dj) == UMF_RESULT_SUCCESS,
                       "disjoint params");
            umfDisjointPoolParamsSetSlabMinSize(dj, 4096);
            umfDisjointPoolParamsSetMaxPoolableSize(dj, 65536);
            umfDisjointPoolParamsSetCapacity(dj, 1);
            umfDisjointPoolParamsSetMinBucketSize(dj, 16);
            params = dj;
        }
        break;
    case POOL_JEMALLOC:
        ops = umfJemallocPoolOps();
        break;
    case POOL_SCALABLE:
        ops = umfScalablePoolOps();
        break;
    default:
        ops = umfProxyPoolOps();
        break;
    }
    if (!ops) {
        return NULL;
    }
    umf_memory_provider_handle_t prov =
        make_provider(prov_kind, (variant & 2) != 0, which);
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t r = umfPoolCreate(ops, prov, params,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (dj) {
        umfDisjointPoolParamsDestroy(dj);
    }
    if (r != UMF_RESULT_SUCCESS) {
        /* a pool whose allocator is not installed (libtbbmalloc.so.2) */
        FUZZ_CHECK(kind == POOL_JEMALLOC || kind == POOL_SCALABLE,
                   "pool %d over provider %d: %d", kind, prov_kind, r);
        umfMemoryProviderDestroy(prov);
        return NULL;
    }
    return pool;
}

/* A request size: impossible, absurd (never touched) or folded below
 * BIG_LIMIT. */
static size_t take_size(fuzz_input_t *in) {
    size_t s = fuzz_size(in);
    if (s >= absurd_from) {
        return s;
    }
    return s > BIG_LIMIT ? s % BIG_LIMIT : s;
}

static size_t take_alignment(fuzz_input_t *in) {
    uint8_t a = fuzz_u8(in);
    switch (a % 32) {
    case 30:
        return 0;
    case 31: /* not a power of two */
        return (size_t)3 << (a / 32);
    default:
        return (size_t)1 << (a % 24);
    }
}

static void check_block(const block_t *b, const char *when) {
    size_t bad = fuzz_verify(b->p, b->size, b->seed);
    FUZZ_CHECK(bad == SIZE_MAX, "%s: block %p of %zu bytes changed at byte %zu",
               when, (void *)b->p, b->size, bad);
}

/* Record a new block in slot i (empty), after the checks every new block
 * passes. */
static void new_block(run_t *run, int i, void *p, size_t size, size_t alignment,
                      const char *call) {
    FUZZ_CHECK(alignment == 0 || (uintptr_t)p % alignment == 0,
               "%s(%zu, alignment %zu) gave %p", call, size, alignment, p);
    FUZZ_CHECK(umfPoolByPtr(p) == run->pool, "umfPoolByPtr(%p) after %s", p,
               call);
    block_t *b = &run->slot[i];
    b->p = p;
    b->size = size;
    b->seed = run->next_seed++;
    fuzz_fill(p, size, b->seed);
    run->live += size;
    run->last_ptrs[run->cur] = p;
}

static void free_block(run_t *run, int i, bool through_umf_free) {
    block_t *b = &run->slot[i];
    check_block(b, "before free");
    umf_result_t r =
        through_umf_free ? umfFree(b->p) : umfPoolFree(run->pool, b->p);
    FUZZ_CHECK(r == UMF_RESULT_SUCCESS, "%s(%p): %d",
               through_umf_free ? "umfFree" : "umfPoolFree", (void *)b->p, r);
    run->live -= b->size;
    b->p = NULL;
}

/* A request that cannot be satisfied must fail; an absurd one that the
 * provider's overcommit let through is given back untouched. */
static bool handle_absurd(run_t *run, void *p, size_t size, const char *call) {
    if (size < absurd_from) {
        return false;
    }
    FUZZ_CHECK(p == NULL || size < IMPOSSIBLE, "%s(%zu) gave %p", call, size,
               p);
    if (p) {
        FUZZ_CHECK(umfPoolFree(run->pool, p) == UMF_RESULT_SUCCESS,
                   "free of an absurd block");
    }
    return true;
}

/* An allocation call that returned NULL for a request of size > 0 says
 * why (umfPoolGetLastAllocationError(3): meaningful right after it). */
static void check_failed(const run_t *run, size_t size, const char *call) {
    if (size == 0) {
        return;
    }
    umf_result_t r = umfPoolGetLastAllocationError(run->pool);
    FUZZ_CHECK(r != UMF_RESULT_SUCCESS,
               "%s(%zu) returned NULL but the last allocation error is "
               "SUCCESS",
               call, size);
}

static bool fits_budget(const run_t *run, size_t size) {
    return size <= LIVE_BUDGET - run->live;
}

static void op_malloc(run_t *run, int i, fuzz_input_t *in) {
    size_t size = take_size(in);
    if (!handle_absurd(run, NULL, size, "") && !fits_budget(run, size)) {
        return;
    }
    void *p = umfPoolMalloc(run->pool, size);
    if (!p) {
        check_failed(run, size, "umfPoolMalloc");
    }
    if (!handle_absurd(run, p, size, "umfPoolMalloc") && p) {
        new_block(run, i, p, size, 0, "umfPoolMalloc");
    }
}

static void op_calloc(run_t *run, int i, fuzz_input_t *in) {
    size_t num =
        fuzz_u8(in) % 8 == 7 ? (size_t)fuzz_u64(in) : (size_t)fuzz_u8(in);
    size_t size = take_size(in);
    size_t total;
    bool overflow = __builtin_mul_overflow(num, size, &total);
    /* calloc zeroes what it gives (jemalloc with memset): only requests
     * that cannot succeed may exceed the budget */
    if (!overflow && total < IMPOSSIBLE && !fits_budget(run, total)) {
        return;
    }
    void *p = umfPoolCalloc(run->pool, num, size);
    if (!p) {
        check_failed(run, overflow ? SIZE_MAX : total, "umfPoolCalloc");
    }
    if (overflow) {
        FUZZ_CHECK(p == NULL, "umfPoolCalloc(%zu, %zu) overflows but gave %p",
                   num, size, p);
        return;
    }
    if (handle_absurd(run, p, total, "umfPoolCalloc") || !p) {
        return;
    }
    size_t limit = total < FUZZ_FULL_CHECK ? total : FUZZ_FULL_CHECK;
    for (size_t k = 0; k < limit; k++) {
        FUZZ_CHECK(((char *)p)[k] == 0, "umfPoolCalloc byte %zu not zero", k);
    }
    if (total) {
        FUZZ_CHECK(((char *)p)[total - 1] == 0, "umfPoolCalloc last byte");
    }
    new_block(run, i, p, total, 0, "umfPoolCalloc");
}

static void op_aligned(run_t *run, int i, fuzz_input_t *in) {
    size_t size = take_size(in);
    size_t alignment = take_alignment(in);
    if (size < absurd_from && !fits_budget(run, size)) {
        return;
    }
    void *p = umfPoolAlignedMalloc(run->pool, size, alignment);
    if (!p) {
        check_failed(run, size, "umfPoolAlignedMalloc");
    }
    if (alignment & (alignment - 1)) {
        FUZZ_CHECK(p == NULL, "alignment %zu is not a power of two; got %p",
                   alignment, p);
        return;
    }
    if (!handle_absurd(run, p, size, "umfPoolAlignedMalloc") && p) {
        new_block(run, i, p, size, alignment, "umfPoolAlignedMalloc");
    }
}

static void op_realloc(run_t *run, int i, fuzz_input_t *in) {
    size_t size = take_size(in);
    block_t *b = &run->slot[i];
    size_t old = b->p ? b->size : 0;
    if (size < absurd_from && size > old && !fits_budget(run, size - old)) {
        return;
    }
    if (b->p) {
        check_block(b, "before realloc");
    }
    void *p = umfPoolRealloc(run->pool, b->p, size);
    if (!p && !(b->p && size == 0 && run->kind != POOL_PROXY)) {
        check_failed(run, size, "umfPoolRealloc"); /* not a free */
    }
    if (size >= absurd_from) {
        FUZZ_CHECK(p == NULL || size < IMPOSSIBLE, "realloc to %zu gave %p",
                   size, p);
        if (p) { /* overcommitted: the block moved, give it back */
            run->live -= old;
            b->p = NULL;
            FUZZ_CHECK(umfPoolFree(run->pool, p) == UMF_RESULT_SUCCESS, "free");
        } else if (b->p) {
            check_block(b, "after a failed realloc");
        }
        return;
    }
    if (b->p && size == 0) {
        /* frees the block and returns NULL; the proxy pool cannot
         * realloc at all, so there it fails and keeps the block */
        if (run->kind == POOL_PROXY) {
            FUZZ_CHECK(p == NULL, "proxy realloc gave %p", p);
            check_block(b, "after a proxy realloc to 0");
            return;
        }
        FUZZ_CHECK(p == NULL, "realloc(%p, 0) gave %p", (void *)b->p, p);
        run->live -= old;
        b->p = NULL;
        return;
    }
    if (!p) {
        if (b->p) {
            check_block(b, "after a failed realloc");
        }
        return;
    }
    if (b->p) {
        size_t keep = old < size ? old : size;
        size_t bad = fuzz_verify_prefix(p, old, keep, b->seed);
        FUZZ_CHECK(bad == SIZE_MAX,
                   "realloc(%p, %zu) -> %p lost byte %zu of %zu kept",
                   (void *)b->p, size, p, bad, keep);
        run->live -= old;
        b->p = NULL;
    }
    new_block(run, i, p, size, 0, "umfPoolRealloc");
}

static void op_usable_size(run_t *run, int i) {
    block_t *b = &run->slot[i];
    size_t u = umfPoolMallocUsableSize(run->pool, b->p);
    FUZZ_CHECK(u == 0 || u >= b->size, "usable size %zu of a %zu-byte block", u,
               b->size);
    /* the bytes past the request are the caller's too: scribble on some
     * (other blocks' patterns catch a usable size that lies) */
    if (u > b->size) {
        size_t n = u - b->size < 4096 ? u - b->size : 4096;
        memset(b->p + b->size, 0xa5, n);
    }
}

static void op_by_ptr(run_t *run, int i, fuzz_input_t *in) {
    block_t *b = &run->slot[i];
    size_t off = b->size ? (size_t)fuzz_u32(in) % b->size : 0;
    umf_memory_pool_handle_t found = umfPoolByPtr(b->p + off);
    FUZZ_CHECK(found == run->pool, "umfPoolByPtr(%p + %zu) gave %p, not %p",
               (void *)b->p, off, (void *)found, (void *)run->pool);
}

/* Work on the pool of slot i. */
static void use_pool(run_t *run, int i) {
    run->cur = i % run->npools;
    run->pool = run->pools[run->cur];
    run->kind = run->kinds[run->cur];
}

/* The tag goes in and comes back; so does the provider. */
static void op_tag(run_t *run, int i) {
    void *tag = &run->slot[i];
    void *old = NULL, *now = NULL;
    FUZZ_CHECK(umfPoolSetTag(run->pool, tag, &old) == UMF_RESULT_SUCCESS,
               "umfPoolSetTag");
    FUZZ_CHECK(umfPoolGetTag(run->pool, &now) == UMF_RESULT_SUCCESS &&
                   now == tag,
               "umfPoolGetTag gave %p, not %p", now, tag);
    umf_memory_provider_handle_t prov = NULL;
    FUZZ_CHECK(umfPoolGetMemoryProvider(run->pool, &prov) ==
                       UMF_RESULT_SUCCESS &&
                   prov != NULL,
               "umfPoolGetMemoryProvider");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_input_t in;
    fuzz_input_init(&in, data, size);
    int pool_kind = fuzz_u8(&in) % NPOOLS;
    int prov_kind = fuzz_u8(&in) % NPROVS;
    uint8_t variant = fuzz_u8(&in);
    run_t run;
    memset(&run, 0, sizeof(run));
    /* variant bit 2: a second pool of another kind over another provider
     * (never a second fixed provider: the region is one), so that umfFree
     * and umfPoolByPtr must tell the pools apart */
    int kind2 = (pool_kind + 1 + (variant >> 3) % 3) % NPOOLS;
    int prov2 = (prov_kind + 1 + (variant >> 5) % 2) % NPROVS;
    if (prov_kind == PROV_FIXED && prov2 == PROV_FIXED) {
        prov2 = PROV_OS;
    }
    bool two = (variant & 4) != 0;
    absurd_from = prov_kind == PROV_FILE || (two && prov2 == PROV_FILE)
                      ? ABSURD_FILE
                      : ABSURD_MEMORY;
    run.kinds[0] = pool_kind;
    run.pools[0] = make_pool(pool_kind, prov_kind, variant, 0);
    if (!run.pools[0]) {
        return 0;
    }
    run.npools = 1;
    if (two) {
        run.kinds[1] = kind2;
        run.pools[1] = make_pool(kind2, prov2, variant, 1);
        run.npools = run.pools[1] ? 2 : 1;
    }
    for (int n = 0; n < MAX_OPS && fuzz_left(&in) > 0; n++) {
        uint8_t op = fuzz_u8(&in);
        int i = fuzz_u8(&in) % SLOTS;
        use_pool(&run, i);
        bool empty = run.slot[i].p == NULL;
        switch (op % 10) {
        case 0:
        case 1:
            if (empty) {
                op_malloc(&run, i, &in);
            } else {
                free_block(&run, i, op % 10 == 1);
            }
            break;
        case 2:
            if (empty) {
                op_calloc(&run, i, &in);
            }
            break;
        case 3:
            if (empty) {
                op_aligned(&run, i, &in);
            }
            break;
        case 4:
            op_realloc(&run, i, &in);
            break;
        case 5:
            if (!empty) {
                free_block(&run, i, false);
            }
            break;
        case 6:
            if (!empty) {
                free_block(&run, i, true);
            }
            break;
        case 7:
            if (!empty) {
                op_usable_size(&run, i);
            }
            break;
        case 8:
            if (!empty) {
                op_by_ptr(&run, i, &in);
            }
            break;
        default:
            if (op & 0x80) {
                op_tag(&run, i);
            } else {
                FUZZ_CHECK(umfPoolFree(run.pool, NULL) == UMF_RESULT_SUCCESS,
                           "umfPoolFree(NULL)");
            }
            break;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (run.slot[i].p) {
            use_pool(&run, i);
            free_block(&run, i, (i / 2) % 2 == 1);
        }
    }
    for (int k = 0; k < run.npools; k++) {
        umfPoolDestroy(run.pools[k]);
    }
    for (int k = 0; k < run.npools; k++) {
        FUZZ_CHECK(!run.last_ptrs[k] || umfPoolByPtr(run.last_ptrs[k]) == NULL,
                   "umfPoolByPtr(%p) found a pool after its destroy",
                   run.last_ptrs[k]);
    }
    return 0;
}
