/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_provider_os_numa.c -- NUMA modes of the OS provider.
 *
 * Built twice:
 * - test_provider_os_numa: every mode bound to node 0 and checked with
 *   get_mempolicy(2) and move_pages(2), node list validation, the shared
 *   topology (teardown reloads it; a broken HWLOC environment gives
 *   TOPO_DISCOVERY_FAILED), and the multi-node code paths on fake hwloc
 *   topologies (HWLOC_SYNTHETIC: binding is skipped, or, with
 *   HWLOC_THISSYSTEM=1, fails in the kernel: BIND_FAILED);
 * - test_provider_os_numa_multi (UMF_TEST_NUMA_MULTI): real placement on
 *   two nodes; exits 77 where the machine has one.
 * The system calls are made raw, so libnuma is not needed. */
#include "provider_helpers.h"

#include <dirent.h>
#include <limits.h>
#include <linux/mempolicy.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include <umf.h>
#include <umf/memory_pool.h>
#include <umf/memory_provider.h>
#include <umf/pools/pool_proxy.h>
#include <umf/providers/provider_os_memory.h>

#include "config.h" /* UMF_HAVE_HWLOC */

#ifndef MPOL_LOCAL
#define MPOL_LOCAL 4
#endif

#define MASK_LONGS 16 /* 1024 nodes */

/* ---------------------------------------------------------------------- */
/* helpers                                                                 */
/* ---------------------------------------------------------------------- */

