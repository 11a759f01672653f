/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_providers.c -- provider alloc+free against the bare system calls
 *
 * One alloc+free pair of 4 KiB, 64 KiB and 2 MiB, measured for:
 * - mmap/munmap of private anonymous memory, against the OS provider with
 *   UMF_MEM_MAP_PRIVATE (umfMemoryProviderAlloc/Free);
 * - mmap/munmap of a memfd range with MAP_SHARED, and the same plus the
 *   fallocate(PUNCH_HOLE) that gives the pages back, against the OS
 *   provider with UMF_MEM_MAP_SHARED (memfd), which does all three plus its
 *   offset bookkeeping;
 * - mmap/munmap of a range of a /dev/shm (tmpfs) file with MAP_SHARED,
 *   against the file provider on a /dev/shm file with UMF_MEM_MAP_SHARED,
 *   which reuses freed ranges and so makes no system call in the loop.
 * The memory is never touched, so only the allocators' own work is timed
 * (the worst case for their relative overhead). The target is that a
 * provider adds at most 20% to the bare system calls: ratio <= 1.20. The
 * figures are printed, never judged: the exit status only says whether
 * every benchmark ran.
 *
 * Build and run from a configured build directory B of the source tree S
 * (the lead wires it into bench/local.mk as `make bench` does bench_core):
 *   cc -O2 -I S/include -I S/bench S/bench/bench_providers.c \
 *      S/bench/bench_harness.c -L B/lib/.libs -lumf -lpthread \
 *      -o bench_providers
 *   LD_LIBRARY_PATH=B/lib/.libs ./bench_providers
 * UMF_BENCH_REPS and UMF_BENCH_MS tune the run (bench/bench_harness.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <umf.h>
#include <umf/memory_provider.h>
#include <umf/providers/provider_file_memory.h>
#include <umf/providers/provider_os_memory.h>

#include "bench_harness.h"

#define TARGET_RATIO 1.20

static int failures;

static void bench_failed(const char *what) {
    fprintf(stderr, "bench_providers: %s\n", what);
    __atomic_store_n(&failures, 1, __ATOMIC_RELAXED);
}

typedef struct sys_arg_t {
    size_t size;
    int fd;     /* -1: anonymous private */
    bool punch; /* also give the pages back, as the shared provider does */
} sys_arg_t;

static void sys_pairs(void *arg, unsigned thread, size_t iters) {
    (void)thread;
    const sys_arg_t *a = arg;
    int flags = a->fd < 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED;
    for (size_t i = 0; i < iters; i++) {
        void *p = mmap(NULL, a->size, PROT_READ | PROT_WRITE, flags, a->fd, 0);
        if (p == MAP_FAILED) {
            bench_failed("mmap failed");
            return;
        }
        munmap(p, a->size);
        if (a->punch) {
            fallocate(a->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                      (off_t)a->size);
        }
    }
}

typedef struct prov_arg_t {
    umf_memory_provider_handle_t prov;
    size_t size;
} prov_arg_t;

static void provider_pairs(void *arg, unsigned thread, size_t iters) {
    (void)thread;
    const prov_arg_t *a = arg;
    for (size_t i = 0; i < iters; i++) {
        void *p = NULL;
        if (umfMemoryProviderAlloc(a->prov, a->size, 0, &p) !=
            UMF_RESULT_SUCCESS) {
            bench_failed("umfMemoryProviderAlloc failed");
            return;
        }
        umfMemoryProviderFree(a->prov, p, a->size);
    }
}

static umf_memory_provider_handle_t os_provider(umf_memory_visibility_t vis) {
    umf_os_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfOsMemoryProviderParamsCreate(&p) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfOsMemoryProviderParamsSetVisibility(p, vis);
    if (umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov) !=
        UMF_RESULT_SUCCESS) {
        prov = NULL;
    }
    umfOsMemoryProviderParamsDestroy(p);
    return prov;
}

