/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_bootstrap.c -- the bootstrap arena: memory for the allocations made
 * before the proxy's pool exists (the dynamic loader, the C library's and
 * other libraries' start-up, dlsym, and the pool's own creation, which may
 * dlopen a library) and for allocations made from inside the pool.
 *
 * One range of address space is reserved at the first use
 * (MAP_NORESERVE: only the pages touched cost memory) and handed out by an
 * atomic bump pointer, so it works before anything else is set up and from
 * any thread. A block is recognised by its address alone, which lets free,
 * realloc and malloc_usable_size tell it from pool or foreign memory.
 * Blocks are never reused: freeing one does nothing (start-up allocations
 * are few and small). Each block is preceded by its size. */
#include <stdint.h>
#include <sys/mman.h>

#include "proxy/proxy_internal.h"

/* Address space reserved for the arena. */
#define BOOT_RESERVE ((size_t)256 << 20)
/* Every block is aligned to this, and its size sits in the word before. */
#define BOOT_ALIGN ((size_t)16)

static char *boot_base;  /* atomic: NULL until the range is reserved */
static size_t boot_used; /* atomic: bytes of the range handed out */
static bool boot_warned; /* atomic: exhaustion reported once */

static char *boot_reserve(void) {
    char *base = __atomic_load_n(&boot_base, __ATOMIC_ACQUIRE);
    if (base) {
        return base;
    }
    void *m = mmap(NULL, BOOT_RESERVE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
        return NULL;
    }
    char *expected = NULL;
    if (!__atomic_compare_exchange_n(&boot_base, &expected, (char *)m, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        munmap(m, BOOT_RESERVE); /* another thread reserved it first */
        return expected;
    }
    return m;
}

void *proxy_boot_alloc(size_t size, size_t alignment) {
    char *base = boot_reserve();
    if (!base) {
        return NULL;
    }
    if (alignment < BOOT_ALIGN) {
        alignment = BOOT_ALIGN;
    }
    /* alignment is a power of two (the front checks it); refuse what
     * cannot fit before computing with it */
    if (size > BOOT_RESERVE || alignment > BOOT_RESERVE / 2) {
        return NULL;
    }
    size_t used = __atomic_load_n(&boot_used, __ATOMIC_RELAXED);
    for (;;) {
        uintptr_t start = (uintptr_t)base + used + sizeof(size_t);
        uintptr_t user = (start + alignment - 1) & ~((uintptr_t)alignment - 1);
        size_t end = (size_t)(user - (uintptr_t)base) + size;
        end = (end + BOOT_ALIGN - 1) & ~(BOOT_ALIGN - 1);
        if (end > BOOT_RESERVE) {
            if (!__atomic_exchange_n(&boot_warned, true, __ATOMIC_RELAXED)) {
                proxy_report("the bootstrap arena (%zu MiB) is exhausted",
                             BOOT_RESERVE >> 20);
            }
            return NULL;
        }
        if (__atomic_compare_exchange_n(&boot_used, &used, end, true,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            ((size_t *)user)[-1] = size;
            return (void *)user;
        }
    }
}

bool proxy_boot_owns(const void *p) {
    const char *base = __atomic_load_n(&boot_base, __ATOMIC_ACQUIRE);
    return base && (const char *)p >= base &&
           (const char *)p < base + BOOT_RESERVE;
}

size_t proxy_boot_size(const void *p) { return ((const size_t *)p)[-1]; }
