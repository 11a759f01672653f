/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_disjoint_heap.c -- the disjoint pool's per-thread heaps: the
 * thread-local table that finds a thread's heap, the slabs a heap owns,
 * the hand-over of frees made by other threads, heaps of exiting threads,
 * and the registry of live pools.
 *
 * Threads. Each thread that allocates from the pool gets a heap of its own
 * (found through a small thread-local table keyed by pool id): per bucket,
 * the list of partly used slabs it owns. The owning thread allocates from
 * and frees into its slabs with plain loads and stores: no lock and no
 * atomic read-modify-write on that path, so a thread never waits for
 * another and never stalls on a locked instruction. A free from another
 * thread takes the slab's small lock, marks the chunk in the slab's remote
 * bitmap and queues the slab (once) on its owner's lock-free pending stack;
 * the owner folds those frees in at its next allocation or free in the
 * pool. A thread that exits (or is evicted from the table) abandons its
 * heap: pending frees are folded in, empty slabs are handed to the bucket,
 * the others become orphans that any thread's free updates under the slab
 * lock and that the next thread short of a slab adopts. Pool destroy frees
 * every heap; a global registry of live pools (its lock is taken only when
 * a thread exits or is evicted, and by create and destroy) tells an
 * exiting thread which of its heaps still exist. */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/fork_internal.h"
#include "core/libumf_internal.h"
#include "pools/pool_disjoint_internal.h"
#include "util/base_alloc_internal.h"
#include "util/bump_arena_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Fold the frees other threads left in the remote bitmap into the free
 * bitmap (caller holds the slab lock); returns how many. A chunk that is
 * free already (a double free) is not counted twice. */
static uint32_t dj_slab_fold_remote(const dj_bucket_t *b, dj_slab_t *s) {
    uint32_t left = s->rcount;
    if (!left) {
        return 0;
    }
    uint64_t *remote = s->bits + b->nwords + b->nsum;
    uint32_t n = 0;
    for (uint32_t w = 0; left && w < b->nwords; w++) {
        uint64_t r = remote[w];
        if (r) {
            left -= (uint32_t)__builtin_popcountll(r);
            r &= ~s->bits[b->nsum + w];
            if (r) {
                n += (uint32_t)__builtin_popcountll(r);
                disjoint_slab_put_bits(b, s, w, r);
            }
            remote[w] = 0;
        }
    }
    s->rcount = 0;
    s->used -= n;
    return n;
}

/* ---- heaps ---- */

static void dj_heap_own(dj_heap_t *h, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    __atomic_store_n(&s->owner, h, __ATOMIC_RELAXED);
    c->own_prev = NULL;
    c->own_next = h->owned;
    if (h->owned) {
        DJ_COLD(h->owned)->own_prev = s;
    }
    h->owned = s;
}

static void dj_heap_disown(dj_heap_t *h, dj_slab_t *s) {
    dj_slab_cold_t *c = DJ_COLD(s);
    if (c->own_prev) {
        DJ_COLD(c->own_prev)->own_next = c->own_next;
    } else {
        h->owned = c->own_next;
    }
    if (c->own_next) {
        DJ_COLD(c->own_next)->own_prev = c->own_prev;
    }
    c->own_prev = c->own_next = NULL;
}

/* An owned slab became empty: out of the heap and to the bucket. */
/* The heap holds a unit that its kept empty slab (which is always the
 * head of the bucket's list) does not carry now: that slab is in use. */
static bool dj_unit_unused(const dj_hbucket_t *hb) {
    return hb->holds_unit && !(hb->head && hb->head->cached);
}

static void dj_heap_release_slab(dj_pool_t *pool, dj_heap_t *h, dj_slab_t *s) {
    dj_hbucket_t *hb = &h->b[s->bucket->index];
    if (s->used == 0 && dj_unit_unused(hb)) {
        s->cached = true; /* the heap's unit goes with the empty slab */
    }
    if (s->cached) {
        hb->holds_unit = false;
    }
    if (s->listed) {
        disjoint_list_remove(&hb->head, &hb->tail, s);
        s->listed = false;
    }
    dj_heap_disown(h, s);
    disjoint_bucket_release(pool, s->bucket, s);
}

/* An owned slab became empty by its owner's free. When it is the heap's
 * only slab of the bucket that is not full, and has several chunks, the
 * heap keeps it (counted as a cached empty slab): a bucket with few live
 * chunks then reuses it without handing it through the bucket lock to
 * another thread's cache. A slab of one chunk always goes to the bucket's
 * list, where every thread finds it: kept by heaps, the capacity's slabs
 * were split among the threads, and one thread mapped a slab while another
 * kept an empty one (10% more mmap and munmap in the mixed stress). */
