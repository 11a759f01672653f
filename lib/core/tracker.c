/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* tracker.c -- the global map from address ranges to pools.
 *
 * Each nesting level is an ordered map kept as a two-tier sorted array: an
 * index of chunk pointers (with each chunk's first key beside it) and chunks
 * of up to TRACKER_CHUNK_CAP entries. A lookup is two binary searches, an
 * insert or a remove moves at most one chunk's entries.
 *
 * Readers take no lock: they run under a sequence counter (seqlock) and read
 * every shared word with atomic loads, then retry when a writer ran
 * meanwhile. For that to be safe, memory a reader may still reach is never
 * unmapped while the tracker lives: chunks come from the base allocator
 * (whose small blocks stay mapped), vacated index slots point at an empty
 * static chunk, and grown-out indexes are retired, not freed, until
 * tracker_destroy. Writers serialise on one mutex; after a few failed
 * optimistic attempts a reader takes that mutex too, so it cannot starve. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define TRACKER_CHUNK_CAP 64
#define TRACKER_INDEX_MIN_CAP 16
#define TRACKER_READ_RETRIES 16

/* The lookup path of every umfFree/umfPoolByPtr: keep it one function. */
#define TRACKER_HOT inline __attribute__((always_inline))

typedef struct tracker_entry_t {
    uintptr_t base;
    size_t size;
    umf_memory_pool_handle_t pool;
    size_t n_children;
} tracker_entry_t;

/* keys[i] mirrors e[i].base: searches touch only the dense key array. */
typedef struct tracker_chunk_t {
    size_t n;
    uintptr_t keys[TRACKER_CHUNK_CAP];
    tracker_entry_t e[TRACKER_CHUNK_CAP];
} tracker_chunk_t;

typedef struct tracker_index_t {
    size_t cap; /* immutable once published */
    size_t n;
    struct tracker_index_t *retired_next;
    uintptr_t *first_keys;    /* cap slots */
    tracker_chunk_t **chunks; /* cap slots, never NULL */
} tracker_index_t;

typedef struct tracker_level_t {
    tracker_index_t *index; /* NULL until the level holds an entry */
    size_t count;
} tracker_level_t;

static struct {
    pthread_mutex_t lock;
    unsigned long seq; /* odd while a writer is changing the maps */
    tracker_level_t levels[TRACKER_MAX_LEVELS];
    tracker_index_t *retired;
} tracker = {PTHREAD_MUTEX_INITIALIZER, 0, {{NULL, 0}}, NULL};

static tracker_chunk_t empty_chunk; /* target of every unused index slot */

/* Shared words are read with acquire loads and written with release stores:
 * that orders them against the sequence counter without standalone fences
 * (which ThreadSanitizer cannot model); on x86 both are plain moves. */
#define LOAD(p) utils_atomic_load_acquire(p)
#define STORE(p, v) utils_atomic_store_release(p, v)

/* ---- reading (valid under the seqlock or the writer mutex) ---- */

/* How many of the sorted keys[0..n) are <= key.  Written so that the
 * compiler keeps the compare as a branch: a repeated lookup then runs at the
 * speed of prediction instead of waiting on a chain of conditional moves,
 * and the base pointer is read once (atomic loads would otherwise make the
 * compiler reload it on every step). */
static TRACKER_HOT size_t keys_count_le(const uintptr_t *keys, size_t n,
                                        uintptr_t key) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (LOAD(&keys[mid]) <= key) {
            lo = mid + 1;
        } else {
            __asm__ volatile("" :::); /* keeps this a branch: see above */
            hi = mid;
        }
    }
    return lo;
}

/* Index of the last chunk whose first key is <= key, or -1. */
static TRACKER_HOT long index_find_le(tracker_index_t *idx, uintptr_t key) {
    size_t n = UMF_MIN(LOAD(&idx->n), idx->cap);
    return (long)keys_count_le(idx->first_keys, n, key) - 1;
}

/* Position of the last entry whose base is <= key, or -1. */
static TRACKER_HOT long chunk_find_le(tracker_chunk_t *c, uintptr_t key) {
    size_t n = UMF_MIN(LOAD(&c->n), (size_t)TRACKER_CHUNK_CAP);
    return (long)keys_count_le(c->keys, n, key) - 1;
}

