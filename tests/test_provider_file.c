/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_file.c -- the file memory provider: params, file creation
 * and growth, reuse of freed ranges, purge (space really released), split
 * and merge, protection, native errors, and the FSDAX path through the
 * test-only mmap shim. IPC is in test_provider_file_ipc.c.
 *
 * The program re-executes itself with tests/fakes/mmap_shim.so preloaded
 * (see mmap_shim.h) and keeps the shim switched off except in the FSDAX
 * tests; without the shim those tests are not added (a line says so). */
#include "provider_file_helpers.h"

#include <sys/mman.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_file_memory.h>

#include "mmap_shim.h"

/* ---------------------------------------------------------------------- */
/* params                                                                  */
/* ---------------------------------------------------------------------- */

START_TEST(params) {
    umf_file_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(NULL, "/tmp/x"),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, ""),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    char *longp = malloc(PATH_MAX + 10);
    memset(longp, 'a', PATH_MAX + 9);
    longp[0] = '/';
    longp[PATH_MAX + 9] = '\0';
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, longp),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(umfFileMemoryProviderParamsDestroy(NULL),
                     UMF_RESULT_SUCCESS);

    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, "/tmp/x"),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(NULL, "/tmp/y"),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(p, NULL),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(p, ""),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(p, longp),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(p, "/tmp/y"),
                     UMF_RESULT_SUCCESS);

    ck_assert_int_eq(
        umfFileMemoryProviderParamsSetProtection(NULL, UMF_PROTECTION_READ),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    unsigned bad_prot[] = {0, 1u << 4, 1u << 31 | UMF_PROTECTION_READ};
    for (size_t i = 0; i < sizeof(bad_prot) / sizeof(bad_prot[0]); i++) {
        ck_assert_int_eq(
            umfFileMemoryProviderParamsSetProtection(p, bad_prot[i]),
            UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    /* every combination, NONE with others included (issue 14 item 5b) */
    for (unsigned prot = 1; prot < 16; prot++) {
        ck_assert_msg(umfFileMemoryProviderParamsSetProtection(p, prot) ==
                          UMF_RESULT_SUCCESS,
                      "protection 0x%x rejected", prot);
    }
    ck_assert_int_eq(umfFileMemoryProviderParamsSetProtection(
                         p, UMF_PROTECTION_READ | UMF_PROTECTION_EXEC),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfFileMemoryProviderParamsSetVisibility(NULL, UMF_MEM_MAP_SHARED),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfFileMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)0),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfFileMemoryProviderParamsSetVisibility(p, (umf_memory_visibility_t)3),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfFileMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFileMemoryProviderParamsDestroy(p), UMF_RESULT_SUCCESS);
    free(longp);
}
END_TEST

/* The path is copied: the caller's buffer may change after the call. */
START_TEST(params_path_copied) {
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path_in(dir_shm, "copied"));
    umf_file_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfFileMemoryProviderParamsCreate(&p, "/nonexistent/x"),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfFileMemoryProviderParamsSetPath(p, buf),
                     UMF_RESULT_SUCCESS);
    snprintf(buf, sizeof(buf), "/nonexistent/y");
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov),
        UMF_RESULT_SUCCESS);
    umfFileMemoryProviderParamsDestroy(p);
    ck_assert(ph_exists(path_in(dir_shm, "copied")));
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* create                                                                  */
/* ---------------------------------------------------------------------- */

