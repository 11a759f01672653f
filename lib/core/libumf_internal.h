/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* libumf_internal.h -- library-wide state: init refcount and teardown flag */
#ifndef UMF_LIBUMF_INTERNAL_H
#define UMF_LIBUMF_INTERNAL_H 1

#include <stdbool.h>

/* True once global state is torn down (refcount reached 0 after init):
 * destroy calls become safe no-ops and lookups find nothing. */
bool umf_is_torn_down(void);

/* Make sure the library is initialised (for entry points reached before the
 * ELF constructor ran, e.g. from another library's constructor). */
void umf_ensure_initialized(void);

#endif /* UMF_LIBUMF_INTERNAL_H */
