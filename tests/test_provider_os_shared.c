/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_os_shared.c -- the OS provider with UMF_MEM_MAP_SHARED:
 * memfd and named shm backing, offset reuse, IPC ops within a process and
 * with a forked child, cleanup (fds, /dev/shm), protection, split/merge. */
#include "provider_helpers.h"

#include <limits.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <umf.h>
#include <umf/ipc.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

/* A per-process shm name, so parallel test runs do not collide. */
static const char *shm_name(const char *tag) {
    static char name[64];
    snprintf(name, sizeof(name), "umf_test_%s_%d", tag, (int)getpid());
    return name;
}

static const char *shm_path(const char *name) {
    static char path[128];
    snprintf(path, sizeof(path), "/dev/shm/%s", name);
    return path;
}

/* A SHARED provider: memfd when name is NULL. */
static umf_memory_provider_handle_t shared_create(const char *name,
                                                  unsigned protection) {
    umf_os_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&p), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetProtection(p, protection),
                     UMF_RESULT_SUCCESS);
    if (name) {
        ck_assert_int_eq(umfOsMemoryProviderParamsSetShmName(p, name),
                         UMF_RESULT_SUCCESS);
    }
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
    umfOsMemoryProviderParamsDestroy(p);
    ck_assert_int_eq(ret, UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(prov);
    return prov;
}

#define RW (UMF_PROTECTION_READ | UMF_PROTECTION_WRITE)

/* Can this process take another's descriptor? Valgrind 3.19 does not know
 * pidfd_open (ENOSYS): memfd handles then cannot cross processes, and the
 * tests that need it say so and stop. */
static bool pidfd_available(void) {
    long fd = syscall(434 /* pidfd_open */, getpid(), 0);
    if (fd < 0) {
        printf("note: pidfd_open: %s; memfd IPC across processes not "
               "tested\n",
               strerror(errno));
        return false;
    }
    close((int)fd);
    return true;
}

/* IPC handle buffers that forked children may keep without leaking. */
static char hbuf[4][8192];

static umf_memory_provider_handle_t memfd_provider(void) {
    return shared_create(NULL, RW);
}

/* The handle is a plain blob; tests read the offset from it to see where
 * an allocation lies in the file. Layout: int32 pid, int32 fd, u64 off. */
static uint64_t handle_offset(const void *data) {
    uint64_t off;
    memcpy(&off, (const char *)data + 8, sizeof(off));
    return off;
}

static size_t handle_size(umf_memory_provider_handle_t prov) {
    size_t hs = 0;
    ck_assert_int_eq(umfMemoryProviderGetIPCHandleSize(prov, &hs),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_gt(hs, 16);
    ck_assert_uint_le(hs, 4096);
    return hs;
}

/* ---------------------------------------------------------------------- */
/* create, alloc, free                                                     */
/* ---------------------------------------------------------------------- */

START_TEST(create_memfd_and_named) {
    umf_memory_provider_handle_t prov = memfd_provider();
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "OS");
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, ph_page());
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(prov, 1, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, ph_page());
    umfMemoryProviderDestroy(prov);

    const char *name = shm_name("create");
    prov = shared_create(name, RW);
    ck_assert(ph_exists(shm_path(name)));
    umfMemoryProviderDestroy(prov);
    ck_assert(!ph_exists(shm_path(name)));
}
END_TEST

