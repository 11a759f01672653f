/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_prog.c -- the program tests/check_proxy.sh runs with and without
 * LD_PRELOAD=libumf_proxy.so.0 (umf_proxy(7)). One mode per run:
 *
 *   contract      every malloc-family function's C/POSIX contract; with
 *                 PROXY_EXPECT_POOL=1 also that the blocks are the proxy's
 *                 pool's (umfPoolByPtr), and with PROXY_EXPECT_THRESHOLD=N
 *                 that requests under N bytes are the C library's
 *   threads       two threads free each other's blocks
 *   fork          children allocate and free after fork
 *   ipc-producer  mallocs a block, fills it, passes its IPC handle to
 *                 "ipc-consumer" (this program again) and waits for it
 *   ipc-consumer  opens the handle and checks the producer's data
 *
 * Output is deterministic (the script compares the two runs); the exit
 * status is 0 when every check passed. No Check here: the framework's own
 * allocations would run under the proxy too, but a plain program keeps
 * what runs under the proxy to what is tested. */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

/* Built with a sanitizer (whose allocator then replaces glibc's): the
 * checks of glibc-only behaviour are left out. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER 0
#endif

/* The checks that a failed realloc leaves its block valid use it after
 * the (failed) call, which GCC 12 cannot tell from a use after free. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wuse-after-free"
#endif

extern char **environ;
/* tests/proxy_late.c: frees the block in its destructor at exit */
void proxy_late_keep(void *p);
/* glibc's own malloc and free, whatever malloc the process has */
extern void __libc_free(void *);
extern void *__libc_malloc(size_t);

static unsigned checks, failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        checks++;                                                              \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
        }                                                                      \
    } while (0)

/* Sizes the compiler must not see (it rejects literal oversized
 * requests at build time). */
static volatile size_t size_max = SIZE_MAX;
#define HUGE (size_max)
#define HALF (size_max / 2)

static bool expect_pool;
static size_t expect_threshold;
static umf_memory_pool_handle_t proxy_pool;

/* The block is the proxy's pool's when the test expects so (and always the
 * same pool), the C library's when it is under the threshold. */
static void check_owner(void *p, size_t size) {
    if (!expect_pool || !p) {
        return;
    }
    umf_memory_pool_handle_t pool = umfPoolByPtr(p);
    if (size < expect_threshold) {
        CHECK(pool == NULL);
        return;
    }
    CHECK(pool != NULL);
    if (!proxy_pool) {
        proxy_pool = pool;
    }
    CHECK(pool == proxy_pool);
}

static bool aligned(const void *p, size_t a) {
    return ((uintptr_t)p & (a - 1)) == 0;
}

/* The alignment malloc(size) must have: glibc's 16 from 16 bytes on. */
static size_t fundamental_alignment(size_t size) {
    return size >= 16 ? 16 : size >= 8 ? 8 : 1;
}

static void fill(void *p, size_t n, unsigned char seed) {
    unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        c[i] = (unsigned char)(seed + i * 7);
    }
}

static bool filled(const void *p, size_t n, unsigned char seed) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++) {
        if (c[i] != (unsigned char)(seed + i * 7)) {
            return false;
        }
    }
    return true;
}

static const size_t sizes[] = {
    0,  1,   7,    8,    15,    16,      17,
    24, 100, 1000, 4096, 65536, 1000000, (size_t)8 << 20};

static void test_malloc_free(void) {
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        void *p = malloc(n);
        CHECK(p != NULL);
        if (!p) {
            continue;
        }
        CHECK(aligned(p, fundamental_alignment(n)));
        size_t usable = malloc_usable_size(p);
        CHECK(usable >= n);
        memset(p, 0x5a, usable); /* the whole usable size is writable */
        check_owner(p, n);
        int saved = 12345;
        errno = saved;
        free(p);
        CHECK(errno == saved); /* free keeps errno */
    }
    errno = 0;
    CHECK(malloc(HUGE) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(malloc(HALF) == NULL);
    CHECK(errno == ENOMEM);
    free(NULL);
    CHECK(malloc_usable_size(NULL) == 0);
}