void disjoint_heap_empty_slab(dj_pool_t *pool, dj_heap_t *h, dj_hbucket_t *hb,
                              dj_slab_t *s) {
    bool alone = s->listed ? hb->head == s && hb->tail == s : !hb->head;
    if (alone && s->bucket->nchunks > 1 &&
        (hb->holds_unit || disjoint_empty_try_add(pool, s->bucket))) {
        hb->holds_unit = true;
        s->cached = true;
        if (!s->listed) {
            disjoint_list_push_head(&hb->head, &hb->tail, s);
            s->listed = true;
        }
        return;
    }
    dj_heap_release_slab(pool, h, s);
}

void disjoint_heap_drop_units(dj_pool_t *pool, dj_heap_t *h) {
    for (size_t i = 0; i < pool->nbuckets; i++) {
        dj_hbucket_t *hb = &h->b[i];
        if (dj_unit_unused(hb)) {
            disjoint_empty_sub(pool, &pool->buckets[i]);
            hb->holds_unit = false;
        }
    }
}

/* Fold in the frees other threads made into this heap's slabs. */
void disjoint_heap_collect(dj_pool_t *pool, dj_heap_t *h) {
    dj_slab_t *s = __atomic_exchange_n(&h->pending, NULL, __ATOMIC_ACQUIRE);
    while (s) {
        /* stable until in_pending is cleared below */
        dj_slab_t *next = DJ_COLD(s)->pending_next;
        dj_bucket_t *b = s->bucket;
        utils_spin_lock(&s->lock);
        s->in_pending = false;
        bool was_full = s->used == b->nchunks;
        uint32_t n = dj_slab_fold_remote(b, s);
        utils_spin_unlock(&s->lock);
        dj_hbucket_t *hb = &h->b[b->index];
        hb->nfree += n;
        if (s->used == 0) {
            dj_heap_release_slab(pool, h, s);
        } else if (was_full && n) {
            disjoint_list_push_tail(&hb->head, &hb->tail, s);
            s->listed = true;
        }
        s = next;
    }
}

/* A slab for heap h in bucket b: a partly used orphan, a cached empty
 * slab, an empty one of another bucket cut again, or a new one. NULL with
 * the last error set on failure. */
dj_slab_t *disjoint_heap_refill(dj_pool_t *pool, dj_heap_t *h, dj_bucket_t *b) {
    dj_slab_t *s = NULL;
    bool orphan = false;
    pthread_mutex_lock(&b->lock);
    if (b->orphans) {
        s = b->orphans;
        disjoint_list_remove(&b->orphans, NULL, s);
        s->orphan = DJ_ORPHAN_ADOPTING;
        orphan = true;
    } else if (b->empty) {
        s = b->empty;
        disjoint_list_remove(&b->empty, NULL, s);
        s->cached = false;
    }
    pthread_mutex_unlock(&b->lock);
    if (orphan) {
        /* frees into it may still be running */
        utils_spin_lock(&s->lock);
        s->orphan = DJ_ORPHAN_NONE;
        dj_heap_own(h, s);
        utils_spin_unlock(&s->lock);
    } else {
        if (s) {
            disjoint_empty_sub(pool, b);
        } else if (!(s = disjoint_slab_recut(pool, h, b)) &&
                   !(s = disjoint_slab_create(pool, h, b))) {
            return NULL;
        }
        dj_heap_own(h, s);
    }
    dj_hbucket_t *hb = &h->b[b->index];
    disjoint_list_push_head(&hb->head, &hb->tail, s);
    s->listed = true;
    return s;
}

/* The thread's heap is going away (thread exit, table eviction): pending
 * frees are folded in, empty slabs go to their buckets, the others become
 * orphans. */
