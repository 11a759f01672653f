/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* ipc_handle_check.c -- what stops a damaged or forged IPC handle before
 * the consumer maps anything.
 *
 * The producer seals each handle: magic, layout version, header and blob
 * sizes, a hash of the provider's name, and a 64-bit checksum over every
 * byte of header and blob. The consumer checks them in an order that never
 * reads past what it has already checked (the blob's size is taken from the
 * handler, not the handle), then the fields' meaning (offset inside the
 * allocation, sizes that fit the address space, a real pid), then, for
 * providers that registered a describer, that the blob maps exactly the
 * allocation the header names and names the same producer. A random
 * mutation fails the checksum with probability 1 - 2^-64; a handle forged
 * consistently by a process of the same uid is beyond what a checksum can
 * stop (see umfOpenIPCHandle(3)), and the providers' own checks (the real
 * size of the file or memfd behind it) still keep it inside the object it
 * names. */
#include <pthread.h>
#include <string.h>

#include "core/ipc_handle_check_internal.h"
#include "core/ipc_internal.h"
#include "core/memory_provider_internal.h"
#include "util/log_internal.h"
#include "util/utils_internal.h"

/* ---- hashing ---- */

static uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Each step is a bijection of the state for a fixed word and of the word
 * for a fixed state, so two inputs of one length that differ in a single
 * word never collide, and any other difference collides with probability
 * about 2^-64. */
static uint64_t hash_bytes(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    size_t len = n;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, p, n);
        h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
    }
    return mix64(h ^ len);
}

static uint32_t provider_kind(umf_memory_provider_handle_t provider) {
    const char *name = umfMemoryProviderGetName(provider);
    if (!name) {
        name = "";
    }
    return (uint32_t)hash_bytes(0x756d666bu, name, strlen(name));
}

static uint64_t handle_checksum(const struct umf_ipc_data_t *h) {
    struct umf_ipc_data_t header;
    memcpy(&header, h, sizeof(header));
    header.checksum = 0;
    uint64_t c = hash_bytes(0x49504348414e444cULL, &header, sizeof(header));
    return hash_bytes(c, h->provider_data, h->provider_data_size);
}

/* ---- blob describers ---- */

#define MAX_DESCRIBERS 32

typedef umf_result_t (*open_ipc_fn)(void *, void *, void **);

static struct {
    open_ipc_fn key;
    ipc_blob_describe_fn describe;
} describers[MAX_DESCRIBERS];
static size_t n_describers; /* entries below it are complete (release) */
static pthread_mutex_t describers_lock = PTHREAD_MUTEX_INITIALIZER;

void ipc_register_blob_describer(open_ipc_fn open_ipc_handle,
                                 ipc_blob_describe_fn describe) {
    pthread_mutex_lock(&describers_lock);
    size_t n = n_describers;
    size_t i = 0;
    while (i < n && describers[i].key != open_ipc_handle) {
        i++;
    }
    if (i == n && n < MAX_DESCRIBERS) {
        describers[n].key = open_ipc_handle;
        describers[n].describe = describe;
        utils_atomic_store_release(&n_describers, n + 1);
    } else if (i == n) {
        LOG_WARN("more than %d providers describe their IPC handles; the "
                 "blobs of this one are not checked against the header",
                 MAX_DESCRIBERS);
    }
    pthread_mutex_unlock(&describers_lock);
}

static ipc_blob_describe_fn find_describer(open_ipc_fn key) {
    size_t n = utils_atomic_load_acquire(&n_describers);
    for (size_t i = 0; i < n; i++) {
        if (describers[i].key == key) {
            return describers[i].describe;
        }
    }
    return NULL;
}

/* ---- producer ---- */

void ipc_handle_seal(struct umf_ipc_data_t *h,
                     umf_memory_provider_handle_t upstream) {
    h->magic = UMF_IPC_MAGIC;
    h->version = UMF_IPC_VERSION;
    h->header_size = (uint16_t)sizeof(*h);
    h->provider_kind = provider_kind(upstream);
    h->reserved = 0;
    h->checksum = handle_checksum(h);
}

/* ---- consumer ---- */

static umf_result_t reject(const struct umf_ipc_data_t *h, const char *why) {
    LOG_ERR("IPC handle %p rejected: %s", (const void *)h, why);
    return UMF_RESULT_ERROR_INVALID_ARGUMENT;
}

umf_result_t ipc_handle_check(umf_memory_provider_handle_t handler,
                              const struct umf_ipc_data_t *h) {
    /* the provider behind the handler: itself, or the one a pool's
     * tracking wrapper forwards to */
    umf_memory_provider_handle_t provider = handler->blame;
    size_t data_size;
    umf_result_t ret = umfMemoryProviderGetIPCHandleSize(handler, &data_size);
    if (ret != UMF_RESULT_SUCCESS) {
        return ret; /* a handler without IPC says so whatever h holds */
    }
    if (h->magic != UMF_IPC_MAGIC) {
        return reject(h, "not made by umfGetIPCHandle (bad magic)");
    }
    if (h->version != UMF_IPC_VERSION || h->header_size != sizeof(*h)) {
        return reject(h, "made by another version of libumf");
    }
    if (h->provider_kind != provider_kind(provider)) {
        return reject(h, "made by another kind of memory provider than the "
                         "handler's");
    }
    if (h->provider_data_size != data_size) {
        return reject(h, "its provider data has the wrong size for the "
                         "handler's provider");
    }
    /* every byte read below is now known to be inside the handle */
    if (h->checksum != handle_checksum(h)) {
        return reject(h, "checksum mismatch (damaged or altered)");
    }
    uint64_t end;
    if (h->base_size == 0 || h->base_size > SIZE_MAX ||
        h->offset >= h->base_size ||
        __builtin_add_overflow(h->base, h->base_size, &end) || h->pid <= 0 ||
        h->reserved != 0) {
        return reject(h, "inconsistent fields");
    }
    ipc_blob_describe_fn describe =
        find_describer(provider->ops.ipc.open_ipc_handle);
    if (!describe) {
        return UMF_RESULT_SUCCESS;
    }
    ipc_blob_desc_t desc = {0, 0};
    if (describe(h->provider_data, data_size, &desc) != UMF_RESULT_SUCCESS) {
        return reject(h, "malformed provider data");
    }
    if (desc.mapped_size != h->base_size) {
        return reject(h, "the provider data maps another size than the "
                         "allocation the header names");
    }
    if (desc.pid != 0 && desc.pid != h->pid) {
        return reject(h, "the provider data names another producer process");
    }
    return UMF_RESULT_SUCCESS;
}
