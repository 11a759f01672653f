/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_dlopen_helper.c -- a program that links nothing of libumf and
 * dlopens it, for the jemalloc and scalable pool tests (outcome (b) of
 * issue 6: dlopen("libumf.so.0") works in a fresh process, and everything
 * but the jemalloc pool works there unless jemalloc was made loadable).
 * Built with -DUMF_HELPER_LINKED, it is instead an ordinary program that
 * calls libumf directly, for tests/check_link.sh, which links it each way a
 * user of the reference links (-lumf, libtool, pkg-config, libumf.so.0
 * alone) against an installed libumf.
 *
 * usage: umf_dlopen_helper LIBUMF JEMALLOC SCALABLE
 *   LIBUMF    path of libumf.so.0 (ignored when linked)
 *   JEMALLOC  ok | unavailable: what jemalloc pool creation must give
 *   SCALABLE  ok | unavailable | none (configured out: ops NULL)
 * With UMF_HELPER_HIDE_TBB=1 in the environment this program's own dlopen
 * (exported with -rdynamic, so it interposes libumf's call) refuses
 * libtbbmalloc.so.2, as if it were not installed.
 *
 * Checks: dlopen succeeds; malloc is still glibc's (dladdr names libc); the
 * OS provider with a proxy pool and a disjoint pool allocates and frees;
 * each pool gives what the arguments say, and works when "ok". Prints one line
 * per failure and exits 0 when everything matched, 1 otherwise, 2 on bad usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_proxy.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#ifndef UMF_HELPER_LINKED
/* Interposes libumf's dlopen (this program is linked with -rdynamic; the
 * attribute overrides -fvisibility=hidden). */
__attribute__((visibility("default"))) void *dlopen(const char *file,
                                                    int mode) {
    static void *(*real)(const char *, int);
    const char *hide = getenv("UMF_HELPER_HIDE_TBB");
    if (hide && strcmp(hide, "1") == 0 && file &&
        strstr(file, "libtbbmalloc")) {
        return NULL;
    }
    if (!real) {
        *(void **)&real = dlsym(RTLD_NEXT, "dlopen");
    }
    return real(file, mode);
}
#endif

static int failures;

#define FAIL(...)                                                              \
    do {                                                                       \
        printf("helper: " __VA_ARGS__);                                        \
        printf("\n");                                                          \
        failures++;                                                            \
    } while (0)

#ifndef UMF_HELPER_LINKED
static void *lib;
#endif

/* Where does the process's malloc (first in global symbol order) live? */
static const char *malloc_owner(void) {
    Dl_info di;
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    if (!m || !dladdr(m, &di) || !di.dli_fname) {
        return "?";
    }
    return di.dli_fname;
}

/* glibc's, or a sanitizer's runtime in a sanitized build; never jemalloc */
static int malloc_is_glibc(void) {
    const char *o = malloc_owner();
    return !strstr(o, "jemalloc") &&
           (strstr(o, "libc.so") || strstr(o, "libasan") ||
            strstr(o, "libtsan") || strstr(o, "liblsan"));
}

#ifdef UMF_HELPER_LINKED
/* name_p: the function itself, called through the program's own link */
#define SYM(name) __typeof__(&name) name##_p = &name
#else
static void *sym(const char *name) {
    void *f = dlsym(lib, name);
    if (!f) {
        printf("helper: libumf has no %s\n", name);
        exit(1);
    }
    return f;
}

/* name_p: the function of that name in libumf, typed from its declaration
 * (__typeof__ makes no reference to the symbol) */
#define SYM(name) __typeof__(&name) name##_p = (__typeof__(&name))sym(#name)
#endif

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s LIBUMF ok|unavailable ok|unavailable|none\n",
                argv[0]);
        return 2;
    }
#ifndef UMF_HELPER_LINKED
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        printf("helper: dlopen(%s) failed: %s\n", argv[1], dlerror());
        return 1;
    }