static void dj_heap_abandon(dj_pool_t *pool, dj_heap_t *h) {
    disjoint_heap_collect(pool, h);
    disjoint_heap_drop_units(pool, h); /* cached slabs carry theirs below */
    for (size_t i = 0; i < pool->nbuckets; i++) {
        utils_fetch_add(&pool->buckets[i].allocs, h->b[i].nalloc);
        utils_fetch_add(&pool->buckets[i].frees, h->b[i].nfree);
    }
    dj_slab_t *s = h->owned;
    while (s) {
        dj_slab_cold_t *c = DJ_COLD(s);
        dj_slab_t *next = c->own_next;
        dj_bucket_t *b = s->bucket;
        s->listed = false;
        c->prev = c->next = NULL;
        c->own_prev = c->own_next = NULL;
        utils_spin_lock(&s->lock);
        /* frees queued after the collect above */
        utils_fetch_add(&b->frees, (uint64_t)dj_slab_fold_remote(b, s));
        s->in_pending = false;
        __atomic_store_n(&s->owner, NULL, __ATOMIC_RELAXED);
        if (s->used) {
            if (s->used < b->nchunks) {
                pthread_mutex_lock(&b->lock);
                disjoint_list_push_head(&b->orphans, NULL, s);
                s->orphan = DJ_ORPHAN_LISTED;
                pthread_mutex_unlock(&b->lock);
            }
            utils_spin_unlock(&s->lock);
        } else {
            utils_spin_unlock(&s->lock);
            disjoint_bucket_release(pool, b, s);
        }
        s = next;
    }
    pthread_mutex_lock(&pool->map_lock);
    umf_bump_cursor_release(&pool->desc_arena, &h->descs);
    pthread_mutex_unlock(&pool->map_lock);
    pthread_mutex_lock(&pool->heaps_lock);
    utils_atomic_store_relaxed(&pool->nheaps, pool->nheaps - 1);
    if (h->prev) {
        h->prev->next = h->next;
    } else {
        pool->heaps = h->next;
    }
    if (h->next) {
        h->next->prev = h->prev;
    }
    pthread_mutex_unlock(&pool->heaps_lock);
    umf_ba_free(h->raw);
}

/* ---- the thread-local table of heaps, the registry of live pools ---- */

__thread dj_tls_slot_t disjoint_tls[DJ_TLS_SLOTS] DJ_TLS_LOCAL;
static __thread bool dj_tls_registered;

static pthread_mutex_t dj_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static dj_pool_t *dj_registry;
static uint64_t dj_next_id = 1;
static pthread_once_t dj_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t dj_key;
static bool dj_key_ok;

/* Drop the thread's binding in a slot, abandoning its heap if the pool is
 * still alive (the registry lock keeps it alive meanwhile). */
static void dj_tls_release(dj_tls_slot_t *slot) {
    if (!slot->pool) {
        return;
    }
    pthread_mutex_lock(&dj_registry_lock);
    for (dj_pool_t *p = dj_registry; p; p = p->reg_next) {
        if (p == slot->pool && p->id == slot->id) {
            /* a pool that outlived umfTearDown is left alone */
            if (!umf_is_stale(p->generation)) {
                dj_heap_abandon(p, slot->heap);
            }
            break;
        }
    }
    pthread_mutex_unlock(&dj_registry_lock);
    slot->pool = NULL;
    slot->id = 0;
    slot->heap = NULL;
}

static void dj_thread_exit(void *arg) {
    (void)arg;
    /* it takes the pool's locks: inside the fork gate, like a pool call */
    umf_fork_gate_enter();
    for (unsigned i = 0; i < DJ_TLS_SLOTS; i++) {
        dj_tls_release(&disjoint_tls[i]);
    }
    umf_fork_gate_exit();
    dj_tls_registered = false;
}

static void dj_key_create(void) {
    dj_key_ok = pthread_key_create(&dj_key, dj_thread_exit) == 0;
    if (!dj_key_ok) {
        LOG_ERR("cannot create the disjoint pool's thread key: heaps of "
                "exiting threads stay until their pools are destroyed");
    }
}

/* When libumf is unloaded, threads must not call into it at exit. */
__attribute__((destructor)) static void dj_lib_fini(void) {
    if (dj_key_ok) {
        pthread_key_delete(dj_key);
        dj_key_ok = false;
    }
}

static dj_heap_t *dj_heap_bind(dj_pool_t *pool, dj_tls_slot_t *slot) {
    dj_tls_release(slot);
    void *raw;
    dj_heap_t *h = disjoint_calloc_line_aligned(pool->heap_size, &raw);
    if (!h) {
        LOG_ERR("cannot allocate a heap for this thread");
        return NULL;
    }
    h->raw = raw;
    h->pool = pool;
    pthread_mutex_lock(&pool->heaps_lock);
    utils_atomic_store_relaxed(&pool->nheaps, pool->nheaps + 1);
    h->next = pool->heaps;
    if (pool->heaps) {
        pool->heaps->prev = h;
    }
    pool->heaps = h;
    pthread_mutex_unlock(&pool->heaps_lock);
    if (!dj_tls_registered) {
        pthread_once(&dj_key_once, dj_key_create);
        if (dj_key_ok) {
            pthread_setspecific(dj_key, (void *)1);
        }
        dj_tls_registered = true;
    }
    slot->pool = pool;
    slot->id = pool->id;
    slot->heap = h;
    return h;
}

