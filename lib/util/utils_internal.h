/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* utils_internal.h -- small helpers shared by every part of the library */
#ifndef UMF_UTILS_INTERNAL_H
#define UMF_UTILS_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Marks a function exported from libumf.so.0 (see lib/libumf.map). */
#define UMF_EXPORT __attribute__((visibility("default")))

#define UMF_LIKELY(x) __builtin_expect(!!(x), 1)
#define UMF_UNLIKELY(x) __builtin_expect(!!(x), 0)

#define UMF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UMF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define UMF_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Is x a power of two (0 is not)? */
static inline bool utils_is_power_of_2(size_t x) {
    return x != 0 && (x & (x - 1)) == 0;
}

/* *out = a + b; returns true when the sum overflows size_t. */
static inline bool utils_add_overflow(size_t a, size_t b, size_t *out) {
    return __builtin_add_overflow(a, b, out);
}

/* *out = a * b; returns true when the product overflows size_t. */
static inline bool utils_mul_overflow(size_t a, size_t b, size_t *out) {
    return __builtin_mul_overflow(a, b, out);
}

/* Round size up to a multiple of align (any non-zero value); false on
 * overflow. */
static inline bool utils_align_up_checked(size_t size, size_t align,
                                          size_t *out) {
    size_t rem = size % align;
    if (rem == 0) {
        *out = size;
        return true;
    }
    return !utils_add_overflow(size, align - rem, out);
}

static inline uintptr_t utils_align_ptr_up(uintptr_t p, size_t align) {
    return (p + align - 1) & ~((uintptr_t)align - 1);
}

/* The system page size, read once. */
size_t utils_page_size(void);

/* Identifier of the calling thread (for log lines). */
uint64_t utils_thread_id(void);

/* Lets any process of the same user take this process's fds with
 * pidfd_getfd(2) where Yama restricts ptrace (ptrace_scope 1): a provider
 * calls it before it hands out an IPC handle that names one of its fds.
 * Runs prctl(PR_SET_PTRACER) once per process; a failure is logged. */
void utils_allow_ptracer_once(void);

/* A copy in this process of fd remote_fd of process pid, or -1 with errno
 * set and *failed_call naming the call that failed ("pidfd_open" or
 * "pidfd_getfd"), for the caller's own log line. */
int utils_pidfd_getfd(int pid, int remote_fd, const char **failed_call);

/* A key of the calling thread, unique among live threads (a thread that
 * has exited may leave it to a new one), read without a TLS access: in a
 * shared library a __thread read is a call to __tls_get_addr. The thread
 * pointer where the compiler can read it, pthread_self() elsewhere. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
#define UTILS_THREAD_KEY() ((uintptr_t)__builtin_thread_pointer())
#endif
#endif
#ifndef UTILS_THREAD_KEY
#define UTILS_THREAD_KEY() ((uintptr_t)pthread_self())
#endif

/* Atomics: thin wrappers over the GCC/clang __atomic builtins. */
#define utils_atomic_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define utils_atomic_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define utils_atomic_store_relaxed(p, v)                                       \
    __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define utils_atomic_store_release(p, v)                                       \
    __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define utils_fetch_add(p, v) __atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
#define utils_fetch_sub(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_ACQ_REL)

#endif /* UMF_UTILS_INTERNAL_H */
