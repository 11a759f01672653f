/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* protection_internal.h -- UMF_PROTECTION_* flags checked and turned into
 * mmap(2) PROT_* bits (shared by the OS, file and devdax providers) */
#ifndef UMF_PROTECTION_INTERNAL_H
#define UMF_PROTECTION_INTERNAL_H 1

#include <stdbool.h>

/* Non-zero, only known bits, and NONE ("no access") alone. */
bool utils_protection_valid(unsigned protection);

/* The PROT_* bits of a valid protection. */
int utils_protection_to_mmap(unsigned protection);

#endif /* UMF_PROTECTION_INTERNAL_H */