START_TEST(alloc_sizes_and_alignments) {
    umf_memory_provider_handle_t prov = memfd_provider();
    size_t ps = ph_page();
    const size_t sizes[] = {1, 100, ps, ps + 1, 5 * ps + 7, 3 * MiB};
    const size_t aligns[] = {0, 8, ps, 3 * ps, 2 * MiB};
    bool check_maps = ph_maps_are_ours();
    /* the first allocation sets up metadata (hash map, coarse blocks) */
    ph_free(prov, ph_alloc(prov, ps, 0), ps);
    for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
        for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            size_t before = check_maps ? ph_mapped_bytes() : 0;
            void *p = ph_alloc(prov, sizes[s], aligns[a]);
            if (aligns[a]) {
                ck_assert_uint_eq((uintptr_t)p % aligns[a], 0);
            }
            if (check_maps) {
                size_t rounded = (sizes[s] + ps - 1) / ps * ps;
                ck_assert_uint_eq(ph_mapped_bytes() - before, rounded);
            }
            /* fresh shared memory reads zeros, and is writable */
            ck_assert(umf_test_all_bytes(p, sizes[s], 0));
            memset(p, 0x5a, sizes[s]);
            ph_free(prov, p, sizes[s]);
            if (check_maps) {
                ck_assert_uint_eq(ph_mapped_bytes(), before);
            }
        }
    }
    /* invalid alignment (neither a multiple nor a divisor of the page) */
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, ps + 8, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 0, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX, 2 * MiB, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    /* more than the offset space of one provider (64 TiB) */
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, (size_t)1 << 47, 0, &p),
                     UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(free_errors) {
    umf_memory_provider_handle_t prov = memfd_provider();
    size_t ps = ph_page();
    void *p = ph_alloc(prov, 4 * ps, 0);
    ck_assert_int_eq(umfMemoryProviderFree(prov, NULL, 10), UMF_RESULT_SUCCESS);
    /* not an allocation of this provider */
    ck_assert_int_eq(umfMemoryProviderFree(prov, (char *)p + ps, ps),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_FREE_FAILED,
                     "memory deallocation failed", EINVAL);
    /* a size that is not the allocation's: nothing freed */
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memset(p, 1, 4 * ps);
    /* size 0 frees the whole allocation; a size rounding to it works too */
    ph_free(prov, p, 0);
    p = ph_alloc(prov, 4 * ps - 5, 0);
    ph_free(prov, p, 4 * ps - 1);
    /* double free */
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, 4 * ps),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Freed offsets are reused (the reference never reuses them), and the pages
 * are given back: the next user sees zeros, the file does not grow. */
START_TEST(offsets_reused_and_zeroed) {
    const char *name = shm_name("reuse");
    umf_memory_provider_handle_t prov = shared_create(name, RW);
    size_t hs = handle_size(prov);
    char *h1 = calloc(1, hs);
    char *h2 = calloc(1, hs);

    void *p = ph_alloc(prov, 64 * KiB, 0);
    memset(p, 0xee, 64 * KiB);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p, 64 * KiB, h1),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_gt(ph_file_blocks(shm_path(name)), 0);
    ph_free(prov, p, 64 * KiB);
    /* the hole is punched: no block left */
    ck_assert_int_eq(ph_file_blocks(shm_path(name)), 0);

    void *q = ph_alloc(prov, 64 * KiB, 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, q, 64 * KiB, h2),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(handle_offset(h1), handle_offset(h2));
    ck_assert(umf_test_all_bytes(q, 64 * KiB, 0));
    ph_free(prov, q, 64 * KiB);

    long long size0 = ph_file_size(shm_path(name));
    for (int i = 0; i < 2000; i++) {
        void *r = ph_alloc(prov, (size_t)(i % 7 + 1) * 4 * KiB, 0);
        memset(r, i, 4 * KiB);
        ph_free(prov, r, (size_t)(i % 7 + 1) * 4 * KiB);
    }
    ck_assert_int_eq(ph_file_size(shm_path(name)), size0);
    ck_assert_int_eq(ph_file_blocks(shm_path(name)), 0);
    free(h1);
    free(h2);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Live allocations never share offsets; many threads at once. */
typedef struct thread_arg_t {
    umf_memory_provider_handle_t prov;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *alloc_thread(void *arg) {
    thread_arg_t *t = arg;
    void *ptrs[16];
    size_t sizes[16];
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 16; i++) {
            sizes[i] = (size_t)((t->seed + i + round) % 5 + 1) * 4 * KiB;
            if (umfMemoryProviderAlloc(t->prov, sizes[i], 0, &ptrs[i]) !=
                UMF_RESULT_SUCCESS) {
                t->failures++;
                return NULL;
            }
            umf_test_fill(ptrs[i], sizes[i], t->seed * 100 + (unsigned)i);
        }
        for (int i = 0; i < 16; i++) {
            if (!umf_test_verify(ptrs[i], sizes[i],
                                 t->seed * 100 + (unsigned)i)) {
                t->failures++;
            }
            if (umfMemoryProviderFree(t->prov, ptrs[i], sizes[i]) !=
                UMF_RESULT_SUCCESS) {
                t->failures++;
            }
        }
    }
    return NULL;
}

START_TEST(threads_no_overlap) {
    umf_memory_provider_handle_t prov = memfd_provider();
    thread_arg_t args[4];
    for (unsigned i = 0; i < 4; i++) {
        args[i].prov = prov;
        args[i].seed = i + 1;
        args[i].failures = 0;
    }
    ck_assert_int_eq(
        umf_test_run_threads(4, alloc_thread, args, sizeof(args[0])), 0);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(args[i].failures, 0);
    }
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* cleanup                                                                 */
/* ---------------------------------------------------------------------- */

