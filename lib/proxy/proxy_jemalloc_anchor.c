/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* proxy_jemalloc_anchor.c -- keeps libumf_proxy's DT_NEEDED entry on
 * libumf_jemalloc.so.0 (built only with the jemalloc pool).
 *
 * The jemalloc pool needs libjemalloc.so.2 loaded at start-up (umf(7),
 * Linking), and a preloaded library's dependencies are loaded with it: so
 * libumf_proxy depends on the companion, and UMF_PROXY=pool=jemalloc works
 * under LD_PRELOAD. jemalloc then comes after the C library in symbol
 * order (it is a dependency of a dependency), so the C library stays the
 * next malloc (proxy_next.c). Nothing calls the companion; this reference
 * keeps the entry when the link runs with --as-needed. */
int umf_jemalloc_companion_version(void);

__attribute__((used)) static int (*const volatile proxy_jemalloc_anchor)(void) =
    umf_jemalloc_companion_version;
