# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tests/local.mk -- `make check`: Check programs (one per area) and scripts.
#
# Black-box tests link the installed-shape library lib/libumf.la; white-box
# tests (tracker, coarse) link lib/libumf_internal.la to call internals.

# TSan: detect_deadlocks=0 because jemalloc's fork handler and libumf's
# (lib/core/fork.c) together hold more mutexes across fork than TSan's
# deadlock detector can count (64), which aborts the forking test runner.
TEST_EXTENSIONS = .sh
SH_LOG_COMPILER = $(SHELL)
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(top_srcdir)'; top_builddir='$(top_builddir)'; \
	MANDOC='$(MANDOC)'; CC='$(CC)'; CXX='$(CXX)'; LIBTOOL='$(LIBTOOL)'; \
	umf_prefix='$(prefix)'; umf_libdir='$(libdir)'; \
	umf_includedir='$(includedir)'; \
	UMF_HAVE_JEMALLOC='$(UMF_HAVE_JEMALLOC)'; UMF_HAVE_TBB='$(UMF_HAVE_TBB)'; \
	UMF_SANITIZER_FLAGS='$(SANITIZER_FLAGS)'; \
	TSAN_OPTIONS="suppressions=$(abs_top_srcdir)/tests/tsan.supp detect_deadlocks=0 $${TSAN_OPTIONS-}"; \
	export top_srcdir top_builddir MANDOC CC CXX LIBTOOL TSAN_OPTIONS \
	  umf_prefix umf_libdir umf_includedir UMF_HAVE_JEMALLOC UMF_HAVE_TBB \
	  UMF_SANITIZER_FLAGS;
EXTRA_DIST += tests/tsan.supp


# The fake CUDA driver (tests/fakes/fake_libcuda.h): a libcuda.so.1 in
# tests/fakes/.libs, which the CUDA tests put first on LD_LIBRARY_PATH
# (tests/cuda_test_helpers.h), and a second one that lacks an entry point
# (cuIpcOpenMemHandle_v2, as a driver older than CUDA 11). make bench uses
# the first where the machine has no driver.
if HAVE_CUDA
UMF_FAKE_CUDA_SOURCES = tests/fakes/fake_libcuda.h \
	tests/fakes/fake_libcuda_internal.h tests/fakes/fake_libcuda.c \
	tests/fakes/fake_libcuda_mem.c
UMF_FAKE_CUDA_CPPFLAGS = -I$(top_srcdir)/lib -I$(top_srcdir)/tests/fakes
# -version-info 1:0:0 names it libcuda.so.1 (SONAME libcuda.so.1)
UMF_FAKE_CUDA_LDFLAGS = -version-info 1:0:0 -rpath /nowhere -no-undefined
check_LTLIBRARIES += tests/fakes/libcuda.la tests/fakes/incomplete/libcuda.la
tests_fakes_libcuda_la_SOURCES = $(UMF_FAKE_CUDA_SOURCES)
tests_fakes_libcuda_la_CPPFLAGS = $(UMF_FAKE_CUDA_CPPFLAGS)
tests_fakes_libcuda_la_LDFLAGS = $(UMF_FAKE_CUDA_LDFLAGS)
tests_fakes_libcuda_la_LIBADD = $(PTHREAD_LIBS)
tests_fakes_incomplete_libcuda_la_SOURCES = $(UMF_FAKE_CUDA_SOURCES)
tests_fakes_incomplete_libcuda_la_CPPFLAGS = $(UMF_FAKE_CUDA_CPPFLAGS) \
	-DFAKE_CUDA_INCOMPLETE=1
tests_fakes_incomplete_libcuda_la_LDFLAGS = $(UMF_FAKE_CUDA_LDFLAGS)
tests_fakes_incomplete_libcuda_la_LIBADD = $(PTHREAD_LIBS)
endif

if HAVE_CHECK
check_LTLIBRARIES += tests/common/libtestcommon.la
tests_common_libtestcommon_la_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
tests_common_libtestcommon_la_SOURCES = \
	tests/common/test_helpers.h \
	tests/common/test_helpers.c \
	tests/common/test_providers.h \
	tests/common/test_providers.c \
	tests/common/pool_suite.h \
	tests/common/pool_suite.c \
	tests/common/pool_params.h \
	tests/common/pool_params.c

UMF_TEST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/common $(CHECK_CFLAGS)
UMF_TEST_LIBS = tests/common/libtestcommon.la lib/libumf.la $(CHECK_LIBS) \
	$(PTHREAD_LIBS)