/* Online NUMA node ids from sysfs; returns how many (at most max). */
static PH_UNUSED unsigned system_nodes(unsigned *ids, unsigned max) {
    DIR *d = opendir("/sys/devices/system/node");
    unsigned n = 0;
    if (!d) {
        if (max) {
            ids[0] = 0;
        }
        return 1; /* no NUMA in the kernel: one node */
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned id;
        char extra;
        if (sscanf(e->d_name, "node%u%c", &id, &extra) == 1) {
            if (n < max) {
                ids[n] = id;
            }
            n++;
        }
    }
    closedir(d);
    /* sort the ids we kept */
    unsigned kept = n < max ? n : max;
    for (unsigned i = 1; i < kept; i++) {
        for (unsigned j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
            unsigned t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    }
    return n;
}

static PH_UNUSED bool node_exists(unsigned id) {
    char path[64];
    snprintf(path, sizeof(path), "/sys/devices/system/node/node%u", id);
    return access(path, F_OK) == 0;
}

/* The policy of the page at addr; *mask gets its nodes. */
static PH_UNUSED int policy_of(void *addr, unsigned long *mask) {
    int mode = -1;
    unsigned long m[MASK_LONGS];
    memset(m, 0, sizeof(m));
    long r = syscall(SYS_get_mempolicy, &mode, m,
                     (unsigned long)MASK_LONGS * 64 + 1, addr, MPOL_F_ADDR);
    ck_assert_msg(r == 0, "get_mempolicy(%p): %s", addr, strerror(errno));
    if (mask) {
        memcpy(mask, m, sizeof(m));
    }
    return mode;
}

/* The node holding the (touched) page at addr. */
static PH_UNUSED int node_of(void *addr) {
    int node = -1;
    long r = syscall(SYS_get_mempolicy, &node, NULL, 0, addr,
                     MPOL_F_NODE | MPOL_F_ADDR);
    ck_assert_msg(r == 0, "get_mempolicy(MPOL_F_NODE): %s", strerror(errno));
    return node;
}

/* move_pages(2) without moving: the node of each of n pages at addr. */
static PH_UNUSED void nodes_of_pages(void *addr, size_t n, int *status) {
    void **pages = calloc(n, sizeof(*pages));
    ck_assert_ptr_nonnull(pages);
    for (size_t i = 0; i < n; i++) {
        pages[i] = (char *)addr + i * ph_page();
    }
    long r = syscall(SYS_move_pages, 0, n, pages, NULL, status, 0);
    ck_assert_msg(r == 0, "move_pages: %s", strerror(errno));
    free(pages);
}

static PH_UNUSED void touch(void *p, size_t size) {
    for (size_t off = 0; off < size; off += ph_page()) {
        ((volatile char *)p)[off] = 1;
    }
}

static umf_os_memory_provider_params_handle_t
numa_params(umf_numa_mode_t mode, const unsigned *list, unsigned n) {
    umf_os_memory_provider_params_handle_t p = NULL;
    ck_assert_int_eq(umfOsMemoryProviderParamsCreate(&p), UMF_RESULT_SUCCESS);
    ck_assert_int_eq(umfOsMemoryProviderParamsSetNumaMode(p, mode),
                     UMF_RESULT_SUCCESS);
    ck_assert_int_eq(
        umfOsMemoryProviderParamsSetNumaList(p, (unsigned *)list, n),
        UMF_RESULT_SUCCESS);
    return p;
}

/* create from p (destroyed here) and expect `expect` */
static umf_memory_provider_handle_t
create_from(umf_os_memory_provider_params_handle_t p, umf_result_t expect) {
    umf_memory_provider_handle_t prov = NULL;
    umf_result_t ret =
        umfMemoryProviderCreate(umfOsMemoryProviderOps(), p, &prov);
    umfOsMemoryProviderParamsDestroy(p);
    ck_assert_msg(ret == expect, "create gave %d, want %d", (int)ret,
                  (int)expect);
    if (expect == UMF_RESULT_SUCCESS) {
        ck_assert_ptr_nonnull(prov);
    } else {
        ck_assert_ptr_null(prov);
    }
    return prov;
}

static umf_memory_provider_handle_t numa_create(umf_numa_mode_t mode,
                                                const unsigned *list,
                                                unsigned n,
                                                umf_result_t expect) {
    return create_from(numa_params(mode, list, n), expect);
}

static PH_UNUSED void *xalloc(umf_memory_provider_handle_t prov, size_t size,
                              size_t align) {
    void *ptr = NULL;
    umf_result_t ret = umfMemoryProviderAlloc(prov, size, align, &ptr);
    ck_assert_msg(ret == UMF_RESULT_SUCCESS, "alloc(%zu, %zu) gave %d", size,
                  align, (int)ret);
    return ptr;
}

static PH_UNUSED double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#if !UMF_TEST_NUMA_MULTI

/* ---------------------------------------------------------------------- */
/* without hwloc                                                           */
/* ---------------------------------------------------------------------- */

#if !UMF_HAVE_HWLOC
START_TEST(no_hwloc_not_supported) {
    unsigned l0[1] = {0};
    numa_create(UMF_NUMA_MODE_BIND, l0, 1, UMF_RESULT_ERROR_NOT_SUPPORTED);
    numa_create(UMF_NUMA_MODE_INTERLEAVE, l0, 1,
                UMF_RESULT_ERROR_NOT_SUPPORTED);
    numa_create(UMF_NUMA_MODE_SPLIT, l0, 1, UMF_RESULT_ERROR_NOT_SUPPORTED);
    numa_create(UMF_NUMA_MODE_PREFERRED, l0, 1, UMF_RESULT_ERROR_NOT_SUPPORTED);
    numa_create(UMF_NUMA_MODE_PREFERRED, NULL, 0,
                UMF_RESULT_ERROR_NOT_SUPPORTED);
    numa_create(UMF_NUMA_MODE_LOCAL, NULL, 0, UMF_RESULT_ERROR_NOT_SUPPORTED);
    /* validation still comes first */
    numa_create(UMF_NUMA_MODE_BIND, NULL, 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    umfMemoryProviderDestroy(
        numa_create(UMF_NUMA_MODE_DEFAULT, NULL, 0, UMF_RESULT_SUCCESS));
}
END_TEST
#else

/* ---------------------------------------------------------------------- */
/* placement on node 0                                                     */
/* ---------------------------------------------------------------------- */

#define NPAGES 16

/* Allocate NPAGES pages from prov, touch them, check every page is on node
 * 0 and that the first and last page have policy `mode` (-1: don't care)
 * with mask {0} when want_mask. */
static void check_placement(umf_memory_provider_handle_t prov, int mode,
                            bool want_mask, size_t align) {
    size_t size = NPAGES * ph_page();
    char *p = xalloc(prov, size, align);
    if (align) {
        ck_assert_uint_eq((uintptr_t)p % align, 0);
    }
    touch(p, size);
    void *probe[2] = {p, p + size - ph_page()};
    for (int i = 0; i < 2; i++) {
        unsigned long mask[MASK_LONGS];
        int got = policy_of(probe[i], mask);
        if (mode >= 0) {
            ck_assert_msg(got == mode, "policy %d, want %d", got, mode);
        }
        if (want_mask) {
            ck_assert_uint_eq(mask[0], 1);
        }
        ck_assert_int_eq(node_of(probe[i]), 0);
    }
    int status[NPAGES];
    nodes_of_pages(p, NPAGES, status);
    for (int i = 0; i < NPAGES; i++) {
        ck_assert_int_eq(status[i], 0);
    }
    ck_assert_int_eq(umfMemoryProviderFree(prov, p, size), UMF_RESULT_SUCCESS);
}

static const unsigned node0[1] = {0};

START_TEST(mode_default) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_DEFAULT, NULL, 0, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_DEFAULT, false, 0);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(mode_bind) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_BIND, true, 0);
    check_placement(prov, MPOL_BIND, true, 2 * MiB);
    check_placement(prov, MPOL_BIND, true, 3 * ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(mode_preferred) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_PREFERRED, node0, 1, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_PREFERRED, true, 0);
    umfMemoryProviderDestroy(prov);

    /* no list: the local node is preferred (Linux reports MPOL_LOCAL, or
     * MPOL_PREFERRED with no node on old kernels) */
    prov = numa_create(UMF_NUMA_MODE_PREFERRED, NULL, 0, UMF_RESULT_SUCCESS);
    char *p = xalloc(prov, ph_page(), 0);
    touch(p, ph_page());
    unsigned long mask[MASK_LONGS];
    int mode = policy_of(p, mask);
    ck_assert_msg(mode == MPOL_LOCAL || (mode == MPOL_PREFERRED && !mask[0]),
                  "policy %d", mode);
    ck_assert_int_eq(node_of(p), 0);
    umfMemoryProviderFree(prov, p, ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(mode_local) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_LOCAL, NULL, 0, UMF_RESULT_SUCCESS);
    char *p = xalloc(prov, NPAGES * ph_page(), 0);
    touch(p, NPAGES * ph_page());
    unsigned long mask[MASK_LONGS];
    int mode = policy_of(p, mask);
    ck_assert_msg(mode == MPOL_LOCAL || (mode == MPOL_PREFERRED && !mask[0]),
                  "policy %d", mode);
    ck_assert_int_eq(node_of(p), 0);
    umfMemoryProviderFree(prov, p, NPAGES * ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(mode_interleave) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_INTERLEAVE, node0, 1, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_INTERLEAVE, true, 0);
    umfMemoryProviderDestroy(prov);

    /* with a part size: each chunk prefers its node */
    umf_os_memory_provider_params_handle_t p =
        numa_params(UMF_NUMA_MODE_INTERLEAVE, node0, 1);
    umfOsMemoryProviderParamsSetPartSize(p, 2 * ph_page() - 100);
    prov = create_from(p, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_PREFERRED, true, 0);
    check_placement(prov, MPOL_PREFERRED, true, 2 * MiB);
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(mode_split) {
    /* no partitions: equal parts over the list */
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_SPLIT, node0, 1, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_PREFERRED, true, 0);
    umfMemoryProviderDestroy(prov);

    unsigned list[2] = {0, 0};
    umf_numa_split_partition_t parts[3] = {{1, 0}, {5, 0}, {2, 0}};
    umf_os_memory_provider_params_handle_t p =
        numa_params(UMF_NUMA_MODE_SPLIT, list, 2);
    umfOsMemoryProviderParamsSetPartitions(p, parts, 3);
    prov = create_from(p, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_PREFERRED, true, 0);
    /* fewer pages than partitions */
    char *q = xalloc(prov, 1, 0);
    touch(q, 1);
    ck_assert_int_eq(node_of(q), 0);
    umfMemoryProviderFree(prov, q, 1);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* A pool over a bound provider keeps the placement. */