START_TEST(create_paths) {
    ck_assert_int_eq(
        umfMemoryProviderCreate(umfFileMemoryProviderOps(), NULL, NULL),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* a missing directory, a directory, a character device */
    file_create_expect("/nonexistent/dir/file", UMF_MEM_MAP_PRIVATE, RW,
                       UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_create_expect(dir_tmp, UMF_MEM_MAP_PRIVATE, RW,
                       UMF_RESULT_ERROR_INVALID_ARGUMENT);
    file_create_expect("/dev/null", UMF_MEM_MAP_SHARED, RW,
                       UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a missing file is created with mode 0600 and kept at destroy */
    const char *path = path_in(dir_tmp, "created");
    umf_memory_provider_handle_t prov = file_create(path, UMF_MEM_MAP_SHARED);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "FILE");
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, ph_page()); /* not DAX */
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(prov, 5, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, ph_page());
    umfMemoryProviderDestroy(prov);
    ck_assert(ph_exists(path));

    /* an existing file is neither truncated nor removed; its content shows
     * through the first allocation */
    int fd = open(path, O_RDWR | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "hello", 5), 5);
    close(fd);
    prov = file_create(path, UMF_MEM_MAP_PRIVATE);
    ck_assert_int_eq(ph_file_size(path), 5);
    char *p = ph_alloc(prov, 4096, 0);
    ck_assert_int_eq(memcmp(p, "hello", 5), 0);
    ph_free(prov, p, 4096);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* alloc, growth, reuse                                                    */
/* ---------------------------------------------------------------------- */

static void alloc_patterns(umf_memory_visibility_t vis) {
    const char *path = path_in(dir_shm, "alloc");
    umf_memory_provider_handle_t prov = file_create(path, vis);
    size_t ps = ph_page();
    const size_t sizes[] = {1, 100, ps, ps + 1, 5 * ps + 7, 3 * MiB};
    const size_t aligns[] = {0, 8, ps, 2 * ps, 2 * MiB};
    for (size_t a = 0; a < sizeof(aligns) / sizeof(aligns[0]); a++) {
        void *ptrs[6];
        for (size_t s = 0; s < 6; s++) {
            ptrs[s] = ph_alloc(prov, sizes[s], aligns[a]);
            if (aligns[a]) {
                ck_assert_uint_eq((uintptr_t)ptrs[s] % aligns[a], 0);
            }
            umf_test_fill(ptrs[s], sizes[s], (unsigned)(a * 10 + s));
        }
        for (size_t s = 0; s < 6; s++) {
            ck_assert(
                umf_test_verify(ptrs[s], sizes[s], (unsigned)(a * 10 + s)));
            ph_free(prov, ptrs[s], sizes[s]);
        }
    }
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 0, 0, &p),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, ps, 3 * ps, &p),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    /* sizes no file can hold, rounded to the page or with the alignment
     * added: INVALID_ARGUMENT, as in the reference (issue 14 item 5a); a
     * bad alignment is still INVALID_ALIGNMENT */
    const size_t huge[][2] = {{SIZE_MAX, 0},
                              {SIZE_MAX - ps + 2, 0},
                              {SIZE_MAX / 2 + 1, 0},
                              {SIZE_MAX - 2 * MiB, 2 * MiB},
                              {ps, (size_t)1 << 63}};
    for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
        p = (void *)0x1;
        ck_assert_msg(
            umfMemoryProviderAlloc(prov, huge[i][0], huge[i][1], &p) ==
                UMF_RESULT_ERROR_INVALID_ARGUMENT,
            "alloc(%zu, %zu) is not INVALID_ARGUMENT", huge[i][0], huge[i][1]);
    }
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX, 3 * ps, &p),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);
    ck_assert_int_eq(umfMemoryProviderFree(prov, NULL, 1), UMF_RESULT_SUCCESS);
    p = ph_alloc(prov, ps, 0);
    /* coarse rules: wrong size, unknown pointer, double free */
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, 3 * ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemoryProviderFree(prov, (char *)p + ps, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_free(prov, p, 0);
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(prov);
}

START_TEST(alloc_private) { alloc_patterns(UMF_MEM_MAP_PRIVATE); }
END_TEST

START_TEST(alloc_shared) { alloc_patterns(UMF_MEM_MAP_SHARED); }
END_TEST

/* SHARED: the file grows and its blocks are allocated (posix_fallocate);
 * what is written lands in the file at the handle's offset. PRIVATE: the
 * file grows sparse and never sees the writes. */
