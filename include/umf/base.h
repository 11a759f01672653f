/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* base.h -- versions and result codes shared by every UMF header */
#ifndef UMF_BASE_H
#define UMF_BASE_H 1

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Generates generic 'UMF' API versions */
#define UMF_MAKE_VERSION(_major, _minor)                                       \
    (((_major) << 16) | ((_minor) & 0x0000ffff))

/* Extracts 'UMF' API major version */
#define UMF_MAJOR_VERSION(_ver) ((_ver) >> 16)

/* Extracts 'UMF' API minor version */
#define UMF_MINOR_VERSION(_ver) ((_ver) & 0x0000ffff)

/* Current version of the UMF headers */
#define UMF_VERSION_CURRENT UMF_MAKE_VERSION(0, 11)

/* Marks the allocation entry points (umfPoolMalloc, umfPoolFree, ...): GCC
 * then calls them through the GOT instead of a PLT stub in
 * position-independent code (as -fno-plt does for every call), one
 * indirect jump less per call. Against allocators that take about 10 ns
 * per call, the stub's jump is measurable. Define UMF_DISABLE_NOPLT before
 * including UMF headers to keep PLT calls. */
#if !defined(UMF_NOPLT) && defined(__GNUC__) && !defined(__clang__) &&         \
    !defined(UMF_DISABLE_NOPLT) && defined(__has_attribute)
#if __has_attribute(noplt)
#define UMF_NOPLT __attribute__((noplt))
#endif
#endif
#ifndef UMF_NOPLT
#define UMF_NOPLT
#endif

/* Operation results */
typedef enum umf_result_t {
    UMF_RESULT_SUCCESS = 0,
    UMF_RESULT_ERROR_OUT_OF_HOST_MEMORY = 1,
    UMF_RESULT_ERROR_MEMORY_PROVIDER_SPECIFIC = 2,
    UMF_RESULT_ERROR_INVALID_ARGUMENT = 3,
    UMF_RESULT_ERROR_INVALID_ALIGNMENT = 4,
    UMF_RESULT_ERROR_NOT_SUPPORTED = 5,
    UMF_RESULT_ERROR_USER_SPECIFIC = 6,
    UMF_RESULT_ERROR_DEPENDENCY_UNAVAILABLE = 7,
    UMF_RESULT_ERROR_OUT_OF_RESOURCES = 8,
    UMF_RESULT_ERROR_UNKNOWN = 0x7ffffffe
} umf_result_t;

#ifdef __cplusplus
}
#endif

#endif /* UMF_BASE_H */
