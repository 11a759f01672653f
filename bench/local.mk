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
# UMF_BENCH_REPS and UMF_BENCH_MS (see bench/bench_harness.h) tune the run;
# UMF_BENCH_STRESS_OPS and UMF_BENCH_STRESS_REPS tune bench_stress.
# `make bench-build' only builds them.

EXTRA_PROGRAMS += bench/bench_core
bench_bench_core_SOURCES = \
	bench/bench_harness.h \
	bench/bench_harness.c \
	bench/bench_setup.h \
	bench/bench_setup.c \
	bench/bench_counted_provider.c \
	bench/bench_core.c
bench_bench_core_LDADD = lib/libumf.la $(PTHREAD_LIBS)
CLEANFILES += bench/bench_core$(EXEEXT)

BENCH_TUNABLES = glibc.rtld.optional_static_tls=4096

# Providers against bare mmap/munmap (issue 4).
EXTRA_PROGRAMS += bench/bench_providers
bench_bench_providers_SOURCES = \
	bench/bench_harness.h \
	bench/bench_harness.c \
	bench/bench_providers.c
bench_bench_providers_LDADD = lib/libumf.la $(PTHREAD_LIBS)
CLEANFILES += bench/bench_providers$(EXEEXT)

# The jemalloc and scalable pools against their raw allocators (issue 6);
# the tunable lets the jemalloc pool load jemalloc at run time.
EXTRA_PROGRAMS += bench/bench_jemalloc_scalable
bench_bench_jemalloc_scalable_SOURCES = bench/bench_jemalloc_scalable.c
bench_bench_jemalloc_scalable_LDADD = lib/libumf.la $(PTHREAD_LIBS)
CLEANFILES += bench/bench_jemalloc_scalable$(EXEEXT)

# The churn and page-batch workloads: the disjoint pool against glibc and
# jemalloc (issue 3), the jemalloc and scalable pools against raw mallocx
# and scalable_malloc (issue 6); each measurement re-executes the program.
# `make bench` runs both sets (-g all).
EXTRA_PROGRAMS += bench/bench_pools
bench_bench_pools_SOURCES = bench/bench_harness.h bench/bench_pools.c
bench_bench_pools_LDADD = lib/libumf.la $(PTHREAD_LIBS) $(LIBS)
CLEANFILES += bench/bench_pools$(EXEEXT)

# GPU device memory: a disjoint pool against the raw driver calls, one
# backend file per GPU provider (bench/bench_gpu.h). The backends add their
# sources below; with none, bench_gpu says so and measures nothing.
EXTRA_PROGRAMS += bench/bench_gpu
bench_bench_gpu_SOURCES = \
	bench/bench_harness.h \
	bench/bench_harness.c \
	bench/bench_gpu.h \
	bench/bench_gpu.c \
	tests/common/pool_params.h \
	tests/common/pool_params.c
bench_bench_gpu_LDADD = lib/libumf.la $(PTHREAD_LIBS) $(LIBS)
CLEANFILES += bench/bench_gpu$(EXEEXT)
# CUDA (issue 17): the driver's own types from libumf's declarations; on a
# machine without libcuda.so.1, make bench runs it on the fake driver.
UMF_BENCH_FAKES =
if HAVE_CUDA
bench_bench_gpu_SOURCES += bench/bench_gpu_cuda.c
UMF_BENCH_FAKES += tests/fakes/libcuda.la
endif
# Level Zero (issue 16): the program links the loader (libumf does not).
# make bench runs the benchmarks on the fake driver of tests/fakes unless
# ZE_ENABLE_ALT_DRIVERS names a driver (libze_intel_gpu.so.1: Intel GPUs).
BENCH_GPU_ENV =
if HAVE_LEVEL_ZERO
bench_bench_gpu_SOURCES += bench/bench_gpu_level_zero.c
bench_bench_gpu_LDADD += $(LEVEL_ZERO_LIBS)
BENCH_GPU_ENV += ZE_ENABLE_ALT_DRIVERS="$${ZE_ENABLE_ALT_DRIVERS-$(abs_top_builddir)/tests/fakes/.libs/fake_ze_driver.so}"
UMF_BENCH_FAKES += tests/fakes/fake_ze_driver.la
endif
bench_bench_gpu_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib \
	-I$(top_srcdir)/tests/common $(LEVEL_ZERO_CFLAGS)

# Issue 19's table: the tracker's lookups (bench_tracker), pairs on 1 and
# 2 threads sharing a pool (bench_scaling), the alternating churn
# (bench_churn) and the mixed 2-thread stress (bench_stress), which
# UMF_BENCH_STRESS_OPS (default 10^7) and UMF_BENCH_STRESS_REPS (3) shorten.
# bench_allocators puts glibc, jemalloc, tbbmalloc and a pool behind one
# interface, finding the two at run time with lib/util/dl_symbols.c.
BENCH_SETUP_SOURCES = \
	bench/bench_harness.h \
	bench/bench_harness.c \
	bench/bench_setup.h \
	bench/bench_setup.c \
	bench/bench_counted_provider.c
BENCH_ALLOCATOR_SOURCES = \
	bench/bench_allocators.h \
	bench/bench_allocators.c \
	lib/util/dl_symbols_internal.h \
	lib/util/dl_symbols.c
