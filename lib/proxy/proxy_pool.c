/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_pool.c -- the proxy's one pool over an OS memory provider: setup,
 * and what happens at exit.
 *
 * Exit: the pool, its provider and libumf's tracker are kept alive until
 * the process is gone, on purpose (the reference does the same). Destructors
 * of other libraries and atexit handlers run after this library's
 * destructor, in an order nobody controls, and they free memory that came
 * from the pool; so does the C library's own clean-up. Destroying the pool
 * would turn those frees into crashes. To keep libumf's tracker (which
 * tells pool memory from foreign memory on free) alive through libumf's own
 * destructor, setup takes a reference with umfInit() that is never given
 * back. The only clean-up at exit is the shared memory object's name of
 * page.disposition=shared-shm, unlinked by the process that created it (a
 * forked child leaves it alone); the memory stays mapped until exit. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>
#include <umf/providers/provider_os_memory.h>

#include "proxy/proxy_internal.h"

#define PROXY_SHM_PREFIX "umf_proxy_lib_shm_pid_"

static char shm_name[64]; /* set when this process created a named object */
static pid_t shm_owner;

static umf_memory_provider_handle_t provider_create(const proxy_options_t *o) {
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_result_t ret = umfOsMemoryProviderParamsCreate(&params);
    if (ret != UMF_RESULT_SUCCESS) {
        proxy_report("cannot create the OS memory provider's params (%d)",
                     (int)ret);
        return NULL;
    }
    if (o->pages != PROXY_PAGES_PRIVATE) {
        ret =
            umfOsMemoryProviderParamsSetVisibility(params, UMF_MEM_MAP_SHARED);
    }
    if (ret == UMF_RESULT_SUCCESS && o->pages == PROXY_PAGES_SHARED_SHM) {
        snprintf(shm_name, sizeof(shm_name), PROXY_SHM_PREFIX "%ld",
                 (long)getpid());
        ret = umfOsMemoryProviderParamsSetShmName(params, shm_name);
    }
    if (ret == UMF_RESULT_SUCCESS) {
        ret = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params,
                                      &provider);
    }
    umfOsMemoryProviderParamsDestroy(params);
    if (ret != UMF_RESULT_SUCCESS) {
        proxy_report("cannot create the OS memory provider (%d)", (int)ret);
        shm_name[0] = '\0';
        return NULL;
    }
    if (shm_name[0]) {
        shm_owner = getpid();
    }
    /* the map of pool granules saves most frees a tracker lookup; without
     * it every free gets one */
    umf_memory_provider_handle_t owner = proxy_owner_provider(provider);
    return owner ? owner : provider;
}

/* Try one kind of pool; false when it is not built or cannot be made. */
static bool pool_try(proxy_pool_kind_t kind,
                     umf_memory_provider_handle_t provider, bool quiet,
                     proxy_pool_t *out) {
    const umf_memory_pool_ops_t *ops = NULL;
    proxy_pool_t p = {NULL, NULL, false, false};
    switch (kind) {
    case PROXY_POOL_JEMALLOC:
        ops = umfJemallocPoolOps();
        p = (proxy_pool_t){NULL, "jemalloc", true, true};
        break;
    case PROXY_POOL_SCALABLE:
        ops = umfScalablePoolOps();
        p = (proxy_pool_t){NULL, "scalable", true, true};
        break;
    case PROXY_POOL_DISJOINT:
    case PROXY_POOL_DEFAULT:
        /* the disjoint pool neither zeroes nor reallocates: the front
         * does both with malloc, memset/memcpy and free */
        ops = umfDisjointPoolOps();
        p = (proxy_pool_t){NULL, "disjoint", false, false};
        break;
    }
    if (!ops) {
        if (!quiet) {
            proxy_report("the %s pool is not built into libumf", p.name);
        }
        return false;
    }
    /* the provider stays the caller's even when OWN_PROVIDER creation
     * fails, so a failed kind leaves it for the next one */
    umf_result_t ret = umfPoolCreate(
        ops, provider, NULL, UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &p.handle);
    if (ret != UMF_RESULT_SUCCESS) {
        if (!quiet) {
            proxy_report("cannot create the %s pool (%d)", p.name, (int)ret);
        }
        return false;
    }
    *out = p;
    return true;
}

bool proxy_pool_setup(const proxy_options_t *opts, proxy_pool_t *out) {
    /* never given back: see the comment at the top */
    if (umfInit() != 0) {
        proxy_report("libumf cannot be initialised");
        return false;
    }
    umf_memory_provider_handle_t provider = provider_create(opts);
    if (!provider) {
        return false;
    }
    bool ok;
    if (opts->pool == PROXY_POOL_DEFAULT) {
        /* the best pool this libumf has; quiet, since that is the point */
        ok = pool_try(PROXY_POOL_JEMALLOC, provider, true, out) ||
             pool_try(PROXY_POOL_SCALABLE, provider, true, out) ||
             pool_try(PROXY_POOL_DISJOINT, provider, false, out);
    } else {
        ok = pool_try(opts->pool, provider, false, out);
    }
    if (!ok) {
        umfMemoryProviderDestroy(provider);
        shm_name[0] = '\0';
    }
    return ok;
}

void proxy_pool_at_exit(void) {
    if (shm_name[0] && shm_owner == getpid()) {
        char path[sizeof(shm_name) + 1];
        snprintf(path, sizeof(path), "/%s", shm_name);
        shm_unlink(path);
        shm_name[0] = '\0';
    }
}
