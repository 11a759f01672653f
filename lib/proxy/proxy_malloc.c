/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_malloc.c -- libumf_proxy's malloc family (umf_proxy(7)): every
 * entry point decides where a request goes and where a pointer came from.
 *
 * Where a request goes:
 *  - before the pool exists (the library's constructor has not finished),
 *    or from inside the pool's own code on this thread (a pool that
 *    dlopens a library, or a dynamic TLS block made on a thread's first use
 *    of one): the bootstrap arena before the next allocator is known, the
 *    next allocator after;
 *  - a request under size.threshold: the next allocator (the C library);
 *  - anything else: the pool.
 * Where a pointer came from, for free, realloc and malloc_usable_size:
 *  - the bootstrap arena: by its address range;
 *  - the pool: the pointer lies in a granule wholly inside the pool's
 *    provider memory (proxy_owner.c), or else umfPoolByPtr (libumf's
 *    tracker) names the proxy's pool;
 *  - anything else belongs to the next allocator. Before the next allocator
 *    is known no such pointer can exist, and a free of one does nothing.
 * Nothing is guessed from the pointer's contents.
 *
 * A child made by fork(2) with a shared page disposition gets private
 * copies of the pool's shared mappings (proxy_fork.c), as fork gives for
 * private memory, and stops using the pool: its provider's file is the
 * parent's too, so a range the child's pool gave back (a hole punched in
 * the file) would change the parent's heap. The child's new requests go to
 * the next allocator, and its frees of pool blocks leave them alone. The
 * parent's forking thread waits until the copy is made.
 *
 * C semantics kept: malloc(0) and friends give a unique pointer;
 * realloc(p, 0) frees p and returns NULL (as glibc does); overflow in
 * calloc or reallocarray and every failure give NULL with errno ENOMEM;
 * free keeps errno; posix_memalign reports EINVAL/ENOMEM by its result. */
#define _GNU_SOURCE 1 /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <umf/memory_pool.h>

#include "proxy/proxy_internal.h"

#define PROXY_EXPORT __attribute__((visibility("default")))

/* Requests at or under these alignments need no aligned call: glibc's
 * malloc gives 16 bytes on x86-64; a pool's malloc gives 8 (the scalable
 * pool's 1 to 8 byte blocks), and 16 from 16 bytes on, which programs rely
 * on for malloc (the contract test checks it for every pool). */
#define PROXY_NEXT_ALIGN ((size_t)16)
#define PROXY_POOL_ALIGN ((size_t)8)

enum proxy_state_t {
    PROXY_BOOT,   /* before the constructor: the bootstrap arena */
    PROXY_SETUP,  /* the constructor is making the pool */
    PROXY_POOL,   /* the pool serves (the usual state) */
    PROXY_NEXT,   /* no pool could be made: the next allocator serves */
    PROXY_FORKED, /* a child of fork with shared pages: the next allocator
                     serves, pool blocks are left alone */
};

static int state; /* atomic; PROXY_POOL published after pool and threshold */
static proxy_pool_t pool;
static void *fork_sentinel; /* a pool block, with shared pages only */
static size_t threshold;

/* Set while this thread runs pool code (or the setup), so allocations made
 * from there do not recurse. Initial-exec: a preloaded library's TLS is
 * static, and reading it must not call __tls_get_addr (which may
 * allocate). */
static __thread int busy __attribute__((tls_model("initial-exec")));

static inline int state_now(void) {
    return __atomic_load_n(&state, __ATOMIC_ACQUIRE);
}

/* Is p a block of the pool (in any state from PROXY_POOL on)? The map of
 * pool granules answers most pointers; the tracker the rest. */
static inline bool from_pool(const void *p) {
    return state_now() >= PROXY_POOL && pool.handle &&
           (proxy_owner_has(p) || umfPoolByPtr(p) == pool.handle);
}

/* ---- the three allocators ---- */

static void *boot_alloc(size_t size, size_t alignment) {
    void *p = proxy_boot_alloc(size, alignment);
    if (!p) {
        errno = ENOMEM;
    }
    return p;
}

static void *next_alloc(size_t size, size_t alignment) {
    if (alignment <= PROXY_NEXT_ALIGN) {
        return proxy_next.malloc(size);
    }
    return proxy_next.memalign(alignment, size);
}

