/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_memspace_config.c -- white-box: the NUMA configuration that
 * umfMemoryProviderCreateFromMemspace hands the OS provider for every
 * predefined space and policy on the fake topologies of tests/data
 * (reference-facts 2.17), and the one-topology-per-process guarantees
 * (teardown, fork). Links lib/libumf_internal.la. */
#include "memspace_helpers.h"

#include <sys/wait.h>
#include <unistd.h>

#include <umf/mempolicy.h>
#include <umf/providers/provider_os_memory.h>

#include "config.h"
#include "topology/memspace_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"

#if UMF_HAVE_HWLOC

static umf_mempolicy_handle_t policy(umf_mempolicy_membind_t type) {
    umf_mempolicy_handle_t p = NULL;
    ck_assert_int_eq(umfMempolicyCreate(type, &p), UMF_RESULT_SUCCESS);
    return p;
}

/* cfg must be mode over want[0..n) (NULL/0: no list). */
static void expect_config(const memspace_os_config_t *cfg, umf_numa_mode_t mode,
                          const unsigned *want, unsigned n) {
    ck_assert_int_eq(cfg->mode, mode);
    ck_assert_uint_eq(cfg->num_nodes, n);
    if (n == 0) {
        ck_assert_ptr_null(cfg->nodes);
    }
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(cfg->nodes[i], want[i]);
    }
}

static void config_of(umf_const_memspace_handle_t ms,
                      umf_const_mempolicy_handle_t pol,
                      memspace_os_config_t *cfg) {
    ck_assert_ptr_nonnull(ms);
    ck_assert_int_eq(memspace_os_config(ms, pol, cfg), UMF_RESULT_SUCCESS);
}

#define EXPECT_CONFIG(cfg, mode, ...)                                          \
    do {                                                                       \
        const unsigned want_[] = {__VA_ARGS__};                                \
        expect_config((cfg), (mode), want_,                                    \
                      (unsigned)(sizeof(want_) / sizeof(want_[0])));           \
    } while (0)

/* No policy: host-all gives DEFAULT with no list, highest-capacity binds
 * to its first node, any other space binds to all its nodes. */
START_TEST(no_policy) {
    mh_use_topology(FAKE4);
    memspace_os_config_t cfg;
    config_of(umfMemspaceHostAllGet(), NULL, &cfg);
    expect_config(&cfg, UMF_NUMA_MODE_DEFAULT, NULL, 0);
    memspace_os_config_fini(&cfg);

    config_of(umfMemspaceHighestCapacityGet(), NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 0); /* 32 GiB */
    memspace_os_config_fini(&cfg);

    config_of(umfMemspaceHighestBandwidthGet(), NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 1, 5);
    memspace_os_config_fini(&cfg);

    config_of(umfMemspaceLowestLatencyGet(), NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 0, 2);
    memspace_os_config_fini(&cfg);

    /* a clone of host-all is a user space: BIND to all */
    umf_memspace_handle_t c = NULL;
    ck_assert_int_eq(umfMemspaceClone(umfMemspaceHostAllGet(), &c),
                     UMF_RESULT_SUCCESS);
    config_of(c, NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 0, 1, 2, 5);
    memspace_os_config_fini(&cfg);
    umfMemspaceDestroy(c);

    unsigned ids[2] = {5, 2};
    umf_memspace_handle_t ms = mh_space(ids, 2);
    config_of(ms, NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 5, 2);
    memspace_os_config_fini(&cfg);
    umfMemspaceDestroy(ms);

    /* the other fixture: highest-capacity is 1 2 0 */
    mh_use_topology(FAKE3);
    config_of(umfMemspaceHighestCapacityGet(), NULL, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_BIND, 1);
    memspace_os_config_fini(&cfg);
    config_of(umfMemspaceHostAllGet(), NULL, &cfg);
    expect_config(&cfg, UMF_NUMA_MODE_DEFAULT, NULL, 0);
    memspace_os_config_fini(&cfg);
}
END_TEST

