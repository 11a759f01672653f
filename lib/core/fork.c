/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* fork.c -- the fork gate and the registry of fork callbacks (see
 * fork_internal.h for the design). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fork_internal.h"
#include "core/libumf_internal.h"
#include "topology/memspace_internal.h"
#include "topology/topology_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"

__thread umf_fork_tls_t umf_fork_tls;
int umf_fork_gate_closed;
bool umf_fork_light_fence;

/* ---- gate slots: one per thread, reused after the thread exits ---- */

#define FORK_CACHE_LINE 64
#define FORK_STATIC_SLOTS 64

struct umf_fork_slot_t {
    int busy;   /* the owner is inside the gate */
    int in_use; /* owned by a live thread */
    struct umf_fork_slot_t *next;
    char pad[FORK_CACHE_LINE - 2 * sizeof(int) - sizeof(void *)];
};

static umf_fork_slot_t fork_static_slots[FORK_STATIC_SLOTS]
    __attribute__((aligned(FORK_CACHE_LINE)));
static unsigned fork_static_used;
static umf_fork_slot_t *fork_slots; /* every slot ever made, push-only */
static int fork_unwatched_busy;     /* a thread that got no slot */
static pthread_once_t fork_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t fork_key;
static bool fork_key_ok;

static void fork_slot_release(void *arg) {
    umf_fork_slot_t *s = arg;
    if (umf_fork_tls.busy == &s->busy) {
        umf_fork_tls.busy = NULL;
    }
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
}

static void fork_key_create(void) {
    fork_key_ok = pthread_key_create(&fork_key, fork_slot_release) == 0;
}

__attribute__((destructor)) static void fork_fini(void) {
    if (fork_key_ok) {
        pthread_key_delete(fork_key); /* no destructor into unmapped code */
        fork_key_ok = false;
    }
}

static umf_fork_slot_t *fork_slot_new(void) {
    unsigned i = __atomic_fetch_add(&fork_static_used, 1, __ATOMIC_RELAXED);
    if (i < FORK_STATIC_SLOTS) {
        return &fork_static_slots[i];
    }
    /* base-allocator blocks are 16-byte aligned: over-allocate a line */
    char *raw = umf_ba_calloc(1, sizeof(umf_fork_slot_t) + FORK_CACHE_LINE);
    if (!raw) {
        return NULL;
    }
    return (umf_fork_slot_t *)utils_align_ptr_up((uintptr_t)raw,
                                                 FORK_CACHE_LINE);
}

static int *fork_slot_claim(void) {
    pthread_once(&fork_key_once, fork_key_create);
    umf_fork_slot_t *s;
    for (s = __atomic_load_n(&fork_slots, __ATOMIC_ACQUIRE); s; s = s->next) {
        int free_slot = 0;
        if (__atomic_compare_exchange_n(&s->in_use, &free_slot, 1, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            break;
        }
    }
    if (!s) {
        s = fork_slot_new();
        if (!s) {
            LOG_ERR("no memory for a fork-gate slot: this thread's calls "
                    "are not fork-safe");
            return &fork_unwatched_busy;
        }
        s->in_use = 1;
        s->next = __atomic_load_n(&fork_slots, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&fork_slots, &s->next, s, true,
                                            __ATOMIC_SEQ_CST,
                                            __ATOMIC_RELAXED)) {
        }
    }
    if (fork_key_ok) {
        pthread_setspecific(fork_key, s);
    }
    return &s->busy;
}

static void fork_wait_open(void) {
    for (unsigned spins = 0;
         __atomic_load_n(&umf_fork_gate_closed, __ATOMIC_ACQUIRE); spins++) {
        if (spins < 64) {
            sched_yield();
        } else {
            struct timespec ts = {0, 50 * 1000};
            nanosleep(&ts, NULL);
        }
    }
}

void umf_fork_gate_enter_slow(void) {
    umf_fork_tls_t *t = &umf_fork_tls;
    if (!t->busy) {
        t->busy = fork_slot_claim();
    }
    for (;;) {
        /* the slow path is rare: the full fence whatever the mode */
        __atomic_exchange_n(t->busy, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&umf_fork_gate_closed, __ATOMIC_SEQ_CST)) {
            return;
        }
        __atomic_store_n(t->busy, 0, __ATOMIC_RELEASE);
        fork_wait_open();
    }
}

