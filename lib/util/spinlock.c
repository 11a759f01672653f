/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* spinlock.c -- the contended path of utils_spin_lock */
#include <sched.h>

#include "util/spinlock_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define SPIN_CPU_RELAX() __builtin_ia32_pause()
#else
#define SPIN_CPU_RELAX() ((void)0)
#endif

void utils_spin_lock_slow(utils_spin_t *l) {
    unsigned spins = 0;
    for (;;) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            if (++spins < 64) {
                SPIN_CPU_RELAX();
            } else {
                sched_yield(); /* the holder may be off its CPU */
            }
        }
        if (!__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
            return;
        }
    }
}
