/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_memspace.c -- memory targets, memory spaces, and providers and pools
 * created from them.
 *
 * - api: invalid arguments of every function (no topology needed);
 * - real: this machine's topology (one node here): predefined spaces, ids
 *   and capacities against sysfs, and placement on node 0 checked with
 *   get_mempolicy(2) for each space and policy;
 * - fake: the topologies of tests/data (see memspace_helpers.h): selection
 *   of every predefined space, CreateFromNumaArray, add/remove, clone,
 *   filters, providers and pools from every space and policy (binding is
 *   skipped on a topology that is not this system, so allocation works);
 * - lifecycle: predefined spaces built once under concurrency, rebuilt
 *   after teardown, topology load failure.
 * The provider's NUMA configuration itself is checked white-box by
 * test_memspace_config. Without hwloc only api and the not-supported
 * contract run. */
#include "memspace_helpers.h"

#include <errno.h>
#include <linux/mempolicy.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/mempolicy.h>

#include "config.h" /* UMF_HAVE_HWLOC */

#define BAD(type) ((type)(uintptr_t)0xdeadbeef)

static MH_UNUSED umf_mempolicy_handle_t policy(umf_mempolicy_membind_t type) {
    umf_mempolicy_handle_t p = NULL;
    ck_assert_int_eq(umfMempolicyCreate(type, &p), UMF_RESULT_SUCCESS);
    return p;
}

/* ---------------------------------------------------------------------- */
/* api: invalid arguments                                                  */
/* ---------------------------------------------------------------------- */

static int keep_all(umf_const_memspace_handle_t ms,
                    umf_const_memtarget_handle_t t, void *args) {
    (void)ms;
    (void)t;
    (void)args;
    return 1;
}

START_TEST(api_null_arguments) {
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceNew(NULL), INV);
    ck_assert_int_eq(umfMemspaceNew(&ms), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(ms);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 0);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(NULL), 0);
    ck_assert_ptr_null(umfMemspaceMemtargetGet(NULL, 0));
    ck_assert_ptr_null(umfMemspaceMemtargetGet(ms, 0));
    ck_assert_ptr_null(umfMemspaceMemtargetGet(ms, UINT_MAX));

    ck_assert_int_eq(umfMemspaceMemtargetAdd(NULL, NULL), INV);
    ck_assert_int_eq(umfMemspaceMemtargetAdd(ms, NULL), INV);
    ck_assert_int_eq(umfMemspaceMemtargetRemove(NULL, NULL), INV);
    ck_assert_int_eq(umfMemspaceMemtargetRemove(ms, NULL), INV);

    umf_memspace_handle_t out = BAD(umf_memspace_handle_t);
    ck_assert_int_eq(umfMemspaceClone(NULL, &out), INV);
    ck_assert_ptr_eq(out, BAD(umf_memspace_handle_t)); /* untouched */
    ck_assert_int_eq(umfMemspaceClone(ms, NULL), INV);

    unsigned ids[2] = {0, 1};
    ck_assert_int_eq(umfMemspaceFilterById(NULL, ids, 2), INV);
    ck_assert_int_eq(umfMemspaceFilterById(ms, NULL, 2), INV);
    ck_assert_int_eq(umfMemspaceFilterById(ms, ids, 0), INV);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(NULL, 0), INV);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, -1), INV);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, INT64_MIN), INV);
    ck_assert_int_eq(umfMemspaceUserFilter(NULL, keep_all, NULL), INV);
    ck_assert_int_eq(umfMemspaceUserFilter(ms, NULL, NULL), INV);
    /* filters on an empty space succeed and leave it empty */
    ck_assert_int_eq(umfMemspaceFilterById(ms, ids, 2), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, 0), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemspaceUserFilter(ms, keep_all, NULL),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 0);

    out = BAD(umf_memspace_handle_t);
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(NULL, 1, &out), INV);
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(ids, 0, &out), INV);
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(ids, 1, NULL), INV);
    ck_assert_ptr_eq(out, BAD(umf_memspace_handle_t));

    umf_memory_provider_handle_t prov = NULL;
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(NULL, NULL, &prov),
                     INV);
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, NULL, NULL), INV);
    ck_assert_int_eq(umfPoolCreateFromMemspace(NULL, NULL, &pool), INV);
    ck_assert_int_eq(umfPoolCreateFromMemspace(ms, NULL, NULL), INV);
    /* an empty space backs nothing */
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, NULL, &prov), INV);
    ck_assert_ptr_null(prov);
    ck_assert_int_eq(umfPoolCreateFromMemspace(ms, NULL, &pool), INV);
    ck_assert_ptr_null(pool);

    umf_memtarget_type_t type;
    size_t cap;
    unsigned id;
    ck_assert_int_eq(umfMemtargetGetType(NULL, &type), INV);
    ck_assert_int_eq(umfMemtargetGetCapacity(NULL, &cap), INV);
    ck_assert_int_eq(umfMemtargetGetId(NULL, &id), INV);

    /* a clone of an empty space is empty and independent */
    umf_memspace_handle_t c = NULL;
    ck_assert_int_eq(umfMemspaceClone(ms, &c), UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_ne(c, ms);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(c), 0);
    umfMemspaceDestroy(c);
    umfMemspaceDestroy(ms);
    umfMemspaceDestroy(NULL);
}
END_TEST

