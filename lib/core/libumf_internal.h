/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* libumf_internal.h -- library-wide state: init refcount and teardown flag */
#ifndef UMF_LIBUMF_INTERNAL_H
#define UMF_LIBUMF_INTERNAL_H 1

#include <stdbool.h>

/* Library generation: incremented by every teardown (refcount 1->0). A
 * handle records the generation it was created in; once that generation
 * is torn down the handle is stale and destroying it is a safe no-op (its
 * tracker entries and caches are gone). */
unsigned long umf_generation(void);

/* Is a handle created in generation gen stale (its library state torn
 * down)? */
bool umf_is_stale(unsigned long gen);

/* Make sure the library is initialised (for entry points reached before the
 * ELF constructor ran, e.g. from another library's constructor). */
void umf_ensure_initialized(void);

/* fork(2): hold the init lock across fork (lib/core/fork.c) */
void umf_init_fork_prepare(void *arg);
void umf_init_fork_parent(void *arg);
void umf_init_fork_child(void *arg);

#endif /* UMF_LIBUMF_INTERNAL_H */
