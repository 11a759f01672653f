/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* coarse_lanes.c -- the per-thread lanes of a coarse instance (see
 * coarse_impl_internal.h): when they start, the fast allocation and free
 * of a lane, and what the instance asks of them (detach a block, flush the
 * cached blocks, placement, statistics, fork). */
#include <string.h>

#include "coarse_impl_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* Lock acquisitions that must wait before an instance starts its lanes:
 * a lone collision does not change how a mostly single-threaded instance
 * lays out its blocks. */
#define COARSE_LANES_AFTER 16
#define WINDOW_SHIFT 16

/* A block's lane word (see coarse_impl_internal.h). */
static void lane_word_set(coarse_block_t *b, unsigned w) {
    utils_atomic_store_release(&b->lane, (uint16_t)w);
}

static unsigned lane_next;
static __thread unsigned lane_of_thread; /* 1 + index, 0 before the first */

/* The calling thread's lane: threads take lanes round robin. */
static unsigned lane_self(void) {
    unsigned v = lane_of_thread;
    if (UMF_UNLIKELY(v == 0)) {
        v = __atomic_fetch_add(&lane_next, 1u, __ATOMIC_RELAXED) %
                COARSE_LANES +
            1;
        lane_of_thread = v;
    }
    return v - 1;
}

static void lanes_start(coarse_t *c) {
    size_t bytes = sizeof(coarse_lane_t) * COARSE_LANES;
    void *mem = umf_ba_alloc(bytes + 63);
    if (!mem) {
        return; /* no lanes: the lock keeps serving every call */
    }
    coarse_lane_t *lanes =
        (coarse_lane_t *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    memset(lanes, 0, bytes);
    c->lanes_mem = mem;
    utils_atomic_store_release(&c->lanes, lanes);
    LOG_DEBUG("%s: threads contend; per-thread lanes started", c->name);
}

void coarse_lock(coarse_t *c) {
    if (pthread_mutex_trylock(&c->lock) == 0) {
        return;
    }
    pthread_mutex_lock(&c->lock);
    if (!c->lanes && ++c->contended >= COARSE_LANES_AFTER) {
        lanes_start(c);
    }
}

umf_result_t coarse_start_lanes(coarse_t *c) {
    if (!c) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&c->lock);
    if (!c->lanes) {
        lanes_start(c);
    }
    umf_result_t ret =
        c->lanes ? UMF_RESULT_SUCCESS : UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    pthread_mutex_unlock(&c->lock);
    return ret;
}

/* ---- the lane's own paths ---- */

/* (counts are stored atomically: n_cached is also read without the lock) */
static void ent_remove(coarse_lane_ent_t *list, unsigned *n, unsigned i) {
    memmove(&list[i], &list[i + 1], (*n - i - 1) * sizeof(list[0]));
    __atomic_store_n(n, *n - 1, __ATOMIC_RELAXED);
}

/* Put e on the handed list (or leave it to the instance when full). */
static void handed_put(coarse_lane_t *l, unsigned idx,
                       const coarse_lane_ent_t *e) {
    if (l->n_handed < COARSE_LANE_HANDED_MAX) {
        l->handed[l->n_handed++] = *e;
        lane_word_set(e->b, COARSE_LANE_HANDED | idx);
    } else {
        lane_word_set(e->b, COARSE_LANE_NONE);
    }
}

bool coarse_lane_alloc(coarse_t *c, size_t rsize, size_t align, void **ptr) {
    coarse_lane_t *lanes = utils_atomic_load_acquire(&c->lanes);
    if (!lanes) {
        return false;
    }
    unsigned idx = lane_self();
    coarse_lane_t *l = &lanes[idx];
    if (__atomic_load_n(&l->n_cached, __ATOMIC_RELAXED) == 0) {
        return false;
    }
    bool found = false;
    utils_spin_lock(&l->lock);
    for (unsigned i = l->n_cached; i-- > 0;) {
        coarse_lane_ent_t e = l->cached[i];
        if (e.size == rsize && (e.addr & (align - 1)) == 0) {
            ent_remove(l->cached, &l->n_cached, i);
            l->cached_bytes -= e.size;
            handed_put(l, idx, &e);
            *ptr = (void *)e.addr;
            found = true;
            break;
        }
    }
    utils_spin_unlock(&l->lock);
    return found;
}

bool coarse_lane_free(coarse_t *c, uintptr_t addr, size_t rsize,
                      umf_result_t *ret) {
    coarse_lane_t *lanes = utils_atomic_load_acquire(&c->lanes);
    if (!lanes) {
        return false;
    }
    unsigned idx = lane_self();
    coarse_lane_t *l = &lanes[idx];
    coarse_lane_ent_t victim = {NULL, 0, 0};
    utils_spin_lock(&l->lock);
    unsigned i = 0;
    while (i < l->n_handed && l->handed[i].addr != addr) {
        i++;
    }
    if (i == l->n_handed) {
        utils_spin_unlock(&l->lock);
        return false;
    }
    coarse_lane_ent_t e = l->handed[i];
    if (rsize != 0 && rsize != e.size) {
        utils_spin_unlock(&l->lock);
        LOG_ERR("%s: size %zu does not match the size %zu of %p", c->name,
                rsize, e.size, (void *)addr);
        *ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        return true;
    }
    ent_remove(l->handed, &l->n_handed, i);
    if (e.size > COARSE_LANE_BLOCK_MAX) {
        victim = e; /* not worth keeping: straight back */
    } else {
        if (l->n_cached == COARSE_LANE_CACHED_MAX) {
            victim = l->cached[0];
            ent_remove(l->cached, &l->n_cached, 0);
            l->cached_bytes -= victim.size;
        }
        l->cached[l->n_cached] = e;
        __atomic_store_n(&l->n_cached, l->n_cached + 1, __ATOMIC_RELAXED);
        l->cached_bytes += e.size;
        lane_word_set(e.b, COARSE_LANE_CACHED | idx);
    }
    if (victim.b) {
        lane_word_set(victim.b, COARSE_LANE_EVICTING);
    }
    utils_spin_unlock(&l->lock);
    if (victim.b) {
        pthread_mutex_lock(&c->lock);
        lane_word_set(victim.b, COARSE_LANE_NONE);
        coarse_release_locked(c, victim.b);
        pthread_mutex_unlock(&c->lock);
    }
    *ret = UMF_RESULT_SUCCESS;
    return true;
}

