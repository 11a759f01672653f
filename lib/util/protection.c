/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* protection.c -- UMF_PROTECTION_* flags checked and turned into PROT_* */
#include <sys/mman.h>

#include <umf/memory_provider.h>

#include "protection_internal.h"

#define PROTECTION_ALL                                                         \
    (UMF_PROTECTION_NONE | UMF_PROTECTION_READ | UMF_PROTECTION_WRITE |        \
     UMF_PROTECTION_EXEC)

bool utils_protection_valid(unsigned protection) {
    if (protection == 0 || (protection & ~(unsigned)PROTECTION_ALL)) {
        return false;
    }
    /* NONE means "no access" and cannot be combined with an access bit */
    return !(protection & UMF_PROTECTION_NONE) ||
           protection == UMF_PROTECTION_NONE;
}

int utils_protection_to_mmap(unsigned protection) {
    int prot = PROT_NONE;
    if (protection & UMF_PROTECTION_READ) {
        prot |= PROT_READ;
    }
    if (protection & UMF_PROTECTION_WRITE) {
        prot |= PROT_WRITE;
    }
    if (protection & UMF_PROTECTION_EXEC) {
        prot |= PROT_EXEC;
    }
    return prot;
}