BENCH_ALLOCATOR_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib/util

EXTRA_PROGRAMS += bench/bench_tracker
bench_bench_tracker_SOURCES = $(BENCH_SETUP_SOURCES) bench/bench_tracker.c
bench_bench_tracker_LDADD = lib/libumf.la $(PTHREAD_LIBS)
CLEANFILES += bench/bench_tracker$(EXEEXT)

EXTRA_PROGRAMS += bench/bench_scaling
bench_bench_scaling_SOURCES = $(BENCH_SETUP_SOURCES) \
	$(BENCH_ALLOCATOR_SOURCES) bench/bench_scaling.c
bench_bench_scaling_CPPFLAGS = $(BENCH_ALLOCATOR_CPPFLAGS)
bench_bench_scaling_LDADD = lib/libumf.la $(PTHREAD_LIBS) $(LIBS)
CLEANFILES += bench/bench_scaling$(EXEEXT)

EXTRA_PROGRAMS += bench/bench_churn
bench_bench_churn_SOURCES = $(BENCH_SETUP_SOURCES) \
	$(BENCH_ALLOCATOR_SOURCES) bench/bench_churn.c
bench_bench_churn_CPPFLAGS = $(BENCH_ALLOCATOR_CPPFLAGS)
bench_bench_churn_LDADD = lib/libumf.la $(PTHREAD_LIBS) $(LIBS)
CLEANFILES += bench/bench_churn$(EXEEXT)

EXTRA_PROGRAMS += bench/bench_stress
bench_bench_stress_SOURCES = $(BENCH_SETUP_SOURCES) \
	$(BENCH_ALLOCATOR_SOURCES) bench/bench_stress.c
bench_bench_stress_CPPFLAGS = $(BENCH_ALLOCATOR_CPPFLAGS)
bench_bench_stress_LDADD = lib/libumf.la $(PTHREAD_LIBS) $(LIBS)
CLEANFILES += bench/bench_stress$(EXEEXT)

UMF_BENCH_PROGS = bench/bench_core$(EXEEXT) \
	bench/bench_tracker$(EXEEXT) bench/bench_scaling$(EXEEXT) \
	bench/bench_churn$(EXEEXT) \
	bench/bench_providers$(EXEEXT) bench/bench_jemalloc_scalable$(EXEEXT) \
	bench/bench_pools$(EXEEXT) bench/bench_stress$(EXEEXT) \
	bench/bench_gpu$(EXEEXT)

# Builds every benchmark without running one: a quick check that they
# still compile.
bench-build: $(UMF_BENCH_PROGS) bench/proxy_churn$(EXEEXT)
.PHONY: bench-build

# bench_jemalloc_scalable runs three times: the churn of bench_pools (10,000
# live blocks, 10 replaced per step; sizes 8..4096, then 4096 only) with
# every row in one process, and the 64-block ring.
bench: $(UMF_BENCH_PROGS) $(UMF_BENCH_FAKES)
	@for b in $(UMF_BENCH_PROGS); do \
	  gpu_env=; \
	  case $$b in \
	    bench/bench_gpu*) runs=_; \
	      if test -n "$(UMF_BENCH_FAKES)" && \
	         ! { /sbin/ldconfig -p || ldconfig -p; } 2>/dev/null | grep -q 'libcuda\.so\.1 '; then \
	        echo "==> no CUDA driver (libcuda.so.1) on this machine: CUDA runs on the fake driver of tests/fakes"; \
	        gpu_env="LD_LIBRARY_PATH=$(abs_top_builddir)/tests/fakes/.libs$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}"; \
	      fi;; \
	    bench/bench_pools*) runs=-g_all;; \
	    bench/bench_jemalloc_scalable*) \
	      runs="-l_10000_-b_10_1000000_5 -l_10000_-b_10_-z_4096_1000000_5 _";; \
	    *) runs=_;; \
	  esac; \
	  for args in $$runs; do \
	    args=`echo "$$args" | tr _ ' '`; \
	    echo "==> $$b $$args"; \
	    env $$gpu_env $(BENCH_GPU_ENV) \
	      GLIBC_TUNABLES="$(BENCH_TUNABLES)$${GLIBC_TUNABLES:+:$$GLIBC_TUNABLES}" \
	      ./$$b $$args || exit 1; \
	  done; \
	done
.PHONY: bench


# libumf_proxy (issue 15) against glibc and LD_PRELOAD of jemalloc on gcc,
# python3, sort and the churn of bench_pools on plain malloc
# (bench/proxy_churn); `make bench-proxy' (also the last step of
# `make bench'). UMF_BENCH_PROXY_REPS sets the runs per cell (3).
EXTRA_PROGRAMS += bench/proxy_churn
bench_proxy_churn_SOURCES = bench/proxy_churn.c
bench_proxy_churn_LDADD = $(PTHREAD_LIBS)
CLEANFILES += bench/proxy_churn$(EXEEXT)
EXTRA_DIST += bench/bench_proxy.sh
bench-proxy: bench/proxy_churn$(EXEEXT) lib/libumf_proxy.la
	top_builddir=$(top_builddir) $(SHELL) $(srcdir)/bench/bench_proxy.sh \
	  $${UMF_BENCH_PROXY_REPS:-3}
bench: bench-proxy
.PHONY: bench-proxy