/* With a policy: its mode over every node of the space, whatever space. */
START_TEST(with_policy) {
    mh_use_topology(FAKE4);
    static const struct {
        umf_mempolicy_membind_t type;
        umf_numa_mode_t mode;
    } map[4] = {{UMF_MEMPOLICY_BIND, UMF_NUMA_MODE_BIND},
                {UMF_MEMPOLICY_PREFERRED, UMF_NUMA_MODE_PREFERRED},
                {UMF_MEMPOLICY_INTERLEAVE, UMF_NUMA_MODE_INTERLEAVE},
                {UMF_MEMPOLICY_SPLIT, UMF_NUMA_MODE_SPLIT}};
    umf_const_memspace_handle_t sp[4] = {
        umfMemspaceHostAllGet(), umfMemspaceHighestCapacityGet(),
        umfMemspaceHighestBandwidthGet(), umfMemspaceLowestLatencyGet()};
    for (int p = 0; p < 4; p++) {
        umf_mempolicy_handle_t pol = policy(map[p].type);
        for (int s = 0; s < 4; s++) {
            unsigned want[8];
            size_t n = mh_ids(sp[s], want, 8);
            memspace_os_config_t cfg;
            config_of(sp[s], pol, &cfg);
            expect_config(&cfg, map[p].mode, want, (unsigned)n);
            ck_assert_uint_eq(cfg.part_size, 0);
            ck_assert_uint_eq(cfg.num_parts, 0); /* SPLIT: an even split */
            ck_assert_ptr_null(cfg.parts);
            memspace_os_config_fini(&cfg);
        }
        umfMempolicyDestroy(pol);
    }
}
END_TEST

START_TEST(interleave_part_size) {
    mh_use_topology(FAKE4);
    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_INTERLEAVE);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(pol, 12345),
                     UMF_RESULT_SUCCESS);
    memspace_os_config_t cfg;
    config_of(umfMemspaceHighestBandwidthGet(), pol, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_INTERLEAVE, 1, 5);
    ck_assert_uint_eq(cfg.part_size, 12345); /* the provider rounds it */
    memspace_os_config_fini(&cfg);
    umfMempolicyDestroy(pol);
}
END_TEST

START_TEST(split_partitions) {
    mh_use_topology(FAKE4);
    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_SPLIT);
    umf_mempolicy_split_partition_t parts[3] = {{3, 5}, {1, 0}, {2, 5}};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, parts, 3),
                     UMF_RESULT_SUCCESS);
    memspace_os_config_t cfg;
    config_of(umfMemspaceHostAllGet(), pol, &cfg);
    EXPECT_CONFIG(&cfg, UMF_NUMA_MODE_SPLIT, 0, 1, 2, 5);
    ck_assert_uint_eq(cfg.num_parts, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(cfg.parts[i].weight, parts[i].weight);
        ck_assert_uint_eq(cfg.parts[i].target, parts[i].target);
    }
    memspace_os_config_fini(&cfg);
    ck_assert_ptr_null(cfg.parts);

    /* node 0 is not in highest-bandwidth (1 5) */
    ck_assert_int_eq(
        memspace_os_config(umfMemspaceHighestBandwidthGet(), pol, &cfg),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(cfg.nodes); /* nothing to release */
    ck_assert_ptr_null(cfg.parts);
    umfMempolicyDestroy(pol);
}
END_TEST

START_TEST(empty_space) {
    mh_use_topology(FAKE4);
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceNew(&ms), UMF_RESULT_SUCCESS);
    memspace_os_config_t cfg;
    ck_assert_int_eq(memspace_os_config(ms, NULL, &cfg),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemspaceDestroy(ms);
}
END_TEST

/* No metadata is left behind by spaces, policies and configurations once
 * they are destroyed, nor by the predefined spaces after teardown. */
START_TEST(no_metadata_leak) {
    mh_use_topology(FAKE4);
    (void)umfMemspaceHostAllGet(); /* built once, before counting */
    size_t before = umf_ba_live_count();
    for (int i = 0; i < 10; i++) {
        umf_memspace_handle_t ms = NULL;
        ck_assert_int_eq(umfMemspaceClone(umfMemspaceHostAllGet(), &ms),
                         UMF_RESULT_SUCCESS);
        ck_assert_int_eq(
            umfMemspaceMemtargetRemove(ms, umfMemspaceMemtargetGet(ms, 1)),
            UMF_RESULT_SUCCESS);
        unsigned keep[2] = {0, 5};
        ck_assert_int_eq(umfMemspaceFilterById(ms, keep, 2),
                         UMF_RESULT_SUCCESS);
        umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_SPLIT);
        umf_mempolicy_split_partition_t part = {1, 5};
        ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, &part, 1),
                         UMF_RESULT_SUCCESS);
        memspace_os_config_t cfg;
        config_of(ms, pol, &cfg);
        memspace_os_config_fini(&cfg);
        umfMempolicyDestroy(pol);
        umfMemspaceDestroy(ms);
    }
    ck_assert_uint_eq(umf_ba_live_count(), before);
}
END_TEST