UMF_WHITEBOX_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/lib
UMF_WHITEBOX_LIBS = tests/common/libtestcommon.la lib/libumf_internal.la \
	$(CHECK_LIBS) $(PTHREAD_LIBS)

UMF_BLACKBOX_TESTS = \
	tests/test_provider \
	tests/test_provider_os \
	tests/test_provider_fixed \
	tests/test_provider_os_shared \
	tests/test_provider_os_numa \
	tests/test_provider_os_numa_multi \
	tests/test_provider_file \
	tests/test_provider_file_ipc \
	tests/test_provider_devdax \
	tests/test_provider_devdax_real \
	tests/test_pool \
	tests/test_pool_api \
	tests/test_ipc_cache \
	tests/test_ipc_api \
	tests/test_pool_jemalloc \
	tests/test_pool_scalable \
	tests/test_pool_disjoint \
	tests/test_pool_disjoint_recut \
	tests/test_init_teardown \
	tests/test_source_compat \
	tests/test_not_supported \
	tests/test_memspace \
	tests/test_mempolicy \
	tests/test_fork \
	tests/test_pool_check \
	tests/test_fault_injection \
	tests/test_stress
# The CUDA provider (issue 17) on the fake driver, or on the real one with
# UMF_TEST_CUDA_REAL=1 (tests/gpu/cuda-device-check.sh).
if HAVE_CUDA
UMF_BLACKBOX_TESTS += tests/test_provider_cuda tests/test_provider_cuda_pools
UMF_CUDA_TEST_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/fakes -I$(top_srcdir)/lib \
	-DUMF_TEST_FAKE_CUDA_DIR='"$(abs_top_builddir)/tests/fakes/.libs"' \
	-DUMF_TEST_FAKE_CUDA_INCOMPLETE_DIR='"$(abs_top_builddir)/tests/fakes/incomplete/.libs"'
tests_test_provider_cuda_SOURCES = tests/test_provider_cuda.c \
	tests/test_provider_cuda_ipc.c tests/cuda_test_helpers.h
tests_test_provider_cuda_CPPFLAGS = $(UMF_CUDA_TEST_CPPFLAGS)
tests_test_provider_cuda_LDADD = $(UMF_TEST_LIBS) $(LIBS)
EXTRA_tests_test_provider_cuda_DEPENDENCIES = tests/fakes/libcuda.la \
	tests/fakes/incomplete/libcuda.la
tests_test_provider_cuda_pools_SOURCES = tests/test_provider_cuda_pools.c \
	tests/cuda_test_helpers.h
tests_test_provider_cuda_pools_CPPFLAGS = $(UMF_CUDA_TEST_CPPFLAGS)
# the jemalloc rows need jemalloc loaded at start-up: link as -lumf links
tests_test_provider_cuda_pools_LDADD = $(UMF_TEST_LIBS) \
	$(UMF_JEMALLOC_COMPANION) $(LIBS)
tests_test_provider_cuda_pools_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
EXTRA_tests_test_provider_cuda_pools_DEPENDENCIES = tests/fakes/libcuda.la
endif
UMF_WHITEBOX_TESTS = \
	tests/test_util \
	tests/test_pool_direct \
	tests/test_ipc_mutation \
	tests/test_tracker \
	tests/test_tracker_tree \
	tests/test_coarse \
	tests/test_coarse_lanes \
	tests/test_memspace_config \
	tests/test_proxy_owner
check_PROGRAMS += $(UMF_BLACKBOX_TESTS) $(UMF_WHITEBOX_TESTS)
TESTS += $(UMF_BLACKBOX_TESTS) $(UMF_WHITEBOX_TESTS)

tests_test_provider_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_provider_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_os_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_provider_os_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_fixed_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_provider_fixed_LDADD = $(UMF_TEST_LIBS)
# OS shared/NUMA, file and devdax providers (issue 4). The _multi and _real
# programs are the same sources built for a second NUMA node or a real
# device-DAX device; they exit 77 without one. The file and devdax tests
# re-execute themselves with the test-only mmap shim preloaded
# (tests/fakes/mmap_shim.h).
UMF_PROVIDER_TEST_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/fakes \
	-DUMF_TEST_MMAP_SHIM_PATH='"$(abs_top_builddir)/tests/fakes/.libs/mmap_shim.so"'
