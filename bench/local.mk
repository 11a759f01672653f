# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/local.mk -- benchmarks (make bench); never part of make check
#
# bench/bench_core is an EXTRA_PROGRAMS entry: neither `make` nor `make check`
# builds it; `make bench` builds and runs it.  It prints figures and asserts
# nothing about time; its exit status only says whether every benchmark ran.
#
# jemalloc and tbbmalloc are compared through dlopen, so neither is needed to
# build.  Debian's libjemalloc.so.2 uses initial-exec TLS and cannot be
# dlopen'ed into a running process unless glibc keeps spare static TLS, hence
# the tunable below (added in front of any GLIBC_TUNABLES already set).
# UMF_BENCH_REPS and UMF_BENCH_MS (see bench/bench_harness.h) tune the run.

EXTRA_PROGRAMS += bench/bench_core
bench_bench_core_SOURCES = \
	bench/bench_harness.h \
	bench/bench_harness.c \
	bench/bench_core.c
bench_bench_core_LDADD = lib/libumf.la $(PTHREAD_LIBS)
CLEANFILES += bench/bench_core$(EXEEXT)

BENCH_TUNABLES = glibc.rtld.optional_static_tls=4096

bench: bench/bench_core$(EXEEXT)
	GLIBC_TUNABLES="$(BENCH_TUNABLES)$${GLIBC_TUNABLES:+:$$GLIBC_TUNABLES}" \
	  ./bench/bench_core$(EXEEXT)
.PHONY: bench
