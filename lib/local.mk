# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# lib/local.mk -- how the library is built.
#
# Every source goes into the convenience library lib/libumf_internal.la once;
# the installed lib/libumf.la wraps it with the version script, and the
# white-box tests link the convenience library directly to reach internals.

noinst_LTLIBRARIES += lib/libumf_internal.la
lib_libumf_internal_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib \
	-include $(top_builddir)/config.h \
	$(HWLOC_CFLAGS)
lib_libumf_internal_la_LIBADD = $(HWLOC_LIBS) $(PTHREAD_LIBS)
lib_libumf_internal_la_SOURCES = \
	lib/util/utils_internal.h \
	lib/util/utils.c \
	lib/util/log_internal.h \
	lib/util/log.c \
	lib/util/base_alloc_internal.h \
	lib/util/base_alloc.c \
	lib/util/avl_internal.h \
	lib/util/avl.c \
	lib/util/stable_cache_internal.h \
	lib/util/stable_cache.c \
	lib/util/spinlock_internal.h \
	lib/util/spinlock.c \
	lib/util/bump_arena_internal.h \
	lib/util/bump_arena.c \
	lib/util/native_error_internal.h \
	lib/util/native_error.c \
	lib/util/protection_internal.h \
	lib/util/tsan_pages_internal.h \
	lib/util/protection.c \
	lib/util/dl_symbols_internal.h \
	lib/util/dl_symbols.c \
	lib/core/libumf_internal.h \
	lib/core/libumf.c \
	lib/core/libumf_linux.c \
	lib/core/memory_provider_internal.h \
	lib/core/memory_provider.c \
	lib/core/memory_pool_internal.h \
	lib/core/memory_pool.c \
	lib/core/pool_direct_internal.h \
	lib/core/pool_direct.c \
	lib/core/tracker_internal.h \
	lib/core/tracker.c \
	lib/core/tracker_tree_internal.h \
	lib/core/tracker_tree.c \
	lib/core/provider_tracking_internal.h \
	lib/core/provider_tracking.c \
	lib/core/ipc_internal.h \
	lib/core/ipc.c \
	lib/core/ipc_cache.c \
	lib/core/ipc_open_cache.c \
	lib/core/ipc_handle_check_internal.h \
	lib/core/ipc_handle_check.c \
	lib/core/coarse_internal.h \
	lib/core/coarse_impl_internal.h \
	lib/core/coarse.c \
	lib/core/coarse_lanes.c \
	lib/core/fork_internal.h \
	lib/core/fork.c \
	lib/core/fork_linux.c \
	lib/core/pool_check_internal.h \
	lib/core/pool_check.c \
	lib/providers/provider_os_memory_internal.h \
	lib/providers/provider_os_memory.c \
	lib/providers/provider_os_mapping.c \
	lib/providers/provider_os_numa.c \
	lib/providers/provider_os_shared.c \
	lib/providers/provider_os_ipc.c \
	lib/providers/provider_fixed_memory.c \
	lib/providers/provider_file_memory.c \
	lib/providers/provider_devdax_memory.c \
	lib/providers/gpu_params_internal.h \
	lib/providers/gpu_params.c \
	lib/pools/pool_proxy.c \
	lib/pools/pool_disjoint_internal.h \
	lib/pools/pool_disjoint.c \
	lib/pools/pool_disjoint_addr_map.c \
	lib/pools/pool_disjoint_heap.c \
	lib/pools/pool_disjoint_params.c \
	lib/pools/pool_disjoint_slab.c \
	lib/topology/memtarget_internal.h \
	lib/topology/memtarget.c \
	lib/topology/memspace_internal.h \
	lib/topology/memspace.c \
	lib/topology/memspace_predefined.c \
	lib/topology/mempolicy_internal.h \
	lib/topology/mempolicy.c \
	lib/topology/topology_internal.h
if HAVE_HWLOC
lib_libumf_internal_la_SOURCES += lib/topology/topology_hwloc.c
else
lib_libumf_internal_la_SOURCES += lib/topology/topology_nohwloc.c
endif

# Backends configured out build their _none.c stubs (same exported symbols).
# Neither pool links its allocator: both find it at run time (dlopen), so
# JEMALLOC_LIBS and TBB_LIBS stay off libumf.
if HAVE_JEMALLOC
lib_libumf_internal_la_CPPFLAGS += $(JEMALLOC_CFLAGS)
lib_libumf_internal_la_SOURCES += \
	lib/pools/pool_jemalloc_internal.h \
	lib/pools/pool_jemalloc.c \
	lib/pools/pool_jemalloc_hooks.c \
	lib/pools/pool_jemalloc_tcache.c