/* ---- what the instance asks (instance lock held) ---- */

void coarse_lanes_note_alloc(coarse_t *c, coarse_block_t *b) {
    if (!c->lanes) {
        return;
    }
    unsigned idx = lane_self();
    coarse_lane_t *l = &c->lanes[idx];
    l->home = (b->addr >> WINDOW_SHIFT) + 1;
    coarse_lane_ent_t e = {b, b->addr, b->size};
    utils_spin_lock(&l->lock);
    handed_put(l, idx, &e);
    utils_spin_unlock(&l->lock);
}

bool coarse_lanes_detach(coarse_t *c, coarse_block_t *b) {
    uint16_t w = utils_atomic_load_acquire(&b->lane);
    if (w == COARSE_LANE_NONE) {
        return true;
    }
    if (w & COARSE_LANE_FREE_STATES) {
        return false;
    }
    coarse_lane_t *l = &c->lanes[COARSE_LANE_INDEX(w)];
    bool ok = false;
    utils_spin_lock(&l->lock);
    /* unchanged, unless its thread freed it meanwhile */
    if (utils_atomic_load_acquire(&b->lane) == w) {
        unsigned i = 0;
        while (i < l->n_handed && l->handed[i].b != b) {
            i++;
        }
        if (i < l->n_handed) {
            ent_remove(l->handed, &l->n_handed, i);
        }
        lane_word_set(b, COARSE_LANE_NONE);
        ok = true;
    }
    utils_spin_unlock(&l->lock);
    return ok;
}

bool coarse_lanes_flush(coarse_t *c) {
    bool any = false;
    for (unsigned j = 0; c->lanes && j < COARSE_LANES; j++) {
        coarse_lane_t *l = &c->lanes[j];
        coarse_lane_ent_t taken[COARSE_LANE_CACHED_MAX];
        utils_spin_lock(&l->lock);
        unsigned n = l->n_cached;
        memcpy(taken, l->cached, n * sizeof(taken[0]));
        for (unsigned i = 0; i < n; i++) {
            lane_word_set(taken[i].b, COARSE_LANE_NONE);
        }
        __atomic_store_n(&l->n_cached, 0u, __ATOMIC_RELAXED);
        l->cached_bytes = 0;
        utils_spin_unlock(&l->lock);
        for (unsigned i = 0; i < n; i++) {
            coarse_release_locked(c, taken[i].b);
        }
        any |= n != 0;
    }
    return any;
}

/* Is window w (1 + index) the home of a lane other than self's? */
static bool window_of_another(const coarse_t *c, uintptr_t w, unsigned self) {
    for (unsigned j = 0; j < COARSE_LANES; j++) {
        if (j != self && c->lanes[j].home == w) {
            return true;
        }
    }
    return false;
}

size_t coarse_lanes_place(coarse_t *c, const coarse_block_t *b, size_t first,
                          size_t rsize, size_t align) {
    const size_t window = (size_t)1 << WINDOW_SHIFT;
    if (!c->lanes || rsize > window / 2 || align > window) {
        return first;
    }
    unsigned self = lane_self();
    size_t off = first;
    /* a few windows at most: past them the block is another lane's home
     * all along, and the first fit is as good as any */
    for (int tries = 0; tries < 4; tries++) {
        uintptr_t at = b->addr + off;
        if (!window_of_another(c, (at >> WINDOW_SHIFT) + 1, self)) {
            return off;
        }
        size_t next = (size_t)(((at >> WINDOW_SHIFT) + 1) << WINDOW_SHIFT) -
                      (size_t)b->addr;
        if (next > b->size || b->size - next < rsize) {
            break;
        }
        off = next;
    }
    return COARSE_PLACE_ELSEWHERE;
}

void coarse_lanes_cached(coarse_t *c, size_t *bytes, size_t *blocks) {
    *bytes = *blocks = 0;
    for (unsigned j = 0; c->lanes && j < COARSE_LANES; j++) {
        coarse_lane_t *l = &c->lanes[j];
        utils_spin_lock(&l->lock);
        *bytes += l->cached_bytes;
        *blocks += l->n_cached;
        utils_spin_unlock(&l->lock);
    }
}

void coarse_lanes_lock_all(coarse_t *c) {
    for (unsigned j = 0; c->lanes && j < COARSE_LANES; j++) {
        utils_spin_lock(&c->lanes[j].lock);
    }
}

void coarse_lanes_unlock_all(coarse_t *c) {
    for (unsigned j = 0; c->lanes && j < COARSE_LANES; j++) {
        utils_spin_unlock(&c->lanes[j].lock);
    }
}

void coarse_lanes_delete(coarse_t *c) {
    umf_ba_free(c->lanes_mem);
    c->lanes = NULL;
    c->lanes_mem = NULL;
}
