/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* basic.c -- first steps with libumf: providers, pools, umfPoolByPtr, umfFree
 *
 * Build against an installed libumf with
 *     cc basic.c $(pkg-config --cflags --libs umf) -o basic
 *
 * Part 1 gets memory from the operating system: an OS memory provider maps
 * pages, and a proxy pool hands each umfPoolMalloc straight to it.
 * Part 2 sub-allocates a buffer the program already owns: a fixed memory
 * provider carves it up, a proxy pool sits on top, and we allocate until the
 * buffer is full to see how a pool reports running out of memory.
 *
 * Every call is checked; the program prints what it does and exits with a
 * non-zero status as soon as something does not behave as documented.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_fixed_memory.h>
#include <umf/providers/provider_os_memory.h>

/* How many pages the caller-owned buffer of part 2 holds. */
#define FIXED_BUFFER_PAGES 8

/* Upper bound on the allocations of part 2, so that a provider which never
 * reports "full" cannot make the example loop forever. */
#define MAX_FIXED_ALLOCS 64

static const char *result_name(umf_result_t res) {
    switch (res) {
    case UMF_RESULT_SUCCESS:
        return "UMF_RESULT_SUCCESS";
    case UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY:
        return "UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY";
    case UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC:
        return "UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC";
    case UMF_RESULT_ERROR_INVALID_ARGUMENT:
        return "UMF_RESULT_ERROR_INVALID_ARGUMENT";
    case UMF_RESULT_ERROR_INVALID_ALIGNMENT:
        return "UMF_RESULT_ERROR_INVALID_ALIGNMENT";
    case UMF_RESULT_ERROR_NOT_SUPPORTED:
        return "UMF_RESULT_ERROR_NOT_SUPPORTED";
    case UMF_RESULT_ERROR_USER_SPECIFIC:
        return "UMF_RESULT_ERROR_USER_SPECIFIC";
    case UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE:
        return "UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE";
    case UMF_RESULT_ERROR_OUT_OF_RESOURCES:
        return "UMF_RESULT_ERROR_OUT_OF_RESOURCES";
    case UMF_RESULT_ERROR_UNKNOWN:
        return "UMF_RESULT_ERROR_UNKNOWN";
    }
    return "an unknown umf_result_t value";
}

/* umfMemoryProviderGetName may return NULL; printf("%s", NULL) is not
 * portable. */
static const char *provider_name(umf_memory_provider_handle_t provider) {
    const char *name = umfMemoryProviderGetName(provider);
    return name != NULL ? name : "(no name)";
}

/* Report a failed UMF call; returns -1 so callers can write
 * "return fail(...)". */
static int fail(const char *what, umf_result_t res) {
    fprintf(stderr, "basic: %s failed: %s (%d)\n", what, result_name(res),
            (int)res);
    return -1;
}

/* Report a check that did not hold; returns -1 like fail(). */
static int wrong(const char *what) {
    fprintf(stderr, "basic: %s\n", what);
    return -1;
}

/* Part 1: an OS memory provider under a proxy pool. */
static int os_provider_demo(void) {
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;
    umf_result_t res;
    const char *message = "Hello from memory that libumf got from the OS.";
    size_t size = 4096;
    char *buf = NULL;
    int ret = -1;

    printf("Part 1: memory from the operating system\n");

    /* Providers are configured through a params object.  The defaults
     * (read/write, private mapping, no NUMA binding) suit plain host memory;
     * the umfOsMemoryProviderParamsSet* calls change them. */
    res = umfOsMemoryProviderParamsCreate(&params);
    if (res != UMF_RESULT_SUCCESS) {
        return fail("umfOsMemoryProviderParamsCreate", res);
    }

    res = umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &provider);
    /* The provider keeps its own copy of the settings, so the params object
     * can go as soon as the provider exists (or failed to). */
    umfOsMemoryProviderParamsDestroy(params);
    if (res != UMF_RESULT_SUCCESS) {
        return fail("umfMemoryProviderCreate (OS)", res);
    }
    printf("Created an OS memory provider named \"%s\".\n",
           provider_name(provider));

    /* The proxy pool adds no caching of its own: every umfPoolMalloc maps
     * fresh pages through the provider.  OWN_PROVIDER makes umfPoolDestroy
     * destroy the provider too, so only the pool has to be remembered. */
    res = umfPoolCreate(umfProxyPoolOps(), provider, NULL,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (res != UMF_RESULT_SUCCESS) {
        /* A pool that was never created does not own the provider. */
        umfMemoryProviderDestroy(provider);
        return fail("umfPoolCreate (proxy over OS)", res);
    }
    printf("Created a proxy pool that owns the OS provider.\n");

    buf = umfPoolMalloc(pool, size);
    if (buf == NULL) {
        fail("umfPoolMalloc", umfPoolGetLastAllocationError(pool));
        goto out;
    }
    printf("Allocated %zu bytes at %p.\n", size, (void *)buf);

    /* It is ordinary memory: write all of it, then read some back. */
    memset(buf, 0, size);
    strcpy(buf, message);
    if (strcmp(buf, message) != 0) {
        wrong("the text read back differs from the text written");
        goto out;
    }
    printf("Wrote and read back: \"%s\"\n", buf);

    /* libumf remembers which pool every allocation came from, so code that
     * only has the pointer can find the pool, even from an interior
     * pointer. */
    if (umfPoolByPtr(buf) != pool) {
        wrong("umfPoolByPtr did not find the proxy pool");
        goto out;
    }
    if (umfPoolByPtr(buf + size - 1) != pool) {
        wrong("umfPoolByPtr did not find the pool from an interior pointer");
        goto out;
    }
    printf("umfPoolByPtr found the pool from the pointer and from its last "
           "byte.\n");

    /* That is also why umfFree needs no pool argument. */
    res = umfFree(buf);
    if (res != UMF_RESULT_SUCCESS) {
        fail("umfFree", res);
        goto out;
    }
    buf = NULL;
    printf("Freed the allocation with umfFree.\n");

    ret = 0;
out:
    if (buf != NULL) {
        umfPoolFree(pool, buf);
    }
    /* Destroys the pool and, because of OWN_PROVIDER, the provider. */
    umfPoolDestroy(pool);
    printf("Destroyed the pool and its provider.\n\n");
    return ret;
}