#if !UMF_HAVE_HWLOC
/* Built without hwloc: what needs the topology is not supported. */
START_TEST(api_without_hwloc) {
    ck_assert_ptr_null(umfMemspaceHostAllGet());
    ck_assert_ptr_null(umfMemspaceHighestCapacityGet());
    ck_assert_ptr_null(umfMemspaceHighestBandwidthGet());
    ck_assert_ptr_null(umfMemspaceLowestLatencyGet());
    unsigned ids[1] = {0};
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(ids, 1, &ms),
                     UMF_RESULT_ERROR_NOT_SUPPORTED);
    ck_assert_ptr_null(ms);
}
END_TEST
#else

/* ---------------------------------------------------------------------- */
/* real: this machine                                                      */
/* ---------------------------------------------------------------------- */

/* Online NUMA nodes from sysfs, ascending; returns how many. */
static unsigned sysfs_nodes(unsigned *ids, unsigned max) {
    FILE *f = fopen("/sys/devices/system/node/online", "r");
    unsigned n = 0;
    if (!f) {
        ids[0] = 0;
        return 1;
    }
    unsigned a, b;
    int c;
    while (fscanf(f, "%u", &a) == 1) {
        b = a;
        c = fgetc(f);
        if (c == '-') {
            if (fscanf(f, "%u", &b) != 1) {
                break;
            }
            c = fgetc(f);
        }
        for (unsigned i = a; i <= b && n < max; i++) {
            ids[n++] = i;
        }
        if (c != ',') {
            break;
        }
    }
    fclose(f);
    return n;
}

START_TEST(real_host_all) {
    mh_use_topology(NULL);
    unsigned sys[64];
    unsigned nsys = sysfs_nodes(sys, 64);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    ck_assert_ptr_nonnull(all);
    ck_assert_ptr_eq(umfMemspaceHostAllGet(), all); /* one instance */
    mh_expect_ids(all, sys, nsys);
    for (unsigned i = 0; i < nsys; i++) {
        umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(all, i);
        umf_memtarget_type_t type = UMF_MEMTARGET_TYPE_UNKNOWN;
        ck_assert_int_eq(umfMemtargetGetType(t, &type), UMF_RESULT_SUCCESS);
        ck_assert_int_eq(type, UMF_MEMTARGET_TYPE_NUMA);
        size_t cap = 0;
        ck_assert_int_eq(umfMemtargetGetCapacity(t, &cap), UMF_RESULT_SUCCESS);
        ck_assert_uint_gt(cap, 0); /* grows as memory is touched: no value */
        ck_assert_int_eq(umfMemtargetGetType(t, NULL),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
        ck_assert_int_eq(umfMemtargetGetCapacity(t, NULL),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
        ck_assert_int_eq(umfMemtargetGetId(t, NULL),
                         UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
    ck_assert_ptr_null(umfMemspaceMemtargetGet(all, nsys));
}
END_TEST

START_TEST(real_other_predefined) {
    mh_use_topology(NULL);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    umf_const_memspace_handle_t cap = umfMemspaceHighestCapacityGet();
    ck_assert_ptr_nonnull(cap);
    size_t n = umfMemspaceMemtargetNum(all);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(cap), n);
    unsigned ids[64];
    mh_ids(cap, ids, 64);
    for (size_t i = 1; i < n && i < 64; i++) {
        ck_assert_uint_ge(mh_capacity_of(cap, ids[i - 1]),
                          mh_capacity_of(cap, ids[i]));
    }
    /* no HMAT here (TESTING.md): NULL; elsewhere a subset of host-all */
    umf_const_memspace_handle_t sp[2] = {umfMemspaceHighestBandwidthGet(),
                                         umfMemspaceLowestLatencyGet()};
    for (int s = 0; s < 2; s++) {
        if (!sp[s]) {
            continue;
        }
        size_t m = mh_ids(sp[s], ids, 64);
        ck_assert_uint_ge(m, 1);
        ck_assert_uint_le(m, n);
        for (size_t i = 0; i < m && i < 64; i++) {
            (void)mh_capacity_of(all, ids[i]);
        }
    }
}
END_TEST

START_TEST(real_create_from_numa_array) {
    mh_use_topology(NULL);
    unsigned sys[64];
    unsigned nsys = sysfs_nodes(sys, 64);
    umf_memspace_handle_t ms = mh_space(sys, nsys);
    mh_expect_ids(ms, sys, nsys);
    umfMemspaceDestroy(ms);

    /* ids that do not exist are rejected (the reference accepts them) */
    unsigned bad[3] = {sys[0], 1023, sys[0]};
    ms = BAD(umf_memspace_handle_t);
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(bad, 2, &ms),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_eq(ms, BAD(umf_memspace_handle_t));
    unsigned huge[1] = {UINT_MAX};
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(huge, 1, &ms),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    /* and so are duplicates */
    bad[1] = sys[0];
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(bad, 2, &ms),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* The mode of the page at addr (flags masked off). */
static int mode_of(void *addr) {
    int mode = -1;
    unsigned long mask[16] = {0};
    long r =
        syscall(SYS_get_mempolicy, &mode, mask, 16 * 64 + 1, addr, MPOL_F_ADDR);
    ck_assert_msg(r == 0, "get_mempolicy: %s", strerror(errno));
    return mode & 0xff;
}

/* The node of the (touched) page at addr. */
static int node_of(void *addr) {
    int node = -1;
    long r = syscall(SYS_get_mempolicy, &node, NULL, 0, addr,
                     MPOL_F_NODE | MPOL_F_ADDR);
    ck_assert_msg(r == 0, "get_mempolicy(MPOL_F_NODE): %s", strerror(errno));
    return node;
}

/* Allocate 4 pages from a provider made of ms and pol, touch them, and
 * check the first page's mode and the node of every page. */
static void expect_placement(umf_const_memspace_handle_t ms,
                             umf_const_mempolicy_handle_t pol, int want_mode,
                             int want_node) {
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, pol, &prov),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(prov);
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "OS");
    size_t page = umf_test_page_size(), size = 4 * page;
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, size, 0, &p),
                     UMF_RESULT_SUCCESS);
    memset(p, 0xab, size);
    ck_assert_int_eq(mode_of(p), want_mode);
    for (size_t off = 0; want_node >= 0 && off < size; off += page) {
        ck_assert_int_eq(node_of((char *)p + off), want_node);
    }
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, size), UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
}

