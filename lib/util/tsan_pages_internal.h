/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tsan_pages_internal.h -- hand-over annotations for pools over allocators
 * that are not built for ThreadSanitizer (jemalloc, tbbmalloc).
 *
 * TSan cannot see that such an allocator hands a block freed on one thread
 * to an allocation on another in order. In a TSan build the pool tells it,
 * page by page (a block may be reused at another offset): a free releases
 * every page of the block, an allocation acquires them. UMF_TSAN_POOL is
 * defined only in a TSan build. */
#ifndef UMF_TSAN_PAGES_INTERNAL_H
#define UMF_TSAN_PAGES_INTERNAL_H 1

#if defined(__SANITIZE_THREAD__)
#define UMF_TSAN_POOL 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UMF_TSAN_POOL 1
#endif
#endif

#ifdef UMF_TSAN_POOL
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sanitizer/tsan_interface.h>

static inline void utils_tsan_pages(void *ptr, size_t size, bool release) {
    uintptr_t a = (uintptr_t)ptr & ~(uintptr_t)4095;
    uintptr_t end = (uintptr_t)ptr + (size ? size : 1);
    for (; a < end; a += 4096) {
        if (release) {
            __tsan_release((void *)a);
        } else {
            __tsan_acquire((void *)a);
        }
    }
}
#endif

#endif /* UMF_TSAN_PAGES_INTERNAL_H */
