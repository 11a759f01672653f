/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* mmap_shim.h -- the test-only mmap shim (mmap_shim.c) and how a test
 * program gets it loaded.
 *
 * A test program that needs the shim calls umf_test_shim_load(argv) first
 * thing in main(). When the shim is not loaded yet, that re-executes the
 * program with the shim in LD_PRELOAD; it does not when valgrind runs the
 * program (the re-executed image would run outside valgrind, with
 * valgrind's own preloads), when the module file is missing, or when a
 * re-execution already happened. To check the shim's paths under valgrind,
 * preload it yourself: LD_PRELOAD=<shim> libtool --mode=execute valgrind
 * <test>. The module path is UMF_TEST_MMAP_SHIM from the environment, else
 * the UMF_TEST_MMAP_SHIM_PATH the test was compiled with. */
#ifndef UMF_TEST_MMAP_SHIM_H
#define UMF_TEST_MMAP_SHIM_H 1

/* defined by the shim */
int umf_test_mmap_shim_active(void);
void umf_test_mmap_shim_set_enabled(int on);
unsigned long umf_test_mmap_shim_rewrites(void);
int umf_test_hook_devdax_accept(const char *path);

#ifndef UMF_MMAP_SHIM_BUILD
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A shim function looked up at run time (NULL when the shim is absent). */
static inline void *umf_test_shim_sym(const char *name) {
    return dlsym(RTLD_DEFAULT, name);
}

static inline int umf_test_shim_loaded(void) {
    return umf_test_shim_sym("umf_test_mmap_shim_active") != NULL;
}

/* Turn the shim's rewriting on or off (no-op without the shim). */
static inline void umf_test_shim_enable(int on) {
    void (*f)(int) =
        (void (*)(int))umf_test_shim_sym("umf_test_mmap_shim_set_enabled");
    if (f) {
        f(on);
    }
}

/* How many mmap calls the shim rewrote so far (0 without the shim). */
static inline unsigned long umf_test_shim_rewrites(void) {
    unsigned long (*f)(void) = (unsigned long (*)(void))umf_test_shim_sym(
        "umf_test_mmap_shim_rewrites");
    return f ? f() : 0;
}

/* See the top of this file. Returns whether the shim is loaded; *why gets
 * the reason when it is not. */
static inline int umf_test_shim_load(char **argv, const char **why) {
    if (umf_test_shim_loaded()) {
        return 1;
    }
    const char *pre = getenv("LD_PRELOAD");
    if (pre && strstr(pre, "vgpreload")) {
        *why = "running under valgrind; preload the shim to test its paths";
        return 0;
    }
    if (getenv("UMF_TEST_SHIM_REEXEC")) {
        *why = "the shim did not load after re-executing";
        return 0;
    }
    const char *shim = getenv("UMF_TEST_MMAP_SHIM");
#ifdef UMF_TEST_MMAP_SHIM_PATH
    if (!shim) {
        shim = UMF_TEST_MMAP_SHIM_PATH;
    }
#endif
    if (!shim || access(shim, R_OK) != 0) {
        *why = "the mmap shim module is not built (make check builds it)";
        return 0;
    }
    size_t len = strlen(shim) + (pre ? strlen(pre) + 1 : 0) + 1;
    char *val = malloc(len);
    if (!val) {
        *why = "out of memory";
        return 0;
    }
    snprintf(val, len, "%s%s%s", shim, pre ? ":" : "", pre ? pre : "");
    setenv("LD_PRELOAD", val, 1);
    setenv("UMF_TEST_SHIM_REEXEC", "1", 1);
    free(val);
    fflush(NULL);
    execv("/proc/self/exe", argv);
    *why = "re-executing with the shim failed";
    return 0;
}
#endif /* UMF_MMAP_SHIM_BUILD */

#endif /* UMF_TEST_MMAP_SHIM_H */
