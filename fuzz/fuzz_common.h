/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fuzz_common.h -- what the fuzz targets share: a private scratch
 * directory, byte patterns, and the check that turns a broken promise of
 * the library into a crash the fuzzer records. */
#ifndef UMF_FUZZ_COMMON_H
#define UMF_FUZZ_COMMON_H 1

#include <stddef.h>
#include <stdint.h>

/* A wrong result is a finding: print it and abort, so libFuzzer (or the
 * replay driver) reports the input that caused it. */
#define FUZZ_CHECK(cond, ...)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                 \
        }                                                                      \
    } while (0)

void fuzz_fail(const char *file, int line, const char *cond, const char *fmt,
               ...) __attribute__((noreturn, format(printf, 4, 5)));

/* hook runs before a finding aborts the process, and (ASan builds) when a
 * sanitizer report ends it, to remove what would outlive the process
 * (named shared memory); the scratch directory is removed then too. */
void fuzz_on_death(void (*hook)(void));

/* The process's scratch directory (created on first use, removed with its
 * files at exit): $UMF_FUZZ_TMPDIR or $TMPDIR or /tmp, then
 * umf-fuzz-PID. Files the targets make live only there. */
const char *fuzz_scratch_dir(void);

/* path = scratch dir + "/" + name; returns 0, or -1 when it does not fit. */
int fuzz_scratch_path(char *path, size_t cap, const char *name);

/* Fill n bytes with the pattern of seed; a block of more than
 * FUZZ_FULL_CHECK bytes gets a sparse one (its first and last 256 bytes
 * and every 12289th byte), which keeps large blocks cheap. Check with the
 * same n: a block grown by realloc is checked with its old size. */
#define FUZZ_FULL_CHECK ((size_t)4096)
void fuzz_fill(void *p, size_t n, uint32_t seed);
/* Offset of the first byte of p[0, n) that is not seed's, or SIZE_MAX. */
size_t fuzz_verify(const void *p, size_t n, uint32_t seed);
/* The same, for the bytes below limit only (what realloc keeps). */
size_t fuzz_verify_prefix(const void *p, size_t n, size_t limit, uint32_t seed);

/* Number of open descriptors of the process. */
int fuzz_count_fds(void);

/* Number of lines of /proc/self/maps that contain needle. */
int fuzz_count_mappings(const char *needle);

#endif /* UMF_FUZZ_COMMON_H */
