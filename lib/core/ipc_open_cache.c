/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_open_cache.c -- the consumer-side cache of opened IPC handles.
 *
 * An entry is one local mapping of a producer allocation, keyed by {local
 * handler, producer pid, producer base} and checked against the handle id
 * and checksum: another id under the same key means the producer freed the
 * allocation and reused its address, and another checksum a handle that
 * does not describe the mapping made (a forged one, or one before it), so
 * the entry is stale. umfOpenIPCHandle and
 * umfCloseIPCHandle count references; an entry whose count drops to 0 stays
 * mapped on an LRU list, so opening it again calls no provider. Mappings are
 * closed through their own handler when evicted (UMF_MAX_OPENED_IPC_HANDLES),
 * found stale, or when the handler is destroyed.
 *
 * One mutex guards the cache. The provider's open runs outside it, with the
 * entry marked OPENING so that concurrent openers of the same handle wait
 * for that mapping instead of making another. Provider closes run under it,
 * so no close can race with the destroy of the handler it goes through.
 * Open looks entries up in a hash on the key; close in an array sorted by
 * local address, which finds the mapping of any pointer inside it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/fork_internal.h"
#include "core/ipc_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define MAX_OPENED_ENV "UMF_MAX_OPENED_IPC_HANDLES"
#define INITIAL_BUCKETS 64

typedef enum entry_state_t {
    ENTRY_OPENING, /* the provider is mapping it (outside the lock) */
    ENTRY_OPEN,
    ENTRY_FAILED /* the open failed; freed when its last waiter leaves */
} entry_state_t;

typedef struct ipc_opened_t {
    struct ipc_opened_t *hnext;               /* hash chain, while keyed */
    struct ipc_opened_t *lru_prev, *lru_next; /* while idle (refcount 0) */
    umf_memory_provider_handle_t handler;
    uint64_t remote_base;
    uint64_t handle_id;
    uint64_t checksum; /* of the handle it was opened from */
    int32_t pid;
    bool keyed; /* found by key; false once stale */
    entry_state_t state;
    umf_result_t open_result; /* ENTRY_FAILED: what the open returned */
    char *local_base;
    size_t size;
    size_t refcount;
} ipc_opened_t;

static ipc_opened_t *initial_buckets[INITIAL_BUCKETS];

static struct {
    pthread_mutex_t lock;
    pthread_cond_t opened; /* an ENTRY_OPENING entry left that state */
    ipc_opened_t **buckets;
    size_t nbuckets, nkeyed;
    ipc_opened_t **by_addr; /* ENTRY_OPEN entries, sorted by local_base */
    size_t naddr, cap_addr;
    ipc_opened_t *lru_head, *lru_tail; /* idle, least recently used first */
    size_t count; /* OPENING and OPEN entries: mappings held or coming */
    size_t max;   /* 0: unlimited */
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .opened = PTHREAD_COND_INITIALIZER,
           .buckets = initial_buckets,
           .nbuckets = INITIAL_BUCKETS};

static pthread_once_t setup_once = PTHREAD_ONCE_INIT;

/* UMF_MAX_OPENED_IPC_HANDLES: decimal digits only; anything else is logged
 * and leaves the cache unlimited. */
static void read_max_env(void) {
    const char *v = getenv(MAX_OPENED_ENV);
    if (!v || !*v) {
        return;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end != '\0' || errno == ERANGE ||
        n > SIZE_MAX) {
        LOG_ERR("%s=\"%s\" is not a decimal number of handles; ignored, "
                "the cache of opened IPC handles is unlimited",
                MAX_OPENED_ENV, v);
        return;
    }
    cache.max = (size_t)n;
    LOG_DEBUG("at most %zu opened IPC handles cached (0: unlimited)",
              cache.max);
}

/* ---- fork ---- */

static void cache_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cache.lock);
}

static void cache_fork_parent(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&cache.lock);
}

static void entry_forget_opening(ipc_opened_t *e);

/* The child has only the forking thread: an open another thread was making
 * (outside the lock) never finishes there, so its entry is failed and its
 * waiters, none in the child, are gone; the condition variable starts
 * afresh. */
static void cache_fork_child(void *arg) {
    (void)arg;
    for (size_t b = 0; b < cache.nbuckets; b++) {
        ipc_opened_t *e = cache.buckets[b];
        while (e) {
            ipc_opened_t *next = e->hnext;
            if (e->state == ENTRY_OPENING) {
                entry_forget_opening(e);
            }
            e = next;
        }
    }
    pthread_cond_init(&cache.opened, NULL);
    pthread_mutex_unlock(&cache.lock);
}