START_TEST(real_placement_predefined) {
    mh_use_topology(NULL);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    bool one = umfMemspaceMemtargetNum(all) == 1;
    unsigned first;
    ck_assert_int_eq(umfMemtargetGetId(umfMemspaceMemtargetGet(
                                           umfMemspaceHighestCapacityGet(), 0),
                                       &first),
                     UMF_RESULT_SUCCESS);
    /* host-all without a policy: the system default */
    expect_placement(all, NULL, MPOL_DEFAULT, one ? 0 : -1);
    /* highest-capacity without a policy: bound to its first node */
    expect_placement(umfMemspaceHighestCapacityGet(), NULL, MPOL_BIND,
                     (int)first);
    /* host-all with a policy: the policy over every node */
    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_BIND);
    expect_placement(all, pol, MPOL_BIND, one ? 0 : -1);
    umfMempolicyDestroy(pol);
}
END_TEST

START_TEST(real_placement_policies) {
    mh_use_topology(NULL);
    unsigned node0[1] = {0};
    umf_memspace_handle_t ms = mh_space(node0, 1);

    expect_placement(ms, NULL, MPOL_BIND, 0); /* a user space: BIND */

    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_BIND);
    expect_placement(ms, pol, MPOL_BIND, 0);
    umfMempolicyDestroy(pol);

    pol = policy(UMF_MEMPOLICY_PREFERRED);
    expect_placement(ms, pol, MPOL_PREFERRED, 0);
    umfMempolicyDestroy(pol);

    pol = policy(UMF_MEMPOLICY_INTERLEAVE);
    expect_placement(ms, pol, MPOL_INTERLEAVE, 0);
    /* with a part size each part prefers its node */
    ck_assert_int_eq(
        umfMempolicySetInterleavePartSize(pol, 2 * umf_test_page_size()),
        UMF_RESULT_SUCCESS);
    expect_placement(ms, pol, MPOL_PREFERRED, 0);
    umfMempolicyDestroy(pol);

    pol = policy(UMF_MEMPOLICY_SPLIT);
    expect_placement(ms, pol, MPOL_PREFERRED, 0);
    umf_mempolicy_split_partition_t parts[2] = {{3, 0}, {1, 0}};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, parts, 2),
                     UMF_RESULT_SUCCESS);
    expect_placement(ms, pol, MPOL_PREFERRED, 0);
    /* a partition naming a node outside the space */
    parts[1].target = 1023;
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, parts, 2),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, pol, &prov),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(prov);
    umfMempolicyDestroy(pol);

    /* neither the space nor the policy is needed once the provider exists */
    pol = policy(UMF_MEMPOLICY_BIND);
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, pol, &prov),
                     UMF_RESULT_SUCCESS);
    umfMempolicyDestroy(pol);
    umfMemspaceDestroy(ms);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, 4096, 0, &p),
                     UMF_RESULT_SUCCESS);
    memset(p, 1, 4096);
    ck_assert_int_eq(node_of(p), 0);
    ck_assert_int_eq(mode_of(p), MPOL_BIND);
    umfMemoryProviderFree(prov, p, 4096);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* umfPoolCreateFromMemspace: a disjoint pool over a provider it owns */
