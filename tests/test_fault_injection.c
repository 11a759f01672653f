/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_fault_injection.c -- a provider that fails its k-th call of one op,
 * walked over every k of a mixed sequence, for every pool (issue 18 item
 * 3).
 *
 * The wrapper forwards to an OS provider, counts the calls of each op
 * (alloc, free, split, merge, purge_lazy, purge_force) and the live bytes,
 * and fails the k-th call of the op under test (alloc with
 * OUT_OF_HOST_MEMORY, the others with MEMORY_PROVIDER_SPECIFIC). A dry run
 * counts each op's calls in the sequence; then every k of every op gets a
 * fresh pool that runs the same sequence (malloc, calloc, realloc, aligned
 * malloc, usable size and free of pattern-filled blocks) with the k-th
 * call failing. After each run: every failed pool call gave a documented
 * error, every live block still holds its pattern, the pool still
 * allocates and frees, and once the pool is destroyed the provider holds
 * no byte but those whose free it refused itself (no leak).
 *
 * In make check the sequence has 200 calls and about 16 sites per op are
 * walked (the first 8, then evenly spread); UMF_TEST_FAULT_FULL=1 walks
 * every site of a 2000-call sequence (the probe);
 * UMF_TEST_FAULT_OPS sets the length. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/memory_provider_ops.h>

#include "pool_kinds.h"
#include "test_helpers.h"
#include "test_providers.h"

enum { F_ALLOC, F_FREE, F_SPLIT, F_MERGE, F_PURGE_LAZY, F_PURGE_FORCE, F_OPS };
static const char *const f_names[F_OPS] = {
    "alloc", "free", "split", "merge", "purge_lazy", "purge_force"};

#define MAX_REFUSED 4096
#define SITES_SHORT 16

typedef struct fault_t {
    umf_memory_provider_handle_t upstream;
    int fail_op;         /* -1: none */
    size_t fail_at;      /* 1-based call number of fail_op */
    size_t calls[F_OPS]; /* single-threaded test: plain counters */
    bool paused;         /* neither counted nor failed (the usability check) */
    size_t injected;     /* failures injected */
    long long live_bytes;
    /* frees that were refused (injected): still live in the upstream */
    void *refused_ptr[MAX_REFUSED];
    size_t refused_size[MAX_REFUSED];
    size_t n_refused;
} fault_t;

static bool fault_hit(fault_t *f, int op) {
    if (f->paused) {
        return false;
    }
    f->calls[op]++;
    if (f->fail_op == op && f->calls[op] == f->fail_at) {
        f->injected++;
        return true;
    }
    return false;
}

static umf_result_t f_init(void *params, void **provider) {
    *provider = params;
    return UMF_RESULT_SUCCESS;
}

static void f_fini(void *provider) { (void)provider; }

