/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* provider_cuda_ptrmap.c -- pointers the CUDA provider hands out at an
 * offset into a driver allocation: an allocation aligned beyond what the
 * driver guarantees, and an IPC mapping of such an allocation. The driver
 * frees and closes only by base address, and its memory may not be host
 * memory, so the base is kept here (a small hash table in umf_ba memory),
 * never in a header. The common case, no such pointer, costs one atomic
 * load. */
#include <string.h>

#include "providers/provider_cuda_internal.h"
#include "util/base_alloc_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

struct cuda_ptrmap_entry_t {
    uintptr_t ptr, base;
    cuda_ptrmap_entry_t *next;
};

#define PTRMAP_BUCKETS 256

static size_t ptrmap_hash(uintptr_t p) {
    /* the low bits of aligned pointers are zero: mix them in */
    uint64_t x = (uint64_t)p * 0x9e3779b97f4a7c15ULL;
    return (size_t)(x >> 56) % PTRMAP_BUCKETS;
}

umf_result_t cuda_ptrmap_init(cuda_ptrmap_t *m) {
    memset(m, 0, sizeof(*m));
    m->buckets = umf_ba_calloc(PTRMAP_BUCKETS, sizeof(*m->buckets));
    if (!m->buckets) {
        LOG_ERR("cannot allocate the CUDA provider's pointer map");
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    m->nbuckets = PTRMAP_BUCKETS;
    pthread_mutex_init(&m->lock, NULL);
    return UMF_RESULT_SUCCESS;
}

void cuda_ptrmap_fini(cuda_ptrmap_t *m) {
    if (!m->buckets) {
        return;
    }
    for (size_t i = 0; i < m->nbuckets; i++) {
        cuda_ptrmap_entry_t *e = m->buckets[i];
        while (e) {
            cuda_ptrmap_entry_t *next = e->next;
            umf_ba_free(e);
            e = next;
        }
    }
    umf_ba_free(m->buckets);
    m->buckets = NULL;
    pthread_mutex_destroy(&m->lock);
}

umf_result_t cuda_ptrmap_insert(cuda_ptrmap_t *m, uintptr_t ptr,
                                uintptr_t base) {
    cuda_ptrmap_entry_t *e = umf_ba_alloc(sizeof(*e));
    if (!e) {
        LOG_ERR("cannot record the base of %p", (void *)ptr);
        return UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY;
    }
    e->ptr = ptr;
    e->base = base;
    size_t b = ptrmap_hash(ptr);
    pthread_mutex_lock(&m->lock);
    e->next = m->buckets[b];
    m->buckets[b] = e;
    utils_fetch_add(&m->count, 1);
    pthread_mutex_unlock(&m->lock);
    return UMF_RESULT_SUCCESS;
}

uintptr_t cuda_ptrmap_base(cuda_ptrmap_t *m, uintptr_t ptr, bool remove) {
    if (UMF_LIKELY(utils_atomic_load_acquire(&m->count) == 0)) {
        return ptr;
    }
    uintptr_t base = ptr;
    cuda_ptrmap_entry_t *found = NULL;
    size_t b = ptrmap_hash(ptr);
    pthread_mutex_lock(&m->lock);
    for (cuda_ptrmap_entry_t **pe = &m->buckets[b]; *pe; pe = &(*pe)->next) {
        if ((*pe)->ptr == ptr) {
            found = *pe;
            base = found->base;
            if (remove) {
                *pe = found->next;
                utils_fetch_sub(&m->count, 1);
            }
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (found && remove) {
        umf_ba_free(found);
    }
    return base;
}