START_TEST(real_pool_from_memspace) {
    mh_use_topology(NULL);
    unsigned node0[1] = {0};
    umf_memspace_handle_t ms = mh_space(node0, 1);
    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_BIND);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreateFromMemspace(ms, pol, &pool),
                     UMF_RESULT_SUCCESS);
    ck_assert_ptr_nonnull(pool);
    umfMempolicyDestroy(pol);
    umfMemspaceDestroy(ms);

    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfPoolGetMemoryProvider(pool, &prov), UMF_RESULT_SUCCESS);
    ck_assert_str_eq(umfMemoryProviderGetName(prov), "OS");
    size_t sizes[3] = {24, 4096, 3 << 20};
    for (int i = 0; i < 3; i++) {
        char *p = umfPoolMalloc(pool, sizes[i]);
        ck_assert_ptr_nonnull(p);
        memset(p, i, sizes[i]);
        ck_assert_int_eq(node_of(p), 0);
        ck_assert_int_eq(mode_of(p), MPOL_BIND);
        ck_assert_ptr_eq(umfPoolByPtr(p), pool);
        ck_assert_int_eq(umfFree(p), UMF_RESULT_SUCCESS);
    }
    umfPoolDestroy(pool); /* destroys the provider too (valgrind: no leak) */

    /* host-all, no policy: the default policy */
    ck_assert_int_eq(
        umfPoolCreateFromMemspace(umfMemspaceHostAllGet(), NULL, &pool),
        UMF_RESULT_SUCCESS);
    void *p = umfPoolMalloc(pool, 100);
    ck_assert_ptr_nonnull(p);
    memset(p, 0, 100);
    ck_assert_int_eq(mode_of(p), MPOL_DEFAULT);
    umfPoolFree(pool, p);
    umfPoolDestroy(pool);

    /* a failure leaves nothing behind */
    unsigned bogus = 0;
    ms = mh_space(&bogus, 1);
    pol = policy(UMF_MEMPOLICY_SPLIT);
    umf_mempolicy_split_partition_t part = {1, 7};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, &part, 1),
                     UMF_RESULT_SUCCESS);
    pool = NULL;
    ck_assert_int_eq(umfPoolCreateFromMemspace(ms, pol, &pool),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(pool);
    umfMempolicyDestroy(pol);
    umfMemspaceDestroy(ms);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* fake topologies                                                         */
/* ---------------------------------------------------------------------- */

START_TEST(fake4_predefined) {
    mh_use_topology(FAKE4);
    MH_EXPECT_IDS(umfMemspaceHostAllGet(), 0, 1, 2, 5);
    MH_EXPECT_IDS(umfMemspaceHighestCapacityGet(), 0, 2, 1, 5);
    MH_EXPECT_IDS(umfMemspaceHighestBandwidthGet(), 1, 5);
    MH_EXPECT_IDS(umfMemspaceLowestLatencyGet(), 0, 2);
    /* capacities by OS index (logical L#0 is node 2) */
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    ck_assert_uint_eq(mh_capacity_of(all, 0), 32 * GiB);
    ck_assert_uint_eq(mh_capacity_of(all, 1), 8 * GiB);
    ck_assert_uint_eq(mh_capacity_of(all, 2), 16 * GiB);
    ck_assert_uint_eq(mh_capacity_of(all, 5), 4 * GiB);
    /* the same instances on every call */
    ck_assert_ptr_eq(umfMemspaceHighestBandwidthGet(),
                     umfMemspaceHighestBandwidthGet());
    ck_assert_ptr_eq(umfMemspaceLowestLatencyGet(),
                     umfMemspaceLowestLatencyGet());
}
END_TEST

START_TEST(fake3_predefined) {
    mh_use_topology(FAKE3);
    MH_EXPECT_IDS(umfMemspaceHostAllGet(), 0, 1, 2);
    MH_EXPECT_IDS(umfMemspaceHighestCapacityGet(), 1, 2, 0);
    ck_assert_ptr_null(umfMemspaceHighestBandwidthGet());
    ck_assert_ptr_null(umfMemspaceLowestLatencyGet());
    ck_assert_ptr_null(umfMemspaceHighestBandwidthGet()); /* still */
    ck_assert_uint_eq(mh_capacity_of(umfMemspaceHostAllGet(), 1), 8 * GiB);
}
END_TEST

START_TEST(fake_synthetic) {
    /* HWLOC_SYNTHETIC works too: 4 nodes of equal size, ties by id */
    mh_use_topology(NULL);
    umfTearDown();
    setenv("HWLOC_SYNTHETIC", "pack:2 numa:2 core:1 pu:1", 1);
    ck_assert_int_eq(umfInit(), 0);
    MH_EXPECT_IDS(umfMemspaceHostAllGet(), 0, 1, 2, 3);
    MH_EXPECT_IDS(umfMemspaceHighestCapacityGet(), 0, 1, 2, 3);
    ck_assert_ptr_null(umfMemspaceLowestLatencyGet());
    mh_use_topology(NULL);
}
END_TEST

START_TEST(fake_create_from_numa_array) {
    mh_use_topology(FAKE4);
    unsigned ids[3] = {5, 2, 0};
    umf_memspace_handle_t ms = mh_space(ids, 3);
    MH_EXPECT_IDS(ms, 5, 2, 0); /* the caller's order */
    ck_assert_uint_eq(mh_capacity_of(ms, 5), 4 * GiB);
    umfMemspaceDestroy(ms);
    /* node 3 is a logical index here, not a node number */
    unsigned bad[2] = {0, 3};
    ms = NULL;
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(bad, 2, &ms),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(ms);
}
END_TEST

START_TEST(fake_add_remove) {
    mh_use_topology(FAKE4);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceNew(&ms), UMF_RESULT_SUCCESS);

    umf_const_memtarget_handle_t t2 = umfMemspaceMemtargetGet(all, 2);
    umf_const_memtarget_handle_t t5 = umfMemspaceMemtargetGet(all, 3);
    ck_assert_int_eq(umfMemspaceMemtargetAdd(ms, t2), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 1);
    /* a copy: another handle for the same node */
    umf_const_memtarget_handle_t copy = umfMemspaceMemtargetGet(ms, 0);
    ck_assert_ptr_nonnull(copy);
    ck_assert_ptr_ne(copy, t2);
    MH_EXPECT_IDS(ms, 2);
    /* duplicates are rejected, by value too */
    ck_assert_int_eq(umfMemspaceMemtargetAdd(ms, t2),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemspaceMemtargetAdd(ms, copy),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemspaceMemtargetAdd(ms, t5), UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 2, 5);
    /* handles of the space stay valid while others are added */
    for (unsigned i = 0; i < 4; i++) {
        umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(all, i);
        umf_result_t r = umfMemspaceMemtargetAdd(ms, t);
        unsigned id;
        umfMemtargetGetId(t, &id);
        ck_assert_int_eq(r, (id == 2 || id == 5)
                                ? UMF_RESULT_ERROR_INVALID_ARGUMENT
                                : UMF_RESULT_SUCCESS);
    }
    MH_EXPECT_IDS(ms, 2, 5, 0, 1);
    ck_assert_ptr_eq(umfMemspaceMemtargetGet(ms, 0), copy);

    /* remove by value: t2 belongs to host-all, not to ms */
    ck_assert_int_eq(umfMemspaceMemtargetRemove(ms, t2), UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 5, 0, 1);
    ck_assert_int_eq(umfMemspaceMemtargetRemove(ms, t2),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    MH_EXPECT_IDS(ms, 5, 0, 1);
    /* removing through the space's own handle */
    ck_assert_int_eq(
        umfMemspaceMemtargetRemove(ms, umfMemspaceMemtargetGet(ms, 1)),
        UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 5, 1);
    /* host-all is untouched by all this */
    MH_EXPECT_IDS(all, 0, 1, 2, 5);

    /* a target copied into a user space outlives its source space */
    umf_memspace_handle_t src = NULL;
    ck_assert_int_eq(umfMemspaceClone(all, &src), UMF_RESULT_SUCCESS);
    umf_memspace_handle_t dst = NULL;
    ck_assert_int_eq(umfMemspaceNew(&dst), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfMemspaceMemtargetAdd(dst, umfMemspaceMemtargetGet(src, 3)),
        UMF_RESULT_SUCCESS);
    umfMemspaceDestroy(src);
    MH_EXPECT_IDS(dst, 5);
    ck_assert_uint_eq(mh_capacity_of(dst, 5), 4 * GiB);
    umfMemspaceDestroy(dst);
    umfMemspaceDestroy(ms);
}
END_TEST

START_TEST(fake_predefined_read_only) {
    mh_use_topology(FAKE4);
    /* casting the const away does not make a predefined space writable */
    umf_memspace_handle_t all = (umf_memspace_handle_t)umfMemspaceHostAllGet();
    umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(all, 0);
    unsigned ids[1] = {0};
    const umf_result_t INV = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    ck_assert_int_eq(umfMemspaceMemtargetRemove(all, t), INV);
    ck_assert_int_eq(umfMemspaceMemtargetAdd(all, t), INV);
    ck_assert_int_eq(umfMemspaceFilterById(all, ids, 1), INV);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(all, 0), INV);
    ck_assert_int_eq(umfMemspaceUserFilter(all, keep_all, NULL), INV);
    umfMemspaceDestroy(all); /* ignored */
    ck_assert_ptr_eq(umfMemspaceHostAllGet(), all);
    MH_EXPECT_IDS(all, 0, 1, 2, 5);
}
END_TEST