START_TEST(pool_over_bind) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS);
    umf_memory_pool_handle_t pool = NULL;
    ck_assert_int_eq(umfPoolCreate(umfProxyPoolOps(), prov, NULL,
                                   UMF_POOL_CREATE_FLAG_OWN_PROVIDER, &pool),
                     UMF_RESULT_SUCCESS);
    char *p = umfPoolMalloc(pool, 100000);
    ck_assert_ptr_nonnull(p);
    memset(p, 1, 100000);
    ck_assert_int_eq(policy_of(p, NULL), MPOL_BIND);
    ck_assert_int_eq(node_of(p + 99999), 0);
    umfPoolFree(pool, p);
    umfPoolDestroy(pool);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* validation                                                              */
/* ---------------------------------------------------------------------- */

START_TEST(invalid_nodes) {
    unsigned bad[][2] = {{1, 0}, {1023, 0}, {UINT_MAX, 0}, {0, 4096}};
    for (unsigned i = 0; i < 4; i++) {
        unsigned n = i == 3 ? 2 : 1;
        bool exists = true;
        for (unsigned j = 0; j < n; j++) {
            exists = exists && node_exists(bad[i][j]);
        }
        if (exists) {
            continue; /* a machine that has node 1 */
        }
        numa_create(UMF_NUMA_MODE_BIND, bad[i], n,
                    UMF_RESULT_ERROR_INVALID_ARGUMENT);
        numa_create(UMF_NUMA_MODE_INTERLEAVE, bad[i], n,
                    UMF_RESULT_ERROR_INVALID_ARGUMENT);
        numa_create(UMF_NUMA_MODE_PREFERRED, bad[i], n,
                    UMF_RESULT_ERROR_INVALID_ARGUMENT);
        numa_create(UMF_NUMA_MODE_SPLIT, bad[i], n,
                    UMF_RESULT_ERROR_INVALID_ARGUMENT);
    }
}
END_TEST

