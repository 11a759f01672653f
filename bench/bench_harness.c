/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* bench_harness.c -- timing loop, statistics and result table for make bench */

#include "bench_harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_ROWS 128
#define BENCH_TEXT_LEN 160
#define BENCH_MAX_REPS 1001

typedef enum row_kind_t {
    ROW_SECTION,
    ROW_NOTE,
    ROW_RESULT,
    ROW_UNAVAILABLE
} row_kind_t;

typedef struct row_t {
    row_kind_t kind;
    char text[BENCH_TEXT_LEN]; /* title, note, or benchmark name */
    char reason[BENCH_TEXT_LEN];
    unsigned threads;
    size_t iters;
    double median_ns, min_ns, max_ns;
    int baseline;
    bench_ratio_kind_t ratio_kind;
} row_t;

static row_t rows[BENCH_MAX_ROWS];
static int nrows;
static unsigned reps = 11;
static double target_ns = 20e6;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Parse a positive decimal environment variable; 0 when unset. */
static int env_positive(const char *name, unsigned long max,
                        unsigned long *out) {
    const char *s = getenv(name);
    char *end;
    unsigned long v;

    *out = 0;
    if (s == NULL || *s == '\0') {
        return 0;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > max) {
        fprintf(stderr, "bench: %s must be a number from 1 to %lu, not '%s'\n",
                name, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int bench_init(void) {
    unsigned long v;

    if (env_positive("UMF_BENCH_REPS", BENCH_MAX_REPS, &v) != 0) {
        return -1;
    }
    if (v != 0) {
        reps = (unsigned)v;
    }
    if (env_positive("UMF_BENCH_MS", 10000, &v) != 0) {
        return -1;
    }
    if (v != 0) {
        target_ns = (double)v * 1e6;
    }
    printf("Each figure: median of %u repetitions of about %.0f ms, after a "
           "warm-up;\nns/op is wall time per operation (with N threads: wall "
           "time / (N x ops per thread)).\n\n",
           reps, target_ns / 1e6);
    return 0;
}

static row_t *new_row(row_kind_t kind, const char *text) {
    row_t *r;

    if (nrows == BENCH_MAX_ROWS) {
        fprintf(stderr, "bench: result table full, dropping '%s'\n", text);
        return NULL;
    }
    r = &rows[nrows++];
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->baseline = -1;
    snprintf(r->text, sizeof(r->text), "%s", text);
    return r;
}

void bench_section(const char *title) {
    new_row(ROW_SECTION, title);
    fprintf(stderr, "bench: %s\n", title);
}

void bench_note(const char *fmt, ...) {
    char buf[BENCH_TEXT_LEN];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    new_row(ROW_NOTE, buf);
}

void bench_unavailable(const char *name, const char *reason) {
    row_t *r = new_row(ROW_UNAVAILABLE, name);

    if (r != NULL) {
        snprintf(r->reason, sizeof(r->reason), "%s", reason);
    }
    fprintf(stderr, "bench:   %s: unavailable (%s)\n", name, reason);
}

/* ---- running a body on one or several threads ---- */

typedef struct runner_t {
    bench_fn_t fn;
    void *arg;
    unsigned threads;
    size_t iters;
    int quit;
    pthread_barrier_t start, end;
    pthread_t *tids;
} runner_t;

typedef struct worker_arg_t {
    runner_t *runner;
    unsigned index;
} worker_arg_t;

static void *worker_main(void *p) {
    worker_arg_t *w = p;
    runner_t *r = w->runner;

    for (;;) {
        pthread_barrier_wait(&r->start);
        if (r->quit) {
            break;
        }
        r->fn(r->arg, w->index, r->iters);
        pthread_barrier_wait(&r->end);
    }
    return NULL;
}

/* Wall nanoseconds for one repetition of `iters` operations per thread.
 * The calling thread only waits on the barriers, so with N threads it does
 * not compete with the workers for a CPU. */
static double run_once(runner_t *r, size_t iters) {
    double t0, t1;

    if (r->threads == 1) {
        t0 = now_ns();
        r->fn(r->arg, 0, iters);
        t1 = now_ns();
        return t1 - t0;
    }
    r->iters = iters;
    t0 = now_ns();
    pthread_barrier_wait(&r->start);
    pthread_barrier_wait(&r->end);
    t1 = now_ns();
    return t1 - t0;
}

static int runner_start(runner_t *r, worker_arg_t *wargs) {
    unsigned i;

    if (r->threads == 1) {
        return 0;
    }
    r->tids = calloc(r->threads, sizeof(*r->tids));
    if (r->tids == NULL) {
        return -1;
    }
    pthread_barrier_init(&r->start, NULL, r->threads + 1);
    pthread_barrier_init(&r->end, NULL, r->threads + 1);
    for (i = 0; i < r->threads; i++) {
        wargs[i].runner = r;
        wargs[i].index = i;
        if (pthread_create(&r->tids[i], NULL, worker_main, &wargs[i]) != 0) {
            fprintf(stderr, "bench: pthread_create failed\n");
            /* Fewer threads joined the barrier than it waits for: the
             * process cannot go on measuring. */
            exit(EXIT_FAILURE);
        }
    }
    return 0;
}

static void runner_stop(runner_t *r) {
    unsigned i;

    if (r->threads == 1) {
        return;
    }
    r->quit = 1;
    pthread_barrier_wait(&r->start);
    for (i = 0; i < r->threads; i++) {
        pthread_join(r->tids[i], NULL);
    }
    pthread_barrier_destroy(&r->start);
    pthread_barrier_destroy(&r->end);
    free(r->tids);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int bench_run(const char *name, bench_fn_t fn, void *arg, unsigned threads) {
    double samples[BENCH_MAX_REPS];
    worker_arg_t wargs[64];
    runner_t r;
    size_t iters = 1;
    double t, ops;
    unsigned i;
    row_t *row;

    if (threads == 0 || threads > 64) {
        fprintf(stderr, "bench: %s: bad thread count %u\n", name, threads);
        return -1;
    }
    fprintf(stderr, "bench:   %s, %u thread%s\n", name, threads,
            threads == 1 ? "" : "s");
    memset(&r, 0, sizeof(r));
    r.fn = fn;
    r.arg = arg;
    r.threads = threads;
    if (runner_start(&r, wargs) != 0) {
        return -1;
    }

    /* Calibrate on the calling thread alone: grow the count until a run is
     * long enough to time, then scale it to the target.  Doing this without
     * the barriers keeps a slow thread wake-up on a busy machine from
     * passing for the cost of the operation.  These runs also warm caches
     * and allocators.  Every thread then performs the calibrated count.
     * One untimed operation first: on a cold pool it maps a slab, and
     * timed it would make the count so small that the barriers, not the
     * operation, are measured. */
    fn(arg, 0, 1);
    for (;;) {
        double t0 = now_ns();
        fn(arg, 0, iters);
        t = now_ns() - t0;
        if (t >= target_ns / 10 || iters >= SIZE_MAX / 16) {
            break;
        }
        iters *= (t < target_ns / 1000) ? 16 : 2;
    }
    if (t > 0) {
        double scaled = (double)iters * target_ns / t;
        iters = scaled < 1 ? 1 : (size_t)scaled;
    }
    (void)run_once(&r, iters); /* warm-up at the final count */

    ops = (double)iters * threads;
    for (i = 0; i < reps; i++) {
        samples[i] = run_once(&r, iters) / ops;
    }
    runner_stop(&r);

    row = new_row(ROW_RESULT, name);
    if (row == NULL) {
        return -1;
    }
    row->threads = threads;
    row->iters = iters;
    bench_stats(samples, reps, &row->min_ns, &row->median_ns, &row->max_ns);
    return (int)(row - rows);
}

unsigned bench_reps(void) { return reps; }

void bench_stats(double *v, unsigned n, double *min, double *median,
                 double *max) {
    qsort(v, n, sizeof(v[0]), cmp_double);
    *min = v[0];
    *max = v[n - 1];
    *median = (n % 2) ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int failed;

void bench_fail(const char *what) {
    fprintf(stderr, "bench: %s\n", what);
    __atomic_store_n(&failed, 1, __ATOMIC_RELAXED);
}

int bench_failures(void) { return __atomic_load_n(&failed, __ATOMIC_RELAXED); }

static int is_result(int idx) {
    return idx >= 0 && idx < nrows && rows[idx].kind == ROW_RESULT;
}

void bench_compare(int idx, int baseline, bench_ratio_kind_t kind) {
    if (is_result(idx) && is_result(baseline)) {
        rows[idx].baseline = baseline;
        rows[idx].ratio_kind = kind;
    }
}

double bench_median(int idx) {
    return is_result(idx) ? rows[idx].median_ns : 0;
}

double bench_ratio(int idx, int baseline, bench_ratio_kind_t kind) {
    double a, b;

    if (!is_result(idx) || !is_result(baseline)) {
        return 0;
    }
    a = rows[idx].median_ns;
    b = rows[baseline].median_ns;
    if (a <= 0 || b <= 0) {
        return 0;
    }
    switch (kind) {
    case BENCH_RATIO_TIME:
        return a / b;
    case BENCH_RATIO_THROUGHPUT:
        return b / a;
    case BENCH_RATIO_NONE:
        break;
    }
    return 0;
}

void bench_print_table(void) {
    int i;

    printf("%-52s %3s %10s %10s %10s %9s  %s\n", "benchmark", "thr", "median",
           "min", "max", "Mops/s", "ratio");
    printf("%-52s %3s %10s %10s %10s %9s\n", "", "", "ns/op", "ns/op", "ns/op",
           "");
    for (i = 0; i < nrows; i++) {
        const row_t *r = &rows[i];

        switch (r->kind) {
        case ROW_SECTION:
            printf("\n%s\n", r->text);
            break;
        case ROW_NOTE:
            printf("  %s\n", r->text);
            break;
        case ROW_UNAVAILABLE:
            printf("  %s: unavailable (%s)\n", r->text, r->reason);
            break;
        case ROW_RESULT:
            printf("  %-50s %3u %10.1f %10.1f %10.1f %9.2f", r->text,
                   r->threads, r->median_ns, r->min_ns, r->max_ns,
                   r->median_ns > 0 ? 1e3 / r->median_ns : 0.0);
            if (r->baseline >= 0) {
                double q = bench_ratio(i, r->baseline, r->ratio_kind);
                printf("  %.2f x %s of \"%s\"", q,
                       r->ratio_kind == BENCH_RATIO_TIME ? "the time"
                                                         : "the ops/s",
                       rows[r->baseline].text);
                if (r->ratio_kind == BENCH_RATIO_THROUGHPUT &&
                    rows[r->baseline].threads != r->threads) {
                    printf(" (%u thr)", rows[r->baseline].threads);
                }
            }
            printf("\n");
            break;
        }
    }
}
