/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fork_internal.h -- fork(2) safety: the fork gate and a registry of
 * prepare/parent/child callbacks.
 *
 * The gate: every pool and provider call of the public front-ends runs
 * inside umf_fork_gate_enter/exit. At fork the prepare handler closes the
 * gate and waits until no other thread is inside, so no thread holds a
 * lock of a pool, of a provider or of an allocator the library loaded
 * (which may have no fork handlers of its own) when the address space is
 * copied. A thread that reaches a closed gate waits outside it, holding
 * nothing of the library's. Nested entries (a provider called by a pool)
 * cost a thread-local increment.
 *
 * The registry: locks taken outside the gate (the tracker, the base
 * allocator, the log, init, topology) are held across fork by callbacks
 * that any module registers. Prepare callbacks run by ascending level,
 * parent and child callbacks by descending level; a module registers its
 * locks at the level that matches the order in which the code nests them
 * (a lock taken while another is held gets a higher level). Parent and
 * child callbacks unlock what prepare locked: the forking thread is the
 * child's only thread (ThreadSanitizer models an unlock, not a mutex
 * initialised over a held one). An rwlock is re-initialised in the child:
 * glibc's unlock compares the writer's thread id, which fork changes. */
#ifndef UMF_FORK_INTERNAL_H
#define UMF_FORK_INTERNAL_H 1

#include <stdbool.h>

#include "util/utils_internal.h"

typedef enum umf_fork_level_t {
    UMF_FORK_LEVEL_POOL, /* a pool's own state outside the gate */
    /* IPC caches: they call the providers' (ungated) IPC functions with
     * their lock held, so they are taken before the providers' locks */
    UMF_FORK_LEVEL_IPC,
    UMF_FORK_LEVEL_PROVIDER, /* a provider's state outside the gate */
    UMF_FORK_LEVEL_INIT,     /* umfInit/umfTearDown */
    UMF_FORK_LEVEL_MEMSPACE, /* predefined memspaces (they load topology) */
    UMF_FORK_LEVEL_TOPOLOGY,
    UMF_FORK_LEVEL_UTIL, /* base allocator, log: taken last */
    UMF_FORK_LEVELS
} umf_fork_level_t;

/* Caller-owned node: registering allocates nothing. */
typedef struct umf_fork_handler_t {
    void (*prepare)(void *arg);
    void (*parent)(void *arg);
    void (*child)(void *arg);
    void *arg;
    umf_fork_level_t level;
    struct umf_fork_handler_t *next, *prev; /* the registry's */
    bool registered;
} umf_fork_handler_t;

/* Installs the pthread_atfork handlers (once). Call with no library lock
 * held; umfInit calls it first. */
void umf_fork_install(void);

/* Add or remove h. Not with a lock of another registered handler held,
 * nor from inside a callback. Unregistering an unregistered h is a no-op. */
void umf_fork_register(umf_fork_handler_t *h);
void umf_fork_unregister(umf_fork_handler_t *h);

/* A library that has its own pthread_atfork handlers (an allocator a pool
 * loads) was just loaded: its prepare handler would run before ours and lock what a thread
 * inside the gate may be waiting for. The gate's drain is registered again
 * so that it runs first; pthread_atfork cannot be called inside the gate
 * (glibc holds its atfork lock while our prepare drains), so this only
 * notes it, and umf_fork_flush_pending does it outside the gate. */
void umf_fork_library_loaded(void);
void umf_fork_flush_pending(void);

/* ---- the gate ---- */

typedef struct umf_fork_slot_t umf_fork_slot_t;

typedef struct umf_fork_tls_t {
    unsigned depth;
    int *busy; /* the thread's slot flag, NULL before the first entry */
} umf_fork_tls_t;

/* Not initial-exec: a variable of that model marks libumf.so.0 STATIC_TLS,
 * and its whole TLS block (about 2 KiB) must then fit glibc's static TLS
 * surplus when a program dlopens libumf.so.0, which it does not. */
extern __thread umf_fork_tls_t umf_fork_tls;
extern int umf_fork_gate_closed;
/* membarrier(2) is registered: the prepare handler issues the heavy fence,
 * the entry only a compiler barrier (set once, before the first slot) */
extern bool umf_fork_light_fence;

void umf_fork_gate_enter_slow(void);

/* fork_linux.c: register for, and issue, MEMBARRIER_CMD_PRIVATE_EXPEDITED */
bool umf_fork_membarrier_register(void);
bool umf_fork_membarrier(void);

static inline void umf_fork_gate_enter(void) {
    umf_fork_tls_t *t = &umf_fork_tls;
    if (t->depth++ != 0) {
        return;
    }
    if (UMF_LIKELY(t->busy != NULL)) {
        /* Dekker with the prepare handler, which stores closed, fences and
         * reads busy: either it sees busy, or we see the gate closed. The
         * fence between our store and load is the heavy one the prepare
         * handler issues on every thread (membarrier), or our own. */
        if (UMF_LIKELY(
                __atomic_load_n(&umf_fork_light_fence, __ATOMIC_RELAXED))) {
            __atomic_store_n(t->busy, 1, __ATOMIC_RELAXED);
            __atomic_signal_fence(__ATOMIC_SEQ_CST);
        } else {
            /* a full barrier (a standalone fence is not modelled by
             * ThreadSanitizer) */
            __atomic_exchange_n(t->busy, 1, __ATOMIC_SEQ_CST);
        }
        /* a plain load on x86 */
        if (UMF_LIKELY(
                !__atomic_load_n(&umf_fork_gate_closed, __ATOMIC_SEQ_CST))) {
            return;
        }
    }
    umf_fork_gate_enter_slow();
}

static inline void umf_fork_gate_exit(void) {
    umf_fork_tls_t *t = &umf_fork_tls;
    if (--t->depth == 0) {
        __atomic_store_n(t->busy, 0, __ATOMIC_RELEASE);
    }
}

/* Number of forks whose prepare handler ran (tests). */
unsigned long umf_fork_count(void);

#endif /* UMF_FORK_INTERNAL_H */