check_LTLIBRARIES += tests/fakes/mmap_shim.la
tests_fakes_mmap_shim_la_SOURCES = tests/fakes/mmap_shim.c tests/fakes/mmap_shim.h
tests_fakes_mmap_shim_la_LDFLAGS = -module -avoid-version -rpath /nowhere
EXTRA_DIST += tests/provider_helpers.h
tests_test_provider_os_shared_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS)
tests_test_provider_os_shared_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_os_numa_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS)
tests_test_provider_os_numa_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_os_numa_multi_SOURCES = tests/test_provider_os_numa.c
tests_test_provider_os_numa_multi_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS) \
	-DUMF_TEST_NUMA_MULTI=1
tests_test_provider_os_numa_multi_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_file_SOURCES = tests/test_provider_file.c \
	tests/provider_file_helpers.h
tests_test_provider_file_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS)
tests_test_provider_file_LDADD = $(UMF_TEST_LIBS)
EXTRA_tests_test_provider_file_DEPENDENCIES = tests/fakes/mmap_shim.la
# file provider IPC: the same helpers; it needs no mmap shim (no FSDAX test)
tests_test_provider_file_ipc_SOURCES = tests/test_provider_file_ipc.c \
	tests/provider_file_helpers.h
tests_test_provider_file_ipc_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS)
tests_test_provider_file_ipc_LDADD = $(UMF_TEST_LIBS)
tests_test_provider_devdax_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS)
tests_test_provider_devdax_LDADD = $(UMF_TEST_LIBS)
EXTRA_tests_test_provider_devdax_DEPENDENCIES = tests/fakes/mmap_shim.la
tests_test_provider_devdax_real_SOURCES = tests/test_provider_devdax.c
tests_test_provider_devdax_real_CPPFLAGS = $(UMF_PROVIDER_TEST_CPPFLAGS) \
	-DUMF_TEST_DEVDAX_REAL=1
tests_test_provider_devdax_real_LDADD = $(UMF_TEST_LIBS)
tests_test_pool_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
# the jemalloc rows need jemalloc loaded at start-up: link as -lumf links
tests_test_pool_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_pool_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
tests_test_pool_api_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_pool_api_LDADD = $(UMF_TEST_LIBS)
# IPC caches and contracts (issue 14): they read the handle layout from
# lib/core (handle ids, forged bad handles) but link the installed-shape
# library
tests_test_ipc_cache_SOURCES = tests/test_ipc_cache.c tests/ipc_helpers.h
tests_test_ipc_cache_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_ipc_cache_LDADD = $(UMF_TEST_LIBS)
tests_test_ipc_api_SOURCES = tests/test_ipc_api.c tests/ipc_helpers.h
tests_test_ipc_api_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_ipc_api_LDADD = $(UMF_TEST_LIBS)
# damaged and forged IPC handles (issue 18); white-box: it reseals forged
# handles with ipc_handle_seal. UMF_TEST_IPC_MUTATIONS sets its length.
tests_test_ipc_mutation_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS) \
	-I$(top_srcdir)/tests/fakes \
	-DUMF_TEST_MMAP_SHIM_PATH='"$(abs_top_builddir)/tests/fakes/.libs/mmap_shim.so"'
tests_test_ipc_mutation_LDADD = $(UMF_WHITEBOX_LIBS)
EXTRA_tests_test_ipc_mutation_DEPENDENCIES = tests/fakes/mmap_shim.la
# the jemalloc and scalable pools (issue 6); both run
# tests/umf_dlopen_helper, which links nothing of libumf but dlopens it
tests_test_pool_jemalloc_SOURCES = tests/test_pool_jemalloc.c \
	tests/helper_run.h
tests_test_pool_jemalloc_CPPFLAGS = $(UMF_TEST_CPPFLAGS) \
	-DUMF_TEST_BUILDDIR='"$(abs_top_builddir)"'
tests_test_pool_jemalloc_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_pool_jemalloc_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
EXTRA_tests_test_pool_jemalloc_DEPENDENCIES = tests/umf_dlopen_helper$(EXEEXT)
tests_test_pool_scalable_SOURCES = tests/test_pool_scalable.c \
	tests/helper_run.h
tests_test_pool_scalable_CPPFLAGS = $(UMF_TEST_CPPFLAGS) \
	-DUMF_TEST_BUILDDIR='"$(abs_top_builddir)"'
