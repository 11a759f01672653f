/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_direct.c -- the registry of direct paths that pools offer
 * (core/pool_direct_internal.h).
 *
 * A table of POOL_DIRECT_MAX entries: an entry below pool_direct_count
 * is complete and never changes, so a reader that loads the count with
 * acquire reads its entries without a lock. Writers append under
 * pool_direct_lock and publish with a release store of the count. The
 * lock is held across fork (fork registry), so a child can still offer. */
#include <pthread.h>

#include "core/fork_internal.h"
#include "core/pool_direct_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

typedef umf_result_t (*pool_direct_key_t)(umf_memory_provider_handle_t provider,
                                          void *params, void **pool);

typedef struct pool_direct_entry_t {
    pool_direct_key_t initialize;
    pool_direct_setup_t setup;
} pool_direct_entry_t;

static pool_direct_entry_t pool_direct_table[POOL_DIRECT_MAX];
static unsigned pool_direct_count; /* atomic; entries below it are final */
static pthread_mutex_t pool_direct_lock = PTHREAD_MUTEX_INITIALIZER;

static void pool_direct_fork_prepare(void *arg) {
    (void)arg;
    pthread_mutex_lock(&pool_direct_lock);
}

static void pool_direct_fork_after(void *arg) {
    (void)arg;
    pthread_mutex_unlock(&pool_direct_lock);
}

static umf_fork_handler_t pool_direct_fork = {
    .prepare = pool_direct_fork_prepare,
    .parent = pool_direct_fork_after,
    .child = pool_direct_fork_after,
    .level = UMF_FORK_LEVEL_UTIL, /* a leaf lock: nothing is taken under it */
};

static pthread_once_t pool_direct_fork_once = PTHREAD_ONCE_INIT;

static void pool_direct_fork_register(void) {
    umf_fork_register(&pool_direct_fork);
}

static const pool_direct_entry_t *pool_direct_find(pool_direct_key_t key) {
    unsigned n = utils_atomic_load_acquire(&pool_direct_count);
    for (unsigned i = 0; i < n; i++) {
        if (pool_direct_table[i].initialize == key) {
            return &pool_direct_table[i];
        }
    }
    return NULL;
}

bool pool_direct_offer(const umf_memory_pool_ops_t *ops,
                       pool_direct_setup_t setup) {
    if (ops == NULL || ops->initialize == NULL || setup == NULL) {
        LOG_ERR("a direct path needs pool ops with initialize and a setup");
        return false;
    }
    /* a pool offers each time its ops are handed out: mostly a lookup */
    const pool_direct_entry_t *e = pool_direct_find(ops->initialize);
    if (e && e->setup == setup) {
        return true;
    }
    pthread_once(&pool_direct_fork_once, pool_direct_fork_register);

    bool conflict = false;
    bool full = false;
    pthread_mutex_lock(&pool_direct_lock);
    e = pool_direct_find(ops->initialize); /* an offer may have raced us */
    unsigned n = pool_direct_count;
    if (e) {
        conflict = e->setup != setup;
    } else if (n == POOL_DIRECT_MAX) {
        full = true;
    } else {
        pool_direct_table[n] = (pool_direct_entry_t){
            .initialize = ops->initialize, .setup = setup};
        utils_atomic_store_release(&pool_direct_count, n + 1);
    }
    pthread_mutex_unlock(&pool_direct_lock);

    /* logged without the lock held: the log has a lock of its own */
    if (conflict) {
        LOG_WARN("a pool offered a second direct path for the same "
                 "initialize op; the first one stays");
        return false;
    }
    if (full) {
        LOG_WARN("no room for another pool's direct path (%d are offered "
                 "already); the pool keeps its own malloc and free",
                 POOL_DIRECT_MAX);
        return false;
    }
    return true;
}

void pool_direct_setup(const umf_memory_pool_ops_t *ops, void *pool_priv,
                       pool_direct_ops_t *direct) {
    const pool_direct_entry_t *e = pool_direct_find(ops->initialize);
    if (e) {
        e->setup(ops, pool_priv, direct);
    }
}