#endif
    if (!malloc_is_glibc()) {
        FAIL("malloc comes from %s, not libc", malloc_owner());
    }

    SYM(umfOsMemoryProviderParamsCreate);
    SYM(umfOsMemoryProviderParamsDestroy);
    SYM(umfOsMemoryProviderOps);
    SYM(umfMemoryProviderCreate);
    SYM(umfMemoryProviderDestroy);
    SYM(umfPoolCreate);
    SYM(umfPoolDestroy);
    SYM(umfPoolMalloc);
    SYM(umfPoolFree);
    SYM(umfPoolByPtr);
    SYM(umfProxyPoolOps);
    SYM(umfJemallocPoolOps);
    SYM(umfScalablePoolOps);
    SYM(umfDisjointPoolOps);
    SYM(umfDisjointPoolParamsCreate);
    SYM(umfDisjointPoolParamsDestroy);

    umf_os_memory_provider_params_handle_t pp = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfOsMemoryProviderParamsCreate_p(&pp) != UMF_RESULT_SUCCESS ||
        umfMemoryProviderCreate_p(umfOsMemoryProviderOps_p(), pp, &prov) !=
            UMF_RESULT_SUCCESS) {
        printf("helper: cannot create the OS memory provider\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy_p(pp);
    umf_disjoint_pool_params_handle_t dp = NULL;
    if (umfDisjointPoolParamsCreate_p(&dp) != UMF_RESULT_SUCCESS) {
        printf("helper: cannot create disjoint pool parameters\n");
        return 1;
    }

    const struct {
        const char *name;
        umf_memory_pool_ops_t *ops;
        void *params;
        const char *expect;
    } pools[] = {
        {"proxy", umfProxyPoolOps_p(), NULL, "ok"},
        {"disjoint", umfDisjointPoolOps_p(), dp, "ok"},
        {"jemalloc", umfJemallocPoolOps_p(), NULL, argv[2]},
        {"scalable", umfScalablePoolOps_p(), NULL, argv[3]},
    };
    for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
        const char *expect = pools[i].expect;
        if (strcmp(expect, "none") == 0) {
            if (pools[i].ops) {
                FAIL("%s ops are not NULL", pools[i].name);
            }
            continue;
        }
        if (!pools[i].ops) {
            FAIL("%s ops are NULL", pools[i].name);
            continue;
        }
        umf_memory_pool_handle_t pool = NULL;
        umf_result_t r =
            umfPoolCreate_p(pools[i].ops, prov, pools[i].params, 0, &pool);
        if (strcmp(expect, "unavailable") == 0) {
            if (r != UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE) {
                FAIL("%s pool creation gave %d, not "
                     "DEPENDENCY_UNAVAILABLE",
                     pools[i].name, (int)r);
            }
            if (r == UMF_RESULT_SUCCESS) {
                umfPoolDestroy_p(pool);
            }
            continue;
        }
        if (r != UMF_RESULT_SUCCESS) {
            FAIL("%s pool creation failed (%d)", pools[i].name, (int)r);
            continue;
        }
        for (size_t sz = 8; sz <= (1u << 20); sz *= 4) {
            char *p = umfPoolMalloc_p(pool, sz);
            if (!p) {
                FAIL("%s: malloc(%zu) failed", pools[i].name, sz);
                continue;
            }
            memset(p, 0xa5, sz);
            if (umfPoolByPtr_p(p) != pool) {
                FAIL("%s: umfPoolByPtr does not find the pool", pools[i].name);
            }
            if (umfPoolFree_p(pool, p) != UMF_RESULT_SUCCESS) {
                FAIL("%s: free failed", pools[i].name);
            }
        }
        umfPoolDestroy_p(pool);
    }
    umfDisjointPoolParamsDestroy_p(dp);
    umfMemoryProviderDestroy_p(prov);
    if (!malloc_is_glibc()) {
        FAIL("after the pools, malloc comes from %s, not libc", malloc_owner());
    }
    printf("helper: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