static umf_fork_handler_t cache_fork = {
    .prepare = cache_fork_prepare,
    .parent = cache_fork_parent,
    .child = cache_fork_child,
    .level = UMF_FORK_LEVEL_IPC,
};

/* Once, before the first use of the cache (no lock held). */
static void cache_setup(void) {
    read_max_env();
    umf_fork_register(&cache_fork);
}

/* ---- the key hash ---- */

static size_t key_bucket(umf_memory_provider_handle_t handler, int32_t pid,
                         uint64_t base, size_t nbuckets) {
    uint64_t x = (uint64_t)(uintptr_t)handler ^ (base * 0x9e3779b97f4a7c15ULL) ^
                 ((uint64_t)(uint32_t)pid << 32);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 29;
    return (size_t)x & (nbuckets - 1);
}

static ipc_opened_t **key_slot(const ipc_opened_t *e) {
    return &cache.buckets[key_bucket(e->handler, e->pid, e->remote_base,
                                     cache.nbuckets)];
}

/* Double the table at load 1; without memory the chains just get longer. */
static void hash_grow(void) {
    size_t n = cache.nbuckets * 2;
    ipc_opened_t **grown = umf_ba_calloc(n, sizeof(*grown));
    if (!grown) {
        return;
    }
    for (size_t b = 0; b < cache.nbuckets; b++) {
        while (cache.buckets[b]) {
            ipc_opened_t *e = cache.buckets[b];
            cache.buckets[b] = e->hnext;
            size_t to = key_bucket(e->handler, e->pid, e->remote_base, n);
            e->hnext = grown[to];
            grown[to] = e;
        }
    }
    if (cache.buckets != initial_buckets) {
        umf_ba_free(cache.buckets);
    }
    cache.buckets = grown;
    cache.nbuckets = n;
}

static void hash_insert(ipc_opened_t *e) {
    if (cache.nkeyed >= cache.nbuckets) {
        hash_grow();
    }
    ipc_opened_t **slot = key_slot(e);
    e->hnext = *slot;
    *slot = e;
    e->keyed = true;
    cache.nkeyed++;
}

static void hash_remove(ipc_opened_t *e) {
    if (!e->keyed) {
        return;
    }
    ipc_opened_t **link = key_slot(e);
    while (*link != e) {
        link = &(*link)->hnext;
    }
    *link = e->hnext;
    e->keyed = false;
    cache.nkeyed--;
}

static ipc_opened_t *hash_find(umf_memory_provider_handle_t handler,
                               const struct umf_ipc_data_t *h) {
    ipc_opened_t *e =
        cache.buckets[key_bucket(handler, h->pid, h->base, cache.nbuckets)];
    while (e && !(e->handler == handler && e->pid == h->pid &&
                  e->remote_base == h->base)) {
        e = e->hnext;
    }
    return e;
}

/* ---- the address index ---- */

/* Index of the first entry whose local_base is above p. */
static size_t addr_upper(const char *p) {
    size_t lo = 0, hi = cache.naddr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cache.by_addr[mid]->local_base <= p) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static ipc_opened_t *addr_find(const char *p) {
    size_t i = addr_upper(p);
    if (i == 0) {
        return NULL;
    }
    ipc_opened_t *e = cache.by_addr[i - 1];
    return p < e->local_base + e->size ? e : NULL;
}

/* Room for one more entry than count, taken before the provider maps
 * anything so that recording the mapping afterwards cannot fail. */
static bool addr_reserve(void) {
    if (cache.count < cache.cap_addr) {
        return true;
    }
    size_t cap = cache.cap_addr ? cache.cap_addr * 2 : 64;
    ipc_opened_t **grown = umf_ba_calloc(cap, sizeof(*grown));
    if (!grown) {
        return false;
    }
    if (cache.naddr) {
        memcpy(grown, cache.by_addr, cache.naddr * sizeof(*grown));
    }
    umf_ba_free(cache.by_addr);
    cache.by_addr = grown;
    cache.cap_addr = cap;
    return true;
}

/* Record e's mapping; false when it overlaps one already recorded (a
 * provider that hands out the same memory twice), which close-by-pointer
 * could not tell apart. */
