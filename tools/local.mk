# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tools/local.mk -- command-line tools installed with the library

# umf-info: what libumf offers on this machine (man/man1/umf-info.1). It
# links libumf as -lumf does (with the jemalloc companion, so the jemalloc
# pool can load) and hwloc itself for the bandwidth and latency values that
# the UMF API does not expose.
bin_PROGRAMS += tools/umf-info
tools_umf_info_SOURCES = tools/umf-info.c tools/umf_info_internal.h
tools_umf_info_LDADD = lib/libumf.la $(UMF_JEMALLOC_COMPANION)
tools_umf_info_LDFLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
tools_umf_info_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/lib
# CUDA devices from the driver itself (the provider's ABI declarations)
tools_umf_info_SOURCES += tools/umf_info_cuda.c
tools_umf_info_LDADD += $(LIBS)
if HAVE_HWLOC
tools_umf_info_SOURCES += tools/umf_info_hwloc.c
tools_umf_info_CPPFLAGS += $(HWLOC_CFLAGS)
tools_umf_info_LDADD += $(HWLOC_LIBS)
else
tools_umf_info_SOURCES += tools/umf_info_nohwloc.c
endif
EXTRA_DIST += tools/umf_info_hwloc.c tools/umf_info_nohwloc.c
# Level Zero devices, through the loader dlopen'ed at run time (issue 16)
if HAVE_LEVEL_ZERO
tools_umf_info_SOURCES += tools/umf_info_level_zero.c
tools_umf_info_CPPFLAGS += $(LEVEL_ZERO_CFLAGS)
else
tools_umf_info_SOURCES += tools/umf_info_level_zero_none.c
endif
EXTRA_DIST += tools/umf_info_level_zero.c tools/umf_info_level_zero_none.c