START_TEST(growth_and_file_content) {
    const char *path = path_in(dir_tmp, "grow");
    umf_memory_provider_handle_t prov = file_create(path, UMF_MEM_MAP_SHARED);
    size_t hs = handle_size(prov);
    char *h = calloc(1, hs);
    char *ptrs[8];
    for (int i = 0; i < 8; i++) {
        ptrs[i] = ph_alloc(prov, 1 * MiB, 0);
        memset(ptrs[i], 'a' + i, 1 * MiB);
    }
    ck_assert_int_ge(ph_file_size(path), (long long)(8 * MiB));
    ck_assert_int_ge(ph_file_blocks(path), (long long)(8 * MiB / 512));
    msync(ptrs[5], 1 * MiB, MS_SYNC);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, ptrs[5], MiB, h),
                     UMF_RESULT_SUCCESS);
    int fd = open(path, O_RDONLY);
    char buf[4096];
    ck_assert_int_eq(pread(fd, buf, sizeof(buf), (off_t)handle_offset(h)),
                     (ssize_t)sizeof(buf));
    close(fd);
    ck_assert(umf_test_all_bytes(buf, sizeof(buf), 'f'));
    for (int i = 0; i < 8; i++) {
        ph_free(prov, ptrs[i], 1 * MiB);
    }
    free(h);
    umfMemoryProviderDestroy(prov);

    const char *ppath = path_in(dir_tmp, "grow_private");
    prov = file_create(ppath, UMF_MEM_MAP_PRIVATE);
    char *p = ph_alloc(prov, 8 * MiB, 0);
    memset(p, 'x', 8 * MiB);
    ck_assert_int_ge(ph_file_size(ppath), (long long)(8 * MiB));
    ck_assert_int_eq(ph_file_blocks(ppath), 0);
    ph_free(prov, p, 8 * MiB);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Freed ranges are reused: the file does not grow with alloc/free pairs. */
START_TEST(reuse) {
    const char *path = path_in(dir_shm, "reuse");
    umf_memory_provider_handle_t prov = file_create(path, UMF_MEM_MAP_SHARED);
    void *a = ph_alloc(prov, 64 * KiB, 0);
    ph_free(prov, a, 64 * KiB);
    void *b = ph_alloc(prov, 64 * KiB, 0);
    ck_assert_ptr_eq(a, b);
    ph_free(prov, b, 64 * KiB);
    long long size = ph_file_size(path);
    size_t maps = ph_maps_are_ours() ? ph_mapped_bytes() : 0;
    for (int i = 0; i < 3000; i++) {
        size_t sz = (size_t)(i % 16 + 1) * 4 * KiB;
        void *p = ph_alloc(prov, sz, 0);
        ph_free(prov, p, sz);
    }
    ck_assert_int_eq(ph_file_size(path), size);
    if (ph_maps_are_ours()) {
        ck_assert_uint_eq(ph_mapped_bytes(), maps);
    }
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Many threads at once: no two live allocations overlap. */
typedef struct thread_arg_t {
    umf_memory_provider_handle_t prov;
    unsigned seed;
    int failures;
} thread_arg_t;

static void *alloc_thread(void *arg) {
    thread_arg_t *t = arg;
    for (int round = 0; round < 50; round++) {
        void *ptrs[8];
        size_t sizes[8];
        for (int i = 0; i < 8; i++) {
            sizes[i] = (size_t)((t->seed + (unsigned)i) % 4 + 1) * 8 * KiB;
            if (umfMemoryProviderAlloc(t->prov, sizes[i], 0, &ptrs[i]) !=
                UMF_RESULT_SUCCESS) {
                t->failures++;
                return NULL;
            }
            umf_test_fill(ptrs[i], sizes[i], t->seed * 10 + (unsigned)i);
        }
        for (int i = 0; i < 8; i++) {
            t->failures +=
                !umf_test_verify(ptrs[i], sizes[i], t->seed * 10 + (unsigned)i);
            t->failures += umfMemoryProviderFree(t->prov, ptrs[i], sizes[i]) !=
                           UMF_RESULT_SUCCESS;
        }
    }
    return NULL;
}

START_TEST(threads) {
    umf_memory_provider_handle_t prov =
        file_create(path_in(dir_shm, "threads"), UMF_MEM_MAP_SHARED);
    thread_arg_t args[4];
    for (unsigned i = 0; i < 4; i++) {
        args[i] = (thread_arg_t){prov, i + 1, 0};
    }
    ck_assert_int_eq(
        umf_test_run_threads(4, alloc_thread, args, sizeof(args[0])), 0);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_int_eq(args[i].failures, 0);
    }
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* Destroy unmaps every window and closes the file. */
START_TEST(resources) {
    const char *path = path_in(dir_shm, "res");
    for (int i = 0; i < 2; i++) { /* warm up the metadata allocator */
        umf_memory_provider_handle_t prov =
            file_create(path, i % 2 ? UMF_MEM_MAP_SHARED : UMF_MEM_MAP_PRIVATE);
        for (int j = 0; j < 5; j++) {
            ph_alloc(prov, (size_t)(j + 1) * 64 * KiB, 0);
        }
        umfMemoryProviderDestroy(prov);
    }
    size_t fds = umf_test_count_fds();
    size_t maps = ph_maps_are_ours() ? ph_mapped_bytes() : 0;
    for (int i = 0; i < 100; i++) {
        umf_memory_provider_handle_t prov =
            file_create(path, i % 2 ? UMF_MEM_MAP_SHARED : UMF_MEM_MAP_PRIVATE);
        for (int j = 0; j < 5; j++) {
            ph_alloc(prov, (size_t)(j + 1) * 64 * KiB, 0); /* not freed */
        }
        umfMemoryProviderDestroy(prov);
    }
    ck_assert_uint_eq(umf_test_count_fds(), fds);
    if (ph_maps_are_ours()) {
        ck_assert_uint_eq(ph_mapped_bytes(), maps);
    }
}
END_TEST

/* ---------------------------------------------------------------------- */
/* purge, split, merge, protection                                         */
/* ---------------------------------------------------------------------- */

static void purge_case(const char *dir, umf_memory_visibility_t vis) {
    const char *path = path_in(dir, vis == UMF_MEM_MAP_SHARED ? "ps" : "pp");
    umf_memory_provider_handle_t prov = file_create(path, vis);
    size_t size = 4 * MiB;
    char *p = ph_alloc(prov, size, 0);
    memset(p, 0x55, size);
    if (vis == UMF_MEM_MAP_SHARED) {
        ck_assert_int_ge(ph_file_blocks(path), (long long)(size / 512));
    }
    long long before = ph_file_blocks(path);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, p, size),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, p + MiB, 2 * MiB),
                     UMF_RESULT_SUCCESS);
    /* the file's blocks are gone, and the range reads zeros */
    if (vis == UMF_MEM_MAP_SHARED) {
        ck_assert_int_le(ph_file_blocks(path),
                         before - (long long)(2 * MiB / 512));
    }
    ck_assert(umf_test_all_bytes(p + MiB, 2 * MiB, 0));
    ck_assert(umf_test_all_bytes(p, MiB, 0x55));
    ck_assert(umf_test_all_bytes(p + 3 * MiB, MiB, 0x55));
    /* and can be used again */
    memset(p + MiB, 0x66, 2 * MiB);
    ck_assert(umf_test_all_bytes(p + MiB, 2 * MiB, 0x66));
    ph_free(prov, p, size);
    umfMemoryProviderDestroy(prov);
}