static void *pool_alloc(size_t size, size_t alignment) {
    if (size == 0) {
        size = 1; /* a unique pointer, as C's malloc(0) may give */
    }
    busy = 1;
    void *p = alignment <= PROXY_POOL_ALIGN
                  ? umfPoolMalloc(pool.handle, size)
                  : umfPoolAlignedMalloc(pool.handle, size, alignment);
    busy = 0;
    if (!p) {
        errno = ENOMEM;
    }
    return p;
}

static void pool_free(void *p) {
    busy = 1;
    umfPoolFree(pool.handle, p);
    busy = 0;
}

static size_t pool_usable_size(void *p) {
    busy = 1;
    size_t n = umfPoolMallocUsableSize(pool.handle, p);
    busy = 0;
    return n;
}

/* Does a request of size bytes go to the pool now? */
static inline bool goes_to_pool(size_t size) {
    return state_now() == PROXY_POOL && !busy && size >= threshold;
}

/* The allocator a request goes to when it does not go to the pool. */
static void *other_alloc(size_t size, size_t alignment) {
    if (state_now() < PROXY_POOL || !proxy_next.malloc) {
        return boot_alloc(size, alignment);
    }
    return next_alloc(size, alignment);
}

static void *route_alloc(size_t size, size_t alignment) {
    if (goes_to_pool(size)) {
        return pool_alloc(size, alignment);
    }
    return other_alloc(size, alignment);
}

/* ---- the exported family ---- */

PROXY_EXPORT void *malloc(size_t size) { return route_alloc(size, 0); }

PROXY_EXPORT void free(void *ptr) {
    if (!ptr || proxy_boot_owns(ptr)) {
        return; /* bootstrap blocks are never reused */
    }
    int saved = errno;
    if (from_pool(ptr)) {
        if (state_now() == PROXY_POOL) {
            pool_free(ptr);
        }
    } else if (proxy_next.free) {
        proxy_next.free(ptr);
    }
    errno = saved;
}

PROXY_EXPORT void *calloc(size_t num, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    if (goes_to_pool(total)) {
        if (total == 0) {
            num = size = total = 1; /* a unique block; pools want size > 0 */
        }
        if (!pool.has_calloc) {
            void *p = pool_alloc(total, 0);
            return p ? memset(p, 0, total) : NULL;
        }
        busy = 1;
        void *p = umfPoolCalloc(pool.handle, num, size);
        busy = 0;
        if (!p) {
            errno = ENOMEM;
        }
        return p;
    }
    if (state_now() < PROXY_POOL || !proxy_next.calloc) {
        return boot_alloc(total, 0); /* never-used arena memory is zero */
    }
    return proxy_next.calloc(num, size);
}

PROXY_EXPORT size_t malloc_usable_size(void *ptr) {
    if (!ptr) {
        return 0;
    }
    if (proxy_boot_owns(ptr)) {
        return proxy_boot_size(ptr);
    }
    if (from_pool(ptr)) {
        return pool_usable_size(ptr);
    }
    return proxy_next.malloc_usable_size ? proxy_next.malloc_usable_size(ptr)
                                         : 0;
}

/* Move a block to a new one from wherever size bytes go now. */
static void *realloc_move(void *ptr, size_t old_size, size_t size) {
    void *n = route_alloc(size, 0);
    if (!n) {
        return NULL; /* ptr stays valid */
    }
    memcpy(n, ptr, old_size < size ? old_size : size);
    free(ptr);
    return n;
}

PROXY_EXPORT void *realloc(void *ptr, size_t size) {
    if (!ptr) {
        return malloc(size);
    }
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    if (proxy_boot_owns(ptr)) {
        return realloc_move(ptr, proxy_boot_size(ptr), size);
    }
    bool to_pool = goes_to_pool(size);
    if (from_pool(ptr)) {
        if (to_pool && pool.has_realloc) {
            busy = 1;
            void *n = umfPoolRealloc(pool.handle, ptr, size);
            busy = 0;
            if (!n) {
                errno = ENOMEM;
            }
            return n;
        }
        return realloc_move(ptr, pool_usable_size(ptr), size);
    }
    if (!proxy_next.realloc) {
        errno = ENOMEM; /* cannot happen: no foreign block exists yet */
        return NULL;
    }
    if (to_pool) {
        return realloc_move(ptr, proxy_next.malloc_usable_size(ptr), size);
    }
    return proxy_next.realloc(ptr, size);
}