START_TEST(named_unlinked_and_stale_taken_over) {
    const char *name = shm_name("stale");
    char path[128];
    snprintf(path, sizeof(path), "%s", shm_path(name));
    /* a leftover of a crashed process */
    char shm[80];
    snprintf(shm, sizeof(shm), "/%s", name);
    int fd = shm_open(shm, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert(ph_exists(path));

    umf_memory_provider_handle_t prov = shared_create(name, RW);
    ck_assert(ph_exists(path));
    void *p = ph_alloc(prov, 3 * MiB, 0);
    memset(p, 1, 3 * MiB);
    /* memory still mapped at destroy stays usable; the name goes */
    umfMemoryProviderDestroy(prov);
    ck_assert(!ph_exists(path));
    ck_assert(umf_test_all_bytes(p, 3 * MiB, 1));
    munmap(p, 3 * MiB);
}
END_TEST

static void cycle(const char *name, bool with_alloc) {
    umf_memory_provider_handle_t prov = shared_create(name, RW);
    if (with_alloc) {
        void *p = ph_alloc(prov, 3 * 4096, 2 * MiB);
        memset(p, 3, 3 * 4096);
        ph_free(prov, p, 3 * 4096);
    }
    umfMemoryProviderDestroy(prov);
}

START_TEST(fd_count_unchanged_after_cycles) {
    const char *name = shm_name("cycle");
    char path[128];
    snprintf(path, sizeof(path), "%s", shm_path(name));
    cycle(NULL, true); /* warm up the metadata allocator */
    cycle(path + 9, true);
    size_t fds = umf_test_count_fds();
    size_t bytes = ph_maps_are_ours() ? ph_mapped_bytes() : 0;
    for (int i = 0; i < 300; i++) {
        cycle(i % 2 ? NULL : path + 9, i % 3 != 0);
    }
    ck_assert_uint_eq(umf_test_count_fds(), fds);
    ck_assert(!ph_exists(path));
    if (ph_maps_are_ours()) {
        ck_assert_uint_eq(ph_mapped_bytes(), bytes);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* IPC                                                                     */
/* ---------------------------------------------------------------------- */

/* The same memory through a second mapping (an IPC handle opened by
 * another provider in this process). */
static void second_mapping(const char *name) {
    umf_memory_provider_handle_t prod = shared_create(name, RW);
    umf_memory_provider_handle_t cons = memfd_provider();
    size_t hs = handle_size(prod);
    void *data = calloc(1, hs);
    size_t size = 3 * MiB + 123;

    char *p = ph_alloc(prod, size, 0);
    umf_test_fill(p, size, 7);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, size, data),
                     UMF_RESULT_SUCCESS);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, data, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_ne(p, q);
    ck_assert(umf_test_verify(q, size, 7));
    q[size - 1] = 'Q';
    p[0] = 'P';
    ck_assert_int_eq(p[size - 1], 'Q');
    ck_assert_int_eq(q[0], 'P');
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, size),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, data),
                     UMF_RESULT_SUCCESS);
    /* the producer's own provider can open it too */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(prod, data, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(q[0], 'P');
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prod, q, size),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, size);
    free(data);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prod);
}

START_TEST(ipc_second_mapping_memfd) { second_mapping(NULL); }
END_TEST

START_TEST(ipc_second_mapping_named) { second_mapping(shm_name("second")); }
END_TEST

/* The handle goes to a forked child, which opens it with its own provider,
 * checks the parent's data and writes its own; the parent sees it. */
typedef struct child_ipc_t {
    void *data;
    size_t size;
} child_ipc_t;

static void child_open_and_write(void *arg) {
    child_ipc_t *c = arg;
    umf_os_memory_provider_params_handle_t p = NULL;
    if (umfOsMemoryProviderParamsCreate(&p) != UMF_RESULT_SUCCESS ||
        umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED) !=
            UMF_RESULT_SUCCESS) {
        _exit(10);
    }
    umf_memory_provider_handle_t prov = NULL;
    if (umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov) !=
        UMF_RESULT_SUCCESS) {
        _exit(11);
    }
    umfOsMemoryProviderParamsDestroy(p);
    ph_child_open_ipc(prov, c->data, c->size, 11, 12);
}

