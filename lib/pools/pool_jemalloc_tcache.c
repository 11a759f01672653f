/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_jemalloc_tcache.c -- the jemalloc pool's per-(thread, pool)
 * explicit tcaches, and the arena a thread gets on its first call to a
 * pool.
 *
 * Every thread that used a jemalloc pool has a table indexed by pool slot;
 * an entry is valid when its gen matches the pool's. The tables are on a
 * global list so that pool destroy can destroy every thread's tcache of the
 * pool; a thread-exit destructor destroys the thread's own. je_tc_lock
 * guards the list, slot allocation, table growth, and every write to an
 * entry made by another thread than the owner. */
#include <pthread.h>
#include <string.h>

#include "core/fork_internal.h"
#include "pools/pool_jemalloc_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"

typedef struct je_tc_entry_t {
    uint64_t gen;    /* the pool's gen, or 0 */
    int flags;       /* MALLOCX_ARENA | MALLOCX_TCACHE(id) or _NONE */
    uint32_t tcache; /* id, or JE_NO_TCACHE */
    je_pool_t *pool; /* valid while gen is the pool's */
} je_tc_entry_t;

typedef struct je_thread_t {
    struct je_thread_t *next, *prev;
    size_t n;
    je_tc_entry_t e[];
} je_thread_t;

static pthread_mutex_t je_tc_lock = PTHREAD_MUTEX_INITIALIZER;
static je_thread_t *je_threads;
static bool je_slot_used[JE_MAX_POOLS];
static uint64_t je_next_gen = 1;
static pthread_key_t je_thread_key;
static bool je_key_ok;
static pthread_once_t je_key_once = PTHREAD_ONCE_INIT;
static __thread je_thread_t *je_tl;

static void je_tcache_destroy(uint32_t id) {
    if (id != JE_NO_TCACHE) {
        unsigned u = id;
        je.mallctl("tcache.destroy", NULL, NULL, &u, sizeof(u));
    }
}

static void je_list_unlink(je_thread_t *t) {
    if (t->prev) {
        t->prev->next = t->next;
    } else {
        je_threads = t->next;
    }
    if (t->next) {
        t->next->prev = t->prev;
    }
}

/* The arena for a thread that comes to p for the first time: round robin
 * over max_arenas, made when first needed. Caller holds je_tc_lock. */
static unsigned je_thread_arena(je_pool_t *p) {
    unsigned want = p->nthreads++ % p->max_arenas;
    unsigned n = p->narenas;
    if (want >= n) {
        unsigned arena;
        int rc = je_arena_create(p, &arena);
        if (rc == 0) {
            p->arenas[n] = arena;
            __atomic_store_n(&p->narenas, n + 1, __ATOMIC_RELEASE);
            LOG_DEBUG("jemalloc pool %p: arena %u added", (void *)p, arena);
            return arena;
        }
        LOG_DEBUG("jemalloc pool %p: no arena of its own for thread %llu "
                  "(%s); it shares one",
                  (void *)p, (unsigned long long)utils_thread_id(),
                  strerror(rc));
        p->max_arenas = n; /* do not try again */
        want %= n;
    }
    return p->arenas[want];
}

/* The calling thread takes its fast slot of p when it is free. Caller
 * holds je_tc_lock. */
static void je_fast_claim(je_pool_t *p, uintptr_t me, int flags) {
    je_fast_slot_t *f = je_fast_slot(p, me);
    if (f->thread == 0) {
        f->flags = flags;
        __atomic_store_n(&f->thread, me, __ATOMIC_RELEASE);
    }
}

/* Thread exit: destroy the thread's tcaches of live pools, and free its
 * fast slots (a new thread may get the same key). */
static void je_thread_exit(void *arg) {
    je_thread_t *t = arg;
    uintptr_t me = UTILS_THREAD_KEY();
    /* it takes the pools' lock and jemalloc's: inside the fork gate */
    umf_fork_gate_enter();
    pthread_mutex_lock(&je_tc_lock);
    for (size_t i = 0; i < t->n; i++) {
        if (t->e[i].gen) {
            je_fast_slot_t *f = je_fast_slot(t->e[i].pool, me);
            if (f->thread == me) {
                __atomic_store_n(&f->thread, 0, __ATOMIC_RELAXED);
            }
            je_tcache_destroy(t->e[i].tcache);
            t->e[i].gen = 0;
        }
    }
    je_list_unlink(t);
    pthread_mutex_unlock(&je_tc_lock);
    umf_fork_gate_exit();
    if (je_tl == t) {
        je_tl = NULL;
    }
    umf_ba_free(t);
}

static void je_key_create(void) {
    je_key_ok = pthread_key_create(&je_thread_key, je_thread_exit) == 0;
    if (!je_key_ok) {
        LOG_ERR("pthread_key_create failed: jemalloc pools use no thread "
                "cache");
    }
}

/* The library is unloaded: no destructor may run into unmapped code. */
__attribute__((destructor)) static void je_fini(void) {
    if (je_key_ok) {
        pthread_key_delete(je_thread_key);
        je_key_ok = false;
    }
}

/* The calling thread's table with room for slot; NULL on failure. Caller
 * holds je_tc_lock. */
