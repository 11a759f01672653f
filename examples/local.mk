# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# examples/local.mk -- example programs, built and run by make check
#
# The examples are check programs, not noinst programs, so a plain `make`
# builds only the library and needs nothing beyond the compiler; `make check`
# (or `make examples/basic`) builds them, and make check runs them as tests.
# Their sources are installed as documentation for users to copy from, and
# `make installcheck` compiles and runs those installed copies against the
# installed library with nothing but `pkg-config --cflags --libs umf`.

UMF_EXAMPLES = examples/basic examples/custom_provider
check_PROGRAMS += $(UMF_EXAMPLES)
TESTS += $(UMF_EXAMPLES)
examples_basic_SOURCES = examples/basic.c
examples_basic_LDADD = lib/libumf.la
examples_custom_provider_SOURCES = examples/custom_provider.c
examples_custom_provider_LDADD = lib/libumf.la

# A disjoint pool on CUDA managed memory (issue 17): make check runs it on
# the fake CUDA driver through tests/check_cuda_example.sh; without a driver
# it says so and exits 0, so installcheck and the autopkgtest run it too.
check_PROGRAMS += examples/cuda_shared_pool
examples_cuda_shared_pool_SOURCES = examples/cuda_shared_pool.c
examples_cuda_shared_pool_LDADD = lib/libumf.la

# Level Zero (issue 16): programs that use the Level Zero API themselves
# link the loader; make check runs them on the fake driver (tests/local.mk
# sets ZE_ENABLE_ALT_DRIVERS). They are not installed: the installed
# examples are built and run by installcheck and the packages' tests with
# umf's flags alone, and these need the Level Zero headers and a driver.
if HAVE_LEVEL_ZERO
UMF_L0_EXAMPLES = examples/level_zero_shared_pool examples/level_zero_ipc
check_PROGRAMS += $(UMF_L0_EXAMPLES)
TESTS += $(UMF_L0_EXAMPLES)
examples_level_zero_shared_pool_CPPFLAGS = $(AM_CPPFLAGS) $(LEVEL_ZERO_CFLAGS)
examples_level_zero_shared_pool_LDADD = lib/libumf.la $(LEVEL_ZERO_LIBS)
examples_level_zero_ipc_CPPFLAGS = $(AM_CPPFLAGS) $(LEVEL_ZERO_CFLAGS)
examples_level_zero_ipc_LDADD = lib/libumf.la $(LEVEL_ZERO_LIBS)
endif
EXTRA_DIST += examples/level_zero_shared_pool.c examples/level_zero_ipc.c

exampledir = $(docdir)/examples
dist_example_DATA = examples/basic.c examples/custom_provider.c \
	examples/cuda_shared_pool.c
# a CMake project using the installed CMake package (find_package(umf));
# tests/check_cmake_example.sh builds the installed copy
examplecmakedir = $(exampledir)/cmake
dist_examplecmake_DATA = examples/cmake/CMakeLists.txt \
	examples/cmake/umf_cmake_example.c

installcheck-local:
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export PKG_CONFIG_PATH="$(DESTDIR)$(pkgconfigdir)"; \
	pc="pkg-config --define-variable=prefix=$(DESTDIR)$(prefix)"; \
	for src in $(dist_example_DATA); do \
	  name=$$(basename "$$src" .c); \
	  $(CC) $$($$pc --cflags umf) "$(DESTDIR)$(exampledir)/$$name.c" \
	    $$($$pc --libs umf) -o "$$tmp/$$name"; \
	  LD_LIBRARY_PATH="$(DESTDIR)$(libdir)" "$$tmp/$$name" > "$$tmp/out"; \
	  test -s "$$tmp/out"; \
	  echo "PASS: installed example $$name"; \
	done