typedef struct entry_pos_t {
    long chunk; /* -1: not found */
    long slot;
    tracker_chunk_t *c; /* the chunk at index position `chunk` */
} entry_pos_t;

/* The entry of a level with the greatest base <= key. */
static TRACKER_HOT entry_pos_t level_find_le(tracker_level_t *lvl,
                                             uintptr_t key) {
    entry_pos_t pos = {-1, -1, NULL};
    tracker_index_t *idx = LOAD(&lvl->index);
    if (!idx) {
        return pos;
    }
    long ci = index_find_le(idx, key);
    if (ci < 0) {
        return pos;
    }
    tracker_chunk_t *c = LOAD(&idx->chunks[ci]);
    long si = chunk_find_le(c, key);
    if (si < 0) {
        return pos;
    }
    pos.chunk = ci;
    pos.slot = si;
    pos.c = c;
    return pos;
}

static inline tracker_entry_t *entry_at(tracker_level_t *lvl, entry_pos_t pos) {
    (void)lvl;
    return &pos.c->e[pos.slot];
}

/* Innermost range containing ptr; fills *out and returns its level, or -1. */
static TRACKER_HOT int find_innermost(uintptr_t ptr, tracker_entry_t *out) {
    int found = -1;
    for (int l = 0; l < TRACKER_MAX_LEVELS; l++) {
        tracker_level_t *lvl = &tracker.levels[l];
        if (LOAD(&lvl->count) == 0) {
            break;
        }
        entry_pos_t pos = level_find_le(lvl, ptr);
        if (pos.chunk < 0) {
            break;
        }
        tracker_entry_t *src = entry_at(lvl, pos);
        uintptr_t base = LOAD(&pos.c->keys[pos.slot]);
        size_t size = LOAD(&src->size);
        if (ptr - base >= size) { /* also rejects ptr < base */
            break;
        }
        out->base = base;
        out->size = size;
        out->pool = LOAD(&src->pool);
        found = l;
    }
    return found;
}

