/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* jemalloc_companion.c -- libumf_jemalloc.so.0, which loads jemalloc at
 * program start-up for the jemalloc pool.
 *
 * libumf.so.0 does not depend on libjemalloc.so.2 (Debian's jemalloc exports
 * an unprefixed malloc and needs static TLS, so it could not be dlopened
 * later). The installed libumf.so, a linker script (lib/link/), adds this
 * library to every -lumf link, so the program has DT_NEEDED entries
 * libumf.so.0, libumf_jemalloc.so.0, ..., libc.so.6, and libjemalloc.so.2
 * comes one level deeper, after libc in
 * symbol-lookup order: the process's malloc stays glibc's, and the jemalloc
 * pool finds jemalloc with dlopen(RTLD_NOLOAD). This library has no other
 * job; the reference to mallocx keeps its DT_NEEDED on libjemalloc.so.2 even
 * when it is linked with --as-needed. */
#include <jemalloc/jemalloc.h>

#include "util/utils_internal.h"

/* The companion's interface version; nothing needs to call it. */
UMF_EXPORT int umf_jemalloc_companion_version(void);

static void *(*volatile umf_jemalloc_anchor)(size_t, int) = mallocx;

UMF_EXPORT int umf_jemalloc_companion_version(void) {
    return umf_jemalloc_anchor != NULL;
}
