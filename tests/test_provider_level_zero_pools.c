/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_level_zero_pools.c -- the pool behaviour suite
 * (tests/common/pool_suite.h) with the disjoint, scalable and jemalloc
 * pools on Level Zero host, shared and device memory (the fake driver's
 * device memory is host memory, so the suite can touch it). */
#include "level_zero_helpers.h"

#include <umf/pools/pool_disjoint.h>
#include <umf/pools/pool_jemalloc.h>
#include <umf/pools/pool_scalable.h>

#include <sys/wait.h>
#include <unistd.h>

#include "pool_params.h"
#include "pool_suite.h"
#include "test_helpers.h"

static umf_memory_provider_handle_t host_create(void **ctx) {
    *ctx = NULL;
    return lz_provider_try(UMF_MEMORY_TYPE_HOST);
}

static umf_memory_provider_handle_t shared_create(void **ctx) {
    *ctx = NULL;
    return lz_provider_try(UMF_MEMORY_TYPE_SHARED);
}

static umf_memory_provider_handle_t device_create(void **ctx) {
    *ctx = NULL;
    return lz_provider_try(UMF_MEMORY_TYPE_DEVICE);
}

/* as a GPU runtime sets it: 64 KiB slabs (the device page), up to 1 MiB
 * pooled */
static void *disjoint_params_create(void) {
    return pool_params_disjoint(65536, 1 << 20, 4, 64);
}

#define FULL (POOL_CAP_CALLOC | POOL_CAP_REALLOC | POOL_CAP_USABLE_SIZE)

#define ROWS(mem, create)                                                      \
    {.name = "disjoint_l0_" mem,                                               \
     .pool_ops = umfDisjointPoolOps,                                           \
     .pool_params_create = disjoint_params_create,                             \
     .pool_params_destroy = pool_params_disjoint_destroy,                      \
     .provider_create = create,                                                \
     .provider_destroy = pool_params_provider_destroy,                         \
     .caps = POOL_CAP_USABLE_SIZE},                                            \
        {.name = "scalable_l0_" mem,                                           \
         .pool_ops = umfScalablePoolOps,                                       \
         .pool_params_create = pool_params_scalable_create,                    \
         .pool_params_destroy = pool_params_scalable_destroy,                  \
         .provider_create = create,                                            \
         .provider_destroy = pool_params_provider_destroy,                     \
         .caps = FULL},                                                        \
    {                                                                          \
        .name = "jemalloc_l0_" mem, .pool_ops = umfJemallocPoolOps,            \
        .provider_create = create,                                             \
        .provider_destroy = pool_params_provider_destroy, .caps = FULL         \
    }

static const pool_suite_row_t rows[] = {
    ROWS("host", host_create),
    ROWS("shared", shared_create),
    ROWS("device", device_create),
};

int main(void) {
    lz_use_fake_driver();
    /* one probe in a child, so that this process never runs zeInit: each
     * test's fork makes its own loader state */
    pid_t pid = fork();
    if (pid == 0) {
        const char *why = lz_try_open();
        if (why) {
            printf("SKIP: %s\n", why);
        }
        fflush(stdout);
        _exit(why ? UMF_TEST_SKIP : 0);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return 1;
    }
    if (WEXITSTATUS(status) == UMF_TEST_SKIP) {
        return UMF_TEST_SKIP;
    }
    Suite *s = pool_suite_create(rows, sizeof(rows) / sizeof(rows[0]));
    return umf_test_run_suite(s);
}
