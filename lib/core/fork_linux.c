/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fork_linux.c -- the heavy half of the fork gate's asymmetric fence:
 * membarrier(2) makes every running thread of the process execute a full
 * memory barrier, so the gate's entry needs only a compiler barrier. */
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/fork_internal.h"

bool umf_fork_membarrier_register(void) {
#ifdef SYS_membarrier
    long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
        return false;
    }
    return syscall(SYS_membarrier,
                   MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
#else
    return false;
#endif
}

bool umf_fork_membarrier(void) {
#ifdef SYS_membarrier
    return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) ==
           0;
#else
    return false;
#endif
}
