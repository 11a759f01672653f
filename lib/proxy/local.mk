# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# lib/proxy/local.mk -- libumf_proxy.so.0, the LD_PRELOAD malloc replacement
# that serves a whole program's heap from one UMF pool (umf_proxy(7)).
#
# It uses libumf.so.0 through the public API only. With the jemalloc pool
# built it also depends on libumf_jemalloc.so.0 (proxy_jemalloc_anchor.c),
# so that jemalloc is loaded with the preloaded library.

lib_LTLIBRARIES += lib/libumf_proxy.la
lib_libumf_proxy_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
lib_libumf_proxy_la_SOURCES = \
	lib/proxy/proxy_internal.h \
	lib/proxy/proxy_malloc.c \
	lib/proxy/proxy_bootstrap.c \
	lib/proxy/proxy_fork.c \
	lib/proxy/proxy_next.c \
	lib/proxy/proxy_options.c \
	lib/proxy/proxy_owner.c \
	lib/proxy/proxy_pool.c
lib_libumf_proxy_la_LIBADD = lib/libumf.la
# its own interface version (the malloc family never changes), not libumf's
lib_libumf_proxy_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-Wl,--version-script=$(top_srcdir)/lib/proxy/proxy.map
if !SANITIZED
lib_libumf_proxy_la_LDFLAGS += -Wl,-z,defs
endif
if HAVE_JEMALLOC
lib_libumf_proxy_la_SOURCES += lib/proxy/proxy_jemalloc_anchor.c
lib_libumf_proxy_la_LIBADD += lib/libumf_jemalloc.la
endif
EXTRA_lib_libumf_proxy_la_DEPENDENCIES = $(top_srcdir)/lib/proxy/proxy.map
EXTRA_DIST += lib/proxy/proxy.map
