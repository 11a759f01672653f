# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# fuzz/local.mk -- libFuzzer targets (issue 18) and their replay tests.
#
# Each target fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. In every
# build it is linked with the small driver fuzz/replay_main.c as
# fuzz/replay_NAME, a `make check' test that replays the committed seed
# corpus fuzz/corpus/NAME/ and the inputs of fuzzer findings that were fixed,
# fuzz/regressions/NAME/. With `configure --enable-fuzz' (clang; the
# library is then built with -fsanitize=fuzzer-no-link and ASan+UBSan) it is
# also linked with libFuzzer as fuzz/fuzz_NAME, and `make fuzz' runs each
# for FUZZ_SECONDS from its seeds (fuzz/run_fuzzer.sh; README there).

FUZZ_NAMES = ipc_open pool_ops params
FUZZ_COMMON = fuzz/fuzz_common.c fuzz/fuzz_common.h fuzz/fuzz_input.h
FUZZ_LIBS = lib/libumf.la $(UMF_JEMALLOC_COMPANION) $(PTHREAD_LIBS)
FUZZ_LINK_FLAGS = $(UMF_JEMALLOC_ANCHOR_FLAGS)
FUZZ_SRC = $(abs_top_srcdir)/fuzz

FUZZ_REPLAY_TESTS = fuzz/replay_ipc_open fuzz/replay_pool_ops \
	fuzz/replay_params
check_PROGRAMS += $(FUZZ_REPLAY_TESTS)
TESTS += $(FUZZ_REPLAY_TESTS)
fuzz_replay_ipc_open_SOURCES = fuzz/replay_main.c fuzz/fuzz_ipc_open.c \
	$(FUZZ_COMMON)
fuzz_replay_ipc_open_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_REPLAY_DIRS='"$(FUZZ_SRC)/corpus/ipc_open:$(FUZZ_SRC)/regressions/ipc_open"'
fuzz_replay_ipc_open_LDADD = $(FUZZ_LIBS)
fuzz_replay_ipc_open_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_replay_pool_ops_SOURCES = fuzz/replay_main.c fuzz/fuzz_pool_ops.c \
	$(FUZZ_COMMON)
fuzz_replay_pool_ops_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_REPLAY_DIRS='"$(FUZZ_SRC)/corpus/pool_ops:$(FUZZ_SRC)/regressions/pool_ops"'
fuzz_replay_pool_ops_LDADD = $(FUZZ_LIBS)
fuzz_replay_pool_ops_LDFLAGS = $(FUZZ_LINK_FLAGS)
fuzz_replay_params_SOURCES = fuzz/replay_main.c fuzz/fuzz_params.c \
	$(FUZZ_COMMON)
fuzz_replay_params_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFUZZ_REPLAY_DIRS='"$(FUZZ_SRC)/corpus/params:$(FUZZ_SRC)/regressions/params"'
fuzz_replay_params_LDADD = $(FUZZ_LIBS)
fuzz_replay_params_LDFLAGS = $(FUZZ_LINK_FLAGS)

EXTRA_DIST += fuzz/README fuzz/run_fuzzer.sh fuzz/make_seeds.py fuzz/corpus \
	fuzz/regressions \
	fuzz/known-crashes

if ENABLE_FUZZ
FUZZ_TARGET_PROGS = fuzz/fuzz_ipc_open fuzz/fuzz_pool_ops fuzz/fuzz_params
noinst_PROGRAMS += $(FUZZ_TARGET_PROGS)
fuzz_fuzz_ipc_open_SOURCES = fuzz/fuzz_ipc_open.c $(FUZZ_COMMON)
fuzz_fuzz_ipc_open_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_ipc_open_LDFLAGS = $(FUZZ_LINK_FLAGS) $(FUZZ_ENGINE_FLAGS)
fuzz_fuzz_pool_ops_SOURCES = fuzz/fuzz_pool_ops.c $(FUZZ_COMMON)
fuzz_fuzz_pool_ops_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_pool_ops_LDFLAGS = $(FUZZ_LINK_FLAGS) $(FUZZ_ENGINE_FLAGS)
fuzz_fuzz_params_SOURCES = fuzz/fuzz_params.c $(FUZZ_COMMON)
fuzz_fuzz_params_LDADD = $(FUZZ_LIBS)
fuzz_fuzz_params_LDFLAGS = $(FUZZ_LINK_FLAGS) $(FUZZ_ENGINE_FLAGS)

# make fuzz: every target for FUZZ_SECONDS (two at a time with -j2), then
# one summary; non-zero when a target found anything. A target named in
# FUZZ_KEEP_GOING runs in libFuzzer's fork mode and goes on after a crash:
# its crashes are reported and kept but do not fail `make fuzz' (for
# targets with known, not yet fixed crashes; see .ci/fuzz-check).
FUZZ_SECONDS = 60
FUZZ_KEEP_GOING =
FUZZ_FLAGS =
FUZZ_RUN = UMF_FUZZ_KEEP_GOING='$(FUZZ_KEEP_GOING)' \
	UMF_FUZZ_FLAGS='$(FUZZ_FLAGS)' \
	$(SHELL) $(srcdir)/fuzz/run_fuzzer.sh $(FUZZ_SECONDS) $(srcdir)/fuzz
fuzz-run-ipc_open: fuzz/fuzz_ipc_open$(EXEEXT)
	@$(FUZZ_RUN) ipc_open
fuzz-run-pool_ops: fuzz/fuzz_pool_ops$(EXEEXT)
	@$(FUZZ_RUN) pool_ops
fuzz-run-params: fuzz/fuzz_params$(EXEEXT)
	@$(FUZZ_RUN) params
fuzz: fuzz-run-ipc_open fuzz-run-pool_ops fuzz-run-params
	@$(SHELL) $(srcdir)/fuzz/run_fuzzer.sh --summary $(FUZZ_NAMES)
else
fuzz:
	@echo "make fuzz needs a build configured with --enable-fuzz (CC=clang)"; \
	exit 1
endif
.PHONY: fuzz fuzz-run-ipc_open fuzz-run-pool_ops fuzz-run-params
CLEANFILES += fuzz/*.log fuzz/*.result
clean-local: clean-fuzz
clean-fuzz:
	rm -rf fuzz/work fuzz/artifacts fuzz/tmp
.PHONY: clean-fuzz