static void fork_ipc(const char *name) {
    if (!name && !pidfd_available()) {
        return;
    }
    umf_memory_provider_handle_t prod = shared_create(name, RW);
    ck_assert_uint_le(handle_size(prod), sizeof(hbuf[0]));
    child_ipc_t c = {hbuf[0], 2 * MiB + 5};
    void *p = ph_alloc(prod, c.size, 0);
    umf_test_fill(p, c.size, 11);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, c.size, c.data),
                     UMF_RESULT_SUCCESS);
    int status = ph_run_child(child_open_and_write, &c);
    ck_assert_msg(ph_child_ok(status), "child status 0x%x", status);
    ck_assert(umf_test_verify(p, c.size, 12));
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, c.data),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, c.size);
    umfMemoryProviderDestroy(prod);
}

START_TEST(ipc_forked_child_memfd) { fork_ipc(NULL); }
END_TEST

START_TEST(ipc_forked_child_named) { fork_ipc(shm_name("fork")); }
END_TEST

/* The consumer maps with its own protection: read-only here. */
typedef struct ro_arg_t {
    umf_memory_provider_handle_t cons;
    void *data;
} ro_arg_t;

static void ro_open_and_write(void *arg) {
    ro_arg_t *a = arg;
    void *q = NULL;
    if (umfMemoryProviderOpenIPCHandle(a->cons, a->data, &q) !=
        UMF_RESULT_SUCCESS) {
        _exit(20);
    }
    ph_do_read(q);
    ph_do_write(q); /* faults */
}

START_TEST(ipc_consumer_protection) {
    umf_memory_provider_handle_t prod = shared_create(shm_name("ro"), RW);
    umf_memory_provider_handle_t cons =
        shared_create(NULL, UMF_PROTECTION_READ);
    ck_assert_uint_le(handle_size(prod), sizeof(hbuf[0]));
    void *data = hbuf[0];
    void *p = ph_alloc(prod, 4096, 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, 4096, data),
                     UMF_RESULT_SUCCESS);
    ro_arg_t a = {cons, data};
    ck_assert(ph_child_dies_with(ro_open_and_write, &a, SIGSEGV));
    ph_free(prod, p, 4096);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prod);
}
END_TEST

START_TEST(ipc_errors) {
    const char *name = shm_name("ipcerr");
    umf_memory_provider_handle_t prod = shared_create(name, RW);
    umf_memory_provider_handle_t other = memfd_provider();
    size_t hs = handle_size(prod);
    char *data = calloc(1, hs);
    char *bad = calloc(1, hs);
    size_t ps = ph_page();
    char *p = ph_alloc(prod, 4 * ps, 0);

    /* not the start of an allocation / larger than it */
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p + ps, ps, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, 5 * ps, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prod, p, 4 * ps, data),
                     UMF_RESULT_SUCCESS);
    /* another provider did not make it */
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(other, data),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* malformed blobs */
    memcpy(bad, data, hs);
    memset(bad + 8, 0xff, 8); /* offset */
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(other, bad, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memset(bad, 0, hs);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(other, bad, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    memcpy(bad, data, hs);
    memset(bad + 36, 'x', hs - 36); /* an unterminated name */
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(other, bad, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(q);

    /* PRIVATE providers take no part in IPC */
    umf_os_memory_provider_params_handle_t pp = NULL;
    umfOsMemoryProviderParamsCreate(&pp);
    umf_memory_provider_handle_t priv = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), pp, &priv),
        UMF_RESULT_SUCCESS);
    umfOsMemoryProviderParamsDestroy(pp);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(priv, data, &q),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(priv);

    /* after the producer is gone its name is gone too */
    ck_assert_int_eq(umfMemoryProviderPutIPCHandle(prod, data),
                     UMF_RESULT_SUCCESS);
    ph_free(prod, p, 4 * ps);
    umfMemoryProviderDestroy(prod);
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(other, data, &q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(other, UMF_OS_RESULT_ERROR_ALLOC_FAILED,
                     "memory allocation failed", ENOENT);

    free(bad);
    free(data);
    umfMemoryProviderDestroy(other);
}
END_TEST

/* A memfd handle whose producer has exited cannot be opened. */
static void child_make_handle(void *arg) {
    umf_memory_provider_handle_t prod = memfd_provider();
    void *p = ph_alloc(prod, 4096, 0);
    if (umfMemoryProviderGetIPCHandle(prod, p, 4096, arg) !=
        UMF_RESULT_SUCCESS) {
        _exit(1);
    }
    _exit(0);
}

