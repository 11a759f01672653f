/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fake_ze_partial_loader.c -- a "libze_loader.so.1" with only zeInit, for
 * the Level Zero provider's "loader without an entry point" test (a test
 * puts it first on LD_LIBRARY_PATH under that name). */
#include <stdint.h>

__attribute__((visibility("default"))) int32_t zeInit(uint32_t flags) {
    (void)flags;
    return 0;
}