static bool addr_insert(ipc_opened_t *e) {
    size_t i = addr_upper(e->local_base);
    if (i > 0) {
        const ipc_opened_t *prev = cache.by_addr[i - 1];
        if (prev->local_base + prev->size > e->local_base) {
            return false;
        }
    }
    if (i < cache.naddr &&
        cache.by_addr[i]->local_base < e->local_base + e->size) {
        return false;
    }
    memmove(&cache.by_addr[i + 1], &cache.by_addr[i],
            (cache.naddr - i) * sizeof(*cache.by_addr));
    cache.by_addr[i] = e;
    cache.naddr++;
    return true;
}

static void addr_remove(const ipc_opened_t *e) {
    size_t i = addr_upper(e->local_base) - 1;
    memmove(&cache.by_addr[i], &cache.by_addr[i + 1],
            (cache.naddr - i - 1) * sizeof(*cache.by_addr));
    cache.naddr--;
}

/* ---- the LRU list of idle entries ---- */

static void lru_push(ipc_opened_t *e) {
    e->lru_next = NULL;
    e->lru_prev = cache.lru_tail;
    if (cache.lru_tail) {
        cache.lru_tail->lru_next = e;
    } else {
        cache.lru_head = e;
    }
    cache.lru_tail = e;
}

static void lru_unlink(ipc_opened_t *e) {
    if (e->lru_prev) {
        e->lru_prev->lru_next = e->lru_next;
    } else {
        cache.lru_head = e->lru_next;
    }
    if (e->lru_next) {
        e->lru_next->lru_prev = e->lru_prev;
    } else {
        cache.lru_tail = e->lru_prev;
    }
    e->lru_prev = e->lru_next = NULL;
}

/* ---- entries ---- */

/* Forget an ENTRY_OPEN entry and close its mapping through its own
 * handler. A failed close is only logged: nobody can retry it. */
static void entry_close(ipc_opened_t *e) {
    hash_remove(e);
    if (e->refcount == 0) {
        lru_unlink(e);
    }
    addr_remove(e);
    cache.count--;
    umf_result_t ret =
        umfMemoryProviderCloseIPCHandle(e->handler, e->local_base, e->size);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("closing the opened IPC handle %p (%zu bytes) failed "
                "(result %d); the mapping is dropped from the cache",
                (void *)e->local_base, e->size, (int)ret);
    }
    umf_ba_free(e);
}

/* Evict idle entries, least recently used first, while over the limit. */
static void cache_trim(void) {
    while (cache.max && cache.count > cache.max && cache.lru_head) {
        entry_close(cache.lru_head);
    }
}

static void entry_unref(ipc_opened_t *e) {
    if (--e->refcount > 0) {
        return;
    }
    if (e->state == ENTRY_FAILED) {
        umf_ba_free(e);
    } else if (!e->keyed) {
        entry_close(e); /* stale: its last user is gone */
    } else {
        lru_push(e);
        cache_trim();
    }
}

/* Take a reference on an entry found by key, waiting if it is being
 * opened. */
static umf_result_t entry_ref_wait(ipc_opened_t *e, char **base) {
    if (e->refcount++ == 0) {
        lru_unlink(e);
    }
    while (e->state == ENTRY_OPENING) {
        pthread_cond_wait(&cache.opened, &cache.lock);
    }
    if (e->state == ENTRY_FAILED) {
        umf_result_t ret = e->open_result;
        entry_unref(e);
        return ret;
    }
    *base = e->local_base;
    return UMF_RESULT_SUCCESS;
}

