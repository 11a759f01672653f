/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_handle_check_internal.h -- sealing IPC handles in the producer and
 * checking them in the consumer before anything is mapped or dereferenced
 * (ipc_handle_check.c). */
#ifndef UMF_IPC_HANDLE_CHECK_INTERNAL_H
#define UMF_IPC_HANDLE_CHECK_INTERNAL_H 1

#include <stddef.h>
#include <stdint.h>

#include <umf/memory_provider.h>

struct umf_ipc_data_t;

/* What a provider's IPC blob says about itself, for the core to hold
 * against the handle's header. */
typedef struct ipc_blob_desc_t {
    uint64_t mapped_size; /* bytes the provider's open maps for the blob */
    int32_t pid;          /* the producer the blob names; 0: none */
} ipc_blob_desc_t;

/* Read a blob of blob_size bytes without mapping or opening anything;
 * INVALID_ARGUMENT (with a log line) when it is malformed. */
typedef umf_result_t (*ipc_blob_describe_fn)(const void *blob,
                                             size_t blob_size,
                                             ipc_blob_desc_t *desc);

/* Any provider may register how to read its blobs, keyed by its
 * open_ipc_handle op; the consumer then refuses a handle whose header and
 * blob disagree (the mapping size closes use, the producer pid). Providers
 * that do not register get the header checks alone. Idempotent and
 * thread-safe; at most 32 providers. */
void ipc_register_blob_describer(
    umf_result_t (*open_ipc_handle)(void *, void *, void **),
    ipc_blob_describe_fn describe);

/* Fill the header fields that protect the handle (magic, version, sizes,
 * kind of the provider behind pool_upstream, checksum): the last step of
 * making a handle, after every other field and the blob are written. */
void ipc_handle_seal(struct umf_ipc_data_t *h,
                     umf_memory_provider_handle_t upstream);

/* Check h before it is opened through handler: every header field, the
 * checksum over header and blob, the provider kind, and the blob against
 * the header when the provider registered a describer. SUCCESS, or
 * INVALID_ARGUMENT (or the handler's own error when it has no IPC) with a
 * log line saying what does not hold. */
umf_result_t ipc_handle_check(umf_memory_provider_handle_t handler,
                              const struct umf_ipc_data_t *h);

#endif /* UMF_IPC_HANDLE_CHECK_INTERNAL_H */
