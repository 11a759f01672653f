/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dl_symbols.c -- utils_dl_open and utils_dl_resolve (see the header). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "dl_symbols_internal.h"

void *utils_dl_open(const char *soname, const char **why) {
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (!h) {
        h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    }
    if (!h && why) {
        const char *err = dlerror();
        *why = err ? err : "dlopen failed";
    }
    return h;
}

const char *utils_dl_resolve(void *handle, const utils_dl_symbol_t *syms,
                             size_t n_syms, void *table, size_t table_size) {
    /* resolved into a copy so that a failure leaves table untouched */
    unsigned char *copy = malloc(table_size);
    if (!copy) {
        return "(out of memory)";
    }
    memcpy(copy, table, table_size);
    for (size_t i = 0; i < n_syms; i++) {
        void *f = dlsym(handle, syms[i].name);
        if (!f || syms[i].offset + sizeof(f) > table_size) {
            free(copy);
            return syms[i].name;
        }
        memcpy(copy + syms[i].offset, &f, sizeof(f));
    }
    memcpy(table, copy, table_size);
    free(copy);
    return NULL;
}