else
lib_libumf_internal_la_SOURCES += lib/pools/pool_jemalloc_none.c
endif
# The CUDA provider is built from libumf's own declarations of the driver
# ABI and finds libcuda.so.1 at run time: nothing to link.
if HAVE_CUDA
lib_libumf_internal_la_SOURCES += \
	lib/providers/cuda_driver_abi.h \
	lib/providers/provider_cuda_internal.h \
	lib/providers/provider_cuda_params.c \
	lib/providers/provider_cuda_driver.c \
	lib/providers/provider_cuda_ptrmap.c \
	lib/providers/provider_cuda.c \
	lib/providers/provider_cuda_ipc.c
else
lib_libumf_internal_la_SOURCES += lib/providers/provider_cuda_none.c
endif
if HAVE_TBB
lib_libumf_internal_la_SOURCES += lib/pools/pool_scalable.c
else
lib_libumf_internal_la_SOURCES += lib/pools/pool_scalable_none.c
endif

# The Level Zero provider takes only types from the headers: it finds
# libze_loader.so.1 at run time, so LEVEL_ZERO_LIBS stays off libumf.
if HAVE_LEVEL_ZERO
lib_libumf_internal_la_CPPFLAGS += $(LEVEL_ZERO_CFLAGS)
lib_libumf_internal_la_SOURCES += \
	lib/providers/provider_level_zero_internal.h \
	lib/providers/provider_level_zero_params.c \
	lib/providers/provider_level_zero_loader.c \
	lib/providers/provider_level_zero.c \
	lib/providers/provider_level_zero_ipc.c
else
lib_libumf_internal_la_SOURCES += lib/providers/provider_level_zero_none.c
endif

# libtool -version-info is made from VERSION in configure.ac
# (UMF_LT_VERSION_INFO): SONAME libumf.so.0, file libumf.so.0.MINOR.PATCH.
lib_LTLIBRARIES += lib/libumf.la
lib_libumf_la_SOURCES =
# forces the C linker for a library made only of a convenience library
nodist_EXTRA_lib_libumf_la_SOURCES = lib/dummy.c
lib_libumf_la_LIBADD = lib/libumf_internal.la
lib_libumf_la_LDFLAGS = -version-info $(UMF_LT_VERSION_INFO) -no-undefined \
	-Wl,--version-script=$(top_srcdir)/lib/libumf.map
# -no-undefined does not stop an undefined symbol on Linux; -z defs does
# (sanitizer runtimes resolve at run time, so not in sanitized builds).
if !SANITIZED
lib_libumf_la_LDFLAGS += -Wl,-z,defs
endif
EXTRA_lib_libumf_la_DEPENDENCIES = $(top_srcdir)/lib/libumf.map
EXTRA_DIST += lib/libumf.map

# libumf_jemalloc.so.0: the jemalloc pool's companion. It depends on
# libjemalloc.so.2, and the installed libumf.so linker script (lib/link/)
# puts it on the link of every program linked with -lumf, so jemalloc is
# loaded at start-up, after libc in symbol order (malloc stays glibc's);
# libumf.so.0 itself never depends on jemalloc. See pool_jemalloc.c.
if HAVE_JEMALLOC
lib_LTLIBRARIES += lib/libumf_jemalloc.la
lib_libumf_jemalloc_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib \
	$(JEMALLOC_CFLAGS)
lib_libumf_jemalloc_la_SOURCES = lib/pools/jemalloc_companion.c
lib_libumf_jemalloc_la_LIBADD = $(JEMALLOC_LIBS)
lib_libumf_jemalloc_la_LDFLAGS = -version-info 0:0:0 -no-undefined
# What an in-tree program adds to be linked as the installed linker script
# links it (libtool links the build tree's plain libumf.so symlink): the
# anchor object of libumf_nonshared.a, pulled in by an undefined reference,
# keeps the companion's DT_NEEDED whatever --as-needed the LDFLAGS hold
# (Fedora's put it after any per-program --no-as-needed).
UMF_JEMALLOC_COMPANION = lib/link/libumf_nonshared.a lib/libumf_jemalloc.la
UMF_JEMALLOC_ANCHOR_FLAGS = -Wl,--undefined=umf_jemalloc_link_anchor
else
UMF_JEMALLOC_COMPANION =
UMF_JEMALLOC_ANCHOR_FLAGS =
endif
