/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* coarse_impl_internal.h -- what the two files of the coarse allocator
 * share: the instance, its blocks and sources (coarse.c), and the
 * per-thread lanes (coarse_lanes.c).
 *
 * Lanes. While one thread at a time uses an instance, every call takes the
 * instance lock. Once threads are seen contending for it, the instance
 * gets COARSE_LANES lanes and every thread uses one (round robin). A lane
 * keeps two short lists under its own spinlock:
 *   handed  blocks the instance gave the lane's threads, so that their free
 *           is validated (address, size) without the instance lock;
 *   cached  blocks those threads freed, for their next allocation of the
 *           same size (LIFO; the oldest goes back to the instance when the
 *           list is full).
 * The instance still sees a cached block as allocated (it is not merged
 * with its neighbours); the block's lane word says where it is, so the
 * instance refuses a free, split or merge of a cached block as it would
 * one of a free block. The lanes are emptied into the instance before an
 * allocation fails, and counted out of the statistics.
 *
 * Lock order: the instance lock, then a lane lock. The lane paths never
 * take the instance lock while they hold their lane's. */
#ifndef UMF_COARSE_IMPL_INTERNAL_H
#define UMF_COARSE_IMPL_INTERNAL_H 1

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coarse_internal.h"
#include "util/avl_internal.h"
#include "util/spinlock_internal.h"

typedef struct coarse_source_t coarse_source_t;

/* A block's lane word: COARSE_LANE_NONE, or a state below ORed with the
 * index of the lane concerned. Changed only under that lane's lock (from
 * NONE and back to it under the instance lock too), except EVICTING back
 * to NONE, under the instance lock; read atomically. */
#define COARSE_LANE_NONE 0u
#define COARSE_LANE_HANDED 0x100u   /* allocated, on the lane's handed list */
#define COARSE_LANE_CACHED 0x200u   /* free, on the lane's cached list */
#define COARSE_LANE_EVICTING 0x400u /* free, on its way to the instance */
#define COARSE_LANE_FREE_STATES (COARSE_LANE_CACHED | COARSE_LANE_EVICTING)
#define COARSE_LANE_INDEX(w) ((unsigned)(w)&0xffu)

typedef struct coarse_block_t {
    avl_node_t by_addr;
    avl_node_t by_size;          /* linked only while the block is free */
    struct coarse_block_t *prev; /* address neighbours in the same source */
    struct coarse_block_t *next;
    coarse_source_t *src;
    uintptr_t addr;
    size_t size;
    bool used;     /* allocated, or kept by a lane (see lane) */
    uint16_t lane; /* COARSE_LANE_* (atomic) */
} coarse_block_t;

struct coarse_source_t {
    coarse_source_t *next_src;
    coarse_block_t *first; /* the block at base; merges never remove it */
    uintptr_t base;
    size_t size;
    bool from_cb; /* obtained from cb.alloc, so it goes back to cb.free */
};

#define COARSE_LANES 16
#define COARSE_LANE_CACHED_MAX 8
#define COARSE_LANE_HANDED_MAX 16
/* Lanes cache blocks up to this size: larger ones cost the lock little
 * next to what their users do with them, and would fragment the instance. */
#define COARSE_LANE_BLOCK_MAX ((size_t)256 * 1024)

/* A block on a lane's list, with copies of its address and size (stable
 * while it is there: split and merge take it off first). */
typedef struct coarse_lane_ent_t {
    coarse_block_t *b;
    uintptr_t addr;
    size_t size;
} coarse_lane_ent_t;

typedef struct coarse_lane_t {
    utils_spin_t lock;
    unsigned n_cached, n_handed; /* n_cached also read without the lock */
    size_t cached_bytes;
    /* 1 + the 64 KiB window of the lane's last allocation from the
     * instance, 0 before any (under the instance lock) */
    uintptr_t home;
    coarse_lane_ent_t cached[COARSE_LANE_CACHED_MAX]; /* oldest first */
    coarse_lane_ent_t handed[COARSE_LANE_HANDED_MAX];
    char pad[32]; /* to whole cache lines: lanes share none */
} coarse_lane_t;

_Static_assert(sizeof(coarse_lane_t) % 64 == 0,
               "a lane fills whole cache lines");

struct coarse_t {
    pthread_mutex_t lock;
    void *provider;
    coarse_callbacks_t cb;
    size_t page_size;
    char name[64];
    avl_tree_t by_addr;
    avl_tree_t free_by_size;
    coarse_source_t *sources;
    coarse_stats_t stats;
    /* Block descriptors a merge freed, for the next cuts (under the lock):
     * an allocation+free pair then takes no base allocator lock, which
     * threads sharing the instance would otherwise also contend on. */
    coarse_block_t *spares;
    size_t n_spares;
    /* NULL until the lanes start (set once, under the lock; read
     * atomically); on a cache line boundary inside lanes_mem */
    coarse_lane_t *lanes;
    void *lanes_mem;
    unsigned contended; /* lock acquisitions that had to wait (lock) */
};

/* ---- coarse.c, for the lanes (instance lock held) ---- */

/* Make the allocated block b free, merging it with free neighbours. */
void coarse_release_locked(coarse_t *c, coarse_block_t *b);

/* ---- coarse_lanes.c ---- */

/* Take the instance lock; start the lanes once threads keep contending. */
void coarse_lock(coarse_t *c);

/* Without the instance lock: an allocation of rsize bytes (page-rounded)
 * at alignment align from the calling thread's lane (true), or false when
 * it has no such block or the lanes have not started. */
bool coarse_lane_alloc(coarse_t *c, size_t rsize, size_t align, void **ptr);

/* Without the instance lock: the free of a block the calling thread's
 * lane handed out (true, result in *ret), or false when the lane does not
 * know addr. rsize is the page-rounded size the caller gave, 0 for the
 * whole block. */
bool coarse_lane_free(coarse_t *c, uintptr_t addr, size_t rsize,
                      umf_result_t *ret);

/* Instance lock held. */
/* b (allocated) was just handed to the calling thread: its lane records
 * it. */
void coarse_lanes_note_alloc(coarse_t *c, coarse_block_t *b);
/* b (used) is about to be freed, split or merged by the instance: take it
 * off the lane that handed it out. false when a lane keeps it free, so
 * that the caller refuses the call as it would for a free block. */
bool coarse_lanes_detach(coarse_t *c, coarse_block_t *b);
/* Give every cached block back to the instance; true when there was one. */
bool coarse_lanes_flush(coarse_t *c);
/* Offset in the free block b at which to cut rsize bytes at alignment
 * align: first (its first aligned offset), or with lanes started, the first
 * that is not in another lane's home window (threads' small blocks then
 * sit in windows of their own: the tracker's leaf locks and the blocks'
 * cache lines are not shared); COARSE_PLACE_ELSEWHERE when b has no such
 * place. */
#define COARSE_PLACE_ELSEWHERE ((size_t)-1)
size_t coarse_lanes_place(coarse_t *c, const coarse_block_t *b, size_t first,
                          size_t rsize, size_t align);
/* Bytes and count of the blocks the lanes keep free. */
void coarse_lanes_cached(coarse_t *c, size_t *bytes, size_t *blocks);
void coarse_lanes_lock_all(coarse_t *c);
void coarse_lanes_unlock_all(coarse_t *c);
void coarse_lanes_delete(coarse_t *c);

#endif /* UMF_COARSE_IMPL_INTERNAL_H */
