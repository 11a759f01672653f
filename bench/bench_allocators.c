/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_allocators.c -- glibc, jemalloc, tbbmalloc and libumf pools behind
 * one interface (see bench_allocators.h). */

#include <stddef.h>
#include <stdlib.h>

#include "bench_allocators.h"
#include "bench_harness.h"
#include "dl_symbols_internal.h"

static void *glibc_alloc(void *ctx, size_t size) {
    (void)ctx;
    return malloc(size);
}

static void glibc_free(void *ctx, void *ptr) {
    (void)ctx;
    free(ptr);
}

void bench_allocator_glibc(bench_allocator_t *a) {
    a->name = "glibc malloc";
    a->alloc = glibc_alloc;
    a->free = glibc_free;
    a->ctx = NULL;
}

typedef struct jemalloc_fns_t {
    void *(*mallocx)(size_t, int);
    void (*dallocx)(void *, int);
} jemalloc_fns_t;

typedef struct tbbmalloc_fns_t {
    void *(*scalable_malloc)(size_t);
    void (*scalable_free)(void *);
} tbbmalloc_fns_t;

static jemalloc_fns_t je;
static tbbmalloc_fns_t tbb;

/* Flags 0: the default arena and the thread cache. */
static void *je_alloc(void *ctx, size_t size) {
    (void)ctx;
    return je.mallocx(size, 0);
}

static void je_free(void *ctx, void *ptr) {
    (void)ctx;
    je.dallocx(ptr, 0);
}

static void *tbb_alloc(void *ctx, size_t size) {
    (void)ctx;
    return tbb.scalable_malloc(size);
}

static void tbb_free(void *ctx, void *ptr) {
    (void)ctx;
    tbb.scalable_free(ptr);
}

/* Open soname and fill table from syms; 0 or -1 with *why set. */
static int load(const char *soname, const utils_dl_symbol_t *syms, size_t n,
                void *table, size_t size, const char **why) {
    void *h = utils_dl_open(soname, why);
    const char *missing;

    if (h == NULL) {
        return -1;
    }
    missing = utils_dl_resolve(h, syms, n, table, size);
    if (missing != NULL) {
        *why = missing; /* the symbol the library lacks */
        return -1;
    }
    return 0;
}

int bench_allocator_jemalloc(bench_allocator_t *a, const char **why) {
    static const utils_dl_symbol_t syms[] = {
        {"mallocx", offsetof(jemalloc_fns_t, mallocx)},
        {"dallocx", offsetof(jemalloc_fns_t, dallocx)}};

    if (je.mallocx == NULL &&
        load("libjemalloc.so.2", syms, 2, &je, sizeof(je), why) != 0) {
        return -1;
    }
    a->name = "jemalloc mallocx";
    a->alloc = je_alloc;
    a->free = je_free;
    a->ctx = NULL;
    return 0;
}

int bench_allocator_tbbmalloc(bench_allocator_t *a, const char **why) {
    static const utils_dl_symbol_t syms[] = {
        {"scalable_malloc", offsetof(tbbmalloc_fns_t, scalable_malloc)},
        {"scalable_free", offsetof(tbbmalloc_fns_t, scalable_free)}};

    if (tbb.scalable_malloc == NULL &&
        load("libtbbmalloc.so.2", syms, 2, &tbb, sizeof(tbb), why) != 0) {
        return -1;
    }
    a->name = "tbbmalloc scalable_malloc";
    a->alloc = tbb_alloc;
    a->free = tbb_free;
    a->ctx = NULL;
    return 0;
}

static void *pool_alloc(void *ctx, size_t size) {
    return umfPoolMalloc(ctx, size);
}

static void pool_free(void *ctx, void *ptr) {
    if (umfPoolFree(ctx, ptr) != UMF_RESULT_SUCCESS) {
        bench_fail("umfPoolFree failed");
    }
}

void bench_allocator_pool(bench_allocator_t *a, const char *name,
                          umf_memory_pool_handle_t pool) {
    a->name = name;
    a->alloc = pool_alloc;
    a->free = pool_free;
    a->ctx = pool;
}