static void test_calloc(void) {
    for (size_t i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t n = sizes[i];
        /* dirty a block of the size, so a reused one would show */
        void *d = malloc(n);
        CHECK(d != NULL);
        if (d) {
            memset(d, 0xff, n);
            free(d);
        }
        unsigned char *p = calloc(n, 1);
        CHECK(p != NULL);
        if (!p) {
            continue;
        }
        size_t nonzero = 0;
        for (size_t k = 0; k < n; k++) {
            nonzero += p[k] != 0;
        }
        CHECK(nonzero == 0);
        check_owner(p, n);
        free(p);
        p = calloc(n, 3);
        CHECK(p != NULL && p[3 * n - 1] == 0);
        free(p);
    }
    errno = 0;
    CHECK(calloc(HALF, 4) == NULL);
    CHECK(errno == ENOMEM);
    errno = 0;
    CHECK(calloc(4, HALF) == NULL);
    CHECK(errno == ENOMEM);
    /* zero bytes: a unique pointer (as glibc gives), freed like any */
    void *z1 = calloc(0, 16), *z2 = calloc(16, 0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    check_owner(z1, 0);
    free(z1);
    free(z2);
    void *m1 = malloc(0), *m2 = malloc(0);
    CHECK(m1 != NULL && m2 != NULL && m1 != m2);
    free(m1);
    free(m2);
}

static void test_realloc(void) {
    char *p = realloc(NULL, 100); /* NULL: malloc */
    CHECK(p != NULL);
    if (!p) {
        return;
    }
    check_owner(p, 100);
    fill(p, 100, 1);
    /* grow through several size classes, then shrink */
    static const size_t steps[] = {200, 5000, 100000, (size_t)3 << 20, 50, 10};
    size_t have = 100;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        size_t n = steps[i];
        char *q = realloc(p, n);
        CHECK(q != NULL);
        if (!q) {
            free(p);
            return;
        }
        p = q;
        size_t keep = have < n ? have : n;
        CHECK(filled(p, keep, 1));
        CHECK(malloc_usable_size(p) >= n);
        check_owner(p, n);
        fill(p, n, 1);
        have = n;
    }
    /* failure leaves the block as it was */
    errno = 0;
    CHECK(realloc(p, HUGE) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(filled(p, have, 1));
    /* realloc(p, 0) frees p and returns NULL (glibc) */
    CHECK(realloc(p, 0) == NULL);
}

static void test_reallocarray(void) {
    int *a = reallocarray(NULL, 10, sizeof(int));
    CHECK(a != NULL);
    if (!a) {
        return;
    }
    for (int i = 0; i < 10; i++) {
        a[i] = i;
    }
    int *b = reallocarray(a, 1000, sizeof(int));
    CHECK(b != NULL);
    if (b) {
        a = b;
        CHECK(a[9] == 9);
    }
    errno = 0;
    CHECK(reallocarray(a, HALF, 4) == NULL);
    CHECK(errno == ENOMEM);
    CHECK(a[9] == 9); /* untouched */
    free(a);
}

static void test_aligned(void) {
    for (size_t al = 1; al <= ((size_t)1 << 22); al <<= 1) {
        size_t try_sizes[] = {1, al, al + 1};
        for (size_t k = 0; k < 3; k++) {
            size_t n = try_sizes[k];
            /* glibc takes any size; the sanitizers' aligned_alloc only a
             * multiple of the alignment, as C11 first said */
            void *p =
                UNDER_SANITIZER && n % al != 0 ? NULL : aligned_alloc(al, n);
            CHECK(p != NULL || (UNDER_SANITIZER && n % al != 0));
            CHECK(aligned(p, al));
            if (p) {
                CHECK(malloc_usable_size(p) >= n);
                memset(p, 1, n);
                check_owner(p, n);
                free(p);
            }
            void *q = NULL;
            if (al >= sizeof(void *)) {
                int saved = 777;
                errno = saved;
                CHECK(posix_memalign(&q, al, n) == 0);
                CHECK(errno == saved);
                CHECK(q != NULL && aligned(q, al));
                check_owner(q, n);
                free(q);
            }
            void *m = memalign(al, n);
            CHECK(m != NULL && aligned(m, al));
            check_owner(m, n);
            free(m);
        }
    }
    void *q = (void *)1;
    CHECK(posix_memalign(&q, 3 * sizeof(void *), 8) == EINVAL);
    CHECK(posix_memalign(&q, sizeof(void *) / 2, 8) == EINVAL);
    CHECK(posix_memalign(&q, 64, HUGE) == ENOMEM);
    CHECK(q == (void *)1); /* untouched on failure */
    errno = 0;
    CHECK(aligned_alloc(64, HUGE) == NULL);
    CHECK(errno == ENOMEM || UNDER_SANITIZER);
    if (!UNDER_SANITIZER) {
        /* glibc's memalign rounds an odd alignment up to a power of two
         * (the sanitizers' refuse it) */
        void *m = memalign(48, 10);
        CHECK(m != NULL && aligned(m, 64));
        free(m);
    }

    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *v = valloc(100);
    CHECK(v != NULL && aligned(v, page));
    check_owner(v, 100);
    free(v);
    void *pv = pvalloc(100);
    CHECK(pv != NULL && aligned(pv, page));
    CHECK(pv == NULL || malloc_usable_size(pv) >= page);
    if (pv) {
        memset(pv, 2, page); /* pvalloc rounds the size up to a page */
    }
    free(pv);
}

/* Under the threshold the blocks are the C library's: glibc's own free
 * takes them (it would abort on jemalloc's or the pool's). Blocks move
 * between the two as realloc crosses the threshold. */
static void test_threshold(void) {
    if (!expect_pool || expect_threshold < 2) {
        return;
    }
    size_t t = expect_threshold;
    void *small = malloc(t - 1);
    CHECK(small != NULL && umfPoolByPtr(small) == NULL);
    __libc_free(small);
    void *s2 = calloc(1, t - 1);
    CHECK(s2 != NULL && umfPoolByPtr(s2) == NULL);
    fill(s2, t - 1, 9);
    void *big = realloc(s2, t + 100); /* moves into the pool */
    CHECK(big != NULL && umfPoolByPtr(big) != NULL);
    CHECK(filled(big, t - 1, 9));
    void *back = realloc(big, t / 2); /* and out again */
    CHECK(back != NULL && umfPoolByPtr(back) == NULL);
    CHECK(filled(back, t / 2, 9));
    __libc_free(back);
    void *at = malloc(t);
    CHECK(at != NULL && umfPoolByPtr(at) != NULL);
    free(at);
}

/* Blocks another allocator made (the C library's own entry points stand
 * for one the proxy never saw) go back to it from free and realloc, and
 * malloc_usable_size asks it, whether they sit in the C library's heap or in a
 * mapping of their own next to the pool's. Pool blocks around them stay
 * the pool's. */
static void test_foreign(void) {
    static const size_t foreign_sizes[] = {24, 5000, 200000, (size_t)4 << 20};
    if (!expect_pool) {
        return; /* the C library's malloc may be another's (a sanitizer's) */
    }
    for (size_t i = 0; i < sizeof(foreign_sizes) / sizeof(foreign_sizes[0]);
         i++) {
        size_t n = foreign_sizes[i];
        void *pool_before = malloc(n);
        unsigned char *f = __libc_malloc(n);
        void *pool_after = malloc(n);
        CHECK(f != NULL && pool_before != NULL && pool_after != NULL);
        if (!f || !pool_before || !pool_after) {
            continue;
        }
        CHECK(umfPoolByPtr(f) == NULL);
        check_owner(pool_before, n);
        check_owner(pool_after, n);
        fill(f, n, 5);
        CHECK(malloc_usable_size(f) >= n);
        /* the C library frees the old block; the new one goes where a
         * request of its size goes */
        f = realloc(f, n + 100);
        CHECK(f != NULL && filled(f, n, 5));
        check_owner(f, n + 100);
        free(f);
        free(pool_before);
        free(pool_after);
    }
}

/* The malloc the program calls is libumf_proxy's exactly when the test
 * expects the proxy. */
static void test_interposed(void) {
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, "malloc");
    CHECK(sym != NULL && dladdr(sym, &info) != 0);
    bool proxied =
        sym && info.dli_fname && strstr(info.dli_fname, "libumf_proxy") != NULL;
    CHECK(proxied == expect_pool);
}

