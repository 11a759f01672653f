# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# tools/local.mk -- command-line tools installed with the library