/* A new entry for handle h, keyed and counted, in ENTRY_OPENING. */
static umf_result_t entry_new(umf_memory_provider_handle_t handler,
                              const struct umf_ipc_data_t *h,
                              ipc_opened_t **out) {
    if (!addr_reserve()) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    ipc_opened_t *e = umf_ba_calloc(1, sizeof(*e));
    if (!e) {
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    e->handler = handler;
    e->remote_base = h->base;
    e->handle_id = h->handle_id;
    e->checksum = h->checksum;
    e->pid = h->pid;
    e->state = ENTRY_OPENING;
    e->size = (size_t)h->base_size;
    e->refcount = 1;
    hash_insert(e);
    cache.count++;
    *out = e;
    return UMF_RESULT_SUCCESS;
}

/* The provider's open of e finished with ret (and mapping base). */
static umf_result_t entry_opened(ipc_opened_t *e, umf_result_t ret,
                                 void *base) {
    if (ret == UMF_RESULT_SUCCESS) {
        e->local_base = base;
        if (!addr_insert(e)) {
            LOG_ERR("the provider mapped the IPC handle at %p (%zu bytes), "
                    "over a mapping already open; closing it",
                    base, e->size);
            umfMemoryProviderCloseIPCHandle(e->handler, base, e->size);
            ret = UMF_RESULT_ERROR_UNKNOWN;
        }
    }
    if (ret == UMF_RESULT_SUCCESS) {
        e->state = ENTRY_OPEN;
    } else {
        e->state = ENTRY_FAILED;
        e->open_result = ret;
        hash_remove(e);
        cache.count--;
    }
    pthread_cond_broadcast(&cache.opened);
    return ret;
}

/* Fork child: e was being opened by a thread the child does not have. It
 * leaves the key and the count as a failed open does; the reference the
 * opener held is never dropped, so e itself stays (a few bytes). */
static void entry_forget_opening(ipc_opened_t *e) {
    e->state = ENTRY_FAILED;
    e->open_result = UMF_RESULT_ERROR_UNKNOWN;
    hash_remove(e);
    cache.count--;
}

umf_result_t ipc_open_cache_acquire(umf_memory_provider_handle_t handler,
                                    const struct umf_ipc_data_t *h,
                                    void **base) {
    pthread_once(&setup_once, cache_setup);
    pthread_mutex_lock(&cache.lock);
    ipc_opened_t *e = hash_find(handler, h);
    if (e && (e->handle_id != h->handle_id || e->checksum != h->checksum)) {
        /* the producer reused the address, or another handle claims the
         * same allocation with other contents: never serve the old
         * mapping for it */
        LOG_DEBUG("IPC handle %llu replaces %llu at producer address %p",
                  (unsigned long long)h->handle_id,
                  (unsigned long long)e->handle_id, (void *)(uintptr_t)h->base);
        if (e->refcount == 0) {
            entry_close(e);
        } else {
            hash_remove(e); /* closed when its last user closes it */
        }
        e = NULL;
    }
    umf_result_t ret;
    if (e) {
        char *local = NULL;
        ret = entry_ref_wait(e, &local);
        *base = local;
        pthread_mutex_unlock(&cache.lock);
        return ret;
    }
    ret = entry_new(handler, h, &e);
    if (ret != UMF_RESULT_SUCCESS) {
        pthread_mutex_unlock(&cache.lock);
        return ret;
    }
    pthread_mutex_unlock(&cache.lock);

    void *mapped = NULL;
    ret = umfMemoryProviderOpenIPCHandle(handler, (void *)h->provider_data,
                                         &mapped);

    pthread_mutex_lock(&cache.lock);
    ret = entry_opened(e, ret, mapped);
    if (ret == UMF_RESULT_SUCCESS) {
        *base = mapped;
        cache_trim();
    } else {
        entry_unref(e);
    }
    pthread_mutex_unlock(&cache.lock);
    return ret;
}

umf_result_t ipc_open_cache_release(const void *ptr) {
    pthread_once(&setup_once, cache_setup);
    pthread_mutex_lock(&cache.lock);
    ipc_opened_t *e = addr_find(ptr);
    if (!e || e->refcount == 0) {
        pthread_mutex_unlock(&cache.lock);
        LOG_ERR("%p is not in an IPC handle opened with umfOpenIPCHandle", ptr);
        return UMF_RESULT_ERROR_INVALID_ARGUMENT;
    }
    entry_unref(e);
    pthread_mutex_unlock(&cache.lock);
    return UMF_RESULT_SUCCESS;
}

void ipc_consumer_release_handler(umf_memory_provider_handle_t handler) {
    pthread_once(&setup_once, cache_setup);
    pthread_mutex_lock(&cache.lock);
    for (size_t i = cache.naddr; i-- > 0;) {
        ipc_opened_t *e = cache.by_addr[i];
        if (e->handler != handler) {
            continue;
        }
        if (e->refcount) {
            LOG_WARN("closing IPC handle %p still open (%zu users) as its "
                     "handler is destroyed",
                     (void *)e->local_base, e->refcount);
        }
        entry_close(e); /* only shifts entries above i */
    }
    pthread_mutex_unlock(&cache.lock);
}