/* Blocks freed at exit, by an atexit handler and by the destructor of a
 * library finalised after libumf's (tests/proxy_late.c). */
static void *atexit_block;
static void free_at_exit(void) {
    atexit_block = realloc(atexit_block, 5000);
    free(atexit_block);
}

static int mode_contract(void) {
    atexit_block = malloc(100);
    atexit(free_at_exit);
    for (size_t n = 8; n <= ((size_t)1 << 20); n *= 4) {
        proxy_late_keep(malloc(n));
    }
    test_interposed();
    test_malloc_free();
    test_calloc();
    test_realloc();
    test_reallocarray();
    test_aligned();
    test_threshold();
    test_foreign();
    fprintf(stderr, "contract: %u checks\n", checks);
    printf("contract: %u failures\n", failures);
    return failures ? 1 : 0;
}

/* ---- threads: each frees the blocks the other allocated ---- */

#define XT_ROUNDS 200
#define XT_BLOCKS 500

static void *xt_slots[2][XT_BLOCKS];
static pthread_barrier_t xt_barrier;

static void *xt_thread(void *arg) {
    int me = (int)(intptr_t)arg;
    unsigned long sum = 0;
    for (int r = 0; r < XT_ROUNDS; r++) {
        for (int i = 0; i < XT_BLOCKS; i++) {
            size_t n = 8 + (size_t)((i * 37 + r * 11 + me * 5) % 3000);
            unsigned char *p = malloc(n);
            if (!p) {
                abort();
            }
            p[0] = (unsigned char)i;
            p[n - 1] = (unsigned char)r;
            xt_slots[me][i] = p;
        }
        pthread_barrier_wait(&xt_barrier);
        for (int i = 0; i < XT_BLOCKS; i++) {
            unsigned char *p = xt_slots[1 - me][i];
            sum += p[0];
            free(p);
        }
        pthread_barrier_wait(&xt_barrier);
    }
    return (void *)(uintptr_t)sum;
}

