/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* utils.c -- page size and thread id helpers */
#include <sys/syscall.h>
#include <unistd.h>

#include "utils_internal.h"

size_t utils_page_size(void) {
    static size_t page_size;
    size_t ps = utils_atomic_load_relaxed(&page_size);
    if (UMF_UNLIKELY(ps == 0)) {
        long v = sysconf(_SC_PAGESIZE);
        ps = v > 0 ? (size_t)v : 4096;
        utils_atomic_store_relaxed(&page_size, ps);
    }
    return ps;
}

uint64_t utils_thread_id(void) {
    static __thread uint64_t tid;
    if (tid == 0) {
        tid = (uint64_t)syscall(SYS_gettid);
    }
    return tid;
}
