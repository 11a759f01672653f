/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* libumf_linux.c -- ELF constructor and destructor holding the library's
 * own reference, so programs need not call umfInit */
#include <umf.h>

__attribute__((constructor)) static void libumf_constructor(void) { umfInit(); }

__attribute__((destructor)) static void libumf_destructor(void) {
    umfTearDown();
}
