# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# bench/local.mk -- benchmarks (make bench); never part of make check