tests_test_pool_scalable_LDADD = $(UMF_TEST_LIBS)
EXTRA_tests_test_pool_scalable_DEPENDENCIES = tests/umf_dlopen_helper$(EXEEXT)
check_PROGRAMS += tests/umf_dlopen_helper
tests_umf_dlopen_helper_LDFLAGS = -rdynamic
tests_test_pool_disjoint_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_pool_disjoint_LDADD = $(UMF_TEST_LIBS)
tests_test_pool_disjoint_recut_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_pool_disjoint_recut_LDADD = $(UMF_TEST_LIBS)
tests_test_init_teardown_CPPFLAGS = $(UMF_TEST_CPPFLAGS) \
	-DUMF_TEST_LIBDIR='"$(abs_top_builddir)/lib/.libs"'
tests_test_init_teardown_LDADD = tests/common/libtestcommon.la \
	$(CHECK_LIBS) $(PTHREAD_LIBS) $(LIBS)
tests_test_source_compat_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_source_compat_CFLAGS = $(AM_CFLAGS) -std=c99 -pedantic
tests_test_source_compat_LDADD = $(UMF_TEST_LIBS)
tests_test_not_supported_CPPFLAGS = $(UMF_TEST_CPPFLAGS)
tests_test_not_supported_LDADD = $(UMF_TEST_LIBS)
# memspaces, memtargets, mempolicies (issue 5), with the fake topologies
# of tests/data; test_memspace_config is white-box
UMF_MEMSPACE_TEST_CPPFLAGS = -I$(top_srcdir)/tests \
	-DUMF_TEST_DATADIR='"$(abs_top_srcdir)/tests/data"'
tests_test_memspace_SOURCES = tests/test_memspace.c tests/memspace_helpers.h
tests_test_memspace_CPPFLAGS = $(UMF_TEST_CPPFLAGS) $(UMF_MEMSPACE_TEST_CPPFLAGS)
tests_test_memspace_LDADD = $(UMF_TEST_LIBS)
tests_test_mempolicy_SOURCES = tests/test_mempolicy.c tests/memspace_helpers.h
tests_test_mempolicy_CPPFLAGS = $(UMF_TEST_CPPFLAGS) $(UMF_MEMSPACE_TEST_CPPFLAGS)
tests_test_mempolicy_LDADD = $(UMF_TEST_LIBS)
EXTRA_DIST += tests/data/numa3_nohmat.xml tests/data/numa4_hmat.xml

# reliability (issue 18): fork while threads allocate; the pools by name
# live in tests/pool_kinds.h. The jemalloc rows link as -lumf links.
EXTRA_DIST += tests/pool_kinds.h tests/tsan_jemalloc.h
tests_test_fork_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_fork_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_fork_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
tests_test_pool_check_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_pool_check_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_pool_check_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
tests_test_fault_injection_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_fault_injection_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_fault_injection_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
tests_test_stress_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests
tests_test_stress_LDADD = $(UMF_TEST_LIBS) $(UMF_JEMALLOC_COMPANION)
tests_test_stress_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)


tests_test_util_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_util_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_pool_direct_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_pool_direct_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_tracker_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_tracker_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_tracker_tree_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_tracker_tree_LDADD = $(UMF_WHITEBOX_LIBS)
# the proxy's map of pool granules, built from its source
tests_test_proxy_owner_SOURCES = tests/test_proxy_owner.c \
	lib/proxy/proxy_owner.c
tests_test_proxy_owner_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_proxy_owner_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_coarse_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_coarse_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_coarse_lanes_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS)
tests_test_coarse_lanes_LDADD = $(UMF_WHITEBOX_LIBS)
tests_test_memspace_config_SOURCES = tests/test_memspace_config.c \
	tests/memspace_helpers.h
tests_test_memspace_config_CPPFLAGS = $(UMF_WHITEBOX_CPPFLAGS) \
	$(UMF_MEMSPACE_TEST_CPPFLAGS)
tests_test_memspace_config_LDADD = $(UMF_WHITEBOX_LIBS)
endif

# Scripts: exported symbols, header self-containment, man pages.
UMF_SCRIPT_TESTS = \
	tests/check_symbols.sh \
	tests/check_headers.sh \
	tests/check_man.sh
TESTS += $(UMF_SCRIPT_TESTS)
EXTRA_DIST += $(UMF_SCRIPT_TESTS)
# Programs linked against `make install` output each way users link
# (issue 14): -lumf, libtool, pkg-config, libumf.so.0 alone, CMake.
TESTS += tests/check_link.sh tests/check_cmake_example.sh
EXTRA_DIST += tests/check_link.sh tests/check_cmake_example.sh \
	tests/staged_install.sh