PROXY_EXPORT void *reallocarray(void *ptr, size_t num, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(num, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(ptr, total);
}

static inline bool is_power_of_2(size_t x) { return x && !(x & (x - 1)); }

PROXY_EXPORT void *aligned_alloc(size_t alignment, size_t size) {
    if (!is_power_of_2(alignment)) {
        errno = EINVAL; /* as glibc 2.36 */
        return NULL;
    }
    return route_alloc(size, alignment);
}

PROXY_EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size) {
    if (!is_power_of_2(alignment) || alignment % sizeof(void *) != 0) {
        return EINVAL;
    }
    int saved = errno;
    void *p = route_alloc(size, alignment);
    errno = saved;
    if (!p) {
        return ENOMEM;
    }
    *memptr = p;
    return 0;
}

PROXY_EXPORT void *memalign(size_t alignment, size_t size) {
    /* glibc rounds an alignment that is not a power of two up to one */
    if (!is_power_of_2(alignment)) {
        if (alignment > SIZE_MAX / 2 + 1) {
            errno = EINVAL;
            return NULL;
        }
        size_t a = 1;
        while (a < alignment) {
            a <<= 1;
        }
        alignment = a;
    }
    return route_alloc(size, alignment);
}

PROXY_EXPORT void *valloc(size_t size) {
    return route_alloc(size, (size_t)sysconf(_SC_PAGESIZE));
}

PROXY_EXPORT void *pvalloc(size_t size) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rounded;
    if (__builtin_add_overflow(size, page - 1, &rounded)) {
        errno = ENOMEM;
        return NULL;
    }
    rounded &= ~(page - 1);
    return route_alloc(rounded ? rounded : page, page);
}

/* ---- set-up and exit ---- */

/* Fork with shared pages (see the top of this file). The parent waits
 * until the child has copied the heap: the copy must see the heap as it was
 * at the fork, not as the parent goes on changing it. */
static int fork_pipe[2] = {-1, -1};

static void proxy_fork_prepare(void) {
    if (pipe2(fork_pipe, O_CLOEXEC) != 0) {
        fork_pipe[0] = fork_pipe[1] = -1;
    }
}

static void proxy_fork_parent(void) {
    if (fork_pipe[0] < 0) {
        return;
    }
    close(fork_pipe[1]);
    char c;
    while (read(fork_pipe[0], &c, 1) < 0 && errno == EINTR) {
        /* the child writes one byte, or exits (end of file) */
    }
    close(fork_pipe[0]);
    fork_pipe[0] = fork_pipe[1] = -1;
}

static void proxy_fork_child(void) {
    int saved = errno;
    __atomic_store_n(&state, PROXY_FORKED, __ATOMIC_RELEASE);
    if (!proxy_fork_privatize(fork_sentinel)) {
        proxy_report("a child of fork could not copy the shared heap; it "
                     "shares the parent's heap pages");
    }
    if (fork_pipe[0] >= 0) {
        close(fork_pipe[0]);
        ssize_t w = write(fork_pipe[1], "", 1);
        (void)w; /* the parent also wakes when this end closes */
        close(fork_pipe[1]);
        fork_pipe[0] = fork_pipe[1] = -1;
    }
    errno = saved;
}

__attribute__((constructor)) static void proxy_init(void) {
    busy = 1; /* the setup's own allocations go to the bootstrap arena */
    __atomic_store_n(&state, PROXY_SETUP, __ATOMIC_RELEASE);
    proxy_options_t opts;
    proxy_options_parse(getenv("UMF_PROXY"), &opts);
    bool have_next = proxy_next_load();
    if (!have_next && opts.threshold > 0) {
        proxy_report("size.threshold ignored: no next allocator");
        opts.threshold = 0;
    }
    threshold = opts.threshold;
    if (proxy_pool_setup(&opts, &pool)) {
        if (opts.pages != PROXY_PAGES_PRIVATE && have_next) {
            fork_sentinel = umfPoolMalloc(pool.handle, 64);
            if (!fork_sentinel ||
                pthread_atfork(proxy_fork_prepare, proxy_fork_parent,
                               proxy_fork_child) != 0) {
                proxy_report("cannot set up the fork handler");
            }
        }
        __atomic_store_n(&state, PROXY_POOL, __ATOMIC_RELEASE);
    } else {
        proxy_report("no pool could be made; %s",
                     have_next ? "the C library's malloc serves instead"
                               : "the bootstrap arena serves instead");
        __atomic_store_n(&state, have_next ? PROXY_NEXT : PROXY_BOOT,
                         __ATOMIC_RELEASE);
    }
    busy = 0;
}

__attribute__((destructor)) static void proxy_fini(void) {
    proxy_pool_at_exit();
}