static je_thread_t *je_thread_table(unsigned slot) {
    je_thread_t *t = je_tl;
    if (t && slot < t->n) {
        return t;
    }
    if (!je_key_ok) {
        return NULL;
    }
    size_t n = t ? t->n : 8;
    while (n <= slot) {
        n *= 2;
    }
    je_thread_t *nt = umf_ba_calloc(1, sizeof(*nt) + n * sizeof(nt->e[0]));
    if (!nt) {
        return NULL;
    }
    nt->n = n;
    if (t) {
        memcpy(nt->e, t->e, t->n * sizeof(t->e[0]));
        nt->next = t->next;
        nt->prev = t->prev;
        if (nt->prev) {
            nt->prev->next = nt;
        } else {
            je_threads = nt;
        }
        if (nt->next) {
            nt->next->prev = nt;
        }
    } else {
        nt->next = je_threads;
        if (je_threads) {
            je_threads->prev = nt;
        }
        je_threads = nt;
    }
    if (pthread_setspecific(je_thread_key, nt) != 0) {
        if (t) {
            pthread_setspecific(je_thread_key, t); /* keep the old one */
        }
        je_list_unlink(nt);
        if (t) { /* put the old table back where it was */
            t->next = je_threads;
            t->prev = NULL;
            if (je_threads) {
                je_threads->prev = t;
            }
            je_threads = t;
        }
        umf_ba_free(nt);
        return NULL;
    }
    je_tl = nt;
    umf_ba_free(t);
    return nt;
}

/* The flags from the thread's table; on first use of pool p on this
 * thread, make its tcache. Takes the thread's fast slot when it is free. */
int je_flags_slow(je_pool_t *p, uintptr_t me) {
    je_thread_t *t = je_tl;
    if (t != NULL && p->slot < t->n &&
        __atomic_load_n(&t->e[p->slot].gen, __ATOMIC_RELAXED) == p->gen) {
        int flags = t->e[p->slot].flags;
        /* a free slot (its owner exited) is taken; one that another
         * thread owns (the same hash) is left alone, without the lock */
        if (__atomic_load_n(&je_fast_slot(p, me)->thread, __ATOMIC_RELAXED) ==
            0) {
            pthread_mutex_lock(&je_tc_lock);
            je_fast_claim(p, me, flags);
            pthread_mutex_unlock(&je_tc_lock);
        }
        return flags;
    }
    pthread_mutex_lock(&je_tc_lock);
    t = je_thread_table(p->slot);
    /* a thread without a table asks again at its next call: it gets the
     * first arena, so that it makes no arena each time */
    unsigned arena = t ? je_thread_arena(p) : p->arenas[0];
    int flags = MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
    if (t) {
        unsigned id = 0;
        size_t sz = sizeof(id);
        uint32_t tc = JE_NO_TCACHE;
        int rc = je.mallctl("tcache.create", &id, &sz, NULL, 0);
        if (rc == 0) {
            tc = id;
            flags = MALLOCX_ARENA(arena) | MALLOCX_TCACHE(id);
        } else {
            LOG_DEBUG("tcache.create failed (%s); thread %llu uses no thread "
                      "cache with arena %u",
                      strerror(rc), (unsigned long long)utils_thread_id(),
                      arena);
        }
        t->e[p->slot].flags = flags;
        t->e[p->slot].tcache = tc;
        t->e[p->slot].pool = p;
        __atomic_store_n(&t->e[p->slot].gen, p->gen, __ATOMIC_RELEASE);
        je_fast_claim(p, me, flags);
    }
    pthread_mutex_unlock(&je_tc_lock);
    return flags;
}

void je_tc_once(void) { pthread_once(&je_key_once, je_key_create); }

bool je_tc_pool_add(je_pool_t *p) {
    pthread_mutex_lock(&je_tc_lock);
    unsigned slot = 0;
    while (slot < JE_MAX_POOLS && je_slot_used[slot]) {
        slot++;
    }
    if (slot < JE_MAX_POOLS) {
        je_slot_used[slot] = true;
        p->slot = slot;
        p->gen = je_next_gen++;
    }
    pthread_mutex_unlock(&je_tc_lock);
    return slot < JE_MAX_POOLS;
}

void je_tc_pool_remove(je_pool_t *p) {
    /* every thread's tcache of this pool goes first: the arena cannot be
     * destroyed while a tcache holds its memory. The ids are collected
     * under the lock and destroyed outside it, because flushing a tcache
     * calls the provider. */
    pthread_mutex_lock(&je_tc_lock);
    size_t n = 0;
    for (je_thread_t *t = je_threads; t; t = t->next) {
        n += p->slot < t->n && t->e[p->slot].gen == p->gen;
    }
    uint32_t *ids = n ? umf_ba_calloc(n, sizeof(*ids)) : NULL;
    size_t k = 0;
    for (je_thread_t *t = je_threads; t; t = t->next) {
        if (p->slot < t->n && t->e[p->slot].gen == p->gen) {
            if (ids) {
                ids[k++] = t->e[p->slot].tcache;
            } else {
                je_tcache_destroy(t->e[p->slot].tcache);
            }
            __atomic_store_n(&t->e[p->slot].gen, 0, __ATOMIC_RELAXED);
        }
    }
    je_slot_used[p->slot] = false;
    pthread_mutex_unlock(&je_tc_lock);
    for (size_t i = 0; i < k; i++) {
        je_tcache_destroy(ids[i]);
    }
    umf_ba_free(ids);
}