START_TEST(fake_clone) {
    mh_use_topology(FAKE4);
    umf_const_memspace_handle_t sp[4] = {
        umfMemspaceHostAllGet(), umfMemspaceHighestCapacityGet(),
        umfMemspaceHighestBandwidthGet(), umfMemspaceLowestLatencyGet()};
    for (int i = 0; i < 4; i++) {
        umf_memspace_handle_t c = NULL;
        ck_assert_int_eq(umfMemspaceClone(sp[i], &c), UMF_RESULT_SUCCESS);
        unsigned want[8];
        size_t n = mh_ids(sp[i], want, 8);
        mh_expect_ids(c, want, n);
        for (size_t j = 0; j < n; j++) {
            ck_assert_ptr_ne(umfMemspaceMemtargetGet(c, (unsigned)j),
                             umfMemspaceMemtargetGet(sp[i], (unsigned)j));
        }
        /* the clone is a user space: writable, and changes stay in it */
        ck_assert_int_eq(
            umfMemspaceMemtargetRemove(c, umfMemspaceMemtargetGet(c, 0)),
            UMF_RESULT_SUCCESS);
        ck_assert_uint_eq(umfMemspaceMemtargetNum(c), n - 1);
        ck_assert_uint_eq(umfMemspaceMemtargetNum(sp[i]), n);
        umf_memspace_handle_t cc = NULL;
        ck_assert_int_eq(umfMemspaceClone(c, &cc), UMF_RESULT_SUCCESS);
        mh_expect_ids(cc, want + 1, n - 1);
        umfMemspaceDestroy(cc);
        umfMemspaceDestroy(c);
    }
}
END_TEST