/* The table is associative: a binding not in its home slot is searched
 * for and moved there, and a new one displaces the home slot's binding
 * into a free slot; only a thread using more pools than slots abandons a
 * heap to make room. */
dj_heap_t *disjoint_heap_find(dj_pool_t *pool, dj_tls_slot_t *home,
                              bool create) {
    dj_tls_slot_t *free_slot = NULL;
    for (unsigned i = 0; i < DJ_TLS_SLOTS; i++) {
        dj_tls_slot_t *slot = &disjoint_tls[i];
        if (slot->pool == pool && slot->id == pool->id) {
            dj_tls_slot_t tmp = *home;
            *home = *slot;
            *slot = tmp;
            return home->heap;
        }
        if (!slot->pool) {
            free_slot = slot;
        }
    }
    if (!create) {
        return NULL;
    }
    if (home->pool && free_slot) {
        *free_slot = *home;
        home->pool = NULL;
        home->id = 0;
        home->heap = NULL;
    }
    return dj_heap_bind(pool, home);
}

/* ---- frees by other threads ---- */

/* A free by any other thread, under the slab lock: into the remote bitmap
 * of an owned slab, or straight into an orphan. */
umf_result_t disjoint_free_remote(dj_pool_t *pool, dj_slab_t *s, size_t idx,
                                  void *ptr) {
    dj_bucket_t *b = s->bucket;
    uint64_t mask = (uint64_t)1 << (idx % 64);
    utils_spin_lock(&s->lock);
    dj_heap_t *owner = __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
    if (owner) {
        uint64_t *remote = s->bits + b->nwords + b->nsum;
        if (UMF_UNLIKELY(remote[idx / 64] & mask)) {
            utils_spin_unlock(&s->lock);
            return disjoint_free_invalid(pool, ptr);
        }
        remote[idx / 64] |= mask;
        s->rcount++;
        if (!s->in_pending) {
            s->in_pending = true;
            dj_slab_t *head =
                __atomic_load_n(&owner->pending, __ATOMIC_RELAXED);
            do {
                DJ_COLD(s)->pending_next = head;
            } while (!__atomic_compare_exchange_n(&owner->pending, &head, s,
                                                  true, __ATOMIC_RELEASE,
                                                  __ATOMIC_RELAXED));
        }
        utils_spin_unlock(&s->lock);
        return UMF_RESULT_SUCCESS;
    }
    /* an orphan (or an empty slab: a double free, which put detects) */
    bool was_full = s->used == b->nchunks;
    if (UMF_UNLIKELY(!disjoint_slab_put(b, s, idx))) {
        utils_spin_unlock(&s->lock);
        return disjoint_free_invalid(pool, ptr);
    }
    utils_fetch_add(&b->frees, (uint64_t)1);
    bool release = false;
    if (s->used == 0 || was_full) {
        pthread_mutex_lock(&b->lock);
        if (s->used == 0) {
            /* an adopter that took it off the list will use it */
            if (s->orphan == DJ_ORPHAN_LISTED) {
                disjoint_list_remove(&b->orphans, NULL, s);
                s->orphan = DJ_ORPHAN_NONE;
                release = true;
            } else if (s->orphan == DJ_ORPHAN_NONE) {
                release = true;
            }
        } else {
            disjoint_list_push_head(&b->orphans, NULL, s);
            s->orphan = DJ_ORPHAN_LISTED;
        }
        pthread_mutex_unlock(&b->lock);
    }
    utils_spin_unlock(&s->lock);
    if (release) {
        disjoint_bucket_release(pool, b, s);
    }
    return UMF_RESULT_SUCCESS;
}

void disjoint_registry_add(dj_pool_t *pool) {
    pthread_mutex_lock(&dj_registry_lock);
    pool->id = dj_next_id++;
    pool->reg_next = dj_registry;
    if (dj_registry) {
        dj_registry->reg_prev = pool;
    }
    dj_registry = pool;
    pthread_mutex_unlock(&dj_registry_lock);
}

void disjoint_registry_remove(dj_pool_t *pool) {
    pthread_mutex_lock(&dj_registry_lock);
    if (pool->reg_prev) {
        pool->reg_prev->reg_next = pool->reg_next;
    } else if (dj_registry == pool) {
        dj_registry = pool->reg_next;
    }
    if (pool->reg_next) {
        pool->reg_next->reg_prev = pool->reg_prev;
    }
    pthread_mutex_unlock(&dj_registry_lock);
}