static int mode_threads(void) {
    pthread_t t[2];
    pthread_barrier_init(&xt_barrier, NULL, 2);
    for (int i = 0; i < 2; i++) {
        if (pthread_create(&t[i], NULL, xt_thread, (void *)(intptr_t)i)) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    unsigned long total = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        total += (unsigned long)(uintptr_t)r;
    }
    pthread_barrier_destroy(&xt_barrier);
    printf("threads: checksum %lu\n", total);
    return 0;
}

/* ---- fork: the child allocates, frees and reads what the parent had ----
 * The child writes over the parent's canary, frees it and fills blocks of
 * its size: with shared pages (page.disposition) either would overwrite
 * the parent's copy unless the child's heap is its own. */

#define CANARY_SIZE ((size_t)65536)

static int mode_fork(void) {
    char *keep = strdup("allocated before fork");
    unsigned char *canary = malloc(CANARY_SIZE);
    if (!keep || !canary) {
        return 1;
    }
    fill(canary, CANARY_SIZE, 3);
    for (int k = 0; k < 5; k++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            int ok = strcmp(keep, "allocated before fork") == 0 &&
                     filled(canary, CANARY_SIZE, 3);
            free(keep);
            memset(canary, 0xcc, CANARY_SIZE);
            free(canary);
            void *blocks[1000];
            for (int i = 0; i < 1000; i++) {
                size_t n = i % 10 == 0 ? CANARY_SIZE : (size_t)(16 + i * 13);
                blocks[i] = malloc(n);
                if (!blocks[i]) {
                    _exit(2);
                }
                memset(blocks[i], 0xee, n);
            }
            for (int i = 0; i < 1000; i++) {
                free(blocks[i]);
            }
            _exit(ok ? 10 + k : 3);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) {
            fprintf(stderr, "child %d did not exit\n", k);
            return 1;
        }
        printf("fork: child %d exited %d, the parent's canary is %s\n", k,
               WEXITSTATUS(st),
               filled(canary, CANARY_SIZE, 3) ? "intact" : "overwritten");
        /* the parent allocates between the children */
        char *again = malloc(1000);
        memset(again, k, 1000);
        free(again);
    }
    free(keep);
    free(canary);
    return 0;
}

/* ---- IPC: a malloc'ed block shared with another process ---- */

