/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_util.c -- white-box tests of lib/util: the base allocator, the bump
 * arena and the UMF_LOG logger. Links lib/libumf_internal.la. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/base_alloc_internal.h"
#include "util/bump_arena_internal.h"
#include "util/dl_symbols_internal.h"
#include "util/log_internal.h"

#include "test_helpers.h"

/* ============================ base allocator ============================ */

static void ba_check_block(size_t size) {
    unsigned char *p = umf_ba_alloc(size);
    ck_assert_msg(p != NULL, "umf_ba_alloc(%zu) failed", size);
    ck_assert_msg((uintptr_t)p % 16 == 0,
                  "umf_ba_alloc(%zu) = %p not 16-byte "
                  "aligned",
                  size, (void *)p);
    memset(p, 0xa5, size);
    ck_assert_int_eq(p[0], 0xa5);
    ck_assert_int_eq(p[size - 1], 0xa5);
    umf_ba_free(p);
}

START_TEST(ba_sizes) {
    size_t start = umf_ba_live_count();
    for (size_t s = 1; s <= 1024; s++) {
        ba_check_block(s);
    }
    for (size_t s = 1025; s <= 65536; s += 97) {
        ba_check_block(s);
    }
    for (unsigned shift = 4; shift <= 16; shift++) {
        size_t s = (size_t)1 << shift;
        ba_check_block(s - 1);
        ba_check_block(s);
        ba_check_block(s + 1);
        if (s > 16) {
            ba_check_block(s - 16); /* fills a class exactly with a header */
        }
    }
    ba_check_block(65536);
    ba_check_block((size_t)1 << 20);
    ba_check_block(((size_t)1 << 20) + 1);
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

START_TEST(ba_many_live_blocks) {
    size_t start = umf_ba_live_count();
    enum { N = 2000 };
    unsigned char *p[N];
    size_t sz[N];
    uint64_t rnd = 77;
    for (unsigned i = 0; i < N; i++) {
        sz[i] = 1 + umf_test_rand(&rnd) % (i % 100 == 0 ? 200000 : 3000);
        p[i] = umf_ba_alloc(sz[i]);
        ck_assert_ptr_nonnull(p[i]);
        umf_test_fill(p[i], sz[i], i);
    }
    ck_assert_uint_eq(umf_ba_live_count(), start + N);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_msg(umf_test_verify(p[i], sz[i], i),
                      "block %u (%zu bytes) overwritten", i, sz[i]);
    }
    for (unsigned i = 0; i < N; i += 2) {
        umf_ba_free(p[i]);
    }
    for (unsigned i = 1; i < N; i += 2) {
        ck_assert(umf_test_verify(p[i], sz[i], i));
        umf_ba_free(p[i]);
    }
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

START_TEST(ba_impossible_sizes) {
    size_t start = umf_ba_live_count();
    ck_assert_ptr_null(umf_ba_alloc(0));
    ck_assert_ptr_null(umf_ba_alloc(SIZE_MAX));
    ck_assert_ptr_null(umf_ba_alloc(SIZE_MAX - 8));
    ck_assert_ptr_null(umf_ba_alloc(SIZE_MAX - umf_test_page_size()));
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

/* Blocks are carved from a class's region as they are needed: many of
 * one class cross region boundaries without overlapping, never-used ones
 * come back zeroed by calloc without a memset, and reused ones are
 * cleared. */
START_TEST(ba_calloc_fresh_and_reused) {
    enum { N = 5000 }; /* 48-byte blocks: several 64 KiB regions */
    size_t start = umf_ba_live_count();
    unsigned char **p = malloc(N * sizeof(*p));
    ck_assert_ptr_nonnull(p);
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < N; i++) {
            p[i] = umf_ba_calloc(1, 40);
            ck_assert_ptr_nonnull(p[i]);
            for (unsigned k = 0; k < 40; k++) {
                ck_assert_msg(p[i][k] == 0, "round %d block %u byte %u = %d",
                              round, i, k, p[i][k]);
            }
            umf_test_fill(p[i], 40, i);
        }
        for (unsigned i = 0; i < N; i++) {
            ck_assert_msg(umf_test_verify(p[i], 40, i), "block %u overlaps",
                          i);
            umf_ba_free(p[i]);
        }
    }
    free(p);
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

START_TEST(ba_calloc) {
    size_t start = umf_ba_live_count();
    /* dirty a block of the same class first */
    unsigned char *d = umf_ba_alloc(1000);
    ck_assert_ptr_nonnull(d);
    memset(d, 0xff, 1000);
    umf_ba_free(d);
    unsigned char *p = umf_ba_calloc(10, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert(umf_test_all_bytes(p, 1000, 0));
    umf_ba_free(p);
    p = umf_ba_calloc(1, (size_t)1 << 20);
    ck_assert_ptr_nonnull(p);
    ck_assert(umf_test_all_bytes(p, (size_t)1 << 20, 0));
    umf_ba_free(p);
    /* num * size overflows */
    ck_assert_ptr_null(umf_ba_calloc(SIZE_MAX / 2 + 1, 2));
    ck_assert_ptr_null(umf_ba_calloc(2, SIZE_MAX / 2 + 1));
    ck_assert_ptr_null(umf_ba_calloc(SIZE_MAX, SIZE_MAX));
    ck_assert_ptr_null(umf_ba_calloc((size_t)1 << 33, (size_t)1 << 33));
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

START_TEST(ba_free_null_and_strdup) {
    size_t start = umf_ba_live_count();
    umf_ba_free(NULL);
    ck_assert_uint_eq(umf_ba_live_count(), start);
    ck_assert_ptr_null(umf_ba_strdup(NULL));
    char *s = umf_ba_strdup("unified memory");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "unified memory");
    char *e = umf_ba_strdup("");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e, "");
    ck_assert_uint_eq(umf_ba_live_count(), start + 2);
    umf_ba_free(s);
    umf_ba_free(e);
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

typedef struct ba_worker_t {
    unsigned seed;
    unsigned failures;
} ba_worker_t;

static void *ba_worker(void *arg) {
    ba_worker_t *w = arg;
    enum { LIVE = 32, OPS = 6000 };
    unsigned char *p[LIVE] = {0};
    size_t sz[LIVE] = {0};
    uint64_t rnd = 0xabcdef + w->seed;
    for (unsigned op = 0; op < OPS; op++) {
        unsigned s = (unsigned)(umf_test_rand(&rnd) % LIVE);
        if (p[s]) {
            if (!umf_test_verify(p[s], sz[s], w->seed + s)) {
                w->failures++;
            }
            umf_ba_free(p[s]);
            p[s] = NULL;
        } else {
            sz[s] = 1 + umf_test_rand(&rnd) % (op % 64 == 0 ? 100000 : 5000);
            p[s] = umf_ba_alloc(sz[s]);
            if (!p[s] || (uintptr_t)p[s] % 16 != 0) {
                w->failures++;
                continue;
            }
            umf_test_fill(p[s], sz[s], w->seed + s);
        }
    }
    for (unsigned s = 0; s < LIVE; s++) {
        umf_ba_free(p[s]);
    }
    return NULL;
}

START_TEST(ba_concurrent) {
    size_t start = umf_ba_live_count();
    ba_worker_t w[4];
    for (unsigned t = 0; t < 4; t++) {
        w[t].seed = 1000u * (t + 1);
        w[t].failures = 0;
    }
    ck_assert_int_eq(umf_test_run_threads(4, ba_worker, w, sizeof(w[0])), 0);
    for (unsigned t = 0; t < 4; t++) {
        ck_assert_msg(w[t].failures == 0, "thread %u: %u failures", t,
                      w[t].failures);
    }
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

/* ============================== bump arena ============================== */

/* Blocks are zeroed, 64-byte aligned, whole lines, consecutive within a
 * chunk; bad sizes get NULL; destroy gives every chunk back. */
START_TEST(bump_blocks) {
    size_t start = umf_ba_live_count();
    umf_bump_arena_t arena = {0};
    umf_bump_cursor_t cur = {0};
    ck_assert_ptr_null(umf_bump_alloc(&arena, &cur, 0));
    ck_assert_ptr_null(
        umf_bump_alloc(&arena, &cur, UMF_BUMP_ARENA_MAX_BLOCK + 1));
    ck_assert_uint_eq(umf_ba_live_count(), start);

    char *prev = NULL;
    for (int i = 0; i < 40; i++) {
        char *p = umf_bump_alloc(&arena, &cur, 100);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 64, 0);
        ck_assert(umf_test_all_bytes(p, 128, 0));
        memset(p, 0xee, 128);
        if (prev) {
            ck_assert_ptr_eq(p, prev + 128); /* rounded to whole lines */
        }
        prev = p;
    }
    ck_assert_uint_eq(umf_ba_live_count(), start + 1); /* one chunk */
    /* largest blocks: a chunk holds fewer than 16 of them with its header,
     * so 40 take several chunks */
    for (int i = 0; i < 40; i++) {
        char *p = umf_bump_alloc(&arena, &cur, UMF_BUMP_ARENA_MAX_BLOCK);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % 64, 0);
        ck_assert(umf_test_all_bytes(p, UMF_BUMP_ARENA_MAX_BLOCK, 0));
        memset(p, 0xee, UMF_BUMP_ARENA_MAX_BLOCK);
    }
    ck_assert_uint_ge(umf_ba_live_count(), start + 3);
    umf_bump_arena_destroy(&arena);
    ck_assert_uint_eq(umf_ba_live_count(), start);
    ck_assert_ptr_null(arena.chunks);
}
END_TEST

/* What a released cursor left is the next empty cursor's, so users that
 * come and go do not take a chunk each; a smaller remainder does not
 * replace a larger spare. */
START_TEST(bump_cursor_release) {
    size_t start = umf_ba_live_count();
    umf_bump_arena_t arena = {0};
    umf_bump_cursor_t a = {0}, b = {0}, c = {0};
    char *pa = umf_bump_alloc(&arena, &a, 64);
    ck_assert_ptr_nonnull(pa);
    umf_bump_cursor_release(&arena, &a);
    ck_assert_ptr_null(a.next);
    ck_assert_uint_eq(a.left, 0);
    char *pb = umf_bump_alloc(&arena, &b, 64);
    ck_assert_ptr_eq(pb, pa + 64); /* a's remainder */
    ck_assert_uint_eq(umf_ba_live_count(), start + 1);
    ck_assert_ptr_null(arena.spare.next);

    /* c takes a chunk of its own; b's larger remainder stays the spare */
    ck_assert_ptr_nonnull(umf_bump_alloc(&arena, &c, 64));
    ck_assert_uint_eq(umf_ba_live_count(), start + 2);
    ck_assert_ptr_nonnull(umf_bump_alloc(&arena, &c, 4096));
    umf_bump_cursor_release(&arena, &b);
    size_t spare = arena.spare.left;
    umf_bump_cursor_release(&arena, &c);
    ck_assert_uint_eq(arena.spare.left, spare);
    umf_bump_arena_destroy(&arena);
    ck_assert_uint_eq(umf_ba_live_count(), start);
}
END_TEST

/* ================================ logger ================================ */

/* Functions with fixed names, since the name appears in every line. */
__attribute__((noinline)) static void log_emit_all(void) {
    LOG_DEBUG("debug %d", 1);
    LOG_INFO("info %d", 2);
    LOG_WARN("warning %d", 3);
    LOG_ERR("error %d", 4);
}

__attribute__((noinline)) static void log_emit_one(void) {
    LOG_ERR("hello %d %s", 42, "world");
}

__attribute__((noinline)) static void log_emit_fatal(void) {
    LOG_FATAL("boom %d", 7);
}

__attribute__((noinline)) static void log_emit_perr(void) {
    errno = ENOENT;
    LOG_PERR("open %s", "nowhere");
}

static char log_path[64];

/* Point UMF_LOG at a fresh temporary file with the given extra options. */
static void log_setup(const char *options) {
    strcpy(log_path, "/tmp/umf_test_log_XXXXXX");
    int fd = mkstemp(log_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    char env[512];
    snprintf(env, sizeof(env), "%s%soutput:file,%s", options,
             options[0] ? ";" : "", log_path);
    ck_assert_int_eq(setenv("UMF_LOG", env, 1), 0);
    utils_log_init();
}

/* Turn logging off (closes and flushes the file), return its contents. */
static char *log_finish(void) {
    unsetenv("UMF_LOG");
    utils_log_init();
    FILE *f = fopen(log_path, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
    }
    buf[len] = '\0';
    fclose(f);
    unlink(log_path);
    return buf;
}

static int count_lines(const char *s) {
    int n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

START_TEST(log_level_filtering) {
    log_setup("level:warning;flush:debug");
    ck_assert(utils_log_enabled(LOG_WARNING_LEVEL));
    ck_assert(!utils_log_enabled(LOG_INFO_LEVEL));
    log_emit_all();
    char *out = log_finish();
    ck_assert_str_eq(out, "[WARNING UMF] log_emit_all: warning 3\n"
                          "[ERROR UMF] log_emit_all: error 4\n");
    free(out);
}
END_TEST

START_TEST(log_debug_level) {
    log_setup("level:debug");
    ck_assert(utils_log_enabled(LOG_DEBUG_LEVEL));
    log_emit_all();
    char *out = log_finish();
    ck_assert_str_eq(out, "[DEBUG UMF] log_emit_all: debug 1\n"
                          "[INFO UMF] log_emit_all: info 2\n"
                          "[WARNING UMF] log_emit_all: warning 3\n"
                          "[ERROR UMF] log_emit_all: error 4\n");
    free(out);
}
END_TEST

START_TEST(log_default_level_is_error) {
    log_setup("");
    log_emit_all();
    log_emit_fatal();
    char *out = log_finish();
    ck_assert_str_eq(out, "[ERROR UMF] log_emit_all: error 4\n"
                          "[FATAL UMF] log_emit_fatal: boom 7\n");
    free(out);
}
END_TEST

START_TEST(log_bad_values_ignored) {
    log_setup("level:loud;pid:maybe;timestamp:1;colour:yes;nonsense");
    log_emit_all();
    char *out = log_finish();
    ck_assert_str_eq(out, "[ERROR UMF] log_emit_all: error 4\n");
    free(out);
}
END_TEST

START_TEST(log_format) {
    log_setup("level:info");
    int e = errno = 1234;
    log_emit_one();
    ck_assert_int_eq(errno, e); /* errno preserved */
    log_emit_perr();
    ck_assert_int_eq(errno, ENOENT);
    char *out = log_finish();
    ck_assert_str_eq(out, "[ERROR UMF] log_emit_one: hello 42 world\n"
                          "[ERROR UMF] log_emit_perr: open nowhere: "
                          "No such file or directory\n");
    free(out);
}
END_TEST

START_TEST(log_pid) {
    log_setup("pid:yes");
    log_emit_one();
    char *out = log_finish();
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "[PID:%d TID:", (int)getpid());
    ck_assert_msg(strncmp(out, prefix, strlen(prefix)) == 0,
                  "pid:yes line \"%s\" does not start with \"%s\"", out,
                  prefix);
    ck_assert_ptr_nonnull(
        strstr(out, " ERROR UMF] log_emit_one: hello 42 world\n"));
    ck_assert_int_eq(count_lines(out), 1);
    free(out);
}
END_TEST

START_TEST(log_timestamp) {
    log_setup("timestamp:yes");
    log_emit_one();
    char *out = log_finish();
    regex_t re;
    ck_assert_int_eq(
        regcomp(&re,
                "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} "
                "ERROR UMF\\] log_emit_one: hello 42 world\n$",
                REG_EXTENDED),
        0);
    ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0,
                  "timestamp line has an unexpected form: %s", out);
    regfree(&re);
    free(out);
}
END_TEST

__attribute__((noinline)) static void log_emit_long(const char *big) {
    LOG_ERR("%s", big);
    LOG_ERR("after %d", 1);
}

START_TEST(log_long_message) {
    log_setup("pid:yes;timestamp:yes");
    size_t n = 20 * 1024;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', n);
    big[n] = '\0';
    log_emit_long(big);
    errno = ENOENT;
    utils_log(LOG_ERROR_LEVEL, true, "log_long_message", "%s", big);
    char *out = log_finish();
    ck_assert_int_eq(count_lines(out), 3);
    char *l1 = out, *l2 = strchr(l1, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
    size_t len1 = (size_t)(l2 - l1 - 1), len3 = strlen(l3) - 1;
    ck_assert_msg(len1 >= 4096 && len1 < 8192,
                  "a 20 KiB message gave a %zu-byte line", len1);
    ck_assert_ptr_nonnull(strstr(l1, " ERROR UMF] log_emit_long: xxxx"));
    /* after the prefix the line is only the message's bytes */
    const char *body =
        strstr(l1, "log_emit_long: ") + strlen("log_emit_long: ");
    ck_assert(umf_test_all_bytes(body, (size_t)(l2 - 1 - body), 'x'));
    ck_assert_ptr_nonnull(strstr(l2, " ERROR UMF] log_emit_long: after 1\n"));
    ck_assert_msg(len3 < 8192, "a 20 KiB message with errno gave %zu bytes",
                  len3);
    free(out);
    free(big);
}
END_TEST

/* Run fn in a child with stdout and stderr captured. */
static void capture(void (*fn)(void), char *out, size_t outlen, char *err,
                    size_t errlen) {
    int po[2], pe[2];
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        utils_log_init();
        fn();
        fflush(stdout);
        fflush(stderr);
        _exit(0);
    }
    close(po[1]);
    close(pe[1]);
    int st = 0;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ssize_t n = read(po[0], out, outlen - 1);
    out[n > 0 ? n : 0] = '\0';
    n = read(pe[0], err, errlen - 1);
    err[n > 0 ? n : 0] = '\0';
    close(po[0]);
    close(pe[0]);
}

static void emit_everything(void) {
    log_emit_all();
    log_emit_one();
}

START_TEST(log_no_output_option) {
    char out[4096], err[4096];
    ck_assert_int_eq(setenv("UMF_LOG", "level:debug;flush:debug", 1), 0);
    utils_log_init();
    ck_assert(!utils_log_enabled(LOG_ERROR_LEVEL));
    ck_assert(utils_log_enabled(LOG_FATAL_LEVEL));
    capture(emit_everything, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
    unsetenv("UMF_LOG");
    capture(emit_everything, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(log_fatal_without_output) {
    char out[4096], err[4096];
    unsetenv("UMF_LOG");
    capture(log_emit_fatal, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "[FATAL UMF] log_emit_fatal: boom 7\n");
    ck_assert_int_eq(setenv("UMF_LOG", "level:debug", 1), 0);
    capture(log_emit_fatal, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(err, "[FATAL UMF] log_emit_fatal: boom 7\n");
}
END_TEST

START_TEST(log_output_stdout_stderr) {
    char out[4096], err[4096];
    ck_assert_int_eq(setenv("UMF_LOG", "output:stdout", 1), 0);
    capture(log_emit_one, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(out, "[ERROR UMF] log_emit_one: hello 42 world\n");
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(setenv("UMF_LOG", "output:stderr;level:warning", 1), 0);
    capture(log_emit_all, out, sizeof(out), err, sizeof(err));
    ck_assert_str_eq(out, "");
    ck_assert_str_eq(err, "[WARNING UMF] log_emit_all: warning 3\n"
                          "[ERROR UMF] log_emit_all: error 4\n");
}
END_TEST

/* ============================ dl_symbols ============================ */

typedef struct libc_table_t {
    size_t (*strlen_fn)(const char *);
    int (*abs_fn)(int);
} libc_table_t;

START_TEST(dl_resolve_all_or_nothing) {
    const char *why = NULL;
    void *libc = utils_dl_open("libc.so.6", &why);
    ck_assert_msg(libc != NULL, "libc.so.6: %s", why ? why : "?");
    static const utils_dl_symbol_t good[] = {
        {"strlen", offsetof(libc_table_t, strlen_fn)},
        {"abs", offsetof(libc_table_t, abs_fn)},
    };
    libc_table_t t = {0};
    ck_assert_ptr_null(utils_dl_resolve(libc, good, 2, &t, sizeof(t)));
    ck_assert_uint_eq(t.strlen_fn("four"), 4);
    ck_assert_int_eq(t.abs_fn(-3), 3);

    /* a missing name is returned and the table keeps its old contents */
    static const utils_dl_symbol_t bad[] = {
        {"abs", offsetof(libc_table_t, abs_fn)},
        {"umf_no_such_symbol_anywhere", offsetof(libc_table_t, strlen_fn)},
    };
    libc_table_t u = {0};
    ck_assert_str_eq(utils_dl_resolve(libc, bad, 2, &u, sizeof(u)),
                     "umf_no_such_symbol_anywhere");
    ck_assert_ptr_null(u.abs_fn);
    ck_assert_ptr_null(u.strlen_fn);

    /* an offset outside the table is refused, not written */
    static const utils_dl_symbol_t outside[] = {
        {"abs", sizeof(libc_table_t)},
    };
    ck_assert_str_eq(utils_dl_resolve(libc, outside, 1, &u, sizeof(u)),
                     "abs");
    dlclose(libc);
}
END_TEST

START_TEST(dl_open_missing_library) {
    const char *why = NULL;
    ck_assert_ptr_null(utils_dl_open("libumf-no-such-library.so.9", &why));
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, "libumf-no-such-library.so.9") != NULL,
                  "dlerror text does not name the library: %s", why);
    /* why may be NULL */
    ck_assert_ptr_null(utils_dl_open("libumf-no-such-library.so.9", NULL));
}
END_TEST

static Suite *util_suite(void) {
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("base_alloc");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, ba_sizes);
    tcase_add_test(tc, ba_many_live_blocks);
    tcase_add_test(tc, ba_impossible_sizes);
    tcase_add_test(tc, ba_calloc);
    tcase_add_test(tc, ba_calloc_fresh_and_reused);
    tcase_add_test(tc, ba_free_null_and_strdup);
    tcase_add_test(tc, ba_concurrent);
    tcase_add_test(tc, bump_blocks);
    tcase_add_test(tc, bump_cursor_release);
    suite_add_tcase(s, tc);

    tc = tcase_create("log");
    tcase_add_test(tc, log_level_filtering);
    tcase_add_test(tc, log_debug_level);
    tcase_add_test(tc, log_default_level_is_error);
    tcase_add_test(tc, log_bad_values_ignored);
    tcase_add_test(tc, log_format);
    tcase_add_test(tc, log_pid);
    tcase_add_test(tc, log_timestamp);
    tcase_add_test(tc, log_long_message);
    tcase_add_test(tc, log_no_output_option);
    tcase_add_test(tc, log_fatal_without_output);
    tcase_add_test(tc, log_output_stdout_stderr);
    suite_add_tcase(s, tc);

    tc = tcase_create("dl_symbols");
    tcase_add_test(tc, dl_resolve_all_or_nothing);
    tcase_add_test(tc, dl_open_missing_library);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return umf_test_run_suite(util_suite()); }