umf_result_t tracker_find(const void *ptr, tracker_alloc_info_t *info) {
    uintptr_t key = (uintptr_t)ptr;
    tracker_entry_t e = {0, 0, NULL, 0};
    int level = -1;
    for (int attempt = 0; attempt < TRACKER_READ_RETRIES; attempt++) {
        unsigned long s1 = utils_atomic_load_acquire(&tracker.seq);
        if (s1 & 1) {
            continue;
        }
        level = find_innermost(key, &e);
        if (utils_atomic_load_relaxed(&tracker.seq) == s1) {
            goto done;
        }
    }
    pthread_mutex_lock(&tracker.lock);
    level = find_innermost(key, &e);
    pthread_mutex_unlock(&tracker.lock);
done:
    if (level < 0) {
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    info->base = (void *)e.base;
    info->size = e.size;
    info->pool = e.pool;
    info->level = level;
    return UMF_RESULT_SUCCESS;
}

/* ---- writing (tracker.lock held, inside write_begin/write_end) ---- */

static void write_begin(void) {
    pthread_mutex_lock(&tracker.lock);
    STORE(&tracker.seq, tracker.seq + 1);
}

static void write_end(void) {
    utils_atomic_store_release(&tracker.seq, tracker.seq + 1);
    pthread_mutex_unlock(&tracker.lock);
}

/* Write slot i of chunk c (entry and key). */
static inline void slot_write(tracker_chunk_t *c, size_t i,
                              const tracker_entry_t *src) {
    STORE(&c->keys[i], src->base);
    STORE(&c->e[i].base, src->base);
    STORE(&c->e[i].size, src->size);
    STORE(&c->e[i].pool, src->pool);
    STORE(&c->e[i].n_children, src->n_children);
}

static tracker_index_t *index_new(size_t cap) {
    tracker_index_t *idx = umf_ba_calloc(1, sizeof(*idx));
    if (!idx) {
        return NULL;
    }
    idx->cap = cap;
    idx->first_keys = umf_ba_calloc(cap, sizeof(uintptr_t));
    idx->chunks = umf_ba_calloc(cap, sizeof(tracker_chunk_t *));
    if (!idx->first_keys || !idx->chunks) {
        umf_ba_free(idx->first_keys);
        umf_ba_free(idx->chunks);
        umf_ba_free(idx);
        return NULL;
    }
    for (size_t i = 0; i < cap; i++) {
        idx->chunks[i] = &empty_chunk;
    }
    return idx;
}

static void index_free(tracker_index_t *idx) {
    umf_ba_free(idx->first_keys);
    umf_ba_free(idx->chunks);
    umf_ba_free(idx);
}

/* Make room for one more chunk in the level's index (grows it when full).
 * The old index is retired: readers may still be walking it. */
static int level_reserve_chunk(tracker_level_t *lvl) {
    tracker_index_t *idx = lvl->index;
    if (idx && idx->n < idx->cap) {
        return 0;
    }
    size_t cap = idx ? idx->cap * 2 : TRACKER_INDEX_MIN_CAP;
    tracker_index_t *grown = index_new(cap);
    if (!grown) {
        return -1;
    }
    if (idx) {
        memcpy(grown->first_keys, idx->first_keys, idx->n * sizeof(uintptr_t));
        memcpy(grown->chunks, idx->chunks, idx->n * sizeof(tracker_chunk_t *));
        grown->n = idx->n;
        idx->retired_next = tracker.retired;
        tracker.retired = idx;
    }
    utils_atomic_store_release(&lvl->index, grown);
    return 0;
}

/* Put chunk c into the index at position ci, shifting later slots up. */
static void index_insert_chunk(tracker_index_t *idx, size_t ci,
                               tracker_chunk_t *c) {
    for (size_t i = idx->n; i > ci; i--) {
        STORE(&idx->first_keys[i], idx->first_keys[i - 1]);
        STORE(&idx->chunks[i], idx->chunks[i - 1]);
    }
    STORE(&idx->first_keys[ci], c->e[0].base);
    STORE(&idx->chunks[ci], c);
    STORE(&idx->n, idx->n + 1);
}

static void index_remove_chunk(tracker_index_t *idx, size_t ci) {
    for (size_t i = ci; i + 1 < idx->n; i++) {
        STORE(&idx->first_keys[i], idx->first_keys[i + 1]);
        STORE(&idx->chunks[i], idx->chunks[i + 1]);
    }
    STORE(&idx->n, idx->n - 1);
    STORE(&idx->chunks[idx->n], &empty_chunk);
    STORE(&idx->first_keys[idx->n], (uintptr_t)0);
}

static void chunk_insert_at(tracker_chunk_t *c, size_t si,
                            const tracker_entry_t *e) {
    for (size_t i = c->n; i > si; i--) {
        slot_write(c, i, &c->e[i - 1]);
    }
    slot_write(c, si, e);
    STORE(&c->n, c->n + 1);
}

/* Does key go before the first or after the last entry of the level, with
 * the chunk that would take it (ci) full? */
static bool past_the_ends(tracker_index_t *idx, long ci, uintptr_t key) {
    tracker_chunk_t *c = idx->chunks[ci];
    if (c->n < TRACKER_CHUNK_CAP) {
        return false;
    }
    if (ci == 0 && key < c->keys[0]) {
        return true;
    }
    return (size_t)ci == idx->n - 1 && key > c->keys[c->n - 1];
}

/* Insert e at slot si of chunk ci of the level, where it sorts; a full
 * chunk is split in two first. The caller reserved an index slot. Fails
 * (out of memory) before it moves any entry. */
static umf_result_t chunk_insert(tracker_level_t *lvl, long ci, long si,
                                 const tracker_entry_t *e) {
    tracker_index_t *idx = lvl->index;
    tracker_chunk_t *c = idx->chunks[ci];
    if (c->n == TRACKER_CHUNK_CAP) {
        /* split the full chunk: its upper half moves to a new chunk */
        tracker_chunk_t *upper = umf_ba_calloc(1, sizeof(*upper));
        if (!upper) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        size_t half = TRACKER_CHUNK_CAP / 2;
        memcpy(upper->e, &c->e[half], half * sizeof(tracker_entry_t));
        memcpy(upper->keys, &c->keys[half], half * sizeof(uintptr_t));
        upper->n = half;
        index_insert_chunk(idx, (size_t)ci + 1, upper);
        STORE(&c->n, half);
        if ((size_t)si > half) {
            ci++;
            si -= (long)half;
            c = upper;
        }
    }
    chunk_insert_at(c, (size_t)si, e);
    if (si == 0) {
        STORE(&idx->first_keys[ci], e->base);
    }
    STORE(&lvl->count, lvl->count + 1);
    return UMF_RESULT_SUCCESS;
}

/* Insert e into a level (no overlap checks here). */
static umf_result_t level_insert(tracker_level_t *lvl,
                                 const tracker_entry_t *e) {
    if (level_reserve_chunk(lvl) != 0) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    tracker_index_t *idx = lvl->index;
    long ci = index_find_le(idx, e->base);
    if (ci < 0) {
        ci = 0; /* before every key: goes to the front of chunk 0 */
    }
    if (idx->n == 0 || past_the_ends(idx, ci, e->base)) {
        /* A new chunk of its own: ranges handed out in address order (the
         * usual mmap pattern) then fill chunks completely instead of leaving
         * a trail of half-full ones, which keeps the index short. */
        tracker_chunk_t *c = umf_ba_calloc(1, sizeof(*c));
        if (!c) {
            return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
        }
        c->n = 1;
        c->e[0] = *e;
        c->keys[0] = e->base;
        size_t at = idx->n == 0 || e->base < idx->first_keys[0] ? 0 : idx->n;
        index_insert_chunk(idx, at, c);
        STORE(&lvl->count, lvl->count + 1);
        return UMF_RESULT_SUCCESS;
    }
    return chunk_insert(lvl, ci, chunk_find_le(idx->chunks[ci], e->base) + 1,
                        e);
}

/* The position after pos in its level, or chunk -1 at the end. */
static entry_pos_t level_next(tracker_level_t *lvl, entry_pos_t pos) {
    tracker_index_t *idx = lvl->index;
    if ((size_t)pos.slot + 1 < pos.c->n) {
        pos.slot++;
    } else if ((size_t)pos.chunk + 1 < idx->n) {
        pos.chunk++;
        pos.slot = 0;
        pos.c = idx->chunks[pos.chunk];
    } else {
        pos.chunk = -1;
    }
    return pos;
}

static void level_remove(tracker_level_t *lvl, entry_pos_t pos) {
    tracker_index_t *idx = lvl->index;
    tracker_chunk_t *c = idx->chunks[pos.chunk];
    for (size_t i = (size_t)pos.slot; i + 1 < c->n; i++) {
        slot_write(c, i, &c->e[i + 1]);
    }
    STORE(&c->n, c->n - 1);
    if (c->n == 0) {
        index_remove_chunk(idx, (size_t)pos.chunk);
        umf_ba_free(c); /* stays mapped: late readers see stale data only */
    } else if (pos.slot == 0) {
        STORE(&idx->first_keys[pos.chunk], c->e[0].base);
    }
    STORE(&lvl->count, lvl->count - 1);
}

/* Entry of pool starting exactly at base, searching innermost level first. */
static int find_exact(umf_memory_pool_handle_t pool, uintptr_t base,
                      entry_pos_t *pos) {
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        tracker_level_t *lvl = &tracker.levels[l];
        if (lvl->count == 0) {
            continue;
        }
        entry_pos_t p = level_find_le(lvl, base);
        if (p.chunk < 0) {
            continue;
        }
        tracker_entry_t *e = entry_at(lvl, p);
        if (e->base == base && e->pool == pool) {
            *pos = p;
            return l;
        }
    }
    return -1;
}

