/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* spinlock_internal.h -- a one-word lock for short critical sections on
 * paths where a mutex's call and its size cost too much (the disjoint
 * pool's slabs, the tracker's leaves). Uncontended it is one exchange and
 * one store; a waiter spins briefly, then yields: with few CPUs the holder
 * may be preempted on the very CPU the waiter spins on. */
#ifndef UMF_SPINLOCK_INTERNAL_H
#define UMF_SPINLOCK_INTERNAL_H 1

#include "util/utils_internal.h"

typedef struct utils_spin_t {
    int locked;
} utils_spin_t;

void utils_spin_lock_slow(utils_spin_t *l);

static inline void utils_spin_lock(utils_spin_t *l) {
    if (UMF_UNLIKELY(__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))) {
        utils_spin_lock_slow(l);
    }
}

static inline void utils_spin_unlock(utils_spin_t *l) {
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif /* UMF_SPINLOCK_INTERNAL_H */