#define IPC_SIZE ((size_t)1 << 20)

static int mode_ipc_producer(const char *self, const char *handle_file) {
    unsigned char *block = malloc(IPC_SIZE);
    if (!block) {
        fprintf(stderr, "malloc failed\n");
        return 1;
    }
    fill(block, IPC_SIZE, 42);
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    umf_result_t ret = umfGetIPCHandle(block, &h, &hsize);
    if (ret != UMF_RESULT_SUCCESS) {
        fprintf(stderr, "umfGetIPCHandle(malloc'ed block) failed: %d\n",
                (int)ret);
        return 1;
    }
    FILE *f = fopen(handle_file, "wb");
    if (!f || fwrite(h, 1, hsize, f) != hsize || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", handle_file);
        return 1;
    }
    /* the consumer runs while this process (the memfd's owner) lives */
    char *argv[] = {(char *)self, "ipc-consumer", (char *)handle_file, NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0) {
        fprintf(stderr, "cannot start the consumer\n");
        return 1;
    }
    int st;
    waitpid(pid, &st, 0);
    umfPutIPCHandle(h);
    free(block);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "the consumer failed (status %d)\n", st);
        return 1;
    }
    printf("ipc: the consumer read the producer's data\n");
    return 0;
}

static int mode_ipc_consumer(const char *handle_file) {
    static unsigned char buf[4096]; /* a handle is far smaller */
    FILE *f = fopen(handle_file, "rb");
    if (!f) {
        fprintf(stderr, "cannot read %s\n", handle_file);
        return 1;
    }
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    const char *shm = getenv("PROXY_EXPECT_SHM");
    if (shm && strcmp(shm, "1") == 0) {
        /* page.disposition=shared-shm names the object after the producer */
        char path[128];
        snprintf(path, sizeof(path), "/dev/shm/umf_proxy_lib_shm_pid_%ld",
                 (long)getppid());
        if (access(path, F_OK) != 0) {
            fprintf(stderr, "%s does not exist\n", path);
            return 1;
        }
    }
    umf_os_memory_provider_params_handle_t params = NULL;
    umf_memory_provider_handle_t provider = NULL;
    umf_memory_pool_handle_t pool = NULL;
    umf_ipc_handler_handle_t handler = NULL;
    void *ptr = NULL;
    if (n == 0 || umfOsMemoryProviderParamsCreate(&params) ||
        umfOsMemoryProviderParamsSetVisibility(params, UMF_MEM_MAP_SHARED) ||
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), params, &provider) ||
        umfPoolCreate(umfProxyPoolOps(), provider, NULL,
                      UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool) ||
        umfPoolGetIPCHandler(pool, &handler) ||
        umfOpenIPCHandle(handler, (umf_ipc_handle_t)buf, &ptr)) {
        fprintf(stderr, "the consumer cannot open the handle\n");
        return 1;
    }
    umfOsMemoryProviderParamsDestroy(params);
    int ok = filled(ptr, IPC_SIZE, 42);
    umfCloseIPCHandle(ptr);
    umfPoolDestroy(pool);
    if (!ok) {
        fprintf(stderr, "the consumer read other data than the producer's\n");
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *e = getenv("PROXY_EXPECT_POOL");
    expect_pool = e && strcmp(e, "1") == 0;
    e = getenv("PROXY_EXPECT_THRESHOLD");
    expect_threshold = e ? strtoull(e, NULL, 10) : 0;
    if (argc >= 2 && strcmp(argv[1], "contract") == 0) {
        return mode_contract();
    }
    if (argc >= 2 && strcmp(argv[1], "threads") == 0) {
        return mode_threads();
    }
    if (argc >= 2 && strcmp(argv[1], "fork") == 0) {
        return mode_fork();
    }
    if (argc >= 3 && strcmp(argv[1], "ipc-producer") == 0) {
        return mode_ipc_producer(argv[0], argv[2]);
    }
    if (argc >= 3 && strcmp(argv[1], "ipc-consumer") == 0) {
        return mode_ipc_consumer(argv[2]);
    }
    fprintf(stderr,
            "usage: %s contract|threads|fork|ipc-producer FILE|"
            "ipc-consumer FILE\n",
            argv[0]);
    return 2;
}
