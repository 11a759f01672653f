/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* replay_main.c -- runs a fuzz target's LLVMFuzzerTestOneInput over files,
 * without libFuzzer, so the seed corpora and the regression inputs are
 * tests of every build (gcc included).
 *
 *   replay_X [FILE|DIR]...
 *
 * With no argument it replays the directories compiled in as
 * FUZZ_REPLAY_DIRS (colon-separated; the first, the seed corpus, must
 * exist and hold inputs; the others may be missing). A finding aborts, as
 * under libFuzzer; the input's name is printed first. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t replayed;

static int replay_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    /* exactly size bytes, so that the sanitizers see any read past them */
    uint8_t *data = malloc(size ? size : 1);
    if (!data || fread(data, 1, size, f) != size) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        fclose(f);
        return -1;
    }
    fclose(f);
    fprintf(stderr, "replaying %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    replayed++;
    return 0;
}

static int name_order(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order (README files are not
 * inputs). missing_ok: a directory that does not exist replays nothing. */
static int replay_dir(const char *dir, int missing_ok) {
    DIR *d = opendir(dir);
    if (!d) {
        if (missing_ok && errno == ENOENT) {
            return 0;
        }
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, "README", 6) == 0) {
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(names, cap * sizeof(*names));
            if (!grown) {
                abort();
            }
            names = grown;
        }
        names[n] = strdup(e->d_name);
        if (!names[n]) {
            abort();
        }
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof(*names), name_order);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
            replay_file(path) != 0) {
            rc = -1;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int replay_arg(const char *arg, int missing_ok) {
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        return replay_dir(arg, missing_ok);
    }
    if (missing_ok && errno == ENOENT) {
        return 0;
    }
    return replay_file(arg);
}

int main(int argc, char **argv) {
    int rc = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            rc |= replay_arg(argv[i], 0);
        }
    } else {
#ifdef FUZZ_REPLAY_DIRS
        char *dirs = strdup(FUZZ_REPLAY_DIRS);
        int first = 1;
        for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir;
             dir = strtok_r(NULL, ":", &save)) {
            size_t before = replayed;
            rc |= replay_arg(dir, !first);
            if (first && replayed == before) {
                fprintf(stderr, "%s: no seed input\n", dir);
                rc = -1;
            }
            first = 0;
        }
        free(dirs);
#else
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
#endif
    }
    fprintf(stderr, "%zu inputs replayed\n", replayed);
    return rc ? EXIT_FAILURE : EXIT_SUCCESS;
}
