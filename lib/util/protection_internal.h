/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* protection_internal.h -- UMF_PROTECTION_* flags checked and turned into
 * mmap(2) PROT_* bits (shared by the OS, file and devdax providers) */
#ifndef UMF_PROTECTION_INTERNAL_H
#define UMF_PROTECTION_INTERNAL_H 1

#include <stdbool.h>

#include <umf/base.h>
#include <umf/memory_provider.h>

/* Non-zero and only known bits (NONE may come with access bits, which it
 * does not change). */
bool utils_protection_valid(unsigned protection);

/* SUCCESS for a valid protection (or a visibility the providers know:
 * PRIVATE or SHARED); INVALID_ARGUMENT with a log line otherwise. */
umf_result_t utils_check_protection(unsigned protection);
umf_result_t utils_check_visibility(umf_memory_visibility_t visibility);

/* The PROT_* bits of a valid protection. */
int utils_protection_to_mmap(unsigned protection);

#endif /* UMF_PROTECTION_INTERNAL_H */
