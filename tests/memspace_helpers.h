/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memspace_helpers.h -- helpers of the memspace, mempolicy and memspace
 * configuration tests (static functions: each program includes this once).
 *
 * The fake topologies in tests/data (built with hwloc_topology_set_synthetic,
 * hwloc_memattr_set_value and hwloc_topology_export_xml):
 *
 * numa4_hmat.xml: 2 packages (PUs 0-1, 2-3), each with a DDR-like and an
 * HBM-like node; OS indexes differ from logical ones:
 *   logical  OS  package  capacity  bandwidth (MiB/s) / latency (ns)
 *   L#0      2   0        16 GiB    pkg0 100000/100, pkg1 50000/200
 *   L#1      5   0         4 GiB    pkg0 400000/150
 *   L#2      0   1        32 GiB    pkg1 100000/110, pkg0 50000/200
 *   L#3      1   1         8 GiB    pkg1 400000/160
 * so host-all = 0 1 2 5, highest-capacity = 0 2 1 5, highest-bandwidth =
 * 1 5 (node 0's and 1's CPUs reach 1 best, 2's and 5's reach 5), and
 * lowest-latency = 0 2.
 *
 * numa3_nohmat.xml: 3 packages with one node each, no bandwidth or latency
 * values: node 0 2 GiB, node 1 8 GiB, node 2 4 GiB, so highest-capacity =
 * 1 2 0 and the bandwidth and latency spaces do not exist. */
#ifndef UMF_TEST_MEMSPACE_HELPERS_H
#define UMF_TEST_MEMSPACE_HELPERS_H 1

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <umf.h>
#include <umf/memspace.h>
#include <umf/memtarget.h>

#include "test_helpers.h"

#define MH_UNUSED __attribute__((unused))

#define GiB ((size_t)1 << 30)

#ifndef UMF_TEST_DATADIR
#error "UMF_TEST_DATADIR must name tests/data"
#endif
#define FAKE4 UMF_TEST_DATADIR "/numa4_hmat.xml"
#define FAKE3 UMF_TEST_DATADIR "/numa3_nohmat.xml"

/* Switch the process to a topology: xml, or this machine for NULL. The
 * library's topology and predefined spaces are per process and rebuilt
 * after teardown, so drop the constructor's reference (teardown), change
 * the environment and take it again. Every handle from before is stale. */
static MH_UNUSED void mh_use_topology(const char *xml) {
    umfTearDown();
    unsetenv("HWLOC_SYNTHETIC");
    unsetenv("HWLOC_COMPONENTS");
    unsetenv("HWLOC_THISSYSTEM");
    if (xml) {
        ck_assert_int_eq(setenv("HWLOC_XMLFILE", xml, 1), 0);
    } else {
        unsetenv("HWLOC_XMLFILE");
    }
    ck_assert_int_eq(umfInit(), 0);
}

/* The ids of ms, in order, into ids (at most max); returns how many. */
static MH_UNUSED size_t mh_ids(umf_const_memspace_handle_t ms, unsigned *ids,
                               size_t max) {
    size_t n = umfMemspaceMemtargetNum(ms);
    for (size_t i = 0; i < n && i < max; i++) {
        umf_const_memtarget_handle_t t =
            umfMemspaceMemtargetGet(ms, (unsigned)i);
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(umfMemtargetGetId(t, &ids[i]), UMF_RESULT_SUCCESS);
    }
    return n;
}

/* ms must hold exactly want[0..n), in that order. */
static MH_UNUSED void mh_expect_ids(umf_const_memspace_handle_t ms,
                                    const unsigned *want, size_t n) {
    unsigned got[64];
    ck_assert_ptr_nonnull(ms);
    size_t m = mh_ids(ms, got, 64);
    char g[256] = "", w[256] = "";
    for (size_t i = 0; i < m && i < 64; i++) {
        snprintf(g + strlen(g), sizeof(g) - strlen(g), " %u", got[i]);
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(w + strlen(w), sizeof(w) - strlen(w), " %u", want[i]);
    }
    ck_assert_msg(m == n && memcmp(got, want, n * sizeof(*want)) == 0,
                  "memory space holds [%s ], want [%s ]", g, w);
}

#define MH_EXPECT_IDS(ms, ...)                                                 \
    do {                                                                       \
        const unsigned mh_want_[] = {__VA_ARGS__};                             \
        mh_expect_ids((ms), mh_want_, sizeof(mh_want_) / sizeof(mh_want_[0])); \
    } while (0)

/* The capacity of the target with id in ms (which must hold it). */
static MH_UNUSED size_t mh_capacity_of(umf_const_memspace_handle_t ms,
                                       unsigned id) {
    size_t n = umfMemspaceMemtargetNum(ms);
    for (size_t i = 0; i < n; i++) {
        umf_const_memtarget_handle_t t =
            umfMemspaceMemtargetGet(ms, (unsigned)i);
        unsigned tid;
        ck_assert_int_eq(umfMemtargetGetId(t, &tid), UMF_RESULT_SUCCESS);
        if (tid == id) {
            size_t cap = 0;
            ck_assert_int_eq(umfMemtargetGetCapacity(t, &cap),
                             UMF_RESULT_SUCCESS);
            return cap;
        }
    }
    ck_abort_msg("node %u is not in the memory space", id);
    return 0;
}

/* A user memory space of the given nodes (which must exist). */
static MH_UNUSED umf_memspace_handle_t mh_space(const unsigned *ids, size_t n) {
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray((unsigned *)ids, n, &ms),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(ms);
    return ms;
}

#endif /* UMF_TEST_MEMSPACE_HELPERS_H */