static umf_memory_provider_handle_t file_provider(const char *path) {
    umf_file_memory_provider_params_handle_t p = NULL;
    umf_memory_provider_handle_t prov = NULL;
    if (umfFileMemoryProviderParamsCreate(&p, path) != UMF_RESULT_SUCCESS) {
        return NULL;
    }
    umfFileMemoryProviderParamsSetVisibility(p, UMF_MEM_MAP_SHARED);
    if (umfMemoryProviderCreate(umfFileMemoryProviderOps(), p, &prov) !=
        UMF_RESULT_SUCCESS) {
        prov = NULL;
    }
    umfFileMemoryProviderParamsDestroy(p);
    return prov;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The two are timed in turns, PAIRED_ROUNDS times PAIRED_ITERS operations
 * each, the order swapped every round; the median of the per-round ratios
 * cancels the drift of a loaded machine, which the separate medians of the
 * table do not. */
#define PAIRED_ROUNDS 41
#define PAIRED_ITERS 200

static double paired_ratio(bench_fn_t test, void *targ, bench_fn_t base,
                           void *barg) {
    double r[PAIRED_ROUNDS];
    for (int i = 0; i < PAIRED_ROUNDS; i++) {
        double t0 = now_ns();
        if (i % 2) {
            base(barg, 0, PAIRED_ITERS);
        } else {
            test(targ, 0, PAIRED_ITERS);
        }
        double t1 = now_ns();
        if (i % 2) {
            test(targ, 0, PAIRED_ITERS);
        } else {
            base(barg, 0, PAIRED_ITERS);
        }
        double t2 = now_ns();
        r[i] = i % 2 ? (t2 - t1) / (t1 - t0) : (t1 - t0) / (t2 - t1);
    }
    qsort(r, PAIRED_ROUNDS, sizeof(r[0]), cmp_double);
    return r[PAIRED_ROUNDS / 2];
}

/* One provider against one baseline; notes whether the target is met. */
static void compare(const char *name, int idx, int base, bench_fn_t test,
                    void *targ, bench_fn_t basefn, void *barg) {
    if (idx < 0 || base < 0) {
        return;
    }
    bench_compare(idx, base, BENCH_RATIO_TIME);
    double r = paired_ratio(test, targ, basefn, barg);
    bench_note("%s: %.2fx the bare system calls, paired (target <= %.2fx): "
               "%s",
               name, r, TARGET_RATIO, r <= TARGET_RATIO ? "met" : "NOT met");
}

int main(void) {
    if (bench_init() != 0) {
        return 2;
    }
    static const size_t sizes[] = {4096, 64 * 1024, 2 * 1024 * 1024};
    static const char *const names[] = {"4 KiB", "64 KiB", "2 MiB"};

    int memfd = (int)syscall(SYS_memfd_create, "bench", 0u);
    char shm_path[64];
    snprintf(shm_path, sizeof(shm_path), "/dev/shm/umf_bench_%d",
             (int)getpid());
    int shmfd = open(shm_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (memfd < 0 || shmfd < 0 || ftruncate(memfd, 4 << 20) != 0 ||
        ftruncate(shmfd, 4 << 20) != 0) {
        perror("bench_providers: memfd or /dev/shm file");
        return 1;
    }
    char file_path[64];
    snprintf(file_path, sizeof(file_path), "/dev/shm/umf_bench_prov_%d",
             (int)getpid());

    umf_memory_provider_handle_t os_priv = os_provider(UMF_MEM_MAP_PRIVATE);
    umf_memory_provider_handle_t os_shared = os_provider(UMF_MEM_MAP_SHARED);
    umf_memory_provider_handle_t file = file_provider(file_path);
    if (!os_priv || !os_shared || !file) {
        bench_failed("creating the providers failed");
    }

    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        char title[96], name[128];
        snprintf(title, sizeof(title), "alloc+free of %s (memory untouched)",
                 names[s]);
        bench_section(title);
        size_t size = sizes[s];

        sys_arg_t anon = {size, -1, false};
        int base_priv =
            bench_run("mmap/munmap private anonymous", sys_pairs, &anon, 1);
        if (os_priv) {
            prov_arg_t a = {os_priv, size};
            snprintf(name, sizeof(name), "OS provider, private");
            int idx = bench_run(name, provider_pairs, &a, 1);
            compare("OS private", idx, base_priv, provider_pairs, &a, sys_pairs,
                    &anon);
        }

        sys_arg_t shared = {size, memfd, false};
        int base_shared = bench_run("mmap/munmap MAP_SHARED of a memfd",
                                    sys_pairs, &shared, 1);
        sys_arg_t shared_punch = {size, memfd, true};
        int base_punch = bench_run("mmap/munmap + punch hole, memfd", sys_pairs,
                                   &shared_punch, 1);
        if (os_shared) {
            prov_arg_t a = {os_shared, size};
            int idx =
                bench_run("OS provider, shared (memfd)", provider_pairs, &a, 1);
            compare("OS shared vs mmap/munmap", idx, base_shared,
                    provider_pairs, &a, sys_pairs, &shared);
            compare("OS shared vs mmap/munmap+punch", idx, base_punch,
                    provider_pairs, &a, sys_pairs, &shared_punch);
        }

        sys_arg_t tmpfs = {size, shmfd, false};
        int base_file = bench_run("mmap/munmap MAP_SHARED of a /dev/shm file",
                                  sys_pairs, &tmpfs, 1);
        if (file) {
            prov_arg_t a = {file, size};
            int idx = bench_run("file provider, shared, /dev/shm",
                                provider_pairs, &a, 1);
            compare("file on tmpfs", idx, base_file, provider_pairs, &a,
                    sys_pairs, &tmpfs);
        }
    }
    bench_print_table();

    umfMemoryProviderDestroy(os_priv);
    umfMemoryProviderDestroy(os_shared);
    umfMemoryProviderDestroy(file);
    close(memfd);
    close(shmfd);
    unlink(shm_path);
    unlink(file_path);
    return failures ? 1 : 0;
}
