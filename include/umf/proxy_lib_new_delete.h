/* SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception */
/* umf/proxy_lib_new_delete.h -- global operator new and delete on malloc
 * and free, for C++ programs that run with libumf_proxy (umf_proxy(7)).
 *
 * Include it in exactly one translation unit of the program: it defines
 * (not declares) the replaceable global allocation functions, every
 * standard form, the aligned ones of C++17 included, so that every
 * new-expression of the program calls malloc (or aligned_alloc) and every
 * delete calls free, which libumf_proxy serves from its pool. A failed
 * allocation throws std::bad_alloc, or gives NULL for the nothrow forms.
 * In C the header only includes <stdlib.h>. */
#ifndef UMF_PROXY_LIB_NEW_DELETE_H
#define UMF_PROXY_LIB_NEW_DELETE_H 1

#ifdef __cplusplus

#include <cstddef>
#include <cstdlib>
#include <new>

namespace umf_proxy_lib_detail {

inline void *alloc_or_null(std::size_t size) {
    return std::malloc(size ? size : 1);
}

inline void *alloc_or_throw(std::size_t size) {
    void *p = alloc_or_null(size);
    if (!p) {
        throw std::bad_alloc();
    }
    return p;
}

#if defined(__cpp_aligned_new)
inline void *aligned_or_null(std::size_t size, std::align_val_t al) {
    std::size_t alignment = static_cast<std::size_t>(al);
    if (alignment < sizeof(void *)) {
        alignment = sizeof(void *);
    }
    void *p = nullptr;
    if (posix_memalign(&p, alignment, size ? size : 1) != 0) {
        return nullptr;
    }
    return p;
}

inline void *aligned_or_throw(std::size_t size, std::align_val_t al) {
    void *p = aligned_or_null(size, al);
    if (!p) {
        throw std::bad_alloc();
    }
    return p;
}
#endif

} // namespace umf_proxy_lib_detail

void *operator new(std::size_t size) {
    return umf_proxy_lib_detail::alloc_or_throw(size);
}
void *operator new[](std::size_t size) {
    return umf_proxy_lib_detail::alloc_or_throw(size);
}
void *operator new(std::size_t size, const std::nothrow_t &) noexcept {
    return umf_proxy_lib_detail::alloc_or_null(size);
}
void *operator new[](std::size_t size, const std::nothrow_t &) noexcept {
    return umf_proxy_lib_detail::alloc_or_null(size);
}
void operator delete(void *ptr) noexcept { std::free(ptr); }
void operator delete[](void *ptr) noexcept { std::free(ptr); }
void operator delete(void *ptr, const std::nothrow_t &) noexcept {
    std::free(ptr);
}
void operator delete[](void *ptr, const std::nothrow_t &) noexcept {
    std::free(ptr);
}
#if defined(__cpp_sized_deallocation) || __cplusplus >= 201402L
void operator delete(void *ptr, std::size_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, std::size_t) noexcept { std::free(ptr); }
#endif

#if defined(__cpp_aligned_new)
void *operator new(std::size_t size, std::align_val_t al) {
    return umf_proxy_lib_detail::aligned_or_throw(size, al);
}
void *operator new[](std::size_t size, std::align_val_t al) {
    return umf_proxy_lib_detail::aligned_or_throw(size, al);
}
void *operator new(std::size_t size, std::align_val_t al,
                   const std::nothrow_t &) noexcept {
    return umf_proxy_lib_detail::aligned_or_null(size, al);
}
void *operator new[](std::size_t size, std::align_val_t al,
                     const std::nothrow_t &) noexcept {
    return umf_proxy_lib_detail::aligned_or_null(size, al);
}
void operator delete(void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete[](void *ptr, std::align_val_t) noexcept { std::free(ptr); }
void operator delete(void *ptr, std::align_val_t,
                     const std::nothrow_t &) noexcept {
    std::free(ptr);
}
void operator delete[](void *ptr, std::align_val_t,
                       const std::nothrow_t &) noexcept {
    std::free(ptr);
}
void operator delete(void *ptr, std::size_t, std::align_val_t) noexcept {
    std::free(ptr);
}
void operator delete[](void *ptr, std::size_t, std::align_val_t) noexcept {
    std::free(ptr);
}
#endif

#else /* C: nothing to replace; malloc and free are the proxy's already */

#include <stdlib.h>

#endif /* __cplusplus */

#endif /* UMF_PROXY_LIB_NEW_DELETE_H */
