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