/* Teardown frees the predefined spaces. */
START_TEST(predefined_freed_at_teardown) {
    mh_use_topology(FAKE4);
    size_t fresh = umf_ba_live_count();
    ck_assert_ptr_nonnull(umfMemspaceHostAllGet());
    ck_assert_ptr_nonnull(umfMemspaceHighestCapacityGet());
    ck_assert_ptr_nonnull(umfMemspaceHighestBandwidthGet());
    ck_assert_ptr_nonnull(umfMemspaceLowestLatencyGet());
    ck_assert_uint_gt(umf_ba_live_count(), fresh);
    mh_use_topology(FAKE4);
    ck_assert_uint_eq(umf_ba_live_count(), fresh);
}
END_TEST

/* One topology per process: the predefined spaces share it; teardown
 * frees it and the spaces; a forked child inherits it without a second
 * discovery. */
START_TEST(one_topology) {
    mh_use_topology(FAKE4);
    ck_assert_ptr_nonnull(umfMemspaceHostAllGet());
    struct hwloc_topology *t = umf_topology_get();
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_eq(umf_topology_get(), t);

    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* a new load would find nothing here */
        setenv("HWLOC_XMLFILE", "/nonexistent.xml", 1);
        _exit(umf_topology_get() == t && umf_topology_numa_count() == 4 ? 0
                                                                        : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* The new topology helpers. */
START_TEST(topology_helpers) {
    mh_use_topology(FAKE4);
    unsigned *ids = NULL;
    size_t n = 0;
    ck_assert_int_eq(umf_topology_numa_ids(&ids, &n), 0);
    ck_assert_uint_eq(n, 4);
    unsigned want[4] = {0, 1, 2, 5};
    ck_assert_mem_eq(ids, want, sizeof(want));
    umf_ba_free(ids);

    uint64_t cap = 0;
    ck_assert_int_eq(umf_topology_numa_capacity(2, &cap), 0);
    ck_assert_uint_eq(cap, 16 * GiB);
    ck_assert_int_eq(umf_topology_numa_capacity(3, &cap), EINVAL);

    unsigned best = 0;
    uint64_t v = 0;
    ck_assert_int_eq(umf_topology_numa_best_target(
                         UMF_TOPOLOGY_MEMATTR_BANDWIDTH, 2, &best, &v),
                     0);
    ck_assert_uint_eq(best, 5);
    ck_assert_uint_eq(v, 400000);
    ck_assert_int_eq(umf_topology_numa_best_target(UMF_TOPOLOGY_MEMATTR_LATENCY,
                                                   1, &best, &v),
                     0);
    ck_assert_uint_eq(best, 0);
    ck_assert_uint_eq(v, 110);
    ck_assert_int_eq(umf_topology_numa_best_target(UMF_TOPOLOGY_MEMATTR_LATENCY,
                                                   4, &best, &v),
                     EINVAL);

    mh_use_topology(FAKE3);
    ck_assert_int_eq(umf_topology_numa_best_target(
                         UMF_TOPOLOGY_MEMATTR_BANDWIDTH, 0, &best, NULL),
                     ENOENT);
}
END_TEST
#endif /* UMF_HAVE_HWLOC */

int main(void) {
#if !UMF_HAVE_HWLOC
    umf_test_skip("libumf is built without hwloc: no topology to configure "
                  "providers from");
#else
    Suite *s = suite_create("memspace_config");
    TCase *tc = tcase_create("provider_config");
    tcase_add_test(tc, no_policy);
    tcase_add_test(tc, with_policy);
    tcase_add_test(tc, interleave_part_size);
    tcase_add_test(tc, split_partitions);
    tcase_add_test(tc, empty_space);
    tcase_add_test(tc, no_metadata_leak);
    tcase_add_test(tc, predefined_freed_at_teardown);
    suite_add_tcase(s, tc);
    tc = tcase_create("topology");
    tcase_add_test(tc, one_topology);
    tcase_add_test(tc, topology_helpers);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
#endif
}