START_TEST(mode_list_validation) {
    /* DEFAULT and LOCAL take no list; BIND, INTERLEAVE, SPLIT need one */
    numa_create(UMF_NUMA_MODE_DEFAULT, node0, 1,
                UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_create(UMF_NUMA_MODE_LOCAL, node0, 1,
                UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_create(UMF_NUMA_MODE_BIND, NULL, 0, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_create(UMF_NUMA_MODE_INTERLEAVE, NULL, 0,
                UMF_RESULT_ERROR_INVALID_ARGUMENT);
    numa_create(UMF_NUMA_MODE_SPLIT, NULL, 0,
                UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* partitions: weight > 0, target in the list */
    umf_numa_split_partition_t zero[1] = {{0, 0}};
    umf_numa_split_partition_t elsewhere[1] = {{1, 5}};
    umf_os_memory_provider_params_handle_t p =
        numa_params(UMF_NUMA_MODE_SPLIT, node0, 1);
    umfOsMemoryProviderParamsSetPartitions(p, zero, 1);
    create_from(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);
    p = numa_params(UMF_NUMA_MODE_SPLIT, node0, 1);
    umfOsMemoryProviderParamsSetPartitions(p, elsewhere, 1);
    create_from(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    /* a part size that overflows when rounded to a page */
    p = numa_params(UMF_NUMA_MODE_INTERLEAVE, node0, 1);
    umfOsMemoryProviderParamsSetPartSize(p, SIZE_MAX - 10);
    create_from(p, UMF_RESULT_ERROR_INVALID_ARGUMENT);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* the shared topology                                                     */
/* ---------------------------------------------------------------------- */

/* The topology is loaded once per process: after the first provider,
 * creating more costs far less than a topology load each. */
START_TEST(topology_loaded_once) {
    double t0 = now_s();
    umfMemoryProviderDestroy(
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS));
    double first = now_s() - t0;
    t0 = now_s();
    for (int i = 0; i < 200; i++) {
        umfMemoryProviderDestroy(
            numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS));
    }
    double rest = now_s() - t0;
    ck_assert_msg(rest < 10 * first,
                  "200 creates took %.4f s, the first one %.4f s", rest, first);
}
END_TEST

/* Load failure: HWLOC_COMPONENTS=stop makes hwloc_topology_load fail. */
START_TEST(topology_discovery_failed) {
    setenv("HWLOC_COMPONENTS", "stop", 1);
    numa_create(UMF_NUMA_MODE_BIND, node0, 1,
                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* the native error is thread-local to the OS provider */
    umf_memory_provider_handle_t def =
        numa_create(UMF_NUMA_MODE_DEFAULT, NULL, 0, UMF_RESULT_SUCCESS);
    ph_expect_native(def, UMF_OS_RESULT_ERROR_TOPO_DISCOVERY_FAILED,
                     "HWLOC topology discovery failed", 0);
    numa_create(UMF_NUMA_MODE_LOCAL, NULL, 0,
                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    /* DEFAULT needs no topology */
    void *p = xalloc(def, 4096, 0);
    umfMemoryProviderFree(def, p, 4096);
    umfMemoryProviderDestroy(def);
}
END_TEST

/* umfTearDown destroys the topology; the next user loads it again (here a
 * failing load proves that it happened, then a good one). */
START_TEST(topology_reloaded_after_teardown) {
    umfMemoryProviderDestroy(
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS));
    umfTearDown(); /* the library constructor's reference */
    setenv("HWLOC_COMPONENTS", "stop", 1);
    ck_assert_int_eq(umfInit(), 0);
    numa_create(UMF_NUMA_MODE_BIND, node0, 1,
                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    unsetenv("HWLOC_COMPONENTS");
    /* the failure is remembered until the next teardown */
    numa_create(UMF_NUMA_MODE_BIND, node0, 1,
                UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    umfTearDown();
    ck_assert_int_eq(umfInit(), 0);
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS);
    check_placement(prov, MPOL_BIND, true, 0);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* A provider made before a teardown keeps binding after it. */
START_TEST(provider_survives_teardown) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS);
    umfTearDown();
    ck_assert_int_eq(umfInit(), 0);
    check_placement(prov, MPOL_BIND, true, 0);
    umfMemoryProviderDestroy(prov);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* fake multi-node topologies                                              */
/* ---------------------------------------------------------------------- */

#define FAKE_TOPOLOGY "pack:2 numa:2 core:1 pu:1" /* nodes 0..3 */

/* Not this system: node ids are checked against the fake topology and
 * binding is skipped, so the multi-node code paths run. */
START_TEST(fake_topology_modes) {
    setenv("HWLOC_SYNTHETIC", FAKE_TOPOLOGY, 1);
    unsigned all[4] = {0, 1, 2, 3};
    unsigned four[1] = {4};
    numa_create(UMF_NUMA_MODE_BIND, four, 1, UMF_RESULT_ERROR_INVALID_ARGUMENT);

    umf_numa_mode_t modes[] = {UMF_NUMA_MODE_BIND, UMF_NUMA_MODE_INTERLEAVE,
                               UMF_NUMA_MODE_PREFERRED, UMF_NUMA_MODE_SPLIT};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        for (int with_parts = 0; with_parts < 2; with_parts++) {
            umf_os_memory_provider_params_handle_t p =
                numa_params(modes[m], all, 4);
            umf_numa_split_partition_t parts[4] = {
                {1, 3}, {2, 2}, {3, 1}, {4, 0}};
            if (with_parts) {
                umfOsMemoryProviderParamsSetPartitions(p, parts, 4);
                umfOsMemoryProviderParamsSetPartSize(p, 3 * ph_page());
            }
            umf_memory_provider_handle_t prov =
                create_from(p, UMF_RESULT_SUCCESS);
            for (size_t pages = 1; pages <= 41; pages += 10) {
                size_t size = pages * ph_page();
                char *q = xalloc(prov, size, 0);
                memset(q, 7, size);
                ck_assert_int_eq(umfMemoryProviderFree(prov, q, size),
                                 UMF_RESULT_SUCCESS);
            }
            umfMemoryProviderDestroy(prov);
        }
    }
}
END_TEST

/* This system, but a fake topology: node 3 exists for hwloc, not for the
 * kernel, whose mbind fails: the range is unmapped and BIND_FAILED is
 * reported. */
START_TEST(bind_failed) {
    if (node_exists(3)) {
        return; /* a machine with four nodes binds fine */
    }
    setenv("HWLOC_SYNTHETIC", FAKE_TOPOLOGY, 1);
    setenv("HWLOC_THISSYSTEM", "1", 1);
    unsigned three[1] = {3};
    unsigned list[2] = {0, 3};
    umf_numa_split_partition_t parts[2] = {{1, 0}, {1, 3}};
    umf_os_memory_provider_params_handle_t params[3];
    params[0] = numa_params(UMF_NUMA_MODE_BIND, three, 1);
    params[1] = numa_params(UMF_NUMA_MODE_SPLIT, list, 2);
    umfOsMemoryProviderParamsSetPartitions(params[1], parts, 2);
    params[2] = numa_params(UMF_NUMA_MODE_INTERLEAVE, list, 2);
    umfOsMemoryProviderParamsSetPartSize(params[2], ph_page());

    for (int i = 0; i < 3; i++) {
        umf_memory_provider_handle_t prov =
            create_from(params[i], UMF_RESULT_SUCCESS);
        size_t before = ph_maps_are_ours() ? ph_mapped_bytes() : 0;
        void *q = NULL;
        ck_assert_int_eq(umfMemoryProviderAlloc(prov, 8 * ph_page(), 0, &q),
                         UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
        ck_assert_ptr_null(q);
        ph_expect_native(prov, UMF_OS_RESULT_ERROR_BIND_FAILED,
                         "binding memory to NUMA node failed", EINVAL);
        if (ph_maps_are_ours()) {
            ck_assert_uint_eq(ph_mapped_bytes(), before);
        }
        umfMemoryProviderDestroy(prov);
    }
}
END_TEST

/* Every native error code of the OS provider this machine can produce, with
 * its message (ADDRESS_NOT_ALIGNED guards a case mmap cannot produce). */
START_TEST(native_errors) {
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, node0, 1, UMF_RESULT_SUCCESS);
    void *p = NULL;
    ck_assert_int_eq(umfMemoryProviderAlloc(prov, SIZE_MAX - (1 << 20), 0, &p),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_ALLOC_FAILED,
                     "memory allocation failed", -1);
    ck_assert_int_eq(umfMemoryProviderFree(prov, (void *)1, 10),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_FREE_FAILED,
                     "memory deallocation failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeLazy(prov, (void *)1, 10),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_PURGE_LAZY_FAILED,
                     "lazy purging failed", EINVAL);
    ck_assert_int_eq(umfMemoryProviderPurgeForce(prov, (void *)1, 10),
                     UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC);
    ph_expect_native(prov, UMF_OS_RESULT_ERROR_PURGE_FORCE_FAILED,
                     "force purging failed", EINVAL);
    umfMemoryProviderDestroy(prov);
}
END_TEST
#endif                                            /* UMF_HAVE_HWLOC */

static Suite *numa_suite(void) {
    Suite *s = suite_create("provider_os_numa");
    TCase *tc;
#if !UMF_HAVE_HWLOC
    tc = tcase_create("no_hwloc");
    tcase_add_test(tc, no_hwloc_not_supported);
    suite_add_tcase(s, tc);
#else
    tc = tcase_create("placement");
    tcase_add_test(tc, mode_default);
    tcase_add_test(tc, mode_bind);
    tcase_add_test(tc, mode_preferred);
    tcase_add_test(tc, mode_local);
    tcase_add_test(tc, mode_interleave);
    tcase_add_test(tc, mode_split);
    tcase_add_test(tc, pool_over_bind);
    suite_add_tcase(s, tc);

    tc = tcase_create("validation");
    tcase_add_test(tc, invalid_nodes);
    tcase_add_test(tc, mode_list_validation);
    tcase_add_test(tc, native_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("topology");
    tcase_add_test(tc, topology_loaded_once);
    tcase_add_test(tc, topology_discovery_failed);
    tcase_add_test(tc, topology_reloaded_after_teardown);
    tcase_add_test(tc, provider_survives_teardown);
    tcase_add_test(tc, fake_topology_modes);
    tcase_add_test(tc, bind_failed);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
#endif
    return s;
}

int main(void) {
    if (syscall(SYS_get_mempolicy, NULL, NULL, 0, NULL, 0) != 0 &&
        errno == ENOSYS) {
        umf_test_skip("the kernel has no NUMA support (get_mempolicy: "
                      "ENOSYS)");
    }
    return umf_test_run_suite(numa_suite());
}

#else /* UMF_TEST_NUMA_MULTI */

/* ---------------------------------------------------------------------- */
/* two real nodes                                                          */
/* ---------------------------------------------------------------------- */

static unsigned node_a, node_b;

static void pages_nodes(char *p, size_t npages, int *status) {
    touch(p, npages * ph_page());
    nodes_of_pages(p, npages, status);
}

START_TEST(multi_bind) {
    unsigned list[1] = {node_b};
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_BIND, list, 1, UMF_RESULT_SUCCESS);
    int status[16];
    char *p = xalloc(prov, 16 * ph_page(), 0);
    pages_nodes(p, 16, status);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(status[i], (int)node_b);
    }
    umfMemoryProviderFree(prov, p, 16 * ph_page());
    umfMemoryProviderDestroy(prov);

    list[0] = node_a;
    prov = numa_create(UMF_NUMA_MODE_PREFERRED, list, 1, UMF_RESULT_SUCCESS);
    p = xalloc(prov, 16 * ph_page(), 0);
    pages_nodes(p, 16, status);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(status[i], (int)node_a);
    }
    umfMemoryProviderFree(prov, p, 16 * ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(multi_interleave) {
    unsigned list[2] = {node_a, node_b};
    umf_memory_provider_handle_t prov =
        numa_create(UMF_NUMA_MODE_INTERLEAVE, list, 2, UMF_RESULT_SUCCESS);
    int status[16];
    char *p = xalloc(prov, 16 * ph_page(), 0);
    pages_nodes(p, 16, status);
    int on_a = 0;
    for (int i = 0; i < 16; i++) {
        ck_assert(status[i] == (int)node_a || status[i] == (int)node_b);
        on_a += status[i] == (int)node_a;
    }
    ck_assert_int_eq(on_a, 8);
    umfMemoryProviderFree(prov, p, 16 * ph_page());
    umfMemoryProviderDestroy(prov);

    /* chunks of two pages: a a b b a a b b */
    umf_os_memory_provider_params_handle_t params =
        numa_params(UMF_NUMA_MODE_INTERLEAVE, list, 2);
    umfOsMemoryProviderParamsSetPartSize(params, 2 * ph_page());
    prov = create_from(params, UMF_RESULT_SUCCESS);
    p = xalloc(prov, 8 * ph_page(), 0);
    pages_nodes(p, 8, status);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(status[i], (int)((i / 2) % 2 ? node_b : node_a));
    }
    umfMemoryProviderFree(prov, p, 8 * ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

START_TEST(multi_split) {
    unsigned list[2] = {node_a, node_b};
    umf_numa_split_partition_t parts[2] = {{1, node_a}, {3, node_b}};
    umf_os_memory_provider_params_handle_t params =
        numa_params(UMF_NUMA_MODE_SPLIT, list, 2);
    umfOsMemoryProviderParamsSetPartitions(params, parts, 2);
    umf_memory_provider_handle_t prov = create_from(params, UMF_RESULT_SUCCESS);
    int status[16];
    char *p = xalloc(prov, 16 * ph_page(), 0);
    pages_nodes(p, 16, status);
    for (int i = 0; i < 16; i++) {
        ck_assert_int_eq(status[i], (int)(i < 4 ? node_a : node_b));
    }
    umfMemoryProviderFree(prov, p, 16 * ph_page());
    umfMemoryProviderDestroy(prov);
}
END_TEST

int main(void) {
#if !UMF_HAVE_HWLOC
    umf_test_skip("libumf was built without hwloc: no NUMA modes");
#endif
    unsigned ids[2];
    if (system_nodes(ids, 2) < 2) {
        umf_test_skip("this machine has one NUMA node; the multi-node "
                      "placement tests need two");
    }
    node_a = ids[0];
    node_b = ids[1];
    Suite *s = suite_create("provider_os_numa_multi");
    TCase *tc = tcase_create("two_nodes");
    tcase_add_test(tc, multi_bind);
    tcase_add_test(tc, multi_interleave);
    tcase_add_test(tc, multi_split);
    suite_add_tcase(s, tc);
    return umf_test_run_suite(s);
}
#endif /* UMF_TEST_NUMA_MULTI */
