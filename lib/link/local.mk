# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# lib/link/local.mk -- what a program's link against the installed libumf
# finds: the libumf.so linker script, libumf_nonshared.a and the CMake
# package (umf(7), LINKING).
#
# `-lumf` must bring in libumf_jemalloc.so.0 (the jemalloc pool's companion,
# see lib/pools/jemalloc_companion.c) for every way users link: plain cc,
# libtool, pkg-config and CMake's umf::umf. So the development name
# libumf.so is not libtool's symlink but a GNU ld script, installed over that
# symlink by install-exec-hook (as glibc does for libc.so). libumf.so.0
# itself depends on nothing of jemalloc, and programs linked against it
# alone (or that dlopen it) still work.

if HAVE_JEMALLOC
lib_LIBRARIES += lib/link/libumf_nonshared.a
lib_link_libumf_nonshared_a_SOURCES = lib/link/umf_jemalloc_anchor.c
# it goes into position-independent executables and shared objects
lib_link_libumf_nonshared_a_CFLAGS = $(AM_CFLAGS) -fPIC
# binutils' ar is deterministic (D) by default and warns about automake's u
lib_link_libumf_nonshared_a_AR = $(AR) cr
UMF_LD_SCRIPT_EXTERN = EXTERN ( umf_jemalloc_link_anchor )
UMF_LD_SCRIPT_JEMALLOC = libumf_nonshared.a libumf_jemalloc.so.0
else
UMF_LD_SCRIPT_EXTERN =
UMF_LD_SCRIPT_JEMALLOC =
endif

# The generated files are written under a unique temporary name and moved
# into place: two tests may run `make install` at once (tests/local.mk).
UMF_LD_SCRIPT = lib/link/libumf.so.ld
noinst_DATA += $(UMF_LD_SCRIPT)
CLEANFILES += $(UMF_LD_SCRIPT)
EXTRA_DIST += lib/link/libumf.so.in
$(UMF_LD_SCRIPT): $(srcdir)/lib/link/libumf.so.in Makefile
	$(AM_V_GEN)$(MKDIR_P) lib/link && \
	sed -e 's|@UMF_LD_SCRIPT_EXTERN@|$(UMF_LD_SCRIPT_EXTERN)|' \
	    -e 's|@UMF_LD_SCRIPT_JEMALLOC@|$(UMF_LD_SCRIPT_JEMALLOC)|' \
	    $(srcdir)/lib/link/libumf.so.in > $@.tmp$$$$ && mv $@.tmp$$$$ $@

# The CMake package: find_package(umf) gives the imported target umf::umf,
# whose link is the linker script above (the same as -lumf). The files find
# the installation from their own location (gen_cmake_config.sh), so a
# DESTDIR-staged or moved prefix works.
cmakedir = $(libdir)/cmake/umf
cmake_DATA = lib/link/umf-config.cmake lib/link/umf-config-version.cmake
CLEANFILES += $(cmake_DATA)
EXTRA_DIST += lib/link/umf-config.cmake.in lib/link/umf-config-version.cmake.in

UMF_CMAKE_GEN = $(SHELL) $(srcdir)/lib/link/gen_cmake_config.sh \
	"$(prefix)" "$(libdir)" "$(includedir)" "$(cmakedir)" "$(PACKAGE_VERSION)" \
	"$(UMF_SIZEOF_VOID_P)"
EXTRA_DIST += lib/link/gen_cmake_config.sh
lib/link/umf-config.cmake: $(srcdir)/lib/link/umf-config.cmake.in \
		$(srcdir)/lib/link/gen_cmake_config.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) lib/link && \
	$(UMF_CMAKE_GEN) $(srcdir)/lib/link/umf-config.cmake.in > $@.tmp$$$$ && \
	mv $@.tmp$$$$ $@
lib/link/umf-config-version.cmake: \
		$(srcdir)/lib/link/umf-config-version.cmake.in \
		$(srcdir)/lib/link/gen_cmake_config.sh Makefile
	$(AM_V_GEN)$(MKDIR_P) lib/link && \
	$(UMF_CMAKE_GEN) $(srcdir)/lib/link/umf-config-version.cmake.in \
	  > $@.tmp$$$$ && mv $@.tmp$$$$ $@

# libtool installs libumf.so as a symlink to libumf.so.0.x.y; the linker
# script takes its place.
install-exec-hook: install-umf-ld-script
install-umf-ld-script:
	rm -f "$(DESTDIR)$(libdir)/libumf.so"
	$(INSTALL_DATA) $(UMF_LD_SCRIPT) "$(DESTDIR)$(libdir)/libumf.so"
.PHONY: install-umf-ld-script
