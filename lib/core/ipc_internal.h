/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_internal.h -- the IPC handle format, the producer-side handle cache
 * and the consumer-side cache of opened handles */
#ifndef UMF_IPC_INTERNAL_H
#define UMF_IPC_INTERNAL_H 1

#include <stdint.h>

#include <umf/ipc.h>

#define UMF_IPC_MAGIC 0x55494d46u /* "UMFI" */
#define UMF_IPC_VERSION 2 /* the layout below and its checksum */

/* What travels between processes: a fixed header, then the provider's
 * blob. Fixed-width fields so a handle means the same in any process.
 * The consumer trusts nothing in it before ipc_handle_check()
 * (ipc_handle_check.c) has held every field against the checksum, the
 * handler's provider and what it can learn itself. */
struct umf_ipc_data_t {
    uint32_t magic;
    uint16_t version;     /* UMF_IPC_VERSION */
    uint16_t header_size; /* sizeof(struct umf_ipc_data_t) */
    uint32_t provider_data_size;
    uint32_t provider_kind; /* hash of the producer provider's name */
    uint64_t handle_id;     /* unique per producer allocation, never reused */
    uint64_t base;          /* producer address of the provider allocation */
    uint64_t base_size;
    uint64_t offset; /* of the shared pointer inside that allocation */
    int32_t pid;
    uint32_t reserved; /* 0 */
    uint64_t checksum; /* over the header (this field 0) and the blob */
    char provider_data[];
};

/* Producer cache: one provider IPC blob per provider allocation, so a
 * provider's get_ipc_handle runs once per allocation and its put_ipc_handle
 * when the allocation is freed (or the pool destroyed). */
typedef struct ipc_cache_t ipc_cache_t;

ipc_cache_t *ipc_cache_new(umf_memory_provider_handle_t upstream);

/* Put every cached blob back to the provider and free the cache. */
void ipc_cache_delete(ipc_cache_t *cache);

/* Fill handle (header and blob) for the allocation [base, base+size) of
 * pool, calling the provider only on the first request for that base. */
umf_result_t ipc_cache_get(ipc_cache_t *cache, umf_memory_pool_handle_t pool,
                           void *base, size_t size, umf_ipc_handle_t handle,
                           size_t provider_data_size);

/* The allocation at base is being freed: put its blob, if any. Call after
 * the tracker no longer holds base. */
void ipc_cache_drop(ipc_cache_t *cache, void *base);

/* Consumer cache (ipc_open_cache.c): one mapping per {handler, producer
 * pid, producer base}, kept after its last close until evicted. */

/* Take a reference on the mapping of the allocation handle h describes
 * (opening it through handler unless cached); *base gets its local start.
 * h must be validated: base_size > 0. */
umf_result_t ipc_open_cache_acquire(umf_memory_provider_handle_t handler,
                                    const struct umf_ipc_data_t *h,
                                    void **base);

/* Drop the reference on the mapping that contains ptr. INVALID_ARGUMENT when
 * ptr is in no mapping with a reference. */
umf_result_t ipc_open_cache_release(const void *ptr);

/* Close every mapping opened through handler, in use or cached (handler is
 * being destroyed). */
void ipc_consumer_release_handler(umf_memory_provider_handle_t handler);

#endif /* UMF_IPC_INTERNAL_H */