/* ---- the registry ---- */

static pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
static umf_fork_handler_t *fork_levels[UMF_FORK_LEVELS];
static bool fork_drained; /* this fork's gate drain is done (forker only) */
static unsigned fork_late_count;   /* drain-only registrations */
static unsigned fork_late_pending; /* of them, yet to run after the fork */
static unsigned long fork_forks;

unsigned long umf_fork_count(void) {
    return __atomic_load_n(&fork_forks, __ATOMIC_RELAXED);
}

static void fork_insert(umf_fork_handler_t *h) {
    pthread_mutex_lock(&fork_lock);
    if (!h->registered) {
        h->prev = NULL;
        h->next = fork_levels[h->level];
        if (h->next) {
            h->next->prev = h;
        }
        fork_levels[h->level] = h;
        h->registered = true;
    }
    pthread_mutex_unlock(&fork_lock);
}

void umf_fork_register(umf_fork_handler_t *h) {
    umf_fork_install();
    fork_insert(h);
}

void umf_fork_unregister(umf_fork_handler_t *h) {
    pthread_mutex_lock(&fork_lock);
    if (h->registered) {
        if (h->prev) {
            h->prev->next = h->next;
        } else {
            fork_levels[h->level] = h->next;
        }
        if (h->next) {
            h->next->prev = h->prev;
        }
        h->registered = false;
    }
    pthread_mutex_unlock(&fork_lock);
}

/* Close the gate and wait for every other thread inside to leave. The
 * forking thread's own slot is skipped: it may fork from inside a call. */
static void fork_gate_drain(void) {
    if (fork_drained) {
        return;
    }
    __atomic_store_n(&umf_fork_gate_closed, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&umf_fork_light_fence, __ATOMIC_RELAXED) &&
        !umf_fork_membarrier()) {
        /* cannot happen once registered; the gate would not be safe */
        LOG_ERR("membarrier failed: a thread may be inside a pool at fork");
    }
    int *mine = umf_fork_tls.busy;
    for (umf_fork_slot_t *s = __atomic_load_n(&fork_slots, __ATOMIC_SEQ_CST); s;
         s = s->next) {
        if (&s->busy == mine) {
            continue;
        }
        for (unsigned spins = 0; __atomic_load_n(&s->busy, __ATOMIC_SEQ_CST);
             spins++) {
            if (spins < 64) {
                sched_yield();
            } else {
                struct timespec ts = {0, 20 * 1000};
                nanosleep(&ts, NULL);
            }
        }
    }
    fork_drained = true;
    fork_late_pending = __atomic_load_n(&fork_late_count, __ATOMIC_ACQUIRE);
}

static void fork_prepare(void) {
    fork_gate_drain();
    pthread_mutex_lock(&fork_lock);
    for (int l = 0; l < UMF_FORK_LEVELS; l++) {
        for (umf_fork_handler_t *h = fork_levels[l]; h; h = h->next) {
            if (h->prepare) {
                h->prepare(h->arg);
            }
        }
    }
    fork_forks++;
}

static void fork_run_after(bool child) {
    for (int l = UMF_FORK_LEVELS - 1; l >= 0; l--) {
        for (umf_fork_handler_t *h = fork_levels[l]; h; h = h->next) {
            void (*fn)(void *) = child ? h->child : h->parent;
            if (fn) {
                fn(h->arg);
            }
        }
    }
}

/* Libraries loaded after our handlers (an allocator a pool loads)
 * registered their own handlers after ours: their parent/child handlers
 * run after ours. The gate reopens in the last drain-only registration's
 * parent/child handler, after theirs, so that no thread enters such a
 * library before it has finished its own fork handling. */

static void fork_gate_open(void) {
    fork_drained = false;
    __atomic_store_n(&umf_fork_gate_closed, 0, __ATOMIC_RELEASE);
}