START_TEST(purge_shared_tmpfs) { purge_case(dir_shm, UMF_MEM_MAP_SHARED); }
END_TEST

START_TEST(purge_shared_disk) { purge_case(dir_tmp, UMF_MEM_MAP_SHARED); }
END_TEST

START_TEST(purge_private) { purge_case(dir_shm, UMF_MEM_MAP_PRIVATE); }
END_TEST

START_TEST(split_merge) {
    umf_memory_provider_handle_t prov =
        file_create(path_in(dir_shm, "split"), UMF_MEM_MAP_SHARED);
    size_t ps = ph_page();
    char *p = ph_alloc(prov, 8 * ps, 0);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 8 * ps, 3 * ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 8 * ps, 3 * ps),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, p, p + 3 * ps, 8 * ps),
        UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemoryProviderAllocationSplit(prov, p, 8 * ps, 5 * ps),
                     UMF_RESULT_SUCCESS);
    /* the pieces are separate allocations now */
    ph_free(prov, p + 5 * ps, 3 * ps);
    ck_assert_int_eq(
        umfMemoryProviderAllocationMerge(prov, p, p + 5 * ps, 8 * ps),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ph_free(prov, p, 5 * ps);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(protection) {
    umf_memory_provider_handle_t ro =
        file_create_expect(path_in(dir_shm, "ro"), UMF_MEM_MAP_SHARED,
                           UMF_PROTECTION_READ, UMF_RESULT_SUCCESS);
    void *p = ph_alloc(ro, 4096, 0);
    ph_do_read(p);
    ck_assert(ph_child_dies_with(ph_do_write, p, SIGSEGV));
    ph_free(ro, p, 4096);
    umfMemoryProviderDestroy(ro);

    umf_memory_provider_handle_t none =
        file_create_expect(path_in(dir_shm, "none"), UMF_MEM_MAP_PRIVATE,
                           UMF_PROTECTION_NONE, UMF_RESULT_SUCCESS);
    p = ph_alloc(none, 4096, 0);
    ck_assert(ph_child_dies_with(ph_do_read, p, SIGSEGV));
    ph_free(none, p, 4096);
    umfMemoryProviderDestroy(none);

    /* NONE adds no access: NONE|READ maps read-only */
    umf_memory_provider_handle_t nr = file_create_expect(
        path_in(dir_shm, "none_read"), UMF_MEM_MAP_SHARED,
        UMF_PROTECTION_NONE | UMF_PROTECTION_READ, UMF_RESULT_SUCCESS);
    p = ph_alloc(nr, 4096, 0);
    ph_do_read(p);
    ck_assert(ph_child_dies_with(ph_do_write, p, SIGSEGV));
    ph_free(nr, p, 4096);
    umfMemoryProviderDestroy(nr);
}
END_TEST

START_TEST(pool_over_file) {
    umf_memory_provider_handle_t prov =
        file_create(path_in(dir_shm, "pool"), UMF_MEM_MAP_SHARED);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    void *ptrs[32];
    for (int i = 0; i < 32; i++) {
        ptrs[i] = umfPoolMalloc(pool, (size_t)(i + 1) * 1000);
        ck_assert_ptr_nonnull(ptrs[i]);
        memset(ptrs[i], i, (size_t)(i + 1) * 1000);
        ck_assert_ptr_eq(umfPoolByPtr(ptrs[i]), pool);
    }
    for (int i = 0; i < 32; i++) {
        ck_assert_int_eq(umfFree(ptrs[i]), UMF_RESULT_SUCCESS);
    }
    umfPoolDestroy(pool);
}
END_TEST
/* ---------------------------------------------------------------------- */
/* native errors                                                           */
/* ---------------------------------------------------------------------- */

START_TEST(native_errors) {
    umf_memory_provider_handle_t prov =
        file_create(path_in(dir_tmp, "errors"), UMF_MEM_MAP_SHARED);
    /* 3001: the file cannot grow (this test runs in its own process) */
    struct rlimit lim = {1 * MiB, 1 * MiB};
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4 * MiB, 0, &p),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_FILE_RESULT_ERROR_ALLOC_FAILED,
                     "memory allocation failed", EFBIG);
    /* and the provider still works within the limit */
    p = ph_alloc(prov, 64 * KiB, 0);
    /* 3003: purge of memory the provider does not have */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)4096, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_FILE_RESULT_ERROR_PURGE_FORCE_FAILED,
                     "force purging failed", EINVAL);
    /* 3002: unmapping what is not a mapping */
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(prov, (void *)1, 4096),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_FILE_RESULT_ERROR_FREE_FAILED,
                     "memory deallocation failed", EINVAL);
    ph_free(prov, p, 64 * KiB);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* FSDAX through the shim                                                  */
