/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* memory_provider_internal.h -- the provider handle */
#ifndef UMF_MEMORY_PROVIDER_INTERNAL_H
#define UMF_MEMORY_PROVIDER_INTERNAL_H 1

#include <umf/memory_provider.h>

struct umf_memory_provider_t {
    umf_memory_provider_ops_t ops; /* copy, missing optional ops filled */
    void *provider_priv;
    /* The provider reported by umfGetLastFailedMemoryProvider when a call on
     * this handle fails: itself, or the user's provider for the internal
     * tracking wrapper. */
    umf_memory_provider_handle_t blame;
    unsigned long generation; /* library generation at creation */
};

/* The provider's private state (what its initialize returned). */
static inline void *provider_priv(umf_memory_provider_handle_t h) {
    return h->provider_priv;
}

/* Record h as the last failed provider of this thread. */
void provider_set_last_failed(umf_memory_provider_handle_t h);

#endif /* UMF_MEMORY_PROVIDER_INTERNAL_H */