/* Part 2: a fixed memory provider over a buffer the program owns. */
static int fixed_provider_demo(void) {
    umf_fixed_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;
    void *allocs[MAX_FIXED_ALLOCS];
    size_t count = 0, i;
    unsigned char *buffer;
    umf_result_t res;
    long page_size;
    size_t buffer_size;
    void *again;
    int ret = -1;

    printf("Part 2: memory from a buffer the program already owns\n");

    page_size = sysconf(_SC_PAGESIZE);
    if (page_size <= 0) {
        return wrong("sysconf(_SC_PAGESIZE) failed");
    }
    buffer_size = (size_t)page_size * FIXED_BUFFER_PAGES;

    /* Any memory will do: a static array, a device mapping, a region from
     * another pool.  Page alignment lets the provider use all of it. */
    buffer = aligned_alloc((size_t)page_size, buffer_size);
    if (buffer == NULL) {
        return wrong("aligned_alloc of the caller buffer failed");
    }
    printf("The program owns a buffer of %zu bytes at %p.\n", buffer_size,
           (void *)buffer);

    res = umfFixedMemoryProviderParamsCreate(&params, buffer, buffer_size);
    if (res != UMF_RESULT_SUCCESS) {
        fail("umfFixedMemoryProviderParamsCreate", res);
        goto out_buffer;
    }
    res =
        umfMemoryProviderCreate(umfFixedMemoryProviderOps(), params, &provider);
    umfFixedMemoryProviderParamsDestroy(params);
    if (res != UMF_RESULT_SUCCESS) {
        fail("umfMemoryProviderCreate (fixed)", res);
        goto out_buffer;
    }
    printf("Created a fixed memory provider named \"%s\" over the buffer.\n",
           provider_name(provider));

    res = umfPoolCreate(umfProxyPoolOps(), provider, NULL,
                        UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool);
    if (res != UMF_RESULT_SUCCESS) {
        umfMemoryProviderDestroy(provider);
        fail("umfPoolCreate (proxy over fixed)", res);
        goto out_buffer;
    }
    printf("Created a proxy pool that owns the fixed provider.\n");

    /* Take one page at a time until the pool says no.  A failed allocation
     * returns NULL; umfPoolGetLastAllocationError, asked right away on the
     * same thread, says why. */
    for (;;) {
        void *p = umfPoolMalloc(pool, (size_t)page_size);
        if (p == NULL) {
            break;
        }
        if (count == MAX_FIXED_ALLOCS) {
            umfPoolFree(pool, p);
            wrong("the pool handed out more pages than the buffer holds");
            goto out_pool;
        }
        allocs[count++] = p;
        /* Everything must come from inside the caller's buffer. */
        if ((unsigned char *)p < buffer ||
            (unsigned char *)p + page_size > buffer + buffer_size) {
            wrong("an allocation lies outside the caller's buffer");
            goto out_pool;
        }
        if (umfPoolByPtr(p) != pool) {
            wrong("umfPoolByPtr did not find the pool on the fixed buffer");
            goto out_pool;
        }
        memset(p, (int)count, (size_t)page_size);
    }
    res = umfPoolGetLastAllocationError(pool);
    printf("Allocated %zu pages of %ld bytes; allocation %zu returned NULL "
           "with %s: the buffer is full.\n",
           count, page_size, count + 1, result_name(res));
    if (count == 0 || count > FIXED_BUFFER_PAGES) {
        wrong("the number of pages allocated does not fit the buffer");
        goto out_pool;
    }
    if (res != UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY) {
        wrong("a full fixed buffer should report "
              "UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY");
        goto out_pool;
    }

    /* Give everything back; each freed range can be handed out again. */
    for (i = 0; i < count; i++) {
        res = umfPoolFree(pool, allocs[i]);
        if (res != UMF_RESULT_SUCCESS) {
            fail("umfPoolFree", res);
            count = 0; /* do not free the rest twice below */
            goto out_pool;
        }
        allocs[i] = NULL;
    }
    count = 0;
    printf("Freed all of them with umfPoolFree.\n");

    again = umfPoolMalloc(pool, (size_t)page_size);
    if (again == NULL) {
        fail("umfPoolMalloc after freeing",
             umfPoolGetLastAllocationError(pool));
        goto out_pool;
    }
    printf("A new allocation succeeds again, at %p.\n", again);
    res = umfFree(again);
    if (res != UMF_RESULT_SUCCESS) {
        fail("umfFree", res);
        goto out_pool;
    }

    ret = 0;
out_pool:
    for (i = 0; i < count; i++) {
        if (allocs[i] != NULL) {
            umfPoolFree(pool, allocs[i]);
        }
    }
    umfPoolDestroy(pool);
    printf("Destroyed the pool and its provider.\n");
out_buffer:
    /* The fixed provider never owned the buffer: the program frees it, and
     * only after the provider is gone. */
    free(buffer);
    printf("Released the caller's buffer.\n");
    return ret;
}

int main(void) {
    if (os_provider_demo() != 0) {
        return EXIT_FAILURE;
    }
    if (fixed_provider_demo() != 0) {
        return EXIT_FAILURE;
    }
    printf("\nAll steps succeeded.\n");
    return EXIT_SUCCESS;
}
