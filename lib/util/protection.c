/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* protection.c -- UMF_PROTECTION_* flags checked and turned into PROT_* */
#include <sys/mman.h>

#include <umf/memory_provider.h>

#include "protection_internal.h"
#include "util/log_internal.h"

#define PROTECTION_ALL                                                         \
    (UMF_PROTECTION_NONE | UMF_PROTECTION_READ | UMF_PROTECTION_WRITE |        \
     UMF_PROTECTION_EXEC)

/* NONE adds no access, so NONE|READ is READ: every combination is valid,
 * as in the reference, which translates the bits one by one. */
bool utils_protection_valid(unsigned protection) {
    return protection != 0 && !(protection & ~(unsigned)PROTECTION_ALL);
}

umf_result_t utils_check_protection(unsigned protection) {
    if (!utils_protection_valid(protection)) {
        LOG_ERR("invalid memory protection flags: 0x%x", protection);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
}

umf_result_t utils_check_visibility(umf_memory_visibility_t visibility) {
    if (visibility != UMF_MEM_MAP_PRIVATE && visibility != UMF_MEM_MAP_SHARED) {
        LOG_ERR("invalid memory visibility: %d", (int)visibility);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    return UMF_RESULT_SUCCESS;
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
