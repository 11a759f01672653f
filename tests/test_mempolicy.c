/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_mempolicy.c -- memory policies: creation, each setter valid only for
 * its mode, invalid inputs, partitions copied rather than kept by pointer.
 * Policies need no topology; the checks that apply a policy to a memory
 * space use the fake topology of tests/data when hwloc is built in. */
#include "memspace_helpers.h"

#include <umf/memory_provider.h>
#include <umf/mempolicy.h>

#include "config.h" /* UMF_HAVE_HWLOC */

#define INV UMF_RESULT_ERROR_INVALID_ARGUMENT
#define OK UMF_RESULT_SUCCESS
#define BAD_POLICY ((umf_mempolicy_handle_t)(uintptr_t)0xdeadbeef)

static const umf_mempolicy_membind_t all_modes[4] = {
    UMF_MEMPOLICY_INTERLEAVE, UMF_MEMPOLICY_BIND, UMF_MEMPOLICY_PREFERRED,
    UMF_MEMPOLICY_SPLIT};

START_TEST(create_destroy) {
    for (int i = 0; i < 4; i++) {
        umf_mempolicy_handle_t p = NULL;
        ck_assert_int_eq(umfMempolicyCreate(all_modes[i], &p), OK);
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq(umfMempolicyDestroy(p), OK);
    }
    /* two policies are independent objects */
    umf_mempolicy_handle_t a = NULL, b = NULL;
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_BIND, &a), OK);
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_BIND, &b), OK);
    ck_assert_ptr_ne(a, b);
    umfMempolicyDestroy(a);
    umfMempolicyDestroy(b);
}
END_TEST

START_TEST(create_invalid) {
    umf_mempolicy_handle_t p = BAD_POLICY;
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_BIND, NULL), INV);
    ck_assert_int_eq(umfMempolicyCreate((umf_mempolicy_membind_t)4, &p), INV);
    ck_assert_int_eq(umfMempolicyCreate((umf_mempolicy_membind_t)-1, &p), INV);
    ck_assert_int_eq(
        umfMempolicyCreate((umf_mempolicy_membind_t)0x7fffffff, &p), INV);
    ck_assert_ptr_eq(p, BAD_POLICY); /* untouched on failure */
    ck_assert_int_eq(umfMempolicyDestroy(NULL), INV);
}
END_TEST

START_TEST(interleave_part_size) {
    umf_mempolicy_handle_t p = NULL;
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_INTERLEAVE, &p), OK);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 0), OK);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 1), OK);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 4096), OK);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, (size_t)1 << 30), OK);
    /* cannot be rounded up to a page */
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, SIZE_MAX), INV);
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(NULL, 4096), INV);
    /* partitions do not apply to INTERLEAVE */
    umf_mempolicy_split_partition_t part = {1, 0};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, &part, 1), INV);
    umfMempolicyDestroy(p);

    /* the part size applies to INTERLEAVE only */
    for (int i = 1; i < 4; i++) {
        ck_assert_int_eq(umfMempolicyCreate(all_modes[i], &p), OK);
        ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 4096), INV);
        ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 0), INV);
        umfMempolicyDestroy(p);
    }
}
END_TEST

START_TEST(split_partitions) {
    umf_mempolicy_handle_t p = NULL;
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &p), OK);
    umf_mempolicy_split_partition_t parts[3] = {{1, 0}, {2, 1}, {3, 2}};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 3), OK);
    /* replacing them is fine */
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 1), OK);
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(NULL, parts, 1), INV);
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, NULL, 1), INV);
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 0), INV);
    parts[1].weight = 0;
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 3), INV);
    /* the part size does not apply to SPLIT */
    ck_assert_int_eq(umfMempolicySetInterleavePartSize(p, 4096), INV);
    umfMempolicyDestroy(p);

    /* partitions apply to SPLIT only */
    parts[1].weight = 2;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(umfMempolicyCreate(all_modes[i], &p), OK);
        ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 3),
                         INV);
        umfMempolicyDestroy(p);
    }
}
END_TEST

/* Destroying a policy with partitions frees them (valgrind: no leak), and
 * so does replacing them. */
START_TEST(split_partitions_freed) {
    for (int round = 0; round < 100; round++) {
        umf_mempolicy_handle_t p = NULL;
        ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &p), OK);
        umf_mempolicy_split_partition_t parts[64];
        for (unsigned i = 0; i < 64; i++) {
            parts[i] = (umf_mempolicy_split_partition_t){i + 1, i};
        }
        ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 64),
                         OK);
        ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, parts, 2), OK);
        ck_assert_int_eq(umfMempolicyDestroy(p), OK);
    }
}
END_TEST

#if UMF_HAVE_HWLOC
/* Set partitions from a scratch array, then overwrite the array: the
 * policy kept a copy (the reference keeps the pointer). */
static void set_from_scratch(umf_mempolicy_handle_t p) {
    umf_mempolicy_split_partition_t scratch[2] = {{1, 1}, {3, 5}};
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, scratch, 2), OK);
    volatile umf_mempolicy_split_partition_t *v = scratch;
    v[0].target = 99;
    v[1].weight = 0;
}

START_TEST(split_partitions_copied) {
    mh_use_topology(FAKE4);
    umf_mempolicy_handle_t p = NULL;
    ck_assert_int_eq(umfMempolicyCreate(UMF_MEMPOLICY_SPLIT, &p), OK);
    set_from_scratch(p);
    /* {1, 5} holds both targets of the copy; node 99 would be rejected */
    unsigned ids[2] = {1, 5};
    umf_memspace_handle_t ms = mh_space(ids, 2);
    umf_memory_provider_handle_t prov = NULL;
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, p, &prov), OK);
    ck_assert_ptr_nonnull(prov);
    umfMemoryProviderDestroy(prov);
    /* the policy can be used again, and changed after use */
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, p, &prov), OK);
    umfMemoryProviderDestroy(prov);
    umf_mempolicy_split_partition_t other = {1, 2}; /* node 2: not in ms */
    ck_assert_int_eq(umfMempolicySetCustomSplitPartitions(p, &other, 1), OK);
    ck_assert_int_eq(umfMemoryProviderCreateFromMemspace(ms, p, &prov), INV);
    umfMemspaceDestroy(ms);
    umfMempolicyDestroy(p);
}
END_TEST
#endif

static Suite *mempolicy_suite(void) {
    Suite *s = suite_create("mempolicy");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, create_destroy);
    tcase_add_test(tc, create_invalid);
    tcase_add_test(tc, interleave_part_size);
    tcase_add_test(tc, split_partitions);
    tcase_add_test(tc, split_partitions_freed);
#if UMF_HAVE_HWLOC
    tcase_add_test(tc, split_partitions_copied);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(mempolicy_suite()); }
