/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_cache.c -- the producer-side IPC handle cache of a tracked pool.
 *
 * A chained hash from allocation base to the provider's blob. Users (L0
 * among them) run out of file descriptors when every umfGetIPCHandle asks
 * the provider for a new handle, so the blob is made once per allocation and
 * put back when the allocation is freed. One mutex per cache: handle
 * requests are rare next to malloc/free, and holding the lock across the
 * provider call closes the race with a concurrent free of the same base. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/fork_internal.h"
#include "core/ipc_internal.h"
#include "core/tracker_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

#define IPC_CACHE_BUCKETS 256

typedef struct ipc_cache_entry_t {
    struct ipc_cache_entry_t *next;
    uintptr_t base;
    uint64_t handle_id;
    size_t data_size;
    char data[];
} ipc_cache_entry_t;

struct ipc_cache_t {
    pthread_mutex_t lock;
    umf_fork_handler_t fork; /* holds lock across fork */
    umf_memory_provider_handle_t upstream;
    ipc_cache_entry_t *buckets[IPC_CACHE_BUCKETS];
};

static uint64_t ipc_next_handle_id = 1;

static size_t bucket_of(uintptr_t base) {
    return (size_t)((base >> 12) ^ (base >> 24)) % IPC_CACHE_BUCKETS;
}

static void cache_fork_lock(void *arg) {
    pthread_mutex_lock(&((ipc_cache_t *)arg)->lock);
}

static void cache_fork_unlock(void *arg) {
    pthread_mutex_unlock(&((ipc_cache_t *)arg)->lock);
}

ipc_cache_t *ipc_cache_new(umf_memory_provider_handle_t upstream) {
    ipc_cache_t *cache = umf_ba_calloc(1, sizeof(*cache));
    if (cache) {
        pthread_mutex_init(&cache->lock, NULL);
        cache->upstream = upstream;
        /* a get holds the lock across the provider's (ungated) IPC call */
        cache->fork = (umf_fork_handler_t){
            .prepare = cache_fork_lock,
            .parent = cache_fork_unlock,
            .child = cache_fork_unlock,
            .arg = cache,
            .level = UMF_FORK_LEVEL_IPC,
        };
        umf_fork_register(&cache->fork);
    }
    return cache;
}

static void entry_put(ipc_cache_t *cache, ipc_cache_entry_t *e) {
    umf_result_t ret = umfMemoryProviderPutIPCHandle(cache->upstream, e->data);
    if (ret != UMF_RESULT_SUCCESS) {
        LOG_ERR("provider put_ipc_handle for %p failed (result %d)",
                (void *)e->base, (int)ret);
    }
    umf_ba_free(e);
}

void ipc_cache_delete(ipc_cache_t *cache) {
    if (!cache) {
        return;
    }
    for (size_t b = 0; b < IPC_CACHE_BUCKETS; b++) {
        while (cache->buckets[b]) {
            ipc_cache_entry_t *e = cache->buckets[b];
            cache->buckets[b] = e->next;
            entry_put(cache, e);
        }
    }
    umf_fork_unregister(&cache->fork);
    pthread_mutex_destroy(&cache->lock);
    umf_ba_free(cache);
}

umf_result_t ipc_cache_get(ipc_cache_t *cache, umf_memory_pool_handle_t pool,
                           void *base, size_t size, umf_ipc_handle_t handle,
                           size_t provider_data_size) {
    uintptr_t key = (uintptr_t)base;
    umf_result_t ret = UMF_RESULT_SUCCESS;
    pthread_mutex_lock(&cache->lock);
    ipc_cache_entry_t *e = cache->buckets[bucket_of(key)];
    while (e && e->base != key) {
        e = e->next;
    }
    if (!e) {
        /* still allocated? (a concurrent free drops entries under this
         * lock after removing the range from the tracker) */
        tracker_alloc_info_t info;
        if (tracker_find(base, &info) != UMF_RESULT_SUCCESS ||
            info.base != base || info.pool != pool) {
            ret = UMF_RESULT_ERROR_INVALID_ARGUMENT;
            goto out;
        }
        e = umf_ba_calloc(1, sizeof(*e) + provider_data_size);
        if (!e) {
            ret = UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
            goto out;
        }
        ret =
            umfMemoryProviderGetIPCHandle(cache->upstream, base, size, e->data);
        if (ret != UMF_RESULT_SUCCESS) {
            umf_ba_free(e);
            goto out;
        }
        e->base = key;
        e->data_size = provider_data_size;
        e->handle_id = utils_fetch_add(&ipc_next_handle_id, 1);
        e->next = cache->buckets[bucket_of(key)];
        cache->buckets[bucket_of(key)] = e;
    }
    handle->handle_id = e->handle_id;
    memcpy(handle->provider_data, e->data, provider_data_size);
out:
    pthread_mutex_unlock(&cache->lock);
    return ret;
}

void ipc_cache_drop(ipc_cache_t *cache, void *base) {
    uintptr_t key = (uintptr_t)base;
    pthread_mutex_lock(&cache->lock);
    ipc_cache_entry_t **link = &cache->buckets[bucket_of(key)];
    while (*link && (*link)->base != key) {
        link = &(*link)->next;
    }
    ipc_cache_entry_t *e = *link;
    if (e) {
        *link = e->next;
    }
    pthread_mutex_unlock(&cache->lock);
    if (e) {
        entry_put(cache, e);
    }
}