/* ---------------------------------------------------------------------- */

/* Without the shim, MAP_SYNC fails on tmpfs and disk alike: not DAX. */
START_TEST(fsdax_not_detected) {
    umf_test_shim_enable(0);
    const char *dirs[2] = {dir_shm, dir_tmp};
    for (int i = 0; i < 2; i++) {
        umf_memory_provider_handle_t prov =
            file_create(path_in(dirs[i], "nodax"), UMF_MEM_MAP_SHARED);
        size_t ps = 0;
        umfMemoryProviderGetRecommendedPageSize(prov, 0, &ps);
        ck_assert_uint_eq(ps, ph_page());
        umfMemoryProviderDestroy(prov);
    }
}
END_TEST

/* With the shim MAP_SYNC "works": the file is taken for FSDAX. */
START_TEST(fsdax_detected) {
    umf_test_shim_enable(1);
    unsigned long rewrites = umf_test_shim_rewrites();
    const char *path = path_in(dir_shm, "dax");
    umf_memory_provider_handle_t prov = file_create(path, UMF_MEM_MAP_SHARED);
    ck_assert_uint_gt(umf_test_shim_rewrites(), rewrites);
    size_t ps = 0;
    ck_assert_int_eq(umfMemoryProviderGetMinPageSize(prov, NULL, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, 2 * MiB);
    ck_assert_int_eq(umfMemoryProviderGetRecommendedPageSize(prov, 1, &ps),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(ps, 2 * MiB);

    /* every allocation is 2 MiB pages, 2 MiB aligned, mapped with MAP_SYNC */
    rewrites = umf_test_shim_rewrites();
    char *a = ph_alloc(prov, 100, 0);
    ck_assert_uint_eq((uintptr_t)a % (2 * MiB), 0);
    ck_assert_uint_gt(umf_test_shim_rewrites(), rewrites);
    char *b = ph_alloc(prov, 3 * MiB, 4 * MiB);
    ck_assert_uint_eq((uintptr_t)b % (4 * MiB), 0);
    memset(a, 1, 2 * MiB);
    memset(b, 2, 4 * MiB);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 4096 * 3, &p),
                     UMF_RESULT_ERROR_INVALID_ALIGNMENT);

    /* IPC: 2 MiB-aligned offsets */
    size_t hs = handle_size(prov);
    char *h = calloc(1, hs);
    ck_assert_int_eq(umfMemoryProviderGetIPCHandle(prov, b, 3 * MiB, h),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(handle_offset(h) % (2 * MiB), 0);
    umf_memory_provider_handle_t cons = file_create(path, UMF_MEM_MAP_SHARED);
    char *q = NULL;
    ck_assert_int_eq(umfMemoryProviderOpenIPCHandle(cons, h, (void **)&q),
                     UMF_RESULT_SUCCESS);
    ck_assert(umf_test_all_bytes(q, 3 * MiB, 2));
    ck_assert_int_eq(umfMemoryProviderCloseIPCHandle(cons, q, 3 * MiB),
                     UMF_RESULT_SUCCESS);
    /* purge */
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, a, 2 * MiB),
                     UMF_RESULT_SUCCESS);
    ck_assert(umf_test_all_bytes(a, 2 * MiB, 0));
    ph_free(prov, a, 100);
    ph_free(prov, b, 3 * MiB);
    free(h);
    umfMemoryProviderDestroy(cons);
    umfMemoryProviderDestroy(prov);

    /* a PRIVATE provider on FSDAX also uses 2 MiB pages */
    prov = file_create(path_in(dir_shm, "daxpriv"), UMF_MEM_MAP_PRIVATE);
    umfMemoryProviderGetMinPageSize(prov, NULL, &ps);
    ck_assert_uint_eq(ps, 2 * MiB);
    a = ph_alloc(prov, 1, 0);
    ck_assert_uint_eq((uintptr_t)a % (2 * MiB), 0);
    ph_free(prov, a, 1);
    umfMemoryProviderDestroy(prov);
}
END_TEST