static umf_result_t f_alloc(void *p, size_t size, size_t align, void **ptr) {
    fault_t *f = p;
    if (fault_hit(f, F_ALLOC)) {
        *ptr = NULL;
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    umf_result_t r = umfMemoryProviderAlloc(f->upstream, size, align, ptr);
    if (r == UMF_RESULT_SUCCESS && *ptr) {
        f->live_bytes += (long long)size;
    }
    return r;
}

static umf_result_t f_free(void *p, void *ptr, size_t size) {
    fault_t *f = p;
    if (fault_hit(f, F_FREE)) {
        if (ptr && f->n_refused < MAX_REFUSED) {
            f->refused_ptr[f->n_refused] = ptr;
            f->refused_size[f->n_refused++] = size;
        }
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    umf_result_t r = umfMemoryProviderFree(f->upstream, ptr, size);
    if (r == UMF_RESULT_SUCCESS && ptr) {
        f->live_bytes -= (long long)size;
        /* a refused free the pool retried later */
        for (size_t i = 0; i < f->n_refused; i++) {
            if (f->refused_ptr[i] == ptr) {
                f->refused_ptr[i] = f->refused_ptr[--f->n_refused];
                f->refused_size[i] = f->refused_size[f->n_refused];
                break;
            }
        }
    }
    return r;
}

static void f_native(void *p, const char **msg, int32_t *err) {
    umfMemoryProviderGetLastNativeError(((fault_t *)p)->upstream, msg, err);
}

static umf_result_t f_recommended(void *p, size_t size, size_t *page) {
    return umfMemoryProviderGetRecommendedPageSize(((fault_t *)p)->upstream,
                                                   size, page);
}

static umf_result_t f_min(void *p, void *ptr, size_t *page) {
    return umfMemoryProviderGetMinPageSize(((fault_t *)p)->upstream, ptr, page);
}

static const char *f_name(void *p) {
    (void)p;
    return "fault";
}

static umf_result_t f_purge_lazy(void *p, void *ptr, size_t size) {
    fault_t *f = p;
    if (fault_hit(f, F_PURGE_LAZY)) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return umfMemoryProviderPurgeLazy(f->upstream, ptr, size);
}

static umf_result_t f_purge_force(void *p, void *ptr, size_t size) {
    fault_t *f = p;
    if (fault_hit(f, F_PURGE_FORCE)) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return umfMemoryProviderPurgeForce(f->upstream, ptr, size);
}

static umf_result_t f_split(void *p, void *ptr, size_t total, size_t first) {
    fault_t *f = p;
    if (fault_hit(f, F_SPLIT)) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return umfMemoryProviderAllocationSplit(f->upstream, ptr, total, first);
}

static umf_result_t f_merge(void *p, void *lo, void *hi, size_t total) {
    fault_t *f = p;
    if (fault_hit(f, F_MERGE)) {
        return UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
    }
    return umfMemoryProviderAllocationMerge(f->upstream, lo, hi, total);
}

static umf_memory_provider_ops_t fault_ops = {
    .version = UMF_PROVIDER_OPS_VERSION_CURRENT,
    .initialize = f_init,
    .finalize = f_fini,
    .alloc = f_alloc,
    .free = f_free,
    .get_last_native_error = f_native,
    .get_recommended_page_size = f_recommended,
    .get_min_page_size = f_min,
    .get_name = f_name,
    .ext.purge_lazy = f_purge_lazy,
    .ext.purge_force = f_purge_force,
    .ext.allocation_merge = f_merge,
    .ext.allocation_split = f_split,
};

/* ---- the sequence ---- */

#define SLOTS 48

typedef struct block_t {
    void *p;
    size_t size;
    unsigned seed;
} block_t;

typedef struct outcome_t {
    int bad_error;  /* a failed call gave an undocumented error */
    int corrupt;    /* a live block lost its pattern */
    int failed_ops; /* pool calls that failed (documented) */
    char what[160]; /* the first problem */
} outcome_t;

static void note(outcome_t *o, int *counter, const char *fmt, size_t step,
                 int value) {
    if ((*counter)++ == 0 && !o->what[0]) {
        snprintf(o->what, sizeof(o->what), fmt, step, value);
    }
}

static bool alloc_error_ok(umf_result_t r) {
    return r == UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY ||
           r == UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC;
}

static size_t draw_size(uint64_t *rng) {
    unsigned k = umf_test_rand(rng) % 16;
    if (k < 10) {
        return 1 + umf_test_rand(rng) % 512;
    }
    if (k < 14) {
        return 512 + umf_test_rand(rng) % (16 * 1024);
    }
    return 64 * 1024 + umf_test_rand(rng) % (2 * 1024 * 1024);
}

static void sequence(umf_memory_pool_handle_t pool, const char *kind,
                     size_t nops, outcome_t *o) {
    bool has_realloc = strcmp(kind, "proxy") != 0;
    block_t b[SLOTS];
    memset(b, 0, sizeof(b));
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    for (size_t step = 0; step < nops; step++) {
        unsigned i = umf_test_rand(&rng) % SLOTS;
        unsigned op = umf_test_rand(&rng) % 8;
        if (b[i].p) {
            if (!umf_test_verify(b[i].p, b[i].size, b[i].seed)) {
                note(o, &o->corrupt, "step %zu: block lost its pattern%d", step,
                     0);
            }
            if (op < 2 && has_realloc) {
                size_t ns = draw_size(&rng);
                void *np = umfPoolRealloc(pool, b[i].p, ns);
                if (!np) {
                    umf_result_t r = umfPoolGetLastAllocationError(pool);
                    if (r == UMF_RESULT_ERROR_NOT_SUPPORTED) {
                        continue; /* documented for this case */
                    }
                    o->failed_ops++;
                    if (!alloc_error_ok(r)) {
                        note(o, &o->bad_error, "step %zu: realloc error %d",
                             step, (int)r);
                    }
                    continue; /* the old block stays valid */
                }
                size_t keep = ns < b[i].size ? ns : b[i].size;
                if (!umf_test_verify(np, keep, b[i].seed)) {
                    note(o, &o->corrupt, "step %zu: realloc lost data%d", step,
                         0);
                }
                b[i].p = np;
                b[i].size = ns;
                b[i].seed = (unsigned)step;
                umf_test_fill(np, ns, b[i].seed);
                continue;
            }
            if (op == 2 && has_realloc &&
                umfPoolMallocUsableSize(pool, b[i].p) < b[i].size) {
                note(o, &o->corrupt, "step %zu: usable size too small%d", step,
                     0);
            }
            umf_result_t r = umfPoolFree(pool, b[i].p);
            if (r != UMF_RESULT_SUCCESS) {
                o->failed_ops++;
                if (r != UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC) {
                    note(o, &o->bad_error, "step %zu: free error %d", step,
                         (int)r);
                }
            }
            b[i].p = NULL;
            continue;
        }
        size_t size = draw_size(&rng);
        void *p;
        if (op < 5) {
            p = umfPoolMalloc(pool, size);
        } else if (op < 7) {
            p = umfPoolCalloc(pool, 1, size);
            if (p && !umf_test_all_bytes(p, size, 0)) {
                note(o, &o->corrupt, "step %zu: calloc not zeroed%d", step, 0);
            }
        } else {
            p = umfPoolAlignedMalloc(pool, size, 4096);
            if (p && ((uintptr_t)p & 4095)) {
                note(o, &o->corrupt, "step %zu: misaligned%d", step, 0);
            }
        }
        if (!p) {
            umf_result_t r = umfPoolGetLastAllocationError(pool);
            if (op >= 5 && op < 7 && r == UMF_RESULT_ERROR_NOT_SUPPORTED) {
                continue; /* calloc: documented as unsupported (disjoint,
                           * proxy) */
            }
            o->failed_ops++;
            if (!alloc_error_ok(r)) {
                note(o, &o->bad_error, "step %zu: alloc error %d", step,
                     (int)r);
            }
            continue;
        }
        b[i] = (block_t){p, size, (unsigned)step};
        umf_test_fill(p, size, b[i].seed);
    }
    for (unsigned i = 0; i < SLOTS; i++) {
        if (b[i].p) {
            if (!umf_test_verify(b[i].p, b[i].size, b[i].seed)) {
                note(o, &o->corrupt, "end %zu: block lost its pattern%d",
                     (size_t)i, 0);
            }
            umf_result_t r = umfPoolFree(pool, b[i].p);
            if (r != UMF_RESULT_SUCCESS &&
                r != UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC) {
                note(o, &o->bad_error, "end %zu: free error %d", (size_t)i,
                     (int)r);
            }
        }
    }
}

/* One run: a fresh pool over a fresh wrapper failing the k-th call of op
 * (op -1: none). Fills f with the counters. Returns 0 or fails the test. */
static void run_once(const char *kind, int op, size_t k, size_t nops,
                     fault_t *f) {
    memset(f, 0, sizeof(*f));
    f->fail_op = op;
    f->fail_at = k;
    f->upstream = umf_test_os_provider_create();
    ck_assert_ptr_nonnull(f->upstream);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreate(&fault_ops, f, &prov),
                     UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t r = pool_kind_create(kind, prov, 0, &pool);
    const char *opn = op >= 0 ? f_names[op] : "none";
    if (r != UMF_RESULT_SUCCESS) {
        /* only an injected failure may refuse the pool */
        ck_assert_msg(f->injected > 0, "%s: pool creation failed (%d)", kind,
                      (int)r);
        ck_assert_msg(alloc_error_ok(r) || r == UMF_RESULT_ERROR_UNKNOWN,
                      "%s: %s #%zu: pool creation gave %d", kind, opn, k,
                      (int)r);
    } else {
        outcome_t o;
        memset(&o, 0, sizeof(o));
        sequence(pool, kind, nops, &o);
        ck_assert_msg(!o.bad_error && !o.corrupt,
                      "%s: %s #%zu fails: %s (%d bad errors, %d corrupt)", kind,
                      opn, k, o.what, o.bad_error, o.corrupt);
        /* the pool is still usable (the pool's destroy, after it, is
         * walked too) */
        f->paused = true;
        void *p = umfPoolMalloc(pool, 100);
        ck_assert_msg(p != NULL, "%s: %s #%zu: no malloc after the failure",
                      kind, opn, k);
        memset(p, 7, 100);
        ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
        f->paused = false;
        umfPoolDestroy(pool);
    }
    umfMemoryProviderDestroy(prov);
    /* no leak: what is still live is what the provider refused to free */
    long long refused = 0;
    for (size_t i = 0; i < f->n_refused; i++) {
        refused += (long long)f->refused_size[i];
    }
    ck_assert_msg(f->live_bytes == refused,
                  "%s: %s #%zu: %lld bytes live after destroy, %lld refused",
                  kind, opn, k, f->live_bytes, refused);
    for (size_t i = 0; i < f->n_refused; i++) {
        umfMemoryProviderFree(f->upstream, f->refused_ptr[i],
                              f->refused_size[i]);
    }
    umfMemoryProviderDestroy(f->upstream);
}

static void walk_pool(const char *kind) {
    const char *env = getenv("UMF_TEST_FAULT_OPS");
    const char *fenv = getenv("UMF_TEST_FAULT_FULL");
    bool full = fenv && *fenv && strcmp(fenv, "0") != 0;
    size_t nops =
        env && atol(env) > 0 ? (size_t)atol(env) : (full ? 2000 : 200);
    unsigned slow = pool_kind_slowdown();
    size_t sites_short = SITES_SHORT / slow > 2 ? SITES_SHORT / slow : 2;
    /* the pool is available? */
    umf_memory_provider_handle_t probe_prov = umf_test_os_provider_create();
    umf_memory_pool_handle_t probe = NULL;
    umf_result_t r = pool_kind_create(
        kind, probe_prov, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &probe);
    if (pool_kind_unavailable(r)) {
        umfMemoryProviderDestroy(probe_prov);
        printf("SKIP %s: the pool is not available here\n", kind);
        return;
    }
    ck_assert_int_eq(r, UMF_RESULT_SUCCESS);
    umfPoolDestroy(probe);

    static fault_t f; /* large: not on the stack */
    run_once(kind, -1, 0, nops, &f);
    size_t dry[F_OPS];
    memcpy(dry, f.calls, sizeof(dry));
    size_t sites = 0;
    for (int op = 0; op < F_OPS; op++) {
        /* make check: about SITES_SHORT sites per op, the first ones and
         * then evenly spread; UMF_TEST_FAULT_FULL=1: every one */
        size_t stride = 1;
        if (!full && dry[op] > sites_short) {
            stride = dry[op] / (sites_short / 2);
        }
        for (size_t k = 1; k <= dry[op];
             k += (k <= sites_short / 2 ? 1 : stride)) {
            run_once(kind, op, k, nops, &f);
            /* the same sequence reaches the same call */
            ck_assert_msg(f.injected == 1, "%s: %s #%zu was not reached", kind,
                          f_names[op], k);
            sites++;
        }
    }
    printf("fault injection %s: %zu ops; calls alloc %zu free %zu split %zu "
           "merge %zu purge_lazy %zu purge_force %zu; %zu sites clean\n",
           kind, nops, dry[F_ALLOC], dry[F_FREE], dry[F_SPLIT], dry[F_MERGE],
           dry[F_PURGE_LAZY], dry[F_PURGE_FORCE], sites);
}

START_TEST(test_fault_disjoint) { walk_pool("disjoint"); }
END_TEST

START_TEST(test_fault_jemalloc) { walk_pool("jemalloc"); }
END_TEST

START_TEST(test_fault_scalable) { walk_pool("scalable"); }
END_TEST

START_TEST(test_fault_proxy) { walk_pool("proxy"); }
END_TEST

static Suite *fault_suite(void) {
    Suite *s = suite_create("fault_injection");
    TCase *tc = tcase_create("k-th provider call fails");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_fault_disjoint);
    tcase_add_test(tc, test_fault_jemalloc);
    tcase_add_test(tc, test_fault_scalable);
    tcase_add_test(tc, test_fault_proxy);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    return umf_test_main(argc, argv, fault_suite, NULL);
}
