# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# examples/local.mk -- example programs, built and run by make check