START_TEST(fake_filter_by_id) {
    mh_use_topology(FAKE4);
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceClone(umfMemspaceHighestCapacityGet(), &ms),
                     UMF_RESULT_SUCCESS);
    unsigned ids[4] = {5, 7, 0, 3}; /* 7 and 3 do not exist: no matter */
    ck_assert_int_eq(umfMemspaceFilterById(ms, ids, 4), UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 0, 5); /* the space's order, not the filter's */
    ck_assert_int_eq(umfMemspaceFilterById(ms, ids + 1, 1), UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 0); /* may empty it */
    umfMemspaceDestroy(ms);
}
END_TEST

START_TEST(fake_filter_by_capacity) {
    mh_use_topology(FAKE4);
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceClone(umfMemspaceHostAllGet(), &ms),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, 0), UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 0, 1, 2, 5);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, -5),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    MH_EXPECT_IDS(ms, 0, 1, 2, 5);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, (int64_t)(8 * GiB)),
                     UMF_RESULT_SUCCESS); /* at least: 8 GiB stays */
    MH_EXPECT_IDS(ms, 0, 1, 2);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, (int64_t)(8 * GiB) + 1),
                     UMF_RESULT_SUCCESS);
    MH_EXPECT_IDS(ms, 0, 2);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, INT64_MAX),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 0);
    umfMemspaceDestroy(ms);
}
END_TEST

typedef struct filter_args_t {
    unsigned calls;
    int fail_at;  /* return -1 on this call (1-based), 0: never */
    unsigned odd; /* keep odd ids when 1, even when 0 */
    umf_const_memspace_handle_t seen_space;
    size_t seen_size; /* the size of the space during the callbacks */
} filter_args_t;

static int parity_filter(umf_const_memspace_handle_t ms,
                         umf_const_memtarget_handle_t t, void *args) {
    filter_args_t *a = args;
    a->calls++;
    a->seen_space = ms;
    a->seen_size = umfMemspaceMemtargetNum(ms);
    if (a->fail_at && (int)a->calls == a->fail_at) {
        return -7;
    }
    unsigned id;
    if (umfMemtargetGetId(t, &id) != UMF_RESULT_SUCCESS) {
        return -1;
    }
    return (id % 2 == a->odd) ? 42 : 0; /* any positive value keeps */
}

START_TEST(fake_user_filter) {
    mh_use_topology(FAKE4);
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceClone(umfMemspaceHostAllGet(), &ms),
                     UMF_RESULT_SUCCESS);
    /* an error on the 3rd target: USER_SPECIFIC, nothing removed, though
     * the 1st and 2nd were judged already */
    filter_args_t a = {.fail_at = 3, .odd = 1};
    ck_assert_int_eq(umfMemspaceUserFilter(ms, parity_filter, &a),
                     UMF_RESULT_ERROR_USER_SPECIFIC);
    ck_assert_uint_eq(a.calls, 3);
    MH_EXPECT_IDS(ms, 0, 1, 2, 5);
    /* keep the odd ones; the space is whole while the filter runs */
    a = (filter_args_t){.odd = 1};
    ck_assert_int_eq(umfMemspaceUserFilter(ms, parity_filter, &a),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(a.calls, 4);
    ck_assert_ptr_eq(a.seen_space, ms);
    ck_assert_uint_eq(a.seen_size, 4);
    MH_EXPECT_IDS(ms, 1, 5);
    a = (filter_args_t){.odd = 0};
    ck_assert_int_eq(umfMemspaceUserFilter(ms, parity_filter, &a),
                     UMF_RESULT_SUCCESS);
    ck_assert_uint_eq(umfMemspaceMemtargetNum(ms), 0);
    umfMemspaceDestroy(ms);
}
END_TEST

