/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_jemalloc_anchor.c -- libumf_nonshared.a: the one reference a program
 * linked with -lumf makes to libumf_jemalloc.so.0.
 *
 * The libumf.so linker script names libumf_jemalloc.so.0 so that jemalloc is
 * loaded at program start-up for the jemalloc pool (see umf(7), LINKING).
 * A program calls nothing in that library, and linkers that run with
 * --as-needed (gcc's default on Debian and Ubuntu) would drop it. The script
 * makes umf_jemalloc_link_anchor undefined (EXTERN), which pulls this object
 * out of the archive into the program; its reference to the companion keeps
 * the companion's DT_NEEDED entry. The symbol is hidden: the program exports
 * nothing new. */
int umf_jemalloc_companion_version(void);

__attribute__((visibility("hidden"), used)) int (
    *const umf_jemalloc_link_anchor)(void) = umf_jemalloc_companion_version;
