/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf_info_level_zero_none.c -- umf-info of a libumf built without Level
 * Zero: there is nothing to ask. */
#include <stdio.h>

#include "umf_info_internal.h"

bool info_level_zero(char *detail, size_t len, info_gpu_device_t *devs,
                     size_t max, size_t *num) {
    (void)devs;
    (void)max;
    *num = 0;
    snprintf(detail, len, "not built into this libumf");
    return false;
}