START_TEST(ipc_producer_exited) {
    if (!pidfd_available()) {
        return;
    }
    umf_memory_provider_handle_t cons = memfd_provider();
    size_t hs = handle_size(cons);
    void *data = mmap(NULL, hs, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(data, MAP_FAILED);
    ck_assert(ph_child_ok(ph_run_child(child_make_handle, data)));
    void *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, data, &q),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(cons, UMF_OS_RESULT_ERROR_ALLOC_FAILED,
                     "memory allocation failed", ESRCH);
    munmap(data, hs);
    umfMemoryProviderDestroy(cons);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* protection, purge, split/merge, pools                                   */
/* ---------------------------------------------------------------------- */

START_TEST(protection_enforced) {
    umf_memory_provider_handle_t ro = shared_create(NULL, UMF_PROTECTION_READ);
    void *p = ph_alloc(ro, 4096, 0);
    ph_do_read(p);
    ck_assert(ph_child_dies_with(ph_do_write, p, SIGSEGV));
    ph_free(ro, p, 4096);
    umfMemoryProviderDestroy(ro);

    umf_memory_provider_handle_t none =
        shared_create(NULL, UMF_PROTECTION_NONE);
    p = ph_alloc(none, 4096, 0);
    ck_assert(ph_child_dies_with(ph_do_read, p, SIGSEGV));
    ph_free(none, p, 4096);
    umfMemoryProviderDestroy(none);
}
END_TEST

START_TEST(purge) {
    const char *name = shm_name("purge");
    umf_memory_provider_handle_t prov = shared_create(name, RW);
    size_t size = 1 * MiB;
    char *p = ph_alloc(prov, size, 0);
    memset(p, 0x77, size);
    long long blocks = ph_file_blocks(shm_path(name));
    ck_assert_int_ge(blocks, (long long)(size / 512));
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, p, size),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, p, size / 2),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_le(ph_file_blocks(shm_path(name)),
                     blocks - (long long)(size / 2 / 512));
    ck_assert(umf_test_all_bytes(p, size / 2, 0));
    ck_assert(umf_test_all_bytes(p + size / 2, size / 2, 0x77));
    /* errors */
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, (void *)1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED,
                     "lazy purging failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED,
                     "force purging failed", EINVAL);
    ph_free(prov, p, size);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(split_merge) {
    umf_memory_provider_handle_t prov = memfd_provider();
    size_t ps = ph_page();
    size_t hs = handle_size(prov);
    char *h0 = calloc(1, hs);
    char *h1 = calloc(1, hs);
    char *p = ph_alloc(prov, 4 * ps, 0);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p, 4 * ps, h0),
                     UMF_RESULT_SUCCESS);
    /* split points must be page multiples */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 4 * ps, 100),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 3 * ps, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 4 * ps, ps),
                     UMF_RESULT_SUCCESS);
    /* the upper piece is its own allocation, one page further in the file */
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p + ps, 3 * ps, h1),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(handle_offset(h1), handle_offset(h0) + ps);
    ck_assert_int_eq(umfMemoryProviderAllocationMerge(prov, p, p + ps, 4 * ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, p + ps, ps, h1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* split again and free the pieces apart */
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 4 * ps, 2 * ps),
                     UMF_RESULT_SUCCESS);
    ph_free(prov, p + 2 * ps, 2 * ps);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, p, p + 2 * ps, 4 * ps),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_free(prov, p, 2 * ps);

    /* two allocations next to each other in memory merge only when they
     * are next to each other in the file too (mmap usually places the
     * second one below the first, valgrind above it) */
    char *a = ph_alloc(prov, ps, 0);
    char *b = ph_alloc(prov, ps, 0);
    char *lo = a < b ? a : b;
    char *hi = a < b ? b : a;
    if (lo + ps == hi) {
        ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, lo, ps, h0),
                         UMF_RESULT_SUCCESS);
        ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, hi, ps, h1),
                         UMF_RESULT_SUCCESS);
        bool in_file_order = handle_offset(h0) + ps == handle_offset(h1);
        ck_assert_int_eq(umfMemoryProviderAllocationMerge(prov, lo, hi, 2 * ps),
                         in_file_order ? UMF_RESULT_SUCCESS
                                       : UMF_RESULT_ERROR_INVALID_ARGUMENT);
        if (in_file_order) {
            ph_free(prov, lo, 2 * ps);
            a = b = NULL;
        }
    }
    if (a) {
        ph_free(prov, a, ps);
        ph_free(prov, b, ps);
    }
    free(h0);
    free(h1);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(numa_mode_not_supported) {
    unsigned list[1] = {0};
    umf_os_memory_provider_params_handle_t p = NULL;
    umfOsMemoryProviderParamsCreate(&p);
    umfOsMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_BIND);
    umfOsMemoryProviderParamsSetNumaList(p, list, 1);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov),
        UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_ptr_null(prov);
    umfOsMemoryProviderParamsSetNumaMode(p, UMF_NUMA_MODE_LOCAL);
    umfOsMemoryProviderParamsSetNumaList(p, NULL, 0);
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov),
        UMF_RESULT_ERROR_NOT_SUPPORTED);
    umfOsMemoryProviderParamsDestroy(p);
}
END_TEST