/* A provider and a pool from every predefined space with every policy:
 * creation succeeds and memory comes back (binding is skipped on a fake
 * topology). */
START_TEST(fake_providers_from_every_space) {
    mh_use_topology(FAKE4);
    umf_const_memspace_handle_t sp[4] = {
        umfMemspaceHostAllGet(), umfMemspaceHighestCapacityGet(),
        umfMemspaceHighestBandwidthGet(), umfMemspaceLowestLatencyGet()};
    umf_mempolicy_handle_t pols[6] = {NULL};
    pols[1] = policy(UMF_MEMPOLICY_BIND);
    pols[2] = policy(UMF_MEMPOLICY_PREFERRED);
    pols[3] = policy(UMF_MEMPOLICY_INTERLEAVE);
    pols[4] = policy(UMF_MEMPOLICY_INTERLEAVE);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(pols[4], 8192),
                     UMF_RESULT_SUCCESS);
    pols[5] = policy(UMF_MEMPOLICY_SPLIT);
    for (int s = 0; s < 4; s++) {
        for (int p = 0; p < 6; p++) {
            umf_memory_provider_handle_t prov = NULL;
            ck_assert_msg(umfMemoryProviderCreateFromMemspace(
                              sp[s], pols[p], &prov) == UMF_RESULT_SUCCESS,
                          "space %d policy %d", s, p);
            void *ptr = NULL;
            ck_assert_int_eq(umfMemoryProviderAlloc(prov, 1 << 16, 0, &ptr),
                             UMF_RESULT_SUCCESS);
            memset(ptr, 1, 1 << 16);
            umfMemoryProviderFree(prov, ptr, 1 << 16);
            umfMemoryProviderDestroy(prov);

            umf_memory_pool_handle_t pool = NULL;
            ck_assert_int_eq(umfPoolCreateFromMemspace(sp[s], pols[p], &pool),
                             UMF_RESULT_SUCCESS);
            void *q = umfPoolMalloc(pool, 1000);
            ck_assert_ptr_nonnull(q);
            umfPoolFree(pool, q);
            umfPoolDestroy(pool);
        }
    }
    for (int p = 1; p < 6; p++) {
        umfMempolicyDestroy(pols[p]);
    }
}
END_TEST

/* Split partitions must name nodes of the space. */
START_TEST(fake_split_partitions_checked) {
    mh_use_topology(FAKE4);
    umf_mempolicy_handle_t pol = policy(UMF_MEMPOLICY_SPLIT);
    umf_mempolicy_split_partition_t parts[2] = {{1, 1}, {2, 5}};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(pol, parts, 2),
                     UMF_RESULT_SUCCESS);
    umf_memory_provider_handle_t prov = NULL;
    /* highest-bandwidth is {1, 5}: fine */
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(
                         umfMemspaceHighestBandwidthGet(), pol, &prov),
                     UMF_RESULT_SUCCESS);
    umfMemoryProviderDestroy(prov);
    /* lowest-latency is {0, 2}: neither partition fits */
    prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(
                         umfMemspaceLowestLatencyGet(), pol, &prov),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_ptr_null(prov);
    umfMempolicyDestroy(pol);
}
END_TEST

/* A space that names a node the topology no longer has (after a switch to
 * another topology) cannot back a provider. */
START_TEST(fake_stale_node) {
    mh_use_topology(FAKE4);
    unsigned ids[1] = {5};
    umf_memspace_handle_t ms = mh_space(ids, 1);
    mh_use_topology(FAKE3); /* has no node 5 */
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, NULL, &prov),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    size_t cap = 0;
    ck_assert_int_eq(
        umfMemtargetGetCapacity(umfMemspaceMemtargetGet(ms, 0), &cap),
        UMF_RESULT_ERROR_INVALID_ARGUMENT);
    ck_assert_int_eq(umfMemspaceFilterByCapacity(ms, 1),
                     UMF_RESULT_ERROR_INVALID_ARGUMENT);
    MH_EXPECT_IDS(ms, 5); /* unchanged */
    umfMemspaceDestroy(ms);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* lifecycle                                                               */
/* ---------------------------------------------------------------------- */

#define NTHREADS 8

static void *get_all_four(void *arg) {
    umf_const_memspace_handle_t *out = arg;
    out[0] = umfMemspaceHostAllGet();
    out[1] = umfMemspaceHighestCapacityGet();
    out[2] = umfMemspaceHighestBandwidthGet();
    out[3] = umfMemspaceLowestLatencyGet();
    return NULL;
}