/* Adjust the child counter of the range enclosing [base, ...) at level-1. */
static void parent_children_add(int level, uintptr_t base, long delta) {
    if (level == 0) {
        return;
    }
    tracker_level_t *lvl = &tracker.levels[level - 1];
    entry_pos_t p = level_find_le(lvl, base);
    if (p.chunk >= 0) {
        tracker_entry_t *e = entry_at(lvl, p);
        STORE(&e->n_children, e->n_children + (size_t)delta);
    }
}

/* Would [base, base+size) overlap a range of its level it does not nest in?
 */
static bool overlaps_sibling(int level, uintptr_t base, size_t size) {
    tracker_level_t *lvl = &tracker.levels[level];
    if (lvl->count == 0) {
        return false;
    }
    entry_pos_t p = level_find_le(lvl, base + size - 1);
    if (p.chunk < 0) {
        return false;
    }
    tracker_entry_t *e = entry_at(lvl, p);
    return e->base + e->size > base;
}

static umf_result_t add_locked(umf_memory_pool_handle_t pool, uintptr_t base,
                               size_t size) {
    tracker_entry_t parent = {0, 0, NULL, 0};
    int parent_level = find_innermost(base, &parent);
    int level = parent_level + 1;
    if (parent_level >= 0 && base + size - parent.base > parent.size) {
        LOG_ERR("range %p+%zu sticks out of its enclosing range %p+%zu",
                (void *)base, size, (void *)parent.base, parent.size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    if (level >= TRACKER_MAX_LEVELS) {
        LOG_ERR("range %p+%zu would nest deeper than %d levels", (void *)base,
                size, TRACKER_MAX_LEVELS);
        return UMF_RESULT_ERROR_OUT_OF_RESOURCES;
    }
    if (overlaps_sibling(level, base, size)) {
        LOG_ERR("range %p+%zu overlaps a tracked range", (void *)base, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    tracker_entry_t e = {base, size, pool, 0};
    umf_result_t ret = level_insert(&tracker.levels[level], &e);
    if (ret == UMF_RESULT_SUCCESS) {
        parent_children_add(level, base, +1);
    }
    return ret;
}

umf_result_t tracker_add(umf_memory_pool_handle_t pool, void *base,
                         size_t size) {
    uintptr_t b = (uintptr_t)base;
    if (!base || size == 0 || b + size < b) {
        LOG_ERR("cannot track range %p+%zu", base, size);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    write_begin();
    umf_result_t ret = add_locked(pool, b, size);
    write_end();
    return ret;
}

umf_result_t tracker_remove(umf_memory_pool_handle_t pool, void *base,
                            size_t *size) {
    umf_result_t ret = UMF_RESULT_SUCCESS;
    write_begin();
    entry_pos_t pos;
    int level = find_exact(pool, (uintptr_t)base, &pos);
    if (level < 0) {
        ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    } else {
        tracker_entry_t *e = entry_at(&tracker.levels[level], pos);
        if (e->n_children != 0) {
            LOG_ERR("range %p still holds %zu nested ranges", base,
                    e->n_children);
            ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
        } else {
            if (size) {
                *size = e->size;
            }
            level_remove(&tracker.levels[level], pos);
            parent_children_add(level, (uintptr_t)base, -1);
        }
    }
    write_end();
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_DEBUG("no tracked range of pool %p starts at %p", (void *)pool,
                  base);
    }
    return ret;
}

umf_result_t tracker_split(umf_memory_pool_handle_t pool, void *ptr,
                           size_t totalSize, size_t firstSize) {
    umf_result_t ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    write_begin();
    entry_pos_t pos;
    int level = find_exact(pool, (uintptr_t)ptr, &pos);
    if (level >= 0) {
        tracker_level_t *lvl = &tracker.levels[level];
        tracker_entry_t *e = entry_at(lvl, pos);
        if (e->size == totalSize && e->n_children == 0 && firstSize > 0 &&
            firstSize < totalSize) {
            tracker_entry_t high = {(uintptr_t)ptr + firstSize,
                                    totalSize - firstSize, pool, 0};
            /* the high part is the entry's successor: it goes right after
             * it, no search needed; a failure moves nothing */
            ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            if (level_reserve_chunk(lvl) == 0) {
                STORE(&e->size, firstSize);
                ret = chunk_insert(lvl, pos.chunk, pos.slot + 1, &high);
            }
            if (ret == UMF_RESULT_SUCCESS) {
                parent_children_add(level, high.base, +1);
            } else {
                STORE(&e->size, totalSize);
            }
        }
    }
    write_end();
    if (ret == UMF_RESULT_ERROR_INVALID_ARGUMENT) {
        LOG_ERR("cannot split %p (%zu into %zu): not a tracked range of that "
                "size without nested ranges",
                ptr, totalSize, firstSize);
    }
    return ret;
}

umf_result_t tracker_merge(umf_memory_pool_handle_t pool, void *lowPtr,
                           void *highPtr, size_t totalSize, size_t *lowSize) {
    umf_result_t ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
    write_begin();
    entry_pos_t lpos;
    int llevel = find_exact(pool, (uintptr_t)lowPtr, &lpos);
    if (llevel >= 0) {
        /* adjacent ranges of one level are neighbours in its order */
        tracker_level_t *lvl = &tracker.levels[llevel];
        entry_pos_t hpos = level_next(lvl, lpos);
        tracker_entry_t *lo = entry_at(lvl, lpos);
        tracker_entry_t *hi = hpos.chunk >= 0 ? entry_at(lvl, hpos) : NULL;
        if (hi && hi->base == (uintptr_t)highPtr && hi->pool == pool &&
            lo->base + lo->size == hi->base &&
            lo->size + hi->size == totalSize && lo->n_children == 0 &&
            hi->n_children == 0) {
            if (lowSize) {
                *lowSize = lo->size;
            }
            /* lo sorts before hi: removing hi leaves it where it is */
            STORE(&lo->size, totalSize);
            level_remove(lvl, hpos);
            parent_children_add(llevel, (uintptr_t)highPtr, -1);
            ret = UMF_RESULT_SUCCESS;
        }
    }
    write_end();
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("cannot merge %p and %p into %zu bytes: not adjacent tracked "
                "ranges of one pool",
                lowPtr, highPtr, totalSize);
    }
    return ret;
}

size_t tracker_count(umf_memory_pool_handle_t pool) {
    size_t n = 0;
    pthread_mutex_lock(&tracker.lock);
    for (int l = 0; l < TRACKER_MAX_LEVELS; l++) {
        tracker_index_t *idx = tracker.levels[l].index;
        for (size_t ci = 0; idx && ci < idx->n; ci++) {
            tracker_chunk_t *c = idx->chunks[ci];
            for (size_t i = 0; i < c->n; i++) {
                n += (!pool || c->e[i].pool == pool);
            }
        }
    }
    pthread_mutex_unlock(&tracker.lock);
    return n;
}

umf_result_t tracker_init(void) { return UMF_RESULT_SUCCESS; }

void tracker_destroy(void) {
    size_t leftover = tracker_count(NULL);
    if (leftover) {
        LOG_DEBUG("%zu allocations still tracked at teardown", leftover);
    }
    write_begin();
    for (int l = 0; l < TRACKER_MAX_LEVELS; l++) {
        tracker_index_t *idx = tracker.levels[l].index;
        if (idx) {
            for (size_t ci = 0; ci < idx->n; ci++) {
                umf_ba_free(idx->chunks[ci]);
            }
            STORE(&tracker.levels[l].index, (tracker_index_t *)NULL);
            STORE(&tracker.levels[l].count, (size_t)0);
            index_free(idx);
        }
    }
    while (tracker.retired) {
        tracker_index_t *next = tracker.retired->retired_next;
        index_free(tracker.retired);
        tracker.retired = next;
    }
    write_end();
}

size_t tracker_release_pool(umf_memory_pool_handle_t pool,
                            void (*release)(void *arg, void *base, size_t size),
                            void *arg) {
    size_t n = tracker_count(pool);
    if (n == 0) {
        return 0;
    }
    tracker_entry_t *taken = umf_ba_calloc(n, sizeof(*taken));
    size_t n_taken = 0;
    write_begin();
    /* innermost level first, so a parent never holds children when it goes */
    for (int l = TRACKER_MAX_LEVELS - 1; l >= 0; l--) {
        tracker_level_t *lvl = &tracker.levels[l];
        tracker_index_t *idx = lvl->index;
        for (size_t ci = 0; idx && ci < idx->n;) {
            tracker_chunk_t *c = idx->chunks[ci];
            bool removed = false;
            for (size_t i = 0; i < c->n; i++) {
                tracker_entry_t e = c->e[i];
                if (e.pool != pool) {
                    continue;
                }
                if (e.n_children) {
                    LOG_ERR("range %p of a destroyed pool still holds nested "
                            "ranges",
                            (void *)e.base);
                }
                if (taken && n_taken < n) {
                    taken[n_taken++] = e;
                }
                entry_pos_t pos = {(long)ci, (long)i, c};
                level_remove(lvl, pos);
                parent_children_add(l, e.base, -1);
                removed = true;
                break;
            }
            /* after a removal rescan the same slot (the chunk, or the next
             * one when the chunk emptied and left the index) */
            if (!removed) {
                ci++;
            }
        }
    }
    write_end();
    for (size_t i = 0; i < n_taken; i++) {
        release(arg, (void *)taken[i].base, taken[i].size);
    }
    umf_ba_free(taken);
    return n;
}

/* fork(2): held across fork, released in both processes by the forking
 * thread (the child has that thread only) */
void tracker_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&tracker.lock);
}

void tracker_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&tracker.lock);
}

void tracker_fork_child(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&tracker.lock);
}