static const char *shim_why;

static Suite *file_suite(bool shim) {
    Suite *s = suite_create("provider_file");
    TCase *tc = tcase_create("params");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, params);
    tcase_add_test(tc, params_path_copied);
    tcase_add_test(tc, create_paths);
    suite_add_tcase(s, tc);

    tc = tcase_create("alloc");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_private);
    tcase_add_test(tc, alloc_shared);
    tcase_add_test(tc, growth_and_file_content);
    tcase_add_test(tc, reuse);
    tcase_add_test(tc, threads);
    tcase_add_test(tc, resources);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("ops");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, purge_shared_tmpfs);
    tcase_add_test(tc, purge_shared_disk);
    tcase_add_test(tc, purge_private);
    tcase_add_test(tc, split_merge);
    tcase_add_test(tc, protection);
    tcase_add_test(tc, pool_over_file);
    tcase_add_test(tc, native_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("fsdax");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fsdax_not_detected);
    if (shim) {
        tcase_add_test(tc, fsdax_detected);
    } else {
        printf("note: FSDAX tests through the mmap shim not run: %s\n",
               shim_why);
    }
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv) {
    (void)argc;
    bool shim = umf_test_shim_load(argv, &shim_why);
    umf_test_shim_enable(0); /* only the FSDAX tests want it */
    if (access("/dev/shm", W_OK) != 0) {
        umf_test_skip("/dev/shm is not writable");
    }
    return umf_test_run_suite(file_suite(shim));
}
