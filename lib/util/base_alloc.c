/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* base_alloc.c -- mmap-backed size-class allocator for library metadata.
 *
 * Small requests come from per-class free lists, and when those are empty
 * from 64 KiB regions carved one block at a time: a region's pages are
 * touched only as its blocks are used, which keeps a process's start-up
 * (every class gets a region) from faulting in pages it never uses. Regions
 * are never unmapped, so a handle that outlives umfTearDown still points at
 * mapped memory. Large requests are mmapped individually and unmapped on
 * free. Every block carries a 16-byte header holding its class (or its
 * mapping length). Memory that was never handed out is still zero from
 * mmap, so calloc clears only reused blocks. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "base_alloc_internal.h"
#include "utils_internal.h"

#define BA_HEADER 16
#define BA_MIN_SHIFT 4  /* 16 bytes */
#define BA_MAX_SHIFT 12 /* 4096 bytes */
#define BA_NUM_CLASSES (BA_MAX_SHIFT - BA_MIN_SHIFT + 1)
#define BA_REGION_SIZE (64 * 1024)
#define BA_LARGE_CLASS 0xffffffffu

typedef struct ba_header_t {
    size_t length;  /* class size, or mapping length for large blocks */
    uint32_t cls;   /* class index or BA_LARGE_CLASS */
    uint32_t magic; /* catches frees of foreign pointers */
} ba_header_t;

#define BA_MAGIC 0x756d6662u /* "umfb" */

typedef struct ba_free_t {
    struct ba_free_t *next;
} ba_free_t;

typedef struct ba_class_t {
    pthread_mutex_t lock;
    ba_free_t *free_list;
    char *carve; /* the next never-used block of the current region */
    char *carve_end;
} ba_class_t;

static ba_class_t ba_classes[BA_NUM_CLASSES] = {
    [0 ... BA_NUM_CLASSES - 1] = {PTHREAD_MUTEX_INITIALIZER, NULL, NULL,
                                  NULL}};
static size_t ba_live;

static void *ba_map(size_t len) {
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static unsigned ba_class_of(size_t total) {
    unsigned cls = 0;
    while (((size_t)1 << (cls + BA_MIN_SHIFT)) < total) {
        cls++;
    }
    return cls;
}

/* A block of class c, with the lock held: a freed one, else the next
 * never-used one (*fresh set: it is still zero), mapping a region when the
 * current one is used up. NULL when no region can be mapped. */
static void *ba_take(ba_class_t *c, size_t block, bool *fresh) {
    if (c->free_list) {
        ba_free_t *f = c->free_list;
        c->free_list = f->next;
        *fresh = false;
        return f;
    }
    if ((size_t)(c->carve_end - c->carve) < block) {
        char *region = ba_map(BA_REGION_SIZE);
        if (!region) {
            return NULL;
        }
        c->carve = region; /* the old region's tail (under one block) */
        c->carve_end = region + BA_REGION_SIZE;
    }
    void *p = c->carve;
    c->carve += block;
    *fresh = true;
    return p;
}

/* umf_ba_alloc; *fresh tells whether the block was never used (zero). */
static void *ba_alloc(size_t size, bool *fresh) {
    size_t total;
    if (size == 0 || utils_add_overflow(size, BA_HEADER, &total)) {
        return NULL;
    }
    ba_header_t *h;
    if (total <= ((size_t)1 << BA_MAX_SHIFT)) {
        unsigned cls = ba_class_of(total);
        size_t block = (size_t)1 << (cls + BA_MIN_SHIFT);
        ba_class_t *c = &ba_classes[cls];
        pthread_mutex_lock(&c->lock);
        h = ba_take(c, block, fresh);
        pthread_mutex_unlock(&c->lock);
        if (!h) {
            return NULL;
        }
        h->length = block;
        h->cls = cls;
    } else {
        size_t len;
        if (!utils_align_up_checked(total, utils_page_size(), &len)) {
            return NULL;
        }
        h = ba_map(len);
        if (!h) {
            return NULL;
        }
        h->length = len;
        h->cls = BA_LARGE_CLASS;
        *fresh = true;
    }
    h->magic = BA_MAGIC;
    utils_fetch_add(&ba_live, 1);
    return (char *)h + BA_HEADER;
}

void *umf_ba_alloc(size_t size) {
    bool fresh;
    return ba_alloc(size, &fresh);
}

void *umf_ba_calloc(size_t num, size_t size) {
    size_t total;
    bool fresh;
    if (utils_mul_overflow(num, size, &total)) {
        return NULL;
    }
    void *p = ba_alloc(total, &fresh);
    if (p && !fresh) {
        memset(p, 0, total);
    }
    return p;
}

void umf_ba_free(void *ptr) {
    if (!ptr) {
        return;
    }
    int saved_errno = errno;
    ba_header_t *h = (ba_header_t *)((char *)ptr - BA_HEADER);
    if (h->magic != BA_MAGIC) {
        return; /* not ours, or already freed: never corrupt the lists */
    }
    h->magic = 0;
    utils_fetch_sub(&ba_live, 1);
    if (h->cls == BA_LARGE_CLASS) {
        munmap(h, h->length);
    } else {
        ba_class_t *c = &ba_classes[h->cls];
        ba_free_t *f = (ba_free_t *)h;
        pthread_mutex_lock(&c->lock);
        f->next = c->free_list;
        c->free_list = f;
        pthread_mutex_unlock(&c->lock);
    }
    errno = saved_errno;
}

char *umf_ba_strdup(const char *s) {
    if (!s) {
        return NULL;
    }
    size_t len = strlen(s) + 1;
    char *d = umf_ba_alloc(len);
    if (d) {
        memcpy(d, s, len);
    }
    return d;
}

size_t umf_ba_live_count(void) { return utils_atomic_load_relaxed(&ba_live); }

/* fork(2): every class lock is held across fork */
void umf_ba_fork_prepare(void *arg) {
    (void)arg;
    for (unsigned i = 0; i < BA_NUM_CLASSES; i++) {
        pthread_mutex_lock(&ba_classes[i].lock);
    }
}

void umf_ba_fork_parent(void *arg) {
    (void)arg;
    for (unsigned i = 0; i < BA_NUM_CLASSES; i++) {
        pthread_mutex_unlock(&ba_classes[i].lock);
    }
}

void umf_ba_fork_child(void *arg) {
    (void)arg;
    for (unsigned i = 0; i < BA_NUM_CLASSES; i++) {
        pthread_mutex_unlock(&ba_classes[i].lock);
    }
}