START_TEST(predefined_concurrent_first_use) {
    mh_use_topology(FAKE4); /* nothing built yet */
    umf_const_memspace_handle_t got[NTHREADS][4];
    memset(got, 0, sizeof(got));
    ck_assert_int_eq(
        umf_test_run_threads(NTHREADS, get_all_four, got, sizeof(got[0])), 0);
    for (int i = 0; i < NTHREADS; i++) {
        for (int s = 0; s < 4; s++) {
            ck_assert_ptr_nonnull(got[i][s]);
            ck_assert_ptr_eq(got[i][s], got[0][s]);
        }
    }
    MH_EXPECT_IDS(got[0][2], 1, 5);
}
END_TEST

START_TEST(predefined_rebuilt_after_teardown) {
    mh_use_topology(FAKE4);
    MH_EXPECT_IDS(umfMemspaceHighestBandwidthGet(), 1, 5);
    /* teardown frees them (valgrind sees no leak); the next call rebuilds
     * from the topology of the moment */
    mh_use_topology(FAKE3);
    MH_EXPECT_IDS(umfMemspaceHostAllGet(), 0, 1, 2);
    ck_assert_ptr_null(umfMemspaceHighestBandwidthGet());
    mh_use_topology(FAKE4);
    MH_EXPECT_IDS(umfMemspaceHighestBandwidthGet(), 1, 5);
}
END_TEST

/* A topology that cannot be loaded: no predefined spaces, and creating
 * from node numbers reports the missing dependency. */
START_TEST(topology_load_failure) {
    mh_use_topology(NULL);
    umfTearDown();
    setenv("HWLOC_COMPONENTS", "stop", 1);
    ck_assert_int_eq(umfInit(), 0);
    ck_assert_ptr_null(umfMemspaceHostAllGet());
    ck_assert_ptr_null(umfMemspaceHighestCapacityGet());
    ck_assert_ptr_null(umfMemspaceHighestBandwidthGet());
    ck_assert_ptr_null(umfMemspaceLowestLatencyGet());
    unsigned ids[1] = {0};
    umf_memspace_handle_t ms = NULL;
    ck_assert_int_eq(umfMemspaceCreateFromNumaArray(ids, 1, &ms),
                     UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE);
    ck_assert_ptr_null(ms);
    /* memory spaces that need no topology still work */
    ck_assert_int_eq(umfMemspaceNew(&ms), UMF_RESULT_SUCCESS);
    umfMemspaceDestroy(ms);
    mh_use_topology(NULL);
    ck_assert_ptr_nonnull(umfMemspaceHostAllGet());
}
END_TEST

/* fork(): the child uses the predefined spaces its parent built. */
START_TEST(predefined_after_fork) {
    mh_use_topology(FAKE4);
    umf_const_memspace_handle_t all = umfMemspaceHostAllGet();
    ck_assert_ptr_nonnull(all);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* the same instance, and no new discovery: HWLOC_XMLFILE pointing
         * nowhere would make a new load fail */
        setenv("HWLOC_XMLFILE", "/nonexistent.xml", 1);
        umf_const_memtarget_handle_t t = umfMemspaceMemtargetGet(all, 3);
        size_t cap = 0;
        unsigned id = 0;
        int ok = umfMemspaceHostAllGet() == all &&
                 umfMemspaceMemtargetNum(all) == 4 &&
                 umfMemtargetGetId(t, &id) == UMF_RESULT_SUCCESS && id == 5 &&
                 umfMemtargetGetCapacity(t, &cap) == UMF_RESULT_SUCCESS &&
                 cap == 4 * GiB;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST
#endif /* UMF_HAVE_HWLOC */

static Suite *memspace_suite(void) {
    Suite *s = suite_create("memspace");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, api_null_arguments);
#if !UMF_HAVE_HWLOC
    tcase_add_test(tc, api_without_hwloc);
    suite_add_tcase(s, tc);
#else
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_add_test(tc, real_host_all);
    tcase_add_test(tc, real_other_predefined);
    tcase_add_test(tc, real_create_from_numa_array);
    tcase_add_test(tc, real_placement_predefined);
    tcase_add_test(tc, real_placement_policies);
    tcase_add_test(tc, real_pool_from_memspace);
    suite_add_tcase(s, tc);

    tc = tcase_create("fake");
    tcase_add_test(tc, fake4_predefined);
    tcase_add_test(tc, fake3_predefined);
    tcase_add_test(tc, fake_synthetic);
    tcase_add_test(tc, fake_create_from_numa_array);
    tcase_add_test(tc, fake_add_remove);
    tcase_add_test(tc, fake_predefined_read_only);
    tcase_add_test(tc, fake_clone);
    tcase_add_test(tc, fake_filter_by_id);
    tcase_add_test(tc, fake_filter_by_capacity);
    tcase_add_test(tc, fake_user_filter);
    tcase_add_test(tc, fake_providers_from_every_space);
    tcase_add_test(tc, fake_split_partitions_checked);
    tcase_add_test(tc, fake_stale_node);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_add_test(tc, predefined_concurrent_first_use);
    tcase_add_test(tc, predefined_rebuilt_after_teardown);
    tcase_add_test(tc, topology_load_failure);
    tcase_add_test(tc, predefined_after_fork);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void) { return umf_test_run_suite(memspace_suite()); }
