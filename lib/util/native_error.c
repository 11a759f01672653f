/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* native_error.c -- thread-local "last native error" of a provider */
#include <stdio.h>
#include <string.h>

#include "native_error_internal.h"

void utils_native_error_set(utils_native_error_t *slot, int32_t code,
                            const char *text, int err_no) {
    slot->code = code;
    if (err_no != 0) {
        char buf[128];
        const char *s = strerror_r(err_no, buf, sizeof(buf));
        snprintf(slot->message, sizeof(slot->message), "%s: %s", text, s);
    } else {
        snprintf(slot->message, sizeof(slot->message), "%s", text);
    }
}

void utils_native_error_get(const utils_native_error_t *slot,
                            const char **ppMessage, int32_t *pError) {
    if (ppMessage) {
        *ppMessage = slot->message;
    }
    if (pError) {
        *pError = slot->code;
    }
}
