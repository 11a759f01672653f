/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_fork.c -- fork semantics for a heap in shared memory.
 *
 * With page.disposition=shared-fd or shared-shm the pool's pages are
 * MAP_SHARED mappings of one file. A child made by fork(2) inherits them
 * shared, not copied: every write of the child to a block it inherited
 * would change the parent's heap (a shell's child updates its inherited
 * data all the time). So the child, in its fork handler, replaces each
 * mapping of the pool's file with a private copy at the same address
 * (copy, then mremap over the shared mapping). The pool's file is the one
 * that holds a sentinel block of the pool, found by device and inode in
 * /proc/self/maps; shared mappings of other files (the program's own) are
 * left as they are.
 *
 * It runs in a fork handler, so it allocates nothing: /proc/self/maps is
 * read into a static buffer and the ranges are kept in a static table
 * (refilled until no range of the file is left shared). */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "proxy/proxy_internal.h"

#define FORK_MAX_RANGES 1024

typedef struct fork_range_t {
    uintptr_t start, end;
    unsigned long long inode;
    char dev[16];
    int prot;
    bool shared;
} fork_range_t;

static fork_range_t ranges[FORK_MAX_RANGES];
static char maps_buf[1 << 16];

static uintptr_t parse_hex(const char **s) {
    uintptr_t v = 0;
    for (;; (*s)++) {
        char c = **s;
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                       : -1;
        if (d < 0) {
            return v;
        }
        v = v * 16 + (uintptr_t)d;
    }
}

/* "start-end perms offset dev inode [path]" */
static bool parse_line(const char *s, fork_range_t *r) {
    r->start = parse_hex(&s);
    if (*s++ != '-') {
        return false;
    }
    r->end = parse_hex(&s);
    if (*s++ != ' ' || strlen(s) < 5) {
        return false;
    }
    r->prot = (s[0] == 'r' ? PROT_READ : 0) | (s[1] == 'w' ? PROT_WRITE : 0) |
              (s[2] == 'x' ? PROT_EXEC : 0);
    r->shared = s[3] == 's';
    s += 5;
    while (*s && *s != ' ') { /* offset */
        s++;
    }
    while (*s == ' ') {
        s++;
    }
    size_t i = 0;
    while (*s && *s != ' ' && i < sizeof(r->dev) - 1) {
        r->dev[i++] = *s++;
    }
    r->dev[i] = '\0';
    while (*s == ' ') {
        s++;
    }
    r->inode = 0;
    while (*s >= '0' && *s <= '9') {
        r->inode = r->inode * 10 + (unsigned long long)(*s++ - '0');
    }
    return r->end > r->start;
}

/* Read the shared mappings of /proc/self/maps into ranges; returns how
 * many, or -1. */
static int read_shared_ranges(void) {
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int n = 0;
    size_t have = 0;
    for (;;) {
        ssize_t got = read(fd, maps_buf + have, sizeof(maps_buf) - 1 - have);
        if (got <= 0) {
            break;
        }
        have += (size_t)got;
        maps_buf[have] = '\0';
        char *line = maps_buf;
        char *nl;
        while ((nl = strchr(line, '\n')) != NULL) {
            *nl = '\0';
            fork_range_t r;
            if (n < FORK_MAX_RANGES && parse_line(line, &r) && r.shared) {
                ranges[n++] = r;
            }
            line = nl + 1;
        }
        /* keep the unfinished line for the next read */
        have = (size_t)(maps_buf + have - line);
        memmove(maps_buf, line, have);
        if (have >= sizeof(maps_buf) - 1) {
            have = 0; /* a line longer than the buffer: skip it */
        }
    }
    close(fd);
    return n;
}

static bool privatize(const fork_range_t *r) {
    size_t len = r->end - r->start;
    void *copy = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (copy == MAP_FAILED) {
        return false;
    }
    if (r->prot & PROT_READ) {
        memcpy(copy, (void *)r->start, len);
    }
    if (mprotect(copy, len, r->prot) != 0 ||
        mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
               (void *)r->start) == MAP_FAILED) {
        munmap(copy, len);
        return false;
    }
    return true;
}

bool proxy_fork_privatize(const void *sentinel) {
    uintptr_t at = (uintptr_t)sentinel;
    fork_range_t file = {0};
    bool found = false;
    for (int pass = 0; pass < 64; pass++) {
        int n = read_shared_ranges();
        if (n < 0) {
            return false;
        }
        if (!found) {
            for (int i = 0; i < n; i++) {
                if (ranges[i].start <= at && at < ranges[i].end) {
                    file = ranges[i];
                    found = true;
                }
            }
            if (!found) {
                /* not shared (any more): a child of a child, whose
                 * parent made its copies already */
                return true;
            }
        }
        int done = 0;
        for (int i = 0; i < n; i++) {
            if (ranges[i].inode == file.inode &&
                strcmp(ranges[i].dev, file.dev) == 0) {
                if (!privatize(&ranges[i])) {
                    return false;
                }
                done++;
            }
        }
        if (done == 0 || n < FORK_MAX_RANGES) {
            return true; /* the table held every shared mapping */
        }
    }
    return false;
}
