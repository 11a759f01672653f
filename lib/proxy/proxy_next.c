/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_next.c -- the next allocator in the chain: the malloc family of the
 * first object after libumf_proxy in the process's symbol-lookup order.
 *
 * That is the C library: a preloaded object comes before the program's own
 * dependencies (libc.so.6 among them), and libjemalloc.so.2, which the
 * jemalloc pool needs (through libumf_jemalloc.so.0), is a dependency of a
 * dependency of this library, so it comes after libc and its unprefixed
 * malloc is never the one found here. A malloc replacement preloaded after
 * libumf_proxy would be found instead, as chaining wants. */
#define _GNU_SOURCE 1
#include <dlfcn.h>

#include "proxy/proxy_internal.h"

proxy_next_t proxy_next;

bool proxy_next_load(void) {
    proxy_next_t n;
    *(void **)&n.malloc = dlsym(RTLD_NEXT, "malloc");
    *(void **)&n.calloc = dlsym(RTLD_NEXT, "calloc");
    *(void **)&n.realloc = dlsym(RTLD_NEXT, "realloc");
    *(void **)&n.free = dlsym(RTLD_NEXT, "free");
    *(void **)&n.memalign = dlsym(RTLD_NEXT, "memalign");
    *(void **)&n.malloc_usable_size = dlsym(RTLD_NEXT, "malloc_usable_size");
    if (!n.malloc || !n.calloc || !n.realloc || !n.free || !n.memalign ||
        !n.malloc_usable_size) {
        proxy_report("the next allocator's malloc family was not found");
        return false;
    }
    proxy_next = n;
    return true;
}
