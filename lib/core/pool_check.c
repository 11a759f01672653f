/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* pool_check.c -- the checking mode, UMF_CHECK=1 (see
 * pool_check_internal.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool_check_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"

bool pool_check_on;

static void pool_check_read_env(void) {
    const char *v = getenv("UMF_CHECK");
    bool on = v && *v && strcmp(v, "0") != 0;
    utils_atomic_store_relaxed(&pool_check_on, on);
    if (on) {
        LOG_INFO("UMF_CHECK: pool handles and pointers are validated");
    }
}

void pool_check_init(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pool_check_read_env);
}

/* Live handles: a short list (a process has few pools), under a mutex
 * taken only inside the fork gate (pool front-ends), so fork needs no
 * handler for it. The nodes are separate from the handles: a stale handle
 * is never dereferenced. */
typedef struct pool_check_node_t {
    umf_memory_pool_handle_t pool;
    struct pool_check_node_t *next;
} pool_check_node_t;

static pthread_mutex_t check_lock = PTHREAD_MUTEX_INITIALIZER;
static pool_check_node_t *check_live;

bool pool_check_add(umf_memory_pool_handle_t pool) {
    pool_check_node_t *n = umf_ba_alloc(sizeof(*n));
    if (!n) {
        LOG_ERR("UMF_CHECK: no memory to record pool %p", (void *)pool);
        return false;
    }
    n->pool = pool;
    pthread_mutex_lock(&check_lock);
    n->next = check_live;
    check_live = n;
    pthread_mutex_unlock(&check_lock);
    return true;
}

bool pool_check_remove(umf_memory_pool_handle_t pool) {
    pool_check_node_t *found = NULL;
    pthread_mutex_lock(&check_lock);
    for (pool_check_node_t **pp = &check_live; *pp; pp = &(*pp)->next) {
        if ((*pp)->pool == pool) {
            found = *pp;
            *pp = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&check_lock);
    umf_ba_free(found);
    return found != NULL;
}

bool pool_check_handle(umf_memory_pool_handle_t pool, const char *fn) {
    bool live = false;
    pthread_mutex_lock(&check_lock);
    for (pool_check_node_t *n = check_live; n && !live; n = n->next) {
        live = n->pool == pool;
    }
    pthread_mutex_unlock(&check_lock);
    if (!live) {
        LOG_ERR("UMF_CHECK: %s: %p is not a live pool handle (destroyed, "
                "or never created)",
                fn, (void *)pool);
    }
    return live;
}

bool pool_check_ptr(umf_memory_pool_handle_t pool, bool tracked,
                    const void *ptr, const char *fn) {
    if (!tracked) {
        return true;
    }
    tracker_alloc_info_t info;
    if (tracker_find(ptr, &info) != UMF_RESULT_SUCCESS) {
        LOG_ERR("UMF_CHECK: %s: %p is not memory of any pool", fn, ptr);
        return false;
    }
    if (info.pool != pool) {
        LOG_ERR("UMF_CHECK: %s: %p belongs to pool %p, not to pool %p", fn, ptr,
                (void *)info.pool, (void *)pool);
        return false;
    }
    return true;
}
