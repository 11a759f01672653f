/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* native_error_internal.h -- thread-local "last native error" of a provider */
#ifndef UMF_NATIVE_ERROR_INTERNAL_H
#define UMF_NATIVE_ERROR_INTERNAL_H 1

#include <stdint.h>

typedef struct utils_native_error_t {
    int32_t code;
    char message[320];
} utils_native_error_t;

/* Record code and text in slot (a provider's __thread variable). When err_no
 * is non-zero the message becomes "text: strerror(err_no)". */
void utils_native_error_set(utils_native_error_t *slot, int32_t code,
                            const char *text, int err_no);

/* Fill the get_last_native_error out-parameters (either may be NULL). */
void utils_native_error_get(const utils_native_error_t *slot,
                            const char **ppMessage, int32_t *pError);

#endif /* UMF_NATIVE_ERROR_INTERNAL_H */
