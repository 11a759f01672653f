/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tsan_jemalloc.h -- ThreadSanitizer defaults of a test program that runs
 * the jemalloc pool (include it in one file of the program).
 *
 * jemalloc is not built for ThreadSanitizer: its own locking (trylock
 * spins, fork handlers) and the copies it makes under its locks look like
 * races and mutex misuse to TSan. Its fork handler and libumf's together
 * hold more mutexes than TSan's deadlock detector tracks. */
#ifndef UMF_TEST_TSAN_JEMALLOC_H
#define UMF_TEST_TSAN_JEMALLOC_H 1

#if defined(__SANITIZE_THREAD__)
#define UMF_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UMF_TEST_TSAN 1
#endif
#endif
#ifdef UMF_TEST_TSAN
const char *__tsan_default_suppressions(void);
const char *__tsan_default_options(void);
__attribute__((visibility("default"))) const char *
__tsan_default_suppressions(void) {
    return "race:libjemalloc.so.2\n";
}
__attribute__((visibility("default"))) const char *
__tsan_default_options(void) {
    return "report_mutex_bugs=0:detect_deadlocks=0";
}
#endif

#endif /* UMF_TEST_TSAN_JEMALLOC_H */