/* A pool over shared memory, and its IPC through the library front-end. */
static void child_pool_ipc(void *arg) {
    umf_ipc_handle_t h = arg;
    umf_memory_provider_handle_t prov = memfd_provider();
    umf_memory_pool_handle_t pool = NULL;
    if (umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                      UMF_POOL_CREATE_FLAG_OWN_PROVIDER,
                      &pool) != UMF_RESULT_SUCCESS) {
        _exit(30);
    }
    umf_ipc_handler_handle_t handler = NULL;
    if (umfPoolGetIPCHandler(pool, &handler) != UMF_RESULT_SUCCESS) {
        _exit(31);
    }
    char *q = NULL;
    if (umfOpenIPCHandle(handler, h, (void **)&q) != UMF_RESULT_SUCCESS) {
        _exit(32);
    }
    if (strcmp(q, "from the parent") != 0) {
        _exit(33);
    }
    strcpy(q, "from the child");
    if (umfCloseIPCHandle(q) != UMF_RESULT_SUCCESS) {
        _exit(34);
    }
    umfPoolDestroy(pool);
    _exit(0);
}

START_TEST(pool_over_shared_ipc) {
    umf_memory_provider_handle_t prov = shared_create(shm_name("pool"), RW);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL, 0, &pool),
                     UMF_RESULT_SUCCESS);
    char *p = umfPoolMalloc(pool, 10000);
    ck_assert_ptr_nonnull(p);
    strcpy(p, "from the parent");
    umf_ipc_handle_t h = NULL;
    size_t hsize = 0;
    ck_assert_int_eq(umfGetIPCHandle(p, &h, &hsize), UMF_RESULT_SUCCESS);
    /* the child gets a copy of the handle with the address space */
    ck_assert(ph_child_ok(ph_run_child(child_pool_ipc, h)));
    ck_assert_str_eq(p, "from the child");
    ck_assert_int_eq(umfPutIPCHandle(h), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfPoolFree(pool, p), UMF_RESULT_SUCCESS);
    umfPoolDestroy(pool);
    umfMemoryProviderDestroy(prov);
}
END_TEST

static Suite *os_shared_suite(void) {
    Suite *s = suite_create("provider_os_shared");
    TCase *tc = tcase_create("alloc");
    tcase_add_test(tc, create_memfd_and_named);
    tcase_add_test(tc, alloc_sizes_and_alignments);
    tcase_add_test(tc, free_errors);
    tcase_add_test(tc, offsets_reused_and_zeroed);
    tcase_add_test(tc, threads_no_overlap);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);

    tc = tcase_create("cleanup");
    tcase_add_test(tc, named_unlinked_and_stale_taken_over);
    tcase_add_test(tc, fd_count_unchanged_after_cycles);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("ipc");
    tcase_add_test(tc, ipc_second_mapping_memfd);
    tcase_add_test(tc, ipc_second_mapping_named);
    tcase_add_test(tc, ipc_forked_child_memfd);
    tcase_add_test(tc, ipc_forked_child_named);
    tcase_add_test(tc, ipc_consumer_protection);
    tcase_add_test(tc, ipc_errors);
    tcase_add_test(tc, ipc_producer_exited);
    tcase_add_test(tc, pool_over_shared_ipc);
    tcase_set_timeout(tc, 20);
    suite_add_tcase(s, tc);

    tc = tcase_create("ops");
    tcase_add_test(tc, protection_enforced);
    tcase_add_test(tc, purge);
    tcase_add_test(tc, split_merge);
    tcase_add_test(tc, numa_mode_not_supported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    if (access("/dev/shm", W_OK) != 0) {
        umf_test_skip("/dev/shm is not writable: no POSIX shared memory");
    }
    return umf_test_run_suite(os_shared_suite());
}