# CUDA (issue 17): the example and umf-info on the fake driver, and the real-GPU
# script's syntax (it runs only where a GPU is)
TESTS += tests/check_cuda_example.sh tests/check_cuda_device_script.sh \
	tests/check_umf_info_cuda.sh
EXTRA_DIST += tests/check_cuda_example.sh tests/check_cuda_device_script.sh \
	tests/check_umf_info_cuda.sh \
	tests/gpu/cuda-device-check.sh
# umf-info on this machine and the fake topologies (issue 5), and the
# fake Level Zero driver (issue 16)
TESTS += tests/check_umf_info.sh
EXTRA_DIST += tests/check_umf_info.sh

# make check-valgrind: the Check programs again under memcheck (each forked
# test child is checked too); a definite leak or an error fails the test.
VALGRIND_FLAGS = --error-exitcode=9 --leak-check=full \
	--errors-for-leak-kinds=definite --suppressions=$(abs_top_srcdir)/tests/valgrind.supp -q
check-valgrind:
	@test -n "$(VALGRIND)" || { echo "valgrind not found (apt-get install valgrind)"; exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(UMF_BLACKBOX_TESTS) $(UMF_WHITEBOX_TESTS)" \
		LOG_COMPILER="$(LIBTOOL) --mode=execute $(VALGRIND) $(VALGRIND_FLAGS)" \
		AM_TESTS_ENVIRONMENT="CK_TIMEOUT_MULTIPLIER=20; export CK_TIMEOUT_MULTIPLIER;"
.PHONY: check-valgrind
EXTRA_DIST += tests/valgrind.supp

# The Level Zero provider (issue 16) on the fake driver of tests/fakes,
# loaded by Debian's real loader (ZE_ENABLE_ALT_DRIVERS): the provider,
# IPC across processes, the pools on Level Zero memory. The test programs
# dlopen the loader as applications may; the examples link it.
EXTRA_DIST += tests/fakes/gen_fake_ze_stubs.sh tests/level_zero_helpers.h
if HAVE_LEVEL_ZERO
FAKE_ZE_DRIVER_SO = $(abs_top_builddir)/tests/fakes/.libs/fake_ze_driver.so
check_LTLIBRARIES += tests/fakes/fake_ze_driver.la
tests_fakes_fake_ze_driver_la_SOURCES = tests/fakes/fake_ze_driver.c \
	tests/fakes/fake_ze_driver_mem.c tests/fakes/fake_ze_driver_internal.h \
	tests/fakes/fake_ze_control.h
nodist_tests_fakes_fake_ze_driver_la_SOURCES = \
	tests/fakes/fake_ze_driver_stubs.c
tests_fakes_fake_ze_driver_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/fakes $(LEVEL_ZERO_CFLAGS)
tests_fakes_fake_ze_driver_la_LIBADD = $(PTHREAD_LIBS)
tests_fakes_fake_ze_driver_la_LDFLAGS = -module -avoid-version -rpath /nowhere
# the stub table getters, from the installed headers
tests/fakes/fake_ze_driver_stubs.c: $(top_srcdir)/tests/fakes/gen_fake_ze_stubs.sh
	$(AM_V_GEN)$(MKDIR_P) tests/fakes && \
	$(SHELL) $(top_srcdir)/tests/fakes/gen_fake_ze_stubs.sh \
	  `for f in $(LEVEL_ZERO_CFLAGS); do case $$f in -I*) echo "$${f#-I}";; esac; done` \
	  > $@.tmp && mv $@.tmp $@
CLEANFILES += tests/fakes/fake_ze_driver_stubs.c
# the examples and tests run on the fake driver unless told otherwise
AM_TESTS_ENVIRONMENT += \
	ZE_ENABLE_ALT_DRIVERS="$${ZE_ENABLE_ALT_DRIVERS-$(FAKE_ZE_DRIVER_SO)}"; \
	UMF_TEST_FAKE_ZE_DRIVER='$(FAKE_ZE_DRIVER_SO)'; \
	export ZE_ENABLE_ALT_DRIVERS UMF_TEST_FAKE_ZE_DRIVER;
check_LTLIBRARIES += tests/fakes/fake_ze_partial_loader.la
tests_fakes_fake_ze_partial_loader_la_SOURCES = \
	tests/fakes/fake_ze_partial_loader.c
tests_fakes_fake_ze_partial_loader_la_LDFLAGS = -module -avoid-version \
	-rpath /nowhere


if HAVE_CHECK
UMF_L0_TEST_CPPFLAGS = $(UMF_TEST_CPPFLAGS) -I$(top_srcdir)/tests \
	-I$(top_srcdir)/tests/fakes $(LEVEL_ZERO_CFLAGS) \
	-DUMF_TEST_FAKE_ZE_DRIVER='"$(FAKE_ZE_DRIVER_SO)"'
UMF_L0_TESTS = tests/test_provider_level_zero \
	tests/test_provider_level_zero_ipc \
	tests/test_provider_level_zero_pools
check_PROGRAMS += $(UMF_L0_TESTS)
TESTS += $(UMF_L0_TESTS)
UMF_BLACKBOX_TESTS += $(UMF_L0_TESTS)
tests_test_provider_level_zero_CPPFLAGS = $(UMF_L0_TEST_CPPFLAGS) \
	-DUMF_TEST_FAKE_ZE_PARTIAL_LOADER='"$(abs_top_builddir)/tests/fakes/.libs/fake_ze_partial_loader.so"' \
	-DUMF_TEST_L0_DLOPEN_ORDER='"$(abs_top_builddir)/tests/level_zero_dlopen_order"' \
	-DUMF_TEST_LIBUMF='"$(abs_top_builddir)/lib/.libs/libumf.so.0"'
tests_test_provider_level_zero_LDADD = $(UMF_TEST_LIBS) $(LIBS)
EXTRA_tests_test_provider_level_zero_DEPENDENCIES = \
	tests/fakes/fake_ze_driver.la tests/fakes/fake_ze_partial_loader.la \
	tests/level_zero_dlopen_order$(EXEEXT)
# links neither libumf nor the loader: dlopens both, in either order
check_PROGRAMS += tests/level_zero_dlopen_order
tests_level_zero_dlopen_order_CPPFLAGS = $(AM_CPPFLAGS) $(LEVEL_ZERO_CFLAGS)
tests_level_zero_dlopen_order_LDADD = $(LIBS)
tests_test_provider_level_zero_ipc_CPPFLAGS = $(UMF_L0_TEST_CPPFLAGS)
tests_test_provider_level_zero_ipc_LDADD = $(UMF_TEST_LIBS) $(LIBS)
EXTRA_tests_test_provider_level_zero_ipc_DEPENDENCIES = \
	tests/fakes/fake_ze_driver.la
tests_test_provider_level_zero_pools_CPPFLAGS = $(UMF_L0_TEST_CPPFLAGS)
# the jemalloc rows need jemalloc loaded at start-up: link as -lumf links
tests_test_provider_level_zero_pools_LDADD = $(UMF_TEST_LIBS) $(LIBS) \
	$(UMF_JEMALLOC_COMPANION)
tests_test_provider_level_zero_pools_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
EXTRA_tests_test_provider_level_zero_pools_DEPENDENCIES = \
	tests/fakes/fake_ze_driver.la
endif
endif

# libumf_proxy (issue 15): tests/check_proxy.sh runs real programs and
# these two without and with LD_PRELOAD of the proxy. They need no Check;
# -no-install makes them plain executables (no libtool wrapper script, whose
# shell would run under the proxy too and whose argv[0] the IPC producer
# re-executes).
check_PROGRAMS += tests/proxy_prog tests/proxy_newdelete
tests_proxy_prog_LDADD = lib/libumf.la tests/libproxy_late.la $(PTHREAD_LIBS)
# a library finalised after libumf, whose destructor frees proxy blocks
check_LTLIBRARIES += tests/libproxy_late.la
tests_libproxy_late_la_SOURCES = tests/proxy_late.c
tests_libproxy_late_la_LDFLAGS = -rpath /nowhere -avoid-version
tests_proxy_prog_LDFLAGS = -no-install
tests_proxy_newdelete_SOURCES = tests/proxy_newdelete.cc
tests_proxy_newdelete_LDADD = lib/libumf.la
tests_proxy_newdelete_LDFLAGS = -no-install
TESTS += tests/check_proxy.sh
EXTRA_DIST += tests/check_proxy.sh
# taken by staged installs and check_proxy.sh (tests/staged_install.sh)
CLEANFILES += tests/install.lock

# make check-stress: the stress test (tests/test_stress.c) with 10^7
# operations per pool instead of make check's 100,000
check-stress:
	UMF_TEST_STRESS_OPS=10000000 $(MAKE) $(AM_MAKEFLAGS) check \
	  TESTS=tests/test_stress
.PHONY: check-stress
