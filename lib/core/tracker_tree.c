/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracker_tree.c -- one nesting level of the tracker: disjoint ranges in a
 * radix tree over the 64-bit address space.
 *
 * Shape. Nodes of three fixed depths split an address into 16-bit digits
 * (bits 63-48, 47-32, 31-16), so a slot of the third depth stands for a
 * 64 KiB window. A window's slot holds a leaf: up to TT_LEAF_CAP (16)
 * ranges whose base lies in the window, sorted by base, with their sizes
 * and pools beside the bases so that a lookup answered there reads no
 * record; page-sized ranges always fit. When a 17th range lands in a
 * window the leaf becomes a finer node of 16 slots (4 KiB, then 256 and
 * 16 bytes each, where 16 distinct bases always fit one leaf). The upper
 * nodes are mapped lazily (untouched slots cost no memory); all nodes stay
 * until the tracker goes.
 *
 * Covers. A range that reaches past the slot holding its base is also
 * named, as a cover, by every later slot whose first address it contains,
 * in each node on its base's path: a slot of the top depth for 256 TiB
 * ranges, of the third for 64 KiB ones. A lookup walks the path of the
 * address and keeps the covers it passes; when the leaf has no range with
 * base <= the address, the answer is the cover that contains it. Ranges
 * of one level are disjoint, so at most one can.
 *
 * Reading. A lookup takes no lock. Leaves carry a sequence number (odd
 * while a writer changes them) and records a generation (odd while
 * written or free); a lookup re-reads every word its answer rests on (the
 * leaf's sequence, the slot it stopped at, the cover slot it used) after
 * reading the record, and starts again when one changed. Leaves and
 * records come from type-stable caches (util/stable_cache_internal.h), so
 * a stale pointer still reads a leaf or a record; a reused leaf is caught
 * by its span check, a reused record by the slot it came from.
 *
 * Writing. Writers lock one leaf; an empty slot gets its leaf or node by
 * compare-and-swap. Covers are written by the writer of their range only
 * (ranges are disjoint) and a writer that changes one range's covers holds
 * that range's leaf, so a leaf turning into a node copies covers that no
 * one is changing. Writers first publish the new places (the high part of
 * a split, a grown range's covers) and only then change or free the old
 * record, so a reader that sees the change also sees the new places. */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "core/fork_internal.h"
#include "core/tracker_tree_internal.h"
#include "util/base_alloc_internal.h"
#include "util/spinlock_internal.h"
#include "util/stable_cache_internal.h"
#include "util/utils_internal.h"

#define TT_LEAF_CAP 16
#define TT_DEPTHS 6
#define TT_LEAF_DEPTH 2 /* the first depth whose slots hold leaves */

/* Every shared word is read with acquire loads and written with release
 * stores: that orders the sequence and generation words against the data
 * without standalone fences (which ThreadSanitizer cannot model); on x86
 * both are plain moves. */
#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static const struct {
    unsigned char shift, bits;
} tt_depths[TT_DEPTHS] = {{48, 16}, {32, 16}, {16, 16},
                          {12, 4},  {8, 4},   {4, 4}};
/* Nodes this deep are small (16 slots) and come from the base allocator;
 * the upper ones are mapped, so their untouched slots cost nothing. */
#define TT_SMALL_DEPTH 3

typedef struct tt_slot_t {
    uintptr_t child; /* a node, a leaf (bit 0 set) or 0 */
    tt_rec_t *cover; /* the range that contains this slot's first address */
} tt_slot_t;

struct tt_node_t {
    uintptr_t lo; /* first address of the node's span */
    unsigned shift, mask, depth;
    size_t map_len; /* 0: from the base allocator */
    uint64_t *used; /* a bit per slot with a child: walks skip the rest */
    tt_slot_t slots[];
};

/* Copies of a record's size and pool: a lookup answered by the leaf reads
 * no record (one cache miss less). */
typedef struct tt_leaf_ent_t {
    size_t size;
    umf_memory_pool_handle_t pool;
} tt_leaf_ent_t;

/* The first TT_NEAR bases share the header's cache line and their entries
 * fill the next one: a lookup in a leaf of up to TT_NEAR ranges (most of
 * them, unless ranges are page-sized and packed) reads two lines. */
#define TT_NEAR 4

typedef struct tt_leaf_t {
    unsigned long seq; /* odd while a writer changes the leaf */
    uintptr_t lo;      /* the leaf serves [lo, lo + span) */
    uintptr_t span;    /* 0 while the leaf is free */
    unsigned n;
    utils_spin_t lock;
    /* bases sorted across near_keys then far_keys, UINTPTR_MAX past n */
    uintptr_t near_keys[TT_NEAR];
    tt_leaf_ent_t near_ents[TT_NEAR];
    uintptr_t far_keys[TT_LEAF_CAP - TT_NEAR];
    tt_leaf_ent_t far_ents[TT_LEAF_CAP - TT_NEAR];
    tt_rec_t *recs[TT_LEAF_CAP];
    void *free_link; /* the cache's; readers never read it */
} tt_leaf_t;

static inline uintptr_t *leaf_key(tt_leaf_t *l, unsigned i) {
    return i < TT_NEAR ? &l->near_keys[i] : &l->far_keys[i - TT_NEAR];
}

static inline tt_leaf_ent_t *leaf_ent(tt_leaf_t *l, unsigned i) {
    return i < TT_NEAR ? &l->near_ents[i] : &l->far_ents[i - TT_NEAR];
}

static stable_cache_t tt_leaves = STABLE_CACHE_INITIALIZER(
    (sizeof(tt_leaf_t) + 63) & ~(size_t)63, offsetof(tt_leaf_t, free_link));
static stable_cache_t tt_recs = STABLE_CACHE_INITIALIZER(
    (sizeof(tt_rec_t) + 63) & ~(size_t)63, offsetof(tt_rec_t, free_link));

/* ---- records ---- */

tt_rec_t *tt_rec_new(uintptr_t base, size_t size,
                     umf_memory_pool_handle_t pool) {
    tt_rec_t *r = stable_cache_alloc(&tt_recs);
    if (!r) {
        return NULL;
    }
    unsigned long g = LOAD(&r->gen) | 1; /* a fresh record reads 0 */
    utils_atomic_store_relaxed(&r->gen, g);
    STORE(&r->base, base);
    STORE(&r->size, size);
    STORE(&r->pool, pool);
    STORE(&r->n_children, (size_t)0);
    STORE(&r->gen, g + 1);
    return r;
}

void tt_rec_free(tt_rec_t *r) {
    STORE(&r->gen, r->gen + 1);
    stable_cache_free(&tt_recs, r);
}

static void set_size(tt_rec_t *r, size_t size) {
    utils_atomic_store_relaxed(&r->gen, r->gen + 1);
    STORE(&r->size, size);
    STORE(&r->gen, r->gen + 1);
}

/* ---- reading ---- */

enum { TT_FOUND, TT_MISS, TT_NONE_LE, TT_RETRY };

static int rec_read(tt_rec_t *r, uintptr_t p, tt_found_t *out) {
    unsigned long g = LOAD(&r->gen);
    if (g & 1) {
        return TT_RETRY;
    }
    uintptr_t base = LOAD(&r->base);
    size_t size = LOAD(&r->size);
    umf_memory_pool_handle_t pool = LOAD(&r->pool);
    if (utils_atomic_load_relaxed(&r->gen) != g) {
        return TT_RETRY;
    }
    if (p - base >= size) { /* also rejects p < base */
        return TT_MISS;
    }
    out->rec = r;
    out->base = base;
    out->size = size;
    out->pool = pool;
    return TT_FOUND;
}

/* The leaf's range with the greatest base <= p: FOUND when it contains p,
 * MISS when not, NONE_LE when the leaf has no base <= p. */
static int leaf_search(tt_leaf_t *l, uintptr_t p, tt_found_t *out,
                       unsigned long *seq) {
    unsigned long s = LOAD(&l->seq);
    if (s & 1) {
        return TT_RETRY;
    }
    if (p - LOAD(&l->lo) >= LOAD(&l->span)) {
        return TT_RETRY; /* freed, or reused for another window */
    }
    unsigned below = 0; /* no early exit: no branch to mispredict */
    for (unsigned i = 0; i < TT_NEAR; i++) {
        below += LOAD(&l->near_keys[i]) <= p;
    }
    if (below == TT_NEAR && LOAD(&l->n) > TT_NEAR) {
        for (unsigned i = 0; i < TT_LEAF_CAP - TT_NEAR; i++) {
            below += LOAD(&l->far_keys[i]) <= p;
        }
    }
    *seq = s;
    if (below == 0) {
        return TT_NONE_LE;
    }
    /* the caller checks the sequence once it has used what it read */
    unsigned i = below - 1;
    uintptr_t base = LOAD(leaf_key(l, i));
    size_t size = LOAD(&leaf_ent(l, i)->size);
    if (p - base >= size) {
        return TT_MISS;
    }
    out->rec = LOAD(&l->recs[i]);
    out->base = base;
    out->size = size;
    out->pool = LOAD(&leaf_ent(l, i)->pool);
    return TT_FOUND;
}

/* Writes *out only with an answer that held (FOUND): a caller's previous
 * answer stays when this level has none. */
static int lookup_once(tt_tree_t *t, uintptr_t p, tt_found_t *out) {
    /* below 2^48 start one depth down: the root's first slot has no cover
     * (no range starts before address 0) */
    tt_node_t *n = (p >> 48) == 0 ? LOAD(&t->low) : NULL;
    if (!n && !(n = LOAD(&t->root))) {
        return TT_MISS;
    }
    tt_slot_t *cover_slot[TT_DEPTHS];
    tt_rec_t *cover[TT_DEPTHS];
    unsigned n_covers = 0;
    tt_slot_t *s;
    uintptr_t child;
    for (;;) {
        s = &n->slots[(p >> n->shift) & n->mask];
        tt_rec_t *c = LOAD(&s->cover);
        if (c) {
            cover_slot[n_covers] = s;
            cover[n_covers++] = c;
        }
        child = LOAD(&s->child);
        if (child == 0 || (child & 1)) {
            break;
        }
        n = (tt_node_t *)child;
    }
    tt_leaf_t *leaf = (tt_leaf_t *)(child & ~(uintptr_t)1);
    unsigned long seq = 0;
    tt_found_t res; /* a local the compiler keeps in registers */
    int ret = leaf ? leaf_search(leaf, p, &res, &seq) : TT_NONE_LE;
    if (ret == TT_NONE_LE) {
        ret = TT_MISS;
        while (n_covers-- > 0 && ret == TT_MISS) {
            ret = rec_read(cover[n_covers], p, &res);
            if (LOAD(&cover_slot[n_covers]->cover) != cover[n_covers]) {
                return TT_RETRY;
            }
        }
    }
    if (ret == TT_RETRY) {
        return TT_RETRY;
    }
    /* nothing the answer rests on changed while it was read */
    if (LOAD(&s->child) != child ||
        (leaf && utils_atomic_load_relaxed(&leaf->seq) != seq)) {
        return TT_RETRY;
    }
    if (ret == TT_FOUND) {
        /* field by field: a caller's wide copy of words just stored one by
         * one would stall on store forwarding */
        out->rec = res.rec;
        out->base = res.base;
        out->size = res.size;
        out->pool = res.pool;
    }
    return ret;
}

static void backoff(unsigned attempt) {
    if (attempt > 16) {
        sched_yield(); /* the writer may be off its CPU */
    }
}

bool tt_lookup(tt_tree_t *t, uintptr_t p, tt_found_t *out) {
    if (p == UINTPTR_MAX) {
        return false; /* no range can reach it, and keys use it as "none" */
    }
    for (unsigned attempt = 0;; attempt++) {
        int ret = lookup_once(t, p, out);
        if (ret != TT_RETRY) {
            return ret == TT_FOUND;
        }
        backoff(attempt);
    }
}

/* ---- nodes ---- */

static tt_node_t *node_new(unsigned depth, uintptr_t lo) {
    size_t n_slots = (size_t)1 << tt_depths[depth].bits;
    size_t len = sizeof(tt_node_t) + n_slots * sizeof(tt_slot_t) +
                 (n_slots + 63) / 64 * sizeof(uint64_t);
    tt_node_t *n;
    if (depth >= TT_SMALL_DEPTH) {
        n = umf_ba_calloc(1, len);
        len = 0;
    } else {
        size_t page = utils_page_size();
        len = (len + page - 1) & ~(page - 1);
        n = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
        n = n == MAP_FAILED ? NULL : n;
    }
    if (!n) {
        return NULL;
    }
    n->lo = lo;
    n->shift = tt_depths[depth].shift;
    n->mask = (unsigned)(n_slots - 1);
    n->depth = depth;
    n->map_len = len;
    n->used = (uint64_t *)&n->slots[n_slots];
    return n;
}

static void node_unmap(tt_node_t *n) {
    if (n->map_len) {
        munmap(n, n->map_len);
    } else {
        umf_ba_free(n);
    }
}

static inline unsigned slot_index(const tt_node_t *n, uintptr_t a) {
    return (unsigned)((a >> n->shift) & n->mask);
}

static inline uintptr_t slot_start(const tt_node_t *n, uintptr_t i) {
    return n->lo + (i << n->shift);
}

static void used_set(tt_node_t *n, unsigned i, bool on) {
    uint64_t bit = (uint64_t)1 << (i % 64);
    if (on) {
        __atomic_fetch_or(&n->used[i / 64], bit, __ATOMIC_RELEASE);
    } else {
        __atomic_fetch_and(&n->used[i / 64], ~bit, __ATOMIC_RELEASE);
    }
}

static tt_node_t *root_get(tt_tree_t *t) {
    tt_node_t *root = LOAD(&t->root);
    if (root) {
        return root;
    }
    tt_node_t *fresh = node_new(0, 0);
    if (!fresh) {
        return NULL;
    }
    if (!__atomic_compare_exchange_n(&t->root, &root, fresh, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        node_unmap(fresh);
        return root;
    }
    return fresh;
}

/* The node below slot i of n (a depth above the leaves), made if asked. */
static tt_node_t *node_child(tt_node_t *n, unsigned i, bool make) {
    uintptr_t child = LOAD(&n->slots[i].child);
    if (child || !make) {
        return (tt_node_t *)child;
    }
    tt_node_t *fresh = node_new(n->depth + 1, slot_start(n, i));
    if (!fresh) {
        return NULL;
    }
    if (!__atomic_compare_exchange_n(&n->slots[i].child, &child,
                                     (uintptr_t)fresh, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        node_unmap(fresh);
        return (tt_node_t *)child;
    }
    used_set(n, i, true);
    return fresh;
}

/* ---- leaves ---- */

static inline void leaf_lock(tt_leaf_t *l) { utils_spin_lock(&l->lock); }

static inline void leaf_unlock(tt_leaf_t *l) { utils_spin_unlock(&l->lock); }

static tt_leaf_t *leaf_new(uintptr_t lo, uintptr_t span) {
    tt_leaf_t *l = stable_cache_alloc(&tt_leaves);
    if (!l) {
        return NULL;
    }
    unsigned long s = LOAD(&l->seq) | 1; /* a fresh leaf reads 0 */
    utils_atomic_store_relaxed(&l->seq, s);
    STORE(&l->lo, lo);
    STORE(&l->span, span);
    STORE(&l->n, 0u);
    for (unsigned i = 0; i < TT_LEAF_CAP; i++) {
        STORE(leaf_key(l, i), UINTPTR_MAX);
    }
    STORE(&l->seq, s + 1);
    return l;
}

static void leaf_free(tt_leaf_t *l) { stable_cache_free(&tt_leaves, l); }

static inline void leaf_write_begin(tt_leaf_t *l) {
    utils_atomic_store_relaxed(&l->seq, l->seq + 1);
}

static inline void leaf_write_end(tt_leaf_t *l) { STORE(&l->seq, l->seq + 1); }

static inline void leaf_copy(tt_leaf_t *l, unsigned to, unsigned from) {
    STORE(leaf_key(l, to), *leaf_key(l, from));
    STORE(&leaf_ent(l, to)->size, leaf_ent(l, from)->size);
    STORE(&leaf_ent(l, to)->pool, leaf_ent(l, from)->pool);
    STORE(&l->recs[to], l->recs[from]);
}

/* Insert in base order (the leaf has room; caller inside a write). */
static void leaf_insert(tt_leaf_t *l, uintptr_t key, tt_rec_t *r) {
    unsigned i = l->n;
    for (; i > 0 && *leaf_key(l, i - 1) > key; i--) {
        leaf_copy(l, i, i - 1);
    }
    STORE(&l->recs[i], r);
    STORE(&leaf_ent(l, i)->size, r->size);
    STORE(&leaf_ent(l, i)->pool, r->pool);
    STORE(leaf_key(l, i), key);
    STORE(&l->n, l->n + 1);
}

static void leaf_remove_at(tt_leaf_t *l, unsigned i) {
    for (; i + 1 < l->n; i++) {
        leaf_copy(l, i, i + 1);
    }
    STORE(leaf_key(l, i), UINTPTR_MAX);
    STORE(&l->n, l->n - 1);
}

/* ---- covers ---- */

/* In node n, make every slot whose first address lies in (lo, hi) name
 * val: all of them (expect NULL), or those naming expect. lo must be in
 * n's span. */
static void node_covers(tt_node_t *n, uintptr_t lo, uintptr_t hi,
                        tt_rec_t *expect, tt_rec_t *val) {
    uintptr_t first = ((lo - n->lo) >> n->shift) + 1;
    uintptr_t last = (hi - 1 - n->lo) >> n->shift;
    if (last > n->mask) {
        last = n->mask; /* hi lies past this node */
    }
    for (uintptr_t i = first; i <= last; i++) {
        tt_rec_t **c = &n->slots[i].cover;
        if (!expect) {
            STORE(c, val);
        } else if (LOAD(c) == expect) {
            STORE(c, val);
        }
    }
}

/* node_covers in every node on the path of key (lo >= key). */
static void path_covers(tt_tree_t *t, uintptr_t key, uintptr_t lo, uintptr_t hi,
                        tt_rec_t *expect, tt_rec_t *val) {
    tt_node_t *n = LOAD(&t->root);
    while (n) {
        node_covers(n, lo, hi, expect, val);
        uintptr_t child = LOAD(&n->slots[slot_index(n, key)].child);
        n = (child & 1) ? NULL : (tt_node_t *)child;
    }
}

/* ---- writing ---- */

/* A full leaf (locked, in slot i of n) becomes a node of the next depth
 * with the same ranges and their covers inside it; unlocks it. */
static umf_result_t leaf_to_node(tt_node_t *n, unsigned i, tt_leaf_t *l) {
    tt_node_t *fine = node_new(n->depth + 1, l->lo);
    if (!fine) {
        leaf_unlock(l);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    uintptr_t sub_span = (uintptr_t)1 << fine->shift;
    for (unsigned k = 0; k < l->n; k++) {
        uintptr_t key = *leaf_key(l, k);
        tt_rec_t *r = l->recs[k];
        unsigned j = slot_index(fine, key);
        tt_leaf_t *sub = (tt_leaf_t *)(fine->slots[j].child & ~(uintptr_t)1);
        if (!sub) {
            sub = leaf_new(slot_start(fine, j), sub_span);
            if (!sub) {
                goto oom;
            }
            fine->slots[j].child = (uintptr_t)sub | 1;
            used_set(fine, j, true);
        }
        leaf_insert(sub, key, r); /* not published yet: no write bracket */
        node_covers(fine, key, key + r->size, NULL, r);
    }
    leaf_write_begin(l);
    STORE(&n->slots[i].child, (uintptr_t)fine);
    STORE(&l->span, (uintptr_t)0);
    leaf_write_end(l);
    leaf_unlock(l);
    leaf_free(l);
    return UMF_RESULT_SUCCESS;
oom:
    for (unsigned j = 0; j <= fine->mask; j++) {
        leaf_free((tt_leaf_t *)(fine->slots[j].child & ~(uintptr_t)1));
    }
    node_unmap(fine);
    leaf_unlock(l);
    return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
}

typedef struct leaf_ref_t {
    tt_node_t *node; /* the node whose slot holds the leaf */
    unsigned slot;
    tt_leaf_t *leaf; /* locked */
} leaf_ref_t;

/* Lock the leaf that holds (or, with make, will hold) key. 0 and *ref
 * filled, or 1 when there is none (without make), or -1 out of memory. */
static int leaf_acquire(tt_tree_t *t, uintptr_t key, bool make,
                        leaf_ref_t *ref) {
    tt_node_t *n = make ? root_get(t) : LOAD(&t->root);
    while (n) {
        unsigned i = slot_index(n, key);
        if (n->depth < TT_LEAF_DEPTH) {
            tt_node_t *parent = n;
            n = node_child(n, i, make);
            /* written once: a store on every write would bounce the
             * tree's line between the threads of every lookup */
            if (parent->depth == 0 && i == 0 && n && LOAD(&t->low) != n) {
                STORE(&t->low, n);
            }
            continue;
        }
        tt_slot_t *s = &n->slots[i];
        uintptr_t child = LOAD(&s->child);
        if (child && !(child & 1)) {
            n = (tt_node_t *)child;
            continue;
        }
        tt_leaf_t *l = (tt_leaf_t *)(child & ~(uintptr_t)1);
        if (!l) {
            if (!make) {
                return 1;
            }
            l = leaf_new(slot_start(n, i), (uintptr_t)1 << n->shift);
            if (!l) {
                return -1;
            }
            leaf_lock(l);
            if (!__atomic_compare_exchange_n(
                    &s->child, &child, (uintptr_t)l | 1, false,
                    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                leaf_unlock(l);
                leaf_free(l);
                continue; /* someone else filled the slot: look again */
            }
            used_set(n, i, true);
        } else {
            leaf_lock(l);
            if (LOAD(&s->child) != child) {
                leaf_unlock(l); /* freed, or became a node, meanwhile */
                continue;
            }
        }
        *ref = (leaf_ref_t){n, i, l};
        return 0;
    }
    return make ? -1 : 1;
}

/* Take an empty leaf (locked) out of its slot and free it. */
static void leaf_unpublish(leaf_ref_t *ref) {
    tt_leaf_t *l = ref->leaf;
    leaf_write_begin(l);
    STORE(&ref->node->slots[ref->slot].child, (uintptr_t)0);
    STORE(&l->span, (uintptr_t)0);
    leaf_write_end(l);
    used_set(ref->node, ref->slot, false);
    leaf_unlock(l);
    leaf_free(l);
}

/* Each thread keeps the last leaf it emptied in place (one at most): a
 * window whose only range comes and goes (a malloc+free pair that reaches
 * the provider) then neither frees nor makes a leaf each time. The leaf
 * goes when the thread empties another one, or exits. tt_epoch tells a
 * kept leaf of a tracker destroyed since (its nodes are unmapped). */
static unsigned long tt_epoch = 1;
static __thread struct {
    leaf_ref_t ref;
    unsigned long epoch;
} tt_kept;
static pthread_once_t tt_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t tt_key;
static bool tt_key_ok;

/* Free a kept leaf if it is still in its slot and still empty. Any
 * thread may have freed or reused it meanwhile: leaves are type-stable,
 * so its lock is still a lock, and the slot tells whether it is ours. */
static void kept_leaf_drop(leaf_ref_t *ref) {
    tt_leaf_t *l = ref->leaf;
    leaf_lock(l);
    if (LOAD(&ref->node->slots[ref->slot].child) == ((uintptr_t)l | 1) &&
        LOAD(&l->n) == 0) {
        leaf_unpublish(ref);
        return;
    }
    leaf_unlock(l);
}

/* A thread exits on its own time, maybe while another one tears the
 * library down: the drop and tt_destroy exclude each other. */
static pthread_mutex_t tt_life_lock = PTHREAD_MUTEX_INITIALIZER;

static void kept_leaf_at_exit(void *arg) {
    (void)arg;
    if (tt_kept.ref.leaf) {
        umf_fork_gate_enter(); /* a tracker write, as all others */
        pthread_mutex_lock(&tt_life_lock);
        if (tt_kept.epoch == LOAD(&tt_epoch)) {
            kept_leaf_drop(&tt_kept.ref);
        }
        pthread_mutex_unlock(&tt_life_lock);
        umf_fork_gate_exit();
    }
    tt_kept.ref.leaf = NULL;
}

static void kept_key_create(void) {
    tt_key_ok = pthread_key_create(&tt_key, kept_leaf_at_exit) == 0;
}

__attribute__((destructor)) static void kept_key_delete(void) {
    if (tt_key_ok) {
        pthread_key_delete(tt_key); /* the library goes: no destructor */
    }
}

/* Unlock ref's leaf; an empty one is kept (see tt_kept) and the leaf kept
 * before it goes. */
static void leaf_release(leaf_ref_t *ref) {
    tt_leaf_t *l = ref->leaf;
    unsigned long epoch = LOAD(&tt_epoch);
    bool kept_already = tt_kept.ref.leaf == l &&
                        tt_kept.ref.node == ref->node &&
                        tt_kept.ref.slot == ref->slot && tt_kept.epoch == epoch;
    if (l->n != 0 || kept_already) {
        leaf_unlock(l);
        return;
    }
    leaf_ref_t old = tt_kept.ref;
    bool had = old.leaf && tt_kept.epoch == epoch;
    tt_kept.ref = *ref;
    tt_kept.epoch = epoch;
    leaf_unlock(l);
    if (had) {
        kept_leaf_drop(&old);
    } else {
        pthread_once(&tt_key_once, kept_key_create);
        if (tt_key_ok) {
            pthread_setspecific(tt_key, &tt_kept); /* non-NULL: run at exit */
        }
    }
}

/* Has the leaf a base in [lo, hi]? */
static bool leaf_has_key_in(tt_leaf_t *l, uintptr_t lo, uintptr_t hi) {
    for (unsigned i = 0; i < TT_LEAF_CAP; i++) {
        uintptr_t k = LOAD(leaf_key(l, i)); /* lock-free walks read it too */
        if (k != UINTPTR_MAX && k >= lo && k <= hi) {
            return true;
        }
    }
    return false;
}

umf_result_t tt_insert(tt_tree_t *t, tt_rec_t *r) {
    uintptr_t base = r->base;
    leaf_ref_t ref;
    for (;;) {
        if (leaf_acquire(t, base, true, &ref) != 0) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        if (ref.leaf->n < TT_LEAF_CAP) {
            break;
        }
        umf_result_t ret = leaf_to_node(ref.node, ref.slot, ref.leaf);
        if (ret != UMF_RESULT_SUCCESS) {
            return ret;
        }
    }
    tt_leaf_t *l = ref.leaf;
    /* bytes from base to the leaf's end: a range that stays inside needs
     * no covers, and only the leaf can hold a base inside it */
    size_t room = l->span - (base - l->lo);
    size_t size = r->size;
    bool beyond = size > room;
    if (leaf_has_key_in(l, base + 1, base + UMF_MIN(size, room) - 1) ||
        (beyond && tt_any_base_in(t, base + room, base + size))) {
        leaf_unlock(l);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    leaf_write_begin(l);
    leaf_insert(l, base, r);
    leaf_write_end(l);
    leaf_unlock(l);
    if (beyond) {
        path_covers(t, base, base, base + size, NULL, r);
    }
    return UMF_RESULT_SUCCESS;
}

static int leaf_find(tt_leaf_t *l, uintptr_t base,
                     umf_memory_pool_handle_t pool) {
    for (unsigned i = 0; i < l->n; i++) {
        if (*leaf_key(l, i) == base && leaf_ent(l, i)->pool == pool) {
            return (int)i;
        }
    }
    return -1;
}

tt_rec_t *tt_find_exact(tt_tree_t *t, uintptr_t base,
                        umf_memory_pool_handle_t pool) {
    leaf_ref_t ref;
    if (leaf_acquire(t, base, false, &ref) != 0) {
        return NULL;
    }
    int i = leaf_find(ref.leaf, base, pool);
    tt_rec_t *r = i < 0 ? NULL : ref.leaf->recs[i];
    leaf_unlock(ref.leaf);
    return r;
}

tt_rec_t *tt_remove(tt_tree_t *t, uintptr_t base, umf_memory_pool_handle_t pool,
                    bool refuse_parent, bool *busy) {
    leaf_ref_t ref;
    if (leaf_acquire(t, base, false, &ref) != 0) {
        return NULL;
    }
    int i = leaf_find(ref.leaf, base, pool);
    tt_rec_t *r = i < 0 ? NULL : ref.leaf->recs[i];
    if (r && refuse_parent && LOAD(&r->n_children) != 0) {
        *busy = true;
        r = NULL;
    }
    if (r && r->size > ref.leaf->span - (base - ref.leaf->lo)) {
        /* covers first: until the entry goes, lookups still find r */
        path_covers(t, base, base, base + r->size, r, NULL);
    }
    if (r) {
        leaf_write_begin(ref.leaf);
        leaf_remove_at(ref.leaf, (unsigned)i);
        leaf_write_end(ref.leaf);
    }
    leaf_release(&ref);
    return r;
}

bool tt_children_add(tt_tree_t *t, tt_rec_t *r, long delta) {
    leaf_ref_t ref;
    if (leaf_acquire(t, r->base, false, &ref) != 0) {
        return false;
    }
    bool live = leaf_find(ref.leaf, r->base, r->pool) >= 0;
    if (live) {
        STORE(&r->n_children, r->n_children + (size_t)delta);
    }
    leaf_unlock(ref.leaf);
    return live;
}

bool tt_resize(tt_tree_t *t, tt_rec_t *r, size_t size) {
    leaf_ref_t ref;
    uintptr_t base = r->base;
    if (leaf_acquire(t, base, false, &ref) != 0) {
        return false;
    }
    int i = leaf_find(ref.leaf, base, r->pool);
    if (i >= 0 && size < r->size) {
        /* the high part's own covers are in place: drop r's beyond it */
        path_covers(t, base, base + size - 1, base + r->size, r, NULL);
    }
    if (i >= 0) {
        bool grows = size > r->size;
        set_size(r, size);
        leaf_write_begin(ref.leaf);
        STORE(&leaf_ent(ref.leaf, (unsigned)i)->size, size);
        leaf_write_end(ref.leaf);
        if (grows) {
            path_covers(t, base, base, base + size, NULL, r);
        }
    }
    leaf_unlock(ref.leaf);
    return i >= 0;
}

/* ---- walks ---- */

typedef struct walk_t {
    uintptr_t lo, hi; /* [lo, hi], inclusive: hi may be the last address */
    bool (*leaf_fn)(struct walk_t *w, tt_leaf_t *l); /* true: stop */
    umf_memory_pool_handle_t pool;
    void (*rec_fn)(void *arg, tt_rec_t *r);
    void *arg;
} walk_t;

/* Visit the leaves under n that serve addresses in [w->lo, w->hi]. */
static bool walk_node(tt_node_t *n, walk_t *w) {
    uintptr_t first = w->lo <= n->lo ? 0 : (w->lo - n->lo) >> n->shift;
    uintptr_t last = (w->hi - n->lo) >> n->shift;
    if (w->hi < n->lo || first > n->mask) {
        return false;
    }
    if (last > n->mask) {
        last = n->mask;
    }
    for (uintptr_t i = first; i <= last; i++) {
        uint64_t word = LOAD(&n->used[i / 64]) >> (i % 64);
        if (!word) {
            i |= 63; /* no child in the rest of this word */
            continue;
        }
        if (!(word & 1)) {
            continue;
        }
        uintptr_t child = LOAD(&n->slots[i].child);
        bool stop = false;
        if (child & 1) {
            stop = w->leaf_fn(w, (tt_leaf_t *)(child & ~(uintptr_t)1));
        } else if (child) {
            stop = walk_node((tt_node_t *)child, w);
        }
        if (stop) {
            return true;
        }
    }
    return false;
}

static bool leaf_has_base_in(walk_t *w, tt_leaf_t *l) {
    return leaf_has_key_in(l, w->lo, w->hi);
}

bool tt_any_base_in(tt_tree_t *t, uintptr_t lo, uintptr_t hi) {
    tt_node_t *root = LOAD(&t->root);
    if (!root || hi <= lo) {
        return false;
    }
    walk_t w = {lo, hi - 1, leaf_has_base_in, NULL, NULL, NULL};
    return walk_node(root, &w);
}

static bool leaf_each(walk_t *w, tt_leaf_t *l) {
    leaf_lock(l);
    for (unsigned i = 0; i < l->n; i++) {
        if (!w->pool || leaf_ent(l, i)->pool == w->pool) {
            w->rec_fn(w->arg, l->recs[i]);
        }
    }
    leaf_unlock(l);
    return false;
}

void tt_for_each(tt_tree_t *t, umf_memory_pool_handle_t pool,
                 void (*fn)(void *arg, tt_rec_t *r), void *arg) {
    tt_node_t *root = LOAD(&t->root);
    if (root) {
        walk_t w = {0, UINTPTR_MAX, leaf_each, pool, fn, arg};
        walk_node(root, &w);
    }
}

static void node_destroy(tt_node_t *n) {
    for (unsigned w = 0; w <= n->mask / 64; w++) {
        for (uint64_t bits = n->used[w]; bits; bits &= bits - 1) {
            uintptr_t child = n->slots[w * 64 + __builtin_ctzll(bits)].child;
            if (!(child & 1)) {
                node_destroy((tt_node_t *)child);
            }
        }
    }
    node_unmap(n);
}

static void tree_destroy(tt_tree_t *t) {
    tt_node_t *root = LOAD(&t->root);
    if (root) {
        STORE(&t->low, (tt_node_t *)NULL);
        STORE(&t->root, (tt_node_t *)NULL);
        node_destroy(root);
    }
}

void tt_destroy(tt_tree_t *trees, size_t n) {
    pthread_mutex_lock(&tt_life_lock);
    __atomic_fetch_add(&tt_epoch, 1, __ATOMIC_ACQ_REL);
    for (size_t i = 0; i < n; i++) {
        tree_destroy(&trees[i]);
    }
    stable_cache_destroy(&tt_leaves);
    stable_cache_destroy(&tt_recs);
    pthread_mutex_unlock(&tt_life_lock);
}
