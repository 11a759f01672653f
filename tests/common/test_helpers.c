/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* test_helpers.c -- small helpers shared by the Check programs */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_helpers.h"

int umf_test_run_suite(Suite *s) {
    SRunner *sr = srunner_create(s);
    /* CK_NORMAL; CK_VERBOSITY=verbose lists every test (never silent: the
     * summary line must always be printed) */
    const char *v = getenv("CK_VERBOSITY");
    srunner_run_all(sr,
                    v && strcmp(v, "verbose") == 0 ? CK_VERBOSE : CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* This program's path and name for umf_test_run_child: readlink rather
 * than /proc/self/exe itself, which under valgrind is valgrind (it reports
 * the client's path to readlink). */
static char self_path[4096];
static const char *self_name;

int umf_test_main(int argc, char **argv, Suite *(*suite)(void),
                  int (*child_main)(const char *scenario)) {
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        return child_main(argv[2]);
    }
    self_name = argv[0];
    ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
    if (n <= 0) {
        snprintf(self_path, sizeof(self_path), "%s", argv[0]);
    } else {
        self_path[n] = '\0';
    }
    return umf_test_run_suite(suite());
}

/* The whole content of the file at path (malloc'ed), or NULL. */
static char *read_text_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (len == cap - 1) {
            cap *= 2;
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
            }
            text = grown;
        }
    }
    fclose(f);
    if (text) {
        text[len] = '\0';
    }
    return text;
}

char *umf_test_run_child(const char *scenario, const char *log_level,
                         const char *env_name, const char *env_value,
                         int *wait_status) {
    ck_assert_msg(self_path[0] != '\0', "not started by umf_test_main");
    char log[] = "/tmp/umf_test_log_XXXXXX";
    int fd = mkstemp(log);
    ck_assert_int_ge(fd, 0);
    close(fd);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char env[256];
        snprintf(env, sizeof(env), "level:%s;output:file,%s", log_level, log);
        setenv("UMF_LOG", env, 1);
        if (env_name && env_value) {
            setenv(env_name, env_value, 1);
        } else if (env_name) {
            unsetenv(env_name);
        }
        char *argv[] = {(char *)self_name, "--child", (char *)scenario, NULL};
        execv(self_path, argv);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    *wait_status = status;
    char *text = read_text_file(log);
    unlink(log);
    ck_assert_msg(text != NULL, "cannot read the log of child %s", scenario);
    return text;
}

void umf_test_skip(const char *why) {
    printf("SKIP: %s\n", why);
    fflush(stdout);
    exit(UMF_TEST_SKIP);
}

size_t umf_test_count_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        return (size_t)-1;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return n - 1; /* the directory stream's own descriptor */
}

static bool line_names_one_of(const char *line, const char *const *names) {
    if (!names) {
        return true;
    }
    for (; *names; names++) {
        if (strstr(line, *names)) {
            return true;
        }
    }
    return false;
}

size_t umf_test_mapped_bytes(const char *const *names) {
    static char buf[1 << 20];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return (size_t)-1;
    }
    size_t len = 0;
    ssize_t n;
    while (len < sizeof(buf) - 1 &&
           (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)n;
    }
    close(fd);
    if (len == sizeof(buf) - 1) {
        return (size_t)-1; /* may not be all of it */
    }
    buf[len] = '\0';
    size_t total = 0;
    for (char *line = buf; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        if (line_names_one_of(line, names)) {
            char *end = NULL;
            unsigned long long lo = strtoull(line, &end, 16);
            unsigned long long hi = strtoull(end + 1, NULL, 16);
            total += (size_t)(hi - lo);
        }
        if (!nl) {
            break;
        }
        line = nl + 1;
    }
    return total;
}

size_t umf_test_count_mappings(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return (size_t)-1;
    }
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            n++;
        }
    }
    fclose(f);
    return n;
}

int umf_test_is_mapped(const void *addr, size_t len) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) {
        return 0;
    }
    uintptr_t a = (uintptr_t)addr;
    uintptr_t end = a + len;
    char line[512];
    int found = 0;
    /* adjacent mappings with the same access are merged into one range */
    uintptr_t covered_to = a;
    while (fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;
        char perms[8] = {0};
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3) {
            continue;
        }
        if (perms[0] != 'r') {
            continue;
        }
        if (lo <= covered_to && hi > covered_to) {
            covered_to = hi;
            if (covered_to >= end) {
                found = 1;
                break;
            }
        }
    }
    fclose(f);
    return found;
}

size_t umf_test_page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

int umf_test_under_valgrind(void) {
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
}

unsigned umf_test_slowdown(void) {
    const char *m = getenv("CK_TIMEOUT_MULTIPLIER");
    long v = m ? atol(m) : 1;
    return v > 1 ? (unsigned)v : 1;
}

typedef struct thread_start_t {
    pthread_barrier_t *barrier;
    void *(*fn)(void *);
    void *arg;
} thread_start_t;

static void *thread_trampoline(void *p) {
    thread_start_t *s = p;
    pthread_barrier_wait(s->barrier);
    return s->fn(s->arg);
}

int umf_test_run_threads(unsigned n, void *(*fn)(void *), void *args,
                         size_t elem_size) {
    pthread_t *tids = calloc(n, sizeof(*tids));
    thread_start_t *starts = calloc(n, sizeof(*starts));
    pthread_barrier_t barrier;
    int rc = 0;
    if (!tids || !starts) {
        free(tids);
        free(starts);
        return ENOMEM;
    }
    pthread_barrier_init(&barrier, NULL, n);
    unsigned started = 0;
    for (unsigned i = 0; i < n; i++) {
        starts[i].barrier = &barrier;
        starts[i].fn = fn;
        starts[i].arg =
            args ? (char *)args + (size_t)i * elem_size : (void *)(uintptr_t)i;
        rc = pthread_create(&tids[i], NULL, thread_trampoline, &starts[i]);
        if (rc != 0) {
            break;
        }
        started++;
    }
    if (started != n) {
        /* the barrier can never open: nothing sensible to do but abort */
        fprintf(stderr, "pthread_create failed: %s\n", strerror(rc));
        abort();
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(tids[i], NULL);
    }
    pthread_barrier_destroy(&barrier);
    free(tids);
    free(starts);
    return rc;
}

uint64_t umf_test_rand(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static unsigned char pattern_byte(size_t i, unsigned seed) {
    return (unsigned char)((i * 31u + seed * 7u + (i >> 8)) & 0xff);
}

void umf_test_fill(void *buf, size_t len, unsigned seed) {
    unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        p[i] = pattern_byte(i, seed);
    }
}

int umf_test_verify(const void *buf, size_t len, unsigned seed) {
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != pattern_byte(i, seed)) {
            return 0;
        }
    }
    return 1;
}

int umf_test_all_bytes(const void *buf, size_t len, unsigned char c) {
    const unsigned char *p = buf;
    for (size_t i = 0; i < len; i++) {
        if (p[i] != c) {
            return 0;
        }
    }
    return 1;
}