static void fork_parent(void) {
    fork_run_after(false);
    pthread_mutex_unlock(&fork_lock);
    if (fork_late_pending == 0) {
        fork_gate_open();
    }
}

static void fork_child(void) {
    fork_run_after(true);
    pthread_mutex_unlock(&fork_lock);
    /* the other threads are gone: their slots are free */
    int *mine = umf_fork_tls.busy;
    for (umf_fork_slot_t *s = fork_slots; s; s = s->next) {
        if (&s->busy != mine) {
            s->busy = 0;
            s->in_use = 0;
        }
    }
    if (fork_late_pending == 0) {
        fork_gate_open();
    }
}

/* Only the drain, for umf_fork_library_loaded: it runs before the handlers
 * of the library registered just before it. */
static void fork_prepare_drain_only(void) { fork_gate_drain(); }

/* The last of them to run (the last registered) reopens the gate. */
static void fork_after_drain_only(void) {
    if (fork_late_pending > 0 && --fork_late_pending == 0) {
        fork_gate_open();
    }
}

/* ---- installation ---- */

/* The library's own global locks, taken outside the gate. */
static umf_fork_handler_t fork_builtin[] = {
    {umf_init_fork_prepare, umf_init_fork_parent, umf_init_fork_child, NULL,
     UMF_FORK_LEVEL_INIT, NULL, NULL, false},
    {memspace_predefined_fork_prepare, memspace_predefined_fork_parent,
     memspace_predefined_fork_child, NULL, UMF_FORK_LEVEL_MEMSPACE, NULL, NULL,
     false},
    {umf_topology_fork_prepare, umf_topology_fork_parent,
     umf_topology_fork_child, NULL, UMF_FORK_LEVEL_TOPOLOGY, NULL, NULL, false},
    {umf_ba_fork_prepare, umf_ba_fork_parent, umf_ba_fork_child, NULL,
     UMF_FORK_LEVEL_UTIL, NULL, NULL, false},
    /* the log last: every other lock may log while held */
    {utils_log_fork_prepare, utils_log_fork_parent, utils_log_fork_child, NULL,
     UMF_FORK_LEVEL_UTIL, NULL, NULL, false},
};

static pthread_once_t fork_install_once = PTHREAD_ONCE_INIT;
static bool fork_installed;

static void fork_do_install(void) {
    if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0) {
        LOG_ERR("pthread_atfork failed: a child of a multi-threaded parent "
                "may hang in libumf");
        return;
    }
    /* UMF_FORK_FULL_FENCE (undocumented, for measurements): no membarrier */
    if (!getenv("UMF_FORK_FULL_FENCE") && umf_fork_membarrier_register()) {
        __atomic_store_n(&umf_fork_light_fence, true, __ATOMIC_RELAXED);
    }
    /* pushed in reverse: a level's list then runs in table order */
    for (size_t i = UMF_ARRAY_SIZE(fork_builtin); i-- > 0;) {
        fork_insert(&fork_builtin[i]);
    }
    fork_installed = true;
}

void umf_fork_install(void) {
    pthread_once(&fork_install_once, fork_do_install);
}

static unsigned fork_pending_loads;

void umf_fork_library_loaded(void) {
    __atomic_fetch_add(&fork_pending_loads, 1, __ATOMIC_RELEASE);
}

void umf_fork_flush_pending(void) {
    if (UMF_LIKELY(!__atomic_load_n(&fork_pending_loads, __ATOMIC_ACQUIRE))) {
        return;
    }
    umf_fork_install();
    while (__atomic_load_n(&fork_pending_loads, __ATOMIC_ACQUIRE)) {
        __atomic_fetch_sub(&fork_pending_loads, 1, __ATOMIC_ACQ_REL);
        if (!fork_installed) {
            continue;
        }
        if (pthread_atfork(fork_prepare_drain_only, fork_after_drain_only,
                           fork_after_drain_only) != 0) {
            LOG_ERR("pthread_atfork failed: a fork may wait forever for a "
                    "thread inside a pool");
        } else {
            __atomic_fetch_add(&fork_late_count, 1, __ATOMIC_RELEASE);
        }
    }
}
