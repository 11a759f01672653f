/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_late.c -- a library of tests/proxy_prog whose destructor frees,
 * allocates and reallocates at exit. A dependency of the program, it is
 * finalised after libumf.so.0 and libumf_proxy (dependencies of a
 * preloaded library come first at start-up, so they go first at exit):
 * so it checks that the proxy's blocks can still be freed after libumf's
 * own destructor ran. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *late_blocks[64];

/* Hand over blocks (from malloc) for the destructor to free. */
__attribute__((visibility("default"))) void proxy_late_keep(void *p) {
    for (size_t i = 0; i < sizeof(late_blocks) / sizeof(late_blocks[0]); i++) {
        if (!late_blocks[i]) {
            late_blocks[i] = p;
            return;
        }
    }
    free(p);
}

__attribute__((destructor)) static void proxy_late_fini(void) {
    for (size_t i = 0; i < sizeof(late_blocks) / sizeof(late_blocks[0]); i++) {
        if (late_blocks[i]) {
            late_blocks[i] = realloc(late_blocks[i], 100000);
            if (late_blocks[i]) {
                memset(late_blocks[i], 1, 100000);
            }
            free(late_blocks[i]);
        }
    }
    char *p = malloc(1000);
    if (p) {
        memset(p, 2, 1000);
    }
    free(p);
    static const char done[] = "proxy_late: freed at exit\n";
    ssize_t w = write(STDOUT_FILENO, done, sizeof(done) - 1);
    (void)w;
}
