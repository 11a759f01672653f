/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* dl_symbols_internal.h -- finding an optional library at run time and
 * filling a table of its entry points, for every pool and provider that
 * must not link what it uses (tbbmalloc, the GPU drivers). */
#ifndef UMF_DL_SYMBOLS_INTERNAL_H
#define UMF_DL_SYMBOLS_INTERNAL_H 1

#include <stddef.h>

/* One entry point: its symbol name and where its pointer goes in the
 * caller's table struct (offsetof). */
typedef struct utils_dl_symbol_t {
    const char *name;
    size_t offset;
} utils_dl_symbol_t;

/* The library already in the process (RTLD_NOLOAD), else a fresh
 * RTLD_NOW|RTLD_LOCAL load of it. NULL when neither works; *why (when not
 * NULL) then points at dlerror()'s text or a fixed string. */
void *utils_dl_open(const char *soname, const char **why);

/* Fill table (table_size bytes) from handle. All or nothing: when a symbol
 * is missing, table is left as it was and the missing name is returned;
 * NULL when every symbol was found. */
const char *utils_dl_resolve(void *handle, const utils_dl_symbol_t *syms,
                             size_t n_syms, void *table, size_t table_size);

#endif /* UMF_DL_SYMBOLS_INTERNAL_H */
