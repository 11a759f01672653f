# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# examples/local.mk -- example programs, built and run by make check
#
# The examples are check programs, not noinst programs, so a plain `make`
# builds only the library and needs nothing beyond the compiler; `make check`
# (or `make examples/basic`) builds them, and make check runs them as tests.
# Their sources are installed as documentation for users to copy from.

check_PROGRAMS += examples/basic
TESTS += examples/basic
examples_basic_SOURCES = examples/basic.c
examples_basic_LDADD = lib/libumf.la

exampledir = $(docdir)/examples
dist_example_DATA = examples/basic.c
