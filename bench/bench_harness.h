/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_harness.h -- timing loop, statistics and result table for make bench
 *
 * A benchmark is a function that performs one operation `iters` times.  The
 * harness calibrates `iters` so that one repetition takes about
 * UMF_BENCH_MS milliseconds (default 20), runs one untimed warm-up and then
 * UMF_BENCH_REPS timed repetitions (default 11), and keeps the median, the
 * minimum and the maximum of the wall-clock nanoseconds per operation.
 *
 * With several threads every thread performs `iters` operations between two
 * barriers and the time is that of the slowest, so "ns per operation" is
 * wall time / (iters * threads): the inverse of the total throughput.
 *
 * Results go into one table, printed by bench_print_table().  A result may
 * name an earlier one as its baseline; the table then shows their ratio,
 * either of times (how many times slower) or of throughputs (how many times
 * more operations per second).  Nothing here judges the figures.
 */
#ifndef UMF_BENCH_HARNESS_H
#define UMF_BENCH_HARNESS_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Perform the measured operation `iters` times.  `thread` is 0..threads-1. */
typedef void (*bench_fn_t)(void *arg, unsigned thread, size_t iters);

/* How a result compares with its baseline. */
typedef enum bench_ratio_kind_t {
    BENCH_RATIO_NONE,      /* no baseline */
    BENCH_RATIO_TIME,      /* median / baseline median: "x slower" */
    BENCH_RATIO_THROUGHPUT /* baseline median / median: "x the ops/s" */
} bench_ratio_kind_t;

/* Read UMF_BENCH_REPS and UMF_BENCH_MS; returns 0, or -1 on a bad value. */
int bench_init(void);

/* Start a new section of the table. */
void bench_section(const char *title);

/* Add a line of free text (a note, a target) to the table. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record that a benchmark could not run, and why. */
void bench_unavailable(const char *name, const char *reason);

/* Measure fn on `threads` threads (1 runs on the calling thread).  Returns
 * the result's index for bench_compare() and bench_median(), or -1 when the
 * measurement itself failed (threads could not start, out of table rows). */
int bench_run(const char *name, bench_fn_t fn, void *arg, unsigned threads);

/* Make result `idx` show its ratio to result `baseline`. */
void bench_compare(int idx, int baseline, bench_ratio_kind_t kind);

/* Median ns per operation of result `idx`; 0 when idx is not a result. */
double bench_median(int idx);

/* The ratio bench_compare() would show; 0 when either result is missing. */
double bench_ratio(int idx, int baseline, bench_ratio_kind_t kind);

/* Print the whole table to stdout. */
void bench_print_table(void);

/* The number of timed repetitions (UMF_BENCH_REPS, default 11). */
unsigned bench_reps(void);

/* Sort v[0..n) and give its minimum, median and maximum (n > 0). */
void bench_stats(double *v, unsigned n, double *min, double *median,
                 double *max);

/* Record that a benchmark ran incorrectly (wrong data, a failed call):
 * says why on stderr; bench_failures() then returns 1.  Thread-safe. */
void bench_fail(const char *what);
int bench_failures(void);

#ifdef __cplusplus
}
#endif

/* xorshift64*: a fixed-seed generator (a non-zero seed), so every run
 * draws the same sequence; inline, for programs that do not link the
 * harness too. */
static inline uint64_t bench_rand(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

#endif /* UMF_BENCH_HARNESS_H */
