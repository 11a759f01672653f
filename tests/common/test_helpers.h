/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_helpers.h -- small helpers shared by the Check programs.
 *
 * Nothing here references libumf, so test_init_teardown (which dlopens the
 * library instead of linking it) can use these helpers too. */
#ifndef UMF_TEST_HELPERS_H
#define UMF_TEST_HELPERS_H 1

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/* Exit status automake's harness reads as "skipped". */
#define UMF_TEST_SKIP 77

/* Run s with CK_NORMAL output (CK_VERBOSE when CK_VERBOSITY=verbose; fork
 * mode as configured by the environment, Check's default being fork) and
 * return EXIT_SUCCESS when every check passed, EXIT_FAILURE otherwise.
 * Frees s. */
int umf_test_run_suite(Suite *s);

/* main() of a program whose tests re-run it as a child process: with the
 * arguments "--child SCENARIO" return child_main(SCENARIO); otherwise note
 * this program's path for umf_test_run_child and return
 * umf_test_run_suite(suite()). */
int umf_test_main(int argc, char **argv, Suite *(*suite)(void),
                  int (*child_main)(const char *scenario));

/* Run this program (started through umf_test_main) again as
 * "PROG --child scenario" (fork + execv) with UMF_LOG set to
 * "level:<log_level>;output:file,<a temporary file>" and, when env_name is
 * not NULL, env_name set to env_value (unset when env_value is NULL). Wait
 * for it, store its wait status in *wait_status and return the text it
 * logged (malloc'ed; the caller frees it). Fails the current test when the
 * child cannot be started or its log cannot be read. */
char *umf_test_run_child(const char *scenario, const char *log_level,
                         const char *env_name, const char *env_value,
                         int *wait_status);

/* Print "SKIP: <why>" on one line and exit with UMF_TEST_SKIP. */
void umf_test_skip(const char *why) __attribute__((noreturn));

/* Number of open file descriptors of this process (/proc/self/fd), or
 * (size_t)-1 when it cannot be read. */
size_t umf_test_count_fds(void);

/* Bytes of this process's mappings whose /proc/self/maps line contains
 * one of names (NULL-terminated; names NULL: every mapping), or (size_t)-1
 * when the maps cannot be read. Reads without stdio, so reading maps
 * nothing. */
size_t umf_test_mapped_bytes(const char *const *names);

/* Number of mappings of this process (lines of /proc/self/maps), or
 * (size_t)-1 when it cannot be read. */
size_t umf_test_count_mappings(void);

/* Does [addr, addr+len) lie inside one readable mapping of this process? */
int umf_test_is_mapped(const void *addr, size_t len);

/* System page size. */
size_t umf_test_page_size(void);

/* Is this process run by valgrind (its preload library is loaded)? */
int umf_test_under_valgrind(void);

/* How much slower than native this run is: CK_TIMEOUT_MULTIPLIER, which
 * make check-valgrind sets (20), else 1. Tests that divide their work by
 * it stay bounded under valgrind. */
unsigned umf_test_slowdown(void);

/* Run fn(arg_i) on n threads at once (released together by a barrier) and
 * join them. args is an array of n elements of elem_size bytes (NULL: every
 * thread gets its index cast to a pointer). Returns 0 or an errno value. */
int umf_test_run_threads(unsigned n, void *(*fn)(void *), void *args,
                         size_t elem_size);

/* Deterministic pseudo-random numbers (xorshift64*); *state must start
 * non-zero. */
uint64_t umf_test_rand(uint64_t *state);

/* Fill / verify a buffer with a pattern derived from seed. Verify returns 1
 * when the whole buffer matches. */
void umf_test_fill(void *buf, size_t len, unsigned seed);
int umf_test_verify(const void *buf, size_t len, unsigned seed);

/* Is every byte of buf equal to c? */
int umf_test_all_bytes(const void *buf, size_t len, unsigned char c);

#endif /* UMF_TEST_HELPERS_H */
